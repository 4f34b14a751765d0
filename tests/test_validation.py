"""The shared validation and reduction helpers in lossfns._validation."""
import re

import numpy as np
import pytest

from lossfns import _validation as v


def test_as_float_array_converts_lists_ints_and_bools_to_float64():
    assert v.as_float_array([1, 2], fn="f", name="x").dtype == np.float64
    assert v.as_float_array(np.array([True, False]), fn="f", name="x").tolist() == [1.0, 0.0]
    assert v.as_float_array(3, fn="f", name="x").shape == ()


def test_as_float_array_never_writes_into_the_callers_array():
    x = np.array([1.0, 2.0])
    out = v.as_float_array(x, fn="f", name="x")
    assert out is x or not np.shares_memory(out, x)  # float64 input may be returned as is ...
    assert out.base is None or out.base is not x  # ... but never as a view of another buffer


@pytest.mark.parametrize("bad", ["abc", b"abc", ["a", "b"], [object()], [1 + 2j], {"a": 1}])
def test_non_numeric_input_is_a_type_error_naming_function_and_argument(bad):
    with pytest.raises(TypeError, match=r"^lossname: y_pred "):
        v.as_float_array(bad, fn="lossname", name="y_pred")


def test_ragged_input_is_a_type_error():
    with pytest.raises(TypeError, match="y_true could not be read"):
        v.as_float_array([[1.0, 2.0], [3.0]], fn="f", name="y_true")


@pytest.mark.parametrize("bad", [[1.0, np.nan], [np.inf], [[0.0, -np.inf]]])
def test_nan_and_inf_are_value_errors(bad):
    with pytest.raises(ValueError, match=r"^f: y_true contains 1 NaN or infinite value\(s\)"):
        v.as_float_array(bad, fn="f", name="y_true")


def test_empty_input_is_a_value_error():
    with pytest.raises(ValueError, match="f: x is empty"):
        v.as_float_array([], fn="f", name="x")


def test_shape_mismatch_message_names_both_arguments_and_shapes():
    with pytest.raises(ValueError, match=r"^mse: y_pred has shape \(3, 2\) but y_true has shape \(3,\)$"):
        v.check_same_shape("mse", np.zeros(3), np.zeros((3, 2)), "y_true", "y_pred")


@pytest.mark.parametrize("bad", ["avg", "MEAN", None, 1])
def test_unknown_reduction_lists_the_allowed_ones(bad):
    with pytest.raises(ValueError, match="reduction must be one of 'mean', 'sum', 'none'"):
        v.check_reduction("f", bad)


def test_check_scalar_states_the_interval():
    assert v.check_scalar("huber", "delta", 2, low=0.0, low_open=True) == 2.0
    with pytest.raises(ValueError, match=r"^huber: delta must lie in \(0, inf\), got -1.0$"):
        v.check_scalar("huber", "delta", -1.0, low=0.0, low_open=True)
    with pytest.raises(ValueError, match=r"q must lie in \(0, 1\), got 1.0"):
        v.check_scalar("quantile", "q", 1.0, low=0.0, high=1.0, low_open=True, high_open=True)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        v.check_scalar("f", "p", float("nan"), low=0.0, high=1.0)
    with pytest.raises(TypeError, match="delta must be a real number, got str"):
        v.check_scalar("huber", "delta", "1", low=0.0)
    with pytest.raises(TypeError, match="got bool"):
        v.check_scalar("huber", "delta", True, low=0.0)


def test_reduce_and_reduce_grad():
    values = np.array([1.0, 2.0, 6.0])
    assert v.reduce(values, "mean") == 3.0 and isinstance(v.reduce(values, "mean"), np.float64)
    assert v.reduce(values, "sum") == 9.0 and isinstance(v.reduce(values, "sum"), np.float64)
    assert v.reduce(values, "none") is values
    np.testing.assert_array_equal(v.reduce_grad(values, "mean", 3), values / 3)
    np.testing.assert_array_equal(v.reduce_grad(values, "sum", 3), values)


def test_interval_writes_open_and_closed_bounds():
    assert v.interval(0.0, low_open=True) == "(0, inf)"
    assert v.interval(0.0, 1.0) == "[0, 1]"
    assert v.interval(None, 2.5, high_open=True) == "(-inf, 2.5)"
    assert v.interval(-np.inf) == "[-inf, inf)"


