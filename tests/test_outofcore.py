"""Transactions validated out of core (DuckDB) give what the in-memory (pandas) path gives; the
prepared data is reused while the input is unchanged and validated again when it changes."""
from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from userops import artifacts, datasets, outofcore
from userops import schema as s
from userops.validation import normalize_columns

sys.path.insert(0, str(Path(__file__).parent / "shapes"))
import shapes  # noqa: E402


def _plant(tx: pd.DataFrame) -> pd.DataFrame:
    """The shape's lines (as text) with bad and oddly written rows planted among them: each
    reason of the rules, values only pandas reads (currency signs, grouping, full-width digits,
    offsets, padded ids, times in a daylight-saving change), exact copies and copies written
    another way."""
    tx = normalize_columns(tx, table="transactions").astype(object)
    base = tx.sample(40, random_state=0).reset_index(drop=True)
    planted = []

    def row(i: int, **values: object) -> None:
        r = base.iloc[i].copy()
        for col, value in values.items():
            if col in r.index:
                r[col] = value
        planted.append(r)

    row(0, customer_id=None), row(1, amount="abc"), row(2, amount="1e13"), row(3, ts="2300-01-01 10:00:00")
    row(4, ts="not a time"), row(5, amount="$12.50"), row(6, amount="(3.00)"), row(7, amount="1,234.5")
    row(8, customer_id=f" {base.iloc[8]['customer_id']} "), row(9, ts="2017-03-12 02:30:00")
    row(10, ts="2017-11-05 01:30:00"), row(11, ts="2017-06-01T10:00:00+02:00")
    row(12, order_id=f"00{base.iloc[12]['order_id']}"), row(13, amount=""), row(14, ts="")
    row(15, amount="１２.５"), row(16, amount="inf"), row(17, amount="12,5"), row(18, quantity="x")
    row(19, quantity=""), row(20, store_id=""), row(21, store_id="007"), row(22, category="  GROCERY ")
    row(23, category=""), row(24, ts="2017-02-30 10:00:00"), row(25, ts="2017-01-01")
    row(26, amount="-0.5"), row(27, amount="12.")
    return pd.concat([tx, pd.DataFrame(planted), base.iloc[30:35], tx.iloc[:3]], ignore_index=True)


def _shape(name: str, folder: Path) -> tuple[str, dict]:
    shape = shapes.write(name, folder)
    params = {k: ast.literal_eval(v) if k == "decimal" else v for k, v in shape.params.items()
              if k in datasets.LOAD_PARAMETERS}
    tx = folder / "transactions.csv"
    if tx.exists():
        raw = pd.read_csv(tx, dtype=str, encoding=shape.encoding, keep_default_na=False, na_values=[""])
        _plant(raw).to_csv(tx, index=False, encoding=shape.encoding)
    return shape.as_of, params


def _typed_bad_rows(folder: Path) -> None:
    """Typed Parquet lines with missing ids, NaN and far amounts, far and aware times."""
    tx = pd.read_parquet(folder / "transactions.parquet")
    bad = tx.head(6).copy()
    bad["amount"] = bad["amount"].astype("float64")
    bad.loc[bad.index[0], "amount"] = np.nan
    bad.loc[bad.index[1], "amount"] = 5e12
    bad.loc[bad.index[2], "customer_id"] = None
    bad.loc[bad.index[3], "ts"] = pd.Timestamp("1850-01-01", tz=tx["ts"].dt.tz)
    whole = pd.concat([tx, bad, tx.head(4)], ignore_index=True)
    whole.to_parquet(folder / "transactions.parquet", index=False)


