"""Report sentences for forward value (step 1), the revenue bridge (step 3) and the forward ROI
and audiences (step 6), generated from the data."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from userops.clv import MIN_REPEATERS, Forward

__all__ = ["clv_definitions", "clv_holdout_prose", "clv_fit_prose", "stage_alive_prose", "clv_headlines",
           "bridge_prose", "bridge_check_prose", "persistence_prose", "forward_roi_prose", "audiences_prose", "forward_label"]


def clv_definitions(fw: Forward, *, horizon_months: int) -> str:
    """What the model counts, over which horizon, and how it is checked."""
    horizon = (f"the next **{fw.horizon_days}** days (the data's own length, shorter than {horizon_months} months)"
               if fw.horizon_capped else f"the next **{fw.horizon_days}** days ({horizon_months} months)")
    return (
        "**Definitions.** A *purchase* is a shopping day whose orders net to a positive value; a day that nets "
        "to zero or less (a return, a refunded or zero-value order) is not a purchase and its value is not "
        "counted. *Repeat purchases* are the purchases after a customer's first one. Purchase frequency follows "
        "a BG/NBD model (each customer buys at their own rate and may drop out after any purchase) and the value "
        "of a purchase a Gamma-Gamma model (each customer's mean value, shrunk toward the base's by how many "
        "repeat purchases back it), both fitted by maximum likelihood. *Expected orders* and *expected value* "
        f"cover {horizon}, not discounted; *P(alive)* is the chance a customer has not dropped out by the cut-off. "
        f"Before tiers use it, the model is fitted on the purchases up to {_day(fw.calibration_end)} and must "
        f"predict the repeat purchases of the **{fw.holdout_days}** days after within ±{fw.tolerance:.0%} in total.")


def clv_holdout_prose(fw: Forward) -> str:
    """The holdout check: predicted vs actual repeat purchases in total and where deciles miss most."""
    if not fw.total:
        return f"_{fw.reason}_"
    t, h = fw.total, fw.holdout
    worst = h.loc[h["error"].abs().idxmax()] if h["error"].notna().any() else None
    tail = (f" The largest miss is in decile {int(worst['decile'])} of prediction ({worst['predicted']:,.0f} "
            f"predicted, {worst['actual']:,.0f} actual, {worst['error']:+.0%})." if worst is not None else "")
    return (f"Fitted on the purchases up to {_day(fw.calibration_end)}, the model predicted **{t['predicted']:,.0f}** "
            f"repeat purchases by the **{int(t['customers']):,}** customers of that period in the "
            f"{fw.holdout_days} days after; **{t['actual']:,.0f}** happened (**{t['error']:+.1%}**).{tail} "
            f"**{fw.reason}**")


def clv_fit_prose(fw: Forward) -> str:
    """The final fit: parameters with standard errors, the value model and the totals."""
    if fw.bgnbd is None:
        return "_No model was fitted on all purchases: the holdout check above says why._"
    p, se = fw.bgnbd.params, fw.bgnbd.se
    parts = [f"On all **{fw.bgnbd.n:,}** customers' purchases up to the cut-off, BG/NBD gives "
             + ", ".join(f"{k} = {p[k]:.3g} (SE {se[k]:.2g})" for k in p) + "."]
    if fw.gamma_gamma is not None and not fw.gg_reason:
        g, gs = fw.gamma_gamma.params, fw.gamma_gamma.se
        parts.append(f"Gamma-Gamma, on the {fw.gamma_gamma.n:,} customers with a repeat purchase: "
                     + ", ".join(f"{k} = {g[k]:.3g} (SE {gs[k]:.2g})" for k in g)
                     + f"; a purchase is worth {g['p'] * g['v'] / (g['q'] - 1):,.2f} on average across the base.")
        if np.isfinite(fw.spend_frequency_corr):
            parts.append(f"The model assumes a customer's purchase value does not depend on how often they buy: "
                         f"the correlation between the two among repeat buyers is {fw.spend_frequency_corr:+.2f}"
                         + (" (weak, as assumed)." if abs(fw.spend_frequency_corr) < 0.3 else
                            " (not weak: read expected values with care)."))
    else:
        parts.append(f"{fw.gg_reason or 'Gamma-Gamma was not fitted'}, so expected value is not given "
                     f"(at least {MIN_REPEATERS} repeat buyers and a finite mean purchase value are needed).")
    c = fw.customers
    if len(c):
        value = c["expected_value"].sum() if c["expected_value"].notna().any() else float("nan")
        parts.append(f"Over the next {fw.horizon_days} days the {len(c):,} customers are expected to make "
                     f"**{c['expected_orders'].sum():,.0f}** purchases"
                     + (f" worth **{value:,.2f}**" if np.isfinite(value) else "")
                     + f"; the mean P(alive) is **{c['p_alive'].mean():.0%}**.")
    if not fw.used:
        parts.append(f"**Tiers do not carry these predictions: {fw.status}.**")
    return " ".join(parts)


def stage_alive_prose(cross: pd.DataFrame, disagreements: pd.DataFrame, *, level: float) -> str:
    """How often the recency-based lifecycle stage and the model's P(alive) disagree."""
    if cross.empty:
        return "_The tiers carry no P(alive) (the forward model is not used), so there is nothing to compare._"
    n = int(cross["customers"].sum())
    k = int(disagreements["customers"].sum()) if len(disagreements) else 0
    if not k:
        return (f"For all **{n:,}** customers the lifecycle stage and P(alive) (split at {level:g}) agree: "
                "active stages have a high P(alive), at-risk and dormant ones a low one.")
    by = disagreements.groupby("disagreement")["customers"].sum()
    detail = "; ".join(f"{kind}: **{int(v):,}**" for kind, v in by.items())
    return (f"The lifecycle stage (from days since the last order) and P(alive) (split at {level:g}) disagree for "
            f"**{k:,}** of **{n:,}** customers (**{k / n:.1%}**): {detail}. P(alive) also weighs how often a "
            "customer used to buy: a long silence is alarming for a frequent buyer and ordinary for a rare one.")


