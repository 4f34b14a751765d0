"""The machinery of the exercise checkers: cases, judges, results.

An exercise in a chapter is three cells: the task (markdown), a solution cell
tagged ``solution`` whose answer sits between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` (the student version replaces it with ``...``), and a check
cell whose last line is ::

    lf.exercises.check("1.1", mse_by_hand)

:func:`check` calls the candidate function on named cases (ordinary inputs and
edge cases) and compares each answer with a reference computed by
:mod:`lossfns` or by an independent method (finite differences, a closed
form), never by a copy of the solution. A wrong answer does not raise, so
"Run all" carries on; the result says which case failed, on what input, and
what was expected. Nothing is printed.

Adding an exercise
------------------
Write a judge ``judge(got, args)`` that raises :class:`CaseFailed` with a
short message when ``got`` is wrong for the inputs ``args`` (the helpers
:func:`expect_number` and :func:`expect_array` cover most needs), list the
:class:`Case` objects, and :func:`register` an :class:`Exercise`. A case that
sets ``raises=ValueError`` instead checks that the candidate rejects its input.
Each chapter's exercises live in their own module (``ch01.py`` for chapter 1),
imported by the package's ``__init__``.
"""
from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "ATOL", "RTOL", "Case", "CaseFailed", "CheckResult", "Exercise",
    "Outcome", "check", "describe", "expect_array", "expect_number", "get", "ids", "judge_outcomes",
    "register", "run_case",
]

RTOL = 1e-7
"""Default relative tolerance of :func:`expect_number` and :func:`expect_array`."""

ATOL = 1e-10
"""Default absolute tolerance of :func:`expect_number` and :func:`expect_array`."""

_SHOW_MAX = 8  # arrays with more elements are described by their shape only


class CaseFailed(Exception):
    """Raised by a judge when an answer is wrong; the message is shown to the student."""


class _ReturnedNothing(CaseFailed):
    """The candidate returned ``None`` (or ``...``): it is still the student stub."""


@dataclass(frozen=True)
class Case:
    """One input on which a candidate is run.

    ``args`` are passed positionally to the candidate (copies, so a candidate
    cannot change them for the next case). ``judge(got, args)`` raises
    :class:`CaseFailed` if ``got`` is wrong. A case with ``raises`` set
    (e.g. ``ValueError``) passes only if the candidate raises that exception.
    """

    name: str
    args: tuple
    judge: Callable[[Any, tuple], None] | None = None
    raises: type[Exception] | None = None


@dataclass(frozen=True)
class Exercise:
    """An exercise: its id (``"1.1"``), title, the function the student writes, and its cases.

    ``question`` is the exercise's written question, if it has one: the chapter holds its
    model answer in a markdown cell tagged ``written-answer`` (removed from the student
    version), and the grader lists the student's answer for marking by hand.
    """

    id: str
    title: str
    function: str
    params: tuple[str, ...]
    cases: tuple[Case, ...]
    question: str = ""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of :func:`check`; truthy when every case passed.

    Its ``repr`` is one line per result, beginning ``✓ Exercise <id>`` or
    ``✗ Exercise <id>``; :func:`lossfns.coursework.grade` reads those lines.
    """

    exercise: str
    title: str
    n_cases: int
    failures: list[str] = field(default_factory=list)
    n_passed: int | None = None  # cases passed; ``None``: n_cases - len(failures)

    @property
    def cases_passed(self) -> int:
        return self.n_cases - len(self.failures) if self.n_passed is None else self.n_passed

    @property
    def passed(self) -> bool:
        return not self.failures

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        head = f"Exercise {self.exercise} ({self.title})"
        if self.passed:
            return f"✓ {head}: all {self.n_cases} cases pass"
        if len(self.failures) == 1:
            return f"✗ {head}: {self.failures[0]}"
        lines = [f"✗ {head}: {len(self.failures)} of {self.n_cases} cases failed"]
        lines += [f"  - {message}" for message in self.failures]
        return "\n".join(lines)

    __str__ = __repr__


_EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry; a second exercise with the same id is an error."""
    if exercise.id in _EXERCISES:
        raise ValueError(f"exercises.register: an exercise with id {exercise.id!r} is already registered")
    if not exercise.cases:
        raise ValueError(f"exercises.register: exercise {exercise.id!r} has no cases")
    for case in exercise.cases:
        if (case.judge is None) == (case.raises is None):
            raise ValueError(
                f"exercises.register: case {case.name!r} of exercise {exercise.id!r} "
                "needs exactly one of judge and raises"
            )
        if len(case.args) != len(exercise.params):
            raise ValueError(
                f"exercises.register: case {case.name!r} of exercise {exercise.id!r} has "
                f"{len(case.args)} arguments but the function takes {len(exercise.params)}"
            )
    _EXERCISES[exercise.id] = exercise
    return exercise


