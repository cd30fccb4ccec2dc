"""What notebooks hand on: Parquet artifacts and headline numbers in ``<out_dir>/artifacts``.

Every artifact is declared once in :data:`REGISTRY`: the step that writes it and the columns
(with their kind) that later steps rely on. Writing or reading an artifact checks those columns.
An artifact also carries its provenance (the cut-off, a fingerprint of the data and the
parameters that shaped it) in its Parquet metadata; a notebook reading an artifact made for
another date, other data or other parameters refuses, naming the notebook to run first
(:class:`Run`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from userops import datasets, labels
from userops.datasets import LOAD_PARAMETERS

__all__ = ["Artifact", "ArtifactError", "REGISTRY", "Run", "data_fingerprint", "artifact_dir",
           "write", "write_csv", "read", "read_optional", "provenance", "write_headlines",
           "read_headlines", "FORMULA_START"]

# a text cell starting with one of these runs as a formula in a spreadsheet (CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_META_KEY = b"userops"


class ArtifactError(RuntimeError):
    """An artifact that is missing, malformed, or made for another run."""


@dataclass(frozen=True)
class Artifact:
    """One artifact: its name, the notebook that writes it and the columns it promises.

    ``columns`` maps a column to its kind: ``id`` (text, no missing value), ``text``, ``label``
    (text or categorical), ``int``, ``number``, ``time`` or ``bool``. Other columns may be present.
    """

    name: str
    step: str
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def notebook(self) -> str:
        return f"{self.step}.ipynb"


def _registry(*items: Artifact) -> dict[str, Artifact]:
    return {a.name: a for a in items}


_S1, _S2, _S3 = "01_value_tiering", "02_segment_profiles", "03_migration_paths"
_S4, _S5, _S6 = "04_strategy_coverage", "05_effect_drivers", "06_strategy_adjustment"
REGISTRY: dict[str, Artifact] = _registry(
    Artifact("01_customer_tiers", _S1, {
        "customer_id": "id", "recency_days": "int", "frequency": "int", "monetary": "number",
        "r_score": "int", "f_score": "int", "m_score": "int", "rf_segment": "label",
        "rfm_group": "label", "lifecycle_stage": "label", "expected_orders": "number",
        "expected_value": "number", "p_alive": "number"}),
    Artifact("01_clv_fit", _S1, {"kind": "text", "model": "text", "param": "text", "estimate": "number",
                                 "se": "number", "status": "text"}),
    Artifact("01_thresholds", _S1, {"cut": "text", "value": "number"}),
    Artifact("01_lifecycle_curve", _S1, {}),
    Artifact("02_customer_clusters", _S2, {"customer_id": "id", "cluster": "int", "cluster_name": "label"}),
    Artifact("02_features", _S2, {"customer_id": "id"}),
    Artifact("02_lookalikes", _S2, {"customer_id": "id", "score": "number"}),
    Artifact("03_spend_bands", _S3, {"cut": "int", "spend": "number", "period_days": "number"}),
    Artifact("03_transitions", _S3, {
        "customer_id": "id", "pair": "int", "origin": "label", "dest": "label", "origin_rank": "int",
        "dest_rank": "int", "spend_before": "number", "spend_after": "number", "move": "label"}),
    Artifact("03_bridge", _S3, {"pair": "int", "origin": "label", "group": "label", "gmv_change": "int",
                                "customers_effect": "int", "orders_effect": "int", "basket_effect": "int"}),
    Artifact("03_transition_matrix", _S3, {"origin": "label", "dest": "label", "p": "number"}),
    Artifact("04_reach", _S4, {"customer_id": "id", "strategy_id": "id", "responded": "bool", "type": "label"}),
    Artifact("04_calendar", _S4, {"strategy_id": "id", "start": "time", "end": "time"}),
    Artifact("05_effects", _S5, {"strategy_id": "id", "type": "label", "outcome": "label",
                                 "estimate": "number", "se": "number", "ci_low": "number",
                                 "ci_high": "number"}),
    Artifact("05_persistence", _S5, {"strategy_id": "id", "post_weeks": "int", "post_estimate": "number",
                                     "persists": "bool"}),
    Artifact("05_pooled_effects", _S5, {"type": "label", "outcome": "label", "estimate": "number"}),
    Artifact("05_heterogeneity", _S5, {}),
    Artifact("05_cell_effects", _S5, {"strategy_id": "id", "pre_tier_rank": "int", "effect": "number",
                                      "effect_se": "number", "weeks": "int"}),
    Artifact("06_library_rows", _S6, {"run_id": "id", "strategy_id": "id"}),
    Artifact("06_kpis", _S6, {"strategy_id": "id"}),
    Artifact("06_allocation", _S6, {}),
    Artifact("06_decisions", _S6, {"strategy_id": "id", "type": "label", "action": "label", "effect": "number",
                                   "effect_low": "number", "effect_high": "number", "roi": "number",
                                   "roi_low": "number", "roi_high": "number", "reach": "int",
                                   "cost": "number", "holdout_customers": "number", "reason": "text"}),
    Artifact("06_audiences", _S6, {"file": "text", "strategy_id": "id", "segment": "int", "customers": "int",
                                   "held_out": "int"}),
)

_KIND_CHECKS = {
    "int": pd.api.types.is_integer_dtype,
    "number": lambda d: pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d),
    "time": pd.api.types.is_datetime64_any_dtype,
    "bool": pd.api.types.is_bool_dtype,
    "id": lambda d: pd.api.types.is_string_dtype(d) or pd.api.types.is_object_dtype(d),
    "text": lambda d: pd.api.types.is_string_dtype(d) or pd.api.types.is_object_dtype(d),
    "label": lambda d: (pd.api.types.is_string_dtype(d) or pd.api.types.is_object_dtype(d)
                        or isinstance(d, pd.CategoricalDtype)),
}


def data_fingerprint(data: str | Path, **load: object) -> str:
    """The fingerprint of one input: :func:`userops.datasets.fingerprint` (a prepared folder
    answers its input's; a user's folder: file names, sizes, modification times and the load
    parameters). Cheap by design: it is computed before any data is loaded."""
    return datasets.fingerprint(data, **load)


@dataclass(frozen=True)
class Run:
    """The run a notebook belongs to: where its artifacts live and what shaped them.

    ``params`` holds the parameters that shape results (not ``data``, ``as_of`` or ``out_dir``).
    Two runs agree when their cut-off and data fingerprint are equal and every parameter they
    both declare has the same value.
    """

    step: str
    out_dir: str
    as_of: str
    data: str
    params: dict[str, object]
    names: tuple[str, ...] = ()

    @classmethod
    def of(cls, namespace: dict[str, object], *, step: str, names: list[str]) -> Run:
        """The run of a notebook, from its globals and the names of the parameters that shape its
        results (also the parameters its report shows: ``names``)."""
        load = {k: namespace[k] for k in LOAD_PARAMETERS if k in namespace}
        skip = {"data", "as_of", "out_dir", "library_path"}
        return cls(step=step, out_dir=str(namespace["out_dir"]), as_of=str(namespace["as_of"]),
                   data=data_fingerprint(str(namespace["data"]), **load),
                   params={n: _plain(namespace[n]) for n in names if n not in skip}, names=tuple(names))

    def stamp(self) -> dict[str, object]:
        return {"step": self.step, "as_of": self.as_of, "data": self.data, "params": self.params}

    def require(self, *names: str) -> None:
        """Check, before any data is loaded, that each artifact exists and was made for this run."""
        for name in names:
            self._check(name, optional=False)

    def read(self, name: str) -> pd.DataFrame:
        """An earlier step's artifact, checked against the registry and this run."""
        self._check(name, optional=False)
        return read(out_dir=self.out_dir, name=name)

    def read_optional(self, name: str) -> pd.DataFrame | None:
        """An artifact used when present and made for this run, else None."""
        return read(out_dir=self.out_dir, name=name) if self._check(name, optional=True) else None

    def write(self, frame: pd.DataFrame, name: str) -> Path:
        return write(frame, out_dir=self.out_dir, name=name, run=self)

    def _check(self, name: str, *, optional: bool) -> bool:
        spec = _spec(name)
        path = Path(self.out_dir) / "artifacts" / f"{name}.parquet"
        first = f"run {spec.notebook} first with the same out_dir ({self.out_dir}), as_of and data"
        if not path.exists():
            if optional:
                return False
            raise ArtifactError(f"{self.step} needs artifact {name!r} ({path}), which is missing: {first}")
        made = provenance(path)
        problems = []
        if made.get("as_of") != self.as_of:
            problems.append(f"it was made for as_of {made.get('as_of')}, this run is for {self.as_of}")
        if made.get("data") != self.data:
            problems.append("it was made from other data (or a changed data folder)")
        theirs = made.get("params", {})
        differ = sorted(k for k in set(theirs) & set(self.params) if theirs[k] != self.params[k])
        problems += [f"{k}={theirs[k]!r} there, {self.params[k]!r} here" for k in differ]
        if problems:
            if optional:
                return False
            raise ArtifactError(f"{self.step} cannot use artifact {name!r} from {spec.notebook}: "
                                + "; ".join(problems) + f". {first}.")
        return True


