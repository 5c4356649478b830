"""SoftLabelLogisticRegressionCV: the same choice and coefficients as scikit-learn's
LogisticRegressionCV on hard labels, a hand-written loop over folds and Cs on soft labels,
warm starts that pay, and the scikit-learn estimator contract."""

import inspect
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import run_estimator_check
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfuzzy_ce import SoftLabelLogisticRegression, SoftLabelLogisticRegressionCV
from skfuzzy_ce.metrics import binary_cross_entropy, neg_soft_log_loss_scorer, soft_log_loss
from skfuzzy_ce.model_selection import SoftStratifiedKFold

TIGHT = dict(solver="newton-cholesky", tol=1e-10, max_iter=1000)


def _scaled(load):
    X, y = load(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _soft_problem(n=240, d=4, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(K, d))
    Z = X @ W.T + 0.5 * rng.normal(size=(n, K))
    Y = np.exp(Z - Z.max(axis=1, keepdims=True))
    return X, Y / Y.sum(axis=1, keepdims=True)


def _hand_loop(X, Y, folds, Cs, *, l1_ratio=0.0, sample_weight=None, **params):
    """Held-out soft cross-entropies of SoftLabelLogisticRegression fitted at each C, fold
    by fold, each fit from zero: (n_folds, n_Cs)."""
    scores = np.empty((len(folds), len(Cs)))
    coefs = []
    for f, (train, test) in enumerate(folds):
        sw_train = None if sample_weight is None else sample_weight[train]
        sw_test = None if sample_weight is None else sample_weight[test]
        row = []
        for j, C in enumerate(Cs):
            model = SoftLabelLogisticRegression(C=C, l1_ratio=l1_ratio, **params)
            model.fit(X[train], Y[train], sample_weight=sw_train)
            scores[f, j] = -soft_log_loss(
                Y[test], model.predict_proba(X[test]), sample_weight=sw_test,
                labels=model.classes_,
            )  # fmt: skip
            row.append(np.hstack([model.coef_, model.intercept_[:, None]]))
        coefs.append(row)
    return scores, np.array(coefs)


# ------------------------------------------------------------ against scikit-learn
@pytest.mark.skipif(
    "use_legacy_attributes" not in inspect.signature(LogisticRegressionCV).parameters,
    reason="LogisticRegressionCV(use_legacy_attributes=...) needs scikit-learn >= 1.8",
)
@pytest.mark.parametrize("load", [load_iris, load_breast_cancer])
@pytest.mark.parametrize("weighted", [False, True])
def test_hard_labels_equal_logistic_regression_cv(load, weighted):
    X, y = _scaled(load)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    kwargs = {}
    class_weight = None
    if weighted:
        kwargs["sample_weight"] = np.random.default_rng(1).uniform(0.2, 3.0, size=len(y))
        class_weight = "balanced"
    with warnings.catch_warnings():
        # scikit-learn >= 1.9's newton-cholesky line search, at tol=1e-10 on the weighted
        # iris refit, reaches the loss's rounding floor and finishes with lbfgs (it warns,
        # then converges): the reference is still the optimum the asserts below compare to.
        warnings.filterwarnings(
            "ignore", message="Line search of Newton solver", category=ConvergenceWarning
        )
        sk = LogisticRegressionCV(
            Cs=8, l1_ratios=(0.0,), cv=cv, scoring="neg_log_loss", class_weight=class_weight,
            use_legacy_attributes=False, **TIGHT,
        ).fit(X, y, **kwargs)  # fmt: skip
    ours = SoftLabelLogisticRegressionCV(
        Cs=8, cv=cv, scoring="neg_log_loss", class_weight=class_weight, **TIGHT
    ).fit(X, y, **kwargs)
    assert isinstance(ours.C_, float) and ours.C_ == sk.C_
    assert ours.l1_ratio_ == sk.l1_ratio_ == 0.0
    assert_allclose(ours.Cs_, sk.Cs_)
    assert_allclose(ours.l1_ratios_, sk.l1_ratios_)
    assert ours.scores_.shape == sk.scores_.shape
    assert_allclose(ours.scores_, sk.scores_, rtol=1e-7, atol=1e-10)
    assert ours.coefs_paths_.shape == sk.coefs_paths_.shape
    assert_allclose(ours.coefs_paths_, sk.coefs_paths_, rtol=1e-6, atol=1e-8)
    assert_allclose(ours.coef_, sk.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-7, atol=1e-9)
    assert ours.n_iter_.shape == sk.n_iter_.shape
    assert_array_equal(ours.classes_, sk.classes_)
    assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-9)


