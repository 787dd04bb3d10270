// Softmax losses over rows of C contiguous logits, SIMD along each row: the row kernel for
// losses with integer labels (cross-entropy and focal, via softmax_policies.hpp), cross-entropy
// with probability targets (the distillation KL is in distillation.hpp). Each row is
// read from memory once: it stays in L1 while the max, the sum of exponentials and the
// gradient are computed. Few classes go through softmax_small.hpp instead.
#pragma once

#include <cmath>
#include <cstdint>

#include "fastloss/classification/softmax_policies.hpp"
#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

namespace fastloss {

struct CrossEntropyParams {
    index_t ignore_index = -100;
    double label_smoothing = 0.0;
};

// Largest class count that takes the across-rows kernel (softmax_small.hpp), which also reads
// the (N, C, d1, ...) layout natively; exported as _core.SMALL_CLASSES. Measured (AVX-512, one
// thread, CE value and gradient): across rows 2.3-2.5 ns per element for C in 48..128; along
// rows 5.8-7.8 for C in 17..24 (a 16-lane vector and a ragged tail), 4.3 at 32, 2.1-2.2 for
// C in 65..100.
constexpr index_t kSmallClasses = 64;

}  // namespace fastloss

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

template <class T>
FASTLOSS_NOINLINE T row_max(const T* __restrict x, index_t c) {
    T mx = x[0];
#pragma omp simd reduction(max : mx)
    for (index_t j = 1; j < c; ++j) mx = x[j] > mx ? x[j] : mx;
    return mx;
}

/// R and k of one row (see RowStats), storing e_c into e_out when StoreE.
template <bool StoreE, class T>
FASTLOSS_NOINLINE void row_exp_sums(const T* __restrict x, index_t c, T mx, T* __restrict e_out,
                                    double* R_out, double* k_out) {
    double R = 0.0, k = 0.0;
#pragma omp simd reduction(+ : R, k)
    for (index_t j = 0; j < c; ++j) {
        const T e = vm::exp_nonpositive(x[j] - mx);
        if constexpr (StoreE) e_out[j] = e;
        R += x[j] == mx ? 0.0 : static_cast<double>(e);
        k += x[j] == mx ? 1.0 : 0.0;
    }
    *R_out = R;
    *k_out = k;
}

/// m, R and k of one row (see RowStats; log S is left to the caller, which may batch it);
/// e_out (C,) receives e_c when non-null. The loops are named functions, not lambda bodies,
/// so that they vectorise (common/isa.hpp).
template <class T>
inline RowStats row_softmax_stats(const T* x, index_t c, T* e_out) {
    const T mx = row_max(x, c);
    RowStats s{};
    if (e_out)
        row_exp_sums<true>(x, c, mx, e_out, &s.R, &s.k);
    else
        row_exp_sums<false>(x, c, mx, e_out, &s.R, &s.k);
    s.m = static_cast<double>(mx);
    return s;
}

/// sum_c w_c (m - x_c): the smoothing term of cross-entropy.
template <bool HasWeight, class T>
FASTLOSS_NOINLINE double row_smoothing_sum(const T* __restrict x, index_t c, const T* __restrict w,
                                           double m) {
    double sw = 0.0;
#pragma omp simd reduction(+ : sw)
    for (index_t j = 0; j < c; ++j)
        sw +=
            static_cast<double>(class_weight_at<HasWeight>(w, j)) * (m - static_cast<double>(x[j]));
    return sw;
}

/// g_j = ca g_j - cb w_j (cb = 0: no smoothing term), in place over e_j.
template <bool HasWeight, class T>
FASTLOSS_NOINLINE void row_scale_grad(T* __restrict g, index_t c, T ca, T cb,
                                      const T* __restrict w) {
#pragma omp simd
    for (index_t j = 0; j < c; ++j) g[j] = ca * g[j] - cb * class_weight_at<HasWeight>(w, j);
}

/// One block of scan_labels: returns the summed label weights of the counted rows (labels in
/// [0, c), not ignored) and adds to *invalid the labels neither in [0, c) nor ignore_index.
/// Branch-free, so it vectorises (the weight read is a gather at a clamped index).
template <bool HasWeight, class T>
FASTLOSS_NOINLINE double label_block_scan(const index_t* __restrict y, index_t len,
                                          const T* __restrict w, index_t c, index_t ignore_index,
                                          double* invalid) {
    const std::uint64_t uc = static_cast<std::uint64_t>(c);
    double acc = 0.0, bad = 0.0;
#pragma omp simd reduction(+ : acc, bad)
    for (index_t j = 0; j < len; ++j) {
        const index_t v = y[j];
        // unsigned: negative labels compare as huge
        const index_t k = static_cast<std::uint64_t>(v) < uc ? v : 0;
        double wk = 1.0;
        if constexpr (HasWeight) wk = static_cast<double>(w[k]);
        acc += (static_cast<std::uint64_t>(v) < uc) & (v != ignore_index) ? wk : 0.0;
        bad += (static_cast<std::uint64_t>(v) < uc) | (v == ignore_index) ? 0.0 : 1.0;
    }
    *invalid += bad;
    return acc;
}

