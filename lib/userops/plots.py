"""Charts for reviewers: every function draws on ``ax`` (or a new one), titles and labels it.

Labels come from data (category names, strategy ids and types, customer attributes), so every
chart shows them cut to a readable length (:func:`short_label`); the full text stays in the
tables and CSV files beside the chart. Column and feature names shown in a chart (heatmap rows,
legend entries, model terms) read as :func:`userops.labels.label` writes them. What a chart
writes by itself (default axis labels, legends, notes) and its numbers are in the report's
language (:mod:`userops.i18n`); titles and axis labels passed in are the caller's, already
translated.

A chart that would show nothing (no rows, every line flat, a single estimate: see
:func:`userops.display.blank_reason`) is not drawn: no figure is made, ``ax`` is left as it was
and the function returns None; the prose beside it says why.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import squarify
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.ticker import Formatter, PercentFormatter

from userops import labels as names
from userops.display import blank_reason, number, percent
from userops import i18n
from userops.i18n import N_, _

__all__ = ["setup", "cjk_font", "FONTS", "short_label", "return_curve", "treemap", "bars", "bubbles", "heatmap",
           "transition_heatmap", "flow", "stacked_shares", "timeline", "forest", "event_study",
           "silhouette", "lines", "predicted_actual", "waterfall", "PALETTE", "LABEL_LIMIT", "TEXT_LIMIT"]

PALETTE = "tab10"
LABEL_LIMIT = 60  # characters of a tick label, legend entry or name inside a chart
TEXT_LIMIT = 120  # characters of a title, axis label or note (per line)
_MAX_LINES = 4
# Latin text keeps DejaVu Sans; a character it lacks (Chinese, Japanese, Korean) is drawn from
# Noto Sans CJK JP, shipped in the PyPI package notojp-matplotlib (SIL OFL font): no system font
# is assumed
FONTS = ["DejaVu Sans", "Noto Sans CJK JP"]
_CJK_PACKAGE, _CJK_FILE = "notojp_matplotlib", Path("fonts") / "NotoSansCJKjp-Regular.otf"


def short_label(text: object, limit: int = LABEL_LIMIT) -> str:
    """``text`` as a chart shows it: each line cut to ``limit`` characters with an ellipsis, at
    most four lines."""
    lines_ = str(text).split("\n")
    shown = [line if len(line) <= limit else line[:limit - 1] + "\u2026" for line in lines_[:_MAX_LINES]]
    return "\n".join(shown + (["\u2026"] if len(lines_) > _MAX_LINES else []))


def _short_labels(plot):
    """Decorator: the chart's tick labels, legend, titles and notes shortened (:func:`_shorten`)
    once the plot function has drawn it."""
    @functools.wraps(plot)
    def wrapper(*args, **kwargs) -> Axes | None:
        ax = plot(*args, **kwargs)
        return None if ax is None else _shorten(ax)
    return wrapper


def _unless_blank(reason):
    """Decorator: the chart is not drawn (no figure made, ``ax`` untouched, None returned) when
    ``reason(data, **kwargs)`` says why it would show nothing."""
    def decorate(plot):
        @functools.wraps(plot)
        def wrapper(data, **kwargs) -> Axes | None:
            return None if reason(data, **kwargs) else plot(data, **kwargs)
        return wrapper
    return decorate


def _rows(data, **_) -> str:
    return "" if len(data) else "no rows"


# features whose names are plain words: a chart cannot tell them from a value of the same name
# (the column "lapsed" and the state "lapsed"), so English shows them as they are; other languages
# show the feature's label, through these messages
_PLAIN_FEATURES = (N_("orders"), N_("spend"), N_("stores"), N_("categories"), N_("frequency"), N_("monetary"))


def _named(values) -> list:
    """Values that are code names of columns or features (``snake_case`` names in
    :data:`userops.labels.LABELS`, or category features) as :func:`userops.labels.label` writes
    them; a feature named by a plain word (:data:`_PLAIN_FEATURES`) in the report's language; other
    values (a state "lapsed", a segment "champions", a type "C": data, never looked up in the
    catalog) unchanged. A model term (``C(region)[T.north]``) reads as its label in other
    languages than English; the English report keeps showing the term as it always has."""
    terms = i18n.lang() != "en"
    return [(names.label(v) if ("_" in v and (v in names.LABELS or names.category_of(v)))
             or (terms and names.is_model_term(v)) else _(v) if v in _PLAIN_FEATURES else v)
            if isinstance(v, str) else v for v in values]


def setup() -> None:
    """House style for reports: PNG charts at 100 dpi, white grid, the font chain :data:`FONTS`
    (CJK names in data are drawn, not shown as empty boxes); tables show every column
    (reviewers cannot scroll a truncated frame open)."""
    pd.set_option("display.max_columns", 60)
    pd.set_option("display.max_colwidth", 200)
    font_manager.fontManager.addfont(str(cjk_font()))
    sns.set_theme(style="whitegrid", rc={"figure.dpi": 100, "savefig.dpi": 100,
                                         "figure.figsize": (8, 4.5), "font.family": FONTS})


def cjk_font() -> Path:
    """The path of the CJK font file, found without importing its package (whose import would
    make it the only font)."""
    spec = importlib.util.find_spec(_CJK_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the font package {_CJK_PACKAGE!r} is not installed; it is a "
                           "dependency of userops: reinstall with `make setup`")
    path = Path(next(iter(spec.submodule_search_locations))) / _CJK_FILE
    if not path.exists():
        raise RuntimeError(f"the CJK font {path} is missing from {_CJK_PACKAGE!r}; reinstall it")
    return path


@_short_labels
@_unless_blank(_rows)
def return_curve(curve: pd.DataFrame, *, fitted: pd.DataFrame, thresholds: dict[str, float],
                 horizon_days: int, ax: Axes | None = None) -> Axes:
    """Observed return rate per recency band (with 95% CI) and the fitted curve with cut points.

    ``fitted`` has columns ``recency_days`` and ``probability``; ``thresholds`` maps a label to
    a recency in days.
    """
    ax = ax or plt.figure().gca()
    err = np.clip(np.vstack([curve["observed"] - curve["ci_low"],
                             curve["ci_high"] - curve["observed"]]), 0, None)  # float noise at 0 or 1
    ax.errorbar(curve["mean_recency_days"], curve["observed"], yerr=err, fmt="o", capsize=3,
                color="C0", label=_("observed (95% CI)"))
    ax.plot(fitted["recency_days"], fitted["probability"], color="C1", label=_("logit fit"))
    for i, (label, days) in enumerate(thresholds.items()):
        ax.axvline(days, color=f"C{i + 2}", linestyle="--",
                   label=_("{threshold}: {days} days").format(threshold=label, days=f"{days:.0f}"))
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_("recency at snapshot (days since last order, log scale)"))
    ax.set_ylabel(_("share who order within {days} days").format(days=horizon_days))
    ax.set_title(_("Recency -> return curve and the lifecycle thresholds read off it"))
    ax.legend(loc="lower left", fontsize="small")
    return ax


@_short_labels
@_unless_blank(lambda frame, size, **_: blank_reason(frame[size], zero_is_blank=True))
def treemap(frame: pd.DataFrame, *, size: str, label: str, title: str,
            min_label_share: float = 0.03, ax: Axes | None = None) -> Axes:
    """Treemap of ``size`` per ``label``; boxes under ``min_label_share`` are named below it."""
    ax = ax or plt.figure(figsize=(9, 5)).gca()
    data = frame[frame[size] > 0].sort_values([size, label], ascending=[False, True])
    total = data[size].sum()
    share = data[size] / total
    labels = [f"{short_label(name)}\n{number(n)} ({percent(p)})" if p >= min_label_share else ""
              for name, n, p in zip(data[label], data[size], share)]
    colors = sns.color_palette(PALETTE, len(data))
    squarify.plot(sizes=data[size].to_list(), label=labels, color=colors, ax=ax, pad=True,
                  text_kwargs={"fontsize": 8})
    small = [f"{short_label(name)} {number(n)} ({percent(p, 1)})" for name, n, p in zip(data[label], data[size], share)
             if p < min_label_share]
    ax.set_axis_off()
    ax.set_title(title)
    if small:
        ax.text(0, -0.04, _("Small boxes: {boxes}").format(boxes=_("; ").join(small)), transform=ax.transAxes,
                fontsize="small", va="top")
    return ax


@_short_labels
@_unless_blank(lambda frame, x, **_: blank_reason(frame[x], zero_is_blank=True))
def bars(frame: pd.DataFrame, *, x: str, y: str, title: str, xlabel: str, percent: bool = False,
         ax: Axes | None = None) -> Axes:
    """Horizontal bars of ``x`` per category ``y``, in the frame's order, values printed."""
    ax = ax or plt.figure().gca()
    shown = _distinct_short(_named(frame[y]))  # matplotlib parses every category name as it plots
    sns.barplot(data=frame.assign(**{y: shown}), x=x, y=y, order=shown, ax=ax, color="C0",
                orient="h")
    ax.bar_label(ax.containers[0], labels=[_value(v, share=percent) for v in frame[x]], padding=2,
                 fontsize="small")
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    return ax


