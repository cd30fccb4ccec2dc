"""Transaction lines validated out of core: the rules of :mod:`userops.validation` as DuckDB SQL.

:func:`clean_lines` reads the user's ``transactions`` file (CSV or Parquet, or the embedded
data as a frame) with DuckDB, parses every column, sets rows aside with the same reasons as
:func:`userops.validation.clean_table`, and writes the kept lines as one Parquet file and the
set-aside rows (row number, reason, parsed amount) as another. The cut-off (``as_of``) is not
applied here: it is a filter at read time (:func:`userops.datasets.open_prepared`), so one
validated dataset serves every report date.

Most values are written in a form whose parse is plain SQL: ids of digits without leading zeros
or ASCII words, numbers like ``-12.50``, ISO times outside a daylight-saving change, typed Parquet
columns. A row holding any other value (currency signs, thousands separators, odd spacing,
full-width digits, UTC offsets in text, times near a daylight-saving change, ...) is an *odd*
row: odd rows go through the pandas parsers of :mod:`userops.validation` in chunks, so their
values and reasons are the ones users see from the in-memory path. Pandas only ever holds a
chunk of odd rows, the reject examples and the summaries.

DuckDB runs with a memory cap (``USEROPS_DUCKDB_MEMORY``, default 2GB) and spills to a
temporary folder beside the output.
"""
from __future__ import annotations

import functools
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from userops import schema as s
from userops import validation as v

__all__ = ["clean_lines", "Lines", "connect", "MEMORY_ENV", "CHUNK_ROWS", "source_rows"]

MEMORY_ENV = "USEROPS_DUCKDB_MEMORY"
CHUNK_ROWS = 100_000  # odd rows parsed by pandas at a time
_SPEC = s.TABLES["transactions"]
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_FLOAT_TYPES = ("FLOAT", "DOUBLE")
_NUMERIC_TYPES = _INT_TYPES + _FLOAT_TYPES
# a time written plainly: ISO date, optional time of day (no UTC offset), years 1900-2199
_PLAIN_TIME = (r"(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
               r"([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?")
_PLAIN_NUMBER = {".": r"-?[0-9]{1,12}(\.[0-9]{0,6})?", ",": r"-?[0-9]{1,12}(,[0-9]{0,6})?"}
_PLAIN_ID = r"0|[1-9][0-9]*"  # digits as the canonical id spells them
_DIGITS_ID = r"[0-9]+(\.0+)?"  # digits that the id rule rewrites unless plain
_WORD = r"[!-~]+"  # printable ASCII without spaces: an id kept as written
_TRIMMED = r"(?s)[!-~](.*[!-~])?"  # text starting and ending with printable ASCII
_FEW = 10_000  # a text column with at most this many distinct values is checked value by value


@dataclass
class Lines:
    """What :func:`clean_lines` wrote and found.

    ``lines_sql`` (the kept rows, every column parsed, plus ``_row``, the row's position in the
    input: a Parquet input is read in place, other inputs are written to ``lines.parquet``)
    and ``rejects`` (``_row``, ``reason``, ``amount_parsed``) are Parquet files; ``examples`` the
    source values (as text) of the first rows of each reason; ``columns`` the source's column
    names after name mapping, in file order; ``notes`` what was kept but adjusted
    (``ids_merged``), and ``adjusted`` the rows whose time was adjusted (``_row``, ``ts``,
    ``dst_ambiguous``, ``dst_gap``), counted at read time once the cut-off is known.
    """

    lines_sql: str  # the kept lines: SQL with ``{folder}`` standing for the prepared folder
    rejects: Path
    adjusted: Path
    input_rows: int
    columns: list[str]
    examples: pd.DataFrame
    notes: dict[str, int] = field(default_factory=dict)
    odd_rows: int = 0
    id_types: dict[str, str] = field(default_factory=dict)
    engine: str = "duckdb"  # what validated them: duckdb or spark


def memory_limit() -> str:
    limit = os.environ.get(MEMORY_ENV, "2GB").strip()
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?\s*[KMGT]i?B", limit, flags=re.IGNORECASE):
        raise ValueError(f"{MEMORY_ENV}={limit!r}: expected a size such as 2GB or 512MB")
    return limit


