// Bindings for the exact transport (EMD) kernel: checks, allocation, GIL release; no maths.
// Problems arrive batched: points (B, n, D) and (B, m, D), or costs (B, n, m); masses (B, n)
// and (B, m) in double, already checked and balanced by the Python layer.
#include <pybind11/stl.h>

#include <cmath>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;
using Lengths = std::optional<Labels>;

void require_lengths(const Lengths& lengths, const char* name, index_t batch, index_t size) {
    if (!lengths) return;
    if (lengths->ndim() != 1 || lengths->shape(0) != batch)
        fail(std::string(name) + ": expected shape (" + std::to_string(batch) + ",), got " +
             shape_str(*lengths));
    const std::int64_t* l = lengths->data();
    for (index_t k = 0; k < batch; ++k)
        if (l[k] < 1 || l[k] > size)
            fail(std::string(name) + ": expected values in [1, " + std::to_string(size) +
                 "], got " + std::to_string(l[k]) + " at index " + std::to_string(k));
}

template <class T>
py::dict earth_movers_distance(const Opt<T>& x, const Opt<T>& y, const Opt<T>& cost,
                               const Lengths& x_lengths, const Lengths& y_lengths,
                               const Array<double>& a, const Array<double>& b, double power,
                               std::int64_t max_iter, bool want_plan, bool want_duals,
                               bool want_grad, const Array<double>& grad_scale,
                               index_t dense_cost_entries, const std::string& method,
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
        require_ndim(*x, "x", 3);
        require_ndim(*y, "y", 3);
        if (x->shape(0) != y->shape(0) || x->shape(2) != y->shape(2))
            fail("y: expected (B, m, D) with the batch size and dimension of x " + shape_str(*x) +
                 ", got " + shape_str(*y));
        in.x = x->data();
        in.y = y->data();
        in.batch = x->shape(0);
        in.n = x->shape(1);
        in.m = y->shape(1);
        in.d = x->shape(2);
        if (in.d < 1) fail("x: expected points of at least one coordinate, got " + shape_str(*x));
    }
    if (in.batch < 1 || in.n < 1 || in.m < 1)
        fail("x, y: expected at least one problem with at least one point on each side");
    if (in.n + in.m >= INT32_MAX)  // the network simplex keeps 32-bit node indices
        fail("x, y: expected fewer than 2^31 - 1 points in all");
    require_shape(a, "a", {in.batch, in.n}, "the rows");
    require_shape(b, "b", {in.batch, in.m}, "the columns");
    require_shape(grad_scale, "grad_scale", {in.batch}, "the batch");
    require_lengths(x_lengths, "x_lengths", in.batch, in.n);
    require_lengths(y_lengths, "y_lengths", in.batch, in.m);
    if (!(power > 0.0)) fail("p: expected a positive exponent, got " + std::to_string(power));
    if (max_iter < 1) fail("max_iter: expected a positive integer, got " + std::to_string(max_iter));
    in.x_lengths = x_lengths ? x_lengths->data() : nullptr;
    in.y_lengths = y_lengths ? y_lengths->data() : nullptr;
    in.a = a.data();
    in.b = b.data();
    in.power = power;
    in.dense_cost_entries = dense_cost_entries;
    in.method = parse_choice<TransportMethod>("method", method,
                                              {{"auto", TransportMethod::Auto},
                                               {"shortest_path", TransportMethod::ShortestPath},
                                               {"network_simplex", TransportMethod::NetworkSimplex}});

    const index_t batch = in.batch, plan_len = in.n + in.m - 1;
    Array<double> value({batch});
    Array<std::int32_t> status({batch});
    Labels iterations({batch});
    TransportOutput<T> out;
    out.value = value.mutable_data();
    out.status = status.mutable_data();
    out.iterations = iterations.mutable_data();
    out.max_iter = max_iter;
    py::dict result;
    if (want_plan) {
        Labels rows({batch, plan_len}), cols({batch, plan_len}), count({batch});
        Array<double> mass({batch, plan_len});
        out.plan_rows = rows.mutable_data();
        out.plan_cols = cols.mutable_data();
        out.plan_mass = mass.mutable_data();
        out.plan_count = count.mutable_data();
        result["rows"] = rows;
        result["cols"] = cols;
        result["masses"] = mass;
        result["count"] = count;
    }
    if (want_duals) {
        Array<double> u({batch, in.n}), v({batch, in.m});
        out.u = u.mutable_data();
        out.v = v.mutable_data();
        result["u"] = u;
        result["v"] = v;
    }
    if (want_grad) {
        out.grad_scale = grad_scale.data();
        Array<T> ga({batch, in.n}), gb({batch, in.m});
        out.grad_a = ga.mutable_data();
        out.grad_b = gb.mutable_data();
        result["grad_a"] = ga;
        result["grad_b"] = gb;
        if (cost) {
            Array<T> gc = py::module_::import("numpy").attr("zeros")(
                py::make_tuple(batch, in.n, in.m), py::dtype::of<T>());
            out.grad_cost = gc.mutable_data();
            result["grad_cost"] = gc;
        } else {
            Array<T> gx({batch, in.n, in.d}), gy({batch, in.m, in.d});
            out.grad_x = gx.mutable_data();
            out.grad_y = gy.mutable_data();
            result["grad_x"] = gx;
            result["grad_y"] = gy;
        }
    }
    {
        py::gil_scoped_release release;
        kernels<T>().earth_movers_distance(in, out, num_threads);
    }
    result["value"] = value;
    result["status"] = status;
    result["iterations"] = iterations;
    return result;
}

