"""Test configuration: deterministic property tests.

Hypothesis draws its examples from a fixed seed by default (profile "ci"), so a run of the
suite is repeatable. ``HYPOTHESIS_PROFILE=explore python -m pytest`` draws fresh random
examples (and remembers failures in .hypothesis/) to look for new counterexamples.
"""

import os

import warnings

from hypothesis import settings
from sklearn.exceptions import ConvergenceWarning

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def run_estimator_check(check, estimator):
    """Run one of scikit-learn's estimator checks.

    One check warns with reason: ``check_non_transformer_estimators_n_iter`` fits unscaled
    iris with ``max_iter=100``, where L-BFGS-B does not converge (scikit-learn's own
    ``LogisticRegression`` warns there too); the check asks only that ``n_iter_`` be set, so
    its ConvergenceWarning is expected. Every other check runs with ConvergenceWarning as an
    error (pyproject.toml).
    """
    with warnings.catch_warnings():
        if getattr(check, "func", check).__name__ == "check_non_transformer_estimators_n_iter":
            warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


import pytest  # noqa: E402

from skfuzzy_ce import _cpu_dispatch  # noqa: E402


@pytest.fixture(scope="module", params=_cpu_dispatch.supported_variants())
def cpu_variant(request):
    """Each CPU variant of the compiled kernels that this build has and this CPU runs, in
    turn: the kernels in use (objects made by the test use them) while a test module's tests
    run with it. Module-scoped, so that property tests (hypothesis) may use it too."""
    with _cpu_dispatch.use_variant(request.param) as kernels:
        yield kernels
