"""Report sentences for forward value (step 1), the revenue bridge (step 3) and the forward ROI
and audiences (step 6), generated from the data."""
from __future__ import annotations

import numpy as np
import pandas as pd

from userops import i18n
from userops.clv import MIN_REPEATERS, Forward, shown as _shown_values, signed_percent, status_name
from userops.i18n import N_, _
from userops.narrative.tiering import sentences

__all__ = ["clv_definitions", "clv_holdout_prose", "clv_fit_prose", "stage_alive_prose", "clv_headlines",
           "bridge_prose", "bridge_check_prose", "persistence_prose", "forward_roi_prose", "audiences_prose"]


def clv_definitions(fw: Forward, *, horizon_months: int) -> str:
    """What the model counts, over which horizon, and how it is checked."""
    horizon = (_("the next **{days}** days (the data's own length, shorter than {months} months)") if fw.horizon_capped
               else _("the next **{days}** days ({months} months)")).format(days=fw.horizon_days, months=horizon_months)
    return _(
        "**Definitions.** A *purchase* is a shopping day whose orders net to a positive value; a day that nets "
        "to zero or less (a return, a refunded or zero-value order) is not a purchase and its value is not "
        "counted. *Repeat purchases* are the purchases after a customer's first one. Purchase frequency follows "
        "a BG/NBD model (each customer buys at their own rate and may drop out after any purchase) and the value "
        "of a purchase a Gamma-Gamma model (each customer's mean value, shrunk toward the base's by how many "
        "repeat purchases back it), both fitted by maximum likelihood. *Expected orders* and *expected value* "
        "cover {horizon}, not discounted; *P(alive)* is the chance a customer has not dropped out by the cut-off. "
        "Before tiers use it, the model is fitted on the purchases up to {end} and must predict the repeat "
        "purchases of the **{holdout}** days after within ±{tolerance} in total."
    ).format(horizon=horizon, end=_day(fw.calibration_end), holdout=fw.holdout_days,
             tolerance=i18n.percent(fw.tolerance))


def clv_holdout_prose(fw: Forward) -> str:
    """The holdout check: predicted vs actual repeat purchases in total and where deciles miss most."""
    if not fw.total:
        return f"_{fw.reason}_"
    t, h = fw.total, fw.holdout
    worst = h.loc[h["error"].abs().idxmax()] if h["error"].notna().any() else None
    tail = (_("The largest miss is in decile {decile} of prediction ({predicted} predicted, {actual} actual, "
                    "{error}).").format(decile=int(worst["decile"]), predicted=i18n.number(worst["predicted"]),
                                        actual=i18n.number(worst["actual"]),
                                        error=signed_percent(worst["error"], 0)) if worst is not None else "")
    return sentences(_("Fitted on the purchases up to {end}, the model predicted **{predicted}** repeat purchases by the "
             "**{customers}** customers of that period in the {days} days after; **{actual}** happened "
             "(**{error}**).").format(
        end=_day(fw.calibration_end), predicted=i18n.number(t["predicted"]),
        customers=i18n.number(int(t["customers"])), days=fw.holdout_days, actual=i18n.number(t["actual"]),
        error=signed_percent(t["error"], 1)), tail, f"**{fw.reason}**")


def _params(params: dict[str, float], se: dict[str, float]) -> str:
    return _(", ").join(_("{name} = {value} (SE {se})").format(name=k, value=f"{params[k]:.3g}", se=f"{se[k]:.2g}")
                        for k in params)


