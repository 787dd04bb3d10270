"""Metric-learning losses over a labelled batch: triplet (with mining), contrastive, angular.

The Gram matrix G = X X^T and, for the gradient, the product M X are NumPy matmuls (BLAS);
everything between them (distances, mining, the loss, the pair coefficients M) is one native
pass over G, which it overwrites: one B x B matrix in all, never B x B x D or B^3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._options import check_number, resolve_threads
from .._validation import as_float_arrays, check_grad_out, finish

ArrayLike = Any

DISTANCES = ("euclidean", "squared", "cosine")

_BATCH_PARAMS = """
    embeddings : array_like of float, shape (B, D)
    labels : array_like of int, shape (B,)
        Class labels (any integers); equal labels make a positive pair."""

_BATCH_NOTES = """
    The pairwise distances come from the Gram matrix X X^T computed by NumPy's matmul in the
    input's precision (as ``torch.cdist`` does for large inputs); losses are summed in
    double. BLAS runs on its own threads (``num_threads`` sets the native part's)."""

_BATCH_GRAD = """
    ``grad_output`` (a scalar) scales the gradient; ``grad_out``, an array of the embeddings'
    shape and dtype, receives it in place. Returns ``(loss, grad)``."""


def _check_choice(value, name, options):
    if value not in options:
        msg = f"{name}: expected one of {options}, got {value!r}"
        raise ValueError(msg)


class _Batch:
    """Checked embeddings, class ids 0..C-1 (int32), the points the Gram matrix is of (unit
    rows for cosine, with their inverse norms), the gradient's scale and buffer, and the Gram
    matrix itself."""

    def __init__(self, embeddings, labels, distance, num_threads, grad_output, grad_out,
                 want_grad):
        _check_choice(distance, "distance", DISTANCES)
        (x,), self.dtype = as_float_arrays(embeddings=embeddings)
        if x.ndim != 2 or x.size == 0:
            msg = f"embeddings: expected a non-empty (B, D) array, got shape {x.shape}"
            raise ValueError(msg)
        y = np.asarray(labels)
        if y.dtype.kind not in "iub":
            msg = f"labels: expected integer class labels, got dtype {y.dtype}"
            raise TypeError(msg)
        if y.shape != (x.shape[0],):
            msg = f"labels: expected shape ({x.shape[0]},), one per embedding, got {y.shape}"
            raise ValueError(msg)
        classes, ids = np.unique(y, return_inverse=True)
        self.n_classes = len(classes)
        self.ids = np.ascontiguousarray(ids.reshape(-1), dtype=np.int32)
        # float32 embeddings whose squared norms would pass FLT_MAX (|x| ~ 1e18 and up) are
        # computed in float64, where the Gram matrix holds them, and the results cast back:
        # in float32 the distances would be inf - inf = NaN.
        self.upcast = x.dtype == np.float32 and max(float(x.max()), -float(x.min())) > (
            2.0**60 / np.sqrt(x.shape[1]))
        given = x
        if self.upcast:
            x = x.astype(np.float64)
        self.x = x
        self.threads = resolve_threads(num_threads)
        self.inv_norm = None
        self.points = x
        if distance == "cosine":
            self.points, self.inv_norm = _core.normalize_rows(x, self.threads)
        self.scale = _scale(grad_output)
        self.user_buf = check_grad_out(grad_out, self.dtype, x.shape, (given,)
                                       ) if want_grad else None
        self.buf = None if self.upcast else self.user_buf
        # A contiguous transpose makes this a GEMM: OpenBLAS's SYRK (which NumPy picks for
        # p @ p.T) is 2-3x slower on 2 cores here.
        self.gram = np.matmul(self.points, np.ascontiguousarray(self.points.T))

    def gradient_from_pairs(self, alpha):
        """d loss / d x from the pair coefficients M the kernel left in the Gram matrix."""
        g = np.matmul(self.gram, self.points, out=self.buf)
        _core.finish_pair_gradient(self.points, alpha, self.inv_norm, True, g, self.threads)
        return self.deliver(g)

    def deliver(self, grad):
        """The gradient in the embeddings' dtype, in the caller's buffer if one was given."""
        if grad is None or not self.upcast:
            return grad
        if self.user_buf is None:
            return grad.astype(self.dtype)
        self.user_buf[...] = grad
        return self.user_buf


def _scale(grad_output) -> float:
    if grad_output is None:
        return 1.0
    g = np.asarray(grad_output)
    if g.ndim != 0 or g.dtype.kind not in "fiub":
        msg = f"grad_output: expected a scalar (the loss is one), got shape {g.shape}"
        raise ValueError(msg)
    return float(g)


# ---- triplet ---------------------------------------------------------------------------------

def _batch_triplet(embeddings, labels, mining, margin, distance, average, grad_output,
                   num_threads, want_grad, grad_out=None):
    m = check_number(margin, "margin")
    _check_choice(mining, "mining", ("all", "hard", "semihard"))
    _check_choice(average, "average", ("nonzero", "all"))
    batch = _Batch(embeddings, labels, distance, num_threads, grad_output, grad_out, want_grad)
    hard = mining == "hard"
    value, grad, alpha = _core.batch_triplet_loss(
        batch.points, batch.ids, batch.gram, m, distance, mining, average, want_grad,
        batch.scale, batch.buf if hard else None, batch.threads)
    if want_grad and hard and batch.inv_norm is not None:  # through the normalisation
        _core.finish_pair_gradient(batch.points, None, batch.inv_norm, False, grad,
                                   batch.threads)
    if want_grad and hard:
        grad = batch.deliver(grad)
    elif want_grad:
        grad = batch.gradient_from_pairs(alpha)
    return finish(value, batch.dtype), grad


@fill_doc(params=_BATCH_PARAMS, notes=_BATCH_NOTES)
def batch_triplet_loss(embeddings: ArrayLike, labels: ArrayLike, *, mining: str = "all",
                       margin: float = 1.0, distance: str = "euclidean",
                       average: str = "nonzero", num_threads: int | None = None) -> Any:
    """Triplet loss over a labelled batch, with online mining.

    Each triplet (a, p, n) of an anchor, a positive (same label, p != a) and a negative
    (another label) costs ``max(0, d(a, p) - d(a, n) + margin)``. ``mining`` chooses them:

    - ``"all"``: every valid triplet; ``average="nonzero"`` (default) divides by the number
      of triplets with positive loss (Hermans et al.'s batch-all, pytorch-metric-learning's
      ``AvgNonZeroReducer``), ``"all"`` by the number of valid triplets.
    - ``"hard"``: per anchor, the farthest positive and the closest negative (batch-hard,
      Hermans, Beyer, Leibe 2017); mean over the anchors that have both.
    - ``"semihard"``: per positive pair, the closest negative with
      d(a, p) < d(a, n) < d(a, p) + margin (Schroff et al. 2015), or, if there is none, the
      closest negative; mean over the positive pairs whose anchor has a negative.
      (TensorFlow Addons' ``triplet_semihard_loss`` falls back to the farthest negative
      instead, and takes any d(a, n) > d(a, p).)

    Ties choose the lowest index. A batch without a valid triplet gives 0 (and a zero
    gradient), not NaN.

    Parameters
    ----------
    <params>
    mining : {"all", "hard", "semihard"}, default "all"
    margin : float, default 1
    distance : {"euclidean", "squared", "cosine"}, default "euclidean"
        ||x_i - x_j||, its square, or 1 - cos(x_i, x_j).
    average : {"nonzero", "all"}, default "nonzero"
        Only for ``mining="all"``.
    num_threads : int, optional
        Threads for the native part.

    Returns
    -------
    loss : scalar of the embeddings' float dtype.

    Notes
    -----
    <notes> Batch-hard recomputes its two chosen distances per anchor directly, in double.
    The gradient of the Euclidean distance at d = 0 is taken as 0.

    Examples
    --------
    >>> import fastloss
    >>> x = [[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 0.5]]
    >>> round(float(fastloss.batch_triplet_loss(x, [0, 0, 1, 1], mining="hard", margin=4.0)), 4)
    1.7293
    """
    return _batch_triplet(embeddings, labels, mining, margin, distance, average, None,
                          num_threads, False)[0]


@fill_doc(grad=_BATCH_GRAD)
def batch_triplet_loss_value_and_grad(embeddings: ArrayLike, labels: ArrayLike, *,
                                      mining: str = "all", margin: float = 1.0,
                                      distance: str = "euclidean", average: str = "nonzero",
                                      grad_output: Any = None, grad_out: np.ndarray | None = None,
                                      num_threads: int | None = None
                                      ) -> tuple[Any, np.ndarray]:
    """:func:`batch_triplet_loss` and its gradient with respect to the embeddings.

    <grad> Inactive triplets (loss 0) contribute 0.
    """
    return _batch_triplet(embeddings, labels, mining, margin, distance, average, grad_output,
                          num_threads, True, grad_out)


# ---- contrastive -----------------------------------------------------------------------------

def _batch_contrastive(embeddings, labels, margin, pos_margin, distance, hinge, average,
                       grad_output, num_threads, want_grad, grad_out=None):
    m = check_number(margin, "margin")
    pm = check_number(pos_margin, "pos_margin")
    _check_choice(average, "average", ("all", "nonzero", "nonzero_split"))
    batch = _Batch(embeddings, labels, distance, num_threads, grad_output, grad_out, want_grad)
    value, alpha = _core.batch_contrastive_loss(batch.points, batch.ids, batch.gram, pm, m,
                                                distance, hinge, average, want_grad,
                                                batch.scale, batch.threads)
    grad = batch.gradient_from_pairs(alpha) if want_grad else None
    return finish(value, batch.dtype), grad


@fill_doc(params=_BATCH_PARAMS, notes=_BATCH_NOTES)
def batch_contrastive_loss(embeddings: ArrayLike, labels: ArrayLike, *, margin: float = 1.0,
                           pos_margin: float = 0.0, distance: str = "euclidean",
                           hinge: str = "squared", average: str = "all",
                           num_threads: int | None = None) -> Any:
    """Contrastive loss over every pair of a labelled batch.

    Each unordered pair (i, j) costs ``h(d - pos_margin)`` if the labels agree and
    ``h(margin - d)`` otherwise, ``h(v) = max(0, v)^2 / 2`` (``hinge="squared"``, Hadsell et
    al.'s form, as :func:`contrastive_loss`) or ``max(0, v)``.

    Side by side with pytorch-metric-learning's ``ContrastiveLoss(pos_margin, neg_margin)``:
    that is ``hinge="linear", average="nonzero_split"`` here, with ``margin = neg_margin``,
    on embeddings it first L2-normalises (its default ``LpDistance``); the defaults here are
    Hadsell's squared hinges averaged over all pairs.

    Parameters
    ----------
    <params>
    margin : float, default 1
        The negative margin: pairs of different labels closer than this are penalised.
    pos_margin : float, default 0
        Pairs of one label farther than this are penalised.
    distance : {"euclidean", "squared", "cosine"}, default "euclidean"
    hinge : {"squared", "linear"}, default "squared"
    average : {"all", "nonzero", "nonzero_split"}, default "all"
        Divide the summed pair losses by the number of pairs, by the number with positive
        loss, or average the positive and the negative pairs each over their non-zero losses
        and add the two (pytorch-metric-learning's ``AvgNonZeroReducer``). Nothing to count
        gives 0.
    num_threads : int, optional
        Threads for the native part.

    Returns
    -------
    loss : scalar of the embeddings' float dtype.

    Notes
    -----
    <notes>

    Examples
    --------
    >>> import fastloss
    >>> x = [[0.0, 0.0], [0.0, 1.0], [0.5, 0.0]]
    >>> round(float(fastloss.batch_contrastive_loss(x, [0, 0, 1])), 6)  # (1/2 + 1/8 + 0) / 3
    0.208333
    """
    return _batch_contrastive(embeddings, labels, margin, pos_margin, distance, hinge, average,
                              None, num_threads, False)[0]


@fill_doc(grad=_BATCH_GRAD)
def batch_contrastive_loss_value_and_grad(embeddings: ArrayLike, labels: ArrayLike, *,
                                          margin: float = 1.0, pos_margin: float = 0.0,
                                          distance: str = "euclidean", hinge: str = "squared",
                                          average: str = "all", grad_output: Any = None,
                                          grad_out: np.ndarray | None = None,
                                          num_threads: int | None = None
                                          ) -> tuple[Any, np.ndarray]:
    """:func:`batch_contrastive_loss` and its gradient with respect to the embeddings.

    <grad>
    """
    return _batch_contrastive(embeddings, labels, margin, pos_margin, distance, hinge, average,
                              grad_output, num_threads, True, grad_out)


# ---- angular ---------------------------------------------------------------------------------

def _batch_angular(embeddings, labels, alpha, form, average, grad_output, num_threads,
                   want_grad, grad_out=None):
    deg = check_number(alpha, "alpha")
    if not 0.0 < deg < 90.0:
        msg = f"alpha: expected an angle in degrees in (0, 90), got {alpha}"
        raise ValueError(msg)
    _check_choice(form, "form", ("npair", "hinge"))
    _check_choice(average, "average", ("nonzero", "all"))
    batch = _Batch(embeddings, labels, "euclidean", num_threads, grad_output, grad_out,
                   want_grad)
    value, alpha_coef = _core.batch_angular_loss(batch.x, batch.ids, batch.n_classes,
                                                 batch.gram, deg, form, average, want_grad,
                                                 batch.scale, batch.threads)
    grad = batch.gradient_from_pairs(alpha_coef) if want_grad else None
    return finish(value, batch.dtype), grad


@fill_doc(params=_BATCH_PARAMS, notes=_BATCH_NOTES)
def batch_angular_loss(embeddings: ArrayLike, labels: ArrayLike, *, alpha: float = 40.0,
                       form: str = "npair", average: str = "nonzero",
                       num_threads: int | None = None) -> Any:
    """Angular loss over a labelled batch (Wang, Zhou, Wen, Liu, Lin, ICCV 2017).

    For every ordered positive pair (a, p), a != p, against every embedding n of another
    label, with t = tan(alpha):

    - ``form="npair"`` (eq. 9, pytorch-metric-learning's ``AngularLoss`` without a miner):

      .. math:: \\ell_{ap} = \\log\\Big(1 + \\sum_n \\exp\\big(4 t^2 (x_a + x_p)^\\top x_n
                - 2 (1 + t^2)\\, x_a^\\top x_p\\big)\\Big),

      averaged over the pairs;
    - ``form="hinge"`` (eq. 5): ``max(0, ||x_a - x_p||^2 - 4 t^2 ||x_n - c||^2)`` with
      c = (x_a + x_p) / 2 for every triplet (a, p, n), averaged over the triplets with positive
      loss (``average="nonzero"``) or over all of them (``"all"``).

    Nothing to average gives 0. The memory is the Gram matrix plus, while one class is
    processed, (class size) x B values; pytorch-metric-learning builds a (pairs x B)
    product instead (tens of GB at B = 4096).

    Parameters
    ----------
    <params>
    alpha : float in (0, 90), default 40
        The angle bound, in degrees (pytorch-metric-learning's default).
    form : {"npair", "hinge"}, default "npair"
    average : {"nonzero", "all"}, default "nonzero"
        Only for ``form="hinge"``.
    num_threads : int, optional
        Threads for the native part.

    Returns
    -------
    loss : scalar of the embeddings' float dtype.

    Notes
    -----
    <notes> The embeddings are used as given: pytorch-metric-learning L2-normalises the
    anchors and positives (not the negatives), the paper all three; normalise them first to
    match either.

    Examples
    --------
    >>> import fastloss
    >>> x = [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    >>> round(float(fastloss.batch_angular_loss(x, [0, 0, 1])), 6)  # log(1 + e^-2 (1 + t^2))
    0.032565
    """
    return _batch_angular(embeddings, labels, alpha, form, average, None, num_threads,
                          False)[0]


@fill_doc(grad=_BATCH_GRAD)
def batch_angular_loss_value_and_grad(embeddings: ArrayLike, labels: ArrayLike, *,
                                      alpha: float = 40.0, form: str = "npair",
                                      average: str = "nonzero", grad_output: Any = None,
                                      grad_out: np.ndarray | None = None,
                                      num_threads: int | None = None
                                      ) -> tuple[Any, np.ndarray]:
    """:func:`batch_angular_loss` and its gradient with respect to the embeddings.

    <grad>
    """
    return _batch_angular(embeddings, labels, alpha, form, average, grad_output, num_threads,
                          True, grad_out)
