// Bindings for the point-cloud kernels: checks, allocation, GIL release; no maths.
// Clouds arrive batched, (B, P, D) and (B, Q, D); the Python layer adds the batch axis.
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <cstdint>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;
using Lengths = std::optional<Labels>;

/// Two batched clouds of one dimension and batch size.
template <class T>
CloudPair<T> cloud_pair(const Array<T>& x, const Array<T>& y, const Lengths& xl,
                        const Lengths& yl) {
    require_ndim(x, "x", 3);
    require_ndim(y, "y", 3);
    if (x.shape(0) != y.shape(0) || x.shape(2) != y.shape(2))
        fail("y: expected (B, Q, D) with the batch size and dimension of x " + shape_str(x) +
             ", got " + shape_str(y));
    if (x.shape(2) < 1) fail("x: expected points of at least one coordinate, got " + shape_str(x));
    if (x.shape(1) > INT32_MAX || y.shape(1) > INT32_MAX)  // the KD-tree keeps 32-bit indices
        fail("x, y: expected at most 2^31 - 1 points per cloud");
    require_lengths(xl, "x_lengths", x.shape(0), x.shape(1), 0);  // empty clouds allowed
    require_lengths(yl, "y_lengths", y.shape(0), y.shape(1), 0);
    return CloudPair<T>{x.data(),  y.data(),  xl ? xl->data() : nullptr,
                        yl ? yl->data() : nullptr, x.shape(0), x.shape(1),
                        y.shape(1), x.shape(2)};
}

template <class T>
py::tuple chamfer_distance(const Array<T>& x, const Array<T>& y, const Lengths& x_lengths,
                           const Lengths& y_lengths, const Opt<T>& weights,
                           PointDistance distance, PointReduction point_reduction,
                           Reduction batch_reduction, bool single_directional,
                           double x_weight, double y_weight, SearchMethod method,
                           bool want_grad, double grad_scale, const Opt<T>& grad_cloud,
                           const Opt<T>& grad_point_x, const Opt<T>& grad_point_y,
                           const Opt<T>& grad_out_x, const Opt<T>& grad_out_y, int num_threads) {
    const CloudPair<T> c = cloud_pair(x, y, x_lengths, y_lengths);
    require_threads(num_threads);
    require_length(weights, "weights", c.batch);
    ChamferParams prm;
    prm.distance = distance;
    prm.point_reduction = point_reduction;
    prm.method = method;
    prm.single_directional = single_directional;
    prm.x_weight = x_weight;
    prm.y_weight = y_weight;
    ChamferOutput<T> out;
    out.batch_reduction = batch_reduction;
    const bool both = !single_directional;
    Array<T> dist_x({c.batch, c.p});
    Labels idx_x({c.batch, c.p});
    std::optional<Array<T>> dist_y;
    std::optional<Labels> idx_y;
    if (both) {
        dist_y.emplace(std::vector<py::ssize_t>{c.batch, c.q});
        idx_y.emplace(std::vector<py::ssize_t>{c.batch, c.q});
    }
    std::optional<Array<T>> per_cloud, grad_x, grad_y;
    if (out.batch_reduction == Reduction::None) per_cloud.emplace(std::vector<py::ssize_t>{c.batch});
    if (want_grad) {
        grad_x = grad_out_x ? *grad_out_x : Array<T>(shape_of(x));
        grad_y = grad_out_y ? *grad_out_y : Array<T>(shape_of(y));
        require_same_shape(x, "x", *grad_x, "grad_out");
        require_same_shape(y, "y", *grad_y, "grad_out");
    }
    if (grad_cloud) require_length(grad_cloud, "grad_output", c.batch);
    if (grad_point_x) require_same_shape(dist_x, "the x terms", *grad_point_x, "grad_output");
    if (grad_point_y && dist_y) require_same_shape(*dist_y, "the y terms", *grad_point_y, "grad_output");
    out.dist_x = dist_x.mutable_data();
    out.idx_x = idx_x.mutable_data();
    out.dist_y = dist_y ? dist_y->mutable_data() : nullptr;
    out.idx_y = idx_y ? idx_y->mutable_data() : nullptr;
    out.per_cloud = per_cloud ? per_cloud->mutable_data() : nullptr;
    out.grad_x = grad_x ? grad_x->mutable_data() : nullptr;
    out.grad_y = grad_y ? grad_y->mutable_data() : nullptr;
    out.grad_scale = grad_scale;
    out.grad_cloud = data_or_null(grad_cloud);
    out.grad_point_x = data_or_null(grad_point_x);
    out.grad_point_y = data_or_null(grad_point_y);
    const T* w = data_or_null(weights);
    run_without_gil(num_threads, [&] {
        kernels<T>().chamfer_distance(c, prm, w, out, num_threads);
    });
    py::object value = per_cloud ? py::object(*per_cloud) : py::object(py::float_(out.total));
    auto maybe = [](const auto& a) { return a ? py::object(*a) : py::object(py::none()); };
    return py::make_tuple(value, dist_x, maybe(dist_y), idx_x, maybe(idx_y), maybe(grad_x),
                          maybe(grad_y));
}

