"""lossfns.regularization: L1, L2, elastic-net penalties, their (sub)gradients and proximal operators."""
import numpy as np
import pytest

import lossfns as lf

W = np.array([[3.0, -4.0], [0.0, 0.5]])  # |w|: 3 + 4 + 0 + 0.5 = 7.5; w^2: 9 + 16 + 0 + 0.25 = 25.25


@pytest.fixture(scope="module")
def regression():
    """A sparse linear regression problem (no intercept): 3 of 8 coefficients are non-zero."""
    rng = np.random.default_rng(0)
    n, d = 80, 8
    X = rng.normal(size=(n, d))
    y = X @ np.array([2.0, -1.5, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]) + rng.normal(scale=0.5, size=n)
    return X, y


def sklearn_objective(X, y, w, alpha, l1_ratio):
    """scikit-learn's ElasticNet objective, with the penalty term from lossfns."""
    return 0.5 / len(y) * np.sum((y - X @ w) ** 2) + alpha * lf.elastic_net_penalty(w, l1_ratio=l1_ratio)


def proximal_gradient(X, y, alpha, l1_ratio, steps=5000):
    """ISTA on (1/2n)||y - Xw||^2 + alpha * elastic_net_penalty(w), step 1/Lipschitz."""
    n = len(y)
    step = 1.0 / np.linalg.eigvalsh(X.T @ X / n).max()
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        grad = X.T @ (X @ w - y) / n
        w = lf.prox_elastic_net(w - step * grad, step, alpha=alpha, l1_ratio=l1_ratio)
    return w


# --- values ------------------------------------------------------------------------------------


def test_penalties_match_a_hand_computation():
    assert lf.l1_penalty(W) == 7.5
    assert lf.l2_penalty(W) == 25.25  # no factor 1/2
    # scikit-learn: l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2
    assert lf.elastic_net_penalty(W, l1_ratio=0.3) == pytest.approx(0.3 * 7.5 + 0.35 * 25.25, rel=1e-15)
    assert lf.elastic_net_penalty(W) == pytest.approx(0.5 * 7.5 + 0.25 * 25.25, rel=1e-15)  # default 0.5
    for value in (lf.l1_penalty(W), lf.l2_penalty(W), lf.elastic_net_penalty(W)):
        assert type(value) is np.float64


def test_elastic_net_endpoints_are_l1_and_half_l2():
    assert lf.elastic_net_penalty(W, l1_ratio=1.0) == lf.l1_penalty(W)
    assert lf.elastic_net_penalty(W, l1_ratio=0.0) == 0.5 * lf.l2_penalty(W)
    np.testing.assert_array_equal(lf.elastic_net_penalty_grad(W, l1_ratio=1.0), lf.l1_penalty_grad(W))
    np.testing.assert_array_equal(lf.elastic_net_penalty_grad(W, l1_ratio=0.0), 0.5 * lf.l2_penalty_grad(W))


def test_gradients_match_a_hand_computation():
    np.testing.assert_array_equal(lf.l1_penalty_grad(W), [[1.0, -1.0], [0.0, 1.0]])
    np.testing.assert_array_equal(lf.l2_penalty_grad(W), [[6.0, -8.0], [0.0, 1.0]])
    np.testing.assert_allclose(
        lf.elastic_net_penalty_grad(W, l1_ratio=0.25), [[0.25 + 2.25, -0.25 - 3.0], [0.0, 0.25 + 0.375]], rtol=1e-15
    )


def test_scalars_lists_and_float32_are_accepted_and_inputs_never_modified():
    assert lf.l1_penalty(-2) == 2.0 and lf.l2_penalty(-2) == 4.0
    assert lf.l2_penalty([[1, 2], [3, 4]]) == 30.0
    w32 = W.astype(np.float32)
    assert lf.l2_penalty(w32) == 25.25
    w = W.copy()
    for f in (lf.l1_penalty, lf.l1_penalty_grad, lf.l2_penalty, lf.l2_penalty_grad, lf.elastic_net_penalty,
              lf.elastic_net_penalty_grad, lambda v: lf.soft_threshold(v, 1.0), lambda v: lf.prox_elastic_net(v, 1.0)):
        f(w)
        np.testing.assert_array_equal(w, W)
    assert lf.l2_penalty_grad(W).shape == W.shape and lf.soft_threshold(W, 1.0).shape == W.shape


def test_penalties_are_not_registry_losses_but_are_exported():
    assert not {"l1_penalty", "l2_penalty", "elastic_net_penalty"} & set(lf.registry.names())
    assert lf.l1_penalty is lf.regularization.l1_penalty
    for name in ("l1_penalty", "l1_penalty_grad", "l2_penalty", "l2_penalty_grad", "elastic_net_penalty",
                 "elastic_net_penalty_grad", "soft_threshold", "prox_elastic_net"):
        assert name in lf.__all__


