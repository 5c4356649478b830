"""Issue 15, hostile inputs: degenerate results, valid input refused, unclear errors.

Each test names the point it holds; the fuzz-like points also have a hypothesis property
that finds the original failure.
"""


import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import small_problem as _problem
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import DataConversionWarning
from sklearn.frozen import FrozenEstimator

from skfuzzy_ce import (
    ContinuousBernoulliRegression,
    DistillationClassifier,
    SoftLabelLogisticRegression,
    WeightedHardClassifier,
    soft_labels_from_counts,
    soften,
)
from skfuzzy_ce._targets import check_soft_targets, scale_weights
from skfuzzy_ce.metrics import (
    binary_cross_entropy,
    continuous_bernoulli_log_loss,
    kl_divergence,
    soft_brier_score,
    soft_log_loss,
)


# -------------------------------------------------- silent acceptance and degenerate results
def test_soften_refuses_a_single_column():
    with pytest.raises(ValueError, match=r"one column.*np.column_stack\(\[1 - p, p\]\)"):
        soften(np.array([[1.0], [1.0]]))
    with pytest.raises(ValueError, match="one column"):
        soften(pd.DataFrame({"p": [1.0, 1.0]}))


@pytest.mark.parametrize("loss", ["cross_entropy", "binary_cross_entropy"])
@pytest.mark.parametrize("hard", [True, False], ids=["labels", "matrix"])
def test_all_class_weights_zero_is_the_same_error_for_both_losses(loss, hard):
    X, y = _problem()
    Y = y if hard else np.eye(3)[y]
    with pytest.raises(ValueError, match="sum to zero: there is nothing to fit"):
        SoftLabelLogisticRegression(loss=loss, class_weight={0: 0, 1: 0, 2: 0}).fit(X, Y)


@pytest.mark.parametrize("classes", [["a", "a", "b"], [0, 0, 1, 2]])
def test_duplicate_classes_are_refused(classes):
    X, y = _problem()
    target = np.eye(3)[y] if isinstance(classes[0], str) else y
    with pytest.raises(ValueError, match="duplicate labels"):
        SoftLabelLogisticRegression(classes=classes).fit(X, target)
    with pytest.raises(ValueError, match="duplicate labels"):
        soft_log_loss(y, np.full((len(y), len(classes)), 1 / len(classes)), labels=classes)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=2, max_size=8).filter(lambda c: len(set(c)) < len(c)))
def test_property_classes_with_a_duplicate_are_refused(classes):
    with pytest.raises(ValueError, match="duplicate labels"):
        check_soft_targets(np.asarray(classes[:1] * 3), classes=classes)


def test_soften_at_a_vanishing_temperature_is_the_one_hot_of_the_argmax():
    P = np.array([[0.3, 0.7, 0.0], [0.6, 0.3, 0.1], [0.4, 0.4, 0.2]])
    out = soften(P, temperature=5e-324)
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 0, 0], [0.5, 0.5, 0]])  # ties: shared
    # Distillation at that temperature fits the teacher's argmax (it blamed the user's y).
    X, y = _problem()
    teacher = SoftLabelLogisticRegression().fit(X, y)
    clf = DistillationClassifier(FrozenEstimator(teacher), temperature=5e-324)
    clf.fit(X, np.full(len(y), -1))
    assert (clf.predict(X) == teacher.predict(X)).mean() > 0.9


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(0.0, 1.0), min_size=2, max_size=4).filter(lambda r: sum(r) > 0.1),
        min_size=1,
        max_size=5,
    ).filter(lambda rows: len({len(r) for r in rows}) == 1),
    st.floats(min_value=5e-324, max_value=1e-3),
)
def test_property_soften_is_finite_and_sharpens_to_the_argmax(rows, temperature):
    P = np.asarray(rows)
    P = P / P.sum(axis=1, keepdims=True)
    out = soften(P, temperature=temperature)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # Sharpening keeps the order: the largest entry of each row stays the largest.
    np.testing.assert_array_equal(out[np.arange(len(P)), P.argmax(axis=1)], out.max(axis=1))
    if temperature < 1e-300:  # 1 / T overflows: the limit, the argmax (ties share it)
        top = P == P.max(axis=1, keepdims=True)
        np.testing.assert_allclose(out, top / top.sum(axis=1, keepdims=True))


