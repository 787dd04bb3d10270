"""Options outside their domain are a ValueError naming them, never a NaN or a wrong loss."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss

_X = np.random.default_rng(0).normal(size=(6, 4))
_T = (np.random.default_rng(1).random((6, 4)) < 0.5).astype(float)
_LABELS = np.random.default_rng(2).integers(0, 4, 6)
_VOLUME = np.random.default_rng(3).normal(size=(1, 3, 4, 4))
_VOLUME_LABELS = np.random.default_rng(4).integers(0, 3, (1, 4, 4))

# each of these was accepted and gave NaN
CASES = {
    "focal gamma=inf": (lambda: fastloss.sigmoid_focal_loss(_X, _T, gamma=np.inf), "gamma"),
    "softmax focal gamma=inf": (
        lambda: fastloss.softmax_focal_loss(_X, _LABELS, gamma=np.inf), "gamma"),
    "dice smooth_nr=inf": (
        lambda: fastloss.dice_loss(_VOLUME, _VOLUME_LABELS, smooth_nr=np.inf), "smooth_nr"),
    "tversky smooth_dr=inf": (
        lambda: fastloss.tversky_loss(_VOLUME, _VOLUME_LABELS, smooth_dr=np.inf), "smooth_dr"),
    "policy gradient entropy_coef=inf": (
        lambda: fastloss.policy_gradient_loss(_X, _LABELS, np.ones(6), entropy_coef=np.inf),
        "entropy_coef"),
    "policy gradient entropy_coef=-inf": (
        lambda: fastloss.policy_gradient_loss(_X, _LABELS, np.ones(6), entropy_coef=-np.inf),
        "entropy_coef"),
    "triplet margin=inf": (
        lambda: fastloss.triplet_margin_loss(_X, _X + 1, _X - 1, margin=np.inf), "margin"),
    "triplet eps=inf": (lambda: fastloss.triplet_margin_loss(_X, _X + 1, _X - 1, eps=np.inf),
                        "eps"),
    "triplet p=-inf": (lambda: fastloss.triplet_margin_loss(_X, _X + 1, _X - 1, p=-np.inf), "p"),
    "margin ranking margin=inf": (
        lambda: fastloss.margin_ranking_loss(_X[:, 0], _X[:, 1], np.ones(6), margin=np.inf),
        "margin"),
    "contrastive margin=inf": (
        lambda: fastloss.contrastive_loss(_X, _X + 1, np.ones(6), margin=np.inf), "margin"),
    "huber delta=inf": (lambda: fastloss.huber_loss(_X, _T, delta=np.inf), "delta"),
    "distillation temperature=inf": (
        lambda: fastloss.distillation_kl(_X, _X + 1, temperature=np.inf), "temperature"),
}


@pytest.mark.parametrize("case", CASES)
def test_infinite_option_is_refused(case):
    call, option = CASES[case]
    with pytest.raises(ValueError, match=f"^{option}: expected a number in"):
        call()
