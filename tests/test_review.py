"""Step 6: KPI identities recomputed independently, the LP against greedy, alerts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import review
from userops import schema as s


@pytest.fixture
def world():
    strategies = pd.DataFrame({s.STRATEGY_ID: ["A", "B"], s.TYPE: ["t1", "t2"],
                               s.START: pd.to_datetime(["2017-05-03", "2017-06-05"]),
                               s.END: pd.to_datetime(["2017-05-16", "2017-06-11"])})
    reached = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c2", "c3", "c1"], s.STRATEGY_ID: ["A", "A", "A", "B"],
                            "responded": [True, False, True, False], "type": ["t1", "t1", "t1", "t2"]})
    responses = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c1", "c3"], s.STRATEGY_ID: ["A", "A", "A"],
                              s.TS: pd.to_datetime(["2017-05-04", "2017-05-05", "2017-05-10"])})
    weeks = pd.to_datetime(["2017-04-24", "2017-05-01", "2017-05-08", "2017-05-15", "2017-06-05"])
    weekly = pd.DataFrame({s.CUSTOMER_ID: ["c1"] * 5 + ["c2", "c3"], "week": list(weeks) + [weeks[1], weeks[3]],
                           "orders": 1, "spend": [100.0, 10.0, 20.0, 30.0, 40.0, 7.0, 3.0]})
    effects = pd.DataFrame({s.STRATEGY_ID: ["A", "B"], "estimate": [2.0, np.nan], "ci_low": [-1.0, np.nan],
                            "ci_high": [5.0, np.nan], "gate": ["passed", "insufficient overlap: x"]})
    return strategies, reached, responses, weekly, effects


def test_kpi_identities_exact(world):
    strategies, reached, responses, weekly, effects = world
    k = review.kpis(reached, responses, weekly, strategies, effects, contact_cost=0.5,
                    coupon_cost_per_response=1.2).set_index(s.STRATEGY_ID)
    a = k.loc["A"]
    # A runs May 3-16: weeks of May 1, 8 and 15 count; c1 10+20+30, c2 7, c3 3
    assert a["reach"] == 3 and a["participants"] == 2 and a["gmv"] == pytest.approx(70.0, abs=1e-9)
    assert a["conversion"] == pytest.approx(2 / 3, abs=1e-9)
    assert a["arpu"] == pytest.approx(70.0 / 3, abs=1e-9)
    assert a["cost"] == pytest.approx(0.5 * 3 + 1.2 * 3, abs=1e-9)
    # a Wednesday-to-Tuesday run touches the weeks of May 1, 8 and 15: the weeks its GMV is summed
    # over and step 5 measures the effect over (issue 13 item 14), not (end - start + 7) // 7 = 2
    assert a["weeks"] == 3
    assert a["incremental_gmv"] == pytest.approx(2.0 * 3 * 3, abs=1e-9)
    assert (a["inc_low"], a["inc_high"]) == pytest.approx((-1.0 * 9, 5.0 * 9), abs=1e-9)
    assert a["roi"] == pytest.approx((18.0 - 5.1) / 5.1, abs=1e-9)
    assert a["roi_low"] == pytest.approx((-9.0 - 5.1) / 5.1, abs=1e-9)
    b = k.loc["B"]
    assert np.isnan(b["incremental_gmv"]) and np.isnan(b["roi"]) and "overlap" in b["effect_status"]
    assert b["gmv"] == 40.0 and b["participants"] == 0


def test_kpis_by_segment_add_up(world):
    strategies, reached, responses, weekly, effects = world
    seg = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c2", "c3"], "rf_segment": ["x", "y", "y"]})
    by = review.kpis(reached, responses, weekly, strategies, effects, contact_cost=0.5,
                     coupon_cost_per_response=1.2, segments=seg, by="rf_segment")
    tot = review.kpis(reached, responses, weekly, strategies, effects, contact_cost=0.5, coupon_cost_per_response=1.2)
    for col in ("reach", "participants", "gmv", "cost", "incremental_gmv"):
        assert by.groupby(s.STRATEGY_ID)[col].sum().loc["A"] == pytest.approx(tot.set_index(s.STRATEGY_ID).loc["A", col])


def _cells():
    rng = np.random.default_rng(3)
    rows = []
    for sid in ("A", "B", "C"):
        for g in range(5):
            rows.append({s.STRATEGY_ID: sid, "pre_tier_rank": g, "effect": float(rng.normal(2, 2)), "weeks": 4})
    return pd.DataFrame(rows)


def test_lp_respects_budget_and_one_strategy_per_customer():
    cells = _cells()
    sizes = pd.Series([100, 200, 300, 150, 50], index=range(5))
    cost = pd.Series({"A": 1.0, "B": 2.5, "C": 0.7})
    for budget in (0.0, 100.0, 400.0, 5000.0):
        a = review.allocate(cells, sizes, budget=budget, cost_per_customer=cost)
        assert a["spend"].sum() <= budget + 1e-6
        assert (a.groupby("pre_tier_rank")["x"].sum() <= 1 + 1e-9).all()
        assert ((a["x"] >= -1e-12) & (a["x"] <= 1 + 1e-12)).all()
        assert (a.loc[a["x"] > 1e-9, "effect"] * 4 > a.loc[a["x"] > 1e-9, "c"]).all()  # only worthwhile cells


def test_lp_matches_greedy_when_each_cell_is_its_own_segment():
    cells = _cells()
    cells = cells.assign(pre_tier_rank=range(len(cells)))  # one strategy per segment: a single budget row binds
    sizes = pd.Series(np.arange(len(cells)) * 10 + 50, index=range(len(cells)))
    cost = pd.Series({"A": 1.0, "B": 2.5, "C": 0.7})
    for budget in (50.0, 500.0, 3000.0):
        lp = review.allocate(cells, sizes, budget=budget, cost_per_customer=cost)["net_value"].sum()
        assert lp == pytest.approx(review.greedy(cells, sizes, budget=budget, cost_per_customer=cost), rel=1e-9)


def test_frontier_is_concave_and_seesaw_matches_a_hand_computed_curve():
    cells = _cells()
    sizes = pd.Series([100, 200, 300, 150, 50], index=range(5))
    cost = pd.Series({"A": 1.0, "B": 2.5, "C": 0.7})
    f = review.frontier(cells, sizes, budgets=np.linspace(0, 1500, 16), cost_per_customer=cost)
    gain = f["net_value"].diff().dropna()
    assert (gain >= -1e-6).all() and (gain.diff().dropna() <= 1e-6).all()
    assert (gain > 1e-6).any()  # the budget range does buy something
    # hand-made: A has effects 1 / 3 / 2 in tiers 0 / 1 / 2 (100, 50, 50 customers) and none in
    # tier 3 (200 customers, counted in coverage); B has one cell in an empty tier 4 and one tie
    hand = pd.DataFrame({s.STRATEGY_ID: ["A", "A", "A", "B", "B", "B"], "pre_tier_rank": [0, 1, 2, 4, 0, 2],
                         "effect": [1.0, 3.0, 2.0, 9.0, 5.0, 5.0], "weeks": 4})
    hsizes = pd.Series({0: 100, 1: 50, 2: 50, 3: 200, 4: 0})
    curve = review.seesaw(hand, hsizes).set_index([s.STRATEGY_ID, "pre_tier_rank"])
    # A adds tier 1 (3.0 x 50), then tier 2 (2.0 x 50), then tier 0 (1.0 x 100), out of 400
    a = curve.loc["A"]
    assert a.index.tolist() == [1, 2, 0]
    assert a["customers"].tolist() == [50, 100, 200]
    assert a["coverage"].tolist() == pytest.approx([50 / 400, 100 / 400, 200 / 400])
    assert a["value_per_customer"].tolist() == pytest.approx([3.0, 250 / 100, 350 / 200])
    # B: the empty tier 4 is skipped; the tie at 5.0 is broken by the lower tier first
    b = curve.loc["B"]
    assert b.index.tolist() == [0, 2]
    assert b["value_per_customer"].tolist() == pytest.approx([5.0, 5.0])
    assert b["coverage"].tolist() == pytest.approx([100 / 400, 150 / 400])


def test_alerts_flag_moves_beyond_threshold():
    prev = pd.DataFrame({"type": ["t1", "t2"], "reach": [100, 100], "participants": [10, 10], "gmv": [1000, 1000]})
    cur = pd.DataFrame({"type": ["t1", "t2"], "reach": [100, 100], "participants": [15, 11], "gmv": [1000, 1000]})
    al = review.alerts(cur, prev, threshold=0.2).set_index(["type", "metric"])
    assert bool(al.loc[("t1", "conversion"), "alert"]) and not bool(al.loc[("t2", "conversion"), "alert"])
    assert al.loc[("t1", "conversion"), "change"] == pytest.approx(0.5)
    assert review.alerts(cur, pd.DataFrame(), threshold=0.2).empty


def test_decisions_give_the_holdout_size_where_the_effect_is_unclear(world):
    strategies, reached, responses, weekly, effects = world
    eff = effects.assign(holdout_customers=[2500.0, 4000.0], reached_needed=[22500.0, 36000.0],
                         holdout_weeks=[3.0, 1.0])
    k = review.kpis(reached, responses, weekly, strategies, eff, contact_cost=0.5, coupon_cost_per_response=1.2)
    d = review.decisions(k, pd.DataFrame(columns=[s.STRATEGY_ID, "customers"])).set_index(s.STRATEGY_ID)
    # A: estimate with a CI covering 0; B: no estimate. Both say how large a holdout would decide it.
    assert d.loc["A", "action"] == "cut or test"
    assert "hold out 2,500 customers and reach 22,500 for 3 weeks" in d.loc["A", "reason"]
    assert d.loc["B", "action"] == "test with a holdout" and "hold out 4,000" in d.loc["B", "reason"]


def test_a_strategy_missing_from_step_5_and_a_cost_per_contact_are_handled(world):
    strategies, reached, responses, weekly, effects = world
    st = strategies.assign(**{s.COST_PER_CONTACT: [2.0, np.nan]})
    k = review.kpis(reached, responses, weekly, st, effects[effects[s.STRATEGY_ID] == "A"], contact_cost=0.5,
                    coupon_cost_per_response=1.2).set_index(s.STRATEGY_ID)
    assert k.loc["A", "cost"] == pytest.approx(2.0 * 3 + 1.2 * 3)  # the table's own cost per contact
    assert k.loc["B", "cost"] == pytest.approx(0.5 * 1)  # the parameter where the table has none
    assert np.isnan(k.loc["B", "incremental_gmv"]) and k.loc["B", "effect_status"] == "no estimate in step 5"
    d = review.decisions(k.reset_index(), pd.DataFrame(columns=[s.STRATEGY_ID, "customers"])).set_index(s.STRATEGY_ID)
    assert "step 5 could not size it" in d.loc["B", "reason"]
