#include "fastloss/regression.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_regression(Kernels<T>& k) {
    k.pointwise_regression = &pointwise_regression<T>;
    k.residual_standard_error = &residual_standard_error<T>;
}

template void register_regression<float>(Kernels<float>&);
template void register_regression<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
