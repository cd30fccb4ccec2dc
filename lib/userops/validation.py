"""Cleaning at load: parse each canonical table, set aside rows that break a rule, with a reason."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
import pandera.pandas as pa

from userops import compute
from userops import schema as s
from userops.i18n import N_, _

__all__ = ["Cleaned", "clean_table", "normalize_columns", "reject_summary", "reconcile", "COLUMN_ALIASES",
           "DECIMALS", "MAX_ABS_VALUE", "TIME_RANGE", "LOW_ID_MATCH", "canonical_ids"]

# Common source names mapped onto the canonical ones (after lower-casing and NFKC).
COLUMN_ALIASES: dict[str, str] = {
    "household_id": s.CUSTOMER_ID, "member_id": s.CUSTOMER_ID, "user_id": s.CUSTOMER_ID,
    "basket_id": s.ORDER_ID, "transaction_id": s.ORDER_ID,
    "transaction_timestamp": s.TS, "timestamp": s.TS, "datetime": s.TS,
    "sales_value": s.AMOUNT, "sales": s.AMOUNT, "campaign_id": s.STRATEGY_ID,
    "start_date": s.START, "end_date": s.END,
}

DECIMALS = (".", ",")
# the largest absolute amount, discount, value or quantity a line may hold; beyond it (or infinite)
# the row is set aside as "<column> out of range", so that sums stay finite
MAX_ABS_VALUE = 1e12
# times and dates outside [start, end) are set aside as "<column> out of range"
TIME_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2200-01-01"))
# below this share of a table's customer ids found in transactions, the data-quality text warns
LOW_ID_MATCH = 0.5

# removed before reading a number: currency signs; white space between two digits is a thousands
# separator ("1 234"), other white space ("$ 12", "- 5") is dropped
_CURRENCY = r"[$¢£¥€₩₪₫₱₹₺₽฿円]"
_SPACE = r"[ \t\n\r\f\v]+"  # after NFKC, other spaces (NBSP, thin, ideographic) are " "
_DIGIT_SPACE = rf"([0-9]){_SPACE}([0-9])"
# (patterns as text, not compiled, so that pandas hands them to Arrow's fast regex engine)
_NUMBER = {  # one number under each decimal mark: plain, or grouped by threes with the other mark
    ".": r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
    ",": r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]*)?|[0-9]+,?[0-9]*|,[0-9]+)(?:[eE][+-]?[0-9]+)?",
}
_NUMERIC_LOOKING = r"[+-]?[0-9.,]*[0-9][0-9.,]*(?:[eE][+-]?[0-9]+)?"
_INFINITE = r"[+-]?(?:[iI][nN][fF])(?:[iI][nN][iI][tT][yY])?"
_ACCOUNTING_NEGATIVE = r"\(.*\)"
_DIGIT_ID = r"[0-9]+(?:\.0+)?"
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_SAMPLE_ROWS = 3
# what a parsed value may be wrong with, besides being fine (NA)
_MISSING, _AMBIGUOUS, _RANGE = "missing", "ambiguous", "range"


@dataclass(frozen=True)
class Cleaned:
    """One table after cleaning: the rows kept, and the rows set aside with a ``reason`` column.

    ``rejects`` keeps the source values as text plus ``reason`` and, for transactions, the
    parsed ``amount`` (NaN where it could not be parsed) so that GMV reconciles. ``notes`` holds
    what was kept but adjusted, and how well the table's ids match other tables (see
    :func:`reconcile`).
    """

    table: str
    clean: pd.DataFrame
    rejects: pd.DataFrame
    input_rows: int
    notes: dict[str, float] = field(default_factory=dict)


class _Parsed(NamedTuple):
    values: pd.Series
    problem: pd.Series  # NA where fine, else _MISSING, _AMBIGUOUS or _RANGE
    notes: dict[str, int | pd.Series]  # a count, or a mask of the rows adjusted (counted if kept)


def normalize_columns(frame: pd.DataFrame, *, table: str) -> pd.DataFrame:
    """Return ``frame`` with NFKC-normalized, lower-case, alias-mapped column names."""
    names = {}
    for col in frame.columns:
        new = unicodedata.normalize("NFKC", str(col)).replace("\ufeff", "").strip().lower()
        new = re.sub(r"\s+", "_", new)
        names[col] = COLUMN_ALIASES.get(new, new)
    renamed = frame.rename(columns=names)
    dup = renamed.columns[renamed.columns.duplicated()].tolist()
    if dup:
        raise s.DataError(f"table '{table}': columns {dup} appear twice after normalizing names "
                          f"(found: {list(frame.columns)})")
    return renamed


def clean_table(raw: pd.DataFrame, *, table: str, data_tz: str, source_tz: str | None = None,
                as_of: pd.Timestamp | None = None, strategy_ids: pd.Index | None = None,
                customer_ids: pd.Index | None = None, decimal: str = ".",
                keep_duplicate_lines: bool = False) -> Cleaned:
    """Parse ``raw`` into the canonical table ``table`` and set aside rows that break a rule.

    Timestamps end up naive in ``data_tz``: aware values are converted, naive values are read as
    ``source_tz`` (default ``data_tz``); a naive time in the repeated hour of a daylight-saving
    change is read as its first occurrence, one in the skipped hour is moved to the end of the
    gap, and both are counted. Rows on or after the day after ``as_of`` are set aside. Numbers
    written as text are read with ``decimal`` (``"."`` or ``","``) as the decimal mark; ids follow
    :func:`canonical_ids`. ``strategy_ids`` and ``customer_ids`` (the kept strategies and the
    customers of the kept transactions) are what this table's ids are matched against.
    ``keep_duplicate_lines`` keeps exact duplicate transaction rows instead of setting them aside.
    Raises :class:`userops.schema.DataError` when the table cannot be used at all.
    """
    if decimal not in DECIMALS:
        raise ValueError(f"`decimal` must be one of {list(DECIMALS)}, not {decimal!r}")
    spec = s.TABLES[table]
    frame = normalize_columns(raw, table=table)
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise s.DataError(f"table '{table}': missing required column(s) {missing}; "
                          f"rule: {table} needs {list(spec.required)}; found {list(frame.columns)}")
    frame = frame.reset_index(drop=True)
    out = {}
    notes: dict[str, float] = {}
    adjusted: dict[str, pd.Series] = {}
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    for col in spec.columns:
        if col not in frame.columns:
            continue
        parsed = _parse(frame[col], spec.kinds[col], data_tz=data_tz,
                        source_tz=source_tz or data_tz, decimal=decimal)
        reason = reason.mask(reason.isna(), _labels(parsed.problem, frame[col], col=col,
                                                    required=col in spec.required, decimal=decimal))
        for key, n in parsed.notes.items():
            if isinstance(n, pd.Series):
                adjusted[key] = adjusted.get(key, False) | n
            else:
                notes[key] = notes.get(key, 0) + n
        out[col] = parsed.values
    extra = [c for c in frame.columns if c not in spec.columns]
    for col in extra:  # attribute columns (customers) are kept as text
        out[col] = _parse_text(frame[col], as_id=False).values
    parsed = pd.DataFrame(out, index=frame.index)
    notes.update(_id_matches(parsed, customer_ids=customer_ids, strategy_ids=strategy_ids))
    reason = _table_rules(parsed, reason, spec=spec, as_of=as_of, strategy_ids=strategy_ids,
                          keep_duplicate_lines=keep_duplicate_lines)
    keep = reason.isna().to_numpy()
    notes.update({key: int((mask & keep).sum()) for key, mask in adjusted.items()})
    clean = parsed.loc[keep].reset_index(drop=True)
    rejects = frame.loc[~keep].astype("string").assign(reason=reason[~keep].astype(str))
    if s.AMOUNT in parsed.columns:
        rejects = rejects.assign(amount_parsed=parsed.loc[~keep, s.AMOUNT])
    if clean.empty:
        raise s.DataError(_empty_message(table, rejects, len(frame)))
    _schema(spec, clean).validate(clean, lazy=True)
    return Cleaned(table=table, clean=clean, rejects=rejects.reset_index(drop=True),
                   input_rows=len(frame), notes=notes)


def canonical_ids(col: pd.Series) -> pd.Series:
    """The one id rule: text, NFKC-normalized, surrounding white space removed; an id made only of
    the digits 0-9 (optionally followed by ``.0``) is the integer it spells, so ``1188``,
    ``1188.0``, ``001188`` and full-width ``１１８８`` are one id. Other ids are kept as written.
    Missing or blank ids are NA."""
    return _canonical_ids(col)[0]


def reject_summary(cleaned: dict[str, Cleaned]) -> pd.DataFrame:
    """Count of set-aside rows per table and reason, with their GMV where the table has amounts."""
    rows = []
    for name, c in cleaned.items():
        if c.rejects.empty:
            continue
        amount = c.rejects.get("amount_parsed", pd.Series(np.nan, index=c.rejects.index))
        grouped = c.rejects.assign(_a=amount).groupby("reason", sort=True)
        for reason, g in grouped:
            rows.append({"table": name, "reason": reason, "rows": len(g),
                         "amount": float(g["_a"].sum(min_count=1)) if g["_a"].notna().any() else np.nan,
                         "example_rows": _examples(g)})
    cols = ["table", "reason", "rows", "amount", "example_rows"]
    return pd.DataFrame(rows, columns=cols).sort_values(["table", "reason"], ignore_index=True)


def reconcile(cleaned: dict[str, Cleaned]) -> pd.DataFrame:
    """Rows and GMV per table: input = kept + set aside (GMV over parseable amounts).

    ``rows_amount_unparseable`` counts set-aside rows whose amount is unknown (missing, unreadable,
    ambiguous or out of range): their GMV is in no total. Then what was kept but adjusted:
    ``ts_dst_ambiguous_kept`` (local times in a daylight-saving change's repeated hour, read as the
    first occurrence), ``ts_dst_gap_shifted`` (local times in the skipped hour, moved forward) and
    ``ids_merged`` (ids written more than one way in one column, e.g. ``7`` and ``007``, read as
    one). Last, ``customer_ids_in_transactions`` and ``strategy_ids_in_strategies``: the share of
    the table's distinct readable ids found in the kept transactions / strategies (empty where
    the table has no such column or is the reference itself).
    """
    rows = []
    for name, c in cleaned.items():
        row = {"table": name, "input_rows": c.input_rows, "kept_rows": len(c.clean),
               "rejected_rows": len(c.rejects)}
        if s.AMOUNT in c.clean.columns:
            rej = c.rejects["amount_parsed"].sum() if len(c.rejects) else 0.0
            kept = c.clean[s.AMOUNT].sum()
            unparsed = int(c.rejects["amount_parsed"].isna().sum()) if len(c.rejects) else 0
            row.update(input_amount=float(kept + rej), kept_amount=float(kept),
                       rejected_amount=float(rej), rows_amount_unparseable=unparsed,
                       return_amount=float(abs(c.clean.loc[c.clean[s.AMOUNT] < 0, s.AMOUNT].sum())))
        for key in _COUNT_NOTES:
            row[key] = int(c.notes.get(key, 0))
        for key in _SHARE_NOTES:
            row[key] = float(c.notes.get(key, np.nan))
        rows.append(row)
    return pd.DataFrame(rows)


# -- private helpers ------------------------------------------------------------------------

_COUNT_NOTES = ("ts_dst_ambiguous_kept", "ts_dst_gap_shifted", "ids_merged")
_SHARE_NOTES = ("customer_ids_in_transactions", "strategy_ids_in_strategies")


# a reason as the load writes it (English, kept in the rejects and the manifest) -> as a reader sees it
_REASONS = (
    (re.compile(r"missing or unparseable (\w+)"), N_("missing or unparseable {column}")),
    (re.compile(r"unparseable (\w+)"), N_("unparseable {column}")),
    (re.compile(r"ambiguous (\w+) under decimal='(.*)'"), N_("ambiguous {column} under decimal='{decimal}'")),
    (re.compile(r"(\w+) out of range"), N_("{column} out of range")),
    (re.compile(r"duplicate line"), N_("duplicate line")),
    (re.compile(r"duplicate order line"), N_("duplicate order line")),
    (re.compile(r"duplicate ([\w+]+)"), N_("duplicate {column}")),
    (re.compile(r"unknown strategy_id"), N_("unknown strategy_id")),
    (re.compile(r"after as_of"), N_("after as_of")),
    (re.compile(r"end before start"), N_("end before start")),
)


def shown_reason(reason: object) -> str:
    """A set-aside row's reason in the report's language (the stored reason stays English)."""
    text = str(reason)
    for pattern, message in _REASONS:
        found = pattern.fullmatch(text)
        if found:
            fields = dict(zip(("column", "decimal"), found.groups()))
            return _(message).format(**fields)
    return text


def _labels(problem: pd.Series, source: pd.Series, *, col: str, required: bool,
            decimal: str) -> pd.Series:
    """The reason a row is set aside for ``col``, from what :func:`_parse` found wrong."""
    found = problem.notna()
    if not found.any():
        return problem
    if required:
        missing = f"missing or unparseable {col}"
    else:  # an optional value may be missing, but not present and unreadable
        missing = f"unparseable {col}"
        absent = problem.eq(_MISSING).fillna(False)
        problem = problem.mask(absent & _blank(source[absent]).reindex(problem.index, fill_value=False))
    names = {_MISSING: missing, _AMBIGUOUS: f"ambiguous {col} under decimal='{decimal}'",
             _RANGE: f"{col} out of range"}
    labels = _problem(problem.index)
    for key, label in names.items():
        labels = labels.mask(problem.eq(key).fillna(False), label)
    return labels


def _parse(col: pd.Series, kind: str, *, data_tz: str, source_tz: str, decimal: str) -> _Parsed:
    """Parse one column of kind ``kind``; see :class:`_Parsed`."""
    if kind in ("id", "text"):
        return _parse_text(col, as_id=kind == "id")
    if kind in ("money", "number"):
        return _parse_number(col, decimal=decimal)
    if kind == "time":
        return _parse_time(col, data_tz=data_tz, source_tz=source_tz)
    if kind == "date":
        return _parse_date(col, data_tz=data_tz)
    raise ValueError(f"unknown column kind {kind!r}")


def _problem(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="string")


def _blank(col: pd.Series) -> pd.Series:
    return col.isna() | (col.astype("string").str.strip() == "").fillna(True)


def _nfkc(text: pd.Series) -> pd.Series:
    """NFKC-normalize the values that are not plain ASCII (ASCII is already normal)."""
    odd = ~text.str.isascii().fillna(True)
    if not odd.any():
        return text
    return text.mask(odd, text[odd].map(lambda v: unicodedata.normalize("NFKC", v)))


def _parse_text(col: pd.Series, *, as_id: bool) -> _Parsed:
    if as_id:
        ids, merged = _canonical_ids(col)
        missing = ids.isna()
        problem = _problem(col.index).mask(missing, _MISSING)
        return _Parsed(ids.astype("str"), problem, {"ids_merged": merged})
    text = col.astype("string").str.strip()
    missing = text.isna() | (text == "")
    return _Parsed(text.mask(missing).astype("str"), _problem(col.index).mask(missing, _MISSING), {})


def _canonical_ids(col: pd.Series) -> tuple[pd.Series, int]:
    """Ids under the one rule (:func:`canonical_ids`), and how many were written several ways."""
    if pd.api.types.is_float_dtype(col):
        whole = col.dropna()
        if ((whole == np.floor(whole)) & (whole.abs() < 2 ** 53)).all():
            col = col.astype("Int64")
    if pd.api.types.is_integer_dtype(col):  # integers print in the canonical form already
        return col.astype("string"), 0
    written = col.astype("string").str.strip()
    text = _nfkc(written).str.strip()
    text = text.mask((text == "").fillna(False))
    digits = text.str.fullmatch(_DIGIT_ID).fillna(False)
    ids = text
    if digits.any():
        number = text[digits].str.replace(r"\.0+$", "", regex=True).str.lstrip("0")
        ids = text.mask(digits, number.mask(number == "", "0"))
    changed = ids.ne(written).fillna(False)
    if not changed.any():
        return ids, 0
    # an id is merged when some row writes it differently from another: count those ids
    touched = ids.isin(ids[changed].unique())
    spellings = pd.DataFrame({"id": ids[touched], "written": written[touched]}).drop_duplicates()
    return ids, int(spellings["id"][spellings["id"].duplicated()].nunique())


def _parse_number(col: pd.Series, *, decimal: str) -> _Parsed:
    """Numbers (money, quantities): see data/README.md for the rule a text value must follow."""
    problem = _problem(col.index)
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        vals = col.astype("float64")
    else:
        other = "," if decimal == "." else "."  # the thousands separator under this rule
        text = (_nfkc(col.astype("string")).str.replace(_CURRENCY, "", regex=True)
                .str.replace(_DIGIT_SPACE, rf"\1{other}\2", regex=True).str.replace(_SPACE, "", regex=True)
                .str.replace("\u2212", "-"))
        paren = text.str.fullmatch(_ACCOUNTING_NEGATIVE).fillna(False)  # (12.00) is -12.00
        text = text.mask(paren, "-" + text.str.slice(1, -1))
        ok = text.str.fullmatch(_NUMBER[decimal]).fillna(False)
        plain = text.where(ok).str.replace(other, "", regex=False).str.replace(decimal, ".", regex=False)
        vals = pd.to_numeric(plain, errors="coerce").astype("float64")
        infinite = text.str.fullmatch(_INFINITE).fillna(False)
        vals = vals.mask(infinite, np.inf)
        looks = text.str.fullmatch(_NUMERIC_LOOKING).fillna(False)
        problem = problem.mask(looks & ~ok, _AMBIGUOUS)
    far = vals.notna() & ~(vals.abs() <= MAX_ABS_VALUE)
    problem = problem.mask(problem.isna() & far, _RANGE)
    problem = problem.mask(problem.isna() & vals.isna(), _MISSING)
    return _Parsed(vals.mask(problem.notna()), problem, {})


def _in_range(vals: pd.Series) -> pd.Series:
    """Naive times inside :data:`TIME_RANGE` (NaT counts as inside: it is missing, not far)."""
    return vals.isna() | ((vals >= TIME_RANGE[0]) & (vals < TIME_RANGE[1]))


def _parse_time(col: pd.Series, *, data_tz: str, source_tz: str) -> _Parsed:
    """Times: aware values converted to ``data_tz``, naive ones read in ``source_tz`` (DST: see
    :func:`clean_table`); everything ends naive in ``data_tz``."""
    utc = pd.Series(pd.NaT, index=col.index, dtype="datetime64[us]")  # aware input, as UTC
    local = pd.Series(pd.NaT, index=col.index, dtype="datetime64[us]")  # naive input
    if pd.api.types.is_datetime64_any_dtype(col):
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            utc = col.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        else:
            local = col.astype("datetime64[us]")
    else:
        text = col.astype("string").str.strip()
        aware = text.str.contains(_OFFSET, na=False)
        if aware.any():
            utc[aware] = pd.to_datetime(text[aware], errors="coerce", utc=True,
                                        format="ISO8601").dt.tz_localize(None)
        if (~aware).any():
            local[~aware] = pd.to_datetime(text[~aware], errors="coerce", format="mixed")
    far = ~_in_range(utc) | ~_in_range(local)
    utc, local = utc.mask(far), local.mask(far)
    first = np.ones(len(local), dtype=bool)  # in a repeated hour, the first (DST) occurrence
    as_first = local.dt.tz_localize(source_tz, ambiguous=first, nonexistent="NaT")
    gap = as_first.isna() & local.notna()
    as_second = local.dt.tz_localize(source_tz, ambiguous=~first, nonexistent="NaT")
    repeated = as_first.notna() & (as_first != as_second)
    if gap.any():
        as_first[gap] = local[gap].dt.tz_localize(source_tz, ambiguous=first[gap.to_numpy()],
                                                 nonexistent="shift_forward")
    vals = as_first.dt.tz_convert(data_tz)
    from_utc = utc.notna()
    if from_utc.any():
        vals[from_utc] = utc[from_utc].dt.tz_localize("UTC").dt.tz_convert(data_tz)
    vals = vals.dt.tz_localize(None).astype("datetime64[us]")
    problem = _problem(col.index).mask(far, _RANGE)
    problem = problem.mask(problem.isna() & vals.isna(), _MISSING)
    return _Parsed(vals, problem, {"ts_dst_ambiguous_kept": repeated, "ts_dst_gap_shifted": gap})


def _parse_date(col: pd.Series, *, data_tz: str) -> _Parsed:
    """Calendar days (strategy start and end)."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        far = ~_in_range(col.dt.tz_convert("UTC").dt.tz_localize(None))
        vals = col.mask(far).dt.tz_convert(data_tz).dt.tz_localize(None)
    else:
        vals = col if pd.api.types.is_datetime64_any_dtype(col) else pd.to_datetime(
            col, errors="coerce", format="mixed")
        far = ~_in_range(vals)
        vals = vals.mask(far)
    vals = vals.astype("datetime64[us]").dt.normalize()
    problem = _problem(col.index).mask(far, _RANGE)
    return _Parsed(vals, problem.mask(problem.isna() & vals.isna(), _MISSING), {})


