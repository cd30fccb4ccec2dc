"""Write data/sample/: a tiny, deterministic slice of The Complete Journey as canonical CSV files.

It shows the file format a user's own data folder needs and feeds the fast tests.
Run: python data/make_sample.py
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from userops import datasets
from userops import schema as s

N_HOUSEHOLDS = 25
START, AS_OF = "2017-10-01", "2017-12-31"


def main() -> None:
    out = Path(__file__).parent / "sample"
    out.mkdir(exist_ok=True)
    ds = datasets.load("completejourney", as_of=AS_OF)
    ids = sorted(ds.transactions[s.CUSTOMER_ID].unique(), key=int)[:: 2469 // N_HOUSEHOLDS][:N_HOUSEHOLDS]
    tx = ds.transactions
    tx = tx[tx[s.CUSTOMER_ID].isin(ids) & (tx[s.TS] >= pd.Timestamp(START))]
    tx = tx.drop(columns=[s.COUPON_DISCOUNT]).sort_values([s.TS, s.ORDER_ID, s.PRODUCT_ID])
    tables = {
        "transactions": tx.assign(ts=tx[s.TS].dt.strftime("%Y-%m-%d %H:%M:%S")),
        "customers": ds.tables["customers"][ds.tables["customers"][s.CUSTOMER_ID].isin(ids)],
        "strategies": ds.tables["strategies"].assign(
            start=lambda d: d[s.START].dt.date, end=lambda d: d[s.END].dt.date),
        "exposures": ds.tables["exposures"][ds.tables["exposures"][s.CUSTOMER_ID].isin(ids)],
        "responses": ds.tables["responses"][ds.tables["responses"][s.CUSTOMER_ID].isin(ids)],
        # what each campaign offered, at category level (the coupon products would be large)
        "offers": ds.tables["offers"][[s.STRATEGY_ID, s.CATEGORY]].dropna().drop_duplicates()
        .sort_values([s.STRATEGY_ID, s.CATEGORY], key=lambda c: c.astype(str)),
    }
    tables["responses"] = tables["responses"].assign(
        ts=tables["responses"][s.TS].dt.strftime("%Y-%m-%d %H:%M:%S"))
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
        print(f"{name}: {len(frame):,} rows")


if __name__ == "__main__":
    main()
