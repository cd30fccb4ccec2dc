"""Step 4 coverage on a tiny hand-built frame: every share equals a hand count."""
from __future__ import annotations

import pandas as pd
import pytest

from userops import coverage
from userops import schema as s

AS_OF = pd.Timestamp("2017-12-31")


@pytest.fixture
def tiny():
    strategies = pd.DataFrame({
        s.STRATEGY_ID: ["A1", "A2", "B1", "old"], s.TYPE: ["A", "A", "B", "B"],
        s.START: pd.to_datetime(["2017-03-01", "2017-06-01", "2017-03-15", "2015-01-01"]),
        s.END: pd.to_datetime(["2017-03-31", "2017-06-30", "2017-04-15", "2015-02-01"])})
    exposures = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c2", "c1", "c3", "c1", "c9", "c4"],
                              s.STRATEGY_ID: ["A1", "A1", "A2", "B1", "B1", "B1", "old"]})
    responses = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c3"], s.STRATEGY_ID: ["A1", "B1"],
                              s.TS: pd.to_datetime(["2017-03-05", "2017-03-20"])})
    segments = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c2", "c3", "c4", "c5"],
                             "rf_segment": ["champions", "champions", "at_risk", "at_risk", "at_risk"],
                             "lifecycle_stage": ["mature", "mature", "at_risk", "dormant", "dormant"],
                             "monetary": [100.0, 50.0, 30.0, 15.0, 5.0]})
    tables = {"strategies": strategies, "exposures": exposures, "responses": responses}
    st, reached, note = coverage.prepare(tables, as_of=AS_OF, window_days=365)
    return st, reached, note, segments


def test_window_and_reach(tiny):
    st, reached, note, _ = tiny
    assert note == "" and list(st[s.STRATEGY_ID]) == ["A1", "B1", "A2"]  # 'old' ran before the window
    cal = coverage.calendar(st, reached).set_index(s.STRATEGY_ID)
    assert cal["reach"].to_dict() == {"A1": 2, "B1": 3, "A2": 1}
    assert cal["responders"].to_dict() == {"A1": 1, "B1": 1, "A2": 0}
    assert cal.loc["A2", "conversion"] == 0.0 and cal.loc["B1", "conversion"] == pytest.approx(1 / 3)


def test_matrix_equals_hand_counts(tiny):
    _, reached, _, seg = tiny
    m = coverage.matrix(reached, seg, by="rf_segment", level="type").set_index(["type", "rf_segment"])
    # type A reached c1, c2 (champions: 2 of 2); type B reached c1 (champions), c3 (at_risk), c9 (no orders)
    assert m.loc[("A", "champions"), ["segment_size", "reached", "share_reached"]].tolist() == [2, 2, 1.0]
    assert m.loc[("A", "at_risk"), "reached"] == 0 and m.loc[("A", "at_risk"), "share_reached"] == 0.0
    assert m.loc[("B", "at_risk"), "share_reached"] == pytest.approx(1 / 3)
    assert m.loc[("B", "(no orders)"), "reached"] == 1
    assert m.loc[("A", "champions"), "responders"] == 1
    shares = m["share_reached"].dropna()
    assert ((shares >= 0) & (shares <= 1)).all()


def test_uncovered_list_and_matrix_agree(tiny):
    _, reached, _, seg = tiny
    missing = coverage.uncovered(seg, reached)
    assert list(missing[s.CUSTOMER_ID]) == ["c4", "c5"]  # sorted by GMV
    summary = coverage.uncovered_summary(seg, reached, by=["rf_segment"]).set_index("rf_segment")
    assert summary["uncovered"].to_dict() == {"at_risk": 2, "champions": 0}
    assert summary.loc["at_risk", "uncovered_gmv_share"] == pytest.approx(20 / 200)
    m = coverage.matrix(reached, seg, by="rf_segment")
    reached_any = m[m["rf_segment"] != "(no orders)"].groupby("rf_segment")["reached"].sum()
    assert summary.loc["champions", "customers"] - summary.loc["champions", "uncovered"] == 2
    assert reached_any["at_risk"] == 1  # c3 only: 3 at-risk customers - 2 uncovered


def test_intensity_and_overlap(tiny):
    st, reached, _, seg = tiny
    inten = coverage.intensity(seg, reached, by="rf_segment", cap=2).set_index("rf_segment")
    assert inten.loc["champions", "mean_contacts"] == 2.0  # c1: 3 strategies, c2: 1
    assert inten.loc["champions", "2+"] == 0.5 and inten.loc["at_risk", "0"] == pytest.approx(2 / 3)
    ov = coverage.overlap(reached, st)
    assert ov[["strategy_a", "strategy_b", "both"]].values.tolist() == [["A1", "B1", 1]]
    assert ov["days_overlapping"].iloc[0] == 17  # Mar 15 .. Mar 31


def test_funnel_stages_are_nested(tiny):
    st, reached, _, _ = tiny
    orders = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c1", "c2", "c3"],
                           "day": pd.to_datetime(["2017-03-05", "2017-04-10", "2017-07-20", "2017-03-20"])})
    f = coverage.funnel(reached, orders, st, repeat_days=30).set_index("type")
    assert f.loc["A", ["reached", "purchased", "responded", "repeated"]].tolist() == [3, 1, 1, 1]
    assert f.loc["B", ["reached", "purchased", "responded", "repeated"]].tolist() == [3, 2, 1, 0]
    assert (f["reached"] >= f["purchased"]).all() and (f["purchased"] >= f["responded"]).all()


