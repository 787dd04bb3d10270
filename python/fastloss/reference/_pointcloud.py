"""Reference point-cloud functions: full distance matrices in float64, np.argmin neighbours
(the first, lowest index, on ties), gradients written out from the formulas."""

from __future__ import annotations

import numpy as np

from ._common import f64

__all__ = [
    "chamfer_distance",
    "chamfer_distance_value_and_grad",
    "nearest_neighbors",
]


def _batched(x, y, x_lengths, y_lengths):
    x, y = f64(x), f64(y)
    batched = x.ndim == 3
    if not batched:
        x, y = x[None], y[None]
    b, p, q = x.shape[0], x.shape[1], y.shape[1]
    xl = np.full(b, p) if x_lengths is None else np.asarray(x_lengths)
    yl = np.full(b, q) if y_lengths is None else np.asarray(y_lengths)
    return x, y, xl, yl, batched


def _pair_distances(a, c, metric):
    diff = a[:, None, :] - c[None, :, :]
    return np.abs(diff).sum(-1) if metric == "l1" else (diff * diff).sum(-1)


def _distance_grad(diff, distance):
    """d distance / d a for diff = a - c, row by row."""
    if distance == "squared_l2":
        return 2 * diff
    if distance == "l1":
        return np.sign(diff)
    norm = np.sqrt((diff * diff).sum(-1, keepdims=True))
    return np.divide(diff, norm, out=np.zeros_like(diff), where=norm > 0)


def _direction(a, c, la, lc, distance):
    """Per-point distances (zeros past la) and neighbour indices (-1 where none)."""
    n = a.shape[0]
    dist, idx = np.zeros(n), np.full(n, -1)
    if la == 0 or lc == 0:
        return dist, idx
    searched = _pair_distances(a[:la], c[:lc], "l1" if distance == "l1" else "sq")
    idx[:la] = searched.argmin(1)
    dist[:la] = searched[np.arange(la), idx[:la]]
    if distance == "l2":
        dist = np.sqrt(dist)
    return dist, idx


def _reduce(dist, n, other, point_reduction):
    if n == 0 or other == 0:
        return 0.0, np.zeros_like(dist)
    if point_reduction == "mean":
        return dist[:n].sum() / n, np.where(np.arange(len(dist)) < n, 1.0 / n, 0.0)
    if point_reduction == "max":
        coef = np.zeros_like(dist)
        coef[int(np.argmax(dist[:n]))] = 1.0
        return dist[:n].max(), coef
    return dist[:n].sum(), np.where(np.arange(len(dist)) < n, 1.0, 0.0)


