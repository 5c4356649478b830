"""SoftLabelLogisticRegression: logistic regression on soft labels."""

from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ._base import (
    SoftClassifierMixin,
    SparseCoefMixin,
    compute_soft_class_weight,
    same_index_dtype,
)
from ._dask import is_dask_collection, is_dask_input
from ._fused_objective import FusedLinearObjective
from ._objective import make_objective
from ._solvers import SOLVERS, fit_linear
from ._targets import check_soft_targets, scale_weights

__all__ = ["SoftLabelLogisticRegression"]


def _is_label_vector(y):
    """1-D targets or a column vector: labels, which binary_cross_entropy reads one-vs-rest."""
    shape = y.shape if hasattr(y, "shape") else np.asarray(y).shape
    return len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)


def _log1pexp(x):
    """log(1 + exp(x)), split by sign so that huge |x| neither overflows nor loses digits."""
    out = np.empty_like(x)
    pos = x > 0
    out[pos] = x[pos] + np.log1p(np.exp(-x[pos]))
    out[~pos] = np.log1p(np.exp(x[~pos]))
    return out


def _check_total_weight(sw_sum, class_weight):
    """``sw_sum`` (the objective's normalizer, ``S``) as a float, or the error for nothing
    to fit: no weight at all, or every class weight zero."""
    if not sw_sum > 0 or not class_weight.any():  # (all class weights 0: multi-label)
        raise ValueError(
            "The sample weights (times the class weights) sum to zero: there is nothing "
            "to fit. Give some samples a positive weight."
        )
    return float(sw_sum)


def _output_layout(loss, n_classes, multilabel):
    """``(n_outputs, kind, one_vs_rest)`` of the data term for ``n_classes`` target columns.

    A single logit for two classes (not multi-label); independent sigmoids for a multi-label
    matrix, and for ``binary_cross_entropy`` on labels of more than two classes, where
    ``one_vs_rest`` says that each row weighs ``s_i * cw_(its class)`` in every problem.
    """
    n_outputs = 1 if (n_classes == 2 and not multilabel) else n_classes
    sigmoids = multilabel or (loss == "binary_cross_entropy" and n_outputs > 2)
    return n_outputs, "sigmoids" if sigmoids else "softmax", sigmoids and not multilabel


class _FitTargets(NamedTuple):
    """Validated targets and weights of a fit (see ``_check_fit_data``)."""

    Y: np.ndarray
    sample_weight: np.ndarray
    class_weight: np.ndarray
    classes: np.ndarray
    multilabel: bool
    weight_exp: int  # the sample weights were divided by 2**weight_exp (scale_weights)


