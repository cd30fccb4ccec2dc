"""Charts for reviewers: every function draws on ``ax`` (or a new one), titles and labels it."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import squarify
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

__all__ = ["setup", "return_curve", "treemap", "bars", "bubbles", "heatmap", "PALETTE"]

PALETTE = "tab10"


def setup() -> None:
    """House style for report charts: PNG at 100 dpi, DejaVu Sans, white grid."""
    sns.set_theme(style="whitegrid", font="DejaVu Sans", rc={"figure.dpi": 100,
                                                               "savefig.dpi": 100,
                                                               "figure.figsize": (8, 4.5)})


def return_curve(curve: pd.DataFrame, *, fitted: pd.DataFrame, thresholds: dict[str, float],
                 horizon_days: int, ax: Axes | None = None) -> Axes:
    """Observed return rate per recency band (with 95% CI) and the fitted curve with cut points.

    ``fitted`` has columns ``recency_days`` and ``probability``; ``thresholds`` maps a label to
    a recency in days.
    """
    ax = ax or plt.figure().gca()
    err = np.vstack([curve["observed"] - curve["ci_low"], curve["ci_high"] - curve["observed"]])
    ax.errorbar(curve["mean_recency_days"], curve["observed"], yerr=err, fmt="o", capsize=3,
                color="C0", label="observed (95% CI)")
    ax.plot(fitted["recency_days"], fitted["probability"], color="C1", label="logit fit")
    for i, (label, days) in enumerate(thresholds.items()):
        ax.axvline(days, color=f"C{i + 2}", linestyle="--", label=f"{label}: {days:.0f} days")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("recency at snapshot (days since last order, log scale)")
    ax.set_ylabel(f"share who order within {horizon_days} days")
    ax.set_title("Recency -> return curve and the lifecycle thresholds read off it")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def treemap(frame: pd.DataFrame, *, size: str, label: str, title: str,
            min_label_share: float = 0.03, ax: Axes | None = None) -> Axes:
    """Treemap of ``size`` per ``label``; boxes under ``min_label_share`` are named below it."""
    ax = ax or plt.figure(figsize=(9, 5)).gca()
    data = frame[frame[size] > 0].sort_values([size, label], ascending=[False, True])
    total = data[size].sum()
    share = data[size] / total
    labels = [f"{name}\n{n:,.0f} ({p:.0%})" if p >= min_label_share else ""
              for name, n, p in zip(data[label], data[size], share)]
    colors = sns.color_palette(PALETTE, len(data))
    squarify.plot(sizes=data[size].to_list(), label=labels, color=colors, ax=ax, pad=True,
                  text_kwargs={"fontsize": 8})
    small = [f"{name} {n:,.0f} ({p:.1%})" for name, n, p in zip(data[label], data[size], share)
             if p < min_label_share]
    ax.set_axis_off()
    ax.set_title(title)
    if small:
        ax.text(0, -0.04, "Small boxes: " + "; ".join(small), transform=ax.transAxes,
                fontsize="small", va="top")
    return ax


def bars(frame: pd.DataFrame, *, x: str, y: str, title: str, xlabel: str, percent: bool = False,
         ax: Axes | None = None) -> Axes:
    """Horizontal bars of ``x`` per category ``y``, in the frame's order, values printed."""
    ax = ax or plt.figure().gca()
    sns.barplot(data=frame, x=x, y=y, order=list(frame[y].astype(str)), ax=ax,
                color="C0", orient="h")
    fmt = "{:.1%}" if percent else "{:,.0f}"
    ax.bar_label(ax.containers[0], labels=[fmt.format(v) for v in frame[x]], padding=2,
                 fontsize="small")
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.set_title(title)
    return ax


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
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="x-small",
              title=f"colour: {hue}; size: {labels[size]}", title_fontsize="x-small")
    return ax


def heatmap(table: pd.DataFrame, *, title: str, xlabel: str, ylabel: str, fmt: str = ",.0f",
            ax: Axes | None = None) -> Axes:
    """Annotated heatmap of a cross table (rows x columns as given)."""
    ax = ax or plt.figure(figsize=(9, 5)).gca()
    sns.heatmap(table, annot=True, fmt=fmt, cmap="Blues", cbar=False, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax
