"""Issue 11 items 1-2: the decision summary, the findings, the page order and the report's own pages."""
from __future__ import annotations

import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from test_review_decisions import _allocation, _table

from userops import findings, library, pages, report, review


def _kpi() -> pd.DataFrame:
    """The decisions test's table with the KPI columns step 6 adds: 4 weeks, costs, holdout sizes."""
    t = _table().assign(weeks=4, cost=[10.0, 50.0, 20.0, 20.0, 10.0, 10.0, 10.0, 30.0],
                        holdout_customers=[np.nan] * 4 + [5000.0, 300.0, 800.0, np.nan],
                        reached_needed=1000.0, holdout_weeks=8.0)
    for col, src in (("roi", "incremental_gmv"), ("roi_low", "inc_low"), ("roi_high", "inc_high")):
        t[col] = (t[src] - t["cost"]) / t["cost"]
    return t


def test_decision_summary_has_one_row_per_strategy_with_action_effect_roi_and_reason():
    d = review.decision_summary(_kpi(), _allocation()).set_index("strategy_id")
    assert sorted(d.index) == sorted(_kpi()["strategy_id"])
    assert d["action"].to_dict() == {"grow": "expand", "shrink": "cut", "hold": "keep", "edge": "keep",
                                     "flat": "test", "flat_funded": "cut", "unknown": "test", "absent": "cut"}
    # effect per reached customer-week: incremental GMV / (weeks x reach), interval likewise
    assert d.loc["grow", "effect"] == pytest.approx(50.0 / (4 * 100))
    assert d.loc["grow", "effect_low"] == pytest.approx(10.0 / 400)
    assert d.loc["shrink", "roi"] == pytest.approx((80.0 - 50.0) / 50.0)
    assert d.loc["grow", "roi_unit"] == review.ROI_UNIT and d.loc["unknown", "roi_unit"] == ""
    # the holdout only where the effect is unclear
    assert d.loc["flat", "holdout_customers"] == 5000 and d.loc["unknown", "holdout_customers"] == 800
    assert d.loc[d["action"] != "test", "holdout_customers"].isna().all()
    # reasons carry the row's own numbers
    assert "120 customers, more than the 100 now" in d.loc["grow", "reason"]
    assert "hold out 5,000 customers" in d.loc["flat", "reason"]
    assert "cannot be told apart from zero" in d.loc["flat", "reason"]
    assert "insufficient overlap: x" in d.loc["unknown", "reason"]
    assert "funds none of the 400" in d.loc["absent", "reason"]
    assert list(d.reset_index().columns) == list(review.DECISION_COLUMNS)


def test_a_holdout_larger_than_the_customer_base_is_said_to_be_out_of_reach_not_prescribed():
    # flat needs 5,000 held out + 1,000 reached, unknown 800 + 1,000: a base of 2,000 fits only the latter
    d = review.decision_summary(_kpi(), _allocation(), n_customers=2000).set_index("strategy_id")
    assert "hold out 5,000 customers" not in d.loc["flat", "reason"]
    assert ("a holdout cannot settle it here" in d.loc["flat", "reason"]
            and "needs 5,000 held-out and 1,000 reached customers, more than the 2,000 in the data" in d.loc["flat", "reason"])
    assert "hold out 800 customers and reach 1,000" in d.loc["unknown", "reason"]
    # the table shows a size only where it fits: the reason says why the other has none
    assert np.isnan(d.loc["flat", "holdout_customers"]) and d.loc["unknown", "holdout_customers"] == 800
    assert d.loc["unknown", "reason"].startswith("Step 5 could not estimate its effect: insufficient overlap: x;")
    # without the base the sizing is given as it is
    assert "hold out 5,000 customers" in review.decision_summary(_kpi(), _allocation()).set_index("strategy_id").loc["flat", "reason"]


def test_decision_summary_of_no_strategy_is_empty_with_its_columns():
    d = review.decision_summary(_kpi().iloc[0:0], _allocation())
    assert d.empty and list(d.columns) == list(review.DECISION_COLUMNS)


def test_decision_table_is_for_people_and_escapes_data():
    kpi = _kpi()
    kpi.loc[0, "strategy_id"] = "<script>x</script>"
    alloc = _allocation().replace({"grow": "<script>x</script>"})
    html = pages.decision_table(review.decision_summary(kpi, alloc)).to_html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "strategy_id" not in html and "NaN" not in html and "nan" not in html
    assert "Holdout to test" in html and "5,000" in html
    assert html == pages.decision_table(review.decision_summary(kpi, alloc)).to_html()  # deterministic


def test_arrange_cells_puts_findings_first_and_the_appendix_last():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("setup", metadata={"tags": ["appendix"]}),
        nbformat.v4.new_markdown_cell("## 1. Evidence"),
        nbformat.v4.new_code_cell("found", metadata={"tags": ["findings"]}),
        nbformat.v4.new_markdown_cell("## Provenance", metadata={"tags": ["appendix"]})])
    out, _ = report.ArrangeCells().preprocess(nb, {})
    assert [c.source for c in out.cells] == ["# Title", "found", "## 1. Evidence",
                                            f"## {report.APPENDIX}", "setup", "## Provenance"]


def test_every_notebook_has_one_findings_cell_and_an_appendix_with_its_provenance():
    for path in report.notebooks():
        nb = nbformat.read(path, as_version=4)
        tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
        assert sum("findings" in t for t in tags) == 1, path.name
        appendix = [c.source for c, t in zip(nb.cells, tags) if "appendix" in t]
        assert "## Provenance" in appendix and any("run.write(" in s for s in appendix), path.name


