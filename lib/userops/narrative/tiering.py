"""Report sentences for step 1 (tiering), generated from the data."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from userops.datasets import Dataset
from userops.tiers import Lifecycle, Thresholds
from userops.validation import LOW_ID_MATCH

__all__ = ["run_parameters", "data_quality", "rfm_overview", "fitted_curve", "unavailable", "lifecycle_prose", "coverage_check", "group_prose", "concentration_prose", "correlation_prose", "stage_prose", "cross_prose", "sensitivity_prose", "headlines", "artifact_list", "provenance"]


def run_parameters(namespace: dict[str, object], *, names: list[str], source: str) -> str:
    """A markdown table of the run's parameters (what reviewers see instead of code); a ``|`` or
    line break inside a value stays inside its cell."""
    rows = "\n".join(f"| `{n}` | {_cell(namespace[n])} |" for n in names)
    return f"**Run parameters** (data source: {source})\n\n| parameter | value |\n|---|---|\n{rows}"


def data_quality(ds: Dataset) -> str:
    """Input, kept and set-aside rows and GMV of the transactions, and the returns share; then
    what was kept but adjusted (daylight-saving times, ids written several ways) and a warning
    for each table whose ids mostly miss their reference table."""
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
        + "".join(f" {sentence}" for sentence in _adjustments(ds.reconciliation))
    )


def _count(n: int, noun: str) -> str:
    return f"**{n:,}** {noun}{'' if n == 1 else 's'}"


def _adjustments(rec: pd.DataFrame) -> list[str]:
    """Sentences on rows kept but adjusted at load, and on ids that mostly match nothing."""
    out = []
    repeated, gap = int(rec["ts_dst_ambiguous_kept"].sum()), int(rec["ts_dst_gap_shifted"].sum())
    parts = [f"{_count(repeated, 'local time')} in the repeated hour of a daylight-saving change "
             f"{'was' if repeated == 1 else 'were'} read as the first occurrence"] if repeated else []
    if gap:
        parts.append(f"{_count(gap, 'local time')} in the skipped hour {'was' if gap == 1 else 'were'} "
                     "moved forward to the end of the gap")
    if parts:
        out.append(f"{'; '.join(parts)} (kept, not set aside).")
    merged = int(rec["ids_merged"].sum())
    if merged:
        out.append(f"{_count(merged, 'id')} written more than one way (such as 7, 007 and 7.0) "
                   f"{'was' if merged == 1 else 'were'} read as one, by the id rule in data/README.md.")
    for col, ref in (("customer_ids_in_transactions", "transactions"),
                     ("strategy_ids_in_strategies", "strategies")):
        low = rec[rec[col] < LOW_ID_MATCH]
        for r in low.itertuples():
            kind = col.split("_ids_")[0]
            out.append(f"Only **{getattr(r, col):.1%}** of the {kind} ids in {r.table} occur in {ref}: "
                       "check that both tables write ids the same way.")
    return out


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
    """The fitted return probability at each recency from 0 to ``max_days`` (for the chart);
    empty when no curve could be fitted."""
    if not lifecycle.fitted:
        return pd.DataFrame({"recency_days": pd.Series(dtype="int64"),
                             "probability": pd.Series(dtype="float64")})
    top = max_days or int(max(lifecycle.curve["mean_recency_days"].max(), lifecycle.dormant_days) * 1.1)
    r = np.arange(0, top + 1)
    return pd.DataFrame({"recency_days": r, "probability": lifecycle.probability(r)})


def unavailable(what: str, *, why: str, needs: str) -> str:
    """One sentence saying that ``what`` cannot be shown, ``why``, and what data would let it."""
    return f"_{what[:1].upper()}{what[1:]} cannot be shown: {why}; {needs}._"


def lifecycle_prose(lifecycle: Lifecycle, thresholds: Thresholds) -> str:
    hi, lo = lifecycle.levels
    days = (f"at risk after **{thresholds.at_risk_days}** days, dormant after "
            f"**{thresholds.dormant_days}** days")
    if lifecycle.source == "defaults":
        shown = (f" The curve over **{lifecycle.n_snapshots:,}** customer snapshots is shown for reference."
                 if len(lifecycle.curve) else "")
        return (f"The data cannot give the lifecycle thresholds ({lifecycle.reason}), so the stated "
                f"defaults of the run parameters are used: {days}. Treat the lifecycle stages as "
                "indicative; a year of history with customers who come back and customers who do "
                f"not would let the thresholds be read off the data.{shown}")
    if lifecycle.curve.empty:
        return (f"No snapshots were available; the thresholds are set by hand: {days}.")
    tail = lifecycle.curve.iloc[-1]
    last = (f" In the last band ({tail['recency_band']} days, n={int(tail['n']):,}) "
            f"**{tail['observed']:.0%}** came back within the horizon.")
    if not lifecycle.derived:
        return (f"The thresholds are set by hand in the run parameters: {days}. "
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
    varied = int(min(tiered[x].nunique(), tiered[y].nunique())) if len(tiered) else 0
    if len(tiered) < 3 or varied < 2:
        return unavailable(f"the rank correlation of {x.replace('_', ' ')} and {y.replace('_', ' ')}",
                           why=f"{len(tiered):,} customer(s) with {varied} distinct value(s) give no ranking",
                           needs="three or more customers who differ in both would give it")
    rho = tiered[x].corr(tiered[y], method="spearman")
    strength = "strongly" if abs(rho) >= 0.6 else "moderately" if abs(rho) >= 0.3 else "weakly"
    direction = "rise together" if rho > 0 else "move in opposite directions"
    return (f"Across **{len(tiered):,}** customers, {x.replace('_', ' ')} and {y.replace('_', ' ')} "
            f"{direction}, {strength} (Spearman ρ = **{rho:.2f}**).")


def stage_prose(stages: pd.DataFrame, thresholds: Thresholds, *, growth_seen: bool = True) -> str:
    """Customers at risk or dormant, growing, declining and new; ``growth_seen`` is False when
    the data does not cover the prior spend window (then nobody is called growing or declining)."""
    s = stages.set_index("lifecycle_stage")
    lapse = s.loc[["at_risk", "dormant"], "customers"].sum()
    lapse_gmv = s.loc[["at_risk", "dormant"], "gmv_share"].sum()
    growth = (
        f"**{int(s.loc['growing', 'customers']):,}** active customers are "
        f"growing (recent {thresholds.recent_days}-day spend up more than "
        f"{thresholds.growth_band:.0%}) and **{int(s.loc['declining', 'customers']):,}** declining; "
        if growth_seen else
        f"The data begins less than {2 * thresholds.recent_days} days before the cut-off, so recent "
        f"spend cannot be compared with the {thresholds.recent_days} days before and no customer is "
        "called growing or declining (they count as mature); ")
    return (
        f"**{int(lapse):,}** customers ({lapse / s['customers'].sum():.1%}) have not ordered for more "
        f"than {thresholds.at_risk_days} days (at risk or dormant); they brought **{lapse_gmv:.1%}** "
        f"of the window's GMV. {growth}"
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


# -- private helpers ------------------------------------------------------------------------

def _cell(value: object) -> str:
    """``value`` as the text of one markdown table cell."""
    return " ".join(str(value).splitlines()).replace("\\", "\\\\").replace("|", "\\|")
