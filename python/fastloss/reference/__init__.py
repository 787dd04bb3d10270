"""Pure-NumPy reference implementations of every fastloss loss.

Same names and signatures as the public API; computed in float64 whatever the input dtype,
with the gradients written out analytically from the formulas. They are slow and plain on
purpose: the tests hold the native kernels against them, and they never import ``_core``.
``num_threads`` is accepted for signature compatibility and ignored.
"""

from __future__ import annotations

from ._classification import (
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
from ._regression import (
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
from ._rl import (
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

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_value_and_grad",
    "cross_entropy",
    "cross_entropy_value_and_grad",
    "discounted_returns",
    "discounted_returns_value_and_grad",
    "distillation_kl",
    "distillation_kl_value_and_grad",
    "generalized_advantage_estimation",
    "generalized_advantage_estimation_value_and_grad",
    "huber_loss",
    "huber_loss_value_and_grad",
    "kl_divergence",
    "kl_divergence_value_and_grad",
    "lambda_returns",
    "lambda_returns_value_and_grad",
    "mae",
    "mae_value_and_grad",
    "mse",
    "mse_value_and_grad",
    "n_step_returns",
    "n_step_returns_value_and_grad",
    "policy_gradient_loss",
    "policy_gradient_loss_value_and_grad",
    "q_learning_loss",
    "q_learning_loss_value_and_grad",
    "rse",
    "rse_value_and_grad",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_value_and_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_value_and_grad",
    "softmax_focal_loss",
    "softmax_focal_loss_value_and_grad",
    "sse",
    "sse_value_and_grad",
]