@pytest.mark.skipif(
    "use_legacy_attributes" not in inspect.signature(LogisticRegressionCV).parameters,
    reason="LogisticRegressionCV(use_legacy_attributes=...) needs scikit-learn >= 1.8",
)
def test_refit_false_equals_logistic_regression_cv():
    X, y = _scaled(load_iris)
    cv = StratifiedKFold(3, shuffle=True, random_state=2)
    sk = LogisticRegressionCV(
        Cs=6, l1_ratios=(0.0,), cv=cv, scoring="neg_log_loss", refit=False,
        use_legacy_attributes=False, **TIGHT,
    ).fit(X, y)  # fmt: skip
    ours = SoftLabelLogisticRegressionCV(
        Cs=6, cv=cv, scoring="neg_log_loss", refit=False, **TIGHT
    ).fit(X, y)
    assert_allclose(ours.C_, sk.C_)
    assert_allclose(ours.coef_, sk.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(ours.intercept_, sk.intercept_, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------ soft labels
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"class_weight": "balanced", "weighted": True},
        {"label_smoothing": 0.1, "fit_intercept": False},
    ],
    ids=["plain", "weighted", "smoothed"],
)
def test_soft_labels_equal_a_hand_written_loop(params):
    params = dict(params)
    X, Y = _soft_problem()
    sample_weight = None
    if params.pop("weighted", False):
        sample_weight = np.random.default_rng(3).uniform(0.1, 2.0, size=len(Y))
    Cs = [0.003, 0.03, 0.3, 3.0, 30.0]
    cv = SoftStratifiedKFold(4, shuffle=True, random_state=0)
    folds = list(cv.split(X, Y))
    clf = SoftLabelLogisticRegressionCV(Cs=Cs, cv=cv, **TIGHT, **params)
    clf.fit(X, Y, sample_weight=sample_weight)
    # The hand loop's class weights are computed on each fold's training rows; the CV
    # estimator's on all rows (as scikit-learn's): give the loop those fixed weights.
    if params.get("class_weight") == "balanced":
        totals = sample_weight @ Y
        params["class_weight"] = dict(enumerate(sample_weight.sum() / (3 * totals)))
    scores, coefs = _hand_loop(X, Y, folds, Cs, sample_weight=sample_weight, **TIGHT, **params)
    assert_allclose(clf.scores_[:, 0, :], scores, rtol=1e-9, atol=1e-12)
    if not params.get("fit_intercept", True):
        coefs = coefs[..., :-1]
    assert_allclose(clf.coefs_paths_[:, 0], coefs, rtol=1e-6, atol=1e-8)
    best = int(np.argmax(scores.mean(axis=0)))
    assert clf.C_ == Cs[best]
    plain = SoftLabelLogisticRegression(C=Cs[best], **TIGHT, **params).fit(
        X, Y, sample_weight=sample_weight
    )
    assert_allclose(clf.coef_, plain.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(clf.intercept_, plain.intercept_, rtol=1e-7, atol=1e-9)
    assert_allclose(clf.predict_proba(X), plain.predict_proba(X), atol=1e-10)


def _via_the_public_scorer(estimator, X, y, sample_weight=None):
    """neg_soft_log_loss_scorer behind another name: the CV estimator scores with it as
    with any user's callable, through the scorer's own checks."""
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    return neg_soft_log_loss_scorer(estimator, X, y, **kwargs)


@pytest.mark.parametrize(
    "case",
    ["soft", "hard", "binary soft", "binary hard", "weighted", "float32", "sparse", "pandas",
     "missing class", "one-vs-rest sigmoids"],
)  # fmt: skip
def test_default_scores_are_the_public_scorers(case):
    """The default score of each point of a path (held-out labels checked once per fold,
    the clipped cross-entropy from the raw predictions in one pass) is what
    neg_soft_log_loss_scorer returns, to rounding; the fits are the same."""
    X, Y = _soft_problem(n=150, K=2 if case.startswith("binary") else 3, seed=7)
    y, params, fit = Y, {}, {}
    if case.endswith("hard"):
        y = Y.argmax(axis=1)
    if case == "weighted":
        fit["sample_weight"] = np.random.default_rng(2).uniform(0.2, 3.0, size=len(Y))
    if case == "float32":
        X = X.astype(np.float32)
    if case == "sparse":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
    if case == "pandas":
        pd = pytest.importorskip("pandas")
        X, y = pd.DataFrame(X), pd.DataFrame(Y, columns=["a", "b", "c"])
    if case == "missing class":  # class 2 only in the last rows: absent from some folds
        y = np.where(Y.argmax(axis=1) == 2, 1, Y.argmax(axis=1))
        y[-8:] = 2
    if case == "one-vs-rest sigmoids":
        params["loss"] = "binary_cross_entropy"
        y = Y.argmax(axis=1)
    Cs = [0.01, 1.0, 100.0]
    cv = KFold(3) if case == "missing class" else SoftStratifiedKFold(3)
    ours = SoftLabelLogisticRegressionCV(Cs=Cs, cv=cv, **params).fit(X, y, **fit)
    public = SoftLabelLogisticRegressionCV(
        Cs=Cs, cv=cv, scoring=_via_the_public_scorer, **params
    ).fit(X, y, **fit)
    rtol = 1e-6 if case == "float32" else 1e-13
    assert_allclose(ours.scores_, public.scores_, rtol=rtol, atol=0)
    assert_array_equal(ours.coefs_paths_, public.coefs_paths_)
    assert ours.C_ == public.C_


def test_default_scores_do_not_go_through_predict_proba(monkeypatch):
    """The default scores take the one-pass route (the equality above would hold through
    the public scorer too)."""
    X, Y = _soft_problem(n=90)

    def predict_proba(self, X):
        raise AssertionError("predict_proba called")

    monkeypatch.setattr(SoftLabelLogisticRegression, "predict_proba", predict_proba)
    SoftLabelLogisticRegressionCV(Cs=[0.1, 10.0], cv=3).fit(X, Y)
    with pytest.raises(AssertionError, match="predict_proba called"):
        SoftLabelLogisticRegressionCV(Cs=[0.1], cv=3, scoring=_via_the_public_scorer).fit(X, Y)


def test_default_scores_of_non_finite_predictions_go_to_the_scorer():
    """Predictions whose held-out score is not finite (a model with NaN coefficients) are
    scored by the public scorer, which says what is wrong."""
    from skfuzzy_ce._logistic_cv import _HeldOut

    X, Y = _soft_problem(n=60)
    model = SoftLabelLogisticRegression().fit(X, Y)
    held_out = _HeldOut(X, Y, None)
    cv = SoftLabelLogisticRegressionCV()
    assert_allclose(
        held_out.scores(cv, neg_soft_log_loss_scorer, [model]),
        [neg_soft_log_loss_scorer(model, X, Y)], rtol=1e-13,
    )  # fmt: skip
    model.coef_[0, 0] = np.nan
    with pytest.raises(ValueError, match="y_pred .*NaN"):
        held_out.scores(cv, neg_soft_log_loss_scorer, [model])


def test_elastic_net_paths_equal_a_hand_written_loop():
    X, Y = _soft_problem(n=200, d=6, seed=4)
    Cs = [0.01, 0.1, 1.0, 10.0]
    ratios = [0.0, 0.5, 1.0]
    cv = SoftStratifiedKFold(3, shuffle=True, random_state=1)
    folds = list(cv.split(X, Y))
    clf = SoftLabelLogisticRegressionCV(
        Cs=Cs, l1_ratios=ratios, cv=cv, solver="newton-cd", tol=1e-10, max_iter=1000
    ).fit(X, Y)
    assert clf.scores_.shape == (3, 3, 4)
    assert clf.coefs_paths_.shape == (3, 3, 4, 3, 7)
    means = np.empty((3, 4))
    for r, ratio in enumerate(ratios):
        scores, coefs = _hand_loop(
            X, Y, folds, Cs, l1_ratio=ratio, solver="newton-cd", tol=1e-10, max_iter=1000
        )
        assert_allclose(clf.scores_[:, r, :], scores, rtol=1e-8, atol=1e-10)
        assert_allclose(clf.coefs_paths_[:, r], coefs, rtol=1e-5, atol=1e-7)
        means[r] = scores.mean(axis=0)
    # Ties go to the first C, then the first l1_ratio, as in scikit-learn.
    c, r = np.unravel_index(np.argmax(means.T), means.T.shape)
    assert (clf.C_, clf.l1_ratio_) == (Cs[c], ratios[r])
    plain = SoftLabelLogisticRegression(
        C=Cs[c], l1_ratio=ratios[r], solver="newton-cd", tol=1e-10, max_iter=1000
    ).fit(X, Y)
    assert_allclose(clf.coef_, plain.coef_, rtol=1e-6, atol=1e-8)
    # The L1 part of the path has exact zeros at the strongest penalty.
    assert np.all(clf.coefs_paths_[:, 2, 0, :, :-1] == 0)


def test_refit_false_averages_the_folds_best():
    X, Y = _soft_problem(seed=5)
    Cs = [0.01, 0.1, 1.0, 10.0]
    clf = SoftLabelLogisticRegressionCV(Cs=Cs, l1_ratios=[0.0, 0.5], cv=3, refit=False).fit(X, Y)
    flat = clf.scores_.transpose(0, 2, 1).reshape(3, -1)
    c, r = np.unravel_index(np.argmax(flat, axis=1), (4, 2))
    best = clf.coefs_paths_[np.arange(3), r, c].mean(axis=0)
    assert_allclose(clf.coef_, best[:, :-1])
    assert_allclose(clf.intercept_, best[:, -1])
    assert clf.C_ == pytest.approx(np.mean(np.array(Cs)[c]))
    assert clf.l1_ratio_ == pytest.approx(np.mean(np.array([0.0, 0.5])[r]))


def test_warm_starts_pay():
    X, Y = _soft_problem(n=400, d=8, seed=6)
    Cs = np.logspace(-3, 3, 8)
    for solver, ratio in [("lbfgs", 0.0), ("newton-cd", 0.5)]:
        clf = SoftLabelLogisticRegressionCV(
            Cs=Cs, l1_ratios=[ratio], cv=3, solver=solver, tol=1e-6
        ).fit(X, Y)
        train, _ = next(SoftStratifiedKFold(3).split(X, Y))
        cold = [
            SoftLabelLogisticRegression(C=C, l1_ratio=ratio, solver=solver, tol=1e-6)
            .fit(X[train], Y[train])
            .n_iter_[0]
            for C in Cs
        ]
        warm = clf.n_iter_[0, 0]
        assert warm.sum() < sum(cold), (solver, warm, cold)


def test_each_warm_start_reuses_the_data_term_of_the_previous_solution(monkeypatch):
    # lbfgs's path: every C after the first starts where the previous one stopped, the
    # data term's last evaluation: remembered, not computed again.
    from skfuzzy_ce._fused_objective import FusedLinearObjective

    X, Y = _soft_problem(n=400, d=8, seed=6)
    Cs = np.logspace(-3, 3, 8)
    asked, computed = [], []
    remembered, compute = FusedLinearObjective.loss_gradient, FusedLinearObjective._loss_gradient

    def asking(self, w):
        asked.append(1)
        return remembered(self, w)

    def computing(self, w):
        computed.append(1)
        return compute(self, w)

    monkeypatch.setattr(FusedLinearObjective, "loss_gradient", asking)
    monkeypatch.setattr(FusedLinearObjective, "_loss_gradient", computing)
    clf = SoftLabelLogisticRegressionCV(Cs=Cs, cv=3, tol=1e-6).fit(X, Y)
    # 3 folds x 7 warm starts (nearly all free), the refit on all rows cold.
    assert len(asked) - len(computed) >= 3 * (len(Cs) - 1) - 3, (len(asked), len(computed))
    monkeypatch.undo()
    again = SoftLabelLogisticRegressionCV(Cs=Cs, cv=3, tol=1e-6).fit(X, Y)
    assert_array_equal(again.scores_, clf.scores_)
    assert_array_equal(again.coef_, clf.coef_)


def test_unsorted_cs_are_fitted_strongest_penalty_first():
    X, Y = _soft_problem(seed=7)
    Cs = [1.0, 0.01, 100.0, 0.1]
    clf = SoftLabelLogisticRegressionCV(Cs=Cs, cv=3, **TIGHT).fit(X, Y)
    assert_array_equal(clf.Cs_, Cs)
    order = np.argsort(Cs)
    ref = SoftLabelLogisticRegressionCV(Cs=np.array(Cs)[order], cv=3, **TIGHT).fit(X, Y)
    assert_allclose(clf.scores_[..., order], ref.scores_, rtol=1e-12)
    assert_array_equal(clf.n_iter_[..., order], ref.n_iter_)
    assert clf.C_ == ref.C_


def test_default_grid_and_folds():
    X, Y = _soft_problem(seed=8)
    clf = SoftLabelLogisticRegressionCV().fit(X, Y)
    assert_allclose(clf.Cs_, np.logspace(-4, 4, 10))
    assert_array_equal(clf.l1_ratios_, [0.0])
    assert clf.scores_.shape == (5, 1, 10) and clf.n_iter_.shape == (5, 1, 10)
    assert clf.coefs_paths_.shape == (5, 1, 10, 3, 5)
    folds = list(SoftStratifiedKFold(5).split(X, Y))
    scores, _ = _hand_loop(X, Y, folds[:1], [clf.Cs_[4]])
    assert_allclose(clf.scores_[0, 0, 4], scores[0, 0], rtol=1e-4)
    # An int cv is a SoftStratifiedKFold with that many folds.
    assert SoftLabelLogisticRegressionCV(Cs=2, cv=3).fit(X, Y).scores_.shape == (3, 1, 2)


def test_n_jobs_gives_identical_results():
    X, Y = _soft_problem(n=300, seed=9)
    params = dict(Cs=[0.01, 1.0, 100.0], l1_ratios=[0.0, 0.7], cv=3)
    one = SoftLabelLogisticRegressionCV(n_jobs=1, **params).fit(X, Y)
    two = SoftLabelLogisticRegressionCV(n_jobs=2, **params).fit(X, Y)
    for name in ("scores_", "coefs_paths_", "n_iter_", "coef_", "intercept_"):
        assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)
    assert (one.C_, one.l1_ratio_) == (two.C_, two.l1_ratio_)


