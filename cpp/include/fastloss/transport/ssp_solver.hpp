// Exact discrete optimal transport by successive shortest paths.
//
// The primal-dual method of Jonker and Volgenant's assignment solver, for general masses: keep
// dual potentials u (rows), v (columns) with reduced costs r_ij = c_ij - u_i - v_j >= 0 for
// every pair, and a flow that uses only pairs with r_ij = 0. Each step runs Dijkstra on reduced
// costs from a row with mass left, through the residual graph (row -> any column; column -> the
// rows that already send it flow), to the nearest column with demand left; it moves as much
// mass as the path allows and raises the potentials of the nodes it settled, which keeps both
// invariants. At the end the flow is feasible, the potentials are dual feasible, and
// complementary slackness holds: both are optimal (no duality gap). With n = m and uniform
// masses this is exactly the shortest-augmenting-path assignment algorithm.
//
// Dijkstra is dense (every row reaches every column), so a settled row costs one pass over the
// m columns: a vectorised relax-and-min over contiguous arrays, with settled columns marked by a
// key of -inf. Costs come one row at a time from PointCosts or MatrixCosts (ground_cost.hpp),
// so point inputs never need an n x m matrix.
//
// The plan is then made basic (a forest, at most n + m - 1 entries) by cancelling any cycle of
// positive flow: all its pairs are tight, so moving mass around it changes no cost.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fastloss/transport/flow_list.hpp"
#include "fastloss/transport/ground_cost.hpp"
#include "fastloss/transport/params.hpp"
#include "fastloss/transport/row_search.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace ssp_detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

/**
 * Relaxes every column from a settled row: key_j = min(key_j, base + c_j - v_j), recording the
 * row in pred where it improves; settled columns hold -inf and never change. Returns the lowest
 * key among unsettled columns (+inf if none).
 */
FASTLOSS_NOINLINE inline double relax_row(const double* __restrict c, const double* __restrict v,
                                          double base, std::int64_t row, index_t m,
                                          double* __restrict key,
                                          std::int64_t* __restrict pred) {
    double lowest = kInf;
#pragma omp simd reduction(min : lowest)
    for (index_t j = 0; j < m; ++j) {
        const double candidate = base + c[j] - v[j];
        const double k = key[j];
        const bool better = candidate < k;
        const double kept = better ? candidate : k;
        key[j] = kept;
        pred[j] = better ? row : pred[j];
        const double open = kept == -kInf ? kInf : kept;
        lowest = open < lowest ? open : lowest;
    }
    return lowest;
}

/// The first row's relaxation: every key is set (none is settled yet).
FASTLOSS_NOINLINE inline double start_keys(const double* __restrict c,
                                           const double* __restrict v, double base,
                                           std::int64_t row, index_t m, double* __restrict key,
                                           std::int64_t* __restrict pred) {
    double lowest = kInf;
#pragma omp simd reduction(min : lowest)
    for (index_t j = 0; j < m; ++j) {
        const double k = base + c[j] - v[j];
        key[j] = k;
        pred[j] = row;
        lowest = k < lowest ? k : lowest;
    }
    return lowest;
}

FASTLOSS_NOINLINE inline double lowest_open_key(const double* __restrict key, index_t m) {
    double lowest = kInf;
#pragma omp simd reduction(min : lowest)
    for (index_t j = 0; j < m; ++j) {
        const double open = key[j] == -kInf ? kInf : key[j];
        lowest = open < lowest ? open : lowest;
    }
    return lowest;
}

}  // namespace ssp_detail