def clv_fit_prose(fw: Forward) -> str:
    """The final fit: parameters with standard errors, the value model and the totals."""
    if fw.bgnbd is None:
        return "_" + _("No model was fitted on all purchases: the holdout check above says why.") + "_"
    parts = [_("On all **{n}** customers' purchases up to the cut-off, BG/NBD gives {params}.").format(
        n=i18n.number(fw.bgnbd.n), params=_params(fw.bgnbd.params, fw.bgnbd.se))]
    if fw.gamma_gamma is not None and not fw.gg_reason:
        g = fw.gamma_gamma.params
        parts.append(_("Gamma-Gamma, on the {n} customers with a repeat purchase: {params}; a purchase is worth "
                       "{value} on average across the base.").format(
            n=i18n.number(fw.gamma_gamma.n), params=_params(g, fw.gamma_gamma.se),
            value=i18n.money(g["p"] * g["v"] / (g["q"] - 1))))
        if np.isfinite(fw.spend_frequency_corr):
            corr = f"{fw.spend_frequency_corr:+.2f}"
            parts.append((_("The model assumes a customer's purchase value does not depend on how often they buy: "
                            "the correlation between the two among repeat buyers is {corr} (weak, as assumed).")
                          if abs(fw.spend_frequency_corr) < 0.3 else
                          _("The model assumes a customer's purchase value does not depend on how often they buy: "
                            "the correlation between the two among repeat buyers is {corr} (not weak: read expected "
                            "values with care).")).format(corr=corr))
    else:
        parts.append(_("{reason}, so expected value is not given (at least {least} repeat buyers and a finite mean "
                       "purchase value are needed).").format(
            reason=fw.gg_reason or _("Gamma-Gamma was not fitted"), least=MIN_REPEATERS))
    c = fw.customers
    if len(c):
        value = c["expected_value"].sum() if c["expected_value"].notna().any() else float("nan")
        fields = dict(days=fw.horizon_days, n=i18n.number(len(c)), orders=i18n.number(c["expected_orders"].sum()),
                      alive=i18n.percent(c["p_alive"].mean()))
        parts.append(_("Over the next {days} days the {n} customers are expected to make **{orders}** purchases "
                       "worth **{value}**; the mean P(alive) is **{alive}**.").format(value=i18n.money(value), **fields)
                     if np.isfinite(value) else
                     _("Over the next {days} days the {n} customers are expected to make **{orders}** purchases; the "
                       "mean P(alive) is **{alive}**.").format(**fields))
    if not fw.used:
        parts.append("**" + _("Tiers do not carry these predictions: {status}.").format(status=status_name(fw.status))
                     + "**")
    return sentences(*parts)


def stage_alive_prose(cross: pd.DataFrame, disagreements: pd.DataFrame, *, level: float) -> str:
    """How often the recency-based lifecycle stage and the model's P(alive) disagree."""
    if cross.empty:
        return "_" + _("The tiers carry no P(alive) (the forward model is not used), so there is nothing to "
                       "compare.") + "_"
    n = int(cross["customers"].sum())
    k = int(disagreements["customers"].sum()) if len(disagreements) else 0
    if not k:
        return _("For all **{n}** customers the lifecycle stage and P(alive) (split at {level}) agree: active stages "
                 "have a high P(alive), at-risk and dormant ones a low one.").format(n=i18n.number(n), level=f"{level:g}")
    by = _shown_values(disagreements).groupby("disagreement", sort=False)["customers"].sum()
    detail = _("; ").join(_("{kind}: **{n}**").format(kind=kind, n=i18n.number(int(v))) for kind, v in by.items())
    return _("The lifecycle stage (from days since the last order) and P(alive) (split at {level}) disagree for "
             "**{k}** of **{n}** customers (**{share}**): {detail}. P(alive) also weighs how often a customer used "
             "to buy: a long silence is alarming for a frequent buyer and ordinary for a rare one.").format(
        level=f"{level:g}", k=i18n.number(k), n=i18n.number(n), share=i18n.percent(k / n, 1), detail=detail)


def clv_headlines(fw: Forward) -> dict[str, object]:
    """Headline numbers of the forward model for the report index: the keys are English (the index
    shows them translated), the values in the report's language."""
    out: dict[str, object] = {N_("forward model"): status_name(fw.status)}
    if fw.total:
        out[N_("holdout error")] = signed_percent(fw.total["error"], 1) if np.isfinite(fw.total["error"]) else _("n/a")
    if fw.used and fw.customers["expected_value"].notna().any():
        out[N_("expected value over the horizon")] = _("{value} (next {days} days)").format(
            value=i18n.number(fw.customers["expected_value"].sum()), days=fw.horizon_days)
    return out


