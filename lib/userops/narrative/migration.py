"""Report sentences for step 3 (migration), generated from the data."""
from __future__ import annotations


import numpy as np
import pandas as pd

from userops import i18n
from userops.i18n import _
from userops.migration import shown_state
from userops.narrative.tiering import unavailable
from userops.narrative.wording import sentences, signed_percent


__all__ = ["periods_unavailable", "bands_prose", "matrix_prose", "movement_prose", "decomposition_prose", "exposure_prose", "retention_prose", "projection_prose", "migration_headlines"]



def _day(value: object) -> str:
    """A day as ISO (``2017-10-01``), the way the period labels write it (a time of day dropped:
    :func:`userops.i18n.date` takes a Timestamp for a date)."""
    return i18n.date(pd.Timestamp(value).date(), style="short")


def periods_unavailable(bounds: pd.DataFrame, observed: pd.DataFrame, *, first_day: pd.Timestamp,
                        period: str, what: str | None = None) -> str:
    """One sentence saying why ``what`` (by default the transitions between periods) cannot be
    shown when the data covers fewer than two whole periods (and what would let it); empty when
    it can be shown."""
    if len(observed) >= 2:
        return ""
    return unavailable(what or _("transitions between periods"),
                       why=_("the data starts on {day}, so it covers {n} of the {total} `{period}` periods whole "
                             "and a transition needs two").format(
                           day=_day(first_day), n=i18n.number(len(observed)), total=i18n.number(len(bounds)),
                           period=period),
                       needs=_("data reaching back two whole periods, or a shorter `period` (M or 4W), would give them"))


def bands_prose(bands: tuple[float, ...], bounds: pd.DataFrame, *, reference: int | None,
                asked: pd.DataFrame | None = None, first_day: pd.Timestamp | None = None) -> str:
    """The periods used (and those left out because the data starts inside or after them) and
    the frozen spend cut points."""
    left_out = "" if asked is None or len(asked) == len(bounds) else _(
        "The data starts on {day}: **{n}** of the {total} periods asked for begin before that and are left out, "
        "since every customer would seem to spend less in them.").format(
        day=_day(first_day), n=i18n.number(len(asked) - len(bounds)), total=i18n.number(len(asked)))
    if bounds.empty:
        return sentences(_("No period is covered whole by the data."), left_out)
    ref = (_("all periods pooled") if reference is None else
           _("period {label}").format(label=bounds.loc[reference, "label"]))
    tiers_ = (_("Spend tiers use cut points **{cuts}** (spend per period), frozen from {reference} and kept for every "
                "period, so a move between tiers is a real change in spend, not a change of rank.").format(
                  cuts=_(", ").join(i18n.number(b, 2) for b in bands), reference=ref) if bands else
              _("Active customer-periods do not differ enough in spend for cut points, so there is one tier of "
                "active customers."))
    return sentences(_("**{n}** periods from {start} to {end}.").format(
                          n=i18n.number(len(bounds)), start=bounds["label"].iloc[0].split("..")[0],
                          end=bounds["label"].iloc[-1].split("..")[1]),
                      left_out, tiers_,
                      _("A customer with no order in a period after having shopped before is *{lapsed}*.").format(
                          lapsed=shown_state("lapsed")))


