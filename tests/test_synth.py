"""The synthetic generator: deterministic, valid canonical tables, its planted truth is what it says."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import datasets, synth
from userops import schema as s


def test_same_seed_same_tables_other_seed_other_tables():
    a, b = synth.generate(n_customers=200, random_state=1), synth.generate(n_customers=200, random_state=1)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    c = synth.generate(n_customers=200, random_state=2)
    assert not a.tables["transactions"].equals(c.tables["transactions"])


def test_tables_pass_validation_untouched(synthetic):
    assert synthetic.rejects.empty
    rec = synthetic.reconciliation.set_index("table")
    assert (rec["rejected_rows"] == 0).all()


def test_planted_transition_matrix_is_what_the_tier_paths_follow():
    sim = synth.generate(n_customers=10000, random_state=0)
    t = sim.truth["tiers"].pivot(index=s.CUSTOMER_ID, columns="quarter", values="tier")
    pairs = pd.concat([t[[q, q + 1]].set_axis(["o", "d"], axis=1) for q in range(3)])
    observed = pd.crosstab(pairs["o"], pairs["d"], normalize="index").reindex(
        index=list(synth.TIERS), columns=list(synth.TIERS), fill_value=0.0)
    assert np.abs(observed.to_numpy() - synth.TRANSITION).max() < 0.03
    truth = sim.truth["transition"].set_index("origin")
    assert np.allclose(truth.sum(axis=1), 1.0)


def test_observed_weekly_spend_is_the_potential_outcome_of_the_assignment():
    sim = synth.generate(n_customers=500, random_state=4)
    w = sim.truth["weekly"]
    tx = sim.tables["transactions"]
    start = pd.Timestamp("2017-01-02")
    week = ((tx[s.TS] - start).dt.days // 7).rename("week")
    spent = tx.groupby([tx[s.CUSTOMER_ID], week])[s.AMOUNT].sum().rename("spent")
    merged = w.set_index([s.CUSTOMER_ID, "week"]).join(spent).fillna({"spent": 0.0})
    observed = np.where(merged["treated"], merged["y1"], merged["y0"])
    # order amounts are rounded to cents, so a week's sum may differ by half a cent per order
    assert np.abs(merged["spent"] - observed).max() < 0.05
    # the planted effect per customer-week depends on the tier of the quarter before
    uplift = (merged["y1"] - merged["y0"]).groupby(merged["prior_tier"]).max()
    assert uplift.to_dict() == pytest.approx(dict(zip(synth.TIERS, synth.UPLIFT_PER_TIER)))


def test_targeting_is_confounded_with_prior_tier():
    sim = synth.generate(n_customers=5000, random_state=6)
    exp = sim.tables["exposures"]
    first = exp[exp[s.STRATEGY_ID] == "S1"][s.CUSTOMER_ID]
    tiers = sim.truth["tiers"]
    q0 = tiers[tiers["quarter"] == 0].assign(exposed=lambda d: d[s.CUSTOMER_ID].isin(first))
    rate = q0.groupby("tier")["exposed"].mean()
    assert rate["top"] > rate["heavy"] > rate["regular"] > rate["light"] + 0.1


def test_as_of_is_the_last_simulated_day_for_any_start_and_length():
    # not the defaults: two quarters from a mid-year Monday end 26 weeks later, on a Sunday
    sim = synth.generate(n_customers=200, n_quarters=2, start="2018-03-05", random_state=0)
    last = pd.Timestamp("2018-03-05") + pd.Timedelta(days=26 * 7 - 1)
    assert pd.Timestamp(sim.as_of) == last and last.day_name() == "Sunday"
    ts = sim.tables["transactions"][s.TS]
    assert ts.min() >= pd.Timestamp("2018-03-05") and ts.max() < last + pd.Timedelta(days=1)
    assert ts.max() >= last - pd.Timedelta(days=6)  # the last simulated week has orders
    assert (sim.tables["strategies"][s.END] <= last).all()
    ds = datasets.load("synthetic", n_customers=50)
    default = synth.generate(n_customers=50)
    end = default.tables["transactions"][s.TS].max()
    assert ds.as_of == pd.Timestamp(default.as_of) and 0 <= (ds.as_of + pd.Timedelta(days=1) - end).days < 7


def test_shapes_plant_what_they_say():
    whole = synth.generate(n_customers=600, random_state=1, shape="whole_base")
    assert whole.tables["strategies"][s.STRATEGY_ID].tolist() == ["S1"]
    stag = synth.generate(n_customers=600, random_state=1, shape="staggered", n_waves=3)
    st = stag.tables["strategies"]
    assert st[s.TYPE].nunique() == 1 and len(st) == 3
    assert (st[s.START].diff().dropna() == pd.Timedelta(weeks=3)).all()
    assert (st[s.START].iloc[1:].to_numpy() <= st[s.END].iloc[:-1].to_numpy()).all()  # runs overlap in time
    exp = stag.tables["exposures"]
    assert not exp[s.CUSTOMER_ID].duplicated().any()  # but not in customers
    null = synth.generate(n_customers=600, random_state=1, shape="staggered", n_waves=3, zero_effect=("S2",))
    w = null.truth["weekly"]
    gain = (w["y1"] - w["y0"])[w["treated"]].groupby(w.loc[w["treated"], "strategy"]).max()
    assert gain["S2"] == 0.0 and gain["S1"] > 0 and gain["S3"] > 0


def test_a_mid_week_start_plants_the_effect_in_every_week_the_run_touches():
    sim = synth.generate(n_customers=300, random_state=2, strategy_start_day=3)
    st = sim.tables["strategies"]
    assert (st[s.START].dt.day_of_week == 3).all()
    assert ((st[s.END] - st[s.START]).dt.days == 27).all()  # still four weeks of days
    w = sim.truth["weekly"]
    weeks = w[w["treated"]].groupby("strategy")["week"].nunique()
    assert (weeks == 5).all()
    with pytest.raises(ValueError, match="strategy_start_day"):
        synth.generate(n_customers=10, strategy_start_day=7)
    with pytest.raises(ValueError, match="shape"):
        synth.generate(n_customers=10, shape="nope")
