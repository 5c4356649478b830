"""skfuzzy_ce: scikit-learn compatible learning from soft labels."""

from ._config import show_config
from ._continuous_bernoulli import ContinuousBernoulliRegression
from ._distillation import DistillationClassifier, soften
from ._soft_logistic import SoftLabelLogisticRegression
from ._targets import soft_labels_from_counts
from ._weighted_hard import WeightedHardClassifier, to_weighted_hard

__version__ = "0.1.0.dev0"

__all__ = [
    "ContinuousBernoulliRegression",
    "DistillationClassifier",
    "SoftLabelLogisticRegression",
    "WeightedHardClassifier",
    "show_config",
    "soft_labels_from_counts",
    "soften",
    "to_weighted_hard",
]
