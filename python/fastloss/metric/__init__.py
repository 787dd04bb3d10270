"""Metric learning: pair losses (contrastive, triplet, angular, margin ranking) and labelled-batch losses."""

from __future__ import annotations

from . import _pairs
from ._batch import (
    batch_angular_loss,
    batch_angular_loss_value_and_grad,
    batch_contrastive_loss,
    batch_contrastive_loss_value_and_grad,
    batch_triplet_loss,
    batch_triplet_loss_value_and_grad,
)
from ._pairs import *

__all__ = [
    "batch_angular_loss",
    "batch_angular_loss_value_and_grad",
    "batch_contrastive_loss",
    "batch_contrastive_loss_value_and_grad",
    "batch_triplet_loss",
    "batch_triplet_loss_value_and_grad",
]
__all__ += _pairs.__all__
