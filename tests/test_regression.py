"""Regression losses: native vs the NumPy reference, finite differences, identities, errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import ELEMENTWISE_SHAPES, assert_close, check_grad

# name -> keyword options exercised (besides weight/reduction)
POINTWISE = {
    "sse": {},
    "mse": {},
    "mae": {},
    "huber_loss": {"delta": 0.7},
    "smooth_l1_loss": {"beta": 0.7},
}


def _fns(name):
    return (getattr(fastloss, name), getattr(fastloss, name + "_value_and_grad"),
            getattr(ref, name + "_value_and_grad"))


def _data(rng, shape, dtype):
    pred = rng.normal(size=shape).astype(dtype)
    target = rng.normal(size=shape).astype(dtype)
    return pred, target


@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
class TestPointwiseMatchesReference:
    def test_value_and_grad(self, name, shape, dtype, reduction, rng):
        fn, fn_vg, ref_vg = _fns(name)
        pred, target = _data(rng, shape, dtype)
        value, grad = fn_vg(pred, target, reduction=reduction, **POINTWISE[name])
        want_value, want_grad = ref_vg(pred, target, reduction=reduction, **POINTWISE[name])
        assert np.asarray(value).dtype == dtype
        assert grad.dtype == dtype
        assert grad.shape == pred.shape
        assert_close(value, want_value, dtype)
        assert_close(grad, want_grad, dtype)
        # the value-only entry point computes the same thing
        assert_close(fn(pred, target, reduction=reduction, **POINTWISE[name]), want_value, dtype)

    def test_weighted(self, name, shape, dtype, reduction, rng):
        _, fn_vg, ref_vg = _fns(name)
        pred, target = _data(rng, shape, dtype)
        weight = rng.uniform(0, 2, size=shape).astype(dtype)
        value, grad = fn_vg(pred, target, weight=weight, reduction=reduction, **POINTWISE[name])
        want_value, want_grad = ref_vg(pred, target, weight=weight, reduction=reduction,
                                       **POINTWISE[name])
        assert_close(value, want_value, dtype)
        assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_grad_matches_finite_differences(name, reduction, rng):
    fn, fn_vg, _ = _fns(name)
    pred, target = _data(rng, (4, 5), np.float64)
    weight = rng.uniform(0.5, 2, size=(4, 5))
    go = rng.normal(size=(4, 5)) if reduction == "none" else 1.7
    _, grad = fn_vg(pred, target, weight=weight, reduction=reduction, grad_output=go,
                    **POINTWISE[name])
    check_grad(lambda p: fn(p, target, weight=weight, reduction=reduction, **POINTWISE[name]),
               grad, pred, weights=go if reduction == "none" else np.float64(go))


def test_pointwise_formulas_by_hand():
    pred, target = np.array([0.5, -3.0, 1.0, 2.0]), np.array([0.0, 0.0, 1.0, 0.0])
    e = pred - target
    assert fastloss.sse(pred, target) == pytest.approx((e ** 2).sum())
    assert fastloss.mse(pred, target) == pytest.approx((e ** 2).mean())
    assert fastloss.mae(pred, target) == pytest.approx(np.abs(e).mean())
    # Huber with delta = 1: 0.125, 2.5, 0, 1.5
    assert fastloss.huber_loss(pred, target, reduction="sum") == pytest.approx(4.125)
    # smooth L1 with beta = 2: 0.0625, 2.0, 0, 1.0
    assert fastloss.smooth_l1_loss(pred, target, beta=2.0, reduction="sum") == pytest.approx(3.0625)


def test_identities(rng):
    pred, target = _data(rng, (1000,), np.float64)
    for d in (0.1, 1.0, 3.0):
        huber = fastloss.huber_loss(pred, target, delta=d, reduction="none")
        smooth = fastloss.smooth_l1_loss(pred, target, beta=d, reduction="none")
        np.testing.assert_allclose(huber, d * smooth, rtol=1e-14)
    np.testing.assert_array_equal(fastloss.smooth_l1_loss(pred, target, beta=0.0, reduction="none"),
                                  fastloss.mae(pred, target, reduction="none"))
    assert fastloss.mse(pred, target, reduction="sum") == fastloss.sse(pred, target)
    # far from the origin Huber is linear, near it quadratic
    assert fastloss.huber_loss([100.0], [0.0], delta=1.0) == pytest.approx(99.5)
    assert fastloss.huber_loss([1e-3], [0.0], delta=1.0) == pytest.approx(5e-7)


def test_gradient_at_zero_residual_is_zero():
    x = np.zeros(5)
    for name, options in POINTWISE.items():
        _, grad = getattr(fastloss, name + "_value_and_grad")(x, x, **options)
        np.testing.assert_array_equal(grad, 0.0)


class TestRSE:
    def test_matches_definition(self, dtype, rng):
        pred, target = _data(rng, (50_001,), dtype)
        e = pred.astype(np.float64) - target.astype(np.float64)
        want = np.sqrt((e ** 2).sum() / (e.size - 2))
        value, grad = fastloss.rse_value_and_grad(pred, target)
        assert np.asarray(value).dtype == dtype
        assert_close(value, want, dtype)
        assert_close(grad, ref.rse_value_and_grad(pred, target)[1], dtype)

    def test_weighted_grad_matches_finite_differences(self, rng):
        pred, target = _data(rng, (9,), np.float64)
        weight = rng.uniform(0.5, 2, size=9)
        value, grad = fastloss.rse_value_and_grad(pred, target, weight=weight, grad_output=2.5)
        assert value == pytest.approx(ref.rse(pred, target, weight=weight), rel=1e-13)
        check_grad(lambda p: 2.5 * fastloss.rse(p, target, weight=weight), grad, pred)

    def test_zero_residual_gives_zero_grad(self):
        value, grad = fastloss.rse_value_and_grad(np.ones(4), np.ones(4))
        assert value == 0.0
        np.testing.assert_array_equal(grad, 0.0)

    @pytest.mark.parametrize("n", [0, 1, 2])
    def test_needs_three_elements(self, n):
        with pytest.raises(ValueError, match="more than 2 elements"):
            fastloss.rse(np.zeros(n), np.zeros(n))


class TestInputs:
    def test_dtype_policy(self):
        assert fastloss.mse(np.ones(3, np.float16), np.zeros(3, np.float16)).dtype == np.float32
        assert fastloss.mse(np.ones(3, np.int32), np.zeros(3, np.int64)).dtype == np.float64
        assert fastloss.mse(np.ones(3, bool), np.zeros(3, bool)).dtype == np.float64
        # the differentiable input decides: targets and weights adopt its dtype
        assert fastloss.mse(np.ones(3, np.float32), np.zeros(3, np.int64)).dtype == np.float32
        assert fastloss.mse(np.ones(3, np.float32), np.zeros(3, np.float64)).dtype == np.float32
        assert fastloss.mse(np.ones(3, np.float64), np.zeros(3, np.float32)).dtype == np.float64
        _, grad = fastloss.mse_value_and_grad(np.ones(3, np.float32), [0.5, 0, 0],
                                              weight=[1.0, 2.0, 3.0])
        assert grad.dtype == np.float32

    def test_non_contiguous_and_lists(self, rng):
        pred, target = _data(rng, (6, 8), np.float64)
        want = fastloss.huber_loss(pred.T.copy(), target.T.copy(), reduction="none")
        got = fastloss.huber_loss(np.asfortranarray(pred).T, target.T, reduction="none")
        np.testing.assert_array_equal(got, want)
        sliced = fastloss.mse(pred[:, ::2], target[:, ::2])
        assert sliced == fastloss.mse(pred[:, ::2].copy(), target[:, ::2].copy())
        assert fastloss.mse(pred.tolist(), target.tolist()) == fastloss.mse(pred, target)

    def test_scalar_inputs(self):
        value, grad = fastloss.mse_value_and_grad(3.0, 1.0)
        assert value == 4.0
        assert grad.shape == ()
        assert grad == 4.0

    def test_broadcast_weight(self, rng):
        pred, target = _data(rng, (4, 3), np.float64)
        w = np.array([1.0, 2.0, 0.5])
        np.testing.assert_allclose(fastloss.mse(pred, target, weight=w, reduction="none"),
                                   w * (pred - target) ** 2, rtol=1e-15)

    def test_grad_output_array_scales_none(self, rng):
        pred, target = _data(rng, (5,), np.float64)
        go = rng.normal(size=5)
        _, grad = fastloss.mse_value_and_grad(pred, target, reduction="none", grad_output=go)
        np.testing.assert_allclose(grad, go * 2 * (pred - target), rtol=1e-15)

    def test_private_core_rejects_wrong_layout(self):
        from fastloss import _core

        f = np.asfortranarray(np.ones((3, 4)))
        with pytest.raises(TypeError):
            _core.pointwise_regression(f, f, None, "squared", 0.0, "mean", False, 1.0, None, 1)
        with pytest.raises(TypeError):  # no silent float64 -> float32 narrowing
            _core.pointwise_regression(np.ones(3), np.ones(3, np.float32), None, "squared", 0.0,
                                       "mean", False, 1.0, None, 1)


class TestErrors:
    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match=r"target: expected the shape of pred \(3,\), got \(4,\)"):
            fastloss.mse(np.ones(3), np.ones(4))

    def test_empty(self):
        with pytest.raises(ValueError, match="pred: expected a non-empty array"):
            fastloss.mse(np.ones(0), np.ones(0))

    def test_negative_weight(self):
        with pytest.raises(ValueError, match="weight: expected non-negative"):
            fastloss.mse(np.ones(3), np.ones(3), weight=[1, -1, 1])

    def test_weight_shape(self):
        with pytest.raises(ValueError, match="weight: expected a shape broadcastable to"):
            fastloss.mse(np.ones(3), np.ones(3), weight=np.ones(2))

    def test_non_numeric(self):
        with pytest.raises(TypeError, match="pred: expected a real numeric array"):
            fastloss.mse(np.array(["a", "b"]), np.ones(2))
        with pytest.raises(TypeError, match="target: expected a real numeric array"):
            fastloss.mse(np.ones(2), np.ones(2, dtype=complex))

    def test_reduction(self):
        with pytest.raises(ValueError, match="reduction: expected one of 'none', 'mean', 'sum', got 'avg'"):
            fastloss.mae(np.ones(3), np.ones(3), reduction="avg")

    def test_thresholds(self):
        with pytest.raises(ValueError, match="delta: expected a number in"):
            fastloss.huber_loss(np.ones(3), np.ones(3), delta=0.0)
        with pytest.raises(ValueError, match="beta: expected a number in"):
            fastloss.smooth_l1_loss(np.ones(3), np.ones(3), beta=-1.0)
        with pytest.raises(TypeError, match="delta: expected a real number"):
            fastloss.huber_loss(np.ones(3), np.ones(3), delta="1")

    def test_grad_output_array_needs_none(self):
        with pytest.raises(ValueError, match="grad_output: an array needs reduction='none'"):
            fastloss.mse_value_and_grad(np.ones(3), np.ones(3), grad_output=np.ones(3))


def test_nan_propagates():
    value, grad = fastloss.mse_value_and_grad([1.0, np.nan, 2.0], [0.0, 0.0, 0.0])
    assert np.isnan(value)
    assert np.isnan(grad[1])
    assert np.isfinite(grad[[0, 2]]).all()
