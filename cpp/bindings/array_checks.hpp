// Argument checks for the bindings. Every failure is a std::invalid_argument (ValueError in
// Python) whose message names the argument, what was expected and what was given.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fastloss/common/types.hpp"

namespace fastloss::bind {

namespace py = pybind11;

/// A C-contiguous array of exactly dtype T; registered with .noconvert() so nothing is copied
/// or narrowed behind the caller's back (the Python layer makes the documented conversions).
template <class T>
using Array = py::array_t<T, py::array::c_style>;
using Labels = Array<std::int64_t>;

inline std::string shape_str(const py::ssize_t* shape, py::ssize_t ndim) {
    std::ostringstream s;
    s << "(";
    for (py::ssize_t d = 0; d < ndim; ++d) s << (d ? ", " : "") << shape[d];
    s << (ndim == 1 ? ",)" : ")");
    return s.str();
}

inline std::string shape_str(const py::array& a) {
    return shape_str(a.shape(), a.ndim());
}

[[noreturn]] inline void fail(const std::string& message) {
    throw std::invalid_argument(message);
}

inline void require_ndim(const py::array& a, const char* name, py::ssize_t ndim) {
    if (a.ndim() != ndim)
        fail(std::string(name) + ": expected " + std::to_string(ndim) + "-D array, got " +
             std::to_string(a.ndim()) + "-D with shape " + shape_str(a));
}

inline void require_same_shape(const py::array& a, const char* a_name, const py::array& b,
                               const char* b_name) {
    bool same = a.ndim() == b.ndim();
    for (py::ssize_t d = 0; same && d < a.ndim(); ++d) same = a.shape(d) == b.shape(d);
    if (!same)
        fail(std::string(b_name) + ": expected the shape of " + a_name + " " + shape_str(a) +
             ", got " + shape_str(b));
}

/// a has exactly `shape`, which is that of `what` (named in the message).
inline void require_shape(const py::array& a, const char* name,
                          const std::vector<py::ssize_t>& shape, const char* what) {
    bool same = a.ndim() == static_cast<py::ssize_t>(shape.size());
    for (py::ssize_t d = 0; same && d < a.ndim(); ++d) same = a.shape(d) == shape[d];
    if (!same)
        fail(std::string(name) + ": expected the shape of " + what + " " +
             shape_str(shape.data(), static_cast<py::ssize_t>(shape.size())) + ", got " +
             shape_str(a));
}

template <class T>
void require_optional_shape(const std::optional<Array<T>>& a, const char* name,
                            const py::array& like, const char* like_name) {
    if (a) require_same_shape(like, like_name, *a, name);
}

template <class T>
void require_length(const std::optional<Array<T>>& a, const char* name, py::ssize_t n) {
    if (!a) return;
    if (a->ndim() != 1 || a->shape(0) != n)
        fail(std::string(name) + ": expected shape (" + std::to_string(n) + ",), got " +
             shape_str(*a));
}

inline void require_nonempty(const py::array& a, const char* name) {
    if (a.size() == 0)
        fail(std::string(name) + ": expected a non-empty array, got shape " + shape_str(a));
}

/// Every label is in [0, n_classes) or equals ignore_index.
inline void require_labels_in_range(const Labels& labels, const char* name, index_t n_classes,
                                    std::optional<index_t> ignore_index) {
    const std::int64_t* y = labels.data();
    for (py::ssize_t i = 0; i < labels.size(); ++i) {
        if ((y[i] >= 0 && y[i] < n_classes) || (ignore_index && y[i] == *ignore_index)) continue;
        std::string msg =
            std::string(name) + ": expected values in [0, " + std::to_string(n_classes) + ")";
        if (ignore_index) msg += " or ignore_index=" + std::to_string(*ignore_index);
        fail(msg + ", got " + std::to_string(y[i]) + " at flat index " + std::to_string(i));
    }
}

/// The option named `value` among `options` (spelling, value), or a message listing them.
template <class E>
E parse_choice(const char* name, const std::string& value,
               std::initializer_list<std::pair<const char*, E>> options) {
    std::string expected;
    for (const auto& [spelling, e] : options) {
        if (value == spelling) return e;
        expected += (expected.empty() ? "'" : ", '") + std::string(spelling) + "'";
    }
    fail(std::string(name) + ": expected one of " + expected + ", got '" + value + "'");
}

/// Per-item lengths of a padded batch: None, or shape (batch,) with values in [minimum, size].
inline void require_lengths(const std::optional<Labels>& lengths, const char* name,
                            index_t batch, index_t size, index_t minimum) {
    if (!lengths) return;
    if (lengths->ndim() != 1 || lengths->shape(0) != batch)
        fail(std::string(name) + ": expected shape (" + std::to_string(batch) + ",), got " +
             shape_str(*lengths));
    const std::int64_t* l = lengths->data();
    for (index_t k = 0; k < batch; ++k)
        if (l[k] < minimum || l[k] > size)
            fail(std::string(name) + ": expected values in [" + std::to_string(minimum) + ", " +
                 std::to_string(size) + "], got " + std::to_string(l[k]) + " at index " +
                 std::to_string(k));
}

inline void require_threads(int num_threads) {
    if (num_threads < 1)
        fail("num_threads: expected a positive integer, got " + std::to_string(num_threads));
}

}  // namespace fastloss::bind
