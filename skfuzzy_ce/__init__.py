"""skfuzzy_ce: scikit-learn compatible learning from soft labels."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from . import metrics, model_selection  # noqa: F401 (reachable after import skfuzzy_ce)
from ._config import show_config
from ._continuous_bernoulli import ContinuousBernoulliRegression
from ._distillation import DistillationClassifier, soften
from ._logistic_cv import SoftLabelLogisticRegressionCV
from ._soft_logistic import SoftLabelLogisticRegression
from ._targets import soft_labels_from_counts
from ._weighted_hard import WeightedHardClassifier, to_weighted_hard

try:  # written once, in meson.build; read from the installed package's metadata
    __version__ = _version("skfuzzy-ce")
except PackageNotFoundError:  # pragma: no cover - imported from a tree that was not installed
    __version__ = "unknown"

__all__ = [
    "ContinuousBernoulliRegression",
    "DistillationClassifier",
    "SoftLabelLogisticRegression",
    "SoftLabelLogisticRegressionCV",
    "WeightedHardClassifier",
    "show_config",
    "soft_labels_from_counts",
    "soften",
    "to_weighted_hard",
]
