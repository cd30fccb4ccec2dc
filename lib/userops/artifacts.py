"""What notebooks hand on: Parquet artifacts and headline numbers in ``<out_dir>/artifacts``."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

__all__ = ["artifact_dir", "write", "write_csv", "read", "read_optional", "write_headlines",
           "read_headlines", "FORMULA_START"]

# a text cell starting with one of these runs as a formula in a spreadsheet (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def artifact_dir(out_dir: str | Path) -> Path:
    """``<out_dir>/artifacts``, created if missing."""
    path = Path(out_dir) / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(frame: pd.DataFrame, *, out_dir: str | Path, name: str) -> Path:
    """Write ``frame`` as ``<out_dir>/artifacts/<name>.parquet`` (categoricals kept) and return the path."""
    path = artifact_dir(out_dir) / f"{name}.parquet"
    frame.to_parquet(path, index=False)
    return path


def write_csv(frame: pd.DataFrame, *, out_dir: str | Path, name: str) -> Path:
    """Write ``frame`` as ``<out_dir>/<name>.csv`` beside the report, for people to open.

    Text that a spreadsheet would run as a formula (a cell or column name starting with ``=``,
    ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'``, as OWASP
    advises against CSV injection; numbers, dates and missing values are written unchanged.
    Lines end in CRLF, as RFC 4180 says.
    """
    path = Path(out_dir) / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    # CRLF line ends (RFC 4180) also make the writer quote a cell holding a bare carriage return
    _defused(frame).to_csv(path, index=False, lineterminator="\r\n")
    return path


def read(*, out_dir: str | Path, name: str) -> pd.DataFrame:
    """Read an artifact written by an earlier step, with a clear message when it is missing."""
    path = Path(out_dir) / "artifacts" / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"artifact {name!r} not found at {path}: run the step that writes "
                                "it first (same out_dir)")
    return pd.read_parquet(path)


def read_optional(*, out_dir: str | Path, name: str) -> pd.DataFrame | None:
    """An artifact that a step uses when present (e.g. step 2's clusters), else None."""
    path = Path(out_dir) / "artifacts" / f"{name}.parquet"
    return pd.read_parquet(path) if path.exists() else None


def write_headlines(headlines: dict[str, object], *, out_dir: str | Path, step: str) -> Path:
    """Record a step's headline numbers (label -> value) for the report index."""
    path = artifact_dir(out_dir) / f"{step}_headlines.json"
    path.write_text(json.dumps(headlines, indent=2, default=str))
    return path


def read_headlines(*, out_dir: str | Path, step: str) -> dict[str, object]:
    """The headlines a step recorded, or an empty dict when it recorded none."""
    path = Path(out_dir) / "artifacts" / f"{step}_headlines.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _defuse(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _defused(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot start a formula."""
    out = frame.rename(columns=_defuse)
    for i, col in enumerate(frame.columns):
        values = frame.iloc[:, i]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values) \
                or isinstance(values.dtype, pd.PeriodDtype) or pd.api.types.is_timedelta64_dtype(values):
            continue  # numbers (negative ones too) and dates are not text
        out.isetitem(i, values.astype(object).map(_defuse))
    return out
