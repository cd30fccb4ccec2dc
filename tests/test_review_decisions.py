"""Step 6 decisions: expand / keep / cut / test, on a hand-made KPI table with known answers."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from userops import review
from userops import schema as s


def _table() -> pd.DataFrame:
    """One strategy per rule: reach now, incremental GMV and its interval, step 5's status."""
    nan = np.nan
    return pd.DataFrame({
        s.STRATEGY_ID: ["grow", "shrink", "hold", "edge", "flat", "flat_funded", "unknown", "absent"],
        "type": ["t1", "t1", "t2", "t2", "t3", "t3", "t4", "t4"],
        "reach": [100, 1000, 500, 500, 300, 300, 200, 400],
        "incremental_gmv": [50.0, 80.0, 10.0, 10.0, 5.0, 5.0, nan, 30.0],
        "inc_low": [10.0, 20.0, 2.0, 2.0, -4.0, -4.0, nan, 5.0],
        "inc_high": [90.0, 140.0, 18.0, 18.0, 14.0, 14.0, nan, 55.0],
        "effect_status": ["passed"] * 6 + ["insufficient overlap: x", "passed"],
    })


def _allocation() -> pd.DataFrame:
    """Recommended customers per cell; several cells per strategy add up."""
    return pd.DataFrame({
        s.STRATEGY_ID: ["grow", "grow", "shrink", "hold", "hold", "edge", "flat_funded", "unknown"],
        "pre_tier_rank": [1, 2, 1, 1, 2, 3, 1, 2],
        "customers": [80.4, 40.0, 850.0, 300.0, 240.0, 550.0, 120.0, 99.0],
    })


def test_each_rule_gives_its_action():
    d = review.decisions(_table(), _allocation(), tolerance=0.1).set_index(s.STRATEGY_ID)
    assert d.loc["grow", "action"] == "expand"        # 120.4 recommended vs 100 now: +20%
    assert d.loc["shrink", "action"] == "cut"         # 850 vs 1000: -15%
    assert d.loc["hold", "action"] == "keep"          # 540 vs 500: +8%, inside 10%
    assert d.loc["edge", "action"] == "keep"          # 550 vs 500: exactly +10% is not beyond it
    assert d.loc["flat", "action"] == "cut or test"   # interval spans 0 and nothing is funded
    assert d.loc["flat_funded", "action"] == "cut"    # spans 0 but funded: reach rule applies
    assert d.loc["unknown", "action"] == "test with a holdout"
    assert d.loc["absent", "action"] == "cut"         # effect > 0 but no cell funded: 0 vs 400
    assert "insufficient overlap: x" in d.loc["unknown", "reason"]


def test_reach_numbers_and_reasons_match_the_allocation():
    table, alloc = _table(), _allocation()
    d = review.decisions(table, alloc).set_index(s.STRATEGY_ID)
    funded = alloc.groupby(s.STRATEGY_ID)["customers"].sum()
    for sid, row in d.iterrows():
        now = table.set_index(s.STRATEGY_ID).loc[sid, "reach"]
        new = funded.get(sid, 0.0)
        assert row["reach_now"] == now and row["reach_recommended"] == round(new), sid
        assert row["type"] == table.set_index(s.STRATEGY_ID).loc[sid, "type"]
        if row["action"] in ("expand", "cut"):  # the reason quotes both reaches
            nums = [float(x.replace(",", "")) for x in re.findall(r"[\d,]+(?:\.\d+)?", row["reason"])]
            assert nums == [round(new), now], (sid, row["reason"])
    assert d.index.tolist() == table[s.STRATEGY_ID].tolist()  # one row per strategy, in order


def test_tolerance_moves_the_keep_band():
    d = review.decisions(_table(), _allocation(), tolerance=0.05).set_index(s.STRATEGY_ID)
    assert d.loc["hold", "action"] == "expand"  # +8% is beyond 5%
    wide = review.decisions(_table(), _allocation(), tolerance=0.25).set_index(s.STRATEGY_ID)
    assert wide.loc["grow", "action"] == "keep" and wide.loc["shrink", "action"] == "keep"


def test_empty_allocation_cuts_or_tests_everything():
    d = review.decisions(_table(), _allocation().iloc[0:0]).set_index(s.STRATEGY_ID)
    assert (d["reach_recommended"] == 0).all()
    assert d.loc["flat", "action"] == "cut or test" and d.loc["grow", "action"] == "cut"
    assert d.loc["unknown", "action"] == "test with a holdout"
    assert review.decisions(_table().iloc[0:0], _allocation()).empty


@pytest.mark.parametrize("budget", [0.0, 100.0, 150.0, 100000.0])
def test_decisions_follow_the_lp_allocation(budget):
    # end to end with allocate: a strategy the LP does not fund at all is never expanded
    cells = pd.DataFrame({s.STRATEGY_ID: ["A", "A", "B", "B"], "pre_tier_rank": [1, 2, 1, 2],
                          "effect": [3.0, 0.1, 1.0, 2.0], "weeks": 4})
    sizes = pd.Series({1: 100, 2: 100})
    alloc = review.allocate(cells, sizes, budget=budget, cost_per_customer=pd.Series({"A": 1.0, "B": 1.0}))
    table = pd.DataFrame({s.STRATEGY_ID: ["A", "B"], "type": "t", "reach": [50, 50],
                          "incremental_gmv": [10.0, 10.0], "inc_low": [1.0, 1.0], "inc_high": [20.0, 20.0],
                          "effect_status": "passed"})
    d = review.decisions(table, alloc).set_index(s.STRATEGY_ID)
    funded = alloc.groupby(s.STRATEGY_ID)["customers"].sum().reindex(["A", "B"], fill_value=0.0)
    for sid in ("A", "B"):
        assert d.loc[sid, "reach_recommended"] == round(funded[sid])
        expected = "expand" if funded[sid] > 55 else "cut" if funded[sid] < 45 else "keep"
        assert d.loc[sid, "action"] == expected, (budget, sid, funded[sid])
