// Element-wise Kullback-Leibler divergence, PyTorch's kl_div roles: `input` is the model's q,
// `target` the data's p; either may be given as log-probabilities.
#pragma once

#include "fastloss/common/parallel.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

template <bool LogInput, bool LogTarget, class T>
void kl_divergence_impl(const T* input, const T* target, index_t n, double mean_denominator,
                        LossOutput<T>& out, int num_threads) {
    const bool none = out.reduction == Reduction::None;
    const GradCoef<T> coef(out, mean_denominator);
    T* per_item = out.per_item;
    T* grad = out.grad;
    const double sum = ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
#pragma omp simd reduction(+ : acc)
        for (index_t i = b; i < e; ++i) {
            const T x = input[i];
            const T t = target[i];
            const T p = LogTarget ? vm::exp(t) : t;
            const T log_p = LogTarget ? t : vm::log(t);
            const T log_q = LogInput ? x : vm::log(x);
            // 0 log 0 = 0: a zero-probability target contributes nothing, whatever q is.
            const T loss = p == T(0) ? T(0) : p * (log_p - log_q);
            acc += static_cast<double>(loss);
            if (none) per_item[i] = loss;
            if (grad) {
                const T dloss = LogInput ? -p : (p == T(0) ? T(0) : -p / x);
                grad[i] = static_cast<T>(coef.at(i)) * dloss;
            }
        }
        return acc;
    });
    store_total(out, sum, mean_denominator);
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
