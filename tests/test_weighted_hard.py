"""to_weighted_hard and WeightedHardClassifier against hand-written cases and references."""

import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from skfuzzy_ce import SoftLabelLogisticRegression, WeightedHardClassifier, to_weighted_hard

# The exact optimum on both sides: Newton's method reaches tol=1e-10 (L-BFGS-B stops on its
# relative-reduction test near 1e-9, and ours then warns).
TIGHT = dict(solver="newton-cholesky", tol=1e-10, max_iter=100)


def _soft_problem(n=150, d=4, K=3, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    logits = X @ rng.randn(K, d).T + rng.randn(K)
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    Y = np.array([rng.dirichlet(1 + 20 * p) for p in P])
    return X, Y


# ------------------------------------------------------------ to_weighted_hard
# Three samples, three classes; row 1 has no mass on class 0, row 2 none on class 2.
X_SMALL = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
Y_SMALL = np.array([[0.5, 0.25, 0.25], [0.0, 0.75, 0.25], [0.125, 0.875, 0.0]])
S_SMALL = np.array([2.0, 1.0, 4.0])


def test_layout_values_and_weights_written_out_by_hand():
    X_rep, y_rep, w_rep, index = to_weighted_hard(X_SMALL, Y_SMALL, S_SMALL, return_index=True)
    # Block of class 0: rows 0, 2; class 1: rows 0, 1, 2; class 2: rows 0, 1.
    np.testing.assert_array_equal(index, [0, 2, 0, 1, 2, 0, 1])
    np.testing.assert_array_equal(y_rep, [0, 0, 1, 1, 1, 2, 2])
    np.testing.assert_array_equal(
        X_rep, [[1, 10], [3, 30], [1, 10], [2, 20], [3, 30], [1, 10], [2, 20]]
    )
    # s_i * Y_ik: 2*.5, 4*.125, 2*.25, 1*.75, 4*.875, 2*.25, 1*.25
    np.testing.assert_array_equal(w_rep, [1.0, 0.5, 0.5, 0.75, 3.5, 0.5, 0.25])
    np.testing.assert_array_equal(np.bincount(index, w_rep), S_SMALL)


def test_keep_zero_gives_every_row_once_per_class():
    X_rep, y_rep, w_rep, index = to_weighted_hard(
        X_SMALL, Y_SMALL, drop_zero=False, return_index=True
    )
    np.testing.assert_array_equal(index, [0, 1, 2] * 3)
    np.testing.assert_array_equal(y_rep, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(w_rep, Y_SMALL.T.ravel())
    np.testing.assert_array_equal(X_rep, np.vstack([X_SMALL] * 3))
    assert len(to_weighted_hard(X_SMALL, Y_SMALL)) == 3  # no index unless asked


def test_hard_labels_cost_no_extra_rows_and_classes_name_the_blocks():
    X_rep, y_rep, w_rep, index = to_weighted_hard(
        X_SMALL, ["b", "a", "b"], classes=["a", "b", "c"], return_index=True
    )
    np.testing.assert_array_equal(index, [1, 0, 2])
    np.testing.assert_array_equal(y_rep, ["a", "b", "b"])
    np.testing.assert_array_equal(w_rep, [1.0, 1.0, 1.0])
    # Soft columns named by `classes`, or by the columns of a DataFrame.
    _, y_rep, _ = to_weighted_hard(X_SMALL, Y_SMALL, classes=["x", "y", "z"])
    np.testing.assert_array_equal(y_rep, list("xxyyyzz"))
    _, y_df, _ = to_weighted_hard(X_SMALL, pd.DataFrame(Y_SMALL, columns=["x", "y", "z"]))
    np.testing.assert_array_equal(y_df, y_rep)


def test_binary_soft_labels_from_1d_fractions():
    _, y_rep, w_rep = to_weighted_hard(X_SMALL, [0.25, 1.0, 0.5])
    np.testing.assert_array_equal(y_rep, [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(w_rep, [0.75, 0.5, 0.25, 1.0, 0.5])


def test_sparse_stays_csr_pandas_keeps_columns_lists_stay_lists():
    dense = to_weighted_hard(X_SMALL, Y_SMALL, S_SMALL)
    for make in (sp.csr_matrix, sp.csr_array, sp.coo_matrix, sp.csc_array):
        X_rep, y_rep, w_rep = to_weighted_hard(make(X_SMALL), Y_SMALL, S_SMALL)
        assert sp.issparse(X_rep) and X_rep.format == "csr"
        np.testing.assert_array_equal(X_rep.toarray(), dense[0])
        np.testing.assert_array_equal(w_rep, dense[2])

    df = pd.DataFrame(X_SMALL, columns=["f", "g"], index=[10, 20, 30])
    X_rep, _, _ = to_weighted_hard(df, Y_SMALL, S_SMALL)
    assert isinstance(X_rep, pd.DataFrame) and list(X_rep.columns) == ["f", "g"]
    assert list(X_rep.index) == list(range(7))  # fresh RangeIndex; sources are `index`
    np.testing.assert_array_equal(X_rep.to_numpy(), dense[0])

    texts = ["one", "two", "three"]
    X_rep, _, _ = to_weighted_hard(texts, Y_SMALL)
    assert X_rep == ["one", "three", "one", "two", "three", "one", "two"]


def test_user_arrays_are_not_modified():
    X, Y, s = X_SMALL.copy(), Y_SMALL.copy(), S_SMALL.copy()
    for arr in (X, Y, s):
        arr.flags.writeable = False  # read-only inputs are accepted
    X_rep, _, w_rep = to_weighted_hard(X, Y, s)
    X_rep[:] = -1
    w_rep[:] = -1
    np.testing.assert_array_equal(X, X_SMALL)
    np.testing.assert_array_equal(Y, Y_SMALL)
    np.testing.assert_array_equal(s, S_SMALL)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y=Y_SMALL[:2]), "has 2 rows but X has 3 samples"),
        (dict(y=Y_SMALL * 0.5), "Row 0 of y sums to 0.5"),
        (dict(y=Y_SMALL, sample_weight=[1.0, -1.0, 1.0]), "Negative values in data passed to `sample_weight`"),
        (dict(y=Y_SMALL, sample_weight=[1.0, 1.0]), r"sample_weight.shape == \(2,\)"),
        (dict(y=[0.5, 1.5, 2.5]), "Unknown label type:"),
    ],
)
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        to_weighted_hard(X_SMALL, **kwargs)


