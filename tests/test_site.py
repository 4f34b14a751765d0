"""The built website, checked in a real (headless) browser.

A session fixture builds the book from scratch with the README's command
(``jupyter-book build . -W -n --keep-going``, plus ``--all`` so that warnings
of unchanged pages are reported too) and serves ``_build/html`` on 127.0.0.1.
Debian's Chromium, driven by Playwright, then opens every page of the site
with all requests routed through the test: any request to another host is
aborted and recorded, so the site is proven to work with no network at all.

Each page is visited once; the checks are separate tests over the same visit:
no console errors, no failed requests, nothing requested from another host,
every image loaded, math typeset by the local MathJax and no raw TeX
delimiters left, and on notebook pages a Colab link built from
``_config.yml``. Accessibility (issue 20): axe-core's WCAG 2.1 A/AA rules
report nothing critical or serious on any page (axe-core comes from the npm
registry, installed by ``.ci/run`` into ``.ci/node_modules``, or
``$LOSSFNS_AXE``), no page is wider than a 390 px phone screen, formulas are
not Tab stops unless they scroll, and on pages of every kind each Tab stop
shows a focus ring.

The browser is ``$LOSSFNS_CHROMIUM`` or ``/usr/bin/chromium`` (Debian package
``chromium``); Playwright never downloads one. Without it these tests skip,
except in CI (``CI=true``) where they fail.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from browser import missing as _missing

ROOT = Path(__file__).resolve().parents[1]

BUILD = ROOT / "_build"
HTML = BUILD / "html"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob", "about"}
MATHJAX_DIR = Path("_static", "mathjax", "es5")
FONT_DIR = MATHJAX_DIR / "output" / "chtml" / "fonts" / "woff-v2"
#: Milliseconds to wait for a page, for MathJax, for images and for the network to fall quiet: a limit
#: for a slow machine (a CI run once needed more than 30 s for chapter 3), not a speed requirement.
TIMEOUT_MS = 120_000
#: axe-core's browser bundle (npm package ``axe-core``), never fetched at run time.
AXE = Path(os.environ.get("LOSSFNS_AXE", ROOT / ".ci" / "node_modules" / "axe-core" / "axe.min.js"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Findings of impact "minor" or "moderate" that stay, each with the reason (none at present).
AXE_ALLOWED: dict[str, str] = {}
#: A phone's viewport width in CSS pixels (an iPhone 12 to 15).
PHONE_PX = 390


# --------------------------------------------------------------------------
# Pages: from the sources, so they are known before the build runs
# --------------------------------------------------------------------------


def _toc_docnames() -> list[str]:
    """Docnames of the book in ``_toc.yml`` order (root, chapters, appendix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                names.append(re.sub(r"\.(md|ipynb)$", "", entry["file"]))
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []) + toc.get("chapters", []))
    return names


def _source(docname: str) -> Path | None:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{docname}{suffix}"
        if path.is_file():
            return path
    return None


#: Every page the build must produce: the TOC, Sphinx's own pages, and the
#: ``index.html`` redirect that Jupyter Book writes when the root is not ``index``.
PAGES = sorted(
    {f"{name}.html" for name in _toc_docnames()} | {"genindex.html", "search.html", "index.html"}
)
NOTEBOOK_PAGES = [
    page
    for page in PAGES
    if (src := _source(page.removesuffix(".html"))) is not None and src.suffix == ".ipynb"
]

_FENCE = re.compile(r"^(`{3,}|~{3,})(.*?)$.*?^\1\s*$", re.M | re.S)
#: TeX as MyST writes it: $...$, $$...$$, amsmath environments, {math} roles and
#: directives (in Markdown, \( and \[ are only escaped brackets).
_MATH = re.compile(r"\$\$|\\begin\{|\{math\}|(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)")


