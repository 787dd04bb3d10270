"""Overlap losses for segmentation: Dice, Jaccard, Tversky, Focal Tversky, generalized Dice.

All are ``1 - index`` per class (or per sample, for the generalized Dice), computed by one
native kernel from per-class sums TP = sum p t, Sp = sum p and St = sum t over the spatial
axes (and the batch, with ``batch=True``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._loss import loss
from .._options import check_number, reduction_enum, resolve_threads
from .._validation import check_grad_out, finish, grad_output_args
from ._inputs import (
    EMPTY,
    WEIGHTING,
    OverlapInputs,
    check_smoothing,
)

__all__ = [
    "dice_loss",
    "dice_loss_value_and_grad",
    "focal_tversky_loss",
    "focal_tversky_loss_value_and_grad",
    "generalized_dice_loss",
    "generalized_dice_loss_value_and_grad",
    "jaccard_loss",
    "jaccard_loss_value_and_grad",
    "tversky_loss",
    "tversky_loss_value_and_grad",
]

ArrayLike = Any


KIND = {"dice": _core.OverlapKind.DICE, "jaccard": _core.OverlapKind.JACCARD,
        "tversky": _core.OverlapKind.TVERSKY,
        "generalized_dice": _core.OverlapKind.GENERALIZED_DICE}


def _overlap(kind: str, logits_or_probs: Any, targets: Any, *, activation: str | None,
             include_background: bool = True, weight: Any = None, ignore_index: Any = None,
             squared_pred: bool = False, batch: bool = False, smooth_nr: float = 1e-5,
             smooth_dr: float = 1e-5, alpha: float = 0.5, beta: float = 0.5, gamma: float = 1.0,
             empty: str = "smooth", w_type: str = "square", reduction: str = "mean",
             grad_output: Any = None, grad_out: np.ndarray | None = None,
             num_threads: int | None = None, want_grad: bool = False) -> tuple[Any, Any]:
    per_class = kind != "generalized_dice"
    v = OverlapInputs(logits_or_probs, targets, activation=activation, weight=weight,
                      include_background=include_background, ignore_index=ignore_index,
                      batch=bool(batch), per_class=per_class, reduction=reduction)
    s_nr, s_dr = check_smoothing(smooth_nr, smooth_dr)
    empty_kind, weighting = EMPTY(empty), WEIGHTING(w_type)
    scale, per_item = grad_output_args(grad_output, v.dtype, v.item_shape, reduction)
    per_item = None if per_item is None else per_item.reshape(-1)
    out = check_grad_out(grad_out, v.dtype, v.shape, (v.volume, v.targets, v.labels))
    value, grad = _core.overlap_loss(
        v.volume, v.labels, v.targets, v.weight, KIND[kind], v.activation, v.include_background,
        v.ignore_index, bool(squared_pred), bool(batch), s_nr, s_dr,
        check_number(alpha, "alpha", minimum=0.0), check_number(beta, "beta", minimum=0.0),
        check_number(gamma, "gamma", minimum=0.0, strict=True), empty_kind, weighting, reduction_enum(reduction),
        want_grad, scale, per_item, None if out is None else out.reshape(v.volume.shape),
        resolve_threads(num_threads))
    return finish(v.items(value), v.dtype), out if out is not None else v.grad_shape(grad)


_COMMON = """
    logits_or_probs : array_like of float
        Shape ``(N, C, *spatial)``, any number of spatial axes (``(N, C)`` counts every sample
        as one position). Logits, or probabilities in [0, 1] when ``activation=None``.
    targets : array_like
        Integer labels of shape ``(N, *spatial)`` (or MONAI's ``(N, 1, *spatial)``), each in
        [0, C) or ``ignore_index``; with one channel (binary segmentation) labels are 0/1 and
        1 is the foreground. Or dense one-hot / soft targets in [0, 1] of the input's shape.
    activation : {"softmax", "sigmoid", None}, default "softmax"
        Softmax over the class axis (multi-class; needs C >= 2), element-wise sigmoid
        (binary and multi-label), or None (the input holds probabilities, used as given).
    include_background : bool, default True
        False leaves class 0 out of the loss (the softmax still includes it), as MONAI does."""

_OPTIONS = """
    batch : bool, default False
        True adds the sums over the batch before the index is taken (one index per class);
        False takes one index per sample and class, then reduces.
    ignore_index : int, optional
        With label targets: positions with this label are left out of every sum (and get a
        zero gradient). Not accepted with dense targets.
    smooth_nr, smooth_dr : float >= 0, default 1e-5
        Added to the index's numerator and denominator (MONAI's defaults)."""

_WEIGHT_EMPTY = """
    weight : float or array_like of float, optional
        Per-class weights, shape ``(C,)`` (or ``(C - 1,)`` with ``include_background=False``,
        MONAI's form), multiplying each class's loss before the mean (MONAI's convention: the
        mean still divides by the number of items, not by the summed weights).
    empty : {"smooth", "zero", "ignore"}, default "smooth"
        A class absent from the target (St = 0). ``"smooth"`` (MONAI) keeps the formula: with
        equal smoothing terms a class absent from both prediction and target scores 1 (loss
        0), and one predicted but absent from the target scores about 0 (loss about 1).
        ``"zero"`` gives such a class loss 0 and no gradient, still counted in the mean
        (segmentation_models_pytorch). ``"ignore"`` leaves it out of the mean (its entry in
        ``"none"`` is 0); if every item is left out the loss is 0 with a zero gradient."""

_RETURNS = """
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per sample and class, shape ``(N, C')`` (``(C',)`` with
        ``batch=True``), C' the classes in the loss.
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the input float dtype, or the unreduced array for ``"none"``.

    Raises
    ------
    ValueError
        Bad shapes, labels out of range, negative weights or smoothing, a softmax over one
        channel, ``ignore_index`` with dense targets.
    TypeError
        Float labels, non-numeric input."""

_NOTES = """
    The per-class sums are accumulated in double in a fixed order (bitwise identical for any
    thread count). A denominator of exactly 0 (every sum and ``smooth_dr`` zero) scores 1.
    NaN or inf in the input propagate to the loss. Soft targets use TP = sum p t (MONAI's
    ``soft_label=False`` form; its ``soft_label=True`` variant differs for non-binary
    targets and agrees for hard ones)."""


def _docs(**extra: str) -> Any:
    return fill_doc(common=_COMMON, options=_OPTIONS, weight_empty=_WEIGHT_EMPTY,
                    returns=_RETURNS, notes=_NOTES, **extra)


# what every overlap loss's value_and_grad adds to the shared gradient note
_GRAD = """its gradient w.r.t. ``logits_or_probs``, in two native passes (sums, then
    gradient through the activation)."""


# ---- Dice ------------------------------------------------------------------------------------

@loss(grads="logits_or_probs", grad_doc=_GRAD)
@_docs()
def dice_loss(logits_or_probs: ArrayLike, targets: ArrayLike, *,
              activation: str | None = "softmax", include_background: bool = True,
              squared_pred: bool = False, batch: bool = False, weight: ArrayLike | None = None,
              ignore_index: int | None = None, smooth_nr: float = 1e-5, smooth_dr: float = 1e-5,
              empty: str = "smooth", reduction: str = "mean", grad_output: Any = None,
              grad_out: np.ndarray | None = None, num_threads: int | None = None,
              want_grad: bool) -> tuple[Any, Any]:
    """Soft Dice loss (Milletari et al. 2016), MONAI's ``DiceLoss`` conventions.

    .. math:: \\ell_c = w_c \\Big(1 - \\frac{2\\,TP_c + s_{nr}}{S_{p,c} + S_{t,c} + s_{dr}}\\Big),
              \\quad TP_c = \\sum p_c t_c,\\ S_{p,c} = \\sum p_c,\\ S_{t,c} = \\sum t_c,

    sums over the spatial axes (and the batch with ``batch=True``), then the mean over
    samples and classes.

    Parameters
    ----------
    <common>
    squared_pred : bool, default False
        V-Net's denominator: sums of p^2 and t^2.
    <options>
    <weight_empty>
    <returns>

    Notes
    -----
    <notes>

    References
    ----------
    F. Milletari, N. Navab, S.-A. Ahmadi, "V-Net: Fully Convolutional Neural Networks for
    Volumetric Medical Image Segmentation", 3DV 2016. MONAI ``monai.losses.DiceLoss``.

    Examples
    --------
    >>> import numpy as np, fastloss
    >>> logits = np.array([[[4.0, -4.0], [-4.0, 4.0]]])  # N=1, C=2, two pixels
    >>> round(float(fastloss.dice_loss(logits, [[0, 1]])), 4)
    0.0003
    """
    return _overlap("dice", logits_or_probs, targets, activation=activation,
                    include_background=include_background, squared_pred=squared_pred,
                    batch=batch, weight=weight, ignore_index=ignore_index, smooth_nr=smooth_nr,
                    smooth_dr=smooth_dr, empty=empty, reduction=reduction,
                    grad_output=grad_output, grad_out=grad_out, num_threads=num_threads,
                    want_grad=want_grad)


dice_loss_value_and_grad = dice_loss.value_and_grad


# ---- Jaccard ---------------------------------------------------------------------------------

@loss(grads="logits_or_probs", grad_doc=_GRAD)
@_docs()
def jaccard_loss(logits_or_probs: ArrayLike, targets: ArrayLike, *,
                 activation: str | None = "softmax", include_background: bool = True,
                 squared_pred: bool = False, batch: bool = False, weight: ArrayLike | None = None,
                 ignore_index: int | None = None, smooth_nr: float = 1e-5,
                 smooth_dr: float = 1e-5, empty: str = "smooth", reduction: str = "mean",
                 grad_output: Any = None, grad_out: np.ndarray | None = None,
                 num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Soft Jaccard (IoU) loss.

    .. math:: \\ell_c = w_c \\Big(1 - \\frac{TP_c + s_{nr}}{TP_c + FP_c + FN_c + s_{dr}}\\Big),
              \\quad FP_c = S_{p,c} - TP_c,\\ FN_c = S_{t,c} - TP_c.

    Equal to :func:`tversky_loss` with ``alpha = beta = 1``. MONAI's ``DiceLoss(jaccard=True)``
    scales the smoothing differently: its index is (2 TP + s_nr) / (2 (TP + FP + FN) + s_dr),
    the same without smoothing.

    Parameters
    ----------
    <common>
    squared_pred : bool, default False
        Sums of p^2 and t^2 in Sp and St.
    <options>
    <weight_empty>
    <returns>

    Notes
    -----
    <notes>

    Examples
    --------
    >>> import fastloss
    >>> probs, target = [[[0.5, 0.5]]], [[[1.0, 0.0]]]  # TP = FP = FN = 0.5
    >>> round(float(fastloss.jaccard_loss(probs, target, activation=None, smooth_nr=0,
    ...                                   smooth_dr=0)), 4)
    0.6667
    """
    return _overlap("jaccard", logits_or_probs, targets, activation=activation,
                    include_background=include_background, squared_pred=squared_pred,
                    batch=batch, weight=weight, ignore_index=ignore_index, smooth_nr=smooth_nr,
                    smooth_dr=smooth_dr, empty=empty, reduction=reduction,
                    grad_output=grad_output, grad_out=grad_out, num_threads=num_threads,
                    want_grad=want_grad)


