"""The torch and Keras adapters against the bad-input matrix of the NumPy losses (issue 23).

``tests/test_contract.py`` feeds every NumPy loss mismatched shapes, NaN and infinity in each
argument, non-numeric and empty inputs and values outside the domain, and expects an error that
names the function and the argument. The adapters in :mod:`lossfns.torch` and :mod:`lossfns.keras`
are called directly (eagerly) with the same matrix here and must raise the same messages, with
their class name in place of the function's. They must also accept what the NumPy losses accept:
lists, NumPy arrays, integer and boolean labels, and (torch) tensors that require grad.
"""
import os
import re

import numpy as np
import pytest

import lossfns as lf

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG_SEED = 11


def _real(rng):
    return rng.normal(size=(4, 3)), rng.normal(size=(4, 3))


def _labels_logits(rng):
    return (rng.uniform(size=(4, 3)) < 0.5).astype(float), rng.normal(scale=2.0, size=(4, 3))


def _mask_probs(rng):
    return (rng.uniform(size=(4, 3)) < 0.5).astype(float), rng.uniform(0.05, 0.95, size=(4, 3))


def _pairs(rng):
    return (rng.uniform(size=(4, 3)) < 0.5).astype(float), rng.uniform(0.0, 2.0, size=(4, 3))


_LABELS = r"{arg} must lie in \[0, 1\] \(labels or target probabilities\)"
# name: (data -> (target, prediction), NumPy loss and its kwargs, Keras argument names (target, prediction),
#        torch argument names (prediction, target), [(0 = target / 1 = prediction, bad value, message)])
ADAPTERS = {
    "HuberLoss": (_real, lf.huber, {}, ("y_true", "y_pred"), ("y_pred", "y_true"), []),
    "LogCoshLoss": (_real, lf.log_cosh, {}, ("y_true", "y_pred"), ("y_pred", "y_true"), []),
    "QuantileLoss": (_real, lf.quantile, {}, ("y_true", "y_pred"), ("y_pred", "y_true"), []),
    "FocalLoss": (_labels_logits, lf.focal, {"from_logits": True}, ("y_true", "y_pred"), ("logits", "y_true"),
                  [(0, 1.5, _LABELS), (0, -0.5, _LABELS)]),
    "DiceLoss": (_mask_probs, lf.dice, {}, ("y_true", "y_pred"), ("y_pred", "y_true"),
                 [(0, 2.0, r"{arg} must lie in \[0, 1\] \(a mask\)"),
                  (1, 1.5, r"{arg} must lie in \[0, 1\] \(probabilities\)"),
                  (1, -0.2, r"{arg} must lie in \[0, 1\] \(probabilities\)")]),
    "ContrastiveLoss": (_pairs, lf.contrastive, {}, ("y_same", "distance"), ("distance", "y_same"),
                        [(0, 0.5, r"{arg} must hold labels in \{{0, 1\}}"), (0, 2.0, r"{arg} must hold labels"),
                         (1, -0.5, r"{arg} must lie in \[0, inf\) \(a distance\)")]),
}
NAMES = sorted(ADAPTERS)


def _bad_inputs(name):
    """(label, target, prediction, exception, message without the class name) for every row of the matrix.

    A message is a template: ``{arg}`` stands for the offending argument's name, which differs between
    the frameworks (Keras' ``y_pred`` is torch's ``logits`` in FocalLoss); ``which`` is 0 for the target,
    1 for the prediction.
    """
    data, _, _, _, _, invalid = ADAPTERS[name]
    t, p = data(np.random.default_rng(RNG_SEED))
    arg = {0: "target", 1: "prediction"}
    rows = [("prediction one column short", t, p[:, :2], ValueError, r"\w+ has shape \(.*\) but \w+ has shape", 0),
            ("target one row short", t[:-1], p, ValueError, r"\w+ has shape \(.*\) but \w+ has shape", 0)]
    for i in (0, 1):
        for value in (np.nan, np.inf, -np.inf):
            pair = [t.copy(), p.copy()]
            pair[i][0, 0] = value
            nan = r"{arg} contains 1 NaN or infinite value\(s\)"
            rows.append((f"{arg[i]} holds {value}", *pair, ValueError, nan, i))
        strings = [t, p]
        strings[i] = np.full(t.shape, "x")
        rows.append((f"{arg[i]} of strings", *strings, TypeError, r"{arg} (must be numeric|could not be read)", i))
    rows.append(("both empty", np.zeros((0, 3)), np.zeros((0, 3)), ValueError, r"\w+ is empty", 0))
    for i, value, message in invalid:
        pair = [t.copy(), p.copy()]
        pair[i][1, 2] = value
        rows.append((f"{arg[i]} = {value}", *pair, ValueError, message, i))
    return rows


MATRIX = [(name, row) for name in NAMES for row in _bad_inputs(name)]
MATRIX_IDS = [f"{name}-{row[0]}" for name, row in MATRIX]


