"""SoftLabelLogisticRegressionCV: the regularization path with warm starts, scored on soft labels.

For each cross-validation fold and each ``l1_ratio``, the Cs are fitted from the strongest
penalty to the weakest, each fit starting from the previous solution (a solution at a
stronger penalty is close to the next one, so each fit takes a few iterations where a fit
from zero would take many), and each is scored on the fold's held-out rows. The data term of
a fold is built once and serves every C of its path. Then the best pair is refitted on all
rows, starting from the mean of the folds' solutions there, as scikit-learn's
``LogisticRegressionCV`` does.

Everything a fit does to the data (target validation, label smoothing, sample and class
weights, the objective) is :class:`SoftLabelLogisticRegression`'s: the class weights are
computed once on all rows, and each fold's data term is made by
``SoftLabelLogisticRegression._build_data_term`` on its training rows.

The path, the scoring and the refit see the rows only through a "rows" object: the data term
of any set of rows and the held-out rows as the scorer gets them. :class:`_InMemoryRows` is
the in-memory one; on dask input, :class:`~skfuzzy_ce._dask.DaskCVRows` builds each fold's
data term where the chunks live and computes the held-out predictions there.
"""

import copy
import inspect
import warnings
from numbers import Integral

import numpy as np
from joblib import effective_n_jobs
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.metrics._scorer import _Scorer
from sklearn.model_selection import KFold, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted

from . import _cpu_dispatch
from ._dask import _nbytes, is_dask_input
from ._soft_logistic import SoftLabelLogisticRegression, _is_label_vector
from ._solvers import fit_linear, resolve_solver
from ._threads import available_cores, blas_single_thread
from .metrics import binary_cross_entropy, neg_soft_log_loss_scorer
from .metrics._soft import _aggregate, _checked_targets
from .model_selection import SoftStratifiedKFold

__all__ = ["SoftLabelLogisticRegressionCV"]

# The parameters of a single fit that the CV estimator shares with SoftLabelLogisticRegression
# (C and l1_ratio are searched; warm_start has no meaning for a path that warm-starts itself).
_SHARED = (
    "loss", "fit_intercept", "class_weight", "label_smoothing", "solver", "max_iter", "tol",
    "n_threads", "classes",
)  # fmt: skip


def _neg_binary_cross_entropy(estimator, X, y, sample_weight=None):
    """Default scorer of a multi-label fit: minus the held-out binary cross-entropy (summed
    over the columns, averaged over the rows)."""
    return -binary_cross_entropy(y, estimator.predict_proba(X), sample_weight=sample_weight)


def _is_soft(y):
    """Whether ``y`` holds soft labels (a matrix, or 1-D fractions), not hard labels."""
    if not _is_label_vector(y):
        return True
    y = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    y = y.ravel()
    return y.dtype.kind == "f" and bool(np.any(np.isfinite(y) & (np.mod(y, 1) != 0)))


def _with_labels(scorer, classes):
    """``scorer`` with ``labels=classes`` (and, with two classes, ``pos_label``) bound when
    its metric takes them, as scikit-learn's ``LogisticRegressionCV`` does: a held-out fold
    may lack a class, and its labels must still be read against the model's columns."""
    if not isinstance(scorer, _Scorer):
        return scorer
    try:
        params = inspect.signature(scorer._score_func).parameters
    except (TypeError, ValueError):
        return scorer
    extra = {}
    if "labels" in params and "labels" not in scorer._kwargs:
        extra["labels"] = classes
    if len(classes) == 2 and "pos_label" in params and "pos_label" not in scorer._kwargs:
        extra["pos_label"] = classes[-1]
    if not extra:
        return scorer
    scorer = copy.copy(scorer)
    scorer._kwargs = {**scorer._kwargs, **extra}
    return scorer


class _Layout:
    """Where the coefficients and intercepts sit in a parameter vector ``w`` (what
    ``_set_fitted`` reads of a data term), for results averaged over folds."""

    def __init__(self, n_outputs, n_features, fit_intercept):
        self.n_outputs, self.n_features, self.fit_intercept = n_outputs, n_features, fit_intercept
        self.n_coef = n_outputs * n_features

    def split(self, w):
        coef = w[: self.n_coef].reshape(self.n_outputs, self.n_features)
        return coef, (w[self.n_coef :] if self.fit_intercept else None)


