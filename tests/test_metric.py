"""Metric-learning losses on explicit pairs and triplets: the reference, PyTorch, finite
differences, threads and errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import ELEMENTWISE_SHAPES, assert_close, check_grad

# ---- margin ranking --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_matches_reference(shape, margin, dtype, reduction, rng):
    x1, x2 = (rng.normal(size=shape).astype(dtype) for _ in range(2))
    y = rng.choice([-1.0, 1.0], size=shape)
    kw = dict(margin=margin, reduction=reduction)
    value, (g1, g2) = fastloss.margin_ranking_loss_value_and_grad(x1, x2, y, **kw)
    want, (w1, w2) = ref.margin_ranking_loss_value_and_grad(x1, x2, y, **kw)
    assert g1.dtype == g2.dtype == dtype
    assert_close(value, want, dtype)
    assert_close(g1, w1, dtype)
    assert_close(g2, w2, dtype)
    assert_close(fastloss.margin_ranking_loss(x1, x2, y, **kw), want, dtype)


def test_margin_ranking_by_hand():
    # y = 1: x1 should exceed x2 by the margin
    assert fastloss.margin_ranking_loss([3.0], [1.0], [1], margin=1.0) == 0.0
    assert fastloss.margin_ranking_loss([1.0], [1.5], [1], margin=1.0) == 1.5
    assert fastloss.margin_ranking_loss([1.0], [1.5], [-1], margin=1.0) == 0.5
    # y broadcasts
    per = fastloss.margin_ranking_loss(np.zeros((2, 2)), np.ones((2, 2)), [1, -1],
                                       reduction="none")
    np.testing.assert_array_equal(per, [[1.0, 0.0], [1.0, 0.0]])


def test_margin_ranking_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x1, x2 = rng.normal(size=300), rng.normal(size=300)
    y = rng.choice([-1.0, 1.0], size=300)
    t1, t2 = (torch.tensor(v, requires_grad=True) for v in (x1, x2))
    want = torch.nn.functional.margin_ranking_loss(t1, t2, torch.tensor(y), margin=0.2)
    want.backward()
    value, (g1, g2) = fastloss.margin_ranking_loss_value_and_grad(x1, x2, y, margin=0.2)
    np.testing.assert_allclose(value, want.item(), rtol=1e-13)
    np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-13, atol=1e-16)


# ---- triplet margin --------------------------------------------------------------------------

TRIPLET_SHAPES = [(5,), (1, 3), (7, 16), (513, 80)]  # the last runs on several threads


@pytest.mark.parametrize("shape", TRIPLET_SHAPES, ids=str)
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, np.inf])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_matches_reference(shape, p, swap, dtype, rng):
    a, pos, neg = (rng.normal(size=shape).astype(dtype) for _ in range(3))
    for reduction in ("mean", "sum", "none"):
        kw = dict(margin=1.0, p=p, swap=swap, reduction=reduction)
        value, grads = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, **kw)
        want, want_grads = ref.triplet_margin_loss_value_and_grad(a, pos, neg, **kw)
        assert np.shape(value) == np.shape(want)
        assert_close(value, want, dtype)
        for g, w in zip(grads, want_grads):
            assert g.shape == shape
            assert g.dtype == dtype
            assert_close(g, w, dtype)


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, np.inf])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_matches_torch(p, swap, rng):
    torch = pytest.importorskip("torch")
    a, pos, neg = (rng.normal(size=(40, 8)) for _ in range(3))
    ta, tp, tn = (torch.tensor(v, requires_grad=True) for v in (a, pos, neg))
    want = torch.nn.functional.triplet_margin_loss(ta, tp, tn, margin=0.7, p=p, swap=swap)
    want.backward()
    value, grads = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, margin=0.7, p=p,
                                                               swap=swap)
    np.testing.assert_allclose(value, want.item(), rtol=1e-12)
    for g, t in zip(grads, (ta, tp, tn)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_triplet_by_hand():
    a, pos, neg = [0.0, 0.0], [3.0, 4.0], [0.0, 1.0]
    # d(a, p) = 5, d(a, n) = 1: loss 5 - 1 + 1
    assert fastloss.triplet_margin_loss(a, pos, neg, eps=0.0) == 5.0
    assert fastloss.triplet_margin_loss(a, pos, neg, eps=0.0, p=1.0) == 7.0
    # swap: d(p, n) = sqrt(9 + 9) > d(a, n), so nothing changes; with n far from a but near p
    # the swap takes d(p, n)
    far = [3.0, 5.0]
    plain = fastloss.triplet_margin_loss(a, pos, far, eps=0.0, margin=3.0)
    swapped = fastloss.triplet_margin_loss(a, pos, far, eps=0.0, margin=3.0, swap=True)
    np.testing.assert_allclose(plain, 5 - np.sqrt(34) + 3, rtol=1e-15)
    assert swapped == 5 - 1 + 3


def test_triplet_chebyshev_by_hand():
    a, pos, neg = [0.0, 0.0, 0.0], [3.0, -4.0, 1.0], [0.0, 1.0, 0.5]
    # d(a, p) = max(3, 4, 1) = 4 (the sum of squares would give sqrt(26)), d(a, n) = 1
    value, (ga, gp, gn) = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, eps=0.0,
                                                                      p=np.inf)
    assert value == 4.0 - 1.0 + 1.0
    np.testing.assert_array_equal(ga, [0.0, 1.0 + 1.0, 0.0])  # a - p at k=1 is +4; a - n is -1
    np.testing.assert_array_equal(gp, [0.0, -1.0, 0.0])
    np.testing.assert_array_equal(gn, [0.0, -1.0, 0.0])


def test_triplet_chebyshev_ties_share_the_gradient_as_in_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[3.0, -3.0, 1.0], [2.0, 2.0, 2.0]])
    pos, neg = np.zeros((2, 3)), np.full((2, 3), 10.0)
    ta, tp, tn = (torch.tensor(v, requires_grad=True) for v in (a, pos, neg))
    torch.nn.functional.triplet_margin_loss(ta, tp, tn, p=float("inf"), margin=20.0,
                                            eps=0.0).backward()
    _, grads = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, p=np.inf, margin=20.0,
                                                           eps=0.0)
    for g, t in zip(grads, (ta, tp, tn)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=1e-15)
    assert grads[0][0, 0] == 0.5 / 2  # two coordinates tie, the mean halves it again


@pytest.mark.parametrize("p", [1.5, 2.0])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_gradient_matches_finite_differences(p, swap, rng):
    a, pos, neg = (rng.normal(size=(6, 4)) for _ in range(3))
    kw = dict(margin=2.0, p=p, swap=swap)
    _, (ga, gp, gn) = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, **kw)
    check_grad(lambda z: fastloss.triplet_margin_loss(z, pos, neg, **kw), ga, a)
    check_grad(lambda z: fastloss.triplet_margin_loss(a, z, neg, **kw), gp, pos)
    check_grad(lambda z: fastloss.triplet_margin_loss(a, pos, z, **kw), gn, neg)


def test_triplet_grad_output_and_grad_out(rng):
    a, pos, neg = (rng.normal(size=(9, 5)) for _ in range(3))
    g = rng.random(9)
    value, grads = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, reduction="none",
                                                               grad_output=g)
    want_value, want = ref.triplet_margin_loss_value_and_grad(a, pos, neg, reduction="none",
                                                              grad_output=g)
    np.testing.assert_allclose(value, want_value, rtol=1e-13)
    for got, w in zip(grads, want):
        np.testing.assert_allclose(got, w, rtol=1e-12, atol=1e-15)
    bufs = tuple(np.full_like(a, np.nan) for _ in range(3))
    _, out = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, grad_out=bufs)
    _, fresh = fastloss.triplet_margin_loss_value_and_grad(a, pos, neg)
    for buf, o, f in zip(bufs, out, fresh):
        assert o is buf
        np.testing.assert_array_equal(buf, f)


def test_results_identical_for_1_2_4_threads(dtype, rng):
    a, pos, neg = (rng.normal(size=(2001, 64)).astype(dtype) for _ in range(3))
    x1, x2 = (rng.normal(size=100_003).astype(dtype) for _ in range(2))
    y = rng.choice([-1.0, 1.0], size=100_003)
    trip = [fastloss.triplet_margin_loss_value_and_grad(a, pos, neg, swap=True, num_threads=n)
            for n in (1, 2, 4)]
    rank = [fastloss.margin_ranking_loss_value_and_grad(x1, x2, y, margin=0.1, num_threads=n)
            for n in (1, 2, 4)]
    for results in (trip, rank):
        for value, grads in results[1:]:
            np.testing.assert_array_equal(value, results[0][0])
            for g, g0 in zip(grads, results[0][1]):
                np.testing.assert_array_equal(g, g0)


class TestErrors:
    def test_margin_ranking(self):
        with pytest.raises(ValueError, match=r"y: expected values in \{-1, 1\}"):
            fastloss.margin_ranking_loss([1.0, 2.0], [0.0, 0.0], [0, 1])
        with pytest.raises(ValueError, match="x2: expected the shape of x1"):
            fastloss.margin_ranking_loss([1.0, 2.0], [0.0], [1, 1])
        with pytest.raises(ValueError, match="y: expected a shape broadcastable"):
            fastloss.margin_ranking_loss([1.0, 2.0], [0.0, 1.0], [1, 1, 1])
        with pytest.raises(ValueError, match="x1: expected a non-empty array"):
            fastloss.margin_ranking_loss([], [], [])

    def test_triplet(self):
        a = np.zeros((3, 4))
        with pytest.raises(ValueError, match="negative: expected the shape of anchor"):
            fastloss.triplet_margin_loss(a, a, a[:2])
        with pytest.raises(ValueError, match=r"anchor: expected a non-empty \(D,\) or \(N, D\)"):
            fastloss.triplet_margin_loss(a[None], a[None], a[None])
        with pytest.raises(ValueError, match=r"p: expected a number in \[1"):
            fastloss.triplet_margin_loss(a, a, a, p=0.5)
        with pytest.raises(TypeError, match="grad_out: expected a tuple of 3 arrays"):
            fastloss.triplet_margin_loss_value_and_grad(a, a, a, grad_out=np.zeros_like(a))
