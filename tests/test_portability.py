"""One wheel for every x86-64 CPU: dispatch asks the CPU first, every path agrees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from fastloss import _core

from . import portability_smoke

# What a user on a CPU without AVX-512 runs first. valgrind's emulated CPU has AVX2 at most, so
# this fails with SIGILL if any code of a richer instruction set runs before the CPU is asked.
_FIRST_CALLS = ("import numpy as np, fastloss; info = fastloss.show_config(); "
                "assert fastloss.mse(np.arange(1e5), np.zeros(100000), num_threads=2) > 0; "
                "print('isa', info['isa'])")


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_first_calls_on_an_emulated_cpu_without_avx512():
    out = subprocess.run(["valgrind", "-q", "--tool=none", os.path.realpath(sys.executable),
                          "-c", _FIRST_CALLS], capture_output=True, text=True, check=False,
                         env={k: v for k, v in os.environ.items() if k != "FASTLOSS_CPU_DISPATCH"})
    assert out.returncode == 0, out.stdout + out.stderr
    isa = out.stdout.split("isa ")[-1].strip()
    assert isa in ("avx2", "baseline"), out.stdout


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_forcing_a_table_the_cpu_lacks_warns_and_falls_back():
    env = dict(os.environ, FASTLOSS_CPU_DISPATCH="avx512")
    code = "import fastloss; print('isa', fastloss._core.current_isa())"
    out = subprocess.run(["valgrind", "-q", "--tool=none", os.path.realpath(sys.executable),
                          "-c", code], capture_output=True, text=True, check=False, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "FASTLOSS_CPU_DISPATCH='avx512': this CPU or build cannot run it" in out.stderr
    assert out.stdout.split("isa ")[-1].strip() in ("avx2", "baseline")


def test_smoke_agrees_with_the_reference_on_every_instruction_set():
    assert portability_smoke.run(dtypes=(np.float64,)) == list(
        _core.available_isas())


@pytest.mark.parametrize("value", ["AVX2", "sse9"])
def test_unknown_dispatch_name_warns_with_the_valid_names(value):
    env = dict(os.environ, FASTLOSS_CPU_DISPATCH=value)
    out = subprocess.run([sys.executable, "-c", "import fastloss"], env=env,
                         capture_output=True, text=True, check=True)
    assert f"FASTLOSS_CPU_DISPATCH={value!r} is not one of" in out.stderr
    assert "'baseline', 'avx2', 'avx512'" in out.stderr


def test_valid_dispatch_name_does_not_warn():
    env = dict(os.environ, FASTLOSS_CPU_DISPATCH="baseline")
    out = subprocess.run([sys.executable, "-W", "error", "-c",
                          "import fastloss; print(fastloss._core.current_isa())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "baseline"
    assert out.stderr == ""


def test_valgrind_log_filter_keeps_only_fastloss_errors():
    log = ("==1== Conditional jump or move depends on uninitialised value(s)\n"
           "==1==    at 0x1: maybe_small_long (longobject.c:71)\n==1== \n"
           "==1== Invalid read of size 8\n"
           "==1==    at 0x2: fastloss::avx2::chamfer (in /x/_core.cpython-311.so)\n==1== \n")
    errors = portability_smoke._valgrind_errors_in_fastloss(log)
    assert len(errors) == 1
    assert "Invalid read" in errors[0]
