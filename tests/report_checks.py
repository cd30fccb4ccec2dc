"""A reviewer's checks over a published report's HTML pages (issue 11): what a reader should never
see in a table or a chart.

``python tests/report_checks.py <report folder>`` prints the counts per page and the first few
examples of each; tests import :func:`check_page` / :func:`check_report`.

Counted per page:

* ``missing_cells``: table cells reading ``NaN``, ``None``, ``nan``, ``NaT``, ``<NA>`` (a reader
  sees code, not "no value");
* ``snake_headers``: table headers written for pandas (``share_reached``, ``cat_food``): a
  lower-case word joined to another by ``_``;
* ``reprs``: pandas' truncated-frame text ("270 rows x 7 columns", "rows × columns");
* ``empty_charts``: charts that are nearly blank (less than :data:`MIN_INK` of their pixels
  differ from the background: a title over nothing);
* ``charts_without_alt``: charts without alt text.
"""
from __future__ import annotations

import base64
import io
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bs4 import BeautifulSoup
from PIL import Image

MISSING = frozenset({"NaN", "nan", "None", "NaT", "<NA>", "NA"})
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
REPR = re.compile(r"\d[\d,]*\s+rows\s+[x×]\s+\d+\s+columns", re.IGNORECASE)
MIN_INK = 0.02  # share of pixels that are not background in a chart that shows something
COUNTS = ("missing_cells", "snake_headers", "reprs", "empty_charts", "charts_without_alt")


@dataclass
class PageReport:
    page: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, example: str) -> None:
        self.counts[kind] += 1
        shown = self.examples.setdefault(kind, [])
        if len(shown) < 5:
            shown.append(example)


def check_page(path: Path) -> PageReport:
    """Counts for one HTML page."""
    soup = BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")
    report = PageReport(page=Path(path).name)
    for cell in soup.find_all(["td", "th"]):
        text = cell.get_text(" ", strip=True)
        if text in MISSING:
            report.add("missing_cells", str(cell)[:120])
        if cell.name == "th":
            for word in SNAKE.findall(text):
                report.add("snake_headers", word)
    for match in REPR.finditer(soup.get_text(" ")):
        report.add("reprs", match.group(0))
    for img in soup.find_all("img"):
        src = img.get("src", "")
        if not img.get("alt"):
            report.add("charts_without_alt", src[:40])
        if src.startswith("data:image/png;base64,") and ink(src.split(",", 1)[1]) < MIN_INK:
            report.add("empty_charts", img.get("alt", "")[:120])
    return report


def check_report(folder: Path) -> list[PageReport]:
    """Counts for every step page (``NN_*.html``) of a published report folder."""
    return [check_page(p) for p in sorted(Path(folder).glob("[0-9][0-9]_*.html"))]


def totals(reports: list[PageReport]) -> dict[str, int]:
    return {k: sum(r.counts[k] for r in reports) for k in COUNTS}


def ink(png_base64: str) -> float:
    """Share of a PNG's pixels that differ from its most common (background) colour."""
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(png_base64))).convert("L"), dtype=np.int16)
    background = np.bincount(image.ravel()).argmax()
    return float((np.abs(image - background) > 24).mean())


def main(argv: list[str]) -> int:
    reports = check_report(Path(argv[0]))
    for r in reports:
        print(r.page, r.counts)
        for kind, shown in r.examples.items():
            print(f"    {kind}: {shown}")
    print("total", totals(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
