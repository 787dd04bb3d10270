#include "fastloss/segmentation/overlap.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_segmentation(Kernels<T>& k) {
    k.overlap_loss = &overlap_loss<T>;
}

template void register_segmentation<float>(Kernels<float>&);
template void register_segmentation<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
