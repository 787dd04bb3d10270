// Contention of the machine, judged from the calls (common/contention.hpp). Baseline code only.
#include "fastloss/common/contention.hpp"

#include <algorithm>
#include <atomic>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#define FASTLOSS_HAVE_RUSAGE 1
#endif

namespace fastloss {

namespace {

using Clock = std::chrono::steady_clock;

/// How often the kernel has taken a CPU from one of this process's threads to give it to
/// another runnable thread (involuntary context switches, all threads), or -1 where unknown.
std::int64_t preemptions() {
#ifdef FASTLOSS_HAVE_RUSAGE
    rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    return static_cast<std::int64_t>(usage.ru_nivcsw);
#else
    return -1;
#endif
}

constexpr std::int64_t kMinHoldOffNs = 50'000'000;       // 50 ms
constexpr std::int64_t kMaxHoldOffNs = 2'000'000'000;    // 2 s
constexpr std::int64_t kForgetAfterNs = 10'000'000'000;  // 10 s without contention seen
constexpr std::int64_t kWindowNs = 50'000'000;           // threaded calls judged together
constexpr std::int64_t kLateJoinWindowNs = 200'000'000;  // late joins counted together
constexpr std::int64_t kLateJoins = 3;

std::atomic<std::int64_t> g_last_call_ns{0};        // wall time of the last call
std::atomic<std::int64_t> g_contended_until_ns{0};  // steady-clock time
std::atomic<std::int64_t> g_last_contention_ns{0};  // steady-clock time
std::atomic<std::int64_t> g_hold_off_ns{kMinHoldOffNs};
std::atomic<std::int64_t> g_window_wall_ns{0};  // measured threaded calls so far
std::atomic<std::int64_t> g_window_preemptions{0};
std::atomic<std::int64_t> g_late_window_start_ns{0};
std::atomic<std::int64_t> g_late_joins{0};

void mark_contended(std::int64_t now) {
    const std::int64_t hold = g_hold_off_ns.load(std::memory_order_relaxed);
    g_contended_until_ns.store(now + hold, std::memory_order_relaxed);
    g_last_contention_ns.store(now, std::memory_order_relaxed);
    g_hold_off_ns.store(std::min(2 * hold, kMaxHoldOffNs), std::memory_order_relaxed);
}

// Preemptions happen on an idle machine too (kernel threads, timers: tens a second here), so
// one is no evidence: calls are judged by their rate over a window of kWindowNs of threaded
// calls. A clean window does not prove the machine idle either (a window may fall between two
// time slices of the neighbour): the hold-off shrinks back only after a long while without
// contention seen.
void record(std::int64_t wall_ns, std::int64_t preempted) {
    const std::int64_t wall = g_window_wall_ns.fetch_add(wall_ns) + wall_ns;
    const std::int64_t count = g_window_preemptions.fetch_add(preempted) + preempted;
    if (wall < kWindowNs) return;
    g_window_wall_ns.store(0);
    g_window_preemptions.store(0);
    const std::int64_t now = steady_now_ns();
    const double per_ms = CallMonitor::kPreemptionsPerMs;
    if (static_cast<double>(count) >= per_ms * static_cast<double>(wall) * 1e-6) {
        mark_contended(now);
    } else if (now - g_last_contention_ns.load(std::memory_order_relaxed) > kForgetAfterNs) {
        g_hold_off_ns.store(kMinHoldOffNs, std::memory_order_relaxed);
    }
}

}  // namespace

std::int64_t steady_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
        .count();
}

// A virtual machine now and then wakes a sleeping core late: one late join is no evidence, three
// within kLateJoinWindowNs are (beside a busy process nearly every short region is late).
void note_join_wait(std::int64_t wait_ns, std::int64_t region_ns) {
    if (wait_ns < std::chrono::nanoseconds(CallMonitor::kLateJoin).count() ||
        static_cast<double>(wait_ns) < CallMonitor::kLateJoinShare * static_cast<double>(region_ns))
        return;
    const std::int64_t now = steady_now_ns();
    if (now - g_late_window_start_ns.load(std::memory_order_relaxed) > kLateJoinWindowNs) {
        g_late_window_start_ns.store(now, std::memory_order_relaxed);
        g_late_joins.store(0, std::memory_order_relaxed);
    }
    if (g_late_joins.fetch_add(1) + 1 >= kLateJoins) {
        g_late_joins.store(0, std::memory_order_relaxed);
        mark_contended(now);
    }
}

bool threads_contended() {
    return steady_now_ns() < g_contended_until_ns.load(std::memory_order_relaxed);
}

CallMonitor::CallMonitor(int num_threads) : start_(Clock::now()) {
    const auto previous = g_last_call_ns.load(std::memory_order_relaxed);
    if (num_threads > 1 && previous >= std::chrono::nanoseconds(kMeasureAbove).count())
        preemptions_start_ = preemptions();
}

CallMonitor::~CallMonitor() {
    const std::int64_t wall =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start_).count();
    g_last_call_ns.store(wall, std::memory_order_relaxed);
    if (preemptions_start_ < 0 || wall < std::chrono::nanoseconds(kMeasureAbove).count()) return;
    const std::int64_t end = preemptions();
    if (end >= 0) record(wall, end - preemptions_start_);
}

}  // namespace fastloss
