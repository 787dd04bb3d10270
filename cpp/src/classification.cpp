#include "fastloss/classification/binary.hpp"
#include "fastloss/classification/distillation.hpp"
#include "fastloss/classification/kl.hpp"
#include "fastloss/classification/softmax_small.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_classification(Kernels<T>& k) {
    k.binary_cross_entropy = &binary_cross_entropy<T>;
    k.sigmoid_focal_loss = &sigmoid_focal_loss<T>;
    k.cross_entropy_labels = &cross_entropy_labels<T>;
    k.cross_entropy_probs = &cross_entropy_probs<T>;
    k.softmax_focal_loss = &softmax_focal_loss<T>;
    k.distillation_kl = &distillation_kl<T>;
    k.kl_divergence = &kl_divergence<T>;
}

template void register_classification<float>(Kernels<float>&);
template void register_classification<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
