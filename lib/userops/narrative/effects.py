"""Report sentences for step 5 (effects), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops import i18n
from userops.effects import GATE_KINDS, say
from userops.i18n import N_, _
from userops.labels import label
from userops.narrative.wording import extremes, name_list, not_drawn, sentences, signed, signed_percent

# the index's labels of this step's headline numbers (keys as the run status records them)
HEADLINES = (N_("strategies with an estimate"), N_("effect distinguishable from zero"), N_("placebo checks passed"),
             N_("median holdout to see break-even"))

__all__ = ["effects_prose", "placebo_prose", "dropped_prose", "holdout_prose", "balance_prose", "event_prose", "heterogeneity_prose", "drivers_prose", "effects_headlines", "signed", "signed_percent", "sentences"]





def _interval(x: float, low: float, high: float, digits: int = 2) -> dict[str, str]:
    return {"estimate": signed(x, digits), "low": signed(low, digits), "high": signed(high, digits)}


def effects_prose(results: pd.DataFrame, pooled: pd.DataFrame, *, outcome: str = "spend") -> str:
    """The step-5 summary: estimates, pools, placebo checks and the holdouts that would decide."""
    r = results[results["outcome"] == outcome]
    if r.empty:
        return _("**This data has no strategies, so there is no strategy effect to estimate**: a strategies "
                 "table (id, start, end) and an exposures table (who each strategy reached) would let this "
                 "step compare reached customers with similar customers who were not reached.")
    ok = r[r["gate"] == "passed"]
    sig = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
    flat = ok[(ok["ci_low"] <= 0) & (ok["ci_high"] >= 0)]
    refused = r[r["gate"] != "passed"]
    unit = _("per customer-week") if outcome == "spend" else _("orders per customer-week")
    text = [_("Of **{n}** strategies, **{ok}** passed the overlap checks and have an estimate.").format(
        n=i18n.number(len(r)), ok=i18n.number(len(ok)))]
    if len(ok):
        pools = ok["pool"].value_counts()
        text.append(_("Comparison pools used: {pools} (the table says why for each).").format(
            pools=_(", ").join(_("{n} × {what}").format(n=i18n.number(n), what=say(pool))
                               for pool, n in pools.items())))
    if len(sig):
        text.append(_("Effect distinguishable from zero: {effects}.").format(effects=_("; ").join(
            _("**{id}** ({type}) {estimate} [{low}, {high}] {unit}").format(
                id=x.strategy_id, type=x.type, unit=unit, **_interval(x.estimate, x.ci_low, x.ci_high))
            for x in sig.itertuples())))
    if len(flat):
        text.append(_("Not distinguishable from zero: {effects}.").format(effects=_(", ").join(
            _("**{id}** ({estimate} [{low}, {high}])").format(
                id=x.strategy_id, **_interval(x.estimate, x.ci_low, x.ci_high))
            for x in flat.itertuples())))
    for x in pooled.itertuples():
        fields = dict(type=x.type, ids=x.pooled, unit=unit, **_interval(x.estimate, x.ci_low, x.ci_high))
        if x.treated_baseline:
            text.append(_("Pooled over {type} ({ids}): **{estimate}** [{low}, {high}] {unit} ({share} of the "
                          "exposed customers' baseline).").format(
                share=signed_percent(x.estimate / x.treated_baseline, 1), **fields))
        else:
            text.append(_("Pooled over {type} ({ids}): **{estimate}** [{low}, {high}] {unit}.").format(**fields))
    text += [t for t in (placebo_prose(ok), dropped_prose(ok)) if t]
    if len(refused):
        kinds = refused["gate"].str.split(r" \(|:", regex=True).str[0].value_counts()
        text.append(_("**{n}** strategies have no estimate (the table gives each reason): {reasons}.").format(
            n=i18n.number(len(refused)), reasons=_("; ").join(
                _("{n} × {what}").format(n=i18n.number(n), what=_(why) if why in GATE_KINDS else say(why))
                for why, n in kinds.items())))
    if outcome == "spend":
        text.append(holdout_prose(r))
    return sentences(*text)


def placebo_prose(ok: pd.DataFrame) -> str:
    """How many placebo-in-time checks passed, and which failed (flagged)."""
    if ok.empty:
        return ""
    ran = ok[ok["placebo"].isin(["passed"]) | ok["placebo"].str.startswith("failed")]
    failed = ran[ran["placebo"].str.startswith("failed")]
    text = _("Placebo-in-time check (the same design with a fake start before the real one, where it "
             "must find nothing): **{passed} of {ran}** passed").format(
        passed=i18n.number(len(ran) - len(failed)), ran=i18n.number(len(ran)))
    if len(ran) < len(ok):
        text += _("; {n} could not be run (the table says why)").format(n=i18n.number(len(ok) - len(ran)))
    if len(failed):
        text += _(". **Failed** (the groups already drifted apart before the start, so the estimate may carry "
                  "that drift): {checks}").format(checks=_("; ").join(
                      _("**{id}** {estimate} [{low}, {high}]").format(
                          id=x.strategy_id, **_interval(x.placebo_estimate, x.placebo_ci_low, x.placebo_ci_high))
                      for x in failed.itertuples()))
    return _("{sentence}.").format(sentence=text)


def dropped_prose(ok: pd.DataFrame) -> str:
    """Covariates the propensity model left out (constant or collinear), per strategy."""
    gone = ok[ok["dropped_terms"].fillna("").astype(str) != ""]
    if gone.empty:
        return ""
    return _("Left out of the propensity model because they do not vary or repeat other terms: {terms}.").format(
        terms=_("; ").join(_("**{id}** {terms}").format(id=x.strategy_id, terms=say(x.dropped_terms))
                           for x in gone.itertuples()))


def holdout_prose(r: pd.DataFrame) -> str:
    """The random holdout that would tell the break-even effect from zero, as numbers."""
    sized = r.dropna(subset=["holdout_customers"])
    unclear = r[(r["gate"] != "passed") | ((r["ci_low"] <= 0) & (r["ci_high"] >= 0))]
    if unclear.empty:
        return ""
    if sized.empty:
        return _("**{n}** strategies have no estimate or one that cannot be told apart from zero, "
                 "and no holdout size can be given for them (the table says why): keep a random holdout of "
                 "the targeted customers in the next run.").format(n=i18n.number(len(unclear)))
    share = sized["holdout_share"].iloc[0]
    typical = sized.loc[(sized["holdout_customers"] - sized["holdout_customers"].median()).abs().idxmin()]
    small = sized.loc[sized["holdout_customers"].idxmin()]
    text = _("Where the effect cannot be told apart from zero, a **random holdout** decides it: keep "
             "{share} of the targeted customers uncontacted and compare their weekly spend with the reached. "
             "To detect the effect that would just pay for the contact (cost per reached customer spread "
             "over the run's weeks; {power} power, {alpha} two-sided, from the spread of the reached customers' "
             "weekly spend), a typical strategy here (**{id}**) needs **{holdout}** customers held out and "
             "**{reached}** reached for **{weeks}** weeks (break-even {breakeven} per customer-week, spread "
             "{spread}); it reached {treated} this time.").format(
        share=i18n.percent(share), power=i18n.percent(0.8), alpha=i18n.percent(0.05), id=typical.strategy_id,
        holdout=i18n.number(int(typical.holdout_customers)), reached=i18n.number(int(typical.reached_needed)),
        weeks=i18n.number(int(typical.holdout_weeks)), breakeven=signed(typical.breakeven_effect, 3),
        spread=i18n.number(typical.spend_sd, 2), treated=i18n.number(int(typical.n_treated)))
    if len(sized) > 1:
        text = sentences(text, _("Across the {n} strategies sized, the holdout ranges from {low} (**{id}**) to {high} "
                        "customers (the table gives each).").format(
            n=i18n.number(len(sized)), low=i18n.number(int(sized["holdout_customers"].min())), id=small.strategy_id,
            high=i18n.number(int(sized["holdout_customers"].max()))))
    if (sized["reached_needed"] > sized["n_treated"]).all():
        text = sentences(text, _("Every one needs more customers than the strategy reached: at this contact cost "
                                 "an effect that pays for itself is too small to see in one run, so judge these "
                                 "strategies on a larger or longer test, or on a higher break-even (coupon and "
                                 "margin included)."))
    return text


def balance_prose(bal: pd.DataFrame, res: pd.Series) -> str:
    if bal.empty:
        return _("_No strategy passed the overlap checks, so there is no weighted comparison to show: reached "
                 "and not-reached customers who shopped alike before a strategy would let this section show one._")
    worst = bal.loc[bal["smd_before"].abs().idxmax()]
    return _("Before weighting, exposed and comparison customers differ most in **{covariate}** "
             "(standardized difference {before}); after weighting the largest difference is **{after}** "
             "(the bar is {bar}). The comparison group's effective size is **{ess}** customers.").format(
        covariate=worst["covariate"], before=signed(worst["smd_before"], 2),
        after=i18n.number(bal["smd_after"].abs().max(), 3), bar=i18n.number(0.1, 1), ess=i18n.number(res["ess"]))


def event_prose(ev: pd.DataFrame) -> str:
    if ev.empty:
        return _("_No strategy passed the overlap checks, so there is no week-by-week effect to show: a strategy "
                 "with enough comparable not-reached customers would let this section show one._")
    pre = ev[ev["rel_week"] < -1]
    post = ev[ev["rel_week"] >= 0]
    off = pre[(pre["ci_low"] > 0) | (pre["ci_high"] < 0)]
    mean = signed(post["estimate"].mean(), 2)
    if off.empty:
        return _("Before the start, no pre-period week differs from zero, so the groups moved alike before the "
                 "start. During the run the weekly effects average **{mean}**.").format(mean=mean)
    return _("Before the start, **{off}** of {pre} pre-period weeks differ from zero: the groups were already "
             "drifting apart, so read the effect with care. During the run the weekly effects average "
             "**{mean}**.").format(off=i18n.number(len(off)), pre=i18n.number(len(pre)), mean=mean)


def heterogeneity_prose(het: pd.DataFrame, *, by: str, min_cell: int, missing: str = "",
                        chart: str = "") -> str:
    """Effects per group shrunk toward the overall; ``chart`` (in the report's language) names the
    chart drawn from the groups with an estimate of their own, said not to be drawn when fewer than
    two have one. ``missing`` (in the report's language) stands in when there are no groups."""
    if het.empty:
        return "_" + (missing or _("No strategy passed the overlap checks, so there is no effect to split by "
                                   "group: a strategy with an estimate would let this section show one.")) + "_"
    shown = het.dropna(subset=["estimate"])
    hidden = het[het["estimate"].isna()]
    what = label(by)
    what = what[:1].lower() + what[1:]
    text = _("Effects per {what} are shrunk toward the overall **{overall}** (between-group spread "
             "τ = {tau}).").format(what=what, overall=signed(het["overall"].iloc[0], 2),
                                   tau=i18n.number(het["tau"].iloc[0], 2))
    if len(shown):
        two = (lambda v: signed(v, 2))
        his, hi_v = extremes(shown.sort_values(by), "shrunk", largest=True, shown=two)
        los, lo_v = extremes(shown.sort_values(by), "shrunk", largest=False, shown=two)
        text = sentences(text, _("Highest: {highest} ({high}); lowest: {lowest} ({low}).").format(
            highest=name_list(list(his[by].astype(str))), high=hi_v,
            lowest=name_list(list(los[by].astype(str))), low=lo_v))
    if len(hidden):
        text = sentences(text, _("{n} group(s) have fewer than {min_cell} exposed or comparison customers and "
                                 "no estimate of their own.").format(n=i18n.number(len(hidden)),
                                                                      min_cell=i18n.number(min_cell)))
    if chart and shown["shrunk"].notna().sum() < 2:
        text = sentences(text, not_drawn(chart, why=(_("no group has an estimate of its own") if shown.empty else
                                            _("only one group has an estimate of its own")),
                                needs=_("{min_cell} or more exposed and comparison customers in two or more "
                                        "groups would fill it").format(min_cell=i18n.number(min_cell))))
    return text


def drivers_prose(tidy: pd.DataFrame, auc: dict[str, float]) -> str:
    gone = auc.get("dropped_terms") or []
    left_out = _(", ").join(str(say(g)) for g in gone)
    if tidy.empty:
        why = (_("every model term was left out ({terms})").format(terms=left_out)
               if gone and auc["responders"] and auc["responders"] < auc["n"]
               else _("both responders and non-responders are needed"))
        return _("_No response model: {n} reached customers, {responders} responses; {why}. A responses table "
                 "naming who redeemed or answered each strategy would let this section say who responds._").format(
            n=i18n.number(auc["n"]), responders=i18n.number(auc["responders"]), why=why)
    t = tidy[tidy["term"] != "Intercept"].dropna(subset=["ame"])
    top = t.reindex(t["ame"].abs().sort_values(ascending=False).index).head(3)
    parts = _(", ").join(_("**{term}** ({effect} [{low}, {high}])").format(
        term=label(r.term), effect=signed_percent(r.ame, 1), low=signed_percent(r.ame_low, 1),
        high=signed_percent(r.ame_high, 1)) for r in top.itertuples())
    text = [_("Among **{n}** reached customer-strategy pairs, **{responders}** responded.").format(
                n=i18n.number(auc["n"]), responders=i18n.number(auc["responders"])),
            _("Left out: {terms}.").format(terms=left_out) if gone else "",
            "" if auc.get("converged", True) else
            _("**The model did not converge** (too few responders for its terms, or terms that separate "
              "responders perfectly): read its coefficients with care."),
            _("The strongest markers of who responds (average marginal effects on the response "
              "probability): {parts}.").format(parts=parts),
            (_("Cross-validated AUC **{auc}** (± {sd}).").format(auc=i18n.number(auc["auc_cv"], 2),
                                                                sd=i18n.number(auc["auc_sd"], 2))
             if auc["auc_cv"] == auc["auc_cv"] else _("Too few responders to cross-validate the model.")),
            _("This describes who responds; it does not say whom the strategy changes.")]
    return sentences(*text)


def effects_headlines(results: pd.DataFrame, pooled: pd.DataFrame) -> dict[str, object]:
    """The index's headline numbers (keys English, as the run status records them; values in the
    report's language)."""
    r = results[(results["outcome"] == "spend") & (results["gate"] == "passed")]
    of = _("{n} of {total}").format
    out = {"strategies with an estimate": of(n=i18n.number(len(r)),
                                              total=i18n.number(results[results["outcome"] == "spend"].shape[0])),
           "effect distinguishable from zero": i18n.number(int(((r["ci_low"] > 0) | (r["ci_high"] < 0)).sum())),
           "placebo checks passed": of(n=i18n.number(int((r["placebo"] == "passed").sum())), total=i18n.number(len(r)))}
    sized = results[(results["outcome"] == "spend")].dropna(subset=["holdout_customers"])
    if len(sized):
        out["median holdout to see break-even"] = _("{n} customers").format(
            n=i18n.number(sized["holdout_customers"].median()))
    for x in pooled.itertuples():  # a key per type: in the report's language (the index says it as it is)
        out[_("{type} pooled effect on weekly spend").format(type=x.type)] = _("{estimate} [{low}, {high}]").format(
            **_interval(x.estimate, x.ci_low, x.ci_high))
    return out
