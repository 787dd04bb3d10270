// The knowledge-distillation KL between two sets of logits (Hinton et al. 2015), row by row.
//
// The usual form, KL = D / Sb + log(Sa / Sb) from one pass of exponentials, subtracts nearly
// equal numbers where the two distributions nearly agree (a large temperature, or a student
// close to its teacher): at T = 1e8 it loses every digit. Rows where it would lose more than
// a set precision are recomputed in a form without cancellation (distill_row_stable), in
// double and still SIMD along the row.
#pragma once

#include <cmath>

#include "fastloss/classification/softmax.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// Sums of one row of the distillation loss: Sa = sum e^za, Sb = sum e^zb, D = sum e^zb (zb - za)
/// and D_abs = sum e^zb |zb - za| (how much D's terms cancel), with za = (s - ms) / T,
/// zb = (t - mt) / T.
struct DistillSums {
    double Sa, Sb, D, D_abs;
};

template <class T>
FASTLOSS_NOINLINE DistillSums distill_row_sums(const T* __restrict s, const T* __restrict t,
                                               index_t c, T ms, T mt, T inv_t) {
    double Sa = 0.0, Sb = 0.0, D = 0.0, D_abs = 0.0;
#pragma omp simd reduction(+ : Sa, Sb, D, D_abs)
    for (index_t j = 0; j < c; ++j) {
        const T za = (s[j] - ms) * inv_t;
        const T zb = (t[j] - mt) * inv_t;
        const T eb = vm::exp_nonpositive(zb);
        const double term =
            static_cast<double>(eb) * (static_cast<double>(zb) - static_cast<double>(za));
        Sa += static_cast<double>(vm::exp_nonpositive(za));
        Sb += static_cast<double>(eb);
        D += term;
        D_abs += term < 0.0 ? -term : term;
    }
    return DistillSums{Sa, Sb, D, D_abs};
}

/// g_j = ca e^za_j - cb e^zb_j.
template <class T>
FASTLOSS_NOINLINE void distill_row_grad(const T* __restrict s, const T* __restrict t, index_t c,
                                        T ms, T mt, T inv_t, T ca, T cb, T* __restrict g) {
#pragma omp simd
    for (index_t j = 0; j < c; ++j)
        g[j] = ca * vm::exp_nonpositive((s[j] - ms) * inv_t) -
               cb * vm::exp_nonpositive((t[j] - mt) * inv_t);
}

/// Whether D / Sb + log(Sa / Sb) keeps the KL to a relative error of 2^-16 (float) or 2^-40
/// (double). Its absolute error is about the rounding unit of T times (D_abs / Sb + 2): the
/// z's and exps are rounded in T, and log(Sa / Sb) is exact to a few units whatever its size.
/// False for NaN, whose rows the stable form propagates as well.
template <class T>
bool distill_fast_is_accurate(double kl, double d_abs_over_sb) {
    constexpr double headroom = sizeof(T) == 4 ? 0x1p-8 : 0x1p-13;  // rounding unit / tolerance
    return kl >= headroom * (d_abs_over_sb + 2.0);
}

/// Taylor coefficients on |x| <= 1/2, each series stopping below double rounding there:
///   e^x - 1 = x sum_{n=0}^{14} x^n / (n + 1)!,
///   phi(x) / x^2 = sum_{n=0}^{15} x^n (n + 1) / (n + 2)!,
/// with phi(x) = 1 + (x - 1) e^x = sum_{n >= 2} (n - 1) x^n / n!.
struct SmallSeries {
    double expm1[15], phi[16];

    constexpr SmallSeries() : expm1(), phi() {
        double inv_fact = 1.0;  // 1 / m!
        for (int m = 1; m <= 17; ++m) {
            inv_fact /= m;
            if (m <= 15) expm1[m - 1] = inv_fact;
            if (m >= 2) phi[m - 2] = (m - 1) * inv_fact;
        }
    }
};
constexpr SmallSeries kSmallSeries{};

/// e^x - 1 for |x| <= 1/2, without the cancellation of exp(x) - 1.
FASTLOSS_ALWAYS_INLINE double expm1_small(double x) {
    double acc = kSmallSeries.expm1[14];
    for (int k = 13; k >= 0; --k) acc = acc * x + kSmallSeries.expm1[k];
    return acc * x;
}

/// phi(x) / x^2 for |x| <= 1/2.
FASTLOSS_ALWAYS_INLINE double phi_over_square_small(double x) {
    double acc = kSmallSeries.phi[15];
    for (int k = 14; k >= 0; --k) acc = acc * x + kSmallSeries.phi[k];
    return acc;
}

/// The student's largest logit, and t_k - s_k at its first position k: the centre of the
/// w_j below. Where this form is used the distributions nearly agree, so p_k ~ q_k >= 1 / C and
/// no w_j is large (a centre at a class of negligible q would make every w_j large).
template <class T>
void stable_row_centre(const T* s, const T* t, index_t c, double* ms_out, double* centre_out) {
    const T ms = row_max(s, c);
    index_t k = 0;
    while (k + 1 < c && !(s[k] == ms)) ++k;  // NaN rows: any k, the result is NaN anyway
    *ms_out = static_cast<double>(ms);
    *centre_out = static_cast<double>(t[k]) - static_cast<double>(s[k]);
}

/// sum_j e^((s_j - ms) / T)
template <class T>
FASTLOSS_NOINLINE double stable_row_sa(const T* __restrict s, index_t c, double ms, double inv_t) {
    double sa = 0.0;
#pragma omp simd reduction(+ : sa)
    for (index_t j = 0; j < c; ++j)
        sa += vm::exp_nonpositive((static_cast<double>(s[j]) - ms) * inv_t);
    return sa;
}

