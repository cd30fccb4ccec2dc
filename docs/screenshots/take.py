"""Screenshots of a published report for the issue 11 closing note: the first screen of the
index and of step 6, as small PNGs, and every page's length in screens.

    python docs/screenshots/take.py <out>/<as_of> <label>   # e.g. reports/2017-12-31 after

Uses Debian's chromium through Playwright, offline (as tests/test_browser.py does). Prints one
line per page: name, height in px, screens of 900 px.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
SCREEN = {"width": 1280, "height": 900}
HERE = Path(__file__).parent


def main(folder: Path, label: str) -> None:
    pages = [folder / "index.html", *sorted(folder.glob("[0-9][0-9]_*.html"))]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
        page = browser.new_page(viewport=SCREEN)
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        for path in pages:
            page.goto(path.as_uri(), wait_until="load")
            height = page.evaluate("() => document.documentElement.scrollHeight")
            print(f"{label} {path.name}: {height} px, {height / SCREEN['height']:.1f} screens")
            if path.name in ("index.html", "06_strategy_adjustment.html"):
                shot = Image.open(io.BytesIO(page.screenshot(full_page=False)))
                shot = shot.resize((shot.width * 3 // 4, shot.height * 3 // 4), Image.LANCZOS)
                shot.convert("RGB").quantize(colors=64).save(HERE / f"{path.stem}-{label}.png", optimize=True)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
