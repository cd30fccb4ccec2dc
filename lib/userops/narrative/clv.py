"""Report sentences for forward value (step 1), the revenue bridge (step 3) and the forward ROI
and audiences (step 6), generated from the data."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from userops import i18n
from userops.clv import MIN_REPEATERS, Forward, shown as _shown_values, status_name
from userops.i18n import N_, _, ngettext, signed, signed_percent
from userops.narrative.wording import sentences

__all__ = ["clv_definitions", "clv_holdout_prose", "clv_fit_prose", "stage_alive_prose", "clv_headlines",
           "bridge_prose", "bridge_check_prose", "persistence_prose", "forward_roi_prose", "audiences_prose", "forward_label"]


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
    from userops.migration import shown_state

    if table.empty:
        return "_" + _("There is no pair of consecutive periods with customers in this data, so there is no bridge "
                       "to draw.") + "_"
    pair = int(table["pair"].max())
    labels = bounds.set_index("period")["label"]
    t = table[table["pair"] == pair]
    g = t.groupby("group", sort=False)[["gmv_before", "gmv_after", "gmv_change", "customers_effect", "orders_effect",
                                        "basket_effect", "customers_before", "customers_after"]].sum()
    start, end = g["gmv_before"].sum() / 100, g["gmv_after"].sum() / 100

    def group(k: str, v: pd.Series) -> str:
        if k == "returns only":
            return _("{group}: **{change}**").format(group=shown_state(k), change=i18n.signed(v["gmv_change"] / 100, 2))
        n = int(v["customers_after"] if k in ("new", "returned") else v["customers_before"])
        return _("{group}: **{change}** ({customers})").format(
            group=shown_state(k), change=i18n.signed(v["gmv_change"] / 100, 2),
            customers=ngettext("{n} customer", "{n} customers", n).format(n=i18n.number(n)))

    parts = _("; ").join(group(k, v) for k, v in g.iterrows())
    terms = g.drop(index="returns only", errors="ignore")[["customers_effect", "orders_effect", "basket_effect"]].sum() / 100
    return _("From {before} to {after}, GMV went from **{start}** to **{end}** (**{change}**). By group: {groups}. Over "
             "the groups, the number of buying customers accounts for **{customers}**, orders per customer for "
             "**{orders}** and basket value for **{basket}**. New and returned customers are measured from the earlier "
             "period's average orders per customer and basket, lost ones to the later period's: their *customers* term "
             "is what they bring (or took) at the average. ").format(
        before=labels.get(pair, pair), after=labels.get(pair + 1, pair + 1), start=i18n.money(start),
        end=i18n.money(end), change=i18n.signed(end - start, 2), groups=parts,
        customers=i18n.signed(terms["customers_effect"], 2), orders=i18n.signed(terms["orders_effect"], 2),
        basket=i18n.signed(terms["basket_effect"], 2)) + bridge_check_prose(check, tier_check)


def bridge_check_prose(check_total: pd.DataFrame, check_tiers: pd.DataFrame) -> str:
    """Whether the bridge adds up to the GMV change to the cent, for every pair and tier."""
    if check_total.empty:
        return ""
    worst = int(max(check_total["difference"].abs().max(), check_tiers["difference"].abs().max() if len(check_tiers) else 0))
    fields = dict(worst=i18n.number(worst), pairs=i18n.number(len(check_total)), rows=i18n.number(len(check_tiers)))
    return (_("Checked in integer cents: the bridge adds up to the GMV change **to the cent** for all **{pairs}** "
              "pair(s) of periods and all **{rows}** pair x tier rows (tier = the state in the earlier period).")
            if worst == 0 else
            _("Checked in integer cents: the bridge misses the GMV change by up to **{worst}** cent(s) for all "
              "**{pairs}** pair(s) of periods and all **{rows}** pair x tier rows (tier = the state in the earlier "
              "period).")).format(**fields)


def persistence_prose(persist: pd.DataFrame, *, post_weeks: int) -> str:
    """Which strategies' effects last after their run (step 6 carries only those forward)."""

    if persist.empty:
        return _("_No strategy has an effect estimate that passed the gate, so there is no run whose after-effect "
                 "could be measured._")
    yes = persist[persist["persists"]]
    listed = _(", ").join(_("**{id}** ({estimate} per customer-week over {weeks} weeks)").format(
        id=sid, estimate=signed(est, 2), weeks=i18n.number(int(k)))
        for sid, est, k in zip(yes["strategy_id"], yes["post_estimate"], yes["post_weeks"]))
    fields = dict(n=i18n.number(len(persist)), lasting=i18n.number(len(yes)), weeks=i18n.number(post_weeks))
    head = (_("Of **{n}** strategies with an estimate, **{lasting}** keep an effect above the comparison in the up "
              "to {weeks} weeks after the run: {listed}.").format(listed=listed, **fields) if len(yes) else
            _("Of **{n}** strategies with an estimate, **{lasting}** keep an effect above the comparison in the up "
              "to {weeks} weeks after the run.").format(**fields))
    return sentences(head, _("The check is the same weighted comparison as the estimate, with the weeks after the "
                             "run in place of the run's weeks. Step 6 carries an effect over its forward horizon "
                             "only for these strategies."))


def forward_roi_prose(table: pd.DataFrame, *, horizon_days: int) -> str:
    """The forward ROI beside the window ROI: where it is given, and why not elsewhere."""

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
    from userops.review import effect_status_text

    if why == _NOT_USED:
        return _("the effect lasts, but the forward-value model is not used (step 1)")
    if why.startswith("the effect "):
        return _("the effect {persistence}").format(persistence=effect_status_text(why.removeprefix("the effect ")))
    return effect_status_text(why)


def _window_reasons(table: pd.DataFrame) -> str:
    """Strategies per reason for staying at the window ROI: 'reason (k strategies: a, b, ...)',
    in the report's language."""

    groups = table.groupby(table["forward"].str.removeprefix(_WINDOW_ONLY), sort=True)["strategy_id"]
    return _("; ").join(
        ngettext("{why} ({n} strategy: {ids})", "{why} ({n} strategies: {ids})", len(ids)).format(
            why=_window_why(why), n=i18n.number(len(ids)),
            ids=_(", ").join(map(str, ids[:6])) + (_(", ...") if len(ids) > 6 else ""))
        for why, ids in groups)


def _n(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _day(ts: pd.Timestamp | None) -> str:
    return _("the calibration end") if ts is None else str(pd.Timestamp(ts).date())