def artifact_dir(out_dir: str | Path) -> Path:
    """``<out_dir>/artifacts``, created if missing."""
    path = Path(out_dir) / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write(frame: pd.DataFrame, *, out_dir: str | Path, name: str, run: Run | None = None) -> Path:
    """Write ``frame`` as ``<out_dir>/artifacts/<name>.parquet`` (categoricals kept), after checking
    it against the registry; ``run`` stamps its provenance. Returns the path."""
    _check_columns(frame, _spec(name), when="writing")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    if run is not None:
        meta[_META_KEY] = json.dumps(run.stamp(), sort_keys=True, default=str).encode()
    path = artifact_dir(out_dir) / f"{name}.parquet"
    pq.write_table(table.replace_schema_metadata(meta), path)
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
    spec = _spec(name)
    path = Path(out_dir) / "artifacts" / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"artifact {name!r} not found at {path}: run {spec.notebook} "
                                "first (same out_dir)")
    frame = pd.read_parquet(path)
    _check_columns(frame, spec, when="reading")
    labels.remember(frame.attrs.get("categories", {}))  # the real names of category features
    return frame


def read_optional(*, out_dir: str | Path, name: str) -> pd.DataFrame | None:
    """An artifact that a step uses when present (e.g. step 2's clusters), else None."""
    path = Path(out_dir) / "artifacts" / f"{name}.parquet"
    return read(out_dir=out_dir, name=name) if path.exists() else None