def _scoring_model(cv_estimator, layout, w, C, l1_ratio, classes, y_test, n_features, dtype):
    """A fitted :class:`SoftLabelLogisticRegression` at one point of a path, for the scorer."""
    model = SoftLabelLogisticRegression(
        C=C, l1_ratio=l1_ratio, **{name: getattr(cv_estimator, name) for name in _SHARED}
    )
    model._set_fitted(layout, w, 0, classes, y_test, dtype)
    model.n_features_in_ = n_features
    return model


class _DefaultScores:
    """The default scores (minus the held-out soft cross-entropy) of a fold's held-out rows
    at the points of its path, from the raw predictions, without what the public scorer
    redoes at each call: the held-out labels and weights are checked once (at the first
    point), the predictions come from the validated rows, and the clipped cross-entropy of
    their probabilities is computed in one pass (``_fused.clipped_log_loss_rows``). Equal
    to ``neg_soft_log_loss_scorer`` to rounding (the kernels' exps and logs, about 2 ulp).

    For a softmax or a single logit; multi-label targets, the normalized one-vs-rest
    sigmoids, any other scorer, and non-finite predictions (for which the scorer says what
    is wrong) go to the scorer."""

    def __init__(self, y, sample_weight):
        self.y, self.sample_weight = y, sample_weight
        self._targets = None

    @staticmethod
    def applies(cv_estimator, model):
        """Whether ``model``'s scorer is the default soft cross-entropy and its
        probabilities a softmax or a single logit's. (Decided from ``scoring=None``, not from
        the scorer object, which ``n_jobs`` pickles into copies.)"""
        return (
            cv_estimator.scoring is None
            and not model._multilabel
            and (model.loss == "cross_entropy" or model.coef_.shape[0] == 1)
        )

    def __call__(self, model, Zt):
        """Score of ``model`` from its raw predictions ``Zt`` (n_outputs, n_held_out),
        C-contiguous in the model's dtype, or None if they are not finite."""
        if not np.isfinite(Zt).all():
            return None
        n = Zt.shape[1]
        if self._targets is None:
            Y, weights = _checked_targets(
                self.y, model.classes_, max(2, Zt.shape[0]), self.sample_weight
            )
            self._targets = np.ascontiguousarray(Y.T), weights, np.empty((2 + Zt.shape[0]) * n)
        Yt, weights, work = self._targets
        losses = np.empty(n)
        eps = float(np.finfo(Zt.dtype).eps)
        _cpu_dispatch.active().fused.clipped_log_loss_rows(Zt, Yt, eps, work, losses)
        return -_aggregate(losses, weights, True, checked=True)


class _HeldOut:
    """The held-out rows of a fold, as the scorer gets them."""

    def __init__(self, X, y, sample_weight):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.default_scores = _DefaultScores(y, sample_weight)

    def scores(self, cv_estimator, scorer, models):
        """The score of each model (the points of a path)."""
        out = np.full(len(models), np.nan)
        fast = [j for j, m in enumerate(models) if _DefaultScores.applies(cv_estimator, m)]
        if fast:  # the raw predictions of all these points in one product, class-major
            W = np.concatenate([models[j].coef_ for j in fast])
            b = np.concatenate([models[j].intercept_ for j in fast])
            Zt = safe_sparse_dot(self.X, W.T, dense_output=True).T + b[:, None]
            Zt = np.ascontiguousarray(Zt)
            row = 0
            for j in fast:
                n_out = models[j].coef_.shape[0]
                score = self.default_scores(models[j], Zt[row : row + n_out])
                if score is not None:
                    out[j] = score
                row += n_out
        kwargs = {} if self.sample_weight is None else {"sample_weight": self.sample_weight}
        for j in np.flatnonzero(np.isnan(out)):  # the rest, and non-finite predictions
            out[j] = scorer(models[j], self.X, self.y, **kwargs)
        return out