def test_empty_x_uses_scikit_learn_wording():
    with pytest.raises(ValueError, match=r"0 sample\(s\)"):
        to_weighted_hard(np.empty((0, 3)), [])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 12),
    K=st.integers(2, 5),
    drop_zero=st.booleans(),
)
def test_property_each_source_row_keeps_its_weight(seed, n, K, drop_zero):
    rng = np.random.RandomState(seed)
    Y = rng.dirichlet(np.full(K, 0.3), size=n)
    Y[rng.rand(n, K) < 0.3] = 0  # exact zeros, then renormalize (rows stay distributions)
    Y[0] = 0
    Y[0, :2] = 0.5  # two classes with mass, on a row of positive weight
    Y[Y.sum(axis=1) == 0, 0] = 1
    Y /= Y.sum(axis=1, keepdims=True)
    s = rng.uniform(0, 3, size=n) * (rng.rand(n) > 0.2)
    s[0] = 1.0
    X = rng.randn(n, 3)
    X_rep, y_rep, w_rep, index = to_weighted_hard(X, Y, s, drop_zero=drop_zero, return_index=True)
    np.testing.assert_allclose(np.bincount(index, w_rep, minlength=n), s * Y.sum(axis=1))
    np.testing.assert_array_equal(X_rep, X[index])
    np.testing.assert_array_equal(w_rep, s[index] * Y[index, y_rep])
    # Class-major blocks, source rows in their original order inside each block.
    order = np.lexsort((index, y_rep))
    np.testing.assert_array_equal(order, np.arange(len(index)))
    if drop_zero:
        assert (w_rep > 0).all() and len(w_rep) == np.count_nonzero(s[:, None] * Y)
    else:
        assert len(w_rep) == n * K


def test_group_k_fold_with_the_index_keeps_copies_together():
    X, Y = _soft_problem(n=60)
    X_rep, y_rep, _, index = to_weighted_hard(X, Y, return_index=True)
    n_test = 0
    for train, test in GroupKFold(n_splits=5).split(X_rep, y_rep, groups=index):
        assert not np.intersect1d(index[train], index[test]).size
        n_test += np.unique(index[test]).size
    assert n_test == 60


