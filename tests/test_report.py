"""The runner end to end: publish, HTML for reviewers, determinism, failures and timeouts."""
from __future__ import annotations

import json
import re
import shutil

import ast
import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from conftest import tiny_notebook

from userops import cli, datasets, library, report

# large enough that every section of every step has estimates to show (clusters, tiers, LP)
SMALL = {"n_customers": 1500, "seed": 5}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = report.run(data="synthetic", out=out, params=SMALL, log=lambda *_: None)
    return result


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
    assert manifest["engine"] == "duckdb"
    assert manifest["row_counts"]["transactions"] > 0 and "pandas" in manifest["versions"]
    assert len(library.history(folder.parent / report.LIBRARY)) > 0  # step 6 rows were recorded
    left = [p.name for p in folder.parent.iterdir() if ".staging" in p.name or p.name.endswith(".old")]
    assert left == [], "staging or .old left behind"
    assert not (folder.parent / ".userops.lock.holder").exists()
    run = json.loads((folder / "artifacts" / library.RUN_FILE).read_text())
    assert sorted(run["steps"]) == [nb.stem for nb in report.notebooks()]
    assert run["steps"]["01_value_tiering"]["n_customers"] == SMALL["n_customers"]
    assert run["steps"]["06_strategy_adjustment"]["contact_cost"] == 0.5  # a default, applied


# the fewest charts each step must show
MIN_CHARTS = {"01_value_tiering": 10, "02_segment_profiles": 6, "03_migration_paths": 5, "04_strategy_coverage": 9,
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
    assert "this data has no strategies table" in page.lower()


@pytest.mark.slow
def test_every_customer_tiered_in_the_artifact(published):
    tiers = pd.read_parquet(published.folder / "artifacts" / "01_customer_tiers.parquet")
    manifest = json.loads((published.folder / "manifest.json").read_text())
    ds = datasets.open_prepared(published.folder / manifest["prepared_data"], as_of=manifest["as_of"])
    tx = ds.lines().to_pandas()
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
    tiny_notebook(nbs / "01_ok.ipynb", "print('fine')")
    tiny_notebook(nbs / "02_broken.ipynb", "raise ValueError('planted failure')")
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
run_id, h = library.run_key(data_source=ds.source, as_of=as_of, **library.read_run(out_dir))
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
    tiny_notebook(nbs / "06_library.ipynb", LIBRARY_STEP)
    out = tmp_path / "out"
    args = ["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs),
            "--set", "n_customers=50", "--as-of", "2017-10-15:2017-12-31"]
    assert cli.main(args) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["2017-10-31", "2017-11-30", "2017-12-31",
                                                                  "prepared"]
    assert len(list((out / "prepared").iterdir())) == 1  # one input, validated once for the three dates
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
    tiny_notebook(nbs / "01_one.ipynb", "from userops import artifacts\nartifacts.write_headlines({'n': 1}, out_dir=out_dir, step='01')")
    tiny_notebook(nbs / "02_two.ipynb", "print('two')")
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
    tiny_notebook(nbs / "01_slow.ipynb", "import time\ntime.sleep(60)")
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


# -- parameter values reach a kernel only as plain values of their declared type ------------

MARKER_CODE = '";import os;os.system("touch marker");x="'  # the exploit of issue 13, item 1


def _split_step(nbs, body: str = "print(split)"):
    nbs.mkdir(exist_ok=True)
    tiny_notebook(nbs / "01_split.ipynb", body, params='split: str = "mean"  # a text parameter\n'
                  'levels: list = [0.8, 0.4]  # a list of numbers\nsize: int = 3  # a count\n'
                  'share: float = 0.5  # a share\nflag: bool = False  # a switch')
    return nbs


def test_a_bytes_value_never_reaches_a_kernel(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nbs = _split_step(tmp_path / "nbs")
    with pytest.raises(report.ParameterError, match=r"parameter 'split' expects str, got bytes"):
        report.run(data="synthetic", out=tmp_path / "out", notebook_dir=nbs, log=lambda *_: None,
                   params={"split": MARKER_CODE.encode(), "n_customers": 50})
    assert list(tmp_path.rglob("marker")) == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, value, expected", [
    ("split", ["mean"], "expects str, got list"),
    ("split", {"a": 1}, "expects str, got dict"),
    ("split", None, "expects str, got NoneType"),
    ("size", True, "expects int, got bool"),
    ("size", 2.5, "expects int, got float"),
    ("share", "0.5", "expects float (finite), got str"),
    ("share", float("inf"), "expects float (finite), got float"),
    ("flag", 1, "expects bool, got int"),
    ("levels", [0.8, "x"], "expects a list of float (finite), got list"),
    ("levels", [[0.8]], "expects a list of float (finite), got list"),
    ("levels", 0.8, "expects a list of float (finite), got float"),
    ("n_customers", {1, 2}, "expects int, got set"),
    ("encoding", b"utf-8", "expects str, got bytes"),
])
def test_values_not_of_the_declared_type_are_refused(tmp_path, name, value, expected):
    nbs = _split_step(tmp_path / "nbs")
    with pytest.raises(report.ParameterError) as err:
        report.check_parameters({name: value}, report.notebooks(notebook_dir=nbs))
    assert f"parameter {name!r} {expected}" in str(err.value) and "\n" not in str(err.value)


