"""The smooth solvers (lbfgs, newton-cholesky) and the convergence check, against independent
references: scikit-learn's newton-cholesky, statsmodels' IRLS (GLM) and MNLogit, and the
exact optimum where L-BFGS-B stops short."""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import (
    ContinuousBernoulliRegression,
    SoftLabelLogisticRegression,
    soft_labels_from_counts,
)

# Every fit here that is meant to converge must do so without a warning.
pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

NEWTON = dict(solver="newton-cholesky", tol=1e-10, max_iter=100)


def _problem(n=300, d=4, K=3, seed=0, scale=None):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    if scale is not None:
        X *= scale
    logits = X @ rng.randn(d, K) / np.sqrt(d) / (1.0 if scale is None else np.asarray(scale).mean())
    Y = np.exp(logits - logits.max(1, keepdims=True))
    Y /= Y.sum(1, keepdims=True)
    y = np.array([rng.choice(K, p=p) for p in Y])
    return X, Y, y, rng


def _badly_conditioned(n=600, seed=3):
    """Features scaled over 4 orders of magnitude, and correlated interaction columns."""
    rng = np.random.RandomState(seed)
    base = rng.randn(n, 3)
    inter = np.column_stack([base[:, 0] * base[:, 1], base[:, 0] * base[:, 1] + 0.05 * rng.randn(n),
                             base[:, 1] * base[:, 2]])  # fmt: skip
    X = np.column_stack([base, inter]) * np.array([1.0, 10.0, 100.0, 1e3, 1e4, 3e3])
    eta = 0.5 + base @ [0.8, -0.6, 0.4] + 0.3 * inter[:, 0]
    trials = rng.randint(1, 20, n)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-eta)))
    return X, successes, trials


# -------------------------------------------------- newton-cholesky against scikit-learn
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("C", [0.5, np.inf])
@pytest.mark.parametrize("weights", [False, True])
def test_newton_cholesky_equals_scikit_learn_on_hard_labels(K, C, weights):
    X, _, y, rng = _problem(K=K, seed=K)
    sw = rng.uniform(0.2, 3.0, len(y)) if weights else None
    cw = {k: 1.0 + 0.7 * k for k in range(K)} if weights else None
    ref = LogisticRegression(C=C, class_weight=cw, **NEWTON).fit(X, y, sample_weight=sw)
    est = SoftLabelLogisticRegression(C=C, class_weight=cw, **NEWTON).fit(X, y, sample_weight=sw)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)
    assert est.n_iter_[0] == ref.n_iter_[0]


@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_newton_cholesky_equals_lbfgs_on_soft_labels_in_fewer_iterations(K, sparse):
    X, Y, _, rng = _problem(n=500, d=6, K=K, seed=5, scale=np.logspace(0, 1, 6))
    sw = rng.uniform(0.5, 2.0, len(Y))
    if sparse:
        X[np.abs(X) < 0.6] = 0
        X = sp.csr_matrix(X)
    lbfgs = SoftLabelLogisticRegression(C=2.0, tol=1e-6, max_iter=1000).fit(X, Y, sw)
    newton = SoftLabelLogisticRegression(C=2.0, **NEWTON).fit(X, Y, sw)
    # A gradient within 1e-6 of zero puts L-BFGS-B's probabilities within about 1e-5.
    assert_allclose(newton.predict_proba(X), lbfgs.predict_proba(X), atol=2e-5)
    assert_allclose(newton.coef_, lbfgs.coef_, rtol=1e-4, atol=1e-5)
    assert newton.n_iter_[0] <= 10 and 3 * newton.n_iter_[0] < lbfgs.n_iter_[0]


def test_badly_conditioned_reaches_the_irls_maximum_likelihood_where_lbfgs_warns():
    sm = pytest.importorskip("statsmodels.api")
    X, successes, trials = _badly_conditioned()
    Y, w = soft_labels_from_counts(np.column_stack([trials - successes, successes]))
    glm = sm.GLM(np.column_stack([successes, trials - successes]), sm.add_constant(X),
                 family=sm.families.Binomial()).fit(tol=1e-12)  # fmt: skip
    est = SoftLabelLogisticRegression(C=np.inf, **NEWTON).fit(X, Y, sample_weight=w)
    assert est.n_iter_[0] < 30
    assert_allclose(est.coef_[0], glm.params[1:], rtol=1e-6)
    assert_allclose(est.intercept_[0], glm.params[0], rtol=1e-6)
    with pytest.warns(ConvergenceWarning, match="^lbfgs failed to converge"):
        SoftLabelLogisticRegression(C=np.inf, tol=1e-6, max_iter=1000).fit(X, Y, w)


