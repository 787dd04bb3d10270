"""`python -m fastloss.bench --contention`: every workload alone and beside busy processes.

A laptop, a CI runner or a DataLoader with workers rarely gives fastloss idle cores. Each
workload is timed on one thread and on the default thread count (the two in turns), first on
an idle machine, then beside `--busy N` processes that spin on the CPU. Target: beside a busy
process, the default is never more than 20% slower than one thread.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Callable

import fastloss

from ._harness import Report, ratio, time_interleaved
from .cases import Case


def _on_threads(fn: Callable[[], object], n: int) -> Callable[[], object]:
    def run() -> object:
        fastloss.set_num_threads(n)
        return fn()
    return run


def _time_both(case: Case, threads: int, repeat: int) -> tuple[float, float]:
    t = time_interleaved({"one": _on_threads(case.native, 1),
                          "default": _on_threads(case.native, threads)}, repeat=repeat, warmup=3)
    return t["one"].median_ms, t["default"].median_ms


def _busy_processes(count: int) -> list[subprocess.Popen]:
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    time.sleep(0.5)  # let them start spinning
    return procs


def contention_report(cases: list[Case], *, repeat: int, busy: int) -> Report:
    previous = fastloss._config._default_threads  # restored after: None means OpenMP's default
    default_threads = fastloss.get_num_threads()
    report = Report(
        f"alone and beside {busy} busy process(es): 1 thread and the default "
        f"({default_threads} threads), forward + gradient, median ms",
        ["loss", "shape", "alone 1T", f"alone {default_threads}T", "busy 1T",
         f"busy {default_threads}T", f"busy {default_threads}T / busy 1T",
         f"busy {default_threads}T / alone 1T"])
    try:
        alone = {id(c): _time_both(c, default_threads, repeat) for c in cases}
        procs = _busy_processes(busy)
        try:
            loaded = {id(c): _time_both(c, default_threads, repeat) for c in cases}
        finally:
            for p in procs:
                p.kill()
                p.wait()
    finally:
        fastloss.set_num_threads(previous)
    for c in cases:
        (a1, ad), (b1, bd) = alone[id(c)], loaded[id(c)]
        report.add(c.loss, c.shape, a1, ad, b1, bd, ratio(bd, b1), ratio(bd, a1))
    return report
