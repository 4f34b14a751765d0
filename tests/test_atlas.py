"""lossfns.atlas: the loss atlas page is complete, up to date, and draws what it says it draws."""
import pathlib
import re

import numpy as np
import pytest

import lossfns as lf
from lossfns import atlas
from lossfns.registry import records

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGE = ROOT / atlas.PAGE
FIGURES = ROOT / atlas.FIGURES
REFRESH = "refresh it with `python -m lossfns.atlas` from the root of the book and commit the result"
RECORDS = records()
WITH_GRAD = [r for r in RECORDS if r.grad is not None]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The page and figures written by the command line into a copy of the book's chapters folder."""
    root = tmp_path_factory.mktemp("book")
    (root / "chapters").mkdir()
    for notebook in (ROOT / "chapters").glob("*.ipynb"):
        (root / "chapters" / notebook.name).symlink_to(notebook)
    atlas.main(["--root", str(root)])
    return root


def test_the_page_is_up_to_date(generated):
    fresh = (generated / atlas.PAGE).read_text(encoding="utf-8")
    assert PAGE.exists(), f"{atlas.PAGE} is missing: {REFRESH}"
    assert PAGE.read_text(encoding="utf-8") == fresh, f"{atlas.PAGE} is out of date: {REFRESH}"


def test_the_figures_are_up_to_date(generated):
    fresh = {p.name: p.read_bytes() for p in (generated / atlas.FIGURES).glob("*.svg")}
    committed = {p.name: p.read_bytes() for p in FIGURES.glob("*.svg")}
    assert set(fresh) - set(committed) == set(), f"figures missing from {atlas.FIGURES}: {REFRESH}"
    assert set(committed) - set(fresh) == set(), f"figures of no registered loss in {atlas.FIGURES}: {REFRESH}"
    stale = sorted(name for name in fresh if fresh[name] != committed[name])
    assert stale == [], f"out of date in {atlas.FIGURES}: {', '.join(stale)}; {REFRESH}"


def entries(text: str) -> list[str]:
    return re.findall(r"^### (\w+)$", text, flags=re.MULTILINE)


def test_every_registered_loss_has_one_entry_and_every_entry_is_a_registered_loss():
    found = entries(PAGE.read_text(encoding="utf-8"))
    assert len(found) == len(set(found)), "a loss with two entries"
    assert set(lf.registry.names()) - set(found) == set(), f"losses with no entry in the atlas: {REFRESH}"
    assert set(found) - set(lf.registry.names()) == set(), f"entries for losses that do not exist: {REFRESH}"


def test_an_entry_shows_formula_figure_properties_calls_chapter_and_reference():
    text = PAGE.read_text(encoding="utf-8")
    sections = re.split(r"^(?=### )", text, flags=re.MULTILINE)[1:]
    by_name = {entries(s)[0]: s for s in sections}
    for r in RECORDS:
        section = by_name[r.name]
        assert f"$$\n\\ell = {r.formula}\n$$" in section, r.name
        assert f"```{{figure}} atlas/{r.name}.svg" in section and (FIGURES / f"{r.name}.svg").exists(), r.name
        assert f"convex: {'yes' if r.convex else 'no'}" in section
        assert f"robust to outliers: {'yes' if r.robust else 'no'}" in section
        assert f"never negative: {'yes' if r.nonnegative else 'no'}" in section
        assert f"](../{r.chapter}.ipynb)" in section and (ROOT / "chapters" / f"{r.chapter}.ipynb").exists()
        assert f"{{cite}}`{r.reference}`" in section
        for call, notes in ((r.torch, r.torch_notes), (r.keras, r.keras_notes)):
            assert (f"| `{call}` |" if call else "| no built-in equivalent |") in section, r.name
            assert notes in section, r.name


def test_the_overview_tables_list_every_loss_once():
    text = PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"^\| \{ref\}`(\w+) <atlas-[\w-]+>` \| (.+) \|$", text, flags=re.MULTILINE)
    properties = [(name, cells) for name, cells in rows if " | " in cells and cells.count(" | ") == 3]
    frameworks = [(name, cells) for name, cells in rows if cells.count(" | ") == 1]
    yes = {True: "yes", False: "no"}
    assert sorted(properties) == sorted(
        (r.name, f"{r.family} | {yes[r.convex]} | {yes[r.differentiable]} | {yes[r.robust]}") for r in RECORDS)
    assert sorted(frameworks) == sorted(
        (r.name, " | ".join("—" if call is None else f"`{call.removeprefix(prefix).split('(')[0]}`"
                            for call, prefix in ((r.torch, "torch.nn.functional."), (r.keras, "keras.losses."))))
        for r in RECORDS)


