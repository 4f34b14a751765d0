r"""Sequence losses: CTC, for outputs that must be aligned with a shorter label sequence.

Connectionist temporal classification scores a label sequence :math:`l`
(e.g. the characters of a word) against per-frame class log-probabilities
without knowing which frame emits which label: it sums the probability of
every frame-level path :math:`\pi` that collapses to :math:`l` once repeats
are merged and blanks removed (:math:`\mathcal{B}(\texttt{-aa-b-}) =
\texttt{ab}`). The sum over exponentially many paths is a forward-backward
recursion over the *extended* labels :math:`l' = (\varnothing, l_1,
\varnothing, l_2, \dots, l_L, \varnothing)`, computed here in log space with
``np.logaddexp`` so that nothing underflows on long inputs.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import (
    LOSS_REDUCTIONS,
    as_float_array,
    check_in_range,
    check_int,
    check_reduction,
    reduce,
    reduce_grad,
)
from lossfns.registry import LossRecord, register

LOG_PROB_ATOL = 1e-6
"""Largest accepted entry of ``log_probs``: log-probabilities are <= 0; the slack admits rounding."""

_CHAPTER = "04_deep_learning_losses"


def _integers(fn: str, name: str, arr: np.ndarray, high: int, what: str) -> np.ndarray:
    """Return ``arr`` as int64 after checking that it holds integers in ``[0, high]``."""
    bad = (arr != np.round(arr)) | (arr < 0) | (arr > high)
    if bad.any():
        raise ValueError(f"{fn}: {name} must hold integers in [0, {high}] ({what}), got {float(arr[bad][0])!r}")
    return arr.astype(np.int64)


def _labels_maybe_empty(fn: str, labels, log_probs) -> np.ndarray:
    """``labels`` as floats; an empty array is a valid batch whose every target is empty (lengths all 0), as in
    PyTorch's ``test_CTCLoss_empty_target``, unless ``log_probs`` is empty too."""
    try:
        empty = not isinstance(labels, (str, bytes)) and np.size(labels) == 0 and np.ndim(labels) in (1, 2)
        empty = empty and np.size(log_probs) > 0
    except (TypeError, ValueError):  # ragged or odd input: as_float_array says what is wrong
        empty = False
    return np.zeros(np.shape(labels)) if empty else as_float_array(labels, fn=fn, name="labels")


