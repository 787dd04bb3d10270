// Blocked brute-force nearest neighbours: every query against every target, vectorised across
// targets.
//
// The targets are transposed once per cloud into coordinate-major rows (d rows, padded to a
// multiple of kLanes with +inf, which is never nearest). For k = 1 each SIMD lane
// keeps the best distance and index of the targets it sees (j = lane mod kLanes) with a
// strict "<", so the lowest index wins ties within a lane; the lanes are merged the same way.
// Both methods therefore return the same neighbour, and no P x Q matrix is ever formed.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fastloss/pointcloud/neighbors_common.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

constexpr index_t kLanes = 16;
// Targets whose distances the k > 1 path computes in one SIMD loop before offering them.
constexpr index_t kKnnChunk = 256;

inline index_t padded_targets(index_t n) {
    return (n + kLanes - 1) / kLanes * kLanes;
}

/// Targets (n, d) row-major -> d rows of `stride` >= n_pad = padded_targets(n), padded to
/// n_pad with +inf.
template <class T>
FASTLOSS_NOINLINE void transpose_targets(const T* __restrict y, index_t n, index_t d,
                                         index_t stride, T* __restrict yt) {
    const index_t n_pad = padded_targets(n);
    for (index_t k = 0; k < d; ++k) {
        T* __restrict row = yt + k * stride;
        for (index_t j = 0; j < n; ++j) row[j] = y[j * d + k];
        for (index_t j = n; j < n_pad; ++j) row[j] = std::numeric_limits<T>::infinity();
    }
}

/// Lane indices: as wide as T, so index and distance lanes line up in one SIMD register.
template <class T>
using LaneIndex = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;

// Queries searched together: every target row loaded serves them all, and each carries its
// own dependency chain (one chain alone is bound by its compare latency). Each query holds
// three vectors (lane minima, their indices, the distance being summed), so the group is as
// large as the register file allows: 8 x 3 of AVX-512's 32 registers, 4 x 3 of AVX2's or
// SSE2's 16.
#if defined(__AVX512F__)
constexpr index_t kQueryGroup = 8;
constexpr int kVectorBytes = 64;
#elif defined(__AVX2__)
constexpr index_t kQueryGroup = 4;
constexpr int kVectorBytes = 32;
#else
constexpr index_t kQueryGroup = 4;
constexpr int kVectorBytes = 16;
#endif

#if defined(__GNUC__) || defined(__clang__)
// GCC/Clang vector extensions of one register (a wider type is split into several registers,
// and AVX2 then spilled the whole group: 13 times slower than AVX-512), so the lane minima and
// their indices stay in registers. Written with the portable loop below, GCC turns the index
// update into a masked store guarded by a branch that is taken on a third of the iterations (a
// new lane minimum) and mispredicted.
// (typedefs in specialisations: GCC ignores the attribute on a dependent alias template)
template <class T>
struct Vectors;
template <>
struct Vectors<float> {
    typedef float value __attribute__((vector_size(kVectorBytes)));
    typedef std::int32_t index __attribute__((vector_size(kVectorBytes)));
};
template <>
struct Vectors<double> {
    typedef double value __attribute__((vector_size(kVectorBytes)));
    typedef std::int64_t index __attribute__((vector_size(kVectorBytes)));
};

template <class V, class T>
FASTLOSS_ALWAYS_INLINE V load_vec(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
}

/**
 * The nearest target of each of nq <= kQueryGroup queries (row-major, d coordinates) into
 * out_d, out_i; the rows are padded to a multiple of the vector width. FixedD > 0 fixes d at
 * compile time (the common 2-D and 3-D cases); 0 reads it at run time.
 */
