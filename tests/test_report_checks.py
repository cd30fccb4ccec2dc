"""What a reader must never see in a published report (issue 11), checked with tests/report_checks.py:
first the checker itself on small pages, then a whole data/sample report (slow), then the report
of The Complete Journey (slow, real data: run with USEROPS_REAL_REPORT=<published folder> to
check a report already published, or USEROPS_REAL_REPORT=run to publish one first, a few minutes),
where every sentence checked here is regenerated from the artifacts, found on its page, and its
numbers compared with the table it summarises."""
from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import report_checks  # noqa: E402
from test_narrative import assert_numbers, numbers  # noqa: E402
from userops import coverage, migration, report, review  # noqa: E402
from userops import narrative as text  # noqa: E402


def _png(draw) -> str:
    fig, ax = plt.subplots(figsize=(4, 3))
    draw(ax)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def test_the_checker_counts_what_a_reader_should_not_see(tmp_path):
    full = _png(lambda ax: ax.bar(["a", "b", "c"], [3, 5, 2]))
    blank = _png(lambda ax: (ax.set_title("Nothing"), ax.set_axis_off()))
    page = tmp_path / "01_x.html"
    page.write_text(f"""<html><body>
<table><thead><tr><th>share_reached</th><th>Customers</th><th>R×F segment</th></tr></thead>
<tbody><tr><td>NaN</td><td>None</td><td>at_risk</td></tr></tbody></table>
<p>270 rows × 7 columns</p>
<img src="data:image/png;base64,{full}" alt="a chart"><img src="data:image/png;base64,{blank}">
</body></html>""", encoding="utf-8")
    found = report_checks.check_page(page)
    assert found.counts == {"missing_cells": 2, "snake_headers": 1, "reprs": 1, "empty_charts": 1,
                            "charts_without_alt": 1}
    assert found.examples["snake_headers"] == ["share_reached"]  # a value like at_risk is no header


@pytest.mark.slow
def test_the_sample_report_shows_no_nan_no_code_names_no_repr_and_no_blank_chart(sample_dir, tmp_path):
    result = report.run(data=str(sample_dir), as_of="2017-11-30", out=tmp_path, log=lambda *_: None)
    assert result.ok
    found = report_checks.check_report(result.folder)
    assert len(found) == len(report.notebooks())
    assert report_checks.totals(found) == dict.fromkeys(report_checks.COUNTS, 0), [
        (r.page, r.examples) for r in found if any(r.counts.values())]


# -- The Complete Journey ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(tmp_path_factory) -> Path:
    where = os.environ.get("USEROPS_REAL_REPORT", "")
    if not where:
        pytest.skip("set USEROPS_REAL_REPORT to a published report of completejourney for 2017-12-31 "
                    "(or to 'run' to publish one here, a few minutes)")
    if where == "run":
        out = tmp_path_factory.mktemp("real")
        result = report.run(data="completejourney", as_of="2017-12-31", out=out, log=lambda *_: None)
        assert result.ok
        return result.folder
    return Path(where)