template <class Costs>
class SspSolver {
public:
    SspSolver(const Costs& costs, index_t n, index_t m, const double* a, const double* b)
        : costs_(costs),
          n_(n),
          m_(m),
          u_(make_buffer<double>(n)),
          v_(make_buffer<double>(m)),
          supply_(make_buffer<double>(n)),
          demand_(make_buffer<double>(m)),
          key_(make_buffer<double>(m)),
          col_dist_(make_buffer<double>(m)),
          pred_col_(make_buffer<std::int64_t>(m)),
          row_dist_(make_buffer<double>(n)),
          row_mark_(make_buffer<std::int64_t>(n)),
          pred_edge_(make_buffer<std::int64_t>(n)),
          settled_cols_(make_buffer<std::int64_t>(m)),
          settled_rows_(make_buffer<std::int64_t>(n)),
          scratch_(make_buffer<double>(m)),
          flows_(m, 2 * (n + m)) {
        double total = 0.0;
        for (index_t i = 0; i < n; ++i) {
            supply_[i] = a[i];
            total += a[i];
            row_mark_[i] = 0;
        }
        for (index_t j = 0; j < m; ++j) demand_[j] = b[j];
        total_ = total;
        // Mass below this is rounding left by subtractions of the inputs, not mass to move.
        eps_ = 4.0 * std::numeric_limits<double>::epsilon() * total;
    }

    /// Solves; at most max_iter augmenting paths.
    TransportStatus solve(std::int64_t max_iter) {
        CancelToken* const cancel = current_cancel_token();
        initialize();
        for (index_t s = 0; s < n_; ++s) {
            while (supply_[s] > eps_) {
                if (iterations_ >= max_iter) return TransportStatus::IterationLimit;
                if (stop_requested(cancel)) return TransportStatus::Cancelled;
                if (!augment_from(s)) return leftover_status();
                ++iterations_;
            }
        }
        return TransportStatus::Optimal;
    }

    /// Cancels cycles of positive flow until the plan is a forest (a basic solution).
    void make_basic();

    /// The plan's entries as (row, column, mass); returns how many.
    std::int64_t export_plan(std::int64_t* rows, std::int64_t* cols, double* mass) const {
        std::int64_t count = 0;
        for (std::int64_t e = 0; e < flows_.used; ++e) {
            if (!flows_.live(e)) continue;
            rows[count] = flows_.row[e];
            cols[count] = flows_.col[e];
            mass[count++] = flows_.mass[e];
        }
        return count;
    }

    const double* u() const { return u_.get(); }
    const double* v() const { return v_.get(); }
    std::int64_t iterations() const { return iterations_; }

private:
    const Costs& costs_;
    index_t n_, m_;
    std::unique_ptr<double[]> u_, v_, supply_, demand_;
    std::unique_ptr<double[]> key_, col_dist_;
    std::unique_ptr<std::int64_t[]> pred_col_;
    std::unique_ptr<double[]> row_dist_;
    std::unique_ptr<std::int64_t[]> row_mark_, pred_edge_, settled_cols_, settled_rows_;
    std::unique_ptr<double[]> scratch_;
    FlowList flows_;
    double total_ = 0.0, eps_ = 0.0;
    std::int64_t stamp_ = 0, iterations_ = 0;

    TransportStatus leftover_status() const {
        double left = 0.0;
        for (index_t i = 0; i < n_; ++i) left += supply_[i];
        // Rounding of the balanced totals can leave a trace no column can take.
        return left <= 1e-12 * total_ ? TransportStatus::Optimal : TransportStatus::Infeasible;
    }

