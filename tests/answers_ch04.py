"""Reference solutions and typical wrong answers for the exercises of chapter 4.

Written here, independently of the chapter's own solution cells; tests/test_exercises.py
checks that every reference passes its checker and every wrong answer fails it.
"""
import math

import numpy as np


def soft_dice(y_true, y_pred, smooth):
    y, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    axes = tuple(range(1, y.ndim))  # every axis but the batch
    overlap = 2.0 * (y * p).sum(axis=axes)
    return 1.0 - (overlap + smooth) / (y.sum(axis=axes) + p.sum(axis=axes) + smooth)


def gaussian_kl(mu_q, log_var_q, mu_p, log_var_p):
    mq, lq, mp, lp = (np.asarray(a, dtype=float) for a in (mu_q, log_var_q, mu_p, log_var_p))
    ratio = np.exp(lq - lp)  # sigma_q^2 / sigma_p^2
    return 0.5 * np.sum(ratio + (mq - mp) ** 2 / np.exp(lp) - 1.0 - np.log(ratio), axis=-1)


def _kl_to_standard_normal(mu_q, log_var_q, mu_p, log_var_p):
    """Ignores p: the KL from N(0, I), as in the VAE."""
    return gaussian_kl(mu_q, log_var_q, np.zeros_like(mu_q), np.zeros_like(log_var_q))


def _alignments(labels, T, *, repeats_need_blank=True, blanks=True):
    """Count frame-level paths by dynamic programming over the extended labels (blank, l1, blank, ...)."""
    ext = [0]
    for label in labels:
        ext += [label, 0]
    counts = [1 if blanks else 0, 1] + [0] * (len(ext) - 2)  # paths of one frame ending in each state
    for _ in range(T - 1):
        new = []
        for s, symbol in enumerate(ext):
            if symbol == 0 and not blanks:
                new.append(0)
                continue
            total = counts[s] + (counts[s - 1] if s >= 1 else 0)
            if s >= 2 and symbol != 0 and (symbol != ext[s - 2] or not repeats_need_blank):
                total += counts[s - 2]
            new.append(total)
        counts = new
    return counts[-1] + counts[-2]


def count_alignments(labels, T):
    return _alignments(labels, T)


def td0_update(V, s, r, s_next, alpha, gamma):
    out = np.array(V, dtype=float)
    out[s] += alpha * (r + gamma * V[s_next] - V[s])
    return out


def uncertainty_weighted(losses, log_vars):
    L, s = np.asarray(losses, dtype=float), np.asarray(log_vars, dtype=float)
    return float(np.sum(0.5 * np.exp(-s) * L + 0.5 * s))


def _batch_dice(y_true, y_pred, smooth):
    """One Dice for the whole batch, repeated for every item."""
    y, p = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    value = 1.0 - (2.0 * (y * p).sum() + smooth) / (y.sum() + p.sum() + smooth)
    return np.full(y.shape[0], value)


def _td0_moving_target(V, s, r, s_next, alpha, gamma):
    """Residual gradient: also moves V[s_next], as if the target were not held fixed."""
    out = td0_update(V, s, r, s_next, alpha, gamma)
    out[s_next] -= alpha * gamma * (r + gamma * V[s_next] - V[s])
    return out


REFERENCE = {"4.1": soft_dice, "4.2": gaussian_kl, "4.3": count_alignments, "4.4": td0_update,
             "4.5": uncertainty_weighted}

WRONG = {
    "4.1": {
        "one Dice for the whole batch": _batch_dice,
        "Dice coefficient instead of loss": lambda t, p, s: 1.0 - soft_dice(t, p, s),
        "smoothing ignored": lambda t, p, s: soft_dice(t, p, 0.0),
        "squared sums in the denominator (V-Net variant)": lambda t, p, s: 1.0 - (
            2.0 * (np.asarray(t) * p).sum(axis=tuple(range(1, np.ndim(t)))) + s) / (
            (np.square(t)).sum(axis=tuple(range(1, np.ndim(t))))
            + np.square(p).sum(axis=tuple(range(1, np.ndim(t)))) + s),
    },
    "4.2": {
        "missing the factor 1/2": lambda mq, lq, mp, lp: 2.0 * gaussian_kl(mq, lq, mp, lp),
        "the reverse direction KL(p || q)": lambda mq, lq, mp, lp: gaussian_kl(mp, lp, mq, lq),
        "the prior N(0, I) instead of p": _kl_to_standard_normal,
        "mean difference not divided by the variance of p": lambda mq, lq, mp, lp: gaussian_kl(
            mq, lq, mp, lp) - 0.5 * np.sum((np.asarray(mq) - mp) ** 2 * (1.0 / np.exp(lp) - 1.0), axis=-1),
        "one number for the batch": lambda mq, lq, mp, lp: float(np.mean(gaussian_kl(mq, lq, mp, lp))),
    },
    "4.3": {
        "repeats may follow each other without a blank": lambda labels, T: _alignments(
            labels, T, repeats_need_blank=False),
        "no blanks at all (every frame shows a label)": lambda labels, T: _alignments(labels, T, blanks=False),
        "binomial coefficient C(T, L)": lambda labels, T: math.comb(T, len(labels)),
    },
    "4.4": {
        "sign flipped": lambda V, s, r, sn, a, g: td0_update(V, s, r, sn, -a, g),
        "discount ignored": lambda V, s, r, sn, a, g: td0_update(V, s, r, sn, a, 1.0),
        "target copied without a step size": lambda V, s, r, sn, a, g: td0_update(V, s, r, sn, 1.0, g),
        "target not held fixed (residual gradient)": _td0_moving_target,
    },
    "4.5": {
        "no regulariser 0.5 s": lambda L, s: float(np.sum(0.5 * np.exp(-np.asarray(s)) * L)),
        "exp(+s) instead of exp(-s)": lambda L, s: float(np.sum(0.5 * np.exp(s) * L + 0.5 * np.asarray(s))),
        "standard deviation instead of variance": lambda L, s: float(np.sum(
            0.5 * np.exp(-0.5 * np.asarray(s)) * L + 0.5 * np.asarray(s))),
        "mean over tasks": lambda L, s: uncertainty_weighted(L, s) / len(L),
    },
}