def test_plain_values_of_the_declared_type_pass_and_ints_become_floats(tmp_path):
    nbs = report.notebooks(notebook_dir=_split_step(tmp_path / "nbs"))
    given = {"split": 'a "quoted" \\ text', "levels": [1, 0.5], "size": 4, "share": 1, "flag": True}
    checked = report.check_parameters(given, nbs)
    assert checked == {**given, "levels": [1.0, 0.5], "share": 1.0}
    assert type(checked["share"]) is float and type(checked["levels"][0]) is float


def test_every_declared_type_of_the_shipped_notebooks_is_checkable():
    for nb in report.notebooks():
        for name, p in report.declared_parameters(nb).items():
            default = ast.literal_eval(p["default"])
            assert report.check_value(name, default, p["inferred_type_name"], default=p["default"]) == default


@pytest.mark.slow
def test_text_parameters_reach_the_kernel_as_the_same_text(tmp_path):
    nbs = _split_step(tmp_path / "nbs", "open('split.txt', 'w', encoding='utf-8').write(split)")
    tricky = 'a";import os;os.system("touch marker");x="\\\\ \'q\' \n é \\"'
    result = report.run(data="synthetic", out=tmp_path / "out", notebook_dir=nbs, log=lambda *_: None,
                        params={"split": tricky, "n_customers": 50})
    assert result.ok and (result.folder / "split.txt").read_text(encoding="utf-8") == tricky
    assert list(tmp_path.rglob("marker")) == []


# -- one run at a time per output folder; publishing survives a crash at any point ---------

def _report_folder(path, *, ok=True, tag="x"):
    path.mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({"ok": ok, "data_source": "synthetic", "steps": []}))
    (path / "tag.txt").write_text(tag)
    return path


def test_overview_lists_reports_and_failed_runs_never_old_or_staging(tmp_path):
    _report_folder(tmp_path / "2017-12-31")
    _report_folder(tmp_path / "2017-11-30.failed", ok=False)
    _report_folder(tmp_path / "2017-10-31.old")
    _report_folder(tmp_path / ".2017-09-30.staging-12-ab")
    page = report.write_overview(tmp_path).read_text()
    links = sorted(re.findall(r"href='([^']+)/index.html'", page))
    assert links == ["2017-11-30.failed", "2017-12-31"]
    assert "<td class='failed'>failed</td>" in page and "<td class='ok'>ok</td>" in page


class Killed(BaseException):
    """Stands for the process being killed (nothing after it runs)."""


