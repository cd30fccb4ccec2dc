"""Report sentences for step 3 (migration), generated from the data."""
from __future__ import annotations


import numpy as np
import pandas as pd


__all__ = ["bands_prose", "matrix_prose", "movement_prose", "decomposition_prose", "exposure_prose", "retention_prose", "projection_prose", "migration_headlines"]


def bands_prose(bands: tuple[float, ...], bounds: pd.DataFrame, *, reference: int | None) -> str:
    ref = "all periods pooled" if reference is None else f"period {bounds.loc[reference, 'label']}"
    cuts = ", ".join(f"{b:,.2f}" for b in bands)
    return (f"**{len(bounds)}** periods from {bounds['label'].iloc[0].split('..')[0]} to "
            f"{bounds['label'].iloc[-1].split('..')[1]}. Spend tiers use cut points **{cuts}** (spend "
            f"per period), frozen from {ref} and kept for every period, so a move between tiers is a "
            "real change in spend, not a change of rank. A customer with no order in a period "
            "after having shopped before is *lapsed*.")


def matrix_prose(long: pd.DataFrame, *, n_transitions: int, n_customers: int,
                 interval: str = "customer-bootstrap") -> str:
    stay = long[long["origin"].astype(str) == long["dest"].astype(str)]
    best = stay.sort_values(["p", "origin"], ascending=[False, True]).iloc[0]
    worst = stay.sort_values(["p", "origin"]).iloc[0]
    lapsed = long[(long["dest"].astype(str) == "lapsed") & (long["origin"].astype(str) != "lapsed")
                  & (long["origin"].astype(str) != "new")]
    top_lapse = lapsed.sort_values(["p", "origin"], ascending=[False, True]).iloc[0]
    return (f"Pooled over **{n_transitions:,}** transitions of **{n_customers:,}** customers. The most "
            f"stable state is **{best['origin']}**: {best['p']:.0%} stay "
            f"[{best['ci_low']:.0%}, {best['ci_high']:.0%}]; the least stable is **{worst['origin']}** "
            f"({worst['p']:.0%} stay). The tier that lapses most is **{top_lapse['origin']}**: "
            f"{top_lapse['p']:.1%} [{top_lapse['ci_low']:.1%}, {top_lapse['ci_high']:.1%}] order "
            f"nothing in the next period. Intervals are 95% {interval} intervals.")


def movement_prose(mov: pd.DataFrame) -> str:
    tiers_ = mov[~mov["origin"].astype(str).isin(["new", "lapsed"])]
    up = tiers_.sort_values(["up", "origin"], ascending=[False, True]).iloc[0]
    down = tiers_.sort_values(["down", "origin"], ascending=[False, True]).iloc[0]
    loss = tiers_.sort_values(["gmv_change", "origin"]).iloc[0]
    return (f"**{up['origin']}** moves up most often ({up['up']:.0%}); **{down['origin']}** moves down "
            f"most often ({down['down']:.0%}). The largest GMV change is in **{loss['origin']}**: "
            f"{loss['gmv_change']:,.0f} from one period to the next, summed over its transitions.")


def decomposition_prose(dec: pd.DataFrame) -> str:
    tot = dec[["gmv_change", "frequency_part", "basket_part"]].sum()
    by = dec.groupby("group")["customers"].sum()
    share = by / by.sum()
    return (f"Across active customers, **{share.get('frequency only', 0) + share.get('both', 0):.0%}** "
            f"raised their order count and **{share.get('spend per order only', 0) + share.get('both', 0):.0%}** "
            f"their spend per order (**{share.get('both', 0):.0%}** both). The GMV change of "
            f"**{tot['gmv_change']:,.0f}** splits into **{tot['frequency_part']:,.0f}** from order "
            f"counts and **{tot['basket_part']:,.0f}** from spend per order; the parts add up to the total.")


def exposure_prose(eff: pd.DataFrame) -> str:
    if eff.empty:
        return ("No strategy starts inside a later period of this window, so exposed and unexposed "
                "customers cannot be compared here.")
    parts = []
    for r in eff.itertuples():
        if np.isnan(r.adjusted_diff):
            parts.append(f"**{r.type}**: {r.note}.")
            continue
        sig = "distinguishable from zero" if r.ci_low > 0 or r.ci_high < 0 else "not distinguishable from zero"
        parts.append(
            f"**{r.type}**: among {r.eligible_n:,} eligible transitions, exposure changes the chance of "
            f"moving up by **{r.adjusted_diff:+.1%}** [{r.ci_low:+.1%}, {r.ci_high:+.1%}], {sig}; the "
            f"naive difference over everyone is {r.naive_diff:+.1%}, which mixes in whom the strategy "
            "targeted and is not an effect.")
    return " ".join(parts)


def retention_prose(ret: pd.DataFrame) -> str:
    start = ret[ret["cohort"] == "present at start"]
    later = ret[ret["cohort"] != "present at start"]
    text = ""
    if len(start):
        row = start.iloc[0]
        text += (f"**{int(row['customers']):,}** customers were already shopping when the data begins; "
                 f"they cannot be called new (the data is left-censored) and form one cohort, of whom "
                 f"**{row[1]:.0%}** are active a month later. ")
    if len(later):
        n = int(later["customers"].sum())
        k1 = (later[1] * later["customers"]).sum() / later.loc[later[1].notna(), "customers"].sum()
        text += (f"The **{n:,}** customers first seen later, month by month, return the next month at a "
                 f"customer-weighted **{k1:.0%}**.")
    return text


def projection_prose(proj: pd.DataFrame) -> str:
    d = proj.assign(change=proj["projected"] - proj["now"])
    grow = d.sort_values(["change", "state"], ascending=[False, True]).iloc[0]
    shrink = d.sort_values(["change", "state"]).iloc[0]
    return (f"If the pooled transition rates hold, next period **{grow['state']}** grows to about "
            f"**{grow['projected']:,.0f}** customers [{grow['ci_low']:,.0f}, {grow['ci_high']:,.0f}] and "
            f"**{shrink['state']}** shrinks to **{shrink['projected']:,.0f}** [{shrink['ci_low']:,.0f}, "
            f"{shrink['ci_high']:,.0f}]. Customers who have never shopped before are not projected.")


def migration_headlines(mov: pd.DataFrame, eff: pd.DataFrame) -> dict[str, object]:
    t = mov[~mov["origin"].astype(str).isin(["new", "lapsed"])]
    w = t["customers"] / t["customers"].sum()
    out = {"moved up": f"{(t['up'] * w).sum():.1%}", "moved down": f"{(t['down'] * w).sum():.1%}",
           "lapsed": f"{(t['lapsed'] * w).sum():.1%}"}
    for r in eff.itertuples():
        if not np.isnan(r.adjusted_diff):
            out[f"{r.type}: exposure effect on moving up"] = (
                f"{r.adjusted_diff:+.1%} [{r.ci_low:+.1%}, {r.ci_high:+.1%}]")
    return out
