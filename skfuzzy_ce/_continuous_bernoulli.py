"""ContinuousBernoulliRegression: a GLM for observations in [0, 1]."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import same_index_dtype
from ._cb_math import cb_mean_logit
from ._fused_objective import FusedLinearObjective
from ._linear_loss import minimize_lbfgs
from ._targets import scale_weights

__all__ = ["ContinuousBernoulliRegression"]


def _check_unit_interval_target(y, dtype, estimator_name):
    """1-D float copy of ``y`` with every value finite and in [0, 1], else a clear ValueError.

    A column vector is accepted with scikit-learn's ``DataConversionWarning``.
    """
    if y is None:
        raise ValueError(
            f"{estimator_name} requires y to be passed, but the target y is None. Pass the "
            "observed values in [0, 1]."
        )
    y = column_or_1d(y, warn=True)
    if y.dtype.kind not in "biuf":
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"y must be numbers in [0, 1]; got values of dtype {y.dtype} that are not "
                f"numbers ({exc}). {estimator_name} is a regressor of [0, 1]-valued "
                "observations: for class labels use SoftLabelLogisticRegression."
            ) from None
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y contains {'NaN' if np.isnan(y[i]) else 'infinity'} in row {i}. The targets "
            "must be finite values in [0, 1]: drop or impute the rows with missing targets."
        )
    bad = (y < 0) | (y > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y has the value {y[i]:.6g} in row {i}, outside [0, 1]. The continuous Bernoulli "
            "is a distribution on [0, 1]: rescale the targets to [0, 1] first (e.g. divide "
            "pixel intensities by 255, or use MinMaxScaler on y)."
        )
    return np.ascontiguousarray(y, dtype=dtype)


class ContinuousBernoulliRegression(RegressorMixin, BaseEstimator):
    """Regression of [0, 1]-valued observations with the continuous Bernoulli likelihood.

    For targets that are observations in [0, 1] rather than probabilities of a binary event
    (pixel intensities, proportions that are not Bernoulli means), the continuous Bernoulli
    (Loaiza-Ganem & Cunningham 2019) is a proper density on [0, 1]::

        p(y | lam) = C(lam) * lam**y * (1 - lam)**(1 - y),
        C(lam) = 2 * artanh(1 - 2 * lam) / (1 - 2 * lam),   lam = sigmoid(X @ w + b).

    Binary cross-entropy on such targets is this likelihood without ``log C(lam)``; the
    normalizer changes the fit: the mean of the fitted distribution is not ``lam``. The
    estimator minimizes, with L-BFGS-B::

        sum_i s_i * -log p(y_i | lam_i) / S + ||w||^2 / (2 * C * S),   S = sum_i s_i

    A generalized linear model (an exponential family with natural parameter ``X @ w + b``):
    the gradient of each term with respect to the logit is ``s_i * (mean_i - y_i)``. The loss
    and gradient are computed in one pass over X, block by block, by a compiled Cython kernel
    (the one of ``SoftLabelLogisticRegression``), stable at ``lam = 1/2`` (a series) and for
    huge logits.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the L2 regularization strength (``np.inf``: no penalty). The intercept is
        not penalized.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=100
        Maximum number of L-BFGS-B iterations.
    tol : float, default=1e-4
        L-BFGS-B stops when the largest projected gradient entry is below ``tol``.
    n_threads : int, default=None
        OpenMP threads of the loss kernel; ``None`` uses every available core (capped by
        ``OMP_NUM_THREADS``), but fewer on problems too small to keep them busy. The result
        does not depend on it. BLAS is held to one thread during the fit. More threads than
        the available cores are capped to them.
        Forked processes: a child made by ``fork`` (``multiprocessing``'s default start
        method on Linux before Python 3.14) that fits with threads after the parent ran a
        threaded fit hangs in OpenMP (libgomp). Start workers with ``"forkserver"`` or
        ``"spawn"``, use joblib's ``"loky"`` backend (scikit-learn's ``n_jobs``), or fit with
        ``n_threads=1`` in the parent; see the performance page.
    verbose : int, default=0
        When > 0, print one line per iteration (iteration, objective, gradient norm).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients of the logit of ``lam``.
    intercept_ : float
        Intercept of the logit (0.0 when ``fit_intercept=False``).
    n_iter_ : int
        Number of L-BFGS-B iterations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    SoftLabelLogisticRegression : Binary cross-entropy, for targets that are probabilities.

    References
    ----------
    G. Loaiza-Ganem and J. P. Cunningham, "The continuous Bernoulli: fixing a pervasive error
    in variational autoencoders", NeurIPS 2019.

    Examples
    --------
    >>> import numpy as np
    >>> from skfuzzy_ce import ContinuousBernoulliRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.1, 0.3, 0.6, 0.8])
    >>> reg = ContinuousBernoulliRegression(C=np.inf).fit(X, y)
    >>> reg.predict(X).round(2)
    array([0.13, 0.26, 0.59, 0.82])
    >>> reg.predict_lambda([[1.5]]).round(3)
    array([0.243])
    """

    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="right")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self, *, C=1.0, fit_intercept=True, max_iter=100, tol=1e-4, n_threads=None, verbose=0
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.n_threads = n_threads
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _make_objective(self, X, y, sample_weight):
        """Validate the data and build the (loss, grad) objective: ``(X, objective)``."""
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], order="C", reset=True
        )
        X = same_index_dtype(X)
        y = _check_unit_interval_target(y, X.dtype, type(self).__name__)
        check_consistent_length(X, y)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        sample_weight, weight_exp = scale_weights(sample_weight, return_exponent=True)
        sw_sum = float(sample_weight.sum())  # > 0: _check_sample_weight refuses all zeros
        l2 = 0.0 if np.isinf(self.C) else np.ldexp(1.0 / (self.C * sw_sum), -weight_exp)
        objective = FusedLinearObjective(
            X,
            np.ascontiguousarray(y, dtype=X.dtype).reshape(-1, 1),
            sample_weight,
            np.ones(1),
            n_outputs=1,
            fit_intercept=self.fit_intercept,
            l2_reg_strength=l2,
            sw_sum=sw_sum,
            n_threads=self.n_threads,
            kind="continuous_bernoulli",
        )
        return X, objective

    def fit(self, X, y, sample_weight=None):
        """Fit the model by maximum likelihood (L2-penalized).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, dense or CSR, float32 or float64 (other dtypes become float64).
        y : array-like of shape (n_samples,)
            Observed values, each in [0, 1].
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X, objective = self._make_objective(X, y, sample_weight)
        w0 = np.zeros(objective.n_params, dtype=np.float64)
        w, n_iter, _ = minimize_lbfgs(
            objective,
            w0,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
            solver_name="cb-lbfgs",
        )
        coef, intercept = objective.split(w)
        self.coef_ = coef[0].copy()
        self.intercept_ = float(intercept[0]) if intercept is not None else 0.0
        self.n_iter_ = int(n_iter)
        return self

    def _linear_predictor(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        return np.asarray(X @ self.coef_, dtype=np.float64) + self.intercept_

    def predict(self, X):
        """Mean of the fitted continuous Bernoulli, ``E[y | X]`` (not ``lam``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_mean : ndarray of shape (n_samples,)
            Values in [0, 1], between ``lam`` and 1/2.
        """
        return cb_mean_logit(self._linear_predictor(X))

    def predict_lambda(self, X):
        """Parameter ``lam = sigmoid(X @ coef_ + intercept_)`` of the fitted distribution.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        lam : ndarray of shape (n_samples,)
        """
        return expit(self._linear_predictor(X))