template <class T>
py::tuple nearest_neighbors(const Array<T>& x, const Array<T>& y, const Lengths& x_lengths,
                            const Lengths& y_lengths, index_t k, SearchMetric metric, SearchMethod method,
                            int num_threads) {
    const CloudPair<T> c = cloud_pair(x, y, x_lengths, y_lengths);
    require_threads(num_threads);
    if (k < 1) fail("k: expected a positive integer, got " + std::to_string(k));
    Array<T> dist({c.batch, c.p, k});
    Labels idx({c.batch, c.p, k});
    T* od = dist.mutable_data();
    index_t* oi = idx.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().nearest_neighbors(c, k, metric, method, od, oi, num_threads);
    });
    return py::make_tuple(dist, idx);
}

template <class T>
void define(py::module_& m) {
    m.def("chamfer_distance", &chamfer_distance<T>, py::arg("x").noconvert(),
          py::arg("y").noconvert(), py::arg("x_lengths").noconvert(),
          py::arg("y_lengths").noconvert(), py::arg("weights").noconvert(), py::arg("distance"),
          py::arg("point_reduction"), py::arg("batch_reduction"), py::arg("single_directional"),
          py::arg("x_weight"), py::arg("y_weight"), py::arg("method"), py::arg("want_grad"),
          py::arg("grad_scale"), py::arg("grad_cloud").noconvert(),
          py::arg("grad_point_x").noconvert(), py::arg("grad_point_y").noconvert(),
          py::arg("grad_out_x").noconvert(), py::arg("grad_out_y").noconvert(),
          py::arg("num_threads"));
    m.def("nearest_neighbors", &nearest_neighbors<T>, py::arg("x").noconvert(),
          py::arg("y").noconvert(), py::arg("x_lengths").noconvert(),
          py::arg("y_lengths").noconvert(), py::arg("k"), py::arg("metric"), py::arg("method"),
          py::arg("num_threads"));
}

}  // namespace

void bind_pointcloud(py::module_& m) {
    py::native_enum<PointDistance>(m, "PointDistance", "enum.Enum")
        .value("SQUARED_L2", PointDistance::SquaredL2)
        .value("L2", PointDistance::L2)
        .value("L1", PointDistance::L1)
        .finalize();
    py::native_enum<PointReduction>(m, "PointReduction", "enum.Enum")
        .value("MEAN", PointReduction::Mean)
        .value("SUM", PointReduction::Sum)
        .value("MAX", PointReduction::Max)
        .value("NONE", PointReduction::None)
        .finalize();
    py::native_enum<SearchMethod>(m, "SearchMethod", "enum.Enum")
        .value("AUTO", SearchMethod::Auto)
        .value("KDTREE", SearchMethod::KdTree)
        .value("BRUTE", SearchMethod::Brute)
        .finalize();
    py::native_enum<SearchMetric>(m, "SearchMetric", "enum.Enum")
        .value("SQUARED_L2", SearchMetric::SquaredL2)
        .value("L1", SearchMetric::L1)
        .finalize();
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
