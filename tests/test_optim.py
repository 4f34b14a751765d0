"""lossfns.optim: gradient descent and Newton's method on least squares and beyond."""
import numpy as np
import pytest

import lossfns as lf


@pytest.fixture(scope="module")
def problem():
    """A random least-squares problem with an intercept column; reference solution from np.linalg.lstsq."""
    rng = np.random.default_rng(0)
    n = 60
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.uniform(-2.0, 2.0, size=n)])
    y = X @ np.array([0.5, -1.0, 2.0]) + rng.normal(scale=0.3, size=n)
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    lam = np.linalg.eigvalsh(2.0 / n * X.T @ X)  # hand-written Hessian, not lossfns'
    return X, y, w_star, lam


def least_squares(X, y):
    return (lambda w: lf.mse(y, X @ w)), (lambda w: X.T @ lf.mse_grad(y, X @ w))


def test_mse_hessian_is_two_over_n_xtx_and_matches_torch_autograd(problem):
    torch = pytest.importorskip("torch")
    X, y, _, _ = problem
    H = lf.mse_hessian(X)
    np.testing.assert_allclose(H, 2.0 / len(X) * X.T @ X, rtol=1e-14)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    w0 = torch.zeros(3, dtype=torch.float64)
    H_torch = torch.autograd.functional.hessian(lambda w: ((Xt @ w - yt) ** 2).mean(), w0)
    np.testing.assert_allclose(H, H_torch.numpy(), rtol=1e-13)


def test_gradient_descent_reaches_the_least_squares_solution(problem):
    X, y, w_star, lam = problem
    loss, grad = least_squares(X, y)
    result = lf.gradient_descent(loss, grad, np.zeros(3), lr=1.0 / lam.max(), steps=2000)
    np.testing.assert_allclose(result.w, w_star, rtol=1e-9, atol=1e-10)
    assert not result.diverged
    assert result.path.shape == (2001, 3) and result.losses.shape == (2001,)
    np.testing.assert_array_equal(result.path[0], np.zeros(3))
    np.testing.assert_array_equal(result.path[-1], result.w)
    assert np.all(np.diff(result.losses) <= 1e-15)  # below 2/lambda_max a quadratic's loss never rises
    assert result.losses[-1] == pytest.approx(loss(w_star), rel=1e-12)


def test_the_learning_rate_threshold_is_two_over_the_largest_eigenvalue(problem):
    X, y, _, lam = problem
    loss, grad = least_squares(X, y)
    below = lf.gradient_descent(loss, grad, np.zeros(3), lr=1.95 / lam.max(), steps=400)
    above = lf.gradient_descent(loss, grad, np.zeros(3), lr=2.05 / lam.max(), steps=400)
    assert below.losses[-1] < 1e-3 * below.losses[0] + loss(np.linalg.lstsq(X, y, rcond=None)[0])
    assert above.losses[-1] > 1e3 * above.losses[0]
    # the error along the top eigenvector is multiplied by |1 - lr * lambda_max| > 1 at every step
    ratios = above.losses[-50:] / above.losses[-51:-1]
    np.testing.assert_allclose(ratios, (1 - 2.05) ** 2, rtol=1e-3)


def test_a_diverging_run_stops_at_the_first_non_finite_step(problem):
    X, y, _, lam = problem
    loss, grad = least_squares(X, y)
    with np.errstate(all="raise"):  # no overflow warning escapes to the reader
        result = lf.gradient_descent(loss, grad, np.zeros(3), lr=50.0 / lam.max(), steps=10_000)
    assert result.diverged
    assert 10 < result.steps < 10_000 and len(result.losses) == len(result.path) == result.steps + 1
    assert np.isfinite(result.path).all() and np.isfinite(result.losses).all()
    assert "diverged" in repr(result)


def test_newton_solves_least_squares_in_one_step(problem):
    X, y, w_star, _ = problem
    loss, grad = least_squares(X, y)
    w0 = np.array([10.0, -7.0, 3.0])
    result = lf.newton(loss, grad, lambda w: lf.mse_hessian(X), w0)
    assert result.path.shape == (2, 3)
    np.testing.assert_allclose(result.w, w_star, rtol=1e-12, atol=1e-13)
    # gradient descent with the best fixed rate is still far away after one step
    lam = np.linalg.eigvalsh(lf.mse_hessian(X))
    one_gd_step = lf.gradient_descent(loss, grad, w0, lr=2.0 / (lam.min() + lam.max()), steps=1)
    assert np.linalg.norm(one_gd_step.w - w_star) > 0.1