def _record_paths(monkeypatch, cores=2):
    """Run the CV as if on ``cores`` cores; returns a list that each path appends its
    (thread ident, kernel threads of its data term) to."""
    import threading

    from skfuzzy_ce import _logistic_cv, _threads

    monkeypatch.setattr(_logistic_cv, "available_cores", lambda: cores)
    monkeypatch.setattr(_threads, "available_cores", lambda: cores)  # caps n_threads
    seen = []
    path = _logistic_cv._path

    def recording(cv_estimator, rows, train, *args):
        data, _ = rows.data_term(train)
        seen.append((threading.get_ident(), data.n_threads))
        return path(cv_estimator, rows, train, *args)

    monkeypatch.setattr(_logistic_cv, "_path", recording)
    return seen


def test_default_paths_run_side_by_side_in_threads_with_identical_results(monkeypatch):
    X, Y = _soft_problem(n=400, d=6, K=4, seed=9)
    params = dict(Cs=[0.01, 1.0, 100.0], l1_ratios=[0.0, 0.5], cv=3)
    sequential = SoftLabelLogisticRegressionCV(n_threads=1, **params).fit(X, Y)
    seen = _record_paths(monkeypatch)
    threaded = SoftLabelLogisticRegressionCV(**params).fit(X, Y)
    assert len(seen) == 6 and {n for _, n in seen} == {1}  # one kernel thread per path
    assert len({ident for ident, _ in seen}) == 2  # two paths at a time
    for name in ("scores_", "coefs_paths_", "n_iter_", "coef_", "intercept_"):
        assert_array_equal(getattr(sequential, name), getattr(threaded, name), err_msg=name)
    assert (sequential.C_, sequential.l1_ratio_) == (threaded.C_, threaded.l1_ratio_)


