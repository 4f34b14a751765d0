"""Checkers for the exercises of chapter 6 (Troubleshooting)."""
from __future__ import annotations

import numpy as np

from lossfns.classification import binary_cross_entropy, categorical_cross_entropy
from lossfns.exercises._core import Case, CaseFailed, Exercise, expect_array, expect_number, register


def _judge_bce(got, args) -> None:
    y, p = args
    expect_number(got, binary_cross_entropy(y, p), rtol=1e-6, atol=1e-9)


register(Exercise(
    id="6.1",
    title="repair a binary cross-entropy",
    function="fix_bce",
    params=("y", "p"),
    cases=(
        Case("balanced labels", (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.4])), _judge_bce),
        Case("all positive", (np.array([1.0, 1.0, 1.0]), np.array([0.3, 0.5, 0.99])), _judge_bce),
        Case("all negative", (np.array([0.0, 0.0]), np.array([0.7, 0.05])), _judge_bce),
        Case("confident and right: p exactly 0 and 1", (np.array([1.0, 0.0]), np.array([1.0, 0.0])), _judge_bce),
        Case("confident and wrong: p exactly 0 and 1", (np.array([1.0, 0.0]), np.array([0.0, 1.0])), _judge_bce),
    ),
))


def _judge_clip(got, args) -> None:
    grads, max_norm = args
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    # Independent reference: the norm of all entries laid end to end in one vector.
    total = float(np.sqrt(np.dot(v := np.concatenate([g.ravel() for g in grads]), v)))
    scale = 1.0 if total <= max_norm else max_norm / total
    if not isinstance(got, (list, tuple)) or len(got) != len(grads):
        raise CaseFailed(f"expected a list of {len(grads)} arrays, got {type(got).__name__}")
    for g_got, g in zip(got, grads, strict=True):
        expect_array(g_got, scale * g)


register(Exercise(
    id="6.2",
    title="clip gradients by their global norm",
    function="clip_by_global_norm",
    params=("grads", "max_norm"),
    cases=(
        Case("norm 13 clipped to 1", ([np.array([3.0, 4.0]), np.array([[12.0]])], 1.0), _judge_clip),
        Case("below the threshold: unchanged", ([np.array([0.1, -0.2]), np.array([0.05])], 5.0), _judge_clip),
        Case("three layers of different shapes",
             ([np.arange(6.0).reshape(2, 3), np.array([-1.0, 2.0]), np.full((2, 2), 0.5)], 2.0), _judge_clip),
        Case("one huge layer, one tiny layer", ([np.array([1e6, -1e6]), np.array([1e-6])], 10.0), _judge_clip),
        Case("all zeros", ([np.zeros(3), np.zeros((2, 2))], 1.0), _judge_clip),
    ),
    question="Why is clipping each layer's gradient on its own not the same as clipping by the global norm?",
))


def _judge_log_softmax(got, args) -> None:
    (z,) = args
    z = np.atleast_2d(np.asarray(z, dtype=np.float64))
    k = z.shape[-1]
    # -log softmax(z)_j is the cross-entropy of z against the one-hot label j.
    cols = [categorical_cross_entropy(np.tile(np.eye(k)[j], (len(z), 1)), z, from_logits=True, reduction="none")
            for j in range(k)]
    expected = -np.stack(cols, axis=-1).reshape(np.shape(args[0]))
    got = expect_array(got, expected, rtol=1e-9, atol=1e-9)
    if not np.all(np.isfinite(got)):
        raise CaseFailed("the result contains NaN or inf")


register(Exercise(
    id="6.3",
    title="a stable log-softmax",
    function="stable_log_softmax",
    params=("z",),
    cases=(
        Case("three small logits", (np.array([1.0, 2.0, 3.0]),), _judge_log_softmax),
        Case("a batch of two", (np.array([[0.0, 0.0], [-1.0, 1.0]]),), _judge_log_softmax),
        Case("huge logits (exp overflows)", (np.array([1e4, 0.0, -1e4]),), _judge_log_softmax),
        Case("all very negative", (np.array([[-1000.0, -1001.0, -1002.0]]),), _judge_log_softmax),
        Case("equal logits: log(1/k)", (np.zeros((2, 4)),), _judge_log_softmax),
    ),
))
