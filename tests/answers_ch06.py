"""Reference solutions and typical wrong answers for the exercises of chapter 6.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import numpy as np

EPS = 1e-7


def fix_bce(y, p):
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def clip_by_global_norm(grads, max_norm):
    grads = [np.asarray(g, dtype=float) for g in grads]
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [factor * g for g in grads]


def stable_log_softmax(z):
    z = np.asarray(z, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def _bce_missing_parentheses(y, p):
    y, p = np.asarray(y, dtype=float), np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(np.mean(-y * np.log(p) + (1 - y) * np.log(1 - p)))


def _bce_unclipped(y, p):
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def _clip_per_layer(grads, max_norm):
    out = []
    for g in grads:
        g = np.asarray(g, dtype=float)
        n = np.linalg.norm(g)
        out.append(g * max_norm / n if n > max_norm else g)
    return out


def _clip_always(grads, max_norm):
    grads = [np.asarray(g, dtype=float) for g in grads]
    norm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    return [g * max_norm / max(norm, 1e-12) for g in grads]


def _naive_log_softmax(z):
    z = np.asarray(z, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.log(np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True))


REFERENCE = {"6.1": fix_bce, "6.2": clip_by_global_norm, "6.3": stable_log_softmax}

WRONG = {
    "6.1": {
        "missing parentheses (sign of the second term)": _bce_missing_parentheses,
        "no clipping (inf at p = 0 or 1)": _bce_unclipped,
        "sum instead of mean": lambda y, p: len(np.atleast_1d(y)) * fix_bce(y, p),
    },
    "6.2": {
        "clips each layer on its own": _clip_per_layer,
        "always rescales to max_norm": _clip_always,
        "clips element-wise (clip_by_value)": lambda grads, m: [np.clip(np.asarray(g, dtype=float), -m, m)
                                                                 for g in grads],
    },
    "6.3": {
        "naive log(exp(z) / sum exp(z))": _naive_log_softmax,
        "softmax instead of log-softmax": lambda z: np.exp(stable_log_softmax(z)),
        "max over the wrong axis": lambda z: (lambda a: a - a.max(axis=0, keepdims=True) - np.log(
            np.exp(a - a.max(axis=0, keepdims=True)).sum(axis=-1, keepdims=True)))(np.asarray(z, dtype=float)),
    },
}