def test_paths_side_by_side_say_when_a_fit_stopped_short(monkeypatch):
    X, Y = _soft_problem(n=300, seed=4)
    seen = _record_paths(monkeypatch)
    with pytest.warns(ConvergenceWarning) as record:
        SoftLabelLogisticRegressionCV(Cs=[0.1, 10.0], cv=3, max_iter=1, tol=1e-12).fit(X, Y)
    assert len({ident for ident, _ in seen}) == 2  # the warnings came from the threads
    assert sum(issubclass(w.category, ConvergenceWarning) for w in record) >= 6


def test_paths_follow_the_users_threads_jobs_and_large_data(monkeypatch):
    import threading

    from joblib import parallel_config

    from skfuzzy_ce import _logistic_cv

    X, Y = _soft_problem(n=200, seed=3)
    params = dict(Cs=[0.1, 10.0], cv=3)
    main = threading.get_ident()
    seen = _record_paths(monkeypatch)
    SoftLabelLogisticRegressionCV(n_threads=2, **params).fit(X, Y)  # the user's kernel threads
    assert seen == [(main, 2)] * 3
    seen.clear()
    SoftLabelLogisticRegressionCV(n_jobs=1, **params).fit(X, Y)  # the user's one job
    assert [ident for ident, _ in seen] == [main] * 3
    seen.clear()
    # The user's joblib context: its jobs, each path's kernels with the default threads
    # (here 2: every problem counts as big enough for two).
    from skfuzzy_ce import _threads

    monkeypatch.setattr(_threads, "_WORK_PER_THREAD", 1)
    with parallel_config(backend="threading", n_jobs=2):
        SoftLabelLogisticRegressionCV(**params).fit(X, Y)
    assert len(seen) == 3 and {n for _, n in seen} == {2}
    seen.clear()
    monkeypatch.setattr(_logistic_cv, "_PATH_THREADS_MAX_BYTES", X.nbytes - 1)
    SoftLabelLogisticRegressionCV(**params).fit(X, Y)  # too large: one path at a time
    assert [ident for ident, _ in seen] == [main] * 3
    seen.clear()
    monkeypatch.setattr(_logistic_cv, "available_cores", lambda: 1)
    monkeypatch.setattr(_logistic_cv, "_PATH_THREADS_MAX_BYTES", 2**28)
    SoftLabelLogisticRegressionCV(**params).fit(X, Y)  # one core: one path at a time
    assert [ident for ident, _ in seen] == [main] * 3