def _same(folder: Path, as_of: str, params: dict, store: Path) -> datasets.Dataset:
    old = datasets.load(folder, as_of=as_of, **params)
    new = datasets.open_prepared(datasets.prepare(folder, store=store, as_of=as_of, log=lambda *_: None,
                                                  **params), as_of=as_of)
    pd.testing.assert_frame_equal(new.rejects, old.rejects)  # reasons, counts, GMV, example rows
    pd.testing.assert_frame_equal(new.reconciliation, old.reconciliation, check_exact=False, rtol=1e-12)
    assert new.row_counts() == old.row_counts()
    cols = list(old.transactions.columns)
    got = new.transactions
    assert list(got.columns) == cols
    pd.testing.assert_frame_equal(got.sort_values(cols).reset_index(drop=True).astype(object),
                                  old.transactions.sort_values(cols).reset_index(drop=True).astype(object))
    for name in old.tables:
        if name != "transactions":
            pd.testing.assert_frame_equal(new.tables[name], old.tables[name])
    again = datasets.open_prepared(new.path, as_of=as_of)  # what the first open kept for this date
    for name in old.tables:
        if name != "transactions":
            pd.testing.assert_frame_equal(again.tables[name], old.tables[name])
    pd.testing.assert_frame_equal(again.rejects, old.rejects)
    pd.testing.assert_frame_equal(again.reconciliation, new.reconciliation)
    assert again.row_counts() == old.row_counts()
    return new


@pytest.mark.parametrize("name", ["naive_dst", "spreadsheet_export", "order_level", "japanese_cp932",
                                  "parquet_typed"])
def test_out_of_core_gives_the_lines_rejects_and_reasons_of_the_pandas_path(name, tmp_path):
    folder = tmp_path / name
    as_of, params = _shape(name, folder)
    if (folder / "transactions.parquet").exists():
        _typed_bad_rows(folder)
    ds = _same(folder, as_of, params, tmp_path / "out")
    assert len(ds.rejects) > 0
    # an earlier cut: lines after it are set aside at read time, with the same examples
    early = (pd.Timestamp(as_of) - pd.Timedelta(days=45)).date().isoformat()
    ds = _same(folder, early, params, tmp_path / "out")
    assert "after as_of" in set(ds.rejects["reason"])


def test_embedded_sample_with_planted_rows_and_kept_duplicates(sample_dir, tmp_path):
    folder = tmp_path / "sample"
    folder.mkdir()
    for f in sample_dir.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    raw = pd.read_csv(folder / "transactions.csv", dtype=str, keep_default_na=False, na_values=[""])
    _plant(raw).to_csv(folder / "transactions.csv", index=False)
    ds = _same(folder, "2017-12-31", {"keep_duplicate_lines": True}, tmp_path / "out")
    assert not ds.rejects["reason"].str.startswith("duplicate").any()
    rec = ds.reconciliation.set_index("table").loc["transactions"]
    assert rec["ids_merged"] >= 1 and rec["ts_dst_ambiguous_kept"] == 1 and rec["ts_dst_gap_shifted"] == 1


def test_unchanged_input_is_reused_and_a_changed_one_validated_again(sample_dir, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    for f in sample_dir.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    said: list[str] = []
    first = datasets.prepare(folder, store=tmp_path / "out", as_of="2017-12-31", log=said.append)
    assert any("validated" in line for line in said)
    said.clear()
    again = datasets.prepare(folder, store=tmp_path / "out", as_of="2017-11-30", log=said.append)
    assert again == first
    assert said == [f"[data] {folder}: input unchanged (fingerprint {first.name}): using the prepared "
                    f"data in {first}, not validating again"]
    # the fingerprint of the prepared folder is its input's (one function for both)
    assert artifacts.data_fingerprint(first) == datasets.fingerprint(folder) == first.name
    assert datasets.prepare(first, store=tmp_path / "out", log=said.append) == first
    # another load parameter, or a changed file: another fingerprint, validated again
    other = datasets.prepare(folder, store=tmp_path / "out", as_of="2017-12-31", data_tz="UTC",
                             log=said.append)
    assert other != first
    tx = folder / "transactions.csv"
    tx.write_text(tx.read_text() + tx.read_text().splitlines()[1] + "\n")
    os.utime(tx, ns=(tx.stat().st_atime_ns, tx.stat().st_mtime_ns + 10**9))
    said.clear()
    changed = datasets.prepare(folder, store=tmp_path / "out", as_of="2017-12-31", log=said.append)
    assert changed not in (first, other) and any("validated" in line for line in said)
    ds = datasets.open_prepared(changed, as_of="2017-12-31")
    assert ds.rejects.set_index("reason").loc["duplicate line", "rows"] == 1


def test_errors_are_the_pandas_path_messages(sample_dir, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "transactions.csv").write_bytes((sample_dir / "transactions.csv").read_bytes())
    store = tmp_path / "out"
    with pytest.raises(s.DataError) as old:  # nothing before the cut
        datasets.load(folder, as_of="2010-01-01")
    with pytest.raises(s.DataError) as new:
        datasets.open_prepared(datasets.prepare(folder, store=store, as_of="2010-01-01",
                                                log=lambda *_: None), as_of="2010-01-01")
    assert str(new.value) == str(old.value) and "Examples: " in str(new.value)
    raw = pd.read_csv(folder / "transactions.csv", dtype=str)
    raw.drop(columns="amount").to_csv(folder / "transactions.csv", index=False)
    with pytest.raises(s.DataError) as old:
        datasets.load(folder, as_of="2017-12-31")
    with pytest.raises(s.DataError) as new:
        datasets.prepare(folder, store=store, as_of="2017-12-31", log=lambda *_: None)
    assert str(new.value) == str(old.value)
    with pytest.raises(ValueError, match="`as_of` is required"):
        datasets.prepare(folder, store=store)


def test_memory_cap_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(outofcore.MEMORY_ENV, "512MB")
    con = outofcore.connect()
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0].startswith("488")
    monkeypatch.setenv(outofcore.MEMORY_ENV, "lots")
    with pytest.raises(ValueError, match="USEROPS_DUCKDB_MEMORY"):
        outofcore.connect()


