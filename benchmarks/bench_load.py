"""Load + validate (``datasets.prepare``, then ``open_prepared`` at the cut-off) next to a bare
DuckDB read + group-by of the same files, in the same run.

For each size (copies of The Complete Journey with distinct ids, as a user's Parquet folder:
``common.replicated_folder``), each variant runs in a fresh process so that its peak memory
(VmHWM) is its own:

* ``prepare``: validate the folder into a new prepared folder (every rule of validation; the
  transaction lines out of core, the other tables read as they are);
* ``open``: open the prepared folder at the cut-off (the transactions' rejects and
  reconciliation at that date, the other tables cleaned), what every step does first;
* ``bare``: one DuckDB query reading every column validation reads (all the transaction
  columns) and grouping the lines by customer: the floor for any pass over the lines;
* ``rfm``: the read + group-by of ``../shared/research/scale.md`` (section 2.3): per customer,
  distinct orders, last time and net spend before the cut-off;
* ``distinct``: DuckDB's count of distinct line keys (a hash of order, time, amount and
  product per line): the least a duplicate check costs in DuckDB, whatever else it does;
* ``bare_copy``: the same columns read and written back as one Parquet file (the floor for
  writing a validated copy);
* ``spark_prepare``: the same validation with the Spark engine (``userops.sparkload``) on a
  local session (``local[2]``), timed once the session is up (its start is shown apart); the
  peak memory is the Python process's (the JVM's is not in it).

DuckDB runs with the same memory cap in every variant (``USEROPS_DUCKDB_MEMORY``, default 2GB).

Usage:
  python benchmarks/bench_load.py --sizes 1,10
  python benchmarks/bench_load.py --sizes 68 --reps 1
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

VARIANTS = ("bare", "rfm", "distinct", "bare_copy", "prepare", "open", "spark_prepare")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--reps", type=int, default=1, help="runs per variant (the median is shown)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="which of " + ", ".join(VARIANTS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_work(args.worker, Path(args.path))))
        return
    rows = []
    for size in [int(x) for x in args.sizes.split(",")]:
        folder = common.replicated_folder(size)
        lines = common.lines_in(folder / "transactions.parquet")
        scratch = Path(tempfile.mkdtemp(prefix=f"bench-load-{size}x-", dir=common.DATA))
        try:
            for kind in [k for k in VARIANTS if k in args.variants.split(",")]:
                runs = [_measure(kind, folder, scratch) for _ in range(args.reps)]
                runs.sort(key=lambda r: r["seconds"])
                best = runs[len(runs) // 2]
                rows.append({"size": size, "lines": lines, **best})
                print(f"  {size}x {kind}: {best['seconds']:.2f} s, peak {best['peak_mib']:.0f} MiB",
                      file=sys.stderr, flush=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    _print(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


def _measure(kind: str, folder: Path, scratch: Path) -> dict:
    if kind in ("prepare", "spark_prepare"):  # a new store each time: nothing to reuse
        shutil.rmtree(scratch / "store", ignore_errors=True)
    if kind == "open":  # the cut computed again each time, not read from an earlier open
        for cut in (scratch / "store").glob("prepared/*/at-*"):
            shutil.rmtree(cut)
    out = subprocess.run([sys.executable, __file__, "--worker", kind, "--path", str(folder)],
                         capture_output=True, text=True, check=True, cwd=scratch)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _work(kind: str, folder: Path) -> dict:
    from userops import datasets, outofcore

    store = Path.cwd() / "store"
    t0 = time.perf_counter()
    extra: dict[str, object] = {}
    if kind in ("bare", "rfm", "distinct", "bare_copy"):
        con = outofcore.connect(Path.cwd())
        cols = [r[0] for r in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet('{folder / 'transactions.parquet'}')").fetchall()]
        src = f"read_parquet('{folder / 'transactions.parquet'}')"
        if kind == "bare":
            aggs = ", ".join(f"count({c})" if c in ("order_id", "store_id", "product_id", "category")
                             else f"max({c})" if c == "ts" else f"sum({c})"
                             for c in cols if c != "customer_id")
            n = con.execute(f"SELECT count(*) FROM (SELECT customer_id, {aggs} FROM {src} "
                            "GROUP BY customer_id)").fetchone()[0]
            extra["groups"] = int(n)
        elif kind == "distinct":
            n = con.execute(f"SELECT count(DISTINCT hash(order_id, ts, amount, product_id)) FROM {src}").fetchone()[0]
            extra["distinct_keys"] = int(n)
        elif kind == "rfm":
            n = con.execute(f"SELECT count(*) FROM (SELECT customer_id, count(DISTINCT order_id), max(ts), "
                            f"sum(amount - coalesce(discount, 0)) FROM {src} WHERE ts < DATE '{common.AS_OF}' "
                            "+ INTERVAL 1 DAY GROUP BY customer_id)").fetchone()[0]
            extra["groups"] = int(n)
        else:
            con.execute(f"COPY (SELECT * FROM {src}) TO 'copy.parquet' (FORMAT parquet, COMPRESSION zstd)")
            Path("copy.parquet").unlink()
        con.close()
    elif kind == "prepare":
        said: list[str] = []
        path = datasets.prepare(folder, store=store, as_of=common.AS_OF, log=said.append)
        extra["log"] = said
        extra["prepared_mib"] = round(sum(p.stat().st_size for p in path.iterdir()) / 2**20, 1)
    elif kind == "spark_prepare":
        from userops import features
        t1 = time.perf_counter()
        features.use(features.spark(master="local[2]"))
        extra["session_s"] = round(time.perf_counter() - t1, 1)
        said = []
        t0 = time.perf_counter()
        path = datasets.prepare(folder, store=store, as_of=common.AS_OF, log=said.append)
        extra["log"] = said
        extra["on_spark"] = (path / "lines").is_dir()
    elif kind == "open":
        path = datasets.prepare(folder, store=store, as_of=common.AS_OF, log=lambda *_: None)
        t0 = time.perf_counter()  # the preparation (reused, or made by an earlier variant) is not timed
        ds = datasets.open_prepared(path, as_of=common.AS_OF)
        extra["kept_lines"] = ds.row_counts()["transactions"]
    else:
        raise ValueError(kind)
    return {"kind": kind, "seconds": round(time.perf_counter() - t0, 3), "peak_mib": round(common.peak_mib(), 1),
            **extra}


def _print(rows: list[dict]) -> None:
    print(f"{'size':>5} {'lines':>12} {'variant':>10} {'seconds':>9} {'peak MiB':>9} {'x bare':>7}")
    bare = {r["size"]: r["seconds"] for r in rows if r["kind"] == "bare"}
    for r in rows:
        ratio = r["seconds"] / bare[r["size"]] if bare.get(r["size"]) else float("nan")
        print(f"{r['size']:>4}x {r['lines']:>12,} {r['kind']:>10} {r['seconds']:>9.2f} {r['peak_mib']:>9.0f} "
              f"{ratio:>7.1f}")
    rfm = {r["size"]: r["seconds"] for r in rows if r["kind"] == "rfm"}
    distinct = {r["size"]: r["seconds"] for r in rows if r["kind"] == "distinct"}
    for size in sorted(set(bare) | set(rfm) | set(distinct)):
        load = sum(r["seconds"] for r in rows if r["size"] == size and r["kind"] in ("prepare", "open"))
        said = [f"{load / base[size]:.1f} x the {name}" for name, base in
                (("bare read + group-by", bare), ("RFM read + group-by", rfm),
                 ("distinct count of line keys", distinct)) if base.get(size)]
        print(f"{size}x load + validate (prepare + open): {load:.2f} s = {', '.join(said)}")


if __name__ == "__main__":
    main()
