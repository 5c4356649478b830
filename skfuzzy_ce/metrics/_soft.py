"""Losses between soft labels and predicted probabilities.

Every function reads ``y_true`` through :func:`skfuzzy_ce._targets.check_soft_targets`, so hard
labels, soft label matrices, pandas columns and 1-D binary soft labels mean here what they mean
to the estimators. Predictions are checked, never renormalized: rows that should be
distributions and are not raise a ValueError naming the first offending row. Probabilities
are clipped to ``[eps, 1 - eps]`` (``eps`` of their dtype) before any logarithm, and
``0 * log 0`` counts as 0.
"""

from numbers import Real

import numpy as np
from scipy.special import xlogy
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import _check_sample_weight, _num_samples

from .._cb_math import cb_nll
from .._targets import (
    _check_finite_range,
    _pandas_to_numpy,
    _row_sum_message,
    check_soft_targets,
    scale_weights,
)

__all__ = [
    "binary_cross_entropy",
    "continuous_bernoulli_log_loss",
    "kl_divergence",
    "soft_brier_score",
    "soft_log_loss",
]

_BASE_CONSTRAINT = [
    Interval(Real, 0, 1, closed="neither"),
    Interval(Real, 1, None, closed="neither"),
    None,
]
_PAIR_CONSTRAINTS = {
    "y_true": ["array-like", "sparse matrix"],
    "y_pred": ["array-like"],
    "sample_weight": ["array-like", None],
    "normalize": ["boolean"],
}


def _as_float_array(values, input_name):
    """``values`` as a float32 or float64 array (other numbers become float64), not copied."""
    values = np.asarray(_pandas_to_numpy(values, input_name))
    if values.dtype.kind not in "biuf":
        raise ValueError(
            f"{input_name} must hold numbers (probabilities in [0, 1]); got dtype "
            f"{values.dtype}."
        )
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    if values.ndim not in (1, 2):
        raise ValueError(
            f"{input_name} must be 1-D (probability of the positive class) or 2-D "
            f"(n_samples, n_classes); got an array of shape {values.shape}."
        )
    if values.shape[0] == 0:
        raise ValueError(f"{input_name} is empty: at least one sample is required.")
    return values


def _check_probabilities(values, input_name, hint):
    """Finite values in [0, 1], else ValueError naming the first offending row."""
    _check_finite_range(
        values, input_name, f"The values of {input_name}", missing_fix=hint, range_fix=hint
    )


_PRED_HINT = (
    "pass the output of predict_proba (not decision_function), or apply a softmax or "
    "sigmoid to raw scores first."
)


def _check_y_pred(y_pred, *, distribution):
    """Validated predictions of shape (n_samples, n_classes), in their own float dtype.

    1-D predictions are P(second class) of a binary problem, as in scikit-learn's
    ``log_loss``, and become ``[1 - p, p]``.
    """
    P = _as_float_array(y_pred, "y_pred")
    _check_probabilities(P, "y_pred", _PRED_HINT)
    if P.ndim == 1:
        P = np.stack([1 - P, P], axis=1)
    elif P.shape[1] == 1:
        P = np.concatenate([1 - P, P], axis=1)
    if distribution:
        message = _row_sum_message(P, "y_pred")
        if message is not None:
            raise ValueError(
                f"{message} y_pred must hold probability distributions over "
                "the classes, as predict_proba returns; it is not renormalized here. If the "
                "columns are independent probabilities (multi-label), use "
                "binary_cross_entropy."
            )
    return P


def _read_y_true(y_true, labels, n_samples, n_classes):
    """Soft labels of y_true, with one column per column of y_pred."""
    n_true = _num_samples(y_true)
    if n_true != n_samples:
        raise ValueError(
            f"y_true has {n_true} samples but y_pred has {n_samples}: pass one prediction "
            "per sample of y_true."
        )
    Y, classes = check_soft_targets(y_true, classes=labels, input_name="y_true", min_classes=1)
    if Y.shape[1] != n_classes:
        if labels is None and np.ndim(y_true) == 1:
            raise ValueError(
                f"y_true holds {Y.shape[1]} distinct labels {classes.tolist()[:10]} but "
                f"y_pred has {n_classes} columns. Give the class of each column of y_pred "
                "with labels= (for a fitted classifier, labels=clf.classes_)."
            )
        raise ValueError(
            f"y_true has {Y.shape[1]} classes but y_pred has {n_classes} columns: both "
            "must have one column per class, in the same order."
        )
    return Y


