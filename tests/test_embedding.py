"""lossfns.embedding against PyTorch, finite differences and hand computation, float64."""
import numpy as np
import pytest

import lossfns as lf
from lossfns import embedding as emb

torch = pytest.importorskip("torch")
F = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")


def torch_run(call, arrays: dict, wrt: tuple, reduction: str):
    """Value of ``call(**tensors, reduction=...)`` and the gradients of its sum (own derivatives for "none")."""
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in wrt) for k, v in arrays.items()}
    out = call(**tensors, reduction=reduction)
    out.sum().backward()
    return out.detach().numpy(), tuple(tensors[k].grad.numpy() for k in wrt)


@pytest.fixture(scope="module")
def triplets():
    """Anchors, positives near them and negatives from near to far, so some triplets are inside the margin."""
    rng = np.random.default_rng(0)
    anchor = rng.normal(size=(10, 5))
    positive = anchor + rng.normal(scale=0.5, size=(10, 5))
    negative = anchor + np.linspace(0.2, 4.0, 10)[:, None] * rng.normal(size=(10, 5))
    return anchor, positive, negative


@pytest.fixture(scope="module")
def pairs():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(8, 4))
    b = a + rng.normal(scale=1.2, size=(8, 4))
    return rng.choice([-1.0, 1.0], size=8), a, b


# --- contrastive ------------------------------------------------------------------


def test_contrastive_by_hand():
    # similar pairs pay d^2; dissimilar pairs pay (m - d)^2 while d < m
    y, d = [1, 1, 0, 0, 0], [0.0, 2.0, 0.5, 1.5, 3.0]
    np.testing.assert_allclose(emb.contrastive(y, d, margin=2.0, reduction="none"), [0.0, 4.0, 2.25, 0.25, 0.0])
    assert emb.contrastive(y, d, margin=2.0) == pytest.approx(6.5 / 5, rel=1e-15)
    np.testing.assert_allclose(emb.contrastive_grad(y, d, margin=2.0, reduction="sum"), [0.0, 4.0, -3.0, -1.0, 0.0])
    # bool labels are 0/1; margin 0: dissimilar pairs never cost anything
    np.testing.assert_array_equal(emb.contrastive([False, True], [0.2, 0.3], margin=0.0, reduction="none"), [0, 0.09])


@pytest.mark.parametrize("margin", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_contrastive_gradient_matches_finite_differences(margin, reduction):
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, size=(5, 3)).astype(float)
    d = rng.uniform(0.05, 2.5, size=(5, 3))
    d[np.abs(d - margin) < 0.05] += 0.1  # the loss is C^1 at d = m, but stay off it anyway
    result = lf.gradcheck(lambda p: emb.contrastive(y, p, margin=margin, reduction=reduction),
                          lambda p: emb.contrastive_grad(y, p, margin=margin, reduction=reduction), d)
    assert result, repr(result)


def test_contrastive_of_euclidean_distances_matches_a_torch_reimplementation():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    y = np.array([1, 0, 1, 0, 0, 1], dtype=float)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b)
    d = F.pairwise_distance(ta, tb, eps=0.0)
    ty = torch.tensor(y)
    out = (ty * d**2 + (1 - ty) * torch.clamp(1.5 - d, min=0) ** 2).mean()
    out.backward()
    dist = np.linalg.norm(a - b, axis=1)
    np.testing.assert_allclose(emb.contrastive(y, dist, margin=1.5), out.item(), rtol=1e-14)
    # chain rule: d loss / d a = d loss / d d * (a - b) / d
    chain = emb.contrastive_grad(y, dist, margin=1.5)[:, None] * (a - b) / dist[:, None]
    np.testing.assert_allclose(chain, ta.grad.numpy(), rtol=1e-13)


