// Bindings for classification kernels: checks, allocation, GIL release; no maths.
// Softmax kernels take (N, C) rows; the Python layer maps (C,) and (N, C, d1, ...) onto that.
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;

template <class T>
GradRequest<T> grad_request(bool want, double scale, const Opt<T>& per_item, const Opt<T>& out) {
    return GradRequest<T>{want, scale, per_item, out};
}

template <class T>
py::tuple binary_cross_entropy(const Array<T>& logits, const Array<T>& targets,
                               const Opt<T>& weight, const Opt<T>& pos_weight, double alpha,
                               Reduction reduction, bool want_grad, double grad_scale,
                               const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
    require_same_shape(logits, "logits", targets, "targets");
    require_optional_shape(weight, "weight", logits, "logits");
    require_nonempty(logits, "logits");
    const index_t cols = logits.ndim() ? logits.shape(logits.ndim() - 1) : 1;
    require_length(pos_weight, "pos_weight", cols);
    const T *x = logits.data(), *t = targets.data(), *w = data_or_null(weight),
            *pw = data_or_null(pos_weight);
    const index_t n = logits.size();
    return call_loss<T>(reduction, shape_of(logits), shape_of(logits),
                        grad_request(want_grad, grad_scale, grad_output, grad_out), num_threads,
                        "targets", [&](LossOutput<T>& out) {
                            return kernels<T>().binary_cross_entropy(x, t, w, pw, n, cols, alpha,
                                                                     out, num_threads);
                        });
}

template <class T>
py::tuple sigmoid_focal_loss(const Array<T>& logits, const Array<T>& targets, double alpha,
                             double gamma, Reduction reduction, bool want_grad,
                             double grad_scale, const Opt<T>& grad_output, const Opt<T>& grad_out,
                             int num_threads) {
    require_same_shape(logits, "logits", targets, "targets");
    require_nonempty(logits, "logits");
    const T *x = logits.data(), *t = targets.data();
    const index_t n = logits.size();
    return call_loss<T>(reduction, shape_of(logits), shape_of(logits),
                        grad_request(want_grad, grad_scale, grad_output, grad_out), num_threads,
                        "targets", [&](LossOutput<T>& out) {
                            return kernels<T>().sigmoid_focal_loss(x, t, n, alpha, gamma, out,
                                                                   num_threads);
                        });
}

/// Checks shared by the row kernels: logits (N, C) non-empty, labels (N,).
template <class T>
void require_rows(const Array<T>& logits) {
    require_ndim(logits, "logits", 2);
    require_nonempty(logits, "logits");
}

/// Rows of class scores: (rows, C), or (N, C, S) with the class axis in the middle (read
/// natively for C <= kSmallClasses; the Python layer transposes larger C to rows).
struct ClassRows {
    index_t n, c, inner;
};

template <class T>
ClassRows label_rows(const Array<T>& logits, const Labels& labels) {
    require_nonempty(logits, "logits");
    ClassRows r{};
    if (logits.ndim() == 2) {
        r = ClassRows{logits.shape(0), logits.shape(1), 1};
    } else if (logits.ndim() == 3) {
        r = ClassRows{logits.shape(0) * logits.shape(2), logits.shape(1), logits.shape(2)};
        if (r.c > kSmallClasses)
            fail("logits: the (N, C, S) layout needs C <= " + std::to_string(kSmallClasses) +
                 ", got C = " + std::to_string(r.c));
    } else {
        fail("logits: expected a 2-D (rows, C) or 3-D (N, C, S) array, got shape " +
             shape_str(logits));
    }
    require_ndim(labels, "labels", 1);
    if (labels.shape(0) != r.n)
        fail("labels: expected shape (" + std::to_string(r.n) + ",), one per row of logits " +
             shape_str(logits) + ", got " + shape_str(labels));
    return r;
}

template <class T>
py::tuple cross_entropy_labels(const Array<T>& logits, const Labels& labels, const Opt<T>& weight,
                               index_t ignore_index, double label_smoothing,
                               Reduction reduction, bool want_grad, double grad_scale,
                               const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
    const ClassRows r = label_rows(logits, labels);
    require_length(weight, "weight", r.c);
    const T *x = logits.data(), *w = data_or_null(weight);
    const index_t* y = labels.data();
    const CrossEntropyParams params{ignore_index, label_smoothing};
    Status status = Status::Ok;
    py::tuple result = call_loss<T>(reduction, {r.n}, shape_of(logits),
                                    grad_request(want_grad, grad_scale, grad_output, grad_out),
                                    num_threads, "labels", [&](LossOutput<T>& out) {
                                        status = kernels<T>().cross_entropy_labels(
                                            x, y, r.n, r.c, r.inner, w, params, out, num_threads);
                                        return Status::Ok;
                                    });
    if (status == Status::LabelOutOfRange)  // the slow scan runs only to name the bad label
        require_labels_in_range(labels, "labels", r.c, ignore_index);
    return result;
}

template <class T>
py::tuple cross_entropy_probs(const Array<T>& logits, const Array<T>& targets, const Opt<T>& weight,
                              double label_smoothing, Reduction reduction, bool want_grad,
                              double grad_scale, const Opt<T>& grad_output, const Opt<T>& grad_out,
                              int num_threads) {
    require_rows(logits);
    require_same_shape(logits, "logits", targets, "targets");
    const index_t n = logits.shape(0), c = logits.shape(1);
    require_length(weight, "weight", c);
    const T *x = logits.data(), *t = targets.data(), *w = data_or_null(weight);
    return call_loss<T>(reduction, {n}, shape_of(logits),
                        grad_request(want_grad, grad_scale, grad_output, grad_out), num_threads,
                        "labels_or_probs", [&](LossOutput<T>& out) {
                            return kernels<T>().cross_entropy_probs(x, t, n, c, w, label_smoothing,
                                                                    out, num_threads);
                        });
}

