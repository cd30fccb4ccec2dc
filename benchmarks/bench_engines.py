"""The aggregation layer (userops.features, as the six steps call it) on DuckDB and on Spark.

The Complete Journey repeated 1x and 10x with distinct ids (common.replicated_folder) is
prepared once (validated by DuckDB into benchmarks/_data/store, not timed here: see
bench_load.py), and the prepared lines are written once as the Parquet file that engines other
than DuckDB read (not timed either). Then, in a fresh process per engine and size, every
features table of the six steps is computed from those lines: step 1 (collapse, rfm,
recency_snapshots, purchase_days), step 2 (preferences, category_spend), step 3 (first_line,
period_activity, monthly_activity), step 4 (order_days_table + window_orders), steps 5/6
(weekly_table, first_weeks, week_windows). Printed: seconds to start the engine (Spark: a
local[2] session, the JVM included), seconds of the features (one run after one warm-up run
at 1x; one cold run at 10x, like a report), and the process's peak memory (the Spark JVM is
a child process: its peak is printed apart, from psutil).

Usage: python benchmarks/bench_engines.py [--sizes 1,10] [--engines duckdb,spark]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import common

STORE = common.DATA / "store"


def prepared(size: int) -> Path:
    """The prepared folder of the size's data (validated once, reused), its engine lines written."""
    from userops import datasets

    folder = datasets.prepare(common.replicated_folder(size), store=STORE, as_of=common.AS_OF,
                              log=lambda *_: None)
    ds = datasets.open_prepared(folder, as_of=common.AS_OF)
    if ds.lines_sql is not None:
        datasets._engine_lines(ds.path, ds.lines_sql)
    return folder


def aggregation_layer(ds) -> dict[str, int]:
    """The features calls of the six notebooks, with their default parameters."""
    import pandas as pd

    from userops import features

    as_of = ds.as_of
    rows = {}
    orders = features.collapse(ds.lines(), as_of=as_of)
    rows["rfm"] = len(features.rfm(orders, as_of=as_of))
    snaps = list(pd.date_range(as_of - pd.DateOffset(months=9), as_of - pd.Timedelta(days=30), freq="ME"))
    rows["recency_snapshots"] = len(features.recency_snapshots(orders, snapshots=snaps, horizon_days=30))
    rows["purchase_days"] = len(features.purchase_days(orders, as_of=as_of))
    rows["preferences"] = len(features.preferences(ds.lines(), as_of=as_of))
    rows["category_spend"] = len(features.category_spend(ds.lines(), as_of=as_of))
    features.first_line(ds.lines())
    bounds = features.period_bounds(as_of=as_of, period="Q", n_periods=4)
    rows["period_activity"] = len(features.period_activity(ds.lines(), bounds=bounds))
    rows["monthly_activity"] = len(features.monthly_activity(ds.lines(), as_of=as_of))
    ids = features.rfm(orders, as_of=as_of)["customer_id"].head(20000)
    windows = pd.DataFrame({"customer_id": ids, "start": as_of - pd.Timedelta(days=60), "end": as_of - pd.Timedelta(days=30)})
    flags = features.window_orders(features.order_days_table(ds.lines(), as_of=as_of), windows=windows, after_days=30)
    rows["window_orders"] = int(flags["during"].sum())
    weekly = features.weekly_table(ds.lines(), as_of=as_of)
    rows["first_weeks"] = len(features.first_weeks(weekly))
    monday = (as_of - pd.Timedelta(days=as_of.day_of_week)).normalize()
    wins = pd.DataFrame({"window": [0, 1], "start": [monday - pd.Timedelta(weeks=25), monday - pd.Timedelta(weeks=12)],
                         "end": [monday - pd.Timedelta(weeks=13), monday]})
    rows["week_windows"] = len(features.week_windows(weekly, windows=wins))
    return rows


def worker(engine: str, folder: str, warmup: bool) -> dict:
    from userops import datasets, features

    t0 = time.perf_counter()
    con = features.spark() if engine == "spark" else features.connect()
    con.execute(features.memtable(__import__("pandas").DataFrame({"x": [1]})).count())  # started
    start_s = time.perf_counter() - t0
    features.use(con)
    ds = datasets.open_prepared(folder, as_of=common.AS_OF)
    if warmup:
        aggregation_layer(ds)
    t1 = time.perf_counter()
    rows = aggregation_layer(ds)
    return {"engine": engine, "start_s": start_s, "features_s": time.perf_counter() - t1,
            "peak_mib": common.peak_mib(), "rows": rows}


def measure(engine: str, folder: Path, warmup: bool) -> dict:
    """One fresh process; the peak memory of its children (the Spark JVM) sampled with psutil."""
    import psutil

    proc = subprocess.Popen([sys.executable, __file__, "--worker", engine, "--path", str(folder)]
                            + (["--warmup"] if warmup else []), stdout=subprocess.PIPE, text=True)
    peak = {"children": 0.0}

    def sample() -> None:
        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                rss = sum(c.memory_info().rss for c in p.children(recursive=True))
                peak["children"] = max(peak["children"], rss / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    out, _ = proc.communicate()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"{engine} worker failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["jvm_peak_mib"] = peak["children"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--worker")
    parser.add_argument("--path")
    parser.add_argument("--warmup", action="store_true")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.path, args.warmup)))
        return
    print(f"{'size':>4} {'lines':>11} {'customers':>9} {'engine':<7} {'start s':>8} {'features s':>10} "
          f"{'peak MiB':>9} {'JVM MiB':>8}")
    results = {}
    for size in (int(x) for x in args.sizes.split(",")):
        folder = prepared(size)
        from userops import datasets
        ds = datasets.open_prepared(folder, as_of=common.AS_OF)
        n_lines = ds.row_counts()["transactions"]
        for engine in args.engines.split(","):
            r = measure(engine, folder, warmup=size == 1)
            results[(size, engine)] = r["rows"]
            print(f"{size:>3}x {n_lines:>11,} {r['rows']['rfm']:>9,} {engine:<7} {r['start_s']:>8.1f} "
                  f"{r['features_s']:>10.1f} {r['peak_mib']:>9,.0f} {r['jvm_peak_mib']:>8,.0f}", flush=True)
        same = {results[(size, e)] == results[(size, "duckdb")] for e in args.engines.split(",")
                if (size, "duckdb") in results}
        if same:
            print(f"     row counts of every table equal across engines: {same == {True}}")


if __name__ == "__main__":
    main()