def _check_ctc(fn: str, labels, log_probs, input_lengths, label_lengths, blank, reduction):
    """Validate the CTC arguments; return padded int labels ``(N, S)``, log-probs, lengths and the blank."""
    check_reduction(fn, reduction, LOSS_REDUCTIONS)
    lab = _labels_maybe_empty(fn, labels, log_probs)
    lp = as_float_array(log_probs, fn=fn, name="log_probs")
    il = as_float_array(input_lengths, fn=fn, name="input_lengths")
    ll = as_float_array(label_lengths, fn=fn, name="label_lengths")
    if lab.ndim not in (1, 2):
        raise ValueError(
            f"{fn}: labels must be padded, shape (N, S), or concatenated, shape (sum(label_lengths),), "
            f"got shape {lab.shape}"
        )
    if lab.ndim == 2 and (lp.ndim != 3 or lp.shape[1] != lab.shape[0]):
        raise ValueError(
            f"{fn}: log_probs has shape {lp.shape} but labels has shape {lab.shape}; "
            f"log_probs must have shape (T, N, C), time first, with N = labels.shape[0] = {lab.shape[0]}"
        )
    if lp.ndim != 3:
        raise ValueError(f"{fn}: log_probs must have shape (T, N, C), time first, got shape {lp.shape}")
    T, N, C = lp.shape
    ref_name, ref_shape = ("labels", lab.shape) if lab.ndim == 2 else ("log_probs", lp.shape)
    for name, x in (("input_lengths", il), ("label_lengths", ll)):
        if x.shape != (N,):
            raise ValueError(
                f"{fn}: {name} has shape {x.shape} but {ref_name} has shape {ref_shape}; "
                f"{name} must have shape ({N},), one length per sequence"
            )
    blank = check_int(fn, "blank", blank)
    if not 0 <= blank < C:
        raise ValueError(f"{fn}: blank must be an integer in [0, {C - 1}], got {blank!r}; it is one of the C = {C} "
                         f"classes of log_probs")
    il = _integers(fn, "input_lengths", il, T, f"T = {T} time steps of log_probs")
    if lab.ndim == 2:
        ll = _integers(fn, "label_lengths", ll, lab.shape[1], f"S = {lab.shape[1]} columns of labels")
        padded = lab
    else:
        ll = _integers(fn, "label_lengths", ll, lab.size, "lengths of the concatenated labels")
        if ll.sum() != lab.size:
            raise ValueError(
                f"{fn}: label_lengths must add up to the {lab.size} concatenated labels, got {int(ll.sum())}"
            )
        padded = np.full((N, int(ll.max())), float(blank))
        padded[np.arange(padded.shape[1])[None, :] < ll[:, None]] = lab
    used = np.arange(padded.shape[1])[None, :] < ll[:, None]
    values = padded[used]
    bad = (values != np.round(values)) | (values < 0) | (values > C - 1)
    if bad.any():
        raise ValueError(
            f"{fn}: labels must hold integer class labels in [0, {C - 1}] (C = {C} classes on the last axis "
            f"of log_probs), got {float(values[bad][0])!r}"
        )
    has_blank = used & (padded == blank)
    if has_blank.any():
        n, s = (int(i) for i in np.argwhere(has_blank)[0])
        raise ValueError(
            f"{fn}: labels must not contain the blank class {blank} (CTC inserts blanks itself); "
            f"sequence {n} has it at position {s}"
        )
    check_in_range(fn, "log_probs", lp, high=LOG_PROB_ATOL, why=" (log-probabilities such as log_softmax outputs)")
    return np.where(used, padded, blank).astype(np.int64), lp, il, ll, blank


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """Shift the last axis by ``k`` (right for k > 0, left for k < 0), filling with ``-inf``."""
    out = np.full_like(x, -np.inf)
    K = x.shape[-1]
    if k > 0:
        out[..., k:] = x[..., : max(K - k, 0)]
    else:
        out[..., : max(K + k, 0)] = x[..., -k:]
    return out


