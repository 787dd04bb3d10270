// From per-class sums to losses: the overlap index of each class (or of each unit, for the
// generalized Dice), the loss, and the loss's derivatives with respect to the sums, which the
// gradient pass turns into d loss / d p = dTP t + dSp (1, or 2 p when squared).
//
// A unit is one sample (batch = false) or the whole batch (batch = true); sums are indexed
// [unit][class][0: TP, 1: Sp, 2: St] in double. Scalar code: it touches units x classes values.
#pragma once

#include <cmath>

#include "fastloss/common/parallel.hpp"
#include "fastloss/segmentation/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// A loss item's value, and whether it enters the mean.
struct OverlapItem {
    double loss = 0.0;
    bool counted = true;
};

/// I = num / den and its partial derivatives. den = 0 happens only when every sum and the
/// denominator's smoothing are 0: a class absent from prediction and target, scored 1.
struct Ratio {
    double value, d_num, d_den;
};

inline Ratio ratio(double num, double den) {
    if (den == 0.0) return {1.0, 0.0, 0.0};
    return {num / den, 1.0 / den, -num / (den * den)};
}

/// The index coefficients (k, u, alpha, beta) of I = (k TP + s) / (u TP + a Sp + b St + s').
struct IndexCoefficients {
    double k, u, a, b;
};

inline IndexCoefficients index_coefficients(const OverlapParams& p) {
    switch (p.kind) {
        case OverlapKind::Dice:
            return {2.0, 0.0, 1.0, 1.0};
        case OverlapKind::Jaccard:
            return {1.0, -1.0, 1.0, 1.0};
        default:  // Tversky: TP + alpha (Sp - TP) + beta (St - TP)
            return {1.0, 1.0 - p.alpha - p.beta, p.alpha, p.beta};
    }
}

/**
 * One class of one unit, Dice / Jaccard / Tversky / Focal Tversky. `weight` is the class weight.
 * Writes d loss / d TP and d loss / d Sp into d[0], d[1].
 */
inline OverlapItem class_item(const double* sums, const OverlapParams& p,
                              const IndexCoefficients& q, double weight, double* d) {
    d[0] = d[1] = 0.0;
    OverlapItem item;
    if (sums[2] == 0.0 && p.empty != EmptyClass::Smooth) {
        item.counted = p.empty == EmptyClass::Zero;
        return item;
    }
    const double tp = sums[0], sp = sums[1], st = sums[2];
    const Ratio r = ratio(q.k * tp + p.smooth_nr, q.u * tp + q.a * sp + q.b * st + p.smooth_dr);
    // loss = w f(I): f = 1 - I, or (1 - I)^gamma clamped at 0 (whose slope at 0 is taken as 0,
    // finite for gamma < 1 too: 0 is the minimum).
    double df;
    if (p.gamma == 1.0) {
        item.loss = weight * (1.0 - r.value);
        df = -weight;
    } else {
        const double base = 1.0 - r.value <= 0.0 ? 0.0 : 1.0 - r.value;  // NaN stays NaN
        item.loss = weight * std::pow(base, p.gamma);
        df = base > 0.0 ? -weight * p.gamma * std::pow(base, p.gamma - 1.0) : 0.0;
    }
    d[0] = df * (r.d_num * q.k + r.d_den * q.u);
    d[1] = df * r.d_den * q.a;
    return item;
}

/// Generalized Dice class weight from St (infinite for an absent class: the caller replaces it).
inline double class_weighting(double st, ClassWeighting w) {
    if (w == ClassWeighting::Uniform) return 1.0;
    if (st == 0.0) return INFINITY;
    return w == ClassWeighting::Simple ? 1.0 / st : 1.0 / (st * st);
}

/**
 * One unit of the generalized Dice (Sudre et al. 2017), classes [c0, c): weights w_c, those of
 * absent classes replaced by the largest finite one (MONAI's rule; all absent: all 0).
 * I = (2 sum w TP + s) / (sum w (Sp + St) + s'), loss 1 - I. d holds (dTP, dSp) per class.
 */
inline OverlapItem generalized_item(const double* sums, index_t c0, index_t c,
                                    const OverlapParams& p, double* w, double* d) {
    double w_max = 0.0;
    for (index_t j = c0; j < c; ++j) {
        w[j] = class_weighting(sums[3 * j + 2], p.weighting);
        if (std::isinf(w[j])) continue;
        w_max = w[j] > w_max ? w[j] : w_max;
    }
    double num = p.smooth_nr, den = p.smooth_dr;
    for (index_t j = c0; j < c; ++j) {
        if (std::isinf(w[j])) w[j] = w_max;
        num += 2.0 * w[j] * sums[3 * j];
        den += w[j] * (sums[3 * j + 1] + sums[3 * j + 2]);
    }
    const Ratio r = ratio(num, den);
    for (index_t j = c0; j < c; ++j) {
        d[2 * j] = -2.0 * w[j] * r.d_num;
        d[2 * j + 1] = -w[j] * r.d_den;
    }
    OverlapItem item;
    item.loss = 1.0 - r.value;
    return item;
}

}  // namespace detail
FASTLOSS_END_ISA_NAMESPACE