# In-memory X up to this size (bytes) runs the paths of the folds side by side in threads when
# the user left both n_jobs and n_threads to us. Below it one evaluation takes a few ms, and
# the Python of the solver between evaluations, the waking of the kernel's threads and their
# spinning afterwards are a large part of a path: measured on 2 cores (n=1e5, d=50, K=5,
# 10 Cs, 5 folds), two paths at a time with one kernel thread each took 0.45 s where one
# path at a time with two kernel threads took 0.65 s. At 200 MB the two were equal; above,
# one fold's training copy at a time keeps the memory down.
_PATH_THREADS_MAX_BYTES = 2**28


class _InMemoryRows:
    """The validated rows of an in-memory fit: the data term of any set of rows (a fold's
    training rows, or all), and a fold's held-out rows."""

    def __init__(self, cv_estimator, X, y, sample_weight):
        self.estimator = cv_estimator
        self.path_n_threads = None  # the kernels' threads in a fold's data term
        self.X, self.targets = cv_estimator._check_fit_data(X, y, sample_weight, reset=True)
        if not hasattr(y, "iloc"):  # pandas stays pandas for the scorer; rest: arrays
            y = np.asarray(y)
        self.y = y
        self.classes, self.multilabel = self.targets.classes, self.targets.multilabel
        self.n_features, self.dtype = self.X.shape[1], self.X.dtype
        self.score_sw = None if sample_weight is None else self.targets.sample_weight

    def split(self, cv):
        return list(cv.split(self.X, self.y))

    def data_term(self, rows=None):
        """``(data, sw_sum)`` of the rows ``rows`` (global indices; None: all)."""
        n_threads = None if rows is None else self.path_n_threads
        return self.estimator._build_data_term(self.X, self.targets, rows, n_threads)

    def path_jobs(self, n_jobs, n_paths):
        """``(n_jobs, backend)`` for the paths. The user's ``n_jobs``, except when both it
        and ``n_threads`` are None (and no joblib context sets the jobs) and X is small
        (``_PATH_THREADS_MAX_BYTES``): then the paths run side by side in threads, one per
        available core, each with one kernel thread. The kernels' results do not depend on
        their thread count, so neither does anything fitted."""
        side_by_side = min(available_cores(), n_paths)
        if (
            self.estimator.n_threads is None
            and n_jobs is None
            and effective_n_jobs(None) == 1
            and side_by_side > 1
            and _nbytes(self.X) <= _PATH_THREADS_MAX_BYTES
        ):
            self.path_n_threads = 1
            return side_by_side, "threading"
        self.path_n_threads = None
        return n_jobs, None

    def held_out(self, test):
        sw = None if self.score_sw is None else self.score_sw[test]
        return _HeldOut(self.X[test], _safe_indexing(self.y, test), sw)

    def is_soft(self):
        return _is_soft(self.y)

    def release(self, data):
        pass


class _RemoteScores(SoftLabelLogisticRegression):
    """A scoring model whose held-out rows live elsewhere (dask chunks): its
    ``decision_function`` on the placeholder ``X`` it was given returns the values computed
    where those rows are, by the same model; ``predict_proba``, ``predict`` and the rest derive
    from it as in :class:`SoftLabelLogisticRegression`, so any scorer sees the in-memory
    predictions."""

    @classmethod
    def of(cls, model, X, scores):
        out = cls(**model.get_params())
        out.__dict__.update(model.__dict__)
        out._remote = (X, scores)
        return out

    def decision_function(self, X):
        placeholder, scores = self._remote
        if X is placeholder:
            return scores
        return super().decision_function(X)


def _path(cv_estimator, rows, train, test, Cs, l1_ratio, solver, scorer, label):
    """One (fold, l1_ratio): the Cs from the strongest penalty to the weakest, warm-started,
    each scored on the held-out rows. Returns ``(ws, n_iter, scores)`` in the order of
    ``Cs``."""
    data, sw_sum = rows.data_term(train)
    # One BLAS limit for the whole path (each fit and each score would otherwise set it and
    # give it back, about 1 ms each time): the fits' BLAS runs inside their OpenMP threads,
    # and each score is one small product.
    try:
        with blas_single_thread():
            return _fit_path(
                cv_estimator, rows, data, sw_sum, test, Cs, l1_ratio, solver, scorer, label
            )
    finally:
        rows.release(data)


