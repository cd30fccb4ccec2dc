"""Tables for people: the one place a notebook's tables are turned into HTML for the report.

:func:`show_table` displays a frame as static HTML made by pandas' Styler (no script): headers
from :mod:`userops.labels` (with units), shares as percents, money with two decimals (none once
values reach the thousands), ``-`` for a missing value with the reason in a note under the table,
no index column, numeric ids sorted as numbers, at most :data:`MAX_ROWS` rows (the full table is
written as CSV beside the page and linked) and at most :data:`MAX_COLUMNS` value columns per table
(a wider frame is split, each part repeating the key columns). Table ids come from ``name``, so
the same frame gives byte-identical HTML. Headers, notes and values are written in the report's
language (:mod:`userops.i18n`): labels looked up when the table is made, numbers by Babel
(:func:`number`, :func:`percent`), dates as ISO days in every language.
"""
from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from userops import artifacts, i18n, labels
from userops.i18n import N_, _

__all__ = ["show_table", "table_html", "blank_reason", "number", "percent", "MAX_ROWS", "MAX_COLUMNS", "MISSING"]

MAX_ROWS = 25
MAX_COLUMNS = 8  # value columns per table; a wider frame is split
MISSING = "-"
_KEY_KINDS = ("id", "text", "date")
_NAMES_AS_VALUES = ("feature", "term", "metric", "kpi", "statistic")
_STYLES = [
    {"selector": "", "props": "border-collapse: collapse; margin: 0.4em 0 0.2em 0; font-size: 0.92em"},
    {"selector": "th", "props": "white-space: normal; max-width: 11em; vertical-align: bottom; "
                                "text-align: right; padding: 0.2em 0.5em"},
    {"selector": "td", "props": "padding: 0.15em 0.5em; text-align: right; white-space: nowrap"},
    {"selector": "td.text", "props": "text-align: left; white-space: normal; overflow-wrap: anywhere; "
                                     "max-width: 22em"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold"},
]


def show_table(frame: pd.DataFrame, *, name: str, out_dir: str | Path, caption: str = "",
               missing: str | Mapping[str, str] | None = None,
               categories: Mapping[str, str] | None = None) -> None:
    """Display ``frame`` as the report shows a table (see the module docstring).

    ``name`` names the table (its HTML id and, when it is capped, its CSV file
    ``<out_dir>/tables/<name>.csv``); ``missing`` says why values are missing (one reason, or
    one per column), printed under the table whenever a ``-`` is shown.
    """
    display(HTML(table_html(frame, name=name, out_dir=out_dir, caption=caption, missing=missing,
                            categories=categories)))


def table_html(frame: pd.DataFrame, *, name: str, out_dir: str | Path, caption: str = "",
               missing: str | Mapping[str, str] | None = None,
               categories: Mapping[str, str] | None = None) -> str:
    """The HTML :func:`show_table` displays."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise ValueError(f"`name` must be letters, digits, _ and -, not {name!r}")
    data = _as_columns(frame)
    data = _numeric_id_order(data)
    # a table with a row per feature (a summary of each): shares and money written as such
    row_kinds = (data["feature"].map(labels.kind) if "feature" in data and not _numeric(data["feature"])
                 else None)
    for col in _NAMES_AS_VALUES:  # a column listing features or columns shows their labels
        if col in data and not _numeric(data[col]):
            data[col] = data[col].map(lambda v: labels.label(v, categories=categories))
    notes = []
    if len(data) > MAX_ROWS:
        csv = artifacts.write_csv(data, out_dir=Path(out_dir) / "tables", name=name)
        href = html.escape(Path(os.path.relpath(csv, Path.cwd())).as_posix(), quote=True)
        link = f"<a href=\"{href}\">{html.escape(csv.name)}</a>"
        notes.append(html.escape(_("Showing the first {shown} of {total} rows; the full table: {link}.")).format(
            shown=number(MAX_ROWS), total=number(len(data)), link=link))
        data = data.head(MAX_ROWS)
    if data.empty:
        empty = _("{caption}: no rows.").format(caption=caption) if caption else _("no rows.")
        return f"<p class=\"table-note\">{html.escape(empty)}</p>"
    parts = _split(list(data.columns), text=[c for c in data.columns if not _numeric(data[c])])
    tables = [_styled(data[cols], uid=f"{name}-{i}" if len(parts) > 1 else name,
                      caption=caption if i == 0 else "", categories=categories, row_kinds=row_kinds)
              for i, cols in enumerate(parts)]
    why = _missing_note(data, missing, categories=categories)
    if why:
        notes.insert(0, why)
    note = "".join(f"<p class=\"table-note\"><em>{n}</em></p>" for n in notes)
    return "\n".join(tables) + note


# -- private helpers ------------------------------------------------------------------------

def _as_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a meaningful index made ordinary columns (an unnamed index of row numbers
    dropped; an unnamed index of names kept under a blank header) and the column labels
    flattened to text."""
    out = frame.copy()
    if isinstance(out.columns, pd.MultiIndex):
        out.columns = [" / ".join(str(x) for x in c if str(x)) for c in out.columns]
    if out.index.nlevels == 1 and out.index.name is None and pd.api.types.is_integer_dtype(out.index):
        out = out.reset_index(drop=True)  # row numbers, in whatever order the rows were sorted
    else:
        names = [n if n is not None else " " * (i + 1) for i, n in enumerate(out.index.names)]
        out.index = out.index.set_names(names)
        out = out.reset_index()
    out.columns = [c if isinstance(c, str) else str(c) for c in out.columns]
    return out


def _numeric_id_order(data: pd.DataFrame) -> pd.DataFrame:
    """Rows ordered by their first column when it holds ids that are numbers written as text and
    the frame was sorted by them as text (1, 10, 11, 2): ordered as numbers (1, 2, 10, 11)."""
    if data.empty or labels.kind(data.columns[0]) != "id":
        return data
    col = data.iloc[:, 0]
    text = col.astype(str)
    if not text.str.fullmatch(r"-?\d+").all():
        return data
    as_num = pd.to_numeric(text)
    if as_num.is_monotonic_increasing or not text.is_monotonic_increasing:
        return data
    return data.iloc[np.argsort(as_num.to_numpy(), kind="stable")].reset_index(drop=True)


def _split(columns: list[str], *, text: list[str] = ()) -> list[list[str]]:
    """Column groups of at most :data:`MAX_COLUMNS` value columns, each led by the key columns
    (the leading id, text and date columns, at most two); when split, the value columns holding
    text (long reasons) come after the numbers, so the number tables stay short."""
    keys = []
    for c in columns[:2]:
        if labels.kind(c) not in _KEY_KINDS:
            break
        keys.append(c)
    values = columns[len(keys):]
    if len(values) <= MAX_COLUMNS:
        return [columns]
    values = [c for c in values if c not in text] + [c for c in values if c in text]
    return [keys + values[i:i + MAX_COLUMNS] for i in range(0, len(values), MAX_COLUMNS)]


def _styled(data: pd.DataFrame, *, uid: str, caption: str, categories: Mapping[str, str] | None,
            row_kinds: pd.Series | None = None) -> str:
    headers = labels.labels(data.columns, categories=categories)
    shown = data.set_axis(headers, axis=1)
    styler = shown.style
    styler.set_uuid(uid)
    styler.hide(axis="index")
    for col, header in zip(data.columns, headers):
        styler.format(_formatter(data[col], labels.kind(col)), subset=[header], na_rep=MISSING,
                      escape="html")
    if row_kinds is not None:
        values = [h for c, h in zip(data.columns, headers) if _numeric(data[c]) and labels.kind(c) != "count"]
        for kind in ("share", "money", "days", "count"):
            rows = [i for i in data.index if row_kinds.get(i) == kind]
            if rows and values:
                styler.format(_formatter(data.loc[rows, data.columns[[h in values for h in headers]]].stack(), kind),
                              subset=pd.IndexSlice[rows, values], na_rep=MISSING)
    styler.format_index(escape="html", axis=1)
    text_cols = [h for c, h in zip(data.columns, headers) if not _numeric(data[c])]
    styler.set_table_styles(_STYLES)
    if text_cols:
        styler.set_td_classes(pd.DataFrame(
            [["text" if h in text_cols else "" for h in headers]] * len(shown),
            index=shown.index, columns=headers))
    if caption:
        styler.set_caption(html.escape(caption))
    return styler.to_html(exclude_styles=False)


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def _formatter(values: pd.Series, kind: str):
    """A function writing one value of a column of ``kind`` (missing values are the Styler's)."""
    if pd.api.types.is_bool_dtype(values):
        yes, no = _("yes"), _("no")
        return lambda v: yes if v else no
    if pd.api.types.is_datetime64_any_dtype(values):
        with_time = (values.dropna().dt.normalize() != values.dropna()).any()
        return (lambda v: v.strftime("%Y-%m-%d %H:%M")) if with_time else (lambda v: i18n.date(v.date(), style="short"))
    if not _numeric(values):
        return lambda v: _text(v)
    finite = values[np.isfinite(values.astype(float))] if len(values) else values
    big = finite.abs().max() if len(finite) else 0
    whole = bool(len(finite)) and bool((finite == finite.round()).all())
    if kind == "share":
        return _finite(lambda v: percent(v, 1))
    if kind == "p":
        below = "< " + number(0.001, 3)
        return lambda v: below if v < 0.001 else number(v, 3)
    if kind == "id":  # an id is a name: 1234, not 1,234
        return _finite(lambda v: f"{v:.0f}")
    if kind == "count" or (whole and kind not in ("money", "ratio")):
        return _finite(lambda v: number(v))
    if kind == "money":
        return _finite(lambda v: i18n.money(_exact(v), 0 if big >= 1000 else 2))
    if kind in ("days", "index"):
        return _finite(lambda v: number(v, 1))
    digits = 2 if big >= 1 or big == 0 else 3
    return _finite(lambda v: number(v, digits))


def number(value: float, digits: int = 0) -> str:
    """:func:`userops.i18n.number` of ``value`` as it is in binary (Babel would round the float's
    shortest decimal form: 2.675 to 2.68, where Python's ``f"{2.675:.2f}"`` writes 2.67), so a
    number reads as the code's f-strings always wrote it (``nan``, ``inf`` as they do)."""
    if not np.isfinite(value):
        return str(float(value))
    return i18n.number(_exact(value), digits)


def percent(share: float, digits: int = 0) -> str:
    """:func:`userops.i18n.percent` of ``share``, rounded as Python's ``f"{share:.1%}"`` rounds
    (the share times 100 in floating point, then its binary value)."""
    if not np.isfinite(share):
        return f"{share:.{digits}%}"
    return i18n.percent(_exact(float(share) * 100).scaleb(-2), digits)


def _exact(value: float) -> Decimal:
    return Decimal(int(value)) if isinstance(value, (int, np.integer)) else Decimal(float(value))


def _finite(write):
    """``write`` for finite values; infinities as ``∞`` and ``-∞``."""
    return lambda v: write(v) if np.isfinite(v) else _inf(v)


def _text(value: object) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return _(", ").join(str(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return i18n.date(value.date(), style="short")
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return str(value)


def _inf(value: float) -> str:
    return "∞" if value > 0 else "-∞"


def _missing_note(data: pd.DataFrame, missing: str | Mapping[str, str] | None,
                  categories: Mapping[str, str] | None) -> str:
    """The note under a table that shows ``-``: which columns and why."""
    cols = [c for c in data.columns if data[c].isna().any()]
    if not cols:
        return ""
    comma = _(", ")
    if isinstance(missing, Mapping):
        reasons = {}
        for c in cols:
            reasons.setdefault(missing.get(c, _("not available for that row")), []).append(c)
        parts = [_("{columns}: {why}").format(columns=comma.join(labels.label(c, categories=categories) for c in cs),
                                             why=why) for why, cs in reasons.items()]
        return html.escape(_("{mark} = no value. {reasons}.").format(mark=MISSING, reasons=_("; ").join(parts)))
    shown = comma.join(labels.label(c, categories=categories) for c in cols)
    why = missing or _("not available for that row")
    return html.escape(_("{mark} = no value ({columns}): {why}.").format(mark=MISSING, columns=shown, why=why))


def blank_reason(values: object, *, groups: object = None, zero_is_blank: bool = False) -> str:
    """Why a chart of ``values`` would show nothing, or ``""`` when it shows something.

    Blank: no finite value; every value the same (per group, when ``groups`` labels each
    value: a chart of flat lines); a single value per group; with ``zero_is_blank``, every value
    zero. Charts (:mod:`userops.plots`) draw nothing when this gives a reason, and the prose
    says it in the chart's place. The reason is English (code compares it); where it is shown it
    is translated: ``_(reason)`` (its messages are in the catalog).
    """
    v = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()), errors="coerce")
    v = v.astype(float)
    ok = np.isfinite(v.to_numpy())
    if not ok.any():
        return N_("no values to show")
    if zero_is_blank and (v[ok] == 0).all():
        return N_("every value is 0")
    if groups is None:
        return "" if not _flat(v[ok]) or zero_is_blank else N_("only one value")
    g = pd.Series(np.asarray(groups, dtype=object).ravel())[ok].to_numpy()
    lines_ = v[ok].groupby(g, sort=False)
    if (lines_.size() <= 1).all():
        return N_("one point per line only")
    if all(_flat(line) for _, line in lines_):
        return N_("every line is flat (the same value at every point)")
    return ""


def _flat(values: pd.Series) -> bool:
    """All values the same, up to float noise (a sum of shares that should be equal)."""
    lo, hi = values.min(), values.max()
    return bool(hi - lo <= 1e-9 * max(1.0, abs(hi), abs(lo)))
