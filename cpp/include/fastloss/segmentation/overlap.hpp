// Overlap losses over (N, C, S) volumes: Dice, Jaccard, Tversky, Focal Tversky and the
// generalized Dice, from logits (softmax or sigmoid) or probabilities, with integer labels or
// dense (one-hot / soft) targets.
//
// Two passes, no temporaries of the volume's size:
//   1. activation and the per-class sums (TP, Sp, St) of every (sample, block of positions),
//      each block into its own slot, then added in block order (bitwise identical for any
//      thread count). When a gradient is wanted the probabilities are written into its memory
//      (a write that pass 2 would make anyway), so the exp runs once per element;
//   2. (gradient only) the losses' derivatives with respect to the sums give, per unit and
//      class, d loss / d p = a t + b (or + 2 b p when squared), and the gradient overwrites the
//      probabilities in place, through the softmax or sigmoid.
#pragma once

#include <memory>
#include <type_traits>

#include "fastloss/common/elementwise.hpp"
#include "fastloss/segmentation/overlap_index.hpp"
#include "fastloss/segmentation/overlap_tiles.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// Positions per tile: the C x L softmax numerators stay in L1.
inline index_t overlap_tile_len(index_t c) {
    const index_t L = imin(512, imax(64, 4096 / c));
    return L / 16 * 16;
}

/// One thread's tile buffers.
template <class T>
struct OverlapScratch {
    std::unique_ptr<T[]> mem;
    T *e, *inv, *yf, *vf;  // e: c + 1 rows of L (the last: softmax sums)

    OverlapScratch(index_t c, index_t L) : mem(new T[static_cast<std::size_t>((c + 4) * L)]) {
        e = mem.get();
        inv = e + (c + 1) * L;
        yf = inv + L;
        vf = yf + L;
    }
};

/// The problem as the tile loops see it.
template <class T>
struct OverlapVolume {
    const T* x;           // (n, c, s) input
    const index_t* y;     // (n, s) labels, or null
    const T* t;           // (n, c, s) dense targets, or null
    index_t n, c, s, L;
    const OverlapParams& prm;
    index_t shift;     // labels: class j is label j + shift (shift 1: binary labels, c = 1)
    index_t n_values;  // labels: valid values are [0, n_values)

    index_t at(index_t i, index_t j, index_t s0) const { return (i * c + j) * s + s0; }
};

/// The labels of a tile into the scratch buffers; returns how many are invalid.
template <bool Labels, bool HasIgnore, class T>
index_t load_labels(const OverlapVolume<T>& v, index_t i, index_t s0, index_t len,
                    OverlapScratch<T>& w) {
    if constexpr (Labels)
        return label_tile<HasIgnore>(v.y + i * v.s + s0, len, v.prm.ignore_index, v.n_values,
                                     w.yf, w.vf);
    else
        return 0;
}

/// Writes the probabilities of a class left out of the sums (the softmax needs them later).
template <Activation Act, class T>
FASTLOSS_NOINLINE void store_probabilities(const T* __restrict a, const T* __restrict inv,
                                           index_t len, T* __restrict out) {
#pragma omp simd
    for (index_t r = 0; r < len; ++r) out[r] = probability<Act>(a, inv, r);
}

/// What pass 1 rejects: labels outside the classes, given probabilities outside [0, 1].
struct BlockFlags {
    index_t bad_labels = 0, bad_probabilities = 0;

    BlockFlags& operator+=(const BlockFlags& o) {
        bad_labels += o.bad_labels;
        bad_probabilities += o.bad_probabilities;
        return *this;
    }
};

/**
 * Pass 1 over positions [s0, s1) of sample i: adds the sums into `sums` (c x 3) and, if
 * Store, writes the probabilities into `grad`.
 */
template <Activation Act, bool Labels, bool HasIgnore, bool Squared, bool Store, class T>
BlockFlags block_sums(const OverlapVolume<T>& v, index_t i, index_t s0, index_t s1,
                      OverlapScratch<T>& w, double* sums, T* grad) {
    BlockFlags bad;
    for (index_t at = s0; at < s1; at += v.L) {
        const index_t len = imin(v.L, s1 - at);
        bad.bad_labels += load_labels<Labels, HasIgnore>(v, i, at, len, w);
        if constexpr (Act == Activation::Softmax)
            softmax_numerators(v.x + v.at(i, 0, at), v.s, v.c, len, v.L, w.e, w.inv);
        for (index_t j = 0; j < v.c; ++j) {
            const T* a = Act == Activation::Softmax ? w.e + j * v.L : v.x + v.at(i, j, at);
            T* out = Store ? grad + v.at(i, j, at) : nullptr;
            if (j < v.prm.first_class) {
                if constexpr (Store) store_probabilities<Act>(a, w.inv, len, out);
                continue;
            }
            bad.bad_probabilities += class_sums<Act, Labels, HasIgnore, Squared, Store>(
                a, w.inv, Labels ? nullptr : v.t + v.at(i, j, at), w.yf, w.vf,
                static_cast<T>(j + v.shift), len, sums + 3 * j, out);
        }
    }
    return bad;
}

