"""Step 1's RFM table at 1x and 10x the real data, next to one DuckDB SQL query; and `make report`.

Prints, for each size: lines, customers, median seconds over repeated runs inside one fresh
process, and that process's peak RSS (imports included), for
  - userops step 1: lines collapsed to orders once (ibis on DuckDB, Parquet read in place),
    features.rfm + recency snapshots + lifecycle fit + thresholds + scores, segments, groups and
    stages (tiers.assign), as the step 1 notebook runs them;
  - userops RFM only: the same without the snapshots and the lifecycle fit (days fixed);
  - DuckDB SQL: the same R/F/M aggregation as one query over the same Parquet file;
and the ratio of each userops variant to DuckDB. Then the wall time of the whole report.

Usage: python benchmarks/bench_rfm.py [--sizes 1,10] [--reps 5] [--no-report]
The 10x file replicates The Complete Journey with distinct customer and order ids (14.7M lines).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time

import common

SQL = """
WITH o AS (
  SELECT customer_id, order_id, CAST(min(ts) AS DATE) AS day,
         sum(CAST(round(amount * 100) AS BIGINT)) AS cents
  FROM read_parquet('{path}') WHERE ts < TIMESTAMP '{cutoff}' GROUP BY customer_id, order_id)
SELECT customer_id,
       date_diff('day', max(day) FILTER (WHERE cents > 0), DATE '{as_of}') AS recency_days,
       count(*) FILTER (WHERE cents > 0 AND date_diff('day', day, DATE '{as_of}') < 365) AS frequency,
       sum(cents) FILTER (WHERE date_diff('day', day, DATE '{as_of}') < 365) / 100.0 AS monetary
FROM o GROUP BY customer_id ORDER BY customer_id
"""


def run(kind: str, path: str) -> int:
    import pandas as pd

    if kind == "duckdb":
        import duckdb

        cutoff = (pd.Timestamp(common.AS_OF) + pd.Timedelta(days=1)).isoformat(sep=" ")
        con = duckdb.connect()
        out = con.sql(SQL.format(path=path, cutoff=cutoff, as_of=common.AS_OF)).df()
        con.close()
        return len(out)
    from userops import features, tiers

    orders = features.collapse(path, as_of=common.AS_OF)
    rfm = features.rfm(orders, as_of=common.AS_OF)
    if kind == "userops-step1":
        snaps = features.recency_snapshots(orders, snapshots=tiers.snapshot_dates(
            data_start=rfm["first_day"].min(), as_of=pd.Timestamp(common.AS_OF)))
        t = tiers.derive_thresholds(rfm, lifecycle=tiers.derive_lifecycle(snaps))
    else:
        t = tiers.derive_thresholds(rfm, at_risk_days=21, dormant_days=64)
    return len(tiers.assign(rfm, thresholds=t))


def report(args) -> None:
    print(f"{'size':>4} {'lines':>11} {'variant':<15} {'customers':>9} {'median s':>9} "
          f"{'min s':>7} {'peak MiB':>9} {'x DuckDB':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        path = common.replicated(size)
        duck = common.measure(__file__, "duckdb", path, args.reps)
        for res in (duck, common.measure(__file__, "userops-rfm", path, args.reps),
                    common.measure(__file__, "userops-step1", path, args.reps)):
            print(f"{size:>3}x {common.lines_in(path):>11,} {res['kind']:<15} {res['customers']:>9,} "
                  f"{res['median_s']:>9.3f} {res['min_s']:>7.3f} {res['peak_mib']:>9.0f} "
                  f"{res['median_s'] / duck['median_s']:>8.2f}", flush=True)
    if not args.no_report:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "userops", "report", "--out", out], check=True,
                           capture_output=True)
            print(f"whole report (python -m userops report, embedded data): "
                  f"{time.perf_counter() - t0:.1f} s wall")


if __name__ == "__main__":
    common.main(__file__, run, report, reps=5)
