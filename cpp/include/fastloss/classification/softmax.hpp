// Softmax losses over rows of C contiguous logits: cross-entropy with integer labels or with
// probability targets, the softmax focal loss, and the distillation KL between two sets of
// logits. Each row is read from memory once: the row (<= a few KiB) stays in L1 while the
// max, the sum of exponentials and the gradient are computed.
#pragma once

#include <cmath>

#include "fastloss/common/elementwise.hpp"
#include "fastloss/common/types.hpp"
#include "fastloss/common/vmath.hpp"

namespace fastloss {

struct CrossEntropyParams {
    index_t ignore_index = -100;
    double label_smoothing = 0.0;
};

}  // namespace fastloss

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/**
 * Softmax statistics of one row: m = max_c x_c, e_c = exp(x_c - m), S = sum_c e_c = k + R
 * where k counts the entries equal to m and R sums the others. log S = log1p(k - 1 + R) keeps
 * full relative accuracy when one class dominates (S close to 1).
 */
struct RowStats {
    double m, S, R, k, log_S;
};

/// e_out (C,) receives e_c when non-null.
template <class T>
inline RowStats row_softmax_stats(const T* x, index_t c, T* e_out) {
    T mx = x[0];
#pragma omp simd reduction(max : mx)
    for (index_t j = 1; j < c; ++j) mx = x[j] > mx ? x[j] : mx;
    double R = 0.0, k = 0.0;
    if (e_out) {
#pragma omp simd reduction(+ : R, k)
        for (index_t j = 0; j < c; ++j) {
            const T e = vm::exp(x[j] - mx);
            e_out[j] = e;
            const bool top = x[j] == mx;
            R += top ? 0.0 : static_cast<double>(e);
            k += top ? 1.0 : 0.0;
        }
    } else {
#pragma omp simd reduction(+ : R, k)
        for (index_t j = 0; j < c; ++j) {
            const T e = vm::exp(x[j] - mx);
            const bool top = x[j] == mx;
            R += top ? 0.0 : static_cast<double>(e);
            k += top ? 1.0 : 0.0;
        }
    }
    RowStats s;
    s.m = static_cast<double>(mx);
    s.R = R;
    s.k = k;
    s.S = k + R;
    s.log_S = std::log1p((k - 1.0) + R);
    return s;
}

/// -log softmax(x)_y = (m - x_y) + log S: both terms >= 0, so no cancellation.
template <class T>
inline double row_nll(const T* x, index_t y, const RowStats& s) {
    return (s.m - static_cast<double>(x[y])) + s.log_S;
}

/// Sum of the label weights of the rows that are not ignored (the Mean denominator).
template <class T>
double label_weight_sum(const index_t* labels, index_t n, const T* class_weight,
                        index_t ignore_index, int num_threads) {
    return ordered_block_sum(n, kElementBlock, n, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
        for (index_t i = b; i < e; ++i) {
            const index_t y = labels[i];
            if (y == ignore_index) continue;
            acc += class_weight ? static_cast<double>(class_weight[y]) : 1.0;
        }
        return acc;
    });
}

/// Writes zeros over a row's gradient and loss (ignored rows).
template <class T>
inline void zero_row(index_t i, index_t c, T* per_item, T* grad) {
    if (per_item) per_item[i] = T(0);
    if (!grad) return;
    T* g = grad + i * c;
    for (index_t j = 0; j < c; ++j) g[j] = T(0);
}

}  // namespace detail

