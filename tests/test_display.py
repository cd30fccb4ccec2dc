"""The table display layer (userops.display) and the labels it shares with the charts
(userops.labels): what a reader sees of a frame."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from userops import display, labels, profiles
from userops.display import blank_reason, table_html


def _soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def _cells(markup: str, row: int = 0) -> list[str]:
    return [td.get_text() for td in _soup(markup).find_all("tr")[row + 1].find_all("td")]


def _headers(markup: str) -> list[str]:
    return [th.get_text() for th in _soup(markup).find("thead").find_all("th")]


def test_headers_units_formats_and_no_index(tmp_path):
    frame = pd.DataFrame({"rf_segment": ["champions", "at_risk"], "customers": [1234, 5],
                          "gmv_share": [0.4567, 0.0012], "monetary": [12.3456, 7.0],
                          "median_gap_days": [6.25, 30.0], "p_value": [0.0004, 0.2]},
                         index=pd.RangeIndex(2))
    html = table_html(frame, name="t", out_dir=tmp_path)
    assert _headers(html) == ["R×F segment", "Customers", "Share of GMV (%)",
                              "Monetary value (net spend in the window)", "Median days between orders",
                              "p-value"]
    assert _cells(html) == ["champions", "1,234", "45.7%", "12.35", "6.2", "< 0.001"]
    assert _cells(html, 1) == ["at_risk", "5", "0.1%", "7.00", "30.0", "0.200"]
    assert "<script" not in html and "index" not in _headers(html)


def test_money_in_thousands_has_no_decimals_and_a_named_index_becomes_a_column(tmp_path):
    frame = pd.DataFrame({"gmv": [123456.789, 2500.5]}, index=pd.Index(["a", "b"], name="rf_segment"))
    html = table_html(frame, name="t", out_dir=tmp_path)
    assert _headers(html) == ["R×F segment", "GMV"]
    assert _cells(html) == ["a", "123,457"]


def test_missing_values_are_a_dash_with_the_reason_under_the_table(tmp_path):
    frame = pd.DataFrame({"strategy_id": ["1", "2"], "estimate": [1.5, np.nan], "ci_low": [0.5, None]})
    html = table_html(frame, name="t", out_dir=tmp_path, missing="the strategy did not pass the gate")
    assert _cells(html, 1) == ["2", "-", "-"]
    note = _soup(html).find("p", class_="table-note").get_text()
    assert note == "- = no value (Estimate, 95% CI low): the strategy did not pass the gate."
    per_column = table_html(frame, name="t", out_dir=tmp_path, missing={"estimate": "no estimate"})
    assert "Estimate: no estimate; 95% CI low: not available for that row" in per_column
    assert not any(v in html for v in (">NaN<", ">None<", ">nan<"))


def test_ids_sorted_as_text_are_shown_in_number_order(tmp_path):
    ids = sorted([str(i) for i in range(1, 13)])  # 1, 10, 11, 12, 2, ...
    frame = pd.DataFrame({"strategy_id": ids, "reach": [int(i) * 10 for i in ids]})
    html = table_html(frame, name="t", out_dir=tmp_path)
    rows = [tr.find_all("td") for tr in _soup(html).find_all("tr")[1:]]
    assert [r[0].get_text() for r in rows] == [str(i) for i in range(1, 13)]
    assert [r[1].get_text() for r in rows] == [f"{i * 10:,}" for i in range(1, 13)]  # rows moved whole
    ranked = frame.sort_values("reach", ascending=False)  # an order chosen on purpose is kept
    assert _cells(table_html(ranked, name="t", out_dir=tmp_path))[0] == ranked["strategy_id"].iloc[0]


def test_long_tables_are_capped_and_written_whole_as_neutralised_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1", "@a", "-b"] * 10, "customers": range(40)})
    html = table_html(frame, name="04_long", out_dir=".")
    soup = _soup(html)
    assert len(soup.find_all("tr")) == display.MAX_ROWS + 1
    link = soup.find("a")
    assert link["href"] == "tables/04_long.csv" and "first 25 of 40 rows" in soup.get_text()
    written = pd.read_csv(tmp_path / "tables" / "04_long.csv")
    assert len(written) == 40 and written["name"].str.startswith("'").all()


def test_wide_tables_are_split_with_their_key_columns(tmp_path):
    frame = pd.DataFrame({"strategy_id": ["1"], "type": ["A"], **{f"v{i}_share": [0.1] for i in range(10)}})
    html = table_html(frame, name="wide", out_dir=tmp_path)
    tables = _soup(html).find_all("table")
    assert len(tables) == 2
    heads = [[th.get_text() for th in t.find_all("th")] for t in tables]
    assert [h[:2] for h in heads] == [["Strategy", "Strategy type"]] * 2
    assert [len(h) - 2 for h in heads] == [display.MAX_COLUMNS, 10 - display.MAX_COLUMNS]
    assert [t["id"] for t in tables] == ["T_wide-0", "T_wide-1"]


def test_untrusted_text_is_escaped_and_the_html_is_deterministic(tmp_path):
    frame = pd.DataFrame({"<img src=x onerror=alert(1)>": ["<script>alert(1)</script>"], "reach": [3]})
    html = table_html(frame, name="t", out_dir=tmp_path)
    assert "<script>" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert html == table_html(frame.copy(), name="t", out_dir=tmp_path)
    with pytest.raises(ValueError, match="`name` must be"):
        table_html(frame, name="../x", out_dir=tmp_path)


def test_feature_and_term_columns_show_labels(tmp_path):
    frame = pd.DataFrame({"feature": ["weekend_share", "median_gap_days"], "mean": [0.3, 7.0]})
    assert [r[0] for r in (_cells(table_html(frame, name="t", out_dir=tmp_path), i) for i in (0, 1))] == [
        "Weekend share (%)", "Median days between orders"]


def test_labels_of_known_generic_and_category_names():
    assert labels.label("weekend_share") == "Weekend share (%)"
    assert labels.label("median_gap_days") == "Median days between orders"
    assert labels.label("mean_monetary") == "Mean monetary value"
    assert labels.label("some_new_column") == "Some new column"
    assert labels.label(2017) == "2017"
    feature = labels.category_feature("食品・飲料")
    assert feature == "cat_食品_飲料"  # a name model formulas accept
    assert labels.label(feature, categories={feature: "食品・飲料"}) == "Share of 食品・飲料 (%)"
    assert labels.kind(feature) == "share" and labels.kind("customer_id") == "id"
    assert labels.labels(["reach", "reached"]) == ["Customers reached [reach]", "Customers reached [reached]"]


def test_feature_table_keeps_the_real_category_names(tmp_path):
    prefs = pd.DataFrame({"customer_id": ["a", "b"], "orders": [1, 2], "spend": [3.0, 4.0]})
    spend = pd.DataFrame({"customer_id": ["a", "b", "b"], "category": ["食品・飲料", "食品・飲料", "日用品"],
                          "spend": [3.0, 1.0, 3.0]})
    table = profiles.feature_table(prefs, spend, top_categories=2)
    assert table.attrs["categories"] == {"cat_日用品": "日用品", "cat_食品_飲料": "食品・飲料"}
    path = tmp_path / "f.parquet"
    table.to_parquet(path)
    assert pd.read_parquet(path).attrs["categories"] == table.attrs["categories"]  # travels with the artifact
    assert labels.label("cat_食品_飲料") == "Share of 食品・飲料 (%)"
    assert profiles.name_clusters(pd.DataFrame({"cat_食品_飲料": [1.0, -1.0], "orders": [0.1, 0.2]})).iloc[0] \
        == "0: high 食品・飲料 share, high orders"


@pytest.mark.parametrize("values, groups, zero, reason", [
    ([], None, False, "no values to show"),
    ([np.nan, np.inf], None, False, "no values to show"),
    ([2.0, 2.0], None, False, "only one value"),
    ([0.0, 0.0], None, True, "every value is 0"),
    ([5.0], None, True, ""),
    ([1.0, 2.0], None, False, ""),
    ([1.0, 2.0], ["a", "b"], False, "one point per line only"),
    ([3.0, 3.0, 1.0, 1.0], ["a", "a", "b", "b"], False, "every line is flat (the same value at every point)"),
    ([3.0, 2.0, 1.0, 1.0], ["a", "a", "b", "b"], False, ""),
])
def test_blank_reason(values, groups, zero, reason):
    assert blank_reason(values, groups=groups, zero_is_blank=zero) == reason


def test_the_exporters_sanitiser_keeps_the_table_its_note_and_link(tmp_path, monkeypatch):
    from userops.show import clean_html

    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"strategy_id": [str(i) for i in range(30)], "roi": [np.nan] + [1.0] * 29})
    html = table_html(frame, name="t", out_dir=".")
    cleaned = clean_html(html)
    assert "&lt;" not in cleaned  # nothing of the table's own markup is escaped into text
    soup = _soup(cleaned)
    assert soup.find("a")["href"] == "tables/t.csv" and soup.find("em") and soup.find("style")
    assert [p.get_text()[:1] for p in soup.find_all("p", class_="table-note")] == ["-", "S"]


def test_lines_equal_up_to_float_noise_are_flat():
    # sums of shares that should be equal differ in the last bits: still a flat line
    noisy = np.array([-1.83, -1.83 + 1e-13, 6.6, 6.6 - 1e-12])
    assert blank_reason(noisy, groups=["a", "a", "b", "b"]) == "every line is flat (the same value at every point)"


def test_a_row_per_feature_is_written_as_that_feature(tmp_path):
    summary = pd.DataFrame({"weekend_share": [0.2, 0.4], "spend": [1500.0, 2500.0]}).describe().T.rename_axis("feature")
    html = table_html(summary, name="t", out_dir=tmp_path)
    assert _cells(html)[:3] == ["Weekend share (%)", "2", "30.0%"]  # count stays a count
    assert _cells(html, 1)[:3] == ["Spend", "2", "2,000"]


def test_numeric_ids_have_no_thousands_separator(tmp_path):
    html = table_html(pd.DataFrame({"customer_id": [1234, 56789], "customers": [1234, 5]}), name="t", out_dir=tmp_path)
    assert _cells(html) == ["1234", "1,234"]


def test_split_tables_keep_long_text_columns_together_after_the_numbers(tmp_path):
    frame = pd.DataFrame({"strategy_id": ["1"], "type": ["A"], "gate": ["a long reason"],
                          **{f"v{i}_share": [0.1] for i in range(8)}, "pool": ["population"]})
    heads = [[th.get_text() for th in t.find_all("th")]
             for t in _soup(table_html(frame, name="w", out_dir=tmp_path)).find_all("table")]
    assert heads[-1] == ["Strategy", "Strategy type", "Gate", "Comparison pool"]
    assert heads[0][2:] == [labels.label(f"v{i}_share") for i in range(8)]
