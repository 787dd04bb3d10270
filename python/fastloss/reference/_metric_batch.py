"""Reference metric-learning losses over a labelled batch (float64).

Distances come from a float64 Gram matrix; the gradient is assembled from W = d loss / d D
(a B x B matrix of pair weights) by the chain rule of each distance.
"""

from __future__ import annotations

import numpy as np

from ._common import f64


def _distances(x, distance):
    """(D, unit rows or None, norms) for 'euclidean' | 'squared' | 'cosine'."""
    if distance == "cosine":
        norms = np.sqrt((x * x).sum(1))
        unit = x / np.where(norms > 0, norms, 1.0)[:, None]
        return 1.0 - unit @ unit.T, unit, norms
    sn = (x * x).sum(1)
    sq = np.maximum(sn[:, None] + sn[None, :] - 2.0 * (x @ x.T), 0.0)
    np.fill_diagonal(sq, 0.0)
    return (sq if distance == "squared" else np.sqrt(sq)), None, None


def _grad_from_pair_weights(x, w, dist, distance, unit, norms):
    """d loss / d x for loss(D) with d loss / d D_ij = w_ij (both orders counted)."""
    sym = w + w.T
    if distance == "cosine":
        g = -(sym @ unit)  # d D_ij / d unit_i = -unit_j
        g -= (g * unit).sum(1, keepdims=True) * unit
        return g / np.where(norms > 0, norms, np.inf)[:, None]
    if distance == "squared":
        m = 2.0 * sym
    else:
        m = np.where(dist > 0, sym / np.where(dist > 0, dist, 1.0), 0.0)
    np.fill_diagonal(m, 0.0)
    return m.sum(1)[:, None] * x - m @ x


def _exact_distance(x, i, j, distance):
    """d(x_i, x_j) computed from the rows (batch-hard's two chosen pairs)."""
    if distance == "cosine":
        ni, nj = np.linalg.norm(x[i], axis=-1), np.linalg.norm(x[j], axis=-1)
        den = np.where((ni > 0) & (nj > 0), ni * nj, np.inf)
        return 1.0 - (x[i] * x[j]).sum(-1) / den
    sq = ((x[i] - x[j]) ** 2).sum(-1)
    return sq if distance == "squared" else np.sqrt(sq)


def _labels(labels, n):
    y = np.asarray(labels).reshape(-1)
    assert len(y) == n
    same = y[:, None] == y[None, :]
    pos = same & ~np.eye(n, dtype=bool)
    return pos, ~same


def _finish(x, w, dist, distance, unit, norms, grad_output, grad_out):
    scale = 1.0 if grad_output is None else float(grad_output)
    g = scale * _grad_from_pair_weights(x, w, dist, distance, unit, norms)
    if grad_out is not None:
        np.copyto(grad_out, g)
        return grad_out
    return g


def batch_triplet_loss_value_and_grad(embeddings, labels, *, mining="all", margin=1.0,
                                      distance="euclidean", average="nonzero", grad_output=None,
                                      grad_out=None, num_threads=None):
    x = f64(embeddings)
    b = len(x)
    dist, unit, norms = _distances(x, distance)
    pos, neg = _labels(labels, b)
    w = np.zeros((b, b))
    if mining == "hard":
        has = pos.any(1) & neg.any(1)
        p = np.where(pos, dist, -np.inf).argmax(1)
        n = np.where(neg, dist, np.inf).argmin(1)
        a = np.flatnonzero(has)
        p, n = p[a], n[a]
        v = _exact_distance(x, a, p, distance) - _exact_distance(x, a, n, distance) + margin
        count = len(a)
        value = np.maximum(v, 0.0).sum() / count if count else 0.0
        if count:
            act = (v > 0) / count
            np.add.at(w, (a, p), act)
            np.add.at(w, (a, n), -act)
        if distance != "cosine":  # recompute the chosen pairs' distances exactly
            dist = dist.copy()
            dist[a, p] = _exact_distance(x, a, p, distance)
            dist[a, n] = _exact_distance(x, a, n, distance)
            dist[p, a] = dist[a, p]
            dist[n, a] = dist[a, n]
    elif mining == "all":
        total, nonzero, valid = 0.0, 0, 0
        for a in range(b):
            ps, ns = np.flatnonzero(pos[a]), np.flatnonzero(neg[a])
            v = dist[a, ps][:, None] - dist[a, ns][None, :] + margin
            act = v > 0
            total += v[act].sum() + (np.nan if np.isnan(v).any() else 0.0)  # NaN in, NaN out
            nonzero += int(act.sum())
            valid += v.size
            w[a, ps] += act.sum(1)
            w[a, ns] -= act.sum(0)
        count = nonzero if average == "nonzero" else valid
        value = total / count if count else 0.0
        w = w / count if count else w * 0.0
    elif mining == "semihard":
        total, count = 0.0, 0
        for a in range(b):
            ns = np.flatnonzero(neg[a])
            if len(ns) == 0:
                continue
            hardest = ns[np.argmin(dist[a, ns])]
            for p in np.flatnonzero(pos[a]):
                d_ap = dist[a, p]
                band = ns[(dist[a, ns] > d_ap) & (dist[a, ns] < d_ap + margin)]
                n = band[np.argmin(dist[a, band])] if len(band) else hardest
                v = d_ap - dist[a, n] + margin
                count += 1
                total += np.nan if np.isnan(v) else 0.0  # NaN in, NaN out
                if v > 0:
                    total += v
                    w[a, p] += 1.0
                    w[a, n] -= 1.0
        value = total / count if count else 0.0
        w = w / count if count else w * 0.0
    else:
        raise ValueError(mining)
    g = _finish(x, w, dist, distance, unit, norms, grad_output, grad_out)
    return np.float64(value), g


