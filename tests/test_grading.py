"""lossfns.grading: the grader computes every result itself, in isolation (issue 19).

Sixteen fake submissions of exercise 1.1 (MSE by hand), graded in one run: only the
correct ones earn points, printed or saved "✓" lines and edited check cells earn
nothing, nothing one submission writes reaches the next, a loop costs at most the
per-notebook limit, and each unreadable file gets a one-line reason.
"""
from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import numpy as np
import pytest

from lossfns import coursework as cw
from lossfns import grading

DEMO = Path(__file__).resolve().parent / "fixtures" / "coursework" / "exercise_demo.ipynb"
LIMITS = grading.Limits(cell_seconds=6, notebook_seconds=20)
FAKE_PASS = "✓ Exercise 1.1 (MSE by hand): all 5 cases pass"


def _demo() -> dict:
    return nbformat.read(DEMO, as_version=4)


def _with_solution(body: str, *, extra_cells: tuple[str, ...] = (), check: str | None = None,
                   before: tuple[str, ...] = ()) -> dict:
    """The demo notebook with the solution cell replaced by ``body`` (and cells added)."""
    nb = _demo()
    nb.cells[3].source = body
    if check is not None:
        nb.cells[4].source = check
    nb.cells[2:2] = [nbformat.v4.new_code_cell(c) for c in before]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in extra_cells]
    return nb


CORRECT = ("def mse_by_hand(y_true, y_pred):\n"
           "    return float(np.mean((np.asarray(y_pred, float) - np.asarray(y_true, float)) ** 2))")
STUB = "def mse_by_hand(y_true, y_pred):\n    ...\n"


def _submissions(folder: Path, outside: Path) -> dict[str, Path]:
    nbs = {
        "correct": _demo(),
        "correct_rewritten": _with_solution(CORRECT),
        "stub": nbformat.reads(json.dumps(cw.make_student_notebook(json.loads(DEMO.read_text()))), as_version=4),
        "sum_not_mean": _with_solution("def mse_by_hand(y_true, y_pred):\n"
                                       "    return float(np.sum((np.asarray(y_pred) - np.asarray(y_true)) ** 2))"),
        "fake_print": _with_solution(STUB, extra_cells=(f"print({FAKE_PASS!r})",)),
        "edited_check": _with_solution(STUB, check='lf.exercises.check("1.1", lambda t, p: lf.mse(t, p))'),
        "patched_checker": _with_solution(STUB, extra_cells=(
            "import lossfns.exercises._core as core\n"
            "core.judge_outcomes = lambda e, c, o: core.CheckResult(e.id, e.title, len(c), [])\n"
            "core._judge = lambda case, outcome: None\nlf.exercises.check = lambda *a: 'pass'",)),
        "hard_coded_public": _with_solution(
            "_ANSWERS = {}\nfor _c in lf.exercises.get('1.1').cases:\n"
            "    _ANSWERS[repr(_c.args)] = float(lf.mse(*_c.args))\n"
            "def mse_by_hand(y_true, y_pred):\n    return _ANSWERS.get(repr((y_true, y_pred)), 0.0)"),
        "mutates_input": _with_solution("def mse_by_hand(y_true, y_pred):\n"
                                        "    if isinstance(y_pred, np.ndarray):\n        y_pred -= y_true\n"
                                        "        return float(np.mean(y_pred ** 2))\n"
                                        "    return float(np.mean((np.asarray(y_pred) - np.asarray(y_true)) ** 2))"),
        "infinite_loop": _with_solution(CORRECT, before=("while True:\n    pass",)),
        "loop_in_function": _with_solution("def mse_by_hand(y_true, y_pred):\n    while True:\n        pass"),
        "os_exit_saved_outputs": _with_solution(STUB, before=("import os\nos._exit(0)",)),
        "shadow_and_escape": _with_solution(CORRECT, before=(
            "for where in ('lossfns.py', '../lossfns.py', '/tmp/lossfns.py', "
            f"{str(outside / 'lossfns.py')!r}):\n"
            "    try:\n"
            "        open(where, 'w').write('raise ImportError(\"shadowed\")')\n"
            "    except OSError as exc:\n"
            "        print(type(exc).__name__)\n",)),
        "after_shadow": _demo(),
    }
    # saved outputs claiming success must count for nothing
    saved = nbs["os_exit_saved_outputs"]
    saved.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=FAKE_PASS + "\n")]
    paths = {}
    for name, nb in nbs.items():
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    (folder / "empty_object.ipynb").write_text("{}", encoding="utf-8")
    (folder / "corrupted.ipynb").write_text('{"cells": [', encoding="utf-8")
    paths["empty_object"], paths["corrupted"] = folder / "empty_object.ipynb", folder / "corrupted.ipynb"
    return paths


