"""Finite inputs near the ends of float32's range, and -inf logits, give the float64 answer.

Each case was NaN before (inf * 0, inf - inf in an intermediate rounded to float32). The float64
call on the same values is the expected result: there nothing overflows.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
import fastloss.reference as ref

BIG = np.float32(3e38)  # FLT_MAX is 3.4e38


def _same_as_float64(name, args32, *, rtol=1e-5):
    fn = getattr(fastloss, name + "_value_and_grad")
    value, grad = fn(*args32)
    value64, grad64 = fn(*(a.astype(np.float64) if a.dtype == np.float32 else a for a in args32))
    assert value.dtype == np.float32
    assert grad.dtype == np.float32
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(value, np.float32(value64), rtol=rtol)
    np.testing.assert_allclose(grad, grad64, rtol=rtol, atol=rtol * np.abs(grad64).max())


def test_sigmoid_focal_at_the_largest_logits():
    logits = np.array([BIG, -BIG, BIG, -BIG, 1e30, 2.0], np.float32)
    targets = np.array([0.0, 1.0, 0.3, 0.3, 0.0, 1.0], np.float32)
    _same_as_float64("sigmoid_focal_loss", (logits, targets))


def test_policy_gradient_at_the_largest_logits():
    logits = np.array([[BIG, -BIG, 0.0], [-BIG, BIG, 1.0], [1.0, 2.0, 3.0]], np.float32)
    actions = np.array([0, 1, 2])
    fn = fastloss.policy_gradient_loss_value_and_grad
    for coef in (0.0, 0.01):
        value, grad = fn(logits, actions, np.ones(3, np.float32), entropy_coef=coef)
        assert np.isfinite(value)
        assert np.isfinite(grad).all()
        # rows 0 and 1 are certain of the action taken: no loss, no gradient
        np.testing.assert_array_equal(grad[:2], 0.0)
        _, want = fn(logits[2:], actions[2:], np.ones(1, np.float32), entropy_coef=coef)
        np.testing.assert_allclose(grad[2], want[0] / 3, rtol=1e-6)


@pytest.mark.parametrize("coef", [0.0, 0.05])
def test_policy_gradient_with_masked_actions(coef, rng):
    # invalid actions masked with -inf logits, as RL code does: the loss and gradient are those
    # of the valid actions alone (it was NaN: 0 * -inf in the entropy)
    logits = rng.normal(size=(5, 6))
    masked = logits.copy()
    masked[:, 4:] = -np.inf
    actions = rng.integers(0, 4, 5)
    adv = rng.normal(size=5)
    value, grad = fastloss.policy_gradient_loss_value_and_grad(masked, actions, adv,
                                                               entropy_coef=coef)
    want, want_grad = ref.policy_gradient_loss_value_and_grad(logits[:, :4], actions, adv,
                                                              entropy_coef=coef)
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(grad[:, :4], want_grad, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(grad[:, 4:], 0.0)


def test_rse_of_huge_residuals():
    # the squares pass FLT_MAX but the RSE itself is a float32 number
    pred = np.array([3e38, 1.0, 2.0, -1e20], np.float32)
    target = np.array([1e38, 1.0, 2.5, 1e20], np.float32)
    _same_as_float64("rse", (pred, target))


@pytest.mark.parametrize("name", ["batch_triplet_loss", "batch_contrastive_loss",
                                  "batch_angular_loss"])
@pytest.mark.parametrize("scale", [1e18, 1e30, 5e37])
def test_batch_metric_losses_of_huge_embeddings(name, scale, rng):
    # the float32 Gram matrix overflowed: distances inf - inf = NaN, value and gradient
    x = (rng.normal(size=(8, 5)) * scale).astype(np.float32)
    labels = np.repeat(np.arange(4), 2)
    fn = getattr(fastloss, name + "_value_and_grad")
    with np.errstate(over="ignore"):  # a loss past FLT_MAX is inf in float32, as NumPy warns
        value, grad = fn(x, labels)
        value64, grad64 = fn(x.astype(np.float64), labels)
        np.testing.assert_allclose(value, np.float32(value64), rtol=1e-5)
        buffer = np.empty_like(x)
        assert fn(x, labels, grad_out=buffer)[1] is buffer
    assert not np.isnan(value)
    assert grad.dtype == np.float32
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, grad64, rtol=1e-4, atol=1e-5 * np.abs(grad64).max())
    np.testing.assert_array_equal(buffer, grad)
