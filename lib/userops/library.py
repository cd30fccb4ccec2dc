"""The strategy library: a SQLite file of strategy x segment x period results that grows per run.

What a run is: one data source, cut at one ``as_of``, with one set of parameters. Its key
(:func:`run_key`) hashes

- every parameter of every step that shapes the results (:func:`shaping_parameters`): all
  parameters each step ran with, defaults applied, except those the runner sets (``data``,
  ``as_of``, ``out_dir``, ``library_path``) and those that only change what a step displays or
  recommends, not the recorded rows (:data:`NOT_SHAPING`);
- the fingerprint of the data as loaded (:func:`fingerprint`), so a changed data folder under
  the same name is another run;
- ``as_of``.

The library keeps **one current run per data source and as_of**: recording a run replaces every
row of the same data source and as_of, whatever parameters they were computed with.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pandas as pd

__all__ = ["COLUMNS", "NOT_SHAPING", "RUN_FILE", "fingerprint", "shaping_parameters", "write_run",
           "read_run", "run_key", "empty", "rows", "run_rows", "including", "record", "history",
           "previous_run"]

COLUMNS = ("run_id", "data_source", "as_of", "params_hash", "method", "strategy_id", "type", "segment",
           "period_start", "period_end", "reach", "participants", "conversion", "gmv", "arpu", "cost",
           "incremental_gmv", "inc_low", "inc_high", "roi", "roi_low", "roi_high", "effect_status")
_TEXT = {"run_id", "data_source", "as_of", "params_hash", "method", "strategy_id", "type", "segment",
         "period_start", "period_end", "effect_status"}
_SCHEMA = ("CREATE TABLE IF NOT EXISTS strategy_results ("
           + ", ".join(f"{c} {'TEXT' if c in _TEXT else 'REAL'}" for c in COLUMNS) + ")")
# parameters that do not shape a run's results: set by the runner (the data and as_of are in the
# key on their own), or only change step 6's budget recommendation and its alert display
NOT_SHAPING = ("data", "as_of", "out_dir", "library_path", "budget", "alert_threshold")
RUN_FILE = "run.json"  # in <out_dir>/artifacts: written by the runner before the steps run
_UNRECORDED = "unrecorded: not run by the runner (python -m userops report)"


def fingerprint(tables: dict[str, pd.DataFrame]) -> str:
    """A content hash of the loaded tables (names, columns, types and every value)."""
    h = hashlib.sha256()
    for name in sorted(tables):
        frame = tables[name]
        h.update(json.dumps([name, list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def shaping_parameters(steps: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    """``step -> {name: value}`` without the parameters listed in :data:`NOT_SHAPING`."""
    return {step: {k: v for k, v in sorted(values.items()) if k not in NOT_SHAPING}
            for step, values in sorted(steps.items())}


def write_run(out_dir: str | Path, *, steps: dict[str, dict[str, object]], fingerprint: str) -> Path:
    """Record what the run is made of for step 6: each step's parameters and the data fingerprint."""
    path = Path(out_dir) / "artifacts" / RUN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"steps": steps, "fingerprint": fingerprint}, indent=2, sort_keys=True))
    return path


def read_run(out_dir: str | Path) -> dict[str, object]:
    """``{"params": ..., "fingerprint": ...}`` as written by :func:`write_run`, ready for :func:`run_key`.

    Outside the runner (a notebook opened in the lab) nothing was recorded: both then say so
    explicitly, so the key matches no run the runner made.
    """
    path = Path(out_dir) / "artifacts" / RUN_FILE
    if not path.exists():
        return {"params": {"every step": {"unrecorded": _UNRECORDED}}, "fingerprint": _UNRECORDED}
    run = json.loads(path.read_text())
    return {"params": run["steps"], "fingerprint": run["fingerprint"]}


def run_key(*, data_source: str, as_of: str, params: dict[str, dict[str, object]],
            fingerprint: str) -> tuple[str, str]:
    """(run_id, params_hash) of one run.

    ``params`` is ``step -> {name: value}`` as each step ran; ``params_hash`` hashes its
    :func:`shaping_parameters` (what "the same parameters" means for :func:`previous_run`);
    ``run_id`` adds the data source, ``as_of`` and the data ``fingerprint``.
    """
    params_hash = _hash(shaping_parameters(params))
    return f"{data_source}|{as_of}|{params_hash}|{_hash(fingerprint)}", params_hash


def _hash(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:12]


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
    """The library's history as it will be once ``run`` is recorded (see :func:`record`)."""
    return pd.concat([hist[~_superseded(hist, run)], run], ignore_index=True)


def _superseded(hist: pd.DataFrame, run: pd.DataFrame) -> pd.Series:
    """Rows of ``hist`` that recording ``run`` replaces: its run ids, and every row of the same
    data source and as_of."""
    pairs = set(zip(run["data_source"], run["as_of"]))
    same = pd.Series([(d, a) in pairs for d, a in zip(hist["data_source"], hist["as_of"])],
                     index=hist.index, dtype=bool)
    return same | hist["run_id"].isin(run["run_id"])


def record(path: str | Path, rows: pd.DataFrame) -> int:
    """Record ``rows`` as the current run of their data source and as_of, in one transaction.

    One current run per data source and as_of: every stored row with the same data source and
    as_of (a superseded run, e.g. ``--steps 6`` again with other parameters) and every row of
    the same run ids is replaced. Rows of other data sources or dates are never touched; if
    anything fails midway, the library is left exactly as it was (SQLite rolls the transaction
    back). Returns the number of rows written.
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
            for source, as_of in sorted(set(zip(data["data_source"], data["as_of"]))):
                con.execute("DELETE FROM strategy_results WHERE data_source = ? AND as_of = ?",
                            (source, as_of))
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


def previous_run(path: str | Path, *, data_source: str, as_of: str, params_hash: str) -> pd.DataFrame:
    """The rows of one run: the latest earlier as_of of the same data source computed with the
    same parameters that shape results (same ``params_hash``, see :func:`run_key`); empty if none.

    Raises ValueError if that as_of holds several runs (a library written before
    :func:`record` kept one run per data source and as_of): which one is meant is unknown.
    """
    h = history(path)
    h = h[(h["data_source"] == data_source) & (h["params_hash"] == params_hash) & (h["as_of"] < as_of)]
    if h.empty:
        return h
    latest = h[h["as_of"] == h["as_of"].max()].reset_index(drop=True)
    runs = sorted(latest["run_id"].unique())
    if len(runs) > 1:
        raise ValueError(f"strategy library {path}: {len(runs)} runs {runs} for data source "
                         f"{data_source!r} as of {latest['as_of'].iloc[0]} with the same parameters; "
                         "rule: one run per data source and as_of (re-run that date to replace them)")
    return latest
