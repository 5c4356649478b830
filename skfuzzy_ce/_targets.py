"""How ``y`` is read everywhere: hard labels, soft label matrices, binary soft labels.

Every estimator, metric and splitter of the package goes through :func:`check_soft_targets`,
so a target means the same thing, and a bad one gets the same message, wherever it is used.
User arrays are never written to: a conversion makes a copy, validation only reads.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils._param_validation import validate_params

__all__ = ["check_soft_targets", "scale_weights", "soft_labels_from_counts"]

# How far a row sum may stray from 1, by the precision the soft labels arrive in.
_ROW_SUM_TOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4, np.dtype(np.float16): 1e-2}


def _row_sum_tolerance(dtype):
    return _ROW_SUM_TOL.get(np.dtype(dtype), 1e-6)


def _row_sum_message(y, input_name, row_offset=0):
    """The start of the error for the first row of 2-D ``y`` not summing to 1, or None.

    ``row_offset`` is added to the row number in the message (``y`` a chunk of a larger
    target starting at that row)."""
    sums = y.sum(axis=1, dtype=np.float64)
    tol = _row_sum_tolerance(y.dtype)
    bad = np.abs(sums - 1) > tol
    if not bad.any():
        return None
    i = int(np.flatnonzero(bad)[0])
    return (
        f"Row {i + row_offset} of {input_name} sums to {sums[i]:.8g}, not 1 "
        f"(tolerance {tol:g}): "
        f"{_describe_row(y, i)}."
    )


def _pandas_to_numpy(obj, input_name, row_offset=0):
    """A pandas Series or DataFrame as a numpy array; anything else as it is.

    Nullable numeric columns (``Int64``, ``Float64``, ``boolean``) become their numpy dtype
    when they hold no missing value; a missing one (``pd.NA``) is refused, naming its row,
    instead of turning into an object array that fails later with an unrelated message.
    """
    if not hasattr(obj, "to_numpy") or not hasattr(obj, "dtype" if obj.ndim == 1 else "dtypes"):
        return obj
    dtypes = [obj.dtype] if obj.ndim == 1 else list(obj.dtypes)
    nullable = [dt for dt in dtypes if hasattr(dt, "numpy_dtype")]
    numeric = [
        getattr(dt, "numpy_dtype", dt)
        for dt in dtypes
        if isinstance(getattr(dt, "numpy_dtype", dt), np.dtype)
        and getattr(dt, "numpy_dtype", dt).kind in "biuf"
    ]
    if not nullable or len(numeric) != len(dtypes):
        return obj.to_numpy()
    missing = np.asarray(obj.isna())
    if missing.any():
        i = _first_row(missing)
        column = ""
        if missing.ndim == 2:
            column = f", column {obj.columns[int(np.flatnonzero(missing[i])[0])]!r}"
        raise ValueError(
            f"{input_name} has a missing value (pd.NA or NaN) in row {i + row_offset}{column}: "
            "drop or "
            "impute the rows with missing values."
        )
    return obj.to_numpy(dtype=np.result_type(*numeric))


def _unwrap_pandas(y, input_name="y", row_offset=0):
    """Return (values, column names or None) for pandas objects, y itself otherwise."""
    columns = None
    if hasattr(y, "columns") and hasattr(y, "to_numpy"):  # DataFrame
        columns = np.asarray(y.columns)
        y = _pandas_to_numpy(y, input_name, row_offset)
    elif hasattr(y, "to_numpy") and hasattr(y, "dtype") and getattr(y, "ndim", 1) == 1:
        y = _pandas_to_numpy(y, input_name, row_offset)
    return y, columns


def _is_missing(value):
    """Whether one label is a missing value: None, a float NaN, ``pd.NA`` or ``pd.NaT``."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def _check_classes(classes):
    """``classes`` as a 1-D array of distinct labels, else ValueError saying how to fix it."""
    try:
        arr = np.asarray(classes)
    except ValueError as exc:  # ragged nesting
        raise ValueError(
            f"classes must be a 1-D list of class labels; could not read it as one ({exc})."
        ) from None
    if arr.ndim != 1:
        raise ValueError(
            f"classes must be a 1-D list of class labels; got an array of shape {arr.shape}. "
            "Pass one label per class, e.g. classes=[0, 1, 2] (use np.ravel on a nested list)."
        )
    if arr.dtype.kind == "O":
        bad = [i for i, v in enumerate(arr) if _is_missing(v)]
        if bad:
            raise ValueError(
                f"classes contains a missing value at position {bad[0]}; every class needs a "
                "label."
            )
    try:
        values, counts = np.unique(arr, return_counts=True)
    except TypeError:  # labels of types that do not compare: left to the label checks
        return arr
    if (counts > 1).any():
        raise ValueError(
            f"classes has duplicate labels {values[counts > 1].tolist()[:10]}: each class "
            "must appear once (one label per column of the soft labels)."
        )
    return arr


