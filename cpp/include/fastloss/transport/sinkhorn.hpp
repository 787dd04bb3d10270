// Entropic optimal transport by Sinkhorn's iterations in the log domain (an approximation of
// the exact EMD, documented as such).
//
//   W_eps = min_T <T, C> + eps KL(T | a b^T)   over plans T with marginals a, b,
//
// solved through its dual potentials: T_ij = a_i b_j exp((f_i + g_j - c_ij) / eps), alternating
//   f_i = -eps log sum_j b_j exp((g_j - c_ij) / eps),  g_j = -eps log sum_i a_i exp((f_i - c_ij) / eps),
// each a row-wise log-sum-exp (max first: stable for any eps) over C or over C^T, so both
// half-steps stream contiguous rows. Rows are independent: threads split them, and the result
// does not depend on their number. The L1 error of the row marginals comes free with each
// f-step (the row sums of the previous plan are a_i exp((f_old - f_new) / eps)). At the fixed
// point W_eps = <a, f> + <b, g>, and by the envelope theorem its gradients are the potentials
// (w.r.t. the masses) and sum_j T_ij dc(x_i, y_j)/dx_i (w.r.t. the points).
#pragma once

#include <cmath>
#include <cstring>
#include <limits>

#include "fastloss/common/vmath.hpp"
#include "fastloss/transport/ground_cost.hpp"
#include "fastloss/transport/params.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace sinkhorn_detail {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// -eps log sum_j exp(log_w_j + (pot_j - c_j) / eps), with h as scratch.
FASTLOSS_NOINLINE inline double soft_min_row(const double* __restrict c,
                                             const double* __restrict log_w,
                                             const double* __restrict pot, double inv_eps,
                                             index_t m, double* __restrict h) {
    double top = kNegInf;
#pragma omp simd reduction(max : top)
    for (index_t j = 0; j < m; ++j) {
        const double v = log_w[j] + (pot[j] - c[j]) * inv_eps;
        h[j] = v;
        top = v > top ? v : top;
    }
    if (!(top > kNegInf)) return std::numeric_limits<double>::infinity();
    double sum = 0.0;
#pragma omp simd reduction(+ : sum)
    for (index_t j = 0; j < m; ++j) sum += vm::exp_nonpositive(h[j] - top);
    return -(top + std::log(sum)) / inv_eps;
}

/// One half-step: pot_rows from pot_cols over the rows of `costs`; returns the L1 error of the
/// row marginals of the plan before it, sum_i w_i |exp((old_i - new_i) / eps) - 1|.
template <class Costs>
double half_step(const Costs& costs, index_t rows, index_t cols, const double* log_w_cols,
                 const double* w_rows, const double* pot_cols, double* pot_rows, double eps,
                 int threads) {
    const double inv_eps = 1.0 / eps;
    const index_t block = rows_per_block(cols);
    return ordered_block_sum(rows, block, rows * cols, threads, [&](index_t begin, index_t end) {
        std::unique_ptr<double[]> scratch = make_buffer<double>(cols);
        std::unique_ptr<double[]> h = make_buffer<double>(cols);
        double err = 0.0;
        for (index_t i = begin; i < end; ++i) {
            const double* c = costs.row(i, scratch.get());
            const double fresh = soft_min_row(c, log_w_cols, pot_cols, inv_eps, cols, h.get());
            if (w_rows[i] > 0.0)
                err += w_rows[i] * std::fabs(std::exp((pot_rows[i] - fresh) * inv_eps) - 1.0);
            pot_rows[i] = fresh;
        }
        return err;
    });
}