def test_a_record_of_an_unknown_family_is_refused():
    import dataclasses

    odd = dataclasses.replace(lf.registry.get("mse"), family="astrology")
    with pytest.raises(ValueError, match=r"atlas: no section title for the famil\(y/ies\) \['astrology'\]"):
        atlas.page((odd,), {})


def test_every_inputs_kind_has_a_slice():
    assert {r.inputs for r in RECORDS} - set(atlas.SLICES) == set()


@pytest.mark.parametrize("record", WITH_GRAD, ids=[r.name for r in WITH_GRAD])
def test_the_drawn_derivative_is_the_slope_of_the_drawn_loss(record):
    """d(loss)/dt along each slice against a central difference in t, at points away from the kinks."""
    spec = atlas.SLICES[record.inputs]
    low, high = atlas._RANGES.get(record.name, spec.t)
    h = 1e-6
    for fraction in (0.137, 0.311, 0.529, 0.713, 0.877):
        t0 = low + fraction * (high - low)
        t = np.array([t0, t0 - h, t0 + h])
        for label, args, directions, axis in spec.curves(t):
            loss = atlas.item_loss(record, args)
            slope = atlas._slope(record, args, directions, axis)
            assert slope[0] == pytest.approx((loss[2] - loss[1]) / (2 * h), rel=1e-5, abs=1e-6), (label, t0)


def test_figures_show_loss_and_derivative_or_only_the_loss_without_a_gradient():
    import matplotlib.pyplot as plt

    with lf.plotting.style():
        huber = atlas.figure(lf.registry.get("huber"))
        zero_one = atlas.figure(lf.registry.get("zero_one"))
    solid, dashed = (line for line in huber.axes[0].lines if line.get_label().startswith("huber"))
    assert dashed.get_linestyle() == "--"
    r = solid.get_xdata()
    np.testing.assert_allclose(solid.get_ydata(), np.where(np.abs(r) <= 1, 0.5 * r**2, np.abs(r) - 0.5), atol=1e-15)
    np.testing.assert_allclose(dashed.get_ydata(), np.clip(r, -1, 1), atol=1e-15)
    styles = [line.get_linestyle() for line in zero_one.axes[0].lines if not line.get_label().startswith("_")]
    assert styles == ["-", "-"]  # y = 1 and y = 0, no derivative
    assert "derivative" not in zero_one.axes[0].get_title()
    plt.close("all")


def test_the_command_line_needs_a_book(tmp_path, capsys):
    with pytest.raises(SystemExit):
        atlas.main(["--root", str(tmp_path)])
    assert "is not a folder: run from the root of the book or pass --root" in capsys.readouterr().err


def test_atlas_loads_lazily():
    import subprocess
    import sys

    code = "import sys, lossfns; print('matplotlib' in sys.modules); lossfns.atlas; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


# --- the gradient formula printed beside each figure, transcribed to NumPy and checked against the package ---

def _cos_b(a, b):
    na, nb = np.linalg.norm(a, axis=-1, keepdims=True), np.linalg.norm(b, axis=-1, keepdims=True)
    cos = np.sum(a * b, axis=-1, keepdims=True) / (na * nb)
    return cos, a / (na * nb) - cos * b / nb**2


def _cosine_embedding(y, a, b, margin):
    cos, dcos = _cos_b(a, b)
    return np.where(y[:, None] == 1, -dcos, (cos > margin) * dcos)


def _triplet(a, p, n, margin, eps):
    d_ap, d_an = np.linalg.norm(a - p + eps, axis=-1), np.linalg.norm(a - n + eps, axis=-1)
    return ((margin + d_ap - d_an) > 0)[:, None] * (a - n + eps) / d_an[:, None]


def _tversky(y, q, alpha, beta, s):
    tp, fp, fn = (np.sum(v, axis=-1, keepdims=True) for v in (y * q, (1 - y) * q, y * (1 - q)))
    d = tp + alpha * fp + beta * fn + s
    return -(y * d - (tp + s) * (y + alpha * (1 - y) - beta * y)) / d**2


