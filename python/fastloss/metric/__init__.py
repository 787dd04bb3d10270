"""Metric learning: pair losses (contrastive, triplet, angular, margin ranking) and labelled-batch losses."""

from __future__ import annotations

from ._batch import (
    batch_angular_loss,
    batch_angular_loss_value_and_grad,
    batch_contrastive_loss,
    batch_contrastive_loss_value_and_grad,
    batch_triplet_loss,
    batch_triplet_loss_value_and_grad,
)
from ._pairs import (
    angular_loss,
    angular_loss_value_and_grad,
    contrastive_loss,
    contrastive_loss_value_and_grad,
    margin_ranking_loss,
    margin_ranking_loss_value_and_grad,
    triplet_margin_loss,
    triplet_margin_loss_value_and_grad,
)

__all__ = [
    "angular_loss",
    "angular_loss_value_and_grad",
    "batch_angular_loss",
    "batch_angular_loss_value_and_grad",
    "batch_contrastive_loss",
    "batch_contrastive_loss_value_and_grad",
    "batch_triplet_loss",
    "batch_triplet_loss_value_and_grad",
    "contrastive_loss",
    "contrastive_loss_value_and_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_value_and_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_value_and_grad",
]
