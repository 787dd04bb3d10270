"""Reinforcement learning: return scans, policy-gradient and Q-learning losses."""

from __future__ import annotations

from . import _losses, _scans
from ._losses import *
from ._scans import *

__all__: list[str] = []
__all__ += _scans.__all__
__all__ += _losses.__all__
