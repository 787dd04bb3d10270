// Exact discrete optimal transport by the primal network simplex, for general masses.
//
// The basis is a spanning tree of the n + m nodes (rows, then columns) with n + m - 1 arcs
// row -> column; flows live on tree arcs, potentials u (rows) and v (columns) make every tree
// arc tight (u_i + v_j = c_ij). Each pivot prices arcs by their reduced cost c_ij - u_i - v_j
// (block search: whole rows, one vectorised pass each, until a block of about sqrt(n m) arcs
// has been seen, then the most negative arc enters), pushes mass around the cycle it closes
// in the tree, and drops the arc that empties first. No arc prices negative: optimal.
//
// The start is the north-west corner plan along an order of rows and columns (for points, a
// space-filling curve through them, emd.hpp); ties advance the column, so every
// empty arc leaves a row for a column, away from the root. That tree is strongly feasible,
// and the leaving-arc rule below (the last blocking arc from the cycle's apex in the direction
// of the flow) keeps it so, which rules out cycling on degenerate pivots (Cunningham 1976).
// Tree arcs are stored at their child node (parent, flow, subtree size); children as sibling
// lists for the walk that shifts potentials after a pivot, over the smaller side of the cut.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fastloss/transport/ground_cost.hpp"
#include "fastloss/transport/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace simplex_detail {

/// min_j (c_j - v_j) over a row, vectorised; the argmin comes from a second pass when needed.
FASTLOSS_NOINLINE inline double row_min(const double* __restrict c, const double* __restrict v,
                                        index_t m) {
    double lowest = std::numeric_limits<double>::infinity();
#pragma omp simd reduction(min : lowest)
    for (index_t j = 0; j < m; ++j) {
        const double r = c[j] - v[j];
        lowest = r < lowest ? r : lowest;
    }
    return lowest;
}

inline index_t row_argmin(const double* c, const double* v, index_t m, double lowest) {
    index_t j = 0;
    while (j < m - 1 && !(c[j] - v[j] == lowest)) ++j;
    return j;
}

}  // namespace simplex_detail

template <class Costs>
class NetworkSimplex {
public:
    static constexpr std::int64_t kNone = -1;

    /// row_order, col_order: the order of the north-west corner start (permutations).
    NetworkSimplex(const Costs& costs, index_t n, index_t m, const double* a, const double* b,
                   const std::int64_t* row_order, const std::int64_t* col_order)
        : costs_(costs),
          n_(n),
          m_(m),
          node_(make_buffer<TreeNode>(n + m)),
          stack_(make_buffer<std::int64_t>(n + m)),
          mark_(make_buffer<std::int64_t>(n + m)),
          pot_(make_buffer<double>(n + m)),
          scratch_(make_buffer<double>(m)) {
        north_west_corner(a, b, row_order, col_order);
    }

    TransportStatus solve(std::int64_t max_iter) {
        compute_potentials();
        scale_ = cost_scale();
        // Rows per pricing block: about sqrt(n m) arcs (larger blocks were measured to save
        // few pivots and cost more time).
        const index_t block = std::max<index_t>(
            1, static_cast<index_t>(std::sqrt(static_cast<double>(n_) * static_cast<double>(m_))) / m_);
        // The potentials are shifted pivot after pivot (and a shift of the complement moves the
        // root's): rounding accumulates. They are recomputed from the tree every n + m pivots
        // (O(n + m), nothing amortised) and before optimality is declared.
        const std::int64_t refresh = n_ + m_;
        std::int64_t since_refresh = 0;
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
            if (node_[x].parent == kNone || !(node_[x].flow > 0.0)) continue;
            const std::int64_t p = node_[x].parent;
            rows[count] = x < n_ ? x : p;
            cols[count] = (x < n_ ? p : x) - n_;
            mass[count] = node_[x].flow;
            ++count;
        }
        return count;
    }

