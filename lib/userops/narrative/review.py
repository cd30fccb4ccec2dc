"""Report sentences for step 6 (review), generated from the data, in the report's language."""
from __future__ import annotations


import pandas as pd

from userops import i18n
from userops.display import blank_reason
from userops.i18n import N_, _, ngettext
from userops.narrative.wording import name_list, not_drawn, sentences, signed, signed_percent

__all__ = ["kpi_prose", "segment_conversion_not_drawn", "seesaw_prose", "allocation_prose", "alerts_prose",
           "library_prose", "review_headlines", "HEADLINES", "signed", "sentences"]

_CELLS = N_("effects by spend tier from step 5 (a strategy with at least min_cell exposed and comparison "
            "customers in two or more tiers, or a random holdout) would fill it")
# the headline keys stay English (the runner reads "KPI alerts vs previous run" back); the index
# shows them translated: _(key)
HEADLINES = (N_("strategies reviewed"), N_("with incremental GMV"), N_("recommended spend"),
             N_("KPI alerts vs previous run"))
# the KPIs an alert names (review.alerts' metric column), as the prose writes them
_METRICS = {"conversion": N_("conversion"), "arpu": N_("arpu")}




def kpi_prose(k: pd.DataFrame, *, contact_cost: float, coupon_cost: float) -> str:
    if k.empty:
        return _("**This data has no strategies with reach, so there is nothing to review**: a strategies table "
                 "and an exposures table naming who each strategy reached would let this step give KPIs.")
    est = k.dropna(subset=["incremental_gmv"])
    text = ngettext(
        "**{n}** strategy reached **{contacts}** customer contacts at a cost of **{cost}** (contact cost "
        "{contact} per customer unless the strategies table gives its own cost_per_contact, and {coupon} per "
        "response: parameters, not in the data). Conversion ranges from {low} to {high}.",
        "**{n}** strategies reached **{contacts}** customer contacts at a cost of **{cost}** (contact cost "
        "{contact} per customer unless the strategies table gives its own cost_per_contact, and {coupon} per "
        "response: parameters, not in the data). Conversion ranges from {low} to {high}.", len(k)).format(
        n=i18n.number(len(k)), contacts=i18n.number(int(k["reach"].sum())), cost=i18n.number(k["cost"].sum(), 2),
        contact=i18n.number(contact_cost, 2), coupon=i18n.number(coupon_cost, 2),
        low=i18n.percent(k["conversion"].min(), 1), high=i18n.percent(k["conversion"].max(), 1))
    if est.empty:
        return sentences(text, _("No strategy has an effect estimate from step 5, so incremental GMV and ROI "
                                 "cannot be given; the descriptive KPIs are not returns on spend."))
    parts = []
    for r in est.itertuples():
        said = (_("**{strategy}**: incremental GMV {inc} [{low}, {high}], ROI {roi} [{roi_low}, {roi_high}]")
                if (r.inc_low > 0 or r.inc_high < 0) else
                _("**{strategy}**: incremental GMV {inc} [{low}, {high}], ROI {roi} [{roi_low}, {roi_high}], "
                  "not distinguishable from zero"))
        parts.append(said.format(strategy=r.strategy_id, inc=signed(r.incremental_gmv, 0), low=signed(r.inc_low, 0),
                                 high=signed(r.inc_high, 0), roi=signed(r.roi, 1), roi_low=signed(r.roi_low, 1),
                                 roi_high=signed(r.roi_high, 1)))
    none = len(k) - len(est)
    rest = ngettext("**{n}** strategy has no effect estimate from step 5 (the Effect column of the table says why), "
                    "so its incremental GMV and ROI are not given.",
                    "**{n}** strategies have no effect estimate from step 5 (the Effect column of the table says "
                    "why), so their incremental GMV and ROI are not given.", none).format(n=i18n.number(none)) \
        if none else ""
    roi = int(est["roi"].notna().sum())
    chart = not_drawn(_("ROI chart"), why=ngettext("only {n} strategy has an ROI with an interval, given above",
                                                   "only {n} strategies have an ROI with an interval, given above",
                                                   roi).format(n=i18n.number(roi)),
                      needs=_("effect estimates for two or more strategies would let it compare them")) \
        if roi < 2 else ""
    listed = _("With an effect estimate: {items}.").format(items=_("; ").join(parts))
    return sentences(text, listed, rest, chart)


