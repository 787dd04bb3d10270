"""Reinforcement learning: the return scans (discounted returns, n-step returns,
lambda-returns, GAE) and their vector-Jacobian products, batched over NumPy arrays.

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

from .. import _core
from .._docs import fill, fill_doc
from .._loss import loss
from .._options import check_number, resolve_threads
from .._validation import as_float_arrays, check_same_shape

__all__ = [
    "discounted_returns",
    "discounted_returns_value_and_grad",
    "generalized_advantage_estimation",
    "generalized_advantage_estimation_value_and_grad",
    "lambda_returns",
    "lambda_returns_value_and_grad",
    "n_step_returns",
    "n_step_returns_value_and_grad",
]

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


_DISCOUNTED_RETURNS_GRAD = fill("""the gradient of ``sum(grad_output * returns)`` w.r.t.
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
    """, params=_SCAN_PARAMS)


@loss(grads="rewards", grad_doc=_DISCOUNTED_RETURNS_GRAD, grad_note="")
@fill_doc(params=_SCAN_PARAMS)
def discounted_returns(rewards: ArrayLike, dones: ArrayLike, *, gamma: float,
                       bootstrap_value: ArrayLike | None = None,
                       grad_output: ArrayLike | None = None, num_threads: int | None = None,
                       want_grad: bool) -> tuple[Any, Any]:
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
    threads = resolve_threads(num_threads)
    out = _core.discounted_returns(s.rewards, s.dones, s.gamma, s.bootstrap, threads)
    if not want_grad:
        return s.out(out), None
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    grad = _core.discounted_returns_vjp(u, s.dones, s.gamma, threads)
    return s.out(out), s.out(grad)


discounted_returns_value_and_grad = discounted_returns.value_and_grad


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


_GENERALIZED_ADVANTAGE_ESTIMATION_GRAD = fill("""the gradient of
    ``sum(grad_output * advantages)`` w.r.t. ``rewards`` and ``values`` (one forward scan).

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights of the advantages (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    ((advantages, returns), (grad_rewards, grad_values)).
    """, params=_GAE_PARAMS)


@loss(grads=("rewards", "values"), grad_doc=_GENERALIZED_ADVANTAGE_ESTIMATION_GRAD, grad_note="")
@fill_doc(params=_GAE_PARAMS)
def generalized_advantage_estimation(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *,
                                     gamma: float, lambda_: float,
                                     bootstrap_value: ArrayLike | None = None,
                                     grad_output: ArrayLike | None = None,
                                     num_threads: int | None = None,
                                     want_grad: bool) -> tuple[Any, Any]:
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
    s, adv, ret = _gae(rewards, values, dones, gamma, lambda_, bootstrap_value, num_threads, True)
    if not want_grad:
        return (adv, ret), None
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    g_r, g_v = _core.generalized_advantage_estimation_vjp(u, None, s.dones, s.gamma, s.lambda_,
                                                          resolve_threads(num_threads))
    return (adv, ret), (s.out(g_r), s.out(g_v))


generalized_advantage_estimation_value_and_grad = generalized_advantage_estimation.value_and_grad


_LAMBDA_RETURNS_GRAD = fill("""the gradient of ``sum(grad_output * returns)`` w.r.t.
    ``rewards`` and ``values``.

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights of the returns (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    (returns, (grad_rewards, grad_values)).
    """, params=_GAE_PARAMS)


@loss(grads=("rewards", "values"), grad_doc=_LAMBDA_RETURNS_GRAD, grad_note="")
@fill_doc(params=_GAE_PARAMS)
def lambda_returns(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *, gamma: float,
                   lambda_: float, bootstrap_value: ArrayLike | None = None,
                   grad_output: ArrayLike | None = None, num_threads: int | None = None,
                   want_grad: bool) -> tuple[Any, Any]:
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
    s, _, ret = _gae(rewards, values, dones, gamma, lambda_, bootstrap_value, num_threads, True)
    if not want_grad:
        return ret, None
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    g_r, g_v = _core.generalized_advantage_estimation_vjp(None, u, s.dones, s.gamma, s.lambda_,
                                                          resolve_threads(num_threads))
    return ret, (s.out(g_r), s.out(g_v))


lambda_returns_value_and_grad = lambda_returns.value_and_grad


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


_N_STEP_RETURNS_GRAD = fill("""the gradient of ``sum(grad_output * returns)`` w.r.t.
    ``rewards`` and ``values``.

    Parameters
    ----------
    <params>
    grad_output : array_like, optional
        Weights of the returns (broadcastable to the rewards' shape); default all ones.

    Returns
    -------
    (returns, (grad_rewards, grad_values)).
    """, params=_NSTEP_PARAMS)


@loss(grads=("rewards", "values"), grad_doc=_N_STEP_RETURNS_GRAD, grad_note="")
@fill_doc(params=_NSTEP_PARAMS)
def n_step_returns(rewards: ArrayLike, values: ArrayLike, dones: ArrayLike, *, gamma: float,
                   n: int, bootstrap_value: ArrayLike | None = None,
                   grad_output: ArrayLike | None = None, num_threads: int | None = None,
                   want_grad: bool) -> tuple[Any, Any]:
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
    threads = resolve_threads(num_threads)
    out = _core.n_step_returns(s.rewards, s.values, s.dones, n, s.gamma, s.bootstrap, threads)
    if not want_grad:
        return s.out(out), None
    u = s.grid(1.0 if grad_output is None else grad_output, "grad_output")
    g_r, g_v = _core.n_step_returns_vjp(u, s.dones, n, s.gamma, threads)
    return s.out(out), (s.out(g_r), s.out(g_v))


n_step_returns_value_and_grad = n_step_returns.value_and_grad
