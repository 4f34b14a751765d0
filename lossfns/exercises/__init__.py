"""Automatic checkers for the exercises of the course.

An exercise in a chapter is three cells: the task (markdown), a solution cell
tagged ``solution`` whose answer sits between ``# BEGIN SOLUTION`` and
``# END SOLUTION`` (the student version replaces it with ``...``), and a check
cell whose last line is ::

    lf.exercises.check("1.1", mse_by_hand)

:func:`check` runs the candidate on named cases and compares each answer with
a reference computed by :mod:`lossfns` or by an independent method, never by a
copy of the solution. A wrong answer does not raise, so "Run all" carries on;
the result says which case failed, on what input, and what was expected.

The machinery is in ``_core.py``; each chapter's exercises in ``chNN.py``.
"""
from lossfns.exercises import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09  # noqa: F401  (register exercises 1.x to 9.x)
from lossfns.exercises._core import (
    ATOL,
    RTOL,
    Case,
    CaseFailed,
    CheckResult,
    Exercise,
    check,
    describe,
    expect_array,
    expect_number,
    get,
    ids,
    register,
)

__all__ = [
    "ATOL", "RTOL", "Case", "CaseFailed", "CheckResult", "Exercise",
    "check", "describe", "expect_array", "expect_number", "get", "ids", "register",
]
