"""Finite-difference gradient checking, used by the tests and taught in the chapters."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lossfns._validation import as_float_array, check_scalar, check_seed


@dataclass(frozen=True)
class GradcheckResult:
    """Outcome of :func:`gradcheck`; truthy when the check passed.

    ``worst_index`` is the element where analytic and numerical derivatives
    disagree most relative to the tolerance ``atol + rtol * |numerical|``;
    ``n_outside`` counts the elements outside it.

    The printed form shows only what the computation determines. A passing
    check's error is finite-difference round-off (1e-11 on one machine,
    5e-10 on another BLAS kernel), so it is not printed: the verdict and the
    tolerance are. A failing check's error exceeds ``atol`` (1e-6 by default),
    about 10^4 times the round-off, so its three printed digits are the bug's.
    ``max_abs_error`` keeps the raw number for code that asserts a bound.

    Examples
    --------
    >>> import lossfns as lf
    >>> gradcheck(lambda p: lf.mse([1.0, 2.0], p), lambda p: lf.mse_grad([1.0, 2.0], p), [0.5, 2.5])
    gradcheck passed: all 2 elements within atol + rtol * |numerical| (atol 1e-06, rtol 0.0001)
    >>> gradcheck(lambda p: lf.mse([1.0, 2.0], p), lambda p: -lf.mse_grad([1.0, 2.0], p),
    ...           [0.5, 3.0])  # doctest: +NORMALIZE_WHITESPACE
    gradcheck FAILED: 2 of 2 elements outside atol + rtol * |numerical|;
    worst at index (1,): analytic -1, numerical 1, abs error 2.00e+00
    """

    passed: bool
    max_abs_error: float
    worst_index: tuple
    analytic: np.ndarray
    numerical: np.ndarray
    atol: float = 1e-6
    rtol: float = 1e-4
    n_outside: int = 0

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        tol = "atol + rtol * |numerical|"
        if self.passed:
            return (
                f"gradcheck passed: all {self.analytic.size} elements within {tol} "
                f"(atol {self.atol:g}, rtol {self.rtol:g})"
            )
        i = self.worst_index
        return (
            f"gradcheck FAILED: {self.n_outside} of {self.analytic.size} elements outside {tol}; "
            f"worst at index {i}: analytic {self.analytic[i]:.6g}, numerical {self.numerical[i]:.6g}, "
            f"abs error {abs(self.analytic[i] - self.numerical[i]):.2e}"
        )


def numerical_grad(f: Callable[[np.ndarray], float], x, *, eps: float = 1e-6) -> np.ndarray:
    r"""Central-difference estimate of the gradient of a scalar function.

    .. math:: \frac{\partial f}{\partial x_j} \approx \frac{f(x + \epsilon e_j) - f(x - \epsilon e_j)}{2\epsilon}

    The error of the central difference is :math:`O(\epsilon^2)` for smooth
    :math:`f`; ``eps = 1e-6`` balances it against float64 round-off.

    Examples
    --------
    >>> numerical_grad(lambda v: float((v ** 2).sum()), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    return _numerical_grad("numerical_grad", f, x, eps)


def _check_callable(fn: str, name: str, f) -> None:
    if not callable(f):
        raise TypeError(f"{fn}: {name} must be a function of one array, got {type(f).__name__} {f!r}")


def _scalar_value(fn: str, f, x: np.ndarray, where: str) -> float:
    """``f(x)`` as a float; an array of more than one number, or NaN/inf, is an error that says where."""
    value = np.asarray(f(x))
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: f must return a number, got {type(f(x)).__name__}")
    if value.size != 1:
        raise ValueError(f"{fn}: f must return one number (a scalar loss), got an array of shape {value.shape}; "
                         "reduce it (e.g. reduction='mean') or check a layer with check_layer")
    value = float(value.reshape(()))
    if not np.isfinite(value):
        raise ValueError(f"{fn}: f returned {value} at {where}; finite differences need finite values there")
    return value


def _numerical_grad(fn: str, f, x, eps) -> np.ndarray:
    _check_callable(fn, "f", f)
    eps = check_scalar(fn, "eps", eps, low=0.0, low_open=True)
    x = as_float_array(x, fn=fn, name="x").copy()
    grad = np.empty_like(x)
    flat, out = x.reshape(-1), grad.reshape(-1)
    for j in range(flat.size):
        orig = flat[j]
        flat[j] = orig + eps
        up = _scalar_value(fn, f, x, f"x + eps at element {j}")
        flat[j] = orig - eps
        down = _scalar_value(fn, f, x, f"x - eps at element {j}")
        flat[j] = orig
        out[j] = (up - down) / (2.0 * eps)
    return grad


def gradcheck(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x,
    *,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> GradcheckResult:
    """Compare an analytic gradient with central finite differences.

    Parameters
    ----------
    f : callable
        Scalar function of one array, e.g. ``lambda p: lf.mse(y, p)``.
    grad : callable
        Its claimed gradient, returning an array shaped like ``x``.
    x : array_like
        Point at which to compare; it is copied, never modified.
    eps, atol, rtol : float
        Step of the central difference and tolerances: element ``j`` passes
        when ``|analytic_j - numerical_j| <= atol + rtol * |numerical_j|``.

    Returns
    -------
    GradcheckResult
        Truthy if every element passes; its ``repr`` names the worst element
        of a failed check and prints no round-off.

    Raises
    ------
    ValueError
        If ``grad`` returns an array of another shape, or ``x`` is not finite.

    Examples
    --------
    >>> import lossfns as lf
    >>> y = [1.0, 2.0, 3.0]
    >>> bool(gradcheck(lambda p: lf.mse(y, p), lambda p: lf.mse_grad(y, p), [0.5, 2.5, 2.0]))
    True
    >>> wrong_sign = lambda p: -lf.mse_grad(y, p)
    >>> bool(gradcheck(lambda p: lf.mse(y, p), wrong_sign, [0.5, 2.5, 2.0]))
    False
    """
    atol = check_scalar("gradcheck", "atol", atol, low=0.0)
    rtol = check_scalar("gradcheck", "rtol", rtol, low=0.0)
    x = as_float_array(x, fn="gradcheck", name="x")
    _check_callable("gradcheck", "f", f)
    _check_callable("gradcheck", "grad", grad)
    analytic = np.asarray(grad(x.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(f"gradcheck: grad returned shape {analytic.shape} but x has shape {x.shape}")
    if not np.all(np.isfinite(analytic)):
        raise ValueError(f"gradcheck: grad returned {int(np.count_nonzero(~np.isfinite(analytic)))} NaN or "
                         "infinite value(s)")
    numerical = _numerical_grad("gradcheck", f, x, eps)
    err = np.abs(analytic - numerical)
    excess = err - (atol + rtol * np.abs(numerical))
    # The first element within round-off of the largest excess: a tie (say, every element off by
    # the same amount) is not broken by the last bits, which differ from machine to machine.
    near_max = excess >= excess.max() - 1e-9 * max(1.0, float(np.abs(excess).max()))
    worst = np.unravel_index(int(np.argmax(near_max)), x.shape) if x.ndim else ()
    return GradcheckResult(
        passed=bool(np.all(excess <= 0)),
        max_abs_error=float(err.max()),
        worst_index=tuple(int(i) for i in worst),
        analytic=analytic,
        numerical=numerical,
        atol=atol,
        rtol=rtol,
        n_outside=int(np.count_nonzero(excess > 0)),
    )


def check_layer(
    forward: Callable[[np.ndarray], np.ndarray],
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray],
    x,
    *,
    seed: int = 0,
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
) -> GradcheckResult:
    r"""Check a layer's backward pass (a vector-Jacobian product) against finite differences.

    A layer maps an array to an array, so it has no single gradient; its
    backward pass takes the gradient of the loss with respect to the output,
    :math:`g = \partial L / \partial \text{out}`, and returns
    :math:`\partial L / \partial x = J^\top g`. With a fixed random
    :math:`g` (drawn from ``seed``) this is the gradient of the scalar
    :math:`f(x) = \sum g \odot \text{forward}(x)`, which :func:`gradcheck`
    compares element by element, reporting the worst one.

    Parameters
    ----------
    forward : callable
        ``forward(x) -> out``, any output shape.
    backward : callable
        ``backward(x, grad_out) -> grad_x``, shaped like ``x``. Layers that
        cache their input in ``forward`` can ignore the ``x`` argument:
        :func:`check_layer` calls ``forward(x)`` right before each ``backward``.
    x : array_like
        Input at which to check; it is copied, never modified.
    seed : int, default 0
        Seed of the random output gradient :math:`g \sim \mathcal N(0, 1)`.
    eps, atol, rtol : float
        As in :func:`gradcheck`.

    Returns
    -------
    GradcheckResult
        As :func:`gradcheck`, for the derivative with respect to ``x``.

    Examples
    --------
    >>> W = np.array([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0]])
    >>> forward = lambda x: np.tanh(x @ W.T)
    >>> backward = lambda x, g: (g * (1 - np.tanh(x @ W.T) ** 2)) @ W
    >>> bool(check_layer(forward, backward, [[0.1, -0.4], [0.7, 0.2]]))
    True
    >>> wrong = lambda x, g: g @ W  # forgot the tanh derivative
    >>> check_layer(forward, wrong, [[0.1, -0.4], [0.7, 0.2]]).worst_index
    (1, 1)
    """
    x = as_float_array(x, fn="check_layer", name="x")
    grad_out = check_seed("check_layer", seed).standard_normal(np.shape(forward(x.copy())))

    def f(v: np.ndarray) -> float:
        return float(np.sum(grad_out * np.asarray(forward(v), dtype=np.float64)))

    def grad(v: np.ndarray) -> np.ndarray:
        forward(v.copy())  # layers that cache their input see this x
        return backward(v, grad_out.copy())

    return gradcheck(f, grad, x, eps=eps, atol=atol, rtol=rtol)
