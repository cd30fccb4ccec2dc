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

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
AS_OF = "2017-12-31"

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


def make_data(size: int) -> Path:
    """Write the canonical transactions, replicated ``size`` times with distinct ids."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from userops import datasets

    path = DATA / f"tx_{size}x.parquet"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    tx = datasets.load("completejourney").transactions[["customer_id", "order_id", "ts", "amount"]]
    base = pa.Table.from_pandas(tx, preserve_index=False)
    with pq.ParquetWriter(path, base.schema) as writer:
        for k in range(size):
            if k == 0:
                writer.write_table(base)
                continue
            rep = tx.assign(customer_id=tx["customer_id"] + f"-{k}", order_id=tx["order_id"] + f"-{k}")
            writer.write_table(pa.Table.from_pandas(rep, preserve_index=False, schema=base.schema))
    return path


def worker(kind: str, path: str, reps: int) -> None:
    """Run one variant ``reps`` times in this process and print JSON (times, peak RSS)."""
    import pandas as pd

    times = []
    for _ in range(reps + 1):  # first run warms the page cache and imports
        t0 = time.perf_counter()
        n = _run_variant(kind, path, pd)
        times.append(time.perf_counter() - t0)
    peak = _peak_mib()
    print(json.dumps({"kind": kind, "median_s": statistics.median(times[1:]),
                      "min_s": min(times[1:]), "peak_mib": peak, "customers": n}))


def _peak_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's over fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run_variant(kind: str, path: str, pd) -> int:
    if kind == "duckdb":
        import duckdb

        cutoff = (pd.Timestamp(AS_OF) + pd.Timedelta(days=1)).isoformat(sep=" ")
        con = duckdb.connect()
        out = con.sql(SQL.format(path=path, cutoff=cutoff, as_of=AS_OF)).df()
        con.close()
        return len(out)
    from userops import features, tiers

    orders = features.collapse(path, as_of=AS_OF)
    rfm = features.rfm(orders, as_of=AS_OF)
    if kind == "userops-step1":
        snaps = features.recency_snapshots(orders, snapshots=tiers.snapshot_dates(
            data_start=rfm["first_day"].min(), as_of=pd.Timestamp(AS_OF)))
        lifecycle = tiers.derive_lifecycle(snaps)
        t = tiers.derive_thresholds(rfm, lifecycle=lifecycle)
    else:
        t = tiers.derive_thresholds(rfm, at_risk_days=21, dormant_days=64)
    return len(tiers.assign(rfm, thresholds=t))


def measure(kind: str, path: Path, reps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--path", str(path),
                          "--reps", str(reps)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--worker")
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.path, args.reps)
        return
    import pyarrow.parquet as pq

    print(f"{'size':>4} {'lines':>11} {'variant':<15} {'customers':>9} {'median s':>9} "
          f"{'min s':>7} {'peak MiB':>9} {'x DuckDB':>8}")
    for size in (int(s) for s in args.sizes.split(",")):
        path = make_data(size)
        lines = pq.ParquetFile(path).metadata.num_rows
        duck = measure("duckdb", path, args.reps)
        for res in (duck, measure("userops-rfm", path, args.reps),
                    measure("userops-step1", path, args.reps)):
            print(f"{size:>3}x {lines:>11,} {res['kind']:<15} {res['customers']:>9,} "
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
    main()
