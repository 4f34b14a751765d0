"""lossfns.keras: Keras losses against the NumPy core, serialisation, and NumPy <-> PyTorch <-> Keras parity."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")

from lossfns import keras as lfk  # noqa: E402 - after the importorskip
from lossfns import torch as lft  # noqa: E402
from lossfns.classification import focal, focal_grad  # noqa: E402
from lossfns.embedding import contrastive, contrastive_grad  # noqa: E402
from lossfns.regression import huber, huber_grad, log_cosh, log_cosh_grad, quantile, quantile_grad  # noqa: E402
from lossfns.segmentation import dice, dice_grad  # noqa: E402


def real_data(rng):
    y_true = rng.normal(size=(6, 4))
    return y_true, y_true + rng.normal(scale=2.0, size=(6, 4))


def label_data(rng):
    return rng.integers(0, 2, size=(6, 4)).astype(float), rng.normal(scale=3.0, size=(6, 4))


def mask_data(rng):
    return (rng.uniform(size=(6, 8)) < 0.5).astype(float), rng.uniform(0.02, 0.98, size=(6, 8))


def pair_data(rng):
    return rng.integers(0, 2, size=(6, 4)).astype(float), rng.uniform(0.0, 2.5, size=(6, 4))


# name: (Keras class, torch class, parameters, NumPy loss, NumPy gradient, extra NumPy kwargs, data)
CASES = {
    "huber": (lfk.HuberLoss, lft.HuberLoss, {"delta": 0.7}, huber, huber_grad, {}, real_data),
    "log_cosh": (lfk.LogCoshLoss, lft.LogCoshLoss, {}, log_cosh, log_cosh_grad, {}, real_data),
    "quantile": (lfk.QuantileLoss, lft.QuantileLoss, {"q": 0.8}, quantile, quantile_grad, {}, real_data),
    "focal": (lfk.FocalLoss, lft.FocalLoss, {"gamma": 1.5, "alpha": 0.3}, focal, focal_grad,
              {"from_logits": True}, label_data),
    "dice": (lfk.DiceLoss, lft.DiceLoss, {"smooth": 0.5}, dice, dice_grad, {}, mask_data),
    "contrastive": (lfk.ContrastiveLoss, lft.ContrastiveLoss, {"margin": 1.5}, contrastive, contrastive_grad, {},
                    pair_data),
}
NAMES = sorted(CASES)


def case(name):
    keras_cls, torch_cls, params, fn, grad, extra, data = CASES[name]
    y_true, y_pred = data(np.random.default_rng(NAMES.index(name)))
    return keras_cls, torch_cls, params, fn, grad, {**params, **extra}, y_true, y_pred


def keras_value_and_grad(loss, y_true, y_pred):
    pred = tf.Variable(y_pred, dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = loss(y_true, pred)
    return np.asarray(value), tape.gradient(value, pred).numpy()


@pytest.mark.parametrize("name", NAMES)
def test_keras_loss_matches_numpy_values_and_gradients(name):
    keras_cls, _, params, fn, grad, np_kwargs, y_true, y_pred = case(name)
    value, g = keras_value_and_grad(keras_cls(**params, dtype="float64"), y_true, y_pred)
    np.testing.assert_allclose(value, fn(y_true, y_pred, **np_kwargs), rtol=1e-12)
    np.testing.assert_allclose(g, grad(y_true, y_pred, **np_kwargs), rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_keras_sum_and_none_reduce_per_sample_losses(name):
    """Elementwise losses average over the last axis first (as Keras' own do); Dice is one loss per item."""
    keras_cls, _, params, fn, _, np_kwargs, y_true, y_pred = case(name)
    per_element = fn(y_true, y_pred, **np_kwargs, reduction="none")
    per_sample = per_element if name == "dice" else per_element.mean(axis=-1)
    got_none = keras_cls(**params, reduction=None, dtype="float64")(y_true, y_pred)
    got_sum = keras_cls(**params, reduction="sum", dtype="float64")(y_true, y_pred)
    np.testing.assert_allclose(np.asarray(got_none), per_sample, rtol=1e-12)
    np.testing.assert_allclose(float(got_sum), per_sample.sum(), rtol=1e-12)
    if name != "dice":
        k = y_true.shape[-1]
        np.testing.assert_allclose(float(got_sum), fn(y_true, y_pred, **np_kwargs, reduction="sum") / k, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_numpy_pytorch_and_keras_agree(name):
    keras_cls, torch_cls, params, fn, grad, np_kwargs, y_true, y_pred = case(name)
    pred = torch.tensor(y_pred, requires_grad=True)
    torch_value = torch_cls(**params)(pred, torch.tensor(y_true))
    torch_value.backward()
    keras_value, keras_grad = keras_value_and_grad(keras_cls(**params, dtype="float64"), y_true, y_pred)
    np.testing.assert_allclose(keras_value, torch_value.item(), rtol=1e-12)
    np.testing.assert_allclose(keras_grad, pred.grad.numpy(), rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(torch_value.item(), fn(y_true, y_pred, **np_kwargs), rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_get_config_round_trip(name):
    keras_cls, _, params, _, _, _, y_true, y_pred = case(name)
    loss = keras_cls(**params, reduction="sum", name=f"my_{name}")
    config = loss.get_config()
    assert {k: config[k] for k in params} == params
    assert config["reduction"] == "sum" and config["name"] == f"my_{name}"
    clone = keras_cls.from_config(config)
    assert clone.get_config() == config
    # generic deserialisation finds the class by its registered name, without custom_objects
    serialized = keras.saving.serialize_keras_object(loss)
    assert serialized["registered_name"] == f"lossfns>{keras_cls.__name__}"
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is keras_cls and revived.get_config() == config
    np.testing.assert_allclose(float(revived(y_true, y_pred)), float(loss(y_true, y_pred)), rtol=1e-7)


def test_defaults_are_in_the_config():
    assert lfk.FocalLoss().get_config()["alpha"] is None
    assert lfk.HuberLoss().get_config()["delta"] == 1.0
    assert set(lfk.LogCoshLoss().get_config()) == {"name", "reduction"}


# output activation, target maker: each loss gets the kind of output it expects
MODEL_HEADS = {
    "huber": (None, lambda rng: rng.normal(size=(16, 2))),
    "log_cosh": (None, lambda rng: rng.normal(size=(16, 2))),
    "quantile": (None, lambda rng: rng.normal(size=(16, 2))),
    "focal": (None, lambda rng: rng.integers(0, 2, size=(16, 2)).astype("float32")),
    "dice": ("sigmoid", lambda rng: rng.integers(0, 2, size=(16, 2)).astype("float32")),
    "contrastive": ("softplus", lambda rng: rng.integers(0, 2, size=(16, 2)).astype("float32")),
}


@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
@pytest.mark.parametrize("name", NAMES)  # (that warning is Keras' own, from fit and predict under NumPy 2)
def test_a_model_compiled_with_the_loss_saves_and_loads(name, tmp_path):
    keras_cls, _, params, *_ = CASES[name]
    activation, make_target = MODEL_HEADS[name]
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), make_target(rng)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation=activation)])
    model.compile(optimizer="sgd", loss=keras_cls(**params))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded.loss) is keras_cls
    assert loaded.loss.get_config() == model.loss.get_config()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_our_huber_is_keras_huber_and_log_cosh_fixes_the_float32_log2():
    y_true, y_pred = real_data(np.random.default_rng(20))
    for delta in (0.3, 1.0, 2.5):
        ours = float(lfk.HuberLoss(delta=delta, dtype="float64")(y_true, y_pred))
        assert ours == pytest.approx(float(keras.losses.Huber(delta=delta, dtype="float64")(y_true, y_pred)), 1e-14)
    ours = float(lfk.LogCoshLoss(dtype="float64")(y_true, y_pred))
    theirs = float(keras.losses.LogCosh(dtype="float64")(y_true, y_pred))
    assert ours - theirs == pytest.approx(float(np.float32(np.log(2.0))) - np.log(2.0), rel=1e-4)


