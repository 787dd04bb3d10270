// Contrastive loss (Hadsell, Chopra, LeCun 2006), y = 1 for a similar pair:
//   l = h(d - pos_margin) if similar, h(neg_margin - d) otherwise,
//   h(v) = 1/2 max(0, v)^2 (squared hinge, Hadsell's form with pos_margin = 0) or max(0, v),
// on explicit pairs (row-wise) and over every pair of a labelled batch (pair_matrix.hpp).
#pragma once

#include "fastloss/common/elementwise.hpp"
#include "fastloss/metric/pair_matrix.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

struct PairLoss {
    double loss = 0.0;
    double dloss = 0.0;  ///< d loss / d distance
};

inline PairLoss contrastive_pair(double dist, bool similar, const ContrastiveParams& prm) {
    const double v = similar ? dist - prm.pos_margin : prm.neg_margin - dist;
    const double sign = similar ? 1.0 : -1.0;
    PairLoss r;
    if (v > 0.0) {
        r.loss = prm.squared_hinge ? 0.5 * v * v : v;
        r.dloss = sign * (prm.squared_hinge ? v : 1.0);
    } else if (!(v <= 0.0)) {
        r.loss = v;  // NaN propagates
        r.dloss = v;
    }
    return r;
}

/// Pair sums of one row of a batch: similar (same) and dissimilar (diff) pairs.
struct ContrastiveTotals {
    double sum_same = 0.0, sum_diff = 0.0;
    double nonzero_same = 0.0, nonzero_diff = 0.0;
    double pairs_same = 0.0, pairs_diff = 0.0;

    void add(const ContrastiveTotals& o) {
        sum_same += o.sum_same;
        sum_diff += o.sum_diff;
        nonzero_same += o.nonzero_same;
        nonzero_diff += o.nonzero_diff;
        pairs_same += o.pairs_same;
        pairs_diff += o.pairs_diff;
    }
};

/// Pairs (i, j > i); w_j receives d loss / d d(i, j) when w is given.
template <class T>
ContrastiveTotals contrastive_row(const T* dist, const std::int32_t* cls, index_t i, index_t b,
                                  const ContrastiveParams& prm, T* w) {
    ContrastiveTotals t;
    for (index_t j = i + 1; j < b; ++j) {
        const bool same = cls[j] == cls[i];
        const PairLoss pl = contrastive_pair(static_cast<double>(dist[j]), same, prm);
        const double nz = pl.loss > 0.0 ? 1.0 : 0.0;
        if (same) {
            t.sum_same += pl.loss;
            t.nonzero_same += nz;
            t.pairs_same += 1.0;
        } else {
            t.sum_diff += pl.loss;
            t.nonzero_diff += nz;
            t.pairs_diff += 1.0;
        }
        if (w) w[j] = static_cast<T>(pl.dloss);
    }
    return t;
}

inline double safe_ratio(double a, double b) {
    return b > 0.0 ? a / b : 0.0;
}

}  // namespace detail

/**
 * Contrastive loss of `rows` explicit pairs (x1_i, x2_i) of d values with y_i != 0 for similar;
 * out.grad receives d / d x1, grad_x2 = -out.grad. Distances and gradients in double; where
 * d = 0 the gradient of the Euclidean distance is taken as 0.
 */
