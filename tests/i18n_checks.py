"""Is a report written in another language than English free of English sentences (issue 15)?

``python tests/i18n_checks.py <report folder>`` prints, per page, the English word runs left in
the page's text (headings, prose, table headers and cells, captions, chart alt text, the page
title), outside data values; tests import :func:`english_runs` / :func:`check_report`.

An English run is three or more English words in a row (``the chart is``, ``Share of customers``):
a sentence or a phrase of one. Abbreviations the Japanese report keeps (RFM, GMV, ROI, KPI, DiD,
CLV, BG/NBD, P(alive), TGI, ...) are single words and never make a run on their own. Data values
(strategy names, categories, store ids, any text of the user's tables) are not the report's
words: every distinct text value of the prepared data's tables is removed from the page text
before it is searched, as are file names, code (``<code>``) and the data's source path.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup

# three English words in a row; a word is two or more Latin letters (an apostrophe inside: "step's")
RUN = re.compile(r"(?<![\w/.-])(?:[A-Za-z][A-Za-z']+[ ,;:]+){2,}[A-Za-z][A-Za-z']+(?![\w/-])")
FILE = re.compile(r"[\w./-]+\.(?:parquet|csv|json|html|sqlite|ipynb|png|txt)\b")
MAX_VALUES = 200_000  # distinct values of a column beyond which it is an id, not a name


def data_values(report: Path) -> list[str]:
    """Every distinct text value of the prepared data behind ``report`` (``manifest.json`` names
    it), longest first; plus the data's source as the manifest says it."""
    import duckdb

    manifest = json.loads((report / "manifest.json").read_text())
    prepared = (report / manifest["prepared_data"]).resolve()
    values: set[str] = {str(manifest.get("data_source", "")), str(manifest.get("data", ""))}
    con = duckdb.connect()
    for path in sorted(prepared.glob("*.parquet")):
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        for name, kind, *_ in cols:
            if kind.upper() not in ("VARCHAR", "ENUM") and not kind.upper().startswith("ENUM"):
                continue
            found = con.execute(f'SELECT DISTINCT CAST("{name}" AS VARCHAR) FROM read_parquet(\'{path}\') '
                                f"WHERE \"{name}\" IS NOT NULL LIMIT {MAX_VALUES}").fetchall()
            values.update(str(v[0]) for v in found)
    return sorted((v for v in values if v and re.search(r"[A-Za-z]", v)), key=len, reverse=True)


def page_text(path: Path) -> list[str]:
    """The text a reader sees on a page, one string per element: headings, paragraphs, list
    items, table cells, captions, alt texts and the title; no code, no scripts or styles."""
    soup = BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")
    for tag in soup.find_all(["script", "style", "code", "pre"]):
        tag.decompose()
    texts = [soup.title.get_text(" ", strip=True)] if soup.title else []
    texts += [img.get("alt", "") for img in soup.find_all("img")]
    for tag in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td", "th", "caption", "summary", "a", "small"]):
        if not tag.find(["p", "li", "td", "th", "table", "ul"]):  # innermost text holders only
            texts.append(tag.get_text(" ", strip=True))
    return [t for t in texts if t]


def english_runs(texts: list[str], values: list[str]) -> list[str]:
    """The English word runs left in ``texts`` once data values and file names are removed."""
    found = []
    for text in texts:
        text = FILE.sub(" ", text)
        for v in values:
            if v in text:
                text = text.replace(v, " ")
        found += [m.group(0) for m in RUN.finditer(text)]
    return found


def stray_markup(texts: list[str]) -> list[str]:
    """Texts showing markdown's ``**`` or ``__`` as written: bold the renderer did not close (in
    Japanese, CommonMark does not close ``**48%**`` right before a kana)."""
    return [t for t in texts if "**" in t or "__" in t]


def check_report(report: Path) -> dict[str, list[str]]:
    """Page name -> its English runs and texts with stray bold markup, for every HTML page of a
    dated report folder."""
    values = data_values(report)
    found = {}
    for p in sorted(report.glob("*.html")):
        texts = page_text(p)
        found[p.name] = english_runs(texts, values) + [f"stray markup: {t[:80]}" for t in stray_markup(texts)]
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    result = check_report(Path(argv[0]))
    for page, runs in result.items():
        print(f"{page}: {len(runs)} English run(s)")
        for r in runs[:15]:
            print(f"    {r}")
    return 1 if any(result.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
