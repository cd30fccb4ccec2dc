"""Step 3 migration against planted truth: the generator's Markov chain and its spend bands."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import datasets, features, migration, synth
from userops import schema as s

NAMES = migration.tier_names(synth.SPEND_BANDS)
# synth.TIERS order (light, regular, heavy, top, lapsed) -> state names
SYNTH_TO_STATE = dict(zip(synth.TIERS, NAMES[1:] + NAMES[:1]))


def _moves(ds: datasets.Dataset, *, bands=synth.SPEND_BANDS):
    bounds = features.period_bounds(as_of=ds.as_of, period="13W", n_periods=4)
    act = features.period_activity(ds.transactions, bounds=bounds)
    st = migration.states(act, bounds=bounds, bands=bands)
    return bounds, st, migration.transitions(st)


def _truth() -> pd.DataFrame:
    return pd.DataFrame(synth.TRANSITION, index=[SYNTH_TO_STATE[t] for t in synth.TIERS],
                        columns=[SYNTH_TO_STATE[t] for t in synth.TIERS])


@pytest.fixture(scope="module")
def big():
    return _moves(datasets.load("synthetic", n_customers=10000, seed=11))


def test_states_are_the_planted_tiers(big):
    bounds, st, _ = big
    sim = synth.generate(n_customers=10000, random_state=11)
    truth = sim.truth["tiers"].assign(state=lambda d: d["tier"].map(SYNTH_TO_STATE))
    merged = st.merge(truth, left_on=[s.CUSTOMER_ID, "period"], right_on=[s.CUSTOMER_ID, "quarter"])
    assert (merged["state_x"].astype(str) == merged["state_y"]).all()


def test_pooled_matrix_recovers_the_planted_chain(big):
    _, _, tr = big
    pooled, draws = migration.pooled_matrix(tr, n_boot=50, random_state=0)
    est = pooled.pivot(index="origin", columns="dest", values="p")
    truth = _truth()
    err = np.abs(est.loc[truth.index, truth.columns].to_numpy() - truth.to_numpy())
    assert err.max() <= 0.05
    assert np.allclose(est.sum(axis=1), 1.0)
    assert ((pooled["ci_low"] <= pooled["p"] + 1e-12) & (pooled["p"] <= pooled["ci_high"] + 1e-12)).all()
    assert np.allclose(draws.sum(axis=2), 1.0)


def test_fixed_bands_are_not_ranks():
    # quantile bands from data: their cut points come from pooled spend, the same for all periods
    ds = datasets.load("synthetic", n_customers=2000, seed=2)
    bounds = features.period_bounds(as_of=ds.as_of, period="13W", n_periods=4)
    act = features.period_activity(ds.transactions, bounds=bounds)
    bands = migration.derive_bands(act, n_tiers=4)
    active = act[act["orders"] > 0]
    assert bands == pytest.approx(tuple(np.quantile(active["spend"], [0.25, 0.5, 0.75])))
    assert migration.derive_bands(act, n_tiers=4, reference=0) != bands


def test_hand_computed_states_moves_and_decomposition():
    bounds = features.period_bounds(as_of="2017-03-31", period="M", n_periods=3)
    act = pd.DataFrame({
        s.CUSTOMER_ID: ["a", "a", "a", "b", "c", "c"], "period": [0, 1, 2, 0, 1, 2],
        "orders": [2, 1, 4, 1, 1, 3], "spend": [50.0, 150.0, 40.0, 10.0, 300.0, 90.0],
        "first_day": pd.to_datetime(["2017-01-05"] * 3 + ["2017-01-10"] + ["2017-02-03"] * 2)})
    st = migration.states(act, bounds=bounds, bands=(100.0, 200.0))
    got = st.pivot(index=s.CUSTOMER_ID, columns="period", values="rank")
    assert got.loc["a"].tolist() == [1, 2, 1] and got.loc["b"].tolist() == [1, 0, 0]
    assert np.isnan(got.loc["c", 0]) and got.loc["c"].tolist()[1:] == [3, 1]
    tr = migration.transitions(st)
    moves = tr.set_index([s.CUSTOMER_ID, "pair"])["move"].to_dict()
    assert moves == {("a", 0): "up", ("a", 1): "down", ("b", 0): "lapsed", ("b", 1): "stay",
                     ("c", 0): "entered", ("c", 1): "down"}
    dec = migration.decompose(tr)
    total = (tr.loc[tr["origin_rank"] > 0, "spend_after"] - tr.loc[tr["origin_rank"] > 0, "spend_before"]).sum()
    assert dec["gmv_change"].sum() == pytest.approx(total, abs=1e-9)
    assert (dec["frequency_part"] + dec["basket_part"]).sum() == pytest.approx(total, abs=1e-9)
    # a: 2 orders x 25 -> 1 x 150 (spend per order only); then 1 x 150 -> 4 x 10 (frequency
    # only); b: 1 order -> none (neither); c: 1 x 300 -> 3 x 30 (frequency only)
    names = migration.tier_names((100.0, 200.0))
    got = {(str(r.origin), r.group): r.customers for r in dec.itertuples()}
    assert got == {(names[1], "spend per order only"): 1, (names[1], "neither"): 1,
                   (names[2], "frequency only"): 1, (names[3], "frequency only"): 1}
    b_row = dec[(dec["origin"] == names[1]) & (dec["group"] == "neither")].iloc[0]
    assert b_row["frequency_part"] == -10.0 and b_row["basket_part"] == 0.0


def test_decomposition_adds_up_exactly_on_synthetic(big):
    _, _, tr = big
    dec = migration.decompose(tr)
    active = tr[tr["origin_rank"] > 0]
    total = (active["spend_after"] - active["spend_before"]).sum()
    assert dec["gmv_change"].sum() == pytest.approx(total, rel=1e-12, abs=1e-6)
    assert np.allclose(dec["frequency_part"] + dec["basket_part"], dec["gmv_change"], atol=1e-6)


def test_exposure_has_no_planted_effect_on_tiers_and_the_adjusted_estimate_says_so(big):
    # the generator keeps the uplift inside each band: exposure never changes the tier
    bounds, _, tr = big
    sim = synth.generate(n_customers=10000, random_state=11)
    exposures = sim.tables["exposures"].astype({s.STRATEGY_ID: str})
    eff = migration.exposure_effect(tr, exposures=exposures, strategies=sim.tables["strategies"],
                                    bounds=bounds).iloc[0]
    assert eff["ci_low"] <= 0 <= eff["ci_high"]
    assert eff["eligible_n"] < eff["transitions"]
    # positive control on the same data: plant a move up for 15% of the exposed transitions
    # that did not move up. The generator runs strategy Sq in quarter q, so its exposures
    # belong to the pair (q-1 -> q); tiers 1..3 can move up.
    pair_of = exposures[s.STRATEGY_ID].str[1:].astype(int) - 1
    reached = set(zip(exposures[s.CUSTOMER_ID], pair_of))
    top = tr["origin_rank"].max()
    exposed = np.array([(c, p) in reached for c, p in zip(tr[s.CUSTOMER_ID], tr["pair"])])
    can = exposed & (tr["origin_rank"] > 0).to_numpy() & (tr["origin_rank"] < top).to_numpy()
    flip = can & (tr["move"] != "up").to_numpy() & (np.random.default_rng(5).random(len(tr)) < 0.15)
    planted = flip.sum() / can.sum()  # the added share of exposed transitions that move up
    assert planted > 0.05
    moved = tr.assign(move=np.where(flip, "up", tr["move"]))
    pos = migration.exposure_effect(moved, exposures=exposures, strategies=sim.tables["strategies"],
                                    bounds=bounds).iloc[0]
    assert pos["ci_low"] > 0 and pos["p_value"] < 0.001
    assert abs((pos["adjusted_diff"] - eff["adjusted_diff"]) - planted) <= (eff["ci_high"] - eff["ci_low"]) / 2, (
        pos["adjusted_diff"], eff["adjusted_diff"], planted)


def test_cohort_retention_by_hand():
    monthly = pd.DataFrame({s.CUSTOMER_ID: ["a", "a", "b", "c", "c", "c"],
                            "month": pd.to_datetime(["2017-01-01", "2017-02-01", "2017-01-01",
                                                     "2017-05-01", "2017-06-01", "2017-08-01"])})
    ret = migration.cohort_retention(monthly, burn_in_months=2, max_months=3).set_index("cohort")
    assert ret.loc["present at start", "customers"] == 2 and ret.loc["present at start", 1] == 0.5
    assert ret.loc["2017-05", 1] == 1.0 and ret.loc["2017-05", 2] == 0.0 and ret.loc["2017-05", 3] == 1.0


@pytest.mark.slow
def test_intervals_cover_the_truth_at_about_their_nominal_rate():
    truth = _truth()
    hits, total = 0, 0
    for seed in range(30):
        _, _, tr = _moves(datasets.load("synthetic", n_customers=1500, seed=100 + seed))
        m = migration.matrix(tr[tr["pair"] == 1])
        m = m[m["origin"].astype(str).isin(truth.index)]
        t = truth.stack().rename("true").reset_index().rename(columns={"level_0": "origin", "level_1": "dest"})
        t.columns = ["origin", "dest", "true"]
        j = m.astype({"origin": str, "dest": str}).merge(t, on=["origin", "dest"])
        j = j[j["true"] > 0]  # a zero-probability cell has nothing to cover
        hits += int(((j["ci_low"] <= j["true"]) & (j["true"] <= j["ci_high"])).sum())
        total += len(j)
    coverage = hits / total
    assert 0.90 <= coverage <= 0.99, coverage


@pytest.mark.filterwarnings("error")
def test_pooled_matrix_when_no_customer_is_new():
    """Every customer was seen before the first period: no transition starts from `new`
    (a real data shape; the bootstrap once failed to index its cells)."""
    rng = np.random.default_rng(4)
    bounds = features.period_bounds(as_of="2017-12-31", period="Q", n_periods=4)
    ids = [f"C{i}" for i in range(60)]
    act = pd.DataFrame([(c, p, int(rng.integers(0, 4)), float(rng.gamma(2, 50)))
                        for c in ids for p in range(4)], columns=[s.CUSTOMER_ID, "period", "orders", "spend"])
    act = act[act["orders"] > 0].assign(first_day=pd.Timestamp("2016-12-01"))
    st = migration.states(act, bounds=bounds, bands=(60.0, 120.0))
    tr = migration.transitions(st)
    assert (tr["origin"] == migration.NEW).sum() == 0
    pooled, draws = migration.pooled_matrix(tr, n_boot=100, random_state=0)
    hand = pd.crosstab(tr["origin"].astype(str), tr["dest"].astype(str), normalize="index")
    got = pooled.assign(origin=pooled["origin"].astype(str), dest=pooled["dest"].astype(str)).pivot(
        index="origin", columns="dest", values="p")
    pd.testing.assert_frame_equal(got.loc[hand.index, hand.columns], hand, check_names=False)
    assert migration.NEW not in set(pooled["origin"].astype(str))
    assert ((pooled["ci_low"] <= pooled["p"] + 1e-12) & (pooled["p"] <= pooled["ci_high"] + 1e-12)).all()
    assert draws.shape == (100, hand.shape[0], len(tr["dest"].cat.categories))


def test_observed_periods_leave_out_periods_the_data_does_not_cover_whole():
    bounds = features.period_bounds(as_of="2017-12-31", period="Q", n_periods=4)
    assert len(migration.observed_periods(bounds, first_day=pd.Timestamp("2017-01-01"))) == 4
    # a few days late still counts (within a tenth of the period); half a quarter late does not
    assert len(migration.observed_periods(bounds, first_day=pd.Timestamp("2017-01-05"))) == 4
    late = migration.observed_periods(bounds, first_day=pd.Timestamp("2017-05-15", tz="America/New_York"))
    assert late["label"].tolist() == bounds["label"].iloc[2:].tolist() and late["period"].tolist() == [0, 1]
    assert migration.observed_periods(bounds, first_day=pd.Timestamp("2017-11-20")).empty


def test_states_and_transitions_of_data_shorter_than_two_periods_are_empty_not_errors():
    from userops import narrative as text

    bounds = features.period_bounds(as_of="2017-12-31", period="Q", n_periods=4)
    first = pd.Timestamp("2017-10-01")
    observed = migration.observed_periods(bounds, first_day=first)
    act = pd.DataFrame({s.CUSTOMER_ID: ["a", "b"], "period": [0, 0], "orders": [2, 1],
                        "spend": [50.0, 20.0], "first_day": first})
    bands = migration.derive_bands(act)
    tr = migration.transitions(migration.states(act, bounds=observed, bands=bands))
    pooled, draws = migration.pooled_matrix(tr, n_boot=10)
    assert tr.empty and pooled.empty and draws.size == 0
    assert migration.project(pd.Series(dtype=float), draws, origins=[], dests=["lapsed"]).empty
    gap = text.periods_unavailable(bounds, observed, first_day=first, period="Q")
    assert "covers 1 of the 4 `Q` periods whole" in gap and "shorter `period`" in gap
    assert text.periods_unavailable(bounds, bounds, first_day=first, period="Q") == ""
    for sentence in (text.movement_prose(migration.movement(tr)), text.decomposition_prose(migration.decompose(tr)),
                     text.projection_prose(migration.project(pd.Series(dtype=float), draws, origins=[], dests=[]))):
        assert "cannot be shown" in sentence and "nan" not in sentence


def test_bands_with_few_distinct_spends_give_fewer_tiers_not_an_error():
    act = pd.DataFrame({s.CUSTOMER_ID: list("abcdef"), "period": 0, "orders": 1,
                        "spend": [10.0, 10.0, 10.0, 10.0, 40.0, 40.0]})
    bands = migration.derive_bands(act, n_tiers=4)
    # quartiles 10, 10, 32.5 (10 + 0.75 x 30): the cuts at the minimum would leave tier 1 empty
    assert bands == (32.5,)
    assert migration.derive_bands(act.assign(spend=5.0)) == ()
    assert migration.tier_names(()) == [migration.LAPSED, "T1 active"]
