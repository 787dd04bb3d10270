// Angular loss (Wang, Zhou, Wen, Liu, Lin, ICCV 2017), t = tan(alpha):
//   hinge   l = max(0, ||a - p||^2 - 4 t^2 ||n - c||^2),  c = (a + p) / 2          (eq. 5)
//   N-pair  f_apn = 4 t^2 (a + p) . n - 2 (1 + t^2) a . p,
//           l_ap = log(1 + sum_n exp f_apn)                                       (eq. 9)
// on explicit triplets (N-pair: a softplus per triplet) and over a labelled batch: every
// ordered positive pair (a, p) against every embedding of another class (N-pair: mean over the
// pairs, pytorch-metric-learning's AngularLoss; hinge: over the triplets).
#pragma once

#include <cmath>

#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/vmath.hpp"
#include "fastloss/metric/pair_matrix.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

inline double tan_sq_degrees(double alpha_deg) {
    const double t = std::tan(alpha_deg * 3.14159265358979323846 / 180.0);
    return t * t;
}

}  // namespace detail

/**
 * Angular loss of `rows` explicit triplets of d values; out.grad receives d / d anchor, grad_p
 * and grad_n d / d positive and d / d negative. Dot products and gradients in double.
 */
template <class T>
void angular_loss(const T* a, const T* pos, const T* neg, index_t rows, index_t d,
                  double alpha_deg, bool npair, LossOutput<T>& out, T* grad_p, T* grad_n,
                  int num_threads) {
    const double t2 = detail::tan_sq_degrees(alpha_deg);
    const GradCoef<T> gc(out, static_cast<double>(rows));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad_a = out.grad;
    const bool want = grad_a && grad_p && grad_n;
    const double sum = ordered_block_sum(
        rows, rows_per_block(d), rows * d, num_threads, [&](index_t b, index_t e) {
            double acc = 0.0;
            for (index_t i = b; i < e; ++i) {
                const T* ai = a + i * d;
                const T* pi = pos + i * d;
                const T* ni = neg + i * d;
                double l = 0.0, dl = 0.0;
                if (npair) {
                    double apn = 0.0, ap = 0.0;
#pragma omp simd reduction(+ : apn, ap)
                    for (index_t k = 0; k < d; ++k) {
                        apn += (static_cast<double>(ai[k]) + pi[k]) * ni[k];
                        ap += static_cast<double>(ai[k]) * pi[k];
                    }
                    const double f = 4.0 * t2 * apn - 2.0 * (1.0 + t2) * ap;
                    l = f > 0.0 ? f + std::log1p(std::exp(-f)) : std::log1p(std::exp(f));
                    dl = f > 0.0 ? 1.0 / (1.0 + std::exp(-f)) : std::exp(f) / (1.0 + std::exp(f));
                    if (f != f) l = dl = f;
                } else {
                    double ap = 0.0, nc = 0.0;
#pragma omp simd reduction(+ : ap, nc)
                    for (index_t k = 0; k < d; ++k) {
                        const double u = static_cast<double>(ai[k]) - pi[k];
                        const double v =
                            ni[k] - 0.5 * (static_cast<double>(ai[k]) + pi[k]);
                        ap += u * u;
                        nc += v * v;
                    }
                    const double v = ap - 4.0 * t2 * nc;
                    l = v > 0.0 ? v : (v <= 0.0 ? 0.0 : v);
                    dl = v > 0.0 ? 1.0 : 0.0;
                }
                acc += l;
                if (per_item) per_item[i] = static_cast<T>(l);
                if (!want) continue;
                const double c = gc.at(i) * dl;
                T* ga = grad_a + i * d;
                T* gp = grad_p + i * d;
                T* gn = grad_n + i * d;
                if (npair) {
                    const double u = 4.0 * t2, w = 2.0 * (1.0 + t2);
#pragma omp simd
                    for (index_t k = 0; k < d; ++k) {
                        const double ak = ai[k], pk = pi[k], nk = ni[k];
                        ga[k] = static_cast<T>(c * (u * nk - w * pk));
                        gp[k] = static_cast<T>(c * (u * nk - w * ak));
                        gn[k] = static_cast<T>(c * u * (ak + pk));
                    }
                } else {
                    const double u = 4.0 * t2;
#pragma omp simd
                    for (index_t k = 0; k < d; ++k) {
                        const double ak = ai[k], pk = pi[k];
                        const double nc = ni[k] - 0.5 * (ak + pk);
                        ga[k] = static_cast<T>(c * (2.0 * (ak - pk) + u * nc));
                        gp[k] = static_cast<T>(c * (-2.0 * (ak - pk) + u * nc));
                        gn[k] = static_cast<T>(c * -2.0 * u * nc);
                    }
                }
            }
            return acc;
        });
    store_total(out, sum, static_cast<double>(rows));
}

