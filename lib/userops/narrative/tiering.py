"""Report sentences for step 1 (tiering), generated from the data."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from userops import i18n
from userops.datasets import Dataset
from userops.i18n import N_, _, ngettext
from userops.tiers import Lifecycle, Thresholds, name
from userops.narrative.wording import sentences
from userops.validation import LOW_ID_MATCH, shown_reason

__all__ = ["run_parameters", "data_quality", "rfm_overview", "fitted_curve", "unavailable", "lifecycle_prose", "coverage_check", "group_prose", "concentration_prose", "correlation_prose", "stage_prose", "cross_prose", "sensitivity_prose", "headlines", "artifact_list", "provenance", "sentences"]


def run_parameters(namespace: dict[str, object], *, names: list[str], source: str) -> str:
    """A markdown table of the run's parameters (what reviewers see instead of code); a ``|`` or
    line break inside a value stays inside its cell."""
    rows = "\n".join(f"| `{n}` | {_cell(namespace[n])} |" for n in names)
    head = "| " + _("parameter") + " | " + _("value") + " |"
    return _("**Run parameters** (data source: {source})").format(source=source) + f"\n\n{head}\n|---|---|\n{rows}"


def data_quality(ds: Dataset) -> str:
    """Input, kept and set-aside rows and GMV of the transactions, and the returns share; then
    what was kept but adjusted (daylight-saving times, ids written several ways) and a warning
    for each table whose ids mostly miss their reference table."""
    rec = ds.reconciliation.set_index("table").loc["transactions"]
    n_rej = int(rec["rejected_rows"])
    reasons = ds.rejects[ds.rejects["table"] == "transactions"]
    why = _("; ").join(_("{reason}: {n}").format(reason=shown_reason(r.reason), n=i18n.number(r.rows))
                       for r in reasons.itertuples()) or _("none")
    returns = rec["return_amount"] / (rec["kept_amount"] + rec["return_amount"]) if (
        rec["kept_amount"] + rec["return_amount"]) else 0.0
    other = _(", ").join(_("{table}: {n}").format(table=t, n=i18n.number(n))
                         for t, n in ds.row_counts().items() if t != "transactions")
    return sentences(
        _("Of **{input}** transaction lines, **{kept}** were kept and **{rejected}** set aside ({why}). "
          "GMV kept: **{kept_gmv}**; set aside: **{rejected_gmv}**; together **{input_gmv}**, the input total. "
          "Returns (negative lines) are kept and netted: they are **{returns}** of gross sales. "
          "Timestamps are in {tz} local time. Other tables kept: {other}.").format(
            input=i18n.number(int(rec["input_rows"])), kept=i18n.number(int(rec["kept_rows"])),
            rejected=i18n.number(n_rej), why=why, kept_gmv=i18n.money(rec["kept_amount"]),
            rejected_gmv=i18n.money(rec["rejected_amount"]), input_gmv=i18n.money(rec["input_amount"]),
            returns=i18n.percent(returns, 2), tz=ds.data_tz, other=other or _("none")),
        *_adjustments(ds.reconciliation))


def _adjustments(rec: pd.DataFrame) -> list[str]:
    """Sentences on rows kept but adjusted at load, and on ids that mostly match nothing."""
    out = []
    repeated, gap = int(rec["ts_dst_ambiguous_kept"].sum()), int(rec["ts_dst_gap_shifted"].sum())
    parts = [ngettext("**{n}** local time in the repeated hour of a daylight-saving change was read as the "
                      "first occurrence",
                      "**{n}** local times in the repeated hour of a daylight-saving change were read as the "
                      "first occurrence", repeated).format(n=i18n.number(repeated))] if repeated else []
    if gap:
        parts.append(ngettext("**{n}** local time in the skipped hour was moved forward to the end of the gap",
                              "**{n}** local times in the skipped hour were moved forward to the end of the gap",
                              gap).format(n=i18n.number(gap)))
    if parts:
        out.append(_("{adjusted} (kept, not set aside).").format(adjusted=_("; ").join(parts)))
    merged = int(rec["ids_merged"].sum())
    if merged:
        out.append(ngettext("**{n}** id written more than one way (such as 7, 007 and 7.0) was read as one, "
                            "by the id rule in data/README.md.",
                            "**{n}** ids written more than one way (such as 7, 007 and 7.0) were read as one, "
                            "by the id rule in data/README.md.", merged).format(n=i18n.number(merged)))
    for col, ref, message in (
            ("customer_ids_in_transactions", "transactions",
             N_("Only **{share}** of the customer ids in {table} occur in {ref}: check that both tables write "
                "ids the same way.")),
            ("strategy_ids_in_strategies", "strategies",
             N_("Only **{share}** of the strategy ids in {table} occur in {ref}: check that both tables write "
                "ids the same way."))):
        low = rec[rec[col] < LOW_ID_MATCH]
        for r in low.itertuples():
            out.append(_(message).format(share=i18n.percent(getattr(r, col), 1), table=r.table, ref=ref))
    return out


def rfm_overview(rfm: pd.DataFrame, *, window_days: int) -> str:
    n = len(rfm)
    active = int((rfm["frequency"] > 0).sum())
    top = rfm["monetary"].sort_values(ascending=False)
    k = max(1, int(np.ceil(0.2 * n)))
    share = top.iloc[:k].sum() / top.sum() if top.sum() else np.nan
    return _(
        "**{n}** customers ordered at least once up to the cut-off; **{active}** of them ordered in the last "
        "{days} days. Median recency is **{recency} days**, median frequency **{frequency} orders** and median "
        "spend **{spend}**. The top {top} of customers by spend bring **{share}** of the window's GMV."
    ).format(n=i18n.number(n), active=i18n.number(active), days=window_days,
             recency=i18n.number(rfm["recency_days"].median()), frequency=i18n.number(rfm["frequency"].median()),
             spend=i18n.money(rfm["monetary"].median()), top=i18n.percent(0.2), share=_pct(share, 1))


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
    """One sentence saying that ``what`` cannot be shown, ``why``, and what data would let it
    (``what``, ``why`` and ``needs`` already in the report's language)."""
    sentence = _("{what} cannot be shown: {why}; {needs}.").format(what=what, why=why, needs=needs)
    return f"_{sentence[:1].upper()}{sentence[1:]}_"


def lifecycle_prose(lifecycle: Lifecycle, thresholds: Thresholds) -> str:
    hi, lo = lifecycle.levels
    days = _("at risk after **{at_risk}** days, dormant after **{dormant}** days").format(
        at_risk=thresholds.at_risk_days, dormant=thresholds.dormant_days)
    shown = _("The curve over **{n}** customer snapshots is shown for reference.").format(
        n=i18n.number(lifecycle.n_snapshots))
    if lifecycle.source == "defaults":
        return sentences(_("The data cannot give the lifecycle thresholds ({reason}), so the stated defaults of the run "
                 "parameters are used: {days}. Treat the lifecycle stages as indicative; a year of history with "
                 "customers who come back and customers who do not would let the thresholds be read off the "
                 "data.").format(reason=lifecycle.reason, days=days), shown if len(lifecycle.curve) else "")
    if lifecycle.curve.empty:
        return _("No snapshots were available; the thresholds are set by hand: {days}.").format(days=days)
    tail = lifecycle.curve.iloc[-1]
    last = _("In the last band ({band} days, n={n}) **{share}** came back within the horizon.").format(
        band=tail["recency_band"], n=i18n.number(int(tail["n"])), share=_pct(tail["observed"], 0))
    if not lifecycle.derived:
        return sentences(_("The thresholds are set by hand in the run parameters: {days}.").format(days=days), shown, last)
    return sentences(
        _("Over **{n}** customer snapshots, the chance of ordering again within {horizon} days falls below "
          "**{high}** once **{at_risk} days** have passed since the last order (the *at risk* threshold) and "
          "below **{low}** after **{dormant} days** (*dormant*).").format(
            n=i18n.number(lifecycle.n_snapshots), horizon=lifecycle.horizon_days, high=i18n.percent(hi),
            at_risk=lifecycle.at_risk_days, low=i18n.percent(lo), dormant=lifecycle.dormant_days),
        last, _("So *dormant* means asleep, not gone."))


def coverage_check(tiered: pd.DataFrame) -> str:
    """Check that every customer is in exactly one segment, group and stage; say so."""
    n = len(tiered)
    if tiered["customer_id"].duplicated().any():
        raise AssertionError("a customer appears more than once in the tier table")
    for col in ("rf_segment", "rfm_group", "lifecycle_stage"):
        if tiered[col].isna().any():
            raise AssertionError(f"{int(tiered[col].isna().sum())} customers have no {col}")
    return _("All **{n}** customers have exactly one R×F segment ({segments} in use), one RFM group "
             "({groups} in use) and one lifecycle stage ({stages} in use).").format(
        n=i18n.number(n), segments=tiered["rf_segment"].nunique(), groups=tiered["rfm_group"].nunique(),
        stages=tiered["lifecycle_stage"].nunique())


_GROUP_PROSE = {
    "group": N_("The largest group is **{big}** with **{n_big}** customers ({share_big}); the group with the "
                "largest share of GMV is **{rich}**: **{gmv_rich}** of GMV from {share_rich} of customers. "
                "The smallest group in use, **{small}**, has **{n_small}** customers."),
    "segment": N_("The largest segment is **{big}** with **{n_big}** customers ({share_big}); the segment with "
                  "the largest share of GMV is **{rich}**: **{gmv_rich}** of GMV from {share_rich} of customers. "
                  "The smallest segment in use, **{small}**, has **{n_small}** customers."),
}


def group_prose(groups: pd.DataFrame, *, label: str, what: str) -> str:
    """The largest, the richest and the smallest ``what`` (``group`` or ``segment``)."""
    g = groups[groups["customers"] > 0]
    big = g.sort_values(["customers", label], ascending=[False, True]).iloc[0]
    rich = g.sort_values(["gmv_share", label], ascending=[False, True]).iloc[0]
    small = g.sort_values(["customers", label], ascending=[True, True]).iloc[0]
    return _(_GROUP_PROSE[what]).format(
        big=name(big[label]), n_big=i18n.number(int(big["customers"])), share_big=_pct(big["customer_share"], 1),
        rich=name(rich[label]), gmv_rich=_pct(rich["gmv_share"], 1), share_rich=_pct(rich["customer_share"], 1),
        small=name(small[label]), n_small=i18n.number(int(small["customers"])))


def concentration_prose(groups: pd.DataFrame, *, label: str) -> str:
    g = groups[groups["customers"] > 0].assign(
        ratio=lambda d: d["gmv_share"] / d["customer_share"]).sort_values(["ratio", label])
    lo, hi = g.iloc[0], g.iloc[-1]
    return _("GMV is concentrated: **{high}** brings {ratio_high}× its share of customers in GMV (ARPU "
             "{arpu_high}), while **{low}** brings only {ratio_low}× (ARPU {arpu_low}).").format(
        high=name(hi[label]), ratio_high=i18n.number(hi["ratio"], 1), arpu_high=i18n.money(hi["arpu"]),
        low=name(lo[label]), ratio_low=i18n.number(lo["ratio"], 2), arpu_low=i18n.money(lo["arpu"]))


# R, F and M as the prose names them (a column not listed reads as its name with blanks)
_MEASURES = {"recency_days": N_("recency days"), "frequency": N_("frequency"), "monetary": N_("monetary")}
_CORRELATION = {
    (True, "strongly"): N_("Across **{n}** customers, {x} and {y} rise together, strongly (Spearman ρ = **{rho}**)."),
    (True, "moderately"): N_("Across **{n}** customers, {x} and {y} rise together, moderately "
                             "(Spearman ρ = **{rho}**)."),
    (True, "weakly"): N_("Across **{n}** customers, {x} and {y} rise together, weakly (Spearman ρ = **{rho}**)."),
    (False, "strongly"): N_("Across **{n}** customers, {x} and {y} move in opposite directions, strongly "
                            "(Spearman ρ = **{rho}**)."),
    (False, "moderately"): N_("Across **{n}** customers, {x} and {y} move in opposite directions, moderately "
                              "(Spearman ρ = **{rho}**)."),
    (False, "weakly"): N_("Across **{n}** customers, {x} and {y} move in opposite directions, weakly "
                          "(Spearman ρ = **{rho}**)."),
}


def _measure(col: str) -> str:
    return _(_MEASURES[col]) if col in _MEASURES else col.replace("_", " ")


def correlation_prose(tiered: pd.DataFrame, x: str, y: str) -> str:
    varied = int(min(tiered[x].nunique(), tiered[y].nunique())) if len(tiered) else 0
    if len(tiered) < 3 or varied < 2:
        return unavailable(_("the rank correlation of {x} and {y}").format(x=_measure(x), y=_measure(y)),
                           why=_("{n} customer(s) with {k} distinct value(s) give no ranking").format(
                               n=i18n.number(len(tiered)), k=varied),
                           needs=_("three or more customers who differ in both would give it"))
    rho = tiered[x].corr(tiered[y], method="spearman")
    strength = "strongly" if abs(rho) >= 0.6 else "moderately" if abs(rho) >= 0.3 else "weakly"
    return _(_CORRELATION[(bool(rho > 0), strength)]).format(
        n=i18n.number(len(tiered)), x=_measure(x), y=_measure(y), rho=i18n.number(rho, 2))


def stage_prose(stages: pd.DataFrame, thresholds: Thresholds, *, growth_seen: bool = True) -> str:
    """Customers at risk or dormant, growing, declining and new; ``growth_seen`` is False when
    the data does not cover the prior spend window (then nobody is called growing or declining)."""
    s = stages.set_index("lifecycle_stage")
    lapse = s.loc[["at_risk", "dormant"], "customers"].sum()
    lapse_gmv = s.loc[["at_risk", "dormant"], "gmv_share"].sum()
    t = thresholds
    new = dict(new=i18n.number(int(s.loc["new", "customers"])), recent=t.recent_days, dormant=t.dormant_days)
    rest = (
        _("**{growing}** active customers are growing (recent {recent}-day spend up more than {band}) and "
          "**{declining}** declining; **{new}** are new (first order in the last {recent} days and at least "
          "{dormant} days after the data start, so that customers already shopping when the data begins are "
          "not called new).").format(growing=i18n.number(int(s.loc["growing", "customers"])),
                                     band=i18n.percent(t.growth_band),
                                     declining=i18n.number(int(s.loc["declining", "customers"])), **new)
        if growth_seen else
        _("The data begins less than {twice} days before the cut-off, so recent spend cannot be compared with "
          "the {recent} days before and no customer is called growing or declining (they count as mature); "
          "**{new}** are new (first order in the last {recent} days and at least {dormant} days after the data "
          "start, so that customers already shopping when the data begins are not called new).").format(
            twice=2 * t.recent_days, **new))
    return sentences(_("**{lapse}** customers ({share}) have not ordered for more than {days} days (at risk or dormant); "
             "they brought **{gmv}** of the window's GMV.").format(
        lapse=i18n.number(int(lapse)), share=_pct(lapse / s["customers"].sum(), 1), days=t.at_risk_days,
        gmv=_pct(lapse_gmv, 1)), rest)


def cross_prose(cross: pd.DataFrame) -> str:
    seg = "champions" if "champions" in cross.index else cross.index[0]
    row = cross.loc[seg]
    top = row.sort_values(ascending=False, kind="stable")
    risky = int(cross.loc[:, [c for c in ("at_risk", "dormant") if c in cross.columns]].loc[
        [i for i in ("loyal_customers", "champions", "cant_lose") if i in cross.index]].to_numpy().sum())
    return _("Among **{segment}**, the most common stage is **{stage}** ({k} of {n}). **{risky}** customers in "
             "high-frequency segments (champions, loyal customers, can't lose) are already at risk or dormant by "
             "recency: the R×F scores rank customers against each other, the lifecycle stage against the return "
             "curve.").format(segment=name(seg), stage=name(top.index[0]), k=i18n.number(int(top.iloc[0])),
                              n=i18n.number(int(row.sum())), risky=i18n.number(risky))


def sensitivity_prose(sens: pd.DataFrame, *, n: int) -> str:
    worst = sens.sort_values(["changed_any_share", "cut"], ascending=[False, True]).iloc[0]
    return _("The most sensitive cut point is **{cut}** ({value}): moving it to {moved} moves **{share}** of the "
             "{n} customers to another score, segment, group or stage. The median move over all cut points "
             "changes **{median}** of customers.").format(
        cut=worst["cut"], value=i18n.number(worst["value"], 2), moved=i18n.number(worst["moved_to"], 2),
        share=_pct(worst["changed_any_share"], 1), n=i18n.number(n),
        median=_pct(sens["changed_any_share"].median(), 1))


def headlines(tiered: pd.DataFrame, thresholds: Thresholds) -> dict[str, object]:
    """Headline numbers of step 1 for the report index: the keys are English (the index shows them
    translated), the values in the report's language."""
    champions = tiered["rf_segment"] == "champions"
    gmv = tiered["monetary"].sum()
    lapsing = tiered["lifecycle_stage"].isin(["at_risk", "dormant"])
    return {
        N_("customers tiered"): i18n.number(len(tiered)),
        N_("champions"): _("{n} ({share} of GMV)").format(
            n=i18n.number(int(champions.sum())), share=_pct(tiered.loc[champions, "monetary"].sum() / gmv, 1)),
        N_("at risk or dormant"): _("{n} ({share})").format(n=i18n.number(int(lapsing.sum())),
                                                           share=_pct(lapsing.mean(), 1)),
        N_("lifecycle thresholds"): _("at risk > {at_risk} d, dormant > {dormant} d").format(
            at_risk=thresholds.at_risk_days, dormant=thresholds.dormant_days),
    }


def artifact_list(paths: list[Path], tiered: pd.DataFrame) -> str:
    files = _(", ").join(f"`artifacts/{Path(p).name}`" for p in paths)
    return _("Written for later steps: {files} ({n} customers).").format(files=files, n=i18n.number(len(tiered)))


def provenance(ds: Dataset) -> str:
    pkgs = ("userops", "pandas", "duckdb", "ibis-framework", "statsmodels", "seaborn", "papermill")
    versions = _(", ").join(f"{p} {metadata.version(p)}" for p in pkgs)
    counts = _(", ").join(f"{t} {i18n.number(n)}" for t, n in ds.row_counts().items())
    return _("Data source **{source}**, cut-off **{date}**, time zone {tz}; rows: {counts}. Packages: "
             "{versions}.").format(source=ds.source, date=ds.as_of.date(), tz=ds.data_tz, counts=counts,
                                   versions=versions)





# -- private helpers ------------------------------------------------------------------------

def _cell(value: object) -> str:
    """``value`` as the text of one markdown table cell."""
    return " ".join(str(value).splitlines()).replace("\\", "\\\\").replace("|", "\\|")


def _pct(share: float, digits: int) -> str:
    """A share as a percent (``nan%`` when it is not a number, as Python's format writes it)."""
    return i18n.percent(share, digits) if np.isfinite(share) else "nan%"
