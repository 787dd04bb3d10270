// Metric-learning losses on explicit pairs and triplets, PyTorch's conventions:
//   margin ranking  l_i = max(0, -y_i (x1_i - x2_i) + margin)          (element-wise)
//   triplet margin  l_i = max(0, d(a_i, p_i) - d(a_i, n_i) + margin)   (row-wise)
// with d(u, v) = ||u - v + eps||_p, p in [1, inf] (torch.nn.functional.pairwise_distance adds
// eps to the difference) and, with swap, d(a, n) replaced by min(d(a, n), d(p, n)) (Balntas et al. 2016).
#pragma once

#include <cmath>
#include <limits>

#include "fastloss/common/elementwise.hpp"

namespace fastloss {

struct TripletParams {
    double margin = 1.0;
    double p = 2.0;
    double eps = 1e-6;
    bool swap = false;
};

}  // namespace fastloss

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

template <class T>
FASTLOSS_NOINLINE void margin_ranking_tile(const T* __restrict x1, const T* __restrict x2,
                                           const T* __restrict y, T margin, index_t len,
                                           T* __restrict loss, T* __restrict dloss) {
#pragma omp simd
    for (index_t j = 0; j < len; ++j) {
        const T v = margin - y[j] * (x1[j] - x2[j]);
        loss[j] = v <= T(0) ? T(0) : v;  // NaN stays NaN
        dloss[j] = v > T(0) ? -y[j] : T(0);
    }
}

/// ||v||_inf of v = a - b + eps and, if u is given, its gradient: sign(v_k) shared equally
/// among the coordinates where |v_k| is the maximum (PyTorch's choice at ties), 0 elsewhere.
template <class T>
double eps_chebyshev(const T* __restrict a, const T* __restrict b, index_t d, double eps,
                     double* __restrict u) {
    double norm = 0.0;
    bool nan = false;
    for (index_t k = 0; k < d; ++k) {
        const double v = std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps);
        norm = v > norm ? v : norm;
        nan |= v != v;
    }
    if (nan) norm = std::numeric_limits<double>::quiet_NaN();  // NaN in, NaN out
    if (!u) return norm;
    double ties = 0.0;
    for (index_t k = 0; k < d; ++k) {
        const double v = static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps;
        const bool at_max = norm > 0.0 && std::fabs(v) == norm;
        u[k] = at_max ? (v > 0.0 ? 1.0 : -1.0) : 0.0;
        ties += at_max ? 1.0 : 0.0;
    }
    if (ties > 1.0)
        for (index_t k = 0; k < d; ++k) u[k] /= ties;
    return norm;
}

/// ||v||_p of v = a - b + eps (in double), and, if u is given, its gradient w.r.t. v into u
/// (0 where the norm is 0). One loop per kind of norm: no loop-invariant branch inside a
/// loop (it would keep the loop scalar).
template <class T>
double eps_norm(const T* __restrict a, const T* __restrict b, index_t d, double p, double eps,
                double* __restrict u) {
    if (std::isinf(p)) return eps_chebyshev(a, b, d, eps, u);
    double acc = 0.0;
    if (p == 2.0) {
#pragma omp simd reduction(+ : acc)
        for (index_t k = 0; k < d; ++k) {
            const double v = static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps;
            acc += v * v;
        }
    } else if (p == 1.0) {
#pragma omp simd reduction(+ : acc)
        for (index_t k = 0; k < d; ++k)
            acc += std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps);
    } else {
        for (index_t k = 0; k < d; ++k)
            acc += std::pow(std::fabs(static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps),
                            p);
    }
    const double norm = p == 2.0 ? std::sqrt(acc) : (p == 1.0 ? acc : std::pow(acc, 1.0 / p));
    if (!u) return norm;
    if (norm == 0.0) {
        for (index_t k = 0; k < d; ++k) u[k] = 0.0;
    } else if (p == 2.0) {
        const double inv = 1.0 / norm;
#pragma omp simd
        for (index_t k = 0; k < d; ++k)
            u[k] = (static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps) * inv;
    } else if (p == 1.0) {
#pragma omp simd
        for (index_t k = 0; k < d; ++k) {
            const double v = static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps;
            u[k] = v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0);
        }
    } else {
        for (index_t k = 0; k < d; ++k) {
            const double v = static_cast<double>(a[k]) - static_cast<double>(b[k]) + eps;
            const double s = static_cast<double>((v > 0.0) - (v < 0.0));
            u[k] = s * std::pow(std::fabs(v) / norm, p - 1.0);
        }
    }
    return norm;
}

}  // namespace detail

