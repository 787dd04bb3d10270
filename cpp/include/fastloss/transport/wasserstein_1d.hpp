// Optimal transport on the line in closed form: with a convex ground cost |x - y|^p (p >= 1)
// the monotone (north-west corner) plan between the sorted samples is optimal, so the cost is
// the integral of |F_u^-1(q) - F_v^-1(q)|^p over the quantile levels q, one merge pass over the
// two sorted samples. The same pass walks the plan's staircase, whose n + m - 1 pairs form a
// spanning tree: the dual potentials follow pair by pair (phi_i + psi_j = cost_ij on each).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "fastloss/transport/ground_cost.hpp"

namespace fastloss {

/// B problems: samples u (B x n) and v (B x m). A sample is read through its sorting
/// permutation (B x n of int64) when one is given, else it is already sorted. Masses (B x n,
/// B x m, original order, balanced totals) or null for uniform masses 1/n and 1/m.
template <class T>
struct Line1dBatch {
    const T* u = nullptr;
    const T* v = nullptr;
    const std::int64_t* u_order = nullptr;
    const std::int64_t* v_order = nullptr;
    const double* u_mass = nullptr;
    const double* v_mass = nullptr;
    index_t batch = 0, n = 0, m = 0;
    double power = 1.0;
};

/// Outputs in the samples' original order; every pointer but value may be null.
template <class T>
struct Line1dOutput {
    double* value = nullptr;            ///< (B,)
    const double* grad_scale = nullptr;  ///< (B,) or null (1)
    T* grad_u = nullptr;                ///< (B, n)
    T* grad_v = nullptr;                ///< (B, m)
    T* grad_u_mass = nullptr;           ///< (B, n): centred dual potentials
    T* grad_v_mass = nullptr;           ///< (B, m)
};

}  // namespace fastloss

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace line1d_detail {

/// |d|^p and its derivative in d (0 at d = 0 for p = 1, the subgradient fastloss picks).
FASTLOSS_ALWAYS_INLINE void cost_and_slope(double d, double power, double& c, double& s) {
    const double a = std::fabs(d);
    const double sign = d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0);
    if (power == 1.0) {
        c = a;
        s = sign;
    } else if (power == 2.0) {
        c = a * a;
        s = 2.0 * d;
    } else {
        c = std::pow(a, power);
        s = a > 0 ? power * c / a * sign : 0.0;
    }
}

/// One side of a problem: its sorted values and cumulative masses, read lazily.
template <class T>
struct Side {
    const T* x;
    const std::int64_t* order;
    const double* mass;
    index_t len;

    index_t at(index_t k) const { return order ? order[k] : k; }
    double value(index_t k) const { return static_cast<double>(x[at(k)]); }
    double weight(index_t k) const { return mass ? mass[at(k)] : 1.0 / static_cast<double>(len); }
};

template <class T>
void centre_into(const double* pot, const Side<T>& side, double scale, T* out) {
    double mean = 0.0;
    for (index_t k = 0; k < side.len; ++k) mean += pot[k];
    mean /= static_cast<double>(side.len);
    for (index_t k = 0; k < side.len; ++k)
        out[side.at(k)] = static_cast<T>(scale * (pot[k] - mean));
}

