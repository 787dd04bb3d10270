// Triplet loss over a labelled batch, l = max(0, d(a, p) - d(a, n) + margin), with mining:
//   All       every valid triplet (a, p, n): mean over those with positive loss, or over all
//   Hard      per anchor the farthest positive and the closest negative (Hermans et al. 2017);
//             mean over the anchors that have both
//   SemiHard  per positive pair the closest negative with d(a, p) < d(a, n) < d(a, p) + margin
//             (Schroff et al. 2015), else the closest negative; mean over the positive pairs
//             whose anchor has a negative
// Classes are int32 ids; a batch without a valid triplet gives 0 and a zero gradient.
// Distances come from the Gram matrix (pair_matrix.hpp); batch-hard recomputes its two chosen
// distances per anchor exactly, in double, and writes its sparse gradient directly.
#pragma once

#include <algorithm>

#include "fastloss/metric/pair_matrix.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// The member of class c other than `skip` with the largest key (first on ties), or -1. A NaN
/// key wins, as in NumPy's and PyTorch's argmax, so that a NaN embedding reaches the loss.
template <class T>
FASTLOSS_NOINLINE index_t argmax_in_class(const T* key, const std::int32_t* cls, index_t b,
                                          std::int32_t c, index_t skip) {
    const T lowest = -std::numeric_limits<T>::infinity();
    T best = lowest;
    int nan = 0;
#pragma omp simd reduction(max : best) reduction(| : nan)
    for (index_t j = 0; j < b; ++j) {
        const T v = (cls[j] == c) & (j != skip) ? key[j] : lowest;
        best = v > best ? v : best;
        nan |= v != v;
    }
    index_t first = -1;
    for (index_t j = 0; j < b; ++j) {
        if (cls[j] != c || j == skip) continue;
        if (nan ? key[j] != key[j] : key[j] == best) return j;
        if (first < 0) first = j;
    }
    return first;  // keys that are all -inf: the first member
}

/// The non-member of class c with the smallest key (first on ties), or -1. A NaN key wins, as
/// in NumPy's and PyTorch's argmin.
template <class T>
FASTLOSS_NOINLINE index_t argmin_outside_class(const T* key, const std::int32_t* cls, index_t b,
                                               std::int32_t c) {
    const T highest = std::numeric_limits<T>::infinity();
    T best = highest;
    int nan = 0;
#pragma omp simd reduction(min : best) reduction(| : nan)
    for (index_t j = 0; j < b; ++j) {
        const T v = cls[j] != c ? key[j] : highest;
        best = v < best ? v : best;
        nan |= v != v;
    }
    for (index_t j = 0; j < b; ++j)
        if (cls[j] != c && (nan ? key[j] != key[j] : key[j] == best)) return j;
    return -1;
}

struct HardPick {
    index_t p = -1, n = -1;
    double loss = 0.0;
    double psi_ap = 0.0, psi_an = 0.0;  // pair_psi of the two distances
};

/// Adds c (d d(a, p) - d d(a, n)) to the gradient, for columns [k0, k1) of every row involved.
template <class T>
void add_hard_triplet_grad(PairDistance kind, const T* x, index_t d, index_t a,
                           const HardPick& h, double c, index_t k0, index_t k1, T* g) {
    const T* xa = x + a * d;
    const T* xp = x + h.p * d;
    const T* xn = x + h.n * d;
    T* ga = g + a * d;
    T* gp = g + h.p * d;
    T* gn = g + h.n * d;
    if (kind == PairDistance::Cosine) {  // d d(u, v) / d u = -v for unit rows
        for (index_t k = k0; k < k1; ++k) {
            ga[k] = static_cast<T>(ga[k] + c * (static_cast<double>(xn[k]) - xp[k]));
            gp[k] = static_cast<T>(gp[k] - c * xa[k]);
            gn[k] = static_cast<T>(gn[k] + c * xa[k]);
        }
        return;
    }
    const double cp = c * h.psi_ap, cn = c * h.psi_an;
    for (index_t k = k0; k < k1; ++k) {
        const double ap = static_cast<double>(xa[k]) - xp[k];
        const double an = static_cast<double>(xa[k]) - xn[k];
        ga[k] = static_cast<T>(ga[k] + cp * ap - cn * an);
        gp[k] = static_cast<T>(gp[k] - cp * ap);
        gn[k] = static_cast<T>(gn[k] + cn * an);
    }
}

