"""The examples in the public docstrings run and print what they claim."""

from __future__ import annotations

import doctest

import pytest

from fastloss import (
    _cross_entropy,
    _divergence,
    _focal,
    _metric,
    _metric_batch,
    _pointcloud,
    _regression,
    _rl,
    _segmentation,
    _sinkhorn,
    _transport,
    _wasserstein_1d,
)


@pytest.mark.parametrize("module", [_regression, _cross_entropy, _focal, _divergence, _rl,
                                    _segmentation, _pointcloud, _metric, _metric_batch,
                                    _transport, _wasserstein_1d, _sinkhorn],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
