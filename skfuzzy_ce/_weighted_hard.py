"""The duplicated weighted data set: soft labels as hard labels with weights.

Cross-entropy on soft labels is a weighted log-likelihood on hard labels::

    sum_i s_i * sum_k Y_ik * (-log p_k(x_i))

is the weighted negative log-likelihood of a data set in which every row ``x_i`` appears once
per class ``k``, with the hard label ``k`` and the weight ``s_i * Y_ik``. :func:`to_weighted_hard`
builds that data set, and :class:`WeightedHardClassifier` fits any classifier whose ``fit``
takes ``sample_weight`` on it, so that gradient boosting, forests, SVMs or
``LogisticRegression`` learn from soft labels.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    has_fit_parameter,
)

from ._base import SoftClassifierMixin
from ._dask import is_dask_input
from ._targets import check_soft_targets

__all__ = ["WeightedHardClassifier", "to_weighted_hard"]


def _expand(X, y, sample_weight, classes, drop_zero, **target_options):
    """Build the weighted data set: ``(X_rep, y_rep, w_rep, index, classes)``.

    ``target_options`` go to :func:`check_soft_targets` (a chunk of a larger data set:
    ``row_offset``, ``soft_1d``, ``min_classes``)."""
    n_samples = _num_samples(X)  # TypeError for objects that are not array-like
    if n_samples == 0:
        shape = getattr(X, "shape", (0,))
        # scikit-learn's own wording, which its estimator checks look for.
        raise ValueError(
            f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 is "
            "required: X is empty, there is nothing to fit."
        )
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()  # row indexing needs CSR (COO cannot index, CSC is slow at it)
    elif not hasattr(X, "shape") and hasattr(X, "__array__"):
        X = np.asarray(X)  # array-likes that cannot be indexed by rows; lists stay lists
    if getattr(getattr(X, "dtype", None), "kind", None) == "c":
        # Checked before y, in scikit-learn's wording, as its estimators do.
        raise ValueError(
            "Complex data not supported: X has a complex dtype. Split it into real and "
            "imaginary feature columns (np.c_[X.real, X.imag])."
        )
    Y, classes = check_soft_targets(y, classes=classes, n_samples=n_samples, **target_options)
    sample_weight = _check_sample_weight(
        sample_weight, np.empty((n_samples, 0)), dtype=np.float64, ensure_non_negative=True
    )
    # Weight of row i in block k; transposed so that a C-order walk is class-major.
    weights = Y.T * sample_weight  # (n_classes, n_samples), a new array
    if drop_zero:
        block, index = np.nonzero(weights)
    else:
        block = np.repeat(np.arange(Y.shape[1]), n_samples)
        index = np.tile(np.arange(n_samples), Y.shape[1])
    w_rep = weights[block, index]
    y_rep = classes[block]
    X_rep = _safe_indexing(X, index, axis=0)
    if hasattr(X_rep, "iloc"):  # pandas: copies of one row would share one index label
        X_rep = X_rep.reset_index(drop=True)
    return X_rep, y_rep, w_rep, index.astype(np.intp, copy=False), classes


@validate_params(
    {
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like", "sparse matrix"],
        "sample_weight": ["array-like", None],
        "classes": ["array-like", None],
        "drop_zero": ["boolean"],
        "return_index": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def to_weighted_hard(X, y, sample_weight=None, *, classes=None, drop_zero=True, return_index=False):
    """Turn soft labels into hard labels with sample weights, one row copy per class.

    Cross-entropy on soft labels ``Y`` with sample weights ``s`` equals the weighted
    log-likelihood of a data set in which each row ``i`` appears once per class ``k``, labeled
    ``classes[k]`` and weighted ``s_i * Y_ik``. Any classifier whose ``fit`` takes
    ``sample_weight`` can then learn from the soft labels (see
    :class:`WeightedHardClassifier`).

    The output has as many rows as there are non-zero weights ``s_i * Y_ik`` (``n_samples *
    n_classes`` when ``drop_zero=False``): hard labels cost nothing extra, top-k sparse soft
    labels cost ``k`` copies per row, dense soft labels ``n_classes`` copies.

    On dask arrays (X chunked along rows) the result is lazy: dask arrays built chunk by
    chunk, each chunk of X expanded on its own (class-major blocks within each chunk, so
    the rows come in another order than in memory; ``index`` gives the global source row).
    The classes of hard labels are found first, in one pass over ``y``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Data. Any object :func:`sklearn.utils._safe_indexing` can take rows of (arrays,
        lists, pandas DataFrames, sparse matrices). X is not validated further: that is left
        to the estimator it is given to.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels, soft labels (rows summing to 1), or 1-D values in [0, 1] read as
        P(class 1).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each sample (1 by default).
    classes : array-like, default=None
        Class labels: for hard ``y``, the classes to encode (in this order); for soft ``y``,
        one label per column. By default the sorted labels of hard ``y``, the columns of a
        DataFrame, or ``arange(n_classes)``.
    drop_zero : bool, default=True
        Leave out the rows of weight 0 (a class a sample has no probability for, or a sample
        of weight 0).
    return_index : bool, default=False
        Also return the source row of each output row, for example as ``groups`` of
        :class:`~sklearn.model_selection.GroupKFold` so that the copies of one sample never
        straddle a train/test split.

    Returns
    -------
    X_rep : {ndarray, sparse matrix, DataFrame, list} of shape (n_rows, n_features)
        The rows of ``X`` in class-major blocks: block ``k`` holds, in their original order,
        the samples with a non-zero weight for ``classes[k]``. Sparse X comes back as CSR;
        a DataFrame keeps its columns, with a fresh ``RangeIndex`` (the source rows are in
        ``index``).
    y_rep : ndarray of shape (n_rows,)
        The class label of each output row.
    sample_weight_rep : ndarray of shape (n_rows,)
        ``s_i * Y_ik``; the weights of the copies of row ``i`` add up to ``s_i``.
    index : ndarray of shape (n_rows,)
        Only when ``return_index=True``: the source row of each output row.

    See Also
    --------
    WeightedHardClassifier : Fit a classifier on this data set.

    Examples
    --------
    >>> import numpy as np
    >>> from skfuzzy_ce import to_weighted_hard
    >>> X = np.array([[1.0], [2.0], [3.0]])
    >>> Y = np.array([[0.75, 0.25], [1.0, 0.0], [0.5, 0.5]])
    >>> X_rep, y_rep, w_rep, index = to_weighted_hard(X, Y, return_index=True)
    >>> X_rep.ravel()
    array([1., 2., 3., 1., 3.])
    >>> y_rep
    array([0, 0, 0, 1, 1])
    >>> w_rep
    array([0.75, 1.  , 0.5 , 0.25, 0.5 ])
    >>> index
    array([0, 1, 2, 0, 2])
    """
    if is_dask_input(X, y, sample_weight):  # lazy, chunk by chunk: see _dask.py
        from ._dask import dask_to_weighted_hard

        out = dask_to_weighted_hard(
            X, y, sample_weight, classes=classes, drop_zero=drop_zero
        )
        return out if return_index else out[:3]
    X_rep, y_rep, w_rep, index, _ = _expand(X, y, sample_weight, classes, drop_zero)
    if return_index:
        return X_rep, y_rep, w_rep, index
    return X_rep, y_rep, w_rep


def _estimator_has(attr):
    """For ``available_if``: the fitted inner estimator, else the unfitted one, has ``attr``."""

    def check(self):
        inner = self.estimator_ if hasattr(self, "estimator_") else self.estimator
        return hasattr(inner, attr)

    return check


def _check_takes_sample_weight(estimator):
    """ValueError naming ``sample_weight`` if ``estimator.fit`` cannot take it."""
    name = type(estimator).__name__
    if isinstance(estimator, Pipeline):
        raise ValueError(
            "WeightedHardClassifier passes sample_weight to the fit of its estimator, but "
            "Pipeline.fit does not take sample_weight; routing it to the last step only would "
            "fit the other steps on the duplicated rows without their weights. Put the "
            "preprocessing in front instead: make_pipeline(StandardScaler(), "
            "WeightedHardClassifier(LogisticRegression()))."
        )
    if not has_fit_parameter(estimator, "sample_weight"):
        raise ValueError(
            f"{name}.fit does not take sample_weight, which WeightedHardClassifier needs: "
            "the soft labels become the weights of the duplicated rows. Use a classifier "
            "whose fit has a sample_weight parameter (LogisticRegression, SVC, "
            "RandomForestClassifier, HistGradientBoostingClassifier, ...), or "
            "skfuzzy_ce.SoftLabelLogisticRegression, which reads soft labels directly."
        )
    if get_tags(estimator).input_tags.pairwise:
        raise ValueError(
            f"{name} takes a precomputed (pairwise) X, whose columns are samples too; "
            "duplicating its rows would leave the columns behind. Pass features to "
            "WeightedHardClassifier and let the estimator compute its kernel."
        )


class WeightedHardClassifier(SoftClassifierMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Fit any classifier taking ``sample_weight`` on soft labels, via duplicated rows.

    ``fit`` builds the data set of :func:`to_weighted_hard` (each sample once per class with
    non-zero probability, labeled with that class and weighted ``s_i * Y_ik``) and fits a clone
    of ``estimator`` on it. For a model fitted by weighted log-likelihood (such as
    ``LogisticRegression``) this minimizes exactly the soft-label cross-entropy, so
    ``WeightedHardClassifier(LogisticRegression(C=c))`` and
    ``SoftLabelLogisticRegression(C=c)`` reach the same model. Other classifiers (trees,
    boosting, SVMs) learn from the soft labels in their own weighted way.

    It is a classifier, not a transformer (transformers must not add rows): use it as the
    last step of a :class:`~sklearn.pipeline.Pipeline`, with the preprocessing in front.

    Cost: the inner fit sees as many rows as there are non-zero ``s_i * Y_ik``, at most
    ``n_samples * n_classes`` (dense soft labels), ``k * n_samples`` for top-k sparse soft
    labels, and ``n_samples`` for hard labels. The copies of X are held in memory during fit.
    :class:`SoftLabelLogisticRegression` avoids the copies for the logistic model.

    Parameters
    ----------
    estimator : estimator object
        A classifier whose ``fit`` takes ``sample_weight``. Cloned in ``fit``. Its parameters
        are reachable as ``estimator__<name>`` (for example in ``GridSearchCV``).
    classes : array-like, default=None
        Class labels: for hard ``y``, the classes to encode (in this order, may include classes
        absent from ``y``); for soft ``y``, one label per column. By default the sorted labels
        of hard ``y``, the columns of a DataFrame, or ``arange(n_classes)``.

    Attributes
    ----------
    estimator_ : estimator object
        The fitted clone of ``estimator``. Its ``classes_`` may lack a class that got no
        weight.
    classes_ : ndarray of shape (n_classes,)
        Class labels; the columns of ``predict_proba``.
    n_features_in_ : int
        Number of features seen during fit (from ``estimator_``, when it has it).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit (from ``estimator_``, when it has them).

    See Also
    --------
    to_weighted_hard : The duplicated weighted data set itself.
    SoftLabelLogisticRegression : Logistic regression on soft labels without copying rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfuzzy_ce import SoftLabelLogisticRegression, WeightedHardClassifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> Y = np.array([[0.9, 0.1], [0.7, 0.3], [0.3, 0.7], [0.1, 0.9]])
    >>> clf = WeightedHardClassifier(LogisticRegression(tol=1e-8)).fit(X, Y)
    >>> clf.predict(X)
    array([0, 0, 1, 1])
    >>> clf.predict_proba([[1.5]]).round(4)
    array([[0.2854, 0.7146]])
    >>> SoftLabelLogisticRegression(tol=1e-8).fit(X, Y).predict_proba([[1.5]]).round(4)
    array([[0.2854, 0.7146]])
    """

    _parameter_constraints = {
        "estimator": [HasMethods(["fit", "predict"])],
        "classes": ["array-like", None],
    }

    def __init__(self, estimator, *, classes=None):
        self.estimator = estimator
        self.classes = classes

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.string = inner.input_tags.string
        tags.input_tags.categorical = inner.input_tags.categorical
        return tags

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit a clone of ``estimator`` on the duplicated weighted data set.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, in any form ``estimator`` accepts (validated by it).
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, soft labels (rows summing to 1), or 1-D values in [0, 1] read as
            P(class 1).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample.
        **fit_params : dict
            Passed unchanged to ``estimator.fit`` (not expanded: per-sample arrays other than
            ``sample_weight`` are not supported).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        self._validate_params()
        _check_takes_sample_weight(self.estimator)
        X_rep, y_rep, w_rep, _, classes = _expand(
            X, y, sample_weight, self.classes, drop_zero=True
        )
        self.estimator_ = clone(self.estimator).fit(X_rep, y_rep, sample_weight=w_rep, **fit_params)
        self.classes_ = classes
        return self

    @property
    def n_features_in_(self):
        """Number of features seen during fit."""
        return self.estimator_.n_features_in_

    @property
    def feature_names_in_(self):
        """Names of features seen during fit."""
        return self.estimator_.feature_names_in_

    def _columns(self):
        """Position in ``classes_`` of each class of ``estimator_``."""
        position = {c: k for k, c in enumerate(self.classes_.tolist())}
        inner = np.asarray(self.estimator_.classes_).tolist()
        return np.array([position[c] for c in inner], dtype=np.intp)

    def _to_our_columns(self, values, fill):
        """Put the per-class columns of ``estimator_`` in ``classes_`` order, ``fill`` elsewhere."""
        columns = self._columns()
        if np.array_equal(columns, np.arange(len(self.classes_))):
            return values
        out = np.full((values.shape[0], len(self.classes_)), fill, dtype=values.dtype)
        out[:, columns] = values
        return out

    def predict(self, X):
        """Class labels predicted by ``estimator_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, one column per entry of ``classes_``.

        A class that got no weight in fit (so ``estimator_`` never saw it) gets a column of
        zeros.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self._to_our_columns(np.asarray(self.estimator_.predict_proba(X)), 0.0)

    @available_if(_estimator_has("predict_proba"))
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (``-inf`` for a class that got no weight).

        Uses ``estimator_.predict_log_proba`` when it has one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        if hasattr(self.estimator_, "predict_log_proba"):
            log_proba = np.asarray(self.estimator_.predict_log_proba(X))
        else:  # pragma: no cover - scikit-learn classifiers with predict_proba have both
            with np.errstate(divide="ignore"):
                log_proba = np.log(self.estimator_.predict_proba(X))
        return self._to_our_columns(log_proba, -np.inf)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Scores of ``estimator_.decision_function``.

        Returned as they are when the classes of ``estimator_`` are ``classes_`` (1-D for two
        classes, as in scikit-learn). Otherwise (a class got no weight, or ``classes`` was given
        in another order) the scores become one column per entry of ``classes_``, ``-inf`` for a
        class that got no weight; a two-class score ``d`` of the inner estimator becomes the
        columns ``-d / 2, d / 2`` of its two classes, so that the argmax is still ``predict``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        scores = np.asarray(self.estimator_.decision_function(X))
        if np.array_equal(self._columns(), np.arange(len(self.classes_))):
            return scores
        if scores.ndim == 1:
            scores = np.column_stack([-scores / 2, scores / 2])
        return self._to_our_columns(scores.astype(np.float64, copy=False), -np.inf)
