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
            loss = record.fn(*args, reduction="none")
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