def _source_has_math(docname: str) -> bool:
    """Whether a page's source contains TeX (code is not prose: it is ignored)."""
    src = _source(docname)
    if src is None:
        return False
    if src.suffix == ".ipynb":
        nb = json.loads(src.read_text(encoding="utf-8"))
        parts = []
        for cell in nb.get("cells", []):
            if cell["cell_type"] == "markdown":
                parts.append("".join(cell["source"]))
            for out in cell.get("outputs", []):
                parts.append("".join(out.get("data", {}).get("text/latex", "")))
        text = "\n".join(parts)
    else:
        text = src.read_text(encoding="utf-8")
    text = _FENCE.sub(lambda m: m.group(0) if "{math}" in m.group(2) else "", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    return bool(_MATH.search(text))


# --------------------------------------------------------------------------
# Build and serve
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def site() -> Path:
    """Build the book from scratch; fail on any error or warning."""
    shutil.rmtree(HTML, ignore_errors=True)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    proc = subprocess.run(
        [str(jupyter_book), "build", ".", "-W", "-n", "--keep-going", "--all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"jupyter-book build failed:\n{log[-6000:]}"
    warnings = [line for line in log.splitlines() if re.search(r"WARNING|Warning:", line)]
    assert not warnings, "the book build printed warnings:\n" + "\n".join(warnings)
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def base_url(site: Path):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------


@dataclass
class Visit:
    """What the browser saw on one page."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    responses: dict[str, int] = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    axe: list = field(default_factory=list)
    math_tab_stops: list = field(default_factory=list)
    phone_width: int = 0


#: Runs in the page once it has loaded: waits for images and MathJax, then
#: reports what the checks need.
_INSPECT = r"""
async (timeoutMs) => {
  const timeout = (ms) => new Promise((resolve) => setTimeout(() => resolve("timeout"), ms));
  const images = [...document.images];
  for (const img of images) img.loading = "eager";  // lazy images must load too
  await Promise.race([
    Promise.all(images.map((img) => img.decode().catch(() => null))),
    timeout(timeoutMs),
  ]);
  let mathjax = "absent";
  if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
    mathjax = await Promise.race([
      window.MathJax.startup.promise.then(() => "typeset", (e) => "error: " + e),
      timeout(timeoutMs),
    ]);
  }
  await document.fonts.ready;
  const hidden = [...document.querySelectorAll("pre, code, .highlight, script, style, textarea")];
  const display = hidden.map((el) => el.style.display);
  hidden.forEach((el) => (el.style.display = "none"));  // code is not prose
  const text = document.body ? document.body.innerText : "";
  hidden.forEach((el, i) => (el.style.display = display[i]));
  const math = [...document.querySelectorAll(".math")];
  return {
    brokenImages: images
      .filter((img) => !(img.complete && img.naturalWidth > 0))
      .map((img) => img.currentSrc || img.src || img.outerHTML),
    mathjax,
    mathElements: math.length,
    untypeset: math
      .filter((el) => !el.querySelector("mjx-container"))
      .map((el) => el.textContent.slice(0, 80)),
    containers: document.querySelectorAll("mjx-container").length,
    mathErrors: [...document.querySelectorAll("mjx-merror")]
      .map((el) => el.getAttribute("data-mjx-error") || el.textContent),
    rawDelimiters: [...text.matchAll(/.{0,30}(\$\$|\\\(|\\\[).{0,30}/g)].map((m) => m[0]),
    scripts: [...document.scripts].map((s) => s.src).filter(Boolean),
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  };
}
"""


_AXE = r"""
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.map((n) => n.html.slice(0, 160))}));
}
"""

#: Formulas in the tab order that do not scroll: MathJax's default makes every formula a Tab stop.
_MATH_TAB_STOPS = r"""
() => [...document.querySelectorAll("mjx-container[tabindex], mjx-container [tabindex]")]
  .filter((el) => el.tabIndex >= 0 && !(el.scrollWidth > el.clientWidth + 1))
  .map((el) => el.textContent.slice(0, 60))
"""

#: The focused element and how its focus shows: an outline, or a box-shadow ring (the theme's links).
_FOCUSED = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el), r = el.getBoundingClientRect();
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
  // a box-shadow ring: a visible colour and some length of at least 1px (the spread)
  const ring = s.boxShadow !== "none" && !/^rgba\([^)]*,\s*0\)/.test(s.boxShadow) &&
               /\b[1-9]\d*(\.\d+)?px/.test(s.boxShadow.replace(/rgba?\([^)]*\)/g, ""));
  return {what: `${el.tagName.toLowerCase()}.${String(el.className).split(" ")[0]} ` +
                `"${(el.getAttribute("aria-label") || el.textContent || "").trim().slice(0, 40)}"`,
          key: `${el.tagName}|${el.id}|${el.getAttribute("href")}|${Math.round(r.top + scrollY)}|${Math.round(r.left)}`,
          shown: outline || ring, visible: r.width > 0 && r.height > 0};
}
"""


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


