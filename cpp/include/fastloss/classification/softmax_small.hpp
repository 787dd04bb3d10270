// Softmax losses with integer labels for few classes (C <= kSmallClasses), vectorised across
// rows instead of along them; and the public entry points that choose between this kernel
// and the row kernel (softmax.hpp).
//
// With C = 10 a row is too short for SIMD along it: the loop prologue and epilogue and the
// per-row log cost more than the row's arithmetic. So a tile of kRowTile rows is transposed
// into an L1 buffer (C x kRowTile), every per-row quantity (max, sum of exponentials, log,
// the policy's loss and factors) is computed kRowTile rows at a time, and the gradient is
// transposed back. Same formulas as the row kernel, same results to rounding.
#pragma once

#include <cstdint>
#include <type_traits>

#include "fastloss/classification/softmax.hpp"
#include "fastloss/classification/tile_transpose.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// Rows per tile: the transposed tile is at most 64 x 64 values (16 KiB of float).
constexpr index_t kRowTile = 64;

namespace detail {

/// One tile: the transposed logits and the rows' state, so that every step is a SIMD loop
/// over the rows.
template <class T>
struct SmallTile {
    alignas(64) T v[kSmallClasses][kRowTile];  // logits, then e_c = exp(x_c - m), then grad
    alignas(64) T m[kRowTile];
    alignas(64) T x_y[kRowTile];  // the label's logit, then the gradient's -d
    alignas(64) T a[kRowTile];    // the gradient's a / S
    alignas(64) T k[kRowTile];    // how many classes equal the max
    // The rows' labels, -1 where a row is ignored or padding: int32 (labels are < c <= 64),
    // so that comparing them with a class index vectorises alongside the float lanes.
    alignas(64) std::int32_t y[kRowTile];
    RowBatch<kRowTile> b;
};

/// n values between a tile row and storage (In: into the tile).
template <bool In, class T, class Ptr>
FASTLOSS_ALWAYS_INLINE void copy_run(T* tile_row, Ptr data, index_t n) {
    for (index_t q = 0; q < n; ++q) {
        if constexpr (In)
            tile_row[q] = data[q];
        else
            data[q] = tile_row[q];
    }
}

/**
 * Moves rows [r0, r0 + rows) between storage and the tile (In: into the tile). Storage is
 * (N, c, inner) with the class axis in the middle: row i = (n, s), i = n inner + s, has its
 * class j at ((n c + j) inner + s). inner = 1 is the row-major (rows, c) layout (a transpose);
 * for inner > 1 (PyTorch's (N, C, d1, ...)), a run of rows within one n is a plain copy per
 * class, so that layout needs no transposed copy at all.
 */
template <bool In, class T, class Ptr>
inline void tile_transfer(SmallTile<T>& s, Ptr data, index_t r0, index_t rows, index_t c,
                          index_t inner) {
    if (inner == 1) {
#if defined(__AVX512F__)
        if constexpr (std::is_same_v<T, float>) {
            if (c <= 16) {
                tile_transfer_16<In, kRowTile>(&s.v[0][0], data, r0, rows, c);
                return;
            }
        }
#elif defined(__AVX2__)
        if constexpr (std::is_same_v<T, float>) {
            if (c <= 16) {
                tile_transfer_8<In, kRowTile>(&s.v[0][0], data, r0, rows, c);
                return;
            }
        }
#endif
        for (index_t r = 0; r < rows; ++r)
            for (index_t j = 0; j < c; ++j) {
                if constexpr (In)
                    s.v[j][r] = data[(r0 + r) * c + j];
                else
                    data[(r0 + r) * c + j] = s.v[j][r];
            }
        return;
    }
    for (index_t r = 0; r < rows;) {
        const index_t i = r0 + r, n = i / inner, sp = i % inner;
        const index_t run = imin(rows - r, inner - sp);
        for (index_t j = 0; j < c; ++j) {
            const index_t at = (n * c + j) * inner + sp;
            // A whole tile row by a copy of constant length: a run of unknown length became a
            // call to memmove per class, 40% of a 21-class map's time.
            if (run == kRowTile)
                copy_run<In>(&s.v[j][0], data + at, kRowTile);
            else
                copy_run<In>(&s.v[j][r], data + at, run);
        }
        r += run;
    }
}

/// Loads rows [r0, r0 + rows) into the tile and finds each row's max, label logit and weight.
/// The label logit is picked by comparing each class index with the labels, in the same SIMD
/// loop as the max, rather than by a per-row indexed load.
template <bool HasWeight, class T>
inline void small_tile_load(SmallTile<T>& s, const T* logits, const index_t* labels, index_t r0,
                            index_t rows, index_t c, index_t inner, const T* weight,
                            index_t ignore_index) {
    // A short last tile is padded with zero logits marked ignored, so every loop below runs
    // over exactly kRowTile rows.
    tile_transfer<true>(s, logits, r0, rows, c, inner);
    for (index_t j = 0; j < c; ++j)
        for (index_t r = rows; r < kRowTile; ++r) s.v[j][r] = T(0);
    const index_t* lab = labels + r0;
#pragma omp simd
    for (index_t r = 0; r < rows; ++r)
        s.y[r] = lab[r] == ignore_index ? -1 : static_cast<std::int32_t>(lab[r]);
    for (index_t r = rows; r < kRowTile; ++r) s.y[r] = -1;
#pragma omp simd
    for (index_t r = 0; r < kRowTile; ++r) {
        s.m[r] = s.v[0][r];
        s.x_y[r] = s.y[r] == 0 ? s.v[0][r] : T(0);
    }
    for (index_t j = 1; j < c; ++j) {
        const std::int32_t jj = static_cast<std::int32_t>(j);
#pragma omp simd
        for (index_t r = 0; r < kRowTile; ++r) {
            s.m[r] = s.v[j][r] > s.m[r] ? s.v[j][r] : s.m[r];
            s.x_y[r] = s.y[r] == jj ? s.v[j][r] : s.x_y[r];
        }
    }
#pragma omp simd
    for (index_t r = 0; r < kRowTile; ++r) {
        const std::int32_t k = s.y[r] < 0 ? 0 : s.y[r];  // a valid index for the weight read
        s.b.m[r] = static_cast<double>(s.m[r]);
        s.b.valid[r] = s.y[r] < 0 ? 0.0 : 1.0;
        s.b.x_y[r] = static_cast<double>(s.x_y[r]);
        s.b.w_y[r] = s.y[r] < 0 ? 0.0 : static_cast<double>(class_weight_at<HasWeight>(weight, k));
    }
}

/// Class j of small_tile_exp; the first class starts the sums (no zeroing pass).
template <bool First, bool Smoothing, class T>
FASTLOSS_ALWAYS_INLINE void small_tile_exp_class(SmallTile<T>& s, index_t j, double wj) {
#pragma omp simd
    for (index_t r = 0; r < kRowTile; ++r) {
        const T xj = s.v[j][r];
        const T e = vm::exp_nonpositive(xj - s.m[r]);
        const double R = First ? 0.0 : s.b.R[r];
        const T k = First ? T(0) : s.k[r];
        s.b.R[r] = R + (xj == s.m[r] ? 0.0 : static_cast<double>(e));
        s.k[r] = k + (xj == s.m[r] ? T(1) : T(0));  // a count: exact in T
        if constexpr (Smoothing)
            s.b.sw[r] = (First ? 0.0 : s.b.sw[r]) +
                        wj * (static_cast<double>(s.m[r]) - static_cast<double>(xj));
        s.v[j][r] = e;
    }
}

/// e_c = exp(x_c - m) in place, with R, k and (for smoothing) sw per row. k is counted in T
/// and R starts at the first class: a few percent off this loop.
template <bool HasWeight, bool Smoothing, class T>
inline void small_tile_exp(SmallTile<T>& s, index_t c, const T* weight) {
    const auto w = [&](index_t j) {
        return static_cast<double>(class_weight_at<HasWeight>(weight, j));
    };
    small_tile_exp_class<true, Smoothing>(s, 0, w(0));
    for (index_t j = 1; j < c; ++j) small_tile_exp_class<false, Smoothing>(s, j, w(j));
#pragma omp simd
    for (index_t r = 0; r < kRowTile; ++r) s.b.k[r] = static_cast<double>(s.k[r]);
    if constexpr (!Smoothing)
        for (index_t r = 0; r < kRowTile; ++r) s.b.sw[r] = 0.0;
}

/// The gradient in place over e_c: a e_c - b_c w_c - [c = y] d, where the label's d is in
/// s.x_y. With smoothing the first two terms are formed in double (b_c = s.b.loss); without,
/// b_c = 0 and a e_c is one float product (a rounded to float in s.a first: one rounding more
/// per gradient entry than forming the product in double).
template <bool HasWeight, bool Smoothing, class T>
inline void small_tile_grad(SmallTile<T>& s, index_t c, const T* weight) {
    for (index_t j = 0; j < c; ++j) {
        const std::int32_t jj = static_cast<std::int32_t>(j);
        const double wj = static_cast<double>(class_weight_at<HasWeight>(weight, j));
#pragma omp simd
        for (index_t r = 0; r < kRowTile; ++r) {
            T g;
            if constexpr (Smoothing)
                g = static_cast<T>(s.b.a[r] * static_cast<double>(s.v[j][r]) - s.b.loss[r] * wj);
            else
                g = s.a[r] * s.v[j][r];
            s.v[j][r] = g - (s.y[r] == jj ? s.x_y[r] : T(0));
        }
    }
}

/// Loss and gradient of rows [r0, r0 + rows), rows <= kRowTile; returns their summed loss.
template <bool HasWeight, class Policy, class T>
double small_tile(SmallTile<T>& s, const T* logits, const index_t* labels, index_t r0, index_t rows,
                  index_t c, index_t inner, const T* weight, index_t ignore_index,
                  const Policy& policy, const GradCoef<T>& gc, T* per_item, T* grad) {
    small_tile_load<HasWeight>(s, logits, labels, r0, rows, c, inner, weight, ignore_index);
    const double smooth = policy.smooth();
    if (Policy::kSmoothing && smooth != 0.0)
        small_tile_exp<HasWeight, true>(s, c, weight);
    else
        small_tile_exp<HasWeight, false>(s, c, weight);
    RowBatch<kRowTile>& b = s.b;
    const double acc = batch_policy(b, kRowTile, policy);
    if (per_item)
        for (index_t r = 0; r < rows; ++r) per_item[r0 + r] = static_cast<T>(b.loss[r]);
    if (!grad) return acc;
    for (index_t r = 0; r < rows; ++r) {  // fold grad_output into the factors
        const double ci = gc.at(r0 + r);
        b.a[r] *= ci;
        b.d[r] *= ci;
        b.loss[r] = b.valid[r] * ci * smooth;  // now the b_c factor
    }
    for (index_t r = rows; r < kRowTile; ++r) b.loss[r] = 0.0;
#pragma omp simd
    for (index_t r = 0; r < kRowTile; ++r) s.x_y[r] = static_cast<T>(b.d[r]);
    if (smooth != 0.0) {
        small_tile_grad<HasWeight, true>(s, c, weight);
    } else {
#pragma omp simd
        for (index_t r = 0; r < kRowTile; ++r) s.a[r] = static_cast<T>(b.a[r]);
        small_tile_grad<false, false>(s, c, weight);
    }
    tile_transfer<false>(s, grad, r0, rows, c, inner);
    return acc;
}

template <bool HasWeight, class Policy, class T>
void softmax_label_small(const T* logits, const index_t* labels, index_t n, index_t c,
                         index_t inner, const T* weight, index_t ignore_index, const Policy& policy,
                         double denom, LossOutput<T>& out, int num_threads) {
    const GradCoef<T> gc(out, denom);
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const index_t block = kRowTile * imax(1, kElementBlock / (kRowTile * c));
    const double sum = ordered_block_sum(n, block, n * c, num_threads, [&](index_t b, index_t e) {
        SmallTile<T> tile;
        double acc = 0.0;
        for (index_t r0 = b; r0 < e; r0 += kRowTile)
            acc += small_tile<HasWeight>(tile, logits, labels, r0, imin(kRowTile, e - r0), c, inner,
                                         weight, ignore_index, policy, gc, per_item, grad);
        return acc;
    });
    store_total(out, sum, denom);
}

/// Runs a label policy on the kernel that suits the class count (inner > 1 needs
/// c <= kSmallClasses: the row kernel reads rows of contiguous classes only).
template <class Policy, class T>
void softmax_label_loss(const T* logits, const index_t* labels, index_t n, index_t c, index_t inner,
                        const T* weight, index_t ignore_index, const Policy& policy, double denom,
                        LossOutput<T>& out, int num_threads) {
    with_flag(weight != nullptr, [&](auto has_weight) {
        constexpr bool kWeight = decltype(has_weight)::value;
        if (c <= kSmallClasses)
            softmax_label_small<kWeight>(logits, labels, n, c, inner, weight, ignore_index, policy,
                                         denom, out, num_threads);
        else
            softmax_label_rows<kWeight>(logits, labels, n, c, weight, ignore_index, policy, denom,
                                        out, num_threads);
    });
}

}  // namespace detail

