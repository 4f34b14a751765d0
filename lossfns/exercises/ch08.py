"""Checkers for the exercises of chapter 8 (the customer-churn project).

The four exercises form a small project: price a campaign with a cost matrix,
tune its threshold, put an interval around the result, and train on the costs
directly. References come from :mod:`lossfns.decision` and
:mod:`lossfns.classification`, or are computed here by brute force (every
threshold; 100,000 bootstrap replicates).
"""
from __future__ import annotations

import numpy as np

from lossfns.classification import binary_cross_entropy
from lossfns.decision import cost_curve, expected_cost
from lossfns.exercises._core import Case, CaseFailed, Exercise, _as_number, expect_number, register

CHURN_COST = np.array([[0.0, 60.0], [1000.0, 760.0]])  # the chapter's matrix: offer 60, value 1000, 30% success


def _scores(n: int, seed: int, *, rate: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """Labels and probabilities that rank positives higher, with ties (rounded to 2 decimals)."""
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < rate).astype(np.float64)
    p = np.clip(0.3 + 0.2 * (2.0 * y - 1.0) + rng.normal(0.0, 0.2, size=n), 0.0, 1.0).round(2)
    return y, p


# --- 8.1: the cost of a campaign --------------------------------------------------------------------

def _judge_cost(got, args) -> None:
    y, p, threshold, cost = args
    expect_number(got, expected_cost(y, p, cost=cost, threshold=threshold), rtol=1e-9, atol=1e-9)


_Y1, _P1 = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 1.0]), np.array([0.1, 0.45, 0.3, 0.9, 0.7, 0.05])

register(Exercise(
    id="8.1",
    title="expected cost of a threshold",
    function="campaign_cost",
    params=("y", "p", "threshold", "cost"),
    cases=(
        Case("six customers, the churn costs", (_Y1, _P1, 0.2, CHURN_COST), _judge_cost),
        Case("scores equal to the threshold are contacted", (_Y1, _P1, 0.45, CHURN_COST), _judge_cost),
        Case("threshold above every score: no campaign", (_Y1, _P1, 1.5, CHURN_COST), _judge_cost),
        Case("threshold 0: contact everyone", (_Y1, _P1, 0.0, CHURN_COST), _judge_cost),
        Case("an asymmetric matrix with a gain (negative cost)",
             (_Y1, _P1, 0.5, np.array([[0.0, 5.0], [30.0, -10.0]])), _judge_cost),
        Case("300 customers", (*_scores(300, 1), 0.25, CHURN_COST), _judge_cost),
    ),
))


# --- 8.2: the threshold that minimises it -------------------------------------------------------------

def _judge_threshold(got, args) -> None:
    y, p, cost = args
    best = float(cost_curve(y, p, cost=cost).costs.min())  # brute force over every distinct score
    t = _as_number(got)  # a single real number; inf (contact no one) is allowed
    if np.isnan(t):
        raise CaseFailed("expected a threshold, got nan")
    reached = float(expected_cost(y, p, cost=cost, threshold=t))
    if not np.isclose(reached, best, rtol=1e-9, atol=1e-9):
        raise CaseFailed(f"expected a threshold with mean cost {best:.6g}, but t = {t:.6g} has mean cost "
                         f"{reached:.6g}")


register(Exercise(
    id="8.2",
    title="the cost-minimising threshold",
    function="cost_minimising_threshold",
    params=("y", "p", "cost"),
    cases=(
        Case("six customers", (_Y1, _P1, CHURN_COST), _judge_threshold),
        Case("400 customers with tied scores", (*_scores(400, 2), CHURN_COST), _judge_threshold),
        Case("a cheap offer: contact more", (*_scores(400, 3), np.array([[0.0, 10.0], [1000.0, 710.0]])),
             _judge_threshold),
        Case("nobody churns: contact no one", (np.zeros(5), np.array([0.1, 0.9, 1.0, 0.4, 0.4]), CHURN_COST),
             _judge_threshold),
        Case("everybody churns: contact everyone", (np.ones(4), np.array([0.0, 0.05, 0.9, 0.3]), CHURN_COST),
             _judge_threshold),
    ),
    question='Why do only the scores themselves, and one threshold above all of them, need to be tried?',
))


