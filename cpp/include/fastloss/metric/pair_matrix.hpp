// Pairwise machinery shared by the labelled-batch losses.
//
// The caller computes the Gram matrix G = P P^T with BLAS, P being the embeddings (Euclidean
// and squared distances, dot products) or the L2-normalised embeddings (cosine). A loss kernel
// reads G row by row and, when a gradient is wanted, overwrites it with pair coefficients M
// (plus a per-row alpha) such that
//     d loss / d P_i = alpha_i P_i - (M P)_i,
// so one more BLAS product M P and finish_pair_gradient give the gradient: no B x B x D or
// B^3 temporary, one B x B matrix. For cosine, finish_pair_gradient then applies the chain rule
// through the normalisation.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "fastloss/common/parallel.hpp"
#include "fastloss/metric/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

template <class T>
std::unique_ptr<T[]> uninit(index_t n) {
    return std::unique_ptr<T[]>(new T[static_cast<std::size_t>(n)]);
}

/// Squared L2 norms of the b rows of x (b x d), in double.
template <class T>
void row_sq_norms(const T* x, index_t b, index_t d, double* sn, int num_threads) {
    const bool parallel = num_threads > 1 && b * d >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
    for (index_t i = 0; i < b; ++i) {
        const T* xi = x + i * d;
        double acc = 0.0;
#pragma omp simd reduction(+ : acc)
        for (index_t k = 0; k < d; ++k) acc += static_cast<double>(xi[k]) * xi[k];
        sn[i] = acc;
    }
}

/// d(i, j) from G_ij and the squared norms (unused for cosine, whose rows are unit or zero).
/// Cancellation can make the Euclidean square slightly negative: clamped at 0.
inline double pair_distance(PairDistance kind, double g, double sn_i, double sn_j) {
    if (kind == PairDistance::Cosine) return 1.0 - g;
    const double sq = sn_i + sn_j - 2.0 * g;
    const double s = sq < 0.0 ? 0.0 : sq;  // (NaN kept)
    return kind == PairDistance::Squared ? s : std::sqrt(s);
}

/// psi(d) with d d(i, j) / d P_i = psi (P_i - P_j) (Euclidean 1 / d, 0 at d = 0; squared 2),
/// and for cosine (d = 1 - P_i . P_j) the coefficient 1 of -P_j.
inline double pair_psi(PairDistance kind, double dist) {
    if (kind == PairDistance::Euclidean) return dist > 0.0 ? 1.0 / dist : 0.0;
    return kind == PairDistance::Squared ? 2.0 : 1.0;
}

/// d(u, v) of two rows computed directly, in double (cosine: u, v unit or zero rows).
template <class T>
double row_distance(PairDistance kind, const T* u, const T* v, index_t d) {
    double acc = 0.0;
    if (kind == PairDistance::Cosine) {
#pragma omp simd reduction(+ : acc)
        for (index_t k = 0; k < d; ++k) acc += static_cast<double>(u[k]) * v[k];
        return 1.0 - acc;
    }
#pragma omp simd reduction(+ : acc)
    for (index_t k = 0; k < d; ++k) {
        const double t = static_cast<double>(u[k]) - static_cast<double>(v[k]);
        acc += t * t;
    }
    return kind == PairDistance::Squared ? acc : std::sqrt(acc);
}

/// Row i of the distance matrix, in T, from row i of G.
template <class T>
void row_distances(PairDistance kind, const T* g_row, index_t i, index_t b, const double* sn,
                   T* out) {
    if (kind == PairDistance::Cosine) {
        for (index_t j = 0; j < b; ++j) out[j] = static_cast<T>(1.0 - g_row[j]);
        return;
    }
    const double si = sn[i];
    const bool squared = kind == PairDistance::Squared;
    if (squared) {
#pragma omp simd
        for (index_t j = 0; j < b; ++j) {
            const double s = si + sn[j] - 2.0 * g_row[j];
            out[j] = static_cast<T>(s < 0.0 ? 0.0 : s);  // NaN kept
        }
    } else {
#pragma omp simd
        for (index_t j = 0; j < b; ++j) {
            const double s = si + sn[j] - 2.0 * g_row[j];
            out[j] = static_cast<T>(std::sqrt(s < 0.0 ? 0.0 : s));
        }
    }
    out[i] = T(0);
}

/// Overwrites row i of M with the pair coefficients w_j * psi(d_j) (w: d loss / d d(i, j)).
template <class T>
void store_pair_coefficients(PairDistance kind, const T* dist, const T* w, index_t b, T* m_row) {
    if (kind == PairDistance::Euclidean) {
#pragma omp simd
        for (index_t j = 0; j < b; ++j)
            m_row[j] = dist[j] > T(0) ? w[j] / dist[j] : T(0);
    } else {
        const T psi = kind == PairDistance::Squared ? T(2) : T(1);
#pragma omp simd
        for (index_t j = 0; j < b; ++j) m_row[j] = w[j] * psi;
    }
}

constexpr index_t kPairTile = 64;

/**
 * Makes M symmetric in place: with `add`, M_ij = M_ji = s (M_ij + M_ji) (the coefficients of
 * both orders of a pair); without, the upper triangle is mirrored: M_ij = M_ji = s M_ij (i < j).
 * s is `s_same` for two members of one class, `s_diff` otherwise. The diagonal becomes 0.
 */
