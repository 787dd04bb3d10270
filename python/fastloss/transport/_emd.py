"""Exact optimal transport (the Earth Mover's Distance): value, sparse plan, duals and
gradients, from points or from a cost matrix, batched; solved natively by successive shortest
paths or the network simplex (cpp/include/fastloss/transport/)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _core
from .._docs import fill, fill_doc
from .._loss import loss
from .._options import Choice, check_reduction, resolve_threads
from ._inputs import TransportProblems, ground_power

__all__ = [
    "EmdResult",
    "emd",
    "emd_from_cost",
    "emd_from_cost_value_and_grad",
    "emd_solve",
    "emd_value_and_grad",
]

ArrayLike = Any

_STATUS = ("optimal", "max_iter_reached", "infeasible")


def _required_cost(cost: ArrayLike) -> ArrayLike:
    if cost is None:  # TransportProblems would take None for "points, not a cost matrix"
        msg = "cost: expected an array, got None"
        raise TypeError(msg)
    return cost


# Point costs are kept as a dense matrix up to this many entries (256 MiB of float64 for the
# shortest paths; 128 MiB rounded to float32 for the network simplex's pricing, which finishes
# on exact costs) and computed row by row beyond it, so the largest problems need O(n + m).
DENSE_COST_ENTRIES = 1 << 25


@dataclass(frozen=True)
class EmdResult:
    """One exact transport problem, solved.

    Attributes
    ----------
    value : float
        The transport cost, sum of ``masses * cost[rows, cols]``.
    rows, cols : ndarray of int64
        The plan's non-zero entries, sorted by row then column: a basic solution, at most
        n + m - 1 of them.
    masses : ndarray of float64
        The mass moved from ``x[rows[k]]`` to ``y[cols[k]]``.
    u, v : ndarray of float64
        Optimal dual potentials: ``u[i] + v[j] <= cost[i, j]`` for every pair, with equality
        on the plan, and ``a @ u + b @ v == value``. Duals are unique only up to
        ``u + t, v - t``; fastloss picks ``a @ u == b @ v``.
    status : str
        ``"optimal"``, or ``"max_iter_reached"`` (the plan is then not optimal).
    iterations : int
        Augmenting paths used.
    shape : (int, int)
        ``(n, m)``.
    """

    value: float
    rows: np.ndarray
    cols: np.ndarray
    masses: np.ndarray
    u: np.ndarray
    v: np.ndarray
    status: str
    iterations: int
    shape: tuple[int, int]

    def dense(self) -> np.ndarray:
        """The plan as an ``(n, m)`` float64 matrix."""
        plan = np.zeros(self.shape)
        plan[self.rows, self.cols] = self.masses
        return plan


def _max_iter(max_iter: Any, n: int, m: int) -> int:
    if max_iter is None:
        return 1000 * (n + m)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        msg = f"max_iter: expected a positive integer or None, got {max_iter!r}"
        raise ValueError(msg)
    return int(max_iter)


def _grad_scales(grad_output: Any, batch: int, batched: bool, reduction: str) -> np.ndarray:
    """The factor each problem's value is multiplied by in the reduced loss, times grad_output."""
    if grad_output is None:
        g = np.ones(batch)
    else:
        g = np.asarray(grad_output, dtype=np.float64)
        if g.ndim > 0 and not (batched and reduction == "none"):
            msg = (f"grad_output: an array needs a batch with reduction='none'; got shape "
                   f"{g.shape}")
            raise ValueError(msg)
        if g.ndim > 0 and g.shape != (batch,):
            msg = f"grad_output: expected shape ({batch},), one value per problem, got {g.shape}"
            raise ValueError(msg)
        g = np.array(np.broadcast_to(g, (batch,)), order="C")
    if batched and reduction == "mean":
        g = g / batch
    return g


METHOD = Choice("method", {"auto": _core.TransportMethod.AUTO,
                           "shortest_path": _core.TransportMethod.SHORTEST_PATH,
                           "network_simplex": _core.TransportMethod.NETWORK_SIMPLEX})


