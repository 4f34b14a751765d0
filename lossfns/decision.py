r"""From scores to decisions: cost matrices, thresholds, recall at a precision, bootstrap intervals.

A classifier gives a score or a probability :math:`p`; a business acts on a
*decision*, "act" (e.g. send a retention offer) when :math:`p \ge t` and
"do nothing" otherwise. What the decision is worth depends on a **cost
matrix** :math:`C`, laid out like scikit-learn's confusion matrix: rows are
the true class, columns the decision,

.. math::

    C = \begin{pmatrix} c_{00} & c_{01} \\ c_{10} & c_{11} \end{pmatrix}
      = \begin{pmatrix} \text{TN} & \text{FP} \\ \text{FN} & \text{TP} \end{pmatrix},

so :math:`c_{01}` is the cost of acting on a negative (a false positive) and
:math:`c_{10}` the cost of ignoring a positive (a false negative). Costs may
be negative (a gain) and the diagonal need not be 0, but acting must cost
more than waiting on a negative and less on a positive,
:math:`c_{01} > c_{00}` and :math:`c_{10} > c_{11}`; otherwise one decision
is best for everybody and no threshold is needed.

Only NumPy is imported. Every function takes labels ``y_true`` in {0, 1}
first, as the losses do.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from lossfns._validation import (
    as_float_array,
    check_int,
    check_reduction,
    check_same_shape,
    check_scalar,
    check_seed,
    reduce,
    zero_one_labels,
)

__all__ = ["BootstrapCI", "CostCurve", "bayes_threshold", "best_threshold", "bootstrap_ci", "cost_curve",
           "expected_cost", "recall_at_precision"]


def _cost_matrix(fn: str, cost: ArrayLike) -> np.ndarray:
    """Validate a 2x2 cost matrix (rows: true class, columns: decision)."""
    c = as_float_array(cost, fn=fn, name="cost")
    if c.shape != (2, 2):
        raise ValueError(f"{fn}: cost must be a 2x2 matrix [[TN, FP], [FN, TP]], got shape {c.shape}")
    if not (c[0, 1] > c[0, 0] and c[1, 0] > c[1, 1]):
        raise ValueError(
            f"{fn}: cost must make acting dearer than waiting on a negative (FP > TN) and cheaper on a "
            f"positive (FN > TP), got [[TN, FP], [FN, TP]] = {c.tolist()}"
        )
    return c


def _labels_and_scores(fn: str, y_true: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = zero_one_labels(fn, "y_true", as_float_array(y_true, fn=fn, name="y_true"))
    s = as_float_array(p, fn=fn, name="p")
    check_same_shape(fn, y, s, "y_true", "p")
    if y.ndim != 1:
        raise ValueError(f"{fn}: y_true and p must be one-dimensional, got shape {y.shape}")
    return y, s


def _threshold(fn: str, threshold) -> float:
    return check_scalar(fn, "threshold", threshold, low=-np.inf, high=np.inf)


def bayes_threshold(cost: ArrayLike) -> float:
    r"""The probability above which acting has the lower expected cost.

    A sample with probability :math:`p` of being positive costs
    :math:`p\,c_{11} + (1 - p)\,c_{01}` in expectation if we act and
    :math:`p\,c_{10} + (1 - p)\,c_{00}` if we do not. Acting is cheaper when
    :math:`p > p^*`, with

    .. math:: p^* = \frac{c_{01} - c_{00}}{(c_{01} - c_{00}) + (c_{10} - c_{11})}.

    This is the optimal threshold for *calibrated* probabilities (Elkan, 2001).

    Parameters
    ----------
    cost : array_like, shape (2, 2)
        ``[[TN, FP], [FN, TP]]``: rows true class, columns decision.

    Returns
    -------
    float
        :math:`p^*` in (0, 1).

    Raises
    ------
    ValueError
        If ``cost`` is not 2x2, not finite, or does not satisfy
        ``FP > TN`` and ``FN > TP``.

    References
    ----------
    C. Elkan, "The foundations of cost-sensitive learning", *IJCAI* (2001).

    Examples
    --------
    >>> bayes_threshold([[0.0, 1.0], [4.0, 0.0]])  # a miss costs 4 false alarms
    0.2
    """
    c = _cost_matrix("bayes_threshold", cost)
    c = c / np.max(np.abs(c))  # the threshold is scale-free; costs of 1e308 would overflow the sum below
    waste, benefit = c[0, 1] - c[0, 0], c[1, 0] - c[1, 1]
    return float(waste / (waste + benefit))


def expected_cost(
    y_true: ArrayLike, p: ArrayLike, *, cost: ArrayLike, threshold: float = 0.5, reduction: str = "mean"
):
    r"""Cost of acting on every sample whose score reaches ``threshold``.

    .. math:: \text{cost}_i = C[y_i,\ \mathbb 1(p_i \ge t)], \qquad
              L = \frac1n \sum_i \text{cost}_i

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Labels in {0, 1}.
    p : array_like, shape (n,)
        Scores or probabilities; only their comparison with ``threshold`` matters.
    cost : array_like, shape (2, 2)
        ``[[TN, FP], [FN, TP]]``.
    threshold : float, default 0.5
        Act when ``p >= threshold``; ``inf`` acts on no one, ``-inf`` on everyone.
    reduction : {"mean", "sum", "none"}, default "mean"
        Mean cost per sample, total cost, or the cost of each sample.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        A float for ``"mean"`` and ``"sum"``, shape ``(n,)`` for ``"none"``.

    Raises
    ------
    ValueError
        If the labels are not 0/1, the shapes differ, ``cost`` is invalid
        (see :func:`bayes_threshold`), ``threshold`` is NaN or ``reduction``
        is unknown.

    Examples
    --------
    >>> C = [[0.0, 1.0], [4.0, 0.0]]
    >>> float(expected_cost([0, 0, 1, 1], [0.1, 0.6, 0.3, 0.9], cost=C))  # one FP, one FN
    1.25
    >>> expected_cost([0, 1], [0.1, 0.3], cost=C, threshold=0.2, reduction="none").tolist()
    [0.0, 0.0]
    """
    fn = "expected_cost"
    check_reduction(fn, reduction)
    y, s = _labels_and_scores(fn, y_true, p)
    c = _cost_matrix(fn, cost)
    act = s >= _threshold(fn, threshold)
    return reduce(c[y.astype(np.int64), act.astype(np.int64)], reduction)


def _cumulative_counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct scores in decreasing order and the true/false positives when acting on ``p >= score``."""
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    last_of_each = np.r_[np.flatnonzero(np.diff(s_sorted)), s_sorted.size - 1]  # ties act together
    tp = np.cumsum(y_sorted)[last_of_each]
    fp = (last_of_each + 1) - tp
    return s_sorted[last_of_each], tp, fp


