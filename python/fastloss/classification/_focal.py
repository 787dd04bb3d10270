"""Focal losses (Lin et al. 2017): sigmoid form for detection, softmax form for multi-class."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._loss import loss
from .._options import check_number, check_reduction, reduction_enum, resolve_threads
from .._validation import (
    as_float_arrays,
    as_labels,
    check_grad_out,
    check_nonempty,
    check_same_shape,
    finish,
    grad_output_args,
)
from ._cross_entropy import check_alpha, check_ignore_index
from ._layout import ClassLayout

__all__ = [
    "sigmoid_focal_loss",
    "sigmoid_focal_loss_value_and_grad",
    "softmax_focal_loss",
    "softmax_focal_loss_value_and_grad",
]

ArrayLike = Any

_REFERENCE = """
    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollar, "Focal Loss for Dense Object
    Detection", ICCV 2017, arXiv:1708.02002."""


def _check_gamma(gamma: float) -> float:
    return check_number(gamma, "gamma", minimum=0.0)


def _sigmoid_focal(logits, targets, alpha, gamma, reduction, grad_output, num_threads, want_grad,
                   grad_out=None):
    check_reduction(reduction)
    a = check_alpha(alpha)
    g = _check_gamma(gamma)
    (x, t), dtype = as_float_arrays(logits=logits, targets=targets)
    check_same_shape(x, "logits", t, "targets")
    check_nonempty(x, "logits")
    scale, per_item = grad_output_args(grad_output, dtype, x.shape, reduction)
    out = check_grad_out(grad_out, dtype, x.shape, (x, t))
    value, grad = _core.sigmoid_focal_loss(x, t, a, g, reduction_enum(reduction), want_grad, scale, per_item, out,
                                           resolve_threads(num_threads))
    return finish(value, dtype, x.shape), finish(grad, dtype, x.shape)


@loss(grads="logits",
      grad_doc="""its gradient w.r.t. ``logits``, in one fused pass.

    For hard targets y in {-1, +1} and alpha = 1 this is
    y (1 - p_t)^gamma (gamma p_t log p_t + p_t - 1).""")
@fill_doc(ref=_REFERENCE)
def sigmoid_focal_loss(logits: ArrayLike, targets: ArrayLike, *, alpha: float | None = 0.25,
                       gamma: float = 2.0, reduction: str = "mean", grad_output: Any = None,
                       grad_out: np.ndarray | None = None, num_threads: int | None = None,
                       want_grad: bool) -> tuple[Any, Any]:
    """Sigmoid focal loss, ``torchvision.ops.sigmoid_focal_loss``'s convention.

    .. math::
        \\ell_i = \\alpha_t (1 - p_t)^\\gamma\\, \\mathrm{BCE}(x_i, t_i), \\quad
        p_t = p t + (1 - p)(1 - t), \\quad \\alpha_t = \\alpha t + (1 - \\alpha)(1 - t),
        \\quad p = \\sigma(x).

    Down-weights well-classified examples so training concentrates on the hard ones.

    Parameters
    ----------
    logits : array_like of float
        Raw scores, any shape.
    targets : array_like of float
        Targets in [0, 1] (hard or soft), the shape of ``logits``.
    alpha : float in [0, 1] or None, default 0.25
        Weight of the positive class; None switches alpha weighting off.
    gamma : float >= 0, default 2
        Focusing exponent; ``gamma = 0`` gives (alpha-balanced) binary cross-entropy.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by the number of elements.
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the input float dtype, or an array shaped like ``logits`` for ``"none"``.

    Raises
    ------
    ValueError
        Shape mismatch, empty input, targets outside [0, 1], alpha outside [0, 1], gamma < 0.

    Notes
    -----
    The modulating factor is computed in log space, (1 - p_t)^gamma = exp(gamma log(1 - p_t)),
    with log(1 - p_t) = -softplus(+-x) exactly for hard targets, so values and gradients are
    finite for every gamma >= 0 (also 0 < gamma < 1) and logits up to +-1e4 and beyond.

    <ref>

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.sigmoid_focal_loss([2.0, -1.0], [1.0, 0.0])), 4)
    0.0087
    """
    return _sigmoid_focal(logits, targets, alpha, gamma, reduction, grad_output, num_threads, want_grad,
                          grad_out)


sigmoid_focal_loss_value_and_grad = sigmoid_focal_loss.value_and_grad


def _softmax_focal(logits, labels, alpha, gamma, ignore_index, reduction, grad_output,
                   num_threads, want_grad, grad_out=None):
    check_reduction(reduction)
    g = _check_gamma(gamma)
    ignore = check_ignore_index(ignore_index)
    (x, a), dtype = as_float_arrays(logits=logits, alpha=alpha, optional=("alpha",))
    layout = ClassLayout(x, native=True)
    if a is not None and a.ndim == 0:
        a = np.full(layout.n_classes, a, dtype=dtype)
    a = layout.class_vector(a, "alpha")
    y = layout.check_items(as_labels(labels), "labels")
    scale, per_item = grad_output_args(grad_output, dtype, layout.item_shape, reduction)
    per_item = None if per_item is None else per_item.reshape(-1)
    out = check_grad_out(grad_out, dtype, x.shape, (x, a))
    value, grad = _core.softmax_focal_loss(layout.rows(x), y, a, g, ignore, reduction_enum(reduction), want_grad,
                                           scale, per_item, layout.rows_out(out),
                                           resolve_threads(num_threads))
    return finish(layout.items(value), dtype), layout.from_rows(grad, out)


@loss(grads="logits", grad_doc="""its gradient w.r.t. ``logits``, in one fused pass.""")
@fill_doc(ref=_REFERENCE)
def softmax_focal_loss(logits: ArrayLike, labels: ArrayLike, *, alpha: ArrayLike | None = None,
                       gamma: float = 2.0, ignore_index: int = -100, reduction: str = "mean",
                       grad_output: Any = None, grad_out: np.ndarray | None = None,
                       num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Multi-class focal loss on the softmax of the logits.

    .. math:: \\ell_i = -\\alpha_{y_i} (1 - p_{i y_i})^\\gamma \\log p_{i y_i},
              \\quad p_i = \\operatorname{softmax}(x_i).

    Parameters
    ----------
    logits : array_like of float
        Raw scores, shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dk)`` (class axis 1).
    labels : array_like of int
        Class indices of the item shape (``()``, ``(N,)`` or ``(N, d1, ..., dk)``), in [0, C)
        or equal to ``ignore_index``.
    alpha : float or array_like of float, optional
        Per-class weights, shape ``(C,)`` (a scalar applies to every class). None: off.
    gamma : float >= 0, default 2
        Focusing exponent; ``gamma = 0`` gives cross-entropy exactly.
    ignore_index : int, default -100
        Label whose items contribute nothing.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by the number of non-ignored items (0 if there are none).
    num_threads : int, optional
        Threads for this call.

    Notes
    -----
    1 - p_y is summed from the other classes, so it keeps full relative accuracy as p_y -> 1;
    values and gradients stay finite for every gamma >= 0.

    <ref>

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.softmax_focal_loss([[2.0, 0.0, -1.0]], [0])), 4)
    0.0041
    """
    return _softmax_focal(logits, labels, alpha, gamma, ignore_index, reduction, grad_output,
                          num_threads, want_grad, grad_out)


softmax_focal_loss_value_and_grad = softmax_focal_loss.value_and_grad
