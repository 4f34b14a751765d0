"""Minimise a loss over a parameter vector: gradient descent and Newton's method.

Both take plain functions of the parameters, so they work for any
differentiable loss: a linear model's MSE in chapter 2, a penalised loss in
chapter 5, a badly scaled one in chapter 6. Each returns an
:class:`OptimResult` holding the whole path, ready to plot.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import as_float_array, check_int, check_scalar


@dataclass(frozen=True)
class OptimResult:
    """The iterates of an optimiser and the loss at each of them.

    ``path[k]`` is the parameter vector after ``k`` steps (``path[0]`` is the
    start), ``losses[k]`` the loss there, and ``w`` the last iterate. Both
    have ``steps + 1`` rows unless the iteration ``diverged``: then it
    stopped at the first step whose parameters or loss were not finite, and
    ``path`` holds only the finite iterates before it.
    """

    w: np.ndarray
    path: np.ndarray
    losses: np.ndarray
    diverged: bool

    @property
    def steps(self) -> int:
        """Number of steps actually taken."""
        return len(self.path) - 1

    def __repr__(self) -> str:
        state = "diverged" if self.diverged else "finished"
        return f"OptimResult({state} after {self.steps} step(s), loss {self.losses[-1]:.6g}, w={self.w!r})"


def _evaluate(fn: str, what: str, f: Callable, w: np.ndarray, shape: tuple) -> np.ndarray:
    """Call ``f(w)`` on a copy of ``w`` and check that the result has the expected shape."""
    out = np.asarray(f(w.copy()), dtype=np.float64)
    if out.shape != shape:
        raise ValueError(f"{fn}: {what} returned shape {out.shape} but {shape} was expected (w0 has shape {w.shape})")
    return out


def _run(fn: str, loss_fn: Callable, w0, steps: int, step: Callable[[np.ndarray, int], np.ndarray]) -> OptimResult:
    w = as_float_array(w0, fn=fn, name="w0").copy()
    path, losses = [w], [float(_evaluate(fn, "loss_fn", loss_fn, w, ()))]
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            w_new = step(w, k)
            loss = float(_evaluate(fn, "loss_fn", loss_fn, w_new, ())) if np.isfinite(w_new).all() else np.nan
            if not np.isfinite(loss):
                diverged = True
                break
            w = w_new
            path.append(w)
            losses.append(loss)
    return OptimResult(w=w, path=np.stack(path), losses=np.array(losses), diverged=diverged)


def gradient_descent(
    loss_fn: Callable[[np.ndarray], float],
    grad_fn: Callable[[np.ndarray], ArrayLike],
    w0: ArrayLike,
    *,
    lr: float,
    steps: int,
) -> OptimResult:
    r"""Minimise ``loss_fn`` by gradient descent with a fixed learning rate.

    .. math:: w_{k+1} = w_k - \eta\, \nabla L(w_k)

    On a quadratic loss with Hessian :math:`H` the error shrinks by the
    factors :math:`|1 - \eta\lambda_j|` along the eigenvectors of :math:`H`,
    so the iteration converges if and only if
    :math:`0 < \eta < 2/\lambda_{\max}`; above that it diverges.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(w) -> float``, the loss :math:`L` at parameters ``w``.
    grad_fn : callable
        ``grad_fn(w) -> array`` shaped like ``w``, the gradient :math:`\nabla L(w)`.
    w0 : array_like
        Starting parameters (any shape; usually a vector). Never modified.
    lr : float
        Learning rate :math:`\eta > 0`.
    steps : int
        Number of steps, :math:`\ge 0`.

    Returns
    -------
    OptimResult
        ``w`` (final parameters), ``path`` of shape ``(steps + 1, *w0.shape)``,
        ``losses`` of shape ``(steps + 1,)`` and ``diverged``. A run that
        overflows stops early with ``diverged=True`` instead of filling the
        path with ``inf`` and NaN.

    Raises
    ------
    TypeError
        If ``w0`` is not numeric or ``steps`` is not an integer.
    ValueError
        If ``lr <= 0``, ``steps < 0``, ``w0`` is empty or not finite, or
        ``grad_fn``/``loss_fn`` return the wrong shape.

    Examples
    --------
    Least squares :math:`L(w) = \frac1n\lVert Xw - y\rVert^2`; the chain rule
    turns the MSE gradient with respect to :math:`\hat y = Xw` into one with
    respect to :math:`w`:

    >>> import lossfns as lf
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> y = np.array([1.0, 3.0, 5.0])                      # y = 1 + 2x exactly
    >>> loss = lambda w: lf.mse(y, X @ w)
    >>> grad = lambda w: X.T @ lf.mse_grad(y, X @ w)
    >>> result = gradient_descent(loss, grad, np.zeros(2), lr=0.3, steps=200)
    >>> result.w.round(6), result.path.shape, result.diverged
    (array([1., 2.]), (201, 2), False)
    """
    fn = "gradient_descent"
    lr = check_scalar(fn, "lr", lr, low=0.0, low_open=True)
    steps = check_int(fn, "steps", steps, low=0)

    def step(w: np.ndarray, _: int) -> np.ndarray:
        return w - lr * _evaluate(fn, "grad_fn", grad_fn, w, w.shape)

    return _run(fn, loss_fn, w0, steps, step)


def newton(
    loss_fn: Callable[[np.ndarray], float],
    grad_fn: Callable[[np.ndarray], ArrayLike],
    hess_fn: Callable[[np.ndarray], ArrayLike],
    w0: ArrayLike,
    *,
    steps: int = 1,
    lr: float = 1.0,
) -> OptimResult:
    r"""Minimise ``loss_fn`` with Newton's method.

    .. math:: w_{k+1} = w_k - \eta\, H(w_k)^{-1} \nabla L(w_k)

    Newton's method replaces the loss by its second-order Taylor model and
    jumps to that model's minimum. On a quadratic loss such as least squares
    the model is exact, so one full step (:math:`\eta = 1`) lands on the
    minimiser, whatever the conditioning of :math:`H`.

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(w) -> float``.
    grad_fn : callable
        ``grad_fn(w) -> array`` shaped like ``w``.
    hess_fn : callable
        ``hess_fn(w) -> array`` of shape ``(w.size, w.size)``, the Hessian
        :math:`H` (for a non-vector ``w``, with respect to ``w.ravel()``).
    w0 : array_like
        Starting parameters. Never modified.
    steps : int, default 1
        Number of Newton steps, :math:`\ge 0`.
    lr : float, default 1.0
        Step size :math:`\eta > 0` (1 is the pure Newton step; smaller values
        damp it).

    Returns
    -------
    OptimResult
        As for :func:`gradient_descent`.

    Raises
    ------
    TypeError
        If ``w0`` is not numeric or ``steps`` is not an integer.
    ValueError
        If ``lr <= 0``, ``steps < 0``, a function returns the wrong shape or
        the Hessian is singular.

    Notes
    -----
    The step solves :math:`H d = \nabla L` (``np.linalg.solve``) rather than
    inverting :math:`H`. Near a saddle point or a maximum :math:`H` is not
    positive definite and the pure step can move *uphill*; Newton's method
    is a local method.

    Examples
    --------
    >>> import lossfns as lf
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> y = np.array([1.0, 3.0, 5.0])
    >>> loss = lambda w: lf.mse(y, X @ w)
    >>> grad = lambda w: X.T @ lf.mse_grad(y, X @ w)
    >>> result = newton(loss, grad, lambda w: mse_hessian(X), np.zeros(2))
    >>> result.w.round(12), result.losses.round(12)
    (array([1., 2.]), array([11.66666667,  0.        ]))
    """
    fn = "newton"
    lr = check_scalar(fn, "lr", lr, low=0.0, low_open=True)
    steps = check_int(fn, "steps", steps, low=0)

    def step(w: np.ndarray, k: int) -> np.ndarray:
        g = _evaluate(fn, "grad_fn", grad_fn, w, w.shape)
        h = _evaluate(fn, "hess_fn", hess_fn, w, (w.size, w.size))
        try:
            d = np.linalg.solve(h, g.ravel())
        except np.linalg.LinAlgError:
            raise ValueError(f"newton: the Hessian at step {k} is singular; Newton's step is undefined") from None
        return w - lr * d.reshape(w.shape)

    return _run(fn, loss_fn, w0, steps, step)


def mse_hessian(X: ArrayLike) -> np.ndarray:
    r"""Hessian of the mean squared error of a linear model with respect to its weights.

    .. math::

        L(w) = \frac1n \lVert X w - y\rVert^2, \qquad
        \nabla L = \frac2n X^\top (X w - y), \qquad
        H = \frac2n X^\top X

    The Hessian does not depend on :math:`w` or :math:`y`: the loss is a
    quadratic bowl. Its largest eigenvalue sets gradient descent's largest
    stable learning rate, :math:`2/\lambda_{\max}`, and
    :math:`\lambda_{\max}/\lambda_{\min}` how slowly it converges.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Design matrix, one row per sample (include a column of ones for an
        intercept).

    Returns
    -------
    numpy.ndarray, shape (d, d)
        Symmetric and positive semi-definite.

    Raises
    ------
    TypeError
        If ``X`` is not numeric.
    ValueError
        If ``X`` is not two-dimensional, is empty or holds NaN/inf.

    Examples
    --------
    >>> mse_hessian([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]]).round(4)
    array([[2.    , 2.    ],
           [2.    , 3.3333]])
    """
    X = as_float_array(X, fn="mse_hessian", name="X")
    if X.ndim != 2:
        raise ValueError(f"mse_hessian: X must be two-dimensional (n samples, d features), got shape {X.shape}")
    return 2.0 / X.shape[0] * (X.T @ X)
