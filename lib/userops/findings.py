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
from userops.i18n import N_, _, ngettext, signed

__all__ = ["Finding", "HEADING", "anchor", "show", "read", "tiering", "profiles", "migration",
           "coverage", "effects", "review"]

HEADING = N_("What this step found and what to do")


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
    lines = [f"## {_(HEADING)}", ""]
    lines += ["- {found} **{do}** ([{evidence}](#{anchor}))".format(
        found=_md(f.found), do=_md(f.do), anchor=_url(f.anchor),
        evidence=_("evidence: {section}").format(section=_md(f.section))) for f in items]
    if not items:
        lines.append("- " + _("Nothing in this data supports a finding here; the sections below say what each needs."))
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
            _("{n} champions ({share} of customers) bring {gmv} of GMV.").format(
                n=i18n.number(int(champ.sum())), share=i18n.percent(champ.mean(), 1), gmv=i18n.percent(share, 1)),
            _("Protect them with service and recognition rather than discounts, and watch their recency."),
            _("6. The ten R×F segments")))
    top = tiered["monetary"].clip(lower=0).sort_values(ascending=False)
    n20 = max(1, int(round(len(top) * 0.2)))
    if gmv > 0:
        out.append(Finding(
            _("The top 20% of customers ({n}) bring {gmv} of GMV.").format(
                n=i18n.number(n20), gmv=i18n.percent(top.iloc[:n20].sum() / gmv, 1)),
            _("Budget for retaining the top fifth before acquiring more of the bottom."),
            _("5. The eight RFM groups (high/low R, F and M)")))
    risk = tiered["lifecycle_stage"] == "at_risk"
    dormant = tiered["lifecycle_stage"] == "dormant"
    if (risk | dormant).any():
        counts = dict(risk=i18n.number(int(risk.sum())), dormant=i18n.number(int(dormant.sum())))
        out.append(Finding(
            _("{risk} customers are at risk (no order for more than {at_risk} days) and {dormant} dormant (more "
              "than {dormant_days} days); the at-risk brought {gmv} of GMV.").format(
                at_risk=thresholds.at_risk_days, dormant_days=thresholds.dormant_days,
                gmv=i18n.percent(tiered.loc[risk, "monetary"].clip(lower=0).sum() / gmv, 1), **counts)
            if gmv > 0 else
            _("{risk} customers are at risk and {dormant} dormant.").format(**counts),
            _("Contact the at-risk before they pass {days} days without an order.").format(
                days=thresholds.dormant_days),
            _("7. Lifecycle stages")))
    if len(sens) and "changed_rf_segment" in sens:
        worst = sens.sort_values(["changed_rf_segment", "cut"], ascending=[False, True]).iloc[0]
        out.append(Finding(
            _("Moving the cut point {cut} from {value} to {moved} moves {n} customers ({share}) to another R×F "
              "segment, the most of any cut.").format(
                cut=worst["cut"], value=f"{worst['value']:g}", moved=f"{worst['moved_to']:g}",
                n=i18n.number(int(worst["changed_rf_segment"])),
                share=i18n.percent(worst["changed_rf_segment"] / len(tiered), 1)),
            _("Read segment counts as approximate by that much; target on the score, not the boundary."),
            _("8. How sensitive are the tiers to each cut point?")))
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
                diff=i18n.signed_percent(best["adjusted_diff"], 1), type=best["type"], low=i18n.signed_percent(best["ci_low"], 1),
                high=i18n.signed_percent(best["ci_high"], 1), said=said),
            _("Do not credit strategies with tier upgrades until a type's interval excludes zero.")
            if len(clear) == 0 else _("Credit upgrades only to the types whose interval excludes zero."),
            _("6. Do customers reached by a strategy move up more?")))
    return out