# ------------------------------------------------------- WeightedHardClassifier
@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("class_weight", [None, "dict", "balanced"])
def test_logistic_regression_inside_equals_soft_label_logistic_regression(C, K, class_weight):
    X, Y = _soft_problem(K=K, seed=10 + K)
    sw = np.random.RandomState(3).uniform(0.5, 2, size=len(X))
    cw = {k: 1.0 + k for k in range(K)} if class_weight == "dict" else class_weight
    ours = SoftLabelLogisticRegression(C=C, class_weight=cw, **TIGHT).fit(X, Y, sw)
    meta = WeightedHardClassifier(LogisticRegression(C=C, class_weight=cw, **TIGHT))
    meta.fit(X, Y, sample_weight=sw)
    np.testing.assert_array_equal(meta.classes_, ours.classes_)
    np.testing.assert_allclose(meta.predict_proba(X), ours.predict_proba(X), atol=1e-5)
    np.testing.assert_allclose(meta.predict_log_proba(X), ours.predict_log_proba(X), atol=1e-4)
    np.testing.assert_allclose(meta.decision_function(X), ours.decision_function(X), atol=1e-4)
    np.testing.assert_array_equal(meta.predict(X), ours.predict(X))
    assert meta.score(X, Y) == ours.score(X, Y)


def test_hard_labels_fit_the_inner_estimator_on_the_data_as_is():
    X, Y = _soft_problem()
    y = np.array(["a", "b", "c"])[Y.argmax(axis=1)]
    meta = WeightedHardClassifier(LogisticRegression(**TIGHT)).fit(X, y)
    ref = LogisticRegression(**TIGHT).fit(X, y)
    np.testing.assert_allclose(meta.estimator_.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(meta.classes_, ["a", "b", "c"])
    np.testing.assert_array_equal(meta.predict(X), ref.predict(X))


def test_random_forest_leaves_hold_the_weighted_mean_soft_label():
    # One split on a feature separating two groups: each leaf predicts the s-weighted mean of
    # the soft labels of its group, which is what the duplicated data set means for a tree.
    rng = np.random.RandomState(0)
    X = np.r_[rng.uniform(0, 1, 40), rng.uniform(2, 3, 40)][:, None]
    Y = np.r_[rng.dirichlet([5, 2, 1], 40), rng.dirichlet([1, 2, 5], 40)]
    s = rng.uniform(0.5, 2, 80)
    forest = RandomForestClassifier(
        n_estimators=3, max_depth=1, bootstrap=False, max_features=None, random_state=0
    )
    meta = WeightedHardClassifier(forest).fit(X, Y, sample_weight=s)
    expected = [np.average(Y[g], axis=0, weights=s[g]) for g in (slice(0, 40), slice(40, 80))]
    np.testing.assert_allclose(meta.predict_proba([[0.5], [2.5]]), expected, rtol=1e-12)


def test_hist_gradient_boosting_and_svc_learn_from_soft_labels():
    X, Y = _soft_problem(n=300, K=3, seed=4)
    target = Y.argmax(axis=1)
    hgb = WeightedHardClassifier(HistGradientBoostingClassifier(max_iter=30, random_state=0))
    # One OpenMP thread: on a loaded 2-core machine, spinning OpenMP threads of a fit this
    # small take ~100 times longer than one thread (the result does not depend on it).
    with threadpool_limits(limits=1, user_api="openmp"):
        hgb.fit(X, Y)
        proba = hgb.predict_proba(X)
        assert hgb.score(X, Y) > 0.8
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    # Log-loss boosting keeps the average prediction near the average soft label.
    np.testing.assert_allclose(proba.mean(axis=0), Y.mean(axis=0), atol=0.02)

    svc = WeightedHardClassifier(SVC(kernel="linear", C=10.0)).fit(X, Y)
    assert not hasattr(svc, "predict_proba")  # SVC(probability=False) has none either
    scores = svc.decision_function(X)
    assert scores.shape == (300, 3)
    assert (svc.predict(X) == target).mean() > 0.8
    # Probabilities for an SVC (SVC(probability=True) is deprecated in scikit-learn 1.9).
    svc_p = CalibratedClassifierCV(SVC(kernel="linear", C=10.0), ensemble=False)
    proba = WeightedHardClassifier(svc_p).fit(X, Y).predict_proba(X)
    assert proba.shape == (300, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1)


def test_decision_tree_with_no_decision_function():
    meta = WeightedHardClassifier(DecisionTreeClassifier(max_depth=2))
    assert not hasattr(meta, "decision_function")
    X, Y = _soft_problem()
    assert not hasattr(meta.fit(X, Y), "decision_function")
    np.testing.assert_allclose(meta.predict_proba(X).sum(axis=1), 1)


def test_class_without_weight_gets_a_zero_column():
    X, Y = _soft_problem(K=3)
    Y4 = np.c_[Y[:, :1], np.zeros(len(Y)), Y[:, 1:]]  # class 1 has no probability anywhere
    meta = WeightedHardClassifier(LogisticRegression(**TIGHT)).fit(X, Y4)
    np.testing.assert_array_equal(meta.classes_, [0, 1, 2, 3])
    np.testing.assert_array_equal(meta.estimator_.classes_, [0, 2, 3])
    ref = LogisticRegression(**TIGHT).fit(*to_weighted_hard(X, Y))
    proba = meta.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 1], 0)
    np.testing.assert_allclose(proba[:, [0, 2, 3]], ref.predict_proba(X), atol=1e-12)
    log_proba = meta.predict_log_proba(X)
    assert np.isneginf(log_proba[:, 1]).all()
    np.testing.assert_allclose(log_proba[:, [0, 2, 3]], ref.predict_log_proba(X), atol=1e-12)
    scores = meta.decision_function(X)
    assert np.isneginf(scores[:, 1]).all()
    np.testing.assert_array_equal(meta.classes_[scores.argmax(axis=1)], meta.predict(X))


