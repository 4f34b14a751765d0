"""lossfns.torch: the nn.Module losses against the NumPy core (values and autograd gradients, float64)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from lossfns import torch as lft  # noqa: E402 - after the importorskip
from lossfns.classification import focal, focal_grad  # noqa: E402
from lossfns.embedding import contrastive, contrastive_grad  # noqa: E402
from lossfns.regression import huber, huber_grad, log_cosh, log_cosh_grad, quantile, quantile_grad  # noqa: E402
from lossfns.segmentation import dice, dice_grad  # noqa: E402

F = torch.nn.functional
REDUCTIONS = ("mean", "sum", "none")


def real_data(rng):
    y_true = rng.normal(size=(6, 4))
    return y_true, y_true + rng.normal(scale=2.0, size=(6, 4))


def label_data(rng):
    return rng.integers(0, 2, size=(6, 4)).astype(float), rng.normal(scale=3.0, size=(6, 4))


def mask_data(rng):
    return (rng.uniform(size=(6, 2, 4)) < 0.5).astype(float), rng.uniform(0.02, 0.98, size=(6, 2, 4))


def pair_data(rng):
    return rng.integers(0, 2, size=(6, 4)).astype(float), rng.uniform(0.0, 2.5, size=(6, 4))


# name: (module class, its kwargs, NumPy loss, NumPy gradient, NumPy kwargs, data: (target, prediction))
CASES = {
    "huber": (lft.HuberLoss, {"delta": 0.7}, huber, huber_grad, {"delta": 0.7}, real_data),
    "log_cosh": (lft.LogCoshLoss, {}, log_cosh, log_cosh_grad, {}, real_data),
    "quantile": (lft.QuantileLoss, {"q": 0.8}, quantile, quantile_grad, {"q": 0.8}, real_data),
    "focal": (lft.FocalLoss, {"gamma": 2.0}, focal, focal_grad, {"gamma": 2.0, "from_logits": True}, label_data),
    "focal-alpha-gamma-0.5": (lft.FocalLoss, {"gamma": 0.5, "alpha": 0.25}, focal, focal_grad,
                              {"gamma": 0.5, "alpha": 0.25, "from_logits": True}, label_data),
    "dice": (lft.DiceLoss, {"smooth": 0.5}, dice, dice_grad, {"smooth": 0.5}, mask_data),
    "contrastive": (lft.ContrastiveLoss, {"margin": 1.5}, contrastive, contrastive_grad, {"margin": 1.5}, pair_data),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_module_matches_numpy_values_and_gradients(name, reduction):
    cls, kwargs, fn, grad, np_kwargs, data = CASES[name]
    y_true, y_pred = data(np.random.default_rng(sorted(CASES).index(name)))
    pred = torch.tensor(y_pred, requires_grad=True)
    out = cls(**kwargs, reduction=reduction)(pred, torch.tensor(y_true))  # torch order: prediction first
    assert out.dtype == torch.float64
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), fn(y_true, y_pred, **np_kwargs, reduction=reduction),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(pred.grad.numpy(), grad(y_true, y_pred, **np_kwargs, reduction=reduction),
                               rtol=1e-11, atol=1e-15)


def test_argument_order_is_pytorchs_prediction_first():
    y_true = np.random.default_rng(10).normal(size=(5, 2))
    y_pred = y_true + 1.0  # over-predicting by 1 costs 1 - q = 0.1; under-predicting would cost q = 0.9
    loss = lft.QuantileLoss(q=0.9)
    right = loss(torch.tensor(y_pred), torch.tensor(y_true)).item()
    assert right == pytest.approx(quantile(y_true, y_pred, q=0.9), rel=1e-13) and right == pytest.approx(0.1, 1e-12)
    assert loss(torch.tensor(y_true), torch.tensor(y_pred)).item() == pytest.approx(0.9, rel=1e-12)
    d, y = pair_data(np.random.default_rng(11))[::-1]
    assert lft.ContrastiveLoss()(torch.tensor(d), torch.tensor(y)).item() == pytest.approx(contrastive(y, d), 1e-13)


def test_huber_and_gamma_zero_focal_are_pytorchs_own_losses():
    y_true, y_pred = real_data(np.random.default_rng(12))
    t, p = torch.tensor(y_true), torch.tensor(y_pred)
    for delta in (0.3, 1.0, 2.5):
        torch.testing.assert_close(lft.HuberLoss(delta=delta)(p, t), torch.nn.HuberLoss(delta=delta)(p, t),
                                   rtol=1e-14, atol=0)
    y, z = (torch.tensor(a) for a in label_data(np.random.default_rng(13)))
    torch.testing.assert_close(lft.FocalLoss(gamma=0.0)(z, y), F.binary_cross_entropy_with_logits(z, y),
                               rtol=1e-14, atol=0)


def test_extreme_inputs_stay_finite():
    z = torch.tensor([1e4, -1e4, 1e4, -1e4, 30.0], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.3], dtype=torch.float64)
    out = lft.FocalLoss(gamma=0.5, reduction="none")(z, y)
    out.sum().backward()
    expected = focal(y.numpy(), z.detach().numpy(), gamma=0.5, from_logits=True, reduction="none")
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    assert out[2].item() == pytest.approx(1e4, rel=1e-12)  # confidently wrong: cost = the logit
    assert torch.isfinite(z.grad).all()
    r = torch.tensor([1e300, -1e300, 800.0, 0.0], dtype=torch.float64, requires_grad=True)
    lc = lft.LogCoshLoss(reduction="none")(r, torch.zeros(4, dtype=torch.float64))
    lc.sum().backward()
    np.testing.assert_allclose(lc.detach().numpy(), [1e300, 1e300, 800.0 - np.log(2.0), 0.0], rtol=1e-15)
    np.testing.assert_array_equal(r.grad.numpy(), [1.0, -1.0, 1.0, 0.0])


def test_float32_inputs_stay_float32():
    y_true, y_pred = (torch.tensor(a, dtype=torch.float32) for a in real_data(np.random.default_rng(14)))
    out = lft.HuberLoss()(y_pred, y_true.numpy())  # a NumPy target is converted to the prediction's dtype
    assert out.dtype == torch.float32
    assert out.item() == pytest.approx(huber(y_true.numpy(), y_pred.numpy()), rel=1e-6)


def test_a_model_trains_with_each_loss():
    torch.manual_seed(0)
    x = torch.randn(32, 3)
    targets = {
        "huber": torch.randn(32, 1), "log_cosh": torch.randn(32, 1), "quantile": torch.randn(32, 1),
        "focal": (torch.rand(32, 1) < 0.5).float(), "dice": (torch.rand(32, 1) < 0.5).float(),
        "contrastive": (torch.rand(32, 1) < 0.5).float(),
    }
    losses = {"huber": lft.HuberLoss(), "log_cosh": lft.LogCoshLoss(), "quantile": lft.QuantileLoss(q=0.7),
              "focal": lft.FocalLoss(), "dice": lft.DiceLoss(), "contrastive": lft.ContrastiveLoss()}
    heads = {"dice": torch.sigmoid, "contrastive": F.softplus}
    for name, loss in losses.items():
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        head = heads.get(name, lambda v: v)
        first = loss(head(model(x)), targets[name]).item()
        for _ in range(20):
            opt.zero_grad()
            loss(head(model(x)), targets[name]).backward()
            opt.step()
        assert loss(head(model(x)), targets[name]).item() < first, name


def test_bad_parameters_and_shapes_raise_clear_errors():
    with pytest.raises(ValueError, match=r"^HuberLoss: delta must lie in \(0, inf\), got 0.0$"):
        lft.HuberLoss(delta=0.0)
    with pytest.raises(ValueError, match=r"^QuantileLoss: q must lie in \(0, 1\), got 1.0$"):
        lft.QuantileLoss(q=1.0)
    with pytest.raises(ValueError, match=r"^FocalLoss: gamma must lie in \[0, inf\), got -1.0$"):
        lft.FocalLoss(gamma=-1.0)
    with pytest.raises(ValueError, match=r"^FocalLoss: alpha must lie in \[0, 1\], got 1.5$"):
        lft.FocalLoss(alpha=1.5)
    with pytest.raises(ValueError, match=r"^DiceLoss: smooth must lie in \[0, inf\), got -1.0$"):
        lft.DiceLoss(smooth=-1.0)
    with pytest.raises(ValueError, match=r"^ContrastiveLoss: margin must lie in \[0, inf\), got -0.5$"):
        lft.ContrastiveLoss(margin=-0.5)
    with pytest.raises(ValueError, match=r"^LogCoshLoss: reduction must be one of 'mean', 'sum', 'none', got 'avg'"):
        lft.LogCoshLoss(reduction="avg")
    with pytest.raises(ValueError, match=r"^HuberLoss: y_true has shape \(4, 1\) but y_pred has shape \(4,\)$"):
        lft.HuberLoss()(torch.zeros(4), torch.zeros(4, 1))
    with pytest.raises(ValueError, match=r"^ContrastiveLoss: y_same has shape \(3,\) but distance has shape \(2,\)$"):
        lft.ContrastiveLoss()(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match=r"^DiceLoss: y_pred must have a batch axis and at least one more"):
        lft.DiceLoss()(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match=r"^DiceLoss: item 1 has an empty mask and an empty prediction \(0/0\)"):
        lft.DiceLoss(smooth=0.0)(torch.tensor([[0.5, 0.0], [0.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 0.0]]))


def test_modules_show_their_parameters():
    assert repr(lft.HuberLoss(delta=2.0)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert repr(lft.FocalLoss(alpha=0.25, reduction="sum")) == "FocalLoss(reduction='sum', gamma=2.0, alpha=0.25)"


def test_lossfns_torch_loads_lazily_on_first_use():
    import subprocess
    import sys

    import lossfns as lf

    assert lf.torch is lft
    code = ("import sys, lossfns; before = 'torch' in sys.modules; lossfns.torch.HuberLoss; "
            "print(before, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_integer_and_mixed_dtypes_compute_in_floats_with_the_exact_target(name):
    """Issue 23: an integer prediction used to round the target to integers (Huber of [1, 2] vs [0.5, 1.5]: 0.5)."""
    cls, kwargs, fn, _, np_kwargs, data = CASES[name]
    y_true, y_pred = data(np.random.default_rng(7))
    y_pred_int = np.round(y_pred)
    y_pred_int = np.clip(y_pred_int, 0, None) if name in ("dice", "contrastive") else y_pred_int
    y_pred_int = np.clip(y_pred_int, 0, 1) if name == "dice" else y_pred_int
    out = cls(**kwargs)(torch.tensor(y_pred_int.astype(np.int64)), torch.tensor(y_true))
    assert out.dtype == torch.float64  # promoted with the float64 target
    assert out.item() == pytest.approx(float(fn(y_true, y_pred_int, **np_kwargs)), rel=1e-12)
    both_int = cls(**kwargs)(torch.tensor(y_pred_int.astype(np.int64)), torch.tensor(y_true.astype(np.int64)))
    assert both_int.dtype == torch.get_default_dtype()
    assert lft.HuberLoss()(torch.tensor([1, 2]), torch.tensor([0.5, 1.5])).item() == pytest.approx(0.125)


def test_values_outside_the_domain_raise_like_the_numpy_functions():
    """Issue 23: the adapters returned nan or a negative Dice for labels and probabilities outside their domain."""
    cases = [
        (lambda: lft.FocalLoss()(torch.tensor([0.5]), torch.tensor([1.3])), focal, ([1.3], [0.5]),
         {"from_logits": True}, r"y_true must lie in \[0, 1\] \(labels or target probabilities\)"),
        (lambda: lft.DiceLoss()(torch.tensor([[1.5, 0.2]]), torch.tensor([[1.0, 0.0]])), dice,
         ([[1.0, 0.0]], [[1.5, 0.2]]), {}, r"y_pred must lie in \[0, 1\] \(probabilities\)"),
        (lambda: lft.DiceLoss()(torch.tensor([[0.5, 0.2]]), torch.tensor([[2.0, 0.0]])), dice,
         ([[2.0, 0.0]], [[0.5, 0.2]]), {}, r"y_true must lie in \[0, 1\] \(a mask\)"),
        (lambda: lft.ContrastiveLoss()(torch.tensor([-0.5]), torch.tensor([1.0])), contrastive, ([1.0], [-0.5]),
         {}, r"distance must lie in \[0, inf\) \(a distance\)"),
        (lambda: lft.ContrastiveLoss()(torch.tensor([0.5]), torch.tensor([0.5])), contrastive, ([0.5], [0.5]),
         {}, r"y_same must hold labels in \{0, 1\} \(1 = similar pair\), got 0.5"),
    ]
    for call, numpy_fn, args, kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
        with pytest.raises(ValueError, match=message):  # the same words as the NumPy function
            numpy_fn(*args, **kwargs)
