# Generated from the built extension; regenerate after changing cpp/bindings:
#   pybind11-stubgen fastloss._core -o python && sed -i "/^__all__/d" python/fastloss/_core.pyi
# tests/test_build.py checks it against the module with mypy stubtest.
"""
fastloss native kernels (private; use the fastloss package)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
def _set_isa(name: str) -> bool:
    """
    Switch kernels (testing aid); returns False if the set is not available.
    """
@typing.overload
def angular_loss(anchor: numpy.typing.NDArray[numpy.float32], positive: numpy.typing.NDArray[numpy.float32], negative: numpy.typing.NDArray[numpy.float32], alpha: typing.SupportsFloat | typing.SupportsIndex, form: str, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, grad_out_p: numpy.typing.NDArray[numpy.float32] | None, grad_out_n: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def angular_loss(anchor: numpy.typing.NDArray[numpy.float64], positive: numpy.typing.NDArray[numpy.float64], negative: numpy.typing.NDArray[numpy.float64], alpha: typing.SupportsFloat | typing.SupportsIndex, form: str, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, grad_out_p: numpy.typing.NDArray[numpy.float64] | None, grad_out_n: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
def available_isas() -> list[str]:
    """
    Instruction sets built in and supported by this CPU, baseline first.
    """
@typing.overload
def batch_angular_loss(embeddings: numpy.typing.NDArray[numpy.float32], labels: numpy.typing.NDArray[numpy.int32], n_classes: typing.SupportsInt | typing.SupportsIndex, gram: numpy.typing.NDArray[numpy.float32], alpha: typing.SupportsFloat | typing.SupportsIndex, form: str, average: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def batch_angular_loss(embeddings: numpy.typing.NDArray[numpy.float64], labels: numpy.typing.NDArray[numpy.int32], n_classes: typing.SupportsInt | typing.SupportsIndex, gram: numpy.typing.NDArray[numpy.float64], alpha: typing.SupportsFloat | typing.SupportsIndex, form: str, average: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def batch_contrastive_loss(embeddings: numpy.typing.NDArray[numpy.float32], labels: numpy.typing.NDArray[numpy.int32], gram: numpy.typing.NDArray[numpy.float32], pos_margin: typing.SupportsFloat | typing.SupportsIndex, neg_margin: typing.SupportsFloat | typing.SupportsIndex, distance: str, hinge: str, average: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def batch_contrastive_loss(embeddings: numpy.typing.NDArray[numpy.float64], labels: numpy.typing.NDArray[numpy.int32], gram: numpy.typing.NDArray[numpy.float64], pos_margin: typing.SupportsFloat | typing.SupportsIndex, neg_margin: typing.SupportsFloat | typing.SupportsIndex, distance: str, hinge: str, average: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def batch_triplet_loss(embeddings: numpy.typing.NDArray[numpy.float32], labels: numpy.typing.NDArray[numpy.int32], gram: numpy.typing.NDArray[numpy.float32], margin: typing.SupportsFloat | typing.SupportsIndex, distance: str, mining: str, average: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def batch_triplet_loss(embeddings: numpy.typing.NDArray[numpy.float64], labels: numpy.typing.NDArray[numpy.int32], gram: numpy.typing.NDArray[numpy.float64], margin: typing.SupportsFloat | typing.SupportsIndex, distance: str, mining: str, average: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def binary_cross_entropy(logits: numpy.typing.NDArray[numpy.float32], targets: numpy.typing.NDArray[numpy.float32], weight: numpy.typing.NDArray[numpy.float32] | None, pos_weight: numpy.typing.NDArray[numpy.float32] | None, alpha: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def binary_cross_entropy(logits: numpy.typing.NDArray[numpy.float64], targets: numpy.typing.NDArray[numpy.float64], weight: numpy.typing.NDArray[numpy.float64] | None, pos_weight: numpy.typing.NDArray[numpy.float64] | None, alpha: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def chamfer_distance(x: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float32], x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, weights: numpy.typing.NDArray[numpy.float32] | None, distance: str, point_reduction: str, batch_reduction: str, single_directional: bool, x_weight: typing.SupportsFloat | typing.SupportsIndex, y_weight: typing.SupportsFloat | typing.SupportsIndex, method: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_cloud: numpy.typing.NDArray[numpy.float32] | None, grad_point_x: numpy.typing.NDArray[numpy.float32] | None, grad_point_y: numpy.typing.NDArray[numpy.float32] | None, grad_out_x: numpy.typing.NDArray[numpy.float32] | None, grad_out_y: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def chamfer_distance(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, weights: numpy.typing.NDArray[numpy.float64] | None, distance: str, point_reduction: str, batch_reduction: str, single_directional: bool, x_weight: typing.SupportsFloat | typing.SupportsIndex, y_weight: typing.SupportsFloat | typing.SupportsIndex, method: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_cloud: numpy.typing.NDArray[numpy.float64] | None, grad_point_x: numpy.typing.NDArray[numpy.float64] | None, grad_point_y: numpy.typing.NDArray[numpy.float64] | None, grad_out_x: numpy.typing.NDArray[numpy.float64] | None, grad_out_y: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def contrastive_loss(x1: numpy.typing.NDArray[numpy.float32], x2: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float32], pos_margin: typing.SupportsFloat | typing.SupportsIndex, neg_margin: typing.SupportsFloat | typing.SupportsIndex, distance: str, hinge: str, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, grad_out2: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def contrastive_loss(x1: numpy.typing.NDArray[numpy.float64], x2: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], pos_margin: typing.SupportsFloat | typing.SupportsIndex, neg_margin: typing.SupportsFloat | typing.SupportsIndex, distance: str, hinge: str, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, grad_out2: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def cross_entropy_labels(logits: numpy.typing.NDArray[numpy.float32], labels: numpy.typing.NDArray[numpy.int64], weight: numpy.typing.NDArray[numpy.float32] | None, ignore_index: typing.SupportsInt | typing.SupportsIndex, label_smoothing: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def cross_entropy_labels(logits: numpy.typing.NDArray[numpy.float64], labels: numpy.typing.NDArray[numpy.int64], weight: numpy.typing.NDArray[numpy.float64] | None, ignore_index: typing.SupportsInt | typing.SupportsIndex, label_smoothing: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def cross_entropy_probs(logits: numpy.typing.NDArray[numpy.float32], targets: numpy.typing.NDArray[numpy.float32], weight: numpy.typing.NDArray[numpy.float32] | None, label_smoothing: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def cross_entropy_probs(logits: numpy.typing.NDArray[numpy.float64], targets: numpy.typing.NDArray[numpy.float64], weight: numpy.typing.NDArray[numpy.float64] | None, label_smoothing: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
def current_isa() -> str:
    """
    The instruction set whose kernels are in use.
    """
def default_num_threads() -> int:
    """
    OpenMP's default thread count (honours OMP_NUM_THREADS); 1 without OpenMP.
    """
@typing.overload
def discounted_returns(rewards: numpy.typing.NDArray[numpy.float32], dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, bootstrap_value: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float32]:
    ...
@typing.overload
def discounted_returns(rewards: numpy.typing.NDArray[numpy.float64], dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, bootstrap_value: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    ...
@typing.overload
def discounted_returns_vjp(grad_output: numpy.typing.NDArray[numpy.float32], dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float32]:
    ...
@typing.overload
def discounted_returns_vjp(grad_output: numpy.typing.NDArray[numpy.float64], dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    ...
@typing.overload
def distillation_kl(student_logits: numpy.typing.NDArray[numpy.float32], teacher_logits: numpy.typing.NDArray[numpy.float32], temperature: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def distillation_kl(student_logits: numpy.typing.NDArray[numpy.float64], teacher_logits: numpy.typing.NDArray[numpy.float64], temperature: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def earth_movers_distance(x: numpy.typing.NDArray[numpy.float32] | None, y: numpy.typing.NDArray[numpy.float32] | None, cost: numpy.typing.NDArray[numpy.float32] | None, x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], power: typing.SupportsFloat | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex, want_plan: bool, want_duals: bool, want_grad: bool, grad_scale: numpy.typing.NDArray[numpy.float64], dense_cost_entries: typing.SupportsInt | typing.SupportsIndex, method: str, num_threads: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
@typing.overload
def earth_movers_distance(x: numpy.typing.NDArray[numpy.float64] | None, y: numpy.typing.NDArray[numpy.float64] | None, cost: numpy.typing.NDArray[numpy.float64] | None, x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], power: typing.SupportsFloat | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex, want_plan: bool, want_duals: bool, want_grad: bool, grad_scale: numpy.typing.NDArray[numpy.float64], dense_cost_entries: typing.SupportsInt | typing.SupportsIndex, method: str, num_threads: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
@typing.overload
def finish_pair_gradient(p: numpy.typing.NDArray[numpy.float32], alpha: numpy.typing.NDArray[numpy.float64] | None, inv_norm: numpy.typing.NDArray[numpy.float64] | None, from_product: bool, g: numpy.typing.NDArray[numpy.float32], num_threads: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def finish_pair_gradient(p: numpy.typing.NDArray[numpy.float64], alpha: numpy.typing.NDArray[numpy.float64] | None, inv_norm: numpy.typing.NDArray[numpy.float64] | None, from_product: bool, g: numpy.typing.NDArray[numpy.float64], num_threads: typing.SupportsInt | typing.SupportsIndex) -> None:
    ...
@typing.overload
def generalized_advantage_estimation(rewards: numpy.typing.NDArray[numpy.float32], values: numpy.typing.NDArray[numpy.float32], dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, lambda_: typing.SupportsFloat | typing.SupportsIndex, bootstrap_value: numpy.typing.NDArray[numpy.float32] | None, want_returns: bool, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def generalized_advantage_estimation(rewards: numpy.typing.NDArray[numpy.float64], values: numpy.typing.NDArray[numpy.float64], dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, lambda_: typing.SupportsFloat | typing.SupportsIndex, bootstrap_value: numpy.typing.NDArray[numpy.float64] | None, want_returns: bool, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def generalized_advantage_estimation_vjp(grad_advantages: numpy.typing.NDArray[numpy.float32] | None, grad_returns: numpy.typing.NDArray[numpy.float32] | None, dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, lambda_: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def generalized_advantage_estimation_vjp(grad_advantages: numpy.typing.NDArray[numpy.float64] | None, grad_returns: numpy.typing.NDArray[numpy.float64] | None, dones: numpy.typing.NDArray[numpy.uint8], gamma: typing.SupportsFloat | typing.SupportsIndex, lambda_: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
def has_openmp() -> bool:
    """
    Whether the kernels were built with OpenMP.
    """
@typing.overload
def kl_divergence(input: numpy.typing.NDArray[numpy.float32], target: numpy.typing.NDArray[numpy.float32], log_input: bool, log_target: bool, reduction: str, mean_denominator: typing.SupportsFloat | typing.SupportsIndex, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def kl_divergence(input: numpy.typing.NDArray[numpy.float64], target: numpy.typing.NDArray[numpy.float64], log_input: bool, log_target: bool, reduction: str, mean_denominator: typing.SupportsFloat | typing.SupportsIndex, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def margin_ranking_loss(x1: numpy.typing.NDArray[numpy.float32], x2: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float32], margin: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, grad_out2: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def margin_ranking_loss(x1: numpy.typing.NDArray[numpy.float64], x2: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], margin: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, grad_out2: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def n_step_returns(rewards: numpy.typing.NDArray[numpy.float32], values: numpy.typing.NDArray[numpy.float32], dones: numpy.typing.NDArray[numpy.uint8], n: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, bootstrap_value: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float32]:
    ...
@typing.overload
def n_step_returns(rewards: numpy.typing.NDArray[numpy.float64], values: numpy.typing.NDArray[numpy.float64], dones: numpy.typing.NDArray[numpy.uint8], n: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, bootstrap_value: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    ...
@typing.overload
def n_step_returns_vjp(grad_output: numpy.typing.NDArray[numpy.float32], dones: numpy.typing.NDArray[numpy.uint8], n: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def n_step_returns_vjp(grad_output: numpy.typing.NDArray[numpy.float64], dones: numpy.typing.NDArray[numpy.uint8], n: typing.SupportsInt | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def nearest_neighbors(x: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float32], x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, k: typing.SupportsInt | typing.SupportsIndex, p: typing.SupportsInt | typing.SupportsIndex, method: str, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def nearest_neighbors(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, k: typing.SupportsInt | typing.SupportsIndex, p: typing.SupportsInt | typing.SupportsIndex, method: str, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def normalize_rows(x: numpy.typing.NDArray[numpy.float32], num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def normalize_rows(x: numpy.typing.NDArray[numpy.float64], num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def overlap_loss(input: numpy.typing.NDArray[numpy.float32], labels: numpy.typing.NDArray[numpy.int64] | None, targets: numpy.typing.NDArray[numpy.float32] | None, weight: numpy.typing.NDArray[numpy.float32] | None, kind: str, activation: str, include_background: bool, ignore_index: typing.SupportsInt | typing.SupportsIndex | None, squared_pred: bool, batch: bool, smooth_nr: typing.SupportsFloat | typing.SupportsIndex, smooth_dr: typing.SupportsFloat | typing.SupportsIndex, alpha: typing.SupportsFloat | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, empty: str, w_type: str, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def overlap_loss(input: numpy.typing.NDArray[numpy.float64], labels: numpy.typing.NDArray[numpy.int64] | None, targets: numpy.typing.NDArray[numpy.float64] | None, weight: numpy.typing.NDArray[numpy.float64] | None, kind: str, activation: str, include_background: bool, ignore_index: typing.SupportsInt | typing.SupportsIndex | None, squared_pred: bool, batch: bool, smooth_nr: typing.SupportsFloat | typing.SupportsIndex, smooth_dr: typing.SupportsFloat | typing.SupportsIndex, alpha: typing.SupportsFloat | typing.SupportsIndex, beta: typing.SupportsFloat | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, empty: str, w_type: str, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def pointwise_regression(pred: numpy.typing.NDArray[numpy.float32], target: numpy.typing.NDArray[numpy.float32], weight: numpy.typing.NDArray[numpy.float32] | None, kind: str, threshold: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def pointwise_regression(pred: numpy.typing.NDArray[numpy.float64], target: numpy.typing.NDArray[numpy.float64], weight: numpy.typing.NDArray[numpy.float64] | None, kind: str, threshold: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def policy_gradient_loss(logits: numpy.typing.NDArray[numpy.float32], actions: numpy.typing.NDArray[numpy.int64], advantages: numpy.typing.NDArray[numpy.float32], weights: numpy.typing.NDArray[numpy.float32] | None, entropy_coef: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def policy_gradient_loss(logits: numpy.typing.NDArray[numpy.float64], actions: numpy.typing.NDArray[numpy.int64], advantages: numpy.typing.NDArray[numpy.float64], weights: numpy.typing.NDArray[numpy.float64] | None, entropy_coef: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def q_learning_loss(q_tm1: numpy.typing.NDArray[numpy.float32], a_tm1: numpy.typing.NDArray[numpy.int64], r_t: numpy.typing.NDArray[numpy.float32], discount_t: numpy.typing.NDArray[numpy.float32], q_t: numpy.typing.NDArray[numpy.float32], q_t_selector: numpy.typing.NDArray[numpy.float32] | None, weights: numpy.typing.NDArray[numpy.float32] | None, loss: str, delta: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def q_learning_loss(q_tm1: numpy.typing.NDArray[numpy.float64], a_tm1: numpy.typing.NDArray[numpy.int64], r_t: numpy.typing.NDArray[numpy.float64], discount_t: numpy.typing.NDArray[numpy.float64], q_t: numpy.typing.NDArray[numpy.float64], q_t_selector: numpy.typing.NDArray[numpy.float64] | None, weights: numpy.typing.NDArray[numpy.float64] | None, loss: str, delta: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def residual_standard_error(pred: numpy.typing.NDArray[numpy.float32], target: numpy.typing.NDArray[numpy.float32], weight: numpy.typing.NDArray[numpy.float32] | None, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def residual_standard_error(pred: numpy.typing.NDArray[numpy.float64], target: numpy.typing.NDArray[numpy.float64], weight: numpy.typing.NDArray[numpy.float64] | None, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def sigmoid_focal_loss(logits: numpy.typing.NDArray[numpy.float32], targets: numpy.typing.NDArray[numpy.float32], alpha: typing.SupportsFloat | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def sigmoid_focal_loss(logits: numpy.typing.NDArray[numpy.float64], targets: numpy.typing.NDArray[numpy.float64], alpha: typing.SupportsFloat | typing.SupportsIndex, gamma: typing.SupportsFloat | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def sinkhorn(x: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float32], x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], power: typing.SupportsFloat | typing.SupportsIndex, epsilon: typing.SupportsFloat | typing.SupportsIndex, scaling: typing.SupportsFloat | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex, tol: typing.SupportsFloat | typing.SupportsIndex, debias: bool, want_grad: bool, grad_scale: numpy.typing.NDArray[numpy.float64], dense_cost_entries: typing.SupportsInt | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
@typing.overload
def sinkhorn(x: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], x_lengths: numpy.typing.NDArray[numpy.int64] | None, y_lengths: numpy.typing.NDArray[numpy.int64] | None, a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], power: typing.SupportsFloat | typing.SupportsIndex, epsilon: typing.SupportsFloat | typing.SupportsIndex, scaling: typing.SupportsFloat | typing.SupportsIndex, max_iter: typing.SupportsInt | typing.SupportsIndex, tol: typing.SupportsFloat | typing.SupportsIndex, debias: bool, want_grad: bool, grad_scale: numpy.typing.NDArray[numpy.float64], dense_cost_entries: typing.SupportsInt | typing.SupportsIndex, num_threads: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
@typing.overload
def softmax_focal_loss(logits: numpy.typing.NDArray[numpy.float32], labels: numpy.typing.NDArray[numpy.int64], alpha: numpy.typing.NDArray[numpy.float32] | None, gamma: typing.SupportsFloat | typing.SupportsIndex, ignore_index: typing.SupportsInt | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def softmax_focal_loss(logits: numpy.typing.NDArray[numpy.float64], labels: numpy.typing.NDArray[numpy.int64], alpha: numpy.typing.NDArray[numpy.float64] | None, gamma: typing.SupportsFloat | typing.SupportsIndex, ignore_index: typing.SupportsInt | typing.SupportsIndex, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
def threads_contended() -> bool:
    """
    Whether calls with the default thread count run on one thread now (a busy machine).
    """
@typing.overload
def triplet_margin_loss(anchor: numpy.typing.NDArray[numpy.float32], positive: numpy.typing.NDArray[numpy.float32], negative: numpy.typing.NDArray[numpy.float32], margin: typing.SupportsFloat | typing.SupportsIndex, p: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, swap: bool, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float32] | None, grad_out: numpy.typing.NDArray[numpy.float32] | None, grad_out_p: numpy.typing.NDArray[numpy.float32] | None, grad_out_n: numpy.typing.NDArray[numpy.float32] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def triplet_margin_loss(anchor: numpy.typing.NDArray[numpy.float64], positive: numpy.typing.NDArray[numpy.float64], negative: numpy.typing.NDArray[numpy.float64], margin: typing.SupportsFloat | typing.SupportsIndex, p: typing.SupportsFloat | typing.SupportsIndex, eps: typing.SupportsFloat | typing.SupportsIndex, swap: bool, reduction: str, want_grad: bool, grad_scale: typing.SupportsFloat | typing.SupportsIndex, grad_output: numpy.typing.NDArray[numpy.float64] | None, grad_out: numpy.typing.NDArray[numpy.float64] | None, grad_out_p: numpy.typing.NDArray[numpy.float64] | None, grad_out_n: numpy.typing.NDArray[numpy.float64] | None, num_threads: typing.SupportsInt | typing.SupportsIndex) -> tuple:
    ...
@typing.overload
def wasserstein_1d(u: numpy.typing.NDArray[numpy.float32], v: numpy.typing.NDArray[numpy.float32], u_order: numpy.typing.NDArray[numpy.int64] | None, v_order: numpy.typing.NDArray[numpy.int64] | None, u_mass: numpy.typing.NDArray[numpy.float64] | None, v_mass: numpy.typing.NDArray[numpy.float64] | None, power: typing.SupportsFloat | typing.SupportsIndex, want_grad: bool, want_mass_grad: bool, grad_scale: numpy.typing.NDArray[numpy.float64], num_threads: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
@typing.overload
def wasserstein_1d(u: numpy.typing.NDArray[numpy.float64], v: numpy.typing.NDArray[numpy.float64], u_order: numpy.typing.NDArray[numpy.int64] | None, v_order: numpy.typing.NDArray[numpy.int64] | None, u_mass: numpy.typing.NDArray[numpy.float64] | None, v_mass: numpy.typing.NDArray[numpy.float64] | None, power: typing.SupportsFloat | typing.SupportsIndex, want_grad: bool, want_mass_grad: bool, grad_scale: numpy.typing.NDArray[numpy.float64], num_threads: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
SMALL_CLASSES: int = 64
__version__: str = '0.1.0'
