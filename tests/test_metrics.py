"""Soft-label metrics and scorers against scikit-learn, scipy and worked examples."""

import inspect
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.integrate import quad
from scipy.special import rel_entr
from scipy.stats import entropy
from sklearn.metrics import brier_score_loss, log_loss
from sklearn.utils._param_validation import InvalidParameterError

from skfuzzy_ce import SoftLabelLogisticRegression
from skfuzzy_ce.metrics import (
    binary_cross_entropy,
    continuous_bernoulli_log_loss,
    kl_divergence,
    neg_kl_divergence_scorer,
    neg_soft_brier_scorer,
    neg_soft_log_loss_scorer,
    soft_brier_score,
    soft_log_loss,
)

LN2 = np.log(2)
PROPERTY = settings(max_examples=25, deadline=None)


def sk_log_loss(y_true, proba, **kwargs):
    """scikit-learn's log_loss, whatever the name of its probability argument."""
    if "y_proba" in inspect.signature(log_loss).parameters:
        return log_loss(y_true, y_proba=proba, **kwargs)
    return log_loss(y_true, proba, **kwargs)


def sk_brier(y_true, proba, **kwargs):
    if "y_proba" in inspect.signature(brier_score_loss).parameters:
        return brier_score_loss(y_true, y_proba=proba, **kwargs)
    return brier_score_loss(y_true, proba, **kwargs)


def random_simplex(rng, n, K, zeros=False):
    P = rng.dirichlet(np.ones(K), size=n)
    if zeros:  # some exact zeros, rows renormalized here by the test
        P[rng.rand(n, K) < 0.3] = 0
        P[np.arange(n), rng.randint(K, size=n)] += 0.5
        P /= P.sum(axis=1, keepdims=True)
    return P


# ----------------------------------------------------------------- worked examples
def test_worked_example_cross_entropy_in_bits():
    # -log2(0.7): only the true class counts.
    value = soft_log_loss([[0, 1, 0]], [[0.2, 0.7, 0.1]], base=2)
    assert round(value, 3) == pytest.approx(0.515, abs=1e-9)
    assert value == pytest.approx(0.514573, abs=1e-6)
    assert value == pytest.approx(-np.log2(0.7), rel=1e-14)


def test_worked_example_multilabel_bce_in_bits():
    value = binary_cross_entropy([[1, 0, 1]], [[0.8, 0.4, 0.6]], base=2)
    assert round(value, 3) == 1.796
    assert value == pytest.approx(-(np.log2(0.8) + np.log2(0.6) + np.log2(0.6)), rel=1e-14)


@pytest.mark.parametrize("metric", [soft_log_loss, kl_divergence, binary_cross_entropy])
def test_base_two_is_nats_over_ln2(metric):
    rng = np.random.RandomState(0)
    Y, P = random_simplex(rng, 20, 3), random_simplex(rng, 20, 3)
    assert metric(Y, P, base=2) == pytest.approx(metric(Y, P) / LN2, rel=1e-14)
    assert metric(Y, P, base=10) == pytest.approx(metric(Y, P) / np.log(10), rel=1e-14)


# ----------------------------------------------------------- scikit-learn on hard labels
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_soft_log_loss_equals_sklearn_log_loss_on_hard_labels(dtype):
    rng = np.random.RandomState(1)
    y = rng.choice(["cat", "dog", "eel"], size=50)
    P = random_simplex(rng, 50, 3).astype(dtype)
    P[0] = [1, 0, 0]  # a certain, possibly wrong, prediction: clipping matters
    w = rng.uniform(0.1, 3, size=50)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    assert_allclose(soft_log_loss(y, P), sk_log_loss(y, P), rtol=rtol)
    assert_allclose(
        soft_log_loss(y, P, sample_weight=w, normalize=False),
        sk_log_loss(y, P, sample_weight=w, normalize=False),
        rtol=rtol,
    )


