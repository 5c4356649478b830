"""Pieces shared by the soft-label classifiers: class weights, accuracy on soft targets,
sparse coefficients."""

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import check_is_fitted

from ._targets import _pandas_to_numpy, check_soft_targets

__all__ = [
    "SoftClassifierMixin",
    "SparseCoefMixin",
    "compute_soft_class_weight",
    "hard_labels_of",
    "same_index_dtype",
]


def same_index_dtype(X):
    """CSR ``X`` whose ``indices`` and ``indptr`` share one dtype, as the kernels need.

    scipy accepts (and scikit-learn passes through) a CSR matrix with int64 ``indices`` and
    int32 ``indptr`` or the reverse; the compiled kernels take one index type for both. Such a
    matrix is rebuilt as a new matrix object (the data array is shared, not copied, and the
    user's matrix is left as it is) with both arrays in the index dtype scipy chooses for it.
    Anything else is returned as it is.
    """
    if sp.issparse(X) and X.format == "csr" and X.indices.dtype != X.indptr.dtype:
        return type(X)((X.data, X.indices, X.indptr), shape=X.shape, copy=False)
    return X


def compute_soft_class_weight(class_weight, classes, Y, sample_weight):
    """Weight of each class (column of ``Y``), as an array of shape (n_classes,).

    ``"balanced"`` uses soft class totals: ``sum(s) / (n_classes * sum_i s_i Y_ik)``, which is
    what scikit-learn's ``compute_class_weight("balanced", ..., sample_weight=...)`` gives on
    the duplicated data set. A class with no mass at all keeps weight 1 (it multiplies zeros).
    """
    n_classes = Y.shape[1]
    if class_weight is None:
        return np.ones(n_classes, dtype=np.float64)
    if isinstance(class_weight, str):  # "balanced", checked by _parameter_constraints
        totals = sample_weight @ Y.astype(np.float64, copy=False)
        weights = np.ones(n_classes, dtype=np.float64)
        has_mass = totals > 0
        weights[has_mass] = sample_weight.sum() / (n_classes * totals[has_mass])
        return weights
    classes_list = np.asarray(classes).tolist()
    unknown = [key for key in class_weight if key not in classes_list]
    if unknown:
        raise ValueError(
            f"class_weight has keys {unknown} that are not classes of y (classes_="
            f"{classes_list}). Use the class labels as keys."
        )
    weights = np.ones(n_classes, dtype=np.float64)
    for k, c in enumerate(classes_list):
        if c in class_weight:
            w = float(class_weight[c])
            if not np.isfinite(w) or w < 0:
                raise ValueError(f"class_weight[{c!r}] = {w} must be finite and >= 0.")
            weights[k] = w
    return weights


def hard_labels_of(y, classes):
    """Hard labels for accuracy: ``y`` itself if hard, else ``classes[argmax]`` of soft ``y``."""
    y_arr = _pandas_to_numpy(y, "y") if hasattr(y, "to_numpy") else np.asarray(y)
    if y_arr.ndim == 2 and y_arr.shape[1] == 1:
        y_arr = y_arr[:, 0]  # a column vector of labels
    if y_arr.ndim == 1 and not (
        y_arr.dtype.kind == "f" and np.isfinite(y_arr).all() and np.any(np.mod(y_arr, 1) != 0)
    ):
        # Hard labels: the package's checks (missing values, NaN, mixed types, with the row).
        check_soft_targets(y_arr, min_classes=1)
        return y_arr
    Y, _ = check_soft_targets(y, classes=classes, min_classes=1)
    return np.asarray(classes)[np.argmax(Y, axis=1)]


class SoftClassifierMixin:
    """``score`` that accepts soft targets: accuracy against their argmax."""

    def score(self, X, y, sample_weight=None):
        """Accuracy of ``predict(X)`` against ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Hard labels, or soft labels compared through their most probable class.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        return accuracy_score(
            hard_labels_of(y, self.classes_), self.predict(X), sample_weight=sample_weight
        )


class SparseCoefMixin:
    """``sparsify`` / ``densify`` of ``coef_``, as scikit-learn's linear classifiers have."""

    def sparsify(self):
        """Store ``coef_`` as a CSR matrix (worth it with an L1 penalty: mostly zeros).

        Predictions are unchanged; with many zeros, prediction on sparse X is faster and
        the model smaller. :meth:`densify` undoes it.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_is_fitted(self)
        self.coef_ = sp.csr_matrix(self.coef_)
        return self

    def densify(self):
        """Store ``coef_`` as a dense array again (the default after ``fit``).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        return self