def test_public_binomial_counts_star98():
    """statsmodels' star98 (303 schools, 20 features from 1 to 7e4 with interactions): L-BFGS-B
    stops on its relative-reduction test far from the optimum and says so; newton-cholesky
    reaches statsmodels' maximum likelihood in a few iterations."""
    sm = pytest.importorskip("statsmodels.api")
    from statsmodels.datasets import star98

    data = star98.load_pandas()
    X, counts = data.exog.to_numpy(float), data.endog.to_numpy(float)  # NABOVE, NBELOW
    Y, w = soft_labels_from_counts(counts[:, ::-1])  # class 1: above the national median
    glm = sm.GLM(counts, sm.add_constant(X), family=sm.families.Binomial()).fit(tol=1e-12)
    est = SoftLabelLogisticRegression(C=np.inf, **NEWTON).fit(X, Y, sample_weight=w)
    assert est.n_iter_[0] <= 10
    assert_allclose(est.coef_[0], glm.params[1:], rtol=1e-7, atol=1e-12)
    assert_allclose(est.intercept_[0], glm.params[0], rtol=1e-7)
    with pytest.warns(ConvergenceWarning, match="^lbfgs failed to converge.*newton-cholesky"):
        SoftLabelLogisticRegression(C=np.inf, tol=1e-6, max_iter=3000).fit(X, Y, w)


def test_unpenalized_multinomial_from_counts_equals_mnlogit():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.RandomState(11)
    n, d, K = 80, 3, 3
    X = rng.randn(n, d)
    counts = rng.multinomial(6, [0.5, 0.3, 0.2], size=n) + (X[:, :1] > 0) * [0, 2, 0]
    Y, w = soft_labels_from_counts(counts)
    est = SoftLabelLogisticRegression(C=np.inf, **NEWTON).fit(X, Y, sample_weight=w)
    # MNLogit on the expanded rows: one row per vote, its class the label.
    rows = np.repeat(np.arange(n), counts.sum(1))
    labels = np.concatenate([np.repeat(np.arange(K), c) for c in counts])
    mn = sm.MNLogit(labels, sm.add_constant(X[rows])).fit(method="newton", disp=0, tol=1e-12)
    # MNLogit's parameters are each class's logit minus class 0's.
    full = np.column_stack([est.intercept_, est.coef_])  # (K, d + 1)
    assert_allclose((full[1:] - full[0]).T, mn.params, rtol=1e-5, atol=1e-8)
    assert_allclose(est.intercept_.sum(), 0.0, atol=1e-12)  # the centered representative


# --------------------------------------------------------------- convergence checks
def test_convergence_warnings_start_as_scikit_learns_and_say_what_to_do():
    X, successes, trials = _badly_conditioned()
    Y, w = soft_labels_from_counts(np.column_stack([trials - successes, successes]))
    with pytest.warns(ConvergenceWarning) as rec:
        SoftLabelLogisticRegression(C=np.inf, max_iter=5).fit(X, Y, w)
    message = str(rec[0].message)
    assert message.startswith("lbfgs failed to converge after 5 iteration(s)")
    assert re.search("StandardScaler.*newton-cholesky.*max_iter", message)
    for solver in ["newton-cholesky", "newton-cd"]:
        with pytest.warns(ConvergenceWarning, match="^Newton solver did not converge after 1 "):
            SoftLabelLogisticRegression(C=np.inf, solver=solver, max_iter=1).fit(X, Y, w)
    with pytest.warns(ConvergenceWarning, match="^Newton solver did not converge"):
        ContinuousBernoulliRegression(solver="newton-cholesky", max_iter=0).fit(
            X, successes / trials
        )


def test_scikit_learn_warning_filters_silence_ours():
    X, Y, _, _ = _problem()
    with warnings.catch_warnings():
        warnings.filterwarnings("error")
        warnings.filterwarnings("ignore", message="lbfgs failed to converge")
        SoftLabelLogisticRegression(max_iter=1).fit(X, Y)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky", "newton-cd"])
def test_no_warning_when_converged(solver):
    X, Y, y, rng = _problem(n=400, d=5, K=3)
    for target in (Y, y):
        SoftLabelLogisticRegression(solver=solver, tol=1e-6, max_iter=1000).fit(X, target)
    SoftLabelLogisticRegression(loss="binary_cross_entropy", solver=solver, tol=1e-6).fit(X, Y)
    ContinuousBernoulliRegression(solver=solver, tol=1e-8).fit(X, Y[:, 0])


