"""Knowledge distillation: a student fitted on a teacher's softened probabilities.

:func:`soften` raises a matrix of probabilities to the power ``1 / T`` row by row (the
softmax of the log-probabilities divided by the temperature ``T``), and
:class:`DistillationClassifier` fits a student, by default a
:class:`~skfuzzy_ce.SoftLabelLogisticRegression`, on those soft targets, on labeled and
unlabeled rows alike (Hinton, Vinyals & Dean 2015, "Distilling the knowledge in a neural
network").
"""

import warnings
from numbers import Real

import numpy as np
from scipy.special import log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import cross_val_predict
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, validate_params
from sklearn.utils._tags import get_tags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    has_fit_parameter,
    validate_data,
)

from ._base import SoftClassifierMixin
from ._soft_logistic import SoftLabelLogisticRegression
from ._targets import _check_finite_1d, check_soft_targets

__all__ = ["soften", "DistillationClassifier"]

# A finite, strictly positive temperature (np.inf is excluded by the open right end).
_TEMPERATURE = Interval(Real, 0, np.inf, closed="neither")


def _tempered_softmax(log_p, factor, *, log=False):
    """Row-wise ``softmax(factor * log_p)`` (or its log); ``-inf`` entries give exact zeros.

    The row maximum is subtracted before scaling, so the largest entry of every row is 0
    whatever ``factor`` is, and a huge ``factor`` can only send the other entries to ``-inf``
    (probability 0), never produce ``inf - inf``. The zeros are left as they are rather than
    multiplied: ``factor`` may be infinite (``1 / T`` overflows for ``T`` below about
    ``5.6e-309``), and ``0 * inf`` is NaN; the result is then the limit ``T -> 0``, the one-hot
    of the row's largest entry (shared equally by tied largest entries).
    """
    with np.errstate(over="ignore"):
        z = log_p - log_p.max(axis=1, keepdims=True)
        np.multiply(z, factor, out=z, where=z != 0)
    return log_softmax(z, axis=1) if log else softmax(z, axis=1)


def _safe_log(p):
    """``log(p)`` with ``log(0) = -inf`` and no divide-by-zero warning."""
    out = np.full_like(p, -np.inf)
    np.log(p, out=out, where=p > 0)
    return out


def _soften(proba, temperature, input_name):
    """Validated :func:`soften`; ``input_name`` names the matrix in error messages."""
    proba_arr = proba.to_numpy() if hasattr(proba, "to_numpy") else np.asarray(proba)
    if proba_arr.ndim != 2:
        raise ValueError(
            f"{input_name} must be a 2-D array of shape (n_samples, n_classes) whose rows are "
            f"probability distributions; got an array of shape {proba_arr.shape}. For binary "
            "probabilities P(class 1), pass np.column_stack([1 - p, p])."
        )
    if proba_arr.shape[1] == 1:
        raise ValueError(
            f"{input_name} has one column (shape {proba_arr.shape}): a distribution over a "
            "single class is always 1, so there is nothing to soften, and the column is not "
            "read as labels. For binary probabilities P(class 1), pass "
            "np.column_stack([1 - p, p]); for class labels, one-hot encode them first."
        )
    dtype = proba_arr.dtype if proba_arr.dtype in (np.float32, np.float64) else np.float64
    P, _ = check_soft_targets(proba_arr, dtype=dtype, input_name=input_name, min_classes=1)
    if temperature == 1:
        return P.copy()  # exactly the input: softmax(log p) would only add rounding
    return _tempered_softmax(_safe_log(P), 1.0 / temperature)


