"""fastloss: loss functions and their gradients on the CPU, fast.

Every loss is a pure function of NumPy arrays returning its value; ``<loss>_value_and_grad``
returns ``(value, grad)`` from the same fused native pass. ``fastloss.reference`` holds a pure
NumPy implementation of every loss with the same names and signatures.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fastloss")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0+unknown"

from . import _config, _docs, reference
from ._config import get_num_threads, has_openmp, set_num_threads, show_config
from .classification import (
    binary_cross_entropy,
    binary_cross_entropy_value_and_grad,
    cross_entropy,
    cross_entropy_value_and_grad,
    distillation_kl,
    distillation_kl_value_and_grad,
    kl_divergence,
    kl_divergence_value_and_grad,
    sigmoid_focal_loss,
    sigmoid_focal_loss_value_and_grad,
    softmax_focal_loss,
    softmax_focal_loss_value_and_grad,
)
from .metric import (
    angular_loss,
    angular_loss_value_and_grad,
    batch_angular_loss,
    batch_angular_loss_value_and_grad,
    batch_contrastive_loss,
    batch_contrastive_loss_value_and_grad,
    batch_triplet_loss,
    batch_triplet_loss_value_and_grad,
    contrastive_loss,
    contrastive_loss_value_and_grad,
    margin_ranking_loss,
    margin_ranking_loss_value_and_grad,
    triplet_margin_loss,
    triplet_margin_loss_value_and_grad,
)
from .pointcloud import (
    chamfer_distance,
    chamfer_distance_value_and_grad,
    nearest_neighbors,
)
from .regression import (
    huber_loss,
    huber_loss_value_and_grad,
    mae,
    mae_value_and_grad,
    mse,
    mse_value_and_grad,
    rse,
    rse_value_and_grad,
    smooth_l1_loss,
    smooth_l1_loss_value_and_grad,
    sse,
    sse_value_and_grad,
)
from .rl import (
    discounted_returns,
    discounted_returns_value_and_grad,
    generalized_advantage_estimation,
    generalized_advantage_estimation_value_and_grad,
    lambda_returns,
    lambda_returns_value_and_grad,
    n_step_returns,
    n_step_returns_value_and_grad,
    policy_gradient_loss,
    policy_gradient_loss_value_and_grad,
    q_learning_loss,
    q_learning_loss_value_and_grad,
)
from .segmentation import (
    dice_loss,
    dice_loss_value_and_grad,
    focal_tversky_loss,
    focal_tversky_loss_value_and_grad,
    generalized_dice_loss,
    generalized_dice_loss_value_and_grad,
    jaccard_loss,
    jaccard_loss_value_and_grad,
    tversky_loss,
    tversky_loss_value_and_grad,
)
from .transport import (
    EmdResult,
    emd,
    emd_from_cost,
    emd_from_cost_value_and_grad,
    emd_solve,
    emd_value_and_grad,
    sinkhorn,
    sinkhorn_value_and_grad,
    wasserstein_1d,
    wasserstein_1d_value_and_grad,
)

__all__ = [
    "EmdResult",
    "__version__",
    "angular_loss",
    "angular_loss_value_and_grad",
    "batch_angular_loss",
    "batch_angular_loss_value_and_grad",
    "batch_contrastive_loss",
    "batch_contrastive_loss_value_and_grad",
    "batch_triplet_loss",
    "batch_triplet_loss_value_and_grad",
    "binary_cross_entropy",
    "binary_cross_entropy_value_and_grad",
    "chamfer_distance",
    "chamfer_distance_value_and_grad",
    "contrastive_loss",
    "contrastive_loss_value_and_grad",
    "cross_entropy",
    "cross_entropy_value_and_grad",
    "dice_loss",
    "dice_loss_value_and_grad",
    "discounted_returns",
    "discounted_returns_value_and_grad",
    "distillation_kl",
    "distillation_kl_value_and_grad",
    "emd",
    "emd_from_cost",
    "emd_from_cost_value_and_grad",
    "emd_solve",
    "emd_value_and_grad",
    "focal_tversky_loss",
    "focal_tversky_loss_value_and_grad",
    "generalized_advantage_estimation",
    "generalized_advantage_estimation_value_and_grad",
    "generalized_dice_loss",
    "generalized_dice_loss_value_and_grad",
    "get_num_threads",
    "has_openmp",
    "huber_loss",
    "huber_loss_value_and_grad",
    "jaccard_loss",
    "jaccard_loss_value_and_grad",
    "kl_divergence",
    "kl_divergence_value_and_grad",
    "lambda_returns",
    "lambda_returns_value_and_grad",
    "mae",
    "mae_value_and_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_value_and_grad",
    "mse",
    "mse_value_and_grad",
    "n_step_returns",
    "n_step_returns_value_and_grad",
    "nearest_neighbors",
    "policy_gradient_loss",
    "policy_gradient_loss_value_and_grad",
    "q_learning_loss",
    "q_learning_loss_value_and_grad",
    "reference",
    "rse",
    "rse_value_and_grad",
    "set_num_threads",
    "show_config",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_value_and_grad",
    "sinkhorn",
    "sinkhorn_value_and_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_value_and_grad",
    "softmax_focal_loss",
    "softmax_focal_loss_value_and_grad",
    "sse",
    "sse_value_and_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_value_and_grad",
    "tversky_loss",
    "tversky_loss_value_and_grad",
    "wasserstein_1d",
    "wasserstein_1d_value_and_grad",
]

_docs.add_nan_policies(globals())
_config.check_dispatch_environment()
