"""Command line: ``python -m userops report|validate|params``."""
from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import yaml

from userops import datasets, features, report
from userops.schema import DataError

__all__ = ["main", "parse_assignment", "load_params", "as_of_dates"]

_YAML = "tag:yaml.org,2002:"


class _PlainLoader(yaml.SafeLoader):
    """YAML reduced to plain values: text, numbers, true/false, null, lists and mappings.

    Dates stay text (no implicit timestamps); explicit ``!!binary``, ``!!set``, ``!!timestamp``,
    ``!!omap``/``!!pairs`` and every python or custom tag are refused.
    """


def _refuse_tag(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    raise yaml.constructor.ConstructorError(
        None, None, f"the tag {node.tag!r} is not allowed", node.start_mark)


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _YAML + "timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
for _tag in ("binary", "set", "timestamp", "omap", "pairs"):
    _PlainLoader.add_constructor(_YAML + _tag, _refuse_tag)
_PlainLoader.add_constructor(None, _refuse_tag)  # any other tag: python/..., !custom


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 a step failed, 2 bad input or parameters)."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (DataError, report.ParameterError, report.OutputError, ValueError,
            FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def parse_assignment(text: str) -> tuple[str, object]:
    """``NAME=VALUE`` with VALUE read as plain YAML (numbers, booleans, lists); dates stay text."""
    if "=" not in text:
        raise ValueError(f"--set expects NAME=VALUE, not {text!r}")
    name, raw = text.split("=", 1)
    return name.strip(), _load_yaml(raw, where=f"--set {name.strip()}")


def load_params(path: str | Path) -> dict[str, object]:
    """The ``NAME: VALUE`` mapping of a ``--params`` YAML file, plain values only."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise report.ParameterError(f"--params {path}: cannot read it ({err})") from None
    loaded = _load_yaml(text, where=f"--params {path}")
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise report.ParameterError(f"--params {path}: expected a mapping of NAME: VALUE")
    return loaded


def _load_yaml(text: str, *, where: str) -> object:
    try:
        return yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - the loader is a reduced SafeLoader
    except yaml.YAMLError as err:
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        mark = getattr(err, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise report.ParameterError(f"{where}: {problem}{at}; only plain values (text, numbers, "
                                    "true/false, lists) are accepted") from None


def _report(args: argparse.Namespace) -> int:
    params: dict[str, object] = {}
    if args.params:
        params.update(load_params(args.params))
    params.update(dict(parse_assignment(a) for a in args.set or []))
    steps = [int(x) for x in args.steps.split(",")] if args.steps else None
    ok = True
    for as_of in as_of_dates(args.as_of):
        result = report.run(data=args.data, as_of=as_of, out=args.out, steps=steps,
                            params=params, timeout=args.timeout, engine=args.engine,
                            notebook_dir=Path(args.notebooks) if args.notebooks else report.NOTEBOOK_DIR)
        ok = ok and result.ok
    return 0 if ok else 1


def as_of_dates(text: str | None) -> list[str | None]:
    """``None`` (the data's default), ``D``, ``D1,D2,...`` or a monthly range ``D1:D2`` (every
    month end from D1's month to D2, D2 included), in date order."""
    if text is None:
        return [None]
    if ":" in text:
        first, _, last = text.partition(":")
        start, end = dt.date.fromisoformat(first.strip()), dt.date.fromisoformat(last.strip())
        if end < start:
            raise ValueError(f"--as-of range {text!r}: the end is before the start")
        import pandas as pd

        ends = pd.date_range(start, end, freq="ME")
        dates = sorted({d.date().isoformat() for d in ends} | {end.isoformat()})
        return [d for d in dates if d >= start.isoformat()]
    dates = [d.strip() for d in text.split(",") if d.strip()]
    for d in dates:
        dt.date.fromisoformat(d)  # a clear ValueError for a malformed date
    return sorted(set(dates))


def _validate(args: argparse.Namespace) -> int:
    report.check_time_zone(args.data_tz)
    ds = datasets.check(args.data, as_of=args.as_of, data_tz=args.data_tz, encoding=args.encoding)
    cut = f"as of {ds.as_of.date()}" if ds.as_of is not None else "no cut-off (give --as-of)"
    print(f"{ds.source}: {cut}, time zone {ds.data_tz}")
    print(ds.reconciliation.to_string(index=False))
    if ds.rejects.empty:
        print("no rows set aside")
    else:
        print("rows set aside:")
        print(ds.rejects.to_string(index=False, max_colwidth=100))
    return 0


def _params(args: argparse.Namespace) -> int:
    nbs = report.notebooks(notebook_dir=Path(args.notebooks) if args.notebooks
                           else report.NOTEBOOK_DIR)
    for nb in nbs:
        print(nb.name)
        for name, p in report.declared_parameters(nb).items():
            note = " (set by the runner)" if name in report.RUNNER_PARAMETERS else ""
            print(f"  {name}: {p['inferred_type_name']} = {p['default']}  # {p['help']}{note}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m userops", description=__doc__)
    sub = parser.add_subparsers(required=True)
    rep = sub.add_parser("report", help="run the step notebooks into <out>/<as_of>/")
    rep.add_argument("--data", default="completejourney",
                     help="completejourney (default), synthetic, or a folder of CSV/Parquet files")
    rep.add_argument("--as-of", dest="as_of", help="cut-off date YYYY-MM-DD, several dates D1,D2 or a "
                     "monthly range D1:D2 (required for a folder; default "
                     f"{datasets.CJ_AS_OF} for the embedded data)")
    rep.add_argument("--out", default="reports", help="output folder (default: reports)")
    rep.add_argument("--steps", help="comma-separated step numbers, e.g. 1,2 (default: all)")
    rep.add_argument("--set", action="append", metavar="NAME=VALUE", help="a notebook parameter")
    rep.add_argument("--params", metavar="FILE.yaml", help="notebook parameters from a YAML file")
    rep.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    rep.add_argument("--engine", default="duckdb", choices=list(features.ENGINES),
                     help="where the steps aggregate transaction lines: duckdb (default, embedded) "
                     "or spark (a local Spark session; needs the spark extra and Java 17+)")
    rep.add_argument("--notebooks", help=argparse.SUPPRESS)
    rep.set_defaults(func=_report)
    val = sub.add_parser("validate", help="check a data folder and print what would be set aside")
    val.add_argument("--data", required=True, help="folder with transactions.csv|parquet etc.")
    val.add_argument("--as-of", dest="as_of", help="cut-off date YYYY-MM-DD (rows after it are set aside)")
    val.add_argument("--data-tz", dest="data_tz", default=datasets.DEFAULT_TZ,
                     help=f"time zone of naive timestamps (default {datasets.DEFAULT_TZ})")
    val.add_argument("--encoding", default="utf-8", help="CSV encoding (default utf-8)")
    val.set_defaults(func=_validate)
    par = sub.add_parser("params", help="list every notebook's parameters with their help text")
    par.add_argument("--notebooks", help=argparse.SUPPRESS)
    par.set_defaults(func=_params)
    return parser
