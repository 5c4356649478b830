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


def _neg_proba_scorer(metric):
    return _SoftProbaScorer(metric, sign=-1, kwargs={}, response_method="predict_proba")


#: Scorer for :func:`soft_log_loss` (negated: greater is better).
neg_soft_log_loss_scorer = _neg_proba_scorer(soft_log_loss)
#: Scorer for :func:`kl_divergence` (negated: greater is better).
neg_kl_divergence_scorer = _neg_proba_scorer(kl_divergence)
#: Scorer for :func:`soft_brier_score` (negated: greater is better).
neg_soft_brier_scorer = _neg_proba_scorer(soft_brier_score)
