"""The report's own pages: the dated ``index.html`` (decisions and findings), the top-level
``<out>/index.html`` (every dated report and the strategy library's history) and the
navigation of the step pages.

Pages are rendered by Jinja templates in ``templates/pages`` with autoescaping on: every string
from data or parameters is escaped. Charts are static PNGs embedded with alt text; no page
loads a script or anything from the network.
"""
from __future__ import annotations

import base64
import io
import sqlite3
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from userops import findings, i18n, library, review
from userops.i18n import N_, _

__all__ = ["DECISION_HEADERS", "decision_table", "decision_note", "step_nav", "render_index",
           "render_overview", "history_chart", "INDEX_FINDINGS"]

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates" / "pages"),
                          autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
# the templates' text: {{ _("...") }} in the report's language at render time; <html lang> too
_ENV.globals.update(_=lambda message: _(message), lang=i18n.lang)
DECISION_HEADERS = {
    "strategy_id": N_("Strategy"), "type": N_("Type"), "action": N_("Action"),
    "effect": N_("Effect on spend per reached customer-week (95% CI)"),
    "roi": N_("ROI, net GMV per 1 of cost (95% CI)"), "reach": N_("Reached"), "reach_recommended": N_("Best reach"),
    "cost": N_("Cost"), "holdout_customers": N_("Holdout to test"), "reason": N_("Why")}
# the decision summary's actions (userops.review) as a reader sees them
ACTIONS = {"expand": N_("expand"), "keep": N_("keep"), "test": N_("test"), "cut": N_("cut")}
_MISSING = "-"
INDEX_FINDINGS = 3  # findings per step on the report index


def decision_table(decided: pd.DataFrame):
    """The decision summary (:func:`userops.review.decision_summary`) as a pandas Styler for people:
    human headers, intervals in one cell, "-" where there is no estimate, no index."""
    d = decided
    headers = {k: _(v) for k, v in DECISION_HEADERS.items()}
    shown = pd.DataFrame({
        "strategy_id": d["strategy_id"].astype(str), "type": d["type"].astype(str),
        "action": [_(ACTIONS.get(a, a)) for a in d["action"].astype(str)],
        "effect": [_interval(e, lo, hi) for e, lo, hi in zip(d["effect"], d["effect_low"], d["effect_high"])],
        "roi": [_interval(e, lo, hi) for e, lo, hi in zip(d["roi"], d["roi_low"], d["roi_high"])],
        "reach": [i18n.number(v) for v in d["reach"]],
        "reach_recommended": [i18n.number(v) for v in d["reach_recommended"]],
        "cost": [i18n.number(v) if np.isfinite(v) else _MISSING for v in d["cost"].astype(float)],
        "holdout_customers": [i18n.number(v) if np.isfinite(v) else "" for v in d["holdout_customers"].astype(float)],
        "reason": review.reasons_shown(d)}).rename(columns=headers)
    words = [headers[c] for c in ("strategy_id", "type", "action", "reason")]
    return (shown.style.format(escape="html").hide(axis="index").set_uuid("decisions")
            .set_table_attributes('class="decisions"')
            .set_properties(subset=words, **{"text-align": "left"})
            .set_table_styles([{"selector": "th", "props": [("text-align", "left"), ("min-width", "4em")]}])
            .set_caption(decision_note(decided)))


def decision_note(decided: pd.DataFrame) -> str:
    counts = decided["action"].value_counts()
    said = _(", ").join(_("{n} {action}").format(n=i18n.number(counts[a]), action=_(ACTIONS[a]))
                        for a in ("expand", "keep", "test", "cut") if a in counts)
    return (i18n.ngettext("{n} strategy: {counts}.", "{n} strategies: {counts}.", len(decided))
            .format(n=i18n.number(len(decided)), counts=said) + " "
            + _("\"-\": no effect estimate from step 5 (the reason says why); a holdout size is given only "
                "where the effect is unclear and the holdout fits the customer base."))


def step_nav(stem: str, stems: list[str], titles: dict[str, str]) -> dict[str, object]:
    """Links of a step page: the report index, the previous and the next step."""
    i = stems.index(stem)
    prev = stems[i - 1] if i > 0 else None
    nxt = stems[i + 1] if i + 1 < len(stems) else None
    return {"index": "index.html",
            "prev": {"href": f"{prev}.html", "title": titles[prev]} if prev else None,
            "next": {"href": f"{nxt}.html", "title": titles[nxt]} if nxt else None}


