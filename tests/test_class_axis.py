"""The ``axis`` keyword of the losses over a class axis (issue 23), against PyTorch's (N, C, d1, d2) layout."""
import numpy as np
import pytest

import lossfns as lf
from lossfns.gradcheck import numerical_grad

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(23)
Z = RNG.normal(scale=2.0, size=(4, 5, 3, 2))            # logits, classes on axis 1 (PyTorch's layout)
LABELS = RNG.integers(0, 5, size=(4, 3, 2))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _last(x):
    return np.moveaxis(x, 1, -1)


def test_sparse_cross_entropy_on_axis_1_is_torch_cross_entropy_with_its_options():
    w = RNG.uniform(0.5, 2.0, size=5)
    labels = LABELS.copy()
    labels[0, 0, 0] = -100                                 # one ignored position
    kwargs = {"from_logits": True, "ignore_index": -100, "label_smoothing": 0.1, "class_weight": w}
    zt = torch.tensor(Z, requires_grad=True)
    ref = F.cross_entropy(zt, torch.tensor(labels), weight=torch.tensor(w), ignore_index=-100,
                          label_smoothing=0.1)
    ref.backward()
    ours = lf.sparse_categorical_cross_entropy(labels, Z, axis=1, reduction="weighted_mean", **kwargs)
    assert ours == pytest.approx(ref.item(), rel=1e-12)
    grad = lf.sparse_categorical_cross_entropy_grad(labels, Z, axis=1, reduction="weighted_mean", **kwargs)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-10, atol=1e-15)
    per_position = lf.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, axis=1, reduction="none")
    assert per_position.shape == LABELS.shape              # the other axes, in order
    np.testing.assert_allclose(per_position, F.cross_entropy(torch.tensor(Z), torch.tensor(LABELS),
                                                             reduction="none").numpy(), rtol=1e-12)


def test_axis_1_equals_the_default_on_moved_arrays_for_every_class_axis_loss():
    onehot = np.moveaxis(np.eye(5)[LABELS], -1, 1)
    probs = _softmax(Z / 4, 1)                             # no tiny probability: finite differences stay accurate
    targets = _softmax(RNG.normal(size=Z.shape), 1)
    cases = [
        (lf.categorical_cross_entropy, lf.categorical_cross_entropy_grad, onehot, probs, _last(onehot), {}),
        (lf.sparse_categorical_cross_entropy, lf.sparse_categorical_cross_entropy_grad, LABELS, Z, LABELS,
         {"from_logits": True}),
        (lf.multiclass_hinge, lf.multiclass_hinge_grad, LABELS, Z, LABELS, {}),
        (lf.kl_divergence, lf.kl_divergence_grad, targets, probs, _last(targets), {}),
        (lf.nll, lf.nll_grad, LABELS, np.log(probs), LABELS, {}),
        (lf.categorical_focal, lf.categorical_focal_grad, onehot, Z, _last(onehot), {"from_logits": True}),
    ]
    weights = RNG.uniform(0.0, 2.0, size=LABELS.shape)
    for fn, grad, y, p, y_last, kwargs in cases:
        for extra in ({}, {"sample_weight": weights}):
            for reduction in ("mean", "sum", "none"):
                ours = fn(y, p, axis=1, reduction=reduction, **kwargs, **extra)
                np.testing.assert_allclose(ours, fn(y_last, _last(p), reduction=reduction, **kwargs, **extra),
                                           rtol=1e-15)
            g = grad(y, p, axis=1, **kwargs, **extra)
            assert g.shape == p.shape
            np.testing.assert_allclose(g, np.moveaxis(grad(y_last, _last(p), **kwargs, **extra), -1, 1), rtol=1e-15)
            numeric = numerical_grad(lambda q, y=y: fn(y, q, axis=1, **kwargs, **extra), p)  # noqa: B023
            np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-8)
        assert fn(y, p, axis=-3, **kwargs) == fn(y, p, axis=1, **kwargs)  # negative axes count from the end


def test_kl_divergence_on_axis_1_is_torch_kl_div():
    p = _softmax(RNG.normal(size=Z.shape), 1)
    q = _softmax(Z, 1)
    ref = F.kl_div(torch.tensor(np.log(q)), torch.tensor(p), reduction="sum").item() / (4 * 3 * 2)
    assert lf.kl_divergence(p, q, axis=1) == pytest.approx(ref, rel=1e-12)


def test_bad_axes_are_refused_naming_the_range():
    with pytest.raises(ValueError, match=r"^sparse_categorical_cross_entropy: axis must be an integer in \[-4, 3\], "
                                         r"got 4 \(y_pred has 4 axes\)"):
        lf.sparse_categorical_cross_entropy(LABELS, Z, from_logits=True, axis=4)
    with pytest.raises(TypeError, match=r"^kl_divergence_grad: axis must be an integer, got float"):
        lf.kl_divergence_grad(_softmax(Z, 1), _softmax(Z, 1), axis=1.0)
    with pytest.raises(ValueError, match=r"^multiclass_hinge: y_pred has shape \(4, 3, 2, 5\) but y_true has shape "
                                         r"\(4, 3\).* \(y_pred's axis 1, its classes, moved to the end\)$"):
        lf.multiclass_hinge(LABELS[:, :, 0], Z, axis=1)


def test_nll_on_axis_1_is_torch_nll_loss_on_log_softmax():
    log_p = np.log(_softmax(Z, 1))
    ref = F.nll_loss(torch.tensor(log_p), torch.tensor(LABELS)).item()
    assert lf.nll(LABELS, log_p, axis=1) == pytest.approx(ref, rel=1e-12)