def test_soft_log_loss_binary_1d_predictions_and_labels_like_sklearn():
    rng = np.random.RandomState(2)
    y = rng.choice(["no", "yes"], size=30)
    p = rng.uniform(size=30)
    assert_allclose(soft_log_loss(y, p), sk_log_loss(y, p), rtol=1e-12)
    # A class absent from y_true is named through labels, as in scikit-learn.
    P = random_simplex(rng, 30, 3)
    y = rng.choice([0, 2], size=30)
    assert_allclose(
        soft_log_loss(y, P, labels=[0, 1, 2]), sk_log_loss(y, P, labels=[0, 1, 2]), rtol=1e-12
    )


@PROPERTY
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 40),
    K=st.integers(2, 5),
)
def test_property_hard_labels_match_sklearn(seed, n, K):
    rng = np.random.RandomState(seed)
    y = rng.randint(K, size=n)
    P = random_simplex(rng, n, K, zeros=True)
    labels = np.arange(K)
    assert_allclose(
        soft_log_loss(y, P, labels=labels), sk_log_loss(y, P, labels=labels), rtol=1e-12
    )
    assert_allclose(
        soft_brier_score(y, P, labels=labels),
        sk_brier(y, P, labels=labels, scale_by_half=False),
        rtol=1e-12,
    )


def test_soft_log_loss_is_log_loss_of_the_duplicated_data_set():
    # Soft labels = each sample repeated once per class with weight s_i * Y_ik.
    rng = np.random.RandomState(3)
    n, K = 25, 4
    Y, P = random_simplex(rng, n, K, zeros=True), random_simplex(rng, n, K)
    s = rng.uniform(0.5, 2, size=n)
    y_rep = np.repeat(np.arange(K)[None, :], n, axis=0).ravel()
    P_rep = np.repeat(P, K, axis=0)
    w_rep = (s[:, None] * Y).ravel()
    expected = sk_log_loss(y_rep, P_rep, sample_weight=w_rep, normalize=False)
    assert_allclose(soft_log_loss(Y, P, sample_weight=s, normalize=False), expected, rtol=1e-12)
    assert_allclose(soft_log_loss(Y, P, sample_weight=s), expected / s.sum(), rtol=1e-12)


def test_brier_equals_sklearn_multiclass_and_binary():
    rng = np.random.RandomState(4)
    y = rng.randint(3, size=40)
    P = random_simplex(rng, 40, 3)
    assert_allclose(soft_brier_score(y, P), sk_brier(y, P), rtol=1e-12)
    y = rng.randint(2, size=40)
    p = rng.uniform(size=40)
    # Summed over both classes: twice the binary Brier score of the positive class.
    assert_allclose(soft_brier_score(y, p), 2 * sk_brier(y, p), rtol=1e-12)
    assert_allclose(soft_brier_score(y, p), sk_brier(y, p, scale_by_half=False), rtol=1e-12)