def test_newton_converges_quadratically_on_a_smooth_convex_loss():
    # mean log cosh(x_i w - y_i) over w in R^2 is not quadratic, so Newton needs several steps
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(40), rng.normal(size=40)])
    y = X @ np.array([1.0, -0.5]) + rng.normal(scale=0.5, size=40)

    def loss(w):
        return lf.log_cosh(y, X @ w)

    def grad(w):
        return X.T @ lf.log_cosh_grad(y, X @ w)

    def hess(w):
        sech2 = 1.0 / np.cosh(X @ w - y) ** 2  # d tanh / dr, written out by hand
        return X.T @ (sech2[:, None] * X) / len(y)

    start = np.linalg.lstsq(X, y, rcond=None)[0]  # Newton is local: start inside the basin
    result = lf.newton(loss, grad, hess, start, steps=6)
    errors = [np.linalg.norm(grad(w)) for w in result.path]
    assert errors[-1] < 1e-15
    k = next(i for i, e in enumerate(errors) if e < 1e-3)
    assert errors[k + 1] < 10 * errors[k] ** 2  # the number of correct digits doubles
    # from w = 0 the pure step overshoots into the flat, linear part of log cosh, where the Hessian vanishes
    with np.errstate(over="ignore"), pytest.raises(ValueError, match=r"^newton: the Hessian at step \d+ is singular"):
        lf.newton(loss, grad, hess, np.zeros(2), steps=20)


def test_works_for_any_parameter_shape_and_never_modifies_w0():
    target = np.array([[1.0, 2.0], [3.0, 4.0]])
    w0 = np.zeros((2, 2))
    result = lf.gradient_descent(lambda w: float(((w - target) ** 2).sum()), lambda w: 2 * (w - target), w0,
                                 lr=0.25, steps=3)
    assert result.path.shape == (4, 2, 2)
    np.testing.assert_allclose(result.w, target * (1 - 0.5**3))  # each step halves the distance
    np.testing.assert_array_equal(w0, np.zeros((2, 2)))
    zero = lf.newton(lambda w: float(w @ w), lambda w: 2 * w, lambda w: 2 * np.eye(2), [1.0, 1.0], steps=0)
    assert zero.steps == 0 and zero.path.shape == (1, 2) and zero.losses.tolist() == [2.0]


def test_damped_newton_takes_a_fraction_of_the_step():
    result = lf.newton(lambda w: float(w @ w), lambda w: 2 * w, lambda w: 2 * np.eye(2), [4.0, -2.0], lr=0.5, steps=2)
    np.testing.assert_allclose(result.path, [[4.0, -2.0], [2.0, -1.0], [1.0, -0.5]])


def quad():
    return (lambda w: float(w @ w)), (lambda w: 2 * w), (lambda w: 2 * np.eye(w.size))


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"lr": 0.0}, ValueError, r"^gradient_descent: lr must lie in \(0, inf\), got 0.0$"),
    ({"lr": -0.1}, ValueError, r"^gradient_descent: lr must lie in \(0, inf\), got -0.1$"),
    ({"lr": np.nan}, ValueError, r"lr must lie in \(0, inf\), got nan"),
    ({"lr": "0.1"}, TypeError, r"^gradient_descent: lr must be a real number, got str"),
    ({"steps": -1}, ValueError, r"^gradient_descent: steps must be an integer in \[0, inf\), got -1$"),
    ({"steps": 2.5}, TypeError, r"^gradient_descent: steps must be an integer, got float 2.5$"),
    ({"steps": True}, TypeError, r"^gradient_descent: steps must be an integer, got bool"),
])
def test_gradient_descent_argument_errors(kwargs, error, message):
    loss, grad, _ = quad()
    with pytest.raises(error, match=message):
        lf.gradient_descent(loss, grad, [1.0, 2.0], **({"lr": 0.1, "steps": 3} | kwargs))


def test_wrong_shapes_and_bad_starting_points_are_clear_errors():
    loss, grad, hess = quad()
    with pytest.raises(ValueError, match=r"^gradient_descent: grad_fn returned shape \(3,\) but \(2,\) was expected"):
        lf.gradient_descent(loss, lambda w: np.zeros(3), [1.0, 2.0], lr=0.1, steps=1)
    with pytest.raises(ValueError, match=r"^gradient_descent: loss_fn returned shape \(2,\) but \(\) was expected"):
        lf.gradient_descent(lambda w: w ** 2, grad, [1.0, 2.0], lr=0.1, steps=1)
    with pytest.raises(ValueError, match=r"^newton: hess_fn returned shape \(2,\) but \(2, 2\) was expected"):
        lf.newton(loss, grad, lambda w: np.ones(2), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^newton: the Hessian at step 0 is singular"):
        lf.newton(loss, grad, lambda w: np.zeros((2, 2)), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"^newton: w0 contains 1 NaN or infinite"):
        lf.newton(loss, grad, hess, [1.0, np.nan])
    with pytest.raises(TypeError, match=r"^gradient_descent: w0 must be numeric"):
        lf.gradient_descent(loss, grad, "w", lr=0.1, steps=1)
    with pytest.raises(ValueError, match=r"^newton: steps must be an integer in \[0, inf\), got -2$"):
        lf.newton(loss, grad, hess, [1.0, 2.0], steps=-2)
    with pytest.raises(ValueError, match=r"^mse_hessian: X must be two-dimensional \(n samples, d features\), got"):
        lf.mse_hessian([1.0, 2.0])
    with pytest.raises(ValueError, match=r"^mse_hessian: X contains 1 NaN"):
        lf.mse_hessian([[1.0, np.inf]])
