r"""Weight penalties and their proximal operators: L1, L2 and the elastic net.

A penalty :math:`\Omega(w)` is added to a data loss to form the objective
:math:`L(w) + \alpha\,\Omega(w)`. The functions here take the weights only
(any shape; every entry counts) and return a float; they have no
``reduction`` and no ``y_true``. Because they are penalties, not losses, they
have **no records in** :mod:`lossfns.registry` and do not appear in the loss
atlas or the registry-driven contract tests; ``tests/test_regularization.py``
checks them instead.

Conventions (DESIGN.md):

* :func:`l2_penalty` is :math:`\sum_j w_j^2`, without the factor
  :math:`\tfrac12` some texts use, so its gradient is :math:`2w`;
* :func:`elastic_net_penalty` follows scikit-learn's ``ElasticNet``:
  :math:`\rho\lVert w\rVert_1 + \tfrac{1-\rho}{2}\lVert w\rVert_2^2` with
  :math:`\rho` = ``l1_ratio``, so ``alpha * elastic_net_penalty(w, l1_ratio=r)``
  is exactly the penalty term of ``ElasticNet(alpha=alpha, l1_ratio=r)``.

The L1 penalty is not differentiable at 0: :func:`l1_penalty_grad` returns the
subgradient :math:`\operatorname{sign}(w)` (0 at 0), and proximal gradient
methods use :func:`soft_threshold` / :func:`prox_elastic_net` instead, which
set weights exactly to zero.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import as_float_array, check_scalar


def _weights(fn: str, w) -> np.ndarray:
    return as_float_array(w, fn=fn, name="w")


def _l1_ratio(fn: str, l1_ratio) -> float:
    return check_scalar(fn, "l1_ratio", l1_ratio, low=0.0, high=1.0)


def l1_penalty(w: ArrayLike) -> np.float64:
    r"""L1 penalty (lasso): the sum of absolute weights.

    .. math:: \Omega_1(w) = \lVert w\rVert_1 = \sum_j |w_j|

    Parameters
    ----------
    w : array_like, any shape
        Weights; every entry counts.

    Returns
    -------
    numpy.float64

    Raises
    ------
    TypeError
        If ``w`` is not numeric.
    ValueError
        If ``w`` is empty or holds NaN/inf.

    Notes
    -----
    scikit-learn's ``Lasso(alpha)`` minimises
    :math:`\frac{1}{2n}\lVert y - Xw\rVert^2 + \alpha\lVert w\rVert_1`.
    In PyTorch the same term is ``w.abs().sum()``; Keras has
    ``keras.regularizers.L1(l1)``, which returns ``l1 * sum(|w|)``.

    References
    ----------
    R. Tibshirani, "Regression shrinkage and selection via the lasso",
    *J. R. Stat. Soc. B* 58 (1996).

    Examples
    --------
    >>> l1_penalty([1.0, -2.0, 0.5])
    np.float64(3.5)
    """
    return np.float64(np.abs(_weights("l1_penalty", w)).sum())


def l1_penalty_grad(w: ArrayLike) -> np.ndarray:
    r"""Subgradient of :func:`l1_penalty`.

    .. math:: \frac{\partial \Omega_1}{\partial w_j} = \operatorname{sign}(w_j)

    At :math:`w_j = 0` the penalty has a kink and every value in
    :math:`[-1, 1]` is a subgradient; we return 0 (as ``np.sign`` and
    PyTorch's autograd of ``abs`` do). A gradient step therefore makes weights
    oscillate around zero rather than reach it; use :func:`soft_threshold`
    for exact zeros.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.

    Examples
    --------
    >>> l1_penalty_grad([1.5, 0.0, -0.2])
    array([ 1.,  0., -1.])
    """
    return np.sign(_weights("l1_penalty_grad", w))


def l2_penalty(w: ArrayLike) -> np.float64:
    r"""L2 penalty (ridge, weight decay): the sum of squared weights, without :math:`\tfrac12`.

    .. math:: \Omega_2(w) = \lVert w\rVert_2^2 = \sum_j w_j^2

    Parameters
    ----------
    w : array_like, any shape
        Weights; every entry counts.

    Returns
    -------
    numpy.float64

    Raises
    ------
    TypeError
        If ``w`` is not numeric.
    ValueError
        If ``w`` is empty or holds NaN/inf.

    Notes
    -----
    scikit-learn's ``Ridge(alpha)`` minimises
    :math:`\lVert y - Xw\rVert^2 + \alpha\lVert w\rVert_2^2` (same convention).
    Keras' ``keras.regularizers.L2(l2)`` returns ``l2 * sum(w**2)`` (same).
    PyTorch's SGD ``weight_decay=wd`` adds ``wd * w`` to the gradient, which is
    the gradient of :math:`\tfrac{wd}{2}\lVert w\rVert^2`: ``wd`` corresponds
    to a coefficient ``wd / 2`` on this penalty.

    References
    ----------
    A. E. Hoerl and R. W. Kennard, "Ridge regression: biased estimation for
    nonorthogonal problems", *Technometrics* 12 (1970).

    Examples
    --------
    >>> l2_penalty([1.0, -2.0, 0.5])
    np.float64(5.25)
    """
    return np.float64(np.square(_weights("l2_penalty", w)).sum())


def l2_penalty_grad(w: ArrayLike) -> np.ndarray:
    r"""Gradient of :func:`l2_penalty`.

    .. math:: \frac{\partial \Omega_2}{\partial w_j} = 2 w_j

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.

    Examples
    --------
    >>> l2_penalty_grad([1.0, -2.0, 0.5])
    array([ 2., -4.,  1.])
    """
    return 2.0 * _weights("l2_penalty_grad", w)


def elastic_net_penalty(w: ArrayLike, *, l1_ratio: float = 0.5) -> np.float64:
    r"""Elastic-net penalty, in scikit-learn's convention.

    .. math::

        \Omega_{\rho}(w) = \rho\,\lVert w\rVert_1 + \frac{1-\rho}{2}\,\lVert w\rVert_2^2

    with :math:`\rho` = ``l1_ratio``. ``l1_ratio=1`` is :func:`l1_penalty`;
    ``l1_ratio=0`` is half of :func:`l2_penalty`.

    Parameters
    ----------
    w : array_like, any shape
        Weights; every entry counts.
    l1_ratio : float in [0, 1], default 0.5
        Share :math:`\rho` of the L1 term.

    Returns
    -------
    numpy.float64

    Raises
    ------
    TypeError
        If ``w`` or ``l1_ratio`` is not numeric.
    ValueError
        If ``w`` is empty or holds NaN/inf, or ``l1_ratio`` lies outside [0, 1].

    Notes
    -----
    scikit-learn's ``ElasticNet(alpha, l1_ratio)`` minimises
    :math:`\frac{1}{2n}\lVert y - Xw\rVert^2 + \alpha\,\Omega_{\rho}(w)`,
    so ``alpha * elastic_net_penalty(w, l1_ratio=l1_ratio)`` is its penalty
    term exactly. Keras' ``keras.regularizers.L1L2(l1, l2)`` returns
    ``l1 * sum(|w|) + l2 * sum(w**2)``: ``l1 = alpha * rho``,
    ``l2 = alpha * (1 - rho) / 2``.

    References
    ----------
    H. Zou and T. Hastie, "Regularization and variable selection via the
    elastic net", *J. R. Stat. Soc. B* 67 (2005).

    Examples
    --------
    >>> elastic_net_penalty([1.0, -2.0], l1_ratio=0.5)   # 0.5 * 3 + 0.25 * 5
    np.float64(2.75)
    >>> elastic_net_penalty([1.0, -2.0], l1_ratio=1.0) == l1_penalty([1.0, -2.0])
    np.True_
    """
    fn = "elastic_net_penalty"
    rho = _l1_ratio(fn, l1_ratio)
    w = _weights(fn, w)
    return np.float64(rho * np.abs(w).sum() + 0.5 * (1.0 - rho) * np.square(w).sum())


def elastic_net_penalty_grad(w: ArrayLike, *, l1_ratio: float = 0.5) -> np.ndarray:
    r"""Subgradient of :func:`elastic_net_penalty`.

    .. math:: \frac{\partial \Omega_{\rho}}{\partial w_j} = \rho\,\operatorname{sign}(w_j) + (1-\rho)\,w_j

    with the L1 part's subgradient 0 at :math:`w_j = 0`, as in
    :func:`l1_penalty_grad`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.

    Examples
    --------
    >>> elastic_net_penalty_grad([1.0, 0.0, -2.0], l1_ratio=0.5)
    array([ 1. ,  0. , -1.5])
    """
    fn = "elastic_net_penalty_grad"
    rho = _l1_ratio(fn, l1_ratio)
    w = _weights(fn, w)
    return rho * np.sign(w) + (1.0 - rho) * w


def soft_threshold(w: ArrayLike, threshold: float) -> np.ndarray:
    r"""Soft thresholding: the proximal operator of :math:`t\lVert\cdot\rVert_1`.

    .. math::

        \operatorname{prox}_{t\lVert\cdot\rVert_1}(w)
        = \arg\min_x \tfrac12\lVert x - w\rVert_2^2 + t\lVert x\rVert_1
        = \operatorname{sign}(w)\,\max(|w| - t,\ 0)

    Every entry moves towards zero by :math:`t`, and entries with
    :math:`|w_j| \le t` become exactly zero: this is how the lasso selects
    variables. One step of proximal gradient descent (ISTA) on
    :math:`L(w) + \alpha\lVert w\rVert_1` with step :math:`\eta` is
    ``soft_threshold(w - eta * grad_L(w), eta * alpha)``.

    Parameters
    ----------
    w : array_like, any shape
        Point :math:`w` to shrink.
    threshold : float, >= 0
        Threshold :math:`t` (0 returns ``w`` unchanged).

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.

    Raises
    ------
    TypeError
        If ``w`` or ``threshold`` is not numeric.
    ValueError
        If ``w`` is empty or holds NaN/inf, or ``threshold`` is negative or not finite.

    Notes
    -----
    PyTorch calls it ``torch.nn.functional.softshrink(w, lambd=t)``.

    References
    ----------
    D. L. Donoho, "De-noising by soft-thresholding", *IEEE Trans. Inf.
    Theory* 41 (1995); A. Beck and M. Teboulle, "A fast iterative
    shrinkage-thresholding algorithm", *SIAM J. Imaging Sci.* 2 (2009).

    Examples
    --------
    >>> soft_threshold([3.0, -0.5, 0.2, -2.0], 1.0)
    array([ 2.,  0.,  0., -1.])
    """
    fn = "soft_threshold"
    t = check_scalar(fn, "threshold", threshold, low=0.0)
    w = _weights(fn, w)
    return np.where(np.abs(w) > t, w - t * np.sign(w), 0.0)


def prox_elastic_net(w: ArrayLike, step: float, *, alpha: float = 1.0, l1_ratio: float = 0.5) -> np.ndarray:
    r"""Proximal operator of :math:`\eta\,\alpha\,\Omega_\rho`, the scaled elastic-net penalty.

    .. math::

        \arg\min_x \tfrac12\lVert x - w\rVert_2^2 + \eta\,\alpha\,\Omega_\rho(x)
        = \frac{\operatorname{soft\_threshold}(w,\ \eta\alpha\rho)}{1 + \eta\alpha(1-\rho)}

    One step of proximal gradient descent on scikit-learn's ``ElasticNet``
    objective :math:`L(w) + \alpha\,\Omega_\rho(w)` is
    ``prox_elastic_net(w - step * grad_L(w), step, alpha=alpha, l1_ratio=l1_ratio)``.
    With ``l1_ratio=1`` it is :func:`soft_threshold` with threshold
    ``step * alpha``.

    Parameters
    ----------
    w : array_like, any shape
        Point to map (usually after a gradient step on the data loss).
    step : float, >= 0
        Step size :math:`\eta` of that gradient step.
    alpha : float, >= 0, default 1
        Strength :math:`\alpha` of the penalty.
    l1_ratio : float in [0, 1], default 0.5
        Share :math:`\rho` of the L1 term, as in :func:`elastic_net_penalty`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``w``.

    Raises
    ------
    TypeError
        If an argument is not numeric.
    ValueError
        If ``w`` is empty or not finite, ``step`` or ``alpha`` is negative or
        not finite, or ``l1_ratio`` lies outside [0, 1].

    Examples
    --------
    >>> prox_elastic_net([3.0, -0.5], 1.0, alpha=1.0, l1_ratio=0.5)   # shrink by 0.5, divide by 1.5
    array([1.66666667, 0.        ])
    """
    fn = "prox_elastic_net"
    step = check_scalar(fn, "step", step, low=0.0)
    alpha = check_scalar(fn, "alpha", alpha, low=0.0)
    rho = _l1_ratio(fn, l1_ratio)
    w = _weights(fn, w)
    return soft_threshold(w, step * alpha * rho) / (1.0 + step * alpha * (1.0 - rho))
