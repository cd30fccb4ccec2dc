"""Report sentences for step 3 (migration), generated from the data."""
from __future__ import annotations


import numpy as np
import pandas as pd

from userops.narrative.tiering import unavailable


__all__ = ["periods_unavailable", "bands_prose", "matrix_prose", "movement_prose", "decomposition_prose", "exposure_prose", "retention_prose", "projection_prose", "migration_headlines"]


def periods_unavailable(bounds: pd.DataFrame, observed: pd.DataFrame, *, first_day: pd.Timestamp,
                        period: str, what: str = "transitions between periods") -> str:
    """One sentence saying why ``what`` cannot be shown when the data covers fewer than two whole
    periods (and what would let it); empty when it can be shown."""
    if len(observed) >= 2:
        return ""
    first = pd.Timestamp(first_day)
    return unavailable(what, why=(f"the data starts on {first.date()}, so it covers {len(observed)} of "
                                  f"the {len(bounds)} `{period}` periods whole and a transition needs two"),
                       needs="data reaching back two whole periods, or a shorter `period` (M or 4W), "
                             "would give them")


def bands_prose(bands: tuple[float, ...], bounds: pd.DataFrame, *, reference: int | None,
                asked: pd.DataFrame | None = None, first_day: pd.Timestamp | None = None) -> str:
    """The periods used (and those left out because the data starts inside or after them) and
    the frozen spend cut points."""
    left_out = "" if asked is None or len(asked) == len(bounds) else (
        f" The data starts on {pd.Timestamp(first_day).date()}: **{len(asked) - len(bounds)}** of the "
        f"{len(asked)} periods asked for begin before that and are left out, since every customer "
        "would seem to spend less in them.")
    if bounds.empty:
        return f"No period is covered whole by the data.{left_out}"
    ref = "all periods pooled" if reference is None else f"period {bounds.loc[reference, 'label']}"
    tiers_ = (f"Spend tiers use cut points **{', '.join(f'{b:,.2f}' for b in bands)}** (spend per "
              f"period), frozen from {ref} and kept for every period, so a move between tiers is a real "
              "change in spend, not a change of rank." if bands else
              "Active customer-periods do not differ enough in spend for cut points, so there is one "
              "tier of active customers.")
    return (f"**{len(bounds)}** periods from {bounds['label'].iloc[0].split('..')[0]} to "
            f"{bounds['label'].iloc[-1].split('..')[1]}.{left_out} {tiers_} A customer with no order "
            "in a period after having shopped before is *lapsed*.")


def matrix_prose(long: pd.DataFrame, *, n_transitions: int, n_customers: int,
                 interval: str = "customer-bootstrap", into: str = "") -> str:
    """Stability and lapse per state; pooled over consecutive periods, or (``into``: the label of
    the later period) one pair of periods, one move per customer."""
    head = (f"Into **{into}**: **{n_customers:,}** customers, one move each from the period before."
            if into else f"Pooled over **{n_transitions:,}** transitions of **{n_customers:,}** customers.")
    origin, dest = long["origin"].astype(str), long["dest"].astype(str)
    stay = long[(origin == dest) & (long["n_origin"] > 0)]
    if stay.empty:
        return (f"{head} Every transition starts from a customer first seen in the later period, so "
                "no share staying in a state can be shown yet.")
    best = stay.sort_values(["p", "origin"], ascending=[False, True]).iloc[0]
    worst = stay.sort_values(["p", "origin"]).iloc[0]
    text = (f"{head} The most stable state is **{best['origin']}**: {best['p']:.0%} stay "
            f"[{best['ci_low']:.0%}, {best['ci_high']:.0%}]; the least stable is **{worst['origin']}** "
            f"({worst['p']:.0%} stay).")
    lapsed = long[(dest == "lapsed") & ~origin.isin(["lapsed", "new"])]
    if len(lapsed):
        top_lapse = lapsed.sort_values(["p", "origin"], ascending=[False, True]).iloc[0]
        text += (f" The tier that lapses most is **{top_lapse['origin']}**: {top_lapse['p']:.1%} "
                 f"[{top_lapse['ci_low']:.1%}, {top_lapse['ci_high']:.1%}] order nothing in the next period.")
    return text + f" Intervals are 95% {interval} intervals."


