// The EMD kernel over a batch of problems: one exact solve per problem (network_simplex.hpp or
// ssp_solver.hpp), problems spread over threads (one problem per thread; a lone problem uses
// the threads for its cost matrix), then the value, the basic plan, the balanced duals and the
// gradients they give.
#pragma once

#include <algorithm>

#include "fastloss/transport/network_simplex.hpp"
#include "fastloss/transport/ssp_solver.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace emd_detail {

/// A solved problem: the plan's entries sorted by (row, column), and the duals.
struct SolvedProblem {
    std::unique_ptr<std::int64_t[]> rows, cols;
    std::unique_ptr<double[]> mass, u, v;
    std::int64_t count = 0, iterations = 0;
    TransportStatus status = TransportStatus::Optimal;

    SolvedProblem(index_t n, index_t m)
        : rows(make_buffer<std::int64_t>(n + m)),
          cols(make_buffer<std::int64_t>(n + m)),
          mass(make_buffer<double>(n + m)),
          u(make_buffer<double>(n)),
          v(make_buffer<double>(m)) {}

    /// Entries in (row, column) order: a deterministic output whatever path the solver took,
    /// and the order the value is summed in.
    void sort_entries() {
        std::unique_ptr<std::int64_t[]> order = make_buffer<std::int64_t>(count);
        for (std::int64_t q = 0; q < count; ++q) order[q] = q;
        const std::int64_t* r = rows.get();
        const std::int64_t* c = cols.get();
        std::sort(order.get(), order.get() + count, [r, c](std::int64_t p, std::int64_t q) {
            return r[p] != r[q] ? r[p] < r[q] : c[p] < c[q];
        });
        std::unique_ptr<std::int64_t[]> r2 = make_buffer<std::int64_t>(count);
        std::unique_ptr<std::int64_t[]> c2 = make_buffer<std::int64_t>(count);
        std::unique_ptr<double[]> m2 = make_buffer<double>(count);
        for (std::int64_t q = 0; q < count; ++q) {
            r2[q] = r[order[q]];
            c2[q] = c[order[q]];
            m2[q] = mass[order[q]];
        }
        rows = std::move(r2);
        cols = std::move(c2);
        mass = std::move(m2);
    }

    /// Shifts u up and v down by one constant so that sum a u = sum b v (the gauge is free).
    void balance_duals(const double* a, const double* b, index_t n, index_t m) {
        double su = 0.0, sv = 0.0, total = 0.0;
        for (index_t i = 0; i < n; ++i) {
            su += a[i] * u[i];
            total += a[i];
        }
        for (index_t j = 0; j < m; ++j) sv += b[j] * v[j];
        if (!(total > 0.0)) return;
        const double shift = (sv - su) / (2.0 * total);
        for (index_t i = 0; i < n; ++i) u[i] += shift;
        for (index_t j = 0; j < m; ++j) v[j] -= shift;
    }
};

template <class Solver>
void take_solution(const Solver& solver, index_t n, index_t m, SolvedProblem& out) {
    out.count = solver.export_plan(out.rows.get(), out.cols.get(), out.mass.get());
    out.iterations = solver.iterations();
    for (index_t i = 0; i < n; ++i) out.u[i] = solver.u()[i];
    for (index_t j = 0; j < m; ++j) out.v[j] = solver.v()[j];
}

constexpr index_t kAssignmentCrossover = 1000;

inline bool all_equal(const double* w, index_t len) {
    for (index_t i = 1; i < len; ++i)
        if (w[i] != w[0]) return false;
    return true;
}

/// Points along a Z-order (Morton) curve over their common bounding box: neighbours on the
/// curve are near in space, so the north-west corner along it (the network simplex's start,
/// for the mass its greedy pass leaves) moves mass locally. (As the whole start, it saved a
/// few per cent of the pivots of a projection on the sum of the coordinates; unlike a
/// projection it stays local in any dimension.)
template <class T>
void curve_order(const T* pts, index_t len, index_t d, const double* lo, const double* span,
                 std::int64_t* order) {
    const index_t dims = d < 63 ? d : 63;
    const int bits = static_cast<int>(63 / dims) < 21 ? static_cast<int>(63 / dims) : 21;
    const double cells = static_cast<double>((std::uint64_t{1} << bits) - 1);
    std::unique_ptr<std::uint64_t[]> key = make_buffer<std::uint64_t>(len);
    for (index_t i = 0; i < len; ++i) {
        std::uint64_t code = 0;
        for (index_t c = 0; c < dims; ++c) {
            const double t = span[c] > 0 ? (static_cast<double>(pts[i * d + c]) - lo[c]) / span[c] : 0.0;
            const std::uint64_t q = static_cast<std::uint64_t>(t * cells);
            for (int bit = 0; bit < bits; ++bit)
                code |= ((q >> bit) & 1u) << (bit * dims + c);
        }
        key[i] = code;
        order[i] = i;
    }
    const std::uint64_t* k = key.get();
    std::sort(order, order + len, [k](std::int64_t p, std::int64_t q) {
        return k[p] != k[q] ? k[p] < k[q] : p < q;
    });
}

