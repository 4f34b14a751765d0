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
