"""Grade submitted notebooks: the grader computes every result itself, each submission isolated.

What a submission prints counts for nothing. For each notebook the grader

1. clears its outputs and copies it, alone, into a fresh temporary folder;
2. runs it top to bottom in a fresh Jupyter kernel inside a disposable worker
   process (on Linux, when the grader may, in new mount, PID and network
   namespaces: the file system read-only except that folder, no network, every
   process killed with the worker), with a clean import path (the folder is not
   on ``sys.path``), a per-cell and a per-notebook time limit, and memory,
   process and file-size limits;
3. then, in that kernel, calls the function each graded exercise asks for, by
   name, on the exercise's cases (the public ones and the instructor's hidden
   ones), and records what it returned or raised in a file whose name only the
   grader knows;
4. judges those outcomes in the grader's own process with the instructor's
   checks (:func:`lossfns.exercises._core.judge_outcomes`), so an edited check
   cell, a printed "✓" line or a patched ``lossfns`` in the kernel changes nothing.

The outcomes travel as tagged JSON (numbers, arrays, tuples, lists, strings),
never as pickles, so reading them runs no code of the submission.
"""
from __future__ import annotations

import csv
import inspect
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lossfns.exercises import _core

__all__ = ["Limits", "SubmissionGrade", "grade_submissions", "load_instructor_file", "write_gradebook",
           "written_answers"]


# --- tagged JSON: the only format in which values cross between grader and kernel --------------

def encode(value):
    """``value`` as JSON-safe data with type tags; anything else becomes a named placeholder."""
    import numpy

    if value is None:
        return {"$": "none"}
    if value is Ellipsis:
        return {"$": "ellipsis"}
    if isinstance(value, (bool, numpy.bool_)):
        return {"$": "bool", "v": bool(value)}
    if isinstance(value, (int, float, numpy.integer, numpy.floating)):
        kind = "int" if isinstance(value, (int, numpy.integer)) else "float"
        scalar = "py" if type(value) in (int, float) else str(numpy.asarray(value).dtype)
        return {"$": kind, "dtype": scalar, "v": repr(int(value) if kind == "int" else float(value))}
    if isinstance(value, str):
        return {"$": "str", "v": value}
    if isinstance(value, (list, tuple)):
        return {"$": type(value).__name__ if type(value) in (list, tuple) else "list",
                "v": [encode(v) for v in value]}
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "biuf":
        flat = [repr(x) for x in value.ravel().tolist()]
        return {"$": "array", "dtype": str(value.dtype), "shape": list(value.shape), "v": flat}
    return {"$": "other", "type": type(value).__name__}


def decode(data):
    """The value :func:`encode` described (numbers, arrays and containers only)."""
    if isinstance(data, list):  # not produced by encode; refuse quietly
        return _placeholder("list")
    if not isinstance(data, dict) or "$" not in data:
        return _placeholder(type(data).__name__)
    tag, v = data["$"], data.get("v")
    if tag == "none":
        return None
    if tag == "ellipsis":
        return Ellipsis
    if tag == "bool":
        return bool(v)
    if tag in ("int", "float"):
        number = int(v) if tag == "int" else float(v)
        return number if data.get("dtype") == "py" else np.asarray(number, dtype=data["dtype"])[()]
    if tag == "str":
        return str(v)
    if tag in ("list", "tuple"):
        items = [decode(x) for x in v]
        return items if tag == "list" else tuple(items)
    if tag == "array":
        kind = np.dtype(data["dtype"]).kind
        cast = {"b": lambda s: s == "True", "i": int, "u": int, "f": float}[kind]
        return np.array([cast(x) for x in v], dtype=data["dtype"]).reshape(data["shape"])
    return _placeholder(str(data.get("type", "object")))


def _placeholder(type_name: str):
    """An object whose type is named like the one the candidate returned (for the judge's message)."""
    name = "".join(c for c in type_name if c.isalnum() or c == "_") or "object"
    return type(name, (), {"__repr__": lambda self: f"<{name}>"})()


# --- the code run in the submission's kernel, after its own cells ------------------------------

