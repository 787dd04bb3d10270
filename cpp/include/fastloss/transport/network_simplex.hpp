// Exact discrete optimal transport by the primal network simplex, for general masses.
//
// The basis is a spanning tree of the n + m nodes (rows, then columns) with n + m - 1 arcs
// row -> column; flows live on tree arcs, potentials u (rows) and v (columns) make every tree
// arc tight (u_i + v_j = c_ij). Each pivot prices arcs by their reduced cost c_ij - u_i - v_j
// (block search: whole rows, one vectorised pass each, until a block of about sqrt(n m) arcs
// has been seen, then the most negative arc enters), pushes mass around the cycle it closes
// in the tree, and drops the arc that empties first. No arc prices negative: optimal.
//
// The start is a greedy plan (greedy_start.hpp: cheapest arcs first, then a north-west corner
// along a space-filling curve, emd.hpp), a forest of arcs that carry mass, joined into a tree by
// empty arcs from the root row to a column of each other component: every empty arc leaves a
// row for a column, away from the root, so the tree is strongly feasible (a row without mass,
// which can only hang from a column, is the exception), and the leaving-arc rule below (the
// last blocking arc from the cycle's apex in the direction of the flow) keeps it so, which
// rules out cycling on degenerate pivots (Cunningham 1976). Against the plain north-west
// corner the greedy start saves 25-45% of the pivots and of the time (500 to 3000 points).
// Tree arcs are stored at their child node (parent, flow, subtree size). The tree is threaded
// (Glover, Klingman & Stutz 1974; the augmented threaded index of Bradley, Brown & Graves
// 1977): thread = the next node in a preorder, last = the last node of each subtree in it, so
// a subtree is the run of `size` nodes that starts at its root, and the walk that shifts the
// potentials after a pivot (over the smaller side of the cut) is one compact array chase.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fastloss/transport/greedy_start.hpp"
#include "fastloss/transport/ground_cost.hpp"
#include "fastloss/transport/params.hpp"
#include "fastloss/transport/row_search.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace simplex_detail {

/// min_j (c_j - v_j) over a row (costs as double, or rounded to float), vectorised; the argmin
/// comes from row_search when needed.
template <class C>
FASTLOSS_NOINLINE double row_min(const C* __restrict c, const double* __restrict v, index_t m) {
    double lowest = std::numeric_limits<double>::infinity();
#pragma omp simd reduction(min : lowest)
    for (index_t j = 0; j < m; ++j) {
        const double r = static_cast<double>(c[j]) - v[j];
        lowest = r < lowest ? r : lowest;
    }
    return lowest;
}

}  // namespace simplex_detail

template <class Costs>
class NetworkSimplex {
public:
    static constexpr std::int64_t kNone = -1;

    /// Arcs per row the greedy start considers (measured: 4 to 16 do about as well; with 1 it
    /// saves about a third of the pivots that 8 saves).
    static constexpr index_t kStartArcsPerRow = 8;

    /// row_order, col_order: rows and columns along a space-filling curve (permutations), for
    /// the mass the greedy start leaves and for joining its components.
    NetworkSimplex(const Costs& costs, index_t n, index_t m, const double* a, const double* b,
                   const std::int64_t* row_order, const std::int64_t* col_order)
        : costs_(costs),
          n_(n),
          m_(m),
          parent_(make_buffer<std::int32_t>(n + m)),
          thread_(make_buffer<std::int32_t>(n + m)),
          rev_thread_(make_buffer<std::int32_t>(n + m)),
          last_(make_buffer<std::int32_t>(n + m)),
          size_(make_buffer<std::int32_t>(n + m)),
          flow_(make_buffer<double>(n + m)),
          stack_(make_buffer<std::int64_t>(n + m)),
          segment_(make_buffer<std::int32_t>(4 * (n + m))),
          mark_(make_buffer<std::int64_t>(n + m)),
          pot_(make_buffer<double>(n + m)),
          scratch_(make_buffer<double>(m)) {
        start_from_plan(greedy_plan(costs, n, m, a, b, row_order, col_order, kStartArcsPerRow),
                        row_order, col_order);
    }

