r"""Embedding (metric-learning) losses: pull similar pairs together, push dissimilar ones apart.

The losses compare embeddings rather than a prediction with a target.
:func:`contrastive` takes the distance of each pair and a 0/1 "same" label,
:func:`triplet` takes anchor, positive and negative embeddings (PyTorch's
argument order), and :func:`cosine_embedding` takes a label and two
embeddings. The embedding axis is the last one; ``"none"`` returns one loss
per pair or triplet, the shape without that axis. :func:`margin_ranking`
takes a +1/-1 label and the scores of the two items of each pair, elementwise.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import (
    LOSS_REDUCTIONS,
    as_float_array,
    check_bool,
    check_in_range,
    check_reduction,
    check_same_shape,
    check_scalar,
    prepare_arrays,
    reduce,
    reduce_grad,
    signed_labels,
    zero_one_labels,
)
from lossfns.registry import LossRecord, register

COSINE_EPS = float(np.float32(1e-12))
"""Added to each squared norm in :func:`cosine_embedding`: PyTorch's ``EPSILON``, 1e-12 rounded to float32."""

_CHAPTER = "04_deep_learning_losses"


# --- contrastive --------------------------------------------------------------


def _check_contrastive(fn: str, y_same, distance, margin, reduction):
    y, d = prepare_arrays(fn, reduction, {"y_same": y_same, "distance": distance})
    margin = check_scalar(fn, "margin", margin, low=0.0)
    zero_one_labels(fn, "y_same", y, why=" (1 = similar pair)")
    check_in_range(fn, "distance", d, low=0.0, why=" (a distance)")
    return y, d, margin


