// Bindings for the metric-learning kernels: checks, allocation, GIL release; no maths.
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;

/// The buffer for the gradient of a further input `like`: the caller's (checked) or a new one.
template <class T>
Opt<T> extra_grad(bool want, const Opt<T>& given, const Array<T>& like, const char* name) {
    if (!want) return std::nullopt;
    Array<T> g = given ? *given : Array<T>(shape_of(like));
    require_same_shape(like, name, g, "grad_out");
    return g;
}

template <class T>
py::object or_none(const Opt<T>& a) {
    return a ? py::object(*a) : py::object(py::none());
}

/// Returns (value, grad_x1, grad_x2); inputs of one shape (the Python layer broadcasts y).
template <class T>
py::tuple margin_ranking_loss(const Array<T>& x1, const Array<T>& x2, const Array<T>& y,
                              double margin, Reduction reduction, bool want_grad,
                              double grad_scale, const Opt<T>& grad_output, const Opt<T>& grad_out,
                              const Opt<T>& grad_out2, int num_threads) {
    require_same_shape(x1, "x1", x2, "x2");
    require_same_shape(x1, "x1", y, "y");
    require_nonempty(x1, "x1");
    Opt<T> g2 = extra_grad(want_grad, grad_out2, x2, "x2");
    const T *a = x1.data(), *b = x2.data(), *t = y.data();
    T* o2 = g2 ? g2->mutable_data() : nullptr;
    const index_t n = x1.size();
    py::tuple r = call_loss<T>(reduction, shape_of(x1), shape_of(x1),
                               GradRequest<T>{want_grad, grad_scale, grad_output, grad_out},
                               num_threads, "y", [&](LossOutput<T>& out) {
                                   kernels<T>().margin_ranking_loss(a, b, t, n, margin, out, o2,
                                                                    num_threads);
                                   return Status::Ok;
                               });
    return py::make_tuple(r[0], r[1], or_none(g2));
}

/// Returns (value, grad_anchor, grad_positive, grad_negative); (N, D) inputs.
template <class T>
py::tuple triplet_margin_loss(const Array<T>& anchor, const Array<T>& positive,
                              const Array<T>& negative, double margin, double p, double eps,
                              bool swap, Reduction reduction, bool want_grad,
                              double grad_scale, const Opt<T>& grad_output, const Opt<T>& grad_out,
                              const Opt<T>& grad_out_p, const Opt<T>& grad_out_n,
                              int num_threads) {
    require_ndim(anchor, "anchor", 2);
    require_nonempty(anchor, "anchor");
    require_same_shape(anchor, "anchor", positive, "positive");
    require_same_shape(anchor, "anchor", negative, "negative");
    if (!(p >= 1.0)) fail("p: expected a norm degree >= 1, got " + std::to_string(p));
    const index_t rows = anchor.shape(0), d = anchor.shape(1);
    Opt<T> gp = extra_grad(want_grad, grad_out_p, anchor, "anchor");
    Opt<T> gn = extra_grad(want_grad, grad_out_n, anchor, "anchor");
    const TripletParams prm{margin, p, eps, swap};
    const T *a = anchor.data(), *ps = positive.data(), *ng = negative.data();
    T* op = gp ? gp->mutable_data() : nullptr;
    T* on = gn ? gn->mutable_data() : nullptr;
    py::tuple r = call_loss<T>(reduction, {rows}, shape_of(anchor),
                               GradRequest<T>{want_grad, grad_scale, grad_output, grad_out},
                               num_threads, "negative", [&](LossOutput<T>& out) {
                                   kernels<T>().triplet_margin_loss(a, ps, ng, rows, d, prm, out,
                                                                    op, on, num_threads);
                                   return Status::Ok;
                               });
    return py::make_tuple(r[0], r[1], or_none(gp), or_none(gn));
}

/// Returns (value, grad_x1, grad_x2); (N, D) pairs, y (N,) with y != 0 for a similar pair.
template <class T>
py::tuple contrastive_loss(const Array<T>& x1, const Array<T>& x2, const Array<T>& y,
                           double pos_margin, double neg_margin, PairDistance distance,
                           bool squared_hinge, Reduction reduction,
                           bool want_grad, double grad_scale, const Opt<T>& grad_output,
                           const Opt<T>& grad_out, const Opt<T>& grad_out2, int num_threads) {
    require_ndim(x1, "x1", 2);
    require_nonempty(x1, "x1");
    require_same_shape(x1, "x1", x2, "x2");
    require_shape(y, "y", {x1.shape(0)}, "one label per pair");
    ContrastiveParams prm;
    prm.pos_margin = pos_margin;
    prm.neg_margin = neg_margin;
    prm.distance = distance;
    prm.squared_hinge = squared_hinge;
    const index_t rows = x1.shape(0), d = x1.shape(1);
    Opt<T> g2 = extra_grad(want_grad, grad_out2, x2, "x2");
    const T *a = x1.data(), *b = x2.data(), *t = y.data();
    T* o2 = g2 ? g2->mutable_data() : nullptr;
    py::tuple r = call_loss<T>(reduction, {rows}, shape_of(x1),
                               GradRequest<T>{want_grad, grad_scale, grad_output, grad_out},
                               num_threads, "y", [&](LossOutput<T>& out) {
                                   kernels<T>().contrastive_loss(a, b, t, rows, d, prm, out, o2,
                                                                 num_threads);
                                   return Status::Ok;
                               });
    return py::make_tuple(r[0], r[1], or_none(g2));
}