def _meta_refresh(html_file: Path) -> str | None:
    """The target of a ``<meta http-equiv="Refresh">`` redirect page, if it is one."""
    match = re.search(
        r'<meta\s+http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"',
        html_file.read_text(encoding="utf-8"),
        re.I,
    )
    return match.group(1) if match else None


def visit_page(browser, url: str, redirect: str | None = None, axe: str | None = None) -> Visit:
    """Open ``url`` with every non-local request aborted; record what happened.

    ``redirect`` is where a meta-refresh page sends the browser: the checks
    then run on the page it lands on.
    """
    seen = Visit(url)
    context = browser.new_context(service_workers="block")

    def route(route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            seen.external_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def console(msg) -> None:
        if msg.type == "error":
            seen.console_errors.append(f"{msg.text} @ {msg.location}")

    def request_failed(req) -> None:
        if _is_local(req.url):  # blocked external requests are reported on their own
            seen.failed_requests.append(f"{req.url}: {req.failure}")

    def response(resp) -> None:
        seen.responses[resp.url] = resp.status
        if resp.status >= 400:
            seen.failed_requests.append(f"{resp.url}: HTTP {resp.status}")

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda exc: seen.console_errors.append(f"uncaught: {exc}"))
    page.on("requestfailed", request_failed)
    page.on("response", response)
    try:
        page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
        if redirect is not None:
            page.wait_for_url(urljoin(url, redirect), wait_until="load", timeout=TIMEOUT_MS)
        seen.state = page.evaluate(_INSPECT, TIMEOUT_MS)
        page.wait_for_load_state("networkidle", timeout=TIMEOUT_MS)
        if axe is not None:
            page.add_script_tag(content=axe)
            seen.axe = page.evaluate(_AXE, AXE_TAGS)
        seen.math_tab_stops = page.evaluate(_MATH_TAB_STOPS)
        # The same page on a phone: narrowing the loaded page reflows it exactly as loading it at 390 px
        # does (checked on every page at 300 and 240 px, where some pages overflow: the widths agreed).
        page.set_viewport_size({"width": PHONE_PX, "height": 844})
        seen.phone_width = page.evaluate(_WIDTH_AFTER_LAYOUT)
    finally:
        context.close()
    return seen


#: The document's width once the browser has laid the page out again (two animation frames).
_WIDTH_AFTER_LAYOUT = """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(
  () => done(document.documentElement.scrollWidth))))"""


@pytest.fixture(scope="session")
def visits(browser, site: Path, base_url: str):
    """Each page is opened once, on first use, and shared by all its checks."""
    cache: dict[str, Visit] = {}
    axe = AXE.read_text(encoding="utf-8") if AXE.is_file() else None

    def get(page: str) -> Visit:
        if page not in cache:
            redirect = _meta_refresh(site / page)
            cache[page] = visit_page(browser, base_url + page, redirect, axe)
        return cache[page]

    return get


def _is_math_page(page: str, seen: Visit) -> bool:
    return _source_has_math(page.removesuffix(".html")) or seen.state["mathElements"] > 0


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


def test_every_built_page_is_checked(site: Path) -> None:
    built = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    built = {p for p in built if not p.startswith(("_static/", "_sources/", "_images/"))}
    assert built == set(PAGES), (
        f"pages built but not checked: {sorted(built - set(PAGES))}; "
        f"pages expected but not built: {sorted(set(PAGES) - built)}"
    )


@pytest.mark.parametrize("page", PAGES)
def test_no_console_errors(visits, page: str) -> None:
    assert visits(page).console_errors == []


@pytest.mark.parametrize("page", PAGES)
def test_no_failed_requests(visits, page: str) -> None:
    assert visits(page).failed_requests == []


@pytest.mark.parametrize("page", PAGES)
def test_nothing_requested_from_other_hosts(visits, page: str) -> None:
    assert visits(page).external_requests == []


