"""Optimal transport: exact EMD, 1-D Wasserstein, Sinkhorn."""

from __future__ import annotations

from . import _emd, _sinkhorn, _wasserstein_1d
from ._emd import *
from ._sinkhorn import *
from ._wasserstein_1d import *

__all__: list[str] = []
__all__ += _emd.__all__
__all__ += _wasserstein_1d.__all__
__all__ += _sinkhorn.__all__
