// Bindings for the segmentation kernels: checks, allocation, GIL release; no maths.
// The input is (N, C, S) (the Python layer flattens the spatial axes); labels are (N, S).
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;

void require_nonnegative(double value, const char* name) {
    if (!(value >= 0)) fail(std::string(name) + ": expected a number >= 0, got " + std::to_string(value));
}

struct OverlapOptions {
    std::string kind, activation, empty, weighting;
    bool include_background, squared_pred, batch;
    std::optional<index_t> ignore_index;
    double smooth_nr, smooth_dr, alpha, beta, gamma;
};

OverlapParams parse_params(const OverlapOptions& o, index_t c) {
    OverlapParams p;
    p.kind = parse_choice<OverlapKind>("kind", o.kind,
                                       {{"dice", OverlapKind::Dice},
                                        {"jaccard", OverlapKind::Jaccard},
                                        {"tversky", OverlapKind::Tversky},
                                        {"generalized_dice", OverlapKind::GeneralizedDice}});
    p.activation = parse_choice<Activation>(
        "activation", o.activation,
        {{"softmax", Activation::Softmax}, {"sigmoid", Activation::Sigmoid}, {"none", Activation::None}});
    p.empty = parse_choice<EmptyClass>(
        "empty", o.empty,
        {{"smooth", EmptyClass::Smooth}, {"zero", EmptyClass::Zero}, {"ignore", EmptyClass::Ignore}});
    p.weighting = parse_choice<ClassWeighting>("w_type", o.weighting,
                                               {{"square", ClassWeighting::Square},
                                                {"simple", ClassWeighting::Simple},
                                                {"uniform", ClassWeighting::Uniform}});
    if (p.activation == Activation::Softmax && c < 2)
        fail("activation: 'softmax' over one class is constant 1; use 'sigmoid' for one channel");
    if (!o.include_background && c < 2)
        fail("include_background: False leaves no class when the input has one channel");
    p.first_class = o.include_background ? 0 : 1;
    p.has_ignore = o.ignore_index.has_value();
    p.ignore_index = o.ignore_index.value_or(0);
    p.squared = o.squared_pred;
    p.batch = o.batch;
    require_nonnegative(o.smooth_nr, "smooth_nr");
    require_nonnegative(o.smooth_dr, "smooth_dr");
    require_nonnegative(o.alpha, "alpha");
    require_nonnegative(o.beta, "beta");
    if (!(o.gamma > 0)) fail("gamma: expected a number > 0, got " + std::to_string(o.gamma));
    p.smooth_nr = o.smooth_nr;
    p.smooth_dr = o.smooth_dr;
    p.alpha = o.alpha;
    p.beta = o.beta;
    p.gamma = o.gamma;
    return p;
}

template <class T>
py::tuple overlap_loss(const Array<T>& input, const std::optional<Labels>& labels,
                       const Opt<T>& targets, const Opt<T>& weight, const OverlapOptions& options,
                       const std::string& reduction, bool want_grad, double grad_scale,
                       const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
    require_ndim(input, "input", 3);
    require_nonempty(input, "input");
    const index_t n = input.shape(0), c = input.shape(1), s = input.shape(2);
    if (labels.has_value() == targets.has_value())
        fail("targets: expected either labels or dense targets");
    if (labels) require_shape(*labels, "labels", {n, s}, "(N, S)");
    if (targets) require_same_shape(input, "input", *targets, "targets");
    require_length(weight, "weight", c);
    if (weight && options.kind == "generalized_dice")
        fail("weight: the generalized Dice weights its classes itself");
    if (options.ignore_index && !labels)
        fail("ignore_index: applies to integer label targets only");
    const OverlapParams params = parse_params(options, c);
    const index_t units = params.batch ? 1 : n;
    const index_t per_unit = params.kind == OverlapKind::GeneralizedDice ? 1 : c - params.first_class;
    const T *x = input.data(), *t = data_or_null(targets), *w = data_or_null(weight);
    const index_t* y = labels ? labels->data() : nullptr;
    Status status = Status::Ok;
    py::tuple result = call_loss<T>(
        parse_reduction(reduction), {units * per_unit}, shape_of(input),
        GradRequest<T>{want_grad, grad_scale, grad_output, grad_out}, num_threads, "targets",
        [&](LossOutput<T>& out) {
            status = kernels<T>().overlap_loss(x, y, t, n, c, s, w, params, out, num_threads);
            return Status::Ok;
        });
    if (status == Status::LabelOutOfRange)  // the slow scan runs only to name the bad label
        require_labels_in_range(*labels, "targets", c == 1 ? 2 : c, options.ignore_index);
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
           const Opt<T>& weight, const std::string& kind, const std::string& activation,
           bool include_background, std::optional<index_t> ignore_index, bool squared_pred,
           bool batch, double smooth_nr, double smooth_dr, double alpha, double beta, double gamma,
           const std::string& empty, const std::string& w_type, const std::string& reduction,
           bool want_grad, double grad_scale, const Opt<T>& grad_output, const Opt<T>& grad_out,
           int num_threads) {
            const OverlapOptions o{kind,         activation,   empty,     w_type,
                                   include_background, squared_pred, batch, ignore_index,
                                   smooth_nr,    smooth_dr,    alpha,     beta,   gamma};
            return overlap_loss<T>(input, labels, targets, weight, o, reduction, want_grad,
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
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
