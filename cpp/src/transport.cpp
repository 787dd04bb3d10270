#include "fastloss/transport/emd.hpp"
#include "fastloss/transport/sinkhorn.hpp"
#include "fastloss/transport/wasserstein_1d.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_transport(Kernels<T>& k) {
    k.earth_movers_distance = &earth_movers_distance<T>;
    k.wasserstein_1d = &wasserstein_1d<T>;
    k.sinkhorn = &sinkhorn<T>;
}

template void register_transport<float>(Kernels<float>&);
template void register_transport<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
