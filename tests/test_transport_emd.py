"""Exact transport (EMD): native solver against the NumPy reference, SciPy's LP and assignment
solvers and POT; optimality certificates, identities, finite differences, degenerate inputs,
batches, threads and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref
from fastloss.transport import _emd

from ._helpers import assert_close, numerical_grad

METHODS = ["shortest_path", "network_simplex"]


def problem(rng, n, m, d=2, *, uniform=False, dtype=np.float64):
    x = rng.random((n, d)).astype(dtype)
    y = rng.random((m, d)).astype(dtype)
    if uniform:
        return x, y, None, None
    a = rng.random(n) + 0.05
    b = rng.random(m) + 0.05
    return x, y, a / a.sum(), b / b.sum()


def cost_matrix(x, y, p=1.0):
    d2 = ((np.asarray(x, float)[:, None, :] - np.asarray(y, float)[None, :, :]) ** 2).sum(-1)
    return d2 ** (p / 2)


def forest(rows, cols, n):
    """True if the plan's entries form a forest over the n rows and the columns."""
    parent = {}

    def find(z):
        while parent.setdefault(z, z) != z:
            z = parent[z]
        return z

    for r, c in zip(rows.tolist(), cols.tolist()):
        fr, fc = find(r), find(n + c)
        if fr == fc:
            return False
        parent[fr] = fc
    return True


def assert_certified(result, C, a, b, rel=1e-12):
    """Primal feasible (marginals), dual feasible (reduced costs >= 0), no duality gap,
    complementary slackness, basic (forest, at most n + m - 1 entries)."""
    n, m = C.shape
    scale = max(1.0, float(np.abs(C[np.isfinite(C)]).max()))
    plan = result.dense()
    np.testing.assert_allclose(plan.sum(1), a, rtol=0, atol=1e-12 * max(1.0, a.sum()))
    np.testing.assert_allclose(plan.sum(0), b, rtol=0, atol=1e-12 * max(1.0, a.sum()))
    assert (result.masses > 0).all()
    reduced = C - result.u[:, None] - result.v[None, :]
    assert reduced.min() >= -rel * scale
    np.testing.assert_allclose(reduced[result.rows, result.cols], 0.0, atol=rel * scale)
    np.testing.assert_allclose(a @ result.u + b @ result.v, result.value, rtol=rel,
                               atol=rel * scale)
    np.testing.assert_allclose(C[result.rows, result.cols] @ result.masses, result.value, rtol=rel, atol=rel * scale)
    assert len(result.rows) <= n + m - 1
    assert forest(result.rows, result.cols, n)


# ---- against the reference and the peers ------------------------------------------------------

@pytest.mark.parametrize(("n", "m", "d"), [(1, 1, 1), (1, 6, 2), (6, 1, 3), (7, 5, 2),
                                           (12, 19, 3), (30, 30, 5)])
@pytest.mark.parametrize("p", [1.0, 2.0, 1.5])
@pytest.mark.parametrize("method", METHODS)
def test_points_match_reference(rng, n, m, d, p, method):
    x, y, a, b = problem(rng, n, m, d)
    value, grads = fastloss.emd_value_and_grad(x, y, a, b, p=p, method=method)
    rvalue, rgrads = ref.emd_value_and_grad(x, y, a, b, p=p)
    assert_close(value, rvalue, np.float64)
    for g, r in zip(grads, rgrads):
        assert_close(g, r, np.float64, rtol=1e-9, atol=1e-11)


def test_float32_points_match_reference(rng):
    x, y, a, b = problem(rng, 40, 33, 3, dtype=np.float32)
    value, (gx, gy, ga, gb) = fastloss.emd_value_and_grad(x, y, a.astype(np.float32),
                                                          b.astype(np.float32))
    for out in (value, gx, gy, ga, gb):
        assert out.dtype == np.float32
    rvalue, (rx, ry, _, _) = ref.emd_value_and_grad(x, y, a.astype(np.float32),
                                                     b.astype(np.float32))
    assert_close(value, rvalue, np.float32)
    assert_close(gx, rx, np.float32, rtol=1e-4, atol=1e-5)
    assert_close(gy, ry, np.float32, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3), (4, 4), (5, 3)])
