// Binary (sigmoid) losses from logits: binary cross-entropy (weighted, pos_weight, alpha-balanced)
// and the sigmoid focal loss. Element-wise, one fused pass, computed in log space:
//   -log sigma(x) = softplus(-x),  -log(1 - sigma(x)) = softplus(x),
// so nothing overflows for logits of any size.
#pragma once

#include <limits>

#include "fastloss/common/elementwise.hpp"
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
FASTLOSS_ALWAYS_INLINE LogisticTerms<T> logistic_terms(T x) {
    const T ax = x < T(0) ? -x : x;
    const T e = vm::exp_nonpositive(-ax);
    const T l1p = vm::log1p_unit(e);
    const T inv = T(1) / (T(1) + e);
    LogisticTerms<T> r;
    r.sp_pos = (x > T(0) ? x : T(0)) + l1p;
    r.sp_neg = (x < T(0) ? -x : T(0)) + l1p;
    r.p = x >= T(0) ? inv : e * inv;
    r.q = x >= T(0) ? e * inv : inv;
    return r;
}

/// alpha_t = pos t + neg (1 - t): (alpha, 1 - alpha), or (1, 1) when alpha < 0 ("no alpha
/// weighting"). Precomputed, so the hot loop has no loop-invariant branch (GCC would unswitch
/// it into copies and not vectorise them all).
template <class T>
struct AlphaWeights {
    T pos, neg;
    explicit AlphaWeights(double alpha)
        : pos(alpha < 0 ? T(1) : static_cast<T>(alpha)),
          neg(alpha < 0 ? T(1) : static_cast<T>(1.0 - alpha)) {}
};

}  // namespace detail

