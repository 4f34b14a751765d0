"""Tests of lossfns.exercises: every checker accepts a correct answer and rejects wrong ones.

The reference solutions below are written here, independently of the chapters;
the chapters' own solution cells are run through their check cells at the end.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pytest
from answers_ch01 import max_stable_lr, mse_by_hand

import lossfns as lf
from lossfns import exercises as ex

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"


# --- reference solutions and wrong answers: one module per chapter, tests/answers_chNN.py ---

ANSWERS = [importlib.import_module(p.stem) for p in sorted(Path(__file__).parent.glob("answers_ch*.py"))]
REFERENCE = {i: fn for module in ANSWERS for i, fn in module.REFERENCE.items()}
WRONG = {i: wrongs for module in ANSWERS for i, wrongs in module.WRONG.items()}

WRONG_CASES = [(i, label, fn) for i, wrongs in WRONG.items() for label, fn in wrongs.items()]


def test_every_exercise_has_a_reference_and_two_wrong_answers_here():
    assert set(REFERENCE) == set(ex.ids())
    assert all(len(WRONG[i]) >= 2 for i in ex.ids())


@pytest.mark.parametrize("exercise_id", sorted(REFERENCE))
def test_reference_solution_passes(exercise_id):
    result = ex.check(exercise_id, REFERENCE[exercise_id])
    n = len(ex.get(exercise_id).cases)
    assert result.passed and bool(result) and result.failures == []
    assert repr(result) == f"✓ Exercise {exercise_id} ({ex.get(exercise_id).title}): all {n} cases pass"
    assert n >= 4


@pytest.mark.parametrize(
    ("exercise_id", "label", "candidate"), WRONG_CASES, ids=[f"{i}-{w}" for i, w, _ in WRONG_CASES]
)
def test_wrong_answer_fails_with_specific_feedback(exercise_id, label, candidate):
    result = ex.check(exercise_id, candidate)
    assert not result.passed and not bool(result)
    assert repr(result).startswith(f"✗ Exercise {exercise_id} (")
    assert all(m.startswith("case '") and " failed for " in m for m in result.failures)
    assert all(("expected" in m or "gradient descent" in m) for m in result.failures)


def test_feedback_names_case_inputs_expected_and_got():
    result = ex.check("1.1", WRONG["1.1"]["missing square"])
    assert result.failures[0] == (
        "case 'lists' failed for y_true=[1, 2, 3], y_pred=[1, 2, 5]: expected 1.33333, got 0.666667"
    )
    assert "case 'large errors' failed for y_true=[0, 0, 0, 0], y_pred=[0, 0, 0, 1000]: " \
           "expected 250000, got 250" in result.failures


def test_single_failure_is_one_line():
    result = ex.check("1.3", WRONG["1.3"]["no ValueError"])
    assert repr(result) == (
        "✗ Exercise 1.3 (reductions): case 'unknown reduction' failed for per_sample=[1, 2, 3], "
        "reduction='median': expected ValueError, but it returned 2"
    )


def test_several_failures_are_listed_one_per_line():
    text = repr(ex.check("1.1", WRONG["1.1"]["sum instead of mean"]))
    lines = text.splitlines()
    assert lines[0] == "✗ Exercise 1.1 (MSE by hand): 4 of 5 cases failed"
    assert len(lines) == 5 and all(line.startswith("  - case '") for line in lines[1:])


def test_shape_feedback():
    result = ex.check("1.2", WRONG["1.2"]["column vector"])
    assert "expected an array of shape (2,), got shape (2, 1)" in result.failures[0]
    result = ex.check("1.1", WRONG["1.1"]["no reduction"])
    assert "expected a single number, got an array of shape (3,)" in result.failures[0]


def test_large_arrays_are_summarised_not_printed():
    text = repr(ex.check("1.2", WRONG["1.2"]["wrong sign"]))
    assert "X=an array of shape (20, 4)" in text


def test_learning_rate_checked_by_gradient_descent():
    behaviour = "case 'gradient descent at 0.9x and 1.1x the bound' failed"
    too_small = ex.check("1.4", WRONG["1.4"]["off by a factor 2 (too small)"]).failures
    too_large = ex.check("1.4", WRONG["1.4"]["off by a factor 2 (too large)"]).failures
    assert any(m.startswith(behaviour) and "did not diverge" in m and "too small" in m for m in too_small)
    assert any(m.startswith(behaviour) and "did not converge" in m and "too large" in m for m in too_large)


def test_learning_rate_must_be_positive():
    result = ex.check("1.4", lambda X: -max_stable_lr(X))
    assert any("must be a positive number" in m for m in result.failures)


@pytest.mark.parametrize("exercise_id", sorted(REFERENCE))
def test_stub_gets_did_you_replace_message(exercise_id):
    def stub(*args):
        ...

    result = ex.check(exercise_id, stub)
    first = ex.get(exercise_id).cases[0].name
    assert result.failures == [f"case {first!r}: returned None — did you replace the `...`?"]
    assert not result


def test_ellipsis_returned_counts_as_stub():
    result = ex.check("1.1", lambda t, p: ...)
    assert "did you replace the `...`?" in result.failures[0]


def test_candidate_exception_is_named():
    def broken(y_true, y_pred):
        return 1 / len(y_true[5:])  # every case has fewer than 6 elements

    result = ex.check("1.1", broken)
    assert not result
    assert "raised ZeroDivisionError: division by zero" in result.failures[0]


def test_wrong_exception_type_is_named():
    def key_error(per_sample, reduction):
        return {"mean": np.mean, "sum": np.sum, "none": np.asarray}[reduction](per_sample)

    result = ex.check("1.3", key_error)
    assert result.failures == [
        "case 'unknown reduction' failed for per_sample=[1, 2, 3], reduction='median': "
        "expected ValueError, but it raised KeyError: 'median'"
    ]


def test_candidate_changing_its_input_fails():
    def in_place(y_true, y_pred):
        y_pred = np.asarray(y_pred, dtype=float)
        y_pred -= np.asarray(y_true, dtype=float)
        return float(np.mean(y_pred**2))

    result = ex.check("1.1", in_place)
    assert any("changed its argument y_pred in place" in m for m in result.failures)


def test_not_a_function():
    result = ex.check("1.1", 3.0)
    assert result.failures == ["expected the function mse_by_hand, got float"]


def test_unknown_id_raises_key_error_listing_known_ids():
    with pytest.raises(KeyError, match=r"no exercise '9\.9'; known exercises: 1\.1, 1\.2, 1\.3, 1\.4, 1\.5, 2\.1"):
        ex.check("9.9", mse_by_hand)
    with pytest.raises(TypeError, match="exercise_id must be a string"):
        ex.check(1.1, mse_by_hand)


def test_lazy_attribute_and_ids_in_order():
    assert lf.exercises is ex
    assert ex.ids()[:5] == ("1.1", "1.2", "1.3", "1.4", "1.5")
    assert ex.ids()[5:10] == ("2.1", "2.2", "2.3", "2.4", "2.5")


def test_check_is_silent_and_deterministic(capsys):
    first = [repr(ex.check(i, fn)) for i, _, fn in WRONG_CASES]
    second = [repr(ex.check(i, fn)) for i, _, fn in WRONG_CASES]
    assert first == second
    assert capsys.readouterr() == ("", "")


def test_candidate_warnings_are_not_shown(recwarn):
    def noisy(y_true, y_pred):
        np.log(np.zeros(1))  # RuntimeWarning: divide by zero
        return mse_by_hand(y_true, y_pred)

    assert ex.check("1.1", noisy).passed
    assert len(recwarn) == 0


def test_register_rejects_duplicates_and_malformed_exercises(monkeypatch):
    monkeypatch.setattr(ex._core, "_EXERCISES", dict(ex._core._EXERCISES))
    case = ex.Case("one", (1.0,), lambda got, args: ex.expect_number(got, 2 * args[0]))
    ex.register(ex.Exercise("99.1", "double", "double", ("x",), (case,)))
    assert ex.check("99.1", lambda x: 2 * x).passed
    assert not ex.check("99.1", lambda x: x + 2.5).passed
    with pytest.raises(ValueError, match="'99.1' is already registered"):
        ex.register(ex.Exercise("99.1", "double", "double", ("x",), (case,)))
    with pytest.raises(ValueError, match="has 1 arguments but the function takes 2"):
        ex.register(ex.Exercise("99.2", "t", "f", ("x", "y"), (case,)))
    with pytest.raises(ValueError, match="exactly one of judge and raises"):
        ex.register(ex.Exercise("99.3", "t", "f", ("x",), (ex.Case("bad", (1.0,)),)))
    with pytest.raises(ValueError, match="has no cases"):
        ex.register(ex.Exercise("99.4", "t", "f", ("x",), ()))


def test_expect_helpers():
    assert ex.expect_number(np.float64(1.0) + 1e-12, 1.0) == pytest.approx(1.0)
    with pytest.raises(ex.CaseFailed, match="expected 1, got 1.1"):
        ex.expect_number(1.1, 1.0)
    with pytest.raises(ex.CaseFailed, match="expected a number, got the bool True"):
        ex.expect_number(True, 1.0)
    with pytest.raises(ex.CaseFailed, match="expected numbers, got the string 'a'"):
        ex.expect_number("a", 1.0)
    with pytest.raises(ex.CaseFailed, match=r"expected 1\.0000000000000002, got 1\.00000000999"):
        ex.expect_number(1.00000001, 1.0000000000000002, rtol=1e-12, atol=0)
    with pytest.raises(ex.CaseFailed, match=r"1 of 20 entries are wrong; worst at index \(7,\): expected 0, got 3"):
        ex.expect_array(np.where(np.arange(20) == 7, 3.0, 0.0), np.zeros(20))


# --- the chapters' own solutions ----------------------------------------------------------------

def _cell_source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _chapter_exercises() -> list:
    found = []
    for path in sorted(CHAPTERS.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts or "_build" in path.parts:
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code" or "solution" not in cell.get("metadata", {}).get("tags", []):
                continue
            following = [c for c in cells[index + 1:] if c["cell_type"] == "code"]
            check_cell = following[0] if following else None
            found.append(pytest.param(
                _cell_source(cell), check_cell and _cell_source(check_cell),
                id=f"{path.relative_to(CHAPTERS)}-cell{index}",
            ))
    return found


@pytest.mark.parametrize(("solution", "check_source"), _chapter_exercises())
def test_chapter_solution_passes_its_check(solution, check_source):
    assert check_source is not None and "exercises.check(" in check_source, (
        "a solution cell must be followed by a check cell ending in lf.exercises.check(...)"
    )
    namespace = {"np": np, "lf": lf}
    exec(compile(solution, "<solution cell>", "exec"), namespace)
    *setup, last = [line for line in check_source.splitlines() if line.strip()]
    exec(compile("\n".join(setup), "<check cell>", "exec"), namespace)
    result = eval(compile(last, "<check cell>", "eval"), namespace)
    assert isinstance(result, ex.CheckResult)
    assert result.passed, repr(result)


# --- chapter 2 specifics ---------------------------------------------------------------------------

def test_best_constant_accepts_any_minimiser_of_a_flat_stretch():
    # q = 0.5 of an even sample: every constant between the two middle targets minimises the loss.
    y = np.array([10.0, 20.0, 30.0, 40.0])
    case = ex.Case("flat", (y, 0.5), ex.get("2.3").cases[0].judge)
    for c in (20.0, 25.0, 30.0):
        case.judge(c, case.args)
    with pytest.raises(ex.CaseFailed, match="expected a constant with mean pinball loss 5, but c = 31 has loss 5.25"):
        case.judge(31.0, case.args)


def test_np_quantile_fails_only_where_its_interpolation_is_not_a_minimiser():
    result = ex.check("2.3", WRONG["2.3"]["np.quantile with linear interpolation"])
    failed = {m.split("'")[1] for m in result.failures}
    assert "q = 0.3, between two targets" in failed
    assert "median of an odd sample" not in failed  # there np.quantile is exact


def test_huber_without_the_offset_is_caught_only_by_large_errors():
    result = ex.check("2.1", WRONG["2.1"]["linear piece without -delta/2 (discontinuous)"])
    failed = {m.split("'")[1] for m in result.failures}
    assert "small errors only" not in failed and "large errors only" in failed


def test_tukey_weights_feedback_names_the_zero_residual_case():
    def divides_by_r(r, c):
        r = np.asarray(r, dtype=float)
        psi = r * np.where(np.abs(r) < c, (1.0 - (r / c) ** 2) ** 2, 0.0)
        return psi / r  # nan at r = 0

    result = ex.check("2.5", divides_by_r)
    assert [m.split("'")[1] for m in result.failures] == ["a zero residual"]
