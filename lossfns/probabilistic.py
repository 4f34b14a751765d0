"""Probabilistic losses: the prediction is a distribution, the loss its negative log-likelihood."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns import minimisers
from lossfns._axis import class_axis
from lossfns._validation import (
    check_bool,
    check_in_range,
    check_rows_sum_to_one,
    check_scalar,
    prepare_arrays,
    prepare_rows,
    reduce,
    reduce_grad,
)
from lossfns.registry import LossRecord, register

HALF_LOG_2PI = 0.5 * float(np.log(2.0 * np.pi))


def _check_gaussian(fn: str, y_true, mean, var, eps, full, reduction):
    y, mu, v = prepare_arrays(fn, reduction, {"y_true": y_true, "mean": mean, "var": var})
    eps = check_scalar(fn, "eps", eps, low=0.0, low_open=True)
    full = check_bool(fn, "full", full)
    check_in_range(fn, "var", v, low=0.0, why=" (a variance)")
    return y, mu, v, eps, full


def gaussian_nll(
    y_true: ArrayLike,
    mean: ArrayLike,
    var: ArrayLike,
    *,
    eps: float = 1e-6,
    full: bool = False,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Gaussian negative log-likelihood of :math:`y` under a predicted mean and variance.

    .. math::

        \ell_i = \frac12\left(\log \tilde\sigma_i^2 + \frac{(y_i - \mu_i)^2}{\tilde\sigma_i^2}\right)
        \;\bigl[+ \tfrac12 \log 2\pi\bigr],
        \qquad \tilde\sigma_i^2 = \max(\sigma_i^2, \epsilon)

    A model that predicts its own uncertainty: a large variance forgives a
    large error but costs :math:`\tfrac12\log\sigma^2`. For a fixed
    variance the loss is the squared error divided by :math:`2\sigma^2`.

    Parameters
    ----------
    y_true : array_like, any shape
        Targets :math:`y`.
    mean : array_like, same shape as ``y_true``
        Predicted means :math:`\mu`.
    var : array_like, same shape as ``y_true``
        Predicted variances :math:`\sigma^2 \ge 0`, one per element. For one
        shared variance pass ``np.full_like(mean, s2)`` (PyTorch also
        broadcasts a variance with fewer or size-1 dimensions; we do not, so
        that ``"none"`` and the gradient keep one value per element).
    eps : float, default 1e-6
        Variances below :math:`\epsilon > 0` are raised to it, as in PyTorch.
    full : bool, default False
        Add the constant :math:`\tfrac12\log 2\pi`, giving the exact negative
        log-density.
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
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``mean``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``full`` is not a bool.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf,
        ``reduction`` is unknown, ``eps <= 0`` or a variance is negative.

    Notes
    -----
    The clamp keeps :math:`\log\sigma^2` and :math:`1/\sigma^2` finite: a
    variance of 0 costs as much as one of :math:`\epsilon`. The arguments
    follow PyTorch's ``torch.nn.functional.gaussian_nll_loss(input, target,
    var, full=False, eps=1e-6)`` with ``input`` the mean; note that PyTorch
    puts the **prediction first** (``gaussian_nll_loss(mean, y_true, var)``)
    while we put the target first, as everywhere in ``lossfns``. A negative
    variance is an error in both. Keras has no Gaussian NLL loss (write it
    with ``keras.ops``). With ``full=True`` this is
    ``-scipy.stats.norm.logpdf(y, mean, sqrt(var))`` for :math:`\sigma^2 \ge \epsilon`.

    References
    ----------
    D. A. Nix and A. S. Weigend, "Estimating the Mean and Variance of the
    Target Probability Distribution", *IEEE International Conference on
    Neural Networks* (1994).

    Examples
    --------
    >>> gaussian_nll([0.0, 0.0], [1.0, 1.0], [1.0, 4.0], reduction="none").round(4)
    array([0.5   , 0.8181])
    >>> gaussian_nll([0.0], [0.0], [0.0], eps=1e-6)  # var 0 is clamped: 1/2 log(1e-6)
    np.float64(-6.907755278982137)
    """
    y, mu, v, eps, full = _check_gaussian("gaussian_nll", y_true, mean, var, eps, full, reduction)
    v = np.maximum(v, eps)
    r = y - mu
    loss = 0.5 * (np.log(v) + (r / v) * r)  # (r / v) r: r^2 overflows for |r| > 1e154 where r^2 / v need not
    if full:
        loss = loss + HALF_LOG_2PI
    return reduce(loss, reduction, sample_weight, fn="gaussian_nll")