/**
 * Margin ranking loss (torch.nn.functional.margin_ranking_loss) over n elements; out.grad
 * receives d / d x1 and grad_x2 (same layout) d / d x2 = -d / d x1. Mean divides by n.
 */
template <class T>
void margin_ranking_loss(const T* x1, const T* x2, const T* y, index_t n, double margin,
                         LossOutput<T>& out, T* grad_x2, int num_threads) {
    const T m = static_cast<T>(margin);
    elementwise_loss(n, n, out, static_cast<double>(n), num_threads,
                     [&](index_t i0, index_t, index_t len, T* loss, T* dloss) {
                         detail::margin_ranking_tile(x1 + i0, x2 + i0, y + i0, m, len, loss,
                                                     dloss);
                         return 0.0;
                     });
    if (!out.grad || !grad_x2) return;
    const T* g = out.grad;
    const bool parallel = num_threads > 1 && n >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for simd schedule(static) num_threads(num_threads) if (parallel)
    for (index_t i = 0; i < n; ++i) grad_x2[i] = -g[i];
}

/**
 * Triplet margin loss (torch.nn.functional.triplet_margin_loss) over `rows` triplets of d
 * values; out.grad receives d / d anchor, grad_p and grad_n d / d positive and d / d negative
 * (all row-major, like the inputs). Mean divides by rows. Norms and gradients in double.
 */
template <class T>
void triplet_margin_loss(const T* a, const T* pos, const T* neg, index_t rows, index_t d,
                         const TripletParams& prm, LossOutput<T>& out, T* grad_p, T* grad_n,
                         int num_threads) {
    const GradCoef<T> gc(out, static_cast<double>(rows));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad_a = out.grad;
    const bool want = grad_a && grad_p && grad_n;
    const double sum = ordered_block_sum(
        rows, rows_per_block(d), rows * d, num_threads, [&](index_t b, index_t e) {
            std::unique_ptr<double[]> u(new double[static_cast<std::size_t>(3 * d)]);
            double* u1 = u.get();
            double* u2 = u1 + d;
            double* u3 = u2 + d;
            double acc = 0.0;
            for (index_t i = b; i < e; ++i) {
                const T* ai = a + i * d;
                const T* pi = pos + i * d;
                const T* ni = neg + i * d;
                const double d_ap = detail::eps_norm(ai, pi, d, prm.p, prm.eps, want ? u1 : nullptr);
                const double d_an = detail::eps_norm(ai, ni, d, prm.p, prm.eps, want ? u2 : nullptr);
                bool use_pn = false;
                double d_neg = d_an;
                if (prm.swap) {
                    const double d_pn =
                        detail::eps_norm(pi, ni, d, prm.p, prm.eps, want ? u3 : nullptr);
                    use_pn = d_pn < d_an;  // ties keep d(a, n)
                    d_neg = use_pn ? d_pn : d_an;
                }
                const double v = d_ap - d_neg + prm.margin;
                const double l = v <= 0.0 ? 0.0 : v;  // NaN stays NaN
                acc += l;
                if (per_item) per_item[i] = static_cast<T>(l);
                if (!want) continue;
                const double c = v > 0.0 ? gc.at(i) : 0.0;
                T* ga = grad_a + i * d;
                T* gp = grad_p + i * d;
                T* gn = grad_n + i * d;
                if (c == 0.0) {  // inactive (or NaN): zeros, not 0 times a NaN direction
                    for (index_t k = 0; k < d; ++k) ga[k] = gp[k] = gn[k] = T(0);
                    continue;
                }
                for (index_t k = 0; k < d; ++k) {
                    const double neg_a = use_pn ? 0.0 : u2[k];  // d(a, n) / d a
                    const double neg_p = use_pn ? u3[k] : 0.0;  // d(p, n) / d p
                    ga[k] = static_cast<T>(c * (u1[k] - neg_a));
                    gp[k] = static_cast<T>(c * (-u1[k] - neg_p));
                    gn[k] = static_cast<T>(c * (neg_a + neg_p));
                }
            }
            return acc;
        });
    store_total(out, sum, static_cast<double>(rows));
}

FASTLOSS_END_ISA_NAMESPACE
