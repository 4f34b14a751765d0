"""Reference solutions and typical wrong answers for the exercises of chapter 3.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import math

import numpy as np


def softmax_cross_entropy(labels, z):
    rows = []
    for label, row in zip(np.asarray(labels), np.asarray(z, dtype=float), strict=True):
        top = max(row)
        log_norm = top + math.log(math.fsum(math.exp(v - top) for v in row))
        rows.append(log_norm - row[int(label)])
    return math.fsum(rows) / len(rows)


def _softmax(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy_grad(y_onehot, z):
    y = np.asarray(y_onehot, dtype=float)
    return (_softmax(z) - y) / y.shape[0]


def kl_divergence_by_hand(p, q):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    terms = p * np.log(np.where(p > 0, p, 1.0) / q)  # 0 log 0 = 0: p = 0 gives 0 * log(1 / q) = 0
    per_row = terms.sum(axis=-1)
    return float(np.mean(per_row))


def ece_by_hand(y_true, p, n_bins):
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        inside = (p > lo) & (p <= hi) if b > 0 else (p <= hi)
        if inside.any():
            total += inside.sum() / p.size * abs(y[inside].mean() - p[inside].mean())
    return total


REFERENCE = {"3.1": softmax_cross_entropy, "3.2": softmax_cross_entropy_grad, "3.3": kl_divergence_by_hand,
             "3.4": ece_by_hand}


def _naive_softmax(z):
    e = np.exp(np.asarray(z, dtype=float))
    return e / e.sum(axis=-1, keepdims=True)


def _picked(labels, probs):
    return probs[np.arange(len(probs)), np.asarray(labels)]


def _ece_left_closed(y_true, p, n_bins):
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    which = np.minimum(np.floor(p * n_bins).astype(int), n_bins - 1)  # [lo, hi): edges go up a bin
    return sum((which == b).mean() * abs(y[which == b].mean() - p[which == b].mean())
               for b in range(n_bins) if (which == b).any())


def _ece_unweighted(y_true, p, n_bins):
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.searchsorted(edges[1:-1], p)
    gaps = [abs(y[which == b].mean() - p[which == b].mean()) for b in range(n_bins) if (which == b).any()]
    return float(np.mean(gaps))


def _ece_signed(y_true, p, n_bins):
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.searchsorted(edges[1:-1], p)
    return sum((which == b).mean() * (y[which == b].mean() - p[which == b].mean())
               for b in range(n_bins) if (which == b).any())


def _ece_drops_ones(y_true, p, n_bins):
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    which = np.floor(p * n_bins).astype(int)  # p = 1 lands in bin n_bins, which the loop never visits
    return sum((which == b).mean() * abs(y[which == b].mean() - p[which == b].mean())
               for b in range(n_bins) if (which == b).any())


def _ece_top_label(y_true, p, n_bins):
    """The top-label ECE of the rows (1 - p, p): confidence max(p, 1 - p), right if that class is the label."""
    y, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    confidence, correct = np.maximum(p, 1.0 - p), ((p > 0.5) == (y == 1.0)).astype(float)
    which = np.maximum(np.ceil(confidence * n_bins).astype(int) - 1, 0)
    return sum((which == b).mean() * abs(correct[which == b].mean() - confidence[which == b].mean())
               for b in range(n_bins) if (which == b).any())


WRONG = {
    "3.1": {
        "naive exp (overflows)": lambda labels, z: float(np.mean(-np.log(_picked(labels, _naive_softmax(z))))),
        "sum instead of mean": lambda labels, z: softmax_cross_entropy(labels, z) * len(labels),
        "probability clipped at 1e-7 (Keras-style)": lambda labels, z: float(np.mean(
            -np.log(np.clip(_picked(labels, _softmax(z)), 1e-7, 1.0)))),
        "log-sum-exp without adding the maximum back": lambda labels, z: float(np.mean(
            np.log(np.exp(np.asarray(z) - np.max(z, axis=1, keepdims=True)).sum(axis=1))
            - _picked(labels, np.asarray(z, dtype=float)))),
    },
    "3.2": {
        "missing 1/n": lambda y, z: softmax_cross_entropy_grad(y, z) * np.shape(y)[0],
        "sign flipped (y - softmax)": lambda y, z: -softmax_cross_entropy_grad(y, z),
        "naive exp (overflows)": lambda y, z: (_naive_softmax(z) - np.asarray(y)) / np.shape(y)[0],
        "divided by n * k (torch's elementwise mean)": lambda y, z: softmax_cross_entropy_grad(y, z)
        / np.shape(y)[1],
        "diagonal of the Jacobian only": lambda y, z: -np.asarray(y) * (1.0 - _softmax(z)) / np.shape(y)[0],
    },
    "3.3": {
        "reversed: KL(q || p)": lambda p, q: float(np.mean(np.sum(
            np.asarray(q) * np.log(np.asarray(q) / np.maximum(p, 1e-300)), axis=-1))),
        "0 log 0 gives NaN": lambda p, q: float(np.mean(np.sum(np.asarray(p) * np.log(np.asarray(p) / q),
                                                                axis=-1))),
        "mean over all entries (divides by n k)": lambda p, q: float(np.mean(
            np.asarray(p) * np.log(np.where(np.asarray(p) > 0, p, 1.0) / np.asarray(q)))),
        "sum over the rows": lambda p, q: kl_divergence_by_hand(p, q) * max(1, np.size(p) // np.shape(p)[-1]),
        "in bits (log2)": lambda p, q: kl_divergence_by_hand(p, q) / math.log(2.0),
    },
    "3.4": {
        "bins closed on the left": _ece_left_closed,
        "bins not weighted by their counts": _ece_unweighted,
        "signed gaps (no absolute value)": _ece_signed,
        "p = 1 dropped": _ece_drops_ones,
        "top-label ECE instead of the binary one": _ece_top_label,
    },
}


def _sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def _logistic_fit(s, targets, *, intercept=True):
    """(a, b) minimising the mean cross-entropy of sigmoid(a s + b) against targets in [0, 1]."""
    from scipy.optimize import minimize
    s, t = np.asarray(s, dtype=float), np.asarray(targets, dtype=float)
    X = np.column_stack([s, np.ones_like(s)]) if intercept else s[:, None]

    def loss_and_grad(theta):
        z = X @ theta
        loss = np.mean(t * np.logaddexp(0.0, -z) + (1 - t) * np.logaddexp(0.0, z))
        return loss, X.T @ (_sigmoid(z) - t) / len(t)

    theta = minimize(loss_and_grad, np.zeros(X.shape[1]), jac=True, method="BFGS", options={"gtol": 1e-13}).x
    return theta if intercept else np.array([theta[0], 0.0])


def platt_fit(scores, y):
    return tuple(float(v) for v in _logistic_fit(scores, y))


def _platt_least_squares(scores, y):
    """Fits the sigmoid by the squared error (the Brier score) instead of the log loss."""
    from scipy.optimize import minimize
    s, t = np.asarray(scores, dtype=float), np.asarray(y, dtype=float)
    return minimize(lambda ab: np.mean((_sigmoid(ab[0] * s + ab[1]) - t) ** 2), [1.0, 0.0], method="BFGS",
                    options={"gtol": 1e-12}).x


def _platt_smoothed_targets(scores, y):
    """Platt's (1999) regularised targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2), not the labels themselves."""
    t = np.asarray(y, dtype=float)
    n_pos, n_neg = t.sum(), t.size - t.sum()
    return _logistic_fit(scores, np.where(t == 1, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2)))