def _id_key(exercise_id: str) -> tuple:
    # "1.10" after "1.9"; numbered parts before named ones
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in exercise_id.split("."))


def ids() -> tuple[str, ...]:
    """The registered exercise ids in chapter order.

    Examples
    --------
    >>> ids()[:4]
    ('1.1', '1.2', '1.3', '1.4')
    """
    return tuple(sorted(_EXERCISES, key=_id_key))


def get(exercise_id: str) -> Exercise:
    """Return the exercise with id ``exercise_id``; ``KeyError`` names the known ids."""
    if not isinstance(exercise_id, str):
        raise TypeError(
            f"exercises.check: exercise_id must be a string such as '1.1', "
            f"got {exercise_id!r} ({type(exercise_id).__name__})"
        )
    try:
        return _EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(
            f"exercises.check: no exercise {exercise_id!r}; known exercises: {', '.join(ids())}"
        ) from None


def check(exercise_id: str, candidate: Callable) -> CheckResult:
    """Run the candidate solution of an exercise on its cases.

    Parameters
    ----------
    exercise_id : str
        The exercise number as printed in the chapter, e.g. ``"1.1"``.
    candidate : callable
        The function the student wrote.

    Returns
    -------
    CheckResult
        Truthy if every case passed. Its ``repr`` reads
        ``✓ Exercise 1.1 (MSE by hand): all 5 cases pass`` or names each
        failing case with its inputs, the expected and the received answer,
        or the exception the candidate raised.

    Raises
    ------
    KeyError
        If no exercise has this id (the message lists the known ids).

    Examples
    --------
    >>> import numpy as np
    >>> check("1.1", lambda y_true, y_pred: np.mean((np.asarray(y_pred) - y_true) ** 2))
    ✓ Exercise 1.1 (MSE by hand): all 5 cases pass
    >>> check("1.1", lambda y_true, y_pred: np.mean(np.abs(np.asarray(y_pred) - y_true))).passed
    False
    >>> def stub(y_true, y_pred):
    ...     ...
    >>> check("1.1", stub)
    ✗ Exercise 1.1 (MSE by hand): case 'lists': returned None — did you replace the `...`?
    """
    exercise = get(exercise_id)
    if not callable(candidate):
        message = f"expected the function {exercise.function}, got {type(candidate).__name__}"
        return CheckResult(exercise.id, exercise.title, len(exercise.cases), [message])
    outcomes = [run_case(candidate, case, exercise.params) for case in exercise.cases]
    return judge_outcomes(exercise, exercise.cases, outcomes)


@dataclass(frozen=True)
class Outcome:
    """What a candidate did on one case: returned ``value``, or raised (``raised`` holds the class
    names of the exception and its bases, ``error`` its one-line text); ``mutated`` names an
    argument it changed in place. The grader receives outcomes from the student's kernel and
    judges them itself with :func:`judge_outcomes`."""

    value: Any = None
    raised: tuple[str, ...] = ()
    error: str = ""
    mutated: str | None = None


