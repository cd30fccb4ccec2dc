"""The revenue bridge: a GMV change between consecutive periods in a manager's terms.

Each customer of a pair of periods (step 3's transitions) falls in one group:

- ``new``: first seen in the later period; ``returned``: bought in the later period, not in the
  earlier one, but before it; ``lost``: bought in the earlier period, not in the later one;
- ``up`` / ``down``: bought in both, spending at least as much / less;
- ``returns only``: the net value of periods without a purchase (a return of an earlier
  purchase, with no order of positive value in that period). Such a period's value is kept
  out of the other groups, so their counts, orders and baskets are those of buying customers.

Each group's change splits into **customers x orders per customer x basket value** (GMV = C x F x B)
by the Shapley split of the three factors, which adds up exactly. New and returned customers
start from zero customers at the earlier period's average orders per customer and basket (lost
ones end at the later period's): their customer term is the GMV they would bring at the
average, the other two terms how they differ from it. Everything is in integer cents, rounded
by largest remainder, so every group, tier and pair adds up to the GMV change to the cent.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from userops import schema as s
from userops.i18n import N_, _
from userops.migration import shown_state

__all__ = ["GROUPS", "COMPONENTS", "MONEY", "bridge", "steps", "check", "in_currency"]

GROUPS = ("new", "returned", "up", "down", "lost", "returns only")
COMPONENTS = ("customers_effect", "orders_effect", "basket_effect")
MONEY = ("gmv_before", "gmv_after", "gmv_change", *COMPONENTS)


def bridge(moves: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """The bridge of every pair of consecutive periods in ``moves`` (:func:`userops.migration.
    transitions`), per group and, with ``by`` (e.g. ``"origin"``), per value of that column.

    Columns: ``pair`` (the earlier period), [``by``], ``group``, ``customers_before``/``_after``,
    ``orders_before``/``_after``, ``gmv_before``/``_after`` and ``gmv_change`` (cents, int64) and the
    three :data:`COMPONENTS` (cents, int64; they add up to ``gmv_change`` on every row).
    """
    keys = ["pair"] + ([by] if by else [])
    cols = keys + ["group", "customers_before", "customers_after", "orders_before", "orders_after",
                   "gmv_before", "gmv_after", "gmv_change", *COMPONENTS]
    if moves.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in cols}).astype({"group": object})
    m = _customer_rows(moves, by=by)
    ref = _references(m)
    rows = []
    for key, g in m.groupby(keys + ["group"], sort=True, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        pair, group = int(key[0]), key[-1]
        if group == "returns only":
            c0 = c1 = o0 = o1 = 0
            s0, s1 = int(g["ret_before"].sum()), int(g["ret_after"].sum())
        else:
            c0, c1 = int(g["active_before"].sum()), int(g["active_after"].sum())
            o0, o1 = int(g["orders_before"].sum()), int(g["orders_after"].sum())
            s0, s1 = int(g["cents_before"].sum()), int(g["cents_after"].sum())
        rows.append(dict(zip(keys, key[:-1])) | {
            "pair": pair, "group": group, "customers_before": c0, "customers_after": c1, "orders_before": o0,
            "orders_after": o1, "gmv_before": s0, "gmv_after": s1, "gmv_change": s1 - s0,
            **_split(group, c0, c1, o0, o1, s0, s1, ref.loc[pair])})
    out = pd.DataFrame(rows)
    idle = (out["group"] == "returns only") & (out["gmv_before"] == 0) & (out["gmv_after"] == 0)
    out = out[~idle]  # customers lapsed in both periods with no money moving
    if out.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in cols}).astype({"group": object})
    out["group"] = pd.Categorical(out["group"], categories=list(GROUPS), ordered=True)
    out = out.sort_values(keys + ["group"], ignore_index=True)
    out["group"] = out["group"].astype(str)
    return out[cols].astype({c: "int64" for c in cols if c not in ("group", by)})


def steps(table: pd.DataFrame, *, pair: int) -> tuple[int, pd.DataFrame, int]:
    """The waterfall of one pair: start GMV (cents), one row per group and component with a
    non-zero value (``label`` as the reader sees it, in the report's language; ``value`` in
    cents) and end GMV."""
    t = table[table["pair"] == pair]
    agg = t.groupby("group", sort=False)[list(COMPONENTS) + ["gmv_before", "gmv_after"]].sum()
    names = {"customers_effect": N_("customers"), "orders_effect": N_("orders"), "basket_effect": N_("basket")}
    rows = []
    for group, r in agg.iterrows():
        if group == "returns only":
            rows.append({"label": shown_state(group), "value": int(r["gmv_after"] - r["gmv_before"])})
            continue
        rows += [{"label": _("{group}: {term}").format(group=shown_state(group), term=_(names[c])), "value": int(r[c])}
                 for c in COMPONENTS]
    out = pd.DataFrame(rows, columns=["label", "value"])
    return int(agg["gmv_before"].sum()), out[out["value"] != 0].reset_index(drop=True), int(agg["gmv_after"].sum())


def check(table: pd.DataFrame, moves: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Per pair (and ``by``): the GMV change from the customers' own rows (``gmv_change``), the
    bridge's (``bridge_change``), the sum of its three terms (``parts``) and ``difference`` =
    parts - gmv_change in cents (0 everywhere when the bridge adds up)."""
    m = _customer_rows(moves, by=by)
    keys = ["pair"] + ([by] if by else [])
    truth = m.assign(delta=m["total_after"] - m["total_before"]).groupby(keys)["delta"].sum()
    got = table.assign(parts=table[list(COMPONENTS)].sum(axis=1)).rename(columns={"gmv_change": "bridge_change"}
                                                                          ).groupby(keys)[["bridge_change", "parts"]].sum()
    out = pd.concat([truth.rename("gmv_change"), got], axis=1).fillna(0).astype("int64").reset_index()
    return out.assign(difference=out["parts"] - out["gmv_change"])


