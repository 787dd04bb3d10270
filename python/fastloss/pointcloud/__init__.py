"""Point clouds: Chamfer distance and nearest neighbours."""

from __future__ import annotations

from . import _chamfer
from ._chamfer import *

__all__: list[str] = []
__all__ += _chamfer.__all__
