"""lossfns.monitor: each stopping condition fires on a constructed loss curve, with its exact message, and only then."""
import math

import numpy as np
import pytest

import lossfns as lf
from lossfns.monitor import REASONS, LossMonitor, TrainingStopped, Verdict


def feed(monitor, train, val=None, grad=None, start=1):
    """Update ``monitor`` with the series until it stops; return the verdict (or None)."""
    val = [None] * len(train) if val is None else val
    grad = [None] * len(train) if grad is None else grad
    for step, (t, v, g) in enumerate(zip(train, val, grad, strict=True), start=start):
        verdict = monitor.update(step, t, v, g)
        if verdict:
            return verdict
    return None


def normal_curve(n=60):
    """A healthy run: exponential decay to 0.1 plus a little noise, validation slightly above."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    train = 0.1 + 2.0 * np.exp(-t / 8) * (1 + 0.05 * rng.standard_normal(n))
    return list(train), list(train * 1.1 + 0.02), list(5.0 * np.exp(-t / 10) + 0.01)


# --- NaN / inf ------------------------------------------------------------------------------------


def test_nan_training_loss_stops_with_the_last_finite_value():
    mon = LossMonitor(unit="step")
    verdict = feed(mon, [5.2, 4.0, 3.41, float("nan"), 1.0])
    assert verdict.message == "LossMonitor: training loss became nan at step 4 (last finite value 3.41)"
    assert (verdict.reason, verdict.step, verdict.quantity) == ("nan", 4, "train_loss")
    assert math.isnan(verdict.value)
    assert mon.stopped and mon.reason == "nan" and mon.message == verdict.message
    assert mon.history["step"] == [1, 2, 3, 4]  # the stopping record is kept, nothing after it


def test_inf_at_the_first_record_has_no_finite_value_before():
    verdict = feed(LossMonitor(), [float("inf")])
    assert verdict.message == "LossMonitor: training loss became inf at epoch 1 (no finite value before)"


def test_nan_validation_loss_and_inf_gradient_norm_are_named():
    verdict = feed(LossMonitor(), [1.0, 0.9, 0.8], val=[1.2, 1.0, float("nan")])
    assert verdict.message == "LossMonitor: validation loss became nan at epoch 3 (last finite value 1)"
    assert verdict.quantity == "val_loss"
    verdict = feed(LossMonitor(unit="step"), [1.0, 0.9], grad=[0.5, float("inf")], start=11)
    assert verdict.message == "LossMonitor: gradient norm became inf at step 12 (last finite value 0.5)"
    assert verdict.quantity == "grad_norm"


def test_minus_inf_is_reported_as_such():
    verdict = feed(LossMonitor(), [0.3, -np.inf])
    assert verdict.message == "LossMonitor: training loss became -inf at epoch 2 (last finite value 0.3)"


def test_nan_is_checked_even_with_every_other_check_off():
    mon = LossMonitor(divergence_factor=None, plateau_patience=None)
    assert feed(mon, [1.0, 2e9, 3e12]) is None
    assert feed(mon, [float("nan")], start=4).reason == "nan"


# --- divergence -----------------------------------------------------------------------------------


def test_divergence_message_names_the_value_the_factor_and_the_best():
    # best 2.1 at epoch 2; 8.3e4 > 10 * 2.1 at epoch 7 (the earlier 20.0 < 21 is no divergence)
    verdict = feed(LossMonitor(divergence_factor=10), [3.0, 2.1, 2.5, 4.0, 20.0, 15.0, 8.3e4])
    assert verdict.message == "LossMonitor: training loss diverged at epoch 7: 8.3e+04 > 10 × best 2.1 (epoch 2)"
    assert (verdict.reason, verdict.step, verdict.value) == ("divergence", 7, 8.3e4)


def test_divergence_waits_for_the_warmup():
    curve = [1.0, 50.0, 2.0, 0.5, 6.0]
    assert feed(LossMonitor(divergence_factor=10, warmup=0), curve).step == 2
    # with warmup=2 the second record is not judged (best is still tracked: 1.0), then 6.0 > 10 * 0.5 fires
    verdict = feed(LossMonitor(divergence_factor=10, warmup=2), curve)
    assert verdict.message == "LossMonitor: training loss diverged at epoch 5: 6 > 10 × best 0.5 (epoch 4)"


def test_divergence_can_be_turned_off_and_ignores_a_non_positive_best():
    assert feed(LossMonitor(divergence_factor=None), [1.0, 1e6, 1e12]) is None
    assert feed(LossMonitor(divergence_factor=2), [-1.0, -0.5, 3.0]) is None  # an NLL can be negative


def test_the_validation_loss_does_not_trigger_divergence():
    assert feed(LossMonitor(divergence_factor=2), [1.0, 0.9, 0.8], val=[1.0, 5.0, 50.0]) is None


# --- plateau --------------------------------------------------------------------------------------


def test_plateau_message_counts_from_the_best_validation_epoch():
    # best 0.412 at epoch 9; epochs 10-14 improve by less than 0.1 % of it (0.000412), so stop at 14
    val = [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.42, 0.412, 0.4118, 0.412, 0.415, 0.4119, 0.413, 0.3]
    mon = LossMonitor(plateau_patience=5, min_delta=1e-3)
    verdict = feed(mon, [1.0] * 15, val=val)
    assert verdict.message == (
        "LossMonitor: plateau: validation loss has not improved by 0.001 (relative) for 5 epochs since epoch 9 "
        "(best 0.412)"
    )
    assert (verdict.reason, verdict.step, verdict.quantity, verdict.value) == ("plateau", 14, "val_loss", 0.413)
    assert len(mon.history["val_loss"]) == 14


def test_an_improvement_larger_than_min_delta_resets_the_patience():
    val = [1.0, 1.0, 1.0, 0.99, 0.99, 0.99, 0.99]  # 1 % better at epoch 4, then flat
    verdict = feed(LossMonitor(plateau_patience=3, min_delta=1e-3), [1.0] * 7, val=val)
    assert verdict.step == 7 and "since epoch 4 (best 0.99)" in verdict.message


def test_plateau_on_training_loss_when_there_is_no_validation():
    verdict = feed(LossMonitor(plateau_patience=2, min_delta=0.0, unit="step"), [3.0, 2.0, 2.0, 2.5])
    assert verdict.message == (
        "LossMonitor: plateau: training loss has not improved by 0 (relative) for 2 steps since step 2 (best 2)"
    )


def test_plateau_patience_one_uses_the_singular():
    verdict = feed(LossMonitor(plateau_patience=1), [1.0, 1.0])
    assert verdict.message.endswith("for 1 epoch since epoch 1 (best 1)")


def test_plateau_on_val_skips_records_without_a_validation_loss():
    # validation every other step; patience counts validated records only
    val = [1.0, None, 1.0, None, 1.0, None]
    mon = LossMonitor(plateau_patience=2, plateau_on="val", unit="step")
    verdict = feed(mon, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5], val=val)
    assert verdict.step == 5 and "for 2 steps since step 1" in verdict.message
    assert mon.history["val_loss"] == [1.0, None, 1.0, None, 1.0]


def test_plateau_on_train_ignores_the_validation_loss():
    verdict = feed(LossMonitor(plateau_patience=2, plateau_on="train"), [1.0, 1.0, 1.0], val=[3.0, 2.0, 1.0])
    assert verdict.quantity == "train_loss" and verdict.step == 3


# --- a healthy run, state, history ----------------------------------------------------------------


def test_no_false_alarm_on_a_normal_decreasing_curve():
    train, val, grad = normal_curve()
    mon = LossMonitor(divergence_factor=3.0, plateau_patience=10, min_delta=1e-3)
    assert feed(mon, train, val, grad) is None
    assert not mon.stopped and mon.reason is None and mon.message is None and mon.verdict is None
    assert mon.history["train_loss"] == train and mon.history["grad_norm"] == grad
    assert mon.history["step"] == list(range(1, 61))
    assert repr(mon) == "LossMonitor(60 records, running)"


def test_after_stopping_update_records_nothing_and_returns_the_same_verdict():
    mon = LossMonitor()
    verdict = feed(mon, [1.0, float("nan")])
    assert mon.update(3, 0.5) is verdict
    assert mon.history["step"] == [1, 2]
    assert repr(mon) == "LossMonitor(2 records, stopped: nan)"


def test_numpy_scalars_and_0d_arrays_are_accepted():
    mon = LossMonitor()
    assert mon.update(np.int64(1), np.float32(0.5), np.array(0.7), np.float64(2.0)) is None
    assert mon.history == {"step": [1], "train_loss": [0.5], "val_loss": [0.7], "grad_norm": [2.0]}
    assert all(type(v[0]) in (int, float) for v in mon.history.values())


def test_verdict_is_truthy_and_prints_as_its_message():
    verdict = Verdict("nan", 3, "train_loss", math.nan, "LossMonitor: hello")
    assert verdict and str(verdict) == "LossMonitor: hello"
    exc = TrainingStopped(verdict)
    assert isinstance(exc, RuntimeError) and str(exc) == "LossMonitor: hello" and exc.verdict is verdict
    assert REASONS == ("nan", "divergence", "plateau")


def test_exported_from_the_package():
    assert lf.LossMonitor is LossMonitor and lf.monitor.TrainingStopped is TrainingStopped


# --- argument validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"divergence_factor": 1.0}, ValueError, r"LossMonitor: divergence_factor must lie in \(1, inf\), got 1.0"),
        ({"divergence_factor": math.nan}, ValueError, "divergence_factor must lie in"),
        ({"divergence_factor": "10"}, TypeError, "divergence_factor must be a real number, got str"),
        ({"warmup": -1}, ValueError, r"LossMonitor: warmup must be an integer in \[0, inf\), got -1"),
        ({"warmup": 1.5}, TypeError, "warmup must be an integer"),
        ({"plateau_patience": 0}, ValueError, r"plateau_patience must be an integer in \[1, inf\), got 0"),
        ({"min_delta": -0.1}, ValueError, r"min_delta must lie in \[0, 1\), got -0.1"),
        ({"min_delta": 1.0}, ValueError, r"min_delta must lie in \[0, 1\), got 1.0"),
        ({"plateau_on": "valid"}, ValueError, "plateau_on must be one of 'auto', 'val', 'train', got 'valid'"),
        ({"unit": ""}, ValueError, "unit must be a non-empty string"),
    ],
)
def test_constructor_arguments_are_checked(kwargs, error, match):
    with pytest.raises(error, match=match):
        LossMonitor(**kwargs)


def test_update_arguments_are_checked():
    mon = LossMonitor()
    with pytest.raises(TypeError, match="epoch_or_step must be an integer, got float"):
        mon.update(1.0, 0.5)
    with pytest.raises(TypeError, match="train_loss must be a real number, got str"):
        mon.update(1, "0.5")
    with pytest.raises(TypeError, match="train_loss must be a real number, got None"):
        mon.update(1, None)
    with pytest.raises(TypeError, match="val_loss must be a real number"):
        mon.update(1, 0.5, val_loss=[0.1, 0.2])
    with pytest.raises(TypeError, match="grad_norm must be a real number, got bool"):
        mon.update(1, 0.5, grad_norm=True)
    assert mon.history["step"] == []  # nothing half-recorded
