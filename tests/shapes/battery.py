"""Run data shapes end to end through the CLI and say, per step and section, what each report shows.

``run_folder`` runs ``python -m userops report`` in a subprocess on one data folder and reads
the executed notebooks back: each step's status, its problems (error outputs, anything written
to stderr, any printed "Warning") and each section's content, classified as

- ``numbers``: a chart, a table (also a markdown table), or a sentence with a number that does
  not say something "cannot" be computed;
- ``statement``: only sentences saying why the section cannot be computed;
- ``empty``: no output at all (not allowed), or ``error`` when the step stopped before it.

A sentence that quotes ``nan`` or ``inf`` counts as a problem, like an error or a warning.

Run as a script to print the battery's table::

    PYTHONPATH=lib python tests/shapes/battery.py [SHAPE ...] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).parent))
import shapes  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1]))
import i18n_checks  # noqa: E402

__all__ = ["StepReport", "RunReport", "run_folder", "run_shape", "inspect_notebook", "table",
           "RESULTS", "SAMPLE", "SAMPLE_RUNS", "STEPS"]

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
STEPS = ("01_value_tiering", "02_segment_profiles", "03_migration_paths", "04_strategy_coverage",
         "05_effect_drivers", "06_strategy_adjustment")
# the shipped example folder: with default parameters, and with monthly migration periods
SAMPLE_RUNS: dict[str, dict[str, object]] = {"sample": {}, "sample_period_M": {"period": "M"}}
RESULTS: dict[str, "RunReport"] = {}  # filled by the tests; printed at the end of the session
_BOLD_NUMBER = re.compile(r"\*\*[^*]*\d[^*]*\*\*")
_NOT_A_NUMBER = re.compile(r"\b(nan|NaN|inf)\b|nan%")  # a sentence quoting a number it could not compute
_WARNING = re.compile(r"^.*\w*Warning\b.*$", re.MULTILINE)  # as Python prints warnings


@dataclass
class StepReport:
    """One step of one run: status from the manifest, problems and sections from the notebook."""

    name: str
    status: str
    error: str = ""
    problems: list[str] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # heading -> numbers|statement|empty|error

    @property
    def published(self) -> bool:
        return self.status == "ok" and not self.problems and "empty" not in self.sections.values()


@dataclass
class RunReport:
    """One shape's run: exit code, CLI stderr, seconds and its steps."""

    shape: str
    exit_code: int
    stderr: str
    seconds: float
    steps: dict[str, StepReport]
    folder: Path | None = None

    def count(self, kind: str) -> int:
        return sum(list(st.sections.values()).count(kind) for st in self.steps.values())


def run_folder(name: str, data: Path, *, as_of: str, out: Path, params: dict[str, object] | None = None,
               timeout: int = 600, engine: str = "duckdb") -> RunReport:
    """Run the report on ``data`` into ``out`` with the CLI, in a subprocess, and read it back."""
    cmd = [sys.executable, "-m", "userops", "report", "--data", str(data), "--as-of", as_of,
           "--out", str(out), "--engine", engine]
    for key, value in (params or {}).items():
        cmd += ["--set", f"{key}={value}"]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "lib"), env.get("PYTHONPATH")]))
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=out.parent,
                          timeout=timeout * len(STEPS))
    seconds = time.perf_counter() - t0
    folder = next((f for f in (out / as_of, out / f"{as_of}.failed") if f.exists()), None)
    steps = {}
    manifest = json.loads((folder / "manifest.json").read_text()) if folder else {"steps": []}
    for st in manifest["steps"]:
        nb = folder / f"{st['name']}.ipynb"
        problems, sections = inspect_notebook(nb) if nb.exists() else ([], {})
        steps[st["name"]] = StepReport(st["name"], st["status"], st.get("error", ""), problems, sections)
    for name_ in STEPS:
        steps.setdefault(name_, StepReport(name_, "missing", "no such step in the manifest"))
    return RunReport(name, proc.returncode, proc.stderr.strip(), round(seconds, 1), steps, folder)


def run_shape(name: str, root: Path, *, extra: dict[str, object] | None = None,
              engine: str = "duckdb") -> RunReport:
    """Write shape ``name`` (or the shipped ``sample``) under ``root`` and run it, with the
    shape's parameters and ``extra`` ones (e.g. ``lang``)."""
    root.mkdir(parents=True, exist_ok=True)
    if name in SAMPLE_RUNS:
        return run_folder(name, SAMPLE, as_of="2017-12-31", out=root / "out",
                          params={**SAMPLE_RUNS[name], **(extra or {})}, engine=engine)
    shape = shapes.write(name, root / "data")
    return run_folder(name, root / "data", as_of=shape.as_of, out=root / "out",
                      params={**shape.params, **(extra or {})}, engine=engine)


