// The per-tile steps of the overlap losses: activation, per-class sums, gradient.
//
// The input is (N, C, S) with S the flattened spatial size, so for one sample the positions of
// one class are contiguous. A tile is `len` consecutive positions of one sample; every step is
// a SIMD loop along the positions, class by class (softmax's max and sum are taken across
// classes position-wise, so they vectorise too).
//
// Pass 1 turns each class's positions into probabilities p and adds up TP = sum p t,
// Sp = sum p (or p^2) and St = sum t (or t^2); when a gradient follows, it also stores p in the
// gradient's memory. Pass 2 then reads p back and overwrites it with the gradient in place, so
// the activation (an exp per element) is computed once.
#pragma once

#include <cstdint>

#include "fastloss/common/parallel.hpp"
#include "fastloss/common/vmath.hpp"
#include "fastloss/segmentation/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

// Positions whose sums are taken in T before they are added in double: each SIMD lane adds at
// most 128 / 8 = 16 terms in float (relative error below 1e-6 for float, nothing for double),
// at an eighth of the double conversions.
constexpr index_t kSumChunk = 128;

/**
 * Softmax numerators of a tile: e_j = exp(x_j - max_k x_k) at class stride L, and the inverse
 * of their sum per position in `inv`. x at class stride s.
 */
template <class T>
FASTLOSS_NOINLINE void softmax_numerators(const T* __restrict x, index_t s, index_t c,
                                          index_t len, index_t L, T* __restrict e,
                                          T* __restrict inv) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) inv[r] = x[r];  // the running max, for now
    for (index_t j = 1; j < c; ++j) {
        const T* __restrict xj = x + j * s;
#pragma omp simd
        for (index_t r = 0; r < len; ++r) inv[r] = xj[r] > inv[r] ? xj[r] : inv[r];
    }
    T* __restrict z = e + c * L;  // one row past the classes: the sums
#pragma omp simd
    for (index_t r = 0; r < len; ++r) z[r] = T(0);
    for (index_t j = 0; j < c; ++j) {
        const T* __restrict xj = x + j * s;
        T* __restrict ej = e + j * L;
#pragma omp simd
        for (index_t r = 0; r < len; ++r) {
            const T v = vm::exp_nonpositive(xj[r] - inv[r]);
            ej[r] = v;
            z[r] += v;
        }
    }
#pragma omp simd
    for (index_t r = 0; r < len; ++r) inv[r] = T(1) / z[r];
}

/**
 * Integer labels of a tile as values the SIMD loops compare with: yf = the label (an ignored
 * one becomes -1, which matches no class) and vf = 1 for counted positions, 0 for ignored
 * ones. Returns the number of labels outside [0, n_values) that are not ignored.
 */
template <bool HasIgnore, class T>
FASTLOSS_NOINLINE index_t label_tile(const index_t* __restrict y, index_t len, index_t ignore,
                                     index_t n_values, T* __restrict yf, T* __restrict vf) {
    const std::uint64_t un = static_cast<std::uint64_t>(n_values);
    index_t bad = 0;
    for (index_t r = 0; r < len; ++r) {
        const index_t v = y[r];
        // Converted through int32, which every label in range fits (one that is not fails the
        // call): AVX2 has no int64 -> float conversion, and a loop needing one stays scalar.
        const T yv = static_cast<T>(static_cast<std::int32_t>(v));
        yf[r] = HasIgnore && v == ignore ? T(-1) : yv;
        vf[r] = HasIgnore && v == ignore ? T(0) : T(1);
        // unsigned: a negative label compares as huge
        bad += (HasIgnore && v == ignore) | (static_cast<std::uint64_t>(v) < un) ? 0 : 1;
    }
    return bad;
}

/// How pass 1 gets a class's probabilities from its row `a` (and `inv`, for softmax).
template <Activation Act, class T>
FASTLOSS_ALWAYS_INLINE T probability(const T* __restrict a, const T* __restrict inv, index_t r) {
    if constexpr (Act == Activation::Softmax)
        return a[r] * inv[r];
    else if constexpr (Act == Activation::Sigmoid)
        return vm::sigmoid(a[r]);
    else
        return a[r];
}

/**
 * Pass 1 for one class of a tile: adds (TP, Sp, St) into sums and, if Store, writes p to
 * `out`. a: the class's softmax numerators (with inv), logits (sigmoid) or probabilities.
 * Labels: t = [yf == want], counted where vf = 1; dense: t read from `t`. Returns 1 when a
 * given probability (Activation::None) is outside [0, 1], else 0; NaN is not outside (it
 * propagates). Checked as min p (1 - p) < 0: one reduction, cheaper in the loop than a min and
 * a max (AVX2 measured +16% with both) or counting compares.
 */
