"""Shared fixtures: small synthetic data and the committed sample folder."""
from __future__ import annotations

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
