"""The lossfns API contract (DESIGN.md), checked for every loss in the registry.

New losses join these tests by registering a record; a record whose ``inputs``
kind has no generator below fails, and so does a keyword parameter with no
invalid values listed in ``INVALID_PARAMS``, so no loss can slip past the contract.

A generator returns the loss' array arguments in order; the first is the
target, and ``predicted`` says which of the others the gradient differentiates
(a loss with several returns a tuple of gradients in that order).
"""
import inspect
import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from strategies import grads_tuple, replace

import lossfns as lf
from lossfns.registry import records

REDUCTIONS = ("mean", "sum", "none")
BIB = pathlib.Path(__file__).resolve().parents[1] / "chapters" / "references.bib"


def real_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Two real arrays of the same shape with no ties (so kinks are never hit)."""
    y_true = rng.normal(size=shape)
    y_pred = y_true + rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    return y_true, y_pred


def log1p_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Non-negative targets spread over three orders of magnitude, and predictions within a factor 3 of 1 + y."""
    y_true = np.expm1(rng.uniform(0.0, 7.0, size=shape))
    return y_true, (1.0 + y_true) * np.exp(rng.uniform(-1.1, 1.1, size=shape)) - 1.0


def count_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Counts (zeros included) and positive predicted rates."""
    return rng.poisson(3.0, size=shape).astype(float), rng.uniform(0.5, 5.0, size=shape)


def gaussian_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Targets, predicted means and predicted variances well above the clamp."""
    y_true, mean = real_inputs(rng, shape)
    return y_true, mean, rng.uniform(0.5, 2.0, size=shape)


def binary_inputs(rng: np.random.Generator, shape=(4, 3)):
    """0/1 labels and probabilities away from 0, 1 and the 0.5 threshold."""
    y_pred = rng.uniform(0.05, 0.45, size=shape) + rng.choice([0.0, 0.5], size=shape)
    return rng.integers(0, 2, size=shape).astype(float), y_pred


def one_hot_inputs(rng: np.random.Generator, shape=(4, 3)):
    """One-hot target rows and predicted probability rows (entries well above eps)."""
    rows, k = shape[:-1], shape[-1]
    return np.eye(k)[rng.integers(0, k, size=rows)], rng.dirichlet(np.full(k, 3.0), size=rows)


def sparse_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Integer class labels, shape (4,), and predicted probability rows, shape (4, 3)."""
    rows, k = shape[:-1], shape[-1]
    return rng.integers(0, k, size=rows).astype(float), rng.dirichlet(np.full(k, 3.0), size=rows)


def sparse_logprob_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Integer class labels, shape (4,), and rows of log-probabilities (log_softmax outputs), shape (4, 3)."""
    labels, p = sparse_inputs(rng, shape)
    return labels, np.log(p)


def signed_inputs(rng: np.random.Generator, shape=(4, 3)):
    """-1/+1 labels and real scores whose margins 1 - y * score stay away from the hinge's kink."""
    y_true = rng.choice([-1.0, 1.0], size=shape)
    margin = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 1.5, size=shape)
    return y_true, y_true * (1.0 - margin)


def sparse_score_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Integer class labels and real class scores whose margin violations stay away from 0.

    Scores on a 0.1 grid, shifted by 0.03 per class: no two classes differ by a multiple of 0.1,
    so no violation ``margin - score[label] + score[j]`` is 0 for the default margin 1.
    """
    scores = np.round(rng.normal(scale=1.5, size=shape), 1) + 0.03 * np.arange(shape[-1])
    return rng.integers(0, shape[-1], size=shape[:-1]).astype(float), scores


def distribution_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Target and predicted probability rows (every entry well above eps)."""
    rows, k = shape[:-1], shape[-1]
    return rng.dirichlet(np.full(k, 3.0), size=rows), rng.dirichlet(np.full(k, 3.0), size=rows)


def pair_distance_inputs(rng: np.random.Generator, shape=(4, 3)):
    """0/1 "same" labels and positive distances, none within 0.05 of the default margin 1."""
    distance = rng.uniform(0.05, 2.5, size=shape)
    return rng.integers(0, 2, size=shape).astype(float), np.where(np.abs(distance - 1.0) < 0.05, 1.2, distance)