template <SearchMetric M, int FixedD, class T>
FASTLOSS_NOINLINE void brute_nearest_group(const T* __restrict queries, index_t nq,
                                           const T* __restrict yt, index_t stride,
                                           index_t n_pad, index_t d_runtime, T* __restrict out_d,
                                           index_t* __restrict out_i) {
    using V = typename Vectors<T>::value;
    using IV = typename Vectors<T>::index;
    using I = LaneIndex<T>;
    constexpr index_t W = sizeof(V) / sizeof(T);
    const index_t d = FixedD > 0 ? FixedD : d_runtime;
    // A short group repeats its last query: the same work, results discarded.
    const T* q[kQueryGroup];
    for (index_t g = 0; g < kQueryGroup; ++g) q[g] = queries + imin(g, nq - 1) * d;
    V bd[kQueryGroup];
    IV bi[kQueryGroup];
    IV j;
    for (index_t l = 0; l < W; ++l) j[l] = static_cast<I>(l);
    for (index_t g = 0; g < kQueryGroup; ++g) {
        bd[g] = V{} + std::numeric_limits<T>::infinity();
        bi[g] = IV{};
    }
    for (index_t j0 = 0; j0 < n_pad; j0 += W) {
        V acc[kQueryGroup];
        for (index_t k = 0; k < d; ++k) {
            const V row = load_vec<V>(yt + k * stride + j0);
            for (index_t g = 0; g < kQueryGroup; ++g) {
                const V diff = q[g][k] - row;
                V term;
                if constexpr (M == SearchMetric::L1)
                    term = diff < V{} ? -diff : diff;
                else
                    term = diff * diff;
                // 0 + term is term exactly: starting from it matches point_metric bit for bit
                acc[g] = k == 0 ? term : acc[g] + term;
            }
        }
        for (index_t g = 0; g < kQueryGroup; ++g) {
            const IV better = acc[g] < bd[g];
            bi[g] = better ? j : bi[g];
            bd[g] = better ? acc[g] : bd[g];
        }
        j += static_cast<I>(W);
    }
    // Merge the lanes: the least distance, then the least index among the lanes that hold it
    // (two vector reductions; a scalar loop of compares cost as much as the scan of a
    // thousand targets).
    for (index_t g = 0; g < nq; ++g) {
        T best = std::numeric_limits<T>::infinity();
        for (index_t l = 0; l < W; ++l) best = bd[g][l] < best ? bd[g][l] : best;
        I best_i = std::numeric_limits<I>::max();
        for (index_t l = 0; l < W; ++l) {
            const I cand = bd[g][l] == best ? bi[g][l] : std::numeric_limits<I>::max();
            best_i = cand < best_i ? cand : best_i;
        }
        out_d[g] = best;
        out_i[g] = best_i;
    }
}
#else
/// Portable form (MSVC): lane minima in arrays, one query at a time.
template <SearchMetric M, int FixedD, class T>
void brute_nearest_group(const T* queries, index_t nq, const T* yt, index_t stride,
                         index_t n_pad, index_t d_runtime, T* out_d, index_t* out_i) {
    using I = LaneIndex<T>;
    const index_t d = FixedD > 0 ? FixedD : d_runtime;
    for (index_t g = 0; g < nq; ++g) {
        const T* q = queries + g * d;
        T bd[kLanes];
        I bi[kLanes];
        for (index_t l = 0; l < kLanes; ++l) {
            bd[l] = std::numeric_limits<T>::infinity();
            bi[l] = 0;
        }
        for (index_t j0 = 0; j0 < n_pad; j0 += kLanes)
            for (index_t l = 0; l < kLanes; ++l) {
                T acc = T(0);
                for (index_t k = 0; k < d; ++k)
                    acc += metric_term<M>(q[k] - yt[k * stride + j0 + l]);
                if (acc < bd[l]) {
                    bd[l] = acc;
                    bi[l] = static_cast<I>(j0 + l);
                }
            }
        T best = bd[0];
        index_t best_i = bi[0];
        for (index_t l = 1; l < kLanes; ++l)
            if (precedes(bd[l], static_cast<index_t>(bi[l]), best, best_i)) {
                best = bd[l];
                best_i = bi[l];
            }
        out_d[g] = best;
        out_i[g] = best_i;
    }
}
#endif

/// The nearest target of each of nq queries, kQueryGroup at a time.
template <SearchMetric M, int FixedD, class T>
void brute_nearest(const T* queries, index_t nq, const T* yt, index_t stride, index_t n_pad,
                   index_t d, T* out_d, index_t* out_i) {
    for (index_t q0 = 0; q0 < nq; q0 += kQueryGroup)
        brute_nearest_group<M, FixedD>(queries + q0 * d, imin(kQueryGroup, nq - q0), yt, stride,
                                       n_pad, d, out_d + q0, out_i + q0);
}

/// The k nearest targets of each query (sorted, ties by index); n real targets.
template <SearchMetric M, class T>
FASTLOSS_NOINLINE void brute_knn(const T* __restrict queries, index_t nq, const T* __restrict yt,
                                 index_t stride, index_t n_pad, index_t n, index_t d,
                                 index_t k,
                                 T* __restrict out_d, index_t* __restrict out_i) {
    alignas(64) T dist[kKnnChunk];
    for (index_t qi = 0; qi < nq; ++qi) {
        const T* __restrict q = queries + qi * d;
        Candidates<T> best{out_d + qi * k, out_i + qi * k, k};
        best.reset();
        for (index_t j0 = 0; j0 < n_pad; j0 += kKnnChunk) {
            const index_t len = imin(kKnnChunk, n_pad - j0);
            const T* __restrict col = yt + j0;
#pragma omp simd
            for (index_t l = 0; l < len; ++l) {
                T acc = T(0);
                for (index_t c = 0; c < d; ++c) acc += metric_term<M>(q[c] - col[c * stride + l]);
                dist[l] = acc;
            }
            const index_t real = imin(len, n - j0);
            for (index_t l = 0; l < real; ++l)
                if (dist[l] <= best.bound()) best.offer(dist[l], j0 + l);
        }
    }
}

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
