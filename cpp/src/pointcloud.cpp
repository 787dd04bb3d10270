#include "fastloss/pointcloud/chamfer.hpp"

#include "register.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_pointcloud(Kernels<T>& k) {
    k.chamfer_distance = &chamfer_distance<T>;
    k.nearest_neighbors = &nearest_neighbors<T>;
}

template void register_pointcloud<float>(Kernels<float>&);
template void register_pointcloud<double>(Kernels<double>&);

FASTLOSS_END_ISA_NAMESPACE
