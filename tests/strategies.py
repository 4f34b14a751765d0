"""Hypothesis strategies for the arguments of every ``inputs`` kind of the registry.

Each :class:`Kind` draws valid arguments for the losses of one kind (the
first is the target), builds the kind's perfect prediction (the one described
in ``lossfns.registry.PERFECT_PREDICTIONS``), and says when a draw is safe for
finite differences: away from kinks, from clipping and from the edge of the
domain, where a step of 1e-6 would leave it. Draws cover the shapes
``(n, k)`` with ``n`` in 1..4 and ``k`` in 1..4 (2..4 over a class axis).

Also the helpers that the contract and property tests share.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

#: The settings of tests/test_properties.py: reproducible, no example database, no per-example deadline.
settings.register_profile(
    "lossfns-properties", derandomize=True, database=None, deadline=None, max_examples=30, print_blob=False,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("lossfns-properties")

EPS_FD = 1e-6  # the step of lossfns.numerical_grad


def replace(args: tuple, i: int, value) -> tuple:
    """``args`` with the ``i``-th argument replaced by ``value``."""
    return args[:i] + (value,) + args[i + 1:]


def grads_tuple(record, args, **kwargs) -> tuple:
    """The gradient(s) of ``record`` as a tuple, one array per predicted argument."""
    out = record.grad(*args, **kwargs)
    return out if isinstance(out, tuple) else (out,)


def floats(low: float, high: float):
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(shape, low: float, high: float):
    return hnp.arrays(np.float64, shape, elements=floats(low, high))


def labels(shape, values):
    return hnp.arrays(np.float64, shape, elements=st.sampled_from(values))


batch = st.integers(1, 4)
width = st.integers(1, 4)
classes = st.integers(2, 4)


@st.composite
def real(draw):
    shape = (draw(batch), draw(width))
    return draw(arrays(shape, -10.0, 10.0)), draw(arrays(shape, -10.0, 10.0))


@st.composite
def log1p_real(draw):
    """Targets and predictions in [-0.99, 50]: inside the MSLE's domain (> -1) by more than a finite-difference step."""
    shape = (draw(batch), draw(width))
    return draw(arrays(shape, -0.99, 50.0)), draw(arrays(shape, -0.99, 50.0))


@st.composite
def counts(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape, list(range(12)))), draw(arrays(shape, 0.1, 30.0))


@st.composite
def gaussian(draw):
    shape = (draw(batch), draw(width))
    return draw(arrays(shape, -10.0, 10.0)), draw(arrays(shape, -10.0, 10.0)), draw(arrays(shape, 0.01, 10.0))


@st.composite
def binary(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape, [0.0, 1.0])), draw(arrays(shape, 0.0, 1.0))


@st.composite
def probability_rows(draw, n: int, k: int):
    """Rows of k probabilities, each at least about 0.0025 (so a finite-difference step stays inside [0, 1])."""
    weights = draw(arrays((n, k), 0.0, 1.0)) + 0.01
    return weights / weights.sum(axis=-1, keepdims=True)


@st.composite
def onehot(draw):
    n, k = draw(batch), draw(classes)
    y = np.eye(k)[draw(labels((n,), list(range(k)))).astype(int)]
    return y, draw(probability_rows(n, k))


@st.composite
def sparse(draw):
    n, k = draw(batch), draw(classes)
    return draw(labels((n,), [float(j) for j in range(k)])), draw(probability_rows(n, k))


@st.composite
def sparse_logprob(draw):
    """Labels and log-probability rows (each probability at least about 0.0025)."""
    n, k = draw(batch), draw(classes)
    return draw(labels((n,), [float(j) for j in range(k)])), np.log(draw(probability_rows(n, k)))


@st.composite
def ranking_pairs(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape, [-1.0, 1.0])), draw(arrays(shape, -5.0, 5.0)), draw(arrays(shape, -5.0, 5.0))


@st.composite
def signed(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape, [-1.0, 1.0])), draw(arrays(shape, -5.0, 5.0))


@st.composite
def sparse_scores(draw):
    n, k = draw(batch), draw(classes)
    return draw(labels((n,), [float(j) for j in range(k)])), draw(arrays((n, k), -5.0, 5.0))


