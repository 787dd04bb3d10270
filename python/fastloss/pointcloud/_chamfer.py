"""Point clouds: the Chamfer distance (value and gradients w.r.t. both clouds) and nearest
neighbours, on our own KD-tree and blocked brute-force kernels."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._loss import loss
from .._options import REDUCTION, Choice, check_number, resolve_threads
from .._validation import check_grad_outs, finish
from ._inputs import METHOD, CloudPair

__all__ = [
    "chamfer_distance",
    "chamfer_distance_value_and_grad",
    "nearest_neighbors",
]

ArrayLike = Any

DISTANCE = Choice("distance", {"squared_l2": _core.PointDistance.SQUARED_L2,
                               "l2": _core.PointDistance.L2, "l1": _core.PointDistance.L1})
POINT_REDUCTION = Choice("point_reduction", {"mean": _core.PointReduction.MEAN,
                                             "sum": _core.PointReduction.SUM,
                                             "max": _core.PointReduction.MAX,
                                             "none": _core.PointReduction.NONE})
BATCH_REDUCTION = Choice("batch_reduction", REDUCTION.words)
# nearest_neighbors' Minkowski p: the kernels search in squared L2 or in L1
SEARCH_METRIC = Choice("p", {1: _core.SearchMetric.L1, 2: _core.SearchMetric.SQUARED_L2})


def _batch_vector(value: Any, name: str, clouds: CloudPair) -> np.ndarray | None:
    """A per-cloud (B,) vector of the clouds' dtype, checked non-negative."""
    if value is None:
        return None
    b = clouds.x.shape[0]
    arr = np.asarray(value, dtype=clouds.dtype)
    try:
        arr = np.ascontiguousarray(np.broadcast_to(arr, (b,)))
    except ValueError:
        msg = f"{name}: expected shape ({b},), one value per cloud, got {arr.shape}"
        raise ValueError(msg) from None
    if np.any(arr < 0) or np.any(np.isnan(arr)):
        msg = f"{name}: expected non-negative values, got {arr.tolist()}"
        raise ValueError(msg)
    return arr


def _direction_weights(direction_weights: Any) -> tuple[float, float]:
    if direction_weights is None:
        return 1.0, 1.0
    try:
        wx, wy = direction_weights
    except (TypeError, ValueError):
        msg = f"direction_weights: expected a pair (x -> y, y -> x), got {direction_weights!r}"
        raise ValueError(msg) from None
    return (check_number(wx, "direction_weights", minimum=0.0),
            check_number(wy, "direction_weights", minimum=0.0))


def _grad_outputs(grad_output: Any, clouds: CloudPair, point_reduction: str,
                  batch_reduction: str, single: bool):
    """(scale, per-cloud (B,), per-point x (B, P), per-point y (B, Q)) for the kernel."""
    if grad_output is None:
        return 1.0, None, None, None
    b, p, q = clouds.x.shape[0], clouds.x.shape[1], clouds.y.shape[1]
    if point_reduction == "none":
        if single:
            gx, gy = grad_output, None
        else:
            try:
                gx, gy = grad_output
            except (TypeError, ValueError):
                msg = ("grad_output: point_reduction='none' returns (x terms, y terms); expected "
                       "a pair of arrays shaped like them")
                raise ValueError(msg) from None

        def terms(g, n):
            if g is None:
                return None
            g = np.asarray(g, dtype=clouds.dtype)
            want = (b, n) if clouds.batched else (n,)
            if g.shape != want:
                msg = f"grad_output: expected shape {want} (the per-point terms), got {g.shape}"
                raise ValueError(msg)
            return np.ascontiguousarray(g.reshape(b, n))

        return 1.0, None, terms(gx, p), terms(gy, q)
    g = np.asarray(grad_output, dtype=clouds.dtype)
    if g.ndim == 0:
        return float(g), None, None, None
    if batch_reduction != "none" or not clouds.batched:
        msg = (f"grad_output: an array needs batch_reduction='none' on a batch of clouds; got "
               f"shape {g.shape}")
        raise ValueError(msg)
    if g.shape != (b,):
        msg = f"grad_output: expected shape ({b},), one value per cloud, got {g.shape}"
        raise ValueError(msg)
    return 1.0, np.ascontiguousarray(g), None, None


