"""lossfns.probabilistic (gaussian_nll) against PyTorch, SciPy and hand computation, float64."""
import numpy as np
import pytest
from frameworks import positional_names, torch_value_and_grads

import lossfns as lf

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.fixture(scope="module")
def data():
    """Targets, means, and variances of which some lie below the default clamp 1e-6 (and one is exactly 0)."""
    rng = np.random.default_rng(3)
    y_true = rng.normal(size=(5, 4))
    mean = y_true + rng.normal(scale=0.5, size=(5, 4))
    var = rng.uniform(0.05, 3.0, size=(5, 4))
    var[0, :3] = [0.0, 1e-9, 5e-7]
    return y_true, mean, var


def torch_gaussian(y_true, mean, var, reduction, **kwargs):
    m = torch.tensor(mean, requires_grad=True)
    v = torch.tensor(var, requires_grad=True)
    out = F.gaussian_nll_loss(m, torch.tensor(y_true), v, reduction=reduction, **kwargs)  # torch: mean first
    out.backward(torch.ones_like(out))
    return out.detach().numpy(), m.grad.numpy(), v.grad.numpy()


def test_hand_computed_values():
    # y = 0, mean = 1, var = 4: 1/2 (log 4 + 1/4) ; full adds 1/2 log(2 pi)
    assert lf.gaussian_nll([0.0], [1.0], [4.0]) == pytest.approx(0.5 * (np.log(4.0) + 0.25), rel=1e-15)
    full = 0.5 * (np.log(4.0) + 0.25) + 0.5 * np.log(2 * np.pi)
    assert lf.gaussian_nll([0.0], [1.0], [4.0], full=True) == pytest.approx(full, rel=1e-15)
    d_mean, d_var = lf.gaussian_nll_grad([0.0], [1.0], [4.0])
    np.testing.assert_allclose(d_mean, [1.0 / 4.0], rtol=1e-15)  # (mean - y) / var
    np.testing.assert_allclose(d_var, [0.5 * (1 / 4 - 1 / 16)], rtol=1e-15)  # 1/(2 var) - (y - mean)^2 / (2 var^2)


def test_full_is_the_gaussian_negative_log_density():
    stats = pytest.importorskip("scipy.stats")
    y, mean, var = np.array([0.3, -2.0, 5.0]), np.array([0.0, 1.0, 4.0]), np.array([0.5, 2.0, 9.0])
    expected = -stats.norm.logpdf(y, loc=mean, scale=np.sqrt(var))
    np.testing.assert_allclose(lf.gaussian_nll(y, mean, var, full=True, reduction="none"), expected, rtol=1e-14)


@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("eps", [1e-6, 0.1])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_values_and_both_gradients_match_pytorch(full, eps, reduction, data):
    y_true, mean, var = data
    value, d_mean_t, d_var_t = torch_gaussian(y_true, mean, var, reduction, full=full, eps=eps)
    kwargs = {"full": full, "eps": eps, "reduction": reduction}
    np.testing.assert_allclose(lf.gaussian_nll(y_true, mean, var, **kwargs), value, rtol=1e-14)
    d_mean, d_var = lf.gaussian_nll_grad(y_true, mean, var, **kwargs)
    np.testing.assert_allclose(d_mean, d_mean_t, rtol=1e-14)
    np.testing.assert_allclose(d_var, d_var_t, rtol=1e-14)


def test_small_variances_are_clamped_to_eps_and_the_gradient_passes_straight_through(data):
    y_true, mean, var = data
    eps = 1e-6
    clamped = np.maximum(var, eps)
    per = lf.gaussian_nll(y_true, mean, var, eps=eps, reduction="none")
    np.testing.assert_array_equal(per[0, :3], lf.gaussian_nll(y_true, mean, clamped, reduction="none")[0, :3])
    # the loss is flat in var below eps, yet (like torch, which clamps under no_grad) the var gradient there is
    # the derivative at eps, not 0: a collapsed variance is still pushed back up
    _, d_var = lf.gaussian_nll_grad(y_true, mean, var, eps=eps, reduction="none")
    r2 = (y_true - mean)[0, :3] ** 2
    np.testing.assert_allclose(d_var[0, :3], 0.5 / eps - 0.5 * r2 / eps**2, rtol=1e-14)
    assert np.all(d_var[0, :3] != 0)
    *_, d_var_t = torch_gaussian(y_true, mean, var, "none", eps=eps)
    np.testing.assert_allclose(d_var[0, :3], d_var_t[0, :3], rtol=1e-14)