def bridge_prose(table: pd.DataFrame, bounds: pd.DataFrame, *, check: pd.DataFrame,
                 tier_check: pd.DataFrame) -> str:
    """The last pair of periods' bridge in words: the GMV change, each group's share of it, the
    customers / orders / basket terms and whether it adds up (:func:`bridge_check_prose`)."""
    if table.empty:
        return "_There is no pair of consecutive periods with customers in this data, so there is no bridge to draw._"
    pair = int(table["pair"].max())
    labels = bounds.set_index("period")["label"]
    t = table[table["pair"] == pair]
    g = t.groupby("group", sort=False)[["gmv_before", "gmv_after", "gmv_change", "customers_effect", "orders_effect",
                                        "basket_effect", "customers_before", "customers_after"]].sum()
    start, end = g["gmv_before"].sum() / 100, g["gmv_after"].sum() / 100
    parts = "; ".join(f"{k}: **{v['gmv_change'] / 100:+,.2f}**" + (
        f" ({_n(int(v['customers_after'] if k in ('new', 'returned') else v['customers_before']), 'customer')})"
        if k != "returns only" else "") for k, v in g.iterrows())
    terms = g.drop(index="returns only", errors="ignore")[["customers_effect", "orders_effect", "basket_effect"]].sum() / 100
    return (f"From {labels.get(pair, pair)} to {labels.get(pair + 1, pair + 1)}, GMV went from **{start:,.2f}** to "
            f"**{end:,.2f}** (**{end - start:+,.2f}**). By group: {parts}. Over the groups, the number of buying "
            f"customers accounts for **{terms['customers_effect']:+,.2f}**, orders per customer for "
            f"**{terms['orders_effect']:+,.2f}** and basket value for **{terms['basket_effect']:+,.2f}**. New and "
            "returned customers are measured from the earlier period's average orders per customer and basket, "
            "lost ones to the later period's: their *customers* term is what they bring (or took) at the average. "
            + bridge_check_prose(check, tier_check))


def bridge_check_prose(check_total: pd.DataFrame, check_tiers: pd.DataFrame) -> str:
    """Whether the bridge adds up to the GMV change to the cent, for every pair and tier."""
    if check_total.empty:
        return ""
    worst = int(max(check_total["difference"].abs().max(), check_tiers["difference"].abs().max() if len(check_tiers) else 0))
    verdict = ("adds up to the GMV change **to the cent**" if worst == 0 else
               f"misses the GMV change by up to **{worst}** cent(s)")
    return (f"Checked in integer cents: the bridge {verdict} for all **{len(check_total)}** pair(s) of periods and "
            f"all **{len(check_tiers)}** pair x tier rows (tier = the state in the earlier period).")


def persistence_prose(persist: pd.DataFrame, *, post_weeks: int) -> str:
    """Which strategies' effects last after their run (step 6 carries only those forward)."""
    if persist.empty:
        return ("_No strategy has an effect estimate that passed the gate, so there is no run whose after-effect "
                "could be measured._")
    yes = persist[persist["persists"]]
    listed = ", ".join(f"**{sid}** ({est:+,.2f} per customer-week over {int(k)} weeks)"
                       for sid, est, k in zip(yes["strategy_id"], yes["post_estimate"], yes["post_weeks"]))
    head = (f"Of **{len(persist)}** strategies with an estimate, **{len(yes)}** keep an effect above the comparison "
            f"in the up to {post_weeks} weeks after the run" + (f": {listed}." if len(yes) else "."))
    return (head + " The check is the same weighted comparison as the estimate, with the weeks after the run in "
            "place of the run's weeks. Step 6 carries an effect over its forward horizon only for these strategies.")


