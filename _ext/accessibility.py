"""Markup fixes that make the built pages pass axe-core's WCAG 2.1 AA rules (issue 20).

The theme (pydata-sphinx-theme via sphinx-book-theme), myst-nb and sphinxcontrib-bibtex write
markup that axe-core reports. Each fix below changes the markup so the page says the same thing
to assistive technology as it shows on screen; nothing is hidden from it.

* ``label-content-name-mismatch``: the search field shows "Search Ctrl+K" but is labelled
  "Search"; myst-nb's collapsed cells show "Show code cell source" but are labelled "Toggle
  hidden content"; the colour-mode icons carry titles ("Light", "Dark") that are not in the
  button's label "Color mode". The label is dropped where the visible text names the control,
  and the icons' titles move into the label.
* ``aria-required-children`` and ``aria-deprecated-role``: the references page is a
  ``role="list"`` of ``role="doc-biblioentry"`` entries (deprecated in ARIA 1.2, and not list
  items); the entries become ``role="listitem"``.
* Page weight: ``fontawesome.js`` (1.5 MB) replaces every icon by an SVG at load time; the theme's
  CSS already draws the same icons from the Font Awesome web fonts, so the script is not loaded.

It runs when an HTML build finishes, over every page it wrote (the search page included).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

#: (pattern, replacement) applied to every HTML page, in order.
FIXES: list[tuple[re.Pattern, str]] = [
    # the search field's visible text is its name
    (re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'), r"\1"),
    # myst-nb's hidden-cell toggles: the visible "Show code cell source" is the name
    (re.compile(r'<summary aria-label="Toggle hidden content">'), "<summary>"),
    # colour mode: one label that contains what the icons' tooltips said
    (re.compile(r'aria-label="Color mode" data-bs-title="Color mode"'),
     'aria-label="Color mode: Light, Dark or System Settings" data-bs-title="Color mode"'),
    (re.compile(r'(<i class="theme-switch [^"]*" data-mode="\w+")\s+title="[^"]*"'), r"\1"),
    # bibliography entries are the items of their list
    (re.compile(r'role="doc-biblioentry"'), 'role="listitem"'),
    # the icons come from the theme's web fonts; the 1.5 MB SVG-replacing script is not needed
    (re.compile(r'<script[^>]*src="[^"]*_static/scripts/fontawesome\.js[^"]*"[^>]*></script>\s*'), ""),
]


def fix_page(html: str) -> str:
    """The page with every fix applied."""
    for pattern, replacement in FIXES:
        html = pattern.sub(replacement, html)
    return html


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        if "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        fixed = fix_page(text)
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