template <class T>
void symmetrize_pairs(T* m, const std::int32_t* cls, index_t b, bool add, double s_same,
                      double s_diff, int num_threads) {
    const index_t tiles = (b + kPairTile - 1) / kPairTile;
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(dynamic, 1) num_threads(num_threads) if (parallel)
    for (index_t ti = 0; ti < tiles; ++ti) {
        const index_t i0 = ti * kPairTile, i1 = imin(b, i0 + kPairTile);
        for (index_t tj = ti; tj < tiles; ++tj) {
            const index_t j0 = tj * kPairTile, j1 = imin(b, j0 + kPairTile);
            for (index_t i = i0; i < i1; ++i) {
                T* row = m + i * b;
                const std::int32_t ci = cls[i];
                const index_t start = imax(j0, i + 1);
                if (add) {
                    for (index_t j = start; j < j1; ++j) {
                        const double s = cls[j] == ci ? s_same : s_diff;
                        const T v = static_cast<T>(s * (static_cast<double>(row[j]) +
                                                        static_cast<double>(m[j * b + i])));
                        row[j] = v;
                        m[j * b + i] = v;
                    }
                } else {
                    for (index_t j = start; j < j1; ++j) {
                        const double s = cls[j] == ci ? s_same : s_diff;
                        const T v = static_cast<T>(s * static_cast<double>(row[j]));
                        row[j] = v;
                        m[j * b + i] = v;
                    }
                }
                if (ti == tj) row[i] = T(0);
            }
        }
    }
}

/// alpha_i = sum_j M_ij (Euclidean and squared distances: d loss / d P_i = alpha_i P_i - ...).
template <class T>
void pair_row_sums(const T* m, index_t b, double* alpha, int num_threads) {
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
    for (index_t i = 0; i < b; ++i) {
        const T* row = m + i * b;
        double acc = 0.0;
#pragma omp simd reduction(+ : acc)
        for (index_t j = 0; j < b; ++j) acc += row[j];
        alpha[i] = acc;
    }
}

/// Squared row norms where the distance needs them (not for cosine, whose rows are unit).
template <class T>
std::unique_ptr<double[]> norms_for(PairDistance kind, const T* x, index_t b, index_t d,
                                    int num_threads) {
    auto sn = uninit<double>(b);
    if (kind != PairDistance::Cosine) row_sq_norms(x, b, d, sn.get(), num_threads);
    return sn;
}

/// Makes the row-wise coefficients in m symmetric (symmetrize_pairs) and fills alpha for
/// finish_pair_gradient: the row sums for Euclidean and squared distances, 0 for cosine.
template <class T>
void finish_pair_coefficients(PairDistance kind, T* m, const std::int32_t* cls, index_t b,
                              bool add, double s_same, double s_diff, double* alpha,
                              int num_threads) {
    symmetrize_pairs(m, cls, b, add, s_same, s_diff, num_threads);
    if (kind == PairDistance::Cosine) {
        for (index_t i = 0; i < b; ++i) alpha[i] = 0.0;
    } else {
        pair_row_sums(m, b, alpha, num_threads);
    }
}

}  // namespace detail

/**
 * Finishes the gradient g (b x d, in place). With from_product, g holds M P and becomes
 * g_i = alpha_i P_i - g_i (alpha null: 0); otherwise g already is d loss / d P. Then, if
 * inv_norm is given (cosine: P_i = x_i / ||x_i||), g becomes the gradient with respect to the
 * unnormalised x_i: (g_i - (g_i . P_i) P_i) / ||x_i|| (0 for a zero row).
 */
template <class T>
void finish_pair_gradient(const T* p, const double* alpha, const double* inv_norm, index_t b,
                          index_t d, bool from_product, T* prod, int num_threads) {
    const bool parallel = num_threads > 1 && b * d >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
    for (index_t i = 0; i < b; ++i) {
        const T* pi = p + i * d;
        T* gi = prod + i * d;
        if (from_product && alpha) {
            const double a = alpha[i];
#pragma omp simd
            for (index_t k = 0; k < d; ++k) gi[k] = static_cast<T>(a * pi[k] - gi[k]);
        } else if (from_product) {
#pragma omp simd
            for (index_t k = 0; k < d; ++k) gi[k] = -gi[k];
        }
        if (!inv_norm) continue;
        double dot = 0.0;
#pragma omp simd reduction(+ : dot)
        for (index_t k = 0; k < d; ++k) dot += static_cast<double>(gi[k]) * pi[k];
        const double inv = inv_norm[i];
#pragma omp simd
        for (index_t k = 0; k < d; ++k) gi[k] = static_cast<T>(inv * (gi[k] - dot * pi[k]));
    }
}

/// Rows of x scaled to unit L2 norm (zero rows stay zero) into out; inv_norm gets 1 / ||x_i||
/// (0 for a zero row).
template <class T>
void normalize_rows(const T* x, index_t b, index_t d, T* out, double* inv_norm,
                    int num_threads) {
    detail::row_sq_norms(x, b, d, inv_norm, num_threads);
    const bool parallel = num_threads > 1 && b * d >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
    for (index_t i = 0; i < b; ++i) {
        const double s = inv_norm[i];
        const double inv = s > 0.0 ? 1.0 / std::sqrt(s) : 0.0;
        inv_norm[i] = inv;
#pragma omp simd
        for (index_t k = 0; k < d; ++k) out[i * d + k] = static_cast<T>(x[i * d + k] * inv);
    }
}

FASTLOSS_END_ISA_NAMESPACE