def _fit_path(cv_estimator, rows, data, sw_sum, test, Cs, l1_ratio, solver, scorer, label):
    layout = _Layout(data.n_outputs, data.n_features, data.fit_intercept)
    held_out = rows.held_out(test)
    n_Cs = len(Cs)
    ws = np.empty((n_Cs, data.n_params))
    n_iter = np.zeros(n_Cs, dtype=np.int32)
    order = np.argsort(Cs, kind="stable")
    w = None
    for j in order:
        ws[j], n_iter[j], w = fit_linear(
            data, sw_sum, C=Cs[j], l1_ratio=l1_ratio, solver=solver,
            max_iter=cv_estimator.max_iter, tol=cv_estimator.tol,
            verbose=max(0, cv_estimator.verbose - 1), w0=w, return_solver_point=True,
        )  # fmt: skip
    models = [
        _scoring_model(
            cv_estimator, layout, ws[j], Cs[j], l1_ratio, rows.classes, held_out.y,
            rows.n_features, rows.dtype,
        )  # fmt: skip
        for j in range(n_Cs)
    ]
    try:
        scores = held_out.scores(cv_estimator, scorer, models)
    except (ValueError, TypeError) as err:
        if not rows.is_soft():
            raise
        raise ValueError(
            f"scoring={cv_estimator.scoring!r} failed on soft-label targets ({err}). "
            "scikit-learn's classification metrics (log_loss, accuracy, ...) read hard "
            "labels only, and GridSearchCV would turn this error into NaN scores. Use "
            "scoring=None (the held-out soft cross-entropy, neg_soft_log_loss_scorer) "
            "or another scorer of skfuzzy_ce.metrics."
        ) from err
    if cv_estimator.verbose > 0:
        for step, j in enumerate(order):
            print(
                f"[SoftLabelLogisticRegressionCV] {label}, C={Cs[j]:.4g} ({step + 1}/{n_Cs}): "
                f"{n_iter[j]} iteration(s), score {scores[j]:.6g}",
                flush=True,
            )
    return ws, n_iter, scores