def render_index(folder: Path, *, title: str, data_line: str, steps: list[dict[str, object]]) -> str:
    """The dated report's ``index.html``: decisions, each step's findings linking to their
    sections, then the run status. ``steps``: name, title, status, seconds, error, earlier,
    headlines, page (whether its HTML exists)."""
    decided_path = folder / "artifacts" / "06_decisions.parquet"
    table, note = None, ""
    if decided_path.exists():
        decided = pd.read_parquet(decided_path)
        if len(decided):
            table = decision_table(decided).to_html()
        else:
            note = _("No strategy ran before the cut-off, so there is nothing to decide.")
    else:
        note = _("Step 6 did not complete in this run, so there are no decisions; see the status below.")
    for st in steps:
        # the first three (each step lists its findings most important first; its page has them all)
        every = findings.read(folder, st["name"][:2]) if st["status"] == "ok" else []
        st["findings"], st["more"] = every[:INDEX_FINDINGS], max(0, len(every) - INDEX_FINDINGS)
    first = next((st for st in steps if st["page"]), None)
    return _ENV.get_template("index.html.j2").render(
        title=title, data_line=data_line, decisions=table, decisions_note=note, steps=steps, first=first)


def render_overview(out: Path, *, reports: list[dict[str, object]]) -> str:
    """``<out>/index.html``: every dated report and the strategy library's history."""
    chart = history_chart(out / "strategy_library.sqlite")
    return _ENV.get_template("overview.html.j2").render(reports=reports, chart=chart)


def history_chart(path: Path) -> dict[str, str]:
    """Each strategy's incremental GMV and ROI (95% intervals) across the dated runs of the
    library, as an embedded PNG with alt text; or the sentence saying why there is none."""
    if not path.exists():
        return {"note": _("The strategy library is empty: a complete run records its strategies there.")}
    try:
        hist = library.history(path)
    except (sqlite3.Error, pd.errors.DatabaseError) as err:
        return {"note": _("The strategy library {name} cannot be read: {error}.").format(name=path.name, error=err)}
    hist = hist[(hist["segment"] == "all") & hist["incremental_gmv"].notna()] if len(hist) else hist
    if hist.empty:
        return {"note": _("No strategy in the library has an effect estimate yet, so there is no history to "
                          "draw: a strategy run with a random holdout (see each run's decisions) would give one.")}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    from userops import plots

    font_manager.fontManager.addfont(str(plots.cjk_font()))  # CJK in the labels and strategy ids

    several = hist["data_source"].nunique() > 1  # one library may hold several data sources
    hist = hist.assign(label=(hist["data_source"] + ": " if several else "") + hist["strategy_id"].astype(str))
    runs = sorted(hist["as_of"].unique())
    x = {r: i for i, r in enumerate(runs)}  # runs evenly spaced, labelled with their dates
    numeric = pd.to_numeric(hist["strategy_id"], errors="coerce")
    key = (hist.assign(_n=numeric).groupby("label")["_n"].first() if numeric.notna().all() and not several
           else pd.Series({lab: lab for lab in hist["label"].unique()}))
    labels = sorted(hist["label"].unique(), key=lambda lab: key[lab])
    width = 0.5 / max(1, len(labels))  # strategies side by side within a run
    with plt.rc_context({"font.family": plots.FONTS}):
        return _history_figure(plt, hist, runs, x, labels, width)


def _history_figure(plt, hist: pd.DataFrame, runs: list, x: dict, labels: list, width: float) -> dict[str, str]:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), dpi=80)
    for j, lab in enumerate(labels):
        g = hist[hist["label"] == lab].sort_values("as_of")
        pos = g["as_of"].map(x) + (j - (len(labels) - 1) / 2) * width
        for ax, (col, lo, hi) in zip(axes, (("incremental_gmv", "inc_low", "inc_high"),
                                            ("roi", "roi_low", "roi_high"))):
            ax.errorbar(pos, g[col], yerr=[g[col] - g[lo], g[hi] - g[col]], marker="o", capsize=3,
                        label=lab)
    for ax, name in zip(axes, (_("Incremental GMV (95% CI)"), _("ROI, net GMV per 1 of cost (95% CI)"))):
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_title(name, fontsize=10)
        ax.set_xticks(range(len(runs)), runs, fontsize=8)
        ax.set_xlim(-0.6, len(runs) - 0.4)
        ax.set_xlabel(_("Run cut-off date"))
    axes[1].legend(title=_("Strategy"), fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    alt = i18n.ngettext(
        "Incremental GMV and ROI with 95% intervals of strategies {names} in {n} dated run, {first}.",
        "Incremental GMV and ROI with 95% intervals of strategies {names} across {n} dated runs, {first} to {last}.",
        len(runs)).format(names=_(", ").join(labels), n=i18n.number(len(runs)), first=runs[0], last=runs[-1])
    return {"png": base64.b64encode(buf.getvalue()).decode(), "alt": alt}


# -- private helpers ------------------------------------------------------------------------

def _interval(value: float, low: float, high: float) -> str:
    if not np.isfinite(value):
        return _MISSING
    return "{} [{}, {}]".format(*(i18n.signed(v, 2) for v in (value, low, high)))