def _chamfer(x, y, x_lengths, y_lengths, weights, distance, point_reduction, batch_reduction,
             single_directional, direction_weights, method, num_threads, want_grad,
             grad_output=None, grad_out=None):
    clouds = CloudPair(x, y, x_lengths, y_lengths)
    distance_kind = DISTANCE(distance)
    point_kind = POINT_REDUCTION(point_reduction)
    batch_kind = BATCH_REDUCTION(batch_reduction)
    if point_reduction == "none" and batch_reduction != "none":
        msg = ("batch_reduction: point_reduction='none' returns per-point terms; pass "
               "batch_reduction='none' with it (PyTorch3D's rule)")
        raise ValueError(msg)
    wx, wy = _direction_weights(direction_weights)
    w = _batch_vector(weights, "weights", clouds)
    single = bool(single_directional)
    scale, g_cloud, g_x, g_y = _grad_outputs(grad_output, clouds, point_reduction,
                                             batch_reduction, single)
    xs, ys = np.asarray(x), np.asarray(y)
    gx_buf, gy_buf = check_grad_outs(grad_out, clouds.dtype, (xs.shape, ys.shape), (xs, ys))
    value, dist_x, dist_y, idx_x, idx_y, grad_x, grad_y = _core.chamfer_distance(
        clouds.x, clouds.y, clouds.x_lengths, clouds.y_lengths, w, distance_kind, point_kind,
        batch_kind, single, wx, wy, METHOD(method), want_grad, scale, g_cloud, g_x,
        g_y, None if gx_buf is None else gx_buf.reshape(clouds.x.shape),
        None if gy_buf is None else gy_buf.reshape(clouds.y.shape),
        resolve_threads(num_threads))
    if point_reduction == "none":
        terms = clouds.unbatch(dist_x)
        value = terms if single else (terms, clouds.unbatch(dist_y))
    elif isinstance(value, np.ndarray):
        value = value if clouds.batched else clouds.dtype.type(value[0])
    else:
        value = finish(value, clouds.dtype)
    indices = (clouds.unbatch(idx_x), clouds.unbatch(idx_y))
    grads = None
    if want_grad:
        grads = (gx_buf if gx_buf is not None else clouds.unbatch(grad_x),
                 gy_buf if gy_buf is not None else clouds.unbatch(grad_y))
    return value, indices, grads


_PARAMS = """
    x : array_like of float
        A cloud ``(P, D)`` or a batch of clouds ``(B, P, D)``, any dimension D >= 1.
    y : array_like of float
        ``(Q, D)`` or ``(B, Q, D)``: the same D (and B).
    x_lengths, y_lengths : array_like of int, optional
        Points of each cloud, shape ``(B,)``, for ragged batches padded to P and Q
        (PyTorch3D's convention); padding is never read. None: every cloud is full.
    weights : array_like of float, optional
        Per-cloud weights ``(B,)``, multiplying each cloud's value; ``batch_reduction="mean"``
        then divides by their sum (PyTorch3D), and gives 0 if they sum to 0.
    distance : {"squared_l2", "l2", "l1"}, default "squared_l2"
        The point distance: squared Euclidean (PyTorch3D's default), Euclidean, or L1 (sum of
        absolute differences). Nearest neighbours are Euclidean for the first two.
    point_reduction : {"mean", "sum", "max", "none"}, default "mean"
        Over each cloud's points, per direction. ``"max"`` of the Euclidean distance gives the
        (directed, then summed) Hausdorff distance. ``"none"`` returns the per-point terms
        (and needs ``batch_reduction="none"``).
    batch_reduction : {"mean", "sum", "none"}, default "mean"
        Over the clouds; ``"none"`` returns one value per cloud, shape ``(B,)``.
    single_directional : bool, default False
        Only the x -> y term (each x point to its nearest y point).
    direction_weights : (float, float), optional
        Weights of the x -> y and y -> x terms; default (1, 1).
    method : {"auto", "kdtree", "brute"}, default "auto"
        Neighbour search: our KD-tree, the blocked brute force, or the faster one for the
        clouds' sizes and dimension (see the README for the measured crossover).
    num_threads : int, optional
        Threads for this call."""

_NOTES = """
    Per cloud b, with d the point distance and NN the nearest neighbour,

    .. math:: v_b = w_b \\big(w_x R_i\\, d(x_i, NN_y(x_i)) + w_y R_j\\, d(y_j, NN_x(y_j))\\big),

    R the point reduction; then the batch reduction of v. A direction whose source or target
    cloud is empty contributes 0 (PyTorch3D divides by zero there). Ties between equally near
    neighbours go to the lower index, in both methods. No P x Q distance matrix is ever
    formed. Coordinates must be finite (NaN or inf in a real point raises ValueError);
    padding may hold anything."""


_GRAD_DOC = """its gradients w.r.t. both clouds, ``(value, (dx, dy))``.

    Each nearest neighbour is held fixed (the distance is piecewise smooth; this is the
    gradient wherever the neighbours are unique). A point receives the derivative of its own
    term and its neighbour the opposite one, gathered per neighbour in a fixed order, so the
    result is bitwise identical for any thread count. The L2 distance has gradient 0 where
    two points coincide; L1 uses sign(0) = 0. Padding gets 0.

    Parameters
    ----------
    <params>
    grad_output : float, or array_like, optional
        Scales the gradient as a vector-Jacobian product: a scalar; ``(B,)`` with
        ``batch_reduction="none"``; a pair shaped like ``(x_terms, y_terms)`` with
        ``point_reduction="none"`` (one array when single-directional).
    grad_out : (ndarray, ndarray), optional
        Buffers of exactly x's and y's shapes and dtype (C-contiguous, not overlapping an
        input) that receive the gradients and are returned.
    """.replace("<params>", _PARAMS.strip("\n").lstrip(" "))


