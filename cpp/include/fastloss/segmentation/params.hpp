// ISA-neutral options of the overlap losses (Dice, Jaccard, Tversky, Focal Tversky,
// generalized Dice), shared by the kernels and the bindings.
#pragma once

#include "fastloss/common/types.hpp"

namespace fastloss {

/// What turns the input into probabilities (over the class axis for softmax).
enum class Activation : int { None = 0, Sigmoid = 1, Softmax = 2 };

/// The per-class index; every kind but GeneralizedDice is
///   I = (k TP + smooth_nr) / (u TP + alpha Sp + beta St + smooth_dr).
enum class OverlapKind : int { Dice = 0, Jaccard = 1, Tversky = 2, GeneralizedDice = 3 };

/// A class absent from the target (St = 0): Smooth keeps the formula (with equal smoothing
/// terms a class absent from prediction and target scores 1); Zero gives it loss 0, still
/// counted in the mean; Ignore leaves it out of the mean.
enum class EmptyClass : int { Smooth = 0, Zero = 1, Ignore = 2 };

/// Generalized Dice class weights from St: 1 / St^2, 1 / St, or 1.
enum class ClassWeighting : int { Square = 0, Simple = 1, Uniform = 2 };

struct OverlapParams {
    OverlapKind kind = OverlapKind::Dice;
    Activation activation = Activation::Softmax;
    index_t first_class = 0;         ///< 1 leaves the background (class 0) out of the loss
    bool has_ignore = false;         ///< labels equal to ignore_index are left out of every sum
    index_t ignore_index = 0;
    bool squared = false;            ///< V-Net: Sp = sum p^2, St = sum t^2
    bool batch = false;              ///< one set of sums over the whole batch, not per sample
    double smooth_nr = 1e-5;
    double smooth_dr = 1e-5;
    double alpha = 0.5;              ///< Tversky: weight of false positives
    double beta = 0.5;               ///< Tversky: weight of false negatives
    double gamma = 1.0;              ///< Tversky: the class loss is (1 - I)^gamma
    EmptyClass empty = EmptyClass::Smooth;
    ClassWeighting weighting = ClassWeighting::Square;  ///< GeneralizedDice only
};

}  // namespace fastloss
