"""L1 and elastic net (solver="newton-cd") against scikit-learn's saga: on hard labels, and on
soft labels through the duplicated weighted data set (each row once per class, weighted by
its probability), which has the same objective."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skfuzzy_ce import (
    ContinuousBernoulliRegression,
    SoftLabelLogisticRegression,
    to_weighted_hard,
)

pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

EXACT = dict(solver="newton-cd", tol=1e-10, max_iter=200)
SAGA = dict(solver="saga", tol=1e-12, max_iter=200_000)


def _problem(n=120, d=6, K=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    W = rng.randn(K, d) * (rng.rand(K, d) < 0.5)  # some features carry nothing
    Z = X @ W.T
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    Y = 0.7 * P + 0.3 * rng.dirichlet(np.ones(K), size=n)
    y = np.array([rng.choice(K, p=p) for p in P])
    return X, Y, y, rng


def _saga(C, l1_ratio, X, y, sample_weight=None):
    with warnings.catch_warnings():  # saga's own stopping rule may never trigger at 1e-12
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LogisticRegression(C=C, l1_ratio=l1_ratio, **SAGA).fit(
            X, y, sample_weight=sample_weight
        )


def _assert_same_model(ours, ref, X, *, atol=1e-7):
    assert_allclose(ours.coef_, ref.coef_, atol=atol)
    assert_allclose(ours.intercept_, ref.intercept_, atol=atol)
    assert_array_equal(ours.coef_ == 0, np.abs(ref.coef_) < 1e-9)  # the same zero pattern
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("C, l1_ratio", [(0.1, 1.0), (0.5, 0.5), (2.0, 0.2), (0.05, 1.0)])
def test_soft_labels_equal_saga_on_the_duplicated_data_set(K, C, l1_ratio):
    X, Y, _, rng = _problem(K=K, seed=K)
    sw = rng.uniform(0.5, 2.0, len(Y))
    ours = SoftLabelLogisticRegression(C=C, l1_ratio=l1_ratio, **EXACT).fit(X, Y, sw)
    ref = _saga(C, l1_ratio, *to_weighted_hard(X, Y, sw))
    assert (ours.coef_ == 0).any()  # the penalty is strong enough to zero something
    _assert_same_model(ours, ref, X)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("C, l1_ratio", [(0.2, 1.0), (1.0, 0.5)])
def test_hard_labels_equal_saga(K, C, l1_ratio):
    X, _, y, _ = _problem(K=K, seed=10 + K)
    ours = SoftLabelLogisticRegression(C=C, l1_ratio=l1_ratio, **EXACT).fit(X, y)
    _assert_same_model(ours, _saga(C, l1_ratio, X, y), X)


def test_class_weights_equal_saga():
    X, Y, _, _ = _problem(K=3, seed=4)
    cw = {0: 0.5, 1: 2.0, 2: 1.0}
    ours = SoftLabelLogisticRegression(C=0.3, l1_ratio=0.7, class_weight=cw, **EXACT).fit(X, Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = LogisticRegression(C=0.3, l1_ratio=0.7, class_weight=cw, **SAGA)
        ref.fit(*to_weighted_hard(X, Y))
    _assert_same_model(ours, ref, X)


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_and_dense_give_the_same_model(loss, dtype):
    X, Y, _, _ = _problem(n=200, d=8, K=3, seed=6)
    X[np.abs(X) < 0.8] = 0
    X = X.astype(dtype)
    tol = 1e-10 if dtype == np.float64 else 1e-5
    params = dict(loss=loss, C=0.3, l1_ratio=0.6, solver="newton-cd", tol=tol)
    dense = SoftLabelLogisticRegression(**params).fit(X, Y)
    sparse = SoftLabelLogisticRegression(**params).fit(sp.csr_matrix(X), Y)
    assert_allclose(sparse.coef_, dense.coef_, atol=1e-8 if dtype == np.float64 else 1e-4)
    assert_array_equal(sparse.coef_ == 0, dense.coef_ == 0)


def test_l1_ratio_zero_newton_cd_equals_newton_cholesky():
    X, Y, _, _ = _problem(seed=8)
    cd = SoftLabelLogisticRegression(C=0.7, **EXACT).fit(X, Y)
    nc = SoftLabelLogisticRegression(C=0.7, solver="newton-cholesky", tol=1e-12).fit(X, Y)
    assert_allclose(cd.coef_, nc.coef_, atol=1e-9)
    assert_allclose(cd.intercept_, nc.intercept_, atol=1e-9)


def test_multilabel_and_continuous_bernoulli_lasso_equal_their_independent_problems():
    """Independent sigmoids under L1 split into one L1 logistic problem per column; the
    continuous Bernoulli lasso satisfies its own optimality conditions."""
    X, Y, _, _ = _problem(n=150, d=5, K=3, seed=9)
    multi = SoftLabelLogisticRegression(loss="binary_cross_entropy", C=0.4, l1_ratio=1.0,
                                        **EXACT).fit(X, Y)  # fmt: skip
    for k in range(3):
        # Column k alone: binary soft labels; S is the same (sum of sample weights).
        one = SoftLabelLogisticRegression(C=0.4, l1_ratio=1.0, **EXACT).fit(X, Y[:, k])
        assert_allclose(multi.coef_[k], one.coef_[0], atol=1e-8)
    reg = ContinuousBernoulliRegression(C=0.2, l1_ratio=1.0, **EXACT).fit(X, Y[:, 0])
    assert (reg.coef_ == 0).any()
    _, objective = reg._make_objective(X, Y[:, 0], None)
    w = np.append(reg.coef_, reg.intercept_).astype(np.float64)
    assert objective.optimality(w, objective(w)[1]) <= 1e-10


def test_sparse_high_dimensional_without_a_dense_hessian():
    """d * K = 20,000 coefficients on CSR: no (dK)^2 matrix (3.2 GB) is ever formed."""
    rng = np.random.RandomState(0)
    n, d, K = 2_000, 4_000, 5
    X = sp.random(n, d, density=0.005, format="csr", random_state=rng)
    W = np.zeros((K, d))
    W[:, :20] = rng.randn(K, 20) * 3
    Z = np.asarray(X @ W.T)
    P = np.exp(Z - Z.max(1, keepdims=True))
    Y = P / P.sum(1, keepdims=True)
    est = SoftLabelLogisticRegression(C=5.0, l1_ratio=1.0, tol=1e-6).fit(X, Y)
    assert est.coef_.shape == (K, d)
    assert 0 < (est.coef_ != 0).sum() < 0.2 * d * K


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), C=st.floats(0.01, 10.0), l1_ratio=st.floats(0.0, 1.0))
def test_property_subgradient_optimality(seed, C, l1_ratio):
    """At the result the minimum-norm subgradient is at most tol (what the solver promises),
    and no coefficient can be moved alone to lower the objective."""
    X, Y, _, _ = _problem(n=60, d=4, K=3, seed=seed)
    est = SoftLabelLogisticRegression(C=C, l1_ratio=l1_ratio, solver="newton-cd", tol=1e-9)
    est.fit(X, Y)
    _, objective, _ = est._make_objective(X, Y, None, reset=True)
    w = np.concatenate([est.coef_.ravel(), est.intercept_])
    smooth, grad = objective(w)
    assert objective.optimality(w, grad) <= 1e-9
    value = objective.value(w, smooth)
    for j in range(w.size):
        for step in (1e-4, -1e-4):
            v = w.copy()
            v[j] += step
            assert objective.value(v, objective(v)[0]) >= value - 1e-12


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5])
def test_features_far_from_zero_converge_in_few_newton_steps(l1_ratio):
    """Columns with a mean of 100 beside a spread of 1 are nearly collinear with the
    intercept; coordinate descent on centered columns is not slowed down by that."""
    rng = np.random.RandomState(42)
    X = rng.normal(loc=100, size=(100, 2))
    y = rng.randint(0, 2, 100)
    cd = SoftLabelLogisticRegression(l1_ratio=l1_ratio, solver="newton-cd", tol=1e-8).fit(X, y)
    assert cd.n_iter_[0] <= 15
    if l1_ratio == 0.0:
        nc = SoftLabelLogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, y)
        assert_allclose(cd.coef_, nc.coef_, rtol=1e-6)
        assert_allclose(cd.intercept_, nc.intercept_, rtol=1e-6)