@pytest.mark.parametrize("method", METHODS)
def test_matches_linear_program(rng, n, m, method):
    linprog = pytest.importorskip("scipy.optimize").linprog
    for _ in range(5):
        x, y, a, b = problem(rng, n, m, 2)
        C = cost_matrix(x, y)
        a_eq = np.vstack([np.kron(np.eye(n), np.ones(m)), np.kron(np.ones(n), np.eye(m))])
        lp = linprog(C.ravel(), A_eq=a_eq, b_eq=np.concatenate([a, b]), bounds=(0, None),
                     method="highs")
        np.testing.assert_allclose(fastloss.emd(x, y, a, b, method=method), lp.fun,
                                   rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(fastloss.emd_from_cost(C, a, b, method=method), lp.fun,
                                   rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("n", [1, 2, 17, 200])
@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("method", METHODS)
def test_uniform_matches_linear_sum_assignment(rng, n, d, method):
    lsa = pytest.importorskip("scipy.optimize").linear_sum_assignment
    x, y, _, _ = problem(rng, n, n, d, uniform=True)
    C = cost_matrix(x, y)
    r, c = lsa(C)
    np.testing.assert_allclose(fastloss.emd(x, y, method=method), C[r, c].mean(), rtol=1e-10)
    result = fastloss.emd_solve(x, y, method=method)
    assert len(result.rows) == n  # an assignment: a permutation, all masses 1 / n
    np.testing.assert_allclose(result.masses, 1.0 / n, rtol=1e-14)
    assert sorted(result.cols.tolist()) == list(range(n))


@pytest.mark.parametrize(("n", "m"), [(3, 8), (25, 25), (60, 41)])
@pytest.mark.parametrize("method", METHODS)
def test_matches_pot(rng, n, m, method):
    ot = pytest.importorskip("ot")
    x, y, a, b = problem(rng, n, m, 3)
    C = cost_matrix(x, y)
    expected, log = ot.emd2(a, b, C, log=True, numItermax=10**7)
    np.testing.assert_allclose(fastloss.emd(x, y, a, b, method=method), expected, rtol=1e-10)
    value, (gc, ga, gb) = fastloss.emd_from_cost_value_and_grad(C, a, b, method=method)
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    # non-degenerate random masses: the plan and the centred duals are unique
    np.testing.assert_allclose(gc, ot.emd(a, b, C, numItermax=10**7), atol=1e-12)
    np.testing.assert_allclose(ga, log["u"] - log["u"].mean(), atol=1e-10)
    np.testing.assert_allclose(gb, log["v"] - log["v"].mean(), atol=1e-10)


def test_cost_matrix_matches_reference(rng):
    C = rng.random((9, 14)) * 3
    a, b = rng.random(9) + 0.1, rng.random(14) + 0.1
    a, b = a / a.sum() * 2, b / b.sum() * 2  # totals other than 1
    value, grads = fastloss.emd_from_cost_value_and_grad(C, a, b)
    rvalue, rgrads = ref.emd_from_cost_value_and_grad(C, a, b)
    assert_close(value, rvalue, np.float64)
    for g, r in zip(grads, rgrads):
        assert_close(g, r, np.float64, rtol=1e-9, atol=1e-11)


def test_solvers_agree_on_larger_problems(rng):
    for uniform in (False, True):
        x, y, a, b = problem(rng, 300, 300, 2, uniform=uniform)
        results = [fastloss.emd_solve(x, y, a, b, method=m) for m in METHODS]
        np.testing.assert_allclose(results[0].value, results[1].value, rtol=1e-12)
        for r in results:
            assert_certified(r, cost_matrix(x, y), np.full(300, 1 / 300) if a is None else a,
                             np.full(300, 1 / 300) if b is None else b)


def test_network_simplex_does_not_stall_on_rounding():
    # a regression: potentials shifted pivot after pivot drifted until rounding priced arcs
    # negative near the optimum and degenerate pivots went on and on (3000 uniform 3-D points
    # took minutes); the cap turns a stall into a failure, not a hang
    lsa = pytest.importorskip("scipy.optimize").linear_sum_assignment
    rng = np.random.default_rng(0)
    x, y = rng.random((3000, 3)), rng.random((3000, 3))
    result = fastloss.emd_solve(x, y, method="network_simplex", max_iter=400_000)
    assert result.status == "optimal"
    C = cost_matrix(x, y)
    r, c = lsa(C)
    np.testing.assert_allclose(result.value, C[r, c].mean(), rtol=1e-10)


# ---- optimality certificates and identities ---------------------------------------------------

@pytest.mark.parametrize("kind", ["random", "uniform", "integer_costs", "zero_masses",
                                  "duplicates", "all_equal"])
@pytest.mark.parametrize("method", METHODS)
def test_certificates(rng, kind, method):
    n, m = 23, 17
    x, y, a, b = problem(rng, n, m, 2)
    if kind == "uniform":
        a, b = np.full(n, 1 / n), np.full(m, 1 / m)
    if kind == "integer_costs":  # many ties: a degenerate LP
        x, y = rng.integers(0, 3, (n, 2)).astype(float), rng.integers(0, 3, (m, 2)).astype(float)
    if kind == "zero_masses":
        a[::3], b[1::4] = 0.0, 0.0
        a, b = a / a.sum(), b / b.sum()
    if kind == "duplicates":
        x[1::2], y[::3] = x[0], x[0]
    if kind == "all_equal":
        x[:], y[:] = 0.5, 0.5
    result = fastloss.emd_solve(x, y, a, b, method=method)
    assert result.status == "optimal"
    assert_certified(result, cost_matrix(x, y), a, b)
    np.testing.assert_allclose(result.value, ref.emd(x, y, a, b), rtol=1e-12, atol=1e-15)


def test_certificates_of_a_cost_matrix_with_forbidden_pairs(rng):
    C = rng.random((8, 6))
    C[0, :3] = np.inf
    C[:4, 5] = np.inf
    a, b = np.full(8, 1 / 8), np.full(6, 1 / 6)
    result = fastloss.emd_solve(cost_matrix=C, a=a, b=b)  # the shortest paths take them
    assert_certified(result, C, a, b)
    assert np.isfinite(C[result.rows, result.cols]).all()


def test_float32_cost_matrix_prices_on_its_own_rows(rng):
    # The network simplex prices a float32 matrix's rows directly (its float pricing path,
    # without a copy); optimality must still be exact for those float32 values, over costs
    # spanning seven orders of magnitude and with ties.
    C = (10.0 ** rng.uniform(-3, 4, size=(150, 170))).astype(np.float32)
    C[:, :20] = np.float32(7.0)
    a, b = rng.random(150) + 0.05, rng.random(170) + 0.05
    a, b = a / a.sum(), b / b.sum()
    result = fastloss.emd_solve(cost_matrix=C, a=a, b=b, method="network_simplex")
    assert result.status == "optimal"
    exact = C.astype(np.float64)
    assert_certified(result, exact, a, b)
    same = fastloss.emd_solve(cost_matrix=exact, a=a, b=b, method="network_simplex")
    np.testing.assert_allclose(result.value, same.value, rtol=1e-12)


def test_symmetry_and_zero_distance(rng):
    x, y, a, b = problem(rng, 11, 7, 3)
    np.testing.assert_allclose(fastloss.emd(x, y, a, b), fastloss.emd(y, x, b, a), rtol=1e-13)
    assert fastloss.emd(x, x, a, a) == 0.0
    value, (gx, gy, _, _) = fastloss.emd_value_and_grad(x, x.copy(), a, a)
    assert value == 0.0
    assert not gx.any()
    assert not gy.any()


def test_translation(rng):
    x, y, a, b = problem(rng, 13, 9, 2)
    t = np.array([3.0, -1.5])
    # the Euclidean cost only sees differences
    np.testing.assert_allclose(fastloss.emd(x + t, y + t, a, b), fastloss.emd(x, y, a, b),
                               rtol=1e-12)
    # the squared cost: W(x + t, y) = W(x, y) + 2 t . (mean_a x - mean_b y) + |t|^2
    shifted = fastloss.emd(x + t, y, a, b, cost="sqeuclidean")
    expected = (fastloss.emd(x, y, a, b, cost="sqeuclidean") + 2 * t @ (a @ x - b @ y) + t @ t)
    np.testing.assert_allclose(shifted, expected, rtol=1e-12)


def test_one_dimensional_closed_form(rng):
    # W_1 on the line is the L1 distance between the CDFs
    x, y, a, b = problem(rng, 15, 10, 1)
    grid = np.sort(np.concatenate([x[:, 0], y[:, 0]]))
    cdf_x = np.array([a[x[:, 0] <= g].sum() for g in grid[:-1]])
    cdf_y = np.array([b[y[:, 0] <= g].sum() for g in grid[:-1]])
    expected = (np.abs(cdf_x - cdf_y) * np.diff(grid)).sum()
    np.testing.assert_allclose(fastloss.emd(x, y, a, b), expected, rtol=1e-12)


# ---- gradients against finite differences ------------------------------------------------------

@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_point_gradients_match_finite_differences(rng, p):
    x, y, a, b = problem(rng, 6, 5, 2)
    _, (gx, gy, _, _) = fastloss.emd_value_and_grad(x, y, a, b, p=p)
    np.testing.assert_allclose(
        gx, numerical_grad(lambda z: fastloss.emd(z, y, a, b, p=p), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        gy, numerical_grad(lambda z: fastloss.emd(x, z, a, b, p=p), y), rtol=1e-6, atol=1e-8)


def test_mass_gradients_match_directional_differences(rng):
    # masses live on a simplex: along any zero-sum direction the derivative is grad . dir
    x, y, a, b = problem(rng, 7, 6, 2)
    _, (_, _, ga, gb) = fastloss.emd_value_and_grad(x, y, a, b)
    np.testing.assert_allclose(ga.sum(), 0.0, atol=1e-14)
    h = 1e-7
    for _ in range(3):
        da = rng.standard_normal(7)
        da -= da.mean()
        slope = (fastloss.emd(x, y, a + h * da, b) - fastloss.emd(x, y, a - h * da, b)) / (2 * h)
        np.testing.assert_allclose(ga @ da, slope, rtol=1e-5, atol=1e-9)
        db = rng.standard_normal(6)
        db -= db.mean()
        slope = (fastloss.emd(x, y, a, b + h * db) - fastloss.emd(x, y, a, b - h * db)) / (2 * h)
        np.testing.assert_allclose(gb @ db, slope, rtol=1e-5, atol=1e-9)


def test_cost_gradient_is_the_plan(rng):
    C = rng.random((5, 4))
    a, b = rng.random(5) + 0.1, rng.random(4) + 0.1
    a, b = a / a.sum(), b / b.sum()
    _, (gc, _, _) = fastloss.emd_from_cost_value_and_grad(C, a, b)
    np.testing.assert_allclose(gc, numerical_grad(lambda c: fastloss.emd_from_cost(c, a, b), C),
                               atol=1e-8)


# ---- degenerate and extreme inputs -------------------------------------------------------------

@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_huge_and_tiny_coordinates(rng, scale):
    x, y, a, b = problem(rng, 20, 14, 3)
    base = fastloss.emd(x, y, a, b)
    np.testing.assert_allclose(fastloss.emd(x * scale, y * scale, a, b), base * scale,
                               rtol=1e-11)
    np.testing.assert_allclose(fastloss.emd(x * scale, y * scale, a, b, cost="sqeuclidean"),
                               fastloss.emd(x, y, a, b, cost="sqeuclidean") * scale**2,
                               rtol=1e-11)


def test_one_point_against_many(rng):
    x = rng.random((1, 3))
    y, b = rng.random((9, 3)), rng.random(9)
    b /= b.sum()
    # all mass leaves the one point: the b-weighted mean distance
    np.testing.assert_allclose(fastloss.emd(x, y, None, b), b @ cost_matrix(x, y)[0],
                               rtol=1e-13)
    np.testing.assert_allclose(fastloss.emd(y, x, b, None), b @ cost_matrix(x, y)[0],
                               rtol=1e-13)


def test_unequal_totals_rescaled_within_tolerance(rng):
    x, y, a, b = problem(rng, 10, 8, 2)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)  # totals differ by float32 rounding
    value = fastloss.emd(x, y, a32, b32)
    np.testing.assert_allclose(value, ref.emd(x, y, a32, b32 * (a32.sum() / b32.sum())),
                               rtol=1e-12)


def test_normalize(rng):
    x, y, a, b = problem(rng, 10, 8, 2)
    with pytest.raises(ValueError, match="normalize=True"):
        fastloss.emd(x, y, 3 * a, b)
    np.testing.assert_allclose(fastloss.emd(x, y, 3 * a, 0.5 * b, normalize=True),
                               fastloss.emd(x, y, a, b), rtol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_iteration_cap_warns_and_reports(rng, method):
    x, y, _, _ = problem(rng, 40, 40, 2, uniform=True)
    assert fastloss.emd_solve(x, y, method=method).iterations > 1
    with pytest.warns(RuntimeWarning, match="max_iter"):
        result = fastloss.emd_solve(x, y, max_iter=1, method=method)
    assert result.status == "max_iter_reached"
    if method == "shortest_path":  # a partial plan: not all the mass has moved
        assert result.masses.sum() < 1.0 - 1e-9
    else:  # a feasible plan, not yet optimal
        np.testing.assert_allclose(result.masses.sum(), 1.0, rtol=1e-12)
        assert result.value > fastloss.emd(x, y) + 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fastloss.emd_solve(x, y, method=method).status == "optimal"


def test_infeasible_cost_matrix_is_an_error():
    C = np.array([[np.inf, np.inf], [0.0, 1.0]])
    with pytest.raises(ValueError, match="finite cost"):
        fastloss.emd_from_cost(C, [0.5, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="finite costs"):
        fastloss.emd_from_cost(C, [0.5, 0.5], [0.5, 0.5], method="network_simplex")


def test_rows_computed_on_demand_agree_with_the_dense_matrix(rng, monkeypatch):
    x, y, a, b = problem(rng, 50, 37, 3)
    dense = fastloss.emd_value_and_grad(x, y, a, b, p=1.5, method="shortest_path")
    simplex = fastloss.emd_solve(x, y, a, b, p=1.5, method="network_simplex")
    monkeypatch.setattr(_emd, "DENSE_COST_ENTRIES", 0)
    on_demand = fastloss.emd_value_and_grad(x, y, a, b, p=1.5, method="shortest_path")
    assert dense[0] == on_demand[0]
    for g, h in zip(dense[1], on_demand[1]):
        np.testing.assert_array_equal(g, h)
    # the network simplex prices float-rounded rows when it has a matrix (its pivots may
    # differ), exact ones otherwise: both optimal
    simplex_on_demand = fastloss.emd_solve(x, y, a, b, p=1.5, method="network_simplex")
    np.testing.assert_allclose(simplex.value, simplex_on_demand.value, rtol=1e-13)
    for r in (simplex, simplex_on_demand):
        assert_certified(r, cost_matrix(x, y, 1.5), a, b)


def test_network_simplex_float_pricing_finishes_exactly(rng):
    # far-apart clouds and squared distances: costs ~1e8 whose differences float cannot
    # resolve, so the last pivots must come from exact pricing
    for n, m in [(83, 199), (150, 60)]:
        x, y = rng.random((n, 2)), 1e4 + rng.random((m, 2))
        a, b = rng.random(n), rng.random(m)
        a, b = a / a.sum(), b / b.sum()
        simplex = fastloss.emd_solve(x, y, a, b, p=2, method="network_simplex")
        paths = fastloss.emd_solve(x, y, a, b, p=2, method="shortest_path")
        np.testing.assert_allclose(simplex.value, paths.value, rtol=1e-13)
        assert_certified(simplex, cost_matrix(x, y, 2.0), a, b)


# ---- batches, threads ----------------------------------------------------------------------

def test_batch_equals_single_problems(rng, reduction):
    batch = 5
    x = rng.random((batch, 9, 2))
    y = rng.random((batch, 7, 2))
    a = rng.random((batch, 9)) + 0.1
    a /= a.sum(1, keepdims=True)
    g = rng.random(batch) if reduction == "none" else 0.7
    value, (gx, gy, ga, gb) = fastloss.emd_value_and_grad(x, y, a, None, reduction=reduction,
                                                          grad_output=g)
    singles = [fastloss.emd_value_and_grad(x[k], y[k], a[k], None) for k in range(batch)]
    values = np.array([s[0] for s in singles])
    factor = {"none": g, "sum": np.full(batch, g), "mean": np.full(batch, g / batch)}[reduction]
    expected = {"none": values, "sum": values.sum(), "mean": values.mean()}[reduction]
    np.testing.assert_allclose(value, expected, rtol=1e-13)
    assert gb is None
    for k, (_, (sx, sy, sa, _)) in enumerate(singles):
        np.testing.assert_allclose(gx[k], factor[k] * sx, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(gy[k], factor[k] * sy, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(ga[k], factor[k] * sa, rtol=1e-13, atol=1e-16)


def test_ragged_batch_equals_sliced_problems(rng):
    x = rng.random((3, 10, 2))
    y = rng.random((3, 8, 2))
    xl, yl = np.array([10, 1, 6]), np.array([3, 8, 1])
    x[1, 1:] = np.nan  # padding is never read
    values = fastloss.emd(x, y, x_lengths=xl, y_lengths=yl, reduction="none")
    _, (gx, _, _, _) = fastloss.emd_value_and_grad(x, y, x_lengths=xl, y_lengths=yl,
                                                   reduction="sum")
    results = fastloss.emd_solve(x, y, x_lengths=xl, y_lengths=yl)
    for k in range(3):
        xs, ys = x[k, : xl[k]], y[k, : yl[k]]
        np.testing.assert_allclose(values[k], fastloss.emd(xs, ys), rtol=1e-14)
        np.testing.assert_allclose(gx[k, : xl[k]], fastloss.emd_value_and_grad(xs, ys)[1][0])
        assert not gx[k, xl[k]:].any()
        assert results[k].shape == (xl[k], yl[k])


def test_shared_masses_get_the_summed_gradient(rng):
    x, y = rng.random((4, 6, 2)), rng.random((4, 5, 2))
    a = rng.random(6) + 0.1
    a /= a.sum()
    _, (_, _, ga, _) = fastloss.emd_value_and_grad(x, y, a, reduction="sum")
    _, (_, _, ga_each, _) = fastloss.emd_value_and_grad(x, y, np.tile(a, (4, 1)),
                                                        reduction="sum")
    assert ga.shape == (6,)
    np.testing.assert_allclose(ga, ga_each.sum(0), rtol=1e-13)


@pytest.mark.parametrize("method", METHODS)
def test_bitwise_identical_across_threads(rng, method):
    x = rng.random((6, 120, 3))
    y = rng.random((6, 90, 3))
    for args in ((x, y), (x[0], y[0])):
        base, *others = [fastloss.emd_value_and_grad(*args, reduction="none", method=method,
                                                     num_threads=t) for t in (1, 2, 4)]
        for run in others:
            np.testing.assert_array_equal(run[0], base[0])
            np.testing.assert_array_equal(run[1][0], base[1][0])
            np.testing.assert_array_equal(run[1][1], base[1][1])


# ---- errors --------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "match"), [
    (dict(x=np.zeros((3, 2)), y=np.zeros((4, 3))), ValueError, "dimension"),
    (dict(x=np.zeros((0, 2)), y=np.zeros((4, 2))), ValueError, "at least one point"),
    (dict(x=np.zeros(3), y=np.zeros(3)), ValueError, "expected a cloud"),
    (dict(x=[[np.nan, 0.0]], y=[[0.0, 0.0]]), ValueError, "finite"),
    (dict(x=np.zeros((3, 2)), y=np.zeros((4, 2)), a=[0.5, 0.5]), ValueError, "a: expected shape"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), a=[1.5, -0.5]), ValueError, "non-negative"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), b=[np.nan, 1.0]), ValueError, "finite"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), a=["a", "b"]), TypeError, "real masses"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), p=0), ValueError, "positive"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), p=2, cost="sqeuclidean"), ValueError, "not both"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), cost="cosine"), ValueError, "cost"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), reduction="max"), ValueError, "reduction"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), max_iter=0), ValueError, "max_iter"),
    (dict(x=np.zeros((2, 2)), y=np.zeros((2, 2)), method="lp"), ValueError, "method"),
    (dict(x=np.zeros((2, 2, 2)), y=np.zeros((2, 2, 2)), x_lengths=[0, 2]), ValueError,
     "at least one point"),
])
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        fastloss.emd(**kwargs)


