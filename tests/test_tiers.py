"""Step 1 tiering: scores keep ties, every customer in one tier, thresholds recover planted truth."""
from __future__ import annotations

import dataclasses
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from userops import synth, tiers


def _rfm(r, f, m) -> pd.DataFrame:
    n = len(r)
    return pd.DataFrame({
        "customer_id": [f"c{i:04d}" for i in range(n)], "recency_days": np.asarray(r, dtype="int64"),
        "frequency": np.asarray(f, dtype="int64"), "monetary": np.asarray(m, dtype=float),
        "first_day": pd.Timestamp("2017-01-01"), "last_day": pd.Timestamp("2017-12-01"),
        "tenure_days": 364, "spend_recent": np.asarray(m, dtype=float) / 4,
        "spend_prior": np.asarray(m, dtype=float) / 4, "max_recent_gap_days": 0,
    })


def _thresholds(rfm: pd.DataFrame, **kw) -> tiers.Thresholds:
    return tiers.derive_thresholds(rfm, at_risk_days=20, dormant_days=60, **kw)


def test_quantile_edges_and_scores_keep_ties_together():
    values = pd.Series([0, 0, 0, 0, 1, 2, 3, 3, 3, 10])
    edges = tiers.quantile_edges(values)
    assert edges == tuple(np.unique(np.quantile(values, [.2, .4, .6, .8])))
    sc = tiers.score(values, edges)
    for v in values.unique():  # the same value always gets the same score
        assert sc[values == v].nunique() == 1
    assert sc.is_monotonic_increasing
    rev = tiers.score(values, edges, reverse=True)
    assert rev.iloc[0] == rev.max() and rev.iloc[-1] == 1


def test_hand_computed_scores_and_segments():
    rfm = _rfm(r=[0, 1, 2, 3, 5, 8, 13, 21, 34, 55], f=[50, 40, 30, 20, 10, 9, 8, 7, 6, 5],
               m=[100] * 10)
    t = _thresholds(rfm)
    assert t.r_edges == pytest.approx((1.8, 4.2, 10.0, 23.6))
    assert t.f_edges == pytest.approx((6.8, 8.6, 14.0, 32.0))
    out = tiers.assign(rfm, thresholds=t)
    assert out["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["f_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert out["rf_segment"].tolist() == [
        "champions", "champions", "loyal_customers", "loyal_customers", "need_attention",
        "need_attention", "hibernating", "hibernating", "hibernating", "hibernating"]


# The widely copied R x F regex map (research/methods.md, "R×F 5×5 regex grid"): an independent
# statement of which (R score, F score) cells each name covers, matched on the string "RF".
_RF_REGEX = {r"[1-2][1-2]": "hibernating", r"[1-2][3-4]": "at_risk", r"[1-2]5": "cant_lose",
             r"3[1-2]": "about_to_sleep", r"33": "need_attention", r"[3-4][4-5]": "loyal_customers",
             r"41": "promising", r"51": "new_customers", r"[4-5][2-3]": "potential_loyalists",
             r"5[4-5]": "champions"}


def test_rf_segments_follow_the_published_regex_map():
    # 25 customers, one per (recency rank, frequency rank): recency 0..4 days and 1..5 orders,
    # each value five times, so every quintile holds one value and the scores are known:
    # recency 0 days -> R 5 (most recent), 5 orders -> F 5
    r, f = np.meshgrid(np.arange(5), np.arange(1, 6), indexing="ij")
    rfm = _rfm(r=r.ravel(), f=f.ravel(), m=np.arange(25) + 1.0)
    out = tiers.assign(rfm, thresholds=_thresholds(rfm))
    assert out["r_score"].tolist() == (5 - r.ravel()).tolist()
    assert out["f_score"].tolist() == f.ravel().tolist()
    code = out["r_score"].astype(str) + out["f_score"].astype(str)
    expected = code.map(lambda c: [name for pat, name in _RF_REGEX.items() if re.fullmatch(pat, c)])
    assert expected.map(len).eq(1).all()  # the reference map itself covers each cell once
    got = out["rf_segment"].astype(str)
    wrong = out.assign(expected=expected.str[0])[got != expected.str[0]]
    assert wrong.empty, wrong[["r_score", "f_score", "rf_segment", "expected"]]
    assert set(got) == set(tiers.RF_SEGMENTS)  # every name is reachable, none is dead


def test_eight_groups_follow_the_split():
    rfm = _rfm(r=[1, 100, 1, 100], f=[100, 100, 1, 1], m=[1000, 1000, 1000, 10])
    out = tiers.assign(rfm, thresholds=_thresholds(rfm, split="mean"))
    assert out["rfm_group"].tolist() == ["important value", "important retention",
                                         "important development", "general win-back"]
    # median split: M = 1000 equals the median, and a value at the split counts as low
    med = tiers.assign(rfm, thresholds=_thresholds(rfm, split="median"))
    assert med["rfm_group"].tolist() == ["general value", "general retention",
                                         "general development", "general win-back"]
    with pytest.raises(ValueError, match=r"`split` must be one of \['mean', 'median'\]"):
        _thresholds(rfm, split="mode")


rfm_frames = st.integers(min_value=1, max_value=60).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 400), min_size=n, max_size=n),
    st.lists(st.integers(0, 200), min_size=n, max_size=n),
    st.lists(st.floats(-50, 5000, allow_nan=False), min_size=n, max_size=n)))


