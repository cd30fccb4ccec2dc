"""Sentences for reviewers, generated from the data: every number in the prose comes from here."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from userops.datasets import Dataset
from userops.tiers import Lifecycle, Thresholds

__all__ = [
    "run_parameters", "data_quality", "rfm_overview", "fitted_curve", "lifecycle_prose",
    "coverage_check", "group_prose", "concentration_prose", "correlation_prose", "stage_prose",
    "cross_prose", "sensitivity_prose", "headlines", "artifact_list", "provenance",
    "bands_prose", "matrix_prose", "movement_prose", "decomposition_prose", "exposure_prose",
    "retention_prose", "projection_prose", "migration_headlines",
    "calendar_prose", "coverage_prose", "uncovered_prose", "intensity_prose", "overlap_prose",
    "fit_prose", "funnel_prose", "coverage_headlines",
    "effects_prose", "balance_prose", "event_prose", "heterogeneity_prose", "drivers_prose",
    "effects_headlines", "features_prose", "cluster_prose", "cluster_tier_prose", "tgi_prose", "lookalike_prose",
    "profiles_headlines", "kpi_prose", "allocation_prose", "alerts_prose", "review_headlines",
]


def run_parameters(namespace: dict[str, object], *, names: list[str], source: str) -> str:
    """A markdown table of the run's parameters (what reviewers see instead of code)."""
    rows = "\n".join(f"| `{n}` | {namespace[n]} |" for n in names)
    return f"**Run parameters** (data source: {source})\n\n| parameter | value |\n|---|---|\n{rows}"


def data_quality(ds: Dataset) -> str:
    """Input, kept and set-aside rows and GMV of the transactions, and the returns share."""
    rec = ds.reconciliation.set_index("table").loc["transactions"]
    n_rej = int(rec["rejected_rows"])
    reasons = ds.rejects[ds.rejects["table"] == "transactions"]
    why = "; ".join(f"{r.reason}: {r.rows:,}" for r in reasons.itertuples()) or "none"
    returns = rec["return_amount"] / (rec["kept_amount"] + rec["return_amount"]) if (
        rec["kept_amount"] + rec["return_amount"]) else 0.0
    other = ", ".join(f"{t}: {n:,}" for t, n in ds.row_counts().items() if t != "transactions")
    return (
        f"Of **{int(rec['input_rows']):,}** transaction lines, **{int(rec['kept_rows']):,}** were kept "
        f"and **{n_rej:,}** set aside ({why}). GMV kept: **{rec['kept_amount']:,.2f}**; set aside: "
        f"**{rec['rejected_amount']:,.2f}**; together **{rec['input_amount']:,.2f}**, the input total. "
        f"Returns (negative lines) are kept and netted: they are **{returns:.2%}** of gross sales. "
        f"Timestamps are in {ds.data_tz} local time. Other tables kept: {other or 'none'}."
    )


def rfm_overview(rfm: pd.DataFrame, *, window_days: int) -> str:
    n = len(rfm)
    active = int((rfm["frequency"] > 0).sum())
    top = rfm["monetary"].sort_values(ascending=False)
    k = max(1, int(np.ceil(0.2 * n)))
    share = top.iloc[:k].sum() / top.sum() if top.sum() else np.nan
    return (
        f"**{n:,}** customers ordered at least once up to the cut-off; **{active:,}** of them ordered "
        f"in the last {window_days} days. Median recency is **{rfm['recency_days'].median():.0f} days**, "
        f"median frequency **{rfm['frequency'].median():.0f} orders** and median spend "
        f"**{rfm['monetary'].median():,.2f}**. The top 20% of customers by spend bring "
        f"**{share:.1%}** of the window's GMV."
    )


def fitted_curve(lifecycle: Lifecycle, *, max_days: int | None = None) -> pd.DataFrame:
    """The fitted return probability at each recency from 0 to ``max_days`` (for the chart)."""
    top = max_days or int(max(lifecycle.curve["mean_recency_days"].max(), lifecycle.dormant_days) * 1.1)
    r = np.arange(0, top + 1)
    return pd.DataFrame({"recency_days": r, "probability": lifecycle.probability(r)})


