"""Reference solutions and typical wrong answers for the exercises of chapter 5.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import numpy as np


def soft_threshold_by_hand(w, t):
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.maximum(np.abs(w) - t, 0.0)


def ridge_closed_form(X, y, alpha):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y)


def inverted_dropout(h, mask, p):
    if not 0.0 <= p < 1.0:
        raise ValueError(f"p must lie in [0, 1), got {p}")
    return np.asarray(h, dtype=float) * np.asarray(mask, dtype=float) / (1.0 - p)


def ista_step(X, y, w, alpha, lr):
    X, y, w = (np.asarray(a, dtype=float) for a in (X, y, w))
    grad = X.T @ (X @ w - y) / len(y)
    return soft_threshold_by_hand(w - lr * grad, lr * alpha)


def _dropout_unchecked(h, mask, p, scale):
    if not 0.0 <= p < 1.0:
        raise ValueError("p")
    return np.asarray(h, dtype=float) * np.asarray(mask, dtype=float) * scale(p)


def map_strengths(sigma, tau, b, n):
    return sigma**2 / tau**2, sigma**2 / (n * b)


REFERENCE = {"5.1": soft_threshold_by_hand, "5.2": ridge_closed_form, "5.3": inverted_dropout,
             "5.4": ista_step, "5.5": map_strengths}

WRONG = {
    "5.1": {
        "hard thresholding": lambda w, t: np.where(np.abs(w) > t, np.asarray(w, dtype=float), 0.0),
        "shift without the clip at zero": lambda w, t: np.asarray(w, dtype=float) - t * np.sign(w),
        "shrinks away from zero": lambda w, t: np.where(np.abs(w) > t, np.asarray(w) + t * np.sign(w), 0.0),
    },
    "5.2": {
        "mean convention (alpha times n)": lambda X, y, a: ridge_closed_form(X, y, a * len(y)),
        "penalty with a half (alpha / 2)": lambda X, y, a: ridge_closed_form(X, y, a / 2),
        "alpha ignored (least squares)": lambda X, y, a: np.linalg.lstsq(X, y, rcond=None)[0],
    },
    "5.3": {
        "no rescaling": lambda h, m, p: _dropout_unchecked(h, m, p, lambda q: 1.0),
        "multiplied by 1 - p": lambda h, m, p: _dropout_unchecked(h, m, p, lambda q: 1.0 - q),
        "mask read as 'dropped'": lambda h, m, p: inverted_dropout(h, 1 - np.asarray(m, dtype=float), p),
        "no check of p": lambda h, m, p: np.asarray(h, dtype=float) * np.asarray(m) / max(1.0 - p, 1e-12),
    },
    "5.4": {
        "threshold alpha instead of lr * alpha": lambda X, y, w, a, lr: soft_threshold_by_hand(
            np.asarray(w) - lr * np.asarray(X).T @ (np.asarray(X) @ w - y) / len(y), a),
        "MSE gradient without the 1/2": lambda X, y, w, a, lr: soft_threshold_by_hand(
            np.asarray(w) - 2 * lr * np.asarray(X).T @ (np.asarray(X) @ w - y) / len(y), lr * a),
        "threshold before the gradient step": lambda X, y, w, a, lr: (
            soft_threshold_by_hand(w, lr * a) - lr * np.asarray(X).T @ (np.asarray(X) @ w - y) / len(y)),
    },
    "5.5": {
        "Lasso without the n": lambda s, t, b, n: (s**2 / t**2, s**2 / b),
        "standard deviations, not variances": lambda s, t, b, n: (s / t, s / (n * b)),
        "inverted": lambda s, t, b, n: (t**2 / s**2, n * b / s**2),
        "Lasso without the 1/2 (twice as strong)": lambda s, t, b, n: (s**2 / t**2, 2 * s**2 / (n * b)),
    },
}