# ------------------------------------------------------------ targets and inputs
def test_binary_soft_labels_and_hard_labels():
    X, Y = _soft_problem(K=2, seed=10)
    clf = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(X, Y[:, 1])  # 1-D P(class 1)
    assert clf.coef_.shape == (1, 4) and clf.coefs_paths_.shape == (3, 1, 3, 1, 5)
    matrix = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(X, Y)
    assert_allclose(clf.scores_, matrix.scores_, rtol=1e-10)
    labels = np.array(["no", "yes"])[(Y[:, 1] > 0.5).astype(int)]
    hard = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(X, labels)
    assert_array_equal(hard.classes_, ["no", "yes"])
    assert set(hard.predict(X)) <= {"no", "yes"}


def test_multilabel_binary_cross_entropy():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(150, 3))
    Y = 1 / (1 + np.exp(-(X @ rng.normal(size=(3, 2)))))  # two independent columns
    Cs = [0.01, 1.0, 100.0]
    clf = SoftLabelLogisticRegressionCV(
        Cs=Cs, cv=3, loss="binary_cross_entropy", **TIGHT
    ).fit(X, Y)
    assert clf.coef_.shape == (2, 3)
    assert clf.predict(X).shape == (150, 2)
    for f, (train, test) in enumerate(KFold(3).split(X)):
        for j, C in enumerate(Cs):
            model = SoftLabelLogisticRegression(C=C, loss="binary_cross_entropy", **TIGHT)
            model.fit(X[train], Y[train])
            expected = -binary_cross_entropy(Y[test], model.predict_proba(X[test]))
            assert clf.scores_[f, 0, j] == pytest.approx(expected, rel=1e-9)
    assert clf.score(X, Y) == pytest.approx(-binary_cross_entropy(Y, clf.predict_proba(X)))


