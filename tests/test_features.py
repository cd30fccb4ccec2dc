"""The ibis/DuckDB aggregation against a plain-pandas reference, on edge cases and real data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from userops import features

AS_OF = pd.Timestamp("2017-12-31")


def _edge_frame() -> pd.DataFrame:
    rows = [
        # customer, order, ts, amount
        ("a", "o1", "2017-12-31 23:59:59.999999", 10.00),  # last instant: inside
        ("a", "o2", "2018-01-01 00:00:00", 99.00),         # first instant after: outside
        ("a", "o3", "2017-12-01 10:00:00", 5.10),
        ("a", "o3", "2017-12-01 10:05:00", 0.20),          # two lines, one order
        ("b", "o4", "2017-06-01 09:00:00", 0.00),          # zero-value order: not counted in F
        ("b", "o5", "2017-03-01 09:00:00", 20.00),
        ("c", "o6", "2016-11-01 09:00:00", 7.00),          # only before the window
        ("d", "o7", "2017-12-20 09:00:00", 15.00),
        ("d", "o8", "2017-12-21 09:00:00", -15.00),        # a return order: net negative
        ("e", "o9", "2017-09-15 23:30:00", 3.333),
        ("e", "o9", "2017-09-16 00:10:00", 1.111),         # order spans midnight: first line's day
        ("e", "o10", "2017-12-30 08:00:00", 0.1),
        ("e", "o11", "2017-12-30 09:00:00", 0.2),          # two orders the same day
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "order_id", "ts", "amount"])
    return df.assign(ts=pd.to_datetime(df["ts"], format="ISO8601").astype("datetime64[us]"))


def reference_rfm(tx: pd.DataFrame, as_of: pd.Timestamp, window_days: int = 365,
                  recent_days: int = 90) -> pd.DataFrame:
    """Plain pandas, written independently of the ibis code."""
    tx = tx[tx["ts"] < as_of + pd.Timedelta(days=1)]
    cents = (tx["amount"] * 100).round().astype("int64")
    o = tx.assign(c=cents).groupby(["customer_id", "order_id"]).agg(
        day=("ts", "min"), cents=("c", "sum")).reset_index()
    o["day"] = o["day"].dt.normalize()
    o["age"] = (as_of - o["day"]).dt.days
    rows = []
    for cust, g in o.groupby("customer_id"):
        pos = g[g["cents"] > 0]
        days = np.sort(g["day"].unique())
        gaps = pd.Series(np.diff(days)).dt.days.to_numpy()
        ends = (as_of - pd.DatetimeIndex(days[1:])).days.to_numpy()
        recent_gaps = gaps[ends < recent_days]
        win = g[g["age"] < window_days]
        rows.append({
            "customer_id": cust,
            "recency_days": int(pos["age"].min() if len(pos) else g["age"].min()),
            "frequency": int(((g["age"] < window_days) & (g["cents"] > 0)).sum()),
            "monetary": win["cents"].sum() / 100.0,
            "first_day": g["day"].min(), "last_day": g["day"].max(),
            "tenure_days": int(g["age"].max()),
            "spend_recent": g.loc[g["age"] < recent_days, "cents"].sum() / 100.0,
            "spend_prior": g.loc[(g["age"] >= recent_days) & (g["age"] < 2 * recent_days), "cents"].sum() / 100.0,
            "max_recent_gap_days": int(recent_gaps.max()) if len(recent_gaps) else 0,
        })
    out = pd.DataFrame(rows).sort_values("customer_id", ignore_index=True)
    return out.astype({"customer_id": "str", "first_day": "datetime64[us]", "last_day": "datetime64[us]"})


def test_rfm_matches_reference_on_edge_cases():
    tx = _edge_frame()
    got = features.rfm(tx, as_of=AS_OF)
    pd.testing.assert_frame_equal(got, reference_rfm(tx, AS_OF), check_exact=True)
    a = got.set_index("customer_id")
    assert a.loc["a", "monetary"] == 15.30 and a.loc["a", "recency_days"] == 0
    assert a.loc["b", "frequency"] == 1 and a.loc["c", "frequency"] == 0
    assert a.loc["d", "monetary"] == 0.0 and a.loc["d", "recency_days"] == 11
    assert a.loc["e", "frequency"] == 3


def test_rfm_ignores_row_order_and_reads_parquet_in_place(tmp_path):
    tx = _edge_frame()
    shuffled = tx.sample(frac=1.0, random_state=7).reset_index(drop=True)
    base = features.rfm(tx, as_of=AS_OF)
    pd.testing.assert_frame_equal(base, features.rfm(shuffled, as_of=AS_OF), check_exact=True)
    path = tmp_path / "tx.parquet"
    shuffled.to_parquet(path)
    pd.testing.assert_frame_equal(base, features.rfm(path, as_of=AS_OF), check_exact=True)


def test_rfm_matches_reference_on_synthetic(synthetic):
    tx = synthetic.transactions
    got = features.rfm(tx, as_of=synthetic.as_of, window_days=200, recent_days=60)
    ref = reference_rfm(tx, synthetic.as_of, window_days=200, recent_days=60)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)


def test_recency_snapshots_against_hand_counts():
    tx = _edge_frame()
    snaps = [pd.Timestamp("2017-06-30"), pd.Timestamp("2017-11-30")]
    got = features.recency_snapshots(tx, snapshots=snaps, horizon_days=30).set_index(
        ["snapshot", "customer_id"])
    # June 30: a has not shopped yet; b last shopped Jun 1 (29 days), no order by Jul 30
    assert ("2017-06-30", "a") not in got.index
    assert got.loc[(pd.Timestamp("2017-06-30"), "b")].tolist() == [29, False]
    assert got.loc[(pd.Timestamp("2017-06-30"), "c")].tolist() == [241, False]
    # Nov 30: a has not shopped yet; e last shopped Sep 15 (76 days) and is back on Dec 30
    assert ("2017-11-30", "a") not in got.index
    assert got.loc[(pd.Timestamp("2017-11-30"), "e")].tolist() == [76, True]
    assert got.loc[(pd.Timestamp("2017-11-30"), "b")].tolist() == [182, False]


def test_collapsed_orders_give_the_same_features(synthetic):
    tx = synthetic.transactions
    orders = features.collapse(tx, as_of=synthetic.as_of)
    pd.testing.assert_frame_equal(features.rfm(orders, as_of=synthetic.as_of),
                                  features.rfm(tx, as_of=synthetic.as_of), check_exact=True)
    snaps = [pd.Timestamp("2017-05-31"), pd.Timestamp("2017-09-30")]
    pd.testing.assert_frame_equal(features.recency_snapshots(orders, snapshots=snaps),
                                  features.recency_snapshots(tx, snapshots=snaps), check_exact=True)
    # an earlier cut-off on the order table drops the later orders
    early = features.rfm(orders, as_of="2017-06-30")
    pd.testing.assert_frame_equal(early, features.rfm(tx, as_of="2017-06-30"), check_exact=True)


def test_bad_input_type():
    with pytest.raises(TypeError, match="`tx` must be"):
        features.rfm([1, 2], as_of=AS_OF)


# issue 12 item 3: the window sums step 5 and step 6 take in the engine, by hand on the edge frame
def test_week_windows_window_spend_and_window_orders_by_hand():
    tx = _edge_frame()
    weekly = features.weekly_table(tx, as_of=AS_OF)
    # weeks (Mondays): a has 2017-11-27 (o3, 5.30) and 2017-12-25 (o1, 10.00); d has 2017-12-18
    # (o7 15.00 and the return o8 -15.00: one positive order, net 0); e has 2017-12-25 (o10, o11)
    windows = pd.DataFrame({"window": [0, 1, 2], "start": pd.to_datetime(["2017-11-27", "2017-12-18", "2018-01-01"]),
                            "end": pd.to_datetime(["2017-12-25", "2017-12-18", "2017-12-25"])})
    got = features.week_windows(weekly, windows=windows)
    got = got[got["customer_id"].isin(["a", "d", "e"])].set_index(["window", "customer_id"])
    assert got.loc[(0, "a"), "spend"] == pytest.approx(15.30) and got.loc[(0, "a"), "orders"] == 2
    assert got.loc[(0, "a"), "last_order_week"] == pd.Timestamp("2017-12-25")
    assert got.loc[(1, "d"), "spend"] == 0.0 and got.loc[(1, "d"), "orders"] == 1
    assert got.loc[(0, "e"), "spend"] == pytest.approx(0.30) and (1, "a") not in got.index
    assert not (got.index.get_level_values("window") == 2).any()  # ends before it starts: empty
    # the same sums from the pandas weekly frame
    pd.testing.assert_frame_equal(features.week_windows(weekly, windows=windows),
                                  features.week_windows(features.weekly_activity(tx, as_of=AS_OF), windows=windows))
    rows = pd.DataFrame({"customer_id": ["a", "a", "zz", "d"],
                         "start": pd.to_datetime(["2017-11-27", "2017-11-28", "2017-01-01", "2017-12-20"]),
                         "end": pd.to_datetime(["2017-12-24", "2017-12-31", "2017-12-31", "2017-12-21"])})
    # a: week 2017-11-27 only (12-25 starts after the end); a from 11-28: the week of 11-27 starts
    # before it, so only 12-25; zz has no orders; d: the week of 12-18 starts before the 20th
    assert features.window_spend(weekly, windows=rows).tolist() == pytest.approx([5.30, 10.00, 0.0, 0.0])
    days = features.order_days_table(tx, as_of=AS_OF)
    flags = features.window_orders(days, windows=rows.assign(end=pd.to_datetime(
        ["2017-11-30", "2017-12-01", "2017-12-31", "2017-12-20"])), after_days=30)
    # a shops on 12-01 (o3) and 12-31 (o1); d on 12-20 (o7, positive) and 12-21 (o8, a return)
    assert flags["during"].tolist() == [False, True, False, True]
    assert flags["after"].tolist() == [True, True, False, False]
    assert features.first_line(tx) == pd.Timestamp("2016-11-01 09:00:00")
    assert pd.isna(features.first_line(tx.iloc[:0]))
