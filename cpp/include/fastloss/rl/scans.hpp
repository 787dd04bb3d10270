// Return scans for reinforcement learning: discounted returns and generalised advantage
// estimation (whose returns are the lambda-returns), and their vector-Jacobian products.
//
// Layout: (T, E) row-major, time-major (E environments side by side; E = 1 for a single
// trajectory). dones[t, e] = 1 means the episode ended after step t: nothing is carried
// across it. Each environment is one sequential scan; environments are independent, so they
// are split into blocks run in parallel and vectorised across the block (outputs depend on
// their own column only: results do not depend on the thread count). State is kept in double.
// dones are bytes (0 or 1): a bool array is passed without a copy.
#pragma once

#include <cstdint>

#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/types.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// Environments per block: one SIMD-friendly slice of each time step, small enough to keep
// the running state in L1.
constexpr index_t kEnvBlock = 256;

namespace detail {

/// Runs body(e0, len) over blocks of environments, in parallel when there is enough work.
template <class F>
void for_env_blocks(index_t steps, index_t envs, int num_threads, F&& body) {
    ordered_block_sum(envs, kEnvBlock, steps * envs, num_threads, [&](index_t e0, index_t e1) {
        body(e0, e1 - e0);
        return 0.0;
    });
}

template <class T>
FASTLOSS_NOINLINE void discounted_block(const T* __restrict r, const std::uint8_t* __restrict d,
                                        index_t steps, index_t envs, index_t e0, index_t len,
                                        double gamma, const T* __restrict bootstrap,
                                        T* __restrict out) {
    if (envs == 1) {  // one trajectory: a plain scalar recurrence, no SIMD loop per step
        double g = bootstrap ? static_cast<double>(bootstrap[0]) : 0.0;
        for (index_t t = steps - 1; t >= 0; --t) {
            g = static_cast<double>(r[t]) + (d[t] ? 0.0 : gamma * g);
            out[t] = static_cast<T>(g);
        }
        return;
    }
    double G[kEnvBlock];
    for (index_t j = 0; j < len; ++j)
        G[j] = bootstrap ? static_cast<double>(bootstrap[e0 + j]) : 0.0;
    for (index_t t = steps - 1; t >= 0; --t) {
        const T* rt = r + t * envs + e0;
        const std::uint8_t* dt = d + t * envs + e0;
        T* ot = out + t * envs + e0;
#pragma omp simd
        for (index_t j = 0; j < len; ++j) {
            G[j] = static_cast<double>(rt[j]) + gamma * (1.0 - static_cast<double>(dt[j])) * G[j];
            ot[j] = static_cast<T>(G[j]);
        }
    }
}

/// Forward scan of the VJP of discounted returns: c_t = u_t + gamma (1 - d_{t-1}) c_{t-1}.
template <class T>
FASTLOSS_NOINLINE void discounted_vjp_block(const T* __restrict u, const std::uint8_t* __restrict d,
                                            index_t steps, index_t envs, index_t e0, index_t len,
                                            double gamma, T* __restrict grad) {
    double c[kEnvBlock];
    for (index_t j = 0; j < len; ++j) {  // t = 0: nothing before it
        c[j] = static_cast<double>(u[e0 + j]);
        grad[e0 + j] = u[e0 + j];
    }
    for (index_t t = 1; t < steps; ++t) {
        const T* ut = u + t * envs + e0;
        const std::uint8_t* dp = d + (t - 1) * envs + e0;
        T* gt = grad + t * envs + e0;
#pragma omp simd
        for (index_t j = 0; j < len; ++j) {
            c[j] = static_cast<double>(ut[j]) + gamma * (1.0 - static_cast<double>(dp[j])) * c[j];
            gt[j] = static_cast<T>(c[j]);
        }
    }
}

template <bool HasRet, class T>
FASTLOSS_NOINLINE void gae_block(const T* __restrict r, const T* __restrict v,
                                 const std::uint8_t* __restrict d, index_t steps, index_t envs,
                                 index_t e0, index_t len, double gamma, double lambda,
                                 const T* __restrict bootstrap, T* __restrict adv,
                                 T* __restrict ret) {
    double A[kEnvBlock], V_next[kEnvBlock];
    for (index_t j = 0; j < len; ++j) {
        A[j] = 0.0;
        V_next[j] = bootstrap ? static_cast<double>(bootstrap[e0 + j]) : 0.0;
    }
    for (index_t t = steps - 1; t >= 0; --t) {
        const index_t o = t * envs + e0;
#pragma omp simd
        for (index_t j = 0; j < len; ++j) {
            const double keep = 1.0 - static_cast<double>(d[o + j]);
            const double vt = static_cast<double>(v[o + j]);
            const double delta = static_cast<double>(r[o + j]) + gamma * keep * V_next[j] - vt;
            A[j] = delta + gamma * lambda * keep * A[j];
            V_next[j] = vt;
            adv[o + j] = static_cast<T>(A[j]);
            if constexpr (HasRet) ret[o + j] = static_cast<T>(A[j] + vt);
        }
    }
}

/**
 * Forward scan of the VJP of GAE, for L = sum_t u_adv,t A_t + u_ret,t (A_t + V_t):
 *   c_t = u_adv,t + u_ret,t + gamma lambda (1 - d_{t-1}) c_{t-1},   dL/dr_t = c_t,
 *   dL/dV_t = -c_t + gamma (1 - d_{t-1}) c_{t-1} + u_ret,t      (the c_{-1} terms are 0).
 */
template <bool HasAdv, bool HasRet, class T>
FASTLOSS_NOINLINE void gae_vjp_block(const T* __restrict u_adv, const T* __restrict u_ret,
                                     const std::uint8_t* __restrict d, index_t steps, index_t envs,
                                     index_t e0, index_t len, double gamma, double lambda,
                                     T* __restrict grad_r, T* __restrict grad_v) {
    double c[kEnvBlock] = {};
    for (index_t t = 0; t < steps; ++t) {
        const index_t o = t * envs + e0;
        // keep_prev = 1 - d_{t-1}; at t = 0 the (zero) carry is multiplied by an arbitrary
        // in-bounds value instead of reading before the array.
        const std::uint8_t* dp = d + (t > 0 ? o - envs : o);
#pragma omp simd
        for (index_t j = 0; j < len; ++j) {
            const double keep_prev = 1.0 - static_cast<double>(dp[j]);
            double ur = 0.0, ua = 0.0;
            if constexpr (HasRet) ur = static_cast<double>(u_ret[o + j]);
            if constexpr (HasAdv) ua = static_cast<double>(u_adv[o + j]);
            const double c_prev = c[j];
            c[j] = ua + ur + gamma * lambda * keep_prev * c_prev;
            grad_r[o + j] = static_cast<T>(c[j]);
            grad_v[o + j] = static_cast<T>(-c[j] + gamma * keep_prev * c_prev + ur);
        }
    }
}

/**
 * n-step returns of one environment column (stride envs):
 *   G_t = sum_{k < m} gamma^k r_{t+k} + gamma^m V_{t+m},  m = min(n, T - t), V_T = bootstrap,
 * stopping (without bootstrap) after a step with d = 1. O(T n) per environment.
 */
template <class T>
FASTLOSS_NOINLINE void n_step_column(const T* __restrict r, const T* __restrict v,
                                     const std::uint8_t* __restrict d, index_t steps, index_t envs,
                                     index_t e, index_t n, double gamma, double bootstrap,
                                     T* __restrict out) {
    for (index_t t = 0; t < steps; ++t) {
        double acc = 0.0, disc = 1.0;
        index_t k = 0;
        bool ended = false;
        for (; k < n && t + k < steps; ++k) {
            const index_t o = (t + k) * envs + e;
            acc += disc * static_cast<double>(r[o]);
            disc *= gamma;
            if (d[o]) {
                ended = true;
                break;
            }
        }
        if (!ended) {
            const index_t s = t + k;  // the bootstrap state
            acc += disc * (s < steps ? static_cast<double>(v[s * envs + e]) : bootstrap);
        }
        out[t * envs + e] = static_cast<T>(acc);
    }
}

/// VJP of n_step_column for L = sum_t u_t G_t: scatters u_t gamma^k to the rewards and
/// u_t gamma^m to the bootstrap value (grad_r and grad_v are zeroed first).
template <class T>
FASTLOSS_NOINLINE void n_step_vjp_column(const T* __restrict u, const std::uint8_t* __restrict d,
                                         index_t steps, index_t envs, index_t e, index_t n,
                                         double gamma, T* __restrict grad_r, T* __restrict grad_v) {
    for (index_t t = 0; t < steps; ++t) {
        grad_r[t * envs + e] = T(0);
        grad_v[t * envs + e] = T(0);
    }
    for (index_t t = 0; t < steps; ++t) {
        const double ut = static_cast<double>(u[t * envs + e]);
        double disc = 1.0;
        index_t k = 0;
        bool ended = false;
        for (; k < n && t + k < steps; ++k) {
            const index_t o = (t + k) * envs + e;
            grad_r[o] = static_cast<T>(static_cast<double>(grad_r[o]) + ut * disc);
            disc *= gamma;
            if (d[o]) {
                ended = true;
                break;
            }
        }
        if (!ended && t + k < steps) {
            const index_t o = (t + k) * envs + e;
            grad_v[o] = static_cast<T>(static_cast<double>(grad_v[o]) + ut * disc);
        }
    }
}

}  // namespace detail

