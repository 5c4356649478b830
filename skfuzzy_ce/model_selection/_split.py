"""Stratified K-fold cross-validation on soft labels."""

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import _num_samples

from .._targets import check_soft_targets

__all__ = ["SoftStratifiedKFold"]


class SoftStratifiedKFold(StratifiedKFold):
    """Stratified K-fold that accepts soft labels: it stratifies on their most probable class.

    scikit-learn's ``check_cv`` falls back to unstratified ``KFold`` when ``y`` is a 2-D soft
    label matrix, and ``StratifiedKFold`` rejects it. This splitter reads ``y`` as every
    estimator of the package does (hard labels, soft label matrices, pandas columns, 1-D binary
    soft labels P(class 1)), takes the argmax of each row (the first class on ties) and
    stratifies on it exactly as :class:`~sklearn.model_selection.StratifiedKFold` does. On hard
    labels the folds are those of ``StratifiedKFold``.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        Whether to shuffle each class's samples before splitting them into batches.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling when ``shuffle=True``.

    See Also
    --------
    sklearn.model_selection.StratifiedKFold : The same on hard labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skfuzzy_ce.model_selection import SoftStratifiedKFold
    >>> Y = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    >>> X = np.zeros((4, 1))
    >>> for train, test in SoftStratifiedKFold(n_splits=2).split(X, Y):
    ...     print(train, test)
    [1 3] [0 2]
    [0 2] [1 3]
    """

    def split(self, X, y, groups=None):
        """Generate indices to split data into training and test set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; only its number of samples is used.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels or soft labels; stratification is on the most probable class.
        groups : object
            Always ignored, exists for compatibility.

        Yields
        ------
        train : ndarray
            The training set indices for that split.
        test : ndarray
            The testing set indices for that split.
        """
        Y, _ = check_soft_targets(y, min_classes=1, n_samples=_num_samples(X))
        return super().split(X, np.argmax(Y, axis=1), groups)
