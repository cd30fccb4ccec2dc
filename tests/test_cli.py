"""The command line: parameters are plain values, input errors are one line with exit code 2."""
from __future__ import annotations

import base64
import json

import pytest
from conftest import tiny_notebook

from userops import cli, report

MARKER_CODE = '";import os;os.system("touch marker");x="'  # the exploit of issue 13, item 1
B64 = base64.b64encode(MARKER_CODE.encode()).decode()


@pytest.fixture
def nbs(tmp_path, monkeypatch):
    """Two tiny steps; the kernel would run in tmp_path's out folder, the CLI from tmp_path."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "nbs"
    folder.mkdir()
    tiny_notebook(folder / "01_one.ipynb", "open('one.json', 'w').write(__import__('json').dumps(alpha))",
                  params='split: str = "mean"  # text\nalpha: int = 1  # a step-1 count')
    tiny_notebook(folder / "02_two.ipynb", "open('two.json', 'w').write(__import__('json').dumps(beta))",
                  params="beta: float = 0.5  # a step-2 share")
    return folder


def _report(tmp_path, nbs, *extra):
    return cli.main(["report", "--data", "synthetic", "--out", str(tmp_path / "out"),
                     "--notebooks", str(nbs), "--set", "n_customers=50", *extra])


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("how", ["--set", "--params"])
def test_the_binary_exploit_is_refused_at_set_and_params(tmp_path, nbs, capsys, how):
    if how == "--set":
        extra = ["--set", f"split=!!binary {B64}"]
    else:
        (tmp_path / "p.yaml").write_text(f"split: !!binary {B64}\n")
        extra = ["--params", str(tmp_path / "p.yaml")]
    assert _report(tmp_path, nbs, *extra) == 2
    err = _one_line_error(capsys)
    assert "binary" in err and "not allowed" in err and how in err
    assert list(tmp_path.rglob("marker")) == [] and not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["!!python/name:os.system", "!!python/object/apply:os.system ['touch marker']",
                                   "!!set {a, b}", "!!timestamp 2017-01-01", "!custom x"])
def test_yaml_tags_are_one_line_errors(tmp_path, nbs, capsys, value):
    (tmp_path / "p.yaml").write_text(f"split: {value}\n")
    assert _report(tmp_path, nbs, "--params", str(tmp_path / "p.yaml")) == 2
    assert "not allowed" in _one_line_error(capsys)
    assert _report(tmp_path, nbs, "--set", f"split={value}") == 2
    assert "not allowed" in _one_line_error(capsys)
    assert list(tmp_path.rglob("marker")) == []


def test_plain_yaml_keeps_dates_as_text():
    assert cli.parse_assignment("as_of=2017-06-30") == ("as_of", "2017-06-30")
    assert cli.parse_assignment("levels=[1, 0.5, x]") == ("levels", [1, 0.5, "x"])


def test_a_wrong_type_is_one_line_naming_parameter_type_and_value(tmp_path, nbs, capsys):
    assert _report(tmp_path, nbs, "--set", "alpha=[1, 2]") == 2
    assert "parameter 'alpha' expects int, got list [1, 2]" in _one_line_error(capsys)


@pytest.mark.parametrize("command", ["report", "validate"])
def test_an_unknown_time_zone_is_one_line(tmp_path, sample_dir, capsys, command):
    if command == "report":
        args = ["report", "--data", "synthetic", "--out", str(tmp_path), "--set", "data_tz=Mars/Olympus"]
    else:
        args = ["validate", "--data", str(sample_dir), "--data-tz", "Mars/Olympus"]
    assert cli.main(args) == 2
    assert "'Mars/Olympus' is not a known time zone" in _one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


def test_a_params_file_that_is_not_a_mapping_or_unreadable(tmp_path, nbs, capsys):
    (tmp_path / "p.yaml").write_text("- split\n- mean\n")
    assert _report(tmp_path, nbs, "--params", str(tmp_path / "p.yaml")) == 2
    assert "expected a mapping" in _one_line_error(capsys)
    assert _report(tmp_path, nbs, "--params", str(tmp_path / "absent.yaml")) == 2
    assert "cannot read it" in _one_line_error(capsys)


def test_names_no_notebook_declares_are_still_refused(tmp_path, nbs, capsys):
    (tmp_path / "p.yaml").write_text("alpha: 2\ngamma: 3\n")
    assert _report(tmp_path, nbs, "--steps", "1", "--params", str(tmp_path / "p.yaml")) == 2
    assert "unknown parameter(s) ['gamma']" in _one_line_error(capsys)


@pytest.mark.slow
def test_a_params_file_applies_to_the_steps_that_declare_them(tmp_path, nbs, capsys):
    (tmp_path / "p.yaml").write_text("alpha: 2\nbeta: 0.7\n")
    assert _report(tmp_path, nbs, "--steps", "1", "--params", str(tmp_path / "p.yaml")) == 0
    folder = tmp_path / "out" / "2017-12-31"
    assert json.loads((folder / "one.json").read_text()) == 2
    assert "['beta'] apply only to steps not run now (02_two): not used" in capsys.readouterr().out
    assert _report(tmp_path, nbs, "--steps", "2", "--params", str(tmp_path / "p.yaml")) == 0
    assert json.loads((folder / "two.json").read_text()) == 0.7
    assert json.loads((folder / "one.json").read_text()) == 2  # step 1 kept from the first run