def test_incompatible_solver_and_penalty():
    X, Y, _, _ = _problem()
    for solver in ["lbfgs", "newton-cholesky"]:
        match = f'solver="{solver}" supports only the L2.*newton-cd'
        with pytest.raises(ValueError, match=match):
            SoftLabelLogisticRegression(solver=solver, l1_ratio=0.5).fit(X, Y)
        with pytest.raises(ValueError, match=match):
            ContinuousBernoulliRegression(solver=solver, l1_ratio=0.5).fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="solver"):
        SoftLabelLogisticRegression(solver="saga").fit(X, Y)
    with pytest.raises(ValueError, match="l1_ratio"):
        SoftLabelLogisticRegression(l1_ratio=1.5).fit(X, Y)


@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky"])
def test_continuous_bernoulli_solvers_agree(solver):
    X, Y, _, rng = _problem(n=500, d=4, K=2)
    y = Y[:, 1]
    ref = ContinuousBernoulliRegression(C=3.0, solver="newton-cholesky", tol=1e-10).fit(X, y)
    reg = ContinuousBernoulliRegression(C=3.0, solver=solver, tol=1e-7).fit(X, y)
    assert_allclose(reg.coef_, ref.coef_, atol=1e-5)
    assert ref.n_iter_ <= 10


def test_warm_start_at_the_solution_takes_no_newton_step():
    X, Y, _, _ = _problem()
    est = SoftLabelLogisticRegression(warm_start=True, **NEWTON).fit(X, Y)
    coef = est.coef_.copy()
    est.fit(X, Y)
    assert est.n_iter_[0] == 0
    assert_array_equal(est.coef_, coef)


# ------------------------------------------------------------ dtype and coefficients
@pytest.mark.parametrize("solver", ["lbfgs", "newton-cholesky", "newton-cd"])
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_in_float32_out(solver, sparse):
    X, Y, y, _ = _problem(n=200, d=4, K=3)
    X32 = X.astype(np.float32)
    if sparse:
        X32 = sp.csr_matrix(X32)
    for target in (Y, y % 2):
        est = SoftLabelLogisticRegression(solver=solver, tol=1e-5).fit(X32, target)
        for value in (est.coef_, est.intercept_, est.decision_function(X32),
                      est.predict_proba(X32), est.predict_log_proba(X32)):  # fmt: skip
            assert value.dtype == np.float32
        est64 = SoftLabelLogisticRegression(solver=solver, tol=1e-5).fit(X, target)
        assert est64.coef_.dtype == np.float64 and est64.predict_proba(X).dtype == np.float64
        assert_allclose(est.predict_proba(X32), est64.predict_proba(X), atol=1e-4)
    reg = ContinuousBernoulliRegression(solver=solver, tol=1e-5).fit(X32, Y[:, 0])
    assert reg.coef_.dtype == np.float32 and reg.predict(X32).dtype == np.float32
    assert np.asarray(reg.intercept_).dtype == np.float32


def test_sparsify_and_densify():
    X, Y, _, _ = _problem()
    est = SoftLabelLogisticRegression(C=0.05, l1_ratio=1.0).fit(X, Y)
    proba = est.predict_proba(X)
    assert est.sparsify() is est and sp.issparse(est.coef_)
    assert_allclose(est.predict_proba(X), proba, rtol=1e-12)
    assert_allclose(est.predict_proba(sp.csr_matrix(X)), proba, rtol=1e-12)
    assert est.densify() is est and isinstance(est.coef_, np.ndarray)
    assert_allclose(est.predict_proba(X), proba, rtol=1e-12)
    est.set_params(warm_start=True).sparsify().fit(X, Y)  # warm start from a sparse coef_
    assert isinstance(est.coef_, np.ndarray)


def test_weights_scaled_to_stay_finite_keep_the_penalty_of_the_true_total():
    """Weights of 1e300 are divided by a power of 2 before summing; C's penalty is then
    divided by the true total (1e300 * n): practically none, as newton-cholesky at C=inf."""
    X, Y, _, _ = _problem(n=200)
    for solver in ["newton-cholesky", "newton-cd"]:
        big = SoftLabelLogisticRegression(C=1.0, solver=solver, tol=1e-10).fit(
            X, Y, sample_weight=np.full(200, 1e300)
        )
        free = SoftLabelLogisticRegression(C=np.inf, solver=solver, tol=1e-10).fit(X, Y)
        assert_allclose(big.predict_proba(X), free.predict_proba(X), rtol=1e-8)
        if solver == "newton-cholesky":  # the representative the tiny L2 penalty picks
            assert_allclose(big.coef_.sum(axis=0), 0.0, atol=1e-10)
            assert_allclose(big.coef_, free.coef_, rtol=1e-6)