private:
    const Costs& costs_;
    index_t n_, m_;
    /// A node of the basis tree with the arc to its parent, in one 32-byte record.
    struct TreeNode {
        std::int32_t parent, first_child, next_sibling, prev_sibling;
        std::int32_t size;  ///< nodes in the subtree rooted here
        std::int32_t unused;
        double flow;  ///< mass on the arc to the parent
    };
    std::unique_ptr<TreeNode[]> node_;
    std::unique_ptr<std::int64_t[]> stack_;
    std::unique_ptr<std::int64_t[]> mark_;  // apex search: +stamp from a's side, -stamp from b's
    std::int64_t stamp_ = 0;
    std::unique_ptr<double[]> pot_, scratch_;
    std::int64_t root_ = 0, iterations_ = 0;
    index_t next_row_ = 0;
    double scale_ = 1.0;

    bool is_row(std::int64_t x) const { return x < n_; }

    /// The cost of the arc between node x and node y (one a row, the other a column).
    double arc_cost(std::int64_t x, std::int64_t y) const {
        return is_row(x) ? costs_.at(x, y - n_) : costs_.at(y, x - n_);
    }

    void add_child(std::int64_t p, std::int64_t x) {
        node_[x].parent = p;
        node_[x].prev_sibling = kNone;
        node_[x].next_sibling = node_[p].first_child;
        if (node_[p].first_child != kNone) node_[node_[p].first_child].prev_sibling = x;
        node_[p].first_child = x;
    }

    void remove_child(std::int64_t x) {
        const std::int64_t p = node_[x].parent;
        if (node_[x].prev_sibling != kNone)
            node_[node_[x].prev_sibling].next_sibling = node_[x].next_sibling;
        else
            node_[p].first_child = node_[x].next_sibling;
        if (node_[x].next_sibling != kNone) node_[node_[x].next_sibling].prev_sibling = node_[x].prev_sibling;
    }

    void north_west_corner(const double* a, const double* b, const std::int64_t* row_order,
                           const std::int64_t* col_order) {
        for (index_t x = 0; x < n_ + m_; ++x) {
            node_[x].first_child = kNone;
            node_[x].size = 1;
            mark_[x] = 0;
        }
        index_t i = 0, j = 0, created = 0;
        std::int64_t row = row_order[0], col = n_ + col_order[0];
        root_ = row;
        node_[row].parent = kNone;
        stack_[created++] = row;
        double ra = a[row], cb = b[col - n_];
        bool col_is_new = true;  // the node the current arc brought into the tree
        for (;;) {
            const double f = ra < cb ? ra : cb;
            ra -= f;
            cb -= f;
            const std::int64_t child = col_is_new ? col : row;
            add_child(col_is_new ? row : col, child);
            node_[child].flow = f;
            stack_[created++] = child;
            if (i == n_ - 1 && j == m_ - 1) break;
            // The column is used up (ties included): the next arc brings the next column.
            col_is_new = i == n_ - 1 || (j < m_ - 1 && ra >= cb);
            if (col_is_new) {
                col = n_ + col_order[++j];
                cb = b[col - n_];
            } else {
                row = row_order[++i];
                ra = a[row];
            }
        }
        // Subtree sizes: every node was created after its parent.
        for (index_t k = created - 1; k > 0; --k)
            node_[node_[stack_[k]].parent].size += node_[stack_[k]].size;
    }

    /// Adds d_row to the rows and -d_row to the columns of the subtree of `top`, leaving out
    /// the subtree of `skip`.
    void shift_potentials(std::int64_t top_node, std::int64_t skip, double d_row) {
        index_t top = 0;
        stack_[top++] = top_node;
        while (top > 0) {
            const std::int64_t p = stack_[--top];
            pot_[p] += is_row(p) ? d_row : -d_row;
            for (std::int64_t c = node_[p].first_child; c != kNone; c = node_[c].next_sibling)
                if (c != skip) stack_[top++] = c;
        }
    }

    /// u, v from the tree: the root row at 0, then each arc tight, parents before children.
    void compute_potentials() {
        pot_[root_] = 0.0;
        index_t top = 0;
        stack_[top++] = root_;
        while (top > 0) {
            const std::int64_t p = stack_[--top];
            for (std::int64_t x = node_[p].first_child; x != kNone; x = node_[x].next_sibling) {
                pot_[x] = arc_cost(x, p) - pot_[p];
                stack_[top++] = x;
            }
        }
    }

    /// The largest |cost| (over finite costs): the scale of the pricing tolerance.
    double cost_scale() {
        double big = 0.0;
        for (index_t i = 0; i < n_; ++i) {
            const double* c = costs_.row(i, scratch_.get());
            for (index_t j = 0; j < m_; ++j) {
                const double t = std::fabs(c[j]);
                if (t > big && t < std::numeric_limits<double>::infinity()) big = t;
            }
        }
        return big > 0.0 ? big : 1.0;
    }

    /// Block search: rows from where the last search stopped, `block` rows at a time; the most
    /// negative reduced cost of the block enters. False when no arc prices negative.
    bool price(index_t block, index_t& enter_row, index_t& enter_col, double& enter_r) {
        // Below this, a negative reduced cost is rounding in the potentials, not a gain.
        const double tolerance = -64.0 * std::numeric_limits<double>::epsilon() * scale_;
        double best = tolerance;
        index_t seen = 0;
        const double* v = pot_.get() + n_;
        for (index_t k = 0; k < n_; ++k) {
            const index_t i = next_row_;
            next_row_ = next_row_ + 1 == n_ ? 0 : next_row_ + 1;
            const double* c = costs_.row(i, scratch_.get());
            const double lowest = simplex_detail::row_min(c, v, m_);
            const double r = lowest - pot_[i];
            if (r < best) {
                best = r;
                enter_row = i;
                enter_col = simplex_detail::row_argmin(c, v, m_, lowest);
            }
            if (++seen >= block && enter_row >= 0) break;
        }
        if (enter_row < 0) return false;
        // the reduced cost of the chosen arc, recomputed from its own cost
        enter_r = costs_.at(enter_row, enter_col) - pot_[enter_row] - pot_[n_ + enter_col];
        return true;
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
            const std::int64_t px = node_[x].parent;
            if (px != kNone) {
                if (mark_[px] == -stamp) {
                    x = px;
                    break;
                }
                mark_[px] = stamp;
                x = px;
            }
            const std::int64_t py = node_[y].parent;
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
        for (x = a; x != join; x = node_[x].parent)
            if (is_row(x) && node_[x].flow < theta) {
                theta = node_[x].flow;
                leave = x;
            }
        for (x = b; x != join; x = node_[x].parent)
            if (!is_row(x) && node_[x].flow <= theta) {
                theta = node_[x].flow;
                leave = x;
                leave_on_b_side = true;
            }
        if (theta > 0.0) {
            for (x = a; x != join; x = node_[x].parent) node_[x].flow += is_row(x) ? -theta : theta;
            for (x = b; x != join; x = node_[x].parent) node_[x].flow += is_row(x) ? theta : -theta;
        }
        // Hang the subtree S cut off below the leaving arc from the entering arc: reverse the
        // parent links on the path from its new root (a or b) up to the leaving node. Sizes:
        // the old path from the cut to the apex loses |S|, the new one from the attachment to
        // the apex gains it; on the reversed path each node keeps |S| minus what hung below.
        const std::int64_t new_root = leave_on_b_side ? b : a;
        const std::int64_t attach = leave_on_b_side ? a : b;
        const std::int32_t cut = node_[leave].size;
        for (x = node_[leave].parent; x != join; x = node_[x].parent) node_[x].size -= cut;
        std::int64_t prev = attach, node = new_root;
        double carried = theta;
        std::int32_t below = 0;
        for (;;) {
            const std::int64_t up = node_[node].parent;
            const double up_flow = node_[node].flow;
            const std::int32_t old_size = node_[node].size;
            remove_child(node);
            add_child(prev, node);
            node_[node].flow = carried;
            node_[node].size = cut - below;
            if (node == leave) break;
            below = old_size;
            prev = node;
            carried = up_flow;
            node = up;
        }
        for (x = attach; x != join; x = node_[x].parent) node_[x].size += cut;
        // The entering arc must be tight: shift the potentials of S by r (rows) and -r
        // (columns), or, when S is the larger part, those of the rest the other way (the duals
        // are defined up to such a shift): a walk of the smaller side.
        const double d_row = is_row(new_root) ? r : -r;
        if (2 * static_cast<index_t>(cut) <= n_ + m_)
            shift_potentials(new_root, kNone, d_row);
        else
            shift_potentials(root_, new_root, -d_row);
    }
};

FASTLOSS_END_ISA_NAMESPACE