def test_bad_cost_matrix():
    with pytest.raises(ValueError, match="NaN"):
        fastloss.emd_from_cost([[np.nan, 1.0]], [1.0], [0.5, 0.5])
    with pytest.raises(ValueError, match="matrix"):
        fastloss.emd_from_cost([1.0, 2.0])
    with pytest.raises(ValueError, match="not both"):
        fastloss.emd_solve(np.zeros((2, 1)), np.zeros((2, 1)), cost_matrix=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="grad_output"):
        fastloss.emd_from_cost_value_and_grad(np.zeros((2, 2)), grad_output=[1.0, 2.0])


def test_input_conventions(rng):
    x, y = rng.random((20, 6))[:, ::2], rng.random((15, 3))  # x is a strided view
    expected = fastloss.emd(np.ascontiguousarray(x), y)
    assert fastloss.emd(x, y) == expected
    half = fastloss.emd(x.astype(np.float16), y)  # float16 computes in float32, like NumPy
    assert half.dtype == np.float32
    np.testing.assert_allclose(half, expected, rtol=1e-2)
    whole = fastloss.emd((x * 10).astype(np.int64), (y * 10).astype(np.int64))
    assert whole.dtype == np.float64  # integers become float64
    np.testing.assert_allclose(
        whole, fastloss.emd(np.floor(x * 10), np.floor(y * 10)), rtol=1e-14)
    _, (gx, gy, _, _) = fastloss.emd_value_and_grad(x.astype(np.float32), y)
    assert gx.dtype == np.float32  # y adopts x's dtype
    assert gy.dtype == np.float32


