"""Reference overlap losses (float64; one-hot targets and probabilities materialised, analytic
gradients by the chain rule through the per-class sums and the activation)."""

from __future__ import annotations

import numpy as np

from ._common import deliver, f64, grad_coef, reduce, sigmoid

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


def _probabilities(x: np.ndarray, activation) -> np.ndarray:
    if activation == "softmax":
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if activation == "sigmoid":
        return sigmoid(x)
    return x


def _activation_backward(p: np.ndarray, g: np.ndarray, activation) -> np.ndarray:
    if activation == "softmax":
        return p * (g - (p * g).sum(axis=1, keepdims=True))
    if activation == "sigmoid":
        return g * p * (1 - p)
    return g


def _dense_targets(targets, shape, ignore_index):
    """(one-hot or soft targets (N, C, S), valid mask (N, 1, S))."""
    n, c = shape[:2]
    t = np.asarray(targets)
    if t.shape == shape:
        return f64(t).reshape(n, c, -1), np.ones((n, 1, t[:, 0].size // n))
    y = t.reshape(n, -1).astype(np.int64)
    valid = np.ones(y.shape) if ignore_index is None else (y != ignore_index).astype(float)
    classes = np.array([1]) if c == 1 else np.arange(c)  # one channel: label 1 is foreground
    onehot = (y[:, None, :] == classes[None, :, None]).astype(float)
    return onehot, valid[:, None, :]


def _index_coefficients(kind, alpha, beta):
    """(k, u, a, b) of I = (k TP + s_nr) / (u TP + a Sp + b St + s_dr)."""
    if kind == "dice":
        return 2.0, 0.0, 1.0, 1.0
    if kind == "jaccard":
        return 1.0, -1.0, 1.0, 1.0
    return 1.0, 1.0 - alpha - beta, alpha, beta


def _generalized_weights(st, w_type):
    with np.errstate(divide="ignore"):
        w = {"square": 1.0 / st**2, "simple": 1.0 / st, "uniform": np.ones_like(st)}[w_type]
    infinite = np.isinf(w)
    w = np.where(infinite, 0.0, w)
    return np.where(infinite, w.max(axis=-1, keepdims=True), w)


def overlap_value_and_grad(kind, logits_or_probs, targets, *, activation="softmax",
                           include_background=True, weight=None, ignore_index=None,
                           squared_pred=False, batch=False, smooth_nr=1e-5, smooth_dr=1e-5,
                           alpha=0.5, beta=0.5, gamma=1.0, empty="smooth", w_type="square",
                           reduction="mean", grad_output=None, grad_out=None):
    x = f64(logits_or_probs)
    n, c = x.shape[:2]
    p = _probabilities(x.reshape(n, c, -1), activation)
    t, valid = _dense_targets(targets, x.shape, ignore_index)
    c0 = 0 if include_background else 1
    pv, tv = p[:, c0:] * valid, t[:, c0:] * valid
    axes = (0, 2) if batch else (2,)
    tp = (pv * tv).sum(axes)
    sp = (pv * pv if squared_pred else pv).sum(axes)
    st = (tv * tv if squared_pred else tv).sum(axes)
    if batch:
        tp, sp, st = tp[None], sp[None], st[None]
    if kind == "generalized_dice":
        w = _generalized_weights(st, w_type)
        num = 2 * (w * tp).sum(-1) + smooth_nr
        den = (w * (sp + st)).sum(-1) + smooth_dr
        safe = np.where(den == 0, 1.0, den)
        index = np.where(den == 0, 1.0, num / safe)
        per = 1 - index
        zero = (den == 0)[:, None]
        d_tp = np.where(zero, 0.0, -2 * w / safe[:, None])
        d_sp = np.where(zero, 0.0, w * num[:, None] / safe[:, None] ** 2)
        counted = np.ones(per.shape, dtype=bool)
        item_shape = () if batch else (n,)
    else:
        k, u, a, b = _index_coefficients(kind, alpha, beta)
        cw = np.ones(c) if weight is None else f64(weight)
        if cw.ndim == 0:
            cw = np.full(c, cw)
        cw = cw[c0:] if len(cw) == c else cw  # (C - 1,): MONAI's form without the background
        num = k * tp + smooth_nr
        den = u * tp + a * sp + b * st + smooth_dr
        safe = np.where(den == 0, 1.0, den)
        index = np.where(den == 0, 1.0, num / safe)
        d_index_tp = np.where(den == 0, 0.0, k / safe - num * u / safe**2)
        d_index_sp = np.where(den == 0, 0.0, -num * a / safe**2)
        if gamma == 1:
            per, dper = cw * (1 - index), -cw * np.ones_like(index)
        else:
            base = np.maximum(1 - index, 0.0)
            per = cw * base**gamma
            with np.errstate(divide="ignore"):
                dper = np.where(base > 0, -cw * gamma * base ** (gamma - 1), 0.0)
        absent = (st == 0) & (empty != "smooth")
        per, dper = np.where(absent, 0.0, per), np.where(absent, 0.0, dper)
        counted = ~((st == 0) & (empty == "ignore"))
        d_tp, d_sp = dper * d_index_tp, dper * d_index_sp
        item_shape = (c - c0,) if batch else (n, c - c0)
    count = counted.sum()
    per = per.reshape(item_shape)
    coef = grad_coef(grad_output, reduction, item_shape, count).reshape(d_tp.shape[0], -1)
    d_tp, d_sp = coef * d_tp, coef * d_sp
    if batch:
        d_tp, d_sp = np.broadcast_to(d_tp, (n, c - c0)), np.broadcast_to(d_sp, (n, c - c0))
    dp = np.zeros_like(p)
    dsp_dp = 2 * pv if squared_pred else np.ones_like(pv)
    dp[:, c0:] = valid * (d_tp[..., None] * tv + d_sp[..., None] * dsp_dp)
    grad = _activation_backward(p, dp, activation).reshape(x.shape)
    return deliver(reduce(per, reduction, count), grad, grad_out)


# ---- the public signatures, forwarding to overlap_value_and_grad ---------------------------

def dice_loss_value_and_grad(logits_or_probs, targets, *, activation="softmax",
                             include_background=True, squared_pred=False, batch=False,
                             weight=None, ignore_index=None, smooth_nr=1e-5, smooth_dr=1e-5,
                             empty="smooth", reduction="mean", grad_output=None, grad_out=None,
                             num_threads=None):
    return overlap_value_and_grad(
        "dice", logits_or_probs, targets, activation=activation,
        include_background=include_background, squared_pred=squared_pred, batch=batch,
        weight=weight, ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        empty=empty, reduction=reduction, grad_output=grad_output, grad_out=grad_out)


def dice_loss(logits_or_probs, targets, *, activation="softmax", include_background=True,
              squared_pred=False, batch=False, weight=None, ignore_index=None, smooth_nr=1e-5,
              smooth_dr=1e-5, empty="smooth", reduction="mean", num_threads=None):
    return dice_loss_value_and_grad(
        logits_or_probs, targets, activation=activation, include_background=include_background,
        squared_pred=squared_pred, batch=batch, weight=weight, ignore_index=ignore_index,
        smooth_nr=smooth_nr, smooth_dr=smooth_dr, empty=empty, reduction=reduction)[0]


def jaccard_loss_value_and_grad(logits_or_probs, targets, *, activation="softmax",
                                include_background=True, squared_pred=False, batch=False,
                                weight=None, ignore_index=None, smooth_nr=1e-5, smooth_dr=1e-5,
                                empty="smooth", reduction="mean", grad_output=None,
                                grad_out=None, num_threads=None):
    return overlap_value_and_grad(
        "jaccard", logits_or_probs, targets, activation=activation,
        include_background=include_background, squared_pred=squared_pred, batch=batch,
        weight=weight, ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        empty=empty, reduction=reduction, grad_output=grad_output, grad_out=grad_out)


def jaccard_loss(logits_or_probs, targets, *, activation="softmax", include_background=True,
                 squared_pred=False, batch=False, weight=None, ignore_index=None, smooth_nr=1e-5,
                 smooth_dr=1e-5, empty="smooth", reduction="mean", num_threads=None):
    return jaccard_loss_value_and_grad(
        logits_or_probs, targets, activation=activation, include_background=include_background,
        squared_pred=squared_pred, batch=batch, weight=weight, ignore_index=ignore_index,
        smooth_nr=smooth_nr, smooth_dr=smooth_dr, empty=empty, reduction=reduction)[0]


def tversky_loss_value_and_grad(logits_or_probs, targets, *, activation="softmax", alpha=0.5,
                                beta=0.5, include_background=True, batch=False, weight=None,
                                ignore_index=None, smooth_nr=1e-5, smooth_dr=1e-5,
                                empty="smooth", reduction="mean", grad_output=None,
                                grad_out=None, num_threads=None):
    return overlap_value_and_grad(
        "tversky", logits_or_probs, targets, activation=activation, alpha=alpha, beta=beta,
        include_background=include_background, batch=batch, weight=weight,
        ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr, empty=empty,
        reduction=reduction, grad_output=grad_output, grad_out=grad_out)


def tversky_loss(logits_or_probs, targets, *, activation="softmax", alpha=0.5, beta=0.5,
                 include_background=True, batch=False, weight=None, ignore_index=None,
                 smooth_nr=1e-5, smooth_dr=1e-5, empty="smooth", reduction="mean",
                 num_threads=None):
    return tversky_loss_value_and_grad(
        logits_or_probs, targets, activation=activation, alpha=alpha, beta=beta,
        include_background=include_background, batch=batch, weight=weight,
        ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr, empty=empty,
        reduction=reduction)[0]


def focal_tversky_loss_value_and_grad(logits_or_probs, targets, *, activation="softmax",
                                      alpha=0.3, beta=0.7, gamma=0.75, include_background=True,
                                      batch=False, weight=None, ignore_index=None,
                                      smooth_nr=1e-5, smooth_dr=1e-5, empty="smooth",
                                      reduction="mean", grad_output=None, grad_out=None,
                                      num_threads=None):
    return overlap_value_and_grad(
        "tversky", logits_or_probs, targets, activation=activation, alpha=alpha, beta=beta,
        gamma=gamma, include_background=include_background, batch=batch, weight=weight,
        ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr, empty=empty,
        reduction=reduction, grad_output=grad_output, grad_out=grad_out)


def focal_tversky_loss(logits_or_probs, targets, *, activation="softmax", alpha=0.3, beta=0.7,
                       gamma=0.75, include_background=True, batch=False, weight=None,
                       ignore_index=None, smooth_nr=1e-5, smooth_dr=1e-5, empty="smooth",
                       reduction="mean", num_threads=None):
    return focal_tversky_loss_value_and_grad(
        logits_or_probs, targets, activation=activation, alpha=alpha, beta=beta, gamma=gamma,
        include_background=include_background, batch=batch, weight=weight,
        ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr, empty=empty,
        reduction=reduction)[0]


def generalized_dice_loss_value_and_grad(logits_or_probs, targets, *, activation="softmax",
                                         include_background=True, w_type="square", batch=False,
                                         ignore_index=None, smooth_nr=1e-5, smooth_dr=1e-5,
                                         reduction="mean", grad_output=None, grad_out=None,
                                         num_threads=None):
    return overlap_value_and_grad(
        "generalized_dice", logits_or_probs, targets, activation=activation,
        include_background=include_background, w_type=w_type, batch=batch,
        ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
        reduction=reduction, grad_output=grad_output, grad_out=grad_out)


def generalized_dice_loss(logits_or_probs, targets, *, activation="softmax",
                          include_background=True, w_type="square", batch=False,
                          ignore_index=None, smooth_nr=1e-5, smooth_dr=1e-5, reduction="mean",
                          num_threads=None):
    return generalized_dice_loss_value_and_grad(
        logits_or_probs, targets, activation=activation, include_background=include_background,
        w_type=w_type, batch=batch, ignore_index=ignore_index, smooth_nr=smooth_nr,
        smooth_dr=smooth_dr, reduction=reduction)[0]