/**
 * Softmax cross-entropy with integer labels (torch.nn.functional.cross_entropy):
 *   l_i = (1 - eps) w_{y_i} nll_i(y_i) + (eps / C) sum_c w_c nll_i(c),  nll_i(c) = lse(x_i) - x_ic.
 *
 * logits: n rows of c classes, as (n, c) row-major (inner = 1) or as (n / inner, c, inner)
 * with the class axis in the middle (PyTorch's (N, C, d1, ...); needs c <= kSmallClasses);
 * labels: (n,), each in [0, c) or == ignore_index; class_weight: (c,) or null. The gradient
 * has the logits' layout. Mean divides by the summed weights of the non-ignored rows; if there
 * are none the value and gradient are 0. Ignored rows get loss 0, gradient 0. Returns
 * LabelOutOfRange, having written nothing, if a label is neither.
 */
template <class T>
Status cross_entropy_labels(const T* logits, const index_t* labels, index_t n, index_t c,
                            index_t inner, const T* class_weight, const CrossEntropyParams& params,
                            LossOutput<T>& out, int num_threads) {
    const detail::LabelScan scan =
        detail::scan_labels(labels, n, c, class_weight, params.ignore_index, num_threads);
    if (!scan.valid) return Status::LabelOutOfRange;
    const double denom = out.reduction == Reduction::Mean ? scan.weight_sum : 1.0;
    const double eps = params.label_smoothing;
    const detail::CrossEntropyPolicy policy{eps, eps / static_cast<double>(c),
                                            class_weight_total(class_weight, c)};
    detail::softmax_label_loss(logits, labels, n, c, inner, class_weight, params.ignore_index,
                               policy, denom, out, num_threads);
    return Status::Ok;
}

/**
 * Softmax focal loss with integer labels:  l_i = -alpha_y (1 - p_y)^gamma log p_y.
 *
 * logits and labels as for cross_entropy_labels (inner: see there); alpha: (c,) or null (no
 * alpha). gamma = 0 gives cross_entropy_labels bit for bit. Mean divides by the number of
 * non-ignored rows (0 if there are none). Returns LabelOutOfRange as cross_entropy_labels does.
 */
template <class T>
Status softmax_focal_loss(const T* logits, const index_t* labels, index_t n, index_t c,
                          index_t inner, const T* alpha, double gamma, index_t ignore_index,
                          LossOutput<T>& out, int num_threads) {
    const detail::LabelScan scan =
        detail::scan_labels<T>(labels, n, c, nullptr, ignore_index, num_threads);
    if (!scan.valid) return Status::LabelOutOfRange;
    const double denom = out.reduction == Reduction::Mean ? scan.weight_sum : 1.0;
    detail::softmax_label_loss(logits, labels, n, c, inner, alpha, ignore_index,
                               detail::FocalPolicy{gamma}, denom, out, num_threads);
    return Status::Ok;
}

FASTLOSS_END_ISA_NAMESPACE
