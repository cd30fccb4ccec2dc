"""Step 1 in Japanese: the prose, findings, headlines and the names shown for segments, groups,
stages and the forward-value model come from the catalog, with no English sentence left; the
artifacts keep the internal English names; in English nothing changes."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from userops import clv, datasets, features, findings, i18n, tiers
from userops import narrative as text

# what may stay Latin in a Japanese sentence: model and measure names, code names, file names
_ALLOWED = re.compile(r"BG/NBD|Gamma-Gamma|P\(alive\)|ARPU|GMV|RFM|R×F|CI|SE|n=|[a-z]+_[a-z_0-9]+|"
                      r"artifacts/\S+|`[^`]*`|America/New_York|synthetic|\b[rabpqv]\b|alpha|e\+\d+")
_ENGLISH = re.compile(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,})+")  # two English words in a row


def english_left(sentence: str) -> list[str]:
    return _ENGLISH.findall(_ALLOWED.sub(" ", sentence))




@pytest.fixture(scope="module")
def step1():
    ds = datasets.load("synthetic", n_customers=600, seed=1)
    orders = features.collapse(ds.transactions, as_of=ds.as_of)
    rfm = features.rfm(orders, as_of=ds.as_of, window_days=365, recent_days=90)
    snaps = features.recency_snapshots(orders, snapshots=tiers.snapshot_dates(
        data_start=rfm["first_day"].min(), as_of=ds.as_of), horizon_days=30)
    life = tiers.derive_lifecycle(snaps, fallback=(90, 180))
    t = tiers.derive_thresholds(rfm, lifecycle=life)
    tiered = tiers.assign(rfm, thresholds=t)
    return SimpleNamespace(ds=ds, orders=orders, rfm=rfm, life=life, t=t, tiered=tiered)


def _prose(s) -> list[str]:
    tiered, t = s.tiered, s.t
    groups = tiers.group_summary(tiered, by="rfm_group")
    segments = tiers.group_summary(tiered, by="rf_segment")
    stages = tiers.group_summary(tiered, by="lifecycle_stage")
    sens = tiers.sensitivity(s.rfm, thresholds=t)
    fw = clv.forward(features.purchase_days(s.orders, as_of=s.ds.as_of), as_of=s.ds.as_of)
    alive, disagree = clv.stage_vs_alive(clv.attach(tiered, fw))
    out = [text.data_quality(s.ds), text.rfm_overview(s.rfm, window_days=365), text.lifecycle_prose(s.life, t),
           text.coverage_check(tiered), text.group_prose(groups, label="rfm_group", what="group"),
           text.group_prose(segments, label="rf_segment", what="segment"),
           text.concentration_prose(groups, label="rfm_group"),
           text.correlation_prose(tiered, "frequency", "monetary"), text.correlation_prose(tiered.head(2), "frequency", "monetary"),
           text.stage_prose(stages, t), text.stage_prose(stages, t, growth_seen=False),
           text.cross_prose(pd.crosstab(tiered["rf_segment"], tiered["lifecycle_stage"])),
           text.sensitivity_prose(sens, n=len(s.rfm)), text.artifact_list([], tiered), text.provenance(s.ds),
           text.clv_definitions(fw, horizon_months=12), text.clv_holdout_prose(fw), text.clv_fit_prose(fw),
           text.stage_alive_prose(alive, disagree, level=0.5),
           text.run_parameters({"data": "synthetic"}, names=["data"], source=s.ds.source)]
    heads = {**text.headlines(tiered, t), **text.clv_headlines(fw)}
    assert all(re.fullmatch(r"[a-z ]+", k) for k in heads)  # keys stay English; the index translates them
    out += [f"{i18n._(k)} {v}" for k, v in heads.items()]
    out += [part for f in findings.tiering(tiered, t, sens) for part in (f.found, f.do, f.section)]
    return out


def test_step1_prose_reads_in_japanese(step1, ja):
    sentences = _prose(step1)
    assert all(sentences)
    left = {s: english_left(s) for s in sentences if english_left(s)}
    assert not left, left
    assert not any("**" in re.sub(r"\*\*[^*]+\*\*", "", s) for s in sentences)  # bold pairs intact


def test_english_prose_is_unchanged_by_the_catalog(step1):
    before = _prose(step1)
    i18n.use("ja")
    i18n.use("en")
    assert _prose(step1) == before
    assert "champions" in text.cross_prose(pd.crosstab(step1.tiered["rf_segment"], step1.tiered["lifecycle_stage"]))


def test_names_are_translated_where_shown_and_stay_english_in_artifacts(step1, ja):
    tiered, t = step1.tiered, step1.t
    shown = tiers.shown(tiered)
    for col, names in (("rf_segment", tiers.RF_SEGMENTS), ("rfm_group", tiers.RFM_GROUPS),
                       ("lifecycle_stage", tiers.LIFECYCLE_STAGES)):
        assert list(shown[col].cat.categories) == [tiers.name(n) for n in names]  # order kept
        assert len(set(shown[col].cat.categories)) == len(names)  # no two names read the same
        assert not any(re.search(r"[A-Za-z]", n) for n in shown[col].cat.categories)
        assert set(tiered[col].astype(str)) <= set(names)  # the frame itself is untouched
    cross = tiers.shown(pd.crosstab(tiered["rf_segment"], tiered["lifecycle_stage"]))
    assert tiers.name("champions") in cross.index and tiers.name("dormant") in cross.columns
    assert t.to_frame()["unit"].isin(["days", "orders", "currency", "ratio"]).all()  # the artifact
    assert not t.shown()["rule"].str.contains(r"[a-z]{3,}").any()
    table = clv.shown(pd.DataFrame({"kind": ["check"], "param": ["holdout error"], "status": ["used"],
                                    "disagreement": ["active stage, P(alive) low"]}))
    assert not table.iloc[0].str.replace("P(alive)", "", regex=False).str.contains(r"[a-z]{3,}").any()
    assert clv.status_name("used") != "used" and tiers.name("not a tier name") == "not a tier name"


def test_names_read_as_before_in_english(step1):
    assert tiers.name("loyal_customers") == "loyal_customers"
    assert tiers.shown(step1.tiered).equals(step1.tiered)
    assert step1.t.shown().equals(step1.t.to_frame())