def connect(temp: Path | None = None):
    """A DuckDB connection with the memory cap, spilling to ``temp``."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": memory_limit(), "preserve_insertion_order": True})
    # off by default inside a Jupyter kernel, where setting it at all needs ipywidgets
    if con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]:
        con.execute("SET enable_progress_bar = false")
    if temp is not None:
        con.execute(f"SET temp_directory = '{_sql_text(str(temp))}'")
    return con


def clean_lines(source: Path | pd.DataFrame, out: Path, *, data_tz: str, source_tz: str | None = None,
                decimal: str = ".", keep_duplicate_lines: bool = False, encoding: str = "utf-8",
                log=None) -> Lines:
    """Validate the transaction lines of ``source`` (a ``.csv``/``.parquet`` file or a frame)
    into ``out``: ``lines.parquet``, ``rejects.parquet`` and ``adjusted.parquet``.

    The rules and reasons are those of :func:`userops.validation.clean_table` for the table
    ``transactions``, without the cut-off. Raises :class:`userops.schema.DataError` as that
    function does (missing columns, no row kept).
    """
    if decimal not in v.DECIMALS:
        raise ValueError(f"`decimal` must be one of {list(v.DECIMALS)}, not {decimal!r}")
    source_tz = source_tz or data_tz
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    work.mkdir(exist_ok=True)
    con = connect(work)
    try:
        return _Cleaner(con, source, out=out, work=work, data_tz=data_tz, source_tz=source_tz,
                        decimal=decimal, keep_duplicate_lines=keep_duplicate_lines,
                        encoding=encoding, log=log or (lambda *_: None)).run()
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)


def source_rows(source: Path | pd.DataFrame, rows: list[int], *, encoding: str = "utf-8") -> pd.DataFrame:
    """The rows ``rows`` (positions in the input) of the transactions source as pandas reads it
    (columns named as in the file, values as text), in the order of ``rows``."""
    rows = sorted(set(int(r) for r in rows))
    if not rows:
        return pd.DataFrame()
    if isinstance(source, pd.DataFrame):
        frame = source.iloc[rows]
    elif Path(source).suffix == ".parquet":
        frame = _parquet_rows(Path(source), rows)
    else:
        from userops.datasets import _csv_header, _read
        path = Path(source)
        try:
            header = _csv_header(path, encoding=encoding)
            con = connect()
            try:
                frame = con.execute(f"SELECT * FROM ({_csv_sql(path, header)}) WHERE _row IN "
                                    f"({', '.join(map(str, rows))}) ORDER BY _row").df().drop(columns="_row")
            finally:
                con.close()
        except Exception:  # another encoding, or a file DuckDB reads differently: as pandas does
            frame = _read(path, table="transactions", encoding=encoding).iloc[rows]
    frame = v.normalize_columns(frame.reset_index(drop=True), table="transactions")
    return frame.astype("string").assign(_row=rows)


# -- private helpers ------------------------------------------------------------------------

def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parquet_rows(path: Path, rows: list[int]) -> pd.DataFrame:
    """Rows of a Parquet file as :func:`pandas.read_parquet` gives them, reading only the row
    groups that hold them."""
    f = pq.ParquetFile(path)
    starts = np.cumsum([0] + [f.metadata.row_group(i).num_rows for i in range(f.num_row_groups)])
    parts = []
    for group in sorted({int(np.searchsorted(starts, r, side="right") - 1) for r in rows}):
        table = f.read_row_group(group)
        take = [r - starts[group] for r in rows if starts[group] <= r < starts[group + 1]]
        parts.append(table.take(pa.array(take)))
    return pa.concat_tables(parts).to_pandas()


@functools.lru_cache(maxsize=8)
def _dst_hours(tz: str, first_year: int = 1900, last_year: int = 2199) -> tuple[pd.Timestamp, ...]:
    """Local hours (naive, truncated) in ``tz`` near a change of its UTC offset, in the years
    ``first_year`` to ``last_year`` (1900-2199 by default, the range of valid times): a naive
    time there may be repeated or skipped, so its row is parsed by pandas."""
    days = pd.date_range(f"{first_year - 1}-12-30", f"{last_year + 1}-01-03", freq="D", tz="UTC") + pd.Timedelta(hours=12)
    local = days.tz_convert(tz)
    offset = (local.tz_localize(None) - days.tz_localize(None)).to_numpy()
    changed = np.flatnonzero(offset[1:] != offset[:-1]) + 1
    if not len(changed):
        return ()
    # the change happened between noon UTC of day i-1 and of day i: look at every quarter hour
    # of the local days around it
    start = days[changed - 1].tz_localize(None).to_numpy() - np.timedelta64(1, "D")
    steps = np.arange(0, 3 * 24 * 4 + 1) * np.timedelta64(15, "m")
    naive = pd.DatetimeIndex((start[:, None] + steps[None, :]).ravel())
    odd = naive[naive.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").isna()].floor("h").unique()
    hours = set(odd) | set(odd - pd.Timedelta(hours=1)) | set(odd + pd.Timedelta(hours=1))
    return tuple(sorted(hours))


def _dst_hours_between(tz: str, lo, hi) -> tuple[pd.Timestamp, ...]:
    """The hours of :func:`_dst_hours` between the local times ``lo`` and ``hi`` (looked up
    only in the years they span, and one either side)."""
    lo, hi = pd.Timestamp(lo).tz_localize(None), pd.Timestamp(hi).tz_localize(None)
    years = (max(1900, lo.year - 1), min(2199, hi.year + 1))
    hours = _dst_hours(tz, *years) if years[0] <= years[1] else ()
    return tuple(h for h in hours if lo - pd.Timedelta(hours=1) <= h <= hi)


def _in_ranges(x: str, hours, literal) -> str:
    """SQL: ``x`` falls in one of ``hours`` (sorted), contiguous hours joined in one range;
    ``literal`` writes a time as the engine's literal."""
    ranges: list[list[pd.Timestamp]] = []
    for h in hours:
        if ranges and ranges[-1][1] == h:
            ranges[-1][1] = h + pd.Timedelta(hours=1)
        else:
            ranges.append([h, h + pd.Timedelta(hours=1)])
    return "(" + " OR ".join(f"({x} >= {literal(a)} AND {x} < {literal(b)})" for a, b in ranges) + ")"