def gaussian_nll_grad(
    y_true: ArrayLike,
    mean: ArrayLike,
    var: ArrayLike,
    *,
    eps: float = 1e-6,
    full: bool = False,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`gaussian_nll` with respect to ``mean`` and ``var``.

    .. math::

        \frac{\partial \ell_i}{\partial \mu_i} = \frac{\mu_i - y_i}{\tilde\sigma_i^2},
        \qquad
        \frac{\partial \ell_i}{\partial \sigma_i^2}
        = \frac{1}{2\tilde\sigma_i^2}\left(1 - \frac{(y_i - \mu_i)^2}{\tilde\sigma_i^2}\right)

    each divided by :math:`n` for ``"mean"``. The variance derivative is zero
    where :math:`\tilde\sigma^2 = (y - \mu)^2`: the best variance is the
    squared error.

    Below the clamp (:math:`\sigma_i^2 < \epsilon`) the loss does not depend
    on :math:`\sigma_i^2`, yet, like PyTorch's autograd (which clamps under
    ``torch.no_grad()``), we return the derivative at :math:`\epsilon`, not
    0: the clamp passes the gradient straight through, so a variance that
    fell below :math:`\epsilon` is still pushed back up. Finite differences
    there give 0; this is the one place where the gradient is not the
    derivative of the value.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_mean, d_var)``, in argument order, each shaped like ``mean``.

    Examples
    --------
    >>> d_mean, d_var = gaussian_nll_grad([0.0, 0.0], [1.0, 1.0], [1.0, 4.0], reduction="none")
    >>> d_mean, d_var
    (array([1.  , 0.25]), array([0.     , 0.09375]))
    """
    y, mu, v, eps, _ = _check_gaussian("gaussian_nll_grad", y_true, mean, var, eps, full, reduction)
    v = np.maximum(v, eps)
    r = mu - y
    d_mean = r / v
    d_var = 0.5 / v * (1.0 - (r / v) * r)
    return tuple(reduce_grad(g, reduction, mu.size,
                             sample_weight=sample_weight, fn="gaussian_nll_grad") for g in (d_mean, d_var))


register(LossRecord(
    name="gaussian_nll", family="probabilistic", task="regression with uncertainty",
    minimiser=r"the conditional mean and variance of $Y$ given $x$, whatever its distribution",
    best_constant=minimisers.mean_and_variance, proper=None,
    formula=r"\tfrac12\left(\log \max(\sigma^2, \epsilon) + \frac{(y - \mu)^2}{\max(\sigma^2, \epsilon)}\right)",
    gradient=(
        r"\frac{\partial \ell}{\partial \sigma^2} = \frac12\left(\frac{1}{\sigma^2} - \frac{(y - "
        r"\mu)^2}{\sigma^4}\right)\ \text{for } \sigma^2 > \epsilon,\qquad \frac{\partial \ell}{\partial \mu} "
        r"= \frac{\mu - y}{\sigma^2}"
    ),
    convex=False, differentiable=True, robust=False,
    fn=gaussian_nll, grad=gaussian_nll_grad, inputs="gaussian", chapter="02_regression",
    reference="nix1994",
    torch="torch.nn.functional.gaussian_nll_loss(mean, y_true, var)",
    params={"eps": 1e-6, "full": False},
    nonnegative=False, zero_at_perfect=False,
    torch_notes=(
        "Prediction first: `gaussian_nll_loss(mean, y_true, var)`; clamps the variance at `eps=1e-6` "
        "and drops the constant (`full=False`), as here."
    ),
))


def _kl(fn: str, p_true, q_pred, eps, reduction):
    eps = check_scalar(fn, "eps", eps, low=0.0, high=0.5, low_open=True, high_open=True)
    p, q = prepare_rows(fn, p_true, q_pred, reduction, names=("p_true", "q_pred"))
    check_rows_sum_to_one(fn, "p_true", p)
    check_rows_sum_to_one(fn, "q_pred", q)
    q_clip = np.maximum(q, eps)
    p_log_p = np.where(p > 0.0, p * np.log(np.where(p > 0.0, p, 1.0)), 0.0)  # 0 log 0 = 0
    loss = np.sum(p_log_p - p * np.log(q_clip), axis=-1)
    grad = np.where((q >= eps) & (p > 0.0), -p / q_clip, 0.0)  # no -0.0 where p = 0
    return loss, grad, reduction


@class_axis()
def kl_divergence(
    p_true: ArrayLike, q_pred: ArrayLike, *, eps: float = 1e-7,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Kullback-Leibler divergence :math:`\mathrm{KL}(p \,\|\, q)` of a target and a predicted distribution.

    .. math::

        \ell_i = \sum_{j=1}^{k} p_{ij} \log \frac{p_{ij}}{q_{ij}},
        \qquad L = \frac{1}{n} \sum_{i=1}^{n} \ell_i

    with :math:`0 \log 0 = 0` and :math:`q` clipped below at :math:`\epsilon`.
    It is the cross-entropy of :math:`q` under :math:`p` minus the entropy of
    :math:`p`, so it is :math:`\ge 0`, is 0 only for :math:`q = p`, and has
    the same gradient in :math:`q` as the cross-entropy.

    Parameters
    ----------
    p_true : array_like, shape (..., k)
        Target distributions :math:`p`, one per row (last axis); each row
        sums to 1.
    q_pred : array_like, same shape as ``p_true``
        Predicted distributions :math:`q`; each row sums to 1.
    eps : float, default 1e-7
        :math:`q` is clipped to at least :math:`\epsilon` (Keras' value), so
        a class with :math:`p > 0` but :math:`q = 0` costs
        :math:`p \log(p / \epsilon)` instead of infinity; must lie in (0, 0.5).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the rows (distributions), ``"sum"`` adds
        them, ``"none"`` returns one divergence per row.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of shape
        ``q_pred.shape[:-1]`` (``(n,)`` for ``(n, k)`` inputs) for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ or ``q_pred`` is a scalar; an input is empty or
        holds NaN/inf; a row has entries outside [0, 1] or does not sum to 1
        within 1e-4; ``eps`` is outside (0, 0.5); ``reduction`` is unknown.

    Notes
    -----
    *Argument order.* The target comes first here, as in Keras'
    ``KLDivergence()(y_true, y_pred)``. PyTorch's ``kl_div(input, target)``
    takes the *log* of the prediction first: ``kl_div(log(q), p)`` is
    :math:`\mathrm{KL}(p \| q)`, and ``kl_div(p, q)`` silently computes
    something else.

    *Reductions.* PyTorch's ``reduction="batchmean"`` is this function's
    ``"mean"``; its ``"mean"`` divides by :math:`n k`, the number of
    elements, and its ``"none"`` returns the :math:`(n, k)` terms.

    *Zeros.* Here a class with :math:`p_{ij} = 0` contributes exactly 0.
    PyTorch agrees unless also :math:`q_{ij} = 0`: then ``kl_div`` returns
    NaN (:math:`0 \cdot \log 0` with :math:`\log 0 = -\infty`). Keras clips
    :math:`p` to :math:`[\epsilon, 1]` as well, so each such class adds
    :math:`\epsilon \log(\epsilon / q_{ij})`, e.g. about :math:`-1.5 \cdot
    10^{-6}` for :math:`q_{ij} = 1/2`. The rows are not renormalised (unlike
    ``categorical_cross_entropy``'s probabilities), as in both frameworks.

    References
    ----------
    S. Kullback and R. A. Leibler, "On information and sufficiency",
    *Annals of Mathematical Statistics* 22 (1951), 79-86.

    Examples
    --------
    >>> kl_divergence([[0.5, 0.5], [1.0, 0.0]], [[0.5, 0.5], [0.5, 0.5]], reduction="none")  # 0 and log 2
    array([0.        , 0.69314718])
    """
    loss, _, reduction = _kl("kl_divergence", p_true, q_pred, eps, reduction)
    return reduce(loss, reduction, sample_weight, fn="kl_divergence")