def run_case(candidate: Callable, case: Case, params: tuple[str, ...]) -> Outcome:
    """Call ``candidate`` on a copy of the case's arguments and record what it did."""
    args = copy.deepcopy(case.args)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            got = candidate(*args)
    except Exception as exc:  # the candidate's own error is the feedback
        return Outcome(raised=tuple(k.__name__ for k in type(exc).__mro__), error=_exception_text(exc))
    for name, before, after in zip(params, case.args, args, strict=True):
        if not _unchanged(before, after):
            return Outcome(value=got, mutated=name)
    return Outcome(value=got)


def judge_outcomes(exercise: Exercise, cases, outcomes) -> CheckResult:
    """The :class:`CheckResult` of ``outcomes`` (one per case, or ``None`` for a case that never ran)."""
    failures, passed, stub = [], 0, False
    for case, outcome in zip(cases, outcomes, strict=True):
        shown = describe(exercise.params, case.args)
        try:
            _judge(case, outcome)
            passed += 1
        except _ReturnedNothing as exc:
            if not stub:  # a stub fails every case the same way; one message is enough
                failures.append(f"case {case.name!r}: {exc}")
            stub = True
        except CaseFailed as exc:
            if not stub:
                failures.append(f"case {case.name!r} failed for {shown}: {exc}")
    return CheckResult(exercise.id, exercise.title, len(cases), failures, passed)


def _judge(case: Case, outcome: Outcome | None) -> None:
    if outcome is None:
        raise CaseFailed("it did not finish (time limit, or the kernel stopped)")
    if outcome.raised:
        if case.raises is not None and case.raises.__name__ in outcome.raised:
            return
        expected = f"expected {case.raises.__name__}, but it " if case.raises else ""
        raise CaseFailed(f"{expected}raised {outcome.error}")
    got = outcome.value
    if case.raises is not None:
        raise CaseFailed(f"expected {case.raises.__name__}, but it returned {_fmt(got)}")
    if got is None or got is Ellipsis:
        raise _ReturnedNothing(f"returned {got!r} — did you replace the `...`?")
    if outcome.mutated:
        raise CaseFailed(f"it changed its argument {outcome.mutated} in place; work on a copy instead")
    case.judge(got, case.args)


