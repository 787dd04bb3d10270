// Compiled once per instruction set: assembles that set's table.
#include "register.hpp"

#define FASTLOSS_STR2(x) #x
#define FASTLOSS_STR(x) FASTLOSS_STR2(x)

FASTLOSS_BEGIN_ISA_NAMESPACE

namespace {
template <class T>
Kernels<T> make_kernels() {
    Kernels<T> k{};
    register_regression(k);
    register_classification(k);
    register_rl(k);
    register_segmentation(k);
    register_pointcloud(k);
    register_metric(k);
    register_transport(k);
    return k;
}
}  // namespace

KernelTable make_kernel_table() {
    return KernelTable{FASTLOSS_STR(FASTLOSS_ISA_NS), make_kernels<float>(),
                       make_kernels<double>()};
}

FASTLOSS_END_ISA_NAMESPACE
