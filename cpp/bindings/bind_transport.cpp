// Bindings for the transport kernels (exact EMD, Sinkhorn, 1-D closed form): checks,
// allocation, GIL release; no maths. Problems arrive batched: points (B, n, D) and (B, m, D),
// or costs (B, n, m); masses (B, n) and (B, m) in double, already checked and balanced by the
// Python layer. Results come back as a dict of arrays.
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <cmath>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;
using Lengths = std::optional<Labels>;

/// A new array of `shape` stored in result[key]; returns its data for the kernel.
template <class V>
V* output(py::dict& result, const char* key, std::vector<py::ssize_t> shape) {
    Array<V> arr(std::move(shape));
    result[key] = arr;
    return arr.mutable_data();
}

template <class T>
void set_points(TransportBatch<T>& in, const Array<T>& x, const Array<T>& y) {
    require_ndim(x, "x", 3);
    require_ndim(y, "y", 3);
    if (x.shape(0) != y.shape(0) || x.shape(2) != y.shape(2))
        fail("y: expected (B, m, D) with the batch size and dimension of x " + shape_str(x) +
             ", got " + shape_str(y));
    in.x = x.data();
    in.y = y.data();
    in.batch = x.shape(0);
    in.n = x.shape(1);
    in.m = y.shape(1);
    in.d = x.shape(2);
    if (in.d < 1) fail("x: expected points of at least one coordinate, got " + shape_str(x));
}

/// The checks and fields every transport problem shares, once its sizes are known.
template <class T>
void set_masses(TransportBatch<T>& in, const Lengths& x_lengths, const Lengths& y_lengths,
                const Array<double>& a, const Array<double>& b, const Array<double>& grad_scale,
                double power, index_t dense_cost_entries) {
    if (in.batch < 1 || in.n < 1 || in.m < 1)
        fail("x, y: expected at least one problem with at least one point on each side");
    if (in.n + in.m >= INT32_MAX)  // the network simplex keeps 32-bit node indices
        fail("x, y: expected fewer than 2^31 - 1 points in all");
    require_shape(a, "a", {in.batch, in.n}, "the rows");
    require_shape(b, "b", {in.batch, in.m}, "the columns");
    require_shape(grad_scale, "grad_scale", {in.batch}, "the batch");
    require_lengths(x_lengths, "x_lengths", in.batch, in.n, 1);  // a problem needs a point
    require_lengths(y_lengths, "y_lengths", in.batch, in.m, 1);
    if (!(power > 0.0)) fail("p: expected a positive exponent, got " + std::to_string(power));
    in.x_lengths = x_lengths ? x_lengths->data() : nullptr;
    in.y_lengths = y_lengths ? y_lengths->data() : nullptr;
    in.a = a.data();
    in.b = b.data();
    in.power = power;
    in.dense_cost_entries = dense_cost_entries;
}

void require_max_iter(std::int64_t max_iter) {
    if (max_iter < 1) fail("max_iter: expected a positive integer, got " + std::to_string(max_iter));
}

