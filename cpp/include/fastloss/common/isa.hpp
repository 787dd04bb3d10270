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

// Forces inlining of what hot loops call (vm::exp, ...): a loop that calls a function does not
// vectorise, and GCC's heuristics do leave such helpers out of line when a function calls
// them from several loops.
#if defined(__GNUC__) || defined(__clang__)
#define FASTLOSS_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define FASTLOSS_ALWAYS_INLINE __forceinline
#else
#define FASTLOSS_ALWAYS_INLINE inline
#endif

// Keeps a tile function (common/elementwise.hpp) a real call: compiled on its own, with only
// pointer and scalar arguments, its SIMD loop keeps the __restrict on its buffers and every
// input in a register. Inlined into the driver, GCC has been seen to lose both and leave the
// loop scalar. One call per tile of 512 elements costs nothing measurable.
#if defined(__GNUC__) || defined(__clang__)
#define FASTLOSS_NOINLINE __attribute__((noinline))
#else
#define FASTLOSS_NOINLINE
#endif
