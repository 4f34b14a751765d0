"""Issue 23: inputs where a loss returned NaN or inf although its true value is finite, and torch tensors that
require grad passed to the NumPy API. Each case states the true value."""
import numpy as np
import pytest

import lossfns as lf

CASES = [
    # (what, computed, true value)
    ("tukey at r = 0 with c = 1e200", lambda: lf.tukey([0.0], [0.0], c=1e200), 0.0),
    ("tukey at r = 1e100 with c = 1e200 (r^2/2 (1 - ...))", lambda: lf.tukey([0.0], [1e100], c=1e200), 0.5e200),
    ("contrastive, similar pair, margin 1e200", lambda: lf.contrastive([1.0], [0.5], margin=1e200), 0.25),
    ("gaussian_nll of a residual 1e200 with variance 1e200", lambda: lf.gaussian_nll([0.0], [1e200], [1e200]),
     0.5 * (np.log(1e200) + 1e200)),
    ("categorical CE from logits 1e308, 0, -1e308 with target (.5, .5, 0)",
     lambda: lf.categorical_cross_entropy([[0.5, 0.5, 0.0]], [[1e308, 0.0, -1e308]], from_logits=True), 0.5e308),
    ("mse of two errors 1.2e154 (the sum overflows, the mean does not)",
     lambda: lf.mse([0.0, 0.0], [1.2e154, 1.2e154]), 1.2e154**2),
    ("msle of a prediction 1e308 for 0 (log1p(1e308)^2)", lambda: lf.msle([0.0], [1e308]), np.log(1e308) ** 2),
    ("msle of a prediction 1e-150 for 0 (log(1 + x) rounds it away)", lambda: lf.msle([0.0], [1e-150]), 1e-300),
    ("Bayes threshold of costs 1e308", lambda: lf.decision.bayes_threshold([[0, 1e308], [1e308, 0]]), 0.5),
]


@pytest.mark.parametrize(("what", "computed", "true"), CASES, ids=[c[0] for c in CASES])
def test_finite_true_values_come_out_finite_and_right(what, computed, true):
    with np.errstate(all="ignore"):  # intermediate underflows (exp of -1e308) are harmless
        value = computed()
    assert np.isfinite(value) and value == pytest.approx(true, rel=1e-14), what


def test_the_gradients_at_the_same_extremes():
    # contrastive: 2d for the similar pair, -2 (m - d) for the dissimilar one
    np.testing.assert_allclose(lf.contrastive_grad([1.0, 0.0], [0.5, 0.5], margin=1e200, reduction="none"),
                               [1.0, -2e200], rtol=1e-15)
    # Dice at an empty mask and prediction with smooth = 1e-300: d/dp = (1 - 2y) / s per pixel
    np.testing.assert_allclose(lf.dice_grad([[0.0, 0.0]], [[0.0, 0.0]], smooth=1e-300), [[1e300, 1e300]], rtol=1e-15)
    d_mean, d_var = lf.gaussian_nll_grad([0.0], [1e200], [1e200])
    np.testing.assert_allclose(d_mean, [1.0], rtol=1e-15)
    np.testing.assert_allclose(d_var, [0.5 / 1e200 * (1 - 1e200)], rtol=1e-15)  # (1 - r^2/v) / 2v = -0.5
    # msle at the edge of its domain: 2 log1p(p) / (1 + p) at p = -1 + 2**-52 is -2 * 52 log 2 * 2**52
    np.testing.assert_allclose(lf.msle_grad([0.0], [-1.0 + 2.0**-52]), [-104 * np.log(2.0) * 2.0**52], rtol=1e-15)
    # the true overflow stays inf: tukey beyond c = 1e200 is c^2 / 6
    with np.errstate(over="ignore"):
        assert lf.tukey([0.0], [2e200], c=1e200) == np.inf


def test_torch_tensors_that_require_grad_are_read_as_their_values():
    torch = pytest.importorskip("torch")
    pred = torch.tensor([0.5, 2.0], dtype=torch.float64, requires_grad=True)
    assert lf.mse([0.0, 0.0], pred) == pytest.approx(2.125)
    assert lf.huber_grad(torch.zeros(2, requires_grad=True), pred, reduction="none").tolist() == [0.5, 1.0]
    assert lf.info_nce(torch.eye(2, requires_grad=True), torch.eye(2), temperature=1.0) == pytest.approx(
        np.log1p(np.exp(-1.0)))
    assert pred.grad is None  # nothing was differentiated behind the caller's back


# --- issue 23, H5: tiny embeddings and huge CTC log-probabilities, against exact (mpmath) references -------------


