"""lossfns.precomputed: stored multi-seed results are what the chapter's code computes."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from lossfns import precomputed

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(precomputed, "_DIR", tmp_path)
    monkeypatch.delenv(precomputed.ENV, raising=False)
    return tmp_path


def experiment(seed, shift=0.0):
    rng = np.random.default_rng(seed)
    return {"loss": rng.normal() + shift, "curve": rng.normal(size=3)}


def test_computes_stores_and_loads_the_same(store, monkeypatch):
    monkeypatch.setenv(precomputed.ENV, "other, demo")
    computed = precomputed.runs("demo", experiment, range(4))
    assert computed["curve"].shape == (4, 3)
    assert json.loads((store / "demo.json").read_text())["seeds"] == [0, 1, 2, 3]
    monkeypatch.delenv(precomputed.ENV)
    calls = []
    loaded = precomputed.runs("demo", lambda s: calls.append(s) or experiment(s), range(4), check=2)
    assert calls == [0, 1]  # only the spot-checked seeds are re-run
    np.testing.assert_array_equal(loaded["loss"], computed["loss"])
    np.testing.assert_array_equal(loaded["curve"], computed["curve"])


def test_a_changed_experiment_is_caught(store, monkeypatch):
    monkeypatch.setenv(precomputed.ENV, "all")
    precomputed.runs("demo", experiment, range(3))
    monkeypatch.delenv(precomputed.ENV)
    with pytest.raises(precomputed.StaleResultsError, match=r"stale \(run\(0\)\['loss'\]"):
        precomputed.runs("demo", lambda s: experiment(s, shift=1e-3), range(3))
    precomputed.runs("demo", lambda s: experiment(s, shift=1e-3), range(3), rtol=1e-2, atol=1e-2)  # looser: passes
    with pytest.raises(precomputed.StaleResultsError, match="stored for seeds"):
        precomputed.runs("demo", experiment, range(5))
    with pytest.raises(precomputed.StaleResultsError, match="keys"):
        precomputed.runs("demo", lambda s: {"loss": 0.0}, range(3))


def test_missing_results_and_bad_values_are_named(store, monkeypatch):
    with pytest.raises(precomputed.StaleResultsError, match="no stored results for 'nothing'"):
        precomputed.runs("nothing", experiment, range(2))
    monkeypatch.setenv(precomputed.ENV, "all")
    with pytest.raises(ValueError, match=r"run\(1\)\[1\] is nan"):
        precomputed.runs("bad", lambda s: [0.0, np.nan], [1])
    with pytest.raises(TypeError, match="is a str"):
        precomputed.runs("bad", lambda s: "0.5", [1])
    with pytest.raises(ValueError, match="name"):
        precomputed.runs("../escape", experiment, [1])
    with pytest.raises(ValueError, match="distinct"):
        precomputed.runs("bad", experiment, [1, 1])


def test_every_stored_result_is_used_by_a_chapter_and_ships_with_the_package():
    used = set()
    for nb in (ROOT / "chapters").glob("*.ipynb"):
        used |= set(re.findall(r'precomputed\.runs\(\\?"(\w+)\\?"', nb.read_text()))
    stored = {p.stem for p in (ROOT / "lossfns" / "_precomputed").glob("*.json")}
    assert stored == used, f"stored but unused: {stored - used}; used but not stored: {used - stored}"
    assert '"_precomputed/*.json"' in (ROOT / "pyproject.toml").read_text()
