"""Every chart draws on the Axes it is given and carries a title and axis labels."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; the notebooks use the inline backend
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from userops import plots  # noqa: E402


def _frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame({"g": list("aabbc") * 4, "x": rng.random(20), "y": rng.random(20),
                         "z": rng.random(20) + 0.1})


def test_bars_and_bubbles_honour_ax(ax):
    groups = pd.DataFrame({"g": ["a", "b"], "n": [3, 5]})
    assert plots.bars(groups, x="n", y="g", title="T", xlabel="customers", ax=ax) is ax
    assert ax.get_title() == "T" and ax.get_xlabel() == "customers"
    fig, ax2 = plt.subplots()
    out = plots.bubbles(_frame(), x="x", y="y", size="z", hue="g", hue_order=["a", "b", "c"],
                        labels={"x": "X (days)", "y": "Y (orders)", "z": "Z"}, splits={"x": 0.5},
                        title="B", ax=ax2)
    assert out is ax2 and ax2.get_xlabel() == "X (days)" and ax2.get_ylabel() == "Y (orders)"
    plt.close(fig)


def test_treemap_names_small_boxes_below(ax):
    frame = pd.DataFrame({"g": ["big", "tiny", "none"], "n": [97, 1, 0]})
    assert plots.treemap(frame, size="n", label="g", title="Tree", ax=ax) is ax
    texts = [t.get_text() for t in ax.texts]
    assert any("big" in t for t in texts) and any(t.startswith("Small boxes: tiny") for t in texts)
    assert not any("none" in t for t in texts)


def test_heatmap_and_return_curve(ax):
    table = pd.DataFrame([[1, 2], [3, 4]], index=["r1", "r2"], columns=["c1", "c2"])
    assert plots.heatmap(table, title="H", xlabel="cols", ylabel="rows", ax=ax) is ax
    fig, ax2 = plt.subplots()
    curve = pd.DataFrame({"mean_recency_days": [1, 10, 100], "observed": [.9, .7, .3],
                          "ci_low": [.85, .6, .2], "ci_high": [.95, .8, .4]})
    fitted = pd.DataFrame({"recency_days": [0, 50, 100], "probability": [.95, .5, .3]})
    plots.return_curve(curve, fitted=fitted, thresholds={"at risk": 20}, horizon_days=30, ax=ax2)
    assert ax2.get_title() and "30 days" in ax2.get_ylabel()
    plt.close(fig)


def test_lines_honour_ax_and_handle_empty(ax):
    frame = pd.DataFrame({"k": ["a", "a", "b", "b"], "x": [0.1, 0.5, 0.2, 0.9], "y": [3.0, 2.0, 4.0, 1.0]})
    assert plots.lines(frame, x="x", y="y", hue="k", title="L", xlabel="X", ylabel="Y", ax=ax) is ax
    assert len(ax.lines) == 2 and ax.get_ylabel() == "Y"
    fig, ax2 = plt.subplots()
    assert plots.lines(frame.iloc[0:0], x="x", y="y", hue=None, title="E", xlabel="X", ylabel="Y", ax=ax2) is None
    assert not ax2.has_data() and ax2.get_title() == ""  # nothing drawn, not even a title
    plt.close(fig)


def test_blank_charts_are_not_drawn_at_all():
    # issue 11: a flat seesaw, a flat frontier, a one-row forest, an empty bar chart are not drawn:
    # no figure is made, the function returns None and the prose says why in its place
    before = plt.get_fignums()
    flat = pd.DataFrame({"k": ["a", "a", "b", "b"], "x": [0.1, 0.5, 0.2, 0.9], "y": [3.0, 3.0, 1.0, 1.0]})
    assert plots.lines(flat, x="x", y="y", hue="k", title="L", xlabel="X", ylabel="Y") is None
    zero = pd.DataFrame({"x": [0, 1, 2], "y": [0.0, 0.0, 0.0]})
    assert plots.lines(zero, x="x", y="y", hue=None, title="L", xlabel="X", ylabel="Y") is None
    one = pd.DataFrame({"label": ["A"], "kind": ["k"], "estimate": [1.0], "ci_low": [0.0], "ci_high": [2.0]})
    assert plots.forest(one, label="label", hue="kind", title="F", xlabel="x") is None
    assert plots.bars(pd.DataFrame({"g": ["a", "b"], "n": [0, 0]}), x="n", y="g", title="T", xlabel="n") is None
    assert plots.heatmap(pd.DataFrame(index=["a"], columns=["b"], dtype=float), title="H", xlabel="x", ylabel="y") is None
    assert plt.get_fignums() == before
    # one line that moves is drawn
    assert plots.lines(flat.assign(y=[3.0, 2.0, 1.0, 1.0]), x="x", y="y", hue="k", title="L", xlabel="X",
                       ylabel="Y") is not None
    plt.close("all")


def test_charts_label_column_and_feature_names_for_people():
    from userops import labels
    labels.remember_categories(["食品・飲料"])
    with plt.rc_context():
        plots.setup()  # the CJK font chain
        _labelled_charts()


def _labelled_charts():
    table = pd.DataFrame([[1.0, -1.0], [0.5, 0.2]], index=["weekend_share", "cat_食品_飲料"], columns=["0: a", "1: b"])
    ax = plots.heatmap(table, title="H", xlabel="cluster", ylabel="feature")
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Weekend share (%)", "Share of 食品・飲料 (%)"]
    frame = pd.DataFrame({"k": ["a", "a"], "x": [0, 1], "y": [1.0, 2.0]})
    ax = plots.lines(frame, x="x", y="y", hue="k", title="L", xlabel="X", ylabel="Y")
    ax2 = plots.stacked_shares(pd.DataFrame({"o": ["T1"], "purchased_rate": [0.4], "up": [0.6]}), index="o",
                               columns=["purchased_rate", "up"], title="S", xlabel="x")
    # a code name is labelled; a plain word (a state such as "up" or "lapsed") is left as it is
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["Bought while running (%)", "up"]
    plt.close("all")


# a 200,000-character label (issue 13, item 12): drawing it took minutes per chart
LONG = "category " + "x" * 199_991
_T = pd.Timestamp("2017-04-03")
CASES = {
    "return_curve": lambda ax: plots.return_curve(
        pd.DataFrame({"mean_recency_days": [1, 10], "observed": [.9, .3], "ci_low": [.8, .2], "ci_high": [.95, .4]}),
        fitted=pd.DataFrame({"recency_days": [0, 10], "probability": [.9, .3]}), thresholds={LONG: 5},
        horizon_days=30, ax=ax),
    "treemap": lambda ax: plots.treemap(pd.DataFrame({"g": [LONG, "b", "tiny"], "n": [50, 49, 1]}),
                                        size="n", label="g", title=LONG, ax=ax),
    "bars": lambda ax: plots.bars(pd.DataFrame({"g": [LONG, "b"], "n": [3, 5]}), x="n", y="g", title=LONG,
                                  xlabel=LONG, ax=ax),
    "bubbles": lambda ax: plots.bubbles(_frame().assign(g=lambda f: f["g"].replace("a", LONG)), x="x", y="y",
                                        size="z", hue="g", hue_order=[LONG, "b", "c"],
                                        labels={"x": "X", "y": "Y", "z": LONG}, splits={}, title="B", ax=ax),
    "heatmap": lambda ax: plots.heatmap(pd.DataFrame([[1, 2], [3, 4]], index=[LONG, "r"], columns=["c", LONG]),
                                        title="H", xlabel="c", ylabel=LONG, ax=ax),
    "transition_heatmap": lambda ax: plots.transition_heatmap(pd.DataFrame({
        "origin": [LONG, LONG, "b", "b"], "dest": [LONG, "b", LONG, "b"], "p": [.5, .5, .2, .8],
        "ci_low": [.4, .4, .1, .7], "ci_high": [.6, .6, .3, .9], "n_origin": [10, 10, 20, 20]}), title="T", ax=ax),
    "flow": lambda ax: plots.flow(pd.DataFrame({"origin": [LONG, "b"], "dest": ["b", LONG], "customers": [3, 4]}),
                                  origins=[LONG, "b"], dests=[LONG, "b"], title="F", ax=ax),
    "stacked_shares": lambda ax: plots.stacked_shares(pd.DataFrame({"o": [LONG, "b"], "up": [.4, .5], "down": [.6, .5]}),
                                                      index="o", columns=["up", "down"], title="S", xlabel="share", ax=ax),
    "timeline": lambda ax: plots.timeline(pd.DataFrame({"strategy_id": [LONG, "S2"], "type": [LONG, "t"],
                                                        "start": [_T, _T], "end": [_T + pd.Timedelta(days=27)] * 2,
                                                        "reach": [10, 20]}), title="T", ax=ax),
    "forest": lambda ax: plots.forest(pd.DataFrame({"label": [LONG, "b"], "kind": [LONG, "k"], "estimate": [1.0, 2.0],
                                                    "ci_low": [0.0, 1.0], "ci_high": [2.0, 3.0]}),
                                      label="label", hue="kind", title="F", xlabel="effect", ax=ax),
    "event_study": lambda ax: plots.event_study(pd.DataFrame({"rel_week": [-1, 0, 1], "estimate": [0.0, 1.0, 2.0],
                                                              "ci_low": [0.0, 0.5, 1.0], "ci_high": [0.0, 1.5, 3.0]}),
                                                title=LONG, ylabel=LONG, ax=ax),
    "silhouette": lambda ax: plots.silhouette(pd.DataFrame({"k": [2, 3], "silhouette": [.3, .4]}), chosen=2,
                                              title=LONG, ax=ax),
    "lines": lambda ax: plots.lines(pd.DataFrame({"h": [LONG, LONG, "b", "b"], "x": [0, 1, 0, 1], "y": [1, 2, 3, 4]}),
                                    x="x", y="y", hue="h", title="L", xlabel="X", ylabel="Y", ax=ax),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_very_long_label_is_drawn_short(name, ax):
    assert CASES[name](ax) is ax
    ax.figure.canvas.draw()  # tick labels get their text when drawn; this took minutes before
    texts = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text) if t.get_text()]
    shown = [t for t in texts if "category xxx" in t]
    assert shown, "the long label is drawn (shortened), not dropped"
    assert max(len(line) for t in texts for line in t.split("\n")) <= plots.TEXT_LIMIT
    assert all("\u2026" in t for t in shown)
    legend = ax.get_legend()
    short = [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()
             + (legend.get_texts() if legend else [])]
    assert all(len(line) <= plots.LABEL_LIMIT for t in short for line in t.split("\n"))


def test_short_label_keeps_short_text_and_marks_a_cut():
    assert plots.short_label("champions (n=1,234)") == "champions (n=1,234)"
    cut = plots.short_label("a" * 100, limit=10)
    assert cut == "a" * 9 + "\u2026"
    assert plots.short_label("x\n" * 10) == "x\nx\nx\nx\n\u2026"


def test_long_labels_that_share_a_start_stay_apart(ax):
    frame = pd.DataFrame({"g": [LONG + "1", LONG + "2", "b"], "n": [3, 5, 4]})
    plots.bars(frame, x="n", y="g", title="T", xlabel="customers", ax=ax)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(set(labels)) == 3 and labels[2] == "b" and labels[1].endswith("#2")
    assert all(len(t) <= plots.LABEL_LIMIT for t in labels)


def test_heatmap_puts_numeric_ids_in_number_order():
    table = pd.DataFrame([[1, 2, 3]], index=["a"], columns=["1", "10", "2"])
    ax = plots.heatmap(table, title="H", xlabel="strategy", ylabel="segment")
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "10"]
    assert [t.get_text() for t in ax.texts] == ["1", "3", "2"]  # the values moved with their column
    plt.close("all")
