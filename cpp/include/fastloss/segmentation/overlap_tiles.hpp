// The per-tile steps of the overlap losses: activation, per-class sums, gradient.
//
// The input is (N, C, S) with S the flattened spatial size, so for one sample the positions of
// one class are contiguous. A tile is `len` consecutive positions of one sample; every step is
// a SIMD loop along the positions, class by class (softmax's max and sum are taken across
// classes position-wise, so they vectorise too). A tile's probabilities live in a C x L buffer
// (row stride L); with no activation the input itself is read (row stride S).
#pragma once

#include "fastloss/common/parallel.hpp"
#include "fastloss/common/vmath.hpp"
#include "fastloss/segmentation/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// softmax over the classes of positions [0, len): x at class stride s, p at class stride L.
template <class T>
FASTLOSS_NOINLINE void softmax_tile(const T* __restrict x, index_t s, index_t c, index_t len,
                                    index_t L, T* __restrict p, T* __restrict m,
                                    T* __restrict z) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) m[r] = x[r];
    for (index_t j = 1; j < c; ++j) {
        const T* __restrict xj = x + j * s;
#pragma omp simd
        for (index_t r = 0; r < len; ++r) m[r] = xj[r] > m[r] ? xj[r] : m[r];
    }
#pragma omp simd
    for (index_t r = 0; r < len; ++r) z[r] = T(0);
    for (index_t j = 0; j < c; ++j) {
        const T* __restrict xj = x + j * s;
        T* __restrict pj = p + j * L;
#pragma omp simd
        for (index_t r = 0; r < len; ++r) {
            const T e = vm::exp(xj[r] - m[r]);
            pj[r] = e;
            z[r] += e;
        }
    }
#pragma omp simd
    for (index_t r = 0; r < len; ++r) z[r] = T(1) / z[r];
    for (index_t j = 0; j < c; ++j) {
        T* __restrict pj = p + j * L;
#pragma omp simd
        for (index_t r = 0; r < len; ++r) pj[r] *= z[r];
    }
}

/// Element-wise sigmoid of one class's positions.
template <class T>
FASTLOSS_NOINLINE void sigmoid_row(const T* __restrict x, index_t len, T* __restrict p) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) p[r] = vm::sigmoid(x[r]);
}

/**
 * Integer labels of a tile as values the SIMD loops can compare with: yf = the label (an
 * ignored one becomes -1, which matches no class) and vf = 1 for counted positions, 0 for
 * ignored ones. Returns the number of labels outside [0, n_values) that are not ignored.
 */
template <bool HasIgnore, class T>
FASTLOSS_NOINLINE index_t label_tile(const index_t* __restrict y, index_t len, index_t ignore,
                                     index_t n_values, T* __restrict yf, T* __restrict vf) {
    index_t bad = 0;
    for (index_t r = 0; r < len; ++r) {
        const index_t v = y[r];
        const bool skip = HasIgnore && v == ignore;
        yf[r] = skip ? T(-1) : static_cast<T>(v);
        vf[r] = skip ? T(0) : T(1);
        bad += (!skip && (v < 0 || v >= n_values)) ? 1 : 0;
    }
    return bad;
}

/// (TP, Sp, St) of one class over a tile with integer labels: t = [label == want].
template <bool HasIgnore, bool Squared, class T>
FASTLOSS_NOINLINE void label_class_sums(const T* __restrict p, const T* __restrict yf,
                                        const T* __restrict vf, T want, index_t len,
                                        double* __restrict sums) {
    double tp = 0.0, sp = 0.0, st = 0.0;
#pragma omp simd reduction(+ : tp, sp, st)
    for (index_t r = 0; r < len; ++r) {
        const T pr = HasIgnore ? p[r] * vf[r] : p[r];
        const T t = yf[r] == want ? T(1) : T(0);
        tp += static_cast<double>(pr * t);
        sp += static_cast<double>(Squared ? pr * pr : pr);
        st += static_cast<double>(t);
    }
    sums[0] += tp;
    sums[1] += sp;
    sums[2] += st;
}

/// (TP, Sp, St) of one class over a tile with dense (one-hot or soft) targets t.
template <bool Squared, class T>
FASTLOSS_NOINLINE void dense_class_sums(const T* __restrict p, const T* __restrict t,
                                        index_t len, double* __restrict sums) {
    double tp = 0.0, sp = 0.0, st = 0.0;
#pragma omp simd reduction(+ : tp, sp, st)
    for (index_t r = 0; r < len; ++r) {
        tp += static_cast<double>(p[r] * t[r]);
        sp += static_cast<double>(Squared ? p[r] * p[r] : p[r]);
        st += static_cast<double>(Squared ? t[r] * t[r] : t[r]);
    }
    sums[0] += tp;
    sums[1] += sp;
    sums[2] += st;
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
 * The gradient of one class's positions with no activation (g = d loss / d p), or through a
 * sigmoid (g p (1 - p)). Labels: t = [yf == want]; dense: t read from `t`.
 */
template <bool Labels, bool HasIgnore, bool Squared, bool Sigmoid, class T>
FASTLOSS_NOINLINE void elementwise_grad_row(const T* __restrict p, const T* __restrict t,
                                            const T* __restrict yf, const T* __restrict vf,
                                            T want, T a, T b, index_t len, T* __restrict out) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) {
        const T g = overlap_dp<Labels, HasIgnore, Squared>(p[r], Labels ? T(0) : t[r],
                                                           Labels ? yf[r] : T(0),
                                                           HasIgnore ? vf[r] : T(1), want, a, b);
        out[r] = Sigmoid ? g * p[r] * (T(1) - p[r]) : g;
    }
}

/**
 * The gradient of a tile through the softmax: dx_j = p_j (g_j - sum_k p_k g_k), with g from
 * overlap_dp, computed twice rather than stored. p at class stride L, dense targets and out
 * at class stride s; class j has label j + shift; a, b: (c,) factors.
 */
template <bool Labels, bool HasIgnore, bool Squared, class T>
FASTLOSS_NOINLINE void softmax_grad_tile(const T* __restrict p, index_t L, const T* __restrict t,
                                         const T* __restrict yf, const T* __restrict vf,
                                         index_t shift, const T* __restrict a,
                                         const T* __restrict b, index_t c, index_t len,
                                         T* __restrict dot, T* __restrict out, index_t s) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) dot[r] = T(0);
    for (index_t j = 0; j < c; ++j) {
        const T* __restrict pj = p + j * L;
        const T* __restrict tj = Labels ? t : t + j * s;
        const T aj = a[j], bj = b[j], want = static_cast<T>(j + shift);
#pragma omp simd
        for (index_t r = 0; r < len; ++r)
            dot[r] += pj[r] * overlap_dp<Labels, HasIgnore, Squared>(
                                  pj[r], Labels ? T(0) : tj[r], Labels ? yf[r] : T(0),
                                  HasIgnore ? vf[r] : T(1), want, aj, bj);
    }
    for (index_t j = 0; j < c; ++j) {
        const T* __restrict pj = p + j * L;
        const T* __restrict tj = Labels ? t : t + j * s;
        T* __restrict oj = out + j * s;
        const T aj = a[j], bj = b[j], want = static_cast<T>(j + shift);
#pragma omp simd
        for (index_t r = 0; r < len; ++r)
            oj[r] = pj[r] * (overlap_dp<Labels, HasIgnore, Squared>(
                                 pj[r], Labels ? T(0) : tj[r], Labels ? yf[r] : T(0),
                                 HasIgnore ? vf[r] : T(1), want, aj, bj) -
                             dot[r]);
    }
}

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