def test_check_scalar_admits_an_infinite_value_only_as_a_closed_bound():
    assert v.check_scalar("general_robust", "alpha", -np.inf, low=-np.inf) == -np.inf
    assert v.check_scalar("general_robust", "alpha", 1e300, low=-np.inf) == 1e300
    with pytest.raises(ValueError, match=r"^general_robust: alpha must lie in \[-inf, inf\), got inf$"):
        v.check_scalar("general_robust", "alpha", np.inf, low=-np.inf)
    with pytest.raises(ValueError, match=r"got nan$"):
        v.check_scalar("general_robust", "alpha", np.nan, low=-np.inf)
    for bad in (np.inf, -np.inf):  # unbounded sides still refuse infinities, as before
        with pytest.raises(ValueError, match=r"must lie in \(-inf, inf\)"):
            v.check_scalar("f", "x", bad)
        with pytest.raises(ValueError, match=r"^huber: delta must lie in \(0, inf\)"):
            v.check_scalar("huber", "delta", abs(bad), low=0.0, low_open=True)


def test_check_bool_accepts_only_true_and_false():
    assert v.check_bool("f", "full", True) is True
    assert v.check_bool("f", "full", np.bool_(False)) is False
    for bad in (1, 0, "True", None, 1.0):
        with pytest.raises(TypeError, match=rf"^f: full must be True or False, got {re.escape(repr(bad))}$"):
            v.check_bool("f", "full", bad)


def test_check_int_accepts_integers_and_states_the_range():
    assert v.check_int("gd", "steps", 3, low=0) == 3
    assert v.check_int("gd", "steps", np.int64(0), low=0) == 0
    with pytest.raises(ValueError, match=r"^gd: steps must be an integer in \[0, inf\), got -1$"):
        v.check_int("gd", "steps", -1, low=0)
    for bad in (2.0, "3", True, None):
        with pytest.raises(TypeError, match=r"^gd: steps must be an integer, got"):
            v.check_int("gd", "steps", bad, low=0)


def test_check_in_range_counts_the_offenders_and_shows_the_first():
    arr = np.array([[1.0, -2.0], [0.0, -3.0]])
    with pytest.raises(ValueError, match=r"^f: y_true must lie in \[0, inf\) \(counts\), got 2 value\(s\) outside it, "
                                         r"e.g. -2.0$"):
        v.check_in_range("f", "y_true", arr, low=0.0, why=" (counts)")
    assert v.check_in_range("f", "x", np.array([0.0, 1.0]), low=0.0) is not None
    with pytest.raises(ValueError, match=r"must lie in \(0, 1\), got 1 value\(s\) outside it, e.g. 1.0$"):
        v.check_in_range("f", "p", np.array([0.5, 1.0]), low=0.0, high=1.0, low_open=True, high_open=True)


def test_prepare_arrays_checks_every_array_against_the_first():
    y, m, s = v.prepare_arrays("g", "sum", {"y_true": [1, 2], "mean": [0.0, 0.0], "var": [1.0, 1.0]})
    assert y.dtype == m.dtype == s.dtype == np.float64
    with pytest.raises(ValueError, match=r"^g: var has shape \(3,\) but y_true has shape \(2,\)$"):
        v.prepare_arrays("g", "mean", {"y_true": [1, 2], "mean": [0.0, 0.0], "var": [1.0, 1.0, 1.0]})
    with pytest.raises(TypeError, match=r"^g: mean must be numeric"):
        v.prepare_arrays("g", "mean", {"y_true": [1, 2], "mean": ["a", "b"], "var": [1.0, 1.0]})
    with pytest.raises(ValueError, match=r"^g: reduction must be one of"):  # reduction is checked first
        v.prepare_arrays("g", "avg", {"y_true": "not numeric"})


# --- classification helpers ---------------------------------------------------


def test_check_rows_sum_to_one_states_the_tolerance_and_the_row():
    ok = np.array([[0.2, 0.8], [0.5, 0.5 + 9e-5]])
    assert v.check_rows_sum_to_one("f", "y_pred", ok) is ok
    with pytest.raises(ValueError, match=r"^f: each row of y_pred \(last axis\) must sum to 1 within 0.0001, "
                                         r"but row 1 sums to 0.9; 1 row\(s\) are off$"):
        v.check_rows_sum_to_one("f", "y_pred", np.array([[0.2, 0.8], [0.5, 0.4]]))
    with pytest.raises(ValueError, match=r"but row \(0, 1\) sums to 2; 1 row\(s\) are off$"):
        v.check_rows_sum_to_one("f", "p", np.array([[[0.5, 0.5], [1.0, 1.0]]]))
    with pytest.raises(ValueError, match=r"but the row sums to 0.5"):
        v.check_rows_sum_to_one("f", "p", np.array([0.25, 0.25]))
    with pytest.raises(ValueError, match=r"^f: p must lie in \[0, 1\] \(probabilities\), got 2 value\(s\) outside it"):
        v.check_rows_sum_to_one("f", "p", np.array([1.5, -0.5]))  # sums to 1, but these are no probabilities