def lifecycle_prose(lifecycle: Lifecycle, thresholds: Thresholds) -> str:
    hi, lo = lifecycle.levels
    if lifecycle.curve.empty:
        return (f"No snapshots were available; the thresholds are set by hand: at risk after "
                f"**{thresholds.at_risk_days}** days, dormant after **{thresholds.dormant_days}** days.")
    tail = lifecycle.curve.iloc[-1]
    last = (f" In the last band ({tail['recency_band']} days, n={int(tail['n']):,}) "
            f"**{tail['observed']:.0%}** came back within the horizon.")
    if not lifecycle.derived:
        return (f"The thresholds are set by hand in the run parameters: at risk after "
                f"**{thresholds.at_risk_days}** days, dormant after **{thresholds.dormant_days}** days. "
                f"The curve over **{lifecycle.n_snapshots:,}** customer snapshots is shown for "
                f"reference.{last}")
    return (
        f"Over **{lifecycle.n_snapshots:,}** customer snapshots, the chance of ordering again within "
        f"{lifecycle.horizon_days} days falls below **{hi:.0%}** once **{lifecycle.at_risk_days} days** "
        f"have passed since the last order (the *at risk* threshold) and below **{lo:.0%}** after "
        f"**{lifecycle.dormant_days} days** (*dormant*).{last} So *dormant* means asleep, not gone."
    )


def coverage_check(tiered: pd.DataFrame) -> str:
    """Check that every customer is in exactly one segment, group and stage; say so."""
    n = len(tiered)
    if tiered["customer_id"].duplicated().any():
        raise AssertionError("a customer appears more than once in the tier table")
    for col in ("rf_segment", "rfm_group", "lifecycle_stage"):
        if tiered[col].isna().any():
            raise AssertionError(f"{int(tiered[col].isna().sum())} customers have no {col}")
    return (f"All **{n:,}** customers have exactly one R×F segment "
            f"({tiered['rf_segment'].nunique()} in use), one RFM group "
            f"({tiered['rfm_group'].nunique()} in use) and one lifecycle stage "
            f"({tiered['lifecycle_stage'].nunique()} in use).")


def group_prose(groups: pd.DataFrame, *, label: str, what: str) -> str:
    g = groups[groups["customers"] > 0]
    big = g.sort_values(["customers", label], ascending=[False, True]).iloc[0]
    rich = g.sort_values(["gmv_share", label], ascending=[False, True]).iloc[0]
    small = g.sort_values(["customers", label], ascending=[True, True]).iloc[0]
    return (
        f"The largest {what} is **{big[label]}** with **{int(big['customers']):,}** customers "
        f"({big['customer_share']:.1%}); the {what} with the largest share of GMV is "
        f"**{rich[label]}**: **{rich['gmv_share']:.1%}** of GMV from {rich['customer_share']:.1%} of "
        f"customers. The smallest {what} in use, **{small[label]}**, has "
        f"**{int(small['customers']):,}** customers."
    )


def concentration_prose(groups: pd.DataFrame, *, label: str) -> str:
    g = groups[groups["customers"] > 0].assign(
        ratio=lambda d: d["gmv_share"] / d["customer_share"]).sort_values(["ratio", label])
    lo, hi = g.iloc[0], g.iloc[-1]
    return (
        f"GMV is concentrated: **{hi[label]}** brings {hi['ratio']:.1f}× its share of customers in "
        f"GMV (ARPU {hi['arpu']:,.2f}), while **{lo[label]}** brings only {lo['ratio']:.2f}× "
        f"(ARPU {lo['arpu']:,.2f})."
    )


def correlation_prose(tiered: pd.DataFrame, x: str, y: str) -> str:
    rho = tiered[x].corr(tiered[y], method="spearman")
    strength = "strongly" if abs(rho) >= 0.6 else "moderately" if abs(rho) >= 0.3 else "weakly"
    direction = "rise together" if rho > 0 else "move in opposite directions"
    return (f"Across **{len(tiered):,}** customers, {x.replace('_', ' ')} and {y.replace('_', ' ')} "
            f"{direction}, {strength} (Spearman ρ = **{rho:.2f}**).")


