"""lossfns.regression against PyTorch, Keras, mpmath and hand computation, float64."""
import mpmath as mp
import numpy as np
import pytest
from frameworks import keras_value_and_grads, positional_names, torch_value_and_grads

import lossfns as lf
from lossfns.registry import records

torch = pytest.importorskip("torch")
F = torch.nn.functional

REGRESSION = [r for r in records() if r.family == "regression"]
LOG2 = float(mp.log(2))
DIGITS = 50  # mpmath working precision of every reference value below
RAISE = {"over": "raise", "invalid": "raise", "divide": "raise"}  # underflow to 0 is fine


def mp_log_cosh(r) -> float:
    with mp.workdps(DIGITS):
        return float(mp.log(mp.cosh(mp.mpf(float(r)))))


def mp_tanh(r) -> float:
    with mp.workdps(DIGITS):
        return float(mp.tanh(mp.mpf(float(r))))

# (our loss, our keyword arguments, the torch call with the prediction first)
TORCH_CASES = {
    "mse": ("mse", {}, lambda p, t, **kw: F.mse_loss(p, t, **kw)),
    "mae": ("mae", {}, lambda p, t, **kw: F.l1_loss(p, t, **kw)),
    "huber": ("huber", {}, lambda p, t, **kw: F.huber_loss(p, t, **kw)),
    "huber-delta-0.3": ("huber", {"delta": 0.3}, lambda p, t, **kw: F.huber_loss(p, t, delta=0.3, **kw)),
    "huber-delta-2.5": ("huber", {"delta": 2.5}, lambda p, t, **kw: F.huber_loss(p, t, delta=2.5, **kw)),
}
POISSON_CASES = [(log_input, full) for log_input in (False, True) for full in (False, True)]