/**
 * Pass 2 over positions [s0, s1) of sample i; a, b: the unit's (c,) factors. With an
 * activation, grad holds the probabilities from pass 1 and is overwritten in place.
 */
template <Activation Act, bool Labels, bool HasIgnore, bool Squared, class T>
void block_grad(const OverlapVolume<T>& v, index_t i, index_t s0, index_t s1,
                OverlapScratch<T>& w, const T* a, const T* b, T* grad) {
    for (index_t at = s0; at < s1; at += v.L) {
        const index_t len = imin(v.L, s1 - at);
        load_labels<Labels, HasIgnore>(v, i, at, len, w);
        T* out = grad + v.at(i, 0, at);
        const T* t = Labels ? nullptr : v.t + v.at(i, 0, at);
        if constexpr (Act == Activation::Softmax) {
            softmax_grad_tile<Labels, HasIgnore, Squared>(out, t, w.yf, w.vf, v.shift, a, b, v.c,
                                                          len, w.inv, v.s);
        } else {
            for (index_t j = 0; j < v.c; ++j) {
                const T want = static_cast<T>(j + v.shift);
                const T* tj = Labels ? nullptr : t + j * v.s;
                if constexpr (Act == Activation::Sigmoid)
                    sigmoid_grad_row<Labels, HasIgnore, Squared>(out + j * v.s, tj, w.yf, w.vf,
                                                                 want, a[j], b[j], len);
                else
                    identity_grad_row<Labels, HasIgnore, Squared>(v.x + v.at(i, j, at), tj,
                                                                  w.yf, w.vf, want, a[j], b[j],
                                                                  len, out + j * v.s);
            }
        }
    }
}

/// Calls fn(activation, labels, has_ignore, squared) with each as a compile-time constant.
template <class T, class F>
void with_overlap_flags(const OverlapVolume<T>& v, F&& fn) {
    const bool labels = v.y != nullptr;
    with_flags(labels, labels && v.prm.has_ignore, [&](auto lab, auto ign) {
        with_flag(v.prm.squared, [&](auto sq) {
            using A = std::integral_constant<Activation, Activation::Softmax>;
            using S = std::integral_constant<Activation, Activation::Sigmoid>;
            using N = std::integral_constant<Activation, Activation::None>;
            switch (v.prm.activation) {
                case Activation::Softmax:
                    return fn(A{}, lab, ign, sq);
                case Activation::Sigmoid:
                    return fn(S{}, lab, ign, sq);
                case Activation::None:
                    return fn(N{}, lab, ign, sq);
            }
        });
    });
}

/// Runs fn(scratch, sample, s0, s1, block) over every block, in parallel; returns the sum of
/// the BlockFlags fn returns (counts, so any order gives the same result).
template <class T, class F>
BlockFlags for_each_block(const OverlapVolume<T>& v, index_t per_block, int num_threads, F&& fn) {
    const index_t per_sample = (v.s + per_block - 1) / per_block;
    const index_t n_blocks = v.n * per_sample;
    const bool parallel = num_threads > 1 && n_blocks > 1 && v.n * v.c * v.s >= kParallelThreshold;
    (void)parallel;
    BlockFlags total;
    JoinTimer join(parallel);
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
        OverlapScratch<T> w(v.c, v.L);
        BlockFlags mine;
#pragma omp for schedule(static) nowait
        for (index_t blk = 0; blk < n_blocks; ++blk) {
            const index_t i = blk / per_sample, s0 = (blk % per_sample) * per_block;
            mine += fn(w, i, s0, imin(v.s, s0 + per_block), blk);
        }
        join.done_with_own_share();
#pragma omp critical(fastloss_overlap_flags)
        total += mine;
    }
    join.joined();
    return total;
}

}  // namespace detail

/**
 * Overlap loss of `input` (n, c, s) against labels (n, s) or dense targets (n, c, s) (exactly
 * one is non-null); class_weight (c,) or null (not for the generalized Dice).
 *
 * Loss items: per unit (a sample, or the batch when prm.batch) and class c in [first_class, c),
 * unit-major, the class loss w_c f(I); for the generalized Dice one item per unit. Mean divides
 * by the number of counted items (EmptyClass::Ignore leaves some out). Labels: class j is the
 * label j (for c = 1, binary labels: the label 1). Returns Status::LabelOutOfRange if a
 * non-ignored label is outside [0, max(c, 2)), else Status::InputOutOfRange if a given
 * probability (Activation::None) of a class the loss reads is outside [0, 1]; the outputs are
 * then meaningless.
 */
