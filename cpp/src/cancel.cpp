// Cancellation tokens (common/cancel.hpp). Compiled for the baseline instruction set only.
#include "fastloss/common/cancel.hpp"

namespace fastloss {

namespace {
thread_local CancelToken* tl_current = nullptr;
}

CancelToken::CancelToken(Poll poll, void* context)
    : poll_(poll),
      context_(context),
      owner_(std::this_thread::get_id()),
      next_poll_(std::chrono::steady_clock::now() + kPollInterval) {}

bool CancelToken::stopped() const {
    return stop_.load(std::memory_order_relaxed);
}

bool CancelToken::stop_requested() {
    if (stopped()) return true;
    if (poll_ == nullptr || std::this_thread::get_id() != owner_) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_poll_) return false;
    next_poll_ = now + kPollInterval;
    if (poll_(context_)) stop_.store(true, std::memory_order_relaxed);
    return stopped();
}

CancelToken* current_cancel_token() {
    return tl_current;
}

bool stop_requested(CancelToken* token) {
    return token != nullptr && token->stop_requested();
}

CancelScope::CancelScope(CancelToken* token) : previous_(tl_current) {
    tl_current = token;
}

CancelScope::~CancelScope() {
    tl_current = previous_;
}

}  // namespace fastloss