template <class T>
py::dict earth_movers_distance(const Opt<T>& x, const Opt<T>& y, const Opt<T>& cost,
                               const Lengths& x_lengths, const Lengths& y_lengths,
                               const Array<double>& a, const Array<double>& b, double power,
                               std::int64_t max_iter, bool want_plan, bool want_duals,
                               bool want_grad, const Array<double>& grad_scale,
                               index_t dense_cost_entries, TransportMethod method,
                               int num_threads) {
    require_threads(num_threads);
    TransportBatch<T> in;
    if (cost) {
        if (x || y) fail("cost: give either points x, y or a cost matrix, not both");
        require_ndim(*cost, "cost", 3);
        in.cost = cost->data();
        in.batch = cost->shape(0);
        in.n = cost->shape(1);
        in.m = cost->shape(2);
    } else {
        if (!x || !y) fail("x, y: expected both point sets (or a cost matrix)");
        set_points(in, *x, *y);
    }
    set_masses(in, x_lengths, y_lengths, a, b, grad_scale, power, dense_cost_entries);
    require_max_iter(max_iter);
    in.method = method;
    const index_t batch = in.batch, plan_len = in.n + in.m - 1;
    py::dict result;
    TransportOutput<T> out;
    out.value = output<double>(result, "value", {batch});
    out.status = output<std::int32_t>(result, "status", {batch});
    out.iterations = output<std::int64_t>(result, "iterations", {batch});
    out.max_iter = max_iter;
    if (want_plan) {
        out.plan_rows = output<std::int64_t>(result, "rows", {batch, plan_len});
        out.plan_cols = output<std::int64_t>(result, "cols", {batch, plan_len});
        out.plan_mass = output<double>(result, "masses", {batch, plan_len});
        out.plan_count = output<std::int64_t>(result, "count", {batch});
    }
    if (want_duals) {
        out.u = output<double>(result, "u", {batch, in.n});
        out.v = output<double>(result, "v", {batch, in.m});
    }
    if (want_grad) {
        out.grad_scale = grad_scale.data();
        out.grad_a = output<T>(result, "grad_a", {batch, in.n});
        out.grad_b = output<T>(result, "grad_b", {batch, in.m});
        if (cost) {  // the plan, dense: zeros but for at most n + m - 1 entries
            Array<T> gc = py::module_::import("numpy").attr("zeros")(
                py::make_tuple(batch, in.n, in.m), py::dtype::of<T>());
            out.grad_cost = gc.mutable_data();
            result["grad_cost"] = gc;
        } else {
            out.grad_x = output<T>(result, "grad_x", {batch, in.n, in.d});
            out.grad_y = output<T>(result, "grad_y", {batch, in.m, in.d});
        }
    }
    run_without_gil(num_threads, [&] {
        kernels<T>().earth_movers_distance(in, out, num_threads);
    });
    return result;
}

/// Entropic transport between point sets (B, n, D), (B, m, D); masses as for the EMD.
template <class T>
py::dict sinkhorn(const Array<T>& x, const Array<T>& y, const Lengths& x_lengths,
                  const Lengths& y_lengths, const Array<double>& a, const Array<double>& b,
                  double power, double epsilon, double scaling, std::int64_t max_iter,
                  double tol, bool debias, bool want_grad, const Array<double>& grad_scale,
                  index_t dense_cost_entries, int num_threads) {
    require_threads(num_threads);
    TransportBatch<T> in;
    set_points(in, x, y);
    set_masses(in, x_lengths, y_lengths, a, b, grad_scale, power, dense_cost_entries);
    require_max_iter(max_iter);
    if (!(epsilon > 0.0) || !std::isfinite(epsilon))
        fail("epsilon: expected a positive finite number, got " + std::to_string(epsilon));
    if (!(tol >= 0.0)) fail("tol: expected a non-negative number, got " + std::to_string(tol));
    if (!(scaling >= 0.0 && scaling < 1.0))
        fail("scaling: expected a number in [0, 1), got " + std::to_string(scaling));
    SinkhornParams prm;
    prm.epsilon = epsilon;
    prm.max_iter = max_iter;
    prm.tol = tol;
    prm.debias = debias;
    prm.scaling = scaling;
    py::dict result;
    SinkhornOutput<T> out;
    out.value = output<double>(result, "value", {in.batch});
    out.iterations = output<std::int64_t>(result, "iterations", {in.batch});
    out.converged = output<std::int32_t>(result, "converged", {in.batch});
    if (want_grad) {
        out.grad_scale = grad_scale.data();
        out.grad_x = output<T>(result, "grad_x", {in.batch, in.n, in.d});
        out.grad_y = output<T>(result, "grad_y", {in.batch, in.m, in.d});
        out.grad_a = output<T>(result, "grad_a", {in.batch, in.n});
        out.grad_b = output<T>(result, "grad_b", {in.batch, in.m});
    }
    run_without_gil(num_threads, [&] {
        kernels<T>().sinkhorn(in, prm, out, num_threads);
    });
    return result;
}