GUIDE = Path(__file__).resolve().parents[1] / "chapters" / "appendix" / "coursework.md"
# the hidden-cases file shown in the coursework guide, used as written
_AFTER = GUIDE.read_text(encoding="utf-8").split("**Hidden cases.**", 1)[1]
HIDDEN = _AFTER.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    (root / "subs").mkdir()
    (root / "outside").mkdir()
    paths = _submissions(root / "subs", root / "outside")
    (root / "hidden.py").write_text(HIDDEN, encoding="utf-8")
    hidden, points = grading.load_instructor_file(root / "hidden.py")
    with ThreadPoolExecutor(2) as pool:  # submissions are independent: each has its own folder and worker
        futures = {name: pool.submit(grading.grade_one, p, ["1.1"], hidden=hidden, points=points, partial=True,
                                     limits=LIMITS) for name, p in paths.items()}
    grades = {name: future.result() for name, future in futures.items()}
    written = grading.write_gradebook(list(grades.values()), root / "out", ["1.1"], points=points)
    return {"root": root, "grades": grades, "written": written, "paths": paths}


def test_only_correct_submissions_earn_points(graded):
    g = graded["grades"]
    earned = {name: grade.points["1.1"] for name, grade in g.items()}
    assert {n for n, p in earned.items() if p > 0} == {
        "correct", "correct_rewritten", "infinite_loop", "shadow_and_escape", "after_shadow",
        "sum_not_mean", "mutates_input", "hard_coded_public"}  # the last three only partly (below)
    for name in ("correct", "correct_rewritten", "infinite_loop", "shadow_and_escape", "after_shadow"):
        assert earned[name] == 4.0 and g[name].results["1.1"].passed, (name, g[name].results["1.1"])
    # partial credit: 6 cases (5 public + 1 hidden); the share passed times 4 points
    assert earned["sum_not_mean"] == pytest.approx(4 * 1 / 6)  # only 'single element' agrees
    assert earned["hard_coded_public"] == pytest.approx(4 * 5 / 6)  # the hidden case catches the lookup table
    assert "negative values" in repr(g["hard_coded_public"].results["1.1"])
    assert 0 < earned["mutates_input"] < 4 and "in place" in repr(g["mutates_input"].results["1.1"])


def test_prints_saved_outputs_edited_checks_and_patched_checkers_count_for_nothing(graded):
    g = graded["grades"]
    for name in ("stub", "fake_print", "edited_check", "patched_checker", "os_exit_saved_outputs"):
        assert g[name].points["1.1"] == 0.0, name
        assert not g[name].results["1.1"].passed
    assert "did you replace the `...`" in repr(g["stub"].results["1.1"])
    assert g["os_exit_saved_outputs"].reason.startswith("stopped early: DeadKernelError")


def test_loops_cost_at_most_the_limits(graded):
    g = graded["grades"]
    assert g["infinite_loop"].seconds < LIMITS.notebook_seconds + 10  # the cell limit interrupted the loop
    looping = g["loop_in_function"]
    assert looping.points["1.1"] == 0.0 and looping.seconds < LIMITS.notebook_seconds + 10
    assert "did not finish" in repr(looping.results["1.1"]) or looping.reason


def test_nothing_a_submission_writes_reaches_the_next_or_leaves_its_folder(graded):
    g, root = graded["grades"], graded["root"]
    assert g["after_shadow"].points["1.1"] == 4.0
    if any("namespaces:" in note and "read-only" in note for note in g["shadow_and_escape"].isolation):
        assert not (root / "outside" / "lossfns.py").exists()
        assert not (root / "subs" / "lossfns.py").exists()
        printed = "".join(o.get("text", "") for c in g["shadow_and_escape"].executed.cells if c.cell_type == "code"
                          for o in c.outputs)
        assert printed.count("OSError") == 3  # only the write into its own folder succeeded
    else:
        pytest.skip("no namespaces here: " + "; ".join(g["shadow_and_escape"].isolation))