def test_category_fit_index():
    reached = pd.DataFrame({s.CUSTOMER_ID: ["c1"], s.STRATEGY_ID: ["S"], "responded": [False], "type": ["A"]})
    offers = pd.DataFrame({s.STRATEGY_ID: ["S"], s.CATEGORY: ["MEAT"]})
    spend = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c1", "c2"], s.CATEGORY: ["MEAT", "PRODUCE", "PRODUCE"],
                          "spend": [50.0, 50.0, 100.0]})
    st = pd.DataFrame({s.STRATEGY_ID: ["S"]})
    fit = coverage.category_fit(reached, offers, spend, st).iloc[0]
    assert fit["reached_share"] == 0.5 and fit["all_share"] == 0.25 and fit["index"] == 200.0


@pytest.mark.parametrize("tables, says", [
    ({}, "no strategies table"),
    ({"strategies": pd.DataFrame({s.STRATEGY_ID: ["x"], s.START: [AS_OF], s.END: [AS_OF]})}, "no exposures"),
])
def test_missing_tables_give_a_statement_not_an_error(tables, says):
    st, reached, note = coverage.prepare(tables, as_of=AS_OF, window_days=365)
    assert says in note and reached.empty
    assert coverage.calendar(st, reached)["reach"].sum() == 0


def test_every_section_says_why_without_strategies():
    """No strategies table: each section of step 4 gives its own one-sentence reason."""
    from userops import narrative as text

    segments = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c2"], "rf_segment": ["champions", "at_risk"],
                             "lifecycle_stage": ["mature", "dormant"], "monetary": [10.0, 5.0]})
    st, reached, note = coverage.prepare({}, as_of=AS_OF, window_days=365)
    sentences = [
        text.calendar_prose(coverage.calendar(st, reached), note, window_days=365),
        text.coverage_prose(coverage.matrix(reached, segments, by="rf_segment", level="type"), by="rf_segment", note=note),
        text.intensity_prose(coverage.intensity(segments, reached, by="rf_segment"), by="rf_segment", note=note),
        text.overlap_prose(coverage.overlap(reached, st), note=note),
        text.fit_prose(pd.DataFrame(columns=["strategy_id", "index"]), note=note, has_offers=False),
        text.preference_fit_prose(coverage.preference_fit(reached, None), note=note),
        text.funnel_prose(coverage.funnel(reached, pd.DataFrame(columns=[s.CUSTOMER_ID, "day"]), st), note=note),
    ]
    for sentence in sentences:
        assert "cannot be shown: this data has no strategies table;" in sentence, sentence
        assert sentence.count(". ") == 0 and sentence.endswith("._")  # one sentence


def test_coverage_prose_with_no_segment_of_ten():
    """Tiny data: no segment has 10 customers; the lowest coverage is not named (it once raised)."""
    from userops import narrative as text

    m = pd.DataFrame({"type": ["A", "A"], "rf_segment": ["champions", "at_risk"], "reached": [1, 0],
                      "responders": [0, 0], "segment_size": [2, 3], "share_reached": [0.5, 0.0],
                      "conversion": [0.0, float("nan")]})
    said = text.coverage_prose(m, by="rf_segment")
    assert "**A** in **champions**: 50%" in said and "No segment has 10 customers" in said


def test_funnel_without_responses_names_no_rate_it_cannot_compute():
    from userops import narrative as text

    fun = pd.DataFrame({"type": ["A"], "reached": [5], "purchased": [3], "responded": [0], "repeated": [0],
                        "purchased_rate": [0.6], "responded_rate": [0.0], "repeated_rate": [float("nan")]})
    said = text.funnel_prose(fun)
    assert "nan" not in said and "60% bought while it ran" in said and "**responded** in **A**" in said


def test_step4_prose_in_japanese_keeps_the_numbers_and_names_and_no_english_sentence(tiny):
    """``lang=ja``: every sentence of step 4 in Japanese (segment names too), the data's names and
    the numbers as in English; the frames' internal values stay English except the display-only
    ``(no orders)`` segment."""
    import re

    from userops import i18n
    from userops import narrative as text

    st, reached, _, seg = tiny
    english = text.coverage_prose(coverage.matrix(reached, seg, by="rf_segment", level="type"), by="rf_segment")
    i18n.use("ja")
    try:
        m = coverage.matrix(reached, seg, by="rf_segment", level="type")
        assert "（注文なし）" in set(m["rf_segment"]) and "champions" in set(m["rf_segment"])
        cal = coverage.calendar(st, reached)
        orders = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c3"], "day": pd.to_datetime(["2017-03-05", "2017-03-20"])})
        said = [text.calendar_prose(cal, "", window_days=365),
                text.coverage_prose(m, by="rf_segment"),
                text.uncovered_prose(coverage.uncovered_summary(seg, reached, by=["lifecycle_stage"]),
                                     n_customers=len(seg), file="04_uncovered_customers.csv"),
                text.intensity_prose(coverage.intensity(seg, reached, by="rf_segment", cap=2), by="rf_segment"),
                text.overlap_prose(coverage.overlap(reached, st)),
                text.funnel_prose(coverage.funnel(reached, orders, st)),
                text.calendar_prose(cal.iloc[0:0], coverage.prepare({}, as_of=AS_OF, window_days=365)[2],
                                    window_days=365)]
        for sentence in said:
            assert not re.search(r"[A-Za-z]{3,}[ ,;:]+[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}",
                                 sentence.replace("04_uncovered_customers.csv", "")), sentence
        assert "チャンピオン" in said[1] and "champions" not in said[1]  # step 1's segment name, translated
        numbers = re.compile(r"\d+(?:\.\d+)?%?")
        assert sorted(numbers.findall(said[1])) == sorted(numbers.findall(english))
    finally:
        i18n.use("en")
