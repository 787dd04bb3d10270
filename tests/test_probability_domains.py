"""Arguments documented as probabilities or masses refuse values outside their domain.

A ValueError names the argument and, where a different option was probably meant, says which
(``log_input=True``, ``activation='softmax'``). NaN is not outside a domain: it propagates.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
import fastloss.reference as ref

_RNG = np.random.default_rng(0)
_Q = _RNG.dirichlet(np.ones(6), 5)
_P = _RNG.dirichlet(np.ones(6), 5)
_LOGITS = _RNG.normal(size=(5, 6))
_VOLUME = _RNG.dirichlet(np.ones(3), (2, 4, 4)).transpose(0, 3, 1, 2).copy()  # (2, 3, 4, 4)
_VOLUME_LABELS = _RNG.integers(0, 3, (2, 4, 4))

OVERLAP_LOSSES = ["dice_loss", "jaccard_loss", "tversky_loss", "focal_tversky_loss",
                  "generalized_dice_loss"]
DTYPES = [np.float64, np.float32]


def _both(name):
    """The value function and the value-and-gradient function of one loss."""
    return [getattr(fastloss, name), getattr(fastloss, name + "_value_and_grad")]


# ---- KL divergence ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", _both("kl_divergence"))
@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_log_probabilities_as_input_name_log_input(fn, dtype):
    # PyTorch's habit: kl_div(log q, p). It gave NaN.
    with pytest.raises(ValueError, match=r"^input: expected probabilities in \[0, 1\]; .*"
                                         r"log_input=True"):
        fn(np.log(_Q).astype(dtype), _P.astype(dtype))


@pytest.mark.parametrize("fn", _both("kl_divergence"))
def test_kl_negative_target_names_target(fn):
    target = _P.copy()
    target[2, 3] = -0.25
    with pytest.raises(ValueError, match=r"^target: expected probabilities in \[0, 1\]; .*"
                                         r"log_target=True"):
        fn(_Q, target)


@pytest.mark.parametrize("fn", _both("kl_divergence"))
def test_kl_input_is_named_before_target(fn):
    with pytest.raises(ValueError, match=r"^input:"):
        fn(_Q + 1.0, _P + 1.0)


@pytest.mark.parametrize("fn", _both("kl_divergence"))
def test_kl_positive_log_probabilities_are_refused(fn):
    with pytest.raises(ValueError, match=r"^input: expected log-probabilities \(<= 0\)"):
        fn(_Q, _P, log_input=True)  # probabilities given where log-probabilities were promised
    with pytest.raises(ValueError, match=r"^target: expected log-probabilities \(<= 0\)"):
        fn(_Q, _P, log_target=True)


def test_kl_domain_edges_are_accepted():
    # 0 and 1 are probabilities; -inf and 0 are log-probabilities
    q = np.array([[0.0, 1.0], [0.5, 0.5]])
    p = np.array([[0.0, 1.0], [1.0, 0.0]])
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    expected = ref.kl_divergence(q, p)
    np.testing.assert_allclose(fastloss.kl_divergence(q, p), expected, rtol=1e-12)
    np.testing.assert_allclose(fastloss.kl_divergence(q, log_p, log_target=True), expected,
                               rtol=1e-12)
    assert expected == pytest.approx(np.log(2.0) / 4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_nan_propagates_rather_than_raising(dtype):
    q = _Q.astype(dtype)
    q[1, 1] = np.nan
    value, grad = fastloss.kl_divergence_value_and_grad(q, _P.astype(dtype), reduction="none")
    assert np.isnan(value[1, 1])
    assert np.isnan(grad[1, 1])
    assert np.isfinite(np.delete(value.ravel(), 7)).all()


def test_kl_check_runs_in_every_thread_block():
    # a bad value far from the start, in a call big enough to be split across threads
    q = np.full(300_000, 0.5)
    q[-1] = 1.5
    with pytest.raises(ValueError, match=r"^input:"):
        fastloss.kl_divergence(q, np.full(300_000, 0.5), num_threads=2)


# ---- cross-entropy with probability targets ----------------------------------------------------

@pytest.mark.parametrize("fn", _both("cross_entropy"))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [-1e-3, 1.5])
def test_cross_entropy_probability_targets_outside_unit_interval(fn, dtype, bad):
    targets = _P.astype(dtype)
    targets[4, 0] = bad
    with pytest.raises(ValueError, match=r"^labels_or_probs: expected values in \[0, 1\]"):
        fn(_LOGITS.astype(dtype), targets)


def test_cross_entropy_probability_targets_need_not_sum_to_one():
    # as in PyTorch: any targets in [0, 1], e.g. multi-label rows, are accepted and weighted
    targets = (_RNG.random((5, 6)) < 0.5).astype(float)
    value, grad = fastloss.cross_entropy_value_and_grad(_LOGITS, targets)
    want_value, want_grad = ref.cross_entropy_value_and_grad(_LOGITS, targets)
    np.testing.assert_allclose(value, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-10, atol=1e-15)
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(_LOGITS),
                                                 torch.from_numpy(targets))
    np.testing.assert_allclose(value, expected.item(), rtol=1e-12)


def test_cross_entropy_nan_target_propagates():
    targets = _P.copy()
    targets[0, 0] = np.nan
    value = fastloss.cross_entropy(_LOGITS, targets, reduction="none")
    assert np.isnan(value[0])
    assert np.isfinite(value[1:]).all()


# ---- overlap losses on probabilities (activation=None) ------------------------------------------

@pytest.mark.parametrize("name", OVERLAP_LOSSES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [-0.5, 1.0 + 1e-3])
def test_overlap_losses_refuse_probabilities_outside_unit_interval(name, dtype, bad):
    volume = _VOLUME.astype(dtype)
    volume[1, 2, 3, 3] = bad
    for fn in _both(name):
        with pytest.raises(ValueError, match=r"^logits_or_probs: expected probabilities in "
                                             r"\[0, 1\] with activation=None; .*'softmax'"):
            fn(volume, _VOLUME_LABELS, activation=None)
        # the same values as logits are fine: the activation maps them into [0, 1]
        value = fn(volume, _VOLUME_LABELS)
        assert np.isfinite(value if np.isscalar(value) else value[0])


@pytest.mark.parametrize("name", OVERLAP_LOSSES)
def test_overlap_losses_refuse_bad_probabilities_with_dense_targets(name):
    onehot = np.eye(3)[_VOLUME_LABELS].transpose(0, 3, 1, 2)
    with pytest.raises(ValueError, match=r"^logits_or_probs:"):
        getattr(fastloss, name)(_VOLUME * 3.0, onehot, activation=None)


def test_overlap_label_errors_come_before_probability_errors():
    labels = _VOLUME_LABELS.copy()
    labels[0, 0, 0] = 7
    with pytest.raises(ValueError, match=r"^targets:"):
        fastloss.dice_loss(_VOLUME * 3.0, labels, activation=None)


def test_overlap_probability_edges_are_accepted():
    onehot = np.eye(3)[_VOLUME_LABELS].transpose(0, 3, 1, 2).copy()
    # a perfect prediction given as probabilities 0 and 1: Dice loss 0
    assert fastloss.dice_loss(onehot, _VOLUME_LABELS, activation=None, smooth_nr=0,
                              smooth_dr=0) == pytest.approx(0.0, abs=1e-15)


def test_overlap_nan_probability_propagates():
    volume = _VOLUME.copy()
    volume[0, 1, 0, 0] = np.nan
    value = fastloss.dice_loss(volume, _VOLUME_LABELS, activation=None, reduction="none")
    assert np.isnan(value[0, 1])
    assert np.isfinite(value[1]).all()


# ---- transport masses ---------------------------------------------------------------------------

_X = _RNG.normal(size=(4, 2))
_Y = _RNG.normal(size=(5, 2))


def _transport_calls(a, b):
    return {
        "emd": lambda: fastloss.emd(_X, _Y, a, b),
        "emd_value_and_grad": lambda: fastloss.emd_value_and_grad(_X, _Y, a, b),
        "sinkhorn": lambda: fastloss.sinkhorn(_X, _Y, a, b, epsilon=0.1),
        "wasserstein_1d": lambda: fastloss.wasserstein_1d(_X[:, 0], _Y[:, 0], a, b),
    }


@pytest.mark.parametrize("bad", [-0.1, np.inf, np.nan])
@pytest.mark.parametrize("call", list(_transport_calls(None, None)))
def test_transport_masses_must_be_finite_and_non_negative(bad, call):
    a = np.full(4, 0.25)
    b = np.full(5, 0.2)
    a[1] = bad
    with pytest.raises(ValueError, match=r"^(a|u_weights): expected finite non-negative masses"):
        _transport_calls(a, b)[call]()
