// Reinforcement-learning losses over batches of rows (N transitions x A actions): the
// policy-gradient loss of a softmax policy with an entropy bonus, and the Q-learning TD loss
// (DQN and double DQN). Rows are read once; the per-row loops are named functions so that
// they vectorise (common/isa.hpp).
#pragma once

#include <cmath>

#include "fastloss/classification/softmax.hpp"
#include "fastloss/common/parallel.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// x - m (<= 0), clamped at -1e4, where e^(x - m) is 0 in float and double alike: a masked
/// action's -inf logit (or an x - m past the float range) then gives the terms e (x - m) and
/// e k2 (x - m) their value 0, not 0 * inf = NaN. NaN propagates.
template <class T>
FASTLOSS_ALWAYS_INLINE T offset_from_max(T x, T m) {
    const T z = x - m;
    return z < T(-1e4) ? T(-1e4) : z;
}

/// S = sum e_c and D = sum e_c (x_c - m), e_c = exp(x_c - m); e_c into e_out when StoreE.
template <bool StoreE, class T>
FASTLOSS_NOINLINE void pg_row_sums(const T* __restrict x, index_t c, T m, T* __restrict e_out,
                                   double* S_out, double* D_out) {
    double S = 0.0, D = 0.0;
#pragma omp simd reduction(+ : S, D)
    for (index_t j = 0; j < c; ++j) {
        const T z = offset_from_max(x[j], m);
        const T e = vm::exp_nonpositive(z);
        if constexpr (StoreE) e_out[j] = e;
        S += static_cast<double>(e);
        D += static_cast<double>(e) * static_cast<double>(z);
    }
    *S_out = S;
    *D_out = D;
}

/// g_c = e_c (k1 + k2 (x_c - m)), in place over e_c.
template <class T>
FASTLOSS_NOINLINE void pg_row_grad(T* __restrict g, const T* __restrict x, index_t c, T m, T k1,
                                   T k2) {
#pragma omp simd
    for (index_t j = 0; j < c; ++j) g[j] = g[j] * (k1 + k2 * offset_from_max(x[j], m));
}

/// The largest value of a short row: four independent running maxima (no call, no horizontal
/// vector reduction), which beats a SIMD reduction for the few actions of an RL head.
template <class T>
inline T short_row_max(const T* x, index_t c) {
    T m0 = x[0], m1 = x[0], m2 = x[0], m3 = x[0];
    index_t j = 1;
    for (; j + 4 <= c; j += 4) {
        m0 = x[j] > m0 ? x[j] : m0;
        m1 = x[j + 1] > m1 ? x[j + 1] : m1;
        m2 = x[j + 2] > m2 ? x[j + 2] : m2;
        m3 = x[j + 3] > m3 ? x[j + 3] : m3;
    }
    for (; j < c; ++j) m0 = x[j] > m0 ? x[j] : m0;
    m0 = m1 > m0 ? m1 : m0;
    m2 = m3 > m2 ? m3 : m2;
    return m2 > m0 ? m2 : m0;
}

/// The first index of the largest value of a row (NaN compares false: skipped, as argmax's
/// first-maximum rule does for numbers).
template <class T>
inline index_t row_argmax(const T* x, index_t c) {
    index_t best = 0;
    for (index_t j = 1; j < c; ++j)
        if (x[j] > x[best]) best = j;
    return best;
}

}  // namespace detail

/**
 * Policy-gradient loss of a softmax policy (REINFORCE / actor-critic), per row i:
 *   l_i = -w_i [A_i log pi(a_i | s_i) + beta H(pi(. | s_i))],   pi = softmax(x_i),
 *   H = -sum_c pi_c log pi_c = log S - sum_c p_c (x_c - m)   (both terms >= 0),
 *   d l_i / d x_ic = w_i [A_i (pi_c - [c = a_i]) + beta pi_c (log pi_c + H)].
 *
 * logits: (n, c); actions: (n,) in [0, c) (checked by the caller); advantages: (n,);
 * weights: (n,) or null. Advantages are constants (no gradient). Mean divides by n.
 */
