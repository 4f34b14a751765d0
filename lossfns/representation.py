r"""Representation-learning losses: InfoNCE (CLIP's symmetric form) and SimCLR's NT-Xent.

Both are a cross-entropy over similarities. A batch holds :math:`n` pairs of
embeddings (two views of one image, an image and its caption); each embedding
must pick its own partner out of the batch, and the other embeddings are its
negatives. The logits are cosine similarities divided by a temperature
:math:`\tau`, so the loss of one embedding is
:math:`-\log \operatorname{softmax}(s / \tau)_{\text{partner}}`.

Embeddings are rows (last axis); leading axes before the batch axis hold
independent batches, so ``anchors`` of shape ``(..., n, d)`` give ``"none"``
losses of shape ``(..., n)``.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import check_bool, check_scalar, prepare_arrays, reduce, reduce_grad
from lossfns.classification import _cross_entropy_rows
from lossfns.registry import LossRecord, register

_CHAPTER = "09_modern_losses"


# --- shared pieces --------------------------------------------------------------


def _check_batch(fn: str, a, b, temperature, reduction, names):
    a, b = prepare_arrays(fn, reduction, {names[0]: a, names[1]: b})
    if a.ndim < 2:
        raise ValueError(
            f"{fn}: {names[0]} must have shape (..., n, d), one embedding per row, got shape {a.shape}"
        )
    temperature = check_scalar(fn, "temperature", temperature, low=0.0, low_open=True)
    return a, b, temperature


def _unit_rows(fn: str, name: str, x: np.ndarray):
    r"""Rows of ``x`` divided by their Euclidean norm, and the norms, exact from 1e-300 to 1e300.

    The norm is taken of the row divided by its largest entry, so squaring
    neither underflows nor overflows. A zero row has no direction: an error.
    Returns ``(unit, scale, norm)`` with ``x = unit * norm * scale`` row-wise.
    """
    scale = np.max(np.abs(x), axis=-1, keepdims=True)
    if np.any(scale == 0.0):
        where = tuple(int(i) for i in np.argwhere(scale[..., 0] == 0.0)[0])
        row = where[0] if len(where) == 1 else where
        raise ValueError(
            f"{fn}: {name} has a zero embedding (row {row}); a zero vector has no direction to normalise"
        )
    scaled = x / scale
    norm = np.sqrt(np.sum(scaled * scaled, axis=-1, keepdims=True))
    return scaled / norm, scale, norm


def _through_unit(g: np.ndarray, unit: np.ndarray, scale: np.ndarray, norm: np.ndarray) -> np.ndarray:
    r"""Pull a gradient with respect to :math:`u = x / \|x\|` back to :math:`x`: :math:`(g - u (u \cdot g)) / \|x\|`."""
    tangent = g - unit * np.sum(unit * g, axis=-1, keepdims=True)
    return tangent / norm / scale  # two divisions: norm * scale may overflow for rows near 1e308


def _embed(fn: str, name: str, x: np.ndarray, normalize: bool):
    """``(unit rows, scale, norm)`` for ``normalize``, else ``(x, None, None)``."""
    return _unit_rows(fn, name, x) if normalize else (x, None, None)


def _back(g: np.ndarray, parts) -> np.ndarray:
    """The gradient with respect to the raw rows, from the one with respect to what :func:`_embed` returned."""
    unit, scale, norm = parts
    return g if scale is None else _through_unit(g, unit, scale, norm)


def _check_logits(fn: str, logits: np.ndarray, names) -> np.ndarray:
    if not np.all(np.isfinite(logits)):
        raise ValueError(
            f"{fn}: the similarities of {names[0]} and {names[1]} divided by temperature overflow float64; "
            "use normalize=True, a larger temperature or smaller embeddings"
        )
    return logits


def _row_ce(logits: np.ndarray, labels: np.ndarray, *, grad: bool = False) -> np.ndarray:
    """Cross-entropy of each row of ``logits`` (..., m, k) with its label (..., m), or its derivative."""
    return _cross_entropy_rows(None, logits, True, 0.0, grad=grad, labels=labels)


def _diagonal_labels(shape: tuple) -> np.ndarray:
    """Labels 0..n-1 of each row of a batch of (..., n, n) logits: the partner sits on the diagonal."""
    n = shape[-1]
    return np.broadcast_to(np.arange(n), shape[:-1]).copy()


# --- InfoNCE / CLIP -------------------------------------------------------------------


def _info_nce(fn, anchors, positives, temperature, symmetric, normalize, reduction, sample_weight, *, grad=False):
    names = ("anchors", "positives")
    a, b, temperature = _check_batch(fn, anchors, positives, temperature, reduction, names)
    symmetric = check_bool(fn, "symmetric", symmetric)
    normalize = check_bool(fn, "normalize", normalize)
    pa, pb = _embed(fn, "anchors", a, normalize), _embed(fn, "positives", b, normalize)
    ua, ub = pa[0], pb[0]
    with np.errstate(over="ignore", invalid="ignore"):
        logits = _check_logits(fn, np.matmul(ua, np.swapaxes(ub, -1, -2)) / temperature, names)
    labels = _diagonal_labels(logits.shape)
    cols = np.swapaxes(logits, -1, -2)
    if not grad:
        loss = _row_ce(logits, labels)
        if symmetric:
            loss = 0.5 * (loss + _row_ce(cols, labels))
        return reduce(loss, reduction, sample_weight, fn=fn)
    # weigh each anchor's row (and, for symmetric, each positive's column) by its sample's weight
    weigh = dict(sample_weight=sample_weight, fn=fn, shape=labels.shape)
    d_logits = reduce_grad(_row_ce(logits, labels, grad=True), reduction, labels.size, owned=True, **weigh)
    if symmetric:
        d_cols = reduce_grad(_row_ce(cols, labels, grad=True), reduction, labels.size, owned=True, **weigh)
        d_logits = 0.5 * (d_logits + np.swapaxes(d_cols, -1, -2))
    d_logits = d_logits / temperature
    return _back(np.matmul(d_logits, ub), pa), _back(np.matmul(np.swapaxes(d_logits, -1, -2), ua), pb)


def info_nce(
    anchors: ArrayLike,
    positives: ArrayLike,
    *,
    temperature: float = 0.1,
    symmetric: bool = False,
    normalize: bool = True,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""InfoNCE: each anchor must pick its own positive out of the batch; CLIP's loss with ``symmetric=True``.

    .. math::

        \ell_i = -\log \frac{\exp(s_{ii}/\tau)}{\sum_{j=1}^{n} \exp(s_{ij}/\tau)},
        \qquad s_{ij} = \frac{a_i \cdot b_j}{\|a_i\|\,\|b_j\|}

    Row :math:`i` of ``anchors`` and row :math:`i` of ``positives`` are a
    pair; the other :math:`n - 1` positives are the negatives of anchor
    :math:`i`. This is the cross-entropy of the similarity matrix
    :math:`S/\tau` with the labels :math:`0, \dots, n-1` (the diagonal). With
    ``symmetric=True`` each loss is the mean of the row's and the column's
    cross-entropy, :math:`\tfrac12(\ell_i^{a \to b} + \ell_i^{b \to a})`: the
    image must find its caption and the caption its image, as in CLIP.

    Parameters
    ----------
    anchors : array_like, shape (..., n, d)
        One embedding per row (the images, or the first views).
    positives : array_like, same shape as ``anchors``
        Row :math:`i` is the partner of anchor :math:`i` (the captions, or the
        second views).
    temperature : float, default 0.1
        :math:`\tau > 0`. Small values sharpen the softmax, so the hardest
        negatives dominate the gradient; large ones spread it over all.
    symmetric : bool, default False
        Average with the loss of the transposed similarity matrix (CLIP).
    normalize : bool, default True
        Use cosine similarities (rows divided by their norm). ``False`` uses
        plain dot products :math:`a_i \cdot b_j`, which grow without bound as
        the embeddings grow.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the :math:`n` anchors (and the leading axes),
        ``"sum"`` adds them, ``"none"`` returns :math:`\ell` of shape (..., n).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of shape (..., n) for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or a flag is not a bool.
    ValueError
        If the shapes differ or have fewer than two axes, an input is empty
        or holds NaN/inf, ``reduction`` is unknown, ``temperature <= 0``, a
        row is zero (with ``normalize=True``) or the logits overflow.

    Notes
    -----
    Neither PyTorch nor Keras has the loss; the usual code is
    ``F.cross_entropy(F.normalize(a) @ F.normalize(b).T / tau, torch.arange(n))``,
    which this equals (tests/test_representation.py compares values and
    autograd gradients). ``F.normalize`` divides by ``max(||x||, 1e-12)``; we
    refuse a zero row instead and normalise exactly at any scale. The loss is
    at least :math:`\log\bigl(1 + (n-1)e^{-2/\tau}\bigr) > 0`, so it is never 0
    at a finite temperature, and at most :math:`\log n + 2/\tau`; a larger
    batch raises the bound :math:`\log n`, which is why InfoNCE is read as a
    lower bound on mutual information of at most :math:`\log n`.

    References
    ----------
    A. van den Oord, Y. Li and O. Vinyals, "Representation Learning with
    Contrastive Predictive Coding", arXiv:1807.03748 (2018); A. Radford et al.,
    "Learning Transferable Visual Models From Natural Language Supervision",
    ICML (2021).

    Examples
    --------
    >>> a = [[1.0, 0.0], [0.0, 1.0]]
    >>> info_nce(a, a, temperature=1.0, reduction="none").round(4)  # log(1 + e^{-1})
    array([0.3133, 0.3133])
    >>> float(info_nce(a, [[0.0, 1.0], [1.0, 0.0]], temperature=1.0).round(4))  # the partners swapped
    1.3133
    """
    return _info_nce("info_nce", anchors, positives, temperature, symmetric, normalize, reduction, sample_weight)