def triplet_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Anchors, positives near them and negatives farther away: four triplets of 3-d embeddings."""
    anchor = rng.normal(size=shape)
    return anchor, anchor + rng.normal(scale=0.5, size=shape), anchor + rng.normal(scale=1.5, size=shape)


def ranking_pair_inputs(rng: np.random.Generator, shape=(4, 3)):
    """-1/+1 labels and two scores per pair whose differences stay at least 0.1 away from the kink at 0."""
    x2 = rng.normal(size=shape)
    gap = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, shape)
    return rng.choice([-1.0, 1.0], size=shape), x2 + gap, x2


def cosine_pair_inputs(rng: np.random.Generator, shape=(4, 3)):
    """-1/+1 labels, shape (4,), and two embeddings per pair, shape (4, 3)."""
    return rng.choice([-1.0, 1.0], size=shape[:-1]), rng.normal(size=shape), rng.normal(size=shape)


def mask_inputs(rng: np.random.Generator, shape=(4, 3)):
    """0/1 masks of 4 items with 3 pixels each, and foreground probabilities."""
    return (rng.uniform(size=shape) < 0.5).astype(float), rng.uniform(0.05, 0.95, size=shape)


def ctc_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Padded labels (N, S) = (4, 3) in classes 1..2, log-softmax outputs (T, N, C) = (6, 4, 3), feasible lengths.

    Integers are given as floats, so that the shared checks can put NaN into every argument.
    """
    n, s = shape
    logits = rng.normal(size=(6, n, 3))
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    label_lengths = np.array([s, s, 2, 1][:n], dtype=float)  # sequence 1 uses position 2, where invalid values go
    return rng.integers(1, 3, size=shape).astype(float), log_probs, np.array([6.0, 5.0, 4.0, 6.0][:n]), label_lengths


def embedding_batch_inputs(rng: np.random.Generator, shape=(4, 3)):
    """A batch of 4 pairs of 3-d embeddings (anchors, positives), none near zero."""
    return rng.normal(size=shape), rng.normal(size=shape)


def teacher_student_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Teacher and student logits, 4 rows of 3 classes."""
    return 2.0 * rng.normal(size=shape), 2.0 * rng.normal(size=shape)


def reward_pair_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Rewards of the chosen and the rejected answers."""
    return rng.normal(size=shape), rng.normal(size=shape)


def preference_logp_inputs(rng: np.random.Generator, shape=(4, 3)):
    """Sequence log-probabilities (policy chosen, policy rejected, reference chosen, reference rejected), all < 0."""
    return tuple(-rng.uniform(1.0, 30.0, size=shape) for _ in range(4))


_LOGP = r"must lie in \(-inf, 0\] \(log-probabilities of whole responses\), got 1 value\(s\) outside it, e.g. 0.5"


@dataclass(frozen=True)
class InputKind:
    """How to make valid arguments for a loss, and values outside its domain.

    ``invalid`` lists ``(argument index, value, message)``: putting ``value``
    into that argument must raise ``ValueError`` with ``message`` after the
    function's name.

    ``mismatched(args)`` returns ``{argument index: [arrays of a wrong shape]}``
    for arguments whose shape is not simply the first argument's (or one row
    more): e.g. CTC's ``log_probs`` ``(T, N, C)``, where only a batch axis that
    differs from the labels' is a mismatch. ``mean_weights(args)`` gives the
    weight of each per-sample loss in ``"mean"`` (CTC divides each by its label
    length, as PyTorch does); without it ``"mean"`` is the plain average.
    """

    make: Callable
    predicted: tuple = (1,)
    invalid: tuple = ()
    mismatched: Callable | None = None
    mean_weights: Callable | None = None