namespace detail {

// Rows per policy-gradient batch: the per-row logs and factors run as one SIMD loop.
constexpr index_t kPgBatch = 256;

/// loss, k1, k2 of each row from S = sum e, D = sum e (x - m), the label's x_a - m, the
/// advantage and the weight (see policy_gradient_loss); returns the summed loss.
FASTLOSS_NOINLINE inline double pg_batch_terms(index_t rows, double beta, const double* S,
                                               const double* D, const double* za, const double* adv,
                                               const double* w, const double* ci, double* loss,
                                               double* k1, double* k2) {
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (index_t r = 0; r < rows; ++r) {
        const double log_s = vm::log(S[r]);
        const double entropy = log_s - D[r] / S[r];
        const double l = -w[r] * (adv[r] * (za[r] - log_s) + beta * entropy);
        loss[r] = l;
        acc += l;
        const double c = ci[r] * w[r];
        // w [A p_c + beta p_c (x_c - m - log S + H)] = e_c (k1 + k2 (x_c - m))
        k1[r] = c * (adv[r] + beta * (entropy - log_s)) / S[r];
        k2[r] = c * beta / S[r];
    }
    return acc;
}

template <class T>
double policy_gradient_batch(const T* logits, const index_t* actions, const T* advantages,
                             const T* weights, index_t i0, index_t rows, index_t c, double beta,
                             const GradCoef<T>& coef, T* per_item, T* grad) {
    alignas(64) double S[kPgBatch], D[kPgBatch], za[kPgBatch], adv[kPgBatch], w[kPgBatch],
        ci[kPgBatch], loss[kPgBatch], k1[kPgBatch], k2[kPgBatch];
    alignas(64) T m[kPgBatch];
    for (index_t r = 0; r < rows; ++r) {
        const index_t i = i0 + r;
        const T* x = logits + i * c;
        T* g = grad ? grad + i * c : nullptr;
        m[r] = row_max(x, c);
        if (g)
            pg_row_sums<true>(x, c, m[r], g, &S[r], &D[r]);
        else
            pg_row_sums<false>(x, c, m[r], g, &S[r], &D[r]);
        za[r] = static_cast<double>(x[actions[i]]) - static_cast<double>(m[r]);
        adv[r] = static_cast<double>(advantages[i]);
        w[r] = weights ? static_cast<double>(weights[i]) : 1.0;
        ci[r] = grad ? coef.at(i) : 0.0;
    }
    const double acc = pg_batch_terms(rows, beta, S, D, za, adv, w, ci, loss, k1, k2);
    if (per_item)
        for (index_t r = 0; r < rows; ++r) per_item[i0 + r] = static_cast<T>(loss[r]);
    if (grad) {
        for (index_t r = 0; r < rows; ++r) {
            const index_t i = i0 + r;
            T* g = grad + i * c;
            pg_row_grad(g, logits + i * c, c, m[r], static_cast<T>(k1[r]), static_cast<T>(k2[r]));
            g[actions[i]] -= static_cast<T>(ci[r] * w[r] * adv[r]);
        }
    }
    return acc;
}

}  // namespace detail

/**
 * Policy-gradient loss of a softmax policy (REINFORCE / actor-critic), per row i:
 *   l_i = -w_i [A_i log pi(a_i | s_i) + beta H(pi(. | s_i))],   pi = softmax(x_i),
 *   H = -sum_c pi_c log pi_c = log S - sum_c p_c (x_c - m)   (both terms >= 0),
 *   d l_i / d x_ic = w_i [A_i (pi_c - [c = a_i]) + beta pi_c (log pi_c + H)].
 *
 * logits: (n, c); actions: (n,) in [0, c) (checked by the caller); advantages: (n,);
 * weights: (n,) or null. Advantages are constants (no gradient). Mean divides by n.
 * Rows go in batches: sums per row, then the logs and factors of the whole batch as one
 * SIMD loop (a scalar log per row costs as much as a short row's arithmetic).
 */