def test_bad_files_get_one_line_reasons_and_the_rest_are_graded(graded):
    g = graded["grades"]
    assert g["empty_object"].reason == ("not graded: the file is JSON but not a notebook "
                                        "(it has no 'cells' or no 'nbformat')")
    assert g["corrupted"].reason.startswith("not graded: the file is not JSON")
    assert all("\n" not in grade.reason for grade in g.values())


def test_gradebook_csv_json_and_feedback(graded):
    written, names = graded["written"], list(graded["grades"])
    with open(written["csv"], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["submission"] for r in rows] == [f"{n}.ipynb" for n in names]
    row = {r["submission"]: r for r in rows}
    assert row["correct.ipynb"]["ex 1.1"] == "4" and row["correct.ipynb"]["max"] == "4"
    assert row["stub.ipynb"]["total"] == "0"
    assert row["empty_object.ipynb"]["note"].startswith("not graded")
    records = json.loads(written["json"].read_text(encoding="utf-8"))
    assert records[0]["exercises"]["1.1"]["passed"] is True and records[0]["total"] == 4.0
    feedback = nbformat.read(written["feedback"] / "sum_not_mean.ipynb", as_version=4)
    assert feedback.cells[-1].cell_type == "markdown" and "case 'lists' failed" in feedback.cells[-1].source
    assert all(c.execution_count for c in feedback.cells if c.cell_type == "code")  # executed copy


def test_tagged_json_round_trip_and_refusals():
    values = [None, Ellipsis, True, 3, 2.5, np.float32(1.5), np.int64(7), "s", [1.0, (2, "x")],
              np.arange(6.0).reshape(2, 3), np.array([True, False]), float("nan"), float("-inf")]
    for v in values:
        back = grading.decode(json.loads(json.dumps(grading.encode(v))))
        assert type(back) is type(v) or (isinstance(v, np.ndarray) and back.dtype == v.dtype)
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(back, v)
        elif v == v:
            assert back == v
    other = grading.decode(grading.encode(object()))
    assert type(other).__name__ == "object" and not isinstance(other, (int, float, np.ndarray))
    assert type(grading.decode({"$": "other", "type": "Evil(); import os"})).__name__ == "Evilimportos"
    with pytest.raises(ValueError):  # an array that claims a dtype it is not is refused
        grading.decode({"$": "array", "dtype": "float64", "shape": [1], "v": ["__import__('os')"]})


