// Rows of the transport cost matrix, c_ij = ||x_i - y_j||^p, from points or from a given matrix.
// The solver asks for one row at a time; a row of point costs is computed into a buffer (or read
// from a dense matrix computed once, when it fits in memory).
#pragma once

#include <cmath>
#include <cstring>
#include <memory>
#include <type_traits>

#include "fastloss/common/isa.hpp"
#include "fastloss/common/parallel.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
inline std::unique_ptr<T[]> make_buffer(index_t n) {
    return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(n > 0 ? n : 1)]);
}

/// d^p from d^2, with the two common powers exact and cheap.
FASTLOSS_ALWAYS_INLINE double power_of_squared(double d2, double power) {
    if (power == 2.0) return d2;
    if (power == 1.0) return std::sqrt(d2);
    return std::pow(d2, 0.5 * power);
}

/// d(d^p)/dx as a factor of (x - y): p d^(p-2); 0 where d = 0 (the subgradient fastloss picks).
inline double power_gradient_factor(double d2, double power) {
    if (power == 2.0) return 2.0;
    if (!(d2 > 0.0)) return 0.0;
    if (power == 1.0) return 1.0 / std::sqrt(d2);
    return power * std::pow(d2, 0.5 * power - 1.0);
}

/**
 * Point costs: y transposed to D x m doubles so that a row c_i. is one vectorised pass per
 * coordinate. Rows come from `fill_row` (computed) or from a dense matrix built by `materialize`;
 * `materialize_approx` builds a float copy instead, for pricing that allows for its rounding.
 */
template <class T>
struct PointCosts {
    const T* x;
    index_t n, m, d;
    double power;
    std::unique_ptr<double[]> yt;     // D x m
    std::unique_ptr<double[]> dense;  // n x m, or null (rows computed on demand)
    std::unique_ptr<float[]> approx;  // n x m rounded to float, or null

    PointCosts(const T* x_, const T* y, index_t n_, index_t m_, index_t d_, double power_)
        : x(x_), n(n_), m(m_), d(d_), power(power_), yt(make_buffer<double>(d_ * m_)) {
        for (index_t j = 0; j < m; ++j)
            for (index_t k = 0; k < d; ++k) yt[k * m + j] = static_cast<double>(y[j * d + k]);
    }

    double at(index_t i, index_t j) const {
        double d2 = 0.0;
        for (index_t k = 0; k < d; ++k) {
            const double t = static_cast<double>(x[i * d + k]) - yt[k * m + j];
            d2 += t * t;
        }
        return power_of_squared(d2, power);
    }

    void fill_row(index_t i, double* __restrict out) const {
        squared_distances(i, out);
        if (power == 1.0) {
#pragma omp simd
            for (index_t j = 0; j < m; ++j) out[j] = std::sqrt(out[j]);
        } else if (power != 2.0) {
            for (index_t j = 0; j < m; ++j) out[j] = std::pow(out[j], 0.5 * power);
        }
    }

    /// ||x_i - y_j||^2 for every j.
    void squared_distances(index_t i, double* __restrict out) const {
        const T* xi = x + i * d;
        const double* __restrict yt0 = yt.get();
        const double x0 = static_cast<double>(xi[0]);
#pragma omp simd
        for (index_t j = 0; j < m; ++j) {
            const double t = x0 - yt0[j];
            out[j] = t * t;
        }
        for (index_t k = 1; k < d; ++k) {
            const double xk = static_cast<double>(xi[k]);
            const double* __restrict ytk = yt0 + k * m;
#pragma omp simd
            for (index_t j = 0; j < m; ++j) {
                const double t = xk - ytk[j];
                out[j] += t * t;
            }
        }
    }

    /// Computes every row once (threads over rows; each row is computed the same way either
    /// way, so the result does not depend on the thread count).
    void materialize(int num_threads) {
        dense = make_buffer<double>(n * m);
        const bool parallel = num_threads > 1 && n * m * d >= kParallelThreshold;
        (void)parallel;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
        for (index_t i = 0; i < n; ++i) fill_row(i, dense.get() + i * m);
    }

    /// Every row once, rounded to float: half the bytes for the network simplex's pricing,
    /// which streams rows over and over (it finishes on exact rows; network_simplex.hpp).
    void materialize_approx(int num_threads) {
        approx = make_buffer<float>(n * m);
        const bool parallel = num_threads > 1 && n * m * d >= kParallelThreshold;
        (void)parallel;
#pragma omp parallel num_threads(num_threads) if (parallel)
        {
            std::unique_ptr<double[]> exact = make_buffer<double>(m);
#pragma omp for schedule(static)
            for (index_t i = 0; i < n; ++i) {
                fill_row(i, exact.get());
                float* __restrict out = approx.get() + i * m;
#pragma omp simd
                for (index_t j = 0; j < m; ++j) out[j] = static_cast<float>(exact[j]);
            }
        }
    }

    /// Row i: a pointer into the dense matrix, or `scratch` filled with it.
    const double* row(index_t i, double* scratch) const {
        if (dense) return dense.get() + i * m;
        fill_row(i, scratch);
        return scratch;
    }

    /// Row i rounded to float, or null when materialize_approx was not called.
    const float* approx_row(index_t i) const { return approx ? approx.get() + i * m : nullptr; }
};

/// A given cost matrix (row stride `stride`), read in its own dtype.
template <class T>
struct MatrixCosts {
    const T* c;
    index_t n, m, stride;

    double at(index_t i, index_t j) const { return static_cast<double>(c[i * stride + j]); }

    const double* row(index_t i, double* scratch) const {
        const T* ci = c + i * stride;
        if constexpr (std::is_same_v<T, double>) {
            (void)scratch;
            return ci;
        } else {
#pragma omp simd
            for (index_t j = 0; j < m; ++j) scratch[j] = static_cast<double>(ci[j]);
            return scratch;
        }
    }

    /// A float matrix is its own float copy, exact (the pricing's allowance for rounding is
    /// then only caution): its rows need no conversion to double for pricing. A double
    /// matrix has none: rounding a copy cost more than its lighter pricing saved (3000 x 3000:
    /// 206 -> 221 ms).
    const float* approx_row(index_t i) const {
        if constexpr (std::is_same_v<T, float>)
            return c + i * stride;
        else
            return nullptr;
    }
};

FASTLOSS_END_ISA_NAMESPACE