jaccard_loss_value_and_grad = jaccard_loss.value_and_grad


# ---- Tversky and Focal Tversky ---------------------------------------------------------------



def _tversky_doc(alpha: float, beta: float) -> str:
    return f"""
    alpha : float >= 0, default {alpha}
        Weight of the false positives FP = Sp - TP.
    beta : float >= 0, default {beta}
        Weight of the false negatives FN = St - TP."""


@loss(grads="logits_or_probs", grad_doc=_GRAD)
@_docs(tversky=_tversky_doc(0.5, 0.5))
def tversky_loss(logits_or_probs: ArrayLike, targets: ArrayLike, *,
                 activation: str | None = "softmax", alpha: float = 0.5, beta: float = 0.5,
                 include_background: bool = True, batch: bool = False,
                 weight: ArrayLike | None = None, ignore_index: int | None = None,
                 smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, empty: str = "smooth",
                 reduction: str = "mean", grad_output: Any = None,
                 grad_out: np.ndarray | None = None, num_threads: int | None = None,
                 want_grad: bool) -> tuple[Any, Any]:
    """Tversky loss (Salehi et al. 2017), MONAI's ``TverskyLoss`` conventions.

    .. math:: \\ell_c = w_c (1 - TI_c), \\quad
              TI_c = \\frac{TP_c + s_{nr}}{TP_c + \\alpha FP_c + \\beta FN_c + s_{dr}}.

    ``alpha = beta = 0.5`` is the Dice loss and ``alpha = beta = 1`` the Jaccard loss
    (exactly, with zero smoothing); ``beta > alpha`` penalises missed foreground more.

    Parameters
    ----------
    <common>
    <tversky>
    <options>
    <weight_empty>
    <returns>

    Notes
    -----
    <notes>

    References
    ----------
    S. S. M. Salehi, D. Erdogmus, A. Gholipour, "Tversky loss function for image segmentation
    using 3D fully convolutional deep networks", MLMI 2017, arXiv:1706.05721.

    Examples
    --------
    >>> import fastloss
    >>> probs, target = [[[0.5, 0.5]]], [[[1.0, 0.0]]]  # FP = 0.5, FN = 0.5, TP = 0.5
    >>> round(float(fastloss.tversky_loss(probs, target, activation=None, alpha=0.0, beta=1.0)), 4)
    0.5
    """
    return _overlap("tversky", logits_or_probs, targets, activation=activation, alpha=alpha,
                    beta=beta, include_background=include_background, batch=batch,
                    weight=weight, ignore_index=ignore_index, smooth_nr=smooth_nr,
                    smooth_dr=smooth_dr, empty=empty, reduction=reduction,
                    grad_output=grad_output, grad_out=grad_out, num_threads=num_threads,
                    want_grad=want_grad)