def _ctc(fn: str, labels, log_probs, input_lengths, label_lengths, blank, reduction):
    """Per-sequence losses ``(N,)``, the derivative of their sum ``(T, N, C)`` and the label lengths."""
    lab, lp, il, ll, blank = _check_ctc(fn, labels, log_probs, input_lengths, label_lengths, blank, reduction)
    T, N, C = lp.shape
    # Every path emits once per frame, so subtracting each frame's largest log-probability leaves the posteriors
    # as they are and moves log p(l | x) by the sum of those maxima over the sequence's frames. Without it, at
    # |log p| ~ 1e18 alpha + beta - log p(l | x) cancels to within rounding (ulp(1e18) = 128) and the posteriors
    # come out as e^2, inf or NaN; with it, the log-probabilities of the paths that matter are near 0.
    top = np.max(lp, axis=2, keepdims=True)
    lp = lp - top
    shift = np.sum(np.where(np.arange(T)[:, None] < il[None, :], top[..., 0], 0.0), axis=0)  # (N,)
    K = 2 * lab.shape[1] + 1
    ext = np.full((N, K), blank, dtype=np.int64)  # l' = blank, l_1, blank, l_2, ..., blank
    ext[:, 1::2] = lab
    states = np.arange(K)[None, :]
    valid = states <= 2 * ll[:, None]  # states beyond 2 L_n are padding
    prev2 = np.concatenate([np.full((N, min(2, K)), -1), ext[:, :-2]], axis=1)
    skip = (states >= 2) & (ext != blank) & (ext != prev2)  # may jump over a blank from s - 2
    emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, K)), axis=2)
    emit = np.where(valid[None], emit, -np.inf)

    alpha = np.full((T, N, K), -np.inf)
    alpha[0, :, :2] = emit[0, :, :2]
    for t in range(1, T):
        a = alpha[t - 1]
        alpha[t] = np.logaddexp(np.logaddexp(a, _shift(a, 1)), np.where(skip, _shift(a, 2), -np.inf)) + emit[t]

    rows = np.arange(N)
    last = alpha[np.maximum(il - 1, 0), rows]  # (N, K): alpha at each sequence's last frame
    end = last[rows, 2 * ll]
    end_label = np.where(ll > 0, last[rows, np.maximum(2 * ll - 1, 0)], -np.inf)
    log_lik = np.where(il > 0, np.logaddexp(end, end_label), np.where(ll == 0, 0.0, -np.inf))

    final = (states == 2 * ll[:, None]) | (states == 2 * ll[:, None] - 1)
    beta = np.full((T, N, K), -np.inf)
    after = np.full((N, K), -np.inf)
    for t in range(T - 1, -1, -1):
        rec = np.logaddexp(np.logaddexp(after, _shift(after, -1)), _shift(np.where(skip, after, -np.inf), -2))
        rec = rec + emit[t]
        start = np.where(final, emit[t], -np.inf)
        after = np.where((t == il - 1)[:, None], start, np.where((t < il - 1)[:, None], rec, -np.inf))
        beta[t] = after

    # posterior occupancy of state s at frame t: alpha and beta both contain the emission at t
    possible = np.isfinite(log_lik)
    inside = valid[None] & (np.arange(T)[:, None, None] < il[None, :, None]) & possible[None, :, None]
    # gamma_t(s) = exp(alpha + beta - emit - log p(l | x)), normalised frame by frame: every path is in exactly one
    # state at each frame, so log p(l | x) is the log-sum-exp over s at every t; taking each frame's own makes
    # each frame's posteriors sum to 1 however large the log-probabilities (and their rounding) are
    log_gamma = np.where(inside, alpha + beta - np.where(inside, emit, 0.0), -np.inf)
    peak = np.max(log_gamma, axis=2, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):  # frames outside the sequence: -inf - -inf, masked
        log_norm = peak + np.log(np.sum(np.exp(log_gamma - peak), axis=2, keepdims=True))
        gamma = np.exp(np.where(inside, log_gamma - log_norm, -np.inf))
    one_hot = (ext[:, :, None] == np.arange(C)).astype(np.float64)  # (N, K, C)
    grad = -np.einsum("tnk,nkc->tnc", gamma, one_hot)
    return -(log_lik + shift) + 0.0, grad + 0.0, ll