def _clip(P):
    """P clipped to [eps, 1 - eps] with the eps of its dtype, as float64 for the logs."""
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps).astype(np.float64, copy=False)


def _aggregation_weights(sample_weight, losses, normalize):
    """The checked weights of :func:`_aggregate` (scaled when ``normalize``), or None."""
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(
        sample_weight, losses, dtype=np.float64, ensure_non_negative=True
    )
    # A weighted mean is invariant to a common scale of the weights.
    return scale_weights(sample_weight) if normalize else sample_weight


def _aggregate(losses, sample_weight, normalize, base=None, *, checked=False):
    """Weighted mean (normalize=True) or weighted sum of per-sample losses, in ``base``;
    ``checked``: ``sample_weight`` is already :func:`_aggregation_weights`'s."""
    if sample_weight is not None and not checked:
        sample_weight = _aggregation_weights(sample_weight, losses, normalize)
    if sample_weight is None:
        total = losses.mean() if normalize else losses.sum()
    elif normalize:
        total = (sample_weight @ losses) / sample_weight.sum()
    else:
        total = sample_weight @ losses
    if base is not None:
        total /= np.log(base)
    return float(total)


def _pair(y_true, y_pred, labels, distribution=True):
    P = _check_y_pred(y_pred, distribution=distribution)
    Y = _read_y_true(y_true, labels, P.shape[0], P.shape[1])
    return Y, P


@validate_params(
    {**_PAIR_CONSTRAINTS, "labels": ["array-like", None], "base": _BASE_CONSTRAINT},
    prefer_skip_nested_validation=True,
)
def soft_log_loss(y_true, y_pred, *, sample_weight=None, normalize=True, labels=None, base=None):
    """Cross-entropy between soft (or hard) labels and predicted probabilities.

    Per sample, ``-sum_k y_k log p_k``, with ``0 log 0 = 0`` and ``p`` clipped to
    ``[eps, 1 - eps]`` (``eps`` of the dtype of ``y_pred``). On hard labels this is
    :func:`sklearn.metrics.log_loss`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels, soft labels (rows are distributions), or 1-D binary soft labels
        P(class 1).
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted distributions, as ``predict_proba`` returns; rows must sum to 1 (they are
        not renormalized). 1-D: probability of the second class of a binary problem.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    normalize : bool, default=True
        Weighted mean over the samples if True, weighted sum otherwise.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_pred``, used to encode hard ``y_true``; by default
        the sorted labels found in ``y_true``.
    base : float, default=None
        Base of the logarithm: None for nats, 2 for bits.

    Returns
    -------
    loss : float

    See Also
    --------
    kl_divergence : Cross-entropy minus the entropy of ``y_true``.
    binary_cross_entropy : For independent per-column probabilities.

    Examples
    --------
    The true class is the second one and the model gives it 0.7:

    >>> from skfuzzy_ce.metrics import soft_log_loss
    >>> soft_log_loss([[0, 1, 0]], [[0.2, 0.7, 0.1]], base=2)
    0.514573...
    >>> soft_log_loss([[0.5, 0.5, 0.0]], [[0.2, 0.7, 0.1]])
    0.98305...
    >>> soft_log_loss(["b", "a"], [[0.2, 0.8], [0.6, 0.4]])
    0.36698...
    """
    Y, P = _pair(y_true, y_pred, labels)
    losses = -xlogy(Y, _clip(P)).sum(axis=1)
    return _aggregate(losses, sample_weight, normalize, base)


def _checked_targets(y_true, labels, n_classes, sample_weight):
    """``(Y, weights)``: the soft labels of ``y_true`` with ``n_classes`` columns and the
    weights of a weighted mean, checked as :func:`soft_log_loss` checks them, for a caller
    that scores many predictions of the same rows (:func:`_aggregate` with
    ``checked=True`` takes these weights)."""
    Y = _read_y_true(y_true, labels, _num_samples(y_true), n_classes)
    return Y, _aggregation_weights(sample_weight, Y[:, 0], True)


