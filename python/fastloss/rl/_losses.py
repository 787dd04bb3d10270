"""Reinforcement learning losses: policy gradient (with entropy bonus) and Q-learning (DQN,
double DQN), value and gradient in one fused pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._docs import fill_doc
from .._loss import loss
from .._options import (
    Choice,
    check_number,
    check_reduction,
    reduction_enum,
    resolve_threads,
)
from .._validation import (
    as_float_arrays,
    as_labels,
    check_grad_out,
    finish,
    grad_output_args,
)

__all__ = [
    "policy_gradient_loss",
    "policy_gradient_loss_value_and_grad",
    "q_learning_loss",
    "q_learning_loss_value_and_grad",
]

ArrayLike = Any


def _policy_gradient(logits, actions, advantages, entropy_coef, normalize_advantages, weights,
                     reduction, grad_output, grad_out, num_threads, want_grad):
    check_reduction(reduction)
    beta = check_number(entropy_coef, "entropy_coef")
    (x, adv, w), dtype = as_float_arrays(logits=logits, advantages=advantages, weights=weights,
                                         optional=("weights",))
    if x.ndim != 2 or x.size == 0:
        msg = f"logits: expected a non-empty (N, num_actions) array, got shape {x.shape}"
        raise ValueError(msg)
    a = as_labels(actions, "actions")
    if normalize_advantages:
        a64 = adv.astype(np.float64)
        adv = ((a64 - a64.mean()) / (a64.std() + 1e-8)).astype(dtype)
    scale, per_item = grad_output_args(grad_output, dtype, (x.shape[0],), reduction)
    out = check_grad_out(grad_out, dtype, x.shape, (x, adv, w))
    value, grad = _core.policy_gradient_loss(x, a, adv, w, beta, reduction_enum(reduction), want_grad, scale,
                                             per_item, out, resolve_threads(num_threads))
    return finish(value, dtype), grad


_PG_PARAMS = """
    logits : (N, num_actions) array_like of float
        Scores of the softmax policy, or its log-probabilities (log-softmax leaves those as
        they are, so both give the same loss).
    actions : (N,) array_like of int
        Actions taken, in [0, num_actions).
    advantages : (N,) array_like of float
        Advantages (or returns); constants, no gradient flows into them.
    entropy_coef : float, default 0
        beta, the weight of the entropy bonus.
    normalize_advantages : bool, default False
        Standardise the advantages over the batch first: (A - mean) / (std + 1e-8).
    weights : (N,) array_like of float, optional
        Per-step weights, e.g. 0/1 masks of padded steps.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` divides by N (rlax's convention, also with masks: use ``"sum"`` and divide
        by the number of valid steps for a mean over those).
    num_threads : int, optional
        Threads for this call."""


@loss(grads="logits",
      grad_doc="""its gradient w.r.t. ``logits``, in one fused pass:
    w [A (pi_c - [c = a]) + beta pi_c (log pi_c + H)].""")
@fill_doc(params=_PG_PARAMS)
def policy_gradient_loss(logits: ArrayLike, actions: ArrayLike, advantages: ArrayLike, *,
                         entropy_coef: float = 0.0, normalize_advantages: bool = False,
                         weights: ArrayLike | None = None, reduction: str = "mean",
                         grad_output: Any = None, grad_out: np.ndarray | None = None,
                         num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Policy-gradient loss of a softmax policy with an entropy bonus (REINFORCE, A2C).

    .. math::
        \\ell_i = -w_i \\left[A_i \\log \\pi(a_i | s_i) + \\beta H(\\pi(\\cdot | s_i))\\right],
        \\qquad \\pi = \\operatorname{softmax}(x_i),

    so the mean is ``-mean(log pi(a|s) A) - entropy_coef * mean(H)``.

    Parameters
    ----------
    <params>

    Returns
    -------
    loss : scalar of the logits' float dtype, or (N,) for ``"none"``.

    Raises
    ------
    ValueError
        Actions out of range, shape mismatches, empty input.

    References
    ----------
    R. J. Williams, "Simple statistical gradient-following algorithms for connectionist
    reinforcement learning", Machine Learning 1992; V. Mnih et al., "Asynchronous Methods for
    Deep Reinforcement Learning", ICML 2016, arXiv:1602.01783.

    Examples
    --------
    >>> import fastloss
    >>> round(float(fastloss.policy_gradient_loss([[0.0, 0.0]], [1], [2.0])), 4)
    1.3863
    """
    return _policy_gradient(logits, actions, advantages, entropy_coef, normalize_advantages,
                            weights, reduction, grad_output, grad_out, num_threads, want_grad)


policy_gradient_loss_value_and_grad = policy_gradient_loss.value_and_grad


HUBER = Choice("loss", {"huber": True, "squared": False})  # the TD error's loss: Huber or 1/2 td^2


def _q_learning(q_tm1, a_tm1, r_t, discount_t, q_t, double_q, q_t_selector, loss, delta, weights,
                reduction, grad_output, grad_out, num_threads, want_grad):
    check_reduction(reduction)
    HUBER.check(loss)
    d = check_number(delta, "delta", minimum=0.0, strict=True)
    if double_q and q_t_selector is None:
        msg = "q_t_selector: double_q=True needs the online network's q_t to select actions"
        raise ValueError(msg)
    if q_t_selector is not None and not double_q:
        msg = "q_t_selector: only used with double_q=True"
        raise ValueError(msg)
    (q0, r, disc, q1, sel, w), dtype = as_float_arrays(
        q_tm1=q_tm1, r_t=r_t, discount_t=discount_t, q_t=q_t, q_t_selector=q_t_selector,
        weights=weights, optional=("q_t_selector", "weights"))
    if q0.ndim != 2 or q0.size == 0:
        msg = f"q_tm1: expected a non-empty (N, num_actions) array, got shape {q0.shape}"
        raise ValueError(msg)
    a = as_labels(a_tm1, "a_tm1")
    disc = np.ascontiguousarray(np.broadcast_to(disc, (q0.shape[0],))) if disc.ndim == 0 else disc
    scale, per_item = grad_output_args(grad_output, dtype, (q0.shape[0],), reduction)
    out = check_grad_out(grad_out, dtype, q0.shape, (q0, r, disc, q1, sel, w))
    value, grad = _core.q_learning_loss(q0, a, r, disc, q1, sel, w, HUBER(loss), d, reduction_enum(reduction), want_grad,
                                        scale, per_item, out, resolve_threads(num_threads))
    return finish(value, dtype), grad


_Q_PARAMS = """
    q_tm1 : (N, num_actions) array_like of float
        Q(s_{t-1}, .) of the online network.
    a_tm1 : (N,) array_like of int
        Actions taken, in [0, num_actions).
    r_t : (N,) array_like of float
        Rewards (or n-step discounted reward sums).
    discount_t : (N,) array_like of float, or a scalar
        gamma (1 - done), or gamma^n for n-step targets.
    q_t : (N, num_actions) array_like of float
        Q(s_t, .) of the target network.
    double_q : bool, default False
        Double DQN: evaluate q_t at the argmax of ``q_t_selector``.
    q_t_selector : (N, num_actions) array_like of float, optional
        Q(s_t, .) of the online network (required with double_q).
    loss : {"huber", "squared"}, default "huber"
        Huber with ``delta`` (PyTorch's ``smooth_l1_loss`` for delta = 1), or td^2 / 2.
    delta : float > 0, default 1
    weights : (N,) array_like of float, optional
        Per-transition weights (importance weights of prioritised replay, masks).
    reduction : {"mean", "sum", "none"}, default "mean"
    num_threads : int, optional
        Threads for this call."""


@loss(grads="q_tm1",
      grad_doc="""its gradient w.r.t. ``q_tm1`` (nonzero only at the taken
    actions: -clip(td, -delta, delta), or -td).""")
@fill_doc(params=_Q_PARAMS)
def q_learning_loss(q_tm1: ArrayLike, a_tm1: ArrayLike, r_t: ArrayLike, discount_t: ArrayLike,
                    q_t: ArrayLike, *, double_q: bool = False,
                    q_t_selector: ArrayLike | None = None, loss: str = "huber",
                    delta: float = 1.0, weights: ArrayLike | None = None, reduction: str = "mean",
                    grad_output: Any = None, grad_out: np.ndarray | None = None,
                    num_threads: int | None = None, want_grad: bool) -> tuple[Any, Any]:
    """Q-learning TD loss (DQN, double DQN), rlax's argument names.

    .. math::
        \\delta_i = r_i + \\text{discount}_i\\, q_t[i, a^*_i] - q_{t-1}[i, a_i], \\qquad
        a^*_i = \\arg\\max_a q_t[i, a]\\ \\text{(or of the selector)},

    loss = Huber_delta(td) or td^2 / 2 per transition; the target is a constant (no gradient
    into q_t), and only q_tm1[i, a_i] gets a gradient. For n-step targets compute them with
    :func:`n_step_returns` and pass them as ``r_t`` with ``discount_t = 0``.

    Parameters
    ----------
    <params>

    Returns
    -------
    loss : scalar of q_tm1's float dtype, or (N,) for ``"none"``.

    Raises
    ------
    ValueError
        Actions out of range, shape mismatches, double_q without a selector, bad options.

    References
    ----------
    V. Mnih et al., "Human-level control through deep reinforcement learning", Nature 2015;
    H. van Hasselt, A. Guez, D. Silver, "Deep Reinforcement Learning with Double Q-learning",
    AAAI 2016, arXiv:1509.06461.

    Examples
    --------
    >>> import fastloss
    >>> float(fastloss.q_learning_loss([[1.0, 2.0]], [0], [1.0], [0.5], [[4.0, 0.0]]))
    1.5
    """
    return _q_learning(q_tm1, a_tm1, r_t, discount_t, q_t, double_q, q_t_selector, loss, delta,
                       weights, reduction, grad_output, grad_out, num_threads, want_grad)


q_learning_loss_value_and_grad = q_learning_loss.value_and_grad
