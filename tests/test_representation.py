"""lossfns.representation: InfoNCE (CLIP) and NT-Xent against torch autograd of the usual code, and at extremes."""
import numpy as np
import pytest

import lossfns as lf

torch = pytest.importorskip("torch")
F = torch.nn.functional


def leaf(x):
    return torch.tensor(np.asarray(x, dtype=float), dtype=torch.float64, requires_grad=True)


def pairs(seed=0, n=6, d=4):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=(n, d))


def torch_info_nce(a, b, tau, symmetric, normalize, reduction):
    ua, ub = (F.normalize(a, dim=-1), F.normalize(b, dim=-1)) if normalize else (a, b)
    logits = ua @ ub.T / tau
    labels = torch.arange(a.shape[0])
    loss = F.cross_entropy(logits, labels, reduction="none")
    if symmetric:
        loss = 0.5 * (loss + F.cross_entropy(logits.T, labels, reduction="none"))
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


def torch_nt_xent(a, b, tau, reduction):
    z = F.normalize(torch.cat([a, b]), dim=-1)
    n2 = z.shape[0]
    logits = (z @ z.T / tau).masked_fill(torch.eye(n2, dtype=torch.bool), float("-inf"))
    loss = F.cross_entropy(logits, (torch.arange(n2) + n2 // 2) % n2, reduction="none")
    return {"mean": loss.mean(), "sum": loss.sum(), "none": loss}[reduction]


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("tau", [0.05, 0.5, 3.0])
def test_info_nce_equals_torch_cross_entropy_over_similarities(symmetric, normalize, reduction, tau):
    a, b = pairs(1)
    ta, tb = leaf(a), leaf(b)
    theirs = torch_info_nce(ta, tb, tau, symmetric, normalize, reduction)
    theirs.backward()
    kw = {"temperature": tau, "symmetric": symmetric, "normalize": normalize, "reduction": reduction}
    assert lf.info_nce(a, b, **kw) == pytest.approx(theirs.item(), rel=1e-13)
    d_a, d_b = lf.info_nce_grad(a, b, **kw)
    np.testing.assert_allclose(d_a, ta.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(d_b, tb.grad.numpy(), rtol=1e-10, atol=1e-13)
    ours_none = lf.info_nce(a, b, temperature=tau, symmetric=symmetric, normalize=normalize, reduction="none")
    # absolute: torch's log-sum-exp rounds log(1 + 1e-10) to a few digits; ours keeps them (log1p)
    np.testing.assert_allclose(ours_none, torch_info_nce(ta, tb, tau, symmetric, normalize, "none").detach().numpy(),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0])
def test_nt_xent_equals_torch_with_the_diagonal_masked(reduction, tau):
    a, b = pairs(2, n=5, d=3)
    ta, tb = leaf(a), leaf(b)
    theirs = torch_nt_xent(ta, tb, tau, reduction)
    theirs.backward()
    assert lf.nt_xent(a, b, temperature=tau, reduction=reduction) == pytest.approx(theirs.item(), rel=1e-13)
    d_a, d_b = lf.nt_xent_grad(a, b, temperature=tau, reduction=reduction)
    np.testing.assert_allclose(d_a, ta.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(d_b, tb.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_leading_axes_are_independent_batches():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(2, 3, 4, 5))
    for fn, grad in ((lf.info_nce, lf.info_nce_grad), (lf.nt_xent, lf.nt_xent_grad)):
        whole = fn(a, b, reduction="none")
        assert whole.shape == (2, 3, 4 if fn is lf.info_nce else 8)
        gw = grad(a, b, reduction="sum")
        for i in range(2):
            for j in range(3):
                np.testing.assert_allclose(whole[i, j], fn(a[i, j], b[i, j], reduction="none"), rtol=1e-14)
                np.testing.assert_allclose(gw[0][i, j], grad(a[i, j], b[i, j], reduction="sum")[0], rtol=1e-13)


def test_scaling_an_embedding_changes_nothing_and_the_gradient_has_no_radial_part():
    a, b = pairs(4)
    for scale in (1e-300, 1e-150, 1e150, 1e300):
        assert lf.info_nce(a * scale, b * scale) == pytest.approx(lf.info_nce(a, b), rel=1e-14)
        assert lf.nt_xent(a * scale, b) == pytest.approx(lf.nt_xent(a, b), rel=1e-14)
        d_a, _ = lf.info_nce_grad(a * scale, b)
        np.testing.assert_allclose(d_a * scale, lf.info_nce_grad(a, b)[0], rtol=1e-12, atol=1e-300)
    d_a, d_b = lf.info_nce_grad(a, b)
    np.testing.assert_allclose(np.sum(d_a * a, axis=-1), 0.0, atol=1e-15)
    np.testing.assert_allclose(np.sum(d_b * b, axis=-1), 0.0, atol=1e-15)


def test_extreme_temperatures_stay_finite_and_reach_their_limits():
    a, b = pairs(5, n=4)
    s = (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (b / np.linalg.norm(b, axis=1, keepdims=True)).T
    # tau -> 0: the loss of anchor i tends to (max_j s_ij - s_ii) / tau, the gap to its hardest negative
    for tau in (1e-8, 1e-300):
        per = lf.info_nce(a, b, temperature=tau, reduction="none")
        np.testing.assert_allclose(per * tau, s.max(axis=1) - np.diag(s), rtol=1e-6, atol=1e-300)
        for g in lf.info_nce_grad(a, b, temperature=tau) + lf.nt_xent_grad(a, b, temperature=tau):
            assert np.all(np.isfinite(g))
    # tau -> inf: every similarity looks alike, the loss tends to log n and the gradient to 0
    assert lf.info_nce(a, b, temperature=1e300) == pytest.approx(np.log(4), rel=1e-12)
    assert lf.nt_xent(a, b, temperature=1e300) == pytest.approx(np.log(7), rel=1e-12)
    assert np.max(np.abs(lf.info_nce_grad(a, b, temperature=1e300)[0])) < 1e-299


def test_the_docstring_bounds_hold_and_one_pair_costs_nothing():
    rng = np.random.default_rng(6)
    for n in (2, 8, 64):
        a, b = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
        for tau in (0.1, 1.0):
            per = lf.info_nce(a, b, temperature=tau, reduction="none")
            assert np.all(per >= np.log1p((n - 1) * np.exp(-2 / tau)) - 1e-12)
            assert np.all(per <= np.log(n) + 2 / tau + 1e-12)
    one = rng.normal(size=(1, 3))
    assert lf.info_nce(one, -one) == 0.0 and lf.nt_xent(one, -one) == 0.0


def test_zero_rows_and_overflowing_dot_products_are_refused_by_name():
    a, b = pairs(7, n=3)
    a[1] = 0.0
    with pytest.raises(ValueError, match=r"^info_nce: anchors has a zero embedding \(row 1\)"):
        lf.info_nce(a, b)
    with pytest.raises(ValueError, match=r"^nt_xent_grad: z_a has a zero embedding \(row 1\)"):
        lf.nt_xent_grad(a, b)
    with pytest.raises(ValueError, match=r"^info_nce_grad: positives has a zero embedding \(row 1\)"):
        lf.info_nce_grad(b, a)
    lf.info_nce(a, b, normalize=False)  # a zero row is fine for dot products
    big = pairs(8, n=3)[0] * 1e200
    with pytest.raises(ValueError, match=r"^info_nce: the similarities of anchors and positives divided by "):
        lf.info_nce(big, big, normalize=False)
    with pytest.raises(ValueError, match=r"^info_nce: anchors must have shape \(\.\.\., n, d\)"):
        lf.info_nce([1.0, 2.0], [1.0, 2.0])


def test_batch_size_sets_the_ceiling_log_n():
    """With random (useless) embeddings the loss is about log n: more negatives make the task harder."""
    rng = np.random.default_rng(9)
    for n in (4, 32, 256):
        a, b = rng.normal(size=(n, 16)), rng.normal(size=(n, 16))
        assert abs(lf.info_nce(a, b, temperature=10.0) - np.log(n)) < 0.02
