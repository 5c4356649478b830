"""SoftLabelLogisticRegression against independent references."""

import pickle
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfuzzy_ce import SoftLabelLogisticRegression
from skfuzzy_ce._fused_objective import FusedLinearObjective

# The exact optimum on both sides: Newton's method reaches tol=1e-10 (L-BFGS-B stops on its
# relative-reduction test near 1e-9, and ours then warns).
TIGHT = dict(solver="newton-cholesky", tol=1e-10, max_iter=100)


def _standardized(loader):
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _soft_problem(n=200, d=4, K=3, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d).astype(dtype)
    W = rng.randn(K, d)
    logits = X @ W.T + rng.randn(K)
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    # Soft labels: noisy versions of the true probabilities, renormalized by hand here.
    Y = np.array([rng.dirichlet(1 + 20 * p) for p in P])
    return X, Y.astype(dtype)


def _duplicate(X, Y, sample_weight=None):
    """The derivation's data set, written out independently of the package."""
    n, K = Y.shape
    s = np.ones(n) if sample_weight is None else sample_weight
    X_rep = np.vstack([X] * K)
    y_rep = np.repeat(np.arange(K), n)
    w_rep = (s[None, :] * Y.T).ravel()
    return X_rep, y_rep, w_rep


# --------------------------------------------------------------- hard labels
@pytest.mark.parametrize("loader", [load_iris, load_wine, load_breast_cancer])
@pytest.mark.parametrize("C", [0.01, 0.1, 1.0, 10.0])
def test_hard_labels_equal_logistic_regression(loader, C):
    X, y = _standardized(loader)
    ref = LogisticRegression(C=C, **TIGHT).fit(X, y)
    est = SoftLabelLogisticRegression(C=C, **TIGHT).fit(X, y)
    assert est.coef_.shape == ref.coef_.shape
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-5)
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))
    # Relative: breast_cancer at C=10 is ill-conditioned; both solvers stop within ~1e-5 of
    # the optimum (checked against a Newton polish), at objectives equal to 1e-12.
    np.testing.assert_allclose(
        est.decision_function(X), ref.decision_function(X), rtol=1e-5, atol=1e-5
    )


def test_default_tolerance_follows_the_same_path_as_logistic_regression():
    X, y = _standardized(load_wine)
    ref = LogisticRegression().fit(X, y)
    est = SoftLabelLogisticRegression().fit(X, y)
    assert est.n_iter_[0] == ref.n_iter_[0]
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


def test_string_labels_and_no_intercept():
    X, y = _standardized(load_iris)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    ref = LogisticRegression(fit_intercept=False, **TIGHT).fit(X, names)
    est = SoftLabelLogisticRegression(fit_intercept=False, **TIGHT).fit(X, names)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(est.intercept_, 0.0)
    assert est.classes_.tolist() == ref.classes_.tolist()
    assert est.score(X, names) == ref.score(X, names)


@pytest.mark.parametrize("class_weight", [{0: 2.0, 1: 0.5, 2: 1.0}, "balanced"])
def test_hard_labels_with_class_and_sample_weight_equal_logistic_regression(class_weight):
    X, y = _standardized(load_wine)
    sw = np.random.RandomState(0).uniform(0.2, 3, size=len(y))
    ref = LogisticRegression(class_weight=class_weight, **TIGHT).fit(X, y, sw)
    est = SoftLabelLogisticRegression(class_weight=class_weight, **TIGHT).fit(X, y, sw)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-6)


def test_no_penalty():
    X, y = _standardized(load_iris)
    X = X[:, :2]
    ref = LogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    est = SoftLabelLogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-6)


# --------------------------------------------------------------- soft labels
@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("class_weight", [None, "dict", "balanced"])
def test_soft_labels_equal_the_duplicated_weighted_data_set(C, K, class_weight):
    X, Y = _soft_problem(K=K, seed=K)
    sw = np.random.RandomState(7).uniform(0.5, 2, size=len(X))
    cw = {k: 1.0 + k for k in range(K)} if class_weight == "dict" else class_weight
    est = SoftLabelLogisticRegression(C=C, class_weight=cw, **TIGHT).fit(X, Y, sw)
    X_rep, y_rep, w_rep = _duplicate(X, Y, sw)
    ref = LogisticRegression(C=C, class_weight=cw, **TIGHT).fit(X_rep, y_rep, w_rep)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.intercept_, ref.intercept_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_fractional_binary_equals_unpenalized_binomial_glm():
    sm = pytest.importorskip("statsmodels.api")  # in the test extra
    rng = np.random.RandomState(3)
    X = rng.randn(300, 3)
    p = 1 / (1 + np.exp(-(X @ [1.0, -2.0, 0.5] + 0.3)))
    y = np.clip(p + 0.1 * rng.randn(300), 0.01, 0.99)  # fractional targets in (0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels notes non-integer binomial counts
        glm = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial()).fit(tol=1e-12)
    est = SoftLabelLogisticRegression(C=np.inf, **TIGHT).fit(X, y)
    np.testing.assert_allclose(est.intercept_[0], glm.params[0], rtol=1e-6)
    np.testing.assert_allclose(est.coef_[0], glm.params[1:], rtol=1e-6)
    assert est.classes_.tolist() == [0, 1]