template <Activation Act, bool Labels, bool HasIgnore, bool Squared, bool Store, class T>
FASTLOSS_NOINLINE index_t class_sums(const T* __restrict a, const T* __restrict inv,
                                     const T* __restrict t, const T* __restrict yf,
                                     const T* __restrict vf, T want, index_t len,
                                     double* __restrict sums, T* __restrict out) {
    double tp_d = 0.0, sp_d = 0.0, st_d = 0.0;
    T lo = T(0);  // min p (1 - p): negative exactly when some p is outside [0, 1]
    for (index_t q = 0; q < len; q += kSumChunk) {
        const index_t end = imin(len, q + kSumChunk);
        T tp = T(0), sp = T(0), st = T(0);
#pragma omp simd reduction(+ : tp, sp, st) reduction(min : lo)
        for (index_t r = q; r < end; ++r) {
            const T p = probability<Act>(a, inv, r);
            if constexpr (Act == Activation::None) {
                const T inside = p - p * p;
                lo = inside < lo ? inside : lo;
            }
            if constexpr (Store) out[r] = p;
            T tr;
            if constexpr (Labels)
                tr = yf[r] == want ? T(1) : T(0);
            else
                tr = t[r];
            const T pv = HasIgnore ? p * vf[r] : p;
            tp += pv * tr;
            sp += Squared ? pv * p : pv;
            st += Squared ? tr * tr : tr;
        }
        tp_d += static_cast<double>(tp);
        sp_d += static_cast<double>(sp);
        st_d += static_cast<double>(st);
    }
    sums[0] += tp_d;
    sums[1] += sp_d;
    sums[2] += st_d;
    return lo < T(0) ? 1 : 0;
}

/// d loss / d p at one position: a t + b (Squared: + 2 b p), times the valid mask.
template <bool Labels, bool HasIgnore, bool Squared, class T>
FASTLOSS_ALWAYS_INLINE T overlap_dp(T p, T t_dense, T yf, T vf, T want, T a, T b) {
    T t;
    if constexpr (Labels)
        t = yf == want ? T(1) : T(0);
    else
        t = t_dense;
    T v = a * t + (Squared ? T(2) * b * p : b);
    if constexpr (HasIgnore) v *= vf;
    return v;
}

/**
 * Pass 2 for one class's positions with no activation: the gradient is d loss / d p, with p
 * read from the input `p`.
 */
template <bool Labels, bool HasIgnore, bool Squared, class T>
FASTLOSS_NOINLINE void identity_grad_row(const T* __restrict p, const T* __restrict t,
                                         const T* __restrict yf, const T* __restrict vf, T want,
                                         T a, T b, index_t len, T* __restrict out) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r)
        out[r] = overlap_dp<Labels, HasIgnore, Squared>(p[r], Labels ? T(0) : t[r],
                                                        Labels ? yf[r] : T(0),
                                                        HasIgnore ? vf[r] : T(1), want, a, b);
}

/// Pass 2 through a sigmoid, in place: io holds p and receives g p (1 - p).
template <bool Labels, bool HasIgnore, bool Squared, class T>
FASTLOSS_NOINLINE void sigmoid_grad_row(T* __restrict io, const T* __restrict t,
                                        const T* __restrict yf, const T* __restrict vf, T want,
                                        T a, T b, index_t len) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) {
        const T p = io[r];
        const T g = overlap_dp<Labels, HasIgnore, Squared>(p, Labels ? T(0) : t[r],
                                                           Labels ? yf[r] : T(0),
                                                           HasIgnore ? vf[r] : T(1), want, a, b);
        io[r] = g * p * (T(1) - p);
    }
}

/**
 * Pass 2 through the softmax, in place: io (class stride s) holds p and receives
 * dx_j = p_j (g_j - sum_k p_k g_k), g from overlap_dp (computed twice rather than stored).
 * Dense targets at class stride s; class j has label j + shift; a, b: (c,) factors.
 */
template <bool Labels, bool HasIgnore, bool Squared, class T>
FASTLOSS_NOINLINE void softmax_grad_tile(T* io, const T* __restrict t, const T* __restrict yf,
                                         const T* __restrict vf, index_t shift,
                                         const T* __restrict a, const T* __restrict b,
                                         index_t c, index_t len, T* __restrict dot, index_t s) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) dot[r] = T(0);
    for (index_t j = 0; j < c; ++j) {
        const T* __restrict pj = io + j * s;
        const T* __restrict tj = Labels ? t : t + j * s;
        const T aj = a[j], bj = b[j], want = static_cast<T>(j + shift);
#pragma omp simd
        for (index_t r = 0; r < len; ++r)
            dot[r] += pj[r] * overlap_dp<Labels, HasIgnore, Squared>(
                                  pj[r], Labels ? T(0) : tj[r], Labels ? yf[r] : T(0),
                                  HasIgnore ? vf[r] : T(1), want, aj, bj);
    }
    for (index_t j = 0; j < c; ++j) {
        T* __restrict oj = io + j * s;
        const T* __restrict tj = Labels ? t : t + j * s;
        const T aj = a[j], bj = b[j], want = static_cast<T>(j + shift);
#pragma omp simd
        for (index_t r = 0; r < len; ++r) {
            const T p = oj[r];
            oj[r] = p * (overlap_dp<Labels, HasIgnore, Squared>(
                             p, Labels ? T(0) : tj[r], Labels ? yf[r] : T(0),
                             HasIgnore ? vf[r] : T(1), want, aj, bj) -
                         dot[r]);
        }
    }
}

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
