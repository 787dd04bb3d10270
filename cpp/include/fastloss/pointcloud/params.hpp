// ISA-neutral options of the point-cloud kernels (nearest neighbours, Chamfer), shared by the
// kernels and the bindings.
#pragma once

#include "fastloss/common/types.hpp"

namespace fastloss {

/// The distance a nearest-neighbour search minimises: squared Euclidean (its neighbours are
/// the Euclidean ones too) or L1.
enum class SearchMetric : int { SquaredL2 = 0, L1 = 1 };

/// Chamfer's per-point distance to the nearest neighbour.
enum class PointDistance : int { SquaredL2 = 0, L2 = 1, L1 = 2 };

/// How neighbours are found: a KD-tree per cloud, blocked brute force, or the faster of the
/// two for the problem's size and dimension (measured crossovers, see nearest.hpp).
enum class SearchMethod : int { Auto = 0, KdTree = 1, Brute = 2 };

/// Chamfer's reduction over the points of a cloud ("none": the per-point terms).
enum class PointReduction : int { Mean = 0, Sum = 1, Max = 2, None = 3 };

/// A batch of clouds: B clouds of x, each padded to P points, and of y, padded to Q; D
/// coordinates per point; lengths (B,) or null (all full).
template <class T>
struct CloudPair {
    const T* x;
    const T* y;
    const index_t* x_lengths;
    const index_t* y_lengths;
    index_t batch, p, q, d;

    index_t x_len(index_t b) const { return x_lengths ? x_lengths[b] : p; }
    index_t y_len(index_t b) const { return y_lengths ? y_lengths[b] : q; }
};

struct ChamferParams {
    PointDistance distance = PointDistance::SquaredL2;
    PointReduction point_reduction = PointReduction::Mean;
    SearchMethod method = SearchMethod::Auto;
    bool single_directional = false;
    double x_weight = 1.0;  ///< weight of the x -> y direction
    double y_weight = 1.0;  ///< weight of the y -> x direction
};

/// Outputs of chamfer_distance; the binding allocates every buffer it passes.
template <class T>
struct ChamferOutput {
    Reduction batch_reduction = Reduction::Mean;
    T* dist_x = nullptr;      ///< (B, P) per-point terms (point reduction None), else scratch
    T* dist_y = nullptr;      ///< (B, Q), or null when single-directional
    index_t* idx_x = nullptr;  ///< (B, P) index in y of each x point's neighbour, -1 if none
    index_t* idx_y = nullptr;  ///< (B, Q), or null when single-directional
    T* per_cloud = nullptr;   ///< (B,) for batch reduction None
    double total = 0.0;       ///< the reduced value otherwise
    T* grad_x = nullptr;      ///< (B, P, D), or null
    T* grad_y = nullptr;      ///< (B, Q, D), or null
    double grad_scale = 1.0;
    const T* grad_cloud = nullptr;  ///< (B,) grad_output for batch reduction None, or null
    const T* grad_point_x = nullptr;  ///< (B, P) grad_output for point reduction None, or null
    const T* grad_point_y = nullptr;  ///< (B, Q)
};

}  // namespace fastloss