def test_brier_on_soft_labels_by_hand():
    Y = np.array([[0.5, 0.5, 0.0], [0.1, 0.1, 0.8]])
    P = np.array([[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
    by_hand = [(0.3**2 + 0.2**2 + 0.1**2), (0.2**2 + 0.2**2 + 0.4**2)]
    assert_allclose(soft_brier_score(Y, P), np.mean(by_hand), rtol=1e-14)
    assert_allclose(
        soft_brier_score(Y, P, sample_weight=[1, 3], normalize=False),
        by_hand[0] + 3 * by_hand[1],
        rtol=1e-14,
    )


# ------------------------------------------------------------------------ KL divergence
def test_kl_is_cross_entropy_minus_entropy_and_matches_scipy():
    rng = np.random.RandomState(5)
    Y, P = random_simplex(rng, 30, 4, zeros=True), random_simplex(rng, 30, 4)
    H = entropy(Y, axis=1)  # scipy: 0 log 0 = 0
    assert_allclose(kl_divergence(Y, P), soft_log_loss(Y, P) - H.mean(), rtol=1e-12)
    assert_allclose(kl_divergence(Y, P), rel_entr(Y, P).sum(axis=1).mean(), rtol=1e-12)
    assert_allclose(kl_divergence(Y, P, base=2), entropy(Y, P, base=2, axis=1).mean(), rtol=1e-12)
    w = rng.uniform(size=30)
    assert_allclose(
        kl_divergence(Y, P, sample_weight=w),
        np.average(entropy(Y, P, axis=1), weights=w),
        rtol=1e-12,
    )


def test_kl_zero_on_perfect_match_and_finite_with_zeros():
    Y = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    assert kl_divergence(Y, Y) == pytest.approx(0, abs=1e-15)
    assert kl_divergence(Y.astype(np.float32), Y.astype(np.float32)) == pytest.approx(0, abs=1e-7)
    assert kl_divergence(["a", "b"], [[1.0, 0.0], [0.0, 1.0]]) == pytest.approx(0, abs=1e-15)
    # Zeros in y_true contribute nothing, whatever the prediction there.
    value = kl_divergence([[0.5, 0.5, 0.0]], [[0.25, 0.25, 0.5]])
    assert np.isfinite(value)
    assert value == pytest.approx(np.log(2), rel=1e-14)


@PROPERTY
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 30), K=st.integers(2, 6))
def test_property_kl_nonnegative_and_gibbs(seed, n, K):
    rng = np.random.RandomState(seed)
    Y, P = random_simplex(rng, n, K, zeros=True), random_simplex(rng, n, K, zeros=True)
    kl = kl_divergence(Y, P)
    assert np.isfinite(kl) and kl >= -1e-12
    # Gibbs: the cross-entropy is smallest when the prediction is y_true itself.
    assert soft_log_loss(Y, P) >= soft_log_loss(Y, Y) - 1e-12


# ----------------------------------------------------------------------- clipping, 0 log 0
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clipping_depends_on_dtype(dtype):
    eps = float(np.finfo(dtype).eps)
    P = np.array([[0.0, 1.0]], dtype=dtype)
    assert soft_log_loss([[1, 0]], P) == pytest.approx(-np.log(eps), rel=1e-12)
    assert binary_cross_entropy([[1, 0]], P) == pytest.approx(
        -np.log(eps) - np.log1p(-np.float64(1 - eps)), rel=1e-6
    )
    # 0 log 0 = 0: a certain, correct prediction costs (almost) nothing.
    assert soft_log_loss([[0, 1]], P) == pytest.approx(0, abs=2 * eps)


def test_integer_predictions_become_float64():
    assert soft_log_loss([0, 1], [[1, 0], [0, 1]]) == pytest.approx(0, abs=1e-15)


# ------------------------------------------------------------------ binary cross-entropy
def test_bce_per_column_is_binary_log_loss():
    rng = np.random.RandomState(6)
    Y = (rng.rand(30, 4) < 0.5).astype(int)
    P = rng.uniform(size=(30, 4))
    w = rng.uniform(size=30)
    expected = sum(
        sk_log_loss(Y[:, k], P[:, k], sample_weight=w, labels=[0, 1], normalize=False)
        for k in range(4)
    )
    assert_allclose(binary_cross_entropy(Y, P, sample_weight=w, normalize=False), expected)
    # Soft multi-label targets: each column is a binary soft label P(yes).
    Ys = rng.uniform(size=(30, 4))
    expected = sum(soft_log_loss(Ys[:, k], P[:, k]) for k in range(4))
    assert_allclose(binary_cross_entropy(Ys, P), expected, rtol=1e-12)


def test_bce_one_dimensional_is_one_column():
    y, p = np.array([0.2, 1.0, 0.0]), np.array([0.3, 0.9, 0.5])
    assert_allclose(binary_cross_entropy(y, p), binary_cross_entropy(y[:, None], p[:, None]))
    assert_allclose(binary_cross_entropy(y, p), soft_log_loss(y, p), rtol=1e-12)


def test_bce_rows_need_not_sum_to_one():
    assert np.isfinite(binary_cross_entropy([[1, 1, 1]], [[0.9, 0.9, 0.9]]))


# ----------------------------------------------------------------------- inputs
def test_pandas_and_read_only_inputs_are_not_modified():
    pd = pytest.importorskip("pandas")
    Y = np.array([[0.2, 0.8], [0.6, 0.4]])
    P = np.array([[0.0, 1.0], [0.5, 0.5]])
    Y.flags.writeable = False
    P.flags.writeable = False
    Y0, P0 = Y.copy(), P.copy()
    for metric in (soft_log_loss, kl_divergence, soft_brier_score, binary_cross_entropy):
        value = metric(Y, P)
        assert metric(pd.DataFrame(Y, columns=["a", "b"]), pd.DataFrame(P)) == value
    np.testing.assert_array_equal(Y, Y0)
    np.testing.assert_array_equal(P, P0)
    y = pd.Series(["a", "b"])
    assert soft_log_loss(y, P) == soft_log_loss(["a", "b"], P)


def test_normalize_false_sums_and_weights_repeat_rows():
    rng = np.random.RandomState(7)
    Y, P = random_simplex(rng, 6, 3), random_simplex(rng, 6, 3)
    counts = np.array([1, 2, 0, 3, 1, 1])
    rep = np.repeat(np.arange(6), counts)
    for metric in (soft_log_loss, kl_divergence, soft_brier_score, binary_cross_entropy):
        assert_allclose(metric(Y, P, sample_weight=counts), metric(Y[rep], P[rep]))
        assert_allclose(metric(Y, P, normalize=False), 6 * metric(Y, P))


# ------------------------------------------------------------------------ errors
ALL = [soft_log_loss, kl_divergence, soft_brier_score, binary_cross_entropy]
CATEGORICAL = [soft_log_loss, kl_divergence, soft_brier_score]


@pytest.mark.parametrize("metric", ALL)
def test_errors_on_bad_predictions(metric):
    Y = np.array([[0.5, 0.5], [0.2, 0.8], [1.0, 0.0]])
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        metric(Y, [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"y_pred contains NaN in row 1 .*predict_proba"):
        metric(Y, [[0.5, 0.5], [np.nan, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="y_pred contains infinity in row 2"):
        metric(Y, [[0.5, 0.5], [0.5, 0.5], [np.inf, 0]])
    with pytest.raises(ValueError, match=r"y_pred has a value below 0 in row 0 .*softmax"):
        metric(Y, [[-0.1, 1.1], [0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="y_pred has a value above 1 in row 2"):
        metric(Y, [[0.5, 0.5], [0.5, 0.5], [1.5, 0]])
    with pytest.raises(ValueError, match="must hold numbers"):
        metric(Y, [["a", "b"]] * 3)


@pytest.mark.parametrize("metric", CATEGORICAL)
def test_errors_on_predictions_that_are_not_distributions(metric):
    Y = np.array([[0.5, 0.5], [0.2, 0.8]])
    P = np.array([[0.5, 0.5], [0.6, 0.6]])
    msg = re.escape("Row 1 of y_pred sums to 1.2, not 1") + ".*not renormalized"
    with pytest.raises(ValueError, match=msg):
        metric(Y, P)
    # Within the float32 tolerance, but not the float64 one.
    P = np.array([[0.5, 0.5], [0.2, 0.80002]])
    metric(Y, P.astype(np.float32))
    with pytest.raises(ValueError, match="Row 1 of y_pred"):
        metric(Y, P)


@pytest.mark.parametrize("metric", CATEGORICAL)
def test_errors_on_bad_true_labels(metric):
    P = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match="Row 1 of y_true sums to 0.9"):
        metric([[0.5, 0.5, 0.0], [0.2, 0.2, 0.5]], P)
    with pytest.raises(ValueError, match="y_true contains NaN in row 0"):
        metric([[np.nan, 0.5, 0.5], [0.2, 0.3, 0.5]], P)
    with pytest.raises(ValueError, match="y_true has a value below 0 in row 1"):
        metric([[0.5, 0.5, 0.0], [-0.2, 0.7, 0.5]], P)
    with pytest.raises(ValueError, match="y_true has 2 classes but y_pred has 3 columns"):
        metric([[0.5, 0.5], [0.2, 0.8]], P)
    with pytest.raises(ValueError, match=r"2 distinct labels \['a', 'b'\].*labels="):
        metric(["a", "b"], P)
    with pytest.raises(ValueError, match="labels"):
        metric(["a", "z"], P, labels=["a", "b", "c"])
    with pytest.raises(ValueError, match="Unknown label type"):
        metric([2.5, 3.5], P)


def test_bce_errors():
    with pytest.raises(ValueError, match=r"shape \(2, 2\) but y_pred has shape \(2, 3\)"):
        binary_cross_entropy([[1, 0], [0, 1]], [[0.5] * 3] * 2)
    with pytest.raises(ValueError, match="y_true has a value above 1 in row 1"):
        binary_cross_entropy([[1, 0], [0, 2]], [[0.5] * 2] * 2)


@pytest.mark.parametrize("metric", ALL)
def test_parameter_errors(metric):
    Y, P = [[0.5, 0.5]], [[0.5, 0.5]]
    with pytest.raises(ValueError, match="[Nn]egative"):
        metric(Y + Y, P + P, sample_weight=[1, -1])
    with pytest.raises(ValueError, match="sample_weight"):
        metric(Y + Y, P + P, sample_weight=[1, 1, 1])
    with pytest.raises(InvalidParameterError, match="normalize"):
        metric(Y, P, normalize="yes")
    if "base" in inspect.signature(metric).parameters:
        for base in (1, 0, -2):
            with pytest.raises(InvalidParameterError, match="base"):
                metric(Y, P, base=base)


# ------------------------------------------------------------------------ scorers
SCORERS = [
    (neg_soft_log_loss_scorer, soft_log_loss),
    (neg_kl_divergence_scorer, kl_divergence),
    (neg_soft_brier_scorer, soft_brier_score),
]


@pytest.fixture(scope="module")
def fitted_three_class():
    rng = np.random.RandomState(8)
    X = rng.randn(60, 3)
    y = np.array(["a", "b", "c"])[rng.randint(3, size=60)]
    return X, y, SoftLabelLogisticRegression().fit(X, y)


@pytest.mark.parametrize("scorer, metric", SCORERS)
def test_scorer_is_negated_metric_with_estimator_classes(scorer, metric, fitted_three_class):
    X, y, clf = fitted_three_class
    proba = clf.predict_proba(X)
    assert scorer(clf, X, y) == pytest.approx(-metric(y, proba), rel=1e-14)
    # A subset holding two of the three classes still encodes against classes_.
    keep = y != "b"
    expected = -metric(y[keep], proba[keep], labels=clf.classes_)
    assert scorer(clf, X[keep], y[keep]) == pytest.approx(expected, rel=1e-14)
    # Soft labels, and sample weights.
    Y = random_simplex(np.random.RandomState(0), 60, 3)
    w = np.linspace(0.5, 2, 60)
    assert scorer(clf, X, Y, sample_weight=w) == pytest.approx(
        -metric(Y, proba, sample_weight=w), rel=1e-14
    )


def test_scorer_on_binary_classifier_with_string_classes():
    rng = np.random.RandomState(9)
    X = rng.randn(40, 2)
    y = np.where(X[:, 0] + rng.randn(40) > 0, "yes", "no")
    clf = SoftLabelLogisticRegression().fit(X, y)
    proba = clf.predict_proba(X)
    assert neg_soft_log_loss_scorer(clf, X, y) == pytest.approx(-sk_log_loss(y, proba))
    only_yes = y == "yes"
    assert neg_soft_log_loss_scorer(clf, X[only_yes], y[only_yes]) == pytest.approx(
        -sk_log_loss(y[only_yes], proba[only_yes], labels=clf.classes_)
    )
    p1 = proba[:, 1]
    assert neg_soft_brier_scorer(clf, X, p1) == pytest.approx(
        -soft_brier_score(p1, proba), abs=1e-14
    )


def test_scorer_repr():
    assert repr(neg_soft_log_loss_scorer) == (
        "make_scorer(soft_log_loss, greater_is_better=False, response_method='predict_proba')"
    )


# ----------------------------------------------------------- continuous Bernoulli
def cb_density(y, lam):
    return np.exp(-continuous_bernoulli_log_loss([y], [lam]))


@pytest.mark.parametrize("lam", [1e-7, 0.1, 0.5, 0.5 + 1e-9, 0.9, 1 - 1e-7])
def test_continuous_bernoulli_is_a_normalized_density(lam):
    # Near 0 and 1 the mass piles up at one end: tell quad where.
    total, err = quad(cb_density, 0, 1, args=(lam,), points=[0.01, 0.99], limit=200)
    assert total == pytest.approx(1, abs=1e-8)


@pytest.mark.parametrize("lam", [1e-6, 0.05, 0.3, 0.49, 0.7, 0.999])
def test_continuous_bernoulli_matches_the_closed_form(lam):
    y = np.array([0.0, 0.25, 0.5, 1.0])
    C = 2 * np.arctanh(1 - 2 * lam) / (1 - 2 * lam)
    expected = -(np.log(C) + y * np.log(lam) + (1 - y) * np.log1p(-lam))
    lam_arr = np.full_like(y, lam)
    assert_allclose(continuous_bernoulli_log_loss(y, lam_arr), expected.mean(), rtol=1e-10)
    w = np.array([1.0, 2.0, 0.0, 0.5])
    assert_allclose(
        continuous_bernoulli_log_loss(y, lam_arr, sample_weight=w, normalize=False, base=2),
        (w @ expected) / LN2,
        rtol=1e-10,
    )


def test_continuous_bernoulli_stable_near_half_and_at_the_ends():
    y = np.array([0.3])
    at_half = continuous_bernoulli_log_loss(y, [0.5])
    assert at_half == 0.0  # C(1/2) = 2 and 2 * 0.5**y * 0.5**(1 - y) = 1
    for d in (1e-12, 1e-9, 1e-6):
        # log C is even around 1/2 with curvature 4/3 there (C = 2 + 8 d^2 / 3 + ...).
        for lam in (0.5 - d, 0.5 + d):
            value = continuous_bernoulli_log_loss(y, [lam])
            x = 2 * (lam - 0.5)  # exact; log C = log 2 + x^2 / 3 + O(x^4), and log 2 cancels
            expected = -(x**2 / 3 + y[0] * np.log1p(x) + (1 - y[0]) * np.log1p(-x))
            assert value == pytest.approx(expected, abs=1e-15)
    # lam exactly 0 or 1 is clipped to eps of its dtype: finite, and the same as at eps.
    for dtype in (np.float64, np.float32):
        eps = np.finfo(dtype).eps
        zero = continuous_bernoulli_log_loss(y, np.array([0.0], dtype=dtype))
        assert np.isfinite(zero)
        assert zero == pytest.approx(continuous_bernoulli_log_loss(y, [float(eps)]), rel=1e-12)
        one = continuous_bernoulli_log_loss(y, np.array([1.0], dtype=dtype))
        assert one == pytest.approx(continuous_bernoulli_log_loss(1 - y, [float(eps)]), rel=1e-6)


def test_continuous_bernoulli_several_outputs_are_summed():
    Y = np.array([[0.1, 0.8], [0.5, 0.4]])
    L = np.array([[0.2, 0.7], [0.6, 0.5]])
    per_column = sum(continuous_bernoulli_log_loss(Y[:, k], L[:, k]) for k in range(2))
    assert_allclose(continuous_bernoulli_log_loss(Y, L), per_column, rtol=1e-14)


def test_continuous_bernoulli_errors():
    with pytest.raises(ValueError, match=r"y_true has a value above 1 in row 1 .*\[0, 1\] only"):
        continuous_bernoulli_log_loss([0.5, 1.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="y_true contains NaN in row 0"):
        continuous_bernoulli_log_loss([np.nan, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="lam has a value below 0 in row 1"):
        continuous_bernoulli_log_loss([0.5, 0.5], [0.5, -0.1])
    with pytest.raises(ValueError, match=r"y_true has shape \(2,\) but lam has shape \(3,\)"):
        continuous_bernoulli_log_loss([0.5, 0.5], [0.5, 0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="base"):
        continuous_bernoulli_log_loss([0.5], [0.5], base=1)
