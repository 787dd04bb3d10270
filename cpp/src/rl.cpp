#include "fastloss/rl/losses.hpp"
#include "fastloss/rl/scans.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_rl(Kernels<T>& k) {
    k.discounted_returns = &discounted_returns<T>;
    k.discounted_returns_vjp = &discounted_returns_vjp<T>;
    k.generalized_advantage_estimation = &generalized_advantage_estimation<T>;
    k.generalized_advantage_estimation_vjp = &generalized_advantage_estimation_vjp<T>;
    k.n_step_returns = &n_step_returns<T>;
    k.n_step_returns_vjp = &n_step_returns_vjp<T>;
    k.policy_gradient_loss = &policy_gradient_loss<T>;
    k.q_learning_loss = &q_learning_loss<T>;
}

template void register_rl<float>(Kernels<float>&);
template void register_rl<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