def test_class_labels_accept_integer_valued_floats_only_in_range():
    np.testing.assert_array_equal(v.class_labels("f", "y_true", np.array([0.0, 2.0]), 3), [0, 2])
    assert v.class_labels("f", "y_true", np.array([1.0]), 3).dtype == np.int64
    with pytest.raises(ValueError, match=r"^f: y_true must hold integer class labels in \[0, 2\], "
                                         r"got the non-integer value 1.5$"):
        v.class_labels("f", "y_true", np.array([0.0, 1.5]), 3)
    with pytest.raises(ValueError, match=r"in \[0, 2\] \(k = 3 classes on the last axis of y_pred\), "
                                         r"got 2 label\(s\) outside it, e.g. 3.0$"):
        v.class_labels("f", "y_true", np.array([3.0, -1.0, 0.0]), 3)


def test_signed_labels_map_zero_one_and_keep_plus_minus_one():
    np.testing.assert_array_equal(v.signed_labels("f", "y", np.array([0.0, 1.0])), [-1.0, 1.0])
    np.testing.assert_array_equal(v.signed_labels("f", "y", np.array([-1.0, 1.0])), [-1.0, 1.0])
    np.testing.assert_array_equal(v.signed_labels("f", "y", np.array([1.0, 1.0])), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"^f: y must hold labels in \{-1, \+1\} or in \{0, 1\}, got 2.0$"):
        v.signed_labels("f", "y", np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match=r"got a mix of -1 and 0$"):
        v.signed_labels("f", "y", np.array([-1.0, 0.0, 1.0]))


def test_prepare_labels_and_rows_name_both_shapes():
    labels, p = v.prepare_labels("f", [0, 1], [[0.5, 0.5], [0.1, 0.9]], "mean")
    assert labels.dtype == np.int64 and p.shape == (2, 2)
    with pytest.raises(ValueError, match=r"^f: y_pred has shape \(2, 2\) but y_true has shape \(3,\); "
                                         r"y_pred must have shape y_true.shape \+ \(k,\)"):
        v.prepare_labels("f", [0, 1, 1], [[0.5, 0.5], [0.1, 0.9]], "mean")
    with pytest.raises(ValueError, match=r"^f: q has shape \(\) but p has shape \(\)"):
        v.prepare_labels("f", 0, 1.0, "mean", names=("p", "q"))
    with pytest.raises(ValueError, match=r"^f: q_pred must have a class axis"):
        v.prepare_rows("f", 0.5, 0.5, "mean", names=("p_true", "q_pred"))
    with pytest.raises(ValueError, match=r"^f: q_pred has shape \(1, 2\) but p_true has shape \(2, 2\)$"):
        v.prepare_rows("f", np.ones((2, 2)), np.ones((1, 2)), "mean", names=("p_true", "q_pred"))


def test_check_weights_takes_none_numbers_and_arrays_of_the_right_shape():
    assert v.check_weights("f", "w", None, (3,), low_open=True) == 1.0
    assert v.check_weights("f", "w", 2, (3,), low_open=True) == 2.0
    np.testing.assert_array_equal(v.check_weights("f", "w", [1, 2, 3], (4, 3), low_open=True), [1.0, 2.0, 3.0])
    assert v.check_weights("f", "w", [0.0, 1.0], (2,), low_open=False, exact=True).tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match=r"^f: w must lie in \(0, inf\), got 0.0$"):
        v.check_weights("f", "w", 0.0, (3,), low_open=True)
    with pytest.raises(ValueError, match=r"^f: w must lie in \[0, inf\), got 1 value\(s\) outside it, e.g. -1.0$"):
        v.check_weights("f", "w", [1.0, -1.0], (2,), low_open=False, exact=True)
    with pytest.raises(ValueError, match=r"w must be a number or an array of shape \(3,\), got shape \(1,\)$"):
        v.check_weights("f", "w", [1.0], (3,), low_open=False, exact=True)  # broadcasts, but not exact
    with pytest.raises(ValueError, match=r"w must be a number or an array of a shape that broadcasts to \(3,\), "
                                         r"got shape \(2,\)$"):
        v.check_weights("f", "w", [1.0, 2.0], (3,), low_open=True)
    with pytest.raises(ValueError, match=r"broadcasts to \(3,\), got shape \(2, 3\)$"):
        v.check_weights("f", "w", np.ones((2, 3)), (3,), low_open=True)  # would grow the loss' shape
    with pytest.raises(TypeError, match=r"^f: w must be a real number, got str$"):
        v.check_weights("f", "w", "2", (3,), low_open=True)
