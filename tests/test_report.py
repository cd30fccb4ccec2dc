"""The runner end to end: publish, HTML for reviewers, determinism, failures and timeouts."""
from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from userops import cli, library, report

# large enough that every section of every step has estimates to show (clusters, tiers, LP)
SMALL = {"n_customers": 1500, "seed": 5}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = report.run(data="synthetic", out=out, params=SMALL, log=lambda *_: None)
    return result


def _tiny_notebook(path, body: str) -> None:
    nb = new_notebook(cells=[
        new_markdown_cell("# Test step\n\n**Question this step answers:** none"),
        new_code_cell('data: str = "synthetic"  # data\nas_of: str = "2017-12-31"  # cut-off\n'
                      'out_dir: str = "."  # output\nlibrary_path: str = "lib.sqlite"  # library',
                      metadata={"tags": ["parameters"]}),
        new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))


@pytest.mark.slow
def test_run_publishes_every_file(published):
    folder = published.folder
    assert published.ok and folder.name == "2017-12-31"
    for name in ("01_value_tiering.ipynb", "01_value_tiering.html", "index.html", "manifest.json",
                 "artifacts/01_customer_tiers.parquet", "artifacts/01_thresholds.parquet"):
        assert (folder / name).exists(), name
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["ok"] and manifest["steps"][0]["status"] == "ok"
    assert manifest["parameters"] == SMALL and manifest["as_of"] == "2017-12-31"
    assert manifest["row_counts"]["transactions"] > 0 and "pandas" in manifest["versions"]
    assert len(library.history(folder.parent / report.LIBRARY)) > 0  # step 6 rows were recorded
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir()), "staging left behind"


# the fewest charts each step must show
MIN_CHARTS = {"01_value_tiering": 10, "02_segment_profiles": 7, "03_migration_paths": 5, "04_strategy_coverage": 9,
              "05_effect_drivers": 4, "06_strategy_adjustment": 5}


