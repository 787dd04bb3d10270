// Whether starting threads pays off right now, judged from the calls themselves.
//
// OpenMP's idle threads spin for a while between calls (libgomp's default), so that the next
// parallel region starts at once. When another process keeps a core busy, our working and
// spinning threads take turns with it, and a call waits for the time slice of a descheduled
// thread: a 0.3 ms call took 6-8 ms. The kernel counts each such turn as an involuntary context
// switch of the thread that lost its CPU. When threaded calls see the process's threads preempted
// more than kPreemptionsPerMs times per millisecond (over 50 ms of such calls; a busy neighbour
// gave 0.2 to 2 per ms, an idle machine 0.04 to 0.07), the machine is contended, and calls that
// take the default thread count run on one thread for a hold-off (doubling, up to 2 s, while
// contention lasts; back to 50 ms after 10 s without). A thread that waits for another (at a
// join, or asleep between calls) switches voluntarily, and is not counted. A thread that was
// asleep, woken at the start of a region but left waiting for a core, is not preempted either:
// the block helpers report such a late join (note_join_wait); three within 200 ms mark
// contention.
//
// Measuring costs two getrusage calls (system calls, ~1 us), so only threaded calls are
// measured, and only after a call that took at least kMeasureAbove: short calls cost two reads
// of the steady clock. Compiled for the baseline instruction set only.
#pragma once

#include <chrono>
#include <cstdint>

namespace fastloss {

/// True while calls with the default thread count should run on one thread.
bool threads_contended();

/// The steady clock in nanoseconds.
std::int64_t steady_now_ns();

/// Reports how long the calling thread of a parallel region of region_ns waited at its join for
/// the other threads after its own share was done (the block helpers, common/parallel.hpp).
/// Threads that run finish equal shares close together (a sleeping one wakes in well under
/// kLateJoin; a virtual machine's cores drift apart by a few percent of a long region); a wait
/// of kLateJoin or more that is also kLateJoinShare of the region or more means another thread
/// was kept off its core.
void note_join_wait(std::int64_t wait_ns, std::int64_t region_ns);

/// Measures one call (construction to destruction) made on `num_threads` threads.
class CallMonitor {
public:
    explicit CallMonitor(int num_threads);
    ~CallMonitor();
    CallMonitor(const CallMonitor&) = delete;
    CallMonitor& operator=(const CallMonitor&) = delete;

    static constexpr std::chrono::microseconds kMeasureAbove{200};
    static constexpr double kPreemptionsPerMs = 0.15;
    static constexpr std::chrono::microseconds kLateJoin{1000};
    static constexpr double kLateJoinShare = 0.25;

private:
    std::chrono::steady_clock::time_point start_;
    std::int64_t preemptions_start_ = -1;  // -1: not measured
};

}  // namespace fastloss