def _sentences(folder: Path, step: str) -> list[str]:
    nb = nbformat.read(str(next(folder.glob(f"{step}_*.ipynb"))), as_version=4)
    return [o["data"]["text/markdown"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "text/markdown" in o.get("data", {})]


def _art(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(folder / "artifacts" / f"{name}.parquet")


def _published(folder: Path, step: str, sentence: str) -> str:
    """``sentence`` as regenerated from the artifacts is the one on the page."""
    shown = [s for s in _sentences(folder, step) if sentence in s]
    assert shown, f"not on the {step} page: {sentence[:200]}"
    return sentence


@pytest.mark.slow
def test_real_report_reads_like_a_report(real):
    found = report_checks.check_report(real)
    assert report_checks.totals(found) == dict.fromkeys(report_checks.COUNTS, 0), [
        (r.page, r.examples) for r in found if any(r.counts.values())]


@pytest.mark.slow
def test_real_sentences_match_their_tables(real):
    params = json.loads((real / "manifest.json").read_text())["parameters"]
    kpi = _art(real, "06_kpis")
    contact, coupon = params.get("contact_cost", 0.5), params.get("coupon_cost_per_response", 1.0)
    sentence = _published(real, "06", text.kpi_prose(kpi, contact_cost=contact, coupon_cost=coupon))
    est = kpi.dropna(subset=["incremental_gmv"])
    expected = [len(kpi), kpi["reach"].sum(), kpi["cost"].sum(), contact, coupon, kpi["conversion"].min(),
                kpi["conversion"].max()]
    for r in est.itertuples():
        expected += [r.incremental_gmv, r.inc_low, r.inc_high, r.roi, r.roi_low, r.roi_high]
    expected += [len(kpi) - len(est), 5] if len(kpi) > len(est) else []
    expected += [est["roi"].notna().sum()] if est["roi"].notna().sum() < 2 else []
    assert_numbers(sentence, expected, drop=tuple(f"**{s}**" for s in est["strategy_id"]))

    # the seesaw: falls / rises / stays as its own curve does, or is said not drawn
    cells, moves = _art(real, "05_cell_effects"), _art(real, "03_transitions")
    curve = review.seesaw(cells, migration.current_sizes(moves))
    sentence = _published(real, "06", text.seesaw_prose(curve))
    for sid, g in curve.groupby("strategy_id", sort=True):
        v = g["value_per_customer"]
        said = f"**{sid}** falls" in sentence, f"**{sid}** rises" in sentence, f"**{sid}** stays" in sentence
        if "not drawn" in sentence:
            assert v.max() - v.min() <= 1e-9 * max(1.0, v.abs().max()) and not any(said[:2])
        else:
            assert said == (round(v.iloc[-1], 2) < round(v.iloc[0], 2), round(v.iloc[-1], 2) > round(v.iloc[0], 2),
                            round(v.iloc[-1], 2) == round(v.iloc[0], 2))

    # step 4: contact intensity and coverage by segment, ties and small means as the table has them
    tiers, reached = _art(real, "01_customer_tiers"), _art(real, "04_reach")
    cap = params.get("contact_cap", 4)
    inten = coverage.intensity(tiers, reached, by="rf_segment", cap=cap)
    sentence = _published(real, "04", text.intensity_prose(inten, by="rf_segment"))
    mean = inten.set_index("rf_segment")["mean_contacts"]
    got = [v for v, _ in numbers(sentence)]
    assert got[0] == pytest.approx(mean.max(), abs=0.05) and got[-1] == pytest.approx(mean.min(), rel=0.1, abs=1e-9)
    assert got[-1] != 0 or mean.min() == 0  # "reached least (0.0 on average)" only when it is 0
    top = mean[mean.round(1) == round(mean.max(), 1)].index
    assert all(f"**{s}**" in sentence.split(" were reached most often")[0] for s in top)

    m = coverage.matrix(reached, tiers, by="rf_segment", level="type")
    sentence = _published(real, "04", text.coverage_prose(m, by="rf_segment"))
    m = m[m["rf_segment"] != "(no orders)"]
    hi = m[m["share_reached"].map("{:.0%}".format) == f"{m['share_reached'].max():.0%}"]
    assert all(f"**{r.type}** in **{r.rf_segment}**" in sentence for r in hi.itertuples())
    assert f"{m['share_reached'].max():.0%}" in sentence


@pytest.mark.slow
def test_real_alt_text_is_never_a_sentence_about_a_chart_not_drawn(real):
    from bs4 import BeautifulSoup

    for page in sorted(real.glob("[0-9][0-9]_*.html")):
        alts = [img.get("alt", "") for img in BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find_all("img")]
        assert all(alts) and not [a for a in alts if " is not drawn" in a], page.name
