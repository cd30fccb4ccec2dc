"""Audiences (step 6): one file per funded cell and per uncovered tier, exact holdout shares drawn
reproducibly from the seed, safe CSV content; the forward ROI and the post-run persistence check."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import audiences, clv, effects


def _who(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"customer_id": [f"c{i:03d}" for i in range(n)], "segment": np.arange(n) % 3,
                         "tier": [["lapsed", "T1 <50", "T2 50+"][i % 3] for i in range(n)],
                         "expected_value": rng.gamma(2, 100, n).round(2), "monetary": rng.gamma(2, 80, n)})


def _alloc():
    return pd.DataFrame({"strategy_id": ["A", "B", "A"], "pre_tier_rank": [1, 1, 2], "x": [0.5, 0.25, 1.0],
                         "customers": [33.5, 16.75, 66.0], "net_value": [100.0, 20.0, 50.0]})


def _kpi():
    return pd.DataFrame({"strategy_id": ["A", "B"], "holdout_customers": [20.0, np.nan], "reached_needed": [180.0, np.nan],
                         "effect_status": ["passed", "no estimate in step 5"]})


def test_one_file_per_funded_cell_and_uncovered_tier_with_exact_holdouts():
    who = _who()
    aud = audiences.build(_alloc(), _kpi(), who, uncovered=who["customer_id"][::4], seed=7)
    idx = aud.index.set_index("file")
    rec = aud.index[aud.index["strategy_id"] != "(uncovered)"]
    assert len(rec) == 3 and set(aud.index.loc[aud.index["strategy_id"] == "(uncovered)", "segment"]) == {0, 1, 2}
    n1 = int((who["segment"] == 1).sum())
    sizes = dict(zip(zip(rec["strategy_id"], rec["segment"]), rec["customers"]))
    assert sizes[("A", 1)] == round(0.5 * n1) and sizes[("B", 1)] == round(0.25 * n1)
    members = pd.concat([aud.lists[f.removesuffix(".csv")] for f in rec["file"]])
    assert members["customer_id"].is_unique  # no customer in two audiences
    # A holds out 20 / (20 + 180) = 10% in each of its audiences; B has no holdout from step 5
    for f, r in idx.iterrows():
        frame = aud.lists[f.removesuffix(".csv")]
        assert len(frame) == r["customers"] and int(frame["holdout"].sum()) == r["held_out"]
        want = round(0.1 * len(frame)) if r["strategy_id"] == "A" else 0
        assert r["held_out"] == want
    # the highest expected value goes first within a segment
    a1 = aud.lists[audiences.file_name("A", 1)]
    top = who[who["segment"] == 1].nlargest(len(a1), "expected_value")["customer_id"]
    assert set(a1["customer_id"]) == set(top)


def test_the_same_seed_draws_the_same_holdout_in_any_order_and_another_seed_another():
    ids = pd.Series([f"x{i}" for i in range(500)])
    a = audiences.holdout_draw(ids, k=50, seed=3, key="S")
    b = audiences.holdout_draw(ids[::-1].reset_index(drop=True), k=50, seed=3, key="S")
    assert a.sum() == 50 and set(ids[a]) == set(ids[::-1].reset_index(drop=True)[b])
    c = audiences.holdout_draw(ids, k=50, seed=4, key="S")
    assert set(ids[a]) != set(ids[c])
    who = _who()
    one = audiences.build(_alloc(), _kpi(), who, uncovered=who["customer_id"][:5], seed=11)
    two = audiences.build(_alloc(), _kpi(), who.sample(frac=1, random_state=2), uncovered=who["customer_id"][:5], seed=11)
    for name, frame in one.lists.items():
        pd.testing.assert_frame_equal(frame, two.lists[name])


def test_files_are_safe_names_and_cells_cannot_run_as_formulas(tmp_path):
    who = _who(30).assign(customer_id=lambda d: ["=HYPERLINK(1)" if i == 0 else f"+c{i}" if i == 1 else f"c{i}"
                                                   for i in range(30)])
    alloc = pd.DataFrame({"strategy_id": ["../../=evil"], "pre_tier_rank": [0], "x": [1.0], "customers": [10.0],
                          "net_value": [1.0]})
    aud = audiences.build(alloc, _kpi().iloc[0:0], who, uncovered=who["customer_id"], seed=0)
    paths = audiences.write(aud, out_dir=tmp_path)
    assert all(p.parent == tmp_path / "06_audiences" for p in paths)
    assert all(set(p.stem) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") for p in paths)
    text = "".join(p.read_text() for p in paths)
    assert "'=HYPERLINK(1)" in text and "'+c1" in text and "\n=" not in text.replace("\r\n", "\n")


def test_members_without_pairs_of_periods_are_kept_without_a_segment():
    tiered = pd.DataFrame({"customer_id": ["a", "b"], "monetary": [1.0, 2.0], "expected_value": [np.nan, np.nan]})
    moves = pd.DataFrame(columns=["customer_id", "pair", "dest_rank", "dest"])
    who = audiences.members(moves, tiered)
    assert who["segment"].tolist() == [-1, -1] and (who["tier"] == "(no period tier)").all()
    aud = audiences.build(pd.DataFrame(columns=["strategy_id", "pre_tier_rank", "x"]), pd.DataFrame(), who,
                          uncovered=pd.Series(["a"]), seed=0)
    assert aud.index["file"].tolist() == [audiences.file_name("(uncovered)", -1) + ".csv"]
    assert "last year's spend" not in aud.index["reason"].iloc[0]


def test_forward_roi_only_where_the_effect_lasts_and_the_model_is_used():
    kpi = pd.DataFrame({"strategy_id": ["A", "B", "C"], "cost": [100.0, 100.0, 100.0],
                        "incremental_gmv": [150.0, 80.0, np.nan], "inc_low": [50.0, -20.0, np.nan],
                        "inc_high": [250.0, 180.0, np.nan], "roi": [0.5, -0.2, np.nan],
                        "effect_status": ["passed", "passed", "no estimate in step 5"]})
    persist = pd.DataFrame({"strategy_id": ["A", "B"], "persists": [True, False], "post_estimate": [0.5, 0.1],
                            "post_ci_low": [0.1, -0.3], "post_ci_high": [0.9, 0.5],
                            "persistence": ["persists: ...", "does not persist: the 8 weeks after the run cannot be told from no effect"]})
    reached = pd.DataFrame({"strategy_id": ["A"] * 3 + ["B"] * 2, "customer_id": ["x", "y", "z", "x", "y"]})
    tiered = pd.DataFrame({"customer_id": ["x", "y", "z"], "p_alive": [1.0, 0.5, 0.0]})
    out = clv.forward_roi(kpi, persist, reached, tiered, horizon_days=70, used=True).set_index("strategy_id")
    assert out.loc["A", "carried"] == pytest.approx(0.5 * 10 * 1.5)
    assert out.loc["A", "forward_roi"] == pytest.approx((150 + 7.5 - 100) / 100)
    assert out.loc["A", "forward_roi_low"] == pytest.approx((50 + 0.1 * 15 - 100) / 100)
    assert np.isnan(out.loc["B", "forward_roi"]) and "does not persist" in out.loc["B", "forward"]
    assert out.loc["C", "forward"] == "window only: no estimate in step 5"
    unused = clv.forward_roi(kpi, persist, reached, tiered, horizon_days=70, used=False)
    assert unused["forward_roi"].isna().all() and "not used" in unused.loc[0, "forward"]


def _lasting_tables(lasting: bool, n: int = 400, weeks: int = 30):
    """Customer-weeks with an effect of +8 from the run's first week (week 12, four weeks of run)
    that lasts to the end, or stops with the run; exposure at random."""
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2017-01-02")
    ids = [f"c{i:03d}" for i in range(n)]
    treated = rng.random(n) < 0.5
    rows = []
    for i, c in enumerate(ids):
        level = rng.gamma(4, 12)
        for w in range(weeks):
            lift = 8.0 if treated[i] and w >= 12 and (lasting or w < 16) else 0.0
            rows.append((c, start + pd.Timedelta(weeks=w), 1, round(level + rng.normal(0, 5) + lift, 2)))
    weekly = pd.DataFrame(rows, columns=["customer_id", "week", "orders", "spend"])
    strategies = pd.DataFrame({"strategy_id": ["S"], "start": [start + pd.Timedelta(weeks=12)],
                               "end": [start + pd.Timedelta(weeks=16) - pd.Timedelta(days=1)], "type": ["t"]})
    exposures = pd.DataFrame({"customer_id": np.array(ids)[treated], "strategy_id": "S"})
    return weekly, {"strategies": strategies, "exposures": exposures}, start + pd.Timedelta(weeks=weeks) - pd.Timedelta(days=1)


@pytest.mark.parametrize("lasting", [True, False])
def test_persistence_finds_a_lasting_effect_and_no_effect_after_a_run_that_stops(lasting):
    weekly, tables, as_of = _lasting_tables(lasting)
    res, des = effects.estimate_all(weekly, tables=tables, as_of=as_of, bands=(40.0, 60.0), outcomes=("spend",),
                                    eligibility="population")
    assert res.loc[0, "gate"] == "passed" and res.loc[0, "ci_low"] > 0
    p = effects.persistence(weekly, res, des, as_of=as_of, post_weeks=8).iloc[0]
    assert p["post_weeks"] == 8 and bool(p["persists"]) is lasting
    if lasting:
        assert p["post_ci_low"] < 8 < p["post_ci_high"]
    else:
        assert p["post_ci_low"] <= 0 <= p["post_ci_high"]
