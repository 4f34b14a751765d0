"""The PDF edition of the book (issue 20), made by the README's command and checked in the PDF.

A module fixture runs ``python _ext/pdf.py`` (the README's PDF command) into a temporary
folder: the single-page HTML build printed to A4 by Debian's Chromium. The tests then read
the PDF itself with pdfium (``pypdfium2``), not the HTML it came from:

* its outline holds every chapter and appendix page, in the table of contents' order, and
  each entry's title is a heading of the book, word for word (Chromium's own titles glue the
  lines of a wrapped heading together);
* it is tagged (a structure tree for screen readers), and carries the book's title;
* every page shows its number, "k / n", at its foot;
* no formula is left as TeX;
* no code line is cut: the text of every code block and output of the single-page HTML is in
  the PDF, and no character of a monospaced font lies beyond the page's right margin. A
  control prints a code line that does not wrap and checks that the same test reports it.

Without Chromium the tests skip, except in CI (``CI=true``) where they fail (tests/browser.py).
"""

from __future__ import annotations

import ctypes
import html
import re
import subprocess
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from browser import chromium_path, missing
from browser import pdf_edition as edition_script  # _ext/pdf.py, the README's PDF command

ROOT = Path(__file__).resolve().parents[1]

#: pdfium's font flag for a fixed-pitch (monospaced) font: code and outputs.
FIXED_PITCH = 1
#: Points of slack at the margins, for glyphs whose box overhangs their advance.
SLACK_PT = 1.5
MM = 72 / 25.4


_QUOTES = str.maketrans("\u2018\u2019\u201c\u201d", "''\"\"")


def _squash(text: str) -> str:
    """Text without whitespace, typographic quotes as ASCII (MyST turns ' into \u2019)."""
    return "".join(text.translate(_QUOTES).split())


@pytest.fixture(scope="module")
def pdfium():
    try:
        import pypdfium2
    except ImportError:
        missing("pypdfium2 is not installed (pip install -r requirements.txt)")
    chromium_path()
    return pypdfium2


@pytest.fixture(scope="module")
def edition(pdfium, tmp_path_factory):
    """Run the README's command; return (the PDF document, the single-page HTML's text)."""
    out = tmp_path_factory.mktemp("edition")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "_ext" / "pdf.py"), "--path-output", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert proc.returncode == 0, f"the PDF command failed:\n{(proc.stdout + proc.stderr)[-6000:]}"
    pdf = out / "_build" / "pdf" / edition_script.PDF_NAME
    page = out / "_build" / "singlehtml" / "intro.html"
    return pdfium.PdfDocument(str(pdf)), page.read_text(encoding="utf-8")


# --------------------------------------------------------------------------
# What the HTML holds: headings and code blocks
# --------------------------------------------------------------------------


class _Collector(HTMLParser):
    """Headings (formulas as ``None`` pieces) and <pre> texts, in document order; ``article_headings``
    counts the headings inside ``<article>`` (the book's text, every one of which is printed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings: list[list[str | None]] = []
        self.pres: list[str] = []
        self._heading = None
        self._depth = 0  # nesting inside the current heading / pre
        self._skip = 0   # inside a heading's "#" link or formula
        self._pre = None
        self._articles = 0
        self.article_headings = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article":
            self._articles += 1
        if self._pre is not None:
            if tag == "pre":
                self._depth += 1
            return
        if tag == "pre":
            self._pre, self._depth = [], 1
            return
        if self._heading is not None:
            self._depth += 1
            classes = (attrs.get("class") or "").split()
            if self._skip or "headerlink" in classes or "math" in classes:
                if not self._skip and "math" in classes:
                    self._heading.append(None)
                self._skip += 1
            return
        if re.fullmatch(r"h[1-6]", tag) or attrs.get("role") == "heading":
            self._heading, self._depth, self._skip = [], 1, 0
            self.article_headings += bool(self._articles)

    def handle_endtag(self, tag):
        if tag == "article":
            self._articles -= 1
        if self._pre is not None:
            if tag == "pre":
                self._depth -= 1
                if not self._depth:
                    self.pres.append("".join(self._pre))
                    self._pre = None
            return
        if self._heading is not None:
            self._depth -= 1
            if self._skip:
                self._skip -= 1
            if not self._depth:
                self.headings.append(self._heading)
                self._heading = None

    def handle_data(self, data):
        if self._pre is not None:
            self._pre.append(data)
        elif self._heading is not None and not self._skip:
            self._heading.append(data)


@pytest.fixture(scope="module")
def collected(edition):
    parser = _Collector()
    parser.feed(edition[1])
    return parser


def _words(text: str) -> str:
    """Text with single spaces and ASCII quotes."""
    return " ".join(text.translate(_QUOTES).split())


def _heading_pattern(pieces: list[str | None]) -> re.Pattern:
    """The heading's words, spaces included, with any text where a formula stands."""
    parts = [".+?" if p is None else re.escape(_words(p)) for p in pieces if p is None or p.strip()]
    return re.compile(r"\s*".join(parts))


