"""lossfns.segmentation against hand computation, a PyTorch reimplementation, Keras and finite differences."""
import numpy as np
import pytest

import lossfns as lf
from lossfns import segmentation as seg

torch = pytest.importorskip("torch")

REDUCTIONS = ("mean", "sum", "none")


@pytest.fixture(scope="module")
def masks():
    """Two channels of 5 x 4 pixels for 3 items: 0/1 masks (one item empty) and probabilities."""
    rng = np.random.default_rng(0)
    y_true = (rng.uniform(size=(3, 2, 5, 4)) < 0.4).astype(float)
    y_true[2] = 0.0
    return y_true, rng.uniform(0.01, 0.99, size=(3, 2, 5, 4))


def torch_tversky(y_pred, y_true, alpha, beta, smooth):
    """Tversky loss per item, written from Salehi et al.'s definition with torch ops."""
    axes = tuple(range(1, y_pred.dim()))
    tp = (y_true * y_pred).sum(axes)
    fp = ((1 - y_true) * y_pred).sum(axes)
    fn = (y_true * (1 - y_pred)).sum(axes)
    return 1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth)


def torch_dice(y_pred, y_true, smooth):
    axes = tuple(range(1, y_pred.dim()))
    return 1 - (2 * (y_true * y_pred).sum(axes) + smooth) / (y_true.sum(axes) + y_pred.sum(axes) + smooth)


def reduce_torch(loss, reduction):
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


def test_dice_and_tversky_by_hand():
    y = np.array([[[1.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0]]])
    p = np.array([[[0.8, 0.4], [0.2, 0.0]], [[0.0, 0.0], [0.0, 0.5]]])
    # item 0: TP = 1.2, sum y = 2, sum p = 1.4, FP = 0.2, FN = 0.8; item 1: TP = 0, sum y = 1, sum p = 0.5
    np.testing.assert_allclose(seg.dice(y, p, smooth=0.0, reduction="none"), [1 - 2.4 / 3.4, 1.0], rtol=1e-15)
    np.testing.assert_allclose(seg.dice(y, p, smooth=1.0, reduction="none"), [1 - 3.4 / 4.4, 1 - 1 / 2.5], rtol=1e-15)
    np.testing.assert_allclose(seg.tversky(y, p, alpha=0.3, beta=0.7, smooth=0.0, reduction="none"),
                               [1 - 1.2 / (1.2 + 0.3 * 0.2 + 0.7 * 0.8), 1.0], rtol=1e-15)
    np.testing.assert_allclose(seg.tversky(y, p, alpha=0.3, beta=0.7, smooth=1.0, reduction="none"),
                               [1 - 2.2 / (2.2 + 0.3 * 0.2 + 0.7 * 0.8), 1 - 1 / (1 + 0.3 * 0.5 + 0.7 * 1.0)],
                               rtol=1e-15)
    assert seg.dice(y, p, smooth=0.0, reduction="sum") == pytest.approx(2 - 2.4 / 3.4, rel=1e-15)


def test_tversky_with_alpha_beta_one_half_is_dice(masks):
    y, p = masks
    for smooth in (0.0, 0.3, 1.0):
        np.testing.assert_allclose(seg.tversky(y, p, alpha=0.5, beta=0.5, smooth=smooth / 2, reduction="none"),
                                   seg.dice(y, p, smooth=smooth, reduction="none"), rtol=1e-14)
        np.testing.assert_allclose(seg.tversky_grad(y, p, smooth=smooth / 2), seg.dice_grad(y, p, smooth=smooth),
                                   rtol=1e-13, atol=1e-17)
    # the same smooth: equal only without smoothing (the Tversky numerator counts s once, Dice's 2 TP + s)
    assert seg.tversky(y, p, smooth=0.0) == pytest.approx(seg.dice(y, p, smooth=0.0), rel=1e-14)
    assert abs(seg.tversky(y, p, smooth=1.0) - seg.dice(y, p, smooth=1.0)) > 1e-3


def test_tversky_with_alpha_beta_one_is_jaccard(masks):
    y, p = masks
    axes = (1, 2, 3)
    inter = np.sum(y * p, axis=axes)
    union = np.sum(y, axis=axes) + np.sum(p, axis=axes) - inter
    np.testing.assert_allclose(seg.tversky(y, p, alpha=1.0, beta=1.0, smooth=0.0, reduction="none"),
                               1 - inter / union, rtol=1e-14)


CASES = [(0.5, 0.5, 1.0), (0.3, 0.7, 1.0), (0.7, 0.3, 0.0), (1.0, 1.0, 0.25), (0.0, 2.0, 1.0)]


