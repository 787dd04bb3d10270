// A KD-tree over one cloud, written for nearest-neighbour queries of point-cloud losses.
//
// - A zero-copy view: the tree holds a permutation of point indices (leaves are contiguous
//   runs of it) and reads the coordinates from the caller's array.
// - Median splits by count on the coordinate of widest spread: node `i` of a complete binary
//   tree in heap order covers a range of the permutation that follows from the count alone,
//   so the tree stores only a split dimension and value per node. Degenerate clouds (all points
//   equal, points on a line or a grid) still give a balanced tree of depth log2(n / leaf).
// - Queries descend to the nearer child first and visit the farther one only if the distance
//   to its cell (kept incrementally per coordinate, Arya & Mount) can beat the k-th best. Ties
//   go to the lower index, as in the brute force, so both methods agree exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "fastloss/pointcloud/neighbors_common.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

// Points per leaf: a leaf scan of this many points costs about what one more level costs.
constexpr index_t kLeafSize = 12;

/// Nodes a tree over n points needs (heap order, count-halving until a leaf).
inline index_t kdtree_nodes(index_t n) {
    index_t levels = 1, count = n;
    while (count > kLeafSize) {
        count -= count / 2;  // the larger half
        ++levels;
    }
    return (index_t{1} << levels) - 1;
}

template <class T>
struct KdTree {
    const T* pts;  // (n, d), the caller's points
    index_t n, d;
    index_t* perm;        // n point indices, leaf-contiguous
    std::int32_t* dim;    // per node: split coordinate, or -1 for a leaf
    T* split;             // per node: split value

    /// Builds over the given storage (perm: n, dim and split: kdtree_nodes(n) each).
    void build(const T* points, index_t count, index_t dims, index_t* perm_mem,
               std::int32_t* dim_mem, T* split_mem) {
        pts = points;
        n = count;
        d = dims;
        perm = perm_mem;
        dim = dim_mem;
        split = split_mem;
        for (index_t i = 0; i < n; ++i) perm[i] = i;
        if (n > 0) build_node(0, 0, n);
    }

    void build_node(index_t node, index_t b, index_t e) {
        if (e - b <= kLeafSize) {
            dim[node] = -1;
            return;
        }
        // the coordinate of widest spread
        std::int32_t best_k = 0;
        T best_spread = T(-1);
        for (index_t k = 0; k < d; ++k) {
            T lo = pts[perm[b] * d + k], hi = lo;
            for (index_t i = b + 1; i < e; ++i) {
                const T v = pts[perm[i] * d + k];
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            if (hi - lo > best_spread) {
                best_spread = hi - lo;
                best_k = static_cast<std::int32_t>(k);
            }
        }
        const index_t m = b + (e - b) / 2;
        const T* p = pts;
        const index_t stride = d;
        // ties by index: the partition, hence the tree, is fully determined by the data
        std::nth_element(perm + b, perm + m, perm + e, [p, stride, best_k](index_t a, index_t c) {
            const T va = p[a * stride + best_k], vc = p[c * stride + best_k];
            return va < vc || (va == vc && a < c);
        });
        dim[node] = best_k;
        split[node] = pts[perm[m] * d + best_k];
        build_node(2 * node + 1, b, m);
        build_node(2 * node + 2, m, e);
    }
};

/// One query's search state: the k best so far and the offsets of the current cell.
template <SearchMetric M, class T>
struct KdQuery {
    const KdTree<T>& tree;
    const T* q;
    Candidates<T> best;
    T* off;  // d offsets from q to the current cell, 0 where q is inside it

    // The incremental cell distance is rounded: a cell is skipped only when it is clearly out
    // of reach, so a tie at the k-th distance is never lost to rounding.
    static constexpr T kSlack = T(1) + T(64) * std::numeric_limits<T>::epsilon();

    void run() {
        best.reset();
        for (index_t k = 0; k < tree.d; ++k) off[k] = T(0);
        if (tree.n > 0) visit(0, 0, tree.n, T(0));
    }

    void visit(index_t node, index_t b, index_t e, T rd) {
        const std::int32_t k = tree.dim[node];
        if (k < 0) {
            for (index_t i = b; i < e; ++i) {
                const index_t id = tree.perm[i];
                const T dist = point_metric<M>(tree.pts + id * tree.d, q, tree.d);
                if (dist <= best.bound()) best.offer(dist, id);
            }
            return;
        }
        const index_t m = b + (e - b) / 2;
        const T diff = q[k] - tree.split[node];
        const bool left_first = diff <= T(0);
        if (left_first)
            visit(2 * node + 1, b, m, rd);
        else
            visit(2 * node + 2, m, e, rd);
        const T old = off[k];
        const T far_rd = rd - metric_term<M>(old) + metric_term<M>(diff);
        if (!(far_rd <= best.bound() * kSlack)) return;
        off[k] = diff;
        if (left_first)
            visit(2 * node + 2, m, e, far_rd);
        else
            visit(2 * node + 1, b, m, far_rd);
        off[k] = old;
    }
};

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
