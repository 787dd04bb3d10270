// Element-wise Kullback-Leibler divergence, PyTorch's kl_div roles: `input` is the model's q,
// `target` the data's p; either may be given as log-probabilities.
#pragma once

#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

template <bool LogInput, bool LogTarget, class T>
FASTLOSS_NOINLINE double kl_tile(const T* __restrict in, const T* __restrict tg, index_t len,
                                 T* __restrict loss, T* __restrict dloss) {
#pragma omp simd
    for (index_t j = 0; j < len; ++j) {
        const T x = in[j];
        const T t = tg[j];
        const T p = LogTarget ? vm::exp(t) : t;
        const T log_p = LogTarget ? t : vm::log(t);
        const T log_q = LogInput ? x : vm::log(x);
        // 0 log 0 = 0: a zero-probability target contributes nothing, whatever q is.
        loss[j] = p == T(0) ? T(0) : p * (log_p - log_q);
        dloss[j] = LogInput ? -p : (p == T(0) ? T(0) : -p / x);
    }
    return 0.0;
}

template <bool LogInput, bool LogTarget, class T>
void kl_divergence_impl(const T* input, const T* target, index_t n, double mean_denominator,
                        LossOutput<T>& out, int num_threads) {
    elementwise_loss(n, n, out, mean_denominator, num_threads,
                     [=](index_t i0, index_t, index_t len, T* loss, T* dloss) {
                         return kl_tile<LogInput, LogTarget>(input + i0, target + i0, len, loss,
                                                             dloss);
                     });
}

}  // namespace detail

/**
 * KL(p || q) element-wise:  l_i = p_i (log p_i - log q_i),  0 log 0 = 0.
 *
 * input (q or log q), target (p or log p): (n,). Mean divides by mean_denominator (n for
 * "mean", the batch size for "batchmean"). grad is d/d input (q, or log q when log_input).
 */
template <class T>
void kl_divergence(const T* input, const T* target, index_t n, bool log_input, bool log_target,
                   double mean_denominator, LossOutput<T>& out, int num_threads) {
    using detail::kl_divergence_impl;
    if (log_input && log_target)
        kl_divergence_impl<true, true>(input, target, n, mean_denominator, out, num_threads);
    else if (log_input)
        kl_divergence_impl<true, false>(input, target, n, mean_denominator, out, num_threads);
    else if (log_target)
        kl_divergence_impl<false, true>(input, target, n, mean_denominator, out, num_threads);
    else
        kl_divergence_impl<false, false>(input, target, n, mean_denominator, out, num_threads);
}

FASTLOSS_END_ISA_NAMESPACE