def ctc(
    labels: ArrayLike,
    log_probs: ArrayLike,
    input_lengths: ArrayLike,
    label_lengths: ArrayLike,
    *,
    blank: int = 0,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
):
    r"""Connectionist temporal classification loss: minus the log-probability of the label sequence.

    .. math::

        \ell_n = -\log \sum_{\pi \in \mathcal{B}^{-1}(l_n)} \prod_{t=1}^{T_n} p_{t,n}(\pi_t)
        = -\operatorname{logsumexp}_{\pi \in \mathcal{B}^{-1}(l_n)} \sum_{t=1}^{T_n}
          \log p_{t,n}(\pi_t)

    over the paths :math:`\pi` of length :math:`T_n` that collapse to the
    labels :math:`l_n` of sequence :math:`n`. Reductions follow PyTorch:

    .. math::

        L_\text{mean} = \frac1N \sum_{n=1}^{N} \frac{\ell_n}{\max(|l_n|, 1)}, \qquad
        L_\text{sum} = \sum_{n=1}^{N} \ell_n

    Parameters
    ----------
    labels : array_like of int, shape (N, S) or (sum(label_lengths),)
        Label sequences, padded to ``S`` columns (only the first
        ``label_lengths[n]`` entries of row ``n`` are read), or all
        sequences concatenated as PyTorch also accepts. Labels are classes
        in :math:`[0, C)` other than ``blank``.
    log_probs : array_like, shape (T, N, C)
        Per-frame log-probabilities, **time first** (PyTorch's layout),
        usually ``log_softmax`` outputs; every entry must be :math:`\le 0`
        (up to :data:`LOG_PROB_ATOL`).
    input_lengths : array_like of int, shape (N,)
        Frames :math:`T_n \le T` of each sequence; later frames are ignored.
    label_lengths : array_like of int, shape (N,)
        Labels :math:`|l_n|` of each sequence.
    blank : int, default 0
        The blank class, in :math:`[0, C)`.
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
        ``"mean"`` divides each :math:`\ell_n` by its label length and
        averages over the batch (PyTorch's default), ``"sum"`` adds the
        :math:`\ell_n`, ``"none"`` returns them, shape ``(N,)``. With
        weights, ``"mean"`` is :math:`\frac1N \sum_n w_n \ell_n / \max(|l_n|, 1)`
        and ``"weighted_mean"`` divides the same sum by :math:`\sum_n w_n`
        instead of :math:`N`.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; shape ``(N,)`` for ``"none"``.
        ``inf`` for a sequence that no path can produce.

    Raises
    ------
    TypeError
        If an input is not numeric or ``blank`` is not an integer.
    ValueError
        If the shapes do not fit together; an input is empty or holds
        NaN/inf; a length is not an integer in range
        (:math:`0 \le T_n \le T`, :math:`0 \le |l_n| \le S`); a label is not
        an integer class in :math:`[0, C)` or is the blank; a log-probability
        is positive; ``blank`` is outside :math:`[0, C)`; ``reduction`` is
        unknown.

    Notes
    -----
    *Feasibility.* A path needs one frame per label plus one blank between
    each pair of *equal* neighbours (``"aa"`` needs ``a - a``, 3 frames), so
    :math:`T_n \ge |l_n| + \#\{\text{repeats}\}`. Below that the sum is
    empty and :math:`\ell_n = \infty` (``-log 0``), never NaN; the mean is
    then ``inf`` too. PyTorch returns the same ``inf`` with
    ``zero_infinity=False`` (its default) and 0 with ``zero_infinity=True``.

    *Stability.* The forward (:math:`\alpha`) and backward (:math:`\beta`)
    recursions add probabilities with ``np.logaddexp``: a plain product of
    probabilities underflows after a few hundred frames.

    *Frameworks.* Arguments, layout and values are those of PyTorch's
    ``torch.nn.functional.ctc_loss(log_probs, targets, input_lengths,
    target_lengths, blank=0, reduction="mean")``, except the order: the
    labels come first here, like a target. PyTorch does not check that
    labels avoid the blank (it silently scores another sequence) or that
    ``log_probs`` are normalised; we reject blanks and positive entries but,
    like PyTorch, do not require each frame to sum to 1. Keras'
    ``keras.losses.CTC()(y_true, y_pred)`` takes logits ``(N, T, C)``,
    batch first, always uses class 0 as the blank and padding, every
    frame as input, and averages the :math:`\ell_n` without dividing by
    the label length: it equals ``ctc(..., reduction="sum") / N`` for
    full-length inputs and log-softmax inputs.

    References
    ----------
    A. Graves, S. Fernández, F. Gomez and J. Schmidhuber, "Connectionist
    Temporal Classification: Labelling Unsegmented Sequence Data with
    Recurrent Neural Networks", *ICML* (2006).

    Examples
    --------
    Two frames, classes ``{blank, a}``, each frame 50/50: the label ``"a"``
    has three paths (``a-``, ``-a``, ``aa``), each of probability 1/4.

    >>> lp = np.log(np.full((2, 1, 2), 0.5))  # (T, N, C)
    >>> round(float(ctc([[1]], lp, [2], [1])), 6), round(float(-np.log(3 / 4)), 6)
    (0.287682, 0.287682)
    >>> ctc([[1, 1]], lp, [2], [2])  # "aa" needs a blank between: 3 frames
    np.float64(inf)
    """
    loss, _, ll = _ctc("ctc", labels, log_probs, input_lengths, label_lengths, blank, reduction)
    if reduction in ("mean", "weighted_mean"):
        return reduce(loss / np.maximum(ll, 1), reduction, sample_weight, fn="ctc")
    return reduce(loss, reduction, sample_weight, fn="ctc")


