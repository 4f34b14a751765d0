"""Shared by the benchmarks: where results go, library versions, and JSON that re-runs byte for byte."""

from __future__ import annotations

import importlib.metadata
import json
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ROOT / "chapters" / "appendix" / "numerics"


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of ``packages`` (``"-"`` for a missing one), plus Python's."""
    out = {"python": platform.python_version()}
    for name in packages:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def write_json(path: Path, data) -> None:
    """Write ``data`` with sorted keys and a final newline, so equal results give equal files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def sig(x: float | None, digits: int = 3) -> float | str | None:
    """``x`` rounded to ``digits`` significant digits; NaN and infinities become ``"nan"``, ``"inf"``, ``"-inf"``.

    (Strict JSON has no NaN or Infinity.)
    """
    if x is None or x == 0.0:
        return x
    if x != x or x in (float("inf"), float("-inf")):
        return str(x)
    return float(f"{x:.{digits - 1}e}")


def markdown_table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """A GitHub/MyST pipe table; ``align`` is one character per column, ``l`` or ``r``."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines) + "\n"
