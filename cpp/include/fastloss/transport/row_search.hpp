// Where in a row a minimum found by a vectorised pass sits: the first index whose value equals
// it, found 16 entries at a time (a scalar scan for it cost a solver as much as its pricing).
// The values are recomputed with the same expression as in the pass that found the minimum,
// so the comparison is exact.
#pragma once

#include "fastloss/common/isa.hpp"
#include "fastloss/common/types.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace row_search {

constexpr index_t kChunk = 16;

/// The first j with a[j] == value (m - 1 if there is none).
FASTLOSS_NOINLINE inline index_t first_equal(const double* __restrict a, index_t m, double value) {
    index_t j = 0;
    for (; j + kChunk <= m; j += kChunk) {
        int hit = 0;
#pragma omp simd reduction(| : hit)
        for (index_t k = 0; k < kChunk; ++k) hit |= a[j + k] == value ? 1 : 0;
        if (hit) break;
    }
    while (j < m - 1 && !(a[j] == value)) ++j;
    return j;
}

/// The first j with c[j] - v[j] == value (m - 1 if there is none); c as double or float.
template <class C>
FASTLOSS_NOINLINE index_t first_difference_equal(const C* __restrict c, const double* __restrict v,
                                                 index_t m, double value) {
    index_t j = 0;
    for (; j + kChunk <= m; j += kChunk) {
        int hit = 0;
#pragma omp simd reduction(| : hit)
        for (index_t k = 0; k < kChunk; ++k) hit |= static_cast<double>(c[j + k]) - v[j + k] == value ? 1 : 0;
        if (hit) break;
    }
    while (j < m - 1 && !(static_cast<double>(c[j]) - v[j] == value)) ++j;
    return j;
}

}  // namespace row_search

FASTLOSS_END_ISA_NAMESPACE
