"""Cleaning at load: every rule sets rows aside with a reason; rows and GMV reconcile."""
from __future__ import annotations

import pandas as pd
import pytest

from userops import schema as s
from userops.validation import clean_table, normalize_columns, reconcile, reject_summary

TZ = "America/New_York"


def _tx(**cols) -> pd.DataFrame:
    base = {"customer_id": ["1", "2", "3"], "order_id": ["a", "b", "c"],
            "ts": ["2017-05-01 10:00:00"] * 3, "amount": ["1.50", "2.00", "3.00"]}
    base.update(cols)
    return pd.DataFrame(base)


def test_clean_rows_pass_with_canonical_types():
    c = clean_table(_tx(), table="transactions", data_tz=TZ)
    assert c.rejects.empty and len(c.clean) == 3
    assert str(c.clean[s.TS].dtype) == "datetime64[us]"
    assert c.clean[s.AMOUNT].tolist() == [1.5, 2.0, 3.0]
    assert c.clean[s.CUSTOMER_ID].tolist() == ["1", "2", "3"]


@pytest.mark.parametrize("col, bad, reason", [
    ("customer_id", ["", "2", "3"], "missing or unparseable customer_id"),
    ("amount", ["abc", "2", "3"], "missing or unparseable amount"),
    ("ts", ["not a time", "2017-05-01", "2017-05-01"], "missing or unparseable ts"),
])
def test_bad_required_value_is_set_aside_with_reason(col, bad, reason):
    c = clean_table(_tx(**{col: bad}), table="transactions", data_tz=TZ)
    assert len(c.clean) == 2
    assert c.rejects["reason"].tolist() == [reason]
    assert c.rejects[col].fillna("").tolist() == [bad[0]]  # the source value is kept as it was


def test_money_text_is_normalized_not_lost():
    c = clean_table(_tx(amount=["1,234.50", "$2", "\uff11\uff12"]), table="transactions", data_tz=TZ)
    assert c.clean[s.AMOUNT].tolist() == [1234.5, 2.0, 12.0]


def test_returns_are_kept_and_reported():
    c = clean_table(_tx(amount=["10", "-4", "5"]), table="transactions", data_tz=TZ)
    rec = reconcile({"transactions": c}).iloc[0]
    assert len(c.clean) == 3 and rec["return_amount"] == 4.0 and rec["kept_amount"] == 11.0


def test_timezones_naive_and_aware_end_in_local_time():
    c = clean_table(_tx(ts=["2017-05-01 12:00:00+00:00", "2017-05-01 08:00:00",
                            "2017-05-01T21:00:00+09:00"]), table="transactions", data_tz=TZ)
    assert c.clean[s.TS].dt.hour.tolist() == [8, 8, 8]
    utc = clean_table(_tx(ts=["2017-05-01 12:00:00"] * 3), table="transactions", data_tz=TZ,
                      source_tz="UTC")
    assert utc.clean[s.TS].dt.hour.tolist() == [8, 8, 8]


def test_duplicate_line_and_after_as_of():
    raw = _tx(product_id=["p", "p", "q"], order_id=["a", "a", "c"], customer_id=["1", "1", "3"],
              amount=["1.5", "1.5", "3"], ts=["2017-05-01 10:00", "2017-05-01 10:00", "2017-06-01 00:00"])
    c = clean_table(raw, table="transactions", data_tz=TZ, as_of=pd.Timestamp("2017-05-31"))
    assert sorted(c.rejects["reason"]) == ["after as_of", "duplicate line"]
    assert len(c.clean) == 1
    # the last instant of as_of is kept
    edge = _tx(ts=["2017-05-31 23:59:59.999999", "2017-06-01 00:00:00", "2017-05-01"])
    c2 = clean_table(edge, table="transactions", data_tz=TZ, as_of=pd.Timestamp("2017-05-31"))
    assert c2.rejects["reason"].tolist() == ["after as_of"] and len(c2.clean) == 2


def test_reconciliation_adds_up_in_rows_and_gmv():
    raw = _tx(customer_id=["", "2", "3"], amount=["5", "x", "7"])
    c = clean_table(raw, table="transactions", data_tz=TZ)
    rec = reconcile({"transactions": c}).iloc[0]
    assert rec["input_rows"] == rec["kept_rows"] + rec["rejected_rows"] == 3
    assert rec["input_amount"] == rec["kept_amount"] + rec["rejected_amount"] == 12.0
    assert rec["rows_amount_unparseable"] == 1
    summary = reject_summary({"transactions": c})
    assert summary.set_index("reason")["rows"].to_dict() == {
        "missing or unparseable amount": 1, "missing or unparseable customer_id": 1}
    assert "customer_id=2" in summary.set_index("reason").loc["missing or unparseable amount", "example_rows"]


def test_missing_required_column_names_table_column_and_found_columns():
    with pytest.raises(s.DataError, match=r"table 'transactions': missing required column\(s\) \['amount'\].*found"):
        clean_table(_tx().drop(columns="amount"), table="transactions", data_tz=TZ)


def test_empty_after_cleaning_stops_with_examples():
    with pytest.raises(s.DataError, match=r"all 3 rows were set aside .*missing or unparseable amount: 3.*Examples: customer_id=1"):
        clean_table(_tx(amount=["x", "y", "z"]), table="transactions", data_tz=TZ)


def test_header_bom_fullwidth_case_and_aliases():
    raw = pd.DataFrame({"\ufeffHousehold_ID": ["1"], "ＯＲＤＥＲ_ID": ["a"], " TS ": ["2017-01-01"],
                        "Sales_Value": ["1"]})
    assert list(normalize_columns(raw, table="transactions").columns) == [
        "customer_id", "order_id", "ts", "amount"]


def test_optional_missing_is_fine_but_unparseable_is_not():
    c = clean_table(_tx(quantity=["", "2", "two"]), table="transactions", data_tz=TZ)
    assert c.rejects["reason"].tolist() == ["unparseable quantity"]
    assert c.clean[s.QUANTITY].isna().sum() == 1


def test_unknown_strategy_and_bad_strategy_dates():
    strat = pd.DataFrame({"strategy_id": ["s1", "s2"], "start": ["2017-01-01", "2017-03-01"],
                          "end": ["2017-02-01", "2017-02-01"]})
    cs = clean_table(strat, table="strategies", data_tz=TZ)
    assert cs.rejects["reason"].tolist() == ["end before start"]
    exp = pd.DataFrame({"customer_id": ["1", "2"], "strategy_id": ["s1", "zz"]})
    ce = clean_table(exp, table="exposures", data_tz=TZ, strategy_ids=pd.Index(cs.clean["strategy_id"]))
    assert ce.rejects["reason"].tolist() == ["unknown strategy_id"]


def test_input_is_not_mutated():
    raw = _tx(amount=["1,000", "2", "3"])
    before = raw.copy()
    clean_table(raw, table="transactions", data_tz=TZ)
    pd.testing.assert_frame_equal(raw, before)
