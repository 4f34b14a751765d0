"""The loss atlas: one appendix page, generated from :mod:`lossfns.registry`.

Every registered loss gets a section with its formula, a figure of the loss
and its derivative along a one-dimensional slice of its inputs, its
properties, the PyTorch and Keras calls that compute the same value (with how
they differ), the chapter that teaches it and its reference. Nothing on the
page is written by hand, so it cannot drift from the code; a test regenerates
it and compares. Refresh the page and its figures with::

    python -m lossfns.atlas            # from the root of the book

The figures are SVG files written with a fixed hash salt and no date, so the
same registry and Matplotlib give the same bytes.
"""
from __future__ import annotations

import argparse
import inspect
import json
import pathlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from lossfns.plotting import COLORS, loss_and_derivative, style
from lossfns.registry import PERFECT_PREDICTIONS, LossRecord, records

__all__ = ["BATCHED", "item_loss", "FAMILIES", "PAGE", "FIGURES", "SLICES", "Slice", "figure", "page", "write", "main"]

#: Where the page and its figure folder live, relative to the root of the book.
PAGE = pathlib.Path("chapters/appendix/atlas.md")
FIGURES = pathlib.Path("chapters/appendix/atlas")

#: Section titles, in the order of the page.
FAMILIES = {
    "regression": "Regression",
    "probabilistic": "Probabilistic",
    "classification": "Classification",
    "embedding": "Embedding (metric learning)",
    "segmentation": "Segmentation",
    "sequence": "Sequence",
    "representation": "Representation learning (contrastive)",
    "distillation": "Distillation",
    "preference": "Preference learning",
}

_SVG_RC = {"svg.hashsalt": "lossfns", "svg.fonttype": "path", "path.simplify": True}
_POINTS = 241


@dataclass(frozen=True)
class Slice:
    """A one-dimensional path ``t -> inputs`` through the inputs of a loss.

    ``curves(t)`` returns ``(label, args, directions, items_axis)`` per curve:
    the loss' arguments with one item per value of ``t``, ``{k: d arg/dt}``
    for the ``k``-th gradient the loss returns, and the item axis of those
    arguments. The plotted derivative is :math:`d\\ell/dt = \\sum \\nabla\\ell
    \\cdot d\\,\\mathrm{arg}/dt`, the slope of the plotted loss.
    """

    t: tuple[float, float]
    xlabel: str
    caption: str
    curves: Callable
    ylim: tuple[float, float] | None = None