    TransportStatus solve(std::int64_t max_iter) {
        compute_potentials();
        scale_ = cost_scale();
        // Float costs keep their relative rounding only in float's normal range.
        use_approx_ = costs_.approx_row(0) != nullptr && scale_ >= 1e-30 && scale_ <= 1e30;
        // Rows per pricing block: about sqrt(n m) arcs (larger blocks were measured to save
        // few pivots and cost more time).
        const index_t block = std::max<index_t>(
            1, static_cast<index_t>(std::sqrt(static_cast<double>(n_) * static_cast<double>(m_))) / m_);
        // The potentials are shifted pivot after pivot (and a shift of the complement moves the
        // root's): rounding accumulates. They are recomputed from the tree every n + m pivots
        // (O(n + m), nothing amortised) and before optimality is declared.
        const std::int64_t refresh = n_ + m_;
        std::int64_t since_refresh = 0;
        CancelToken* const cancel = current_cancel_token();
        for (;;) {
            index_t enter_row = -1, enter_col = -1;
            double enter_r = 0.0;
            if (!price(block, enter_row, enter_col, enter_r)) {
                if (since_refresh == 0) break;
                compute_potentials();
                since_refresh = 0;
                continue;
            }
            if (iterations_ >= max_iter) return TransportStatus::IterationLimit;
            // a pivot takes microseconds: ask for a stop every 1024 of them
            if ((iterations_ & 1023) == 0 && stop_requested(cancel))
                return TransportStatus::Cancelled;
            pivot(enter_row, enter_col, enter_r);
            ++iterations_;
            if (++since_refresh >= refresh) {
                compute_potentials();
                since_refresh = 0;
            }
        }
        compute_potentials();
        return TransportStatus::Optimal;
    }

    const double* u() const { return pot_.get(); }
    const double* v() const { return pot_.get() + n_; }
    std::int64_t iterations() const { return iterations_; }

    /// The tree arcs that carry mass, as (row, column, mass); returns how many.
    std::int64_t export_plan(std::int64_t* rows, std::int64_t* cols, double* mass) const {
        std::int64_t count = 0;
        for (index_t x = 0; x < n_ + m_; ++x) {
            if (parent_[x] == kNone || !(flow_[x] > 0.0)) continue;
            const std::int64_t p = parent_[x];
            rows[count] = x < n_ ? x : p;
            cols[count] = (x < n_ ? p : x) - n_;
            mass[count] = flow_[x];
            ++count;
        }
        return count;
    }

private:
    const Costs& costs_;
    index_t n_, m_;
    // Per node x, for the tree arc to its parent: parent (kNone at the root), the mass on it;
    // the thread: preorder successor (cyclic), predecessor, last node of x's subtree, size.
    std::unique_ptr<std::int32_t[]> parent_, thread_, rev_thread_, last_, size_;
    std::unique_ptr<double[]> flow_;
    std::unique_ptr<std::int64_t[]> stack_;  // the start's nodes in creation order; a pivot's stem
    std::unique_ptr<std::int32_t[]> segment_;  // (first, last) runs of the re-threaded subtree
    std::unique_ptr<std::int64_t[]> mark_;  // apex search: +stamp from a's side, -stamp from b's
    std::int64_t stamp_ = 0;
    std::unique_ptr<double[]> pot_, scratch_;
    std::int64_t root_ = 0, iterations_ = 0;
    index_t next_row_ = 0;
    double scale_ = 1.0;
    bool use_approx_ = false;

    bool is_row(std::int64_t x) const { return x < n_; }

    /// The cost of the arc between node x and node y (one a row, the other a column).
    double arc_cost(std::int64_t x, std::int64_t y) const {
        return is_row(x) ? costs_.at(x, y - n_) : costs_.at(y, x - n_);
    }

    /// y follows x in the thread.
    void link(std::int64_t x, std::int64_t y) {
        thread_[x] = static_cast<std::int32_t>(y);
        rev_thread_[y] = static_cast<std::int32_t>(x);
    }

