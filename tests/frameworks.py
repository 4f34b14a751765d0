"""Evaluate a registry record's PyTorch and Keras equivalents in float64.

The registry stores the exact framework call as text (it is shown on the atlas
page); these helpers run that text, so a wrong argument order in the registry
fails the parity tests.
"""
import numpy as np


def torch_value_and_grad(call: str, y_true: np.ndarray, y_pred: np.ndarray):
    """Value of ``call`` and its gradient with respect to ``y_pred``, via autograd."""
    import torch

    t = torch.tensor(y_true, dtype=torch.float64)
    p = torch.tensor(y_pred, dtype=torch.float64, requires_grad=True)
    value = eval(call, {"torch": torch}, {"y_true": t, "y_pred": p})  # noqa: S307 - registry text
    value.backward()
    return float(value.detach()), p.grad.numpy()


def keras_value_and_grad(call: str, y_true: np.ndarray, y_pred: np.ndarray):
    """Value of ``call`` and its gradient with respect to ``y_pred``, via GradientTape."""
    import keras
    import tensorflow as tf

    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        t = tf.constant(y_true, dtype=tf.float64)
        p = tf.Variable(y_pred, dtype=tf.float64)
        with tf.GradientTape() as tape:
            value = eval(call, {"keras": keras}, {"y_true": t, "y_pred": p})  # noqa: S307
        grad = tape.gradient(value, p)
    finally:
        keras.config.set_floatx(previous)
    assert value.dtype == tf.float64, f"{call} computed in {value.dtype}, not float64"
    return float(value.numpy()), grad.numpy()
