"""Data shapes users bring, written as canonical CSV folders from a seed (nothing is committed).

Each shape is a function ``rng -> Shape``: the tables (DataFrames named after the canonical
tables, written as ``<table>.csv``) and the cut-off date to run the report at. A shape changes
one thing about a plain retailer (:func:`_retailer`): who arrives when, how much history, what
the strategy tables hold, how the rows are written. ``write(name, folder)`` writes one shape;
``SHAPES`` lists them all in a fixed order.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

__all__ = ["Shape", "SHAPES", "write", "generate"]

_CATEGORIES = ("GROCERY", "PRODUCE", "MEAT", "DRUG GM", "PASTRY", "DELI")
_CHANNELS = ("store", "online")
_TS_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class Shape:
    """One shape: canonical ``tables`` (CSV-ready) and the ``as_of`` cut-off of the run."""

    tables: dict[str, pd.DataFrame]
    as_of: str
    note: str = ""
    params: dict[str, object] = field(default_factory=dict)
    encoding: str = "utf-8"  # of the CSV files; a shape in another encoding passes it in params
    format: str = "csv"  # how the tables are written: csv, or parquet (native column types)


# -- the plain retailer and strategies -----------------------------------------------------

def _retailer(rng: np.random.Generator, *, n: int, start: str, as_of: str, newcomer_share: float = 0.3,
              orders_per_month: float = 2.0, lapse_share: float = 0.2, lines: tuple[int, int] = (1, 4),
              stores: int = 3, return_share: float = 0.0) -> dict[str, pd.DataFrame]:
    """Customers with heterogeneous order rates and basket sizes, line items with product and
    category, some newcomers arriving over the period and some customers lapsing."""
    t0, t1 = pd.Timestamp(start), pd.Timestamp(as_of) + pd.Timedelta(days=1)
    span = (t1 - t0).days
    ids = np.array([f"U{i:05d}" for i in range(n)])
    newcomer = rng.random(n) < newcomer_share
    first = np.where(newcomer, rng.uniform(0.1, 0.9, n) * span, rng.uniform(0, min(30, span / 3), n))
    last = np.where(rng.random(n) < lapse_share, first + rng.uniform(0.2, 0.8, n) * (span - first), span)
    rate = rng.gamma(2.0, orders_per_month / 2.0, n) / 30.0  # orders per day
    basket = rng.lognormal(3.3, 0.5, n)  # typical order value per customer
    n_orders = np.maximum(1, rng.poisson(rate * (last - first)))
    cust = np.repeat(np.arange(n), n_orders)
    day = first[cust] + rng.random(len(cust)) * (last[cust] - first[cust])
    day[np.r_[0, np.cumsum(n_orders)[:-1]]] = first  # everyone orders on their first day
    seconds = rng.integers(8 * 3600, 21 * 3600, len(cust))
    ts = t0 + pd.to_timedelta(np.floor(day), unit="D") + pd.to_timedelta(seconds, unit="s")
    order_ids = np.arange(len(cust)) + 500_000
    return {"transactions": _lines(rng, cust, ids, order_ids, ts, basket, lines=lines, stores=stores,
                                   return_share=return_share),
            "customers": pd.DataFrame({"customer_id": ids,
                                       "age_band": rng.choice(["19-34", "35-54", "55+"], n),
                                       "region": rng.choice(["north", "south", "east"], n)})}


def _lines(rng, cust, ids, order_ids, ts, basket, *, lines, stores, return_share) -> pd.DataFrame:
    k = rng.integers(lines[0], lines[1] + 1, len(cust))
    row = np.repeat(np.arange(len(cust)), k)
    amount = np.round(rng.gamma(2.0, 1.0, len(row)) * basket[cust[row]] / (2.0 * k[row]), 2) + 0.5
    is_return = rng.random(len(row)) < return_share
    amount = np.where(is_return, -amount, amount)
    product = rng.integers(1000, 1300, len(row))
    discount = np.round(np.where(rng.random(len(row)) < 0.3, np.abs(amount) * 0.1, 0.0), 2)
    store = rng.integers(1, stores + 1, len(cust))[row]
    return pd.DataFrame({
        "customer_id": ids[cust[row]], "order_id": order_ids[row],
        "ts": pd.DatetimeIndex(ts)[row].strftime(_TS_FORMAT), "amount": amount,
        "store_id": store, "channel": np.array(_CHANNELS)[(rng.random(len(cust)) < 0.2).astype(int)][row],
        "product_id": product, "category": np.array(_CATEGORIES)[product % len(_CATEGORIES)],
        "quantity": rng.integers(1, 4, len(row)), "discount": discount,
        "coupon_discount": np.where(rng.random(len(row)) < 0.2, discount, 0.0),
    })


def _campaign(rng, tables, *, sid, start, end, type_="mailer", reach=None, effect=5.0,
              respond=0.3, on_spend=True, expose_ts=True, name=None) -> None:
    """Add one strategy: targeted on spend before ``start`` (or on ``reach`` ids), exposures at its
    start, responses among the reached, and ``effect`` extra spend per reached customer-week
    while it runs (one extra order per week carrying it)."""
    tx = tables["transactions"]
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    times = pd.to_datetime(tx["ts"])
    before = tx[times < start_ts].groupby("customer_id")["amount"].sum()
    if reach is None:
        score = np.log1p(before.clip(lower=0))
        p = 1 / (1 + np.exp(-(score - score.median()) * (1.5 if on_spend else 0.0)))
        reach = before.index[rng.random(len(before)) < 0.6 * p]
    reach = np.asarray(sorted(reach))
    strategies = tables.get("strategies", pd.DataFrame())
    tables["strategies"] = pd.concat([strategies, pd.DataFrame([{
        "strategy_id": sid, "name": name or f"{type_} {sid}", "type": type_,
        "start": start_ts.date().isoformat(), "end": end_ts.date().isoformat(),
        "cost_per_contact": 0.4}])], ignore_index=True)
    exp = pd.DataFrame({"customer_id": reach, "strategy_id": sid})
    if expose_ts:
        exp["ts"] = (start_ts + pd.Timedelta(hours=9)).strftime(_TS_FORMAT)
    tables["exposures"] = pd.concat([tables.get("exposures", pd.DataFrame()), exp], ignore_index=True)
    days = (end_ts - start_ts).days + 1
    resp = reach[rng.random(len(reach)) < respond]
    if respond > 0:
        tables["responses"] = pd.concat([tables.get("responses", pd.DataFrame()), pd.DataFrame({
            "customer_id": resp, "strategy_id": sid,
            "ts": (start_ts + pd.to_timedelta(rng.integers(0, days, len(resp)), unit="D")
                   + pd.Timedelta(hours=12)).strftime(_TS_FORMAT),
            "value": 1.0})], ignore_index=True)
    tables["offers"] = pd.concat([tables.get("offers", pd.DataFrame()), pd.DataFrame({
        "strategy_id": [sid, sid], "category": list(rng.choice(_CATEGORIES, 2, replace=False))})],
        ignore_index=True)
    if effect:
        weeks = max(1, days // 7)
        cust = np.repeat(reach, weeks)
        when = (start_ts + pd.to_timedelta(np.tile(np.arange(weeks) * 7, len(reach))
                                           + rng.integers(0, 7, len(cust)), unit="D")
                + pd.to_timedelta(rng.integers(9 * 3600, 20 * 3600, len(cust)), unit="s"))
        extra = pd.DataFrame({
            "customer_id": cust, "order_id": np.arange(len(cust)) + 900_000 + 10_000 * len(tables["strategies"]),
            "ts": when.strftime(_TS_FORMAT), "amount": np.round(effect * rng.uniform(0.8, 1.2, len(cust)), 2),
            "store_id": 1, "channel": "store", "product_id": 1000,
            "category": _CATEGORIES[0], "quantity": 1, "discount": 0.0, "coupon_discount": 0.0})
        tables["transactions"] = pd.concat([tx, extra[tx.columns]], ignore_index=True)


def _with_campaigns(rng, n=240, **kw) -> dict[str, pd.DataFrame]:
    tables = _retailer(rng, n=n, start="2017-01-01", as_of="2017-12-31", **kw)
    _campaign(rng, tables, sid="M1", start="2017-05-01", end="2017-05-28", type_="mailer")
    _campaign(rng, tables, sid="D1", start="2017-09-04", end="2017-10-01", type_="display", effect=3.0)
    return tables


# -- the shapes ----------------------------------------------------------------------------

def no_newcomers(rng) -> Shape:
    tables = _retailer(rng, n=200, start="2017-01-01", as_of="2017-12-31", newcomer_share=0.0)
    return Shape({"transactions": tables["transactions"]}, "2017-12-31",
                 "transactions only; every customer's first order in January")


def one_campaign_whole_base(rng) -> Shape:
    tables = _retailer(rng, n=300, start="2017-01-01", as_of="2017-12-31")
    _campaign(rng, tables, sid="SPRING", start="2017-06-05", end="2017-07-02", effect=6.0)
    return Shape(tables, "2017-12-31", "one campaign over the whole base, targeted on past spend")


def null_campaign(rng) -> Shape:
    tables = _retailer(rng, n=300, start="2017-01-01", as_of="2017-12-31")
    _campaign(rng, tables, sid="NULL", start="2017-06-05", end="2017-07-02", effect=0.0)
    return Shape(tables, "2017-12-31", "one campaign with no effect")


def staggered_one_type(rng) -> Shape:
    tables = _retailer(rng, n=300, start="2017-01-01", as_of="2017-12-31")
    for k, month in enumerate(("03", "05", "07", "09")):
        _campaign(rng, tables, sid=f"W{k + 1}", start=f"2017-{month}-06", end=f"2017-{month}-26",
                  type_="winback", effect=4.0)
    return Shape(tables, "2017-12-31", "four staggered campaigns of one type")


def no_strategies(rng) -> Shape:
    tables = _retailer(rng, n=200, start="2017-01-01", as_of="2017-12-31")
    return Shape(tables, "2017-12-31", "transactions and customers, no strategy tables")


def exposures_no_responses(rng) -> Shape:
    tables = _retailer(rng, n=200, start="2017-01-01", as_of="2017-12-31")
    _campaign(rng, tables, sid="E1", start="2017-04-03", end="2017-04-30", respond=0.0)
    _campaign(rng, tables, sid="E2", start="2017-09-04", end="2017-10-01", respond=0.0, type_="display")
    tables.pop("responses", None)
    return Shape(tables, "2017-12-31", "strategies and exposures, no responses table")


def exposures_without_ts(rng) -> Shape:
    tables = _with_campaigns(rng)
    tables["exposures"] = tables["exposures"].drop(columns="ts")
    return Shape(tables, "2017-12-31", "exposures without a ts column")


def order_level(rng) -> Shape:
    tables = _with_campaigns(rng, lines=(1, 1))
    tx = tables["transactions"].drop(columns=["product_id", "category", "quantity"])
    tables["transactions"] = tx.groupby(["customer_id", "order_id", "ts", "store_id", "channel"],
                                        as_index=False)[["amount", "discount", "coupon_discount"]].sum()
    tables.pop("offers")
    return Shape(tables, "2017-12-31", "one row per order: no product, category or quantity")


def heavy_returns(rng) -> Shape:
    return Shape(_with_campaigns(rng, return_share=0.3), "2017-12-31", "30% of lines are returns")


def naive_dst(rng) -> Shape:
    tables = _with_campaigns(rng, n=200)
    tx = tables["transactions"]
    # shop-local times in the fall-back hour (occurs twice) and the spring-forward gap (never occurs)
    orders = tx.drop_duplicates("order_id").sample(40, random_state=int(rng.integers(1 << 31)))
    ambiguous = orders.iloc[:20]["order_id"]
    missing = orders.iloc[20:]["order_id"]
    minute = tx["order_id"] % 60
    tx.loc[tx["order_id"].isin(ambiguous), "ts"] = "2017-11-05 01:" + minute.astype(str).str.zfill(2) + ":00"
    tx.loc[tx["order_id"].isin(missing), "ts"] = "2017-03-12 02:" + minute.astype(str).str.zfill(2) + ":00"
    return Shape(tables, "2017-12-31", "naive local times, some in the DST fall-back hour and spring gap")


def six_weeks(rng) -> Shape:
    tables = _retailer(rng, n=200, start="2017-11-20", as_of="2017-12-31", orders_per_month=3.0)
    _campaign(rng, tables, sid="XMAS", start="2017-12-11", end="2017-12-24", effect=5.0)
    return Shape(tables, "2017-12-31", "six weeks of history, one campaign")


def three_years_monthly(rng) -> Shape:
    tables = _retailer(rng, n=150, start="2015-01-01", as_of="2017-12-31", orders_per_month=1.0,
                       lapse_share=0.1, newcomer_share=0.4)
    _campaign(rng, tables, sid="Y16", start="2016-03-07", end="2016-04-03")
    _campaign(rng, tables, sid="Y17", start="2017-03-06", end="2017-04-02")
    return Shape(tables, "2017-12-31", "three years of roughly monthly buyers")


def forty_customers(rng) -> Shape:
    return Shape(_with_campaigns(rng, n=40), "2017-12-31", "40 customers with two campaigns")


def numeric_strategy_ids(rng) -> Shape:
    tables = _with_campaigns(rng)
    ids = {sid: i + 1 for i, sid in enumerate(tables["strategies"]["strategy_id"])}
    for name in ("strategies", "exposures", "responses", "offers"):
        tables[name] = tables[name].assign(strategy_id=tables[name]["strategy_id"].map(ids))
    return Shape(tables, "2017-12-31", "strategy ids 1, 2 (numbers)")


def no_customers_table(rng) -> Shape:
    tables = _with_campaigns(rng)
    tables.pop("customers")
    return Shape(tables, "2017-12-31", "no customers table")


def one_store(rng) -> Shape:
    tables = _with_campaigns(rng, stores=1)
    tables["transactions"]["store_id"] = 1
    tables["transactions"]["channel"] = "store"
    return Shape(tables, "2017-12-31", "one store, one channel")


def one_customer(rng) -> Shape:
    tables = _retailer(rng, n=1, start="2017-01-01", as_of="2017-12-31", newcomer_share=0.0,
                       lapse_share=0.0, orders_per_month=4.0)
    _campaign(rng, tables, sid="SOLO", start="2017-06-05", end="2017-07-02", reach=tables["customers"]["customer_id"])
    return Shape(tables, "2017-12-31", "a single customer, reached by one campaign")


def japanese_cp932(rng) -> Shape:
    # a Japanese retailer's export: Shift-JIS (cp932) files, Japanese categories, store, strategy
    # and attribute values; every chart must draw them (no empty boxes, no missing-glyph warning)
    tables = _with_campaigns(rng)
    ja = dict(zip(_CATEGORIES, ("食品", "青果", "精肉", "日用品・医薬品", "パン・菓子", "惣菜")))
    tables["transactions"]["category"] = tables["transactions"]["category"].map(ja)
    tables["offers"]["category"] = tables["offers"]["category"].map(ja)
    tables["transactions"]["channel"] = tables["transactions"]["channel"].map({"store": "店舗", "online": "ネット"})
    tables["strategies"] = tables["strategies"].assign(
        name=["春のダイレクトメール", "秋の店頭ディスプレイ"], type=["ダイレクトメール", "店頭"])
    customers = tables["customers"]
    customers["region"] = customers["region"].map({"north": "北海道", "south": "九州", "east": "関東"})
    customers["age_band"] = customers["age_band"].map({"19-34": "19～34歳", "35-54": "35～54歳", "55+": "55歳以上"})
    return Shape(tables, "2017-12-31", "cp932 files with Japanese names", params={"encoding": "cp932"},
                 encoding="cp932")


def spreadsheet_export(rng) -> Shape:
    # a European shop system's export: BOM, headers as a person wrote them (aliases, capitals,
    # spaces), e-mail addresses as customer ids, times with a UTC offset, money with a decimal
    # comma, thousands points and a currency sign
    tables = _with_campaigns(rng)
    email = {c: f"kunde.{i:04d}@example.de" for i, c in enumerate(sorted(tables["customers"]["customer_id"]))}
    for name in ("transactions", "customers", "exposures", "responses"):
        tables[name]["customer_id"] = tables[name]["customer_id"].map(email)

    def money(values: pd.Series) -> pd.Series:
        text = values.map(lambda v: f"{v:,.2f}").str.replace(",", " ").str.replace(".", ",").str.replace(" ", ".")
        return text.where(values.abs() < 50, text + " €")

    def offset(values: pd.Series) -> pd.Series:  # shop time in Berlin written with its offset
        local = pd.to_datetime(values).dt.tz_localize("Europe/Berlin", ambiguous=True, nonexistent="shift_forward")
        return local.map(lambda t: t.isoformat())

    tx = tables["transactions"]
    for col in ("amount", "discount", "coupon_discount"):
        tx[col] = money(tx[col])
    tx["ts"] = offset(tx["ts"])
    tables["transactions"] = tx.rename(columns={"customer_id": "Member ID", "order_id": "Transaction ID",
                                                "ts": "Timestamp", "amount": "Sales", "store_id": "Store ID"})
    tables["exposures"]["ts"] = offset(tables["exposures"]["ts"])
    tables["responses"]["ts"] = offset(tables["responses"]["ts"])
    tables["responses"]["value"] = money(tables["responses"]["value"])
    tables["strategies"]["cost_per_contact"] = money(tables["strategies"]["cost_per_contact"])
    tables["strategies"] = tables["strategies"].rename(columns={"strategy_id": "Campaign ID", "start": "Start Date",
                                                                "end": "End Date"})
    return Shape(tables, "2017-12-31", "BOM, human headers, e-mail ids, +01:00 offsets, 1.234,50 €",
                 params={"decimal": '","', "data_tz": "Europe/Berlin"}, encoding="utf-8-sig")


def parquet_typed(rng) -> Shape:
    # Parquet from a warehouse: integer ids, UTC-aware times, float money, date-typed start/end
    tables = _with_campaigns(rng)
    number = {c: 10_000_000_000 + i for i, c in enumerate(sorted(tables["customers"]["customer_id"]))}
    for name in ("transactions", "customers", "exposures", "responses"):
        tables[name]["customer_id"] = tables[name]["customer_id"].map(number).astype("int64")
    for name in ("transactions", "exposures", "responses"):
        tables[name]["ts"] = (pd.to_datetime(tables[name]["ts"]).dt.tz_localize("America/New_York", ambiguous=True,
                                                                             nonexistent="shift_forward")
                              .dt.tz_convert("UTC"))
    for col in ("start", "end"):
        tables["strategies"][col] = pd.to_datetime(tables["strategies"][col]).dt.date
    return Shape(tables, "2017-12-31", "Parquet with native types: int64 ids, UTC times, dates",
                 format="parquet")


SHAPES: dict[str, Callable[[np.random.Generator], Shape]] = {f.__name__: f for f in (
    no_newcomers, one_campaign_whole_base, null_campaign, staggered_one_type, no_strategies,
    exposures_no_responses, exposures_without_ts, order_level, heavy_returns, naive_dst, six_weeks,
    three_years_monthly, forty_customers, numeric_strategy_ids, no_customers_table, one_store,
    one_customer, japanese_cp932, spreadsheet_export, parquet_typed)}


def generate(name: str, *, seed: int = 0) -> Shape:
    """The shape ``name`` from ``seed`` (the same seed gives the same tables)."""
    index = list(SHAPES).index(name)
    return SHAPES[name](np.random.default_rng([seed, index]))


def write(name: str, folder: str | Path, *, seed: int = 0) -> Shape:
    """Write shape ``name`` as ``<table>.csv`` files into ``folder``; return it."""
    shape = generate(name, seed=seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for table, frame in shape.tables.items():
        if shape.format == "parquet":
            frame.to_parquet(folder / f"{table}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{table}.csv", index=False, encoding=shape.encoding)
    return shape