def test_focal_is_keras_binary_focal_crossentropy_with_class_balancing():
    y_true, logits = label_data(np.random.default_rng(21))
    ours = float(lfk.FocalLoss(gamma=2.0, alpha=0.25, dtype="float64")(y_true, logits))
    theirs = keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.25, gamma=2.0,
                                                   from_logits=True, dtype="float64")(y_true, logits)
    np.testing.assert_allclose(ours, float(theirs), rtol=1e-6)
    balanced_off = keras.losses.BinaryFocalCrossentropy(gamma=2.0, from_logits=True, dtype="float64")(y_true, logits)
    np.testing.assert_allclose(float(lfk.FocalLoss(gamma=2.0, dtype="float64")(y_true, logits)), float(balanced_off),
                               rtol=1e-6)


def test_focal_with_extreme_logits_stays_finite():
    y = np.array([[1.0, 0.0, 0.0, 1.0]])
    z = tf.Variable([[1e4, -1e4, 1e4, -1e4]], dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = lfk.FocalLoss(gamma=0.5, reduction=None, dtype="float64")(y, z)
    g = tape.gradient(value, z).numpy()
    np.testing.assert_allclose(np.asarray(value), focal(y, z.numpy(), gamma=0.5, from_logits=True,
                                                        reduction="none").mean(axis=-1), rtol=1e-12)
    assert np.isfinite(g).all()


def test_bad_parameters_raise_clear_errors():
    with pytest.raises(ValueError, match=r"^HuberLoss: delta must lie in \(0, inf\), got -1.0$"):
        lfk.HuberLoss(delta=-1.0)
    with pytest.raises(ValueError, match=r"^QuantileLoss: q must lie in \(0, 1\), got 0.0$"):
        lfk.QuantileLoss(q=0.0)
    with pytest.raises(ValueError, match=r"^FocalLoss: alpha must lie in \[0, 1\], got -0.1$"):
        lfk.FocalLoss(alpha=-0.1)
    with pytest.raises(ValueError, match=r"^DiceLoss: smooth must lie in \[0, inf\), got -1.0$"):
        lfk.DiceLoss(smooth=-1.0)
    with pytest.raises(ValueError, match=r"^ContrastiveLoss: margin must lie in \[0, inf\), got -1.0$"):
        lfk.ContrastiveLoss(margin=-1.0)


def test_lossfns_keras_is_the_lazy_submodule():
    import lossfns as lf

    assert lf.keras is lfk and lf.keras.DiceLoss is lfk.DiceLoss


@pytest.mark.parametrize("name", sorted(n for n in CASES if n != "dice"))
def test_a_size_one_last_axis_is_squeezed_and_nothing_broadcasts(name):
    """Issue 23: (4,) targets against (4, 1) predictions used to broadcast to 4 x 4 (Huber 0.78125, not 0.0625)."""
    cls, _, params, fn, _, np_kwargs, data = CASES[name]
    y_true, y_pred = data(np.random.default_rng(11))
    y1, p1 = y_true[:, 0], y_pred[:, 0]
    expected = float(fn(y1, p1, **params, **np_kwargs))
    loss = cls(**params, dtype="float64")
    for target, prediction in ((y1, p1[:, None]), (y1[:, None], p1), (y1[:, None], p1[:, None])):
        assert float(loss(target, prediction)) == pytest.approx(expected, rel=1e-12), (target.shape, prediction.shape)
    names = ("y_same", "distance") if name == "contrastive" else ("y_true", "y_pred")
    with pytest.raises(ValueError, match=rf"{names[1]} has shape \(6, 3\) but {names[0]} has shape \(6, 4\); "
                                         r"the losses of lossfns.keras never broadcast"):
        loss(y_true, y_pred[:, :3])
    with pytest.raises(ValueError, match=rf"{names[1]} has shape \(1, 6\) but {names[0]} has shape \(6,\)"):
        loss(y1, p1[None, :])


def test_the_issue_example_and_model_evaluate_with_a_dense_1_output():
    y_true, y_pred = np.array([0.0, 1.0, 2.0, 3.0]), np.array([[0.5], [1.5], [2.0], [3.0]])
    ours = float(lfk.HuberLoss(dtype="float64")(y_true, y_pred))
    theirs = float(keras.losses.Huber(dtype="float64")(y_true, y_pred))
    assert ours == pytest.approx(0.0625, rel=1e-12) and theirs == pytest.approx(ours, rel=1e-12)
    keras.utils.set_random_seed(0)
    x = np.linspace(-1.0, 1.0, 32)[:, None]
    y = 3.0 * x[:, 0] + 1.0  # 1-D targets, as people pass them
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss=lfk.HuberLoss())
    got = model.evaluate(x, y, verbose=0, batch_size=32)
    pred = model.predict(x, verbose=0)[:, 0].astype(float)
    assert got == pytest.approx(float(huber(y, pred)), rel=1e-5)