@_short_labels
@_unless_blank(_rows)
def bubbles(frame: pd.DataFrame, *, x: str, y: str, size: str, hue: str, hue_order: list[str],
            labels: dict[str, str], splits: dict[str, float], title: str,
            ax: Axes | None = None) -> Axes:
    """Scatter of ``x`` vs ``y``, bubble area by ``size``, colour by ``hue``, split lines drawn.

    ``labels`` maps each column to its axis label with units; ``splits`` maps a column to the
    high/low cut drawn as a dashed line.
    """
    ax = ax or plt.figure(figsize=(8, 5.5)).gca()
    sns.scatterplot(data=frame, x=x, y=y, size=size, hue=hue, hue_order=hue_order,
                    sizes=(5, 250), alpha=0.5, palette=PALETTE, ax=ax, linewidth=0)
    if x in splits:
        ax.axvline(splits[x], color="grey", linestyle="--", linewidth=1)
    if y in splits:
        ax.axhline(splits[y], color="grey", linestyle="--", linewidth=1)
    ax.set_xlabel(labels[x])
    ax.set_ylabel(labels[y])
    ax.set_title(title)
    legend = ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="x-small",
                       title=_("colour: {hue}; size: {size}").format(hue=names.label(hue), size=labels[size]),
                       title_fontsize="x-small")
    if i18n.lang() != "en":  # seaborn heads the colour and size entries with the column names
        for text in legend.get_texts():
            if text.get_text() in (hue, size):
                text.set_text(names.label(hue) if text.get_text() == hue else labels[size])
    return ax