class CostCurve(NamedTuple):
    """Mean cost for every distinct threshold, returned by :func:`cost_curve`."""

    thresholds: np.ndarray
    """Increasing: the distinct scores, then ``inf`` (act on no one)."""
    costs: np.ndarray
    """Mean cost per sample when acting on ``p >= threshold``."""


def cost_curve(y_true: ArrayLike, p: ArrayLike, *, cost: ArrayLike) -> CostCurve:
    r"""Mean cost of :func:`expected_cost` at every threshold that changes a decision.

    Only the distinct scores matter: between two of them the decisions, and
    so the cost, stay the same. One sort gives all of them, :math:`O(n \log n)`.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Labels in {0, 1}.
    p : array_like, shape (n,)
        Scores or probabilities.
    cost : array_like, shape (2, 2)
        ``[[TN, FP], [FN, TP]]``.

    Returns
    -------
    CostCurve
        ``(thresholds, costs)``; ``thresholds[0]`` is the smallest score
        (act on everyone), ``thresholds[-1]`` is ``inf`` (act on no one).

    Examples
    --------
    >>> curve = cost_curve([0, 0, 1, 1], [0.1, 0.6, 0.3, 0.9], cost=[[0.0, 1.0], [4.0, 0.0]])
    >>> curve.thresholds.tolist(), curve.costs.tolist()
    ([0.1, 0.3, 0.6, 0.9, inf], [0.5, 0.25, 1.25, 1.0, 2.0])
    """
    fn = "cost_curve"
    y, s = _labels_and_scores(fn, y_true, p)
    c = _cost_matrix(fn, cost)
    thresholds, tp, fp = _cumulative_counts(y, s)
    thresholds, tp, fp = np.r_[np.inf, thresholds], np.r_[0.0, tp], np.r_[0.0, fp]
    n_pos = y.sum()
    fn_, tn = n_pos - tp, (y.size - n_pos) - fp
    total = tn * c[0, 0] + fp * c[0, 1] + fn_ * c[1, 0] + tp * c[1, 1]
    return CostCurve(thresholds[::-1], total[::-1] / y.size)


def best_threshold(y_true: ArrayLike, p: ArrayLike, *, cost: ArrayLike) -> float:
    """The threshold with the lowest mean cost on ``(y_true, p)``, e.g. on a validation set.

    Among thresholds with the same (lowest) cost the smallest is returned;
    it is one of the scores, or ``inf`` if acting on no one is best.

    Parameters
    ----------
    y_true, p, cost
        As in :func:`cost_curve`.

    Returns
    -------
    float

    Notes
    -----
    Tuned on the data it is evaluated on, the threshold flatters the cost:
    choose it on a validation set and report the cost on a test set. With
    calibrated probabilities and enough data it approaches
    :func:`bayes_threshold`.

    Examples
    --------
    >>> best_threshold([0, 0, 1, 1], [0.1, 0.6, 0.3, 0.9], cost=[[0.0, 1.0], [4.0, 0.0]])
    0.3
    """
    curve = cost_curve(y_true, p, cost=cost)
    return float(curve.thresholds[int(np.argmin(curve.costs))])


