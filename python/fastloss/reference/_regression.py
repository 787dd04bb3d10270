"""Reference regression losses (float64, analytic gradients w.r.t. pred)."""

from __future__ import annotations

import numpy as np

from ._common import deliver, f64, grad_coef, reduce

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


def _pointwise(loss_and_grad, pred, target, weight, reduction, grad_output):
    p, t = f64(pred), f64(target)
    w = np.ones_like(p) if weight is None else np.broadcast_to(f64(weight), p.shape)
    e = p - t
    loss, dloss = loss_and_grad(e)
    per = w * loss
    coef = grad_coef(grad_output, reduction, p.shape, p.size)
    return reduce(per, reduction, p.size), coef * w * dloss


def _squared(e):
    return e * e, 2 * e


def _absolute(e):
    return np.abs(e), np.sign(e)


def _huber(delta):
    def f(e):
        inside = np.abs(e) < delta
        loss = np.where(inside, 0.5 * e * e, delta * (np.abs(e) - 0.5 * delta))
        return loss, np.clip(e, -delta, delta)
    return f


def _smooth_l1(beta):
    def f(e):
        if beta == 0:
            return np.abs(e), np.sign(e)
        inside = np.abs(e) < beta
        loss = np.where(inside, 0.5 * e * e / beta, np.abs(e) - 0.5 * beta)
        return loss, np.where(inside, e / beta, np.sign(e))
    return f


def sse_value_and_grad(pred, target, *, weight=None, reduction="sum", grad_output=None, grad_out=None,
                       num_threads=None):
    return deliver(*_pointwise(_squared, pred, target, weight, reduction, grad_output), grad_out)


def sse(pred, target, *, weight=None, reduction="sum", num_threads=None):
    return sse_value_and_grad(pred, target, weight=weight, reduction=reduction)[0]


def mse_value_and_grad(pred, target, *, weight=None, reduction="mean", grad_output=None, grad_out=None,
                       num_threads=None):
    return deliver(*_pointwise(_squared, pred, target, weight, reduction, grad_output), grad_out)


def mse(pred, target, *, weight=None, reduction="mean", num_threads=None):
    return mse_value_and_grad(pred, target, weight=weight, reduction=reduction)[0]


def mae_value_and_grad(pred, target, *, weight=None, reduction="mean", grad_output=None, grad_out=None,
                       num_threads=None):
    return deliver(*_pointwise(_absolute, pred, target, weight, reduction, grad_output), grad_out)


def mae(pred, target, *, weight=None, reduction="mean", num_threads=None):
    return mae_value_and_grad(pred, target, weight=weight, reduction=reduction)[0]


def huber_loss_value_and_grad(pred, target, *, delta=1.0, weight=None, reduction="mean",
                              grad_output=None, grad_out=None, num_threads=None):
    return deliver(*_pointwise(_huber(delta), pred, target, weight, reduction, grad_output),
                   grad_out)


def huber_loss(pred, target, *, delta=1.0, weight=None, reduction="mean", num_threads=None):
    return huber_loss_value_and_grad(pred, target, delta=delta, weight=weight,
                                     reduction=reduction)[0]


def smooth_l1_loss_value_and_grad(pred, target, *, beta=1.0, weight=None, reduction="mean",
                                  grad_output=None, grad_out=None, num_threads=None):
    return deliver(*_pointwise(_smooth_l1(beta), pred, target, weight, reduction, grad_output),
                   grad_out)


def smooth_l1_loss(pred, target, *, beta=1.0, weight=None, reduction="mean", num_threads=None):
    return smooth_l1_loss_value_and_grad(pred, target, beta=beta, weight=weight,
                                         reduction=reduction)[0]


def rse_value_and_grad(pred, target, *, weight=None, grad_output=None, grad_out=None, num_threads=None):
    p, t = f64(pred), f64(target)
    w = np.ones_like(p) if weight is None else np.broadcast_to(f64(weight), p.shape)
    e = p - t
    dof = p.size - 2
    value = np.sqrt((w * e * e).sum() / dof)
    g = 1.0 if grad_output is None else float(grad_output)
    grad = g * w * e / (dof * value) if value > 0 else np.zeros_like(p)
    return deliver(np.float64(value), grad, grad_out)


def rse(pred, target, *, weight=None, num_threads=None):
    return rse_value_and_grad(pred, target, weight=weight)[0]
