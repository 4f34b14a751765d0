"""The registry: one record per loss, read by the atlas page and the parametrised tests.

Records are data. Each loss module registers its records next to the loss
itself, so adding a loss and describing it happen in the same place.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LossRecord:
    """What the course knows about one loss.

    ``formula`` is the per-sample loss in LaTeX with the course notation
    (:math:`y` target, :math:`\\hat y` prediction). ``torch`` and ``keras``
    are the exact calls that compute the same reduced value (``None`` when the
    framework has no equivalent). ``inputs`` names the kind of test data the
    loss accepts (``"real"``: two real arrays of the same shape).

    ``nonnegative`` says that no valid input gives a negative loss, and
    ``zero_at_perfect`` that the loss is 0 (up to the clipping ``eps``) at the
    perfect prediction of its ``inputs`` kind, described in
    :data:`PERFECT_PREDICTIONS`; the property tests check both claims, and a
    ``False`` must come with an input that shows it. ``torch_notes`` and
    ``keras_notes`` state, in a sentence or two of Markdown, how the framework
    differs (argument order, reduction, clipping, defaults), or which of its
    losses only looks like this one; tests run every claim. ``gradient`` is the
    per-sample gradient in LaTeX with respect to the input the atlas varies
    (``None`` exactly when ``grad`` is); tests/test_atlas.py checks it against
    ``grad``.

    ``minimiser`` says, in Markdown, what minimises the expected loss over the
    targets at one input (the conditional mean, median, class probability, ...):
    what a flexible model trained with the loss predicts. ``best_constant``
    computes it for a sample of targets (see :mod:`lossfns.minimisers`; it takes
    the loss' parameters of the same name), and ``proper`` says whether the loss,
    read as a score of the probability its prediction stands for, is strictly
    proper: minimised by the true probability and by nothing else (``None`` when
    the prediction is no probability). tests/test_minimisers.py checks all three
    by minimising the loss numerically.
    """

    name: str
    family: str
    task: str
    formula: str
    convex: bool
    differentiable: bool
    robust: bool
    fn: Callable
    grad: Callable | None
    inputs: str
    chapter: str
    reference: str
    torch: str | None = None
    keras: str | None = None
    params: dict = field(default_factory=dict)
    nonnegative: bool = True
    zero_at_perfect: bool = True
    torch_notes: str = ""
    keras_notes: str = ""
    gradient: str | None = None
    minimiser: str | None = None
    best_constant: Callable | None = None
    proper: bool | None = None


#: The perfect prediction of each ``inputs`` kind (Markdown with math), where ``zero_at_perfect`` is judged.
PERFECT_PREDICTIONS = {
    "real": r"$\hat y = y$",
    "log1p_real": r"$\hat y = y$ (targets and predictions $> -1$)",
    "counts": r"a rate equal to the count, $\hat y = y$",
    "gaussian": r"$\mu = y$ (with any variance)",
    "binary_prob": r"$p = y$ for labels $y \in \{0, 1\}$",
    "binary_labels": r"$\hat y = y$ for labels $y \in \{0, 1\}$",
    "onehot_prob": r"$p = y$ (the one-hot row itself)",
    "sparse_prob": r"$p_y = 1$ (the one-hot row of the label)",
    "sparse_logprob": r"log-probability 0 on the label and $-1000$ on every other class",
    "signed_scores": r"$\hat y = y$ for labels $y \in \{-1, +1\}$ (margin $y \hat y = 1$)",
    "sparse_scores": r"$\hat y = m\,e_y$: the true class ahead of every other by the margin $m$",
    "distributions": r"$q = p$",
    "pair_distances": r"$d = 0$ for similar pairs, $d = m$ for dissimilar ones",
    "triplets": r"positive $=$ anchor, negative at distance $\ge m$",
    "ranking_pairs": r"$x_1 - x_2 = y$: each pair ranked the right way round by 1 (the default margin is 0)",
    "cosine_pairs": r"$b = a$ for similar pairs, $b = -a$ for dissimilar ones",
    "masks": r"$\hat y = y$",
    "ctc": r"log-probability 0 on one alignment of the labels and $-1000$ elsewhere",
    "embedding_batches": r"$b_i = a_i$: every positive is its own anchor",
    "teacher_student": r"$s = t$: the student's logits are the teacher's",
    "reward_pairs": r"a reward gap $r^{\mathrm{c}} - r^{\mathrm{r}} = 5$ in favour of the chosen answer",
    "preference_logps": r"the policy keeps the chosen response's reference log-probability and puts the rejected "
                        r"one 50 nats below it (a margin $m = 5$ at $\beta = 0.1$)",
}

_RECORDS: dict[str, LossRecord] = {}


def register(record: LossRecord) -> LossRecord:
    """Add ``record``; a second record with the same name is an error."""
    if record.name in _RECORDS:
        raise ValueError(f"registry: a loss named {record.name!r} is already registered")
    _RECORDS[record.name] = record
    return record


def get(name: str) -> LossRecord:
    """Return the record of the loss called ``name``."""
    try:
        return _RECORDS[name]
    except KeyError:
        known = ", ".join(sorted(_RECORDS))
        raise KeyError(f"registry: no loss named {name!r}; known losses: {known}") from None


def records() -> tuple[LossRecord, ...]:
    """All records, ordered by family and then by name."""
    return tuple(sorted(_RECORDS.values(), key=lambda r: (r.family, r.name)))


def names() -> tuple[str, ...]:
    """The registered loss names, in the order of :func:`records`."""
    return tuple(r.name for r in records())
