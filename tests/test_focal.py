"""Focal losses: reference, the seed's closed form, gamma = 0 identities, extremes."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import ELEMENTWISE_SHAPES, assert_close, check_grad
from .test_classification import CLASS_SHAPES, labels_for

# integers up to 4 take the multiply path for hard targets; 0.5 and 5 the exp(gamma log m) one
GAMMAS = [0.0, 0.5, 1.0, 2.0, 3.0, 5.0]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---- sigmoid focal ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("gamma", GAMMAS)
@pytest.mark.parametrize("targets_kind", ["hard", "mixed"])  # hard-only tiles have their own loop
def test_sigmoid_focal_matches_reference(shape, alpha, gamma, targets_kind, dtype, reduction, rng):
    logits = (3 * rng.normal(size=shape)).astype(dtype)
    choices = [0.0, 1.0] if targets_kind == "hard" else [0.0, 1.0, 0.2, 0.7]
    targets = rng.choice(choices, size=shape).astype(dtype)
    kwargs = dict(alpha=alpha, gamma=gamma, reduction=reduction)
    value, grad = fastloss.sigmoid_focal_loss_value_and_grad(logits, targets, **kwargs)
    want_value, want_grad = ref.sigmoid_focal_loss_value_and_grad(logits, targets, **kwargs)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)
    assert_close(fastloss.sigmoid_focal_loss(logits, targets, **kwargs), want_value, dtype)


def test_sigmoid_focal_matches_torchvision_formula(rng):
    # torchvision.ops.sigmoid_focal_loss, written out in NumPy
    x = rng.normal(size=200) * 3
    t = rng.random(200)
    p = sigmoid(x)
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    want = (0.25 * t + 0.75 * (1 - t)) * ce * (1 - p_t) ** 2
    got = fastloss.sigmoid_focal_loss(x, t, alpha=0.25, gamma=2.0, reduction="none")
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_sigmoid_focal_grad_matches_seed_closed_form(gamma, rng):
    # alpha = 1, y in {-1, +1}:  dFL/dx = y (1 - p_t)^gamma (gamma p_t log p_t + p_t - 1)
    x = rng.normal(size=300) * 4
    y = rng.choice([-1.0, 1.0], size=300)
    p_t = sigmoid(y * x)
    want = y * (1 - p_t) ** gamma * (gamma * p_t * np.log(p_t) + p_t - 1)
    _, grad = fastloss.sigmoid_focal_loss_value_and_grad(x, (y + 1) / 2, alpha=None, gamma=gamma,
                                                         reduction="none")
    np.testing.assert_allclose(grad, want, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_sigmoid_focal_grad_matches_finite_differences(gamma, reduction, rng):
    x = rng.normal(size=(3, 4))
    t = rng.choice([0.0, 1.0, 0.4], size=(3, 4))
    go = rng.normal(size=(3, 4)) if reduction == "none" else np.float64(1.0)
    kwargs = dict(alpha=0.3, gamma=gamma, reduction=reduction)
    _, grad = fastloss.sigmoid_focal_loss_value_and_grad(x, t, grad_output=go, **kwargs)
    check_grad(lambda z: fastloss.sigmoid_focal_loss(z, t, **kwargs), grad, x, weights=go)


def test_sigmoid_focal_gamma_zero_is_balanced_bce(dtype, rng):
    x = (3 * rng.normal(size=1000)).astype(dtype)
    t = rng.choice([0.0, 1.0, 0.5], size=1000).astype(dtype)
    for alpha in (None, 0.25):
        fl, fl_grad = fastloss.sigmoid_focal_loss_value_and_grad(x, t, alpha=alpha, gamma=0.0,
                                                                 reduction="none")
        ce, ce_grad = fastloss.binary_cross_entropy_value_and_grad(x, t, alpha=alpha, reduction="none")
        np.testing.assert_array_equal(fl, ce)
        np.testing.assert_allclose(fl_grad, ce_grad, rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_sigmoid_focal_extremes_are_finite(gamma, dtype):
    x = np.array([1e4, -1e4, 1e4, -1e4, 80.0, -80.0, 0.0], dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0], dtype)
    value, grad = fastloss.sigmoid_focal_loss_value_and_grad(x, t, alpha=None, gamma=gamma,
                                                             reduction="none")
    assert np.isfinite(value).all()
    assert np.isfinite(grad).all()
    # confidently right: ~0 loss and gradient; confidently wrong: loss |x|, gradient -+1
    np.testing.assert_allclose(value[[0, 1, 4, 5]], 0.0, atol=1e-30)
    np.testing.assert_allclose(value[[2, 3]], 1e4, rtol=1e-6)
    np.testing.assert_allclose(grad[[2, 3]], [1.0, -1.0], rtol=1e-6)
    np.testing.assert_allclose(grad[[0, 1]], 0.0, atol=1e-30)


class TestSigmoidFocalErrors:
    def test_gamma(self):
        with pytest.raises(ValueError, match="gamma: expected a number in"):
            fastloss.sigmoid_focal_loss(np.zeros(3), np.zeros(3), gamma=-1.0)

    def test_targets(self):
        with pytest.raises(ValueError, match=r"targets: expected values in \[0, 1\]"):
            fastloss.sigmoid_focal_loss(np.zeros(3), [0.0, 2.0, 1.0])

    def test_alpha(self):
        with pytest.raises(ValueError, match="alpha: expected a number in"):
            fastloss.sigmoid_focal_loss(np.zeros(3), np.zeros(3), alpha=-0.5)


# ---- softmax focal ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("alpha", [None, "scalar", "vector"])
@pytest.mark.parametrize("gamma", GAMMAS)
def test_softmax_focal_matches_reference(shape, alpha, gamma, dtype, reduction, rng):
    logits = (3 * rng.normal(size=shape)).astype(dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    labels = labels_for(rng, shape, ignore_fraction=0.2)
    a = {None: None, "scalar": 0.4, "vector": rng.uniform(0.1, 1, size=c).astype(dtype)}[alpha]
    kwargs = dict(alpha=a, gamma=gamma, reduction=reduction)
    value, grad = fastloss.softmax_focal_loss_value_and_grad(logits, labels, **kwargs)
    want_value, want_grad = ref.softmax_focal_loss_value_and_grad(logits, labels, **kwargs)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("gamma", [0.5, 2.0])
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_softmax_focal_grad_matches_finite_differences(gamma, reduction, rng):
    x = rng.normal(size=(3, 5, 2))
    y = labels_for(rng, x.shape)
    go = rng.normal(size=(3, 2)) if reduction == "none" else np.float64(1.0)
    kwargs = dict(alpha=[0.2, 0.5, 1.0, 0.7, 0.3], gamma=gamma, reduction=reduction)
    _, grad = fastloss.softmax_focal_loss_value_and_grad(x, y, grad_output=go, **kwargs)
    check_grad(lambda z: fastloss.softmax_focal_loss(z, y, **kwargs), grad, x, weights=go)


@pytest.mark.parametrize("n_classes", [7, 80])  # the across-rows and the along-rows kernel
def test_softmax_focal_gamma_zero_is_cross_entropy(n_classes, dtype, rng):
    x = (3 * rng.normal(size=(500, n_classes))).astype(dtype)
    y = labels_for(rng, x.shape, ignore_fraction=0.1)
    for reduction in ("none", "mean", "sum"):
        fl, fl_grad = fastloss.softmax_focal_loss_value_and_grad(x, y, gamma=0.0, reduction=reduction)
        ce, ce_grad = fastloss.cross_entropy_value_and_grad(x, y, reduction=reduction)
        np.testing.assert_array_equal(fl, ce)
        np.testing.assert_array_equal(fl_grad, ce_grad)


@pytest.mark.parametrize("gamma", GAMMAS)
def test_softmax_focal_extremes_are_finite(gamma, dtype):
    x = np.array([[1e4, 0.0, -1e4], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0], [60.0, 0.0, 0.0]], dtype)
    y = np.array([0, 0, 2, 0])
    value, grad = fastloss.softmax_focal_loss_value_and_grad(x, y, gamma=gamma, reduction="none")
    assert np.isfinite(value).all()
    assert np.isfinite(grad).all()
    assert value[0] == 0
    assert value[1] == pytest.approx(2e4, rel=1e-6)
    want_value, want_grad = ref.softmax_focal_loss_value_and_grad(x, y, gamma=gamma, reduction="none")
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)


def test_softmax_focal_all_ignored_is_zero():
    value, grad = fastloss.softmax_focal_loss_value_and_grad(np.ones((3, 4)), [-100] * 3)
    assert value == 0
    np.testing.assert_array_equal(grad, 0)


class TestSoftmaxFocalErrors:
    def test_alpha_shape(self):
        with pytest.raises(ValueError, match=r"alpha: expected shape \(3,\)"):
            fastloss.softmax_focal_loss(np.zeros((2, 3)), [0, 1], alpha=[1.0, 2.0])

    def test_labels(self):
        with pytest.raises(ValueError, match=r"labels: expected values in \[0, 3\)"):
            fastloss.softmax_focal_loss(np.zeros((2, 3)), [0, 5])
        with pytest.raises(TypeError, match="labels: expected an integer array"):
            fastloss.softmax_focal_loss(np.zeros((2, 3)), [0.0, 1.0])