_MEAN = {"gaussian": lambda eta: eta, "bernoulli": _sigmoid, "poisson": np.exp}


def glm_gradient(family, A, y, w):
    A = np.asarray(A, dtype=float)
    eta = A @ np.asarray(w, dtype=float)
    return A.T @ (_MEAN[family](eta) - np.asarray(y, dtype=float)) / len(eta)


def _glm_link_slope_kept(family, A, y, w):
    """The chain rule through the output layer kept, as for a non-canonical pairing: (mu - y) mu'(eta)."""
    A = np.asarray(A, dtype=float)
    eta = A @ np.asarray(w, dtype=float)
    mu = _MEAN[family](eta)
    slope = {"gaussian": np.ones_like(eta), "bernoulli": mu * (1 - mu), "poisson": mu}[family]
    return A.T @ ((mu - np.asarray(y, dtype=float)) * slope) / len(eta)


REFERENCE.update({"3.5": platt_fit, "3.6": glm_gradient})

WRONG.update({
    "3.5": {
        "no intercept b": lambda s, y: _logistic_fit(s, y, intercept=False),
        "least squares instead of the log loss": _platt_least_squares,
        "Platt's smoothed targets": _platt_smoothed_targets,
        "labels flipped (fits 1 - y)": lambda s, y: _logistic_fit(s, 1.0 - np.asarray(y, dtype=float)),
    },
    "3.6": {
        "Gaussian from lf.mse_grad (twice the canonical gradient)": lambda f, A, y, w: glm_gradient(f, A, y, w)
        * (2.0 if f == "gaussian" else 1.0),
        "sum instead of mean (missing 1/n)": lambda f, A, y, w: glm_gradient(f, A, y, w) * np.shape(A)[0],
        "sign flipped (y - mu)": lambda f, A, y, w: -glm_gradient(f, A, y, w),
        "slope of the output layer kept": _glm_link_slope_kept,
    },
})
