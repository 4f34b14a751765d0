"""The lossfns API contract (DESIGN.md), checked for every loss in the registry.

New losses join these tests by registering a record; a record whose ``inputs``
kind has no generator below fails, so no loss can slip past the contract.
"""
import numpy as np
import pytest

import lossfns as lf
from lossfns.registry import records

REDUCTIONS = ("mean", "sum", "none")


def real_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Two real arrays of the same shape with no ties (so kinks are never hit)."""
    y_true = rng.normal(size=shape)
    y_pred = y_true + rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    return y_true, y_pred


INPUTS = {"real": real_inputs}
RECORDS = records()
WITH_GRAD = [r for r in RECORDS if r.grad is not None]


def make_inputs(record, seed=0):
    if record.inputs not in INPUTS:
        pytest.fail(f"no test-input generator for inputs kind {record.inputs!r} of loss {record.name!r}")
    return INPUTS[record.inputs](np.random.default_rng(seed))


def ids(recs):
    return [r.name for r in recs]


def test_registry_is_not_empty():
    assert {"mse", "mae"} <= set(lf.registry.names())


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_record_is_complete(record):
    assert record.family and record.task and record.formula and record.reference and record.chapter
    assert record.fn.__module__ == f"lossfns.{record.family}"
    assert record.fn.__doc__ and "Examples" in record.fn.__doc__
    if record.grad is not None:
        assert record.grad.__name__ == f"{record.name}_grad"
        assert record.grad.__module__ == record.fn.__module__


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_reductions_agree(record):
    y_true, y_pred = make_inputs(record)
    mean, total = record.fn(y_true, y_pred), record.fn(y_true, y_pred, reduction="sum")
    per_sample = record.fn(y_true, y_pred, reduction="none")
    assert isinstance(mean, np.float64) and isinstance(total, np.float64)
    assert isinstance(per_sample, np.ndarray)
    np.testing.assert_allclose(total, mean * per_sample.size, rtol=1e-13)
    np.testing.assert_allclose(per_sample.sum(), total, rtol=1e-13)


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_matches_finite_differences(record, reduction):
    y_true, y_pred = make_inputs(record, seed=1)
    result = lf.gradcheck(
        lambda p: record.fn(y_true, p, reduction=reduction),
        lambda p: record.grad(y_true, p, reduction=reduction),
        y_pred,
    )
    assert result, repr(result)


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
def test_gradient_of_none_is_each_elements_own_derivative(record):
    y_true, y_pred = make_inputs(record, seed=2)
    grad_none = record.grad(y_true, y_pred, reduction="none")
    assert grad_none.shape == np.shape(y_pred)
    numerical = lf.numerical_grad(lambda p: record.fn(y_true, p, reduction="sum"), y_pred)
    np.testing.assert_allclose(grad_none, numerical, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_inputs_are_never_modified_and_lists_and_float32_are_accepted(record):
    y_true, y_pred = make_inputs(record, seed=3)
    t, p = y_true.copy(), y_pred.copy()
    funcs = [record.fn] + ([record.grad] if record.grad else [])
    for f in funcs:
        for reduction in REDUCTIONS:
            expected = f(y_true, y_pred, reduction=reduction)
            np.testing.assert_array_equal(y_true, t)
            np.testing.assert_array_equal(y_pred, p)
            np.testing.assert_allclose(f(y_true.tolist(), y_pred.tolist(), reduction=reduction), expected)
            got32 = f(y_true.astype(np.float32), y_pred.astype(np.float32), reduction=reduction)
            assert np.asarray(got32).dtype == np.float64
            np.testing.assert_allclose(got32, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_bad_input_raises_clear_errors(record):
    y_true, y_pred = make_inputs(record, seed=4)
    for f in [record.fn] + ([record.grad] if record.grad else []):
        name = f.__name__
        with pytest.raises(ValueError, match=rf"^{name}: y_pred has shape \(4, 2\) but y_true has shape \(4, 3\)"):
            f(y_true, y_pred[:, :2])
        bad = y_pred.copy()
        bad[0, 0] = np.nan
        with pytest.raises(ValueError, match=rf"^{name}: y_pred contains 1 NaN or infinite"):
            f(y_true, bad)
        with pytest.raises(ValueError, match=rf"^{name}: y_true contains 1 NaN or infinite"):
            f(np.where(y_true == y_true[0, 0], np.inf, y_true), y_pred)
        with pytest.raises(TypeError, match=rf"^{name}: y_true must be numeric"):
            f("not an array", y_pred)
        with pytest.raises(TypeError, match=rf"^{name}: y_pred must be numeric"):
            f(y_true, np.full(y_true.shape, "x"))
        with pytest.raises(ValueError, match=rf"^{name}: reduction must be one of"):
            f(y_true, y_pred, reduction="average")
        with pytest.raises(ValueError, match=rf"^{name}: y_true is empty"):
            f([], [])
