"""Issue 11 item 7: every page of a published report, rendered in headless Chromium (Debian's
``chromium`` package, driven by Playwright): no console error, no request leaving the machine,
no table wider than the page, every chart with alt text, navigation on every step page, and a
screenshot small enough to look at.

Skipped when chromium or playwright is missing, except in CI (env ``CI`` set), where it fails:
``.ci/run`` installs chromium. ``USEROPS_SCREENSHOTS=<folder>`` keeps the screenshots.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from userops import report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
MAX_SCREENSHOT = 1_500_000  # bytes of a full-page JPEG: small enough to open and look at
AS_OF = "2017-12-31"


def _browser_or_skip():
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package")
        sync_playwright = None
    if not Path(CHROMIUM).exists():
        missing.append("chromium (apt-get install -y chromium)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser test; missing {', '.join(missing)}")
        pytest.skip(f"missing {', '.join(missing)}")
    return sync_playwright


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _browser_or_skip()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory, sample_dir):
    out = tmp_path_factory.mktemp("browser")
    result = report.run(data=str(sample_dir), as_of=AS_OF, out=out, log=lambda *_: None)
    assert result.ok, [(s.name, s.error) for s in result.steps]
    return out


def _pages(out: Path) -> list[Path]:
    folder = out / AS_OF
    return [out / "index.html", folder / "index.html", *sorted(folder.glob("[0-9][0-9]_*.html"))]


_WIDE_TABLES = """() => {
  const page = document.documentElement.clientWidth;
  const wide = [];
  for (const t of document.querySelectorAll('table')) {
    const r = t.getBoundingClientRect();
    let box = t.parentElement, limit = page;
    while (box && box !== document.body) {
      const s = getComputedStyle(box);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) { limit = Math.min(limit, box.clientWidth); break; }
      box = box.parentElement;
    }
    if (r.right > page + 1 || r.width > limit + 1)
      wide.push(`${Math.round(r.width)}px > ${limit}px: ${(t.innerText || '').slice(0, 80)}`);
  }
  return wide;
}"""


@pytest.mark.slow
def test_published_report_in_a_browser(published, request, tmp_path):
    """One test, so that the report is published once per session (pytest-xdist gives each test
    module's tests to several workers): first the HTML itself, then the pages in Chromium."""
    _index_has_a_decision_per_strategy_and_pages_open_with_findings(published)
    browser = request.getfixturevalue("browser")  # skips (fails in CI) without chromium
    _every_page_renders_offline_without_errors_and_fits(browser, published, tmp_path)
    _index_links_every_finding_to_a_section_of_its_page(browser, published)


def _every_page_renders_offline_without_errors_and_fits(browser, published, tmp_path):
    keep = Path(os.environ["USEROPS_SCREENSHOTS"]) if os.environ.get("USEROPS_SCREENSHOTS") else tmp_path
    keep.mkdir(parents=True, exist_ok=True)
    pages = _pages(published)
    assert len(pages) == 8, pages
    problems = []
    for path in pages:
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        errors, requests = [], []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda err, e=errors: e.append(str(err)))

        def route(r, seen=requests):
            url = r.request.url
            if url.startswith(("file://", "data:")):
                r.continue_()
            else:
                seen.append(url)
                r.abort()

        page.route("**/*", route)
        page.goto(path.as_uri(), wait_until="load")
        name = f"{path.parent.name}/{path.name}"
        problems += [f"{name}: console error {e}" for e in errors]
        problems += [f"{name}: network request {u}" for u in requests]
        problems += [f"{name}: table wider than the page: {w}" for w in page.evaluate(_WIDE_TABLES)]
        no_alt = page.evaluate("() => [...document.images].filter(i => !(i.alt || '').trim()).length")
        if no_alt:
            problems.append(f"{name}: {no_alt} image(s) without alt text")
        broken = page.evaluate("() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
        if broken:
            problems.append(f"{name}: {broken} image(s) not shown")
        if path.name[:2].isdigit():  # a step page: index, previous and next at the top and bottom
            navs = page.evaluate("() => [...document.querySelectorAll('nav.userops-nav')]"
                                 ".map(n => [...n.querySelectorAll('a')].map(a => a.getAttribute('href')))")
            if len(navs) != 2 or any("index.html" not in n for n in navs):
                problems.append(f"{name}: navigation missing: {navs}")
            for href in {h for n in navs for h in n}:
                if not (path.parent / href).exists():
                    problems.append(f"{name}: navigation link {href} leads nowhere")
        shot = keep / f"{path.parent.name}-{path.stem}.jpg"
        page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=40)
        if shot.stat().st_size > MAX_SCREENSHOT:
            problems.append(f"{name}: screenshot {shot.stat().st_size:,} bytes")
        ctx.close()
    assert not problems, "\n".join(problems)


def _index_links_every_finding_to_a_section_of_its_page(browser, published):
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    page.goto((published / AS_OF / "index.html").as_uri())
    links = page.evaluate("() => [...document.querySelectorAll('#findings ~ ul a')].map(a => a.href).filter(h => h.includes('#'))")
    assert links, "the index lists no findings"
    for href in links:
        page.goto(href)
        target = href.split("#", 1)[1]
        found = page.evaluate("(t) => !!document.getElementById(decodeURIComponent(t))", target)
        assert found, href
    ctx.close()


def _index_has_a_decision_per_strategy_and_pages_open_with_findings(published):
    """No browser needed: the published HTML itself."""
    import re

    import pandas as pd

    folder = published / AS_OF
    kpi = pd.read_parquet(folder / "artifacts" / "06_kpis.parquet")
    decided = pd.read_parquet(folder / "artifacts" / "06_decisions.parquet")
    assert sorted(decided["strategy_id"]) == sorted(kpi["strategy_id"]) and len(decided) > 0
    index = (folder / "index.html").read_text()
    table = index.split('class="decisions"')[1].split("</table>")[0]
    assert table.count("<tr>") == len(kpi) + 1  # a header row and one row per strategy
    assert "library" in (published / "index.html").read_text()
    for page in sorted(folder.glob("[0-9][0-9]_*.html")):
        text = page.read_text()
        headings = re.findall(r"<h[12][^>]*>(.*?)<a class=\"anchor-link\"", text)
        assert headings[1] == "What this step found and what to do", (page.name, headings[:3])
        before, after = text.split('id="Appendix:', 1)  # parameters and provenance after the evidence
        assert "Run parameters" not in before and "Provenance" not in before, page.name
        assert "Run parameters" in after and "Provenance" in after, page.name


def test_missing_chromium_skips_here_and_fails_in_ci(monkeypatch):
    import sys

    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        _browser_or_skip()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser test"):
        _browser_or_skip()