def provenance(path: str | Path) -> dict[str, object]:
    """The provenance stamped on an artifact file (empty when it has none)."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta[_META_KEY]) if _META_KEY in meta else {}


def write_headlines(headlines: dict[str, object], *, out_dir: str | Path, step: str) -> Path:
    """Record a step's headline numbers (label -> value) for the report index."""
    path = artifact_dir(out_dir) / f"{step}_headlines.json"
    path.write_text(json.dumps(headlines, indent=2, default=str))
    return path


def read_headlines(*, out_dir: str | Path, step: str) -> dict[str, object]:
    """The headlines a step recorded, or an empty dict when it recorded none."""
    path = Path(out_dir) / "artifacts" / f"{step}_headlines.json"
    return json.loads(path.read_text()) if path.exists() else {}


# -- private helpers ------------------------------------------------------------------------

def _spec(name: str) -> Artifact:
    if name not in REGISTRY:
        raise ArtifactError(f"artifact {name!r} is not declared in userops.artifacts.REGISTRY; "
                            f"declared: {sorted(REGISTRY)}")
    return REGISTRY[name]


def _check_columns(frame: pd.DataFrame, spec: Artifact, *, when: str) -> None:
    missing = [c for c in spec.columns if c not in frame.columns]
    # an empty frame's columns carry no values to type (pandas gives them float or object)
    wrong = [f"{c} ({frame[c].dtype}, expected {k})" for c, k in spec.columns.items()
             if c in frame.columns and len(frame) and not _KIND_CHECKS[k](frame[c].dtype)]
    empty_ids = [c for c, k in spec.columns.items() if k == "id" and c in frame.columns
                 and frame[c].isna().any()]
    if missing or wrong or empty_ids:
        detail = "; ".join(filter(None, [
            f"missing column(s) {missing}" if missing else "",
            f"wrong type: {', '.join(wrong)}" if wrong else "",
            f"missing ids in {empty_ids}" if empty_ids else ""]))
        raise ArtifactError(f"artifact {spec.name!r} ({spec.notebook}), {when}: {detail}")


def _plain(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


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
