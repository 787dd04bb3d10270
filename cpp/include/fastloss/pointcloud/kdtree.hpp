// A KD-tree over one cloud, written for nearest-neighbour queries of point-cloud losses.
//
// - The tree keeps its own copy of the points in leaf order (d values and the original index
//   per point), so leaf scans read consecutive memory and the build partitions contiguous
//   ranges in place. Measured against a zero-copy version (the same tree over an index
//   permutation of the caller's array), 200,000 uniform 3-D float32 points, one thread:
//   200,000 queries took 212 ms there and 157 ms with the copy alone (later changes brought
//   them to about 95). The copy costs d values per point.
// - Splits on the coordinate of widest spread, at the median of a sample of the range's keys
//   (an exact median selection where the sample's cut is too uneven), so the tree stays
//   balanced, degenerate clouds (all points equal, a line, a grid) included, and about one
//   partition pass per level builds it.
// - Queries descend to the nearer child first and visit the farther one only if the distance
//   to its cell (kept incrementally per coordinate, Arya & Mount) can beat the k-th best. Ties
//   go to the lower original index, as in the brute force, so both methods agree exactly.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "fastloss/pointcloud/neighbors_common.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

// Points per leaf: a leaf scan of this many points costs about what one more level costs.
constexpr index_t kLeafSize = 48;
// Keys sampled to place a split (their median; odd, so it is one of them).
constexpr index_t kSplitSample = 63;
// A split whose smaller side holds less than 1/kMinShare of the points is redone as an exact
// median; every level then keeps at most 3/4 of its parent's points, so a tree over 2^31
// points is at most log(2^31 / kLeafSize) / log(4/3) < 64 levels deep, within kKdMaxDepth
// (the query's stack of pending cells holds at most one per level).
constexpr index_t kMinShare = 4;
constexpr index_t kKdMaxDepth = 128;

/// A node: a leaf (dim < 0), or a split of its range [b, e) at `mid` into the children
/// `left` ([b, mid), coordinate `dim` <= split) and `left + 1` ([mid, e), >= split).
template <class T>
struct KdNode {
    T split;
    std::int32_t dim;
    std::int32_t left;
    index_t mid;
};

template <class T>
struct KdTree {
    index_t n = 0, d = 0;
    T* pts = nullptr;       // (n, d): the points in leaf order
    index_t* ids = nullptr;  // (n,): their indices in the caller's cloud
    std::vector<KdNode<T>> nodes;

    /// Builds over the given storage: pts_mem n * d values, id_mem n indices.
    void build(const T* points, index_t count, index_t dims, T* pts_mem, index_t* id_mem) {
        n = count;
        d = dims;
        pts = pts_mem;
        ids = id_mem;
        for (index_t i = 0; i < n * d; ++i) pts[i] = points[i];
        for (index_t i = 0; i < n; ++i) ids[i] = i;
        nodes.clear();
        nodes.reserve(static_cast<std::size_t>(4 * (n / kLeafSize) + 1));
        nodes.push_back(KdNode<T>{T(0), -1, 0, 0});
        std::unique_ptr<T[]> scratch(new T[static_cast<std::size_t>(2 * d + kSplitSample)]);
        if (n > 0) build_node(0, 0, n, scratch.get());
    }

   private:
    T key(index_t i, std::int32_t k) const { return pts[i * d + k]; }

    void swap_points(index_t i, index_t j) {
        for (index_t c = 0; c < d; ++c) std::swap(pts[i * d + c], pts[j * d + c]);
        std::swap(ids[i], ids[j]);
    }

    /// The coordinate of widest spread over every step-th point of [b, e); -1 if those all
    /// coincide. lo: scratch of 2 d values.
    std::int32_t widest(index_t b, index_t e, index_t step, T* lo) const {
        T* hi = lo + d;
        for (index_t c = 0; c < d; ++c) lo[c] = hi[c] = key(b, static_cast<std::int32_t>(c));
        for (index_t i = b + step; i < e; i += step)
            for (index_t c = 0; c < d; ++c) {
                const T v = pts[i * d + c];
                lo[c] = v < lo[c] ? v : lo[c];
                hi[c] = v > hi[c] ? v : hi[c];
            }
        std::int32_t best = 0;
        for (index_t c = 1; c < d; ++c)
            if (hi[c] - lo[c] > hi[best] - lo[best]) best = static_cast<std::int32_t>(c);
        return hi[best] > lo[best] ? best : -1;
    }

