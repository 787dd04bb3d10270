// Bindings for regression kernels: checks, allocation, GIL release; no maths.
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
py::tuple pointwise(const Array<T>& pred, const Array<T>& target,
                    const std::optional<Array<T>>& weight, PointwiseKind kind,
                    double threshold, Reduction reduction, bool want_grad,
                    double grad_scale, const std::optional<Array<T>>& grad_output,
                    const std::optional<Array<T>>& grad_out, int num_threads) {
    require_same_shape(pred, "pred", target, "target");
    require_optional_shape(weight, "weight", pred, "pred");
    require_nonempty(pred, "pred");
    const PointwiseParams params{kind, threshold};
    const T* p = pred.data();
    const T* t = target.data();
    const T* w = data_or_null(weight);
    const index_t n = pred.size();
    return call_loss<T>(reduction, shape_of(pred), shape_of(pred),
                        GradRequest<T>{want_grad, grad_scale, grad_output, grad_out}, num_threads,
                        "target", [&](LossOutput<T>& out) {
                            kernels<T>().pointwise_regression(p, t, w, n, params, out, num_threads);
                            return Status::Ok;
                        });
}

template <class T>
py::tuple rse(const Array<T>& pred, const Array<T>& target, const std::optional<Array<T>>& weight,
              bool want_grad, double grad_scale, const std::optional<Array<T>>& grad_out,
              int num_threads) {
    require_same_shape(pred, "pred", target, "target");
    require_optional_shape(weight, "weight", pred, "pred");
    require_threads(num_threads);
    if (pred.size() <= 2)
        fail(
            "pred: the residual standard error needs more than 2 elements (n - 2 degrees of "
            "freedom), got " +
            std::to_string(pred.size()));
    const T* p = pred.data();
    const T* t = target.data();
    const T* w = data_or_null(weight);
    const index_t n = pred.size();
    py::object grad = py::none();
    T* g = nullptr;
    if (want_grad && grad_out) {
        require_same_shape(pred, "pred", *grad_out, "grad_out");
        if (!grad_out->writeable()) fail("grad_out: expected a writeable array");
        Array<T> target_array = *grad_out;  // a new reference to the caller's array
        g = target_array.mutable_data();
        grad = target_array;
    } else if (want_grad) {
        Array<T> grad_array(shape_of(pred));
        g = grad_array.mutable_data();
        grad = grad_array;
    }
    double value;
    run_without_gil(num_threads, [&] {
        value = kernels<T>().residual_standard_error(p, t, w, n, g, grad_scale, num_threads);
    });
    return py::make_tuple(py::float_(value), grad);
}

template <class T>
void define(py::module_& m) {
    m.def("pointwise_regression", &pointwise<T>, py::arg("pred").noconvert(),
          py::arg("target").noconvert(), py::arg("weight").noconvert(), py::arg("kind"),
          py::arg("threshold"), py::arg("reduction"), py::arg("want_grad"), py::arg("grad_scale"),
          py::arg("grad_output").noconvert(), py::arg("grad_out").noconvert(),
          py::arg("num_threads"));
    m.def("residual_standard_error", &rse<T>, py::arg("pred").noconvert(),
          py::arg("target").noconvert(), py::arg("weight").noconvert(), py::arg("want_grad"),
          py::arg("grad_scale"), py::arg("grad_out").noconvert(), py::arg("num_threads"));
}

}  // namespace

void bind_regression(py::module_& m) {
    py::native_enum<PointwiseKind>(m, "PointwiseKind", "enum.Enum")
        .value("SQUARED", PointwiseKind::Squared)
        .value("ABSOLUTE", PointwiseKind::Absolute)
        .value("HUBER", PointwiseKind::Huber)
        .value("SMOOTH_L1", PointwiseKind::SmoothL1)
        .finalize();
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
