"""One representative call per public loss, on inputs big enough for the threaded path.

Shared by the thread-invariance and instruction-set tests: each case is a function of
(rng, dtype) returning (name, args, kwargs) for `fastloss.<name>_value_and_grad`.
"""

from __future__ import annotations

import numpy as np


def _regression(name, **kw):
    def make(rng, dtype):
        shape = (300, 257)
        return name, (rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype)), kw
    return make


def _bce(rng, dtype):
    x = (3 * rng.normal(size=(513, 80))).astype(dtype)
    t = rng.random((513, 80)).astype(dtype)
    return "binary_cross_entropy", (x, t), dict(pos_weight=np.linspace(0.5, 2, 80), alpha=0.3)


def _sigmoid_focal(rng, dtype):
    x = (3 * rng.normal(size=(513, 80))).astype(dtype)
    t = rng.integers(0, 2, size=(513, 80)).astype(dtype)
    return "sigmoid_focal_loss", (x, t), dict(alpha=0.25, gamma=2.0)


def _ce(rng, dtype):  # more than 64 classes: the along-rows kernel
    x = (3 * rng.normal(size=(401, 100))).astype(dtype)
    y = rng.integers(0, 100, size=401)
    y[::7] = -100
    return "cross_entropy", (x, y), dict(weight=np.linspace(0.5, 2, 100), label_smoothing=0.1)


def _ce_small(rng, dtype):
    x = (3 * rng.normal(size=(5003, 10))).astype(dtype)
    y = rng.integers(0, 10, size=5003)
    y[::5] = -100
    return "cross_entropy", (x, y), dict(weight=np.linspace(0.5, 2, 10), label_smoothing=0.1)


def _softmax_focal_small(rng, dtype):
    x = (3 * rng.normal(size=(5003, 10))).astype(dtype)
    return "softmax_focal_loss", (x, rng.integers(0, 10, size=5003)), dict(gamma=2.0, alpha=0.3)


def _ce_probs(rng, dtype):
    x = (3 * rng.normal(size=(2049, 37))).astype(dtype)
    t = rng.random((2049, 37)).astype(dtype)
    return "cross_entropy", (x, t / t.sum(1, keepdims=True)), dict(label_smoothing=0.05)


def _softmax_focal(rng, dtype):  # the along-rows kernel
    x = (3 * rng.normal(size=(401, 100))).astype(dtype)
    return "softmax_focal_loss", (x, rng.integers(0, 100, size=401)), dict(gamma=2.0)


def _kl(rng, dtype):
    q = rng.random((1000, 50)) + 0.01
    p = rng.random((1000, 50)) + 0.01
    return ("kl_divergence", ((q / q.sum(1, keepdims=True)).astype(dtype),
                              (p / p.sum(1, keepdims=True)).astype(dtype)),
            dict(reduction="batchmean"))


def _distillation(rng, dtype):
    return ("distillation_kl", (rng.normal(size=(1000, 50)).astype(dtype),
                                rng.normal(size=(1000, 50)).astype(dtype)), dict(temperature=2.0))


def _policy_gradient(rng, dtype):
    x = (2 * rng.normal(size=(3001, 18))).astype(dtype)
    return ("policy_gradient_loss", (x, rng.integers(0, 18, size=3001),
                                     rng.normal(size=3001).astype(dtype)),
            dict(entropy_coef=0.01, weights=(rng.random(3001) < 0.9).astype(dtype)))


def _q_learning(rng, dtype):
    q_tm1 = rng.normal(size=(3001, 18)).astype(dtype)
    q_t = rng.normal(size=(3001, 18)).astype(dtype)
    return ("q_learning_loss", (q_tm1, rng.integers(0, 18, size=3001),
                                rng.normal(size=3001).astype(dtype),
                                np.full(3001, 0.99, dtype), q_t),
            dict(double_q=True, q_t_selector=rng.normal(size=(3001, 18)).astype(dtype)))


def _dice(rng, dtype):  # softmax, labels with ignored positions, V-Net denominator
    x = (3 * rng.normal(size=(2, 4, 23, 29, 13))).astype(dtype)
    y = rng.integers(0, 4, size=(2, 23, 29, 13))
    y[:, :2] = 255
    return "dice_loss", (x, y), dict(ignore_index=255, include_background=False,
                                     weight=[1.0, 0.5, 2.0], squared_pred=True)


def _focal_tversky(rng, dtype):  # sigmoid, soft targets, sums over the batch
    x = (3 * rng.normal(size=(3, 3, 61, 67))).astype(dtype)
    return "focal_tversky_loss", (x, rng.random(x.shape).astype(dtype)), dict(
        activation="sigmoid", batch=True)


def _generalized_dice(rng, dtype):  # probabilities, one channel, binary labels
    p = rng.random(size=(4, 1, 97, 101)).astype(dtype)
    return "generalized_dice_loss", (p, rng.integers(0, 2, size=(4, 97, 101))), dict(
        activation=None, w_type="simple")


CASES = {
    "sse": _regression("sse"),
    "mse": _regression("mse"),
    "mae": _regression("mae"),
    "huber_loss": _regression("huber_loss", delta=0.5),
    "smooth_l1_loss": _regression("smooth_l1_loss", beta=0.5),
    "rse": _regression("rse"),
    "binary_cross_entropy": _bce,
    "sigmoid_focal_loss": _sigmoid_focal,
    "cross_entropy": _ce,
    "cross_entropy_small_classes": _ce_small,
    "cross_entropy_probs": _ce_probs,
    "softmax_focal_loss": _softmax_focal,
    "softmax_focal_loss_small_classes": _softmax_focal_small,
    "kl_divergence": _kl,
    "distillation_kl": _distillation,
    "policy_gradient_loss": _policy_gradient,
    "q_learning_loss": _q_learning,
    "dice_loss": _dice,
    "focal_tversky_loss": _focal_tversky,
    "generalized_dice_loss": _generalized_dice,
}
