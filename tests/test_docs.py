"""The examples in the public docstrings run and print what they claim."""

from __future__ import annotations

import doctest

import pytest

import fastloss
from fastloss.classification import _cross_entropy, _divergence, _focal
from fastloss.metric import _batch, _pairs
from fastloss.pointcloud import _chamfer
from fastloss.regression import _losses as _regression
from fastloss.rl import _losses as _rl_losses
from fastloss.rl import _scans
from fastloss.segmentation import _overlap
from fastloss.transport import _emd, _sinkhorn, _wasserstein_1d


@pytest.mark.parametrize("module", [_regression, _cross_entropy, _focal, _divergence, _scans,
                                    _rl_losses, _overlap, _chamfer, _pairs, _batch, _emd,
                                    _wasserstein_1d, _sinkhorn],
                         ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_every_loss_states_its_nan_policy():
    # one sentence per family, in the Notes of each loss (help() shows it)
    import fastloss._docs as docs

    losses = [n for n in fastloss.__all__ if n + "_value_and_grad" in fastloss.__all__]
    assert len(losses) >= 30
    for name in losses:
        doc = getattr(fastloss, name).__doc__
        notes = doc[doc.index("Notes\n    -----"):]
        assert "NaN and inf:" in notes, name
        assert sum(" ".join(s.split()) in " ".join(notes.split())
                   for s in docs.NAN_POLICY.values()) == 1, name
