"""SoftStratifiedKFold, and the soft scorers in GridSearchCV and cross_validate."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from scipy.stats import entropy
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, check_cv, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfuzzy_ce import SoftLabelLogisticRegression
from skfuzzy_ce.metrics import (
    kl_divergence,
    neg_kl_divergence_scorer,
    neg_soft_brier_scorer,
    neg_soft_log_loss_scorer,
    soft_brier_score,
    soft_log_loss,
)
from skfuzzy_ce.model_selection import SoftStratifiedKFold


def folds(cv, X, y):
    return [(train.tolist(), test.tolist()) for train, test in cv.split(X, y)]


def soft_problem(n=400, d=4, K=3, seed=0, scale=1.5):
    """Well-specified: the soft labels are exactly softmax(X W + b)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    W = scale * rng.randn(d, K)
    b = rng.randn(K)
    return X, softmax(X @ W + b, axis=1)


# ---------------------------------------------------------------------- the splitter
@pytest.mark.parametrize("shuffle, random_state", [(False, None), (True, 0), (True, 42)])
def test_hard_labels_give_the_folds_of_stratified_kfold(shuffle, random_state):
    rng = np.random.RandomState(0)
    X = np.zeros((37, 1))
    for y in (rng.randint(3, size=37), rng.choice(["b", "a", "c"], size=37), rng.rand(37) > 0.4):
        ours = SoftStratifiedKFold(n_splits=4, shuffle=shuffle, random_state=random_state)
        ref = StratifiedKFold(n_splits=4, shuffle=shuffle, random_state=random_state)
        assert folds(ours, X, y) == folds(ref, X, y)


def test_soft_labels_stratify_on_argmax():
    X, Y = soft_problem(n=90)
    ours = SoftStratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    ref = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    assert folds(ours, X, Y) == folds(ref, X, Y.argmax(axis=1))


def test_binary_soft_labels_and_pandas():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(2)
    p = rng.uniform(size=50)
    X = np.zeros((50, 2))
    ref = folds(StratifiedKFold(5), X, (p > 0.5).astype(int))
    assert folds(SoftStratifiedKFold(5), X, p) == ref
    Y = pd.DataFrame({"neg": 1 - p, "pos": p})
    assert folds(SoftStratifiedKFold(5), pd.DataFrame(X), Y) == ref


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(40, 150),
    K=st.integers(2, 5),
    n_splits=st.integers(2, 6),
    shuffle=st.booleans(),
)
def test_property_fold_proportions_follow_the_whole(seed, n, K, n_splits, shuffle):
    rng = np.random.RandomState(seed)
    Y = rng.dirichlet(np.full(K, 0.5), size=n)
    labels = Y.argmax(axis=1)
    if np.bincount(labels).max() < n_splits:  # StratifiedKFold's own requirement
        return
    whole = np.bincount(labels, minlength=K) / n
    cv = SoftStratifiedKFold(n_splits, shuffle=shuffle, random_state=seed if shuffle else None)
    test_sets = [test for _, test in cv.split(np.zeros((n, 1)), Y)]
    assert len(test_sets) == n_splits
    assert_array_equal(np.sort(np.concatenate(test_sets)), np.arange(n))
    counts = np.bincount(labels, minlength=K)
    for test in test_sets:
        in_fold = np.bincount(labels[test], minlength=K)
        # Each class is spread as evenly as counts allow: within one sample of count / n_splits,
        # so its share in a fold stays within 1 / n_splits of its share in the whole.
        assert np.all(np.abs(in_fold - counts / n_splits) < 1)
        share = in_fold / len(test)
        assert np.all(np.abs(share - whole) <= 1 / n_splits + 1e-12)


def test_get_n_splits_repr_and_check_cv():
    cv = SoftStratifiedKFold(n_splits=3)
    assert cv.get_n_splits() == 3
    assert repr(cv) == "SoftStratifiedKFold(n_splits=3, random_state=None, shuffle=False)"
    assert check_cv(cv, np.eye(3)[[0, 1, 2, 0]], classifier=True) is cv