@st.composite
def distributions(draw):
    n, k = draw(batch), draw(classes)
    return draw(probability_rows(n, k)), draw(probability_rows(n, k))


@st.composite
def pair_distances(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape, [0.0, 1.0])), draw(arrays(shape, 0.0, 5.0))


@st.composite
def triplets(draw):
    shape = (draw(batch), draw(width))
    return tuple(draw(arrays(shape, -5.0, 5.0)) for _ in range(3))


@st.composite
def nonzero_vectors(draw, shape):
    """Entries of size 0.1 to 5 with either sign: no vector is near 0, where the cosine is undefined."""
    return draw(arrays(shape, 0.1, 5.0)) * draw(labels(shape, [-1.0, 1.0]))


@st.composite
def cosine_pairs(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape[:1], [-1.0, 1.0])), draw(nonzero_vectors(shape)), draw(nonzero_vectors(shape))


@st.composite
def masks(draw):
    shape = (draw(batch), draw(width))
    return draw(labels(shape, [0.0, 1.0])), draw(arrays(shape, 0.0, 1.0))


def ctc_frames_needed(seq) -> int:
    """Frames a CTC alignment of ``seq`` needs: one per label and a blank between equal neighbours."""
    seq = list(seq)
    return len(seq) + sum(a == b for a, b in zip(seq, seq[1:], strict=False))


@st.composite
def ctc(draw):
    """Padded labels (N, S) in 1..C-1, log-softmax outputs (T, N, C), feasible lengths; integers as floats."""
    n, s, c = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 4))
    lab = draw(labels((n, s), [float(j) for j in range(1, c)]))
    label_lengths = np.array([draw(st.integers(0, s)) for _ in range(n)], dtype=float)
    needed = [ctc_frames_needed(lab[i, : int(length)]) for i, length in enumerate(label_lengths)]
    t = draw(st.integers(max(max(needed), 1), max(needed) + 3))
    input_lengths = np.array([draw(st.integers(need, t)) for need in needed], dtype=float)
    logits = draw(arrays((t, n, c), -5.0, 5.0))
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    return lab, log_probs, input_lengths, label_lengths


@st.composite
def embedding_batches(draw):
    """Anchors and positives (n, d), entries of size 0.1 to 5: no row is near 0, where the direction is undefined."""
    shape = (draw(batch), draw(width))
    return draw(nonzero_vectors(shape)), draw(nonzero_vectors(shape))


@st.composite
def teacher_student(draw):
    n, k = draw(batch), draw(classes)
    return draw(arrays((n, k), -8.0, 8.0)), draw(arrays((n, k), -8.0, 8.0))


@st.composite
def preference_logps(draw):
    shape = (draw(batch), draw(width))
    return tuple(draw(arrays(shape, -60.0, -0.01)) for _ in range(4))


# --- perfect predictions -----------------------------------------------------------


def ctc_perfect(args):
    """Log-probability 0 on one alignment of each label sequence (blanks between repeats and after), -1000 elsewhere."""
    lab, log_probs, input_lengths, label_lengths = args
    out = np.full(log_probs.shape, -1000.0)
    for i in range(lab.shape[0]):
        seq = [int(v) for v in lab[i, : int(label_lengths[i])]]
        path = []
        for j, v in enumerate(seq):
            if j and v == seq[j - 1]:
                path.append(0)
            path.append(v)
        path += [0] * (log_probs.shape[0] - len(path))
        out[np.arange(len(path)), i, path] = 0.0
    return lab, out, input_lengths, label_lengths


def _onehot_of(y_labels, scores):
    return np.eye(scores.shape[-1])[y_labels.astype(int)]


# --- finite-difference safety ----------------------------------------------------------


def _margin_violations(y_labels, scores, margin=1.0):
    true = np.take_along_axis(scores, y_labels.astype(int)[:, None], axis=1)
    others = np.arange(scores.shape[1]) != y_labels[:, None]
    return (margin - true + scores)[others]


def _triplet_safe(a, p, n, margin=1.0, eps=1e-6):
    d_ap = np.sqrt(np.sum((a - p + eps) ** 2, axis=-1))
    d_an = np.sqrt(np.sum((a - n + eps) ** 2, axis=-1))
    return min(d_ap.min(), d_an.min()) > 1e-3 and np.min(np.abs(margin + d_ap - d_an)) > 1e-4