INPUTS = {
    "real": InputKind(real_inputs),
    "log1p_real": InputKind(log1p_inputs, invalid=(
        (0, -1.0, r"y_true must lie in \(-1, inf\) \(log1p must be finite\), got 1 value\(s\) outside it, e.g. -1.0"),
        (1, -2.0, r"y_pred must lie in \(-1, inf\) \(log1p must be finite\), got 1 value\(s\) outside it, e.g. -2.0"),
    )),
    "counts": InputKind(count_inputs, invalid=(
        (0, -1.0, r"y_true must lie in \[0, inf\) \(counts\), got 1 value\(s\) outside it, e.g. -1.0"),
        (1, -0.5, r"y_pred must lie in \[0, inf\) \(rates"),
    )),
    "gaussian": InputKind(gaussian_inputs, predicted=(1, 2), invalid=(
        (2, -1e-3, r"var must lie in \[0, inf\) \(a variance\), got 1 value\(s\) outside it, e.g. -0.001"),
    )),
    "binary_prob": InputKind(binary_inputs, invalid=(
        (0, 2.0, r"y_true must lie in \[0, 1\] \(labels or target probabilities\), got 1 value\(s\) outside it"),
        (1, 1.5, r"y_pred must lie in \[0, 1\] \(probabilities; pass from_logits=True for logits\), got 1 value"),
        (1, -0.5, r"y_pred must lie in \[0, 1\] \(probabilities; pass from_logits=True for logits\), got 1 value"),
    )),
    "binary_labels": InputKind(binary_inputs, invalid=(
        (0, 2.0, r"y_true must hold labels in \{-1, \+1\} or in \{0, 1\}, got 2.0"),
        (0, 0.5, r"y_true must hold labels in \{-1, \+1\} or in \{0, 1\}, got 0.5"),
    )),
    "onehot_prob": InputKind(one_hot_inputs, invalid=(
        (0, -0.5, r"y_true must lie in \[0, 1\] \(probabilities\), got 1 value\(s\) outside it, e.g. -0.5"),
        (0, 0.5, r"each row of y_true \(last axis\) must sum to 1 within 0.0001, but row 1 sums to"),
        (1, 1.5, r"y_pred must lie in \[0, 1\] \(probabilities\), got 1 value\(s\) outside it, e.g. 1.5"),
        (1, 0.0, r"each row of y_pred \(last axis\) must sum to 1 within 0.0001, but row 1 sums to"),
    )),
    "sparse_prob": InputKind(sparse_inputs, invalid=(
        (0, 3.0, r"y_true must hold integer class labels in \[0, 2\] \(k = 3 classes"),
        (0, -1.0, r"y_true must hold integer class labels in \[0, 2\] \(k = 3 classes"),
        (0, 0.5, r"y_true must hold integer class labels in \[0, 2\], got the non-integer value 0.5"),
        (1, 1.5, r"y_pred must lie in \[0, 1\] \(probabilities\), got 1 value\(s\) outside it, e.g. 1.5"),
        (1, 0.0, r"each row of y_pred \(last axis\) must sum to 1 within 0.0001, but row 1 sums to"),
    )),
    "sparse_logprob": InputKind(sparse_logprob_inputs, invalid=(
        (0, 3.0, r"y_true must hold integer class labels in \[0, 2\] \(k = 3 classes"),
        (0, 0.5, r"y_true must hold integer class labels in \[0, 2\], got the non-integer value 0.5"),
        (1, 0.5, r"y_pred must lie in \(-inf, 0\] \(log-probabilities, e.g. log_softmax outputs; not probabilities or "
                  r"logits\), got 1 "),
        (1, -30.0, r"each row of y_pred must hold log-probabilities, whose exponentials sum to 1 \(logsumexp 0 "
                   r"within 0.0001\), but row 1 has logsumexp"),
    )),
    "signed_scores": InputKind(signed_inputs, invalid=(
        (0, 0.0, r"y_true must hold labels in \{-1, \+1\} or in \{0, 1\}, got a mix of -1 and 0"),
        (0, 2.0, r"y_true must hold labels in \{-1, \+1\} or in \{0, 1\}, got 2.0"),
    )),
    "sparse_scores": InputKind(sparse_score_inputs, invalid=(
        (0, 3.0, r"y_true must hold integer class labels in \[0, 2\] \(k = 3 classes"),
        (0, 1.5, r"y_true must hold integer class labels in \[0, 2\], got the non-integer value 1.5"),
    )),
    "distributions": InputKind(distribution_inputs, invalid=(
        (0, 1.5, r"p_true must lie in \[0, 1\] \(probabilities\), got 1 value\(s\) outside it, e.g. 1.5"),
        (0, 0.0, r"each row of p_true \(last axis\) must sum to 1 within 0.0001, but row 1 sums to"),
        (1, -0.5, r"q_pred must lie in \[0, 1\] \(probabilities\), got 1 value\(s\) outside it, e.g. -0.5"),
        (1, 0.0, r"each row of q_pred \(last axis\) must sum to 1 within 0.0001, but row 1 sums to"),
    )),
    "pair_distances": InputKind(pair_distance_inputs, invalid=(
        (0, 0.5, r"y_same must hold labels in \{0, 1\} \(1 = similar pair\), got 0.5"),
        (1, -0.5, r"distance must lie in \[0, inf\) \(a distance\), got 1 value\(s\) outside it, e.g. -0.5"),
    )),
    "triplets": InputKind(triplet_inputs, predicted=(0, 1, 2)),
    "ranking_pairs": InputKind(ranking_pair_inputs, predicted=(1, 2), invalid=(
        (0, 0.0, r"y_true must hold labels in \{-1, \+1\} \(\+1: x1 should rank above x2\), got 0.0"),
        (0, 2.0, r"y_true must hold labels in \{-1, \+1\} \(\+1: x1 should rank above x2\), got 2.0"),
    )),
    "cosine_pairs": InputKind(cosine_pair_inputs, predicted=(1, 2), invalid=(
        (0, 0.5, r"y_same must hold labels in \{-1, \+1\} or in \{0, 1\}, got 0.5"),
    )),
    "masks": InputKind(mask_inputs, invalid=(
        (0, 1.5, r"y_true must lie in \[0, 1\] \(a mask\), got 1 value\(s\) outside it, e.g. 1.5"),
        (1, -0.5, r"y_pred must lie in \[0, 1\] \(probabilities\), got 1 value\(s\) outside it, e.g. -0.5"),
    )),
    "ctc": InputKind(
        ctc_inputs,
        invalid=(
            (0, 3.0, r"labels must hold integer class labels in \[0, 2\] \(C = 3 classes on the last axis of "
                     r"log_probs\), got 3.0"),
            (0, 1.5, r"labels must hold integer class labels in \[0, 2\] .*got 1.5"),
            (0, 0.0, r"labels must not contain the blank class 0 \(CTC inserts blanks itself\); sequence 1 has it "
                     r"at position 2"),
            (1, 0.5, r"log_probs must lie in \(-inf, 1e-06\] \(log-probabilities such as log_softmax outputs\), "
                     r"got 3 value\(s\) outside it, e.g. 0.5"),
            (2, 7.0, r"input_lengths must hold integers in \[0, 6\] \(T = 6 time steps of log_probs\), got 7.0"),
            (2, 2.5, r"input_lengths must hold integers in \[0, 6\] .*got 2.5"),
            (3, 4.0, r"label_lengths must hold integers in \[0, 3\] \(S = 3 columns of labels\), got 4.0"),
        ),
        mismatched=lambda args: {1: [args[1][:, :-1], args[1][:, :, None]]},
        mean_weights=lambda args: 1.0 / np.maximum(args[3], 1.0),
    ),
    "embedding_batches": InputKind(embedding_batch_inputs, predicted=(0, 1)),
    "teacher_student": InputKind(teacher_student_inputs),
    "reward_pairs": InputKind(reward_pair_inputs, predicted=(0, 1)),
    "preference_logps": InputKind(preference_logp_inputs, predicted=(0, 1), invalid=tuple(
        (i, 0.5, f"{name} {_LOGP}")
        for i, name in enumerate(("policy_chosen", "policy_rejected", "ref_chosen", "ref_rejected")))),
}