def _exception_text(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if len(text) > 150:
        text = text[:147] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _unchanged(before, after) -> bool:
    if isinstance(before, (str, bytes)) or before is None:
        return before == after
    try:
        return bool(np.array_equal(np.asarray(before), np.asarray(after)))
    except (TypeError, ValueError):
        return True  # not an array: nothing we can compare


def _fmt(value) -> str:
    """Short, deterministic text for a number, an array or anything else."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return repr(value)
    try:
        arr = np.asarray(value)
    except Exception:  # an object that refuses conversion
        return f"a {type(value).__name__}"
    if arr.dtype.kind not in "biuf":
        return f"a {type(value).__name__}"
    if arr.ndim == 0:
        return f"{float(arr):.6g}" if arr.dtype.kind == "f" else str(arr.item())
    if arr.size > _SHOW_MAX:
        return f"an array of shape {arr.shape}"
    text = np.array2string(
        arr, separator=", ", max_line_width=10_000, formatter={"float_kind": lambda v: f"{v:.4g}"}
    )
    return " ".join(text.split())


def describe(params: tuple[str, ...], args: tuple) -> str:
    """Inputs in short, e.g. ``y_true=[1, 2], y_pred=[1, 3]``, as printed in feedback.

    Examples
    --------
    >>> describe(("X", "reduction"), (np.zeros((20, 3)), "mean"))
    "X=an array of shape (20, 3), reduction='mean'"
    """
    return ", ".join(f"{name}={_fmt(value)}" for name, value in zip(params, args, strict=True))


def _as_array(got) -> np.ndarray:
    if isinstance(got, (str, bytes)):
        raise CaseFailed(f"expected numbers, got the string {got!r}")
    try:
        arr = np.asarray(got)
    except Exception:  # ragged lists and odd objects
        raise CaseFailed(f"expected numbers, got {type(got).__name__}") from None
    if arr.dtype.kind not in "iuf":
        raise CaseFailed(f"expected numbers, got {type(got).__name__} of dtype {arr.dtype}")
    return arr.astype(np.float64)


def _differ(expected: float, got: float) -> tuple[str, str]:
    a, b = f"{expected:.6g}", f"{got:.6g}"
    return (a, b) if a != b else (f"{expected:.17g}", f"{got:.17g}")


def _as_number(got) -> float:
    if isinstance(got, (bool, np.bool_)):
        raise CaseFailed(f"expected a number, got the bool {got!r}")
    arr = _as_array(got)
    if arr.ndim != 0:
        raise CaseFailed(f"expected a single number, got an array of shape {arr.shape}")
    return float(arr)


def expect_number(got, expected: float, *, rtol: float = RTOL, atol: float = ATOL) -> float:
    """Raise :class:`CaseFailed` unless ``got`` is one real number close to ``expected``.

    Examples
    --------
    >>> expect_number(np.float64(2.5), 2.5)
    2.5
    >>> expect_number([1.0, 2.0], 2.5)
    Traceback (most recent call last):
    ...
    lossfns.exercises._core.CaseFailed: expected a single number, got an array of shape (2,)
    """
    value = _as_number(got)
    if not np.isclose(value, expected, rtol=rtol, atol=atol):
        want, have = _differ(float(expected), value)
        raise CaseFailed(f"expected {want}, got {have}")
    return value


def expect_numbers(got, expected: dict[str, float], *, rtol: float = RTOL, atol: float = ATOL) -> tuple:
    """Raise :class:`CaseFailed` unless ``got`` is a tuple of numbers close to ``expected``'s values, in order.

    The keys name the numbers in the feedback.

    Examples
    --------
    >>> expect_numbers((1.0, 2.0), {"train": 1.0, "test": 2.5})
    Traceback (most recent call last):
    ...
    lossfns.exercises._core.CaseFailed: test: expected 2.5, got 2
    """
    if isinstance(got, np.ndarray):
        got = tuple(got)
    names = ", ".join(expected)
    if not isinstance(got, (tuple, list)) or len(got) != len(expected):
        raise CaseFailed(f"expected a tuple ({names}), got {_fmt(got)}")
    for value, (label, target) in zip(got, expected.items(), strict=True):
        try:
            expect_number(value, target, rtol=rtol, atol=atol)
        except CaseFailed as exc:
            raise CaseFailed(f"{label}: {exc}") from None
    return tuple(got)


def expect_array(got, expected, *, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """Raise :class:`CaseFailed` unless ``got`` has the shape of ``expected`` and is close to it.

    Examples
    --------
    >>> expect_array([[1.0], [2.0]], np.array([1.0, 2.0]))
    Traceback (most recent call last):
    ...
    lossfns.exercises._core.CaseFailed: expected an array of shape (2,), got shape (2, 1)
    """
    expected = np.asarray(expected, dtype=np.float64)
    arr = _as_array(got)
    if arr.shape != expected.shape:
        have = "a single number" if arr.ndim == 0 else f"shape {arr.shape}"
        raise CaseFailed(f"expected an array of shape {expected.shape}, got {have}")
    close = np.isclose(arr, expected, rtol=rtol, atol=atol)
    if close.all():
        return arr
    if expected.size <= _SHOW_MAX:
        raise CaseFailed(f"expected {_fmt(expected)}, got {_fmt(arr)}")
    worst = np.unravel_index(int(np.argmax(np.abs(arr - expected) * ~close)), arr.shape)
    where = tuple(int(i) for i in worst)
    want, have = _differ(float(expected[worst]), float(arr[worst]))
    raise CaseFailed(
        f"{int(np.count_nonzero(~close))} of {arr.size} entries are wrong; "
        f"worst at index {where}: expected {want}, got {have}"
    )