def _cosine_grad_reference(y, a, b, margin, eps):
    """d loss / d a and d b of PyTorch's definition, cos = a.b / sqrt((|a|^2 + eps)(|b|^2 + eps)), in 50 digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    out_a, out_b = np.zeros_like(a), np.zeros_like(b)
    for i, (yi, ai, bi) in enumerate(zip(y, a, b, strict=True)):
        av, bv = [mpmath.mpf(float(x)) for x in ai], [mpmath.mpf(float(x)) for x in bi]
        na, nb = sum(x * x for x in av) + eps, sum(x * x for x in bv) + eps
        cos = sum(x * z for x, z in zip(av, bv, strict=True)) / mpmath.sqrt(na * nb)
        sign = -1 if yi == 1 else (1 if cos > margin else 0)
        out_a[i] = [float(sign * (z / mpmath.sqrt(na * nb) - cos * x / na)) for x, z in zip(av, bv, strict=True)]
        out_b[i] = [float(sign * (x / mpmath.sqrt(na * nb) - cos * z / nb)) for x, z in zip(av, bv, strict=True)]
    return out_a, out_b


@pytest.mark.parametrize("scale", [1e-150, 1e-160, 1e-170, 1e-250, 1e-300, 1e-310])
def test_cosine_embedding_grad_of_tiny_vectors_is_not_zero(scale):
    # was 0 below about 1e-162 (eps / s^2 overflowed) and wrong in the 5th digit from 1e-155 (s^2 subnormal);
    # with PyTorch's eps the true gradient of a tiny pair is about b / eps: 1e-158 at 1e-170, not 0 and not 1 / |a|
    from lossfns.embedding import COSINE_EPS

    y = np.array([1.0, 0.0, 1.0, 0.0])
    a = np.array([[3.0, 4.0], [1.0, 2.0], [3.0, 4.0], [1e-3, 2.0]]) * [[scale], [scale], [1.0], [scale]]
    b = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 2.0], [0.5, 1.0]]) * [[scale], [scale], [scale], [1.0]]
    d_a, d_b = lf.cosine_embedding_grad(y, a, b, margin=-0.5, reduction="none")
    ref_a, ref_b = _cosine_grad_reference(y, a, b, -0.5, COSINE_EPS)
    assert np.all(ref_a[[0, 1, 3]] != 0.0)  # the case is the one the issue describes
    for ours, ref in ((d_a, ref_a), (d_b, ref_b)):
        np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=0.0)


def _ctc_reference(labels, log_probs):
    """-log sum over the alignments of prod p, and the posterior of each (frame, class), by enumerating paths."""
    mpmath = pytest.importorskip("mpmath")
    import itertools

    mpmath.mp.dps = 60
    T, C = log_probs.shape
    weights, total = np.zeros((T, C), dtype=object), mpmath.mpf(0)
    for path in itertools.product(range(C), repeat=T):
        collapsed = [c for i, c in enumerate(path) if c != 0 and (i == 0 or c != path[i - 1])]
        if collapsed != list(labels):
            continue
        w = mpmath.exp(sum(mpmath.mpf(float(log_probs[t, c])) for t, c in enumerate(path)))
        total += w
        for t, c in enumerate(path):
            weights[t, c] += w
    posterior = np.array([[float(w / total) for w in row] for row in weights])
    return float(-mpmath.log(total)), posterior


@pytest.mark.parametrize("scale", [1.0, 1e10, 1e16, 1e18, 1e19, 1e300])
@pytest.mark.parametrize("kind", ["uniform", "random"])
def test_ctc_grad_at_huge_log_probabilities(scale, kind):
    # alpha + beta - log p(l|x) cancelled to within rounding: at 1e18 the "posteriors" were e^2, at 1e19 inf and NaN
    rng = np.random.default_rng(int(np.log10(scale)))
    lp = -scale * (np.ones((4, 3)) if kind == "uniform" else rng.uniform(0.0, 2.0, size=(4, 3)))
    loss = lf.ctc([[1, 2]], lp[:, None, :], [4], [2], reduction="sum")
    grad = lf.ctc_grad([[1, 2]], lp[:, None, :], [4], [2], reduction="sum")[:, 0, :]
    ref_loss, ref_posterior = _ctc_reference([1, 2], lp)
    assert loss == pytest.approx(ref_loss, rel=1e-14)
    np.testing.assert_allclose(-grad, ref_posterior, rtol=0, atol=1e-14)


# --- the speed work of issue 23 may not move a value: blocks sum as NumPy sums -------------------------------------


@pytest.mark.parametrize("n", [1, 7, 129, 2**15 - 1, 2**15 + 1, 5 * 2**15 + 3, 10**6])
def test_blocked_losses_are_the_full_array_losses_bit_for_bit(n):
    from lossfns._validation import blocked_sum

    rng = np.random.default_rng(n)
    x = rng.normal(size=n) * np.exp(rng.normal(scale=10.0, size=n))
    assert blocked_sum(lambda v, out: np.copyto(out, v), (x,)) == np.add.reduce(x)
    y, y_hat = rng.normal(size=n), rng.normal(scale=3.0, size=n)
    abs_r = np.abs(y_hat - y)
    a = np.minimum(abs_r, 1.5)
    assert lf.huber(y, y_hat, delta=1.5) == np.mean(0.5 * (a * a) + 1.5 * (abs_r - a))
    labels, z = rng.integers(0, 2, size=n).astype(float), rng.normal(scale=5.0, size=n)
    L = np.log1p(np.exp(-np.abs(z)))
    full = labels * (L - np.minimum(z, 0.0)) + (1.0 - labels) * (np.maximum(z, 0.0) + L)
    assert lf.binary_cross_entropy(labels, z, from_logits=True) == np.mean(full)


def test_bce_gradient_from_logits_to_an_ulp():
    # sigma(z) - y from one exponential: 3.2e-16 relative at most against 64-bit-mantissa long double, where the
    # earlier exp(min(z, 0) - log1p(exp(-|z|))) amplified the rounding of its argument (3.7e-15 at |z| ~ 33)
    if np.finfo(np.longdouble).eps > 1e-18:
        pytest.skip("needs an extended-precision long double")
    z = np.concatenate([np.linspace(-40.0, 40.0, 2001), [-700.0, 700.0, 0.0]])
    for y in (0.0, 1.0):
        labels = np.full(z.shape, y)
        zl = z.astype(np.longdouble)
        exact = (1 - y) / (1 + np.exp(-zl)) - y / (1 + np.exp(zl))
        ours = lf.binary_cross_entropy_grad(labels, z, from_logits=True, reduction="none")
        np.testing.assert_allclose(ours, exact.astype(np.float64), rtol=4e-16, atol=0.0)