namespace detail {

/// The weight of class j, or 1 when the kernel is instantiated without class weights.
template <bool HasWeight, class T>
inline T class_weight_at(const T* w, index_t j) {
    if constexpr (HasWeight) return w[j];
    else return T(1);
}

template <bool HasWeight, class T>
void cross_entropy_labels_impl(const T* logits, const index_t* labels, index_t n, index_t c,
                               const T* class_weight, const CrossEntropyParams& params,
                               LossOutput<T>& out, int num_threads) {
    const double eps = params.label_smoothing;
    const double denom = out.reduction == Reduction::Mean
        ? detail::label_weight_sum(labels, n, class_weight, params.ignore_index, num_threads)
        : 1.0;
    double w_total = static_cast<double>(c);
    if (class_weight) {
        w_total = 0.0;
        for (index_t j = 0; j < c; ++j) w_total += static_cast<double>(class_weight[j]);
    }
    const GradCoef<T> coef(out, denom);
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const double sum = ordered_block_sum(n, rows_per_block(c), n * c, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
        for (index_t i = b; i < e; ++i) {
            const index_t y = labels[i];
            if (y == params.ignore_index) {
                detail::zero_row(i, c, per_item, grad);
                continue;
            }
            const T* x = logits + i * c;
            T* g = grad ? grad + i * c : nullptr;
            const detail::RowStats s = detail::row_softmax_stats(x, c, g);
            const double wy = class_weight ? static_cast<double>(class_weight[y]) : 1.0;
            double loss = (1.0 - eps) * wy * detail::row_nll(x, y, s);
            if (eps > 0.0) {
                double sw = 0.0;  // sum_c w_c (m - x_c)
#pragma omp simd reduction(+ : sw)
                for (index_t j = 0; j < c; ++j)
                    sw += static_cast<double>(class_weight_at<HasWeight>(class_weight, j)) *
                          (s.m - static_cast<double>(x[j]));
                loss += eps / static_cast<double>(c) * (w_total * s.log_S + sw);
            }
            acc += loss;
            if (per_item) per_item[i] = static_cast<T>(loss);
            if (g) {
                // d l / d x_j = a p_j - b_j,  a = (1-eps) w_y + (eps/C) W,  b_j = (1-eps) w_y [j=y] + (eps/C) w_j
                const double ci = coef.at(i);
                const double a = (1.0 - eps) * wy + eps / static_cast<double>(c) * w_total;
                const T ca = static_cast<T>(ci * a / s.S);
                const T cb = static_cast<T>(ci * eps / static_cast<double>(c));
#pragma omp simd
                for (index_t j = 0; j < c; ++j)
                    g[j] = ca * g[j] - cb * class_weight_at<HasWeight>(class_weight, j);
                g[y] -= static_cast<T>(ci * (1.0 - eps) * wy);
            }
        }
        return acc;
    });
    store_total(out, sum, denom);
}

}  // namespace detail

/**
 * Softmax cross-entropy with integer labels (torch.nn.functional.cross_entropy):
 *   l_i = (1 - eps) w_{y_i} nll_i(y_i) + (eps / C) sum_c w_c nll_i(c),  nll_i(c) = lse(x_i) - x_ic.
 *
 * logits: (n, c) row-major; labels: (n,), each in [0, c) or == ignore_index (checked by the
 * caller); class_weight: (c,) or null. Mean divides by the summed weights of the non-ignored
 * rows; if there are none the value and gradient are 0. Ignored rows get loss 0, gradient 0.
 */
template <class T>
void cross_entropy_labels(const T* logits, const index_t* labels, index_t n, index_t c,
                          const T* class_weight, const CrossEntropyParams& params,
                          LossOutput<T>& out, int num_threads) {
    with_flag(class_weight != nullptr, [&](auto has_weight) {
        detail::cross_entropy_labels_impl<decltype(has_weight)::value>(
            logits, labels, n, c, class_weight, params, out, num_threads);
    });
}

/**
 * Softmax cross-entropy with probability targets (PyTorch's soft-label form):
 *   l_i = sum_c w_c t'_ic nll_i(c),  t'_ic = (1 - eps) t_ic + eps / C.
 *
 * logits, targets: (n, c) row-major; class_weight: (c,) or null. Mean divides by n.
 */
