"""Regression losses: a real target :math:`y` and a real prediction :math:`\\hat y`."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import prepare_pair, reduce, reduce_grad
from lossfns.registry import LossRecord, register


def mse(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"):
    r"""Mean squared error.

    .. math:: \ell_i = (\hat y_i - y_i)^2, \qquad L = \frac{1}{n}\sum_i \ell_i

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over every element, ``"sum"`` adds them,
        ``"none"`` returns :math:`\ell` with the shape of the input.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``y_pred``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf, or
        ``reduction`` is unknown.

    Notes
    -----
    PyTorch's ``torch.nn.functional.mse_loss(input, target)`` takes the
    prediction first; Keras' ``keras.losses.MeanSquaredError()(y_true, y_pred)``
    takes the target first, like this function, and averages over the last
    axis before averaging over the batch (the same mean for equal-sized rows).
    Errors up to about 1e154 square to finite numbers.

    References
    ----------
    A.-M. Legendre, *Nouvelles méthodes pour la détermination des orbites des
    comètes* (1805).

    Examples
    --------
    >>> mse([0.0, 1.0, 2.0], [0.0, 2.0, 4.0])
    np.float64(1.6666666666666667)
    >>> mse([0.0, 1.0], [1.0, 3.0], reduction="none")
    array([1., 4.])
    """
    y, y_hat = prepare_pair("mse", y_true, y_pred, reduction)
    return reduce(np.square(y_hat - y), reduction)


def mse_grad(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean") -> np.ndarray:
    r"""Derivative of :func:`mse` with respect to ``y_pred``.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_i} = 2(\hat y_i - y_i)

    divided by :math:`n` for ``"mean"``. The sign matters: the gradient points
    from the target towards the prediction, so a descent step moves
    :math:`\hat y` back towards :math:`y`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> mse_grad([0.0, 1.0], [1.0, 3.0])
    array([1., 2.])
    """
    y, y_hat = prepare_pair("mse_grad", y_true, y_pred, reduction)
    return reduce_grad(2.0 * (y_hat - y), reduction, y_hat.size)


def mae(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean"):
    r"""Mean absolute error.

    .. math:: \ell_i = |\hat y_i - y_i|, \qquad L = \frac{1}{n}\sum_i \ell_i

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    reduction : {"mean", "sum", "none"}, default "mean"
        As in :func:`mse`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``y_pred``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf, or
        ``reduction`` is unknown.

    Notes
    -----
    PyTorch calls it ``torch.nn.functional.l1_loss(input, target)``
    (prediction first); Keras ``keras.losses.MeanAbsoluteError()``. Each
    error counts in proportion to its size, which makes the loss far less
    sensitive to outliers than :func:`mse`.

    References
    ----------
    P.-S. Laplace, *Théorie analytique des probabilités* (1812).

    Examples
    --------
    >>> mae([0.0, 1.0, 2.0], [0.0, 2.0, 4.0])
    np.float64(1.0)
    """
    y, y_hat = prepare_pair("mae", y_true, y_pred, reduction)
    return reduce(np.abs(y_hat - y), reduction)


def mae_grad(y_true: ArrayLike, y_pred: ArrayLike, *, reduction: str = "mean") -> np.ndarray:
    r"""Derivative of :func:`mae` with respect to ``y_pred``.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_i} = \operatorname{sign}(\hat y_i - y_i)

    divided by :math:`n` for ``"mean"``. At :math:`\hat y_i = y_i` the loss has
    a kink; we return the subgradient 0, as PyTorch does.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> mae_grad([0.0, 1.0, 2.0], [1.0, 1.0, 0.0], reduction="sum")
    array([ 1.,  0., -1.])
    """
    y, y_hat = prepare_pair("mae_grad", y_true, y_pred, reduction)
    return reduce_grad(np.sign(y_hat - y), reduction, y_hat.size)


register(LossRecord(
    name="mse", family="regression", task="regression",
    formula=r"(\hat y - y)^2",
    convex=True, differentiable=True, robust=False,
    fn=mse, grad=mse_grad, inputs="real", chapter="01_foundations",
    reference="legendre1805",
    torch="torch.nn.functional.mse_loss(y_pred, y_true)",
    keras="keras.losses.MeanSquaredError()(y_true, y_pred)",
))
register(LossRecord(
    name="mae", family="regression", task="regression",
    formula=r"|\hat y - y|",
    convex=True, differentiable=False, robust=True,
    fn=mae, grad=mae_grad, inputs="real", chapter="01_foundations",
    reference="laplace1812",
    torch="torch.nn.functional.l1_loss(y_pred, y_true)",
    keras="keras.losses.MeanAbsoluteError()(y_true, y_pred)",
))