_HARNESS = '''
def __lossfns_harness(spec_text):
    import copy, json, warnings
    import numpy
{encode}
{decode}
    spec = json.loads(spec_text)
    record = {{"id": spec["id"], "found": False, "outcomes": []}}

    def save():
        with open(spec["path"], "w", encoding="utf-8") as handle:
            json.dump(record, handle)

    candidate = globals().get(spec["function"])
    record["found"] = callable(candidate)
    save()
    if not callable(candidate):
        return
    np = numpy
    _placeholder = lambda name: type(name, (), {{}})()
    for case in spec["cases"]:
        args = decode(case)
        before = copy.deepcopy(args)
        outcome = {{}}
        try:
            with warnings.catch_warnings(), numpy.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = candidate(*args)
        except Exception as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            text = text[:147] + "..." if len(text) > 150 else text
            outcome = {{"raised": [k.__name__ for k in type(exc).__mro__],
                        "error": f"{{type(exc).__name__}}: {{text}}" if text else type(exc).__name__}}
        else:
            outcome = {{"value": encode(got)}}
            for name, a, b in zip(spec["params"], before, args):
                try:
                    same = bool(numpy.array_equal(numpy.asarray(a), numpy.asarray(b)))
                except Exception:
                    same = True
                if not same:
                    outcome["mutated"] = name
                    break
        record["outcomes"].append(outcome)
        save()


__lossfns_harness({spec!r})
del __lossfns_harness
'''


def _indented_source(fn) -> str:
    return "\n".join("    " + line if line else line for line in inspect.getsource(fn).splitlines())


def harness_source(spec: dict) -> str:
    """The cell the grader runs in the kernel for one exercise (``spec``: id, function, params, cases, path)."""
    return _HARNESS.format(encode=_indented_source(encode), decode=_indented_source(decode),
                           spec=json.dumps(spec))


# --- limits and isolation ------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """Per-submission limits: seconds per cell and per notebook, memory (MiB of address space),
    processes/threads (only enforced for an unprivileged user), and the largest file it may write (MiB)."""

    cell_seconds: int = 120
    notebook_seconds: int = 600
    memory_mib: int = 8192
    processes: int = 512
    file_mib: int = 256


def _namespaces_available() -> bool:
    if sys.platform != "linux" or shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "--mount", "--pid", "--fork", "--net", "true"], capture_output=True)
    return probe.returncode == 0


def _isolation_command(folder: Path) -> tuple[list[str], list[str]]:
    """The command prefix that isolates the worker, and the sentences that say what it does."""
    if _namespaces_available():
        return (["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--net", "--kill-child"],
                ["own mount, PID and network namespaces: file system read-only except the submission's folder, "
                 "no network, every process it starts killed with it"])
    return [], ["no namespaces (not Linux, not root, or unshare refused): the submission can write wherever "
                "the grader's user can, reach the network, and leave processes behind"]


_USER_PROBE: dict = {}


def _unprivileged_user(name: str = "nobody") -> tuple[tuple[int, int] | None, str]:
    """``((uid, gid), note)`` of the user the worker drops to when the grader runs as root, or
    ``(None, note)`` saying why it cannot: not root, no such user, or this Python (with nbclient,
    ipykernel and lossfns) is not readable by that user, e.g. when it lives under ``/root``."""
    if name in _USER_PROBE:
        return _USER_PROBE[name]
    if sys.platform != "linux" or os.geteuid() != 0:
        found = (None, "runs as the grader's own user (not root)")
    else:
        import pwd

        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            found = (None, f"stays root: there is no user {name!r}")
        else:
            def as_user():
                os.setgroups([])
                os.setgid(entry.pw_gid)
                os.setuid(entry.pw_uid)

            try:
                probe = subprocess.run([sys.executable, "-c", "import nbclient, ipykernel, lossfns"],
                                       capture_output=True, preexec_fn=as_user, cwd="/",
                                       env={"PATH": os.environ.get("PATH", "")}, timeout=120).returncode
            except (OSError, subprocess.SubprocessError):
                probe = -1
            unreadable = (f"stays root: user {name!r} cannot run {sys.executable} with nbclient, ipykernel and "
                          "lossfns (not readable by it)")
            found = (((entry.pw_uid, entry.pw_gid), f"runs as the unprivileged user {name!r}")
                     if probe == 0 else (None, unreadable))
    _USER_PROBE[name] = found
    return found


def _drop_to(user: list | None) -> None:
    """In the worker: become the unprivileged user (after the mounts, before any submission code)."""
    if user:
        os.setgroups([])
        os.setgid(user[1])
        os.setuid(user[0])


def _read_only_except(folder: Path) -> list[str]:
    """Inside the worker's mount namespace: remount everything read-only except ``folder``."""
    notes = []
    run = lambda *a: subprocess.run(list(a), capture_output=True).returncode == 0  # noqa: E731
    if not run("mount", "--make-rprivate", "/"):
        return ["could not make the mounts private; the file system stays writable"]
    run("mount", "--bind", str(folder), str(folder))
    skip = ("/proc", "/sys", "/dev/pts")
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    failed = [m for m in mounts if m != str(folder) and not m.startswith(skip)
              and not run("mount", "-o", "remount,bind,ro", m)]
    if failed:
        notes.append(f"{len(failed)} mount(s) stayed writable: {', '.join(sorted(set(failed))[:5])}")
    run("ip", "link", "set", "lo", "up")  # the kernel talks to its client over the loopback device
    return notes


