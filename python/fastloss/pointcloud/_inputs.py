"""Inputs of the point-cloud functions: two clouds or two batches of padded clouds, checked
and brought to the kernels' (B, P, D) / (B, Q, D) form."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._options import Choice
from .._validation import as_float_arrays


class CloudPair:
    """x (B, P, D) and y (B, Q, D) of one float dtype (x's), with lengths (B,) or None.
    ``batched`` says whether the caller gave a batch axis (outputs keep it only then)."""

    def __init__(self, x: Any, y: Any, x_lengths: Any = None, y_lengths: Any = None) -> None:
        (xa, ya), self.dtype = as_float_arrays(x=x, y=y)
        if xa.ndim not in (2, 3):
            msg = f"x: expected a cloud (P, D) or a batch of clouds (B, P, D), got shape {xa.shape}"
            raise ValueError(msg)
        if ya.ndim != xa.ndim:
            msg = (f"y: expected {'(B, Q, D)' if xa.ndim == 3 else '(Q, D)'} like x "
                   f"{xa.shape}, got shape {ya.shape}")
            raise ValueError(msg)
        self.batched = xa.ndim == 3
        self.x = xa if self.batched else xa[None]
        self.y = ya if self.batched else ya[None]
        b, _, d = self.x.shape
        if self.y.shape[0] != b or self.y.shape[2] != d:
            msg = (f"y: expected the batch size and dimension of x {xa.shape}, got shape "
                   f"{ya.shape}")
            raise ValueError(msg)
        if d < 1:
            msg = f"x: expected points with at least one coordinate, got shape {xa.shape}"
            raise ValueError(msg)
        self.x_lengths = self._lengths(x_lengths, "x_lengths", self.x.shape[1])
        self.y_lengths = self._lengths(y_lengths, "y_lengths", self.y.shape[1])
        self._check_finite(self.x, self.x_lengths, "x")
        self._check_finite(self.y, self.y_lengths, "y")

    def _lengths(self, lengths: Any, name: str, points: int) -> np.ndarray | None:
        if lengths is None:
            return None
        if not self.batched:
            msg = f"{name}: only for batches of clouds (B, P, D); a single cloud has no padding"
            raise ValueError(msg)
        arr = np.asarray(lengths)
        if arr.dtype.kind not in "iu":
            msg = f"{name}: expected integers, got an array of dtype {arr.dtype}"
            raise TypeError(msg)
        b = self.x.shape[0]
        if arr.shape != (b,):
            msg = f"{name}: expected shape ({b},), got {arr.shape}"
            raise ValueError(msg)
        if np.any(arr < 0) or np.any(arr > points):
            msg = f"{name}: expected values in [0, {points}], got {arr.tolist()}"
            raise ValueError(msg)
        return np.ascontiguousarray(arr, dtype=np.int64)

    def _check_finite(self, points: np.ndarray, lengths: np.ndarray | None, name: str) -> None:
        """NaN or inf in a real point (padding is never read) is an error: a nearest neighbour
        of NaN is undefined, and a KD-tree built over it would be meaningless."""
        finite = np.isfinite(points).all(axis=-1)
        if lengths is not None:
            finite |= np.arange(points.shape[1])[None, :] >= lengths[:, None]
        if not finite.all():
            where = tuple(int(i) for i in np.argwhere(~finite)[0])
            at = where if self.batched else where[1]
            msg = f"{name}: expected finite coordinates, got NaN or inf at point {at}"
            raise ValueError(msg)

    def unbatch(self, arr: Any) -> Any:
        """Drops the batch axis the caller did not give."""
        if arr is None or self.batched:
            return arr
        return arr[0]


# The nearest-neighbour search of Chamfer and nearest_neighbors
METHOD = Choice("method", {"auto": _core.SearchMethod.AUTO, "kdtree": _core.SearchMethod.KDTREE,
                           "brute": _core.SearchMethod.BRUTE})
