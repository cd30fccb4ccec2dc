"""Report sentences for step 5 (effects), generated from the data."""
from __future__ import annotations


import pandas as pd


__all__ = ["effects_prose", "balance_prose", "event_prose", "heterogeneity_prose", "drivers_prose", "effects_headlines"]


def effects_prose(results: pd.DataFrame, pooled: pd.DataFrame, *, outcome: str = "spend") -> str:
    r = results[results["outcome"] == outcome]
    if r.empty:
        return ("**This data has no strategies or exposures, so no strategy effect can be "
                "estimated.** The sections below stay empty.")
    ok = r[r["gate"] == "passed"]
    sig = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
    flat = ok[(ok["ci_low"] <= 0) & (ok["ci_high"] >= 0)]
    refused = r[r["gate"] != "passed"]
    unit = "per customer-week" if outcome == "spend" else "orders per customer-week"
    text = [f"Of **{len(r)}** strategies, **{len(ok)}** passed the overlap checks and have an estimate."]
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
    if len(refused):
        kinds = refused["gate"].str.split(r" \(|:", regex=True).str[0].value_counts()
        text.append(f"**{len(refused)}** strategies have no estimate (the table gives each reason): "
                    + "; ".join(f"{n} × {why}" for why, n in kinds.items()) + ".")
    if len(flat) + len(refused) > 0:
        text.append("Where no effect can be told apart from zero, the data cannot say whether the "
                    "strategy works: **keep a random holdout** (for example 10% of the targeted "
                    "customers, not contacted) in the next run, so that its effect can be measured.")
    return " ".join(text)


def balance_prose(bal: pd.DataFrame, res: pd.Series) -> str:
    if bal.empty:
        return "_No strategy passed the overlap checks: there is no weighted comparison to show._"
    worst = bal.loc[bal["smd_before"].abs().idxmax()]
    return (f"Before weighting, exposed and comparison customers differ most in **{worst['covariate']}** "
            f"(standardized difference {worst['smd_before']:+.2f}); after weighting the largest "
            f"difference is **{bal['smd_after'].abs().max():.3f}** (the bar is 0.1). The comparison "
            f"group's effective size is **{res['ess']:,.0f}** customers.")


def event_prose(ev: pd.DataFrame) -> str:
    if ev.empty:
        return "_Nothing to show._"
    pre = ev[ev["rel_week"] < -1]
    post = ev[ev["rel_week"] >= 0]
    off = pre[(pre["ci_low"] > 0) | (pre["ci_high"] < 0)]
    trend = ("no pre-period week differs from zero, so the groups moved alike before the start"
             if off.empty else f"**{len(off)}** of {len(pre)} pre-period weeks differ from zero: "
             "the groups were already drifting apart, so read the effect with care")
    return (f"Before the start, {trend}. During the run the weekly effects average "
            f"**{post['estimate'].mean():+.2f}**.")


def heterogeneity_prose(het: pd.DataFrame, *, by: str, min_cell: int, missing: str = "") -> str:
    if het.empty:
        return f"_{missing or 'Nothing to show.'}_"
    shown = het.dropna(subset=["estimate"])
    hidden = het[het["estimate"].isna()]
    text = (f"Effects per {by} are shrunk toward the overall **{het['overall'].iloc[0]:+.2f}** "
            f"(between-group spread τ = {het['tau'].iloc[0]:.2f}).")
    if len(shown):
        hi = shown.sort_values("shrunk", ascending=False).iloc[0]
        lo = shown.sort_values("shrunk").iloc[0]
        text += (f" Highest: **{hi[by]}** ({hi['shrunk']:+.2f}); lowest: **{lo[by]}** "
                 f"({lo['shrunk']:+.2f}).")
    if len(hidden):
        text += (f" {len(hidden)} group(s) have fewer than {min_cell} exposed or comparison customers "
                 "and no estimate of their own.")
    return text


def drivers_prose(tidy: pd.DataFrame, auc: dict[str, float]) -> str:
    if tidy.empty:
        return (f"_No response model: {auc['n']:,} reached customers, {auc['responders']:,} responses "
                "(both responders and non-responders are needed)._")
    t = tidy[tidy["term"] != "Intercept"].dropna(subset=["ame"])
    top = t.reindex(t["ame"].abs().sort_values(ascending=False).index).head(3)
    parts = ", ".join(f"**{r.term}** ({r.ame:+.1%} [{r.ame_low:+.1%}, {r.ame_high:+.1%}])" for r in top.itertuples())
    gone = auc.get("dropped_terms") or []
    note = f" Left out (not in this run's data or artifacts, or constant): {', '.join(gone)}." if gone else ""
    if not auc.get("converged", True):
        note += (" **The model did not converge** (too few responders for its terms, or terms that "
                 "separate responders perfectly): read its coefficients with care.")
    return (f"Among **{auc['n']:,}** reached customer-strategy pairs, **{auc['responders']:,}** responded.{note} "
            f"The strongest markers of who responds (average marginal effects on the response "
            f"probability): {parts}. Cross-validated AUC **{auc['auc_cv']:.2f}** (± {auc['auc_sd']:.2f}). "
            "This describes who responds; it does not say whom the strategy changes.")


def effects_headlines(results: pd.DataFrame, pooled: pd.DataFrame) -> dict[str, object]:
    r = results[(results["outcome"] == "spend") & (results["gate"] == "passed")]
    out = {"strategies with an estimate": f"{len(r)} of {results[results['outcome'] == 'spend'].shape[0]}",
           "effect distinguishable from zero": f"{int(((r['ci_low'] > 0) | (r['ci_high'] < 0)).sum())}"}
    for x in pooled.itertuples():
        out[f"{x.type} pooled effect on weekly spend"] = f"{x.estimate:+.2f} [{x.ci_low:+.2f}, {x.ci_high:+.2f}]"
    return out
