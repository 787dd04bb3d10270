// Parallel loops and deterministic reductions.
//
// Everything here is compiled once per instruction set (common/isa.hpp). Kernel code therefore
// avoids inline std:: templates with loops (std::fill, std::vector, ...): the linker keeps one
// copy of those for the whole library, which could be the AVX2-compiled one.
//
// Work is cut into blocks whose size depends only on the problem, never on the thread count.
// Each block produces one double partial; the partials are added serially in block order.
// The reduced value is therefore bitwise identical for any number of threads.
#pragma once

#include <memory>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "fastloss/common/cancel.hpp"
#include "fastloss/common/contention.hpp"
#include "fastloss/common/isa.hpp"
#include "fastloss/common/types.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

inline index_t imin(index_t a, index_t b) {
    return a < b ? a : b;
}
inline index_t imax(index_t a, index_t b) {
    return a > b ? a : b;
}

// Elements per block of an element-wise kernel: 64 KiB of float32, a few L1/L2-sized pieces.
constexpr index_t kElementBlock = 16384;
// Below this many elements of work a fork/join (microseconds) costs more than it saves.
constexpr index_t kParallelThreshold = 32768;

/// Rows per block for a row-wise kernel over rows of `row_len` elements (~kElementBlock each).
inline index_t rows_per_block(index_t row_len) {
    return imax(1, kElementBlock / imax(1, row_len));
}

/**
 * Times how long the calling thread of a parallel region waits at its join for the other
 * threads (common/contention.hpp): the region calls done_with_own_share() in every thread once
 * its share of a `nowait` loop is done, then joined() after the region.
 */
class JoinTimer {
public:
    explicit JoinTimer(bool parallel)
        : parallel_(parallel), start_ns_(parallel ? steady_now_ns() : 0) {}

    void done_with_own_share() {
#ifdef _OPENMP
        if (parallel_ && omp_get_thread_num() == 0) own_done_ns_ = steady_now_ns();
#endif
    }
    void joined() const {
        if (!parallel_ || own_done_ns_ < 0) return;
        const std::int64_t end = steady_now_ns();
        note_join_wait(end - own_done_ns_, end - start_ns_);
    }

private:
    bool parallel_;
    std::int64_t start_ns_;
    std::int64_t own_done_ns_ = -1;
};

/**
 * Runs fn(begin, end) -> double over [0, n) in blocks of `block` items, on up to `num_threads`
 * threads, and returns the partials summed in block order. `work` is the total number of
 * elements touched (for the serial threshold).
 */
template <class F>
double ordered_block_sum(index_t n, index_t block, index_t work, int num_threads, F&& fn) {
    if (n <= 0) return 0.0;
    const index_t n_blocks = (n + block - 1) / block;
    if (n_blocks == 1) return fn(index_t{0}, n);
    std::unique_ptr<double[]> partial(new double[static_cast<std::size_t>(n_blocks)]);
    const bool parallel = num_threads > 1 && work >= kParallelThreshold;
    JoinTimer join(parallel);
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
#pragma omp for schedule(static) nowait
        for (index_t b = 0; b < n_blocks; ++b) {
            const index_t begin = b * block;
            const index_t end = imin(n, begin + block);
            partial[b] = fn(begin, end);
        }
        join.done_with_own_share();
    }
    join.joined();
    double total = 0.0;
    for (index_t b = 0; b < n_blocks; ++b) total += partial[b];
    return total;
}

/// Stores the reduced value: Mean divides by `denominator` (0 when nothing counted: value 0).
template <class T>
inline void store_total(LossOutput<T>& out, double sum, double denominator) {
    if (out.reduction == Reduction::Sum) out.total = sum;
    if (out.reduction == Reduction::Mean) out.total = denominator > 0 ? sum / denominator : 0.0;
}

/// The factor a Mean/Sum gradient is scaled by (0 when the Mean denominator is 0).
template <class T>
inline double reduced_grad_factor(const LossOutput<T>& out, double denominator) {
    if (out.reduction == Reduction::Mean)
        return denominator > 0 ? out.grad_scale / denominator : 0.0;
    return out.grad_scale;
}

/**
 * The factor d loss_i is multiplied by in the gradient: grad_output_i for Reduction::None, the
 * (Mean-divided) scalar otherwise. A value type, so hot loops read it from registers.
 */
template <class T>
struct GradCoef {
    const T* per_item;
    double scale;
    double factor;
    bool none;

    GradCoef(const LossOutput<T>& out, double denominator)
        : per_item(out.grad_per_item),
          scale(out.grad_scale),
          factor(reduced_grad_factor(out, denominator)),
          none(out.reduction == Reduction::None) {}

    double at(index_t i) const {
        if (!none) return factor;
        return per_item ? scale * static_cast<double>(per_item[i]) : scale;
    }
};

FASTLOSS_END_ISA_NAMESPACE
