"""Labelled-batch metric losses (batch_triplet_loss, batch_contrastive_loss,
batch_angular_loss): the reference, finite differences, identities, degenerate batches, peers
(PyTorch, pytorch-metric-learning), threads and errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, check_grad

MININGS = ["all", "hard", "semihard"]
DISTANCES = ["euclidean", "squared", "cosine"]
SIZES = [2, 9, 37]  # odd sizes; random labels leave some classes with one member


def _batch(b, dtype, rng, d=5, classes=4):
    x = rng.normal(size=(b, d)).astype(dtype)
    y = rng.integers(0, classes, size=b) * 7 - 3  # any integers, not 0..C-1
    return x, y


def _margin(distance):
    return {"euclidean": 1.0, "squared": 3.0, "cosine": 0.3}[distance]


# ---- the reference ---------------------------------------------------------------------------

@pytest.mark.parametrize("b", SIZES)
@pytest.mark.parametrize("mining", MININGS)
@pytest.mark.parametrize("distance", DISTANCES)
def test_batch_triplet_matches_reference(b, mining, distance, dtype, rng):
    x, y = _batch(b, dtype, rng)
    kw = dict(mining=mining, distance=distance, margin=_margin(distance))
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, **kw)
    want, wgrad = ref.batch_triplet_loss_value_and_grad(x, y, **kw)
    assert value.dtype == grad.dtype == dtype
    assert grad.shape == x.shape
    assert_close(value, want, dtype)
    assert_close(grad, wgrad, dtype)
    assert_close(fastloss.batch_triplet_loss(x, y, **kw), want, dtype)


@pytest.mark.parametrize("distance", DISTANCES)
def test_batch_all_average_over_all_triplets(distance, dtype, rng):
    x, y = _batch(23, dtype, rng)
    kw = dict(mining="all", distance=distance, margin=_margin(distance), average="all")
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, **kw)
    want, wgrad = ref.batch_triplet_loss_value_and_grad(x, y, **kw)
    assert_close(value, want, dtype)
    assert_close(grad, wgrad, dtype)
    nonzero = fastloss.batch_triplet_loss(x, y, mining="all", distance=distance,
                                          margin=_margin(distance))
    assert value < nonzero  # some triplets are inactive: a larger denominator


@pytest.mark.parametrize("b", SIZES)
@pytest.mark.parametrize("distance", DISTANCES)
@pytest.mark.parametrize("hinge", ["squared", "linear"])
@pytest.mark.parametrize("average", ["all", "nonzero", "nonzero_split"])
def test_batch_contrastive_matches_reference(b, distance, hinge, average, dtype, rng):
    x, y = _batch(b, dtype, rng)
    kw = dict(margin=2 * _margin(distance), pos_margin=0.2, distance=distance, hinge=hinge,
              average=average)
    value, grad = fastloss.batch_contrastive_loss_value_and_grad(x, y, **kw)
    want, wgrad = ref.batch_contrastive_loss_value_and_grad(x, y, **kw)
    assert value.dtype == grad.dtype == dtype
    assert_close(value, want, dtype)
    assert_close(grad, wgrad, dtype)


ANGULAR_FORMS = [dict(form="npair"), dict(form="hinge"), dict(form="hinge", average="all")]


@pytest.mark.parametrize("b", SIZES)
@pytest.mark.parametrize("alpha", [30.0, 45.0])
@pytest.mark.parametrize("form", ANGULAR_FORMS, ids=["npair", "hinge", "hinge-all"])
def test_batch_angular_matches_reference(b, alpha, form, dtype, rng):
    x, y = _batch(b, dtype, rng)
    x *= dtype(0.5)
    value, grad = fastloss.batch_angular_loss_value_and_grad(x, y, alpha=alpha, **form)
    want, wgrad = ref.batch_angular_loss_value_and_grad(x, y, alpha=alpha, **form)
    assert value.dtype == grad.dtype == dtype
    assert_close(value, want, dtype)
    assert_close(grad, wgrad, dtype)


# ---- finite differences ----------------------------------------------------------------------

@pytest.mark.parametrize("mining", MININGS)
@pytest.mark.parametrize("distance", DISTANCES)
def test_batch_triplet_gradient_matches_finite_differences(mining, distance, rng):
    x, y = _batch(12, np.float64, rng, d=3, classes=3)
    kw = dict(mining=mining, distance=distance, margin=_margin(distance))
    _, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, grad_output=1.5, **kw)
    check_grad(lambda z: 1.5 * fastloss.batch_triplet_loss(z, y, **kw), grad, x)


@pytest.mark.parametrize("distance", DISTANCES)
@pytest.mark.parametrize("average", ["all", "nonzero_split"])
def test_batch_contrastive_gradient_matches_finite_differences(distance, average, rng):
    x, y = _batch(10, np.float64, rng, d=3, classes=3)
    kw = dict(margin=2 * _margin(distance), distance=distance, average=average)
    _, grad = fastloss.batch_contrastive_loss_value_and_grad(x, y, **kw)
    check_grad(lambda z: fastloss.batch_contrastive_loss(z, y, **kw), grad, x)


@pytest.mark.parametrize("form", ANGULAR_FORMS, ids=["npair", "hinge", "hinge-all"])
def test_batch_angular_gradient_matches_finite_differences(form, rng):
    x, y = _batch(11, np.float64, rng, d=3, classes=3)
    _, grad = fastloss.batch_angular_loss_value_and_grad(x, y, alpha=40.0, **form)
    check_grad(lambda z: fastloss.batch_angular_loss(z, y, alpha=40.0, **form), grad, x)


def test_batch_angular_hinge_equals_the_explicit_form(rng):
    # labels (0, 0, 1): triplets (a, p, n) and (p, a, n), whose hinge is symmetric in a and p
    a, p, n = (v + 0.1 * rng.normal(size=4) for v in np.array([[1.0, 0, 0, 0],
                                                              [-1.0, 0, 0, 0],
                                                              [0, 0.5, 0, 0]]))
    explicit = fastloss.angular_loss(a, p, n, alpha=50.0, form="hinge")
    assert explicit > 0
    batch = fastloss.batch_angular_loss(np.stack([a, p, n]), [0, 0, 1], alpha=50.0,
                                        form="hinge")
    np.testing.assert_allclose(batch, explicit, rtol=1e-12)


# ---- identities and by hand ------------------------------------------------------------------

def test_batch_hard_by_hand():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [3.0, 0.0], [3.0, 0.5]])
    per_anchor = [1 - 3 + 4, 1 - np.sqrt(9.25) + 4, 0.5 - 3 + 4, 0.5 - np.sqrt(9.25) + 4]
    value = fastloss.batch_triplet_loss(x, [0, 0, 1, 1], mining="hard", margin=4.0)
    np.testing.assert_allclose(value, np.mean(per_anchor), rtol=1e-15)


def test_semihard_prefers_the_band_and_falls_back_to_the_closest_negative():
    # anchor 0, positive 1 at d = 1; negatives at 0.5 (hard), 1.5 (semi-hard), 3 (easy)
    x = np.array([[0.0], [1.0], [0.5], [1.5], [3.0]])
    y = [0, 0, 1, 2, 3]  # lone negatives: no positive pairs of their own
    # margin 1: anchor 0 takes n = 1.5 (loss 0.5); anchor 1 (d_ap = 1 to 0.0) has the band
    # (1, 2) empty of negatives (distances 0.5, 0.5, 2.0): it falls back to 0.5 (loss 1.5)
    value = fastloss.batch_triplet_loss(x, y, mining="semihard", margin=1.0)
    assert value == pytest.approx((0.5 + 1.5) / 2, rel=1e-15)


@pytest.mark.parametrize("mining", MININGS)
def test_cosine_on_unit_rows_is_half_the_squared_distance(mining, rng):
    # for unit rows ||u - v||^2 = 2 (1 - cos): L_cos(m) = L_sq(2 m) / 2
    x, y = _batch(21, np.float64, rng)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    cos = fastloss.batch_triplet_loss(x, y, mining=mining, distance="cosine", margin=0.2)
    sq = fastloss.batch_triplet_loss(x, y, mining=mining, distance="squared", margin=0.4)
    np.testing.assert_allclose(cos, sq / 2, rtol=1e-12)


def test_cosine_is_scale_invariant(rng):
    x, y = _batch(15, np.float64, rng)
    scales = rng.uniform(0.5, 4.0, size=(15, 1))
    v1, g1 = fastloss.batch_triplet_loss_value_and_grad(x, y, distance="cosine", margin=0.3)
    v2, g2 = fastloss.batch_triplet_loss_value_and_grad(x * scales, y, distance="cosine",
                                                        margin=0.3)
    np.testing.assert_allclose(v2, v1, rtol=1e-12)
    np.testing.assert_allclose(g2 * scales, g1, rtol=1e-9, atol=1e-14)


def test_hard_mining_picks_the_same_pairs_for_euclidean_and_squared(rng):
    # monotone distances: the same positive and negative, so the gradients differ by 2 d
    x, y = _batch(30, np.float64, rng)
    big = 100.0  # every anchor active
    _, ge = fastloss.batch_triplet_loss_value_and_grad(x, y, mining="hard", margin=big)
    assert np.all(np.isfinite(ge))
    assert np.abs(ge).sum() > 0
    e = fastloss.batch_triplet_loss(x, y, mining="hard", margin=big)
    s = fastloss.batch_triplet_loss(x, y, mining="hard", margin=big, distance="squared")
    want_e = ref.batch_triplet_loss(x, y, mining="hard", margin=big)
    want_s = ref.batch_triplet_loss(x, y, mining="hard", margin=big, distance="squared")
    np.testing.assert_allclose([e, s], [want_e, want_s], rtol=1e-13)


def test_contrastive_batch_equals_explicit_pairs(rng):
    x, y = _batch(9, np.float64, rng)
    i, j = np.triu_indices(9, 1)
    kw = dict(margin=2.0, pos_margin=0.3, hinge="linear")
    explicit = fastloss.contrastive_loss(x[i], x[j], (y[i] == y[j]).astype(int), **kw)
    np.testing.assert_allclose(fastloss.batch_contrastive_loss(x, y, **kw), explicit,
                               rtol=1e-13)


# ---- degenerate batches ----------------------------------------------------------------------

@pytest.mark.parametrize("labels", [[5, 5, 5, 5], [0, 1, 2, 3]], ids=["one-class", "distinct"])
@pytest.mark.parametrize("mining", MININGS)
def test_batch_without_a_valid_triplet_gives_zero(labels, mining, rng):
    x = rng.normal(size=(4, 3))
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, labels, mining=mining)
    assert value == 0.0
    assert np.all(grad == 0)


def test_one_element_batches_give_zero(rng):
    x = rng.normal(size=(1, 3)).astype(np.float32)
    for fn in (fastloss.batch_triplet_loss_value_and_grad,
               fastloss.batch_contrastive_loss_value_and_grad,
               fastloss.batch_angular_loss_value_and_grad):
        value, grad = fn(x, [0])
        assert value == 0.0
        assert value.dtype == np.float32
        assert np.all(grad == 0)


@pytest.mark.parametrize("mining", MININGS)
@pytest.mark.parametrize("distance", DISTANCES)
def test_duplicate_points_give_finite_gradients(mining, distance):
    x = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [0.0, 1.0], [0.0, 1.0]])
    y = [0, 0, 1, 1, 0]
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, mining=mining,
                                                             distance=distance)
    want = ref.batch_triplet_loss(x, y, mining=mining, distance=distance)
    np.testing.assert_allclose(value, want, rtol=1e-12)
    assert np.all(np.isfinite(grad))
    if distance != "cosine":
        np.testing.assert_allclose(grad.sum(0), 0.0, atol=1e-12)  # translation invariance


def test_zero_embedding_with_cosine_distance():
    x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, [0, 0, 1], distance="cosine")
    want, wgrad = ref.batch_triplet_loss_value_and_grad(x, [0, 0, 1], distance="cosine")
    np.testing.assert_allclose(value, want, rtol=1e-14)
    np.testing.assert_allclose(grad, wgrad, atol=1e-15)
    assert np.all(grad[0] == 0)  # the zero row's direction is undefined: no gradient


@pytest.mark.parametrize("fn", [fastloss.batch_triplet_loss, fastloss.batch_contrastive_loss,
                                fastloss.batch_angular_loss])
def test_nan_propagates(fn, rng):
    x = rng.normal(size=(6, 3))
    x[2, 1] = np.nan
    assert np.isnan(fn(x, [0, 0, 1, 1, 2, 2]))


# ---- peers -----------------------------------------------------------------------------------

def torch_batch_hard(torch, x, y, margin):
    e = torch.tensor(x, requires_grad=True)
    t = torch.tensor(y)
    d = torch.cdist(e, e)
    same = t[:, None] == t[None, :]
    pos = same & ~torch.eye(len(t), dtype=torch.bool)
    loss = torch.relu(d.masked_fill(~pos, 0).max(1).values
                      - d.masked_fill(same, float("inf")).min(1).values + margin).mean()
    loss.backward()
    return loss.item(), e.grad.numpy()


def test_batch_hard_matches_torch(rng):
    torch = pytest.importorskip("torch")
    x, y = _batch(40, np.float64, rng, d=6, classes=5)
    want, wgrad = torch_batch_hard(torch, x, y, 0.5)
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, mining="hard", margin=0.5)
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(grad, wgrad, rtol=1e-10, atol=1e-14)


def test_batch_angular_matches_torch_autograd(rng):
    torch = pytest.importorskip("torch")
    x, y = _batch(20, np.float64, rng, d=4, classes=3)
    e = torch.tensor(x, requires_grad=True)
    t2 = np.tan(np.radians(40.0)) ** 2
    total, pairs = 0.0, 0
    for a in range(20):
        for p in range(20):
            if a == p or y[a] != y[p]:
                continue
            neg = torch.tensor(y != y[a])
            f = 4 * t2 * (e[neg] @ (e[a] + e[p])) - 2 * (1 + t2) * (e[a] @ e[p])
            total = total + torch.logsumexp(torch.cat([torch.zeros(1, dtype=f.dtype), f]), 0)
            pairs += 1
    loss = total / pairs
    loss.backward()
    value, grad = fastloss.batch_angular_loss_value_and_grad(x, y)
    np.testing.assert_allclose(value, loss.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, e.grad.numpy(), rtol=1e-10, atol=1e-14)


def _pml():
    pytest.importorskip("torch")
    return pytest.importorskip("pytorch_metric_learning.losses")


def test_batch_all_matches_pml_triplet_margin_loss(rng):
    pml = _pml()
    import torch
    from pytorch_metric_learning.distances import LpDistance

    x, y = _batch(30, np.float64, rng, d=4, classes=4)
    e = torch.tensor(x, requires_grad=True)
    loss_fn = pml.TripletMarginLoss(margin=0.7,
                                           distance=LpDistance(normalize_embeddings=False))
    loss = loss_fn(e, torch.tensor(y))
    loss.backward()
    value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, mining="all", margin=0.7)
    np.testing.assert_allclose(value, loss.item(), rtol=1e-10)
    np.testing.assert_allclose(grad, e.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_batch_contrastive_matches_pml_contrastive_loss(rng):
    pml = _pml()
    import torch
    from pytorch_metric_learning.distances import LpDistance

    x, y = _batch(30, np.float64, rng, d=4, classes=4)
    e = torch.tensor(x, requires_grad=True)
    loss_fn = pml.ContrastiveLoss(pos_margin=0.5, neg_margin=2.5,
                                         distance=LpDistance(normalize_embeddings=False))
    loss = loss_fn(e, torch.tensor(y))
    loss.backward()
    value, grad = fastloss.batch_contrastive_loss_value_and_grad(
        x, y, margin=2.5, pos_margin=0.5, hinge="linear", average="nonzero_split")
    np.testing.assert_allclose(value, loss.item(), rtol=1e-10)
    np.testing.assert_allclose(grad, e.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_batch_angular_value_matches_pml_on_unit_rows(rng):
    # PML normalises anchors and positives (its gradient goes through that normalisation,
    # ours does not: on unit rows only the values agree)
    pml = _pml()
    import torch

    x, y = _batch(30, np.float64, rng, d=4, classes=4)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    loss = pml.AngularLoss(alpha=40)(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(fastloss.batch_angular_loss(x, y), loss.item(), rtol=1e-6)


# ---- buffers, threads, errors ----------------------------------------------------------------

@pytest.mark.parametrize("mining", MININGS)
def test_grad_out_and_grad_output(mining, rng):
    x, y = _batch(17, np.float32, rng)
    buf = np.empty_like(x)
    _value, grad = fastloss.batch_triplet_loss_value_and_grad(x, y, mining=mining, grad_out=buf,
                                                             grad_output=2.0)
    _, fresh = fastloss.batch_triplet_loss_value_and_grad(x, y, mining=mining)
    assert grad is buf
    np.testing.assert_allclose(buf, 2 * fresh, rtol=1e-6, atol=1e-7)


def test_results_identical_for_1_2_4_threads(dtype, rng):
    x, y = _batch(301, dtype, rng, d=8, classes=7)  # 301^2 pairs: several threads
    calls = [lambda t, m=m: fastloss.batch_triplet_loss_value_and_grad(x, y, mining=m,
                                                                      num_threads=t)
             for m in MININGS]
    calls += [lambda t: fastloss.batch_contrastive_loss_value_and_grad(x, y, num_threads=t),
              lambda t: fastloss.batch_angular_loss_value_and_grad(x * dtype(0.3), y,
                                                                   num_threads=t),
              lambda t: fastloss.batch_angular_loss_value_and_grad(x, y, form="hinge",
                                                                   num_threads=t)]
    for call in calls:
        results = [call(t) for t in (1, 2, 4)]
        for value, grad in results[1:]:
            np.testing.assert_array_equal(value, results[0][0])
            np.testing.assert_array_equal(grad, results[0][1])


class TestErrors:
    x = np.zeros((4, 3))

    def test_shapes_and_labels(self):
        with pytest.raises(ValueError, match=r"embeddings: expected a non-empty \(B, D\)"):
            fastloss.batch_triplet_loss(np.zeros(4), [0, 0, 1, 1])
        with pytest.raises(ValueError, match=r"labels: expected shape \(4,\)"):
            fastloss.batch_contrastive_loss(self.x, [0, 1])
        with pytest.raises(TypeError, match="labels: expected integer class labels"):
            fastloss.batch_angular_loss(self.x, [0.5, 1, 1, 0])

    def test_options(self):
        with pytest.raises(ValueError, match=r"mining: expected one of \('all', 'hard', 'semihard'\)"):
            fastloss.batch_triplet_loss(self.x, [0, 0, 1, 1], mining="easy")
        with pytest.raises(ValueError, match="distance: expected one of"):
            fastloss.batch_triplet_loss(self.x, [0, 0, 1, 1], distance="l1")
        with pytest.raises(ValueError, match=r"average: expected one of \('nonzero', 'all'\)"):
            fastloss.batch_triplet_loss(self.x, [0, 0, 1, 1], average="some")
        with pytest.raises(ValueError, match=r"average: expected one of \('all', 'nonzero', 'nonzero_split'\)"):
            fastloss.batch_contrastive_loss(self.x, [0, 0, 1, 1], average="pml")
        with pytest.raises(ValueError, match=r"alpha: expected an angle in degrees"):
            fastloss.batch_angular_loss(self.x, [0, 0, 1, 1], alpha=0.0)
        with pytest.raises(ValueError, match=r"form: expected one of \('npair', 'hinge'\)"):
            fastloss.batch_angular_loss(self.x, [0, 0, 1, 1], form="triplet")
        with pytest.raises(ValueError, match="grad_output: expected a scalar"):
            fastloss.batch_triplet_loss_value_and_grad(self.x, [0, 0, 1, 1],
                                                       grad_output=np.ones(4))
        with pytest.raises(TypeError, match="grad_out: expected dtype float64"):
            fastloss.batch_triplet_loss_value_and_grad(self.x, [0, 0, 1, 1],
                                                       grad_out=np.zeros((4, 3), np.float32))


@pytest.mark.parametrize("seed", range(5))
def test_npair_angular_on_unnormalised_float32_embeddings(seed):
    # a positive's exponent overflowed float32, and 0 * inf gave NaN for most seeds
    x = np.random.default_rng(seed).standard_normal((64, 128)).astype(np.float32)
    y = np.random.default_rng(seed).integers(0, 10, 64)
    value, grad = fastloss.batch_angular_loss_value_and_grad(x, y)
    want, wgrad = ref.batch_angular_loss_value_and_grad(x, y)
    assert np.isfinite(value)
    assert np.isfinite(grad).all()
    assert_close(value, want, np.float32)
    assert_close(grad, wgrad, np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_npair_angular_single_class_batch_is_zero(dtype):
    x = np.random.default_rng(1).standard_normal((16, 8)).astype(dtype)
    value, grad = fastloss.batch_angular_loss_value_and_grad(x, np.zeros(16, int))
    assert value == 0.0
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("mining", ["all", "hard", "semihard"])
@pytest.mark.parametrize("row", [0, 3])
def test_nan_embedding_reaches_every_mining(mining, row, rng):
    # a NaN distance wins the hardest-pair search (NumPy's and PyTorch's argmax/argmin), so
    # the NaN reaches the loss instead of being skipped by the comparisons
    x = rng.normal(size=(6, 4))
    x[row, 1] = np.nan
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert np.isnan(fastloss.batch_triplet_loss(x, labels, mining=mining))
    assert np.isnan(fastloss.reference.batch_triplet_loss(x, labels, mining=mining))