def test_orders_of_the_prepared_lines_are_collapsed_once_per_cut_off_and_read_back(sample_dir, tmp_path):
    # issue 12: every step collapses the same lines at the same cut-off; the first writes the
    # orders beside the prepared lines and the others read them, with the same results
    from userops import features

    path = datasets.prepare(sample_dir, store=tmp_path / "out", as_of="2017-12-31", log=lambda *_: None)
    ds = datasets.open_prepared(path, as_of="2017-12-31")
    by_hand = features.engine().execute(features._orders(ds.lines(), as_of=ds.as_of)
                                        .order_by(["customer_id", "order_id"]))
    assert not list(path.glob("orders-*.parquet"))
    first = features.weekly_activity(ds.lines(), as_of=ds.as_of)
    kept = path / "orders-2017-12-31.parquet"
    assert kept.exists() and not list(path.glob(".orders-*"))
    read = features.engine().execute(features.orders(ds.lines(), as_of=ds.as_of).order_by(["customer_id", "order_id"]))
    pd.testing.assert_frame_equal(read, by_hand)
    assert features.weekly_activity(ds.lines(), as_of=ds.as_of).equals(first)
    # another cut-off (or the lines of another date) collapses the lines again, not the file
    earlier = datasets.open_prepared(path, as_of="2017-11-30")
    o = features.engine().execute(features.orders(earlier.lines(), as_of=earlier.as_of))
    assert pd.Timestamp(o["day"].max()) <= pd.Timestamp("2017-11-30")
    assert (path / "orders-2017-11-30.parquet").exists()
    assert features.engine().execute(features.orders(ds.lines(), as_of="2017-11-30").count()) == len(o)


def test_repeated_hashes_are_found_exactly():
    """``repeated`` (the duplicate check's candidates) gives the values that occur more than
    once, against numpy's count, with planted repeats and none."""
    rng = np.random.default_rng(7)
    h = rng.integers(0, np.iinfo(np.uint64).max, 50_000, dtype=np.uint64, endpoint=True)
    assert len(outofcore.repeated(h.copy())) == 0  # 64-bit values drawn at random: no repeats
    planted = np.concatenate([h, h[:100], h[:3], [h[7]] * 4]).astype(np.uint64)
    values, counts = np.unique(planted, return_counts=True)
    got = outofcore.repeated(rng.permutation(planted))
    assert np.array_equal(got, values[counts > 1]) and len(got) == 100
    assert len(outofcore.repeated(np.array([5], dtype=np.uint64))) == 0
    assert len(outofcore.repeated(np.array([], dtype=np.uint64))) == 0