def inspect_notebook(path: Path) -> tuple[list[str], dict[str, str]]:
    """Problems (error outputs, stderr, printed warnings) and each section's classification.

    A section starts at a markdown heading (``##`` or ``###``) and holds the code cells up to
    the next heading; headings with no code cell under them are prose and not counted. The
    cells before the first heading are the ``(run parameters)`` section.
    """
    nb = nbformat.read(str(path), as_version=4)
    problems: list[str] = []
    sections: dict[str, list] = {}
    heading = "(run parameters)"
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
            if first.startswith("## ") or first.startswith("### "):
                heading = first.lstrip("#").strip()
            continue
        if "parameters" in cell.metadata.get("tags", []) or "injected-parameters" in cell.metadata.get("tags", []):
            continue
        sections.setdefault(heading, []).append(cell)
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                problems.append(f"[{heading}] error {out.ename}: {out.evalue}"[:300])
            elif out.output_type == "stream" and out.name == "stderr":
                problems.append(f"[{heading}] stderr: {out.text.strip()}"[:300])
            found = _WARNING.search(_text(out)) if out.output_type != "error" else None
            if found:
                problems.append(f"[{heading}] warning: {found.group(0).strip()}"[:300])
            prose = str(out.get("data", {}).get("text/markdown", ""))
            if _NOT_A_NUMBER.search(prose):
                problems.append(f"[{heading}] not a number in the prose: {prose[:200]}")
    return problems, {h: _classify(cells) for h, cells in sections.items()}


def table(results: list[RunReport]) -> str:
    """The battery's table: shape, steps published, sections with numbers vs statements, seconds."""
    head = ("shape", "exit", "steps published", "failed steps", "numbers", "statements", "empty/error",
            "problems", "seconds")
    rows = []
    for r in results:
        ok = [s[:2].lstrip("0") for s, st in r.steps.items() if st.published]
        bad = [f"{s[:2].lstrip('0')}:{st.status}" + (f"({_short(st.error)})" if st.error else "")
               for s, st in r.steps.items() if not st.published]
        rows.append((r.shape, str(r.exit_code), f"{len(ok)}/6 [{','.join(ok)}]", "; ".join(bad) or "-",
                     str(r.count("numbers")), str(r.count("statement")),
                     str(r.count("empty") + r.count("error")),
                     str(sum(len(st.problems) for st in r.steps.values())), f"{r.seconds:.0f}"))
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(head, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def details(results: list[RunReport]) -> str:
    """Per shape and step: the error, the problems and the sections that gave a statement."""
    lines = []
    for r in results:
        for st in r.steps.values():
            said = [h for h, kind in st.sections.items() if kind == "statement"]
            empty = [h for h, kind in st.sections.items() if kind in ("empty", "error")]
            if st.error or st.problems or said or empty:
                lines.append(f"{r.shape} / {st.name}: {st.status}" + (f" {st.error}" if st.error else ""))
                lines += [f"    problem: {p}" for p in st.problems]
                lines += [f"    statement: {h}" for h in said]
                lines += [f"    no output: {h}" for h in empty]
    return "\n".join(lines)


# -- private helpers ------------------------------------------------------------------------

def _text(out) -> str:
    if out.output_type == "stream":
        return out.text
    if out.output_type == "error":
        return f"{out.ename}: {out.evalue}"
    data = out.get("data", {})
    return "\n".join(str(data[k]) for k in ("text/markdown", "text/plain") if k in data)


def _classify(cells) -> str:
    outputs = [o for c in cells for o in c.get("outputs", [])]
    if any(o.output_type == "error" for o in outputs):
        return "error"
    if not outputs:
        return "empty"
    for o in outputs:
        data = o.get("data", {})
        prose = str(data.get("text/markdown", ""))
        if "image/png" in data or "<td" in str(data.get("text/html", "")) or "|---" in prose:
            return "numbers"
        if _BOLD_NUMBER.search(prose) or (re.search(r"\d", prose) and "cannot" not in prose):
            return "numbers"
    return "statement"


def _short(error: str) -> str:
    return error.split(" (cell")[0][:90]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"shapes (default: all, sample and sample_period_M): {', '.join(shapes.SHAPES)}")
    parser.add_argument("--out", help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter for every shape, e.g. lang=ja (then the pages are also searched "
                             "for English sentences, tests/i18n_checks.py)")
    parser.add_argument("--engine", default="duckdb", help="duckdb (default) or spark: the report's --engine "
                        "(with spark the lines are validated and every step's features run on Spark)")
    args = parser.parse_args(argv)
    names = args.names or [*shapes.SHAPES, *SAMPLE_RUNS]
    extra = dict(item.split("=", 1) for item in args.set)
    english: dict[str, dict[str, list[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="userops-shapes-") as tmp:
        root = Path(args.out or tmp)
        results = []
        for name in names:
            results.append(run_shape(name, root / name, extra=extra, engine=args.engine))
            print(f"{name}: exit {results[-1].exit_code} in {results[-1].seconds:.0f}s", flush=True)
            folder = next(iter(sorted((root / name / "out").glob("[0-9]*-[0-9]*-[0-9]*"))), None)
            if extra.get("lang", "en") != "en" and folder is not None:
                english[name] = {p: r for p, r in i18n_checks.check_report(folder).items() if r}
        print(table(results))
        print(details(results))
        for name, pages in english.items():
            print(f"{name}: English left on {len(pages)} page(s)")
            for page, runs in pages.items():
                print(f"    {page}: {len(runs)}: " + " | ".join(runs[:6]))
    return 0 if all(r.exit_code == 0 for r in results) and not any(english.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