class SoftLabelLogisticRegression(
    SoftClassifierMixin, SparseCoefMixin, ClassifierMixin, BaseEstimator
):
    """Logistic regression fitted on soft labels (probability targets) by cross-entropy.

    Minimizes the cross-entropy between the targets ``Y`` and the model's probabilities
    ``p = softmax(X @ W.T + b)`` under an elastic-net penalty::

        sum_i s_i * sum_k cw_k * Y_ik * (-log p_ik) / S + r(W) / (C * S),
        r(W) = (1 - l1_ratio) * ||W||^2 / 2 + l1_ratio * ||W||_1

    scaled as scikit-learn's ``LogisticRegression`` scales it (``S`` is the sum of the
    effective sample weights), so that on hard labels both give the same model. With two
    classes a single logit is used (``coef_`` of shape (1, n_features)). On soft labels, the
    result is the ``LogisticRegression`` fitted on the duplicated data set where each row
    appears once per class with weight ``s_i * Y_ik``, without making that data set.

    The loss, its gradient and its Hessian are computed by compiled Cython kernels (float32
    and float64, OpenMP threads) in one pass over X, block by block; on dense X, ``X @ W.T``
    and ``G.T @ X`` use BLAS on each block. Convergence is checked after every fit: a solver
    that stopped with the optimality measure above ``tol`` emits a ``ConvergenceWarning``.

    Parameters
    ----------
    loss : {"cross_entropy", "binary_cross_entropy"}, default="cross_entropy"
        ``"cross_entropy"``: softmax over the classes, rows of ``y`` are distributions.
        ``"binary_cross_entropy"``: one independent sigmoid per column (multi-label soft
        targets); rows of ``y`` need not sum to 1, ``predict`` returns the 0/1 indicator
        matrix. On labels (1-D ``y``) it is one-vs-rest: one sigmoid per class, each row
        weighted by its class weight, probabilities normalized over the classes; with two
        classes the two problems mirror each other and a single logit is fitted, as with
        ``"cross_entropy"``.
    C : float, default=1.0
        Inverse of the regularization strength (``np.inf``: no penalty). The intercept is
        not penalized.
    l1_ratio : float in [0, 1], default=0.0
        Elastic-net mixing: 0 is the L2 penalty, 1 the L1 penalty (exact zeros in
        ``coef_``), in between both, as glmnet's ``alpha`` and scikit-learn's ``l1_ratio``.
        ``l1_ratio > 0`` needs ``solver="newton-cd"`` (what ``"auto"`` picks).
    fit_intercept : bool, default=True
        Whether to fit an intercept per output.
    class_weight : dict, "balanced" or None, default=None
        Multiplies every ``Y_ik`` term of class ``k``, as the duplicated data set with class
        weights would. ``"balanced"`` uses the soft class totals:
        ``sum(s) / (n_classes * sum_i s_i * Y_ik)``.
    label_smoothing : float in [0, 1], default=0.0
        Targets become ``(1 - label_smoothing) * Y + label_smoothing / n_classes``.
    solver : {"auto", "lbfgs", "newton-cholesky", "newton-cd"}, default="auto"
        ``"lbfgs"``: scipy's L-BFGS-B (``l1_ratio=0`` only). ``"newton-cholesky"``: Newton
        steps with the exact Hessian, solved by Cholesky (``l1_ratio=0`` only): a few
        iterations whatever the scaling of the features, each costing about
        ``n_samples * (n_features * n_outputs)**2 / 2`` multiply-adds, so for
        ``n_samples`` much larger than ``n_features * n_outputs``. ``"newton-cd"``:
        proximal Newton, the quadratic model minimized by coordinate descent over the
        columns of X (any ``l1_ratio``; sparse high-dimensional X without forming a
        ``(n_features * n_outputs)**2`` matrix; keeps a column-ordered copy of X during
        the fit). ``"auto"``: ``"lbfgs"`` for ``l1_ratio=0``, else ``"newton-cd"``.
    max_iter : int, default=100
        Maximum number of solver iterations (L-BFGS-B iterations, or Newton steps).
    tol : float, default=1e-4
        The fit has converged when the largest entry of the projected gradient (with L1:
        of the minimum-norm subgradient) of the objective above is at most ``tol``;
        newton-cholesky also asks half the squared Newton decrement to be below ``tol``,
        as scikit-learn does.
    warm_start : bool, default=False
        Start from the previous solution when refitting with the same shapes.
    n_threads : int, default=None
        OpenMP threads of the loss kernels; ``None`` uses every available core (capped by
        ``OMP_NUM_THREADS``), but fewer on problems too small to keep them busy. The result
        does not depend on it beyond rounding. BLAS is held to one thread during the fit.
        More threads than the available cores are capped to them.
        Forked processes: a child made by ``fork`` (``multiprocessing``'s default start
        method on Linux before Python 3.14) that fits with threads after the parent ran a
        threaded fit hangs in OpenMP (libgomp). Start workers with ``"forkserver"`` or
        ``"spawn"``, use joblib's ``"loky"`` backend (scikit-learn's ``n_jobs``), or fit with
        ``n_threads=1`` in the parent; see the performance page.
    verbose : int, default=0
        When > 0, print one line per iteration (iteration, objective, gradient norm).
    classes : array-like, default=None
        Class labels: for hard ``y``, the classes to encode (in this order, may include
        classes absent from ``y``); for soft ``y``, one label per column. By default the
        sorted labels of hard ``y``, the columns of a DataFrame, or ``arange(n_classes)``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients; one row for two classes with ``loss="cross_entropy"``. In X's
        precision (float32 for float32 X). A CSR matrix after :meth:`sparsify`.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``). For a softmax over several
        classes they sum to 0 (adding one constant to all changes no prediction).
    n_iter_ : ndarray of shape (1,)
        Number of solver iterations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The same model on hard labels.
    WeightedHardClassifier : Any classifier on soft labels via the duplicated data set.

    Examples
    --------
    >>> import numpy as np
    >>> from skfuzzy_ce import SoftLabelLogisticRegression
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> Y = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> clf = SoftLabelLogisticRegression(C=np.inf).fit(X, Y)
    >>> clf.predict(X)
    array([0, 0, 1, 1])
    >>> clf.predict_proba([[0.0]]).round(3)
    array([[0.5, 0.5]])
    """

    _parameter_constraints = {
        "loss": [StrOptions({"cross_entropy", "binary_cross_entropy"})],
        "C": [Interval(Real, 0, None, closed="right")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="both")],
        "solver": [StrOptions({"auto", *SOLVERS})],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
        "classes": ["array-like", None],
    }

    def __init__(
        self,
        *,
        loss="cross_entropy",
        C=1.0,
        l1_ratio=0.0,
        fit_intercept=True,
        class_weight=None,
        label_smoothing=0.0,
        solver="auto",
        max_iter=100,
        tol=1e-4,
        warm_start=False,
        n_threads=None,
        verbose=0,
        classes=None,
    ):
        self.loss = loss
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.n_threads = n_threads
        self.verbose = verbose
        self.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = self.loss == "binary_cross_entropy"
        return tags

    # ------------------------------------------------------------------ fitting
    def _make_data_term(self, X, y, sample_weight, reset):
        """Validate the data and build the in-memory data term.

        Returns ``(X, data, sw_sum, classes)``: ``sw_sum`` is ``S``, the normalizer of the
        objective (the total effective weight, as scikit-learn computes it after class
        weighting).
        """
        X, targets = self._check_fit_data(X, y, sample_weight, reset)
        data, sw_sum = self._build_data_term(X, targets)
        return X, data, sw_sum, targets.classes

    def _check_fit_data(self, X, y, sample_weight, reset):
        """Validate ``X``, ``y`` and ``sample_weight`` once, for fits on all or some rows.

        Returns ``(X, targets)``: the validated X and a :class:`_FitTargets` holding the
        target matrix (label smoothing applied), the sample weights and the class weights
        (computed on all the rows given here), the classes and whether ``y`` is read as
        multi-label. :meth:`_build_data_term` makes the data term of any subset of its
        rows (a cross-validation fold) with those classes and class weights fixed.
        """
        if y is None:
            check_soft_targets(y)  # raises the "requires y" error
        X = validate_data(
            self, X, accept_sparse="csr", dtype=[np.float64, np.float32], order="C", reset=reset
        )
        X = same_index_dtype(X)
        # binary_cross_entropy on an (n, K) matrix: one sigmoid per column (multi-label). On
        # labels (1-D or a column): one-hot, one sigmoid per class (one-vs-rest); with two
        # classes the two problems are mirror images, so a single logit, as cross_entropy.
        multilabel = self.loss == "binary_cross_entropy" and not _is_label_vector(y)
        Y, classes = check_soft_targets(
            y, classes=self.classes, multilabel=multilabel, dtype=X.dtype, n_samples=X.shape[0]
        )
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        sample_weight, weight_exp = scale_weights(sample_weight, return_exponent=True)
        if self.label_smoothing > 0:
            eps = self.label_smoothing
            Y = (1 - eps) * Y + eps / Y.shape[1]  # a new array: the user's y is untouched
        Y = np.ascontiguousarray(Y, dtype=X.dtype)
        class_weight = compute_soft_class_weight(self.class_weight, classes, Y, sample_weight)
        return X, _FitTargets(Y, sample_weight, class_weight, classes, multilabel, weight_exp)

    def _build_data_term(self, X, targets, rows=None, n_threads=None):
        """``(data, sw_sum)``: the data term of ``X`` and ``targets`` (from
        :meth:`_check_fit_data`), on all rows or on the index array ``rows``; its kernels
        run on ``n_threads`` threads (None: the estimator's ``n_threads``)."""
        Y, sample_weight, class_weight = targets.Y, targets.sample_weight, targets.class_weight
        multilabel = targets.multilabel
        if rows is not None:
            X, Y, sample_weight = X[rows], Y[rows], sample_weight[rows]
        sw_sum = _check_total_weight(
            sample_weight.sum() if multilabel else sample_weight @ (Y @ class_weight),
            class_weight,
        )
        n_outputs, kind, one_vs_rest = _output_layout(self.loss, Y.shape[1], multilabel)
        if one_vs_rest:
            sample_weight = sample_weight * (Y @ class_weight)
            class_weight = np.ones_like(class_weight)
        # One blocked pass over X per evaluation (issue 7).
        data = FusedLinearObjective(
            X, Y, sample_weight, class_weight, n_outputs=n_outputs,
            fit_intercept=self.fit_intercept, kind=kind,
            n_threads=self.n_threads if n_threads is None else n_threads,
            weight_exp=targets.weight_exp,
        )  # fmt: skip
        return data, sw_sum

    def _make_objective(self, X, y, sample_weight, reset):
        """``(X, objective, classes)``: the penalized objective that :meth:`fit` minimizes."""
        X, data, sw_sum, classes = self._make_data_term(X, y, sample_weight, reset)
        return X, make_objective(data, sw_sum, C=self.C, l1_ratio=self.l1_ratio), classes

    def _initial_w(self, data):
        """Zeros, or the previous solution with ``warm_start`` and the same shapes."""
        w0 = np.zeros(data.n_params, dtype=np.float64)
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == (data.n_outputs, data.n_features)
        ):
            coef = self.coef_.toarray() if sp.issparse(self.coef_) else self.coef_
            w0[: data.n_coef] = coef.ravel()
            if self.fit_intercept:
                w0[data.n_coef :] = self.intercept_
        return w0

    def _set_fitted(self, data, w, n_iter, classes, y, dtype):
        """The fitted attributes from the solution ``w`` (in X's precision ``dtype``)."""
        coef, intercept = data.split(w)
        self.classes_ = classes
        # Multi-label outputs (indicator matrix) only when fitted on an (n, K) target matrix.
        self._multilabel = self.loss == "binary_cross_entropy" and not _is_label_vector(y)
        self.coef_ = coef.astype(dtype, copy=True)
        self.intercept_ = (
            intercept.astype(dtype, copy=True)
            if intercept is not None
            else np.zeros(data.n_outputs, dtype=dtype)
        )
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        return self

    def fit(self, X, y, sample_weight=None):
        """Fit the model on hard or soft labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, dense or CSR, float32 or float64 (other dtypes become float64).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, soft labels (rows summing to 1), or 1-D values in [0, 1] read as
            P(class 1). With ``loss="binary_cross_entropy"``, an (n_samples, n_classes) matrix
            of independent probabilities.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        if is_dask_input(X, y, sample_weight):  # rows on dask workers: see _dask.py
            from ._dask import fit_soft_logistic

            return fit_soft_logistic(self, X, y, sample_weight)
        X, data, sw_sum, classes = self._make_data_term(X, y, sample_weight, reset=True)
        w, n_iter = fit_linear(
            data, sw_sum, C=self.C, l1_ratio=self.l1_ratio, solver=self.solver,
            max_iter=self.max_iter, tol=self.tol, verbose=self.verbose,
            w0=self._initial_w(data),
        )  # fmt: skip
        return self._set_fitted(data, w, n_iter, classes, y, X.dtype)

    # --------------------------------------------------------------- prediction
    def decision_function(self, X):
        """Raw predictions (logits) ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D for the single-logit binary case, as in scikit-learn. float32 for float32
            X and a model fitted on float32 X.
        """
        if is_dask_collection(X):  # lazy, chunk by chunk
            from ._dask import dask_predict

            return dask_predict(self, "decision_function", X)
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 and not self._multilabel else scores

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1 for ``loss="cross_entropy"``; independent per-column probabilities
            for ``loss="binary_cross_entropy"``.
        """
        if is_dask_collection(X):  # lazy, chunk by chunk
            from ._dask import dask_predict

            return dask_predict(self, "predict_proba", X)
        scores = self.decision_function(X)
        if self._multilabel:
            return expit(scores)
        if self.loss == "binary_cross_entropy" and scores.ndim == 2:
            p = expit(scores)  # one-vs-rest sigmoids, normalized over the classes
            return p / p.sum(axis=1, keepdims=True)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1 - p1, p1])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably (no log of a rounded 0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        if is_dask_collection(X):  # lazy, chunk by chunk
            from ._dask import dask_predict

            return dask_predict(self, "predict_log_proba", X)
        scores = self.decision_function(X)
        if self._multilabel:
            return -_log1pexp(-scores)
        if self.loss == "binary_cross_entropy" and scores.ndim == 2:
            return log_softmax(-_log1pexp(-scores), axis=1)  # normalized one-vs-rest sigmoids
        if scores.ndim == 1:
            return np.column_stack([-_log1pexp(scores), -_log1pexp(-scores)])
        return log_softmax(scores, axis=1)

    def predict(self, X):
        """Most probable class (or, for ``binary_cross_entropy``, the 0/1 label indicator).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        if is_dask_collection(X):  # lazy, chunk by chunk
            from ._dask import dask_predict

            return dask_predict(self, "predict", X)
        scores = self.decision_function(X)
        if self._multilabel:
            return (scores > 0).astype(int)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Accuracy of :meth:`predict` against ``y``.

        For a model fitted on a multi-label matrix (``loss="binary_cross_entropy"``), the
        share of rows whose predicted label set equals ``y >= 0.5`` (subset accuracy);
        otherwise accuracy against hard ``y`` or the most probable class of soft ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        if not self._multilabel:
            return super().score(X, y, sample_weight=sample_weight)
        Y, _ = check_soft_targets(y, classes=self.classes_, multilabel=True, min_classes=1)
        return accuracy_score(Y >= 0.5, self.predict(X).astype(bool), sample_weight=sample_weight)
