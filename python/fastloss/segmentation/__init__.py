"""Segmentation losses: Dice, Tversky, focal Tversky, Jaccard, generalized Dice."""

from __future__ import annotations

from ._overlap import (
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

__all__ = [
    "dice_loss",
    "dice_loss_value_and_grad",
    "focal_tversky_loss",
    "focal_tversky_loss_value_and_grad",
    "generalized_dice_loss",
    "generalized_dice_loss_value_and_grad",
    "jaccard_loss",
    "jaccard_loss_value_and_grad",
    "tversky_loss",
    "tversky_loss_value_and_grad",
]