@pytest.mark.parametrize("method", METHODS)
def test_many_degenerate_problems_against_pot(method):
    # ties everywhere (integer grids and masses, coincident points, integer costs): where a
    # simplex could cycle and shortest paths meet equal distances
    ot = pytest.importorskip("ot")
    rng = np.random.default_rng(123)
    for trial in range(400):
        n, m = (int(k) for k in rng.integers(1, 25, 2))
        kind = trial % 3
        if kind == 0:
            x = rng.integers(0, 3, (n, 2)).astype(float)
            y = rng.integers(0, 3, (m, 2)).astype(float)
            a, b = rng.integers(0, 4, n) + 0.0, rng.integers(0, 4, m) + 0.0
            a[0], b[0] = a[0] + 1, b[0] + 1
            a, b = a / a.sum(), b / b.sum()
            C = cost_matrix(x, y, p=2.0)
            result = fastloss.emd_solve(x, y, a, b, cost="sqeuclidean", method=method)
        elif kind == 1:
            x, y = np.zeros((n, 2)), np.zeros((m, 2))
            a, b = np.full(n, 1 / n), np.full(m, 1 / m)
            C = cost_matrix(x, y)
            result = fastloss.emd_solve(x, y, method=method)
        else:
            C = rng.integers(0, 3, (n, m)).astype(float)
            a, b = np.full(n, 1 / n), np.full(m, 1 / m)
            result = fastloss.emd_solve(cost_matrix=C, a=a, b=b, method=method)
        assert result.status == "optimal"
        np.testing.assert_allclose(result.value, ot.emd2(a, b, C), rtol=1e-11, atol=1e-14)
        assert len(result.rows) <= n + m - 1