@_short_labels
@_unless_blank(lambda table, **_: blank_reason(table.to_numpy(), zero_is_blank=True))
def heatmap(table: pd.DataFrame, *, title: str, xlabel: str, ylabel: str, fmt: str = ",.0f",
            ax: Axes | None = None) -> Axes:
    """Annotated heatmap of a cross table (rows x columns as given)."""
    ax = ax or plt.figure(figsize=(9, 5)).gca()
    sns.heatmap(_short_axes(_number_order(table)), annot=True, fmt=fmt, cmap="Blues", cbar=False, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


@_short_labels
@_unless_blank(_rows)
def transition_heatmap(long: pd.DataFrame, *, title: str, ax: Axes | None = None) -> Axes:
    """Transition probabilities (origin rows, destination columns) with each cell's interval."""
    ax = ax or plt.figure(figsize=(9, 5)).gca()
    p = long.pivot(index="origin", columns="dest", values="p")
    lo = long.pivot(index="origin", columns="dest", values="ci_low")
    hi = long.pivot(index="origin", columns="dest", values="ci_high")
    n = long.groupby("origin", observed=True)["n_origin"].first()
    notes = p.copy().astype(object)
    for i in p.index:
        for j in p.columns:
            notes.loc[i, j] = f"{percent(p.loc[i, j])}\n[{percent(lo.loc[i, j])}, {percent(hi.loc[i, j])}]"
    sns.heatmap(_short_axes(p), annot=notes.to_numpy(), fmt="", cmap="Blues", vmin=0, vmax=1,
                cbar=False, ax=ax, annot_kws={"fontsize": 7})
    ax.set_yticklabels([f"{short_label(i)} (n={number(n[i])})" for i in p.index], rotation=0)
    ax.set_xlabel(_("state in the next period"))
    ax.set_ylabel(_("state in the period before"))
    ax.set_title(title)
    return ax


@_short_labels
@_unless_blank(lambda flows, **_: blank_reason(flows["customers"], zero_is_blank=True))
def flow(flows: pd.DataFrame, *, origins: list[str], dests: list[str], title: str,
         ax: Axes | None = None) -> Axes:
    """Alluvial-style chart: customers in each state before (left) and after (right), with a
    band for every origin -> destination flow, its width the number of customers."""
    ax = ax or plt.figure(figsize=(9, 6)).gca()
    colors = dict(zip(origins, sns.color_palette(PALETTE, len(origins))))
    total = flows["customers"].sum()
    gap = 0.02 * total
    left = _stack(flows.groupby("origin", observed=True)["customers"].sum().reindex(origins).fillna(0), gap)
    right = _stack(flows.groupby("dest", observed=True)["customers"].sum().reindex(dests).fillna(0), gap)
    lpos, rpos = {k: v[0] for k, v in left.items()}, {k: v[0] for k, v in right.items()}
    x = np.linspace(0, 1, 50)
    ease = 3 * x**2 - 2 * x**3
    for row in flows.sort_values(["origin", "dest"]).itertuples():
        w = row.customers
        if w <= 0:
            continue
        y0, y1 = lpos[row.origin], rpos[row.dest]
        lpos[row.origin] += w
        rpos[row.dest] += w
        bottom = y0 + (y1 - y0) * ease
        ax.fill_between(0.1 + 0.8 * x, bottom, bottom + w, color=colors[row.origin], alpha=0.45,
                        linewidth=0)
    for side, stack, xpos, ha in ((origins, left, 0.1, "right"), (dests, right, 0.9, "left")):
        for k in side:
            lo, hi = stack[k]
            if hi > lo:
                ax.add_patch(plt.Rectangle((xpos - 0.01, lo), 0.02, hi - lo, color="0.3"))
                ax.text(xpos + (-0.02 if ha == "right" else 0.02), (lo + hi) / 2,
                        f"{short_label(k)} ({number(hi - lo)})", ha=ha, va="center", fontsize="small")
    ax.set_xlim(-0.35, 1.35)
    ax.set_ylim(0, max(v[1] for v in {**left, **right}.values()) * 1.02)
    ax.invert_yaxis()
    ax.set_xticks([0.1, 0.9], [_("period before"), _("next period")])
    ax.set_yticks([])
    ax.set_ylabel(_("customers (band width)"))
    ax.set_title(title)
    ax.grid(False)
    return ax


@_short_labels
@_unless_blank(_rows)
def stacked_shares(frame: pd.DataFrame, *, index: str, columns: list[str], title: str,
                   xlabel: str, ax: Axes | None = None) -> Axes:
    """Horizontal 100% stacked bars of ``columns`` (shares) per ``index`` row, shares printed."""
    ax = ax or plt.figure().gca()
    data = frame.set_index(index)[columns]
    left = np.zeros(len(data))
    palette = sns.color_palette(PALETTE, len(columns))
    for color, col in zip(palette, columns):
        vals = data[col].to_numpy(dtype=float)
        bars_ = ax.barh(_distinct_short(data.index), vals, left=left, color=color, label=_legend_entry(col))
        ax.bar_label(bars_, labels=[percent(v) if v >= 0.06 else "" for v in vals],
                     label_type="center", fontsize="x-small")
        left += vals
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    return ax


def _stack(sizes: pd.Series, gap: float) -> dict[str, tuple[float, float]]:
    out, y = {}, 0.0
    for k, v in sizes.items():
        out[k] = (y, y + v)
        y += v + gap
    return out


@_short_labels
@_unless_blank(_rows)
def timeline(calendar: pd.DataFrame, *, title: str, ax: Axes | None = None) -> Axes:
    """One bar per strategy from its start to its end, coloured by type, labelled with reach."""
    ax = ax or plt.figure(figsize=(9, max(3, 0.28 * len(calendar) + 1))).gca()
    cal = calendar.sort_values(["start", "strategy_id"]).reset_index(drop=True)
    types = sorted(cal["type"].astype(str).unique())
    colors = dict(zip(types, sns.color_palette(PALETTE, len(types))))
    for i, row in cal.iterrows():
        width = (row["end"] - row["start"]).days + 1
        ax.barh(i, width, left=row["start"], color=colors[str(row["type"])], height=0.7)
        ax.text(row["end"] + pd.Timedelta(days=2), i, number(row["reach"]), va="center", fontsize="x-small")
    ax.set_yticks(range(len(cal)), [f"{r.strategy_id} ({r.type})" for r in cal.itertuples()],
                  fontsize="x-small")
    ax.invert_yaxis()
    handles = [plt.Rectangle((0, 0), 1, 1, color=colors[k]) for k in types]
    ax.legend(handles, types, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", title=_("type"))
    ax.set_xlabel(_("date (bar: strategy running; number: customers reached)"))
    ax.set_ylabel(_("strategy"))
    ax.set_title(title)
    return ax


@_short_labels
@_unless_blank(lambda frame, **_: "" if frame.get("estimate", pd.Series(dtype=float)).notna().sum() >= 2
                else "fewer than two estimates")
def forest(frame: pd.DataFrame, *, label: str, hue: str, title: str, xlabel: str,
           ax: Axes | None = None) -> Axes:
    """Point estimates with 95% intervals (``estimate``, ``ci_low``, ``ci_high``), one row per
    ``label``, several estimators side by side by ``hue``; zero marked."""
    d = frame.dropna(subset=["estimate"]) if "estimate" in frame else frame.iloc[0:0]
    ax = ax or plt.figure(figsize=(8, max(3, 0.45 * (d[label].nunique() if len(d) else 0) + 1.5))).gca()
    d = d.assign(**{label: _named(d[label].astype(str))})
    labels = list(dict.fromkeys(d[label].astype(str)))
    hues = list(dict.fromkeys(d[hue]))
    colors = dict(zip(hues, sns.color_palette(PALETTE, len(hues))))
    for j, h in enumerate(hues):
        sub = d[d[hue] == h]
        y = np.array([labels.index(v) for v in sub[label].astype(str)]) + (j - (len(hues) - 1) / 2) * 0.2
        ax.errorbar(sub["estimate"], y, xerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
                    fmt="o", color=colors[h], capsize=3, label=h)
    ax.axvline(0, color="0.3", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small")
    return ax


@_short_labels
@_unless_blank(_rows)
def event_study(frame: pd.DataFrame, *, title: str, ylabel: str, ax: Axes | None = None) -> Axes:
    """Effect by week relative to the start with 95% intervals; the run period shaded."""
    ax = ax or plt.figure().gca()
    ax.fill_between(frame["rel_week"], frame["ci_low"], frame["ci_high"], color="C0", alpha=0.2)
    ax.plot(frame["rel_week"], frame["estimate"], "o-", color="C0")
    ax.axhline(0, color="0.3", linewidth=1)
    ax.axvspan(-0.5, frame["rel_week"].max() + 0.5, color="C1", alpha=0.08, label=_("strategy running"))
    ax.set_xlabel(_("weeks relative to the start (week -1 is the reference)"))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax


@_short_labels
@_unless_blank(lambda sil, **_: "" if len(sil) >= 2 else "fewer than two numbers of clusters tried")
def silhouette(sil: pd.DataFrame, *, chosen: int, title: str, ax: Axes | None = None) -> Axes:
    """Silhouette score per number of clusters, the chosen k marked."""
    ax = ax or plt.figure(figsize=(7, 4)).gca()
    ax.plot(sil["k"], sil["silhouette"], "o-", color="C0")
    ax.axvline(chosen, color="C1", linestyle="--", label=_("chosen: k = {k}").format(k=chosen))
    ax.set_xlabel(_("number of clusters (k)"))
    ax.set_ylabel(_("silhouette score (higher = better separated)"))
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


@_short_labels
@_unless_blank(lambda frame, y, hue=None, **_: blank_reason(frame[y], groups=frame[hue] if hue else None))
def lines(frame: pd.DataFrame, *, x: str, y: str, hue: str | None, title: str, xlabel: str,
          ylabel: str, percent_x: bool = False, ax: Axes | None = None) -> Axes:
    """One line with markers per ``hue`` group (or one line), in the frame's order."""
    ax = ax or plt.figure().gca()
    groups = frame.groupby(hue, sort=True) if hue else [("", frame)]
    for i, (name, g) in enumerate(groups):
        ax.plot(g[x], g[y], "o-", color=f"C{i % 10}", label=str(name) if hue else None)
    if hue:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", title=names.label(hue))
    if percent_x:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


class _Shortened(Formatter):
    """The tick labels of ``inner``, each cut by :func:`short_label`."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def __call__(self, x, pos=None):
        return short_label(self.inner(x, pos))

    def format_ticks(self, values):
        return [short_label(v) for v in self.inner.format_ticks(values)]

    def set_locs(self, locs):
        self.inner.set_locs(locs)

    def get_offset(self):
        return self.inner.get_offset()

    def format_data(self, value):
        return self.inner.format_data(value)

    def format_data_short(self, value):
        return self.inner.format_data_short(value)


def _shorten(ax: Axes) -> Axes:
    """Cut every text on ``ax``: tick labels (through the formatters, which set them at drawing
    time) and legend entries to :data:`LABEL_LIMIT`, everything else to :data:`TEXT_LIMIT`."""
    for axis in (ax.xaxis, ax.yaxis):
        if not isinstance(axis.get_major_formatter(), _Shortened):
            axis.set_major_formatter(_Shortened(axis.get_major_formatter()))
    legend = ax.get_legend()
    entries = set(legend.get_texts()) if legend else set()
    ticks = set(ax.get_xticklabels(which="both")) | set(ax.get_yticklabels(which="both"))
    for text in ax.findobj(Text):
        limit = LABEL_LIMIT if text in entries or text in ticks else TEXT_LIMIT
        text.set_text(short_label(text.get_text(), limit))
    return ax


def _number_order(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with row or column labels that are whole numbers written as text (strategy ids
    pivoted into columns: 1, 10, 11, 2) put in number order (1, 2, 10, 11)."""
    for axis in (0, 1):
        keys = pd.Series(table.axes[axis].astype(str))
        if len(keys) and keys.str.fullmatch(r"-?\d+").all():
            table = table.iloc[np.argsort(keys.astype(int).to_numpy(), kind="stable")] if axis == 0 else \
                table.iloc[:, np.argsort(keys.astype(int).to_numpy(), kind="stable")]
    return table


def _short_axes(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its row and column labels shortened (seaborn measures them while drawing)."""
    return table.set_axis(_distinct_short(_named(table.index)), axis=0).set_axis(
        _distinct_short(_named(table.columns)), axis=1)


def _distinct_short(values) -> list[str]:
    """Each value as :func:`short_label` draws it; two long values that would look the same are
    told apart by a ``#2``, ``#3`` suffix (equal values stay equal)."""
    shown: dict[str, str] = {}
    for value in dict.fromkeys(str(v) for v in values):
        label, k = short_label(value), 1
        while label in shown.values():
            k += 1
            label = short_label(value, LABEL_LIMIT - len(f" #{k}")) + f" #{k}"
        shown[value] = label
    return [shown[str(v)] for v in values]


@_short_labels
@_unless_blank(_rows)
def predicted_actual(frame: pd.DataFrame, *, x: str, title: str, xlabel: str, ylabel: str,
                     ax: Axes | None = None) -> Axes:
    """Side-by-side bars of ``predicted`` and ``actual`` per value of ``x`` (in the frame's
    order), e.g. a model's holdout check per decile of prediction."""
    ax = ax or plt.figure().gca()
    pos = np.arange(len(frame))
    ax.bar(pos - 0.2, frame["predicted"], width=0.4, color="C0", label=_("predicted"))
    ax.bar(pos + 0.2, frame["actual"], width=0.4, color="C1", label=_("actual"))
    ax.set_xticks(pos, [str(v) for v in frame[x]])
    ax.legend(fontsize="small")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


@_short_labels
@_unless_blank(_rows)
def waterfall(steps: pd.DataFrame, *, start: tuple[str, float], end: str, title: str, ylabel: str,
              ax: Axes | None = None) -> Axes:
    """A waterfall: the ``start`` bar (label, value), then one floating bar per row of ``steps``
    (``label``, ``value``: a change, green up and red down, printed), then the total, labelled
    ``end``."""
    ax = ax or plt.figure(figsize=(9, 4.5)).gca()
    values = steps["value"].to_numpy(dtype=float)
    level = start[1] + np.concatenate([[0.0], np.cumsum(values)])
    labels = [start[0], *_distinct_short(steps["label"]), end]
    pos = np.arange(len(labels))
    ax.bar(pos[0], start[1], color="0.55")
    ax.bar(pos[1:-1], values, bottom=level[:-1], color=np.where(values >= 0, "C2", "C3"))
    ax.bar(pos[-1], level[-1], color="0.55")
    for p, top, text in [(pos[0], start[1], _compact(start[1])), (pos[-1], level[-1], _compact(level[-1]))] + [
            (p, max(a, b), _compact(v, sign=True)) for p, a, b, v in zip(pos[1:-1], level[:-1], level[1:], values)]:
        ax.annotate(text, (p, top), ha="center", va="bottom", fontsize="x-small", xytext=(0, 2),
                    textcoords="offset points")
    ax.set_xticks(pos, labels, rotation=30, ha="right")
    # the changes are small beside the totals: the axis spans the running totals, not 0
    low, high = float(min(level.min(), 0 if start[1] <= 0 else level.min())), float(level.max())
    pad = 0.15 * (high - low) if high > low else max(abs(high), 1.0) * 0.1
    cut = low - pad > 0
    ax.set_ylim(low - pad if cut else min(0.0, low - pad), high + pad)
    ax.set_ylabel(_("{label} (axis does not start at 0)").format(label=ylabel) if cut else ylabel)
    ax.set_title(title)
    return ax


def _compact(value: float, *, sign: bool = False) -> str:
    """A number shortened for a bar label: 1,234,567 -> 1.23M, 5,800 -> 5.8k (``sign``: +/-)."""
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:{'+' if sign else ''}.3g}{unit}"
    shown = number(value)
    return "+" + shown if sign and not shown.startswith("-") else shown


def _value(value: float, *, share: bool) -> str:
    """A value printed on a bar: a share as a percent with one decimal, else a whole number."""
    return percent(value, 1) if share else number(value)


def _legend_entry(column: object) -> str:
    """A column's legend entry: its label when it is a code name of a column or feature (see
    :func:`_named`), else the column's name as given (a state such as ``up``, shown in the report's
    language by the step that names the columns)."""
    return _named([column])[0]
