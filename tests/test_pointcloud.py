"""Chamfer distance and nearest neighbours: both kernels against the NumPy brute-force
reference, finite differences, degenerate clouds, conventions and errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, check_grad

METHODS = ["kdtree", "brute"]
DIMS = [1, 2, 3, 8, 64]


def clouds(rng, b, p, q, d, dtype=np.float64):
    return rng.random((b, p, d)).astype(dtype), rng.random((b, q, d)).astype(dtype)


def degenerate(kind, rng, n, d):
    """Clouds that stress a KD-tree: duplicates, all equal, a line, a grid."""
    if kind == "duplicates":
        base = rng.random((n // 3 + 1, d))
        return base[rng.integers(0, len(base), size=n)]
    if kind == "all_equal":
        return np.full((n, d), 0.25)
    if kind == "line":
        return np.outer(rng.random(n), np.arange(1, d + 1))
    side = int(np.ceil(n ** (1 / d)))  # a grid: many exact ties
    axes = np.meshgrid(*[np.arange(side, dtype=float)] * d, indexing="ij")
    return np.stack([a.reshape(-1) for a in axes], 1)[:n]


# ---- nearest neighbours ----------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("k", [1, 4])
def test_nearest_neighbors_match_reference(method, d, k, dtype, rng):
    x, y = clouds(rng, 3, 57, 301, d, dtype)
    xl, yl = [57, 0, 20], [301, 5, 2]
    for p in (1, 2):
        dist, idx = fastloss.nearest_neighbors(x, y, k=k, p=p, x_lengths=xl, y_lengths=yl,
                                               method=method)
        want_d, want_i = ref.nearest_neighbors(x, y, k=k, p=p, x_lengths=xl, y_lengths=yl)
        np.testing.assert_array_equal(idx, want_i)
        finite = np.isfinite(want_d)
        np.testing.assert_array_equal(np.isfinite(dist), finite)
        assert_close(dist[finite], want_d[finite], dtype)


@pytest.mark.parametrize("kind", ["duplicates", "all_equal", "line", "grid"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_degenerate_clouds_both_methods_agree_with_reference(kind, d, rng):
    y = degenerate(kind, rng, 500, d)
    x = np.concatenate([degenerate(kind, rng, 100, d), rng.random((50, d)) * 3])
    want_d, want_i = ref.nearest_neighbors(x, y, k=3)
    for method in METHODS:
        dist, idx = fastloss.nearest_neighbors(x, y, k=3, method=method)
        np.testing.assert_array_equal(idx, want_i)  # ties: the lower index
        np.testing.assert_allclose(dist, want_d, rtol=1e-12, atol=1e-12)


def test_nearest_neighbors_match_scipy(rng):
    spatial = pytest.importorskip("scipy.spatial")
    x, y = rng.random((2000, 3)), rng.random((3000, 3))
    for k in (1, 5):
        want_d, want_i = spatial.cKDTree(y).query(x, k=k)
        for method in METHODS:
            dist, idx = fastloss.nearest_neighbors(x, y, k=k, method=method)
            np.testing.assert_allclose(dist, want_d, rtol=1e-12)
            np.testing.assert_array_equal(idx, want_i)


def test_nearest_neighbors_shapes_and_missing(rng):
    x, y = rng.random((4, 2)), rng.random((2, 2))
    dist, idx = fastloss.nearest_neighbors(x, y)
    assert dist.shape == idx.shape == (4,)
    dist, idx = fastloss.nearest_neighbors(x, y, k=3)
    assert dist.shape == (4, 3)
    assert np.all(np.isinf(dist[:, 2]))
    assert np.all(idx[:, 2] == -1)
    dist, idx = fastloss.nearest_neighbors(x[None], y[None], k=2, x_lengths=[2], y_lengths=[2])
    assert dist.shape == (1, 4, 2)
    assert np.all(dist[0, 2:] == 0)
    assert np.all(idx[0, 2:] == -1)


# ---- Chamfer against the reference -----------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("d", DIMS)
def test_chamfer_matches_reference(method, d, dtype, rng):
    x, y = clouds(rng, 3, 41, 29, d, dtype)
    for distance in ("squared_l2", "l2", "l1"):
        for point_reduction in ("mean", "sum", "max"):
            for batch_reduction in ("mean", "sum", "none"):
                kw = dict(distance=distance, point_reduction=point_reduction,
                          batch_reduction=batch_reduction)
                value, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y, method=method,
                                                                           **kw)
                want, (wx, wy) = ref.chamfer_distance_value_and_grad(x, y, **kw)
                assert np.asarray(value).dtype == dtype
                assert gx.dtype == gy.dtype == dtype
                assert_close(value, want, dtype)
                assert_close(gx, wx, dtype)
                assert_close(gy, wy, dtype)


@pytest.mark.parametrize("method", METHODS)
def test_chamfer_ragged_weighted_directional(method, dtype, rng):
    x, y = clouds(rng, 4, 30, 45, 3, dtype)
    kw = dict(x_lengths=[30, 7, 0, 12], y_lengths=[45, 45, 10, 0], weights=[1.0, 0.5, 2.0, 3.0],
              direction_weights=(0.25, 1.5))
    x[1, 7:] = np.nan  # padding is never read
    for single in (False, True):
        for batch_reduction in ("mean", "sum", "none"):
            for point_reduction in ("mean", "sum", "max"):
                args = dict(kw, single_directional=single, batch_reduction=batch_reduction,
                            point_reduction=point_reduction)
                value, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y, method=method,
                                                                           **args)
                want, (wx, wy) = ref.chamfer_distance_value_and_grad(x, y, **args)
                assert_close(value, want, dtype)
                assert_close(gx[np.isfinite(x)], wx[np.isfinite(x)], dtype)
                assert_close(gy, wy, dtype)


def test_chamfer_point_reduction_none_and_grad_output(rng):
    x, y = clouds(rng, 2, 13, 17, 3)
    kw = dict(point_reduction="none", batch_reduction="none", x_lengths=[13, 5])
    (tx, ty), (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y, **kw)
    (wx, wy), _ = ref.chamfer_distance_value_and_grad(x, y, **kw)
    np.testing.assert_allclose(tx, wx, rtol=1e-13)
    np.testing.assert_allclose(ty, wy, rtol=1e-13)
    assert np.all(tx[1, 5:] == 0)
    go = (rng.random(tx.shape), rng.random(ty.shape))
    _, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y, grad_output=go, **kw)
    _, (want_x, want_y) = ref.chamfer_distance_value_and_grad(x, y, grad_output=go, **kw)
    np.testing.assert_allclose(gx, want_x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gy, want_y, rtol=1e-12, atol=1e-15)
    # per-cloud grad_output with batch_reduction="none"
    g = np.array([2.0, -1.0])
    _, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y, batch_reduction="none",
                                                           grad_output=g)
    _, (want_x, want_y) = ref.chamfer_distance_value_and_grad(x, y, batch_reduction="none",
                                                              grad_output=g)
    np.testing.assert_allclose(gx, want_x, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gy, want_y, rtol=1e-12, atol=1e-15)


def test_chamfer_indices(rng):
    x, y = clouds(rng, 2, 20, 30, 3)
    value, ix, iy = fastloss.chamfer_distance(x, y, return_indices=True, y_lengths=[30, 9])
    want = ref.chamfer_distance(x, y, return_indices=True, y_lengths=[30, 9])
    np.testing.assert_allclose(value, want[0], rtol=1e-13)
    np.testing.assert_array_equal(ix, want[1])
    np.testing.assert_array_equal(iy, want[2])
    assert np.all(iy[1, 9:] == -1)
    assert fastloss.chamfer_distance(x, y, return_indices=True, single_directional=True)[2] is None


# ---- PyTorch3D's conventions and identities --------------------------------------------------

def test_pytorch3d_convention_by_hand():
    # squared L2, mean over points, summed directions, mean over the batch
    x = np.array([[[0.0, 0.0], [2.0, 0.0]]])
    y = np.array([[[0.0, 1.0]]])
    # x -> y: 1 and 4 + 1 = 5, mean 3; y -> x: 1
    assert fastloss.chamfer_distance(x, y) == 4.0
    assert fastloss.chamfer_distance(x, y, distance="l2") == (1 + np.sqrt(5)) / 2 + 1
    assert fastloss.chamfer_distance(x, y, distance="l1") == (1 + 3) / 2 + 1
    assert fastloss.chamfer_distance(x, y, point_reduction="sum") == 7.0
    # Hausdorff: the max of the Euclidean distances, per direction
    assert fastloss.chamfer_distance(x, y, distance="l2", point_reduction="max") == np.sqrt(5) + 1
    assert fastloss.chamfer_distance(x, y, single_directional=True) == 3.0


def test_identical_clouds_give_zero(rng):
    x = rng.random((2, 100, 3))
    for method in METHODS:
        value, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, x.copy(), method=method)
        assert value == 0.0
        assert np.all(gx == 0)
        assert np.all(gy == 0)


def test_symmetry_and_weights(rng):
    x, y = clouds(rng, 3, 20, 25, 3)
    a = fastloss.chamfer_distance(x, y, batch_reduction="none")
    b = fastloss.chamfer_distance(y, x, batch_reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-14)
    w = np.array([1.0, 0.0, 3.0])
    weighted = fastloss.chamfer_distance(x, y, weights=w)
    np.testing.assert_allclose(weighted, (a * w).sum() / w.sum(), rtol=1e-14)
    assert fastloss.chamfer_distance(x, y, weights=np.zeros(3)) == 0.0


@pytest.mark.parametrize("method", METHODS)
def test_empty_and_one_point_clouds(method):
    x = np.zeros((3, 4, 2))
    y = np.ones((3, 1, 2))
    per = fastloss.chamfer_distance(x, y, x_lengths=[0, 4, 1], y_lengths=[1, 0, 1],
                                    batch_reduction="none", method=method)
    # cloud 0: x empty -> both directions 0; cloud 1: y empty -> 0; cloud 2: 2 + 2
    np.testing.assert_array_equal(per, [0.0, 0.0, 4.0])
    value, (gx, gy) = fastloss.chamfer_distance_value_and_grad(
        x, y, x_lengths=[0, 4, 1], y_lengths=[1, 0, 1], method=method)
    assert np.isfinite(value)
    assert np.all(np.isfinite(gx))
    assert np.all(gx[:2] == 0)
    assert np.all(gy[:2] == 0)
    assert np.all(gy[2] != 0)
    empty = fastloss.chamfer_distance(np.zeros((0, 3)), np.ones((5, 3)))
    assert empty == 0.0


# ---- finite differences ----------------------------------------------------------------------

@pytest.mark.parametrize("distance", ["squared_l2", "l2", "l1"])
@pytest.mark.parametrize("point_reduction", ["mean", "sum", "max"])
def test_gradient_matches_finite_differences(distance, point_reduction, rng):
    x, y = clouds(rng, 2, 9, 7, 3)
    kw = dict(distance=distance, point_reduction=point_reduction, weights=[1.0, 2.0],
              direction_weights=(1.0, 0.5))
    _, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y, **kw)
    # random points: unique neighbours and no kinks within the step
    check_grad(lambda z: fastloss.chamfer_distance(z, y, **kw), gx, x)
    check_grad(lambda z: fastloss.chamfer_distance(x, z, **kw), gy, y)


# ---- inputs ----------------------------------------------------------------------------------

def test_float32_stays_float32_and_grad_out(rng):
    x, y = clouds(rng, 2, 10, 12, 3, np.float32)
    value, (gx, gy) = fastloss.chamfer_distance_value_and_grad(x, y)
    assert value.dtype == np.float32
    bx, by = np.full_like(x, np.nan), np.full_like(y, np.nan)
    value2, (ox, oy) = fastloss.chamfer_distance_value_and_grad(x, y, grad_out=(bx, by))
    assert ox is bx
    assert oy is by
    np.testing.assert_array_equal(bx, gx)
    np.testing.assert_array_equal(by, gy)
    assert value2 == value


class TestErrors:
    def test_shapes(self):
        with pytest.raises(ValueError, match=r"x: expected a cloud \(P, D\)"):
            fastloss.chamfer_distance(np.zeros(3), np.zeros(3))
        with pytest.raises(ValueError, match="y: expected the batch size and dimension of x"):
            fastloss.chamfer_distance(np.zeros((4, 3)), np.zeros((4, 2)))
        with pytest.raises(ValueError, match=r"y: expected \(B, Q, D\) like x"):
            fastloss.chamfer_distance(np.zeros((2, 4, 3)), np.zeros((4, 3)))

    def test_lengths(self):
        x = np.zeros((2, 4, 3))
        with pytest.raises(ValueError, match=r"x_lengths: expected values in \[0, 4\]"):
            fastloss.chamfer_distance(x, x, x_lengths=[5, 1])
        with pytest.raises(ValueError, match=r"y_lengths: expected shape \(2,\)"):
            fastloss.chamfer_distance(x, x, y_lengths=[1])
        with pytest.raises(ValueError, match="x_lengths: only for batches"):
            fastloss.chamfer_distance(x[0], x[0], x_lengths=[1])
        with pytest.raises(TypeError, match="x_lengths: expected integers"):
            fastloss.chamfer_distance(x, x, x_lengths=[1.0, 2.0])

    def test_non_finite_points(self):
        x = np.zeros((5, 3))
        x[2, 1] = np.nan
        with pytest.raises(ValueError, match="x: expected finite coordinates, got NaN or inf at point 2"):
            fastloss.chamfer_distance(x, np.zeros((4, 3)))
        with pytest.raises(ValueError, match="y: expected finite coordinates"):
            fastloss.nearest_neighbors(np.zeros((4, 3)), np.full((2, 3), np.inf))

    def test_options(self):
        x = np.zeros((4, 3))
        with pytest.raises(ValueError, match="distance: expected one of"):
            fastloss.chamfer_distance(x, x, distance="cosine")
        with pytest.raises(ValueError, match="method: expected one of"):
            fastloss.chamfer_distance(x, x, method="octree")
        with pytest.raises(ValueError, match="batch_reduction: point_reduction='none' returns"):
            fastloss.chamfer_distance(x, x, point_reduction="none")
        with pytest.raises(ValueError, match="weights: expected non-negative values"):
            fastloss.chamfer_distance(x[None], x[None], weights=[-1.0])
        with pytest.raises(ValueError, match=r"direction_weights: expected a pair"):
            fastloss.chamfer_distance(x, x, direction_weights=1.0)
        with pytest.raises(ValueError, match="k: expected a positive integer"):
            fastloss.nearest_neighbors(x, x, k=0)
        with pytest.raises(ValueError, match="p: expected one of 1, 2"):
            fastloss.nearest_neighbors(x, x, p=3)


# ---- threads and instruction sets ------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_results_identical_for_1_2_4_threads(method, dtype, rng):
    # big enough for the parallel gradient scatter: (P + Q) D >= 32768
    x, y = clouds(rng, 3, 6000, 5000, 3, dtype)
    kw = dict(x_lengths=[6000, 1000, 17], method=method, distance="l2")
    results = [fastloss.chamfer_distance_value_and_grad(x, y, num_threads=n, **kw)
               for n in (1, 2, 4)]
    for value, (gx, gy) in results[1:]:
        np.testing.assert_array_equal(value, results[0][0])
        np.testing.assert_array_equal(gx, results[0][1][0])
        np.testing.assert_array_equal(gy, results[0][1][1])
    found = [fastloss.nearest_neighbors(x, y, k=3, method=method, num_threads=n) for n in (1, 3)]
    np.testing.assert_array_equal(found[0][0], found[1][0])
    np.testing.assert_array_equal(found[0][1], found[1][1])


def test_every_instruction_set_agrees(dtype, rng):
    from fastloss import _core

    isas = _core.available_isas()
    x, y = clouds(rng, 2, 700, 900, 3, dtype)
    start = _core.current_isa()
    results = {}
    try:
        for isa in isas:
            assert _core._set_isa(isa)
            results[isa] = [fastloss.chamfer_distance_value_and_grad(x, y, method=m)
                            for m in METHODS]
    finally:
        _core._set_isa(start)
    for value_grads in results.values():
        for (value, (gx, gy)), (v0, (gx0, gy0)) in zip(value_grads, results["baseline"]):
            assert_close(value, np.float64(v0), dtype)
            assert_close(gx, gx0.astype(np.float64), dtype)
            assert_close(gy, gy0.astype(np.float64), dtype)


@pytest.mark.parametrize("single_directional", [False, True])
def test_reference_point_reduction_none_on_single_clouds(rng, single_directional):
    # the reference added a second batch axis to its own per-point terms and raised IndexError
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    kw = dict(point_reduction="none", batch_reduction="none",
              single_directional=single_directional)
    value, grads = fastloss.chamfer_distance_value_and_grad(x, y, **kw)
    want, wgrads = ref.chamfer_distance_value_and_grad(x, y, **kw)
    for got, expected in zip(value if isinstance(value, tuple) else (value,),
                             want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(got, expected, rtol=1e-13)
    # gradient of the sum of the terms: the same as of the "sum" reductions
    _, sum_grads = ref.chamfer_distance_value_and_grad(x, y, point_reduction="sum",
                                                       batch_reduction="sum",
                                                       single_directional=single_directional)
    for got, expected, summed in zip(grads, wgrads, sum_grads):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(expected, summed, rtol=1e-12, atol=1e-15)