template <class T>
double batch_hard_triplet(const T* x, const std::int32_t* cls, index_t b, index_t d,
                          const T* gram, const BatchTripletParams& prm, double grad_scale,
                          T* grad, int num_threads) {
    const PairDistance kind = prm.distance;
    const bool cosine = kind == PairDistance::Cosine;
    const auto sn = norms_for(kind, x, b, d, num_threads);
    // key_j = |x_j|^2 - 2 G_aj (or -G_aj for cosine) orders row a as d(a, j) does.
    auto sn_t = uninit<T>(b);
    for (index_t j = 0; j < b; ++j) sn_t[j] = cosine ? T(0) : static_cast<T>(sn[j]);
    const T two = cosine ? T(1) : T(2);
    auto picks = std::unique_ptr<HardPick[]>(new HardPick[static_cast<std::size_t>(b)]);
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
    CancelToken* const cancel = current_cancel_token();
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
        auto key = uninit<T>(b);
#pragma omp for schedule(static)
        for (index_t a = 0; a < b; ++a) {
            if (stop_requested(cancel)) continue;
            const T* g = gram + a * b;
#pragma omp simd
            for (index_t j = 0; j < b; ++j) key[j] = sn_t[j] - two * g[j];
            HardPick h;
            h.p = argmax_in_class(key.get(), cls, b, cls[a], a);
            h.n = argmin_outside_class(key.get(), cls, b, cls[a]);
            if (h.p >= 0 && h.n >= 0) {
                const double d_ap = row_distance(kind, x + a * d, x + h.p * d, d);
                const double d_an = row_distance(kind, x + a * d, x + h.n * d, d);
                const double v = d_ap - d_an + prm.margin;
                h.loss = v > 0.0 ? v : (v <= 0.0 ? 0.0 : v);  // NaN propagates
                h.psi_ap = pair_psi(kind, d_ap);
                h.psi_an = pair_psi(kind, d_an);
            }
            picks[a] = h;
        }
    }
    if (stop_requested(cancel)) return 0.0;  // picks incomplete: the caller discards it all
    double sum = 0.0;
    index_t anchors = 0;
    for (index_t a = 0; a < b; ++a) {
        if (picks[a].n < 0 || picks[a].p < 0) continue;
        sum += picks[a].loss;
        ++anchors;
    }
    if (!grad) return anchors ? sum / static_cast<double>(anchors) : 0.0;
    const double c = anchors ? grad_scale / static_cast<double>(anchors) : 0.0;
    // Columns split among threads, anchors in order: no races, the same sums for any count.
    const index_t col_block = 16;
    const index_t col_blocks = (d + col_block - 1) / col_block;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
    for (index_t cb = 0; cb < col_blocks; ++cb) {
        const index_t k0 = cb * col_block, k1 = imin(d, k0 + col_block);
        for (index_t i = 0; i < b; ++i)
            for (index_t k = k0; k < k1; ++k) grad[i * d + k] = T(0);
        for (index_t a = 0; a < b; ++a) {
            const HardPick& h = picks[a];
            if (h.p < 0 || h.n < 0 || !(h.loss > 0.0)) continue;
            add_hard_triplet_grad(kind, x, d, a, h, c, k0, k1, grad);
        }
    }
    return anchors ? sum / static_cast<double>(anchors) : 0.0;
}

/// Per-row totals of the mined triplets: the loss sum, the triplets with positive loss, and
/// the triplets (All) or positive pairs (SemiHard) counted by "mean over all".
struct TripletRowTotals {
    double sum = 0.0, nonzero = 0.0, valid = 0.0;
};