template <class T>
Status overlap_loss(const T* input, const index_t* labels, const T* targets, index_t n, index_t c,
                    index_t s, const T* class_weight, const OverlapParams& prm, LossOutput<T>& out,
                    int num_threads) {
    using namespace detail;
    const detail::OverlapVolume<T> v{input, labels, targets, n, c, s, overlap_tile_len(c), prm,
                                     c == 1 ? 1 : 0, c == 1 ? 2 : c};
    const index_t per_block = imax(v.L, kElementBlock / c / v.L * v.L);
    const index_t per_sample = (s + per_block - 1) / per_block;

    // Pass 1: per-block sums, then added in block order into per-unit sums.
    const index_t cells = 3 * c;
    std::unique_ptr<double[]> partial(new double[static_cast<std::size_t>(n * per_sample * cells)]());
    BlockFlags bad;
    with_overlap_flags(v, [&](auto act, auto lab, auto ign, auto sq) {
        constexpr Activation kAct = decltype(act)::value;
        constexpr bool kLabels = decltype(lab)::value, kIgnore = decltype(ign)::value,
                       kSquared = decltype(sq)::value;
        // With a gradient to come, the probabilities go into its memory for pass 2.
        with_flag(out.grad != nullptr && kAct != Activation::None, [&](auto store) {
            constexpr bool kStore = decltype(store)::value;
            bad = for_each_block(v, per_block, num_threads,
                                 [&](OverlapScratch<T>& w, index_t i, index_t s0, index_t s1,
                                     index_t blk) {
                                     return block_sums<kAct, kLabels, kIgnore, kSquared, kStore>(
                                         v, i, s0, s1, w, partial.get() + blk * cells, out.grad);
                                 });
        });
    });
    if (bad.bad_labels) return Status::LabelOutOfRange;
    if (bad.bad_probabilities) return Status::InputOutOfRange;
    const index_t units = prm.batch ? 1 : n;
    std::unique_ptr<double[]> sums(new double[static_cast<std::size_t>(units * cells)]());
    for (index_t blk = 0; blk < n * per_sample; ++blk) {
        double* dst = sums.get() + (prm.batch ? 0 : blk / per_sample) * cells;
        const double* src = partial.get() + blk * cells;
        for (index_t k = 0; k < cells; ++k) dst[k] += src[k];
    }

    // The loss items and d item / d (TP, Sp) per unit and class.
    const bool generalized = prm.kind == OverlapKind::GeneralizedDice;
    const index_t c0 = prm.first_class, per_unit = generalized ? 1 : c - c0;
    const index_t items = units * per_unit;
    std::unique_ptr<double[]> loss(new double[static_cast<std::size_t>(items)]);
    std::unique_ptr<bool[]> counted(new bool[static_cast<std::size_t>(items)]);
    std::unique_ptr<double[]> d(new double[static_cast<std::size_t>(units * 2 * c)]());
    std::unique_ptr<double[]> scratch(new double[static_cast<std::size_t>(c)]);
    const IndexCoefficients q = index_coefficients(prm);
    for (index_t u = 0; u < units; ++u) {
        const double* su = sums.get() + u * cells;
        double* du = d.get() + u * 2 * c;
        if (generalized) {
            const OverlapItem it = generalized_item(su, c0, c, prm, scratch.get(), du);
            loss[u] = it.loss;
            counted[u] = true;
            continue;
        }
        for (index_t j = c0; j < c; ++j) {
            const double wj = class_weight ? static_cast<double>(class_weight[j]) : 1.0;
            const OverlapItem it = class_item(su + 3 * j, prm, q, wj, du + 2 * j);
            loss[u * per_unit + j - c0] = it.loss;
            counted[u * per_unit + j - c0] = it.counted;
        }
    }
    double total = 0.0, count = 0.0;
    for (index_t k = 0; k < items; ++k) {
        total += loss[k];
        count += counted[k] ? 1.0 : 0.0;
    }
    if (out.reduction == Reduction::None)
        for (index_t k = 0; k < items; ++k) out.per_item[k] = static_cast<T>(loss[k]);
    store_total(out, total, count);
    if (!out.grad) return Status::Ok;

    // Pass 2: the gradient, with each item's grad_output folded into its factors.
    const GradCoef<T> gc(out, count);
    std::unique_ptr<T[]> ab(new T[static_cast<std::size_t>(units * 2 * c)]);
    for (index_t u = 0; u < units; ++u)
        for (index_t j = 0; j < c; ++j) {
            const index_t item = generalized ? u : u * per_unit + j - c0;
            const double g = j < c0 ? 0.0 : gc.at(item);
            ab[u * 2 * c + j] = static_cast<T>(g * d[u * 2 * c + 2 * j]);
            ab[u * 2 * c + c + j] = static_cast<T>(g * d[u * 2 * c + 2 * j + 1]);
        }
    with_overlap_flags(v, [&](auto act, auto lab, auto ign, auto sq) {
        constexpr Activation kAct = decltype(act)::value;
        constexpr bool kLabels = decltype(lab)::value, kIgnore = decltype(ign)::value,
                       kSquared = decltype(sq)::value;
        for_each_block(v, per_block, num_threads,
                       [&](OverlapScratch<T>& w, index_t i, index_t s0, index_t s1, index_t) {
                           const T* f = ab.get() + (prm.batch ? 0 : i) * 2 * c;
                           block_grad<kAct, kLabels, kIgnore, kSquared>(v, i, s0, s1, w, f, f + c,
                                                                        out.grad);
                           return BlockFlags{};
                       });
    });
    return Status::Ok;
}

FASTLOSS_END_ISA_NAMESPACE