namespace detail {

template <bool HasWeight, bool HasPosWeight, class T>
FASTLOSS_NOINLINE double bce_tile(const T* __restrict x, const T* __restrict tg,
                                  const T* __restrict w, const T* __restrict pw, index_t len,
                                  T a_pos, T a_neg, T* __restrict loss, T* __restrict dloss) {
    double bad = 0.0;
#pragma omp simd reduction(+ : bad)
    for (index_t j = 0; j < len; ++j) {
        const T t = tg[j];
        const LogisticTerms<T> lt = logistic_terms(x[j]);
        T pos = T(1), scale = a_pos * t + a_neg * (T(1) - t);
        if constexpr (HasPosWeight) pos = pw[j];
        if constexpr (HasWeight) scale *= w[j];
        loss[j] = scale * (pos * t * lt.sp_neg + (T(1) - t) * lt.sp_pos);
        dloss[j] = scale * ((T(1) - t) * lt.p - pos * t * lt.q);
        bad += (t < T(0)) | (t > T(1)) ? 1.0 : 0.0;
    }
    return bad;
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
Status binary_cross_entropy(const T* logits, const T* targets, const T* weight, const T* pos_weight,
                            index_t n, index_t cols, double alpha, LossOutput<T>& out,
                            int num_threads) {
    const detail::AlphaWeights<T> aw(alpha);
    const T a_pos = aw.pos, a_neg = aw.neg;
    const double bad =
        with_flags(weight != nullptr, pos_weight != nullptr, [&](auto has_w, auto has_pw) {
            constexpr bool kWeight = decltype(has_w)::value, kPosWeight = decltype(has_pw)::value;
            return elementwise_loss(
                n, kPosWeight ? cols : n, out, static_cast<double>(n), num_threads,
                [=](index_t i0, index_t col0, index_t len, T* loss, T* dloss) {
                    return detail::bce_tile<kWeight, kPosWeight>(
                        logits + i0, targets + i0, kWeight ? weight + i0 : nullptr,
                        kPosWeight ? pos_weight + col0 : nullptr, len, a_pos, a_neg, loss, dloss);
                });
        });
    return bad > 0 ? Status::TargetOutOfRange : Status::Ok;
}

namespace detail {

template <class T>
FASTLOSS_NOINLINE double focal_tile(const T* __restrict x, const T* __restrict tg, index_t len,
                                    T a_pos, T a_neg, T gamma, T* __restrict loss,
                                    T* __restrict dloss) {
    const T lowest = std::numeric_limits<T>::lowest();
    double bad = 0.0;
#pragma omp simd reduction(+ : bad)
    for (index_t j = 0; j < len; ++j) {
        const T t = tg[j];
        const LogisticTerms<T> lt = logistic_terms(x[j]);
        const T u = T(1) - t;
        const T ce = u * lt.sp_pos + t * lt.sp_neg;
        const T m = lt.p * u + lt.q * t;  // 1 - p_t
        T log_m = t == T(1) ? -lt.sp_pos : (t == T(0) ? -lt.sp_neg : vm::log(m));
        // Clamped to the lowest finite value, exp(gamma log m) is exactly 1 for gamma = 0
        // and 0 where m = 0: no branch on gamma (a loop-invariant branch stops vectorising).
        log_m = log_m < lowest ? lowest : log_m;
        const T f = vm::exp(gamma * log_m);
        const T at = a_pos * t + a_neg * u;
        // p q / (1 - p_t): p for t = 1, q for t = 0, and at most 1 in between.
        const T ratio = t == T(1)    ? lt.p
                        : t == T(0)  ? lt.q
                        : m > T(0)   ? lt.p * lt.q / m
                        : t > T(0.5) ? lt.p
                                     : lt.q;
        const T dce = u * lt.p - t * lt.q;
        loss[j] = at * f * ce;
        // ratio first: it is 0 where ce overflows towards FLT_MAX logits (0, not inf * 0)
        dloss[j] = at * f * (dce + ce * (ratio * gamma * (T(1) - T(2) * t)));
        bad += (t < T(0)) | (t > T(1)) ? 1.0 : 0.0;
    }
    return bad;
}

/// Whether every target of the tile is exactly 0 or 1.
template <class T>
FASTLOSS_NOINLINE bool all_hard(const T* __restrict tg, index_t len) {
    index_t soft = 0;
#pragma omp simd reduction(+ : soft)
    for (index_t j = 0; j < len; ++j) soft += (tg[j] != T(0)) & (tg[j] != T(1)) ? 1 : 0;
    return soft == 0;
}

/// m^G for a small integer G, by multiplication.
template <int G, class T>
FASTLOSS_ALWAYS_INLINE T int_power(T m) {
    T f = T(1);
    for (int k = 0; k < G; ++k) f *= m;
    return f;
}

/**
 * focal_tile for tiles whose targets are all 0 or 1 (detection's usual case). With the signed
 * logit s = x for t = 0 and -x for t = 1, everything is a function of s alone:
 *   1 - p_t = sigma(s),  p_t = sigma(-s),  CE = softplus(s),  log(1 - p_t) = -softplus(-s),
 *   dl/dx = (1 - 2t) alpha_t f (sigma(s) + gamma CE p_t),  f = (1 - p_t)^gamma,
 * which is focal_tile's gradient with its ratio p q / (1 - p_t) = p_t; every term is
 * non-negative, so nothing cancels. IntGamma >= 0: gamma is that integer and f a product;
 * IntGamma = -1: f = exp(gamma log(1 - p_t)).
 */
template <int IntGamma, class T>
FASTLOSS_NOINLINE void focal_tile_hard(const T* __restrict x, const T* __restrict tg, index_t len,
                                       T a_pos, T a_neg, T gamma, T* __restrict loss,
                                       T* __restrict dloss) {
    const T lowest = std::numeric_limits<T>::lowest();
#pragma omp simd
    for (index_t j = 0; j < len; ++j) {
        const T s = tg[j] == T(1) ? -x[j] : x[j];
        const T as = s < T(0) ? -s : s;
        const T e = vm::exp_nonpositive(-as);
        const T l1p = vm::log1p_unit(e);
        const T inv = T(1) / (T(1) + e);
        const T m = s >= T(0) ? inv : e * inv;   // 1 - p_t
        const T pt = s >= T(0) ? e * inv : inv;  // p_t
        const T ce = (s > T(0) ? s : T(0)) + l1p;
        T f;
        if constexpr (IntGamma >= 0) {
            f = int_power<IntGamma>(m);
        } else {
            T log_m = -((s < T(0) ? -s : T(0)) + l1p);
            log_m = log_m < lowest ? lowest : log_m;
            f = vm::exp(gamma * log_m);
        }
        // alpha_t by arithmetic, exact as t is 0 or 1: GCC multiplies a selected factor out
        // into both candidates' products, two multiplications more per element
        const T af = (a_pos * tg[j] + a_neg * (T(1) - tg[j])) * f;
        loss[j] = af * ce;
        dloss[j] = (tg[j] == T(1) ? -af : af) * (m + gamma * ce * pt);
    }
}

/// One tile of the sigmoid focal loss: the hard-target loop where it applies.
template <class T>
inline double focal_tile_any(const T* x, const T* tg, index_t len, T a_pos, T a_neg, T gamma,
                             int int_gamma, T* loss, T* dloss) {
    if (!all_hard(tg, len)) return focal_tile(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
    switch (int_gamma) {
        case 0:
            focal_tile_hard<0>(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
            break;
        case 1:
            focal_tile_hard<1>(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
            break;
        case 2:
            focal_tile_hard<2>(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
            break;
        case 3:
            focal_tile_hard<3>(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
            break;
        case 4:
            focal_tile_hard<4>(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
            break;
        default:
            focal_tile_hard<-1>(x, tg, len, a_pos, a_neg, gamma, loss, dloss);
            break;
    }
    return 0.0;  // hard targets are in range
}

}  // namespace detail

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
Status sigmoid_focal_loss(const T* logits, const T* targets, index_t n, double alpha, double gamma,
                          LossOutput<T>& out, int num_threads) {
    const detail::AlphaWeights<T> aw(alpha);
    const T a_pos = aw.pos, a_neg = aw.neg, g = static_cast<T>(gamma);
    // gamma = 0..4 exactly: the hard-target loop multiplies instead of exp(gamma log m).
    const int int_gamma =
        gamma == static_cast<int>(gamma) && gamma <= 4 ? static_cast<int>(gamma) : -1;
    const double bad =
        elementwise_loss(n, n, out, static_cast<double>(n), num_threads,
                         [=](index_t i0, index_t, index_t len, T* loss, T* dloss) {
                             return detail::focal_tile_any(logits + i0, targets + i0, len, a_pos,
                                                           a_neg, g, int_gamma, loss, dloss);
                         });
    return bad > 0 ? Status::TargetOutOfRange : Status::Ok;
}

FASTLOSS_END_ISA_NAMESPACE
