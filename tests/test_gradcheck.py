"""lossfns.gradcheck: the finite-difference checker itself must be right."""
import numpy as np
import pytest

import lossfns as lf


def test_numerical_grad_of_a_known_function():
    # f(x) = sum(sin(x) * x^2)  ->  f'(x) = cos(x) x^2 + 2 x sin(x)
    x = np.array([[0.3, -1.2], [2.0, 0.0]])
    expected = np.cos(x) * x**2 + 2 * x * np.sin(x)
    got = lf.numerical_grad(lambda v: float(np.sum(np.sin(v) * v**2)), x)
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-9)


def test_gradcheck_reports_the_worst_element():
    x = np.array([1.0, 2.0, 3.0])

    def bad_grad(v):
        g = 2 * v
        g[1] += 0.5  # one wrong element
        return g

    result = lf.gradcheck(lambda v: float(np.sum(v**2)), bad_grad, x)
    assert not result
    assert result.worst_index == (1,)
    assert result.max_abs_error == pytest.approx(0.5, abs=1e-6)
    assert "FAILED" in repr(result) and "index (1,)" in repr(result)


def test_gradcheck_passes_a_right_gradient_and_leaves_x_alone():
    x = np.array([0.5, -0.25])
    copy = x.copy()
    assert lf.gradcheck(lambda v: float(np.sum(v**3)), lambda v: 3 * v**2, x)
    np.testing.assert_array_equal(x, copy)


def test_gradcheck_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"gradcheck: grad returned shape \(1,\) but x has shape \(2,\)"):
        lf.gradcheck(lambda v: float(v.sum()), lambda v: np.ones(1), [1.0, 2.0])


def test_gradcheck_validates_its_arguments():
    with pytest.raises(ValueError, match="numerical_grad: eps must lie in"):
        lf.numerical_grad(lambda v: 0.0, [1.0], eps=0.0)
    with pytest.raises(ValueError, match="gradcheck: x contains 1 NaN"):
        lf.gradcheck(lambda v: 0.0, lambda v: v, [np.nan])


W = np.array([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0]])
X = np.array([[0.1, -0.4], [0.7, 0.2]])


def dense_tanh(x):
    return np.tanh(x @ W.T)


def dense_tanh_backward(x, grad_out):
    return (grad_out * (1.0 - np.tanh(x @ W.T) ** 2)) @ W


def test_check_layer_passes_a_right_backward_and_leaves_x_alone():
    copy = X.copy()
    result = lf.check_layer(dense_tanh, dense_tanh_backward, X)
    assert result and result.analytic.shape == X.shape
    np.testing.assert_array_equal(X, copy)


def test_check_layer_reports_the_worst_element_of_a_wrong_backward():
    def wrong(x, grad_out):
        g = dense_tanh_backward(x, grad_out)
        g[0, 1] *= 1.5  # one input's derivative off by half
        return g

    result = lf.check_layer(dense_tanh, wrong, X)
    assert not result and result.worst_index == (0, 1)
    right = lf.check_layer(dense_tanh, dense_tanh_backward, X)
    assert result.max_abs_error == pytest.approx(0.5 * abs(right.analytic[0, 1]), rel=1e-6)


def test_check_layer_works_for_a_layer_that_caches_its_input():
    class Square:  # the usual layer pattern: forward caches, backward(grad_out) reads the cache
        def forward(self, x):
            self.x = x
            return x**2

        def backward(self, grad_out):
            return 2 * self.x * grad_out

    layer = Square()
    assert lf.check_layer(layer.forward, lambda x, g: layer.backward(g), [[1.0, -2.0, 0.5]])


def test_check_layer_uses_the_seed_for_the_output_gradient():
    a = lf.check_layer(dense_tanh, dense_tanh_backward, X, seed=1)
    b = lf.check_layer(dense_tanh, dense_tanh_backward, X, seed=2)
    assert not np.allclose(a.analytic, b.analytic)


def test_check_layer_rejects_a_backward_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"gradcheck: grad returned shape \(2,\) but x has shape \(2, 2\)"):
        lf.check_layer(dense_tanh, lambda x, g: np.ones(2), X)


def test_a_passing_check_prints_no_round_off():
    # Two step sizes give different finite-difference round-off; the printed verdict must not change.
    y, p = np.array([1.0, 2.0, 3.0]), np.array([0.3, 2.9, 1.7])
    runs = [lf.gradcheck(lambda q: lf.mse(y, q), lambda q: lf.mse_grad(y, q), p, eps=e) for e in (1e-5, 1e-6, 1e-7)]
    assert len({r.max_abs_error for r in runs}) > 1
    assert all(r for r in runs) and len({repr(r) for r in runs}) == 1
    assert "error" not in repr(runs[0])


def test_a_failing_check_counts_and_names_what_failed():
    bad = lf.gradcheck(lambda v: float(np.sum(v**2)), lambda v: 2 * v + np.array([0.0, 0.5, -3.0]), [1.0, 2.0, 3.0])
    assert bad.n_outside == 2 and bad.worst_index == (2,)
    assert repr(bad).startswith("gradcheck FAILED: 2 of 3 elements outside")
    assert repr(bad).endswith("analytic 3, numerical 6, abs error 3.00e+00")


def test_a_tie_names_the_first_element_whatever_the_round_off():
    # Both derivatives are 2 v, both claimed gradients off by exactly 1, but the second term is
    # computed another way, so the finite differences' round-off differs between the two elements
    # (at 0.25, 0.4 and 0.75 it is larger for the second one; 0.5 is a control). The tie must not
    # be broken by it.
    def f(v):
        return float(v[0] ** 2 + (3 * v[1]) ** 2 / 9)

    for a in (0.25, 0.4, 0.75, 0.5):
        result = lf.gradcheck(f, lambda v: 2 * v + 1.0, [a, a])
        assert result.worst_index == (0,) and result.n_outside == 2
