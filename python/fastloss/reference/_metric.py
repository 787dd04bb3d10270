"""Reference metric-learning losses on explicit pairs and triplets (float64)."""

from __future__ import annotations

import numpy as np

from ._common import f64, grad_coef, reduce

__all__ = [
    "angular_loss",
    "angular_loss_value_and_grad",
    "contrastive_loss",
    "contrastive_loss_value_and_grad",
    "margin_ranking_loss",
    "margin_ranking_loss_value_and_grad",
    "triplet_margin_loss",
    "triplet_margin_loss_value_and_grad",
]


def margin_ranking_loss_value_and_grad(x1, x2, y, *, margin=0.0, reduction="mean",
                                       grad_output=None, grad_out=None, num_threads=None):
    a, b = f64(x1), f64(x2)
    t = np.broadcast_to(f64(y), a.shape)
    v = margin - t * (a - b)
    per = np.maximum(v, 0.0)
    coef = grad_coef(grad_output, reduction, a.shape, a.size)
    g1 = coef * np.where(v > 0, -t, 0.0)
    grads = (g1, -g1)
    if grad_out is not None:
        for buf, g in zip(grad_out, grads):
            np.copyto(buf, g)
        grads = tuple(grad_out)
    return reduce(per, reduction, a.size), grads


def margin_ranking_loss(x1, x2, y, *, margin=0.0, reduction="mean", num_threads=None):
    return margin_ranking_loss_value_and_grad(x1, x2, y, margin=margin, reduction=reduction)[0]


def _norm_and_grad(v, p):
    """||v||_p per row and its gradient (0 where the norm is 0; for p = inf, sign(v_k) shared
    equally among the coordinates at the maximum)."""
    av = np.abs(v)
    if np.isinf(p):
        norm = av.max(-1)
        at_max = (av == norm[..., None]) & (norm[..., None] > 0)
        return norm, np.sign(v) * at_max / np.maximum(at_max.sum(-1, keepdims=True), 1)
    norm = (av**p).sum(-1) ** (1.0 / p)
    safe = np.where(norm > 0, norm, 1.0)[..., None]
    grad = np.sign(v) * (av / safe) ** (p - 1)
    return norm, np.where(norm[..., None] > 0, grad, 0.0)


def triplet_margin_loss_value_and_grad(anchor, positive, negative, *, margin=1.0, p=2.0,
                                       eps=1e-6, swap=False, reduction="mean", grad_output=None,
                                       grad_out=None, num_threads=None):
    a, ps, ng = f64(anchor), f64(positive), f64(negative)
    one = a.ndim == 1
    a, ps, ng = (z.reshape(1, -1) if one else z for z in (a, ps, ng))
    d_ap, u1 = _norm_and_grad(a - ps + eps, p)
    d_an, u2 = _norm_and_grad(a - ng + eps, p)
    use_pn = np.zeros(len(a), dtype=bool)
    d_neg = d_an
    u3 = np.zeros_like(u2)
    if swap:
        d_pn, u3 = _norm_and_grad(ps - ng + eps, p)
        use_pn = d_pn < d_an
        d_neg = np.where(use_pn, d_pn, d_an)
    v = d_ap - d_neg + margin
    per = np.maximum(v, 0.0)
    items = () if one else (len(a),)
    coef = grad_coef(grad_output, reduction, items, len(a)).reshape(-1)
    c = np.where(v > 0, coef, 0.0)[:, None]
    neg_a = np.where(use_pn[:, None], 0.0, u2)
    neg_p = np.where(use_pn[:, None], u3, 0.0)
    grads = tuple(g.reshape(-1) if one else g
                  for g in (c * (u1 - neg_a), c * (-u1 - neg_p), c * (neg_a + neg_p)))
    if grad_out is not None:
        for buf, g in zip(grad_out, grads):
            np.copyto(buf, g)
        grads = tuple(grad_out)
    return reduce(per.reshape(items), reduction, len(a)), grads


def triplet_margin_loss(anchor, positive, negative, *, margin=1.0, p=2.0, eps=1e-6, swap=False,
                        reduction="mean", num_threads=None):
    return triplet_margin_loss_value_and_grad(anchor, positive, negative, margin=margin, p=p,
                                              eps=eps, swap=swap, reduction=reduction)[0]