/// Adds scale * sum_j T_ij dc(x_i, y_j)/dx_i to grad (n x D, double) for every row i of
/// `costs` (points x against y), T from the potentials.
template <class T>
void plan_gradient(const PointCosts<T>& costs, const double* log_a, const double* log_b,
                   const double* f, const double* g, double eps, double scale, double* grad,
                   int threads) {
    const index_t n = costs.n, m = costs.m, d = costs.d;
    const double inv_eps = 1.0 / eps;
    const bool parallel = threads > 1 && n * m >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel num_threads(threads) if (parallel)
    {
        std::unique_ptr<double[]> d2 = make_buffer<double>(m);
        std::unique_ptr<double[]> w = make_buffer<double>(m);
#pragma omp for schedule(static)
        for (index_t i = 0; i < n; ++i) {
            if (!(log_a[i] > kNegInf)) {
                for (index_t k = 0; k < d; ++k) grad[i * d + k] = 0.0;
                continue;
            }
            costs.squared_distances(i, d2.get());
            double total = 0.0;
            for (index_t j = 0; j < m; ++j) {
                const double c = power_of_squared(d2[j], costs.power);
                const double t = std::exp(log_a[i] + log_b[j] + (f[i] + g[j] - c) * inv_eps);
                w[j] = t * power_gradient_factor(d2[j], costs.power);
                total += w[j];
            }
            for (index_t k = 0; k < d; ++k) {
                const double* yk = costs.yt.get() + k * m;
                double dot = 0.0;
#pragma omp simd reduction(+ : dot)
                for (index_t j = 0; j < m; ++j) dot += w[j] * yk[j];
                grad[i * d + k] =
                    scale * (static_cast<double>(costs.x[i * d + k]) * total - dot);
            }
        }
    }
}

inline void log_masses(const double* w, index_t len, double* out) {
    for (index_t i = 0; i < len; ++i) out[i] = w[i] > 0.0 ? std::log(w[i]) : kNegInf;
}

/// One entropic problem between two point sets, with what its gradients need.
template <class T>
struct EntropicProblem {
    PointCosts<T> rows, cols;  // C and C^T
    std::unique_ptr<double[]> log_a, log_b, f, g;
    const double *a, *b;
    std::int64_t iterations = 0;
    bool converged = false;
    bool symmetric = false;  // the same points and masses on both sides

    EntropicProblem(const T* x, const T* y, index_t n, index_t m, index_t d, double power,
                    const double* a_, const double* b_, index_t dense_limit, int threads)
        : rows(x, y, n, m, d, power),
          cols(y, x, m, n, d, power),
          log_a(make_buffer<double>(n)),
          log_b(make_buffer<double>(m)),
          f(make_buffer<double>(n)),
          g(make_buffer<double>(m)),
          a(a_),
          b(b_) {
        if (n * m <= dense_limit) {
            rows.materialize(threads);
            cols.materialize(threads);
        }
        log_masses(a, n, log_a.get());
        log_masses(b, m, log_b.get());
        symmetric = n == m && std::memcmp(x, y, sizeof(T) * static_cast<std::size_t>(n * d)) == 0 &&
                    std::memcmp(a, b, sizeof(double) * static_cast<std::size_t>(n)) == 0;
    }

    /// Epsilon scaling (Kosowsky and Yuille; Schmitzer; GeomLoss): one update at each of
    /// eps_k = max_cost * scaling^k down to epsilon, warm-starting the potentials, before the
    /// iterations at epsilon itself. Small epsilon converges slowly from cold potentials (the
    /// contraction rate of Sinkhorn's map tends to 1 as epsilon -> 0); from the annealed ones
    /// it starts close. The first epsilon of the schedule (each next one is `scaling` times
    /// it, while above epsilon); 0 when there is none (scaling 0).
    /// Costs that overflowed to +inf are left out (an infinite start would never shrink: the
    /// caller reports the non-finite value such a problem ends with).
    double annealing_start(const SinkhornParams& prm) const {
        if (!(prm.scaling > 0.0)) return 0.0;
        constexpr double kMax = std::numeric_limits<double>::max();
        double top = 0.0;
        std::unique_ptr<double[]> scratch = make_buffer<double>(rows.m);
        for (index_t i = 0; i < rows.n; ++i) {
            const double* c = rows.row(i, scratch.get());
            for (index_t j = 0; j < rows.m; ++j) top = c[j] > top && c[j] <= kMax ? c[j] : top;
        }
        return top;
    }

    /// Runs the iterations; returns W_eps.
    double solve(const SinkhornParams& prm, int threads) {
        return symmetric ? solve_symmetric(prm, threads) : solve_pair(prm, threads);
    }

