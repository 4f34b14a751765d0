"""Regression losses: a real target :math:`y` and a real prediction :math:`\\hat y`.

Every loss here is elementwise: ``"none"`` returns one loss per element, shaped
like the inputs, and ``"mean"`` averages over all elements. The residual is
:math:`r = \\hat y - y` (prediction minus target) except for :func:`quantile`,
whose asymmetry is stated for :math:`y - \\hat y` as in the literature.
"""
from __future__ import annotations

from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from lossfns import minimisers
from lossfns._validation import (
    blockwise,
    check_bool,
    check_finite,
    check_in_range,
    check_scalar,
    new_like,
    prepare_pair,
    reduce,
    reduce_elementwise,
    reduce_grad,
)
from lossfns.registry import LossRecord, register

LOG2 = float(np.log(2.0))


def mse(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"):
    r"""Mean squared error.

    .. math:: \ell_i = (\hat y_i - y_i)^2, \qquad L = \frac{1}{n}\sum_i \ell_i

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
    r = np.subtract(y_hat, y, out=new_like(y_hat))
    return reduce(np.square(r, out=r), reduction, sample_weight, fn="mse")  # in place: one array, not two


def mse_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
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
    g = np.subtract(y_hat, y, out=new_like(y_hat))
    g *= 2.0
    return reduce_grad(g, reduction, y_hat.size, owned=True, sample_weight=sample_weight, fn="mse_grad")


def mae(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"):
    r"""Mean absolute error.

    .. math:: \ell_i = |\hat y_i - y_i|, \qquad L = \frac{1}{n}\sum_i \ell_i

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
    r = np.subtract(y_hat, y, out=new_like(y_hat))
    return reduce(np.abs(r, out=r), reduction, sample_weight, fn="mae")


def mae_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
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
    r = np.subtract(y_hat, y, out=new_like(y_hat))
    # sign(r) without np.sign's per-element branches: copysign(1 or 0, r); "+ 0.0" turns -0.0 into 0.0
    np.copysign(r != 0.0, r, out=r)
    r += 0.0
    return reduce_grad(r, reduction, y_hat.size, owned=True, sample_weight=sample_weight, fn="mae_grad")


register(LossRecord(
    name="mse", family="regression", task="regression",
    minimiser=r"the conditional mean $\mathbb E[Y \mid x]$",
    best_constant=minimisers.mean, proper=None,
    formula=r"(\hat y - y)^2",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = 2(\hat y - y)",
    convex=True, differentiable=True, robust=False,
    fn=mse, grad=mse_grad, inputs="real", chapter="01_foundations",
    reference="legendre1805",
    torch="torch.nn.functional.mse_loss(y_pred, y_true)",
    keras="keras.losses.MeanSquaredError()(y_true, y_pred)",
    torch_notes="Prediction first: `mse_loss(input, target)`; `'mean'` averages over every element, as here.",
    keras_notes=(
        "Target first, as here. Keras averages over the last axis first, which changes `'sum'` and "
        "`'none'`."
    ),
))
register(LossRecord(
    name="mae", family="regression", task="regression",
    minimiser=r"a conditional median of $Y$ given $x$",
    best_constant=minimisers.median, proper=None,
    formula=r"|\hat y - y|",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = \operatorname{sign}(\hat y - y)",
    convex=True, differentiable=False, robust=True,
    fn=mae, grad=mae_grad, inputs="real", chapter="01_foundations",
    reference="laplace1812",
    torch="torch.nn.functional.l1_loss(y_pred, y_true)",
    keras="keras.losses.MeanAbsoluteError()(y_true, y_pred)",
    torch_notes="Prediction first: `l1_loss(input, target)`.",
    keras_notes=(
        "Target first, as here. Keras averages over the last axis first, which changes `'sum'` and "
        "`'none'`."
    ),
))


def huber(
    y_true: ArrayLike, y_pred: ArrayLike, *, delta: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Huber loss: quadratic for small errors, linear for large ones.

    .. math::

        \ell_i = \begin{cases}
            \tfrac12 r_i^2 & |r_i| \le \delta \\
            \delta\,(|r_i| - \tfrac12 \delta) & |r_i| > \delta
        \end{cases}, \qquad r_i = \hat y_i - y_i

    The two pieces meet with equal value and slope at :math:`|r| = \delta`,
    so the loss is convex and once continuously differentiable.

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    delta : float, default 1.0
        Where the quadratic turns linear, :math:`\delta > 0`, in the units of
        :math:`y`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
        If the shapes differ, an input is empty or holds NaN/inf,
        ``reduction`` is unknown, or ``delta <= 0``.

    Notes
    -----
    Computed as :math:`\tfrac12 a^2 + \delta(|r| - a)` with
    :math:`a = \min(|r|, \delta)`, which never squares a large error: an
    error of 1e300 gives :math:`\delta \cdot 10^{300}`, not ``inf``.

    PyTorch: ``torch.nn.functional.huber_loss(input, target, delta=1.0)``
    (prediction first) is the same loss. Its ``smooth_l1_loss(input, target,
    beta)`` divides by the threshold instead,
    :math:`\tfrac{1}{2\beta} r^2` for :math:`|r| < \beta` and
    :math:`|r| - \tfrac12\beta` beyond, so
    ``huber(delta=d) == d * smooth_l1_loss(beta=d)``; the two coincide only for
    ``delta = 1``. Keras: ``keras.losses.Huber(delta=1.0)(y_true, y_pred)``,
    which averages over the last axis before the batch (same mean; its
    ``"sum"`` is our sum divided by the last axis' length).

    References
    ----------
    P. J. Huber, "Robust Estimation of a Location Parameter", *The Annals of
    Mathematical Statistics* 35 (1964).

    Examples
    --------
    >>> huber([0.0, 0.0], [0.5, 3.0], reduction="none")
    array([0.125, 2.5  ])
    >>> huber([0.0, 0.0], [0.5, 3.0], delta=2.0)
    np.float64(2.0625)
    """
    # NaN or inf in an input makes its loss NaN or inf: the losses' own sum finds it, not a pass of its own
    y, y_hat = prepare_pair("huber", y_true, y_pred, reduction, finite=False)
    try:
        delta = check_scalar("huber", "delta", delta, low=0.0, low_open=True)
    except ValueError:
        check_finite("huber", {"y_true": y, "y_pred": y_hat})  # a NaN input is reported first, as everywhere
        raise
    return reduce_elementwise(partial(_huber_into, delta), (y, y_hat), reduction, sample_weight, fn="huber",
                              scratch=1, unchecked={"y_true": y, "y_pred": y_hat})


def _huber_into(delta: float, y: np.ndarray, y_hat: np.ndarray, out: np.ndarray, abs_r: np.ndarray) -> None:
    r"""Write the Huber losses into ``out``: :math:`\tfrac12 a^2 + \delta(|r| - a)`, :math:`a = \min(|r|, \delta)`."""
    np.subtract(y_hat, y, out=abs_r)
    np.abs(abs_r, out=abs_r)
    a = np.clip(abs_r, 0.0, delta, out=out)  # min(|r|, delta); clip is the faster ufunc loop
    abs_r -= a
    if delta != 1.0:  # x * 1.0 is x: the default skips a pass
        abs_r *= delta
    np.multiply(a, a, out=a)
    a *= 0.5
    a += abs_r


def huber_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, delta: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`huber` with respect to ``y_pred``.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_i} = \operatorname{clip}(r_i, -\delta, \delta)

    divided by :math:`n` for ``"mean"``: the error itself while it is small,
    and at most :math:`\delta` in size, which is what limits an outlier's pull.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> huber_grad([0.0, 0.0, 0.0], [0.5, 3.0, -3.0], reduction="none")
    array([ 0.5,  1. , -1. ])
    """
    y, y_hat = prepare_pair("huber_grad", y_true, y_pred, reduction)
    delta = check_scalar("huber_grad", "delta", delta, low=0.0, low_open=True)
    g = blockwise(partial(_huber_grad_into, delta), (y, y_hat), new_like(y_hat))
    return reduce_grad(g, reduction, y_hat.size, owned=True, sample_weight=sample_weight, fn="huber_grad")


def _huber_grad_into(delta: float, y: np.ndarray, y_hat: np.ndarray, out: np.ndarray) -> None:
    np.subtract(y_hat, y, out=out)
    np.clip(out, -delta, delta, out=out)


register(LossRecord(
    name="huber", family="regression", task="regression",
    minimiser=(
        r"Huber's location $m$: the root of $\mathbb E[\operatorname{clip}(Y - m, -\delta, \delta) \mid x] = "
        r"0$; the conditional mean when every residual is within $\delta$, a median as $\delta \to 0$"
    ),
    best_constant=minimisers.huber_location, proper=None,
    formula=r"\begin{cases}\tfrac12(\hat y - y)^2 & |\hat y - y| \le \delta\\"
            r" \delta\,(|\hat y - y| - \tfrac12\delta) & \text{otherwise}\end{cases}",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = \operatorname{clip}(\hat y - y,\ -\delta,\ \delta)",
    convex=True, differentiable=True, robust=True,
    fn=huber, grad=huber_grad, inputs="real", chapter="02_regression",
    reference="huber1964",
    torch="torch.nn.functional.huber_loss(y_pred, y_true, delta=1.0)",
    keras="keras.losses.Huber(delta=1.0)(y_true, y_pred)",
    params={"delta": 1.0},
    torch_notes=(
        "Prediction first. `huber_loss(delta=d)` is this loss; `smooth_l1_loss(beta=d)` is it divided "
        "by `d`, so the two agree only for `d = 1`."
    ),
    keras_notes="Keras averages over the last axis first, which changes `'sum'` and `'none'`.",
))


_LOG_COSH_LINEAR = 700.0
"""Beyond this :math:`|r|`, :math:`\\log\\cosh r = |r| - \\log 2` to far below an ulp (:math:`e^{-1400}`)."""


def _log_cosh(r: np.ndarray) -> np.ndarray:
    """:math:`\\log\\cosh r` to full precision for every finite ``r``; overwrites ``r`` (pass a fresh array).

    :math:`\\cosh r - 1 = 2\\sinh^2(r/2)` has no cancellation and ``log1p``
    keeps it, for tiny and large errors alike; only :math:`\\sinh^2` would
    overflow beyond :math:`|r| \\approx 710`, where the linear form takes over.
    """
    out = np.abs(r, out=r)
    far = out > _LOG_COSH_LINEAR
    linear = out[far] - LOG2 if far.any() else None
    np.minimum(out, _LOG_COSH_LINEAR, out=out)
    out *= 0.5
    np.sinh(out, out=out)
    np.multiply(out, out, out=out)
    out *= 2.0
    np.log1p(out, out=out)
    if linear is not None:
        out[far] = linear
    return out


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"):
    r"""Log-cosh loss: about :math:`\tfrac12 r^2` for small errors and :math:`|r| - \log 2` for large ones.

    .. math:: \ell_i = \log\cosh(\hat y_i - y_i)

    Smooth everywhere (unlike :func:`huber`, all derivatives exist) and
    convex, with a gradient bounded by 1.

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
    ``np.log(np.cosh(r))`` overflows for :math:`|r| > 710` and rounds
    :math:`\cosh r` to 1 for tiny errors. We use
    :math:`\operatorname{log1p}(2\sinh^2(r/2))`, which has no cancellation
    and keeps tiny losses (:math:`r = 10^{-8}` gives :math:`5 \cdot 10^{-17}`),
    and :math:`|r| - \log 2` beyond :math:`|r| = 700`, where the two agree to
    far below an ulp (1e150 gives :math:`10^{150}`); within :math:`10^{-15}`
    relative of 50-digit mpmath everywhere.

    PyTorch has no log-cosh loss. Keras ``keras.losses.LogCosh()(y_true,
    y_pred)`` computes :math:`r + \operatorname{softplus}(-2r) - \log 2`,
    averaged over the last axis. Two surprises in float64: it takes
    :math:`\log 2` from a float32 constant, so every value is
    :math:`1.9 \cdot 10^{-9}` too small (negative for errors below about
    :math:`6 \cdot 10^{-5}`), and :math:`-2r` overflows for
    :math:`r < -9 \cdot 10^{307}`, returning ``inf``.

    References
    ----------
    R. Neuneier and H. G. Zimmermann, "How to Train Neural Networks", in
    *Neural Networks: Tricks of the Trade*, Springer LNCS 1524 (1998).

    Examples
    --------
    >>> log_cosh([0.0, 0.0], [1.0, -1.0], reduction="none")
    array([0.43378083, 0.43378083])
    >>> float(log_cosh([0.0], [1e150])) == 1e150
    True
    """
    y, y_hat = prepare_pair("log_cosh", y_true, y_pred, reduction)
    return reduce(_log_cosh(np.subtract(y_hat, y, out=new_like(y_hat))), reduction, sample_weight, fn="log_cosh")


def log_cosh_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    r"""Derivative of :func:`log_cosh` with respect to ``y_pred``.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_i} = \tanh(\hat y_i - y_i)

    divided by :math:`n` for ``"mean"``. ``np.tanh`` saturates at :math:`\pm 1`
    without overflow.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> log_cosh_grad([0.0, 0.0], [0.0, 1e150], reduction="sum")
    array([0., 1.])
    """
    y, y_hat = prepare_pair("log_cosh_grad", y_true, y_pred, reduction)
    r = np.subtract(y_hat, y, out=new_like(y_hat))
    return reduce_grad(np.tanh(r, out=r), reduction, y_hat.size, owned=True,
                       sample_weight=sample_weight, fn="log_cosh_grad")


register(LossRecord(
    name="log_cosh", family="regression", task="regression",
    minimiser=(
        r"the root $m$ of $\mathbb E[\tanh(Y - m) \mid x] = 0$: near the conditional mean when the residuals "
        r"are small against 1, near a median when they are large"
    ),
    best_constant=minimisers.log_cosh_location, proper=None,
    formula=r"\log\cosh(\hat y - y)",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = \tanh(\hat y - y)",
    convex=True, differentiable=True, robust=True,
    fn=log_cosh, grad=log_cosh_grad, inputs="real", chapter="02_regression",
    reference="neuneier1998",
    torch=None,
    keras="keras.losses.LogCosh()(y_true, y_pred)",
    keras_notes=(
        r"Keras averages over the last axis first, which changes `'sum'` and `'none'`. It takes $\log "
        r"2$ from a float32 constant, so in float64 every value is about $1.9 \cdot 10^{-9}$ too low."
    ),
))


def quantile(
    y_true: ArrayLike, y_pred: ArrayLike, *, q: float = 0.5,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Quantile (pinball) loss: its minimiser is the :math:`q`-quantile of :math:`y`.

    .. math::

        \ell_i = \max\bigl(q\,(y_i - \hat y_i),\; (q - 1)\,(y_i - \hat y_i)\bigr)
        = \begin{cases} q\,(y_i - \hat y_i) & \hat y_i \le y_i \\
                        (1 - q)\,(\hat y_i - y_i) & \hat y_i > y_i \end{cases}

    Under-predicting costs :math:`q` per unit, over-predicting :math:`1 - q`;
    ``q = 0.9`` therefore pushes :math:`\hat y` up until only 10 % of the
    targets lie above it. ``q = 0.5`` is half the absolute error.

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y` of the :math:`q`-quantile.
    q : float, default 0.5
        The quantile level, in the open interval :math:`(0, 1)`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
        If the shapes differ, an input is empty or holds NaN/inf,
        ``reduction`` is unknown, or ``q`` is not in :math:`(0, 1)`.

    Notes
    -----
    Piecewise linear, so finite for every finite error. Neither PyTorch nor
    Keras ships a quantile loss (TensorFlow Addons' ``PinballLoss`` is
    discontinued); both are one line with ``maximum``. The argument order
    matters: swapping ``y_true`` and ``y_pred`` turns ``q`` into ``1 - q``.

    References
    ----------
    R. Koenker and G. Bassett, "Regression Quantiles", *Econometrica* 46 (1978).

    Examples
    --------
    >>> quantile([0.0, 0.0], [-2.0, 2.0], q=0.9, reduction="none")
    array([1.8, 0.2])
    >>> quantile([0.0, 0.0], [-2.0, 2.0])  # q = 0.5: half the absolute error
    np.float64(1.0)
    """
    y, y_hat = prepare_pair("quantile", y_true, y_pred, reduction)
    q = check_scalar("quantile", "q", q, low=0.0, high=1.0, low_open=True, high_open=True)
    r = np.subtract(y, y_hat, out=new_like(y_hat))
    loss = np.multiply(r, q, out=new_like(r))
    r *= q - 1.0
    return reduce(np.maximum(loss, r, out=loss), reduction, sample_weight, fn="quantile")


def quantile_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, q: float = 0.5,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative (subgradient at the kink) of :func:`quantile` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \begin{cases}
            -q & \hat y_i < y_i \\ 0 & \hat y_i = y_i \\ 1 - q & \hat y_i > y_i \end{cases}

    divided by :math:`n` for ``"mean"``. At :math:`\hat y_i = y_i` any value
    in :math:`[-q, 1 - q]` is a subgradient; we return 0, which always lies in
    that interval, makes an exact fit stationary, and matches
    :func:`mae_grad` (``q = 0.5`` gives exactly half of it).

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> quantile_grad([0.0, 0.0, 0.0], [-1.0, 0.0, 1.0], q=0.9, reduction="sum")
    array([-0.9,  0. ,  0.1])
    """
    y, y_hat = prepare_pair("quantile_grad", y_true, y_pred, reduction)
    q = check_scalar("quantile_grad", "q", q, low=0.0, high=1.0, low_open=True, high_open=True)
    r = np.subtract(y_hat, y, out=new_like(y_hat))
    above = r > 0.0
    # -q where r != 0, plus 1 where r > 0: 1 - q above, -q below, 0 at the kink (no branches per element)
    g = np.multiply(r != 0.0, -q, out=r)
    g += above
    g += 0.0  # -q * 0 is -0.0 at the kink: make it 0.0
    return reduce_grad(g, reduction, y_hat.size, owned=True, sample_weight=sample_weight, fn="quantile_grad")


register(LossRecord(
    name="quantile", family="regression", task="quantile regression",
    minimiser=r"the conditional $q$-quantile of $Y$ given $x$",
    best_constant=minimisers.quantile, proper=None,
    formula=r"\max\bigl(q\,(y - \hat y),\ (q - 1)\,(y - \hat y)\bigr)",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = \mathbf{1}[\hat y > y] - q",
    convex=True, differentiable=False, robust=True,
    fn=quantile, grad=quantile_grad, inputs="real", chapter="02_regression",
    reference="koenker1978",
    params={"q": 0.5},
))


def tukey(
    y_true: ArrayLike, y_pred: ArrayLike, *, c: float = 4.685,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Tukey's biweight (bisquare) loss: errors beyond :math:`c` all cost the same.

    .. math::

        \ell_i = \begin{cases}
            \frac{c^2}{6}\Bigl(1 - \bigl(1 - (r_i/c)^2\bigr)^3\Bigr) & |r_i| \le c \\
            \frac{c^2}{6} & |r_i| > c
        \end{cases}, \qquad r_i = \hat y_i - y_i

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    c : float, default 4.685
        Rejection point, :math:`c > 0`. The default gives 95 % efficiency
        under Gaussian noise of unit standard deviation; for other noise
        levels divide the residuals by a robust scale estimate first (or
        scale ``c``).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
        If the shapes differ, an input is empty or holds NaN/inf,
        ``reduction`` is unknown, or ``c <= 0``.

    Notes
    -----
    Not convex: fitting with it needs a good start (e.g. a Huber fit). With
    :math:`u = \min(|r|/c, 1)^2` we compute
    :math:`\tfrac{c^2}{6}\,u\,(3 - 3u + u^2)`, the expanded polynomial, so
    small errors do not cancel in :math:`1 - (1 - u)^3`, and huge errors are
    clipped before they are squared. Neither PyTorch nor Keras has this loss.

    References
    ----------
    A. E. Beaton and J. W. Tukey, "The Fitting of Power Series, Meaning
    Polynomials, Illustrated on Band-Spectroscopic Data", *Technometrics* 16
    (1974).
    P. W. Holland and R. E. Welsch, "Robust Regression Using Iteratively
    Reweighted Least-Squares", *Communications in Statistics* 6 (1977), for
    the tuning constant 4.685.

    Examples
    --------
    >>> tukey([0.0, 0.0, 0.0], [1.0, 2.0, 100.0], c=2.0, reduction="none")
    array([0.38541667, 0.66666667, 0.66666667])
    """
    y, y_hat = prepare_pair("tukey", y_true, y_pred, reduction)
    c = check_scalar("tukey", "c", c, low=0.0, low_open=True)
    a = np.minimum(np.abs(y_hat - y), c)
    u = np.square(a / c)
    # (a^2 / 6)(3 - 3u + u^2) with u = (a/c)^2 inside: no c^2, which overflows for c > 1e154 (c = 1e200 gave nan
    # at r = 0); beyond c the plateau c^2 / 6 itself (inf only where it truly exceeds the float range)
    with np.errstate(over="ignore"):
        plateau = c * c / 6.0
    return reduce(np.where(a < c, a * (a / 6.0) * (3.0 - 3.0 * u + u * u), plateau), reduction,
                  sample_weight, fn="tukey")


def tukey_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, c: float = 4.685,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`tukey` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \begin{cases}
            r_i\,\bigl(1 - (r_i/c)^2\bigr)^2 & |r_i| \le c \\ 0 & |r_i| > c \end{cases}

    divided by :math:`n` for ``"mean"``. The gradient *redescends*: it grows,
    peaks at :math:`|r| = c/\sqrt5`, and falls back to exactly zero at
    :math:`c`, so gross outliers stop pulling on the fit at all.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> tukey_grad([0.0, 0.0, 0.0], [1.0, 2.0, 100.0], c=2.0, reduction="none")
    array([0.5625, 0.    , 0.    ])
    """
    y, y_hat = prepare_pair("tukey_grad", y_true, y_pred, reduction)
    c = check_scalar("tukey_grad", "c", c, low=0.0, low_open=True)
    r = y_hat - y
    t = np.minimum(np.abs(r) / c, 1.0)
    return reduce_grad(r * (1.0 - t * t) ** 2, reduction, y_hat.size, sample_weight=sample_weight, fn="tukey_grad")


register(LossRecord(
    name="tukey", family="regression", task="regression",
    minimiser=r"a minimiser of a non-convex expected loss: it need not be unique, and no formula gives it",
    best_constant=None, proper=None,
    formula=r"\frac{c^2}{6}\Bigl(1 - \bigl(1 - \min(|\hat y - y|/c,\,1)^2\bigr)^3\Bigr)",
    gradient=(
        r"\frac{\partial \ell}{\partial \hat y} = (\hat y - y)\bigl(1 - ((\hat y - y)/c)^2\bigr)^2\ \text{for "
        r"} |\hat y - y| < c,\ 0 \text{ beyond}"
    ),
    convex=False, differentiable=True, robust=True,
    fn=tukey, grad=tukey_grad, inputs="real", chapter="02_regression",
    reference="beaton1974",
    params={"c": 4.685},
))


def _check_msle(fn: str, y_true, y_pred, reduction):
    y, y_hat = prepare_pair(fn, y_true, y_pred, reduction)
    check_in_range(fn, "y_true", y, low=-1.0, low_open=True, why=" (log1p must be finite)")
    check_in_range(fn, "y_pred", y_hat, low=-1.0, low_open=True, why=" (log1p must be finite)")
    return y, y_hat


def msle(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"):
    r"""Mean squared logarithmic error: the squared error of :math:`\log(1 + \cdot)`-transformed values.

    .. math:: \ell_i = \bigl(\log(1 + \hat y_i) - \log(1 + y_i)\bigr)^2, \qquad L = \frac{1}{n}\sum_i \ell_i

    It is :func:`mse` of ``log1p(y_true)`` and ``log1p(y_pred)``, and so
    measures the *ratio* :math:`(1 + \hat y)/(1 + y)`: predicting 109 for 99
    costs exactly what predicting 0.1 for 0 costs, both 10% too high on the
    scale of :math:`1 + y`.

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y > -1` (usually non-negative: prices, counts, durations).
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y > -1`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
        If the shapes differ, an input is empty or holds NaN/inf, a value is
        :math:`\le -1` (where :math:`\log(1 + \cdot)` is not finite), or
        ``reduction`` is unknown.

    Notes
    -----
    Computed with ``np.log1p``, exact for tiny values where ``log(1 + x)``
    rounds ``1 + x`` first. Keras' ``keras.losses.MeanSquaredLogarithmicError()``
    (target first, as here) replaces every value below ``1e-7`` by ``1e-7``
    before ``log(x + 1)``: a negative prediction there costs what 0 costs and
    gets **no gradient**, where this function takes the values as they are
    (and refuses :math:`\le -1`). PyTorch has no MSLE; scikit-learn's
    ``mean_squared_log_error`` is this mean (it too refuses :math:`\le -1`).

    References
    ----------
    F. Chollet et al., Keras, ``keras.losses.MeanSquaredLogarithmicError``
    (https://keras.io/api/losses/regression_losses/).

    Examples
    --------
    >>> msle([0.0, 1.0], [np.e - 1.0, 1.0], reduction="none")
    array([1., 0.])
    >>> bool(np.isclose(msle([99.0], [109.0]), msle([0.0], [0.1])))
    True
    """
    y, y_hat = _check_msle("msle", y_true, y_pred, reduction)
    r = np.subtract(np.log1p(y_hat), np.log1p(y), out=new_like(y_hat))
    return reduce(np.square(r, out=r), reduction, sample_weight, fn="msle")


def msle_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    r"""Derivative of :func:`msle` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i}
        = \frac{2\bigl(\log(1 + \hat y_i) - \log(1 + y_i)\bigr)}{1 + \hat y_i}

    divided by :math:`n` for ``"mean"``. The :math:`1/(1 + \hat y)` makes the
    step shrink as the prediction grows: an error of 10 at 1000 pushes about a
    hundredth as hard as an error of 0.1 at 9.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> msle_grad([0.0, 1.0], [np.e - 1.0, 1.0], reduction="none")
    array([0.73575888, 0.        ])
    """
    y, y_hat = _check_msle("msle_grad", y_true, y_pred, reduction)
    g = np.subtract(np.log1p(y_hat), np.log1p(y), out=new_like(y_hat))
    g *= 2.0
    g /= 1.0 + y_hat  # 1 + y_hat is exact from -1 + 2**-53 on: no cancellation near the edge of the domain
    return reduce_grad(g, reduction, y_hat.size, owned=True, sample_weight=sample_weight, fn="msle_grad")


register(LossRecord(
    name="msle", family="regression", task="regression of positive targets (relative errors)",
    minimiser=(
        r"$\exp(\mathbb E[\log(1 + Y) \mid x]) - 1$: the geometric mean of $1 + Y$, minus 1 (below the conditional"
        r" mean)"
    ),
    best_constant=minimisers.log1p_mean, proper=None,
    formula=r"\bigl(\log(1 + \hat y) - \log(1 + y)\bigr)^2",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = \frac{2\bigl(\log(1 + \hat y) - \log(1 + y)\bigr)}{1 + \hat y}",
    convex=False, differentiable=True, robust=False,
    fn=msle, grad=msle_grad, inputs="log1p_real", chapter="02_regression",
    reference="chollet2015",
    keras="keras.losses.MeanSquaredLogarithmicError()(y_true, y_pred)",
    keras_notes=(
        r"Values below $10^{-7}$ become $10^{-7}$ first: a prediction in $(-1, 0)$ costs what 0 costs and gets "
        "no gradient. Keras averages over the last axis first, which changes `'sum'` and `'none'`."
    ),
))


def _xlogy(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """:math:`y \\log x` with the convention :math:`0 \\log 0 = 0` (a count of zero adds nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0.0, 0.0, y * np.log(x))


def _stirling(y: np.ndarray) -> np.ndarray:
    """PyTorch's ``full=True`` term :math:`y\\log y - y + \\tfrac12\\log(2\\pi y)` for :math:`y > 1`, else 0."""
    big = np.where(y > 1.0, y, 2.0)  # any value > 1 keeps log() quiet where the term is masked out
    return np.where(y > 1.0, big * np.log(big) - big + 0.5 * np.log(2.0 * np.pi * big), 0.0)


def _check_poisson(fn: str, y_true, y_pred, log_input, eps, full, reduction):
    y, y_hat = prepare_pair(fn, y_true, y_pred, reduction)
    log_input = check_bool(fn, "log_input", log_input)
    full = check_bool(fn, "full", full)
    eps = check_scalar(fn, "eps", eps, low=0.0)
    check_in_range(fn, "y_true", y, low=0.0, why=" (counts)")
    if not log_input:
        check_in_range(fn, "y_pred", y_hat, low=0.0, why=" (rates; pass log_input=True for log-rates)")
    return y, y_hat, log_input, eps, full


def poisson_nll(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    log_input: bool = False,
    eps: float = 1e-8,
    full: bool = False,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Poisson negative log-likelihood of counts :math:`y` under predicted rates.

    .. math::

        \ell_i = \begin{cases}
            \hat y_i - y_i \log(\hat y_i + \epsilon) & \texttt{log\_input=False}
                \text{ (}\hat y\text{ is the rate } \lambda\text{)} \\
            e^{\hat y_i} - y_i\,\hat y_i & \texttt{log\_input=True}
                \text{ (}\hat y\text{ is } \log\lambda\text{)}
        \end{cases}

    This is :math:`-\log p(y \mid \lambda) = \lambda - y\log\lambda + \log y!`
    without the constant :math:`\log y!`. With ``full=True`` Stirling's
    approximation :math:`y\log y - y + \tfrac12\log(2\pi y)` of
    :math:`\log y!` is added for :math:`y > 1` (nothing for
    :math:`y \le 1`), as in PyTorch.

    Parameters
    ----------
    y_true : array_like, any shape
        Observed counts, :math:`y \ge 0` (need not be integers, as in PyTorch
        and Keras).
    y_pred : array_like, same shape as ``y_true``
        Predicted rates :math:`\lambda \ge 0`, or log-rates (any real) when
        ``log_input=True``.
    log_input : bool, default False
        Whether ``y_pred`` holds :math:`\log\lambda`.
    eps : float, default 1e-8
        Added to the rate inside the logarithm when ``log_input=False``,
        :math:`\epsilon \ge 0`; unused for log-rates.
    full : bool, default False
        Add the Stirling term.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        As in :func:`mse`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``y_pred``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``log_input``/``full`` is not a bool.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf,
        ``reduction`` is unknown, ``eps < 0``, a count is negative, or (with
        ``log_input=False``) a rate is negative.

    Notes
    -----
    The formulas, ``eps`` and the Stirling term are those of
    ``torch.nn.functional.poisson_nll_loss(input, target, log_input, full,
    eps)`` (prediction first), but **our default is** ``log_input=False``
    (rates, like Keras and scikit-learn) where PyTorch defaults to
    ``True``. We take :math:`0 \log 0 = 0`, so a zero count with a zero rate
    and ``eps=0`` costs 0 where PyTorch returns NaN; a positive count with a
    zero rate and ``eps=0`` is honestly ``inf``. The log-rate form is the
    stable one for learning (no logarithm of a rate near 0); it overflows to
    ``inf`` only when :math:`e^{\hat y}` does (:math:`\hat y > 709`).

    Keras ``keras.losses.Poisson()(y_true, y_pred)`` is
    :math:`\hat y - y\log(\hat y + 10^{-7})` averaged over the last axis,
    that is ``poisson_nll(..., eps=1e-7)``.

    References
    ----------
    J. A. Nelder and R. W. M. Wedderburn, "Generalized Linear Models",
    *Journal of the Royal Statistical Society A* 135 (1972).

    Examples
    --------
    >>> poisson_nll([0.0, 2.0], [1.0, 2.0], eps=0.0, reduction="none")
    array([1.        , 0.61370564])
    >>> poisson_nll([0.0, 2.0], [0.0, np.log(2.0)], log_input=True, reduction="none")
    array([1.        , 0.61370564])
    """
    fn = "poisson_nll"
    y, y_hat, log_input, eps, full = _check_poisson(fn, y_true, y_pred, log_input, eps, full, reduction)
    if log_input:
        with np.errstate(over="ignore"):
            loss = np.exp(y_hat) - y * y_hat
    else:
        loss = y_hat - _xlogy(y, y_hat + eps)
    if full:
        loss = loss + _stirling(y)
    return reduce(loss, reduction, sample_weight, fn="poisson_nll")


def poisson_nll_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    log_input: bool = False,
    eps: float = 1e-8,
    full: bool = False,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`poisson_nll` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \begin{cases}
            1 - \dfrac{y_i}{\hat y_i + \epsilon} & \texttt{log\_input=False} \\
            e^{\hat y_i} - y_i & \texttt{log\_input=True} \end{cases}

    divided by :math:`n` for ``"mean"``; the Stirling term of ``full=True``
    does not depend on :math:`\hat y`. Zero at :math:`\lambda = y`: the loss
    is minimised by predicting the count.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> poisson_nll_grad([0.0, 2.0, 4.0], [1.0, 2.0, 2.0], eps=0.0, reduction="none")
    array([ 1.,  0., -1.])
    """
    fn = "poisson_nll_grad"
    y, y_hat, log_input, eps, _ = _check_poisson(fn, y_true, y_pred, log_input, eps, full, reduction)
    if log_input:
        with np.errstate(over="ignore"):
            g = np.exp(y_hat) - y
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            g = 1.0 - np.where(y == 0.0, 0.0, y / (y_hat + eps))
    return reduce_grad(g, reduction, y_hat.size, sample_weight=sample_weight, fn="poisson_nll_grad")


register(LossRecord(
    name="poisson_nll", family="regression", task="count regression",
    minimiser=(
        r"the conditional mean $\mathbb E[Y \mid x]$ as the rate (its log with `log_input=True`), whatever the"
        r" distribution of the counts"
    ),
    best_constant=minimisers.mean_rate, proper=None,
    formula=r"\hat y - y \log(\hat y + \epsilon)",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = 1 - \frac{y}{\hat y + \epsilon}",
    convex=True, differentiable=True, robust=False,
    fn=poisson_nll, grad=poisson_nll_grad, inputs="counts", chapter="02_regression",
    reference="nelder1972",
    torch="torch.nn.functional.poisson_nll_loss(y_pred, y_true, log_input=False)",
    keras="keras.losses.Poisson()(y_true, y_pred)",
    params={"log_input": False, "eps": 1e-8, "full": False},
    nonnegative=False, zero_at_perfect=False,
    torch_notes=(
        "Prediction first, and `log_input` defaults to `True` there (the prediction is a log-rate): "
        r"pass `log_input=False` for rates. Same $\epsilon = 10^{-8}$."
    ),
    keras_notes=(
        r"Uses $\epsilon = 10^{-7}$ (here $10^{-8}$). Keras averages over the last axis first, which "
        "changes `'sum'` and `'none'`."
    ),
))


_ALPHA_AT_LIMIT = 1e-30  # |alpha| or |alpha - 2| below this: the limit is exact to float precision


def _ratio_and_log1p(x: np.ndarray, t: np.ndarray, b: float, c: float) -> tuple[np.ndarray, np.ndarray]:
    """:math:`s = z/b`, :math:`L = \\log(1 + s)`, :math:`z = (x/c)^2 = t^2`; ``L`` is finite even if ``s`` is not."""
    with np.errstate(over="ignore"):
        s = (t * t) / b
    L = np.log1p(s)
    huge = np.isinf(s)
    if huge.any():  # s > 1.8e308: log(1 + s) = log z - log b to far below an ulp
        L = np.where(huge, 2.0 * (np.log(np.where(huge, np.abs(x), 1.0)) - np.log(c)) - np.log(b), L)
    return s, L


def _times_log1p(k: float, s: np.ndarray, L: np.ndarray, t: np.ndarray, b: float) -> np.ndarray:
    """:math:`k \\log(1 + s)`, also where :math:`s = t^2/b` underflows (huge ``b``): there it is :math:`(k/b)\\,t^2`."""
    tiny = s < 1e-290
    if tiny.any():
        return np.where(tiny, (k / b) * t * t, k * L)
    return k * L


def _shape(alpha: float) -> tuple[float, float]:
    """:math:`b = |\\alpha - 2|` and the exponent :math:`\\alpha/2`, with alpha near 0 taken at the limit."""
    if abs(alpha) < _ALPHA_AT_LIMIT:
        return 2.0, 0.0
    return abs(alpha - 2.0), 0.5 * alpha


def _general_robust(x: np.ndarray, alpha: float, c: float) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.abs(x) / c
        if alpha == -np.inf:  # Welsch / Leclerc: t * t = inf for huge errors gives exactly 1
            return -np.expm1(-0.5 * t * t)
        if abs(alpha - 2.0) < _ALPHA_AT_LIMIT:  # L2
            return (0.5 * t) * t
        b, e = _shape(alpha)
        s, L = _ratio_and_log1p(x, t, b, c)
        if e == 0.0:  # Cauchy / Lorentzian: log(1 + z/2)
            return L
        # rho = (b/alpha) * ((1 + s)^e - 1). With u = e*L, expm1(u) has no cancellation when the power is
        # near 1 (alpha near 0, small errors); where |u| > 1 and L > 1 the power itself rounds less.
        u = _times_log1p(e, s, L, t, b)
        power = np.power(1.0 + s, e)
        use_power = (L > 1.0) & (np.abs(u) > 1.0) & np.isfinite(s) & np.isfinite(power)
        rho = (b / alpha) * np.where(use_power, power - 1.0, np.expm1(u))
        redo = np.isinf(s) & (u > 1.0)
        if redo.any():  # s overflowed, alpha > 0: (1 + s)^e = s^e = t^alpha / b^e, free of expm1's error e*L*eps
            coef = (b / alpha) * np.power(b, -e)
            t_alpha = np.power(np.where(redo, t, 1.0), alpha)
            big = coef * t_alpha
            trusted = redo & (coef > 1e-290) & np.isfinite(big)  # no piece under- or overflowed
            rho = np.where(trusted, big - b / alpha, rho)
        # where even that overflowed the "- 1" is negligible: add logarithms, finite whenever the loss is
        rho = np.where(np.isfinite(rho), rho, np.exp(u + np.log(b / abs(alpha))))
        # where expm1(u) = u underflows, rho = (b/alpha) e log1p(s) = z/2 (the quadratic bowl)
        return np.where(np.abs(u) < 1e-250, (0.5 * t) * t, rho)


def _general_robust_grad(x: np.ndarray, alpha: float, c: float) -> np.ndarray:
    sign = np.sign(x)
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.abs(x) / c
        if alpha == -np.inf:
            tc = np.minimum(t, 40.0)  # exp(-800) is 0: beyond, the gradient is 0 (and never inf * 0)
            return sign * (tc * np.exp(-0.5 * tc * tc)) / c
        if abs(alpha - 2.0) < _ALPHA_AT_LIMIT:
            return sign * t / c
        b, e = _shape(alpha)
        s, L = _ratio_and_log1p(x, t, b, c)
        # d rho / dx = (x / c^2) * (1 + s)^(e - 1); exp((e - 1) L) rounds less while L <= 1, the power beyond
        power = np.power(1.0 + s, e - 1.0)
        factor = np.where((L > 1.0) & np.isfinite(power), power, np.exp(_times_log1p(e - 1.0, s, L, t, b)))
        g = sign * (t * factor) / c
        far = s > 1e16 * max(1.0, abs(e - 1.0))  # there (1 + s)^(e - 1) = s^(e - 1) to float precision
        untrusted = np.zeros(g.shape, dtype=bool)
        if far.any():  # one power instead of a product of extremes: g = t^(alpha - 1) b^(1 - e) / c
            t_power = np.power(np.where(far, t, 1.0), alpha - 1.0)
            k = np.power(b, 1.0 - e) / c
            far_g = sign * t_power * k
            trusted = far & (t_power > 1e-290) & (k > 1e-290) & np.isfinite(far_g)  # no piece under- or overflowed
            g = np.where(trusted, far_g, g)
            untrusted = far & ~trusted
        bad = untrusted | ~np.isfinite(g) | np.isinf(t) | ((np.abs(g) < 1e-290) & (x != 0.0))
        if bad.any():  # over- or underflow in the pieces: add logarithms instead
            log_t = np.log(np.where(bad, np.abs(x), 1.0)) - np.log(c)
            g = np.where(bad, sign * np.exp(log_t - np.log(c) + _times_log1p(e - 1.0, s, L, t, b)), g)
    return g


def general_robust(
    y_true: ArrayLike, y_pred: ArrayLike, *, alpha: float = 1.0, scale: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Barron's general robust loss: one shape parameter :math:`\alpha` spans L2, Charbonnier, Cauchy, Welsch.

    .. math::

        \ell_i = \rho(r_i, \alpha, c) = \frac{|\alpha - 2|}{\alpha}
        \left(\left(\frac{(r_i/c)^2}{|\alpha - 2|} + 1\right)^{\alpha/2} - 1\right),
        \qquad r_i = \hat y_i - y_i

    =======================  =============================================  =========================
    :math:`\alpha`           :math:`\rho(r, \alpha, c)`                     name
    =======================  =============================================  =========================
    2 (limit)                :math:`\tfrac12 (r/c)^2`                       L2 / least squares
    1                        :math:`\sqrt{(r/c)^2 + 1} - 1`                 Charbonnier, pseudo-Huber
    0 (limit)                :math:`\log\bigl(\tfrac12 (r/c)^2 + 1\bigr)`   Cauchy / Lorentzian
    -2                       :math:`\dfrac{2(r/c)^2}{(r/c)^2 + 4}`          Geman-McClure
    :math:`-\infty` (limit)  :math:`1 - \exp\bigl(-\tfrac12 (r/c)^2\bigr)`  Welsch / Leclerc
    =======================  =============================================  =========================

    All members are :math:`\approx \tfrac12 (r/c)^2` for :math:`|r| \ll c`;
    for large errors they grow like :math:`|r/c|^\alpha` (:math:`\alpha > 0`),
    like :math:`\log |r|` (:math:`\alpha = 0`) or saturate at
    :math:`|\alpha - 2|/|\alpha|` (:math:`\alpha < 0`). Convex exactly for
    :math:`\alpha \ge 1`.

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    y_pred : array_like, same shape as ``y_true``
        Predictions :math:`\hat y`.
    alpha : float, default 1.0
        Shape, any real number or ``-inf`` (Welsch); lower is more robust.
    scale : float, default 1.0
        :math:`c > 0`, the size of the quadratic bowl around zero error, in
        the units of :math:`y`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        As in :func:`mse`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``y_pred``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input or a parameter is not numeric.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf,
        ``reduction`` is unknown, ``alpha`` is NaN or ``+inf``, or
        ``scale <= 0``.

    Notes
    -----
    Evaluated as written, the formula divides by zero at :math:`\alpha = 0`
    and :math:`\alpha = 2`, and near :math:`\alpha = 0` it cancels: at
    :math:`\alpha = 10^{-8}` the power is :math:`1 + O(10^{-8})`, and
    subtracting 1 leaves about 8 correct digits. We compute
    :math:`\frac{|\alpha-2|}{\alpha}\operatorname{expm1}\bigl(\tfrac{\alpha}{2}
    \operatorname{log1p}\bigl(\tfrac{(r/c)^2}{|\alpha-2|}\bigr)\bigr)`,
    which does not cancel for any :math:`\alpha` (or the power itself, where
    it is far from 1 and rounds less), and use the closed-form limits only
    within :math:`10^{-30}` of 0 and 2, where they agree with the formula to
    far below float precision. Where :math:`(r/c)^2/|\alpha-2|` would
    overflow we take its logarithm as :math:`2\log|r/c| - \log|\alpha-2|`
    and its power as :math:`|r/c|^\alpha / |\alpha-2|^{\alpha/2}`, so huge
    errors give the true value whenever it is finite, and ``inf``, never
    NaN, when it is not. Against 50-digit mpmath the value and gradient are
    within a few ulps for ordinary inputs and within :math:`10^{-12}`
    everywhere in float64. The ideas (expm1/log1p, limits handled apart)
    are those of Barron's reference implementation; the code is our own.

    PyTorch and Keras have no such loss. ``torch.nn.functional.huber_loss``
    and ``alpha=1`` differ: pseudo-Huber is smooth everywhere.

    References
    ----------
    J. T. Barron, "A General and Adaptive Robust Loss Function", CVPR (2019).

    Examples
    --------
    >>> r = [0.0, 1.0, 10.0]
    >>> general_robust([0.0, 0.0, 0.0], r, alpha=2.0, reduction="none")  # half the squared error
    array([ 0. ,  0.5, 50. ])
    >>> general_robust([0.0, 0.0, 0.0], r, alpha=0.0, reduction="none").round(4)  # log(r^2/2 + 1)
    array([0.    , 0.4055, 3.9318])
    >>> general_robust([0.0, 0.0, 0.0], r, alpha=-np.inf, reduction="none").round(4)  # Welsch, saturates at 1
    array([0.    , 0.3935, 1.    ])
    """
    y, y_hat = prepare_pair("general_robust", y_true, y_pred, reduction)
    alpha = check_scalar("general_robust", "alpha", alpha, low=-np.inf)
    scale = check_scalar("general_robust", "scale", scale, low=0.0, low_open=True)
    return reduce(_general_robust(y_hat - y, alpha, scale), reduction, sample_weight, fn="general_robust")


def general_robust_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, alpha: float = 1.0, scale: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`general_robust` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_i} = \frac{r_i}{c^2}
        \left(\frac{(r_i/c)^2}{|\alpha - 2|} + 1\right)^{\alpha/2 - 1}

    divided by :math:`n` for ``"mean"``; :math:`r/c^2` at :math:`\alpha = 2`
    and :math:`\frac{r}{c^2}\exp\bigl(-\tfrac12 (r/c)^2\bigr)` at
    :math:`\alpha = -\infty`. For :math:`\alpha < 2` the factor in brackets
    shrinks the pull of large errors; for :math:`\alpha < 1` the gradient
    redescends towards zero. (The derivative with respect to :math:`\alpha`,
    needed to *learn* the shape, is left to autograd in the chapter.)

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> general_robust_grad([0.0, 0.0], [1.0, 1e150], alpha=1.0, reduction="none")  # tends to sign(r)/c
    array([0.70710678, 1.        ])
    """
    y, y_hat = prepare_pair("general_robust_grad", y_true, y_pred, reduction)
    alpha = check_scalar("general_robust_grad", "alpha", alpha, low=-np.inf)
    scale = check_scalar("general_robust_grad", "scale", scale, low=0.0, low_open=True)
    return reduce_grad(_general_robust_grad(y_hat - y, alpha, scale), reduction, y_hat.size,
                       sample_weight=sample_weight, fn="general_robust_grad")


register(LossRecord(
    name="general_robust", family="regression", task="regression",
    minimiser=(
        r"for $\alpha \ge 1$ (convex) the root $m$ of $\mathbb E[\psi(Y - m) \mid x] = 0$ with $\psi = "
        r"\partial\ell/\partial\hat y$; $\alpha = 2$ gives the conditional mean. Below 1 a minimiser need not "
        r"be unique"
    ),
    best_constant=minimisers.general_robust_location, proper=None,
    formula=r"\frac{|\alpha-2|}{\alpha}\left(\left(\frac{((\hat y - y)/c)^2}{|\alpha-2|}+1\right)^{\alpha/2}-1\right)",
    gradient=(
        r"\frac{\partial \ell}{\partial \hat y} = "
        r"\frac{r}{c}\left(\frac{r^2}{|\alpha-2|}+1\right)^{\alpha/2-1},\quad r = (\hat y - y)/c"
    ),
    convex=False, differentiable=True, robust=True,
    fn=general_robust, grad=general_robust_grad, inputs="real", chapter="02_regression",
    reference="barron2019",
    params={"alpha": 1.0, "scale": 1.0},
))