/// The bounding box of both point sets (lo, span per coordinate).
template <class T>
void bounding_box(const T* x, index_t n, const T* y, index_t m, index_t d, double* lo,
                  double* span) {
    for (index_t c = 0; c < d; ++c) {
        double mn = static_cast<double>(x[c]), mx = mn;
        for (index_t i = 0; i < n; ++i) {
            const double t = static_cast<double>(x[i * d + c]);
            mn = t < mn ? t : mn;
            mx = t > mx ? t : mx;
        }
        for (index_t j = 0; j < m; ++j) {
            const double t = static_cast<double>(y[j * d + c]);
            mn = t < mn ? t : mn;
            mx = t > mx ? t : mx;
        }
        lo[c] = mn;
        span[c] = mx - mn;
    }
}

template <class T>
bool uses_network_simplex(const TransportBatch<T>& in, index_t k, index_t nk, index_t mk) {
    if (in.method != TransportMethod::Auto) return in.method == TransportMethod::NetworkSimplex;
    // Measured (bench/bench_transport.py, uniform 3-D clouds): the shortest paths win on
    // assignment problems up to about 1000 points, the network simplex beyond and elsewhere.
    return !(nk == mk && nk <= kAssignmentCrossover && all_equal(in.a + k * in.n, nk) &&
             all_equal(in.b + k * in.m, mk));
}

template <class T, class Costs>
SolvedProblem solve_with(const Costs& costs, const TransportBatch<T>& in, std::int64_t max_iter,
                         index_t k, index_t nk, index_t mk) {
    const double* a = in.a + k * in.n;
    const double* b = in.b + k * in.m;
    SolvedProblem sol(nk, mk);
    if (uses_network_simplex(in, k, nk, mk)) {
        std::unique_ptr<std::int64_t[]> row_order = make_buffer<std::int64_t>(nk);
        std::unique_ptr<std::int64_t[]> col_order = make_buffer<std::int64_t>(mk);
        if (in.from_points()) {
            const T* xk = in.x + k * in.n * in.d;
            const T* yk = in.y + k * in.m * in.d;
            std::unique_ptr<double[]> lo = make_buffer<double>(in.d);
            std::unique_ptr<double[]> span = make_buffer<double>(in.d);
            bounding_box(xk, nk, yk, mk, in.d, lo.get(), span.get());
            curve_order(xk, nk, in.d, lo.get(), span.get(), row_order.get());
            curve_order(yk, mk, in.d, lo.get(), span.get(), col_order.get());
        } else {
            for (index_t i = 0; i < nk; ++i) row_order[i] = i;
            for (index_t j = 0; j < mk; ++j) col_order[j] = j;
        }
        NetworkSimplex<Costs> solver(costs, nk, mk, a, b, row_order.get(), col_order.get());
        sol.status = solver.solve(max_iter);
        take_solution(solver, nk, mk, sol);
    } else {
        SspSolver<Costs> solver(costs, nk, mk, a, b);
        sol.status = solver.solve(max_iter);
        solver.make_basic();
        take_solution(solver, nk, mk, sol);
    }
    sol.sort_entries();
    sol.balance_duals(a, b, nk, mk);
    return sol;
}

template <class T>
void write_dual_gradient(const double* pot, index_t len, index_t padded, double scale, T* grad) {
    // Centred potentials (POT's convention): the masses live on a simplex, so the gradient is
    // defined up to a constant, and the centred one is its projection.
    double mean = 0.0;
    for (index_t i = 0; i < len; ++i) mean += pot[i];
    mean = len > 0 ? mean / static_cast<double>(len) : 0.0;
    for (index_t i = 0; i < len; ++i) grad[i] = static_cast<T>(scale * (pot[i] - mean));
    for (index_t i = len; i < padded; ++i) grad[i] = T(0);
}