namespace detail {

/// l_ap of one positive pair over the negatives (neg[j] = 1) of row G_a and row G_p; with r,
/// adds the softmax weights pi_apn to r[j] and returns their sum in *pi_sum. f: scratch (b).
template <class T>
FASTLOSS_NOINLINE double npair_log_loss(const T* ga, const T* gp, const T* neg, index_t b,
                                        T four_t2, T cap, T* f, T* r, double* pi_sum) {
    const T lowest = -std::numeric_limits<T>::infinity();
    T mx = T(0);  // the "1 +" term: exp(0)
#pragma omp simd reduction(max : mx)
    for (index_t j = 0; j < b; ++j) {
        const T v = four_t2 * (ga[j] + gp[j]) - cap;
        // non-negatives kept at -inf (exp 0): mx is the negatives' maximum, so a positive's
        // f - mx could overflow exp, and 0 * inf is NaN
        const T m = neg[j] > T(0) ? v : lowest;
        f[j] = m;
        mx = m > mx ? m : mx;
    }
    double total = 0.0;
    constexpr index_t chunk = 256;
    for (index_t j0 = 0; j0 < b; j0 += chunk) {
        const index_t j1 = imin(b, j0 + chunk);
        T s = T(0);
#pragma omp simd reduction(+ : s)
        for (index_t j = j0; j < j1; ++j) {
            const T e = neg[j] * vm::exp_nonpositive(f[j] - mx);
            f[j] = e;
            s += e;
        }
        total += static_cast<double>(s);
    }
    const double m = static_cast<double>(mx);
    const double den = std::exp(-m) + total;
    if (r) {
        const T inv = static_cast<T>(1.0 / den);
#pragma omp simd
        for (index_t j = 0; j < b; ++j) r[j] += f[j] * inv;
        *pi_sum = total / den;
    }
    return m + std::log(den);
}

/// Hinge form, pair (a, p) over the negatives: l = k0 + u (h_j + G_pj) with u = 4 t^2,
/// h_j = G_aj - |x_j|^2 and k0 = |a - p|^2 - u |c|^2 (so l = |a - p|^2 - u |x_j - c|^2).
/// Adds the losses to *sum and the active triplets to *count and, with r, to r[j].
template <class T>
FASTLOSS_NOINLINE void angular_hinge_pair(const T* h, const T* gp, const T* neg, index_t b, T k0,
                                          T u, T* r, double* sum, double* count) {
    constexpr index_t chunk = 256;  // float partials over at most chunk / lanes terms
    for (index_t j0 = 0; j0 < b; j0 += chunk) {
        const index_t j1 = imin(b, j0 + chunk);
        T s = T(0), cnt = T(0);
        if (r) {
#pragma omp simd reduction(+ : s, cnt)
            for (index_t j = j0; j < j1; ++j) {
                const T v = k0 + u * (h[j] + gp[j]);
                const T act = v > T(0) ? neg[j] : T(0);
                s += act * v;  // 0 * NaN = NaN: a NaN poisons the sum
                cnt += act;
                r[j] += act;
            }
        } else {
#pragma omp simd reduction(+ : s, cnt)
            for (index_t j = j0; j < j1; ++j) {
                const T v = k0 + u * (h[j] + gp[j]);
                const T act = v > T(0) ? neg[j] : T(0);
                s += act * v;
                cnt += act;
            }
        }
        *sum += static_cast<double>(s);
        *count += static_cast<double>(cnt);
    }
}

/// Members of each class in index order (counting sort): class c is member[start[c]..start[c+1]).
struct ClassMembers {
    std::unique_ptr<index_t[]> start, member;
    index_t largest = 0;

