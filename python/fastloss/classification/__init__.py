"""Classification losses: cross-entropy (binary and multi-class), KL divergence, distillation, focal losses."""

from __future__ import annotations

from ._cross_entropy import (
    binary_cross_entropy,
    binary_cross_entropy_value_and_grad,
    cross_entropy,
    cross_entropy_value_and_grad,
)
from ._divergence import (
    distillation_kl,
    distillation_kl_value_and_grad,
    kl_divergence,
    kl_divergence_value_and_grad,
)
from ._focal import (
    sigmoid_focal_loss,
    sigmoid_focal_loss_value_and_grad,
    softmax_focal_loss,
    softmax_focal_loss_value_and_grad,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_value_and_grad",
    "cross_entropy",
    "cross_entropy_value_and_grad",
    "distillation_kl",
    "distillation_kl_value_and_grad",
    "kl_divergence",
    "kl_divergence_value_and_grad",
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_value_and_grad",
    "softmax_focal_loss",
    "softmax_focal_loss_value_and_grad",
]
