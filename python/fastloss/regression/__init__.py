"""Regression losses: SSE, MSE, MAE, RSE, Huber and smooth L1."""

from __future__ import annotations

from . import _losses
from ._losses import *

__all__: list[str] = []
__all__ += _losses.__all__
