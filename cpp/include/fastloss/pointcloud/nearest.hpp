// Batched nearest-neighbour search between padded clouds: search structures over the target
// clouds (a KD-tree or a transposed copy for the brute force, chosen per cloud), then every
// query in parallel. Each query's answer depends on nothing but the data, so the results are
// the same for any thread count.
#pragma once

#include <cstdint>
#include <memory>

#include "fastloss/common/cancel.hpp"
#include "fastloss/pointcloud/brute_nn.hpp"
#include "fastloss/pointcloud/kdtree.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

// Queries per parallel task.
constexpr index_t kQueryBlock = 256;

/**
 * Whether a KD-tree beats the brute force for n_query queries into n_target points of d
 * coordinates (method Auto). Measured with `python -m bench.bench_pointcloud --crossover`
 * (one thread, Chamfer of one pair of P vs P uniform points): in 2-D and 3-D the two meet
 * between P = 2,000 and 4,000 (about 9e6 pairs; 7e6 to 8e6 on the AVX2 kernels); in 8-D
 * between 8,000 and 16,000 with AVX-512 (about 1.4e8 pairs) but near 4,500 on the AVX2
 * kernels (2e7 pairs), whose brute force is 1.4x slower; dimensions 4 to 7, not measured,
 * take the 8-D rule, which errs towards the brute force. In 16-D the brute force is 4-20x
 * faster at every P measured (up to 16,000: KD-tree pruning fails in high dimension). The
 * baseline kernels were not measured and take the AVX2 rule.
 */
inline bool use_kdtree(index_t n_query, index_t n_target, index_t d, SearchMethod method) {
    if (method != SearchMethod::Auto) return method == SearchMethod::KdTree;
    const double pairs = static_cast<double>(n_query) * static_cast<double>(n_target);
#if defined(__AVX512F__)
    constexpr double kPairs8D = 1.4e8;
#else
    constexpr double kPairs8D = 2e7;
#endif
    if (d <= 3) return pairs > 9e6;
    if (d <= 8) return pairs > kPairs8D;
    return false;
}

/// Search structures over B target clouds (n_pad points each, lengths or null), one per cloud.
template <class T>
struct TargetIndex {
    const T* pts;
    const index_t* lengths;
    index_t batch, stride, d;
    std::unique_ptr<std::uint8_t[]> tree_used;  // per cloud: 1 = KD-tree, 0 = brute force
    std::unique_ptr<KdTree<T>[]> trees;
    std::unique_ptr<T[]> tree_pts;
    std::unique_ptr<index_t[]> tree_ids;
    std::unique_ptr<T[]> transposed;
    index_t pad = 0;

    index_t len(index_t b) const { return lengths ? lengths[b] : stride; }
    const T* cloud(index_t b) const { return pts + b * stride * d; }
    const T* rows(index_t b) const { return transposed.get() + b * d * pad; }
};

/// Plans the structures (per cloud, which method, given its query count from query_lengths
/// or query_stride) and allocates them.
template <class T>
void plan_targets(TargetIndex<T>& ix, const index_t* query_lengths, index_t query_stride,
                  SearchMethod method) {
    const index_t nb = ix.batch;
    ix.tree_used.reset(new std::uint8_t[static_cast<std::size_t>(nb)]);
    bool any_tree = false, any_brute = false;
    for (index_t b = 0; b < nb; ++b) {
        const index_t nq = query_lengths ? query_lengths[b] : query_stride;
        ix.tree_used[b] = use_kdtree(nq, ix.len(b), ix.d, method) ? 1 : 0;
        any_tree = any_tree || ix.tree_used[b];
        any_brute = any_brute || !ix.tree_used[b];
    }
    if (any_tree) {
        ix.trees.reset(new KdTree<T>[static_cast<std::size_t>(nb)]);
        ix.tree_pts.reset(new T[static_cast<std::size_t>(nb * ix.stride * ix.d)]);
        ix.tree_ids.reset(new index_t[static_cast<std::size_t>(nb * ix.stride)]);
    }
    if (any_brute) {
        ix.pad = padded_targets(ix.stride);
        ix.transposed.reset(new T[static_cast<std::size_t>(nb * ix.d * ix.pad)]);
    }
}

/// Builds cloud b's structure (a KD-tree or the transposed rows).
template <class T>
void build_target(TargetIndex<T>& ix, index_t b) {
    if (ix.tree_used[b])
        ix.trees[b].build(ix.cloud(b), ix.len(b), ix.d, ix.tree_pts.get() + b * ix.stride * ix.d,
                          ix.tree_ids.get() + b * ix.stride);
    else
        transpose_targets(ix.cloud(b), ix.len(b), ix.d, ix.pad,
                          ix.transposed.get() + b * ix.d * ix.pad);
}

/// Builds the structures of one or two planned indexes, every cloud of both in one parallel
/// loop (a single pair of large clouds builds its two trees at once).
template <class T>
void build_targets(TargetIndex<T>& a, TargetIndex<T>* b, int num_threads) {
    const index_t nb = a.batch, tasks = b ? 2 * nb : nb;
    const bool parallel = num_threads > 1 && tasks > 1;
    (void)parallel;
#pragma omp parallel for schedule(dynamic) num_threads(num_threads) if (parallel)
    for (index_t t = 0; t < tasks; ++t) build_target(t < nb ? a : *b, t % nb);
}

