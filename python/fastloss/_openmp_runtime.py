"""Loads the native module with GNU OpenMP's idle threads tuned for shared machines.

After each parallel region, libgomp's idle threads spin (by default 300,000 rounds: milliseconds)
before they sleep, so that the next region starts without a wake-up. Beside a busy process on the
same cores that spinning takes the core the neighbour needs, the scheduler answers by parking one
of our threads for a time slice, and a 0.3 ms call takes 6-8 ms. A short spin (tens of
microseconds) keeps back-to-back calls as fast and gives the core back soon after. libgomp reads
the setting once, when it loads: it is set only while the native module is imported (so child
processes do not inherit it), and never over a user's own GOMP_SPINCOUNT or OMP_WAIT_POLICY.
It acts on the libgomp the wheel bundles; a libgomp that another module loaded first keeps its
own setting.
"""

from __future__ import annotations

import os

SPIN_COUNT = "1000"


def import_core():
    if "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ:
        from . import _core
        return _core
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        from . import _core
    finally:
        del os.environ["GOMP_SPINCOUNT"]
    return _core
