"""Overlap losses (Dice, Jaccard, Tversky, Focal Tversky, generalized Dice): the reference,
finite differences, identities, empty masks, extremes and errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, check_grad

KINDS = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss",
         "generalized_dice_loss"]
# (N, C, *spatial): 1-D, 2-D and 3-D maps, N = 1, odd sizes, one position, and a volume
# big enough for several blocks and threads
SHAPES = [(1, 3, 7), (2, 4, 5, 6), (1, 2, 3, 4, 5), (3, 5, 1), (2, 1, 6, 5), (2, 3, 41, 43)]
# softmax over one channel is refused (TestErrors)
SHAPE_ACTIVATIONS = [(shape, act) for shape in SHAPES for act in ("softmax", "sigmoid", None)
                     if not (act == "softmax" and shape[1] == 1)]


def make_volume(rng, shape, dtype, targets="labels", activation="softmax", scale=3.0):
    """Input of `shape` and targets: labels (N, *spatial), one-hot or soft (N, C, *spatial)."""
    n, c, *spatial = shape
    x = scale * rng.normal(size=shape)
    if activation is None:  # probabilities
        x = np.exp(x) / np.exp(x).sum(1, keepdims=True) if c > 1 else 1 / (1 + np.exp(-x))
    labels = rng.integers(0, max(c, 2), size=(n, *spatial))
    if targets == "labels":
        t = labels
    elif targets == "onehot":
        t = (labels[:, None] == np.arange(c).reshape(1, c, *[1] * len(spatial))).astype(dtype)
    else:
        t = rng.random(shape).astype(dtype)
    return x.astype(dtype), t


def call_both(name, x, t, **kw):
    got = getattr(fastloss, name + "_value_and_grad")(x, t, **kw)
    want = getattr(ref, name + "_value_and_grad")(x, t, **kw)
    return got, want


# ---- against the reference -------------------------------------------------------------------

@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize(("shape", "activation"), SHAPE_ACTIVATIONS, ids=str)
@pytest.mark.parametrize("targets", ["labels", "onehot", "soft"])
def test_matches_reference(name, shape, activation, targets, dtype, rng):
    x, t = make_volume(rng, shape, dtype, targets, activation)
    for batch in (False, True):
        for reduction in ("mean", "sum", "none"):
            (value, grad), (want_value, want_grad) = call_both(name, x, t, activation=activation,
                                                               batch=batch, reduction=reduction)
            assert grad.shape == x.shape
            assert grad.dtype == x.dtype
            assert np.asarray(value).dtype == x.dtype
            assert_close(value, want_value, dtype)
            assert_close(grad, want_grad, dtype)
    assert_close(getattr(fastloss, name)(x, t, activation=activation),
                 getattr(ref, name)(x, t, activation=activation), dtype)


@pytest.mark.parametrize("name", ["dice_loss", "jaccard_loss", "tversky_loss",
                                  "focal_tversky_loss"])
@pytest.mark.parametrize("empty", ["smooth", "zero", "ignore"])
def test_options_match_reference(name, empty, dtype, rng):
    x, y = make_volume(rng, (3, 4, 9, 7), dtype)
    y[0][y[0] == 2] = 1  # class 2 absent from sample 0
    y[1, :2] = 9  # ignored rows
    kw = dict(include_background=False, weight=[0.5, 2.0, 1.5], ignore_index=9, empty=empty,
              smooth_nr=0.5, smooth_dr=1.0)
    if name in ("dice_loss", "jaccard_loss"):
        kw["squared_pred"] = True
    if name.endswith("tversky_loss"):
        kw.update(alpha=0.2, beta=0.9)
    for batch in (False, True):
        for reduction in ("mean", "sum", "none"):
            (value, grad), (want_value, want_grad) = call_both(name, x, y, batch=batch,
                                                               reduction=reduction, **kw)
            assert_close(value, want_value, dtype)
            assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("w_type", ["square", "simple", "uniform"])
@pytest.mark.parametrize("include_background", [True, False])
def test_generalized_dice_options_match_reference(w_type, include_background, dtype, rng):
    x, y = make_volume(rng, (3, 4, 8, 9), dtype)
    y[0][y[0] == 3] = 1  # an absent class: infinite weight, replaced
    y[2, 0] = 7
    for batch in (False, True):
        kw = dict(w_type=w_type, include_background=include_background, batch=batch,
                  ignore_index=7, reduction="none")
        (value, grad), (want_value, want_grad) = call_both("generalized_dice_loss", x, y, **kw)
        assert value.shape == (() if batch else (3,))
        assert_close(value, want_value, dtype)
        assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("name", KINDS)
def test_grad_output_scales_the_gradient(name, rng):
    x, y = make_volume(rng, (2, 3, 5, 4), np.float64)
    per_item = getattr(fastloss, name)(x, y, reduction="none")
    g = rng.random(per_item.shape)
    (_, grad), (_, want) = call_both(name, x, y, reduction="none", grad_output=g)
    assert_close(grad, want, np.float64)
    _, grad_sum = getattr(fastloss, name + "_value_and_grad")(x, y, reduction="sum")
    _, grad_scaled = getattr(fastloss, name + "_value_and_grad")(x, y, reduction="sum",
                                                                 grad_output=2.5)
    np.testing.assert_allclose(grad_scaled, 2.5 * grad_sum, rtol=1e-12, atol=1e-16)


def test_reference_dice_by_hand():
    # two pixels, probabilities given: class 0 p = (0.8, 0.4), t = (1, 0); class 1 the rest
    probs = np.array([[[0.8, 0.4], [0.2, 0.6]]])
    dice0 = 2 * 0.8 / (1.2 + 1)
    dice1 = 2 * 0.6 / (0.8 + 1)
    want = 1 - (dice0 + dice1) / 2
    for lib in (fastloss, ref):
        got = lib.dice_loss(probs, [[0, 1]], activation=None, smooth_nr=0, smooth_dr=0)
        np.testing.assert_allclose(got, want, rtol=1e-14)


# ---- finite differences ----------------------------------------------------------------------

@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("activation", ["softmax", "sigmoid", None])
@pytest.mark.parametrize("targets", ["labels", "soft"])
def test_gradient_matches_finite_differences(name, activation, targets, rng):
    x, t = make_volume(rng, (2, 3, 4, 3), np.float64, targets, activation, scale=1.0)
    kw = dict(activation=activation, batch=targets == "soft", smooth_nr=0.1, smooth_dr=0.2)
    if name in ("dice_loss", "jaccard_loss") and targets == "soft":
        kw["squared_pred"] = True
    if name != "generalized_dice_loss":
        kw["weight"] = [1.0, 0.5, 2.0]
    fn = getattr(fastloss, name)
    _, grad = getattr(fastloss, name + "_value_and_grad")(x, t, **kw)
    check_grad(lambda z: fn(z, t, **kw), grad, x, rtol=1e-6, atol=1e-8)


# ---- identities ------------------------------------------------------------------------------

NO_SMOOTH = dict(smooth_nr=0.0, smooth_dr=0.0)


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_tversky_identities(activation, rng):
    x, y = make_volume(rng, (2, 4, 6, 5), np.float64)
    dice = fastloss.dice_loss(x, y, activation=activation, reduction="none", **NO_SMOOTH)
    jac = fastloss.jaccard_loss(x, y, activation=activation, reduction="none", **NO_SMOOTH)
    tv = fastloss.tversky_loss(x, y, activation=activation, alpha=0.5, beta=0.5,
                               reduction="none", **NO_SMOOTH)
    tv1 = fastloss.tversky_loss(x, y, activation=activation, alpha=1.0, beta=1.0,
                                reduction="none", **NO_SMOOTH)
    np.testing.assert_allclose(tv, dice, rtol=1e-13)
    np.testing.assert_allclose(tv1, jac, rtol=1e-13)
    # Jaccard and Dice are linked: J = D / (2 - D) per class
    d_index, j_index = 1 - dice, 1 - jac
    np.testing.assert_allclose(j_index, d_index / (2 - d_index), rtol=1e-12)


def test_focal_tversky_with_gamma_one_is_tversky_bit_for_bit(dtype, rng):
    x, y = make_volume(rng, (2, 3, 17, 5), dtype)
    kw = dict(alpha=0.3, beta=0.7)
    a = fastloss.focal_tversky_loss_value_and_grad(x, y, gamma=1.0, **kw)
    b = fastloss.tversky_loss_value_and_grad(x, y, **kw)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_focal_tversky_exponent_is_per_class(rng):
    x, y = make_volume(rng, (1, 3, 20), np.float64)
    per_class = fastloss.tversky_loss(x, y, alpha=0.3, beta=0.7, reduction="none")
    focal = fastloss.focal_tversky_loss(x, y, alpha=0.3, beta=0.7, gamma=0.75)
    np.testing.assert_allclose(focal, np.mean(per_class**0.75), rtol=1e-13)
    assert not np.isclose(focal, np.mean(per_class) ** 0.75)


@pytest.mark.parametrize("name", KINDS)
def test_perfect_prediction_gives_zero(name, rng):
    _, y = make_volume(rng, (2, 3, 6, 7), np.float64)
    onehot = (y[:, None] == np.arange(3)[None, :, None, None]).astype(float)
    for kw in (dict(activation=None), dict(activation="softmax")):
        x = onehot if kw["activation"] is None else 1e4 * (2 * onehot - 1)
        for batch in (False, True):
            value, grad = getattr(fastloss, name + "_value_and_grad")(x, y, batch=batch, **kw)
            assert abs(float(value)) < 1e-12, (kw, batch)
            assert np.all(np.isfinite(grad))


def test_labels_one_hot_and_mid_axis_labels_agree(rng):
    x, y = make_volume(rng, (2, 4, 5, 6), np.float32)
    onehot = (y[:, None] == np.arange(4)[None, :, None, None]).astype(np.float32)
    a = fastloss.dice_loss_value_and_grad(x, y)
    b = fastloss.dice_loss_value_and_grad(x, onehot)
    c = fastloss.dice_loss_value_and_grad(x, y[:, None])  # MONAI's (N, 1, *spatial) labels
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], c[0])


def test_binary_labels_with_one_channel(rng):
    x = rng.normal(size=(3, 1, 8, 8))
    y = rng.integers(0, 2, size=(3, 8, 8))
    a = fastloss.dice_loss_value_and_grad(x, y, activation="sigmoid")
    b = fastloss.dice_loss_value_and_grad(x, y[:, None].astype(float), activation="sigmoid")
    np.testing.assert_allclose(a[0], b[0], rtol=1e-14)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-14, atol=1e-18)
    # bool masks are labels too
    c = fastloss.dice_loss(x, y.astype(bool), activation="sigmoid")
    np.testing.assert_allclose(c, a[0], rtol=1e-14)


def test_softmax_over_two_channels_is_the_binary_case(rng):
    # softmax over (0, z) is sigmoid(z): the foreground channel of a two-channel softmax
    z = rng.normal(size=(2, 1, 30))
    y = rng.integers(0, 2, size=(2, 30))
    two = np.concatenate([np.zeros_like(z), z], axis=1)
    a = fastloss.dice_loss(two, y, include_background=False)
    b = fastloss.dice_loss(z, y, activation="sigmoid")
    np.testing.assert_allclose(a, b, rtol=1e-13)


def test_ignored_positions_do_not_matter(rng):
    x, y = make_volume(rng, (2, 3, 10, 10), np.float64)
    y[:, :3] = -1
    value, grad = fastloss.tversky_loss_value_and_grad(x, y, ignore_index=-1, alpha=0.2, beta=0.8)
    x2 = x.copy()
    x2[:, :, :3] = rng.normal(size=x2[:, :, :3].shape) * 10
    assert fastloss.tversky_loss(x2, y, ignore_index=-1, alpha=0.2, beta=0.8) == value
    assert np.all(grad[:, :, :3] == 0)
    cropped = fastloss.tversky_loss(x[:, :, 3:], y[:, 3:], alpha=0.2, beta=0.8)
    np.testing.assert_allclose(cropped, value, rtol=1e-14)


def test_ignore_index_may_be_a_class(rng):
    # ignore_index = 0: background pixels are left out of every sum
    x, y = make_volume(rng, (1, 3, 12), np.float64)
    got = fastloss.dice_loss(x, y, ignore_index=0, reduction="none")
    keep = y[0] != 0
    want = fastloss.dice_loss(x[:, :, keep], y[:, keep], reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_class_weights_scale_class_losses(rng):
    x, y = make_volume(rng, (2, 3, 9), np.float64)
    plain = fastloss.dice_loss(x, y, reduction="none")
    w = np.array([0.0, 1.0, 3.0])
    weighted = fastloss.dice_loss(x, y, weight=w, reduction="none")
    np.testing.assert_allclose(weighted, plain * w, rtol=1e-14)
    # the mean divides by the number of items, not the summed weights (MONAI)
    np.testing.assert_allclose(fastloss.dice_loss(x, y, weight=w), (plain * w).mean(), rtol=1e-14)
    # without the background: (C - 1,) weights are accepted and mean the same as a (C,) one
    a = fastloss.dice_loss(x, y, include_background=False, weight=[1.0, 3.0])
    b = fastloss.dice_loss(x, y, include_background=False, weight=[5.0, 1.0, 3.0])
    assert a == b


# ---- empty masks and extremes ----------------------------------------------------------------

def _absent_class_case():
    """Class 2 absent from the target; predicted with probability 0.3 (case "predicted") or
    exactly 0 (case "both")."""
    probs = np.array([[[0.7, 0.2, 0.5, 0.5], [0.0, 0.8, 0.5, 0.5], [0.3, 0.0, 0.0, 0.0]]])
    labels = np.array([[0, 1, 0, 1]])
    return probs, labels


def test_empty_policy_smooth_is_monai():
    probs, labels = _absent_class_case()
    per = fastloss.dice_loss(probs, labels, activation=None, reduction="none")
    s = 1e-5
    np.testing.assert_allclose(per[0, 2], 1 - s / (0.3 + s), rtol=1e-12)  # about 1
    both = probs.copy()
    both[0, 0, 0], both[0, 2, 0] = 1.0, 0.0  # class 2 absent from prediction too
    per = fastloss.dice_loss(both, labels, activation=None, reduction="none")
    assert per[0, 2] == 0.0  # 1 - s / s
    # no smoothing: 0 / 0 scores 1 (loss 0), finite gradient
    value, grad = fastloss.dice_loss_value_and_grad(both, labels, activation=None,
                                                    reduction="none", **NO_SMOOTH)
    assert value[0, 2] == 0.0
    assert np.all(np.isfinite(grad))


def test_empty_policies_zero_and_ignore():
    probs, labels = _absent_class_case()
    kw = dict(activation=None)
    smooth = fastloss.dice_loss(probs, labels, reduction="none", **kw)
    zero = fastloss.dice_loss(probs, labels, reduction="none", empty="zero", **kw)
    ignore = fastloss.dice_loss(probs, labels, reduction="none", empty="ignore", **kw)
    np.testing.assert_array_equal(zero[0, :2], smooth[0, :2])
    assert zero[0, 2] == 0
    assert ignore[0, 2] == 0
    np.testing.assert_allclose(fastloss.dice_loss(probs, labels, empty="zero", **kw),
                               smooth[0, :2].sum() / 3, rtol=1e-14)
    np.testing.assert_allclose(fastloss.dice_loss(probs, labels, empty="ignore", **kw),
                               smooth[0, :2].mean(), rtol=1e-14)
    _, grad = fastloss.dice_loss_value_and_grad(probs, labels, empty="ignore", **kw)
    assert np.all(grad[0, 2] == 0)


def test_every_class_ignored_gives_zero(rng):
    x = rng.normal(size=(1, 3, 5))
    y = np.full((1, 5), 2)
    value, grad = fastloss.dice_loss_value_and_grad(x, y, include_background=False,
                                                    weight=[1.0, 0.0], empty="ignore")
    # class 1 absent (ignored); class 2 present but weight 0
    assert value == 0.0
    value, grad = fastloss.dice_loss_value_and_grad(x, np.zeros((1, 5), int),
                                                    include_background=False, empty="ignore")
    assert value == 0.0
    assert np.all(grad == 0)


@pytest.mark.parametrize("name", KINDS)
def test_all_positions_ignored(name, rng):
    x = rng.normal(size=(2, 3, 4, 4))
    y = np.full((2, 4, 4), 255)
    value, grad = getattr(fastloss, name + "_value_and_grad")(x, y, ignore_index=255)
    want_value, want_grad = getattr(ref, name + "_value_and_grad")(x, y, ignore_index=255)
    assert np.isfinite(value)
    np.testing.assert_allclose(value, want_value, atol=1e-15)
    assert np.all(grad == 0)
    assert np.all(want_grad == 0)


def test_generalized_dice_with_every_class_absent(rng):
    x = rng.normal(size=(1, 2, 6))
    y = np.zeros((1, 6), int)
    # background excluded, foreground absent: every weight is 0 and the index is s_nr / s_dr
    value, grad = fastloss.generalized_dice_loss_value_and_grad(x, y, include_background=False)
    assert value == 0.0
    assert np.all(grad == 0)


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_extreme_logits_stay_finite(name, activation, dtype, rng):
    x, y = make_volume(rng, (2, 3, 50), dtype)
    x = (np.sign(x) * 1e4).astype(dtype)
    value, grad = getattr(fastloss, name + "_value_and_grad")(x, y, activation=activation)
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))
    want_value, want_grad = getattr(ref, name + "_value_and_grad")(x, y, activation=activation)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)


def test_focal_tversky_gradient_at_a_perfect_class_is_finite():
    probs = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    value, grad = fastloss.focal_tversky_loss_value_and_grad(probs, [[0, 1]], activation=None,
                                                             gamma=0.5, **NO_SMOOTH)
    assert value == 0.0
    assert np.all(grad == 0)


def test_nan_propagates(rng):
    x = rng.normal(size=(1, 2, 8))
    x[0, 0, 3] = np.nan
    assert np.isnan(fastloss.dice_loss(x, rng.integers(0, 2, size=(1, 8))))


def test_float16_and_integer_inputs(rng):
    x = rng.normal(size=(1, 2, 8))
    y = rng.integers(0, 2, size=(1, 8))
    assert fastloss.dice_loss(x.astype(np.float16), y).dtype == np.float32
    assert fastloss.dice_loss((x > 0).astype(np.int32), y, activation=None).dtype == np.float64


def test_non_contiguous_input(rng):
    x = rng.normal(size=(2, 6, 5, 4))[:, ::2]
    y = rng.integers(0, 3, size=(2, 4, 5)).transpose(0, 2, 1)
    a = fastloss.dice_loss_value_and_grad(x, y)
    b = fastloss.dice_loss_value_and_grad(np.ascontiguousarray(x), np.ascontiguousarray(y))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


# ---- errors ----------------------------------------------------------------------------------

class TestErrors:
    x = np.zeros((2, 3, 4))
    y = np.zeros((2, 4), dtype=np.int64)

    def test_shapes(self):
        with pytest.raises(ValueError, match=r"logits_or_probs: expected a non-empty array of shape"):
            fastloss.dice_loss(np.zeros(3), [0, 1, 2])
        with pytest.raises(ValueError, match=r"logits_or_probs: expected a non-empty"):
            fastloss.dice_loss(np.zeros((2, 3, 0)), np.zeros((2, 0), int))
        with pytest.raises(ValueError, match=r"targets: expected labels of shape \(2, 4\)"):
            fastloss.dice_loss(self.x, np.zeros((2, 5), int))
        with pytest.raises(TypeError, match=r"targets: labels of shape .* must be integers"):
            fastloss.dice_loss(self.x, np.zeros((2, 4)))

    def test_labels_out_of_range(self):
        y = self.y.copy()
        y[1, 2] = 3
        with pytest.raises(ValueError, match=r"targets: expected values in \[0, 3\).*got 3"):
            fastloss.dice_loss(self.x, y)
        with pytest.raises(ValueError, match=r"or ignore_index=-1, got -2"):
            fastloss.dice_loss(self.x, y * 0 - 2, ignore_index=-1)
        with pytest.raises(ValueError, match=r"targets: expected values in \[0, 2\)"):
            fastloss.dice_loss(np.zeros((2, 1, 4)), y, activation="sigmoid")

    def test_one_channel(self):
        with pytest.raises(ValueError, match="activation: 'softmax' over one channel"):
            fastloss.dice_loss(np.zeros((2, 1, 4)), self.y)
        with pytest.raises(ValueError, match="include_background: False leaves no class"):
            fastloss.dice_loss(np.zeros((2, 1, 4)), self.y, activation="sigmoid",
                               include_background=False)

    def test_options(self):
        with pytest.raises(ValueError, match="activation: expected one of"):
            fastloss.dice_loss(self.x, self.y, activation="relu")
        with pytest.raises(ValueError, match="empty: expected one of"):
            fastloss.dice_loss(self.x, self.y, empty="nan")
        with pytest.raises(ValueError, match="w_type: expected one of"):
            fastloss.generalized_dice_loss(self.x, self.y, w_type="cube")
        with pytest.raises(ValueError, match="reduction: expected one of"):
            fastloss.tversky_loss(self.x, self.y, reduction="batchmean")
        with pytest.raises(ValueError, match=r"smooth_nr: expected a number in \[0"):
            fastloss.dice_loss(self.x, self.y, smooth_nr=-1)
        with pytest.raises(ValueError, match=r"alpha: expected a number in \[0"):
            fastloss.tversky_loss(self.x, self.y, alpha=-0.1)
        with pytest.raises(ValueError, match=r"gamma: expected a number in \(0"):
            fastloss.focal_tversky_loss(self.x, self.y, gamma=0)
        with pytest.raises(TypeError, match="ignore_index: expected an integer or None"):
            fastloss.dice_loss(self.x, self.y, ignore_index=1.5)

    def test_weights(self):
        with pytest.raises(ValueError, match="weight: expected non-negative values"):
            fastloss.dice_loss(self.x, self.y, weight=[1.0, -1.0, 1.0])
        with pytest.raises(ValueError, match=r"weight: expected shape \(3,\), one value per class"):
            fastloss.dice_loss(self.x, self.y, weight=[1.0, 1.0])
        with pytest.raises(ValueError, match=r"weight: expected shape \(3,\) or \(2,\)"):
            fastloss.dice_loss(self.x, self.y, weight=[1.0], include_background=False)

    def test_ignore_index_needs_labels(self):
        with pytest.raises(ValueError, match="ignore_index: applies to integer label targets"):
            fastloss.dice_loss(self.x, np.zeros_like(self.x), ignore_index=0)

    def test_grad_output_shape(self):
        with pytest.raises(ValueError, match=r"grad_output: expected a shape broadcastable"):
            fastloss.dice_loss_value_and_grad(self.x, self.y, reduction="none",
                                              grad_output=np.ones((3, 3)))


def test_focal_tversky_nan_logits_give_nan_like_the_reference():
    # the clamp max(0, 1 - TI) took NaN as 0: all-NaN logits gave a loss of 0
    x = np.full((1, 2, 4, 4), np.nan)
    t = np.random.default_rng(0).integers(0, 2, (1, 4, 4))
    value, grad = fastloss.focal_tversky_loss_value_and_grad(x, t)
    want, wgrad = ref.focal_tversky_loss_value_and_grad(x, t)
    assert np.isnan(value)
    assert np.isnan(want)
    assert np.isnan(grad).all()
    assert np.isnan(wgrad).all()
