"""Thread control, and results bitwise identical for any thread count."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss

from ._cases import CASES


@pytest.mark.parametrize("case", CASES)
def test_results_identical_for_1_2_4_threads(case, dtype, rng):
    name, args, kwargs = CASES[case](rng, dtype)
    fn = getattr(fastloss, name + "_value_and_grad")
    results = [fn(*args, num_threads=n, **kwargs) for n in (1, 2, 4)]
    for value, grad in results[1:]:
        np.testing.assert_array_equal(value, results[0][0])
        np.testing.assert_array_equal(grad, results[0][1])
    # the unreduced losses too, where the loss has a reduction
    if name != "rse":
        per_item = [getattr(fastloss, name)(*args, num_threads=n, **dict(kwargs, reduction="none"))
                    for n in (1, 3)]
        np.testing.assert_array_equal(per_item[0], per_item[1])


def test_set_and_get_num_threads():
    default = fastloss.get_num_threads()
    assert isinstance(default, int)
    assert default >= 1
    try:
        fastloss.set_num_threads(3)
        assert fastloss.get_num_threads() == 3
        fastloss.set_num_threads(64)  # not clamped to the core count
        assert fastloss.get_num_threads() == 64
        assert fastloss.mse(np.ones(100_000), np.zeros(100_000)) == 1.0
    finally:
        fastloss.set_num_threads(None)
    assert fastloss.get_num_threads() == default


@pytest.mark.parametrize("bad", [0, -2])
def test_invalid_thread_counts(bad):
    with pytest.raises(ValueError, match="num_threads: expected a positive integer"):
        fastloss.mse(np.ones(3), np.ones(3), num_threads=bad)
    with pytest.raises(ValueError, match="num_threads: expected a positive integer"):
        fastloss.set_num_threads(bad)


def test_thread_count_type():
    with pytest.raises(TypeError, match="num_threads: expected a positive integer or None"):
        fastloss.cross_entropy(np.ones((2, 3)), [0, 1], num_threads=2.0)
    with pytest.raises(TypeError, match="num_threads"):
        fastloss.set_num_threads(True)


def test_has_openmp_is_bool():
    assert isinstance(fastloss.has_openmp(), bool)


@pytest.mark.parametrize("huge", [1025, 50_000, 100_000, 2**31 - 1])
def test_thread_counts_openmp_cannot_create_are_refused(huge):
    # each of these aborted or crashed the process inside libgomp
    with pytest.raises(ValueError, match="num_threads: expected at most 1024"):
        fastloss.mse(np.ones(3), np.ones(3), num_threads=huge)
    with pytest.raises(ValueError, match="num_threads: expected at most 1024"):
        fastloss.set_num_threads(huge)


def test_up_to_1024_threads_are_accepted():
    x = np.arange(100_000.0)
    assert fastloss.mse(x, np.zeros_like(x), num_threads=1024) == fastloss.mse(
        x, np.zeros_like(x), num_threads=1)
