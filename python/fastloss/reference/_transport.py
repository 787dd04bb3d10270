"""Reference exact optimal transport: successive shortest paths with full dense Dijkstra on
reduced costs (no warm start, no early exit), in float64 NumPy. Plain and slow on purpose."""

from __future__ import annotations

import numpy as np

from ._common import f64

__all__ = [
    "emd",
    "emd_from_cost",
    "emd_from_cost_value_and_grad",
    "emd_value_and_grad",
    "sinkhorn",
    "sinkhorn_value_and_grad",
    "wasserstein_1d",
    "wasserstein_1d_value_and_grad",
]


def _shortest_path_step(C, X, u, v, supply, demand, s, tol):
    """Dijkstra from row s over the residual graph (row -> any column at reduced cost; column
    -> rows sending it flow at 0); moves mass to the nearest column with demand left."""
    n, m = C.shape
    R = C - u[:, None] - v[None, :]
    d_row, d_col = np.full(n, np.inf), np.full(m, np.inf)
    pred_col, pred_row = np.full(m, -1), np.full(n, -1)
    done_row, done_col = np.zeros(n, bool), np.zeros(m, bool)
    d_row[s] = 0.0
    while True:
        r_open = np.where(done_row, np.inf, d_row)
        c_open = np.where(done_col, np.inf, d_col)
        i, j = int(np.argmin(r_open)), int(np.argmin(c_open))
        if min(r_open[i], c_open[j]) == np.inf:
            break
        if r_open[i] <= c_open[j]:
            done_row[i] = True
            better = ~done_col & (d_row[i] + R[i] < d_col)
            d_col[better], pred_col[better] = d_row[i] + R[i][better], i
        else:
            done_col[j] = True
            better = ~done_row & (X[:, j] > 0) & (d_col[j] < d_row)
            d_row[better], pred_row[better] = d_col[j], j
    sinks = np.where(demand > tol, d_col, np.inf)
    t = int(np.argmin(sinks))
    delta = sinks[t]
    if delta == np.inf:
        return False
    u -= np.minimum(d_row, delta)
    v += np.minimum(d_col, delta)
    path, j = [], t
    while True:
        i = pred_col[j]
        path.append((i, j))
        if i == s:
            break
        j = pred_row[i]
    amount = min(supply[s], demand[t], *(X[i, pred_row[i]] for i, _ in path if i != s))
    for i, j in path:
        X[i, j] += amount
        if i != s:
            X[i, pred_row[i]] -= amount
    supply[s] -= amount
    demand[t] -= amount
    return True


def solve(C, a, b):
    """(plan X dense, u, v) of min <X, C> over X >= 0, X 1 = a, X^T 1 = b (sum a = sum b)."""
    C, a, b = f64(C), f64(a), f64(b)
    n, m = C.shape
    X = np.zeros((n, m))
    u, v = np.zeros(n), C.min(axis=0)
    supply, demand = a.copy(), b * (a.sum() / b.sum() if b.sum() > 0 else 1.0)
    tol = 1e-13 * max(a.sum(), 1e-300)
    for s in range(n):
        while supply[s] > tol:
            if not _shortest_path_step(C, X, u, v, supply, demand, s, tol):
                break
    X[X < 0] = 0.0
    return X, u, v


def _power(cost, p):
    if p is not None:
        return float(p)
    return 1.0 if cost == "euclidean" else 2.0


def _problems(x, y, a, b, x_lengths, y_lengths, normalize):
    """Per problem: (x, y, a, b) sliced to their lengths, and whether a batch was given."""
    x, y = f64(x), f64(y)
    batched = x.ndim == 3
    if not batched:
        x, y = x[None], y[None]
    out = []
    for k in range(x.shape[0]):
        nk = x.shape[1] if x_lengths is None else int(x_lengths[k])
        mk = y.shape[1] if y_lengths is None else int(y_lengths[k])
        ak = np.full(nk, 1.0 / nk) if a is None else np.broadcast_to(
            f64(a), (x.shape[0], x.shape[1]))[k, :nk]
        bk = np.full(mk, 1.0 / mk) if b is None else np.broadcast_to(
            f64(b), (y.shape[0], y.shape[1]))[k, :mk]
        if normalize:
            ak, bk = ak / ak.sum(), bk / bk.sum()
        out.append((x[k, :nk], y[k, :mk], ak, bk))
    return out, batched


