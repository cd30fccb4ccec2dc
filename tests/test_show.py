"""Prose for reviewers: text from data or parameters never becomes markup in the exported HTML."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from userops import cli, narrative, report, synth, validation
from userops.show import ALLOWED_TAGS, Markdown, clean_html, plain_text, safe_markdown

# each is live markup when rendered as it is (test_payloads_are_live_unescaped)
PAYLOADS = ("<img src=x onerror=alert(1)>", '<img src="x" onerror="alert(1)">', "<script>alert(7)</script>",
            "[x](javascript:alert(1))", "[x](javascript\\:alert(1))", "[x](<javascript:alert(1)>)",
            "[x](" + " " * 300 + "\n" + " " * 300 + "javascript:alert(1))",
            "![x](data:image/png;base64,AAAA)", "![x](https://example.com/t.png)",
            "[r]: javascript:alert(1)\n\n[r]", "<javascript:alert(1)>", "<!-- x --><b>bold</b>",
            "<a href='javascript:alert(1)'>x</a>", "[x](data:text/html;base64,PHNjcmlwdD4=)")
# not links to the renderer, but to a browser the tab would not matter
ODD = ("[x]( JaVa\tScRiPt:alert(1))",)


class _Markup(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(markdown: str) -> list[tuple[str, dict[str, str]]]:
    """The tags nbconvert's exporter renders from ``markdown`` (the filter its template uses)."""
    parser = _Markup()
    parser.feed(markdown2html_mistune(markdown))
    return parser.tags


def _unsafe(tags: list[tuple[str, dict[str, str]]]) -> list:
    bad = []
    for tag, attrs in tags:
        if tag in ("script", "img", "iframe", "object", "embed", "b") or any(a.startswith("on") for a in attrs):
            bad.append((tag, attrs))
        for key in ("href", "src"):
            url = "".join((attrs.get(key) or "").split()).lower()
            if url and not url.startswith(("http:", "https:", "mailto:", "#")) and ":" in url.split("/")[0]:
                bad.append((tag, attrs))
    return bad


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_live_unescaped(payload):
    assert _unsafe(_tags(payload)), "the test below could not fail with this payload"


@pytest.mark.parametrize("payload", PAYLOADS + ODD)
@pytest.mark.parametrize("template", ["{0}", "Strategy **{0}** reached 3 customers.", "| a | b |\n|---|---|\n| `x` | {0} |",
                                      "- item {0}\n- `C(region)[T.{0}]`", "## {0}", "`{0}`", "``{0}``"])
def test_a_payload_never_renders_as_markup(payload, template):
    assert _unsafe(_tags(safe_markdown(template.format(payload)))) == []


def test_the_payload_text_still_shows_verbatim():
    payload = '<img src="x" onerror="alert(1)"> & $5 and $6 * x &lt;'
    code = payload + " _x_ [a](b) \\ |"  # markdown syntax too shows as typed inside code
    html = markdown2html_mistune(safe_markdown(f"Type **{payload}** and term `C(region)[T.{code}]`"))
    text = _Text()
    text.feed(html)
    assert f"Type {payload} and term C(region)[T.{code}]" in text.text


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = ""

    def handle_data(self, data):
        self.text += data


def test_markdown_formatting_is_kept():
    tags = [t for t, _ in _tags(safe_markdown(
        "## Title\n\n**bold** and *it*, `code` and [docs](https://example.com)\n\n- one\n- two\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"))]
    for tag in ("h2", "strong", "em", "code", "a", "ul", "li", "table", "th", "td"):
        assert tag in tags, tag


def test_unsafe_links_are_left_as_text_and_safe_ones_kept():
    tags = _tags(safe_markdown("[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.com) [d](#top)"))
    assert [attrs["href"] for tag, attrs in tags if tag == "a"] == ["https://example.com", "#top"]


def test_display_object_escapes_and_keeps_metadata():
    assert Markdown("<b>x</b>")._repr_markdown_() == "&lt;b&gt;x&lt;/b&gt;"
    shown, meta = Markdown("a < b", metadata={"k": 1})._repr_markdown_()
    assert shown == "a &lt; b" and meta == {"k": 1}