def contrastive(
    y_same: ArrayLike, distance: ArrayLike, *, margin: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Contrastive loss (Hadsell et al.): small distances for similar pairs, at least ``margin`` for others.

    .. math::

        \ell_i = y_i\, d_i^2 + (1 - y_i)\, \max(0,\; m - d_i)^2

    with :math:`y_i = 1` for a similar pair and :math:`0` for a dissimilar
    one. A similar pair pays its squared distance; a dissimilar pair pays
    only while it is closer than the margin :math:`m`, so the loss does not
    push unrelated points apart forever.

    Parameters
    ----------
    y_same : array_like, any shape
        1 where the pair is similar (same class), 0 where it is not.
    distance : array_like, same shape as ``y_same``
        Distances :math:`d_i \ge 0` between the two embeddings of each
        pair, usually Euclidean.
    margin : float, default 1.0
        :math:`m \ge 0`, the distance beyond which a dissimilar pair costs
        nothing.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the pairs, ``"sum"`` adds them, ``"none"``
        returns :math:`\ell` shaped like ``distance``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``distance`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ; an input is empty or holds NaN/inf;
        ``y_same`` holds anything but 0 and 1; a distance is negative;
        ``margin < 0``; ``reduction`` is unknown.

    Notes
    -----
    *The factor ½.* Hadsell et al. write :math:`\tfrac12 y d^2 +
    \tfrac12 (1 - y)\max(0, m - d)^2` (and use :math:`Y = 0` for *similar*
    pairs). We drop the ½, as TensorFlow Addons' ``contrastive_loss(y_true,
    y_pred, margin)`` did and as the formula is usually quoted: the
    minimisers are the same, the loss and its gradient are twice Hadsell's,
    and the similar-pair term is exactly the squared distance.

    *Frameworks.* Neither PyTorch nor Keras ships this loss (Keras 2 users
    took it from TensorFlow Addons, now retired); ``lossfns.torch.ContrastiveLoss``
    and ``lossfns.keras.ContrastiveLoss`` are ours. The loss is written on
    distances so that any distance can be used; the gradient with respect to
    the embeddings follows by the chain rule (for the Euclidean distance
    :math:`\partial d / \partial a = (a - b)/d`, undefined at :math:`d = 0`,
    which is why some implementations add a small constant under the root).

    References
    ----------
    R. Hadsell, S. Chopra and Y. LeCun, "Dimensionality Reduction by
    Learning an Invariant Mapping", *CVPR* (2006).

    Examples
    --------
    >>> contrastive([1, 0, 0], [0.5, 0.25, 2.0], reduction="none")  # 0.5^2, (1 - 0.25)^2, 0
    array([0.25  , 0.5625, 0.    ])
    """
    y, d, margin = _check_contrastive("contrastive", y_same, distance, margin, reduction)
    # a choice, not a product with 0/1: 0 * inf is nan when the margin's square overflows (margin 1e200)
    return reduce(np.where(y == 1.0, d * d, np.square(np.maximum(margin - d, 0.0))), reduction,
                  sample_weight, fn="contrastive")


def contrastive_grad(
    y_same: ArrayLike, distance: ArrayLike, *, margin: float = 1.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`contrastive` with respect to ``distance``.

    .. math:: \frac{\partial \ell_i}{\partial d_i} = 2 y_i d_i - 2 (1 - y_i) \max(0,\; m - d_i)

    divided by :math:`n` for ``"mean"``. It is continuous: the dissimilar
    term's slope falls to 0 as :math:`d` reaches the margin.

    Returns
    -------
    numpy.ndarray
        Same shape as ``distance``.

    Examples
    --------
    >>> contrastive_grad([1, 0, 0], [0.5, 0.25, 2.0], reduction="none")
    array([ 1. , -1.5,  0. ])
    """
    y, d, margin = _check_contrastive("contrastive_grad", y_same, distance, margin, reduction)
    grad = np.where(y == 1.0, 2.0 * d, -2.0 * np.maximum(margin - d, 0.0)) + 0.0  # no -0.0 beyond the margin
    return reduce_grad(grad, reduction, d.size, owned=True, sample_weight=sample_weight, fn="contrastive_grad")


register(LossRecord(
    name="contrastive", family="embedding", task="metric learning (pairs)",
    formula=r"y\, d^2 + (1 - y)\max(0,\, m - d)^2",
    gradient=r"\frac{\partial \ell}{\partial d} = 2y\,d - 2(1 - y)\max(0,\ m - d)",
    convex=True, differentiable=True, robust=False,
    fn=contrastive, grad=contrastive_grad, inputs="pair_distances", chapter=_CHAPTER,
    reference="hadsell2006",
    params={"margin": 1.0},
))


# --- triplet ------------------------------------------------------------------


def _check_triplet(fn: str, anchor, positive, negative, margin, p, eps, swap, reduction):
    a, pos, neg = prepare_arrays(fn, reduction, {"anchor": anchor, "positive": positive, "negative": negative})
    if a.ndim == 0:
        raise ValueError(f"{fn}: anchor must have an embedding axis (at least one dimension), got a scalar")
    margin = check_scalar(fn, "margin", margin, low=0.0)
    p = check_scalar(fn, "p", p, low=1.0)
    eps = check_scalar(fn, "eps", eps, low=0.0)
    swap = check_bool(fn, "swap", swap)
    return a, pos, neg, margin, p, eps, swap


def _pnorm(x: np.ndarray, p: float) -> np.ndarray:
    """:math:`\\|x\\|_p` over the last axis, scaled by the row's largest ``|x|`` so that no power overflows.

    Unscaled, :math:`\\sum x^2` overflows for entries above about 1e154 (and
    ``inf - inf`` in the triplet loss is NaN) and underflows below 1e-154.
    """
    if p == 1.0:
        return np.sum(np.abs(x), axis=-1)
    s = np.max(np.abs(x), axis=-1)
    s = np.where(s > 0.0, s, 1.0)
    u = x / s[..., None]
    if p == 2.0:
        return s * np.sqrt(np.sum(u * u, axis=-1))
    return s * np.sum(np.abs(u) ** p, axis=-1) ** (1.0 / p)


def _pnorm_grad(x: np.ndarray, norm: np.ndarray, p: float) -> np.ndarray:
    """:math:`\\partial \\|x\\|_p / \\partial x = \\operatorname{sign}(x) (|x| / \\|x\\|_p)^{p-1}`, 0 at x = 0."""
    if p == 1.0:
        return np.sign(x)
    safe = np.where(norm > 0.0, norm, 1.0)[..., None]
    return np.where(norm[..., None] > 0.0, np.sign(x) * (np.abs(x) / safe) ** (p - 1.0), 0.0)


def _triplet(fn, anchor, positive, negative, margin, p, eps, swap, reduction):
    a, pos, neg, margin, p, eps, swap = _check_triplet(fn, anchor, positive, negative, margin, p, eps, swap, reduction)
    x_ap, x_an, x_pn = a - pos + eps, a - neg + eps, pos - neg + eps  # eps inside, as torch.pairwise_distance
    d_ap, d_an, d_pn = _pnorm(x_ap, p), _pnorm(x_an, p), _pnorm(x_pn, p)
    use_pn = swap & (d_pn < d_an)
    d_neg = np.where(use_pn, d_pn, d_an)
    loss = np.maximum(margin + d_ap - d_neg, 0.0)
    active = (loss > 0.0)[..., None]
    g_ap, g_an, g_pn = _pnorm_grad(x_ap, d_ap, p), _pnorm_grad(x_an, d_an, p), _pnorm_grad(x_pn, d_pn, p)
    pn = use_pn[..., None]
    # d(d_ap)/da = g_ap, d/dp = -g_ap; d(d_an)/da = g_an, d/dn = -g_an; d(d_pn)/dp = g_pn, d/dn = -g_pn
    d_a = np.where(active, g_ap - np.where(pn, 0.0, g_an), 0.0)
    d_p = np.where(active, -g_ap - np.where(pn, g_pn, 0.0), 0.0)
    d_n = np.where(active, np.where(pn, g_pn, g_an), 0.0)
    return loss, (d_a, d_p, d_n), reduction


def triplet(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Triplet margin loss: the anchor should be closer to the positive than to the negative, by a margin.

    .. math::

        \ell_i = \max\bigl(0,\; m + d(a_i, p_i) - d(a_i, n_i)\bigr),
        \qquad d(x, y) = \lVert x - y + \epsilon \rVert_p

    With ``swap=True`` the negative distance is
    :math:`\min\bigl(d(a_i, n_i), d(p_i, n_i)\bigr)`, the harder of the two
    negatives (Balntas et al.). A triplet already separated by the margin
    costs nothing and teaches nothing.

    Parameters
    ----------
    anchor : array_like, shape (..., d)
        Anchor embeddings :math:`a`, the last axis the embedding.
    positive : array_like, same shape as ``anchor``
        Embeddings :math:`p` of the same class as the anchor.
    negative : array_like, same shape as ``anchor``
        Embeddings :math:`n` of another class.
    margin : float, default 1.0
        :math:`m \ge 0`, the required gap between the two distances.
    p : float, default 2.0
        Order of the norm, :math:`p \ge 1` (2: Euclidean, 1: Manhattan).
    eps : float, default 1e-6
        :math:`\epsilon \ge 0`, added to every difference before the norm,
        exactly as PyTorch does, so that the distance (and its gradient) is
        defined for identical embeddings.
    swap : bool, default False
        Use the distance swap of Balntas et al. (2016).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the triplets, ``"sum"`` adds them,
        ``"none"`` returns one loss per triplet.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of shape
        ``anchor.shape[:-1]`` (``(n,)`` for ``(n, d)`` inputs) for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``swap`` is not a bool.
    ValueError
        If the shapes differ or the inputs are scalars; an input is empty or
        holds NaN/inf; ``margin < 0``, ``p < 1`` or ``eps < 0``;
        ``reduction`` is unknown.

    Notes
    -----
    The arguments, defaults and values are those of PyTorch's
    ``torch.nn.functional.triplet_margin_loss(anchor, positive, negative,
    margin=1.0, p=2, eps=1e-6, swap=False)``, including the :math:`\epsilon`
    *inside* the norm: :math:`\lVert a - p + \epsilon \rVert` is not
    symmetric in its two arguments and differs from
    :math:`\lVert a - p \rVert` by up to :math:`\epsilon \sqrt{d}`. Two
    differences: PyTorch refuses ``margin=0`` (we allow it: then only the
    order of the distances matters), and at the kink
    :math:`m + d_{ap} - d_{an} = 0` its ``clamp_min`` passes the gradient
    while we return the subgradient 0, as for the hinge loss. Keras has no
    triplet loss. The 2-norm is computed as :math:`\sqrt{\sum x^2}`, which
    overflows only for differences beyond about :math:`10^{154}`.

    References
    ----------
    F. Schroff, D. Kalenichenko and J. Philbin, "FaceNet: A Unified
    Embedding for Face Recognition and Clustering", *CVPR* (2015).
    V. Balntas, E. Riba, D. Ponsa and K. Mikolajczyk, "Learning local
    feature descriptors with triplets and shallow convolutional neural
    networks", *BMVC* (2016).

    Examples
    --------
    >>> a, p, n = [[0.0, 0.0]], [[3.0, 4.0]], [[6.0, 8.0]]  # distances 5 and 10 (plus eps)
    >>> round(float(triplet(a, p, n, margin=1.0, eps=0.0)), 12)  # separated: no loss
    0.0
    >>> round(float(triplet(a, p, n, margin=6.0, eps=0.0)), 12)  # 6 + 5 - 10
    1.0
    """
    loss, _, reduction = _triplet("triplet", anchor, positive, negative, margin, p, eps, swap, reduction)
    return reduce(loss, reduction, sample_weight, fn="triplet")


def triplet_grad(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`triplet` with respect to ``anchor``, ``positive`` and ``negative``.

    With :math:`g(x) = \partial \lVert x \rVert_p / \partial x =
    \operatorname{sign}(x)\,(|x| / \lVert x \rVert_p)^{p-1}` (the unit
    vector :math:`x / \lVert x \rVert` for :math:`p = 2`) and an active
    triplet (:math:`\ell_i > 0`):

    .. math::

        \frac{\partial \ell_i}{\partial a_i} = g(a_i - p_i + \epsilon) - g(a_i - n_i + \epsilon),\quad
        \frac{\partial \ell_i}{\partial p_i} = -g(a_i - p_i + \epsilon),\quad
        \frac{\partial \ell_i}{\partial n_i} = g(a_i - n_i + \epsilon)

    (with ``swap`` and a swapped triplet the negative term is
    :math:`\lVert p_i - n_i + \epsilon \rVert` and moves to ``positive`` and
    ``negative``); all zero for an inactive triplet, each divided by the
    number of triplets for ``"mean"``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_anchor, d_positive, d_negative)``, each shaped like ``anchor``.

    Examples
    --------
    >>> d_a, d_p, d_n = triplet_grad([[0.0, 0.0]], [[3.0, 4.0]], [[0.0, 5.0]], eps=0.0)  # both distances 5
    >>> d_p, d_n  # descent moves p towards a and n away from it, along unit vectors
    (array([[0.6, 0.8]]), array([[ 0., -1.]]))
    >>> d_a
    array([[-0.6,  0.2]])
    """
    _, grads, reduction = _triplet("triplet_grad", anchor, positive, negative, margin, p, eps, swap, reduction)
    n = grads[0][..., 0].size
    shape = grads[0].shape[:-1]
    return tuple(reduce_grad(g, reduction, n,
                             sample_weight=sample_weight, fn="triplet_grad", shape=shape) for g in grads)


register(LossRecord(
    name="triplet", family="embedding", task="metric learning (triplets)",
    formula=r"\max\bigl(0,\, m + \lVert a - p + \epsilon\rVert_p - \lVert a - n + \epsilon\rVert_p\bigr)",
    gradient=(
        r"\frac{\partial \ell}{\partial n} = \mathbf{1}[\ell > 0]\,\frac{a - n + \epsilon}{\lVert a - n + "
        r"\epsilon\rVert_2}\quad(p = 2)"
    ),
    convex=False, differentiable=False, robust=False,
    fn=triplet, grad=triplet_grad, inputs="triplets", chapter=_CHAPTER,
    reference="schroff2015",
    torch="torch.nn.functional.triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6)",
    params={"margin": 1.0, "p": 2.0, "eps": 1e-6, "swap": False},
    torch_notes=(
        r"Same arguments, defaults and $\epsilon$ inside the norm, but it refuses `margin=0`, which is "
        "allowed here."
    ),
))


# --- cosine embedding -----------------------------------------------------------


def _check_cosine(fn: str, y_same, a, b, margin, reduction):
    check_reduction(fn, reduction, LOSS_REDUCTIONS)
    y = as_float_array(y_same, fn=fn, name="y_same")
    a = as_float_array(a, fn=fn, name="a")
    b = as_float_array(b, fn=fn, name="b")
    for name, x in (("a", a), ("b", b)):
        if x.ndim == 0 or x.shape[:-1] != y.shape:
            raise ValueError(
                f"{fn}: {name} has shape {x.shape} but y_same has shape {y.shape}; "
                f"{name} must have shape y_same.shape + (d,), one embedding per pair"
            )
    check_same_shape(fn, a, b, "a", "b")
    margin = check_scalar(fn, "margin", margin, low=-1.0, high=1.0)
    return signed_labels(fn, "y_same", y), a, b, margin


_TINY_ROW = 2.0**-500
r"""Below this largest ``|x|`` of a row (about 3e-151), :math:`\lVert x \rVert^2 + \epsilon` is :math:`\epsilon` in
float64, while :math:`\epsilon / s^2` (the scaled form) loses digits and then overflows."""


def _scaled(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""``x / s``, ``s`` and :math:`\sum (x/s)^2 + \epsilon / s^2` with ``s`` the largest ``|x|`` of each row.

    :math:`s^2` times the last is PyTorch's :math:`\sum x^2 + \epsilon`; scaling first keeps it
    from overflowing for huge embeddings. For rows below :data:`_TINY_ROW` the last is ``inf``
    (see :func:`_cosine`, which treats them apart).
    """
    s = np.max(np.abs(x), axis=-1)
    s = np.where(s > 0.0, s, 1.0)
    u = x / s[..., None]
    with np.errstate(over="ignore", divide="ignore"):
        m = np.sum(u * u, axis=-1) + COSINE_EPS / (s * s)
    return u, s, m


def _tiny_rows_cosine(u, s_a, m_a, v, s_b, m_b):
    r"""The cosine and its derivatives where a row's largest entry is below :data:`_TINY_ROW`.

    With :math:`N = \lVert x \rVert^2 + \epsilon` and :math:`k = \lVert x \rVert_\infty / \sqrt N`
    (:math:`s/\sqrt\epsilon` for a tiny row, :math:`1/\sqrt m` otherwise), :math:`\cos = (u \cdot v)\, k_a k_b`
    and :math:`\partial \cos / \partial a = (k_b v - \cos\, k_a u) / \sqrt{N_a}`: no :math:`s^2` is formed, so a
    tiny vector keeps its gradient of about :math:`b / \epsilon` instead of 0.
    """
    root_eps = np.sqrt(COSINE_EPS)
    tiny_a, tiny_b = s_a < _TINY_ROW, s_b < _TINY_ROW
    with np.errstate(over="ignore", divide="ignore"):
        k_a = np.where(tiny_a, s_a / root_eps, 1.0 / np.sqrt(m_a))
        k_b = np.where(tiny_b, s_b / root_eps, 1.0 / np.sqrt(m_b))
        norm_a = np.where(tiny_a, root_eps, s_a * np.sqrt(m_a))
        norm_b = np.where(tiny_b, root_eps, s_b * np.sqrt(m_b))
    cos = np.sum(u * v, axis=-1) * k_a * k_b
    d_cos_a = (k_b[..., None] * v - (cos * k_a)[..., None] * u) / norm_a[..., None]
    d_cos_b = (k_a[..., None] * u - (cos * k_b)[..., None] * v) / norm_b[..., None]
    return cos, d_cos_a, d_cos_b


def _cosine(fn, y_same, a, b, margin, reduction):
    y, a, b, margin = _check_cosine(fn, y_same, a, b, margin, reduction)
    u, s_a, m_a = _scaled(a)
    v, s_b, m_b = _scaled(b)
    root = np.sqrt(m_a) * np.sqrt(m_b)
    cos = np.sum(u * v, axis=-1) / root
    positive = y > 0.0
    loss = np.where(positive, 1.0 - cos, np.maximum(cos - margin, 0.0))
    # d cos / d a = b / (|a| |b|) - cos a / |a|^2, written with the scaled rows
    d_cos_a = (v / root[..., None] - (cos / m_a)[..., None] * u) / s_a[..., None]
    d_cos_b = (u / root[..., None] - (cos / m_b)[..., None] * v) / s_b[..., None]
    tiny = (s_a < _TINY_ROW) | (s_b < _TINY_ROW)
    if tiny.any():  # epsilon / s^2 overflowed there (the cosine was right, 0, but the gradient came out 0)
        cos_t, d_a_t, d_b_t = _tiny_rows_cosine(u[tiny], s_a[tiny], m_a[tiny], v[tiny], s_b[tiny], m_b[tiny])
        cos[tiny], d_cos_a[tiny], d_cos_b[tiny] = cos_t, d_a_t, d_b_t
        loss = np.where(positive, 1.0 - cos, np.maximum(cos - margin, 0.0))
    sign = np.where(positive, -1.0, np.where(cos - margin > 0.0, 1.0, 0.0))[..., None]
    return loss, (sign * d_cos_a + 0.0, sign * d_cos_b + 0.0), reduction


def cosine_embedding(
    y_same: ArrayLike, a: ArrayLike, b: ArrayLike, *, margin: float = 0.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Cosine embedding loss: similar pairs should point the same way, dissimilar ones not.

    .. math::

        \ell_i = \begin{cases}
            1 - \cos(a_i, b_i) & y_i = +1 \\
            \max\bigl(0,\; \cos(a_i, b_i) - m\bigr) & y_i = -1
        \end{cases},
        \qquad \cos(a, b) = \frac{a \cdot b}{\sqrt{(\lVert a \rVert^2 + \epsilon)(\lVert b \rVert^2 + \epsilon)}}

    Only directions count, not lengths. A dissimilar pair costs nothing once
    its cosine is at most the margin :math:`m`.

    Parameters
    ----------
    y_same : array_like, any shape
        +1 for a similar pair, -1 for a dissimilar one; labels in
        :math:`\{0, 1\}` are read as :math:`\{-1, +1\}` (0 = dissimilar).
    a : array_like, shape ``y_same.shape + (d,)``
        First embedding of each pair, the last axis the embedding.
    b : array_like, same shape as ``a``
        Second embedding of each pair.
    margin : float, default 0.0
        :math:`m \in [-1, 1]`. Common choices are 0 to 0.5.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the pairs, ``"sum"`` adds them, ``"none"``
        returns one loss per pair, shaped like ``y_same``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``y_same`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``a`` or ``b`` is not shaped ``y_same.shape + (d,)`` or they
        differ; an input is empty or holds NaN/inf; ``y_same`` holds other
        labels; ``margin`` is outside [-1, 1]; ``reduction`` is unknown.

    Notes
    -----
    The values are those of PyTorch's ``torch.nn.functional.cosine_embedding_loss(a,
    b, y_same, margin=0.0)`` (the label comes *last* there), including its
    :math:`\epsilon` (:data:`COSINE_EPS`) added to each squared norm, which
    makes the cosine of a zero vector 0 rather than NaN. PyTorch's constant
    is :math:`10^{-12}` rounded to float32, :math:`9.99999996 \cdot 10^{-13}`,
    even in float64; with exactly :math:`10^{-12}` the cosine of vectors
    of norm :math:`10^{-7}` would differ from PyTorch's by :math:`4 \cdot 10^{-9}`. We
    scale each row by its largest entry before squaring, so embeddings of
    :math:`10^{200}` give the right cosine where PyTorch overflows to NaN.
    PyTorch accepts any label but silently gives 0 loss for anything other
    than :math:`\pm 1` (a 0 label costs nothing there); here 0 means
    dissimilar, as in :func:`contrastive`, and other labels are errors.
    PyTorch does not check the margin. Keras has no such loss
    (``keras.losses.CosineSimilarity`` is :math:`-\cos` of a prediction and
    a target).

    References
    ----------
    J. Bromley, I. Guyon, Y. LeCun, E. Säckinger and R. Shah, "Signature
    Verification using a 'Siamese' Time Delay Neural Network", *NeurIPS*
    (1993).

    Examples
    --------
    >>> a = [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    >>> b = [[0.0, 2.0], [1.0, 1.0], [1.0, 1.0]]  # cosines 0, 1/sqrt(2), 1/sqrt(2)
    >>> cosine_embedding([1, 1, -1], a, b, reduction="none").round(6)
    array([1.      , 0.292893, 0.707107])
    """
    loss, _, reduction = _cosine("cosine_embedding", y_same, a, b, margin, reduction)
    return reduce(loss, reduction, sample_weight, fn="cosine_embedding")


def cosine_embedding_grad(
    y_same: ArrayLike, a: ArrayLike, b: ArrayLike, *, margin: float = 0.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`cosine_embedding` with respect to ``a`` and ``b``.

    .. math::

        \frac{\partial \cos(a, b)}{\partial a} = \frac{b}{\sqrt{(\lVert a \rVert^2 + \epsilon)(\lVert b \rVert^2 +
        \epsilon)}} - \cos(a, b)\, \frac{a}{\lVert a \rVert^2 + \epsilon}

    (and symmetrically for :math:`b`), times :math:`-1` for a similar pair,
    :math:`+1` for a dissimilar pair with :math:`\cos > m` and 0 otherwise
    (the subgradient 0 at the kink), divided by the number of pairs for
    ``"mean"``. The derivative is orthogonal to :math:`a` (up to
    :math:`\epsilon`): rescaling an embedding does not change the loss.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_a, d_b)``, each shaped like ``a``.

    Examples
    --------
    >>> d_a, d_b = cosine_embedding_grad([1], [[1.0, 0.0]], [[0.0, 1.0]])
    >>> d_a, d_b  # descent rotates a towards b and b towards a
    (array([[ 0., -1.]]), array([[-1.,  0.]]))
    """
    _, (d_a, d_b), reduction = _cosine("cosine_embedding_grad", y_same, a, b, margin, reduction)
    n = d_a[..., 0].size
    return tuple(reduce_grad(g, reduction, n,
                             sample_weight=sample_weight, fn="cosine_embedding_grad", shape=g.shape[:-1])
                 for g in (d_a, d_b))


register(LossRecord(
    name="cosine_embedding", family="embedding", task="metric learning (pairs)",
    formula=r"\begin{cases}1 - \cos(a, b) & y = 1\\ \max(0,\, \cos(a, b) - m) & y = -1\end{cases}",
    gradient=(
        r"\frac{\partial \ell}{\partial b} = \begin{cases}-g & y = 1\\ \mathbf{1}[\cos(a, b) > m]\,g & y = "
        r"-1\end{cases},\quad g = \frac{a}{\lVert a\rVert\,\lVert b\rVert} - \cos(a, b)\frac{b}{\lVert "
        r"b\rVert^2}"
    ),
    convex=False, differentiable=False, robust=False,
    fn=cosine_embedding, grad=cosine_embedding_grad, inputs="cosine_pairs", chapter=_CHAPTER,
    reference="bromley1993",
    torch="torch.nn.functional.cosine_embedding_loss(a, b, y_same, margin=0.0)",
    params={"margin": 0.0},
    torch_notes=(
        "The label comes last, `cosine_embedding_loss(a, b, y)`, and a label of 0 silently costs 0 "
        "there; here 0 means a dissimilar pair."
    ),
    keras_notes=(
        r"`CosineSimilarity` is another loss: $-\cos$ of a prediction and a target, with no label and "
        "no margin."
    ),
))


def _margin_ranking(fn: str, y_true, x1, x2, margin, reduction):
    y, a, b = prepare_arrays(fn, reduction, {"y_true": y_true, "x1": x1, "x2": x2})
    margin = check_scalar(fn, "margin", margin)
    bad = (y != 1.0) & (y != -1.0)
    if bad.any():
        raise ValueError(f"{fn}: y_true must hold labels in {{-1, +1}} (+1: x1 should rank above x2), "
                         f"got {float(y[bad][0])!r}")
    return y, a, b, margin, margin - y * (a - b)


def margin_ranking(
    y_true: ArrayLike, x1: ArrayLike, x2: ArrayLike, *, margin: float = 0.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Margin ranking loss: ``x1`` should score above ``x2`` by ``margin`` where ``y = +1``, below where ``-1``.

    .. math:: \ell_i = \max\bigl(0,\ m - y_i\,(x_{1,i} - x_{2,i})\bigr)

    the hinge of the score difference: a pair ranked the right way round by
    at least :math:`m` costs nothing, and every other pair pays the shortfall.
    Only differences matter, so adding a constant to every score changes
    nothing.

    Parameters
    ----------
    y_true : array_like, any shape
        :math:`y_i = +1` if the first item should rank higher, :math:`-1` if
        the second should.
    x1, x2 : array_like, same shape as ``y_true``
        Scores of the two items of each pair.
    margin : float, default 0.0
        The margin :math:`m` (any real; PyTorch's default 0).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"none"`` returns one loss per pair, shaped like ``y_true``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``y_true``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, an input is empty or holds NaN/inf, a label is
        not -1 or +1, ``margin`` is not finite, or ``reduction`` is unknown.

    Notes
    -----
    PyTorch's ``margin_ranking_loss(input1, input2, target, margin=0.0)``
    takes the label last and any real label: a label of 0 there costs
    :math:`\max(0, m)` whatever the scores, and a label of 2 doubles the pull;
    here both are errors. Keras has no ranking loss among its losses.

    References
    ----------
    R. Herbrich, T. Graepel and K. Obermayer, "Large margin rank boundaries
    for ordinal regression", in *Advances in Large Margin Classifiers*, MIT
    Press (2000), 115-132.

    Examples
    --------
    >>> margin_ranking([1.0, -1.0], [2.0, 2.0], [0.5, 0.5], margin=1.0, reduction="none")  # right by 1.5; wrong
    array([0. , 2.5])
    """
    _, _, _, _, shortfall = _margin_ranking("margin_ranking", y_true, x1, x2, margin, reduction)
    return reduce(np.maximum(shortfall, 0.0), reduction, sample_weight, fn="margin_ranking")


def margin_ranking_grad(
    y_true: ArrayLike, x1: ArrayLike, x2: ArrayLike, *, margin: float = 0.0,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`margin_ranking` with respect to ``x1`` and ``x2``.

    .. math::

        \frac{\partial \ell_i}{\partial x_{1,i}} = -y_i\,[m - y_i(x_{1,i} - x_{2,i}) > 0],
        \qquad \frac{\partial \ell_i}{\partial x_{2,i}} = -\frac{\partial \ell_i}{\partial x_{1,i}}

    divided by :math:`n` for ``"mean"``; at the kink the subgradient 0, as in
    PyTorch.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d/dx1, d/dx2)``, each shaped like ``x1``.

    Examples
    --------
    >>> margin_ranking_grad([1.0, -1.0], [2.0, 2.0], [0.5, 0.5], margin=1.0, reduction="sum")
    (array([0., 1.]), array([ 0., -1.]))
    """
    y, _, _, _, shortfall = _margin_ranking("margin_ranking_grad", y_true, x1, x2, margin, reduction)
    g1 = reduce_grad(np.where(shortfall > 0.0, -y, 0.0), reduction, y.size, owned=True, sample_weight=sample_weight,
                     fn="margin_ranking_grad")
    return g1, -g1 + 0.0


register(LossRecord(
    name="margin_ranking", family="embedding", task="learning to rank (pairs)",
    formula=r"\max\bigl(0,\ m - y\,(x_1 - x_2)\bigr)",
    gradient=(
        r"\frac{\partial \ell}{\partial x_1} = -y\,\mathbf{1}[m - y(x_1 - x_2) > 0] = "
        r"-\frac{\partial \ell}{\partial x_2}"
    ),
    convex=True, differentiable=False, robust=True,
    fn=margin_ranking, grad=margin_ranking_grad, inputs="ranking_pairs", chapter=_CHAPTER,
    reference="herbrich2000",
    torch="torch.nn.functional.margin_ranking_loss(x1, x2, y_true, margin=0.0)",
    params={"margin": 0.0},
    torch_notes=(
        "The label comes last, `margin_ranking_loss(x1, x2, y)`, and any real label is taken: 0 costs "
        "$\\max(0, m)$ whatever the scores. Here a label must be -1 or +1."
    ),
))
