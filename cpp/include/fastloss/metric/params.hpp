// Options of the labelled-batch metric losses (ISA-neutral: shared by the kernel table).
#pragma once

namespace fastloss {

/// d(i, j) between embeddings: ||x_i - x_j||, its square, or 1 - cos(x_i, x_j).
enum class PairDistance { Euclidean, Squared, Cosine };

enum class TripletMining { All, Hard, SemiHard };

struct BatchTripletParams {
    double margin = 1.0;
    PairDistance distance = PairDistance::Euclidean;
    TripletMining mining = TripletMining::All;
    bool average_nonzero = true;  ///< mining All: mean over the triplets with positive loss
};

/// How the pair losses of a batch are averaged.
enum class PairAverage {
    All,           ///< over every pair
    NonZero,       ///< over the pairs with positive loss
    NonZeroSplit,  ///< positives and negatives each over their non-zero pairs, then added
};

/// Contrastive pair loss: h(d - pos_margin) for a similar pair, h(neg_margin - d) otherwise.
struct ContrastiveParams {
    double pos_margin = 0.0;
    double neg_margin = 1.0;
    PairDistance distance = PairDistance::Euclidean;
    bool squared_hinge = true;  ///< 1/2 max(0, v)^2 (Hadsell et al.), else max(0, v)
    PairAverage average = PairAverage::All;
};

struct AngularParams {
    double alpha_deg = 40.0;
    bool npair = true;            ///< N-pair (log-sum-exp) form, else the hinge form
    bool average_nonzero = true;  ///< hinge form: mean over the triplets with positive loss
};

}  // namespace fastloss
