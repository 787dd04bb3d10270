"""Inputs of the exact transport functions: points or a cost matrix, and the two mass vectors,
checked, batched to the kernel's (B, ...) form and balanced."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import as_float_arrays
from ..pointcloud._inputs import CloudPair

COSTS = ("euclidean", "sqeuclidean")

# Relative tolerance to which the two totals of mass must agree (then b is rescaled to a's
# total): float32 weights normalised in float32 carry errors of about 1e-7 relative.
_BALANCE_RTOL = {4: 1e-6, 8: 1e-9}


def ground_power(cost: Any, p: Any) -> float:
    """The exponent of ||x - y|| in the ground cost."""
    if cost not in COSTS:
        msg = f"cost: expected one of {', '.join(repr(c) for c in COSTS)}, got {cost!r}"
        raise ValueError(msg)
    if p is None:
        return 1.0 if cost == "euclidean" else 2.0
    if cost != "euclidean":
        msg = "p: give either p (cost ||x - y||^p) or cost='sqeuclidean', not both"
        raise ValueError(msg)
    try:
        power = float(p)
    except (TypeError, ValueError):
        msg = f"p: expected a positive number, got {p!r}"
        raise TypeError(msg) from None
    if not power > 0 or not np.isfinite(power):
        msg = f"p: expected a positive finite number, got {p!r}"
        raise ValueError(msg)
    return power


def masses(w: Any, name: str, shape: tuple[int, int], batched: bool,
           lengths: np.ndarray | None = None) -> np.ndarray:
    """A mass vector as (B, size) float64, checked; uniform 1/len where None; 0 on padding."""
    size = shape[1]
    valid = np.ones(shape, dtype=bool)
    if lengths is not None:
        valid = np.arange(size)[None, :] < lengths[:, None]
    if w is None:
        return np.where(valid, 1.0 / valid.sum(axis=1, keepdims=True), 0.0)
    arr = np.asarray(w)
    if arr.dtype.kind not in "fiub":
        msg = f"{name}: expected real masses, got an array of dtype {arr.dtype}"
        raise TypeError(msg)
    if arr.shape not in ((size,), shape) or (arr.ndim == 2 and not batched):
        also = f" or {shape}" if batched else ""
        msg = f"{name}: expected shape ({size},){also}, one mass per point, got {arr.shape}"
        raise ValueError(msg)
    out = np.array(np.broadcast_to(arr.astype(np.float64), shape), order="C")
    out[~valid] = 0.0
    if not np.isfinite(out).all() or (out < 0).any():
        msg = f"{name}: expected finite non-negative masses"
        raise ValueError(msg)
    return out


def balance(a: np.ndarray, b: np.ndarray, a_arg: Any, b_arg: Any, normalize: bool,
            batched: bool, names: tuple[str, str]) -> None:
    """Makes each problem's totals equal, in place: rescales both to 1 (normalize) or checks
    they agree (to the tolerance of the masses' dtype) and rescales b to a's total."""
    sa, sb = a.sum(axis=1), b.sum(axis=1)
    if normalize:
        if (sa <= 0).any() or (sb <= 0).any():
            msg = f"{names[0]}, {names[1]}: normalize=True needs a positive total on each side"
            raise ValueError(msg)
        a /= sa[:, None]
        b /= sb[:, None]
        return
    sizes = [np.asarray(w).dtype.itemsize for w in (a_arg, b_arg)
             if w is not None and np.asarray(w).dtype.kind == "f"]
    rtol = _BALANCE_RTOL[4 if min(sizes, default=8) <= 4 else 8]
    off = np.abs(sa - sb) > rtol * np.maximum(sa, sb)
    if off.any():
        k = int(np.argmax(off))
        where = f" in problem {k}" if batched else ""
        msg = (f"{names[0]}, {names[1]}: the masses must have equal totals{where}, got "
               f"{sa[k]!r} and {sb[k]!r} (pass normalize=True to rescale each to 1)")
        raise ValueError(msg)
    b *= np.divide(sa, sb, out=np.ones_like(sa), where=sb > 0)[:, None]


class TransportProblems:
    """B problems in the kernel's form: points x (B, n, D), y (B, m, D) or cost (B, n, m);
    masses a (B, n), b (B, m) in float64, zero on padding, each problem's totals equal.
    ``batched`` says whether the caller gave a batch axis; ``dtype`` is the data's float dtype."""

    def __init__(self, *, x: Any = None, y: Any = None, cost: Any = None, a: Any = None,
                 b: Any = None, x_lengths: Any = None, y_lengths: Any = None,
                 normalize: bool = False) -> None:
        self.x = self.y = self.cost = None
        self.has_inf = False  # +inf in a cost matrix (points are checked finite)
        self.x_lengths = self.y_lengths = None
        if cost is None:
            pair = CloudPair(x, y, x_lengths, y_lengths)
            for name, lengths in (("x_lengths", pair.x_lengths), ("y_lengths", pair.y_lengths)):
                if lengths is not None and np.any(lengths < 1):
                    msg = f"{name}: expected at least one point per cloud, got {lengths.tolist()}"
                    raise ValueError(msg)
            for name, arr in (("x", pair.x), ("y", pair.y)):
                if arr.shape[1] < 1:
                    msg = f"{name}: expected at least one point, got shape {arr.shape}"
                    raise ValueError(msg)
            self.x, self.y, self.dtype, self.batched = pair.x, pair.y, pair.dtype, pair.batched
            self.x_lengths, self.y_lengths = pair.x_lengths, pair.y_lengths
            batch, n, m = pair.x.shape[0], pair.x.shape[1], pair.y.shape[1]
        else:
            (c,), self.dtype = as_float_arrays(cost=cost)
            if c.ndim not in (2, 3):
                msg = f"cost: expected a matrix (n, m) or a batch (B, n, m), got shape {c.shape}"
                raise ValueError(msg)
            self.batched = c.ndim == 3
            self.cost = c if self.batched else c[None]
            batch, n, m = self.cost.shape
            if n < 1 or m < 1:
                msg = f"cost: expected at least one row and one column, got shape {c.shape}"
                raise ValueError(msg)
            # one pass over the costs; the rare non-finite ones are then looked at closely
            self.has_inf = not np.isfinite(self.cost).all()
            if self.has_inf and (np.isnan(self.cost).any() or (self.cost == -np.inf).any()):
                msg = "cost: expected no NaN or -inf (+inf forbids a pair)"
                raise ValueError(msg)
        self.shape = (batch, n, m)
        self.a = masses(a, "a", (batch, n), self.batched, self.x_lengths)
        self.b = masses(b, "b", (batch, m), self.batched, self.y_lengths)
        balance(self.a, self.b, a, b, normalize, self.batched, ("a", "b"))

    def unbatch(self, arr: Any) -> Any:
        if arr is None or self.batched:
            return arr
        return arr[0]