@validate_params(
    {"proba": ["array-like"], "temperature": [_TEMPERATURE]},
    prefer_skip_nested_validation=True,
)
def soften(proba, temperature=1.0):
    """Soften (``T > 1``) or sharpen (``T < 1``) probabilities with a temperature.

    Each row ``p`` becomes ``softmax(log(p) / T)``, that is ``p ** (1 / T)`` divided by its
    row sum. If ``p`` is the softmax of logits ``z``, the result is ``softmax(z / T)``: the
    probabilities the same model gives at temperature ``T``. ``T > 1`` moves the rows towards
    the uniform distribution over the classes they give mass to, while keeping the order of
    the classes (the relative sizes of the small probabilities become visible); ``T < 1``
    moves them towards the one-hot of their largest entry; ``T = 1`` returns a copy of the
    input. A zero stays zero at every finite temperature.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Probabilities, each row a distribution (finite, in [0, 1], summing to 1), such as the
        output of ``predict_proba``. It is not modified.
    temperature : float, default=1.0
        The temperature ``T``, finite and > 0.

    Returns
    -------
    softened : ndarray of shape (n_samples, n_classes)
        Rows summing to 1; float32 for float32 input, float64 otherwise.

    See Also
    --------
    DistillationClassifier : Fits a student on a teacher's softened probabilities.

    Examples
    --------
    >>> from skfuzzy_ce import soften
    >>> p = [[0.8, 0.2, 0.0], [0.25, 0.25, 0.5]]
    >>> soften(p, temperature=2).round(4)
    array([[0.6667, 0.3333, 0.    ],
           [0.2929, 0.2929, 0.4142]])
    >>> soften(p, temperature=0.5).round(4)
    array([[0.9412, 0.0588, 0.    ],
           [0.1667, 0.1667, 0.6667]])
    """
    return _soften(proba, temperature, "proba")


def _unlabeled_mask(y):
    """Rows whose label is -1: the number -1, or the string "-1" among string labels."""
    kind = y.dtype.kind
    if kind in "iuf":
        return y == -1
    if kind == "U":
        return y == "-1"
    if kind == "S":
        return y == b"-1"
    if kind == "O":
        return np.fromiter(
            (v in ("-1", b"-1") if isinstance(v, (str, bytes)) else bool(v == -1) for v in y),
            dtype=bool,
            count=y.shape[0],
        )
    return np.zeros(y.shape[0], dtype=bool)  # booleans cannot be -1