    /// The basis from a forest plan (greedy_start.hpp): each component hung from the root row
    /// by an empty arc to one of its columns (away from the root), an isolated row (no mass)
    /// from a column; then the thread in preorder, sizes and last nodes.
    void start_from_plan(const ArcList& plan, const std::int64_t* row_order,
                         const std::int64_t* col_order) {
        const index_t nodes = n_ + m_;
        constexpr std::int32_t kUnset = -2;
        std::unique_ptr<std::int32_t[]> first = make_buffer<std::int32_t>(nodes + 1);
        std::unique_ptr<std::int32_t[]> adj = make_buffer<std::int32_t>(2 * plan.count);
        for (index_t x = 0; x <= nodes; ++x) first[x] = 0;
        for (index_t e = 0; e < plan.count; ++e) {
            ++first[plan.row[e] + 1];
            ++first[n_ + plan.col[e] + 1];
        }
        for (index_t x = 0; x < nodes; ++x) first[x + 1] += first[x];
        {
            std::unique_ptr<std::int32_t[]> at = make_buffer<std::int32_t>(nodes);
            for (index_t x = 0; x < nodes; ++x) at[x] = first[x];
            for (index_t e = 0; e < plan.count; ++e) {
                adj[at[plan.row[e]]++] = static_cast<std::int32_t>(e);
                adj[at[n_ + plan.col[e]]++] = static_cast<std::int32_t>(e);
            }
        }
        for (index_t x = 0; x < nodes; ++x) {
            parent_[x] = kUnset;
            size_[x] = 1;
            mark_[x] = 0;
        }
        // parents and flows, component by component (breadth first; stack_ as the queue)
        const auto grow = [&](std::int64_t start) {
            index_t head = 0, tail = 0;
            stack_[tail++] = start;
            while (head < tail) {
                const std::int64_t y = stack_[head++];
                for (std::int32_t q = first[y]; q < first[y + 1]; ++q) {
                    const std::int32_t e = adj[q];
                    const std::int64_t z = y < n_ ? n_ + plan.col[e] : plan.row[e];
                    if (parent_[z] != kUnset) continue;
                    parent_[z] = static_cast<std::int32_t>(y);
                    flow_[z] = plan.flow[e];
                    stack_[tail++] = z;
                }
            }
        };
        root_ = row_order[0];
        parent_[root_] = static_cast<std::int32_t>(kNone);
        flow_[root_] = 0.0;
        grow(root_);
        for (index_t q = 0; q < m_; ++q) {
            const std::int64_t c = n_ + col_order[q];
            if (parent_[c] != kUnset) continue;
            parent_[c] = static_cast<std::int32_t>(root_);
            flow_[c] = 0.0;
            grow(c);
        }
        for (index_t q = 0; q < n_; ++q) {
            const std::int64_t r = row_order[q];
            if (parent_[r] != kUnset) continue;
            parent_[r] = static_cast<std::int32_t>(n_ + col_order[0]);
            flow_[r] = 0.0;
        }
        // the preorder: children grouped by parent, then a depth-first walk from the root
        std::unique_ptr<std::int32_t[]> child_first = make_buffer<std::int32_t>(nodes + 1);
        std::unique_ptr<std::int32_t[]> children = make_buffer<std::int32_t>(nodes);
        for (index_t x = 0; x <= nodes; ++x) child_first[x] = 0;
        for (index_t x = 0; x < nodes; ++x)
            if (x != root_) ++child_first[parent_[x] + 1];
        for (index_t x = 0; x < nodes; ++x) child_first[x + 1] += child_first[x];
        {
            std::unique_ptr<std::int32_t[]> at = make_buffer<std::int32_t>(nodes);
            for (index_t x = 0; x < nodes; ++x) at[x] = child_first[x];
            for (index_t x = 0; x < nodes; ++x)
                if (x != root_) children[at[parent_[x]]++] = static_cast<std::int32_t>(x);
        }
        std::unique_ptr<std::int32_t[]> pending = make_buffer<std::int32_t>(nodes);
        index_t top = 0, created = 0;
        pending[top++] = static_cast<std::int32_t>(root_);
        while (top > 0) {
            const std::int32_t x = pending[--top];
            stack_[created++] = x;
            for (std::int32_t q = child_first[x]; q < child_first[x + 1]; ++q)
                pending[top++] = children[q];
        }
        for (index_t k = created - 1; k > 0; --k) size_[parent_[stack_[k]]] += size_[stack_[k]];
        for (index_t k = 0; k < created; ++k) {
            link(stack_[k], stack_[k + 1 < created ? k + 1 : 0]);
            last_[stack_[k]] = static_cast<std::int32_t>(stack_[k + size_[stack_[k]] - 1]);
        }
    }

    /// Adds d_row to the rows and -d_row to the columns of the `count` nodes of the thread
    /// from `first` on.
    void shift_potentials(std::int64_t first, index_t count, double d_row) {
        std::int64_t x = first;
        for (index_t k = 0; k < count; ++k) {
            pot_[x] += is_row(x) ? d_row : -d_row;
            x = thread_[x];
        }
    }

    /// u, v from the tree: the root row at 0, then each arc tight, parents before children.
    void compute_potentials() {
        pot_[root_] = 0.0;
        std::int64_t x = thread_[root_];
        for (index_t k = 1; k < n_ + m_; ++k) {
            const std::int64_t p = parent_[x];
            pot_[x] = arc_cost(x, p) - pot_[p];
            x = thread_[x];
        }
    }

