"""Timing harness shared by `python -m fastloss.bench` and the scripts in bench/.

Warm-up runs, then timed runs; medians and interquartile ranges; peak memory of one call
measured in a fresh process; a Markdown table for people and JSON for machines.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np


@dataclass
class Timing:
    median_ms: float
    iqr_ms: float
    runs: int


def time_call(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 2,
              min_seconds: float = 0.0) -> Timing:
    """Median and IQR (ms) of `repeat` calls after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return _timing(times)


def _timing(seconds: list[float]) -> Timing:
    q1, med, q3 = np.percentile(np.array(seconds) * 1e3, [25, 50, 75])
    return Timing(float(med), float(q3 - q1), len(seconds))


def time_interleaved(fns: dict[str, Callable[[], object]], *, repeat: int = 7,
                     warmup: int = 2) -> dict[str, Timing]:
    """Like time_call for several callables, run in turns (a, b, a, b, ...) so that a slow phase
    of the machine (on our VMs, first touches of large fresh arrays are at times ~10x slower for
    several calls in a row) hits every contender alike instead of whichever ran first."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: _timing(ts) for name, ts in times.items()}


_PEAK_PROBE = """
import os, resource, sys

def _current_and_reset():
    # Linux: reset the high-water mark (VmHWM) to the current RSS, so the next reading is the
    # peak of what follows only. Elsewhere ru_maxrss is a lifetime peak: an upper bound.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status("VmRSS")
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

def _peak():
    try:
        return _status("VmHWM")
    except OSError:
        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale

def _status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise OSError(key)
"""


def peak_memory_mib(setup: str, call: str) -> float | None:
    """Extra peak resident memory (MiB) of running `call` once, after `setup`, in a fresh
    Python process: the peak during the call minus the resident memory before it.
    None where the measurement fails."""
    code = "\n".join([
        _PEAK_PROBE,
        textwrap.dedent(setup),
        "before = _current_and_reset()",
        textwrap.dedent(call),
        "print((_peak() - before) / 2**20)",
    ])
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, timeout=600)
    except (subprocess.SubprocessError, OSError):
        return None
    return float(out.stdout.strip().splitlines()[-1])


def machine_info() -> dict:
    """What a reader needs to interpret the numbers."""
    import fastloss
    from fastloss import _core

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    commit = ""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
    except (subprocess.SubprocessError, OSError):
        pass
    return {
        "fastloss": fastloss.__version__,
        "commit": commit,
        "isa": _core.current_isa(),
        "openmp": fastloss.has_openmp(),
        "threads": fastloss.get_num_threads(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def bench_parser(doc: str, *, repeat: int, json_name: str | None) -> argparse.ArgumentParser:
    """The options every bench/ script takes: --repeat, --threads, --json."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--threads", type=int, default=None)
    default = None if json_name is None else os.path.join("bench", "results", json_name)
    parser.add_argument("--json", default=default)
    return parser


def start_bench(args: argparse.Namespace, peers: tuple[str, ...]) -> tuple[dict, dict]:
    """Sets the thread count (fastloss, torch, and OpenMP for peers imported afterwards),
    imports the peers that are installed (None for the others), and prints the machine with
    their versions. Returns (machine info, {peer name: module or None})."""
    import fastloss

    if args.threads:
        fastloss.set_num_threads(args.threads)
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # e.g. pykdtree, read at import
    modules: dict = {}
    for name in peers:
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            modules[name] = None
    if modules.get("torch") is not None:
        modules["torch"].set_num_threads(fastloss.get_num_threads())
    info = machine_info()
    for name in peers:
        try:
            info[name] = importlib.metadata.version(name) if modules[name] else None
        except importlib.metadata.PackageNotFoundError:  # a module named unlike its distribution
            info[name] = getattr(modules[name], "__version__", None)
    print("machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    return info, modules


@dataclass
class Report:
    """Rows of results, printed as Markdown and optionally saved as JSON."""

    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)

    def add(self, *row: object) -> None:
        self.rows.append(list(row))

    def markdown(self) -> str:
        def fmt(v: object) -> str:
            if v is None:
                return "-"
            if isinstance(v, float):
                return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
            return str(v)

        lines = [f"| {' | '.join(self.columns)} |", f"|{'|'.join('---' for _ in self.columns)}|"]
        lines += [f"| {' | '.join(fmt(v) for v in row)} |" for row in self.rows]
        return "\n".join(lines)

    def publish(self, path: str | None, info: dict) -> None:
        """Prints the table, and saves it as JSON where a path is given."""
        print(self.markdown())
        if path:
            self.save(os.path.abspath(path), info)

    def save(self, path: str, info: dict) -> None:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            json.dump({"title": self.title, "machine": info, "columns": self.columns,
                       "rows": self.rows}, f, indent=1, default=lambda o: asdict(o))


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b