def test_intercept_only_predicts_weighted_mean_of_soft_labels():
    """The p = q stationary point: with no features to use, p is the mean target."""
    rng = np.random.RandomState(0)
    Y = rng.dirichlet([1, 2, 3], size=50)
    sw = rng.uniform(0.1, 5, size=50)
    X = np.zeros((50, 1))
    est = SoftLabelLogisticRegression(**TIGHT).fit(X, Y, sample_weight=sw)
    expected = sw @ Y / sw.sum()
    np.testing.assert_allclose(est.predict_proba(X[:1])[0], expected, rtol=1e-7)
    est2 = SoftLabelLogisticRegression(**TIGHT).fit(X, Y[:, :2] / Y[:, :2].sum(1, keepdims=True))
    np.testing.assert_allclose(
        est2.predict_proba(X[:1])[0, 1], np.mean(Y[:, 1] / Y[:, :2].sum(1)), rtol=1e-7
    )


def test_integer_sample_weight_equals_repetition():
    X, Y = _soft_problem(n=60, seed=4)
    sw = np.random.RandomState(0).randint(0, 4, size=60)
    a = SoftLabelLogisticRegression(**TIGHT).fit(X, Y, sample_weight=sw)
    idx = np.repeat(np.arange(60), sw)
    b = SoftLabelLogisticRegression(**TIGHT).fit(X[idx], Y[idx])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-8)


def test_one_hot_matrix_equals_hard_labels():
    X, y = _standardized(load_iris)
    a = SoftLabelLogisticRegression(**TIGHT).fit(X, np.eye(3)[y])
    b = SoftLabelLogisticRegression(**TIGHT).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)


def test_label_smoothing_equals_mixing_by_hand():
    X, Y = _soft_problem(seed=5)
    eps = 0.2
    a = SoftLabelLogisticRegression(label_smoothing=eps, **TIGHT).fit(X, Y)
    b = SoftLabelLogisticRegression(**TIGHT).fit(X, (1 - eps) * Y + eps / 3)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-12)