def coverage(cal: pd.DataFrame, summary: pd.DataFrame, n_uncovered: int, n_customers: int) -> list[Finding]:
    """Step 4: how many strategies ran, who none reached and how well they converted."""
    from userops import tiers

    out: list[Finding] = []
    if len(cal):
        conv = cal["conversion"].dropna()
        n = i18n.number(len(cal))
        out.append(Finding(
            _("{n} strategies ran in the window; half converted more than {median} of the customers they reached, "
              "the best {best}.").format(n=n, median=i18n.percent(conv.median(), 1), best=i18n.percent(conv.max(), 1))
            if len(conv) else _("{n} strategies ran in the window; none recorded responses.").format(n=n),
            _("Review the lowest converters in step 6 before renewing them."),
            _("1. Strategy calendar")))
    if n_customers:
        fields = dict(n=i18n.number(n_uncovered), share=i18n.percent(n_uncovered / n_customers, 1))
        if len(summary) and summary["uncovered_gmv"].sum() > 0:
            top = summary.sort_values(["uncovered_gmv", "lifecycle_stage"], ascending=[False, True]).iloc[0]
            text = _("{n} customers ({share}) were reached by no strategy; most of their GMV sits with {stage} "
                     "customers ({k} of them).").format(stage=tiers.name(top["lifecycle_stage"]),
                                                        k=i18n.number(int(top["uncovered"])), **fields)
        else:
            text = _("{n} customers ({share}) were reached by no strategy.").format(**fields)
        out.append(Finding(
            text, _("Use the uncovered list written beside this page to test a strategy on them."),
            _("3. The population no strategy covers")))
    return out


def effects(results: pd.DataFrame, pooled: pd.DataFrame) -> list[Finding]:
    """Step 5: how many effects could be estimated, how many are clear, and what a test needs."""
    from userops.effects import say

    section = _("1. The effect of each strategy on weekly spend")
    out: list[Finding] = []
    spend = results[results["outcome"] == "spend"] if len(results) else results
    if len(spend):
        ok = spend[spend["gate"] == "passed"]
        reasons = spend.loc[spend["gate"] != "passed", "gate"].astype(str).str.split(":").str[0]
        fields = dict(n=i18n.number(len(ok)), total=i18n.number(len(spend)))
        out.append(Finding(
            _("The effect on spend could be estimated for {n} of {total} strategies; the most common reason for "
              "no estimate: {reason}.").format(reason=say(reasons.value_counts().index[0]), **fields)
            if len(reasons) else
            _("The effect on spend could be estimated for {n} of {total} strategies.").format(**fields),
            _("Give strategies without an estimate a random holdout next time they run."),
            section))
        if len(ok):
            clear = ok[(ok["ci_low"] > 0) | (ok["ci_high"] < 0)]
            out.append(Finding(
                _("None of the {n} estimated effects can be told apart from zero.").format(n=i18n.number(len(ok)))
                if len(clear) == 0 else
                _("{k} of the {n} estimated effects can be told apart from zero.").format(
                    k=i18n.number(len(clear)), n=i18n.number(len(ok))),
                _("Do not scale a strategy whose interval includes zero; test it first.")
                if len(clear) < len(ok) else _("Use these effects to set budgets in step 6."),
                section))
        sized = spend["holdout_customers"].dropna() if "holdout_customers" in spend else pd.Series(dtype=float)
        if len(sized):
            base = int(spend["n_all"].max()) if "n_all" in spend and spend["n_all"].notna().any() else 0
            need = sized.median()
            out.append(Finding(
                _("To tell a break-even effect from zero, the median strategy would need a holdout of {need} "
                  "customers, more than the {base} customers in the data.").format(
                    need=i18n.number(need), base=i18n.number(base)) if need > base > 0 else
                _("To tell a break-even effect from zero, the median strategy would need a holdout of {need} "
                  "customers.").format(need=i18n.number(need)),
                _("Judge such strategies on responses or orders, or pool similar strategies into one test.")
                if need > base > 0 else _("Plan the holdouts of the next runs at that size."),
                section))
    for p in pooled.itertuples() if len(pooled) else []:
        if len(out) >= 5:
            break
        out.append(Finding(
            _("{type} strategies together changed weekly spend per reached customer by {estimate} "
              "[{low}, {high}].").format(type=p.type, estimate=signed(p.estimate), low=signed(p.ci_low),
                                         high=signed(p.ci_high)),
            _("Compare types on this pooled figure; single strategies are too small to rank."),
            section))
    return out


