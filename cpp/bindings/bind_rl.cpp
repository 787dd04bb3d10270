// Bindings for reinforcement-learning kernels: checks, allocation, GIL release; no maths.
// Scans take (T, E) arrays (the Python layer maps (T,) onto (T, 1)).
#include <pybind11/stl.h>

#include "loss_call.hpp"

namespace fastloss::bind {
namespace {

template <class T>
using Opt = std::optional<Array<T>>;
using Dones = Array<std::uint8_t>;  // 0/1 bytes: a bool array's memory, passed as it is

/// (T, E) time-major arrays of one shape; returns (T, E).
template <class T>
std::pair<index_t, index_t> require_scan(
    const Array<T>& a, const char* name,
    std::initializer_list<std::pair<const py::array*, const char*>> others) {
    require_ndim(a, name, 2);
    require_nonempty(a, name);
    for (const auto& [arr, other] : others) require_same_shape(a, name, *arr, other);
    return {a.shape(0), a.shape(1)};
}

template <class T>
Array<T> discounted_returns(const Array<T>& rewards, const Dones& dones, double gamma,
                            const Opt<T>& bootstrap, int num_threads) {
    const auto [steps, envs] = require_scan(rewards, "rewards", {{&dones, "dones"}});
    require_length(bootstrap, "bootstrap_value", envs);
    require_threads(num_threads);
    Array<T> out(shape_of(rewards));
    const T *r = rewards.data(), *b = data_or_null(bootstrap);
    const std::uint8_t* d = dones.data();
    T* o = out.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().discounted_returns(r, d, steps, envs, gamma, b, o, num_threads);
    });
    return out;
}

template <class T>
Array<T> discounted_returns_vjp(const Array<T>& u, const Dones& dones, double gamma,
                                int num_threads) {
    const auto [steps, envs] = require_scan(u, "grad_output", {{&dones, "dones"}});
    require_threads(num_threads);
    Array<T> grad(shape_of(u));
    const T* g = u.data();
    const std::uint8_t* d = dones.data();
    T* o = grad.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().discounted_returns_vjp(g, d, steps, envs, gamma, o, num_threads);
    });
    return grad;
}

template <class T>
py::tuple gae(const Array<T>& rewards, const Array<T>& values, const Dones& dones, double gamma,
              double lambda, const Opt<T>& bootstrap, bool want_returns, int num_threads) {
    const auto [steps, envs] =
        require_scan(rewards, "rewards", {{&values, "values"}, {&dones, "dones"}});
    require_length(bootstrap, "bootstrap_value", envs);
    require_threads(num_threads);
    Array<T> adv(shape_of(rewards));
    py::object ret_obj = py::none();
    T* ret = nullptr;
    if (want_returns) {
        Array<T> ret_array(shape_of(rewards));
        ret = ret_array.mutable_data();
        ret_obj = ret_array;
    }
    const std::uint8_t* d = dones.data();
    const T *r = rewards.data(), *v = values.data(), *b = data_or_null(bootstrap);
    T* a = adv.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().generalized_advantage_estimation(r, v, d, steps, envs, gamma, lambda, b, a,
                                                      ret, num_threads);
    });
    return py::make_tuple(adv, ret_obj);
}

template <class T>
py::tuple gae_vjp(const Opt<T>& u_adv, const Opt<T>& u_ret, const Dones& dones, double gamma,
                  double lambda, int num_threads) {
    const auto [steps, envs] = require_scan(dones, "dones", {});
    if (u_adv) require_same_shape(dones, "dones", *u_adv, "grad_output");
    if (u_ret) require_same_shape(dones, "dones", *u_ret, "grad_output");
    require_threads(num_threads);
    Array<T> grad_r(shape_of(dones)), grad_v(shape_of(dones));
    const T *ua = data_or_null(u_adv), *ur = data_or_null(u_ret);
    const std::uint8_t* d = dones.data();
    T *gr = grad_r.mutable_data(), *gv = grad_v.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().generalized_advantage_estimation_vjp(ua, ur, d, steps, envs, gamma, lambda, gr,
                                                          gv, num_threads);
    });
    return py::make_tuple(grad_r, grad_v);
}

