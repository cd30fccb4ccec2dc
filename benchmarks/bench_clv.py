"""Step 1's forward-value model at 1x and 10x the real data: fit seconds and peak memory.

Prints, for each size, median seconds over repeated runs inside one fresh process and that
process's peak RSS (imports included), for
  - purchase-days: the customer x shopping-day table from the lines (ibis on DuckDB, Parquet
    read in place), the model's only input;
  - forward: purchase days, then clv.forward as step 1 runs it (calibration fit, holdout
    check, the fit on all purchases, Gamma-Gamma, per-customer predictions);
  - bgnbd-distinct: one BG/NBD fit on as many *distinct* planted customers (clv.simulate at the
    real data's fitted parameters and ages) as the size has: the replicated file repeats each
    customer's history, which the likelihood sums once per distinct (x, t_x, T), so this row
    shows the cost when every customer differs.

Usage: python benchmarks/bench_clv.py [--sizes 1,10] [--reps 3]
The 10x file replicates The Complete Journey with distinct customer and order ids (14.7M lines).
"""
from __future__ import annotations

import common

PARAMS = {"r": 1.41, "alpha": 1.38, "a": 0.19, "b": 270.0}  # the fit on the real data (step 1)
CUSTOMERS = 2469


def run(kind: str, path: str) -> int:
    import numpy as np
    import pandas as pd

    from userops import clv, features

    if kind == "bgnbd-distinct":
        size = int(path)
        ages = np.linspace(10.0, 104.0, CUSTOMERS * size)  # weeks from first purchase to the cut-off
        sim = clv.simulate(PARAMS, T=ages, seed=size)
        fit = clv.fit_bgnbd(sim["frequency"], sim["recency"], sim["T"])
        if not fit.converged:
            raise RuntimeError(fit.message)
        return len(sim)
    days = features.purchase_days(path, as_of=common.AS_OF)
    if kind == "purchase-days":
        return int(days["customer_id"].nunique())
    fw = clv.forward(days, as_of=pd.Timestamp(common.AS_OF))
    if not fw.used:
        raise RuntimeError(fw.reason)
    return len(fw.customers)


def report(args) -> None:
    print(f"{'size':>4} {'lines':>11} {'variant':<15} {'customers':>9} {'median s':>9} {'min s':>7} {'peak MiB':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        path = common.replicated(size)
        for kind, where in (("purchase-days", path), ("forward", path), ("bgnbd-distinct", size)):
            res = common.measure(__file__, kind, where, args.reps)
            print(f"{size:>3}x {common.lines_in(path):>11,} {res['kind']:<15} {res['customers']:>9,} "
                  f"{res['median_s']:>9.3f} {res['min_s']:>7.3f} {res['peak_mib']:>9.0f}", flush=True)


if __name__ == "__main__":
    common.main(__file__, run, report, reps=3)
