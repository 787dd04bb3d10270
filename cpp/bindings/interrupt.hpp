// The one way a binding runs a kernel: without the GIL, and stoppable by Ctrl-C. The kernel
// polls a cancellation token (common/cancel.hpp) whose poll function, here, takes the GIL
// back for a moment and runs Python's signal handlers; the exception a handler raises (for
// SIGINT, KeyboardInterrupt) is kept, and raised once the kernel has returned.
#pragma once

#include <pybind11/pybind11.h>

#include <type_traits>

#include "fastloss/common/cancel.hpp"
#include "fastloss/common/contention.hpp"

namespace fastloss::bind {

namespace py = pybind11;

namespace interrupt_detail {

struct PendingError {
    PyObject* type = nullptr;
    PyObject* value = nullptr;
    PyObject* traceback = nullptr;
};

inline bool poll_python_signals(void* context) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() == 0) return false;
    auto* pending = static_cast<PendingError*>(context);
    PyErr_Fetch(&pending->type, &pending->value, &pending->traceback);
    return true;
}

/// Python runs signal handlers only in the main thread: only there is polling worth the GIL.
inline bool on_main_thread() {
    static const unsigned long main_ident =
        py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
    return PyThread_get_thread_ident() == main_ident;
}

inline void raise_if_stopped(const CancelToken& token, PendingError& pending) {
    if (!token.stopped()) return;
    PyErr_Restore(pending.type, pending.value, pending.traceback);
    throw py::error_already_set();
}

}  // namespace interrupt_detail

/// Runs kernel() with the GIL released under a cancellation token; returns what it returns,
/// or raises what a signal handler raised while it ran (its outputs are then discarded).
/// num_threads: what the kernel was given, for the contention monitor (common/contention.hpp).
template <class Kernel>
auto run_without_gil(int num_threads, Kernel&& kernel) -> decltype(kernel()) {
    using namespace interrupt_detail;
    PendingError pending;
    CancelToken token(on_main_thread() ? &poll_python_signals : nullptr, &pending);
    if constexpr (std::is_void_v<decltype(kernel())>) {
        {
            CancelScope scope(&token);
            py::gil_scoped_release release;
            CallMonitor monitor(num_threads);
            kernel();
        }
        raise_if_stopped(token, pending);
    } else {
        auto result = [&] {
            CancelScope scope(&token);
            py::gil_scoped_release release;
            CallMonitor monitor(num_threads);
            return kernel();
        }();
        raise_if_stopped(token, pending);
        return result;
    }
}

}  // namespace fastloss::bind