@settings(max_examples=60, deadline=None)
@given(rfm_frames, st.integers(0, 2**16))
def test_every_customer_in_exactly_one_tier_and_shuffle_changes_nothing(data, seed):
    rfm = _rfm(*data)
    out = tiers.assign(rfm, thresholds=_thresholds(rfm))
    for col in ("rf_segment", "rfm_group", "lifecycle_stage"):
        assert out[col].notna().all()
    assert out["r_score"].between(1, 5).all() and out["f_score"].between(1, 5).all()
    shuffled = rfm.sample(frac=1.0, random_state=seed)
    again = tiers.assign(shuffled, thresholds=_thresholds(shuffled)).sort_values("customer_id")
    cols = ["customer_id", "rfm_score", "rf_segment", "rfm_group", "lifecycle_stage"]
    pd.testing.assert_frame_equal(out[cols].reset_index(drop=True), again[cols].reset_index(drop=True))


def test_lifecycle_stage_rules():
    rfm = _rfm(r=[70, 30, 5, 5, 5, 5, 5], f=[5] * 7, m=[100] * 7).assign(
        spend_recent=[0, 10, 100, 50, 100, 100, 100], spend_prior=[10, 10, 50, 100, 100, 0, 100],
        tenure_days=[300, 300, 300, 300, 300, 40, 300], max_recent_gap_days=[0, 0, 0, 0, 61, 0, 0],
        first_day=[pd.Timestamp("2017-01-01")] * 5 + [pd.Timestamp("2017-11-20"), pd.Timestamp("2017-01-01")])
    t = dataclasses.replace(_thresholds(rfm), data_start=pd.Timestamp("2017-01-01"))
    out = tiers.assign(rfm, thresholds=t)
    assert out["lifecycle_stage"].tolist() == [
        "dormant", "at_risk", "growing", "declining", "reactivated", "new", "mature"]


def test_new_customers_are_guarded_against_left_censoring():
    rfm = _rfm(r=[5], f=[3], m=[50]).assign(tenure_days=30, first_day=pd.Timestamp("2017-01-20"))
    t = dataclasses.replace(_thresholds(rfm), data_start=pd.Timestamp("2017-01-01"))
    assert tiers.assign(rfm, thresholds=t)["lifecycle_stage"].iloc[0] != "new"


@pytest.mark.parametrize("intercept, slope", [(4.0, -1.0), (3.0, -0.6)])
def test_lifecycle_thresholds_recover_a_planted_curve(intercept, slope):
    snaps = synth.return_curve_snapshots(n=40000, intercept=intercept, slope=slope, random_state=1)
    lc = tiers.derive_lifecycle(snaps, levels=(0.75, 0.5))
    for level, got in ((0.75, lc.at_risk_days), (0.5, lc.dormant_days)):
        true = np.exp((np.log(level / (1 - level)) - intercept) / slope) - 1
        assert abs(got - true) <= max(2.0, 0.1 * true), (level, got, true)
    assert lc.curve["n"].sum() == len(snaps)


