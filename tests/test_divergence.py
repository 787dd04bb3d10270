"""KL divergence and distillation KL: reference, finite differences, conventions."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, check_grad

KL_SHAPES = [(1, 2), (7, 3), (5,), (3, 4, 5), (800, 60)]
KL_REDUCTIONS = ["none", "mean", "batchmean", "sum"]


def distributions(rng, shape, zeros=False):
    p = rng.random(shape) + 0.05
    if zeros:
        p = np.where(rng.random(shape) < 0.2, 0.0, p)
    return p / p.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("shape", KL_SHAPES)
@pytest.mark.parametrize("log_input", [False, True])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
def test_kl_matches_reference(shape, log_input, log_target, reduction, dtype, rng):
    q = distributions(rng, shape)
    p = distributions(rng, shape, zeros=True)
    with np.errstate(divide="ignore"):
        x = (np.log(q) if log_input else q).astype(dtype)
        t = (np.log(p) if log_target else p).astype(dtype)
    kwargs = dict(log_input=log_input, log_target=log_target, reduction=reduction)
    value, grad = fastloss.kl_divergence_value_and_grad(x, t, **kwargs)
    want_value, want_grad = ref.kl_divergence_value_and_grad(x, t, **kwargs)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)
    assert_close(fastloss.kl_divergence(x, t, **kwargs), want_value, dtype)


@pytest.mark.parametrize("log_input", [False, True])
def test_kl_grad_matches_finite_differences(log_input, rng):
    q, p = distributions(rng, (3, 4)), distributions(rng, (3, 4))
    x = np.log(q) if log_input else q
    _, grad = fastloss.kl_divergence_value_and_grad(x, p, log_input=log_input, reduction="batchmean")
    check_grad(lambda z: fastloss.kl_divergence(z, p, log_input=log_input, reduction="batchmean"),
               grad, x)


def test_kl_conventions(rng):
    q, p = distributions(rng, (4, 6)), distributions(rng, (4, 6))
    full = (p * np.log(p / q)).sum()
    assert fastloss.kl_divergence(q, p, reduction="sum") == pytest.approx(full, rel=1e-12)
    assert fastloss.kl_divergence(q, p, reduction="batchmean") == pytest.approx(full / 4, rel=1e-12)
    assert fastloss.kl_divergence(q, p) == pytest.approx(full / 24, rel=1e-12)
    assert fastloss.kl_divergence(p, p, reduction="sum") == pytest.approx(0.0, abs=1e-15)
    # 0 log 0 = 0, even where q = 0; p > 0 with q = 0 is infinite
    value, grad = fastloss.kl_divergence_value_and_grad([0.0, 1.0], [0.0, 1.0], reduction="none")
    np.testing.assert_array_equal(value, [0.0, 0.0])
    np.testing.assert_array_equal(grad, [0.0, -1.0])
    assert fastloss.kl_divergence([0.0, 1.0], [0.5, 0.5], reduction="sum") == np.inf


def test_kl_nan_propagates():
    value = fastloss.kl_divergence([0.5, np.nan], [0.5, 0.5], reduction="sum")
    assert np.isnan(value)


@pytest.mark.parametrize("shape", [(1, 2), (5,), (9, 4), (3, 4, 5), (700, 50)])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_distillation_matches_reference(shape, temperature, reduction, dtype, rng):
    s = (3 * rng.normal(size=shape)).astype(dtype)
    t = (3 * rng.normal(size=shape)).astype(dtype)
    kwargs = dict(temperature=temperature, reduction=reduction)
    value, grad = fastloss.distillation_kl_value_and_grad(s, t, **kwargs)
    want_value, want_grad = ref.distillation_kl_value_and_grad(s, t, **kwargs)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)


def test_distillation_is_scaled_kl_of_softmaxes(rng):
    s, t, temp = rng.normal(size=(6, 5)), rng.normal(size=(6, 5)), 3.0

    def softmax(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    want = temp ** 2 * fastloss.kl_divergence(softmax(s / temp), softmax(t / temp), reduction="batchmean")
    assert fastloss.distillation_kl(s, t, temperature=temp) == pytest.approx(want, rel=1e-12)
    assert fastloss.distillation_kl(s, s, temperature=temp) == pytest.approx(0.0, abs=1e-14)
    assert fastloss.distillation_kl(s, t, reduction="batchmean") == fastloss.distillation_kl(s, t)


def test_distillation_grad_matches_finite_differences(rng):
    s, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    go = rng.normal(size=3)
    _, grad = fastloss.distillation_kl_value_and_grad(s, t, temperature=2.0, reduction="none",
                                                      grad_output=go)
    check_grad(lambda z: fastloss.distillation_kl(z, t, temperature=2.0, reduction="none"),
               grad, s, weights=go)


def test_distillation_extreme_logits_finite(dtype):
    s = np.array([[1e4, -1e4, 0.0]], dtype)
    t = np.array([[-1e4, 1e4, 0.0]], dtype)
    value, grad = fastloss.distillation_kl_value_and_grad(s, t)
    assert np.isfinite(value)
    assert np.isfinite(grad).all()
    assert value == pytest.approx(2e4, rel=1e-6)


@pytest.mark.parametrize("temperature", [1e4, 1e8, 1e12, 1e30])
def test_distillation_keeps_its_precision_at_large_temperature(temperature, dtype, rng):
    # As T grows, T^2 KL tends to half the variance of t - s over the classes, and the
    # gradient T (q - p) to ((s - mean s) - (t - mean t)) / C, with corrections O(spread / T).
    # The usual form lost every digit here (T = 1e8 gave 0).
    s = rng.normal(size=(4, 7)).astype(dtype)
    t = rng.normal(size=(4, 7)).astype(dtype)
    value, grad = fastloss.distillation_kl_value_and_grad(s, t, temperature=temperature,
                                                          reduction="none")
    gap = t.astype(np.float64) - s.astype(np.float64)
    limit = 0.5 * gap.var(axis=1)
    limit_grad = -(gap - gap.mean(axis=1, keepdims=True)) / gap.shape[1]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(value, limit, rtol=tol + 50 / temperature)
    scale = np.abs(limit_grad).max()
    np.testing.assert_allclose(grad, limit_grad, rtol=0, atol=(tol + 50 / temperature) * scale)


def test_distillation_near_agreement_matches_high_precision(dtype, rng):
    # student and teacher close: KL ~ 1e-12 of terms ~ 1e-6 that cancel in the usual form
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    s = rng.normal(size=(3, 5))
    t = s + 1e-6 * rng.normal(size=(3, 5))
    s, t = s.astype(dtype), t.astype(dtype)
    value, grad = fastloss.distillation_kl_value_and_grad(s, t, temperature=2.0,
                                                          reduction="none")
    for i in range(3):
        za = [mpmath.mpf(float(v)) / 2 for v in s[i]]
        zb = [mpmath.mpf(float(v)) / 2 for v in t[i]]
        lse_a = mpmath.log(sum(mpmath.exp(z) for z in za))
        lse_b = mpmath.log(sum(mpmath.exp(z) for z in zb))
        p = [mpmath.exp(z - lse_b) for z in zb]
        q = [mpmath.exp(z - lse_a) for z in za]
        want = 4 * sum(pj * ((b - lse_b) - (a - lse_a)) for pj, a, b in zip(p, za, zb))
        want_grad = [2 * (qj - pj) for qj, pj in zip(q, p)]
        assert value[i] == pytest.approx(float(want), rel=1e-5 if dtype == np.float32 else 1e-9)
        np.testing.assert_allclose(grad[i], [float(g) for g in want_grad],
                                   rtol=1e-4 if dtype == np.float32 else 1e-8)


@pytest.mark.parametrize("temperature", [0.0, 1e-9, 1e31, 1e300, np.inf])
def test_distillation_temperature_outside_its_range_is_refused(temperature):
    with pytest.raises(ValueError, match=r"^temperature: expected a number in \[1e-08, 1e\+30\]"):
        fastloss.distillation_kl(np.ones((2, 3)), np.zeros((2, 3)), temperature=temperature)


class TestErrors:
    def test_kl_shapes(self):
        with pytest.raises(ValueError, match="target: expected the shape of input"):
            fastloss.kl_divergence(np.ones(3), np.ones(4))

    def test_kl_reduction(self):
        with pytest.raises(ValueError, match="reduction: expected one of"):
            fastloss.kl_divergence(np.ones(3), np.ones(3), reduction="batch")

    def test_temperature(self):
        with pytest.raises(ValueError, match="temperature: expected a number in"):
            fastloss.distillation_kl(np.ones((2, 3)), np.ones((2, 3)), temperature=0.0)

    def test_distillation_shapes(self):
        with pytest.raises(ValueError, match="teacher_logits: expected the shape of student_logits"):
            fastloss.distillation_kl(np.ones((2, 3)), np.ones((2, 4)))