    /// A point set against itself (the debiasing terms, or identical inputs, whose divergence
    /// is then exactly 0): f = g by symmetry, and the averaged
    /// update f <- (f + softmin(f)) / 2 converges where the alternating one oscillates.
    double solve_symmetric(const SinkhornParams& prm, int threads) {
        const index_t n = rows.n;
        std::unique_ptr<double[]> fresh = make_buffer<double>(n);
        for (index_t i = 0; i < n; ++i) f[i] = 0.0;
        CancelToken* const cancel = current_cancel_token();
        auto step = [&](double eps) {
            for (index_t i = 0; i < n; ++i) fresh[i] = f[i];
            const double err =
                half_step(rows, n, n, log_a.get(), a, f.get(), fresh.get(), eps, threads);
            for (index_t i = 0; i < n; ++i) f[i] = 0.5 * (f[i] + fresh[i]);
            return err;
        };
        for (double eps = annealing_start(prm); eps > prm.epsilon && !stop_requested(cancel);
             eps *= prm.scaling)
            step(eps);
        std::int64_t done = 0;
        while (done < prm.max_iter && !stop_requested(cancel)) {
            const double err = step(prm.epsilon);
            ++iterations;
            if (++done > 1 && err <= prm.tol) {
                converged = true;
                break;
            }
        }
        double value = 0.0;
        for (index_t i = 0; i < n; ++i) {
            g[i] = f[i];
            if (a[i] > 0.0) value += 2.0 * a[i] * f[i];
        }
        return value;
    }

    double solve_pair(const SinkhornParams& prm, int threads) {
        const index_t n = rows.n, m = rows.m;
        for (index_t i = 0; i < n; ++i) f[i] = 0.0;
        for (index_t j = 0; j < m; ++j) g[j] = 0.0;
        CancelToken* const cancel = current_cancel_token();
        for (double eps = annealing_start(prm); eps > prm.epsilon && !stop_requested(cancel);
             eps *= prm.scaling) {
            half_step(cols, m, n, log_a.get(), b, f.get(), g.get(), eps, threads);
            half_step(rows, n, m, log_b.get(), a, g.get(), f.get(), eps, threads);
            ++iterations;
        }
        // g first: then every f-step measures the row error of a plan with exact columns.
        half_step(cols, m, n, log_a.get(), b, f.get(), g.get(), prm.epsilon, threads);
        std::int64_t done = 0;
        while (done < prm.max_iter && !stop_requested(cancel)) {
            const double err =
                half_step(rows, n, m, log_b.get(), a, g.get(), f.get(), prm.epsilon, threads);
            ++iterations;
            if (++done > 1 && err <= prm.tol) {
                converged = true;
                break;
            }
            half_step(cols, m, n, log_a.get(), b, f.get(), g.get(), prm.epsilon, threads);
        }
        double value = 0.0;
        for (index_t i = 0; i < n; ++i)
            if (a[i] > 0.0) value += a[i] * f[i];
        for (index_t j = 0; j < m; ++j)
            if (b[j] > 0.0) value += b[j] * g[j];
        return value;
    }
};

/// grad += scale * (centred potential) over the valid entries.
inline void add_centred(const double* pot, index_t len, double scale, double* grad) {
    double mean = 0.0;
    for (index_t i = 0; i < len; ++i) mean += pot[i];
    mean /= static_cast<double>(len);
    for (index_t i = 0; i < len; ++i) grad[i] += scale * (pot[i] - mean);
}

