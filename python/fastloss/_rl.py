"""Reinforcement learning: return scans (discounted, lambda-returns, GAE) and the
policy-gradient and Q-learning losses, batched over NumPy arrays.

Scans take rewards shaped ``(T,)`` or ``(T, num_envs)`` (time first). ``dones[t] = 1`` (any
nonzero value, or True) means the episode ended after step t: nothing is carried back across
it. Episodes still running at the end of the batch are bootstrapped with ``bootstrap_value``
(the value of the state after the last step; 0 when omitted).

Truncation (a time limit, not a true end) is not termination: mark the step done and add
``gamma * V(s_{t+1})`` of the truncated state to its reward, the usual "bootstrap on
timeout" correction; ``dones`` alone means termination.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._docs import GRAD_NOTE, fill_doc
from ._validation import (
    as_float_arrays,
    as_labels,
    check_grad_out,
    check_number,
    check_reduction,
    check_same_shape,
    finish,
    grad_output_args,
    resolve_threads,
)

ArrayLike = Any

_SCAN_PARAMS = """
    rewards : (T,) or (T, num_envs) array_like of float
        Rewards, time first.
    dones : array_like of bool, the shape of ``rewards``
        Nonzero where the episode ended after that step.
    gamma : float in [0, 1]
        Discount factor.
    bootstrap_value : float or (num_envs,) array_like, optional
        Value of the state after the last step, for episodes still running (default 0).
    num_threads : int, optional
        Threads for this call (environments run in parallel; a single trajectory is one scan)."""


class _Scan:
    """Shapes and conversions shared by the scans: (T,) <-> (T, 1), dones as 0/1 bytes."""

    def __init__(self, rewards, dones, gamma, bootstrap_value, values=None, lambda_=None):
        self.gamma = check_number(gamma, "gamma", minimum=0.0, maximum=1.0)
        self.lambda_ = None if lambda_ is None else check_number(lambda_, "lambda_", minimum=0.0,
                                                                 maximum=1.0)
        (r, v, b), self.dtype = as_float_arrays(rewards=rewards, values=values,
                                                bootstrap_value=bootstrap_value,
                                                optional=("values", "bootstrap_value"))
        if r.ndim not in (1, 2) or r.size == 0:
            msg = f"rewards: expected a non-empty (T,) or (T, num_envs) array, got shape {r.shape}"
            raise ValueError(msg)
        self.shape = r.shape
        d = np.asarray(dones)
        if d.dtype.kind not in "fiub":
            msg = f"dones: expected a bool or numeric array, got dtype {d.dtype}"
            raise TypeError(msg)
        check_same_shape(r, "rewards", d, "dones")
        if v is not None:
            check_same_shape(r, "rewards", v, "values")
        envs = 1 if r.ndim == 1 else r.shape[1]
        if b is not None:
            try:
                b = np.ascontiguousarray(np.broadcast_to(b, (envs,)))
            except ValueError:
                msg = (f"bootstrap_value: expected a scalar or shape ({envs},), one per "
                       f"environment, got {b.shape}")
                raise ValueError(msg) from None
        self.rewards = r.reshape(r.shape[0], envs)
        self.values = None if v is None else v.reshape(self.rewards.shape)
        # 0/1 bytes for the kernels: a bool array is viewed as it is, anything else tested != 0
        done = d if d.dtype == np.bool_ else d != 0
        self.dones = np.ascontiguousarray(done).view(np.uint8).reshape(self.rewards.shape)
        self.bootstrap = b

    def grid(self, arr: Any, name: str) -> np.ndarray:
        """A grad_output array of the rewards' shape, as (T, num_envs)."""
        g = np.asarray(arr, dtype=self.dtype)
        try:
            g = np.broadcast_to(g, self.shape)
        except ValueError:
            msg = f"{name}: expected a shape broadcastable to {self.shape}, got {g.shape}"
            raise ValueError(msg) from None
        return np.ascontiguousarray(g).reshape(self.rewards.shape)

    def out(self, arr: np.ndarray | None) -> np.ndarray | None:
        return None if arr is None else arr.reshape(self.shape)


