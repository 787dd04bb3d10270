// Bindings for the labelled-batch metric losses: checks, allocation, GIL release; no maths.
// The Python layer computes gram = x x^T and, for the gradient, the product M x with NumPy's
// BLAS between two of these calls (metric/pair_matrix.hpp explains the split).
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

using ClassIds = py::array_t<std::int32_t, py::array::c_style>;

PairDistance parse_distance(const std::string& distance) {
    return parse_choice<PairDistance>("distance", distance,
                                      {{"euclidean", PairDistance::Euclidean},
                                       {"squared", PairDistance::Squared},
                                       {"cosine", PairDistance::Cosine}});
}

/// x (B, D), class ids (B,), gram (B, B) writeable.
template <class T>
void require_batch(const Array<T>& x, const ClassIds& cls, const Array<T>& gram) {
    require_ndim(x, "embeddings", 2);
    require_nonempty(x, "embeddings");
    const py::ssize_t b = x.shape(0);
    require_shape(cls, "labels", {b}, "one label per embedding");
    require_shape(gram, "gram", {b, b}, "(B, B)");
    if (!gram.writeable()) fail("gram: expected a writeable array");
}

py::array_t<double> alpha_array(bool want, index_t b) {
    return want ? py::array_t<double>(b) : py::array_t<double>(0);
}

/// Returns (value, grad or None, alpha or None): Hard writes the gradient with respect to x
/// (into grad_out if given); All / SemiHard overwrite gram with M and return alpha.
template <class T>
py::tuple batch_triplet_loss(const Array<T>& x, const ClassIds& cls, Array<T> gram,
                             double margin, const std::string& distance,
                             const std::string& mining, const std::string& average,
                             bool want_grad, double grad_scale, const std::optional<Array<T>>& grad_out,
                             int num_threads) {
    require_batch(x, cls, gram);
    require_threads(num_threads);
    BatchTripletParams prm;
    prm.margin = margin;
    prm.distance = parse_distance(distance);
    prm.mining = parse_choice<TripletMining>("mining", mining,
                                             {{"all", TripletMining::All},
                                              {"hard", TripletMining::Hard},
                                              {"semihard", TripletMining::SemiHard}});
    prm.average_nonzero =
        parse_choice<bool>("average", average, {{"nonzero", true}, {"all", false}});
    const index_t b = x.shape(0), d = x.shape(1);
    const bool hard = prm.mining == TripletMining::Hard;
    std::optional<Array<T>> grad;
    if (want_grad && hard) {
        grad = grad_out ? *grad_out : Array<T>(shape_of(x));
        require_same_shape(x, "embeddings", *grad, "grad_out");
    }
    py::array_t<double> alpha = alpha_array(want_grad && !hard, b);
    const T* px = x.data();
    const std::int32_t* pc = cls.data();
    T* pg = gram.mutable_data();
    T* out = grad ? grad->mutable_data() : nullptr;
    double* pa = want_grad && !hard ? alpha.mutable_data() : nullptr;
    double value;
    run_without_gil(num_threads, [&] {
        value = kernels<T>().batch_triplet_loss(px, pc, b, d, pg, prm, want_grad, grad_scale, out,
                                                pa, num_threads);
    });
    return py::make_tuple(value, grad ? py::object(*grad) : py::object(py::none()),
                          pa ? py::object(alpha) : py::object(py::none()));
}

/// Returns (value, alpha or None); with want_grad gram is overwritten with M.
template <class T>
py::tuple batch_contrastive_loss(const Array<T>& x, const ClassIds& cls, Array<T> gram,
                                 double pos_margin, double neg_margin,
                                 const std::string& distance, const std::string& hinge,
                                 const std::string& average, bool want_grad, double grad_scale,
                                 int num_threads) {
    require_batch(x, cls, gram);
    require_threads(num_threads);
    ContrastiveParams prm;
    prm.pos_margin = pos_margin;
    prm.neg_margin = neg_margin;
    prm.distance = parse_distance(distance);
    prm.squared_hinge = parse_choice<bool>("hinge", hinge, {{"squared", true}, {"linear", false}});
    prm.average = parse_choice<PairAverage>("average", average,
                                            {{"all", PairAverage::All},
                                             {"nonzero", PairAverage::NonZero},
                                             {"nonzero_split", PairAverage::NonZeroSplit}});
    const index_t b = x.shape(0), d = x.shape(1);
    py::array_t<double> alpha = alpha_array(want_grad, b);
    const T* px = x.data();
    const std::int32_t* pc = cls.data();
    T* pg = gram.mutable_data();
    double* pa = want_grad ? alpha.mutable_data() : nullptr;
    double value;
    run_without_gil(num_threads, [&] {
        value = kernels<T>().batch_contrastive_loss(px, pc, b, d, pg, prm, want_grad, grad_scale,
                                                    pa, num_threads);
    });
    return py::make_tuple(value, pa ? py::object(alpha) : py::object(py::none()));
}

