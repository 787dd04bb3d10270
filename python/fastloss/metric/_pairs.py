"""Metric-learning losses on explicit pairs and triplets, PyTorch's conventions."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import _core
from .._loss import loss
from .._options import (
    Choice,
    check_number,
    check_reduction,
    reduction_enum,
    resolve_threads,
)
from .._validation import (
    as_float_arrays,
    check_grad_outs,
    check_same_shape,
    finish,
    grad_output_args,
)

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

ArrayLike = Any


def _rows_of(name, first, *others):
    """(N, D) views of (D,) or (N, D) inputs of one shape, and the per-item shape."""
    if first.ndim not in (1, 2) or first.size == 0:
        msg = f"{name}: expected a non-empty (D,) or (N, D) array, got shape {first.shape}"
        raise ValueError(msg)
    rows = first.reshape(1, -1) if first.ndim == 1 else first
    items = () if first.ndim == 1 else (first.shape[0],)
    return rows, tuple(o.reshape(rows.shape) for o in others), items


def _flat_or_none(buf, shape):
    return None if buf is None else buf.reshape(shape)


def _grads(want_grad, bufs, computed, shape):
    """The gradients returned: the caller's buffers where given, else the kernel's arrays."""
    if not want_grad:
        return None
    return tuple(buf if buf is not None else g.reshape(shape) for buf, g in zip(bufs, computed))


# ---- margin ranking --------------------------------------------------------------------------

def _margin_ranking(x1, x2, y, margin, reduction, grad_output, num_threads, want_grad,
                    grad_out=None):
    check_reduction(reduction)
    m = check_number(margin, "margin")
    (a, b, t), dtype = as_float_arrays(x1=x1, x2=x2, y=y)
    check_same_shape(a, "x1", b, "x2")
    if a.size == 0:
        msg = f"x1: expected a non-empty array, got shape {a.shape}"
        raise ValueError(msg)
    try:
        t = np.ascontiguousarray(np.broadcast_to(t, a.shape))
    except ValueError:
        msg = f"y: expected a shape broadcastable to {a.shape}, got {t.shape}"
        raise ValueError(msg) from None
    if not np.all(np.abs(t) == 1):
        msg = "y: expected values in {-1, 1} (1: x1 should rank higher)"
        raise ValueError(msg)
    scale, per_item = grad_output_args(grad_output, dtype, a.shape, reduction)
    g1, g2 = check_grad_outs(grad_out, dtype, (a.shape, a.shape), (a, b, t))
    flat = (a.reshape(-1), b.reshape(-1), t.reshape(-1))
    value, d1, d2 = _core.margin_ranking_loss(
        *flat, m, reduction_enum(reduction), want_grad, scale, _flat_or_none(per_item, -1),
        _flat_or_none(g1, -1), _flat_or_none(g2, -1),
        resolve_threads(num_threads))
    grads = _grads(want_grad, (g1, g2), (d1, d2), a.shape)
    return finish(value, dtype, a.shape), grads


@loss(grads=("x1", "x2"), grad_note="",
      grad_doc="""its gradients ``(d / d x1, d / d x2)``.

    ``grad_output`` (a scalar, or an array of the scores' shape with ``reduction="none"``)
    scales the gradients as a vector-Jacobian product; ``grad_out`` is a pair of buffers of
    the scores' shape and dtype that receive them. At the hinge (loss exactly 0) the gradient
    is 0, as in PyTorch.""")
def margin_ranking_loss(x1: ArrayLike, x2: ArrayLike, y: ArrayLike, *, margin: float = 0.0,
                        reduction: str = "mean", grad_output: Any = None,
                        grad_out: tuple[np.ndarray, np.ndarray] | None = None,
                        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Margin ranking loss, ``torch.nn.functional.margin_ranking_loss``'s convention.

    .. math:: \\ell_i = \\max(0, -y_i (x_{1i} - x_{2i}) + \\text{margin}).

    Parameters
    ----------
    x1, x2 : array_like of float
        Scores of the same shape.
    y : array_like of {-1, 1}
        1 where ``x1`` should rank higher, -1 where ``x2`` should; broadcast to the scores.
    margin : float, default 0
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the inputs' float dtype, or the per-element losses for ``"none"``.

    Raises
    ------
    ValueError
        Shapes that disagree, an empty input, ``y`` outside {-1, 1} (PyTorch does not check;
        0/1 labels would silently rank the wrong way).

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.margin_ranking_loss([1.0, 0.0], [0.5, 0.5], [1, 1], margin=0.2))
    0.35
    """
    return _margin_ranking(x1, x2, y, margin, reduction, grad_output, num_threads, want_grad,
                           grad_out)


margin_ranking_loss_value_and_grad = margin_ranking_loss.value_and_grad


# ---- triplet margin --------------------------------------------------------------------------

def _norm_degree(p: Any) -> float:
    """The p of an Lp norm: a number >= 1, or inf (the Chebyshev norm, max |v_k|)."""
    if isinstance(p, numbers.Real) and not isinstance(p, bool) and float(p) == math.inf:
        return math.inf
    return check_number(p, "p", minimum=1.0)


def _triplet(anchor, positive, negative, margin, p, eps, swap, reduction, grad_output,
             num_threads, want_grad, grad_out=None):
    check_reduction(reduction)
    m = check_number(margin, "margin")
    norm = _norm_degree(p)
    e = check_number(eps, "eps", minimum=0.0)
    (a, ps, ng), dtype = as_float_arrays(anchor=anchor, positive=positive, negative=negative)
    check_same_shape(a, "anchor", ps, "positive")
    check_same_shape(a, "anchor", ng, "negative")
    rows, (rp, rn), items = _rows_of("anchor", a, ps, ng)
    scale, per_item = grad_output_args(grad_output, dtype, items, reduction)
    bufs = check_grad_outs(grad_out, dtype, (a.shape,) * 3, (a, ps, ng))
    value, ga, gp, gn = _core.triplet_margin_loss(
        rows, rp, rn, m, norm, e, bool(swap), reduction_enum(reduction),
        want_grad, scale, _flat_or_none(per_item, -1),
        *(_flat_or_none(g, rows.shape) for g in bufs),
        resolve_threads(num_threads))
    grads = _grads(want_grad, bufs, (ga, gp, gn), a.shape)
    return finish(value, dtype, items), grads


@loss(grads=("anchor", "positive", "negative"), grad_note="",
      grad_doc="""its gradients w.r.t. the anchor, the positive and the
    negative, in one pass.

    ``grad_output`` (a scalar, or ``(N,)`` with ``reduction="none"``) scales them as a
    vector-Jacobian product; ``grad_out`` is a tuple of three buffers of the inputs' shape
    and dtype that receive them. Inactive triplets (loss 0) get 0, as in PyTorch.""")
def triplet_margin_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                        margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                        swap: bool = False, reduction: str = "mean", grad_output: Any = None,
                        grad_out: tuple[np.ndarray, np.ndarray, np.ndarray]
                                       | None = None,
                        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Triplet margin loss, ``torch.nn.functional.triplet_margin_loss``'s convention.

    .. math:: \\ell_i = \\max(0, d(a_i, p_i) - d(a_i, n_i) + \\text{margin}), \\quad
              d(u, v) = \\lVert u - v + \\epsilon \\rVert_p,

    (``eps`` is added to the difference, as ``torch.nn.functional.pairwise_distance`` does).
    With ``swap=True``, d(a, n) is replaced by min(d(a, n), d(p, n)) (Balntas et al. 2016;
    ties keep d(a, n)).

    Parameters
    ----------
    anchor, positive, negative : array_like of float
        Embeddings of one shape, ``(D,)`` or ``(N, D)``.
    margin : float, default 1
    p : float >= 1 or inf, default 2
        The norm's degree; ``inf`` gives the Chebyshev distance max_k |u_k - v_k + eps|.
    eps : float >= 0, default 1e-6
    swap : bool, default False
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per triplet, shape ``(N,)`` (``()`` for 1-D inputs).
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the inputs' float dtype, or the per-triplet losses for ``"none"``.

    Notes
    -----
    Norms and gradients are computed in double. Where a difference has norm 0 its gradient
    is taken as 0; for ``p=inf`` the gradient is shared equally among the coordinates that
    tie for the maximum, as in PyTorch.

    References
    ----------
    F. Schroff, D. Kalenichenko, J. Philbin, "FaceNet", CVPR 2015; V. Balntas, E. Riba,
    D. Ponsa, K. Mikolajczyk, "Learning local feature descriptors with triplets and shallow
    convolutional neural networks", BMVC 2016.

    Examples
    --------
    >>> import fastloss
    >>> a, p, n = [0.0, 0.0], [1.0, 0.0], [0.0, 2.0]
    >>> round(float(fastloss.triplet_margin_loss(a, p, n, margin=1.5, eps=0.0)), 4)
    0.5
    """
    return _triplet(anchor, positive, negative, margin, p, eps, swap, reduction, grad_output,
                    num_threads, want_grad, grad_out)


triplet_margin_loss_value_and_grad = triplet_margin_loss.value_and_grad


# ---- contrastive and angular (explicit pairs and triplets) -----------------------------------

PAIR_DISTANCE = Choice("distance", {"euclidean": _core.PairDistance.EUCLIDEAN,
                                   "squared": _core.PairDistance.SQUARED})
SQUARED_HINGE = Choice("hinge", {"squared": True, "linear": False})


def _contrastive(x1, x2, y, margin, pos_margin, distance, hinge, reduction, grad_output,
                 num_threads, want_grad, grad_out=None):
    check_reduction(reduction)
    m = check_number(margin, "margin")
    pm = check_number(pos_margin, "pos_margin")
    (a, b, t), dtype = as_float_arrays(x1=x1, x2=x2, y=y)
    check_same_shape(a, "x1", b, "x2")
    rows, (rows2,), items = _rows_of("x1", a, b)
    try:
        t = np.ascontiguousarray(np.broadcast_to(t, (len(rows),)))
    except ValueError:
        msg = f"y: expected one label per pair, shape {items}, got {t.shape}"
        raise ValueError(msg) from None
    if not np.all((t == 0) | (t == 1)):
        msg = "y: expected values in {0, 1} (1: a similar pair)"
        raise ValueError(msg)
    scale, per_item = grad_output_args(grad_output, dtype, items, reduction)
    g1, g2 = check_grad_outs(grad_out, dtype, (a.shape, a.shape), (a, b, t))
    value, d1, d2 = _core.contrastive_loss(
        rows, rows2, t, pm, m, PAIR_DISTANCE(distance), SQUARED_HINGE(hinge),
        reduction_enum(reduction), want_grad, scale,
        _flat_or_none(per_item, -1),
        _flat_or_none(g1, rows.shape), _flat_or_none(g2, rows.shape), resolve_threads(num_threads))
    grads = _grads(want_grad, (g1, g2), (d1, d2), a.shape)
    return finish(value, dtype, items), grads


@loss(grads=("x1", "x2"), grad_note="",
      grad_doc="""its gradients ``(d / d x1, d / d x2)`` in one pass.

    ``grad_output`` (a scalar, or ``(N,)`` with ``reduction="none"``) scales them as a
    vector-Jacobian product; ``grad_out`` is a pair of buffers of the inputs' shape and dtype.""")
def contrastive_loss(x1: ArrayLike, x2: ArrayLike, y: ArrayLike, *, margin: float = 1.0,
                     pos_margin: float = 0.0, distance: str = "euclidean", hinge: str = "squared",
                     reduction: str = "mean", grad_output: Any = None,
                     grad_out: tuple[np.ndarray, np.ndarray] | None = None,
                     num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Contrastive loss of explicit pairs (Hadsell, Chopra, LeCun 2006).

    .. math:: \\ell_i = y_i\\, h(d_i - \\text{pos\\_margin})
              + (1 - y_i)\\, h(\\text{margin} - d_i),

    with ``h(v) = max(0, v)^2 / 2`` (``hinge="squared"``) or ``max(0, v)`` (``"linear"``).
    The defaults give Hadsell et al.'s form
    ``1/2 [y d^2 + (1 - y) max(0, margin - d)^2]`` (the 1/2 included);
    ``pos_margin`` and ``hinge="linear"`` give pytorch-metric-learning's ``ContrastiveLoss``
    (``neg_margin`` there is ``margin`` here).

    Parameters
    ----------
    x1, x2 : array_like of float
        Embeddings of one shape, ``(D,)`` or ``(N, D)``.
    y : array_like of {0, 1}
        1 for a similar pair, 0 for a dissimilar one; one per pair.
    margin : float, default 1
        Dissimilar pairs closer than this are penalised.
    pos_margin : float, default 0
        Similar pairs farther than this are penalised.
    distance : {"euclidean", "squared"}, default "euclidean"
        d = ||x1 - x2||_2, or its square substituted for d in the formula.
    hinge : {"squared", "linear"}, default "squared"
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the inputs' float dtype, or the per-pair losses for ``"none"``.

    Notes
    -----
    No ``eps`` is added to the difference; where d = 0 the gradient of the Euclidean distance
    is taken as 0 (as autograd of ``torch.linalg.vector_norm`` does). Distances in double.

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.contrastive_loss([[0.0, 0.0], [0.0, 0.0]], [[3.0, 4.0], [0.3, 0.4]],
    ...                                 [1, 0]))
    6.3125
    """
    return _contrastive(x1, x2, y, margin, pos_margin, distance, hinge, reduction,
                        grad_output, num_threads, want_grad, grad_out)


contrastive_loss_value_and_grad = contrastive_loss.value_and_grad


NPAIR_FORM = Choice("form", {"npair": True, "hinge": False})


def _angular(anchor, positive, negative, alpha, form, reduction, grad_output, num_threads,
             want_grad, grad_out=None):
    check_reduction(reduction)
    deg = check_number(alpha, "alpha")
    if not 0.0 < deg < 90.0:
        msg = f"alpha: expected an angle in degrees in (0, 90), got {alpha}"
        raise ValueError(msg)
    (a, ps, ng), dtype = as_float_arrays(anchor=anchor, positive=positive, negative=negative)
    check_same_shape(a, "anchor", ps, "positive")
    check_same_shape(a, "anchor", ng, "negative")
    rows, (rp, rn), items = _rows_of("anchor", a, ps, ng)
    scale, per_item = grad_output_args(grad_output, dtype, items, reduction)
    bufs = check_grad_outs(grad_out, dtype, (a.shape,) * 3, (a, ps, ng))
    value, ga, gp, gn = _core.angular_loss(
        rows, rp, rn, deg, NPAIR_FORM(form), reduction_enum(reduction), want_grad, scale,
        _flat_or_none(per_item, -1),
        *(_flat_or_none(g, rows.shape) for g in bufs),
        resolve_threads(num_threads))
    grads = _grads(want_grad, bufs, (ga, gp, gn), a.shape)
    return finish(value, dtype, items), grads


@loss(grads=("anchor", "positive", "negative"), grad_note="",
      grad_doc="""its gradients w.r.t. the anchor, the positive and the negative.

    ``grad_output`` and ``grad_out`` as in :func:`triplet_margin_loss_value_and_grad`. The
    hinge's gradient is 0 where the loss is 0.""")
def angular_loss(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike, *,
                 alpha: float = 40.0, form: str = "npair", reduction: str = "mean",
                 grad_output: Any = None,
                 grad_out: tuple[np.ndarray, np.ndarray, np.ndarray]
                                | None = None,
                 num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Angular loss of explicit triplets (Wang, Zhou, Wen, Liu, Lin, ICCV 2017).

    With t = tan(alpha):

    - ``form="npair"`` (eq. 9, the form used in practice and by pytorch-metric-learning):
      ``log(1 + exp(4 t^2 (a + p) . n - 2 (1 + t^2) a . p))``;
    - ``form="hinge"`` (eq. 5): ``max(0, ||a - p||^2 - 4 t^2 ||n - c||^2)``, c = (a + p) / 2.

    :func:`batch_angular_loss` takes a labelled batch instead (every negative per pair).

    Parameters
    ----------
    anchor, positive, negative : array_like of float
        Embeddings of one shape, ``(D,)`` or ``(N, D)``, used as given (the paper and
        pytorch-metric-learning L2-normalise them first).
    alpha : float in (0, 90), default 40
        The angle bound, in degrees.
    form : {"npair", "hinge"}, default "npair"
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the inputs' float dtype, or the per-triplet losses for ``"none"``.

    Examples
    --------
    >>> import fastloss
    >>> a, p, n = [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]
    >>> float(fastloss.angular_loss(a, p, n, form="hinge"))
    0.0
    """
    return _angular(anchor, positive, negative, alpha, form, reduction, grad_output,
                    num_threads, want_grad, grad_out)


angular_loss_value_and_grad = angular_loss.value_and_grad
