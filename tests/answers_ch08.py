"""Reference solutions and typical wrong answers for the exercises of chapter 8.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import numpy as np


def campaign_cost(y, p, threshold, cost):
    y, p, cost = np.asarray(y, dtype=int), np.asarray(p, dtype=float), np.asarray(cost, dtype=float)
    contact = (p >= threshold).astype(int)
    return float(np.mean(cost[y, contact]))


def cost_minimising_threshold(y, p, cost):
    candidates = np.r_[np.unique(p), np.inf]
    costs = [campaign_cost(y, p, t, cost) for t in candidates]
    return float(candidates[int(np.argmin(costs))])


def bootstrap_interval(values, n_boot, level, seed):
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    return tuple(np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))


def cost_weighted_bce(y, z, cost):
    y, z, cost = np.asarray(y, dtype=float), np.asarray(z, dtype=float), np.asarray(cost, dtype=float)
    a, b = cost[1, 0] - cost[1, 1], cost[0, 1] - cost[0, 0]
    return float(np.mean(a * y * np.logaddexp(0.0, -z) + b * (1 - y) * np.logaddexp(0.0, z)))


# --- wrong answers -------------------------------------------------------------------------------

def _cost_strict(y, p, threshold, cost):
    y, p, cost = np.asarray(y, dtype=int), np.asarray(p, dtype=float), np.asarray(cost, dtype=float)
    return float(np.mean(cost[y, (p > threshold).astype(int)]))


def _cost_transposed(y, p, threshold, cost):
    y, p, cost = np.asarray(y, dtype=int), np.asarray(p, dtype=float), np.asarray(cost, dtype=float)
    return float(np.mean(cost[(p >= threshold).astype(int), y]))


def _threshold_on_a_coarse_grid(y, p, cost):
    grid = np.linspace(0.0, 1.0, 11)
    return float(grid[int(np.argmin([campaign_cost(y, p, t, cost) for t in grid]))])


def _bayes_threshold_ignoring_the_data(y, p, cost):
    cost = np.asarray(cost, dtype=float)
    waste, benefit = cost[0, 1] - cost[0, 0], cost[1, 0] - cost[1, 1]
    return waste / (waste + benefit)


def _interval_without_replacement(values, n_boot, level, seed):
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = np.array([rng.permutation(values).mean() for _ in range(min(n_boot, 200))])
    return tuple(np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))


def _interval_quantiles_at_level(values, n_boot, level, seed):
    values = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), size=(n_boot, len(values)))].mean(axis=1)
    return tuple(np.quantile(means, [1 - level, level]))


def _interval_of_the_values(values, n_boot, level, seed):
    values = np.asarray(values, dtype=float)
    return tuple(np.quantile(values, [(1 - level) / 2, (1 + level) / 2]))


def _bce_raw_costs(y, z, cost):
    y, z, cost = np.asarray(y, dtype=float), np.asarray(z, dtype=float), np.asarray(cost, dtype=float)
    return float(np.mean(cost[1, 0] * y * np.logaddexp(0.0, -z) + cost[0, 1] * (1 - y) * np.logaddexp(0.0, z)))


def _bce_naive_sigmoid(y, z, cost):
    y, z, cost = np.asarray(y, dtype=float), np.asarray(z, dtype=float), np.asarray(cost, dtype=float)
    a, b = cost[1, 0] - cost[1, 1], cost[0, 1] - cost[0, 0]
    p = 1.0 / (1.0 + np.exp(-z))
    return float(np.mean(-(a * y * np.log(p) + b * (1 - y) * np.log(1 - p))))


def _bce_weights_swapped(y, z, cost):
    y, z, cost = np.asarray(y, dtype=float), np.asarray(z, dtype=float), np.asarray(cost, dtype=float)
    a, b = cost[1, 0] - cost[1, 1], cost[0, 1] - cost[0, 0]
    return float(np.mean(b * y * np.logaddexp(0.0, -z) + a * (1 - y) * np.logaddexp(0.0, z)))


REFERENCE = {"8.1": campaign_cost, "8.2": cost_minimising_threshold, "8.3": bootstrap_interval,
             "8.4": cost_weighted_bce}

WRONG = {
    "8.1": {
        "p > threshold (ties not contacted)": _cost_strict,
        "cost matrix read transposed": _cost_transposed,
        "total instead of mean": lambda y, p, t, c: len(y) * campaign_cost(y, p, t, c),
    },
    "8.2": {
        "coarse grid of 11 thresholds": _threshold_on_a_coarse_grid,
        "Bayes threshold, ignoring the data": _bayes_threshold_ignoring_the_data,
        "1 instead of inf when nobody is worth contacting": lambda y, p, c: min(cost_minimising_threshold(y, p, c),
                                                                                1.0),
    },
    "8.3": {
        "resampling without replacement": _interval_without_replacement,
        "quantiles at level, not (1 +- level) / 2": _interval_quantiles_at_level,
        "interval of the values, not of the mean": _interval_of_the_values,
    },
    "8.4": {
        "raw costs instead of differences": _bce_raw_costs,
        "naive log(sigmoid(z))": _bce_naive_sigmoid,
        "weights swapped": _bce_weights_swapped,
    },
}