_BIG = 1e308


def test_weights_near_the_float64_maximum_give_the_unweighted_answers():
    X, y = _problem()
    n = len(y)
    Y = np.eye(3)[y]
    P = np.random.default_rng(1).dirichlet(np.ones(3), size=n)
    w = np.full(n, _BIG)
    for metric in (soft_log_loss, kl_divergence, soft_brier_score):
        assert metric(Y, P, sample_weight=w) == pytest.approx(metric(Y, P), rel=1e-12)
    assert binary_cross_entropy(Y, P, sample_weight=w) == pytest.approx(
        binary_cross_entropy(Y, P), rel=1e-12
    )
    lam = np.clip(P[:, 0], 0.01, 0.99)
    assert continuous_bernoulli_log_loss(
        Y[:, 0] * 0.5, lam, sample_weight=w
    ) == pytest.approx(continuous_bernoulli_log_loss(Y[:, 0] * 0.5, lam), rel=1e-12)
    # Fits: without a penalty the weighted model is the unweighted one; with C, the penalty
    # is relative to the (huge) total weight, so it vanishes: the unpenalized model again.
    free = SoftLabelLogisticRegression(C=np.inf).fit(X, y)
    for C in (np.inf, 1.0):
        clf = SoftLabelLogisticRegression(C=C).fit(X, y, sample_weight=w)
        assert clf.n_iter_[0] > 0
        np.testing.assert_allclose(clf.coef_, free.coef_, rtol=1e-6, atol=1e-9)
    t = (y + 0.5) / 3
    cb_free = ContinuousBernoulliRegression(C=np.inf).fit(X, t)
    cb = ContinuousBernoulliRegression(C=np.inf).fit(X, t, sample_weight=w)
    np.testing.assert_allclose(cb.coef_, cb_free.coef_, rtol=1e-6, atol=1e-9)
    # Counts: the distributions are those of the counts, the weights equal and finite.
    Yc, wc = soft_labels_from_counts(np.full((2, 3), _BIG))
    np.testing.assert_allclose(Yc, 1 / 3)
    assert np.isfinite(wc).all() and wc[0] == wc[1] > 0


def test_a_common_weight_scale_keeps_the_penalty_of_the_true_total():
    X, y = _problem()
    # Weights 2 everywhere with C=0.5 is the unit-weight model with C=1 (as in scikit-learn).
    a = SoftLabelLogisticRegression(C=0.5).fit(X, y, sample_weight=np.full(len(y), 2.0))
    b = SoftLabelLogisticRegression(C=1.0).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    w, e = scale_weights(np.full(4, _BIG), return_exponent=True)
    assert e == 1024 and np.all((0.5 <= w) & (w < 1))
    small = np.array([1.0, 3.0])
    assert scale_weights(small) is small


@settings(max_examples=40, deadline=None)
@given(
    st.floats(min_value=1e280, max_value=np.finfo(np.float64).max),
    st.lists(st.floats(0.05, 1.0), min_size=6, max_size=6),
)
def test_property_metrics_are_invariant_to_a_huge_common_weight_scale(scale, relative):
    rng = np.random.default_rng(0)
    Y = rng.dirichlet(np.ones(3), size=6)
    P = rng.dirichlet(np.ones(3), size=6)
    relative = np.asarray(relative)
    w = relative / relative.max() * scale
    for metric in (soft_log_loss, kl_divergence, soft_brier_score):
        expected = metric(Y, P, sample_weight=relative)
        assert metric(Y, P, sample_weight=w) == pytest.approx(expected, rel=1e-9)
    Yc, wc = soft_labels_from_counts(Y * scale)
    np.testing.assert_allclose(Yc, Y, rtol=1e-12)
    assert np.isfinite(wc).all()


