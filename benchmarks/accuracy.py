"""How exact are loss implementations? Every loss against a 50-digit mpmath reference.

For every registered loss (and the logit / log-rate variants of the losses
that have them) the script evaluates the ``"mean"`` loss of a set of input
cases, ordinary and extreme, with ``lossfns``, PyTorch (float64 and float32)
and Keras (float64 and float32), and compares each value with a reference
computed from the loss' mathematical definition in 50-digit arithmetic with
``mpmath``. It writes

* ``benchmarks/results/accuracy.json`` (every case, every implementation),
* ``benchmarks/results/accuracy_table.md`` and ``accuracy_conventions.md``
  (the tables included by the book page ``chapters/appendix/numerics.md``),
* ``chapters/appendix/numerics/accuracy.png`` (the figure of that page).

    python benchmarks/accuracy.py               # everything (about a minute)
    python benchmarks/accuracy.py --only lossfns --no-write   # just check lossfns

The error measure, per case and implementation, is
``|computed - reference| / max(|reference|, tiny)`` with ``tiny`` the smallest
normal number of the implementation's float type (2.2e-308 for float64,
1.2e-38 for float32): a relative error, except that a reference so small that
the float type cannot hold it to full precision is compared absolutely. Where
the reference exceeds the largest float of that type, ``inf`` is the correctly
rounded answer and is counted as "overflow (expected)", not as an error. NaN is
always a failure.

Conventions: a framework is compared with the reference of the definition *it*
computes (Keras' Poisson adds 1e-7 inside the log, PyTorch's 1e-8); cases where
a probability falls into a clip or clamp region that differs between libraries
(exact 0 and 1, 1e-300, ...) are reported apart, in the conventions table,
with each library's value next to the course's clipped reference.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import mpmath as mp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

import lossfns  # noqa: E402, F401  (registers every loss)
from lossfns.classification import EPS  # noqa: E402
from lossfns.embedding import COSINE_EPS  # noqa: E402
from lossfns.registry import get, names  # noqa: E402

DPS = 50
IMPLEMENTATIONS = ("lossfns", "torch-f64", "torch-f32", "keras-f64", "keras-f32")
GOAL = 1e-12
"""The goal for ``lossfns``: relative error at most this wherever the reference is finite."""

mp.mp.dps = DPS
M = mp.mpf


# --- references: the definitions, per item, in 50-digit arithmetic -------------------------------------


def _flat(*arrays):
    return zip(*(np.asarray(a, dtype=np.float64).ravel().tolist() for a in arrays), strict=True)


def _clip(p, eps):
    return min(max(p, M(eps)), 1 - M(eps))


def _softplus(z):
    return mp.log1p(mp.exp(z))


def _xlog(a, b):
    """:math:`a \\log b` with :math:`0 \\log b = 0`."""
    return M(0) if a == 0 else a * mp.log(b)


def elementwise(f: Callable) -> Callable:
    """A reference for a loss of two same-shaped arrays, from its per-element loss ``f(y, y_hat, **kw)``."""
    def ref(args, **kw):
        return [f(M(y), M(p), **kw) for y, p in _flat(*args)]
    return ref


def ref_huber(y, p, delta=1.0):
    a = abs(p - y)
    return a * a / 2 if a <= delta else delta * (a - M(delta) / 2)


def ref_quantile(y, p, q=0.5):
    r = y - p
    return max(q * r, (M(q) - 1) * r)


def ref_tukey(y, p, c=4.685):
    t = abs(p - y) / c
    scale = M(c) ** 2 / 6
    return scale if t >= 1 else scale * t * t * (3 - 3 * t * t + t**4)  # 1 - (1 - u)^3 without 1 - tiny


def ref_general_robust(y, p, alpha=1.0, scale=1.0):
    z = ((p - y) / scale) ** 2
    b = abs(M(alpha) - 2)
    return b / alpha * mp.expm1(M(alpha) / 2 * mp.log1p(z / b))  # (1 + z/b)^(alpha/2) - 1 without 1 + tiny


def ref_poisson(y, p, eps=1e-8, log_input=False):
    if log_input:
        return mp.exp(p) - y * p
    return p - _xlog(y, p + M(eps))


def ref_bce(y, p, eps=EPS, from_logits=False):
    if from_logits:
        return y * _softplus(-p) + (1 - y) * _softplus(p)
    pc = _clip(p, eps)
    return -(y * mp.log(pc) + (1 - y) * mp.log(1 - pc))


def ref_focal(y, p, gamma=2.0, eps=EPS, from_logits=False):
    if from_logits:
        prob, comp = 1 / (1 + mp.exp(-p)), 1 / (1 + mp.exp(p))
        ce = y * _softplus(-p) + (1 - y) * _softplus(p)
    else:
        prob = _clip(p, eps)
        comp = 1 - prob
        ce = -(y * mp.log(prob) + (1 - y) * mp.log(comp))
    return (y * comp + (1 - y) * prob) ** gamma * ce


def ref_gaussian(args, eps=1e-6):
    out = []
    for y, mu, v in _flat(*args):
        v = max(M(v), M(eps))
        out.append((mp.log(v) + (M(y) - mu) ** 2 / v) / 2)
    return out


def _rows(*arrays):
    """The rows (last axis) of same-batch arrays, as lists of mpf."""
    flat = [np.asarray(a, dtype=np.float64).reshape(-1, np.shape(a)[-1]) for a in arrays]
    return zip(*([[M(v) for v in row] for row in f.tolist()] for f in flat), strict=True)


def _one_hot(labels, k):
    return np.eye(k)[np.asarray(labels, dtype=np.int64)]


def ref_cross_entropy(args, from_logits=False, eps=EPS, sparse=False):
    y, x = args
    if sparse:
        y = _one_hot(y, np.shape(x)[-1])
    out = []
    for t, row in _rows(y, x):
        if from_logits:  # -log softmax_j = (m - z_j) + log1p(sum of exp(z_i - m) over i != top); no 1 + tiny
            top = max(range(len(row)), key=row.__getitem__)
            log_sum = mp.log1p(mp.fsum(mp.exp(z - row[top]) for i, z in enumerate(row) if i != top))
            out.append(mp.fsum(ti * (row[top] - z) for ti, z in zip(t, row, strict=True)) + mp.fsum(t) * log_sum)
        else:
            total = mp.fsum(row)
            out.append(-mp.fsum(_xlog(ti, _clip(p / total, eps)) for ti, p in zip(t, row, strict=True)))
    return out


def ref_categorical_focal(args, gamma=2.0, eps=EPS):
    out = []
    for t, row in _rows(*args):
        total = mp.fsum(row)
        p = [_clip(v / total, eps) for v in row]
        out.append(-mp.fsum(_xlog(ti * (1 - pj) ** M(gamma), pj) for ti, pj in zip(t, p, strict=True)))
    return out


def ref_margin_ranking(args, margin=0.0):
    return [max(M(0), M(margin) - M(y) * (M(a) - M(b))) for y, a, b in _flat(*args)]


def ref_nll(args):
    labels, logp = args
    return [-M(row[int(y)]) for y, row in zip(np.ravel(labels), np.reshape(logp, (-1, np.shape(logp)[-1])),
                                              strict=True)]


def ref_kl(args, eps=1e-7):
    return [mp.fsum(_xlog(p, p) - _xlog(p, max(q, M(eps))) for p, q in zip(pr, qr, strict=True))
            for pr, qr in _rows(*args)]


def ref_signed(y):
    y = np.asarray(y, dtype=np.float64)
    return 2.0 * y - 1.0 if np.isin(y, (0.0, 1.0)).all() else y


def ref_hinge(args, squared=False):
    y, s = args
    out = []
    for t, p in _flat(ref_signed(y), s):
        h = max(M(0), 1 - M(t) * p)
        out.append(h * h if squared else h)
    return out


def ref_multiclass_hinge(args, margin=1.0):
    labels, x = args
    out = []
    for (lab,), row in _rows(np.asarray(labels)[..., None], x):
        true = row[int(lab)]
        out.append(mp.fsum(max(M(0), margin - true + v) for j, v in enumerate(row) if j != int(lab)) / len(row))
    return out


def ref_zero_one(args, threshold=0.5):
    y, s = args
    return [M(int((p >= threshold) != (t > 0))) for t, p in _flat(ref_signed(y), s)]


def ref_contrastive(args, margin=1.0):
    return [y * d * d + (1 - M(y)) * max(M(0), margin - M(d)) ** 2 for y, d in _flat(*args)]


def ref_triplet(args, margin=1.0, eps=1e-6):
    def dist(u, v):
        return mp.sqrt(mp.fsum((a - b + M(eps)) ** 2 for a, b in zip(u, v, strict=True)))
    return [max(M(0), margin + dist(a, p) - dist(a, n)) for a, p, n in _rows(*args)]


def ref_cosine(args, margin=0.0):
    y, a, b = args
    out = []
    for (t,), u, v in _rows(ref_signed(np.asarray(y))[..., None], a, b):
        dot = mp.fsum(x * z for x, z in zip(u, v, strict=True))
        cos = dot / mp.sqrt((mp.fsum(x * x for x in u) + M(COSINE_EPS)) * (mp.fsum(z * z for z in v) + M(COSINE_EPS)))
        out.append(1 - cos if t > 0 else max(M(0), cos - margin))
    return out


def ref_tversky(args, alpha=0.5, beta=0.5, smooth=1.0):
    y, p = (np.asarray(a, dtype=np.float64).reshape(np.shape(a)[0], -1) for a in args)
    out = []
    for t, q in _rows(y, p):
        tp = mp.fsum(a * b for a, b in zip(t, q, strict=True))
        fp = mp.fsum((1 - a) * b for a, b in zip(t, q, strict=True))
        fn = mp.fsum(a * (1 - b) for a, b in zip(t, q, strict=True))
        out.append(1 - (tp + smooth) / (tp + alpha * fp + beta * fn + smooth))
    return out


def ref_dice(args, smooth=1.0):
    return ref_tversky(args, smooth=smooth / 2)


def ref_ctc(args, blank=0):
    """:math:`-\\log p(l \\mid x)` per sequence, by the forward recursion of Graves et al. (2006)."""
    labels, log_probs, input_lengths, label_lengths = args
    out = []
    for n in range(log_probs.shape[1]):
        length, t_max = int(label_lengths[n]), int(input_lengths[n])
        ext = [blank]
        for c in np.asarray(labels)[n, :length].astype(int).tolist():
            ext += [c, blank]
        prob = [[mp.exp(M(v)) for v in log_probs[t, n].tolist()] for t in range(t_max)]
        alpha = [prob[0][ext[0]], prob[0][ext[1]] if len(ext) > 1 else M(0)] + [M(0)] * (len(ext) - 2)
        for t in range(1, t_max):
            alpha = [(alpha[s] + (alpha[s - 1] if s >= 1 else 0)
                      + (alpha[s - 2] if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] else 0)) * prob[t][ext[s]]
                     for s in range(len(ext))]
        total = alpha[-1] + (alpha[-2] if len(ext) > 1 else 0) if t_max > 0 else M(int(length == 0))
        out.append(-mp.log(total) if total > 0 else mp.inf)
    return out


# --- the rows of the table: a loss (or a variant of it) and what each library calls -------------------


@dataclass(frozen=True)
class Row:
    """One line of the table.

    ``kwargs`` are the ``lossfns`` options of the variant; ``torch``/``keras``
    the framework calls (the registry's, unless the variant needs another);
    ``ref_kwargs`` per implementation state where its definition differs from
    the course's by a constant; ``boundary`` per implementation says which
    inputs fall into a clip region whose convention differs (those cases go
    to the conventions table for that implementation). ``mean_weights(args)``
    weighs the per-item losses in ``"mean"`` (CTC divides by label lengths).
    """

    loss: str
    variant: str
    ref: Callable
    inputs: str
    kwargs: dict = field(default_factory=dict)
    torch: str | None = None
    keras: str | None = None
    ref_kwargs: dict = field(default_factory=dict)
    boundary: dict = field(default_factory=dict)
    mean_weights: Callable | None = None

    @property
    def label(self) -> str:
        return self.loss + (f" ({self.variant})" if self.variant else "")


def _unit_mp(row):
    norm = mp.sqrt(mp.fsum(M(x) ** 2 for x in row))
    return [M(x) / norm for x in row]


def _neg_log_softmax(logits, index):
    top = max(logits)
    return mp.log(mp.fsum(mp.exp(z - top) for z in logits)) - (logits[index] - top)


def ref_info_nce(args, temperature=0.1, symmetric=False, normalize=True):
    a, b = (np.asarray(x, dtype=np.float64) for x in args)
    ua = [_unit_mp(r) if normalize else [M(x) for x in r] for r in a]
    ub = [_unit_mp(r) if normalize else [M(x) for x in r] for r in b]
    s = [[mp.fsum(x * y for x, y in zip(u, v, strict=True)) / M(temperature) for v in ub] for u in ua]
    rows = [_neg_log_softmax(s[i], i) for i in range(len(s))]
    if not symmetric:
        return rows
    cols = [_neg_log_softmax([s[j][i] for j in range(len(s))], i) for i in range(len(s))]
    return [(r + c) / 2 for r, c in zip(rows, cols, strict=True)]


def ref_nt_xent(args, temperature=0.5):
    z = [_unit_mp(r) for r in np.concatenate([np.asarray(x, dtype=np.float64) for x in args])]
    n2 = len(z)
    out = []
    for i in range(n2):
        others = [j for j in range(n2) if j != i]
        logits = [mp.fsum(x * y for x, y in zip(z[i], z[j], strict=True)) / M(temperature) for j in others]
        out.append(_neg_log_softmax(logits, others.index((i + n2 // 2) % n2)))
    return out


def _softmax_mp(row, temperature):
    z = [M(x) / M(temperature) for x in row]
    top = max(z)
    e = [mp.exp(v - top) for v in z]
    total = mp.fsum(e)
    return [v / total for v in e]


def ref_distillation(args, temperature=2.0):
    out = []
    with mp.workdps(2 * mp.mp.dps):  # the sum cancels to the square of the gap: 1e-24 for a gap of 1e-12
        for t, s in _rows(*args):
            p, q = _softmax_mp(t, temperature), _softmax_mp(s, temperature)
            out.append(M(temperature) ** 2 * mp.fsum(a * mp.log(a / b) for a, b in zip(p, q, strict=True) if a > 0))
    return [+v for v in out]  # rounded to the working precision


def _log1p_exp_neg(m):
    return mp.log1p(mp.exp(-m))


def ref_bradley_terry(args):
    return [_log1p_exp_neg(M(c) - M(r)) for c, r in _flat(*args)]


def ref_dpo(args, beta=0.1):
    return [_log1p_exp_neg(M(beta) * ((M(pc) - M(rc)) - (M(pr) - M(rr)))) for pc, pr, rc, rr in _flat(*args)]


def outside_clip(*positions):
    """A predicate: does any probability in the arguments at ``positions`` lie outside ``[EPS, 1 - EPS]``?"""
    def test(args):
        return any(((np.asarray(args[i]) < EPS) | (np.asarray(args[i]) > 1 - EPS)).any() for i in positions)
    return test


def below_eps(*positions):
    """A predicate: is any value of the arguments at ``positions`` below ``EPS`` (KL's clip of q, and Keras' of p)?"""
    def test(args):
        return any((np.asarray(args[i]) < EPS).any() for i in positions)
    return test


def _registry_row(loss, ref, inputs, **extra):
    record = get(loss)
    return Row(loss, "", ref, inputs, torch=record.torch, keras=record.keras, **extra)


FRAMEWORKS = ("torch", "keras")
CLIP_ALL = dict.fromkeys(FRAMEWORKS, outside_clip(1))

ROWS = (
    _registry_row("mse", elementwise(lambda y, p: (p - y) ** 2), "real"),
    _registry_row("mae", elementwise(lambda y, p: abs(p - y)), "real"),
    _registry_row("msle", elementwise(lambda y, p: (mp.log1p(p) - mp.log1p(y)) ** 2), "log1p_real",
                  boundary={"keras": below_eps(0, 1)}),
    _registry_row("huber", elementwise(ref_huber), "real"),
    _registry_row("log_cosh", elementwise(lambda y, p: mp.log1p(2 * mp.sinh((p - y) / 2) ** 2)), "real"),
    _registry_row("quantile", elementwise(ref_quantile), "real"),
    _registry_row("tukey", elementwise(ref_tukey), "real"),
    _registry_row("general_robust", elementwise(ref_general_robust), "real"),
    _registry_row("poisson_nll", elementwise(ref_poisson), "counts", ref_kwargs={"keras": {"eps": 1e-7}}),
    Row("poisson_nll", "log_input", elementwise(ref_poisson), "log_counts", kwargs={"log_input": True},
        torch="torch.nn.functional.poisson_nll_loss(y_pred, y_true, log_input=True)"),
    _registry_row("gaussian_nll", ref_gaussian, "gaussian"),
    _registry_row("kl_divergence", ref_kl, "distributions",
                  boundary={"torch": below_eps(1), "keras": below_eps(0, 1)}),
    _registry_row("binary_cross_entropy", elementwise(ref_bce), "binary_prob", boundary=CLIP_ALL),
    Row("binary_cross_entropy", "logits", elementwise(ref_bce), "binary_logits", kwargs={"from_logits": True},
        torch="torch.nn.functional.binary_cross_entropy_with_logits(y_pred, y_true)",
        keras="keras.losses.BinaryCrossentropy(from_logits=True)(y_true, y_pred)"),
    _registry_row("categorical_cross_entropy", ref_cross_entropy, "onehot_prob", boundary=CLIP_ALL),
    Row("categorical_cross_entropy", "logits", ref_cross_entropy, "onehot_logits", kwargs={"from_logits": True},
        torch="torch.nn.functional.cross_entropy(y_pred, y_true)",
        keras="keras.losses.CategoricalCrossentropy(from_logits=True)(y_true, y_pred)"),
    _registry_row("sparse_categorical_cross_entropy", lambda a, **k: ref_cross_entropy(a, sparse=True, **k),
                  "sparse_prob", boundary=CLIP_ALL),
    Row("sparse_categorical_cross_entropy", "logits", lambda a, **k: ref_cross_entropy(a, sparse=True, **k),
        "sparse_logits", kwargs={"from_logits": True},
        torch="torch.nn.functional.cross_entropy(y_pred, y_true.long())",
        keras="keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y_true, y_pred)"),
    _registry_row("nll", ref_nll, "sparse_logprob"),
    _registry_row("categorical_focal", ref_categorical_focal, "onehot_prob", boundary=CLIP_ALL),
    _registry_row("hinge", ref_hinge, "signed_scores"),
    _registry_row("squared_hinge", lambda a: ref_hinge(a, squared=True), "signed_scores"),
    _registry_row("multiclass_hinge", ref_multiclass_hinge, "sparse_scores"),
    _registry_row("zero_one", ref_zero_one, "binary_labels"),
    _registry_row("focal", elementwise(ref_focal), "binary_prob", boundary=CLIP_ALL),
    Row("focal", "logits", elementwise(ref_focal), "binary_logits", kwargs={"from_logits": True},
        keras="keras.losses.BinaryFocalCrossentropy(gamma=2.0, from_logits=True)(y_true, y_pred)"),
    _registry_row("contrastive", ref_contrastive, "pair_distances"),
    _registry_row("triplet", ref_triplet, "triplets"),
    _registry_row("cosine_embedding", ref_cosine, "cosine_pairs"),
    _registry_row("margin_ranking", ref_margin_ranking, "ranking_pairs"),
    _registry_row("dice", ref_dice, "masks"),
    _registry_row("tversky", ref_tversky, "masks"),
    _registry_row("ctc", ref_ctc, "ctc", mean_weights=lambda args: 1.0 / np.maximum(args[3], 1.0)),
    # no framework has these losses: the torch column is the code people write for them
    Row("info_nce", "", ref_info_nce, "embedding_batches", torch=(
        "torch.nn.functional.cross_entropy(torch.nn.functional.normalize(anchors, dim=-1) @ "
        "torch.nn.functional.normalize(positives, dim=-1).T / 0.1, torch.arange(anchors.shape[0]))")),
    Row("info_nce", "symmetric", ref_info_nce, "embedding_batches", kwargs={"symmetric": True}, torch=(
        "(lambda s, i: (torch.nn.functional.cross_entropy(s, i) + torch.nn.functional.cross_entropy(s.T, i)) / 2)("
        "torch.nn.functional.normalize(anchors, dim=-1) @ torch.nn.functional.normalize(positives, dim=-1).T / 0.1, "
        "torch.arange(anchors.shape[0]))")),
    Row("nt_xent", "", ref_nt_xent, "embedding_batches", torch=(
        "(lambda z, n: torch.nn.functional.cross_entropy((z @ z.T / 0.5).masked_fill(torch.eye(2 * n, "
        "dtype=torch.bool), float('-inf')), (torch.arange(2 * n) + n) % (2 * n)))("
        "torch.nn.functional.normalize(torch.cat([z_a, z_b]), dim=-1), z_a.shape[0])")),
    Row("distillation", "", ref_distillation, "teacher_student", torch=(
        "2.0**2 * torch.nn.functional.kl_div(torch.nn.functional.log_softmax(student_logits / 2.0, dim=-1), "
        "torch.nn.functional.log_softmax(teacher_logits / 2.0, dim=-1), log_target=True, reduction='batchmean')")),
    Row("distillation", "T = 1e4", ref_distillation, "teacher_student", kwargs={"temperature": 1e4}, torch=(
        "1e4**2 * torch.nn.functional.kl_div(torch.nn.functional.log_softmax(student_logits / 1e4, dim=-1), "
        "torch.nn.functional.log_softmax(teacher_logits / 1e4, dim=-1), log_target=True, reduction='batchmean')")),
    Row("bradley_terry", "", ref_bradley_terry, "reward_pairs",
        torch="-torch.nn.functional.logsigmoid(r_chosen - r_rejected).mean()"),
    Row("dpo", "", ref_dpo, "preference_logps", torch=(
        "-torch.nn.functional.logsigmoid(0.1 * ((policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)))"
        ".mean()")),
)

# --- input cases: ordinary and extreme ----------------------------------------------------------------


def _real(rng):
    y = rng.normal(size=(8, 4))
    return [
        ("random normal", "ordinary", (y, y + rng.normal(scale=2.0, size=y.shape))),
        ("errors 1e-8 on values of order 1", "extreme", (y, y + 1e-8 * rng.normal(size=y.shape))),
        ("errors to ±1e150", "extreme", (np.array([0.0, 1e150, -3.0, 2.5]), np.array([1e150, 0.0, -1e150, -7e149]))),
        ("errors ±1e200", "extreme", (np.array([0.0, 1.0]), np.array([1e200, -1e200]))),
        ("errors 1e-300 and 1 ulp", "extreme", (np.array([0.0, 0.0, 1.0, 0.0]),
                                                np.array([1e-300, -5e-324, 1.0 + 2.0**-52, 1e-160]))),
    ]


def _log1p_real(rng):
    y = np.expm1(rng.uniform(0.0, 7.0, size=(8, 4)))
    tiny = 1e-5 * rng.uniform(1.0, 2.0, size=4)
    return [
        ("random over three decades", "ordinary", (y, np.expm1(rng.uniform(0.0, 7.0, size=y.shape)))),
        ("values 1e-5, 0.1% apart", "extreme", (tiny, tiny * 1.001)),
        ("values 1e300 and 1e-300", "extreme", (np.array([1e300, 1e-300, 0.0]), np.array([1e299, 3e-300, 1e300]))),
        ("predictions -1 + 1e-15 and -0.5", "extreme", (np.array([0.0, 3.0]), np.array([-1.0 + 1e-15, -0.5]))),
    ]


def _counts(rng):
    return [
        ("random counts and rates", "ordinary", (rng.poisson(3.0, size=(8, 4)).astype(float),
                                                 rng.uniform(0.5, 5.0, size=(8, 4)))),
        ("rates 0, 1e-300, 1e300", "extreme", (np.array([0.0, 0.0, 5.0, 1e6, 3.0, 1e150]),
                                              np.array([0.0, 1e-300, 0.0, 1e-300, 1e300, 1e150]))),
    ]


def _log_counts(rng):
    return [
        ("random counts and log-rates", "ordinary", (rng.poisson(3.0, size=(8, 4)).astype(float),
                                                     rng.normal(size=(8, 4)))),
        ("log-rates ±700", "extreme", (np.array([0.0, 4.0, 1e6, 2.0]), np.array([700.0, -700.0, 13.0, 1e-300]))),
        ("log-rate 1e4 (e^z overflows)", "extreme", (np.array([1.0]), np.array([1e4]))),
    ]


def _gaussian(rng):
    y = rng.normal(size=(8, 4))
    return [
        ("random", "ordinary", (y, y + rng.normal(size=y.shape), rng.uniform(0.5, 2.0, size=y.shape))),
        ("var 0, 1e-300, 1e300; errors 1e150", "extreme", (np.array([0.0, 0.0, 1.0, 0.0, 0.0]),
                                                           np.array([1.0, 1.0, 1e150, 1e150, 1e153]),
                                                           np.array([0.0, 1e-300, 1e300, 1.0, 1e-6]))),
    ]


def _binary_prob(rng):
    y = rng.integers(0, 2, size=(8, 4)).astype(float)
    return [
        ("random", "ordinary", (y, rng.uniform(0.01, 0.99, size=y.shape))),
        ("soft labels", "ordinary", (rng.uniform(size=(8, 4)), rng.uniform(0.01, 0.99, size=(8, 4)))),
        ("p = 1e-6 and 1 - 1e-6", "extreme", (np.array([1.0, 0.0, 0.0, 1.0]),
                                              np.array([1e-6, 1 - 1e-6, 1e-6, 1 - 1e-6]))),
        ("p exactly 0 and 1", "extreme", (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 1.0, 0.0]))),
        ("p = 1e-300 and 1 - 1e-16", "extreme", (np.array([1.0, 0.0]), np.array([1e-300, 1 - 1e-16]))),
    ]


def _binary_logits(rng):
    y = rng.integers(0, 2, size=(8, 4)).astype(float)
    hard = np.array([1.0, 1.0, 0.0, 0.0])
    return [
        ("random", "ordinary", (y, rng.normal(scale=3.0, size=y.shape))),
        ("logits ±40", "extreme", (hard, np.array([40.0, -40.0, 40.0, -40.0]))),
        ("logits ±1e2", "extreme", (hard, np.array([100.0, -100.0, 100.0, -100.0]))),
        ("logits ±1e4", "extreme", (hard, np.array([1e4, -1e4, 1e4, -1e4]))),
    ]


def _onehot(labels, k):
    return np.eye(k)[labels]


def _ranking_pairs(rng):
    return [
        ("random", "ordinary", (rng.choice([-1.0, 1.0], size=(8, 4)), rng.normal(size=(8, 4)),
                                rng.normal(size=(8, 4)))),
        ("scores ±1e300", "extreme", (np.array([1.0, -1.0]), np.array([1e300, 1e300]), np.array([-1e300, -1e300]))),
        ("scores 1e-300 apart, and 1 ulp apart at 1", "extreme",
         (np.array([-1.0, -1.0]), np.array([2e-300, 1.0 + 2.0**-52]), np.array([1e-300, 1.0]))),
    ]


def _sparse_logprob(rng):
    labels = rng.integers(0, 5, size=8).astype(float)
    return [
        ("log_softmax of random logits", "ordinary", (labels, _log_softmax(rng.normal(scale=3.0, size=(8, 5))))),
        ("log-probabilities 0, -1e-300 and -1e300", "extreme",
         (np.array([0.0, 1.0]), np.array([[-1e-300, -1e300, -800.0], [0.0, -1e300, -1e300]]))),
    ]


def _prob_rows(rng, sparse):
    labels = rng.integers(0, 5, size=8)
    target = labels.astype(float) if sparse else _onehot(labels, 5)
    tiny = np.array([[1e-6, 1 - 2e-6, 1e-6], [0.5, 0.5 - 1e-6, 1e-6]])
    edge = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    far = np.array([[1e-300, 1.0 - 1e-300, 0.0], [1 - 1e-16, 1e-16, 0.0]])
    first = np.array([0.0, 0.0]) if sparse else _onehot([0, 0], 3)
    cases = [("random", "ordinary", (target, rng.dirichlet(np.full(5, 2.0), size=8)))]
    if not sparse:
        cases.append(("soft labels", "ordinary", (rng.dirichlet(np.full(5, 2.0), size=8),
                                                  rng.dirichlet(np.full(5, 2.0), size=8))))
    return cases + [
        ("p = 1e-6 in the row", "extreme", (first, tiny)),
        ("p exactly 0 and 1", "extreme", (first, edge)),
        ("p = 1e-300 and 1 - 1e-16", "extreme", (first, far)),
    ]


def _logit_rows(rng, sparse):
    labels = rng.integers(0, 5, size=8)
    target = labels.astype(float) if sparse else _onehot(labels, 5)
    pick = np.array([0.0, 1.0]) if sparse else _onehot([0, 1], 3)
    return [
        ("random", "ordinary", (target, rng.normal(scale=3.0, size=(8, 5)))),
        ("logits [40, 0, 0]", "extreme", (pick, np.array([[40.0, 0.0, 0.0], [40.0, 0.0, 0.0]]))),
        ("logits ±1e2", "extreme", (pick, np.array([[100.0, -100.0, 0.0], [100.0, -100.0, 0.0]]))),
        ("logits ±1e4", "extreme", (pick, np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]]))),
    ]


def _signed_scores(rng):
    y = rng.choice([-1.0, 1.0], size=(8, 4))
    return [
        ("random", "ordinary", (y, rng.normal(scale=2.0, size=y.shape))),
        ("0/1 labels", "ordinary", ((y + 1) / 2, rng.normal(scale=2.0, size=y.shape))),
        ("scores ±1e150", "extreme", (np.array([1.0, -1.0, 1.0, -1.0]), np.array([-1e150, 1e150, 1e150, 3.0]))),
        ("margin 1 ulp from the kink", "extreme", (np.array([1.0, -1.0]), np.array([1.0 - 2.0**-53, -1.0 + 2.0**-53]))),
    ]


def _sparse_scores(rng):
    return [
        ("random", "ordinary", (rng.integers(0, 5, size=8).astype(float), rng.normal(scale=2.0, size=(8, 5)))),
        ("scores ±1e150", "extreme", (np.array([0.0, 2.0]), np.array([[-1e150, 1e150, 0.0], [1.0, 2.0, 1e150]]))),
    ]


def _binary_labels(rng):
    return [
        ("random", "ordinary", (rng.integers(0, 2, size=(8, 4)).astype(float), rng.uniform(size=(8, 4)))),
        ("scores at the threshold and ±1e300", "extreme", (np.array([1.0, 0.0, 1.0, 0.0]),
                                                           np.array([0.5, 0.5, -1e300, 1e300]))),
    ]


def _distributions(rng):
    return [
        ("random", "ordinary", (rng.dirichlet(np.full(5, 2.0), size=8), rng.dirichlet(np.full(5, 2.0), size=8))),
        ("q = 1e-6 in a row", "extreme", (np.array([[0.5, 0.25, 0.25]]), np.array([[1 - 2e-6, 1e-6, 1e-6]]))),
        ("p with zeros", "extreme", (np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]),
                                     np.array([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]]))),
        ("q exactly 0 where p > 0", "extreme", (np.array([[0.5, 0.5, 0.0]]), np.array([[1.0, 0.0, 0.0]]))),
        ("p = q", "extreme", (np.array([[0.2, 0.3, 0.5]]), np.array([[0.2, 0.3, 0.5]]))),
    ]


def _pair_distances(rng):
    return [
        ("random", "ordinary", (rng.integers(0, 2, size=(8, 4)).astype(float), rng.uniform(0.0, 2.5, size=(8, 4)))),
        ("distances 0, 1e-300, 1e150", "extreme", (np.array([1.0, 0.0, 1.0, 0.0]),
                                                   np.array([1e150, 0.0, 1e-300, 1e150]))),
    ]


def _triplets(rng):
    a = rng.normal(size=(8, 4))
    big = np.array([[1e160, 0.0, 0.0], [-1e160, 1e160, 0.0]])
    return [
        ("random", "ordinary", (a, a + rng.normal(scale=0.5, size=a.shape), a + rng.normal(scale=1.5, size=a.shape))),
        ("embeddings 1e160", "extreme", (big, 0.5 * big, -big)),
        ("embeddings 1e-300", "extreme", (1e-300 * np.ones((2, 3)), np.zeros((2, 3)), -1e-300 * np.ones((2, 3)))),
    ]


def _cosine_pairs(rng):
    big = np.array([[1e200, 2e200, 0.0], [1e200, -3e200, 5e199]])
    return [
        ("random", "ordinary", (rng.choice([-1.0, 1.0], size=8), rng.normal(size=(8, 4)), rng.normal(size=(8, 4)))),
        ("embeddings 1e200", "extreme", (np.array([1.0, -1.0]), big, big[::-1])),
        ("embeddings 1e-3", "extreme", (np.array([1.0, -1.0]), 1e-3 * big / 1e200, 1e-3 * big[::-1] / 1e200)),
    ]


def _masks(rng):
    y = (rng.uniform(size=(4, 16)) < 0.5).astype(float)
    return [
        ("random", "ordinary", (y, rng.uniform(size=y.shape))),
        ("hard masks, an empty item", "extreme", (np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]]),
                                                  np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]))),
        ("p = 1e-300 and 1 - 1e-16", "extreme", (np.array([[1.0, 0.0, 1.0]]), np.array([[1e-300, 1 - 1e-16, 1.0]]))),
    ]


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def _ctc(rng):
    labels = rng.integers(1, 4, size=(4, 3)).astype(float)
    lengths = (np.array([8.0, 7.0, 6.0, 8.0]), np.array([3.0, 3.0, 2.0, 1.0]))
    return [
        ("random", "ordinary", (labels, _log_softmax(rng.normal(size=(8, 4, 4))), *lengths)),
        ("peaked: log-probabilities to -2e4", "extreme",
         (labels, _log_softmax(1e4 * rng.normal(size=(8, 4, 4))), *lengths)),
        ("impossible alignment (loss inf)", "extreme",
         (np.array([[1.0, 1.0, 1.0]]), _log_softmax(rng.normal(size=(4, 1, 3))), np.array([4.0]), np.array([3.0]))),
    ]


def _embedding_batches(rng):
    a = rng.normal(size=(8, 4))
    opposite = np.array([[1.0, 0.0], [-1.0, 0.0]])
    return [
        ("random", "ordinary", (a, a + rng.normal(scale=0.7, size=a.shape))),
        ("embeddings 1e-200", "extreme", (1e-200 * a, 1e-200 * a[::-1])),
        ("embeddings 1e200", "extreme", (1e200 * a, 1e200 * a[::-1])),
        ("opposite pairs: loss 2e-9", "extreme", (opposite, opposite)),
    ]


def _teacher_student(rng):
    t = 3.0 * rng.normal(size=(8, 5))
    return [
        ("random", "ordinary", (t, 3.0 * rng.normal(size=t.shape))),
        ("student within 1e-6 of the teacher", "extreme", (t, t + 1e-6 * rng.normal(size=t.shape))),
        ("student within 1e-12 of the teacher", "extreme", (t, t + 1e-12 * rng.normal(size=t.shape))),
        # (a student that disagrees on a likely class at 1e300 has no reference mpmath can hold)
        ("logits 1e300: equal, and one class of probability exp(-5e299) moved", "extreme",
         (np.array([[1e300, 0.0, -1e300], [1e300, 0.0, -1e300]]), np.array([[1e300, 0.0, -1e300],
                                                                            [1e300, 1.0, -1e300]]))),
        ("logits 1e30", "extreme", (np.array([[1e30, 0.0, -1e30]]), np.array([[1e30, -1e30, 0.0]]))),
    ]


def _reward_pairs(rng):
    return [
        ("random", "ordinary", (3.0 * rng.normal(size=(8, 4)), 3.0 * rng.normal(size=(8, 4)))),
        ("gaps of -800, 40, 800", "extreme", (np.array([0.0, 40.0, 800.0]), np.array([800.0, 0.0, 0.0]))),
        ("rewards 1e300", "extreme", (np.array([1e300, -1e300]), np.array([-1e300, 1e300]))),
    ]


def _preference_logps(rng):
    shape = (8, 4)
    logps = tuple(-rng.uniform(1.0, 80.0, size=shape) for _ in range(4))
    long_c, long_r = np.array([-1e6, -3e5]), np.array([-1.2e6, -2e5])
    return [
        ("random", "ordinary", logps),
        ("long responses: -1e6 with ratios of 1e-3", "extreme", (long_c + 3e-3, long_r - 1e-3, long_c, long_r)),
        ("log-probabilities -1e300", "extreme", (np.array([-1e-300]), np.array([-1e300]), np.array([-1e300]),
                                                 np.array([-1e-300]))),
    ]


CASES = {
    "real": _real, "log1p_real": _log1p_real, "counts": _counts, "log_counts": _log_counts, "gaussian": _gaussian,
    "binary_prob": _binary_prob, "binary_logits": _binary_logits,
    "sparse_logprob": _sparse_logprob, "ranking_pairs": _ranking_pairs,
    "onehot_prob": lambda rng: _prob_rows(rng, sparse=False), "sparse_prob": lambda rng: _prob_rows(rng, sparse=True),
    "onehot_logits": lambda rng: _logit_rows(rng, sparse=False),
    "sparse_logits": lambda rng: _logit_rows(rng, sparse=True),
    "signed_scores": _signed_scores, "sparse_scores": _sparse_scores, "binary_labels": _binary_labels,
    "distributions": _distributions, "pair_distances": _pair_distances, "triplets": _triplets,
    "cosine_pairs": _cosine_pairs, "masks": _masks, "ctc": _ctc,
    "embedding_batches": _embedding_batches, "teacher_student": _teacher_student, "reward_pairs": _reward_pairs,
    "preference_logps": _preference_logps,
}


def cases(row: Row, seed: int = 0) -> list[tuple[str, str, tuple]]:
    """The input cases of ``row``: ``(label, "ordinary" | "extreme", arguments)``."""
    return CASES[row.inputs](np.random.default_rng(seed))


# --- evaluation ---------------------------------------------------------------------------------------


def reference(row: Row, args: tuple, impl: str = "lossfns", dps: int = DPS) -> tuple[list, mp.mpf]:
    """Per-item reference losses of ``row`` at ``args`` for ``impl``'s definition, and their ``"mean"``.

    Computed with ``dps`` significant digits (the test repeats it with more digits to check the reference).
    """
    with mp.workdps(dps):
        items = row.ref(args, **row.kwargs, **row.ref_kwargs.get(impl.split("-")[0], {}))
        weights = [1] * len(items) if row.mean_weights is None else row.mean_weights(args).tolist()
        return items, mp.fsum(w * v for w, v in zip(weights, items, strict=True)) / len(items)


def arg_names(row: Row) -> tuple[str, ...]:
    """The names the framework call uses for the arguments (those of the ``lossfns`` function)."""
    import inspect

    params = inspect.signature(get(row.loss).fn).parameters.values()
    return tuple(p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)


def run_torch(call: str, inputs: dict, dtype: str) -> float:
    import torch

    tensors = {k: torch.tensor(v, dtype=getattr(torch, dtype)) for k, v in inputs.items()}
    with torch.no_grad():
        return float(eval(call, {"torch": torch}, tensors))  # noqa: S307 - registry text


def run_keras(call: str, inputs: dict, dtype: str) -> float:
    import keras
    import tensorflow as tf

    previous = keras.config.floatx()
    keras.config.set_floatx(dtype)
    try:
        tensors = {k: tf.constant(v, dtype=getattr(tf, dtype)) for k, v in inputs.items()}
        return float(eval(call, {"keras": keras}, tensors).numpy())  # noqa: S307
    finally:
        keras.config.set_floatx(previous)


def evaluate(row: Row, impl: str, args: tuple) -> float | None:
    """The ``"mean"`` loss of ``row`` at ``args`` computed by ``impl`` (``None``: no such call)."""
    if impl == "lossfns":
        with np.errstate(over="ignore"):  # a loss whose true value overflows warns; expected here
            return float(get(row.loss).fn(*args, **row.kwargs))
    framework, bits = impl.split("-")
    call = getattr(row, framework)
    if call is None:
        return None
    dtype = {"f64": "float64", "f32": "float32"}[bits]
    inputs = {k: np.ascontiguousarray(v) for k, v in zip(arg_names(row), args, strict=True)}
    with np.errstate(all="ignore"):
        try:
            return run_torch(call, inputs, dtype) if framework == "torch" else run_keras(call, inputs, dtype)
        except Exception as exc:  # noqa: BLE001 - a framework refusing an input is a result, reported as such
            return f"error: {type(exc).__name__}"


def float_limits(impl: str) -> tuple[float, float]:
    """Smallest normal and largest finite number of ``impl``'s float type."""
    info = np.finfo(np.float32 if impl.endswith("f32") else np.float64)
    return float(info.tiny), float(info.max)


def relative_error(value: float, ref, impl: str) -> tuple[float, str]:
    """The error measure and the outcome (``"ok"``, ``"nan"``, ``"inf"``, ``"overflow"``) of one value."""
    tiny, big = float_limits(impl)
    if isinstance(value, str):
        return math.inf, "error"
    if math.isnan(value):
        return math.inf, "nan"
    if mp.isinf(ref) or abs(ref) > big:
        if math.isinf(value) and (value > 0) == (ref > 0):
            return 0.0, "overflow"
        return (math.inf, "inf") if math.isinf(value) else (float(abs(M(value) - ref) / abs(ref)), "ok")
    if math.isinf(value):
        return math.inf, "inf"
    return float(abs(M(value) - ref) / max(abs(ref), M(tiny))), "ok"


def item_errors(row: Row, args: tuple) -> list[float]:
    """Relative errors of ``lossfns``' per-item losses (``reduction="none"``), for the test."""
    items, _ = reference(row, args)
    with np.errstate(over="ignore"):
        got = np.asarray(get(row.loss).fn(*args, reduction="none", **row.kwargs), dtype=np.float64).ravel()
    out = []
    for value, ref in zip(got.tolist(), items, strict=True):
        err, outcome = relative_error(value, ref, "lossfns")
        out.append(err if outcome in ("ok", "overflow") else math.inf)
    return out


def check_coverage() -> None:
    """Every registered loss must have a row: a new loss without a reference fails here."""
    missing = sorted(set(names()) - {r.loss for r in ROWS})
    if missing:
        raise SystemExit(f"accuracy: no reference for registered loss(es) {missing}; add a Row")


def run(implementations=IMPLEMENTATIONS) -> dict:
    """Evaluate every row and case; return the results as plain data."""
    check_coverage()
    rows, conventions = [], []
    for row in ROWS:
        out = {"label": row.label, "loss": row.loss, "variant": row.variant, "cases": []}
        for label, kind, args in cases(row):
            case = {"case": label, "kind": kind, "impl": {}}
            _, course_ref = reference(row, args)
            case["reference"] = _common.sig(float(course_ref), 6)
            boundary = {}
            for impl in implementations:
                value = evaluate(row, impl, args)
                if value is None:
                    continue
                framework = impl.split("-")[0]
                on_boundary = framework in row.boundary and row.boundary[framework](args)
                if on_boundary:
                    boundary[impl] = value if isinstance(value, str) else _common.sig(value, 6)
                    continue
                _, ref = reference(row, args, impl)
                err, outcome = relative_error(value, ref, impl)
                case["impl"][impl] = {"rel_err": _common.sig(err), "outcome": outcome}
            if boundary:
                conventions.append({"loss": row.label, "case": label, "course": _common.sig(float(course_ref), 6),
                                    "values": boundary})
            out["cases"].append(case)
        rows.append(out)
    return {"rows": rows, "conventions": conventions}


def summarize(results: dict, implementations=IMPLEMENTATIONS) -> list[dict]:
    """Per row and implementation: worst error over ordinary and over extreme cases, and outcome counts."""
    table = []
    for row in results["rows"]:
        line = {"label": row["label"], "impl": {}}
        for impl in implementations:
            got = [(c["kind"], c["impl"][impl]) for c in row["cases"] if impl in c["impl"]]
            if not got:
                continue
            cell = {"cases": len(got)}
            for kind in ("ordinary", "extreme"):
                errs = [g["rel_err"] for k, g in got if k == kind and g["outcome"] in ("ok", "overflow")]
                cell[kind] = max(errs) if errs else None
            for outcome in ("nan", "inf", "overflow", "error"):
                cell[outcome] = sum(g["outcome"] == outcome for _, g in got)
            line["impl"][impl] = cell
        table.append(line)
    return table


# --- output: JSON, tables, figure ---------------------------------------------------------------------

IMPL_NAMES = {"lossfns": "lossfns", "torch-f64": "PyTorch f64", "torch-f32": "PyTorch f32",
              "keras-f64": "Keras f64", "keras-f32": "Keras f32"}


def _fmt(x) -> str:
    if x is None:
        return "·"
    return "0" if x == 0 else f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e+")


def cell_text(cell: dict | None) -> str:
    if cell is None:
        return "—"
    text = f"{_fmt(cell['ordinary'])} / {_fmt(cell['extreme'])}"
    flags = [f"{cell[k]} {k.upper() if k == 'nan' else k}" for k in ("nan", "inf", "error") if cell[k]]
    return text + (f" (**{', '.join(flags)}**)" if flags else "")


def table_markdown(summary: list[dict], meta: dict) -> str:
    v = meta["versions"]
    about = (f"Computed with NumPy {v['numpy']}, PyTorch {v['torch']}, Keras {v['keras']} (TensorFlow "
             f"{v['tensorflow-cpu']}) and mpmath {v['mpmath']} at {meta['dps']} digits. Each cell: worst relative "
             "error over the ordinary / the extreme cases; · no case of that kind with a finite result; "
             "— no such loss in that library.\n\n")
    header = ["loss", *(IMPL_NAMES[i] for i in IMPLEMENTATIONS)]
    rows = [[f"`{line['label']}`", *(cell_text(line["impl"].get(i)) for i in IMPLEMENTATIONS)] for line in summary]
    return about + _common.markdown_table(header, rows, "l" + "r" * len(IMPLEMENTATIONS))


def conventions_markdown(results: dict) -> str:
    header = ["loss", "case", "course (clipped) reference", *(IMPL_NAMES[i] for i in IMPLEMENTATIONS[1:])]
    rows = []
    for c in results["conventions"]:
        values = [c["values"].get(i) for i in IMPLEMENTATIONS[1:]]
        rows.append([f"`{c['loss']}`", c["case"], f"{c['course']:.6g}",
                     *("—" if v is None else (f"**{v}**" if isinstance(v, str) else f"{v:.6g}") for v in values)])
    return _common.markdown_table(header, rows, "ll" + "r" * len(IMPLEMENTATIONS))


def plot(summary: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lossfns.plotting import style

    labels = [line["label"] for line in summary]
    with style():
        fig, axes = plt.subplots(1, 2, figsize=(11, 0.32 * len(labels) + 1.6), sharey=True)
        for ax, kind in zip(axes, ("ordinary", "extreme"), strict=True):
            grid = np.full((len(labels), len(IMPLEMENTATIONS)), np.nan)
            for r, line in enumerate(summary):
                for c, impl in enumerate(IMPLEMENTATIONS):
                    cell = line["impl"].get(impl)
                    if cell is not None and cell[kind] is not None:
                        grid[r, c] = np.log10(max(cell[kind], 1e-18))
                    if cell is None:
                        ax.text(c, r, "–", ha="center", va="center", color="grey", fontsize=9)
                    elif (cell["nan"] or cell["inf"] or cell["error"]) and kind == "extreme":
                        ax.text(c, r, "✗", ha="center", va="center", color="crimson", fontsize=11, fontweight="bold")
            ax.set_facecolor("#f0f0f0")
            image = ax.imshow(grid, cmap="viridis", vmin=-18, vmax=1, aspect="auto")
            ax.set_xticks(range(len(IMPLEMENTATIONS)), [IMPL_NAMES[i] for i in IMPLEMENTATIONS], rotation=30,
                          ha="right")
            ax.set_yticks(range(len(labels)), labels)
            ax.axvline(0.5, color="white", lw=2)
            ax.grid(False)
            ax.set_title(f"{kind} inputs")
            ax.set_xlabel("implementation")
        axes[0].set_ylabel("loss")
        fig.suptitle("Worst relative error against 50-digit mpmath\n"
                     "(✗ NaN or inf where the true value is finite; – no such loss in that library)", fontsize=11)
        fig.colorbar(image, ax=axes, label="log10 of the largest relative error (floor 1e-18)", shrink=0.8)
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
        plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=IMPLEMENTATIONS, help="evaluate one implementation")
    parser.add_argument("--no-write", action="store_true", help="print the table, write no files")
    opts = parser.parse_args(argv)
    impls = (opts.only,) if opts.only else IMPLEMENTATIONS
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    results = run(impls)
    summary = summarize(results, impls)
    meta = {"dps": DPS, "goal": GOAL, "versions": _common.versions("numpy", "mpmath", "torch", "keras",
                                                                   "tensorflow-cpu", "lossfns"),
            "lossfns_eps": EPS, "registered": len(names())}
    print(table_markdown(summary, meta))
    print(conventions_markdown(results))
    misses = [line["label"] for line in summary
              if "lossfns" in line["impl"] and not goal_holds(line["impl"]["lossfns"])]
    print(f"lossfns goal (<= {GOAL:g} relative, no NaN/inf where finite): "
          + ("holds for every loss" if not misses else f"MISSED by {misses}"))
    if not opts.no_write:
        _common.write_json(_common.RESULTS / "accuracy.json", {"meta": meta, "summary": summary, **results})
        (_common.RESULTS / "accuracy_table.md").write_text(table_markdown(summary, meta), encoding="utf-8")
        (_common.RESULTS / "accuracy_conventions.md").write_text(conventions_markdown(results), encoding="utf-8")
        _common.FIGURES.mkdir(parents=True, exist_ok=True)
        plot(summary, _common.FIGURES / "accuracy.png")
    return 1 if misses else 0


def goal_holds(cell: dict) -> bool:
    worst = max((x for x in (cell["ordinary"], cell["extreme"]) if x is not None), default=0.0)
    return worst <= GOAL and not (cell["nan"] or cell["inf"] or cell["error"])


if __name__ == "__main__":
    sys.exit(main())