/// Returns (value, grad_anchor, grad_positive, grad_negative); (N, D) triplets.
template <class T>
py::tuple angular_loss(const Array<T>& anchor, const Array<T>& positive, const Array<T>& negative,
                       double alpha, bool npair, Reduction reduction,
                       bool want_grad, double grad_scale, const Opt<T>& grad_output,
                       const Opt<T>& grad_out, const Opt<T>& grad_out_p,
                       const Opt<T>& grad_out_n, int num_threads) {
    require_ndim(anchor, "anchor", 2);
    require_nonempty(anchor, "anchor");
    require_same_shape(anchor, "anchor", positive, "positive");
    require_same_shape(anchor, "anchor", negative, "negative");
    const index_t rows = anchor.shape(0), d = anchor.shape(1);
    Opt<T> gp = extra_grad(want_grad, grad_out_p, anchor, "anchor");
    Opt<T> gn = extra_grad(want_grad, grad_out_n, anchor, "anchor");
    const T *a = anchor.data(), *ps = positive.data(), *ng = negative.data();
    T* op = gp ? gp->mutable_data() : nullptr;
    T* on = gn ? gn->mutable_data() : nullptr;
    py::tuple r = call_loss<T>(reduction, {rows}, shape_of(anchor),
                               GradRequest<T>{want_grad, grad_scale, grad_output, grad_out},
                               num_threads, "negative", [&](LossOutput<T>& out) {
                                   kernels<T>().angular_loss(a, ps, ng, rows, d, alpha, npair,
                                                             out, op, on, num_threads);
                                   return Status::Ok;
                               });
    return py::make_tuple(r[0], r[1], or_none(gp), or_none(gn));
}

template <class T>
void define(py::module_& m) {
    m.def("margin_ranking_loss", &margin_ranking_loss<T>, py::arg("x1").noconvert(),
          py::arg("x2").noconvert(), py::arg("y").noconvert(), py::arg("margin"),
          py::arg("reduction"), py::arg("want_grad"), py::arg("grad_scale"),
          py::arg("grad_output").noconvert(), py::arg("grad_out").noconvert(),
          py::arg("grad_out2").noconvert(), py::arg("num_threads"));
    m.def("triplet_margin_loss", &triplet_margin_loss<T>, py::arg("anchor").noconvert(),
          py::arg("positive").noconvert(), py::arg("negative").noconvert(), py::arg("margin"),
          py::arg("p"), py::arg("eps"), py::arg("swap"), py::arg("reduction"),
          py::arg("want_grad"), py::arg("grad_scale"), py::arg("grad_output").noconvert(),
          py::arg("grad_out").noconvert(), py::arg("grad_out_p").noconvert(),
          py::arg("grad_out_n").noconvert(), py::arg("num_threads"));
    m.def("contrastive_loss", &contrastive_loss<T>, py::arg("x1").noconvert(),
          py::arg("x2").noconvert(), py::arg("y").noconvert(), py::arg("pos_margin"),
          py::arg("neg_margin"), py::arg("distance"), py::arg("squared_hinge"), py::arg("reduction"),
          py::arg("want_grad"), py::arg("grad_scale"), py::arg("grad_output").noconvert(),
          py::arg("grad_out").noconvert(), py::arg("grad_out2").noconvert(),
          py::arg("num_threads"));
    m.def("angular_loss", &angular_loss<T>, py::arg("anchor").noconvert(),
          py::arg("positive").noconvert(), py::arg("negative").noconvert(), py::arg("alpha"),
          py::arg("npair"), py::arg("reduction"), py::arg("want_grad"), py::arg("grad_scale"),
          py::arg("grad_output").noconvert(), py::arg("grad_out").noconvert(),
          py::arg("grad_out_p").noconvert(), py::arg("grad_out_n").noconvert(),
          py::arg("num_threads"));
}

}  // namespace

void bind_metric(py::module_& m) {
    py::native_enum<PairDistance>(m, "PairDistance", "enum.Enum")
        .value("EUCLIDEAN", PairDistance::Euclidean)
        .value("SQUARED", PairDistance::Squared)
        .value("COSINE", PairDistance::Cosine)
        .finalize();
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