# Optional integer parameters (None = off): anything but an integer or None is a TypeError.
INTEGER_OR_NONE = {("sparse_categorical_cross_entropy", "ignore_index"): -100, ("nll", "ignore_index"): -100}

# String options: every choice is accepted, anything else is a ValueError listing the choices.
CHOICES = {("multiclass_hinge", "variant"): ("weston_watkins", "crammer_singer")}

# Values each keyword parameter must refuse with ValueError, and the allowed range the message states.
# (Boolean flags need no entry: anything but True/False is a TypeError, checked for every flag.)
INVALID_PARAMS = {
    ("huber", "delta"): ((0.0, -1.0, np.inf, np.nan), "(0, inf)"),
    ("quantile", "q"): ((0.0, 1.0, -0.5, 1.5, np.nan), "(0, 1)"),
    ("tukey", "c"): ((0.0, -4.685, np.inf), "(0, inf)"),
    ("poisson_nll", "eps"): ((-1e-8, np.inf, np.nan), "[0, inf)"),
    ("general_robust", "alpha"): ((np.inf, np.nan), "[-inf, inf)"),
    ("general_robust", "scale"): ((0.0, -1.0, np.inf), "(0, inf)"),
    ("gaussian_nll", "eps"): ((0.0, -1e-6, np.inf), "(0, inf)"),
    ("binary_cross_entropy", "pos_weight"): ((0.0, -1.0, np.inf, np.nan), "(0, inf)"),
    ("binary_cross_entropy", "eps"): ((0.0, -1e-7, 0.5, np.nan), "(0, 0.5)"),
    ("binary_cross_entropy", "label_smoothing"): ((-0.1, 1.5, np.nan), "[0, 1]"),
    ("categorical_cross_entropy", "label_smoothing"): ((-0.1, 1.5, np.nan), "[0, 1]"),
    ("categorical_cross_entropy", "class_weight"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("categorical_cross_entropy", "eps"): ((0.0, 0.5, np.nan), "(0, 0.5)"),
    ("sparse_categorical_cross_entropy", "eps"): ((0.0, 0.5, np.nan), "(0, 0.5)"),
    ("sparse_categorical_cross_entropy", "label_smoothing"): ((-0.1, 1.5, np.nan), "[0, 1]"),
    ("sparse_categorical_cross_entropy", "class_weight"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("nll", "class_weight"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("multiclass_hinge", "margin"): ((-0.5, np.inf, np.nan), "[0, inf)"),
    ("zero_one", "threshold"): ((np.inf, -np.inf, np.nan), "(-inf, inf)"),
    ("categorical_focal", "gamma"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("categorical_focal", "alpha"): ((-0.25, np.inf, np.nan), "[0, inf)"),
    ("categorical_focal", "eps"): ((0.0, 0.5, np.nan), "(0, 0.5)"),
    ("focal", "gamma"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("focal", "alpha"): ((-0.25, 1.5, np.nan), "[0, 1]"),
    ("focal", "eps"): ((0.0, 0.5, np.nan), "(0, 0.5)"),
    ("kl_divergence", "eps"): ((0.0, 0.5, np.nan), "(0, 0.5)"),
    ("contrastive", "margin"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("triplet", "margin"): ((-0.5, np.inf, np.nan), "[0, inf)"),
    ("triplet", "p"): ((0.5, 0.0, -1.0, np.inf, np.nan), "[1, inf)"),
    ("triplet", "eps"): ((-1e-6, np.inf, np.nan), "[0, inf)"),
    ("margin_ranking", "margin"): ((np.inf, -np.inf, np.nan), "(-inf, inf)"),
    ("cosine_embedding", "margin"): ((-1.5, 1.5, np.inf, np.nan), "[-1, 1]"),
    ("dice", "smooth"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("tversky", "alpha"): ((-0.1, np.inf, np.nan), "[0, inf)"),
    ("tversky", "beta"): ((-0.1, np.inf, np.nan), "[0, inf)"),
    ("tversky", "smooth"): ((-1.0, np.inf, np.nan), "[0, inf)"),
    ("ctc", "blank"): ((-1, 3), "[0, 2]"),  # an integer parameter: the range of the generator's C = 3 classes
    ("info_nce", "temperature"): ((0.0, -0.1, np.inf, np.nan), "(0, inf)"),
    ("nt_xent", "temperature"): ((0.0, -0.1, np.inf, np.nan), "(0, inf)"),
    ("distillation", "temperature"): ((0.0, -2.0, np.inf, np.nan), "(0, inf)"),
    ("dpo", "beta"): ((0.0, -0.1, np.inf, np.nan), "(0, inf)"),
    # the class axis (lossfns/_axis.py): the generated predictions have 2 axes
    ("categorical_cross_entropy", "axis"): ((2, -3), "[-2, 1]"),
    ("sparse_categorical_cross_entropy", "axis"): ((2, -3), "[-2, 1]"),
    ("multiclass_hinge", "axis"): ((2, -3), "[-2, 1]"),
    ("kl_divergence", "axis"): ((2, -3), "[-2, 1]"),
    ("nll", "axis"): ((2, -3), "[-2, 1]"),
    ("categorical_focal", "axis"): ((2, -3), "[-2, 1]"),
}

RECORDS = records()
WITH_GRAD = [r for r in RECORDS if r.grad is not None]


def kind(record) -> InputKind:
    if record.inputs not in INPUTS:
        pytest.fail(f"no test-input generator for inputs kind {record.inputs!r} of loss {record.name!r}")
    return INPUTS[record.inputs]


def make_inputs(record, seed=0) -> tuple:
    return kind(record).make(np.random.default_rng(seed))


def arg_names(f) -> tuple:
    params = inspect.signature(f).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)


def keyword_params(f) -> dict:
    """The loss' own keyword parameters: all but ``reduction`` and ``sample_weight`` (tested below for every loss)."""
    params = inspect.signature(f).parameters.values()
    return {p.name: p.default for p in params
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name not in ("reduction", "sample_weight")}


def ids(recs):
    return [r.name for r in recs]


def test_registry_is_not_empty():
    expected = {"mse", "mae", "huber", "log_cosh", "quantile", "tukey", "poisson_nll", "general_robust", "gaussian_nll"}
    assert expected <= set(lf.registry.names())


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_record_is_complete(record):
    assert record.family and record.task and record.formula and record.reference and record.chapter
    assert record.fn.__module__ == f"lossfns.{record.family}"
    assert record.fn.__doc__ and "Examples" in record.fn.__doc__
    if record.grad is not None:
        assert record.grad.__name__ == f"{record.name}_grad"
        assert record.grad.__module__ == record.fn.__module__
        assert arg_names(record.grad) == arg_names(record.fn)
        assert keyword_params(record.grad) == keyword_params(record.fn)


def bibliography_keys() -> set:
    return set(re.findall(r"^@\w+\{([^,\s]+),", BIB.read_text(encoding="utf-8"), flags=re.MULTILINE))


def test_bibliography_keys_are_read():
    keys = bibliography_keys()
    assert {"legendre1805", "huber1964", "barron2019"} <= keys
    assert "not_a_key" not in keys


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_reference_is_a_key_of_the_bibliography(record):
    assert record.reference in bibliography_keys(), f"{record.reference!r} is not in {BIB.name}"


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_reductions_agree(record):
    args = make_inputs(record)
    mean, total = record.fn(*args), record.fn(*args, reduction="sum")
    per_sample = record.fn(*args, reduction="none")
    assert isinstance(mean, np.float64) and isinstance(total, np.float64)
    assert isinstance(per_sample, np.ndarray)
    weights = kind(record).mean_weights
    if weights is None:
        np.testing.assert_allclose(total, mean * per_sample.size, rtol=1e-13)
    else:
        np.testing.assert_allclose(mean, np.mean(weights(args) * per_sample), rtol=1e-13)
        assert abs(total - mean * per_sample.size) > 1e-6 * abs(total), "the weights make no difference: drop them"
    np.testing.assert_allclose(per_sample.sum(), total, rtol=1e-13)


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
def test_gradient_is_one_array_per_predicted_input(record):
    args = make_inputs(record)
    predicted = kind(record).predicted
    out = record.grad(*args)
    if len(predicted) == 1:
        assert isinstance(out, np.ndarray), "a loss with one predicted input returns one array, not a tuple"
    else:
        assert isinstance(out, tuple) and len(out) == len(predicted)
    for i, g in zip(predicted, grads_tuple(record, args), strict=True):
        assert isinstance(g, np.ndarray) and g.shape == args[i].shape and g.dtype == np.float64


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradient_matches_finite_differences(record, reduction):
    args = make_inputs(record, seed=1)
    for k, i in enumerate(kind(record).predicted):
        result = lf.gradcheck(
            lambda p, i=i: record.fn(*replace(args, i, p), reduction=reduction),
            lambda p, i=i, k=k: grads_tuple(record, replace(args, i, p), reduction=reduction)[k],
            args[i],
        )
        assert result, f"d/d{arg_names(record.fn)[i]}: {result!r}"


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
def test_gradient_of_none_is_each_elements_own_derivative(record):
    args = make_inputs(record, seed=2)
    grads_none = grads_tuple(record, args, reduction="none")
    for i, grad_none in zip(kind(record).predicted, grads_none, strict=True):
        assert grad_none.shape == np.shape(args[i])
        numerical = lf.numerical_grad(lambda p, i=i: record.fn(*replace(args, i, p), reduction="sum"), args[i])
        np.testing.assert_allclose(grad_none, numerical, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_inputs_are_never_modified_and_lists_and_float32_are_accepted(record):
    args = make_inputs(record, seed=3)
    copies = tuple(a.copy() for a in args)
    funcs = [record.fn] + ([record.grad] if record.grad else [])
    for f in funcs:
        for reduction in REDUCTIONS:
            expected = f(*args, reduction=reduction)
            for a, c in zip(args, copies, strict=True):
                np.testing.assert_array_equal(a, c)
            np.testing.assert_allclose(f(*(a.tolist() for a in args), reduction=reduction), expected)
            got32 = f(*(a.astype(np.float32) for a in args), reduction=reduction)
            for got, want in zip(got32 if isinstance(got32, tuple) else (got32,),
                                 expected if isinstance(expected, tuple) else (expected,), strict=True):
                assert np.asarray(got).dtype == np.float64
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_bad_input_raises_clear_errors(record):
    args = make_inputs(record, seed=4)
    names = arg_names(record.fn)
    assert len(names) == len(args)
    for f in [record.fn] + ([record.grad] if record.grad else []):
        name = f.__name__
        mismatched = kind(record).mismatched(args) if kind(record).mismatched else {}
        for i in range(1, len(args)):
            # same-shaped arguments: one column short; labels (4,) with scores (4, k): one row short, for every kind
            default = ([args[i][:, :2]] if args[i].shape == args[0].shape else []) + [args[i][:-1]]
            for short in mismatched.get(i, default):
                shapes = rf"{re.escape(str(short.shape))} but {names[0]} has shape {re.escape(str(args[0].shape))}"
                with pytest.raises(ValueError, match=rf"^{name}: {names[i]} has shape {shapes}"):
                    f(*replace(args, i, short))
        for i in range(len(args)):
            for bad_value in (np.nan, np.inf, -np.inf):
                bad = args[i].copy()
                bad[(0,) * bad.ndim] = bad_value
                with pytest.raises(ValueError, match=rf"^{name}: {names[i]} contains 1 NaN or infinite"):
                    f(*replace(args, i, bad))
            with pytest.raises(TypeError, match=rf"^{name}: {names[i]} must be numeric"):
                f(*replace(args, i, np.full(args[i].shape, "x")))
        with pytest.raises(TypeError, match=rf"^{name}: {names[0]} must be numeric"):
            f("not an array", *args[1:])
        with pytest.raises(ValueError, match=rf"^{name}: reduction must be one of"):
            f(*args, reduction="average")
        with pytest.raises(ValueError, match=rf"^{name}: {names[0]} is empty"):
            f(*([] for _ in args))


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_values_outside_the_domain_raise_value_errors_naming_the_argument(record):
    args = make_inputs(record, seed=5)
    for f in [record.fn] + ([record.grad] if record.grad else []):
        for i, value, message in kind(record).invalid:
            bad = args[i].copy()
            bad[(1, 2)[-bad.ndim:]] = value
            with pytest.raises(ValueError, match=rf"^{f.__name__}: {message}"):
                f(*replace(args, i, bad))
            f(*args)  # the valid arguments still pass


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_invalid_parameters_raise_errors_naming_the_parameter_and_the_range(record):
    args = make_inputs(record, seed=6)
    for param, default in keyword_params(record.fn).items():
        for f in [record.fn] + ([record.grad] if record.grad else []):
            name = f.__name__
            if isinstance(default, bool):
                for bad in (1, "yes", None):
                    with pytest.raises(TypeError, match=rf"^{name}: {param} must be True or False, got"):
                        f(*args, **{param: bad})
                continue
            if (record.name, param) in CHOICES:
                listed = ", ".join(map(repr, CHOICES[(record.name, param)]))
                for bad in ("crammer", "", 1.0, None):
                    with pytest.raises(ValueError, match=rf"^{name}: {param} must be one of {re.escape(listed)}, got"):
                        f(*args, **{param: bad})
                for choice in CHOICES[(record.name, param)]:
                    f(*args, **{param: choice})
                continue
            if (record.name, param) in INTEGER_OR_NONE:
                for bad in (1.5, "1"):
                    with pytest.raises(TypeError, match=rf"^{name}: {param} must be an integer, got"):
                        f(*args, **{param: bad})
                f(*args, **{param: INTEGER_OR_NONE[(record.name, param)]})
                f(*args, **{param: default})
                continue
            if (record.name, param) not in INVALID_PARAMS:
                pytest.fail(f"INVALID_PARAMS has no invalid values for {record.name}({param}=...)")
            values, allowed = INVALID_PARAMS[(record.name, param)]
            if isinstance(default, int):  # an integer parameter (ctc's blank): check_int's messages
                for bad in values:
                    message = rf"^{name}: {param} must be an integer in {re.escape(allowed)}, got {bad!r}"
                    with pytest.raises(ValueError, match=message):
                        f(*args, **{param: bad})
                for bad in ("1", float(default)):
                    kind_of_bad = type(bad).__name__
                    with pytest.raises(TypeError, match=rf"^{name}: {param} must be an integer, got {kind_of_bad}"):
                        f(*args, **{param: bad})
                f(*args, **{param: default})
                continue
            for bad in values:
                message = rf"^{name}: {param} must lie in {re.escape(allowed)}, got {re.escape(repr(float(bad)))}$"
                with pytest.raises(ValueError, match=message):
                    f(*args, **{param: bad})
            with pytest.raises(TypeError, match=rf"^{name}: {param} must be a real number, got str"):
                f(*args, **{param: "1"})
            f(*args, **{param: default})  # the default itself is valid


# --- sample_weight (every loss) ------------------------------------------------------------------------------------


def sample_weights(record, args, seed=7) -> np.ndarray:
    """Weights in [0, 3] of the per-sample losses (``reduction="none"``), one of them 0 and none equal."""
    shape = np.shape(record.fn(*args, reduction="none"))
    w = np.random.default_rng(seed).uniform(0.2, 3.0, size=shape)
    w[(0,) * w.ndim] = 0.0
    return w


def weighted_reductions(record, args, w) -> dict:
    """The four reductions of ``w * ell`` written out from the unweighted ``"none"`` output (CTC's "mean" divides
    each loss by its label length first)."""
    ell = np.asarray(record.fn(*args, reduction="none"))
    weights = kind(record).mean_weights
    scaled = ell if weights is None else weights(args) * ell
    w = np.broadcast_to(w, ell.shape)
    return {"none": w * ell, "sum": np.sum(w * ell), "mean": np.sum(w * scaled) / ell.size,
            "weighted_mean": np.sum(w * scaled) / np.sum(w)}


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_every_loss_and_gradient_takes_sample_weight(record):
    for f in filter(None, (record.fn, record.grad)):
        param = inspect.signature(f).parameters.get("sample_weight")
        assert param is not None and param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is None


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_sample_weight_gives_the_weighted_reduction_of_the_per_sample_losses(record):
    args = make_inputs(record, seed=8)
    w = sample_weights(record, args)
    for reduction, want in weighted_reductions(record, args, w).items():
        got = record.fn(*args, sample_weight=w, reduction=reduction)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=reduction)
        assert np.shape(got) == np.shape(want)
    for reduction in ("mean", "sum", "none"):  # weights of 1 change nothing, and weighted_mean is then the mean
        np.testing.assert_allclose(record.fn(*args, sample_weight=np.ones_like(w), reduction=reduction),
                                   record.fn(*args, reduction=reduction), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(record.fn(*args, reduction="weighted_mean"), record.fn(*args), rtol=1e-13)
    assert abs(record.fn(*args, sample_weight=w) - record.fn(*args)) > 1e-6 * abs(record.fn(*args)), "no effect"


@pytest.mark.parametrize("record", [r for r in RECORDS if np.ndim(r.fn(*make_inputs(r), reduction="none")) == 2],
                         ids=lambda r: r.name)
def test_a_sample_weight_axis_of_length_one_repeats_the_weight(record):
    args = make_inputs(record, seed=9)
    w = sample_weights(record, args)[:, :1]  # one weight per row of (n, k) per-sample losses
    full = np.broadcast_to(w, np.shape(record.fn(*args, reduction="none")))
    for reduction in ("mean", "sum", "none", "weighted_mean"):
        np.testing.assert_allclose(record.fn(*args, sample_weight=w, reduction=reduction),
                                   record.fn(*args, sample_weight=full, reduction=reduction), rtol=1e-13)


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
@pytest.mark.parametrize("reduction", ["mean", "sum", "weighted_mean"])
def test_weighted_gradient_matches_finite_differences(record, reduction):
    args = make_inputs(record, seed=1)
    w = sample_weights(record, args)
    for k, i in enumerate(kind(record).predicted):
        result = lf.gradcheck(
            lambda p, i=i: record.fn(*replace(args, i, p), sample_weight=w, reduction=reduction),
            lambda p, i=i, k=k: grads_tuple(record, replace(args, i, p), sample_weight=w, reduction=reduction)[k],
            args[i],
        )
        assert result, f"d/d{arg_names(record.fn)[i]}: {result!r}"


@pytest.mark.parametrize("record", WITH_GRAD, ids=ids(WITH_GRAD))
def test_weighted_gradient_of_none_is_the_derivative_of_the_weighted_sum(record):
    args = make_inputs(record, seed=2)
    w = sample_weights(record, args)
    for k, i in enumerate(kind(record).predicted):
        got = grads_tuple(record, args, sample_weight=w, reduction="none")[k]
        numerical = lf.numerical_grad(
            lambda p, i=i: record.fn(*replace(args, i, p), sample_weight=w, reduction="sum"), args[i])
        np.testing.assert_allclose(got, numerical, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(got, grads_tuple(record, args, sample_weight=w, reduction="sum")[k], rtol=1e-13)


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
def test_bad_sample_weights_raise_errors_naming_sample_weight(record):
    args = make_inputs(record, seed=10)
    shape = np.shape(record.fn(*args, reduction="none"))
    w = sample_weights(record, args) + 0.5
    # (n,) against (n, 1) or (n, k), a missing axis, one loss too many: never broadcast silently
    wrong = [w[..., None], np.ones(shape[:-1]), np.ones(shape[:-1] + (shape[-1] + 1,)), np.ones((2,) + shape)]
    for f in filter(None, (record.fn, record.grad)):
        name = f.__name__
        for bad in wrong:
            message = (rf"^{name}: sample_weight has shape {re.escape(str(bad.shape))} but the per-sample losses "
                       rf"\(reduction='none'\) have shape {re.escape(str(shape))}")
            with pytest.raises(ValueError, match=message):
                f(*args, sample_weight=bad)
        for value, message in ((-0.5, r"must lie in \[0, inf\) \(weights\), got 1 value\(s\) outside it, e.g. -0.5"),
                               (np.nan, r"contains 1 NaN or infinite value\(s\)"),
                               (np.inf, r"contains 1 NaN or infinite value\(s\)")):
            bad = w.copy()
            bad[(0,) * bad.ndim] = value
            for reduction in ("mean", "none"):
                with pytest.raises(ValueError, match=rf"^{name}: sample_weight {message}"):
                    f(*args, sample_weight=bad, reduction=reduction)
        with pytest.raises(TypeError, match=rf"^{name}: sample_weight must be numeric"):
            f(*args, sample_weight=np.full(shape, "x"))
        with pytest.raises(TypeError, match=rf"^{name}: sample_weight must be numeric"):
            f(*args, sample_weight="heavy")
        with pytest.raises(ValueError, match=rf"^{name}: the weights sum to 0, so reduction='weighted_mean'"):
            f(*args, sample_weight=np.zeros(shape), reduction="weighted_mean")
        f(*args, sample_weight=np.zeros(shape), reduction="mean")  # all zero is a valid weighting of a mean: 0
