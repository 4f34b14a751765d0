"""Tests of lossfns.decision: cost matrices, thresholds, recall at a precision, bootstrap intervals.

References come from scikit-learn (confusion matrices, precision-recall curves), from brute
force over thresholds, or from hand computations written out in the tests.
"""
import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_auc_score

import lossfns as lf
from lossfns import decision

C = np.array([[0.0, 60.0], [1000.0, 760.0]])  # the churn chapter's matrix: offer 60, value 1000, 30% success


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(float)
    p = np.clip(0.3 + 0.25 * (2 * y - 1) + rng.normal(0, 0.2, n), 0, 1).round(2)  # ties on purpose
    return y, p


def test_lazy_import():
    assert lf.decision is decision


def test_bayes_threshold_by_hand():
    # contact iff p * 760 + (1 - p) * 60 < p * 1000  <=>  p > 60 / (60 + 240) = 0.2
    assert decision.bayes_threshold(C) == pytest.approx(0.2)
    assert decision.bayes_threshold([[0.0, 1.0], [1.0, 0.0]]) == pytest.approx(0.5)
    # adding a constant to a row (a cost that does not depend on the decision) changes nothing
    assert decision.bayes_threshold(C + np.array([[5.0], [-7.0]])) == pytest.approx(0.2)


@pytest.mark.parametrize("threshold", [-np.inf, 0.0, 0.2, 0.35, 0.5, 0.9, np.inf])
def test_expected_cost_matches_the_confusion_matrix(threshold):
    y, p = _data()
    (tn, fp), (fn, tp) = confusion_matrix(y, p >= threshold, labels=[0, 1])
    total = tn * C[0, 0] + fp * C[0, 1] + fn * C[1, 0] + tp * C[1, 1]
    assert decision.expected_cost(y, p, cost=C, threshold=threshold, reduction="sum") == pytest.approx(total)
    assert decision.expected_cost(y, p, cost=C, threshold=threshold) == pytest.approx(total / y.size)
    per = decision.expected_cost(y, p, cost=C, threshold=threshold, reduction="none")
    assert per.shape == y.shape and set(np.unique(per)) <= set(C.ravel())


def test_cost_curve_equals_brute_force_over_every_threshold():
    y, p = _data()
    curve = decision.cost_curve(y, p, cost=C)
    assert np.all(np.diff(curve.thresholds) > 0) and curve.thresholds[-1] == np.inf
    np.testing.assert_array_equal(curve.thresholds[:-1], np.unique(p))
    brute = [np.mean(np.where(y == 1, np.where(p >= t, C[1, 1], C[1, 0]), np.where(p >= t, C[0, 1], C[0, 0])))
             for t in curve.thresholds]
    np.testing.assert_allclose(curve.costs, brute, rtol=1e-12)
    # acting on everyone and on no one, by hand
    assert curve.costs[0] == pytest.approx(np.mean(np.where(y == 1, C[1, 1], C[0, 1])))
    assert curve.costs[-1] == pytest.approx(np.mean(y) * C[1, 0])


def test_best_threshold_minimises_the_cost_on_a_fine_grid():
    y, p = _data(seed=3)
    t = decision.best_threshold(y, p, cost=C)
    grid = np.linspace(-0.01, 1.01, 2000)
    grid_costs = [decision.expected_cost(y, p, cost=C, threshold=g) for g in grid]
    assert decision.expected_cost(y, p, cost=C, threshold=t) == pytest.approx(min(grid_costs))
    assert t in set(p.tolist())


def test_best_threshold_approaches_bayes_threshold_for_calibrated_probabilities():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(float)  # p is the true probability
    assert decision.best_threshold(y, p, cost=C) == pytest.approx(decision.bayes_threshold(C), abs=0.02)


def test_best_threshold_edge_cases():
    # nobody is worth acting on: inf; everyone is: the smallest score
    assert decision.best_threshold([0, 0, 0], [0.2, 0.5, 0.9], cost=C) == np.inf
    assert decision.best_threshold([1, 1], [0.2, 0.5], cost=C) == 0.2


@pytest.mark.parametrize("min_precision", [0.3, 0.5, 0.6, 0.75, 0.9, 1.0])
def test_recall_at_precision_matches_scikit_learn(min_precision):
    y, p = _data(seed=5)
    precision, recall, thresholds = precision_recall_curve(y, p)
    ok = precision[:-1] >= min_precision  # the last point (recall 0) has no threshold
    expected = recall[:-1][ok].max() if ok.any() else 0.0
    got, t = decision.recall_at_precision(y, p, min_precision=min_precision)
    assert got == pytest.approx(expected)
    if ok.any():
        acted = p >= t
        assert y[acted].mean() >= min_precision and y[acted].sum() / y.sum() == pytest.approx(got)
    else:
        assert t == np.inf


