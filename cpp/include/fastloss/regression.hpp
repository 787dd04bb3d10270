// Regression losses: squared, absolute, Huber and smooth-L1 errors, and the residual standard
// error. One fused element-wise pass computes the loss and, when asked, the gradient with
// respect to `pred`. Per-element work is done in double; partial sums are combined in a fixed
// order (common/parallel.hpp).
#pragma once

#include <cmath>

#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/types.hpp"

namespace fastloss {

enum class PointwiseKind : int { Squared = 0, Absolute = 1, Huber = 2, SmoothL1 = 3 };

/// `threshold` is Huber's delta (> 0) or smooth-L1's beta (>= 0; 0 is plain L1).
struct PointwiseParams {
    PointwiseKind kind = PointwiseKind::Squared;
    double threshold = 1.0;
};

}  // namespace fastloss

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// Loss l(e) and dl/de of one residual e = pred - target.
template <PointwiseKind K>
inline void pointwise_term(double e, double threshold, double& loss, double& dloss) {
    const double ae = std::fabs(e);
    const double sign = e > 0 ? 1.0 : (e < 0 ? -1.0 : 0.0);
    if constexpr (K == PointwiseKind::Squared) {
        loss = e * e;
        dloss = 2.0 * e;
    } else if constexpr (K == PointwiseKind::Absolute) {
        loss = ae;
        dloss = sign;
    } else if constexpr (K == PointwiseKind::Huber) {
        // PyTorch huber_loss: 0.5 e^2 inside |e| < delta, delta (|e| - delta / 2) outside.
        const bool inside = ae < threshold;
        loss = inside ? 0.5 * e * e : threshold * (ae - 0.5 * threshold);
        dloss = inside ? e : threshold * sign;
    } else {
        // PyTorch smooth_l1_loss = huber_loss / beta; beta = 0 is L1 (guarded division).
        const bool inside = ae < threshold;
        const double inv_beta = threshold > 0 ? 1.0 / threshold : 0.0;
        loss = inside ? 0.5 * e * e * inv_beta : ae - 0.5 * threshold;
        dloss = inside ? e * inv_beta : sign;
    }
}

template <PointwiseKind K, bool HasWeight, class T>
FASTLOSS_NOINLINE double pointwise_tile(const T* __restrict p, const T* __restrict t,
                                        const T* __restrict w, index_t len, double threshold,
                                        T* __restrict loss, T* __restrict dloss) {
#pragma omp simd
    for (index_t j = 0; j < len; ++j) {
        double l, d;
        pointwise_term<K>(static_cast<double>(p[j]) - static_cast<double>(t[j]), threshold, l, d);
        if constexpr (HasWeight) {
            l *= static_cast<double>(w[j]);
            d *= static_cast<double>(w[j]);
        }
        loss[j] = static_cast<T>(l);
        dloss[j] = static_cast<T>(d);
    }
    return 0.0;
}

template <PointwiseKind K, class T>
void pointwise_regression_impl(const T* pred, const T* target, const T* weight, index_t n,
                               double threshold, LossOutput<T>& out, int num_threads) {
    with_flag(weight != nullptr, [&](auto has_weight) {
        constexpr bool kWeight = decltype(has_weight)::value;
        elementwise_loss(n, n, out, static_cast<double>(n), num_threads,
                         [=](index_t i0, index_t, index_t len, T* loss, T* dloss) {
                             return pointwise_tile<K, kWeight>(pred + i0, target + i0,
                                                               kWeight ? weight + i0 : nullptr, len,
                                                               threshold, loss, dloss);
                         });
    });
}

}  // namespace detail

/**
 * Element-wise regression loss  w_i * l(pred_i - target_i)  over n elements.
 *
 * pred, target: (n,) inputs; weight: (n,) per-element weights or null.
 * out.per_item (n,) for Reduction::None; out.total for Mean (/ n) and Sum; out.grad (n,) is
 * d/d pred when non-null.
 */
template <class T>
void pointwise_regression(const T* pred, const T* target, const T* weight, index_t n,
                          const PointwiseParams& params, LossOutput<T>& out, int num_threads) {
    using detail::pointwise_regression_impl;
    const double th = params.threshold;
    switch (params.kind) {
        case PointwiseKind::Squared:
            return pointwise_regression_impl<PointwiseKind::Squared>(pred, target, weight, n, th,
                                                                     out, num_threads);
        case PointwiseKind::Absolute:
            return pointwise_regression_impl<PointwiseKind::Absolute>(pred, target, weight, n, th,
                                                                      out, num_threads);
        case PointwiseKind::Huber:
            return pointwise_regression_impl<PointwiseKind::Huber>(pred, target, weight, n, th, out,
                                                                   num_threads);
        case PointwiseKind::SmoothL1:
            return pointwise_regression_impl<PointwiseKind::SmoothL1>(pred, target, weight, n, th,
                                                                      out, num_threads);
    }
}

namespace detail {

/// sum_j w_j e_j^2, e = pred - target, in double: no square is rounded to T (a float32 residual
/// of 1e20 has a square past FLT_MAX, but its RSE is a float).
template <bool HasWeight, class T>
FASTLOSS_NOINLINE double weighted_square_sum(const T* __restrict p, const T* __restrict t,
                                             const T* __restrict w, index_t len) {
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (index_t j = 0; j < len; ++j) {
        const double e = static_cast<double>(p[j]) - static_cast<double>(t[j]);
        acc += HasWeight ? static_cast<double>(w[j]) * e * e : e * e;
    }
    return acc;
}

/// g_j = scale w_j e_j, in double until the store.
template <bool HasWeight, class T>
FASTLOSS_NOINLINE void scaled_residuals(const T* __restrict p, const T* __restrict t,
                                        const T* __restrict w, index_t len, double scale,
                                        T* __restrict g) {
#pragma omp simd
    for (index_t j = 0; j < len; ++j) {
        const double e = static_cast<double>(p[j]) - static_cast<double>(t[j]);
        g[j] = static_cast<T>(HasWeight ? scale * static_cast<double>(w[j]) * e : scale * e);
    }
}

}  // namespace detail

/**
 * Residual standard error  sqrt(sum_i w_i (pred_i - target_i)^2 / (n - 2)), n > 2.
 *
 * Returns the value; writes d/d pred = grad_scale w e / ((n - 2) RSE) into grad (n,) when
 * non-null. At RSE = 0 the gradient is taken as 0 (the subgradient of sqrt at 0 closest to 0).
 * Computed in double throughout, so float32 residuals anywhere in range give a finite value
 * and gradient.
 */
template <class T>
double residual_standard_error(const T* pred, const T* target, const T* weight, index_t n, T* grad,
                               double grad_scale, int num_threads) {
    return with_flag(weight != nullptr, [&](auto has_weight) {
        constexpr bool kWeight = decltype(has_weight)::value;
        const double sse =
            ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
                return detail::weighted_square_sum<kWeight>(pred + b, target + b,
                                                            kWeight ? weight + b : nullptr, e - b);
            });
        const double dof = static_cast<double>(n - 2);
        const double rse = std::sqrt(sse / dof);
        if (!grad) return rse;
        const double scale = rse == 0.0 ? 0.0 : grad_scale / (dof * rse);  // NaN propagates
        ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
            detail::scaled_residuals<kWeight>(pred + b, target + b, kWeight ? weight + b : nullptr,
                                              e - b, scale, grad + b);
            return 0.0;
        });
        return rse;
    });
}

FASTLOSS_END_ISA_NAMESPACE
