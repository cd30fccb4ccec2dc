"""Sources onto the canonical tables: user folders, prepared folders, the embedded data."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from userops import datasets
from userops import schema as s


def test_folder_needs_as_of(sample_dir):
    with pytest.raises(ValueError, match="`as_of` is required"):
        datasets.load(sample_dir)


def test_sample_folder_loads_all_tables(sample_dir):
    ds = datasets.load(sample_dir, as_of="2017-12-31")
    assert set(ds.tables) == {"transactions", "customers", "strategies", "exposures", "responses", "offers"}
    rec = ds.reconciliation.set_index("table")
    assert (rec["input_rows"] == rec["kept_rows"] + rec["rejected_rows"]).all()
    assert ds.transactions[s.TS].max() < pd.Timestamp("2018-01-01")


def test_earlier_as_of_sets_later_rows_aside_and_counts_them(sample_dir):
    ds = datasets.load(sample_dir, as_of="2017-11-30")
    rej = ds.rejects.set_index(["table", "reason"])
    late = rej.loc[("transactions", "after as_of"), "rows"]
    full = datasets.load(sample_dir, as_of="2017-12-31")
    assert late == len(full.transactions) - len(ds.transactions) > 0


def test_parquet_and_csv_give_the_same_tables(sample_dir, tmp_path):
    for f in sample_dir.glob("*.csv"):
        pd.read_csv(f, dtype=str).to_parquet(tmp_path / f"{f.stem}.parquet")
    a = datasets.load(sample_dir, as_of="2017-12-31")
    b = datasets.load(tmp_path, as_of="2017-12-31")
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_dtype=False)


def test_missing_transactions_and_two_files_for_one_table(tmp_path, sample_dir):
    with pytest.raises(s.DataError, match="table 'transactions': no transactions.csv"):
        datasets.load(tmp_path, as_of="2017-12-31")
    shutil.copy(sample_dir / "transactions.csv", tmp_path / "transactions.csv")
    pd.read_csv(tmp_path / "transactions.csv", dtype=str).to_parquet(tmp_path / "transactions.parquet")
    with pytest.raises(s.DataError, match="both"):
        datasets.load(tmp_path, as_of="2017-12-31")


def test_wrong_encoding_is_a_clear_error_and_the_encoding_parameter_fixes_it(tmp_path):
    text = "顧客ID,order_id,ts,金額\n1,a,2017-01-01 10:00,１２００\n"
    (tmp_path / "transactions.csv").write_bytes(text.replace("顧客ID", "customer_id")
                                                 .replace("金額", "amount").encode("cp932"))
    with pytest.raises(s.DataError, match="not readable as utf-8.*encoding"):
        datasets.load(tmp_path, as_of="2017-12-31")
    ds = datasets.load(tmp_path, as_of="2017-12-31", encoding="cp932")
    assert ds.transactions[s.AMOUNT].tolist() == [1200.0]


def test_exposures_without_strategies_is_refused(tmp_path, sample_dir):
    for name in ("transactions", "exposures"):
        shutil.copy(sample_dir / f"{name}.csv", tmp_path)
    with pytest.raises(s.DataError, match="table 'strategies'"):
        datasets.load(tmp_path, as_of="2017-12-31")


def test_prepared_round_trip_keeps_tables_rejects_and_truth(synthetic, tmp_path):
    synthetic.save(tmp_path / "d")
    back = datasets.load(tmp_path / "d")
    for name, frame in synthetic.tables.items():
        pd.testing.assert_frame_equal(frame, back.tables[name])
    pd.testing.assert_frame_equal(synthetic.reconciliation, back.reconciliation)
    assert set(back.truth) == set(synthetic.truth)
    with pytest.raises(ValueError, match="cut at"):
        datasets.load(tmp_path / "d", as_of="2017-06-30")


def test_as_of_must_be_a_date():
    with pytest.raises(ValueError, match="ISO date"):
        datasets.load("synthetic", as_of="last month", n_customers=10)
    with pytest.raises(ValueError, match="without a time"):
        datasets.load("synthetic", as_of="2017-12-31 10:00", n_customers=10)


def test_completejourney_maps_every_table():
    ds = datasets.load("completejourney")
    tx = ds.transactions
    assert ds.as_of == pd.Timestamp(datasets.CJ_AS_OF)
    assert tx[s.CUSTOMER_ID].nunique() == 2469 and tx[s.ORDER_ID].nunique() == 155848
    rec = ds.reconciliation.set_index("table").loc["transactions"]
    assert rec["input_rows"] == 1469307 == rec["kept_rows"] + rec["rejected_rows"]
    assert ds.row_counts()["strategies"] == 27 and ds.row_counts()["customers"] == 801
    # UTC -> local: the busiest hours move from 21-22h UTC to the late afternoon
    assert tx[s.TS].dt.hour.value_counts().idxmax() in (15, 16, 17)