def _first_row(mask):
    """Index of the first row where a boolean (n,) or (n, K) mask is True."""
    rows = mask.any(axis=1) if mask.ndim == 2 else mask
    return int(np.flatnonzero(rows)[0])


def _describe_row(y, i):
    row = y[i]
    return np.array2string(np.asarray(row), precision=6, threshold=8)


_RANGE_FIX = (
    "for vote counts use skfuzzy_ce.soft_labels_from_counts, for scores apply a softmax first."
)


def _check_finite_range(
    y, input_name, what, *, missing_fix=None, range_fix=None, row_offset=0
):
    """Finite values in [0, 1], else ValueError naming the first offending row.

    ``what`` names the values in the message ("Soft labels"); ``missing_fix`` and
    ``range_fix`` say how to fix a NaN/infinity and a value outside [0, 1]; ``row_offset``
    is added to the row number in the message.
    """
    if missing_fix is None:
        missing_fix = "drop or impute the rows with missing labels."
    if range_fix is None:
        range_fix = _RANGE_FIX
    bad = ~np.isfinite(y)
    if bad.any():
        i = _first_row(bad)
        kind = "NaN" if np.isnan(y[i]).any() else "infinity"
        raise ValueError(
            f"{input_name} contains {kind} in row {i + row_offset} ({_describe_row(y, i)}). "
            f"{what} must be "
            f"finite probabilities in [0, 1]: {missing_fix}"
        )
    bad = (y < 0) | (y > 1)
    if bad.any():
        i = _first_row(bad)
        low = (np.asarray(y[i]) < 0).any()
        raise ValueError(
            f"{input_name} has a value {'below 0' if low else 'above 1'} in row "
            f"{i + row_offset} "
            f"({_describe_row(y, i)}). {what} must be probabilities in [0, 1]; {range_fix}"
        )


def _hard_labels_to_onehot(y, classes, dtype, input_name):
    """One-hot encode 1-D hard labels over ``classes`` (sorted unique labels by default)."""
    present = np.unique(y)
    if classes is None:
        classes = present
        codes = np.searchsorted(classes, y)
    else:
        missing = np.setdiff1d(present, classes)
        if missing.size:
            raise ValueError(
                f"{input_name} has labels {missing.tolist()[:10]} that are not in classes="
                f"{np.asarray(classes).tolist()[:10]}. Add them to `classes`, or leave "
                "`classes=None` to use the labels found in y."
            )
        order = np.argsort(classes, kind="stable")
        codes = order[np.searchsorted(classes, y, sorter=order)]
    Y = np.zeros((y.shape[0], len(classes)), dtype=dtype)
    Y[np.arange(y.shape[0]), codes] = 1
    return Y, classes


def _is_integral_valued(y):
    return np.all(np.mod(y, 1) == 0)


