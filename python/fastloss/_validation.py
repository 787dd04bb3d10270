"""Input policy shared by every public function: conversions, checks and their messages.

One place decides how array-likes become the arrays the kernels take, so every loss behaves
the same way:

* The differentiable input (the first argument: pred, logits, input, student_logits) decides
  the dtype, since the gradient has its dtype: float32 and float64 stay as they are, float16
  becomes float32, integers and bools become float64 (as NumPy promotes them). Every other
  array (targets, probabilities, weights, pos_weight, alpha, however given, e.g. as a Python
  list of floats) adopts it, so float32 data is never silently upcast.
* The result is C-contiguous (a copy is made only when the input is not).
* Labels become contiguous int64.
* Errors are ``TypeError`` for a wrong kind and ``ValueError`` for a wrong shape or value; the
  message names the argument, what was expected and what was given.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _kind_error(name: str, arr: np.ndarray, expected: str) -> TypeError:
    msg = f"{name}: expected {expected}, got an array of dtype {arr.dtype}"
    return TypeError(msg)


def _float_dtype_of(arr: np.ndarray) -> np.dtype | None:
    """The float dtype an array's own kind asks for (None for integer and bool arrays)."""
    if arr.dtype.kind == "f":
        if arr.dtype == np.float16:
            return np.dtype(np.float32)
        if arr.dtype.itemsize > 8:  # long double: computed in float64
            return np.dtype(np.float64)
        return arr.dtype
    return None


def as_float_arrays(*, optional: tuple[str, ...] = (),
                    **named: Any) -> tuple[list[np.ndarray | None], np.dtype]:
    """Converts named array-likes to one contiguous float dtype, that of the first (the
    differentiable input); the others adopt it. None passes through for the names in
    `optional`, and is a TypeError naming the argument for the others.

    Returns the arrays in the order given and the dtype.
    """
    arrays: dict[str, np.ndarray] = {}
    for name, value in named.items():
        if value is None:
            if name not in optional:
                msg = f"{name}: expected an array, got None"
                raise TypeError(msg)
            continue
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            raise _kind_error(name, arr, "a real numeric array (float, integer or bool)")
        arrays[name] = arr
    first = arrays[next(iter(named))]
    dtype = _float_dtype_of(first) or np.dtype(np.float64)
    out = [
        None if name not in arrays else np.asarray(arrays[name], dtype=dtype, order="C")
        for name in named
    ]
    return out, dtype


def as_labels(value: Any, name: str = "labels") -> np.ndarray:
    """Integer class labels as contiguous int64."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        raise _kind_error(name, arr, "an integer array of class indices")
    return np.asarray(arr, dtype=np.int64, order="C")


def check_same_shape(a: np.ndarray, a_name: str, b: np.ndarray, b_name: str) -> None:
    if a.shape != b.shape:
        msg = f"{b_name}: expected the shape of {a_name} {a.shape}, got {b.shape}"
        raise ValueError(msg)


def check_nonempty(a: np.ndarray, name: str) -> None:
    if a.size == 0:
        msg = f"{name}: expected a non-empty array, got shape {a.shape}"
        raise ValueError(msg)


def broadcast_weight(weight: np.ndarray | None, shape: tuple[int, ...], name: str = "weight"
                     ) -> np.ndarray | None:
    """Per-element weights broadcast to `shape` (contiguous), checked non-negative."""
    if weight is None:
        return None
    try:
        full = np.broadcast_to(weight, shape)
    except ValueError:
        msg = f"{name}: expected a shape broadcastable to {shape}, got {weight.shape}"
        raise ValueError(msg) from None
    check_nonnegative(weight, name)
    return np.asarray(full, order="C")


def check_nonnegative(arr: np.ndarray, name: str) -> None:
    if np.any(arr < 0):
        msg = f"{name}: expected non-negative values, got minimum {arr.min()!r}"
        raise ValueError(msg)


def grad_output_args(grad_output: Any, dtype: np.dtype, loss_shape: tuple[int, ...],
                     reduction: str) -> tuple[float, np.ndarray | None]:
    """(scalar scale, per-item array or None) for the kernels' vector-Jacobian product."""
    if grad_output is None:
        return 1.0, None
    g = np.asarray(grad_output)
    if g.dtype.kind not in "fiub":
        raise _kind_error("grad_output", g, "a real number or array")  # noqa: EM101 (a helper)
    if g.ndim == 0:
        return float(g), None
    if reduction != "none":
        msg = (f"grad_output: an array needs reduction='none' (the loss is a scalar for "
               f"reduction={reduction!r}); got shape {g.shape}")
        raise ValueError(msg)
    try:
        g = np.broadcast_to(g, loss_shape)
    except ValueError:
        msg = f"grad_output: expected a shape broadcastable to the loss {loss_shape}, got {g.shape}"
        raise ValueError(msg) from None
    return 1.0, np.asarray(g, dtype=dtype, order="C")


def check_grad_out(grad_out: Any, dtype: np.dtype, shape: tuple[int, ...],
                   inputs: tuple[np.ndarray | None, ...]) -> np.ndarray | None:
    """The caller's gradient buffer: exactly the gradient's dtype and shape, C-contiguous,
    writeable, and not overlapping an input (kernels read inputs while writing it)."""
    if grad_out is None:
        return None
    if not isinstance(grad_out, np.ndarray):
        msg = f"grad_out: expected a NumPy array, got {type(grad_out).__name__}"
        raise TypeError(msg)
    if grad_out.dtype != dtype:
        msg = f"grad_out: expected dtype {dtype} (the gradient's), got {grad_out.dtype}"
        raise TypeError(msg)
    if grad_out.shape != shape:
        msg = f"grad_out: expected shape {shape} (the gradient's), got {grad_out.shape}"
        raise ValueError(msg)
    if not (grad_out.flags.c_contiguous and grad_out.flags.writeable):
        msg = "grad_out: expected a writeable C-contiguous array"
        raise ValueError(msg)
    if any(a is not None and np.may_share_memory(grad_out, a) for a in inputs):
        msg = "grad_out: must not share memory with an input"
        raise ValueError(msg)
    return grad_out


def check_grad_outs(grad_out: Any, dtype: np.dtype, shapes: tuple[tuple[int, ...], ...],
                    inputs: tuple[np.ndarray | None, ...]) -> tuple[np.ndarray | None, ...]:
    """The caller's gradient buffers for a loss of several differentiable inputs: a tuple of
    one buffer per input (shapes), each checked as check_grad_out does; Nones if not given."""
    if grad_out is None:
        return (None,) * len(shapes)
    if not isinstance(grad_out, (tuple, list)) or len(grad_out) != len(shapes):
        msg = (f"grad_out: expected a tuple of {len(shapes)} arrays, one per differentiable "
               "input")
        raise TypeError(msg)
    bufs = tuple(check_grad_out(g, dtype, shape, inputs) for g, shape in zip(grad_out, shapes))
    for i, a in enumerate(bufs):  # the gradients are written together: no two may overlap
        for j in range(i + 1, len(bufs)):
            if np.may_share_memory(a, bufs[j]):
                msg = f"grad_out: buffers {i} and {j} share memory; give each gradient its own"
                raise ValueError(msg)
    return bufs


def finish(value: Any, dtype: np.dtype, shape: tuple[int, ...] | None = None) -> Any:
    """A reduced value as a NumPy scalar of the input dtype; an unreduced array gets `shape`
    (0-d inputs come back from the extension as shape (1,))."""
    if isinstance(value, float):
        return dtype.type(value)
    if shape is not None and value is not None and value.shape != shape:
        return value.reshape(shape)
    return value
