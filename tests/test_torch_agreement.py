"""Agreement with PyTorch's own losses (values and autograd gradients), where torch is installed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import fastloss

from ._helpers import assert_close

torch = pytest.importorskip("torch")
F = torch.nn.functional


def torch_value_and_grad(fn, x, *args, **kwargs):
    xt = torch.tensor(x, requires_grad=True)
    out = fn(xt, *args, **kwargs)
    out.sum().backward()
    return out.detach().numpy(), xt.grad.numpy()


def tensor(a):
    return None if a is None else torch.tensor(np.asarray(a))


CE_COMBOS = list(itertools.product(
    [(6, 5), (4, 3, 2, 3), (5,)],          # shape: batch, spatial, unbatched
    [False, True],                         # class weights
    [-100, 2],                             # ignore_index
    [0.0, 0.2],                            # label_smoothing
    ["none", "mean", "sum"],
))


@pytest.mark.parametrize(("shape", "weighted", "ignore_index", "smoothing", "reduction"), CE_COMBOS)
def test_cross_entropy_labels(shape, weighted, ignore_index, smoothing, reduction, dtype, rng):
    x = (3 * rng.normal(size=shape)).astype(dtype)
    c = shape[0] if len(shape) == 1 else shape[1]
    item = () if len(shape) == 1 else (shape[0], *shape[2:])
    y = rng.integers(0, c, size=item)
    w = rng.uniform(0.2, 2.0, size=c).astype(dtype) if weighted else None
    kw = dict(ignore_index=ignore_index, label_smoothing=smoothing, reduction=reduction)
    want, want_grad = torch_value_and_grad(F.cross_entropy, x, torch.tensor(y), weight=tensor(w), **kw)
    value, grad = fastloss.cross_entropy_value_and_grad(x, y, weight=w, **kw)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_cross_entropy_probs(weighted, smoothing, reduction, dtype, rng):
    x = (3 * rng.normal(size=(7, 4, 3))).astype(dtype)
    t = rng.random((7, 4, 3))
    t = (t / t.sum(1, keepdims=True)).astype(dtype)
    w = rng.uniform(0.2, 2.0, size=4).astype(dtype) if weighted else None
    kw = dict(label_smoothing=smoothing, reduction=reduction)
    want, want_grad = torch_value_and_grad(F.cross_entropy, x, torch.tensor(t), weight=tensor(w), **kw)
    value, grad = fastloss.cross_entropy_value_and_grad(x, t, weight=w, **kw)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weight", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_binary_cross_entropy(weighted, pos_weight, reduction, dtype, rng):
    x = (4 * rng.normal(size=(9, 5))).astype(dtype)
    t = rng.random((9, 5)).astype(dtype)
    w = rng.uniform(0, 2, size=(9, 5)).astype(dtype) if weighted else None
    pw = rng.uniform(0.5, 3, size=5).astype(dtype) if pos_weight else None
    want, want_grad = torch_value_and_grad(F.binary_cross_entropy_with_logits, x, torch.tensor(t),
                                           weight=tensor(w), pos_weight=tensor(pw), reduction=reduction)
    value, grad = fastloss.binary_cross_entropy_value_and_grad(x, t, weight=w, pos_weight=pw,
                                                               reduction=reduction)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["none", "mean", "batchmean", "sum"])
def test_kl_divergence(log_target, reduction, dtype, rng):
    q = rng.random((6, 5)) + 0.05
    p = rng.random((6, 5)) + 0.05
    log_q = np.log(q / q.sum(1, keepdims=True)).astype(dtype)
    p = p / p.sum(1, keepdims=True)
    t = (np.log(p) if log_target else p).astype(dtype)
    want, want_grad = torch_value_and_grad(F.kl_div, log_q, torch.tensor(t), reduction=reduction,
                                           log_target=log_target)
    value, grad = fastloss.kl_divergence_value_and_grad(log_q, t, log_input=True,
                                                        log_target=log_target, reduction=reduction)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize(("ours", "theirs", "param"), [
    ("huber_loss", F.huber_loss, {"delta": 0.6}),
    ("smooth_l1_loss", F.smooth_l1_loss, {"beta": 0.6}),
    ("smooth_l1_loss", F.smooth_l1_loss, {"beta": 0.0}),
    ("mse", F.mse_loss, {}),
    ("mae", F.l1_loss, {}),
])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression(ours, theirs, param, reduction, dtype, rng):
    p = (2 * rng.normal(size=(11, 7))).astype(dtype)
    t = rng.normal(size=(11, 7)).astype(dtype)
    want, want_grad = torch_value_and_grad(theirs, p, torch.tensor(t), reduction=reduction, **param)
    value, grad = getattr(fastloss, ours + "_value_and_grad")(p, t, reduction=reduction, **param)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss, as torchvision writes it."""
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_sigmoid_focal_torchvision_formula(gamma, reduction, dtype, rng):
    x = (3 * rng.normal(size=(20, 8))).astype(dtype)
    t = rng.choice([0.0, 1.0, 0.3], size=(20, 8)).astype(dtype)
    want, want_grad = torch_value_and_grad(torchvision_sigmoid_focal_loss, x, torch.tensor(t),
                                           alpha=0.25, gamma=gamma, reduction=reduction)
    value, grad = fastloss.sigmoid_focal_loss_value_and_grad(x, t, alpha=0.25, gamma=gamma,
                                                             reduction=reduction)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("entropy_coef", [0.0, 0.05])
def test_policy_gradient(entropy_coef, dtype, rng):
    x = (2 * rng.normal(size=(30, 6))).astype(dtype)
    a, adv = rng.integers(0, 6, size=30), rng.normal(size=30).astype(dtype)
    at, advt = torch.from_numpy(a), torch.from_numpy(adv)

    def torch_pg(leaf):
        logp = torch.log_softmax(leaf, 1)
        entropy = -(logp.exp() * logp).sum(1)
        return -(logp.gather(1, at[:, None])[:, 0] * advt).mean() - entropy_coef * entropy.mean()

    want, want_grad = torch_value_and_grad(torch_pg, x)
    value, grad = fastloss.policy_gradient_loss_value_and_grad(x, a, adv, entropy_coef=entropy_coef)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)


@pytest.mark.parametrize("delta", [1.0, 0.5])
def test_q_learning_huber(delta, dtype, rng):
    q_tm1 = (2 * rng.normal(size=(40, 5))).astype(dtype)
    q_t = (2 * rng.normal(size=(40, 5))).astype(dtype)
    a, r = rng.integers(0, 5, size=40), rng.normal(size=40).astype(dtype)
    disc = np.full(40, 0.9, dtype)
    at, rt, dt, qt = (torch.from_numpy(v) for v in (a, r, disc, q_t))

    def torch_dqn(leaf):  # gather + max + huber_loss, the usual DQN step
        target = rt + dt * qt.max(1).values
        return F.huber_loss(leaf.gather(1, at[:, None])[:, 0], target, delta=delta)

    want, want_grad = torch_value_and_grad(torch_dqn, q_tm1)
    value, grad = fastloss.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t, delta=delta)
    assert_close(value, want, dtype)
    assert_close(grad, want_grad, dtype)
