"""Step 4: which customers each existing strategy reached, who is over-contacted, who is not."""
from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from userops import compute, features, i18n
from userops import schema as s
from userops.i18n import N_, _

__all__ = [
    "prepare", "in_window", "calendar", "reach", "matrix", "uncovered", "uncovered_summary", "intensity",
    "overlap", "category_fit", "preference_fit", "funnel", "NO_ORDERS",
]

# the segment of reached customers with no order up to the cut-off (shown in the report's language)
NO_ORDERS = N_("(no orders)")


def prepare(tables: dict[str, pd.DataFrame], *, as_of: pd.Timestamp, window_days: int
            ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Strategies running in the window, who they reached, and a statement of what is missing.

    Works on any dataset: without strategies or exposures both frames are empty (with their
    columns) and the statement (a clause in the report's language, e.g. "this data has no
    strategies table") says why step 4 has nothing to show; otherwise it is empty.
    """
    strategies = tables.get("strategies", pd.DataFrame(columns=[s.STRATEGY_ID, s.START, s.END]))
    exposures = tables.get("exposures", pd.DataFrame(columns=[s.CUSTOMER_ID, s.STRATEGY_ID]))
    responses = tables.get("responses")
    st = in_window(strategies.astype({s.START: "datetime64[us]", s.END: "datetime64[us]"}),
                   as_of=as_of, window_days=window_days)
    if s.TYPE not in st:
        st = st.assign(**{s.TYPE: "all"})
    reached = reach(exposures, responses, strategies=st)
    note = ""
    if strategies.empty:
        note = _("this data has no strategies table")
    elif exposures.empty:
        note = _("this data has strategies but no exposures, so who each strategy reached is unknown")
    elif st.empty:
        note = _("no strategy ran in the {days} days up to the cut-off").format(days=i18n.number(window_days))
    elif reached.empty:
        note = _("no exposure belongs to a strategy that ran in the window")
    return st, reached, note


def in_window(strategies: pd.DataFrame, *, as_of: pd.Timestamp, window_days: int) -> pd.DataFrame:
    """Strategies whose run overlaps the ``window_days`` ending at ``as_of``."""
    first = pd.Timestamp(as_of) - pd.Timedelta(days=window_days - 1)
    keep = (strategies[s.END] >= first) & (strategies[s.START] <= pd.Timestamp(as_of))
    return strategies[keep].sort_values([s.START, s.STRATEGY_ID], ignore_index=True)


def reach(exposures: pd.DataFrame, responses: pd.DataFrame | None, *, strategies: pd.DataFrame
          ) -> pd.DataFrame:
    """One row per reached customer and strategy, with ``responded`` (any response to it)."""
    r = exposures[exposures[s.STRATEGY_ID].isin(strategies[s.STRATEGY_ID])][
        [s.CUSTOMER_ID, s.STRATEGY_ID]].drop_duplicates()
    responders = (set(zip(responses[s.CUSTOMER_ID], responses[s.STRATEGY_ID]))
                  if responses is not None and len(responses) else set())
    r = r.assign(responded=[(c, k) in responders for c, k in zip(r[s.CUSTOMER_ID], r[s.STRATEGY_ID])])
    kind = strategies.set_index(s.STRATEGY_ID)[s.TYPE] if s.TYPE in strategies else None
    r["type"] = r[s.STRATEGY_ID].map(kind) if kind is not None else "all"
    return r.sort_values([s.STRATEGY_ID, s.CUSTOMER_ID], ignore_index=True)


def calendar(strategies: pd.DataFrame, reached: pd.DataFrame) -> pd.DataFrame:
    """Every strategy with type, dates, reach, responders and conversion (responders / reach)."""
    g = reached.groupby(s.STRATEGY_ID)
    out = strategies.set_index(s.STRATEGY_ID).assign(
        reach=g.size(), responders=g["responded"].sum()).fillna({"reach": 0, "responders": 0})
    out = out.astype({"reach": "int64", "responders": "int64"})
    out["conversion"] = out["responders"] / out["reach"].where(out["reach"] > 0)
    out["days"] = (out[s.END] - out[s.START]).dt.days + 1
    return out.reset_index()


def matrix(reached: pd.DataFrame, segments: pd.DataFrame, *, by: str, level: str = s.STRATEGY_ID
           ) -> pd.DataFrame:
    """Strategy (or ``level="type"``) x segment: segment size, reached, share, responders, conversion.

    ``segments`` has one row per customer with the column ``by``; customers reached but not in
    ``segments`` (no order up to the cut-off) are counted under :data:`NO_ORDERS` (in the
    report's language: the frame is for display).
    """
    cols = [level, by, "reached", "responders", "segment_size", "share_reached", "conversion"]
    if segments is None or segments.empty or reached.empty:
        return pd.DataFrame(columns=cols)
    seg = segments.set_index(s.CUSTOMER_ID)[by].astype(str)
    size = seg.value_counts().rename("segment_size")
    r = reached.drop_duplicates([s.CUSTOMER_ID, level]) if level != s.STRATEGY_ID else reached
    if level != s.STRATEGY_ID:  # a customer responded to the type if to any of its strategies
        r = reached.groupby([s.CUSTOMER_ID, level], as_index=False)["responded"].max()
    r = r.assign(segment=r[s.CUSTOMER_ID].map(seg).fillna(_(NO_ORDERS)))
    g = r.groupby([level, "segment"])
    out = pd.DataFrame({"reached": g.size(), "responders": g["responded"].sum()}).reset_index()
    levels = sorted(r[level].unique(), key=str)
    full = pd.MultiIndex.from_product([levels, list(size.index)], names=[level, "segment"])
    out = out.set_index([level, "segment"]).reindex(full.union(out.set_index([level, "segment"]).index),
                                                     fill_value=0).reset_index()
    out = out.merge(size.rename_axis("segment").reset_index(), on="segment", how="left")
    out["share_reached"] = out["reached"] / out["segment_size"]
    out["conversion"] = out["responders"] / out["reached"].where(out["reached"] > 0)
    return out.rename(columns={"segment": by}).sort_values([level, by], ignore_index=True)


def uncovered(segments: pd.DataFrame, reached: pd.DataFrame) -> pd.DataFrame:
    """The customers no strategy in the window reached (rows of ``segments``), by GMV."""
    out = segments[~compute.isin(segments[s.CUSTOMER_ID], reached[s.CUSTOMER_ID])]
    return out.sort_values(["monetary", s.CUSTOMER_ID], ascending=[False, True], ignore_index=True)


def uncovered_summary(segments: pd.DataFrame, reached: pd.DataFrame, *, by: list[str]) -> pd.DataFrame:
    """Per segment: customers, uncovered customers, their share, and their share of total GMV."""
    d = segments.assign(uncovered=~compute.isin(segments[s.CUSTOMER_ID], reached[s.CUSTOMER_ID]))
    total = d["monetary"].sum()
    g = d.groupby(by, observed=True)
    out = pd.DataFrame({
        "customers": g.size(), "uncovered": g["uncovered"].sum(),
        "uncovered_gmv": g.apply(lambda x: x.loc[x["uncovered"], "monetary"].sum(), include_groups=False),
    })
    out["uncovered_share"] = out["uncovered"] / out["customers"]
    out["uncovered_gmv_share"] = out["uncovered_gmv"] / total if total else np.nan
    return out.reset_index()


def intensity(segments: pd.DataFrame, reached: pd.DataFrame, *, by: str, cap: int = 4) -> pd.DataFrame:
    """Strategies per customer by segment: mean, and the share reached 0, 1, ... ``cap``+ times."""
    n = reached.groupby(s.CUSTOMER_ID).size()
    d = segments[[s.CUSTOMER_ID, by]].assign(
        contacts=segments[s.CUSTOMER_ID].map(n).fillna(0).astype("int64"))
    labels = [str(i) for i in range(cap)] + [f"{cap}+"]
    d["band"] = pd.Categorical(np.minimum(d["contacts"], cap).astype(int).map(dict(enumerate(labels))),
                               categories=labels)
    shares = pd.crosstab(d[by], d["band"], normalize="index", dropna=False)
    out = d.groupby(by, observed=True)["contacts"].agg(["mean", "max"]).join(shares)
    return out.rename(columns={"mean": "mean_contacts", "max": "max_contacts"}).reset_index()


def overlap(reached: pd.DataFrame, strategies: pd.DataFrame) -> pd.DataFrame:
    """Pairs of strategies that ran at the same time: customers reached by both.

    Columns: strategy_a, strategy_b, days_overlapping, reach_a, reach_b, both, share_of_smaller.
    """
    st = strategies.set_index(s.STRATEGY_ID)
    who = reached.groupby(s.STRATEGY_ID)[s.CUSTOMER_ID].apply(set)
    rows = []
    ids = [k for k in st.index if k in who.index]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            days = (min(st.loc[a, s.END], st.loc[b, s.END]) - max(st.loc[a, s.START], st.loc[b, s.START])).days + 1
            if days <= 0:
                continue
            both = len(who[a] & who[b])
            rows.append({"strategy_a": a, "strategy_b": b, "days_overlapping": days,
                         "reach_a": len(who[a]), "reach_b": len(who[b]), "both": both,
                         "share_of_smaller": both / min(len(who[a]), len(who[b]))})
    cols = ["strategy_a", "strategy_b", "days_overlapping", "reach_a", "reach_b", "both", "share_of_smaller"]
    return pd.DataFrame(rows, columns=cols).sort_values(["both", "strategy_a", "strategy_b"],
                                                        ascending=[False, True, True], ignore_index=True)


def category_fit(reached: pd.DataFrame, offers: pd.DataFrame, spend: pd.DataFrame,
                 strategies: pd.DataFrame) -> pd.DataFrame:
    """How much the reached customers already buy the categories a strategy offers.

    ``spend`` is customer x category net spend before the strategies (``customer_id, category,
    spend``). Per strategy: the offered categories, the share of the reached customers' spend in
    them, the same share over all customers, and the index (reached / all x 100). An index well
    above 100 means the strategy went to customers who already buy what it offers.
    """
    cats = offers.dropna(subset=[s.CATEGORY]).groupby(s.STRATEGY_ID)[s.CATEGORY].apply(lambda c: sorted(set(c)))
    total = spend.groupby(s.CUSTOMER_ID)["spend"].sum()
    rows = []
    for sid in strategies[s.STRATEGY_ID]:
        if sid not in cats.index:
            continue
        in_cat = spend[spend[s.CATEGORY].isin(cats[sid])].groupby(s.CUSTOMER_ID)["spend"].sum()
        who = reached.loc[reached[s.STRATEGY_ID] == sid, s.CUSTOMER_ID]
        reached_share = in_cat.reindex(who).sum() / total.reindex(who).sum() if len(who) else np.nan
        all_share = in_cat.sum() / total.sum() if total.sum() else np.nan
        rows.append({s.STRATEGY_ID: sid, "categories": len(cats[sid]),
                     "offered": ", ".join(cats[sid][:4]) + (" ..." if len(cats[sid]) > 4 else ""),
                     "reached": len(who), "reached_share": reached_share, "all_share": all_share,
                     "index": 100 * reached_share / all_share if all_share else np.nan})
    cols = [s.STRATEGY_ID, "categories", "offered", "reached", "reached_share", "all_share", "index"]
    return pd.DataFrame(rows, columns=cols)


def preference_fit(reached: pd.DataFrame, table: pd.DataFrame | None, *,
                   features: tuple[str, ...] = ("weekend_share", "evening_share", "main_store_share",
                                                "discount_share", "coupon_order_share")) -> pd.DataFrame:
    """Channel, time and promotion preferences (step 2's feature table) of each strategy's
    reached customers, as an index against all customers (100 = the same mean)."""
    if table is None or table.empty or reached.empty:
        return pd.DataFrame(columns=[s.STRATEGY_ID, "reached", *features])
    cols = [f for f in features if f in table and table[f].notna().any()]
    base = table[cols].mean()
    t = table.set_index(s.CUSTOMER_ID)[cols]
    rows = []
    for sid, g in reached.groupby(s.STRATEGY_ID, sort=True):
        m = t.reindex(g[s.CUSTOMER_ID]).mean()
        rows.append({s.STRATEGY_ID: sid, "reached": len(g), **(100 * m / base).to_dict()})
    return pd.DataFrame(rows)


def funnel(reached: pd.DataFrame, orders: pd.DataFrame | ibis.Table, strategies: pd.DataFrame, *,
           repeat_days: int = 30) -> pd.DataFrame:
    """AIPL-style funnel per strategy type, each stage a subset of the one before:
    reached -> purchased while the strategy ran -> responded (redeemed) -> purchased again in
    the ``repeat_days`` after it ended. ``orders`` has ``customer_id`` and ``day`` (orders of
    positive value): :func:`userops.features.order_days`, or
    :func:`~userops.features.order_days_table` left in the engine, which then finds each reached
    customer's days. A response is itself a purchase, so "purchased" comes before "responded"."""
    cols = ["type", "reached", "purchased", "responded", "repeated", "purchased_rate",
            "responded_rate", "repeated_rate"]
    if reached.empty:
        return pd.DataFrame(columns=cols)
    st = strategies.set_index(s.STRATEGY_ID)
    d = reached.assign(start=reached[s.STRATEGY_ID].map(st[s.START]), end=reached[s.STRATEGY_ID].map(st[s.END]))
    flags = features.window_orders(orders, windows=d[[s.CUSTOMER_ID, "start", "end"]], after_days=repeat_days)
    during, after = flags["during"].to_numpy(dtype=bool), flags["after"].to_numpy(dtype=bool)
    responded = during & d["responded"].to_numpy(dtype=bool)
    d = d.assign(purchased=during, responded_=responded, repeated=responded & after)
    g = d.groupby("type")
    out = pd.DataFrame({"reached": g.size(), "purchased": g["purchased"].sum(),
                        "responded": g["responded_"].sum(), "repeated": g["repeated"].sum()})
    out["purchased_rate"] = out["purchased"] / out["reached"]
    out["responded_rate"] = out["responded"] / out["purchased"].where(out["purchased"] > 0)
    out["repeated_rate"] = out["repeated"] / out["responded"].where(out["responded"] > 0)
    return out.reset_index()[cols]
