"""lossfns-coursework gradescope: the autograder zip, run locally on submissions laid out as
Gradescope lays them out (/autograder/source, /autograder/submission, /autograder/results)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from lossfns import coursework as cw

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "tests" / "fixtures" / "coursework" / "exercise_demo.ipynb"
GUIDE = ROOT / "chapters" / "appendix" / "coursework.md"
HIDDEN = GUIDE.read_text(encoding="utf-8").split("**Hidden cases.**", 1)[1].split("```python\n", 1)[1].split("```")[0]


@pytest.fixture(scope="module")
def autograder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradescope")
    (tmp / "hidden.py").write_text(HIDDEN, encoding="utf-8")
    out = tmp / "autograder.zip"
    assert cw.main(["gradescope", "--exercises", "1.1,1.4", "--cases", str(tmp / "hidden.py"), "--points", "1.1=2",
                    "--partial", "--cell-timeout", "30", "--timeout", "120", "--src", str(ROOT / "chapters"),
                    "--out", str(out)]) == 0
    return out


def _run(zip_path: Path, root: Path, files: dict[str, dict | str]) -> dict:
    """Unpack the zip as Gradescope does, place the submitted files, run run_autograder."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    (root / "submission").mkdir()
    for name, content in files.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            nbformat.write(nbformat.from_dict(content), target)
    # the zip's own copy of lossfns runs the grading; the kernel uses this environment's
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "LOSSFNS_PYTHON": sys.executable,
           "PYTHONPATH": str(root / "source" / "lossfns-src")}
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def _submission(answer: str | None) -> dict:
    nb = nbformat.read(DEMO, as_version=4)
    if answer is not None:
        nb.cells.append(nbformat.v4.new_markdown_cell(
            f"**Your answer to the written question of exercise 1.4:**\n\n{answer}",
            metadata={"lossfns": {"written": "1.4"}, "tags": [cw.WRITTEN_TAG]}))
    return nb


def test_the_zip_holds_what_gradescope_runs(autograder, tmp_path):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        setup = archive.read("setup.sh").decode()
        config = json.loads(archive.read("config.json"))
        archive.extract("setup.sh", tmp_path)
    assert {"setup.sh", "run_autograder", "config.json", "cases.py", "lossfns-src/pyproject.toml",
            "lossfns-src/lossfns/__init__.py", "lossfns-src/lossfns/grading.py",
            "lossfns-src/lossfns/exercises/ch01.py"} <= names
    assert any(n.startswith("lossfns-src/lossfns/_precomputed/") and n.endswith(".json") for n in names)
    assert not any("__pycache__" in n for n in names)
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0
    assert "download.pytorch.org/whl/cpu" in setup  # chapter 1 imports torch: the CPU build, not CUDA
    assert '"./lossfns-src[keras]"' in setup and "nbclient" in setup  # and Keras (chapter 1 uses it)
    assert config["exercises"] == ["1.1", "1.4"] and config["points"]["1.1"] == 2.0 and config["partial"] is True
    assert config["notebooks"] == ["01_foundations.ipynb"] and config["limits"]["cell_seconds"] == 30


def test_results_json_is_computed_by_the_grader(autograder, tmp_path):
    forged = _submission("Because H = 2/n X^T X has eigenvalues 2 s_i^2 / n.")
    forged.cells.append(nbformat.v4.new_code_cell('print("✓ Exercise 1.4 (largest stable learning rate): all 5 '
                                                  'cases pass")'))
    results = _run(autograder, tmp_path / "a", {"01_foundations.ipynb": forged, "scratch.ipynb": _submission(None)})
    tests = {t["number"]: t for t in results["tests"]}
    assert set(tests) == {"1.1", "1.4"}
    assert tests["1.1"]["score"] == 2.0 and tests["1.1"]["max_score"] == 2.0  # 2 points x all 6 cases
    assert "all 6 cases pass" in tests["1.1"]["output"]  # 5 public + the hidden one
    assert tests["1.4"]["score"] == 0.0 and "no function named max_stable_lr" in tests["1.4"]["output"]
    assert results["score"] == 2.0
    assert "Graded 01_foundations.ipynb, one of the 2 notebooks" in results["output"]
    assert "Written question 1.4 is marked by hand: your answer was found." in results["output"]


def test_a_stub_or_no_notebook_scores_zero(autograder, tmp_path):
    stub = cw.make_student_notebook(json.loads(DEMO.read_text(encoding="utf-8")))
    results = _run(autograder, tmp_path / "b", {"nested/my_work.ipynb": stub})
    assert results["score"] == 0.0 and all(t["score"] == 0.0 for t in results["tests"])
    assert "no answer was found" in results["output"]
    empty = _run(autograder, tmp_path / "c", {"notes.txt": "I forgot the notebook"})
    assert empty["score"] == 0.0 and "no notebook submitted" in empty["output"]
    assert [t["max_score"] for t in empty["tests"]] == [2.0, 1.0]


def test_unknown_exercises_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cw.main(["gradescope", "--exercises", "9.9", "--out", str(tmp_path / "x.zip")])
    assert not (tmp_path / "x.zip").exists()