    /// Column reduction v_j = min_i c_ij, row reduction u_i = min_j (c_ij - v_j), and each
    /// row's mass sent greedily along its tight pair where that column has room: the easy part
    /// of the plan, before any shortest path.
    void initialize() {
        double* v = v_.get();
        for (index_t j = 0; j < m_; ++j) v[j] = ssp_detail::kInf;
        for (index_t i = 0; i < n_; ++i) {
            const double* c = costs_.row(i, scratch_.get());
#pragma omp simd
            for (index_t j = 0; j < m_; ++j) v[j] = c[j] < v[j] ? c[j] : v[j];
        }
        for (index_t j = 0; j < m_; ++j)
            if (!std::isfinite(v[j])) v[j] = 0.0;  // a column no row reaches at finite cost
        for (index_t i = 0; i < n_; ++i) {
            const double* c = costs_.row(i, scratch_.get());
            double best = ssp_detail::kInf;
            index_t arg = 0;
            for (index_t j = 0; j < m_; ++j) {
                const double r = c[j] - v[j];
                if (r < best) {
                    best = r;
                    arg = j;
                }
            }
            u_[i] = std::isfinite(best) ? best : 0.0;
            const double moved = std::min(supply_[i], demand_[arg]);
            if (std::isfinite(best) && moved > eps_) {
                flows_.add(i, arg, moved);
                supply_[i] -= moved;
                demand_[arg] -= moved;
            }
        }
    }

    /// One shortest path from row s to a column with demand; moves mass along it and updates
    /// the potentials. False if no such column is reachable.
    bool augment_from(index_t s) {
        using ssp_detail::kInf;
        const std::int64_t stamp = ++stamp_;
        index_t n_rows = 0, n_cols = 0;
        row_mark_[s] = stamp;
        row_dist_[s] = 0.0;
        settled_rows_[n_rows++] = s;
        double lowest = ssp_detail::start_keys(costs_.row(s, scratch_.get()), v_.get(), -u_[s],
                                               s, m_, key_.get(), pred_col_.get());
        index_t sink = -1;
        while (lowest < kInf) {
            const index_t j = row_search::first_equal(key_.get(), m_, lowest);
            if (demand_[j] > eps_) {
                sink = j;
                break;
            }
            const double dist = lowest;
            col_dist_[j] = dist;
            key_[j] = -kInf;
            settled_cols_[n_cols++] = j;
            bool relaxed = false;
            for (std::int64_t e = flows_.head[j]; e != FlowList::kNone; e = flows_.next[e]) {
                const std::int64_t i = flows_.row[e];
                if (row_mark_[i] == stamp) continue;
                row_mark_[i] = stamp;
                row_dist_[i] = dist;
                pred_edge_[i] = e;
                settled_rows_[n_rows++] = i;
                lowest = ssp_detail::relax_row(costs_.row(i, scratch_.get()), v_.get(),
                                               row_dist_[i] - u_[i], i, m_, key_.get(),
                                               pred_col_.get());
                relaxed = true;
            }
            if (!relaxed) lowest = ssp_detail::lowest_open_key(key_.get(), m_);
        }
        if (sink < 0) return false;
        const double delta = lowest;
        for (index_t k = 0; k < n_rows; ++k) {
            const std::int64_t i = settled_rows_[k];
            u_[i] += delta - row_dist_[i];
        }
        for (index_t k = 0; k < n_cols; ++k) {
            const std::int64_t j = settled_cols_[k];
            v_[j] -= delta - col_dist_[j];
        }
        move_along_path(s, sink);
        return true;
    }

    /// Moves the largest mass the path s -> ... -> t allows: bounded by the mass left at s,
    /// the demand left at t, and the flows the path takes back.
    void move_along_path(index_t s, index_t t) {
        double amount = std::min(supply_[s], demand_[t]);
        for (std::int64_t j = t;;) {
            const std::int64_t i = pred_col_[j];
            if (i == s) break;
            const std::int64_t e = pred_edge_[i];
            amount = std::min(amount, flows_.mass[e]);
            j = flows_.col[e];
        }
        for (std::int64_t j = t;;) {
            const std::int64_t i = pred_col_[j];
            flows_.add(i, j, amount);
            if (i == s) break;
            const std::int64_t e = pred_edge_[i];
            j = flows_.col[e];
            flows_.mass[e] -= amount;
            if (!(flows_.mass[e] > 0.0)) flows_.remove(e);
        }
        supply_[s] = supply_[s] == amount ? 0.0 : supply_[s] - amount;
        demand_[t] = demand_[t] == amount ? 0.0 : demand_[t] - amount;
    }
};

