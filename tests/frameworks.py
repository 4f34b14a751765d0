"""Evaluate a registry record's PyTorch and Keras equivalents in float64.

The registry stores the exact framework call as text (it is shown on the atlas
page); these helpers run that text, so a wrong argument order in the registry
fails the parity tests. The call names its inputs as the loss does
(``y_true``, ``y_pred``; ``y_true``, ``mean``, ``var`` for ``gaussian_nll``).
"""
import inspect

import numpy as np


def positional_names(fn) -> tuple[str, ...]:
    """The names of a loss' array arguments, e.g. ``("y_true", "mean", "var")``."""
    params = inspect.signature(fn).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)


def torch_value_and_grads(call: str, inputs: dict, wrt) -> tuple[float, tuple[np.ndarray, ...]]:
    """Value of ``call`` on ``inputs`` (name -> array) and its gradients with respect to the names in ``wrt``."""
    import torch

    tensors = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=name in wrt) for name, value in inputs.items()
    }
    value = eval(call, {"torch": torch}, tensors)  # noqa: S307 - registry text
    assert value.dtype == torch.float64, f"{call} computed in {value.dtype}, not float64"
    value.backward()
    return float(value.detach()), tuple(tensors[name].grad.numpy() for name in wrt)


def keras_value_and_grads(call: str, inputs: dict, wrt) -> tuple[float, tuple[np.ndarray, ...]]:
    """Value of ``call`` on ``inputs`` and its gradients with respect to ``wrt``, via GradientTape."""
    import keras
    import tensorflow as tf

    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        tensors = {
            name: tf.Variable(value, dtype=tf.float64) if name in wrt else tf.constant(value, dtype=tf.float64)
            for name, value in inputs.items()
        }
        with tf.GradientTape() as tape:
            value = eval(call, {"keras": keras}, tensors)  # noqa: S307
        grads = tape.gradient(value, [tensors[name] for name in wrt])
    finally:
        keras.config.set_floatx(previous)
    assert value.dtype == tf.float64, f"{call} computed in {value.dtype}, not float64"
    return float(value.numpy()), tuple(g.numpy() for g in grads)


def torch_value_and_grad(call: str, y_true: np.ndarray, y_pred: np.ndarray):
    """Value of ``call`` and its gradient with respect to ``y_pred``, via autograd."""
    value, (grad,) = torch_value_and_grads(call, {"y_true": y_true, "y_pred": y_pred}, ("y_pred",))
    return value, grad


def keras_value_and_grad(call: str, y_true: np.ndarray, y_pred: np.ndarray):
    """Value of ``call`` and its gradient with respect to ``y_pred``, via GradientTape."""
    value, (grad,) = keras_value_and_grads(call, {"y_true": y_true, "y_pred": y_pred}, ("y_pred",))
    return value, grad
