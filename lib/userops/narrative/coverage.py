"""Report sentences for step 4 (coverage), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops.narrative.tiering import unavailable
from userops.narrative.wording import extremes, name_list, nonzero

NEEDS = "a strategies table with the exposures of who each one reached would give it"

__all__ = ["preference_fit_prose", "calendar_prose", "coverage_prose", "uncovered_prose", "intensity_prose", "overlap_prose", "fit_prose", "funnel_prose", "coverage_headlines"]


def calendar_prose(cal: pd.DataFrame, note: str, *, window_days: int) -> str:
    if note:
        return unavailable("the strategy calendar", why=note, needs=NEEDS)
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


def coverage_prose(m: pd.DataFrame, *, by: str, note: str = "", what: str = "coverage by segment",
                   needs: str = NEEDS, min_size: int = 10) -> str:
    """The highest and the lowest coverage (among segments of at least ``min_size``); when ``m``
    is empty, why (``note``, a clause) in one sentence."""
    m = m[m[by] != "(no orders)"] if len(m) else m
    if m.empty:
        return unavailable(what, why=note or "no strategy in the window reached anyone", needs=needs)
    pct = "{:.0%}".format
    m = m.sort_values(["type", by])
    his, hi_p = extremes(m, "share_reached", largest=True, shown=pct)
    where = name_list([f"**{r['type']}** in **{r[by]}**" for _, r in his.iterrows()], bold=False)
    if len(his) == 1:
        hi = his.iloc[0]
        text = (f"The highest coverage is {where}: {hi_p} of its {int(hi['segment_size']):,} customers "
                "were reached.")
    else:
        text = f"The highest coverage, {hi_p} of the customers reached, is shared by {len(his)} cells: {where}."
    big = m[m["segment_size"] >= min_size]
    if big.empty:
        return text + f" No segment has {min_size} customers or more, so no lowest coverage is named."
    los, lo_p = extremes(big, "share_reached", largest=False, shown=pct)
    where = name_list([f"**{r['type']}** in **{r[by]}**" for _, r in los.iterrows()], bold=False)
    if len(los) == 1:
        return text + f" The lowest, among segments with at least {min_size} customers, is {where} ({lo_p})."
    return text + (f" The lowest, {lo_p}, among segments with at least {min_size} customers, is shared by "
                   f"{len(los)} cells: {where}.")


def uncovered_prose(summary: pd.DataFrame, *, n_customers: int, file: str) -> str:
    if summary.empty:
        return unavailable("the uncovered population", why="no customer has an order up to the cut-off",
                           needs="transactions before the cut-off would give it")
    n = int(summary["uncovered"].sum())
    gmv = summary["uncovered_gmv_share"].sum()
    top = summary.sort_values(["uncovered_gmv_share"], ascending=False).iloc[0]
    label = top.iloc[0]
    return (f"**{n:,}** of {n_customers:,} customers (**{n / n_customers:.1%}**) were reached by no "
            f"strategy in the window; they bring **{gmv:.1%}** of GMV. The largest part of that GMV sits "
            f"in **{label}** ({top['uncovered_gmv_share']:.1%} of all GMV, {int(top['uncovered']):,} "
            f"customers). The full list, by GMV, is in `{file}` next to this report.")


def intensity_prose(inten: pd.DataFrame, *, by: str, note: str = "") -> str:
    if inten.empty or inten["mean_contacts"].sum() == 0:
        return unavailable("contact intensity", why=note or "no strategy in the window reached a "
                           "customer with orders", needs=NEEDS)
    inten = inten.sort_values(by)
    shown = (lambda v: nonzero(v, decimals=1)) if inten["mean_contacts"].min() > 0 else "{:.1f}".format
    his, hi_v = extremes(inten, "mean_contacts", largest=True, shown=shown)
    los, lo_v = extremes(inten, "mean_contacts", largest=False, shown=shown)
    top_col = inten.columns[-1]
    hi = his.iloc[0]
    most = (f"{name_list(list(his[by]))} customers were reached most often: **{hi_v}** strategies on average"
            + (f", and {hi[top_col]:.0%} of them {top_col} times." if len(his) == 1 else "."))
    return most + f" {name_list(list(los[by]))} were reached least ({lo_v} on average)."


def overlap_prose(ov: pd.DataFrame, *, note: str = "") -> str:
    if note:
        return unavailable("overlapping strategies", why=note, needs=NEEDS)
    if ov.empty:
        return "No two strategies with reached customers ran at the same time."
    top = ov.iloc[0]
    return (f"**{len(ov)}** pairs of strategies ran at the same time. The largest overlap: strategies "
            f"**{top['strategy_a']}** and **{top['strategy_b']}** shared **{int(top['both']):,}** customers "
            f"({top['share_of_smaller']:.0%} of the smaller one's reach) over {int(top['days_overlapping'])} days.")


def fit_prose(fit: pd.DataFrame, *, note: str = "", has_offers: bool = True, has_category: bool = True) -> str:
    """The range of the offered-category index; when there is none, why."""
    if fit.empty or fit["index"].isna().all():
        why = (note or ("the data has no offers table (what each strategy offered)" if not has_offers else
               "the transactions have no category column to compare offers with" if not has_category else
               "no offered category matches a strategy that reached customers in the window"))
        needs = (NEEDS if note else "an offers table and transactions with a category would give it")
        return unavailable("the preference fit of each strategy's reach", why=why, needs=needs)
    fit = fit.dropna(subset=["index"])
    hi = fit.sort_values(["index", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = fit.sort_values(["index", "strategy_id"]).iloc[0]
    return (f"Across **{len(fit)}** strategies with known offers, the reached customers' spend share in the "
            f"offered categories ranges from **{lo['index']:.0f}** (strategy {lo['strategy_id']}) to "
            f"**{hi['index']:.0f}** (strategy {hi['strategy_id']}) on an index where 100 is the share among "
            "all customers. Near 100, a strategy reached customers with an ordinary mix of categories, "
            "not the ones who already buy what it offers. Spend is over the whole window, including "
            "what was bought during the strategies.")


def funnel_prose(fun: pd.DataFrame, *, note: str = "") -> str:
    if fun.empty:
        return unavailable("the funnel", why=note or "no strategy in the window reached anyone", needs=NEEDS)
    parts = []
    for r in fun.itertuples():
        stages = [f"**{r.type}**: {r.reached:,} reached, {r.purchased_rate:.0%} bought while it ran"]
        stages.append(f"{r.responded_rate:.0%} of those responded" if pd.notna(r.responded_rate)
                      else "none of them has a recorded response")
        if pd.notna(r.repeated_rate):
            stages.append(f"{r.repeated_rate:.0%} of responders bought again after it")
        parts.append(", ".join(stages))
    rates = fun[["purchased_rate", "responded_rate", "repeated_rate"]].astype(float)
    weakest = fun.assign(min_rate=rates.min(axis=1)).dropna(subset=["min_rate"])
    text = "; ".join(parts) + "."
    if len(weakest):
        w = weakest.sort_values(["min_rate", "type"]).iloc[0]
        stage = rates.loc[w.name].idxmin().replace("_rate", "")
        text += f" The weakest stage overall is **{stage}** in **{w['type']}**."
    return text + " These rates describe the funnel; they do not say what the strategy caused (step 5)."


def coverage_headlines(cal: pd.DataFrame, n_uncovered: int, n_customers: int, note: str) -> dict[str, object]:
    if note:
        return {"coverage": note}
    out = {"strategies in window": f"{len(cal)}",
           "customers reached by none": f"{n_uncovered:,} ({n_uncovered / n_customers:.1%})"}
    if cal["conversion"].notna().any():
        out["median conversion"] = f"{cal['conversion'].median():.1%}"
    return out


def preference_fit_prose(prefs: pd.DataFrame, *, note: str = "", has_features: bool = True) -> str:
    cols = [c for c in prefs.columns if c not in ("strategy_id", "reached")]
    long = prefs.melt(id_vars="strategy_id", value_vars=cols).dropna() if len(prefs) else prefs
    if long.empty:
        why = (note or ("step 2's feature table is not in this run's artifacts" if not has_features else
                        "no reached customer has preference features"))
        return unavailable("the preferences of each strategy's reach", why=why,
                           needs=NEEDS if note else "running step 2 in the same report would give them")
    hi = long.sort_values(["value", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = long.sort_values(["value", "strategy_id"]).iloc[0]
    return (f"The strongest tilt: strategy **{hi['strategy_id']}** reached customers whose "
            f"{hi['variable'].replace('_', ' ')} is **{hi['value']:.0f}** (100 = all customers); the "
            f"weakest: strategy **{lo['strategy_id']}**, {lo['variable'].replace('_', ' ')} "
            f"**{lo['value']:.0f}**. A strategy meant for, say, weekend shoppers should show a high "
            "weekend index.")
