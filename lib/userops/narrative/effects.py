"""Report sentences for step 5 (effects), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops.labels import label
from userops.narrative.wording import extremes, name_list, not_drawn

__all__ = ["effects_prose", "placebo_prose", "dropped_prose", "holdout_prose", "balance_prose", "event_prose", "heterogeneity_prose", "drivers_prose", "effects_headlines"]


def effects_prose(results: pd.DataFrame, pooled: pd.DataFrame, *, outcome: str = "spend") -> str:
    """The step-5 summary: estimates, pools, placebo checks and the holdouts that would decide."""
    r = results[results["outcome"] == outcome]
    if r.empty:
        return ("**This data has no strategies, so there is no strategy effect to estimate**: a strategies "
                "table (id, start, end) and an exposures table (who each strategy reached) would let this "
                "step compare reached customers with similar customers who were not reached.")
    ok = r[r["gate"] == "passed"]
    sig = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
    flat = ok[(ok["ci_low"] <= 0) & (ok["ci_high"] >= 0)]
    refused = r[r["gate"] != "passed"]
    unit = "per customer-week" if outcome == "spend" else "orders per customer-week"
    text = [f"Of **{len(r)}** strategies, **{len(ok)}** passed the overlap checks and have an estimate."]
    if len(ok):
        pools = ok["pool"].value_counts()
        text.append("Comparison pools used: " + ", ".join(f"{n} × {pool}" for pool, n in pools.items())
                    + " (the table says why for each).")
    if len(sig):
        text.append("Effect distinguishable from zero: " + "; ".join(
            f"**{x.strategy_id}** ({x.type}) {x.estimate:+.2f} [{x.ci_low:+.2f}, {x.ci_high:+.2f}] {unit}"
            for x in sig.itertuples()) + ".")
    if len(flat):
        text.append("Not distinguishable from zero: " + ", ".join(
            f"**{x.strategy_id}** ({x.estimate:+.2f} [{x.ci_low:+.2f}, {x.ci_high:+.2f}])"
            for x in flat.itertuples()) + ".")
    for x in pooled.itertuples():
        rel = f" ({x.estimate / x.treated_baseline:+.1%} of the exposed customers' baseline)" if x.treated_baseline else ""
        text.append(f"Pooled over {x.type} ({x.pooled}): **{x.estimate:+.2f}** [{x.ci_low:+.2f}, "
                    f"{x.ci_high:+.2f}] {unit}{rel}.")
    text += [t for t in (placebo_prose(ok), dropped_prose(ok)) if t]
    if len(refused):
        kinds = refused["gate"].str.split(r" \(|:", regex=True).str[0].value_counts()
        text.append(f"**{len(refused)}** strategies have no estimate (the table gives each reason): "
                    + "; ".join(f"{n} × {why}" for why, n in kinds.items()) + ".")
    if outcome == "spend":
        text.append(holdout_prose(r))
    return " ".join(t for t in text if t)


def placebo_prose(ok: pd.DataFrame) -> str:
    """How many placebo-in-time checks passed, and which failed (flagged)."""
    if ok.empty:
        return ""
    ran = ok[ok["placebo"].isin(["passed"]) | ok["placebo"].str.startswith("failed")]
    failed = ran[ran["placebo"].str.startswith("failed")]
    text = (f"Placebo-in-time check (the same design with a fake start before the real one, where it "
            f"must find nothing): **{len(ran) - len(failed)} of {len(ran)}** passed")
    if len(ran) < len(ok):
        text += f"; {len(ok) - len(ran)} could not be run (the table says why)"
    if len(failed):
        text += (". **Failed** (the groups already drifted apart before the start, so the estimate may carry "
                 "that drift): " + "; ".join(f"**{x.strategy_id}** {x.placebo_estimate:+.2f} "
                                              f"[{x.placebo_ci_low:+.2f}, {x.placebo_ci_high:+.2f}]"
                                              for x in failed.itertuples()))
    return text + "."


def dropped_prose(ok: pd.DataFrame) -> str:
    """Covariates the propensity model left out (constant or collinear), per strategy."""
    gone = ok[ok["dropped_terms"].fillna("").astype(str) != ""]
    if gone.empty:
        return ""
    return ("Left out of the propensity model because they do not vary or repeat other terms: "
            + "; ".join(f"**{x.strategy_id}** {x.dropped_terms}" for x in gone.itertuples()) + ".")


def holdout_prose(r: pd.DataFrame) -> str:
    """The random holdout that would tell the break-even effect from zero, as numbers."""
    sized = r.dropna(subset=["holdout_customers"])
    unclear = r[(r["gate"] != "passed") | ((r["ci_low"] <= 0) & (r["ci_high"] >= 0))]
    if unclear.empty:
        return ""
    if sized.empty:
        return (f"**{len(unclear)}** strategies have no estimate or one that cannot be told apart from zero, "
                "and no holdout size can be given for them (the table says why): keep a random holdout of "
                "the targeted customers in the next run.")
    share = sized["holdout_share"].iloc[0]
    typical = sized.loc[(sized["holdout_customers"] - sized["holdout_customers"].median()).abs().idxmin()]
    small = sized.loc[sized["holdout_customers"].idxmin()]
    text = (f"Where the effect cannot be told apart from zero, a **random holdout** decides it: keep "
            f"{share:.0%} of the targeted customers uncontacted and compare their weekly spend with the reached. "
            f"To detect the effect that would just pay for the contact (cost per reached customer spread "
            f"over the run's weeks; 80% power, 5% two-sided, from the spread of the reached customers' weekly "
            f"spend), a typical strategy here (**{typical.strategy_id}**) needs "
            f"**{int(typical.holdout_customers):,}** customers held out and **{int(typical.reached_needed):,}** "
            f"reached for **{int(typical.holdout_weeks)}** weeks (break-even {typical.breakeven_effect:+.3f} per "
            f"customer-week, spread {typical.spend_sd:,.2f}); it reached {int(typical.n_treated):,} this time.")
    if len(sized) > 1:
        text += (f" Across the {len(sized)} strategies sized, the holdout ranges from "
                 f"{int(sized['holdout_customers'].min()):,} (**{small.strategy_id}**) to "
                 f"{int(sized['holdout_customers'].max()):,} customers (the table gives each).")
    if (sized["reached_needed"] > sized["n_treated"]).all():
        text += (" Every one needs more customers than the strategy reached: at this contact cost an effect "
                 "that pays for itself is too small to see in one run, so judge these strategies on a larger "
                 "or longer test, or on a higher break-even (coupon and margin included).")
    return text


def balance_prose(bal: pd.DataFrame, res: pd.Series) -> str:
    if bal.empty:
        return ("_No strategy passed the overlap checks, so there is no weighted comparison to show: reached "
                "and not-reached customers who shopped alike before a strategy would let this section show one._")
    worst = bal.loc[bal["smd_before"].abs().idxmax()]
    return (f"Before weighting, exposed and comparison customers differ most in **{worst['covariate']}** "
            f"(standardized difference {worst['smd_before']:+.2f}); after weighting the largest "
            f"difference is **{bal['smd_after'].abs().max():.3f}** (the bar is 0.1). The comparison "
            f"group's effective size is **{res['ess']:,.0f}** customers.")


def event_prose(ev: pd.DataFrame) -> str:
    if ev.empty:
        return ("_No strategy passed the overlap checks, so there is no week-by-week effect to show: a strategy "
                "with enough comparable not-reached customers would let this section show one._")
    pre = ev[ev["rel_week"] < -1]
    post = ev[ev["rel_week"] >= 0]
    off = pre[(pre["ci_low"] > 0) | (pre["ci_high"] < 0)]
    trend = ("no pre-period week differs from zero, so the groups moved alike before the start"
             if off.empty else f"**{len(off)}** of {len(pre)} pre-period weeks differ from zero: "
             "the groups were already drifting apart, so read the effect with care")
    return (f"Before the start, {trend}. During the run the weekly effects average "
            f"**{post['estimate'].mean():+.2f}**.")


def heterogeneity_prose(het: pd.DataFrame, *, by: str, min_cell: int, missing: str = "",
                        chart: str = "") -> str:
    """Effects per group shrunk toward the overall; ``chart`` names the chart drawn from the
    groups with an estimate of their own, said not to be drawn when fewer than two have one."""
    if het.empty:
        return f"_{missing or 'No strategy passed the overlap checks, so there is no effect to split by group: a strategy with an estimate would let this section show one.'}_"
    shown = het.dropna(subset=["estimate"])
    hidden = het[het["estimate"].isna()]
    what = label(by)
    what = what[:1].lower() + what[1:]
    text = (f"Effects per {what} are shrunk toward the overall **{het['overall'].iloc[0]:+.2f}** "
            f"(between-group spread τ = {het['tau'].iloc[0]:.2f}).")
    if len(shown):
        his, hi_v = extremes(shown.sort_values(by), "shrunk", largest=True, shown="{:+.2f}".format)
        los, lo_v = extremes(shown.sort_values(by), "shrunk", largest=False, shown="{:+.2f}".format)
        text += (f" Highest: {name_list(list(his[by].astype(str)))} ({hi_v}); lowest: "
                 f"{name_list(list(los[by].astype(str)))} ({lo_v}).")
    if len(hidden):
        text += (f" {len(hidden)} group(s) have fewer than {min_cell} exposed or comparison customers "
                 "and no estimate of their own.")
    if chart and shown["shrunk"].notna().sum() < 2:
        text += " " + not_drawn(chart, why=("no group has an estimate of its own" if shown.empty else
                                            "only one group has an estimate of its own"),
                                needs=f"{min_cell} or more exposed and comparison customers in two or more "
                                      "groups would fill it")
    return text


def drivers_prose(tidy: pd.DataFrame, auc: dict[str, float]) -> str:
    gone = auc.get("dropped_terms") or []
    if tidy.empty:
        why = ("every model term was left out (" + ", ".join(gone) + ")" if gone and auc["responders"]
               and auc["responders"] < auc["n"] else "both responders and non-responders are needed")
        return (f"_No response model: {auc['n']:,} reached customers, {auc['responders']:,} responses; {why}. "
                "A responses table naming who redeemed or answered each strategy would let this section "
                "say who responds._")
    t = tidy[tidy["term"] != "Intercept"].dropna(subset=["ame"])
    top = t.reindex(t["ame"].abs().sort_values(ascending=False).index).head(3)
    parts = ", ".join(f"**{label(r.term)}** ({r.ame:+.1%} [{r.ame_low:+.1%}, {r.ame_high:+.1%}])" for r in top.itertuples())
    note = f" Left out: {', '.join(gone)}." if gone else ""
    if not auc.get("converged", True):
        note += (" **The model did not converge** (too few responders for its terms, or terms that "
                 "separate responders perfectly): read its coefficients with care.")
    return (f"Among **{auc['n']:,}** reached customer-strategy pairs, **{auc['responders']:,}** responded.{note} "
            f"The strongest markers of who responds (average marginal effects on the response "
            f"probability): {parts}. "
            + (f"Cross-validated AUC **{auc['auc_cv']:.2f}** (± {auc['auc_sd']:.2f}). " if auc["auc_cv"] == auc["auc_cv"]
               else "Too few responders to cross-validate the model. ")
            + "This describes who responds; it does not say whom the strategy changes.")


def effects_headlines(results: pd.DataFrame, pooled: pd.DataFrame) -> dict[str, object]:
    r = results[(results["outcome"] == "spend") & (results["gate"] == "passed")]
    out = {"strategies with an estimate": f"{len(r)} of {results[results['outcome'] == 'spend'].shape[0]}",
           "effect distinguishable from zero": f"{int(((r['ci_low'] > 0) | (r['ci_high'] < 0)).sum())}",
           "placebo checks passed": f"{int((r['placebo'] == 'passed').sum())} of {len(r)}"}
    sized = results[(results["outcome"] == "spend")].dropna(subset=["holdout_customers"])
    if len(sized):
        out["median holdout to see break-even"] = f"{sized['holdout_customers'].median():,.0f} customers"
    for x in pooled.itertuples():
        out[f"{x.type} pooled effect on weekly spend"] = f"{x.estimate:+.2f} [{x.ci_low:+.2f}, {x.ci_high:+.2f}]"
    return out
