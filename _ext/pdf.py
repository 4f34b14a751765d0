"""The PDF edition of the book: the single-page HTML build, printed by Debian's Chromium.

Run from the repository root (README, "The PDF edition")::

    .venv/bin/python _ext/pdf.py            # writes _build/pdf/loss-functions-executed.pdf

1. ``jupyter-book build . --builder singlehtml`` writes the whole book as one page
   (``_build/singlehtml/intro.html``), with the site's offline MathJax and a11y.css;
2. a local HTTP server serves it, and Chromium (``$LOSSFNS_CHROMIUM`` or
   ``/usr/bin/chromium``, driven by Playwright, which never downloads a browser) opens it
   with every request to another host aborted;
3. every collapsed block (hidden code, solutions, model answers) is opened, since paper has
   nothing to click; MathJax typesets every formula and every image loads;
4. Chromium prints it to A4 with the print stylesheet of ``_static/a11y.css`` (code wraps,
   figures stay whole), as a tagged PDF with an outline built from the headings and the
   page number on every page.

The script stops with an error if a formula fails to typeset, an image fails to load or
something is requested from another host. ``tests/test_pdf.py`` runs it and checks the
PDF itself: outline, tags, page numbers, and that no code line is cut.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import io
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PDF_NAME = "loss-functions-executed.pdf"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
#: Milliseconds for loading the page and typesetting every formula of the book.
TIMEOUT_MS = 300_000
#: Page margins; the footer with the page number sits in the bottom margin.
MARGIN = {"top": "16mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}
FOOTER = (
    '<div style="width:100%; font-size:8pt; font-family:sans-serif; color:#444; '
    'padding:0 14mm; display:flex; justify-content:space-between">'
    "<span>Loss Functions, Executed</span>"
    '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>'
)

# Run in the page after load: open what paper cannot click, then wait for MathJax and images.
PREPARE_JS = """
async () => {
  // What each heading says, as the outline should show it: its text without the "#" link, a
  // formula by its assistive MathML, lines joined by spaces (Chromium's own outline titles glue
  // the lines of a wrapped heading together and sometimes repeat them).
  const headingTitles = () => Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6, [role="heading"]'))
    .filter(h => h.getClientRects().length)
    .map(h => {
      const copy = h.cloneNode(true);
      copy.querySelectorAll('.headerlink').forEach(a => a.remove());
      copy.querySelectorAll('mjx-container').forEach(m => {
        const mml = m.querySelector('mjx-assistive-mml');
        m.replaceWith(mml ? mml.textContent : '');
      });
      return copy.textContent.replace(/\\s+/g, ' ').trim();
    });
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('button.toggle-button').forEach(b => b.remove());
  if (window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
  await Promise.all(Array.from(document.images).map(img => img.complete ? null :
      new Promise(done => { img.onload = img.onerror = done; })));
  return {
    errors: document.querySelectorAll('mjx-merror').length,
    formulas: document.querySelectorAll('mjx-container').length,
    brokenImages: Array.from(document.images).filter(i => !i.naturalWidth).map(i => i.src),
    untypeset: document.querySelectorAll('.math:not(:has(mjx-container))').length,
    headings: headingTitles(),
  };
}
"""


def chromium_path() -> str:
    """The Debian Chromium binary (or ``$LOSSFNS_CHROMIUM``); never a downloaded one."""
    path = os.environ.get("LOSSFNS_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).exists():
        raise SystemExit(f"pdf: no Chromium at {path} (apt-get install chromium, or set LOSSFNS_CHROMIUM)")
    return path


def build_single_page(source: Path, output: Path) -> Path:
    """Run Jupyter Book's single-page HTML builder into ``output/_build``; return the page's path."""
    out = output / "_build" / "singlehtml"
    shutil.rmtree(out, ignore_errors=True)
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(source), "--path-output", str(output),
               "--builder", "singlehtml", "-W", "-n", "--keep-going", "--all", "-q"]
    subprocess.run(command, check=True, cwd=source)
    page = out / "intro.html"
    if not page.exists():
        raise SystemExit(f"pdf: the single-page build wrote no {page}")
    return page


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - keep the build log readable
        pass


def print_pdf(page: Path, pdf: Path) -> dict:
    """Serve ``page``'s folder, open it in Chromium and print it to ``pdf``; return what was measured."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(page.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    external: list[str] = []

    def route(r):
        host = urlsplit(r.request.url).hostname
        if urlsplit(r.request.url).scheme in {"data", "blob", "about"} or host in {"127.0.0.1", "localhost"}:
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1000, "height": 1400})
            context.route("**/*", route)
            tab = context.new_page()
            tab.set_default_timeout(TIMEOUT_MS)
            tab.emulate_media(media="print")
            url = f"http://127.0.0.1:{server.server_address[1]}/{page.name}"
            tab.goto(url, wait_until="load", timeout=TIMEOUT_MS)
            state = tab.evaluate(PREPARE_JS)
            pdf.parent.mkdir(parents=True, exist_ok=True)
            tab.pdf(path=str(pdf), format="A4", margin=MARGIN, print_background=True,
                    display_header_footer=True, header_template="<span></span>", footer_template=FOOTER,
                    outline=True, tagged=True)
            browser.close()
    finally:
        server.shutdown()
    problems = []
    if state["errors"]:
        problems.append(f"{state['errors']} formulas failed to typeset")
    if state["untypeset"]:
        problems.append(f"{state['untypeset']} formulas were not typeset")
    if state["brokenImages"]:
        problems.append(f"images failed to load: {state['brokenImages'][:5]}")
    if external:
        problems.append(f"requests to other hosts: {sorted(set(external))[:5]}")
    if problems:
        raise SystemExit("pdf: " + "; ".join(problems))
    return state