/// Mining All, anchor a: adds over p and n; w_j receives d (sum of row losses) / d d(a, j).
template <class T>
FASTLOSS_NOINLINE TripletRowTotals all_triplets_row(const T* dist, const T* neg, const index_t* pos,
                                                    index_t n_pos, index_t n_neg, index_t b,
                                                    T margin, T* w, bool want_w) {
    TripletRowTotals t;
    constexpr index_t chunk = 256;  // float partials over at most chunk / lanes terms
    for (index_t q = 0; q < n_pos; ++q) {
        const index_t p = pos[q];
        const T thr = dist[p] + margin;
        double row_sum = 0.0, row_cnt = 0.0;
        for (index_t j0 = 0; j0 < b; j0 += chunk) {
            const index_t j1 = imin(b, j0 + chunk);
            T s = T(0), cnt = T(0);
            if (want_w) {
#pragma omp simd reduction(+ : s, cnt)
                for (index_t j = j0; j < j1; ++j) {
                    const T v = thr - dist[j];
                    const T act = v > T(0) ? neg[j] : T(0);
                    s += act * v;
                    cnt += act;
                    w[j] -= act;
                }
            } else {
#pragma omp simd reduction(+ : s, cnt)
                for (index_t j = j0; j < j1; ++j) {
                    const T v = thr - dist[j];
                    const T act = v > T(0) ? neg[j] : T(0);
                    s += act * v;
                    cnt += act;
                }
            }
            // 0 * NaN = NaN: a NaN distance poisons the sum even where act is 0.
            row_sum += static_cast<double>(s);
            row_cnt += static_cast<double>(cnt);
        }
        if (want_w) w[p] += static_cast<T>(row_cnt);
        t.sum += row_sum;
        t.nonzero += row_cnt;
    }
    t.valid = static_cast<double>(n_pos) * static_cast<double>(n_neg);
    return t;
}