/// Entropic transport between point sets (B, n, D), (B, m, D); masses as for the EMD.
template <class T>
py::dict sinkhorn(const Array<T>& x, const Array<T>& y, const Lengths& x_lengths,
                  const Lengths& y_lengths, const Array<double>& a, const Array<double>& b,
                  double power, double epsilon, double scaling, std::int64_t max_iter,
                  double tol, bool debias,
                  bool want_grad, const Array<double>& grad_scale, index_t dense_cost_entries,
                  int num_threads) {
    require_threads(num_threads);
    require_ndim(x, "x", 3);
    require_ndim(y, "y", 3);
    if (x.shape(0) != y.shape(0) || x.shape(2) != y.shape(2))
        fail("y: expected (B, m, D) with the batch size and dimension of x " + shape_str(x) +
             ", got " + shape_str(y));
    TransportBatch<T> in;
    in.x = x.data();
    in.y = y.data();
    in.batch = x.shape(0);
    in.n = x.shape(1);
    in.m = y.shape(1);
    in.d = x.shape(2);
    if (in.batch < 1 || in.n < 1 || in.m < 1 || in.d < 1)
        fail("x, y: expected at least one problem with at least one point on each side");
    require_shape(a, "a", {in.batch, in.n}, "the rows");
    require_shape(b, "b", {in.batch, in.m}, "the columns");
    require_shape(grad_scale, "grad_scale", {in.batch}, "the batch");
    require_lengths(x_lengths, "x_lengths", in.batch, in.n);
    require_lengths(y_lengths, "y_lengths", in.batch, in.m);
    if (!(power > 0.0)) fail("p: expected a positive exponent, got " + std::to_string(power));
    if (!(epsilon > 0.0) || !std::isfinite(epsilon))
        fail("epsilon: expected a positive finite number, got " + std::to_string(epsilon));
    if (max_iter < 1) fail("max_iter: expected a positive integer, got " + std::to_string(max_iter));
    if (!(tol >= 0.0)) fail("tol: expected a non-negative number, got " + std::to_string(tol));
    if (!(scaling >= 0.0 && scaling < 1.0))
        fail("scaling: expected a number in [0, 1), got " + std::to_string(scaling));
    in.x_lengths = x_lengths ? x_lengths->data() : nullptr;
    in.y_lengths = y_lengths ? y_lengths->data() : nullptr;
    in.a = a.data();
    in.b = b.data();
    in.power = power;
    in.dense_cost_entries = dense_cost_entries;
    SinkhornParams prm;
    prm.epsilon = epsilon;
    prm.max_iter = max_iter;
    prm.tol = tol;
    prm.debias = debias;
    prm.scaling = scaling;
    Array<double> value({in.batch});
    Labels iterations({in.batch});
    Array<std::int32_t> converged({in.batch});
    SinkhornOutput<T> out;
    out.value = value.mutable_data();
    out.iterations = iterations.mutable_data();
    out.converged = converged.mutable_data();
    py::dict result;
    if (want_grad) {
        out.grad_scale = grad_scale.data();
        Array<T> gx({in.batch, in.n, in.d}), gy({in.batch, in.m, in.d});
        Array<T> ga({in.batch, in.n}), gb({in.batch, in.m});
        out.grad_x = gx.mutable_data();
        out.grad_y = gy.mutable_data();
        out.grad_a = ga.mutable_data();
        out.grad_b = gb.mutable_data();
        result["grad_x"] = gx;
        result["grad_y"] = gy;
        result["grad_a"] = ga;
        result["grad_b"] = gb;
    }
    {
        py::gil_scoped_release release;
        kernels<T>().sinkhorn(in, prm, out, num_threads);
    }
    result["value"] = value;
    result["iterations"] = iterations;
    result["converged"] = converged;
    return result;
}