def test_contrastive_rejects_bad_input():
    with pytest.raises(ValueError, match=r"^contrastive: y_same must hold labels in \{0, 1\} \(1 = similar pair\), "
                                         r"got -1"):
        emb.contrastive([1, -1], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^contrastive_grad: y_same must hold labels in \{0, 1\}.*got 0.5"):
        emb.contrastive_grad([1, 0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match=r"^contrastive: distance must lie in \[0, inf\) \(a distance\), got 1 value"):
        emb.contrastive([1, 0], [0.5, -0.1])
    with pytest.raises(ValueError, match=r"^contrastive: margin must lie in \[0, inf\), got -1.0$"):
        emb.contrastive([1, 0], [0.5, 0.5], margin=-1.0)
    with pytest.raises(ValueError, match=r"^contrastive: distance has shape \(3,\) but y_same has shape \(2,\)"):
        emb.contrastive([1, 0], [0.5, 0.5, 0.5])


# --- triplet ------------------------------------------------------------------------

TRIPLET_CASES = [
    {},
    {"margin": 0.5},
    {"margin": 2.0, "p": 1.0},
    {"margin": 1.5, "p": 3.0},
    {"margin": 1.0, "swap": True},
    {"margin": 1.0, "eps": 0.0},
    {"margin": 3.0, "eps": 1e-3, "swap": True, "p": 1.5},
]


@pytest.mark.parametrize("kwargs", TRIPLET_CASES, ids=[str(k) for k in TRIPLET_CASES])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_matches_pytorch(kwargs, reduction, triplets):
    a, p, n = triplets
    names = ("anchor", "positive", "negative")
    torch_kwargs = {"p": 2.0, **kwargs}
    value, grads = torch_run(lambda **t: F.triplet_margin_loss(**t, **torch_kwargs),
                             dict(zip(names, triplets, strict=True)), names, reduction)
    ours = emb.triplet(a, p, n, **kwargs, reduction=reduction)
    assert 0 < np.count_nonzero(emb.triplet(a, p, n, **kwargs, reduction="none")) < len(a)  # both sides of the hinge
    np.testing.assert_allclose(ours, value, rtol=1e-13, atol=1e-15)
    for ours_g, theirs in zip(emb.triplet_grad(a, p, n, **kwargs, reduction=reduction), grads, strict=True):
        np.testing.assert_allclose(ours_g, theirs, rtol=1e-12, atol=1e-15)


def test_triplet_eps_is_inside_the_norm_as_in_pytorch():
    a, p, n = np.zeros((1, 4)), np.zeros((1, 4)), np.full((1, 4), 0.25)
    # d(a, p) = |0 + eps| * 2 = 2e-6 and d(a, n) = |-0.25 + eps| * 2
    expected = 1.0 + 2e-6 - 2 * (0.25 - 1e-6)
    assert emb.triplet(a, p, n) == pytest.approx(expected, rel=1e-15)
    assert emb.triplet(a, p, n, eps=0.0) == pytest.approx(0.5, rel=1e-15)
    # identical anchor and positive: eps keeps the distance, and its gradient, defined
    d_a, d_p, _ = emb.triplet_grad(a, p, n)
    np.testing.assert_allclose(d_p, -np.full((1, 4), 0.5), rtol=1e-12)  # -(eps/|eps|) / 2 per component
    with torch.no_grad():
        assert F.triplet_margin_loss(*(torch.tensor(x) for x in (a, p, n))).item() == pytest.approx(expected, 1e-15)


def test_triplet_swap_uses_the_harder_negative():
    a, p, n = np.array([[0.0, 0.0]]), np.array([[2.0, 0.0]]), np.array([[3.0, 0.0]])
    # d(a, p) = 2, d(a, n) = 3, d(p, n) = 1: with swap the negative distance is 1
    assert emb.triplet(a, p, n, margin=1.0, eps=0.0) == 0.0
    assert emb.triplet(a, p, n, margin=1.0, eps=0.0, swap=True) == 2.0
    d_a, d_p, d_n = emb.triplet_grad(a, p, n, margin=1.0, eps=0.0, swap=True)
    np.testing.assert_array_equal(d_a, [[-1.0, 0.0]])  # only d(a, p) depends on a
    np.testing.assert_array_equal(d_p, [[1.0 + 1.0, 0.0]])  # d(a, p) grows and d(p, n) shrinks as p moves right
    np.testing.assert_array_equal(d_n, [[-1.0, 0.0]])


@pytest.mark.parametrize("kwargs", TRIPLET_CASES, ids=[str(k) for k in TRIPLET_CASES])
def test_triplet_gradient_matches_finite_differences(kwargs, triplets):
    args = list(triplets)
    for k in range(3):
        def f(x, k=k):
            return emb.triplet(*(x if j == k else args[j] for j in range(3)), **kwargs, reduction="sum")

        def g(x, k=k):
            return emb.triplet_grad(*(x if j == k else args[j] for j in range(3)), **kwargs, reduction="sum")[k]

        result = lf.gradcheck(f, g, args[k])
        assert result, f"argument {k}: {result!r}"


def test_triplet_none_keeps_the_batch_shape_and_accepts_one_triplet():
    rng = np.random.default_rng(4)
    a, p, n = (rng.normal(size=(2, 3, 4)) for _ in range(3))
    assert emb.triplet(a, p, n, reduction="none").shape == (2, 3)
    assert emb.triplet_grad(a, p, n, reduction="none")[0].shape == (2, 3, 4)
    single = emb.triplet(a[0, 0], p[0, 0], n[0, 0], reduction="none")
    assert single.shape == () and single == emb.triplet(a, p, n, reduction="none")[0, 0]


def test_triplet_rejects_bad_input(triplets):
    a, p, n = triplets
    with pytest.raises(ValueError, match=r"^triplet: negative has shape \(10, 4\) but anchor has shape \(10, 5\)"):
        emb.triplet(a, p, n[:, :4])
    with pytest.raises(ValueError, match=r"^triplet: anchor must have an embedding axis"):
        emb.triplet(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=r"^triplet_grad: margin must lie in \[0, inf\), got -0.5$"):
        emb.triplet_grad(a, p, n, margin=-0.5)
    with pytest.raises(ValueError, match=r"^triplet: p must lie in \[1, inf\), got 0.5$"):
        emb.triplet(a, p, n, p=0.5)
    with pytest.raises(ValueError, match=r"^triplet: eps must lie in \[0, inf\), got -1e-06$"):
        emb.triplet(a, p, n, eps=-1e-6)
    with pytest.raises(TypeError, match=r"^triplet: swap must be True or False, got 1"):
        emb.triplet(a, p, n, swap=1)


def test_triplet_margin_zero_is_allowed_although_pytorch_refuses_it(triplets):
    a, p, n = triplets
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(*(torch.tensor(x) for x in triplets), margin=0.0)
    d_ap, d_an = np.linalg.norm(a - p + 1e-6, axis=1), np.linalg.norm(a - n + 1e-6, axis=1)
    np.testing.assert_allclose(emb.triplet(a, p, n, margin=0.0, reduction="none"), np.maximum(d_ap - d_an, 0.0))


# --- cosine embedding --------------------------------------------------------------


@pytest.mark.parametrize("margin", [-0.5, 0.0, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_matches_pytorch(margin, reduction, pairs):
    y, a, b = pairs
    value, grads = torch_run(lambda a, b, y, reduction: F.cosine_embedding_loss(a, b, y, margin=margin,
                                                                                 reduction=reduction),
                             {"a": a, "b": b, "y": y}, ("a", "b"), reduction)
    np.testing.assert_allclose(emb.cosine_embedding(y, a, b, margin=margin, reduction=reduction), value, rtol=1e-13)
    for ours, theirs in zip(emb.cosine_embedding_grad(y, a, b, margin=margin, reduction=reduction), grads,
                            strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_cosine_embedding_hits_both_sides_of_the_hinge(pairs):
    y, a, b = pairs
    cos = np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    negative = y < 0
    assert (cos[negative] > 0.0).any() and (cos[negative] < 0.0).any()


@pytest.mark.parametrize("margin", [-0.5, 0.0, 0.3])
def test_cosine_embedding_gradient_matches_finite_differences(margin, pairs):
    y, a, b = pairs
    for k, x in enumerate((a, b)):
        def f(v, k=k):
            return emb.cosine_embedding(y, *((v, b) if k == 0 else (a, v)), margin=margin, reduction="sum")

        def g(v, k=k):
            return emb.cosine_embedding_grad(y, *((v, b) if k == 0 else (a, v)), margin=margin, reduction="sum")[k]

        result = lf.gradcheck(f, g, x)
        assert result, f"argument {k}: {result!r}"


def test_cosine_embedding_eps_tiny_zero_and_huge_vectors():
    y = np.array([1.0, 1.0, -1.0])
    a = np.array([[1e-7, 0.0], [0.0, 0.0], [1e200, 1e200]])
    b = np.array([[1e-7, 0.0], [1.0, 2.0], [1e200, -5e199]])
    ours = emb.cosine_embedding(y, a, b, reduction="none")
    with torch.no_grad():
        theirs = F.cosine_embedding_loss(torch.tensor(a[:2]), torch.tensor(b[:2]), torch.tensor(y[:2]),
                                         reduction="none").numpy()
    # |a|^2 = 1e-14 is comparable to eps: cos = 1e-14 / (1e-14 + eps); a zero vector has cos 0.
    # PyTorch's eps is 1e-12 rounded to float32 (even in float64): exactly 1e-12 would be 4e-11 off here.
    eps = float(np.float32(1e-12))
    assert eps != 1e-12 and emb.COSINE_EPS == eps
    np.testing.assert_allclose(ours[:2], [1.0 - 1e-14 / (1e-14 + eps), 1.0], rtol=1e-15)
    np.testing.assert_allclose(ours[:2], theirs, rtol=1e-15)
    assert abs(ours[0] - (1.0 - 1e-14 / (1e-14 + 1e-12))) > 1e-11
    # huge embeddings: the true cosine of (1, 1) and (1, -0.5) is 0.5 / (sqrt 2 sqrt 1.25)
    np.testing.assert_allclose(ours[2], 0.5 / np.sqrt(2.0 * 1.25), rtol=1e-14)
    assert np.isfinite(emb.cosine_embedding_grad(y, a, b, reduction="none")[0]).all()


def test_cosine_embedding_reads_zero_labels_as_dissimilar_where_pytorch_ignores_them(pairs):
    y, a, b = pairs
    zero_one = (y > 0).astype(float)
    np.testing.assert_array_equal(emb.cosine_embedding(zero_one, a, b, reduction="none"),
                                  emb.cosine_embedding(y, a, b, reduction="none"))
    with torch.no_grad():
        torch_zero = F.cosine_embedding_loss(torch.tensor(a), torch.tensor(b), torch.tensor(zero_one),
                                             reduction="none").numpy()
    assert (torch_zero[zero_one == 0] == 0.0).all()  # PyTorch: a 0 label silently costs nothing


def test_cosine_embedding_rejects_bad_input(pairs):
    y, a, b = pairs
    with pytest.raises(ValueError, match=r"^cosine_embedding: a has shape \(8,\) but y_same has shape \(8,\); "
                                         r"a must have shape y_same.shape \+ \(d,\)"):
        emb.cosine_embedding(y, a[:, 0], b)
    with pytest.raises(ValueError, match=r"^cosine_embedding_grad: b has shape \(7, 4\) but y_same has shape \(8,\)"):
        emb.cosine_embedding_grad(y, a, b[:7])
    with pytest.raises(ValueError, match=r"^cosine_embedding: b has shape \(8, 3\) but a has shape \(8, 4\)"):
        emb.cosine_embedding(y, a, b[:, :3])
    with pytest.raises(ValueError, match=r"^cosine_embedding: y_same must hold labels in \{-1, \+1\} or in \{0, 1\}"):
        emb.cosine_embedding(np.where(y > 0, 1.0, 2.0), a, b)
    with pytest.raises(ValueError, match=r"^cosine_embedding: margin must lie in \[-1, 1\], got 1.5$"):
        emb.cosine_embedding(y, a, b, margin=1.5)


@pytest.mark.parametrize("name", ["triplet", "cosine_embedding"])
def test_registry_calls_match_pytorch(name, triplets, pairs):
    from frameworks import positional_names, torch_value_and_grads

    record = lf.registry.get(name)
    assert record.keras is None and record.chapter == "04_deep_learning_losses"
    args = triplets if name == "triplet" else pairs
    names = positional_names(record.fn)
    wrt = names if name == "triplet" else names[1:]
    value, grads = torch_value_and_grads(record.torch, dict(zip(names, args, strict=True)), wrt)
    np.testing.assert_allclose(record.fn(*args), value, rtol=1e-13)
    for ours, theirs in zip(record.grad(*args), grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_triplet_is_finite_for_huge_embeddings():
    # Found by benchmarks/accuracy.py: squaring entries of 1e160 overflowed, and inf - inf gave NaN.
    # By hand (eps = 0): |a - p| = 2e160, |a - n| = |(0, -1e160)| = 1e160, so the loss is 1 + 2e160 - 1e160 = 1e160;
    # its gradient is (a - p)/|a - p| - (a - n)/|a - n| = (1, 0) - (0, -1) for a, -(1, 0) for p, (0, -1) for n.
    a, p, n = [[1e160, 0.0]], [[-1e160, 0.0]], [[1e160, 1e160]]
    np.testing.assert_allclose(emb.triplet(a, p, n, eps=0.0), 1e160, rtol=1e-15)
    d_a, d_p, d_n = emb.triplet_grad(a, p, n, eps=0.0)
    np.testing.assert_allclose(d_a, [[1.0, 1.0]], rtol=1e-15)
    np.testing.assert_allclose(d_p, [[-1.0, 0.0]], rtol=1e-15)
    np.testing.assert_allclose(d_n, [[0.0, -1.0]], rtol=1e-15)
    tiny = emb.triplet([[3e-200, 0.0]], [[0.0, 4e-200]], [[0.0, 0.0]], margin=0.0, eps=0.0, reduction="none")
    np.testing.assert_allclose(tiny, [5e-200 - 3e-200], rtol=1e-15)  # |a - p| = 5e-200 no longer underflows to 0


# --- margin ranking ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("margin", [0.0, 0.7, -0.3])
def test_margin_ranking_matches_torch_value_and_gradients(reduction, margin):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(46)
    y, x1, x2 = rng.choice([-1.0, 1.0], size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    t1, t2 = (torch.tensor(a, requires_grad=True) for a in (x1, x2))
    theirs = torch.nn.functional.margin_ranking_loss(t1, t2, torch.tensor(y), margin=margin, reduction=reduction)
    theirs.sum().backward()
    np.testing.assert_allclose(lf.margin_ranking(y, x1, x2, margin=margin, reduction=reduction),
                               theirs.detach().numpy(), rtol=1e-14)
    g1, g2 = lf.margin_ranking_grad(y, x1, x2, margin=margin, reduction=reduction)
    np.testing.assert_allclose(g1, t1.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(g2, t2.grad.numpy(), rtol=1e-14)


def test_margin_ranking_sees_only_score_differences():
    rng = np.random.default_rng(47)
    y, x1, x2 = rng.choice([-1.0, 1.0], size=20), rng.normal(size=20), rng.normal(size=20)
    base = lf.margin_ranking(y, x1, x2, margin=0.5, reduction="none")
    np.testing.assert_allclose(lf.margin_ranking(y, x1 + 100.0, x2 + 100.0, margin=0.5, reduction="none"), base,
                               atol=1e-13)
    np.testing.assert_array_equal(lf.margin_ranking(-y, x2, x1, margin=0.5, reduction="none"), base)  # swap
    assert lf.margin_ranking([1.0], [2.0], [0.5], margin=1.0) == 0.0  # right way round by 1.5 >= 1
    assert lf.margin_ranking([-1.0], [2.0], [0.5], margin=1.0) == 2.5