def stage_prose(stages: pd.DataFrame, thresholds: Thresholds) -> str:
    s = stages.set_index("lifecycle_stage")
    lapse = s.loc[["at_risk", "dormant"], "customers"].sum()
    lapse_gmv = s.loc[["at_risk", "dormant"], "gmv_share"].sum()
    return (
        f"**{int(lapse):,}** customers ({lapse / s['customers'].sum():.1%}) have not ordered for more "
        f"than {thresholds.at_risk_days} days (at risk or dormant); they brought **{lapse_gmv:.1%}** "
        f"of the window's GMV. **{int(s.loc['growing', 'customers']):,}** active customers are "
        f"growing (recent {thresholds.recent_days}-day spend up more than "
        f"{thresholds.growth_band:.0%}) and **{int(s.loc['declining', 'customers']):,}** declining; "
        f"**{int(s.loc['new', 'customers']):,}** are new (first order in the last "
        f"{thresholds.recent_days} days and at least {thresholds.dormant_days} days after the data "
        "start, so that customers already shopping when the data begins are not called new)."
    )


def cross_prose(cross: pd.DataFrame) -> str:
    seg = "champions" if "champions" in cross.index else cross.index[0]
    row = cross.loc[seg]
    top = row.sort_values(ascending=False, kind="stable")
    risky = int(cross.loc[:, [c for c in ("at_risk", "dormant") if c in cross.columns]].loc[
        [i for i in ("loyal_customers", "champions", "cant_lose") if i in cross.index]].to_numpy().sum())
    return (f"Among **{seg}**, the most common stage is **{top.index[0]}** ({int(top.iloc[0]):,} of "
            f"{int(row.sum()):,}). **{risky:,}** customers in high-frequency segments (champions, "
            "loyal customers, can't lose) are already at risk or dormant by recency: the R×F "
            "scores rank customers against each other, the lifecycle stage against the return curve.")


def sensitivity_prose(sens: pd.DataFrame, *, n: int) -> str:
    worst = sens.sort_values(["changed_any_share", "cut"], ascending=[False, True]).iloc[0]
    return (
        f"The most sensitive cut point is **{worst['cut']}** ({worst['value']:,.2f}): moving it to "
        f"{worst['moved_to']:,.2f} moves **{worst['changed_any_share']:.1%}** of the {n:,} customers "
        f"to another score, segment, group or stage. The median move over all cut points changes "
        f"**{sens['changed_any_share'].median():.1%}** of customers."
    )


def headlines(tiered: pd.DataFrame, thresholds: Thresholds) -> dict[str, object]:
    """Headline numbers of step 1 for the report index."""
    champions = tiered["rf_segment"] == "champions"
    gmv = tiered["monetary"].sum()
    lapsing = tiered["lifecycle_stage"].isin(["at_risk", "dormant"])
    return {
        "customers tiered": f"{len(tiered):,}",
        "champions": f"{int(champions.sum()):,} ({tiered.loc[champions, 'monetary'].sum() / gmv:.1%} of GMV)",
        "at risk or dormant": f"{int(lapsing.sum()):,} ({lapsing.mean():.1%})",
        "lifecycle thresholds": f"at risk > {thresholds.at_risk_days} d, dormant > {thresholds.dormant_days} d",
    }


def artifact_list(paths: list[Path], tiered: pd.DataFrame) -> str:
    files = ", ".join(f"`artifacts/{Path(p).name}`" for p in paths)
    return f"Written for later steps: {files} ({len(tiered):,} customers)."


def provenance(ds: Dataset) -> str:
    pkgs = ("userops", "pandas", "duckdb", "ibis-framework", "statsmodels", "seaborn", "papermill")
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in pkgs)
    counts = ", ".join(f"{t} {n:,}" for t, n in ds.row_counts().items())
    return (f"Data source **{ds.source}**, cut-off **{ds.as_of.date()}**, time zone {ds.data_tz}; "
            f"rows: {counts}. Packages: {versions}.")


# -- step 3: migration ----------------------------------------------------------------------

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


# -- step 4: coverage -----------------------------------------------------------------------

def calendar_prose(cal: pd.DataFrame, note: str, *, window_days: int) -> str:
    if note:
        return f"**{note}** The sections below stay empty."
    kinds = cal.groupby("type").size()
    parts = ", ".join(f"{n} of {k}" for k, n in kinds.items())
    silent = cal[cal["responders"] == 0]
    text = (f"**{len(cal)}** strategies ran in the {window_days} days up to the cut-off ({parts}). "
            f"Reach ranges from **{cal['reach'].min():,}** to **{cal['reach'].max():,}** customers; "
            f"the median conversion (responders / reached) is **{cal['conversion'].median():.1%}**.")
    if len(silent):
        which = ", ".join(map(str, silent["strategy_id"].head(8)))
        verb = "strategy has" if len(silent) == 1 else "strategies have"
        text += (f" **{len(silent)}** {verb} no recorded response ({which}): its conversion is 0, "
                 "or responses were not recorded.")
    return text


