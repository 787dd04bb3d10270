"""PyTorch's class layouts mapped onto the kernels' layouts.

``(C,)`` is one unbatched sample, ``(N, C)`` a batch, ``(N, C, d1, ..., dk)`` a batch of
k-dimensional maps with the class axis 1. The kernels take rows of C contiguous logits; the
label kernels (cross-entropy, softmax focal) with at most ``_core.SMALL_CLASSES`` classes also
read ``(N, C, S)`` natively (``native=True``). Otherwise the last layout costs one transposed
copy of the input, and one of the gradient back.
"""

from __future__ import annotations

import numpy as np

from .. import _core


class ClassLayout:
    """Where the classes are in `logits`, and how to move arrays to and from rows."""

    def __init__(self, logits: np.ndarray, name: str = "logits", *, native: bool = False) -> None:
        if logits.ndim == 0:
            msg = f"{name}: expected shape (C,), (N, C) or (N, C, d1, ...), got a 0-d array"
            raise ValueError(msg)
        if logits.size == 0:
            msg = f"{name}: expected a non-empty array, got shape {logits.shape}"
            raise ValueError(msg)
        self.shape = logits.shape
        self.n_classes = logits.shape[0] if logits.ndim == 1 else logits.shape[1]
        if logits.ndim == 1:
            self.item_shape: tuple[int, ...] = ()
        else:
            self.item_shape = (logits.shape[0], *logits.shape[2:])
        # (N, C, S) straight to the kernel: no transposed copies
        self.native = native and logits.ndim > 2 and self.n_classes <= _core.SMALL_CLASSES

    def _native_shape(self) -> tuple[int, int, int]:
        n, c = self.shape[:2]
        return n, c, int(np.prod(self.shape[2:]))

    def rows(self, arr: np.ndarray) -> np.ndarray:
        """An array of the logits' shape in the kernel's layout: (rows, C) or (N, C, S)."""
        c = self.n_classes
        if self.native:
            return arr.reshape(self._native_shape())
        if arr.ndim <= 2:
            return arr.reshape(-1, c)
        return np.ascontiguousarray(np.moveaxis(arr, 1, -1)).reshape(-1, c)

    def rows_out(self, out: np.ndarray | None) -> np.ndarray | None:
        """The caller's gradient buffer in the kernel's layout, where the kernel can write into
        it (not for transposed layouts: from_rows copies into it then)."""
        if out is None:
            return None
        if self.native:
            return out.reshape(self._native_shape())
        if len(self.shape) > 2:
            return None
        return out.reshape(-1, self.n_classes)

    def from_rows(self, rows: np.ndarray | None, out: np.ndarray | None = None
                  ) -> np.ndarray | None:
        """The kernel's gradient back in the logits' layout (contiguous), in `out` when given."""
        if rows is None:
            return None
        if self.native or len(self.shape) <= 2:
            return out if out is not None else rows.reshape(self.shape)
        n, c, *spatial = self.shape
        back = np.moveaxis(rows.reshape(n, *spatial, c), -1, 1)
        if out is not None:
            np.copyto(out, back)
            return out
        return np.ascontiguousarray(back)

    def check_items(self, arr: np.ndarray, name: str) -> np.ndarray:
        """A per-item array (labels) of the layout's item shape, flattened to (rows,)."""
        if arr.shape != self.item_shape:
            msg = (f"{name}: expected shape {self.item_shape} for logits of shape "
                   f"{self.shape} (class axis 1), got {arr.shape}")
            raise ValueError(msg)
        return arr.reshape(-1)

    def items(self, value: object) -> object:
        """The per-item loss (rows,) reshaped to the item shape; scalars pass through."""
        if isinstance(value, np.ndarray):
            return value.reshape(self.item_shape)
        return value

    def class_vector(self, value: np.ndarray | None, name: str) -> np.ndarray | None:
        """A per-class vector (C,), checked non-negative."""
        if value is None:
            return None
        if value.shape != (self.n_classes,):
            msg = f"{name}: expected shape ({self.n_classes},), one value per class, got {value.shape}"
            raise ValueError(msg)
        if np.any(value < 0):
            msg = f"{name}: expected non-negative values, got minimum {value.min()!r}"
            raise ValueError(msg)
        return value
