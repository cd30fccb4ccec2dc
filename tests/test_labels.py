"""The display layer in the report's language (issue 15 item 3): labels translated when they are
looked up, the notes under tables and the text a chart writes by itself in Japanese, numbers
written as the English report always wrote them."""
from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")  # tests only
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402

from userops import display, i18n, labels, plots  # noqa: E402

SAME_IN_JAPANESE = {"GMV", "KPI", "ROI"}  # terms the glossary keeps as they are




@pytest.fixture
def house_style():
    with matplotlib.rc_context():
        plots.setup()  # the CJK font chain: read when a text is made, so before the figure
        yield
    plt.close("all")


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)


def test_every_label_has_a_japanese_translation_and_english_reads_as_written(ja):
    shown = {name: labels.label(name) for name in labels.LABELS}
    untranslated = {n: s for n, s in shown.items() if not _has_japanese(s) and s not in SAME_IN_JAPANESE}
    assert untranslated == {}
    i18n.use("en")
    assert all(labels.label(name) == text for name, text in labels.LABELS.items())


def test_built_labels_translate_the_pattern_and_keep_the_data_value(ja):
    feature = labels.category_feature("食品・飲料")
    assert labels.label(feature, categories={feature: "食品・飲料"}) == "食品・飲料の割合(%)"
    assert labels.label("cat_other") == "その他のカテゴリーの割合(%)"
    assert labels.label("C(lifecycle_stage)[T.at risk]") == "ライフサイクル段階：at risk"
    assert labels.label("mean_weekend_share") == "週末の注文の割合の平均"  # the inner "(%)" dropped
    assert labels.label("median_spend") == "購買額の中央値"
    i18n.use("en")
    assert labels.label("mean_weekend_share") == "Mean weekend share"
    assert labels.label("C(lifecycle_stage)[T.at risk]") == "Lifecycle stage: at risk"
    assert labels.label(feature, categories={feature: "食品・飲料"}) == "Share of 食品・飲料 (%)"


def test_labels_follow_the_language_in_use_and_stay_distinct(ja):
    assert labels.labels(["reach", "reached", "gmv"]) == [
        "リーチした顧客数 [reach]", "リーチした顧客数 [reached]", "GMV"]
    assert labels.labels(["reach", "reached", "gmv"]) == labels.labels(["reach", "reached", "gmv"])
    i18n.use("en")  # nothing was kept from the Japanese lookup
    assert labels.labels(["reach", "customers"]) == ["Customers reached", "Customers"]


def test_a_table_in_japanese_headers_notes_and_values(ja, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"strategy_id": [str(i) for i in range(30)], "gmv_share": [0.25] * 30,
                          "estimate": [1.5] * 29 + [float("nan")], "persists": [True] * 30})
    html = display.table_html(frame, name="t", out_dir=".", missing={"estimate": "推定値がありません"})
    soup = BeautifulSoup(html, "html.parser")
    assert [th.get_text() for th in soup.find("thead").find_all("th")] == [
        "施策", "GMVの割合(%)", "推定値", "実施後も持続"]
    assert [td.get_text() for td in soup.find_all("tr")[1].find_all("td")] == ["0", "25.0%", "1.50", "はい"]
    notes = [p.get_text() for p in soup.find_all("p", class_="table-note")]
    # row 30, the one without an estimate, is not shown: no note on missing values
    assert notes == ["全30行のうち先頭の25行を表示しています。表全体：t.csv"]
    empty = display.table_html(frame.iloc[0:0], name="e", out_dir=".", caption="施策")
    assert "施策：該当する行はありません。" in empty
    missing = display.table_html(frame.tail(3), name="m", out_dir=".")
    assert "推定値の「-」は値なし：その行には値がありません。" in missing


def test_numbers_round_as_the_f_strings_did():
    # Babel rounds a float's shortest decimal form (2.675 -> 2.68); the report always printed
    # Python's rounding of the binary value, in every language
    assert display.number(2.675, 2) == f"{2.675:,.2f}" == "2.67"
    assert display.percent(0.0005, 1) == f"{0.0005:.1%}" == "0.1%"
    assert display.percent(2.6975, 1) == f"{2.6975:.1%}"
    assert display.number(1234567.5) == f"{1234567.5:,.0f}"
    assert display.number(float("nan")) == "nan"


