// The EMD kernel over a batch of problems: one exact solve per problem (ssp_solver.hpp), problems
// spread over threads (one problem per thread; a lone problem uses the threads for its cost
// matrix), then the value, the basic plan, the balanced duals and the gradients it implies.
#pragma once

#include <algorithm>

#include "fastloss/transport/ssp_solver.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace emd_detail {

/// The plan's edges in (row, column) order: a deterministic output whatever path the solver
/// took, and the order the value is summed in.
inline std::int64_t sorted_edges(const FlowList& flows, std::int64_t* order) {
    std::int64_t count = 0;
    for (std::int64_t e = 0; e < flows.used; ++e)
        if (flows.live(e)) order[count++] = e;
    std::sort(order, order + count, [&](std::int64_t p, std::int64_t q) {
        return flows.row[p] != flows.row[q] ? flows.row[p] < flows.row[q]
                                            : flows.col[p] < flows.col[q];
    });
    return count;
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
    SspSolver<Costs> solver(costs, nk, mk, a, b);
    const TransportStatus status = solver.solve(out.max_iter);
    solver.make_basic();
    solver.balance_duals(a, b);
    const FlowList& flows = solver.flows();
    std::unique_ptr<std::int64_t[]> order = make_buffer<std::int64_t>(flows.used);
    const std::int64_t count = sorted_edges(flows, order.get());

    double value = 0.0;
    for (std::int64_t q = 0; q < count; ++q) {
        const std::int64_t e = order[q];
        value += flows.mass[e] * costs.at(flows.row[e], flows.col[e]);
    }
    out.value[k] = value;
    out.status[k] = static_cast<std::int32_t>(status);
    if (out.iterations) out.iterations[k] = solver.iterations();

    const index_t plan_len = in.n + in.m - 1;
    if (out.plan_count) {
        out.plan_count[k] = count;
        for (std::int64_t q = 0; q < count; ++q) {
            const std::int64_t e = order[q];
            out.plan_rows[k * plan_len + q] = flows.row[e];
            out.plan_cols[k * plan_len + q] = flows.col[e];
            out.plan_mass[k * plan_len + q] = flows.mass[e];
        }
    }
    if (out.u) {
        for (index_t i = 0; i < in.n; ++i) out.u[k * in.n + i] = i < nk ? solver.u()[i] : 0.0;
        for (index_t j = 0; j < in.m; ++j) out.v[k * in.m + j] = j < mk ? solver.v()[j] : 0.0;
    }

    const double scale = out.grad_scale ? out.grad_scale[k] : 1.0;
    if (out.grad_a) write_dual_gradient(solver.u(), nk, in.n, scale, out.grad_a + k * in.n);
    if (out.grad_b) write_dual_gradient(solver.v(), mk, in.m, scale, out.grad_b + k * in.m);
    if (out.grad_cost) {
        T* g = out.grad_cost + k * in.n * in.m;
        for (std::int64_t q = 0; q < count; ++q) {
            const std::int64_t e = order[q];
            g[flows.row[e] * in.m + flows.col[e]] = static_cast<T>(scale * flows.mass[e]);
        }
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
        for (std::int64_t q = 0; q < count; ++q) {
            const std::int64_t e = order[q];
            const std::int64_t i = flows.row[e], j = flows.col[e];
            double d2 = 0.0;
            for (index_t c = 0; c < d; ++c) {
                const double t = static_cast<double>(x[i * d + c]) - static_cast<double>(y[j * d + c]);
                d2 += t * t;
            }
            const double f = scale * flows.mass[e] * power_gradient_factor(d2, in.power);
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
        if (nk * mk <= in.dense_cost_entries) costs.materialize(threads);
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
#pragma omp parallel for schedule(dynamic, 1) num_threads(num_threads) if (num_threads > 1)
    for (index_t k = 0; k < in.batch; ++k) emd_detail::solve_one(in, out, k, 1);
}

FASTLOSS_END_ISA_NAMESPACE
