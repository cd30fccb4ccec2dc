"""Every chart draws on the Axes it is given and carries a title and axis labels."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; the notebooks use the inline backend
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from userops import plots  # noqa: E402


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


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
    plots.lines(frame.iloc[0:0], x="x", y="y", hue=None, title="E", xlabel="X", ylabel="Y", ax=ax2)
    assert ax2.texts[0].get_text() == "nothing to show for this data"
    plt.close(fig)
