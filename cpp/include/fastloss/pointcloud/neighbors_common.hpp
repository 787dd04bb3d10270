// Pieces shared by the brute-force and KD-tree neighbour searches: the point distance, and the
// k best candidates so far with their deterministic order.
#pragma once

#include <limits>

#include "fastloss/common/parallel.hpp"
#include "fastloss/pointcloud/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// The per-coordinate term of a search metric: diff^2 or |diff|.
template <SearchMetric M, class T>
FASTLOSS_ALWAYS_INLINE T metric_term(T diff) {
    if constexpr (M == SearchMetric::L1)
        return diff < T(0) ? -diff : diff;
    else
        return diff * diff;
}

/// The metric between two points of d coordinates, summed in coordinate order (the brute
/// force sums in the same order, so both methods find the same distances).
template <SearchMetric M, class T>
FASTLOSS_ALWAYS_INLINE T point_metric(const T* a, const T* b, index_t d) {
    T acc = T(0);
    for (index_t k = 0; k < d; ++k) acc += metric_term<M>(a[k] - b[k]);
    return acc;
}

/// Whether candidate (d1, i1) comes before (d2, i2): nearer, or as near with a lower index.
template <class T>
FASTLOSS_ALWAYS_INLINE bool precedes(T d1, index_t i1, T d2, index_t i2) {
    return d1 < d2 || (d1 == d2 && i1 < i2);
}

/// The k best (distance, index) candidates, sorted; empty slots hold (inf, -1).
template <class T>
struct Candidates {
    T* dist;
    index_t* idx;
    index_t k;

    void reset() {
        for (index_t m = 0; m < k; ++m) {
            dist[m] = std::numeric_limits<T>::infinity();
            idx[m] = -1;
        }
    }
    /// The distance a candidate must reach to enter (inf until k are held).
    T bound() const { return dist[k - 1]; }
    void offer(T d, index_t i) {
        if (!(idx[k - 1] < 0 ? d <= dist[k - 1] : precedes(d, i, dist[k - 1], idx[k - 1])))
            return;
        index_t m = k - 1;
        while (m > 0 && (idx[m - 1] < 0 || precedes(d, i, dist[m - 1], idx[m - 1]))) {
            dist[m] = dist[m - 1];
            idx[m] = idx[m - 1];
            --m;
        }
        dist[m] = d;
        idx[m] = i;
    }
};

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