def segment_conversion_not_drawn(why: str) -> str:
    """Why the conversion per strategy x segment chart is not drawn (``why`` from
    :func:`userops.display.blank_reason`, English) and what data would fill it."""
    fill = (_("No reached customer has a response in this data; responses (redemptions or orders tied to a "
              "strategy) would fill it.") if why == "every value is 0" else
            _("Reached customers in more segments, with responses, would fill it."))
    return "_" + _("The conversion chart is not drawn: {why}. {fill}").format(why=_(why), fill=fill) + "_"


def seesaw_prose(curve: pd.DataFrame) -> str:
    """What the seesaw shows: for each strategy the effect per reached customer from its first
    tier to all tiers; when every line is flat or a single point, that it is not drawn and why."""
    if curve.empty:
        return not_drawn(_("seesaw"), why=_("no strategy has an effect estimate from step 5"),
                         needs=_("a strategy with an estimate (or a random holdout, see the decisions below) "
                                 "would let this section show one"))
    why = blank_reason(curve["value_per_customer"], groups=curve["strategy_id"])
    if why:
        flat = curve.groupby("strategy_id", sort=True)["value_per_customer"].mean()
        return not_drawn(_("seesaw"), why=_(
            "{why}: step 5 gives {strategies} one effect for every spend tier ({effects} per customer-week), so "
            "adding tiers does not change the effect per reached customer").format(
            why=_(why), strategies=name_list(list(flat.index.astype(str))),
            effects=_(", ").join(signed(v) for v in flat)), needs=_(_CELLS))
    parts = []
    for sid, g in curve.groupby("strategy_id", sort=True):
        first, last = g["value_per_customer"].iloc[0], g["value_per_customer"].iloc[-1]
        at_first, at_last = i18n.percent(g["coverage"].iloc[0]), i18n.percent(g["coverage"].iloc[-1])
        if len(g) == 1 or signed(last) == signed(first):
            parts.append(_("**{strategy}** stays at {value} up to {coverage} coverage").format(
                strategy=sid, value=signed(first), coverage=at_last))
            continue
        move = (_("**{strategy}** falls from {first} at {first_coverage} coverage to {last} at {last_coverage}")
                if last < first else
                _("**{strategy}** rises from {first} at {first_coverage} coverage to {last} at {last_coverage}"))
        parts.append(move.format(strategy=sid, first=signed(first), first_coverage=at_first, last=signed(last),
                                 last_coverage=at_last))
    return _("Each row adds the next spend tier (the one with the next-highest expected effect) to the "
             "strategy's audience. Expected incremental spend per reached customer-week: {items}.").format(
        items=_("; ").join(parts))


