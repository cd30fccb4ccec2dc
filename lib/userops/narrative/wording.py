"""Wording shared by the step modules: numbers printed so they never contradict their table, the
rows tied at an extreme named together, and the sentence that stands where a chart is not drawn."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from userops import i18n
from userops.i18n import _, signed, signed_percent

__all__ = ["not_drawn", "nonzero", "extremes", "name_list", "sentences", "signed", "signed_percent"]


def not_drawn(chart: str, *, why: str, needs: str) -> str:
    """One sentence in place of a chart that would show nothing: why, and what data would fill it
    (``chart``, ``why`` and ``needs`` already in the report's language)."""
    return "_" + _("The {chart} is not drawn: {why}; {needs}.").format(chart=chart, why=why, needs=needs) + "_"


def nonzero(value: float, *, decimals: int = 1) -> str:
    """``value`` with ``decimals`` decimals, or more when fewer would print a value that is not 0
    as 0 (0.05 reads "0.05", not "0.0")."""
    d = decimals
    while value != 0 and float(f"{value:.{d}f}") == 0 and d < 6:
        d += 1
    return i18n.number(value, d)


def extremes(frame: pd.DataFrame, col: str, *, largest: bool, shown: Callable[[float], str]
             ) -> tuple[pd.DataFrame, str]:
    """The rows whose ``col`` prints (with ``shown``) the same as the largest (or smallest)
    value, in the frame's order, and that printed value: ties are named together, never one of
    them as if it alone were the maximum."""
    values = frame[col].dropna()
    top = values.max() if largest else values.min()
    printed = shown(top)
    return frame[frame[col].map(lambda v: pd.notna(v) and shown(v) == printed)], printed


def name_list(names: list[str], *, most: int = 3, bold: bool = True) -> str:
    """``**a**``, ``**a** and **b**``, ``**a**, **b** and **c**``; beyond ``most`` names, the
    first ones and how many more (``bold=False``: names already marked up)."""
    names = [f"**{n}**" if bold else str(n) for n in names]
    comma = _(", ")
    if len(names) > most:
        return _("{names} and {n} more").format(names=comma.join(names[:most]), n=i18n.number(len(names) - most))
    return names[0] if len(names) == 1 else _("{names} and {last}").format(names=comma.join(names[:-1]), last=names[-1])


def sentences(*parts: str) -> str:
    """Sentences (each already in the report's language) as one paragraph, empty parts left out:
    a blank between two sentences in English, none in Japanese (the catalog's glue)."""
    parts = [p for p in parts if p]
    out = parts[0] if parts else ""
    for part in parts[1:]:
        out = _("{sentence} {next}").format(sentence=out, next=part)
    return out

