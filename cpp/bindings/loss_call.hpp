// The one way every loss binding runs a kernel: allocate outputs under the GIL, run the kernel
// without it (interruptible: interrupt.hpp), turn its Status into an exception, return
// (value, grad or None).
#pragma once

#include <utility>
#include <vector>

#include "array_checks.hpp"
#include "interrupt.hpp"
#include "fastloss/kernel_table.hpp"

namespace fastloss::bind {

/// How the caller wants the gradient: computed or not, scaled by grad_output (a scalar, or
/// an array shaped like the unreduced loss for reduction="none"), written into a new array or
/// into `out` (the caller's buffer: no allocation, no page faults).
template <class T>
struct GradRequest {
    bool want = false;
    double scale = 1.0;
    std::optional<Array<T>> per_item;
    std::optional<Array<T>> out;
    /// A fresh gradient comes from numpy.zeros (calloc: pages the OS zeroes on first touch),
    /// and the kernel is told so; for sparse gradients this saves a second zeroing pass.
    bool zero_init = false;
};

/**
 * item_shape: shape of the unreduced loss; grad_shape: shape of the differentiable input;
 * kernel(LossOutput<T>&) -> Status runs with the GIL released; target_name names the argument a
 * Status::TargetOutOfRange refers to.
 */
template <class T, class Kernel>
py::tuple call_loss(Reduction reduction, const std::vector<py::ssize_t>& item_shape,
                    const std::vector<py::ssize_t>& grad_shape, const GradRequest<T>& g,
                    int num_threads, const char* target_name, Kernel&& kernel) {
    require_threads(num_threads);
    LossOutput<T> out;
    out.reduction = reduction;
    out.grad_scale = g.scale;
    py::object value = py::none(), grad = py::none();
    if (reduction == Reduction::None) {
        Array<T> per_item(item_shape);
        out.per_item = per_item.mutable_data();
        value = per_item;
    }
    if (g.per_item) {
        if (reduction != Reduction::None)
            fail("grad_output: an array is only accepted with reduction='none'; use a scalar");
        require_shape(*g.per_item, "grad_output", item_shape, "the unreduced loss");
        out.grad_per_item = g.per_item->data();
    }
    if (g.want && g.out) {
        require_shape(*g.out, "grad_out", grad_shape, "the gradient");
        if (!g.out->writeable()) fail("grad_out: expected a writeable array");
        Array<T> target = *g.out;  // a new reference to the caller's array
        out.grad = target.mutable_data();
        grad = target;
    } else if (g.want && g.zero_init) {
        Array<T> grad_array = py::module_::import("numpy").attr("zeros")(
            py::tuple(py::cast(grad_shape)), py::dtype::of<T>());
        out.grad = grad_array.mutable_data();
        out.grad_zeroed = true;
        grad = grad_array;
    } else if (g.want) {
        Array<T> grad_array(grad_shape);
        out.grad = grad_array.mutable_data();
        grad = grad_array;
    }
    Status status;
    run_without_gil(num_threads, [&] {
        status = kernel(out);
    });
    if (status == Status::TargetOutOfRange)
        fail(std::string(target_name) + ": expected values in [0, 1]");
    if (reduction != Reduction::None) value = py::float_(out.total);
    return py::make_tuple(value, grad);
}

inline std::vector<py::ssize_t> shape_of(const py::array& a) {
    return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim());
}

// The trailing py::arg list of every loss binding, in the order call_loss's callers take them.
#define FASTLOSS_GRAD_ARGS                                                   \
    py::arg("reduction"), py::arg("want_grad"), py::arg("grad_scale"),       \
        py::arg("grad_output").noconvert(), py::arg("grad_out").noconvert(), \
        py::arg("num_threads")

template <class T>
const Kernels<T>& kernels() {
    return kernel_table().get<T>();
}

template <class T>
const T* data_or_null(const std::optional<Array<T>>& a) {
    return a ? a->data() : nullptr;
}

}  // namespace fastloss::bind
