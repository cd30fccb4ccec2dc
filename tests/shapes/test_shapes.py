"""The shape battery: every data shape users bring publishes all six steps through the CLI.

Each shape is generated from a seed into its own temporary folder (nothing large is committed),
run with ``python -m userops report`` in a subprocess, and checked per step: the step succeeded,
no cell wrote an error, a stderr stream or a printed warning, and every section shows numbers or
a sentence saying why it cannot. ``pytest tests/shapes -m slow`` prints the battery's table at
the end. The shipped ``data/sample`` folder (the README's example) runs as two more shapes: with
default parameters and with ``period=M``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

import battery
import shapes

NAMES = [*shapes.SHAPES, *battery.SAMPLE_RUNS]


@pytest.fixture(scope="module", params=NAMES)
def run(request):
    # a folder of its own, not under pytest's basetemp: other pytest sessions on the machine
    # rotate those away, and a shape's run takes a minute; kept when USEROPS_KEEP_SHAPES is set
    root = Path(tempfile.mkdtemp(prefix=f"userops-shape-{request.param}-"))
    result = battery.run_shape(request.param, root)
    battery.RESULTS[request.param] = result
    yield result
    if not os.environ.get("USEROPS_KEEP_SHAPES"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_shape_publishes_every_step_and_section(run):
    """One test per shape (so that pytest-xdist never runs a shape's report twice): the run
    published, wrote nothing to stderr, and every step shows each section's numbers or says why."""
    assert run.exit_code == 0, f"{run.shape}: exit {run.exit_code}\n{run.stderr[-2000:]}"
    assert run.folder is not None and run.folder.name == run.folder.name.split(".")[0]
    assert run.stderr == "", f"{run.shape} wrote to stderr:\n{run.stderr[-2000:]}"
    problems = []
    for step in battery.STEPS:
        st = run.steps[step]
        if st.status != "ok":
            problems.append(f"{step}: {st.status} {st.error}")
            continue
        problems += [f"{step}: {p}" for p in st.problems]
        if not st.sections:
            problems.append(f"{step}: no sections read")
        empty = [h for h, kind in st.sections.items() if kind not in ("numbers", "statement")]
        if empty:
            problems.append(f"{step}: sections without output: {empty}")
    assert not problems, f"{run.shape}:\n" + "\n".join(problems)


# -- the generator itself (fast) -----------------------------------------------------------

def test_battery_has_the_shapes_users_bring():
    assert len(shapes.SHAPES) >= 16


@pytest.mark.parametrize("name", list(shapes.SHAPES))
def test_shape_is_deterministic_and_canonical(name, tmp_path):
    first = shapes.write(name, tmp_path / "a")
    second = shapes.generate(name)
    for table, frame in first.tables.items():
        pd.testing.assert_frame_equal(frame, second.tables[table])
        assert (tmp_path / "a" / f"{table}.{first.format}").exists()
    # canonical once the loader has mapped the names a person or a system wrote
    from userops.validation import normalize_columns
    tx = normalize_columns(first.tables["transactions"], table="transactions")
    assert {"customer_id", "order_id", "ts", "amount"} <= set(tx.columns)
    assert pd.to_datetime(tx["ts"], utc=True).max() <= pd.Timestamp(first.as_of, tz="UTC") + pd.Timedelta(days=2)


def test_shapes_are_what_they_say():
    """A few shapes checked against their definition, so that the battery tests what it names."""
    gen = {n: shapes.generate(n) for n in ("no_newcomers", "heavy_returns", "six_weeks", "one_customer",
                                           "forty_customers", "order_level", "exposures_without_ts",
                                           "numeric_strategy_ids", "one_store", "three_years_monthly")}
    first = pd.to_datetime(gen["no_newcomers"].tables["transactions"].groupby("customer_id")["ts"].min())
    assert first.max() < pd.Timestamp("2017-02-01") and set(gen["no_newcomers"].tables) == {"transactions"}
    returns = (gen["heavy_returns"].tables["transactions"]["amount"] < 0).mean()
    assert 0.25 < returns < 0.35
    days = pd.to_datetime(gen["six_weeks"].tables["transactions"]["ts"])
    assert (days.max() - days.min()).days <= 42
    years = pd.to_datetime(gen["three_years_monthly"].tables["transactions"]["ts"]).dt.year
    assert set(years) == {2015, 2016, 2017}
    assert gen["one_customer"].tables["transactions"]["customer_id"].nunique() == 1
    assert gen["forty_customers"].tables["transactions"]["customer_id"].nunique() == 40
    assert not {"product_id", "category"} & set(gen["order_level"].tables["transactions"].columns)
    assert "ts" not in gen["exposures_without_ts"].tables["exposures"].columns
    assert pd.api.types.is_integer_dtype(gen["numeric_strategy_ids"].tables["strategies"]["strategy_id"])
    assert gen["one_store"].tables["transactions"]["store_id"].nunique() == 1


def test_dst_shape_has_times_in_both_changes():
    tx = shapes.generate("naive_dst").tables["transactions"]
    assert tx["ts"].str.startswith("2017-11-05 01:").any()  # occurs twice in New York
    assert tx["ts"].str.startswith("2017-03-12 02:").any()  # never occurs in New York


def _plain_twin(name: str) -> dict[str, pd.DataFrame]:
    # the retailer a formatting shape starts from: the same seed, before its rewriting (the
    # rewriting draws no random numbers, so the tables are the same rows)
    import numpy as np
    return shapes._with_campaigns(np.random.default_rng([0, list(shapes.SHAPES).index(name)]))


@pytest.mark.parametrize("name", ["spreadsheet_export", "parquet_typed"])
def test_a_formatted_export_loads_to_the_same_lines_money_and_times_as_its_plain_twin(name, tmp_path):
    from userops import datasets
    shapes.write(name, tmp_path / "shape")
    twin = tmp_path / "twin"
    twin.mkdir()
    for table, frame in _plain_twin(name).items():
        frame.to_csv(twin / f"{table}.csv", index=False)
    params = dict(shapes.generate(name).params)
    decimal = params.get("decimal", ".").strip('"')
    got = datasets.load(tmp_path / "shape", as_of="2017-12-31", decimal=decimal,
                        data_tz=params.get("data_tz", datasets.DEFAULT_TZ))
    plain = datasets.load(twin, as_of="2017-12-31", data_tz=params.get("data_tz", datasets.DEFAULT_TZ))
    assert (int(got.rejects["rows"].sum()) if len(got.rejects) else 0) == 0
    for table in ("transactions", "exposures", "responses", "strategies"):
        assert len(got.tables[table]) == len(plain.tables[table]), table
    a, b = got.transactions, plain.transactions
    assert round(a["amount"].sum(), 2) == round(b["amount"].sum(), 2)
    assert a["customer_id"].nunique() == b["customer_id"].nunique()
    # the same instants: the offsets (or UTC) were read as written, in the shops' local time
    assert sorted(a["ts"]) == sorted(b["ts"])
    assert sorted(got.tables["strategies"]["cost_per_contact"]) == sorted(plain.tables["strategies"]["cost_per_contact"])