def in_currency(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` (a bridge, or a check) with its money columns in currency units, for display."""
    cols = [c for c in (*MONEY, "bridge_change", "parts") if c in table.columns]
    return table.assign(**{c: table[c] / 100 for c in cols})


# -- private helpers ---------------------------------------------------------------------------

def _customer_rows(moves: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """One row per customer and pair, money in integer cents, split into buying and
    returns-only value, with the customer's group."""
    cb = np.round(moves["spend_before"].fillna(0).to_numpy(dtype=float) * 100).astype("int64")
    ca = np.round(moves["spend_after"].fillna(0).to_numpy(dtype=float) * 100).astype("int64")
    ob = moves["orders_before"].fillna(0).to_numpy(dtype="int64")
    oa = moves["orders_after"].fillna(0).to_numpy(dtype="int64")
    ab, aa = ob > 0, oa > 0
    new = moves["origin"].astype(str).to_numpy() == "new"
    group = np.select([ab & aa & (ca >= cb), ab & aa, ab, aa & new, aa],
                      ["up", "down", "lost", "new", "returned"], "returns only")
    m = pd.DataFrame({s.CUSTOMER_ID: moves[s.CUSTOMER_ID].to_numpy(), "pair": moves["pair"].to_numpy(dtype="int64"),
                      "group": group, "active_before": ab.astype("int64"), "active_after": aa.astype("int64"),
                      "orders_before": ob, "orders_after": oa,
                      "cents_before": np.where(ab, cb, 0), "cents_after": np.where(aa, ca, 0),
                      "total_before": cb, "total_after": ca})
    if by:
        m[by] = moves[by].astype(str).to_numpy()
    # a period without a purchase contributes its value (returns) to "returns only"
    m["ret_before"], m["ret_after"] = np.where(ab, 0, cb), np.where(aa, 0, ca)
    extra = m[(m["group"] != "returns only") & ((m["ret_before"] != 0) | (m["ret_after"] != 0))]
    if len(extra):
        ret = extra.assign(group="returns only", active_before=0, active_after=0, orders_before=0, orders_after=0,
                           cents_before=0, cents_after=0, total_before=0, total_after=0)
        m = pd.concat([m.assign(ret_before=np.where(m["group"] == "returns only", m["ret_before"], 0),
                                ret_after=np.where(m["group"] == "returns only", m["ret_after"], 0)), ret],
                      ignore_index=True)
    return m


def _references(m: pd.DataFrame) -> pd.DataFrame:
    """Per pair: orders per buying customer and basket (cents per order) in each period."""
    g = m.groupby("pair")
    c0, c1 = g["active_before"].sum(), g["active_after"].sum()
    o0, o1 = g["orders_before"].sum(), g["orders_after"].sum()
    s0, s1 = g["cents_before"].sum(), g["cents_after"].sum()
    return pd.DataFrame({"f0": o0 / c0.where(c0 > 0), "b0": s0 / o0.where(o0 > 0),
                         "f1": o1 / c1.where(c1 > 0), "b1": s1 / o1.where(o1 > 0)})


def _split(group: str, c0: int, c1: int, o0: int, o1: int, s0: int, s1: int, ref: pd.Series) -> dict[str, int]:
    """Shapley split of s1 - s0 = C1 F1 B1 - C0 F0 B0 into the three factors, in integer cents."""
    change = s1 - s0
    if group == "returns only":
        return {"customers_effect": 0, "orders_effect": 0, "basket_effect": change}
    f0, b0 = (o0 / c0, s0 / o0) if c0 else (ref["f0"], ref["b0"])
    f1, b1 = (o1 / c1, s1 / o1) if c1 else (ref["f1"], ref["b1"])
    if c0 == 0 and not (np.isfinite(f0) and np.isfinite(b0)):
        f0, b0 = f1, b1  # no buying customer in the earlier period: all of it is customers
    if c1 == 0 and not (np.isfinite(f1) and np.isfinite(b1)):
        f1, b1 = f0, b0
    dc, df, db = c1 - c0, f1 - f0, b1 - b0
    raw = np.array([dc * ((f0 * b0 + f1 * b1) / 3 + (f0 * b1 + f1 * b0) / 6),
                    df * ((c0 * b0 + c1 * b1) / 3 + (c0 * b1 + c1 * b0) / 6),
                    db * ((c0 * f0 + c1 * f1) / 3 + (c0 * f1 + c1 * f0) / 6)])
    return dict(zip(COMPONENTS, _largest_remainder(raw, change)))


def _largest_remainder(raw: np.ndarray, total: int) -> list[int]:
    """Integers as close as can be to ``raw`` that add up to ``total`` exactly."""
    base = np.floor(raw).astype("int64")
    left = int(total - base.sum())
    order = np.argsort(-(raw - base), kind="stable")
    for k in range(abs(left)):
        base[order[k % len(base)] if left > 0 else order[::-1][k % len(base)]] += 1 if left > 0 else -1
    return [int(v) for v in base]
