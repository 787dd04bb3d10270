// Binary (sigmoid) losses from logits: binary cross-entropy (weighted, pos_weight, alpha-balanced)
// and the sigmoid focal loss. Element-wise, one fused pass, computed in log space:
//   -log sigma(x) = softplus(-x),  -log(1 - sigma(x)) = softplus(x),
// so nothing overflows for logits of any size.
#pragma once

#include "fastloss/common/parallel.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// The pieces every logistic loss needs, from one exp and one log1p.
template <class T>
struct LogisticTerms {
    T sp_pos;  ///< softplus(x)  = -log(1 - p)
    T sp_neg;  ///< softplus(-x) = -log p
    T p;       ///< sigma(x)
    T q;       ///< sigma(-x) = 1 - p, computed without cancellation
};

template <class T>
inline LogisticTerms<T> logistic_terms(T x) {
    const T ax = x < T(0) ? -x : x;
    const T e = vm::exp(-ax);
    const T l1p = vm::log1p(e);
    const T inv = T(1) / (T(1) + e);
    LogisticTerms<T> r;
    r.sp_pos = (x > T(0) ? x : T(0)) + l1p;
    r.sp_neg = (x < T(0) ? -x : T(0)) + l1p;
    r.p = x >= T(0) ? inv : e * inv;
    r.q = x >= T(0) ? e * inv : inv;
    return r;
}

/// alpha_t = alpha t + (1 - alpha)(1 - t); alpha < 0 means "no alpha weighting".
template <class T>
inline T alpha_t(T alpha, T t) {
    return alpha < T(0) ? T(1) : alpha * t + (T(1) - alpha) * (T(1) - t);
}

/// Calls body(i, col) for i in [begin, end), col = i % cols, in runs that do not cross a row,
/// so a per-column vector (pos_weight) is read contiguously.
template <class F>
inline void for_each_row_run(index_t begin, index_t end, index_t cols, F&& body) {
    for (index_t i = begin; i < end;) {
        const index_t col0 = i % cols;
        const index_t len = imin(end - i, cols - col0);
        body(i, col0, len);
        i += len;
    }
}

}  // namespace detail

/**
 * Binary cross-entropy with logits (PyTorch's BCEWithLogits), optionally alpha-balanced:
 *   l_i = w_i alpha_t [ pw_c t_i softplus(-x_i) + (1 - t_i) softplus(x_i) ],  c = i mod cols.
 *
 * logits, targets: (n,) with n = rows * cols; weight: (n,) or null; pos_weight: (cols,) or null;
 * alpha < 0 disables alpha_t. Mean divides by n. Returns TargetOutOfRange if a target is
 * outside [0, 1] (NaN targets propagate instead).
 */
template <class T>
Status binary_cross_entropy(const T* logits, const T* targets, const T* weight,
                            const T* pos_weight, index_t n, index_t cols, double alpha,
                            LossOutput<T>& out, int num_threads) {
    const bool none = out.reduction == Reduction::None;
    const GradCoef<T> coef(out, static_cast<double>(n));
    const T a = static_cast<T>(alpha);
    T* per_item = out.per_item;
    T* grad = out.grad;
    double bad_total = 0.0;
    const double sum = ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0, bad = 0.0;
        detail::for_each_row_run(b, e, cols, [&](index_t i0, index_t col0, index_t len) {
#pragma omp simd reduction(+ : acc, bad)
            for (index_t j = 0; j < len; ++j) {
                const index_t i = i0 + j;
                const T t = targets[i];
                const auto lt = detail::logistic_terms(logits[i]);
                const T pw = pos_weight ? pos_weight[col0 + j] : T(1);
                const T scale = (weight ? weight[i] : T(1)) * detail::alpha_t(a, t);
                const T loss = scale * (pw * t * lt.sp_neg + (T(1) - t) * lt.sp_pos);
                acc += static_cast<double>(loss);
                bad += (t < T(0) || t > T(1)) ? 1.0 : 0.0;
                if (none) per_item[i] = loss;
                if (grad) {
                    const T dloss = scale * ((T(1) - t) * lt.p - pw * t * lt.q);
                    grad[i] = static_cast<T>(coef.at(i)) * dloss;
                }
            }
        });
#pragma omp atomic
        bad_total += bad;
        return acc;
    });
    store_total(out, sum, static_cast<double>(n));
    return bad_total > 0 ? Status::TargetOutOfRange : Status::Ok;
}

/**
 * Sigmoid focal loss (Lin et al. 2017; torchvision's sigmoid_focal_loss):
 *   l_i = alpha_t (1 - p_t)^gamma CE_i,  p_t = p t + (1 - p)(1 - t),  CE_i = BCE(x_i, t_i).
 *
 * (1 - p_t)^gamma = exp(gamma log(1 - p_t)), with log(1 - p_t) = -softplus(+-x) exactly for hard
 * targets, so values and gradients stay finite for every gamma >= 0 and any logit. The gradient
 * uses  d(1 - p_t)^gamma / dx = gamma (1 - p_t)^gamma (p q / (1 - p_t)) (1 - 2t),  where the ratio
 * p q / (1 - p_t) is at most 1 (p for t = 1, q for t = 0). gamma = 0 gives alpha-balanced BCE.
 */
template <class T>
Status sigmoid_focal_loss(const T* logits, const T* targets, index_t n, double alpha,
                          double gamma, LossOutput<T>& out, int num_threads) {
    const bool none = out.reduction == Reduction::None;
    const GradCoef<T> coef(out, static_cast<double>(n));
    const T a = static_cast<T>(alpha);
    const T g = static_cast<T>(gamma);
    T* per_item = out.per_item;
    T* grad = out.grad;
    double bad_total = 0.0;
    const double sum = ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0, bad = 0.0;
#pragma omp simd reduction(+ : acc, bad)
        for (index_t i = b; i < e; ++i) {
            const T t = targets[i];
            const auto lt = detail::logistic_terms(logits[i]);
            const T u = T(1) - t;
            const T ce = u * lt.sp_pos + t * lt.sp_neg;
            const T m = lt.p * u + lt.q * t;  // 1 - p_t
            const T log_m = t == T(1) ? -lt.sp_pos : (t == T(0) ? -lt.sp_neg : vm::log(m));
            const T f = g == T(0) ? T(1) : vm::exp(g * log_m);
            const T at = detail::alpha_t(a, t);
            const T loss = at * f * ce;
            acc += static_cast<double>(loss);
            bad += (t < T(0) || t > T(1)) ? 1.0 : 0.0;
            if (none) per_item[i] = loss;
            if (grad) {
                const T ratio = t == T(1) ? lt.p
                                : t == T(0) ? lt.q
                                : m > T(0)  ? lt.p * lt.q / m
                                : t > T(0.5) ? lt.p : lt.q;
                const T dce = u * lt.p - t * lt.q;
                const T dloss = at * f * (dce + ce * g * ratio * (T(1) - T(2) * t));
                grad[i] = static_cast<T>(coef.at(i)) * dloss;
            }
        }
#pragma omp atomic
        bad_total += bad;
        return acc;
    });
    store_total(out, sum, static_cast<double>(n));
    return bad_total > 0 ? Status::TargetOutOfRange : Status::Ok;
}

FASTLOSS_END_ISA_NAMESPACE