/// Returns (value, alpha or None); with want_grad gram is overwritten with M. The N-pair
/// form's alpha is None (its gradient is -M x).
template <class T>
py::tuple batch_angular_loss(const Array<T>& x, const ClassIds& cls, index_t n_classes,
                             Array<T> gram, double alpha, const std::string& form,
                             const std::string& average, bool want_grad, double grad_scale,
                             int num_threads) {
    require_batch(x, cls, gram);
    require_threads(num_threads);
    const index_t b = x.shape(0), d = x.shape(1);
    const std::int32_t* pc = cls.data();
    for (index_t i = 0; i < b; ++i)
        if (pc[i] < 0 || pc[i] >= n_classes) fail("labels: class ids out of range");
    AngularParams prm;
    prm.alpha_deg = alpha;
    prm.npair = parse_choice<bool>("form", form, {{"npair", true}, {"hinge", false}});
    prm.average_nonzero =
        parse_choice<bool>("average", average, {{"nonzero", true}, {"all", false}});
    const bool with_alpha = want_grad && !prm.npair;
    py::array_t<double> alpha_out = alpha_array(with_alpha, b);
    const T* px = x.data();
    T* pg = gram.mutable_data();
    double* pa = with_alpha ? alpha_out.mutable_data() : nullptr;
    double value;
    run_without_gil(num_threads, [&] {
        value = kernels<T>().batch_angular_loss(px, pc, n_classes, b, d, pg, prm, want_grad,
                                                grad_scale, pa, num_threads);
    });
    return py::make_tuple(value, pa ? py::object(alpha_out) : py::object(py::none()));
}

/// Returns (rows of x scaled to unit norm, 1 / norms as float64; zero rows give 0).
template <class T>
py::tuple normalize_rows(const Array<T>& x, int num_threads) {
    require_ndim(x, "embeddings", 2);
    require_threads(num_threads);
    Array<T> out(shape_of(x));
    py::array_t<double> inv(x.shape(0));
    const T* px = x.data();
    T* po = out.mutable_data();
    double* pi = inv.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().normalize_rows(px, x.shape(0), x.shape(1), po, pi, num_threads);
    });
    return py::make_tuple(out, inv);
}

/// In place on g (B, D): see finish_pair_gradient in metric/pair_matrix.hpp.
template <class T>
void finish_pair_gradient(const Array<T>& p, const std::optional<py::array_t<double>>& alpha,
                          const std::optional<py::array_t<double>>& inv_norm, bool from_product,
                          Array<T> g, int num_threads) {
    require_ndim(p, "p", 2);
    require_same_shape(p, "p", g, "g");
    if (!g.writeable()) fail("g: expected a writeable array");
    const py::ssize_t b = p.shape(0);
    if (alpha) require_shape(*alpha, "alpha", {b}, "(B,)");
    if (inv_norm) require_shape(*inv_norm, "inv_norm", {b}, "(B,)");
    require_threads(num_threads);
    const T* pp = p.data();
    const double* pa = alpha ? alpha->data() : nullptr;
    const double* pi = inv_norm ? inv_norm->data() : nullptr;
    T* pg = g.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().finish_pair_gradient(pp, pa, pi, b, p.shape(1), from_product, pg,
                                          num_threads);
    });
}

template <class T>
void define(py::module_& m) {
    m.def("batch_triplet_loss", &batch_triplet_loss<T>, py::arg("embeddings").noconvert(),
          py::arg("labels").noconvert(), py::arg("gram").noconvert(), py::arg("margin"),
          py::arg("distance"), py::arg("mining"), py::arg("average"), py::arg("want_grad"),
          py::arg("grad_scale"), py::arg("grad_out").noconvert(), py::arg("num_threads"));
    m.def("batch_contrastive_loss", &batch_contrastive_loss<T>,
          py::arg("embeddings").noconvert(), py::arg("labels").noconvert(),
          py::arg("gram").noconvert(), py::arg("pos_margin"), py::arg("neg_margin"),
          py::arg("distance"), py::arg("hinge"), py::arg("average"), py::arg("want_grad"),
          py::arg("grad_scale"), py::arg("num_threads"));
    m.def("batch_angular_loss", &batch_angular_loss<T>, py::arg("embeddings").noconvert(),
          py::arg("labels").noconvert(), py::arg("n_classes"), py::arg("gram").noconvert(),
          py::arg("alpha"), py::arg("form"), py::arg("average"), py::arg("want_grad"),
          py::arg("grad_scale"), py::arg("num_threads"));
    m.def("normalize_rows", &normalize_rows<T>, py::arg("x").noconvert(),
          py::arg("num_threads"));
    m.def("finish_pair_gradient", &finish_pair_gradient<T>, py::arg("p").noconvert(),
          py::arg("alpha").noconvert(), py::arg("inv_norm").noconvert(),
          py::arg("from_product"), py::arg("g").noconvert(), py::arg("num_threads"));
}

}  // namespace

void bind_metric_batch(py::module_& m) {
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