/// Samples (B, n), (B, m), each sorted or read through its sorting permutation; masses (B, n),
/// (B, m) in double (original order, balanced) or none for uniform.
template <class T>
py::dict wasserstein_1d(const Array<T>& u, const Array<T>& v, const Lengths& u_order,
                        const Lengths& v_order, const Opt<double>& u_mass,
                        const Opt<double>& v_mass, double power, bool want_grad,
                        bool want_mass_grad, const Array<double>& grad_scale, int num_threads) {
    require_threads(num_threads);
    require_ndim(u, "u", 2);
    require_ndim(v, "v", 2);
    Line1dBatch<T> in;
    in.batch = u.shape(0);
    in.n = u.shape(1);
    in.m = v.shape(1);
    if (v.shape(0) != in.batch)
        fail("v: expected the batch size of u " + shape_str(u) + ", got " + shape_str(v));
    if (in.batch < 1 || in.n < 1 || in.m < 1) fail("u, v: expected at least one sample each");
    if (u_order) require_same_shape(u, "u", *u_order, "u_order");
    if (v_order) require_same_shape(v, "v", *v_order, "v_order");
    if (u_mass.has_value() != v_mass.has_value()) fail("u_mass, v_mass: expected both or neither");
    if (u_mass) require_same_shape(u, "u", *u_mass, "u_weights");
    if (v_mass) require_same_shape(v, "v", *v_mass, "v_weights");
    require_shape(grad_scale, "grad_scale", {in.batch}, "the batch");
    if (!(power >= 1.0)) fail("p: expected p >= 1, got " + std::to_string(power));
    in.u = u.data();
    in.v = v.data();
    in.u_order = u_order ? u_order->data() : nullptr;
    in.v_order = v_order ? v_order->data() : nullptr;
    in.u_mass = u_mass ? u_mass->data() : nullptr;
    in.v_mass = v_mass ? v_mass->data() : nullptr;
    in.power = power;
    py::dict result;
    Line1dOutput<T> out;
    out.value = output<double>(result, "value", {in.batch});
    if (want_grad || want_mass_grad) out.grad_scale = grad_scale.data();
    if (want_grad) {
        out.grad_u = output<T>(result, "grad_u", {in.batch, in.n});
        out.grad_v = output<T>(result, "grad_v", {in.batch, in.m});
    }
    if (want_mass_grad) {
        out.grad_u_mass = output<T>(result, "grad_u_weights", {in.batch, in.n});
        out.grad_v_mass = output<T>(result, "grad_v_weights", {in.batch, in.m});
    }
    run_without_gil(num_threads, [&] {
        kernels<T>().wasserstein_1d(in, out, num_threads);
    });
    return result;
}

template <class T>
void define(py::module_& m) {
    m.def("earth_movers_distance", &earth_movers_distance<T>, py::arg("x").noconvert(),
          py::arg("y").noconvert(), py::arg("cost").noconvert(),
          py::arg("x_lengths").noconvert(), py::arg("y_lengths").noconvert(),
          py::arg("a").noconvert(), py::arg("b").noconvert(), py::arg("power"),
          py::arg("max_iter"), py::arg("want_plan"), py::arg("want_duals"), py::arg("want_grad"),
          py::arg("grad_scale").noconvert(), py::arg("dense_cost_entries"),
          py::arg("method"), py::arg("num_threads"));
    m.def("sinkhorn", &sinkhorn<T>, py::arg("x").noconvert(), py::arg("y").noconvert(),
          py::arg("x_lengths").noconvert(), py::arg("y_lengths").noconvert(),
          py::arg("a").noconvert(), py::arg("b").noconvert(), py::arg("power"),
          py::arg("epsilon"), py::arg("scaling"), py::arg("max_iter"), py::arg("tol"),
          py::arg("debias"), py::arg("want_grad"), py::arg("grad_scale").noconvert(),
          py::arg("dense_cost_entries"), py::arg("num_threads"));
    m.def("wasserstein_1d", &wasserstein_1d<T>, py::arg("u").noconvert(),
          py::arg("v").noconvert(), py::arg("u_order").noconvert(),
          py::arg("v_order").noconvert(), py::arg("u_mass").noconvert(),
          py::arg("v_mass").noconvert(), py::arg("power"), py::arg("want_grad"),
          py::arg("want_mass_grad"), py::arg("grad_scale").noconvert(), py::arg("num_threads"));
}

}  // namespace

void bind_transport(py::module_& m) {
    py::native_enum<TransportMethod>(m, "TransportMethod", "enum.Enum")
        .value("AUTO", TransportMethod::Auto)
        .value("SHORTEST_PATH", TransportMethod::ShortestPath)
        .value("NETWORK_SIMPLEX", TransportMethod::NetworkSimplex)
        .finalize();
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
