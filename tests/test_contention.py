"""A busy machine: threaded calls notice it, and calls with the default thread count go serial."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

import fastloss
from fastloss import _config, _core


@pytest.fixture
def busy_cores():
    """One spinning process per core: every thread of ours has to share a core."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
             for _ in range(os.cpu_count() or 2)]
    time.sleep(0.3)
    yield
    for p in procs:
        p.kill()
        p.wait()


def test_busy_machine_makes_default_calls_serial(busy_cores):
    if not fastloss.has_openmp():
        pytest.skip("built without OpenMP")
    x = np.random.default_rng(3).normal(size=1_000_000)
    y = np.zeros_like(x)
    want = fastloss.mse_value_and_grad(x, y, num_threads=1)
    fastloss.set_num_threads(2)
    try:
        seen = False
        deadline = time.monotonic() + 20.0
        while not seen and time.monotonic() < deadline:
            got = fastloss.mse_value_and_grad(x, y)
            np.testing.assert_array_equal(got[1], want[1])
            assert got[0] == want[0]
            seen = _core.threads_contended()
        assert seen, "threaded calls beside busy processes never noticed them"
        assert _config.resolve_num_threads(None) == 1  # the default goes serial for a while
        assert _config.resolve_num_threads(2) == 2  # an explicit count is kept
    finally:
        fastloss.set_num_threads(None)