@validate_params(
    {**_PAIR_CONSTRAINTS, "labels": ["array-like", None], "base": _BASE_CONSTRAINT},
    prefer_skip_nested_validation=True,
)
def kl_divergence(y_true, y_pred, *, sample_weight=None, normalize=True, labels=None, base=None):
    """Kullback-Leibler divergence ``KL(y_true || y_pred)``.

    Per sample, ``sum_k y_k (log y_k - log p_k)``: the cross-entropy
    (:func:`soft_log_loss`) minus the entropy of ``y_true``, so 0 when the prediction is
    ``y_true`` itself, and finite where ``y_true`` has zeros (``0 log 0 = 0``). Only the
    spread of the prediction around the labels counts, not the labels' own uncertainty.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels, soft labels (rows are distributions), or 1-D binary soft labels.
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted distributions; rows must sum to 1. 1-D: probability of the second class.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    normalize : bool, default=True
        Weighted mean over the samples if True, weighted sum otherwise.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_pred``, used to encode hard ``y_true``.
    base : float, default=None
        Base of the logarithm: None for nats, 2 for bits.

    Returns
    -------
    divergence : float

    Examples
    --------
    >>> from skfuzzy_ce.metrics import kl_divergence, soft_log_loss
    >>> y, p = [[0.5, 0.5, 0.0]], [[0.25, 0.5, 0.25]]
    >>> kl_divergence(y, p, base=2)
    0.5
    >>> soft_log_loss(y, p, base=2) - 1.0  # minus the 1 bit of entropy of y
    0.5
    >>> kl_divergence(y, [[0.5, 0.5, 0.0]])
    0.0
    """
    Y, P = _pair(y_true, y_pred, labels)
    losses = (xlogy(Y, Y) - xlogy(Y, _clip(P))).sum(axis=1)
    return _aggregate(losses, sample_weight, normalize, base)


@validate_params(
    {**_PAIR_CONSTRAINTS, "labels": ["array-like", None]},
    prefer_skip_nested_validation=True,
)
def soft_brier_score(y_true, y_pred, *, sample_weight=None, normalize=True, labels=None):
    """Brier score on soft labels: ``sum_k (y_k - p_k)^2`` per sample.

    Brier's original multi-class definition, summed over every class. With two classes it is
    twice the usual binary Brier score of the positive class, i.e.
    ``sklearn.metrics.brier_score_loss(..., scale_by_half=False)``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels, soft labels (rows are distributions), or 1-D binary soft labels.
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted distributions; rows must sum to 1. 1-D: probability of the second class.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    normalize : bool, default=True
        Weighted mean over the samples if True, weighted sum otherwise.
    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_pred``, used to encode hard ``y_true``.

    Returns
    -------
    score : float
        Between 0 (perfect) and 2.

    Examples
    --------
    >>> from skfuzzy_ce.metrics import soft_brier_score
    >>> round(soft_brier_score([[0, 1, 0]], [[0.2, 0.7, 0.1]]), 6)  # 0.04 + 0.09 + 0.01
    0.14
    >>> soft_brier_score([[0.2, 0.7, 0.1]], [[0.2, 0.7, 0.1]])
    0.0
    """
    Y, P = _pair(y_true, y_pred, labels)
    losses = ((Y - P.astype(np.float64, copy=False)) ** 2).sum(axis=1)
    return _aggregate(losses, sample_weight, normalize)