    /// The largest |cost| (over finite costs): the scale of the pricing tolerance.
    double cost_scale() {
        double big = 0.0;
        const auto scan = [&](const auto* c) {
            for (index_t j = 0; j < m_; ++j) {
                const double t = std::fabs(static_cast<double>(c[j]));
                if (t > big && t < std::numeric_limits<double>::infinity()) big = t;
            }
        };
        for (index_t i = 0; i < n_; ++i) {
            // rounded costs, where there are some, are as good for a tolerance's scale
            if (const float* c = costs_.approx_row(i))
                scan(c);
            else
                scan(costs_.row(i, scratch_.get()));
        }
        return big > 0.0 ? big : 1.0;
    }

    /// Block search: rows from where the last search stopped, `block` rows at a time; the most
    /// negative reduced cost of the block enters. False when no arc prices negative.
    ///
    /// With float costs (Costs::approx_row), pricing streams half the bytes; an arc is taken only
    /// if its reduced cost is negative by more than the rounding (2^-24 of the largest cost per
    /// cost, allowed for 4 times over), so it is negative in exact arithmetic too, and its
    /// reduced cost for the pivot is recomputed exactly. Once no arc passes that test, pricing
    /// goes on, to the end, on exact rows: optimality is always decided exactly.
    bool price(index_t block, index_t& enter_row, index_t& enter_col, double& enter_r) {
        // Below this, a negative reduced cost is rounding in the potentials, not a gain.
        const double tolerance = -64.0 * std::numeric_limits<double>::epsilon() * scale_;
        if (use_approx_) {
            if (price_rows<true>(block, tolerance - std::ldexp(scale_, -22), enter_row,
                                 enter_col)) {
                enter_r = costs_.at(enter_row, enter_col) - pot_[enter_row] - pot_[n_ + enter_col];
                if (enter_r < tolerance) return true;
            }
            use_approx_ = false;
            enter_row = enter_col = -1;
        }
        if (!price_rows<false>(block, tolerance, enter_row, enter_col)) return false;
        // the reduced cost of the chosen arc, recomputed from its own cost
        enter_r = costs_.at(enter_row, enter_col) - pot_[enter_row] - pot_[n_ + enter_col];
        return true;
    }

    template <bool Approx>
    auto row_of(index_t i) {
        if constexpr (Approx)
            return costs_.approx_row(i);
        else
            return costs_.row(i, scratch_.get());
    }

    template <bool Approx>
    bool price_rows(index_t block, double threshold, index_t& enter_row, index_t& enter_col) {
        double best = threshold;
        index_t seen = 0;
        const double* v = pot_.get() + n_;
        for (index_t k = 0; k < n_; ++k) {
            const index_t i = next_row_;
            next_row_ = next_row_ + 1 == n_ ? 0 : next_row_ + 1;
            const auto* c = row_of<Approx>(i);
            const double lowest = simplex_detail::row_min(c, v, m_);
            const double r = lowest - pot_[i];
            if (r < best) {
                best = r;
                enter_row = i;
                enter_col = row_search::first_difference_equal(c, v, m_, lowest);
            }
            if (++seen >= block && enter_row >= 0) break;
        }
        return enter_row >= 0;
    }