template <class T>
void solve(const Line1dBatch<T>& in, Line1dOutput<T>& out, index_t b) {
    const Side<T> u{in.u + b * in.n, in.u_order ? in.u_order + b * in.n : nullptr,
                    in.u_mass ? in.u_mass + b * in.n : nullptr, in.n};
    const Side<T> v{in.v + b * in.m, in.v_order ? in.v_order + b * in.m : nullptr,
                    in.v_mass ? in.v_mass + b * in.m : nullptr, in.m};
    const double scale = out.grad_scale ? out.grad_scale[b] : 1.0;
    T* gu = out.grad_u ? out.grad_u + b * in.n : nullptr;
    T* gv = out.grad_v ? out.grad_v + b * in.m : nullptr;
    const bool duals = out.grad_u_mass || out.grad_v_mass;
    std::unique_ptr<double[]> phi, psi;
    if (duals) {
        phi = make_buffer<double>(in.n);
        psi = make_buffer<double>(in.m);
    }
    // Uniform masses: cumulative levels (k + 1) / len exactly, so equal levels tie exactly.
    auto level = [](const Side<T>& s, index_t k, double running) {
        return s.mass ? running : static_cast<double>(k + 1) / static_cast<double>(s.len);
    };
    index_t i = 0, j = 0;
    double cu = u.weight(0), cv = v.weight(0);  // running cumulative masses (given masses)
    double q_prev = 0.0, total = 0.0;
    double ui = u.value(0), vj = v.value(0);
    double slope_i = 0.0, slope_j = 0.0;  // d value / d u_i, d v_j for the current i, j
    bool entered_by_u = false;
    for (index_t step = 0;; ++step) {
        const double lu = level(u, i, cu), lv = level(v, j, cv);
        const bool last = i == in.n - 1 && j == in.m - 1;
        const double q = last ? (lu > lv ? lu : lv) : (lu < lv ? lu : lv);
        const double width = q > q_prev ? q - q_prev : 0.0;
        double c, s;
        cost_and_slope(ui - vj, in.power, c, s);
        total += width * c;
        slope_i += width * s;
        slope_j -= width * s;
        if (duals) {
            // The staircase pair (i, j) is basic: phi_i + psi_j = c_ij. It was entered by
            // advancing i (phi_i is new) or j (psi_j is new), or it is the first (phi_0 = 0).
            if (step == 0) {
                phi[0] = 0.0;
                psi[0] = c;
            } else if (entered_by_u) {
                phi[i] = c - psi[j];
            } else {
                psi[j] = c - phi[i];
            }
        }
        q_prev = q > q_prev ? q : q_prev;
        if (last) break;
        // Advance the side whose level ends first; on a tie, u (the north-west corner rule).
        entered_by_u = j == in.m - 1 || (i < in.n - 1 && lu <= lv);
        if (entered_by_u) {
            if (gu) gu[u.at(i)] = static_cast<T>(scale * slope_i);
            slope_i = 0.0;
            ++i;
            ui = u.value(i);
            if (u.mass) cu += u.weight(i);
        } else {
            if (gv) gv[v.at(j)] = static_cast<T>(scale * slope_j);
            slope_j = 0.0;
            ++j;
            vj = v.value(j);
            if (v.mass) cv += v.weight(j);
        }
    }
    if (gu) gu[u.at(i)] = static_cast<T>(scale * slope_i);
    if (gv) gv[v.at(j)] = static_cast<T>(scale * slope_j);
    out.value[b] = total;
    if (out.grad_u_mass) centre_into(phi.get(), u, scale, out.grad_u_mass + b * in.n);
    if (out.grad_v_mass) centre_into(psi.get(), v, scale, out.grad_v_mass + b * in.m);
}

// ---- the value alone: the merge cut into pieces of the quantile range ----------------------

/// The cumulative mass after each sorted sample.
template <class T>
std::unique_ptr<double[]> levels(const Side<T>& s) {
    std::unique_ptr<double[]> level = make_buffer<double>(s.len);
    double run = 0.0;
    for (index_t k = 0; k < s.len; ++k) level[k] = run += s.mass[s.at(k)];
    return level;
}

