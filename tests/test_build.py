"""The installed build: metadata, OpenMP flag, instruction-set dispatch, reference isolation."""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import fastloss
from fastloss import _core

from ._cases import CASES
from ._helpers import assert_close


def test_version_matches_metadata():
    assert fastloss.__version__ == importlib.metadata.version("fastloss")
    assert _core.__version__ == fastloss.__version__


def test_public_names_exported():
    for name in fastloss.__all__:
        assert hasattr(fastloss, name), name
    for name in [n for n in fastloss.__all__ if n.endswith("_value_and_grad")]:
        base = name[: -len("_value_and_grad")]
        assert base in fastloss.__all__
        assert hasattr(fastloss.reference, base)
        assert hasattr(fastloss.reference, name)


def test_reference_has_the_same_signatures():
    for name in [n for n in fastloss.__all__ if callable(getattr(fastloss, n))
                 and hasattr(fastloss.reference, n)]:
        public = inspect.signature(getattr(fastloss, name))
        reference = inspect.signature(getattr(fastloss.reference, name))
        assert list(public.parameters) == list(reference.parameters), name
        for p, r in zip(public.parameters.values(), reference.parameters.values()):
            assert (p.kind, p.default) == (r.kind, r.default), (name, p.name)


def test_show_config(capsys):
    info = fastloss.show_config()
    assert info["version"] == fastloss.__version__
    assert info["isa"] in info["available_isas"]
    assert info["openmp"] is fastloss.has_openmp()
    assert "isa" in capsys.readouterr().out


def test_reference_never_imports_core():
    root = pathlib.Path(fastloss.reference.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert "_core" not in module, (path.name, module)
                assert node.level <= 1, (path.name, module)
                assert all(alias.name != "_core" for alias in node.names), path.name
            elif isinstance(node, ast.Import):
                assert all("fastloss" not in alias.name for alias in node.names), path.name


@pytest.mark.parametrize("case", CASES)
def test_every_instruction_set_agrees(case, dtype, rng):
    isas = _core.available_isas()
    if len(isas) < 2:
        pytest.skip("only the baseline kernels exist on this machine")
    name, args, kwargs = CASES[case](rng, dtype)
    fn = getattr(fastloss, name + "_value_and_grad")
    start = _core.current_isa()
    results = {}
    try:
        for isa in isas:
            assert _core._set_isa(isa)
            results[isa] = fn(*args, **kwargs)
    finally:
        _core._set_isa(start)
    base_value, base_grad = results["baseline"]
    for value, grad in results.values():
        assert_close(value, np.float64(base_value), dtype)
        assert_close(grad, base_grad.astype(np.float64), dtype)


def test_stub_matches_runtime(tmp_path):
    """The shipped _core.pyi describes the built module (mypy stubtest, as pykdtree does)."""
    pytest.importorskip("mypy.stubtest")
    config = tmp_path / "mypy.ini"
    # float32 and float64 overloads return different array types: mypy calls that an overlap
    config.write_text("[mypy]\ndisable_error_code = overload-overlap\n")
    # pybind11 marks its native enums with an attribute no stub declares
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("fastloss\\._core\\.\\w+\\.__pybind11_native_enum__\n")
    out = subprocess.run([sys.executable, "-m", "mypy.stubtest", "fastloss._core",
                          "--mypy-config-file", str(config), "--allowlist", str(allowlist)],
                         capture_output=True, text=True, cwd=tmp_path, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_unknown_isa_is_refused():
    assert _core._set_isa("sse9") is False


def test_dispatch_environment_variable_forces_baseline():
    env = dict(os.environ, FASTLOSS_CPU_DISPATCH="baseline")
    out = subprocess.run([sys.executable, "-c", "import fastloss._core as c; print(c.current_isa())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "baseline"
