r"""Classification losses: labels :math:`y`, predicted probabilities :math:`p` or logits :math:`z`.

Binary losses (:func:`binary_cross_entropy`, :func:`focal`, :func:`hinge`,
:func:`squared_hinge`, :func:`zero_one`) are elementwise: ``"none"`` returns
one loss per element, shaped like the inputs. Multiclass losses
(:func:`categorical_cross_entropy`, :func:`sparse_categorical_cross_entropy`,
:func:`multiclass_hinge`) read the last axis as the :math:`k` classes:
``"none"`` returns one loss per row, ``(n, k) -> (n,)``, and ``"mean"``
averages over rows.

Probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` with
``eps = 1e-7`` (:data:`EPS`, Keras' ``backend.epsilon()``), so a confidently
wrong prediction costs :math:`-\log 10^{-7} \approx 16.118` rather than
infinity. With ``from_logits=True`` nothing is clipped: the losses are written
with softplus and log-sum-exp and stay exact for logits of :math:`\pm 10^4`.
"""
from __future__ import annotations

from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from lossfns import minimisers
from lossfns._axis import class_axis
from lossfns._validation import (
    as_float_array,
    blockwise,
    check_bool,
    check_in_range,
    check_int,
    check_rows_sum_to_one,
    check_scalar,
    check_weights,
    first_row,
    new_like,
    prepare_labels,
    prepare_pair,
    prepare_rows,
    reduce,
    reduce_elementwise,
    reduce_grad,
    signed_labels,
)
from lossfns.registry import LossRecord, register

EPS = 1e-7
"""Default probability clip: probabilities are clipped to ``[EPS, 1 - EPS]`` (Keras' value)."""


def _check_eps(fn: str, eps) -> float:
    return check_scalar(fn, "eps", eps, low=0.0, high=0.5, low_open=True, high_open=True)


# --- numerics -----------------------------------------------------------------


def _softplus(z: np.ndarray) -> np.ndarray:
    r""":math:`\log(1 + e^z)`, exact for large :math:`|z|` (``softplus(1e4) == 1e4``).

    :math:`\max(z, 0) + \operatorname{log1p}(e^{-|z|})`, the formula of
    ``np.logaddexp(0, z)`` (equal to a few ulps), written out because that ufunc
    is about three times slower than these vectorised passes.
    """
    out = np.abs(z, out=new_like(z))
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(z, 0.0)
    return out


def _clip_probabilities(p: np.ndarray, eps: float):
    r"""Clip :math:`p` to :math:`[\epsilon, 1 - \epsilon]` and take logs without cancellation.

    Returns :math:`\tilde p`, :math:`1 - \tilde p`, :math:`\log \tilde p`,
    :math:`\log(1 - \tilde p)` and a mask of the entries that were not
    clipped (where the derivative of the clipped value is 1, else 0). The
    complement :math:`1 - p` is formed exactly for :math:`p \ge 1/2`
    (Sterbenz), and each log is taken of the smaller side with ``log1p`` for
    the other, so :math:`-\log(1 - \tilde p)` at :math:`p = 1` is exactly
    :math:`-\log \epsilon`.
    """
    q = 1.0 - p
    low = p < 0.5
    p_small, q_small = np.clip(p, eps, 0.5), np.clip(q, eps, 0.5)
    log_p = np.where(low, np.log(p_small), np.log1p(-q_small))
    log_q = np.where(low, np.log1p(-p_small), np.log(q_small))
    p_clip = np.where(low, p_small, 1.0 - q_small)
    q_clip = np.where(low, 1.0 - p_small, q_small)
    inside = (p >= eps) & (q >= eps)
    return p_clip, q_clip, log_p, log_q, inside


def _softmax_parts(z: np.ndarray):
    r"""The pieces of an accurate row-wise :math:`\log \operatorname{softmax}(z)`.

    Returns the index of each row's top class, :math:`z - \max z` (``shifted``),
    :math:`e^{z - \max z}` with 0 at the top class (``e``) and ``rest``, the
    sum of ``e`` over the other classes; then :math:`\log p_j =
    \mathrm{shifted}_j - \operatorname{log1p}(\mathrm{rest})` and
    :math:`1 - p_{\mathrm{top}} = \mathrm{rest}/(1 + \mathrm{rest})`. The row
    maximum is subtracted first, so nothing overflows; the other classes'
    share enters through ``log1p``, so the top class keeps full relative
    accuracy even when its probability rounds to 1 (``[40, 0]`` gives
    :math:`-\log p = 4.2 \cdot 10^{-18}`, not 0).
    """
    top = np.argmax(z, axis=-1)[..., None]
    shifted = np.subtract(z, np.take_along_axis(z, top, axis=-1))
    e = np.exp(shifted)
    np.put_along_axis(e, top, 0.0, axis=-1)
    rest = np.sum(e, axis=-1, keepdims=True)
    return top, shifted, e, rest


def _cross_entropy_rows(target, x: np.ndarray, from_logits: bool, eps: float, *, grad: bool = False, labels=None):
    r"""Per-row :math:`-\sum_j t_j \log p_j`, or (``grad=True``) its derivative with respect to ``x``.

    ``target`` holds the (smoothed, class-weighted) targets :math:`t`; for
    logits, integer ``labels`` may stand in for one-hot targets (no one-hot
    array is built). With logits :math:`p = \operatorname{softmax}(z)`; with
    probabilities each row is divided by its sum and clipped to
    :math:`[\epsilon, 1 - \epsilon]`.
    """
    if from_logits:
        top, shifted, e, rest = _softmax_parts(x)
        log1p_rest = np.log1p(rest)
        if not grad:
            # -sum_j t_j log p_j = T log1p(rest) - sum_j t_j shifted_j: two sums of non-negative terms
            if labels is not None:
                return log1p_rest[..., 0] - np.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
            with np.errstate(invalid="ignore"):
                np.multiply(target, shifted, out=shifted)
            if np.isnan(shifted).any():  # 0 * -inf where a logit lies more than the float range below the top
                shifted[np.isnan(shifted)] = 0.0
            return np.sum(target, axis=-1) * log1p_rest[..., 0] - np.sum(shifted, axis=-1)
        p = e  # p_j = e_j / (1 + rest), and 1 / (1 + rest) for the top class
        np.put_along_axis(p, top, 1.0, axis=-1)
        p /= 1.0 + rest
        top_complement = rest / (1.0 + rest)  # 1 - p of the top class, without cancellation
        if labels is not None:  # p_j - [j = label]; at the label -(1 - p), exact also when the label is the top
            lab = labels[..., None]
            at_label = np.where(lab == top, -top_complement, np.take_along_axis(p, lab, axis=-1) - 1.0)
            np.put_along_axis(p, lab, at_label, axis=-1)
            return p
        # T p_j - t_j, written as p_j (T - t_j) - t_j (1 - p_j) so that it does not cancel when p_j -> 1
        one_minus_p = np.subtract(1.0, p, out=shifted)
        np.put_along_axis(one_minus_p, top, top_complement, axis=-1)
        one_minus_p *= target
        out = np.subtract(np.sum(target, axis=-1, keepdims=True), target)
        out *= p
        out -= one_minus_p
        return out
    # two arrays of the input's size, each reused in place (the value as the 'others' and product buffer)
    total = np.sum(x, axis=-1, keepdims=True)
    r = np.divide(x, total)
    if grad:
        inside = (r >= eps) & (r <= 1.0 - eps)
        dr = np.clip(r, eps, 1.0 - eps)
        np.negative(np.divide(target, dr, out=dr), out=dr)  # d loss / d (x / total) = -t / r where not clipped
        np.copyto(dr, 0.0, where=~inside)
        dot = np.sum(np.multiply(dr, r, out=r), axis=-1, keepdims=True)
        return np.divide(np.subtract(dr, dot, out=dr), total, out=dr)
    log_r = np.log(np.clip(r, eps, 1.0 - eps, out=r), out=r)
    # the top class of a row: log(1 - share of the others), so that p near 1 (or clipped to 1 - eps) keeps its
    # digits; log(r) of a rounded r there is off by up to 1e-16 / |log r| relative (5e-10 at r = 1 - 1e-7)
    top = np.argmax(x, axis=-1)[..., None]
    others = x.copy()
    np.put_along_axis(others, top, 0.0, axis=-1)
    rest = np.sum(others, axis=-1, keepdims=True) / total
    log_top = np.where(rest < 0.5, np.log1p(-np.clip(rest, eps, 1.0 - eps)), np.take_along_axis(log_r, top, axis=-1))
    np.put_along_axis(log_r, top, log_top, axis=-1)
    return -np.sum(np.multiply(target, log_r, out=others), axis=-1)


# --- binary cross-entropy -----------------------------------------------------


def _bce(fn: str, y_true, y_pred, from_logits, pos_weight, eps, label_smoothing, reduction, *, grad: bool = False):
    """Check the inputs; return the kernel of the per-element loss (``grad=True``: of its derivative), its
    arrays and its number of scratch buffers (for ``reduce_elementwise`` and ``blockwise``), and ``reduction``."""
    from_logits = check_bool(fn, "from_logits", from_logits)
    eps = _check_eps(fn, eps)
    smoothing = check_scalar(fn, "label_smoothing", label_smoothing, low=0.0, high=1.0)
    y, x = prepare_pair(fn, y_true, y_pred, reduction)
    check_in_range(fn, "y_true", y, low=0.0, high=1.0, why=" (labels or target probabilities)")
    if smoothing:  # Keras' y (1 - s) + s / 2: halfway towards 1/2
        y = y * (1.0 - smoothing) + 0.5 * smoothing
    w = check_weights(fn, "pos_weight", pos_weight, x.shape, low_open=True)
    wy = y if isinstance(w, float) and w == 1.0 else w * y
    if from_logits:
        return (_bce_logits_grad_into if grad else _bce_logits_into), (x, y, wy), 3 if grad else 2, reduction
    check_in_range(fn, "y_pred", x, low=0.0, high=1.0, why=" (probabilities; pass from_logits=True for logits)")
    return partial(_bce_prob_grad_into if grad else _bce_prob_into, eps), (x, y, wy), 3 if grad else 4, reduction


# The kernels of _bce write the values of one block into ``out`` and use the other buffers (of the block's size)
# for temporaries, so that every temporary stays in cache (see lossfns._validation.blockwise).