def _cosine_safe(y, a, b):
    cos = np.sum(a * b, axis=-1) / np.sqrt(np.sum(a * a, axis=-1) * np.sum(b * b, axis=-1))
    return bool(np.all(np.abs(cos[y < 0]) > 1e-4))  # the hinge max(0, cos - m) at the default margin m = 0


def _inside(x, low, high, gap):
    return bool(np.all((x >= low + gap) & (x <= high - gap)))


@dataclass(frozen=True)
class Kind:
    """How to draw, perfect and safely differentiate the arguments of one ``inputs`` kind.

    ``predicted`` are the argument indices the gradient returns, in order;
    ``mean_weights(args)`` the weights of the per-sample losses in ``"mean"``
    (CTC divides each by its label length), ``None`` for a plain average.
    """

    draw: Callable
    perfect: Callable
    fd_safe: Callable = lambda *args: True
    predicted: tuple = (1,)
    mean_weights: Callable | None = None


KINDS = {
    "real": Kind(real(), lambda y, p: (y, y), lambda y, p: bool(np.all(np.abs(p - y) > 1e-4))),
    "log1p_real": Kind(log1p_real(), lambda y, p: (y, y)),
    "counts": Kind(counts(), lambda y, p: (y, y)),
    "gaussian": Kind(gaussian(), lambda y, m, v: (y, y, v), predicted=(1, 2)),
    "binary_prob": Kind(binary(), lambda y, p: (y, y), lambda y, p: _inside(p, 0.0, 1.0, 1e-3)),
    "binary_labels": Kind(binary(), lambda y, p: (y, y)),
    "onehot_prob": Kind(onehot(), lambda y, p: (y, y)),
    "sparse_prob": Kind(sparse(), lambda y, p: (y, _onehot_of(y, p))),
    "sparse_logprob": Kind(sparse_logprob(), lambda y, lp: (y, np.where(_onehot_of(y, lp) == 1.0, 0.0, -1000.0))),
    "signed_scores": Kind(signed(), lambda y, s: (y, y), lambda y, s: bool(np.all(np.abs(1.0 - y * s) > 1e-4))),
    "sparse_scores": Kind(sparse_scores(), lambda y, s: (y, _onehot_of(y, s)),
                          lambda y, s: bool(np.all(np.abs(_margin_violations(y, s)) > 1e-4))),
    "distributions": Kind(distributions(), lambda p, q: (p, p)),
    "pair_distances": Kind(pair_distances(), lambda y, d: (y, np.where(y == 1, 0.0, 1.0)),
                           lambda y, d: bool(np.all(d > 1e-5) and np.all(np.abs(d - 1.0)[y == 0] > 1e-4))),
    "triplets": Kind(triplets(), lambda a, p, n: (a, a, a + 2.0), _triplet_safe, predicted=(0, 1, 2)),
    "ranking_pairs": Kind(ranking_pairs(), lambda y, a, b: (y, b + y, b),
                          lambda y, a, b: bool(np.all(np.abs(a - b) > 1e-4)), predicted=(1, 2)),
    "cosine_pairs": Kind(cosine_pairs(), lambda y, a, b: (y, a, np.where(y[:, None] > 0, a, -a)), _cosine_safe,
                         predicted=(1, 2)),
    "masks": Kind(masks(), lambda y, p: (y, y), lambda y, p: _inside(p, 0.0, 1.0, 1e-3)),
    "ctc": Kind(ctc(), lambda *args: ctc_perfect(args), mean_weights=lambda args: 1.0 / np.maximum(args[3], 1.0)),
    "embedding_batches": Kind(embedding_batches(), lambda a, b: (a, a), predicted=(0, 1)),
    "teacher_student": Kind(teacher_student(), lambda t, s: (t, t)),
    "reward_pairs": Kind(real(), lambda c, r: (r + 5.0, r), predicted=(0, 1)),
    "preference_logps": Kind(preference_logps(), lambda pc, pr, rc, rr: (rc, rr - 50.0, rc, rr), predicted=(0, 1)),
}
