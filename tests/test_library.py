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


STEPS = {"01_value_tiering": {"window_days": 365, "split": "mean"},
         "06_strategy_adjustment": {"contact_cost": 0.5, "budget": 5000.0, "alert_threshold": 0.2}}


def _key(params=STEPS, fingerprint="f1", as_of="2017-10-31"):
    return library.run_key(data_source="x", as_of=as_of, params=params, fingerprint=fingerprint)


def _with(step, **changes):
    return {**STEPS, step: {**STEPS[step], **changes}}


def test_the_run_key_hashes_every_shaping_parameter_the_data_and_as_of():
    run_id, h = _key()
    reordered = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(STEPS.items()))}
    assert _key(reordered) == (run_id, h)
    for changed in (_with("01_value_tiering", window_days=180), _with("01_value_tiering", split="median"),
                    _with("06_strategy_adjustment", contact_cost=0.9)):
        other_id, other_h = _key(changed)
        assert other_h != h and other_id != run_id
    # budget and alert_threshold do not change the recorded rows: the same run
    assert _key(_with("06_strategy_adjustment", budget=1.0, alert_threshold=0.5)) == (run_id, h)
    assert set(library.NOT_SHAPING) >= {"budget", "alert_threshold", "data", "as_of"}
    # the same parameters on other data or another date: another run, the same parameters
    for other_id, other_h in (_key(fingerprint="f2"), _key(as_of="2017-11-30")):
        assert other_id != run_id and other_h == h


def _run(as_of, params=STEPS, n=3, conversion=0.1):
    run_id, h = library.run_key(data_source="synthetic", as_of=as_of, params=params, fingerprint=as_of)
    return _rows(run_id, as_of, n=n, conversion=conversion).assign(params_hash=h), h


def test_rerunning_a_date_with_other_parameters_replaces_the_superseded_rows(tmp_path):
    path = tmp_path / "lib.sqlite"
    first, h1 = _run("2017-11-30")
    library.record(path, first)
    other, h2 = _run("2017-11-30", params=_with("06_strategy_adjustment", contact_cost=0.9), conversion=0.3)
    hist_after = library.including(library.history(path), other)
    library.record(path, other)
    h = library.history(path)
    assert h["run_id"].unique().tolist() == [other["run_id"].iloc[0]] and len(h) == len(other)
    assert sorted(hist_after["run_id"]) == sorted(h["run_id"])  # what step 6 shows is what is kept
    assert library.previous_run(path, data_source="synthetic", as_of="2017-12-31", params_hash=h1).empty
    prev = library.previous_run(path, data_source="synthetic", as_of="2017-12-31", params_hash=h2)
    assert prev["strategy_id"].is_unique and (prev["conversion"] == 0.3).all()


def test_previous_run_is_the_latest_earlier_date_with_the_same_parameters(tmp_path):
    path = tmp_path / "lib.sqlite"
    oct_a, ha = _run("2017-10-31")
    nov_b, hb = _run("2017-11-30", params=_with("01_value_tiering", window_days=180))
    library.record(path, pd.concat([oct_a, nov_b]))
    library.record(path, _rows("other-source", "2017-11-30").assign(data_source="other", params_hash=ha))
    prev = library.previous_run(path, data_source="synthetic", as_of="2017-12-31", params_hash=ha)
    assert prev["run_id"].unique().tolist() == oct_a["run_id"].unique().tolist() and len(prev) == 3
    prev = library.previous_run(path, data_source="synthetic", as_of="2017-12-31", params_hash=hb)
    assert prev["as_of"].unique().tolist() == ["2017-11-30"]
    assert library.previous_run(path, data_source="synthetic", as_of="2017-10-31", params_hash=ha).empty


def test_several_runs_on_one_date_are_an_error_not_a_mix(tmp_path):
    path = tmp_path / "lib.sqlite"
    con = sqlite3.connect(path)  # a library written before one run per date was kept
    con.execute(library._SCHEMA)
    for run in ("r1", "r2"):
        rows = _rows(run, "2017-11-30").assign(params_hash="h")
        con.executemany(f"INSERT INTO strategy_results VALUES ({', '.join('?' * len(library.COLUMNS))})",
                        rows[list(library.COLUMNS)].astype(object).where(rows.notna(), None)
                        .itertuples(index=False, name=None))
    con.commit()
    con.close()
    with pytest.raises(ValueError, match=r"2 runs \['r1', 'r2'\]"):
        library.previous_run(path, data_source="synthetic", as_of="2017-12-31", params_hash="h")


def test_fingerprint_follows_every_value(synthetic):
    tables = {k: v.copy() for k, v in synthetic.tables.items()}
    assert library.fingerprint(tables) == library.fingerprint(synthetic.tables)
    tables["transactions"].loc[tables["transactions"].index[5], "amount"] += 0.01
    assert library.fingerprint(tables) != library.fingerprint(synthetic.tables)


def test_the_run_file_round_trips_and_says_when_nothing_was_recorded(tmp_path):
    library.write_run(tmp_path, steps=STEPS, fingerprint="abc")
    assert library.read_run(tmp_path) == {"params": STEPS, "fingerprint": "abc"}
    lab = library.read_run(tmp_path / "lab")
    assert "unrecorded" in lab["fingerprint"]
    assert library.run_key(data_source="x", as_of="2017-10-31", **lab)[1] != _key()[1]


def test_missing_columns_refused(tmp_path):
    with pytest.raises(ValueError, match="lack columns"):
        library.record(tmp_path / "x.sqlite", pd.DataFrame({"run_id": ["r"]}))
