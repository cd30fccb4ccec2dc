"""The charts without their own test: what they draw is read back off the Axes and compared with
the frame they were given (positions, sizes and printed numbers), not just their titles."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # tests only; the notebooks use the inline backend
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from userops import plots  # noqa: E402

NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in NUMBER.findall(text)]


def test_transition_heatmap_puts_each_cell_and_interval_in_its_place(ax):
    long = pd.DataFrame({
        "origin": ["a", "a", "b", "b"], "dest": ["x", "y", "x", "y"],
        "p": [0.9, 0.1, 0.25, 0.75], "ci_low": [0.8, 0.05, 0.2, 0.6], "ci_high": [0.95, 0.2, 0.4, 0.8],
        "n_origin": [1200, 1200, 40, 40]})
    assert plots.transition_heatmap(long, title="M", ax=ax) is ax
    rows = [t.get_text().split(" (")[0] for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    ns = {t.get_text().split(" (")[0]: _numbers(t.get_text())[-1] for t in ax.get_yticklabels()}
    assert ns == {"a": 1200, "b": 40}
    cell = long.set_index(["origin", "dest"])
    seen = set()
    for t in ax.texts:
        x, y = t.get_position()
        o, d = rows[int(y)], cols[int(x)]
        p, lo, hi = (v / 100 for v in _numbers(t.get_text()))
        for got, col in ((p, "p"), (lo, "ci_low"), (hi, "ci_high")):
            assert abs(got - cell.loc[(o, d), col]) <= 0.005 + 1e-12, (o, d, col, t.get_text())
        seen.add((o, d))
    assert seen == set(cell.index)


def test_flow_band_widths_and_totals_are_the_customers(ax):
    flows = pd.DataFrame({"origin": ["a", "a", "b", "b", "c"], "dest": ["x", "y", "x", "y", "y"],
                          "customers": [30, 10, 5, 0, 20]})
    assert plots.flow(flows, origins=["a", "b", "c"], dests=["x", "y"], title="F", ax=ax) is ax
    widths = []
    for coll in ax.collections:  # one filled band per flow with customers
        v = coll.get_paths()[0].vertices
        left = v[np.isclose(v[:, 0], v[:, 0].min())]
        widths.append(round(left[:, 1].max() - left[:, 1].min(), 9))
    assert sorted(widths) == sorted(flows.loc[flows["customers"] > 0, "customers"].astype(float))
    labels = {t.get_text().split(" (")[0]: _numbers(t.get_text().split(" (")[1])[0] for t in ax.texts}
    left_tot = flows.groupby("origin")["customers"].sum()
    right_tot = flows.groupby("dest")["customers"].sum()
    assert labels == {**left_tot.to_dict(), **right_tot.to_dict()}
    # every band leaves from inside its origin's block and arrives inside its destination's,
    # and the bands of one block do not overlap (they stack up to the block's height)
    mid = {t.get_text().split(" (")[0]: t.get_position()[1] for t in ax.texts}
    assert mid["a"] < mid["b"] < mid["c"] and mid["x"] < mid["y"]
    blocks = {}
    for rect in ax.patches:
        lo, hi = rect.get_y(), rect.get_y() + rect.get_height()
        side = "left" if rect.get_x() < 0.5 else "right"
        name = next(k for k, y in mid.items() if lo <= y <= hi and (k in "abc") == (side == "left"))
        blocks[name] = (lo, hi)
    by_width = {float(r.customers): (r.origin, r.dest) for r in flows[flows["customers"] > 0].itertuples()}
    used = {k: [] for k in blocks}
    for coll in ax.collections:
        v = coll.get_paths()[0].vertices
        ends = {}
        for side, x in (("left", v[:, 0].min()), ("right", v[:, 0].max())):
            ys = v[np.isclose(v[:, 0], x), 1]
            ends[side] = (ys.min(), ys.max())
        o, d = by_width[round(ends["left"][1] - ends["left"][0], 9)]
        for side, name in (("left", o), ("right", d)):
            lo, hi = ends[side]
            assert blocks[name][0] - 1e-9 <= lo and hi <= blocks[name][1] + 1e-9, (o, d, side)
            used[name].append((lo, hi))
    for name, spans in used.items():
        spans = sorted(spans)
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(spans, spans[1:])), name  # no overlap
        assert sum(hi - lo for lo, hi in spans) == pytest.approx(blocks[name][1] - blocks[name][0])


def test_stacked_shares_draw_each_share_from_where_the_last_ended(ax):
    frame = pd.DataFrame({"origin": ["T1", "T2"], "up": [0.2, 0.5], "stay": [0.7, 0.04], "down": [0.1, 0.46]})
    assert plots.stacked_shares(frame, index="origin", columns=["up", "stay", "down"], title="S",
                                xlabel="share", ax=ax) is ax
    assert [c.get_label() for c in ax.containers] == ["up", "stay", "down"]
    left = np.zeros(2)
    for col, container in zip(["up", "stay", "down"], ax.containers):
        widths = [b.get_width() for b in container]
        starts = [b.get_x() for b in container]
        assert widths == pytest.approx(frame[col].tolist()) and starts == pytest.approx(left.tolist())
        left += frame[col].to_numpy()
    labels = [t.get_text() for t in ax.texts]
    # shares of 6% or more are printed, smaller ones are not (4% of T2 "stay")
    assert sorted(v for v in labels if v) == sorted(["20%", "50%", "70%", "10%", "46%"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T1", "T2"]
    fig, ax2 = plt.subplots()
    assert plots.stacked_shares(frame.iloc[0:0], index="origin", columns=["up"], title="E", xlabel="", ax=ax2) is None
    assert not ax2.has_data()
    plt.close(fig)


def test_timeline_bars_span_each_strategy_and_print_its_reach(ax):
    cal = pd.DataFrame({"strategy_id": ["S2", "S1", "S3"], "type": ["b", "a", "a"],
                        "start": pd.to_datetime(["2017-03-01", "2017-01-02", "2017-03-01"]),
                        "end": pd.to_datetime(["2017-03-14", "2017-01-29", "2017-04-30"]),
                        "reach": [1500, 20, 333]})
    assert plots.timeline(cal, title="T", ax=ax) is ax
    order = cal.sort_values(["start", "strategy_id"]).reset_index(drop=True)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{r.strategy_id} ({r.type})" for r in order.itertuples()]
    bars = sorted(ax.patches, key=lambda b: b.get_y())
    for bar, r in zip(bars, order.itertuples()):
        assert bar.get_width() == (r.end - r.start).days + 1
        assert mdates.num2date(bar.get_x()).date() == r.start.date()
    reach = sorted(ax.texts, key=lambda t: t.get_position()[1])
    assert [_numbers(t.get_text())[0] for t in reach] == order["reach"].tolist()
    colors = {r.type: bar.get_facecolor() for bar, r in zip(bars, order.itertuples())}
    assert len(set(colors.values())) == 2  # one colour per type


def test_forest_places_each_estimate_and_interval(ax):
    frame = pd.DataFrame({"label": ["A", "A", "B", "B", "C"], "kind": ["naive", "did", "naive", "did", "did"],
                          "estimate": [3.0, 1.0, -2.0, np.nan, 0.5], "ci_low": [2.5, -0.5, -3.5, np.nan, 0.1],
                          "ci_high": [5.0, 1.25, -1.0, np.nan, 0.6]})  # asymmetric intervals
    assert plots.forest(frame, label="label", hue="kind", title="F", xlabel="effect", ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C"]
    drawn = []
    for line in ax.lines:
        x, y = line.get_xdata(), line.get_ydata()
        if len(x) and line.get_marker() == "o":
            drawn += [(round(float(a), 9), int(round(float(b)))) for a, b in zip(x, y)]
    expect = [(e, "ABC".index(lab)) for lab, e in frame.dropna(subset=["estimate"])[["label", "estimate"]].itertuples(index=False)]
    assert sorted(drawn) == sorted(expect)
    spans = []
    for coll in ax.collections:  # error bars: one segment per estimate
        for seg in coll.get_segments():
            spans.append((round(seg[:, 0].min(), 9), round(seg[:, 0].max(), 9)))
    ok = frame.dropna(subset=["estimate"])
    assert sorted(spans) == sorted(zip(ok["ci_low"], ok["ci_high"]))
    fig, ax2 = plt.subplots()
    assert plots.forest(frame.assign(estimate=np.nan), label="label", hue="kind", title="E", xlabel="", ax=ax2) is None
    assert not ax2.has_data()
    plt.close(fig)


def test_event_study_line_band_and_run_period(ax):
    ev = pd.DataFrame({"rel_week": [-3, -2, -1, 0, 1, 2], "estimate": [0.1, -0.2, 0.0, 2.0, 3.0, 2.5]})
    ev = ev.assign(ci_low=ev["estimate"] - 1, ci_high=ev["estimate"] + 1.5)
    assert plots.event_study(ev, title="E", ylabel="spend", ax=ax) is ax
    line = next(ln for ln in ax.lines if ln.get_marker() == "o")
    assert list(line.get_xdata()) == ev["rel_week"].tolist() and list(line.get_ydata()) == ev["estimate"].tolist()
    band = ax.collections[0].get_paths()[0].vertices
    for r in ev.itertuples():
        at = band[np.isclose(band[:, 0], r.rel_week), 1]
        assert at.min() == pytest.approx(r.ci_low) and at.max() == pytest.approx(r.ci_high)
    span = next(p for p in ax.patches if p.get_label() == "strategy running")
    xs = span.get_path().transformed(span.get_patch_transform()).vertices[:, 0]
    assert xs.min() == pytest.approx(-0.5) and xs.max() == pytest.approx(2.5)
    fig, ax2 = plt.subplots()
    assert plots.event_study(ev.iloc[0:0], title="E", ylabel="spend", ax=ax2) is None
    assert not ax2.has_data()
    plt.close(fig)


def test_silhouette_curve_and_the_chosen_k(ax):
    sil = pd.DataFrame({"k": [2, 3, 4, 5], "silhouette": [0.31, 0.42, 0.38, 0.2]})
    # the caller's choice is marked, even when it is not the highest score
    assert plots.silhouette(sil, chosen=4, title="S", ax=ax) is ax
    curve, chosen = ax.lines[0], ax.lines[1]
    assert list(curve.get_xdata()) == [2, 3, 4, 5] and list(curve.get_ydata()) == [0.31, 0.42, 0.38, 0.2]
    assert list(chosen.get_xdata()) == [4, 4]
    assert _numbers(ax.get_legend().get_texts()[0].get_text()) == [4]