/**
 * n-step bootstrapped returns (rlax's n_step_bootstrapped_returns with dones and gamma):
 * rewards, values, dones, out: (steps, envs); bootstrap: (envs,) or null (0).
 */
template <class T>
void n_step_returns(const T* rewards, const T* values, const std::uint8_t* dones, index_t steps,
                    index_t envs, index_t n, double gamma, const T* bootstrap, T* out,
                    int num_threads) {
    detail::for_env_blocks(steps * n, envs, num_threads, [&](index_t e0, index_t len) {
        for (index_t e = e0; e < e0 + len; ++e)
            detail::n_step_column(rewards, values, dones, steps, envs, e, n, gamma,
                                  bootstrap ? static_cast<double>(bootstrap[e]) : 0.0, out);
    });
}

/// d sum(u G) / d (rewards, values); the bootstrap value and dones are constants.
template <class T>
void n_step_returns_vjp(const T* u, const std::uint8_t* dones, index_t steps, index_t envs,
                        index_t n, double gamma, T* grad_rewards, T* grad_values, int num_threads) {
    detail::for_env_blocks(steps * n, envs, num_threads, [&](index_t e0, index_t len) {
        for (index_t e = e0; e < e0 + len; ++e)
            detail::n_step_vjp_column(u, dones, steps, envs, e, n, gamma, grad_rewards,
                                      grad_values);
    });
}