template <class T>
Array<T> n_step_returns(const Array<T>& rewards, const Array<T>& values, const Dones& dones,
                        index_t n, double gamma, const Opt<T>& bootstrap, int num_threads) {
    const auto [steps, envs] =
        require_scan(rewards, "rewards", {{&values, "values"}, {&dones, "dones"}});
    require_length(bootstrap, "bootstrap_value", envs);
    require_threads(num_threads);
    if (n < 1) fail("n: expected a positive integer, got " + std::to_string(n));
    Array<T> out(shape_of(rewards));
    const std::uint8_t* d = dones.data();
    const T *r = rewards.data(), *v = values.data(), *b = data_or_null(bootstrap);
    T* o = out.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().n_step_returns(r, v, d, steps, envs, n, gamma, b, o, num_threads);
    });
    return out;
}

template <class T>
py::tuple n_step_returns_vjp(const Array<T>& u, const Dones& dones, index_t n, double gamma,
                             int num_threads) {
    const auto [steps, envs] = require_scan(u, "grad_output", {{&dones, "dones"}});
    require_threads(num_threads);
    if (n < 1) fail("n: expected a positive integer, got " + std::to_string(n));
    Array<T> grad_r(shape_of(u)), grad_v(shape_of(u));
    const std::uint8_t* d = dones.data();
    const T* g = u.data();
    T *gr = grad_r.mutable_data(), *gv = grad_v.mutable_data();
    run_without_gil(num_threads, [&] {
        kernels<T>().n_step_returns_vjp(g, d, steps, envs, n, gamma, gr, gv, num_threads);
    });
    return py::make_tuple(grad_r, grad_v);
}

/// logits-like (N, A) and per-row (N,) arrays.
template <class T>
void require_row_array(const Array<T>& a, const char* name, index_t n) {
    if (a.ndim() != 1 || a.shape(0) != n)
        fail(std::string(name) + ": expected shape (" + std::to_string(n) +
             ",), one per row, got " + shape_str(a));
}

inline void require_actions(const Labels& actions, const char* name, index_t n, index_t c) {
    if (actions.ndim() != 1 || actions.shape(0) != n)
        fail(std::string(name) + ": expected shape (" + std::to_string(n) +
             ",), one per row, got " + shape_str(actions));
    require_labels_in_range(actions, name, c, std::nullopt);
}

template <class T>
py::tuple policy_gradient_loss(const Array<T>& logits, const Labels& actions,
                               const Array<T>& advantages, const Opt<T>& weights,
                               double entropy_coef, Reduction reduction, bool want_grad,
                               double grad_scale, const Opt<T>& grad_output, const Opt<T>& grad_out,
                               int num_threads) {
    require_ndim(logits, "logits", 2);
    require_nonempty(logits, "logits");
    const index_t n = logits.shape(0), c = logits.shape(1);
    require_actions(actions, "actions", n, c);
    require_row_array(advantages, "advantages", n);
    if (weights) require_row_array(*weights, "weights", n);
    const T *x = logits.data(), *adv = advantages.data(), *w = data_or_null(weights);
    const index_t* a = actions.data();
    return call_loss<T>(reduction, {n}, shape_of(logits),
                        GradRequest<T>{want_grad, grad_scale, grad_output, grad_out}, num_threads,
                        "advantages", [&](LossOutput<T>& out) {
                            kernels<T>().policy_gradient_loss(x, a, adv, w, n, c, entropy_coef, out,
                                                              num_threads);
                            return Status::Ok;
                        });
}