/// What one pass over the labels finds: the Mean denominator (summed label weights of the
/// rows that are not ignored) and whether every label is in [0, c) or == ignore_index.
struct LabelScan {
    double weight_sum;
    bool valid;
};

/// The labels' pass, threaded in fixed blocks: the sum is the same for any thread count.
template <class T>
LabelScan scan_labels(const index_t* labels, index_t n, index_t c, const T* class_weight,
                      index_t ignore_index, int num_threads) {
    double invalid_total = 0.0;
    const double sum = with_flag(class_weight != nullptr, [&](auto has_w) {
        return ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
            double invalid = 0.0;
            const double acc = label_block_scan<decltype(has_w)::value>(
                labels + b, e - b, class_weight, c, ignore_index, &invalid);
            if (invalid != 0.0) {
#pragma omp atomic
                invalid_total += invalid;  // a count: exact in any order
            }
            return acc;
        });
    });
    return LabelScan{sum, invalid_total == 0.0};
}

/// Zeros a gradient row (an ignored label's).
template <class T>
inline void zero_grad_row(T* g, index_t c) {
    for (index_t j = 0; j < c; ++j) g[j] = T(0);
}

// Rows per policy batch of the row kernel: at least the rows of one block for C > 64
// (kElementBlock / 65 = 252), so a block is one batch.
constexpr index_t kRowBatch = 256;

/**
 * The row kernel for losses with integer labels (a policy, softmax_policies.hpp): SIMD along
 * each row, for many classes. Per batch of rows: (1) each row's statistics, e_c stored in its
 * gradient row; (2) the policy, one SIMD loop across the rows; (3) each gradient row scaled.
 * weight: (c,) label weights (class weights or focal alpha) or null; Mean divides by `denom`.
 * Ignored rows get loss 0 and gradient 0.
 */
template <bool HasWeight, class Policy, class T>
double softmax_label_row_batch(const T* logits, const index_t* labels, index_t i0, index_t rows,
                               index_t c, const T* weight, index_t ignore_index,
                               const Policy& policy, const GradCoef<T>& coef, T* per_item, T* grad,
                               RowBatch<kRowBatch>& b) {
    const double smooth = policy.smooth();
    for (index_t r = 0; r < rows; ++r) {
        const index_t i = i0 + r, y = labels[i];
        const T* x = logits + i * c;
        T* g = grad ? grad + i * c : nullptr;
        if (y == ignore_index) {  // finite placeholders; batch_policy zeroes the row's terms
            b.valid[r] = b.m[r] = b.R[r] = b.sw[r] = b.x_y[r] = b.w_y[r] = 0.0;
            b.k[r] = 1.0;
            continue;
        }
        const RowStats st = row_softmax_stats(x, c, g);
        b.valid[r] = 1.0;
        b.m[r] = st.m;
        b.R[r] = st.R;
        b.k[r] = st.k;
        b.x_y[r] = static_cast<double>(x[y]);
        b.w_y[r] = static_cast<double>(class_weight_at<HasWeight>(weight, y));
        b.sw[r] = 0.0;
        if constexpr (Policy::kSmoothing)
            if (smooth != 0.0) b.sw[r] = row_smoothing_sum<HasWeight>(x, c, weight, st.m);
    }
    const double acc = batch_policy(b, rows, policy);
    if (per_item)
        for (index_t r = 0; r < rows; ++r) per_item[i0 + r] = static_cast<T>(b.loss[r]);
    if (!grad) return acc;
    for (index_t r = 0; r < rows; ++r) {
        const index_t i = i0 + r, y = labels[i];
        T* g = grad + i * c;
        if (y == ignore_index) {
            zero_grad_row(g, c);
            continue;
        }
        const double ci = coef.at(i);
        if (smooth != 0.0)
            row_scale_grad<HasWeight>(g, c, static_cast<T>(ci * b.a[r]),
                                      static_cast<T>(ci * smooth), weight);
        else
            row_scale_grad<false>(g, c, static_cast<T>(ci * b.a[r]), T(0), weight);
        g[y] -= static_cast<T>(ci * b.d[r]);
    }
    return acc;
}

template <bool HasWeight, class Policy, class T>
void softmax_label_rows(const T* logits, const index_t* labels, index_t n, index_t c,
                        const T* weight, index_t ignore_index, const Policy& policy, double denom,
                        LossOutput<T>& out, int num_threads) {
    const GradCoef<T> coef(out, denom);
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const double sum =
        ordered_block_sum(n, rows_per_block(c), n * c, num_threads, [&](index_t b, index_t e) {
            RowBatch<kRowBatch> batch;
            double acc = 0.0;
            for (index_t i0 = b; i0 < e; i0 += kRowBatch)
                acc += softmax_label_row_batch<HasWeight>(
                    logits, labels, i0, imin(kRowBatch, e - i0), c, weight, ignore_index, policy,
                    coef, per_item, grad, batch);
            return acc;
        });
    store_total(out, sum, denom);
}

