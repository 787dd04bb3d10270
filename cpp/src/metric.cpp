#include "fastloss/metric/angular.hpp"
#include "fastloss/metric/batch_triplet.hpp"
#include "fastloss/metric/contrastive.hpp"
#include "fastloss/metric/explicit.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_metric(Kernels<T>& k) {
    k.margin_ranking_loss = &margin_ranking_loss<T>;
    k.triplet_margin_loss = &triplet_margin_loss<T>;
    k.contrastive_loss = &contrastive_loss<T>;
    k.angular_loss = &angular_loss<T>;
    k.batch_triplet_loss = &batch_triplet_loss<T>;
    k.batch_contrastive_loss = &batch_contrastive_loss<T>;
    k.batch_angular_loss = &batch_angular_loss<T>;
    k.normalize_rows = &normalize_rows<T>;
    k.finish_pair_gradient = &finish_pair_gradient<T>;
}

template void register_metric<float>(Kernels<float>&);
template void register_metric<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