template <class T>
py::tuple q_learning_loss(const Array<T>& q_tm1, const Labels& a_tm1, const Array<T>& r_t,
                          const Array<T>& discount_t, const Array<T>& q_t, const Opt<T>& selector,
                          const Opt<T>& weights, bool huber, double delta,
                          Reduction reduction, bool want_grad, double grad_scale,
                          const Opt<T>& grad_output, const Opt<T>& grad_out, int num_threads) {
    require_ndim(q_tm1, "q_tm1", 2);
    require_nonempty(q_tm1, "q_tm1");
    require_same_shape(q_tm1, "q_tm1", q_t, "q_t");
    require_optional_shape(selector, "q_t_selector", q_tm1, "q_tm1");
    const index_t n = q_tm1.shape(0), c = q_tm1.shape(1);
    require_actions(a_tm1, "a_tm1", n, c);
    require_row_array(r_t, "r_t", n);
    require_row_array(discount_t, "discount_t", n);
    if (weights) require_row_array(*weights, "weights", n);
    const T *q0 = q_tm1.data(), *r = r_t.data(), *disc = discount_t.data(), *q1 = q_t.data(),
            *sel = data_or_null(selector), *w = data_or_null(weights);
    const index_t* a = a_tm1.data();
    return call_loss<T>(reduction, {n}, shape_of(q_tm1),
                        GradRequest<T>{want_grad, grad_scale, grad_output, grad_out, true},
                        num_threads, "r_t", [&](LossOutput<T>& out) {
                            kernels<T>().q_learning_loss(q0, a, r, disc, q1, sel, w, n, c, huber,
                                                         delta, out, num_threads);
                            return Status::Ok;
                        });
}

template <class T>
void define(py::module_& m) {
    m.def("discounted_returns", &discounted_returns<T>, py::arg("rewards").noconvert(),
          py::arg("dones").noconvert(), py::arg("gamma"), py::arg("bootstrap_value").noconvert(),
          py::arg("num_threads"));
    m.def("discounted_returns_vjp", &discounted_returns_vjp<T>, py::arg("grad_output").noconvert(),
          py::arg("dones").noconvert(), py::arg("gamma"), py::arg("num_threads"));
    m.def("generalized_advantage_estimation", &gae<T>, py::arg("rewards").noconvert(),
          py::arg("values").noconvert(), py::arg("dones").noconvert(), py::arg("gamma"),
          py::arg("lambda_"), py::arg("bootstrap_value").noconvert(), py::arg("want_returns"),
          py::arg("num_threads"));
    m.def("generalized_advantage_estimation_vjp", &gae_vjp<T>,
          py::arg("grad_advantages").noconvert(), py::arg("grad_returns").noconvert(),
          py::arg("dones").noconvert(), py::arg("gamma"), py::arg("lambda_"),
          py::arg("num_threads"));
    m.def("n_step_returns", &n_step_returns<T>, py::arg("rewards").noconvert(),
          py::arg("values").noconvert(), py::arg("dones").noconvert(), py::arg("n"),
          py::arg("gamma"), py::arg("bootstrap_value").noconvert(), py::arg("num_threads"));
    m.def("n_step_returns_vjp", &n_step_returns_vjp<T>, py::arg("grad_output").noconvert(),
          py::arg("dones").noconvert(), py::arg("n"), py::arg("gamma"), py::arg("num_threads"));
    m.def("policy_gradient_loss", &policy_gradient_loss<T>, py::arg("logits").noconvert(),
          py::arg("actions").noconvert(), py::arg("advantages").noconvert(),
          py::arg("weights").noconvert(), py::arg("entropy_coef"), FASTLOSS_GRAD_ARGS);
    m.def("q_learning_loss", &q_learning_loss<T>, py::arg("q_tm1").noconvert(),
          py::arg("a_tm1").noconvert(), py::arg("r_t").noconvert(),
          py::arg("discount_t").noconvert(), py::arg("q_t").noconvert(),
          py::arg("q_t_selector").noconvert(), py::arg("weights").noconvert(), py::arg("huber"),
          py::arg("delta"), FASTLOSS_GRAD_ARGS);
}

}  // namespace

void bind_rl(py::module_& m) {
    define<float>(m);
    define<double>(m);
}

}  // namespace fastloss::bind
