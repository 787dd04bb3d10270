"""Inputs of the overlap losses: (N, C, *spatial) volumes, their targets and options, checked
and mapped onto the kernel's (N, C, S) layout."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .. import _core
from .._options import Choice, check_number, check_reduction
from .._validation import _float_dtype_of, as_float_arrays

ACTIVATION = Choice("activation", {"softmax": _core.Activation.SOFTMAX,
                                   "sigmoid": _core.Activation.SIGMOID,
                                   None: _core.Activation.NONE})
EMPTY = Choice("empty", {"smooth": _core.EmptyClass.SMOOTH, "zero": _core.EmptyClass.ZERO,
                         "ignore": _core.EmptyClass.IGNORE})
WEIGHTING = Choice("w_type", {"square": _core.ClassWeighting.SQUARE,
                              "simple": _core.ClassWeighting.SIMPLE,
                              "uniform": _core.ClassWeighting.UNIFORM})


def _check_ignore_index(ignore_index: Any) -> int | None:
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        msg = f"ignore_index: expected an integer or None, got {type(ignore_index).__name__}"
        raise TypeError(msg)
    return int(ignore_index)


class OverlapInputs:
    """The volume as (N, C, S), its targets (labels (N, S) or dense (N, C, S)), the class
    weights as (C,) and the shape of the unreduced loss."""

    def __init__(self, volume: Any, targets: Any, *, activation: str | None, weight: Any,
                 include_background: bool, ignore_index: Any, batch: bool,
                 per_class: bool, reduction: str) -> None:
        check_reduction(reduction)
        self.activation = ACTIVATION(activation)
        (x, w), self.dtype = as_float_arrays(logits_or_probs=volume, weight=weight,
                                                 optional=("weight",))
        if x.ndim < 2 or x.size == 0:
            msg = ("logits_or_probs: expected a non-empty array of shape (N, C, *spatial), got "
                   f"shape {x.shape}")
            raise ValueError(msg)
        self.shape = x.shape
        n, c, *spatial = x.shape
        self.include_background = bool(include_background)
        if activation == "softmax" and c == 1:
            msg = ("activation: 'softmax' over one channel is constant 1; use 'sigmoid' (binary "
                   "segmentation) or give the background channel too")
            raise ValueError(msg)
        if not self.include_background and c == 1:
            msg = "include_background: False leaves no class when the input has one channel"
            raise ValueError(msg)
        self.volume = x.reshape(n, c, math.prod(spatial))
        self.ignore_index = _check_ignore_index(ignore_index)
        self.labels, self.targets = self._targets(targets, n, c, tuple(spatial))
        self.weight = self._class_weight(w, c)
        first = 0 if self.include_background else 1
        classes = (c - first,) if per_class else ()
        self.item_shape = classes if batch else (n, *classes)

    def _targets(self, targets: Any, n: int, c: int, spatial: tuple
                 ) -> tuple[np.ndarray | None, np.ndarray | None]:
        t = np.asarray(targets)
        if t.dtype.kind not in "fiub":
            msg = f"targets: expected a numeric or bool array, got an array of dtype {t.dtype}"
            raise TypeError(msg)
        if t.shape == self.shape:  # one-hot or soft targets
            if self.ignore_index is not None:
                msg = ("ignore_index: applies to integer label targets of shape (N, *spatial); "
                       "dense targets have no labels to ignore")
                raise ValueError(msg)
            return None, np.ascontiguousarray(t, dtype=self.dtype).reshape(self.volume.shape)
        if t.shape == (n, *spatial) or (c > 1 and t.shape == (n, 1, *spatial)):
            if _float_dtype_of(t) is not None:
                msg = (f"targets: labels of shape {t.shape} must be integers (or bool), got dtype "
                       f"{t.dtype}; dense targets need the input's shape {self.shape}")
                raise TypeError(msg)
            return np.ascontiguousarray(t, dtype=np.int64).reshape(n, -1), None
        msg = (f"targets: expected labels of shape {(n, *spatial)} or {(n, 1, *spatial)}, or "
               f"dense targets of the input's shape {self.shape}; got {t.shape}")
        raise ValueError(msg)

    def _class_weight(self, w: np.ndarray | None, c: int) -> np.ndarray | None:
        """(C,) weights; MONAI's (C - 1,) form without the background is accepted too."""
        if w is None:
            return None
        if np.any(w < 0) or np.any(np.isnan(w)):
            msg = f"weight: expected non-negative values, got {w!r}"
            raise ValueError(msg)
        if w.ndim == 0:
            return np.full(c, w, dtype=self.dtype)
        if w.shape == (c,):
            return w
        if not self.include_background and w.shape == (c - 1,):
            return np.concatenate([np.zeros(1, dtype=self.dtype), w])
        extra = "" if self.include_background else f" or ({c - 1},) (no background)"
        msg = f"weight: expected shape ({c},){extra}, one value per class, got {w.shape}"
        raise ValueError(msg)

    def grad_shape(self, grad: np.ndarray | None) -> np.ndarray | None:
        return None if grad is None else grad.reshape(self.shape)

    def items(self, value: Any) -> Any:
        return value.reshape(self.item_shape) if isinstance(value, np.ndarray) else value


def check_smoothing(smooth_nr: float, smooth_dr: float) -> tuple[float, float]:
    return (check_number(smooth_nr, "smooth_nr", minimum=0.0),
            check_number(smooth_dr, "smooth_dr", minimum=0.0))