def _dice(y, q, s):
    i, u = np.sum(y * q, axis=-1, keepdims=True), np.sum(y + q, axis=-1, keepdims=True)
    return -(2 * y * (u + s) - (2 * i + s)) / (u + s) ** 2


def _ctc_posteriors(labels, log_probs, blank):
    """gamma_t(k): the posterior probability that frame t emits k, by enumerating every path (small T, C only)."""
    import itertools

    frames, classes = log_probs.shape
    gamma, total = np.zeros((frames, classes)), 0.0
    for path in itertools.product(range(classes), repeat=frames):
        collapsed = [k for i, k in enumerate(path) if k != blank and (i == 0 or k != path[i - 1])]
        if collapsed == list(labels):
            weight = np.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
            total += weight
            gamma[np.arange(frames), list(path)] += weight
    return gamma / total


def _ctc(labels, log_probs, input_lengths, label_lengths, blank):
    out = np.zeros_like(log_probs)
    for i in range(log_probs.shape[1]):
        out[:, i] = -_ctc_posteriors(labels[i].astype(int), log_probs[:, i], blank)
    return out


def _focal(y, p, gamma):
    pt = np.where(y == 1, p, 1 - p)
    return (2 * y - 1) * (gamma * (1 - pt) ** (gamma - 1) * np.log(pt) - (1 - pt) ** gamma / pt)


def _multiclass_hinge(y, s, m):
    k = s.shape[-1]
    own = s[np.arange(len(y)), y.astype(int)][:, None]
    active = ((m - own + s) > 0) & (np.arange(k) != y[:, None])
    out = active / k
    out[np.arange(len(y)), y.astype(int)] = -active.sum(axis=-1) / k
    return out


def _general_robust(y, q, alpha, c):
    r = (q - y) / c
    return r / c * (r**2 / abs(alpha - 2) + 1) ** (alpha / 2 - 1)


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _info_nce(a, b, tau):
    """d(sum_i l_i)/d b_j = sum_i (P_ij - [i = j]) (a_i - s_ij b_j) / (tau |b_j|), unit rows a, b and s = a b^T."""
    ua, ub = _unit(a), _unit(b)
    s = ua @ np.swapaxes(ub, -1, -2)
    g = (_softmax(s / tau) - np.eye(s.shape[-1])) / tau
    terms = g[..., None] * (ua[..., :, None, :] - s[..., None] * ub[..., None, :, :])  # (.., i, j, d)
    return terms.sum(axis=-3) / np.linalg.norm(b, axis=-1, keepdims=True)


