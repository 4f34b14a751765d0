r"""Knowledge distillation: a student matches a teacher's temperature-softened class probabilities."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import check_scalar, prepare_rows, reduce, reduce_grad
from lossfns.classification import _softmax_parts
from lossfns.registry import LossRecord, register


def _log_softmax(z: np.ndarray):
    """Row-wise ``log softmax(z)`` and ``softmax(z)``, accurate for any finite logits.

    Logits that differ by more than the float range (``[1e308, -1e308]``)
    give a log-probability of ``-inf`` for the far class, whose probability
    is exactly 0.
    """
    top, shifted, e, rest = _softmax_parts(z)
    log_p = shifted - np.log1p(rest)
    np.put_along_axis(e, top, 1.0, axis=-1)
    return log_p, e / (1.0 + rest)


#: Rows whose softened logits differ by less than this (``max |w| / T``, ``w`` the centred gap ``s - t``) use
#: the cumulant series below, where the direct formula would cancel: its error is ``1e-16 / u^2`` relative,
#: the series' ``u^3 / 60`` (loss) and ``u^3`` (gradient), which meet near these thresholds.
SERIES_LOSS = 1e-3
SERIES_GRAD = 1e-5


def _distill(fn, teacher_logits, student_logits, temperature, reduction):
    t, s = prepare_rows(fn, teacher_logits, student_logits, reduction, names=("teacher_logits", "student_logits"))
    temperature = check_scalar(fn, "temperature", temperature, low=0.0, low_open=True)
    with np.errstate(over="ignore", invalid="ignore"):
        # divide after shifting by the row maximum, so that t / T cannot overflow where t - max t does not
        log_p, p = _log_softmax((t - np.max(t, axis=-1, keepdims=True)) / temperature)
        log_q, q = _log_softmax((s - np.max(s, axis=-1, keepdims=True)) / temperature)
        d = s - t
        w = d - np.sum(p * np.where(np.isfinite(d), d, 0.0), axis=-1, keepdims=True)  # centred under p
        u = np.max(np.abs(w), axis=-1) / temperature
    return p, log_p, q, log_q, temperature, w, np.where(np.isfinite(u), u, np.inf)


def _moments(p, w):
    """Central moments 2, 3 and 4 of the gap ``w`` (already centred) under ``p``, per row."""
    w2 = w * w
    return np.sum(p * w2, -1), np.sum(p * w2 * w, -1), np.sum(p * w2 * w2, -1)


def distillation(
    teacher_logits: ArrayLike,
    student_logits: ArrayLike,
    *,
    temperature: float = 2.0,
    reduction: str = "mean",
):
    r"""Distillation loss (Hinton et al.): :math:`T^2` times the KL divergence of the softened distributions.

    .. math::

        \ell_i = T^2 \sum_j p_j \log\frac{p_j}{q_j},
        \qquad p = \operatorname{softmax}(t_i / T),\quad q = \operatorname{softmax}(s_i / T)

    A temperature :math:`T > 1` flattens the teacher's distribution, so the
    student also learns how the teacher ranks the wrong classes (which
    digit a 3 resembles). The factor :math:`T^2` undoes the
    :math:`1/T^2` by which softening shrinks the gradient (:math:`\partial
    \ell / \partial s = T(q - p)` and :math:`q - p \approx (s - t)/T`), so
    changing :math:`T` does not change how much the term weighs against a
    hard-label cross-entropy added to it.

    Parameters
    ----------
    teacher_logits : array_like, shape (..., k)
        The teacher's logits :math:`t` (the target), classes on the last axis.
    student_logits : array_like, same shape as ``teacher_logits``
        The student's logits :math:`s`.
    temperature : float, default 2.0
        :math:`T > 0`; :math:`T = 1` is the plain KL divergence of the two
        softmax distributions.
    reduction : {"mean", "sum", "none"}, default "mean"
        ``"mean"`` averages over the rows (PyTorch's ``"batchmean"``),
        ``"sum"`` adds them, ``"none"`` returns one loss per row, shape (...,).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``; an array of the input's shape
        without the class axis for ``"none"``.

    Raises
    ------
    TypeError
        If an input is not numeric.
    ValueError
        If the shapes differ, an input is a scalar, is empty or holds NaN/inf,
        ``reduction`` is unknown or ``temperature <= 0``.

    Notes
    -----
    Neither framework has the loss under this name. In PyTorch it is
    ``T**2 * F.kl_div(F.log_softmax(s / T, -1), F.log_softmax(t / T, -1),
    log_target=True, reduction="batchmean")`` (tests/test_distillation.py
    compares values and autograd gradients); note ``"batchmean"``: the
    default ``"mean"`` of ``kl_div`` also divides by the number of classes.
    The logits are shifted by their row maximum before the division by
    :math:`T`, so a temperature of 1e-300 does not overflow, and the KL
    divergence is summed from the log-probabilities, so it is 0 when the
    student's logits equal the teacher's (or differ by a constant per row).

    References
    ----------
    G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a Neural
    Network", NIPS Deep Learning Workshop, arXiv:1503.02531 (2015).

    Examples
    --------
    >>> distillation([[2.0, 0.0]], [[2.0, 0.0]])  # the student agrees: 0
    np.float64(0.0)
    >>> float(distillation([[2.0, 0.0]], [[0.0, 0.0]], temperature=1.0).round(4))
    0.3278
    """
    p, log_p, _, log_q, temperature, w, u = _distill(
        "distillation", teacher_logits, student_logits, temperature, reduction)
    with np.errstate(invalid="ignore", over="ignore"):
        terms = np.where(p > 0.0, p * (log_p - log_q), 0.0)  # 0 log 0 = 0, also against log q = -inf
        direct = temperature * (temperature * np.sum(terms, axis=-1))  # T (T KL): no overflow of T^2 alone
        # T^2 (k2/2 + k3/6 + k4/24) for the gap u = (s - t)/T, whose cumulants are those of w over powers of T
        m2, m3, m4 = _moments(p, np.where(u[..., None] < SERIES_LOSS, w, 0.0))
        series = m2 / 2 + m3 / (6 * temperature) + (m4 - 3 * m2 * m2) / (24 * temperature * temperature)
    return reduce(np.where(u < SERIES_LOSS, series, direct), reduction)


def distillation_grad(
    teacher_logits: ArrayLike,
    student_logits: ArrayLike,
    *,
    temperature: float = 2.0,
    reduction: str = "mean",
) -> np.ndarray:
    r"""Derivative of :func:`distillation` with respect to ``student_logits``: :math:`T\,(q - p)`.

    Divided by the number of rows for ``"mean"``. Only the student is
    trained; the teacher's logits are a target.

    Examples
    --------
    >>> distillation_grad([[2.0, 0.0]], [[0.0, 0.0]], temperature=1.0).round(4)
    array([[-0.3808,  0.3808]])
    """
    p, _, q, _, temperature, w, u = _distill(
        "distillation_grad", teacher_logits, student_logits, temperature, reduction)
    n = int(np.prod(p.shape[:-1]))
    with np.errstate(invalid="ignore", over="ignore"):
        direct = temperature * (q - p)
        # q / p - 1 = e^v / E e^v - 1 for the centred gap v = w / T, to third order
        small = np.where(u[..., None] < SERIES_GRAD, w, 0.0)
        m2, m3, _ = _moments(p, small)
        m2, m3 = m2[..., None], m3[..., None]
        series = p * (small + (small * small - m2) / (2 * temperature)
                      + (small**3 - m3 - 3 * small * m2) / (6 * temperature * temperature))
    return reduce_grad(np.where(u[..., None] < SERIES_GRAD, series, direct), reduction, n, owned=True)


register(LossRecord(
    name="distillation", family="distillation", task="knowledge distillation (teacher to student)",
    formula=r"T^2 \sum_j p_j \log\frac{p_j}{q_j},\quad p = \operatorname{softmax}(t/T),\ "
            r"q = \operatorname{softmax}(s/T)",
    gradient=r"\frac{\partial \ell}{\partial s_j} = T\,(q_j - p_j)",
    convex=True, differentiable=True, robust=False,
    fn=distillation, grad=distillation_grad, inputs="teacher_student", chapter="09_modern_losses",
    reference="hinton2015", params={"temperature": 2.0},
    minimiser=r"logits $s$ whose softened softmax is the average of the teachers' softened distributions "
              r"(the teacher's own logits, up to a constant, for one teacher)",
))
