"""Agreement with MONAI's DiceLoss, TverskyLoss and GeneralizedDiceLoss (values and autograd
gradients) on the options they share; skipped when MONAI is not installed."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss

torch = pytest.importorskip("torch")
monai_losses = pytest.importorskip("monai.losses")

SHAPE = (2, 4, 6, 5, 3)


def monai_value_and_grad(loss, x, target, *, labels=True):
    leaf = torch.from_numpy(x).requires_grad_()
    t = torch.from_numpy(target[:, None] if labels else target)
    value = loss(leaf, t)
    value.sum().backward()
    return value.detach().numpy(), leaf.grad.numpy()


def assert_agree(ours, theirs, rtol=1e-10):
    (value, grad), (want_value, want_grad) = ours, theirs
    np.testing.assert_allclose(np.asarray(value).reshape(-1), want_value.reshape(-1),
                               rtol=rtol, atol=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=10 * rtol,
                               atol=rtol * np.abs(want_grad).max())


@pytest.fixture
def volume(rng):
    x = 2 * rng.normal(size=SHAPE)
    y = rng.integers(0, SHAPE[1], size=(SHAPE[0], *SHAPE[2:]))
    y[0][y[0] == 3] = 2  # a class absent from one sample
    return x, y


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("include_background", [True, False])
@pytest.mark.parametrize("squared_pred", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_dice_softmax_labels(volume, batch, include_background, squared_pred, reduction):
    x, y = volume
    kw = dict(batch=batch, include_background=include_background, squared_pred=squared_pred,
              reduction=reduction)
    if squared_pred:
        # MONAI's one-hot is float32, and its squared sums of it (norms, then squared) carry
        # float32 rounding; a float64 one-hot target keeps the comparison exact
        onehot = (y[:, None] == np.arange(SHAPE[1])[None, :, None, None, None]).astype(float)
        theirs = monai_value_and_grad(monai_losses.DiceLoss(softmax=True, **kw), x, onehot,
                                      labels=False)
    else:
        theirs = monai_value_and_grad(monai_losses.DiceLoss(softmax=True, to_onehot_y=True, **kw),
                                      x, y)
    assert_agree(fastloss.dice_loss_value_and_grad(x, y, **kw), theirs)


def test_dice_class_weights(volume):
    x, y = volume
    w = [0.5, 1.0, 2.0]
    loss = monai_losses.DiceLoss(softmax=True, to_onehot_y=True, include_background=False,
                                 weight=w)
    ours = fastloss.dice_loss_value_and_grad(x, y, include_background=False, weight=w)
    assert_agree(ours, monai_value_and_grad(loss, x, y))


@pytest.mark.parametrize("ignore_index", [-1, 0])
def test_dice_ignore_index(volume, ignore_index):
    x, y = volume
    y = y.copy()
    y[:, :2] = -1 if ignore_index == -1 else y[:, :2]
    loss = monai_losses.DiceLoss(softmax=True, to_onehot_y=True, ignore_index=ignore_index)
    ours = fastloss.dice_loss_value_and_grad(x, y, ignore_index=ignore_index)
    assert_agree(ours, monai_value_and_grad(loss, x, y))


@pytest.mark.parametrize("batch", [False, True])
def test_dice_sigmoid_multilabel(rng, batch):
    x = rng.normal(size=SHAPE)
    t = (rng.random(SHAPE) < 0.3).astype(np.float64)
    loss = monai_losses.DiceLoss(sigmoid=True, batch=batch)
    ours = fastloss.dice_loss_value_and_grad(x, t, activation="sigmoid", batch=batch)
    assert_agree(ours, monai_value_and_grad(loss, x, t, labels=False))


def test_dice_probabilities_and_smoothing(rng):
    p = rng.random(SHAPE)
    t = (rng.random(SHAPE) < 0.3).astype(np.float64)
    loss = monai_losses.DiceLoss(smooth_nr=0.3, smooth_dr=0.7)
    ours = fastloss.dice_loss_value_and_grad(p, t, activation=None, smooth_nr=0.3, smooth_dr=0.7)
    assert_agree(ours, monai_value_and_grad(loss, p, t, labels=False))


def test_jaccard_differs_from_monai_only_by_smoothing_scale(volume):
    # MONAI: (2 TP + s) / (2 (TP + FP + FN) + s) = (TP + s/2) / (TP + FP + FN + s/2)
    x, y = volume
    loss = monai_losses.DiceLoss(softmax=True, to_onehot_y=True, jaccard=True, smooth_nr=0.2,
                                 smooth_dr=0.2)
    ours = fastloss.jaccard_loss_value_and_grad(x, y, smooth_nr=0.1, smooth_dr=0.1)
    assert_agree(ours, monai_value_and_grad(loss, x, y))
    same_smoothing = fastloss.jaccard_loss(x, y, smooth_nr=0.2, smooth_dr=0.2)
    assert not np.isclose(same_smoothing, monai_value_and_grad(loss, x, y)[0], rtol=1e-10)


@pytest.mark.parametrize(("alpha", "beta"), [(0.5, 0.5), (0.3, 0.7), (1.0, 0.2)])
@pytest.mark.parametrize("batch", [False, True])
def test_tversky(volume, alpha, beta, batch):
    x, y = volume
    loss = monai_losses.TverskyLoss(softmax=True, to_onehot_y=True, alpha=alpha, beta=beta,
                                    batch=batch, include_background=False)
    ours = fastloss.tversky_loss_value_and_grad(x, y, alpha=alpha, beta=beta, batch=batch,
                                                include_background=False)
    assert_agree(ours, monai_value_and_grad(loss, x, y))


@pytest.mark.parametrize("w_type", ["square", "simple", "uniform"])
@pytest.mark.parametrize("batch", [False, True])
def test_generalized_dice(volume, w_type, batch):
    x, y = volume
    loss = monai_losses.GeneralizedDiceLoss(softmax=True, to_onehot_y=True, w_type=w_type,
                                            batch=batch)
    ours = fastloss.generalized_dice_loss_value_and_grad(x, y, w_type=w_type, batch=batch)
    # MONAI computes the class weights in float32 (ground_o.float()): agreement to float32
    assert_agree(ours, monai_value_and_grad(loss, x, y), rtol=1e-6)