@fill_doc(params=_SCAN_PARAMS)
def discounted_returns(rewards: ArrayLike, dones: ArrayLike, *, gamma: float,
                       bootstrap_value: ArrayLike | None = None,
                       num_threads: int | None = None) -> np.ndarray:
    """Discounted returns, one reverse pass per environment.

    .. math:: G_t = r_t + \\gamma (1 - d_t) G_{t+1}, \\qquad G_T = \\text{bootstrap\\_value}.

    Parameters
    ----------
    <params>

    Returns
    -------
    returns : array of the rewards' shape and dtype.

    Raises
    ------
    ValueError
        Shape mismatches, empty rewards, gamma outside [0, 1].

    See Also
    --------
    lambda_returns, generalized_advantage_estimation

    Examples
    --------
    >>> import fastloss
    >>> fastloss.discounted_returns([1.0, 1.0, 1.0, 1.0], [0, 1, 0, 0], gamma=0.5).tolist()
    [1.5, 1.0, 1.5, 1.0]
    """
    s = _Scan(rewards, dones, gamma, bootstrap_value)
    out = _core.discounted_returns(s.rewards, s.dones, s.gamma, s.bootstrap,
                                   resolve_threads(num_threads))
    return s.out(out)


@fill_doc(params=_SCAN_PARAMS)
def discounted_returns_value_and_grad(rewards: ArrayLike, dones: ArrayLike, *, gamma: float,
                                      bootstrap_value: ArrayLike | None = None,
                                      grad_output: ArrayLike | None = None,
                                      num_threads: int | None = None
                                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`discounted_returns` and the gradient of ``sum(grad_output * returns)`` w.r.t.
    ``rewards`` (a forward scan: ``c_t = u_t + gamma (1 - d_{t-1}) c_{t-1}``).

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights u of the returns (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    (returns, grad_rewards), both of the rewards' shape. ``dones`` and ``bootstrap_value``
    are constants.
    """
    s = _Scan(rewards, dones, gamma, bootstrap_value)
    threads = resolve_threads(num_threads)
    out = _core.discounted_returns(s.rewards, s.dones, s.gamma, s.bootstrap, threads)
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    grad = _core.discounted_returns_vjp(u, s.dones, s.gamma, threads)
    return s.out(out), s.out(grad)


_GAE_PARAMS = _SCAN_PARAMS.replace("""    dones : array_like""", """    values : array_like of float, the shape of ``rewards``
        The critic's V(s_t).
    dones : array_like""").replace("""    bootstrap_value""", """    lambda_ : float in [0, 1]
        The GAE / TD(lambda) parameter: 0 gives one-step TD, 1 Monte-Carlo returns.
    bootstrap_value""")


def _gae(rewards, values, dones, gamma, lambda_, bootstrap_value, num_threads, want_returns):
    s = _Scan(rewards, dones, gamma, bootstrap_value, values=values, lambda_=lambda_)
    if s.values is None:
        msg = "values: expected an array of the rewards' shape, got None"
        raise TypeError(msg)
    adv, ret = _core.generalized_advantage_estimation(
        s.rewards, s.values, s.dones, s.gamma, s.lambda_, s.bootstrap, want_returns,
        resolve_threads(num_threads))
    return s, s.out(adv), s.out(ret)


@fill_doc(params=_GAE_PARAMS)
def generalized_advantage_estimation(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *,
                                     gamma: float, lambda_: float,
                                     bootstrap_value: ArrayLike | None = None,
                                     num_threads: int | None = None
                                     ) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimation (GAE), fused in one reverse pass.

    .. math::
        \\delta_t = r_t + \\gamma (1 - d_t) V_{t+1} - V_t, \\qquad
        A_t = \\delta_t + \\gamma \\lambda (1 - d_t) A_{t+1},

    with :math:`V_T` = ``bootstrap_value`` and :math:`A_T = 0`.

    Parameters
    ----------
    <params>

    Returns
    -------
    (advantages, returns), each of the rewards' shape; returns = advantages + values, the
    lambda-returns.

    References
    ----------
    J. Schulman, P. Moritz, S. Levine, M. Jordan, P. Abbeel, "High-Dimensional Continuous
    Control Using Generalized Advantage Estimation", ICLR 2016, arXiv:1506.02438.

    Examples
    --------
    >>> import fastloss
    >>> adv, ret = fastloss.generalized_advantage_estimation(
    ...     [1.0, 1.0], [0.5, 0.5], [0, 0], gamma=1.0, lambda_=1.0, bootstrap_value=2.0)
    >>> adv.tolist(), ret.tolist()
    ([3.5, 2.5], [4.0, 3.0])
    """
    _, adv, ret = _gae(rewards, values, dones, gamma, lambda_, bootstrap_value, num_threads, True)
    return adv, ret


@fill_doc(params=_GAE_PARAMS)
def generalized_advantage_estimation_value_and_grad(
        rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *, gamma: float, lambda_: float,
        bootstrap_value: ArrayLike | None = None, grad_output: ArrayLike | None = None,
        num_threads: int | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """:func:`generalized_advantage_estimation` and the gradient of
    ``sum(grad_output * advantages)`` w.r.t. ``rewards`` and ``values`` (one forward scan).

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights of the advantages (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    ((advantages, returns), (grad_rewards, grad_values)).
    """
    s, adv, ret = _gae(rewards, values, dones, gamma, lambda_, bootstrap_value, num_threads, True)
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    g_r, g_v = _core.generalized_advantage_estimation_vjp(u, None, s.dones, s.gamma, s.lambda_,
                                                          resolve_threads(num_threads))
    return (adv, ret), (s.out(g_r), s.out(g_v))


@fill_doc(params=_GAE_PARAMS)
def lambda_returns(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *, gamma: float,
                   lambda_: float, bootstrap_value: ArrayLike | None = None,
                   num_threads: int | None = None) -> np.ndarray:
    """TD(lambda) returns (Sutton & Barto, ch. 12), the returns of GAE:

    .. math:: G^\\lambda_t = r_t + \\gamma (1 - d_t)
              \\left[(1 - \\lambda) V_{t+1} + \\lambda G^\\lambda_{t+1}\\right] = A_t + V_t.

    Parameters
    ----------
    <params>

    Returns
    -------
    returns : array of the rewards' shape.

    Examples
    --------
    >>> import fastloss
    >>> fastloss.lambda_returns([1.0, 1.0], [0.5, 0.5], [0, 0], gamma=1.0, lambda_=0.0,
    ...                         bootstrap_value=2.0).tolist()
    [1.5, 3.0]
    """
    return generalized_advantage_estimation(rewards, values, dones, gamma=gamma, lambda_=lambda_,
                                            bootstrap_value=bootstrap_value,
                                            num_threads=num_threads)[1]


@fill_doc(params=_GAE_PARAMS)
def lambda_returns_value_and_grad(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *,
                                  gamma: float, lambda_: float,
                                  bootstrap_value: ArrayLike | None = None,
                                  grad_output: ArrayLike | None = None,
                                  num_threads: int | None = None
                                  ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """:func:`lambda_returns` and the gradient of ``sum(grad_output * returns)`` w.r.t.
    ``rewards`` and ``values``.

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights of the returns (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    (returns, (grad_rewards, grad_values)).
    """
    s, _, ret = _gae(rewards, values, dones, gamma, lambda_, bootstrap_value, num_threads, True)
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    g_r, g_v = _core.generalized_advantage_estimation_vjp(None, u, s.dones, s.gamma, s.lambda_,
                                                          resolve_threads(num_threads))
    return ret, (s.out(g_r), s.out(g_v))


_NSTEP_PARAMS = _GAE_PARAMS.split("    lambda_ :")[0] + """    n : int >= 1
        Steps of rewards before bootstrapping from the value.
    bootstrap_value""" + _GAE_PARAMS.split("    bootstrap_value")[1]


def _n_step_args(rewards, values, dones, gamma, n, bootstrap_value):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        msg = f"n: expected a positive integer, got {n!r}"
        raise ValueError(msg)
    s = _Scan(rewards, dones, gamma, bootstrap_value, values=values)
    if s.values is None:
        msg = "values: expected an array of the rewards' shape, got None"
        raise TypeError(msg)
    return s, int(n)


@fill_doc(params=_NSTEP_PARAMS)
def n_step_returns(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *, gamma: float,
                   n: int, bootstrap_value: ArrayLike | None = None,
                   num_threads: int | None = None) -> np.ndarray:
    r"""n-step bootstrapped returns (rlax's ``n_step_bootstrapped_returns``):

    .. math:: G^{(n)}_t = \sum_{k < m} \gamma^k r_{t+k} + \gamma^m V_{t+m},
              \qquad m = \min(n, T - t),

    with :math:`V_T` = ``bootstrap_value``; the sum stops after a step with ``dones = 1``, and
    then there is no bootstrap. With ``values`` = max_a Q_target(s_t, a) these are n-step DQN
    targets: pass them to :func:`q_learning_loss` as ``r_t`` with ``discount_t = 0``.

    Parameters
    ----------
    <params>

    Returns
    -------
    returns : array of the rewards' shape.

    Examples
    --------
    >>> import fastloss
    >>> fastloss.n_step_returns([1.0, 1.0, 1.0], [0.0, 10.0, 20.0], [0, 0, 0], gamma=0.5, n=1,
    ...                         bootstrap_value=4.0).tolist()
    [6.0, 11.0, 3.0]
    """
    s, n = _n_step_args(rewards, values, dones, gamma, n, bootstrap_value)
    out = _core.n_step_returns(s.rewards, s.values, s.dones, n, s.gamma, s.bootstrap,
                               resolve_threads(num_threads))
    return s.out(out)


@fill_doc(params=_NSTEP_PARAMS)
def n_step_returns_value_and_grad(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *,
                                  gamma: float, n: int, bootstrap_value: ArrayLike | None = None,
                                  grad_output: ArrayLike | None = None,
                                  num_threads: int | None = None
                                  ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """:func:`n_step_returns` and the gradient of ``sum(grad_output * returns)`` w.r.t.
    ``rewards`` and ``values``.

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights of the returns (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    (returns, (grad_rewards, grad_values)).
    """
    s, n = _n_step_args(rewards, values, dones, gamma, n, bootstrap_value)
    threads = resolve_threads(num_threads)
    out = _core.n_step_returns(s.rewards, s.values, s.dones, n, s.gamma, s.bootstrap, threads)
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    g_r, g_v = _core.n_step_returns_vjp(u, s.dones, n, s.gamma, threads)
    return s.out(out), (s.out(g_r), s.out(g_v))


# ---------------------------------------------------------------------------------------------
# Losses


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
    value, grad = _core.policy_gradient_loss(x, a, adv, w, beta, reduction, want_grad, scale,
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


@fill_doc(params=_PG_PARAMS)
def policy_gradient_loss(logits: ArrayLike, actions: ArrayLike, advantages: ArrayLike, *,
                         entropy_coef: float = 0.0, normalize_advantages: bool = False,
                         weights: ArrayLike | None = None, reduction: str = "mean",
                         num_threads: int | None = None) -> Any:
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
                            weights, reduction, None, None, num_threads, False)[0]


@fill_doc(grad=GRAD_NOTE)
def policy_gradient_loss_value_and_grad(logits: ArrayLike, actions: ArrayLike,
                                        advantages: ArrayLike, *, entropy_coef: float = 0.0,
                                        normalize_advantages: bool = False,
                                        weights: ArrayLike | None = None, reduction: str = "mean",
                                        grad_output: Any = None,
                                        grad_out: np.ndarray | None = None,
                                        num_threads: int | None = None) -> tuple[Any, np.ndarray]:
    """:func:`policy_gradient_loss` and its gradient w.r.t. ``logits``, in one fused pass:
    w [A (pi_c - [c = a]) + beta pi_c (log pi_c + H)].

    <grad>
    """
    return _policy_gradient(logits, actions, advantages, entropy_coef, normalize_advantages,
                            weights, reduction, grad_output, grad_out, num_threads, True)


def _q_learning(q_tm1, a_tm1, r_t, discount_t, q_t, double_q, q_t_selector, loss, delta, weights,
                reduction, grad_output, grad_out, num_threads, want_grad):
    check_reduction(reduction)
    if loss not in ("huber", "squared"):
        msg = f"loss: expected 'huber' or 'squared', got {loss!r}"
        raise ValueError(msg)
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
    value, grad = _core.q_learning_loss(q0, a, r, disc, q1, sel, w, loss, d, reduction, want_grad,
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


@fill_doc(params=_Q_PARAMS)
def q_learning_loss(q_tm1: ArrayLike, a_tm1: ArrayLike, r_t: ArrayLike, discount_t: ArrayLike,
                    q_t: ArrayLike, *, double_q: bool = False,
                    q_t_selector: ArrayLike | None = None, loss: str = "huber",
                    delta: float = 1.0, weights: ArrayLike | None = None,
                    reduction: str = "mean", num_threads: int | None = None) -> Any:
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
                       weights, reduction, None, None, num_threads, False)[0]


@fill_doc(grad=GRAD_NOTE)
def q_learning_loss_value_and_grad(q_tm1: ArrayLike, a_tm1: ArrayLike, r_t: ArrayLike,
                                   discount_t: ArrayLike, q_t: ArrayLike, *,
                                   double_q: bool = False, q_t_selector: ArrayLike | None = None,
                                   loss: str = "huber", delta: float = 1.0,
                                   weights: ArrayLike | None = None, reduction: str = "mean",
                                   grad_output: Any = None, grad_out: np.ndarray | None = None,
                                   num_threads: int | None = None) -> tuple[Any, np.ndarray]:
    """:func:`q_learning_loss` and its gradient w.r.t. ``q_tm1`` (nonzero only at the taken
    actions: -clip(td, -delta, delta), or -td).

    <grad>
    """
    return _q_learning(q_tm1, a_tm1, r_t, discount_t, q_t, double_q, q_t_selector, loss, delta,
                       weights, reduction, grad_output, grad_out, num_threads, True)