template <class T>
void contrastive_loss(const T* x1, const T* x2, const T* y, index_t rows, index_t d,
                      const ContrastiveParams& prm, LossOutput<T>& out, T* grad_x2,
                      int num_threads) {
    const GradCoef<T> gc(out, static_cast<double>(rows));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* g1 = out.grad;
    const bool want = g1 && grad_x2;
    const double sum = ordered_block_sum(
        rows, rows_per_block(d), rows * d, num_threads, [&](index_t b, index_t e) {
            double acc = 0.0;
            for (index_t i = b; i < e; ++i) {
                const T* u = x1 + i * d;
                const T* v = x2 + i * d;
                const double dist = detail::row_distance(prm.distance, u, v, d);
                const detail::PairLoss pl = detail::contrastive_pair(dist, y[i] != T(0), prm);
                acc += pl.loss;
                if (per_item) per_item[i] = static_cast<T>(pl.loss);
                if (!want) continue;
                const double c = gc.at(i) * pl.dloss * detail::pair_psi(prm.distance, dist);
                T* ga = g1 + i * d;
                T* gb = grad_x2 + i * d;
#pragma omp simd
                for (index_t k = 0; k < d; ++k) {
                    const double gk = c * (static_cast<double>(u[k]) - static_cast<double>(v[k]));
                    ga[k] = static_cast<T>(gk);
                    gb[k] = static_cast<T>(-gk);
                }
            }
            return acc;
        });
    store_total(out, sum, static_cast<double>(rows));
}

/**
 * Contrastive loss over every pair of a labelled batch (x: b x d, gram = x x^T), averaged as
 * prm.average says. With want_grad, gram is overwritten with the pair coefficients and alpha
 * filled for finish_pair_gradient.
 */
template <class T>
double batch_contrastive_loss(const T* x, const std::int32_t* cls, index_t b, index_t d,
                              T* gram, const ContrastiveParams& prm, bool want_grad,
                              double grad_scale, double* alpha, int num_threads) {
    const PairDistance kind = prm.distance;
    const auto sn = detail::norms_for(kind, x, b, d, num_threads);
    auto totals = std::unique_ptr<detail::ContrastiveTotals[]>(
        new detail::ContrastiveTotals[static_cast<std::size_t>(b)]);
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
    CancelToken* const cancel = current_cancel_token();
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
        auto dist = detail::uninit<T>(b);
        auto w = detail::uninit<T>(b);
#pragma omp for schedule(dynamic, 16)
        for (index_t i = 0; i < b; ++i) {
            if (stop_requested(cancel)) continue;
            T* row = gram + i * b;
            detail::row_distances(kind, row, i, b, sn.get(), dist.get());
            for (index_t j = 0; j <= i; ++j) w[j] = T(0);
            totals[i] = detail::contrastive_row(dist.get(), cls, i, b, prm,
                                                want_grad ? w.get() : nullptr);
            // Row i's upper part is read only here; the lower part is mirrored later.
            if (want_grad) detail::store_pair_coefficients(kind, dist.get(), w.get(), b, row);
        }
    }
    if (stop_requested(cancel)) return 0.0;  // totals incomplete: the caller discards it all
    detail::ContrastiveTotals t;
    for (index_t i = 0; i < b; ++i) t.add(totals[i]);
    double value = 0.0, s_same = 0.0, s_diff = 0.0;
    switch (prm.average) {
        case PairAverage::All: {
            const double n = t.pairs_same + t.pairs_diff;
            value = detail::safe_ratio(t.sum_same + t.sum_diff, n);
            s_same = s_diff = detail::safe_ratio(grad_scale, n);
            break;
        }
        case PairAverage::NonZero: {
            const double n = t.nonzero_same + t.nonzero_diff;
            value = detail::safe_ratio(t.sum_same + t.sum_diff, n);
            s_same = s_diff = detail::safe_ratio(grad_scale, n);
            break;
        }
        case PairAverage::NonZeroSplit:
            value = detail::safe_ratio(t.sum_same, t.nonzero_same) +
                    detail::safe_ratio(t.sum_diff, t.nonzero_diff);
            s_same = detail::safe_ratio(grad_scale, t.nonzero_same);
            s_diff = detail::safe_ratio(grad_scale, t.nonzero_diff);
            break;
    }
    if (!want_grad) return value;
    detail::finish_pair_coefficients(kind, gram, cls, b, false, s_same, s_diff, alpha, num_threads);
    return value;
}

FASTLOSS_END_ISA_NAMESPACE
