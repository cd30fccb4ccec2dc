"""Shared fixtures: small synthetic data and the committed sample folder."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from userops import datasets

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def synthetic() -> datasets.Dataset:
    return datasets.load("synthetic", n_customers=400, seed=3)


def tiny_notebook(path: Path, body: str, params: str = "") -> Path:
    """A minimal step notebook for runner tests: the runner's four parameters plus ``params``
    (``name: type = literal  # help`` lines), then one code cell ``body``."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    source = ('data: str = "synthetic"  # data\nas_of: str = "2017-12-31"  # cut-off\n'
              'out_dir: str = "."  # output\nlibrary_path: str = "lib.sqlite"  # library')
    nb = new_notebook(cells=[
        new_markdown_cell("# Test step\n\n**Question this step answers:** none"),
        new_code_cell(source + ("\n" + params.strip() if params.strip() else ""),
                      metadata={"tags": ["parameters"]}),
        new_code_cell(body)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def pytest_terminal_summary(terminalreporter):
    """After a session that ran the shape battery (tests/shapes), print its table."""
    battery = sys.modules.get("battery")
    if battery is not None and battery.RESULTS:
        results = list(battery.RESULTS.values())
        terminalreporter.section("shape battery")
        terminalreporter.write_line(battery.table(results))
        terminalreporter.write_line(battery.details(results))


@pytest.fixture
def ax():
    """A fresh Axes on the Agg backend, closed after the test (the chart tests draw on it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


@pytest.fixture
def ja():
    """The report's language is Japanese during the test, English again after it."""
    from userops import i18n

    i18n.use("ja")
    try:
        yield
    finally:
        i18n.use("en")