class DistillationClassifier(SoftClassifierMixin, ClassifierMixin, BaseEstimator):
    """Student classifier fitted on a teacher's softened probabilities (distillation).

    A strong teacher (any classifier with ``predict_proba``) labels every row with its class
    probabilities; a student, by default a :class:`SoftLabelLogisticRegression`, is fitted on
    those probabilities softened by a temperature, mixed with the hard labels where there are
    any. Rows whose label is ``-1`` are unlabeled: they form the *transfer set* and get the
    teacher's soft targets only (Hinton, Vinyals & Dean 2015).

    **Targets.** With ``q = soften(p_teacher, T)`` (see :func:`soften`), the student is fitted
    on::

        Y_i = alpha * q_i + (1 - alpha) * onehot(y_i)     for a labeled row i,
        Y_i = q_i                                         for an unlabeled row i (y_i == -1).

    If the teacher's probabilities come from logits ``z`` (``p = softmax(z)``), then
    ``q = softmax(z / T)``: a temperature above 1 flattens the targets towards the uniform
    distribution, which brings out how the teacher ranks the wrong classes (which digit a
    "7" resembles more), the "dark knowledge" that a one-hot label does not carry.

    **The two losses.** The cross-entropy is linear in its target, so the student's loss on
    the mixed targets is the ``alpha``-weighted sum of two losses on the same student
    probabilities ``softmax(s)``::

        CE(Y, softmax(s)) = alpha * CE(q, softmax(s)) + (1 - alpha) * CE(onehot(y), softmax(s))

    ``alpha=1`` fits the teacher only, ``alpha=0`` the labels only (on the labeled rows).

    **Prediction at temperature 1.** The student learns logits ``s`` with
    ``softmax(s) ~ softmax(z / T)``, so ``T * s ~ z`` (up to a constant per row, which the
    softmax ignores): the student's logits multiplied by ``T`` imitate the teacher's logits,
    and ``predict_proba`` returns ``softmax(T * s)``. For a linear student, ``T * s`` is the
    same linear model with its coefficients and intercept multiplied by ``T``. The logits are
    read as the student's log-probabilities (``predict_log_proba``, or the log of
    ``predict_proba``), not as its ``decision_function``: for a softmax model
    ``log p = s - logsumexp(s)``, the logits up to that per-row constant, so nothing changes;
    for a student that is not a softmax model (trees, one-vs-rest models, a
    :class:`WeightedHardClassifier`), ``softmax(T * log p)`` is still well defined and is the
    exact inverse of :func:`soften` at ``T``, while a ``decision_function`` may not be a
    logit at all (an SVM's margin). ``predict`` is the most probable class, which the
    temperature does not change.

    **Where Hinton's T² goes.** Hinton et al. minimize, in the student's final logits ``v``,
    ``T² · CE(q, softmax(v / T)) + CE(onehot(y), softmax(v))`` (plus weight decay): the
    gradient of the soft term scales like ``1 / T²``, which the ``T²`` undoes. Here the
    student is fitted on its own logits ``s = v / T`` with an L2 penalty
    ``||W_s||² / (2C)`` (as :class:`SoftLabelLogisticRegression` does); written in ``v``
    (``W_v = T W_s``) and multiplied by ``T²``, that objective is::

        T² · [alpha · CE(q, softmax(v / T)) + (1 - alpha) · CE(onehot(y), softmax(v / T))]
            + ||W_v||² / (2C)

    so the ``T²`` factor is there, carried by the penalty: fitting at temperature ``T``
    with a given ``C`` is Hinton's ``T²``-scaled soft loss with weight decay ``1 / (2C)`` on
    the final coefficients. Unlike Hinton's formulation, the hard term is also computed at
    temperature ``T`` (on the same logits), so both terms get the same scale and ``alpha``
    alone sets their balance, whatever ``T`` is.

    **Teacher.** An unfitted teacher is cloned and fitted here on the labeled rows. Its
    probabilities on those same rows are in-sample, hence overconfident (close to the one-hot
    labels); with ``cv``, they are out-of-fold instead (``cross_val_predict``). Without
    ``cv``, a teacher fitted here warns when ``alpha > 0``. A teacher already fitted (for
    instance on more data, or a large pre-trained model) is passed wrapped in
    :class:`sklearn.frozen.FrozenEstimator`; it is used as is, and ``y`` may then be
    entirely unlabeled.

    **Unlabeled rows.** ``y == -1`` marks an unlabeled row, as in scikit-learn's
    semi-supervised estimators. With string labels, an unlabeled row is either the integer
    ``-1`` in an object array (scikit-learn's convention) or the string ``"-1"`` (what
    ``np.asarray(["cat", -1])`` holds), so ``-1`` and ``"-1"`` cannot be class names. Boolean
    labels have no unlabeled rows.

    Parameters
    ----------
    teacher : classifier
        An unfitted classifier with ``fit`` and ``predict_proba``, fitted here on the labeled
        rows, or a fitted one wrapped in :class:`sklearn.frozen.FrozenEstimator`.
    student : estimator, default=None
        Any estimator whose ``fit(X, Y)`` takes soft labels ``Y`` of shape
        ``(n_samples, n_classes)`` (columns in the order of ``classes_``) and that has
        ``predict_proba`` with those columns; for instance a
        :class:`WeightedHardClassifier`. ``None`` means ``SoftLabelLogisticRegression()``.
        It is cloned before fitting.
    temperature : float, default=1.0
        Temperature ``T`` of the teacher's soft targets, finite and > 0.
    alpha : float in [0, 1], default=1.0
        Weight of the teacher's soft targets on the labeled rows; ``1 - alpha`` goes to the
        one-hot labels. Unlabeled rows always get the soft targets only.
    cv : int, cross-validation generator, iterable or None, default=None
        When not None, the teacher's probabilities on the labeled rows (its own training
        rows) are out-of-fold, from ``cross_val_predict(teacher, X_labeled, y_labeled,
        cv=cv, method="predict_proba")``; an int is the number of stratified folds. Only for
        a teacher fitted here: with a ``FrozenEstimator`` its training rows are unknown, so
        ``cv`` is an error.

    Attributes
    ----------
    teacher_ : classifier
        The teacher: fitted here on all the labeled rows, or the ``FrozenEstimator`` given.
    student_ : estimator
        The fitted student.
    classes_ : ndarray of shape (n_classes,)
        Class labels: the teacher's ``classes_``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    soften : The temperature applied to the teacher's probabilities.
    SoftLabelLogisticRegression : The default student.
    sklearn.semi_supervised.SelfTrainingClassifier : Hard pseudo-labels instead of soft ones.

    References
    ----------
    G. Hinton, O. Vinyals and J. Dean, "Distilling the knowledge in a neural network",
    NIPS Deep Learning Workshop, 2015. arXiv:1503.02531.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skfuzzy_ce import DistillationClassifier, SoftLabelLogisticRegression
    >>> X, y = load_iris(return_X_y=True)
    >>> y_partial = y.copy()
    >>> y_partial[np.random.default_rng(0).random(len(y)) < 0.7] = -1  # 70% unlabeled
    >>> clf = DistillationClassifier(
    ...     RandomForestClassifier(n_estimators=50, random_state=0),
    ...     make_pipeline(StandardScaler(), SoftLabelLogisticRegression()),
    ...     temperature=2.0,
    ...     cv=3,
    ... ).fit(X, y_partial)
    >>> clf.classes_
    array([0, 1, 2])
    >>> print(f"student: {clf.score(X, y):.2f}, teacher: {clf.teacher_.score(X, y):.2f}")
    student: 0.95, teacher: 0.96
    """

    _parameter_constraints = {
        "teacher": [HasMethods(["fit", "predict_proba"])],
        "student": [HasMethods(["fit", "predict_proba"]), None],
        "temperature": [_TEMPERATURE],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "cv": ["cv_object", None],
    }

    def __init__(self, teacher, student=None, *, temperature=1.0, alpha=1.0, cv=None):
        self.teacher = teacher
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.cv = cv

    def _student(self):
        return SoftLabelLogisticRegression() if self.student is None else self.student

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        teacher_tags, student_tags = get_tags(self.teacher), get_tags(self._student())
        tags.input_tags.sparse = teacher_tags.input_tags.sparse and student_tags.input_tags.sparse
        tags.input_tags.allow_nan = (
            teacher_tags.input_tags.allow_nan and student_tags.input_tags.allow_nan
        )
        return tags

    def _check_X(self, X, reset):
        """Check X (shape, features, finite dtype) and return what teacher and student get.

        The checks are scikit-learn's; the teacher and the student then validate X as they
        need. A DataFrame is passed on as is, so that they see its column names; sparse
        formats other than CSR and CSC become CSR (rows must be selectable).
        """
        X_checked = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=None, ensure_all_finite=False,
            reset=reset,
        )
        return X if hasattr(X, "columns") and hasattr(X, "iloc") else X_checked

    def _check_y(self, y, n_samples):
        if y is None:
            check_soft_targets(y)  # raises the "requires y to be passed" error
        y_shape = np.shape(np.asarray(y))
        if len(y_shape) == 2 and y_shape[1] > 1:
            raise ValueError(
                f"y has shape {y_shape}, but DistillationClassifier takes 1-D hard labels "
                "(-1 for unlabeled rows); the soft targets come from the teacher. To fit soft "
                "labels you already have, fit SoftLabelLogisticRegression on them directly."
            )
        y = column_or_1d(y, warn=True)
        check_consistent_length(np.empty(n_samples), y)
        if y.dtype.kind == "f":
            _check_finite_1d(y, "y")  # before scikit-learn's checks cast NaN to int
        return y

    def fit(self, X, y, sample_weight=None):
        """Fit the teacher (unless frozen) on the labeled rows, then the student on all rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, labeled and unlabeled rows; passed to the teacher and the student
            (a DataFrame keeps its columns).
        y : array-like of shape (n_samples,)
            Class labels, ``-1`` for unlabeled rows (see the class docstring for string
            labels). Labeled rows are needed unless the teacher is a ``FrozenEstimator``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row, passed to the teacher's ``fit`` (labeled rows,
            only for a teacher fitted here) and to the student's ``fit``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        X = self._check_X(X, reset=True)
        n_samples = _num_samples(X)
        y = self._check_y(y, n_samples)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )

        unlabeled = _unlabeled_mask(y)
        labeled = ~unlabeled
        n_labeled = int(labeled.sum())
        y_labeled = y[labeled]
        X_labeled = _safe_indexing(X, labeled) if n_labeled else None
        frozen = isinstance(self.teacher, FrozenEstimator)
        if n_labeled:
            check_classification_targets(y_labeled)

        teacher_fit_params = {}
        if frozen:
            if self.cv is not None:
                raise ValueError(
                    "cv is set, but the teacher is a FrozenEstimator: its training rows are "
                    "unknown, so out-of-fold probabilities cannot be made. Pass the unfitted "
                    "teacher to fit it here with cv, or set cv=None."
                )
            check_is_fitted(self.teacher)
            teacher = self.teacher
        else:
            if n_labeled == 0:
                raise ValueError(
                    "y has no labeled rows: every label is -1 (unlabeled). The teacher is "
                    "fitted here on the labeled rows, so some are needed; or pass a teacher "
                    "already fitted, wrapped in sklearn.frozen.FrozenEstimator."
                )
            teacher = clone(self.teacher)
            if sample_weight is not None:
                if not has_fit_parameter(teacher, "sample_weight"):
                    raise TypeError(
                        f"sample_weight was given, but the teacher {teacher!r} does not accept "
                        "sample_weight in fit. Use a teacher that does, or fit it yourself and "
                        "pass it wrapped in sklearn.frozen.FrozenEstimator."
                    )
                teacher_fit_params["sample_weight"] = sample_weight[labeled]
            teacher.fit(X_labeled, y_labeled, **teacher_fit_params)

        classes = getattr(teacher, "classes_", None)
        if classes is None:
            raise ValueError(
                f"The teacher {teacher!r} has no classes_ attribute after fitting, so its "
                "predict_proba columns cannot be matched to class labels. Use a classifier."
            )
        classes = np.asarray(classes)
        if classes.shape[0] < 2:
            raise ValueError(
                f"The teacher knows only one class (classes_={classes.tolist()}), so there "
                "is nothing to distill; at least 2 classes are needed. Check that the labeled "
                "rows hold samples of more than one class."
            )
        if n_labeled:
            unknown = np.setdiff1d(np.unique(y_labeled), classes)
            if unknown.size:
                raise ValueError(
                    f"y has labels {unknown.tolist()[:10]} that the teacher does not know "
                    f"(teacher classes_={classes.tolist()[:10]}). Label the rows with the "
                    "teacher's classes, or -1 for unlabeled rows."
                )
        n_classes = classes.shape[0]
        T, alpha = float(self.temperature), float(self.alpha)
        what = "The teacher's predict_proba"

        Y = np.empty((n_samples, n_classes), dtype=np.float64)
        if unlabeled.any():
            P = teacher.predict_proba(_safe_indexing(X, unlabeled))
            Y[unlabeled] = _soften(P, T, what)
        if n_labeled:
            onehot, _ = check_soft_targets(y_labeled, classes=classes, min_classes=1)
            if alpha > 0:
                if self.cv is not None:
                    P = cross_val_predict(
                        clone(self.teacher), X_labeled, y_labeled, cv=self.cv,
                        method="predict_proba", params=teacher_fit_params,
                    )
                    # cross_val_predict orders the columns as the sorted labels.
                    P = P[:, np.searchsorted(np.unique(y_labeled), classes)]
                else:
                    if not frozen:
                        warnings.warn(
                            "The teacher's probabilities on the labeled rows are in-sample "
                            "(it was fitted on those rows), hence overconfident: the student "
                            "sees targets close to the hard labels there. Set cv (e.g. cv=5) "
                            "for out-of-fold probabilities, or alpha=0 to use only the labels "
                            "on the labeled rows.",
                            UserWarning,
                            stacklevel=2,
                        )
                    P = teacher.predict_proba(X_labeled)
                Y[labeled] = alpha * _soften(P, T, what) + (1 - alpha) * onehot
            else:
                Y[labeled] = onehot

        student = clone(self._student())
        student_fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        student.fit(X, Y, **student_fit_params)
        student_classes = getattr(student, "classes_", None)
        if student_classes is not None and len(student_classes) != n_classes:
            raise ValueError(
                f"The student {student!r} was fitted on soft labels with {n_classes} columns "
                f"but has {len(student_classes)} classes_; the student must fit an "
                "(n_samples, n_classes) soft label matrix, one column per class."
            )
        self.teacher_ = teacher
        self.student_ = student
        self.classes_ = classes
        return self

    def _student_log_proba(self, X):
        """The student's log-probabilities: its logits up to a constant per row."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        with np.errstate(divide="ignore"):  # log(0) = -inf inside a student is fine here
            if hasattr(self.student_, "predict_log_proba"):
                return np.asarray(self.student_.predict_log_proba(X))
        return _safe_log(np.asarray(self.student_.predict_proba(X)))

    def predict_proba(self, X):
        """Class probabilities at temperature 1: ``softmax(T * log p_student)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``. With ``temperature=1``, the student's own
            ``predict_proba``.
        """
        if self.temperature == 1:
            check_is_fitted(self)
            return self.student_.predict_proba(self._check_X(X, reset=False))
        return _tempered_softmax(self._student_log_proba(X), self.temperature)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed as a log-softmax.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        log_p = self._student_log_proba(X)
        if self.temperature == 1:
            return log_p
        return _tempered_softmax(log_p, self.temperature, log=True)

    def predict(self, X):
        """Most probable class (the same at every temperature).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        log_p = self._student_log_proba(X)
        return self.classes_[np.argmax(log_p, axis=1)]
