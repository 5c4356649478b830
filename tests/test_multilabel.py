"""SoftLabelLogisticRegression(loss="binary_cross_entropy"): one sigmoid per column."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import run_estimator_check
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfuzzy_ce import SoftLabelLogisticRegression

# The exact optimum on both sides: Newton's method reaches tol=1e-10 (L-BFGS-B stops on its
# relative-reduction test near 1e-9, and ours then warns).
TIGHT = dict(solver="newton-cholesky", tol=1e-10, max_iter=100)


def _data(n=120, n_features=4, n_labels=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    W = rng.normal(size=(n_labels, n_features))
    Y = 1 / (1 + np.exp(-(X @ W.T + rng.normal(scale=0.5, size=(n, n_labels)))))
    return X, Y, rng


def _bce(**kw):
    return SoftLabelLogisticRegression(loss="binary_cross_entropy", **kw)


def _duplicated_column(X, y, s):
    """Hard-label data set of one soft column: label 1 with weight s*y, label 0 with s*(1-y)."""
    n = len(y)
    return np.vstack([X, X]), np.r_[np.ones(n), np.zeros(n)], np.r_[s * y, s * (1 - y)]


@pytest.mark.parametrize("C", [0.3, np.inf])
def test_fit_equals_separate_binary_fits_per_column(C):
    X, Y, rng = _data()
    s = rng.uniform(0.2, 2.0, size=len(Y))
    cw = {0: 1.0, 1: 2.5, 2: 0.4}
    clf = _bce(C=C, class_weight=cw, **TIGHT).fit(X, Y, sample_weight=s)
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,)
    for k in range(3):
        # The penalty is separable and S = sum(s): column k is a binary fit with weights
        # s * cw_k, whichever way it is computed.
        Xd, yd, sd = _duplicated_column(X, Y[:, k], s * cw[k])
        lr = LogisticRegression(C=C if np.isfinite(C) else np.inf, **TIGHT).fit(
            Xd, yd, sample_weight=sd
        )
        assert_allclose(clf.coef_[k], lr.coef_[0], rtol=1e-5, atol=1e-7)
        assert_allclose(clf.intercept_[k], lr.intercept_[0], rtol=1e-5, atol=1e-7)
        one = SoftLabelLogisticRegression(C=C, **TIGHT).fit(X, Y[:, k], sample_weight=s * cw[k])
        assert_allclose(clf.coef_[k], one.coef_[0], rtol=1e-5, atol=1e-6)


def test_hard_multi_hot_targets():
    X, Y, _ = _data(n=200, seed=1)
    Yh = (Y > 0.5).astype(int)
    clf = _bce(C=1.0, **TIGHT).fit(X, Yh)
    for k in range(3):
        lr = LogisticRegression(C=1.0, **TIGHT).fit(X, Yh[:, k])
        assert_allclose(clf.coef_[k], lr.coef_[0], rtol=1e-5, atol=1e-7)
        assert_allclose(clf.predict_proba(X)[:, k], lr.predict_proba(X)[:, 1], rtol=1e-5)
    pred = clf.predict(X)
    assert pred.shape == Yh.shape and set(np.unique(pred)) <= {0, 1}
    assert_array_equal(pred, (clf.decision_function(X) > 0).astype(int))
    assert_allclose(clf.score(X, Yh), np.mean((pred == Yh).all(axis=1)))
    assert clf.score(X, Yh) == accuracy_score(Yh, pred)
    # Independent probabilities: rows do not sum to 1.
    proba = clf.predict_proba(X)
    assert not np.allclose(proba.sum(axis=1), 1)
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


def test_score_thresholds_soft_targets_and_weights():
    X, Y, rng = _data(n=80, seed=2)
    clf = _bce().fit(X, Y)
    s = rng.uniform(size=len(Y))
    expected = np.average((clf.predict(X) == (Y >= 0.5)).all(axis=1), weights=s)
    assert_allclose(clf.score(X, Y, sample_weight=s), expected)


def test_objective_gradient_equals_finite_differences():
    X, Y, rng = _data(n=30, seed=3)
    s = rng.uniform(0.1, 2.0, size=len(Y))
    est = _bce(C=0.8, class_weight={0: 0.5, 1: 1.0, 2: 3.0}, label_smoothing=0.1)
    _, objective, _ = est._make_objective(X, Y, s, reset=True)
    w = rng.normal(size=objective.n_params) * 0.5
    f, grad = objective(w)
    h = 1e-6
    fd = np.array(
        [(objective(w + h * e)[0] - objective(w - h * e)[0]) / (2 * h) for e in np.eye(w.size)]
    )
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    # The value: sum_i s_i sum_k cw_k BCE / S + ||W||^2 / (2 C S).
    Ys = 0.9 * Y + 0.1 / 3
    Z = X @ w[:12].reshape(3, 4).T + w[12:]
    bce = Ys * np.logaddexp(0, -Z) + (1 - Ys) * np.logaddexp(0, Z)
    expected = (s @ bce @ [0.5, 1.0, 3.0] + w[:12] @ w[:12] / (2 * 0.8)) / s.sum()
    assert_allclose(f, expected, rtol=1e-12)


def test_rows_need_not_sum_to_one_but_values_must_be_probabilities():
    X = np.arange(12.0).reshape(4, 3)
    Y = np.array([[1.0, 1.0], [0.0, 0.0], [0.2, 0.9], [0.5, 0.5]])
    _bce().fit(X, Y)
    for bad, match in (([[0.1, 1.2]], "above 1 in row 2"), ([[np.nan, 0.1]], "NaN in row 2")):
        Yb = Y.copy()
        Yb[2] = bad[0]
        before = Yb.copy()
        with pytest.raises(ValueError, match=match):
            _bce().fit(X, Yb)
        assert_array_equal(Yb, before)


def test_dataframe_columns_become_classes():
    X, Y, _ = _data(n=60, seed=4)
    df = pd.DataFrame(Y, columns=["cat", "dog", "sky"])
    clf = _bce(class_weight={"dog": 2.0}).fit(X, df)
    assert_array_equal(clf.classes_, ["cat", "dog", "sky"])
    ref = _bce(class_weight={1: 2.0}).fit(X, Y)
    assert_allclose(clf.coef_, ref.coef_, rtol=1e-10)


def test_one_dimensional_labels_are_one_vs_rest():
    X, Y, rng = _data(n=150, seed=5)
    y = np.array(["a", "b", "c"])[np.argmax(Y + rng.uniform(size=Y.shape), axis=1)]
    cw = {"a": 1.0, "b": 2.0, "c": 0.5}
    clf = _bce(class_weight=cw, **TIGHT).fit(X, y)
    assert clf.coef_.shape == (3, 4)
    row_w = np.vectorize(cw.get)(y)
    for k, c in enumerate(clf.classes_):
        # One-vs-rest as scikit-learn did it: each row weighs the weight of its own class.
        lr = LogisticRegression(**TIGHT).fit(X, y == c, sample_weight=row_w)
        assert_allclose(clf.coef_[k], lr.coef_[0], rtol=1e-5, atol=1e-7)
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1)
    assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])
    assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    assert clf.score(X, y) == accuracy_score(y, clf.predict(X))
    # Two classes: the two one-vs-rest problems are mirror images; one logit, as cross_entropy.
    y2 = (Y[:, 0] > 0.5).astype(int)
    two = _bce(**TIGHT).fit(X, y2)
    ce = SoftLabelLogisticRegression(**TIGHT).fit(X, y2)
    assert two.coef_.shape == (1, 4) and two.decision_function(X).shape == (150,)
    assert_allclose(two.coef_, ce.coef_, rtol=1e-10)
    assert_allclose(two.predict_proba(X), ce.predict_proba(X), rtol=1e-10)


def test_dense_sparse_float32_agree():
    X, Y, _ = _data(n=200, seed=6)
    X[np.abs(X) < 0.6] = 0.0
    ref = _bce(**TIGHT).fit(X, Y)
    assert_allclose(_bce(**TIGHT).fit(sp.csr_matrix(X), Y).coef_, ref.coef_, rtol=1e-7)
    f32 = _bce(tol=1e-6, max_iter=1000).fit(X.astype(np.float32), Y.astype(np.float32))
    assert_allclose(f32.coef_, ref.coef_, rtol=1e-3, atol=1e-4)


@parametrize_with_checks(
    [
        SoftLabelLogisticRegression(loss="binary_cross_entropy"),
        SoftLabelLogisticRegression(loss="binary_cross_entropy", solver="newton-cholesky"),
        SoftLabelLogisticRegression(loss="binary_cross_entropy", l1_ratio=0.5),
    ]
)
def test_sklearn_checks(estimator, check):
    run_estimator_check(check, estimator)
