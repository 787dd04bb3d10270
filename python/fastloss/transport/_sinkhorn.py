"""Entropic optimal transport (Sinkhorn, log domain): an approximation of the EMD, with
gradients and the debiased Sinkhorn divergence (cpp/include/fastloss/transport/sinkhorn.hpp)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._loss import loss
from .._options import check_number, check_reduction, resolve_threads
from . import _emd
from ._emd import _grad_scales, _reduce, _weight_grad
from ._inputs import TransportProblems, ground_power

__all__ = [
    "sinkhorn",
    "sinkhorn_value_and_grad",
]

ArrayLike = Any


def _run(x, y, a, b, epsilon, cost, p, debias, x_lengths, y_lengths, reduction, normalize,
         scaling, max_iter, tol, num_threads, want_grad, grad_output=None):
    check_reduction(reduction)
    problems = TransportProblems(x=x, y=y, a=a, b=b, x_lengths=x_lengths, y_lengths=y_lengths,
                                 normalize=normalize)
    eps = check_number(epsilon, "epsilon")
    if not (eps > 0 and np.isfinite(eps)):
        msg = f"epsilon: expected a positive finite number, got {epsilon!r}"
        raise ValueError(msg)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        msg = f"max_iter: expected a positive integer, got {max_iter!r}"
        raise ValueError(msg)
    tol = check_number(tol, "tol", minimum=0.0)
    anneal = 0.0 if scaling is None else check_number(scaling, "scaling", minimum=0.0,
                                                      strict=True, maximum=1.0)
    if anneal == 1.0:
        msg = "scaling: expected a number in (0, 1) or None, got 1.0"
        raise ValueError(msg)
    batch = problems.shape[0]
    scale = _grad_scales(grad_output, batch, problems.batched, reduction)
    out = _core.sinkhorn(problems.x, problems.y, problems.x_lengths, problems.y_lengths,
                         problems.a, problems.b, ground_power(cost, p), eps, anneal, int(max_iter), tol,
                         bool(debias), want_grad, scale, _emd.DENSE_COST_ENTRIES,
                         resolve_threads(num_threads))
    if not np.isfinite(out["value"]).all():  # the points are finite: their cost overflowed
        k = int(np.argmin(np.isfinite(out["value"])))
        where = f" in problem {k}" if problems.batched else ""
        msg = (f"x, y: the ground cost between some points overflows to inf{where}; "
               "scale the points down")
        raise ValueError(msg)
    if not out["converged"].all():
        k = int(np.argmin(out["converged"]))
        where = f" in problem {k}" if problems.batched else ""
        warnings.warn(f"sinkhorn: the marginals did not reach tol={tol:g} within "
                      f"max_iter={max_iter}{where}; raise max_iter or epsilon", RuntimeWarning,
                      stacklevel=3)
    value = _reduce(out["value"], problems, reduction)
    if not want_grad:
        return value, None
    grads = (problems.unbatch(out["grad_x"]), problems.unbatch(out["grad_y"]),
             _weight_grad(out["grad_a"], a, problems), _weight_grad(out["grad_b"], b, problems))
    return value, grads


_PARAMS = """
    x : array_like of float
        Points ``(n, D)``, or a batch ``(B, n, D)``.
    y : array_like of float
        ``(m, D)`` or ``(B, m, D)``.
    a, b : array_like of float, optional
        Masses, as for :func:`emd` (equal totals, or ``normalize=True``). None: uniform.
    epsilon : float
        The entropic regularisation, in the units of the cost (POT's ``reg``; GeomLoss's
        ``blur**p``). Smaller is closer to the EMD and needs more iterations.
    cost : {"euclidean", "sqeuclidean"}, default "euclidean"
        Ground cost, as for :func:`emd`.
    p : float, optional
        Ground cost ``||x - y||^p`` instead.
    debias : bool, default False
        Return the Sinkhorn divergence ``W(a, b) - W(a, a)/2 - W(b, b)/2`` (Feydy et al.,
        GeomLoss's default): zero for identical inputs, non-negative, and free of the entropic
        bias that pulls W towards shrunken supports.
    x_lengths, y_lengths : array_like of int, optional
        Ragged batches, as for :func:`emd`.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the problems of a batch.
    normalize : bool, default False
        Rescale a and b to total 1 each.
    scaling : float or None, default 0.5
        Epsilon scaling: first one update at each of ``max_cost * scaling**k`` down to
        epsilon, warm-starting the potentials (GeomLoss's ``scaling``; the fixed point is the
        same, only reached sooner, much sooner for small epsilon). None: start cold at epsilon.
    max_iter : int, default 1000
        Sinkhorn iterations (each an f- and a g-update) at epsilon per problem, after the
        annealing; a RuntimeWarning says when the tolerance was not met.
    tol : float, default 1e-9
        Stop when the L1 error of the row marginals is at most ``tol`` (columns are exact
        after each g-update).
    num_threads : int, optional
        Threads: one problem each, or a lone problem's rows split among them."""

_NOTES = """
    An approximation of the exact transport cost, clearly so: it solves

    .. math:: W_\\varepsilon = \\min_T \\langle T, C\\rangle + \\varepsilon\\, KL(T \\,|\\, a b^T)

    by Sinkhorn's alternating updates of the dual potentials f, g in the log domain (each a
    stable log-sum-exp over a row of C or of C^T, so any epsilon works without underflow) and
    returns ``<a, f> + <b, g>``, the regularised cost itself (POT's ``sinkhorn2`` returns
    ``<T, C>`` instead; the two differ by ``epsilon KL``). As epsilon -> 0 it tends to
    :func:`emd`. Point costs are kept as dense matrices (C and C^T) while they take at most
    256 MiB each, and computed row by row beyond."""


@loss(grads=("x", "y", "a", "b"), grad_note="",
      grad_doc="""its gradients, ``(value, (grad_x, grad_y, grad_a, grad_b))``.

    At the fixed point, by the envelope theorem: ``sum_j T_ij dc(x_i, y_j)/dx_i`` for the
    points (T the entropic plan) and the centred potentials f, g for the masses (None for
    masses not given); for ``debias=True`` the same combination as the value. Exact for the
    converged potentials (the iterations are not differentiated through).

    Parameters
    ----------
    <params>
    grad_output : float or array_like, optional
        Scales the gradients: a scalar, or ``(B,)`` for a batch with ``reduction="none"``.""")
@fill_doc(params=_PARAMS, notes=_NOTES)
def sinkhorn(x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None,
             *, epsilon: float, cost: str = "euclidean", p: float | None = None,
             debias: bool = False, x_lengths: ArrayLike | None = None,
             y_lengths: ArrayLike | None = None, reduction: str = "mean", normalize: bool = False,
             scaling: float | None = 0.5, max_iter: int = 1000, tol: float = 1e-9,
             grad_output: Any = None, num_threads: int | None = None,
             want_grad: bool) -> tuple[Any, Any]:
    """Entropic optimal transport cost (Sinkhorn), an approximation of :func:`emd`.

    Parameters
    ----------
    <params>

    Returns
    -------
    value : scalar of the points' float dtype; ``(B,)`` for a batch with ``reduction="none"``.

    Notes
    -----
    <notes>

    References
    ----------
    M. Cuturi, "Sinkhorn Distances: Lightspeed Computation of Optimal Transport", NeurIPS
    2013. J. Feydy et al., "Interpolating between Optimal Transport and MMD using Sinkhorn
    Divergences", AISTATS 2019. POT ``ot.sinkhorn2(method="sinkhorn_log")``; GeomLoss
    ``SamplesLoss("sinkhorn")``.

    Examples
    --------
    >>> import fastloss
    >>> x, y = [[0.0], [1.0]], [[0.5], [3.0]]  # their EMD is 1.25
    >>> round(float(fastloss.sinkhorn(x, y, epsilon=0.1)), 4)  # + epsilon KL: biased
    1.3186
    >>> round(float(fastloss.sinkhorn(x, y, epsilon=0.1, debias=True)), 4)
    1.2493
    >>> float(fastloss.sinkhorn(x, x, epsilon=0.1, debias=True))
    0.0
    """
    return _run(x, y, a, b, epsilon, cost, p, debias, x_lengths, y_lengths, reduction,
                normalize, scaling, max_iter, tol, num_threads, want_grad, grad_output)


sinkhorn_value_and_grad = sinkhorn.value_and_grad
