"""TorchLossMonitor and LossMonitorCallback stop real training runs that go wrong, at the right step.

Each run is built so the failing step can be computed by hand:

* a model whose prediction is its bias ``b`` (input 0), trained to minimise
  ``log(b)`` with plain SGD at learning rate 0.3, steps ``b <- b - 0.3 / b``:
  1 -> 0.7 -> 0.27143 -> -0.83384, so the loss is NaN at the 4th step
  (losses 0, log 0.7 = -0.357, log 0.27143 = -1.304, nan);
* least squares ``(w - 1)^2`` from ``w = 0`` with learning rate 3 multiplies
  the residual by ``1 - 2 * 3 = -5`` per step, so the loss goes 1, 25, 625, ….
"""
import math

import numpy as np
import pytest

from lossfns.monitor import TrainingStopped

LOG_B = [0.0, math.log(0.7), math.log(0.7 - 0.3 / 0.7)]  # the finite losses of the log(b) run


# --- PyTorch ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def lft(torch):
    from lossfns import torch as lft

    return lft


def bias_only_model(torch):
    model = torch.nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.zero_()
        model.bias.fill_(1.0)
    return model


def test_torch_nan_from_the_log_of_a_negative_prediction(torch, lft):
    model = bias_only_model(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.3)
    mon = lft.TorchLossMonitor()
    x = torch.zeros(8, 1)
    steps_taken = 0
    for _ in range(20):
        opt.zero_grad()
        loss = torch.log(model(x)).mean()
        loss.backward()
        if mon.step(loss, model):
            break
        opt.step()
        steps_taken += 1
    assert steps_taken == 3
    assert mon.message == "LossMonitor: training loss became nan at step 4 (last finite value -1.3)"
    assert mon.reason == "nan" and mon.verdict.step == 4
    np.testing.assert_allclose(mon.history["train_loss"][:3], LOG_B, rtol=1e-6, atol=1e-7)
    # d log(b) / db = 1 / b, and the weight's gradient is 0 (input 0)
    np.testing.assert_allclose(mon.history["grad_norm"][:3], [1.0, 1 / 0.7, 1 / (0.7 - 0.3 / 0.7)], rtol=1e-6)


def test_torch_divergence_with_a_learning_rate_far_too_large(torch, lft):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=3.0)
    mon = lft.TorchLossMonitor(divergence_factor=10.0, raise_on_stop=True)
    expected = r"^LossMonitor: training loss diverged at step 2: 25 > 10 × best 1 \(step 1\)$"
    with pytest.raises(TrainingStopped, match=expected) as info:
        for _ in range(20):
            opt.zero_grad()
            loss = ((w - 1.0) ** 2).sum()
            loss.backward()
            mon.step(loss, [w])
            opt.step()
    assert info.value.verdict is mon.verdict and mon.reason == "divergence"
    assert mon.history["train_loss"] == [1.0, 25.0]
    assert mon.history["grad_norm"] == [2.0, 10.0]  # |2 (w - 1)|


def test_torch_plateau_on_validation_loss_with_explicit_epochs(torch, lft):
    mon = lft.TorchLossMonitor(plateau_patience=2, unit="epoch")
    val = [torch.tensor(0.5), torch.tensor(0.5), torch.tensor(0.6)]
    verdicts = [mon.step(torch.tensor(1.0 / e), val_loss=v, step=e) for e, v in zip([3, 4, 5], val, strict=True)]
    assert verdicts[:2] == [None, None]
    assert verdicts[2].message == (
        "LossMonitor: plateau: validation loss has not improved by 0.001 (relative) for 2 epochs since epoch 3 "
        "(best 0.5)"
    )
    assert mon.history["grad_norm"] == [None, None, None]


def test_torch_grad_norm_is_the_norm_clip_grad_norm_uses(torch, lft):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    model(torch.randn(5, 3)).pow(2).sum().backward()
    expected = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1e9)
    assert lft.grad_norm(model.parameters()) == pytest.approx(float(expected), rel=1e-6)