    /// Moves points with coordinate k below `cut` to the front of [b, e); returns where the
    /// rest starts. Branch-free (Lomuto with an unconditional swap: a point at or above the
    /// cut only trades places with another such point): the comparison is a coin flip on
    /// real data, and a mispredicted branch per point per level cost more than the swaps.
    index_t partition(index_t b, index_t e, std::int32_t k, T cut) {
        index_t store = b;
        for (index_t i = b; i < e; ++i) {
            const index_t below = key(i, k) < cut ? 1 : 0;
            swap_points(i, store);
            store += below;
        }
        return store;
    }

    /// Exact median split of [b, e) on coordinate k (for ranges the sampled cut cannot
    /// split); returns mid, with keys of [b, mid) <= keys of [mid, e).
    index_t median_split(index_t b, index_t e, std::int32_t k) {
        const index_t mid = b + (e - b) / 2;
        // quickselect on the key over the points themselves, with three-way partitions
        index_t lo = b, hi = e;
        while (hi - lo > 1) {
            const T pivot = key(lo + (hi - lo) / 2, k);
            const index_t m1 = partition(lo, hi, k, pivot);  // < pivot | >= pivot
            index_t m2 = m1;                                  // then == pivot | > pivot
            for (index_t i = m1; i < hi; ++i)
                if (!(pivot < key(i, k))) swap_points(i, m2++);
            if (mid < m1)
                hi = m1;
            else if (mid >= m2)
                lo = m2;
            else
                break;  // mid falls among keys equal to the pivot
        }
        return mid;
    }

    void build_node(std::size_t node, index_t b, index_t e, T* scratch) {
        if (e - b <= kLeafSize) return;  // nodes start as leaves
        // the split coordinate from about 256 points (it only shapes the tree), from all of
        // them if those coincide; all points equal: one leaf holds them
        std::int32_t k = widest(b, e, imax(1, (e - b) / 256), scratch);
        if (k < 0) k = widest(b, e, 1, scratch);
        if (k < 0) return;
        // the median of a sample of keys as the cut
        T* sample = scratch + 2 * d;
        const index_t count = imin(kSplitSample, e - b), step = (e - b) / count;
        for (index_t i = 0; i < count; ++i) sample[i] = key(b + i * step, k);
        std::nth_element(sample, sample + count / 2, sample + count);
        T cut = sample[count / 2];
        index_t mid = partition(b, e, k, cut);
        if (imin(mid - b, e - mid) < (e - b) / kMinShare) {  // too uneven (or a side empty)
            mid = median_split(b, e, k);
            cut = key(mid, k);
        }
        const std::int32_t left = static_cast<std::int32_t>(nodes.size());
        nodes.push_back(KdNode<T>{T(0), -1, 0, 0});
        nodes.push_back(KdNode<T>{T(0), -1, 0, 0});
        nodes[node] = KdNode<T>{cut, k, left, mid};
        build_node(static_cast<std::size_t>(left), b, mid, scratch);
        build_node(static_cast<std::size_t>(left) + 1, mid, e, scratch);
    }
};

/// One query's search state: the k best so far and the offsets of the current cell. FixedD
/// > 0 fixes the dimension at compile time (leaf scans of 2-D and 3-D points unrolled);
/// Single (k = 1) keeps the best candidate in registers instead of the sorted list.
template <SearchMetric M, int FixedD, bool Single, class T>
struct KdQuery {
    const KdTree<T>& tree;
    const T* q;
    Candidates<T> best;  // where the result goes (and the list itself when !Single)
    T* off;              // (kMaxDepth + 1) x d: offsets from q to the stacked cells
    T best_d = std::numeric_limits<T>::infinity();
    index_t best_i = -1;
    index_t best_pos = -1;  // (Single) the best point's slot in the tree's leaf order