# ----------------------------------------------------- the kernels and gradient
def _objective(est, X, Y, sw=None):
    return est._make_objective(X, Y, sw, reset=True)[1]


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-6), (np.float32, 2e-2)])
@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("K", [2, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_gradient_equals_finite_differences(dtype, rtol, n_threads, K, sparse):
    X, Y = _soft_problem(n=80, d=3, K=K, seed=K, dtype=dtype)
    if sparse:
        X[np.abs(X) < 0.7] = 0
        X = sp.csr_matrix(X)
    sw = np.random.RandomState(1).uniform(0.5, 2, 80)
    est = SoftLabelLogisticRegression(
        C=0.7, n_threads=n_threads, class_weight={k: 1 + 0.5 * k for k in range(K)}
    )
    obj = _objective(est, X, Y, sw)
    w = np.random.RandomState(2).randn(obj.n_params)
    loss, grad = obj(w)
    grad = grad.copy()
    h = 1e-6 if dtype == np.float64 else 1e-2
    fd = np.empty_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e[j] = h
        fd[j] = (obj(w + e)[0] - obj(w - e)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=rtol, atol=rtol * 1e-2)


def test_result_does_not_depend_on_thread_count():
    X, Y = _soft_problem(n=500, d=5, K=4, seed=9)
    fits = [SoftLabelLogisticRegression(n_threads=t, **TIGHT).fit(X, Y) for t in (1, 2, 3)]
    for other in fits[1:]:
        np.testing.assert_allclose(other.coef_, fits[0].coef_, rtol=1e-10, atol=1e-12)


def _row_losses(raw, Y, sw, cw):
    """Each row's loss and gradient w.r.t. its raw predictions, through the fused kernel:
    one objective per row, X = [[1]] and the coefficients the row's raw predictions."""
    raw = np.asarray(raw).reshape(len(Y), -1)
    one = np.ones((1, 1), dtype=raw.dtype)
    loss, g = np.empty(len(Y)), np.empty(raw.shape)
    for i in range(len(Y)):
        obj = FusedLinearObjective(
            one, Y[i : i + 1], sw[i : i + 1], cw, n_outputs=raw.shape[1], fit_intercept=False
        )
        loss[i], g[i] = obj.loss_gradient(raw[i].astype(np.float64))
    return loss, g


def test_kernels_are_stable_for_huge_logits():
    raw = np.array([[1e4, -1e4, 0.0], [-800.0, 800.0, 799.0]])
    Y = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    sw, cw = np.ones(2), np.ones(3)
    loss, g = _row_losses(raw, Y, sw, cw)
    lse = 800 + np.log1p(np.exp(-1.0))  # exp(-1600) underflows to nothing
    np.testing.assert_allclose(loss, [2e4, 0.5 * (lse + 800) + 0.5 * (lse - 799)])
    assert np.isfinite(g).all()
    np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-12)
    # 0 log 0 = 0: a zero target on a class with probability exp(-2e4) adds nothing.
    raw1 = np.array([1e4, -1e4, 0.0, 40.0])
    Y1 = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    loss1, g1 = _row_losses(raw1, Y1, np.ones(4), np.ones(2))
    g1 = g1[:, 0]
    np.testing.assert_allclose(loss1, [0, 0, np.log(2), np.log1p(np.exp(-40))], atol=1e-300)
    np.testing.assert_allclose(g1, [0, 0, 0, -1 / (1 + np.exp(40))], atol=1e-15)


def test_kernel_accepts_read_only_inputs():
    raw = np.zeros((3, 2), dtype=np.float32)
    Y = np.full((3, 2), 0.5, dtype=np.float32)
    sw, cw = np.ones(3), np.ones(2)
    for a in (raw, Y, sw, cw):
        a.flags.writeable = False
    loss, _ = _row_losses(raw, Y, sw, cw)
    np.testing.assert_allclose(loss, np.log(2), rtol=1e-6)


# ---------------------------------------------------------- data formats
def test_sparse_float32_and_readonly_memmap_agree_with_dense(tmp_path):
    X, Y = _soft_problem(n=150, d=6, K=3, seed=11)
    X[np.abs(X) < 0.5] = 0
    dense = SoftLabelLogisticRegression(**TIGHT).fit(X, Y)
    sparse = SoftLabelLogisticRegression(**TIGHT).fit(sp.csr_matrix(X), Y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    f32 = SoftLabelLogisticRegression(tol=1e-4).fit(X.astype(np.float32), Y.astype(np.float32))
    np.testing.assert_allclose(f32.coef_, dense.coef_, rtol=1e-3, atol=1e-3)
    path = tmp_path / "X.npy"
    np.save(path, X)
    Xm = np.load(path, mmap_mode="r")
    Ym = Y.copy()
    Ym.flags.writeable = False
    mm = SoftLabelLogisticRegression(**TIGHT).fit(Xm, Ym)
    np.testing.assert_allclose(mm.coef_, dense.coef_, rtol=1e-12)


def test_pandas_inputs_feature_names_and_class_columns():
    pd = pytest.importorskip("pandas")
    X, Y = _soft_problem(n=50, d=2, K=3)
    Xdf = pd.DataFrame(X, columns=["a", "b"])
    Ydf = pd.DataFrame(Y, columns=["cat", "dog", "eel"])
    est = SoftLabelLogisticRegression().fit(Xdf, Ydf)
    assert est.classes_.tolist() == ["cat", "dog", "eel"]
    assert est.feature_names_in_.tolist() == ["a", "b"]
    assert set(est.predict(Xdf)) <= {"cat", "dog", "eel"}
    est = SoftLabelLogisticRegression(classes=["x", "y", "z"]).fit(X, Y)
    assert est.classes_.tolist() == ["x", "y", "z"]


def test_near_separable_scaled_data_stays_finite():
    X, y = _standardized(load_breast_cancer)
    X = X * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = SoftLabelLogisticRegression(C=1e6).fit(X, y)
    assert np.isfinite(est.coef_).all() and np.isfinite(est.intercept_).all()
    P = est.predict_proba(X)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert np.isfinite(est.predict_log_proba(X)).all()


def test_predict_log_proba_is_stable_and_consistent():
    X, Y = _soft_problem(K=3)
    est = SoftLabelLogisticRegression().fit(X, Y)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)), est.predict_proba(X))
    est.coef_ = est.coef_ * 1e5
    assert np.isfinite(est.predict_log_proba(X)).all()


