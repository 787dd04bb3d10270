"""One call of every public function, checked against the NumPy reference, on every kernel table.

Run under valgrind (``python -m tests.portability_smoke --valgrind``), whose emulated CPU has no
AVX-512: a path that executes an instruction the CPU lacks dies with SIGILL, and a memory error in
the native code is reported, however the host running it is equipped. Without ``--valgrind`` it
runs in this process (the suite does that, so the script cannot rot).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

import fastloss
from fastloss import _core, reference

from ._cases import CASES


def _jaccard(rng, dtype):  # softmax over labels
    x = (2 * rng.normal(size=(2, 3, 17, 19))).astype(dtype)
    return "jaccard_loss", (x, rng.integers(0, 3, size=(2, 17, 19))), {}


def _tversky(rng, dtype):  # sigmoid over soft targets
    x = (2 * rng.normal(size=(2, 2, 31, 7))).astype(dtype)
    return "tversky_loss", (x, rng.random(x.shape).astype(dtype)), dict(
        activation="sigmoid", alpha=0.3, beta=0.7)


def _chamfer(method):
    def make(rng, dtype):
        x = rng.normal(size=(2, 300, 3)).astype(dtype)
        y = rng.normal(size=(2, 257, 3)).astype(dtype)
        return "chamfer_distance", (x, y), dict(method=method, y_lengths=[257, 200])
    return make


def _emd(rng, dtype):  # uniform masses of equal counts: the shortest-path solver
    return "emd", (rng.normal(size=(40, 2)).astype(dtype),
                   rng.normal(size=(40, 2)).astype(dtype)), {}


def _emd_from_cost(rng, dtype):  # unequal masses: the network simplex
    a, b = rng.random(30) + 0.1, rng.random(45) + 0.1
    return "emd_from_cost", (rng.random((30, 45)).astype(dtype), a, b * a.sum() / b.sum()), {}


def _wasserstein_1d(rng, dtype):
    return "wasserstein_1d", (rng.normal(size=200).astype(dtype),
                              rng.normal(size=150).astype(dtype)), dict(p=2.0)


def _sinkhorn(rng, dtype):
    return "sinkhorn", (rng.normal(size=(50, 2)).astype(dtype),
                        rng.normal(size=(60, 2)).astype(dtype)), dict(epsilon=0.5)


def _triplet(rng, dtype):
    a, p, n = (rng.normal(size=(257, 16)).astype(dtype) for _ in range(3))
    return "triplet_margin_loss", (a, p, n), dict(margin=1.0, swap=True)


def _contrastive(rng, dtype):
    x1, x2 = (rng.normal(size=(257, 16)).astype(dtype) for _ in range(2))
    return "contrastive_loss", (x1, x2, rng.integers(0, 2, 257)), dict(margin=4.0)


def _angular(rng, dtype):
    a, p, n = (rng.normal(size=(129, 8)).astype(dtype) for _ in range(3))
    return "angular_loss", (a, p, n), dict(alpha=40.0)


def _margin_ranking(rng, dtype):
    x1, x2 = (rng.normal(size=1000).astype(dtype) for _ in range(2))
    return "margin_ranking_loss", (x1, x2, rng.choice([-1.0, 1.0], 1000)), dict(margin=0.1)


def _batch(name, **kw):
    def make(rng, dtype):
        return name, (rng.normal(size=(96, 12)).astype(dtype), rng.integers(0, 6, 96)), kw
    return make


def _scan(name, with_values, **kw):
    def make(rng, dtype):
        rewards = rng.normal(size=(64, 5)).astype(dtype)
        dones = (rng.random((64, 5)) < 0.1).astype(dtype)
        if with_values:
            args = (rewards, rng.normal(size=(64, 5)).astype(dtype), dones)
        else:
            args = (rewards, dones)
        return name, args, dict(gamma=0.97, **kw)
    return make


SMOKE_CASES = {
    **CASES,
    "jaccard_loss": _jaccard,
    "tversky_loss": _tversky,
    "chamfer_distance_brute": _chamfer("brute"),
    "chamfer_distance_kdtree": _chamfer("kdtree"),
    "emd": _emd,
    "emd_from_cost": _emd_from_cost,
    "wasserstein_1d": _wasserstein_1d,
    "sinkhorn": _sinkhorn,
    "triplet_margin_loss": _triplet,
    "contrastive_loss": _contrastive,
    "angular_loss": _angular,
    "margin_ranking_loss": _margin_ranking,
    "batch_triplet_loss": _batch("batch_triplet_loss", mining="semihard", margin=0.5),
    "batch_contrastive_loss": _batch("batch_contrastive_loss", margin=4.0),
    "batch_angular_loss": _batch("batch_angular_loss"),
    "discounted_returns": _scan("discounted_returns", False),
    "lambda_returns": _scan("lambda_returns", True, lambda_=0.9),
    "generalized_advantage_estimation": _scan("generalized_advantage_estimation", True,
                                              lambda_=0.9),
    "n_step_returns": _scan("n_step_returns", True, n=3),
}


def _assert_close(name, native, expected, dtype):
    rtol, atol = (2e-4, 1e-5) if dtype == np.float32 else (1e-7, 1e-10)
    if isinstance(expected, tuple):
        assert isinstance(native, tuple), name
        assert len(native) == len(expected), name
        for got, want in zip(native, expected):
            _assert_close(name, got, want, dtype)
        return
    np.testing.assert_allclose(np.asarray(native, np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol, err_msg=name)


def check_case(key: str, dtype, rng: np.random.Generator) -> None:
    """fastloss.<name>_value_and_grad against reference.<name>_value_and_grad, on 2 threads."""
    name, args, kwargs = SMOKE_CASES[key](rng, dtype)
    native = getattr(fastloss, f"{name}_value_and_grad")(*args, num_threads=2, **kwargs)
    expected = getattr(reference, f"{name}_value_and_grad")(*args, **kwargs)
    _assert_close(key, native, expected, dtype)


def check_nearest_neighbors(rng: np.random.Generator) -> None:
    x, y = rng.normal(size=(500, 3)), rng.normal(size=(300, 3))
    for method in ("brute", "kdtree"):
        dist, idx = fastloss.nearest_neighbors(x, y, k=3, method=method, num_threads=2)
        want_dist, want_idx = reference.nearest_neighbors(x, y, k=3)
        np.testing.assert_allclose(dist, want_dist, rtol=1e-12, err_msg=method)
        np.testing.assert_array_equal(idx, want_idx, err_msg=method)


def run(dtypes=(np.float64, np.float32), verbose: bool = False) -> list[str]:
    """Every smoke case on every kernel table this CPU runs; returns the tables it ran."""
    start = _core.current_isa()
    isas = list(_core.available_isas())
    try:
        for isa in isas:
            assert _core._set_isa(isa), isa
            for dtype in dtypes:
                for key in SMOKE_CASES:
                    check_case(key, dtype, np.random.default_rng(7))
            check_nearest_neighbors(np.random.default_rng(7))
            if verbose:
                print(f"{isa}: {len(SMOKE_CASES) + 1} functions agree with the reference",
                      flush=True)
    finally:
        _core._set_isa(start)
    return isas


# An error record of valgrind whose stack passes through the native module.
_OURS = re.compile(r"_core\.|fastloss::")


def _valgrind_errors_in_fastloss(log: str) -> list[str]:
    records = re.split(r"\n==\d+== \n", log)
    return [r for r in records if _OURS.search(r) and re.search(r"==\d+== \S", r)]


def run_under_valgrind() -> int:
    """Runs this script under valgrind's memcheck; non-zero on a crash or a memory error in
    fastloss's code (CPython's own reports outside it are ignored)."""
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "valgrind.log")
        env = dict(os.environ, PYTHONMALLOC="malloc")  # memcheck sees every allocation
        env.pop("FASTLOSS_CPU_DISPATCH", None)  # dispatch as on a CPU without AVX-512
        command = ["valgrind", "--error-limit=no", f"--log-file={log_path}",
                   # the interpreter itself (sys.executable may be a shim that execs it)
                   os.path.realpath(sys.executable), "-m", "tests.portability_smoke"]
        done = subprocess.run(command, env=env, check=False)
        with open(log_path) as f:
            log = f.read()
    ours = _valgrind_errors_in_fastloss(log)
    for record in ours:
        print(record, file=sys.stderr)
    if done.returncode != 0:
        print(log[-4000:], file=sys.stderr)
        print(f"valgrind run failed with exit code {done.returncode}", file=sys.stderr)
        return 1
    if ours:
        print(f"valgrind: {len(ours)} errors in fastloss's code", file=sys.stderr)
        return 1
    print("valgrind: no errors in fastloss's code")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--valgrind", action="store_true", help="run this script under valgrind")
    args = parser.parse_args(argv)
    if args.valgrind:
        return run_under_valgrind()
    fastloss.show_config()
    run(verbose=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