def test_recall_at_precision_unreachable_and_perfect():
    assert decision.recall_at_precision([1, 0], [0.1, 0.9], min_precision=0.9) == (0.0, np.inf)
    assert decision.recall_at_precision([0, 1, 1], [0.1, 0.8, 0.9], min_precision=1.0) == (1.0, 0.8)


def test_bootstrap_ci_of_a_mean_agrees_with_normal_theory():
    x = np.random.default_rng(2).exponential(size=2000)
    ci = decision.bootstrap_ci(np.mean, x, n_boot=4000, seed=0)
    se = x.std() / np.sqrt(x.size)
    assert ci.estimate == pytest.approx(x.mean())
    assert ci.low == pytest.approx(x.mean() - 1.96 * se, abs=0.15 * se)
    assert ci.high == pytest.approx(x.mean() + 1.96 * se, abs=0.15 * se)
    narrow = decision.bootstrap_ci(np.mean, x, n_boot=4000, level=0.5, seed=0)
    assert ci.low < narrow.low < narrow.high < ci.high
    assert narrow.high - narrow.low == pytest.approx(2 * 0.674 * se, rel=0.1)


def test_bootstrap_ci_keeps_pairs_together_and_is_seeded():
    y, p = _data(n=600, seed=4)
    a = decision.bootstrap_ci(roc_auc_score, y, p, n_boot=200, seed=7)
    b = decision.bootstrap_ci(roc_auc_score, y, p, n_boot=200, seed=7)
    assert a == b and a.low < a.estimate < a.high
    assert a.estimate == pytest.approx(roc_auc_score(y, p))
    assert decision.bootstrap_ci(roc_auc_score, y, p, n_boot=200, seed=8) != a
    # if the indices were drawn separately per array, labels and scores would be shuffled: AUC ~ 0.5
    assert a.low > 0.8
    # a constant statistic has a zero-width interval
    assert decision.bootstrap_ci(lambda v: 3.0, y, n_boot=10) == (3.0, 3.0, 3.0)


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda: decision.bayes_threshold([[0, 1], [0, 1]]), ValueError, r"FN > TP"),
    (lambda: decision.bayes_threshold([[1, 0], [5, 0]]), ValueError, r"FP > TN"),
    (lambda: decision.bayes_threshold([0, 1, 4, 0]), ValueError, r"2x2 matrix"),
    (lambda: decision.expected_cost([0, 2], [0.1, 0.2], cost=C), ValueError, r"labels in \{0, 1\}"),
    (lambda: decision.expected_cost([0, 1], [0.1], cost=C), ValueError, r"p has shape \(1,\)"),
    (lambda: decision.expected_cost([0, 1], [0.1, 0.2], cost=C, threshold=np.nan), ValueError, "threshold"),
    (lambda: decision.expected_cost([0, 1], [0.1, 0.2], cost=C, reduction="max"), ValueError, "reduction"),
    (lambda: decision.expected_cost([[0, 1]], [[0.1, 0.2]], cost=C), ValueError, "one-dimensional"),
    (lambda: decision.expected_cost(["a"], [0.1], cost=C), TypeError, "numeric"),
    (lambda: decision.recall_at_precision([0, 0], [0.1, 0.2], min_precision=0.5), ValueError, "no positive"),
    (lambda: decision.recall_at_precision([0, 1], [0.1, 0.2], min_precision=0.0), ValueError, "min_precision"),
    (lambda: decision.bootstrap_ci(np.mean), ValueError, "at least one array"),
    (lambda: decision.bootstrap_ci(np.mean, [1.0, 2.0], [1.0]), ValueError, "same, non-zero"),
    (lambda: decision.bootstrap_ci(np.mean, [1.0, 2.0], n_boot=0), ValueError, "n_boot"),
    (lambda: decision.bootstrap_ci(np.mean, [1.0, 2.0], level=1.0), ValueError, "level"),
])
def test_bad_input_raises_with_a_clear_message(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_inputs_are_not_modified():
    y, p = _data()
    y0, p0, c0 = y.copy(), p.copy(), C.copy()
    decision.cost_curve(y, p, cost=C)
    decision.expected_cost(y, p, cost=C, threshold=0.3)
    decision.recall_at_precision(y, p, min_precision=0.5)
    decision.bootstrap_ci(np.mean, p, n_boot=5)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(C, c0)
