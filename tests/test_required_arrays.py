"""None for a required array is a TypeError naming the argument, for every public function."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import fastloss

_SCALARS = {  # keyword-only options without a default
    "sinkhorn": {"epsilon": 0.1},
    "discounted_returns": {"gamma": 0.9},
    "lambda_returns": {"gamma": 0.9, "lambda_": 0.9},
    "generalized_advantage_estimation": {"gamma": 0.9, "lambda_": 0.9},
    "n_step_returns": {"gamma": 0.9, "n": 2},
}


def _required_arrays():
    for name in fastloss.__all__:
        fn = getattr(fastloss, name)
        if isinstance(fn, type) or not callable(fn) or not (
                hasattr(fastloss.reference, name) or name == "emd_solve"):
            continue
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD]
        for i, p in enumerate(params):
            yield pytest.param(name, i, len(params), id=f"{name}-{p.name}")


@pytest.mark.parametrize(("name", "index", "count"), list(_required_arrays()))
def test_none_for_a_required_array_names_it(name, index, count):
    fn = getattr(fastloss, name)
    arg = list(inspect.signature(fn).parameters)[index]
    args = [None if j == index else np.ones((4, 3)) for j in range(count)]
    kwargs = _SCALARS.get(name.replace("_value_and_grad", ""), {})
    # it was a KeyError or AttributeError from deep inside, for most of them
    with pytest.raises(TypeError, match=f"^{arg}: expected"):
        fn(*args, **kwargs)
