"""lossfns.regression against PyTorch, Keras and hand computation, float64."""
import numpy as np
import pytest
from frameworks import keras_value_and_grad, torch_value_and_grad

import lossfns as lf
from lossfns.registry import records

torch = pytest.importorskip("torch")
F = torch.nn.functional

REGRESSION = [r for r in records() if r.family == "regression"]
TORCH_FN = {"mse": F.mse_loss, "mae": F.l1_loss}
KERAS_CLASS = {"mse": "MeanSquaredError", "mae": "MeanAbsoluteError"}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    y_true = rng.normal(size=(6, 5))
    return y_true, y_true + rng.normal(scale=2.0, size=(6, 5))


def test_hand_computed_values():
    # errors 1, -2, 3  ->  squares 1, 4, 9 ; absolutes 1, 2, 3
    y_true, y_pred = [0.0, 2.0, -1.0], [1.0, 0.0, 2.0]
    assert lf.mse(y_true, y_pred) == pytest.approx(14 / 3, rel=1e-15)
    assert lf.mse(y_true, y_pred, reduction="sum") == 14.0
    assert lf.mae(y_true, y_pred) == 2.0
    np.testing.assert_array_equal(lf.mse_grad(y_true, y_pred, reduction="sum"), [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(lf.mae_grad(y_true, y_pred, reduction="none"), [1.0, -1.0, 1.0])


@pytest.mark.parametrize("name", sorted(TORCH_FN))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_and_gradients_match_pytorch(name, reduction, data):
    y_true, y_pred = data
    record = lf.registry.get(name)
    p = torch.tensor(y_pred, requires_grad=True)
    out = TORCH_FN[name](p, torch.tensor(y_true), reduction=reduction)  # torch: prediction first
    out.backward(torch.ones_like(out))
    np.testing.assert_allclose(record.fn(y_true, y_pred, reduction=reduction), out.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(record.grad(y_true, y_pred, reduction=reduction), p.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize("record", REGRESSION, ids=[r.name for r in REGRESSION])
def test_registry_calls_match_pytorch_and_keras(record, data):
    y_true, y_pred = data
    for call, run in [(record.torch, torch_value_and_grad), (record.keras, keras_value_and_grad)]:
        if call is None:
            continue
        value, grad = run(call, y_true, y_pred)
        np.testing.assert_allclose(record.fn(y_true, y_pred), value, rtol=1e-12, err_msg=call)
        np.testing.assert_allclose(record.grad(y_true, y_pred), grad, rtol=1e-12, atol=1e-15, err_msg=call)


@pytest.mark.parametrize("name", sorted(KERAS_CLASS))
def test_keras_sum_and_none_average_over_the_last_axis_first(name, data):
    keras = pytest.importorskip("keras")
    y_true, y_pred = data
    per_element = lf.registry.get(name).fn(y_true, y_pred, reduction="none")
    k = y_true.shape[-1]
    cls = getattr(keras.losses, KERAS_CLASS[name])
    got_none = cls(reduction=None, dtype="float64")(y_true, y_pred)
    got_sum = cls(reduction="sum", dtype="float64")(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got_none), per_element.mean(axis=-1), rtol=1e-13)
    np.testing.assert_allclose(float(got_sum), per_element.sum() / k, rtol=1e-13)


def test_huge_errors_give_finite_values_and_gradients():
    y_true, y_pred = np.array([0.0, -1e150, 3.0]), np.array([1e150, 1e150, 3.0])
    assert lf.mse(y_true, y_pred) == pytest.approx((1e300 + 4e300) / 3, rel=1e-14)
    assert lf.mae(y_true, y_pred) == pytest.approx(3e150 / 3, rel=1e-15)
    for grad in (lf.mse_grad, lf.mae_grad):
        assert np.isfinite(grad(y_true, y_pred)).all()


def test_beyond_float64_range_the_square_is_honestly_infinite():
    # (1e155)^2 = 1e310 exceeds the largest float64 (~1.8e308): inf is the true rounding, not NaN.
    with np.errstate(over="ignore"):
        assert lf.mse([0.0], [1e155]) == np.inf


def test_mae_subgradient_at_zero_error_is_zero_like_pytorch():
    p = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    F.l1_loss(p, torch.tensor([1.0, 0.0], dtype=torch.float64), reduction="sum").backward()
    np.testing.assert_array_equal(lf.mae_grad([1.0, 0.0], [1.0, 2.0], reduction="sum"), p.grad.numpy())


def test_wrong_sign_gradient_is_caught_by_gradcheck():
    y = np.array([1.0, -2.0, 0.5])
    result = lf.gradcheck(lambda p: lf.mse(y, p), lambda p: -lf.mse_grad(y, p), np.zeros(3))
    assert not result
    assert "FAILED" in repr(result)
