"""RL scans and losses: reference, plain loops, closed forms, finite differences, threads, errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss
from fastloss import reference as ref

from ._helpers import assert_close, check_grad

# (T,), (T, E) with episode ends at the first and last steps, one step, many environments
# (more than one block of 256, and enough work for the threaded path)
SCAN_SHAPES = [(1,), (9,), (1, 5), (7, 3), (40, 300)]


def scan_inputs(rng, shape, dtype, done_kind="random"):
    rewards = rng.normal(size=shape).astype(dtype)
    values = rng.normal(size=shape).astype(dtype)
    if done_kind == "random":
        dones = rng.random(shape) < 0.2
        dones.reshape(shape[0], -1)[0] = True    # an episode ends at the first step
        dones.reshape(shape[0], -1)[-1] = True   # and at the last
    elif done_kind == "all":
        dones = np.ones(shape, bool)
    else:
        dones = np.zeros(shape, bool)
    return rewards, values, dones


def loop_discounted(r, d, gamma, bootstrap):
    """G_t = r_t + gamma (1 - d_t) G_{t+1}, one environment, as a plain Python loop."""
    out, g = [], bootstrap
    for rt, dt in zip(reversed(r), reversed(d)):
        g = rt + gamma * (1 - dt) * g
        out.append(g)
    return out[::-1]


@pytest.mark.parametrize("shape", SCAN_SHAPES)
@pytest.mark.parametrize("done_kind", ["random", "all", "none"])
@pytest.mark.parametrize("bootstrap", [None, "scalar", "per_env"])
def test_discounted_returns(shape, done_kind, bootstrap, dtype, rng):
    r, _, d = scan_inputs(rng, shape, dtype, done_kind)
    envs = 1 if len(shape) == 1 else shape[1]
    b = {None: None, "scalar": 0.7, "per_env": rng.normal(size=envs)}[bootstrap]
    got = fastloss.discounted_returns(r, d, gamma=0.9, bootstrap_value=b)
    assert got.dtype == dtype
    assert got.shape == shape
    assert_close(got, ref.discounted_returns(r, d, gamma=0.9, bootstrap_value=b), dtype)
    # and a plain loop, environment by environment
    r2, d2 = r.reshape(shape[0], envs), d.reshape(shape[0], envs)
    b2 = np.broadcast_to(0.0 if b is None else b, (envs,))
    for e in range(min(envs, 5)):
        want = loop_discounted(r2[:, e].astype(float), d2[:, e].astype(float), 0.9, b2[e])
        assert_close(got.reshape(shape[0], envs)[:, e], want, dtype)


def test_discounted_returns_closed_forms(rng):
    r = rng.normal(size=(30, 4))
    no_dones = np.zeros((30, 4))
    # gamma = 0: the rewards; gamma = 1 without ends: reversed cumulative sums
    np.testing.assert_array_equal(fastloss.discounted_returns(r, no_dones, gamma=0.0), r)
    np.testing.assert_allclose(fastloss.discounted_returns(r, no_dones, gamma=1.0),
                               np.cumsum(r[::-1], axis=0)[::-1], rtol=1e-12)
    # every step an episode: the rewards, whatever gamma and the bootstrap
    np.testing.assert_array_equal(
        fastloss.discounted_returns(r, np.ones((30, 4)), gamma=0.9, bootstrap_value=5.0), r)
    # a constant reward 1 over an endless episode: (1 - gamma^(T - t)) / (1 - gamma)
    ones = np.ones(50)
    want = (1 - 0.9 ** np.arange(50, 0, -1)) / (1 - 0.9)
    np.testing.assert_allclose(fastloss.discounted_returns(ones, np.zeros(50), gamma=0.9), want,
                               rtol=1e-12)


@pytest.mark.parametrize("shape", SCAN_SHAPES)
@pytest.mark.parametrize("done_kind", ["random", "all", "none"])
@pytest.mark.parametrize("lam", [0.0, 0.95, 1.0])
def test_gae_and_lambda_returns(shape, done_kind, lam, dtype, rng):
    r, v, d = scan_inputs(rng, shape, dtype, done_kind)
    kw = dict(gamma=0.99, lambda_=lam, bootstrap_value=0.3)
    adv, ret = fastloss.generalized_advantage_estimation(r, v, d, **kw)
    want_adv, want_ret = ref.generalized_advantage_estimation(r, v, d, **kw)
    assert adv.dtype == dtype
    assert adv.shape == shape
    assert_close(adv, want_adv, dtype)
    assert_close(ret, want_ret, dtype)
    assert_close(fastloss.lambda_returns(r, v, d, **kw), want_ret, dtype)


def test_gae_closed_forms(rng):
    r, v = rng.normal(size=(25, 3)), rng.normal(size=(25, 3))
    d = rng.random((25, 3)) < 0.2
    b = rng.normal(size=3)
    # lambda = 1: advantages are the discounted returns minus the values
    adv, ret = fastloss.generalized_advantage_estimation(r, v, d, gamma=0.9, lambda_=1.0,
                                                         bootstrap_value=b)
    np.testing.assert_allclose(
        adv, fastloss.discounted_returns(r, d, gamma=0.9, bootstrap_value=b) - v, rtol=1e-10,
        atol=1e-12)
    np.testing.assert_allclose(ret, adv + v, rtol=1e-14)
    # lambda = 0: one-step TD errors
    adv0, _ = fastloss.generalized_advantage_estimation(r, v, d, gamma=0.9, lambda_=0.0,
                                                        bootstrap_value=b)
    v_next = np.vstack([v[1:], b[None, :]])
    np.testing.assert_allclose(adv0, r + 0.9 * (1 - d) * v_next - v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("shape", [(6,), (5, 3)])
def test_scan_gradients(shape, rng):
    r, v, d = scan_inputs(rng, shape, np.float64)
    u = rng.normal(size=shape)
    value, grad = fastloss.discounted_returns_value_and_grad(r, d, gamma=0.8, bootstrap_value=0.5,
                                                             grad_output=u)
    want_value, want_grad = ref.discounted_returns_value_and_grad(r, d, gamma=0.8,
                                                                  bootstrap_value=0.5,
                                                                  grad_output=u)
    assert_close(value, want_value, np.float64)
    assert_close(grad, want_grad, np.float64)
    check_grad(lambda z: fastloss.discounted_returns(z, d, gamma=0.8, bootstrap_value=0.5), grad,
               r, weights=u)
    kw = dict(gamma=0.9, lambda_=0.7, bootstrap_value=0.5)
    (_adv, _), (g_r, g_v) = fastloss.generalized_advantage_estimation_value_and_grad(
        r, v, d, grad_output=u, **kw)
    (_, _), (w_r, w_v) = ref.generalized_advantage_estimation_value_and_grad(r, v, d,
                                                                            grad_output=u, **kw)
    assert_close(g_r, w_r, np.float64)
    assert_close(g_v, w_v, np.float64)
    check_grad(lambda z: fastloss.generalized_advantage_estimation(z, v, d, **kw)[0], g_r, r,
               weights=u)
    check_grad(lambda z: fastloss.generalized_advantage_estimation(r, z, d, **kw)[0], g_v, v,
               weights=u)
    _ret, (l_r, l_v) = fastloss.lambda_returns_value_and_grad(r, v, d, grad_output=u, **kw)
    check_grad(lambda z: fastloss.lambda_returns(z, v, d, **kw), l_r, r, weights=u)
    check_grad(lambda z: fastloss.lambda_returns(r, z, d, **kw), l_v, v, weights=u)


@pytest.mark.parametrize("shape", SCAN_SHAPES)
@pytest.mark.parametrize("done_kind", ["random", "all", "none"])
@pytest.mark.parametrize("n", [1, 3, 50])
def test_n_step_returns(shape, done_kind, n, dtype, rng):
    r, v, d = scan_inputs(rng, shape, dtype, done_kind)
    kw = dict(gamma=0.9, n=n, bootstrap_value=0.4)
    got = fastloss.n_step_returns(r, v, d, **kw)
    assert got.dtype == dtype
    assert got.shape == shape
    assert_close(got, ref.n_step_returns(r, v, d, **kw), dtype)


def test_n_step_returns_closed_forms(rng):
    r, v = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    d = rng.random((20, 3)) < 0.2
    b = rng.normal(size=3)
    # n = 1: the one-step TD target r_t + gamma (1 - d_t) V_{t+1}
    v_next = np.vstack([v[1:], b[None, :]])
    np.testing.assert_allclose(
        fastloss.n_step_returns(r, v, d, gamma=0.9, n=1, bootstrap_value=b),
        r + 0.9 * (1 - d) * v_next, rtol=1e-13)
    # n >= T: the full discounted returns (the values are never used)
    np.testing.assert_allclose(
        fastloss.n_step_returns(r, v, d, gamma=0.9, n=20, bootstrap_value=b),
        fastloss.discounted_returns(r, d, gamma=0.9, bootstrap_value=b), rtol=1e-12)


def test_n_step_returns_gradient(rng):
    r, v, d = scan_inputs(rng, (12, 2), np.float64)
    u = rng.normal(size=(12, 2))
    kw = dict(gamma=0.8, n=3, bootstrap_value=0.5)
    _value, (g_r, g_v) = fastloss.n_step_returns_value_and_grad(r, v, d, grad_output=u, **kw)
    _, (w_r, w_v) = ref.n_step_returns_value_and_grad(r, v, d, grad_output=u, **kw)
    assert_close(g_r, w_r, np.float64)
    assert_close(g_v, w_v, np.float64)
    check_grad(lambda z: fastloss.n_step_returns(z, v, d, **kw), g_r, r, weights=u)
    check_grad(lambda z: fastloss.n_step_returns(r, z, d, **kw), g_v, v, weights=u)


def test_n_step_dqn_targets(rng):
    # n-step targets fed to the TD loss as r_t with discount 0
    q_tm1, q_next = rng.normal(size=(10, 4)), rng.normal(size=(10, 4))
    a, r = rng.integers(0, 4, size=10), rng.normal(size=10)
    d = np.zeros(10, bool)
    targets = fastloss.n_step_returns(r, q_next.max(axis=1), d, gamma=0.9, n=3)
    loss = fastloss.q_learning_loss(q_tm1, a, targets, 0.0, q_next, loss="squared",
                                    reduction="none")
    np.testing.assert_allclose(loss, 0.5 * (targets - q_tm1[np.arange(10), a]) ** 2, rtol=1e-14)


def test_scans_identical_for_1_2_4_threads(rng):
    r, v, d = scan_inputs(rng, (64, 1000), np.float32)
    runs = [(fastloss.discounted_returns(r, d, gamma=0.9, num_threads=n),
             fastloss.generalized_advantage_estimation(r, v, d, gamma=0.9, lambda_=0.9,
                                                       num_threads=n),
             fastloss.n_step_returns(r, v, d, gamma=0.9, n=5, num_threads=n))
            for n in (1, 2, 4)]
    for dr, (adv, ret), nstep in runs[1:]:
        np.testing.assert_array_equal(dr, runs[0][0])
        np.testing.assert_array_equal(adv, runs[0][1][0])
        np.testing.assert_array_equal(ret, runs[0][1][1])
        np.testing.assert_array_equal(nstep, runs[0][2])


# ---- policy gradient ----------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 2), (7, 5), (33, 18), (4000, 18)])
@pytest.mark.parametrize("entropy_coef", [0.0, 0.01])
@pytest.mark.parametrize("weighted", [False, True])
def test_policy_gradient_matches_reference(shape, entropy_coef, weighted, dtype, reduction, rng):
    x = (2 * rng.normal(size=shape)).astype(dtype)
    a = rng.integers(0, shape[1], size=shape[0])
    adv = rng.normal(size=shape[0]).astype(dtype)
    kw = dict(entropy_coef=entropy_coef, reduction=reduction,
              weights=(rng.random(shape[0]) < 0.8).astype(dtype) if weighted else None)
    value, grad = fastloss.policy_gradient_loss_value_and_grad(x, a, adv, **kw)
    want_value, want_grad = ref.policy_gradient_loss_value_and_grad(x, a, adv, **kw)
    assert grad.dtype == dtype
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)


def test_policy_gradient_by_hand_and_identities(rng):
    # uniform policy over 4 actions: log pi = -log 4, H = log 4
    loss = fastloss.policy_gradient_loss(np.zeros((1, 4)), [2], [3.0], entropy_coef=0.5)
    assert loss == pytest.approx(-(3.0 * -np.log(4) + 0.5 * np.log(4)), rel=1e-14)
    x = rng.normal(size=(20, 6))
    a, adv = rng.integers(0, 6, size=20), rng.normal(size=20)
    # log-probabilities in place of logits give the same loss (log-softmax is idempotent)
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(
        fastloss.policy_gradient_loss(logp, a, adv, entropy_coef=0.1, reduction="none"),
        fastloss.policy_gradient_loss(x, a, adv, entropy_coef=0.1, reduction="none"), rtol=1e-12)
    # normalised advantages: the same as normalising them first
    norm = (adv - adv.mean()) / (adv.std() + 1e-8)
    assert fastloss.policy_gradient_loss(x, a, adv, normalize_advantages=True) == pytest.approx(
        fastloss.policy_gradient_loss(x, a, norm), rel=1e-12)


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_policy_gradient_finite_differences(reduction, rng):
    x = rng.normal(size=(4, 5))
    a, adv, w = rng.integers(0, 5, size=4), rng.normal(size=4), rng.uniform(0.5, 1.5, size=4)
    go = rng.normal(size=4) if reduction == "none" else np.float64(1.0)
    kw = dict(entropy_coef=0.3, weights=w, reduction=reduction)
    _, grad = fastloss.policy_gradient_loss_value_and_grad(x, a, adv, grad_output=go, **kw)
    check_grad(lambda z: fastloss.policy_gradient_loss(z, a, adv, **kw), grad, x, weights=go)


def test_policy_gradient_extremes_are_finite(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype)
    value, grad = fastloss.policy_gradient_loss_value_and_grad(x, [1, 0], [1.0, -1.0],
                                                               entropy_coef=0.1, reduction="none")
    assert np.isfinite(value).all()
    assert np.isfinite(grad).all()
    assert value[0] == pytest.approx(2e4, rel=1e-6)


# ---- Q-learning ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(1, 2), (9, 4), (3000, 18)])
@pytest.mark.parametrize("loss", ["huber", "squared"])
@pytest.mark.parametrize("double_q", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_q_learning_matches_reference(shape, loss, double_q, weighted, dtype, reduction, rng):
    q_tm1 = (2 * rng.normal(size=shape)).astype(dtype)
    q_t = (2 * rng.normal(size=shape)).astype(dtype)
    a = rng.integers(0, shape[1], size=shape[0])
    r = rng.normal(size=shape[0]).astype(dtype)
    disc = (0.99 * (rng.random(shape[0]) > 0.1)).astype(dtype)
    kw = dict(loss=loss, delta=0.7, reduction=reduction, double_q=double_q,
              q_t_selector=rng.normal(size=shape).astype(dtype) if double_q else None,
              weights=rng.random(shape[0]).astype(dtype) if weighted else None)
    value, grad = fastloss.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t, **kw)
    want_value, want_grad = ref.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t, **kw)
    assert_close(value, want_value, dtype)
    assert_close(grad, want_grad, dtype)
    # only the taken actions get a gradient
    mask = np.ones(shape, bool)
    mask[np.arange(shape[0]), a] = False
    assert (grad[mask] == 0).all()


def test_q_learning_by_hand():
    q_tm1, q_t = np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[4.0, 0.0], [1.0, 3.0]])
    # row 0: target 1 + 0.5 * 4 = 3, td = 2; row 1: target 0 + 1.0 * 3 = 3, td = 3 - 0 = 3
    value = fastloss.q_learning_loss(q_tm1, [0, 1], [1.0, 0.0], [0.5, 1.0], q_t, loss="squared",
                                     reduction="none")
    np.testing.assert_allclose(value, [0.5 * 4, 0.5 * 9])
    # double DQN: the selector picks action 1 in row 0 -> target 1 + 0.5 * 0 = 1, td = 0
    value = fastloss.q_learning_loss(q_tm1, [0, 1], [1.0, 0.0], [0.5, 1.0], q_t, double_q=True,
                                     q_t_selector=[[0.0, 1.0], [1.0, 0.0]], reduction="none")
    np.testing.assert_allclose(value, [0.0, 1.0 * (1.0 - 0.5)])  # row 1: td = 1 - 0, Huber


def test_q_learning_finite_differences(rng):
    q_tm1, q_t = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    a, r, disc = rng.integers(0, 4, size=6), rng.normal(size=6), np.full(6, 0.9)
    for loss in ("huber", "squared"):
        _, grad = fastloss.q_learning_loss_value_and_grad(q_tm1, a, r, disc, q_t, loss=loss,
                                                          delta=5.0)
        check_grad(lambda z, loss=loss: fastloss.q_learning_loss(z, a, r, disc, q_t, loss=loss,
                                                                 delta=5.0), grad, q_tm1)


def test_q_learning_huber_equals_squared_inside_delta(rng):
    q_tm1, q_t = rng.normal(size=(50, 3)) * 0.1, rng.normal(size=(50, 3)) * 0.1
    args = (q_tm1, rng.integers(0, 3, size=50), rng.normal(size=50) * 0.1, 0.9, q_t)
    np.testing.assert_allclose(fastloss.q_learning_loss(*args, loss="huber", delta=10.0),
                               fastloss.q_learning_loss(*args, loss="squared"), rtol=1e-14)


# ---- errors ------------------------------------------------------------------------------------

class TestErrors:
    def test_gamma_range(self):
        with pytest.raises(ValueError, match=r"gamma: expected a number in \[0, 1\]"):
            fastloss.discounted_returns([1.0], [0], gamma=1.5)
        with pytest.raises(ValueError, match=r"lambda_: expected a number in \[0, 1\]"):
            fastloss.generalized_advantage_estimation([1.0], [0.0], [0], gamma=0.9, lambda_=-1)

    def test_scan_shapes(self):
        with pytest.raises(ValueError, match="dones: expected the shape of rewards"):
            fastloss.discounted_returns(np.ones((4, 2)), np.zeros(4), gamma=0.9)
        with pytest.raises(ValueError, match=r"bootstrap_value: expected a scalar or shape \(2,\)"):
            fastloss.discounted_returns(np.ones((4, 2)), np.zeros((4, 2)), gamma=0.9,
                                        bootstrap_value=[1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="rewards: expected a non-empty"):
            fastloss.discounted_returns(np.ones((2, 2, 2)), np.zeros((2, 2, 2)), gamma=0.9)
        with pytest.raises(ValueError, match="values: expected the shape of rewards"):
            fastloss.lambda_returns(np.ones(4), np.ones(3), np.zeros(4), gamma=0.9, lambda_=0.9)
        with pytest.raises(ValueError, match="n: expected a positive integer, got 0"):
            fastloss.n_step_returns(np.ones(4), np.ones(4), np.zeros(4), gamma=0.9, n=0)

    def test_actions_out_of_range(self):
        with pytest.raises(ValueError, match=r"actions: expected values in \[0, 3\), got 3"):
            fastloss.policy_gradient_loss(np.zeros((2, 3)), [0, 3], [1.0, 1.0])
        with pytest.raises(ValueError, match=r"a_tm1: expected values in \[0, 3\), got -1"):
            fastloss.q_learning_loss(np.zeros((2, 3)), [0, -1], [0.0, 0.0], 0.9, np.zeros((2, 3)))

    def test_loss_shapes_and_options(self):
        with pytest.raises(ValueError, match=r"advantages: expected shape \(2,\)"):
            fastloss.policy_gradient_loss(np.zeros((2, 3)), [0, 1], [1.0, 1.0, 1.0])
        with pytest.raises(ValueError, match="q_t: expected the shape of q_tm1"):
            fastloss.q_learning_loss(np.zeros((2, 3)), [0, 1], [0.0, 0.0], 0.9, np.zeros((2, 4)))
        with pytest.raises(ValueError, match="q_t_selector: double_q=True needs"):
            fastloss.q_learning_loss(np.zeros((2, 3)), [0, 1], [0.0, 0.0], 0.9, np.zeros((2, 3)),
                                     double_q=True)
        with pytest.raises(ValueError, match="q_t_selector: only used with double_q=True"):
            fastloss.q_learning_loss(np.zeros((2, 3)), [0, 1], [0.0, 0.0], 0.9, np.zeros((2, 3)),
                                     q_t_selector=np.zeros((2, 3)))
        with pytest.raises(ValueError, match="loss: expected one of 'huber', 'squared'"):
            fastloss.q_learning_loss(np.zeros((2, 3)), [0, 1], [0.0, 0.0], 0.9, np.zeros((2, 3)),
                                     loss="l1")
        with pytest.raises(TypeError, match="actions: expected an integer array"):
            fastloss.policy_gradient_loss(np.zeros((2, 3)), [0.0, 1.0], [1.0, 1.0])
