r"""Segmentation losses: overlap between a soft predicted mask and a target mask, one value per item.

Axis 0 is the batch: an input of shape ``(n, ...)`` holds :math:`n` items
(images, volumes), and each loss sums over all other axes, so ``"none"``
returns shape ``(n,)`` and ``"mean"`` averages over the items. Sums run over
the pixels :math:`j` of one item:

.. math::

    \mathrm{TP} = \sum_j y_j \hat y_j, \qquad
    \mathrm{FP} = \sum_j (1 - y_j) \hat y_j, \qquad
    \mathrm{FN} = \sum_j y_j (1 - \hat y_j)

the soft true positives, false positives and false negatives. :func:`dice`
is the special case :math:`\alpha = \beta = \tfrac12` of :func:`tversky` and
calls it.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import check_in_range, check_scalar, prepare_pair, reduce, reduce_grad
from lossfns.registry import LossRecord, register

_CHAPTER = "04_deep_learning_losses"


def _tversky(fn: str, y_true, y_pred, alpha, beta, smooth, reduction):
    """Per-item Tversky loss and its derivative; ``fn`` names the public function in errors."""
    y, p = prepare_pair(fn, y_true, y_pred, reduction)
    if p.ndim < 2:
        raise ValueError(
            f"{fn}: y_pred must have a batch axis and at least one more, shape (n, ...), got shape {p.shape}"
        )
    check_in_range(fn, "y_true", y, low=0.0, high=1.0, why=" (a mask)")
    check_in_range(fn, "y_pred", p, low=0.0, high=1.0, why=" (probabilities)")
    axes = tuple(range(1, p.ndim))
    tp = np.sum(y * p, axis=axes)
    fp = np.sum((1.0 - y) * p, axis=axes)
    fn_ = np.sum(y * (1.0 - p), axis=axes)
    num = tp + smooth
    den = tp + alpha * fp + beta * fn_ + smooth
    if (den == 0.0).any():
        item = int(np.argmax(den == 0.0))
        raise ValueError(
            f"{fn}: item {item} has nothing to weigh (no true positives and no false positives or negatives "
            f"counted by alpha and beta, e.g. an empty mask and an empty prediction), so its index is 0/0; "
            f"use smooth > 0"
        )
    loss = 1.0 - num / den
    # d num / d p = y ; d den / d p = y + alpha (1 - y) - beta y
    shape = (-1,) + (1,) * len(axes)
    d_den = y + alpha * (1.0 - y) - beta * y
    # (y - (num / den) d_den) / den: den^2 underflows to 0 for den < 1e-154 (smooth = 1e-300 gave inf)
    den_b = den.reshape(shape)
    grad = -(y - (num / den).reshape(shape) * d_den) / den_b
    return loss, grad + 0.0


def _check_smooth(fn: str, smooth) -> float:
    return check_scalar(fn, "smooth", smooth, low=0.0)


def tversky(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Tversky loss: one minus the soft Tversky index, weighing false positives by α and false negatives by β.

    .. math::

        \ell_i = 1 - \frac{\mathrm{TP}_i + s}{\mathrm{TP}_i + \alpha\,\mathrm{FP}_i + \beta\,\mathrm{FN}_i + s}

    per item :math:`i`, with TP, FP, FN the soft counts of the module
    docstring and :math:`s` the smoothing constant. :math:`\beta > \alpha`
    punishes missed foreground more than false alarms, which raises recall
    on small structures (Salehi et al. use :math:`\alpha = 0.3, \beta = 0.7`).

    Parameters
    ----------
    y_true : array_like, shape (n, ...)
        Target masks in [0, 1] (usually 0/1), batch axis first.
    y_pred : array_like, same shape as ``y_true``
        Predicted foreground probabilities in [0, 1].
    alpha : float, default 0.5
        Weight :math:`\alpha \ge 0` of the false positives.
    beta : float, default 0.5
        Weight :math:`\beta \ge 0` of the false negatives.
    smooth : float, default 1.0
        :math:`s \ge 0`, added to numerator and denominator: an empty mask
        predicted empty costs 0, and the gradient stays finite.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the :math:`n` items, ``"sum"`` adds them,
        ``"none"`` returns one loss per item.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; shape ``(n,)`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ or there is no axis beyond the batch; an input
        is empty or holds NaN/inf; a mask or probability lies outside
        [0, 1]; ``alpha``, ``beta`` or ``smooth`` is negative; with
        ``smooth=0``, an item's index is 0/0; ``reduction`` is unknown.

    Notes
    -----
    With :math:`\alpha = \beta = \tfrac12` the index is
    :math:`(2\mathrm{TP} + 2s)/(\textstyle\sum y + \sum \hat y + 2s)`, the
    Dice coefficient with smoothing :math:`2s`: here
    ``tversky(alpha=0.5, beta=0.5, smooth=s) == dice(smooth=2 * s)``, and the
    two agree exactly for ``smooth=0``. :math:`\alpha = \beta = 1` gives
    the soft Jaccard (IoU) loss.

    PyTorch has no Tversky loss. Keras' ``keras.losses.Tversky(alpha,
    beta)`` has no smoothing (it adds :math:`10^{-7}` to the denominator
    only), reduces over *every* axis, the batch included, unless ``axis`` is
    given, and **swaps the roles of α and β**: its ``alpha`` multiplies
    :math:`\sum y (1 - \hat y)`, the false negatives. So Keras'
    ``Tversky(alpha=a, beta=b, axis=...)`` is approximately this function's
    ``tversky(alpha=b, beta=a, smooth=0)``.

    References
    ----------
    S. S. M. Salehi, D. Erdogmus and A. Gholipour, "Tversky loss function
    for image segmentation using 3D fully convolutional deep networks",
    *MLMI workshop, MICCAI* (2017).

    Examples
    --------
    >>> y = [[1.0, 1.0, 0.0, 0.0]]
    >>> p = [[1.0, 0.0, 1.0, 0.0]]  # TP = 1, FP = 1, FN = 1
    >>> float(tversky(y, p, alpha=0.3, beta=0.7, smooth=0.0))  # 1 - 1 / (1 + 0.3 + 0.7)
    0.5
    >>> float(tversky(y, p, alpha=1.0, beta=1.0, smooth=0.0))  # Jaccard: 1 - 1/3
    0.6666666666666667
    """
    fn = "tversky"
    alpha = check_scalar(fn, "alpha", alpha, low=0.0)
    beta = check_scalar(fn, "beta", beta, low=0.0)
    loss, _ = _tversky(fn, y_true, y_pred, alpha, beta, _check_smooth(fn, smooth), reduction)
    return reduce(loss, reduction, sample_weight, fn="tversky")