/// Samples (B, n), (B, m), each sorted or read through its sorting permutation; masses (B, n),
/// (B, m) in double (original order, balanced) or none for uniform.
template <class T>
py::dict wasserstein_1d(const Array<T>& u, const Array<T>& v, const Lengths& u_order,
                        const Lengths& v_order, const std::optional<Array<double>>& u_mass,
                        const std::optional<Array<double>>& v_mass, double power,
                        bool want_grad, bool want_mass_grad, const Array<double>& grad_scale,
                        int num_threads) {
    require_threads(num_threads);
    require_ndim(u, "u", 2);
    require_ndim(v, "v", 2);
    Line1dBatch<T> in;
    in.batch = u.shape(0);
    in.n = u.shape(1);
    in.m = v.shape(1);
    if (v.shape(0) != in.batch) fail("v: expected the batch size of u " + shape_str(u) + ", got " + shape_str(v));
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
    Array<double> value({in.batch});
    Line1dOutput<T> out;
    out.value = value.mutable_data();
    py::dict result;
    if (want_grad || want_mass_grad) out.grad_scale = grad_scale.data();
    if (want_grad) {
        Array<T> gu({in.batch, in.n}), gv({in.batch, in.m});
        out.grad_u = gu.mutable_data();
        out.grad_v = gv.mutable_data();
        result["grad_u"] = gu;
        result["grad_v"] = gv;
    }
    if (want_mass_grad) {
        Array<T> ga({in.batch, in.n}), gb({in.batch, in.m});
        out.grad_u_mass = ga.mutable_data();
        out.grad_v_mass = gb.mutable_data();
        result["grad_u_weights"] = ga;
        result["grad_v_weights"] = gb;
    }
    {
        py::gil_scoped_release release;
        kernels<T>().wasserstein_1d(in, out, num_threads);
    }
    result["value"] = value;
    return result;
}

template <class T>
void define(py::module_& m) {
    m.def("sinkhorn", &sinkhorn<T>, py::arg("x").noconvert(), py::arg("y").noconvert(),
          py::arg("x_lengths").noconvert(), py::arg("y_lengths").noconvert(),
          py::arg("a").noconvert(), py::arg("b").noconvert(), py::arg("power"),
          py::arg("epsilon"), py::arg("scaling"), py::arg("max_iter"), py::arg("tol"),
          py::arg("debias"),
          py::arg("want_grad"), py::arg("grad_scale").noconvert(),
          py::arg("dense_cost_entries"), py::arg("num_threads"));
    m.def("wasserstein_1d", &wasserstein_1d<T>, py::arg("u").noconvert(), py::arg("v").noconvert(),
          py::arg("u_order").noconvert(), py::arg("v_order").noconvert(),
          py::arg("u_mass").noconvert(), py::arg("v_mass").noconvert(), py::arg("power"),
          py::arg("want_grad"), py::arg("want_mass_grad"), py::arg("grad_scale").noconvert(),
          py::arg("num_threads"));
    m.def("earth_movers_distance", &earth_movers_distance<T>, py::arg("x").noconvert(),
          py::arg("y").noconvert(), py::arg("cost").noconvert(),
          py::arg("x_lengths").noconvert(), py::arg("y_lengths").noconvert(),
          py::arg("a").noconvert(), py::arg("b").noconvert(), py::arg("power"),
          py::arg("max_iter"), py::arg("want_plan"), py::arg("want_duals"), py::arg("want_grad"),
          py::arg("grad_scale").noconvert(), py::arg("dense_cost_entries"),
          py::arg("method"), py::arg("num_threads"));
}

}  // namespace

void bind_transport(py::module_& m) {
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
