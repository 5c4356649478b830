"""Continuous Bernoulli: the math helpers, the compiled row function and the regressor."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import integrate, stats
from scipy.special import expit
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfuzzy_ce import ContinuousBernoulliRegression, _cpu_dispatch
from skfuzzy_ce._cb_math import (
    cb_log_norm,
    cb_log_norm_logit,
    cb_mean,
    cb_mean_logit,
    cb_nll,
    cb_nll_logit,
    cb_ppf_logit,
)

LAMS = [1e-6, 0.01, 0.2, 0.5 - 1e-9, 0.5, 0.5 + 1e-7, 0.6, 0.9, 0.999]
# Logits on both sides of the series threshold (|eta| = 0.2), near 0 and huge.
ETAS = np.array(
    [-1e6, -800.0, -40.0, -3.0, -0.2000001, -0.2, -0.1999999, -1e-3, -1e-9, 0.0, 1e-12, 0.05,
     0.2, 0.21, 1.0, 19.0, 38.0, 700.0, 1e8]
)


def _kernel(eta, y, s=None, dtype=np.float64):
    """Per-row loss and gradient of the fused kernels' continuous Bernoulli row (cb_row)."""
    eta = np.asarray(eta, dtype=dtype)
    y = np.broadcast_to(np.asarray(y, dtype=dtype), eta.shape).copy()
    s = np.ones(eta.shape) if s is None else np.asarray(s, dtype=np.float64)
    grad = np.empty_like(eta)
    loss = np.empty(eta.shape, dtype=np.float64)
    _cpu_dispatch.active().fused._cb_rows(eta, y, s, grad, loss)
    return loss, grad


def _sample(eta, rng):
    return cb_ppf_logit(rng.uniform(size=np.shape(eta)), eta)


# ------------------------------------------------------------------ the math helpers
@pytest.mark.parametrize("lam", LAMS)
def test_density_integrates_to_one_and_mean(lam):
    def density(y):
        return np.exp(-cb_nll(y, lam))

    total, _ = integrate.quad(density, 0, 1, epsabs=0, epsrel=1e-12, limit=200)
    assert_allclose(total, 1.0, rtol=1e-9)
    mean, _ = integrate.quad(lambda y: y * density(y), 0, 1, epsabs=1e-14, epsrel=1e-12)
    assert_allclose(cb_mean(lam), mean, rtol=1e-9, atol=1e-13)


def test_log_norm_against_closed_form_away_from_half():
    lam = np.array([1e-12, 1e-4, 0.1, 0.3, 0.45, 0.55, 0.7, 0.9, 1 - 1e-6])
    x = 1 - 2 * lam
    # artanh(1 - 2 lam) = (log(1 - lam) - log(lam)) / 2: np.arctanh(x) would lose the digits of
    # lam = 1e-12 in rounding x.
    artanh = 0.5 * (np.log1p(-lam) - np.log(lam))
    assert_allclose(artanh[1:-1], np.arctanh(x[1:-1]), rtol=1e-12)
    assert_allclose(cb_log_norm(lam), np.log(2 * artanh / x), rtol=1e-13)
    mean = lam / (2 * lam - 1) + 1 / (2 * artanh)
    assert_allclose(cb_mean(lam), mean, rtol=1e-10)


def test_log_norm_and_mean_near_half_series():
    # C(lam) = 2 * (1 + x^2/3 + x^4/5 + ...) with x = 1 - 2 lam; mean = 1/2 - x/6 - ...
    d = np.array([0.0, 1e-15, 1e-10, 1e-6, -1e-6, 1e-3])
    x = -2 * d
    assert_allclose(cb_log_norm(0.5 + d), np.log(2) + np.log1p(x**2 / 3 + x**4 / 5), rtol=1e-15)
    assert_allclose(cb_mean(0.5 + d), 0.5 - x / 6 - 2 * x**3 / 45, rtol=1e-14)
    assert cb_log_norm(0.5) == np.log(2) and cb_mean(0.5) == 0.5