def _crash_publish(tmp_path, monkeypatch, point):
    """Publish a new report over an old one and die at ``point``; returns the output folder."""
    out = tmp_path / "out"
    _report_folder(out / "2017-12-31", tag="old")
    stage = _report_folder(out / ".2017-12-31.staging-1-x", tag="new")
    real_rename, real_rmtree = type(stage).rename, report.shutil.rmtree
    renames = []

    def rename(self, target):
        if point == "between renames" and renames:
            raise Killed
        renames.append(self)
        return real_rename(self, target)

    def rmtree(path, *a, **kw):
        if point == "before removing .old":
            raise Killed
        (path / "tag.txt").unlink()  # half deleted ...
        raise Killed  # ... when the process dies

    monkeypatch.setattr(type(stage), "rename", rename)
    monkeypatch.setattr(report.shutil, "rmtree", rmtree)
    with pytest.raises(Killed):
        report._publish(stage, out / "2017-12-31")
    monkeypatch.setattr(type(stage), "rename", real_rename)
    monkeypatch.setattr(report.shutil, "rmtree", real_rmtree)
    return out


@pytest.mark.parametrize("point, kept", [("between renames", "old"), ("before removing .old", "new"),
                                          ("while removing .old", "new")])
def test_a_crash_while_publishing_is_undone_or_finished_on_the_next_start(tmp_path, monkeypatch, point, kept):
    out = _crash_publish(tmp_path, monkeypatch, point)
    assert (out / "2017-12-31.old").exists()  # what the crash leaves
    said = []
    done = report.recover(out, log=said.append)
    assert (out / "2017-12-31" / "tag.txt").read_text() == kept
    assert sorted(p.name for p in out.iterdir()) == ["2017-12-31", "index.html"]
    assert len(done) == len(said) >= 1 and all(s.startswith("[recover]") for s in said)
    assert re.findall(r"href='([^']+)/index.html'", (out / "index.html").read_text()) == ["2017-12-31"]
    assert report.recover(out, log=said.append) == []  # nothing left to do


def test_recover_leaves_other_folders_alone(tmp_path):
    _report_folder(tmp_path / "notes.old")
    _report_folder(tmp_path / ".cache.staging")
    assert report.recover(tmp_path, log=lambda *_: None) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cache.staging", "notes.old"]


@pytest.mark.slow
def test_the_next_run_restores_a_report_lost_between_the_renames(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "01_one.ipynb", "print('one')")
    out = tmp_path / "out"
    base = ["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs),
            "--set", "n_customers=50"]
    assert cli.main(base) == 0
    good = (out / "2017-12-31" / "01_one.ipynb").read_bytes()
    (out / "2017-12-31").rename(out / "2017-12-31.old")  # killed between the two renames
    (out / ".2017-12-31.staging-99-dead").mkdir()
    assert cli.main(base + ["--as-of", "2017-11-30"]) == 0  # the next run, another date
    assert (out / "2017-12-31" / "01_one.ipynb").read_bytes() == good
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".userops")) == \
        ["2017-11-30", "2017-12-31", "index.html", "prepared"]
    printed = capsys.readouterr().out
    assert "restored it as 2017-12-31" in printed and "staging-99-dead" in printed


@pytest.mark.slow
def test_a_second_run_into_the_same_out_is_refused_while_the_first_runs(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    release = tmp_path / "release"  # the first run's step waits for it: no race with a slow start
    tiny_notebook(nbs / "01_slow.ipynb", "import pathlib, time\nt = time.time()\n"
                  f"while not pathlib.Path({str(release)!r}).exists() and time.time() - t < 150:\n"
                  "    time.sleep(0.2)\nprint('first run done')")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "userops", "report", "--data", "synthetic", "--out", str(out),
           "--notebooks", str(nbs), "--set", "n_customers=50"]
    env = {**os.environ, "PYTHONPATH": str(Path(report.__file__).parents[1])}  # this userops
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list(out.glob(".2017-12-31.staging-*")) and time.time() < deadline:
        time.sleep(0.2)
    stages = [p.name for p in out.glob(".2017-12-31.staging-*")]
    assert len(stages) == 1 and stages[0].startswith(f".2017-12-31.staging-{first.pid}-")
    try:
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr.count("\n") == 1 and f"in use by another run (pid {first.pid} on" in second.stderr
        assert list(out.glob(".2017-12-31.staging-*")) == [out / stages[0]]  # the first run's work untouched
    finally:
        release.touch()
    stdout, stderr = first.communicate(timeout=180)
    assert first.returncode == 0, stderr
    nb = nbformat.read(str(out / "2017-12-31" / "01_slow.ipynb"), as_version=4)
    assert "first run done" in nb.cells[-1].outputs[0]["text"]
    assert [p.name for p in out.iterdir() if ".staging" in p.name or ".failed" in p.name] == []
    manifest = json.loads((out / "2017-12-31" / "manifest.json").read_text())
    assert [s["status"] for s in manifest["steps"]] == ["ok"]