def _id_matches(parsed: pd.DataFrame, *, customer_ids: pd.Index | None,
                strategy_ids: pd.Index | None) -> dict[str, float]:
    """Share of the distinct readable ids of ``parsed`` found in the reference ids."""
    out = {}
    for col, ref, key in ((s.CUSTOMER_ID, customer_ids, "customer_ids_in_transactions"),
                          (s.STRATEGY_ID, strategy_ids, "strategy_ids_in_strategies")):
        if ref is None or col not in parsed.columns:
            continue
        ids = pd.Index(parsed[col].dropna().unique())
        if len(ids):
            out[key] = float(compute.isin(ids, ref).mean())
    return out


def _table_rules(parsed: pd.DataFrame, reason: pd.Series, *, spec: s.TableSpec,
                 as_of: pd.Timestamp | None, strategy_ids: pd.Index | None,
                 keep_duplicate_lines: bool) -> pd.Series:
    ok = reason.isna()
    if spec.name == "transactions":
        if not keep_duplicate_lines:  # exact copies; without product_id a row is an order's line
            label = "duplicate line" if s.PRODUCT_ID in parsed.columns else "duplicate order line"
            dup = parsed.duplicated(keep="first") & ok
            reason = reason.mask(dup, label)
    elif spec.key:
        dup = parsed.duplicated(subset=list(spec.key), keep="first") & reason.isna()
        reason = reason.mask(dup, f"duplicate {'+'.join(spec.key)}")
    if strategy_ids is not None and s.STRATEGY_ID in parsed.columns and spec.name != "strategies":
        unknown = ~parsed[s.STRATEGY_ID].isin(strategy_ids) & reason.isna()
        reason = reason.mask(unknown, "unknown strategy_id")
    if as_of is not None:
        cutoff = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
        col = s.START if spec.name == "strategies" else s.TS if s.TS in parsed.columns else None
        if col is not None:
            late = (parsed[col] >= cutoff) & reason.isna()
            reason = reason.mask(late, "after as_of")
    if spec.name == "strategies":
        bad = (parsed[s.END] < parsed[s.START]) & reason.isna()
        reason = reason.mask(bad, "end before start")
    return reason