namespace detail {

template <bool HasWeight, class T>
void cross_entropy_probs_impl(const T* logits, const T* targets, index_t n, index_t c,
                              const T* class_weight, double label_smoothing, LossOutput<T>& out,
                              int num_threads) {
    const double eps = label_smoothing;
    const double uniform = eps / static_cast<double>(c);
    const GradCoef<T> coef(out, static_cast<double>(n));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const double sum = ordered_block_sum(n, rows_per_block(c), n * c, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
        for (index_t i = b; i < e; ++i) {
            const T* x = logits + i * c;
            const T* t = targets + i * c;
            T* g = grad ? grad + i * c : nullptr;
            const detail::RowStats s = detail::row_softmax_stats(x, c, g);
            double A = 0.0, B = 0.0;  // sum_c w_c t'_c  and  sum_c w_c t'_c (m - x_c)
#pragma omp simd reduction(+ : A, B)
            for (index_t j = 0; j < c; ++j) {
                const double wt = static_cast<double>(class_weight_at<HasWeight>(class_weight, j)) *
                                  ((1.0 - eps) * static_cast<double>(t[j]) + uniform);
                A += wt;
                B += wt * (s.m - static_cast<double>(x[j]));
            }
            const double loss = A * s.log_S + B;
            acc += loss;
            if (per_item) per_item[i] = static_cast<T>(loss);
            if (g) {
                const double ci = coef.at(i);
                const T ca = static_cast<T>(ci * A / s.S);
                const T c1 = static_cast<T>(ci * (1.0 - eps));
                const T c0 = static_cast<T>(ci * uniform);
#pragma omp simd
                for (index_t j = 0; j < c; ++j)
                    g[j] = ca * g[j] - class_weight_at<HasWeight>(class_weight, j) * (c1 * t[j] + c0);
            }
        }
        return acc;
    });
    store_total(out, sum, static_cast<double>(n));
}

}  // namespace detail

template <class T>
void cross_entropy_probs(const T* logits, const T* targets, index_t n, index_t c,
                         const T* class_weight, double label_smoothing, LossOutput<T>& out,
                         int num_threads) {
    with_flag(class_weight != nullptr, [&](auto has_weight) {
        detail::cross_entropy_probs_impl<decltype(has_weight)::value>(
            logits, targets, n, c, class_weight, label_smoothing, out, num_threads);
    });
}

/**
 * Softmax focal loss with integer labels:  l_i = -alpha_y (1 - p_y)^gamma log p_y.
 *
 * logits: (n, c); labels: (n,) in [0, c) or == ignore_index; alpha: (c,) or null (no alpha).
 * 1 - p_y is computed as a sum over the other classes, so it has full relative accuracy when
 * p_y -> 1. The gradient is  G (p_j - [j = y]),  G = alpha_y (1-p)^gamma (1 - gamma p log p / (1-p)),
 * where p log p / (1 - p) lies in [-1, 0] (its limit at p = 1 is -1). gamma = 0 is exactly CE.
 * Mean divides by the number of non-ignored rows.
 */
template <class T>
void softmax_focal_loss(const T* logits, const index_t* labels, index_t n, index_t c,
                        const T* alpha, double gamma, index_t ignore_index, LossOutput<T>& out,
                        int num_threads) {
    const double denom = out.reduction == Reduction::Mean
        ? detail::label_weight_sum<T>(labels, n, nullptr, ignore_index, num_threads)
        : 1.0;
    const GradCoef<T> coef(out, denom);
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const double sum = ordered_block_sum(n, rows_per_block(c), n * c, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
        for (index_t i = b; i < e; ++i) {
            const index_t y = labels[i];
            if (y == ignore_index) {
                detail::zero_row(i, c, per_item, grad);
                continue;
            }
            const T* x = logits + i * c;
            T* g = grad ? grad + i * c : nullptr;
            const detail::RowStats s = detail::row_softmax_stats(x, c, g);
            const double nll = detail::row_nll(x, y, s);
            const double p = std::exp(-nll);
            const bool unique_top = static_cast<double>(x[y]) == s.m && s.k == 1.0;
            const double one_minus_p =
                unique_top ? s.R / s.S : 1.0 - std::exp(static_cast<double>(x[y]) - s.m) / s.S;
            const double ay = alpha ? static_cast<double>(alpha[y]) : 1.0;
            double f = 1.0, G = ay;
            if (gamma != 0.0) {
                f = one_minus_p > 0.0 ? std::exp(gamma * std::log(one_minus_p)) : 0.0;
                const double h = one_minus_p > 0.0 ? -p * nll / one_minus_p : -1.0;
                G = ay * f * (1.0 - gamma * h);
            }
            const double loss = ay * f * nll;
            acc += loss;
            if (per_item) per_item[i] = static_cast<T>(loss);
            if (g) {
                const double ci = coef.at(i) * G;
                const T ca = static_cast<T>(ci / s.S);
#pragma omp simd
                for (index_t j = 0; j < c; ++j) g[j] = ca * g[j];
                g[y] -= static_cast<T>(ci);
            }
        }
        return acc;
    });
    store_total(out, sum, denom);
}

/**
 * Knowledge-distillation KL (Hinton et al. 2015), per row:
 *   l_i = T^2 KL(softmax(t_i / T) || softmax(s_i / T)),   d l_i / d s_ij = T (q_ij - p_ij).
 *
 * student, teacher: (n, c) logits; temperature T > 0. Mean divides by n (the batch mean).
 */
template <class T>
void distillation_kl(const T* student, const T* teacher, index_t n, index_t c,
                     double temperature, LossOutput<T>& out, int num_threads) {
    const T inv_t = static_cast<T>(1.0 / temperature);
    const double t2 = temperature * temperature;
    const GradCoef<T> coef(out, static_cast<double>(n));
    T* per_item = out.reduction == Reduction::None ? out.per_item : nullptr;
    T* grad = out.grad;
    const double sum = ordered_block_sum(n, rows_per_block(c), 2 * n * c, num_threads, [&](index_t b, index_t e) {
        double acc = 0.0;
        for (index_t i = b; i < e; ++i) {
            const T* s = student + i * c;
            const T* t = teacher + i * c;
            T ms = s[0], mt = t[0];
#pragma omp simd reduction(max : ms, mt)
            for (index_t j = 1; j < c; ++j) {
                ms = s[j] > ms ? s[j] : ms;
                mt = t[j] > mt ? t[j] : mt;
            }
            double Sa = 0.0, Sb = 0.0, D = 0.0;  // D = sum_c e^b_c (b_c - a_c), shifted
#pragma omp simd reduction(+ : Sa, Sb, D)
            for (index_t j = 0; j < c; ++j) {
                const T za = (s[j] - ms) * inv_t;
                const T zb = (t[j] - mt) * inv_t;
                const T ea = vm::exp(za);
                const T eb = vm::exp(zb);
                Sa += static_cast<double>(ea);
                Sb += static_cast<double>(eb);
                D += static_cast<double>(eb) * (static_cast<double>(zb) - static_cast<double>(za));
            }
            // sum_c p_c (log p_c - log q_c) = D / Sb - log Sb + log Sa
            const double loss = t2 * (D / Sb - std::log(Sb) + std::log(Sa));
            acc += loss;
            if (per_item) per_item[i] = static_cast<T>(loss);
            if (grad) {
                T* g = grad + i * c;
                const double ci = coef.at(i) * temperature;
                const T ca = static_cast<T>(ci / Sa);
                const T cb = static_cast<T>(ci / Sb);
#pragma omp simd
                for (index_t j = 0; j < c; ++j)
                    g[j] = ca * vm::exp((s[j] - ms) * inv_t) - cb * vm::exp((t[j] - mt) * inv_t);
            }
        }
        return acc;
    });
    store_total(out, sum, static_cast<double>(n));
}

FASTLOSS_END_ISA_NAMESPACE