/// sum_j q_j expm1(w_j), w_j = ((t_j - s_j) - centre) / T; q_j e^w_j = e^(log q_j + w_j).
template <class T>
FASTLOSS_NOINLINE double stable_row_m(const T* __restrict s, const T* __restrict t, index_t c,
                                      double ms, double centre, double log_sa, double inv_t) {
    double m = 0.0;
#pragma omp simd reduction(+ : m)
    for (index_t j = 0; j < c; ++j) {
        const double sj = static_cast<double>(s[j]);
        const double lq = (sj - ms) * inv_t - log_sa;
        const double w = ((static_cast<double>(t[j]) - sj) - centre) * inv_t;
        const double q = vm::exp_nonpositive(lq);
        const bool small = w >= -0.5 && w <= 0.5;
        m += small ? q * expm1_small(w) : vm::exp(lq + w) - q;
    }
    return m;
}

/// KL = sum_j q_j phi(eps_j) and, if StoreGrad, g_j = ci (q_j - p_j).
template <bool StoreGrad, class T>
FASTLOSS_NOINLINE double stable_row_kl(const T* __restrict s, const T* __restrict t, index_t c,
                                       double ms, double centre, double log_sa, double L,
                                       double inv_t, double ci, T* __restrict g) {
    double kl = 0.0;
#pragma omp simd reduction(+ : kl)
    for (index_t j = 0; j < c; ++j) {
        const double sj = static_cast<double>(s[j]);
        const double lq = (sj - ms) * inv_t - log_sa;
        const double eps = ((static_cast<double>(t[j]) - sj) - centre) * inv_t - L;
        const double q = vm::exp_nonpositive(lq);
        const double p = vm::exp(lq + eps);  // log p
        const bool small = eps >= -0.5 && eps <= 0.5;
        kl += small ? q * eps * eps * phi_over_square_small(eps) : q + (eps - 1.0) * p;
        if constexpr (StoreGrad)
            g[j] = static_cast<T>(ci * (small ? -q * expm1_small(eps) : q - p));
    }
    return kl;
}

/**
 * One row's KL without cancellation. With log q_j = (s_j - max s) / T - log Sa,
 * w_j = ((t_j - s_j) - (t_k - s_k)) / T for k = argmax s and L = log1p(sum_j q_j expm1(w_j)),
 * eps_j = log p_j - log q_j = w_j - L exactly; since sum_j q_j e^eps_j = 1,
 *   KL = sum_j q_j phi(eps_j) (every term >= 0),   q_j - p_j = -q_j expm1(eps_j),
 * each from a series where the closed form would cancel. Returns KL; writes g_j = ci (q_j - p_j)
 * if g is non-null.
 */
template <class T>
double distill_row_stable(const T* s, const T* t, index_t c, double temperature, double ci, T* g) {
    const double inv_t = 1.0 / temperature;
    double ms, centre;
    stable_row_centre(s, t, c, &ms, &centre);
    const double log_sa = std::log(stable_row_sa(s, c, ms, inv_t));
    const double L = std::log1p(stable_row_m(s, t, c, ms, centre, log_sa, inv_t));
    if (g) return stable_row_kl<true>(s, t, c, ms, centre, log_sa, L, inv_t, ci, g);
    return stable_row_kl<false>(s, t, c, ms, centre, log_sa, L, inv_t, ci, g);
}

}  // namespace detail

/**
 * Knowledge-distillation KL (Hinton et al. 2015), per row:
 *   l_i = T^2 KL(softmax(t_i / T) || softmax(s_i / T)),   d l_i / d s_ij = T (q_ij - p_ij).
 *
 * student, teacher: (n, c) logits; temperature T > 0 (the caller keeps T^2 and the logits / T
 * finite). Mean divides by n (the batch mean).
 */
template <class T>
void distillation_kl(const T* student, const T* teacher, index_t n, index_t c, double temperature,
                     LossOutput<T>& out, int num_threads) {
    const T inv_t = static_cast<T>(1.0 / temperature);
    const double t2 = temperature * temperature;
    const GradCoef<T> coef(out, static_cast<double>(n));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const double sum =
        ordered_block_sum(n, rows_per_block(c), 2 * n * c, num_threads, [&](index_t b, index_t e) {
            double acc = 0.0;
            for (index_t i = b; i < e; ++i) {
                const T* s = student + i * c;
                const T* t = teacher + i * c;
                T* g = grad ? grad + i * c : nullptr;
                const T ms = detail::row_max(s, c);
                const T mt = detail::row_max(t, c);
                const detail::DistillSums r = detail::distill_row_sums(s, t, c, ms, mt, inv_t);
                // sum_c p_c (log p_c - log q_c) = D / Sb + log(Sa / Sb)
                double kl = r.D / r.Sb + std::log(r.Sa / r.Sb);
                const double ci = g ? coef.at(i) * temperature : 0.0;
                if (!detail::distill_fast_is_accurate<T>(kl, r.D_abs / r.Sb))
                    kl = detail::distill_row_stable(s, t, c, temperature, ci, g);
                else if (g)
                    detail::distill_row_grad(s, t, c, ms, mt, inv_t, static_cast<T>(ci / r.Sa),
                                             static_cast<T>(ci / r.Sb), g);
                const double loss = t2 * kl;
                acc += loss;
                if (per_item) per_item[i] = static_cast<T>(loss);
            }
            return acc;
        });
    store_total(out, sum, static_cast<double>(n));
}

FASTLOSS_END_ISA_NAMESPACE
