"""Cross-entropy (binary and softmax): native vs the NumPy reference, gradients, edge cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastloss
from fastloss import _core
from fastloss import reference as ref

from ._helpers import ELEMENTWISE_SHAPES, assert_close, check_grad, instruction_set

# logits shapes for the softmax losses: unbatched, N=1 C=2, odd sizes, spatial maps, one class,
# both sides of the small-class kernel's limit (C <= 64 runs across rows, C > 64 along them),
# and enough work (rows x classes) for the threaded path of each. Maps (N, C, S) are read
# natively for C <= 64 (S = 50: tiles of 64 rows straddle samples) and transposed above it.
CLASS_SHAPES = [(5,), (1, 2), (7, 3), (33, 10), (4, 3, 5, 2), (3, 5, 50), (2, 70, 3), (6, 1),
                (65, 64), (9, 65), (1200, 37), (400, 101)]


def labels_for(rng, shape, ignore_fraction=0.0, ignore_index=-100):
    c = shape[0] if len(shape) == 1 else shape[1]
    item = () if len(shape) == 1 else (shape[0], *shape[2:])
    y = rng.integers(0, c, size=item)
    if ignore_fraction:
        y = np.where(rng.random(item) < ignore_fraction, ignore_index, y)
    return np.asarray(y, dtype=np.int64)


def probs_for(rng, shape):
    axis = 0 if len(shape) == 1 else 1
    t = rng.random(shape)
    return t / t.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------------------------------------
# Softmax cross-entropy


CE_OPTIONS = [dict(weight=w, ignore_index=ii, label_smoothing=ls)
              for w, ii, ls in itertools.product([False, True], [-100, 1], [0.0, 0.15])]


@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("opts", CE_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_cross_entropy_labels_match_reference(shape, opts, dtype, reduction, rng):
    logits = (3 * rng.normal(size=shape)).astype(dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    labels = labels_for(rng, shape, ignore_fraction=0.2, ignore_index=opts["ignore_index"])
    kwargs = dict(opts, weight=rng.uniform(0.2, 2.0, size=c).astype(dtype) if opts["weight"] else None)
    value, grad = fastloss.cross_entropy_value_and_grad(logits, labels, reduction=reduction, **kwargs)
    want_value, want_grad = ref.cross_entropy_value_and_grad(logits, labels, reduction=reduction, **kwargs)
    assert np.asarray(value).dtype == dtype
    assert grad.dtype == dtype
    assert grad.shape == logits.shape
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)
    assert_close(fastloss.cross_entropy(logits, labels, reduction=reduction, **kwargs), want_value, dtype)


@pytest.mark.parametrize("isa", _core.available_isas())
@pytest.mark.parametrize("c", list(range(1, 18)))
def test_few_classes_every_count_and_tail(c, isa, rng):
    # float32 rows of at most 16 classes are moved in groups of 16 rows (AVX-512) or 8 rows
    # and 8-column blocks (AVX2), with whole-register accesses per row that reach over the
    # start of the next rows: every class count, and row counts that end groups and tiles
    # early; a gradient written into a caller's buffer must not reach past it
    with instruction_set(isa):
        check_few_classes(c, rng)


def check_few_classes(c, rng):
    for n in (1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1031):
        logits = (3 * rng.normal(size=(n, c))).astype(np.float32)
        labels = labels_for(rng, (n, c), ignore_fraction=0.1)
        buffer = np.full(n * c + 40, 7.0, dtype=np.float32)
        grad = buffer[:n * c].reshape(n, c)
        value, _ = fastloss.cross_entropy_value_and_grad(logits, labels, reduction="sum",
                                                         grad_out=grad)
        want_value, want_grad = ref.cross_entropy_value_and_grad(logits, labels,
                                                                 reduction="sum")
        assert_close(value, want_value, np.float32)
        assert_close(grad, want_grad, np.float32)
        assert (buffer[n * c:] == 7.0).all()
        focal, focal_grad = fastloss.softmax_focal_loss_value_and_grad(logits, labels, gamma=2.0)
        want_focal, want_focal_grad = ref.softmax_focal_loss_value_and_grad(logits, labels,
                                                                            gamma=2.0)
        assert_close(focal, want_focal, np.float32)
        assert_close(focal_grad, want_focal_grad, np.float32)


@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probs_match_reference(shape, weighted, smoothing, dtype, reduction, rng):
    logits = (3 * rng.normal(size=shape)).astype(dtype)
    targets = probs_for(rng, shape).astype(dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    weight = rng.uniform(0.2, 2.0, size=c).astype(dtype) if weighted else None
    value, grad = fastloss.cross_entropy_value_and_grad(logits, targets, weight=weight,
                                                        label_smoothing=smoothing, reduction=reduction)
    want_value, want_grad = ref.cross_entropy_value_and_grad(logits, targets, weight=weight,
                                                             label_smoothing=smoothing, reduction=reduction)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("target_kind", ["labels", "probs"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_grad_matches_finite_differences(target_kind, reduction, rng):
    shape = (3, 4, 2)
    logits = rng.normal(size=shape)
    target = labels_for(rng, shape) if target_kind == "labels" else probs_for(rng, shape)
    kwargs = dict(weight=rng.uniform(0.5, 2.0, size=4), label_smoothing=0.1, reduction=reduction)
    go = rng.normal(size=(3, 2)) if reduction == "none" else np.float64(0.7)
    _, grad = fastloss.cross_entropy_value_and_grad(logits, target, grad_output=go, **kwargs)
    check_grad(lambda x: fastloss.cross_entropy(x, target, **kwargs), grad, logits, weights=go)


def test_parameters_adopt_the_logits_dtype():
    logits = np.zeros((2, 3), np.float32)
    value, grad = fastloss.cross_entropy_value_and_grad(logits, [0, 1], weight=[1.0, 2.0, 3.0])
    assert value.dtype == np.float32
    assert grad.dtype == np.float32
    value, grad = fastloss.cross_entropy_value_and_grad(logits, np.full((2, 3), 1 / 3))
    assert value.dtype == np.float32
    assert grad.dtype == np.float32
    value, grad = fastloss.binary_cross_entropy_value_and_grad(
        logits, np.ones((2, 3)), weight=np.ones((2, 3)), pos_weight=[1.0, 2.0, 3.0])
    assert value.dtype == np.float32
    assert grad.dtype == np.float32
    value, grad = fastloss.softmax_focal_loss_value_and_grad(logits, [0, 1], alpha=[0.2, 0.3, 0.5])
    assert value.dtype == np.float32
    assert grad.dtype == np.float32


def test_cross_entropy_by_hand():
    # -log softmax([2, 0, -1])_0 = log(e^2 + 1 + e^-1) - 2
    want = np.log(np.exp(2.0) + 1 + np.exp(-1.0)) - 2
    assert fastloss.cross_entropy([2.0, 0.0, -1.0], 0) == pytest.approx(want, rel=1e-14)
    # probability targets of a one-hot row equal integer labels
    assert fastloss.cross_entropy([[2.0, 0.0, -1.0]], [[1.0, 0.0, 0.0]]) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize("fn", ["cross_entropy", "softmax_focal_loss"])
@pytest.mark.parametrize("n_classes", [4, 70])  # read natively / transposed to rows
def test_class_axis_layout_matches_transposed_rows(fn, n_classes, rng):
    logits = rng.normal(size=(2, n_classes, 3, 25))
    labels = labels_for(rng, logits.shape, ignore_fraction=0.1)
    rows = np.moveaxis(logits, 1, -1).reshape(-1, n_classes)
    vg = getattr(fastloss, fn + "_value_and_grad")
    value, grad = vg(logits, labels, reduction="none")
    want_value, want_grad = vg(rows, labels.reshape(-1), reduction="none")
    # the same rows in the same tiles: bit for bit
    np.testing.assert_array_equal(value, want_value.reshape(2, 3, 25))
    np.testing.assert_array_equal(grad, np.moveaxis(want_grad.reshape(2, 3, 25, n_classes), -1, 1))
    buffer = np.empty_like(logits)
    assert vg(logits, labels, reduction="none", grad_out=buffer)[1] is buffer
    np.testing.assert_array_equal(buffer, grad)


def test_cross_entropy_all_ignored_is_zero(dtype):
    logits = np.ones((4, 3), dtype)
    labels = np.full(4, -100)
    for reduction in ("mean", "sum"):
        value, grad = fastloss.cross_entropy_value_and_grad(logits, labels, reduction=reduction)
        assert value == 0
        assert np.asarray(value).dtype == dtype
        np.testing.assert_array_equal(grad, 0)


def test_cross_entropy_one_class_is_zero():
    value, grad = fastloss.cross_entropy_value_and_grad(np.array([[5.0], [-3.0]]), [0, 0])
    assert value == 0.0
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_cross_entropy_extreme_logits(scale, dtype, rng):
    logits = (scale * rng.choice([-1.0, 0.0, 1.0], size=(64, 5))).astype(dtype)
    labels = labels_for(rng, logits.shape)
    for smoothing in (0.0, 0.1):
        value, grad = fastloss.cross_entropy_value_and_grad(logits, labels, label_smoothing=smoothing,
                                                            reduction="none")
        want_value, want_grad = ref.cross_entropy_value_and_grad(logits, labels, label_smoothing=smoothing,
                                                                 reduction="none")
        assert np.isfinite(value).all()
        assert np.isfinite(grad).all()
        assert_close(value, want_value, dtype)
        assert_close(grad, want_grad, dtype)


def test_cross_entropy_tiny_loss_keeps_relative_accuracy():
    # the true class dominates: loss = log1p(e^-40 + e^-45) ~ 4.25e-18, not 0
    value = fastloss.cross_entropy(np.array([[40.0, 0.0, -5.0]]), [0])
    want = np.log1p(np.exp(-40.0) + np.exp(-45.0))
    assert value == pytest.approx(want, rel=1e-12)


class TestCrossEntropyErrors:
    def test_label_out_of_range(self):
        with pytest.raises(ValueError, match=r"labels: expected values in \[0, 3\) or ignore_index=-100, got 3"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, 3])
        with pytest.raises(ValueError, match="got -1 at flat index 1"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, -1])

    @pytest.mark.parametrize("loss", ["ce", "ce_weighted", "focal"])
    @pytest.mark.parametrize("bad", [10, -2, np.iinfo(np.int64).min])
    def test_label_out_of_range_deep_in_a_large_batch(self, loss, bad, rng):
        # many blocks (the threaded label scan): the first bad label is named, and a grad_out
        # buffer is left as it was
        n, c = 70_000, 10
        labels = rng.integers(0, c, size=n)
        labels[[54_321, 60_000]] = bad
        fn, kwargs = {"ce": (fastloss.cross_entropy_value_and_grad, {}),
                      "ce_weighted": (fastloss.cross_entropy_value_and_grad,
                                      {"weight": np.linspace(0.5, 2, c)}),
                      "focal": (fastloss.softmax_focal_loss_value_and_grad, {})}[loss]
        grad = np.full((n, c), 7.0)
        with pytest.raises(ValueError, match=f"got {bad} at flat index 54321"):
            fn(rng.normal(size=(n, c)), labels, grad_out=grad, **kwargs)
        assert np.all(grad == 7.0)

    def test_label_shape(self):
        with pytest.raises(ValueError, match=r"labels_or_probs: expected shape \(2,\)"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, 1, 2])

    def test_probs_shape(self):
        with pytest.raises(ValueError, match="labels_or_probs: expected the shape of logits"):
            fastloss.cross_entropy(np.zeros((2, 3)), np.zeros((2, 4)))

    def test_weight(self):
        with pytest.raises(ValueError, match=r"weight: expected shape \(3,\)"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, 1], weight=[1.0, 2.0])
        with pytest.raises(ValueError, match="weight: expected non-negative"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, 1], weight=[1.0, -2.0, 1.0])

    def test_options(self):
        with pytest.raises(ValueError, match="label_smoothing: expected a number in"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, 1], label_smoothing=1.5)
        with pytest.raises(TypeError, match="ignore_index: expected an integer"):
            fastloss.cross_entropy(np.zeros((2, 3)), [0, 1], ignore_index=1.0)
        with pytest.raises(TypeError, match="labels_or_probs: expected an integer array"):
            fastloss.cross_entropy(np.zeros((2, 3)), np.array([True, False]))

    def test_ndim_and_empty(self):
        with pytest.raises(ValueError, match="logits: expected shape"):
            fastloss.cross_entropy(np.float64(1.0), 0)
        with pytest.raises(ValueError, match="logits: expected a non-empty array"):
            fastloss.cross_entropy(np.zeros((0, 3)), np.zeros(0, np.int64))


# ---------------------------------------------------------------------------------------------
# Binary cross-entropy


BCE_OPTIONS = [dict(weight=w, pos_weight=pw, alpha=a)
               for w, pw, a in itertools.product([False, True], [None, "scalar", "vector"], [None, 0.25])]


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize("opts", BCE_OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_binary_cross_entropy_matches_reference(shape, opts, dtype, reduction, rng):
    logits = (3 * rng.normal(size=shape)).astype(dtype)
    targets = rng.choice([0.0, 1.0, 0.3], size=shape).astype(dtype)  # hard and soft
    pos_weight = {None: None, "scalar": 2.5,
                  "vector": rng.uniform(0.5, 3, size=shape[-1]).astype(dtype)}[opts["pos_weight"]]
    kwargs = dict(weight=rng.uniform(0, 2, size=shape).astype(dtype) if opts["weight"] else None,
                  pos_weight=pos_weight, alpha=opts["alpha"], reduction=reduction)
    value, grad = fastloss.binary_cross_entropy_value_and_grad(logits, targets, **kwargs)
    want_value, want_grad = ref.binary_cross_entropy_value_and_grad(logits, targets, **kwargs)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)
    assert_close(fastloss.binary_cross_entropy(logits, targets, **kwargs), want_value, dtype)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy_grad_matches_finite_differences(reduction, rng):
    logits = rng.normal(size=(4, 3))
    targets = rng.random((4, 3))
    kwargs = dict(weight=rng.uniform(0.5, 2, size=(4, 3)), pos_weight=[1.0, 2.0, 0.5], alpha=0.3,
                  reduction=reduction)
    go = rng.normal(size=(4, 3)) if reduction == "none" else np.float64(1.3)
    _, grad = fastloss.binary_cross_entropy_value_and_grad(logits, targets, grad_output=go, **kwargs)
    check_grad(lambda x: fastloss.binary_cross_entropy(x, targets, **kwargs), grad, logits, weights=go)


def test_binary_cross_entropy_extremes(dtype):
    logits = np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype)
    targets = np.array([1.0, 0.0, 0.0, 1.0, 0.5], dtype)
    value, grad = fastloss.binary_cross_entropy_value_and_grad(logits, targets, reduction="none")
    np.testing.assert_allclose(value, [0.0, 0.0, 1e4, 1e4, np.log(2)], rtol=1e-6)
    np.testing.assert_allclose(grad, [0.0, 0.0, 1.0, -1.0, 0.0], atol=1e-7)
    # confidently right but finite: softplus(-20) keeps its relative accuracy
    tiny = fastloss.binary_cross_entropy(np.array([20.0]), np.array([1.0]), reduction="sum")
    assert tiny == pytest.approx(np.log1p(np.exp(-20.0)), rel=1e-12)


@pytest.mark.parametrize("target", [0.0, 1.0])
def test_binary_cross_entropy_float32_is_accurate_to_a_few_ulp(target):
    # float32 softplus and sigmoid over the whole useful range, against float64 of the same
    # inputs: the polynomial log1p and exp must keep their relative accuracy everywhere.
    x = np.linspace(-100, 100, 400_001).astype(np.float32)
    value, grad = fastloss.binary_cross_entropy_value_and_grad(
        x, np.full_like(x, target), reduction="none")
    s = x.astype(np.float64) * (1 - 2 * target)  # the loss is softplus(s)
    want_value = np.logaddexp(0.0, s)
    want_grad = (1 - 2 * target) / (1 + np.exp(-s))
    for got, want, ulps in ((value, want_value, 4), (grad, want_grad, 6)):
        normal = np.abs(want) > 1e-37  # exp flushes results below ~1.7e-38 to 0
        rel = np.abs(got[normal] - want[normal]) / np.abs(want[normal])
        assert rel.max() <= ulps * 2.0**-24


def test_balanced_cross_entropy_is_alpha_t_times_ce(rng):
    logits, targets = rng.normal(size=50), rng.integers(0, 2, size=50).astype(float)
    ce = fastloss.binary_cross_entropy(logits, targets, reduction="none")
    bal = fastloss.binary_cross_entropy(logits, targets, alpha=0.25, reduction="none")
    np.testing.assert_allclose(bal, np.where(targets == 1, 0.25, 0.75) * ce, rtol=1e-15)


class TestBinaryCrossEntropyErrors:
    def test_targets_out_of_range(self):
        with pytest.raises(ValueError, match=r"targets: expected values in \[0, 1\]"):
            fastloss.binary_cross_entropy(np.zeros(3), [0.0, 1.0, 1.5])
        with pytest.raises(ValueError, match=r"targets: expected values in \[0, 1\]"):
            fastloss.binary_cross_entropy_value_and_grad(np.zeros(3), [0.0, -0.1, 1.0])

    def test_pos_weight_shape(self):
        with pytest.raises(ValueError, match="pos_weight: expected a shape broadcastable to"):
            fastloss.binary_cross_entropy(np.zeros((2, 3)), np.zeros((2, 3)), pos_weight=[1.0, 2.0])

    def test_alpha_range(self):
        with pytest.raises(ValueError, match="alpha: expected a number in"):
            fastloss.binary_cross_entropy(np.zeros(3), np.zeros(3), alpha=1.5)

    def test_shape(self):
        with pytest.raises(ValueError, match="targets: expected the shape of logits"):
            fastloss.binary_cross_entropy(np.zeros(3), np.zeros(2))
