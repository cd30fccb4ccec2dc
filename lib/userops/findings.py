""""What this step found and what to do": three to five findings per step, generated from the data.

Each notebook ends with a cell tagged ``findings`` that calls one function below and
:func:`show`; the report's exporter (:class:`userops.report.ArrangeCells`) moves that cell to the
top of the page. :func:`show` also writes ``artifacts/<step>_findings.json``, from which the
report index lists each step's findings, each linking to the section that shows its evidence.
A finding is plain text (escaped wherever it is rendered) and names its section by heading.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from userops import artifacts, i18n
from userops.i18n import _

__all__ = ["Finding", "HEADING", "anchor", "show", "read", "tiering", "profiles", "migration",
           "coverage", "effects", "review"]

HEADING = "What this step found and what to do"


@dataclass(frozen=True)
class Finding:
    found: str  # what the data shows, with its numbers
    do: str  # what to do about it
    section: str  # the heading of the section that shows the evidence, as written in the notebook

    @property
    def anchor(self) -> str:
        return anchor(self.section)


def anchor(heading: str) -> str:
    """The id nbconvert gives a markdown heading (its text, blanks as ``-``), for a link."""
    return re.sub(r"\s+", "-", heading.strip())


def show(items: list[Finding], *, out_dir: str | Path, step: str) -> None:
    """Display the findings as the page's opening section and record them for the index."""
    from userops.show import Markdown, display

    path = artifacts.artifact_dir(out_dir) / f"{step}_findings.json"
    path.write_text(json.dumps([asdict(f) | {"anchor": f.anchor} for f in items], indent=2),
                    encoding="utf-8")
    lines = [f"## {HEADING}", ""]
    lines += [f"- {_md(f.found)} **{_md(f.do)}** ([evidence: {_md(f.section)}](#{_url(f.anchor)}))"
              for f in items]
    if not items:
        lines.append("- Nothing in this data supports a finding here; the sections below say what each needs.")
    display(Markdown("\n".join(lines)))


def read(out_dir: str | Path, step: str) -> list[dict[str, str]]:
    """The findings a step recorded (``found``, ``do``, ``section``, ``anchor``), or none."""
    path = Path(out_dir) / "artifacts" / f"{step}_findings.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


# -- one function per step ----------------------------------------------------------------------

def tiering(tiered: pd.DataFrame, thresholds, sens: pd.DataFrame) -> list[Finding]:
    """Step 1: where the value sits, who is slipping away, how firm the tiers are."""
    out: list[Finding] = []
    if tiered.empty:
        return out
    gmv = float(tiered["monetary"].clip(lower=0).sum())
    champ = tiered["rf_segment"] == "champions"
    if champ.any() and gmv > 0:
        share = tiered.loc[champ, "monetary"].clip(lower=0).sum() / gmv
        out.append(Finding(
            f"{int(champ.sum()):,} champions ({champ.mean():.1%} of customers) bring {share:.1%} of GMV.",
            "Protect them with service and recognition rather than discounts, and watch their recency.",
            "6. The ten R×F segments"))
    top = tiered["monetary"].clip(lower=0).sort_values(ascending=False)
    n20 = max(1, int(round(len(top) * 0.2)))
    if gmv > 0:
        out.append(Finding(
            f"The top 20% of customers ({n20:,}) bring {top.iloc[:n20].sum() / gmv:.1%} of GMV.",
            "Budget for retaining the top fifth before acquiring more of the bottom.",
            "5. The eight RFM groups (high/low R, F and M)"))
    risk = tiered["lifecycle_stage"] == "at_risk"
    dormant = tiered["lifecycle_stage"] == "dormant"
    if (risk | dormant).any():
        out.append(Finding(
            f"{int(risk.sum()):,} customers are at risk (no order for more than {thresholds.at_risk_days} days) "
            f"and {int(dormant.sum()):,} dormant (more than {thresholds.dormant_days} days); the at-risk "
            f"brought {tiered.loc[risk, 'monetary'].clip(lower=0).sum() / gmv:.1%} of GMV." if gmv > 0 else
            f"{int(risk.sum()):,} customers are at risk and {int(dormant.sum()):,} dormant.",
            f"Contact the at-risk before they pass {thresholds.dormant_days} days without an order.",
            "7. Lifecycle stages"))
    if len(sens) and "changed_rf_segment" in sens:
        worst = sens.sort_values(["changed_rf_segment", "cut"], ascending=[False, True]).iloc[0]
        out.append(Finding(
            f"Moving the cut point {worst['cut']} from {worst['value']:g} to {worst['moved_to']:g} moves "
            f"{int(worst['changed_rf_segment']):,} customers ({worst['changed_rf_segment'] / len(tiered):.1%}) "
            "to another R×F segment, the most of any cut.",
            "Read segment counts as approximate by that much; target on the score, not the boundary.",
            "8. How sensitive are the tiers to each cut point?"))
    return out