/// Number of the n sorted values t below v (strictly, or with `or_equal` at most v). Written
/// here rather than std::lower_bound on float*, which the linker would share between the
/// per-ISA builds (common/parallel.hpp).
template <class T>
index_t count_sorted_below(const T* t, index_t n, T v, bool or_equal) {
    index_t lo = 0, hi = n;
    while (lo < hi) {
        const index_t mid = lo + (hi - lo) / 2;
        const bool below = or_equal ? !(v < t[mid]) : t[mid] < v;
        if (below)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/// Mining SemiHard, anchor a (see the file comment); w as in all_triplets_row. One pass over
/// the negatives: the positives' distances sorted as thresholds cut the negatives into
/// buckets (bucket k: exactly k thresholds below), whose ranges increase with k, so the
/// closest negative beyond a threshold is the best of the first non-empty bucket above it.
template <class T>
TripletRowTotals semihard_row(const T* dist, const std::int32_t* cls, std::int32_t ca,
                              const index_t* pos, index_t n_pos, index_t n_neg, index_t b,
                              double margin, T* w, bool want_w) {
    TripletRowTotals t;
    if (n_neg == 0 || n_pos == 0) return t;
    auto order = uninit<index_t>(n_pos);
    for (index_t q = 0; q < n_pos; ++q) order[q] = pos[q];
    std::sort(order.get(), order.get() + n_pos,
              [dist](index_t x, index_t y) { return dist[x] < dist[y]; });
    auto thr = uninit<T>(n_pos);
    for (index_t q = 0; q < n_pos; ++q) thr[q] = dist[order[q]];
    auto first = uninit<index_t>(n_pos + 2);  // per bucket: its closest negative, then the
    for (index_t k = 0; k <= n_pos + 1; ++k) first[k] = -1;  // first one at or above it
    for (index_t j = 0; j < b; ++j) {  // increasing j: ties keep the lowest index
        if (cls[j] == ca) continue;
        const index_t k = count_sorted_below(thr.get(), n_pos, dist[j], false);
        if (first[k] < 0 || dist[j] < dist[first[k]]) first[k] = j;
    }
    for (index_t k = n_pos - 1; k >= 0; --k)
        if (first[k] < 0) first[k] = first[k + 1];
    index_t hardest = first[0];
    for (index_t j = 0; j < b; ++j)  // a NaN distance is the closest, as in NumPy's argmin
        if (cls[j] != ca && dist[j] != dist[j]) {
            hardest = j;
            break;
        }
    for (index_t q = 0; q < n_pos; ++q) {
        const index_t p = order[q];
        const double d_ap = dist[p];
        // negatives farther than d(a, p): buckets above every threshold <= d(a, p)
        index_t n = first[count_sorted_below(thr.get(), n_pos, dist[p], true)];
        if (n < 0 || !(static_cast<double>(dist[n]) < d_ap + margin)) n = hardest;
        if (n < 0) n = p;  // NaN distances: propagate through d(a, p) - d(a, p) + margin
        const double v = d_ap - static_cast<double>(dist[n]) + margin;
        const double l = v > 0.0 ? v : (v <= 0.0 ? 0.0 : v);
        t.sum += l;
        t.valid += 1.0;
        if (!(v > 0.0)) continue;
        t.nonzero += 1.0;
        if (want_w) {
            w[p] += T(1);
            w[n] -= T(1);
        }
    }
    return t;
}

}  // namespace detail

/**
 * Batch triplet loss of b embeddings x (b x d; for cosine, unit-normalised rows) with class ids
 * cls, gram = x x^T (b x b). Returns the loss. With want_grad:
 *  - Hard: the gradient (times grad_scale) with respect to x goes into grad (b x d);
 *  - All / SemiHard: gram is overwritten with the pair coefficients M and alpha (b values)
 *    filled for finish_pair_gradient (alpha all 0 for cosine).
 */
template <class T>
double batch_triplet_loss(const T* x, const std::int32_t* cls, index_t b, index_t d, T* gram,
                          const BatchTripletParams& prm, bool want_grad, double grad_scale,
                          T* grad, double* alpha, int num_threads) {
    if (prm.mining == TripletMining::Hard)
        return detail::batch_hard_triplet(x, cls, b, d, gram, prm, grad_scale,
                                          want_grad ? grad : nullptr, num_threads);
    const PairDistance kind = prm.distance;
    const auto sn = detail::norms_for(kind, x, b, d, num_threads);
    auto totals = std::unique_ptr<detail::TripletRowTotals[]>(
        new detail::TripletRowTotals[static_cast<std::size_t>(b)]);
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
    CancelToken* const cancel = current_cancel_token();
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
        auto dist = detail::uninit<T>(b);
        auto neg = detail::uninit<T>(b);
        auto w = detail::uninit<T>(b);
        auto pos = detail::uninit<index_t>(b);
#pragma omp for schedule(dynamic, 16)
        for (index_t a = 0; a < b; ++a) {
            if (stop_requested(cancel)) continue;
            T* row = gram + a * b;
            detail::row_distances(kind, row, a, b, sn.get(), dist.get());
            index_t n_pos = 0, n_neg = 0;
            for (index_t j = 0; j < b; ++j) {
                const bool same = cls[j] == cls[a];
                neg[j] = same ? T(0) : T(1);
                w[j] = T(0);
                n_neg += !same;
                if (same && j != a) pos[n_pos++] = j;
            }
            totals[a] = prm.mining == TripletMining::All
                            ? detail::all_triplets_row(dist.get(), neg.get(), pos.get(), n_pos,
                                                       n_neg, b, static_cast<T>(prm.margin),
                                                       w.get(), want_grad)
                            : detail::semihard_row(dist.get(), cls, cls[a], pos.get(), n_pos,
                                                   n_neg, b, prm.margin, w.get(), want_grad);
            if (want_grad) detail::store_pair_coefficients(kind, dist.get(), w.get(), b, row);
        }
    }
    if (stop_requested(cancel)) return 0.0;  // totals incomplete: the caller discards it all
    double sum = 0.0, nonzero = 0.0, valid = 0.0;
    for (index_t a = 0; a < b; ++a) {
        sum += totals[a].sum;
        nonzero += totals[a].nonzero;
        valid += totals[a].valid;
    }
    const double den = prm.mining == TripletMining::All && prm.average_nonzero ? nonzero : valid;
    const double value = den > 0.0 ? sum / den : 0.0;
    if (!want_grad) return value;
    const double s = den > 0.0 ? grad_scale / den : 0.0;
    detail::finish_pair_coefficients(kind, gram, cls, b, true, s, s, alpha, num_threads);
    return value;
}

FASTLOSS_END_ISA_NAMESPACE
