"""The reviewer prose: every number in a sentence is read back out of it and compared with the
table the sentence summarises (at the precision it is printed with), and every name it puts in
bold is the row the table says it should be. Inputs come from the library run on synthetic data
or from small hand-made frames."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from userops import coverage, datasets, features, labels, migration, review, synth, tiers
from userops import narrative as text
from userops.narrative import effects as narrative_effects

# a number not glued to a word (T2, 13W, r_edge_1 are names, not numbers); thousands
# separators; an optional sign; an optional percent sign
_NUM = re.compile(r"(?<![\w.])([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%?)(?!\w)")


def numbers(sentence: str, *, drop: tuple[str, ...] = ()) -> list[tuple[float, float]]:
    """(value, half a unit of the last printed digit) for each number; percents as shares."""
    for name in sorted(drop, key=len, reverse=True):
        sentence = sentence.replace(name, " ")
    out = []
    for sign, whole, frac, pct in _NUM.findall(sentence):
        value = float(sign + whole.replace(",", "") + frac)
        tol = 0.5 * 10 ** -(len(frac) - 1 if frac else 0)
        out.append((value / 100, tol / 100) if pct else (value, tol))
    return out


def assert_numbers(sentence: str, expected: list[float], *, drop: tuple[str, ...] = ()) -> None:
    got = numbers(sentence, drop=drop)
    assert len(got) == len(expected), (sentence, [g[0] for g in got], expected)
    for i, ((value, tol), want) in enumerate(zip(got, expected)):
        assert abs(value - float(want)) <= tol * (1 + 1e-9) + 1e-12, (i, value, want, sentence)


def bold(sentence: str) -> list[str]:
    return re.findall(r"\*\*(.+?)\*\*", sentence)


def test_the_number_reader_itself():
    assert numbers("**1,234** of 5 (12.5%) at -0.25 and +3; T2 13W r_edge_1 2x") == [
        (1234, 0.5), (5, 0.5), (0.125, 0.0005), (-0.25, 0.005), (3, 0.5)]
    with pytest.raises(AssertionError):
        assert_numbers("a share of 12%", [0.13])
    assert_numbers("a share of 12%", [0.1249])


# -- step 1 ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def step1():
    ds = datasets.load("synthetic", n_customers=1500, seed=0)
    orders = features.collapse(ds.transactions, as_of=ds.as_of)
    rfm = features.rfm(orders, as_of=ds.as_of, window_days=365, recent_days=90)
    snaps = features.recency_snapshots(orders, snapshots=tiers.snapshot_dates(
        data_start=rfm["first_day"].min(), as_of=ds.as_of), horizon_days=30)
    life = tiers.derive_lifecycle(snaps)
    t = tiers.derive_thresholds(rfm, lifecycle=life)
    tiered = tiers.assign(rfm, thresholds=t)
    return SimpleNamespace(ds=ds, rfm=rfm, snaps=snaps, life=life, t=t, tiered=tiered)


def test_run_parameters_show_each_value(step1):
    ns = {"data": "synthetic", "window_days": 365, "split": "<b>x</b>", "levels": [1, 2]}
    table = text.run_parameters(ns, names=list(ns), source=step1.ds.source)
    rows = dict(re.findall(r"^\| `(\w+)` \| (.*) \|$", table, flags=re.M))
    assert rows == {k: str(v) for k, v in ns.items()}
    assert step1.ds.source in table


def test_data_quality_reconciles(sample_dir):
    ds = datasets.load(sample_dir, as_of="2017-12-31")
    rec = ds.reconciliation.set_index("table").loc["transactions"]
    reasons = ds.rejects[ds.rejects["table"] == "transactions"]
    other = {t: n for t, n in ds.row_counts().items() if t != "transactions"}
    sentence = text.data_quality(ds)
    gross = rec["kept_amount"] + rec["return_amount"]
    expected = [rec["input_rows"], rec["kept_rows"], rec["rejected_rows"], *reasons["rows"],
                rec["kept_amount"], rec["rejected_amount"], rec["input_amount"],
                rec["return_amount"] / gross if gross else 0.0, *other.values()]
    assert_numbers(sentence, expected, drop=tuple(reasons["reason"]) + tuple(other) + (ds.data_tz,))
    assert rec["kept_rows"] + rec["rejected_rows"] == rec["input_rows"]


def test_rfm_overview(step1):
    rfm = step1.rfm
    top = rfm["monetary"].sort_values(ascending=False)
    k = int(np.ceil(0.2 * len(rfm)))
    assert_numbers(text.rfm_overview(rfm, window_days=365), [
        len(rfm), (rfm["frequency"] > 0).sum(), 365, rfm["recency_days"].median(),
        rfm["frequency"].median(), rfm["monetary"].median(), 0.2, top.iloc[:k].sum() / top.sum()])


def test_fitted_curve_is_the_logit_of_the_lifecycle(step1):
    life = step1.life
    curve = text.fitted_curve(life, max_days=200)
    assert curve["recency_days"].tolist() == list(range(201))
    p = 1 / (1 + np.exp(-(life.intercept + life.slope * np.log1p(curve["recency_days"]))))
    assert np.allclose(curve["probability"], p)
    # at the thresholds the curve has just crossed the levels
    assert curve.loc[life.at_risk_days, "probability"] < life.levels[0] <= curve.loc[life.at_risk_days - 1, "probability"]
    assert curve.loc[life.dormant_days, "probability"] < life.levels[1] <= curve.loc[life.dormant_days - 1, "probability"]


def test_lifecycle_prose_derived_and_fixed(step1):
    life, t = step1.life, step1.t
    tail = life.curve.iloc[-1]
    band = str(tail["recency_band"])
    assert_numbers(text.lifecycle_prose(life, t), [
        life.n_snapshots, life.horizon_days, life.levels[0], life.at_risk_days, life.levels[1],
        life.dormant_days, tail["n"], tail["observed"]], drop=(band,))
    fixed = tiers.derive_lifecycle(step1.snaps, fixed=(25, 70))
    ft = tiers.derive_thresholds(step1.rfm, lifecycle=fixed)
    assert_numbers(text.lifecycle_prose(fixed, ft), [25, 70, fixed.n_snapshots, tail["n"], tail["observed"]],
                   drop=(band,))


def test_coverage_check_counts_and_refuses(step1):
    tiered = step1.tiered
    assert_numbers(text.coverage_check(tiered), [len(tiered), tiered["rf_segment"].nunique(),
                                                 tiered["rfm_group"].nunique(), tiered["lifecycle_stage"].nunique()])
    with pytest.raises(AssertionError, match="more than once"):
        text.coverage_check(pd.concat([tiered, tiered.iloc[:1]]))
    with pytest.raises(AssertionError, match="1 customers have no rfm_group"):
        text.coverage_check(tiered.assign(rfm_group=tiered["rfm_group"].where(tiered.index != tiered.index[0])))


@pytest.mark.parametrize("by", ["rfm_group", "rf_segment"])
def test_group_and_concentration_prose(step1, by):
    g = tiers.group_summary(step1.tiered, by=by)
    used = g[g["customers"] > 0]
    big = used.sort_values(["customers", by], ascending=[False, True]).iloc[0]
    rich = used.loc[used["gmv_share"].idxmax()]
    small = used.sort_values(["customers", by]).iloc[0]
    sentence = text.group_prose(g, label=by, what="group")
    assert bold(sentence)[0::2][:3] == [big[by], rich[by], small[by]]
    assert_numbers(sentence, [big["customers"], big["customer_share"], rich["gmv_share"],
                              rich["customer_share"], small["customers"]])
    ratio = used["gmv_share"] / used["customer_share"]
    hi, lo = used.loc[ratio.idxmax()], used.loc[ratio.idxmin()]
    sentence = text.concentration_prose(g, label=by)
    assert bold(sentence) == [hi[by], lo[by]]
    assert_numbers(sentence, [ratio.max(), hi["gmv"] / hi["customers"], ratio.min(), lo["gmv"] / lo["customers"]])


@pytest.mark.parametrize("x, y", [("frequency", "monetary"), ("frequency", "recency_days")])
def test_correlation_prose(step1, x, y):
    from scipy.stats import spearmanr

    rho = spearmanr(step1.tiered[x], step1.tiered[y]).statistic
    sentence = text.correlation_prose(step1.tiered, x, y)
    assert_numbers(sentence, [len(step1.tiered), rho])
    assert ("rise together" in sentence) == (rho > 0)
    assert ("strongly" in sentence) == (abs(rho) >= 0.6)


def test_stage_prose(step1):
    t, tiered = step1.t, step1.tiered
    stages = tiers.group_summary(tiered, by="lifecycle_stage")
    n = tiered["lifecycle_stage"].value_counts()
    lapse = tiered["lifecycle_stage"].isin(["at_risk", "dormant"])
    assert_numbers(text.stage_prose(stages, t), [
        lapse.sum(), lapse.mean(), t.at_risk_days, tiered.loc[lapse, "monetary"].sum() / tiered["monetary"].sum(),
        n.get("growing", 0), t.recent_days, t.growth_band, n.get("declining", 0), n.get("new", 0),
        t.recent_days, t.dormant_days])


def test_cross_prose(step1):
    tiered = step1.tiered
    cross = pd.crosstab(tiered["rf_segment"], tiered["lifecycle_stage"])
    champ = tiered[tiered["rf_segment"] == "champions"]["lifecycle_stage"].value_counts()
    high = tiered["rf_segment"].isin(["loyal_customers", "champions", "cant_lose"])
    risky = (high & tiered["lifecycle_stage"].isin(["at_risk", "dormant"])).sum()
    sentence = text.cross_prose(cross)
    assert bold(sentence)[:2] == ["champions", champ.idxmax()]
    assert_numbers(sentence, [champ.max(), champ.sum(), risky])


def test_sensitivity_prose(step1):
    sens = tiers.sensitivity(step1.rfm, thresholds=step1.t)
    worst = sens.loc[sens["changed_any_share"].idxmax()]
    sentence = text.sensitivity_prose(sens, n=len(step1.rfm))
    assert bold(sentence)[0] == worst["cut"]
    assert_numbers(sentence, [worst["value"], worst["moved_to"], worst["changed_any_share"], len(step1.rfm),
                              sens["changed_any_share"].median()], drop=(worst["cut"],))


def test_headlines_step1(step1):
    tiered, t = step1.tiered, step1.t
    champ = tiered["rf_segment"] == "champions"
    lapse = tiered["lifecycle_stage"].isin(["at_risk", "dormant"])
    h = text.headlines(tiered, t)
    assert_numbers(h["customers tiered"], [len(tiered)])
    assert_numbers(h["champions"], [champ.sum(), tiered.loc[champ, "monetary"].sum() / tiered["monetary"].sum()])
    assert_numbers(h["at risk or dormant"], [lapse.sum(), lapse.mean()])
    assert_numbers(h["lifecycle thresholds"], [t.at_risk_days, t.dormant_days])


def test_artifact_list_and_provenance(step1):
    paths = [Path("/x/artifacts/01_customer_tiers.parquet"), Path("/x/artifacts/01_thresholds.parquet")]
    sentence = text.artifact_list(paths, step1.tiered)
    assert re.findall(r"`artifacts/([^`]+)`", sentence) == [p.name for p in paths]
    assert_numbers(sentence, [len(step1.tiered)], drop=tuple(p.name for p in paths))
    prov = text.provenance(step1.ds)
    rows = prov.split("rows: ")[1].split(". Packages")[0]
    assert {t: int(n.replace(",", "")) for t, n in re.findall(r"(\w+) ([\d,]+)", rows)} == step1.ds.row_counts()
    assert str(step1.ds.as_of.date()) in prov


# -- step 2 ------------------------------------------------------------------------------------

def _clustering():
    labels = pd.Series([0] * 50 + [1] * 30 + [2] * 20, index=[f"c{i}" for i in range(100)])
    return SimpleNamespace(k=3, labels=labels, note="",
                           silhouette=pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.21, 0.34, 0.28]}),
                           stability=pd.DataFrame({"seed": [1, 2, 3, 4], "ari_vs_first": [0.97, 0.88, 0.93, 1.0]}))


def test_features_prose():
    table = pd.DataFrame({"weekend_share": [0.1, 0.3, 0.5, 0.2], "main_store_share": [1.0, 0.8, 0.6, 0.9],
                          "median_gap_days": [7.0, 14.0, 3.0, 30.0]})
    sentence = text.features_prose(table, ["discount_share"], window_days=180)
    assert_numbers(sentence, [4, 180, table["weekend_share"].median(), table["main_store_share"].median(),
                              table["median_gap_days"].median()])
    assert sentence.endswith("discount share.")  # the feature as a cluster name says it


def test_cluster_prose_and_headlines():
    cl = _clustering()
    names = pd.Series({0: "weekend", 1: "grocery", 2: "fuel"})
    sentence = text.cluster_prose(cl, names)
    sil = cl.silhouette.set_index("k")["silhouette"]
    sizes = cl.labels.value_counts().sort_index()
    assert bold(sentence)[1:4] == [names[c] for c in sizes.index]
    assert_numbers(sentence, [cl.k, sil[cl.k], cl.k, *sizes, len(cl.stability) + 1,
                              cl.stability["ari_vs_first"].min(), 1])
    assert "reasonably separated" in sentence  # 0.25 <= 0.34 < 0.5
    h = text.profiles_headlines(cl, names, {"auc": 0.734})
    assert_numbers(h["clusters"], [3, cl.stability["ari_vs_first"].min()])
    assert_numbers(h["look-alike AUC on held-out seed"], [0.734])
    assert "look-alike AUC on held-out seed" not in text.profiles_headlines(cl, names, {"note": "too few"})


def test_cluster_tier_prose():
    cross = pd.DataFrame({"weekend": [10, 40, 5], "grocery": [30, 20, 2]}, index=["champions", "at_risk", "new"])
    share = cross / cross.sum()
    seg, clu = share.stack().idxmax()
    sentence = text.cluster_tier_prose(cross)
    assert bold(sentence)[1:] == [clu, seg]
    assert_numbers(sentence, [share.loc[seg, clu], 1])  # "(step 1)"


def test_tgi_prose():
    tgi = pd.DataFrame({"segment": ["a", "a", "b"], "attribute": ["age_band", "region", "age_band"],
                        "value": ["young", "north", "old"], "tgi": [140.0, 95.0, 40.0],
                        "segment_share": [0.42, 0.2, 0.1], "population_share": [0.3, 0.21, 0.25],
                        "significant": [True, False, True], "covered": 900})
    sentence = text.tgi_prose(tgi, what="cluster", n_customers=1000)
    top = tgi.loc[(tgi.loc[tgi["significant"], "tgi"] - 100).abs().idxmax()]  # b/old: 60 off vs 40
    assert top["segment"] == "b"
    assert bold(sentence)[-2:] == [top["segment"], f"{top['tgi']:.0f}"]
    assert_numbers(sentence, [900, 1000, 0.9, tgi["significant"].sum(), top["tgi"], top["segment_share"],
                              top["population_share"]])
    none = text.tgi_prose(tgi.assign(significant=False), what="cluster", n_customers=1000)
    assert_numbers(none, [900, 1000, 0.9])


def test_lookalike_prose():
    result = {"seed": 1234, "held_out": 370, "auc": 0.8125, "recall_at_top": 0.456,
              "coefficients": pd.DataFrame({"feature": ["weekend share", "basket size", "fuel", "other"],
                                            "coefficient": [1.2, -0.8, 0.3, 0.01]})}
    sentence = text.lookalike_prose(result, spec="rf_segment:champions")
    assert_numbers(sentence, [1234, 370, 0.8125, 0.456, 0.1])  # "top 10% of scores"
    assert sentence.endswith("weekend share (+), basket size (-), fuel (+).")


# -- step 3 ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def step3():
    ds = datasets.load("synthetic", n_customers=1500, seed=4)
    bounds = features.period_bounds(as_of=ds.as_of, period="13W", n_periods=4)
    act = features.period_activity(ds.transactions, bounds=bounds)
    st = migration.states(act, bounds=bounds, bands=synth.SPEND_BANDS)
    tr = migration.transitions(st)
    pooled, draws = migration.pooled_matrix(tr, n_boot=30, random_state=0)
    names = tuple(migration.tier_names(synth.SPEND_BANDS))
    return SimpleNamespace(ds=ds, bounds=bounds, st=st, tr=tr, pooled=pooled, draws=draws, names=names)


def test_bands_prose(step3):
    b = step3.bounds
    first, last = b["label"].iloc[0].split("..")[0], b["label"].iloc[-1].split("..")[1]
    pooled = text.bands_prose(synth.SPEND_BANDS, b, reference=None)
    assert first in pooled and last in pooled and "all periods pooled" in pooled
    assert_numbers(pooled, [len(b), *synth.SPEND_BANDS], drop=(first, last))
    ref = text.bands_prose(synth.SPEND_BANDS, b, reference=2)
    assert b.loc[2, "label"] in ref


def test_matrix_prose(step3):
    long = step3.pooled.astype({"origin": str, "dest": str})
    stay = long[long["origin"] == long["dest"]].set_index("origin")
    best, worst = stay["p"].idxmax(), stay["p"].idxmin()
    lapse = long[(long["dest"] == "lapsed") & ~long["origin"].isin(["lapsed", "new"])].set_index("origin")
    top = lapse["p"].idxmax()
    sentence = text.matrix_prose(step3.pooled, n_transitions=len(step3.tr), n_customers=step3.tr["customer_id"].nunique())
    assert bold(sentence)[2:] == [best, worst, top]
    assert_numbers(sentence, [len(step3.tr), step3.tr["customer_id"].nunique(), stay.loc[best, "p"],
                              stay.loc[best, "ci_low"], stay.loc[best, "ci_high"], stay.loc[worst, "p"],
                              lapse.loc[top, "p"], lapse.loc[top, "ci_low"], lapse.loc[top, "ci_high"], 0.95],
                   drop=step3.names)
    # hand-made: the lapsed state is the least stable, T2 the most; T1 lapses most
    o = ["lapsed"] * 3 + ["T1"] * 3 + ["T2"] * 3
    d = ["lapsed", "T1", "T2"] * 3
    p = [0.3, 0.6, 0.1, 0.25, 0.7, 0.05, 0.05, 0.15, 0.8]
    hand = pd.DataFrame({"origin": o, "dest": d, "p": p, "ci_low": np.array(p) - 0.02, "ci_high": np.array(p) + 0.03,
                         "n_origin": 100})
    sentence = text.matrix_prose(hand, n_transitions=900, n_customers=300)
    assert bold(sentence)[2:] == ["T2", "lapsed", "T1"]
    assert_numbers(sentence, [900, 300, 0.8, 0.78, 0.83, 0.3, 0.25, 0.23, 0.28, 0.95], drop=("T1", "T2"))


def test_movement_prose_and_headlines(step3):
    mov = migration.movement(step3.tr).astype({"origin": str}).set_index("origin")
    t = mov.drop(index=["new", "lapsed"], errors="ignore")
    sentence = text.movement_prose(mov.reset_index())
    assert bold(sentence) == [t["up"].idxmax(), t["down"].idxmax(), t["gmv_change"].idxmin()]
    assert_numbers(sentence, [t["up"].max(), t["down"].max(), t["gmv_change"].min()], drop=step3.names)
    # headlines: shares of all transitions out of a spend tier, counted straight from the moves
    tr = step3.tr[step3.tr["origin_rank"] > 0]
    h = text.migration_headlines(mov.reset_index(), pd.DataFrame(columns=["type", "adjusted_diff"]))
    assert_numbers(h["moved up"], [(tr["move"] == "up").mean()])
    assert_numbers(h["moved down"], [(tr["move"] == "down").mean()])
    assert_numbers(h["lapsed"], [(tr["move"] == "lapsed").mean()])


def test_decomposition_prose(step3):
    dec = migration.decompose(step3.tr)
    a = step3.tr[step3.tr["origin_rank"] > 0]
    f0, f1 = a["orders_before"].to_numpy(float), a["orders_after"].to_numpy(float)
    s0, s1 = a["spend_before"].to_numpy(float), a["spend_after"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a0, a1 = s0 / f0, np.where(f1 > 0, s1 / np.where(f1 > 0, f1, 1), s0 / f0)
    raised_f, raised_a = f1 > f0, (f1 > 0) & (a1 > a0)
    sentence = text.decomposition_prose(dec)
    assert_numbers(sentence, [raised_f.mean(), raised_a.mean(), (raised_f & raised_a).mean(),
                              (s1 - s0).sum(), dec["frequency_part"].sum(), dec["basket_part"].sum()])
    parts = numbers(sentence)[-3:]
    assert abs(parts[0][0] - parts[1][0] - parts[2][0]) <= 1.5  # printed parts add up to the total


def test_exposure_prose_and_headline():
    eff = pd.DataFrame({"type": ["mail", "app"], "eligible_n": [4200, 80], "adjusted_diff": [0.031, np.nan],
                        "ci_low": [0.012, np.nan], "ci_high": [0.05, np.nan], "naive_diff": [0.104, 0.2],
                        "note": ["", "fewer than 30 exposed or unexposed eligible customers: no estimate"]})
    sentence = text.exposure_prose(eff)
    assert bold(sentence) == ["mail", "+3.1%", "app"]
    assert "distinguishable from zero" in sentence and "not distinguishable" not in sentence
    assert_numbers(sentence, [4200, 0.031, 0.012, 0.05, 0.104, 30])
    # issue 11: step 3 says which strategies it counts per type, and why step 4 counts more
    counted = text.exposure_prose(eff.assign(strategies=[3, 12]))
    assert_numbers(counted.split(";")[0], [3, 12])
    assert "step 4 counts every strategy" in counted
    h = text.migration_headlines(pd.DataFrame({"origin": ["T1"], "customers": [1], "up": [0.0], "down": [0.0],
                                               "lapsed": [0.0]}), eff)
    assert_numbers(h["mail: exposure effect on moving up"], [0.031, 0.012, 0.05])
    assert "app: exposure effect on moving up" not in h


def test_retention_prose():
    monthly = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c", "d", "e", "e"],
                            "month": pd.to_datetime(["2017-01-01", "2017-02-01", "2017-01-01", "2017-05-01",
                                                     "2017-06-01", "2017-05-01", "2017-07-01", "2017-08-01"])})
    ret = migration.cohort_retention(monthly, burn_in_months=2, max_months=3)
    # present at start: a, b (a back in month 1); later: c, d (May; c back), e (July; back)
    assert_numbers(text.retention_prose(ret), [2, 0.5, 3, 2 / 3])


def test_projection_prose(step3):
    current = step3.st[step3.st["period"] == step3.st["period"].max()]["state"].value_counts()
    pooled = step3.pooled
    proj = migration.project(current, step3.draws, origins=list(dict.fromkeys(pooled["origin"])),
                             dests=list(step3.names)).set_index("state")
    change = proj["projected"] - proj["now"]
    grow, shrink = change.idxmax(), change.idxmin()
    sentence = text.projection_prose(proj.reset_index())
    assert bold(sentence)[0::2] == [grow, shrink]
    assert_numbers(sentence, [proj.loc[grow, "projected"], proj.loc[grow, "ci_low"], proj.loc[grow, "ci_high"],
                              proj.loc[shrink, "projected"], proj.loc[shrink, "ci_low"], proj.loc[shrink, "ci_high"]],
                   drop=step3.names)


# -- step 4 ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def step4(step1):
    ds = step1.ds
    strategies, reached, note = coverage.prepare(ds.tables, as_of=ds.as_of, window_days=365)
    return SimpleNamespace(strategies=strategies, reached=reached, note=note, tiered=step1.tiered)


def test_calendar_prose_and_headlines(step4):
    cal = coverage.calendar(step4.strategies, step4.reached)
    sentence = text.calendar_prose(cal, step4.note, window_days=365)
    kinds = cal.groupby("type").size()
    silent = cal[cal["responders"] == 0]
    expect = [len(cal), 365, *kinds, cal["reach"].min(), cal["reach"].max(), cal["conversion"].median()]
    if len(silent):
        expect += [len(silent)]
    assert_numbers(sentence, expect + ([0] if len(silent) else []), drop=tuple(cal["strategy_id"]))
    silent_cal = cal.assign(responders=[0] + [1] * (len(cal) - 1))
    assert_numbers(text.calendar_prose(silent_cal, "", window_days=365), expect[:len(kinds) + 5] + [1, 0],
                   drop=tuple(cal["strategy_id"]))
    uncovered = int((~step4.tiered["customer_id"].isin(step4.reached["customer_id"])).sum())
    h = text.coverage_headlines(cal, uncovered, len(step4.tiered), "")
    assert_numbers(h["strategies in window"], [len(cal)])
    assert_numbers(h["customers reached by none"], [uncovered, uncovered / len(step4.tiered)])
    assert_numbers(h["median conversion"], [cal["conversion"].median()])
    stated = text.calendar_prose(cal, "No strategies.", window_days=365)
    assert stated.startswith("_The strategy calendar cannot be shown: No strategies.") and stated.endswith("_")


@pytest.mark.parametrize("by", ["rf_segment", "lifecycle_stage"])
def test_coverage_prose(step4, by):
    m = coverage.matrix(step4.reached, step4.tiered, by=by, level="type")
    m2 = m[m[by] != "(no orders)"]
    hi = m2.loc[m2["share_reached"].idxmax()]
    big = m2[m2["segment_size"] >= 10]
    lo = big.loc[big["share_reached"].idxmin()]
    sentence = text.coverage_prose(m, by=by)
    assert bold(sentence) == [hi["type"], hi[by], lo["type"], lo[by]]
    assert_numbers(sentence, [hi["share_reached"], hi["segment_size"], 10, lo["share_reached"]],
                   drop=tuple(m["type"].astype(str)))


def test_uncovered_prose(step4):
    summary = coverage.uncovered_summary(step4.tiered, step4.reached, by=["lifecycle_stage"])
    t = step4.tiered
    out = t[~t["customer_id"].isin(step4.reached["customer_id"])]
    by_stage = out.groupby("lifecycle_stage", observed=True)["monetary"].sum()
    top = by_stage.idxmax()
    sentence = text.uncovered_prose(summary, n_customers=len(t), file="04_uncovered_customers.csv")
    assert bold(sentence)[-1] == top
    assert_numbers(sentence, [len(out), len(t), len(out) / len(t), out["monetary"].sum() / t["monetary"].sum(),
                              by_stage.max() / t["monetary"].sum(), (out["lifecycle_stage"] == top).sum()],
                   drop=("04_uncovered_customers.csv",))


def test_intensity_prose(step4):
    inten = coverage.intensity(step4.tiered, step4.reached, by="rf_segment", cap=2)
    n = step4.reached.groupby("customer_id").size()
    contacts = step4.tiered["customer_id"].map(n).fillna(0)
    mean = contacts.groupby(step4.tiered["rf_segment"], observed=True).mean()
    hi, lo = mean.idxmax(), mean.idxmin()
    top_share = (contacts[step4.tiered["rf_segment"] == hi] >= 2).mean()
    sentence = text.intensity_prose(inten, by="rf_segment")
    assert bold(sentence)[0::2] == [hi, lo]
    assert_numbers(sentence, [mean.max(), top_share, 2, mean.min()])


def test_overlap_fit_funnel_and_preference_prose():
    ov = pd.DataFrame({"strategy_a": ["S4", "S1"], "strategy_b": ["S7", "S2"], "both": [1500, 20],
                       "share_of_smaller": [0.375, 0.1], "days_overlapping": [12, 3]})
    sentence = text.overlap_prose(ov)
    assert bold(sentence) == ["2", "S4", "S7", "1,500"]
    assert_numbers(sentence, [2, 1500, 0.375, 12], drop=("S4", "S7"))
    fit = pd.DataFrame({"strategy_id": ["S1", "S2", "S3"], "index": [88.4, 131.6, 102.0]})
    sentence = text.fit_prose(fit)
    assert bold(sentence) == ["3", "88", "132"] and "(strategy S1)" in sentence and "(strategy S2)" in sentence
    assert_numbers(sentence, [3, 88.4, 131.6, 100, 100], drop=("S1", "S2"))
    fun = pd.DataFrame({"type": ["mail", "app"], "reached": [1200, 300], "purchased_rate": [0.6, 0.9],
                        "responded_rate": [0.25, 0.5], "repeated_rate": [0.4, 0.12]})
    sentence = text.funnel_prose(fun)
    assert_numbers(sentence, [1200, 0.6, 0.25, 0.4, 300, 0.9, 0.5, 0.12, 5])  # "(step 5)"
    assert bold(sentence)[-2:] == ["repeated", "app"]  # 12% is the weakest stage rate
    prefs = pd.DataFrame({"strategy_id": ["S1", "S2"], "reached": [10, 20], "weekend_share": [140.2, 80.0],
                          "discount_share": [95.0, 61.4]})
    sentence = text.preference_fit_prose(prefs)
    assert bold(sentence) == ["S1", "140", "S2", "61"]
    assert "weekend share" in sentence and "discount share" in sentence
    assert_numbers(sentence, [140.2, 100, 61.4], drop=("S1", "S2"))


# -- step 5 ------------------------------------------------------------------------------------

def _results() -> pd.DataFrame:
    nan = np.nan
    return pd.DataFrame({
        "strategy_id": ["S1", "S2", "S3", "S4", "S5"], "type": ["A", "A", "A", "B", "B"],
        "outcome": "spend", "estimate": [4.5, -0.3, nan, 2.25, nan],
        "ci_low": [1.2, -2.1, nan, 0.5, nan], "ci_high": [7.8, 1.5, nan, 4.0, nan],
        "gate": ["passed", "passed", "too few eligible customers (3 exposed, 40 comparison; need 30 each)",
                 "passed", "insufficient overlap: effective comparison sample 12 < 50"],
        "pool": ["same type", "population", nan, "same type", nan],
        "placebo": ["passed", "failed: drift before the start", nan, "not run: no pre-period", nan],
        "placebo_estimate": [0.1, 0.9, nan, nan, nan], "placebo_ci_low": [-0.5, 0.2, nan, nan, nan],
        "placebo_ci_high": [0.7, 1.6, nan, nan, nan], "dropped_terms": ["", "", "", "past_responses", ""],
        "holdout_customers": nan})


def test_effects_prose_and_headlines():
    res = _results()
    pooled = pd.DataFrame({"type": ["A"], "estimate": [2.0], "ci_low": [0.4], "ci_high": [3.6], "pooled": ["S1, S2"],
                           "treated_baseline": [40.0]})
    sentence = text.effects_prose(res, pooled)
    ok = res[res["gate"] == "passed"]
    sig = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
    flat = ok[(ok["ci_low"] <= 0) & (ok["ci_high"] >= 0)]
    refused = res[res["gate"] != "passed"]
    ran = ok[ok["placebo"].str.match("passed|failed")]
    failed = ok[ok["placebo"].str.startswith("failed")]
    expect = [len(res), len(ok), *ok["pool"].value_counts()]
    for r in sig.itertuples():
        expect += [r.estimate, r.ci_low, r.ci_high]
    for r in flat.itertuples():
        expect += [r.estimate, r.ci_low, r.ci_high]
    expect += [2.0, 0.4, 3.6, 2.0 / 40.0]
    expect += [(ran["placebo"] == "passed").sum(), len(ran), len(ok) - len(ran)]
    for r in failed.itertuples():
        expect += [r.placebo_estimate, r.placebo_ci_low, r.placebo_ci_high]
    expect += [len(refused), 1, 1, len(refused) + len(flat)]  # refusal kinds; then strategies without a clear effect
    assert_numbers(sentence, expect, drop=tuple(res["strategy_id"]))
    assert "keep a random holdout" in sentence and "**S4** past_responses" in sentence
    h = text.effects_headlines(res, pooled)
    assert_numbers(h["strategies with an estimate"], [len(ok), len(res)])
    assert_numbers(h["effect distinguishable from zero"], [len(sig)])
    assert_numbers(h["placebo checks passed"], [(ok["placebo"] == "passed").sum(), len(ok)])
    assert_numbers(h["A pooled effect on weekly spend"], [2.0, 0.4, 3.6])
    assert text.effects_prose(res.iloc[0:0], pooled).startswith("**This data has no strategies")


def test_holdout_prose_sizes():
    res = _results().assign(holdout_customers=[np.nan, 1200.0, 800.0, np.nan, 5000.0], holdout_share=0.1,
                            reached_needed=[np.nan, 10800, 7200, np.nan, 45000], holdout_weeks=[4, 4, 5, 4, 6],
                            breakeven_effect=[np.nan, 0.125, 0.2, np.nan, 0.05], spend_sd=[9.0, 31.5, 20.25, 9.0, 12.0],
                            n_treated=[900, 20000, 3000, 800, 4000])
    sized = res.dropna(subset=["holdout_customers"])
    typical = sized.loc[(sized["holdout_customers"] - sized["holdout_customers"].median()).abs().idxmin()]
    small = sized.loc[sized["holdout_customers"].idxmin()]
    sentence = narrative_effects.holdout_prose(res)
    assert bold(sentence)[1] == typical["strategy_id"] and bold(sentence)[-1] == small["strategy_id"]
    assert_numbers(sentence, [0.1, 0.8, 0.05, typical["holdout_customers"], typical["reached_needed"],
                              typical["holdout_weeks"], typical["breakeven_effect"], typical["spend_sd"],
                              typical["n_treated"], len(sized), sized["holdout_customers"].min(),
                              sized["holdout_customers"].max()], drop=tuple(res["strategy_id"]))
    assert "Every one needs more" not in sentence  # S2 reached more than it needs
    assert_numbers(text.effects_headlines(res, res.iloc[0:0])["median holdout to see break-even"],
                   [sized["holdout_customers"].median()])


def test_balance_event_and_heterogeneity_prose():
    bal = pd.DataFrame({"covariate": ["log_spend_13w", "orders_13w", "past_responses"],
                        "smd_before": [0.45, -0.62, 0.1], "smd_after": [0.03, -0.071, 0.0]})
    sentence = text.balance_prose(bal, pd.Series({"ess": 1234.4}))
    assert bold(sentence) == ["orders_13w", "0.071", "1,234"]
    assert_numbers(sentence, [-0.62, 0.071, 0.1, 1234.4], drop=("orders_13w",))
    ev = pd.DataFrame({"rel_week": [-4, -3, -2, -1, 0, 1, 2], "estimate": [0.2, 1.5, -0.1, 0, 3.0, 4.0, 2.2],
                       "ci_low": [-1, 0.3, -1, 0, 1, 2, 0.1], "ci_high": [1.4, 2.7, 0.8, 0, 5, 6, 4.3]})
    sentence = text.event_prose(ev)
    off = ev[(ev["rel_week"] < -1) & ((ev["ci_low"] > 0) | (ev["ci_high"] < 0))]
    assert_numbers(sentence, [len(off), (ev["rel_week"] < -1).sum(), ev.loc[ev["rel_week"] >= 0, "estimate"].mean()])
    het = pd.DataFrame({"pre_tier_rank": [0, 1, 2, 3], "estimate": [np.nan, 1.0, 3.0, 5.0],
                        "shrunk": [np.nan, 1.8, 3.1, 4.4], "overall": 3.05, "tau": 1.234})
    sentence = text.heterogeneity_prose(het, by="pre_tier_rank", min_cell=50)
    assert_numbers(sentence, [3.05, 1.234, 3, 4.4, 1, 1.8, 1, 50])


def test_drivers_prose():
    tidy = pd.DataFrame({"term": ["Intercept", "pre_tier_index", "C(app_user)[T.yes]", "log_spend_13w", "x"],
                         "ame": [np.nan, 0.052, 0.187, -0.004, -0.09], "ame_low": [np.nan, 0.03, 0.15, -0.01, -0.12],
                         "ame_high": [np.nan, 0.07, 0.22, 0.002, -0.06]})
    auc = {"n": 5321, "responders": 1402, "auc_cv": 0.6849, "auc_sd": 0.021, "dropped_terms": ["C(region)"],
           "converged": True}
    sentence = text.drivers_prose(tidy, auc)
    top = tidy.dropna().reindex(tidy["ame"].abs().dropna().sort_values(ascending=False).index).head(3)
    assert bold(sentence)[2:5] == [labels.label(t) for t in top["term"]]  # terms as people read them
    expect = [5321, 1402]
    for r in top.itertuples():
        expect += [r.ame, r.ame_low, r.ame_high]
    assert_numbers(sentence, expect + [0.6849, 0.021], drop=tuple(labels.label(t) for t in tidy["term"]) + ("C(region)",))
    assert "did not converge" in text.drivers_prose(tidy, auc | {"converged": False})
    assert_numbers(text.drivers_prose(tidy.iloc[0:0], {"n": 40, "responders": 0}), [40, 0])


# -- step 6 ------------------------------------------------------------------------------------

def _kpis() -> pd.DataFrame:
    strategies = pd.DataFrame({"strategy_id": ["A", "B"], "type": ["t1", "t2"],
                               "start": pd.to_datetime(["2017-05-01", "2017-06-05"]),
                               "end": pd.to_datetime(["2017-05-14", "2017-06-11"])})
    reached = pd.DataFrame({"customer_id": ["c1", "c2", "c3", "c1"], "strategy_id": ["A", "A", "A", "B"],
                            "responded": [True, False, True, False]})
    responses = pd.DataFrame({"customer_id": ["c1", "c3"], "strategy_id": ["A", "A"],
                              "ts": pd.to_datetime(["2017-05-04", "2017-05-10"])})
    weekly = pd.DataFrame({"customer_id": ["c1", "c1", "c2", "c3", "c1"],
                           "week": pd.to_datetime(["2017-05-01", "2017-05-08", "2017-05-08", "2017-05-01", "2017-06-05"]),
                           "orders": 1, "spend": [1000.0, 2000.0, 7.0, 3.0, 40.0]})
    eff = pd.DataFrame({"strategy_id": ["A", "B"], "estimate": [600.0, np.nan], "ci_low": [-100.0, np.nan],
                        "ci_high": [1300.0, np.nan], "gate": ["passed", "insufficient overlap: x"]})
    return review.kpis(reached, responses, weekly, strategies, eff, contact_cost=0.5, coupon_cost_per_response=1.25)


def test_kpi_prose():
    k = _kpis()
    sentence = text.kpi_prose(k, contact_cost=0.5, coupon_cost=1.25)
    a = k.set_index("strategy_id").loc["A"]
    assert_numbers(sentence, [len(k), k["reach"].sum(), k["cost"].sum(), 0.5, 1.25, k["conversion"].min(),
                              k["conversion"].max(), a["incremental_gmv"], a["inc_low"], a["inc_high"],
                              a["roi"], a["roi_low"], a["roi_high"], k["incremental_gmv"].isna().sum(), 5,
                              k["roi"].notna().sum()],
                   drop=("A",))  # "... from step 5"
    assert "not distinguishable from zero" in sentence  # A's interval spans 0
    # one ROI: its chart is not drawn (issue 11: a one-row ROI chart), and the sentence says so
    assert k["roi"].notna().sum() == 1 and "_The ROI chart is not drawn: only 1 strategy" in sentence
    none = text.kpi_prose(k.assign(incremental_gmv=np.nan), contact_cost=0.5, coupon_cost=1.25)
    assert "cannot be given" in none
    assert text.kpi_prose(k.iloc[0:0], contact_cost=0.5, coupon_cost=1.25).startswith("**This data has no")


def test_allocation_prose_and_headlines():
    cells = pd.DataFrame({"strategy_id": ["A", "A", "B"], "pre_tier_rank": [1, 2, 1], "effect": [3.0, 1.0, 2.0],
                          "weeks": 4})
    sizes = pd.Series({1: 100, 2: 300})
    cost = pd.Series({"A": 1.0, "B": 2.0})
    alloc = review.allocate(cells, sizes, budget=250.0, cost_per_customer=cost)
    front = review.frontier(cells, sizes, budgets=np.linspace(0, 500, 11), cost_per_customer=cost)
    sentence = text.allocation_prose(alloc, front, budget=250.0)
    slope = (front["incremental_gmv"].diff() / front["budget"].diff()).dropna()
    assert_numbers(sentence, [250, alloc["spend"].sum(), (alloc["x"] > 0).sum(), alloc["customers"].sum(),
                              alloc["incremental_gmv"].sum(), slope.iloc[0], slope.iloc[-1]])
    assert slope.iloc[0] > slope.iloc[-1]
    zero = review.allocate(cells, sizes, budget=0.0, cost_per_customer=cost)
    assert_numbers(text.allocation_prose(zero, front, budget=0.0), [0])
    al = pd.DataFrame({"alert": [True, False, True]})
    h = text.review_headlines(_kpis(), alloc, al)
    assert_numbers(h["strategies reviewed"], [2])
    assert_numbers(h["with incremental GMV"], [1])
    assert_numbers(h["recommended spend"], [alloc["spend"].sum()])
    assert_numbers(h["KPI alerts vs previous run"], [2])


def test_alerts_prose():
    prev = pd.DataFrame({"type": ["t1", "t2"], "reach": [100, 100], "participants": [10, 10],
                         "gmv": [1000, 1000], "as_of": "2017-09-30"})
    cur = pd.DataFrame({"type": ["t1", "t2"], "reach": [100, 100], "participants": [15, 11], "gmv": [1000, 1300]})
    al = review.alerts(cur, prev, threshold=0.2)
    sentence = text.alerts_prose(al, prev, threshold=0.2)
    # t1 conversion 0.10 -> 0.15 (+50%); t2 ARPU 10 -> 13 (+30%); t2 conversion +10% is no alert
    assert_numbers(sentence, [2, 0.2, 0.1, 0.15, 0.5, 10, 13, 0.3], drop=("2017-09-30",))
    assert "2017-09-30" in sentence and bold(sentence)[1:] == ["2", "t1 conversion", "t2 arpu"]
    calm = text.alerts_prose(review.alerts(cur, prev, threshold=0.9), prev, threshold=0.9)
    assert_numbers(calm, [0.9], drop=("2017-09-30",))
    assert text.alerts_prose(al, pd.DataFrame(), threshold=0.2).startswith("_No earlier run")


# -- issue 11: prose that contradicted its own numbers ------------------------------------------

def test_seesaw_prose_says_falls_only_when_it_falls_and_flat_lines_are_not_drawn():
    falling = pd.DataFrame({"strategy_id": ["A", "A", "B"], "coverage": [0.1, 0.4, 0.2],
                            "value_per_customer": [3.0, 1.5, 2.0]})
    sentence = text.seesaw_prose(falling)
    assert "**A** falls from +3.00 at 10% coverage to +1.50 at 40%" in sentence
    assert "**B** stays at +2.00" in sentence and "not drawn" not in sentence
    assert_numbers(sentence.split(": ", 1)[1], [3.0, 0.1, 1.5, 0.4, 2.0, 0.2])
    flat = falling.assign(value_per_customer=[-1.83, -1.83, 0.5])
    sentence = text.seesaw_prose(flat)
    assert sentence.startswith("_The seesaw is not drawn: every line is flat") and "falls" not in sentence
    assert_numbers(sentence, [-1.83, 0.5], drop=("step 5",))


def test_allocation_prose_flat_frontier_is_not_drawn():
    alloc = pd.DataFrame({"strategy_id": ["A"], "x": [0.0], "customers": [0.0], "spend": [0.0],
                          "incremental_gmv": [0.0]})
    front = pd.DataFrame({"budget": [0.0, 100.0], "incremental_gmv": [0.0, 0.0]})
    sentence = text.allocation_prose(alloc, front, budget=100.0)
    assert "spends nothing" in sentence and "_The budget frontier is not drawn: every budget buys the same" in sentence


def test_matrix_prose_of_one_pair_is_not_called_pooled():
    long = pd.DataFrame({"origin": ["T1", "T1"], "dest": ["T1", "lapsed"], "p": [0.7, 0.3], "n_origin": [10, 10],
                         "ci_low": [0.4, 0.1], "ci_high": [0.9, 0.6]})
    sentence = text.matrix_prose(long, n_transitions=10, n_customers=10, interval="Jeffreys", into="2017Q4")
    assert sentence.startswith("Into **2017Q4**: **10** customers, one move each") and "Pooled" not in sentence


def test_intensity_prose_prints_a_small_mean_as_itself_and_names_ties():
    inten = pd.DataFrame({"rf_segment": ["a", "b", "c"], "mean_contacts": [5.4, 5.4, 0.04], "4+": [0.7, 0.6, 0.0]})
    sentence = text.intensity_prose(inten, by="rf_segment")
    assert "**a** and **b** customers were reached most often: **5.4**" in sentence
    assert "**c** were reached least (0.04 on average)" in sentence  # not "0.0"


def test_coverage_prose_names_every_cell_tied_at_the_printed_share():
    m = pd.DataFrame({"type": ["A", "A", "B", "B"], "seg": ["x", "y", "x", "y"], "segment_size": [50, 40, 50, 40],
                      "share_reached": [0.9, 0.2, 0.0, 0.001]})
    sentence = text.coverage_prose(m, by="seg")
    assert "The highest coverage is **A** in **x**: 90%" in sentence
    assert "The lowest, 0%, among segments with at least 10 customers, is shared by 2 cells: **B** in **x** and **B** in **y**" in sentence


def test_gate_reason_never_prints_equal_numbers_as_a_failure():
    from userops.effects import _apart
    assert _apart(49.74, 50.0) == ("49.7", "50.0")
    assert _apart(12.0, 50.0) == ("12", "50")
    assert _apart(0.1004, 0.1, decimals=2) == ("0.1004", "0.1000")


def test_the_segment_conversion_chart_not_drawn_says_why_and_what_would_fill_it():
    from userops import narrative

    zero = narrative.segment_conversion_not_drawn("every value is 0")
    assert "not drawn: every value is 0" in zero and "responses" in zero and "No reached customer" in zero
    other = narrative.segment_conversion_not_drawn("only one value")
    assert "not drawn: only one value" in other and "No reached customer" not in other
