r"""Multi-seed experiments too slow to re-run on every execution of a chapter.

A comparison in a chapter runs over ten or more seeds; some of them (a
network trained ten times per setting) take minutes, more than a chapter's
execution budget. :func:`runs` lets the chapter keep the experiment's code
in the chapter, in one place, and still execute quickly:

* **Computing** (the environment variable ``LOSSFNS_PRECOMPUTE`` is ``all``
  or a comma-separated list holding the name): ``run(seed)`` is called for
  every seed and the results are stored in ``lossfns/_precomputed/NAME.json``,
  which ships with the package (so a chapter opened in Colab finds it).
  ``lossfns-coursework execute --precompute CHAPTER`` does this for a whole
  chapter and stores the chapter's outputs from the same run.
* **Loading** (every other execution, nbval's included): the stored results
  are returned, after ``run`` has been called again for the first ``check``
  seeds and compared with what is stored. If the chapter's code, data or a
  ``lossfns`` function changed since the file was written, the results
  differ and :class:`StaleResultsError` says so and how to recompute. The
  stored numbers are therefore always the ones the chapter's own code gives.

Only NumPy and the standard library are imported.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from lossfns._validation import check_int

__all__ = ["ENV", "StaleResultsError", "runs", "stored_path"]

ENV = "LOSSFNS_PRECOMPUTE"
"""Environment variable that switches :func:`runs` from loading to computing."""

_DIR = Path(__file__).parent / "_precomputed"


class StaleResultsError(ValueError):
    """The stored results of an experiment are missing or no longer what its code computes."""


def stored_path(name: str) -> Path:
    """Where the results of experiment ``name`` are stored."""
    if not isinstance(name, str) or not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"precomputed: name must be letters, digits and underscores, got {name!r}")
    return _DIR / f"{name}.json"


def _computing(name: str) -> bool:
    wanted = {part.strip() for part in os.environ.get(ENV, "").split(",")}
    return "all" in wanted or name in wanted


def _plain(value: Any, where: str) -> Any:
    """``value`` as JSON numbers, lists and dicts; anything else is an error naming where it sits."""
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"precomputed: {where} is {value}; results must be finite numbers")
        return value
    raise TypeError(f"precomputed: {where} is a {type(value).__name__}; results must be numbers, lists or dicts")


def _differences(stored: Any, fresh: Any, where: str, rtol: float, atol: float) -> list[str]:
    if isinstance(stored, dict) and isinstance(fresh, dict):
        if stored.keys() != fresh.keys():
            return [f"{where}: keys {sorted(fresh)} computed, {sorted(stored)} stored"]
        return [d for k in stored for d in _differences(stored[k], fresh[k], f"{where}[{k!r}]", rtol, atol)]
    if isinstance(stored, list) and isinstance(fresh, list):
        if len(stored) != len(fresh):
            return [f"{where}: {len(fresh)} values computed, {len(stored)} stored"]
        return [d for i, (s, f) in enumerate(zip(stored, fresh, strict=True))
                for d in _differences(s, f, f"{where}[{i}]", rtol, atol)]
    if isinstance(stored, (int, float)) and isinstance(fresh, (int, float)):
        if abs(stored - fresh) <= atol + rtol * abs(stored):
            return []
        return [f"{where}: {fresh!r} computed, {stored!r} stored"]
    return [f"{where}: a {type(fresh).__name__} computed, a {type(stored).__name__} stored"]


def _stack(results: list) -> Any:
    """One array per field over the seeds: dict results give a dict of arrays, others one array."""
    if all(isinstance(r, dict) for r in results):
        return {k: _stack([r[k] for r in results]) for k in results[0]}
    try:
        return np.asarray(results, dtype=float)
    except ValueError:  # ragged: leave as a list
        return results


def runs(name: str, run: Callable[[int], Any], seeds: Iterable[int], *, check: int = 1,
         rtol: float = 1e-6, atol: float = 1e-9) -> Any:
    """Results of ``run(seed)`` for every seed: computed and stored, or loaded and spot-checked.

    Parameters
    ----------
    name : str
        File name of the stored results (letters, digits, underscores), e.g.
        ``"ch04_segmentation"``; one name per experiment.
    run : callable
        ``run(seed)`` returns a number, a list of numbers, or a dict of them
        (nested freely; NumPy scalars and arrays are converted).
    seeds : iterable of int
        The seeds, in order; they must match the stored ones when loading.
    check : int, default 1
        How many of the first seeds to re-run when loading, at least 1.
    rtol, atol : float
        Tolerance of that comparison: ``|fresh - stored| <= atol + rtol * |stored|``.
        Training in float64 reproduces to about 1e-12 across BLAS kernels;
        loosen it only for a computation that is chaotic by nature, and say so.

    Returns
    -------
    ndarray, dict of ndarray, or list
        The results stacked over the seeds: ``(n_seeds, ...)`` arrays, one per
        key if ``run`` returns dicts.

    Raises
    ------
    StaleResultsError
        If, when loading, no results are stored under ``name``, the seeds
        differ, or a re-run seed no longer gives the stored result.
    """
    path = stored_path(name)
    seeds = [check_int("precomputed", "seeds", s) for s in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"precomputed: seeds must be distinct and at least one, got {seeds}")
    check = check_int("precomputed", "check", check, low=1)
    recompute = f"re-run the chapter with `lossfns-coursework execute --precompute` (or {ENV}={name})"
    if _computing(name):
        results = [_plain(run(s), f"{name}: run({s})") for s in seeds]
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps({"name": name, "seeds": seeds, "results": results}, indent=1) + "\n")
        return _stack(results)
    if not path.exists():
        raise StaleResultsError(f"precomputed: no stored results for {name!r}; {recompute}")
    stored = json.loads(path.read_text())
    if stored["seeds"] != seeds:
        raise StaleResultsError(f"precomputed: {name!r} was stored for seeds {stored['seeds']}, "
                                f"asked for {seeds}; {recompute}")
    for seed, kept in list(zip(seeds, stored["results"], strict=True))[:check]:
        found = _differences(kept, _plain(run(seed), f"{name}: run({seed})"), f"run({seed})", rtol, atol)
        if found:
            raise StaleResultsError(f"precomputed: stored results of {name!r} are stale ("
                                    + "; ".join(found[:3]) + f"); {recompute}")
    return _stack(stored["results"])
