"""lossfns.distillation: against PyTorch's kl_div on softened log-probabilities, the T^2 factor, extremes."""
import numpy as np
import pytest
from scipy.optimize import minimize

import lossfns as lf

torch = pytest.importorskip("torch")
F = torch.nn.functional


def logits(seed=0, n=5, k=4, scale=3.0):
    rng = np.random.default_rng(seed)
    return scale * rng.normal(size=(n, k)), scale * rng.normal(size=(n, k))


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 8.0])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_equals_torch_kl_div_batchmean_times_t_squared(temperature, reduction):
    t, s = logits(1)
    leaf = torch.tensor(s, requires_grad=True)
    log_q = F.log_softmax(leaf / temperature, dim=-1)
    log_p = F.log_softmax(torch.tensor(t) / temperature, dim=-1)
    theirs = temperature**2 * F.kl_div(log_q, log_p, log_target=True,
                                       reduction="batchmean" if reduction == "mean" else "sum")
    theirs.backward()
    assert lf.distillation(t, s, temperature=temperature, reduction=reduction) == pytest.approx(theirs.item(),
                                                                                                 rel=1e-12)
    np.testing.assert_allclose(lf.distillation_grad(t, s, temperature=temperature, reduction=reduction),
                               leaf.grad.numpy(), rtol=1e-10, atol=1e-15)
    # kl_div's own "mean" divides by the number of elements, not rows: k times smaller
    with pytest.warns(UserWarning, match="batchmean"):  # torch warns about exactly this
        mean_all = temperature**2 * F.kl_div(log_q, log_p, log_target=True, reduction="mean").item()
    if reduction == "mean":
        assert mean_all == pytest.approx(theirs.item() / t.shape[1], rel=1e-12)


def test_the_t_squared_factor_keeps_the_gradient_scale():
    """Without T^2 the gradient shrinks like 1/T^2 for small logit gaps; with it, it tends to (s - t) / k."""
    t, s = logits(2, scale=0.05)
    k = t.shape[1]
    limit = ((s - s.mean(1, keepdims=True)) - (t - t.mean(1, keepdims=True))) / k / t.shape[0]
    for temperature in (10.0, 100.0, 1000.0):
        g = lf.distillation_grad(t, s, temperature=temperature)
        np.testing.assert_allclose(g, limit, rtol=3 / temperature, atol=1e-12)
        assert np.max(np.abs(g / temperature**2)) < np.max(np.abs(limit)) / temperature**2 * 1.1


def test_zero_when_the_student_agrees_up_to_a_constant_and_never_negative():
    t, s = logits(3)
    assert lf.distillation(t, t) == 0.0
    np.testing.assert_allclose(lf.distillation(t, t + np.arange(5)[:, None], reduction="none"), 0.0, atol=1e-15)
    assert np.all(lf.distillation(t, s, reduction="none") > 0)


def test_extreme_logits_and_temperatures():
    t = np.array([[1e308, 0.0, -1e308]])
    s = np.array([[1e308, -1e308, 0.0]])
    assert lf.distillation(t, s, temperature=1.0) == 0.0  # the teacher's mass is all on class 0, as the student's
    assert np.all(lf.distillation_grad(t, s, temperature=1.0) == 0.0)
    t, s = logits(4)
    for temperature in (1e-300, 1e300):
        assert np.isfinite(lf.distillation(t, s, temperature=temperature))
        assert np.all(np.isfinite(lf.distillation_grad(t, s, temperature=temperature)))
    # T -> inf: T^2 KL -> Var_p(s - t) / 2 with p uniform, and the gradient -> (w - mean w) / k per row
    w = (s - t) - (s - t).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(lf.distillation(t, s, temperature=1e300, reduction="none"),
                               np.mean(w**2, axis=1) / 2, rtol=1e-13)
    np.testing.assert_allclose(lf.distillation_grad(t, s, temperature=1e300, reduction="sum"), w / t.shape[1],
                               rtol=1e-13)


@pytest.mark.parametrize("temperature", [1e2, 1e3, 3e3, 1e4, 1e5, 1e6, 1e8, 1e12])
def test_large_temperatures_keep_their_digits_across_the_series_switch(temperature):
    """Against 60-digit mpmath: the direct formula cancels for large T, the series takes over."""
    import mpmath as mp

    mp.mp.dps = 60
    t, s = logits(5, n=3, k=4)
    for i in range(3):
        T = mp.mpf(temperature)
        p = [mp.e ** (mp.mpf(v) / T) for v in t[i]]
        q = [mp.e ** (mp.mpf(v) / T) for v in s[i]]
        p = [v / sum(p) for v in p]
        q = [v / sum(q) for v in q]
        kl = T**2 * sum(a * mp.log(a / b) for a, b in zip(p, q, strict=True))
        grad = [T * (b - a) for a, b in zip(p, q, strict=True)]
        assert lf.distillation(t[i:i + 1], s[i:i + 1], temperature=temperature) == pytest.approx(float(kl), rel=1e-9)
        np.testing.assert_allclose(lf.distillation_grad(t[i:i + 1], s[i:i + 1], temperature=temperature)[0],
                                   [float(g) for g in grad], rtol=1e-9, atol=1e-12)
    # T -> 0 with distinct argmaxes: T^2 KL -> T (gap) -> 0 on rows where teacher and student agree on the top class
    assert lf.distillation([[3.0, 1.0, 0.0]], [[5.0, 0.0, 1.0]], temperature=1e-300) == 0.0


def test_the_minimiser_is_the_average_softened_teacher():
    """Registry text: with several teachers (one row each), the best single student matches their average."""
    teachers = np.array([[2.0, 0.0, -1.0], [0.0, 1.5, 0.5], [1.0, 1.0, 3.0]])
    temperature = 2.0

    def total(s):
        return lf.distillation(teachers, np.tile(s, (3, 1)), temperature=temperature)

    best = minimize(total, np.zeros(3), method="BFGS", options={"gtol": 1e-12}).x
    softened = np.exp(teachers / temperature)
    softened /= softened.sum(1, keepdims=True)
    q = np.exp(best / temperature) / np.exp(best / temperature).sum()
    np.testing.assert_allclose(q, softened.mean(0), atol=1e-6)