def _utf8(encoding: str) -> bool:
    """Whether ``encoding`` names UTF-8 (with or without a byte-order mark)."""
    return encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig")


class _Unsupported(Exception):
    """A column type the SQL parse does not cover: the whole table goes through pandas."""


class _Cleaner:
    _TS = "TIMESTAMP"  # the engine's type of a time without zone
    def __init__(self, con, source, *, out: Path, work: Path, data_tz: str, source_tz: str,
                 decimal: str, keep_duplicate_lines: bool, encoding: str, log):
        self.con, self.source, self.out, self.work = con, source, out, work
        self.data_tz, self.source_tz, self.decimal = data_tz, source_tz, decimal
        self.keep_duplicate_lines, self.encoding, self.log = keep_duplicate_lines, encoding, log

    # the raw relation: the source with canonical column names and _row ------------------------
    def _open_raw(self) -> None:
        src = self.source
        if isinstance(src, pd.DataFrame):
            frame = v.normalize_columns(src, table="transactions").reset_index(drop=True)
            self.con.register("_src", pa.Table.from_pandas(frame.assign(_row=np.arange(len(frame))),
                                                           preserve_index=False))
            mapped = list(frame.columns)
            select = ", ".join(_q(c) for c in mapped)
            self.con.execute(f"CREATE VIEW raw AS SELECT {select}, _row FROM _src")
        elif Path(src).suffix == ".parquet":
            path = Path(src)
            try:
                names = [c for c in pq.ParquetFile(path).schema_arrow.names]
            except Exception as err:
                raise _Unsupported(f"pyarrow cannot read {path.name}: {err}") from err
            mapped = list(v.normalize_columns(pd.DataFrame(columns=names), table="transactions").columns)
            select = ", ".join(f"{_q(a)} AS {_q(b)}" for a, b in zip(names, mapped))
            self.raw_sql = (f"SELECT {select}, file_row_number AS _row "
                            f"FROM read_parquet('{_sql_text(str(path.resolve()))}', file_row_number = true)")
            self.con.execute(f"CREATE VIEW raw AS {self.raw_sql}")
        else:
            from userops.datasets import _csv_header, _read
            path = Path(src)
            if not _utf8(self.encoding):
                raise _Unsupported(f"encoding {self.encoding}")
            try:
                header = _csv_header(path, encoding=self.encoding)
            except UnicodeDecodeError:
                _read(path, table="transactions", encoding=self.encoding)  # raises the message
                raise
            if len(set(header)) != len(header) or not header:
                _read(path, table="transactions", encoding=self.encoding)  # the message
                raise _Unsupported("header")
            mapped = list(v.normalize_columns(pd.DataFrame(columns=header), table="transactions").columns)
            self.con.execute(f"CREATE VIEW raw AS {_csv_sql(path, mapped)}")
        self.names = list(mapped)
        self.types = dict(self.con.execute("SELECT column_name, column_type FROM (DESCRIBE raw)").fetchall())

    def _from_pandas(self) -> None:
        """The whole table read and parsed by pandas (one chunk): the shapes the SQL parse does
        not cover."""
        from userops.datasets import _read
        src = self.source
        frame = src if isinstance(src, pd.DataFrame) else _read(Path(src), table="transactions",
                                                                encoding=self.encoding)
        frame = v.normalize_columns(frame, table="transactions").reset_index(drop=True)
        self.names = list(frame.columns)
        self._check_columns()
        self.pandas_frame = frame.assign(_row=np.arange(len(frame)))
        self.con.execute("DROP VIEW IF EXISTS raw")
        self.con.register("_pandas_raw", self.pandas_frame)
        self.con.execute("CREATE VIEW raw AS SELECT * FROM _pandas_raw")
        self.types = dict(self.con.execute("SELECT column_name, column_type FROM (DESCRIBE raw)").fetchall())

    # what differs between engines (DuckDB here; Spark in :mod:`userops.sparkload`) ----------
    def _rows(self, sql: str) -> list[tuple]:
        """The rows of a small query."""
        return self.con.execute(sql).fetchall()

    def _match(self, x: str, pattern: str) -> str:
        """SQL: the text ``x`` matches the regular expression ``pattern`` as a whole."""
        return f"regexp_full_match({x}, '{pattern}')"

    def _check_columns(self) -> None:
        missing = [c for c in _SPEC.required if c not in self.names]
        if missing:
            raise s.DataError(f"table 'transactions': missing required column(s) {missing}; rule: "
                              f"transactions needs {list(_SPEC.required)}; found {self.names}")

    # per column: the SQL parse, whether it covers a row, and what is wrong --------------------
    def _plan(self) -> None:
        self.cols = [c for c in _SPEC.columns if c in self.names]
        self.extra = [c for c in self.names if c not in _SPEC.columns]
        self.kinds = {c: _SPEC.kinds[c] for c in self.cols} | {c: "text" for c in self.extra}
        self.value, self.fast, self.problem, self.out_type, self.cond = {}, {}, {}, {}, {}
        for c in [*self.cols, *self.extra]:
            self._plan_column(c, self.types[c], self.kinds[c])

    def _near_dst(self, c: str, local: str) -> str:
        """SQL: the local time ``local`` of column ``c`` is near a daylight-saving change of the
        source's zone (its row is then parsed by pandas). A typed column is checked against the
        changes between its smallest and largest value only (Parquet statistics)."""
        if self.types[c] != "VARCHAR":
            lo, hi = self.con.execute(f"SELECT min({_q(c)}), max({_q(c)}) FROM raw").fetchone()
            if lo is None:
                return "false"
            hours = _dst_hours_between(self.source_tz, lo, hi)
        else:
            hours = _dst_hours(self.source_tz)
            if not hours:
                return "false"
        if self.types[c] != "VARCHAR":
            if not hours:
                return "false"
            if len(hours) <= 256:  # contiguous hours as ranges, compared in the column's own type
                typ = self.types[c]
                lit = (lambda ts: f"DATE '{ts.date()}'") if typ == "DATE" else \
                    (lambda ts: f"CAST(TIMESTAMP '{ts}' AS {typ})")
                return _in_ranges(_q(c), hours, lit)
        if not getattr(self, "_dst_table", False):
            self.con.register("_dst_hours", pa.table({"h": pa.array(pd.DatetimeIndex(hours).as_unit("us"))}))
            self.con.execute("CREATE TEMP TABLE dst_hours AS SELECT h FROM _dst_hours")
            self._dst_table = True
        return f"date_trunc('hour', {local}) IN (SELECT h FROM dst_hours)"

    def _odd_texts(self, c: str) -> str:
        """SQL: the text in ``c`` is not written plainly (space or non-ASCII at an end). Few
        distinct values (categories, channels) are checked once each, in Python."""
        x = _q(c)
        values = [r for (r,) in self._rows(f"SELECT DISTINCT {x} FROM raw WHERE {x} IS NOT NULL LIMIT {_FEW + 1}")]
        if len(values) > _FEW:
            return f"NOT {self._match(x, _TRIMMED)}"
        odd = sorted(val for val in values if not re.fullmatch(_TRIMMED, val))
        if not odd:
            return "false"
        return f"{x} IN ({', '.join(chr(39) + _sql_text(val) + chr(39) for val in odd)})"

    def _plan_column(self, c: str, typ: str, kind: str) -> None:
        x = _q(c)
        missing = f"{x} IS NULL"
        if kind == "id":
            if typ in _INT_TYPES:
                value, fast, out_type = f"CAST({x} AS BIGINT)", "true", "BIGINT"
            elif typ in _FLOAT_TYPES:
                whole = self._rows(f"SELECT coalesce(bool_and({x} = floor({x}) AND abs({x}) < 9007199254740992.0), "
                                   f"true) FROM raw WHERE {x} IS NOT NULL AND NOT isnan({x})")[0][0]
                if not whole:
                    raise _Unsupported(f"{c}: {typ} ids that are not whole")
                value, fast, out_type = f"CAST(CASE WHEN isnan({x}) THEN NULL ELSE {x} END AS BIGINT)", "true", "BIGINT"
                missing = f"({x} IS NULL OR isnan({x}))"
            elif typ == "VARCHAR":
                value, out_type = x, "VARCHAR"
                fast = (f"({x} IS NULL OR {self._match(x, _PLAIN_ID)} OR "
                        f"({self._match(x, _WORD)} AND NOT {self._match(x, _DIGITS_ID)}))")
            else:
                raise _Unsupported(f"{c}: {typ}")
            problem = (missing, "false")
        elif kind == "text":
            if typ != "VARCHAR":
                raise _Unsupported(f"{c}: {typ}")
            value, out_type = x, "VARCHAR"
            fast = f"({x} IS NULL OR NOT ({self._odd_texts(c)}))"
            problem = (missing, "false")
        elif kind in ("money", "number"):
            out_type = "DOUBLE"
            if typ == "VARCHAR":
                text = x if self.decimal == "." else f"replace({x}, ',', '.')"
                value = f"CAST({text} AS DOUBLE)"
                fast = f"({x} IS NULL OR {self._match(x, _PLAIN_NUMBER[self.decimal])})"
                problem = (missing, "false")
            elif typ in _NUMERIC_TYPES:
                d = f"CAST({x} AS DOUBLE)"
                value, fast = d, "true"
                problem = (f"({x} IS NULL OR isnan({d}))", f"NOT (abs({d}) <= {v.MAX_ABS_VALUE!r})")
            else:
                raise _Unsupported(f"{c}: {typ}")
        elif kind == "time":
            out_type = "TIMESTAMP"
            lo, hi = (t.isoformat(sep=" ") for t in v.TIME_RANGE)
            if typ == "TIMESTAMP WITH TIME ZONE":
                utc = f"timezone('UTC', {x})"
                value, fast = f"timezone('{_sql_text(self.data_tz)}', {x})", "true"
                problem = (f"{x} IS NULL", f"({utc} < TIMESTAMP '{lo}' OR {utc} >= TIMESTAMP '{hi}')")
            else:
                if typ == "VARCHAR":
                    local = f"TRY_CAST({x} AS {self._TS})"
                    plain = f"{self._match(x, _PLAIN_TIME)} AND {local} IS NOT NULL"
                    problem = (missing, "false")
                elif typ in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATE"):
                    local, plain = f"CAST({x} AS {self._TS})", "true"
                    problem = (f"{x} IS NULL", f"({local} < {self._TS} '{lo}' OR {local} >= {self._TS} '{hi}')")
                else:
                    raise _Unsupported(f"{c}: {typ}")
                near = self._near_dst(c, local)
                fast = f"({x} IS NULL OR ({plain} AND NOT ({near})))"
                if self.source_tz == self.data_tz:
                    value = local
                else:
                    value = (f"timezone('{_sql_text(self.data_tz)}', "
                             f"timezone('{_sql_text(self.source_tz)}', {local}))")
        else:
            raise _Unsupported(f"{c}: kind {kind}")
        self._record(c, problem=problem, value=value, fast=fast, out_type=out_type)

    def _record(self, c: str, *, problem: tuple[str, str], value: str, fast: str, out_type: str) -> None:
        """The plan of column ``c``: what is wrong with a value, as two SQL conditions (missing
        or NaN, out of range), its parse, whether SQL parses the row, the type written."""
        self.cond[c] = problem
        self.problem[c] = f"CASE WHEN {problem[0]} THEN 'missing' WHEN {problem[1]} THEN 'range' END"
        self.value[c], self.fast[c], self.out_type[c] = value, fast, out_type

    def _labels_sql(self) -> str:
        """The row's reason from its columns' problems, first column first (as pandas does): one
        flat CASE over boolean conditions."""
        whens = []
        for c in self.cols:
            missing, far = self.cond[c]
            if c in _SPEC.required:
                whens.append(f"WHEN {missing} THEN '{_sql_text(f'missing or unparseable {c}')}'")
            if far != "false":
                whens.append(f"WHEN {far} THEN '{_sql_text(f'{c} out of range')}'")
        return f"CASE {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"

    def _any_problem(self) -> str:
        """SQL: the row has a reason from its columns (a boolean, cheaper than the reason)."""
        conds = []
        for c in self.cols:
            missing, far = self.cond[c]
            if c in _SPEC.required:
                conds.append(missing)
            if far != "false":
                conds.append(far)
        return " OR ".join(f"({x})" for x in conds) or "false"

    def _masked(self, c: str, value: str) -> str:
        missing, far = self.cond[c]
        return f"CASE WHEN ({missing}) OR ({far}) THEN NULL ELSE {value} END"

    def _fast_select(self) -> str:
        cols = ", ".join(f"{self._masked(c, self.value[c])} AS {_q(c)}"
                         for c in [*self.cols, *self.extra])
        return f"SELECT _row, {cols}, {self._labels_sql()} AS reason FROM raw WHERE {self._all_fast()}"

    def _all_fast(self) -> str:
        return " AND ".join(self.fast[c] for c in [*self.cols, *self.extra]) or "true"

    def _key(self) -> list[str]:
        """The columns hashed to find duplicate candidates."""
        return [s.ORDER_ID, s.TS, s.AMOUNT, s.PRODUCT_ID if s.PRODUCT_ID in self.names else s.CUSTOMER_ID]

    # the odd rows, through the pandas parsers ---------------------------------------------
    def _parse_odd(self, where: str) -> int:
        """One pass over the input for the exceptions: the odd rows, parsed by pandas into
        ``odd.parquet``, and the rows parsed in SQL that break a rule (``fastrej.parquet``)."""
        schema = pa.schema([("_row", pa.int64())]
                           + [(c, _ARROW[self.out_type[c]]) for c in [*self.cols, *self.extra]]
                           + [("reason", pa.string()), ("_dst_ambiguous", pa.bool_()),
                              ("_dst_gap", pa.bool_())])
        self.spellings: dict[str, list[pd.DataFrame]] = {c: [] for c in self.cols if self.kinds[c] == "id"}
        n = 0
        rejected = []
        with pq.ParquetWriter(self.work / "odd.parquet", schema) as writer:
            if getattr(self, "pandas_frame", None) is not None:
                chunks = [self.pandas_frame]
            else:
                cols = ", ".join(_q(c) for c in [*self.cols, *self.extra])
                fast, reason = self._all_fast(), self._labels_sql()
                rel = self.con.execute(f"SELECT {cols}, _row, {fast} AS _fast, {reason} AS _reason, "
                                       f"{self._safe(s.AMOUNT)} AS _amount FROM raw "
                                       f"WHERE NOT ({fast}) OR {self._any_problem()}")
                chunks = _chunks(rel)
            for chunk in chunks:
                if chunk is None or chunk.empty:
                    break
                if "_fast" in chunk:
                    ok = chunk["_fast"].to_numpy(dtype=bool)
                    rejected.append(pd.DataFrame({"_row": chunk["_row"].to_numpy(dtype="int64")[ok],
                                                  "reason": chunk["_reason"].to_numpy(dtype=object)[ok],
                                                  "amount_parsed": chunk["_amount"].to_numpy(dtype="float64")[ok]}))
                    chunk = chunk.loc[~ok, [*self.cols, *self.extra, "_row"]]
                if chunk.empty:
                    continue
                n += len(chunk)
                writer.write_table(pa.Table.from_pandas(self._parse_chunk(chunk.reset_index(drop=True)),
                                                        schema=schema, preserve_index=False))
        fastrej = pd.concat(rejected, ignore_index=True) if rejected else \
            pd.DataFrame({"_row": pd.Series([], dtype="int64"), "reason": pd.Series([], dtype=object),
                          "amount_parsed": pd.Series([], dtype="float64")})
        pq.write_table(pa.Table.from_pandas(fastrej, schema=pa.schema(
            [("_row", pa.int64()), ("reason", pa.string()), ("amount_parsed", pa.float64())]),
            preserve_index=False), self.work / "fastrej.parquet")
        return n

    def _safe(self, c: str, *, masked: bool = True) -> str:
        """SQL: column ``c`` parsed as on a fast row, NULL (not an error) on an odd row; with
        ``masked``, NULL where the value has a problem (as pandas leaves it)."""
        if c not in self.value:
            return "NULL"
        value = self.value[c].replace("CAST(", "TRY_CAST(").replace("TRY_TRY_CAST(", "TRY_CAST(")
        return self._masked(c, value) if masked else value

    def _parse_chunk(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = {"_row": frame["_row"].to_numpy(dtype="int64")}
        reason = pd.Series(pd.NA, index=frame.index, dtype="string")
        amb = gap = np.zeros(len(frame), dtype=bool)
        for c in self.cols:
            parsed = v._parse(frame[c], self.kinds[c], data_tz=self.data_tz, source_tz=self.source_tz,
                              decimal=self.decimal)
            reason = reason.mask(reason.isna(), v._labels(parsed.problem, frame[c], col=c,
                                                          required=c in _SPEC.required, decimal=self.decimal))
            vals = parsed.values
            if self.kinds[c] == "id":
                vals = vals.where(parsed.problem.isna())
                if self.out_type[c] == "BIGINT":
                    vals = pd.to_numeric(vals).astype("Int64")
                else:
                    written = frame[c].astype("string").str.strip()
                    self.spellings[c].append(pd.DataFrame({"id": vals.astype("string"),
                                                           "written": written}).dropna())
            if c == s.TS:
                amb = parsed.notes["ts_dst_ambiguous_kept"].to_numpy(dtype=bool)
                gap = parsed.notes["ts_dst_gap_shifted"].to_numpy(dtype=bool)
            out[c] = vals
        for c in self.extra:
            out[c] = v._parse_text(frame[c], as_id=False).values
        return pd.DataFrame(out).assign(reason=reason.astype(object).where(reason.notna(), None),
                                        _dst_ambiguous=amb, _dst_gap=gap)

    # the whole table ------------------------------------------------------------------------
    def run(self) -> Lines:
        self.pandas_frame = None
        try:
            self._open_raw()
            self._check_columns()
            self._plan()
            where = f"NOT ({self._all_fast()})"
        except _Unsupported as why:
            self.log(f"[data] transactions: {why}: parsed by pandas in memory")
            self._from_pandas()
            self._plan_pandas()
            where = "true"
        except Exception as err:
            import duckdb
            if not isinstance(err, duckdb.Error):
                raise
            # DuckDB cannot read the file as the loader does: read it with pandas, which gives
            # the user's message if the file is unusable
            self.log(f"[data] transactions: DuckDB cannot read it ({str(err).splitlines()[0]}): "
                     "parsed by pandas in memory")
            self._from_pandas()
            self._plan_pandas()
            where = "true"
        odd = self._parse_odd(where)
        return self._finish(odd)

    def _plan_pandas(self) -> None:
        """Every row is odd: only the output types are planned."""
        self.cols = [c for c in _SPEC.columns if c in self.names]
        self.extra = [c for c in self.names if c not in _SPEC.columns]
        self.kinds = {c: _SPEC.kinds[c] for c in self.cols} | {c: "text" for c in self.extra}
        self.out_type = {c: {"id": "VARCHAR", "text": "VARCHAR", "money": "DOUBLE", "number": "DOUBLE",
                             "time": "TIMESTAMP"}[k] for c, k in self.kinds.items()}
        self.fast = {c: "false" for c in self.kinds}
        self.value, self.problem, self.cond = {}, {}, {}

    def _finish(self, odd: int) -> Lines:
        con = self.con
        names = [*self.cols, *self.extra]
        cols = ", ".join(_q(c) for c in names)
        odd_path = _sql_text(str(self.work / "odd.parquet"))
        casts = ", ".join(f"CAST({_q(c)} AS {self.out_type[c]}) AS {_q(c)}" for c in names)
        con.execute(f"CREATE VIEW odd AS SELECT _row, {casts}, reason, _dst_ambiguous, _dst_gap "
                    f"FROM read_parquet('{odd_path}')")
        if self.value:
            con.execute(f"CREATE VIEW fast AS {self._fast_select()}")
        else:  # every row went through pandas
            con.execute(f"CREATE VIEW fast AS SELECT _row, {cols}, reason FROM odd WHERE false")
        con.execute(f"CREATE VIEW parsed AS SELECT _row, {cols}, reason FROM fast "
                    f"UNION ALL SELECT _row, {cols}, reason FROM odd")
        self._duplicates(names)
        label = "duplicate line" if s.PRODUCT_ID in names else "duplicate order line"
        # the rows set aside, with what their amount parsed to (NULL where it is the problem)
        con.execute(f"""CREATE TEMP TABLE rej AS
            SELECT _row, reason, amount_parsed FROM read_parquet('{_sql_text(str(self.work / "fastrej.parquet"))}')
            UNION ALL SELECT _row, reason, {_q(s.AMOUNT)} FROM odd WHERE reason IS NOT NULL
            UNION ALL SELECT _row, '{label}', amount FROM dups""")
        rejects = self.out / "rejects.parquet"
        con.execute(f"COPY (SELECT * FROM rej ORDER BY _row) TO '{_sql_text(str(rejects))}' (FORMAT parquet)")
        kept_odd = (f"SELECT {cols}, _row FROM odd WHERE reason IS NULL "
                    "AND _row NOT IN (SELECT _row FROM dups)")
        if self.value and getattr(self, "raw_sql", None):
            # Parquet input: the kept lines are read in place, without the rows set aside or
            # parsed by pandas; those parsed by pandas and kept come from a small file
            con.execute(f"COPY ({kept_odd} ORDER BY _row) TO '{_sql_text(str(self.out / 'kept_odd.parquet'))}' "
                        "(FORMAT parquet)")
            con.execute(f"COPY (SELECT _row FROM rej UNION SELECT _row FROM odd ORDER BY _row) TO "
                        f"'{_sql_text(str(self.out / 'excluded.parquet'))}' (FORMAT parquet)")
            excluded = con.execute("SELECT (SELECT count(*) FROM rej) + (SELECT count(*) FROM odd)").fetchone()[0]
            values = ", ".join(f"{self._masked(c, self.value[c])} AS {_q(c)}"
                               for c in names)
            lines_sql = f"SELECT {values}, _row FROM ({self.raw_sql})"
            if excluded:
                lines_sql += " WHERE _row NOT IN (SELECT _row FROM read_parquet('{folder}/excluded.parquet'))"
            if odd:
                lines_sql += f" UNION ALL SELECT {cols}, _row FROM read_parquet('{{folder}}/kept_odd.parquet')"
        else:
            lines = self.out / "lines.parquet"
            con.execute(f"COPY (SELECT {cols}, _row FROM fast WHERE reason IS NULL AND _row NOT IN "
                        f"(SELECT _row FROM dups) UNION ALL {kept_odd}) TO '{_sql_text(str(lines))}' "
                        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)")
            lines_sql = "SELECT * FROM read_parquet('{folder}/lines.parquet')"
        adjusted = self.out / "adjusted.parquet"
        con.execute(f"COPY (SELECT _row, {_q(s.TS)} AS ts, _dst_ambiguous AS dst_ambiguous, _dst_gap AS dst_gap "
                    f"FROM odd WHERE (_dst_ambiguous OR _dst_gap) AND reason IS NULL "
                    f"AND _row NOT IN (SELECT _row FROM dups) ORDER BY _row) TO '{_sql_text(str(adjusted))}' "
                    "(FORMAT parquet)")
        input_rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        firsts = [r for (r,) in con.execute(
            "SELECT _row FROM (SELECT _row, row_number() OVER (PARTITION BY reason ORDER BY _row) k "
            f"FROM rej) WHERE k <= {v._SAMPLE_ROWS} ORDER BY _row").fetchall()]
        examples = self._source_examples(firsts)
        return Lines(lines_sql=lines_sql, rejects=rejects, adjusted=adjusted, input_rows=int(input_rows),
                     columns=list(self.names), examples=examples, notes={"ids_merged": self._merged()},
                     odd_rows=odd, id_types={c: self.out_type[c] for c in self.cols if self.kinds[c] == "id"})

    def _duplicates(self, names: list[str]) -> None:
        """``dups``: rows equal to an earlier row in every parsed column, themselves without a
        reason (pandas ``duplicated(keep='first')``). Candidates first: rows sharing a hash of
        a few columns (order, time, amount, product or customer), one 8-byte hash per row
        (:func:`repeated`); then the candidates are compared exactly."""
        con = self.con
        con.execute(f"CREATE TEMP TABLE dups (_row BIGINT, amount DOUBLE)")
        if self.keep_duplicate_lines:
            return
        key = ", ".join(_q(c) for c in self._key())
        # one hash per input row: of the SQL parse for the rows parsed in SQL, of the pandas
        # parse for the odd rows. (The key's values need no masking: a row with a problem there
        # is set aside and equals no kept row on the key once parsed.)
        sources = [f"SELECT hash({', '.join(self._safe(c, masked=False) for c in self._key())}) AS h "
                   f"FROM raw WHERE {self._all_fast()}"] if self.value else []
        parts = [np.asarray(con.execute(sql).fetchnumpy()["h"], dtype=np.uint64)
                 for sql in [*sources, f"SELECT hash({key}) AS h FROM odd"]]
        parts = [part for part in parts if len(part)]
        h = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        del parts
        candidates = repeated(h)
        del h
        if not len(candidates):
            return
        con.register("_candidates", pa.table({"h": pa.array(candidates, type=pa.uint64())}))
        cols = ", ".join(_q(c) for c in names)
        con.execute(f"""INSERT INTO dups
            SELECT _row, {_q(s.AMOUNT)} FROM (
              SELECT _row, reason, {_q(s.AMOUNT)},
                     row_number() OVER (PARTITION BY {cols} ORDER BY _row) AS k
              FROM parsed WHERE hash({key}) IN (SELECT h FROM _candidates))
            WHERE k > 1 AND reason IS NULL""")

    def _merged(self) -> int:
        """Ids written more than one way in one column (pandas: ``ids_merged``): an id some odd
        row writes differently from its canonical form, with more than one spelling over all
        rows (rows parsed in SQL write their id as its canonical form)."""
        total = 0
        for c, parts in self.spellings.items():
            if self.out_type[c] != "VARCHAR" or not parts:
                continue
            sp = pd.concat(parts, ignore_index=True).drop_duplicates()
            touched = sp.loc[sp["id"] != sp["written"], "id"].unique()
            if not len(touched):
                continue
            sp = sp[sp["id"].isin(touched)]
            plain = self._plain_spellings(c, list(touched))
            sp = pd.concat([sp, pd.DataFrame({"id": sorted(plain), "written": sorted(plain)})]).drop_duplicates()
            total += int(sp.groupby("id")["written"].nunique().gt(1).sum())
        return total

    def _plain_spellings(self, c: str, touched: list[str]) -> set[str]:
        """The ids among ``touched`` that rows parsed in SQL write in column ``c``."""
        self.con.register("_touched", pd.DataFrame({"id": pd.Series(touched, dtype=object)}))
        plain = {r for (r,) in self.con.execute(
            f"SELECT DISTINCT {_q(c)} FROM fast WHERE {_q(c)} IN (SELECT id FROM _touched)").fetchall()}
        self.con.unregister("_touched")
        return plain

    def _source_examples(self, rows: list[int]) -> pd.DataFrame:
        if not rows:
            return pd.DataFrame(columns=[*self.names, "_row"])
        if getattr(self, "pandas_frame", None) is not None:
            frame = self.pandas_frame[self.pandas_frame["_row"].isin(rows)]
            return frame.drop(columns="_row").astype("string").assign(_row=frame["_row"].to_numpy())
        return source_rows(self.source, rows, encoding=self.encoding)


def repeated(h: np.ndarray) -> np.ndarray:
    """The values of ``h`` (unsigned 64-bit hashes) that occur more than once, sorted. ``h`` is
    sorted in place: at millions of rows, a new array of that size costs more (its pages are
    first touched) than the sort itself."""
    if len(h) < 2:
        return np.empty(0, dtype=np.uint64)
    h.sort()
    return np.unique(h[1:][h[1:] == h[:-1]])


_ARROW = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "DOUBLE": pa.float64(),
          "TIMESTAMP": pa.timestamp("us")}


def _chunks(rel):
    """The rows of a DuckDB result as pandas frames of about :data:`CHUNK_ROWS` rows."""
    while True:
        chunk = rel.fetch_df_chunk(max(1, CHUNK_ROWS // 2048))
        if chunk is None or chunk.empty:
            return
        yield chunk


def _csv_sql(path: Path, names: list[str]) -> str:
    """The CSV file as text columns named ``names`` (file order) plus ``_row``, read as pandas
    reads it (comma, double quotes; an empty field is missing)."""
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    select = ", ".join(f"NULLIF(c{i}, '') AS {_q(m)}" for i, m in enumerate(names))
    return (f"SELECT {select}, row_number() OVER () - 1 AS _row FROM "
            f"read_csv('{_sql_text(str(path))}', header = true, columns = {cols}, delim = ',', "
            "quote = '\"', escape = '\"', auto_detect = false, strict_mode = true, null_padding = false)")