class SoftLabelLogisticRegressionCV(SoftLabelLogisticRegression):
    """Soft-label logistic regression with C (and the elastic-net mix) chosen by cross-validation.

    Fits :class:`SoftLabelLogisticRegression` along a regularization path: for each fold of
    ``cv`` and each value of ``l1_ratios``, the values of ``Cs`` from the strongest penalty
    (smallest C) to the weakest, each fit warm-started from the previous solution, each
    scored on the fold's held-out rows with ``scoring`` (by default the held-out soft
    cross-entropy, :data:`~skfuzzy_ce.metrics.neg_soft_log_loss_scorer`). The pair
    ``(C, l1_ratio)`` with the best mean score over the folds is then refitted on all rows,
    starting from the mean of the folds' solutions at that pair. This is scikit-learn's
    ``LogisticRegressionCV``, for hard and soft labels: on hard labels, with the same folds
    and ``scoring="neg_log_loss"``, both choose the same C and reach the same coefficients.

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        The values of C (inverse regularization strength, > 0; ``np.inf`` is no penalty) to
        try. An int gives ``np.logspace(-4, 4, Cs)``, as in scikit-learn.
    l1_ratios : array-like of float in [0, 1], default=(0.0,)
        The elastic-net mixes to try (0: L2, 1: L1). Each ``l1_ratio > 0`` is fitted by
        ``solver="newton-cd"`` (what ``"auto"`` picks).
    cv : int, cross-validation generator or iterable, default=None
        ``None``: :class:`~skfuzzy_ce.model_selection.SoftStratifiedKFold` with 5 folds (on
        the argmax of soft labels); an int: the same with that many folds. For multi-label
        targets (``loss="binary_cross_entropy"`` on a matrix), where a row has no single
        class, ``KFold`` instead. Any scikit-learn splitter or iterable of
        ``(train, test)`` index arrays is used as given.
    scoring : str, callable or None, default=None
        Score of a fitted model on held-out rows, larger is better. ``None``: minus the soft
        cross-entropy (:data:`~skfuzzy_ce.metrics.neg_soft_log_loss_scorer`), or for
        multi-label targets minus the binary cross-entropy. A string names a scikit-learn
        scorer (e.g. ``"neg_log_loss"``, for hard labels only: scikit-learn's metrics refuse
        soft targets, and the fit says so); a callable is ``scorer(estimator, X, y)``.
        Sample weights, when given, are passed to the scorer for the held-out rows. On dask
        input the held-out predictions are computed where the rows are, and the scorer gets
        them with a read-only placeholder of the held-out rows' shape as ``X``: a callable
        scorer must use the estimator's predictions, not the values of ``X``.
    refit : bool, default=True
        Refit at the best ``(C, l1_ratio)`` on all rows. ``False``: ``coef_`` and
        ``intercept_`` are the mean over folds of each fold's best solution, and ``C_`` and
        ``l1_ratio_`` the means of those folds' best values, as in scikit-learn.
    n_jobs : int, default=None
        Parallel jobs (joblib) over the (fold, l1_ratio) paths; -1 uses all processors.
        ``None`` (outside a joblib context that sets the jobs) with ``n_threads=None`` on
        in-memory X of up to 256 MiB: the paths run side by side in threads, one per
        available core, each with one kernel thread (evaluations of a few milliseconds
        lose much of a second thread to waking it between them; measured on 2 cores, 0.45
        s instead of 0.65); larger X, or ``n_jobs=1``: one path at a time, its kernels on
        ``n_threads``. The results do not depend on it. Ignored on dask input: the paths
        run one after the other, each evaluation of the objective spread over the chunks.
    loss : {"cross_entropy", "binary_cross_entropy"}, default="cross_entropy"
        As in :class:`SoftLabelLogisticRegression`.
    fit_intercept : bool, default=True
        Whether to fit an intercept per output.
    class_weight : dict, "balanced" or None, default=None
        As in :class:`SoftLabelLogisticRegression`; ``"balanced"`` is computed once, on all
        rows, and kept for every fold.
    label_smoothing : float in [0, 1], default=0.0
        Smoothing of the fitted targets; the held-out rows are scored against ``y`` as
        given.
    solver : {"auto", "lbfgs", "newton-cholesky", "newton-cd"}, default="auto"
        As in :class:`SoftLabelLogisticRegression`, for every fit of the path.
    max_iter : int, default=100
        Maximum number of solver iterations per fit.
    tol : float, default=1e-4
        Tolerance of each fit (see :class:`SoftLabelLogisticRegression`).
    n_threads : int, default=None
        OpenMP threads of the loss kernels (per job); ``None``: see ``n_jobs``, and as in
        :class:`SoftLabelLogisticRegression` for the refit.
    verbose : int, default=0
        When > 0, print one line per point of the path (fold, l1_ratio, C, iterations,
        score); when > 1, also the solver's line per iteration.
    classes : array-like, default=None
        As in :class:`SoftLabelLogisticRegression`.

    Attributes
    ----------
    C_ : float
        The chosen C (with ``refit=False``, the mean of the folds' best Cs).
    l1_ratio_ : float
        The chosen ``l1_ratio`` (with ``refit=False``, the mean of the folds' best).
    Cs_ : ndarray of shape (n_Cs,)
        The values of C tried, in the order of the attributes below.
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The values of ``l1_ratio`` tried.
    scores_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs)
        Held-out score of each point of each fold's path.
    coefs_paths_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs, n_outputs, n_features + 1)
        The solutions along the paths, the intercepts in the last column (``n_features``
        columns when ``fit_intercept=False``). float64.
    n_iter_ : ndarray of shape (n_folds, n_l1_ratios, n_Cs)
        Solver iterations of each fit of the paths.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the final model (in X's precision).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts of the final model.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    SoftLabelLogisticRegression : One fit at a given C.
    sklearn.linear_model.LogisticRegressionCV : The same on hard labels.

    Notes
    -----
    :meth:`score` uses ``scoring``, as scikit-learn's ``LogisticRegressionCV`` does: by
    default minus the soft cross-entropy, so that a ``GridSearchCV`` around this estimator
    (for instance over ``l1_ratios``) selects by the same criterion as the path.

    Examples
    --------
    >>> import numpy as np
    >>> from skfuzzy_ce import SoftLabelLogisticRegressionCV
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> p1 = 1 / (1 + np.exp(-2 * X[:, 0]))
    >>> Y = np.column_stack([1 - p1, p1])                  # soft labels
    >>> clf = SoftLabelLogisticRegressionCV(Cs=[0.01, 0.1, 1.0, 10.0]).fit(X, Y)
    >>> clf.C_
    10.0
    >>> clf.scores_.shape                                  # folds, l1_ratios, Cs
    (5, 1, 4)
    >>> clf.coef_.round(1)
    array([[ 2., -0., -0.]])
    """

    _parameter_constraints = {
        **{
            name: constraint
            for name, constraint in SoftLabelLogisticRegression._parameter_constraints.items()
            if name in _SHARED or name == "verbose"
        },
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "refit": ["boolean"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        Cs=10,
        l1_ratios=(0.0,),
        cv=None,
        scoring=None,
        refit=True,
        n_jobs=None,
        loss="cross_entropy",
        fit_intercept=True,
        class_weight=None,
        label_smoothing=0.0,
        solver="auto",
        max_iter=100,
        tol=1e-4,
        n_threads=None,
        verbose=0,
        classes=None,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.loss = loss
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.n_threads = n_threads
        self.verbose = verbose
        self.classes = classes

    # ------------------------------------------------------------ the grid
    def _check_Cs(self):
        if isinstance(self.Cs, Integral):
            return np.logspace(-4, 4, self.Cs)
        Cs = np.asarray(self.Cs, dtype=np.float64)
        if Cs.ndim != 1 or Cs.size == 0:
            raise ValueError(
                f"Cs must be a positive int or a non-empty 1-D list of values of C, got "
                f"{self.Cs!r}."
            )
        bad = np.flatnonzero(~(Cs > 0))  # catches NaN too
        if bad.size:
            raise ValueError(
                f"Every C must be > 0 (np.inf: no penalty), got Cs[{bad[0]}]={Cs[bad[0]]!r}. "
                "C is the inverse of the regularization strength."
            )
        return Cs

    def _check_l1_ratios(self):
        ratios = np.asarray(self.l1_ratios, dtype=np.float64)
        if ratios.ndim != 1 or ratios.size == 0:
            raise ValueError(
                f"l1_ratios must be a non-empty 1-D list of values in [0, 1], got "
                f"{self.l1_ratios!r}; use (0.0,) for the L2 penalty alone."
            )
        bad = np.flatnonzero(~((ratios >= 0) & (ratios <= 1)))
        if bad.size:
            raise ValueError(
                f"Every l1_ratio must be in [0, 1] (0: L2, 1: L1), got "
                f"l1_ratios[{bad[0]}]={ratios[bad[0]]!r}."
            )
        return ratios

    def _check_cv(self, multilabel):
        cv = 5 if self.cv is None else self.cv
        if isinstance(cv, Integral):
            return KFold(cv) if multilabel else SoftStratifiedKFold(cv)
        return check_cv(cv)

    def _scorer(self, classes, multilabel):
        if self.scoring is None:
            return _neg_binary_cross_entropy if multilabel else neg_soft_log_loss_scorer
        return _with_labels(check_scoring(self, scoring=self.scoring), classes)

    # ------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None):
        """Fit the regularization paths on the folds, then the final model.

        On dask arrays or DataFrames (chunked along rows), the rows stay where they are, as
        in :meth:`SoftLabelLogisticRegression.fit`: the targets are validated there, ``cv``
        splits the rows from a placeholder ``X`` (only its number of rows) and, as ``y``, the
        hard labels or each row's most probable class of soft labels, each fold's data term
        is built on the chunks' training rows, and only the held-out predictions, targets and
        weights come back for ``scoring``. ``solver="newton-cd"`` (``l1_ratio > 0``) is not
        available there, and ``n_jobs`` is ignored. The result equals the in-memory fit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, dense or CSR, float32 or float64, or a dask array or DataFrame.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, soft labels (rows summing to 1), or 1-D values in [0, 1] read as
            P(class 1). With ``loss="binary_cross_entropy"``, an (n_samples, n_classes)
            matrix of independent probabilities.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample, in the fits and in the held-out scores.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        Cs = self._check_Cs()
        l1_ratios = self._check_l1_ratios()
        solvers = [resolve_solver(self.solver, ratio) for ratio in l1_ratios]
        if is_dask_input(X, y, sample_weight):  # rows on dask workers: see _dask.py
            from ._dask import DaskCVRows

            with DaskCVRows(self, X, y, sample_weight, solvers) as rows:
                return self._fit_rows(rows, y, Cs, l1_ratios, solvers, n_jobs=1)
        rows = _InMemoryRows(self, X, y, sample_weight)
        return self._fit_rows(rows, y, Cs, l1_ratios, solvers, n_jobs=self.n_jobs)

    def _fit_rows(self, rows, y, Cs, l1_ratios, solvers, n_jobs):
        """The paths on the folds of ``rows``, the choice and the refit."""
        classes, multilabel = rows.classes, rows.multilabel
        scorer = self._scorer(classes, multilabel)
        folds = rows.split(self._check_cv(multilabel))

        n_folds, n_l1 = len(folds), len(l1_ratios)
        n_jobs, backend = rows.path_jobs(n_jobs, n_folds * n_l1)
        results = Parallel(n_jobs=n_jobs, backend=backend)(
            delayed(_path)(
                self, rows, train, test, Cs, l1_ratios[r], solvers[r], scorer,
                f"fold {f + 1}/{n_folds}, l1_ratio={l1_ratios[r]:g}",
            )  # fmt: skip
            for f, (train, test) in enumerate(folds)
            for r in range(n_l1)
        )
        ws = np.stack([res[0] for res in results]).reshape(n_folds, n_l1, len(Cs), -1)
        n_iter = np.stack([res[1] for res in results]).reshape(n_folds, n_l1, len(Cs))
        scores = np.stack([res[2] for res in results]).reshape(n_folds, n_l1, len(Cs))
        n_outputs = 1 if (len(classes) == 2 and not multilabel) else len(classes)
        layout = _Layout(n_outputs, rows.n_features, self.fit_intercept)
        if np.isnan(scores).all():
            raise ValueError(
                f"scoring={self.scoring!r} returned NaN at every point of every path: there "
                "is no best C. Check that the scorer accepts these targets."
            )
        if np.isnan(scores).any():
            warnings.warn(
                "Some held-out scores are NaN; those points of the path are never chosen.",
                UserWarning,
                stacklevel=2,
            )
        # Best pair: scores in (C, l1_ratio) order, so that ties go to the first C listed,
        # then the first l1_ratio, as in scikit-learn.
        by_c = np.where(np.isnan(scores), -np.inf, scores).transpose(0, 2, 1)
        if self.refit:
            c, r = np.unravel_index(np.argmax(by_c.sum(axis=0)), by_c.shape[1:])
            data, sw_sum = rows.data_term()
            try:
                w, _ = fit_linear(
                    data, sw_sum, C=Cs[c], l1_ratio=l1_ratios[r], solver=solvers[r],
                    max_iter=self.max_iter, tol=self.tol, verbose=max(0, self.verbose - 1),
                    w0=ws[:, r, c].mean(axis=0),
                )  # fmt: skip
            finally:
                rows.release(data)
            self.C_, self.l1_ratio_ = float(Cs[c]), float(l1_ratios[r])
        else:
            best = np.argmax(by_c.reshape(n_folds, -1), axis=1)
            c, r = np.unravel_index(best, by_c.shape[1:])
            w = ws[np.arange(n_folds), r, c].mean(axis=0)
            self.C_, self.l1_ratio_ = float(Cs[c].mean()), float(l1_ratios[r].mean())
        self._set_fitted(layout, w, 0, classes, y, rows.dtype)
        paths = ws[..., : layout.n_coef].reshape(n_folds, n_l1, len(Cs), n_outputs, -1)
        if self.fit_intercept:
            paths = np.concatenate([paths, ws[..., layout.n_coef :, None]], axis=-1)
        self.coefs_paths_ = paths
        self.Cs_ = Cs
        self.l1_ratios_ = l1_ratios
        self.scores_ = scores
        self.n_iter_ = n_iter
        self._scoring_fn = scorer
        return self

    def score(self, X, y, sample_weight=None):
        """Score of the final model on ``(X, y)`` with ``scoring`` (larger is better).

        By default minus the soft cross-entropy (for multi-label targets, minus the
        binary cross-entropy), as ``LogisticRegressionCV.score`` uses its ``scoring``.

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
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        return self._scoring_fn(self, X, y, **kwargs)
