"""The strategy library: idempotent re-runs, other runs untouched, unchanged after a crash."""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from userops import library


def _rows(run: str, as_of: str, n: int = 3, conversion: float = 0.1) -> pd.DataFrame:
    rows = pd.DataFrame({c: [None] * n for c in library.COLUMNS})
    rows = rows.assign(run_id=run, data_source="synthetic", as_of=as_of, params_hash="h", method="m",
                       strategy_id=[f"S{i}" for i in range(n)], type="A", segment="all",
                       period_start="2017-01-01", period_end="2017-01-31", reach=100.0, participants=10.0,
                       conversion=conversion, gmv=1.0, arpu=0.01, cost=5.0, effect_status="passed")
    return rows


def test_rerun_replaces_its_rows_only(tmp_path):
    path = tmp_path / "lib.sqlite"
    library.record(path, _rows("r1", "2017-10-31"))
    library.record(path, _rows("r2", "2017-11-30"))
    library.record(path, _rows("r2", "2017-11-30", conversion=0.2))  # same run again, new numbers
    h = library.history(path)
    assert len(h) == 6 and h.groupby("run_id").size().to_dict() == {"r1": 3, "r2": 3}
    assert (h.loc[h["run_id"] == "r2", "conversion"] == 0.2).all()
    assert (h.loc[h["run_id"] == "r1", "conversion"] == 0.1).all()
    assert len(library.history(path, strategy_id="S1")) == 2


def test_crash_mid_write_leaves_the_library_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "lib.sqlite"
    library.record(path, _rows("r1", "2017-10-31"))
    before = library.history(path)
    real_connect = sqlite3.connect

    class Crashing:
        def __init__(self, con):
            self._con = con

        def __getattr__(self, name):
            return getattr(self._con, name)

        def __enter__(self):
            return self._con.__enter__()

        def __exit__(self, *exc):
            return self._con.__exit__(*exc)

        def executemany(self, sql, rows):
            rows = list(rows)
            self._con.executemany(sql, rows[:1])  # half the rows are in ...
            raise KeyboardInterrupt("killed mid-write")  # ... when the run is killed

    monkeypatch.setattr(library.sqlite3, "connect", lambda p: Crashing(real_connect(p)))
    with pytest.raises(KeyboardInterrupt):
        library.record(path, _rows("r1", "2017-10-31", conversion=0.9))
    monkeypatch.setattr(library.sqlite3, "connect", real_connect)
    pd.testing.assert_frame_equal(library.history(path), before)


def test_run_key_and_previous_run(tmp_path):
    a = library.run_key(data_source="x", as_of="2017-10-31", params={"b": 1, "a": 2})
    assert a == library.run_key(data_source="x", as_of="2017-10-31", params={"a": 2, "b": 1})
    assert a != library.run_key(data_source="x", as_of="2017-10-31", params={"a": 3, "b": 1})
    path = tmp_path / "lib.sqlite"
    library.record(path, pd.concat([_rows("r1", "2017-10-31"), _rows("r2", "2017-11-30")]))
    assert set(library.previous_run(path, data_source="synthetic", as_of="2017-12-31")["run_id"]) == {"r2"}
    assert library.previous_run(path, data_source="synthetic", as_of="2017-10-31").empty


def test_missing_columns_refused(tmp_path):
    with pytest.raises(ValueError, match="lack columns"):
        library.record(tmp_path / "x.sqlite", pd.DataFrame({"run_id": ["r"]}))
