// What distinguishes softmax cross-entropy from the softmax focal loss: per-row formulas.
//
// Both losses have a gradient of the form
//     d l / d x_c = a e_c / S - b_c - d [c = y]       (e_c = exp(x_c - m), S = sum_c e_c)
// so one pair of kernels (softmax.hpp: along rows; softmax_small.hpp: across rows) serves both,
// and focal with gamma = 0 gives cross-entropy bit for bit. A policy turns a row's statistics
// into its loss and the factors a, d; b_c = smooth * w_c. Policies are branch-free and use
// vm:: functions, so the small-class kernel vectorises them across rows.
#pragma once

#include <limits>

#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// A row's softmax statistics: m = max_c x_c, S = sum_c e_c = k + R, where k counts the
/// entries equal to m and R sums the others; log S = log1p(k - 1 + R) keeps full relative
/// accuracy when one class dominates. x_y: the label's logit; sw = sum_c w_c (m - x_c), only
/// computed for policies with smoothing.
struct RowStats {
    double m, R, k, log_S, x_y, sw;
    double S() const { return k + R; }
    /// -log softmax(x)_y = (m - x_y) + log S: both terms >= 0, so no cancellation.
    double nll() const { return (m - x_y) + log_S; }
};

struct RowTerms {
    double loss, a, d;
};

/// The weight of class j, or 1 when the kernel is instantiated without class weights.
template <bool HasWeight, class T>
inline T class_weight_at(const T* w, index_t j) {
    if constexpr (HasWeight)
        return w[j];
    else
        return T(1);
}

/**
 * Cross-entropy with label smoothing eps (PyTorch):
 *   l = (1 - eps) w_y nll(y) + (eps / C) sum_c w_c nll(c),   nll(c) = (m - x_c) + log S,
 *   a = (1 - eps) w_y + (eps / C) W,  d = (1 - eps) w_y,  b_c = (eps / C) w_c,  W = sum_c w_c.
 */
struct CrossEntropyPolicy {
    double eps, eps_c, w_total;
    static constexpr bool kSmoothing = true;

    double smooth() const { return eps_c; }
    FASTLOSS_ALWAYS_INLINE RowTerms terms(double w_y, const RowStats& s) const {
        const double keep = (1.0 - eps) * w_y;
        // No branch on eps (loop-invariant branches stop vectorisation): with eps = 0 the
        // smoothing part is exactly +0 (sw is 0 then), so gamma = 0 focal still equals this.
        const double smooth_part = eps_c * (w_total * s.log_S + s.sw);
        return RowTerms{keep * s.nll() + smooth_part, keep + eps_c * w_total, keep};
    }
};

/**
 * Softmax focal loss: l = -alpha_y (1 - p)^gamma log p, p = softmax(x)_y, with
 *   a = d = G = alpha_y (1 - p)^gamma (1 - gamma p log p / (1 - p)),  b_c = 0.
 * 1 - p = R / S when y is the unique maximum (no cancellation as p -> 1), else 1 - e_y / S.
 * p log p / (1 - p) lies in [-1, 0] (limit -1 at p = 1). (1 - p)^gamma = exp(gamma log(1 - p))
 * with the log clamped to the lowest finite value: exactly 1 for gamma = 0, 0 where 1 - p = 0.
 */
struct FocalPolicy {
    double gamma;
    static constexpr bool kSmoothing = false;

    double smooth() const { return 0.0; }
    FASTLOSS_ALWAYS_INLINE RowTerms terms(double alpha_y, const RowStats& s) const {
        const double nll = s.nll();
        const double S = s.S();
        const double p = vm::exp(-nll);
        const double e_y = vm::exp(s.x_y - s.m);
        const bool unique_top = s.x_y == s.m && s.k == 1.0;
        const double one_minus_p = unique_top ? s.R / S : 1.0 - e_y / S;
        double log_omp = vm::log(one_minus_p);
        log_omp = log_omp < std::numeric_limits<double>::lowest()
                      ? std::numeric_limits<double>::lowest()
                      : log_omp;
        const double f = vm::exp(gamma * log_omp);
        const double h = one_minus_p > 0.0 ? -p * nll / one_minus_p : -1.0;
        const double G = alpha_y * f * (1.0 - gamma * h);
        return RowTerms{alpha_y * f * nll, G, G};
    }
};

/**
 * Per-row state of a batch of rows, in arrays, so that a policy runs as one SIMD loop across
 * the rows (per-row work costs as much as a short row's arithmetic otherwise). All double:
 * GCC finds no common vector shape for a loop that mixes bool, float and double.
 */
template <index_t Cap>
struct RowBatch {
    alignas(64) double m[Cap], valid[Cap], R[Cap], k[Cap], sw[Cap], x_y[Cap], w_y[Cap];
    alignas(64) double loss[Cap], a[Cap], d[Cap];  // outputs: loss, a / S and d per row
};

/// Runs the policy on rows [0, rows) of a batch; invalid (ignored) rows get exactly 0 (by
/// selects, so NaN logits there do not leak in). Returns the rows' summed loss.
template <index_t Cap, class Policy>
FASTLOSS_NOINLINE double batch_policy(RowBatch<Cap>& b, index_t rows, const Policy policy) {
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (index_t r = 0; r < rows; ++r) {
        RowStats st{};
        st.m = b.m[r];
        st.R = b.R[r];
        st.k = b.k[r];
        st.log_S = vm::log1p((st.k - 1.0) + st.R);
        st.x_y = b.x_y[r];
        st.sw = b.sw[r];
        const RowTerms t = policy.terms(b.w_y[r], st);
        // the comparison inline in each select: see vmath.hpp (a named bool stops AVX2)
        b.loss[r] = b.valid[r] != 0.0 ? t.loss : 0.0;
        b.a[r] = b.valid[r] != 0.0 ? t.a / st.S() : 0.0;
        b.d[r] = b.valid[r] != 0.0 ? t.d : 0.0;
        acc += b.loss[r];
    }
    return acc;
}

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
