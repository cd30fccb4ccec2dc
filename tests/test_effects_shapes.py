"""Step 5 on the generator's new shapes (issue 10): planted truth within 3 SE, the naive gap,
a zero-effect negative control, the placebo-in-time check, and the `auto` pool's choice."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import effects, features, review, synth
from userops import schema as s


def _run(sim, **kw):
    weekly = features.weekly_activity(sim.tables["transactions"], as_of=sim.as_of)
    res, designs = effects.estimate_all(weekly, tables=sim.tables, as_of=pd.Timestamp(sim.as_of),
                                        bands=synth.SPEND_BANDS, outcomes=("spend",), **kw)
    return weekly, res.set_index(s.STRATEGY_ID), designs


def _truth(sim, designs, sid: str) -> float:
    """Sample ATT per customer-week over the reached customers the estimate uses."""
    people, _ = designs[sid]
    used = set(people.loc[people["eligible"] & people["treated"], s.CUSTOMER_ID])
    w = sim.truth["weekly"]
    t = w[(w["strategy"] == sid) & w["treated"] & w[s.CUSTOMER_ID].isin(used)]
    return float((t["y1"] - t["y0"]).mean())


@pytest.fixture(scope="module")
def whole_base():
    sim = synth.generate(n_customers=2000, random_state=0, shape="whole_base")
    return sim, *_run(sim)


@pytest.fixture(scope="module")
def staggered():
    sim = synth.generate(n_customers=2000, random_state=0, shape="staggered")
    return sim, *_run(sim)


@pytest.fixture(scope="module")
def null_campaign():
    sim = synth.generate(n_customers=2000, random_state=1, shape="whole_base", zero_effect=("S1",))
    return sim, *_run(sim)


def _check_recovery(sim, res, designs):
    assert (res["gate"] == "passed").all(), res["gate"]
    gaps = []
    for sid, r in res.iterrows():
        truth = _truth(sim, designs, sid)
        assert abs(r["estimate"] - truth) <= 3 * r["se"], (sid, r["estimate"], truth, r["se"])
        assert r["placebo"] == "passed", (sid, r["placebo"])
        assert r["placebo_ci_low"] <= 0 <= r["placebo_ci_high"]
        gaps.append(r["naive"] - truth)
    # the naive gap: exposed minus not exposed is selection, far from the truth (later waves of a
    # staggered roll-out pick from the customers left, so their gap is smaller: judged on average)
    assert np.mean(gaps) > 3 * res["se"].mean(), gaps


def test_one_campaign_over_the_whole_base_uses_the_population_pool_and_recovers_truth(whole_base):
    sim, _, res, designs = whole_base
    assert list(res.index) == ["S1"]
    assert res.loc["S1", "pool"] == "population"
    assert "same-type pool cannot support" in res.loc["S1", "pool_reason"]
    # nobody had responses before the only campaign: the term is dropped and named, not a crash
    assert "past_responses (constant)" in res.loc["S1", "dropped_terms"]
    _check_recovery(sim, res, designs)


def test_staggered_campaigns_of_one_type_recover_truth(staggered):
    sim, _, res, designs = staggered
    assert len(res) == 4 and res["type"].nunique() == 1
    _check_recovery(sim, res, designs)


def test_zero_effect_campaign_is_a_negative_control(null_campaign):
    sim, _, res, designs = null_campaign
    r = res.loc["S1"]
    assert _truth(sim, designs, "S1") == 0.0
    assert r["ci_low"] <= 0 <= r["ci_high"]
    _check_recovery(sim, res, designs)
    # the effect cannot be told apart from zero, so the holdout that would is sized
    assert r["holdout_customers"] > 0 and r["reached_needed"] > r["holdout_customers"]


def test_placebo_fails_when_the_real_effect_falls_in_its_window():
    # positive control: the strategies table says the campaign started 4 weeks after it did,
    # so the planted effect lies in the placebo's fake run and the check must fail
    sim = synth.generate(n_customers=2000, random_state=0, shape="whole_base", uplift_scale=2.0)
    late = sim.tables["strategies"].assign(**{s.START: lambda d: d[s.START] + pd.Timedelta(weeks=4),
                                              s.END: lambda d: d[s.END] + pd.Timedelta(weeks=4)})
    # without responses: only the reached have past responses once the start moves, which
    # separates the groups perfectly (the gate would rightly refuse)
    tables = {k: v for k, v in sim.tables.items() if k != "responses"} | {"strategies": late}
    _, res, _ = _run(type(sim)(tables=tables, truth=sim.truth, as_of=sim.as_of))
    assert res.loc["S1", "gate"] == "passed"
    assert res.loc["S1", "placebo"].startswith("failed")
    assert res.loc["S1", "placebo_ci_low"] > 0


def test_mid_week_start_counts_the_weeks_once_for_steps_5_and_6():
    sim = synth.generate(n_customers=1500, random_state=2, shape="whole_base", strategy_start_day=2)
    st = sim.tables["strategies"]
    assert pd.Timestamp(st[s.START].iloc[0]).day_of_week == 2
    weekly, res, designs = _run(sim)
    r = res.loc["S1"]
    planted_weeks = sim.truth["weekly"].query("treated")["week"].nunique()
    assert r["weeks"] == planted_weeks == 5  # four weeks of days from a Wednesday touch five weeks
    truth = _truth(sim, designs, "S1")
    assert abs(r["estimate"] - truth) <= 3 * r["se"]
    exp = sim.tables["exposures"]
    reached = exp.assign(responded=False)
    k = review.kpis(reached, None, weekly, st, res.reset_index(), contact_cost=0.5,
                    coupon_cost_per_response=0.0).set_index(s.STRATEGY_ID).loc["S1"]
    assert k["weeks"] == r["weeks"]
    # incremental GMV = effect x weeks x reach recovers the planted total within its interval
    w = sim.truth["weekly"]
    total = float((w.loc[w["treated"], "y1"] - w.loc[w["treated"], "y0"]).sum())
    assert k["inc_low"] <= total <= k["inc_high"]


def test_holdout_size_matches_the_normal_power_formula(null_campaign):
    from scipy.stats import norm
    _, _, res, _ = null_campaign
    r = res.loc["S1"]
    h = r["holdout_share"]
    z = norm.ppf(0.975) + norm.ppf(0.8)
    total = (z * r["spend_sd"] / r["breakeven_effect"]) ** 2 * (1 / h + 1 / (1 - h))
    assert r["holdout_customers"] == pytest.approx(h * total, rel=1e-3, abs=1)
    assert r["breakeven_effect"] == pytest.approx(r["cost_per_customer"] / r["weeks"])
    assert r["cost_per_customer"] == sim_cost(null_campaign)


def sim_cost(world) -> float:
    """The generator's cost per contact for S1 (the strategies table's column wins over the default)."""
    sim = world[0]
    return float(sim.tables["strategies"].set_index(s.STRATEGY_ID).loc["S1", s.COST_PER_CONTACT])