    // The incremental cell distance is rounded: a cell is skipped only when it is clearly out
    // of reach, so a tie at the k-th distance is never lost to rounding.
    static constexpr T kSlack = T(1) + T(64) * std::numeric_limits<T>::epsilon();

    index_t dims() const { return FixedD > 0 ? FixedD : tree.d; }

    // Pending cells: at most one per level of the current path (see kKdMaxDepth).
    static constexpr index_t kMaxDepth = kKdMaxDepth;
    index_t stack_node[kMaxDepth], stack_b[kMaxDepth], stack_e[kMaxDepth];
    T stack_rd[kMaxDepth];
    T bound() const {
        if constexpr (Single)
            return best_d;
        else
            return best.bound();
    }
    void offer(T dist, index_t id, index_t pos = -1) {
        if constexpr (Single) {
            if (best_i < 0 || precedes(dist, id, best_d, best_i)) {
                best_d = dist;
                best_i = id;
                best_pos = pos;
            }
        } else {
            best.offer(dist, id);
        }
    }

    /// Searches for `query` into `result`. `hint_pos` (a slot in the tree's leaf order, or -1)
    /// is offered first: a nearby query's neighbour gives a tight bound from the start, so
    /// fewer cells are visited (and its coordinates are in cache, next to the last leaf read).
    void run(const T* query, const Candidates<T>& result, index_t hint_pos = -1) {
        q = query;
        best = result;
        best_d = std::numeric_limits<T>::infinity();
        best_i = -1;
        best_pos = -1;
        best.reset();
        if (hint_pos >= 0)
            offer(point_metric<M>(tree.pts + hint_pos * dims(), q, dims()), tree.ids[hint_pos],
                  hint_pos);
        if (tree.n > 0) search();
        if constexpr (Single) {
            best.dist[0] = best_d;
            best.idx[0] = best_i;
        }
    }

   private:
    /// Depth-first, nearer child first, without recursion: on the way down each farther child
    /// that may still hold a candidate is pushed with its cell distance and offsets; entries
    /// are popped deepest first (the recursive order) and dropped if the bound has passed them.
    void search() {
        const index_t d = dims();
        index_t top = 0;
        stack_node[0] = 0;
        stack_b[0] = 0;
        stack_e[0] = tree.n;
        stack_rd[0] = T(0);
        for (index_t c = 0; c < d; ++c) off[c] = T(0);
        ++top;
        T* cur = off + kMaxDepth * d;  // the current cell's offsets
        while (top > 0) {
            --top;
            if (!(stack_rd[top] <= bound() * kSlack)) continue;
            index_t node = stack_node[top], b = stack_b[top], e = stack_e[top];
            T rd = stack_rd[top];
            for (index_t c = 0; c < d; ++c) cur[c] = off[top * d + c];
            for (;;) {
                const KdNode<T>& nd = tree.nodes[static_cast<std::size_t>(node)];
                const std::int32_t k = nd.dim;
                if (k < 0) break;
                const T diff = q[k] - nd.split;
                const T far_rd = rd - metric_term<M>(cur[k]) + metric_term<M>(diff);
                const bool left_first = diff <= T(0);
                const index_t near = left_first ? nd.left : nd.left + 1;
                if (far_rd <= bound() * kSlack) {
                    stack_node[top] = left_first ? nd.left + 1 : nd.left;
                    stack_b[top] = left_first ? nd.mid : b;
                    stack_e[top] = left_first ? e : nd.mid;
                    stack_rd[top] = far_rd;
                    for (index_t c = 0; c < d; ++c) off[top * d + c] = cur[c];
                    off[top * d + k] = diff;
                    ++top;
                }
                if (left_first)
                    e = nd.mid;
                else
                    b = nd.mid;
                node = near;
            }
            for (index_t i = b; i < e; ++i) {
                const T dist = point_metric<M>(tree.pts + i * d, q, d);
                if (dist <= bound()) offer(dist, tree.ids[i], i);
            }
        }
    }
};

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
