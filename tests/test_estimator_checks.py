"""scikit-learn's estimator checks on the core estimator, every solver and penalty, with no
expected failures."""

from conftest import run_estimator_check
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfuzzy_ce import SoftLabelLogisticRegression


@parametrize_with_checks(
    [
        SoftLabelLogisticRegression(),
        SoftLabelLogisticRegression(solver="newton-cholesky"),
        SoftLabelLogisticRegression(solver="newton-cd"),
        SoftLabelLogisticRegression(l1_ratio=0.5),
        SoftLabelLogisticRegression(l1_ratio=1.0, C=10.0),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    run_estimator_check(check, estimator)