def test_registry_call_matches_pytorch(data):
    record = lf.registry.get("gaussian_nll")
    assert record.family == "probabilistic" and record.keras is None
    y_true, mean, var = data
    inputs = dict(zip(positional_names(record.fn), data, strict=True))
    assert list(inputs) == ["y_true", "mean", "var"]
    value, (d_mean, d_var) = torch_value_and_grads(record.torch, inputs, ("mean", "var"))
    np.testing.assert_allclose(record.fn(y_true, mean, var), value, rtol=1e-13)
    ours = record.grad(y_true, mean, var)
    np.testing.assert_allclose(ours[0], d_mean, rtol=1e-13)
    np.testing.assert_allclose(ours[1], d_var, rtol=1e-13)


def test_both_gradients_match_finite_differences_away_from_the_clamp():
    rng = np.random.default_rng(5)
    y, mean, var = rng.normal(size=6), rng.normal(size=6), rng.uniform(0.2, 2.0, size=6)
    for reduction in ("mean", "sum"):
        for full in (False, True):
            kw = {"reduction": reduction, "full": full}
            assert lf.gradcheck(lambda m, kw=kw: lf.gaussian_nll(y, m, var, **kw),
                                lambda m, kw=kw: lf.gaussian_nll_grad(y, m, var, **kw)[0], mean)
            assert lf.gradcheck(lambda v, kw=kw: lf.gaussian_nll(y, mean, v, **kw),
                                lambda v, kw=kw: lf.gaussian_nll_grad(y, mean, v, **kw)[1], var)


def test_the_best_variance_is_the_squared_error():
    y, mean = np.array([0.0, 1.0]), np.array([2.0, 0.5])
    best = (y - mean) ** 2
    _, d_var = lf.gaussian_nll_grad(y, mean, best, reduction="none")
    np.testing.assert_allclose(d_var, 0.0, atol=1e-15)
    for factor in (0.9, 1.1):
        assert lf.gaussian_nll(y, mean, best * factor) > lf.gaussian_nll(y, mean, best)


def test_negative_variance_and_broadcast_variance_are_rejected_like_pytorch_does_for_negatives():
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(torch.zeros(2), torch.zeros(2), torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match=r"^gaussian_nll: var must lie in \[0, inf\) \(a variance\), got 1 value"):
        lf.gaussian_nll([0.0, 0.0], [0.0, 0.0], [1.0, -1.0])
    with pytest.raises(ValueError, match=r"^gaussian_nll_grad: var has shape \(\) but y_true has shape \(2,\)"):
        lf.gaussian_nll_grad([0.0, 0.0], [0.0, 0.0], 1.0)
    with pytest.raises(ValueError, match=r"^gaussian_nll: mean has shape \(3,\) but y_true has shape \(2,\)"):
        lf.gaussian_nll([0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0])


def test_zero_variance_and_huge_errors_stay_finite():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = lf.gaussian_nll([0.0, 1e150], [0.0, -1e150], [0.0, 1.0], reduction="none")
        d_mean, d_var = lf.gaussian_nll_grad([0.0], [0.0], [0.0])
    assert value[0] == pytest.approx(0.5 * np.log(1e-6), rel=1e-15)
    assert value[1] == pytest.approx(0.5 * 4e300, rel=1e-15)
    assert d_mean == 0.0 and d_var == pytest.approx(0.5e6, rel=1e-15)