def _squash(text: str) -> str:
    return "".join(text.split())


def _same_heading(chromium: str, title: str) -> bool:
    """Whether Chromium's outline text can be ``title``: it holds the title's letters (maybe twice),
    or it is the title without its formulas (which Chromium leaves out)."""
    got, want = _squash(chromium), _squash(title)
    letters = iter(want)
    return want in got or all(ch in letters for ch in got)


def _startxref(data: bytes) -> int:
    """The offset of the last cross-reference section, from the file's last ``startxref`` line."""
    return int(data[data.rindex(b"startxref") + len(b"startxref"):].split()[0])


def retitle_outline(pdf: Path, titles: list[str]) -> int:
    """Give the PDF's outline entries the headings' own titles; return the number of entries.

    Chromium builds the outline from the headings but joins the lines of a wrapped heading
    without a space ("convexity andsmoothness") and now and then repeats one. Entry *i* of the
    outline (depth first) is heading *i* of the page; each entry's text must already agree with
    its heading, so a shifted match stops the script instead of mislabelling. Also sets the
    document title shown by viewers and screen readers (PDF/UA's DisplayDocTitle).

    The changed objects (the outline entries, the catalogue, the document information) are
    appended as an incremental update, the way PDF editors save: nothing else is rewritten,
    which takes a second where rewriting the whole 500-page file with pypdf takes twenty.
    """
    from pypdf import PdfReader
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, NumberObject, TextStringObject

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # Chromium's trailer /Size is one short
    data = pdf.read_bytes()
    reader = PdfReader(io.BytesIO(data))
    root_ref = reader.trailer.raw_get("/Root")
    root = root_ref.get_object()
    entries = []  # (indirect reference, dictionary), depth first

    def walk(node):
        ref = node.get_object().raw_get("/First") if "/First" in node.get_object() else None
        while ref is not None:
            item = ref.get_object()
            entries.append((ref, item))
            walk(item)
            ref = item.raw_get("/Next") if "/Next" in item else None

    walk(root["/Outlines"])
    if len(entries) != len(titles):
        raise SystemExit(f"pdf: the outline has {len(entries)} entries for {len(titles)} headings")
    for (_, entry), title in zip(entries, titles, strict=True):
        if not _same_heading(str(entry["/Title"]), title):
            raise SystemExit(f"pdf: outline entry {entry['/Title']!r} is not heading {title!r}")
        entry[NameObject("/Title")] = TextStringObject(title)
    prefs = DictionaryObject({NameObject("/DisplayDocTitle"): BooleanObject(True)})
    root[NameObject("/ViewerPreferences")] = prefs
    changed = [*entries, (root_ref, root)]
    info_ref = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None
    if info_ref is not None:
        info = info_ref.get_object()
        info[NameObject("/Title")] = TextStringObject(titles[0])
        changed.append((info_ref, info))
    out = io.BytesIO()
    out.write(data if data.endswith(b"\n") else data + b"\n")
    offsets = {}
    for ref, obj in changed:
        offsets[ref.idnum] = (out.tell(), ref.generation)
        out.write(f"{ref.idnum} {ref.generation} obj\n".encode())
        obj.write_to_stream(out)
        out.write(b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n")
    for idnum in sorted(offsets):
        offset, generation = offsets[idnum]
        out.write(f"{idnum} 1\n{offset:010d} {generation:05d} n\r\n".encode())
    size = max(int(reader.trailer["/Size"]), max(offsets) + 1)
    trailer = DictionaryObject({NameObject("/Size"): NumberObject(size), NameObject("/Root"): root_ref,
                                NameObject("/Prev"): NumberObject(_startxref(data))})
    if info_ref is not None:
        trailer[NameObject("/Info")] = info_ref
    out.write(b"trailer\n")
    trailer.write_to_stream(out)
    out.write(f"\nstartxref\n{xref}\n%%EOF\n".encode())
    pdf.write_bytes(out.getvalue())
    return len(entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="the book's folder (default: this repository)")
    parser.add_argument("--path-output", type=Path, default=None,
                        help="write the builds to PATH_OUTPUT/_build (default: SOURCE)")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    output = (args.path_output or source).resolve()
    pdf = output / "_build" / "pdf" / PDF_NAME
    start = time.monotonic()
    page = build_single_page(source, output)
    state = print_pdf(page, pdf)
    retitle_outline(pdf, state["headings"])
    import pypdfium2

    pages = len(pypdfium2.PdfDocument(str(pdf)))
    print(f"pdf: {pdf} ({pages} pages, {pdf.stat().st_size / 1e6:.1f} MB, {state['formulas']} formulas) "
          f"in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