def _solve(problems: TransportProblems, power: float, max_iter: Any, num_threads: Any,
           method: Any, *, want_plan: bool = False, want_duals: bool = False, want_grad: bool = False,
           grad_scale: np.ndarray | None = None) -> dict:
    METHOD.check(method)
    if problems.has_inf:
        if method == "network_simplex":
            msg = "method: the network simplex needs finite costs; use 'shortest_path' or 'auto'"
            raise ValueError(msg)
        method = "shortest_path"  # it treats +inf as a missing pair
    batch, n, m = problems.shape
    out = _core.earth_movers_distance(
        problems.x, problems.y, problems.cost, problems.x_lengths, problems.y_lengths,
        problems.a, problems.b, power, _max_iter(max_iter, n, m), want_plan, want_duals,
        want_grad, np.ones(batch) if grad_scale is None else grad_scale, DENSE_COST_ENTRIES,
        METHOD(method), resolve_threads(num_threads))
    status = out["status"]
    if (status == 2).any():
        k = int(np.argmax(status == 2))
        where = f" (problem {k})" if problems.batched else ""
        msg = f"cost: no plan of finite cost moves all the mass{where}"
        raise ValueError(msg)
    if (status == 1).any():
        k = int(np.argmax(status == 1))
        where = f" in problem {k}" if problems.batched else ""
        warnings.warn(f"emd: max_iter reached{where}; the plan is not optimal (the shortest "
                      "paths leave it partial, the network simplex feasible but costlier)",
                      RuntimeWarning, stacklevel=3)
    return out


def _reduce(values: np.ndarray, problems: TransportProblems, reduction: str) -> Any:
    dtype = problems.dtype
    if not problems.batched:
        return dtype.type(values[0])
    if reduction == "none":
        return values.astype(dtype)
    return dtype.type(values.mean() if reduction == "mean" else values.sum())


def _weight_grad(grad: np.ndarray, given: Any, problems: TransportProblems) -> Any:
    """The gradient w.r.t. a mass vector in the caller's shape (None if it was not given)."""
    if given is None:
        return None
    shape = np.shape(given)
    dtype = problems.dtype
    if problems.batched and len(shape) == 1:  # one vector shared by the batch
        return grad.sum(axis=0).astype(dtype)
    return problems.unbatch(grad).astype(dtype, copy=False)


_PARAMS = """
    x : array_like of float
        Points ``(n, D)``, or a batch ``(B, n, D)``; any dimension D >= 1.
    y : array_like of float
        ``(m, D)`` or ``(B, m, D)``: the same D (and B); m may differ from n.
    a, b : array_like of float, optional
        Masses of the points of x and of y, ``(n,)`` / ``(m,)`` (shared by a batch) or
        ``(B, n)`` / ``(B, m)``; non-negative, with equal totals (to 1e-9 relative, 1e-6 for
        float32 masses; b is then rescaled to a's total). None: uniform, 1 / n each.
    cost : {"euclidean", "sqeuclidean"}, default "euclidean"
        The ground cost ``||x_i - y_j||`` or ``||x_i - y_j||^2``.
    p : float, optional
        Ground cost ``||x_i - y_j||^p`` (p > 0; p = 1 is "euclidean", p = 2 "sqeuclidean").
        The value is the transport cost, not its p-th root (POT's ``emd2`` convention).
    x_lengths, y_lengths : array_like of int, optional
        Points of each cloud of a ragged batch padded to n and m, shape ``(B,)``, each >= 1;
        padding is never read and its masses are ignored.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the problems of a batch; ``"none"`` returns one value per problem.
    normalize : bool, default False
        Rescale a and b to total 1 each instead of requiring equal totals.
    max_iter : int, optional
        Augmenting paths or pivots allowed per problem (default 1000 (n + m)); when they run
        out a RuntimeWarning is issued and the value is that of the plan so far (partial for
        the shortest paths, feasible but not optimal for the network simplex).
    method : {"auto", "shortest_path", "network_simplex"}, default "auto"
        The exact solver: successive shortest paths (Jonker-Volgenant), the network simplex,
        or the faster for the problem (measured: the shortest paths for n = m <= 1000 with
        uniform masses, an assignment problem; the network simplex otherwise). Same value
        either way. Cost matrices with +inf entries always use the shortest paths.
    num_threads : int, optional
        Threads for this call: one problem per thread; a single problem uses them for its
        cost matrix."""

_NOTES = """
    The exact linear program min sum_ij T_ij c_ij over plans T >= 0 with row sums a and column
    sums b. Small assignment problems (n = m <= 1000, uniform masses) are solved by successive
    shortest paths, the primal-dual method of Jonker and Volgenant's assignment algorithm
    (Dijkstra on reduced costs; the potentials it leaves are optimal duals); the rest by the
    primal network simplex with block pricing, started from a greedy plan (cheapest arcs
    first, the rest by the north-west corner along a space-filling curve through the points),
    and kept strongly feasible so that degenerate pivots cannot cycle. Both give a basic plan (a forest) and optimal duals. Costs of point
    inputs are computed row by row (kept as a dense matrix only while it takes at most 256
    MiB; the network simplex prices on a float copy and finishes on exact costs), so memory is O(n + m) for large problems. Each problem is solved by one thread, the
    same way for any thread count. Values are computed and accumulated in double."""


