"""Charts draw Chinese, Japanese and Korean names from the data, not empty boxes (issue 15)."""
from __future__ import annotations

import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from userops import plots

LABELS = {"ja": "食品・飲料のまとめ買い", "zh": "饮料与零食优惠券", "ko": "신선식품 할인 쿠폰"}


@pytest.fixture(autouse=True)
def _house_style():
    with matplotlib.rc_context():
        plots.setup()
        yield
    plt.close("all")


def _draw(ax_fn) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = ax_fn().figure
        fig.canvas.draw()  # glyphs are looked up when the text is laid out
    return [str(w.message) for w in caught if "missing from" in str(w.message)]


def test_every_cjk_character_has_a_glyph_in_the_font_chain():
    paths = [font_manager.findfont(font_manager.FontProperties(family=f), fallback_to_default=False)
             for f in plots.FONTS]
    assert paths[1] == str(plots.cjk_font())
    charmaps = [set(FT2Font(p).get_charmap()) for p in paths]
    missing = {c for text in LABELS.values() for c in text
               if not any(ord(c) in cmap for cmap in charmaps)}
    assert missing == set()


def test_latin_text_keeps_dejavu_sans():
    assert matplotlib.rcParams["font.family"][:2] == plots.FONTS
    path = font_manager.findfont(font_manager.FontProperties(family=plots.FONTS))
    assert path.endswith("DejaVuSans.ttf")


def test_a_bar_chart_and_a_heatmap_with_cjk_labels_draw_without_missing_glyphs():
    frame = pd.DataFrame({"category": list(LABELS.values()), "share": [0.5, 0.3, 0.2]})
    assert _draw(lambda: plots.bars(frame, x="share", y="category", title="カテゴリー別 构成 비중",
                                    xlabel="売上の割合")) == []
    table = pd.DataFrame([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], index=list(LABELS.values()),
                         columns=["高頻度 高单价", "휴면 고객"])
    assert _draw(lambda: plots.heatmap(table, title="好み", xlabel="群", ylabel="カテゴリー")) == []


def test_the_check_catches_tofu_when_the_cjk_font_is_left_out():
    # positive control: with DejaVu Sans alone the same chart warns of missing glyphs
    frame = pd.DataFrame({"category": list(LABELS.values()), "share": [0.5, 0.3, 0.2]})
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        assert _draw(lambda: plots.bars(frame, x="share", y="category", title="t", xlabel="x"))
