"""effects.cell_effects: the strategy x tier effects step 6 allocates on, against the designs
they come from and the generator's planted runs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import datasets, effects, features, synth
from userops import schema as s


def _estimate(ds: datasets.Dataset, tables: dict[str, pd.DataFrame], outcomes=("spend", "orders")):
    weekly = features.weekly_activity(ds.transactions, as_of=ds.as_of)
    return effects.estimate_all(weekly, tables=tables, as_of=ds.as_of, bands=synth.SPEND_BANDS,
                                outcomes=outcomes)


@pytest.fixture(scope="module")
def world():
    ds = datasets.load("synthetic", n_customers=5000, seed=2)
    sim = synth.generate(n_customers=5000, random_state=2)
    results, designs = _estimate(ds, ds.tables)
    return ds, sim, results, designs


def test_one_row_per_passed_strategy_and_eligible_tier_with_its_shrunk_effect(world):
    _, _, results, designs = world
    cells = effects.cell_effects(results, designs, min_cell=50)
    spend = results[results["outcome"] == "spend"]
    passed = spend.loc[spend["gate"] == "passed", s.STRATEGY_ID].tolist()
    assert len(passed) >= 2
    assert sorted(cells[s.STRATEGY_ID].unique()) == sorted(passed)
    for sid in passed:
        people, panel = designs[sid]
        tiers = sorted(people.loc[people["eligible"], "pre_tier_rank"].unique())
        got = cells[cells[s.STRATEGY_ID] == sid].set_index("pre_tier_rank")
        assert sorted(got.index) == tiers, sid
        het = effects.heterogeneity(people, panel, by="pre_tier_rank", min_cell=50).set_index("pre_tier_rank")
        own = got["source"] == "shrunk group estimate"
        assert own.any()
        assert got.loc[own, "effect"].to_numpy() == pytest.approx(het.loc[got.index[own], "shrunk"].to_numpy())
        assert got.loc[own, "effect_se"].to_numpy() == pytest.approx(het.loc[got.index[own], "shrunk_se"].to_numpy())
        # small tiers fall back to the strategy's own (spend) estimate
        r = spend.set_index(s.STRATEGY_ID).loc[sid]
        assert (got.loc[~own, "effect"] == r["estimate"]).all() and (got.loc[~own, "effect_se"] == r["se"]).all()
        assert got["type"].eq(r["type"]).all()


def test_small_groups_take_the_strategy_average(world):
    _, _, results, designs = world
    spend = results[(results["outcome"] == "spend") & (results["gate"] == "passed")].set_index(s.STRATEGY_ID)
    cells = effects.cell_effects(results, designs, min_cell=10**6)
    assert (cells["source"] == "strategy average").all()
    assert np.allclose(cells["effect"], cells[s.STRATEGY_ID].map(spend["estimate"]))
    # a bar between the tiers' sizes splits them: tiers with fewer exposed or comparison
    # customers than the bar take the average, the others keep their own estimate
    sid = spend.index[0]
    people, _ = designs[sid]
    n = people[people["eligible"]].groupby("pre_tier_rank")["treated"].agg(
        lambda t: min(t.sum(), (~t).sum()))
    bar = int(n.median()) + 1
    mixed = effects.cell_effects(results, designs, min_cell=bar)
    mixed = mixed[mixed[s.STRATEGY_ID] == sid].set_index("pre_tier_rank")
    expect = np.where(n.loc[mixed.index] >= bar, "shrunk group estimate", "strategy average")
    assert mixed["source"].tolist() == expect.tolist()
    assert len(set(expect)) == 2


def test_outcome_selects_the_rows(world):
    _, _, results, designs = world
    spend = effects.cell_effects(results, designs, min_cell=10**6)
    orders = effects.cell_effects(results, designs, outcome="orders", min_cell=10**6)
    o = results[(results["outcome"] == "orders") & (results["gate"] == "passed")].set_index(s.STRATEGY_ID)
    assert np.allclose(orders["effect"], orders[s.STRATEGY_ID].map(o["estimate"]))
    assert not np.allclose(orders["effect"], spend["effect"])


def test_weeks_are_the_planted_run_length(world):
    _, sim, results, designs = world
    cells = effects.cell_effects(results, designs)
    w = sim.truth["weekly"]
    planted = w[w["strategy"] != ""].groupby("strategy")["week"].nunique()
    for sid, g in cells.groupby(s.STRATEGY_ID):
        _, panel = designs[sid]
        assert g["weeks"].eq(planted[sid]).all(), sid
        assert g["weeks"].eq(panel.loc[panel["post"], "week"].nunique()).all(), sid


def test_no_passed_strategy_gives_an_empty_frame_with_the_columns(world):
    _, _, results, designs = world
    none = effects.cell_effects(results.assign(gate="refused"), designs)
    assert none.empty and list(none.columns) == [s.STRATEGY_ID, "type", "pre_tier_rank", "effect",
                                                  "effect_se", "source", "weeks"]


# issue 13 item 14: one definition of a run's weeks (fixed on main; this test would fail before)
def test_weeks_match_the_estimation_window_for_a_mid_week_start(world):
    ds, _, _, _ = world
    st = ds.tables["strategies"]
    shifted = st.assign(start=st[s.START] + pd.Timedelta(days=2), end=st[s.END] + pd.Timedelta(days=2))
    assert (shifted[s.START].dt.day_name() == "Wednesday").all()
    results, designs = _estimate(ds, {**ds.tables, "strategies": shifted}, outcomes=("spend",))
    cells = effects.cell_effects(results, designs)
    assert not cells.empty
    for sid, g in cells.groupby(s.STRATEGY_ID):
        _, panel = designs[sid]
        assert g["weeks"].eq(panel.loc[panel["post"], "week"].nunique()).all(), sid
