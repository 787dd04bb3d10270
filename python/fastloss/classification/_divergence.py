"""KL divergence between distributions, and the distillation KL between two sets of logits."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._loss import loss
from .._options import (
    REDUCTION,
    Choice,
    check_number,
    reduction_enum,
    resolve_threads,
)
from .._validation import (
    as_float_arrays,
    check_grad_out,
    check_nonempty,
    check_same_shape,
    finish,
    grad_output_args,
)
from ._layout import ClassLayout

__all__ = [
    "distillation_kl",
    "distillation_kl_value_and_grad",
    "kl_divergence",
    "kl_divergence_value_and_grad",
]

ArrayLike = Any


# "batchmean" is the kernel's mean over the batch size instead of the element count
KL_REDUCTION = Choice("reduction", {**REDUCTION.words, "batchmean": REDUCTION.words["mean"]})


def _kl(input, target, log_input, log_target, reduction, grad_output, num_threads, want_grad,
        grad_out=None):
    kernel_reduction = KL_REDUCTION(reduction)
    (q, p), dtype = as_float_arrays(input=input, target=target)
    check_same_shape(q, "input", p, "target")
    check_nonempty(q, "input")
    denominator = float(q.shape[0] if (reduction == "batchmean" and q.ndim) else q.size)
    scale, per_item = grad_output_args(grad_output, dtype, q.shape, reduction)
    out = check_grad_out(grad_out, dtype, q.shape, (q, p))
    value, grad = _core.kl_divergence(q, p, bool(log_input), bool(log_target), kernel_reduction,
                                      denominator, want_grad, scale, per_item, out,
                                      resolve_threads(num_threads))
    return finish(value, dtype, q.shape), finish(grad, dtype, q.shape)


@loss(grads="input", grad_doc="""its gradient w.r.t. ``input``, in one pass.""")
def kl_divergence(input: ArrayLike, target: ArrayLike, *, log_input: bool = False,
                  log_target: bool = False, reduction: str = "mean", grad_output: Any = None,
                  grad_out: np.ndarray | None = None, num_threads: int | None = None,
                  want_grad: bool) -> tuple[Any, Any]:
    """Kullback-Leibler divergence KL(target || input), element-wise.

    .. math:: \\ell_i = p_i (\\log p_i - \\log q_i), \\qquad 0 \\log 0 = 0,

    with ``input`` the model's distribution q and ``target`` the data distribution p (the
    argument roles of ``torch.nn.functional.kl_div``). Unlike ``kl_div``, ``input`` is taken as
    probabilities unless ``log_input=True``.

    Parameters
    ----------
    input : array_like of float
        q, or log q when ``log_input``; any shape.
    target : array_like of float
        p, or log p when ``log_target``; the shape of ``input``.
    log_input, log_target : bool, default False
        Whether each is given as log-probabilities.
    reduction : {"mean", "batchmean", "sum", "none"}, default "mean"
        ``"mean"`` averages over all elements (PyTorch), ``"batchmean"`` divides the sum by
        the size of the first axis (the true KL per sample for (N, C) inputs).
    num_threads : int, optional
        Threads for this call.

    Notes
    -----
    Elements with p = 0 contribute 0 whatever q is (PyTorch gives NaN when q = 0 there too).
    Probabilities must lie in [0, 1] and log-probabilities be at most 0 (a ValueError says
    which argument is not, and suggests ``log_input=True`` or ``log_target=True``); they need
    not sum to 1. The gradient is w.r.t. ``input``: -p / q, or -p when ``log_input``.

    References
    ----------
    S. Kullback, R. A. Leibler, "On Information and Sufficiency", Ann. Math. Statist. 1951.

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.kl_divergence([[0.5, 0.5]], [[0.9, 0.1]], reduction="batchmean")), 4)
    0.3681
    """
    return _kl(input, target, log_input, log_target, reduction, grad_output, num_threads, want_grad,
               grad_out)


kl_divergence_value_and_grad = kl_divergence.value_and_grad


# Where distillation_kl is accurate in float32 and float64: T^2 and the logits / T stay finite,
# and (near agreement) the cancellation-free form keeps its precision.
TEMPERATURE_RANGE = (1e-8, 1e30)


def _distillation(student, teacher, temperature, reduction, grad_output, num_threads, want_grad,
                  grad_out=None):
    KL_REDUCTION.check(reduction)
    reduction = "mean" if reduction == "batchmean" else reduction
    temp = check_number(temperature, "temperature", minimum=TEMPERATURE_RANGE[0],
                        maximum=TEMPERATURE_RANGE[1])
    (s, t), dtype = as_float_arrays(student_logits=student, teacher_logits=teacher)
    check_same_shape(s, "student_logits", t, "teacher_logits")
    layout = ClassLayout(s, "student_logits")
    scale, per_item = grad_output_args(grad_output, dtype, layout.item_shape, reduction)
    per_item = None if per_item is None else per_item.reshape(-1)
    out = check_grad_out(grad_out, dtype, s.shape, (s, t))
    value, grad = _core.distillation_kl(layout.rows(s), layout.rows(t), temp,
                                        reduction_enum(reduction),
                                        want_grad, scale, per_item, layout.rows_out(out),
                                        resolve_threads(num_threads))
    return finish(layout.items(value), dtype), layout.from_rows(grad, out)


@loss(grads="student_logits", grad_doc="""its gradient w.r.t. ``student_logits``.""")
def distillation_kl(student_logits: ArrayLike, teacher_logits: ArrayLike, *,
                    temperature: float = 1.0, reduction: str = "mean", grad_output: Any = None,
                    grad_out: np.ndarray | None = None, num_threads: int | None = None,
                    want_grad: bool) -> tuple[Any, Any]:
    """Knowledge-distillation loss between two sets of logits (Hinton et al. 2015).

    .. math::
        \\ell_i = T^2\\, \\mathrm{KL}\\left(\\operatorname{softmax}(t_i / T) \\,\\|\\,
                  \\operatorname{softmax}(s_i / T)\\right)

    The T^2 factor keeps gradient magnitudes comparable across temperatures.

    Parameters
    ----------
    student_logits, teacher_logits : array_like of float
        Shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` (class axis 1), the same for both.
    temperature : float in [1e-8, 1e30], default 1
        Softmax temperature T.
    reduction : {"mean", "batchmean", "sum", "none"}, default "mean"
        ``"mean"`` (alias ``"batchmean"``) averages the per-sample KL over the items; ``"none"``
        returns one value per item.
    num_threads : int, optional
        Threads for this call.

    Notes
    -----
    The gradient is w.r.t. the student's logits only: T (softmax(s/T) - softmax(t/T)) per item.
    Where the two distributions nearly agree (a large T, or logits that differ little), the
    usual form subtracts nearly equal numbers; those items are computed as
    :math:`\\sum_c q_c \\varphi(\\log p_c - \\log q_c)`, :math:`\\varphi(x) = 1 + (x - 1) e^x`,
    which keeps full precision (as T grows the loss tends to half the variance of t - s over
    the classes, and stays accurate up to T = 1e30).

    References
    ----------
    G. Hinton, O. Vinyals, J. Dean, "Distilling the Knowledge in a Neural Network", 2015,
    arXiv:1503.02531.

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.distillation_kl([[1.0, 0.0]], [[0.0, 1.0]], temperature=2.0)), 4)
    0.4898
    """
    return _distillation(student_logits, teacher_logits, temperature, reduction, grad_output,
                         num_threads, want_grad, grad_out)


distillation_kl_value_and_grad = distillation_kl.value_and_grad