def ctc_grad(
    labels: ArrayLike,
    log_probs: ArrayLike,
    input_lengths: ArrayLike,
    label_lengths: ArrayLike,
    *,
    blank: int = 0,
    sample_weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`ctc` with respect to ``log_probs``, taken as a free array.

    .. math::

        \frac{\partial \ell_n}{\partial \log p_{t,n}(c)} = -\gamma_{t,n}(c)
        = -\sum_{s:\, l'_s = c} \frac{\alpha_t(s)\, \beta_t(s)}{p_{t,n}(l'_s)\, P(l_n)}
        \qquad (t < T_n)

    the posterior probability that frame :math:`t` emits class :math:`c`,
    with a minus sign; 0 for frames :math:`t \ge T_n`. For ``"mean"``
    sequence :math:`n` is divided by :math:`N \max(|l_n|, 1)`. Each frame's
    :math:`\gamma` sums to 1 over the classes.

    Returns
    -------
    numpy.ndarray
        Shape ``(T, N, C)``, like ``log_probs``. Zero for a sequence whose
        loss is ``inf``: no change of the log-probabilities makes it
        feasible.

    Notes
    -----
    PyTorch's ``ctc_loss`` backward does **not** return this derivative. It
    assumes that ``log_probs`` came out of ``log_softmax`` and returns
    :math:`\exp(\log p) - \gamma`, the derivative with respect to the
    *logits*, hoping that the log-softmax backward will leave it unchanged
    (it does: the rows of both terms sum to 1). So if ``log_probs`` is a
    leaf tensor, ``log_probs.grad`` is :math:`p - \gamma`, not
    :math:`-\gamma`; through ``log_softmax(logits)`` both give
    ``logits.grad`` :math:`= p - \gamma`. For an infeasible sequence
    PyTorch's gradient holds NaN; ours is 0.

    Examples
    --------
    >>> lp = np.log(np.full((2, 1, 2), 0.5))
    >>> ctc_grad([[1]], lp, [2], [1], reduction="sum")[:, 0]  # P(frame emits a) = 2/3 at both frames
    array([[-0.33333333, -0.66666667],
           [-0.33333333, -0.66666667]])
    """
    _, grad, ll = _ctc("ctc_grad", labels, log_probs, input_lengths, label_lengths, blank, reduction)
    if sample_weight is None and reduction == "mean":
        return grad / (ll.size * np.maximum(ll, 1))[None, :, None]
    if reduction in ("mean", "weighted_mean"):
        grad = grad / np.maximum(ll, 1)[None, :, None]
    return reduce_grad(grad, reduction, ll.size, owned=True, sample_weight=sample_weight, fn="ctc_grad", shape=ll.shape,
                       axis=1)


register(LossRecord(
    name="ctc", family="sequence", task="sequence labelling (unsegmented)",
    formula=r"-\log \sum_{\pi \in \mathcal{B}^{-1}(l)} \prod_{t=1}^{T} p_t(\pi_t)",
    gradient=(
        r"\frac{\partial \ell}{\partial \log p_t(k)} = -\gamma_t(k),\quad \gamma_t(k) = \text{the posterior "
        r"probability that a path of } \mathcal{B}^{-1}(l) \text{ emits } k \text{ at frame } t"
    ),
    convex=False, differentiable=True, robust=False,
    fn=ctc, grad=ctc_grad, inputs="ctc", chapter=_CHAPTER,
    reference="graves2006",
    torch="torch.nn.functional.ctc_loss(log_probs, labels.long(), input_lengths.long(), label_lengths.long())",
    params={"blank": 0},
    torch_notes=(
        "Labels second, `ctc_loss(log_probs, targets, input_lengths, target_lengths)`; its `'mean'` "
        r"divides each loss by its label length, as here. Its backward returns $p - \gamma$, the "
        "gradient for the logits, not for `log_probs`."
    ),
    keras_notes=(
        "`CTC` takes logits batch first, $(N, T, C)$, uses every frame and class 0 as the blank, and "
        "averages without dividing by the label lengths."
    ),
))