def test_run_parameters_keep_a_pipe_and_a_line_break_inside_the_cell():
    md = narrative.run_parameters({"split": "a|b\nc", "seed_group": "<script>alert(7)</script>"},
                                  names=["split", "seed_group"], source="x")
    html = markdown2html_mistune(safe_markdown(md))
    assert html.count("<tr>") == 3 and html.count("<td>") == 4
    assert "<script>" not in html and "a|b c" in html


# -- end to end: a payload in every text field of every table and in every string parameter --

IMG, SCRIPT, LINK = "<img src=x onerror=alert(1)>", "<script>alert(7)</script>", "[x](javascript:alert(1))"
ALL = IMG + SCRIPT + LINK
# a folder name cannot hold "/": the data source's name carries the other two
FOLDER = "data" + IMG + LINK


def _payload_tables(*, n_customers: int, seed: int) -> dict[str, pd.DataFrame]:
    """The synthetic retailer with the payloads appended to every text value and to the names
    of the customer attribute columns (ids changed the same way in every table)."""
    t = {name: frame.copy() for name, frame in synth.generate(n_customers=n_customers, random_state=seed).tables.items()}
    mark = lambda col: col.astype(str) + ALL  # noqa: E731
    tx = t["transactions"]
    for col in ("customer_id", "order_id", "store_id", "category"):
        tx[col] = mark(tx[col])
    tx["channel"] = np.where(tx["store_id"].str.startswith("1"), "web", "store") + ALL
    tx["product_id"] = "P-" + tx["category"].str.len().astype(str) + tx["category"]
    cust = t["customers"]
    for col in ("customer_id", "age_band", "app_user", "region"):
        cust[col] = mark(cust[col])
    t["customers"] = cust.rename(columns={c: c + ALL for c in ("age_band", "app_user", "region")})
    for col in ("strategy_id", "name", "type"):
        t["strategies"][col] = mark(t["strategies"][col])
    for name in ("exposures", "responses"):
        for col in ("customer_id", "strategy_id"):
            t[name][col] = mark(t[name][col])
    t["offers"]["strategy_id"] = mark(t["offers"]["strategy_id"])
    t["offers"]["category"] = mark(t["offers"]["category"])
    t["offers"]["product_id"] = "P-" + t["offers"]["category"].str.len().astype(str) + t["offers"]["category"]
    return t