template <class T>
py::tuple softmax_focal_loss(const Array<T>& logits, const Labels& labels, const Opt<T>& alpha,
                             double gamma, index_t ignore_index, Reduction reduction,
                             bool want_grad, double grad_scale, const Opt<T>& grad_output,
                             const Opt<T>& grad_out, int num_threads) {
    const ClassRows r = label_rows(logits, labels);
    require_length(alpha, "alpha", r.c);
    const T *x = logits.data(), *a = data_or_null(alpha);
    const index_t* y = labels.data();
    Status status = Status::Ok;
    py::tuple result =
        call_loss<T>(reduction, {r.n}, shape_of(logits),
                     grad_request(want_grad, grad_scale, grad_output, grad_out), num_threads,
                     "labels", [&](LossOutput<T>& out) {
                         status = kernels<T>().softmax_focal_loss(x, y, r.n, r.c, r.inner, a, gamma,
                                                                  ignore_index, out, num_threads);
                         return Status::Ok;
                     });
    if (status == Status::LabelOutOfRange)  // the slow scan runs only to name the bad label
        require_labels_in_range(labels, "labels", r.c, ignore_index);
    return result;
}

template <class T>
py::tuple distillation_kl(const Array<T>& student, const Array<T>& teacher, double temperature,
                          Reduction reduction, bool want_grad, double grad_scale,
                          const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
    require_ndim(student, "student_logits", 2);
    require_nonempty(student, "student_logits");
    require_same_shape(student, "student_logits", teacher, "teacher_logits");
    if (!(temperature > 0))
        fail("temperature: expected a positive number, got " + std::to_string(temperature));
    const index_t n = student.shape(0), c = student.shape(1);
    const T *s = student.data(), *t = teacher.data();
    return call_loss<T>(reduction, {n}, shape_of(student),
                        grad_request(want_grad, grad_scale, grad_output, grad_out), num_threads,
                        "teacher_logits", [&](LossOutput<T>& out) {
                            kernels<T>().distillation_kl(s, t, n, c, temperature, out, num_threads);
                            return Status::Ok;
                        });
}

template <class T>
py::tuple kl_divergence(const Array<T>& input, const Array<T>& target, bool log_input,
                        bool log_target, Reduction reduction, double mean_denominator,
                        bool want_grad, double grad_scale, const Opt<T>& grad_output,
                        const Opt<T>& grad_out, int num_threads) {
    require_same_shape(input, "input", target, "target");
    require_nonempty(input, "input");
    const T *x = input.data(), *t = target.data();
    const index_t n = input.size();
    Status status = Status::Ok;
    py::tuple result = call_loss<T>(
        reduction, shape_of(input), shape_of(input),
        grad_request(want_grad, grad_scale, grad_output, grad_out), num_threads, "target",
        [&](LossOutput<T>& out) {
            status = kernels<T>().kl_divergence(x, t, n, log_input, log_target, mean_denominator,
                                                out, num_threads);
            return Status::Ok;
        });
    if (status != Status::Ok) {
        const bool in = status == Status::InputOutOfRange, log = in ? log_input : log_target;
        const std::string name = in ? "input" : "target";
        if (log)
            fail(name + ": expected log-probabilities (<= 0) with log_" + name + "=True");
        fail(name + ": expected probabilities in [0, 1]; for log-probabilities pass log_" + name +
             "=True");
    }
    return result;
}

template <class T>
void define(py::module_& m) {
    m.def("binary_cross_entropy", &binary_cross_entropy<T>, py::arg("logits").noconvert(),
          py::arg("targets").noconvert(), py::arg("weight").noconvert(),
          py::arg("pos_weight").noconvert(), py::arg("alpha"), FASTLOSS_GRAD_ARGS);
    m.def("sigmoid_focal_loss", &sigmoid_focal_loss<T>, py::arg("logits").noconvert(),
          py::arg("targets").noconvert(), py::arg("alpha"), py::arg("gamma"), FASTLOSS_GRAD_ARGS);
    m.def("cross_entropy_labels", &cross_entropy_labels<T>, py::arg("logits").noconvert(),
          py::arg("labels").noconvert(), py::arg("weight").noconvert(), py::arg("ignore_index"),
          py::arg("label_smoothing"), FASTLOSS_GRAD_ARGS);
    m.def("cross_entropy_probs", &cross_entropy_probs<T>, py::arg("logits").noconvert(),
          py::arg("targets").noconvert(), py::arg("weight").noconvert(), py::arg("label_smoothing"),
          FASTLOSS_GRAD_ARGS);
    m.def("softmax_focal_loss", &softmax_focal_loss<T>, py::arg("logits").noconvert(),
          py::arg("labels").noconvert(), py::arg("alpha").noconvert(), py::arg("gamma"),
          py::arg("ignore_index"), FASTLOSS_GRAD_ARGS);
    m.def("distillation_kl", &distillation_kl<T>, py::arg("student_logits").noconvert(),
          py::arg("teacher_logits").noconvert(), py::arg("temperature"), FASTLOSS_GRAD_ARGS);
    m.def("kl_divergence", &kl_divergence<T>, py::arg("input").noconvert(),
          py::arg("target").noconvert(), py::arg("log_input"), py::arg("log_target"),
          py::arg("reduction"), py::arg("mean_denominator"), py::arg("want_grad"),
          py::arg("grad_scale"), py::arg("grad_output").noconvert(),
          py::arg("grad_out").noconvert(), py::arg("num_threads"));
}

}  // namespace

void bind_classification(py::module_& m) {
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