    ClassMembers(const std::int32_t* cls, index_t n_classes, index_t b)
        : start(uninit<index_t>(n_classes + 1)), member(uninit<index_t>(b)) {
        for (index_t c = 0; c <= n_classes; ++c) start[c] = 0;
        for (index_t i = 0; i < b; ++i) ++start[cls[i] + 1];
        for (index_t c = 0; c < n_classes; ++c) {
            largest = imax(largest, start[c + 1]);
            start[c + 1] += start[c];
        }
        auto fill = uninit<index_t>(n_classes);
        for (index_t c = 0; c < n_classes; ++c) fill[c] = start[c];
        for (index_t i = 0; i < b; ++i) member[fill[cls[i]]++] = i;
    }
};

/// C_i = sum over rows j of another class than i of m[j][i] (columns split among threads;
/// the values are counts, so any order gives the same double sum).
template <class T>
void other_class_column_sums(const T* m, const std::int32_t* cls, index_t b, double* out,
                             int num_threads) {
    const index_t cols = 64, blocks = (b + cols - 1) / cols;
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(static) num_threads(num_threads) if (parallel)
    for (index_t cb = 0; cb < blocks; ++cb) {
        const index_t i0 = cb * cols, i1 = imin(b, i0 + cols);
        for (index_t i = i0; i < i1; ++i) out[i] = 0.0;
        for (index_t j = 0; j < b; ++j) {
            const T* row = m + j * b;
            for (index_t i = i0; i < i1; ++i)
                if (cls[i] != cls[j]) out[i] += static_cast<double>(row[i]);
        }
    }
}

}  // namespace detail

/**
 * Angular loss over a labelled batch: x (b x d) as given (not normalised), class ids cls in
 * [0, n_classes), gram = x x^T. N-pair form: the mean of l_ap over the ordered positive pairs;
 * hinge form: over every triplet (a, p, n), averaged over the triplets with positive loss or
 * over all (prm.average_nonzero). 0 when nothing counts. With want_grad, gram is overwritten
 * with the coefficients M and, for the hinge form, alpha filled: d loss / d x = alpha x - M x
 * (finish_pair_gradient; alpha = null for the N-pair form).
 * Memory: besides gram, (largest class) x b values for the weights of one class.
 */