def check_soft_targets(
    y,
    *,
    classes=None,
    multilabel=False,
    dtype=np.float64,
    n_samples=None,
    input_name="y",
    min_classes=2,
    row_offset=0,
    soft_1d=None,
):
    """Read any supported target into a soft label matrix.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        Hard labels, a soft label matrix (rows are distributions over the classes; columns are
        independent probabilities when ``multilabel=True``), or 1-D fractional values in [0, 1]
        read as P(class 1).
    classes : array-like, default=None
        Class labels. For hard labels, the classes to encode (a superset of the labels in
        ``y``, in this order); for a matrix, one name per column.
    multilabel : bool, default=False
        When True, 2-D rows need not sum to 1 (one independent probability per column).
    dtype : numpy dtype, default=np.float64
        dtype of the returned matrix.
    n_samples : int, default=None
        When given, the number of rows ``y`` must have.
    input_name : str, default="y"
        Name used in error messages.
    min_classes : int, default=2
        Fewest classes that must carry probability mass.
    row_offset : int, default=0
        Added to the row numbers in error messages: ``y`` is a chunk of a larger target
        that starts at this row (the rows of a dask collection, validated chunk by chunk).
    soft_1d : bool, default=None
        How 1-D float targets are read. None: as binary soft labels P(class 1) when some
        value is not an integer, else as hard labels. True: as P(class 1) even if every
        value is 0 or 1 (a chunk of a larger target that has fractional values elsewhere).

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes)
        Soft labels of the requested dtype. May share memory with ``y`` (read-only use only).
    classes : ndarray of shape (n_classes,)
        The class label of each column.

    Examples
    --------
    >>> from skfuzzy_ce._targets import check_soft_targets
    >>> Y, classes = check_soft_targets(["b", "a", "b"])
    >>> Y
    array([[0., 1.],
           [1., 0.],
           [0., 1.]])
    >>> classes
    array(['a', 'b'], dtype='<U1')
    >>> check_soft_targets([0.25, 0.5])[0]
    array([[0.75, 0.25],
           [0.5 , 0.5 ]])
    """
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None. Pass hard "
            "labels of shape (n_samples,) or soft labels of shape (n_samples, n_classes)."
        )
    y, columns = _unwrap_pandas(y, input_name, row_offset)
    # A single-column DataFrame is a column vector of labels (as in scikit-learn), not one
    # class named after its column; a multi-label target keeps its column as a class name.
    if columns is not None and classes is None and (y.shape[1] != 1 or multilabel):
        classes = columns
    if classes is not None:
        classes = _check_classes(classes)
    if hasattr(y, "toarray"):  # scipy sparse targets
        y = y.toarray()
    y = np.asarray(y)
    if y.dtype.kind == "O" and y.ndim == 2:
        missing = np.frompyfunc(_is_missing, 1, 1)(y).astype(bool)
        if missing.any():
            i = _first_row(missing)
            raise ValueError(
                f"{input_name} contains a missing value "
                f"({y[i][np.flatnonzero(missing[i])[0]]!r}) in row {i + row_offset}; soft labels "
                "must be "
                "finite probabilities: drop or impute the rows with missing labels."
            )
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{input_name} is 2-D, so it is read as soft labels, but it holds values "
                f"that are not numbers ({exc}). Pass hard labels as a 1-D array."
            ) from None
    if y.ndim == 2 and y.shape[1] == 1 and not multilabel:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the "
            "shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y[:, 0]
    if y.ndim not in (1, 2):
        raise ValueError(
            f"{input_name} must be 1-D (labels) or 2-D (n_samples, n_classes soft labels); "
            f"got an array of shape {y.shape}."
        )
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(
            f"{input_name} has {y.shape[0]} rows but X has {n_samples} samples: pass one "
            "label (or one row of soft labels) per sample."
        )
    if y.shape[0] == 0:
        raise ValueError(f"{input_name} is empty: at least one sample is required.")

    if y.ndim == 1:
        Y, classes = _read_1d(y, classes, dtype, input_name, row_offset, soft_1d)
    else:
        Y, classes = _read_2d(y, classes, dtype, multilabel, input_name, row_offset)

    if not multilabel:
        n_with_mass = int(np.count_nonzero(Y.sum(axis=0) > 0))
        if Y.shape[1] < min_classes or n_with_mass < min_classes:
            raise ValueError(
                f"{input_name} has only one class with any probability mass "
                f"(classes={np.asarray(classes).tolist()[:10]}); at least {min_classes} classes "
                "are needed to fit a classifier. Check that the data hold samples of more "
                "than one class."
            )
    return Y, np.asarray(classes)