def matrix_prose(long: pd.DataFrame, *, n_transitions: int, n_customers: int,
                 interval: str = "customer-bootstrap", into: str = "") -> str:
    """Stability and lapse per state; pooled over consecutive periods, or (``into``: the label of
    the later period) one pair of periods, one move per customer. ``interval`` names the
    intervals: ``customer-bootstrap`` or ``Jeffreys``."""
    head = (_("Into **{period}**: **{n}** customers, one move each from the period before.").format(
                period=into, n=i18n.number(n_customers)) if into else
            _("Pooled over **{transitions}** transitions of **{n}** customers.").format(
                transitions=i18n.number(n_transitions), n=i18n.number(n_customers)))
    origin, dest = long["origin"].astype(str), long["dest"].astype(str)
    stay = long[(origin == dest) & (long["n_origin"] > 0)]
    if stay.empty:
        return sentences(head, _("Every transition starts from a customer first seen in the later period, so no share "
                              "staying in a state can be shown yet."))
    best = stay.sort_values(["p", "origin"], ascending=[False, True]).iloc[0]
    worst = stay.sort_values(["p", "origin"]).iloc[0]
    text = sentences(head, _("The most stable state is **{best}**: {share} stay [{low}, {high}]; the least stable is "
                          "**{worst}** ({worst_share} stay).").format(
        best=shown_state(best["origin"]), share=i18n.percent(best["p"]), low=i18n.percent(best["ci_low"]),
        high=i18n.percent(best["ci_high"]), worst=shown_state(worst["origin"]), worst_share=i18n.percent(worst["p"])))
    lapsed = long[(dest == "lapsed") & ~origin.isin(["lapsed", "new"])]
    if len(lapsed):
        top_lapse = lapsed.sort_values(["p", "origin"], ascending=[False, True]).iloc[0]
        text = sentences(text, _("The tier that lapses most is **{tier}**: {share} [{low}, {high}] order nothing in the next "
                        "period.").format(tier=shown_state(top_lapse["origin"]), share=i18n.percent(top_lapse["p"], 1),
                                          low=i18n.percent(top_lapse["ci_low"], 1),
                                          high=i18n.percent(top_lapse["ci_high"], 1)))
    return sentences(text, _("Intervals are 95% Jeffreys intervals.") if interval == "Jeffreys" else
                         _("Intervals are 95% customer-bootstrap intervals.") if interval == "customer-bootstrap" else
                      _("Intervals are 95% {interval} intervals.").format(interval=interval))


def movement_prose(mov: pd.DataFrame) -> str:
    tiers_ = mov[~mov["origin"].astype(str).isin(["new", "lapsed"])]
    if tiers_.empty:
        return unavailable(_("moves out of spend tiers"),
                           why=_("no customer had a spend tier in a period followed by another"),
                           needs=_("two whole periods with active customers would give them"))
    up = tiers_.sort_values(["up", "origin"], ascending=[False, True]).iloc[0]
    down = tiers_.sort_values(["down", "origin"], ascending=[False, True]).iloc[0]
    loss = tiers_.sort_values(["gmv_change", "origin"]).iloc[0]
    return _("**{up}** moves up most often ({up_share}); **{down}** moves down most often ({down_share}). The largest "
             "GMV change is in **{loss}**: {change} from one period to the next, summed over its transitions.").format(
        up=shown_state(up["origin"]), up_share=i18n.percent(up["up"]), down=shown_state(down["origin"]),
        down_share=i18n.percent(down["down"]), loss=shown_state(loss["origin"]), change=i18n.number(loss["gmv_change"]))


def decomposition_prose(dec: pd.DataFrame) -> str:
    if dec.empty:
        return unavailable(_("the split into order count and spend per order"),
                           why=_("no customer was active in a period followed by another"),
                           needs=_("two whole periods with active customers would give it"))
    tot = dec[["gmv_change", "frequency_part", "basket_part"]].sum()
    by = dec.groupby("group")["customers"].sum()
    share = by / by.sum()
    return _("Across active customers, **{frequency}** raised their order count and **{basket}** their spend per "
             "order (**{both}** both). The GMV change of **{change}** splits into **{frequency_part}** from order "
             "counts and **{basket_part}** from spend per order; the parts add up to the total.").format(
        frequency=i18n.percent(share.get("frequency only", 0) + share.get("both", 0)),
        basket=i18n.percent(share.get("spend per order only", 0) + share.get("both", 0)),
        both=i18n.percent(share.get("both", 0)), change=i18n.number(tot["gmv_change"]),
        frequency_part=i18n.number(tot["frequency_part"]), basket_part=i18n.number(tot["basket_part"]))


