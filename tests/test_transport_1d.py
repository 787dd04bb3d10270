"""wasserstein_1d: the closed form against the NumPy reference, the general solver, POT and
SciPy; gradients (samples and masses) against finite differences and the LP duals;
degenerate samples, batches, threads and errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, numerical_grad


def samples(rng, n, m, *, weighted=True, dtype=np.float64):
    u, v = rng.standard_normal(n).astype(dtype), (rng.standard_normal(m) + 0.3).astype(dtype)
    if not weighted:
        return u, v, None, None
    a, b = rng.random(n) + 0.05, rng.random(m) + 0.05
    return u, v, a / a.sum(), b / b.sum()


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 5), (6, 1), (7, 7), (13, 29)])
@pytest.mark.parametrize("p", [1.0, 2.0, 1.5, 3.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_reference(rng, n, m, p, weighted):
    u, v, a, b = samples(rng, n, m, weighted=weighted)
    value, grads = fastloss.wasserstein_1d_value_and_grad(u, v, a, b, p=p)
    rvalue, rgrads = ref.wasserstein_1d_value_and_grad(u, v, a, b, p=p)
    assert_close(value, rvalue, np.float64)
    for g, r in zip(grads, rgrads):
        if r is None:
            assert g is None
        else:
            assert_close(g, r, np.float64, rtol=1e-9, atol=1e-11)


def test_float32(rng):
    u, v, a, b = samples(rng, 500, 300, dtype=np.float32)
    value, (gu, gv, ga, gb) = fastloss.wasserstein_1d_value_and_grad(u, v, a, b)
    for out in (value, gu, gv, ga, gb):
        assert out.dtype == np.float32
    assert_close(value, ref.wasserstein_1d(u, v, a, b), np.float32)


@pytest.mark.parametrize("p", [1.0, 2.0])
def test_equals_the_general_solver(rng, p):
    u, v, a, b = samples(rng, 40, 25)
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, v, a, b, p=p),
                               fastloss.emd(u[:, None], v[:, None], a, b, p=p), rtol=1e-12)
    _, (_, _, ga, gb) = fastloss.wasserstein_1d_value_and_grad(u, v, a, b, p=p)
    _, (_, _, ea, eb) = fastloss.emd_value_and_grad(u[:, None], v[:, None], a, b, p=p)
    np.testing.assert_allclose(ga, ea, atol=1e-12)  # random masses: unique duals
    np.testing.assert_allclose(gb, eb, atol=1e-12)


def test_matches_pot_and_scipy(rng):
    u, v, a, b = samples(rng, 200, 150)
    ot = pytest.importorskip("ot")
    for p in (1, 2):
        np.testing.assert_allclose(fastloss.wasserstein_1d(u, v, a, b, p=p),
                                   ot.wasserstein_1d(u, v, a, b, p=p), rtol=1e-12)
    stats = pytest.importorskip("scipy.stats")
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, v, a, b),
                               stats.wasserstein_distance(u, v, a, b), rtol=1e-12)


def test_dual_certificate_with_ties(rng):
    # uniform masses with n = m: every level ties, the plan is degenerate; the staircase duals
    # must still be feasible (phi_i + psi_j <= cost_ij) and close the duality gap
    u, v = rng.standard_normal(9), rng.standard_normal(9)
    a = np.full(9, 1 / 9)
    for p in (1.0, 2.0):
        value, (_, _, phi, psi) = fastloss.wasserstein_1d_value_and_grad(u, v, a, a, p=p)
        cost = np.abs(u[:, None] - v[None, :]) ** p
        shift = (value - a @ phi - a @ psi) / 2  # the centred duals, moved back to the gap
        assert (cost - (phi + shift)[:, None] - (psi + shift)[None, :]).min() > -1e-12


def test_sample_gradients_match_finite_differences(rng):
    u, v, a, b = samples(rng, 8, 6)
    for p in (1.0, 2.0, 2.5):
        _, (gu, gv, _, _) = fastloss.wasserstein_1d_value_and_grad(u, v, a, b, p=p)
        np.testing.assert_allclose(
            gu, numerical_grad(lambda z, p=p: fastloss.wasserstein_1d(z, v, a, b, p=p), u),
            rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(
            gv, numerical_grad(lambda z, p=p: fastloss.wasserstein_1d(u, z, a, b, p=p), v),
            rtol=1e-6, atol=1e-8)


def test_mass_gradients_match_directional_differences(rng):
    u, v, a, b = samples(rng, 9, 7)
    _, (_, _, ga, _) = fastloss.wasserstein_1d_value_and_grad(u, v, a, b, p=2)
    h = 1e-7
    for _ in range(3):
        d = rng.standard_normal(9)
        d -= d.mean()
        slope = (fastloss.wasserstein_1d(u, v, a + h * d, b, p=2)
                 - fastloss.wasserstein_1d(u, v, a - h * d, b, p=2)) / (2 * h)
        np.testing.assert_allclose(ga @ d, slope, rtol=1e-5, atol=1e-9)


def test_identities(rng):
    u, v, a, b = samples(rng, 30, 20)
    assert fastloss.wasserstein_1d(u, u.copy(), a, a) == 0.0
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, v, a, b),
                               fastloss.wasserstein_1d(v, u, b, a), rtol=1e-13)
    # W_1 of a shift by t of the same sample is |t|; W_2^2 is t^2
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, u + 2.5, a, a), 2.5, rtol=1e-13)
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, u - 0.5, a, a, p=2), 0.25, rtol=1e-12)
    # order of the samples does not matter
    perm = rng.permutation(30)
    np.testing.assert_allclose(fastloss.wasserstein_1d(u[perm], v, a[perm], b),
                               fastloss.wasserstein_1d(u, v, a, b), rtol=1e-14)


def test_duplicates_and_zero_masses(rng):
    u = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 2.0])
    v = np.array([1.0, 1.0, 3.0])
    a = np.array([0.2, 0.0, 0.3, 0.1, 0.0, 0.4])
    b = np.array([0.5, 0.0, 0.5])
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, v, a, b),
                               fastloss.emd(u[:, None], v[:, None], a, b), rtol=1e-13)
    np.testing.assert_allclose(fastloss.wasserstein_1d(u, v, a, b),
                               ref.wasserstein_1d(u, v, a, b), rtol=1e-13)


def test_batch_and_threads(rng, reduction):
    u, v = rng.standard_normal((6, 40)), rng.standard_normal((6, 30))
    b = rng.random(30) + 0.1
    b /= b.sum()
    g = rng.random(6) if reduction == "none" else 1.5
    value, (gu, _, _, gb) = fastloss.wasserstein_1d_value_and_grad(
        u, v, None, b, reduction=reduction, grad_output=g, num_threads=1)
    singles = [fastloss.wasserstein_1d_value_and_grad(u[k], v[k], None, b) for k in range(6)]
    values = np.array([s[0] for s in singles])
    factor = {"none": g, "sum": np.full(6, g), "mean": np.full(6, g / 6)}[reduction]
    expected = {"none": values, "sum": values.sum(), "mean": values.mean()}[reduction]
    np.testing.assert_allclose(value, expected, rtol=1e-13)
    for k in range(6):
        np.testing.assert_allclose(gu[k], factor[k] * singles[k][1][0], rtol=1e-13)
    np.testing.assert_allclose(gb, sum(factor[k] * singles[k][1][3] for k in range(6)),
                               rtol=1e-12, atol=1e-15)
    for threads in (2, 4):
        again = fastloss.wasserstein_1d_value_and_grad(u, v, None, b, reduction=reduction,
                                                       grad_output=g, num_threads=threads)
        np.testing.assert_array_equal(again[0], value)
        np.testing.assert_array_equal(again[1][0], gu)


@pytest.mark.parametrize(("args", "kwargs", "error", "match"), [
    (([[1.0]], [1.0]), {}, ValueError, "v: expected"),
    (([1.0, np.nan], [1.0]), {}, ValueError, "finite"),
    (([], [1.0]), {}, ValueError, "at least one"),
    (([1.0, 2.0], [1.0]), dict(p=0.5), ValueError, "number >= 1"),
    (([1.0, 2.0], [1.0], [0.5, 0.6]), {}, ValueError, "equal totals"),
    (([1.0, 2.0], [1.0], [1.5, -0.5]), {}, ValueError, "non-negative"),
    (([1.0, 2.0], [1.0], [1.0]), {}, ValueError, "u_weights: expected shape"),
    (([1.0, 2.0], [1.0]), dict(reduction="max"), ValueError, "reduction"),
    ((["a"], [1.0]), {}, TypeError, "u"),
])
def test_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fastloss.wasserstein_1d(*args, **kwargs)


@pytest.mark.parametrize("weighted", [False, True])
def test_large_samples_merged_in_pieces(rng, weighted):
    # above 2^17 samples the value alone is merged in pieces of the quantile range
    u, v, a, b = samples(rng, 90_001, 70_003, weighted=weighted)
    values = [fastloss.wasserstein_1d(u, v, a, b, p=1.5, num_threads=t) for t in (1, 2, 4)]
    assert values[0] == values[1] == values[2]
    # (the reference's running sums of 1/n drift by ~1e-11 over 10^5 samples; fastloss keeps
    # uniform levels exact)
    np.testing.assert_allclose(values[0], ref.wasserstein_1d(u, v, a, b, p=1.5), rtol=1e-9)
    with_grad, _ = fastloss.wasserstein_1d_value_and_grad(u, v, a, b, p=1.5)
    np.testing.assert_allclose(values[0], with_grad, rtol=1e-11)
