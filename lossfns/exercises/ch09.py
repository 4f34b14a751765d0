"""Checkers for the exercises of chapter 9 (the losses behind today's models).

References come from :mod:`lossfns.classification` (the perplexity of the kept
positions), :mod:`lossfns.distillation` and :mod:`lossfns.preference`.
"""
from __future__ import annotations

import numpy as np

from lossfns.classification import sparse_categorical_cross_entropy
from lossfns.distillation import distillation_grad
from lossfns.exercises._core import Case, Exercise, expect_array, expect_number, register
from lossfns.preference import dpo


def _logits(shape: tuple[int, ...], seed: int, scale: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, scale, size=shape)


# --- 9.1: perplexity with the padding masked out ---------------------------------------------------

def _judge_perplexity(got, args) -> None:
    targets, logits, pad = args
    targets, logits = np.asarray(targets), np.asarray(logits, dtype=float)
    keep = targets != pad
    expect_number(got, np.exp(sparse_categorical_cross_entropy(targets[keep], logits[keep], from_logits=True)),
                  rtol=1e-9)


_T1 = np.array([2, 0, 1, 3, 3, 3])        # the last three positions are padding (pad = 3)

register(Exercise(
    id="9.1",
    title="perplexity without the padding",
    function="masked_perplexity",
    params=("targets", "logits", "pad"),
    cases=(
        Case("six positions, three of them padding", (_T1, _logits((6, 4), 1), 3), _judge_perplexity),
        Case("no padding at all", (np.array([0, 1, 2, 1]), _logits((4, 4), 2), 3), _judge_perplexity),
        Case("padding symbol 0", (np.array([1, 2, 0, 0, 0]), _logits((5, 3), 3), 0), _judge_perplexity),
        Case("a batch of sequences (2, 5) with logits (2, 5, 6)",
             (np.array([[1, 2, 5, 5, 5], [0, 4, 3, 2, 5]]), _logits((2, 5, 6), 4), 5), _judge_perplexity),
        Case("confident logits of size 1000", (_T1, 1000.0 * np.eye(4)[[2, 1, 1, 3, 0, 2]], 3), _judge_perplexity),
    ),
))


# --- 9.2: the gradient of the distillation loss -------------------------------------------------------

def _judge_distillation_grad(got, args) -> None:
    teacher, student, temperature = args
    expect_array(got, distillation_grad(teacher, student, temperature=temperature), rtol=1e-9, atol=1e-12)


register(Exercise(
    id="9.2",
    title="the distillation gradient",
    function="distillation_gradient",
    params=("teacher_logits", "student_logits", "temperature"),
    cases=(
        Case("temperature 1 (plain KL)", (_logits((3, 4), 5), _logits((3, 4), 6), 1.0), _judge_distillation_grad),
        Case("temperature 4", (_logits((5, 10), 7), _logits((5, 10), 8), 4.0), _judge_distillation_grad),
        Case("temperature 0.5 (sharper than softmax)", (_logits((4, 3), 9), _logits((4, 3), 10), 0.5),
             _judge_distillation_grad),
        Case("one row, temperature 10", (_logits((1, 6), 11), _logits((1, 6), 12), 10.0), _judge_distillation_grad),
        Case("logits of size 500, temperature 2", (_logits((3, 5), 13, 500.0), _logits((3, 5), 14, 500.0), 2.0),
             _judge_distillation_grad),
    ),
))


# --- 9.3: the DPO loss by hand ----------------------------------------------------------------------

def _judge_dpo(got, args) -> None:
    pc, pr, rc, rr, beta = args
    expect_number(got, dpo(pc, pr, rc, rr, beta=beta), rtol=1e-9, atol=1e-12)


def _logprobs(n: int, seed: int, scale: float = 5.0) -> np.ndarray:
    return -np.abs(np.random.default_rng(seed).normal(0.0, scale, size=n))


register(Exercise(
    id="9.3",
    title="the DPO loss",
    function="dpo_loss",
    params=("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected", "beta"),
    cases=(
        Case("three pairs, beta 0.1", (*(_logprobs(3, s) for s in (15, 16, 17, 18)), 0.1), _judge_dpo),
        Case("beta 1", (*(_logprobs(8, s) for s in (19, 20, 21, 22)), 1.0), _judge_dpo),
        Case("policy equal to the reference: log 2", (*(2 * [_logprobs(4, 23), _logprobs(4, 24)]), 0.5), _judge_dpo),
        Case("a reference that prefers the rejected answer",
             (np.array([-4.0, -6.0]), np.array([-5.0, -5.0]), np.array([-9.0, -9.0]), np.array([-1.0, -2.0]), 0.2),
             _judge_dpo),
        Case("margins of 1e4 (stable softplus needed)",
             (np.array([-1.0, -2e4]), np.array([-2e4, -1.0]), np.array([-3.0, -3.0]), np.array([-3.0, -3.0]), 1.0),
             _judge_dpo),
    ),
))