def _read_1d(y, classes, dtype, input_name, row_offset=0, soft_1d=None):
    if y.dtype.kind == "f":
        _check_finite_1d(y, input_name, row_offset)
        if soft_1d or (soft_1d is None and not _is_integral_valued(y)):
            if y.min() < 0 or y.max() > 1:
                raise ValueError(
                    "Unknown label type: continuous. 1-D float targets are read as binary soft "
                    f"labels P(class 1) and must lie in [0, 1]; {input_name} ranges over "
                    f"[{y.min():.6g}, {y.max():.6g}]. For regression use a regressor; for "
                    "class labels pass integers or strings."
                )
            if classes is not None and len(classes) != 2:
                raise ValueError(
                    f"1-D fractional {input_name} is read as binary soft labels P(class 1), "
                    f"which needs exactly 2 classes; got classes={list(classes)}."
                )
            Y = np.empty((y.shape[0], 2), dtype=dtype)
            Y[:, 1] = y
            Y[:, 0] = 1 - Y[:, 1]
            return Y, np.arange(2) if classes is None else np.asarray(classes)
    elif y.dtype.kind not in "biuUSO":
        raise ValueError(
            f"Unknown label type: {y.dtype}. Pass hard labels (ints, strings, bools) or "
            "soft labels as floats."
        )
    if y.dtype.kind == "O":
        kinds = {type(v) for v in y}
        missing = [i for i, v in enumerate(y) if _is_missing(v)]
        if missing:
            raise ValueError(
                f"{input_name} contains a missing label ({y[missing[0]]!r}) in row "
                f"{missing[0] + row_offset}; drop or impute the rows with missing labels."
            )
        if len(kinds) > 1 and not all(issubclass(k, (Integral, Real, np.number)) for k in kinds):
            raise ValueError(
                f"Unknown label type: {input_name} mixes label types "
                f"({sorted(k.__name__ for k in kinds)}); use one type for every label."
            )
    return _hard_labels_to_onehot(y, classes, dtype, input_name)


def _check_finite_1d(y, input_name, row_offset=0):
    bad = ~np.isfinite(y)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"Input {input_name} contains {'NaN' if np.isnan(y[i]) else 'infinity'} in row "
            f"{i + row_offset}. "
            "Targets must be finite: drop or impute the rows with missing labels."
        )


def _read_2d(y, classes, dtype, multilabel, input_name, row_offset=0):
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"{input_name} is 2-D, so it is read as soft labels, but has dtype {y.dtype}. "
            "Soft labels must be numbers in [0, 1]."
        )
    what = "Multi-label targets" if multilabel else "Soft labels"
    range_fix = None
    if not multilabel and y.dtype.kind in "biuf" and np.isfinite(y).all() and (y >= 0).all():
        sums = y.sum(axis=1, dtype=np.float64)
        if np.allclose(sums, 100, rtol=1e-4, atol=0):
            range_fix = (
                f"every row sums to 100: if these are percentages, divide {input_name} by 100; "
                + _RANGE_FIX
            )
    _check_finite_range(y, input_name, what, range_fix=range_fix, row_offset=row_offset)
    if not multilabel:
        message = _row_sum_message(y, input_name, row_offset)
        if message is not None:
            raise ValueError(
                f"{message} Soft labels must be probability distributions over "
                "the classes; divide each row by its sum (Y / Y.sum(axis=1, keepdims=True)), "
                "or use skfuzzy_ce.soft_labels_from_counts for vote counts. For independent "
                "per-column probabilities use loss='binary_cross_entropy'."
            )
    n_classes = y.shape[1]
    if classes is None:
        classes = np.arange(n_classes)
    elif len(classes) != n_classes:
        raise ValueError(
            f"classes has {len(classes)} entries but {input_name} has {n_classes} columns: "
            "give one class label per column."
        )
    Y = np.ascontiguousarray(y, dtype=dtype)
    return Y, np.asarray(classes)


# Largest sum of weights left as it is: 64 bits of headroom below the float64 maximum, for the
# losses (at most a few hundred per row) and gradients that the weights multiply.
_WEIGHT_SUM_MAX = float(np.ldexp(np.finfo(np.float64).max, -64))


