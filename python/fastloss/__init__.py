"""fastloss: loss functions and their gradients on the CPU, fast.

Every loss is a pure function of NumPy arrays returning its value; ``<loss>_value_and_grad``
returns ``(value, grad)`` from the same fused native pass. ``fastloss.reference`` holds a pure
NumPy implementation of every loss with the same names and signatures.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("fastloss")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
    __version__ = "0+unknown"

from . import (
    _config,
    _docs,
    classification,
    metric,
    pointcloud,
    reference,
    regression,
    rl,
    segmentation,
    transport,
)
from ._config import get_num_threads, has_openmp, set_num_threads, show_config
from .classification import *
from .metric import *
from .pointcloud import *
from .regression import *
from .rl import *
from .segmentation import *
from .transport import *

__all__ = [
    "__version__",
    "get_num_threads",
    "has_openmp",
    "reference",
    "set_num_threads",
    "show_config",
]
__all__ += regression.__all__
__all__ += classification.__all__
__all__ += segmentation.__all__
__all__ += pointcloud.__all__
__all__ += transport.__all__
__all__ += metric.__all__
__all__ += rl.__all__

_docs.add_nan_policies(globals())
_config.check_dispatch_environment()