def recall_at_precision(y_true: ArrayLike, p: ArrayLike, *, min_precision: float) -> tuple[float, float]:
    """The largest recall among thresholds whose precision is at least ``min_precision``.

    Answers "if at least 60% of the customers we contact must really be about
    to churn, what fraction of the churners can we reach?".

    Parameters
    ----------
    y_true : array_like, shape (n,)
        Labels in {0, 1}, at least one 1.
    p : array_like, shape (n,)
        Scores or probabilities.
    min_precision : float in (0, 1]
        Required precision TP / (TP + FP).

    Returns
    -------
    recall : float
        TP / (TP + FN) at the best admissible threshold; 0.0 if no threshold
        reaches the precision.
    threshold : float
        Act on ``p >= threshold``; ``inf`` if no threshold qualifies.

    Raises
    ------
    ValueError
        If ``y_true`` has no positive, or ``min_precision`` is outside (0, 1].

    Examples
    --------
    >>> recall_at_precision([0, 1, 1, 0, 1], [0.1, 0.9, 0.8, 0.7, 0.2], min_precision=0.8)
    (0.6666666666666666, 0.8)
    """
    fn = "recall_at_precision"
    y, s = _labels_and_scores(fn, y_true, p)
    min_precision = check_scalar(fn, "min_precision", min_precision, low=0.0, high=1.0, low_open=True)
    if y.sum() == 0:
        raise ValueError(f"{fn}: y_true has no positive label, so recall is undefined")
    thresholds, tp, fp = _cumulative_counts(y, s)
    ok = tp / (tp + fp) >= min_precision
    if not ok.any():
        return 0.0, float("inf")
    best = int(np.argmax(np.where(ok, tp, -1.0)))  # first (highest) threshold with the largest recall
    return float(tp[best] / y.sum()), float(thresholds[best])


class BootstrapCI(NamedTuple):
    """A point estimate with a percentile bootstrap interval, returned by :func:`bootstrap_ci`."""

    estimate: float
    """The statistic on the full sample."""
    low: float
    """Lower end: the ``(1 - level) / 2`` quantile of the bootstrap replicates."""
    high: float
    """Upper end: the ``(1 + level) / 2`` quantile of the bootstrap replicates."""


def bootstrap_ci(
    statistic: Callable[..., float], *arrays: ArrayLike, n_boot: int = 1000, level: float = 0.95, seed: int = 0
) -> BootstrapCI:
    r"""Percentile bootstrap confidence interval of ``statistic(*arrays)``.

    Each replicate draws :math:`n` row indices with replacement (the same
    indices for every array, so labels stay with their scores) and
    evaluates the statistic on the resampled rows; the interval is formed by
    the :math:`\frac{1-\text{level}}{2}` and :math:`\frac{1+\text{level}}{2}`
    quantiles of the replicates (Efron and Tibshirani, 1993).

    Parameters
    ----------
    statistic : callable
        ``statistic(*arrays) -> float``, e.g. ``sklearn.metrics.roc_auc_score``.
    *arrays : array_like
        One or more arrays with the same length along the first axis.
    n_boot : int, default 1000
        Number of bootstrap replicates, at least 1.
    level : float, default 0.95
        Coverage of the interval, in (0, 1).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`: same seed, same interval.

    Returns
    -------
    BootstrapCI
        ``(estimate, low, high)``.

    Raises
    ------
    ValueError
        If no array is given, the lengths differ, or ``n_boot`` or
        ``level`` is out of range.

    Notes
    -----
    The interval measures the uncertainty due to *which* test samples we
    happened to draw, not the variation between training runs. A replicate
    may contain one class only if the sample is tiny or very imbalanced;
    statistics such as ROC-AUC then fail, and the error is passed on.

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*,
    Chapman & Hall (1993).

    Examples
    --------
    >>> ci = bootstrap_ci(np.mean, np.arange(100.0), n_boot=2000, seed=1)
    >>> round(ci.estimate, 1), bool(ci.low < 49.5 < ci.high), bool(40 < ci.low and ci.high < 60)
    (49.5, True, True)
    """
    fn = "bootstrap_ci"
    if not arrays:
        raise ValueError(f"{fn}: at least one array is required")
    n_boot = check_int(fn, "n_boot", n_boot, low=1)
    level = check_scalar(fn, "level", level, low=0.0, high=1.0, low_open=True, high_open=True)
    arrays = [np.asarray(a) for a in arrays]
    lengths = [len(a) if a.ndim else 0 for a in arrays]
    if len(set(lengths)) != 1 or lengths[0] == 0:
        raise ValueError(f"{fn}: arrays must have the same, non-zero number of samples, got {lengths}")
    n = lengths[0]
    rng = check_seed("bootstrap_ci", seed)
    replicates = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, size=n)
        replicates[b] = statistic(*(a[idx] for a in arrays))
    low, high = np.quantile(replicates, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return BootstrapCI(float(statistic(*arrays)), float(low), float(high))
