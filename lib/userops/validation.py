"""Cleaning at load: parse each canonical table, set aside rows that break a rule, with a reason."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa

from userops import schema as s

__all__ = ["Cleaned", "clean_table", "normalize_columns", "reject_summary", "reconcile", "COLUMN_ALIASES"]

# Common source names mapped onto the canonical ones (after lower-casing and NFKC).
COLUMN_ALIASES: dict[str, str] = {
    "household_id": s.CUSTOMER_ID, "member_id": s.CUSTOMER_ID, "user_id": s.CUSTOMER_ID,
    "basket_id": s.ORDER_ID, "transaction_id": s.ORDER_ID,
    "transaction_timestamp": s.TS, "timestamp": s.TS, "datetime": s.TS,
    "sales_value": s.AMOUNT, "sales": s.AMOUNT, "campaign_id": s.STRATEGY_ID,
    "start_date": s.START, "end_date": s.END,
}

_CURRENCY = re.compile(r"[\s,$¥€£]")
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_SAMPLE_ROWS = 3


@dataclass(frozen=True)
class Cleaned:
    """One table after cleaning: the rows kept, and the rows set aside with a ``reason`` column.

    ``rejects`` keeps the source values as text plus ``reason`` and, for transactions, the
    parsed ``amount`` (NaN where it could not be parsed) so that GMV reconciles.
    """

    table: str
    clean: pd.DataFrame
    rejects: pd.DataFrame
    input_rows: int


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
                as_of: pd.Timestamp | None = None, strategy_ids: pd.Index | None = None) -> Cleaned:
    """Parse ``raw`` into the canonical table ``table`` and set aside rows that break a rule.

    Timestamps end up naive in ``data_tz``: aware values are converted, naive values are read as
    ``source_tz`` (default ``data_tz``). Rows on or after the day after ``as_of`` are set aside.
    Raises :class:`userops.schema.DataError` when the table cannot be used at all.
    """
    spec = s.TABLES[table]
    frame = normalize_columns(raw, table=table)
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise s.DataError(f"table '{table}': missing required column(s) {missing}; "
                          f"rule: {table} needs {list(spec.required)}; found {list(frame.columns)}")
    frame = frame.reset_index(drop=True)
    out = {}
    reason = pd.Series(pd.NA, index=frame.index, dtype="string")
    for col in spec.columns:
        if col not in frame.columns:
            continue
        parsed, bad = _parse(frame[col], spec.kinds[col], data_tz=data_tz,
                             source_tz=source_tz or data_tz)
        if col in spec.required:
            label = f"missing or unparseable {col}"
        else:  # an optional value may be missing, but not present and unreadable
            label, bad = f"unparseable {col}", bad & ~_blank(frame[col])
        reason = reason.mask(reason.isna() & bad, label)
        out[col] = parsed
    extra = [c for c in frame.columns if c not in spec.columns]
    for col in extra:  # attribute columns (customers) are kept as text
        out[col] = _parse(frame[col], "text", data_tz=data_tz, source_tz=data_tz)[0]
    parsed = pd.DataFrame(out, index=frame.index)
    reason = _table_rules(parsed, reason, spec=spec, as_of=as_of, strategy_ids=strategy_ids)
    keep = reason.isna().to_numpy()
    clean = parsed.loc[keep].reset_index(drop=True)
    rejects = frame.loc[~keep].astype("string").assign(reason=reason[~keep].astype(str))
    if s.AMOUNT in parsed.columns:
        rejects = rejects.assign(amount_parsed=parsed.loc[~keep, s.AMOUNT])
    if clean.empty:
        raise s.DataError(_empty_message(table, rejects, len(frame)))
    _schema(spec, clean).validate(clean, lazy=True)
    return Cleaned(table=table, clean=clean, rejects=rejects.reset_index(drop=True),
                   input_rows=len(frame))


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
    """Rows and GMV per table: input = kept + set aside (GMV over parseable amounts)."""
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
        rows.append(row)
    return pd.DataFrame(rows)


# -- private helpers ------------------------------------------------------------------------

def _parse(col: pd.Series, kind: str, *, data_tz: str, source_tz: str) -> tuple[pd.Series, pd.Series]:
    """Return (parsed values, mask of values present but unparseable or missing)."""
    if kind in ("id", "text"):
        return _parse_text(col, as_id=kind == "id")
    if kind in ("money", "number"):
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            vals = col.astype("float64")
            return vals, vals.isna() | ~np.isfinite(vals.to_numpy(dtype="float64", na_value=np.nan))
        text = col.astype("string").map(lambda v: unicodedata.normalize("NFKC", v), na_action="ignore")
        text = text.str.replace(_CURRENCY, "", regex=True)
        vals = pd.to_numeric(text, errors="coerce").astype("float64")
        return vals, vals.isna()
    if kind == "time":
        return _parse_time(col, data_tz=data_tz, source_tz=source_tz)
    if kind == "date":
        vals = pd.to_datetime(col, errors="coerce", format="mixed") if not \
            pd.api.types.is_datetime64_any_dtype(col) else col
        if isinstance(vals.dtype, pd.DatetimeTZDtype):
            vals = vals.dt.tz_convert(data_tz).dt.tz_localize(None)
        vals = vals.dt.normalize().astype("datetime64[us]")
        return vals, vals.isna()
    raise ValueError(f"unknown column kind {kind!r}")


def _blank(col: pd.Series) -> pd.Series:
    return col.isna() | (col.astype("string").str.strip() == "").fillna(True)


def _parse_text(col: pd.Series, *, as_id: bool) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_float_dtype(col):
        whole = col.dropna()
        if as_id and (whole == np.floor(whole)).all():
            col = col.astype("Int64")
    text = col.astype("string").str.strip()
    if as_id:
        text = text.map(lambda v: unicodedata.normalize("NFKC", v), na_action="ignore")
    missing = text.isna() | (text == "")
    return text.mask(missing).astype("str"), missing


def _parse_time(col: pd.Series, *, data_tz: str, source_tz: str) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_datetime64_any_dtype(col):
        vals = col if isinstance(col.dtype, pd.DatetimeTZDtype) else col.dt.tz_localize(
            source_tz, ambiguous="NaT", nonexistent="NaT")
    else:
        text = col.astype("string").str.strip()
        aware = text.str.contains(_OFFSET, na=False)
        vals = pd.Series(pd.NaT, index=col.index, dtype=f"datetime64[us, {data_tz}]")
        if aware.any():
            vals[aware] = pd.to_datetime(text[aware], errors="coerce", utc=True,
                                         format="ISO8601").dt.tz_convert(data_tz)
        if (~aware).any():
            naive = pd.to_datetime(text[~aware], errors="coerce", format="mixed")
            vals[~aware] = naive.dt.tz_localize(source_tz, ambiguous="NaT",
                                                nonexistent="NaT").dt.tz_convert(data_tz)
    vals = vals.dt.tz_convert(data_tz).dt.tz_localize(None).astype("datetime64[us]")
    return vals, vals.isna()


def _table_rules(parsed: pd.DataFrame, reason: pd.Series, *, spec: s.TableSpec,
                 as_of: pd.Timestamp | None, strategy_ids: pd.Index | None) -> pd.Series:
    ok = reason.isna()
    if spec.name == "transactions" and s.PRODUCT_ID in parsed.columns:
        dup = parsed.duplicated(keep="first") & ok
        reason = reason.mask(dup, "duplicate line")
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