template <class T>
void policy_gradient_loss(const T* logits, const index_t* actions, const T* advantages,
                          const T* weights, index_t n, index_t c, double entropy_coef,
                          LossOutput<T>& out, int num_threads) {
    const GradCoef<T> coef(out, static_cast<double>(n));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const index_t block = detail::kPgBatch * imax(1, rows_per_block(c) / detail::kPgBatch);
    const double sum = ordered_block_sum(n, block, n * c, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
        for (index_t i0 = b; i0 < e; i0 += detail::kPgBatch)
            acc += detail::policy_gradient_batch(logits, actions, advantages, weights, i0,
                                                 imin(detail::kPgBatch, e - i0), c, entropy_coef,
                                                 coef, per_item, grad);
        return acc;
    });
    store_total(out, sum, static_cast<double>(n));
}

/**
 * Q-learning TD loss (Watkins 1989; DQN, Mnih et al. 2015; double DQN, van Hasselt et al.
 * 2016), per row i:
 *   target_i = r_i + discount_i q_t[i, a*],  a* = argmax_a q_t[i, a], or argmax of the
 *   selector's row for double DQN;  td_i = target_i - q_tm1[i, a_i];
 *   l_i = w_i huber_delta(td_i) or w_i td_i^2 / 2;  only q_tm1[i, a_i] gets a gradient.
 *
 * q_tm1, q_t, selector: (n, c) (selector may be null); a_tm1: (n,) in [0, c); r_t,
 * discount_t: (n,); weights: (n,) or null. The target is a constant. Mean divides by n.
 */
template <class T>
void q_learning_loss(const T* q_tm1, const index_t* a_tm1, const T* r_t, const T* discount_t,
                     const T* q_t, const T* selector, const T* weights, index_t n, index_t c,
                     bool huber, double delta, LossOutput<T>& out, int num_threads) {
    const GradCoef<T> coef(out, static_cast<double>(n));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const bool grad_zeroed = out.grad_zeroed;
    const double sum =
        ordered_block_sum(n, rows_per_block(c), 2 * n * c, num_threads, [&](index_t b, index_t e) {
            if (grad && !grad_zeroed)  // fresh calloc'ed memory is zero already
                for (index_t k = b * c; k < e * c; ++k) grad[k] = T(0);
            double acc = 0.0;
            for (index_t i = b; i < e; ++i) {
                const T* qt = q_t + i * c;
                const double next =
                    selector ? static_cast<double>(qt[detail::row_argmax(selector + i * c, c)])
                             : static_cast<double>(detail::short_row_max(qt, c));
                const double target =
                    static_cast<double>(r_t[i]) + static_cast<double>(discount_t[i]) * next;
                const index_t a = a_tm1[i];
                const double td = target - static_cast<double>(q_tm1[i * c + a]);
                const double atd = std::fabs(td);
                const double w = weights ? static_cast<double>(weights[i]) : 1.0;
                double loss, dloss_dtd;
                if (huber) {
                    loss = atd <= delta ? 0.5 * td * td : delta * (atd - 0.5 * delta);
                    dloss_dtd = td < -delta ? -delta : (td > delta ? delta : td);
                } else {
                    loss = 0.5 * td * td;
                    dloss_dtd = td;
                }
                loss *= w;
                acc += loss;
                if (per_item) per_item[i] = static_cast<T>(loss);
                // d td / d q_tm1[i, a] = -1
                if (grad) grad[i * c + a] = static_cast<T>(-coef.at(i) * w * dloss_dtd);
            }
            return acc;
        });
    store_total(out, sum, static_cast<double>(n));
}

FASTLOSS_END_ISA_NAMESPACE