def exposure_prose(eff: pd.DataFrame, *, has_strategies: bool = True) -> str:
    """The adjusted and naive difference in moving up per strategy type, or why there is none."""
    what = _("the comparison of reached and not reached customers")
    if not has_strategies:
        return unavailable(what, why=_("this data has no strategies or exposures"),
                           needs=_("a strategies and an exposures table would give it"))
    if eff.empty:
        return unavailable(what, why=_("no strategy starts inside a later period of the window"),
                           needs=_("strategies that start after the first period would give it"))
    counts = _(", ").join(_("{n} of {type}").format(n=i18n.number(int(n)), type=t)
                          for t, n in zip(eff["type"], eff.get("strategies", [])))
    parts = [] if not counts else [_(
        "A move can be set against a strategy only when the strategy starts inside a later period of the window, so "
        "the strategies counted here are those ({counts}); step 4 counts every strategy that ran in its window, "
        "including those that started in the first period or before it.").format(counts=counts)]
    for r in eff.itertuples():
        if np.isnan(r.adjusted_diff):
            parts.append(_("**{type}**: {note}.").format(type=r.type, note=r.note))
            continue
        fields = dict(type=r.type, n=i18n.number(r.eligible_n), diff=signed_percent(r.adjusted_diff),
                      low=signed_percent(r.ci_low), high=signed_percent(r.ci_high),
                      naive=signed_percent(r.naive_diff))
        parts.append((_("**{type}**: among {n} eligible transitions, exposure changes the chance of moving up by "
                        "**{diff}** [{low}, {high}], distinguishable from zero; the naive difference over everyone is "
                        "{naive}, which mixes in whom the strategy targeted and is not an effect.")
                      if r.ci_low > 0 or r.ci_high < 0 else
                      _("**{type}**: among {n} eligible transitions, exposure changes the chance of moving up by "
                        "**{diff}** [{low}, {high}], not distinguishable from zero; the naive difference over everyone "
                        "is {naive}, which mixes in whom the strategy targeted and is not an effect.")).format(**fields))
    return sentences(*parts)


def retention_prose(ret: pd.DataFrame) -> str:
    start = ret[ret["cohort"] == "present at start"]
    later = ret[ret["cohort"] != "present at start"]
    parts = []
    if len(start) and pd.notna(start.iloc[0][1]):
        row = start.iloc[0]
        parts.append(_("**{n}** customers were already shopping when the data begins; they cannot be called new (the "
                       "data is left-censored) and form one cohort, of whom **{share}** are active a month later.").format(
            n=i18n.number(int(row["customers"])), share=i18n.percent(row[1])))
    seen = later[later[1].notna()] if len(later) else later
    if len(seen):
        n = int(later["customers"].sum())
        k1 = (seen[1] * seen["customers"]).sum() / seen["customers"].sum()
        parts.append(_("The **{n}** customers first seen later, month by month, return the next month at a "
                       "customer-weighted **{share}**.").format(n=i18n.number(n), share=i18n.percent(k1)))
    if not parts:
        return unavailable(_("cohort retention"),
                           why=_("no cohort can be followed for a month after its first purchase"),
                           needs=_("data spanning two calendar months or more would give it"))
    return sentences(*parts)


def projection_prose(proj: pd.DataFrame) -> str:
    if proj.empty:
        return unavailable(_("next period's tier mix"), why=_("there are no transition rates to project with"),
                           needs=_("two whole periods of data would give them"))
    d = proj.assign(change=proj["projected"] - proj["now"])
    grow = d.sort_values(["change", "state"], ascending=[False, True]).iloc[0]
    shrink = d.sort_values(["change", "state"]).iloc[0]
    return _("If the pooled transition rates hold, next period **{grow}** grows to about **{grow_n}** customers "
             "[{grow_low}, {grow_high}] and **{shrink}** shrinks to **{shrink_n}** [{shrink_low}, {shrink_high}]. "
             "Customers who have never shopped before are not projected.").format(
        grow=shown_state(grow["state"]), grow_n=i18n.number(grow["projected"]), grow_low=i18n.number(grow["ci_low"]),
        grow_high=i18n.number(grow["ci_high"]), shrink=shown_state(shrink["state"]),
        shrink_n=i18n.number(shrink["projected"]), shrink_low=i18n.number(shrink["ci_low"]),
        shrink_high=i18n.number(shrink["ci_high"]))


def migration_headlines(mov: pd.DataFrame, eff: pd.DataFrame) -> dict[str, object]:
    """Headline numbers for the report index (labels and values in the report's language)."""
    t = mov[~mov["origin"].astype(str).isin(["new", "lapsed"])]
    w = t["customers"] / t["customers"].sum()
    out = ({_("moved up"): i18n.percent((t["up"] * w).sum(), 1), _("moved down"): i18n.percent((t["down"] * w).sum(), 1),
            _("lapsed"): i18n.percent((t["lapsed"] * w).sum(), 1)} if len(t) else
           {_("tier moves"): _("none: fewer than two whole periods of data")})
    for r in eff.itertuples():
        if not np.isnan(r.adjusted_diff):
            out[_("{type}: exposure effect on moving up").format(type=r.type)] = _("{diff} [{low}, {high}]").format(
                diff=signed_percent(r.adjusted_diff), low=signed_percent(r.ci_low), high=signed_percent(r.ci_high))
    return out