def test_log_norm_logit_is_even_continuous_and_its_derivative_is_closed_form():
    eta = ETAS[np.isfinite(ETAS) & (np.abs(ETAS) < 1e3)]
    assert_allclose(cb_log_norm_logit(eta), cb_log_norm_logit(-eta), rtol=1e-15)
    # Both sides of the series switch agree to rounding.
    for e in (0.2, -0.2):
        inside = np.nextafter(e, 0.0)  # the last float evaluated by the series
        lo, hi = cb_log_norm_logit([inside, e])
        assert abs(lo - hi) < 1e-15
        lo, hi = cb_mean_logit([inside, e])
        assert abs(lo - hi) < 3e-15
    # d log C / d eta = 1/eta - 1/sinh(eta) = sigmoid(eta) - mean(eta): central differences.
    eta = np.array([-5.0, -0.7, -0.21, -0.05, 0.01, 0.19, 0.3, 2.0, 15.0])
    h = 1e-5
    fd = (cb_log_norm_logit(eta + h) - cb_log_norm_logit(eta - h)) / (2 * h)
    assert_allclose(fd, 1 / eta - 1 / np.sinh(eta), rtol=1e-8, atol=1e-11)
    assert_allclose(fd, expit(eta) - cb_mean_logit(eta), rtol=1e-8, atol=1e-11)


def test_limits_at_zero_one_and_huge_logits():
    assert np.isposinf(cb_log_norm([0.0, 1.0])).all()
    assert_allclose(cb_mean([0.0, 1.0]), [0.0, 1.0])
    # lam -> 0 concentrates at 0: -inf density there, +inf elsewhere.
    assert_allclose(cb_nll([0.0, 0.3, 1.0, 0.7], [0.0, 0.0, 1.0, 1.0]), [-np.inf, np.inf] * 2)
    big = np.array([1e3, 1e8, 1e300])
    assert_allclose(cb_log_norm_logit(big), np.log(big), rtol=1e-15)
    assert_allclose(cb_mean_logit(big), 1 - 1 / big, rtol=1e-15)
    assert_allclose(cb_mean_logit(-big), 1 / big, rtol=1e-15)
    assert np.isfinite(cb_nll_logit(0.5, np.array([-1e300, 1e300]))).all()


def test_quantile_function_samples_the_distribution():
    rng = np.random.default_rng(0)
    for eta in (-30.0, -2.0, 0.0, 1e-10, 0.7, 800.0):
        y = cb_ppf_logit(rng.uniform(size=4000), eta)
        assert ((y >= 0) & (y <= 1)).all()
        if abs(eta) < 100:
            # F(y) = expm1(eta y) / expm1(eta), uniform at eta = 0.
            cdf = (lambda t: t) if eta == 0 else (lambda t: np.expm1(eta * t) / np.expm1(eta))
            assert stats.kstest(y, cdf).pvalue > 1e-3
        assert abs(y.mean() - cb_mean_logit(eta)) < 5 * y.std() / np.sqrt(y.size) + 1e-12


# ------------------------------------------------------------------- the kernel
@pytest.mark.usefixtures("cpu_variant")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_equals_numpy_reference(dtype):
    y = np.linspace(0, 1, ETAS.size)
    s = np.linspace(0.5, 2.0, ETAS.size)
    loss, grad = _kernel(ETAS, y, s, dtype=dtype)
    e64, y64 = ETAS.astype(dtype).astype(float), y.astype(dtype).astype(float)
    assert_allclose(loss, s * cb_nll_logit(y64, e64), rtol=1e-13, atol=1e-14)
    tol = 1e-6 if dtype == np.float32 else 1e-15
    assert_allclose(grad, s * (cb_mean_logit(e64) - y64), rtol=tol, atol=tol)
    assert grad.dtype == dtype and np.isfinite(loss).all()


@pytest.mark.usefixtures("cpu_variant")
def test_kernel_gradient_equals_finite_differences():
    eta = np.array([-12.0, -1.3, -0.25, -0.15, -1e-4, 0.0, 0.08, 0.2, 0.9, 7.0])
    for yv in (0.0, 0.37, 1.0):
        h = 1e-6
        lp, _ = _kernel(eta + h, yv)
        lm, _ = _kernel(eta - h, yv)
        _, grad = _kernel(eta, yv)
        assert_allclose(grad, (lp - lm) / (2 * h), rtol=1e-7, atol=1e-9)


@pytest.mark.usefixtures("cpu_variant")
def test_kernel_huge_logits_and_zero_weight():
    loss, grad = _kernel([-1e300, -800.0, 800.0, 1e300], [0.0, 0.2, 1.0, 0.5])
    assert np.isfinite(loss[:3]).all() and np.isfinite(grad).all()
    assert_allclose(grad, [1e-300, 1 / 800 - 0.2, 1 - 1 / 800 - 1.0, 0.5], rtol=1e-12)
    loss, grad = _kernel([3.0, -3.0], [0.4, 0.6], s=[0.0, 0.0])
    assert (loss == 0).all() and (grad == 0).all()


