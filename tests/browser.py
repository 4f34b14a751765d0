"""What the two browser tests share (tests/test_site.py, tests/test_pdf.py).

The browser is ``$LOSSFNS_CHROMIUM`` or ``/usr/bin/chromium`` (Debian's package), launched
with the flags of ``_ext/pdf.py``; Playwright never downloads one. Without it the tests skip,
except in CI (``CI=true``) where they fail. The session fixture ``browser`` (tests/conftest.py)
is one Chromium for all of them: Playwright's sync API allows only one at a time.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import pdf as pdf_edition  # noqa: E402  (_ext/pdf.py: the PDF edition, which holds the launch flags)

CHROMIUM_ARGS = pdf_edition.CHROMIUM_ARGS


def missing(reason: str) -> None:
    """Skip locally, fail in CI: the browser tests must run in CI."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must not be skipped)")
    pytest.skip(reason)


def chromium_path() -> str:
    """The Chromium executable, or a skip (a failure in CI) naming what to install."""
    chromium = os.environ.get("LOSSFNS_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        missing(f"Chromium not found at {chromium}: install Debian's `chromium` package "
                "or set LOSSFNS_CHROMIUM to its executable")
    return chromium
