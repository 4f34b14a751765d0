"""Reference solutions and typical wrong answers for the exercises of chapter 2.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import math

import numpy as np
from scipy import optimize


def huber_by_hand(y_true, y_pred, delta):
    r = np.abs(np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float))
    quadratic = np.minimum(r, delta)  # the part of the error inside the quadratic zone
    return float(np.mean(0.5 * quadratic**2 + delta * (r - quadratic)))


def pinball_grad(y_true, y_pred, q):
    y, y_hat = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    return np.where(y_hat > y, 1.0 - q, -q) / y.size


def best_constant(y, q):
    ordered = np.sort(np.asarray(y, dtype=float))
    return float(ordered[int(np.ceil(q * len(ordered))) - 1])  # the lower q-quantile


def poisson_nll_by_hand(y_true, log_rate):
    y, eta = np.asarray(y_true, dtype=float), np.asarray(log_rate, dtype=float)
    return float(np.mean(np.exp(eta) - y * eta))


def tukey_weights(r, c):
    u = np.asarray(r, dtype=float) / c
    return np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)


def huber_location(y, delta):
    y = np.asarray(y, dtype=float)

    def slope(c):  # derivative of the summed Huber loss of the constant c
        return float(np.sum(np.clip(c - y, -delta, delta)))

    return float(optimize.brentq(slope, y.min(), y.max(), xtol=1e-14)) if np.ptp(y) > 0 else float(y[0])


def _huber_irls(y, delta, steps):
    y = np.asarray(y, dtype=float)
    c = float(np.median(y))
    for _ in range(steps):
        w = np.minimum(1.0, delta / np.maximum(np.abs(y - c), 1e-300))
        c = float(np.sum(w * y) / np.sum(w))
    return c


REFERENCE = {"2.1": huber_by_hand, "2.2": pinball_grad, "2.3": best_constant, "2.4": poisson_nll_by_hand,
             "2.5": tukey_weights, "2.6": huber_location}

WRONG = {
    "2.1": {
        "linear piece without -delta/2 (discontinuous)": lambda t, p, d: float(np.mean(np.where(
            np.abs(np.subtract(p, t)) <= d, 0.5 * np.subtract(p, t) ** 2, d * np.abs(np.subtract(p, t))))),
        "quadratic piece without 1/2": lambda t, p, d: float(np.mean(np.where(
            np.abs(np.subtract(p, t)) <= d, np.subtract(p, t) ** 2,
            d * (np.abs(np.subtract(p, t)) - 0.5 * d)))),
        "smooth L1 instead (divided by delta)": lambda t, p, d: huber_by_hand(t, p, d) / d,
        "sum instead of mean": lambda t, p, d: huber_by_hand(t, p, d) * np.size(t),
    },
    "2.2": {
        "sign flipped": lambda t, p, q: -pinball_grad(t, p, q),
        "q and 1 - q swapped": lambda t, p, q: pinball_grad(t, p, 1.0 - q),
        "missing 1/n": lambda t, p, q: pinball_grad(t, p, q) * np.size(t),
        "MAE gradient": lambda t, p, q: np.sign(np.subtract(p, t)) / np.size(t),
    },
    "2.3": {
        "np.quantile with linear interpolation": lambda y, q: float(np.quantile(y, q)),
        "the mean": lambda y, q: float(np.mean(y)),
        "1 - q": lambda y, q: best_constant(y, 1.0 - q),
    },
    "2.4": {
        "log_rate read as a rate": lambda t, lr: float(np.mean(np.asarray(lr) - np.asarray(t) * np.log(lr))),
        "sign flipped": lambda t, lr: -poisson_nll_by_hand(t, lr),
        "with log(y!) (full likelihood)": lambda t, lr: poisson_nll_by_hand(t, lr) + float(np.mean(
            [math.lgamma(v + 1.0) for v in np.ravel(t)])),
        "sum instead of mean": lambda t, lr: poisson_nll_by_hand(t, lr) * np.size(t),
    },
    "2.5": {
        "psi instead of psi / r": lambda r, c: np.asarray(r) * tukey_weights(r, c),
        "no rejection beyond c": lambda r, c: (1.0 - (np.asarray(r) / c) ** 2) ** 2,
        "bracket not squared": lambda r, c: np.where(np.abs(np.asarray(r)) < c, 1.0 - (np.asarray(r) / c) ** 2, 0.0),
    },
    "2.6": {
        "the mean": lambda y, d: float(np.mean(y)),
        "the median": lambda y, d: float(np.median(y)),
        "IRLS stopped after 3 steps": lambda y, d: _huber_irls(y, d, 3),
        "delta ignored (always 1)": lambda y, d: huber_location(y, 1.0),
        "sign error (location of -y)": lambda y, d: huber_location(-np.asarray(y, dtype=float), d),
    },
}
