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

// Forces inlining of a hot loop into its caller. GCC vectorises the inlined copy but has been
// seen to leave an out-of-line clone of the same loop (IPA-SRA ".isra") scalar.
#if defined(__GNUC__) || defined(__clang__)
#define FASTLOSS_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define FASTLOSS_ALWAYS_INLINE __forceinline
#else
#define FASTLOSS_ALWAYS_INLINE inline
#endif
