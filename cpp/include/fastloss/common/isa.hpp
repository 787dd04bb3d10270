// Kernels are compiled once per instruction set (see CMakeLists.txt). Everything that is
// compiled with ISA-specific flags lives in the inline namespace fastloss::FASTLOSS_ISA_NS, so
// the baseline and AVX2 copies of the same template never share a symbol (no ODR clash).
#pragma once

#ifndef FASTLOSS_ISA_NS
#define FASTLOSS_ISA_NS baseline
#endif

#define FASTLOSS_BEGIN_ISA_NAMESPACE \
    namespace fastloss {             \
    inline namespace FASTLOSS_ISA_NS {
#define FASTLOSS_END_ISA_NAMESPACE \
    }                              \
    }