@pytest.mark.parametrize(("alpha", "beta", "smooth"), CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_tversky_matches_a_torch_reimplementation(alpha, beta, smooth, reduction, masks):
    y, p = masks
    tp = torch.tensor(p, requires_grad=True)
    out = reduce_torch(torch_tversky(tp, torch.tensor(y), alpha, beta, smooth), reduction)
    out.sum().backward()
    kwargs = {"alpha": alpha, "beta": beta, "smooth": smooth, "reduction": reduction}
    np.testing.assert_allclose(seg.tversky(y, p, **kwargs), out.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(seg.tversky_grad(y, p, **kwargs), tp.grad.numpy(), rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize("smooth", [0.0, 1.0, 5.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_dice_matches_a_torch_reimplementation(smooth, reduction, masks):
    y, p = masks
    tp = torch.tensor(p, requires_grad=True)
    out = reduce_torch(torch_dice(tp, torch.tensor(y), smooth), reduction)
    out.sum().backward()
    np.testing.assert_allclose(seg.dice(y, p, smooth=smooth, reduction=reduction), out.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(seg.dice_grad(y, p, smooth=smooth, reduction=reduction), tp.grad.numpy(),
                               rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize(("alpha", "beta", "smooth"), CASES)
def test_gradients_match_finite_differences(alpha, beta, smooth, masks):
    y, p = masks[0][:, :1, :3], masks[1][:, :1, :3]  # 3 items of 3 x 4 pixels keep it quick
    kw = {"alpha": alpha, "beta": beta, "smooth": smooth}
    assert lf.gradcheck(lambda q: seg.tversky(y, q, **kw), lambda q: seg.tversky_grad(y, q, **kw), p)
    assert lf.gradcheck(lambda q: seg.dice(y, q, smooth=smooth, reduction="sum"),
                        lambda q: seg.dice_grad(y, q, smooth=smooth, reduction="sum"), p)


def test_soft_masks_and_an_empty_item():
    y = np.array([[0.0, 0.0, 0.0], [0.2, 0.9, 0.5]])
    p = np.array([[0.0, 0.0, 0.0], [0.3, 0.6, 0.5]])
    np.testing.assert_allclose(seg.dice(y, p, reduction="none"),
                               [0.0, 1 - (2 * (0.06 + 0.54 + 0.25) + 1) / (1.6 + 1.4 + 1)], rtol=1e-15)
    np.testing.assert_array_equal(seg.dice_grad(y, p, reduction="none")[0], [1.0, 1.0, 1.0])  # (0 + 1) / 1^2
    with pytest.raises(ValueError, match=r"^dice: item 0 has nothing to weigh .* so its index is 0/0; use smooth > 0"):
        seg.dice(y, p, smooth=0.0)
    with pytest.raises(ValueError, match=r"^tversky_grad: item 0 has nothing to weigh"):
        seg.tversky_grad(y, p, smooth=0.0)
    # no false negatives and alpha = 0: nothing weighs the false positives either
    with pytest.raises(ValueError, match=r"^tversky: item 0 has nothing to weigh"):
        seg.tversky([[0.0, 0.0]], [[0.5, 0.5]], alpha=0.0, smooth=0.0)


def test_bad_input_raises_clear_errors(masks):
    y, p = masks
    with pytest.raises(ValueError, match=r"^dice: y_pred has shape \(3, 2, 5, 3\) but y_true has shape \(3, 2, 5, 4\)"):
        seg.dice(y, p[..., :3])
    with pytest.raises(ValueError, match=r"^dice: y_pred must have a batch axis and at least one more, "
                                         r"shape \(n, \.\.\.\), got shape \(3,\)"):
        seg.dice([1.0, 0.0, 1.0], [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match=r"^tversky: y_pred must lie in \[0, 1\] \(probabilities\), got 1 value"):
        seg.tversky([[1.0, 0.0]], [[1.5, 0.0]])
    with pytest.raises(ValueError, match=r"^dice_grad: y_true must lie in \[0, 1\] \(a mask\), got 1 value"):
        seg.dice_grad([[2.0, 0.0]], [[0.5, 0.0]])
    with pytest.raises(ValueError, match=r"^dice: smooth must lie in \[0, inf\), got -1.0$"):
        seg.dice(y, p, smooth=-1.0)
    with pytest.raises(ValueError, match=r"^tversky: alpha must lie in \[0, inf\), got -0.1$"):
        seg.tversky(y, p, alpha=-0.1)
    with pytest.raises(ValueError, match=r"^tversky_grad: beta must lie in \[0, inf\), got -0.1$"):
        seg.tversky_grad(y, p, beta=-0.1)


def test_keras_dice_and_tversky_differ_from_ours_as_documented(masks):
    keras = pytest.importorskip("keras")
    y, p = masks
    axes = (1, 2, 3)
    per_item = np.asarray(keras.losses.dice(y, p, axis=axes))
    np.testing.assert_allclose(per_item, seg.dice(y, p, smooth=0.0, reduction="none"), rtol=1e-6)
    # without axis, one Dice for the whole batch
    whole = float(keras.losses.dice(y, p))
    np.testing.assert_allclose(whole, seg.dice(y.reshape(1, -1), p.reshape(1, -1), smooth=0.0), rtol=1e-6)
    # Keras' Tversky weighs false negatives by alpha and false positives by beta: the roles are swapped
    got = np.asarray(keras.losses.tversky(y, p, alpha=0.2, beta=0.8, axis=axes))
    swapped = seg.tversky(y, p, alpha=0.8, beta=0.2, smooth=0.0, reduction="none")
    np.testing.assert_allclose(got, swapped, rtol=1e-6)
    assert np.abs(got - seg.tversky(y, p, alpha=0.2, beta=0.8, smooth=0.0, reduction="none")).max() > 1e-2
