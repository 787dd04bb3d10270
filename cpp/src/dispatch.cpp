// Run-time choice of the kernel table. Compiled for the baseline instruction set only.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "fastloss/kernel_table.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastloss {
namespace baseline {
KernelTable make_kernel_table();
}
#ifdef FASTLOSS_HAVE_AVX2
namespace avx2 {
KernelTable make_kernel_table();
}
#endif
#ifdef FASTLOSS_HAVE_AVX512
namespace avx512 {
KernelTable make_kernel_table();
}
#endif

namespace {

bool cpu_has_avx2() {
#if defined(FASTLOSS_HAVE_AVX2) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

bool cpu_has_avx512() {
#if defined(FASTLOSS_HAVE_AVX512) && (defined(__GNUC__) || defined(__clang__))
    // libgcc also checks (XGETBV) that the OS saves the AVX-512 registers.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

const KernelTable& baseline_table() {
    static const KernelTable table = baseline::make_kernel_table();
    return table;
}

// A table is built only after the CPU has said it runs that instruction set: building it runs
// code compiled for the set (the compiler is free to use its registers there, and does).
const KernelTable* avx2_table() {
#ifdef FASTLOSS_HAVE_AVX2
    if (!cpu_has_avx2()) return nullptr;
    static const KernelTable table = avx2::make_kernel_table();
    return &table;
#else
    return nullptr;
#endif
}

const KernelTable* avx512_table() {
#ifdef FASTLOSS_HAVE_AVX512
    if (!cpu_has_avx512()) return nullptr;
    static const KernelTable table = avx512::make_kernel_table();
    return &table;
#else
    return nullptr;
#endif
}

const KernelTable* find_table(const std::string& name) {
    if (name == "baseline") return &baseline_table();
    if (name == "avx2") return avx2_table();
    if (name == "avx512") return avx512_table();
    return nullptr;
}

const KernelTable* initial_table() {
    // FASTLOSS_CPU_DISPATCH=baseline|avx2|avx512 forces a path (used to test every path); a
    // name this build or CPU cannot run falls through to the best available.
    const char* env = std::getenv("FASTLOSS_CPU_DISPATCH");
    if (env && *env) {
        if (const KernelTable* t = find_table(env)) return t;
    }
    if (const KernelTable* t = avx512_table()) return t;
    if (const KernelTable* t = avx2_table()) return t;
    return &baseline_table();
}

std::atomic<const KernelTable*>& current() {
    static std::atomic<const KernelTable*> table{initial_table()};
    return table;
}

}  // namespace

const KernelTable& kernel_table() {
    return *current().load(std::memory_order_acquire);
}

bool select_isa(const std::string& name) {
    const KernelTable* t = find_table(name);
    if (t) current().store(t, std::memory_order_release);
    return t != nullptr;
}

std::vector<std::string> available_isas() {
    std::vector<std::string> names{"baseline"};
    if (cpu_has_avx2()) names.emplace_back("avx2");
    if (cpu_has_avx512()) names.emplace_back("avx512");
    return names;
}

bool has_openmp() {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

int default_num_threads() {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

}  // namespace fastloss