def _set_limits(limits: Limits) -> None:
    import resource

    mib = 1024 * 1024
    for name, value in (("RLIMIT_AS", limits.memory_mib * mib), ("RLIMIT_FSIZE", limits.file_mib * mib),
                        ("RLIMIT_CORE", 0), ("RLIMIT_NPROC", limits.processes)):
        which = getattr(resource, name, None)
        if which is not None:
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass


def _kernel_env(folder: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ", "OMP_NUM_THREADS")}
    return {**keep, "HOME": str(folder), "TMPDIR": str(folder), "PYTHONSAFEPATH": "1", "PYTHONNOUSERSITE": "1",
            "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(folder / ".config"), "IPYTHONDIR": str(folder / ".ipython"),
            "JUPYTER_RUNTIME_DIR": str(folder / ".runtime"), "JUPYTER_CONFIG_DIR": str(folder / ".jupyter"),
            "JUPYTER_DATA_DIR": str(folder / ".jupyter-data"), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}


# --- the worker: runs in the isolated process ---------------------------------------------------

def _worker(spec: dict) -> None:
    import nbclient
    import nbformat

    folder = Path(spec["folder"])
    notes = _read_only_except(folder) if spec.get("isolate") else []
    limits = Limits(**spec["limits"])
    _set_limits(limits)
    _drop_to(spec.get("user"))
    os.environ.clear()
    os.environ.update(_kernel_env(folder))
    os.chdir(folder)
    nb = nbformat.read(folder / "submission.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=limits.cell_seconds, allow_errors=True, interrupt_on_timeout=True,
        kernel_name="python3", resources={"metadata": {"path": str(folder)}},
        extra_arguments=["--InteractiveShellApp.ignore_cwd=True", "--HistoryManager.enabled=False"],
    )
    status = {"stopped": None, "notes": notes}
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
            own = len(nb.cells)
            for exercise in spec["exercises"]:
                nb.cells.append(nbformat.v4.new_code_cell(harness_source(exercise)))
                client.execute_cell(nb.cells[-1], len(nb.cells) - 1)
            del nb.cells[own:]  # the feedback copy shows the submission's cells, not the grader's
    except Exception as exc:  # the kernel died (os._exit, memory) or could not start
        status["stopped"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    (folder / f"executed-{spec['token']}.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
    (folder / f"status-{spec['token']}.json").write_text(json.dumps(status), encoding="utf-8")


# --- the grader ------------------------------------------------------------------------------------

@dataclass
class SubmissionGrade:
    """The grade of one submission: per exercise the :class:`~lossfns.exercises.CheckResult`
    (``None`` if it could not be graded), points earned, and a one-line reason when the notebook
    could not be graded at all or stopped early."""

    submission: str
    results: dict = field(default_factory=dict)
    points: dict = field(default_factory=dict)
    reason: str = ""
    seconds: float = 0.0
    isolation: list = field(default_factory=list)
    executed: dict | None = None
    written: dict = field(default_factory=dict)  # exercise id -> the student's answer ("" if none)

    @property
    def total(self) -> float:
        return float(sum(self.points.values()))


def load_instructor_file(path: str | Path | None) -> tuple[dict, dict]:
    """Hidden cases and points from an instructor's Python file (kept outside the package).

    The file defines ``CASES = {"1.1": [Case(...), ...]}`` (added to the public cases when
    grading) and optionally ``POINTS = {"1.1": 2, ...}``; it may import from
    ``lossfns.exercises``. Cases are checked like registered ones (arity, judge or raises).
    """
    if path is None:
        return {}, {}
    namespace: dict = {}
    source = Path(path).read_text(encoding="utf-8")
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - the instructor's own file
    cases, points = namespace.get("CASES", {}), namespace.get("POINTS", {})
    for exercise_id, extra in cases.items():
        exercise = _core.get(exercise_id)
        _core.Exercise(exercise.id, exercise.title, exercise.function, exercise.params, tuple(extra))  # types only
        for case in extra:
            if (case.judge is None) == (case.raises is None) or len(case.args) != len(exercise.params):
                raise ValueError(f"grading: hidden case {case.name!r} of {exercise_id} needs exactly one of judge "
                                 f"and raises, and {len(exercise.params)} arguments")
    unknown = set(points) - set(_core.ids())
    if unknown:
        raise ValueError(f"grading: POINTS names unknown exercises {sorted(unknown)}")
    return {k: tuple(v) for k, v in cases.items()}, dict(points)


def _cleared(path: Path) -> dict:
    import nbformat

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the file is not JSON ({type(exc).__name__} at {getattr(exc, 'pos', '?')})") from None
    if not isinstance(data, dict) or not {"cells", "nbformat"} <= set(data):
        raise ValueError("the file is JSON but not a notebook (it has no 'cells' or no 'nbformat')")
    nb = nbformat.reads(json.dumps(data), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def written_answers(nb, exercise_ids: Sequence[str]) -> dict[str, str]:
    """The student's answer to the written question of each exercise in ``exercise_ids`` that has
    one: the text of the markdown cell whose metadata ``lossfns.written`` names it ("" when the cell
    is missing or still holds the placeholder; several cells are joined)."""
    from lossfns.coursework import ANSWER_PLACEHOLDER, written_id

    answers = {i: [] for i in exercise_ids if _core.get(i).question}
    for cell in nb.cells:
        exercise = written_id(cell) if cell.cell_type == "markdown" else None
        if exercise in answers:
            text = cell.source.replace(ANSWER_PLACEHOLDER, "")
            text = re.sub(r"^\*\*Your answer to the written question of exercise [\w.]+:\*\*", "", text.strip())
            if text.strip():
                answers[exercise].append(text.strip())
    return {i: "\n\n".join(parts) for i, parts in answers.items()}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def grade_one(path: str | Path, exercise_ids: Sequence[str], *, hidden: dict | None = None,
              points: dict | None = None, partial: bool = False, limits: Limits = Limits()) -> SubmissionGrade:
    """Grade one notebook (see the module's docstring); never raises for a bad submission."""
    import nbformat

    start = time.monotonic()
    path, hidden, points = Path(path), hidden or {}, points or {}
    grade = SubmissionGrade(str(path))
    exercises = [_core.get(i) for i in exercise_ids]
    cases = {e.id: tuple(e.cases) + tuple(hidden.get(e.id, ())) for e in exercises}
    try:
        nb = _cleared(path)
    except Exception as exc:  # not a notebook, or not one nbformat can read: one line, grade the rest
        grade.reason = f"not graded: {exc}" if isinstance(exc, ValueError) and "the file is" in str(exc) \
            else f"not graded: could not read the notebook ({_one_line(exc)})"
        grade.points = {e.id: 0.0 for e in exercises}
        grade.written = {e.id: "" for e in exercises if e.question}
        return grade
    grade.written = written_answers(nb, exercise_ids)
    folder = Path(tempfile.mkdtemp(prefix="lossfns-grade-"))
    token = secrets.token_hex(16)
    try:
        (folder / "submission.ipynb").write_text(nbformat.writes(nb), encoding="utf-8")
        prefix, grade.isolation = _isolation_command(folder)
        user, note = _unprivileged_user()
        grade.isolation.append(note)
        if user:
            for item in (folder, *folder.rglob("*")):
                os.chown(item, *user)
        spec = {
            "folder": str(folder), "token": token, "isolate": bool(prefix), "limits": limits.__dict__,
            "user": list(user) if user else None,
            "exercises": [{"id": e.id, "function": e.function, "params": list(e.params),
                           "cases": [encode(c.args) for c in cases[e.id]],
                           "path": str(folder / f".outcome-{token}-{e.id}.json")} for e in exercises],
        }
        command = [*prefix, sys.executable, "-m", "lossfns.grading", "--worker"]
        env = {**_kernel_env(folder), "PYTHONSAFEPATH": "1"}
        worker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  cwd=folder, env=env, start_new_session=True)
        try:
            worker.communicate(json.dumps(spec).encode(), timeout=limits.notebook_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.communicate()
            grade.reason = f"stopped at the notebook time limit ({limits.notebook_seconds} s)"
        status_file = folder / f"status-{token}.json"
        if status_file.exists():
            status = json.loads(status_file.read_text(encoding="utf-8"))
            grade.isolation += status.get("notes", [])
            if status.get("stopped") and not grade.reason:
                grade.reason = f"stopped early: {status['stopped']}"
            executed = folder / f"executed-{token}.ipynb"
            grade.executed = nbformat.reads(executed.read_text(encoding="utf-8"), as_version=4)
        elif not grade.reason:
            grade.reason = f"stopped early: the worker exited with code {worker.returncode}"
        for e in exercises:
            grade.results[e.id] = _judge_file(e, cases[e.id], folder / f".outcome-{token}-{e.id}.json")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    for e in exercises:
        result, worth = grade.results.get(e.id), float(points.get(e.id, 1))
        share = 0.0 if result is None else (result.cases_passed / result.n_cases if partial else
                                            float(result.passed))
        grade.points[e.id] = round(worth * max(share, 0.0), 6)
    grade.seconds = time.monotonic() - start
    return grade


def _judge_file(exercise, cases, outcome_file: Path):
    """The grader's own judgement of the outcomes the harness recorded (missing file: nothing ran)."""
    if not outcome_file.exists():
        return _core.CheckResult(exercise.id, exercise.title, len(cases), ["the grading cell never ran"], 0)
    try:
        record = json.loads(outcome_file.read_text(encoding="utf-8"))
        if not record.get("found"):
            return _core.CheckResult(exercise.id, exercise.title, len(cases),
                                     [f"no function named {exercise.function} is defined"], 0)
        raw = list(record.get("outcomes", []))[: len(cases)]
        outcomes = [_core.Outcome(value=decode(o["value"])) if "value" in o and "mutated" not in o else
                    _core.Outcome(value=decode(o["value"]), mutated=str(o["mutated"])) if "value" in o else
                    _core.Outcome(raised=tuple(map(str, o.get("raised", ["Exception"]))), error=str(o.get("error")))
                    for o in raw]
        outcomes += [None] * (len(cases) - len(outcomes))
        return _core.judge_outcomes(exercise, cases, outcomes)
    except Exception as exc:  # a corrupted outcome file counts as nothing passed
        return _core.CheckResult(exercise.id, exercise.title, len(cases), [f"unreadable outcome ({_one_line(exc)})"], 0)


def grade_submissions(paths: Iterable[str | Path], exercise_ids: Sequence[str], **options) -> list[SubmissionGrade]:
    """:func:`grade_one` for each path, in order (one at a time: limits hold per submission)."""
    return [grade_one(p, exercise_ids, **options) for p in paths]


def _feedback(grade: SubmissionGrade, nb_source: Path) -> dict:
    import nbformat

    nb = grade.executed
    if nb is None:
        try:
            nb = _cleared(nb_source)
        except Exception:
            nb = nbformat.v4.new_notebook()
    lines = ["## Grading results", "", "Computed by the grader in a fresh kernel; printed output did not count.", ""]
    if grade.reason:
        lines += [f"**{grade.reason}**", ""]
    for exercise_id, result in grade.results.items():
        lines.append(f"* **{exercise_id}** — {grade.points[exercise_id]:g} point(s): "
                     + repr(result).replace("\n", "\n  "))
    for exercise_id, answer in grade.written.items():
        lines.append(f"* **written {exercise_id}** — marked by hand; your answer "
                     + ("is in the notebook." if answer else "was not found (no text in the answer cell)."))
    nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
    return nb


def write_gradebook(grades: Sequence[SubmissionGrade], out_dir: str | Path, exercise_ids: Sequence[str], *,
                    points: dict | None = None, written: Sequence[str] | None = None) -> dict[str, Path]:
    """``gradebook.csv`` and ``gradebook.json`` (one row per submission), ``feedback/<name>.ipynb``,
    and ``written/<id>.md`` per written question: every submission's answer under the question and
    the model answer's location, for marking by hand. ``written`` defaults to the exercises in
    ``exercise_ids`` that have a question; their CSV columns are left empty for the marker."""
    import nbformat

    out, points = Path(out_dir), points or {}
    if written is None:
        written = [i for i in exercise_ids if _core.get(i).question]
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    maximum = float(sum(points.get(i, 1) for i in exercise_ids))
    rows, records = [], []
    for grade in grades:
        name = Path(grade.submission).name
        row = {"submission": name, "total": f"{grade.total:g}", "max": f"{maximum:g}", "note": grade.reason}
        row.update({f"ex {i}": f"{grade.points.get(i, 0.0):g}" for i in exercise_ids})
        row.update({f"written {w}": "" for w in written})
        rows.append(row)
        records.append({"submission": name, "total": grade.total, "max": maximum, "note": grade.reason,
                        "seconds": round(grade.seconds, 1), "isolation": grade.isolation,
                        "exercises": {i: {"points": grade.points.get(i, 0.0),
                                          "passed": bool(grade.results.get(i)) if grade.results.get(i) else False,
                                          "feedback": repr(grade.results[i]) if i in grade.results else ""}
                                      for i in exercise_ids},
                        "written": {w: {"question": _core.get(w).question, "answer": grade.written.get(w, ""),
                                        "points": None} for w in written}})
        feedback = _feedback(grade, Path(grade.submission))
        (out / "feedback" / name).write_text(nbformat.writes(feedback), encoding="utf-8")
    with open(out / "gradebook.csv", "w", newline="", encoding="utf-8") as handle:
        fields = ["submission", *(f"ex {i}" for i in exercise_ids), *(f"written {w}" for w in written),
                  "total", "max", "note"]
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    (out / "gradebook.json").write_text(json.dumps(records, indent=1, ensure_ascii=False), encoding="utf-8")
    if written:
        (out / "written").mkdir(exist_ok=True)
    for w in written:
        lines = [f"# Written question of exercise {w}", "", _core.get(w).question, "",
                 f"(Model answer: the cell after the check of exercise {w} in the chapter.)", ""]
        for grade in grades:
            answer = grade.written.get(w, "")
            lines += [f"## {Path(grade.submission).name}", "", answer or "*(no answer)*", ""]
        (out / "written" / f"{w}.md").write_text("\n".join(lines), encoding="utf-8")
    return {"csv": out / "gradebook.csv", "json": out / "gradebook.json", "feedback": out / "feedback",
            "written": out / "written"}


if __name__ == "__main__" and sys.argv[1:] == ["--worker"]:
    _worker(json.loads(sys.stdin.read()))
