"""DuckDB and Spark agree exactly on every :mod:`userops.features` output.

Edge-case lines (integer cents, returns, zero-value orders, nulls, ties, DST wall-clock times,
day, week and as_of boundaries, a customer with one line) plus a seeded random block are read
by each engine from the same Parquet file, and every features table is computed on both and
compared with ``assert_frame_equal`` at zero tolerance (values, dtypes, row order). One local
SparkSession (``local[2]``) is shared by the module; marked ``spark`` (``-m "not spark"`` skips).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import tiny_notebook

from userops import cli, features
from userops import schema as s

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

AS_OF = pd.Timestamp("2017-11-30")


def edge_lines() -> pd.DataFrame:
    """Hand-made lines for the edge cases, then a seeded random block for breadth."""
    rows = [
        # customer, order, ts (local wall clock), amount, store, category, discount, coupon
        ("A", "o1", "2017-03-12 02:30:00", 0.10, "s1", "MEAT", 0.05, None),   # no such NY time (DST gap)
        ("A", "o1", "2017-03-12 03:10:00", 0.20, "s1", None, None, None),     # 0.1 + 0.2 in cents
        ("A", "o2", "2017-11-05 01:30:00", 19.99, "s2", "MEAT", 1.00, 1.00),  # twice in NY (DST fold)
        ("A", "o3", "2017-11-05 01:30:00", -19.99, "s2", "MEAT", None, None),  # a return: net <= 0
        ("A", "o4", "2017-11-30 23:59:59", 2.675, "s1", "PRODUCE", 0.0, 0.0),  # last second of as_of
        ("A", "o5", "2017-12-01 00:00:00", 5.00, "s1", "PRODUCE", 0.0, None),  # after as_of: ignored
        ("B", "o6", "2017-11-26 23:59:59", 3.333, "s1", "DAIRY", 0.5, None),   # Sunday, last second
        ("B", "o6", "2017-11-27 00:00:01", 1.111, "s3", "DAIRY", 0.5, None),   # same order, next day (Monday)
        ("B", "o7", "2017-11-27 12:00:00", 0.00, "s3", "DAIRY", 0.0, None),    # zero-value order at noon
        ("B", "o8", "2017-11-27 17:00:00", 7.50, None, "(none)", 0.0, None),   # null store, 17h sharp
        ("B", "o9", "2017-11-28 11:59:59", 7.50, "s1", "DAIRY", 0.0, None),    # stores tie 1:1:1
        ("c10", "o10", "2016-12-01 00:00:00", 100.00, "s1", "MEAT", 10.0, 2.0),  # first day of the window
        ("c10", "o11", "2016-11-30 23:59:59", 50.00, "s1", "MEAT", 0.0, None),   # the second before it
        ("c10", "o12", "2017-08-31 10:00:00", -0.01, "s1", "MEAT", 0.0, None),   # only negative in recent
        ("c2", "o13", "2017-06-15 09:00:00", 1e6 + 0.01, "s9", "BIG", 0.0, None),  # large amount
        ("solo", "o14", "2017-07-04 12:34:56", 42.42, "s4", "GROCERY", 0.0, None),  # one line
        ("neg", "o15", "2017-05-01 08:00:00", -3.00, "s1", "GROCERY", 0.0, None),  # returns only
        ("neg", "o16", "2017-09-01 08:00:00", -4.00, "s1", "GROCERY", 0.0, None),
        ("Ünï", "o17", "2017-02-28 18:00:00", 12.34, "s1", "GROCERY", 0.0, None),  # non-ASCII id
        ("Ünï", "o18", "2017-03-01 06:00:00", 12.34, "s1", "GROCERY", 0.0, None),  # month boundary
    ]
    hand = pd.DataFrame(rows, columns=[s.CUSTOMER_ID, s.ORDER_ID, s.TS, s.AMOUNT, s.STORE_ID,
                                       s.CATEGORY, s.DISCOUNT, s.COUPON_DISCOUNT])
    rng = np.random.default_rng(12)
    n = 3000
    cust = rng.integers(0, 80, n)
    order = cust * 1000 + rng.integers(0, 25, n)  # ~25 orders per customer, several lines each
    start = pd.Timestamp("2016-06-01")
    day = (order * 7919) % 560  # one day per order (lines of an order share it)
    secs = rng.integers(0, 86400, n)
    random = pd.DataFrame({
        s.CUSTOMER_ID: [f"r{c:03d}" for c in cust], s.ORDER_ID: [f"q{o}" for o in order],
        s.TS: start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(secs, unit="s"),
        s.AMOUNT: np.round(rng.normal(4, 6, n), 2),  # some negative lines
        s.STORE_ID: np.where(rng.random(n) < 0.05, None, [f"s{k}" for k in rng.integers(0, 4, n)]),
        s.CATEGORY: np.where(rng.random(n) < 0.05, None, rng.choice(["MEAT", "DAIRY", "PRODUCE"], n)),
        s.DISCOUNT: np.where(rng.random(n) < 0.05, np.nan, np.round(rng.exponential(0.5, n), 2)),
        s.COUPON_DISCOUNT: np.where(rng.random(n) < 0.9, np.nan, 0.25),
    })
    out = pd.concat([hand.assign(**{s.TS: pd.to_datetime(hand[s.TS])}), random], ignore_index=True)
    return out.astype({s.CUSTOMER_ID: "str", s.ORDER_ID: "str", s.TS: "datetime64[us]",
                       s.AMOUNT: "float64", s.DISCOUNT: "float64", s.COUPON_DISCOUNT: "float64"})


def all_outputs(tx) -> dict[str, object]:
    """Every features output on the engine in use (:func:`userops.features.use`)."""
    out: dict[str, object] = {}
    out["rfm"] = features.rfm(tx, as_of=AS_OF)
    out["rfm_30_7"] = features.rfm(tx, as_of=AS_OF, window_days=30, recent_days=7)
    collapsed = features.collapse(tx, as_of=AS_OF)
    out["rfm_collapsed"] = features.rfm(collapsed, as_of=AS_OF)
    snaps = list(pd.date_range("2017-01-31", "2017-10-31", freq="ME"))
    out["recency_snapshots"] = features.recency_snapshots(collapsed, snapshots=snaps, horizon_days=30)
    for period in ("Q", "4W"):
        bounds = features.period_bounds(as_of=AS_OF, period=period, n_periods=4)
        out[f"period_activity_{period}"] = features.period_activity(tx, bounds=bounds)
    out["monthly_activity"] = features.monthly_activity(tx, as_of=AS_OF)
    days = features.order_days(tx, as_of=AS_OF)
    out["order_days"] = days
    windows = pd.DataFrame({s.CUSTOMER_ID: ["A", "B", "c10", "r001", "r002", "nobody", "B"],
                            "start": pd.to_datetime(["2017-03-01", "2017-11-26", "2016-11-30", "2017-01-01",
                                                     "2016-06-01", "2017-01-01", "2017-11-28"]),
                            "end": pd.to_datetime(["2017-03-31", "2017-11-26", "2016-12-01", "2017-03-31",
                                                   "2016-09-01", "2017-12-31", "2017-11-28"])})
    out["window_orders_frame"] = features.window_orders(days, windows=windows, after_days=7)
    out["window_orders_table"] = features.window_orders(features.order_days_table(tx, as_of=AS_OF),
                                                        windows=windows, after_days=7)
    out["category_spend"] = features.category_spend(tx, as_of=AS_OF)
    out["category_spend_90"] = features.category_spend(tx, as_of=AS_OF, window_days=90)
    out["weekly_activity"] = features.weekly_activity(tx, as_of=AS_OF)
    weekly = features.weekly_table(tx, as_of=AS_OF)
    out["first_weeks"] = features.first_weeks(weekly)
    out["first_weeks_frame"] = features.first_weeks(out["weekly_activity"])
    wins = pd.DataFrame({"window": [0, 1, 2, 3], "start": pd.to_datetime(
        ["2017-01-02", "2017-06-05", "2017-11-27", "2017-05-01"]), "end": pd.to_datetime(
        ["2017-03-27", "2017-11-27", "2017-11-27", "2017-04-24"])})  # the last one is empty
    out["week_windows"] = features.week_windows(weekly, windows=wins)
    ids = pd.Series(["A", "B", "solo", "r003", "r010", "nobody"])
    out["week_rows"] = features.week_rows(weekly, customers=ids, start=pd.Timestamp("2017-01-02"),
                                          end=pd.Timestamp("2017-11-27"))
    out["window_spend"] = features.window_spend(weekly, windows=windows)
    out["window_spend_frame"] = features.window_spend(out["weekly_activity"], windows=windows)
    out["first_line"] = features.first_line(tx)
    out["preferences"] = features.preferences(tx, as_of=AS_OF)
    out["preferences_90"] = features.preferences(tx, as_of=AS_OF, window_days=90)
    out["purchase_days"] = features.purchase_days(tx, as_of=AS_OF)
    out["purchase_days_collapsed"] = features.purchase_days(collapsed, as_of=AS_OF)
    return out


# the public functions of features that compute tables, each called by all_outputs (directly,
# or as the input of one that is: orders, lines, as_table, as_weekly, order_days_table)
COVERED = {"rfm", "collapse", "recency_snapshots", "period_bounds", "period_activity", "monthly_activity",
           "order_days", "order_days_table", "window_orders", "category_spend", "weekly_activity",
           "weekly_table", "first_weeks", "week_windows", "week_rows", "window_spend", "first_line",
           "preferences", "purchase_days", "orders", "lines", "as_table", "as_weekly"}
# (keep_orders computes no table: it names the file where orders of prepared lines are kept)
ENGINE_HELPERS = {"ENGINES", "connect", "spark", "use", "engine", "engine_name", "memtable", "keep_orders"}


def test_every_public_feature_is_compared():
    assert set(features.__all__) - ENGINE_HELPERS == COVERED


def assert_same(duck: dict[str, object], spark: dict[str, object]) -> None:
    assert sorted(duck) == sorted(spark)
    for name in duck:
        a, b = duck[name], spark[name]
        if isinstance(a, pd.DataFrame):
            assert len(a) > 0, name  # an empty table would agree on nothing
            pd.testing.assert_frame_equal(a, b, check_exact=True, obj=name)
        elif isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and np.array_equal(a, b), name
        else:
            assert type(a) is type(b) and a == b, name


@pytest.fixture(scope="module")
def spark_con():
    pytest.importorskip("pyspark")
    con = features.spark(master="local[2]")
    # small data: two shuffle partitions (one per core) and no code generation, which costs
    # more than it saves on a few thousand rows; the results are the same (the bench runs the
    # defaults)
    con.raw_sql("SET spark.sql.shuffle.partitions = 2")
    con.raw_sql("SET spark.sql.codegen.wholeStage = false")
    return con


@pytest.fixture(scope="module")
def lines_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("engines") / "transactions.parquet"
    edge_lines().to_parquet(path, index=False)
    return path


@pytest.fixture(scope="module")
def duck_outputs(lines_file):
    features.use(features.connect())
    try:
        return all_outputs(str(lines_file))
    finally:
        features.use(None)


def test_every_features_output_is_equal_on_duckdb_and_spark(spark_con, lines_file, duck_outputs):
    features.use(spark_con)
    try:
        got = all_outputs(str(lines_file))
    finally:
        features.use(None)
    assert_same(duck_outputs, got)


def test_a_frame_in_memory_gives_the_same_tables_on_spark(spark_con, duck_outputs):
    """A pandas frame enters Spark as an in-memory table: same values as DuckDB on the file."""
    features.use(spark_con)
    try:
        tx = edge_lines()
        got = {"rfm": features.rfm(tx, as_of=AS_OF), "preferences": features.preferences(tx, as_of=AS_OF),
               "weekly_activity": features.weekly_activity(tx, as_of=AS_OF)}
    finally:
        features.use(None)
    assert_same({k: duck_outputs[k] for k in got}, got)


def test_a_spark_table_and_a_user_folder_with_nanosecond_times(spark_con, duck_outputs, lines_file, tmp_path):
    """A table of the Spark catalog (as a warehouse table would be) is read as it is; a user's
    Parquet folder with nanosecond times (which Spark 4.0 cannot read: PARQUET_TYPE_ILLEGAL)
    goes through the prepared lines, which DuckDB writes in microseconds for Spark."""
    from userops import datasets

    spark_con._session.read.parquet(str(lines_file)).createOrReplaceTempView("warehouse_tx")
    folder = tmp_path / "user"
    folder.mkdir()
    lines = edge_lines()
    lines.astype({s.TS: "datetime64[ns]"}).to_parquet(folder / "transactions.parquet", index=False)
    import pyarrow.parquet as pq
    assert pq.read_schema(folder / "transactions.parquet").field(s.TS).type.unit == "ns"
    ds = datasets.open_prepared(datasets.prepare(folder, store=tmp_path / "out", as_of=str(AS_OF.date()),
                                                 log=lambda *_: None), as_of=str(AS_OF.date()))
    features.use(features.connect())
    try:
        duck = features.rfm(ds.lines(), as_of=AS_OF)
    finally:
        features.use(None)
    con = features.use(spark_con._session)  # a SparkSession is wrapped in an ibis connection (README)
    try:
        assert con.name == "pyspark" and features.engine() is con
        got = {"rfm": features.rfm(con.table("warehouse_tx"), as_of=AS_OF)}
        prepared = features.rfm(ds.lines(), as_of=AS_OF)
    finally:
        features.use(None)
    assert_same({"rfm": duck_outputs["rfm"]}, got)
    assert_same({"rfm": duck}, {"rfm": prepared})


def test_engine_follows_use_and_the_environment(spark_con, monkeypatch):
    monkeypatch.setenv("USEROPS_ENGINE", "spark")
    assert features.engine() is spark_con  # the local session is started once and reused
    monkeypatch.setenv("USEROPS_ENGINE", "duckdb")
    assert features.engine() is features.connect()
    features.use(spark_con)
    try:
        assert features.engine() is spark_con and features.engine_name() == "pyspark"
    finally:
        features.use(None)
    monkeypatch.setenv("USEROPS_ENGINE", "postgres")
    with pytest.raises(ValueError, match="USEROPS_ENGINE='postgres' is not an engine"):
        features.engine()


ENGINE_STEP = """from userops import artifacts, datasets, features
ds = datasets.load(data)
r = features.rfm(ds.lines(), as_of=ds.as_of)
artifacts.write_headlines({"engine": features.engine_name(), "customers": len(r),
                           "monetary_cents": int(round(r["monetary"].sum() * 100))}, out_dir=out_dir, step="01")
"""


@pytest.mark.slow
def test_report_engine_reaches_the_kernels_and_the_manifest(tmp_path, spark_con):
    """``--engine spark``: the step's features run on Spark in its kernel (the numbers DuckDB
    gives here), and the manifest says which engine ran."""
    from userops import datasets

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "01_engine.ipynb", ENGINE_STEP)
    out = tmp_path / "out"
    assert cli.main(["report", "--data", "synthetic", "--set", "n_customers=60", "--out", str(out),
                     "--notebooks", str(nbs), "--engine", "spark"]) == 0
    manifest = json.loads((out / "2017-12-31" / "manifest.json").read_text())
    assert manifest["engine"] == "spark" and manifest["ok"]
    ds = datasets.load("synthetic", n_customers=60)
    r = features.rfm(ds.lines(), as_of=ds.as_of)  # DuckDB, in this process
    assert manifest["steps"][0]["headlines"] == {
        "engine": "pyspark", "customers": len(r), "monetary_cents": int(round(r["monetary"].sum() * 100))}
    assert "Spark" not in (out / "2017-12-31" / "01_engine.html").read_text()  # no JVM notices on the page
