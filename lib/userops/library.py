"""The strategy library: a SQLite file of strategy x segment x period results that grows per run."""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pandas as pd

__all__ = ["COLUMNS", "run_key", "empty", "rows", "run_rows", "including", "record", "history",
           "previous_run"]

COLUMNS = ("run_id", "data_source", "as_of", "params_hash", "method", "strategy_id", "type", "segment",
           "period_start", "period_end", "reach", "participants", "conversion", "gmv", "arpu", "cost",
           "incremental_gmv", "inc_low", "inc_high", "roi", "roi_low", "roi_high", "effect_status")
_TEXT = {"run_id", "data_source", "as_of", "params_hash", "method", "strategy_id", "type", "segment",
         "period_start", "period_end", "effect_status"}
_SCHEMA = ("CREATE TABLE IF NOT EXISTS strategy_results ("
           + ", ".join(f"{c} {'TEXT' if c in _TEXT else 'REAL'}" for c in COLUMNS) + ")")


def run_key(*, data_source: str, as_of: str, params: dict[str, object]) -> tuple[str, str]:
    """(run_id, params_hash): the same source, cut-off and parameters give the same run id."""
    params_hash = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{data_source}|{as_of}|{params_hash}", params_hash


def empty() -> pd.DataFrame:
    """Library rows with no row, typed like stored rows."""
    return _typed(pd.DataFrame(columns=list(COLUMNS)))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: ("str" if c in _TEXT else "float64") for c in COLUMNS})


def rows(kpi: pd.DataFrame, *, run_id: str, params_hash: str, data_source: str, as_of: str,
         strategies: pd.DataFrame, method: str, segment: str | None = None) -> pd.DataFrame:
    """Shape a KPI table (step 6) into library rows; ``segment`` names the segment column."""
    if kpi.empty:
        return empty()
    st = strategies.set_index("strategy_id")
    out = kpi.assign(run_id=run_id, params_hash=params_hash, data_source=data_source, as_of=as_of,
                     method=method, strategy_id=kpi["strategy_id"].astype(str),
                     segment=kpi[segment].astype(str) if segment else "all",
                     period_start=kpi["strategy_id"].map(st["start"]).dt.strftime("%Y-%m-%d"),
                     period_end=kpi["strategy_id"].map(st["end"]).dt.strftime("%Y-%m-%d"))
    return _typed(out[list(COLUMNS)])


def run_rows(kpi: pd.DataFrame, by_segment: pd.DataFrame, *, segment: str, **run: str) -> pd.DataFrame:
    """One run's rows: per strategy (segment ``all``) and per strategy x ``segment``.

    ``run`` holds run_id, params_hash, data_source, as_of, method and the strategies table,
    as :func:`rows` takes them.
    """
    return pd.concat([rows(kpi, **run), rows(by_segment, segment=segment, **run)], ignore_index=True)


def including(hist: pd.DataFrame, run: pd.DataFrame) -> pd.DataFrame:
    """The library's history as it will be once ``run`` is recorded (its run ids replaced)."""
    return pd.concat([hist[~hist["run_id"].isin(run["run_id"])], run], ignore_index=True)


def record(path: str | Path, rows: pd.DataFrame) -> int:
    """Replace the rows of every run id in ``rows`` with ``rows``, in one transaction.

    Other runs' rows are never touched; if anything fails midway, the library is left exactly
    as it was (SQLite rolls the transaction back). Returns the number of rows written.
    """
    missing = [c for c in COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"strategy library rows lack columns {missing}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    data = rows[list(COLUMNS)].astype(object).where(rows[list(COLUMNS)].notna(), None)
    con = sqlite3.connect(path)
    try:
        with con:  # one transaction: commit on success, roll back on any error
            con.execute(_SCHEMA)
            for run_id in sorted(data["run_id"].unique()):
                con.execute("DELETE FROM strategy_results WHERE run_id = ?", (run_id,))
            con.executemany(f"INSERT INTO strategy_results VALUES ({', '.join('?' * len(COLUMNS))})",
                            data.itertuples(index=False, name=None))
    finally:
        con.close()
    return len(data)


def history(path: str | Path, *, strategy_id: str | None = None) -> pd.DataFrame:
    """All stored rows (optionally for one strategy), ordered by cut-off, strategy and segment."""
    if not Path(path).exists():
        return empty()
    con = sqlite3.connect(path)
    try:
        con.execute(_SCHEMA)
        query = "SELECT * FROM strategy_results"
        args: tuple = ()
        if strategy_id is not None:
            query += " WHERE strategy_id = ?"
            args = (str(strategy_id),)
        frame = pd.read_sql_query(query + " ORDER BY as_of, strategy_id, segment, run_id", con, params=args)
    finally:
        con.close()
    return _typed(frame)


def previous_run(path: str | Path, *, data_source: str, as_of: str) -> pd.DataFrame:
    """Rows of the latest earlier cut-off for the same data source (empty if none)."""
    h = history(path)
    h = h[(h["data_source"] == data_source) & (h["as_of"] < as_of)]
    if h.empty:
        return h
    return h[h["as_of"] == h["as_of"].max()].reset_index(drop=True)
