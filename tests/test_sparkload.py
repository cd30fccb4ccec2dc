"""Transaction lines validated on Spark (``userops.sparkload``) give what DuckDB gives
(``userops.outofcore``): the same rows set aside with the same reasons, amounts and examples,
the same reconciliation and the same kept lines, on shapes with planted bad and oddly written
rows; what Spark does not validate is validated by DuckDB, and the log says so."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from userops import datasets, features

sys.path.insert(0, str(Path(__file__).parent))
import test_outofcore as planted  # noqa: E402

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="module")
def spark_con():
    pytest.importorskip("pyspark")
    con = features.spark(master="local[2]")
    con.raw_sql("SET spark.sql.shuffle.partitions = 2")  # small data: one partition per core
    # files read in many small parts, as a large file is: row numbers cross partitions
    session = con._session
    before = {k: session.conf.get(k, None) for k in _SPLIT}
    for k, value in _SPLIT.items():
        session.conf.set(k, value)
    yield con
    for k, value in before.items():
        session.conf.unset(k) if value is None else session.conf.set(k, value)


_SPLIT = {"spark.sql.files.maxPartitionBytes": "65536", "spark.sql.files.openCostInBytes": "0"}


def _both(folder: Path, as_of: str, params: dict, store: Path, spark_con) -> tuple[list[str], datasets.Dataset,
                                                                                  datasets.Dataset]:
    duck = datasets.open_prepared(datasets.prepare(folder, store=store / "duckdb", as_of=as_of,
                                                   log=lambda *_: None, **params), as_of=as_of)
    said: list[str] = []
    features.use(spark_con)
    try:
        path = datasets.prepare(folder, store=store / "spark", as_of=as_of, log=said.append, **params)
    finally:
        features.use(None)
    return said, duck, datasets.open_prepared(path, as_of=as_of)


def _assert_same(duck: datasets.Dataset, spark: datasets.Dataset) -> None:
    pd.testing.assert_frame_equal(spark.rejects, duck.rejects)  # reasons, counts, GMV, example rows
    pd.testing.assert_frame_equal(spark.reconciliation, duck.reconciliation)
    cols = list(duck.transactions.columns)
    got = spark.transactions.sort_values(cols).reset_index(drop=True)
    want = duck.transactions.sort_values(cols).reset_index(drop=True)
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_exact=True)


@pytest.mark.parametrize("name", ["naive_dst", "spreadsheet_export", "order_level"])
def test_spark_sets_aside_and_keeps_what_duckdb_does(name, tmp_path, spark_con):
    folder = tmp_path / name
    as_of, params = planted._shape(name, folder)
    said, duck, spark = _both(folder, as_of, params, tmp_path, spark_con)
    assert not any("not Spark" in line for line in said), said
    assert spark_con._session.read.csv(str(folder / "transactions.csv")).rdd.getNumPartitions() > 1
    assert (spark.path / "lines").is_dir()  # Spark wrote the kept lines, and the log and the record say so
    assert any("transaction lines on Spark as" in line for line in said), said
    assert json.loads((spark.path / "dataset.json").read_text())["transactions"]["validated_on"] == "spark"
    assert json.loads((duck.path / "dataset.json").read_text())["transactions"]["validated_on"] == "duckdb"
    assert len(duck.rejects) >= 5  # the planted reasons are there to agree on
    _assert_same(duck, spark)


def test_typed_parquet_with_bad_rows_and_duplicates(tmp_path, spark_con):
    """Typed columns (times without zone, in microseconds as Spark reads them), with missing
    ids, NaN and far amounts, far times and exact copies."""
    folder = tmp_path / "typed"
    as_of, params = planted._shape("parquet_typed", folder)
    tx = pd.read_parquet(folder / "transactions.parquet")
    tx["ts"] = tx["ts"].dt.tz_localize(None).astype("datetime64[us]")
    tx.to_parquet(folder / "transactions.parquet", index=False)
    planted._typed_bad_rows(folder)
    tx = pd.read_parquet(folder / "transactions.parquet")
    tx["ts"] = tx["ts"].astype("datetime64[us]")
    tx.to_parquet(folder / "transactions.parquet", index=False, row_group_size=1000)  # Spark splits it
    said, duck, spark = _both(folder, as_of, params, tmp_path, spark_con)
    assert not any("not Spark" in line for line in said), said
    assert spark_con._session.read.parquet(str(folder / "transactions.parquet")).rdd.getNumPartitions() > 1
    assert {"duplicate line", "missing or unparseable amount", "amount out of range"} <= set(duck.rejects["reason"])
    _assert_same(duck, spark)


def test_times_typed_with_a_zone(tmp_path, spark_con):
    """Times stored as instants (Spark's own timestamp type, microseconds): their wall-clock
    time in the data's zone, as DuckDB gives it, with far and missing times set aside."""
    folder = tmp_path / "aware"
    as_of, params = planted._shape("parquet_typed", folder)
    planted._typed_bad_rows(folder)
    tx = pd.read_parquet(folder / "transactions.parquet")
    assert tx["ts"].dt.tz is not None
    tx["ts"] = tx["ts"].astype(f"datetime64[us, {tx['ts'].dt.tz}]")
    tx.to_parquet(folder / "transactions.parquet", index=False)
    said, duck, spark = _both(folder, as_of, params, tmp_path, spark_con)
    assert not any("not Spark" in line for line in said), said
    assert "ts out of range" in set(duck.rejects["reason"])
    _assert_same(duck, spark)


def test_a_quoted_field_across_lines_is_left_to_duckdb_and_said(tmp_path, spark_con):
    """Spark reads a CSV file line by line (to split it); a quoted value holding a line break
    makes its read fail, and DuckDB validates the file instead, saying why."""
    folder = tmp_path / "multiline"
    as_of, params = planted._shape("naive_dst", folder)
    raw = pd.read_csv(folder / "transactions.csv", dtype=str, keep_default_na=False, na_values=[""])
    raw.loc[3, "category"] = "GRO\nCERY"
    raw.to_csv(folder / "transactions.csv", index=False)
    said, duck, spark = _both(folder, as_of, params, tmp_path, spark_con)
    assert any("validated with DuckDB, not Spark: Spark cannot read it" in line for line in said), said
    assert not (spark.path / "lines").exists()
    _assert_same(duck, spark)


def test_what_spark_does_not_validate_is_validated_by_duckdb_and_said(tmp_path, spark_con):
    folder = tmp_path / "cp932"
    as_of, params = planted._shape("japanese_cp932", folder)
    said, duck, spark = _both(folder, as_of, params, tmp_path, spark_con)
    assert any("validated with DuckDB, not Spark: encoding cp932" in line for line in said), said
    _assert_same(duck, spark)


def test_the_engine_named_in_the_environment_validates_a_users_folder(tmp_path, spark_con, monkeypatch):
    """What ``--engine spark`` sets in the runner (``USEROPS_ENGINE``) is enough for the loader;
    the embedded data stays on DuckDB and the log says why, without starting Spark for it."""
    folder = tmp_path / "naive_dst"
    as_of, params = planted._shape("naive_dst", folder)
    monkeypatch.setenv("USEROPS_ENGINE", "spark")
    said: list[str] = []
    path = datasets.prepare(folder, store=tmp_path / "out", as_of=as_of, log=said.append, **params)
    assert (path / "lines").is_dir() and not any("not Spark" in line for line in said)
    said.clear()
    path = datasets.prepare("synthetic", store=tmp_path / "out", n_customers=30, log=said.append)
    assert not (path / "lines").exists()
    assert any("validated with DuckDB, not Spark: the embedded data is a frame in memory" in line
               for line in said), said


STOP = """
import psutil
from userops import features
features.spark()._session.range(10).count()
assert [c.name() for c in psutil.Process().children(recursive=True)].count("java") == 1
features.stop_local_spark()
assert not features.local_spark_running()
assert "java" not in [c.name() for c in psutil.Process().children(recursive=True)]
assert features.spark()._session.range(10).count() == 10  # a later session starts a new JVM
print("ok")
"""


def test_stopping_the_local_session_ends_its_jvm(tmp_path):
    """The runner stops the session it started to validate the lines: its JVM ends (Spark's
    own stop leaves it running, holding memory, while the steps' kernels start theirs). In a
    child process: this one's session is shared by the other Spark tests."""
    pytest.importorskip("pyspark")
    import os
    import subprocess
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parents[1] / "lib"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", STOP], capture_output=True, text=True, env=env, cwd=tmp_path,
                          timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
