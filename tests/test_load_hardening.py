"""Load hardening (issues 13 items 7-10, 10 item 4): money under an explicit decimal mark,
extreme values, one id rule, duplicated headers, local times across DST, duplicate order lines."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from userops import datasets
from userops import schema as s
from userops.validation import MAX_ABS_VALUE, clean_table, reconcile, reject_summary

TZ = "America/New_York"


def _tx(n: int | None = None, **cols) -> pd.DataFrame:
    n = n or len(next(iter(cols.values()), [0, 0, 0]))
    base = {"customer_id": [str(i) for i in range(1, n + 1)], "order_id": [f"o{i}" for i in range(n)],
            "ts": ["2017-05-01 10:00:00"] * n, "amount": ["1.50"] * n}
    base.update(cols)
    return pd.DataFrame(base)


def _clean(raw: pd.DataFrame, **kw):
    return clean_table(raw, table="transactions", data_tz=TZ, **kw)


# -- item 7: money text under an explicit decimal mark ----------------------------------------

def test_decimal_point_reads_grouping_and_sets_ambiguous_commas_aside():
    c = _clean(_tx(amount=["1,234.50", "1,5", "1.234,56", "$ 2", "\uff11\uff12", "-12",
                           "(12.00)", "€1,000,000", "1 234.5", "- 3", "1 5", "\u22127"]))
    assert c.clean[s.AMOUNT].tolist() == [1234.5, 2.0, 12.0, -12.0, -12.0, 1_000_000.0, 1234.5, -3.0, -7.0]
    assert c.rejects["amount"].tolist() == ["1,5", "1.234,56", "1 5"]
    assert c.rejects["reason"].tolist() == ["ambiguous amount under decimal='.'"] * 3
    assert c.rejects["amount_parsed"].isna().all()  # an ambiguous amount has no value


def test_decimal_comma_reads_european_exports():
    c = _clean(_tx(amount=["1.234,56", "1,5", "1,234.50", "12", "1\u202f234,5", "-0,5"]), decimal=",")
    assert c.clean[s.AMOUNT].tolist() == [1234.56, 1.5, 12.0, 1234.5, -0.5]
    assert c.rejects["reason"].tolist() == ["ambiguous amount under decimal=','"]
    assert c.rejects["amount"].tolist() == ["1,234.50"]


def test_decimal_rule_applies_to_optional_money_and_numbers():
    c = _clean(_tx(discount=["0,5", "0.5", ""], quantity=["2", "1,5", "3"]))
    assert sorted(c.rejects["reason"]) == ["ambiguous discount under decimal='.'",
                                           "ambiguous quantity under decimal='.'"]


def test_decimal_must_be_point_or_comma():
    with pytest.raises(ValueError, match="decimal"):
        _clean(_tx(), decimal=";")


# -- item 8: non-finite and out-of-range values ------------------------------------------------

def test_huge_and_infinite_amounts_are_set_aside_and_gmv_stays_finite():
    c = _clean(_tx(amount=["1e308", "1e308", "inf", "-Infinity", "5", "nan"]))
    assert c.clean[s.AMOUNT].tolist() == [5.0]
    reasons = c.rejects["reason"].value_counts().to_dict()
    assert reasons == {"amount out of range": 4, "missing or unparseable amount": 1}
    rec = reconcile({"transactions": c}).iloc[0]
    for col in ("input_amount", "kept_amount", "rejected_amount", "return_amount"):
        assert math.isfinite(rec[col]), col
    assert rec["input_amount"] == rec["kept_amount"] == 5.0
    assert rec["rows_amount_unparseable"] == 5
    assert reject_summary({"transactions": c})["amount"].isna().all()


def test_the_limit_is_inclusive_and_applies_to_numeric_columns():
    raw = _tx(amount=[MAX_ABS_VALUE, -MAX_ABS_VALUE, MAX_ABS_VALUE * 10, float("inf")])
    raw["amount"] = raw["amount"].astype(float)  # as Parquet would give it
    c = _clean(raw)
    assert c.clean[s.AMOUNT].tolist() == [MAX_ABS_VALUE, -MAX_ABS_VALUE]
    assert c.rejects["reason"].tolist() == ["amount out of range"] * 2


def test_infinite_discount_is_set_aside():
    c = _clean(_tx(discount=["inf", "1", ""]))
    assert c.rejects["reason"].tolist() == ["discount out of range"]


def test_far_timestamps_are_set_aside_not_raised():
    c = _clean(_tx(ts=["9999-12-31 23:59:59", "1800-01-01 10:00", "2017-05-01 10:00",
                       "9999-12-31T23:59:59+09:00"]))
    assert len(c.clean) == 1
    assert c.rejects["reason"].tolist() == ["ts out of range"] * 3
    with_cutoff = _clean(_tx(ts=["9999-12-31 23:59:59", "2017-05-01 10:00"]),
                         as_of=pd.Timestamp("2017-12-31"))
    assert with_cutoff.rejects["reason"].tolist() == ["ts out of range"]


def test_far_dates_and_aware_datetimes_are_set_aside():
    strat = pd.DataFrame({"strategy_id": ["a", "b", "c"], "start": ["2017-01-01", "1066-10-14", "2017-01-01"],
                          "end": ["9999-12-31", "2017-02-01", "2017-03-01"]})
    c = clean_table(strat, table="strategies", data_tz=TZ)
    assert c.rejects["reason"].tolist() == ["end out of range", "start out of range"]
    aware = _tx(ts=pd.to_datetime(["2017-05-01 10:00", "1850-05-01 10:00", "2017-05-02 00:00"]).tz_localize("UTC"))
    assert _clean(aware).rejects["reason"].tolist() == ["ts out of range"]


# -- item 9: ids -----------------------------------------------------------------------------

def test_one_id_rule_float_text_zero_padding_whitespace_fullwidth():
    raw = _tx(customer_id=["1188", "1188.0", " 001188 ", "\uff11\uff11\uff18\uff18", "A-07", "0"],
              order_id=["o1", "o1", "o1", "o1", "o2", "o3"], amount=["1", "2", "3", "4", "5", "6"])
    c = _clean(raw)
    assert c.clean[s.CUSTOMER_ID].tolist() == ["1188"] * 4 + ["A-07", "0"]
    assert reconcile({"transactions": c}).iloc[0]["ids_merged"] == 1  # 1188 was written 4 ways


def test_float_ids_from_parquet_match_text_ids():
    raw = _tx(customer_id=[1188.0, 7.0, None])
    assert _clean(raw).clean[s.CUSTOMER_ID].tolist() == ["1188", "7"]
    padded = _clean(_tx(customer_id=["0007", "7", "07"]))
    assert padded.clean[s.CUSTOMER_ID].tolist() == ["7"] * 3


def test_share_of_ids_that_match_transactions_is_reported(tmp_path):
    pd.DataFrame({"customer_id": ["1", "2", "3", "4"], "order_id": ["a", "b", "c", "d"],
                  "ts": "2017-05-01 10:00", "amount": "1"}).to_csv(tmp_path / "transactions.csv", index=False)
    # customers written zero-padded: they match under the id rule; x9 and x8 never bought
    pd.DataFrame({"customer_id": ["0001", "0002", "x9", "x8"], "age": "30"}).to_csv(
        tmp_path / "customers.csv", index=False)
    pd.DataFrame({"strategy_id": ["s1"], "start": ["2017-01-01"], "end": ["2017-02-01"]}).to_csv(
        tmp_path / "strategies.csv", index=False)
    pd.DataFrame({"customer_id": ["1", "2", "3", "99"], "strategy_id": ["s1", "s1", "zz", "s1"]}).to_csv(
        tmp_path / "exposures.csv", index=False)
    ds = datasets.load(tmp_path, as_of="2017-12-31")
    rec = ds.reconciliation.set_index("table")
    assert rec.loc["customers", "customer_ids_in_transactions"] == 0.5
    assert rec.loc["exposures", "customer_ids_in_transactions"] == 0.75
    assert rec.loc["exposures", "strategy_ids_in_strategies"] == 0.5
    assert pd.isna(rec.loc["transactions", "customer_ids_in_transactions"])
    assert pd.isna(rec.loc["customers", "strategy_ids_in_strategies"])


# -- item 10: duplicated header ----------------------------------------------------------------

def test_duplicated_csv_header_is_refused_with_table_and_column(tmp_path):
    (tmp_path / "transactions.csv").write_text(
        "customer_id,order_id,ts,amount,customer_id\n1,a,2017-01-01 10:00,5,2\n")
    with pytest.raises(s.DataError, match=r"table 'transactions'.*'customer_id' appears 2 times"):
        datasets.load(tmp_path, as_of="2017-12-31")


def test_a_real_column_named_like_a_pandas_suffix_is_not_refused(tmp_path):
    (tmp_path / "transactions.csv").write_text(
        "customer_id,order_id,ts,amount,customer_id.1\n1,a,2017-01-01 10:00,5,x\n")
    ds = datasets.check(tmp_path)
    assert ds.transactions[s.CUSTOMER_ID].tolist() == ["1"]


# -- issue 10 item 4: local times across DST, duplicate order lines ----------------------------

def test_dst_fall_back_hour_kept_as_first_and_gap_shifted_forward_and_counted():
    ts = ["2017-11-05 01:30:00", "2017-03-12 02:30:00", "2017-11-05 00:30:00", "2017-05-01 10:00"]
    c = clean_table(_tx(ts=ts), table="transactions", data_tz="UTC", source_tz=TZ)
    assert c.rejects.empty and len(c.clean) == 4
    # 01:30 in the repeated hour is the first occurrence (EDT, UTC-4); 02:30 moves to 03:00 EDT
    assert c.clean[s.TS].tolist()[:2] == [pd.Timestamp("2017-11-05 05:30"), pd.Timestamp("2017-03-12 07:00")]
    rec = reconcile({"transactions": c}).iloc[0]
    assert (rec["ts_dst_ambiguous_kept"], rec["ts_dst_gap_shifted"]) == (1, 1)
    # a row set aside for another reason is not counted as kept
    other = clean_table(_tx(ts=ts, amount=["x", "x", "1", "1"]), table="transactions", data_tz="UTC",
                        source_tz=TZ)
    rec = reconcile({"transactions": other}).iloc[0]
    assert (rec["ts_dst_ambiguous_kept"], rec["ts_dst_gap_shifted"]) == (0, 0)


def test_dst_counts_reach_the_data_quality_text(tmp_path):
    from userops.narrative import tiering

    pd.DataFrame({"customer_id": ["1", "2", "3"], "order_id": ["a", "b", "c"],
                  "ts": ["2017-11-05 01:30:00", "2017-03-12 02:30:00", "2017-05-01 10:00"],
                  "amount": "1"}).to_csv(tmp_path / "transactions.csv", index=False)
    pd.DataFrame({"customer_id": ["1", "x7", "x8", "x9"]}).to_csv(tmp_path / "customers.csv", index=False)
    text = tiering.data_quality(datasets.load(tmp_path, as_of="2017-12-31"))
    assert "**1** local time in the repeated hour" in text
    assert "**1** local time in the skipped hour" in text
    assert "Only **25.0%** of the customer ids in customers occur in transactions" in text


def test_exact_duplicate_order_lines_without_product_are_set_aside_or_kept():
    raw = _tx(customer_id=["1", "1", "2"], order_id=["a", "a", "b"], amount=["5", "5", "5"])
    c = _clean(raw)
    assert c.rejects["reason"].tolist() == ["duplicate order line"] and len(c.clean) == 2
    kept = _clean(raw, keep_duplicate_lines=True)
    assert kept.rejects.empty and len(kept.clean) == 3
    # two lines of one order with other amounts are not duplicates
    assert _clean(raw.assign(amount=["5", "6", "5"])).rejects.empty


def test_load_passes_the_new_parameters(tmp_path):
    pd.DataFrame({"customer_id": ["1", "1"], "order_id": ["a", "a"], "ts": "2017-05-01 10:00",
                  "amount": ["1,5", "1,5"]}).to_csv(tmp_path / "transactions.csv", index=False)
    ds = datasets.load(tmp_path, as_of="2017-12-31", decimal=",", keep_duplicate_lines=True)
    assert ds.transactions[s.AMOUNT].tolist() == [1.5, 1.5]
    ds = datasets.check(tmp_path, decimal=",")
    assert ds.rejects["reason"].tolist() == ["duplicate order line"]
