"""Contrastive and angular losses on explicit pairs and triplets: the reference, PyTorch,
finite differences, identities, threads and errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, check_grad

SHAPES = [(5,), (1, 3), (7, 16), (513, 80)]  # the last runs on several threads


def _pairs(shape, dtype, rng):
    x1 = rng.normal(size=shape).astype(dtype)
    x2 = (x1 + rng.normal(scale=0.7, size=shape)).astype(dtype)
    y = rng.integers(0, 2, size=shape[:-1])
    return x1, x2, y


# ---- contrastive -----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", ["euclidean", "squared"])
@pytest.mark.parametrize("hinge", ["squared", "linear"])
def test_contrastive_matches_reference(shape, distance, hinge, dtype, reduction, rng):
    x1, x2, y = _pairs(shape, dtype, rng)
    margin = 3.0 if distance == "euclidean" else 9.0  # half of the pairs inside it
    kw = dict(margin=margin, pos_margin=0.5, distance=distance, hinge=hinge,
              reduction=reduction)
    value, (g1, g2) = fastloss.contrastive_loss_value_and_grad(x1, x2, y, **kw)
    want, (w1, w2) = ref.contrastive_loss_value_and_grad(x1, x2, y, **kw)
    assert g1.dtype == g2.dtype == dtype
    assert g1.shape == shape
    assert_close(value, want, dtype)
    assert_close(g1, w1, dtype)
    assert_close(g2, w2, dtype)
    assert_close(fastloss.contrastive_loss(x1, x2, y, **kw), want, dtype)


def test_contrastive_by_hand():
    # Hadsell: 1/2 [y d^2 + (1 - y) max(0, m - d)^2]
    x1, x2 = np.zeros((3, 2)), np.array([[3.0, 4.0], [0.3, 0.4], [3.0, 4.0]])
    per = fastloss.contrastive_loss(x1, x2, [1, 0, 0], margin=1.0, reduction="none")
    np.testing.assert_allclose(per, [12.5, 0.125, 0.0], rtol=1e-15)
    # linear hinge with a positive margin: max(0, d - 4) and max(0, 6 - d)
    per = fastloss.contrastive_loss(x1, x2, [1, 0, 0], margin=6.0, pos_margin=4.0,
                                    hinge="linear", reduction="none")
    np.testing.assert_allclose(per, [1.0, 5.5, 1.0], rtol=1e-15)
    # squared distance substituted for d: 1/2 (d^2)^2
    assert fastloss.contrastive_loss(x1[0], x2[0], 1, distance="squared") == 312.5


def test_contrastive_identical_pair_has_zero_gradient():
    x = np.ones((2, 3))
    value, (g1, g2) = fastloss.contrastive_loss_value_and_grad(x, x.copy(), [1, 0])
    assert value == 0.25  # similar: 0; dissimilar at d = 0: 1/2 margin^2
    assert np.all(g1 == 0)
    assert np.all(g2 == 0)


@pytest.mark.parametrize("distance", ["euclidean", "squared"])
@pytest.mark.parametrize("hinge", ["squared", "linear"])
def test_contrastive_gradient_matches_finite_differences(distance, hinge, rng):
    x1, x2, y = _pairs((6, 4), np.float64, rng)
    kw = dict(margin=2.5, pos_margin=0.3, distance=distance, hinge=hinge, reduction="none")
    w = rng.random(6)
    _, (g1, g2) = fastloss.contrastive_loss_value_and_grad(x1, x2, y, grad_output=w, **kw)
    check_grad(lambda z: fastloss.contrastive_loss(z, x2, y, **kw), g1, x1, weights=w)
    check_grad(lambda z: fastloss.contrastive_loss(x1, z, y, **kw), g2, x2, weights=w)


def test_contrastive_matches_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    x1, x2, y = _pairs((50, 8), np.float64, rng)
    t1, t2 = (torch.tensor(v, requires_grad=True) for v in (x1, x2))
    d = torch.linalg.vector_norm(t1 - t2, dim=1)
    ty = torch.tensor(y, dtype=torch.float64)
    loss = (0.5 * (ty * d**2 + (1 - ty) * torch.relu(2.0 - d) ** 2)).mean()
    loss.backward()
    value, (g1, g2) = fastloss.contrastive_loss_value_and_grad(x1, x2, y, margin=2.0)
    np.testing.assert_allclose(value, loss.item(), rtol=1e-13)
    np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-12, atol=1e-15)


# ---- angular ---------------------------------------------------------------------------------

def _triplets(shape, dtype, rng, scale=0.4):
    return tuple((scale * rng.normal(size=shape)).astype(dtype) for _ in range(3))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("form", ["npair", "hinge"])
def test_angular_matches_reference(shape, form, dtype, reduction, rng):
    a, p, n = _triplets(shape, dtype, rng)
    kw = dict(alpha=35.0, form=form, reduction=reduction)
    value, grads = fastloss.angular_loss_value_and_grad(a, p, n, **kw)
    want, wants = ref.angular_loss_value_and_grad(a, p, n, **kw)
    assert_close(value, want, dtype)
    for g, w in zip(grads, wants):
        assert g.dtype == dtype
        assert_close(g, w, dtype)


@pytest.mark.parametrize("form", ["npair", "hinge"])
def test_angular_gradient_matches_finite_differences(form, rng):
    a, p, n = _triplets((5, 3), np.float64, rng)
    kw = dict(alpha=50.0, form=form, reduction="sum")
    _, (ga, gp, gn) = fastloss.angular_loss_value_and_grad(a, p, n, **kw)
    check_grad(lambda z: fastloss.angular_loss(z, p, n, **kw), ga, a)
    check_grad(lambda z: fastloss.angular_loss(a, z, n, **kw), gp, p)
    check_grad(lambda z: fastloss.angular_loss(a, p, z, **kw), gn, n)


def test_angular_hinge_is_the_angle_at_the_negative(rng):
    # the hinge is positive exactly when the angle at n of the triangle (a, p, n), measured
    # from the centre c, exceeds alpha: tan(angle) = (||a - p|| / 2) / ||n - c||
    a, p, n = _triplets((200, 3), np.float64, rng, scale=1.0)
    c = (a + p) / 2
    angle = np.degrees(np.arctan(np.linalg.norm(a - p, axis=1) / 2 / np.linalg.norm(n - c, axis=1)))
    per = fastloss.angular_loss(a, p, n, alpha=30.0, form="hinge", reduction="none")
    np.testing.assert_array_equal(per > 0, angle > 30.0)


def test_angular_npair_equals_the_batch_form_on_one_triplet(rng):
    a, p, n = _triplets((4,), np.float64, rng)
    batch = fastloss.batch_angular_loss(np.stack([a, p, n]), [0, 0, 1], alpha=45.0)
    np.testing.assert_allclose(fastloss.angular_loss(a, p, n, alpha=45.0), batch, rtol=1e-14)


def test_angular_extremes_stay_finite():
    big = np.array([[1e4, 0.0]])
    per = fastloss.angular_loss(big, big, big, reduction="none")  # f = +8e8: softplus = f
    value, grads = fastloss.angular_loss_value_and_grad(big, big, -big)  # f = -inf-ish: 0
    assert np.isfinite(per).all()
    assert per[0] > 1e8
    assert value == 0.0
    assert all(np.all(g == 0) for g in grads)


def test_results_identical_for_1_2_4_threads(dtype, rng):
    x1, x2, y = _pairs((3001, 32), dtype, rng)
    a, p, n = _triplets((3001, 32), dtype, rng)
    runs = [
        [fastloss.contrastive_loss_value_and_grad(x1, x2, y, num_threads=t) for t in (1, 2, 4)],
        [fastloss.angular_loss_value_and_grad(a, p, n, num_threads=t) for t in (1, 2, 4)],
    ]
    for results in runs:
        for value, grads in results[1:]:
            np.testing.assert_array_equal(value, results[0][0])
            for g, g0 in zip(grads, results[0][1]):
                np.testing.assert_array_equal(g, g0)


class TestErrors:
    def test_contrastive(self):
        x = np.zeros((3, 2))
        with pytest.raises(ValueError, match=r"y: expected values in \{0, 1\}"):
            fastloss.contrastive_loss(x, x, [1, -1, 0])
        with pytest.raises(ValueError, match="y: expected one label per pair"):
            fastloss.contrastive_loss(x, x, [1, 0])
        with pytest.raises(ValueError, match="distance: expected one of 'euclidean', 'squared'"):
            fastloss.contrastive_loss(x, x, [1, 0, 0], distance="cosine")
        with pytest.raises(ValueError, match="hinge: expected one of"):
            fastloss.contrastive_loss(x, x, [1, 0, 0], hinge="cubic")
        with pytest.raises(ValueError, match="x2: expected the shape of x1"):
            fastloss.contrastive_loss(x, x[:2], [1, 0, 0])

    def test_angular(self):
        x = np.zeros((3, 2))
        with pytest.raises(ValueError, match=r"alpha: expected an angle in degrees in \(0, 90\)"):
            fastloss.angular_loss(x, x, x, alpha=90.0)
        with pytest.raises(ValueError, match="form: expected one of 'npair', 'hinge'"):
            fastloss.angular_loss(x, x, x, form="triplet")
        with pytest.raises(ValueError, match="negative: expected the shape of anchor"):
            fastloss.angular_loss(x, x, x[:1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_inputs_give_nan_losses_like_the_reference(dtype):
    # max(0, NaN) was taken as 0: a NaN input gave a finite loss
    rng = np.random.default_rng(4)
    x1, x2 = rng.normal(size=6).astype(dtype), rng.normal(size=6).astype(dtype)
    x1[2] = np.nan
    y = np.array([1, -1, 1, 1, -1, 1], dtype)
    got = fastloss.margin_ranking_loss_value_and_grad(x1, x2, y, margin=0.5, reduction="none")
    want = ref.margin_ranking_loss_value_and_grad(x1, x2, y, margin=0.5, reduction="none")
    assert np.isnan(got[0][2])
    assert np.isnan(fastloss.margin_ranking_loss(x1, x2, y, margin=0.5))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    a = rng.normal(size=(5, 4)).astype(dtype)
    p, n = a + 0.1, a + 2.0
    a[3, 1] = np.nan
    got = fastloss.triplet_margin_loss_value_and_grad(a, p, n, reduction="none")
    want = ref.triplet_margin_loss_value_and_grad(a, p, n, reduction="none")
    assert np.isnan(got[0][3])
    assert np.isnan(fastloss.triplet_margin_loss(a, p, n))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
