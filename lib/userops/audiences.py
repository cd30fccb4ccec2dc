"""Audiences to act on: the customers each recommended strategy x segment cell should reach next,
and the uncovered population, as CSV files with a reproducible random holdout.

A segment is a spend tier of the last period (step 3's state rank: 0 = lapsed), the unit the
budget allocation (step 6) funds. Within a funded segment, customers go to the cells in order
of the cell's value per customer, highest expected value first (step 1's forward model; last
year's spend, said so in the reason, when the model is not used), so no customer is in two
audiences. Each audience holds out, uncontacted, the share of customers that step 5's holdout
size asks for (``holdout_customers`` of ``holdout_customers + reached_needed``): the customers
with the smallest SHA-256 of ``seed:strategy:customer`` (same seed, same holdout).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from userops import artifacts, compute, i18n
from userops import schema as s
from userops.i18n import N_, _

__all__ = ["AUDIENCE_COLUMNS", "INDEX_COLUMNS", "Audiences", "members", "build", "holdout_draw", "write",
           "file_name", "shown"]

AUDIENCE_COLUMNS = (s.CUSTOMER_ID, "tier", "expected_value", "reason", "holdout")
INDEX_COLUMNS = ("file", s.STRATEGY_ID, "segment", "tier", "customers", "held_out", "holdout_share",
                 "needed", "expected_value", "reason")
# markers the code compares (English in the files' index); shown translated (:func:`shown`)
UNCOVERED = N_("(uncovered)")
NO_SEGMENT, NO_TIER = -1, N_("(no period tier)")


@dataclass(frozen=True)
class Audiences:
    """The audiences of one run: ``index`` (one row per file, :data:`INDEX_COLUMNS`) and
    ``lists`` (file name -> customers, :data:`AUDIENCE_COLUMNS`)."""

    index: pd.DataFrame
    lists: dict[str, pd.DataFrame]


def members(moves: pd.DataFrame, tiered: pd.DataFrame) -> pd.DataFrame:
    """Each tiered customer's segment now: ``customer_id``, ``segment`` (the state rank in the
    last period, 0 = lapsed; -1 when step 3 has no pair of periods), ``tier`` (its name), ``expected_value`` (step 1; NaN when the forward
    model is not used) and ``monetary`` (last year's spend)."""
    last = moves[moves["pair"] == moves["pair"].max()] if len(moves) else moves
    rank = dict(zip(last[s.CUSTOMER_ID].astype(str), last["dest_rank"].astype("int64"))) if len(last) else {}
    name = dict(zip(last[s.CUSTOMER_ID].astype(str), last["dest"].astype(str))) if len(last) else {}
    t = tiered.assign(**{s.CUSTOMER_ID: tiered[s.CUSTOMER_ID].astype(str)}).set_index(s.CUSTOMER_ID)
    # a customer step 3 gives no state (no pair of periods in the data) has no segment: -1
    out = pd.DataFrame({s.CUSTOMER_ID: t.index.to_numpy()})
    out["segment"] = np.array([int(rank.get(c, NO_SEGMENT)) for c in out[s.CUSTOMER_ID]], dtype="int64")
    out["tier"] = [str(name.get(c, NO_TIER)) for c in out[s.CUSTOMER_ID]]
    ev = t["expected_value"] if "expected_value" in t else pd.Series(np.nan, index=t.index)
    out["expected_value"] = out[s.CUSTOMER_ID].map(ev).astype(float)
    out["monetary"] = out[s.CUSTOMER_ID].map(t["monetary"]).astype(float).fillna(0.0)
    return out


def holdout_draw(ids: pd.Series, *, k: int, seed: int, key: str) -> np.ndarray:
    """A boolean mask with exactly ``k`` True: the ``k`` customers with the smallest SHA-256 of
    ``seed:key:customer_id`` (independent of the order of ``ids``)."""
    ids = pd.Series(ids, dtype=object).astype(str)
    if k <= 0 or ids.empty:
        return np.zeros(len(ids), dtype=bool)
    digest = np.array([hashlib.sha256(f"{seed}:{key}:{c}".encode()).hexdigest() for c in ids])
    order = np.lexsort((ids.to_numpy(), digest))
    mask = np.zeros(len(ids), dtype=bool)
    mask[order[:min(k, len(ids))]] = True
    return mask


def build(alloc: pd.DataFrame, kpi: pd.DataFrame, who: pd.DataFrame, *, uncovered: pd.Series, seed: int,
          by: str = "pre_tier_rank") -> Audiences:
    """The audiences of the recommended allocation (``alloc`` from :func:`userops.review.allocate`,
    cells with ``x`` > 0) and of the uncovered population (``uncovered``: customer ids no strategy
    reached), per segment. ``kpi`` gives each strategy's holdout (``holdout_customers``,
    ``reached_needed`` from step 5); ``who`` is :func:`members`."""
    forward = who["expected_value"].notna().any()
    rank_col = "expected_value" if forward else "monetary"
    ranked = (_("recommended: strategy {strategy} for this tier ({share} of the tier funded); highest expected value "
                "(step 1) first") if forward else
              _("recommended: strategy {strategy} for this tier ({share} of the tier funded); highest last year's "
                "spend (the forward model is not used) first"))
    k = kpi.drop_duplicates(s.STRATEGY_ID).set_index(s.STRATEGY_ID) if len(kpi) else pd.DataFrame()
    funded = alloc[alloc["x"] > 1e-9] if len(alloc) else alloc
    rows, lists = [], {}
    taken: set[str] = set()
    if len(funded):
        value = funded["net_value"] / funded["customers"].where(funded["customers"] > 0) if "net_value" in funded else 0
        funded = funded.assign(_v=value).sort_values([by, "_v", s.STRATEGY_ID], ascending=[True, False, True])
    for r in funded.itertuples(index=False):
        sid, seg = str(getattr(r, s.STRATEGY_ID)), int(getattr(r, by))
        pool = who[(who["segment"] == seg) & ~compute.isin(who[s.CUSTOMER_ID], taken)]
        pool = pool.sort_values([rank_col, s.CUSTOMER_ID], ascending=[False, True], kind="mergesort")
        n = min(len(pool), int(round(float(r.x) * int((who["segment"] == seg).sum()))))
        chosen = pool.head(n)
        taken.update(chosen[s.CUSTOMER_ID])
        share, needed, why = _holdout_share(k, sid)
        mask = holdout_draw(chosen[s.CUSTOMER_ID], k=int(round(share * len(chosen))), seed=seed, key=sid)
        reason = ranked.format(strategy=sid, share=i18n.percent(float(r.x)))
        name = file_name(sid, seg)
        lists[name] = pd.DataFrame({s.CUSTOMER_ID: chosen[s.CUSTOMER_ID].to_numpy(), "tier": chosen["tier"].to_numpy(),
                                    "expected_value": chosen["expected_value"].round(2).to_numpy(), "reason": reason,
                                    "holdout": mask})
        rows.append({"file": f"{name}.csv", s.STRATEGY_ID: sid, "segment": seg, "tier": _tier(who, seg), "customers": len(chosen),
                     "held_out": int(mask.sum()), "holdout_share": share, "needed": needed,
                     "expected_value": float(chosen["expected_value"].sum()) if forward else np.nan, "reason": why})
    un = who[compute.isin(who[s.CUSTOMER_ID], set(pd.Series(uncovered, dtype=object).astype(str)))]
    for seg, g in un.groupby("segment", sort=True):
        g = g.sort_values([rank_col, s.CUSTOMER_ID], ascending=[False, True], kind="mergesort")
        also = compute.isin(g[s.CUSTOMER_ID], taken)
        reason = np.where(also, _("not reached by any strategy in the data; in a recommended audience above"),
                          _("not reached by any strategy in the data; no funded strategy for this tier"))
        name = file_name(UNCOVERED, int(seg))
        lists[name] = pd.DataFrame({s.CUSTOMER_ID: g[s.CUSTOMER_ID].to_numpy(), "tier": g["tier"].to_numpy(),
                                    "expected_value": g["expected_value"].round(2).to_numpy(), "reason": reason,
                                    "holdout": np.zeros(len(g), dtype=bool)})
        rows.append({"file": f"{name}.csv", s.STRATEGY_ID: UNCOVERED, "segment": int(seg), "tier": _tier(who, int(seg)),
                     "customers": len(g), "held_out": 0, "holdout_share": 0.0, "needed": np.nan,
                     "expected_value": float(g["expected_value"].sum()) if forward else np.nan,
                     "reason": _("{n} of them are in a recommended audience; no strategy, so no holdout").format(
                         n=i18n.number(int(also.sum())))})
    index = pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
    return Audiences(index=index.astype({"customers": "int64", "held_out": "int64", "segment": "int64"}), lists=lists)


def write(aud: Audiences, *, out_dir: str | Path, folder: str = "06_audiences") -> list[Path]:
    """One CSV per audience in ``<out_dir>/<folder>/`` (cells that a spreadsheet would run as a
    formula neutralised, :func:`userops.artifacts.write_csv`); returns the paths."""
    return [artifacts.write_csv(frame, out_dir=out_dir, name=f"{folder}/{name}") for name, frame in aud.lists.items()]


def file_name(strategy: str, segment: int) -> str:
    """A safe, unique file name for a strategy x segment cell: the strategy id's letters, digits,
    ``-`` and ``_`` (at most 40), then a short hash of the full id, then the segment."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", str(strategy)).strip("_-")[:40] or "strategy"
    digest = hashlib.sha256(str(strategy).encode()).hexdigest()[:6]
    return f"{slug}-{digest}-tier{int(segment) if segment >= 0 else 'none'}"


def shown(index: pd.DataFrame) -> pd.DataFrame:
    """The audiences' ``index`` for display: the uncovered and no-tier markers and the tier names
    (``lapsed``) in the report's language (the stored index keeps them English)."""
    from userops.migration import shown_state

    return index.assign(**{s.STRATEGY_ID: [_(v) if v == UNCOVERED else v for v in index[s.STRATEGY_ID]],
                           "tier": [_(v) if v == NO_TIER else shown_state(v) for v in index["tier"]]})


def _holdout_share(k: pd.DataFrame, sid: str) -> tuple[float, float, str]:
    if sid not in k.index or pd.isna(k.loc[sid].get("holdout_customers", np.nan)):
        from userops.review import NO_ESTIMATE, effect_status_text

        status = (effect_status_text(k.loc[sid, "effect_status"]) if sid in k.index and "effect_status" in k
                  else effect_status_text(NO_ESTIMATE))
        return 0.0, np.nan, _("no holdout: step 5 sized none ({status})").format(status=status)
    n1, n0 = float(k.loc[sid, "holdout_customers"]), float(k.loc[sid, "reached_needed"])
    share = n1 / (n1 + n0) if n1 + n0 > 0 else 0.0
    return share, n1 + n0, _("holdout share {share} as step 5 sizes it ({held} held out for {reached} reached "
                             "across the strategy's audiences)").format(
        share=i18n.percent(share), held=i18n.number(n1), reached=i18n.number(n0))


def _tier(who: pd.DataFrame, seg: int) -> str:
    names = who.loc[who["segment"] == seg, "tier"]
    return str(names.iloc[0]) if len(names) else str(seg)
