"""Segmentation losses: Dice, Tversky, focal Tversky, Jaccard, generalized Dice."""

from __future__ import annotations

from . import _overlap
from ._overlap import *

__all__: list[str] = []
__all__ += _overlap.__all__