# --- gradients -----------------------------------------------------------------------------------


@pytest.mark.parametrize("l1_ratio", [0.0, 0.2, 0.5, 1.0])
def test_gradients_match_finite_differences_away_from_zero(l1_ratio):
    rng = np.random.default_rng(1)
    w = rng.normal(size=(4, 3))
    w += 0.2 * np.sign(w)  # |w| >= 0.2: no kink within the difference step
    assert lf.gradcheck(lf.l1_penalty, lf.l1_penalty_grad, w)
    assert lf.gradcheck(lf.l2_penalty, lf.l2_penalty_grad, w)
    assert lf.gradcheck(
        lambda v: lf.elastic_net_penalty(v, l1_ratio=l1_ratio),
        lambda v: lf.elastic_net_penalty_grad(v, l1_ratio=l1_ratio),
        w,
    )


def test_the_l1_subgradient_at_zero_is_zero_and_lies_between_the_one_sided_derivatives():
    h = 1e-3
    right = (lf.l1_penalty(h) - lf.l1_penalty(0.0)) / h
    left = (lf.l1_penalty(0.0) - lf.l1_penalty(-h)) / h
    assert (left, right) == (-1.0, 1.0)
    assert left <= lf.l1_penalty_grad(0.0) <= right
    np.testing.assert_array_equal(lf.l1_penalty_grad([0.0, -0.0, 1e-300, -1e-300]), [0.0, 0.0, 1.0, -1.0])
    np.testing.assert_array_equal(lf.elastic_net_penalty_grad([0.0, 0.0], l1_ratio=0.7), [0.0, 0.0])