@pytest.mark.usefixtures("cpu_variant")
@settings(max_examples=40, deadline=None)
@given(
    eta=st.floats(-50, 50, allow_nan=False),
    y=st.floats(0, 1, allow_nan=False),
)
def test_gradient_is_mean_minus_y_and_loss_is_convex(eta, y):
    loss, grad = _kernel([eta - 1.0, eta, eta + 1.0], y)
    assert_allclose(grad[1], cb_mean_logit(eta) - y, atol=1e-12)
    assert loss[0] + loss[2] >= 2 * loss[1] - 1e-9  # convex: the log-partition is convex
    assert grad[0] <= grad[1] <= grad[2]


# ----------------------------------------------------------------- the regressor
def _simulate(n=20000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    w, b = np.array([1.5, -2.0, 0.5]), 0.4
    y = _sample(X @ w + b, rng)
    return X, y, w, b


def test_recovers_coefficients_of_simulated_model():
    X, y, w, b = _simulate()
    reg = ContinuousBernoulliRegression(C=np.inf, tol=1e-8, max_iter=500).fit(X, y)
    est = np.r_[reg.coef_, reg.intercept_]
    # Standard errors from the Fisher information X1' diag(Var(y | eta)) X1, where
    # Var(y | eta) = d mean / d eta (exponential family), by central differences.
    X1 = np.column_stack([X, np.ones(len(X))])
    eta = X1 @ est
    var = (cb_mean_logit(eta + 1e-5) - cb_mean_logit(eta - 1e-5)) / 2e-5
    se = np.sqrt(np.diag(np.linalg.inv(X1.T @ (var[:, None] * X1))))
    z = (est - np.r_[w, b]) / se
    assert np.all(np.abs(z) < 4), z


def test_intercept_only_fit_matches_the_mean_of_y():
    rng = np.random.default_rng(1)
    y = rng.beta(0.5, 2.0, size=300)
    X = np.zeros((300, 1))
    reg = ContinuousBernoulliRegression(C=np.inf, tol=1e-12, max_iter=1000).fit(X, y)
    assert_allclose(reg.predict(X), y.mean(), rtol=1e-9)
    s = rng.uniform(0, 3, size=300)
    reg.fit(X, y, sample_weight=s)
    assert_allclose(reg.predict(X).mean(), np.average(y, weights=s), rtol=1e-9)
    # The mean is not lam: lam is further from 1/2.
    lam = reg.predict_lambda(X)[0]
    assert abs(lam - 0.5) > abs(reg.predict(X)[0] - 0.5)


def test_objective_gradient_equals_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(40, 3))
    y = rng.uniform(size=40)
    s = rng.uniform(0.1, 2.0, size=40)
    _, objective = ContinuousBernoulliRegression(C=0.7)._make_objective(X, y, s)
    w = rng.normal(size=objective.n_params) * 0.3
    _, grad = objective(w)
    h = 1e-6
    fd = np.array(
        [(objective(w + h * e)[0] - objective(w - h * e)[0]) / (2 * h) for e in np.eye(w.size)]
    )
    assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)
    # The objective is the mean weighted NLL plus the penalty.
    eta = X @ w[:3] + w[3]
    expected = (s @ cb_nll_logit(y, eta) + 0.5 / 0.7 * w[:3] @ w[:3]) / s.sum()
    assert_allclose(objective(w)[0], expected, rtol=1e-12)


def test_dense_sparse_float32_and_threads_agree():
    X, y, _, _ = _simulate(n=2000, seed=3)
    X[np.abs(X) < 0.5] = 0.0
    ref = ContinuousBernoulliRegression(C=10.0, tol=1e-10, n_threads=1).fit(X, y)
    # float32 X: a gradient computed in float32 has a rounding floor far above 1e-10.
    for Xv, rtol, tol in ((sp.csr_matrix(X), 1e-8, 1e-10), (X.astype(np.float32), 1e-3, 1e-5)):
        reg = ContinuousBernoulliRegression(C=10.0, tol=tol, n_threads=2).fit(Xv, y)
        assert_allclose(reg.coef_, ref.coef_, rtol=rtol)
        assert_allclose(reg.predict(Xv), ref.predict(X), rtol=rtol)


def test_predictions_lie_between_lambda_and_one_half():
    X, y, _, _ = _simulate(n=500, seed=4)
    reg = ContinuousBernoulliRegression().fit(X, y)
    mean, lam = reg.predict(X), reg.predict_lambda(X)
    assert ((mean - 0.5) * (lam - 0.5) >= 0).all()
    assert (np.abs(mean - 0.5) <= np.abs(lam - 0.5) + 1e-15).all()
    assert_allclose(mean, cb_mean(lam), rtol=1e-12)