/// A and B of one row (see cross_entropy_probs_impl); returns 1 when a target is outside
/// [0, 1], else 0 (NaN is not outside: it propagates). Checked through the row's extremes,
/// which cost the loop less than counting compares.
template <bool HasWeight, class T>
FASTLOSS_NOINLINE double probs_row_sums(const T* __restrict x, const T* __restrict t,
                                        const T* __restrict w, index_t c, double eps,
                                        double uniform, double m, double* A_out, double* B_out) {
    double A = 0.0, B = 0.0;
    T lo = T(0), hi = T(0);
#pragma omp simd reduction(+ : A, B) reduction(min : lo) reduction(max : hi)
    for (index_t j = 0; j < c; ++j) {
        const double wt = static_cast<double>(class_weight_at<HasWeight>(w, j)) *
                          ((1.0 - eps) * static_cast<double>(t[j]) + uniform);
        A += wt;
        B += wt * (m - static_cast<double>(x[j]));
        lo = t[j] < lo ? t[j] : lo;
        hi = t[j] > hi ? t[j] : hi;
    }
    *A_out = A;
    *B_out = B;
    return (lo < T(0)) | (hi > T(1)) ? 1.0 : 0.0;
}

/// g_j = ca e_j - w_j (c1 t_j + c0), in place over e_j.
template <bool HasWeight, class T>
FASTLOSS_NOINLINE void probs_row_grad(T* __restrict g, const T* __restrict t, const T* __restrict w,
                                      index_t c, T ca, T c1, T c0) {
#pragma omp simd
    for (index_t j = 0; j < c; ++j)
        g[j] = ca * g[j] - class_weight_at<HasWeight>(w, j) * (c1 * t[j] + c0);
}

template <bool HasWeight, class T>
Status cross_entropy_probs_impl(const T* logits, const T* targets, index_t n, index_t c,
                                const T* class_weight, double label_smoothing, LossOutput<T>& out,
                                int num_threads) {
    const double eps = label_smoothing;
    const double uniform = eps / static_cast<double>(c);
    const GradCoef<T> coef(out, static_cast<double>(n));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    double bad_total = 0.0;
    const double sum =
        ordered_block_sum(n, rows_per_block(c), n * c, num_threads, [&](index_t b, index_t e) {
            double acc = 0.0, bad = 0.0;
            for (index_t i = b; i < e; ++i) {
                const T* x = logits + i * c;
                const T* t = targets + i * c;
                T* g = grad ? grad + i * c : nullptr;
                detail::RowStats s = detail::row_softmax_stats(x, c, g);
                s.log_S = std::log1p((s.k - 1.0) + s.R);
                double A, B;  // sum_c w_c t'_c  and  sum_c w_c t'_c (m - x_c)
                bad += probs_row_sums<HasWeight>(x, t, class_weight, c, eps, uniform, s.m, &A, &B);
                const double loss = A * s.log_S + B;
                acc += loss;
                if (per_item) per_item[i] = static_cast<T>(loss);
                if (g) {
                    const double ci = coef.at(i);
                    probs_row_grad<HasWeight>(g, t, class_weight, c, static_cast<T>(ci * A / s.S()),
                                              static_cast<T>(ci * (1.0 - eps)),
                                              static_cast<T>(ci * uniform));
                }
            }
            if (bad != 0.0) {
#pragma omp atomic
                bad_total += bad;  // a count: exact in any order
            }
            return acc;
        });
    store_total(out, sum, static_cast<double>(n));
    return bad_total == 0.0 ? Status::Ok : Status::TargetOutOfRange;
}

}  // namespace detail

/**
 * Softmax cross-entropy with probability targets (PyTorch's soft-label form):
 *   l_i = sum_c w_c t'_ic nll_i(c),  t'_ic = (1 - eps) t_ic + eps / C.
 *
 * logits, targets: (n, c) row-major; class_weight: (c,) or null. Mean divides by n. Returns
 * TargetOutOfRange if a target is outside [0, 1] (rows need not sum to 1, as in PyTorch).
 */
template <class T>
Status cross_entropy_probs(const T* logits, const T* targets, index_t n, index_t c,
                           const T* class_weight, double label_smoothing, LossOutput<T>& out,
                           int num_threads) {
    return with_flag(class_weight != nullptr, [&](auto has_weight) {
        return detail::cross_entropy_probs_impl<decltype(has_weight)::value>(
            logits, targets, n, c, class_weight, label_smoothing, out, num_threads);
    });
}

/// Sum of the class weights (C when unweighted).
template <class T>
double class_weight_total(const T* class_weight, index_t c) {
    if (!class_weight) return static_cast<double>(c);
    double w_total = 0.0;
    for (index_t j = 0; j < c; ++j) w_total += static_cast<double>(class_weight[j]);
    return w_total;
}

FASTLOSS_END_ISA_NAMESPACE