# ------------------------------------------------------ valid input refused, unclear errors
def test_single_column_dataframe_of_labels_is_a_column_vector():
    X, y = _problem()
    with pytest.warns(DataConversionWarning):
        clf = SoftLabelLogisticRegression().fit(X, pd.DataFrame({"label": y}))
    assert clf.classes_.tolist() == [0, 1, 2]
    np.testing.assert_allclose(clf.coef_, SoftLabelLogisticRegression().fit(X, y).coef_)
    assert clf.score(X, pd.DataFrame({"label": y})) == clf.score(X, y)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["a", "b", None, "a"], dtype=object),
        np.array(["a", "b", pd.NA, "a"], dtype=object),
        pd.Series(["a", "b", pd.NA, "a"], dtype="string"),
        pd.Series(["a", "b", None, "a"]),
        pd.Series([0, 1, None, 1], dtype="Int64"),
    ],
    ids=["None", "pd.NA-object", "string-dtype", "str-None", "Int64"],
)
def test_missing_labels_get_the_row(labels):
    X, _ = _problem(n=4)
    with pytest.raises(ValueError, match="missing .*row 2"):
        SoftLabelLogisticRegression().fit(X, labels)
    with pytest.raises(ValueError, match="missing .*row 2"):
        soft_log_loss(labels, np.full((4, 2), 0.5), labels=None)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["x", "y", "z"]), min_size=2, max_size=12),
    st.data(),
    st.sampled_from([None, pd.NA, float("nan")]),
)
def test_property_a_missing_string_label_is_named_with_its_row(labels, data, missing):
    row = data.draw(st.integers(0, len(labels) - 1))
    y = np.array(labels, dtype=object)
    y[row] = missing
    y[[i for i in range(len(y)) if i != row][:1]] = "x"
    with pytest.raises(ValueError, match=f"missing label .* in row {row};"):
        check_soft_targets(y, min_classes=1)


def test_nullable_pandas_frames_are_accepted_and_missing_values_named():
    Y, w = soft_labels_from_counts(pd.DataFrame({"a": [1, 2], "b": [3, 0]}, dtype="Int64"))
    Yn, wn = soft_labels_from_counts(np.array([[1, 2], [3, 0]]).T)
    np.testing.assert_array_equal(Y, Yn)
    np.testing.assert_array_equal(w, wn)
    with pytest.raises(ValueError, match=r"counts has a missing value \(pd.NA or NaN\) in row 1"):
        soft_labels_from_counts(pd.DataFrame({"a": [1, None], "b": [3, 0]}, dtype="Int64"))
    y = pd.DataFrame({"y": [0.2, 0.5]}, dtype="Float64")
    assert continuous_bernoulli_log_loss(y, [[0.3], [0.4]]) == pytest.approx(
        continuous_bernoulli_log_loss([[0.2], [0.5]], [[0.3], [0.4]])
    )
    with pytest.raises(ValueError, match=r"y_true has a missing value \(pd.NA or NaN\) in row 1"):
        continuous_bernoulli_log_loss(pd.Series([0.2, None], dtype="Float64"), [0.3, 0.4])
    X, _ = _problem(n=3)
    soft = pd.DataFrame([[0.5, 0.5], [None, 1.0], [1.0, 0.0]], dtype="Float64")
    with pytest.raises(ValueError, match=r"missing value \(pd.NA or NaN\) in row 1"):
        SoftLabelLogisticRegression().fit(X, soft)
    # A nullable column beside a numpy one; a 2-D object array with None.
    a = pd.array([0.5, None, 1.0], dtype="Float64")
    mixed = pd.DataFrame({"a": a, "b": [0.5, 1.0, 0.0]})
    with pytest.raises(ValueError, match=r"\(pd.NA or NaN\) in row 1, column 'a'"):
        SoftLabelLogisticRegression().fit(X, mixed)
    mixed_ok = pd.DataFrame({"a": a.fillna(0.0), "b": [0.5, 1.0, 0.0]})
    np.testing.assert_array_equal(check_soft_targets(mixed_ok)[0], mixed_ok.to_numpy(float))
    with pytest.raises(ValueError, match=r"missing value \(None\) in row 2"):
        Y_obj = np.array([[0.5, 0.5], [1, 0], [None, 1]], dtype=object)
        SoftLabelLogisticRegression().fit(X, Y_obj)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 9), min_size=3, max_size=3), min_size=1, max_size=6))