@pytest.mark.parametrize(
    "y, match",
    [
        ([0.1, 0.5, 1.2, 0.3], r"value 1\.2 in row 2, outside \[0, 1\]"),
        ([0.1, -0.5, 0.2, 0.3], r"row 1, outside \[0, 1\]"),
        ([0.1, 0.5, np.nan, 0.3], "NaN in row 2"),
        ([0.1, np.inf, 0.2, 0.3], "infinity in row 1"),
        (["a", "b", "a", "b"], "must be numbers in"),
        (None, "requires y to be passed"),
    ],
)
def test_bad_targets_are_refused_clearly(y, match):
    X = np.arange(8.0).reshape(4, 2)
    y_before = None if y is None else np.array(y, dtype=object)
    with pytest.raises(ValueError, match=match):
        ContinuousBernoulliRegression().fit(X, y)
    if y is not None:
        assert (np.array(y, dtype=object) == y_before).sum() >= 3  # untouched (NaN != NaN)


def test_other_bad_inputs():
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="non-zero"):
        ContinuousBernoulliRegression().fit(X, [0.1, 0.2, 0.3, 0.4], sample_weight=np.zeros(4))
    with pytest.raises(ValueError, match="Found input variables with inconsistent"):
        ContinuousBernoulliRegression().fit(X, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y should be a 1d array"):
        ContinuousBernoulliRegression().fit(X, np.full((4, 2), 0.5))


def test_read_only_inputs_and_verbose(capsys):
    X, y, _, _ = _simulate(n=200, seed=5)
    X.flags.writeable = False
    y.flags.writeable = False
    ContinuousBernoulliRegression(verbose=1).fit(X, y)
    assert "iteration" in capsys.readouterr().out


# ------------------------------------------------------- scikit-learn's estimator checks
def _to_unit_interval(y):
    """Map the checks' arbitrary real targets into (0, 1) elementwise (NaN/inf kept)."""
    if y is None:
        return y
    arr = np.asarray(y)
    if arr.dtype.kind == "c":
        return y
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        return y
    return np.where(np.isfinite(arr), expit(arr), arr)


class _CBOnAnyTarget(ContinuousBernoulliRegression):
    """The regressor behind an elementwise map of ``y`` into (0, 1), for the common checks.

    scikit-learn's checks fit regressors on targets such as ``[0, 1, 2]`` or standardized
    values, which the continuous Bernoulli refuses by definition. An elementwise map keeps
    every property the checks test (sample-weight equivalence, subset and order invariance,
    dtypes, sparse input, read-only memory maps, idempotence, ...), so the whole suite runs
    on the real fitting code.
    """

    def fit(self, X, y, sample_weight=None):
        return super().fit(X, _to_unit_interval(y), sample_weight)

    def score(self, X, y, sample_weight=None):
        return super().score(X, _to_unit_interval(y), sample_weight)


@parametrize_with_checks(
    [_CBOnAnyTarget(), _CBOnAnyTarget(solver="newton-cholesky"), _CBOnAnyTarget(l1_ratio=0.5)]
)
def test_sklearn_checks_on_unit_interval_targets(estimator, check):
    check(estimator)


# These checks fit on targets outside [0, 1] (integers 0..2 or standardized reals), which
# ContinuousBernoulliRegression refuses with a ValueError by definition (its docstring: the
# targets are observations in [0, 1]). Each of them passes on _CBOnAnyTarget above.
_Y_OUTSIDE_UNIT_INTERVAL = (
    "the check's targets are outside [0, 1], which the continuous Bernoulli refuses by design; "
    "the check passes on the same estimator with targets mapped into (0, 1)"
)
_CHECKS_WITH_TARGETS_OUTSIDE = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_sample_weights_pandas_series",
    "check_sample_weights_not_an_array",
    "check_sample_weights_list",
    "check_sample_weights_shape",
    "check_sample_weights_not_overwritten",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
    "check_dtype_object",
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_f_contiguous_array_estimator",
    "check_regressors_train",
    "check_regressor_data_not_an_array",
    "check_regressors_no_decision_function",
    "check_supervised_y_2d",
    "check_regressors_int",
    "check_non_transformer_estimators_n_iter",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
]


@parametrize_with_checks(
    [ContinuousBernoulliRegression()],
    expected_failed_checks=lambda est: dict.fromkeys(
        _CHECKS_WITH_TARGETS_OUTSIDE, _Y_OUTSIDE_UNIT_INTERVAL
    ),
)
def test_sklearn_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)