def test_an_unwritable_out_is_refused_in_one_line(tmp_path, capsys):
    target = _unwritable_folder(tmp_path)
    assert cli.main(["report", "--data", "synthetic", "--out", str(target), "--set", "n_customers=50"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write to the output folder {target}: ") and err.count("\n") == 1


def _unwritable_folder(tmp_path):
    """A folder this user cannot create files in: a read-only one, or (root ignores
    permissions) one of sysfs."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if not _can_create(ro):
        return ro
    sysfs = Path("/sys/kernel")
    if sysfs.is_dir() and not _can_create(sysfs):
        return sysfs
    pytest.skip("no folder here refuses writes to this user")


def _can_create(path) -> bool:
    try:
        (path / ".userops-probe").touch()
    except OSError:
        return False
    (path / ".userops-probe").unlink()
    return True


# -- a failed step: the steps that need its artifacts are skipped ---------------------------

def _artifact_reads(nb_path):
    """(required, optional) step numbers whose artifacts the notebook reads."""
    found = {"read": set(), "read_optional": set()}
    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = "\n".join(l for l in cell.source.splitlines() if not l.startswith("%"))
        for node in ast.walk(ast.parse(src)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id in ("artifacts", "run")
                    and node.func.attr in (*found, "require")):
                kind = "read" if node.func.attr == "require" else node.func.attr
                names = [k.value for k in node.keywords if k.arg == "name"] + list(node.args)
                for name in names:
                    assert isinstance(name, ast.Constant), f"{nb_path.name}: artifact name not a literal"
                    found[kind].add(re.match(r"(\d\d)_", name.value).group(1))
    return found["read"], found["read_optional"]


def test_needs_matches_what_the_notebooks_read():
    needs = {}
    for nb in report.notebooks():
        required, optional = _artifact_reads(nb)
        assert all(n < nb.stem[:2] for n in required | optional), "reads a later step's artifact"
        if required:
            needs[nb.stem[:2]] = tuple(sorted(required))
    assert needs == report.NEEDS
    assert needs  # the notebooks do read earlier artifacts: the parser found them


@pytest.mark.slow
def test_steps_needing_a_failed_step_are_skipped_not_run(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "01_first.ipynb", "raise ValueError('planted failure')")
    tiny_notebook(nbs / "02_needs_one.ipynb", "open('ran-02', 'w').write('x')")
    tiny_notebook(nbs / "03_free.ipynb", "print('three')")
    out = tmp_path / "out"
    args = ["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs),
            "--set", "n_customers=50"]
    assert cli.main(args) == 1
    failed = out / "2017-12-31.failed"
    manifest = json.loads((failed / "manifest.json").read_text())
    assert [(s["name"], s["status"]) for s in manifest["steps"]] == \
        [("01_first", "failed"), ("02_needs_one", "skipped"), ("03_free", "ok")]
    assert manifest["steps"][1]["error"] == "needs step 1 (failed)" and not manifest["ok"]
    assert not (failed / "ran-02").exists() and not (failed / "02_needs_one.ipynb").exists()
    index = (failed / "index.html").read_text()
    assert "skipped: needs step 1 (failed)" in index and "02_needs_one.html" not in index
    assert "[2/3] 02_needs_one skipped: needs step 1 (failed)" in capsys.readouterr().out
    assert not (out / "2017-12-31").exists()


def test_a_step_whose_needed_step_is_not_in_the_report_is_skipped(tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "01_first.ipynb", "print('one')")
    tiny_notebook(nbs / "02_needs_one.ipynb", "print('two')")
    result = report.run(data="synthetic", out=tmp_path / "out", steps=[2], notebook_dir=nbs,
                        params={"n_customers": 50}, log=lambda *_: None)
    assert not result.ok and result.folder.name == "2017-12-31.failed"
    assert [(s.status, s.error) for s in result.steps] == [("skipped", "needs step 1 (not in this report)")]


@pytest.mark.slow
def test_rerunning_step_6_with_other_parameters_replaces_the_date_in_the_library(published, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(published.folder.parent, out)
    before = library.history(out / report.LIBRARY)
    result = report.run(data="synthetic", out=out, steps=[6], params={**SMALL, "coupon_cost_per_response": 3.0},
                        log=lambda *_: None)
    assert result.ok
    after = library.history(out / report.LIBRARY)
    rows = pd.read_parquet(result.folder / "artifacts" / "06_library_rows.parquet")
    assert after["run_id"].unique().tolist() == rows["run_id"].unique().tolist()
    assert len(after) == len(rows) == len(before) and set(after["run_id"]).isdisjoint(before["run_id"])
    run = json.loads((result.folder / "artifacts" / library.RUN_FILE).read_text())
    assert run["steps"]["06_strategy_adjustment"]["coupon_cost_per_response"] == 3.0
    assert run["steps"]["01_value_tiering"]["n_customers"] == SMALL["n_customers"]  # kept steps' own
    assert (after["cost"] > 0).any() and not after["cost"].equals(before["cost"])


def test_each_step_starts_from_an_empty_namespace_in_the_shared_kernel(tmp_path):
    # the steps of a run share one kernel (imports paid once) but never each other's variables
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "01_one.ipynb", "secret = 41\nimport os\nprint(os.getpid())")
    tiny_notebook(nbs / "02_two.ipynb", "import os\nprint(os.getpid(), 'secret' in dir(), 'os' in dir())")
    result = report.run(data="synthetic", out=tmp_path / "out", params={"n_customers": 50},
                        notebook_dir=nbs, log=lambda *_: None)
    assert result.ok
    printed = []
    for name in ("01_one", "02_two"):
        nb = nbformat.read(str(result.folder / f"{name}.ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
        printed.append("".join(o.get("text", "") for o in code[-1].outputs).split())
    assert printed[1][0] == printed[0][0]  # the same kernel process
    assert printed[1][1:] == ["False", "True"]  # the first step's variable is gone


def test_a_report_reruns_from_its_manifest_without_validating_again(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    tiny_notebook(nbs / "01_one.ipynb", "print(data)")
    out = tmp_path / "out"
    assert cli.main(["report", "--data", "synthetic", "--out", str(out), "--notebooks", str(nbs),
                     "--set", "n_customers=50"]) == 0
    manifest = json.loads((out / "2017-12-31" / "manifest.json").read_text())
    prepared = (out / "2017-12-31" / manifest["prepared_data"]).resolve()
    assert prepared.parent == (out / "prepared").resolve() and prepared.name == manifest["data_fingerprint"]
    assert not (out / "2017-12-31" / "data").exists()  # the report reads the prepared data in place
    capsys.readouterr()
    again = tmp_path / "again"
    assert cli.main(["report", "--data", str(prepared), "--as-of", manifest["as_of"], "--out", str(again),
                     "--notebooks", str(nbs)]) == 0
    assert "used as it is, not validating again" in capsys.readouterr().out
    rerun = json.loads((again / "2017-12-31" / "manifest.json").read_text())
    assert rerun["data_fingerprint"] == manifest["data_fingerprint"]
    assert rerun["row_counts"] == manifest["row_counts"] and rerun["rejects"] == manifest["rejects"]
