"""Optimal transport: exact EMD, 1-D Wasserstein, Sinkhorn."""

from __future__ import annotations

from ._emd import (
    EmdResult,
    emd,
    emd_from_cost,
    emd_from_cost_value_and_grad,
    emd_solve,
    emd_value_and_grad,
)
from ._sinkhorn import (
    sinkhorn,
    sinkhorn_value_and_grad,
)
from ._wasserstein_1d import (
    wasserstein_1d,
    wasserstein_1d_value_and_grad,
)

__all__ = [
    "EmdResult",
    "emd",
    "emd_from_cost",
    "emd_from_cost_value_and_grad",
    "emd_solve",
    "emd_value_and_grad",
    "sinkhorn",
    "sinkhorn_value_and_grad",
    "wasserstein_1d",
    "wasserstein_1d_value_and_grad",
]