def tversky_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth: float = 1.0,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`tversky` with respect to ``y_pred``.

    With :math:`N_i = \mathrm{TP}_i + s` and :math:`D_i` the denominator,

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}}
        = -\frac{y_{ij} D_i - N_i\,\bigl(y_{ij} + \alpha (1 - y_{ij}) - \beta y_{ij}\bigr)}{D_i^2}

    divided by :math:`n` for ``"mean"``. A background pixel (:math:`y = 0`)
    always has a positive derivative, :math:`\alpha N_i / D_i^2`: any
    probability mass there is a false positive.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> tversky_grad([[1.0, 0.0]], [[0.5, 0.5]], alpha=0.3, beta=0.7, smooth=0.0)  # TP = FP = FN = 0.5, D = 1
    array([[-0.85,  0.15]])
    """
    fn = "tversky_grad"
    alpha = check_scalar(fn, "alpha", alpha, low=0.0)
    beta = check_scalar(fn, "beta", beta, low=0.0)
    loss, grad = _tversky(fn, y_true, y_pred, alpha, beta, _check_smooth(fn, smooth), reduction)
    return reduce_grad(grad, reduction, loss.size, sample_weight=sample_weight, fn=fn, shape=loss.shape)


def dice(
    y_true: ArrayLike, y_pred: ArrayLike, *, smooth: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Soft Dice loss: one minus the Dice coefficient (F1 score) of the soft masks, per item.

    .. math::

        \ell_i = 1 - \frac{2 \sum_j y_{ij} \hat y_{ij} + s}{\sum_j y_{ij} + \sum_j \hat y_{ij} + s}

    The Dice coefficient counts overlap relative to the size of both masks,
    so a small structure weighs as much as a large one: unlike pixelwise
    cross-entropy it does not drown in background pixels.

    Parameters
    ----------
    y_true : array_like, shape (n, ...)
        Target masks in [0, 1] (usually 0/1), batch axis first.
    y_pred : array_like, same shape as ``y_true``
        Predicted foreground probabilities in [0, 1].
    smooth : float, default 1.0
        :math:`s \ge 0`, added to numerator and denominator. With
        :math:`s > 0` an empty mask predicted empty costs 0 instead of 0/0.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the :math:`n` items, ``"sum"`` adds them,
        ``"none"`` returns one loss per item.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; shape ``(n,)`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ or there is no axis beyond the batch; an input
        is empty or holds NaN/inf; a mask or probability lies outside
        [0, 1]; ``smooth < 0``; with ``smooth=0``, an item has an empty mask
        and an empty prediction (0/0); ``reduction`` is unknown.

    Notes
    -----
    Computed as ``tversky(alpha=0.5, beta=0.5, smooth=smooth / 2)``, which
    is the same fraction with numerator and denominator halved. The
    smoothing constant matters more than it looks: on a small mask,
    :math:`s = 1` is a sizeable pseudo-count, and it is also what makes an
    all-background item with an all-background prediction a perfect score.
    Milletari et al. square the sums in the denominator
    (:math:`\sum y^2 + \sum \hat y^2`); that variant is not this one (they
    agree for 0/1 predictions only).

    PyTorch has no Dice loss (MONAI's ``DiceLoss`` has separate numerator and
    denominator smoothing). Keras' ``keras.losses.Dice()(y_true, y_pred)``
    has no smoothing, adds :math:`10^{-7}` to the denominator, and by
    default sums over *all* axes, the batch included, giving one Dice for
    the whole batch; ``keras.losses.Dice(axis=(1, 2, ...))`` gives per-item
    losses, approximately this function's ``smooth=0``.

    References
    ----------
    F. Milletari, N. Navab and S.-A. Ahmadi, "V-Net: Fully Convolutional
    Neural Networks for Volumetric Medical Image Segmentation", *3DV* (2016).

    Examples
    --------
    >>> y = [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    >>> p = [[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]
    >>> dice(y, p, smooth=1.0, reduction="none")  # 1 - (2 + 1) / (2 + 2 + 1); an empty item costs 0
    array([0.4, 0. ])
    """
    fn = "dice"
    loss, _ = _tversky(fn, y_true, y_pred, 0.5, 0.5, 0.5 * _check_smooth(fn, smooth), reduction)
    return reduce(loss, reduction, sample_weight, fn="dice")


