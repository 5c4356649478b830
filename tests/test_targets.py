"""How y is read: hard labels, soft matrices, pandas, fractional binary, and every bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning

from skfuzzy_ce import SoftLabelLogisticRegression, soft_labels_from_counts
from skfuzzy_ce._targets import check_soft_targets


def test_hard_labels_one_hot_sorted_classes():
    Y, classes = check_soft_targets(np.array(["b", "a", "c", "a"]))
    assert classes.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(Y, [[0, 1, 0], [1, 0, 0], [0, 0, 1], [1, 0, 0]])


def test_hard_labels_with_classes_parameter_keeps_order_and_absent_classes():
    Y, classes = check_soft_targets([2, 0, 2], classes=[2, 1, 0])
    assert classes.tolist() == [2, 1, 0]
    np.testing.assert_array_equal(Y, [[1, 0, 0], [0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"labels \[5\] that are not in classes"):
        check_soft_targets([5, 0, 2], classes=[2, 1, 0])


def test_bool_and_integer_valued_float_labels_are_hard():
    Y, classes = check_soft_targets(np.array([True, False, True]))
    assert classes.tolist() == [False, True]
    Y, classes = check_soft_targets(np.array([0.0, 2.0, 1.0]))
    assert classes.tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(Y.argmax(axis=1), [0, 2, 1])


def test_fractional_1d_is_binary_soft():
    Y, classes = check_soft_targets(np.array([0.2, 1.0, 0.0, 0.5]))
    assert classes.tolist() == [0, 1]
    np.testing.assert_allclose(Y, [[0.8, 0.2], [0, 1], [1, 0], [0.5, 0.5]])


def test_soft_matrix_pandas_columns_and_classes_parameter():
    df = pd.DataFrame({"cat": [0.2, 0.5], "dog": [0.8, 0.5]})
    Y, classes = check_soft_targets(df)
    assert classes.tolist() == ["cat", "dog"]
    np.testing.assert_array_equal(Y, df.to_numpy())
    Y, classes = check_soft_targets(df.to_numpy(), classes=["x", "y"])
    assert classes.tolist() == ["x", "y"]
    Y, classes = check_soft_targets(df.to_numpy())
    assert classes.tolist() == [0, 1]
    with pytest.raises(ValueError, match="classes has 3 entries but y has 2 columns"):
        check_soft_targets(df.to_numpy(), classes=[1, 2, 3])


def test_float32_rows_use_a_looser_tolerance():
    Y = np.array([[0.1, 0.2, 0.7]], dtype=np.float32) + np.float32(2e-5) * np.array([1, 0, 0])
    check_soft_targets(np.vstack([Y, [[0, 1, 0]]]).astype(np.float32))
    with pytest.raises(ValueError, match="sums to"):
        check_soft_targets(np.vstack([Y, [[0, 1, 0]]]).astype(np.float64))


def test_column_vector_warns_and_is_raveled():
    with pytest.warns(DataConversionWarning, match="column-vector"):
        Y, classes = check_soft_targets(np.array([[0], [1], [1]]))
    assert classes.tolist() == [0, 1]


@pytest.mark.parametrize(
    "y, match",
    [
        (np.array([[0.5, np.nan], [0.5, 0.5]]), r"contains NaN in row 0"),
        (np.array([[0.5, 0.5], [np.inf, 0.5]]), r"contains infinity in row 1"),
        (np.array([[0.5, 0.5], [1.2, -0.2]]), r"value below 0 in row 1"),
        (np.array([[0.5, 0.5], [0.5, 0.5], [0.0, 1.5]]), r"value above 1 in row 2"),
        (np.array([[0.5, 0.5], [0.3, 0.3]]), r"Row 1 of y sums to 0\.6"),
        (np.array([[1.0], [1.0]]), r"only one class"),
        (np.array([[1.0, 0.0], [1.0, 0.0]]), r"only one class"),
        (np.array([3, 3, 3]), r"only one class"),
        (np.array([0.5, 1.5, 2.7]), r"^Unknown label type:"),
        (np.array([-0.5, 0.25]), r"^Unknown label type:"),
        (np.array([0.5, np.nan]), r"contains NaN in row 1"),
        (np.array(["a", None, "b"], dtype=object), r"missing label .* row 1"),
        (np.zeros((2, 2, 2)), r"must be 1-D .* or 2-D"),
        (np.array([["a", "b"], ["c", "d"]]), r"read as soft labels"),
    ],
)
def test_bad_targets_say_what_and_where(y, match):
    y_before = y.copy()
    with pytest.raises(ValueError, match=match):
        check_soft_targets(y)
    np.testing.assert_array_equal(y, y_before)


def test_wrong_length():
    with pytest.raises(ValueError, match="y has 2 rows but X has 3 samples"):
        check_soft_targets([0, 1], n_samples=3)


def test_none_target():
    with pytest.raises(ValueError, match="requires y to be passed"):
        check_soft_targets(None)


def test_user_arrays_not_modified_by_fit():
    rng = np.random.RandomState(0)
    X = rng.randn(30, 3)
    Y = rng.dirichlet(np.ones(3), size=30)
    sw = rng.rand(30)
    X0, Y0, sw0 = X.copy(), Y.copy(), sw.copy()
    SoftLabelLogisticRegression(label_smoothing=0.1, class_weight="balanced").fit(X, Y, sw)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    np.testing.assert_array_equal(sw, sw0)


def test_soft_labels_from_counts():
    counts = np.array([[3, 1, 0], [0, 0, 2]])
    before = counts.copy()
    Y, w = soft_labels_from_counts(counts)
    np.testing.assert_allclose(Y, [[0.75, 0.25, 0], [0, 0, 1]])
    np.testing.assert_allclose(w, [4, 2])
    np.testing.assert_array_equal(counts, before)
    with pytest.raises(ValueError, match="Row 1 of counts is all zero"):
        soft_labels_from_counts([[1, 2], [0, 0]])
    with pytest.raises(ValueError, match="negative value in row 0"):
        soft_labels_from_counts([[1, -2], [0, 1]])
    with pytest.raises(ValueError, match="must be 2-D"):
        soft_labels_from_counts([1, 2])
    with pytest.raises(ValueError, match="NaN or infinity in row 0"):
        soft_labels_from_counts([[np.nan, 1.0]])


def test_counts_weighted_fit_is_the_multinomial_likelihood_of_votes():
    """Soft labels + weights from counts == hard labels, one row per vote."""
    rng = np.random.RandomState(1)
    X = rng.randn(40, 2)
    counts = rng.randint(0, 4, size=(40, 3))
    counts[counts.sum(axis=1) == 0, 0] = 1
    Y, w = soft_labels_from_counts(counts)
    soft = SoftLabelLogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X, Y, sample_weight=w)
    rows = np.repeat(np.arange(40), counts.sum(axis=1))
    labels = np.concatenate([np.repeat(np.arange(3), c) for c in counts])
    hard = SoftLabelLogisticRegression(solver="newton-cholesky", tol=1e-10).fit(X[rows], labels)
    np.testing.assert_allclose(soft.coef_, hard.coef_, rtol=1e-6, atol=1e-8)