def test_two_inner_classes_of_three_and_classes_in_given_order():
    X, Y = _soft_problem(K=2)
    y = np.where(Y[:, 1] > 0.5, "b", "a")
    meta = WeightedHardClassifier(LogisticRegression(), classes=["c", "b", "a"]).fit(X, y)
    np.testing.assert_array_equal(meta.classes_, ["c", "b", "a"])
    proba = meta.predict_proba(X)
    np.testing.assert_array_equal(proba[:, 0], 0)
    ref = meta.estimator_.predict_proba(X)  # columns a, b
    np.testing.assert_allclose(proba[:, [2, 1]], ref)
    scores = meta.decision_function(X)
    assert scores.shape == (len(X), 3)
    np.testing.assert_array_equal(meta.classes_[scores.argmax(axis=1)], meta.predict(X))


def test_pipeline_last_step_grid_search_and_pickle():
    X, Y = _soft_problem(n=120)
    pipe = make_pipeline(StandardScaler(), WeightedHardClassifier(LogisticRegression()))
    search = GridSearchCV(
        pipe, {"weightedhardclassifier__estimator__C": [0.01, 1.0]}, cv=3
    ).fit(X, Y)
    assert search.best_params_["weightedhardclassifier__estimator__C"] in (0.01, 1.0)
    assert search.predict_proba(X).shape == (120, 3)
    clone_ = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(clone_.predict_proba(X), search.predict_proba(X))


def test_pandas_x_and_soft_dataframe_y():
    X, Y = _soft_problem()
    X_df = pd.DataFrame(X, columns=list("pqrs"))
    Y_df = pd.DataFrame(Y, columns=["low", "mid", "high"])
    meta = WeightedHardClassifier(LogisticRegression()).fit(X_df, Y_df)
    np.testing.assert_array_equal(meta.classes_, ["low", "mid", "high"])
    np.testing.assert_array_equal(meta.feature_names_in_, list("pqrs"))
    assert meta.n_features_in_ == 4
    ref = SoftLabelLogisticRegression().fit(X, Y)
    np.testing.assert_array_equal(meta.predict(X_df), meta.classes_[ref.predict(X)])


def test_fit_params_reach_the_inner_fit():
    class Recorder(ClassifierMixin, BaseEstimator):
        def fit(self, X, y, sample_weight=None, note=None):
            self.classes_ = np.unique(y)
            self.seen_ = (len(y), sample_weight.sum(), note)
            return self

        def predict(self, X):
            return np.full(len(X), self.classes_[0])

    meta = WeightedHardClassifier(Recorder()).fit(X_SMALL, Y_SMALL, S_SMALL, note="hi")
    assert meta.estimator_.seen_ == (7, 7.0, "hi")


def test_estimators_that_cannot_take_sample_weight_are_refused():
    X, Y = _soft_problem()
    with pytest.raises(ValueError, match="KNeighborsClassifier.fit does not take sample_weight"):
        WeightedHardClassifier(KNeighborsClassifier()).fit(X, Y)
    with pytest.raises(ValueError, match="Pipeline.fit does not take sample_weight.*in front"):
        WeightedHardClassifier(make_pipeline(StandardScaler(), LogisticRegression())).fit(X, Y)
    with pytest.raises(ValueError, match="precomputed"):
        WeightedHardClassifier(SVC(kernel="precomputed")).fit(X @ X.T, Y)
    with pytest.raises(ValueError, match="at least one non-zero"):
        WeightedHardClassifier(LogisticRegression()).fit(X, Y, sample_weight=np.zeros(len(X)))


@parametrize_with_checks([WeightedHardClassifier(LogisticRegression())])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