def info_nce_grad(
    anchors: ArrayLike,
    positives: ArrayLike,
    *,
    temperature: float = 0.1,
    symmetric: bool = False,
    normalize: bool = True,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`info_nce` with respect to ``anchors`` and ``positives``.

    With :math:`P = \operatorname{softmax}(S/\tau)` row-wise and :math:`G =
    (P - I)/\tau` (the mean of the row and the column version for
    ``symmetric``), the derivatives with respect to the unit rows are
    :math:`G\hat B` and :math:`G^\top \hat A`; each is then projected onto the
    tangent of the sphere and divided by the row's norm,
    :math:`(g - \hat a(\hat a\cdot g))/\|a\|`, so scaling an embedding never
    changes the loss and its gradient has no radial part.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_anchors, d_positives)``, each shaped like ``anchors``.

    Examples
    --------
    >>> d_a, d_b = info_nce_grad([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=1.0)
    >>> d_a.round(4)
    array([[0.    , 0.1345],
           [0.1345, 0.    ]])
    """
    return _info_nce("info_nce_grad", anchors, positives, temperature, symmetric, normalize, reduction, sample_weight,
                     grad=True)


# --- NT-Xent (SimCLR) -----------------------------------------------------------------


def _nt_xent(fn, z_a, z_b, temperature, reduction, sample_weight, *, grad=False):
    names = ("z_a", "z_b")
    a, b, temperature = _check_batch(fn, z_a, z_b, temperature, reduction, names)
    n = a.shape[-2]
    parts = [np.concatenate(pair, axis=-2) for pair in zip(_unit_rows(fn, "z_a", a), _unit_rows(fn, "z_b", b),
                                                              strict=True)]
    unit, scale, norm = parts  # (..., 2n, d) and (..., 2n, 1): the two views, stacked
    with np.errstate(over="ignore", invalid="ignore"):
        logits = _check_logits(fn, np.matmul(unit, np.swapaxes(unit, -1, -2)) / temperature, names)
    eye = np.eye(2 * n, dtype=bool)
    logits = np.where(eye, -np.inf, logits)  # a view is not its own negative
    partner = np.broadcast_to((np.arange(2 * n) + n) % (2 * n), logits.shape[:-1]).copy()
    if not grad:
        return reduce(_row_ce(logits, partner), reduction, sample_weight, fn=fn)
    d_logits = _row_ce(logits, partner, grad=True)
    d_logits = reduce_grad(d_logits, reduction, partner.size, owned=True, sample_weight=sample_weight, fn=fn,
                           shape=partner.shape) / temperature
    d_unit = np.matmul(d_logits + np.swapaxes(d_logits, -1, -2), unit)  # S is symmetric: both of its uses
    d_z = _through_unit(d_unit, unit, scale, norm)
    return d_z[..., :n, :], d_z[..., n:, :]


def nt_xent(
    z_a: ArrayLike, z_b: ArrayLike, *, temperature: float = 0.5, sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""NT-Xent (SimCLR): each of the :math:`2n` views must pick its other view out of all the others.

    .. math::

        \ell_i = -\log \frac{\exp(s_{i, p(i)}/\tau)}{\sum_{j \ne i} \exp(s_{ij}/\tau)},
        \qquad z = \begin{pmatrix} z_a \\ z_b \end{pmatrix},\quad
        s_{ij} = \frac{z_i \cdot z_j}{\|z_i\|\,\|z_j\|},\quad p(i) = i \pm n

    Rows :math:`i` of ``z_a`` and ``z_b`` are two augmented views of one
    example. Unlike :func:`info_nce`, every view is an anchor and the
    negatives of a view are all :math:`2n - 2` other views, from both sides.

    Parameters
    ----------
    z_a : array_like, shape (..., n, d)
        The first views' embeddings, one per row.
    z_b : array_like, same shape as ``z_a``
        The second views' embeddings; row :math:`i` pairs with row :math:`i` of ``z_a``.
    temperature : float, default 0.5
        :math:`\tau > 0` (SimCLR's default).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the :math:`2n` views, ``"sum"`` adds them,
        ``"none"`` returns the loss of each view, shape (..., 2n): the views of
        ``z_a`` first.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of shape (..., 2n) for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ or have fewer than two axes, an input is empty or
        holds NaN/inf, ``reduction`` is unknown, ``temperature <= 0`` or a
        row is zero.

    Notes
    -----
    Neither PyTorch nor Keras has the loss; it equals the cross-entropy of
    the :math:`2n \times 2n` cosine-similarity matrix over :math:`\tau` with
    the diagonal masked to :math:`-\infty` and the labels :math:`i \pm n`
    (tests/test_representation.py compares with torch autograd). A batch of
    one pair has a single candidate per view, so its loss is 0.

    References
    ----------
    T. Chen, S. Kornblith, M. Norouzi and G. Hinton, "A Simple Framework for
    Contrastive Learning of Visual Representations", ICML (2020).

    Examples
    --------
    >>> z = [[1.0, 0.0], [0.0, 1.0]]
    >>> nt_xent(z, z, temperature=1.0, reduction="none").round(4)  # log(1 + 2 e^{-1})
    array([0.5514, 0.5514, 0.5514, 0.5514])
    """
    return _nt_xent("nt_xent", z_a, z_b, temperature, reduction, sample_weight)


def nt_xent_grad(
    z_a: ArrayLike, z_b: ArrayLike, *, temperature: float = 0.5, sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray]:
    r"""Derivatives of :func:`nt_xent` with respect to ``z_a`` and ``z_b``.

    With :math:`G` the derivative of the summed loss with respect to the
    logits (:math:`(P - Y)/\tau`, :math:`Y` the partner indicator, 0 on the
    masked diagonal), the similarity matrix enters twice (row :math:`i` and
    column :math:`i`), so the derivative with respect to the unit rows is
    :math:`(G + G^\top)\hat Z`; it is then projected onto the sphere's
    tangent and divided by each row's norm.

    Returns
    -------
    tuple of numpy.ndarray
        ``(d_z_a, d_z_b)``, each shaped like ``z_a``.

    Examples
    --------
    >>> d_a, d_b = nt_xent_grad([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], temperature=1.0)
    >>> d_a.round(4)
    array([[0.    , 0.2119],
           [0.2119, 0.    ]])
    """
    return _nt_xent("nt_xent_grad", z_a, z_b, temperature, reduction, sample_weight, grad=True)


_PERFECT_NOTE = "a perfect pairing still costs $\\log(1 + (n-1)e^{-2/\\tau})$ at a finite temperature"

register(LossRecord(
    name="info_nce", family="representation", task="contrastive representation learning (CLIP, CPC)",
    formula=r"-\log \frac{\exp(s_{ii}/\tau)}{\sum_{j=1}^{n} \exp(s_{ij}/\tau)},\quad "
            r"s_{ij} = \frac{a_i \cdot b_j}{\|a_i\|\,\|b_j\|}",
    gradient=r"\frac{\partial \ell}{\partial b_j} = \sum_i \frac{P_{ij} - [i = j]}{\tau\,\|b_j\|}"
             r"\bigl(\hat a_i - s_{ij}\,\hat b_j\bigr)\ \text{for } \ell = \sum_i \ell_i,\quad "
             r"P_{ij} = \operatorname{softmax}_j(s_{ij}/\tau)",
    convex=False, differentiable=True, robust=False,
    fn=info_nce, grad=info_nce_grad, inputs="embedding_batches", chapter=_CHAPTER, reference="oord2018",
    params={"temperature": 0.1, "symmetric": False, "normalize": True},
    zero_at_perfect=False,
))

register(LossRecord(
    name="nt_xent", family="representation", task="self-supervised contrastive learning (SimCLR)",
    formula=r"-\log \frac{\exp(s_{i,p(i)}/\tau)}{\sum_{j \ne i} \exp(s_{ij}/\tau)}\ \text{over the } 2n "
            r"\text{ views } z = (z_a; z_b),\ p(i) = i \pm n",
    gradient=r"\frac{\partial \ell}{\partial z_k} = \sum_{j} \frac{G_{kj} + G_{jk}}{\|z_k\|}"
             r"\bigl(\hat z_j - s_{kj}\,\hat z_k\bigr)\ \text{for } \ell = \sum_i \ell_i,\quad "
             r"G_{ij} = \frac{P_{ij} - [j = p(i)]}{\tau}",
    convex=False, differentiable=True, robust=False,
    fn=nt_xent, grad=nt_xent_grad, inputs="embedding_batches", chapter=_CHAPTER, reference="chen2020simclr",
    params={"temperature": 0.5},
    zero_at_perfect=False,
))
