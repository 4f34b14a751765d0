"""lossfns.preference: Bradley-Terry and DPO against torch autograd of the usual code, minimisers, extremes."""
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import lossfns as lf

torch = pytest.importorskip("torch")
F = torch.nn.functional


def leaf(x):
    return torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64, requires_grad=True)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bradley_terry_is_bce_with_logits_on_the_reward_gap(reduction):
    rng = np.random.default_rng(0)
    rc, rr = rng.normal(size=(4, 3)) * 3, rng.normal(size=(4, 3)) * 3
    tc, tr = leaf(rc), leaf(rr)
    theirs = F.binary_cross_entropy_with_logits(tc - tr, torch.ones_like(tc), reduction=reduction)
    theirs.backward()
    assert lf.bradley_terry(rc, rr, reduction=reduction) == pytest.approx(theirs.item(), rel=1e-13)
    for ours, t in zip(lf.bradley_terry_grad(rc, rr, reduction=reduction), (tc, tr), strict=True):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-12, atol=1e-16)
    assert lf.bradley_terry(rc + 7.0, rr + 7.0) == pytest.approx(lf.bradley_terry(rc, rr), rel=1e-14)  # shift-free


@pytest.mark.parametrize("beta", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_dpo_equals_the_authors_formula_in_torch(beta, reduction):
    rng = np.random.default_rng(1)
    pc, pr, rc, rr = (-rng.uniform(5, 80, size=6) for _ in range(4))
    tc, tr = leaf(pc), leaf(pr)
    margin = beta * ((tc - torch.tensor(rc)) - (tr - torch.tensor(rr)))
    theirs = -F.logsigmoid(margin)
    theirs = theirs.mean() if reduction == "mean" else theirs.sum()
    theirs.backward()
    assert lf.dpo(pc, pr, rc, rr, beta=beta, reduction=reduction) == pytest.approx(theirs.item(), rel=1e-13)
    for ours, t in zip(lf.dpo_grad(pc, pr, rc, rr, beta=beta, reduction=reduction), (tc, tr), strict=True):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-12, atol=1e-16)


def test_dpo_is_bradley_terry_on_beta_log_ratios_and_log_2_at_the_reference():
    rng = np.random.default_rng(2)
    pc, pr, rc, rr = (-rng.uniform(1, 50, size=5) for _ in range(4))
    for beta in (0.05, 0.5):
        np.testing.assert_allclose(lf.dpo(pc, pr, rc, rr, beta=beta, reduction="none"),
                                   lf.bradley_terry(beta * (pc - rc), beta * (pr - rr), reduction="none"),
                                   rtol=1e-14)
        assert lf.dpo(rc, rr, rc, rr, beta=beta) == pytest.approx(np.log(2), rel=1e-15)


def test_long_responses_keep_the_digits_of_small_ratios():
    """Log-probabilities of -1e6 with ratios of 1e-3: forming each ratio first keeps them exact."""
    ref_c, ref_r = -1e6, -1.2e6
    pc, pr = ref_c + 0.003, ref_r - 0.001
    got = lf.dpo([pc], [pr], [ref_c], [ref_r], beta=1.0)
    m = (pc - ref_c) - (pr - ref_r)  # exact here: each difference is exact (Sterbenz)
    assert got == pytest.approx(np.log1p(np.exp(-m)), rel=1e-15)


def test_extreme_gaps_give_the_limits():
    assert lf.bradley_terry([1e308], [-1e308]) == 0.0  # the gap overflows to +inf: the loss of a sure win
    assert lf.bradley_terry([-1e308], [1e308]) == np.inf  # the true loss 2e308 exceeds float64
    assert lf.bradley_terry([800.0], [0.0]) == 0.0 and lf.bradley_terry([0.0], [800.0]) == 800.0
    d_c, d_r = lf.bradley_terry_grad([0.0, 800.0, -800.0], [0.0, 0.0, 0.0], reduction="none")
    np.testing.assert_array_equal(d_c, [-0.5, 0.0, -1.0])
    np.testing.assert_array_equal(d_r, [0.5, 0.0, 1.0])
    # margins of 2e300 times beta = 1e-300: m = 2
    assert lf.dpo([-1e-300], [-1e300], [-1e300], [-1e-300], beta=1e-300) == pytest.approx(np.log1p(np.exp(-2.0)),
                                                                                         rel=1e-14)


def test_the_minimiser_is_the_log_odds_of_the_preference():
    """Registry text: the expected loss over preferences with P(chosen wins) = p is least at the gap logit(p)."""
    for p in (0.55, 0.8, 0.97):
        def expected(gap, p=p):
            return p * lf.bradley_terry([gap], [0.0]) + (1 - p) * lf.bradley_terry([0.0], [gap])

        best = minimize_scalar(expected, bounds=(-10, 10), method="bounded", options={"xatol": 1e-10}).x
        assert best == pytest.approx(np.log(p / (1 - p)), abs=1e-6)
        beta = 0.2

        def expected_dpo(ratio, p=p, beta=beta):
            return (p * lf.dpo([-10.0 + ratio], [-10.0], [-10.0], [-10.0], beta=beta)
                    + (1 - p) * lf.dpo([-10.0], [-10.0 + ratio], [-10.0], [-10.0], beta=beta))

        best = minimize_scalar(expected_dpo, bounds=(-9, 9.9), method="bounded", options={"xatol": 1e-10}).x
        assert best == pytest.approx(np.log(p / (1 - p)) / beta, abs=1e-5) or best > 9.8  # clipped by log p <= 0


def test_positive_log_probabilities_are_refused_by_name():
    with pytest.raises(ValueError, match=r"^dpo: ref_rejected must lie in \(-inf, 0\] \(log-probabilities"):
        lf.dpo([-1.0], [-2.0], [-1.0], [0.5])
    with pytest.raises(ValueError, match=r"^dpo_grad: beta must lie in \(0, inf\)"):
        lf.dpo_grad([-1.0], [-2.0], [-1.0], [-2.0], beta=0.0)