    void pivot(index_t enter_row, index_t enter_col, double r) {
        const std::int64_t a = enter_row, b = n_ + enter_col;
        // The apex: climb from a and from b in turns, marking each side's nodes, until one
        // side steps on a node the other has marked (no depths to keep up to date).
        const std::int64_t stamp = ++stamp_;
        std::int64_t x = a, y = b;
        mark_[a] = stamp;
        mark_[b] = -stamp;
        for (;;) {
            const std::int64_t px = parent_[x];
            if (px != kNone) {
                if (mark_[px] == -stamp) {
                    x = px;
                    break;
                }
                mark_[px] = stamp;
                x = px;
            }
            const std::int64_t py = parent_[y];
            if (py != kNone) {
                if (mark_[py] == stamp) {
                    x = py;
                    break;
                }
                mark_[py] = -stamp;
                y = py;
            }
        }
        const std::int64_t join = x;
        // Mass goes a -> b on the entering arc, then back from b up to the apex and down to a.
        // Arcs it runs against lose mass: on a's side those stored at rows, on b's side those
        // stored at columns. The leaving arc is the last of the emptiest such arcs met from
        // the apex along the flow (down a's side, then up b's side): the strongly feasible rule.
        double theta = std::numeric_limits<double>::infinity();
        std::int64_t leave = kNone;
        bool leave_on_b_side = false;
        for (x = a; x != join; x = parent_[x])
            if (is_row(x) && flow_[x] < theta) {
                theta = flow_[x];
                leave = x;
            }
        for (x = b; x != join; x = parent_[x])
            if (!is_row(x) && flow_[x] <= theta) {
                theta = flow_[x];
                leave = x;
                leave_on_b_side = true;
            }
        if (theta > 0.0) {
            for (x = a; x != join; x = parent_[x]) flow_[x] += is_row(x) ? -theta : theta;
            for (x = b; x != join; x = parent_[x]) flow_[x] += is_row(x) ? theta : -theta;
        }
        // The subtree S below the leaving arc is hung from the entering arc: its stem, the
        // path from the new root (a or b) up to the leaving node, is reversed.
        const std::int64_t new_root = leave_on_b_side ? b : a;
        const std::int64_t attach = leave_on_b_side ? a : b;
        const std::int32_t cut = size_[leave];
        index_t stem = 0;
        for (x = new_root;; x = parent_[x]) {
            stack_[stem++] = x;
            if (x == leave) break;
        }
        const std::int64_t s_last = rethread(stem, attach);
        // Sizes: the old path from the cut to the apex loses |S|, the new one from the
        // attachment to the apex gains it; on the stem each node keeps |S| minus what hung
        // below it before.
        for (x = parent_[leave]; x != join; x = parent_[x]) size_[x] -= cut;
        std::int64_t prev = attach;
        double carried = theta;
        std::int32_t below = 0;
        for (index_t k = 0; k < stem; ++k) {
            const std::int64_t node = stack_[k];
            const double up_flow = flow_[node];
            const std::int32_t old_size = size_[node];
            parent_[node] = static_cast<std::int32_t>(prev);
            flow_[node] = carried;
            size_[node] = cut - below;
            below = old_size;
            prev = node;
            carried = up_flow;
        }
        for (x = attach; x != join; x = parent_[x]) size_[x] += cut;
        // The entering arc must be tight: shift the potentials of S by r (rows) and -r
        // (columns), or, when S is the larger part, those of the rest the other way (the duals
        // are defined up to such a shift): a walk of the smaller side. S is now the run of the
        // thread from new_root to s_last, the rest the run after it.
        const double d_row = is_row(new_root) ? r : -r;
        if (2 * static_cast<index_t>(cut) <= n_ + m_)
            shift_potentials(new_root, cut, d_row);
        else
            shift_potentials(thread_[s_last], n_ + m_ - cut, -d_row);
    }

    /**
     * The thread after S (the subtree of the stem's top, stack_[stem - 1]) is re-rooted at the
     * stem's bottom stack_[0] and hung from `attach`; parents are still the old ones. Returns
     * S's last node in the new preorder.
     *
     * Re-rooted at p0 = stack_[0], with p_i = stack_[i] on the stem, S in preorder is p0's old
     * run, then for each p_i (i >= 1) its old run without p_{i-1}'s: the part before it
     * (p_i .. the predecessor of p_{i-1}) and the part after it (if p_{i-1}'s run did not end
     * p_i's). Every stem node's subtree then ends where S ends. S goes in right after attach.
     */
    std::int64_t rethread(index_t stem, std::int64_t attach) {
        const std::int64_t top = stack_[stem - 1];
        const std::int32_t old_last = last_[top];
        // The runs, from the old thread, before it changes.
        index_t runs = 0;
        segment_[runs++] = static_cast<std::int32_t>(stack_[0]);
        segment_[runs++] = last_[stack_[0]];
        for (index_t k = 1; k < stem; ++k) {
            const std::int64_t p = stack_[k], below = stack_[k - 1];
            segment_[runs++] = static_cast<std::int32_t>(p);
            segment_[runs++] = rev_thread_[below];
            if (last_[below] != last_[p]) {
                segment_[runs++] = thread_[last_[below]];
                segment_[runs++] = last_[p];
            }
        }
        // S leaves its place; ancestors whose run ended with S now end just before it.
        const std::int32_t before = rev_thread_[top];
        link(before, thread_[old_last]);
        for (std::int64_t z = parent_[top]; z != kNone && last_[z] == old_last; z = parent_[z])
            last_[z] = before;
        // The runs chained in their new order, then S spliced in after attach.
        for (index_t k = 1; k + 1 < runs; k += 2) link(segment_[k], segment_[k + 1]);
        const std::int32_t s_last = segment_[runs - 1];
        link(s_last, thread_[attach]);
        link(attach, stack_[0]);
        for (index_t k = 0; k < stem; ++k) last_[stack_[k]] = s_last;
        for (std::int64_t z = attach; z != kNone && last_[z] == attach; z = parent_[z])
            last_[z] = s_last;
        return s_last;
    }
};

FASTLOSS_END_ISA_NAMESPACE