def batch_triplet_loss(embeddings, labels, *, mining="all", margin=1.0, distance="euclidean",
                       average="nonzero", num_threads=None):
    return batch_triplet_loss_value_and_grad(embeddings, labels, mining=mining, margin=margin,
                                             distance=distance, average=average)[0]


def batch_contrastive_loss_value_and_grad(embeddings, labels, *, margin=1.0, pos_margin=0.0,
                                          distance="euclidean", hinge="squared", average="all",
                                          grad_output=None, grad_out=None, num_threads=None):
    x = f64(embeddings)
    b = len(x)
    dist, unit, norms = _distances(x, distance)
    pos, neg = _labels(labels, b)
    upper = np.triu(np.ones((b, b), dtype=bool), 1)
    v = np.where(pos, dist - pos_margin, margin - dist)
    act = v > 0
    loss = np.where(~(v <= 0), 0.5 * v * v if hinge == "squared" else v, 0.0)  # NaN in, NaN out
    dl = np.where(act, v if hinge == "squared" else 1.0, 0.0) * np.where(pos, 1.0, -1.0)
    sp, sn_ = upper & pos, upper & neg
    if average == "all":
        den_p = den_n = sp.sum() + sn_.sum()
    elif average == "nonzero":
        den_p = den_n = (act & upper).sum()
    else:
        den_p, den_n = (act & sp).sum(), (act & sn_).sum()
    value = 0.0
    w = np.zeros((b, b))
    for mask, den in ((sp, den_p), (sn_, den_n)):
        if den:
            value += loss[mask].sum() / den
            w += np.where(mask, dl / den, 0.0)
    g = _finish(x, w, dist, distance, unit, norms, grad_output, grad_out)
    return np.float64(value), g


def batch_contrastive_loss(embeddings, labels, *, margin=1.0, pos_margin=0.0,
                           distance="euclidean", hinge="squared", average="all",
                           num_threads=None):
    return batch_contrastive_loss_value_and_grad(embeddings, labels, margin=margin,
                                                 pos_margin=pos_margin, distance=distance,
                                                 hinge=hinge, average=average)[0]


def _angular_hinge(x, pos, neg, t2, average):
    """Every triplet's max(0, |a - p|^2 - 4 t^2 |n - c|^2) and its gradient, summed."""
    g = np.zeros_like(x)
    total, nonzero, valid = 0.0, 0, 0
    for a, p in zip(*np.nonzero(pos)):
        ns = np.flatnonzero(neg[a])
        c = 0.5 * (x[a] + x[p])
        v = ((x[a] - x[p]) ** 2).sum() - 4 * t2 * ((x[ns] - c) ** 2).sum(1)
        act = v > 0
        total += v[act].sum() + (np.nan if np.isnan(v).any() else 0.0)  # NaN in, NaN out
        nonzero += int(act.sum())
        valid += len(ns)
        nc = x[ns[act]] - c
        g[a] += 2 * act.sum() * (x[a] - x[p]) + 4 * t2 * nc.sum(0)
        g[p] += -2 * act.sum() * (x[a] - x[p]) + 4 * t2 * nc.sum(0)
        np.add.at(g, ns[act], -8 * t2 * nc)
    count = nonzero if average == "nonzero" else valid
    return total, count, g


def batch_angular_loss_value_and_grad(embeddings, labels, *, alpha=40.0, form="npair",
                                      average="nonzero", grad_output=None, grad_out=None,
                                      num_threads=None):
    x = f64(embeddings)
    b = len(x)
    pos, neg = _labels(labels, b)
    t2 = np.tan(np.radians(alpha)) ** 2
    if form == "hinge":
        total, count, g = _angular_hinge(x, pos, neg, t2, average)
    else:
        g = np.zeros_like(x)
        total, count = 0.0, 0
        for a, p in zip(*np.nonzero(pos)):
            ns = np.flatnonzero(neg[a])
            f = 4 * t2 * (x[ns] @ (x[a] + x[p])) - 2 * (1 + t2) * (x[a] @ x[p])
            lse = np.logaddexp.reduce(np.concatenate([[0.0], f]))
            total += lse
            count += 1
            pi = np.exp(f - lse)
            g[a] += 4 * t2 * (pi @ x[ns]) - 2 * (1 + t2) * pi.sum() * x[p]
            g[p] += 4 * t2 * (pi @ x[ns]) - 2 * (1 + t2) * pi.sum() * x[a]
            g[ns] += 4 * t2 * pi[:, None] * (x[a] + x[p])[None, :]
    value = total / count if count else 0.0
    scale = (1.0 if grad_output is None else float(grad_output)) / count if count else 0.0
    g *= scale
    if grad_out is not None:
        np.copyto(grad_out, g)
        g = grad_out
    return np.float64(value), g


def batch_angular_loss(embeddings, labels, *, alpha=40.0, form="npair", average="nonzero",
                       num_threads=None):
    return batch_angular_loss_value_and_grad(embeddings, labels, alpha=alpha, form=form,
                                             average=average)[0]
