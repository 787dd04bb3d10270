"""Helpers of the reference implementations (float64 throughout)."""

from __future__ import annotations

import numpy as np


def f64(x):
    return None if x is None else np.asarray(x, dtype=np.float64)


def reduce(per_item: np.ndarray, reduction: str, denominator: float):
    """The reduced loss; Mean with a zero denominator is 0 (fastloss's convention)."""
    if reduction == "none":
        return per_item
    total = np.float64(per_item.sum())
    if reduction == "sum":
        return total
    return np.float64(total / denominator) if denominator > 0 else np.float64(0.0)


def grad_coef(grad_output, reduction: str, item_shape: tuple, denominator: float) -> np.ndarray:
    """d total / d loss_i for each item: grad_output, divided by the Mean denominator."""
    g = np.ones(item_shape) if grad_output is None else np.broadcast_to(f64(grad_output), item_shape)
    if reduction == "mean":
        g = g / denominator if denominator > 0 else np.zeros(item_shape)
    return np.asarray(g, dtype=np.float64)


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax over the last axis."""
    m = x.max(axis=-1, keepdims=True)
    z = x - m
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def to_rows(x: np.ndarray) -> np.ndarray:
    """(C,), (N, C) or (N, C, d...) -> (rows, C), class axis 1 (PyTorch's layout)."""
    if x.ndim <= 2:
        return x.reshape(-1, x.shape[-1])
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def from_rows(rows: np.ndarray, shape: tuple) -> np.ndarray:
    if len(shape) <= 2:
        return rows.reshape(shape)
    n, c, *spatial = shape
    return np.moveaxis(rows.reshape(n, *spatial, c), -1, 1)


def item_shape(shape: tuple) -> tuple:
    return () if len(shape) == 1 else (shape[0], *shape[2:])


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def deliver(value, grad: np.ndarray, grad_out: np.ndarray | None):
    """(value, grad), the gradient written into the caller's buffer when one is given."""
    if grad_out is None:
        return value, grad
    np.copyto(grad_out, grad)
    return value, grad_out
