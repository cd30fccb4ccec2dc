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


def pytest_terminal_summary(terminalreporter):
    """After a session that ran the shape battery (tests/shapes), print its table."""
    battery = sys.modules.get("battery")
    if battery is not None and battery.RESULTS:
        results = list(battery.RESULTS.values())
        terminalreporter.section("shape battery")
        terminalreporter.write_line(battery.table(results))
        terminalreporter.write_line(battery.details(results))
