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
