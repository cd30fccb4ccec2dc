"""The revenue bridge: groups, the Shapley split into customers x orders x basket, and exact
integer-cent totals for every pair of periods and tier."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import bridge


def _moves(rows):
    cols = ["customer_id", "pair", "origin", "orders_before", "orders_after", "spend_before", "spend_after"]
    return pd.DataFrame(rows, columns=cols)


def test_groups_and_the_split_of_a_hand_made_pair():
    moves = _moves([
        ("a", 0, "T1", 2, 4, 20.0, 40.0),    # up: twice the orders at the same basket
        ("b", 0, "T1", 2, 2, 20.0, 10.0),    # down: same orders, half the basket
        ("c", 0, "T2", 1, 0, 15.0, 0.0),     # lost
        ("d", 0, "new", 0, 1, 0.0, 12.5),    # new
        ("e", 0, "lapsed", 0, 3, 0.0, 33.0),  # returned
        ("f", 0, "T2", 1, 0, 9.0, -4.0),     # lost, with a return in the later period
    ])
    t = bridge.bridge(moves).set_index("group")
    assert list(t.index) == ["new", "returned", "up", "down", "lost", "returns only"]
    assert t.loc["up", "customers_effect"] == 0 and t.loc["up", "basket_effect"] == 0
    assert t.loc["up", "orders_effect"] == 2000
    assert t.loc["down", "orders_effect"] == 0 and t.loc["down", "basket_effect"] == -1000
    assert t.loc["lost", "customers_before"] == 2 and t.loc["lost", "gmv_change"] == -2400
    assert t.loc["returns only", "gmv_change"] == -400 and t.loc["returns only", "basket_effect"] == -400
    # new: from zero customers at the earlier period's average (a, b, c, f: 6 orders per 4
    # customers, 64.00 per 6 orders) to one customer with 1 order of 12.50 (Shapley weights 1/3, 1/6)
    f0, b0, f1, b1 = 6 / 4, 6400 / 6, 1, 1250
    assert t.loc["new", "customers_effect"] == round((f0 * b0 + f1 * b1) / 3 + (f0 * b1 + f1 * b0) / 6)
    assert t.loc["new", "orders_effect"] == round((f1 - f0) * (b1 / 3 + b0 / 6))
    assert (t[list(bridge.COMPONENTS)].sum(axis=1) == t["gmv_change"]).all()
    total = round((moves["spend_after"].sum() - moves["spend_before"].sum()) * 100)
    assert t["gmv_change"].sum() == total
    start, steps, end = bridge.steps(bridge.bridge(moves), pair=0)
    assert start + steps["value"].sum() == end and end - start == total


def test_random_pairs_add_up_to_the_cent_for_every_pair_and_tier():
    rng = np.random.default_rng(7)
    n = 3000
    orders_b, orders_a = rng.poisson(1.2, n), rng.poisson(1.2, n)
    spend_b = np.round(orders_b * rng.gamma(2, 17.3, n) - (orders_b == 0) * rng.binomial(1, .1, n) * 5.55, 2)
    spend_a = np.round(orders_a * rng.gamma(2, 17.3, n) - (orders_a == 0) * rng.binomial(1, .1, n) * 7.77, 2)
    origin = np.where(orders_b > 0, rng.choice(["T1", "T2", "T3"], n), rng.choice(["new", "lapsed"], n))
    spend_b = np.where(origin == "new", 0.0, spend_b)
    orders_b = np.where(origin == "new", 0, orders_b)
    moves = _moves({"customer_id": [f"c{i}" for i in range(n)], "pair": rng.integers(0, 3, n), "origin": origin,
                    "orders_before": orders_b, "orders_after": orders_a, "spend_before": spend_b,
                    "spend_after": spend_a})
    for by in (None, "origin"):
        t = bridge.bridge(moves, by=by)
        assert (t[list(bridge.COMPONENTS)].sum(axis=1) == t["gmv_change"]).all()
        chk = bridge.check(t, moves, by=by)
        assert (chk["difference"] == 0).all() and (chk["bridge_change"] == chk["gmv_change"]).all()
        assert len(chk) == (3 if by is None else moves.groupby(["pair", "origin"]).ngroups)
    assert bridge.bridge(moves.iloc[0:0]).empty


def test_the_sample_data_bridge_adds_up_for_every_pair_and_tier(sample_dir):
    from userops import datasets, features, migration

    ds = datasets.load(sample_dir, as_of="2017-12-31")
    bounds = features.period_bounds(as_of="2017-12-31", period="M", n_periods=3)
    act = features.period_activity(ds.lines(), bounds=bounds)
    moves = migration.transitions(migration.states(act, bounds=bounds, bands=migration.derive_bands(act, n_tiers=3)))
    for by in (None, "origin"):
        chk = bridge.check(bridge.bridge(moves, by=by), moves, by=by)
        assert (chk["difference"] == 0).all()
    per_period = act.groupby("period")["spend"].sum().round(2) * 100
    t = bridge.bridge(moves)
    assert t.groupby("pair")["gmv_change"].sum().tolist() == np.diff(per_period.to_numpy()).round().astype(int).tolist()


def test_the_bridge_prose_gives_the_change_and_its_check_from_the_table():
    from userops import narrative as text

    moves = _moves([("a", 0, "T1", 2, 4, 20.0, 40.0), ("c", 0, "T2", 1, 0, 15.0, 0.0), ("d", 0, "new", 0, 1, 0.0, 12.5)])
    t = bridge.bridge(moves)
    bounds = pd.DataFrame({"period": [0, 1], "label": ["Q1", "Q2"]})
    prose = text.bridge_prose(t, bounds, check=bridge.check(t, moves),
                              tier_check=bridge.check(bridge.bridge(moves, by="origin"), moves, by="origin"))
    assert "From Q1 to Q2, GMV went from **35.00** to **52.50** (**+17.50**)" in prose
    assert "new: **+12.50** (1 customer)" in prose and "lost: **-15.00** (1 customer)" in prose
    assert "**to the cent** for all **1** pair(s) of periods and all **3** pair x tier rows" in prose
    assert "no bridge" in text.bridge_prose(t.iloc[0:0], bounds, check=t.iloc[0:0], tier_check=t.iloc[0:0])