def test_property_nullable_counts_equal_numpy_counts(rows):
    counts = np.asarray(rows)
    counts[:, 0] += 1  # no row all zero
    for dtype in ("Int64", "Float64"):
        Y, w = soft_labels_from_counts(pd.DataFrame(counts, dtype=dtype))
        Yn, wn = soft_labels_from_counts(counts)
        np.testing.assert_array_equal(Y, Yn)
        np.testing.assert_array_equal(w, wn)


def test_score_checks_the_targets_like_fit():
    X, y = _problem()
    Y = np.eye(3)[y]
    for estimator in (
        SoftLabelLogisticRegression(),
        WeightedHardClassifier(SoftLabelLogisticRegression()),
    ):
        estimator.fit(X, y)
        bad = Y.copy()
        bad[4, 0] = np.nan
        with pytest.raises(ValueError, match="NaN in row 4"):
            estimator.score(X, bad)
        bad_1d = y.astype(float)
        bad_1d[3] = np.nan
        with pytest.raises(ValueError, match="NaN in row 3"):
            estimator.score(X, bad_1d)
        bad_obj = y.astype(object)
        bad_obj[5] = None
        with pytest.raises(ValueError, match="missing label .* row 5"):
            estimator.score(X, bad_obj)


def _mixed_index_dtypes(X, indices, indptr):
    M = sp.csr_matrix(X)
    M.indices = M.indices.astype(indices)
    M.indptr = M.indptr.astype(indptr)
    return M


@pytest.mark.parametrize("indices, indptr", [(np.int64, np.int32), (np.int32, np.int64)])
def test_csr_with_mixed_index_dtypes_fits_and_is_not_modified(indices, indptr):
    X, y = _problem()
    M = _mixed_index_dtypes(X, indices, indptr)
    ref = SoftLabelLogisticRegression().fit(sp.csr_matrix(X), y).coef_
    np.testing.assert_array_equal(SoftLabelLogisticRegression().fit(M, y).coef_, ref)
    t = (y + 0.5) / 3
    cb_ref = ContinuousBernoulliRegression().fit(sp.csr_matrix(X), t).coef_
    np.testing.assert_array_equal(ContinuousBernoulliRegression().fit(M, t).coef_, cb_ref)
    assert M.indices.dtype == indices and M.indptr.dtype == indptr  # the user's matrix


@settings(max_examples=25, deadline=None)
@given(
    st.integers(5, 40),
    st.integers(1, 6),
    st.floats(0.05, 0.9),
    st.sampled_from([(np.int64, np.int32), (np.int32, np.int64), (np.int64, np.int64)]),
)
def test_property_csr_index_dtypes_do_not_change_the_model(n, n_features, density, dtypes):
    rng = np.random.default_rng(n * 7 + n_features)
    X = sp.random(n, n_features, density=density, random_state=rng, format="csr").toarray()
    y = np.arange(n) % 2
    M = _mixed_index_dtypes(X, *dtypes)
    ref = SoftLabelLogisticRegression(n_threads=1).fit(sp.csr_matrix(X), y)
    got = SoftLabelLogisticRegression(n_threads=1).fit(M, y)
    np.testing.assert_array_equal(got.coef_, ref.coef_)


def test_two_dimensional_classes_get_a_clear_error():
    X, y = _problem()
    with pytest.raises(ValueError, match=r"classes must be a 1-D list .* shape \(1, 3\)"):
        SoftLabelLogisticRegression(classes=[[0, 1, 2]]).fit(X, y)


def test_rows_summing_to_100_get_the_percentage_advice():
    X, y = _problem()
    with pytest.raises(ValueError, match="sums to 100: if these are percentages, divide y by 100"):
        SoftLabelLogisticRegression().fit(X, np.eye(3)[y] * 100)
    with pytest.raises(ValueError, match="divide y_true by 100"):
        soft_log_loss(np.eye(3)[y] * 100, np.full((len(y), 3), 1 / 3))