def test_lifecycle_refuses_a_flat_curve():
    snaps = synth.return_curve_snapshots(n=20000, intercept=1.0, slope=0.0, random_state=2)
    with pytest.raises(ValueError, match="does not fall with recency"):
        tiers.derive_lifecycle(snaps)


def test_explicit_lifecycle_days_override_and_are_checked():
    rfm = _rfm(r=[1, 2], f=[1, 2], m=[1, 2])
    with pytest.raises(ValueError, match="give `lifecycle`"):
        tiers.derive_thresholds(rfm)
    with pytest.raises(ValueError, match="at_risk_days < dormant_days"):
        tiers.derive_thresholds(rfm, at_risk_days=30, dormant_days=10)


def test_sensitivity_moves_each_cut_as_documented_and_counts_the_customers_it_moves():
    # hand-made: mean frequency 10 orders, mean spend 1000, at risk 20 / dormant 60 days; a
    # 10% step moves the order split to 9 and 11, spend split to 900 and 1100, days by
    # max(1, round(10%)): at risk 18 / 22, dormant 54 / 66
    f = np.array([10, 10, 11, 11, 11, 9, 9, 2, 18, 10, 12, 8, 18, 1, 10, 10])
    m = np.array([1000, 950, 1100, 1050, 1200, 901, 899, 500, 1500, 1000, 1099, 700, 1800, 101, 1000, 1200.0])
    r = np.array([19, 20, 21, 22, 23, 18, 17, 55, 59, 60, 61, 66, 67, 54, 5, 0])
    assert f.mean() == 10 and m.mean() == 1000  # the construction
    rfm = _rfm(r=r, f=f, m=m)
    t = _thresholds(rfm)
    sens = tiers.sensitivity(rfm, thresholds=t, step=0.1).set_index(["cut", "moved_to"])
    # independent counts straight from the rules: "frequent" is F > split, "high spend" is
    # M > split, at risk is R > at_risk_days, dormant is R > dormant_days; the 8 groups and
    # the stages change exactly for the customers between the old and the new cut
    between = lambda x, a, b: int(((x > min(a, b)) & (x <= max(a, b))).sum())  # noqa: E731
    expect = {("f_split", 9.0): between(f, 9, 10), ("f_split", 11.0): between(f, 10, 11),
              ("m_split", 900.0): between(m, 900, 1000), ("m_split", 1100.0): between(m, 1000, 1100)}
    for key, n in expect.items():
        assert sens.loc[key, "changed_rfm_group"] == n, (key, n)
    stage = {("at_risk_days", 18.0): between(r, 18, 20), ("at_risk_days", 22.0): between(r, 20, 22),
             ("dormant_days", 54.0): between(r, 54, 60), ("dormant_days", 66.0): between(r, 60, 66)}
    for key, n in stage.items():
        assert sens.loc[key, "changed_lifecycle_stage"] == n, (key, n)
    assert min(expect.values()) > 0 and min(stage.values()) > 0  # every count is a real test
    # a small count cut still moves by one whole unit (3 orders -> 2 and 4)
    small = _rfm(r=[1, 2, 3, 4], f=[1, 2, 4, 5], m=[1, 2, 3, 4])
    moved = tiers.sensitivity(small, thresholds=_thresholds(small), step=0.1)
    assert sorted(moved.loc[moved["cut"] == "f_split", "moved_to"]) == [2.0, 4.0]


def test_group_summary_adds_up():
    rng = np.random.default_rng(1)
    rfm = _rfm(r=rng.integers(0, 120, 200), f=rng.integers(0, 90, 200), m=rng.gamma(2, 500, 200))
    out = tiers.assign(rfm, thresholds=_thresholds(rfm))
    g = tiers.group_summary(out, by="rfm_group")
    assert g["customers"].sum() == 200
    assert g["gmv_share"].sum() == pytest.approx(1.0)
    assert g["gmv"].sum() == pytest.approx(rfm["monetary"].sum())


