// Private: the per-family functions that fill a kernel table, one set per instruction set.
#pragma once

#include "fastloss/common/isa.hpp"
#include "fastloss/kernel_table.hpp"

FASTLOSS_BEGIN_ISA_NAMESPACE

template <class T>
void register_regression(Kernels<T>& k);
template <class T>
void register_classification(Kernels<T>& k);
template <class T>
void register_rl(Kernels<T>& k);
template <class T>
void register_segmentation(Kernels<T>& k);
template <class T>
void register_pointcloud(Kernels<T>& k);
template <class T>
void register_metric(Kernels<T>& k);
template <class T>
void register_transport(Kernels<T>& k);

KernelTable make_kernel_table();

FASTLOSS_END_ISA_NAMESPACE
