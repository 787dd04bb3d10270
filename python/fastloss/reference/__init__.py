"""Pure-NumPy reference implementations of every fastloss loss.

Same names and signatures as the public API; computed in float64 whatever the input dtype,
with the gradients written out analytically from the formulas. They are slow and plain on
purpose: the tests hold the native kernels against them, and they never import ``_core``.
``num_threads`` is accepted for signature compatibility and ignored.
"""

from __future__ import annotations

from . import (
    _classification,
    _metric,
    _pointcloud,
    _regression,
    _rl,
    _segmentation,
    _transport,
)
from ._classification import *
from ._metric import *
from ._metric_batch import (
    batch_angular_loss,
    batch_angular_loss_value_and_grad,
    batch_contrastive_loss,
    batch_contrastive_loss_value_and_grad,
    batch_triplet_loss,
    batch_triplet_loss_value_and_grad,
)
from ._pointcloud import *
from ._regression import *
from ._rl import *
from ._segmentation import *
from ._transport import *

__all__ = [
    "batch_angular_loss",
    "batch_angular_loss_value_and_grad",
    "batch_contrastive_loss",
    "batch_contrastive_loss_value_and_grad",
    "batch_triplet_loss",
    "batch_triplet_loss_value_and_grad",
]
__all__ += _regression.__all__
__all__ += _classification.__all__
__all__ += _segmentation.__all__
__all__ += _pointcloud.__all__
__all__ += _transport.__all__
__all__ += _metric.__all__
__all__ += _rl.__all__