def chamfer_distance_value_and_grad(x, y, *, x_lengths=None, y_lengths=None, weights=None,
                                    distance="squared_l2", point_reduction="mean",
                                    batch_reduction="mean", single_directional=False,
                                    direction_weights=None, method="auto", grad_output=None,
                                    grad_out=None, num_threads=None):
    x, y, xl, yl, batched = _batched(x, y, x_lengths, y_lengths)
    nb = x.shape[0]
    w = np.ones(nb) if weights is None else np.broadcast_to(f64(weights), (nb,))
    wx, wy = (1.0, 1.0) if direction_weights is None else direction_weights
    # (queries, targets, their lengths, weight, which gradient each feeds)
    directions = [(x, y, xl, yl, wx, 0, 1)] + ([] if single_directional else
                                               [(y, x, yl, xl, wy, 1, 0)])
    per_cloud = np.zeros(nb)
    terms = [np.zeros((nb, a.shape[1])) for a, *_ in directions]
    found = []  # per direction and cloud: (dist, idx, d value / d dist)
    for t, (a, c, la, lc, wd, _, _) in enumerate(directions):
        rows = []
        for b in range(nb):
            dist, idx = _direction(a[b], c[b], la[b], lc[b], distance)
            value, coef = _reduce(dist, la[b], lc[b], point_reduction)
            per_cloud[b] += w[b] * wd * value
            terms[t][b] = w[b] * wd * dist
            rows.append((idx, w[b] * wd * (np.ones_like(dist) if point_reduction == "none" else coef)))
        found.append(rows)
    den = w.sum() if weights is not None else nb
    # the value and d loss / d per-cloud value (or d loss / d term for "none")
    if point_reduction == "none":
        value = tuple(t if batched else t[0] for t in terms)
        value = value[0] if single_directional else value
        if grad_output is None:
            scale = [np.ones_like(t) for t in terms]  # terms have the batch axis already
        else:
            go = [f64(grad_output)] if single_directional else [f64(g) for g in grad_output]
            scale = [g if batched else g[None] for g in go]
    else:
        if batch_reduction == "none":
            value = per_cloud if batched else per_cloud[0]
            g = np.ones(nb) if grad_output is None else np.broadcast_to(f64(grad_output), (nb,))
        elif batch_reduction == "sum":
            value = per_cloud.sum()
            g = np.full(nb, 1.0 if grad_output is None else float(grad_output))
        else:
            value = per_cloud.sum() / den if den > 0 else 0.0
            g = np.full(nb, (1.0 if grad_output is None else float(grad_output)) / den
                        if den > 0 else 0.0)
        scale = [np.repeat(g[:, None], a.shape[1], 1) for a, *_ in directions]
    grads = [np.zeros_like(x), np.zeros_like(y)]
    for t, (a, c, _, _, _, ia, ic) in enumerate(directions):
        ga, gc = grads[ia], grads[ic]
        for b in range(nb):
            idx, coef = found[t][b]
            i = np.flatnonzero(idx >= 0)
            gi = (scale[t][b, i] * coef[i])[:, None] * _distance_grad(a[b, i] - c[b, idx[i]],
                                                                      distance)
            ga[b, i] += gi  # each point once
            np.add.at(gc[b], idx[i], -gi)  # a point may be the neighbour of several
    gx, gy = grads
    if not batched:
        gx, gy = gx[0], gy[0]
    if grad_out is not None:
        np.copyto(grad_out[0], gx)
        np.copyto(grad_out[1], gy)
        gx, gy = grad_out
    return value, (gx, gy)


def chamfer_distance(x, y, *, x_lengths=None, y_lengths=None, weights=None,
                     distance="squared_l2", point_reduction="mean", batch_reduction="mean",
                     single_directional=False, direction_weights=None, return_indices=False,
                     method="auto", num_threads=None):
    value, _ = chamfer_distance_value_and_grad(
        x, y, x_lengths=x_lengths, y_lengths=y_lengths, weights=weights, distance=distance,
        point_reduction=point_reduction, batch_reduction=batch_reduction,
        single_directional=single_directional, direction_weights=direction_weights)
    if not return_indices:
        return value
    xb, yb, xl, yl, batched = _batched(x, y, x_lengths, y_lengths)
    idx_x = np.stack([_direction(xb[b], yb[b], xl[b], yl[b], distance)[1]
                      for b in range(xb.shape[0])])
    idx_y = None if single_directional else np.stack(
        [_direction(yb[b], xb[b], yl[b], xl[b], distance)[1] for b in range(xb.shape[0])])
    if not batched:
        idx_x = idx_x[0]
        idx_y = None if idx_y is None else idx_y[0]
    return value, idx_x, idx_y


def nearest_neighbors(x, y, *, k=1, p=2, x_lengths=None, y_lengths=None, method="auto",
                      num_threads=None):
    xb, yb, xl, yl, batched = _batched(x, y, x_lengths, y_lengths)
    nb, n = xb.shape[0], xb.shape[1]
    dist = np.zeros((nb, n, k))
    idx = np.full((nb, n, k), -1)
    for b in range(nb):
        if xl[b] == 0:
            continue
        dist[b, :xl[b]] = np.inf
        if yl[b] == 0:
            continue
        pair = _pair_distances(xb[b, :xl[b]], yb[b, :yl[b]], "l1" if p == 1 else "sq")
        order = np.argsort(pair, axis=1, kind="stable")[:, :k]  # ties: lower index first
        m = order.shape[1]
        idx[b, :xl[b], :m] = order
        chosen = np.take_along_axis(pair, order, 1)
        dist[b, :xl[b], :m] = chosen if p == 1 else np.sqrt(chosen)
    if k == 1:
        dist, idx = dist[..., 0], idx[..., 0]
    return (dist, idx) if batched else (dist[0], idx[0])