def _schema(spec: s.TableSpec, clean: pd.DataFrame) -> pa.DataFrameSchema:
    checks = {
        "id": pa.Column(str, nullable=False),
        "time": pa.Column("datetime64[us]", nullable=False),
        "date": pa.Column("datetime64[us]", nullable=False),
        "money": pa.Column(float, pa.Check(lambda x: np.isfinite(x)), nullable=False),
    }
    cols = {c: checks[spec.kinds[c]] for c in spec.required if spec.kinds[c] in checks}
    return pa.DataFrameSchema(cols, name=spec.name, strict=False)


def _examples(rows: pd.DataFrame) -> str:
    shown = rows.drop(columns=["reason", "_a", "amount_parsed"], errors="ignore").head(_SAMPLE_ROWS)
    return "; ".join(", ".join(f"{k}={v}" for k, v in r.items()) for r in shown.to_dict("records"))


def _empty_message(table: str, rejects: pd.DataFrame, n: int) -> str:
    if n == 0:
        return f"table '{table}': no rows; rule: the table must not be empty"
    top = rejects["reason"].value_counts().sort_index()
    reasons = ", ".join(f"{r}: {k}" for r, k in top.items())
    return (f"table '{table}': all {n} rows were set aside ({reasons}); rule: at least one row must "
            f"pass. Examples: {_examples(rejects.head(_SAMPLE_ROWS))}")
