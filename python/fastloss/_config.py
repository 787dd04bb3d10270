"""Thread control and build information."""

from __future__ import annotations

import numbers
import os

from . import _core

_default_threads: int | None = None


def has_openmp() -> bool:
    """Whether the native kernels were built with OpenMP (else every call runs on one thread)."""
    return bool(_core.has_openmp())


def set_num_threads(n: int | None) -> None:
    """Sets the thread count used when a call passes ``num_threads=None``.

    ``None`` restores OpenMP's default (all cores, or ``OMP_NUM_THREADS``). The value is not
    clamped to the core count. fastloss never calls ``omp_set_num_threads``: other OpenMP users
    in the process (NumPy's BLAS, PyTorch) are unaffected. When you already run one fastloss
    call per core from your own threads, pass ``num_threads=1`` to avoid oversubscription.
    """
    global _default_threads
    _default_threads = None if n is None else _check_threads(n)


def get_num_threads() -> int:
    """The thread count a call with ``num_threads=None`` uses."""
    if _default_threads is not None:
        return _default_threads
    return int(_core.default_num_threads())


def resolve_num_threads(num_threads: int | None) -> int:
    return get_num_threads() if num_threads is None else _check_threads(num_threads)


def _check_threads(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        msg = f"num_threads: expected a positive integer or None, got {type(n).__name__}"
        raise TypeError(msg)
    if n < 1:
        msg = f"num_threads: expected a positive integer or None, got {n}"
        raise ValueError(msg)
    return int(n)


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