def forward_roi_prose(table: pd.DataFrame, *, horizon_days: int) -> str:
    """The forward ROI beside the window ROI: where it is given, and why not elsewhere."""
    if table.empty:
        return "_No strategy reached anyone in this data, so there is no ROI to carry forward._"
    given = table[table["forward_roi"].notna()]
    if given.empty:
        return (f"No strategy gets a forward ROI: an effect is carried over the {horizon_days}-day horizon only where "
                f"step 5 finds it lasting after the run and step 1's forward model is used. Here: {_reasons(table)}. "
                "The ROI shown is the campaign window's.")
    listed = ", ".join(f"**{sid}**: window ROI {w:+.2f}, forward {f:+.2f} ({lo:+.2f} to {hi:+.2f})"
                       for sid, w, f, lo, hi in zip(given["strategy_id"], given["roi"], given["forward_roi"],
                                                   given["forward_roi_low"], given["forward_roi_high"]))
    return (f"**{len(given)}** of **{len(table)}** strategies have an effect that lasts after the run; carried over the "
            f"next {horizon_days} days for the reached customers still likely active (their P(alive)): {listed}. "
            + (f"The others keep the campaign window's ROI only ({_reasons(table[table['forward_roi'].isna()])}). "
               if len(given) < len(table) else "")
            + "Carrying the post-run effect for "
            "the whole horizon assumes it does not fade: read the forward ROI as an upper reading.")


def audiences_prose(index: pd.DataFrame, *, folder: str, seed: int) -> str:
    """What the audience files hold: counts, holdouts and how they are drawn."""
    if index.empty:
        return ("_No audience file: the allocation funds no strategy x tier cell and no customer is uncovered "
                "(or the data has no tiers to build them from)._")
    rec = index[index["strategy_id"] != "(uncovered)"]
    un = index[index["strategy_id"] == "(uncovered)"]
    parts = [f"**{len(index)}** audience files in `{folder}/`: **{len(rec)}** for the recommended allocation "
             f"({int(rec['customers'].sum()):,} customers, **{int(rec['held_out'].sum()):,}** of them held out) and "
             f"**{len(un)}** for the uncovered population ({int(un['customers'].sum()):,} customers), one per tier."]
    parts.append(f"Each file lists customer id, tier, expected value and the reason. A held-out customer is not "
                 f"contacted, so the next run can measure the effect: the share is the one step 5 sizes, and the "
                 f"draw takes the smallest SHA-256 of seed ({seed}), strategy and customer id, so the same seed "
                 "draws the same holdout. Text a spreadsheet would run as a formula is written with a leading '.")
    per = rec.groupby("strategy_id").agg(customers=("customers", "sum"), needed=("needed", "max"))
    short = per[per["needed"] > per["customers"]]
    if len(short):
        parts.append(f"For {_n(len(short), 'strategy').replace('strategys', 'strategies')} ("
                     + ", ".join(f"{sid}: {int(r.customers):,} in its audiences, {r.needed:,.0f} needed" for sid, r in
                                 short.head(5).iterrows())
                     + ") the audiences are smaller than the test step 5 sizes needs to tell the break-even effect "
                       "from zero: the holdout still keeps the share, but one run will not settle the effect.")
    return " ".join(parts)


def _reasons(table: pd.DataFrame) -> str:
    """Strategies per reason for staying at the window ROI: 'reason (k strategies: a, b, ...)'."""
    groups = table.groupby(table["forward"].str.removeprefix("window only: "), sort=True)["strategy_id"]
    return "; ".join(f"{why} ({_n(len(ids), 'strategy').replace('strategys', 'strategies')}: "
                     f"{', '.join(map(str, ids[:6]))}{', ...' if len(ids) > 6 else ''})" for why, ids in groups)


def _n(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _day(ts: pd.Timestamp | None) -> str:
    return _("the calibration end") if ts is None else str(pd.Timestamp(ts).date())
