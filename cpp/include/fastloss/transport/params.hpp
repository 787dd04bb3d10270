// ISA-neutral inputs and outputs of the exact optimal-transport (EMD) kernels, shared by the
// kernels and the bindings.
#pragma once

#include <cstdint>

#include "fastloss/common/cancel.hpp"
#include "fastloss/common/types.hpp"

namespace fastloss {

/// Why a transport solve stopped.
enum class TransportStatus : std::int32_t {
    Optimal = 0,        ///< every mass moved along shortest paths: plan and duals optimal
    IterationLimit = 1,  ///< max_iter augmentations ran out: the plan is partial
    Infeasible = 2,      ///< mass left that no finite-cost path can move (infinite costs)
    Cancelled = 3        ///< stopped by the caller (common/cancel.hpp): the plan is partial
};

/// The exact solver: successive shortest paths (the assignment solver's method), the network
/// simplex, or the faster for the problem (emd.hpp: shortest paths for uniform square problems
/// up to 1000 points, the network simplex otherwise).
enum class TransportMethod : std::int32_t { Auto = 0, ShortestPath = 1, NetworkSimplex = 2 };

/**
 * A batch of transport problems. Either points (x: B x n x D, y: B x m x D, ground cost
 * ||x_i - y_j||^power) or a cost matrix (B x n x m; x and y null). Problem k uses the first
 * x_len(k) rows and y_len(k) columns, with masses a (B x n) and b (B x m) in double whose valid
 * prefixes hold the same total (the caller checks and rescales).
 */
template <class T>
struct TransportBatch {
    const T* x = nullptr;
    const T* y = nullptr;
    const T* cost = nullptr;
    const std::int64_t* x_lengths = nullptr;
    const std::int64_t* y_lengths = nullptr;
    const double* a = nullptr;
    const double* b = nullptr;
    index_t batch = 0, n = 0, m = 0, d = 0;
    double power = 1.0;
    TransportMethod method = TransportMethod::Auto;
    /// Point costs are kept as a dense n x m matrix up to this many entries, and computed row
    /// by row beyond it (peak memory O(n + m) for the largest problems).
    index_t dense_cost_entries = index_t{1} << 25;

    index_t x_len(index_t k) const { return x_lengths ? x_lengths[k] : n; }
    index_t y_len(index_t k) const { return y_lengths ? y_lengths[k] : m; }
    bool from_points() const { return cost == nullptr; }
};

/**
 * Where the solver writes. Every pointer may be null except value and status. The plan of problem
 * k is a basic solution: at most n + m - 1 entries (rows, cols, masses), sorted by row then
 * column, count in plan_count[k]; arrays are B x (n + m - 1).
 */
template <class T>
struct TransportOutput {
    double* value = nullptr;          ///< (B,) transport cost
    std::int32_t* status = nullptr;   ///< (B,) TransportStatus
    std::int64_t* iterations = nullptr;  ///< (B,) augmenting paths used
    double* u = nullptr;              ///< (B, n) dual potentials of the rows
    double* v = nullptr;              ///< (B, m) dual potentials of the columns
    std::int64_t* plan_rows = nullptr;
    std::int64_t* plan_cols = nullptr;
    double* plan_mass = nullptr;
    std::int64_t* plan_count = nullptr;
    // Gradients of sum_k grad_scale[k] * value_k (grad_scale null: 1 for all).
    const double* grad_scale = nullptr;
    T* grad_x = nullptr;      ///< (B, n, D) through the plan
    T* grad_y = nullptr;      ///< (B, m, D)
    T* grad_cost = nullptr;   ///< (B, n, m): the plan, dense (zeroed by the caller)
    T* grad_a = nullptr;      ///< (B, n): the centred row duals
    T* grad_b = nullptr;      ///< (B, m): the centred column duals
    std::int64_t max_iter = 0;  ///< augmenting paths allowed per problem
};

/// Entropic transport (sinkhorn.hpp): regularisation epsilon, L1 marginal tolerance, and the
/// debiased Sinkhorn divergence W(a, b) - W(a, a) / 2 - W(b, b) / 2 when asked.
struct SinkhornParams {
    double epsilon = 1.0;
    std::int64_t max_iter = 1000;
    double tol = 1e-9;
    bool debias = false;
    double scaling = 0.5;  ///< epsilon annealing ratio in (0, 1); 0: none
};

/// Where the Sinkhorn kernel writes; every pointer but value, iterations, converged may be null.
template <class T>
struct SinkhornOutput {
    double* value = nullptr;              ///< (B,)
    std::int64_t* iterations = nullptr;   ///< (B,) of the (x, y) problem
    std::int32_t* converged = nullptr;    ///< (B,) 1 if every problem solved met the tolerance
    const double* grad_scale = nullptr;   ///< (B,) or null (1)
    T* grad_x = nullptr;                  ///< (B, n, D)
    T* grad_y = nullptr;                  ///< (B, m, D)
    T* grad_a = nullptr;                  ///< (B, n): centred potentials
    T* grad_b = nullptr;                  ///< (B, m)
};

}  // namespace fastloss