tversky_loss_value_and_grad = tversky_loss.value_and_grad


@loss(grads="logits_or_probs", grad_doc=_GRAD)
@_docs(tversky=_tversky_doc(0.3, 0.7))
def focal_tversky_loss(logits_or_probs: ArrayLike, targets: ArrayLike, *,
                       activation: str | None = "softmax", alpha: float = 0.3, beta: float = 0.7,
                       gamma: float = 0.75, include_background: bool = True, batch: bool = False,
                       weight: ArrayLike | None = None, ignore_index: int | None = None,
                       smooth_nr: float = 1e-5, smooth_dr: float = 1e-5, empty: str = "smooth",
                       reduction: str = "mean", grad_output: Any = None,
                       grad_out: np.ndarray | None = None, num_threads: int | None = None,
                       want_grad: bool) -> tuple[Any, Any]:
    """Focal Tversky loss (Abraham & Khan 2019): the exponent applied per class, then the mean.

    .. math:: \\ell_c = w_c \\max(0, 1 - TI_c)^\\gamma,

    TI_c as in :func:`tversky_loss`. ``gamma = 1`` is the Tversky loss exactly. The defaults
    are the paper's best setting: false negatives weighted 0.7, false positives 0.3, and the
    exponent 1 / (4/3) = 0.75 (the paper writes it as 1/gamma with gamma = 4/3).

    Parameters
    ----------
    <common>
    <tversky>
    gamma : float > 0, default 0.75
        Exponent of each class's 1 - TI. Below 1 the loss keeps a large gradient as TI -> 1;
        at TI = 1 exactly (where (1 - TI)^gamma has an infinite slope) the gradient is taken
        as 0, the minimum's subgradient, so it stays finite.
    <options>
    <weight_empty>
    <returns>

    Notes
    -----
    <notes>

    References
    ----------
    N. Abraham, N. M. Khan, "A Novel Focal Tversky Loss Function with Improved Attention
    U-Net for Lesion Segmentation", ISBI 2019, arXiv:1810.07842.

    Examples
    --------
    >>> import fastloss
    >>> probs, target = [[[0.5, 0.5]]], [[[1.0, 0.0]]]
    >>> round(float(fastloss.focal_tversky_loss(probs, target, activation=None, alpha=0.5,
    ...                                         beta=0.5, gamma=2.0, smooth_nr=0, smooth_dr=0)), 4)
    0.25
    """
    return _overlap("tversky", logits_or_probs, targets, activation=activation, alpha=alpha,
                    beta=beta, gamma=gamma, include_background=include_background, batch=batch,
                    weight=weight, ignore_index=ignore_index, smooth_nr=smooth_nr,
                    smooth_dr=smooth_dr, empty=empty, reduction=reduction,
                    grad_output=grad_output, grad_out=grad_out, num_threads=num_threads,
                    want_grad=want_grad)