def scale_weights(weights, *, return_exponent=False):
    """``weights`` divided by a power of 2 when their sum could overflow float64.

    The normalized metrics and the soft labels of counts are invariant to a common scale of
    the weights, and so is the data term of the fits (the weighted sum of losses divided by
    the sum of the weights), but a sum of weights near ``1e308`` overflows to infinity (and a
    fit then stops at zero coefficients, a weighted mean becomes NaN). When the largest weight
    times their number exceeds ``2**-64`` times the float64 maximum, every weight is divided
    by the same power of 2, ``2**e`` (exactly, so their ratios are unchanged), to bring the
    largest into [0.5, 1); otherwise ``weights`` itself is returned (``e = 0``). Never
    modifies ``weights``.

    The L2 penalty of the fits, ``||W||^2 / (2 C S)``, depends on the true sum ``S`` of the
    weights: a fit computes it from the scaled sum times ``2**e`` (``np.ldexp(..., -e)`` on
    ``1 / (C S)``), so that its model is the one of the unscaled weights.

    Parameters
    ----------
    weights : ndarray of non-negative, finite float64 values, any shape
    return_exponent : bool, default=False
        Also return ``e``.

    Returns
    -------
    weights : ndarray
        ``weights`` itself, or a scaled copy.
    exponent : int
        ``e``, the weights were divided by ``2**e``; only with ``return_exponent=True``.

    Examples
    --------
    >>> import numpy as np
    >>> from skfuzzy_ce._targets import scale_weights
    >>> scale_weights(np.array([1e308, 5e307]))
    array([0.55626846, 0.27813423])
    >>> w = np.array([1.0, 2.0])
    >>> scale_weights(w) is w
    True
    """
    weights = np.asarray(weights)
    exponent = weight_exponent(float(weights.max()) if weights.size else 0.0, weights.size)
    if exponent:
        weights = np.ldexp(weights, -exponent)
    return (weights, exponent) if return_exponent else weights


def weight_exponent(max_weight, count):
    """The ``e`` of :func:`scale_weights` for ``count`` weights whose largest is
    ``max_weight`` (0: no scaling), for weights held in chunks (a dask fit)."""
    if count and max_weight > _WEIGHT_SUM_MAX / count:
        return int(np.frexp(max_weight)[1])
    return 0


@validate_params({"counts": ["array-like"]}, prefer_skip_nested_validation=True)
def soft_labels_from_counts(counts):
    """Turn annotator vote counts into soft labels and sample weights.

    Each row of counts (how many annotators chose each class) becomes the distribution
    ``counts / counts.sum(axis=1)``, and its total becomes the sample weight, so that a sample
    seen by more annotators weighs more (as glmnet does with count responses). The weighted
    cross-entropy then equals the multinomial log-likelihood of the votes, up to a constant.

    Parameters
    ----------
    counts : array-like of shape (n_samples, n_classes)
        Non-negative, finite counts (or any non-negative evidence); no row may be all zero.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_classes)
        Soft labels, rows summing to 1.
    sample_weight : ndarray of shape (n_samples,)
        Row totals of ``counts``. Only when their sum would overflow float64 (counts near
        ``1e308``), the totals divided by one common power of 2 (see
        ``skfuzzy_ce._targets.scale_weights``): the fits and the metrics are invariant to a
        common scale of the weights.

    Examples
    --------
    >>> from skfuzzy_ce import soft_labels_from_counts
    >>> Y, w = soft_labels_from_counts([[3, 1, 0], [0, 2, 2]])
    >>> Y
    array([[0.75, 0.25, 0.  ],
           [0.  , 0.5 , 0.5 ]])
    >>> w
    array([4., 4.])
    """
    counts, _ = _unwrap_pandas(counts, "counts")
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(
            f"counts must be 2-D (n_samples, n_classes); got shape {counts.shape}. For one "
            "sample, pass [[...]]."
        )
    if counts.dtype.kind not in "biuf":
        raise ValueError(f"counts must be numeric; got dtype {counts.dtype}.")
    counts = counts.astype(np.float64)  # a copy: the caller's array is never touched
    bad = ~np.isfinite(counts)
    if bad.any():
        i = _first_row(bad)
        raise ValueError(f"counts contains NaN or infinity in row {i}; counts must be finite.")
    bad = counts < 0
    if bad.any():
        i = _first_row(bad)
        raise ValueError(
            f"counts has a negative value in row {i} ({_describe_row(counts, i)}); counts "
            "must be non-negative."
        )
    row_max = counts.max(axis=1)
    if (row_max == 0).any():
        i = int(np.flatnonzero(row_max == 0)[0])
        raise ValueError(
            f"Row {i} of counts is all zero, so it has no distribution: drop the samples "
            "no annotator labeled."
        )
    # Each row divided by a power of 2 near its largest count (exact) before its own sum, so
    # that neither counts near 1e308 (overflowing sums) nor tiny ones change the distribution.
    rows = np.ldexp(counts, -np.frexp(row_max)[1][:, None])
    # The weights: the row totals, scaled by one common power of 2 if their sum would overflow.
    return rows / rows.sum(axis=1, keepdims=True), scale_weights(counts).sum(axis=1)