@class_axis(grad=True)
def kl_divergence_grad(
    p_true: ArrayLike, q_pred: ArrayLike, *, eps: float = 1e-7,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`kl_divergence` with respect to ``q_pred``.

    .. math:: \frac{\partial \ell_i}{\partial q_{ij}} = -\frac{p_{ij}}{q_{ij}}

    (0 where :math:`q_{ij} < \epsilon` was clipped), divided by :math:`n`
    for ``"mean"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``q_pred``.

    Examples
    --------
    >>> kl_divergence_grad([[1.0, 0.0]], [[0.5, 0.5]])  # -p / q
    array([[-2.,  0.]])
    """
    _, grad, reduction = _kl("kl_divergence_grad", p_true, q_pred, eps, reduction)
    return reduce_grad(grad, reduction, grad[..., 0].size, sample_weight=sample_weight, fn="kl_divergence_grad",
                       shape=grad.shape[:-1])


register(LossRecord(
    name="kl_divergence", family="probabilistic", task="distribution matching",
    minimiser=r"the mean target distribution $\mathbb E[p \mid x]$",
    best_constant=minimisers.mean_distribution, proper=True,
    formula=r"\sum_{j=1}^{k} p_j \log \frac{p_j}{q_j}",
    gradient=r"\frac{\partial \ell}{\partial q_j} = -\frac{p_j}{q_j}",
    convex=True, differentiable=True, robust=False,
    fn=kl_divergence, grad=kl_divergence_grad, inputs="distributions", chapter="03_classification",
    reference="kullback1951",
    torch="torch.nn.functional.kl_div(torch.log(q_pred), p_true, reduction='batchmean')",
    keras="keras.losses.KLDivergence()(p_true, q_pred)",
    params={"eps": 1e-7},
    torch_notes=(
        "Takes the *log* of the prediction first, `kl_div(log q, p)`. `reduction='batchmean'` is this "
        "`'mean'`; its `'mean'` divides by $n k$."
    ),
    keras_notes=(
        "Target first, as here, but it clips $p$ as well as $q$ to $[10^{-7}, 1]$, so a class with "
        r"$p_j = 0$ adds $\epsilon \log(\epsilon / q_j)$ instead of 0."
    ),
))