template <class T>
void solve_one(const TransportBatch<T>& in, const SinkhornParams& prm, SinkhornOutput<T>& out,
               index_t k, int threads) {
    const index_t nk = in.x_len(k), mk = in.y_len(k), d = in.d;
    const T* x = in.x + k * in.n * d;
    const T* y = in.y + k * in.m * d;
    const double* a = in.a + k * in.n;
    const double* b = in.b + k * in.m;
    const double scale = out.grad_scale ? out.grad_scale[k] : 1.0;
    const bool grads = out.grad_x || out.grad_y || out.grad_a || out.grad_b;
    std::unique_ptr<double[]> gx, gy, ga, gb, tmp;
    if (grads) {
        gx = make_buffer<double>(nk * d);
        gy = make_buffer<double>(mk * d);
        ga = make_buffer<double>(nk);
        gb = make_buffer<double>(mk);
        tmp = make_buffer<double>((nk > mk ? nk : mk) * d);
        for (index_t t = 0; t < nk * d; ++t) gx[t] = 0.0;
        for (index_t t = 0; t < mk * d; ++t) gy[t] = 0.0;
        for (index_t t = 0; t < nk; ++t) ga[t] = 0.0;
        for (index_t t = 0; t < mk; ++t) gb[t] = 0.0;
    }
    auto add = [](double* into, const double* from, index_t len, double w) {
        for (index_t t = 0; t < len; ++t) into[t] += w * from[t];
    };
    // W(x, y), then for the divergence -W(x, x)/2 - W(y, y)/2; a symmetric problem's gradient
    // w.r.t. its one point set is the sum over both of its sides.
    EntropicProblem<T> xy(x, y, nk, mk, d, in.power, a, b, in.dense_cost_entries, threads);
    double value = xy.solve(prm, threads);
    if (stop_requested(current_cancel_token())) return;  // the outputs are discarded
    bool converged = xy.converged;
    if (grads) {
        plan_gradient(xy.rows, xy.log_a.get(), xy.log_b.get(), xy.f.get(), xy.g.get(),
                      prm.epsilon, scale, gx.get(), threads);
        plan_gradient(xy.cols, xy.log_b.get(), xy.log_a.get(), xy.g.get(), xy.f.get(),
                      prm.epsilon, scale, gy.get(), threads);
        add_centred(xy.f.get(), nk, scale, ga.get());
        add_centred(xy.g.get(), mk, scale, gb.get());
    }
    if (prm.debias) {
        for (int side = 0; side < 2; ++side) {
            const T* p = side == 0 ? x : y;
            const double* w = side == 0 ? a : b;
            const index_t len = side == 0 ? nk : mk;
            EntropicProblem<T> self(p, p, len, len, d, in.power, w, w, in.dense_cost_entries,
                                    threads);
            value -= 0.5 * self.solve(prm, threads);
            converged = converged && self.converged;
            if (!grads) continue;
            double* gp = side == 0 ? gx.get() : gy.get();
            double* gw = side == 0 ? ga.get() : gb.get();
            plan_gradient(self.rows, self.log_a.get(), self.log_b.get(), self.f.get(),
                          self.g.get(), prm.epsilon, 1.0, tmp.get(), threads);
            add(gp, tmp.get(), len * d, -0.5 * scale);
            plan_gradient(self.cols, self.log_b.get(), self.log_a.get(), self.g.get(),
                          self.f.get(), prm.epsilon, 1.0, tmp.get(), threads);
            add(gp, tmp.get(), len * d, -0.5 * scale);
            add_centred(self.f.get(), len, -0.5 * scale, gw);
            add_centred(self.g.get(), len, -0.5 * scale, gw);
        }
    }
    out.value[k] = value;
    out.iterations[k] = xy.iterations;
    out.converged[k] = converged ? 1 : 0;
    if (!grads) return;
    auto store = [](T* dst, const double* src, index_t len, index_t padded) {
        for (index_t t = 0; t < len; ++t) dst[t] = static_cast<T>(src[t]);
        for (index_t t = len; t < padded; ++t) dst[t] = T(0);
    };
    if (out.grad_x) store(out.grad_x + k * in.n * d, gx.get(), nk * d, in.n * d);
    if (out.grad_y) store(out.grad_y + k * in.m * d, gy.get(), mk * d, in.m * d);
    if (out.grad_a) store(out.grad_a + k * in.n, ga.get(), nk, in.n);
    if (out.grad_b) store(out.grad_b + k * in.m, gb.get(), mk, in.m);
}

}  // namespace sinkhorn_detail

/// Every problem of the batch: one per thread, or a lone problem's rows over the threads.
template <class T>
void sinkhorn(const TransportBatch<T>& in, const SinkhornParams& prm, SinkhornOutput<T>& out,
              int num_threads) {
    if (in.batch == 1) {
        sinkhorn_detail::solve_one(in, prm, out, 0, num_threads);
        return;
    }
    CancelToken* const cancel = current_cancel_token();
#pragma omp parallel for schedule(dynamic, 1) num_threads(num_threads) if (num_threads > 1)
    for (index_t k = 0; k < in.batch; ++k) {
        const CancelScope scope(cancel);  // the solver of a worker thread sees the caller's
        if (!stop_requested(cancel)) sinkhorn_detail::solve_one(in, prm, out, k, 1);
    }
}

FASTLOSS_END_ISA_NAMESPACE
