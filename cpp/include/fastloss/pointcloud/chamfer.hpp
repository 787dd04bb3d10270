// Chamfer distance between batches of clouds, and the public nearest-neighbour query.
//
// Chamfer (PyTorch3D's convention): per cloud b,
//   v_b = w_b (wx R_i d(x_i, NN_y(x_i)) + wy R_j d(y_j, NN_x(y_j)))
// with R the point reduction (mean, sum or max over the cloud's points), then the batch
// reduction of v. The gradient holds each nearest neighbour fixed: a point gets the derivative
// of its own term, and its neighbour the opposite, gathered per neighbour in a fixed order
// (a counting sort of the queries by neighbour), so the result is the same for any thread
// count and no per-thread buffers are needed.
#pragma once

#include <cmath>
#include <memory>
#include <type_traits>

#include "fastloss/pointcloud/nearest.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE
namespace detail {

/// The distance reported for a squared or L1 search result.
template <class T>
inline T point_distance(T searched, PointDistance kind) {
    return kind == PointDistance::L2 ? std::sqrt(searched) : searched;
}

/// d distance(a, b) / d a, scaled by coef, into g (d values).
template <class T>
inline void distance_grad(const T* a, const T* b, index_t d, PointDistance kind, double coef,
                          double* g) {
    double norm = 0.0;
    if (kind == PointDistance::L2) {
        for (index_t k = 0; k < d; ++k) {
            const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
            norm += diff * diff;
        }
        norm = std::sqrt(norm);
    }
    for (index_t k = 0; k < d; ++k) {
        const double diff = static_cast<double>(a[k]) - static_cast<double>(b[k]);
        switch (kind) {
            case PointDistance::SquaredL2:
                g[k] = coef * 2.0 * diff;
                break;
            case PointDistance::L2:
                g[k] = norm > 0.0 ? coef * diff / norm : 0.0;
                break;
            case PointDistance::L1:
                g[k] = coef * static_cast<double>((diff > 0.0) - (diff < 0.0));
                break;
        }
    }
}

/// One direction of one cloud: queries a (n_a points) with neighbours idx in targets c.
template <class T>
struct Direction {
    const T* a;
    const T* c;
    const index_t* idx;
    const double* coef;  // d loss / d distance_i per query
    index_t n_a, n_c;
};

/// grad_a += the queries' own terms; grad_c -= the opposite terms, gathered per target in
/// increasing query order (a counting sort by neighbour into order / start).
template <class T>
void direction_grad(const Direction<T>& dir, index_t d, PointDistance kind, double* grad_a,
                    double* grad_c, index_t* order, index_t* start, int num_threads) {
    auto counted = [&](index_t i) { return dir.idx[i] >= 0 && dir.coef[i] != 0.0; };
    for (index_t j = 0; j <= dir.n_c; ++j) start[j] = 0;
    for (index_t i = 0; i < dir.n_a; ++i)
        if (counted(i)) ++start[dir.idx[i] + 1];
    for (index_t j = 0; j < dir.n_c; ++j) start[j + 1] += start[j];
    for (index_t i = 0; i < dir.n_a; ++i)
        if (counted(i)) order[start[dir.idx[i]]++] = i;
    for (index_t j = dir.n_c; j > 0; --j) start[j] = start[j - 1];
    start[0] = 0;
    const bool parallel = num_threads > 1 && (dir.n_a + dir.n_c) * d >= kParallelThreshold;
    (void)parallel;
#pragma omp parallel num_threads(num_threads) if (parallel)
    {
        std::unique_ptr<double[]> g(new double[static_cast<std::size_t>(d)]);
#pragma omp for schedule(static) nowait
        for (index_t i = 0; i < dir.n_a; ++i) {
            if (!counted(i)) continue;
            distance_grad(dir.a + i * d, dir.c + dir.idx[i] * d, d, kind, dir.coef[i], g.get());
            for (index_t k = 0; k < d; ++k) grad_a[i * d + k] += g[k];
        }
#pragma omp for schedule(static)
        for (index_t j = 0; j < dir.n_c; ++j)
            for (index_t m = start[j]; m < start[j + 1]; ++m) {
                const index_t i = order[m];
                distance_grad(dir.a + i * d, dir.c + j * d, d, kind, dir.coef[i], g.get());
                for (index_t k = 0; k < d; ++k) grad_c[j * d + k] -= g[k];
            }
    }
}

}  // namespace detail

/**
 * Chamfer distance of x (B, P, D) and y (B, Q, D) with lengths; weights (B,) or null. A
 * direction whose source or target cloud is empty contributes 0. Batch Mean divides by the
 * summed weights (B without weights), and is 0 if they sum to 0.
 */
