// The ISA-neutral entry points: one table of kernel pointers per instruction set. The bindings
// call kernels only through kernel_table(), which holds the set chosen at run time.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "fastloss/common/types.hpp"
#include "fastloss/regression.hpp"
#include "fastloss/classification/softmax.hpp"
#include "fastloss/metric/explicit.hpp"
#include "fastloss/metric/params.hpp"
#include "fastloss/pointcloud/params.hpp"
#include "fastloss/segmentation/params.hpp"
#include "fastloss/transport/params.hpp"
#include "fastloss/transport/wasserstein_1d.hpp"

namespace fastloss {

template <class T>
struct Kernels {
    void (*pointwise_regression)(const T* pred, const T* target, const T* weight, index_t n,
                                 const PointwiseParams& params, LossOutput<T>& out, int threads);
    double (*residual_standard_error)(const T* pred, const T* target, const T* weight, index_t n,
                                      T* grad, double grad_scale, int threads);
    Status (*binary_cross_entropy)(const T* logits, const T* targets, const T* weight,
                                   const T* pos_weight, index_t n, index_t cols, double alpha,
                                   LossOutput<T>& out, int threads);
    Status (*sigmoid_focal_loss)(const T* logits, const T* targets, index_t n, double alpha,
                                 double gamma, LossOutput<T>& out, int threads);
    Status (*cross_entropy_labels)(const T* logits, const index_t* labels, index_t n, index_t c,
                                   index_t inner, const T* class_weight,
                                   const CrossEntropyParams& params, LossOutput<T>& out,
                                   int threads);
    Status (*cross_entropy_probs)(const T* logits, const T* targets, index_t n, index_t c,
                                  const T* class_weight, double label_smoothing,
                                  LossOutput<T>& out, int threads);
    Status (*softmax_focal_loss)(const T* logits, const index_t* labels, index_t n, index_t c,
                                 index_t inner, const T* alpha, double gamma, index_t ignore_index,
                                 LossOutput<T>& out, int threads);
    void (*distillation_kl)(const T* student, const T* teacher, index_t n, index_t c,
                            double temperature, LossOutput<T>& out, int threads);
    Status (*kl_divergence)(const T* input, const T* target, index_t n, bool log_input,
                            bool log_target, double mean_denominator, LossOutput<T>& out,
                            int threads);
    // rl
    void (*discounted_returns)(const T* rewards, const std::uint8_t* dones, index_t steps,
                               index_t envs, double gamma, const T* bootstrap, T* out, int threads);
    void (*discounted_returns_vjp)(const T* u, const std::uint8_t* dones, index_t steps,
                                   index_t envs, double gamma, T* grad, int threads);
    void (*generalized_advantage_estimation)(const T* rewards, const T* values,
                                             const std::uint8_t* dones, index_t steps, index_t envs,
                                             double gamma, double lambda, const T* bootstrap,
                                             T* advantages, T* returns, int threads);
    void (*generalized_advantage_estimation_vjp)(const T* u_adv, const T* u_ret,
                                                 const std::uint8_t* dones, index_t steps,
                                                 index_t envs, double gamma, double lambda,
                                                 T* grad_rewards, T* grad_values, int threads);
    void (*n_step_returns)(const T* rewards, const T* values, const std::uint8_t* dones,
                           index_t steps, index_t envs, index_t n, double gamma, const T* bootstrap,
                           T* out, int threads);
    void (*n_step_returns_vjp)(const T* u, const std::uint8_t* dones, index_t steps, index_t envs,
                               index_t n, double gamma, T* grad_rewards, T* grad_values,
                               int threads);
    void (*policy_gradient_loss)(const T* logits, const index_t* actions, const T* advantages,
                                 const T* weights, index_t n, index_t c, double entropy_coef,
                                 LossOutput<T>& out, int threads);
    void (*q_learning_loss)(const T* q_tm1, const index_t* a_tm1, const T* r_t, const T* discount_t,
                            const T* q_t, const T* selector, const T* weights, index_t n, index_t c,
                            bool huber, double delta, LossOutput<T>& out, int threads);
    // segmentation
    Status (*overlap_loss)(const T* input, const index_t* labels, const T* targets, index_t n,
                           index_t c, index_t s, const T* class_weight, const OverlapParams& params,
                           LossOutput<T>& out, int threads);
    // point clouds
    void (*chamfer_distance)(const CloudPair<T>& clouds, const ChamferParams& params,
                             const T* weights, ChamferOutput<T>& out, int threads);
    void (*nearest_neighbors)(const CloudPair<T>& clouds, index_t k, SearchMetric metric,
                              SearchMethod method, T* out_d, index_t* out_i, int threads);
    // metric learning
    void (*margin_ranking_loss)(const T* x1, const T* x2, const T* y, index_t n, double margin,
                                LossOutput<T>& out, T* grad_x2, int threads);
    void (*triplet_margin_loss)(const T* a, const T* p, const T* n, index_t rows, index_t d,
                                const TripletParams& params, LossOutput<T>& out, T* grad_p,
                                T* grad_n, int threads);
    void (*contrastive_loss)(const T* x1, const T* x2, const T* y, index_t rows, index_t d,
                             const ContrastiveParams& params, LossOutput<T>& out, T* grad_x2,
                             int threads);
    void (*angular_loss)(const T* a, const T* p, const T* n, index_t rows, index_t d,
                         double alpha_deg, bool npair, LossOutput<T>& out, T* grad_p, T* grad_n,
                         int threads);
    // metric learning over a labelled batch: gram = x x^T (see metric/pair_matrix.hpp)
    double (*batch_triplet_loss)(const T* x, const std::int32_t* cls, index_t b, index_t d,
                                 T* gram, const BatchTripletParams& params, bool want_grad,
                                 double grad_scale, T* grad, double* alpha, int threads);
    double (*batch_contrastive_loss)(const T* x, const std::int32_t* cls, index_t b, index_t d,
                                     T* gram, const ContrastiveParams& params, bool want_grad,
                                     double grad_scale, double* alpha, int threads);
    double (*batch_angular_loss)(const T* x, const std::int32_t* cls, index_t n_classes,
                                 index_t b, index_t d, T* gram, const AngularParams& params,
                                 bool want_grad, double grad_scale, double* alpha, int threads);
    void (*normalize_rows)(const T* x, index_t b, index_t d, T* out, double* inv_norm,
                           int threads);
    void (*finish_pair_gradient)(const T* p, const double* alpha, const double* inv_norm,
                                 index_t b, index_t d, bool from_product, T* g, int threads);
    // transport
    void (*earth_movers_distance)(const TransportBatch<T>& in, TransportOutput<T>& out,
                                  int threads);
    void (*wasserstein_1d)(const Line1dBatch<T>& in, Line1dOutput<T>& out, int threads);
    void (*sinkhorn)(const TransportBatch<T>& in, const SinkhornParams& params,
                     SinkhornOutput<T>& out, int threads);
};

struct KernelTable {
    const char* isa;
    Kernels<float> f32;
    Kernels<double> f64;

    template <class T>
    const Kernels<T>& get() const {
        if constexpr (std::is_same_v<T, float>)
            return f32;
        else
            return f64;
    }
};

/// The table in use (chosen on first call: FASTLOSS_CPU_DISPATCH, else the best the CPU runs).
const KernelTable& kernel_table();
/// Switches to the named instruction set ("baseline", "avx2", "avx512"); false if not available.
bool select_isa(const std::string& name);
/// The instruction sets this build has and this CPU can run, baseline first.
std::vector<std::string> available_isas();
/// Whether the kernels were built with OpenMP, and OpenMP's default thread count (1 if not).
bool has_openmp();
int default_num_threads();

}  // namespace fastloss
