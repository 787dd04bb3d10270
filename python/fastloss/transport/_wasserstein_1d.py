"""Optimal transport on the line in closed form: value, gradients w.r.t. the samples and the
masses (cpp/include/fastloss/transport/wasserstein_1d.hpp). NumPy sorts the samples; the
native pass merges them."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._loss import loss
from .._options import check_reduction, resolve_threads
from .._validation import as_float_arrays
from ._emd import _grad_scales
from ._inputs import balance, masses

__all__ = [
    "wasserstein_1d",
    "wasserstein_1d_value_and_grad",
]

ArrayLike = Any


class _Samples:
    """u (B, n) and v (B, m) of u's float dtype; masses (B, n), (B, m) or None (uniform)."""

    def __init__(self, u, v, u_weights, v_weights, normalize):
        (ua, va), self.dtype = as_float_arrays(u=u, v=v)
        if ua.ndim not in (1, 2):
            msg = f"u: expected samples (n,) or a batch of them (B, n), got shape {ua.shape}"
            raise ValueError(msg)
        if va.ndim != ua.ndim or (ua.ndim == 2 and va.shape[0] != ua.shape[0]):
            want = "(B, m) with the batch size of u" if ua.ndim == 2 else "(m,)"
            msg = f"v: expected {want} {ua.shape}, got shape {va.shape}"
            raise ValueError(msg)
        self.batched = ua.ndim == 2
        self.u = ua if self.batched else ua[None]
        self.v = va if self.batched else va[None]
        for name, arr in (("u", self.u), ("v", self.v)):
            if arr.shape[1] < 1:
                msg = f"{name}: expected at least one sample, got shape {arr.shape}"
                raise ValueError(msg)
            if not np.isfinite(arr).all():
                msg = f"{name}: expected finite samples, got NaN or inf"
                raise ValueError(msg)
        self.u_given, self.v_given = u_weights is not None, v_weights is not None
        self.u_mass = self.v_mass = None
        if self.u_given or self.v_given:
            self.u_mass = masses(u_weights, "u_weights", self.u.shape, self.batched)
            self.v_mass = masses(v_weights, "v_weights", self.v.shape, self.batched)
            balance(self.u_mass, self.v_mass, u_weights, v_weights, normalize, self.batched,
                    ("u_weights", "v_weights"))

    def unbatch(self, arr):
        return arr if arr is None or self.batched else arr[0]


def _power(p: Any) -> float:
    try:
        power = float(p)
    except (TypeError, ValueError):
        msg = f"p: expected a number >= 1, got {p!r}"
        raise TypeError(msg) from None
    if not (power >= 1 and np.isfinite(power)):
        msg = f"p: expected a finite number >= 1 (the closed form needs a convex cost), got {p!r}"
        raise ValueError(msg)
    return power


def _run(s: _Samples, power, want_grad, want_mass_grad, scale, num_threads):
    if want_grad or s.u_mass is not None:  # masses are permuted with the samples: argsort
        u_order = np.argsort(s.u, axis=1)
        v_order = np.argsort(s.v, axis=1)
        u, v = s.u, s.v
    else:  # the value alone needs only the sorted samples
        u_order = v_order = None
        u, v = np.sort(s.u, axis=1), np.sort(s.v, axis=1)
    return _core.wasserstein_1d(u, v, u_order, v_order, s.u_mass, s.v_mass, power, want_grad,
                                want_mass_grad, scale, resolve_threads(num_threads))


def _reduce(values, s, reduction):
    if not s.batched:
        return s.dtype.type(values[0])
    if reduction == "none":
        return values.astype(s.dtype)
    return s.dtype.type(values.mean() if reduction == "mean" else values.sum())


_WASSERSTEIN_1D_GRAD = """its gradients, ``(value, (grad_u, grad_v, grad_u_weights,
    grad_v_weights))``.

    The gradient w.r.t. a sample goes through the monotone plan held fixed: the sum over the
    quantile intervals it covers of their width times ``p |u_i - v_j|^(p-1) sign(u_i - v_j)``
    (0 where u_i = v_j for p = 1). The gradients w.r.t. the masses are the dual potentials of
    the plan's staircase (the north-west corner basis, ties broken towards u), centred: POT's
    convention for :func:`emd`, and equal to emd's wherever the duals are unique. They are None
    for masses not given.

    Parameters are those of :func:`wasserstein_1d`, and ``grad_output`` (a scalar, or ``(B,)``
    for a batch with ``reduction="none"``), which scales the gradients.
    """


@loss(grads=("u", "v", "u_weights", "v_weights"), grad_doc=_WASSERSTEIN_1D_GRAD, grad_note="")
def wasserstein_1d(u: ArrayLike, v: ArrayLike, u_weights: ArrayLike | None = None,
                   v_weights: ArrayLike | None = None, *, p: float = 1.0, reduction: str = "mean",
                   normalize: bool = False, grad_output: Any = None,
                   num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Exact optimal transport cost between two weighted samples on the line.

    ``W = integral over q of |F_u^-1(q) - F_v^-1(q)|^p dq``: the cost of the monotone plan,
    optimal for every convex ground cost ``|x - y|^p``, p >= 1 (POT's ``ot.wasserstein_1d``,
    which also returns the cost, not its p-th root; for p = 1 it is SciPy's
    ``scipy.stats.wasserstein_distance``).

    Parameters
    ----------
    u, v : array_like of float
        Samples ``(n,)`` and ``(m,)``, or batches ``(B, n)`` and ``(B, m)`` with the batch
        first (POT puts the samples on axis 0 instead); any order, finite.
    u_weights, v_weights : array_like of float, optional
        Masses of the samples, ``(n,)`` / ``(m,)`` (shared by a batch) or ``(B, n)`` /
        ``(B, m)``; non-negative with equal totals, as for :func:`emd`. None: uniform.
    p : float, default 1
        Exponent of the ground cost, >= 1.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the problems of a batch.
    normalize : bool, default False
        Rescale the masses to total 1 each instead of requiring equal totals.
    num_threads : int, optional
        Threads for this call (one problem per thread).

    Returns
    -------
    value : scalar of u's float dtype; ``(B,)`` for a batch with ``reduction="none"``.

    Notes
    -----
    The samples are sorted by NumPy (``np.sort``, or ``np.argsort`` when masses or gradients
    need the permutation); one native pass merges the two quantile functions, in double.

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.wasserstein_1d([0.0, 1.0, 3.0], [5.0, 6.0, 8.0]))
    5.0
    """
    check_reduction(reduction)
    s = _Samples(u, v, u_weights, v_weights, normalize)
    if not want_grad:
        out = _run(s, _power(p), False, False, np.ones(s.u.shape[0]), num_threads)
        return _reduce(out["value"], s, reduction), None
    scale = _grad_scales(grad_output, s.u.shape[0], s.batched, reduction)
    out = _run(s, _power(p), True, s.u_given or s.v_given, scale, num_threads)

    def mass_grad(key, given, arg):
        if not given:
            return None
        g = out[key]
        if s.batched and np.ndim(arg) == 1:
            return g.sum(axis=0)
        return s.unbatch(g)

    grads = (s.unbatch(out["grad_u"]), s.unbatch(out["grad_v"]),
             mass_grad("grad_u_weights", s.u_given, u_weights),
             mass_grad("grad_v_weights", s.v_given, v_weights))
    return _reduce(out["value"], s, reduction), grads


wasserstein_1d_value_and_grad = wasserstein_1d.value_and_grad
