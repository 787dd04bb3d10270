"""Tolerances, comparison and a central-difference gradient check."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Callable

import numpy as np

# (rtol, atol relative to the largest magnitude compared): float32 kernels compute element-wise
# in float32 and accumulate in double; float64 kernels differ from NumPy only by rounding.
TOLERANCES = {np.dtype(np.float32): (2e-5, 2e-6), np.dtype(np.float64): (1e-11, 1e-13)}

# Shapes that exercise the corner cases of the blocked loops: one element, odd sizes, sizes
# that are not multiples of any block, and inputs big enough that the threaded path runs.
ELEMENTWISE_SHAPES = [(1,), (7,), (3, 5), (2, 3, 4), (40_009,)]


def assert_close(actual, desired, dtype, *, scale: float | None = None, rtol=None, atol=None):
    """Compares a native result (of `dtype`) with a float64 reference."""
    actual = np.asarray(actual)
    desired = np.asarray(desired, dtype=np.float64)
    assert actual.shape == desired.shape, (actual.shape, desired.shape)
    base_rtol, base_atol = TOLERANCES[np.dtype(dtype)]
    if scale is None:
        finite = desired[np.isfinite(desired)]
        scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    np.testing.assert_allclose(actual.astype(np.float64), desired,
                               rtol=base_rtol if rtol is None else rtol,
                               atol=(base_atol if atol is None else atol) * scale)


def numerical_grad(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of a scalar function of a float64 array, element by element."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = float(f(x))
        flat[i] = old - h
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


def check_grad(value_fn: Callable[[np.ndarray], object], grad: np.ndarray, x: np.ndarray,
               weights: np.ndarray | None = None, rtol: float = 1e-6, atol: float = 1e-7) -> None:
    """Asserts `grad` is the gradient of sum(weights * value_fn(x)) at x (float64)."""

    def total(z: np.ndarray) -> float:
        v = np.asarray(value_fn(z), dtype=np.float64)
        return float((v * weights).sum()) if weights is not None else float(v.sum())

    np.testing.assert_allclose(grad, numerical_grad(total, x), rtol=rtol, atol=atol)


@contextlib.contextmanager
def instruction_set(name: str) -> Iterator[None]:
    """Runs the block on one instruction set's kernels (fastloss otherwise picks the best)."""
    from fastloss import _core

    start = _core.current_isa()
    assert _core._set_isa(name)
    try:
        yield
    finally:
        _core._set_isa(start)