# Where a framework's registry call differs from our defaults on purpose (stated in the docstrings):
# Keras Poisson adds backend.epsilon() = 1e-7 to the rate (we follow torch, eps=1e-8) ...
KERAS_KWARGS = {"poisson_nll": {"eps": 1e-7}}
# ... and Keras LogCosh subtracts log 2 rounded to float32, a constant 1.9e-9 more than log 2.
KERAS_SHIFT = {"log_cosh": float(np.float32(np.log(2.0))) - LOG2}
KERAS_CLASS = {
    "mse": "MeanSquaredError", "mae": "MeanAbsoluteError", "huber": "Huber", "log_cosh": "LogCosh",
    "poisson_nll": "Poisson", "msle": "MeanSquaredLogarithmicError",
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(42)
    y_true = rng.normal(size=(6, 5))
    return y_true, y_true + rng.normal(scale=2.0, size=(6, 5))


@pytest.fixture(scope="module")
def counts():
    """Counts with zeros, ones and larger values (all three Stirling branches), and positive rates."""
    rng = np.random.default_rng(7)
    y_true = rng.poisson(2.5, size=(6, 5)).astype(float)
    y_true[0, :3] = [0.0, 1.0, 7.0]
    return y_true, rng.uniform(0.2, 6.0, size=(6, 5))


def inputs_for(record, data, counts):
    if record.inputs == "log1p_real":  # the MSLE's domain, above Keras' clip at 1e-7
        return tuple(np.expm1(np.abs(a) + 0.01) for a in data)
    return counts if record.inputs == "counts" else data


def test_hand_computed_values():
    # errors 1, -2, 3  ->  squares 1, 4, 9 ; absolutes 1, 2, 3
    y_true, y_pred = [0.0, 2.0, -1.0], [1.0, 0.0, 2.0]
    assert lf.mse(y_true, y_pred) == pytest.approx(14 / 3, rel=1e-15)
    assert lf.mse(y_true, y_pred, reduction="sum") == 14.0
    assert lf.mae(y_true, y_pred) == 2.0
    np.testing.assert_array_equal(lf.mse_grad(y_true, y_pred, reduction="sum"), [2.0, -4.0, 6.0])
    np.testing.assert_array_equal(lf.mae_grad(y_true, y_pred, reduction="none"), [1.0, -1.0, 1.0])


def test_hand_computed_values_of_the_robust_losses():
    y_true, y_pred = [0.0, 0.0, 0.0], [0.5, -2.0, 3.0]  # errors 0.5, -2, 3
    # huber, delta = 1: 0.5 * 0.25 ; 1 * (2 - 0.5) ; 1 * (3 - 0.5)
    np.testing.assert_allclose(lf.huber(y_true, y_pred, reduction="none"), [0.125, 1.5, 2.5], rtol=1e-15)
    np.testing.assert_array_equal(lf.huber_grad(y_true, y_pred, reduction="none"), [0.5, -1.0, 1.0])
    # quantile, q = 0.8, on y - y_hat = -0.5, 2, -3: over-predictions cost 0.2, under-predictions 0.8
    np.testing.assert_allclose(lf.quantile(y_true, y_pred, q=0.8, reduction="none"), [0.1, 1.6, 0.6], rtol=1e-15)
    np.testing.assert_allclose(lf.quantile_grad(y_true, y_pred, q=0.8, reduction="none"), [0.2, -0.8, 0.2])
    # tukey, c = 2: u = r^2/c^2 = 1/16 -> c^2/6 (1 - (15/16)^3) ; |r| >= c -> c^2/6 = 2/3
    expected = [4 / 6 * (1 - (15 / 16) ** 3), 2 / 3, 2 / 3]
    np.testing.assert_allclose(lf.tukey(y_true, y_pred, c=2.0, reduction="none"), expected, rtol=1e-15)
    np.testing.assert_allclose(lf.tukey_grad(y_true, y_pred, c=2.0, reduction="none"), [0.5 * (15 / 16) ** 2, 0, 0])
    # log cosh 0.5, cosh(2), cosh(3) from their exponentials
    expected = [np.log((np.exp(r) + np.exp(-r)) / 2) for r in (0.5, -2.0, 3.0)]
    np.testing.assert_allclose(lf.log_cosh(y_true, y_pred, reduction="none"), expected, rtol=1e-15)
    # general_robust alpha = 1, c = 1: sqrt(r^2 + 1) - 1
    expected = [np.sqrt(1.25) - 1, np.sqrt(5) - 1, np.sqrt(10) - 1]
    np.testing.assert_allclose(lf.general_robust(y_true, y_pred, reduction="none"), expected, rtol=1e-15)


def test_hand_computed_poisson_values():
    # rate 2 for a count of 5: 2 - 5 log 2 ; full adds 5 log 5 - 5 + log(2 pi 5) / 2
    base = 2.0 - 5.0 * np.log(2.0)
    assert lf.poisson_nll([5.0], [2.0], eps=0.0) == pytest.approx(base, rel=1e-15)
    stirling = 5 * np.log(5.0) - 5 + 0.5 * np.log(10 * np.pi)
    assert lf.poisson_nll([5.0], [2.0], eps=0.0, full=True) == pytest.approx(base + stirling, rel=1e-15)
    # counts of 0 and 1 get no Stirling term (PyTorch's convention)
    np.testing.assert_allclose(lf.poisson_nll([0.0, 1.0], [2.0, 2.0], eps=0.0, full=True, reduction="none"),
                               [2.0, 2.0 - np.log(2.0)], rtol=1e-15)
    # log-rates: exp(log 2) - 5 log 2 is the same loss
    assert lf.poisson_nll([5.0], [np.log(2.0)], log_input=True) == pytest.approx(base, rel=1e-14)


@pytest.mark.parametrize("case", sorted(TORCH_CASES))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_and_gradients_match_pytorch(case, reduction, data):
    y_true, y_pred = data
    name, kwargs, torch_fn = TORCH_CASES[case]
    record = lf.registry.get(name)
    p = torch.tensor(y_pred, requires_grad=True)
    out = torch_fn(p, torch.tensor(y_true), reduction=reduction)  # torch: prediction first
    out.backward(torch.ones_like(out))
    got = record.fn(y_true, y_pred, reduction=reduction, **kwargs)
    np.testing.assert_allclose(got, out.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(record.grad(y_true, y_pred, reduction=reduction, **kwargs), p.grad.numpy(), rtol=1e-14)


@pytest.mark.parametrize(("log_input", "full"), POISSON_CASES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_poisson_nll_matches_pytorch(log_input, full, reduction, counts):
    y_true, rates = counts
    y_pred = np.log(rates) - 0.3 if log_input else rates
    p = torch.tensor(y_pred, requires_grad=True)
    out = F.poisson_nll_loss(p, torch.tensor(y_true), log_input=log_input, full=full, reduction=reduction)
    out.backward(torch.ones_like(out))
    kwargs = {"log_input": log_input, "full": full, "reduction": reduction}
    np.testing.assert_allclose(lf.poisson_nll(y_true, y_pred, **kwargs), out.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(lf.poisson_nll_grad(y_true, y_pred, **kwargs), p.grad.numpy(), rtol=1e-13, atol=1e-16)


def test_poisson_nll_with_eps_matches_pytorch_for_rates_near_zero():
    y_true, y_pred = np.array([0.0, 3.0, 2.0]), np.array([0.0, 1e-9, 0.5])
    p = torch.tensor(y_pred, requires_grad=True)
    out = F.poisson_nll_loss(p, torch.tensor(y_true), log_input=False, eps=1e-3, reduction="sum")
    out.backward()
    np.testing.assert_allclose(lf.poisson_nll(y_true, y_pred, eps=1e-3, reduction="sum"), out.item(), rtol=1e-14)
    np.testing.assert_allclose(lf.poisson_nll_grad(y_true, y_pred, eps=1e-3, reduction="sum"), p.grad.numpy())


def test_poisson_nll_zero_count_at_zero_rate_is_zero_where_pytorch_gives_nan():
    out = F.poisson_nll_loss(torch.tensor([0.0]), torch.tensor([0.0]), log_input=False, eps=0.0)
    assert torch.isnan(out)  # torch: 0 * log(0)
    assert lf.poisson_nll([0.0], [0.0], eps=0.0) == 0.0  # P(0 | rate 0) = 1
    assert lf.poisson_nll_grad([0.0], [0.0], eps=0.0) == pytest.approx(1.0)
    with np.errstate(all="raise"):  # a positive count at rate 0 is impossible: honestly inf, no warning
        assert lf.poisson_nll([2.0], [0.0], eps=0.0) == np.inf


def test_poisson_nll_log_input_accepts_negative_log_rates_but_not_negative_rates():
    assert np.isfinite(lf.poisson_nll([1.0, 0.0], [-3.0, -50.0], log_input=True))
    with pytest.raises(ValueError, match=r"^poisson_nll: y_pred must lie in \[0, inf\) \(rates; pass log_input=True"):
        lf.poisson_nll([1.0, 0.0], [-3.0, 1.0])
    with pytest.raises(ValueError, match=r"^poisson_nll_grad: y_true must lie in \[0, inf\) \(counts\), got 2 value"):
        lf.poisson_nll_grad([-1.0, -2.0], [1.0, 1.0], log_input=True)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_huber_is_delta_times_smooth_l1_with_beta_delta(delta, reduction, data):
    y_true, y_pred = data
    p = torch.tensor(y_pred, requires_grad=True)
    out = delta * F.smooth_l1_loss(p, torch.tensor(y_true), beta=delta, reduction=reduction)
    out.backward(torch.ones_like(out))
    np.testing.assert_allclose(lf.huber(y_true, y_pred, delta=delta, reduction=reduction), out.detach(), rtol=1e-14)
    np.testing.assert_allclose(lf.huber_grad(y_true, y_pred, delta=delta, reduction=reduction), p.grad, rtol=1e-14)
    if delta != 1.0:  # the plain smooth-L1 value is a different loss
        plain = F.smooth_l1_loss(torch.tensor(y_pred), torch.tensor(y_true), beta=delta).item()
        assert abs(lf.huber(y_true, y_pred, delta=delta) - plain) > 1e-3


@pytest.mark.parametrize("record", REGRESSION, ids=[r.name for r in REGRESSION])
def test_registry_calls_match_pytorch_and_keras(record, data, counts):
    args = inputs_for(record, data, counts)
    inputs = dict(zip(positional_names(record.fn), args, strict=True))
    for framework, call, run in [("torch", record.torch, torch_value_and_grads),
                                 ("keras", record.keras, keras_value_and_grads)]:
        if call is None:
            continue
        kwargs = KERAS_KWARGS.get(record.name, {}) if framework == "keras" else {}
        shift = KERAS_SHIFT.get(record.name, 0.0) if framework == "keras" else 0.0
        value, (grad,) = run(call, inputs, ("y_pred",))
        np.testing.assert_allclose(record.fn(*args, **kwargs) - shift, value, rtol=1e-12, err_msg=call)
        np.testing.assert_allclose(record.grad(*args, **kwargs), grad, rtol=1e-12, atol=1e-15, err_msg=call)


@pytest.mark.parametrize("name", sorted(KERAS_CLASS))
def test_keras_sum_and_none_average_over_the_last_axis_first(name, data, counts):
    keras = pytest.importorskip("keras")
    record = lf.registry.get(name)
    y_true, y_pred = inputs_for(record, data, counts)
    per_element = record.fn(y_true, y_pred, reduction="none", **KERAS_KWARGS.get(name, {}))
    per_element = per_element - KERAS_SHIFT.get(name, 0.0)
    k = y_true.shape[-1]
    cls = getattr(keras.losses, KERAS_CLASS[name])
    got_none = cls(reduction=None, dtype="float64")(y_true, y_pred)
    got_sum = cls(reduction="sum", dtype="float64")(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got_none), per_element.mean(axis=-1), rtol=1e-13)
    np.testing.assert_allclose(float(got_sum), per_element.sum() / k, rtol=1e-13)


@pytest.mark.parametrize("delta", [0.3, 2.5])
def test_keras_huber_with_another_delta(delta, data):
    keras = pytest.importorskip("keras")
    y_true, y_pred = data
    got = keras.losses.Huber(delta=delta, dtype="float64")(y_true, y_pred)
    np.testing.assert_allclose(float(got), lf.huber(y_true, y_pred, delta=delta), rtol=1e-13)


def test_keras_poisson_is_ours_with_eps_1e7_not_1e8(counts):
    keras = pytest.importorskip("keras")
    y_true, y_pred = counts
    y_pred = y_pred * 1e-6  # tiny rates make the two eps visibly different
    got = float(keras.losses.Poisson(dtype="float64")(y_true, y_pred))
    np.testing.assert_allclose(got, lf.poisson_nll(y_true, y_pred, eps=1e-7), rtol=1e-12)
    assert abs(got - lf.poisson_nll(y_true, y_pred)) > 1e-2


def test_keras_log_cosh_in_float64_is_off_by_log2_rounded_to_float32():
    keras = pytest.importorskip("keras")
    errors = np.array([[1e-8, 1e-3, 0.5, -20.0, 1e150, -1e150]])
    got = np.asarray(keras.losses.LogCosh(reduction=None, dtype="float64")(np.zeros((6, 1)), errors.T))
    reference = np.array([mp_log_cosh(r) for r in errors[0]])
    shift = float(np.float32(np.log(2.0))) - LOG2
    assert shift == pytest.approx(1.9046543e-9, rel=1e-7)
    np.testing.assert_allclose(got, reference - shift, rtol=1e-15, atol=4e-16)  # Keras' own rounding: ~1 ulp of log 2
    assert got[0] < 0  # a negative loss for an error of 1e-8 (true value 5e-17)
    np.testing.assert_allclose(lf.log_cosh(np.zeros(6), errors[0], reduction="none"), reference, rtol=1e-15)


def test_keras_log_cosh_overflows_for_errors_below_minus_9e307_where_ours_is_finite():
    keras = pytest.importorskip("keras")
    errors = np.array([[1e308], [-1e308]])
    got = np.asarray(keras.losses.LogCosh(reduction=None, dtype="float64")(np.zeros((2, 1)), errors))
    assert got[0] == 1e308 and got[1] == np.inf  # -2 * (-1e308) overflows inside softplus
    np.testing.assert_array_equal(lf.log_cosh([0.0, 0.0], errors[:, 0], reduction="none"), [1e308, 1e308])


def test_log_cosh_is_exact_against_mpmath_from_tiny_to_huge_errors():
    errors = np.array([0.0, 1e-300, 1e-8, 1e-3, 0.3, 0.999, 1.0, 1.001, 3.0, 20.0, 355.0, 710.0, 1e5, 1e150, 1e308])
    errors = np.concatenate([errors, -errors])
    reference = [mp_log_cosh(r) for r in errors]
    with np.errstate(**RAISE):
        got = lf.log_cosh(np.zeros_like(errors), errors, reduction="none")
        grad = lf.log_cosh_grad(np.zeros_like(errors), errors, reduction="none")
    np.testing.assert_allclose(got, reference, rtol=4e-16, atol=0)  # 2 ulp
    np.testing.assert_allclose(grad, [mp_tanh(r) for r in errors], rtol=2e-16)


def test_log_cosh_of_large_errors_is_abs_minus_log2_exactly():
    errors = np.array([40.0, -55.5, 1e3, 1e150, -1e150, 1e300])
    got = lf.log_cosh(np.zeros_like(errors), errors, reduction="none")
    np.testing.assert_array_equal(got, np.abs(errors) - np.log(2.0))
    assert lf.log_cosh([0.0], [1e150]) == 1e150 - np.log(2.0) == 1e150


def test_huge_errors_give_finite_values_and_gradients():
    y_true, y_pred = np.array([0.0, -1e150, 3.0]), np.array([1e150, 1e150, 3.0])
    assert lf.mse(y_true, y_pred) == pytest.approx((1e300 + 4e300) / 3, rel=1e-14)
    assert lf.mae(y_true, y_pred) == pytest.approx(3e150 / 3, rel=1e-15)
    for grad in (lf.mse_grad, lf.mae_grad):
        assert np.isfinite(grad(y_true, y_pred)).all()


def test_huge_errors_give_the_true_finite_values_for_the_robust_losses():
    y_true, y_pred = np.zeros(3), np.array([1e150, -1e150, 1e300])
    abs_r = np.abs(y_pred)
    with np.errstate(**RAISE):  # no overflow anywhere, not even in a branch that is thrown away
        np.testing.assert_array_equal(lf.huber(y_true, y_pred, reduction="none"), abs_r - 0.5)
        np.testing.assert_array_equal(lf.huber(y_true, y_pred, delta=1e-3, reduction="none"), 1e-3 * abs_r)
        np.testing.assert_array_equal(lf.huber_grad(y_true, y_pred, reduction="none"), [1.0, -1.0, 1.0])
        np.testing.assert_array_equal(lf.log_cosh(y_true, y_pred, reduction="none"), abs_r)
        np.testing.assert_array_equal(lf.quantile(y_true, y_pred, q=0.25, reduction="none"), 0.75 * abs_r * [1, 0, 1]
                                      + 0.25 * abs_r * [0, 1, 0])
        np.testing.assert_array_equal(lf.quantile_grad(y_true, y_pred, q=0.25, reduction="none"), [0.75, -0.25, 0.75])
        np.testing.assert_array_equal(lf.tukey(y_true, y_pred, reduction="none"), np.full(3, 4.685**2 / 6))
        np.testing.assert_array_equal(lf.tukey_grad(y_true, y_pred, reduction="none"), np.zeros(3))
        np.testing.assert_allclose(lf.general_robust(y_true, y_pred, reduction="none"), abs_r, rtol=1e-15)
        np.testing.assert_allclose(lf.general_robust_grad(y_true, y_pred, reduction="none"), [1.0, -1.0, 1.0])


def test_torch_huber_at_huge_errors_agrees_with_ours():
    p = torch.tensor([1e150, -1e150, 1e300], dtype=torch.float64, requires_grad=True)
    out = F.huber_loss(p, torch.zeros(3, dtype=torch.float64), reduction="none", delta=1e-3)
    out.sum().backward()
    y_pred = p.detach().numpy()
    np.testing.assert_array_equal(lf.huber(np.zeros(3), y_pred, delta=1e-3, reduction="none"), out.detach().numpy())
    np.testing.assert_array_equal(lf.huber_grad(np.zeros(3), y_pred, delta=1e-3, reduction="none"), p.grad.numpy())


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


# --- mathematical properties ---------------------------------------------------------------------------------


def test_huber_is_half_the_squared_error_for_small_errors_and_delta_abs_for_large_ones():
    small = np.array([1e-3, -0.2, 0.7])
    np.testing.assert_allclose(lf.huber(np.zeros(3), small, reduction="none"), small**2 / 2, rtol=1e-15)
    assert lf.huber(np.zeros(3), small) == pytest.approx(lf.mse(np.zeros(3), small) / 2, rel=1e-15)
    large = np.array([1e4, -1e6, 1e9])
    got = lf.huber(np.zeros(3), large, delta=2.0, reduction="none")
    np.testing.assert_allclose(got, 2.0 * (np.abs(large) - 1.0), rtol=1e-15)  # delta (|r| - delta/2)
    np.testing.assert_allclose(got / (2.0 * np.abs(large)), 1.0, rtol=1e-4)  # -> delta |r|


def test_quantile_at_one_half_is_half_the_absolute_error(data):
    y_true, y_pred = data
    assert lf.quantile(y_true, y_pred) == pytest.approx(lf.mae(y_true, y_pred) / 2, rel=1e-15)
    y_pred = y_pred.copy()
    y_pred[0, 0] = y_true[0, 0]  # the kink: both subgradients are 0 there
    np.testing.assert_array_equal(lf.quantile_grad(y_true, y_pred), lf.mae_grad(y_true, y_pred) / 2)


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_the_constant_minimising_the_quantile_loss_is_the_q_quantile(q):
    y = np.random.default_rng(0).normal(size=101)
    candidates = np.sort(y)
    losses = [lf.quantile(y, np.full_like(y, m), q=q) for m in candidates]
    assert candidates[np.argmin(losses)] == np.quantile(y, q, method="inverted_cdf")


def test_tukey_is_constant_beyond_c_and_its_gradient_redescends_to_zero():
    c = 3.0
    beyond = np.array([3.0, 3.5, -10.0, 1e6])
    np.testing.assert_array_equal(lf.tukey(np.zeros(4), beyond, c=c, reduction="none"), np.full(4, c * c / 6))
    np.testing.assert_array_equal(lf.tukey_grad(np.zeros(4), beyond, c=c, reduction="none"), np.zeros(4))
    r = np.linspace(0.0, c, 3001)
    grad = lf.tukey_grad(np.zeros_like(r), r, c=c, reduction="none")
    assert r[np.argmax(grad)] == pytest.approx(c / np.sqrt(5), abs=1e-3)  # psi peaks at c / sqrt(5)
    # small errors: (c^2/6)(1 - (1 - u)^3) ~ r^2/2 without cancellation
    tiny = np.array([1e-9, 1e-5])
    np.testing.assert_allclose(lf.tukey(np.zeros(2), tiny, c=c, reduction="none"), tiny**2 / 2, rtol=1e-9)


@pytest.mark.parametrize(("name", "kwargs"), [
    ("huber", {"delta": 0.3}), ("huber", {"delta": 4.0}), ("quantile", {"q": 0.1}), ("quantile", {"q": 0.93}),
    ("tukey", {"c": 1.5}), ("tukey", {"c": 10.0}), ("log_cosh", {}),
    ("general_robust", {"alpha": -np.inf}), ("general_robust", {"alpha": -2.0, "scale": 0.7}),
    ("general_robust", {"alpha": 0.0}), ("general_robust", {"alpha": 1e-8}), ("general_robust", {"alpha": 0.5}),
    ("general_robust", {"alpha": 2.0 - 1e-8}), ("general_robust", {"alpha": 2.0, "scale": 1.7}),
    ("general_robust", {"alpha": 3.5, "scale": 2.0}),
])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradients_match_finite_differences_for_other_parameters(name, kwargs, reduction, data):
    y_true, y_pred = data
    record = lf.registry.get(name)
    result = lf.gradcheck(lambda p: record.fn(y_true, p, reduction=reduction, **kwargs),
                          lambda p: record.grad(y_true, p, reduction=reduction, **kwargs), y_pred)
    assert result, repr(result)


@pytest.mark.parametrize(("log_input", "full", "eps"), [(True, True, 1e-8), (False, True, 0.0), (False, False, 0.5)])
def test_poisson_nll_gradient_matches_finite_differences(log_input, full, eps, counts):
    y_true, rates = counts
    y_pred = np.log(rates) if log_input else rates
    kw = {"log_input": log_input, "full": full, "eps": eps}
    result = lf.gradcheck(lambda p: lf.poisson_nll(y_true, p, **kw), lambda p: lf.poisson_nll_grad(y_true, p, **kw),
                          y_pred)
    assert result, repr(result)


# --- general_robust: special cases, limits and mpmath ---------------------------------------------------------

def _rho(x, alpha, c):
    """Barron's rho straight from the formula (limits in closed form), at mpmath's current precision."""
    x, c = mp.mpf(x), mp.mpf(float(c))
    z = (x / c) ** 2
    if alpha == -np.inf:
        return 1 - mp.exp(-z / 2)
    a = mp.mpf(float(alpha))
    if a == 2:
        return z / 2
    if a == 0:
        return mp.log(z / 2 + 1)
    b = abs(a - 2)
    return b / a * ((z / b + 1) ** (a / 2) - 1)


def rho_mpmath(x, alpha, c=1.0):
    """rho at 50 digits, an mpf."""
    with mp.workdps(DIGITS):
        return +_rho(float(x), alpha, c)


def drho_mpmath(x, alpha, c=1.0) -> float:
    """Its derivative in x by mpmath's numerical differentiation at 50 digits (not our formula)."""
    with mp.workdps(DIGITS):
        return float(mp.diff(lambda t: _rho(t, alpha, c), mp.mpf(float(x))))


ERRORS = np.array([0.0, 1e-6, -0.3, 1.0, 2.5, -30.0, 1e3])
ALPHAS = [-np.inf, -1e6, -2.0, -0.5, -1e-8, 0.0, 1e-8, 0.5, 1.0, 1.5, 2.0 - 1e-8, 2.0, 2.0 + 1e-8, 3.0, 10.0]


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("scale", [1.0, 0.3])
def test_general_robust_matches_mpmath(alpha, scale):
    y_true = np.full_like(ERRORS, 0.25)
    y_pred = y_true + ERRORS
    r = y_pred - y_true  # the residual exactly as lossfns sees it
    got = lf.general_robust(y_true, y_pred, alpha=alpha, scale=scale, reduction="none")
    reference = np.array([float(rho_mpmath(float(x), alpha, scale)) for x in r])
    np.testing.assert_allclose(got, reference, rtol=4e-16 * 8, atol=0)
    grad = lf.general_robust_grad(y_true, y_pred, alpha=alpha, scale=scale, reduction="none")
    grad_reference = [drho_mpmath(x, alpha, scale) for x in r]
    np.testing.assert_allclose(grad, grad_reference, rtol=4e-15, atol=1e-30)


def test_general_robust_special_cases_are_the_named_losses():
    x = np.array([0.0, 0.2, -1.0, 3.0, 40.0])
    c = 1.5
    z = (x / c) ** 2
    cases = {
        2.0: z / 2,                               # L2
        1.0: z / (np.sqrt(z + 1) + 1),            # Charbonnier / pseudo-Huber, sqrt(z + 1) - 1 without cancellation
        0.0: np.log1p(z / 2),                     # Cauchy / Lorentzian
        -2.0: 2 * z / (z + 4),                    # Geman-McClure
        -np.inf: -np.expm1(-z / 2),               # Welsch / Leclerc
    }
    for alpha, expected in cases.items():
        got = lf.general_robust(np.zeros_like(x), x, alpha=alpha, scale=c, reduction="none")
        np.testing.assert_allclose(got, expected, rtol=1e-15, err_msg=f"alpha={alpha}")


@pytest.mark.parametrize(("alpha", "limit"), [(1e-8, 0.0), (-1e-8, 0.0), (2.0 - 1e-8, 2.0), (2.0 + 1e-8, 2.0),
                                               (-1e8, -np.inf)])
def test_general_robust_is_continuous_at_its_limits(alpha, limit):
    x = np.array([0.1, 1.0, 3.0])
    near = lf.general_robust(np.zeros(3), x, alpha=alpha, reduction="none")
    at = lf.general_robust(np.zeros(3), x, alpha=limit, reduction="none")
    np.testing.assert_allclose(near, at, rtol=3e-7)
    assert not np.array_equal(near, at)  # ... yet computed from the formula, not snapped to the limit


def test_the_naive_formula_loses_precision_near_alpha_zero_where_ours_does_not():
    x, alpha = 0.3, 1e-8
    reference = float(rho_mpmath(x, alpha))
    b = abs(alpha - 2)
    naive = b / alpha * ((x**2 / b + 1) ** (alpha / 2) - 1)
    assert abs((naive - reference) / reference) > 1e-8  # cancellation in (1 + ...)^(5e-9) - 1
    assert abs((lf.general_robust([0.0], [x], alpha=alpha) - reference) / reference) < 1e-15


@pytest.mark.parametrize("alpha", [-np.inf, -2.0, 0.0, 1e-8, 1.0, 2.0 - 1e-8, 2.0, 2.0 + 1e-8])
@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_general_robust_at_huge_errors_is_finite_where_the_true_value_is(alpha, scale):
    x = np.array([1e150, -1e150, 1e300])
    with np.errstate(**RAISE):
        got = lf.general_robust(np.zeros(3), x, alpha=alpha, scale=scale, reduction="none")
        grad = lf.general_robust_grad(np.zeros(3), x, alpha=alpha, scale=scale, reduction="none")
    reference = [rho_mpmath(float(v), alpha, scale) for v in x]
    for value, ref in zip(got, reference, strict=True):
        if ref < 1.7e308:
            assert value == pytest.approx(float(ref), rel=1e-15)
        else:
            assert value == np.inf  # honestly too large for float64, never NaN
    assert not np.isnan(grad).any()
    assert np.sign(grad).tolist() == [1.0, -1.0, 1.0] or alpha < 0 or alpha == -np.inf


def test_general_robust_rejects_plus_infinity_but_accepts_minus_infinity():
    assert lf.general_robust([0.0], [100.0], alpha=-np.inf) == 1.0
    with pytest.raises(ValueError, match=r"^general_robust: alpha must lie in \[-inf, inf\), got inf$"):
        lf.general_robust([0.0], [1.0], alpha=np.inf)


def _mp_rho_and_slope(x, alpha, c):
    """rho and d rho/dx at 60 digits, in the expm1/log1p form that mpmath evaluates without cancellation."""
    with mp.workdps(60):
        x, c = mp.mpf(float(x)), mp.mpf(float(c))
        z = (x / c) ** 2
        if alpha == -np.inf:
            return -mp.expm1(-z / 2), x / c**2 * mp.exp(-z / 2)
        a = mp.mpf(float(alpha))
        if a == 2:
            return z / 2, x / c**2
        b = abs(a - 2)
        value = mp.log1p(z / 2) if a == 0 else b / a * mp.expm1(a / 2 * mp.log1p(z / b))
        return value, x / c**2 * mp.exp((a / 2 - 1) * mp.log1p(z / b))


@pytest.mark.parametrize("alpha", [-np.inf, -1e300, -1e6, -2.0, -1e-25, 0.0, 1e-40, 1e-25, 1e-3, 1.0, 1.9,
                                   2.0 - 1e-12, 2.0, 2.0 + 1e-25, 2.5, 50.0])
def test_general_robust_across_the_whole_float64_range(alpha):
    """Errors from 1e-320 to 1.7e308 and scales from 1e-200 to 1e200: never NaN, inf only when the truth is."""
    rng = np.random.default_rng(abs(hash(alpha)) % 2**32)
    for c in (1e-200, 1e-8, 0.3, 1.0, 1e8, 1e200):
        x = np.concatenate([10.0 ** rng.uniform(-320, 308, size=12), [0.0, 5e-324, 1.7e308]])
        x = x * rng.choice([-1.0, 1.0], size=x.size)
        with np.errstate(**RAISE):
            got = lf.general_robust(np.zeros_like(x), x, alpha=alpha, scale=c, reduction="none")
            grad = lf.general_robust_grad(np.zeros_like(x), x, alpha=alpha, scale=c, reduction="none")
        for xi, value, slope in zip(x, got, grad, strict=True):
            ref_value, ref_slope = _mp_rho_and_slope(xi, alpha, c)
            for ours, ref in ((value, ref_value), (slope, ref_slope)):
                where = f"alpha={alpha}, c={c}, x={xi!r}: got {ours!r}, mpmath {float(ref)!r}"
                if abs(ref) > mp.mpf("1.7976931348623157e308"):
                    assert ours == np.sign(float(ref)) * np.inf, where
                elif abs(ref) < mp.mpf("1e-290"):  # at the bottom of the float range: absolute error only
                    assert abs(ours - float(ref)) < 1e-300, where
                else:
                    assert abs(mp.mpf(float(ours)) - ref) <= 1e-12 * abs(ref), where


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "log_cosh", "quantile"])
def test_scalar_inputs_give_numpy_scalars_after_in_place_rewrites(name):
    # The losses now compute in place (out=); a 0-d input must still work and give np.float64, as before.
    # By hand for y = 0, y_hat = 2: mse 4, mae 2, huber 1.5, log cosh 2 = 1.3250027473578645, quantile 1;
    # gradients 4, 1, 1, tanh 2 = 0.9640275800758169, 1 - q = 0.5.
    value = {"mse": 4.0, "mae": 2.0, "huber": 1.5, "log_cosh": 1.3250027473578645, "quantile": 1.0}[name]
    slope = {"mse": 4.0, "mae": 1.0, "huber": 1.0, "log_cosh": 0.9640275800758169, "quantile": 0.5}[name]
    fn, grad = getattr(lf, name), getattr(lf, name + "_grad")
    for reduction in ("mean", "none"):
        got, g = fn(0.0, 2.0, reduction=reduction), grad(0.0, 2.0, reduction=reduction)
        assert type(got) is np.float64 and type(g) is np.float64
        assert got == pytest.approx(value, rel=1e-15) and g == pytest.approx(slope, rel=1e-15)
    y, y_hat = np.array([0.0, 1.0]), np.array([1.0, 1.0])
    assert np.signbit(grad(y, y_hat, reduction="none")).tolist() == [False, False]  # no -0.0 at the kink


def test_msle_by_hand_and_against_scikit_learn():
    from sklearn.metrics import mean_squared_log_error

    y, p = np.array([0.0, 3.0, 99.0, -0.5]), np.array([np.e - 1.0, 3.0, 109.0, 0.0])
    by_hand = np.array([1.0, 0.0, np.log(1.1) ** 2, np.log(2.0) ** 2])  # log(1 + p) - log(1 + y) written out
    np.testing.assert_allclose(lf.msle(y, p, reduction="none"), by_hand, rtol=1e-14)
    assert lf.msle(y, p) == pytest.approx(mean_squared_log_error(y, p), rel=1e-14)  # sklearn also takes y > -1
    np.testing.assert_allclose(lf.msle_grad(y, p, reduction="none"), 2 * np.log((1 + p) / (1 + y)) / (1 + p),
                               rtol=1e-14, atol=1e-300)
    with pytest.raises(ValueError, match=r"^msle: y_pred must lie in \(-1, inf\) \(log1p must be finite\)"):
        lf.msle([0.0], [-1.0])
    with pytest.raises(ValueError, match=r"^msle_grad: y_true must lie in \(-1, inf\)"):
        lf.msle_grad([-3.0], [0.0])


def test_msle_is_mse_of_log1p_and_a_tiny_value_is_not_lost():
    rng = np.random.default_rng(5)
    y, p = np.expm1(rng.uniform(0, 6, 20)), np.expm1(rng.uniform(0, 6, 20))
    assert lf.msle(y, p) == pytest.approx(lf.mse(np.log1p(y), np.log1p(p)), rel=1e-15)
    assert lf.msle([0.0], [1e-10]) == pytest.approx(1e-20, rel=1e-9)  # (log(1 + 1e-10))^2, not rounded away
    assert np.log(1e-18 + 1.0) == 0.0 and lf.msle([0.0], [1e-18]) == pytest.approx(1e-36, rel=1e-15)
