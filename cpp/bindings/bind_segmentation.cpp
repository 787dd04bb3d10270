// Bindings for the segmentation kernels: checks, allocation, GIL release; no maths.
// The input is (N, C, S) (the Python layer flattens the spatial axes); labels are (N, S).
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;

template <class T>
py::tuple overlap_loss(const Array<T>& input, const std::optional<Labels>& labels,
                       const Opt<T>& targets, const Opt<T>& weight, const OverlapParams& params,
                       Reduction reduction, bool want_grad, double grad_scale,
                       const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
    require_ndim(input, "input", 3);
    require_nonempty(input, "input");
    const index_t n = input.shape(0), c = input.shape(1), s = input.shape(2);
    if (labels.has_value() == targets.has_value())
        fail("targets: expected either labels or dense targets");
    if (labels) require_shape(*labels, "labels", {n, s}, "(N, S)");
    if (targets) require_same_shape(input, "input", *targets, "targets");
    require_length(weight, "weight", c);
    if (params.first_class >= c) fail("include_background: no class is left");
    const index_t units = params.batch ? 1 : n;
    const index_t per_unit = params.kind == OverlapKind::GeneralizedDice ? 1 : c - params.first_class;
    const T *x = input.data(), *t = data_or_null(targets), *w = data_or_null(weight);
    const index_t* y = labels ? labels->data() : nullptr;
    Status status = Status::Ok;
    py::tuple result = call_loss<T>(
        reduction, {units * per_unit}, shape_of(input),
        GradRequest<T>{want_grad, grad_scale, grad_output, grad_out}, num_threads, "targets",
        [&](LossOutput<T>& out) {
            status = kernels<T>().overlap_loss(x, y, t, n, c, s, w, params, out, num_threads);
            return Status::Ok;
        });
    if (status == Status::LabelOutOfRange)  // the slow scan runs only to name the bad label
        require_labels_in_range(*labels, "targets", c == 1 ? 2 : c,
                                params.has_ignore ? std::optional<index_t>(params.ignore_index)
                                                  : std::nullopt);
    if (status == Status::InputOutOfRange)
        fail("logits_or_probs: expected probabilities in [0, 1] with activation=None; for logits "
             "pass activation='softmax' or 'sigmoid'");
    return result;
}

template <class T>
void define(py::module_& m) {
    m.def(
        "overlap_loss",
        [](const Array<T>& input, const std::optional<Labels>& labels, const Opt<T>& targets,
           const Opt<T>& weight, OverlapKind kind, Activation activation, bool include_background,
           std::optional<index_t> ignore_index, bool squared_pred, bool batch, double smooth_nr,
           double smooth_dr, double alpha, double beta, double gamma, EmptyClass empty,
           ClassWeighting w_type, Reduction reduction, bool want_grad, double grad_scale,
           const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
            OverlapParams p;
            p.kind = kind;
            p.activation = activation;
            p.empty = empty;
            p.weighting = w_type;
            p.first_class = include_background ? 0 : 1;
            p.has_ignore = ignore_index.has_value();
            p.ignore_index = ignore_index.value_or(0);
            p.squared = squared_pred;
            p.batch = batch;
            p.smooth_nr = smooth_nr;
            p.smooth_dr = smooth_dr;
            p.alpha = alpha;
            p.beta = beta;
            p.gamma = gamma;
            return overlap_loss<T>(input, labels, targets, weight, p, reduction, want_grad,
                                   grad_scale, grad_output, grad_out, num_threads);
        },
        py::arg("input").noconvert(), py::arg("labels").noconvert(),
        py::arg("targets").noconvert(), py::arg("weight").noconvert(), py::arg("kind"),
        py::arg("activation"), py::arg("include_background"), py::arg("ignore_index"),
        py::arg("squared_pred"), py::arg("batch"), py::arg("smooth_nr"), py::arg("smooth_dr"),
        py::arg("alpha"), py::arg("beta"), py::arg("gamma"), py::arg("empty"), py::arg("w_type"),
        FASTLOSS_GRAD_ARGS);
}

}  // namespace

void bind_segmentation(py::module_& m) {
    py::native_enum<OverlapKind>(m, "OverlapKind", "enum.Enum")
        .value("DICE", OverlapKind::Dice)
        .value("JACCARD", OverlapKind::Jaccard)
        .value("TVERSKY", OverlapKind::Tversky)
        .value("GENERALIZED_DICE", OverlapKind::GeneralizedDice)
        .finalize();
    py::native_enum<Activation>(m, "Activation", "enum.Enum")
        .value("NONE", Activation::None)
        .value("SIGMOID", Activation::Sigmoid)
        .value("SOFTMAX", Activation::Softmax)
        .finalize();
    py::native_enum<EmptyClass>(m, "EmptyClass", "enum.Enum")
        .value("SMOOTH", EmptyClass::Smooth)
        .value("ZERO", EmptyClass::Zero)
        .value("IGNORE", EmptyClass::Ignore)
        .finalize();
    py::native_enum<ClassWeighting>(m, "ClassWeighting", "enum.Enum")
        .value("SQUARE", ClassWeighting::Square)
        .value("SIMPLE", ClassWeighting::Simple)
        .value("UNIFORM", ClassWeighting::Uniform)
        .finalize();
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