def profiles(cl, names: pd.Series, look: dict, top_tgi: pd.DataFrame) -> list[Finding]:
    """Step 2: the clusters, their most distinctive trait, and whether look-alikes are usable."""
    out: list[Finding] = []
    labels = cl.labels.map(names) if len(cl.labels) else pd.Series(dtype=str)
    clusters = _("2. Clusters of customers who shop alike")
    if cl.k > 1 and len(labels):
        sizes = labels.value_counts()
        out.append(Finding(
            _("Customers fall into {k} groups that shop alike; the largest, \"{name}\", holds {n} customers "
              "({share}).").format(k=cl.k, name=sizes.index[0], n=i18n.number(sizes.iloc[0]),
                                   share=i18n.percent(sizes.iloc[0] / sizes.sum(), 1)),
            _("Write one offer per cluster, matched to what its name says it prefers."),
            clusters))
    elif len(labels):
        out.append(Finding(
            _("The {n} customers form no distinct shopping groups ({why}).").format(
                n=i18n.number(len(labels)), why=cl.note or _("one cluster")),
            _("Target on value tiers (step 1) rather than on shopping style."),
            clusters))
    if len(top_tgi):
        t = top_tgi.sort_values(["tgi", "label"], ascending=[False, True]).iloc[0]
        out.append(Finding(
            _("The most over-represented trait: {trait}, TGI {tgi} (100 = as in the base).").format(
                trait=t["label"], tgi=i18n.number(t["tgi"])),
            _("Use that trait to reach the cluster in channels that target on it."),
            _("3. Profiles against the customer base (TGI)")))
    if not look.get("note") and np.isfinite(look.get("auc", np.nan)):
        auc = float(look["auc"])
        usable = auc >= 0.7
        out.append(Finding(
            (_("The look-alike score tells held-out seed customers from others with AUC {auc} (useful; 0.5 is chance).")
             if usable else
             _("The look-alike score tells held-out seed customers from others with AUC {auc} (weak; 0.5 is chance).")
             ).format(auc=i18n.number(auc, 2)),
            (_("Offer the seed group's strategy to the top {n} candidates listed.").format(
                n=i18n.number(len(look["candidates"])))
             if usable else _("Do not widen the seed group's strategy by look-alikes yet.")),
            _("4. Look-alikes of a seed group")))
    return out


