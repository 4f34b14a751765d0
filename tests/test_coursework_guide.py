"""The coursework guide's walk-through ("Adding an exercise") works literally.

The page's Python snippets are taken from chapters/appendix/coursework.md and run in
order: the record registers (into a copy of the registry), the reference answer passes
every case, each wrong answer fails, and the check cell's call runs.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from lossfns import exercises as ex

GUIDE = Path(__file__).resolve().parents[1] / "chapters" / "appendix" / "coursework.md"
SECTION = GUIDE.read_text(encoding="utf-8").split("## Adding an exercise", 1)[1]


def _snippets() -> list[str]:
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", SECTION, flags=re.S | re.M)
    return ["\n".join(line[len(indent):] for line in body.splitlines()) for indent, body in blocks]


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(ex._core, "_EXERCISES", dict(ex._core._EXERCISES))


def test_walkthrough_runs_as_written(registry, capsys):
    record, answers, check_cell = _snippets()
    namespace: dict = {}
    exec(compile(record, "coursework.md: record", "exec"), namespace)
    exercise = ex.get("2.7")
    assert exercise.function == "mae_by_hand" and len(exercise.cases) >= 4

    tests_ns: dict = {"np": np, "REFERENCE": {}, "WRONG": {}}
    exec(compile(answers, "coursework.md: answers", "exec"), tests_ns)
    assert ex.check("2.7", tests_ns["REFERENCE"]["2.7"]).passed
    assert len(tests_ns["WRONG"]["2.7"]) >= 2
    for label, wrong in tests_ns["WRONG"]["2.7"].items():
        result = ex.check("2.7", wrong)
        assert not result.passed, label
        assert all(m.startswith("case '") for m in result.failures)

    import lossfns as lf
    cell_ns = {"lf": lf, "mae_by_hand": tests_ns["mae_by_hand"]}
    result = eval(compile(check_cell.strip(), "coursework.md: check cell", "eval"), cell_ns)
    assert result.passed


def test_walkthrough_id_is_free_and_the_record_refuses_a_taken_one(registry):
    assert "2.7" not in ex.ids()
    record = _snippets()[0]
    taken = record.replace('id="2.7"', 'id="2.1"')
    with pytest.raises(ValueError, match="'2.1' is already registered"):
        exec(compile(taken, "coursework.md: record", "exec"), {})
