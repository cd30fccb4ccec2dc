"""Step 2's preference features at 1x and 10x the real data (ibis on DuckDB, Parquet in place).

Prints lines, customers, median seconds over repeated runs in one fresh process and that
process's peak memory for features.preferences and features.category_spend, and for the
feature table with clustering (profiles.feature_table + profiles.cluster, k = 2..8).
Usage: python benchmarks/bench_features.py [--sizes 1,10] [--reps 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
AS_OF = "2017-12-31"
COLUMNS = ["customer_id", "order_id", "ts", "amount", "store_id", "category", "discount", "coupon_discount"]


def make_data(size: int) -> Path:
    """Canonical transactions with the columns step 2 reads, replicated with distinct ids."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from userops import datasets

    path = DATA / f"tx_full_{size}x.parquet"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    tx = datasets.load("completejourney").transactions[COLUMNS]
    base = pa.Table.from_pandas(tx, preserve_index=False)
    with pq.ParquetWriter(path, base.schema) as writer:
        for k in range(size):
            rep = tx if k == 0 else tx.assign(customer_id=tx["customer_id"] + f"-{k}",
                                              order_id=tx["order_id"] + f"-{k}")
            writer.write_table(pa.Table.from_pandas(rep, preserve_index=False, schema=base.schema))
    return path


def worker(kind: str, path: str, reps: int) -> None:
    times, n = [], 0
    for _ in range(reps + 1):
        t0 = time.perf_counter()
        n = _run(kind, path)
        times.append(time.perf_counter() - t0)
    peak = next(int(l.split()[1]) / 1024 for l in Path("/proc/self/status").read_text().splitlines()
                if l.startswith("VmHWM:"))
    print(json.dumps({"kind": kind, "median_s": statistics.median(times[1:]), "peak_mib": peak, "customers": n}))


def _run(kind: str, path: str) -> int:
    from userops import features, profiles

    prefs = features.preferences(path, as_of=AS_OF)
    cats = features.category_spend(path, as_of=AS_OF)
    if kind == "features":
        return len(prefs)
    table = profiles.feature_table(prefs, cats)
    usable, _ = profiles.usable(table, [c for c in table.columns if c not in ("customer_id", "orders", "spend")])
    return len(profiles.cluster(table, features=usable).labels)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--worker")
    parser.add_argument("--path")
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.path, args.reps)
        return
    import pyarrow.parquet as pq

    print(f"{'size':>4} {'lines':>11} {'variant':<22} {'customers':>9} {'median s':>9} {'peak MiB':>9}")
    for size in (int(x) for x in args.sizes.split(",")):
        path = make_data(size)
        lines = pq.ParquetFile(path).metadata.num_rows
        for kind in ("features", "features+clustering"):
            out = subprocess.run([sys.executable, __file__, "--worker", kind, "--path", str(path),
                                  "--reps", str(args.reps)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{size:>3}x {lines:>11,} {kind:<22} {r['customers']:>9,} {r['median_s']:>9.2f} "
                  f"{r['peak_mib']:>9,.0f}", flush=True)


if __name__ == "__main__":
    main()
