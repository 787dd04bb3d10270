"""Reference RL scans and losses: plain loops over time, float64, written from the definitions."""

from __future__ import annotations

import numpy as np

from ._common import deliver, f64, grad_coef, log_softmax, reduce

__all__ = [
    "discounted_returns",
    "discounted_returns_value_and_grad",
    "generalized_advantage_estimation",
    "generalized_advantage_estimation_value_and_grad",
    "lambda_returns",
    "lambda_returns_value_and_grad",
    "n_step_returns",
    "n_step_returns_value_and_grad",
    "policy_gradient_loss",
    "policy_gradient_loss_value_and_grad",
    "q_learning_loss",
    "q_learning_loss_value_and_grad",
]


def _grid(rewards, *others):
    """(T,) or (T, E) inputs as (T, E) float64, and a function restoring the shape."""
    r = f64(rewards)
    shape = r.shape
    envs = 1 if r.ndim == 1 else r.shape[1]
    out = [r.reshape(r.shape[0], envs)]
    for o in others:
        out.append(None if o is None else np.asarray(o, dtype=np.float64).reshape(r.shape[0], envs))
    return out, envs, (lambda a: a.reshape(shape))


def _bootstrap(value, envs):
    return np.zeros(envs) if value is None else np.broadcast_to(f64(value), (envs,)).astype(float)


def discounted_returns(rewards, dones, *, gamma, bootstrap_value=None, num_threads=None):
    (r, d), envs, back = _grid(rewards, np.asarray(dones) != 0)
    g = _bootstrap(bootstrap_value, envs).copy()
    out = np.empty_like(r)
    for t in range(r.shape[0] - 1, -1, -1):
        g = r[t] + gamma * (1 - d[t]) * g
        out[t] = g
    return back(out)


def discounted_returns_value_and_grad(rewards, dones, *, gamma, bootstrap_value=None,
                                      grad_output=None, num_threads=None):
    value = discounted_returns(rewards, dones, gamma=gamma, bootstrap_value=bootstrap_value)
    (r, d), envs, back = _grid(rewards, np.asarray(dones) != 0)
    u = np.broadcast_to(1.0 if grad_output is None else f64(grad_output), value.shape)
    u = u.reshape(r.shape)
    # G_s = sum_{t >= s} r_t prod_{s <= k < t} gamma (1 - d_k): dG_s / dr_t
    grad = np.zeros_like(r)
    for s in range(r.shape[0]):
        weight = np.ones(envs)
        for t in range(s, r.shape[0]):
            grad[t] += u[s] * weight
            weight = weight * gamma * (1 - d[t])
    return value, back(grad)


def generalized_advantage_estimation(rewards, values, dones, *, gamma, lambda_,
                                     bootstrap_value=None, num_threads=None):
    (r, v, d), envs, back = _grid(rewards, values, np.asarray(dones) != 0)
    v_next = _bootstrap(bootstrap_value, envs).copy()
    a = np.zeros(envs)
    adv = np.empty_like(r)
    for t in range(r.shape[0] - 1, -1, -1):
        delta = r[t] + gamma * (1 - d[t]) * v_next - v[t]
        a = delta + gamma * lambda_ * (1 - d[t]) * a
        adv[t] = a
        v_next = v[t]
    return back(adv), back(adv + v)


def _gae_jacobians(rewards, values, dones, gamma, lambda_):
    """dA_s/dr_t and dA_s/dV_t from the definition: A_s = sum_{t >= s} (gamma lambda)^(t-s)
    [prod_{s <= k < t} (1 - d_k)] delta_t, delta_t = r_t + gamma (1 - d_t) V_{t+1} - V_t."""
    (r, d), envs, _ = _grid(rewards, np.asarray(dones) != 0)
    steps = r.shape[0]
    d_r = np.zeros((steps, steps, envs))  # [s, t]
    d_v = np.zeros((steps, steps, envs))
    for s in range(steps):
        weight = np.ones(envs)
        for t in range(s, steps):
            d_r[s, t] += weight
            d_v[s, t] -= weight
            if t + 1 < steps:
                d_v[s, t + 1] += weight * gamma * (1 - d[t])
            weight = weight * gamma * lambda_ * (1 - d[t])
    return d_r, d_v


def generalized_advantage_estimation_value_and_grad(rewards, values, dones, *, gamma, lambda_,
                                                    bootstrap_value=None, grad_output=None,
                                                    num_threads=None):
    adv, ret = generalized_advantage_estimation(rewards, values, dones, gamma=gamma,
                                                lambda_=lambda_, bootstrap_value=bootstrap_value)
    d_r, d_v = _gae_jacobians(rewards, values, dones, gamma, lambda_)
    u = np.broadcast_to(1.0 if grad_output is None else f64(grad_output), adv.shape)
    u = u.reshape(d_r.shape[0], -1)
    return (adv, ret), ((u[:, None, :] * d_r).sum(0).reshape(adv.shape),
                        (u[:, None, :] * d_v).sum(0).reshape(adv.shape))


def lambda_returns(rewards, values, dones, *, gamma, lambda_, bootstrap_value=None,
                   num_threads=None):
    return generalized_advantage_estimation(rewards, values, dones, gamma=gamma, lambda_=lambda_,
                                            bootstrap_value=bootstrap_value)[1]


