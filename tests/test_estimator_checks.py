"""scikit-learn's estimator checks on the core estimator, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skfuzzy_ce import SoftLabelLogisticRegression


@parametrize_with_checks([SoftLabelLogisticRegression()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