def _nt_xent(za, zb, tau):
    """d(sum l)/d z_k = sum_j (G_kj + G_jk)(z_j - s_kj z_k) / |z_k|; the rows of z_b are k = n..2n-1."""
    z = np.concatenate([za, zb], axis=-2)
    u, n2 = _unit(z), z.shape[-2]
    s = u @ np.swapaxes(u, -1, -2)
    logits = np.where(np.eye(n2, dtype=bool), -np.inf, s / tau)
    partner = np.eye(n2)[(np.arange(n2) + n2 // 2) % n2]
    g = (_softmax(logits) - partner) / tau
    sym = g + np.swapaxes(g, -1, -2)
    terms = sym[..., None] * (u[..., None, :, :] - s[..., None] * u[..., :, None, :])  # (.., k, j, d)
    grad = terms.sum(axis=-2) / np.linalg.norm(z, axis=-1, keepdims=True)
    return grad[..., n2 // 2:, :]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _categorical_focal(y, x, gamma):
    p = x / x.sum(-1, keepdims=True)
    u = -y * (1 - p) ** gamma * (1 - gamma * p * np.log(p) / (1 - p))
    return (u / p - u.sum(-1, keepdims=True)) / x.sum(-1, keepdims=True)


#: record name -> (index of the gradient, NumPy transcription of ``record.gradient`` from the slice's args)
TRANSCRIBED = {
    "mse": (0, lambda y, q: 2 * (q - y)),
    "mae": (0, lambda y, q: np.sign(q - y)),
    "msle": (0, lambda y, q: 2 * (np.log(1 + q) - np.log(1 + y)) / (1 + q)),
    "huber": (0, lambda y, q: np.clip(q - y, -1.0, 1.0)),
    "log_cosh": (0, lambda y, q: np.tanh(q - y)),
    "quantile": (0, lambda y, q: (q > y) - 0.5),
    "tukey": (0, lambda y, q, c=4.685: np.where(np.abs(q - y) < c, (q - y) * (1 - ((q - y) / c) ** 2) ** 2, 0.0)),
    "general_robust": (0, lambda y, q: _general_robust(y, q, 1.0, 1.0)),
    "poisson_nll": (0, lambda y, q: 1 - y / (q + 1e-8)),
    "gaussian_nll": (1, lambda y, mu, v: 0.5 * (1 / v - (y - mu) ** 2 / v**2)),
    "binary_cross_entropy": (0, lambda y, p: (p - y) / (p * (1 - p))),
    "focal": (0, lambda y, p: _focal(y, p, 2.0)),
    "categorical_focal": (0, lambda y, p: _categorical_focal(y, p, 2.0)),
    "categorical_cross_entropy": (0, lambda y, p: -y / p + y.sum(-1, keepdims=True) / p.sum(-1, keepdims=True)),
    "sparse_categorical_cross_entropy": (0, lambda y, p: -(np.arange(p.shape[-1]) == y[:, None]).astype(float) / p
                                         + 1 / p.sum(-1, keepdims=True)),
    "nll": (0, lambda y, lp: -(np.arange(lp.shape[-1]) == y[:, None]).astype(float)),
    "hinge": (0, lambda y, s: -y * (y * s < 1)),
    "squared_hinge": (0, lambda y, s: -2 * y * np.maximum(0, 1 - y * s)),
    "multiclass_hinge": (0, lambda y, s: _multiclass_hinge(y, s, 1.0)),
    "kl_divergence": (0, lambda p, q: -p / q),
    "contrastive": (0, lambda y, d: 2 * y * d - 2 * (1 - y) * np.maximum(0, 1.0 - d)),
    "margin_ranking": (0, lambda y, x1, x2: -y * (0.0 - y * (x1 - x2) > 0)),
    "cosine_embedding": (1, lambda y, a, b: _cosine_embedding(y, a, b, 0.0)),
    "triplet": (2, lambda a, p, n: _triplet(a, p, n, 1.0, 1e-6)),
    "dice": (0, lambda y, q: _dice(y, q, 1.0)),
    "tversky": (0, lambda y, q: _tversky(y, q, 0.5, 0.5, 1.0)),
    "ctc": (0, lambda labels, lp, il, ll: _ctc(labels, lp, il, ll, 0)),
    "info_nce": (1, lambda a, b: _info_nce(a, b, 0.1)),
    "nt_xent": (1, lambda a, b: _nt_xent(a, b, 0.5)),
    "distillation": (0, lambda t, s: 2.0 * (_softmax(s / 2.0) - _softmax(t / 2.0))),
    "bradley_terry": (0, lambda rc, rr: -_sigmoid(rr - rc)),
    "dpo": (0, lambda pc, pr, rc, rr: -0.1 * _sigmoid(-0.1 * ((pc - rc) - (pr - rr)))),
}


def test_every_loss_with_a_gradient_prints_its_formula_and_only_those():
    assert {r.name for r in RECORDS if r.gradient} == {r.name for r in WITH_GRAD} == set(TRANSCRIBED)
    for r in WITH_GRAD:
        assert r.gradient.startswith(r"\frac{\partial \ell}{\partial "), r.name


@pytest.mark.parametrize("record", WITH_GRAD, ids=[r.name for r in WITH_GRAD])
def test_the_printed_gradient_formula_is_the_package_gradient(record):
    """The formula beside the figure, transcribed above, equals ``record.grad`` along the slice (off the kinks)."""
    index, formula = TRANSCRIBED[record.name]
    spec = atlas.SLICES[record.inputs]
    low, high = atlas._RANGES.get(record.name, spec.t)
    t = low + np.array([0.137, 0.311, 0.529, 0.713, 0.877]) * (high - low)
    for label, args, directions, _axis in spec.curves(t):
        assert index in directions
        grads = record.grad(*args, reduction="sum")
        grads = grads if isinstance(grads, tuple) else (grads,)
        np.testing.assert_allclose(grads[index], formula(*args), rtol=1e-9, atol=1e-12, err_msg=label)


def test_the_transcription_check_can_fail():
    index, formula = TRANSCRIBED["mse"]
    y, q = np.zeros(3), np.array([0.5, 1.0, 2.0])
    assert not np.allclose(lf.registry.get("mse").grad(y, q, reduction="sum"), (q - y))  # the missing factor 2