def lambda_returns_value_and_grad(rewards, values, dones, *, gamma, lambda_,
                                  bootstrap_value=None, grad_output=None, num_threads=None):
    ret = lambda_returns(rewards, values, dones, gamma=gamma, lambda_=lambda_,
                         bootstrap_value=bootstrap_value)
    d_r, d_v = _gae_jacobians(rewards, values, dones, gamma, lambda_)
    steps = d_r.shape[0]
    d_v = d_v + np.eye(steps)[:, :, None]  # returns = A + V
    u = np.broadcast_to(1.0 if grad_output is None else f64(grad_output), ret.shape)
    u = u.reshape(steps, -1)
    return ret, ((u[:, None, :] * d_r).sum(0).reshape(ret.shape),
                 (u[:, None, :] * d_v).sum(0).reshape(ret.shape))


def policy_gradient_loss_value_and_grad(logits, actions, advantages, *, entropy_coef=0.0,
                                        normalize_advantages=False, weights=None,
                                        reduction="mean", grad_output=None, grad_out=None,
                                        num_threads=None):
    x = f64(logits)
    n = x.shape[0]
    a = np.asarray(actions)
    adv = f64(advantages)
    if normalize_advantages:
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    w = np.ones(n) if weights is None else f64(weights)
    logp = log_softmax(x)
    p = np.exp(logp)
    entropy = -(p * logp).sum(axis=1)
    idx = np.arange(n)
    per = -w * (adv * logp[idx, a] + entropy_coef * entropy)
    onehot = np.zeros_like(x)
    onehot[idx, a] = 1.0
    dloss = w[:, None] * (adv[:, None] * (p - onehot)
                          + entropy_coef * p * (logp + entropy[:, None]))
    coef = grad_coef(grad_output, reduction, (n,), n)[:, None]
    return deliver(reduce(per, reduction, n), coef * dloss, grad_out)


def policy_gradient_loss(logits, actions, advantages, *, entropy_coef=0.0,
                         normalize_advantages=False, weights=None, reduction="mean",
                         num_threads=None):
    return policy_gradient_loss_value_and_grad(
        logits, actions, advantages, entropy_coef=entropy_coef,
        normalize_advantages=normalize_advantages, weights=weights, reduction=reduction)[0]


def q_learning_loss_value_and_grad(q_tm1, a_tm1, r_t, discount_t, q_t, *, double_q=False,
                                   q_t_selector=None, loss="huber", delta=1.0, weights=None,
                                   reduction="mean", grad_output=None, grad_out=None,
                                   num_threads=None):
    q0, q1 = f64(q_tm1), f64(q_t)
    n = q0.shape[0]
    a = np.asarray(a_tm1)
    idx = np.arange(n)
    if double_q:
        best = np.argmax(f64(q_t_selector), axis=1)
        bootstrap = q1[idx, best]
    else:
        bootstrap = q1.max(axis=1)
    target = f64(r_t) + np.broadcast_to(f64(discount_t), (n,)) * bootstrap
    td = target - q0[idx, a]
    w = np.ones(n) if weights is None else f64(weights)
    if loss == "huber":
        per = np.where(np.abs(td) <= delta, 0.5 * td * td, delta * (np.abs(td) - 0.5 * delta))
        dtd = np.clip(td, -delta, delta)
    else:
        per = 0.5 * td * td
        dtd = td
    grad = np.zeros_like(q0)
    grad[idx, a] = -w * dtd
    coef = grad_coef(grad_output, reduction, (n,), n)[:, None]
    return deliver(reduce(w * per, reduction, n), coef * grad, grad_out)


def q_learning_loss(q_tm1, a_tm1, r_t, discount_t, q_t, *, double_q=False, q_t_selector=None,
                    loss="huber", delta=1.0, weights=None, reduction="mean", num_threads=None):
    return q_learning_loss_value_and_grad(q_tm1, a_tm1, r_t, discount_t, q_t, double_q=double_q,
                                          q_t_selector=q_t_selector, loss=loss, delta=delta,
                                          weights=weights, reduction=reduction)[0]


def n_step_returns(rewards, values, dones, *, gamma, n, bootstrap_value=None, num_threads=None):
    (r, v, d), envs, back = _grid(rewards, values, np.asarray(dones) != 0)
    b = _bootstrap(bootstrap_value, envs)
    steps = r.shape[0]
    out = np.empty_like(r)
    for e in range(envs):
        for t in range(steps):
            acc, disc = 0.0, 1.0
            for k in range(n):
                if t + k >= steps:
                    acc += disc * b[e]
                    break
                acc += disc * r[t + k, e]
                disc *= gamma
                if d[t + k, e]:
                    break
            else:
                acc += disc * (v[t + n, e] if t + n < steps else b[e])
            out[t, e] = acc
    return back(out)


def n_step_returns_value_and_grad(rewards, values, dones, *, gamma, n, bootstrap_value=None,
                                  grad_output=None, num_threads=None):
    value = n_step_returns(rewards, values, dones, gamma=gamma, n=n,
                           bootstrap_value=bootstrap_value)
    (r, d), envs, back = _grid(rewards, np.asarray(dones) != 0)
    steps = r.shape[0]
    u = np.broadcast_to(1.0 if grad_output is None else f64(grad_output), value.shape)
    u = u.reshape(steps, envs)
    g_r, g_v = np.zeros_like(r), np.zeros_like(r)
    for e in range(envs):
        for t in range(steps):
            disc = 1.0
            for k in range(n):
                if t + k >= steps:
                    break
                g_r[t + k, e] += u[t, e] * disc
                disc *= gamma
                if d[t + k, e]:
                    break
            else:
                if t + n < steps:
                    g_v[t + n, e] += u[t, e] * disc
    return value, (back(g_r), back(g_v))