def clv_headlines(fw: Forward) -> dict[str, object]:
    """Headline numbers of the forward model for the report index."""
    out: dict[str, object] = {"forward model": fw.status}
    if fw.total:
        out["holdout error"] = f"{fw.total['error']:+.1%}" if np.isfinite(fw.total["error"]) else "n/a"
    if fw.used and fw.customers["expected_value"].notna().any():
        out[f"expected value, next {fw.horizon_days} days"] = f"{fw.customers['expected_value'].sum():,.0f}"
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
    from userops import i18n
    from userops.i18n import _, ngettext
    from userops.narrative.review import sentences, signed

    if table.empty:
        return "_" + _("No strategy reached anyone in this data, so there is no ROI to carry forward.") + "_"
    given = table[table["forward_roi"].notna()]
    if given.empty:
        return _("No strategy gets a forward ROI: an effect is carried over the {days}-day horizon only where "
                 "step 5 finds it lasting after the run and step 1's forward model is used. Here: {reasons}. "
                 "The ROI shown is the campaign window's.").format(days=i18n.number(horizon_days),
                                                                 reasons=_window_reasons(table))
    listed = _(", ").join(
        _("**{strategy}**: window ROI {window}, forward {forward} ({low} to {high})").format(
            strategy=sid, window=signed(w), forward=signed(f), low=signed(lo), high=signed(hi))
        for sid, w, f, lo, hi in zip(given["strategy_id"], given["roi"], given["forward_roi"],
                                     given["forward_roi_low"], given["forward_roi_high"]))
    head = ngettext("**{n}** of **{total}** strategy has an effect that lasts after the run; carried over the next "
                    "{days} days for the reached customers still likely active (their P(alive)): {listed}.",
                    "**{n}** of **{total}** strategies have an effect that lasts after the run; carried over the "
                    "next {days} days for the reached customers still likely active (their P(alive)): {listed}.",
                    len(table)).format(n=i18n.number(len(given)), total=i18n.number(len(table)),
                                       days=i18n.number(horizon_days), listed=listed)
    others = (_("The others keep the campaign window's ROI only ({reasons}).").format(
        reasons=_window_reasons(table[table["forward_roi"].isna()])) if len(given) < len(table) else "")
    return sentences(head, others, _("Carrying the post-run effect for the whole horizon assumes it does not "
                                     "fade: read the forward ROI as an upper reading."))