def _log1p_exp_minus_abs(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """:math:`L = \\operatorname{log1p}(e^{-|z|})`, the shared term of :math:`\\operatorname{softplus}(\\pm z)`."""
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    return np.log1p(out, out=out)


def _bce_logits_into(z, y, wy, out, pos, neg) -> None:
    # -log sigma(z) = max(-z, 0) + L and -log(1 - sigma(z)) = max(z, 0) + L: the softplus of each side (the
    # formula of np.logaddexp, several times faster than that ufunc)
    L = _log1p_exp_minus_abs(z, out)
    np.clip(z, -np.inf, 0.0, out=pos)  # min(z, 0) = -max(-z, 0); clip with finite-typed bounds is the fastest loop
    np.clip(z, 0.0, np.inf, out=neg)  # max(z, 0)
    cost_pos = np.subtract(L, pos, out=pos)  # max(-z, 0) + L
    cost_neg = np.add(neg, L, out=neg)  # max(z, 0) + L
    np.subtract(1.0, y, out=L)
    cost_pos *= wy
    cost_neg *= L
    np.add(cost_pos, cost_neg, out=out)


def _bce_logits_grad_into(z, y, wy, out, e, not_m, a) -> None:
    # (1 - y) sigma(z) - w y sigma(-z) from one exponential e = exp(-|z|): sigma(|z|) = 1 / (1 + e) and
    # sigma(-|z|) = e / (1 + e), each to an ulp, so the derivative is ((1 - y) a - w y b) / (1 + e) with
    # (a, b) = (1, e) where z >= 0 and (e, 1) below, picked exactly as a = m + (1 - m) e, b = (1 - m) + m e
    np.abs(z, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    m = np.greater_equal(z, 0.0, out=out)  # 1.0 where z >= 0, else 0.0
    np.subtract(1.0, m, out=not_m)
    np.multiply(not_m, e, out=a)
    a += m
    b = np.multiply(m, e, out=m)
    b += not_m
    a *= np.subtract(1.0, y, out=not_m)
    b *= wy
    np.subtract(a, b, out=out)
    e += 1.0
    out /= e


def _bce_prob_into(eps, p, y, wy, out, small, log_big, low, log_p) -> None:
    # log p and log(1 - p) of the clipped p without cancellation: the log of the smaller side (each side is exact)
    # and log1p(-smaller) for the larger one. Each is picked as a sum of two products with 0 or 1, one of them an
    # exact 0, which gives the same bits as np.where and is faster.
    np.subtract(1.0, p, out=small)
    np.minimum(small, p, out=small)
    np.maximum(small, eps, out=small)
    np.less(p, 0.5, out=low)  # 1.0 where p < 1/2, else 0.0
    log_big = np.log1p(np.negative(small, out=log_big), out=log_big)
    log_small = np.log(small, out=small)
    np.multiply(log_small, low, out=log_p)
    not_low = np.subtract(1.0, low, out=low)
    log_p += np.multiply(log_big, not_low, out=out)  # log p: log_small where p < 1/2, else log_big
    log_small *= not_low
    low = np.subtract(1.0, not_low, out=not_low)
    log_big *= low
    log_q = np.add(log_small, log_big, out=log_small)  # log(1 - p): the other one
    np.subtract(1.0, y, out=low)
    log_p *= wy
    log_q *= low
    np.add(log_p, log_q, out=out)
    np.negative(out, out=out)


def _bce_prob_grad_into(eps, p, y, wy, out, d_pos, inside, other) -> None:
    # -w y / p + (1 - y) / (1 - p), 0 where p was clipped
    d_neg = np.subtract(1.0, p, out=out)  # 1 - p, exact for p >= 1/2 and accurate to an ulp below
    np.greater_equal(p, eps, out=inside)  # 1.0 or 0.0
    inside *= np.greater_equal(d_neg, eps, out=other)
    np.clip(d_neg, eps, 1.0 - eps, out=d_neg)
    np.clip(p, eps, 1.0 - eps, out=d_pos)
    np.divide(wy, d_pos, out=d_pos)
    np.divide(np.subtract(1.0, y, out=other), d_neg, out=d_neg)
    d_pos *= inside  # masked before the difference, so that a clipped entry is 0.0, never -0.0
    d_neg *= inside
    d_neg -= d_pos


def binary_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    pos_weight: ArrayLike | None = None,
    eps: float = EPS,
    label_smoothing: float = 0.0,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Binary cross-entropy (log loss) of labels and predicted probabilities or logits.

    .. math::

        \ell_i = -\left[w_+\, y_i \log p_i + (1 - y_i) \log(1 - p_i)\right],
        \qquad p_i = \operatorname{clip}(\hat y_i, \epsilon, 1 - \epsilon)
        \ \text{or}\ p_i = \sigma(z_i) = \frac{1}{1 + e^{-z_i}}

    With logits it is computed as
    :math:`\ell_i = w_+ y_i \operatorname{softplus}(-z_i) + (1 - y_i)\operatorname{softplus}(z_i)`,
    and :math:`L = \frac{1}{n}\sum_i \ell_i` over all elements.

    Parameters
    ----------
    y_true : array_like, any shape
        Labels :math:`y \in \{0, 1\}`, or target probabilities in :math:`[0, 1]`.
    y_pred : array_like, same shape as ``y_true``
        Predicted probabilities :math:`p \in [0, 1]` of the positive class,
        or logits :math:`z` when ``from_logits=True``.
    from_logits : bool, default False
        Read ``y_pred`` as logits (any real number).
    pos_weight : float or array_like, optional
        Weight :math:`w_+ > 0` of the positive term, e.g. ``n_negative /
        n_positive`` for imbalanced data; an array must broadcast to the
        shape of ``y_pred`` (e.g. one weight per column, as in PyTorch).
        Default 1.
    eps : float, default 1e-7
        Probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]`; must
        lie in (0, 0.5). Unused with logits.
    label_smoothing : float in [0, 1], default 0.0
        :math:`s`: each target becomes :math:`y (1 - s) + s/2`, moved towards
        1/2 (Keras' ``BinaryCrossentropy(label_smoothing=s)``; PyTorch's
        binary cross-entropy has none), so a logit no longer gains by growing
        without bound: at :math:`s = 0.2` a positive is best served by
        :math:`\sigma(z) = 0.9`.
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
        If an input is not numeric or ``from_logits`` is not a bool.
    ValueError
        If the shapes differ; an input is empty or holds NaN/inf; ``y_true``
        lies outside [0, 1]; ``y_pred`` lies outside [0, 1] without
        ``from_logits``; ``pos_weight <= 0`` or does not broadcast; ``eps``
        is outside (0, 0.5); ``label_smoothing`` is outside [0, 1];
        ``sample_weight`` is negative, holds NaN/inf or does not fit the
        per-sample losses; ``reduction`` is unknown.

    Notes
    -----
    *Stability.* Logits never pass through :math:`\sigma`: the softplus form
    is exact for :math:`|z|` up to the float64 range, so a logit of
    :math:`10^4` with label 0 costs exactly :math:`10^4` and its gradient is
    exactly 1. Probabilities are clipped, so a confidently wrong probability
    (0 for a positive, 1 for a negative) costs :math:`-\log \epsilon \approx
    16.118` and its gradient is 0: the clipped loss is flat there, one
    reason to train on logits.

    *Frameworks.* PyTorch's ``binary_cross_entropy(input, target)`` takes the
    prediction first and clamps the log at -100 instead of clipping, so the
    same confidently wrong prediction costs 100 (with a gradient of
    :math:`\pm 10^{12}`); ``binary_cross_entropy_with_logits`` has the
    ``pos_weight`` used here. Keras' ``BinaryCrossentropy`` clips with the
    same :math:`\epsilon = 10^{-7}` (it forms :math:`1 - \tilde p` by
    subtraction, so at :math:`p = 1` it differs from this function by about
    :math:`6 \cdot 10^{-10}`), has no ``pos_weight`` and averages over the
    last axis before reducing, which changes ``"sum"`` and ``"none"``.
    PyTorch's ``weight=`` (of both BCE functions) rescales each element and
    its ``"mean"`` still divides by :math:`n`: it is ``sample_weight`` with
    ``reduction="mean"``.
    Keras expects probabilities by default, PyTorch's
    ``BCEWithLogitsLoss`` logits.

    References
    ----------
    D. R. Cox, "The regression analysis of binary sequences", *Journal of the
    Royal Statistical Society B* 20 (1958), 215-242.

    Examples
    --------
    >>> round(float(binary_cross_entropy([1.0, 0.0], [0.9, 0.2])), 6)  # (-log 0.9 - log 0.8) / 2
    0.164252
    >>> binary_cross_entropy([0.0], [1e4], from_logits=True)  # exact, no overflow
    np.float64(10000.0)
    >>> float(binary_cross_entropy([1.0], [0.0]))  # clipped at eps = 1e-7: -log(1e-7)
    16.11809565095832
    """
    kernel, arrays, scratch, reduction = _bce("binary_cross_entropy", y_true, y_pred, from_logits, pos_weight, eps,
                                              label_smoothing, reduction)
    return reduce_elementwise(kernel, arrays, reduction, sample_weight, fn="binary_cross_entropy", scratch=scratch)


def binary_cross_entropy_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    pos_weight: ArrayLike | None = None,
    eps: float = EPS,
    label_smoothing: float = 0.0,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`binary_cross_entropy` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial z_i} = (1 - y_i)\,\sigma(z_i) - w_+ y_i\, \sigma(-z_i)
        \ (= \sigma(z_i) - y_i \text{ for } w_+ = 1),
        \qquad
        \frac{\partial \ell_i}{\partial p_i} = -\frac{w_+ y_i}{p_i} + \frac{1 - y_i}{1 - p_i}

    with respect to the logits when ``from_logits=True`` and to the
    probabilities otherwise, divided by :math:`n` for ``"mean"``. Where the
    probability was clipped (:math:`p < \epsilon` or :math:`p > 1 - \epsilon`)
    the clipped loss is flat and the derivative is 0, as in Keras.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> binary_cross_entropy_grad([1.0, 0.0], [0.0, 0.0], from_logits=True)  # (sigma(z) - y) / n
    array([-0.25,  0.25])
    >>> binary_cross_entropy_grad([1.0, 0.0], [0.5, 0.5], reduction="sum")  # -1/p, 1/(1 - p)
    array([-2.,  2.])
    """
    kernel, arrays, scratch, reduction = _bce(
        "binary_cross_entropy_grad", y_true, y_pred, from_logits, pos_weight, eps, label_smoothing, reduction, grad=True
    )
    grad = blockwise(kernel, arrays, new_like(arrays[0]), scratch=scratch)
    return reduce_grad(grad, reduction, grad.size, owned=True, sample_weight=sample_weight,
                       fn="binary_cross_entropy_grad")


# --- categorical cross-entropy ------------------------------------------------


def _is_one_hot(y: np.ndarray) -> bool:
    """Whether every row of ``y`` holds a single 1 and zeros otherwise."""
    zero = y == 0.0
    return bool((zero | (y == 1.0)).all() and (np.count_nonzero(~zero, axis=-1) == 1).all())


def _cce(fn: str, y_true, y_pred, from_logits, label_smoothing, class_weight, eps, reduction, *, grad=False):
    from_logits = check_bool(fn, "from_logits", from_logits)
    label_smoothing = check_scalar(fn, "label_smoothing", label_smoothing, low=0.0, high=1.0)
    eps = _check_eps(fn, eps)
    y, x = prepare_rows(fn, y_true, y_pred, reduction)
    k = x.shape[-1]
    w = check_weights(fn, "class_weight", class_weight, (k,), low_open=False, exact=True)
    check_rows_sum_to_one(fn, "y_true", y)
    if not from_logits:
        check_rows_sum_to_one(fn, "y_pred", x)
    unweighted = isinstance(w, float) and w == 1.0
    # the class weight of each row, sum_j w_j y_j (w of the label for one-hot rows): "weighted_mean" divides by it
    norm = None if unweighted else np.sum(w * y, axis=-1)
    plain = label_smoothing == 0.0 and unweighted
    if plain and from_logits and _is_one_hot(y):  # the sparse path: no products with a mostly-zero target
        out = _cross_entropy_rows(None, x, True, eps, grad=grad, labels=np.argmax(y, axis=-1))
        return out, reduction, norm
    target = y if plain else w * ((1.0 - label_smoothing) * y + label_smoothing / k)
    return _cross_entropy_rows(target, x, from_logits, eps, grad=grad), reduction, norm


@class_axis()
def categorical_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    class_weight: ArrayLike | None = None,
    eps: float = EPS,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Categorical cross-entropy of one-hot (or probability) rows and predicted rows.

    .. math::

        \ell_i = -\sum_{j=1}^{k} w_j\, \tilde y_{ij} \log p_{ij},
        \qquad \tilde y_{ij} = (1 - s)\, y_{ij} + \frac{s}{k},
        \qquad L = \frac{1}{n} \sum_{i=1}^{n} \ell_i

    where :math:`p_i = \operatorname{softmax}(z_i)` for logits, or the given
    row divided by its sum and clipped to :math:`[\epsilon, 1 - \epsilon]`
    for probabilities; :math:`s` is the label smoothing and :math:`w_j` the
    class weight (default 1).

    Parameters
    ----------
    y_true : array_like, shape (..., k)
        One-hot rows, or target probability rows; each row sums to 1.
    y_pred : array_like, same shape as ``y_true``
        Predicted probability rows (each sums to 1), or logits :math:`z`
        when ``from_logits=True``.
    from_logits : bool, default False
        Read ``y_pred`` as logits (any real numbers).
    label_smoothing : float in [0, 1], default 0
        Mix :math:`s` of the uniform distribution into the targets.
    class_weight : float or array_like of shape (k,), optional
        Non-negative weight :math:`w_j` of each class (a number weighs every
        class alike). Default 1. ``"mean"`` still divides by the number of
        rows; ``"weighted_mean"`` divides by the summed class weight of the
        rows, :math:`\sum_i \sum_j w_j y_{ij}` (times each row's
        ``sample_weight``): :math:`\sum_i w_{y_i}` for one-hot rows,
        PyTorch's mean for class-index targets.
    eps : float, default 1e-7
        Clip for probabilities; must lie in (0, 0.5). Unused with logits.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over the rows, ``"sum"`` adds them, ``"none"``
        returns one loss per row.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of shape
        ``y_pred.shape[:-1]`` (``(n,)`` for ``(n, k)`` inputs) for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``from_logits`` is not a bool.
    ValueError
        If the shapes differ or ``y_pred`` is a scalar; an input is empty or
        holds NaN/inf; a row of ``y_true`` (or of ``y_pred`` without
        ``from_logits``) has entries outside [0, 1] or does not sum to 1
        within 1e-4 (``lossfns._validation.SIMPLEX_ATOL``); ``label_smoothing`` is
        outside [0, 1]; ``class_weight`` is negative, or an array not of shape
        ``(k,)``; ``eps`` is outside (0, 0.5); ``reduction`` is unknown.

    Notes
    -----
    *Stability.* Logits go through ``log_softmax`` (the row maximum is
    subtracted before exponentiating), so logits of :math:`\pm 10^4` give
    exact, finite losses and gradients. Probabilities are first divided by
    their row sum, as Keras does (PyTorch's ``cross_entropy`` applied to
    :math:`\log p` does the same through its ``log_softmax``), then clipped;
    the division makes the loss a smooth function of any positive row, which
    shows in the gradient (see :func:`categorical_cross_entropy_grad`).

    *Frameworks.* PyTorch's ``cross_entropy(input, target)`` takes logits,
    prediction first, and accepts probability targets, ``label_smoothing``
    and ``weight`` (its ``"mean"`` then divides by :math:`n`, as here; with
    class-index targets it divides by the summed weights instead). Keras'
    ``CategoricalCrossentropy`` takes probabilities by default
    (``from_logits=False``), clips with the same :math:`\epsilon`, and has
    ``label_smoothing`` but no class weights (those go to ``Model.fit``).

    References
    ----------
    J. S. Bridle, "Probabilistic interpretation of feedforward classification
    network outputs, with relationships to statistical pattern recognition",
    in *Neurocomputing*, Springer (1990), 227-236. Label smoothing:
    C. Szegedy et al., "Rethinking the Inception architecture for computer
    vision", CVPR (2016).

    Examples
    --------
    >>> y = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    >>> categorical_cross_entropy(y, [[0.2, 0.5, 0.3], [0.8, 0.1, 0.1]], reduction="none")  # -log 0.5, -log 0.8
    array([0.69314718, 0.22314355])
    >>> categorical_cross_entropy([[0.0, 1.0]], [[1e4, -1e4]], from_logits=True)  # exact: 2e4
    np.float64(20000.0)
    """
    loss, reduction, norm = _cce(
        "categorical_cross_entropy", y_true, y_pred, from_logits, label_smoothing, class_weight, eps, reduction
    )
    return reduce(loss, reduction, sample_weight, fn="categorical_cross_entropy", norm=norm)


@class_axis(grad=True)
def categorical_cross_entropy_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    class_weight: ArrayLike | None = None,
    eps: float = EPS,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`categorical_cross_entropy` with respect to ``y_pred``.

    With :math:`t_{ij} = w_j \tilde y_{ij}` and :math:`T_i = \sum_j t_{ij}`:

    .. math::

        \frac{\partial \ell_i}{\partial z_{ij}} = T_i\, p_{ij} - t_{ij}
        \ (= p_{ij} - y_{ij} \text{ without weights}),
        \qquad
        \frac{\partial \ell_i}{\partial \hat y_{ij}} = -\frac{t_{ij}}{\hat y_{ij}} + \frac{T_i}{\sum_m \hat y_{im}}

    with respect to the logits when ``from_logits=True`` and to the
    probabilities otherwise, divided by :math:`n` for ``"mean"``. The second
    term of the probability derivative comes from dividing each row by its
    sum; it is the same for every class of a row (1 for one-hot targets),
    and it is what Keras' and PyTorch's autograd return too. A clipped
    probability contributes 0 to its own term.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> categorical_cross_entropy_grad([[0.0, 1.0]], [[0.0, 0.0]], from_logits=True)  # softmax - y
    array([[ 0.5, -0.5]])
    >>> categorical_cross_entropy_grad([[0.0, 1.0]], [[0.5, 0.5]])  # -y/p + 1
    array([[ 1., -1.]])
    """
    grad, reduction, norm = _cce(
        "categorical_cross_entropy_grad", y_true, y_pred, from_logits, label_smoothing, class_weight, eps, reduction,
        grad=True,
    )
    return reduce_grad(grad, reduction, grad[..., 0].size, owned=True, sample_weight=sample_weight,
                       fn="categorical_cross_entropy_grad", shape=grad.shape[:-1], norm=norm)


# --- sparse categorical cross-entropy -----------------------------------------


def _mask_ignored(fn: str, y_true, ignore_index):
    """``y_true`` with the labels equal to ``ignore_index`` set to class 0 (their losses are dropped later), and
    the mask of those labels (``None`` when ``ignore_index`` is ``None``)."""
    if ignore_index is None:
        return y_true, None
    ignore_index = check_int(fn, "ignore_index", ignore_index)
    t = as_float_array(y_true, fn=fn, name="y_true")
    ignored = t == ignore_index
    return np.where(ignored, 0.0, t), ignored


def _kept_count(fn: str, ignored, ignore_index, reduction):
    """How many labels ``"mean"`` divides by when some are ignored (``None``: none is, all count)."""
    if ignored is None or not ignored.any():
        return None
    count = int(np.count_nonzero(~ignored))
    if count == 0 and reduction in ("mean", "weighted_mean"):
        raise ValueError(f"{fn}: every label equals ignore_index={ignore_index}, so the mean has no labels to "
                         "average (0/0); use reduction='sum'")
    return count


def _sparse_cce(fn: str, y_true, y_pred, from_logits, eps, ignore_index, label_smoothing, class_weight, reduction, *,
                grad=False):
    """Per-label losses (or their derivative), the checked ``reduction``, the number of labels "mean" divides by
    (``None``: all of them) and the class weight of each label that "weighted_mean" divides by (``None``: all 1)."""
    from_logits = check_bool(fn, "from_logits", from_logits)
    eps = _check_eps(fn, eps)
    smoothing = check_scalar(fn, "label_smoothing", label_smoothing, low=0.0, high=1.0)
    y_true, ignored = _mask_ignored(fn, y_true, ignore_index)
    labels, x = prepare_labels(fn, y_true, y_pred, reduction)
    k = x.shape[-1]
    w = check_weights(fn, "class_weight", class_weight, (k,), low_open=False, exact=True)
    unweighted = isinstance(w, float) and w == 1.0
    if not from_logits:
        check_rows_sum_to_one(fn, "y_pred", x)
    if from_logits and smoothing == 0.0 and unweighted:
        out = _cross_entropy_rows(None, x, True, eps, grad=grad, labels=labels)
    else:
        target = np.zeros(x.shape)
        np.put_along_axis(target, labels[..., None], 1.0, axis=-1)
        if smoothing:
            target = (1.0 - smoothing) * target + smoothing / k
        out = _cross_entropy_rows(target if unweighted else w * target, x, from_logits, eps, grad=grad)
    norm = None if unweighted else np.broadcast_to(w, (k,))[labels]
    count = _kept_count(fn, ignored, ignore_index, reduction)
    if count is not None:
        out = np.where(ignored[..., None] if grad else ignored, 0.0, out)
        norm = np.where(ignored, 0.0, 1.0 if norm is None else norm)
    return out, reduction, count, norm


@class_axis(labels=True)
def sparse_categorical_cross_entropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    eps: float = EPS,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    class_weight: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Categorical cross-entropy with integer class labels.

    .. math:: \ell_i = -\log p_{i, y_i}, \qquad L = \frac{1}{n} \sum_i \ell_i

    the same loss as :func:`categorical_cross_entropy` with one-hot rows,
    which is how it is computed; :math:`p_i = \operatorname{softmax}(z_i)`
    for logits, else the row divided by its sum and clipped to
    :math:`[\epsilon, 1 - \epsilon]`.

    Parameters
    ----------
    y_true : array_like, shape (...)
        Integer class labels :math:`y_i \in \{0, \dots, k - 1\}` (floats with
        integer values are accepted).
    y_pred : array_like, shape (..., k)
        Predicted probability rows (each sums to 1), or logits :math:`z`
        when ``from_logits=True``.
    from_logits : bool, default False
        Read ``y_pred`` as logits.
    eps : float, default 1e-7
        Clip for probabilities; must lie in (0, 0.5). Unused with logits.
    ignore_index : int, optional
        Labels equal to it (padding, e.g. ``-100`` as in PyTorch) cost 0,
        get no gradient and are left out of the ``"mean"``, which divides by
        the number of the other labels.
    label_smoothing : float in [0, 1], default 0.0
        :math:`\varepsilon`: the target becomes :math:`(1 - \varepsilon)` on the
        label plus :math:`\varepsilon / k` on every class, as in PyTorch's and
        Keras' ``label_smoothing``; the loss of a perfect prediction is then
        no longer 0.
    class_weight : float or array_like of shape (k,), optional
        Non-negative weight :math:`w_j` of each class: the loss of a label
        :math:`y_i` is multiplied by :math:`w_{y_i}` (the smoothed part of
        the target by each class's own weight), PyTorch's ``weight``. Its
        ``"mean"`` is ``reduction="weighted_mean"`` here,
        :math:`\sum_i w_{y_i} \ell_i / \sum_i w_{y_i}` over the labels that
        are not ignored; ``"mean"`` divides by their number. Default 1.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"none"`` returns one loss per label, shaped like ``y_true`` (0 at
        ignored labels).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``y_true`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``from_logits`` is not a bool.
    ValueError
        If ``y_pred`` does not have shape ``y_true.shape + (k,)``; an input is
        empty or holds NaN/inf; a label is not an integer in [0, k - 1]; a row
        of ``y_pred`` (without ``from_logits``) has entries outside [0, 1] or
        does not sum to 1 within 1e-4; ``eps`` is outside (0, 0.5);
        ``class_weight`` is negative or not of shape ``(k,)``; every label is
        ignored with ``"mean"`` or ``"weighted_mean"``; ``reduction`` is
        unknown.

    Notes
    -----
    PyTorch's ``cross_entropy(logits, labels)`` is this loss with
    ``from_logits=True`` (and ``nll_loss(log_softmax(z), labels)`` spells it
    out); for probabilities, ``cross_entropy(log(p), labels)`` matches value
    and gradient. PyTorch wants int64 labels and the prediction first. Keras'
    ``SparseCategoricalCrossentropy`` defaults to probabilities and clips them
    with the same :math:`\epsilon`, but before renormalising rather than
    after, so at probabilities of exactly 0 and 1 it can differ from this
    function (and from Keras' own ``CategoricalCrossentropy``) by about
    :math:`\epsilon`: a perfect prediction costs it :math:`2 \cdot 10^{-7}`
    instead of :math:`10^{-7}`.

    With ``ignore_index``, ``class_weight`` and ``sample_weight`` together,
    the ignored labels drop out of the sum and of both normalisers:
    ``"mean"`` divides by the number of the other labels and
    ``"weighted_mean"`` by their summed weights, as PyTorch's
    ``cross_entropy(z, y, weight=w, ignore_index=i)`` does.

    References
    ----------
    J. S. Bridle, "Probabilistic interpretation of feedforward classification
    network outputs, with relationships to statistical pattern recognition",
    in *Neurocomputing*, Springer (1990), 227-236.

    Examples
    --------
    >>> sparse_categorical_cross_entropy([1, 0], [[0.2, 0.5, 0.3], [0.8, 0.1, 0.1]], reduction="none")
    array([0.69314718, 0.22314355])
    >>> sparse_categorical_cross_entropy([0], [[0.0, 0.0]], from_logits=True)  # log 2
    np.float64(0.6931471805599453)

    Class 1 weighs 3: PyTorch's mean divides by the label weights 1 + 3.

    >>> z = [[0.0, 0.0], [0.0, 0.0]]
    >>> float(sparse_categorical_cross_entropy([0, 1], z, from_logits=True, class_weight=[1.0, 3.0],
    ...                                        reduction="weighted_mean")) == float(np.log(2))
    True
    """
    loss, reduction, count, norm = _sparse_cce("sparse_categorical_cross_entropy", y_true, y_pred, from_logits, eps,
                                               ignore_index, label_smoothing, class_weight, reduction)
    return reduce(loss, reduction, sample_weight, fn="sparse_categorical_cross_entropy", count=count, norm=norm)


@class_axis(labels=True, grad=True)
def sparse_categorical_cross_entropy_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    from_logits: bool = False,
    eps: float = EPS,
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    class_weight: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`sparse_categorical_cross_entropy` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial z_{ij}} = p_{ij} - [j = y_i],
        \qquad
        \frac{\partial \ell_i}{\partial \hat y_{ij}} = -\frac{[j = y_i]}{\hat y_{ij}} + \frac{1}{\sum_m \hat y_{im}}

    (see :func:`categorical_cross_entropy_grad`), divided by :math:`n` for
    ``"mean"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> sparse_categorical_cross_entropy_grad([1], [[0.0, 0.0]], from_logits=True)
    array([[ 0.5, -0.5]])
    """
    grad, reduction, count, norm = _sparse_cce("sparse_categorical_cross_entropy_grad", y_true, y_pred, from_logits,
                                               eps, ignore_index, label_smoothing, class_weight, reduction, grad=True)
    return reduce_grad(grad, reduction, grad[..., 0].size if count is None else count, owned=True,
                       sample_weight=sample_weight, fn="sparse_categorical_cross_entropy_grad", shape=grad.shape[:-1],
                       norm=norm)


# --- negative log-likelihood of log-probabilities ---------------------------------


NLL_ATOL = 1e-4
"""How far from 0 the log-sum-exp of a row of log-probabilities may be (the rows' probabilities sum to 1 within it)."""


def _nll(fn: str, y_true, y_pred, class_weight, ignore_index, reduction):
    """Labels (int64, ignored ones set to 0), log-probabilities, the class weight of each label (``None``: all 1),
    the mask of ignored labels (``None``: none) and the number of labels "mean" divides by (``None``: all)."""
    y_true, ignored = _mask_ignored(fn, y_true, ignore_index)
    labels, logp = prepare_labels(fn, y_true, y_pred, reduction)
    k = logp.shape[-1]
    check_in_range(fn, "y_pred", logp, high=0.0,
                   why=" (log-probabilities, e.g. log_softmax outputs; not probabilities or logits)")
    top = logp.max(axis=-1, keepdims=True)
    lse = (top + np.log(np.sum(np.exp(logp - top), axis=-1, keepdims=True)))[..., 0]
    off = np.abs(lse) > NLL_ATOL
    if off.any():
        where, row = first_row(off)
        raise ValueError(
            f"{fn}: each row of y_pred must hold log-probabilities, whose exponentials sum to 1 (logsumexp 0 within "
            f"{NLL_ATOL:g}), but {row} has logsumexp {float(lse[where]):.6g}; {int(off.sum())} row(s) are off. Pass "
            "log_softmax(logits), or logits to sparse_categorical_cross_entropy(from_logits=True)"
        )
    w = check_weights(fn, "class_weight", class_weight, (k,), low_open=False, exact=True)
    weight = np.broadcast_to(w, (k,))[labels]
    count = _kept_count(fn, ignored, ignore_index, reduction)
    if count is not None:
        weight = np.where(ignored, 0.0, weight)
    return labels, logp, weight, count


@class_axis(labels=True)
def nll(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    class_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Negative log-likelihood of integer labels under predicted **log**-probabilities.

    .. math:: \ell_i = -w_{y_i}\, \hat y_{i, y_i}, \qquad L = \frac{1}{n} \sum_i \ell_i

    where :math:`\hat y_i = \log p_i` is a row of log-probabilities (what
    ``log_softmax`` returns) and :math:`w_j` the weight of class :math:`j`
    (default 1). It only picks the label's entry: the normalisation lives in
    ``log_softmax``, so ``nll(y, log_softmax(z))`` is the cross-entropy of the
    logits :math:`z`. PyTorch's ``nll_loss`` / ``NLLLoss``.

    Parameters
    ----------
    y_true : array_like, shape (...)
        Integer class labels :math:`y_i \in \{0, \dots, k - 1\}`.
    y_pred : array_like, shape (..., k)
        Log-probabilities: every entry :math:`\le 0` and each row's
        log-sum-exp 0 within ``1e-4`` (its probabilities sum to 1 within
        ``1e-4``, the tolerance of the probability losses).
    class_weight : float or array_like of shape (k,), optional
        Non-negative :math:`w_j` (PyTorch's ``weight``); its mean is
        ``reduction="weighted_mean"``, :math:`\sum_i w_{y_i} \ell_i / \sum_i w_{y_i}`.
    ignore_index : int, optional
        Labels equal to it cost 0, get no gradient and are left out of the
        ``"mean"`` (PyTorch's default is ``-100``; here ``None``, no label ignored).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"none"`` returns one loss per label, shaped like ``y_true``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``y_true`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``y_pred`` does not have shape ``y_true.shape + (k,)``; an input is
        empty or holds NaN/inf; a label is not an integer in [0, k - 1]; an
        entry of ``y_pred`` is positive or a row's log-sum-exp is not 0 within
        1e-4 (probabilities or logits passed where log-probabilities belong);
        every label is ignored with ``"mean"``; ``reduction`` is unknown.

    Notes
    -----
    PyTorch's ``nll_loss(input, target)`` takes the prediction first and
    checks nothing: fed probabilities it returns :math:`-\bar p_y`, a
    *negative* "loss" whose minimum pushes :math:`p_y` up without bound in
    the logits' units; fed logits it returns :math:`-z_y`, unbounded below.
    Both train something, silently. Here both are errors.

    References
    ----------
    A. Paszke et al., "PyTorch: An imperative style, high-performance deep
    learning library", *NeurIPS* 32 (2019); ``torch.nn.NLLLoss``.

    Examples
    --------
    >>> logp = np.log([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    >>> nll([0, 1], logp, reduction="none")
    array([0.69314718, 0.22314355])
    >>> float(nll([0], np.log([[0.5, 0.5]]))) == float(np.log(2.0))
    True
    """
    labels, logp, weight, count = _nll("nll", y_true, y_pred, class_weight, ignore_index, reduction)
    loss = -weight * np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    norm = None if class_weight is None and count is None else weight
    return reduce(loss + 0.0, reduction, sample_weight, fn="nll", count=count, norm=norm)


@class_axis(labels=True, grad=True)
def nll_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    class_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`nll` with respect to ``y_pred``: :math:`-w_{y_i}` at the label, 0 elsewhere.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_{ij}} = -w_{y_i}\,[j = y_i]

    divided by :math:`n` for ``"mean"``. Through ``log_softmax`` this becomes
    the cross-entropy's :math:`p_{ij} - [j = y_i]`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> nll_grad([1], np.log([[0.5, 0.5]]))
    array([[ 0., -1.]])
    """
    labels, logp, weight, count = _nll("nll_grad", y_true, y_pred, class_weight, ignore_index, reduction)
    grad = np.zeros(logp.shape)
    np.put_along_axis(grad, labels[..., None], -weight[..., None], axis=-1)
    norm = None if class_weight is None and count is None else weight
    return reduce_grad(grad, reduction, labels.size if count is None else count, owned=True,
                       sample_weight=sample_weight, fn="nll_grad", shape=grad.shape[:-1], norm=norm)


# --- hinge losses -------------------------------------------------------------


def _margins(fn: str, y_true, y_pred, reduction):
    y, score = prepare_pair(fn, y_true, y_pred, reduction)
    s = signed_labels(fn, "y_true", y)
    return s, 1.0 - s * score


def hinge(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"):
    r"""Hinge loss of the support vector machine.

    .. math:: \ell_i = \max(0,\ 1 - y_i \hat y_i), \qquad y_i \in \{-1, +1\}

    Parameters
    ----------
    y_true : array_like, any shape
        Labels in :math:`\{-1, +1\}`, or in :math:`\{0, 1\}` (mapped to
        :math:`2y - 1`).
    y_pred : array_like, same shape as ``y_true``
        Real scores :math:`\hat y` (decision values, not probabilities).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` averages over every element, ``"none"`` returns
        :math:`\ell` with the shape of the input.

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
        If the shapes differ; an input is empty or holds NaN/inf; the labels
        are not all in {-1, +1} or all in {0, 1}; ``reduction`` is unknown.

    Notes
    -----
    Keras' ``Hinge`` maps {0, 1} labels the same way (only when every label
    is 0 or 1) and averages over the last axis before reducing, which
    changes ``"sum"`` and ``"none"``. PyTorch has no binary hinge loss
    (``hinge_embedding_loss`` is a different loss); the multiclass form is
    :func:`multiclass_hinge`. The loss is linear in the score, so it never
    overflows.

    References
    ----------
    C. Cortes and V. Vapnik, "Support-vector networks", *Machine Learning*
    20 (1995), 273-297.

    Examples
    --------
    >>> hinge([1, -1, 1], [2.0, 0.5, 0.25], reduction="none")
    array([0.  , 1.5 , 0.75])
    >>> hinge([1, 0], [0.5, -0.5])  # {0, 1} labels read as {+1, -1}
    np.float64(0.5)
    """
    _, margin = _margins("hinge", y_true, y_pred, reduction)
    return reduce(np.maximum(margin, 0.0), reduction, sample_weight, fn="hinge")


def hinge_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    r"""Derivative of :func:`hinge` with respect to ``y_pred``.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_i} = -y_i\, [1 - y_i \hat y_i > 0]

    divided by :math:`n` for ``"mean"``. At the kink (:math:`y_i \hat y_i = 1`)
    we return the subgradient 0, as PyTorch's ``relu`` and
    ``multi_margin_loss`` do; Keras' tape (and ``torch.clamp``) return
    :math:`-y_i` there.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> hinge_grad([1, -1, 1], [2.0, 0.5, 0.25], reduction="sum")
    array([ 0.,  1., -1.])
    """
    s, margin = _margins("hinge_grad", y_true, y_pred, reduction)
    return reduce_grad(np.where(margin > 0.0, -s, 0.0), reduction, margin.size,
                       sample_weight=sample_weight, fn="hinge_grad")


def squared_hinge(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
):
    r"""Squared hinge loss (the L2-SVM loss).

    .. math:: \ell_i = \max(0,\ 1 - y_i \hat y_i)^2, \qquad y_i \in \{-1, +1\}

    Parameters
    ----------
    y_true : array_like, any shape
        Labels in :math:`\{-1, +1\}`, or in :math:`\{0, 1\}` (mapped to
        :math:`2y - 1`).
    y_pred : array_like, same shape as ``y_true``
        Real scores :math:`\hat y`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        As in :func:`hinge`.

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
        If the shapes differ; an input is empty or holds NaN/inf; the labels
        are not all in {-1, +1} or all in {0, 1}; ``reduction`` is unknown.

    Notes
    -----
    Unlike :func:`hinge` it is differentiable everywhere, and it punishes
    large violations quadratically (less robust to mislabelled points).
    Keras' ``SquaredHinge`` maps labels like :func:`hinge` and averages over
    the last axis before reducing. PyTorch has no equivalent
    (``multi_margin_loss(p=2)`` is the multiclass form).

    References
    ----------
    C. Cortes and V. Vapnik, "Support-vector networks", *Machine Learning*
    20 (1995), 273-297.

    Examples
    --------
    >>> squared_hinge([1, -1, 1], [2.0, 0.5, 0.25], reduction="none")
    array([0.    , 2.25  , 0.5625])
    """
    _, margin = _margins("squared_hinge", y_true, y_pred, reduction)
    return reduce(np.square(np.maximum(margin, 0.0)), reduction, sample_weight, fn="squared_hinge")


def squared_hinge_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    r"""Derivative of :func:`squared_hinge` with respect to ``y_pred``.

    .. math:: \frac{\partial \ell_i}{\partial \hat y_i} = -2\, y_i \max(0,\ 1 - y_i \hat y_i)

    divided by :math:`n` for ``"mean"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> squared_hinge_grad([1, -1, 1], [2.0, 0.5, 0.25], reduction="sum")
    array([ 0. ,  3. , -1.5])
    """
    s, margin = _margins("squared_hinge_grad", y_true, y_pred, reduction)
    return reduce_grad(np.where(margin > 0.0, -2.0 * s * margin, 0.0), reduction, margin.size,
                       sample_weight=sample_weight, fn="squared_hinge_grad")


MULTICLASS_HINGE_VARIANTS = ("weston_watkins", "crammer_singer")


def _multiclass_margins(fn: str, y_true, y_pred, margin, reduction, variant="weston_watkins"):
    margin = check_scalar(fn, "margin", margin, low=0.0)
    if not isinstance(variant, str) or variant not in MULTICLASS_HINGE_VARIANTS:
        raise ValueError(f"{fn}: variant must be one of {', '.join(map(repr, MULTICLASS_HINGE_VARIANTS))}, "
                         f"got {variant!r}")
    labels, scores = prepare_labels(fn, y_true, y_pred, reduction)
    is_label = np.zeros(scores.shape, dtype=bool)
    np.put_along_axis(is_label, labels[..., None], True, axis=-1)
    true_score = np.take_along_axis(scores, labels[..., None], axis=-1)
    violation = np.where(is_label, 0.0, margin - true_score + scores)
    return violation, is_label


@class_axis(labels=True)
def multiclass_hinge(
    y_true: ArrayLike, y_pred: ArrayLike, *, margin: float = 1.0, variant: str = "weston_watkins",
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Multiclass hinge loss (Weston-Watkins form, as PyTorch's ``multi_margin_loss``, or Crammer-Singer).

    .. math::

        \ell_i = \frac{1}{k} \sum_{j \ne y_i} \max(0,\ m - \hat y_{i, y_i} + \hat y_{ij}),
        \qquad L = \frac{1}{n} \sum_i \ell_i

    Every wrong class whose score comes within the margin :math:`m` of the
    true class's score adds to the loss. With ``variant="crammer_singer"``
    only the worst one does, and nothing is divided by :math:`k`:

    .. math:: \ell_i = \max_{j \ne y_i} \max(0,\ m - \hat y_{i, y_i} + \hat y_{ij})

    Parameters
    ----------
    y_true : array_like, shape (...)
        Integer class labels in :math:`\{0, \dots, k - 1\}`.
    y_pred : array_like, shape (..., k)
        Real class scores :math:`\hat y`.
    margin : float, default 1.0
        The margin :math:`m \ge 0`.
    variant : {"weston_watkins", "crammer_singer"}, default "weston_watkins"
        Sum over the wrong classes divided by :math:`k` (Weston and Watkins,
        PyTorch), or the largest violation only (Crammer and Singer).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"none"`` returns one loss per label, shaped like ``y_true``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like
        ``y_true`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If ``y_pred`` does not have shape ``y_true.shape + (k,)``; an input is
        empty or holds NaN/inf; a label is not an integer in [0, k - 1];
        ``margin < 0``; ``variant`` is unknown; ``reduction`` is unknown.

    Notes
    -----
    PyTorch's ``multi_margin_loss(input, target, p=1, margin=1.0)`` computes
    exactly this, including the division by :math:`k` (the prediction comes
    first, labels must be int64). Keras' ``CategoricalHinge`` takes one-hot
    targets and is meant to be the Crammer-Singer form with :math:`m = 1`,
    but it takes the largest wrong score as :math:`\max_j (1 - y_j) \hat y_j`,
    in which the true class counts as a score of 0: when every wrong score is
    negative it charges :math:`\max(0, 1 - \hat y_y)`, not
    :math:`\max(0, 1 + \max_{j \ne y} \hat y_j - \hat y_y)`, so adding a
    constant to all scores changes its loss (it does not change this one).

    References
    ----------
    J. Weston and C. Watkins, "Support vector machines for multi-class
    pattern recognition", *ESANN* (1999), 219-224. K. Crammer and Y. Singer,
    "On the algorithmic implementation of multiclass kernel-based vector
    machines", *JMLR* 2 (2001), 265-292.

    Examples
    --------
    >>> multiclass_hinge([0, 2], [[2.0, 1.5, -1.0], [0.0, 0.0, 0.0]], reduction="none")  # (0.5 + 0) / 3, (1 + 1) / 3
    array([0.16666667, 0.66666667])
    >>> multiclass_hinge([0, 2], [[2.0, 1.5, -1.0], [0.0, 0.0, 0.0]], variant="crammer_singer", reduction="none")
    array([0.5, 1. ])
    """
    violation, _ = _multiclass_margins("multiclass_hinge", y_true, y_pred, margin, reduction, variant)
    if variant == "crammer_singer":
        return reduce(np.maximum(np.max(violation, axis=-1), 0.0), reduction, sample_weight, fn="multiclass_hinge")
    k = violation.shape[-1]
    return reduce(np.sum(np.maximum(violation, 0.0), axis=-1) / k, reduction, sample_weight, fn="multiclass_hinge")


@class_axis(labels=True, grad=True)
def multiclass_hinge_grad(
    y_true: ArrayLike, y_pred: ArrayLike, *, margin: float = 1.0, variant: str = "weston_watkins",
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`multiclass_hinge` with respect to ``y_pred``.

    .. math::

        \frac{\partial \ell_i}{\partial \hat y_{ij}} = \frac{1}{k}\,[v_{ij} > 0] \ (j \ne y_i),
        \qquad
        \frac{\partial \ell_i}{\partial \hat y_{i, y_i}} = -\frac{1}{k} \sum_{j \ne y_i} [v_{ij} > 0]

    with :math:`v_{ij} = m - \hat y_{i, y_i} + \hat y_{ij}`, divided by
    :math:`n` for ``"mean"``. At a kink (:math:`v_{ij} = 0`) the subgradient 0
    is used, as in PyTorch's ``multi_margin_loss``. For ``"crammer_singer"``
    the derivative is :math:`+1` at the wrong class :math:`j^*` of the largest
    violation and :math:`-1` at the label when :math:`v_{ij^*} > 0` (the first
    such class on a tie), 0 otherwise.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> multiclass_hinge_grad([0], [[2.0, 1.5, -1.0]], reduction="sum")
    array([[-0.33333333,  0.33333333,  0.        ]])
    """
    violation, is_label = _multiclass_margins("multiclass_hinge_grad", y_true, y_pred, margin, reduction, variant)
    k = violation.shape[-1]
    if variant == "crammer_singer":
        worst = np.where(is_label, -np.inf, violation)  # the label's own entry (0) never counts as a violation
        j_star = np.argmax(worst, axis=-1)[..., None]
        hit = np.take_along_axis(worst, j_star, axis=-1) > 0.0
        active = np.zeros(violation.shape)
        np.put_along_axis(active, j_star, hit.astype(np.float64), axis=-1)
    else:
        active = (violation > 0.0).astype(np.float64) / k
    grad = np.where(is_label, -np.sum(active, axis=-1, keepdims=True), active)
    return reduce_grad(grad, reduction, grad[..., 0].size, sample_weight=sample_weight, fn="multiclass_hinge_grad",
                       shape=grad.shape[:-1])


# --- zero-one loss ------------------------------------------------------------


def zero_one(
    y_true: ArrayLike, y_pred: ArrayLike, *, threshold: float = 0.5,
    sample_weight: ArrayLike | None = None, reduction: str = "mean",
):
    r"""Zero-one loss: 1 for a misclassified element, 0 otherwise.

    .. math::

        \ell_i = [\hat c_i \ne y_i], \qquad \hat c_i = [\hat y_i \ge t]

    so ``"mean"`` is the error rate, :math:`1 - \text{accuracy}`.

    Parameters
    ----------
    y_true : array_like, any shape
        Labels in :math:`\{0, 1\}` or in :math:`\{-1, +1\}`.
    y_pred : array_like, same shape as ``y_true``
        Scores or probabilities; :math:`\hat y \ge t` predicts the positive
        class.
    threshold : float, default 0.5
        The decision threshold :math:`t` (0.5 for probabilities, 0 for
        scores or logits).
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` is the error rate, ``"sum"`` the number of errors,
        ``"none"`` one 0/1 value per element.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of 0.0 and 1.0 shaped
        like ``y_pred`` for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ; an input is empty or holds NaN/inf; the labels
        are not all in {-1, +1} or all in {0, 1}; ``threshold`` is not finite;
        ``reduction`` is unknown.

    Notes
    -----
    The loss is piecewise constant: its derivative is 0 almost everywhere and
    undefined at the threshold, so it has no ``_grad``; the other losses of
    this module are its convex, differentiable surrogates. Keras'
    ``BinaryAccuracy`` (a metric) counts :math:`\hat y > t` as positive, a
    strict inequality, so at exactly :math:`\hat y = t` it disagrees with
    this function. PyTorch has no zero-one loss.

    References
    ----------
    A. Wald, *Statistical Decision Functions*, Wiley (1950).

    Examples
    --------
    >>> zero_one([1, 0, 1, 0], [0.9, 0.5, 0.2, 0.1])  # 0.5 counts as positive: two errors
    np.float64(0.5)
    >>> zero_one([1, -1], [0.3, -2.0], threshold=0.0, reduction="none")
    array([0., 0.])
    """
    threshold = check_scalar("zero_one", "threshold", threshold)
    y, score = prepare_pair("zero_one", y_true, y_pred, reduction)
    positive = signed_labels("zero_one", "y_true", y) > 0
    return reduce(((score >= threshold) != positive).astype(np.float64), reduction, sample_weight, fn="zero_one")


# --- focal loss ---------------------------------------------------------------


def _focal(fn: str, y_true, y_pred, gamma, alpha, from_logits, eps, reduction):
    gamma = check_scalar(fn, "gamma", gamma, low=0.0)
    if alpha is not None:
        alpha = check_scalar(fn, "alpha", alpha, low=0.0, high=1.0)
    from_logits = check_bool(fn, "from_logits", from_logits)
    eps = _check_eps(fn, eps)
    y, x = prepare_pair(fn, y_true, y_pred, reduction)
    check_in_range(fn, "y_true", y, low=0.0, high=1.0, why=" (labels or target probabilities)")
    alpha_t = 1.0 if alpha is None else alpha * y + (1.0 - alpha) * (1.0 - y)
    if from_logits:
        sp_neg, sp_pos = _softplus(-x), _softplus(x)  # -log sigma(z), -log sigma(-z)
        ce = y * sp_neg + (1.0 - y) * sp_pos
        with np.errstate(divide="ignore"):  # log 0 = -inf is wanted for hard labels
            log_q = np.logaddexp(np.log(y) - sp_pos, np.log1p(-y) - sp_neg)  # log(1 - p_t)
        factor = np.exp(gamma * log_q)
        # d(1 - p_t)^gamma / dz = gamma (1 - p_t)^(gamma - 1) (1 - 2y) sigma(z) sigma(-z), in log space
        d_factor = gamma * (1.0 - 2.0 * y) * np.exp((gamma - 1.0) * log_q - sp_neg - sp_pos)
        d_ce = (1.0 - y) * np.exp(-sp_neg) - y * np.exp(-sp_pos)  # sigma(z) - y without cancellation
        grad = alpha_t * (d_factor * ce + factor * d_ce)
    else:
        check_in_range(fn, "y_pred", x, low=0.0, high=1.0, why=" (probabilities; pass from_logits=True for logits)")
        p, q, log_p, log_q, inside = _clip_probabilities(x, eps)
        ce = -(y * log_p + (1.0 - y) * log_q)
        one_minus_pt = y * q + (1.0 - y) * p  # >= eps > 0
        factor = one_minus_pt**gamma
        d_factor = gamma * one_minus_pt ** (gamma - 1.0) * (1.0 - 2.0 * y)
        d_ce = -y / p + (1.0 - y) / q
        grad = np.where(inside, alpha_t * (d_factor * ce + factor * d_ce), 0.0)
    return alpha_t * factor * ce, grad, reduction


def focal(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    from_logits: bool = False,
    eps: float = EPS,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Binary focal loss: cross-entropy that down-weights well-classified elements.

    .. math::

        \ell_i = -\alpha_{t,i}\, (1 - p_{t,i})^{\gamma} \log p_{t,i},
        \qquad p_{t,i} = y_i p_i + (1 - y_i)(1 - p_i),
        \qquad \alpha_{t,i} = \alpha y_i + (1 - \alpha)(1 - y_i)

    For soft labels :math:`-\log p_t` is read as the binary cross-entropy
    :math:`-[y \log p + (1 - y)\log(1 - p)]`; without ``alpha``,
    :math:`\alpha_t = 1`; ``gamma = 0`` gives :func:`binary_cross_entropy`.

    Parameters
    ----------
    y_true : array_like, any shape
        Labels in :math:`\{0, 1\}` (or target probabilities in [0, 1]).
    y_pred : array_like, same shape as ``y_true``
        Predicted probabilities of the positive class, or logits when
        ``from_logits=True``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : float in [0, 1], optional
        Weight :math:`\alpha` of the positive class (and :math:`1 - \alpha`
        of the negative one). ``None`` (default) weighs both classes 1.
    from_logits : bool, default False
        Read ``y_pred`` as logits.
    eps : float, default 1e-7
        Clip for probabilities; must lie in (0, 0.5). Unused with logits.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"none"`` returns :math:`\ell` with the shape of the input.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array shaped like ``y_pred``
        for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``from_logits`` is not a bool.
    ValueError
        If the shapes differ; an input is empty or holds NaN/inf; ``y_true``
        (or ``y_pred`` without ``from_logits``) lies outside [0, 1];
        ``gamma < 0``; ``alpha`` is outside [0, 1]; ``eps`` is outside
        (0, 0.5); ``reduction`` is unknown.

    Notes
    -----
    *Stability.* With logits the cross-entropy is a softplus and the focal
    factor is formed in log space, :math:`\log(1 - p_t) =
    \operatorname{logaddexp}(\log y - \operatorname{softplus}(z), \log(1 - y)
    - \operatorname{softplus}(-z))`, so logits of :math:`\pm 10^4` give exact
    losses and finite gradients even for :math:`\gamma < 1`, where
    :math:`(1 - p_t)^{\gamma - 1}` alone would overflow. Probabilities are
    clipped to :math:`[\epsilon, 1 - \epsilon]` in both the log and the focal
    factor.

    *Frameworks.* torchvision's ``sigmoid_focal_loss(inputs, targets,
    alpha=0.25, gamma=2)`` takes logits and weights by ``alpha`` by default;
    ``alpha=-1`` there is ``alpha=None`` here. Keras'
    ``BinaryFocalCrossentropy(apply_class_balancing=False, alpha=0.25,
    gamma=2.0)`` ignores ``alpha`` unless ``apply_class_balancing=True``;
    then ``alpha`` weighs the positive class, as here. So ``alpha=None``
    here is Keras' default, and ``alpha=a`` is Keras with
    ``apply_class_balancing=True, alpha=a``. Keras uses the unclipped
    probability in the focal factor, which differs from this function only
    within :math:`\epsilon` of 0 and 1, and averages over the last axis
    before reducing.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss for
    dense object detection", *ICCV* (2017), 2980-2988.

    Examples
    --------
    >>> round(float(focal([1.0], [0.9], gamma=2.0)), 8)  # -(1 - 0.9)^2 log 0.9
    0.00105361
    >>> focal([1.0, 0.0], [0.9, 0.2], gamma=0.0) == binary_cross_entropy([1.0, 0.0], [0.9, 0.2])
    np.True_
    """
    loss, _, reduction = _focal("focal", y_true, y_pred, gamma, alpha, from_logits, eps, reduction)
    return reduce(loss, reduction, sample_weight, fn="focal")


def focal_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: float | None = None,
    from_logits: bool = False,
    eps: float = EPS,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`focal` with respect to ``y_pred``.

    With :math:`c_i` the binary cross-entropy and :math:`u_i = 1 - p_{t,i}`:

    .. math::

        \frac{\partial \ell_i}{\partial p_i} = \alpha_{t,i}\left[\gamma u_i^{\gamma - 1} (1 - 2y_i)\, c_i
        + u_i^{\gamma} \left(-\frac{y_i}{p_i} + \frac{1 - y_i}{1 - p_i}\right)\right]

    and, by the chain rule with :math:`\partial p / \partial z = p(1 - p)`,

    .. math::

        \frac{\partial \ell_i}{\partial z_i} = \alpha_{t,i}\left[\gamma u_i^{\gamma - 1} (1 - 2y_i)\,
        p_i (1 - p_i)\, c_i + u_i^{\gamma} (p_i - y_i)\right]

    with respect to the logits when ``from_logits=True`` (computed in log
    space) and to the probabilities otherwise (0 where a probability was
    clipped), divided by :math:`n` for ``"mean"``.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> focal_grad([1.0], [0.0], gamma=0.0, from_logits=True)  # gamma = 0: sigma(z) - y
    array([-0.5])
    """
    _, grad, reduction = _focal("focal_grad", y_true, y_pred, gamma, alpha, from_logits, eps, reduction)
    return reduce_grad(grad, reduction, grad.size, sample_weight=sample_weight, fn="focal_grad")


# --- categorical focal loss ----------------------------------------------------


def _categorical_focal(fn: str, y_true, y_pred, gamma, alpha, from_logits, eps, reduction, *, grad: bool = False):
    """Per-row losses, or the derivative of each row's loss with respect to ``y_pred``."""
    gamma = check_scalar(fn, "gamma", gamma, low=0.0)
    from_logits = check_bool(fn, "from_logits", from_logits)
    eps = _check_eps(fn, eps)
    y, x = prepare_rows(fn, y_true, y_pred, reduction)
    check_rows_sum_to_one(fn, "y_true", y)
    k = x.shape[-1]
    a = 1.0 if alpha is None else check_weights(fn, "alpha", alpha, (k,), low_open=False)
    if from_logits:
        top = np.argmax(x, axis=-1)[..., None]
        z = x - np.take_along_axis(x, top, axis=-1)
        others = np.exp(z)
        np.put_along_axis(others, top, 0.0, axis=-1)
        logp = z - np.log1p(np.sum(others, axis=-1, keepdims=True))  # log1p: exact for the likely class too
        p, inside = np.exp(logp), 1.0
        q = -np.expm1(logp)  # 1 - p without cancellation near p = 1
    else:
        check_rows_sum_to_one(fn, "y_pred", x)
        total = x.sum(axis=-1, keepdims=True)
        unclipped = x / total
        p = np.clip(unclipped, eps, 1.0 - eps)
        inside = (unclipped > eps) & (unclipped < 1.0 - eps)
        # 1 - p as the sum of the other classes (no cancellation where p is near 1), clipped like p
        zero = np.zeros(x.shape[:-1] + (1,))
        before = np.concatenate([zero, np.cumsum(x[..., :-1], axis=-1)], axis=-1)
        after = np.concatenate([np.cumsum(x[..., :0:-1], axis=-1)[..., ::-1], zero], axis=-1)
        q = np.clip((before + after) / total, eps, 1.0 - eps)
        logp = np.where(p < 0.5, np.log(p), np.log1p(-q))  # log1p(-q): exact near p = 1, where log(p) is not
    focus = q**gamma
    if not grad:
        return np.sum(-a * y * focus * logp, axis=-1)
    # u_j = p_j dl/dp_j = -a_j y_j (1 - p_j)^gamma (1 + gamma p_j R_j), R = -log p / (1 - p) -> 1 at p = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0.0, -logp / q, 1.0)
    u = -a * y * focus * (1.0 + gamma * p * ratio) * inside
    if from_logits:
        return u - p * np.sum(u, axis=-1, keepdims=True)
    g = u / p
    return (g - np.sum(g * unclipped, axis=-1, keepdims=True)) / total


@class_axis()
def categorical_focal(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: ArrayLike | None = None,
    from_logits: bool = False,
    eps: float = EPS,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Categorical focal loss (Lin et al. 2017, softmax form): the cross-entropy with a focus on hard rows.

    .. math:: \ell_i = -\sum_j \alpha_j\, y_{ij}\, (1 - p_{ij})^{\gamma} \log p_{ij}

    :math:`p_i = \operatorname{softmax}(z_i)` for logits, else the row divided
    by its sum and clipped to :math:`[\epsilon, 1 - \epsilon]`. :math:`\gamma = 0`
    and :math:`\alpha = 1` give :func:`categorical_cross_entropy`.

    Parameters
    ----------
    y_true : array_like, shape (..., k)
        Target rows (one-hot or distributions, each summing to 1).
    y_pred : array_like, shape (..., k)
        Probability rows, or logits with ``from_logits=True``.
    gamma : float, default 2.0
        Focusing parameter :math:`\gamma \ge 0`.
    alpha : float or array_like of shape (k,), optional
        Class weights :math:`\alpha_j \ge 0`; default 1 (no weighting).
    from_logits : bool, default False
        Read ``y_pred`` as logits (computed with log-softmax, nothing clipped).
    eps : float, default 1e-7
        Clip for probabilities, in (0, 0.5). Unused with logits.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"none"`` returns one loss per row, shape ``y_true.shape[:-1]``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; one loss per row for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric or ``from_logits`` is not a bool.
    ValueError
        If the shapes differ; an input is empty or holds NaN/inf; a row of
        ``y_true`` (or of ``y_pred`` without ``from_logits``) is no
        probability row; ``gamma < 0``; ``alpha`` is negative or not of shape
        ``(k,)``; ``eps`` is outside (0, 0.5); ``reduction`` is unknown.

    Notes
    -----
    Keras' ``CategoricalFocalCrossentropy(alpha=0.25, gamma=2.0)`` computes
    this with ``alpha=0.25`` for **every** class: its default multiplies the
    whole loss by 0.25 (in the binary focal loss :math:`\alpha` weighs the
    positive class against the negative one). With ``from_logits=True`` Keras
    still clips the softmax at :math:`\epsilon`, so a confidently wrong logit
    costs it at most :math:`-\alpha \log 10^{-7}`; here the loss is exact.
    PyTorch has no categorical focal loss.

    References
    ----------
    T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss for
    dense object detection", *ICCV* (2017).

    Examples
    --------
    >>> categorical_focal([[0.0, 1.0, 0.0]], [[0.25, 0.5, 0.25]], reduction="none")  # 0.5^2 log 2
    array([0.1732868])
    >>> float(categorical_focal([[1.0, 0.0]], [[0.0, 0.0]], gamma=0.0, from_logits=True)) == float(np.log(2))
    True
    """
    loss = _categorical_focal("categorical_focal", y_true, y_pred, gamma, alpha, from_logits, eps, reduction)
    return reduce(loss, reduction, sample_weight, fn="categorical_focal")


@class_axis(grad=True)
def categorical_focal_grad(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    gamma: float = 2.0,
    alpha: ArrayLike | None = None,
    from_logits: bool = False,
    eps: float = EPS,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`categorical_focal` with respect to ``y_pred``.

    With :math:`u_j = p_j\,\partial\ell/\partial p_j = -\alpha_j y_j (1 - p_j)^{\gamma}
    \bigl(1 - \gamma\, p_j \log p_j / (1 - p_j)\bigr)`,

    .. math::

        \frac{\partial \ell}{\partial z_j} = u_j - p_j \sum_m u_m, \qquad
        \frac{\partial \ell}{\partial \hat y_j} = \frac{1}{\sum_m \hat y_m}
        \Bigl(\frac{u_j}{p_j} - \sum_m u_m \frac{\hat y_m}{\sum_l \hat y_l}\Bigr)

    for logits and for probabilities (rows are renormalised; a clipped entry
    contributes 0), divided by :math:`n` for ``"mean"``. At :math:`\gamma = 0`
    this is the cross-entropy's :math:`p - y`.

    Returns
    -------
    numpy.ndarray
        Same shape as ``y_pred``.

    Examples
    --------
    >>> categorical_focal_grad([[1.0, 0.0]], [[0.0, 0.0]], gamma=0.0, from_logits=True)
    array([[-0.5,  0.5]])
    """
    g = _categorical_focal("categorical_focal_grad", y_true, y_pred, gamma, alpha, from_logits, eps, reduction,
                           grad=True)
    return reduce_grad(g, reduction, g[..., 0].size, owned=True, sample_weight=sample_weight,
                       fn="categorical_focal_grad", shape=g.shape[:-1])


# --- registry -----------------------------------------------------------------

_CHAPTER = "03_classification"

register(LossRecord(
    name="binary_cross_entropy", family="classification", task="binary classification",
    minimiser=r"the class probability $\eta(x) = P(Y = 1 \mid x)$; with `pos_weight` $w$, $w\eta / (w\eta + 1 - \eta)$",
    best_constant=minimisers.frequency, proper=True,
    formula=r"-\left[y \log p + (1 - y) \log(1 - p)\right]",
    gradient=r"\frac{\partial \ell}{\partial p} = \frac{p - y}{p(1 - p)}",
    convex=True, differentiable=True, robust=False,
    fn=binary_cross_entropy, grad=binary_cross_entropy_grad, inputs="binary_prob", chapter=_CHAPTER,
    reference="cox1958",
    torch="torch.nn.functional.binary_cross_entropy(y_pred, y_true)",
    keras="keras.losses.BinaryCrossentropy()(y_true, y_pred)",
    params={"from_logits": False, "pos_weight": None, "eps": EPS, "label_smoothing": 0.0},
    torch_notes=(
        r"Prediction first. It clamps $\log p$ at $-100$ instead of clipping $p$, so $p = 0$ for a "
        r"positive costs 100 (here $-\log 10^{-7} \approx 16.1$). `pos_weight` exists only in "
        "`binary_cross_entropy_with_logits`."
    ),
    keras_notes=(
        "Clips $p$ to $[10^{-7}, 1 - 10^{-7}]$, as here; no `pos_weight`. Keras averages over the "
        "last axis first, which changes `'sum'` and `'none'`."
    ),
))
register(LossRecord(
    name="categorical_cross_entropy", family="classification", task="multiclass classification",
    minimiser=r"the class probabilities $P(Y = j \mid x)$; with label smoothing $s$, $(1 - s) P(Y = j \mid x) + s/k$",
    best_constant=minimisers.mean_distribution, proper=True,
    formula=r"-\sum_{j=1}^{k} y_j \log p_j",
    gradient=(
        r"\frac{\partial \ell}{\partial p_j} = -\frac{y_j}{p_j} + \frac{\sum_i y_i}{\sum_i "
        r"p_i}\quad\text{(the second term: rows of } p \text{ are renormalised, as in Keras)}"
    ),
    convex=True, differentiable=True, robust=False,
    fn=categorical_cross_entropy, grad=categorical_cross_entropy_grad, inputs="onehot_prob", chapter=_CHAPTER,
    reference="bridle1990",
    torch="torch.nn.functional.cross_entropy(torch.log(y_pred), y_true)",
    keras="keras.losses.CategoricalCrossentropy()(y_true, y_pred)",
    params={"from_logits": False, "label_smoothing": 0.0, "class_weight": None, "eps": EPS},
    torch_notes=(
        r"`cross_entropy` takes logits, prediction first, so pass $\log p$; it accepts probability "
        "targets, and its `'mean'` divides by $n$ rows, as here."
    ),
    keras_notes=r"Renormalises the rows and clips with $\epsilon = 10^{-7}$, as here; one loss per row.",
))
register(LossRecord(
    name="sparse_categorical_cross_entropy", family="classification", task="multiclass classification",
    minimiser=r"the class probabilities $P(Y = j \mid x)$",
    best_constant=minimisers.class_frequencies, proper=True,
    formula=r"-\log p_{y}",
    gradient=(
        r"\frac{\partial \ell}{\partial p_j} = -\frac{\mathbf{1}[j = y]}{p_y} + \frac{1}{\sum_i "
        r"p_i}\quad\text{(rows of } p \text{ are renormalised)}"
    ),
    convex=True, differentiable=True, robust=False,
    fn=sparse_categorical_cross_entropy, grad=sparse_categorical_cross_entropy_grad, inputs="sparse_prob",
    chapter=_CHAPTER, reference="bridle1990",
    torch="torch.nn.functional.cross_entropy(torch.log(y_pred), y_true.long())",
    keras="keras.losses.SparseCategoricalCrossentropy()(y_true, y_pred)",
    params={"from_logits": False, "eps": EPS, "ignore_index": None, "label_smoothing": 0.0, "class_weight": None},
    torch_notes=r"Prediction first, as logits ($\log p$), and int64 labels (`.long()`).",
    keras_notes=(
        r"Clips before renormalising, so a perfect prediction costs $2 \cdot 10^{-7}$ there and "
        "$10^{-7}$ here."
    ),
))
register(LossRecord(
    name="nll", family="classification", task="multiclass classification",
    minimiser=r"the log class probabilities $\log P(Y = j \mid x)$",
    best_constant=minimisers.log_class_frequencies, proper=True,
    formula=r"-\hat y_{y} \quad (\hat y = \log p\text{, e.g. } \mathrm{log\_softmax}(z))",
    gradient=r"\frac{\partial \ell}{\partial \hat y_j} = -\mathbf{1}[j = y]",
    convex=True, differentiable=True, robust=False,
    fn=nll, grad=nll_grad, inputs="sparse_logprob", chapter=_CHAPTER, reference="paszke2019",
    torch="torch.nn.functional.nll_loss(y_pred, y_true.long())",
    params={"class_weight": None, "ignore_index": None},
    torch_notes=(
        "Prediction first, int64 labels, `ignore_index=-100` by default, and no check of its input: fed "
        "probabilities it returns $-p_y$, a negative loss. Here that is an error."
    ),
))
register(LossRecord(
    name="hinge", family="classification", task="binary classification",
    minimiser=(
        r"the sign of the log-odds, $\operatorname{sign}(2\eta(x) - 1)$ with $\eta(x) = P(Y = 1 \mid x)$: "
        r"which class is more likely, not how likely"
    ),
    best_constant=minimisers.hinge_score, proper=False,
    formula=r"\max(0,\ 1 - y \hat y)",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = -y\,\mathbf{1}[y \hat y < 1]",
    convex=True, differentiable=False, robust=False,
    fn=hinge, grad=hinge_grad, inputs="signed_scores", chapter=_CHAPTER,
    reference="cortes1995",
    keras="keras.losses.Hinge()(y_true, y_pred)",
    torch_notes="No binary hinge loss: `hinge_embedding_loss` is a different loss, of distances.",
    keras_notes=(
        r"Maps labels $\{0, 1\}$ to $\{-1, +1\}$, as here. Keras averages over the last axis first, "
        "which changes `'sum'` and `'none'`."
    ),
))
register(LossRecord(
    name="squared_hinge", family="classification", task="binary classification",
    minimiser=(
        r"$2\eta(x) - 1$ with $\eta(x) = P(Y = 1 \mid x)$: on scores in $[-1, 1]$ it is four times the Brier "
        r"score of $(1 + \hat y)/2$"
    ),
    best_constant=minimisers.squared_hinge_score, proper=True,
    formula=r"\max(0,\ 1 - y \hat y)^2",
    gradient=r"\frac{\partial \ell}{\partial \hat y} = -2y\max(0,\ 1 - y \hat y)",
    convex=True, differentiable=True, robust=False,
    fn=squared_hinge, grad=squared_hinge_grad, inputs="signed_scores", chapter=_CHAPTER,
    reference="cortes1995",
    keras="keras.losses.SquaredHinge()(y_true, y_pred)",
    keras_notes=(
        r"Maps labels $\{0, 1\}$ to $\{-1, +1\}$, as here. Keras averages over the last axis first, "
        "which changes `'sum'` and `'none'`."
    ),
))
register(LossRecord(
    name="multiclass_hinge", family="classification", task="multiclass classification",
    minimiser=(
        r"a score vector, not probabilities; its largest entry is the most likely class when that class has "
        r"probability above 1/2, but not always otherwise {cite}`tewari2007`"
    ),
    best_constant=None, proper=False,
    formula=r"\frac{1}{k} \sum_{j \ne y} \max(0,\ m - \hat y_{y} + \hat y_j)",
    gradient=(
        r"\frac{\partial \ell}{\partial \hat y_j} = \frac{1}{k}\mathbf{1}[m - \hat y_y + \hat y_j > 0]\ (j "
        r"\ne y),\qquad \frac{\partial \ell}{\partial \hat y_y} = -\frac{1}{k}\sum_{j \ne y}\mathbf{1}[m - "
        r"\hat y_y + \hat y_j > 0]"
    ),
    convex=True, differentiable=False, robust=False,
    fn=multiclass_hinge, grad=multiclass_hinge_grad, inputs="sparse_scores", chapter=_CHAPTER,
    reference="weston1999",
    torch="torch.nn.functional.multi_margin_loss(y_pred, y_true.long())",
    params={"margin": 1.0, "variant": "weston_watkins"},
    torch_notes="Prediction first and int64 labels; it divides by $k$, as here. It has no Crammer-Singer form.",
    keras_notes=(
        "`CategoricalHinge` (one-hot targets) is `variant='crammer_singer'`, except that the label enters its "
        r"max as a score of 0: with every wrong score negative it charges $\max(0, 1 - \hat y_y)$."
    ),
))
register(LossRecord(
    name="zero_one", family="classification", task="binary classification",
    minimiser=r"the more likely label, $[\eta(x) \ge 1/2]$ (the Bayes classifier)",
    best_constant=minimisers.majority, proper=False,
    formula=r"\mathbf{1}\left[\mathbf{1}[\hat y \ge t] \ne y\right]",
    convex=False, differentiable=False, robust=True,
    fn=zero_one, grad=None, inputs="binary_labels", chapter=_CHAPTER,
    reference="wald1950",
    params={"threshold": 0.5},
    keras_notes=(
        r"The metric `BinaryAccuracy` counts $\hat y > t$ as positive, here $\hat y \ge t$: the two "
        r"disagree at $\hat y = t$."
    ),
))
register(LossRecord(
    name="categorical_focal", family="classification", task="multiclass classification",
    minimiser=(
        r"not the class probabilities when $\gamma > 0$ (at $\gamma = 0$ and $\alpha = 1$ it is the "
        r"cross-entropy)"
    ),
    best_constant=None, proper=False,
    formula=r"-\sum_j \alpha_j\, y_j (1 - p_j)^{\gamma} \log p_j",
    gradient=(
        r"\frac{\partial \ell}{\partial p_j} = \frac{1}{\sum_m p_m}\Bigl(\frac{u_j}{p_j} - \sum_m u_m\Bigr),\ "
        r"u_j = -\alpha_j y_j (1 - p_j)^{\gamma}\Bigl(1 - \frac{\gamma p_j \log p_j}{1 - p_j}\Bigr)"
    ),
    convex=False, differentiable=True, robust=False,
    fn=categorical_focal, grad=categorical_focal_grad, inputs="onehot_prob", chapter=_CHAPTER,
    reference="lin2017",
    keras="keras.losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=2.0)(y_true, y_pred)",
    params={"gamma": 2.0, "alpha": None, "from_logits": False, "eps": EPS},
    keras_notes=(
        "Its default `alpha=0.25` weighs every class alike, so it is 0.25 times this loss; and with "
        r"`from_logits=True` it still clips the softmax at $10^{-7}$, where this loss is exact."
    ),
))
register(LossRecord(
    name="focal", family="classification", task="binary classification",
    minimiser=(
        r"not the class probability: for $\gamma > 0$ a probability between $\eta(x)$ and $1/2$ "
        r"{cite}`charoenphakdee2021`"
    ),
    best_constant=None, proper=False,
    formula=r"-\alpha_t (1 - p_t)^{\gamma} \log p_t",
    gradient=(
        r"\frac{\partial \ell}{\partial p} = \pm\left[\gamma (1 - p_t)^{\gamma - 1} \log p_t - \frac{(1 - "
        r"p_t)^{\gamma}}{p_t}\right]\alpha_t,\quad + \text{ for } y = 1,\ - \text{ for } y = 0"
    ),
    convex=False, differentiable=True, robust=False,
    fn=focal, grad=focal_grad, inputs="binary_prob", chapter=_CHAPTER,
    reference="lin2017",
    keras="keras.losses.BinaryFocalCrossentropy(gamma=2.0)(y_true, y_pred)",
    params={"gamma": 2.0, "alpha": None, "from_logits": False, "eps": EPS},
    keras_notes=(
        "`BinaryFocalCrossentropy` ignores `alpha` unless `apply_class_balancing=True` (so "
        "`alpha=None` here is its default). Keras averages over the last axis first, which changes "
        "`'sum'` and `'none'`."
    ),
))