template <class Costs>
void SspSolver<Costs>::make_basic() {
    // Union-find over rows (0..n-1) and columns (n..n+m-1); the first edge that joins two
    // nodes already connected closes a cycle, found through the forest of the edges before it.
    const index_t nodes = n_ + m_;
    std::unique_ptr<std::int64_t[]> parent = make_buffer<std::int64_t>(nodes);
    std::unique_ptr<std::int64_t[]> adj_head = make_buffer<std::int64_t>(nodes);
    std::unique_ptr<std::int64_t[]> adj_next = make_buffer<std::int64_t>(2 * flows_.used);
    std::unique_ptr<std::int64_t[]> adj_edge = make_buffer<std::int64_t>(2 * flows_.used);
    std::unique_ptr<std::int64_t[]> via = make_buffer<std::int64_t>(nodes);
    std::unique_ptr<std::int64_t[]> queue = make_buffer<std::int64_t>(nodes);
    std::int64_t n_adj = 0;
    auto link = [&](std::int64_t node, std::int64_t e) {
        adj_edge[n_adj] = e;
        adj_next[n_adj] = adj_head[node];
        adj_head[node] = n_adj++;
    };
    auto find = [&](std::int64_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    };
    for (;;) {
        for (index_t k = 0; k < nodes; ++k) {
            parent[k] = k;
            adj_head[k] = FlowList::kNone;
        }
        std::int64_t closing = FlowList::kNone;
        n_adj = 0;
        for (std::int64_t e = 0; e < flows_.used && closing == FlowList::kNone; ++e) {
            if (!flows_.live(e)) continue;
            const std::int64_t r = flows_.row[e], c = n_ + flows_.col[e];
            const std::int64_t fr = find(r), fc = find(c);
            if (fr == fc) {
                closing = e;
                break;
            }
            parent[fr] = fc;
            link(r, e);
            link(c, e);
        }
        if (closing == FlowList::kNone) return;
        // Breadth-first from the closing edge's row to its column through the forest.
        const std::int64_t start = flows_.row[closing], goal = n_ + flows_.col[closing];
        for (index_t k = 0; k < nodes; ++k) via[k] = FlowList::kNone;
        index_t q_head = 0, q_tail = 0;
        queue[q_tail++] = start;
        via[start] = closing;
        while (q_head < q_tail && via[goal] == FlowList::kNone) {
            const std::int64_t x = queue[q_head++];
            for (std::int64_t a = adj_head[x]; a != FlowList::kNone; a = adj_next[a]) {
                const std::int64_t e = adj_edge[a];
                const std::int64_t y = x < n_ ? n_ + flows_.col[e] : flows_.row[e];
                if (via[y] != FlowList::kNone) continue;
                via[y] = e;
                queue[q_tail++] = y;
            }
        }
        // The cycle: closing edge, then the path goal -> start. Its edges alternate; the
        // closing edge and every other one give mass, the rest take it.
        double amount = flows_.mass[closing];
        bool gives = false;
        for (std::int64_t x = goal; x != start;) {
            const std::int64_t e = via[x];
            if (gives) amount = std::min(amount, flows_.mass[e]);
            gives = !gives;
            x = x < n_ ? n_ + flows_.col[e] : flows_.row[e];
        }
        flows_.mass[closing] -= amount;
        gives = false;
        for (std::int64_t x = goal; x != start;) {
            const std::int64_t e = via[x];
            flows_.mass[e] += gives ? -amount : amount;
            gives = !gives;
            x = x < n_ ? n_ + flows_.col[e] : flows_.row[e];
            if (!(flows_.mass[e] > 0.0)) flows_.remove(e);
        }
        if (!(flows_.mass[closing] > 0.0)) flows_.remove(closing);
    }
}

FASTLOSS_END_ISA_NAMESPACE
