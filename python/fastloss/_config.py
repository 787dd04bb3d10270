"""Thread control and build information."""

from __future__ import annotations

import numbers
import os
import warnings

from . import _core

# The most threads a call may ask for: far above any CPU's core count, far below what an OS lets
# one process create (GNU OpenMP aborts the process when it cannot create a thread).
MAX_THREADS = 1024

# The names FASTLOSS_CPU_DISPATCH accepts, in cpp/src/dispatch.cpp's spelling.
DISPATCH_NAMES = ("baseline", "avx2", "avx512")

_default_threads: int | None = None

# GNU OpenMP cannot restart its worker threads in a process forked after it started them: a
# parallel region in the child waits for them forever. A child forked after fastloss ran a
# threaded call (multiprocessing's default "fork" start method, PyTorch's DataLoader workers)
# therefore runs every call on one thread; results do not depend on the thread count.
_threads_started = False
_forked_after_threads = False


def _after_fork_in_child() -> None:
    global _forked_after_threads
    _forked_after_threads = _forked_after_threads or _threads_started


if hasattr(os, "register_at_fork"):  # absent on Windows, which has no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def has_openmp() -> bool:
    """Whether the native kernels were built with OpenMP (else every call runs on one thread)."""
    return bool(_core.has_openmp())


def set_num_threads(n: int | None) -> None:
    """Sets the thread count used when a call passes ``num_threads=None``.

    ``None`` restores OpenMP's default (all cores, or ``OMP_NUM_THREADS``). The value is not
    clamped to the core count; more than 1024 is refused (OpenMP would abort the process when
    it cannot create the threads). fastloss never calls ``omp_set_num_threads``: other OpenMP
    users in the process (NumPy's BLAS, PyTorch) are unaffected. When you already run one fastloss
    call per core from your own threads, pass ``num_threads=1`` to avoid oversubscription.
    """
    global _default_threads
    _default_threads = None if n is None else _check_threads(n)


def get_num_threads() -> int:
    """The thread count a call with ``num_threads=None`` uses.

    1 in a process forked after fastloss ran threaded calls (see ``resolve_num_threads``).
    """
    if _forked_after_threads:
        return 1
    if _default_threads is not None:
        return _default_threads
    return int(_core.default_num_threads())


def resolve_num_threads(num_threads: int | None) -> int:
    """The thread count a call runs on: ``num_threads``, else the default (1 while recent
    threaded calls showed the machine busy); 1 in a process forked after fastloss ran threaded
    calls, whatever was asked (OpenMP would hang there)."""
    global _threads_started
    if num_threads is None:
        n = get_num_threads()
        if n > 1 and _core.threads_contended():
            n = 1  # the machine is busy: see cpp/include/fastloss/common/contention.hpp
    else:
        n = _check_threads(num_threads)
    if n > 1:
        if _forked_after_threads:
            return 1
        _threads_started = True
    return n


def _check_threads(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        msg = f"num_threads: expected a positive integer or None, got {type(n).__name__}"
        raise TypeError(msg)
    if n < 1:
        msg = f"num_threads: expected a positive integer or None, got {n}"
        raise ValueError(msg)
    if n > MAX_THREADS:
        msg = (f"num_threads: expected at most {MAX_THREADS} (OpenMP aborts the process when "
               f"it cannot create a thread), got {n}")
        raise ValueError(msg)
    return int(n)


def check_dispatch_environment() -> None:
    """Warns when FASTLOSS_CPU_DISPATCH names no kernel table, or one this CPU cannot run.

    The native dispatcher then falls back to the best table the CPU runs; a silent fallback
    would leave a user believing they test a path they do not.
    """
    wanted = os.environ.get("FASTLOSS_CPU_DISPATCH", "")
    if not wanted:
        return
    if wanted not in DISPATCH_NAMES:
        msg = (f"FASTLOSS_CPU_DISPATCH={wanted!r} is not one of "
               f"{', '.join(map(repr, DISPATCH_NAMES))}; it is ignored and fastloss uses "
               f"{_core.current_isa()!r}")
        warnings.warn(msg, RuntimeWarning, stacklevel=3)
    elif wanted not in _core.available_isas():
        msg = (f"FASTLOSS_CPU_DISPATCH={wanted!r}: this CPU or build cannot run it "
               f"(available: {', '.join(_core.available_isas())}); fastloss uses "
               f"{_core.current_isa()!r}")
        warnings.warn(msg, RuntimeWarning, stacklevel=3)


def show_config() -> dict:
    """Version, OpenMP, thread count and the instruction set in use, as a dict (also printed)."""
    from . import __version__

    info = {
        "version": __version__,
        "openmp": has_openmp(),
        "num_threads": get_num_threads(),
        "isa": _core.current_isa(),
        "available_isas": list(_core.available_isas()),
        "FASTLOSS_CPU_DISPATCH": os.environ.get("FASTLOSS_CPU_DISPATCH", ""),
    }
    for key, value in info.items():
        print(f"{key:>22}: {value}")
    return info