# --- 8.3: a bootstrap interval ------------------------------------------------------------------------

def _judge_interval(got, args) -> None:
    values, n_boot, level, seed = args
    if not isinstance(got, (tuple, list, np.ndarray)) or len(got) != 2:
        raise CaseFailed(f"expected a pair (low, high), got {type(got).__name__}")
    low, high = (_as_number(v) for v in got)
    ref_low, ref_high = _reference_interval(np.asarray(values, dtype=np.float64), level)
    tol = 0.03 * (ref_high - ref_low) + 1e-12  # Monte Carlo noise of 20,000 replicates: well below 1% of the width
    if not (abs(low - ref_low) <= tol and abs(high - ref_high) <= tol):
        raise CaseFailed(f"expected about ({ref_low:.4g}, {ref_high:.4g}) (within {tol:.2g}), "
                         f"got ({low:.4g}, {high:.4g})")


_REFERENCE_INTERVALS: dict = {}


def _reference_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile interval of the mean from 100,000 replicates (vectorised in chunks, cached per case)."""
    key = (values.tobytes(), level)
    if key not in _REFERENCE_INTERVALS:
        rng = np.random.default_rng(12345)
        means = np.concatenate([values[rng.integers(0, values.size, size=(10_000, values.size))].mean(axis=1)
                                for _ in range(10)])
        low, high = np.quantile(means, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
        _REFERENCE_INTERVALS[key] = (float(low), float(high))
    return _REFERENCE_INTERVALS[key]


_SKEWED = np.random.default_rng(4).exponential(50.0, size=80).round(1)

register(Exercise(
    id="8.3",
    title="a bootstrap interval for a mean",
    function="bootstrap_interval",
    params=("values", "n_boot", "level", "seed"),
    cases=(
        Case("savings per customer, 95%", (np.random.default_rng(3).normal(40.0, 120.0, size=500), 20_000,
                                           0.95, 0), _judge_interval),
        Case("a skewed sample of 80, 95%", (_SKEWED, 20_000, 0.95, 1), _judge_interval),
        Case("the same sample, 50%", (_SKEWED, 20_000, 0.5, 2), _judge_interval),
        Case("0/1 outcomes (a rate), 90%", ((np.arange(200) % 4 == 0).astype(float), 20_000, 0.9, 3),
             _judge_interval),
        Case("a constant: zero width", (np.full(30, 7.0), 2_000, 0.95, 4), _judge_interval),
    ),
))


# --- 8.4: training on the costs ---------------------------------------------------------------------

def _judge_weighted_bce(got, args) -> None:
    y, z, cost = args
    cost = np.asarray(cost, dtype=np.float64)
    benefit, waste = cost[1, 0] - cost[1, 1], cost[0, 1] - cost[0, 0]
    expected = waste * binary_cross_entropy(y, z, from_logits=True, pos_weight=benefit / waste)
    value = expect_number(got, expected, rtol=1e-9, atol=1e-9)
    if not np.isfinite(value):
        raise CaseFailed("the loss is not finite")


register(Exercise(
    id="8.4",
    title="a cost-weighted cross-entropy",
    function="cost_weighted_bce",
    params=("y", "z", "cost"),
    cases=(
        Case("symmetric costs: plain cross-entropy", (np.array([0.0, 1.0, 1.0]), np.array([-1.0, 0.5, 2.0]),
                                                      np.array([[0.0, 1.0], [1.0, 0.0]])), _judge_weighted_bce),
        Case("the churn matrix", (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.3, -0.2, -1.5, 2.0]), CHURN_COST),
             _judge_weighted_bce),
        Case("only the differences of a row matter", (np.array([1.0, 0.0]), np.array([0.3, -0.2]),
                                                      CHURN_COST + np.array([[100.0], [-50.0]])),
             _judge_weighted_bce),
        Case("huge logits (exp overflows)", (np.array([1.0, 0.0, 1.0, 0.0]), np.array([1e4, -1e4, -800.0, 800.0]),
                                             CHURN_COST), _judge_weighted_bce),
        Case("all customers churn", (np.ones(3), np.array([-2.0, 0.0, 2.0]), CHURN_COST), _judge_weighted_bce),
    ),
))
