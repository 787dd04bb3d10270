#include "fastloss/metric/explicit.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_metric(Kernels<T>& k) {
    k.margin_ranking_loss = &margin_ranking_loss<T>;
    k.triplet_margin_loss = &triplet_margin_loss<T>;
}

template void register_metric<float>(Kernels<float>&);
template void register_metric<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
