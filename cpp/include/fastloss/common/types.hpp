// ISA-neutral types shared by every kernel and by the bindings.
#pragma once

#include <cstdint>

namespace fastloss {

using index_t = std::int64_t;

/// How per-item losses are combined. The kernels see only these three; spellings such as
/// "batchmean" are mapped onto them (with the right denominator) by the caller.
enum class Reduction : int { None = 0, Mean = 1, Sum = 2 };

/// Outcomes that valid-looking input can produce; the bindings turn them into exceptions.
/// TargetOutOfRange and InputOutOfRange: probabilities outside [0, 1] (or log-probabilities
/// above 0) in the argument each names; NaN is not out of range (it propagates).
enum class Status : int { Ok = 0, TargetOutOfRange = 1, LabelOutOfRange = 2, InputOutOfRange = 3 };

/**
 * Where a kernel writes its results, and how the gradient is scaled.
 *
 * The gradient written is that of  sum_i grad_output_i * loss_i  (a vector-Jacobian product):
 * grad_output_i = grad_scale * (grad_per_item ? grad_per_item[i] : 1), and Mean additionally
 * divides by the kernel's denominator.
 */
template <class T>
struct LossOutput {
    Reduction reduction = Reduction::Mean;
    T* per_item = nullptr;             ///< (out) unreduced losses; required for Reduction::None
    double total = 0.0;                ///< (out) the reduced value for Mean / Sum
    T* grad = nullptr;                 ///< (out) gradient, same layout as the input; may be null
    bool grad_zeroed = false;          ///< grad is known to hold zeros (fresh calloc memory)
    double grad_scale = 1.0;           ///< scalar grad_output
    const T* grad_per_item = nullptr;  ///< per-item grad_output (Reduction::None only); may be null
};

}  // namespace fastloss
