"""Point clouds: Chamfer distance and nearest neighbours."""

from __future__ import annotations

from ._chamfer import (
    chamfer_distance,
    chamfer_distance_value_and_grad,
    nearest_neighbors,
)

__all__ = [
    "chamfer_distance",
    "chamfer_distance_value_and_grad",
    "nearest_neighbors",
]