template <class T>
double batch_angular_loss(const T* x, const std::int32_t* cls, index_t n_classes, index_t b,
                          index_t d, T* gram, const AngularParams& prm, bool want_grad,
                          double grad_scale, double* alpha, int num_threads) {
    const double t2 = detail::tan_sq_degrees(prm.alpha_deg);
    const double u = 4.0 * t2;
    const bool npair = prm.npair;
    const detail::ClassMembers classes(cls, n_classes, b);
    const index_t* start = classes.start.get();
    const index_t* member = classes.member.get();
    auto sn = detail::uninit<double>(b);  // squared norms, for the hinge form
    if (!npair) detail::row_sq_norms(x, b, d, sn.get(), num_threads);
    auto anchor_loss = detail::uninit<double>(b);
    auto anchor_nonzero = detail::uninit<double>(b);
    auto r_rows = want_grad ? detail::uninit<T>(classes.largest * b) : nullptr;
    double pairs = 0.0, triplets = 0.0;
    const bool parallel = num_threads > 1 && b * b >= kParallelThreshold;
    (void)parallel;
    // Rows of class c are read only by anchors of class c: each class's weights go back into
    // its own rows of gram once the class is done.
    CancelToken* const cancel = current_cancel_token();
    for (index_t c = 0; c < n_classes; ++c) {
        if (stop_requested(cancel)) return 0.0;  // classes left: the caller discards it all
        const index_t c0 = start[c], k = start[c + 1] - c0;
        pairs += static_cast<double>(k) * static_cast<double>(k - 1);
        triplets += static_cast<double>(k) * static_cast<double>(k - 1) *
                    static_cast<double>(b - k);
        if (k < 2) {  // a lone member is no anchor (but may be another class's negative)
            for (index_t q = 0; q < k; ++q) {
                const index_t a = member[c0 + q];
                anchor_loss[a] = anchor_nonzero[a] = 0.0;
                if (want_grad)
                    for (index_t j = 0; j < b; ++j) gram[a * b + j] = T(0);
            }
            continue;
        }
#pragma omp parallel num_threads(num_threads) if (parallel)
        {
            auto f = detail::uninit<T>(b);  // N-pair scratch, or the hinge's h
            auto neg = detail::uninit<T>(b);
            auto pair_weight = detail::uninit<double>(k);
#pragma omp for schedule(static)
            for (index_t q = 0; q < k; ++q) {
                const index_t a = member[c0 + q];
                const T* ga = gram + a * b;
                for (index_t j = 0; j < b; ++j) neg[j] = cls[j] == c ? T(0) : T(1);
                if (!npair)
                    for (index_t j = 0; j < b; ++j) f[j] = static_cast<T>(ga[j] - sn[j]);
                T* r = want_grad ? r_rows.get() + q * b : nullptr;
                if (r)
                    for (index_t j = 0; j < b; ++j) r[j] = T(0);
                double acc = 0.0, nonzero = 0.0;
                for (index_t qp = 0; qp < k; ++qp) {
                    if (qp == q) continue;
                    const index_t p = member[c0 + qp];
                    const T* gp = gram + p * b;
                    const double g_ap = ga[p];
                    if (npair) {
                        const T cap = static_cast<T>(2.0 * (1.0 + t2) * g_ap);
                        acc += detail::npair_log_loss(ga, gp, neg.get(), b, static_cast<T>(u),
                                                      cap, f.get(), r, &pair_weight[qp]);
                    } else {
                        const double sq_ap = sn[a] + sn[p] - 2.0 * g_ap;
                        const double cc = 0.25 * (sn[a] + sn[p] + 2.0 * g_ap);
                        double count = 0.0;
                        detail::angular_hinge_pair(f.get(), gp, neg.get(), b,
                                                   static_cast<T>(sq_ap - u * cc),
                                                   static_cast<T>(u), r, &acc, &count);
                        nonzero += count;
                        pair_weight[qp] = count;
                    }
                }
                anchor_loss[a] = acc;
                anchor_nonzero[a] = nonzero;
                if (r) {  // positives: the pair's weight (neg[p] = 0 kept r[p] = 0)
                    for (index_t qp = 0; qp < k; ++qp)
                        if (qp != q) r[member[c0 + qp]] = static_cast<T>(pair_weight[qp]);
                }
            }
        }
        if (!want_grad) continue;
        for (index_t q = 0; q < k; ++q) {
            const T* r = r_rows.get() + q * b;
            T* row = gram + member[c0 + q] * b;
            for (index_t j = 0; j < b; ++j) row[j] = r[j];
        }
    }
    double sum = 0.0, nonzero = 0.0;
    for (index_t i = 0; i < b; ++i) {
        sum += anchor_loss[i];
        nonzero += anchor_nonzero[i];
    }
    const double den = npair ? pairs : (prm.average_nonzero ? nonzero : triplets);
    const double value = den > 0.0 ? sum / den : 0.0;
    if (!want_grad) return value;
    const double s = den > 0.0 ? grad_scale / den : 0.0;
    if (npair) {
        // d loss / d x_i = s K x with K_ij = 8 t^2 (R_ij + R_ji) for another class and
        // -2 (1 + t^2) (P_ij + P_ji) within one (pi_apn = pi_pan: f and the negatives are
        // symmetric in a and p); M = -s K.
        detail::symmetrize_pairs(gram, cls, b, true, s * 2.0 * (1.0 + t2), -s * 2.0 * u,
                                 num_threads);
        return value;
    }
    // Hinge: each active triplet adds the quadratic form (1 - u/4)(a.a + p.p) - (2 + u/2) a.p
    // - u n.n + u (a.n + p.n), whose gradient is 2 A x. With R (row a: active counts per
    // negative, per positive) symmetric in a and p, x_i appears D_i times as anchor, D_i times
    // as positive and C_i times as negative: alpha_i = s ((4 - u) D_i - 2 u C_i),
    // M_ij = s 2 (1 + u/4) (R_ij + R_ji) within a class and -s 2 u (R_ij + R_ji) across.
    detail::other_class_column_sums(gram, cls, b, alpha, num_threads);
    for (index_t i = 0; i < b; ++i)
        alpha[i] = s * ((4.0 - u) * anchor_nonzero[i] - 2.0 * u * alpha[i]);
    detail::symmetrize_pairs(gram, cls, b, true, s * 2.0 * (1.0 + 0.25 * u), -s * 2.0 * u,
                             num_threads);
    return value;
}

FASTLOSS_END_ISA_NAMESPACE
