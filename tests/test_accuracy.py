"""The lossfns part of benchmarks/accuracy.py: every loss within 1e-12 of a 50-digit mpmath reference.

Runs the benchmark's own cases (ordinary and extreme inputs) through ``lossfns``
only, for the ``"mean"`` value and for every per-item loss (``reduction="none"``),
and checks that the committed results and the book's tables are not stale.
"""
import importlib.util
import json
import math
import pathlib
import sys

import mpmath as mp
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("accuracy", ROOT / "benchmarks" / "accuracy.py")
acc = importlib.util.module_from_spec(SPEC)
sys.modules["accuracy"] = acc  # dataclasses look their module up there
SPEC.loader.exec_module(acc)

ROWS = acc.ROWS
CASES = [(row, label, args) for row in ROWS for label, _, args in acc.cases(row)]
COMMITTED = json.loads((ROOT / "benchmarks" / "results" / "accuracy.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("row", "label", "args"), CASES, ids=[f"{r.label}: {c}" for r, c, _ in CASES])
def test_lossfns_meets_the_accuracy_goal(row, label, args):
    _, ref = acc.reference(row, args)
    value = acc.evaluate(row, "lossfns", args)
    err, outcome = acc.relative_error(value, ref, "lossfns")
    assert outcome in ("ok", "overflow"), f"{row.label} [{label}]: {value} where the reference is {mp.nstr(ref, 17)}"
    assert err <= acc.GOAL, f"{row.label} [{label}]: relative error {err:.2e} (reference {mp.nstr(ref, 17)})"
    worst = max(acc.item_errors(row, args))
    assert worst <= acc.GOAL, f"{row.label} [{label}]: a per-item loss is off by {worst:.2e}"


@pytest.mark.parametrize(("row", "label", "args"), CASES, ids=[f"{r.label}: {c}" for r, c, _ in CASES])
def test_reference_is_stable_in_precision(row, label, args):
    # a reference that rounds (log(1 + 1e-44) in 50 digits keeps 6 of them) changes when the precision grows
    items, mean = acc.reference(row, args)
    more_items, more_mean = acc.reference(row, args, dps=acc.DPS + 30)
    for a, b in zip([mean, *items], [more_mean, *more_items], strict=True):
        assert a == b or mp.almosteq(a, b, rel_eps=mp.mpf(10) ** -40, abs_eps=0), f"{row.label} [{label}]"


def test_every_registered_loss_has_a_reference():
    assert {r.loss for r in ROWS} == set(acc.names())


def test_references_match_hand_computed_values():
    # mse of an error of 1e150 is 1e300; log cosh(1e150) = 1e150 - log 2 + log1p(e^-2e150) = 1e150 to 50 digits
    assert float(acc.reference(acc.ROWS[0], (np.array([0.0]), np.array([1e150])))[1]) == pytest.approx(1e300, rel=1e-15)
    log_cosh = next(r for r in ROWS if r.loss == "log_cosh")
    assert mp.almosteq(acc.reference(log_cosh, (np.array([0.0]), np.array([1e150])))[1], mp.mpf(1e150) - mp.log(2))
    # binary cross-entropy at p = 0 with y = 1 is clipped at eps = 1e-7: -log(1e-7) = 7 ln 10 = 16.1180956509583...
    bce = next(r for r in ROWS if r.label == "binary_cross_entropy")
    assert mp.almosteq(acc.reference(bce, (np.array([1.0]), np.array([0.0])))[1], 7 * mp.log(10), rel_eps=1e-15)
    # CTC: one frame, label "1" of two classes with p(1) = 1/4: the only path is "1", loss -log(1/4) = log 4
    ctc = next(r for r in ROWS if r.loss == "ctc")
    args = (np.array([[1.0]]), np.log([[[0.75, 0.25]]]), np.array([1.0]), np.array([1.0]))
    assert mp.almosteq(acc.reference(ctc, args)[1], mp.log(4), rel_eps=1e-15)  # np.log(0.25) is rounded


def test_the_check_can_fail():
    # log(1 + exp(z)) written naively: overflows to inf at z = 1e4 and loses everything below 1e-16 at z = -40
    row = next(r for r in ROWS if r.label == "binary_cross_entropy (logits)")
    for z, y in ((1e4, 0.0), (-40.0, 0.0)):
        args = (np.array([y]), np.array([z]))
        with np.errstate(over="ignore"):
            naive = float(np.log(1.0 + np.exp(z)))
        err, outcome = acc.relative_error(naive, acc.reference(row, args)[1], "lossfns")
        assert outcome == "inf" or err > acc.GOAL
    assert acc.relative_error(math.nan, mp.mpf(1), "lossfns")[1] == "nan"
    assert acc.relative_error(math.inf, mp.mpf(10) ** 400, "lossfns") == (0.0, "overflow")
    assert acc.relative_error(math.inf, mp.mpf(10) ** 300, "lossfns")[1] == "inf"


def test_committed_results_are_current():
    # the cases of the committed run are today's, and lossfns met the goal there as it does now
    committed = {(r["label"], c["case"]) for r in COMMITTED["rows"] for c in r["cases"]}
    assert committed == {(row.label, label) for row, label, _ in CASES}
    assert all(acc.goal_holds(line["impl"]["lossfns"]) for line in COMMITTED["summary"])


def test_book_tables_match_the_committed_json():
    results = ROOT / "benchmarks" / "results"
    table = acc.table_markdown(COMMITTED["summary"], COMMITTED["meta"])
    assert (results / "accuracy_table.md").read_text(encoding="utf-8") == table
    assert (results / "accuracy_conventions.md").read_text(encoding="utf-8") == acc.conventions_markdown(COMMITTED)
    spec = importlib.util.spec_from_file_location("speed", ROOT / "benchmarks" / "speed.py")
    speed = importlib.util.module_from_spec(spec)
    sys.modules["speed"] = speed
    spec.loader.exec_module(speed)
    timings = json.loads((results / "speed.json").read_text(encoding="utf-8"))
    assert (results / "speed_table.md").read_text(encoding="utf-8") == speed.table_markdown(timings)


def test_float32_sigmoid_saturates_where_the_numerics_page_says():
    """'a float32 sigmoid rounds to 1 for logits above about 16.7 and is 0 below about -88.7' (numerics page)."""
    torch = pytest.importorskip("torch")
    sigmoid = lambda z: torch.sigmoid(torch.tensor(z, dtype=torch.float32)).item()  # noqa: E731
    assert sigmoid(16.6) < 1.0 and sigmoid(16.7) == 1.0
    assert sigmoid(-88.7) > 0.0 and sigmoid(-88.8) == 0.0
