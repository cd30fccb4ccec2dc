"""Step 2's preference features at 1x and 10x the real data (ibis on DuckDB, Parquet in place).

Prints lines, customers, median seconds over repeated runs in one fresh process and that
process's peak memory for features.preferences and features.category_spend, and for the
feature table with clustering (profiles.feature_table + profiles.cluster, k = 2..8).
Usage: python benchmarks/bench_features.py [--sizes 1,10] [--reps 3]
"""
from __future__ import annotations

import common

COLUMNS = ("customer_id", "order_id", "ts", "amount", "store_id", "category", "discount", "coupon_discount")


def run(kind: str, path: str) -> int:
    from userops import features, profiles

    prefs = features.preferences(path, as_of=common.AS_OF)
    cats = features.category_spend(path, as_of=common.AS_OF)
    if kind == "features":
        return len(prefs)
    table = profiles.feature_table(prefs, cats)
    usable, _ = profiles.usable(table, [c for c in table.columns if c not in ("customer_id", "orders", "spend")])
    return len(profiles.cluster(table, features=usable).labels)


def report(args) -> None:
    print(f"{'size':>4} {'lines':>11} {'variant':<22} {'customers':>9} {'median s':>9} {'peak MiB':>9}")
    for size in (int(x) for x in args.sizes.split(",")):
        path = common.replicated(size, columns=COLUMNS)
        for kind in ("features", "features+clustering"):
            r = common.measure(__file__, kind, path, args.reps)
            print(f"{size:>3}x {common.lines_in(path):>11,} {kind:<22} {r['customers']:>9,} "
                  f"{r['median_s']:>9.2f} {r['peak_mib']:>9,.0f}", flush=True)


if __name__ == "__main__":
    common.main(__file__, run, report, reps=3)