def allocation_prose(alloc: pd.DataFrame, front: pd.DataFrame, *, budget: float) -> str:
    """The recommended plan and the frontier's marginal return; when the frontier is flat, that
    its chart is not drawn and why."""
    flat = blank_reason(front["incremental_gmv"]) if len(front) else N_("no budget was tried")
    chart = (not_drawn(_("budget frontier"), why=_(
        "every budget buys the same expected incremental GMV ({gmv})").format(
        gmv=i18n.number(front["incremental_gmv"].iloc[0])) if len(front) else _(flat), needs=_(_CELLS))
             if flat else "")
    if alloc.empty:
        return _("No strategy x tier cell has an effect estimate from step 5, so there is no budget to allocate: "
                 "effects measured with a random holdout would let this section recommend one.")
    if alloc["spend"].sum() == 0:
        return sentences(_("With a budget of {budget}, no strategy x tier cell has a positive expected net "
                           "value, so the best plan spends nothing: fund a randomised test instead.").format(
            budget=i18n.number(budget)), chart)
    used = alloc[alloc["x"] > 0]
    text = ngettext(
        "With a budget of **{budget}** the best plan spends **{spend}** on **{n}** strategy x tier cell and "
        "reaches **{customers}** customers for an expected incremental GMV of **{gmv}**.",
        "With a budget of **{budget}** the best plan spends **{spend}** on **{n}** strategy x tier cells and "
        "reaches **{customers}** customers for an expected incremental GMV of **{gmv}**.", len(used)).format(
        budget=i18n.number(budget), spend=i18n.number(alloc["spend"].sum()), n=i18n.number(len(used)),
        customers=i18n.number(alloc["customers"].sum()), gmv=i18n.number(alloc["incremental_gmv"].sum()))
    if flat:
        return sentences(text, chart)
    slope = (front["incremental_gmv"].diff() / front["budget"].diff()).dropna()
    return sentences(text, _("Along the frontier each extra unit of budget returns {first} at first and {last} at "
                             "the end: the seesaw of coverage and effect.").format(
        first=i18n.number(slope.iloc[0], 2), last=i18n.number(slope.iloc[-1], 2)))


def alerts_prose(al: pd.DataFrame, prev: pd.DataFrame, *, threshold: float) -> str:
    if prev is None or prev.empty:
        return "_" + _("No earlier run of this data with the same parameters in the strategy library: "
                       "nothing to compare yet.") + "_"
    when = prev["as_of"].iloc[0]
    hit = al[al["alert"]]
    if hit.empty:
        return _("Compared with the run as of **{date}**, no KPI moved by more than {threshold}.").format(
            date=when, threshold=i18n.percent(threshold))
    moves = [_("**{type} {metric}** {previous} -> {current} ({change})").format(
        type=r.type, metric=_(_METRICS.get(r.metric, r.metric)), previous=i18n.number(r.previous, 3),
        current=i18n.number(r.this_run, 3), change=signed_percent(r.change))
        for r in hit.itertuples()]
    return ngettext("Compared with the run as of **{date}**, **{n}** KPI moved by more than {threshold}: {moves}.",
                    "Compared with the run as of **{date}**, **{n}** KPIs moved by more than {threshold}: {moves}.",
                    len(hit)).format(date=when, n=i18n.number(len(hit)), threshold=i18n.percent(threshold),
                                     moves=_("; ").join(moves))


def review_headlines(k: pd.DataFrame, alloc: pd.DataFrame, al: pd.DataFrame) -> dict[str, object]:
    """Headline numbers for the report index; the keys are English (:data:`HEADLINES`), shown
    translated."""
    values = (i18n.number(len(k)), i18n.number(int(k["incremental_gmv"].notna().sum()) if len(k) else 0),
              i18n.number(alloc["spend"].sum()) if len(alloc) else i18n.number(0),
              i18n.number(int(al["alert"].sum()) if len(al) else 0))
    return dict(zip(HEADLINES, values))


def library_prose(past: pd.DataFrame, rows: pd.DataFrame) -> str:
    """How many runs the strategy library holds with this one, and the rows this run adds."""
    runs = int(past["run_id"].nunique())
    held = ngettext("The library holds **{n}** run with this one.", "The library holds **{n}** runs with this one.",
                    runs).format(n=i18n.number(runs))
    adds = ngettext("This run adds **{n}** row (per strategy and per strategy x segment).",
                    "This run adds **{n}** rows (per strategy and per strategy x segment).",
                    len(rows)).format(n=i18n.number(len(rows)))
    return sentences(held, adds, _("The runner records them once every step has succeeded."))