def _call(framework: str, name: str, t, p):
    """Adapter ``name`` of ``framework``, default parameters, called eagerly on target ``t`` and prediction ``p``."""
    if framework == "torch":
        torch = pytest.importorskip("torch")
        as_tensor = lambda a: a if a.dtype.kind in "US" else torch.tensor(a)  # noqa: E731 - strings stay arrays
        return getattr(lf.torch, name)()(as_tensor(p), as_tensor(t))  # PyTorch order: prediction first
    pytest.importorskip("keras")
    return getattr(lf.keras, name)(dtype="float64")(t, p)


@pytest.mark.parametrize("framework", ["torch", "keras"])
@pytest.mark.parametrize(("name", "row"), MATRIX, ids=MATRIX_IDS)
def test_adapter_rejects_what_the_numpy_loss_rejects(framework, name, row):
    _, t, p, exc, message, which = row
    _, _, _, keras_names, torch_names, _ = ADAPTERS[name]  # (target, prediction) and (prediction, target)
    arg = torch_names[1 - which] if framework == "torch" else keras_names[which]
    with pytest.raises(exc, match=rf"^{name}: " + message.format(arg=arg)):
        _call(framework, name, t, p)


# ------------------------------------------------------------------ torch


@pytest.fixture(scope="module")
def lft():
    pytest.importorskip("torch")
    return lf.torch


@pytest.mark.parametrize("name", NAMES)
def test_torch_adapter_accepts_lists_arrays_labels_of_any_type_and_requires_grad(lft, name):
    import torch

    data, fn, kwargs, _, _, _ = ADAPTERS[name]
    t, p = data(np.random.default_rng(RNG_SEED))
    expected = float(fn(t, p, **kwargs))
    loss = getattr(lft, name)()
    pred = torch.tensor(p, requires_grad=True)
    target = torch.tensor(t, requires_grad=True)  # a target that requires grad (e.g. a teacher's output)
    out = loss(pred, target)
    out.backward()
    assert out.item() == pytest.approx(expected, rel=1e-12)
    assert pred.grad is not None and torch.isfinite(pred.grad).all()
    from_lists = loss(p.tolist(), t.tolist())  # lists become torch's default dtype, as torch.tensor does
    assert from_lists.dtype == torch.get_default_dtype()
    assert from_lists.item() == pytest.approx(expected, rel=1e-12 if from_lists.dtype == torch.float64 else 1e-5)
    assert loss(p, t).item() == pytest.approx(expected, rel=1e-12)
    if name not in ("HuberLoss", "LogCoshLoss", "QuantileLoss"):  # 0/1 labels: int and bool give the same loss
        for labels in (t.astype(np.int64), t.astype(bool)):
            assert loss(torch.tensor(p), torch.tensor(labels)).item() == pytest.approx(expected, rel=1e-12)
    with pytest.raises(TypeError, match=rf"^{name}: \w+ must be real"):
        loss(torch.tensor(p, dtype=torch.complex128), torch.tensor(t))
    with pytest.raises(TypeError, match=rf"^{name}: \w+ must be numeric, got str"):
        loss("x", torch.tensor(t))


# ------------------------------------------------------------------ Keras


@pytest.fixture(scope="module")
def lfk():
    pytest.importorskip("keras")
    return lf.keras


@pytest.mark.parametrize("name", NAMES)
def test_keras_adapter_accepts_lists_arrays_and_labels_of_any_type(lfk, name):
    data, fn, kwargs, _, _, _ = ADAPTERS[name]
    t, p = data(np.random.default_rng(RNG_SEED))
    expected = float(fn(t, p, **kwargs))
    loss = getattr(lfk, name)(dtype="float64")
    assert float(loss(t, p)) == pytest.approx(expected, rel=1e-12)
    assert float(loss(t.tolist(), p.tolist())) == pytest.approx(expected, rel=1e-12)
    if name not in ("HuberLoss", "LogCoshLoss", "QuantileLoss"):
        assert float(loss(t.astype(np.int64), p)) == pytest.approx(expected, rel=1e-12)


def test_keras_dice_without_smoothing_names_the_empty_item_eagerly(lfk):
    """Issue 23: DiceLoss(smooth=0) on an empty mask and an empty prediction returned nan; lf.dice raises."""
    t, p = np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.5, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"^dice: item 1 has nothing to weigh .*0/0"):
        lf.dice(t, p, smooth=0.0)
    with pytest.raises(ValueError, match=r"^DiceLoss: item 1 has an empty mask and an empty prediction \(0/0\)"):
        lfk.DiceLoss(smooth=0.0, dtype="float64")(t, p)


def test_the_matrix_can_fail():
    """The rows are real errors of the NumPy core, and a message the adapters do not give fails the match."""
    for name, (_, t, p, exc, message, _) in MATRIX:
        if "empty" in message or "shape" in message:
            continue
        _, fn, kwargs, _, _, _ = ADAPTERS[name]
        with pytest.raises(exc):
            fn(t, p, **kwargs)
    assert not re.match(r"^HuberLoss: y_pred contains 1 NaN", "HuberLoss: y_true contains 1 NaN")
