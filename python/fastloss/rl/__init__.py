"""Reinforcement learning: return scans, policy-gradient and Q-learning losses."""

from __future__ import annotations

from ._losses import (
    policy_gradient_loss,
    policy_gradient_loss_value_and_grad,
    q_learning_loss,
    q_learning_loss_value_and_grad,
)
from ._scans import (
    discounted_returns,
    discounted_returns_value_and_grad,
    generalized_advantage_estimation,
    generalized_advantage_estimation_value_and_grad,
    lambda_returns,
    lambda_returns_value_and_grad,
    n_step_returns,
    n_step_returns_value_and_grad,
)

__all__ = [
    "discounted_returns",
    "discounted_returns_value_and_grad",
    "generalized_advantage_estimation",
    "generalized_advantage_estimation_value_and_grad",
    "lambda_returns",
    "lambda_returns_value_and_grad",
    "n_step_returns",
    "n_step_returns_value_and_grad",
    "policy_gradient_loss",
    "policy_gradient_loss_value_and_grad",
    "q_learning_loss",
    "q_learning_loss_value_and_grad",
]