def dice_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, smooth: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`dice` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}}
        = \frac{2 \sum_k y_{ik} \hat y_{ik} + s}{(\sum_k y_{ik} + \sum_k \hat y_{ik} + s)^2}
        - \frac{2 y_{ij}}{\sum_k y_{ik} + \sum_k \hat y_{ik} + s}

    divided by :math:`n` for ``"mean"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> dice_grad([[1.0, 0.0]], [[0.5, 0.5]], smooth=0.0)  # 1/4 - 2/2 on the mask, 1/4 off it
    array([[-0.75,  0.25]])
    """
    fn = "dice_grad"
    loss, grad = _tversky(fn, y_true, y_pred, 0.5, 0.5, 0.5 * _check_smooth(fn, smooth), reduction)
    return reduce_grad(grad, reduction, loss.size, sample_weight=sample_weight, fn=fn, shape=loss.shape)


register(LossRecord(
    name="dice", family="segmentation", task="segmentation",
    formula=r"1 - \frac{2\sum_j y_j \hat y_j + s}{\sum_j y_j + \sum_j \hat y_j + s}",
    gradient=(
        r"\frac{\partial \ell}{\partial \hat y_j} = -\frac{2y_j(U + s) - (2I + s)}{(U + s)^2},\quad I = "
        r"\textstyle\sum_i y_i \hat y_i,\ U = \sum_i y_i + \sum_i \hat y_i"
    ),
    convex=False, differentiable=True, robust=False,
    fn=dice, grad=dice_grad, inputs="masks", chapter=_CHAPTER,
    reference="milletari2016",
    params={"smooth": 1.0},
    keras_notes=(
        "`Dice` has no smoothing ($10^{-7}$ in the denominator only) and by default gives one Dice "
        "for the whole batch; `Dice(axis=1)` gives one per item, close to `smooth=0` here."
    ),
))
register(LossRecord(
    name="tversky", family="segmentation", task="segmentation",
    formula=r"1 - \frac{\mathrm{TP} + s}{\mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s}",
    gradient=(
        r"\frac{\partial \ell}{\partial \hat y_j} = -\frac{y_j D - (\mathrm{TP} + s)\bigl(y_j + \alpha(1 - "
        r"y_j) - \beta y_j\bigr)}{D^2},\quad D = \mathrm{TP} + \alpha\,\mathrm{FP} + \beta\,\mathrm{FN} + s"
    ),
    convex=False, differentiable=True, robust=False,
    fn=tversky, grad=tversky_grad, inputs="masks", chapter=_CHAPTER,
    reference="salehi2017",
    params={"alpha": 0.5, "beta": 0.5, "smooth": 1.0},
    keras_notes=(
        "`Tversky(alpha, beta)` swaps the roles: its `alpha` weighs the false negatives. No "
        "smoothing, and one value for the whole batch unless `axis` is given."
    ),
))
