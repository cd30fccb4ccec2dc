"""Report sentences for step 6 (review), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops.display import blank_reason
from userops.narrative.wording import name_list, not_drawn

__all__ = ["kpi_prose", "segment_conversion_not_drawn", "seesaw_prose", "allocation_prose", "alerts_prose", "review_headlines"]

_CELLS = ("effects by spend tier from step 5 (a strategy with at least min_cell exposed and comparison "
          "customers in two or more tiers, or a random holdout) would fill it")


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
    rest = (f" **{none}** strategies have no effect estimate from step 5 (the Effect column of the table says why), "
            "so their incremental GMV and ROI are not given." if none else "")
    roi = est["roi"].notna().sum()
    chart = (" " + not_drawn("ROI chart", why=f"only {roi} strategy has an ROI with an interval, given above",
                             needs="effect estimates for two or more strategies would let it compare them")
             if roi < 2 else "")
    return text + " With an effect estimate: " + "; ".join(parts) + "." + rest + chart


def segment_conversion_not_drawn(why: str) -> str:
    """Why the conversion per strategy x segment chart is not drawn (``why`` from
    :func:`userops.display.blank_reason`) and what data would fill it."""
    fill = ("No reached customer has a response in this data; responses (redemptions or orders tied to a "
            "strategy) would fill it." if why == "every value is 0" else
            "Reached customers in more segments, with responses, would fill it.")
    return f"_The conversion chart is not drawn: {why}. {fill}_"


def seesaw_prose(curve: pd.DataFrame) -> str:
    """What the seesaw shows: for each strategy the effect per reached customer from its first
    tier to all tiers; when every line is flat or a single point, that it is not drawn and why."""
    if curve.empty:
        return not_drawn("seesaw", why="no strategy has an effect estimate from step 5",
                         needs="a strategy with an estimate (or a random holdout, see the decisions below) "
                               "would let this section show one")
    why = blank_reason(curve["value_per_customer"], groups=curve["strategy_id"])
    if why:
        flat = curve.groupby("strategy_id", sort=True)["value_per_customer"].mean()
        return not_drawn("seesaw", why=(
            f"{why}: step 5 gives {name_list(list(flat.index.astype(str)))} one effect for every spend tier "
            f"({', '.join(f'{v:+.2f}' for v in flat)} per customer-week), so adding tiers does not change "
            "the effect per reached customer"), needs=_CELLS)
    parts = []
    for sid, g in curve.groupby("strategy_id", sort=True):
        first, last = g["value_per_customer"].iloc[0], g["value_per_customer"].iloc[-1]
        if len(g) == 1 or f"{last:+.2f}" == f"{first:+.2f}":
            parts.append(f"**{sid}** stays at {first:+.2f} up to {g['coverage'].iloc[-1]:.0%} coverage")
            continue
        move = "falls" if last < first else "rises"
        parts.append(f"**{sid}** {move} from {first:+.2f} at {g['coverage'].iloc[0]:.0%} coverage to "
                     f"{last:+.2f} at {g['coverage'].iloc[-1]:.0%}")
    return ("Each row adds the next spend tier (the one with the next-highest expected effect) to the "
            "strategy's audience. Expected incremental spend per reached customer-week: "
            + "; ".join(parts) + ".")


def allocation_prose(alloc: pd.DataFrame, front: pd.DataFrame, *, budget: float) -> str:
    """The recommended plan and the frontier's marginal return; when the frontier is flat, that
    its chart is not drawn and why."""
    flat = blank_reason(front["incremental_gmv"]) if len(front) else "no budget was tried"
    chart = (" " + not_drawn("budget frontier", why=f"every budget buys the same expected incremental GMV "
                             f"({front['incremental_gmv'].iloc[0]:,.0f})" if len(front) else flat,
                             needs=_CELLS) if flat else "")
    if alloc.empty:
        return ("No strategy x tier cell has an effect estimate from step 5, so there is no budget to allocate: "
                "effects measured with a random holdout would let this section recommend one.")
    if alloc["spend"].sum() == 0:
        return (f"With a budget of {budget:,.0f}, no strategy x tier cell has a positive expected net "
                "value, so the best plan spends nothing: fund a randomised test instead." + chart)
    used = alloc[alloc["x"] > 0]
    text = (f"With a budget of **{budget:,.0f}** the best plan spends **{alloc['spend'].sum():,.0f}** on "
            f"**{len(used)}** strategy x tier cells and reaches **{alloc['customers'].sum():,.0f}** customers "
            f"for an expected incremental GMV of **{alloc['incremental_gmv'].sum():,.0f}**.")
    if flat:
        return text + chart
    slope = (front["incremental_gmv"].diff() / front["budget"].diff()).dropna()
    return text + (f" Along the frontier each extra unit of budget returns {slope.iloc[0]:,.2f} at first and "
                   f"{slope.iloc[-1]:,.2f} at the end: the seesaw of coverage and effect.")


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