# ------------------------------------------------------ solver behaviour
def test_convergence_warning_and_verbose(capsys):
    X, Y = _soft_problem(n=200, d=5, K=4, seed=2)
    with pytest.warns(ConvergenceWarning, match="^lbfgs failed to converge"):
        SoftLabelLogisticRegression(max_iter=2).fit(X, Y)
    for solver in ["lbfgs", "newton-cholesky", "newton-cd"]:
        est = SoftLabelLogisticRegression(solver=solver, verbose=1).fit(X, Y)
        lines = [ln for ln in capsys.readouterr().out.splitlines() if "iteration" in ln]
        assert len(lines) == est.n_iter_[0] > 0
        assert re.search(
            rf"\[{solver}\] iteration\s+1\s+objective [0-9.e+-]+\s+optimality [0-9.e+-]+",
            lines[0],
        )


def test_warm_start_continues_from_previous_solution():
    X, Y = _soft_problem(seed=3)
    est = SoftLabelLogisticRegression(warm_start=True, **TIGHT).fit(X, Y)
    est.fit(X, Y)
    assert est.n_iter_[0] <= 1
    cold = SoftLabelLogisticRegression(**TIGHT).fit(X, Y)
    np.testing.assert_allclose(est.coef_, cold.coef_, rtol=1e-6, atol=1e-8)


def test_score_accepts_soft_and_hard_targets():
    X, Y = _soft_problem(seed=6)
    est = SoftLabelLogisticRegression().fit(X, Y)
    hard = Y.argmax(axis=1)
    assert est.score(X, Y) == est.score(X, hard) == np.mean(est.predict(X) == hard)


def test_grid_search_pipeline_n_jobs_with_memmapped_data_and_pickle():
    # ~4.8 MB of X: joblib hands it to the workers as a read-only memory map.
    X, Y = _soft_problem(n=3000, d=200, K=3, seed=8)
    pipe = make_pipeline(StandardScaler(), SoftLabelLogisticRegression())
    search = GridSearchCV(pipe, {"softlabellogisticregression__C": [0.01, 1.0]}, cv=3, n_jobs=2)
    search.fit(X, Y)
    assert search.best_params_["softlabellogisticregression__C"] in (0.01, 1.0)
    clone = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(clone.predict_proba(X), search.best_estimator_.predict_proba(X))


@pytest.mark.parametrize(
    "params, match",
    [
        ({"C": 0}, "'C' parameter"),
        ({"label_smoothing": 1.5}, "'label_smoothing' parameter"),
        ({"loss": "hinge"}, "'loss' parameter"),
        ({"class_weight": {7: 2.0}}, r"class_weight has keys \[7\]"),
    ],
)
def test_bad_parameters(params, match):
    X, Y = _soft_problem(n=20)
    with pytest.raises(ValueError, match=match):
        SoftLabelLogisticRegression(**params).fit(X, Y)


def test_nan_in_X_and_wrong_length():
    X, Y = _soft_problem(n=20)
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        SoftLabelLogisticRegression().fit(X, Y)
    X[3, 1] = 0
    with pytest.raises(ValueError, match="y has 19 rows but X has 20 samples"):
        SoftLabelLogisticRegression().fit(X, Y[:19])


# ------------------------------------------------------- property tests
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), K=st.integers(2, 4))
def test_property_row_permutation_invariance(seed, K):
    X, Y = _soft_problem(n=40, d=3, K=K, seed=seed)
    perm = np.random.RandomState(seed).permutation(40)
    a = SoftLabelLogisticRegression(**TIGHT).fit(X, Y)
    b = SoftLabelLogisticRegression(**TIGHT).fit(X[perm], Y[perm])
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-6, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    weights=st.lists(st.integers(0, 3), min_size=12, max_size=12),
)
def test_property_sample_weight_is_repetition(seed, weights):
    X, Y = _soft_problem(n=12, d=2, K=3, seed=seed)
    sw = np.asarray(weights)
    if sw.sum() == 0:
        sw[0] = 1
    idx = np.repeat(np.arange(12), sw)
    a = SoftLabelLogisticRegression(**TIGHT).fit(X, Y, sample_weight=sw)
    b = SoftLabelLogisticRegression(**TIGHT).fit(X[idx], Y[idx])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), K=st.integers(2, 5))
def test_property_one_hot_equals_hard(seed, K):
    rng = np.random.RandomState(seed)
    X = rng.randn(30, 3)
    y = np.arange(30) % K
    rng.shuffle(y)
    a = SoftLabelLogisticRegression(**TIGHT).fit(X, np.eye(K)[y])
    b = SoftLabelLogisticRegression(**TIGHT).fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-10)
