// Element-wise Kullback-Leibler divergence, PyTorch's kl_div roles: `input` is the model's q,
// `target` the data's p; either may be given as log-probabilities.
#pragma once

#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// Whether v is outside the domain of a probability: [0, 1], or [-inf, 0] for its log. False
/// for NaN, which propagates instead.
template <bool Log, class T>
FASTLOSS_ALWAYS_INLINE bool outside_probability(T v) {
    return Log ? v > T(0) : (v < T(0)) | (v > T(1));
}

/// Returns 1 when an element of input or target is outside its domain (outside_probability),
/// else 0. The domain is checked through the tile's extremes: min and max reductions cost the
/// loop less than counting compares.
template <bool LogInput, bool LogTarget, class T>
FASTLOSS_NOINLINE double kl_tile(const T* __restrict in, const T* __restrict tg, index_t len,
                                 T* __restrict loss, T* __restrict dloss) {
    T lo = T(0), hi_in = T(0), hi_tg = T(0);  // NaN never wins a comparison: it is skipped
#pragma omp simd reduction(min : lo) reduction(max : hi_in, hi_tg)
    for (index_t j = 0; j < len; ++j) {
        const T x = in[j];
        const T t = tg[j];
        const T p = LogTarget ? vm::exp(t) : t;
        const T log_p = LogTarget ? t : vm::log(t);
        const T log_q = LogInput ? x : vm::log(x);
        // 0 log 0 = 0: a zero-probability target contributes nothing, whatever q is.
        loss[j] = p == T(0) ? T(0) : p * (log_p - log_q);
        dloss[j] = LogInput ? -p : (p == T(0) ? T(0) : -p / x);
        if constexpr (LogInput == LogTarget) {  // one domain: the extremes of both at once
            const T small = x < t ? x : t, large = x > t ? x : t;
            if constexpr (!LogInput) lo = small < lo ? small : lo;
            hi_in = large > hi_in ? large : hi_in;
        } else {
            if constexpr (!LogInput) lo = x < lo ? x : lo;
            if constexpr (!LogTarget) lo = t < lo ? t : lo;
            hi_in = x > hi_in ? x : hi_in;
            hi_tg = t > hi_tg ? t : hi_tg;
        }
    }
    return outside_probability<false>(lo) | outside_probability<LogInput>(hi_in) |
                   outside_probability<LogTarget>(hi_tg)
               ? 1.0
               : 0.0;
}

template <bool LogInput, bool LogTarget, class T>
Status kl_divergence_impl(const T* input, const T* target, index_t n, double mean_denominator,
                          LossOutput<T>& out, int num_threads) {
    const double bad = elementwise_loss(
        n, n, out, mean_denominator, num_threads,
        [=](index_t i0, index_t, index_t len, T* loss, T* dloss) {
            return kl_tile<LogInput, LogTarget>(input + i0, target + i0, len, loss, dloss);
        });
    if (bad == 0.0) return Status::Ok;
    // The error path only: a second look says which argument to name.
    for (index_t i = 0; i < n; ++i)
        if (outside_probability<LogInput>(input[i])) return Status::InputOutOfRange;
    return Status::TargetOutOfRange;
}

}  // namespace detail

/**
 * KL(p || q) element-wise:  l_i = p_i (log p_i - log q_i),  0 log 0 = 0.
 *
 * input (q or log q), target (p or log p): (n,). Mean divides by mean_denominator (n for
 * "mean", the batch size for "batchmean"). grad is d/d input (q, or log q when log_input).
 * Returns InputOutOfRange or TargetOutOfRange (input first) when a probability is outside
 * [0, 1] or a log-probability above 0; the outputs are then meaningless.
 */
template <class T>
Status kl_divergence(const T* input, const T* target, index_t n, bool log_input, bool log_target,
                   double mean_denominator, LossOutput<T>& out, int num_threads) {
    using detail::kl_divergence_impl;
    return with_flags(log_input, log_target, [&](auto li, auto lt) {
        return kl_divergence_impl<decltype(li)::value, decltype(lt)::value>(
            input, target, n, mean_denominator, out, num_threads);
    });
}

FASTLOSS_END_ISA_NAMESPACE