inline index_t first_above(const double* level, index_t len, double q) {
    index_t lo = 0, hi = len - 1;  // the last level counts as +inf (the end)
    while (lo < hi) {
        const index_t mid = lo + (hi - lo) / 2;
        if (level[mid] > q)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/// The integral of cost(F_u^-1 - F_v^-1) over the quantile levels [q0, q1): the pair active
/// on an open interval is (first u level above it, first v level above it).
template <class T>
double merge_range(const Side<T>& u, const double* lu, const Side<T>& v, const double* lv,
                   double power, double q0, double q1) {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    index_t i = first_above(lu, u.len, q0), j = first_above(lv, v.len, q0);
    double q = q0, total = 0.0;
    while (q < q1) {
        const double end_u = i == u.len - 1 ? kInf : lu[i];
        const double end_v = j == v.len - 1 ? kInf : lv[j];
        double next = end_u < end_v ? end_u : end_v;
        next = next < q1 ? next : q1;
        double c, s;
        cost_and_slope(u.value(i) - v.value(j), power, c, s);
        total += (next - q) * c;
        q = next;
        i += end_u <= next ? 1 : 0;
        j += end_v <= next ? 1 : 0;
    }
    return total;
}

/// merge_range for uniform masses, in exact integer levels: the level after u's sample i is
/// (i + 1) m / (n m), after v's j (j + 1) n / (n m); [q0, q1) in those units.
template <class T>
double merge_uniform_range(const Side<T>& u, const Side<T>& v, double power, std::int64_t q0,
                           std::int64_t q1) {
    const std::int64_t n = u.len, m = v.len;
    const double unit = 1.0 / (static_cast<double>(n) * static_cast<double>(m));
    std::int64_t i = q0 / m, j = q0 / n;  // the first samples whose level is above q0
    std::int64_t q = q0;
    double total = 0.0;
    while (q < q1) {
        const std::int64_t end_u = (i + 1) * m, end_v = (j + 1) * n;
        std::int64_t next = end_u < end_v ? end_u : end_v;
        next = next < q1 ? next : q1;
        double c, s;
        cost_and_slope(u.value(i) - v.value(j), power, c, s);
        total += static_cast<double>(next - q) * c;
        q = next;
        i += end_u <= next ? 1 : 0;
        j += end_v <= next ? 1 : 0;
    }
    return total * unit;
}

/// Pieces of the quantile range merged independently: a number fixed by the problem's size
/// (never by the thread count), summed in order, so the value is the same for any threads.
constexpr index_t kLinePieceSamples = index_t{1} << 16;

template <class T>
double value_only(const Line1dBatch<T>& in, index_t b, int threads) {
    const Side<T> u{in.u + b * in.n, in.u_order ? in.u_order + b * in.n : nullptr,
                    in.u_mass ? in.u_mass + b * in.n : nullptr, in.n};
    const Side<T> v{in.v + b * in.m, in.v_order ? in.v_order + b * in.m : nullptr,
                    in.v_mass ? in.v_mass + b * in.m : nullptr, in.m};
    const index_t pieces = imax(1, imin(64, (in.n + in.m) / kLinePieceSamples));
    std::unique_ptr<double[]> part = make_buffer<double>(pieces);
    const bool parallel = threads > 1 && pieces > 1;
    (void)parallel;
    if (!u.mass) {  // both uniform (the caller gives masses for both sides or for neither)
        const std::int64_t top = in.n * in.m;
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
        for (index_t k = 0; k < pieces; ++k)
            part[k] = merge_uniform_range(u, v, in.power, top / pieces * k,
                                          k == pieces - 1 ? top : top / pieces * (k + 1));
        double total = 0.0;
        for (index_t k = 0; k < pieces; ++k) total += part[k];
        return total;
    }
    const std::unique_ptr<double[]> lu = levels(u), lv = levels(v);
    const double top = lu[in.n - 1] > lv[in.m - 1] ? lu[in.n - 1] : lv[in.m - 1];
#pragma omp parallel for schedule(static) num_threads(threads) if (parallel)
    for (index_t k = 0; k < pieces; ++k) {
        const double q0 = k == 0 ? 0.0 : top * static_cast<double>(k) / static_cast<double>(pieces);
        const double q1 = k == pieces - 1 ? top
                                          : top * static_cast<double>(k + 1) / static_cast<double>(pieces);
        part[k] = merge_range(u, lu.get(), v, lv.get(), in.power, q0, q1);
    }
    double total = 0.0;
    for (index_t k = 0; k < pieces; ++k) total += part[k];
    return total;
}

}  // namespace line1d_detail

/// Every problem of the batch, one per thread (each solved the same way for any thread count);
/// the value of a lone large problem is merged in pieces over the threads.
template <class T>
void wasserstein_1d(const Line1dBatch<T>& in, Line1dOutput<T>& out, int num_threads) {
    const bool value_only = !out.grad_u && !out.grad_v && !out.grad_u_mass && !out.grad_v_mass;
    if (value_only && in.batch == 1) {
        out.value[0] = line1d_detail::value_only(in, 0, num_threads);
        return;
    }
    const bool parallel = num_threads > 1 && in.batch > 1 &&
                          in.batch * (in.n + in.m) >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel for schedule(dynamic, 1) num_threads(num_threads) if (parallel)
    for (index_t b = 0; b < in.batch; ++b) {
        if (value_only)
            out.value[b] = line1d_detail::value_only(in, b, 1);
        else
            line1d_detail::solve(in, out, b);
    }
}

FASTLOSS_END_ISA_NAMESPACE