def test_instructor_file_is_validated(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from lossfns.exercises import Case\nCASES = {'1.1': [Case('x', (1.0,), lambda g, a: None)]}\n")
    with pytest.raises(ValueError, match="needs exactly one of judge and raises, and 2 arguments"):
        grading.load_instructor_file(bad)
    bad.write_text("POINTS = {'99.9': 1}\n")
    with pytest.raises(ValueError, match="unknown exercises"):
        grading.load_instructor_file(bad)
    with pytest.raises(KeyError):
        bad.write_text("CASES = {'99.9': []}\n")
        grading.load_instructor_file(bad)


def test_cli_grade_writes_the_gradebook(tmp_path, capsys):
    sub = tmp_path / "a.ipynb"
    nbformat.write(_demo(), sub)
    assert cw.main(["grade", str(sub), "--exercises", "1.1", "--points", "1.1=2", "--out", str(tmp_path / "g"),
                    "--cell-timeout", "30", "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    assert f"{sub}: 1.1:2  total 2" in out
    assert (tmp_path / "g" / "gradebook.csv").exists() and (tmp_path / "g" / "feedback" / "a.ipynb").exists()
    with pytest.raises(SystemExit):
        cw.main(["grade", str(sub), "--exercises", "9.9"])



def test_written_questions_reach_the_gradebook_for_marking_by_hand(tmp_path):
    """Exercise 1.4 has a written question: the student's answer cell (as the student version
    makes it) is collected, not judged; a missing cell gives an empty answer."""
    student_cell = cw.make_student_notebook({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "id": "w", "metadata": {"lossfns": {"written": "1.4"}, "tags": [cw.WRITTEN_TAG]},
         "source": "model answer: n / sigma_max^2"}]})["cells"][0]
    assert "sigma" not in student_cell["source"] and cw.ANSWER_PLACEHOLDER in student_cell["source"]
    answered = _demo()
    answer = nbformat.from_dict(student_cell)
    answer.source = answer.source.replace(cw.ANSWER_PLACEHOLDER, "The eigenvalues of H are 2 s_i^2 / n.")
    answered.cells.append(answer)
    placeholder_only = _demo()
    placeholder_only.cells.append(nbformat.from_dict(student_cell))
    paths = []
    for name, nb in [("answered", answered), ("placeholder_only", placeholder_only), ("no_cell", _demo())]:
        paths.append(tmp_path / f"{name}.ipynb")
        nbformat.write(nb, paths[-1])
    grades = grading.grade_submissions(paths, ["1.1", "1.4"], limits=LIMITS)
    assert [g.written for g in grades] == [{"1.4": "The eigenvalues of H are 2 s_i^2 / n."}, {"1.4": ""}, {"1.4": ""}]
    assert [g.points for g in grades] == [{"1.1": 1.0, "1.4": 0.0}] * 3  # the answer earns no automatic points
    out = grading.write_gradebook(grades, tmp_path / "out", ["1.1", "1.4"])
    with open(out["csv"], encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["written 1.4"] for r in rows] == ["", "", ""] and rows[0]["max"] == "2"  # for the marker to fill
    record = json.loads(out["json"].read_text(encoding="utf-8"))[0]["written"]["1.4"]
    assert record["answer"].startswith("The eigenvalues") and record["points"] is None
    assert "largest singular value" in record["question"]
    sheet = (out["written"] / "1.4.md").read_text(encoding="utf-8")
    assert sheet.count("## ") == 3 and sheet.count("*(no answer)*") == 2


def test_the_submission_runs_as_an_unprivileged_user_whenever_the_grader_says_so(tmp_path):
    """As root, the worker drops to 'nobody' when that user can run the grading Python; the
    isolation note must say which happened, and the submission's own uid must agree with it.
    .ci/run provides such a Python (LOSSFNS_GRADER_PYTHON), since this one may live under /root."""
    import os
    import subprocess
    import sys
    import tempfile

    secret_dir = Path(tempfile.mkdtemp())  # mode 700, owned by the grader's user
    (secret_dir / "answers.txt").write_text("the instructor's answers", encoding="utf-8")
    nb = _demo()
    nb.cells.insert(2, nbformat.v4.new_code_cell(
        "import os\nprint('uid', os.getuid())\n"
        f"try:\n    open({str(secret_dir / 'answers.txt')!r}).read()\n    print('read the secret')\n"
        "except OSError as exc:\n    print(type(exc).__name__)"))
    nbformat.write(nb, tmp_path / "sub.ipynb")
    python = os.environ.get("LOSSFNS_GRADER_PYTHON", sys.executable)
    script = ("import json, sys\nfrom lossfns import grading\n"
              "limits = grading.Limits(cell_seconds=30, notebook_seconds=90)\n"
              "g = grading.grade_one(sys.argv[1], ['1.1'], limits=limits)\n"
              "out = ''.join(o.get('text', '') for c in g.executed.cells if c.cell_type == 'code' for o in c.outputs)\n"
              "print(json.dumps({'points': g.points, 'isolation': g.isolation, 'printed': out}))")
    done = subprocess.run([python, "-c", script, str(tmp_path / "sub.ipynb")], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["points"] == {"1.1": 1.0}
    note = next(n for n in report["isolation"] if "user" in n or "root" in n)
    uid = int(report["printed"].split("uid ")[1].split()[0])
    if note.startswith("runs as the unprivileged user"):
        assert uid == 65534 and "PermissionError" in report["printed"]
    elif note.startswith("stays root"):
        assert uid == 0 and "read the secret" in report["printed"]  # the guide says so
        pytest.skip(note)
    else:
        assert note.startswith("runs as the grader's own user") and uid == os.getuid()