@loss(grads=("x", "y"), value_only=("return_indices",), grad_doc=_GRAD_DOC, grad_note="")
@fill_doc(params=_PARAMS, notes=_NOTES)
def chamfer_distance(x: ArrayLike, y: ArrayLike, *, x_lengths: ArrayLike | None = None,
                     y_lengths: ArrayLike | None = None, weights: ArrayLike | None = None,
                     distance: str = "squared_l2", point_reduction: str = "mean",
                     batch_reduction: str = "mean", single_directional: bool = False,
                     direction_weights: tuple[float, float] | None = None,
                     return_indices: bool = False, method: str = "auto", grad_output: Any = None,
                     grad_out: tuple[np.ndarray, np.ndarray] | None = None,
                     num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Chamfer distance between point clouds, PyTorch3D's ``chamfer_distance`` conventions.

    Parameters
    ----------
    <params>
    return_indices : bool, default False
        Also return the nearest-neighbour indices: ``(value, idx_x_to_y, idx_y_to_x)``, int64
        of shapes ``(B, P)`` and ``(B, Q)`` (without B for single clouds), -1 for padding and
        for points whose other cloud is empty (``idx_y_to_x`` is None when single-directional).

    Returns
    -------
    value : scalar of the clouds' float dtype; ``(B,)`` for ``batch_reduction="none"``;
        for ``point_reduction="none"`` the per-point terms ``(x_terms, y_terms)`` of shapes
        ``(B, P)`` and ``(B, Q)`` (zero at padding), or ``x_terms`` alone when
        single-directional.

    Raises
    ------
    ValueError
        Shapes that disagree, lengths out of range, negative weights, non-finite points.

    Notes
    -----
    <notes>

    References
    ----------
    H. Fan, H. Su, L. Guibas, "A Point Set Generation Network for 3D Object Reconstruction
    from a Single Image", CVPR 2017. PyTorch3D ``pytorch3d.loss.chamfer_distance``.
    J. L. Bentley, "Multidimensional binary search trees used for associative searching",
    CACM 1975; S. Arya, D. Mount, "Algorithms for fast vector quantization", DCC 1993.

    Examples
    --------
    >>> import fastloss
    >>> x = [[0.0, 0.0], [1.0, 0.0]]
    >>> y = [[0.0, 1.0]]
    >>> float(fastloss.chamfer_distance(x, y))  # (1 + 2) / 2 + 1
    2.5
    """
    value, indices, grads = _chamfer(x, y, x_lengths, y_lengths, weights, distance,
                                     point_reduction, batch_reduction, single_directional,
                                     direction_weights, method, num_threads, want_grad,
                                     grad_output, grad_out)
    if want_grad:
        return value, grads
    return ((value, *indices) if return_indices else value), None


chamfer_distance_value_and_grad = chamfer_distance.value_and_grad




def nearest_neighbors(x: ArrayLike, y: ArrayLike, *, k: int = 1, p: int = 2,
                      x_lengths: ArrayLike | None = None, y_lengths: ArrayLike | None = None,
                      method: str = "auto", num_threads: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest points of ``y`` for every point of ``x``, as ``cKDTree(y).query(x, k)``.

    Parameters
    ----------
    x : array_like of float
        Query points ``(P, D)``, or a batch ``(B, P, D)`` (each cloud queried against its own
        cloud of ``y``).
    y : array_like of float
        ``(Q, D)`` or ``(B, Q, D)``.
    k : int >= 1, default 1
        Neighbours per query.
    p : {1, 2}, default 2
        Minkowski norm: Euclidean (2) or L1 (1).
    x_lengths, y_lengths : array_like of int, optional
        Points of each cloud ``(B,)`` for padded batches.
    method : {"auto", "kdtree", "brute"}, default "auto"
        As in :func:`chamfer_distance`.
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    distances : ndarray of the points' float dtype, ``(P,)`` for k = 1 else ``(P, k)`` (with
        a leading B for batches): Euclidean (not squared) or L1 distances, nearest first.
    indices : ndarray of int64, the same shape: rows of ``y``.

    Notes
    -----
    Ties go to the lower index. Where y has fewer than k points the missing neighbours have
    distance inf and index -1 (``cKDTree`` uses index Q); padded query rows give 0 and -1.

    Examples
    --------
    >>> import fastloss
    >>> d, i = fastloss.nearest_neighbors([[0.0, 0.0]], [[3.0, 4.0], [1.0, 0.0]], k=2)
    >>> d.tolist(), i.tolist()
    ([[1.0, 5.0]], [[1, 0]])
    """
    clouds = CloudPair(x, y, x_lengths, y_lengths)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        msg = f"k: expected a positive integer, got {k!r}"
        raise ValueError(msg)
    metric = SEARCH_METRIC(p)
    dist, idx = _core.nearest_neighbors(clouds.x, clouds.y, clouds.x_lengths, clouds.y_lengths,
                                        int(k), metric, METHOD(method),
                                        resolve_threads(num_threads))
    if k == 1:
        dist, idx = dist[..., 0], idx[..., 0]
    return clouds.unbatch(dist), clouds.unbatch(idx)