def _copy_out(grads, grad_out):
    if grad_out is None:
        return grads
    for buf, g in zip(grad_out, grads):
        np.copyto(buf, g)
    return tuple(grad_out)


def _hinge(v, hinge):
    """h(v) and h'(v): 1/2 max(0, v)^2 or max(0, v); NaN in, NaN out."""
    act = ~(v <= 0)  # NaN counts as active, so that it reaches the loss
    if hinge == "squared":
        return np.where(act, 0.5 * v * v, 0.0), np.where(act, v, 0.0)
    return np.where(act, v, 0.0), np.where(act, 1.0, 0.0)


def contrastive_loss_value_and_grad(x1, x2, y, *, margin=1.0, pos_margin=0.0,
                                    distance="euclidean", hinge="squared", reduction="mean",
                                    grad_output=None, grad_out=None, num_threads=None):
    a, b = f64(x1), f64(x2)
    one = a.ndim == 1
    a, b = (z.reshape(1, -1) if one else z for z in (a, b))
    sim = np.broadcast_to(f64(y), (len(a),)) != 0
    diff = a - b
    sq = (diff * diff).sum(-1)
    d = sq if distance == "squared" else np.sqrt(sq)
    v = np.where(sim, d - pos_margin, margin - d)
    per, dh = _hinge(v, hinge)
    dd = np.where(sim, dh, -dh)  # d loss / d distance
    if distance == "squared":
        ddist = 2.0 * diff
    else:
        safe = np.where(d > 0, d, 1.0)[:, None]
        ddist = np.where(d[:, None] > 0, diff / safe, 0.0)
    items = () if one else (len(a),)
    coef = grad_coef(grad_output, reduction, items, len(a)).reshape(-1)
    g1 = (coef * dd)[:, None] * ddist
    grads = (g1.reshape(-1), -g1.reshape(-1)) if one else (g1, -g1)
    return reduce(per.reshape(items), reduction, len(a)), _copy_out(grads, grad_out)


def contrastive_loss(x1, x2, y, *, margin=1.0, pos_margin=0.0, distance="euclidean",
                     hinge="squared", reduction="mean", num_threads=None):
    return contrastive_loss_value_and_grad(x1, x2, y, margin=margin, pos_margin=pos_margin,
                                           distance=distance, hinge=hinge,
                                           reduction=reduction)[0]


def angular_loss_value_and_grad(anchor, positive, negative, *, alpha=40.0, form="npair",
                                reduction="mean", grad_output=None, grad_out=None,
                                num_threads=None):
    a, p, n = f64(anchor), f64(positive), f64(negative)
    one = a.ndim == 1
    a, p, n = (z.reshape(1, -1) if one else z for z in (a, p, n))
    t2 = np.tan(np.radians(alpha)) ** 2
    if form == "npair":
        f = 4 * t2 * ((a + p) * n).sum(-1) - 2 * (1 + t2) * (a * p).sum(-1)
        per = np.logaddexp(0.0, f)
        dl = 0.5 * (1.0 + np.tanh(0.5 * f))  # sigmoid
        ga = 4 * t2 * n - 2 * (1 + t2) * p
        gp = 4 * t2 * n - 2 * (1 + t2) * a
        gn = 4 * t2 * (a + p)
    else:
        c = 0.5 * (a + p)
        v = ((a - p) ** 2).sum(-1) - 4 * t2 * ((n - c) ** 2).sum(-1)
        per = np.maximum(v, 0.0)
        dl = (v > 0).astype(np.float64)
        ga = 2 * (a - p) + 4 * t2 * (n - c)
        gp = -2 * (a - p) + 4 * t2 * (n - c)
        gn = -8 * t2 * (n - c)
    items = () if one else (len(a),)
    coef = (grad_coef(grad_output, reduction, items, len(a)).reshape(-1) * dl)[:, None]
    grads = tuple(g.reshape(-1) if one else g for g in (coef * ga, coef * gp, coef * gn))
    return reduce(per.reshape(items), reduction, len(a)), _copy_out(grads, grad_out)


def angular_loss(anchor, positive, negative, *, alpha=40.0, form="npair", reduction="mean",
                 num_threads=None):
    return angular_loss_value_and_grad(anchor, positive, negative, alpha=alpha, form=form,
                                       reduction=reduction)[0]
