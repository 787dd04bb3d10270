"""Process models: forked children, Python threads, threadpoolctl limits."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fastloss

from .portability_smoke import SMOKE_CASES

# Python 3.12+ warns on every fork of a process with threads (OpenMP's are alive here): that
# fork is exactly what is under test.
pytestmark = pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")


def _call(key: str, num_threads: int | None = None):
    name, args, kwargs = SMOKE_CASES[key](np.random.default_rng(11), np.float64)
    value, grad = getattr(fastloss, f"{name}_value_and_grad")(*args, num_threads=num_threads,
                                                              **kwargs)
    return value, grad


def _flatten(result) -> list[np.ndarray]:
    if isinstance(result, tuple):
        return [leaf for part in result for leaf in _flatten(part)]
    return [np.asarray(result)]


def _assert_bitwise_equal(got, want, key):
    got, want = _flatten(got), _flatten(want)
    assert len(got) == len(want), key
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w, err_msg=key)


def _child_results(keys: list[str]) -> dict:
    # num_threads=2 asked explicitly: the child must still not start OpenMP threads
    return {"threads": fastloss.get_num_threads(), "results": {k: _call(k, 2) for k in keys}}


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_child_computes_every_family_after_parent_ran_threads():
    keys = list(SMOKE_CASES)
    parent = {k: _call(k, 2) for k in keys}  # the parent's OpenMP threads are now started
    with multiprocessing.get_context("fork").Pool(2) as pool:
        # before the fix the child waited forever for its parent's threads: time out instead
        child = pool.apply_async(_child_results, (keys,)).get(timeout=120)
    assert child["threads"] == 1
    for key in keys:
        _assert_bitwise_equal(child["results"][key], parent[key], key)


def test_spawned_child_keeps_its_threads():
    if not fastloss.has_openmp() or fastloss.get_num_threads() < 2:
        pytest.skip("one thread here: nothing to keep")
    _call("mse", 2)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(fastloss.get_num_threads) == fastloss.get_num_threads()


def test_concurrent_calls_from_8_python_threads_match_serial_results():
    keys = list(SMOKE_CASES)
    serial = {k: _call(k, 2) for k in keys}
    barrier = threading.Barrier(8)

    def worker(i: int) -> dict:
        barrier.wait()  # all eight start together
        return {key: _call(key, 2) for key in keys[i:] + keys[:i]}  # each in another order

    with ThreadPoolExecutor(8) as pool:
        per_thread = [f.result() for f in [pool.submit(worker, i) for i in range(8)]]
    for results in per_thread:
        assert set(results) == set(keys)
        for key, result in results.items():
            _assert_bitwise_equal(result, serial[key], key)


def test_threadpoolctl_limit_is_honoured():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not fastloss.has_openmp():
        pytest.skip("built without OpenMP")
    fastloss.set_num_threads(None)
    full = fastloss.get_num_threads()
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert fastloss.get_num_threads() == 1
        limited = _call("cross_entropy")
    assert fastloss.get_num_threads() == full
    _assert_bitwise_equal(limited, _call("cross_entropy"), "cross_entropy")

