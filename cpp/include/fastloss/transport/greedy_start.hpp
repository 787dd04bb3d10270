// A starting plan for the network simplex, nearer the optimum than a north-west corner: the
// least-cost (matrix minimum) method over each row's k cheapest arcs, then a north-west corner
// along the space-filling curve for the mass still left.
//
// Every arc takes min(left at its row, left at its column) > 0, so it empties one of the two
// exactly, and an emptied node takes no later arc. Such a plan has no cycle (the earliest arc
// of a cycle would empty a node that a later arc of the cycle uses), so it is a forest: a
// basis once it is joined into a tree (network_simplex.hpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "fastloss/transport/ground_cost.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

/// A plan as parallel arrays (at most n + m - 1 arcs).
struct ArcList {
    std::unique_ptr<std::int32_t[]> row, col;
    std::unique_ptr<double[]> flow;
    index_t count = 0;

    explicit ArcList(index_t capacity)
        : row(make_buffer<std::int32_t>(capacity)),
          col(make_buffer<std::int32_t>(capacity)),
          flow(make_buffer<double>(capacity)) {}

    void add(index_t i, index_t j, double f) {
        row[count] = static_cast<std::int32_t>(i);
        col[count] = static_cast<std::int32_t>(j);
        flow[count++] = f;
    }
};

namespace greedy_detail {

/// The k cheapest columns of one row (k small: insertion into a sorted buffer), as
/// (cost, column) pairs in `cost`, `col`; returns how many (min(k, m)).
template <class C>
index_t cheapest(const C* c, index_t m, index_t k, double* cost, std::int32_t* col) {
    index_t have = 0;
    for (index_t j = 0; j < m; ++j) {
        const double x = static_cast<double>(c[j]);
        if (have == k && !(x < cost[k - 1])) continue;
        index_t at = have < k ? have++ : k - 1;
        while (at > 0 && x < cost[at - 1]) {
            cost[at] = cost[at - 1];
            col[at] = col[at - 1];
            --at;
        }
        cost[at] = x;
        col[at] = static_cast<std::int32_t>(j);
    }
    return have;
}

}  // namespace greedy_detail

/**
 * The greedy plan of the masses a (n) and b (m): arcs in increasing cost among each row's
 * `per_row` cheapest, then the north-west corner of what is left along row_order, col_order.
 * Rounding of the totals may leave a trace unplaced, as the plain north-west corner does.
 */
template <class Costs>
ArcList greedy_plan(const Costs& costs, index_t n, index_t m, const double* a, const double* b,
                    const std::int64_t* row_order, const std::int64_t* col_order,
                    index_t per_row) {
    const index_t k = std::min(per_row, m);
    std::unique_ptr<double[]> cand_cost = make_buffer<double>(n * k);
    std::unique_ptr<std::int32_t[]> cand_col = make_buffer<std::int32_t>(n * k);
    std::unique_ptr<index_t[]> cand = make_buffer<index_t>(n * k);
    std::unique_ptr<double[]> scratch = make_buffer<double>(m);
    index_t count = 0;
    for (index_t i = 0; i < n; ++i) {
        double* cost = cand_cost.get() + i * k;
        std::int32_t* col = cand_col.get() + i * k;
        const index_t got = costs.approx_row(i)
                                ? greedy_detail::cheapest(costs.approx_row(i), m, k, cost, col)
                                : greedy_detail::cheapest(costs.row(i, scratch.get()), m, k,
                                                          cost, col);
        for (index_t q = 0; q < got; ++q) cand[count++] = i * k + q;
    }
    // Cheapest first; ties by position, so the plan does not depend on the sort's whims.
    std::sort(cand.get(), cand.get() + count, [&](index_t p, index_t q) {
        return cand_cost[p] < cand_cost[q] || (cand_cost[p] == cand_cost[q] && p < q);
    });
    std::unique_ptr<double[]> left_a = make_buffer<double>(n);
    std::unique_ptr<double[]> left_b = make_buffer<double>(m);
    for (index_t i = 0; i < n; ++i) left_a[i] = a[i];
    for (index_t j = 0; j < m; ++j) left_b[j] = b[j];
    ArcList plan(n + m);
    const auto take = [&](index_t i, index_t j) {
        const double f = left_a[i] < left_b[j] ? left_a[i] : left_b[j];
        if (!(f > 0.0)) return;  // a forest: at most n + m - 1 arcs get here
        plan.add(i, j, f);
        left_a[i] -= f;  // exactly 0 for the smaller side
        left_b[j] -= f;
    };
    for (index_t p = 0; p < count; ++p) take(cand[p] / k, cand_col[cand[p]]);
    index_t i = 0, j = 0;
    for (;;) {
        while (i < n && !(left_a[row_order[i]] > 0.0)) ++i;
        while (j < m && !(left_b[col_order[j]] > 0.0)) ++j;
        if (i == n || j == m) break;
        take(row_order[i], col_order[j]);
    }
    return plan;
}

FASTLOSS_END_ISA_NAMESPACE