_EMD_GRAD = fill("""its gradients, ``(value, (grad_x, grad_y, grad_a, grad_b))``.

    The gradient w.r.t. the points goes through the optimal plan, held fixed (the envelope
    theorem): ``sum_j T_ij d c(x_i, y_j) / d x_i``; it is the gradient wherever the plan is
    unique. Where x_i = y_j the Euclidean cost (and any p <= 2) contributes 0. The gradients
    w.r.t. the masses are the optimal dual potentials, centred (POT's convention: the masses
    live on a simplex, so only the centred part is defined); ``grad_a`` / ``grad_b`` are None
    for masses not given. With ``normalize=True`` they are those of the normalised masses.

    Parameters
    ----------
    <params>
    grad_output : float or array_like, optional
        Scales the gradients as a vector-Jacobian product: a scalar, or ``(B,)`` for a batch
        with ``reduction="none"``.
    """, params=_PARAMS)


@loss(grads=("x", "y", "a", "b"), grad_doc=_EMD_GRAD, grad_note="")
@fill_doc(params=_PARAMS, notes=_NOTES)
def emd(x: ArrayLike, y: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None, *,
        cost: str = "euclidean", p: float | None = None, x_lengths: ArrayLike | None = None,
        y_lengths: ArrayLike | None = None, reduction: str = "mean", normalize: bool = False,
        max_iter: int | None = None, method: str = "auto", grad_output: Any = None,
        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Exact Earth Mover's Distance (optimal transport cost) between two weighted point sets.

    Parameters
    ----------
    <params>

    Returns
    -------
    value : scalar of the points' float dtype; ``(B,)`` for a batch with ``reduction="none"``.

    Raises
    ------
    ValueError
        Shapes that disagree, non-finite points, negative or unbalanced masses.

    Notes
    -----
    <notes>

    The plan and the duals come from :func:`emd_solve`.

    References
    ----------
    R. Jonker, A. Volgenant, "A shortest augmenting path algorithm for dense and sparse linear
    assignment problems", Computing 38, 1987. W. H. Cunningham, "A network simplex method",
    Mathematical Programming 11, 1976. POT ``ot.emd2`` (same value; POT runs LEMON's network
    simplex on a given cost matrix).

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.emd([[0.0], [1.0]], [[0.5], [3.0]]))  # (0.5 + 2) / 2
    1.25
    """
    check_reduction(reduction)
    problems = TransportProblems(x=x, y=y, a=a, b=b, x_lengths=x_lengths, y_lengths=y_lengths,
                                 normalize=normalize)
    scale = (_grad_scales(grad_output, problems.shape[0], problems.batched, reduction)
             if want_grad else None)
    out = _solve(problems, ground_power(cost, p), max_iter, num_threads, method,
                 want_grad=want_grad, grad_scale=scale)
    value = _reduce(out["value"], problems, reduction)
    if not want_grad:
        return value, None
    return value, (problems.unbatch(out["grad_x"]), problems.unbatch(out["grad_y"]),
                   _weight_grad(out["grad_a"], a, problems),
                   _weight_grad(out["grad_b"], b, problems))


emd_value_and_grad = emd.value_and_grad


_COST_PARAMS = """
    cost : array_like of float
        The cost matrix ``(n, m)``, or a batch ``(B, n, m)``; +inf forbids a pair (the problem
        must still have a plan of finite cost), NaN is an error.
    a, b : array_like of float, optional
        Masses of the rows and of the columns, ``(n,)`` / ``(m,)`` (shared by a batch) or
        ``(B, n)`` / ``(B, m)``; non-negative with equal totals, as for :func:`emd`. None:
        uniform.
    reduction : {"mean", "sum", "none"}, default "mean"
        Over the problems of a batch.
    normalize : bool, default False
        Rescale a and b to total 1 each instead of requiring equal totals.
    max_iter : int, optional
        Augmenting paths or pivots allowed per problem (default 1000 (n + m)).
    method : {"auto", "shortest_path", "network_simplex"}, default "auto"
        The exact solver: successive shortest paths (Jonker-Volgenant; the fastest for n = m
        with uniform masses, an assignment problem), the network simplex (general masses), or
        the first for uniform square problems and the second otherwise. Same value either way.
    num_threads : int, optional
        Threads for this call (one problem per thread)."""


_EMD_FROM_COST_GRAD = fill("""its gradients, ``(value, (grad_cost, grad_a, grad_b))``.

    The gradient w.r.t. the cost matrix is the optimal plan (dense, the cost's shape); those
    w.r.t. the masses are the centred optimal duals (POT's convention), None for masses not
    given.

    Parameters
    ----------
    <params>
    grad_output : float or array_like, optional
        Scales the gradients: a scalar, or ``(B,)`` for a batch with ``reduction="none"``.
    """, params=_COST_PARAMS)


@loss(grads=("cost", "a", "b"), grad_doc=_EMD_FROM_COST_GRAD, grad_note="")
@fill_doc(params=_COST_PARAMS, notes=_NOTES)
def emd_from_cost(cost: ArrayLike, a: ArrayLike | None = None, b: ArrayLike | None = None, *,
                  reduction: str = "mean", normalize: bool = False, max_iter: int | None = None,
                  method: str = "auto", grad_output: Any = None, num_threads: int | None = None,
                  want_grad: bool) -> tuple[Any, Any]:
    """Exact optimal transport cost for a given cost matrix (POT's ``ot.emd2(a, b, M)``).

    Parameters
    ----------
    <params>

    Returns
    -------
    value : scalar of the cost's float dtype; ``(B,)`` for a batch with ``reduction="none"``.

    Notes
    -----
    <notes>

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.emd_from_cost([[0.0, 1.0], [1.0, 0.0]], [0.5, 0.5], [0.25, 0.75]))
    0.25
    """
    check_reduction(reduction)
    problems = TransportProblems(cost=_required_cost(cost), a=a, b=b, normalize=normalize)
    scale = (_grad_scales(grad_output, problems.shape[0], problems.batched, reduction)
             if want_grad else None)
    out = _solve(problems, 1.0, max_iter, num_threads, method, want_grad=want_grad,
                 grad_scale=scale)
    value = _reduce(out["value"], problems, reduction)
    if not want_grad:
        return value, None
    return value, (problems.unbatch(out["grad_cost"]), _weight_grad(out["grad_a"], a, problems),
                   _weight_grad(out["grad_b"], b, problems))


emd_from_cost_value_and_grad = emd_from_cost.value_and_grad


def emd_solve(x: ArrayLike | None = None, y: ArrayLike | None = None,
              a: ArrayLike | None = None, b: ArrayLike | None = None, *,
              cost_matrix: ArrayLike | None = None, cost: str = "euclidean",
              p: float | None = None, x_lengths: ArrayLike | None = None,
              y_lengths: ArrayLike | None = None, normalize: bool = False,
              max_iter: int | None = None, method: str = "auto",
              num_threads: int | None = None
              ) -> EmdResult | list[EmdResult]:
    """Solves exact transport problems and returns everything: value, plan, duals, status.

    The inputs are those of :func:`emd` (points x, y) or of :func:`emd_from_cost`
    (``cost_matrix=``, with x and y omitted). A single problem gives an :class:`EmdResult`; a
    batch gives a list of them (ragged problems sized by their lengths). Reaching
    ``max_iter`` warns and gives ``status="max_iter_reached"``.

    Examples
    --------
    >>> import fastloss
    >>> r = fastloss.emd_solve(cost_matrix=[[0.0, 1.0], [1.0, 0.0]], a=[0.5, 0.5],
    ...                        b=[0.25, 0.75])
    >>> r.rows.tolist(), r.cols.tolist(), r.masses.tolist()
    ([0, 0, 1], [0, 1, 1], [0.25, 0.25, 0.5])
    """
    if cost_matrix is not None:
        if x is not None or y is not None:
            msg = "cost_matrix: give either points x, y or cost_matrix, not both"
            raise ValueError(msg)
        problems = TransportProblems(cost=cost_matrix, a=a, b=b, normalize=normalize)
        power = 1.0
    else:
        if x is None or y is None:
            msg = "x, y: expected both point sets, or cost_matrix="
            raise ValueError(msg)
        problems = TransportProblems(x=x, y=y, a=a, b=b, x_lengths=x_lengths,
                                     y_lengths=y_lengths, normalize=normalize)
        power = ground_power(cost, p)
    out = _solve(problems, power, max_iter, num_threads, method, want_plan=True,
                 want_duals=True)
    batch, n, m = problems.shape
    results = []
    for k in range(batch):
        nk = n if problems.x_lengths is None else int(problems.x_lengths[k])
        mk = m if problems.y_lengths is None else int(problems.y_lengths[k])
        count = int(out["count"][k])
        results.append(EmdResult(
            value=float(out["value"][k]), rows=out["rows"][k, :count].copy(),
            cols=out["cols"][k, :count].copy(), masses=out["masses"][k, :count].copy(),
            u=out["u"][k, :nk].copy(), v=out["v"][k, :mk].copy(),
            status=_STATUS[int(out["status"][k])], iterations=int(out["iterations"][k]),
            shape=(nk, mk)))
    return results if problems.batched else results[0]
