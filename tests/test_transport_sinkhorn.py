"""sinkhorn: the native log-domain iterations against the NumPy reference and POT's plan,
the limit epsilon -> 0 (the EMD), the debiased divergence, gradients against finite
differences, extremes of epsilon, batches, threads and errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref
from fastloss.transport import _emd

from ._helpers import assert_close, numerical_grad


def problem(rng, n, m, d=2, dtype=np.float64):
    x, y = rng.random((n, d)).astype(dtype), rng.random((m, d)).astype(dtype)
    a, b = rng.random(n) + 0.05, rng.random(m) + 0.05
    return x, y, a / a.sum(), b / b.sum()


@pytest.mark.parametrize("epsilon", [1.0, 0.1, 0.01])
@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("debias", [False, True])
def test_matches_reference(rng, epsilon, p, debias):
    x, y, a, b = problem(rng, 17, 11, 3)
    kw = dict(epsilon=epsilon, p=p, debias=debias, max_iter=100_000, tol=1e-13)
    value, grads = fastloss.sinkhorn_value_and_grad(x, y, a, b, **kw)
    rvalue, rgrads = ref.sinkhorn_value_and_grad(x, y, a, b, **kw)
    assert_close(value, rvalue, np.float64, rtol=1e-10)
    for g, r in zip(grads, rgrads):
        assert_close(g, r, np.float64, rtol=1e-8, atol=1e-10)


def test_float32(rng):
    x, y, a, b = problem(rng, 40, 30, 2, dtype=np.float32)
    value, (gx, _, ga, _) = fastloss.sinkhorn_value_and_grad(x, y, a, b, epsilon=0.05)
    assert value.dtype == np.float32
    assert gx.dtype == np.float32
    assert ga.dtype == np.float32
    assert_close(value, ref.sinkhorn(x, y, a, b, epsilon=0.05), np.float32)


def test_matches_pot_plan(rng):
    ot = pytest.importorskip("ot")
    x, y, a, b = problem(rng, 25, 20, 2)
    C = np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1))
    for eps in (0.5, 0.05):
        plan = ot.sinkhorn(a, b, C, eps, method="sinkhorn_log", stopThr=1e-13,
                           numItermax=100_000)
        # the regularised cost of POT's plan: <T, C> + eps KL(T | a b^T)
        kl = np.sum(plan * np.log(plan / np.outer(a, b))) - plan.sum() + 1.0
        np.testing.assert_allclose(fastloss.sinkhorn(x, y, a, b, epsilon=eps),
                                   (plan * C).sum() + eps * kl, rtol=1e-9)


def test_tends_to_the_emd(rng):
    x, y, a, b = problem(rng, 12, 9, 2)
    exact = fastloss.emd(x, y, a, b)
    gaps = [fastloss.sinkhorn(x, y, a, b, epsilon=eps, max_iter=100_000) - exact
            for eps in (0.1, 0.01, 0.001)]
    assert gaps[0] > gaps[1] > gaps[2] > -1e-9
    assert gaps[2] < 0.01 * exact


def test_divergence_properties(rng):
    x, y, a, b = problem(rng, 15, 15, 2)
    assert fastloss.sinkhorn(x, x, a, a, epsilon=0.1, debias=True) == 0.0
    assert fastloss.sinkhorn(x, y, a, b, epsilon=0.1, debias=True) > 0.0
    np.testing.assert_allclose(fastloss.sinkhorn(x, y, a, b, epsilon=0.1, debias=True),
                               fastloss.sinkhorn(y, x, b, a, epsilon=0.1, debias=True),
                               rtol=1e-9)
    # identical clouds: a zero gradient for the divergence, not for the biased cost
    _, (gx, gy, _, _) = fastloss.sinkhorn_value_and_grad(x, x.copy(), a, a, epsilon=0.1,
                                                         debias=True)
    np.testing.assert_allclose(gx, 0.0, atol=1e-12)
    np.testing.assert_allclose(gy, 0.0, atol=1e-12)


@pytest.mark.parametrize("debias", [False, True])
def test_gradients_match_finite_differences(rng, debias):
    x, y, a, b = problem(rng, 6, 5, 2)
    kw = dict(epsilon=0.2, debias=debias, tol=1e-14, max_iter=100_000)
    _, (gx, gy, ga, _) = fastloss.sinkhorn_value_and_grad(x, y, a, b, **kw)
    np.testing.assert_allclose(
        gx, numerical_grad(lambda z: fastloss.sinkhorn(z, y, a, b, **kw), x), rtol=1e-5,
        atol=1e-8)
    np.testing.assert_allclose(
        gy, numerical_grad(lambda z: fastloss.sinkhorn(x, z, a, b, **kw), y), rtol=1e-5,
        atol=1e-8)
    h = 1e-6
    d = rng.standard_normal(6)
    d -= d.mean()
    slope = (fastloss.sinkhorn(x, y, a + h * d, b, **kw)
             - fastloss.sinkhorn(x, y, a - h * d, b, **kw)) / (2 * h)
    np.testing.assert_allclose(ga @ d, slope, rtol=1e-5, atol=1e-9)


def test_tiny_epsilon_and_far_points_stay_finite(rng):
    x, y, a, b = problem(rng, 20, 20, 2)
    with pytest.warns(RuntimeWarning, match="max_iter"):
        value, grads = fastloss.sinkhorn_value_and_grad(x * 1e3, y * 1e3, a, b, epsilon=1e-3,
                                                        max_iter=20)
    assert np.isfinite(value)
    for g in grads:
        assert np.isfinite(g).all()


def test_batch_threads_and_row_by_row_costs(rng, reduction, monkeypatch):
    x, y = rng.random((4, 30, 2)), rng.random((4, 25, 2))
    xl = np.array([30, 7, 1, 20])
    g = rng.random(4) if reduction == "none" else 2.0
    value, (gx, _, _, _) = fastloss.sinkhorn_value_and_grad(
        x, y, x_lengths=xl, epsilon=0.1, reduction=reduction, grad_output=g, num_threads=1)
    singles = [fastloss.sinkhorn_value_and_grad(x[k, : xl[k]], y[k], epsilon=0.1)
               for k in range(4)]
    values = np.array([s[0] for s in singles])
    factor = {"none": g, "sum": np.full(4, g), "mean": np.full(4, g / 4)}[reduction]
    expected = {"none": values, "sum": values.sum(), "mean": values.mean()}[reduction]
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    for k in range(4):
        np.testing.assert_allclose(gx[k, : xl[k]], factor[k] * singles[k][1][0], rtol=1e-11,
                                   atol=1e-15)
        assert not gx[k, xl[k]:].any()
    for threads in (2, 4):
        again = fastloss.sinkhorn_value_and_grad(x, y, x_lengths=xl, epsilon=0.1,
                                                 reduction=reduction, grad_output=g,
                                                 num_threads=threads)
        np.testing.assert_array_equal(again[0], value)
        np.testing.assert_array_equal(again[1][0], gx)
    one = [fastloss.sinkhorn_value_and_grad(x[0], y[0], epsilon=0.1, num_threads=t)
           for t in (1, 2)]
    np.testing.assert_array_equal(one[0][1][0], one[1][1][0])
    monkeypatch.setattr(_emd, "DENSE_COST_ENTRIES", 0)
    np.testing.assert_allclose(fastloss.sinkhorn(x[0], y[0], epsilon=0.1), one[0][0],
                               rtol=1e-13)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(epsilon=0.0), ValueError, "epsilon"),
    (dict(epsilon=-1.0), ValueError, "epsilon"),
    (dict(epsilon="a"), TypeError, "epsilon"),
    (dict(epsilon=0.1, max_iter=0), ValueError, "max_iter"),
    (dict(epsilon=0.1, tol=-1.0), ValueError, "tol"),
    (dict(epsilon=0.1, b=[0.2, 0.2]), ValueError, "equal totals"),
])
def test_bad_input(kwargs, error, match):
    x, y = np.zeros((3, 2)), np.ones((2, 2))
    with pytest.raises(error, match=match):
        fastloss.sinkhorn(x, y, **kwargs)


def test_epsilon_scaling_reaches_the_same_fixed_point(rng):
    x, y, a, b = problem(rng, 20, 15, 2)
    kw = dict(epsilon=0.05, tol=1e-13, max_iter=100_000)
    np.testing.assert_allclose(fastloss.sinkhorn(x, y, a, b, scaling=None, **kw),
                               fastloss.sinkhorn(x, y, a, b, scaling=0.5, **kw), rtol=1e-12)
    np.testing.assert_allclose(fastloss.sinkhorn(x, y, a, b, scaling=0.9, **kw),
                               fastloss.sinkhorn(x, y, a, b, scaling=0.5, **kw), rtol=1e-12)
    with pytest.raises(ValueError, match="scaling"):
        fastloss.sinkhorn(x, y, epsilon=0.1, scaling=1.0)


def test_small_epsilon_on_a_unique_assignment():
    # two points each, a unique optimal permutation (EMD 1.25): the entropic plan tends to it,
    # and W_eps = EMD + eps KL(T | a b^T) = 1.25 + eps log 2 up to terms exp(-1/eps) small;
    # cold Sinkhorn contracts by tanh(25) per step here, so this needs the epsilon scaling
    x, y = [[0.0], [1.0]], [[0.5], [3.0]]
    for eps in (0.01, 0.001):
        np.testing.assert_allclose(fastloss.sinkhorn(x, y, epsilon=eps), 1.25 + eps * np.log(2),
                                   rtol=1e-12)
        np.testing.assert_allclose(fastloss.sinkhorn(x, y, epsilon=eps, debias=True), 1.25,
                                   rtol=1e-12)


@pytest.mark.parametrize("name", ["sinkhorn", "sinkhorn_value_and_grad"])
@pytest.mark.parametrize("scaling", [0.5, None])
def test_cost_overflow_from_finite_points_is_an_error_not_a_hang(name, scaling):
    # the squared distance to 1e200 overflows: the epsilon annealing once started at inf and
    # never ended (in a child process, so that a hang fails the test instead of the suite)
    code = ("import numpy as np, fastloss\n"
            "x, y = np.array([[0.0, 0], [1e200, 0]]), np.array([[0.0, 1], [2, 0]])\n"
            "try:\n"
            f"    fastloss.{name}(x, y, cost='sqeuclidean', epsilon=0.1, max_iter=10,"
            f" scaling={scaling})\n"
            "except ValueError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert "x, y: the ground cost between some points overflows to inf" in out.stdout
