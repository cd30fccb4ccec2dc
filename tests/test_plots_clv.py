"""The forward-value and bridge charts: what they draw is read back off the Axes."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from userops import plots  # noqa: E402


def test_predicted_actual_draws_both_bars_per_decile(ax):
    frame = pd.DataFrame({"decile": [1, 2, 3], "predicted": [5.0, 9.0, 20.0], "actual": [6.0, 8.0, 25.0]})
    plots.predicted_actual(frame, x="decile", title="T", xlabel="d", ylabel="n", ax=ax)
    heights = [p.get_height() for p in ax.patches]
    assert heights == [5.0, 9.0, 20.0, 6.0, 8.0, 25.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["predicted", "actual"]


def test_waterfall_floats_each_change_from_the_running_total(ax):
    steps = pd.DataFrame({"label": ["new: customers", "lost: customers", "up: basket"], "value": [30.0, -50.0, 5.0]})
    plots.waterfall(steps, start=("Q1", 100.0), end="Q2", title="T", ylabel="GMV", ax=ax)
    bars = ax.patches
    assert [round(b.get_height(), 6) for b in bars] == [100.0, 30.0, -50.0, 5.0, 85.0]
    assert [round(b.get_y(), 6) for b in bars] == [0.0, 100.0, 130.0, 80.0, 0.0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["100", "85", "+30", "-50", "+5"]
    low, high = ax.get_ylim()
    assert low <= 80 and high >= 130  # every running total (80..130) is inside the axis
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q1", "new: customers", "lost: customers", "up: basket", "Q2"]
    colours = [tuple(np.round(b.get_facecolor(), 3)) for b in bars[1:4]]
    assert colours[0] == colours[2] != colours[1]


def test_waterfall_of_large_totals_cuts_the_axis_and_says_so(ax):
    steps = pd.DataFrame({"label": ["up", "down"], "value": [25_000.0, -4_000.0]})
    plots.waterfall(steps, start=("Q1", 1_149_075.0), end="Q2", title="T", ylabel="GMV", ax=ax)
    low, high = ax.get_ylim()
    assert 1_000_000 < low < 1_149_075 and high > 1_174_075
    assert ax.get_ylabel() == "GMV (axis does not start at 0)"
    assert [t.get_text() for t in ax.texts] == ["1.15M", "1.17M", "+25k", "-4k"]


def test_empty_frames_draw_nothing(ax):
    # issue 11: a chart with nothing to show is not drawn (the prose says why), not a placeholder
    assert plots.waterfall(pd.DataFrame(columns=["label", "value"]), start=("a", 0.0), end="b", title="T",
                           ylabel="y", ax=ax) is None
    assert not ax.has_data() and len(ax.texts) == 0
