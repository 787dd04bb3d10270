"""Shared fixtures: a seeded generator and the float dtypes every kernel supports."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request) -> type:
    return request.param


@pytest.fixture(params=["none", "mean", "sum"])
def reduction(request) -> str:
    return request.param


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=15,
                     help="hypothesis examples per function and property in tests/test_fuzz.py "
                          "(default 15; e.g. 2000 for a long run)")
