"""Step 3 summaries (current sizes, movement, flows, projection) against hand-made transitions,
independent pandas counts and the generator's planted tiers and chain."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import datasets, features, migration, synth
from userops import schema as s

NAMES = migration.tier_names(synth.SPEND_BANDS)
# synth.TIERS order (light, regular, heavy, top, lapsed) -> state rank (lapsed = 0)
SYNTH_TO_RANK = {t: (i + 1) % len(synth.TIERS) for i, t in enumerate(synth.TIERS)}


def _hand() -> pd.DataFrame:
    """Three customers over three months, bands 100 / 200 (see test_migration's hand example):
    a: 50 -> 150 -> 40 (T1 up to T2, then down to T1); b: 10 -> none -> none (T1, lapsed,
    lapsed); c: first seen in month 2, 300 -> 90 (new entered T3, then down to T1)."""
    bounds = features.period_bounds(as_of="2017-03-31", period="M", n_periods=3)
    act = pd.DataFrame({
        s.CUSTOMER_ID: ["a", "a", "a", "b", "c", "c"], "period": [0, 1, 2, 0, 1, 2],
        "orders": [2, 1, 4, 1, 1, 3], "spend": [50.0, 150.0, 40.0, 10.0, 300.0, 90.0],
        "first_day": pd.to_datetime(["2017-01-05"] * 3 + ["2017-01-10"] + ["2017-02-03"] * 2)})
    return migration.transitions(migration.states(act, bounds=bounds, bands=(100.0, 200.0)))


@pytest.fixture(scope="module")
def synthetic_moves():
    sim = synth.generate(n_customers=3000, random_state=7)
    ds = datasets.load("synthetic", n_customers=3000, seed=7)
    bounds = features.period_bounds(as_of=ds.as_of, period="13W", n_periods=4)
    act = features.period_activity(ds.transactions, bounds=bounds)
    st = migration.states(act, bounds=bounds, bands=synth.SPEND_BANDS)
    return sim, st, migration.transitions(st)


def test_current_sizes_by_hand():
    # month 3: a in T1 (40), b lapsed, c in T1 (90)
    assert migration.current_sizes(_hand()).to_dict() == {0: 1, 1: 2}


def test_current_sizes_are_the_planted_tiers_of_the_last_quarter(synthetic_moves):
    sim, _, tr = synthetic_moves
    tiers = sim.truth["tiers"]
    last = tiers[tiers["quarter"] == tiers["quarter"].max()]
    # customers who have not shopped by the last quarter have no state (the generator's lapsed
    # customers who never ordered); everyone else is counted at the rank of their planted tier
    seen = set(sim.tables["transactions"][s.CUSTOMER_ID])
    truth = last[last[s.CUSTOMER_ID].isin(seen)]["tier"].map(SYNTH_TO_RANK).value_counts().sort_index()
    got = migration.current_sizes(tr)
    pd.testing.assert_series_equal(got, truth, check_names=False, check_index_type=False)


def test_movement_by_hand():
    mov = migration.movement(_hand()).assign(origin=lambda d: d["origin"].astype(str)).set_index("origin")
    names = migration.tier_names((100.0, 200.0))
    t1, t2, t3 = names[1], names[2], names[3]
    assert set(mov.index) == {"new", "lapsed", t1, t2, t3}
    # T1: a moved up (50 -> 150), b lapsed (10 -> 0)
    assert mov.loc[t1, ["customers", "up", "lapsed", "stay", "down"]].tolist() == [2, 0.5, 0.5, 0.0, 0.0]
    assert mov.loc[t1, ["gmv_before", "gmv_after", "gmv_change"]].tolist() == [60.0, 150.0, 90.0]
    # T2: a moved down (150 -> 40); T3: c moved down (300 -> 90)
    assert mov.loc[t2, ["customers", "down", "gmv_change"]].tolist() == [1, 1.0, -110.0]
    assert mov.loc[t3, ["customers", "down", "gmv_change"]].tolist() == [1, 1.0, -210.0]
    # lapsed: b stayed lapsed; new: c entered with 300
    assert mov.loc["lapsed", ["customers", "stay"]].tolist() == [1, 1.0]
    assert mov.loc["new", ["customers", "entered", "gmv_before", "gmv_after"]].tolist() == [1, 1.0, 0.0, 300.0]


def test_movement_matches_an_independent_count(synthetic_moves):
    _, _, tr = synthetic_moves
    mov = migration.movement(tr).assign(origin=lambda d: d["origin"].astype(str)).set_index("origin")
    t = tr.assign(origin=tr["origin"].astype(str))
    # up/down from ranks, by hand: a tier origin moves up when its next rank is higher
    for origin, g in t.groupby("origin"):
        row = mov.loc[origin]
        assert row["customers"] == len(g)
        if origin not in ("new", "lapsed"):
            dest = g["dest_rank"].to_numpy()
            orig = g["origin_rank"].to_numpy()
            assert row["up"] == pytest.approx(np.mean(dest > orig))
            assert row["down"] == pytest.approx(np.mean((dest < orig) & (dest > 0)))
            assert row["lapsed"] == pytest.approx(np.mean(dest == 0))
            assert row["stay"] == pytest.approx(np.mean(dest == orig))
        assert row["gmv_change"] == pytest.approx(g["spend_after"].sum() - g["spend_before"].sum())
    shares = mov[["up", "stay", "down", "lapsed", "returned", "entered"]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_flows_by_hand_and_against_a_crosstab(synthetic_moves):
    names = migration.tier_names((100.0, 200.0))
    fl = migration.flows(_hand())
    got = {(str(r.origin), str(r.dest)): (r.customers, r.gmv_before, r.gmv_after) for r in fl.itertuples()}
    assert got == {(names[1], names[2]): (1, 50.0, 150.0), (names[1], "lapsed"): (1, 10.0, 0.0),
                   ("new", names[3]): (1, 0.0, 300.0), (names[2], names[1]): (1, 150.0, 40.0),
                   ("lapsed", "lapsed"): (1, 0.0, 0.0), (names[3], names[1]): (1, 300.0, 90.0)}
    _, _, tr = synthetic_moves
    fl = migration.flows(tr).astype({"origin": str, "dest": str}).set_index(["origin", "dest"])
    ref = pd.crosstab(tr["origin"].astype(str), tr["dest"].astype(str)).stack()
    ref = ref[ref > 0]
    assert fl["customers"].sort_index().to_dict() == ref.sort_index().to_dict()
    spend = tr.assign(o=tr["origin"].astype(str), d=tr["dest"].astype(str)).pivot_table(
        index=["o", "d"], values=["spend_before", "spend_after"], aggfunc="sum")
    assert np.allclose(fl.loc[spend.index, "gmv_change"], spend["spend_after"] - spend["spend_before"])


def test_project_by_hand():
    draws = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.8, 0.2], [0.5, 0.5]]])
    current = pd.Series({"A": 100, "B": 50, "new": 7})  # "new" is not an origin: not projected
    proj = migration.project(current, draws, origins=["A", "B"], dests=["A", "B"]).set_index("state")
    # draw 1: A 100 + 25 = 125, B 25; draw 2: A 80 + 25 = 105, B 20 + 25 = 45
    assert proj["projected"].tolist() == pytest.approx([115.0, 35.0])
    assert proj["now"].tolist() == [100, 50]
    assert (proj["ci_low"] >= [105, 25]).all() and (proj["ci_high"] <= [125, 45]).all()
    assert (proj["ci_low"] < proj["projected"]).all() and (proj["projected"] < proj["ci_high"]).all()


def test_project_with_the_planted_chain_is_one_markov_step(synthetic_moves):
    _, st, tr = synthetic_moves
    names = list(tr["dest"].cat.categories)
    order = [NAMES[SYNTH_TO_RANK[t]] for t in synth.TIERS]  # synth's tier order as state names
    P = pd.DataFrame(synth.TRANSITION, index=order, columns=order).loc[names, names].to_numpy()
    current = st[st["period"] == st["period"].max()]["state"].value_counts()
    proj = migration.project(current, np.repeat(P[None], 5, axis=0), origins=names, dests=names)
    expect = current.reindex(names).to_numpy(float) @ P
    assert proj["projected"].to_numpy() == pytest.approx(expect, rel=1e-12)
    assert proj["ci_low"].to_numpy() == pytest.approx(expect) and proj["ci_high"].to_numpy() == pytest.approx(expect)
    assert proj["projected"].sum() == pytest.approx(current.sum())  # no one is lost or created
