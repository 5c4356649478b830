"""ContinuousBernoulliRegression: a GLM for observations in [0, 1]."""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import same_index_dtype
from ._cb_math import cb_mean_logit
from ._dask import is_dask_collection, is_dask_input
from ._fused_objective import FusedLinearObjective
from ._objective import make_objective
from ._solvers import SOLVERS, fit_linear
from ._targets import scale_weights

__all__ = ["ContinuousBernoulliRegression"]


def _check_unit_interval_target(y, dtype, estimator_name, row_offset=0):
    """1-D float copy of ``y`` with every value finite and in [0, 1], else a clear ValueError.

    A column vector is accepted with scikit-learn's ``DataConversionWarning``. ``row_offset``
    is added to the row numbers in messages (``y`` a chunk of a larger target).
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
            f"y contains {'NaN' if np.isnan(y[i]) else 'infinity'} in row {i + row_offset}. "
            "The targets must be finite values in [0, 1]: drop or impute the rows with "
            "missing targets."
        )
    bad = (y < 0) | (y > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"y has the value {y[i]:.6g} in row {i + row_offset}, outside [0, 1]. The "
            "continuous Bernoulli is a distribution on [0, 1]: rescale the targets to [0, 1] "
            "first (e.g. divide pixel intensities by 255, or use MinMaxScaler on y)."
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
    estimator minimizes, under the elastic net of ``SoftLabelLogisticRegression``::

        sum_i s_i * -log p(y_i | lam_i) / S + r(w) / (C * S),   S = sum_i s_i,
        r(w) = (1 - l1_ratio) * ||w||^2 / 2 + l1_ratio * ||w||_1

    A generalized linear model (an exponential family with natural parameter ``X @ w + b``):
    the gradient of each term with respect to the logit is ``s_i * (mean_i - y_i)``. The loss
    and gradient are computed in one pass over X, block by block, by a compiled Cython kernel
    (the one of ``SoftLabelLogisticRegression``), stable at ``lam = 1/2`` (a series) and for
    huge logits.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the regularization strength (``np.inf``: no penalty). The intercept is
        not penalized.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing: 0 is the L2 penalty, 1 the L1 penalty (exact zeros in
        ``coef_``). ``l1_ratio > 0`` needs ``solver="newton-cd"`` (what ``"auto"`` picks).
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    solver : {"auto", "lbfgs", "newton-cholesky", "newton-cd"}, default="auto"
        As in :class:`SoftLabelLogisticRegression`: ``"auto"`` is ``"lbfgs"`` for
        ``l1_ratio=0``, else ``"newton-cd"``; ``"newton-cholesky"`` takes exact Newton
        steps (a few iterations on badly scaled features).
    max_iter : int, default=100
        Maximum number of solver iterations.
    tol : float, default=1e-4
        The fit has converged when the largest entry of the projected gradient (with L1:
        of the minimum-norm subgradient) is at most ``tol``; otherwise a
        ``ConvergenceWarning`` says so.
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
        Coefficients of the logit of ``lam``, in X's precision.
    intercept_ : float
        Intercept of the logit (0.0 when ``fit_intercept=False``), in X's precision.
    n_iter_ : int
        Number of solver iterations.
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
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "solver": [StrOptions({"auto", *SOLVERS})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        C=1.0,
        l1_ratio=0.0,
        fit_intercept=True,
        solver="auto",
        max_iter=100,
        tol=1e-4,
        n_threads=None,
        verbose=0,
    ):
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_threads = n_threads
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _make_data_term(self, X, y, sample_weight):
        """Validate the data and build the in-memory data term: ``(X, data, sw_sum)``."""
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
        data = FusedLinearObjective(
            X,
            np.ascontiguousarray(y, dtype=X.dtype).reshape(-1, 1),
            sample_weight,
            np.ones(1),
            n_outputs=1,
            fit_intercept=self.fit_intercept,
            n_threads=self.n_threads,
            kind="continuous_bernoulli",
            weight_exp=weight_exp,
        )
        return X, data, sw_sum

    def _make_objective(self, X, y, sample_weight):
        """``(X, objective)``: the penalized objective that :meth:`fit` minimizes."""
        X, data, sw_sum = self._make_data_term(X, y, sample_weight)
        return X, make_objective(data, sw_sum, C=self.C, l1_ratio=self.l1_ratio)

    def fit(self, X, y, sample_weight=None):
        """Fit the model by (penalized) maximum likelihood.

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
        if is_dask_input(X, y, sample_weight):  # rows on dask workers: see _dask.py
            from ._dask import fit_continuous_bernoulli

            return fit_continuous_bernoulli(self, X, y, sample_weight)
        X, data, sw_sum = self._make_data_term(X, y, sample_weight)
        w, n_iter = fit_linear(
            data, sw_sum, C=self.C, l1_ratio=self.l1_ratio, solver=self.solver,
            max_iter=self.max_iter, tol=self.tol, verbose=self.verbose,
        )  # fmt: skip
        coef, intercept = data.split(w)
        self.coef_ = coef[0].astype(X.dtype)
        self.intercept_ = X.dtype.type(intercept[0] if intercept is not None else 0.0)
        self.n_iter_ = int(n_iter)
        return self

    def _linear_predictor(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        return X @ self.coef_ + self.intercept_

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
        if is_dask_collection(X):  # lazy, chunk by chunk
            from ._dask import dask_predict

            return dask_predict(self, "predict", X)
        eta = self._linear_predictor(X)
        return cb_mean_logit(eta).astype(eta.dtype, copy=False)  # computed in float64

    def predict_lambda(self, X):
        """Parameter ``lam = sigmoid(X @ coef_ + intercept_)`` of the fitted distribution.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        lam : ndarray of shape (n_samples,)
        """
        if is_dask_collection(X):  # lazy, chunk by chunk
            from ._dask import dask_predict

            return dask_predict(self, "predict_lambda", X)
        return expit(self._linear_predictor(X))
