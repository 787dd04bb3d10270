"""Reference classification losses (float64, analytic gradients w.r.t. the logits/input)."""

from __future__ import annotations

import numpy as np

from ._common import (
    deliver,
    f64,
    from_rows,
    grad_coef,
    item_shape,
    log_softmax,
    reduce,
    sigmoid,
    softplus,
    to_rows,
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


def _alpha_t(alpha, t):
    return np.ones_like(t) if alpha is None else alpha * t + (1 - alpha) * (1 - t)


# ---- binary cross-entropy --------------------------------------------------------------------

def binary_cross_entropy_value_and_grad(logits, targets, *, weight=None, pos_weight=None,
                                        alpha=None, reduction="mean", grad_output=None, grad_out=None,
                                        num_threads=None):
    x, t = f64(logits), f64(targets)
    w = np.ones_like(x) if weight is None else np.broadcast_to(f64(weight), x.shape)
    pw = 1.0 if pos_weight is None else f64(pos_weight)
    scale = w * _alpha_t(alpha, t)
    per = scale * (pw * t * softplus(-x) + (1 - t) * softplus(x))
    dloss = scale * ((1 - t) * sigmoid(x) - pw * t * sigmoid(-x))
    coef = grad_coef(grad_output, reduction, x.shape, x.size)
    return deliver(reduce(per, reduction, x.size), coef * dloss, grad_out)


def binary_cross_entropy(logits, targets, *, weight=None, pos_weight=None, alpha=None,
                         reduction="mean", num_threads=None):
    return binary_cross_entropy_value_and_grad(logits, targets, weight=weight,
                                               pos_weight=pos_weight, alpha=alpha,
                                               reduction=reduction)[0]


# ---- sigmoid focal (torchvision's formula) --------------------------------------------------

def sigmoid_focal_loss_value_and_grad(logits, targets, *, alpha=0.25, gamma=2.0,
                                      reduction="mean", grad_output=None, grad_out=None, num_threads=None):
    x, t = f64(logits), f64(targets)
    p, q = sigmoid(x), sigmoid(-x)
    ce = softplus(x) - x * t
    m = p * (1 - t) + q * t  # 1 - p_t
    at = _alpha_t(alpha, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.ones_like(x) if gamma == 0 else m ** gamma
        # d m^gamma / dx = gamma m^(gamma - 1) * p q (1 - 2t); its limit is 0 where m = 0.
        dmod = np.where(m > 0, gamma * m ** (gamma - 1) * p * q * (1 - 2 * t), 0.0)
    per = at * ce * mod
    dloss = at * ((p - t) * mod + ce * dmod)
    coef = grad_coef(grad_output, reduction, x.shape, x.size)
    return deliver(reduce(per, reduction, x.size), coef * dloss, grad_out)


def sigmoid_focal_loss(logits, targets, *, alpha=0.25, gamma=2.0, reduction="mean",
                       num_threads=None):
    return sigmoid_focal_loss_value_and_grad(logits, targets, alpha=alpha, gamma=gamma,
                                             reduction=reduction)[0]


# ---- softmax cross-entropy (torch.nn.functional.cross_entropy) -------------------------------

def cross_entropy_value_and_grad(logits, labels_or_probs, *, weight=None, ignore_index=-100,
                                 label_smoothing=0.0, reduction="mean", grad_output=None, grad_out=None,
                                 num_threads=None):
    x = f64(logits)
    target = np.asarray(labels_or_probs)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    rows = to_rows(x)
    logp = log_softmax(rows)
    p = np.exp(logp)
    w = np.ones(c) if weight is None else f64(weight)
    eps = label_smoothing
    if target.dtype.kind == "f":
        tp = (1 - eps) * to_rows(f64(target)) + eps / c
        per = -(w * tp * logp).sum(axis=1)
        drows = (w * tp).sum(axis=1, keepdims=True) * p - w * tp
        denom = rows.shape[0]
    else:
        y = target.reshape(-1).astype(np.int64)
        valid = y != ignore_index
        yv = np.where(valid, y, 0)
        wy = w[yv] * valid
        idx = np.arange(rows.shape[0])
        nll = -logp[idx, yv]
        smooth = -(logp * w).sum(axis=1)
        # ignored rows contribute nothing, whatever their logits (NaN included)
        per = np.where(valid, (1 - eps) * wy * nll + eps / c * smooth, 0.0)
        onehot = np.zeros_like(rows)
        onehot[idx, yv] = 1.0
        drows = ((1 - eps) * wy)[:, None] * (p - onehot) + \
            (eps / c) * valid[:, None] * (w.sum() * p - w)
        denom = wy.sum()
    shape = item_shape(x.shape)
    coef = grad_coef(grad_output, reduction, shape, denom).reshape(-1, 1)
    return deliver(reduce(per.reshape(shape), reduction, denom), from_rows(coef * drows, x.shape),
                   grad_out)


def cross_entropy(logits, labels_or_probs, *, weight=None, ignore_index=-100,
                  label_smoothing=0.0, reduction="mean", num_threads=None):
    return cross_entropy_value_and_grad(logits, labels_or_probs, weight=weight,
                                        ignore_index=ignore_index,
                                        label_smoothing=label_smoothing, reduction=reduction)[0]


# ---- softmax focal ---------------------------------------------------------------------------

def softmax_focal_loss_value_and_grad(logits, labels, *, alpha=None, gamma=2.0,
                                      ignore_index=-100, reduction="mean", grad_output=None, grad_out=None,
                                      num_threads=None):
    x = f64(logits)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    rows = to_rows(x)
    logp = log_softmax(rows)
    p = np.exp(logp)
    y = np.asarray(labels).reshape(-1).astype(np.int64)
    valid = y != ignore_index
    yv = np.where(valid, y, 0)
    idx = np.arange(rows.shape[0])
    a = np.ones(c) if alpha is None else np.broadcast_to(f64(alpha), (c,))
    ay = a[yv] * valid
    logpy = logp[idx, yv]
    py = np.exp(logpy)
    one_minus = -np.expm1(logpy)
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.ones_like(py) if gamma == 0 else one_minus ** gamma
        # dL/dp_y = -a [(1-p)^g / p - g (1-p)^(g-1) log p]; times dp_y/dx_c = p_y ([c=y] - p_c)
        dmod_term = np.where(one_minus > 0, gamma * one_minus ** (gamma - 1) * py * logpy, -0.0)
        if gamma == 0:
            dmod_term = np.zeros_like(py)
    per = np.where(valid, -ay * mod * logpy, 0.0)  # ignored rows: nothing, NaN logits included
    big_g = ay * (mod - dmod_term)
    onehot = np.zeros_like(rows)
    onehot[idx, yv] = 1.0
    drows = big_g[:, None] * (p - onehot)
    shape = item_shape(x.shape)
    denom = float(valid.sum())
    coef = grad_coef(grad_output, reduction, shape, denom).reshape(-1, 1)
    return deliver(reduce(per.reshape(shape), reduction, denom), from_rows(coef * drows, x.shape),
                   grad_out)


def softmax_focal_loss(logits, labels, *, alpha=None, gamma=2.0, ignore_index=-100,
                       reduction="mean", num_threads=None):
    return softmax_focal_loss_value_and_grad(logits, labels, alpha=alpha, gamma=gamma,
                                             ignore_index=ignore_index, reduction=reduction)[0]


# ---- KL divergence ---------------------------------------------------------------------------

def kl_divergence_value_and_grad(input, target, *, log_input=False, log_target=False,
                                 reduction="mean", grad_output=None, grad_out=None, num_threads=None):
    x, t = f64(input), f64(target)
    p = np.exp(t) if log_target else t
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = t if log_target else np.log(t)
        log_q = x if log_input else np.log(x)
        per = np.where(p == 0, 0.0, p * (log_p - log_q))
        dloss = -p if log_input else np.where(p == 0, 0.0, -p / x)
    denom = (x.shape[0] if x.ndim else 1) if reduction == "batchmean" else x.size
    kind = "mean" if reduction == "batchmean" else reduction
    coef = grad_coef(grad_output, kind, x.shape, denom)
    return deliver(reduce(per, kind, denom), coef * dloss, grad_out)


def kl_divergence(input, target, *, log_input=False, log_target=False, reduction="mean",
                  num_threads=None):
    return kl_divergence_value_and_grad(input, target, log_input=log_input,
                                        log_target=log_target, reduction=reduction)[0]


# ---- distillation ----------------------------------------------------------------------------

def distillation_kl_value_and_grad(student_logits, teacher_logits, *, temperature=1.0,
                                   reduction="mean", grad_output=None, grad_out=None, num_threads=None):
    s, t = f64(student_logits), f64(teacher_logits)
    kind = "mean" if reduction == "batchmean" else reduction
    temp = float(temperature)
    log_q = log_softmax(to_rows(s) / temp)
    log_p = log_softmax(to_rows(t) / temp)
    p, q = np.exp(log_p), np.exp(log_q)
    per = temp * temp * np.where(p == 0, 0.0, p * (log_p - log_q)).sum(axis=1)
    shape = item_shape(s.shape)
    denom = float(per.size)
    coef = grad_coef(grad_output, kind, shape, denom).reshape(-1, 1)
    return deliver(reduce(per.reshape(shape), kind, denom),
                   from_rows(coef * temp * (q - p), s.shape), grad_out)


def distillation_kl(student_logits, teacher_logits, *, temperature=1.0, reduction="mean",
                    num_threads=None):
    return distillation_kl_value_and_grad(student_logits, teacher_logits,
                                          temperature=temperature, reduction=reduction)[0]