def _reduce(values, batched, reduction):
    values = np.asarray(values)
    if not batched:
        return np.float64(values[0])
    if reduction == "none":
        return values
    return np.float64(values.mean() if reduction == "mean" else values.sum())


def _scales(grad_output, batch, batched, reduction):
    g = np.ones(batch) if grad_output is None else np.broadcast_to(f64(grad_output), (batch,))
    return g / batch if batched and reduction == "mean" else g


def _centred(w):
    return w - w.mean()


def emd(x, y, a=None, b=None, *, cost="euclidean", p=None, x_lengths=None, y_lengths=None,
        reduction="mean", normalize=False, max_iter=None, method="auto", num_threads=None):
    return emd_value_and_grad(x, y, a, b, cost=cost, p=p, x_lengths=x_lengths,
                              y_lengths=y_lengths, reduction=reduction, normalize=normalize)[0]


def emd_value_and_grad(x, y, a=None, b=None, *, cost="euclidean", p=None, x_lengths=None,
                       y_lengths=None, reduction="mean", normalize=False, max_iter=None,
                       method="auto", grad_output=None, num_threads=None):
    power = _power(cost, p)
    problems, batched = _problems(x, y, a, b, x_lengths, y_lengths, normalize)
    scales = _scales(grad_output, len(problems), batched, reduction)
    xs, ys = f64(x), f64(y)
    gx, gy = np.zeros(xs.shape if batched else (1, *xs.shape)), np.zeros(
        ys.shape if batched else (1, *ys.shape))
    ga, gb = np.zeros(gx.shape[:2]), np.zeros(gy.shape[:2])
    values = []
    for k, (xk, yk, ak, bk) in enumerate(problems):
        diff = xk[:, None, :] - yk[None, :, :]
        d2 = (diff**2).sum(-1)
        C = d2 ** (power / 2)
        X, u, v = solve(C, ak, bk)
        values.append((X * C).sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(d2 > 0, power * d2 ** (power / 2 - 1), 0.0) if power != 2 else 2.0 + 0 * d2
        w = scales[k] * X * f
        gx[k, : len(xk)] = (w[:, :, None] * diff).sum(1)
        gy[k, : len(yk)] = -(w[:, :, None] * diff).sum(0)
        ga[k, : len(xk)] = scales[k] * _centred(u)
        gb[k, : len(yk)] = scales[k] * _centred(v)
    unb = (lambda g: g) if batched else (lambda g: g[0])
    grad_a = None if a is None else (ga.sum(0) if batched and np.ndim(a) == 1 else unb(ga))
    grad_b = None if b is None else (gb.sum(0) if batched and np.ndim(b) == 1 else unb(gb))
    return _reduce(values, batched, reduction), (unb(gx), unb(gy), grad_a, grad_b)


def emd_from_cost(cost, a=None, b=None, *, reduction="mean", normalize=False, max_iter=None,
                  method="auto", num_threads=None):
    return emd_from_cost_value_and_grad(cost, a, b, reduction=reduction, normalize=normalize)[0]


def emd_from_cost_value_and_grad(cost, a=None, b=None, *, reduction="mean", normalize=False,
                                 max_iter=None, method="auto", grad_output=None,
                                 num_threads=None):
    C = f64(cost)
    batched = C.ndim == 3
    Cs = C if batched else C[None]
    batch, n, m = Cs.shape
    scales = _scales(grad_output, batch, batched, reduction)
    A = np.full((batch, n), 1.0 / n) if a is None else np.broadcast_to(f64(a), (batch, n))
    B = np.full((batch, m), 1.0 / m) if b is None else np.broadcast_to(f64(b), (batch, m))
    values, gc, ga, gb = [], np.zeros(Cs.shape), np.zeros((batch, n)), np.zeros((batch, m))
    for k in range(batch):
        ak, bk = A[k], B[k]
        if normalize:
            ak, bk = ak / ak.sum(), bk / bk.sum()
        X, u, v = solve(Cs[k], ak, bk)
        values.append((X * Cs[k]).sum())
        gc[k], ga[k], gb[k] = scales[k] * X, scales[k] * _centred(u), scales[k] * _centred(v)
    unb = (lambda g: g) if batched else (lambda g: g[0])
    grad_a = None if a is None else (ga.sum(0) if batched and np.ndim(a) == 1 else unb(ga))
    grad_b = None if b is None else (gb.sum(0) if batched and np.ndim(b) == 1 else unb(gb))
    return _reduce(values, batched, reduction), (unb(gc), grad_a, grad_b)


def _line_problems(u, v, u_weights, v_weights, normalize):
    u, v = f64(u), f64(v)
    batched = u.ndim == 2
    U, V = (u, v) if batched else (u[None], v[None])
    out = []
    for k in range(U.shape[0]):
        a = np.full(U.shape[1], 1.0 / U.shape[1]) if u_weights is None else np.broadcast_to(
            f64(u_weights), U.shape)[k]
        b = np.full(V.shape[1], 1.0 / V.shape[1]) if v_weights is None else np.broadcast_to(
            f64(v_weights), V.shape)[k]
        if normalize:
            a, b = a / a.sum(), b / b.sum()
        else:
            b = b * (a.sum() / b.sum())
        out.append((U[k], V[k], a, b))
    return out, batched


def wasserstein_1d(u, v, u_weights=None, v_weights=None, *, p=1.0, reduction="mean",
                   normalize=False, num_threads=None):
    return _line_value_and_grad(u, v, u_weights, v_weights, p, reduction, normalize, None,
                                mass_grads=False)[0]


def wasserstein_1d_value_and_grad(u, v, u_weights=None, v_weights=None, *, p=1.0,
                                  reduction="mean", normalize=False, grad_output=None,
                                  num_threads=None):
    return _line_value_and_grad(u, v, u_weights, v_weights, p, reduction, normalize,
                                grad_output, mass_grads=True)


def _line_value_and_grad(u, v, u_weights, v_weights, p, reduction, normalize, grad_output, *,
                         mass_grads):
    """The quantile-function integral (POT's formulation): the sorted union of the cumulative
    masses cuts [0, total] into intervals on which both quantile functions are constant. The
    mass gradients are the centred duals of the dense LP (reference.solve)."""
    problems, batched = _line_problems(u, v, u_weights, v_weights, normalize)
    scales = _scales(grad_output, len(problems), batched, reduction)
    values, gu, gv, ga, gb = [], [], [], [], []
    for k, (uk, vk, a, b) in enumerate(problems):
        ou, ov = np.argsort(uk, kind="stable"), np.argsort(vk, kind="stable")
        cu, cv = np.cumsum(a[ou]), np.cumsum(b[ov])
        qs = np.unique(np.concatenate([[0.0], cu, cv]))
        mid, width = (qs[1:] + qs[:-1]) / 2, np.diff(qs)
        iu = np.minimum(np.searchsorted(cu, mid), len(uk) - 1)
        iv = np.minimum(np.searchsorted(cv, mid), len(vk) - 1)
        diff = uk[ou][iu] - vk[ov][iv]
        values.append((width * np.abs(diff) ** p).sum())
        slope = width * p * np.abs(diff) ** (p - 1) * np.sign(diff) * scales[k]
        g_u, g_v = np.zeros(len(uk)), np.zeros(len(vk))
        np.add.at(g_u, ou[iu], slope)
        np.add.at(g_v, ov[iv], -slope)
        gu.append(g_u)
        gv.append(g_v)
        if mass_grads and (u_weights is not None or v_weights is not None):
            _, phi, psi = solve(np.abs(uk[:, None] - vk[None, :]) ** p, a, b)
            ga.append(scales[k] * _centred(phi))
            gb.append(scales[k] * _centred(psi))
    unb = (lambda g: np.array(g)) if batched else (lambda g: g[0])

    def mass_grad(given, g):
        if given is None or not mass_grads:
            return None
        return np.sum(g, axis=0) if batched and np.ndim(given) == 1 else unb(g)

    return _reduce(values, batched, reduction), (unb(gu), unb(gv), mass_grad(u_weights, ga),
                                                 mass_grad(v_weights, gb))


def _lse(z, axis):
    top = np.max(z, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top, axis) + np.log(np.exp(z - top).sum(axis=axis))


def _entropic(C, a, b, eps, max_iter, tol, symmetric=False):
    """Log-domain Sinkhorn on a dense cost: (W_eps, f, g, plan). A symmetric problem (a point
    set against itself) takes the averaged update f <- (f + softmin(f)) / 2, with g = f."""
    with np.errstate(divide="ignore"):
        la, lb = np.log(a), np.log(b)
    f, g = np.zeros(len(a)), np.zeros(len(b))
    if symmetric:
        for it in range(max_iter):
            s = -eps * _lse(la[None, :] + (f[None, :] - C) / eps, 1)
            err = np.sum(a * np.abs(np.exp((f - s) / eps) - 1.0))
            f = 0.5 * (f + s)
            if it > 0 and err <= tol:
                break
        plan = np.exp(la[:, None] + la[None, :] + (f[:, None] + f[None, :] - C) / eps)
        return 2 * (a[a > 0] @ f[a > 0]), f, f.copy(), plan
    g = -eps * _lse(la[:, None] + (f[:, None] - C) / eps, 0)
    for it in range(max_iter):
        f_new = -eps * _lse(lb[None, :] + (g[None, :] - C) / eps, 1)
        err = np.sum(a * np.abs(np.exp((f - f_new) / eps) - 1.0))
        f = f_new
        if it > 0 and err <= tol:
            break
        g = -eps * _lse(la[:, None] + (f[:, None] - C) / eps, 0)
    plan = np.exp(la[:, None] + lb[None, :] + (f[:, None] + g[None, :] - C) / eps)
    value = a[a > 0] @ f[a > 0] + b[b > 0] @ g[b > 0]
    return value, f, g, plan


def sinkhorn(x, y, a=None, b=None, *, epsilon, cost="euclidean", p=None, debias=False,
             x_lengths=None, y_lengths=None, reduction="mean", normalize=False, scaling=0.5,
             max_iter=1000, tol=1e-9, num_threads=None):
    return sinkhorn_value_and_grad(x, y, a, b, epsilon=epsilon, cost=cost, p=p, debias=debias,
                                   x_lengths=x_lengths, y_lengths=y_lengths,
                                   reduction=reduction, normalize=normalize, max_iter=max_iter,
                                   tol=tol)[0]


def sinkhorn_value_and_grad(x, y, a=None, b=None, *, epsilon, cost="euclidean", p=None,
                            debias=False, x_lengths=None, y_lengths=None, reduction="mean",
                            normalize=False, scaling=0.5, max_iter=1000, tol=1e-9,
                            grad_output=None, num_threads=None):
    """(The reference iterates cold at epsilon: `scaling` changes the speed, not the fixed
    point.) W_eps = <a, f> + <b, g> at the fixed point; gradients by the envelope theorem (the plan
    for the points, the centred potentials for the masses); debias: W(a,b) - W(a,a)/2 - W(b,b)/2."""
    power = _power(cost, p)
    problems, batched = _problems(x, y, a, b, x_lengths, y_lengths, normalize)
    scales = _scales(grad_output, len(problems), batched, reduction)
    xs, ys = f64(x), f64(y)
    gx = np.zeros(xs.shape if batched else (1, *xs.shape))
    gy = np.zeros(ys.shape if batched else (1, *ys.shape))
    ga, gb = np.zeros(gx.shape[:2]), np.zeros(gy.shape[:2])

    def solve_pair(p_, q_, wp, wq, symmetric=False):
        diff = p_[:, None, :] - q_[None, :, :]
        d2 = (diff**2).sum(-1)
        value, f, g, plan = _entropic(d2 ** (power / 2), wp, wq, epsilon, max_iter, tol,
                                      symmetric)
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(d2 > 0, power * d2 ** (power / 2 - 1), 0.0) if power != 2 else 2.0
        w = plan * fac
        return value, (w[:, :, None] * diff).sum(1), -(w[:, :, None] * diff).sum(0), f, g

    values = []
    for k, (xk, yk, ak, bk) in enumerate(problems):
        s = scales[k]
        value, dx, dy, f, g = solve_pair(xk, yk, ak, bk)
        gx[k, : len(xk)] += s * dx
        gy[k, : len(yk)] += s * dy
        ga[k, : len(xk)] += s * _centred(f)
        gb[k, : len(yk)] += s * _centred(g)
        if debias:
            for pts, w, gp, gw in ((xk, ak, gx, ga), (yk, bk, gy, gb)):
                v2, d1, d2_, f2, g2 = solve_pair(pts, pts, w, w, symmetric=True)
                value -= 0.5 * v2
                gp[k, : len(pts)] -= 0.5 * s * (d1 + d2_)
                gw[k, : len(pts)] -= 0.5 * s * (_centred(f2) + _centred(g2))
        values.append(value)
    unb = (lambda g_: g_) if batched else (lambda g_: g_[0])
    grad_a = None if a is None else (ga.sum(0) if batched and np.ndim(a) == 1 else unb(ga))
    grad_b = None if b is None else (gb.sum(0) if batched and np.ndim(b) == 1 else unb(gb))
    return _reduce(values, batched, reduction), (unb(gx), unb(gy), grad_a, grad_b)