/// Queries [q0, q1) of cloud b on its KD-tree (see query_block).
template <SearchMetric M, int FixedD, class T>
void tree_queries(const TargetIndex<T>& ix, index_t b, const T* queries, index_t q0, index_t q1,
                  index_t k, T* out_d, index_t* out_i, T* off, const KdTree<T>* order) {
    const index_t d = ix.d;
    // one search state for the block (its stack is kilobytes: not re-initialised per query)
    KdQuery<M, FixedD, true, T> single{ix.trees[b], nullptr, {}, off};
    KdQuery<M, FixedD, false, T> several{ix.trees[b], nullptr, {}, off};
    for (index_t r = q0; r < q1; ++r) {
        const index_t i = order ? order->ids[r] : r;
        const T* q = order ? order->pts + r * d : queries + i * d;
        const Candidates<T> result{out_d + i * k, out_i + i * k, k};
        if (k == 1)  // starting from the previous query's neighbour
            single.run(q, result, r > q0 ? single.best_pos : -1);
        else
            several.run(q, result);
    }
}

/**
 * Queries [q0, q1) of cloud b against its targets: k best per query into out_d, out_i. With
 * `order` (the query cloud's own KD-tree) the queries are taken in its leaf order, r -> the
 * point order->pts[r] answered into slot order->ids[r]: consecutive queries are then close,
 * so their searches share cached nodes, and (k = 1) each starts from its predecessor's
 * neighbour.
 */
template <SearchMetric M, class T>
void query_block(const TargetIndex<T>& ix, index_t b, const T* queries, index_t q0, index_t q1,
                 index_t k, T* out_d, index_t* out_i, T* off, const KdTree<T>* order) {
    const index_t d = ix.d, n = ix.len(b);
    if (n == 0) {
        for (index_t m = q0 * k; m < q1 * k; ++m) {
            out_d[m] = std::numeric_limits<T>::infinity();
            out_i[m] = -1;
        }
        return;
    }
    if (ix.tree_used[b]) {
        if (d == 3)
            tree_queries<M, 3>(ix, b, queries, q0, q1, k, out_d, out_i, off, order);
        else if (d == 2)
            tree_queries<M, 2>(ix, b, queries, q0, q1, k, out_d, out_i, off, order);
        else
            tree_queries<M, 0>(ix, b, queries, q0, q1, k, out_d, out_i, off, order);
    } else if (k == 1) {
        const T* q = queries + q0 * d;
        const index_t n_pad = padded_targets(n);
        if (d == 3)
            brute_nearest<M, 3>(q, q1 - q0, ix.rows(b), ix.pad, n_pad, d, out_d + q0, out_i + q0);
        else if (d == 2)
            brute_nearest<M, 2>(q, q1 - q0, ix.rows(b), ix.pad, n_pad, d, out_d + q0, out_i + q0);
        else
            brute_nearest<M, 0>(q, q1 - q0, ix.rows(b), ix.pad, n_pad, d, out_d + q0, out_i + q0);
    } else {
        brute_knn<M>(queries + q0 * d, q1 - q0, ix.rows(b), ix.pad, padded_targets(n), n, d, k,
                     out_d + q0 * k, out_i + q0 * k);
    }
}

/**
 * For each cloud b and each of its query points (queries: B clouds padded to q_stride points,
 * lengths or null), the k nearest targets under metric M: out_d, out_i of shape
 * (B, q_stride, k). Padded query rows get distance 0 and index -1; missing neighbours (k
 * above the target count) get +inf and -1. query_index: the query clouds' own structures,
 * whose KD-trees (where built) set the order in which their queries are taken.
 */
template <SearchMetric M, class T>
void search_all(const TargetIndex<T>& ix, const T* queries, const index_t* q_lengths,
                index_t q_stride, index_t k, T* out_d, index_t* out_i, int num_threads,
                const TargetIndex<T>* query_index = nullptr) {
    const index_t d = ix.d, per_cloud = (q_stride + kQueryBlock - 1) / kQueryBlock;
    const index_t tasks = ix.batch * per_cloud;
    const bool parallel = num_threads > 1 && tasks > 1;
    (void)parallel;
    CancelToken* const cancel = current_cancel_token();
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
        std::unique_ptr<T[]> off(new T[static_cast<std::size_t>((kKdMaxDepth + 1) * d)]);
#pragma omp for schedule(dynamic)
        for (index_t task = 0; task < tasks; ++task) {
            if (stop_requested(cancel)) continue;  // the caller checks before reading out_i
            const index_t b = task / per_cloud, q0 = (task % per_cloud) * kQueryBlock;
            const index_t len = q_lengths ? q_lengths[b] : q_stride;
            const index_t q1 = imin(len, q0 + kQueryBlock), end = imin(q_stride, q0 + kQueryBlock);
            T* od = out_d + b * q_stride * k;
            index_t* oi = out_i + b * q_stride * k;
            // the query cloud's tree, when it has one, gives a coherent query order
            const KdTree<T>* order = query_index && query_index->tree_used[b]
                                         ? &query_index->trees[b]
                                         : nullptr;
            if (q0 < q1)
                query_block<M>(ix, b, queries + b * q_stride * d, q0, q1, k, od, oi, off.get(),
                               order);
            for (index_t m = imax(q0, q1) * k; m < end * k; ++m) {
                od[m] = T(0);
                oi[m] = -1;
            }
        }
    }
}

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