/**
 * Discounted returns  G_t = r_t + gamma (1 - d_t) G_{t+1},  G_T = bootstrap (or 0).
 * rewards, dones, out: (steps, envs); bootstrap: (envs,) or null.
 */
template <class T>
void discounted_returns(const T* rewards, const std::uint8_t* dones, index_t steps, index_t envs,
                        double gamma, const T* bootstrap, T* out, int num_threads) {
    detail::for_env_blocks(steps, envs, num_threads, [&](index_t e0, index_t len) {
        detail::discounted_block(rewards, dones, steps, envs, e0, len, gamma, bootstrap, out);
    });
}

/// d sum(u G) / d rewards (bootstrap_value and dones are constants). u, grad: (steps, envs).
template <class T>
void discounted_returns_vjp(const T* u, const std::uint8_t* dones, index_t steps, index_t envs,
                            double gamma, T* grad, int num_threads) {
    detail::for_env_blocks(steps, envs, num_threads, [&](index_t e0, index_t len) {
        detail::discounted_vjp_block(u, dones, steps, envs, e0, len, gamma, grad);
    });
}

/**
 * Generalised advantage estimation (Schulman et al. 2016):
 *   delta_t = r_t + gamma (1 - d_t) V_{t+1} - V_t,  A_t = delta_t + gamma lambda (1 - d_t) A_{t+1},
 * V_T = bootstrap (or 0). returns = A + V are the lambda-returns. ret may be null.
 */
template <class T>
void generalized_advantage_estimation(const T* rewards, const T* values, const std::uint8_t* dones,
                                      index_t steps, index_t envs, double gamma, double lambda,
                                      const T* bootstrap, T* advantages, T* returns,
                                      int num_threads) {
    with_flag(returns != nullptr, [&](auto has_ret) {
        detail::for_env_blocks(steps, envs, num_threads, [&](index_t e0, index_t len) {
            detail::gae_block<decltype(has_ret)::value>(rewards, values, dones, steps, envs, e0,
                                                        len, gamma, lambda, bootstrap, advantages,
                                                        returns);
        });
    });
}

/// VJP of GAE w.r.t. rewards and values (see detail::gae_vjp_block); u_adv or u_ret may be null.
template <class T>
void generalized_advantage_estimation_vjp(const T* u_adv, const T* u_ret, const std::uint8_t* dones,
                                          index_t steps, index_t envs, double gamma, double lambda,
                                          T* grad_rewards, T* grad_values, int num_threads) {
    with_flags(u_adv != nullptr, u_ret != nullptr, [&](auto has_adv, auto has_ret) {
        detail::for_env_blocks(steps, envs, num_threads, [&](index_t e0, index_t len) {
            detail::gae_vjp_block<decltype(has_adv)::value, decltype(has_ret)::value>(
                u_adv, u_ret, dones, steps, envs, e0, len, gamma, lambda, grad_rewards,
                grad_values);
        });
    });
}

FASTLOSS_END_ISA_NAMESPACE
