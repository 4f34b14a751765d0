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


#: Rows whose softened logits differ by less than this from the teacher's (``max |w| / T`` with ``w`` the gap
#: ``s - t`` centred under the teacher) use the small-gap form below: the direct sum ``p (log p - log q)``
#: adds terms of size ``u`` to a total of size ``u^2`` and keeps only about ``2e-16 / u^2`` of it relative.
SMALL_GAP = 1.0

_TAYLOR = 1.0 / np.array([float(np.prod(np.arange(1, k + 1))) for k in range(2, 16)])  # 1/2!, 1/3!, ..., 1/15!


def _psi(v: np.ndarray) -> np.ndarray:
    r""":math:`(e^v - 1 - v)/v^2`, accurate for every :math:`|v| \le 1` (Taylor series below 0.1)."""
    small = np.abs(v) < 0.1
    vs = np.where(small, v, 0.0)
    taylor = np.polynomial.polynomial.polyval(vs, _TAYLOR)
    vb = np.where(small, 1.0, v)
    return np.where(small, taylor, (np.expm1(vb) - vb) / (vb * vb))


def _expm1_over(v: np.ndarray) -> np.ndarray:
    r""":math:`(e^v - 1)/v`, 1 at 0, accurate also for subnormal :math:`v`."""
    small = np.abs(v) < 1e-5
    vb = np.where(small, 1.0, v)
    return np.where(small, 1.0 + v / 2 + v * v / 6, np.expm1(vb) / vb)


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
    small = np.where(np.isfinite(u), u, np.inf) < SMALL_GAP
    return p, log_p, q, log_q, temperature, np.where(small[..., None], w, 0.0), small


def _small_gap(p, w, temperature):
    r"""For :math:`v = w/T` with :math:`|v| < 1`: :math:`B = T^2 E_p[e^v - 1 - v] = E_p[w^2 \psi(v)]` and
    :math:`A = B/T^2`, so that :math:`E_p e^v = 1 + A` (up to the rounding of :math:`E_p w = 0`) and
    :math:`T^2\,\mathrm{KL} = T^2 \log(1 + A) = B \log(1 + A)/A`, with no cancellation and no overflow of
    :math:`T^2`."""
    v = w / temperature
    b = np.sum(p * w * w * _psi(v), axis=-1)
    a = b / temperature / temperature
    return v, a, b


def distillation(
    teacher_logits: ArrayLike,
    student_logits: ArrayLike,
    *,
    temperature: float = 2.0,
    sample_weight: ArrayLike | None = None,
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
    sample_weight : array_like, optional
        Weights :math:`w_i \ge 0`, shaped like the ``"none"`` output (rules in ``help(lossfns)``):
        ``"mean"`` is then :math:`\sum_i w_i \ell_i / n`, ``"weighted_mean"``
        :math:`\sum_i w_i \ell_i / \sum_i w_i`. Default: every weight 1.
    reduction : {"mean", "sum", "none", "weighted_mean"}, default "mean"
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
    :math:`T`, so a temperature of 1e-300 does not overflow. Where the
    softened logits differ by less than 1 (a student close to its teacher,
    or a large :math:`T`), the sum :math:`\sum p \log(p/q)` would cancel to
    the square of the gap; there the loss is computed as
    :math:`T^2 \log E_p[e^{v}]` with :math:`v = (w - E_p w)/T`, :math:`w = s - t`,
    through :math:`e^v - 1 - v` without cancellation, which stays within
    1e-15 of 100-digit arithmetic from :math:`T = 0.3` to :math:`10^{10}` and
    tends to :math:`\tfrac12 \operatorname{Var}_p(s - t)` (matching logits)
    as :math:`T \to \infty`. The loss is 0 when the student's logits equal
    the teacher's or differ by a constant per row.

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
    p, log_p, _, log_q, temperature, w, small = _distill(
        "distillation", teacher_logits, student_logits, temperature, reduction)
    with np.errstate(invalid="ignore", over="ignore"):
        terms = np.where(p > 0.0, p * (log_p - log_q), 0.0)  # 0 log 0 = 0, also against log q = -inf
        direct = temperature * (temperature * np.sum(terms, axis=-1))  # T (T KL): no overflow of T^2 alone
    _, a, b = _small_gap(p, w, temperature)
    ratio = np.where(a < 1e-8, 1.0 - a / 2, np.log1p(a) / np.where(a < 1e-8, 1.0, a))  # log(1 + a) / a
    return reduce(np.where(small, b * ratio, direct), reduction, sample_weight, fn="distillation")


def distillation_grad(
    teacher_logits: ArrayLike,
    student_logits: ArrayLike,
    *,
    temperature: float = 2.0,
    sample_weight: ArrayLike | None = None,
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
    p, _, q, _, temperature, w, small = _distill(
        "distillation_grad", teacher_logits, student_logits, temperature, reduction)
    n = int(np.prod(p.shape[:-1]))
    with np.errstate(invalid="ignore", over="ignore"):
        direct = temperature * (q - p)
    # q / p - 1 = (e^v - 1 - A) / (1 + A), so T (q - p) = p (w (e^v - 1)/v - B/T) / (1 + A)
    v, a, b = _small_gap(p, w, temperature)
    near = p * (w * _expm1_over(v) - (b / temperature)[..., None]) / (1.0 + a)[..., None]
    return reduce_grad(np.where(small[..., None], near, direct), reduction, n, owned=True, sample_weight=sample_weight,
                       fn="distillation_grad", shape=small.shape)


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