@validate_params(
    {**_PAIR_CONSTRAINTS, "base": _BASE_CONSTRAINT},
    prefer_skip_nested_validation=True,
)
def binary_cross_entropy(y_true, y_pred, *, sample_weight=None, normalize=True, base=None):
    """Binary cross-entropy of independent per-column probabilities, summed over columns.

    Per sample, ``-sum_k [y_k log p_k + (1 - y_k) log(1 - p_k)]``: the loss of multi-label
    soft targets, where each column is its own yes/no question and rows need not sum to 1.
    ``p`` is clipped to ``[eps, 1 - eps]`` (``eps`` of its dtype).

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_outputs) or (n_samples,)
        Targets in [0, 1]: 0/1 indicators or probabilities. 1-D means a single column.
    y_pred : array-like of the same shape as y_true
        Predicted probabilities in [0, 1], one independent probability per column.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    normalize : bool, default=True
        Weighted mean over the samples if True, weighted sum otherwise.
    base : float, default=None
        Base of the logarithm: None for nats, 2 for bits.

    Returns
    -------
    loss : float

    Examples
    --------
    Three independent labels, the first and third present:

    >>> from skfuzzy_ce.metrics import binary_cross_entropy
    >>> round(binary_cross_entropy([[1, 0, 1]], [[0.8, 0.4, 0.6]], base=2), 3)
    1.796
    >>> binary_cross_entropy([1.0, 0.0], [0.5, 0.5], base=2)
    1.0
    """
    P = _as_float_array(y_pred, "y_pred")
    _check_probabilities(P, "y_pred", _PRED_HINT)
    n_true = _num_samples(y_true)
    if n_true != P.shape[0]:
        raise ValueError(
            f"y_true has {n_true} samples but y_pred has {P.shape[0]}: pass one prediction "
            "per sample of y_true."
        )
    if P.ndim == 1:
        P = P[:, None]
    if hasattr(y_true, "to_numpy") and np.ndim(y_true) == 1:
        y_true = y_true.to_numpy()
    if np.ndim(y_true) == 1:
        y_true = np.asarray(y_true)[:, None]
    Y, _ = check_soft_targets(y_true, multilabel=True, input_name="y_true")
    if Y.shape != P.shape:
        raise ValueError(
            f"y_true has shape {Y.shape} but y_pred has shape {P.shape}: give one predicted "
            "probability per target column."
        )
    P = _clip(P)
    losses = -(Y * np.log(P) + (1 - Y) * np.log1p(-P)).sum(axis=1)
    return _aggregate(losses, sample_weight, normalize, base)


@validate_params(
    {
        "y_true": ["array-like"],
        "lam": ["array-like"],
        "sample_weight": ["array-like", None],
        "normalize": ["boolean"],
        "base": _BASE_CONSTRAINT,
    },
    prefer_skip_nested_validation=True,
)
def continuous_bernoulli_log_loss(y_true, lam, *, sample_weight=None, normalize=True, base=None):
    """Negative log-likelihood of observations in [0, 1] under continuous Bernoulli laws.

    The continuous Bernoulli (Loaiza-Ganem & Cunningham, 2019) is the density on [0, 1]
    ``CB(y | lam) = C(lam) lam^y (1 - lam)^(1 - y)`` with
    ``C(lam) = 2 artanh(1 - 2 lam) / (1 - 2 lam)`` and ``C(1/2) = 2``. Its loss,
    ``-log CB(y | lam)``, is the binary cross-entropy minus ``log C(lam)``: the term that makes
    it a proper likelihood for targets that are observed fractions rather than probabilities.
    ``lam`` is clipped to ``[eps, 1 - eps]`` (``eps`` of its dtype); ``log C`` is computed
    stably near ``lam = 1/2`` (series) and near 0 and 1. A density can exceed 1, so the loss
    can be negative.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Observed values in [0, 1]. With several outputs the losses are summed over them.
    lam : array-like of the same shape as y_true
        Parameters of the distributions, in [0, 1] (as ``predict_lambda`` of
        :class:`~skfuzzy_ce.ContinuousBernoulliRegression` returns); this is not the mean.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights.
    normalize : bool, default=True
        Weighted mean over the samples if True, weighted sum otherwise.
    base : float, default=None
        Base of the logarithm: None for nats, 2 for bits.

    Returns
    -------
    loss : float

    Examples
    --------
    ``lam = 1/2`` is the uniform density: every observation costs 0.

    >>> from skfuzzy_ce.metrics import continuous_bernoulli_log_loss
    >>> continuous_bernoulli_log_loss([0.2, 0.9], [0.5, 0.5])
    0.0
    >>> continuous_bernoulli_log_loss([1.0], [0.8])  # -log(0.8) - log(2 artanh(0.6) / 0.6)
    -0.61431...
    """
    hint = "the continuous Bernoulli models values in [0, 1] only."
    Y = _as_float_array(y_true, "y_true")
    _check_probabilities(Y, "y_true", hint)
    L = _as_float_array(lam, "lam")
    _check_probabilities(L, "lam", "pass the parameter lam of each distribution.")
    if Y.shape != L.shape:
        raise ValueError(
            f"y_true has shape {Y.shape} but lam has shape {L.shape}: give one parameter "
            "per observation."
        )
    losses = cb_nll(Y, _clip(L))
    if losses.ndim == 2:
        losses = losses.sum(axis=1)
    return _aggregate(losses, sample_weight, normalize, base)
