"""What the benchmark scripts share: replicated data, fresh-process workers, peak memory."""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).resolve().parent / "_data"
AS_OF = "2017-12-31"
CORE = ("customer_id", "order_id", "ts", "amount")


def replicated(size: int, *, columns: tuple[str, ...] = CORE) -> Path:
    """The Complete Journey's canonical transactions (``columns``) repeated ``size`` times with
    distinct customer and order ids, as one Parquet file under benchmarks/_data (cached)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from userops import datasets

    path = DATA / f"tx_{len(columns)}cols_{size}x.parquet"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    tx = datasets.load("completejourney").transactions[list(columns)]
    base = pa.Table.from_pandas(tx, preserve_index=False)
    with pq.ParquetWriter(path, base.schema) as writer:
        for k in range(size):
            rep = tx if k == 0 else tx.assign(customer_id=tx["customer_id"] + f"-{k}",
                                              order_id=tx["order_id"] + f"-{k}")
            writer.write_table(pa.Table.from_pandas(rep, preserve_index=False, schema=base.schema))
    return path


def replicated_folder(size: int) -> Path:
    """The Complete Journey as a user's data folder (every canonical table, Parquet) repeated
    ``size`` times with distinct ids: copy k adds k * 10**8 to customer and order ids; strategies
    and offers are shared, exposures and responses follow their customers. Cached under
    benchmarks/_data/cj_<size>x/; 68x is about 100M lines."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from userops import datasets

    folder = DATA / f"cj_{size}x"
    if (folder / "transactions.parquet").exists():
        return folder
    tmp = DATA / f".cj_{size}x.partial"
    tmp.mkdir(parents=True, exist_ok=True)
    raw = datasets._completejourney()
    step = 10**8
    for name, frame in raw.items():
        shared = name in ("strategies", "offers")
        parts = [frame] if shared else (
            frame.assign(**{c: frame[c] + k * step for c in ("customer_id", "order_id") if c in frame})
            for k in range(size))
        schema = pa.Table.from_pandas(frame, preserve_index=False).schema
        # times in microseconds: Spark 4.0 cannot read nanoseconds (PARQUET_TYPE_ILLEGAL)
        with pq.ParquetWriter(tmp / f"{name}.parquet", schema, coerce_timestamps="us") as writer:
            for part in parts:
                writer.write_table(pa.Table.from_pandas(part, preserve_index=False, schema=schema))
    tmp.rename(folder)
    return folder


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would carry the parent's over fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def timed(fn: Callable[[], object], reps: int, *, warmup: bool = True) -> tuple[float, float, object]:
    """(median, min) seconds over ``reps`` runs (after one warm-up run unless ``warmup`` is
    False), and the last result."""
    out = fn() if warmup else None
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), out


def main(script: str, run: Callable[[str, str], int], report: Callable[[argparse.Namespace], None],
         *, reps: int) -> None:
    """Command line shared by the scripts: ``--worker KIND --path P`` runs ``run(kind, path)``
    in this (fresh) process and prints JSON; otherwise ``report(args)`` prints the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--reps", type=int, default=reps)
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument("--worker")
    parser.add_argument("--path")
    args = parser.parse_args()
    if not args.worker:
        report(args)
        return
    median, least, n = timed(lambda: run(args.worker, args.path), args.reps)
    print(json.dumps({"kind": args.worker, "median_s": median, "min_s": least,
                      "peak_mib": peak_mib(), "customers": n}))


def measure(script: str, kind: str, path: Path, reps: int) -> dict:
    """Run one variant in a fresh process (so that its peak memory is its own)."""
    out = subprocess.run([sys.executable, script, "--worker", kind, "--path", str(path), "--reps", str(reps)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def lines_in(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows
