// The driver every element-wise loss runs on.
//
// A kernel supplies `tile(i0, col0, len, loss, dloss) -> flagged`: for elements i0 .. i0+len-1
// (columns col0 .. col0+len-1 of one row) it writes each element's loss and derivative into
// the two tile buffers and returns a positive number when it rejects an input (e.g. a target
// outside [0, 1]; a count or a 0/1 flag), else 0.
// The driver does the rest: blocks, threads, the ordered reduction, per-item stores and the
// gradient scale.
//
// Why tiles: GCC vectorises a loop only when it can keep every pointer it reads in a register
// and has no data-dependent memory access. A kernel's tile loop writes nothing but two local
// buffers, reads its inputs through pointers it copied into locals, and takes optional inputs
// as compile-time flags (`if constexpr`); the optional outputs are plain copy loops here.
// Each kernel's loop is a named FASTLOSS_NOINLINE function taking only pointers and scalars
// (see common/isa.hpp), and holds no loop-invariant branch; the lambda handed to the driver
// only forwards to it.
#pragma once

#include <type_traits>

#include "fastloss/common/parallel.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

// Elements per tile: two buffers of 512 floats or doubles stay in L1.
constexpr index_t kTile = 512;

/// Calls fn(std::bool_constant<a>{}, std::bool_constant<b>{}): runtime flags to template flags.
template <class F>
inline decltype(auto) with_flags(bool a, bool b, F&& fn) {
    if (a) {
        if (b) return fn(std::true_type{}, std::true_type{});
        return fn(std::true_type{}, std::false_type{});
    }
    if (b) return fn(std::false_type{}, std::true_type{});
    return fn(std::false_type{}, std::false_type{});
}

template <class F>
inline decltype(auto) with_flag(bool a, F&& fn) {
    if (a) return fn(std::true_type{});
    return fn(std::false_type{});
}

/**
 * Runs an element-wise loss over n elements laid out as rows of `cols` (the tile sees the
 * column, for per-column parameters; pass cols = n when there are none). Writes out.per_item,
 * out.grad and out.total; Mean divides by `denominator`. Returns the sum of what the tiles
 * returned: positive when an input was rejected.
 */
template <class T, class Tile>
double elementwise_loss(index_t n, index_t cols, LossOutput<T>& out, double denominator,
                        int num_threads, const Tile& tile) {
    T* const per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* const grad = out.grad;
    const T* const go = out.reduction == Reduction::None ? out.grad_per_item : nullptr;
    const T coef = static_cast<T>(reduced_grad_factor(out, denominator));
    double flagged_total = 0.0;
    const double sum =
        ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
            alignas(64) T loss[kTile];
            alignas(64) T dloss[kTile];
            double acc = 0.0, flagged = 0.0;
            for (index_t i = b; i < e;) {
                const index_t col0 = i % cols;
                const index_t len = imin(imin(e - i, cols - col0), kTile);
                flagged += tile(i, col0, len, loss, dloss);
                double a = 0.0;
#pragma omp simd reduction(+ : a)
                for (index_t j = 0; j < len; ++j) a += static_cast<double>(loss[j]);
                acc += a;
                if (per_item) {
                    T* dst = per_item + i;
                    for (index_t j = 0; j < len; ++j) dst[j] = loss[j];
                }
                if (grad && go) {
                    T* dst = grad + i;
                    const T* g = go + i;
#pragma omp simd
                    for (index_t j = 0; j < len; ++j) dst[j] = coef * g[j] * dloss[j];
                } else if (grad) {
                    T* dst = grad + i;
#pragma omp simd
                    for (index_t j = 0; j < len; ++j) dst[j] = coef * dloss[j];
                }
                i += len;
            }
            if (flagged != 0.0) {
#pragma omp atomic
                flagged_total += flagged;  // a count: exact in any order
            }
            return acc;
        });
    store_total(out, sum, denominator);
    return flagged_total;
}

FASTLOSS_END_ISA_NAMESPACE
