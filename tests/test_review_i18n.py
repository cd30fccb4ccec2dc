"""Step 6 in Japanese: the decision summary keeps English internal values and writes its actions
and reasons in the report's language where they are shown; counted things read as counted."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from userops import audiences, i18n, review
from userops import narrative as text
from userops import schema as s

# a run of ASCII letters of three or more is English left in a Japanese sentence, unless it is a
# term the glossary keeps (GMV, ROI, KPI, ...) or a value from the data
_KEPT = {"GMV", "ROI", "KPI", "KPIs", "SHA", "alive", "cost_per_contact", "min_cell"}


def _english_words(sentence: str, *, data: tuple[str, ...] = ()) -> list[str]:
    for value in data:
        sentence = sentence.replace(value, "")
    return [w for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", sentence) if w not in _KEPT]


def _summary() -> pd.DataFrame:
    """One strategy per kind of reason: expand, keep, cut (funded less, and not at all), test
    (unclear with a holdout size, out of reach of the base, no estimate)."""
    nan = np.nan
    kpi = pd.DataFrame({
        s.STRATEGY_ID: ["grow", "hold", "shrink", "drop", "unclear", "huge", "unknown"],
        "type": "t", "reach": [100, 500, 1000, 400, 300, 300, 200], "weeks": 2,
        "incremental_gmv": [50.0, 10.0, 80.0, 30.0, 5.0, 5.0, nan],
        "inc_low": [10.0, 2.0, 20.0, 5.0, -4.0, -4.0, nan], "inc_high": [90.0, 18.0, 140.0, 55.0, 14.0, 14.0, nan],
        "roi": [1.0, 0.5, 0.2, 0.1, -0.5, -0.5, nan], "roi_low": 0.0, "roi_high": 2.0, "cost": 10.0,
        "effect_status": ["passed"] * 6 + ["no estimate in step 5"],
        "holdout_customers": [nan, nan, nan, nan, 250.0, 90000.0, nan],
        "reached_needed": [nan, nan, nan, nan, 2250.0, 810000.0, nan],
        "holdout_weeks": [nan, nan, nan, nan, 3.0, 3.0, nan]})
    alloc = pd.DataFrame({s.STRATEGY_ID: ["grow", "hold", "shrink"], "customers": [150.0, 520.0, 800.0]})
    return review.decision_summary(kpi, alloc, n_customers=5000)


def test_the_artifact_keeps_english_and_its_fields_write_the_same_reason():
    d = _summary().set_index(s.STRATEGY_ID)
    assert d["action"].to_dict() == {"grow": "expand", "hold": "keep", "shrink": "cut", "drop": "cut",
                                     "unclear": "test", "huge": "test", "unknown": "test"}
    for sid, row in d.iterrows():
        assert review.reason_text(row["reason_fields"]) == row["reason"], sid
        json.loads(row["reason_fields"])  # plain JSON, English keys
    assert "hold out 250 customers and reach 2,250 for 3 weeks" in d.loc["unclear", "reason"]
    assert "more than the 5,000 in the data" in d.loc["huge", "reason"]
    assert d.loc["drop", "reason"].endswith("funds none of the 400 customers it reaches now.")


def test_reasons_and_actions_are_shown_in_japanese_with_the_same_numbers(ja):
    d = _summary()
    english = d["reason"].tolist()
    shown = review.reasons_shown(d)
    assert d["reason"].tolist() == english  # written in English whatever the language in use
    for en, ja in zip(english, shown):
        assert not _english_words(ja), ja
        # the same numbers (Japanese order differs); "step 5" is a name, not a number
        assert sorted(re.findall(r"\d[\d,.]*", ja.replace("ステップ5", ""))) == sorted(
            re.findall(r"\d[\d,.]*", re.sub(r"[Ss]tep 5", "", en))), (en, ja)
    assert [review.action_text(a) for a in ("expand", "keep", "cut", "test")] == ["拡大", "維持", "縮小", "検証"]


def test_one_strategy_is_counted_as_one():
    one = pd.DataFrame({s.STRATEGY_ID: ["A"], "reach": [3], "cost": [1.5], "conversion": [0.5],
                        "incremental_gmv": [np.nan], "roi": [np.nan]})
    assert text.kpi_prose(one, contact_cost=0.5, coupon_cost=1.0).startswith("**1** strategy reached **3**")
    table = pd.DataFrame({s.STRATEGY_ID: ["A"], "roi": [0.1], "forward_roi": [np.nan],
                          "forward": ["window only: no estimate in step 5"]})
    assert "(1 strategy: A)" in text.forward_roi_prose(table, horizon_days=90)


def test_step_6_prose_in_japanese_has_no_english_sentence(ja):
    k = pd.DataFrame({s.STRATEGY_ID: ["A", "B"], "reach": [30, 12], "cost": [15.0, 6.0],
                      "conversion": [0.2, 0.1], "incremental_gmv": [120.0, np.nan], "inc_low": [-10.0, np.nan],
                      "inc_high": [250.0, np.nan], "roi": [7.0, np.nan], "roi_low": [-1.7, np.nan],
                      "roi_high": [15.7, np.nan]})
    curve = pd.DataFrame({s.STRATEGY_ID: ["A", "A"], "coverage": [0.1, 0.4], "value_per_customer": [3.0, 1.5]})
    alloc = pd.DataFrame({s.STRATEGY_ID: ["A"], "x": [1.0], "spend": [100.0], "customers": [200.0],
                          "incremental_gmv": [300.0]})
    front = pd.DataFrame({"budget": [0.0, 100.0, 200.0], "incremental_gmv": [0.0, 300.0, 400.0]})
    prev = pd.DataFrame({"as_of": ["2017-09-30"], "run_id": ["r0"]})
    al = pd.DataFrame({"type": ["t1"], "metric": ["conversion"], "previous": [0.1], "this_run": [0.15],
                       "change": [0.5], "alert": [True]})
    index = pd.DataFrame({s.STRATEGY_ID: ["A", audiences.UNCOVERED], "customers": [200, 7], "held_out": [20, 0],
                          "needed": [5000.0, np.nan]})
    fwd = pd.DataFrame({s.STRATEGY_ID: ["A", "B"], "roi": [7.0, np.nan], "forward_roi": [9.0, np.nan],
                        "forward_roi_low": [1.0, np.nan], "forward_roi_high": [20.0, np.nan],
                        "forward": ["window + 90 days: the effect lasts after the run, carried for 12 expected-active "
                                    "reached customers", "window only: no estimate in step 5"]})
    said = [text.kpi_prose(k, contact_cost=0.5, coupon_cost=1.0), text.seesaw_prose(curve),
            text.seesaw_prose(curve.iloc[:0]), text.allocation_prose(alloc, front, budget=200.0),
            text.alerts_prose(al, prev, threshold=0.2), text.alerts_prose(al, None, threshold=0.2),
            text.library_prose(prev, pd.DataFrame({"x": [1, 2]})), text.forward_roi_prose(fwd, horizon_days=90),
            text.audiences_prose(index, folder="06_audiences", seed=0),
            # blank_reason's words are the display layer's messages: only this step's own are checked
            text.segment_conversion_not_drawn("every value is 0").replace(i18n._("every value is 0"), ""),
            text.forward_label(fwd["forward"].iloc[0])]
    for sentence in said:
        assert not _english_words(sentence, data=("t1", "06_audiences")), sentence
    keys = list(text.review_headlines(k, alloc, al))
    assert keys == ["strategies reviewed", "with incremental GMV", "recommended spend", "KPI alerts vs previous run"]
    assert all(i18n._(key) != key for key in keys)  # the keys stay English (the runner reads them), shown translated
    defs = review.definitions()
    assert defs["kpi"].tolist() == review.DEFINITIONS["kpi"].tolist()
    assert not any(_english_words(d.replace("DiD", "")) for d in defs["definition"]
                   if "_" not in d), defs["definition"].tolist()


def test_the_audience_index_is_shown_in_japanese_and_stored_in_english(ja):
    index = pd.DataFrame({s.STRATEGY_ID: ["A", audiences.UNCOVERED, audiences.UNCOVERED],
                          "tier": ["T1 <120", "lapsed", audiences.NO_TIER]})
    shown = audiences.shown(index)
    assert shown[s.STRATEGY_ID].tolist() == ["A", "（未カバー）", "（未カバー）"]
    assert shown["tier"].iloc[0] == "T1 <120" and not _english_words(" ".join(shown["tier"].iloc[1:]))
    assert index["tier"].tolist() == ["T1 <120", "lapsed", audiences.NO_TIER]  # the frame itself unchanged
