"""Regression losses: SSE, MSE, MAE, RSE, Huber and smooth L1, with gradients w.r.t. ``pred``.

All are one fused native pass over the residuals ``e = pred - target``; per-element work is in
double and sums are combined in a fixed order, so results do not depend on the thread count.
The gradient is with respect to ``pred``; the gradient with respect to ``target`` is its negative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
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
    broadcast_weight,
    check_grad_out,
    check_nonempty,
    check_same_shape,
    finish,
    grad_output_args,
)

__all__ = [
    "huber_loss",
    "huber_loss_value_and_grad",
    "mae",
    "mae_value_and_grad",
    "mse",
    "mse_value_and_grad",
    "rse",
    "rse_value_and_grad",
    "smooth_l1_loss",
    "smooth_l1_loss_value_and_grad",
    "sse",
    "sse_value_and_grad",
]

ArrayLike = Any

_COMMON_PARAMS = """
    Parameters
    ----------
    pred : array_like of float
        Predictions, any shape.
    target : array_like of float
        Targets, the shape of ``pred``.
    weight : array_like of float, optional
        Non-negative per-element weights, broadcastable to ``pred``; they scale each element's
        loss, and ``"mean"`` still divides by the element count (PyTorch's convention)."""


_KIND = Choice("kind", {"squared": _core.PointwiseKind.SQUARED,
                        "absolute": _core.PointwiseKind.ABSOLUTE,
                        "huber": _core.PointwiseKind.HUBER,
                        "smooth_l1": _core.PointwiseKind.SMOOTH_L1})


def _pointwise(kind: str, pred: ArrayLike, target: ArrayLike, weight: ArrayLike | None,
               threshold: float, reduction: str, grad_output: Any, num_threads: int | None,
               want_grad: bool, grad_out: np.ndarray | None = None
               ) -> tuple[Any, np.ndarray | None]:
    check_reduction(reduction)
    (p, t, w), dtype = as_float_arrays(pred=pred, target=target, weight=weight,
                                   optional=("weight",))
    check_same_shape(p, "pred", t, "target")
    check_nonempty(p, "pred")
    w = broadcast_weight(w, p.shape)
    scale, per_item = grad_output_args(grad_output, dtype, p.shape, reduction)
    out = check_grad_out(grad_out, dtype, p.shape, (p, t, w))
    value, grad = _core.pointwise_regression(p, t, w, _KIND(kind), threshold,
                                             reduction_enum(reduction), want_grad,
                                             scale, per_item, out, resolve_threads(num_threads))
    return finish(value, dtype, p.shape), finish(grad, dtype, p.shape)


@loss(grads="pred",
      grad_doc="""its gradient ``2 w (pred - target)`` w.r.t. ``pred``, in one pass.""")
@fill_doc(params=_COMMON_PARAMS)
def sse(pred: ArrayLike, target: ArrayLike, *, weight: ArrayLike | None = None,
        reduction: str = "sum", grad_output: Any = None, grad_out: np.ndarray | None = None,
        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Sum of squared errors.

    .. math:: \\mathrm{SSE} = \\sum_i w_i (\\hat y_i - y_i)^2

    <params>
    reduction : {"sum", "mean", "none"}, default "sum"
        ``"mean"`` gives the MSE, ``"none"`` the squared errors.
    num_threads : int, optional
        Threads for this call (default :func:`fastloss.get_num_threads`).

    Returns
    -------
    loss : scalar of the input float dtype, or an array shaped like ``pred`` for ``"none"``.

    Raises
    ------
    ValueError
        Mismatched shapes, empty input, negative weights, unknown reduction.
    TypeError
        Non-numeric input.

    See Also
    --------
    mse, rse, sse_value_and_grad

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.sse([1.0, 2.0, 4.0], [1.0, 1.0, 1.0]))
    10.0
    """
    return _pointwise("squared", pred, target, weight, 0.0, reduction, grad_output, num_threads, want_grad,
                      grad_out)


sse_value_and_grad = sse.value_and_grad


@loss(grads="pred", grad_doc="""its gradient w.r.t. ``pred`` (``2 w e / n`` for ``"mean"``).""")
@fill_doc(params=_COMMON_PARAMS)
def mse(pred: ArrayLike, target: ArrayLike, *, weight: ArrayLike | None = None,
        reduction: str = "mean", grad_output: Any = None, grad_out: np.ndarray | None = None,
        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Mean squared error (``torch.nn.functional.mse_loss``).

    .. math:: \\mathrm{MSE} = \\frac{1}{n} \\sum_i w_i (\\hat y_i - y_i)^2

    <params>
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the input float dtype, or an array shaped like ``pred`` for ``"none"``.

    See Also
    --------
    sse, mae, huber_loss, mse_value_and_grad

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.mse([1.0, 2.0, 4.0], [1.0, 1.0, 1.0]))
    3.3333333333333335
    """
    return _pointwise("squared", pred, target, weight, 0.0, reduction, grad_output, num_threads, want_grad,
                      grad_out)


mse_value_and_grad = mse.value_and_grad


@loss(grads="pred", grad_doc="""its gradient ``w sign(e)`` (divided by n for ``"mean"``).""")
@fill_doc(params=_COMMON_PARAMS)
def mae(pred: ArrayLike, target: ArrayLike, *, weight: ArrayLike | None = None,
        reduction: str = "mean", grad_output: Any = None, grad_out: np.ndarray | None = None,
        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Mean absolute error (``torch.nn.functional.l1_loss``).

    .. math:: \\mathrm{MAE} = \\frac{1}{n} \\sum_i w_i |\\hat y_i - y_i|

    <params>
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Notes
    -----
    The gradient at a zero residual is 0 (PyTorch's ``sign(0) = 0``).

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.mae([1.0, 2.0, 4.0], [1.0, 1.0, 1.0]))
    1.3333333333333333
    """
    return _pointwise("absolute", pred, target, weight, 0.0, reduction, grad_output, num_threads, want_grad,
                      grad_out)


mae_value_and_grad = mae.value_and_grad


def _check_delta(delta: float) -> float:
    return check_number(delta, "delta", minimum=0.0, strict=True)


def _check_beta(beta: float) -> float:
    return check_number(beta, "beta", minimum=0.0)


@loss(grads="pred", grad_doc="""its gradient ``clip(e, -delta, delta)`` w.r.t. ``pred``.""")
@fill_doc(params=_COMMON_PARAMS)
def huber_loss(pred: ArrayLike, target: ArrayLike, *, delta: float = 1.0,
               weight: ArrayLike | None = None, reduction: str = "mean", grad_output: Any = None,
               grad_out: np.ndarray | None = None, num_threads: int | None = None,
               want_grad: bool) -> tuple[Any, Any]:
    """Huber loss, PyTorch's ``huber_loss`` convention.

    .. math::
        \\ell(e) = \\begin{cases} \\tfrac12 e^2 & |e| < \\delta \\\\
                   \\delta (|e| - \\tfrac12 \\delta) & \\text{otherwise} \\end{cases}

    Huber (1964). ``huber_loss(delta=d) == d * smooth_l1_loss(beta=d)``.

    <params>
    delta : float, default 1.0
        Where the loss turns from quadratic to linear; must be > 0.
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.huber_loss([0.5, 3.0], [0.0, 0.0]))
    1.3125
    """
    d = _check_delta(delta)
    return _pointwise("huber", pred, target, weight, d, reduction, grad_output, num_threads, want_grad,
                      grad_out)


huber_loss_value_and_grad = huber_loss.value_and_grad


@loss(grads="pred", grad_doc="""its gradient (``e / beta`` inside, ``sign(e)`` outside).""")
@fill_doc(params=_COMMON_PARAMS)
def smooth_l1_loss(pred: ArrayLike, target: ArrayLike, *, beta: float = 1.0,
                   weight: ArrayLike | None = None, reduction: str = "mean",
                   grad_output: Any = None, grad_out: np.ndarray | None = None,
                   num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Smooth L1 loss, PyTorch's ``smooth_l1_loss`` convention (Girshick 2015, Fast R-CNN).

    .. math::
        \\ell(e) = \\begin{cases} \\tfrac12 e^2 / \\beta & |e| < \\beta \\\\
                   |e| - \\tfrac12 \\beta & \\text{otherwise} \\end{cases}

    ``beta = 0`` is the L1 loss.

    <params>
    beta : float, default 1.0
        Width of the quadratic zone; must be >= 0.
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call.

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.smooth_l1_loss([0.5, 3.0], [0.0, 0.0], beta=2.0))
    1.03125
    """
    b = _check_beta(beta)
    return _pointwise("smooth_l1", pred, target, weight, b, reduction, grad_output, num_threads, want_grad,
                      grad_out)


smooth_l1_loss_value_and_grad = smooth_l1_loss.value_and_grad


def _rse(pred: ArrayLike, target: ArrayLike, weight: ArrayLike | None, grad_output: Any,
         num_threads: int | None, want_grad: bool, grad_out: np.ndarray | None = None
         ) -> tuple[Any, np.ndarray | None]:
    (p, t, w), dtype = as_float_arrays(pred=pred, target=target, weight=weight,
                                   optional=("weight",))
    check_same_shape(p, "pred", t, "target")
    if p.size <= 2:
        msg = (f"pred: the residual standard error needs more than 2 elements (n - 2 degrees "
               f"of freedom), got {p.size}")
        raise ValueError(msg)
    w = broadcast_weight(w, p.shape)
    scale = 1.0 if grad_output is None else check_number(grad_output, "grad_output")
    out = check_grad_out(grad_out, dtype, p.shape, (p, t, w))
    value, grad = _core.residual_standard_error(p, t, w, want_grad, scale, out,
                                                resolve_threads(num_threads))
    return finish(value, dtype, p.shape), finish(grad, dtype, p.shape)


@loss(grads="pred",
      grad_doc="""its gradient ``w e / ((n - 2) RSE)`` w.r.t. ``pred`` (0 where RSE = 0).""")
def rse(pred: ArrayLike, target: ArrayLike, *, weight: ArrayLike | None = None,
        grad_output: float | None = None, grad_out: np.ndarray | None = None,
        num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Residual standard error over all elements.

    .. math:: \\mathrm{RSE} = \\sqrt{\\frac{1}{n - 2} \\sum_i w_i (\\hat y_i - y_i)^2}

    The residual standard error of a simple linear regression (n - 2 degrees of freedom), not
    the MSE. A scalar over every element; there is no ``reduction``.

    Parameters
    ----------
    pred, target : array_like of float
        Same shape, more than 2 elements.
    weight : array_like of float, optional
        Non-negative per-element weights (weighted least squares), broadcastable to ``pred``.
    num_threads : int, optional
        Threads for this call.

    Raises
    ------
    ValueError
        Fewer than 3 elements, mismatched shapes, negative weights.

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.rse([1.0, 2.0, 4.0], [1.0, 1.0, 1.0]))
    3.1622776601683795
    """
    return _rse(pred, target, weight, grad_output, num_threads, want_grad,
                      grad_out)


rse_value_and_grad = rse.value_and_grad
