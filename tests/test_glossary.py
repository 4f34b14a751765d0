"""The glossary: sorted, every entry points to a chapter that exists, and every term is used.

A term is "used" when some page of the book links to it with the MyST role {term}; the
site builds with -W -n, so a link to a term that does not exist already fails the build.
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "chapters" / "appendix" / "glossary.md"


def _entries() -> dict[str, str]:
    body = GLOSSARY.read_text(encoding="utf-8").split("```{glossary}\n", 1)[1].rsplit("```", 1)[0]
    entries = re.split(r"\n(?=\S)", body.strip("\n"))
    return {e.split("\n", 1)[0]: e.split("\n", 1)[1] for e in entries}


def _markdown_of_book() -> str:
    parts = [p.read_text(encoding="utf-8") for p in (ROOT / "chapters").rglob("*.md") if p != GLOSSARY]
    parts.append((ROOT / "intro.md").read_text(encoding="utf-8"))
    for nb in (ROOT / "chapters").glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        parts += ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    return "\n".join(parts)


def test_entries_are_sorted_unique_and_defined():
    terms = list(_entries())
    assert terms == sorted(terms, key=str.lower)
    assert len(terms) == len(set(terms)) >= 60
    assert all(len(" ".join(d.split())) >= 80 for d in _entries().values())


def test_every_entry_points_to_an_existing_chapter_with_the_right_number():
    for term, definition in _entries().items():
        links = re.findall(r"\[chapter\s+(\d+)\]\(\.\./(\d\d)_([a-z_]+)\.ipynb\)", definition)
        assert links, f"{term!r} names no chapter"
        for number, prefix, stem in links:
            assert int(number) == int(prefix), (term, number, prefix)
            assert (ROOT / "chapters" / f"{prefix}_{stem}.ipynb").exists(), (term, stem)


def test_every_term_is_linked_from_the_book():
    text = _markdown_of_book()
    used = {m.group(2) or m.group(1) for m in re.finditer(r"\{term\}`([^`<]*?)\s*(?:<([^>]+)>)?`", text)}
    by_lower = {t.lower(): t for t in _entries()}
    used = {by_lower.get(u.strip().lower(), u.strip()) for u in used}
    unused = sorted(set(_entries()) - used)
    assert unused == [], f"glossary terms no page links to with {{term}}: {unused}"
    assert used - set(_entries()) == set()
