"""Classification losses: cross-entropy (binary and multi-class), KL divergence, distillation, focal losses."""

from __future__ import annotations

from . import _cross_entropy, _divergence, _focal
from ._cross_entropy import *
from ._divergence import *
from ._focal import *

__all__: list[str] = []
__all__ += _cross_entropy.__all__
__all__ += _divergence.__all__
__all__ += _focal.__all__
