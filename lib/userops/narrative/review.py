"""Report sentences for step 6 (review), generated from the data."""
from __future__ import annotations


import pandas as pd


__all__ = ["kpi_prose", "allocation_prose", "alerts_prose", "review_headlines"]


def kpi_prose(k: pd.DataFrame, *, contact_cost: float, coupon_cost: float) -> str:
    if k.empty:
        return ("**This data has no strategies with reach, so there is nothing to review**: a strategies table "
                "and an exposures table naming who each strategy reached would let this step give KPIs.")
    est = k.dropna(subset=["incremental_gmv"])
    text = (f"**{len(k)}** strategies reached **{int(k['reach'].sum()):,}** customer contacts at a cost of "
            f"**{k['cost'].sum():,.2f}** (contact cost {contact_cost:,.2f} per customer unless the strategies table "
            f"gives its own cost_per_contact, and {coupon_cost:,.2f} per response: parameters, not in the data). Conversion ranges "
            f"from {k['conversion'].min():.1%} to {k['conversion'].max():.1%}.")
    if est.empty:
        return text + (" No strategy has an effect estimate from step 5, so incremental GMV and ROI "
                       "cannot be given; the descriptive KPIs are not returns on spend.")
    parts = []
    for r in est.itertuples():
        clear = "" if (r.inc_low > 0 or r.inc_high < 0) else ", not distinguishable from zero"
        parts.append(f"**{r.strategy_id}**: incremental GMV {r.incremental_gmv:+,.0f} [{r.inc_low:+,.0f}, "
                     f"{r.inc_high:+,.0f}], ROI {r.roi:+.1f} [{r.roi_low:+.1f}, {r.roi_high:+.1f}]{clear}")
    none = len(k) - len(est)
    rest = (f" **{none}** strategies have no effect estimate from step 5 (the `effect_status` column says why), "
            "so their incremental GMV and ROI are not given." if none else "")
    return text + " With an effect estimate: " + "; ".join(parts) + "." + rest


def allocation_prose(alloc: pd.DataFrame, front: pd.DataFrame, *, budget: float) -> str:
    if alloc.empty:
        return ("No strategy x tier cell has an effect estimate from step 5, so there is no budget to allocate: "
                "effects measured with a random holdout would let this section recommend one.")
    if alloc["spend"].sum() == 0:
        return (f"With a budget of {budget:,.0f}, no strategy x tier cell has a positive expected net "
                "value, so the best plan spends nothing: fund a randomised test instead.")
    used = alloc[alloc["x"] > 0]
    slope = front["incremental_gmv"].diff() / front["budget"].diff()
    return (f"With a budget of **{budget:,.0f}** the best plan spends **{alloc['spend'].sum():,.0f}** on "
            f"**{len(used)}** strategy x tier cells and reaches **{alloc['customers'].sum():,.0f}** customers "
            f"for an expected incremental GMV of **{alloc['incremental_gmv'].sum():,.0f}**. Along the "
            f"frontier each extra unit of budget returns {slope.dropna().iloc[0]:,.2f} at first and "
            f"{slope.dropna().iloc[-1]:,.2f} at the end: the seesaw of coverage and effect.")


def alerts_prose(al: pd.DataFrame, prev: pd.DataFrame, *, threshold: float) -> str:
    if prev is None or prev.empty:
        return ("_No earlier run of this data with the same parameters in the strategy library: "
                "nothing to compare yet._")
    when = prev["as_of"].iloc[0]
    hit = al[al["alert"]]
    if hit.empty:
        return f"Compared with the run as of **{when}**, no KPI moved by more than {threshold:.0%}."
    return (f"Compared with the run as of **{when}**, **{len(hit)}** KPI(s) moved by more than "
            f"{threshold:.0%}: " + "; ".join(f"**{r.type} {r.metric}** {r.previous:,.3f} -> {r.current:,.3f} "
                                            f"({r.change:+.0%})" for r in hit.itertuples()) + ".")


def review_headlines(k: pd.DataFrame, alloc: pd.DataFrame, al: pd.DataFrame) -> dict[str, object]:
    out = {"strategies reviewed": f"{len(k)}",
           "with incremental GMV": f"{int(k['incremental_gmv'].notna().sum()) if len(k) else 0}",
           "recommended spend": f"{alloc['spend'].sum():,.0f}" if len(alloc) else "0",
           "KPI alerts vs previous run": f"{int(al['alert'].sum()) if len(al) else 0}"}
    return out
