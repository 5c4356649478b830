"""Test configuration: deterministic property tests.

Hypothesis draws its examples from a fixed seed by default (profile "ci"), so a run of the
suite is repeatable. ``HYPOTHESIS_PROFILE=explore python -m pytest`` draws fresh random
examples (and remembers failures in .hypothesis/) to look for new counterexamples.
"""

import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import settings
from sklearn.exceptions import ConvergenceWarning

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_problem(n=60, n_features=3, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    y = np.arange(n) % n_classes
    return X, y


def run_python(code, timeout):
    """Run ``code`` in a fresh interpreter (its own process group); fail, never hang.

    On timeout the whole group (the interpreter and any worker it started) is killed and the
    test fails with what the child printed.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the child process hung (killed after {timeout} s):\n{out}\n{err}")
    return proc.returncode, out, err


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



from skfuzzy_ce import _cpu_dispatch  # noqa: E402


@pytest.fixture(scope="module", params=_cpu_dispatch.supported_variants())
def cpu_variant(request):
    """Each CPU variant of the compiled kernels that this build has and this CPU runs, in
    turn: the kernels in use (objects made by the test use them) while a test module's tests
    run with it. Module-scoped, so that property tests (hypothesis) may use it too."""
    with _cpu_dispatch.use_variant(request.param) as kernels:
        yield kernels