def coverage_prose(m: pd.DataFrame, *, by: str, missing: str = "") -> str:
    if m.empty:
        return f"_{missing or 'Nothing to show.'}_"
    m = m[m[by] != "(no orders)"]
    hi = m.sort_values(["share_reached", by], ascending=[False, True]).iloc[0]
    lo = m[m["segment_size"] >= 10].sort_values(["share_reached", by]).iloc[0]
    return (f"The highest coverage is **{hi['type']}** in **{hi[by]}**: {hi['share_reached']:.0%} of its "
            f"{int(hi['segment_size']):,} customers were reached. The lowest, among segments with at "
            f"least 10 customers, is **{lo['type']}** in **{lo[by]}** ({lo['share_reached']:.0%}).")


def uncovered_prose(summary: pd.DataFrame, *, n_customers: int, file: str) -> str:
    if summary.empty:
        return "_Nothing to show._"
    n = int(summary["uncovered"].sum())
    gmv = summary["uncovered_gmv_share"].sum()
    top = summary.sort_values(["uncovered_gmv_share"], ascending=False).iloc[0]
    label = top.iloc[0]
    return (f"**{n:,}** of {n_customers:,} customers (**{n / n_customers:.1%}**) were reached by no "
            f"strategy in the window; they bring **{gmv:.1%}** of GMV. The largest part of that GMV sits "
            f"in **{label}** ({top['uncovered_gmv_share']:.1%} of all GMV, {int(top['uncovered']):,} "
            f"customers). The full list, by GMV, is in `{file}` next to this report.")


def intensity_prose(inten: pd.DataFrame, *, by: str) -> str:
    if inten.empty or inten["mean_contacts"].sum() == 0:
        return "_Nothing to show._"
    hi = inten.sort_values(["mean_contacts", by], ascending=[False, True]).iloc[0]
    lo = inten.sort_values(["mean_contacts", by]).iloc[0]
    top_col = inten.columns[-1]
    return (f"**{hi[by]}** customers were reached most often: **{hi['mean_contacts']:.1f}** strategies "
            f"on average, and {hi[top_col]:.0%} of them {top_col} times. **{lo[by]}** were reached least "
            f"({lo['mean_contacts']:.1f} on average).")


def overlap_prose(ov: pd.DataFrame) -> str:
    if ov.empty:
        return "No two strategies with reached customers ran at the same time."
    top = ov.iloc[0]
    return (f"**{len(ov)}** pairs of strategies ran at the same time. The largest overlap: strategies "
            f"**{top['strategy_a']}** and **{top['strategy_b']}** shared **{int(top['both']):,}** customers "
            f"({top['share_of_smaller']:.0%} of the smaller one's reach) over {int(top['days_overlapping'])} days.")