def movement_prose(mov: pd.DataFrame) -> str:
    tiers_ = mov[~mov["origin"].astype(str).isin(["new", "lapsed"])]
    if tiers_.empty:
        return unavailable("moves out of spend tiers", why="no customer had a spend tier in a period "
                           "followed by another", needs="two whole periods with active customers would give them")
    up = tiers_.sort_values(["up", "origin"], ascending=[False, True]).iloc[0]
    down = tiers_.sort_values(["down", "origin"], ascending=[False, True]).iloc[0]
    loss = tiers_.sort_values(["gmv_change", "origin"]).iloc[0]
    return (f"**{up['origin']}** moves up most often ({up['up']:.0%}); **{down['origin']}** moves down "
            f"most often ({down['down']:.0%}). The largest GMV change is in **{loss['origin']}**: "
            f"{loss['gmv_change']:,.0f} from one period to the next, summed over its transitions.")


def decomposition_prose(dec: pd.DataFrame) -> str:
    if dec.empty:
        return unavailable("the split into order count and spend per order", why="no customer was "
                           "active in a period followed by another", needs="two whole periods with "
                           "active customers would give it")
    tot = dec[["gmv_change", "frequency_part", "basket_part"]].sum()
    by = dec.groupby("group")["customers"].sum()
    share = by / by.sum()
    return (f"Across active customers, **{share.get('frequency only', 0) + share.get('both', 0):.0%}** "
            f"raised their order count and **{share.get('spend per order only', 0) + share.get('both', 0):.0%}** "
            f"their spend per order (**{share.get('both', 0):.0%}** both). The GMV change of "
            f"**{tot['gmv_change']:,.0f}** splits into **{tot['frequency_part']:,.0f}** from order "
            f"counts and **{tot['basket_part']:,.0f}** from spend per order; the parts add up to the total.")


def exposure_prose(eff: pd.DataFrame, *, has_strategies: bool = True) -> str:
    """The adjusted and naive difference in moving up per strategy type, or why there is none."""
    if not has_strategies:
        return unavailable("the comparison of reached and not reached customers",
                           why="this data has no strategies or exposures",
                           needs="a strategies and an exposures table would give it")
    if eff.empty:
        return unavailable("the comparison of reached and not reached customers",
                           why="no strategy starts inside a later period of the window",
                           needs="strategies that start after the first period would give it")
    counts = ", ".join(f"{int(n):,} of {t}" for t, n in zip(eff["type"], eff.get("strategies", [])))
    parts = [] if not counts else [f"A move can be set against a strategy only when the strategy starts inside a later period of "
             f"the window, so the strategies counted here are those ({counts}); step 4 counts every strategy "
             "that ran in its window, including those that started in the first period or before it."]
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
    parts = []
    if len(start) and pd.notna(start.iloc[0][1]):
        row = start.iloc[0]
        parts.append(f"**{int(row['customers']):,}** customers were already shopping when the data "
                     "begins; they cannot be called new (the data is left-censored) and form one cohort, "
                     f"of whom **{row[1]:.0%}** are active a month later.")
    seen = later[later[1].notna()] if len(later) else later
    if len(seen):
        n = int(later["customers"].sum())
        k1 = (seen[1] * seen["customers"]).sum() / seen["customers"].sum()
        parts.append(f"The **{n:,}** customers first seen later, month by month, return the next month "
                     f"at a customer-weighted **{k1:.0%}**.")
    if not parts:
        return unavailable("cohort retention", why="no cohort can be followed for a month after its "
                           "first purchase", needs="data spanning two calendar months or more would give it")
    return " ".join(parts)


def projection_prose(proj: pd.DataFrame) -> str:
    if proj.empty:
        return unavailable("next period's tier mix", why="there are no transition rates to project with",
                           needs="two whole periods of data would give them")
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
    out = ({"moved up": f"{(t['up'] * w).sum():.1%}", "moved down": f"{(t['down'] * w).sum():.1%}",
            "lapsed": f"{(t['lapsed'] * w).sum():.1%}"} if len(t) else
           {"tier moves": "none: fewer than two whole periods of data"})
    for r in eff.itertuples():
        if not np.isnan(r.adjusted_diff):
            out[f"{r.type}: exposure effect on moving up"] = (
                f"{r.adjusted_diff:+.1%} [{r.ci_low:+.1%}, {r.ci_high:+.1%}]")
    return out