def test_splitter_errors():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="y contains NaN in row 2"):
        list(SoftStratifiedKFold(2).split(X, [[1, 0], [0, 1], [np.nan, 1], [0, 1]]))
    with pytest.raises(ValueError, match="Row 0 of y sums to 1.5"):
        list(SoftStratifiedKFold(2).split(X, [[1, 0.5], [0, 1], [1, 0], [0, 1]]))
    with pytest.raises(ValueError, match="y has 3 rows"):
        list(SoftStratifiedKFold(2).split(X, [[1, 0], [0, 1], [1, 0]]))
    with pytest.raises(ValueError, match="n_splits=3 cannot be greater"):
        list(SoftStratifiedKFold(3).split(X, [[1, 0], [0, 1], [1, 0], [0, 1]]))


# ------------------------------------------------------------- model selection on soft y
def test_grid_search_picks_the_right_C():
    X, Y = soft_problem(n=400, seed=3)
    grid = GridSearchCV(
        SoftLabelLogisticRegression(),
        {"C": [1e-4, 1e-3, 1e-2, 100.0]},
        scoring=neg_soft_log_loss_scorer,
        cv=SoftStratifiedKFold(n_splits=4, shuffle=True, random_state=0),
    )
    grid.fit(X, Y)
    # The soft labels are exactly the model's probabilities at the true weights: the least
    # penalized model is best, and its held-out cross-entropy nearly reaches the labels'
    # own entropy, the smallest any model can have.
    assert grid.best_params_ == {"C": 100.0}
    scores = grid.cv_results_["mean_test_score"]
    assert np.all(np.diff(scores) > 0)
    assert -grid.best_score_ == pytest.approx(entropy(Y, axis=1).mean(), abs=0.02)


def test_cross_validate_with_several_scorers_matches_the_metrics():
    X, Y = soft_problem(n=150, seed=4, scale=1.0)
    cv = SoftStratifiedKFold(n_splits=3, shuffle=True, random_state=0)
    est = SoftLabelLogisticRegression(C=0.5)
    scoring = {
        "log_loss": neg_soft_log_loss_scorer,
        "kl": neg_kl_divergence_scorer,
        "brier": neg_soft_brier_scorer,
    }
    result = cross_validate(est, X, Y, cv=cv, scoring=scoring)
    for i, (train, test) in enumerate(cv.split(X, Y)):
        proba = clone(est).fit(X[train], Y[train]).predict_proba(X[test])
        assert_allclose(result["test_log_loss"][i], -soft_log_loss(Y[test], proba), rtol=1e-10)
        assert_allclose(result["test_kl"][i], -kl_divergence(Y[test], proba), rtol=1e-10)
        assert_allclose(result["test_brier"][i], -soft_brier_score(Y[test], proba), rtol=1e-10)
        # The KL scorer is the cross-entropy scorer plus the fold's label entropy.
        assert_allclose(
            result["test_kl"][i] - result["test_log_loss"][i],
            entropy(Y[test], axis=1).mean(),
            rtol=1e-10,
        )


@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_cross_validate_hard_labels_fold_missing_a_class():
    # Class 2 appears twice only: with 3 plain KFold folds, one test fold lacks it, and the
    # scorer must still line its labels up with the columns of predict_proba.
    rng = np.random.RandomState(5)
    X = rng.randn(30, 2)
    y = np.r_[np.zeros(14, int), np.ones(14, int), [2, 2]]
    scores = cross_validate(
        SoftLabelLogisticRegression(), X, y, cv=3, scoring=neg_soft_log_loss_scorer
    )["test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores < 0)


def test_grid_search_pipeline_with_scaler_in_parallel():
    X, Y = soft_problem(n=300, seed=6)
    X = X * [1.0, 100.0, 0.01, 10.0] + 5  # badly scaled features
    pipe = make_pipeline(StandardScaler(), SoftLabelLogisticRegression())
    grid = GridSearchCV(
        pipe,
        {"softlabellogisticregression__C": [1e-4, 100.0]},
        scoring={"log_loss": neg_soft_log_loss_scorer, "kl": neg_kl_divergence_scorer},
        refit="kl",
        cv=SoftStratifiedKFold(n_splits=3),
        n_jobs=2,
    )
    grid.fit(X, Y)
    assert grid.best_params_ == {"softlabellogisticregression__C": 100.0}
    assert grid.score(X, Y) == pytest.approx(-kl_divergence(Y, grid.predict_proba(X)))
