"""Cross-entropy from logits: binary (sigmoid) and multi-class (softmax)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._loss import loss
from .._options import check_number, check_reduction, reduction_enum, resolve_threads
from .._validation import (
    as_float_arrays,
    as_labels,
    broadcast_weight,
    check_grad_out,
    check_nonempty,
    check_same_shape,
    finish,
    grad_output_args,
)
from ._layout import ClassLayout

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_value_and_grad",
    "cross_entropy",
    "cross_entropy_value_and_grad",
]

ArrayLike = Any


def check_alpha(alpha: float | None) -> float:
    """alpha in [0, 1], or None (-> -1, the kernels' "off")."""
    if alpha is None:
        return -1.0
    return check_number(alpha, "alpha", minimum=0.0, maximum=1.0)


def check_ignore_index(ignore_index: int) -> int:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        msg = f"ignore_index: expected an integer, got {type(ignore_index).__name__}"
        raise TypeError(msg)
    return int(ignore_index)


# ---------------------------------------------------------------------------------------------
# Binary cross-entropy


def _binary_cross_entropy(logits, targets, weight, pos_weight, alpha, reduction, grad_output,
                          num_threads, want_grad, grad_out=None):
    check_reduction(reduction)
    a = check_alpha(alpha)
    (x, t, w, pw), dtype = as_float_arrays(logits=logits, targets=targets, weight=weight,
                                           pos_weight=pos_weight,
                                           optional=("weight", "pos_weight"))
    check_same_shape(x, "logits", t, "targets")
    check_nonempty(x, "logits")
    w = broadcast_weight(w, x.shape)
    if pw is not None:
        cols = x.shape[-1] if x.ndim else 1
        pw = broadcast_weight(pw, (cols,), "pos_weight")
    scale, per_item = grad_output_args(grad_output, dtype, x.shape, reduction)
    out = check_grad_out(grad_out, dtype, x.shape, (x, t, w, pw))
    value, grad = _core.binary_cross_entropy(x, t, w, pw, a, reduction_enum(reduction), want_grad, scale,
                                             per_item, out, resolve_threads(num_threads))
    return finish(value, dtype, x.shape), finish(grad, dtype, x.shape)


_BCE_PARAMS = """
    Parameters
    ----------
    logits : array_like of float
        Raw scores, any shape.
    targets : array_like of float
        Probabilities in [0, 1] (hard 0/1 labels or soft targets), the shape of ``logits``.
    weight : array_like of float, optional
        Non-negative per-element weights, broadcastable to ``logits``.
    pos_weight : float or array_like of float, optional
        Weight of the positive term, one per class along the last axis (shape ``(C,)``) or a
        scalar (PyTorch's ``pos_weight``).
    alpha : float in [0, 1], optional
        Balanced CE: multiplies by alpha_t = alpha t + (1 - alpha)(1 - t). None: off.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by the number of elements.
    num_threads : int, optional
        Threads for this call (default :func:`fastloss.get_num_threads`)."""


@loss(grads="logits",
      grad_doc="""its gradient w.r.t. ``logits``, in one fused pass.

    d l / d x = w alpha_t [(1 - t) sigma(x) - p_w t sigma(-x)]  (= sigma(x) - t when unweighted).""")
@fill_doc(params=_BCE_PARAMS)
def binary_cross_entropy(logits: ArrayLike, targets: ArrayLike, *,
                         weight: ArrayLike | None = None, pos_weight: ArrayLike | None = None,
                         alpha: float | None = None, reduction: str = "mean",
                         grad_output: Any = None, grad_out: np.ndarray | None = None,
                         num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Binary cross-entropy from logits (``binary_cross_entropy_with_logits``).

    .. math::
        \\ell_i = -w_i\\,\\alpha_{t,i} \\left[ p_w\\, t_i \\log\\sigma(x_i)
                   + (1 - t_i) \\log(1 - \\sigma(x_i)) \\right]

    computed as ``w alpha_t [p_w t softplus(-x) + (1 - t) softplus(x)]``, finite for any logit.
    With ``alpha`` this is the balanced cross-entropy of the focal-loss paper (Lin et al. 2017).

    <params>

    Returns
    -------
    loss : scalar of the input float dtype, or an array shaped like ``logits`` for ``"none"``.

    Raises
    ------
    ValueError
        Shape mismatch, empty input, targets outside [0, 1], negative weights, alpha outside
        [0, 1], unknown reduction.
    TypeError
        Non-numeric input.

    See Also
    --------
    sigmoid_focal_loss, cross_entropy

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.binary_cross_entropy([2.0, -1.0], [1.0, 0.0])), 4)
    0.2201
    """
    return _binary_cross_entropy(logits, targets, weight, pos_weight, alpha, reduction,
                                 grad_output, num_threads, want_grad, grad_out)


binary_cross_entropy_value_and_grad = binary_cross_entropy.value_and_grad


# ---------------------------------------------------------------------------------------------
# Multi-class cross-entropy


def _cross_entropy(logits, target, weight, ignore_index, label_smoothing, reduction, grad_output,
                   num_threads, want_grad, grad_out=None):
    check_reduction(reduction)
    eps = check_number(label_smoothing, "label_smoothing", minimum=0.0, maximum=1.0)
    ignore = check_ignore_index(ignore_index)
    target = np.asarray(target)
    probs = target.dtype.kind == "f"
    (x, w, t), dtype = as_float_arrays(logits=logits, weight=weight,
                                       labels_or_probs=target if probs else None,
                                       optional=("weight", "labels_or_probs"))
    layout = ClassLayout(x, native=not probs)
    w = layout.class_vector(w, "weight")
    rows = layout.rows(x)
    scale, per_item = grad_output_args(grad_output, dtype, layout.item_shape, reduction)
    per_item = None if per_item is None else per_item.reshape(-1)
    out = check_grad_out(grad_out, dtype, x.shape, (x, w, t))
    threads = resolve_threads(num_threads)
    if probs:
        check_same_shape(x, "logits", t, "labels_or_probs")
        value, grad = _core.cross_entropy_probs(rows, layout.rows(t), w, eps, reduction_enum(reduction), want_grad,
                                                scale, per_item, layout.rows_out(out), threads)
    else:
        labels = layout.check_items(as_labels(target, "labels_or_probs"), "labels_or_probs")
        value, grad = _core.cross_entropy_labels(rows, labels, w, ignore, eps, reduction_enum(reduction), want_grad,
                                                 scale, per_item, layout.rows_out(out), threads)
    return finish(layout.items(value), dtype), layout.from_rows(grad, out)


_CE_PARAMS = """
    Parameters
    ----------
    logits : array_like of float
        Raw scores, shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dk)`` (class axis 1).
    labels_or_probs : array_like
        Integer class indices, shape ``()``, ``(N,)`` or ``(N, d1, ..., dk)``, each in [0, C)
        or equal to ``ignore_index``; or float class probabilities of the shape of ``logits``,
        each in [0, 1] (rows need not sum to 1, as in PyTorch).
    weight : array_like of float, optional
        Non-negative class weights, shape ``(C,)``.
    ignore_index : int, default -100
        Label whose items contribute nothing (integer labels only).
    label_smoothing : float in [0, 1], default 0
        Mixes the target with the uniform distribution: (1 - eps) target + eps / C.
    reduction : {"mean", "sum", "none"}, default "mean"
        With integer labels ``"mean"`` divides by the summed weights of the non-ignored items
        (PyTorch); with probabilities it divides by the number of items.
    num_threads : int, optional
        Threads for this call (default :func:`fastloss.get_num_threads`)."""


@loss(grads="logits",
      grad_doc="""its gradient w.r.t. ``logits``, in one fused pass.

    For integer labels, d l_i / d x_ic = a p_ic - b_c with a = (1 - eps) w_y + (eps / C) sum_k w_k
    and b_c = (1 - eps) w_y [c = y] + (eps / C) w_c.""")
@fill_doc(params=_CE_PARAMS)
def cross_entropy(logits: ArrayLike, labels_or_probs: ArrayLike, *,
                  weight: ArrayLike | None = None, ignore_index: int = -100,
                  label_smoothing: float = 0.0, reduction: str = "mean", grad_output: Any = None,
                  grad_out: np.ndarray | None = None, num_threads: int | None = None,
                  want_grad: bool) -> tuple[Any, Any]:
    """Softmax cross-entropy from logits, ``torch.nn.functional.cross_entropy``'s conventions.

    With integer labels y and smoothing eps,

    .. math::
        \\ell_i = (1 - \\varepsilon)\\, w_{y_i} \\left(-\\log p_{i y_i}\\right)
                + \\frac{\\varepsilon}{C} \\sum_c w_c \\left(-\\log p_{ic}\\right),
        \\qquad p_i = \\operatorname{softmax}(x_i);

    with probability targets t, :math:`\\ell_i = -\\sum_c w_c t'_{ic} \\log p_{ic}`,
    :math:`t' = (1 - \\varepsilon) t + \\varepsilon / C`. The log-softmax is computed stably
    (max-shifted, and log1p of the non-maximal mass), so logits of any size are fine.

    <params>

    Returns
    -------
    loss : scalar of the logits' float dtype, or the per-item losses (shape of the labels) for
        ``"none"``.

    Raises
    ------
    ValueError
        Labels out of range, shape mismatches, empty input, negative weights,
        label_smoothing outside [0, 1], unknown reduction.
    TypeError
        Non-numeric logits, or labels that are neither integers nor floats.

    Notes
    -----
    A batch in which every label is ``ignore_index`` gives 0 with a zero gradient under
    ``"mean"`` (PyTorch gives NaN); ignored items have loss 0 under ``"none"``.

    See Also
    --------
    binary_cross_entropy, softmax_focal_loss, cross_entropy_value_and_grad

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.cross_entropy([[2.0, 0.0, -1.0]], [0])), 4)
    0.1698
    """
    return _cross_entropy(logits, labels_or_probs, weight, ignore_index, label_smoothing,
                          reduction, grad_output, num_threads, want_grad, grad_out)


cross_entropy_value_and_grad = cross_entropy.value_and_grad