@pytest.mark.parametrize("page", PAGES)
def test_images_load(visits, page: str) -> None:
    assert visits(page).state["brokenImages"] == []


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(visits, page: str) -> None:
    seen = visits(page)
    state = seen.state
    assert state["rawDelimiters"] == [], "raw TeX delimiters left in the page text"
    if not _is_math_page(page, seen):
        return
    assert state["mathjax"] == "typeset", f"MathJax did not finish: {state['mathjax']}"
    assert state["containers"] > 0, "the source has math but MathJax typeset nothing"
    assert state["untypeset"] == [], "math elements MathJax did not typeset"
    assert state["mathErrors"] == [], "MathJax reported TeX errors"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_colab_link(visits, page: str) -> None:
    repo = CONFIG["repository"]
    owner_repo = urlsplit(repo["url"]).path.strip("/").removesuffix(".git")
    path = "/".join(p for p in ((repo.get("path_to_book") or "").strip("/"), page) if p)
    expected = (
        f"https://colab.research.google.com/github/{owner_repo}/blob/{repo['branch']}/"
        f"{path.removesuffix('.html')}.ipynb"
    )
    colab = [u for u in visits(page).state["links"] if "colab.research.google.com" in u]
    assert colab, "no Colab launch link on a notebook page"
    assert set(colab) == {expected}


def test_mathjax_is_served_locally(site: Path, visits, base_url: str) -> None:
    fonts = sorted((site / FONT_DIR).glob("*.woff"))
    assert fonts, f"no MathJax fonts in {FONT_DIR}"
    assert all(f.stat().st_size > 0 for f in fonts)

    math_pages = [p for p in PAGES if _source_has_math(p.removesuffix(".html"))]
    assert math_pages, "no page of the book has math: the math checks would check nothing"
    seen = visits(math_pages[0])
    local_mathjax = base_url + (MATHJAX_DIR / "tex-chtml.js").as_posix()
    mathjax_scripts = [s for s in seen.state["scripts"] if "mathjax" in s.lower()]
    assert mathjax_scripts == [local_mathjax]
    assert seen.responses.get(local_mathjax) in (200, 304)
    font_base = base_url + FONT_DIR.as_posix() + "/"
    fetched_fonts = {u: s for u, s in seen.responses.items() if u.startswith(font_base)}
    assert fetched_fonts, "MathJax fetched no font from the site's _static"
    assert set(fetched_fonts.values()) <= {200, 304}


# --------------------------------------------------------------------------
# Accessibility (issue 20)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_nothing_critical_or_serious(visits, page: str) -> None:
    if not AXE.is_file():
        _missing(f"axe-core not found at {AXE}: `npm install --prefix .ci axe-core` (as .ci/run does)")
    violations = visits(page).axe
    grave = [f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]})"
             for v in violations if v["impact"] in ("critical", "serious")]
    assert grave == []
    unexplained = [v["id"] for v in violations if v["id"] not in AXE_ALLOWED]
    assert unexplained == [], "minor findings must be fixed or listed in AXE_ALLOWED with a reason"


@pytest.mark.parametrize("page", PAGES)
def test_formulas_are_not_tab_stops(visits, page: str) -> None:
    assert visits(page).math_tab_stops == []


@pytest.mark.parametrize("page", PAGES)
def test_no_page_is_wider_than_a_phone(visits, page: str) -> None:
    assert 0 < visits(page).phone_width <= PHONE_PX


#: One page of every kind: the landing page, a chapter with formulas, tables and figures, the
#: generated atlas, the references, a long Markdown page, the glossary and Sphinx's search page.
FOCUS_PAGES = ["intro.html", "chapters/02_regression.html", "chapters/appendix/atlas.html",
               "chapters/appendix/references.html", "chapters/appendix/coursework.html",
               "chapters/appendix/glossary.html", "search.html"]


@pytest.mark.parametrize("page", FOCUS_PAGES)
def test_every_tab_stop_shows_its_focus(browser, base_url: str, page: str) -> None:
    assert page in PAGES
    context = browser.new_context(service_workers="block")
    context.route("**/*", lambda route: route.continue_() if _is_local(route.request.url) else route.abort())
    tab = context.new_page()
    try:
        tab.goto(base_url + page, wait_until="load", timeout=TIMEOUT_MS)
        tab.evaluate(_INSPECT, TIMEOUT_MS)
        seen, unseen = set(), []
        for _ in range(2000):  # until the focus comes round to the first stop again
            tab.keyboard.press("Tab")
            focused = tab.evaluate(_FOCUSED)
            if focused is None:
                continue
            if focused["key"] in seen:
                break
            seen.add(focused["key"])
            if focused["visible"] and not focused["shown"]:
                unseen.append(focused["what"])
    finally:
        context.close()
    assert len(seen) >= 10, "the keyboard reached almost nothing"
    assert unseen == [], f"{len(unseen)} of {len(seen)} Tab stops show no focus ring"