def test_what_a_chart_writes_by_itself_is_japanese_and_drawn(ja):
    sil = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.2, 0.4, 0.3]})
    with matplotlib.rc_context(), warnings.catch_warnings(record=True) as caught:
        plots.setup()  # the font chain is read when a text is made
        warnings.simplefilter("always")
        ax = plots.silhouette(sil, chosen=3, title="クラスター数ごとの分離")
        ax.figure.canvas.draw()
    plt.close(ax.figure)
    assert ax.get_xlabel() == "クラスター数(k)" and _has_japanese(ax.get_ylabel())
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["採用：k = 3"]
    assert [str(w.message) for w in caught if "missing from" in str(w.message)] == []


def test_a_legend_entry_that_names_a_column_shows_its_label(ja, house_style):
    ax = plt.figure().gca()
    frame = pd.DataFrame({"origin": ["a", "b"], "up": [0.5, 0.2], "gmv_share": [0.5, 0.8]})
    plots.stacked_shares(frame, index="origin", columns=["up", "gmv_share"], title="t", xlabel="x", ax=ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()][1] == "GMVの割合(%)"


def test_dates_in_tables_are_iso_days_in_every_language(ja, tmp_path):
    frame = pd.DataFrame({"start": pd.to_datetime(["2017-01-02"]), "note": [pd.Timestamp("2017-03-04")]})
    cells = [td.get_text() for td in BeautifulSoup(display.table_html(frame, name="d", out_dir=tmp_path),
                                                   "html.parser").find_all("td")]
    assert cells == ["2017-01-02", "2017-03-04"]


def test_chart_rows_naming_features_show_labels_and_legend_heads_are_labels(ja, house_style):
    ax = plt.figure().gca()
    table = pd.DataFrame([[0.1, 0.2], [0.3, 0.4]], index=["stores", "weekend_share"], columns=["c1", "c2"])
    plots.heatmap(table, title="t", xlabel="x", ylabel="y", fmt=".1f", ax=ax)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["利用店舗数", "週末の注文の割合(%)"]
    fig, ax2 = plt.subplots()
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [3.0, 1.0, 2.0], "recency_days": [5.0, 9.0, 1.0],
                          "rfm_group": ["a", "b", "a"]})
    plots.bubbles(frame, x="x", y="y", size="recency_days", hue="rfm_group", hue_order=["a", "b"],
                  labels={"x": "X", "y": "Y", "recency_days": "最終購買からの日数"}, splits={}, title="t",
                  ax=ax2)
    entries = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert "RFMグループ" in entries and "最終購買からの日数" in entries
    assert "rfm_group" not in entries and "recency_days" not in entries


def test_a_model_term_in_a_chart_reads_as_its_label(ja, house_style):
    frame = pd.DataFrame({"term": ["C(lifecycle_stage)[T.at risk]", "log_spend_13w"], "kind": ["k", "k"],
                          "estimate": [0.1, 0.2], "ci_low": [0.0, 0.1], "ci_high": [0.2, 0.3]})
    ax = plots.forest(frame, label="term", hue="kind", title="t", xlabel="x", ax=plt.figure().gca())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ライフサイクル段階：at risk", "開始前13週の購買額(対数)"]
    i18n.use("en")  # English charts label model terms too (they showed the formula's term before)
    ax = plots.forest(frame, label="term", hue="kind", title="t", xlabel="x", ax=plt.figure().gca())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Lifecycle stage: at risk",
                                                            "Spend in the 13 weeks before (log)"]


def test_data_values_in_a_chart_are_never_looked_up_in_the_catalog(ja, house_style):
    # "C" and "Customers" are message ids (labels of the columns c and customers), and also
    # possible names in the data: a chart shows data as it is
    frame = pd.DataFrame({"type": ["C", "Customers"], "n": [3, 5]})
    ax = plots.bars(frame, x="n", y="type", title="t", xlabel="x", ax=plt.figure().gca())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["C", "Customers"]
