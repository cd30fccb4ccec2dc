"""Steps 5 and 6 publish on strategy data that gives nothing to estimate (issue 13 item 6):
every section shows numbers or says in one sentence why not; no error, no empty chart."""
from __future__ import annotations

import nbformat
import pandas as pd
import pytest

from userops import report, synth
from userops import schema as s

STEPS_5_6 = ("05_effect_drivers", "06_strategy_adjustment")


def _folder(tmp_path, name: str, *, strategies=None, exposures=None, responses=True, exposure_ts=True):
    sim = synth.generate(n_customers=500, random_state=4)
    folder = tmp_path / name
    folder.mkdir()
    t = sim.tables
    t["transactions"].to_csv(folder / "transactions.csv", index=False)
    t["customers"].to_csv(folder / "customers.csv", index=False)
    (t["strategies"] if strategies is None else strategies).to_csv(folder / "strategies.csv", index=False)
    exp = t["exposures"] if exposures is None else exposures
    (exp if exposure_ts else exp.drop(columns=[s.TS])).to_csv(folder / "exposures.csv", index=False)
    if responses:
        t["responses"].to_csv(folder / "responses.csv", index=False)
    return folder, sim


def _outputs(folder, step):
    nb = nbformat.read(str(folder / f"{step}.ipynb"), as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _check(result, *, phrase: str):
    assert result.ok, [(r.name, r.error) for r in result.steps]
    for step in STEPS_5_6:
        outs = _outputs(result.folder, step)
        assert not [o for o in outs if o.output_type == "error"]
        assert not [o for o in outs if o.output_type == "stream" and o.name == "stderr"]
        page = (result.folder / f"{step}.html").read_text()
        assert "nothing to show" not in page.lower()  # no empty placeholder charts
    assert phrase in (result.folder / "05_effect_drivers.html").read_text()


@pytest.mark.slow
def test_strategies_whose_runs_all_fall_outside_the_data_publish_steps_5_and_6(tmp_path):
    sim = synth.generate(n_customers=10, random_state=4)
    early = sim.tables["strategies"].assign(**{s.START: pd.Timestamp("2016-11-07"), s.END: pd.Timestamp("2016-12-04")})
    folder, sim = _folder(tmp_path, "early", strategies=early)
    result = report.run(data=str(folder), as_of=sim.as_of, out=tmp_path / "out", log=lambda *_: None)
    _check(result, phrase="run or pre-window outside the data")
    # no estimate: no forest, event-study, heterogeneity or response chart is drawn in step 5
    charts = sum("image/png" in o.get("data", {}) for o in _outputs(result.folder, "05_effect_drivers"))
    assert charts <= 1  # at most the naive / unweighted comparison, which has numbers


@pytest.mark.slow
def test_exposures_without_responses_or_timestamps_publish_steps_5_and_6(tmp_path):
    folder, sim = _folder(tmp_path, "no_resp", responses=False, exposure_ts=False)
    result = report.run(data=str(folder), as_of=sim.as_of, out=tmp_path / "out", log=lambda *_: None)
    _check(result, phrase="No response model")
    page = (result.folder / "05_effect_drivers.html").read_text()
    assert "Placebo-in-time check" in page