@pytest.mark.slow
@pytest.mark.parametrize("step", [p.stem for p in report.notebooks()])
def test_reviewer_html_has_no_code_no_cdn_and_all_charts(published, step):
    page = (published.folder / f"{step}.html").read_text()
    assert not re.search(r"<script[^>]+src=", page)
    assert "import " not in page and not re.search(r"\b(features|effects|coverage|tiers)\.\w+\(", page)
    assert "injected-parameters" not in page and "Run parameters" in page
    nb = nbformat.read(str(published.folder / f"{step}.ipynb"), as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= MIN_CHARTS[step]
    index = (published.folder / "index.html").read_text()
    assert f"{step}.html" in index
    assert (published.folder / "artifacts" / f"{step[:2]}_headlines.json").exists()
    assert "nothing to show" not in page.lower() and "did not converge" not in page


@pytest.mark.slow
def test_transactions_only_data_runs_every_step(sample_dir, tmp_path):
    folder = tmp_path / "tx_only"
    folder.mkdir()
    (folder / "transactions.csv").write_bytes((sample_dir / "transactions.csv").read_bytes())
    result = report.run(data=str(folder), as_of="2017-12-31", out=tmp_path / "out",
                        params={"period": "M", "n_periods": 3, "at_risk_days": 20,
                                "dormant_days": 60}, log=lambda *_: None)
    assert result.ok, [s.error for s in result.steps]
    page = (result.folder / "04_strategy_coverage.html").read_text()
    assert "This data has no strategies table" in page


@pytest.mark.slow
def test_every_customer_tiered_in_the_artifact(published):
    tiers = pd.read_parquet(published.folder / "artifacts" / "01_customer_tiers.parquet")
    tx = pd.read_parquet(published.folder / "data" / "transactions.parquet")
    assert sorted(tiers["customer_id"]) == sorted(tx["customer_id"].unique())
    assert tiers[["rf_segment", "rfm_group", "lifecycle_stage"]].notna().all().all()


@pytest.mark.slow
def test_same_inputs_give_the_same_html_and_tables(published, tmp_path):
    again = report.run(data="synthetic", out=tmp_path, params=SMALL, log=lambda *_: None)
    for nb in report.notebooks():
        assert (again.folder / f"{nb.stem}.html").read_bytes() == \
            (published.folder / f"{nb.stem}.html").read_bytes(), nb.stem
    for name in ("01_customer_tiers", "01_thresholds", "01_lifecycle_curve", "02_customer_clusters",
                 "03_transition_matrix", "04_reach", "05_effects", "06_kpis"):
        pd.testing.assert_frame_equal(pd.read_parquet(again.folder / "artifacts" / f"{name}.parquet"),
                                      pd.read_parquet(published.folder / "artifacts" / f"{name}.parquet"))


@pytest.mark.slow
def test_failed_step_is_kept_marked_and_does_not_destroy_the_earlier_report(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs / "01_ok.ipynb", "print('fine')")
    _tiny_notebook(nbs / "02_broken.ipynb", "raise ValueError('planted failure')")
    out = tmp_path / "out"
    args = ["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs),
            "--set", "n_customers=50"]
    assert cli.main(args + ["--steps", "1"]) == 0
    good = (out / "2017-12-31" / "01_ok.ipynb").read_bytes()
    assert cli.main(args) == 1
    assert (out / "2017-12-31" / "01_ok.ipynb").read_bytes() == good
    assert not (out / "2017-12-31" / "02_broken.ipynb").exists()
    failed = out / "2017-12-31.failed"
    nb = nbformat.read(str(failed / "02_broken.ipynb"), as_version=4)
    assert any(o.output_type == "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "planted failure" in (failed / "02_broken.html").read_text()
    index = (failed / "index.html").read_text()
    assert "failed" in index and "planted failure" in index
    manifest = json.loads((failed / "manifest.json").read_text())
    assert [s["status"] for s in manifest["steps"]] == ["ok", "failed"] and not manifest["ok"]
    printed = capsys.readouterr().out
    assert "[2/2] 02_broken failed" in printed and "untouched" in printed


LIBRARY_STEP = """
import pandas as pd
from userops import artifacts, datasets, library
ds = datasets.load(data, as_of=as_of)
run_id, h = library.run_key(data_source=ds.source, as_of=as_of, params={})
kpi = pd.DataFrame({"strategy_id": ["S1"], "type": ["A"], "reach": [float(len(ds.transactions))],
                    "participants": [1.0], "conversion": [0.1], "gmv": [1.0], "arpu": [1.0], "cost": [1.0],
                    "incremental_gmv": [None], "inc_low": [None], "inc_high": [None], "roi": [None],
                    "roi_low": [None], "roi_high": [None], "effect_status": ["none"]})
rows = library.rows(kpi, run_id=run_id, params_hash=h, data_source=ds.source, as_of=as_of,
                    strategies=ds.tables["strategies"], method="test")
artifacts.write(rows, out_dir=out_dir, name="06_library_rows")
artifacts.write_headlines({"KPI alerts vs previous run": "0"}, out_dir=out_dir, step="06")
"""


@pytest.mark.slow
def test_monthly_series_gives_dated_reports_an_overview_and_a_history(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs / "06_library.ipynb", LIBRARY_STEP)
    out = tmp_path / "out"
    args = ["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs),
            "--set", "n_customers=50", "--as-of", "2017-10-15:2017-12-31"]
    assert cli.main(args) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["2017-10-31", "2017-11-30", "2017-12-31"]
    overview = (out / "index.html").read_text()
    assert all(d in overview for d in ("2017-10-31", "2017-11-30", "2017-12-31"))
    h = library.history(out / report.LIBRARY)
    assert sorted(h["as_of"]) == ["2017-10-31", "2017-11-30", "2017-12-31"]
    assert h["reach"].is_monotonic_increasing  # later cut-offs keep more transaction lines
    assert cli.main(args) == 0  # the same series again: the library does not grow
    assert len(library.history(out / report.LIBRARY)) == 3


def test_as_of_lists_and_ranges():
    assert cli.as_of_dates(None) == [None]
    assert cli.as_of_dates("2017-12-31,2017-06-30") == ["2017-06-30", "2017-12-31"]
    assert cli.as_of_dates("2017-10-01:2017-12-31") == ["2017-10-31", "2017-11-30", "2017-12-31"]
    assert cli.as_of_dates("2017-10-01:2017-12-15") == ["2017-10-31", "2017-11-30", "2017-12-15"]
    with pytest.raises(ValueError):
        cli.as_of_dates("2017-12-31:2017-01-01")


@pytest.mark.slow
def test_rerunning_some_steps_keeps_the_others(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs / "01_one.ipynb", "from userops import artifacts\nartifacts.write_headlines({'n': 1}, out_dir=out_dir, step='01')")
    _tiny_notebook(nbs / "02_two.ipynb", "print('two')")
    out = tmp_path / "out"
    base = ["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs), "--set", "n_customers=50"]
    assert cli.main(base) == 0
    one = (out / "2017-12-31" / "01_one.html").read_bytes()
    assert cli.main(base + ["--steps", "2"]) == 0
    folder = out / "2017-12-31"
    assert (folder / "01_one.html").read_bytes() == one and (folder / "02_two.html").exists()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert [(s["name"], s["earlier"]) for s in manifest["steps"]] == [("01_one", True), ("02_two", False)]
    assert "(earlier run)" in (folder / "index.html").read_text()


@pytest.mark.slow
def test_a_timeout_is_a_failure(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _tiny_notebook(nbs / "01_slow.ipynb", "import time\ntime.sleep(60)")
    result = report.run(data="synthetic", out=tmp_path / "out", params={"n_customers": 50},
                        notebook_dir=nbs, timeout=3, log=lambda *_: None)
    assert not result.ok and "Timeout" in result.steps[0].error


def test_unknown_and_runner_parameters_are_refused(capsys):
    assert cli.main(["report", "--set", "asof=2017-01-01"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) ['asof']" in err and "'window_days'" in err
    assert cli.main(["report", "--set", "as_of=2017-01-01"]) == 2
    assert "use --data, --as-of" in capsys.readouterr().err
    assert cli.main(["report", "--steps", "9"]) == 2


def test_set_values_are_typed_and_dates_stay_text():
    assert cli.parse_assignment("window_days=180") == ("window_days", 180)
    assert cli.parse_assignment("split=median") == ("split", "median")
    assert cli.parse_assignment("as_of=2017-06-30") == ("as_of", "2017-06-30")
    assert cli.parse_assignment("levels=[0.8, 0.4]") == ("levels", [0.8, 0.4])
    with pytest.raises(ValueError, match="NAME=VALUE"):
        cli.parse_assignment("window_days")


def test_user_folder_needs_as_of(sample_dir, capsys):
    assert cli.main(["report", "--data", str(sample_dir)]) == 2
    assert "`as_of` is required" in capsys.readouterr().err


def test_params_command_lists_help(capsys):
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    assert "01_value_tiering.ipynb" in out and "window_days: int = 365  # look-back window" in out


def test_validate_command(sample_dir, tmp_path, capsys):
    assert cli.main(["validate", "--data", str(sample_dir), "--as-of", "2017-11-30"]) == 0
    out = capsys.readouterr().out
    assert "after as_of" in out and "input_rows" in out
    (tmp_path / "transactions.csv").write_text("customer_id,order_id,ts\n1,a,2017-01-01\n")
    assert cli.main(["validate", "--data", str(tmp_path)]) == 2
    assert "missing required column(s) ['amount']" in capsys.readouterr().err