def fit_prose(fit: pd.DataFrame) -> str:
    if fit.empty:
        return "_The data has no offers table (what each strategy offered), so the fit cannot be shown._"
    hi = fit.sort_values(["index", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = fit.sort_values(["index", "strategy_id"]).iloc[0]
    return (f"Across **{len(fit)}** strategies with known offers, the reached customers' spend share in the "
            f"offered categories ranges from **{lo['index']:.0f}** (strategy {lo['strategy_id']}) to "
            f"**{hi['index']:.0f}** (strategy {hi['strategy_id']}) on an index where 100 is the share among "
            "all customers. Near 100, a strategy reached customers with an ordinary mix of categories, "
            "not the ones who already buy what it offers. Spend is over the whole window, including "
            "what was bought during the strategies.")


def funnel_prose(fun: pd.DataFrame) -> str:
    if fun.empty:
        return "_Nothing to show._"
    parts = []
    for r in fun.itertuples():
        parts.append(f"**{r.type}**: {r.reached:,} reached, {r.purchased_rate:.0%} bought while it ran, "
                     f"{r.responded_rate:.0%} of those responded, {r.repeated_rate:.0%} of responders "
                     "bought again after it")
    weakest = fun.assign(min_rate=fun[["purchased_rate", "responded_rate", "repeated_rate"]].min(axis=1))
    w = weakest.sort_values(["min_rate", "type"]).iloc[0]
    stage = w[["purchased_rate", "responded_rate", "repeated_rate"]].astype(float).idxmin().replace("_rate", "")
    return "; ".join(parts) + (f". The weakest stage overall is **{stage}** in **{w['type']}**. These rates "
                               "describe the funnel; they do not say what the strategy caused (step 5).")


def coverage_headlines(cal: pd.DataFrame, n_uncovered: int, n_customers: int, note: str) -> dict[str, object]:
    if note:
        return {"coverage": note}
    return {"strategies in window": f"{len(cal)}",
            "customers reached by none": f"{n_uncovered:,} ({n_uncovered / n_customers:.1%})",
            "median conversion": f"{cal['conversion'].median():.1%}"}


# -- step 5: effects ------------------------------------------------------------------------

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
    return (f"Among **{auc['n']:,}** reached customer-strategy pairs, **{auc['responders']:,}** responded. "
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


# -- step 2: profiles -----------------------------------------------------------------------

def features_prose(table: pd.DataFrame, dropped: list[str], *, window_days: int) -> str:
    text = (f"**{len(table):,}** customers with orders in the {window_days} days up to the cut-off. "
            f"Median weekend share of orders **{table['weekend_share'].median():.0%}**, median share "
            f"of orders at the main store **{table['main_store_share'].median():.0%}**, median "
            f"**{table['median_gap_days'].median():.0f}** days between shopping days.")
    if dropped:
        text += f" Left out of clustering because they do not vary in this data: {', '.join(dropped)}."
    return text


def cluster_prose(cl, names: pd.Series) -> str:
    sil = cl.silhouette.set_index("k")["silhouette"]
    sizes = cl.labels.value_counts().sort_index()
    parts = "; ".join(f"**{names[c]}** ({n:,})" for c, n in sizes.items())
    strength = ("well separated" if sil[cl.k] >= 0.5 else "reasonably separated" if sil[cl.k] >= 0.25
                else "weakly separated: the groups overlap a lot, so read them as tendencies, not types")
    return (f"The silhouette score is highest at **k = {cl.k}** ({sil[cl.k]:.2f}; {strength}), so the "
            f"customers form {cl.k} clusters: {parts}. Rerun with {len(cl.stability) + 1} different seeds, the "
            f"clusters agree with an adjusted Rand index of **{cl.stability['ari_vs_first'].min():.2f}** "
            "at worst (1 = identical).")


def cluster_tier_prose(cross: pd.DataFrame) -> str:
    share = cross.div(cross.sum(axis=0), axis=1)
    seg, clu = share.stack().idxmax()
    return (f"The clusters cut across the value segments: the strongest link is that "
            f"**{share.loc[seg, clu]:.0%}** of cluster **{clu}** are **{seg}**. Value (step 1) and "
            "preference (this step) are separate axes; a strategy can target both.")


def tgi_prose(tgi: pd.DataFrame, *, what: str, n_customers: int) -> str:
    if tgi.empty:
        return f"_The data has no customer attributes, so {what} profiles cannot be shown._"
    covered = int(tgi["covered"].iloc[0])
    sig = tgi[tgi["significant"]]
    text = (f"Customer attributes cover **{covered:,}** of {n_customers:,} customers "
            f"({covered / n_customers:.0%}); the profiles describe that subset only. ")
    if sig.empty:
        return text + f"No attribute value differs significantly between {what}s and the population."
    top = sig.reindex((sig["tgi"] - 100).abs().sort_values(ascending=False).index).iloc[0]
    return text + (f"**{len(sig)}** attribute values differ significantly (after adjusting for many "
                   f"tests); the strongest: in {what} **{top['segment']}**, {top['attribute']} = "
                   f"{top['value']} has TGI **{top['tgi']:.0f}** ({top['segment_share']:.0%} vs "
                   f"{top['population_share']:.0%} overall).")


def lookalike_prose(result: dict, *, spec: str) -> str:
    if result.get("note"):
        return f"_Seed group **{spec}**: {result['note']}; no look-alikes are scored._"
    top = result["coefficients"].head(3)
    drivers = ", ".join(f"{r.feature} ({'+' if r.coefficient > 0 else '-'})" for r in top.itertuples())
    return (f"Seed group **{spec}**: {result['seed']:,} customers, {result['held_out']:,} held out. "
            f"The score ranks a held-out seed customer above a non-seed customer with probability "
            f"**{result['auc']:.2f}** (AUC), and **{result['recall_at_top']:.0%}** of the held-out seed "
            f"lands in the top 10% of scores. The features that drive the match most: {drivers}.")


def profiles_headlines(cl, names: pd.Series, look: dict) -> dict[str, object]:
    out = {"clusters": f"{cl.k} (ARI across seeds >= {cl.stability['ari_vs_first'].min():.2f})",
           "largest cluster": names.iloc[0]}
    if not look.get("note"):
        out["look-alike AUC on held-out seed"] = f"{look['auc']:.2f}"
    return out


# -- step 6: review -------------------------------------------------------------------------

def kpi_prose(k: pd.DataFrame, *, contact_cost: float, coupon_cost: float) -> str:
    if k.empty:
        return "**This data has no strategies with reach, so there is nothing to review.**"
    est = k.dropna(subset=["incremental_gmv"])
    text = (f"**{len(k)}** strategies reached **{int(k['reach'].sum()):,}** customer contacts at a cost of "
            f"**{k['cost'].sum():,.2f}** (contact cost {contact_cost:,.2f} per customer and "
            f"{coupon_cost:,.2f} per response: both are parameters, not in the data). Conversion ranges "
            f"from {k['conversion'].min():.1%} to {k['conversion'].max():.1%}.")
    if est.empty:
        return text + (" No strategy has an effect estimate from step 5, so incremental GMV and ROI "
                       "cannot be given; the descriptive KPIs are not returns on spend.")
    parts = []
    for r in est.itertuples():
        clear = "" if (r.inc_low > 0 or r.inc_high < 0) else ", not distinguishable from zero"
        parts.append(f"**{r.strategy_id}**: incremental GMV {r.incremental_gmv:+,.0f} [{r.inc_low:+,.0f}, "
                     f"{r.inc_high:+,.0f}], ROI {r.roi:+.1f} [{r.roi_low:+.1f}, {r.roi_high:+.1f}]{clear}")
    return text + " With an effect estimate: " + "; ".join(parts) + "."


def allocation_prose(alloc: pd.DataFrame, front: pd.DataFrame, *, budget: float) -> str:
    if alloc.empty or alloc["spend"].sum() == 0:
        return (f"With a budget of {budget:,.0f}, no strategy x tier cell has a positive expected net "
                "value, so the best plan spends nothing: fund a randomised test instead.")
    used = alloc[alloc["x"] > 0]
    slope = front["incremental_gmv"].diff() / front["budget"].diff()
    return (f"With a budget of **{budget:,.0f}** the best plan spends **{alloc['spend'].sum():,.0f}** on "
            f"**{len(used)}** strategy x tier cells and reaches **{alloc['customers'].sum():,.0f}** customers "
            f"for an expected incremental GMV of **{alloc['incremental_gmv'].sum():,.0f}**. Along the "
            f"frontier each extra unit of budget returns {slope.dropna().iloc[0]:,.2f} at first and "
            f"{slope.dropna().iloc[-1]:,.2f} at the end: the seesaw of coverage and effect.")


def alerts_prose(al: pd.DataFrame, prev: pd.DataFrame, *, threshold: float) -> str:
    if prev is None or prev.empty:
        return "_No earlier run of this data in the strategy library: nothing to compare yet._"
    when = prev["as_of"].iloc[0]
    hit = al[al["alert"]]
    if hit.empty:
        return f"Compared with the run as of **{when}**, no KPI moved by more than {threshold:.0%}."
    return (f"Compared with the run as of **{when}**, **{len(hit)}** KPI(s) moved by more than "
            f"{threshold:.0%}: " + "; ".join(f"**{r.type} {r.metric}** {r.previous:,.3f} -> {r.current:,.3f} "
                                            f"({r.change:+.0%})" for r in hit.itertuples()) + ".")


def review_headlines(k: pd.DataFrame, alloc: pd.DataFrame, al: pd.DataFrame) -> dict[str, object]:
    out = {"strategies reviewed": f"{len(k)}",
           "with incremental GMV": f"{int(k['incremental_gmv'].notna().sum()) if len(k) else 0}",
           "recommended spend": f"{alloc['spend'].sum():,.0f}" if len(alloc) else "0",
           "KPI alerts vs previous run": f"{int(al['alert'].sum()) if len(al) else 0}"}
    return out