def _headings() -> dict[str, set[str]]:
    out = {}
    for path in report.notebooks():
        nb = nbformat.read(path, as_version=4)
        out[path.stem[:2]] = {line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
                              for line in c.source.splitlines() if line.startswith("#")}
    return out


def test_every_finding_names_a_heading_its_notebook_has():
    """The sections findings link to are the notebooks' headings (a renamed heading fails here)."""
    src = open(findings.__file__, encoding="utf-8").read()
    heads = _headings()
    steps = {"tiering": "01", "profiles": "02", "migration": "03", "coverage": "04", "effects": "05",
             "review": "06"}
    for name, step in steps.items():
        body = src.split(f"\ndef {name}(")[1].split("\ndef ")[0]
        sections = set(re.findall(r'"(\d+\. [^"]+)"', body))  # every "N. heading" literal, in _() or not
        assert sections, name
        assert sections <= heads[step], (name, sections - heads[step])


def test_findings_of_step_6_carry_the_decision_numbers():
    decided = review.decision_summary(_kpi(), _allocation())
    alloc = pd.DataFrame({"spend": [1200.0, 300.0]})
    items = findings.review(decided, alloc, budget=5000, warn=pd.DataFrame(columns=["alert"]), n_customers=1000)
    assert 3 <= len(items) <= 5
    assert items[0].found == "Of 8 strategies: 1 expand, 2 keep, 2 test, 3 cut."
    best = decided.sort_values("roi", ascending=False).iloc[0]
    assert f"strategy {best['strategy_id']}, ROI {best['roi']:+.2f}" in items[1].found
    assert "spends 1,500 of the 5,000 budget" in items[-1].found
    # holdouts of 5,000 (flat) and 800 (unknown): one fits within 1,000 customers
    assert "for 1 of them the holdout that would settle it fits within the 1,000 customers" in items[2].found
    assert items[0].anchor == "4.-Budget-allocation"


def test_findings_are_shown_escaped_and_recorded(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr("userops.show.display", lambda obj: shown.append(obj._repr_markdown_()))
    items = [findings.Finding("Strategy <b>*x*</b> grew.", "Expand it.", "2. KPIs per strategy (all)")]
    findings.show(items, out_dir=tmp_path, step="06")
    md = shown[0]
    assert md.startswith(f"## {findings.HEADING}") and "<b>" not in md and r"\*x\*" in md
    assert "(#2.-KPIs-per-strategy-%28all%29)" in md
    assert findings.read(tmp_path, "06")[0]["anchor"] == "2.-KPIs-per-strategy-(all)"
    assert findings.read(tmp_path, "05") == []


def test_step_nav_links_index_previous_and_next():
    stems = ["01_a", "02_b", "03_c"]
    titles = {s: s.upper() for s in stems}
    assert pages.step_nav("01_a", stems, titles)["prev"] is None
    nav = pages.step_nav("02_b", stems, titles)
    assert nav["index"] == "index.html"
    assert nav["prev"] == {"href": "01_a.html", "title": "01_A"}
    assert nav["next"] == {"href": "03_c.html", "title": "03_C"}
    assert pages.step_nav("03_c", stems, titles)["next"] is None


def _library(path, runs):
    rows = []
    for as_of, inc in runs:
        kpi = _kpi().assign(incremental_gmv=inc, inc_low=inc - 5, inc_high=inc + 5, participants=1,
                            conversion=0.1, gmv=100.0, arpu=1.0)
        strategies = pd.DataFrame({"strategy_id": kpi["strategy_id"], "start": pd.Timestamp("2017-01-02"),
                                   "end": pd.Timestamp("2017-02-26")})
        rows.append(library.rows(kpi, run_id=as_of, params_hash="h", data_source="demo", as_of=as_of,
                                 strategies=strategies, method="DiD"))
    for r in rows:
        library.record(path, r)


def test_overview_draws_the_library_history_with_alt_text(tmp_path):
    _library(tmp_path / report.LIBRARY, [("2017-06-30", 10.0), ("2017-12-31", 20.0)])
    chart = pages.history_chart(tmp_path / report.LIBRARY)
    assert chart["png"] and "across 2 dated runs, 2017-06-30 to 2017-12-31" in chart["alt"]
    assert chart == pages.history_chart(tmp_path / report.LIBRARY)  # byte-identical
    page = report.write_overview(tmp_path).read_text()
    assert "data:image/png;base64," in page and f'alt="{chart["alt"]}"' in page


def test_overview_without_estimates_says_why(tmp_path):
    assert "strategy library is empty" in pages.history_chart(tmp_path / report.LIBRARY)["note"]
    _library(tmp_path / report.LIBRARY, [("2017-12-31", np.nan)])
    assert "no history to draw" in pages.history_chart(tmp_path / report.LIBRARY)["note"]


def test_decision_summary_sorts_numeric_ids_as_numbers():
    kpi = _kpi().assign(strategy_id=["10", "9", "1", "2", "3", "4", "5", "11"], incremental_gmv=np.nan,
                        inc_low=np.nan, inc_high=np.nan, roi=np.nan, roi_low=np.nan, roi_high=np.nan)
    d = review.decision_summary(kpi, _allocation().iloc[0:0])
    assert list(d["strategy_id"]) == ["1", "2", "3", "4", "5", "9", "10", "11"]
