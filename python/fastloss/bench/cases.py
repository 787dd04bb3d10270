"""The losses `python -m fastloss.bench` times: fastloss, the NumPy reference, and PyTorch.

Each case builds its inputs once (fixed seed) and gives three forward+gradient callables:
fastloss's fused kernel, the NumPy reference, and the closest PyTorch formulation (autograd
backward), or None where torch is not installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import fastloss
from fastloss import reference as ref

Call = Callable[[], object]


@dataclass
class Case:
    loss: str
    shape: str
    native: Call
    reference: Call
    torch: Call | None


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_fwd_bwd(torch, make_loss: Callable, x: np.ndarray) -> Call:
    """A callable running make_loss(leaf).backward() on a fresh leaf tensor of x."""
    xt = torch.from_numpy(x)

    def run():
        leaf = xt.detach().requires_grad_()
        make_loss(leaf).backward()
        return leaf.grad

    return run


def regression_cases(rng, n: int, dtype) -> list[Case]:
    torch = _torch()
    pred = rng.normal(size=n).astype(dtype)
    target = rng.normal(size=n).astype(dtype)
    cases = []
    for name, kw, tname, tkw in [("mse", {}, "mse_loss", {}), ("mae", {}, "l1_loss", {}),
                                 ("huber_loss", {"delta": 0.5}, "huber_loss", {"delta": 0.5}),
                                 ("smooth_l1_loss", {"beta": 0.5}, "smooth_l1_loss", {"beta": 0.5})]:
        t_call = None
        if torch is not None:
            tt = torch.from_numpy(target)
            fn = getattr(torch.nn.functional, tname)
            t_call = _torch_fwd_bwd(torch, lambda p, fn=fn, tkw=tkw, tt=tt: fn(p, tt, **tkw), pred)
        cases.append(Case(
            name, f"{n}",
            lambda name=name, kw=kw: getattr(fastloss, name + "_value_and_grad")(pred, target, **kw),
            lambda name=name, kw=kw: getattr(ref, name + "_value_and_grad")(pred, target, **kw),
            t_call))
    return cases


def classification_cases(rng, rows: int, classes: int, dtype) -> list[Case]:
    torch = _torch()
    F = torch.nn.functional if torch is not None else None
    logits = (2 * rng.normal(size=(rows, classes))).astype(dtype)
    labels = rng.integers(0, classes, size=rows)
    targets = (rng.random((rows, classes)) < 0.2).astype(dtype)
    teacher = rng.normal(size=(rows, classes)).astype(dtype)
    q = rng.random((rows, classes)).astype(dtype) + np.asarray(0.01, dtype)
    q /= q.sum(1, keepdims=True)
    p = rng.random((rows, classes)).astype(dtype) + np.asarray(0.01, dtype)
    p /= p.sum(1, keepdims=True)
    log_q = np.log(q)
    shape = f"{rows}x{classes}"
    cases = []

    def add(loss, native, reference, torch_loss, x):
        t_call = None if torch is None else _torch_fwd_bwd(torch, torch_loss, x)
        cases.append(Case(loss, shape, native, reference, t_call))

    if torch is not None:
        yt, tt, teach = torch.from_numpy(labels), torch.from_numpy(targets), torch.from_numpy(teacher)
        pt = torch.from_numpy(p)

        def tv_focal(x):  # torchvision.ops.sigmoid_focal_loss, alpha 0.25, gamma 2, mean
            prob = torch.sigmoid(x)
            ce = F.binary_cross_entropy_with_logits(x, tt, reduction="none")
            p_t = prob * tt + (1 - prob) * (1 - tt)
            return ((0.25 * tt + 0.75 * (1 - tt)) * ce * (1 - p_t) ** 2).mean()

        def softmax_focal(x):
            logp = torch.log_softmax(x, 1).gather(1, yt[:, None])[:, 0]
            return (-(1 - logp.exp()) ** 2 * logp).mean()

        def distill(x):
            return F.kl_div(torch.log_softmax(x / 2, 1), torch.log_softmax(teach / 2, 1),
                            reduction="batchmean", log_target=True) * 4
    else:
        yt = tt = pt = None
        tv_focal = softmax_focal = distill = None

    add("cross_entropy", lambda: fastloss.cross_entropy_value_and_grad(logits, labels),
        lambda: ref.cross_entropy_value_and_grad(logits, labels),
        (lambda x: F.cross_entropy(x, yt)) if torch else None, logits)
    add("binary_cross_entropy", lambda: fastloss.binary_cross_entropy_value_and_grad(logits, targets),
        lambda: ref.binary_cross_entropy_value_and_grad(logits, targets),
        (lambda x: F.binary_cross_entropy_with_logits(x, tt)) if torch else None, logits)
    add("sigmoid_focal_loss", lambda: fastloss.sigmoid_focal_loss_value_and_grad(logits, targets),
        lambda: ref.sigmoid_focal_loss_value_and_grad(logits, targets), tv_focal, logits)
    add("softmax_focal_loss", lambda: fastloss.softmax_focal_loss_value_and_grad(logits, labels),
        lambda: ref.softmax_focal_loss_value_and_grad(logits, labels), softmax_focal, logits)
    add("kl_divergence", lambda: fastloss.kl_divergence_value_and_grad(
            log_q, p, log_input=True, reduction="batchmean"),
        lambda: ref.kl_divergence_value_and_grad(log_q, p, log_input=True, reduction="batchmean"),
        (lambda x: F.kl_div(x, pt, reduction="batchmean")) if torch else None, log_q)
    add("distillation_kl", lambda: fastloss.distillation_kl_value_and_grad(
            logits, teacher, temperature=2.0),
        lambda: ref.distillation_kl_value_and_grad(logits, teacher, temperature=2.0),
        distill, logits)
    return cases


def segmentation_cases(rng, n: int, classes: int, side: int, dtype) -> list[Case]:
    """Cross-entropy and soft Dice over (N, C, H, W) maps with integer labels (class axis 1)."""
    torch = _torch()
    logits = rng.standard_normal((n, classes, side, side)).astype(dtype)
    labels = rng.integers(0, classes, size=(n, side, side))
    ce_torch = dice_torch = None
    if torch is not None:
        yt = torch.from_numpy(labels)
        onehot = torch.from_numpy(
            (labels[:, None] == np.arange(classes)[None, :, None, None]).astype(dtype))

        def dice(x):  # MONAI's DiceLoss(softmax=True, to_onehot_y=True), written out
            p = torch.softmax(x, 1)
            tp = (p * onehot).sum((2, 3))
            den = p.sum((2, 3)) + onehot.sum((2, 3))
            return (1 - (2 * tp + 1e-5) / (den + 1e-5)).mean()

        ce_torch = _torch_fwd_bwd(torch, lambda x: torch.nn.functional.cross_entropy(x, yt), logits)
        dice_torch = _torch_fwd_bwd(torch, dice, logits)
    shape = f"{n}x{classes}x{side}x{side}"
    return [Case("cross_entropy (N,C,H,W)", shape,
                 lambda: fastloss.cross_entropy_value_and_grad(logits, labels),
                 lambda: ref.cross_entropy_value_and_grad(logits, labels), ce_torch),
            Case("dice_loss (N,C,H,W)", shape,
                 lambda: fastloss.dice_loss_value_and_grad(logits, labels),
                 lambda: ref.dice_loss_value_and_grad(logits, labels), dice_torch)]


def pointcloud_cases(rng, clouds: int, points: int, dtype) -> list[Case]:
    """Chamfer distance of a batch of 3-D clouds, with gradients w.r.t. both."""
    torch = _torch()
    x = rng.random((clouds, points, 3)).astype(dtype)
    y = rng.random((clouds, points, 3)).astype(dtype)
    t_call = None
    if torch is not None:
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)

        def run():  # PyTorch3D's convention written with cdist
            xl, yl = xt.detach().requires_grad_(), yt.detach().requires_grad_()
            d = torch.cdist(xl, yl) ** 2
            (d.min(2).values.mean(1) + d.min(1).values.mean(1)).mean().backward()
            return xl.grad, yl.grad

        t_call = run
    return [Case("chamfer_distance", f"{clouds}x{points}x3",
                 lambda: fastloss.chamfer_distance_value_and_grad(x, y),
                 lambda: ref.chamfer_distance_value_and_grad(x, y), t_call)]


def metric_cases(rng, rows: int, dim: int, dtype) -> list[Case]:
    """Triplet margin loss on explicit (anchor, positive, negative) rows."""
    torch = _torch()
    a, p, n = (rng.normal(size=(rows, dim)).astype(dtype) for _ in range(3))
    t_call = None
    if torch is not None:
        ta, tp, tn = (torch.from_numpy(v) for v in (a, p, n))

        def run():
            leaves = [v.detach().requires_grad_() for v in (ta, tp, tn)]
            torch.nn.functional.triplet_margin_loss(*leaves).backward()
            return [v.grad for v in leaves]

        t_call = run
    return [Case("triplet_margin_loss", f"{rows}x{dim}",
                 lambda: fastloss.triplet_margin_loss_value_and_grad(a, p, n),
                 lambda: ref.triplet_margin_loss_value_and_grad(a, p, n), t_call)]


def transport_cases(rng, points: int, samples: int, dtype) -> list[Case]:
    """Exact EMD between two weighted 3-D clouds and W_1 between two samples on the line,
    with gradients (no PyTorch formulation: torch has no exact transport)."""
    x = rng.random((points, 3)).astype(dtype)
    y = rng.random((points, 3)).astype(dtype)
    a = rng.random(points) + 0.1
    a /= a.sum()
    u = rng.normal(size=samples).astype(dtype)
    v = (rng.normal(size=samples) + 0.5).astype(dtype)
    return [Case("emd", f"{points}x3 vs {points}x3",
                 lambda: fastloss.emd_value_and_grad(x, y, a),
                 lambda: ref.emd_value_and_grad(x, y, a), None),
            Case("wasserstein_1d", f"{samples} vs {samples}",
                 lambda: fastloss.wasserstein_1d_value_and_grad(u, v),
                 lambda: ref.wasserstein_1d_value_and_grad(u, v), None)]


def rl_cases(rng, steps: int, envs: int, rows: int, actions: int, dtype) -> list[Case]:
    """Scans over (steps, envs) and the RL losses over (rows, actions)."""
    torch = _torch()
    rewards = rng.standard_normal((steps, envs)).astype(dtype)
    values = rng.standard_normal((steps, envs)).astype(dtype)
    dones = rng.random((steps, envs)) < 0.01
    q_tm1 = rng.standard_normal((rows, actions)).astype(dtype)
    q_t = rng.standard_normal((rows, actions)).astype(dtype)
    a = rng.integers(0, actions, size=rows)
    r = rng.standard_normal(rows).astype(dtype)
    disc = np.full(rows, 0.99, dtype)
    adv = rng.standard_normal(rows).astype(dtype)
    kw = dict(gamma=0.99, lambda_=0.95)
    cases = [
        Case("discounted_returns", f"{steps}x{envs}",
             lambda: fastloss.discounted_returns(rewards, dones, gamma=0.99),
             lambda: ref.discounted_returns(rewards, dones, gamma=0.99), None),
        Case("generalized_advantage_estimation", f"{steps}x{envs}",
             lambda: fastloss.generalized_advantage_estimation(rewards, values, dones, **kw),
             lambda: ref.generalized_advantage_estimation(rewards, values, dones, **kw), None),
    ]
    t_q = t_pg = None
    if torch is not None:
        at, rt, dt, qt, advt = (torch.from_numpy(v) for v in (a, r, disc, q_t, adv))

        def dqn(q):
            target = rt + dt * qt.max(1).values
            return torch.nn.functional.smooth_l1_loss(q.gather(1, at[:, None])[:, 0], target)

        def pg(x):
            logp = torch.log_softmax(x, 1)
            entropy = -(logp.exp() * logp).sum(1)
            return -(logp.gather(1, at[:, None])[:, 0] * advt).mean() - 0.01 * entropy.mean()

        t_q, t_pg = _torch_fwd_bwd(torch, dqn, q_tm1), _torch_fwd_bwd(torch, pg, q_tm1)
    cases.append(Case("q_learning_loss", f"{rows}x{actions}",
                      lambda: fastloss.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t),
                      lambda: ref.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t), t_q))
    cases.append(Case("policy_gradient_loss", f"{rows}x{actions}",
                      lambda: fastloss.policy_gradient_loss_value_and_grad(
                          q_tm1, a, adv, entropy_coef=0.01),
                      lambda: ref.policy_gradient_loss_value_and_grad(
                          q_tm1, a, adv, entropy_coef=0.01), t_pg))
    return cases


SIZES = {
    # name: (regression elements, classification rows, classes, (maps, classes, side),
    #        (scan steps, environments, RL rows, actions), (clouds, points per cloud),
    #        (EMD points, 1-D samples)); the NumPy EMD reference is a plain Python loop
    "short": (1_000_000, 20_000, 100, (4, 21, 64), (2_000, 16, 100_000, 18), (8, 1024),
              (64, 1_000_000)),
    "large": (20_000_000, 200_000, 100, (8, 21, 256), (10_000, 64, 1_000_000, 18), (32, 2048),
              (256, 10_000_000)),
}


def all_cases(size: str, dtype, seed: int = 0) -> list[Case]:
    rng = np.random.default_rng(seed)
    n, rows, classes, (maps, map_classes, side), (steps, envs, rl_rows, actions), (
        clouds, points), (emd_points, samples) = SIZES[size]
    return (regression_cases(rng, n, dtype) + classification_cases(rng, rows, classes, dtype)
            + segmentation_cases(rng, maps, map_classes, side, dtype)
            + pointcloud_cases(rng, clouds, points, dtype)
            + metric_cases(rng, rows // 4, 128, dtype)
            + rl_cases(rng, steps, envs, rl_rows, actions, dtype)
            + transport_cases(rng, emd_points, samples, dtype))
