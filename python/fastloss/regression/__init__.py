"""Regression losses: SSE, MSE, MAE, RSE, Huber and smooth L1."""

from __future__ import annotations

from ._losses import (
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

__all__ = [
    "huber_loss",
    "huber_loss_value_and_grad",
    "mae",
    "mae_value_and_grad",
    "mse",
    "mse_value_and_grad",
    "rse",
    "rse_value_and_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_value_and_grad",
    "sse",
    "sse_value_and_grad",
]
