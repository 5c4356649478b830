"""Metrics and scorers for soft labels."""

from ._scorer import neg_kl_divergence_scorer, neg_soft_brier_scorer, neg_soft_log_loss_scorer
from ._soft import (
    binary_cross_entropy,
    continuous_bernoulli_log_loss,
    kl_divergence,
    soft_brier_score,
    soft_log_loss,
)

__all__ = [
    "binary_cross_entropy",
    "continuous_bernoulli_log_loss",
    "kl_divergence",
    "neg_kl_divergence_scorer",
    "neg_soft_brier_scorer",
    "neg_soft_log_loss_scorer",
    "soft_brier_score",
    "soft_log_loss",
]
