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
