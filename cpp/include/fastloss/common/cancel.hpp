// Cancellation of long kernels (Ctrl-C). The binding that starts a kernel installs a token in
// its thread and gives it a poll function (which, there, checks Python's signals); kernels read
// the token once, before their parallel regions, and ask `stop_requested` between blocks of
// work. A kernel that sees a stop skips its remaining blocks and returns before any later phase
// reads what they would have written; the binding then discards the outputs and raises.
//
// Nothing here is compiled per instruction set: every function is defined out of line in
// cpp/src/cancel.cpp (baseline code), so no ISA copy of it can be the one the linker keeps.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

namespace fastloss {

class CancelToken {
public:
    /// Returns true when the call is to stop. Called only in the thread that made the token.
    using Poll = bool (*)(void* context);

    CancelToken(Poll poll, void* context);

    /// Any thread: whether a stop was seen. The token's own thread also polls, at most once
    /// per kPollInterval, so a caller may ask as often as once per block of microseconds.
    bool stop_requested();
    /// Any thread: whether a stop was seen, without polling.
    bool stopped() const;

    static constexpr std::chrono::milliseconds kPollInterval{20};

private:
    std::atomic<bool> stop_{false};
    Poll poll_;
    void* context_;
    std::thread::id owner_;
    std::chrono::steady_clock::time_point next_poll_;
};

/// The token of the call running in this thread, or null (no cancellation).
CancelToken* current_cancel_token();

/// null-safe: false without a token.
bool stop_requested(CancelToken* token);

/// Makes `token` this thread's current token for its lifetime (the previous one after).
class CancelScope {
public:
    explicit CancelScope(CancelToken* token);
    ~CancelScope();
    CancelScope(const CancelScope&) = delete;
    CancelScope& operator=(const CancelScope&) = delete;

private:
    CancelToken* previous_;
};

}  // namespace fastloss
