"""Artifact contracts: the registry's columns are checked on write and read, and provenance
refuses an artifact made for another date, other data or other parameters."""
from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest

from userops import artifacts, report
from userops.artifacts import ArtifactError, Run


def _tiers(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [str(i) for i in range(n)], "recency_days": [1] * n, "frequency": [2] * n,
        "monetary": [3.5] * n, "r_score": [1] * n, "f_score": [1] * n, "m_score": [1] * n,
        "rf_segment": pd.Categorical(["a"] * n), "rfm_group": ["g"] * n, "lifecycle_stage": ["new"] * n,
        "expected_orders": [1.5] * n, "expected_value": [20.0] * n, "p_alive": [0.9] * n})


def _run(tmp_path, **over) -> Run:
    ns = {"data": "completejourney", "as_of": "2017-12-31", "out_dir": str(tmp_path),
          "data_tz": "America/New_York", "window_days": 365}
    ns.update(over)
    return Run.of(ns, step=over.get("step", "04_strategy_coverage"), names=["data_tz", "window_days"])


def test_write_refuses_a_frame_without_the_promised_columns(tmp_path):
    with pytest.raises(ArtifactError, match=r"01_customer_tiers.*missing column\(s\) \['lifecycle_stage'\]"):
        artifacts.write(_tiers().drop(columns="lifecycle_stage"), out_dir=tmp_path, name="01_customer_tiers")
    with pytest.raises(ArtifactError, match=r"wrong type: monetary"):
        artifacts.write(_tiers().assign(monetary="x"), out_dir=tmp_path, name="01_customer_tiers")
    with pytest.raises(ArtifactError, match="missing ids"):
        artifacts.write(_tiers().assign(customer_id=[None, "1", "2"]), out_dir=tmp_path, name="01_customer_tiers")
    # an empty frame only needs the columns: pandas types empty columns as float or object
    artifacts.write(_tiers(0).astype({"monetary": object, "recency_days": float}), out_dir=tmp_path,
                    name="01_customer_tiers")
    with pytest.raises(ArtifactError, match="not declared"):
        artifacts.write(_tiers(), out_dir=tmp_path, name="01_tiers_typo")


def test_read_checks_columns_of_a_file_written_elsewhere(tmp_path):
    artifacts.artifact_dir(tmp_path)
    _tiers().drop(columns="rfm_group").to_parquet(tmp_path / "artifacts" / "01_customer_tiers.parquet")
    with pytest.raises(ArtifactError, match="reading: missing column"):
        artifacts.read(out_dir=tmp_path, name="01_customer_tiers")


def test_provenance_round_trip_and_matching_run_reads(tmp_path):
    writer = _run(tmp_path, step="01_value_tiering")
    writer.write(_tiers(), "01_customer_tiers")
    stamp = artifacts.provenance(tmp_path / "artifacts" / "01_customer_tiers.parquet")
    assert stamp == {"step": "01_value_tiering", "as_of": "2017-12-31", "data": writer.data,
                     "params": {"data_tz": "America/New_York", "window_days": 365}}
    got = _run(tmp_path).read("01_customer_tiers")
    pd.testing.assert_frame_equal(got, _tiers())


@pytest.mark.parametrize("change, message", [
    ({"as_of": "2017-06-30"}, r"made for as_of 2017-12-31, this run is for 2017-06-30"),
    ({"data": "synthetic"}, r"other data"),
    ({"window_days": 180}, r"window_days=365 there, 180 here"),
])
def test_a_run_refuses_an_artifact_made_for_another_run(tmp_path, change, message):
    _run(tmp_path, step="01_value_tiering").write(_tiers(), "01_customer_tiers")
    reader = _run(tmp_path, **change)
    with pytest.raises(ArtifactError, match=message) as err:
        reader.require("01_customer_tiers")
    assert "run 01_value_tiering.ipynb first" in str(err.value)
    assert reader.read_optional("01_customer_tiers") is None
    assert _run(tmp_path).read_optional("01_customer_tiers") is not None  # the control


def test_missing_artifact_names_the_notebook_to_run(tmp_path):
    with pytest.raises(ArtifactError, match=r"needs artifact '03_spend_bands'.*run 03_migration_paths.ipynb first"):
        _run(tmp_path).require("03_spend_bands")
    assert _run(tmp_path).read_optional("02_customer_clusters") is None


def test_parameters_declared_by_one_side_only_do_not_matter(tmp_path):
    writer = Run.of({"data": "completejourney", "as_of": "2017-12-31", "out_dir": str(tmp_path),
                     "data_tz": "America/New_York", "split": "median"}, step="01_value_tiering", names=["split"])
    writer.write(_tiers(), "01_customer_tiers")
    _run(tmp_path).require("01_customer_tiers")


def test_data_fingerprint_follows_the_files_of_a_folder(tmp_path):
    (tmp_path / "transactions.csv").write_text("customer_id,order_id,ts,amount\n1,1,2024-01-01,2\n")
    first = artifacts.data_fingerprint(tmp_path, data_tz="UTC")
    assert artifacts.data_fingerprint(tmp_path, data_tz="UTC") == first
    assert artifacts.data_fingerprint(tmp_path, data_tz="Asia/Tokyo") != first
    (tmp_path / "transactions.csv").write_text("customer_id,order_id,ts,amount\n1,1,2024-01-01,20\n")
    assert artifacts.data_fingerprint(tmp_path, data_tz="UTC") != first


# a call, then the first artifact name before the next artifacts call
_CALL = r"\.{}\((?:(?!\.(?:write|read|require)).)*?[\"'](\d\d_[a-z_]+)[\"']"


def _names_in(nb_path, pattern):
    src = "\n".join(c.source for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "code")
    return set(re.findall(pattern, src, flags=re.S))


def test_registry_matches_what_the_notebooks_write_and_read():
    written, read_by = {}, {}
    for nb in report.notebooks():
        for name in _names_in(nb, _CALL.format("write")):
            written[name] = nb.stem
        for name in _names_in(nb, _CALL.format("(?:read|read_optional|require)")):
            read_by.setdefault(name, set()).add(nb.stem)
    assert written == {name: a.step for name, a in artifacts.REGISTRY.items()}
    for name, readers in read_by.items():
        assert name in artifacts.REGISTRY
        assert all(r > artifacts.REGISTRY[name].step for r in readers), (name, readers)


@pytest.mark.slow
def test_a_notebook_run_alone_refuses_artifacts_of_another_date_before_loading(tmp_path):
    """Issue 11 item 5: step 4 opened in the lab for 2017-06-30 next to step 1's year-end tiers."""
    import time

    import papermill as pm

    _run(tmp_path, step="01_value_tiering", data="synthetic", as_of="2017-12-31").write(_tiers(), "01_customer_tiers")
    nb = next(p for p in report.notebooks() if p.stem.startswith("04_"))
    t0 = time.perf_counter()
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False,
                            parameters={"data": "synthetic", "as_of": "2017-06-30", "out_dir": str(tmp_path)})
    assert err.value.ename == "ArtifactError"
    assert "made for as_of 2017-12-31, this run is for 2017-06-30" in err.value.evalue
    assert "run 01_value_tiering.ipynb first" in err.value.evalue
    executed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    failed = next(c for c in executed.cells if c.cell_type == "code" and any(
        o.get("output_type") == "error" for o in c.get("outputs", [])))
    assert failed.source.index("run.require") < failed.source.index("datasets.load")