def review(decisions: pd.DataFrame, alloc: pd.DataFrame, *, budget: float, warn: pd.DataFrame,
           n_customers: int) -> list[Finding]:
    """Step 6: the decision count per action, the best return, the budget used and the alerts."""
    from userops.review import ACTION_WORDS

    out: list[Finding] = []
    if len(decisions):
        counts = decisions["action"].value_counts()
        said = _(", ").join(_("{n} {action}").format(n=i18n.number(counts[a]), action=_(ACTION_WORDS[a]))
                            for a in ("expand", "keep", "test", "cut") if a in counts)
        out.append(Finding(
            ngettext("Of {n} strategy: {actions}.", "Of {n} strategies: {actions}.", len(decisions)).format(
                n=i18n.number(len(decisions)), actions=said),
            _("Act on the decision table: its \"Why\" column gives the reason for each strategy."),
            _("4. Budget allocation")))
        roi = decisions.dropna(subset=["roi"])
        if len(roi):
            b = roi.sort_values(["roi", "strategy_id"], ascending=[False, True]).iloc[0]
            out.append(Finding(
                _("The best return: strategy {strategy}, ROI {roi} [{low}, {high}] ({unit}).").format(
                    strategy=b["strategy_id"], roi=signed(b["roi"]), low=signed(b["roi_low"]),
                    high=signed(b["roi_high"]), unit=_(b["roi_unit"])),
                _("Expand it first: even the low end of its interval returns more than its cost.")
                if b["roi_low"] > 0 else
                _("Its interval includes a loss: expand it only with a random holdout beside it."),
                _("2. KPIs per strategy")))
        test = decisions[decisions["action"] == "test"]
        if len(test):
            fits = int((test["holdout_customers"] <= n_customers).sum())
            found = (ngettext("{n} strategy has an effect that is unknown or cannot be told apart from zero; for "
                              "{fits} of them the holdout that would settle it fits within the {base} customers.",
                              "{n} strategies have an effect that is unknown or cannot be told apart from zero; "
                              "for {fits} of them the holdout that would settle it fits within the {base} "
                              "customers.", len(test)) if fits else
                     ngettext("{n} strategy has an effect that is unknown or cannot be told apart from zero; for "
                              "none of them the holdout that would settle it fits within the {base} customers.",
                              "{n} strategies have an effect that is unknown or cannot be told apart from zero; "
                              "for none of them the holdout that would settle it fits within the {base} "
                              "customers.", len(test)))
            out.append(Finding(
                found.format(n=i18n.number(len(test)), fits=i18n.number(fits), base=i18n.number(n_customers)),
                (_("Run those {n} next time with the holdout given in the table; pool the others by type "
                   "or judge them on responses.").format(n=i18n.number(fits)) if fits else
                 _("No single holdout fits the customer base: pool similar strategies into one test, or judge "
                   "them on responses.")),
                _("2. KPIs per strategy")))
    spent = float(alloc["spend"].sum()) if len(alloc) else 0.0
    short = spent < budget * 0.99
    out.append(Finding(
        (_("The best allocation spends {spent} of the {budget} budget: no strategy with an estimate returns more "
           "than it costs beyond that.") if short else
         _("The best allocation spends {spent} of the {budget} budget.")).format(
            spent=i18n.number(spent), budget=i18n.number(budget)),
        _("Hold the unspent budget back until tests give more strategies an estimate.")
        if short else _("Spend it on the cells the allocation table lists."),
        _("4. Budget allocation")))
    if len(warn) and warn["alert"].any():
        n = int(warn["alert"].sum())
        out.append(Finding(
            ngettext("{n} KPI moved beyond the alert threshold since the previous run.",
                     "{n} KPIs moved beyond the alert threshold since the previous run.", n).format(
                n=i18n.number(n)),
            _("Check the strategy types named in the alert table."),
            _("5. The strategy library and early warnings")))
    return out[:5]


# -- private helpers ------------------------------------------------------------------------

def _md(text: str) -> str:
    """Plain text for a markdown list item: markdown emphasis characters escaped."""
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", text)


def _url(fragment: str) -> str:
    return fragment.replace("(", "%28").replace(")", "%29")