def test_sparse_equals_dense():
    X, Y = _soft_problem(seed=12)
    X[np.abs(X) < 0.7] = 0.0
    params = dict(Cs=[0.1, 10.0], l1_ratios=[0.0, 0.5], cv=3, solver="newton-cd", tol=1e-10)
    dense = SoftLabelLogisticRegressionCV(**params).fit(X, Y)
    sparse = SoftLabelLogisticRegressionCV(**params).fit(sp.csr_matrix(X), Y)
    assert_allclose(sparse.scores_, dense.scores_, rtol=1e-9)
    assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(sparse.predict_proba(sp.csr_matrix(X)), dense.predict_proba(X), atol=1e-9)


def test_pandas_inputs():
    pd = pytest.importorskip("pandas")
    X, Y = _soft_problem(seed=13)
    Xdf = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    Ydf = pd.DataFrame(Y, columns=["cat", "dog", "eel"])
    clf = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(Xdf, Ydf)
    assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    assert_array_equal(clf.classes_, ["cat", "dog", "eel"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(clf.predict(Xdf)) <= {"cat", "dog", "eel"}
    ref = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(X, Y)
    assert_allclose(clf.scores_, ref.scores_)
    assert_allclose(clf.predict_proba(Xdf), ref.predict_proba(X))
    series = pd.Series(np.array(["x", "y", "z"])[np.argmax(Y, axis=1)])
    hard = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(Xdf, series)
    assert_array_equal(hard.classes_, ["x", "y", "z"])


def test_classes_parameter_and_float32():
    X, Y = _soft_problem(seed=14)
    y = np.argmax(Y, axis=1)
    clf = SoftLabelLogisticRegressionCV(Cs=2, cv=3, classes=[0, 1, 2, 3]).fit(X, y)
    assert_array_equal(clf.classes_, [0, 1, 2, 3])
    assert clf.coefs_paths_.shape[3] == 4 and clf.predict_proba(X).shape == (240, 4)
    c32 = SoftLabelLogisticRegressionCV(Cs=2, cv=3).fit(X.astype(np.float32), Y)
    assert c32.coef_.dtype == np.float32 and c32.predict_proba(X.astype(np.float32)).dtype == (
        np.float32
    )


def test_scoring_strings_and_callables():
    X, Y = _soft_problem(seed=15)
    y = np.argmax(Y, axis=1)

    def accuracy(estimator, X, y):
        return float(np.mean(estimator.predict(X) == y))

    by_callable = SoftLabelLogisticRegressionCV(Cs=3, cv=3, scoring=accuracy).fit(X, y)
    by_string = SoftLabelLogisticRegressionCV(Cs=3, cv=3, scoring="accuracy").fit(X, y)
    assert_allclose(by_callable.scores_, by_string.scores_)
    assert np.all((by_string.scores_ >= 0) & (by_string.scores_ <= 1))
    assert by_string.score(X, y) == pytest.approx(np.mean(by_string.predict(X) == y))


def test_neg_log_loss_on_soft_labels_is_a_clear_error():
    X, Y = _soft_problem(seed=16)
    with pytest.raises(ValueError, match="soft-label targets.*neg_soft_log_loss_scorer"):
        SoftLabelLogisticRegressionCV(Cs=2, cv=3, scoring="neg_log_loss").fit(X, Y)


def test_score_is_the_scoring():
    X, Y = _soft_problem(seed=17)
    clf = SoftLabelLogisticRegressionCV(Cs=3, cv=3).fit(X, Y)
    assert clf.score(X, Y) == pytest.approx(-soft_log_loss(Y, clf.predict_proba(X)))


def test_verbose_prints_the_path(capsys):
    X, Y = _soft_problem(seed=18)
    SoftLabelLogisticRegressionCV(Cs=2, cv=2, verbose=1).fit(X, Y)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "CV]" in ln]
    assert len(lines) == 4
    assert "fold 2/2" in lines[-1] and "C=1e+04 (2/2)" in lines[-1] and "score" in lines[-1]


def test_sparsify_and_pickle():
    X, Y = _soft_problem(seed=19)
    clf = SoftLabelLogisticRegressionCV(Cs=3, l1_ratios=[1.0], cv=3).fit(X, Y)
    again = pickle.loads(pickle.dumps(clf))
    assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(again.scores_, clf.scores_)
    assert again.score(X, Y) == clf.score(X, Y)
    proba = clf.predict_proba(X)
    assert sp.issparse(clf.sparsify().coef_)
    assert_allclose(clf.predict_proba(X), proba)
    assert not sp.issparse(clf.densify().coef_)


def test_grid_search_over_l1_ratios():
    X, Y = _soft_problem(n=180, seed=20)
    search = GridSearchCV(
        SoftLabelLogisticRegressionCV(Cs=[0.1, 10.0], cv=3),
        {"l1_ratios": [(0.0,), (0.5,), (1.0,)]},
        cv=SoftStratifiedKFold(3),
        error_score="raise",
    ).fit(X, Y)
    assert search.best_params_["l1_ratios"] in [(0.0,), (0.5,), (1.0,)]
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_.l1_ratio_ == search.best_params_["l1_ratios"][0]


@pytest.mark.parametrize(
    "params, match",
    [
        ({"Cs": []}, "Cs must be"),
        ({"Cs": [1.0, 0.0]}, r"C must be > 0.*Cs\[1\]"),
        ({"Cs": [-1.0]}, "C must be > 0"),
        ({"Cs": [np.nan]}, "C must be > 0"),
        ({"Cs": 0}, "Cs"),
        ({"l1_ratios": []}, "l1_ratios must be"),
        ({"l1_ratios": [0.5, 1.5]}, r"l1_ratio must be in \[0, 1\].*l1_ratios\[1\]"),
        ({"l1_ratios": [-0.1]}, r"l1_ratio must be in \[0, 1\]"),
        ({"l1_ratios": [0.5], "solver": "lbfgs"}, "newton-cd"),
    ],
)
def test_invalid_grids(params, match):
    X, Y = _soft_problem(n=60, seed=21)
    with pytest.raises(ValueError, match=match):
        SoftLabelLogisticRegressionCV(**params).fit(X, Y)


def test_no_penalty_in_the_grid():
    X, y = _scaled(load_iris)
    clf = SoftLabelLogisticRegressionCV(Cs=[0.1, np.inf], cv=3, **TIGHT).fit(X, y)
    assert clf.Cs_[1] == np.inf and np.all(np.isfinite(clf.scores_))


@parametrize_with_checks(
    [
        SoftLabelLogisticRegressionCV(Cs=3, cv=3),
        # Not Cs=2 (C=1e-4 first): at so strong an L1 penalty the start, zero, is already
        # the solution, and that fit honestly reports 0 iterations, which the n_iter_
        # check (>= 1) does not expect.
        SoftLabelLogisticRegressionCV(Cs=[0.1, 10.0], l1_ratios=(0.0, 0.5), cv=2),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    run_estimator_check(check, estimator)
