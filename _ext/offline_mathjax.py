"""Serve MathJax 3 from the book's own ``_static`` instead of a CDN.

The PyPI wheel ``django-static-mathjax`` ships the complete MathJax 3
distribution as the package ``mathjax``, with the browser bundles under
``mathjax/static/mathjax/es5/``. This extension finds that directory through
``importlib`` (no hard-coded path) and, when an HTML build finishes, copies it
to ``<outdir>/_static/mathjax/es5/``. ``_config.yml`` points Sphinx at it with
``mathjax_path: mathjax/es5/tex-chtml.js``, a path relative to ``_static``;
MathJax then loads its extensions and its fonts (``output/chtml/fonts/woff-v2``)
relative to that script, so math renders with no network at all.

If the wheel is missing, an HTML build stops at once with an error saying what
to install, rather than producing a site whose math silently fails to render.

It also removes duplicated ``<script>`` tags from every page. Sphinx 7.4
registers an inline script added after the builder is set up twice (once with
filename ``None``, once with ``''``; fixed upstream in sphinx-doc/sphinx#13402,
Sphinx 8.2, which Jupyter Book 1 cannot use), so sphinx-thebe's
``const THEBE_JS_URL`` was declared twice and every page raised a console
``SyntaxError`` that the browser test (``tests/test_site.py``) reports.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Distribution on PyPI and the top-level package it installs.
WHEEL = "django-static-mathjax"
PACKAGE = "mathjax"
#: Where the browser bundles live inside the package, and where they go in ``_static``.
SOURCE_SUBDIR = Path("static", "mathjax", "es5")
TARGET_SUBDIR = Path("_static", "mathjax", "es5")


def find_mathjax_es5() -> Path:
    """Return the ``es5/`` directory of the installed MathJax 3 wheel.

    Raises
    ------
    ExtensionError
        If the package is not installed or does not contain ``es5/tex-chtml.js``.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionError(
            f"offline_mathjax: the Python package {PACKAGE!r} is not installed; "
            f"install the wheel with `pip install {WHEEL}` (it is pinned in "
            "requirements.txt) so that MathJax can be served from _static."
        )
    for location in spec.submodule_search_locations:
        es5 = Path(location) / SOURCE_SUBDIR
        if (es5 / "tex-chtml.js").is_file():
            return es5
    raise ExtensionError(
        f"offline_mathjax: package {PACKAGE!r} found at "
        f"{list(spec.submodule_search_locations)} but it has no "
        f"{SOURCE_SUBDIR / 'tex-chtml.js'}; reinstall `{WHEEL}`."
    )


def _is_html(app: Sphinx) -> bool:
    return getattr(app.builder, "format", None) == "html"


def check_mathjax(app: Sphinx) -> None:
    """Fail an HTML build early if the MathJax wheel is missing."""
    if _is_html(app):
        find_mathjax_es5()


def copy_mathjax(app: Sphinx, exception: Exception | None) -> None:
    """Copy MathJax's ``es5/`` tree into ``<outdir>/_static/mathjax/es5/``."""
    if exception is not None or not _is_html(app):
        return
    source = find_mathjax_es5()
    target = Path(app.outdir) / TARGET_SUBDIR
    shutil.copytree(source, target, dirs_exist_ok=True)
    logger.info("offline_mathjax: copied MathJax from %s to %s", source, target)


def _script_key(js: Any) -> tuple:
    filename = getattr(js, "filename", js) or ""
    attributes = getattr(js, "attributes", {})
    return os.fspath(filename), getattr(js, "priority", 500), tuple(sorted(attributes.items()))


def dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Keep the first of identical ``<script>`` entries of a page (see module docstring)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for js in scripts:
        key = _script_key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", check_mathjax)
    app.connect("build-finished", copy_mathjax)
    # After every other handler, so scripts that extensions add per page count too.
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
