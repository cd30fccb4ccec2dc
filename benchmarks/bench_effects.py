"""Step 5 estimators on the real data: time of each part, and within-transformation vs dummies.

Prints, on The Complete Journey:
  - the weekly customer panel aggregation (ibis on DuckDB);
  - design + all estimates for every strategy (estimate_all), and per strategy;
  - for the strategy with the largest weighted comparison: the weighted DiD by the
    within-transformation next to the same regression with customer and week dummies
    (statsmodels WLS), their coefficients and the ratio of times;
  - the process's peak memory.
Usage: python benchmarks/bench_effects.py [--reps 3]
"""
from __future__ import annotations

import argparse

import statsmodels.formula.api as smf

import common

from userops import datasets, effects, features
from userops import schema as s

BANDS = (119.99, 317.99, 688.90)  # step 3's pooled quarterly bands on this data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    ds = datasets.load("completejourney", as_of=common.AS_OF)
    as_of = ds.as_of
    t_weekly, _, weekly = common.timed(lambda: features.weekly_activity(ds.transactions, as_of=as_of), args.reps, warmup=False)
    print(f"weekly panel (ibis/DuckDB): {len(weekly):,} customer-weeks in {t_weekly:.3f} s")
    t_all, _, (results, designs) = common.timed(lambda: effects.estimate_all(
        weekly, tables=ds.tables, as_of=as_of, bands=BANDS), args.reps, warmup=False)
    n_est = int((results["gate"] == "passed").sum())
    print(f"estimate_all: {len(designs)} strategies designed, {n_est} estimates passed the gate, "
          f"{t_all:.2f} s for all (spend and orders)")
    ok = results[(results["outcome"] == "spend") & (results["gate"] == "passed")]
    if ok.empty:
        print("no strategy passed the gate: no dummy-variable comparison")
        return
    sid = ok.sort_values("eligible_comparison", ascending=False)[s.STRATEGY_ID].iloc[0]
    people, panel = designs[sid]
    w = effects.propensity_weights(people)
    t_within, _, est = common.timed(lambda: effects.did(panel, people, weights=w), args.reps, warmup=False)
    keep = people[w > 0]
    d = panel[panel[s.CUSTOMER_ID].isin(keep[s.CUSTOMER_ID])].copy()
    d["wt"] = d[s.CUSTOMER_ID].map(dict(zip(keep[s.CUSTOMER_ID], w[w > 0])))
    d["D"] = (d[s.CUSTOMER_ID].isin(set(keep.loc[keep["treated"], s.CUSTOMER_ID])) & d["post"]).astype(float)
    t_dummy, _, fit = common.timed(lambda: smf.wls("spend ~ D + C(customer_id) + C(week)", data=d,
                                          weights=d["wt"]).fit(), 1, warmup=False)
    print(f"strategy {sid}: {keep.shape[0]:,} customers x {d['week'].nunique()} weeks = {len(d):,} rows")
    print(f"  within-transformation: {est['estimate']:+.6f} in {t_within * 1000:.1f} ms")
    print(f"  dummy-variable WLS:    {fit.params['D']:+.6f} in {t_dummy:.2f} s "
          f"({t_dummy / t_within:,.0f}x slower; |difference| {abs(fit.params['D'] - est['estimate']):.1e})")
    # the unweighted two-way FE over everyone: where dummies get expensive
    all_people = people.assign(eligible=True)
    t_w_all, _, est_all = common.timed(lambda: effects.did(panel, all_people), args.reps, warmup=False)
    full = panel.assign(D=(panel[s.CUSTOMER_ID].isin(set(people.loc[people["treated"], s.CUSTOMER_ID]))
                           & panel["post"]).astype(float))
    t_d_all, _, fit_all = common.timed(lambda: smf.ols("spend ~ D + C(customer_id) + C(week)", data=full).fit(), 1, warmup=False)
    print(f"strategy {sid}, everyone, unweighted: {people.shape[0]:,} customers, {len(full):,} rows")
    print(f"  within-transformation: {est_all['estimate']:+.6f} in {t_w_all * 1000:.1f} ms")
    print(f"  dummy-variable OLS:    {fit_all.params['D']:+.6f} in {t_d_all:.2f} s "
          f"({t_d_all / t_w_all:,.0f}x slower)")
    print(f"peak memory of this process: {common.peak_mib():,.0f} MiB")


if __name__ == "__main__":
    main()