def migration(mov: pd.DataFrame, effect: pd.DataFrame) -> list[Finding]:
    """Step 3: how many move up, down and lapse, from which tier, and whether strategies help."""
    from userops.migration import shown_state

    out: list[Finding] = []
    t = mov[~mov["origin"].astype(str).isin(["new", "lapsed"])] if len(mov) else mov
    moves = _("4. Up, stay, down, lapse per origin tier, and the GMV at stake")
    if len(t) and t["customers"].sum() > 0:
        w = t["customers"] / t["customers"].sum()
        out.append(Finding(
            _("From one period to the next {up} of active customers moved up a spend tier, {down} down and "
              "{lapsed} stopped buying.").format(up=i18n.percent((t["up"] * w).sum(), 1),
                                                 down=i18n.percent((t["down"] * w).sum(), 1),
                                                 lapsed=i18n.percent((t["lapsed"] * w).sum(), 1)),
            _("Track these three shares each run; a rising lapse share is the first sign to act on."),
            moves))
        worst = t.sort_values(["lapsed", "origin"], ascending=[False, True]).iloc[0]
        if worst["lapsed"] > 0:
            tier = shown_state(worst["origin"])
            out.append(Finding(
                _("Tier {tier} lapses most: {share} of its customers bought nothing in the next period.").format(
                    tier=tier, share=i18n.percent(worst["lapsed"], 1)),
                _("Aim retention contacts at tier {tier} first.").format(tier=tier),
                moves))
    e = effect.dropna(subset=["adjusted_diff"]) if len(effect) and "adjusted_diff" in effect else effect.iloc[0:0]
    if len(e):
        clear = e[(e["ci_low"] > 0) | (e["ci_high"] < 0)]
        best = e.sort_values(["adjusted_diff", "type"], ascending=[False, True]).iloc[0]
        said = (_("the intervals of all {n} strategy types include zero").format(n=i18n.number(len(e)))
                if len(clear) == 0 else
                _("{k} of {n} strategy types have an interval that excludes zero").format(
                    k=i18n.number(len(clear)), n=i18n.number(len(e))))
        out.append(Finding(
            _("Reached customers moved up {diff} more often for {type} [{low}, {high}]; {said}.").format(
                diff=_signed_percent(best["adjusted_diff"]), type=best["type"], low=_signed_percent(best["ci_low"]),
                high=_signed_percent(best["ci_high"]), said=said),
            _("Do not credit strategies with tier upgrades until a type's interval excludes zero.")
            if len(clear) == 0 else _("Credit upgrades only to the types whose interval excludes zero."),
            _("6. Do customers reached by a strategy move up more?")))
    return out


def _signed_percent(share: float) -> str:
    """A share difference with its sign and one decimal: ``+1.2%``, ``-0.4%``."""
    return ("-" if share < 0 else "+") + i18n.percent(abs(share), 1)


def coverage(cal: pd.DataFrame, summary: pd.DataFrame, n_uncovered: int, n_customers: int) -> list[Finding]:
    """Step 4: how many strategies ran, who none reached and how well they converted."""
    out: list[Finding] = []
    if len(cal):
        conv = cal["conversion"].dropna()
        out.append(Finding(
            f"{len(cal)} strategies ran in the window" + (
                f"; half converted more than {conv.median():.1%} of the customers they reached, the best "
                f"{conv.max():.1%}." if len(conv) else "; none recorded responses."),
            "Review the lowest converters in step 6 before renewing them.",
            "1. Strategy calendar"))
    if n_customers:
        text = f"{n_uncovered:,} customers ({n_uncovered / n_customers:.1%}) were reached by no strategy"
        if len(summary) and summary["uncovered_gmv"].sum() > 0:
            top = summary.sort_values(["uncovered_gmv", "lifecycle_stage"], ascending=[False, True]).iloc[0]
            text += (f"; most of their GMV sits with {top['lifecycle_stage']} customers "
                     f"({int(top['uncovered']):,} of them)")
        out.append(Finding(
            text + ".", "Use the uncovered list written beside this page to test a strategy on them.",
            "3. The population no strategy covers"))
    return out