def _chapter_titles() -> list[str]:
    """The first heading of every page in _toc.yml, from the sources."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    titles = []
    for part in toc["parts"]:
        for entry in part["chapters"]:
            base = ROOT / entry["file"]
            if base.with_suffix(".ipynb").exists():
                import nbformat

                nb = nbformat.read(base.with_suffix(".ipynb"), as_version=4)
                text = next(c.source for c in nb.cells if c.cell_type == "markdown")
            else:
                text = base.with_suffix(".md").read_text(encoding="utf-8")
            titles.append(re.search(r"^# (.+)$", text, re.M).group(1).strip())
    return titles


# --------------------------------------------------------------------------
# What the PDF holds
# --------------------------------------------------------------------------


def _outline(doc) -> list[tuple[int, str, int]]:
    return [(b.level, b.get_title(), b.get_dest().get_index()) for b in doc.get_toc(max_depth=20)]


#: pdfium marks a hyphen at the end of a line as U+FFFE (a soft hyphen); on paper it is "-".
_HYPHENS = str.maketrans({"\ufffe": "-", "\u00ad": "-"})


@dataclass
class Printed:
    """One page as pdfium reads it: its text, and where its monospaced characters stand."""

    width: float
    text: str  # everything, the footer with the page number included
    body: str  # the text above the footer in reading order, whitespace left out: a block that crosses pages reads on
    prose: str  # the characters of proportional fonts only (not code, not outputs)
    code: list[tuple[str, float, float]]  # (character, left, right) in points


def printed(doc) -> list[Printed]:
    import pypdfium2.raw as raw

    name, flags = ctypes.create_string_buffer(128), ctypes.c_int()
    x, y = ctypes.c_double(), ctypes.c_double()
    bottom_margin = float(edition_script.MARGIN["bottom"].removesuffix("mm")) * MM
    pages = []
    for i in range(len(doc)):
        page = doc[i]
        textpage = page.get_textpage()
        n = textpage.count_chars()
        text = textpage.get_text_range(0, n).translate(_HYPHENS) if n else ""
        prose, code, body = [], [], []
        for c in range(n):
            raw.FPDFText_GetFontInfo(textpage.raw, c, name, 128, ctypes.byref(flags))
            char = text[c] if c < len(text) else ""
            # (MathJax's stretched glyphs come without a font name, and with boxes that span the page)
            if char.strip() and name.value and textpage.get_charbox(c)[3] > bottom_margin:
                raw.FPDFText_GetCharOrigin(textpage.raw, c, ctypes.byref(x), ctypes.byref(y))
                body.append((-round(y.value), x.value, char))
            if flags.value & FIXED_PITCH:
                if char.strip():
                    left, _, right, _ = textpage.get_charbox(c)
                    code.append((char, left, right))
            else:
                prose.append(char)
        # Reading order: line by line from the top (the baseline, to the point), left to right. Chromium
        # writes the rest of a code block that continues from the previous page after the page's own text.
        pages.append(Printed(page.get_width(), text, "".join(ch for *_, ch in sorted(body)), "".join(prose), code))
    return pages


def cut_code(pages: list[Printed], blocks: list[str]) -> list[str]:
    """What of ``blocks`` (the text of code blocks) the PDF does not show whole.

    A block is cut if its text, whitespace aside, is not in the PDF's text (a line clipped
    away), or if a character of a monospaced font lies beyond the page's printable width.
    """
    problems = []
    text = _squash("".join(p.body for p in pages))
    for block in blocks:
        if _squash(block) and _squash(block) not in text:
            first = next(line for line in block.splitlines() if line.strip())
            problems.append(f"code not in the PDF's text: {first[:80]!r}")
    margin = float(edition_script.MARGIN["right"].removesuffix("mm")) * MM
    for number, page in enumerate(pages, 1):
        for char, left, right in page.code:
            if left < -SLACK_PT or right > page.width - margin + SLACK_PT:
                problems.append(f"page {number}: {char!r} at {left:.0f}-{right:.0f} pt of {page.width:.0f}")
    return problems


@pytest.fixture(scope="module")
def pages(edition) -> list[Printed]:
    return printed(edition[0])


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------


def test_outline_lists_every_chapter_in_order(edition):
    outline = _outline(edition[0])
    chapters = [title for level, title, _ in outline if level == 1]
    want = _chapter_titles()
    found = [t.translate(_QUOTES) for t in chapters if t.translate(_QUOTES) in want]
    assert found == want, f"outline's chapter entries {found} != the table of contents {want}"
    pages = [page for _, _, page in outline]
    assert pages == sorted(pages), "outline entries do not point to ascending pages"
    assert sum(level >= 2 for level, _, _ in outline) >= 2 * len(want), "chapters have no section entries"


def test_outline_titles_are_the_headings(edition, collected):
    """Entry by entry, the outline's titles are the book's headings in order, word for word.

    The HTML also holds headings that are not printed (the sidebars' captions), so the outline
    is matched as a subsequence of them; every heading of the book's text must have its entry.
    """
    outline = _outline(edition[0])
    assert len(outline) >= collected.article_headings, (len(outline), collected.article_headings)
    headings = iter(collected.headings)
    for _, title, _ in outline:
        assert title == " ".join(title.split()), f"outline title with stray spaces: {title!r}"
        for pieces in headings:
            if _heading_pattern(pieces).fullmatch(_words(title)):
                break
        else:
            pytest.fail(f"outline title {title!r} is no heading of the book (or out of order)")


def test_pdf_is_tagged_and_titled(edition):
    import pypdfium2.raw as raw

    doc = edition[0]
    assert raw.FPDFCatalog_IsTagged(doc.raw), "no structure tree: screen readers get no headings or reading order"
    assert doc.get_metadata_dict().get("Title") == "Loss Functions, Executed"


def test_every_page_shows_its_number(pages):
    n = len(pages)
    missing = [i + 1 for i, page in enumerate(pages) if f"{i + 1} / {n}" not in page.text]
    assert not missing, f"pages without their number: {missing[:10]}"


def test_no_formula_left_as_tex(pages):
    prose = re.sub(r"\s+", " ", " ".join(page.prose for page in pages))
    tex = re.findall(r".{0,30}(?:\\(?:frac|hat|mathbb|sum|log|theta)\b|\\\(|\$\$).{0,30}", prose)
    assert not tex, f"TeX source printed instead of a formula: {tex[:5]}"


def test_no_code_line_is_cut(pages, collected):
    assert len(collected.pres) > 500, "the single-page HTML lost its code blocks"
    problems = cut_code(pages, collected.pres)
    assert not problems, f"{len(problems)} cut code lines, e.g. {problems[:5]}"


@pytest.mark.parametrize("style", ["white-space: pre; overflow: hidden", "white-space: pre; overflow: visible"])
def test_cut_code_check_sees_a_line_that_does_not_wrap(pdfium, browser, tmp_path, style):
    """Control: a code line printed without wrapping is reported, clipped or running off the page."""
    line = "loss = " + " + ".join(f"lf.huber(y_true[{i}], y_pred[{i}], delta=1.0)" for i in range(12))
    path = tmp_path / "control.pdf"
    page = browser.new_page()
    page.set_content(f'<pre style="{style}; font-family: monospace">{html.escape(line)}</pre>')
    page.pdf(path=str(path), format="A4", margin=edition_script.MARGIN)
    page.close()
    assert cut_code(printed(pdfium.PdfDocument(str(path))), [line])