def _write_folder(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


class _Page(HTMLParser):
    """Tags, attributes, script bodies and visible text of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def _page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _live_markup(page: _Page, *, template: _Page) -> list[str]:
    """What in ``page`` could run or load something that the report's template does not."""
    # + the index pages, and the runner's own navigation and folded appendix (their attributes and
    # links are checked below like every other tag's)
    allowed = {t for t, _ in template.tags} | ALLOWED_TAGS | {"img", "small", "nav", "details", "summary"}
    problems = [f"<script> {body[:80]!r}" for body in page.scripts if body not in template.scripts]
    for tag, attrs in page.tags:
        if tag not in allowed:
            problems.append(f"<{tag}>")
        problems += [f"<{tag} {k}=...>" for k in attrs if k.startswith("on")]
        for key in ("href", "src", "action", "formaction", "xlink:href"):
            url = "".join(ch for ch in attrs.get(key, "") if ch > " ").lower()
            if url.startswith(("javascript:", "vbscript:", "data:")) and not (
                    tag == "img" and key == "src" and url.startswith("data:image/png;base64,")):
                problems.append(f"<{tag} {key}={url[:40]}>")
        if tag == "img" and not attrs.get("src", "").startswith("data:image/png;base64,"):
            problems.append(f"<img src={attrs.get('src', '')[:40]}>")
    return problems


def _template_page(tmp_path: Path) -> _Page:
    """The exporter's page for a notebook with one chart: the template's own scripts and tags."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\n**x**"),
                                         nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
                                             "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "f"})])])
    nbformat.write(nb, str(tmp_path / "t.ipynb"))
    return _page(report.export_html(tmp_path / "t.ipynb", tmp_path / "t.html", title="t"))


@pytest.mark.slow
def test_payloads_in_every_text_field_and_string_parameter_never_become_markup(tmp_path, capsys):
    folder = _write_folder(_payload_tables(n_customers=1500, seed=5), tmp_path / FOLDER)
    # the region column's name as loaded (names are lower-cased, blanks become _)
    attribute = validation.normalize_columns(pd.read_csv(folder / "customers.csv", nrows=0),
                                             table="customers").columns[-1]
    sid = "S2" + ALL
    params = tmp_path / "free.yaml"
    params.write_text(yaml.safe_dump({"focus_strategy": sid, "seed_group": f"responders:{sid}",
                                      "response_attributes": [attribute],
                                      "response_features": ["discount_share" + ALL, "weekend_share"]}))
    out = tmp_path / "out"
    base = ["report", "--data", str(folder), "--as-of", "2017-12-31", "--out", str(out)]
    assert cli.main(base + ["--params", str(params)]) == 0, capsys.readouterr().err

    # parameters with a fixed set of values: refused, by name, either before the run or by the step
    fixed = tmp_path / "fixed.yaml"
    # step 5 runs alone (on the earlier report's steps): with step 3 failed it would be skipped
    for steps, values, checks in (("5", {"eligibility": LINK}, (("05_effect_drivers", "eligibility"),)),
                                  ("1,3", {"split": SCRIPT, "period": IMG},
                                   (("01_value_tiering", "split"), ("03_migration_paths", "period")))):
        fixed.write_text(yaml.safe_dump(values))
        code = cli.main(base + ["--steps", steps, "--params", str(fixed)])
        if code == 2:
            assert next(iter(values)) in capsys.readouterr().err
            continue
        manifest = json.loads((out / "2017-12-31.failed" / "manifest.json").read_text())
        errors = {st["name"]: st["error"] for st in manifest["steps"]}
        for step, name in checks:
            assert f"`{name}`" in errors[step], errors[step]

    template = _template_page(tmp_path)
    pages = {p.relative_to(out): _page(p) for p in sorted(out.rglob("*.html"))}
    assert len(pages) >= 1 + 7 + (6 if code != 2 else 0)
    for name, page in pages.items():
        assert _live_markup(page, template=template) == [], name
    # the payloads did reach the pages, as text
    text = {str(name): "".join(page.text) for name, page in pages.items()}
    for step in ("04_strategy_coverage", "05_effect_drivers", "06_strategy_adjustment"):
        assert sid in text[f"2017-12-31/{step}.html"], step
    # the model term as the display layer labels it (underscores read as spaces), as text
    assert f"C({attribute.replace('_', ' ')})[T." in text["2017-12-31/05_effect_drivers.html"]
    assert IMG + LINK in text["2017-12-31/01_value_tiering.html"]  # the data folder's name
    if code != 2:
        assert SCRIPT in text["2017-12-31.failed/01_value_tiering.html"]


def test_plain_text_is_what_the_reader_sees():
    # e.g. a chart's alt text: no entities, no markdown, names with underscores intact
    md = safe_markdown("Seed group **rf_segment:champions** & `C(region)[T.a<b]`, p < 0.05 [x](javascript:y)")
    assert plain_text(md) == "Seed group rf_segment:champions & C(region)[T.a<b], p < 0.05 [x](javascript:y)"


def test_clean_html_keeps_the_reports_tables_and_escapes_the_rest():
    frame_html = pd.DataFrame({"a": [1.5], "b": ["x"]}, index=pd.Index(["r"], name="i"))._repr_html_()
    assert clean_html(frame_html).count("<th") == frame_html.count("<th") and "&lt;" not in clean_html(frame_html)
    md_html = markdown2html_mistune("## H\n\n**b** [a](https://e.org)\n\n| a |\n|---|\n| `c` |")
    assert clean_html(md_html) == md_html
    dirty = clean_html('<img src=x onerror=alert(1)><script>alert(7)</script><a href="javascript:x">y</a>')
    assert _unsafe(_tags_of(dirty)) == [] and "&lt;script&gt;" in dirty


def _tags_of(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Markup()
    parser.feed(html)
    return parser.tags


def test_export_sanitises_raw_html_outputs(tmp_path):
    # the second layer: an output that bypassed userops.show (raw HTML or markdown) is cleaned
    raw = '<img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a><script>alert(7)</script>'
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": raw, "text/plain": "x"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": raw, "text/plain": "x"})])])
    nbformat.write(nb, str(tmp_path / "raw.ipynb"))
    page = _page(report.export_html(tmp_path / "raw.ipynb", tmp_path / "raw.html", title="t"))
    assert _live_markup(page, template=_template_page(tmp_path)) == []
    text = "".join(page.text)  # the tags show as text; the link stays, without its href
    assert text.count(IMG) == 2 and text.count(SCRIPT) == 2