template <class T, class Costs>
void solve_problem(const Costs& costs, const TransportBatch<T>& in, TransportOutput<T>& out,
                   index_t k, index_t nk, index_t mk) {
    const double* a = in.a + k * in.n;
    const double* b = in.b + k * in.m;
    SolvedProblem sol = solve_with(costs, in, out.max_iter, k, nk, mk);
    double value = 0.0;
    for (std::int64_t q = 0; q < sol.count; ++q) value += sol.mass[q] * costs.at(sol.rows[q], sol.cols[q]);
    out.value[k] = value;
    out.status[k] = static_cast<std::int32_t>(sol.status);
    if (out.iterations) out.iterations[k] = sol.iterations;

    const index_t plan_len = in.n + in.m - 1;
    if (out.plan_count) {
        out.plan_count[k] = sol.count;
        for (std::int64_t q = 0; q < sol.count; ++q) {
            out.plan_rows[k * plan_len + q] = sol.rows[q];
            out.plan_cols[k * plan_len + q] = sol.cols[q];
            out.plan_mass[k * plan_len + q] = sol.mass[q];
        }
    }
    if (out.u) {
        for (index_t i = 0; i < in.n; ++i) out.u[k * in.n + i] = i < nk ? sol.u[i] : 0.0;
        for (index_t j = 0; j < in.m; ++j) out.v[k * in.m + j] = j < mk ? sol.v[j] : 0.0;
    }

    const double scale = out.grad_scale ? out.grad_scale[k] : 1.0;
    if (out.grad_a) write_dual_gradient(sol.u.get(), nk, in.n, scale, out.grad_a + k * in.n);
    if (out.grad_b) write_dual_gradient(sol.v.get(), mk, in.m, scale, out.grad_b + k * in.m);
    if (out.grad_cost) {
        T* g = out.grad_cost + k * in.n * in.m;
        for (std::int64_t q = 0; q < sol.count; ++q)
            g[sol.rows[q] * in.m + sol.cols[q]] = static_cast<T>(scale * sol.mass[q]);
    }
    if (out.grad_x || out.grad_y) {
        // d/dx_i sum_ij T_ij ||x_i - y_j||^p = sum_j T_ij f(d_ij) (x_i - y_j), and minus that
        // for y_j; accumulated in double, in plan order.
        const index_t d = in.d;
        const T* x = in.x + k * in.n * d;
        const T* y = in.y + k * in.m * d;
        std::unique_ptr<double[]> gx = make_buffer<double>(in.n * d);
        std::unique_ptr<double[]> gy = make_buffer<double>(in.m * d);
        for (index_t t = 0; t < in.n * d; ++t) gx[t] = 0.0;
        for (index_t t = 0; t < in.m * d; ++t) gy[t] = 0.0;
        for (std::int64_t q = 0; q < sol.count; ++q) {
            const std::int64_t i = sol.rows[q], j = sol.cols[q];
            double d2 = 0.0;
            for (index_t c = 0; c < d; ++c) {
                const double t = static_cast<double>(x[i * d + c]) - static_cast<double>(y[j * d + c]);
                d2 += t * t;
            }
            const double f = scale * sol.mass[q] * power_gradient_factor(d2, in.power);
            for (index_t c = 0; c < d; ++c) {
                const double t = f * (static_cast<double>(x[i * d + c]) -
                                      static_cast<double>(y[j * d + c]));
                gx[i * d + c] += t;
                gy[j * d + c] -= t;
            }
        }
        if (out.grad_x)
            for (index_t t = 0; t < in.n * d; ++t)
                out.grad_x[k * in.n * d + t] = static_cast<T>(gx[t]);
        if (out.grad_y)
            for (index_t t = 0; t < in.m * d; ++t)
                out.grad_y[k * in.m * d + t] = static_cast<T>(gy[t]);
    }
}

template <class T>
void solve_one(const TransportBatch<T>& in, TransportOutput<T>& out, index_t k, int threads) {
    const index_t nk = in.x_len(k), mk = in.y_len(k);
    if (in.from_points()) {
        PointCosts<T> costs(in.x + k * in.n * in.d, in.y + k * in.m * in.d, nk, mk, in.d,
                            in.power);
        if (nk * mk <= in.dense_cost_entries) {
            if (uses_network_simplex(in, k, nk, mk))
                costs.materialize_approx(threads);
            else
                costs.materialize(threads);
        }
        solve_problem(costs, in, out, k, nk, mk);
    } else {
        MatrixCosts<T> costs{in.cost + k * in.n * in.m, nk, mk, in.m};
        solve_problem(costs, in, out, k, nk, mk);
    }
}

}  // namespace emd_detail

/// Solves every problem of the batch. Results do not depend on the thread count: each problem
/// is solved by one thread, the same way.
template <class T>
void earth_movers_distance(const TransportBatch<T>& in, TransportOutput<T>& out, int num_threads) {
    if (in.batch == 1) {
        emd_detail::solve_one(in, out, 0, num_threads);
        return;
    }
    CancelToken* const cancel = current_cancel_token();
#pragma omp parallel for schedule(dynamic, 1) num_threads(num_threads) if (num_threads > 1)
    for (index_t k = 0; k < in.batch; ++k) {
        const CancelScope scope(cancel);  // the solvers of a worker thread see the caller's
        if (!stop_requested(cancel)) emd_detail::solve_one(in, out, k, 1);
    }
}

FASTLOSS_END_ISA_NAMESPACE