@pytest.mark.parametrize("snaps, why", [
    (synth.return_curve_snapshots(n=0), "no customer snapshot"),
    (synth.return_curve_snapshots(n=50, intercept=9.0, slope=0.0, random_state=3), "came back"),
    (synth.return_curve_snapshots(n=20000, intercept=1.0, slope=0.0, random_state=2), "does not fall"),
])
def test_lifecycle_falls_back_to_stated_defaults_with_the_reason(snaps, why):
    """Data too small or flat for the curve: the stated fallback days, flagged, with one reason."""
    lc = tiers.derive_lifecycle(snaps, fallback=(90, 180))
    assert (lc.at_risk_days, lc.dormant_days, lc.source, lc.derived) == (90, 180, "defaults", False)
    assert why in lc.reason and lc.n_snapshots == len(snaps)
    with pytest.raises(ValueError, match="cannot derive lifecycle thresholds"):
        tiers.derive_lifecycle(snaps)  # no fallback given: still refused
    t = tiers.derive_thresholds(_rfm(r=[3], f=[10], m=[50.0]), lifecycle=lc)
    assert (t.at_risk_days, t.dormant_days) == (90, 180)


def test_lifecycle_with_one_recency_value_falls_back_without_a_warning():
    snaps = synth.return_curve_snapshots(n=40, random_state=4).assign(recency_days=7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lc = tiers.derive_lifecycle(snaps, fallback=(30, 60))
    assert lc.source == "defaults" and "same recency" in lc.reason and not lc.fitted


def test_lifecycle_fallback_does_not_replace_a_curve_the_data_gives():
    snaps = synth.return_curve_snapshots(n=40000, intercept=4.0, slope=-1.0, random_state=1)
    with_fallback, without = tiers.derive_lifecycle(snaps, fallback=(90, 180)), tiers.derive_lifecycle(snaps)
    assert with_fallback.source == "data" and with_fallback.reason == ""
    assert (with_fallback.at_risk_days, with_fallback.dormant_days) == (without.at_risk_days, without.dormant_days)
    assert (with_fallback.at_risk_days, with_fallback.dormant_days) != (90, 180)


def test_growth_is_not_called_when_the_prior_window_is_before_the_data():
    """Six weeks of data: no prior 90-day spend is not growth (it was not observed)."""
    rfm = _rfm(r=[2, 2], f=[3, 3], m=[100.0, 100.0]).assign(
        spend_recent=[100.0, 10.0], spend_prior=[0.0, 0.0], tenure_days=40,
        first_day=pd.Timestamp("2017-11-21"))
    short = dataclasses.replace(_thresholds(rfm), data_start=pd.Timestamp("2017-11-21"))
    assert not tiers.prior_window_covered(rfm, thresholds=short)
    assert set(tiers.assign(rfm, thresholds=short)["lifecycle_stage"]) == {"mature"}
    year = rfm.assign(tenure_days=300, first_day=pd.Timestamp("2017-03-06"))  # same cut-off
    long_ = dataclasses.replace(short, data_start=pd.Timestamp("2017-01-01"))
    assert tiers.prior_window_covered(year, thresholds=long_)
    assert tiers.assign(year, thresholds=long_)["lifecycle_stage"].tolist() == ["growing", "growing"]


def test_lifecycle_prose_states_the_fallback_and_its_reason():
    from userops import narrative as text

    lc = tiers.derive_lifecycle(synth.return_curve_snapshots(n=0), fallback=(90, 180))
    t = tiers.derive_thresholds(_rfm(r=[3], f=[10], m=[50.0]), lifecycle=lc)
    said = text.lifecycle_prose(lc, t)
    assert "cannot give the lifecycle thresholds (the data has no customer snapshot" in said
    assert "at risk after **90** days, dormant after **180** days" in said
    assert text.fitted_curve(lc).empty


def test_correlation_prose_with_one_customer_is_a_statement_not_nan():
    from userops import narrative as text

    said = text.correlation_prose(_rfm(r=[3], f=[10], m=[50.0]), "frequency", "monetary")
    assert "cannot be shown" in said and "nan" not in said
    assert "Spearman" in text.correlation_prose(_rfm(r=[3, 5, 9], f=[10, 4, 1], m=[50.0, 20.0, 5.0]), "frequency", "monetary")