def audiences_prose(index: pd.DataFrame, *, folder: str, seed: int) -> str:
    """What the audience files hold: counts, holdouts and how they are drawn."""
    from userops import i18n
    from userops.i18n import _, ngettext
    from userops.narrative.review import sentences

    if index.empty:
        return "_" + _("No audience file: the allocation funds no strategy x tier cell and no customer is uncovered "
                       "(or the data has no tiers to build them from).") + "_"
    rec = index[index["strategy_id"] != "(uncovered)"]
    un = index[index["strategy_id"] == "(uncovered)"]
    files = ngettext("**{n}** audience file in `{folder}/`: **{recommended}** for the recommended allocation "
                     "({customers} customers, **{held}** of them held out) and **{uncovered}** for the uncovered "
                     "population ({uncovered_customers} customers), one per tier.",
                     "**{n}** audience files in `{folder}/`: **{recommended}** for the recommended allocation "
                     "({customers} customers, **{held}** of them held out) and **{uncovered}** for the uncovered "
                     "population ({uncovered_customers} customers), one per tier.", len(index)).format(
        n=i18n.number(len(index)), folder=folder, recommended=i18n.number(len(rec)),
        customers=i18n.number(int(rec["customers"].sum())), held=i18n.number(int(rec["held_out"].sum())),
        uncovered=i18n.number(len(un)), uncovered_customers=i18n.number(int(un["customers"].sum())))
    how = _("Each file lists customer id, tier, expected value and the reason. A held-out customer is not "
            "contacted, so the next run can measure the effect: the share is the one step 5 sizes, and the draw "
            "takes the smallest SHA-256 of seed ({seed}), strategy and customer id, so the same seed draws the same "
            "holdout. Text a spreadsheet would run as a formula is written with a leading '.").format(seed=seed)
    per = rec.groupby("strategy_id").agg(customers=("customers", "sum"), needed=("needed", "max"))
    short = per[per["needed"] > per["customers"]]
    small = ""
    if len(short):
        small = ngettext(
            "For {n} strategy ({items}) the audiences are smaller than the test step 5 sizes needs to tell the "
            "break-even effect from zero: the holdout still keeps the share, but one run will not settle the effect.",
            "For {n} strategies ({items}) the audiences are smaller than the test step 5 sizes needs to tell the "
            "break-even effect from zero: the holdout still keeps the share, but one run will not settle the effect.",
            len(short)).format(n=i18n.number(len(short)), items=_(", ").join(
                _("{strategy}: {customers} in its audiences, {needed} needed").format(
                    strategy=sid, customers=i18n.number(int(r.customers)), needed=i18n.number(r.needed))
                for sid, r in short.head(5).iterrows()))
    return sentences(files, how, small)


def forward_label(label: object) -> object:
    """The ``forward`` label of :func:`userops.clv.forward_roi` (English, as the artifact stores
    it) in the report's language, for display; anything else unchanged."""
    from userops import i18n
    from userops.i18n import _
    from userops.review import effect_status_text

    if i18n.lang() == "en" or not isinstance(label, str):
        return label
    if label.startswith(_WINDOW_ONLY):
        return _("window only: {why}").format(why=_window_why(label.removeprefix(_WINDOW_ONLY)))
    carried = _CARRIED.fullmatch(label)
    if carried:
        return _("window + {days} days: the effect lasts after the run, carried for {customers} expected-active "
                 "reached customers").format(days=carried["days"], customers=carried["customers"])
    return effect_status_text(label)


_WINDOW_ONLY = "window only: "
_CARRIED = re.compile(r"window \+ (?P<days>[\d,]+) days: the effect lasts after the run, carried for "
                      r"(?P<customers>[\d,]+) expected-active reached customers")
_NOT_USED = "the effect lasts, but the forward-value model is not used (step 1)"


def _window_why(why: str) -> str:
    """Why a strategy stays at the window ROI (the ``forward`` label without its ``window only: ``)
    in the report's language: step 5's verdict on its effect or on its persistence, or step 1's
    model not used."""
    from userops.i18n import _
    from userops.review import effect_status_text

    if why == _NOT_USED:
        return _("the effect lasts, but the forward-value model is not used (step 1)")
    if why.startswith("the effect "):
        return _("the effect {persistence}").format(persistence=effect_status_text(why.removeprefix("the effect ")))
    return effect_status_text(why)


def _window_reasons(table: pd.DataFrame) -> str:
    """Strategies per reason for staying at the window ROI: 'reason (k strategies: a, b, ...)',
    in the report's language."""
    from userops import i18n
    from userops.i18n import _, ngettext

    groups = table.groupby(table["forward"].str.removeprefix(_WINDOW_ONLY), sort=True)["strategy_id"]
    return _("; ").join(
        ngettext("{why} ({n} strategy: {ids})", "{why} ({n} strategies: {ids})", len(ids)).format(
            why=_window_why(why), n=i18n.number(len(ids)),
            ids=_(", ").join(map(str, ids[:6])) + (_(", ...") if len(ids) > 6 else ""))
        for why, ids in groups)


def _n(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _day(ts: pd.Timestamp | None) -> str:
    return "the calibration end" if ts is None else str(pd.Timestamp(ts).date())
