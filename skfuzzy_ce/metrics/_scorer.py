"""Scorers of the soft-label metrics, for ``GridSearchCV(scoring=...)`` and ``cross_validate``.

They call ``predict_proba`` and, unlike a plain ``make_scorer``, pass the estimator's
``classes_`` to the metric as ``labels``: a cross-validation fold may lack a class, and its hard
labels must still be encoded against the columns of ``predict_proba``.
"""

from sklearn.metrics._scorer import _Scorer

from ._soft import kl_divergence, soft_brier_score, soft_log_loss

__all__ = ["neg_kl_divergence_scorer", "neg_soft_brier_scorer", "neg_soft_log_loss_scorer"]


class _SoftProbaScorer(_Scorer):
    """``make_scorer(metric, greater_is_better=False, response_method="predict_proba")`` that
    also passes ``labels=estimator.classes_``.

    Subclassing scikit-learn's scorer keeps what it does for us: ``sample_weight`` and
    metadata routing, and one ``predict_proba`` call shared by several scorers in
    ``cross_validate``. For a binary classifier scikit-learn hands over the probability of
    ``classes_[-1]`` only, which the metrics read as the second of ``labels``.
    """

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        if "labels" not in self._kwargs and "labels" not in kwargs:
            classes = getattr(estimator, "classes_", None)
            if classes is not None:
                kwargs = {**kwargs, "labels": classes}
        return super()._score(method_caller, estimator, X, y_true, **kwargs)


_SCORER_DOC = """Scorer of :func:`~skfuzzy_ce.metrics.{metric}` on ``predict_proba``, negated.

    For ``GridSearchCV(scoring=...)``, ``cross_validate`` and ``cross_val_score`` on soft (or
    hard) targets: ``scorer(estimator, X, y, sample_weight=None)`` returns
    ``-{metric}(y, estimator.predict_proba(X), labels=estimator.classes_)``, so that greater
    is better. The estimator's ``classes_`` encode hard ``y`` against the columns of
    ``predict_proba`` even when a fold lacks a class. {extra}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skfuzzy_ce import SoftLabelLogisticRegression
    >>> from skfuzzy_ce.metrics import {name}
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2))
    >>> Y = rng.dirichlet([1, 1], size=60)  # soft labels
    >>> grid = {{"C": [0.1, 1.0]}}
    >>> search = GridSearchCV(SoftLabelLogisticRegression(), grid, scoring={name}, cv=3)
    >>> search = search.fit(X, Y)
    >>> bool(search.best_score_ <= 0)
    True
    """


class _NegSoftLogLossScorer(_SoftProbaScorer):
    __doc__ = _SCORER_DOC.format(
        metric="soft_log_loss",
        name="neg_soft_log_loss_scorer",
        extra="Use it rather than\n    ``scoring=\"neg_log_loss\"``, which expects hard "
        "labels and gives NaN on soft targets.",
    )


class _NegKLDivergenceScorer(_SoftProbaScorer):
    __doc__ = _SCORER_DOC.format(
        metric="kl_divergence",
        name="neg_kl_divergence_scorer",
        extra="The KL divergence is the\n    cross-entropy minus the entropy of ``y``, which "
        "does not depend on the model: it ranks\n    models as ``neg_soft_log_loss_scorer`` "
        "does, and is 0 for a perfect model.",
    )


class _NegSoftBrierScorer(_SoftProbaScorer):
    __doc__ = _SCORER_DOC.format(
        metric="soft_brier_score",
        name="neg_soft_brier_scorer",
        extra="The soft Brier score is\n    bounded (between 0 and 2), unlike the log loss.",
    )


def _neg_proba_scorer(cls, metric):
    # One class per scorer: help() and pydoc show an instance's class docstring.
    return cls(metric, sign=-1, kwargs={}, response_method="predict_proba")


#: Scorer for :func:`soft_log_loss` (negated: greater is better).
neg_soft_log_loss_scorer = _neg_proba_scorer(_NegSoftLogLossScorer, soft_log_loss)
#: Scorer for :func:`kl_divergence` (negated: greater is better).
neg_kl_divergence_scorer = _neg_proba_scorer(_NegKLDivergenceScorer, kl_divergence)
#: Scorer for :func:`soft_brier_score` (negated: greater is better).
neg_soft_brier_scorer = _neg_proba_scorer(_NegSoftBrierScorer, soft_brier_score)