def _onehot_path(t: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(t, (1-t)/(k-1), ...)`` and their derivative in ``t``."""
    p = np.column_stack([t] + [(1.0 - t) / (k - 1)] * (k - 1))
    return p, np.broadcast_to(np.r_[1.0, np.full(k - 1, -1.0 / (k - 1))], p.shape)


def _real(t):
    return [("", (np.zeros_like(t), t), {0: np.ones_like(t)}, 0)]


def _log1p_real(t):
    return [("", (np.full_like(t, 3.0), t), {0: np.ones_like(t)}, 0)]


def _counts(t):
    return [("", (np.full_like(t, 3.0), t), {0: np.ones_like(t)}, 0)]


def _gaussian(t):
    return [("", (np.zeros_like(t), np.ones_like(t), t), {1: np.ones_like(t)}, 0)]


def _binary(t):
    return [(f"$y = {y:g}$", (np.full_like(t, y), t), {0: np.ones_like(t)}, 0) for y in (1.0, 0.0)]


def _onehot(t):
    p, dp = _onehot_path(t)
    return [("", (np.tile([1.0, 0.0, 0.0], (t.size, 1)), p), {0: dp}, 0)]


def _sparse(t):
    p, dp = _onehot_path(t)
    return [("", (np.zeros_like(t), p), {0: dp}, 0)]


def _sparse_logprob(t):
    p, dp = _onehot_path(t)
    return [("", (np.zeros_like(t), np.log(p)), {0: dp / p}, 0)]


def _ranking_pairs(t):
    return [("", (np.ones_like(t), t, np.zeros_like(t)), {0: np.ones_like(t)}, 0)]


def _signed(t):
    return [("", (np.ones_like(t), t), {0: np.ones_like(t)}, 0)]


def _sparse_scores(t):
    scores = np.column_stack([t, np.zeros_like(t), np.zeros_like(t)])
    return [("", (np.zeros_like(t), scores), {0: np.broadcast_to([1.0, 0.0, 0.0], scores.shape)}, 0)]


def _distributions(t):
    p = np.tile([0.7, 0.2, 0.1], (t.size, 1))
    q = np.column_stack([t, (1.0 - t) * 2.0 / 3.0, (1.0 - t) / 3.0])
    return [("", (p, q), {0: np.broadcast_to([1.0, -2.0 / 3.0, -1.0 / 3.0], q.shape)}, 0)]


def _pairs(t):
    return [(label, (np.full_like(t, y), t), {0: np.ones_like(t)}, 0)
            for label, y in (("similar, $y = 1$", 1.0), ("dissimilar, $y = 0$", 0.0))]


def _triplets(t):
    zeros = np.zeros((t.size, 2))
    negative = np.column_stack([t, np.zeros_like(t)])
    positive = np.tile([1.0, 0.0], (t.size, 1))
    return [("", (zeros, positive, negative), {2: np.broadcast_to([1.0, 0.0], negative.shape)}, 0)]


def _cosine(t):
    a = np.tile([1.0, 0.0], (t.size, 1))
    b = np.column_stack([np.cos(t), np.sin(t)])
    db = np.column_stack([-np.sin(t), np.cos(t)])
    return [(label, (np.full_like(t, y), a, b), {1: db}, 0)
            for label, y in (("similar, $y = 1$", 1.0), ("dissimilar, $y = -1$", -1.0))]


def _masks(t):
    y = np.tile([1.0, 1.0, 0.0, 0.0], (t.size, 1))
    return [("", (y, np.repeat(t[:, None], 4, axis=1)), {0: np.ones_like(y)}, 0)]


_CTC_ALIGNMENT = (1, 1, 2, 2)  # frames of the labels (1, 2); C = 3 classes with blank 0


def _ctc(t):
    frames, classes = len(_CTC_ALIGNMENT), 3
    z = np.zeros((frames, 1, classes))
    z[np.arange(frames), 0, _CTC_ALIGNMENT] = 1.0
    logits = t[None, :, None] * z  # (T, m, C)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=-1, keepdims=True))
    d_log_probs = z - np.sum(np.exp(log_probs) * z, axis=-1, keepdims=True)
    m = t.size
    args = (np.tile([1.0, 2.0], (m, 1)), log_probs, np.full(m, float(frames)), np.full(m, 2.0))
    return [("", args, {0: d_log_probs}, 1)]


def _embedding_batches(t):
    m = t.size
    anchors = np.tile([[1.0, 0.0], [0.0, -1.0]], (m, 1, 1))  # (m, n = 2, d = 2): one batch per value of t
    positives = anchors.copy()
    positives[:, 0] = np.column_stack([np.cos(t), np.sin(t)])
    d_positives = np.zeros_like(positives)
    d_positives[:, 0] = np.column_stack([-np.sin(t), np.cos(t)])
    return [("", (anchors, positives), {1: d_positives}, 0)]


def _teacher_student(t):
    teacher = np.tile([2.0, 1.0, 0.0], (t.size, 1))
    student = np.column_stack([t, np.ones_like(t), np.zeros_like(t)])
    return [("", (teacher, student), {0: np.broadcast_to([1.0, 0.0, 0.0], student.shape)}, 0)]


def _reward_pairs(t):
    return [("", (t, np.zeros_like(t)), {0: np.ones_like(t)}, 0)]


def _preference_logps(t):
    ref = np.full_like(t, -50.0)
    return [("", (ref + t, ref, ref, ref), {0: np.ones_like(t)}, 0)]


#: Kinds whose items are whole batches (the loss of an element depends on the others): the plotted loss of
#: an item is its batch's mean loss.
BATCHED = frozenset({"embedding_batches"})


def item_loss(record: LossRecord, args: tuple) -> np.ndarray:
    """The loss of each item of a slice: ``"none"``, averaged over each batch for the kinds in :data:`BATCHED`."""
    loss = record.fn(*args, reduction="none")
    return loss.mean(axis=-1) if record.inputs in BATCHED else loss


#: One slice per ``inputs`` kind of the registry.
SLICES = {
    "real": Slice((-3.0, 3.0), r"residual $\hat y - y$",
                  r"against the residual $\hat y - y$ (with $y = 0$)", _real),
    "log1p_real": Slice((-0.9, 15.0), r"prediction $\hat y$",
                        r"against the prediction $\hat y$ for the target $y = 3$", _log1p_real, (-3.0, 5.0)),
    "counts": Slice((0.2, 10.0), r"predicted rate $\hat y$",
                    r"against the predicted rate $\hat y$ for the count $y = 3$", _counts, (-6.0, 8.0)),
    "gaussian": Slice((0.1, 5.0), r"predicted variance $\sigma^2$",
                      r"against the predicted variance $\sigma^2$, for $y = 0$ and $\mu = 1$ (a residual of 1)",
                      _gaussian, (-3.0, 3.0)),
    "binary_prob": Slice((0.01, 0.99), r"predicted probability $p$",
                         r"against the predicted probability $p$, for a positive and a negative label",
                         _binary, (-6.0, 6.0)),
    "binary_labels": Slice((0.0, 1.0), r"score $\hat y$",
                           r"against the score $\hat y$, for a positive and a negative label (threshold 0.5)",
                           _binary, (-0.1, 1.1)),
    "onehot_prob": Slice((0.01, 0.99), r"probability of the true class $p_y$",
                         r"against the probability of the true class, $k = 3$ classes, the other two sharing "
                         r"$1 - p_y$ equally", _onehot, (-6.0, 6.0)),
    "sparse_prob": Slice((0.01, 0.99), r"probability of the true class $p_y$",
                         r"against the probability of the true class, $k = 3$ classes, the other two sharing "
                         r"$1 - p_y$ equally", _sparse, (-6.0, 6.0)),
    "sparse_logprob": Slice((0.01, 0.99), r"probability of the true class $p_y$",
                            r"against the probability of the true class, $k = 3$ classes, the other two sharing "
                            r"$1 - p_y$ equally; the loss takes $\log p$", _sparse_logprob, (-6.0, 6.0)),
    "signed_scores": Slice((-2.0, 3.0), r"margin $y \hat y$",
                           r"against the margin $y\hat y$ (label $y = +1$, score $\hat y$)", _signed),
    "sparse_scores": Slice((-2.0, 3.0), r"score of the true class $\hat y_y$",
                           r"against the score of the true class, $k = 3$ classes, the other scores 0", _sparse_scores),
    "distributions": Slice((0.02, 0.98), r"$q_1$",
                           r"against $q_1$ for $p = (0.7, 0.2, 0.1)$, with $q_2 : q_3 = 2 : 1$ (so $q = p$ at "
                           r"$q_1 = 0.7$)", _distributions, (-3.0, 3.0)),
    "pair_distances": Slice((0.0, 2.0), r"distance $d$",
                            r"against the distance $d$ of a similar and a dissimilar pair (margin $m = 1$)", _pairs),
    "triplets": Slice((0.1, 4.0), r"anchor–negative distance",
                      r"against the anchor–negative distance, with the positive at distance 1 from the anchor "
                      r"(2-d embeddings, margin $m = 1$)", _triplets),
    "ranking_pairs": Slice((-3.0, 3.0), r"score difference $x_1 - x_2$",
                           r"against the score difference $x_1 - x_2$ of a pair whose first item should rank "
                           r"higher ($y = +1$, margin $m = 0$)", _ranking_pairs),
    "cosine_pairs": Slice((0.0, np.pi), r"angle between $a$ and $b$ (radians)",
                          r"against the angle between the two embeddings, for a similar and a dissimilar pair "
                          r"(margin $m = 0$)", _cosine),
    "masks": Slice((0.0, 1.0), r"predicted probability $t$ of every pixel",
                   r"against a prediction that is $t$ on every pixel, for a mask of 4 pixels with 2 in the mask",
                   _masks),
    "ctc": Slice((0.0, 6.0), r"logit scale $t$",
                 r"against the logit scale $t$: 4 frames, 3 classes, labels $(1, 2)$, log-probabilities "
                 r"$\mathrm{log\_softmax}(t z)$ with $z = 1$ on the alignment $(1, 1, 2, 2)$ and 0 elsewhere",
                 _ctc),
    "embedding_batches": Slice((0.0, np.pi), r"angle $t$ between the first anchor and its positive (radians)",
                               r"(the mean over a batch of two pairs in 2-D) against the angle between the first "
                               r"anchor $(1, 0)$ and its positive; the second pair is $(0, -1)$ twice",
                               _embedding_batches),
    "teacher_student": Slice((-3.0, 7.0), r"student's logit $s_1$ of the first class",
                             r"against the student's first logit $s_1$, with the student's other logits $(1, 0)$ "
                             r"and the teacher's logits $(2, 1, 0)$, so the student agrees at $s_1 = 2$",
                             _teacher_student),
    "reward_pairs": Slice((-5.0, 5.0), r"reward gap $r^{\mathrm{c}} - r^{\mathrm{r}}$",
                          r"against the reward gap $r^{\mathrm{c}} - r^{\mathrm{r}}$ (with $r^{\mathrm{r}} = 0$)",
                          _reward_pairs),
    "preference_logps": Slice((-40.0, 40.0), r"log-ratio $\log \pi(y^{\mathrm{c}}) - \log \pi_{\mathrm{ref}}"
                              r"(y^{\mathrm{c}})$", r"against the policy's log-ratio on the chosen response, with the "
                              r"rejected response's log-ratio 0 (all reference log-probabilities $-50$)",
                              _preference_logps),
}

#: Wider ranges where the default slice would hide the shape of a loss.
_RANGES = {"tukey": (-7.0, 7.0), "general_robust": (-5.0, 5.0)}


def _slope(record: LossRecord, args: tuple, directions: dict, axis: int) -> np.ndarray:
    """:math:`d\\ell/dt` per item: the gradient of the summed loss dotted with the direction of the slice."""
    grads = record.grad(*args, reduction="sum")
    grads = grads if isinstance(grads, tuple) else (grads,)
    if record.inputs in BATCHED:  # the item's loss is its batch's mean
        size = np.shape(record.fn(*args, reduction="none"))[-1]
        grads = tuple(g / size for g in grads)
    total = 0.0
    for k, direction in directions.items():
        terms = np.moveaxis(grads[k] * direction, axis, 0)
        total = total + terms.reshape(terms.shape[0], -1).sum(axis=1)
    return total


def figure(record: LossRecord) -> Figure:
    """The loss (solid) and its derivative along the slice (dashed) of ``record``, as a new Figure.

    Examples
    --------
    >>> from lossfns.registry import get
    >>> fig = figure(get("huber"))
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('residual $\\\\hat y - y$', ['huber', "huber'"])
    """
    spec = SLICES[record.inputs]
    t = np.linspace(*_RANGES.get(record.name, spec.t), _POINTS)
    fig = Figure(figsize=(5.6, 3.0))
    ax = fig.subplots()
    for color, (label, args, directions, axis) in zip(COLORS, spec.curves(t), strict=False):
        loss = item_loss(record, args)
        if record.grad is None:
            ax.plot(t, loss, color=color, label=label or record.name)
        else:
            slope = _slope(record, args, directions, axis)
            loss_and_derivative(ax, t, loss, slope, label=label or record.name, color=color)
    if record.grad is None:
        ax.axhline(0.0, color="0.6", lw=0.8, zorder=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_title(record.name + ("" if record.grad is None else " and its derivative"))
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(r"$\ell$ (solid)" + ("" if record.grad is None else r", $d\ell/dt$ (dashed)"))
    if spec.ylim is not None:
        ax.set_ylim(*spec.ylim)
    return fig


def _chapter_titles(chapters_dir: pathlib.Path, stems) -> dict[str, str]:
    """Chapter file stem (``02_regression``) -> "Chapter 2 — <the notebook's first ``# `` heading>"."""
    titles = {}
    for stem in sorted(stems):
        path = chapters_dir / f"{stem}.ipynb"
        if not path.exists():
            raise FileNotFoundError(f"atlas: a registry record names the chapter {stem!r}, but {path} does not exist")
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        headings = [line[2:].strip() for c in cells if c["cell_type"] == "markdown"
                    for line in "".join(c["source"]).splitlines() if line.startswith("# ")]
        title = headings[0] if headings else stem
        titles[stem] = f"Chapter {int(stem[:2])} — {title}" if stem[:2].isdigit() else title
    return titles


def _short_call(call: str | None, prefix: str) -> str:
    """``torch.nn.functional.mse_loss(y_pred, y_true)`` -> ``mse_loss`` (``—`` for no equivalent)."""
    if call is None:
        return "—"
    return f"`{call.removeprefix(prefix).split('(')[0]}`"


def _lossfns_call(record: LossRecord) -> str:
    params = inspect.signature(record.fn).parameters.values()
    args = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    return f"lossfns.{record.name}({', '.join(args)})"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _section(record: LossRecord, chapters: dict[str, str]) -> list[str]:
    spec = SLICES[record.inputs]
    derivative = ("It has no derivative (it is piecewise constant), so only the loss is drawn."
                  if record.grad is None else
                  r"Dashed: its derivative along the slice, $d\ell/dt$ for the quantity $t$ on the horizontal axis.")
    params = ", ".join(f"`{k}={v!r}`" for k, v in record.params.items()) or "none"
    chapter = chapters.get(record.chapter, record.chapter)
    rows = [("lossfns", f"`{_lossfns_call(record)}`", "the reference: options keyword-only, float64")]
    for framework, call, notes in (("PyTorch", record.torch, record.torch_notes),
                                   ("Keras", record.keras, record.keras_notes)):
        rows.append((framework, f"`{call}`" if call else "no built-in equivalent", notes or "—"))
    return [
        f"({_label(record)})=",
        f"### {record.name}",
        "",
        f"*{record.task}* · taught in [{chapter}](../{record.chapter}.ipynb) · reference {{cite}}`{record.reference}`",
        "",
        "$$",
        rf"\ell = {record.formula}",
        "$$",
        "",
        *([] if record.gradient is None else ["Its gradient, which the dashed curve follows along the slice:", "",
                                               "$$", record.gradient, "$$", ""]),
        f"```{{figure}} atlas/{record.name}.svg",
        f":name: atlas-fig-{record.name.replace('_', '-')}",
        f":alt: {record.name}" + ("" if record.grad is None else " and its derivative"),
        "",
        f"Solid: `{record.name}` {spec.caption}, default parameters. {derivative}",
        "```",
        "",
        f"**Properties.** convex: {_yes(record.convex)} · differentiable: {_yes(record.differentiable)} · "
        f"robust to outliers: {_yes(record.robust)} · never negative: {_yes(record.nonnegative)} · "
        f"zero at a perfect prediction ({PERFECT_PREDICTIONS[record.inputs]}): {_yes(record.zero_at_perfect)}",
        "",
        *([] if record.minimiser is None else [
            f"**Population minimiser** (what a flexible model trained with it predicts): {record.minimiser}."
            + ("" if record.proper is None else f" · strictly proper: {_yes(record.proper)}"), ""]),
        f"**Parameters (defaults).** {params}",
        "",
        "| | call | how it differs |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in rows),
        "",
    ]


def _label(record: LossRecord) -> str:
    return f"atlas-{record.name.replace('_', '-')}"


def page(recs: tuple[LossRecord, ...], chapters: dict[str, str]) -> str:
    """The Markdown of the atlas page for ``recs``; ``chapters`` maps a chapter's file stem to its title."""
    unknown = sorted({r.family for r in recs} - set(FAMILIES))
    if unknown:
        raise ValueError(f"atlas: no section title for the famil(y/ies) {unknown}; add them to FAMILIES")
    lines = [
        "# Loss atlas",
        "",
        "Every loss of `lossfns` on one page: formula, the loss and its derivative, properties, and the",
        "PyTorch and Keras calls that compute the same value, with where they differ. The page is",
        "generated from `lossfns.registry` by `python -m lossfns.atlas`; the tests regenerate it and fail",
        "when it is out of date, so do not edit it by hand.",
        "",
        r"Notation: $y$ target, $\hat y$ prediction, $p$ predicted probability, $\ell$ the loss of one sample",
        "(one row, item or sequence for losses over a class axis, a mask or a sequence). *Robust to outliers*",
        "means that one sample's pull on the fit stays bounded however wrong it is. The `'mean'` reduction",
        "averages $\\ell$ over samples, `'sum'` adds them up and `'none'` returns them. Every loss also takes",
        "`sample_weight`, one weight $w_i \\ge 0$ for each value of `'none'`: `'mean'` then divides",
        "$\\sum_i w_i \\ell_i$ by the number of samples (Keras' convention) and `'weighted_mean'` by",
        "$\\sum_i w_i$ (Keras' `mean_with_sample_weight`; with class weights, PyTorch's weighted mean). The",
        "{term}`population minimiser <Population minimiser>` is the prediction that minimises the loss averaged",
        "over the targets at one input; a loss of a probability is",
        "{term}`strictly proper <Proper scoring rule>` when the true probability is its only minimiser",
        "{cite}`gneiting2007` (both checked numerically by tests/test_minimisers.py).",
        "",
        "| loss | family | convex | differentiable | robust to outliers |",
        "|---|---|---|---|---|",
    ]
    ordered = [r for family in FAMILIES for r in recs if r.family == family]
    for r in ordered:
        lines.append(f"| {{ref}}`{r.name} <{_label(r)}>` | {r.family} | {_yes(r.convex)} | "
                     f"{_yes(r.differentiable)} | {_yes(r.robust)} |")
    lines += ["", "The same losses in the frameworks (`torch.nn.functional.…` and `keras.losses.…`; — for none):", "",
              "| loss | PyTorch | Keras |", "|---|---|---|"]
    for r in ordered:
        lines.append(f"| {{ref}}`{r.name} <{_label(r)}>` | {_short_call(r.torch, 'torch.nn.functional.')} | "
                     f"{_short_call(r.keras, 'keras.losses.')} |")
    lines.append("")
    for family, title in FAMILIES.items():
        members = [r for r in ordered if r.family == family]
        if members:
            lines += [f"## {title}", ""]
            for r in members:
                lines += _section(r, chapters)
    return "\n".join(lines).rstrip("\n") + "\n"


def write(out_dir: pathlib.Path, *, chapters_dir: pathlib.Path) -> list[pathlib.Path]:
    """Write ``atlas.md`` and ``atlas/<loss>.svg`` for every registered loss into ``out_dir``.

    SVG files in ``out_dir/atlas`` that belong to no registered loss are
    removed. Returns the paths written, page first.
    """
    out_dir = pathlib.Path(out_dir)
    figures = out_dir / "atlas"
    figures.mkdir(parents=True, exist_ok=True)
    recs = records()
    written = [out_dir / "atlas.md"]
    chapters = _chapter_titles(pathlib.Path(chapters_dir), {r.chapter for r in recs})
    written[0].write_text(page(recs, chapters), encoding="utf-8")
    with mpl.rc_context():
        mpl.rcdefaults()  # the same bytes whatever a matplotlibrc or earlier code set; undone when the block ends
        with style(), mpl.rc_context(_SVG_RC):
            for record in recs:
                path = figures / f"{record.name}.svg"
                figure(record).savefig(path, format="svg", metadata={"Date": None, "Creator": None})
                written.append(path)
    for stale in set(figures.glob("*.svg")) - set(written):
        stale.unlink()
    return written


def main(argv: list[str] | None = None) -> None:
    """``python -m lossfns.atlas [--root DIR]``: rewrite the atlas page and figures of the book at ``DIR``."""
    parser = argparse.ArgumentParser(prog="python -m lossfns.atlas", description=main.__doc__)
    parser.add_argument("--root", type=pathlib.Path, default=pathlib.Path("."),
                        help="root of the book (the folder with _toc.yml); default: the current folder")
    root = parser.parse_args(argv).root
    chapters = root / "chapters"
    if not chapters.is_dir():
        parser.error(f"{chapters} is not a folder: run from the root of the book or pass --root")
    start = time.perf_counter()
    written = write(root / PAGE.parent, chapters_dir=chapters)
    print(f"wrote {written[0]} and {len(written) - 1} figures in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