focal_tversky_loss_value_and_grad = focal_tversky_loss.value_and_grad


# ---- Generalized Dice ------------------------------------------------------------------------

_GDL_RETURNS = """
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"none"`` returns one loss per sample, shape ``(N,)`` (shape ``()`` with
        ``batch=True``).
    num_threads : int, optional
        Threads for this call.

    Returns
    -------
    loss : scalar of the input float dtype, or the unreduced array for ``"none"``.

    Raises
    ------
    ValueError
        Bad shapes, labels out of range, negative smoothing, a softmax over one channel."""


@loss(grads="logits_or_probs", grad_doc=_GRAD)
@_docs(gdl_returns=_GDL_RETURNS)
def generalized_dice_loss(logits_or_probs: ArrayLike, targets: ArrayLike, *,
                          activation: str | None = "softmax", include_background: bool = True,
                          w_type: str = "square", batch: bool = False,
                          ignore_index: int | None = None, smooth_nr: float = 1e-5,
                          smooth_dr: float = 1e-5, reduction: str = "mean",
                          grad_output: Any = None, grad_out: np.ndarray | None = None,
                          num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Generalized Dice loss (Sudre et al. 2017), MONAI's ``GeneralizedDiceLoss`` conventions.

    .. math:: \\ell = 1 - \\frac{2 \\sum_c w_c TP_c + s_{nr}}
                              {\\sum_c w_c (S_{p,c} + S_{t,c}) + s_{dr}},
              \\quad w_c = 1 / S_{t,c}^2,

    one value per sample (or one for the batch with ``batch=True``). The weights depend on
    the targets only and are constants for the gradient.

    Parameters
    ----------
    <common>
    w_type : {"square", "simple", "uniform"}, default "square"
        w_c = 1 / St^2, 1 / St, or 1.
    <options>
    <gdl_returns>

    Notes
    -----
    A class absent from the target has an infinite weight; as in MONAI it gets the largest
    finite weight of its sample (of the batch with ``batch=True``), and if every class is
    absent all weights are 0 and the index is smooth_nr / smooth_dr (loss 0 with the
    defaults).
    <notes>

    References
    ----------
    C. H. Sudre, W. Li, T. Vercauteren, S. Ourselin, M. J. Cardoso, "Generalised Dice overlap
    as a deep learning loss function for highly unbalanced segmentations", DLMIA 2017,
    arXiv:1707.03237. MONAI ``monai.losses.GeneralizedDiceLoss``.

    Examples
    --------
    >>> import fastloss
    >>> probs = [[[0.5, 0.5], [0.5, 0.5]]]  # N=1, C=2, two pixels
    >>> round(float(fastloss.generalized_dice_loss(probs, [[0, 1]], activation=None)), 4)
    0.5
    """
    return _overlap("generalized_dice", logits_or_probs, targets, activation=activation,
                    include_background=include_background, w_type=w_type, batch=batch,
                    ignore_index=ignore_index, smooth_nr=smooth_nr, smooth_dr=smooth_dr,
                    reduction=reduction, grad_output=grad_output, grad_out=grad_out,
                    num_threads=num_threads, want_grad=want_grad)


generalized_dice_loss_value_and_grad = generalized_dice_loss.value_and_grad
