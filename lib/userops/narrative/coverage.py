"""Report sentences for step 4 (coverage), generated from the data."""
from __future__ import annotations


import pandas as pd


__all__ = ["preference_fit_prose", "calendar_prose", "coverage_prose", "uncovered_prose", "intensity_prose", "overlap_prose", "fit_prose", "funnel_prose", "coverage_headlines"]


def calendar_prose(cal: pd.DataFrame, note: str, *, window_days: int) -> str:
    if note:
        return f"**{note}** The sections below stay empty."
    kinds = cal.groupby("type").size()
    parts = ", ".join(f"{n} of {k}" for k, n in kinds.items())
    silent = cal[cal["responders"] == 0]
    text = (f"**{len(cal)}** strategies ran in the {window_days} days up to the cut-off ({parts}). "
            f"Reach ranges from **{cal['reach'].min():,}** to **{cal['reach'].max():,}** customers; "
            f"the median conversion (responders / reached) is **{cal['conversion'].median():.1%}**.")
    if len(silent):
        which = ", ".join(map(str, silent["strategy_id"].head(8)))
        verb = "strategy has" if len(silent) == 1 else "strategies have"
        text += (f" **{len(silent)}** {verb} no recorded response ({which}): its conversion is 0, "
                 "or responses were not recorded.")
    return text


def coverage_prose(m: pd.DataFrame, *, by: str, missing: str = "") -> str:
    if m.empty:
        return f"_{missing or 'Nothing to show.'}_"
    m = m[m[by] != "(no orders)"]
    hi = m.sort_values(["share_reached", by], ascending=[False, True]).iloc[0]
    lo = m[m["segment_size"] >= 10].sort_values(["share_reached", by]).iloc[0]
    return (f"The highest coverage is **{hi['type']}** in **{hi[by]}**: {hi['share_reached']:.0%} of its "
            f"{int(hi['segment_size']):,} customers were reached. The lowest, among segments with at "
            f"least 10 customers, is **{lo['type']}** in **{lo[by]}** ({lo['share_reached']:.0%}).")


def uncovered_prose(summary: pd.DataFrame, *, n_customers: int, file: str) -> str:
    if summary.empty:
        return "_Nothing to show._"
    n = int(summary["uncovered"].sum())
    gmv = summary["uncovered_gmv_share"].sum()
    top = summary.sort_values(["uncovered_gmv_share"], ascending=False).iloc[0]
    label = top.iloc[0]
    return (f"**{n:,}** of {n_customers:,} customers (**{n / n_customers:.1%}**) were reached by no "
            f"strategy in the window; they bring **{gmv:.1%}** of GMV. The largest part of that GMV sits "
            f"in **{label}** ({top['uncovered_gmv_share']:.1%} of all GMV, {int(top['uncovered']):,} "
            f"customers). The full list, by GMV, is in `{file}` next to this report.")


def intensity_prose(inten: pd.DataFrame, *, by: str) -> str:
    if inten.empty or inten["mean_contacts"].sum() == 0:
        return "_Nothing to show._"
    hi = inten.sort_values(["mean_contacts", by], ascending=[False, True]).iloc[0]
    lo = inten.sort_values(["mean_contacts", by]).iloc[0]
    top_col = inten.columns[-1]
    return (f"**{hi[by]}** customers were reached most often: **{hi['mean_contacts']:.1f}** strategies "
            f"on average, and {hi[top_col]:.0%} of them {top_col} times. **{lo[by]}** were reached least "
            f"({lo['mean_contacts']:.1f} on average).")


def overlap_prose(ov: pd.DataFrame) -> str:
    if ov.empty:
        return "No two strategies with reached customers ran at the same time."
    top = ov.iloc[0]
    return (f"**{len(ov)}** pairs of strategies ran at the same time. The largest overlap: strategies "
            f"**{top['strategy_a']}** and **{top['strategy_b']}** shared **{int(top['both']):,}** customers "
            f"({top['share_of_smaller']:.0%} of the smaller one's reach) over {int(top['days_overlapping'])} days.")


def fit_prose(fit: pd.DataFrame) -> str:
    if fit.empty:
        return "_The data has no offers table (what each strategy offered), so the fit cannot be shown._"
    hi = fit.sort_values(["index", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = fit.sort_values(["index", "strategy_id"]).iloc[0]
    return (f"Across **{len(fit)}** strategies with known offers, the reached customers' spend share in the "
            f"offered categories ranges from **{lo['index']:.0f}** (strategy {lo['strategy_id']}) to "
            f"**{hi['index']:.0f}** (strategy {hi['strategy_id']}) on an index where 100 is the share among "
            "all customers. Near 100, a strategy reached customers with an ordinary mix of categories, "
            "not the ones who already buy what it offers. Spend is over the whole window, including "
            "what was bought during the strategies.")


def funnel_prose(fun: pd.DataFrame) -> str:
    if fun.empty:
        return "_Nothing to show._"
    parts = []
    for r in fun.itertuples():
        parts.append(f"**{r.type}**: {r.reached:,} reached, {r.purchased_rate:.0%} bought while it ran, "
                     f"{r.responded_rate:.0%} of those responded, {r.repeated_rate:.0%} of responders "
                     "bought again after it")
    weakest = fun.assign(min_rate=fun[["purchased_rate", "responded_rate", "repeated_rate"]].min(axis=1))
    w = weakest.sort_values(["min_rate", "type"]).iloc[0]
    stage = w[["purchased_rate", "responded_rate", "repeated_rate"]].astype(float).idxmin().replace("_rate", "")
    return "; ".join(parts) + (f". The weakest stage overall is **{stage}** in **{w['type']}**. These rates "
                               "describe the funnel; they do not say what the strategy caused (step 5).")


def coverage_headlines(cal: pd.DataFrame, n_uncovered: int, n_customers: int, note: str) -> dict[str, object]:
    if note:
        return {"coverage": note}
    return {"strategies in window": f"{len(cal)}",
            "customers reached by none": f"{n_uncovered:,} ({n_uncovered / n_customers:.1%})",
            "median conversion": f"{cal['conversion'].median():.1%}"}


def preference_fit_prose(prefs: pd.DataFrame) -> str:
    if prefs.empty:
        return "_Step 2's feature table is not in this run's artifacts, or no strategy reached anyone._"
    cols = [c for c in prefs.columns if c not in ("strategy_id", "reached")]
    long = prefs.melt(id_vars="strategy_id", value_vars=cols).dropna()
    hi = long.sort_values(["value", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = long.sort_values(["value", "strategy_id"]).iloc[0]
    return (f"The strongest tilt: strategy **{hi['strategy_id']}** reached customers whose "
            f"{hi['variable'].replace('_', ' ')} is **{hi['value']:.0f}** (100 = all customers); the "
            f"weakest: strategy **{lo['strategy_id']}**, {lo['variable'].replace('_', ' ')} "
            f"**{lo['value']:.0f}**. A strategy meant for, say, weekend shoppers should show a high "
            "weekend index.")