def effects(results: pd.DataFrame, pooled: pd.DataFrame) -> list[Finding]:
    """Step 5: how many effects could be estimated, how many are clear, and what a test needs."""
    out: list[Finding] = []
    spend = results[results["outcome"] == "spend"] if len(results) else results
    if len(spend):
        ok = spend[spend["gate"] == "passed"]
        reasons = spend.loc[spend["gate"] != "passed", "gate"].astype(str).str.split(":").str[0]
        why = (f"; the most common reason for no estimate: {reasons.value_counts().index[0]}"
               if len(reasons) else "")
        out.append(Finding(
            f"The effect on spend could be estimated for {len(ok)} of {len(spend)} strategies{why}.",
            "Give strategies without an estimate a random holdout next time they run.",
            "1. The effect of each strategy on weekly spend"))
        if len(ok):
            clear = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
            out.append(Finding(
                (f"None of the {len(ok)} estimated effects" if len(clear) == 0 else
                 f"{len(clear)} of the {len(ok)} estimated effects") + " can be told apart from zero.",
                "Do not scale a strategy whose interval includes zero; test it first."
                if len(clear) < len(ok) else "Use these effects to set budgets in step 6.",
                "1. The effect of each strategy on weekly spend"))
        sized = spend["holdout_customers"].dropna() if "holdout_customers" in spend else pd.Series(dtype=float)
        if len(sized):
            base = int(spend["n_all"].max()) if "n_all" in spend and spend["n_all"].notna().any() else 0
            need = sized.median()
            out.append(Finding(
                f"To tell a break-even effect from zero, the median strategy would need a holdout of "
                f"{need:,.0f} customers" + (f", more than the {base:,} customers in the data." if need > base > 0
                                            else "."),
                "Judge such strategies on responses or orders, or pool similar strategies into one test."
                if need > base > 0 else "Plan the holdouts of the next runs at that size.",
                "1. The effect of each strategy on weekly spend"))
    for p in pooled.itertuples() if len(pooled) else []:
        if len(out) >= 5:
            break
        out.append(Finding(
            f"{p.type} strategies together changed weekly spend per reached customer by {p.estimate:+.2f} "
            f"[{p.ci_low:+.2f}, {p.ci_high:+.2f}].",
            "Compare types on this pooled figure; single strategies are too small to rank.",
            "1. The effect of each strategy on weekly spend"))
    return out


def review(decisions: pd.DataFrame, alloc: pd.DataFrame, *, budget: float, warn: pd.DataFrame,
           n_customers: int) -> list[Finding]:
    """Step 6: the decision count per action, the best return, the budget used and the alerts."""
    out: list[Finding] = []
    if len(decisions):
        counts = decisions["action"].value_counts()
        said = ", ".join(f"{counts[a]} {a}" for a in ("expand", "keep", "test", "cut") if a in counts)
        out.append(Finding(
            f"Of {len(decisions)} strategies: {said}.",
            "Act on the decision table: its \"Why\" column gives the reason for each strategy.",
            "4. Budget allocation"))
        roi = decisions.dropna(subset=["roi"])
        if len(roi):
            b = roi.sort_values(["roi", "strategy_id"], ascending=[False, True]).iloc[0]
            out.append(Finding(
                f"The best return: strategy {b['strategy_id']}, ROI {b['roi']:+.2f} "
                f"[{b['roi_low']:+.2f}, {b['roi_high']:+.2f}] ({b['roi_unit']}).",
                "Expand it first: even the low end of its interval returns more than its cost."
                if b["roi_low"] > 0 else "Its interval includes a loss: expand it only with a random holdout beside it.",
                "2. KPIs per strategy"))
        test = decisions[decisions["action"] == "test"]
        if len(test):
            fits = int((test["holdout_customers"] <= n_customers).sum())
            out.append(Finding(
                f"{len(test)} strategies have an effect that is unknown or cannot be told apart from zero; "
                + (f"for {fits} of them" if fits else "for none of them")
                + f" the holdout that would settle it fits within the {n_customers:,} customers.",
                (f"Run those {fits} next time with the holdout given in the table; pool the others by type "
                 "or judge them on responses." if fits else
                 "No single holdout fits the customer base: pool similar strategies into one test, or judge "
                 "them on responses."),
                "2. KPIs per strategy"))
    spent = float(alloc["spend"].sum()) if len(alloc) else 0.0
    out.append(Finding(
        f"The best allocation spends {spent:,.0f} of the {budget:,.0f} budget"
        + (": no strategy with an estimate returns more than it costs beyond that." if spent < budget * 0.99
           else "."),
        "Hold the unspent budget back until tests give more strategies an estimate."
        if spent < budget * 0.99 else "Spend it on the cells the allocation table lists.",
        "4. Budget allocation"))
    if len(warn) and warn["alert"].any():
        out.append(Finding(
            f"{int(warn['alert'].sum())} KPI(s) moved beyond the alert threshold since the previous run.",
            "Check the strategy types named in the alert table.", "5. The strategy library and early warnings"))
    return out[:5]


# -- private helpers ------------------------------------------------------------------------

def _md(text: str) -> str:
    """Plain text for a markdown list item: markdown emphasis characters escaped."""
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", text)


def _url(fragment: str) -> str:
    return fragment.replace("(", "%28").replace(")", "%29")