def test_l1_subgradient_at_zero_matches_torch_autograd_of_abs():
    torch = pytest.importorskip("torch")
    w = torch.tensor([0.0, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    w.abs().sum().backward()
    np.testing.assert_array_equal(lf.l1_penalty_grad([0.0, -1.5, 2.0]), w.grad.numpy())


# --- proximal operators ---------------------------------------------------------------------------


def test_soft_threshold_matches_the_closed_form_and_gives_exact_positive_zeros():
    w = np.array([3.0, -0.5, 0.2, -2.0, 1.0, -1.0, 0.0])
    out = lf.soft_threshold(w, 1.0)
    np.testing.assert_array_equal(out, [2.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0])
    assert not np.signbit(out[out == 0]).any()  # no -0.0 printed in the chapter
    np.testing.assert_array_equal(lf.soft_threshold(w, 0.0), w)
    np.testing.assert_array_equal(lf.soft_threshold(w, 10.0), np.zeros_like(w))


def test_soft_threshold_matches_torch_softshrink():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(2).normal(scale=2.0, size=50)
    expected = torch.nn.functional.softshrink(torch.tensor(w), lambd=0.7).numpy()
    np.testing.assert_allclose(lf.soft_threshold(w, 0.7), expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("w", [-2.3, -0.4, 0.0, 0.25, 0.9, 3.1])
@pytest.mark.parametrize("t", [0.0, 0.3, 1.0])
def test_soft_threshold_is_the_argmin_of_the_prox_objective(w, t):
    grid = np.linspace(-5.0, 5.0, 200_001)  # spacing 5e-5
    objective = 0.5 * (grid - w) ** 2 + t * np.abs(grid)
    assert lf.soft_threshold(w, t) == pytest.approx(grid[np.argmin(objective)], abs=5e-5)


@pytest.mark.parametrize("w", [-2.3, -0.2, 0.6, 3.1])
@pytest.mark.parametrize(("step", "alpha", "l1_ratio"), [(0.5, 1.0, 0.5), (1.0, 2.0, 0.2), (0.3, 1.0, 1.0)])
def test_prox_elastic_net_is_the_argmin_of_its_objective(w, step, alpha, l1_ratio):
    grid = np.linspace(-5.0, 5.0, 200_001)
    penalty = l1_ratio * np.abs(grid) + 0.5 * (1.0 - l1_ratio) * grid**2  # elementwise, written out by hand
    objective = 0.5 * (grid - w) ** 2 + step * alpha * penalty
    assert lf.prox_elastic_net(w, step, alpha=alpha, l1_ratio=l1_ratio) == pytest.approx(
        grid[np.argmin(objective)], abs=5e-5
    )


def test_prox_elastic_net_with_l1_ratio_one_is_soft_thresholding():
    w = np.linspace(-3.0, 3.0, 13)
    np.testing.assert_array_equal(lf.prox_elastic_net(w, 0.5, alpha=2.0, l1_ratio=1.0), lf.soft_threshold(w, 1.0))
    np.testing.assert_array_equal(lf.prox_elastic_net(w, 0.0, alpha=2.0), w)  # a zero step moves nothing


# --- scikit-learn's conventions ---------------------------------------------------------------------


@pytest.mark.parametrize(("alpha", "l1_ratio"), [(0.1, 0.5), (0.3, 1.0), (0.2, 0.1)])
def test_proximal_gradient_reaches_sklearn_elastic_net(regression, alpha, l1_ratio):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = regression
    ref = linear_model.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14, max_iter=100_000)
    ref.fit(X, y)
    w = proximal_gradient(X, y, alpha, l1_ratio)
    np.testing.assert_allclose(w, ref.coef_, atol=1e-8)
    np.testing.assert_array_equal(w == 0, ref.coef_ == 0)  # the same variables are dropped, exactly
    assert (w == 0).sum() >= 2


def test_sklearn_elastic_net_solution_minimises_the_objective_built_from_our_penalty(regression):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = regression
    alpha, l1_ratio = 0.5, 0.3
    ref = linear_model.ElasticNet(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=False, tol=1e-14, max_iter=100_000)
    coef = ref.fit(X, y).coef_
    steps = [h * e for e in np.eye(len(coef)) for h in (1e-4, -1e-4)]
    best = sklearn_objective(X, y, coef, alpha, l1_ratio)
    assert all(sklearn_objective(X, y, coef + step, alpha, l1_ratio) > best for step in steps)

    def without_half(w):  # the same penalty with Σw² instead of Σw²/2: its minimiser lies elsewhere
        return 0.5 / len(y) * np.sum((y - X @ w) ** 2) + alpha * (
            l1_ratio * lf.l1_penalty(w) + (1 - l1_ratio) * lf.l2_penalty(w)
        )

    assert any(without_half(coef + step) < without_half(coef) for step in steps)  # so this test can fail


def test_kkt_conditions_of_sklearn_lasso_use_the_l1_subgradient(regression):
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = regression
    alpha = 0.2
    coef = linear_model.Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=100_000).fit(X, y).coef_
    smooth_grad = X.T @ (X @ coef - y) / len(y)
    active = coef != 0
    np.testing.assert_allclose(smooth_grad[active] + alpha * lf.l1_penalty_grad(coef)[active], 0.0, atol=1e-9)
    assert np.all(np.abs(smooth_grad[~active]) <= alpha + 1e-9)  # 0 is in the subdifferential there


# --- bad input -------------------------------------------------------------------------------------------

ALL = {
    "l1_penalty": lf.l1_penalty,
    "l1_penalty_grad": lf.l1_penalty_grad,
    "l2_penalty": lf.l2_penalty,
    "l2_penalty_grad": lf.l2_penalty_grad,
    "elastic_net_penalty": lf.elastic_net_penalty,
    "elastic_net_penalty_grad": lf.elastic_net_penalty_grad,
    "soft_threshold": lambda w: lf.soft_threshold(w, 0.5),
    "prox_elastic_net": lambda w: lf.prox_elastic_net(w, 0.5),
}


@pytest.mark.parametrize("name", list(ALL))
def test_bad_weights_raise_errors_naming_the_function_and_argument(name):
    f = ALL[name]
    with pytest.raises(ValueError, match=rf"^{name}: w contains 1 NaN or infinite"):
        f([1.0, np.nan])
    with pytest.raises(ValueError, match=rf"^{name}: w contains 1 NaN or infinite"):
        f([np.inf, 1.0])
    with pytest.raises(TypeError, match=rf"^{name}: w must be numeric"):
        f("1.0")
    with pytest.raises(TypeError, match=rf"^{name}: w must be numeric"):
        f(np.array(["a", "b"]))
    with pytest.raises(ValueError, match=rf"^{name}: w is empty"):
        f([])


@pytest.mark.parametrize("f", [lf.elastic_net_penalty, lf.elastic_net_penalty_grad,
                               lambda w, l1_ratio: lf.prox_elastic_net(w, 1.0, l1_ratio=l1_ratio)])
def test_l1_ratio_outside_zero_one_is_rejected(f):
    for bad in (-0.1, 1.5, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"l1_ratio must lie in \[0, 1\]"):
            f([1.0], l1_ratio=bad)
    with pytest.raises(TypeError, match="l1_ratio must be a real number"):
        f([1.0], l1_ratio="0.5")


def test_negative_or_non_finite_thresholds_steps_and_alphas_are_rejected():
    for bad in (-1.0, -1e-12, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"^soft_threshold: threshold must lie in \[0, inf\)"):
            lf.soft_threshold([1.0], bad)
        with pytest.raises(ValueError, match=r"^prox_elastic_net: step must lie in \[0, inf\)"):
            lf.prox_elastic_net([1.0], bad)
        with pytest.raises(ValueError, match=r"^prox_elastic_net: alpha must lie in \[0, inf\)"):
            lf.prox_elastic_net([1.0], 1.0, alpha=bad)
    with pytest.raises(TypeError, match="threshold must be a real number"):
        lf.soft_threshold([1.0], None)
    with pytest.raises(TypeError, match="threshold must be a real number"):
        lf.soft_threshold([1.0], [0.5])