def test_torch_monitor_refuses_a_model_without_gradients_and_a_loss_tensor_of_many_values(torch, lft):
    mon = lft.TorchLossMonitor()
    with pytest.raises(ValueError, match=r"no parameter has a gradient; call loss.backward\(\)"):
        mon.step(torch.tensor(1.0), torch.nn.Linear(2, 1))
    with pytest.raises(ValueError, match=r"a loss must be a single number, got a tensor of shape \(3,\)"):
        mon.step(torch.ones(3))
    with pytest.raises(TypeError, match="raise_on_stop must be True or False"):
        lft.TorchLossMonitor(raise_on_stop=1)
    with pytest.raises(ValueError, match="divergence_factor must lie in"):
        lft.TorchLossMonitor(divergence_factor=0.5)


# --- Keras ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keras():
    pytest.importorskip("tensorflow")
    return pytest.importorskip("keras")


@pytest.fixture(scope="module")
def lfk(keras):
    from lossfns import keras as lfk

    return lfk


def keras_bias_model(keras):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="zeros",
                                                                    bias_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(0.3), loss=lambda y, p: keras.ops.mean(keras.ops.log(p), axis=-1))
    return model


def test_keras_nan_is_caught_at_the_batch_it_happens(keras, lfk):
    # 2 batches per epoch: steps 1-2 in epoch 1, step 3 (finite) and step 4 (NaN) in epoch 2.
    # Keras logs the running mean of the epoch, so the last finite value is epoch 2's first loss, log 0.27143.
    model = keras_bias_model(keras)
    cb = lfk.LossMonitorCallback()
    x = np.zeros((32, 1), dtype="float32")
    fit = model.fit(x, x, epochs=10, batch_size=16, shuffle=False, verbose=0, callbacks=[cb])
    assert cb.message == "LossMonitor: training loss became nan at batch 2 of epoch 2 (last finite value -1.3)"
    assert cb.stopped and cb.reason == "nan" and model.stop_training
    assert len(fit.history["loss"]) == 2  # fit returned during epoch 2
    assert cb.history["step"] == [1]  # epoch 2 never completed a record
    np.testing.assert_allclose(cb.history["train_loss"], [np.mean(LOG_B[:2])], rtol=1e-5)


def test_keras_nan_checked_per_epoch_only_when_batches_are_not_checked(keras, lfk):
    model = keras_bias_model(keras)
    cb = lfk.LossMonitorCallback(check_batches=False)
    x = np.zeros((32, 1), dtype="float32")
    model.fit(x, x, epochs=10, batch_size=16, shuffle=False, verbose=0, callbacks=[cb])
    assert cb.message == "LossMonitor: training loss became nan at epoch 2 (last finite value -0.178)"


def test_keras_divergence_and_the_gradient_norm_on_a_fixed_batch(keras, lfk):
    # one weight w (input 1, no bias), loss (w - 1)^2, lr 3, one batch per epoch: losses 1, 25, ...
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(3.0), loss="mse")
    x = np.ones((4, 1), dtype="float32")
    cb = lfk.LossMonitorCallback(divergence_factor=10.0, grad_norm_data=(x, x), raise_on_stop=True)
    with pytest.raises(TrainingStopped, match=r"diverged at epoch 2: 25 > 10 × best 1 \(epoch 1\)"):
        model.fit(x, x, epochs=10, batch_size=4, verbose=0, callbacks=[cb])
    assert cb.reason == "divergence" and cb.history["train_loss"] == [1.0, 25.0]
    # measured after each epoch's update: w = 6 then w = -24, so |2 (w - 1)| = 10 then 50
    np.testing.assert_allclose(cb.history["grad_norm"], [10.0, 50.0], rtol=1e-6)


def test_keras_plateau_on_validation_loss(keras, lfk):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones",
                                                                    bias_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")  # learning rate 0: nothing ever improves
    x = np.ones((4, 1), dtype="float32")
    cb = lfk.LossMonitorCallback(plateau_patience=3)
    fit = model.fit(x, x, validation_data=(x, 3 * x), epochs=20, verbose=0, callbacks=[cb])
    assert cb.message == (
        "LossMonitor: plateau: validation loss has not improved by 0.001 (relative) for 3 epochs since epoch 1 "
        "(best 4)"
    )
    assert len(fit.history["val_loss"]) == 4 and cb.history["val_loss"] == [4.0] * 4


def test_keras_callback_checks_its_arguments(lfk):
    with pytest.raises(ValueError, match=r"grad_norm_data must be a pair \(x, y\)"):
        lfk.LossMonitorCallback(grad_norm_data=np.ones(3))
    with pytest.raises(ValueError, match="plateau_patience must be an integer"):
        lfk.LossMonitorCallback(plateau_patience=0)