template <class T>
void chamfer_distance(const CloudPair<T>& c, const ChamferParams& prm, const T* weights,
                      ChamferOutput<T>& out, int num_threads) {
    using namespace detail;
    const bool both = !prm.single_directional;
    const SearchMetric metric =
        prm.distance == PointDistance::L1 ? SearchMetric::L1 : SearchMetric::SquaredL2;
    // 1. nearest neighbours: x -> y, and y -> x
    TargetIndex<T> ty{c.y, c.y_lengths, c.batch, c.q, c.d};
    plan_targets(ty, c.x_lengths, c.p, prm.method);
    std::unique_ptr<TargetIndex<T>> tx;
    if (both) {
        tx.reset(new TargetIndex<T>{c.x, c.x_lengths, c.batch, c.p, c.d});
        plan_targets(*tx, c.y_lengths, c.q, prm.method);
    }
    build_targets(ty, tx.get(), num_threads);
    auto search = [&](auto metric_c) {
        constexpr SearchMetric kM = decltype(metric_c)::value;
        search_all<kM>(ty, c.x, c.x_lengths, c.p, 1, out.dist_x, out.idx_x, num_threads,
                       tx.get());
        if (both)
            search_all<kM>(*tx, c.y, c.y_lengths, c.q, 1, out.dist_y, out.idx_y, num_threads, &ty);
    };
    if (metric == SearchMetric::L1)
        search(std::integral_constant<SearchMetric, SearchMetric::L1>{});
    else
        search(std::integral_constant<SearchMetric, SearchMetric::SquaredL2>{});
    if (stop_requested(current_cancel_token())) return;  // neighbours incomplete

    // 2. per-point distances, per-cloud reductions (in double, in point order)
    const index_t nb = c.batch;
    std::unique_ptr<double[]> cloud(new double[static_cast<std::size_t>(nb)]);
    std::unique_ptr<index_t[]> argmax(new index_t[static_cast<std::size_t>(2 * nb)]);
    auto reduce_points = [&](T* dist, const index_t* idx, index_t stride, index_t len,
                             index_t other_len, index_t& arg) {
        arg = -1;
        double acc = 0.0, best = -1.0;
        for (index_t i = 0; i < stride; ++i) {
            if (i >= len || other_len == 0 || idx[i] < 0) {
                dist[i] = T(0);
                continue;
            }
            dist[i] = point_distance(dist[i], prm.distance);
            const double v = static_cast<double>(dist[i]);
            acc += v;
            if (v > best) {
                best = v;
                arg = i;
            }
        }
        if (len == 0 || other_len == 0) return 0.0;
        switch (prm.point_reduction) {
            case PointReduction::Mean:
                return acc / static_cast<double>(len);
            case PointReduction::Max:
                return best;
            default:
                return acc;
        }
    };
    double weight_sum = 0.0;
    for (index_t b = 0; b < nb; ++b) {
        const index_t lx = c.x_len(b), ly = c.y_len(b);
        const double w = weights ? static_cast<double>(weights[b]) : 1.0;
        weight_sum += w;
        double v = prm.x_weight * reduce_points(out.dist_x + b * c.p, out.idx_x + b * c.p, c.p,
                                                lx, ly, argmax[2 * b]);
        if (both)
            v += prm.y_weight * reduce_points(out.dist_y + b * c.q, out.idx_y + b * c.q, c.q, ly,
                                              lx, argmax[2 * b + 1]);
        cloud[b] = w * v;
    }
    const bool point_none = prm.point_reduction == PointReduction::None;
    double total = 0.0;
    for (index_t b = 0; b < nb; ++b) total += cloud[b];
    const double denominator = weights ? weight_sum : static_cast<double>(nb);
    if (out.batch_reduction == Reduction::None && out.per_cloud)
        for (index_t b = 0; b < nb; ++b) out.per_cloud[b] = static_cast<T>(cloud[b]);
    out.total = out.batch_reduction == Reduction::Mean
                    ? (denominator > 0.0 ? total / denominator : 0.0)
                    : total;
    if (point_none)  // the per-point terms, weighted as they enter the loss
        for (index_t b = 0; b < nb; ++b) {
            const double w = weights ? static_cast<double>(weights[b]) : 1.0;
            for (index_t i = 0; i < c.p; ++i)
                out.dist_x[b * c.p + i] =
                    static_cast<T>(w * prm.x_weight * static_cast<double>(out.dist_x[b * c.p + i]));
            if (both)
                for (index_t j = 0; j < c.q; ++j)
                    out.dist_y[b * c.q + j] = static_cast<T>(
                        w * prm.y_weight * static_cast<double>(out.dist_y[b * c.q + j]));
        }
    if (!out.grad_x) return;

    // 3. gradient: d loss / d distance per point, then through the distances
    const index_t d = c.d;
    std::unique_ptr<double[]> gx(new double[static_cast<std::size_t>(c.p * d)]);
    std::unique_ptr<double[]> gy(new double[static_cast<std::size_t>(c.q * d)]);
    std::unique_ptr<double[]> coef_x(new double[static_cast<std::size_t>(c.p)]);
    std::unique_ptr<double[]> coef_y(new double[static_cast<std::size_t>(c.q)]);
    const index_t most = imax(c.p, c.q);
    std::unique_ptr<index_t[]> order(new index_t[static_cast<std::size_t>(most)]);
    std::unique_ptr<index_t[]> start(new index_t[static_cast<std::size_t>(most + 1)]);
    auto coefficients = [&](double* coef, index_t b, index_t stride, index_t len, index_t other,
                            double dir_weight, const T* grad_point, index_t arg) {
        const double w = weights ? static_cast<double>(weights[b]) : 1.0;
        double g = out.grad_scale * w * dir_weight;
        if (out.batch_reduction == Reduction::Mean) g = denominator > 0.0 ? g / denominator : 0.0;
        if (out.batch_reduction == Reduction::None && out.grad_cloud)
            g *= static_cast<double>(out.grad_cloud[b]);
        for (index_t i = 0; i < stride; ++i) {
            double ci = 0.0;
            if (i < len && other > 0) switch (prm.point_reduction) {
                    case PointReduction::Mean:
                        ci = g / static_cast<double>(len);
                        break;
                    case PointReduction::Max:
                        ci = i == arg ? g : 0.0;
                        break;
                    case PointReduction::Sum:
                        ci = g;
                        break;
                    case PointReduction::None:
                        ci = out.grad_scale * w * dir_weight *
                             (grad_point ? static_cast<double>(grad_point[b * stride + i]) : 1.0);
                        break;
                }
            coef[i] = ci;
        }
    };
    for (index_t b = 0; b < nb; ++b) {
        const index_t lx = c.x_len(b), ly = c.y_len(b);
        const T* xb = c.x + b * c.p * d;
        const T* yb = c.y + b * c.q * d;
        for (index_t m = 0; m < c.p * d; ++m) gx[m] = 0.0;
        for (index_t m = 0; m < c.q * d; ++m) gy[m] = 0.0;
        coefficients(coef_x.get(), b, c.p, lx, ly, prm.x_weight, out.grad_point_x, argmax[2 * b]);
        direction_grad(Direction<T>{xb, yb, out.idx_x + b * c.p, coef_x.get(), lx, ly}, d,
                       prm.distance, gx.get(), gy.get(), order.get(), start.get(), num_threads);
        if (both) {
            coefficients(coef_y.get(), b, c.q, ly, lx, prm.y_weight, out.grad_point_y,
                         argmax[2 * b + 1]);
            direction_grad(Direction<T>{yb, xb, out.idx_y + b * c.q, coef_y.get(), ly, lx}, d,
                           prm.distance, gy.get(), gx.get(), order.get(), start.get(),
                           num_threads);
        }
        for (index_t m = 0; m < c.p * d; ++m) out.grad_x[b * c.p * d + m] = static_cast<T>(gx[m]);
        if (out.grad_y)
            for (index_t m = 0; m < c.q * d; ++m)
                out.grad_y[b * c.q * d + m] = static_cast<T>(gy[m]);
    }
}

/**
 * The k nearest points of y for every point of x (per cloud, with lengths): out_d (Euclidean
 * for SquaredL2 searches, L1 otherwise) and out_i, shape (B, P, k). Padded query rows get 0
 * and -1; missing neighbours +inf and -1.
 */
template <class T>
void nearest_neighbors(const CloudPair<T>& c, index_t k, SearchMetric metric, SearchMethod method,
                       T* out_d, index_t* out_i, int num_threads) {
    using namespace detail;
    TargetIndex<T> ty{c.y, c.y_lengths, c.batch, c.q, c.d};
    plan_targets(ty, c.x_lengths, c.p, method);
    build_targets(ty, static_cast<TargetIndex<T>*>(nullptr), num_threads);
    if (metric == SearchMetric::L1) {
        search_all<SearchMetric::L1>(ty, c.x, c.x_lengths, c.p, k, out_d, out_i, num_threads);
        return;
    }
    search_all<SearchMetric::SquaredL2>(ty, c.x, c.x_lengths, c.p, k, out_d, out_i, num_threads);
    const index_t n = c.batch * c.p * k;
    for (index_t m = 0; m < n; ++m) out_d[m] = std::sqrt(out_d[m]);
}

FASTLOSS_END_ISA_NAMESPACE
