"""Step 6: strategy KPIs with intervals, the coverage/effect seesaw and budget allocation."""
from __future__ import annotations

import json

import ibis
import numpy as np
import pandas as pd
from scipy.optimize import linprog

from userops import features, i18n
from userops import schema as s
from userops.i18n import N_, _
from userops.effects import contact_cost_per_customer, run_weeks, week_start

__all__ = ["DEFINITIONS", "definitions", "KPI_COLUMNS", "kpis", "cost_per_customer", "seesaw", "allocate", "frontier",
           "greedy", "decisions", "decision_summary", "DECISION_COLUMNS", "ROI_UNIT", "ACTION_WORDS", "action_text",
           "reason_text", "reasons_shown", "shown", "effect_status_text", "alerts"]

DEFINITIONS = pd.DataFrame([
    ("reach", N_("customers the strategy reached (exposures)")),
    ("participants", N_("reached customers with at least one response to the strategy")),
    ("conversion", N_("participants / reach")),
    ("gmv", N_("net spend of the reached customers while the strategy ran")),
    ("arpu", N_("gmv / reach")),
    ("cost", N_("contact cost per customer (the strategies table's cost_per_contact, else the contact_cost "
                 "parameter) x reach + coupon_cost_per_response x responses")),
    ("weeks", N_("calendar weeks (Monday to Sunday) the run touches, from the week of its start to the week of "
                  "its end: the weeks step 5 measures the effect over")),
    ("incremental_gmv", N_("effect per customer-week (step 5, weighted DiD) x weeks x reach, with its 95% CI")),
    ("holdout_customers", N_("where the effect cannot be told apart from zero: customers a random holdout needs "
                              "(kept uncontacted, beside reached_needed reached) over holdout_weeks to detect the "
                              "break-even effect (step 5)")),
    ("roi", N_("(incremental_gmv - cost) / cost, with the interval of incremental_gmv carried through")),
], columns=["kpi", "definition"])


def definitions() -> pd.DataFrame:
    """:data:`DEFINITIONS` with each definition in the report's language (the KPI names are
    column names: the table shows their labels)."""
    return DEFINITIONS.assign(definition=[_(d) for d in DEFINITIONS["definition"]])


NO_ESTIMATE = N_("no estimate in step 5")  # the effect_status of a strategy step 5 has no row for
KPI_COLUMNS = ("reach", "participants", "gmv", "responses", "type", "weeks", "conversion", "arpu",
               "cost", "incremental_gmv", "inc_low", "inc_high", "effect_status", "roi", "roi_low",
               "roi_high", "holdout_customers", "reached_needed", "holdout_weeks")


def kpis(reached: pd.DataFrame, responses: pd.DataFrame | None, weekly: pd.DataFrame | ibis.Table,
         strategies: pd.DataFrame, effects: pd.DataFrame, *, contact_cost: float,
         coupon_cost_per_response: float, segments: pd.DataFrame | None = None,
         by: str | None = None) -> pd.DataFrame:
    """KPIs per strategy, or per strategy x segment when ``segments``/``by`` are given.

    ``reached`` is step 4's reach table, ``weekly`` the customer-week spend
    (:func:`userops.features.weekly_activity`, or :func:`~userops.features.weekly_table` kept in
    the engine: each reached customer's spend over the run is summed there), ``effects`` step
    5's results (spend outcome). Per segment, incremental GMV uses the strategy's average effect.
    """
    if reached.empty:
        return pd.DataFrame(columns=[s.STRATEGY_ID, *([by] if by else []), *KPI_COLUMNS])
    st = strategies.set_index(s.STRATEGY_ID)
    r = reached.assign(start=reached[s.STRATEGY_ID].map(st[s.START]), end=reached[s.STRATEGY_ID].map(st[s.END]))
    r["week0"] = week_start(r["start"])
    gmv = _window_spend(r, weekly)
    n_resp = (responses.groupby([s.CUSTOMER_ID, s.STRATEGY_ID]).size() if responses is not None and len(responses)
              else pd.Series(dtype="int64"))
    r = r.assign(gmv=gmv, responses=[n_resp.get((c, k), 0) for c, k in zip(r[s.CUSTOMER_ID], r[s.STRATEGY_ID])])
    keys = [s.STRATEGY_ID]
    if segments is not None and by is not None:
        r = r.merge(segments[[s.CUSTOMER_ID, by]], on=s.CUSTOMER_ID, how="left")
        r[by] = r[by].astype(str).where(r[by].notna(), "(no orders)")
        keys.append(by)
    g = r.groupby(keys, observed=True)
    out = pd.DataFrame({"reach": g.size(), "participants": g["responded"].sum(), "gmv": g["gmv"].sum(),
                        "responses": g["responses"].sum()}).reset_index()
    out["type"] = out[s.STRATEGY_ID].map(st[s.TYPE]) if s.TYPE in st else "all"
    out["weeks"] = out[s.STRATEGY_ID].map(run_weeks(st[s.START], st[s.END]))
    out["conversion"] = out["participants"] / out["reach"]
    out["arpu"] = out["gmv"] / out["reach"]
    per_contact = contact_cost_per_customer(strategies, default=contact_cost)
    out["cost"] = (out[s.STRATEGY_ID].map(per_contact).astype(float) * out["reach"]
                   + coupon_cost_per_response * out["responses"])
    wanted = ["estimate", "ci_low", "ci_high", "gate", "holdout_customers", "reached_needed", "holdout_weeks"]
    eff = (effects.drop_duplicates(s.STRATEGY_ID).set_index(s.STRATEGY_ID) if len(effects)
           else pd.DataFrame(columns=wanted)).reindex(columns=wanted)
    for col, src in (("incremental_gmv", "estimate"), ("inc_low", "ci_low"), ("inc_high", "ci_high")):
        out[col] = out[s.STRATEGY_ID].map(eff[src]).astype(float) * out["weeks"] * out["reach"]
    out["effect_status"] = out[s.STRATEGY_ID].map(eff["gate"]).fillna(NO_ESTIMATE)
    for col in ("holdout_customers", "reached_needed", "holdout_weeks"):
        out[col] = out[s.STRATEGY_ID].map(eff[col]).astype(float)
    cost = out["cost"].where(out["cost"] > 0)
    for col, src in (("roi", "incremental_gmv"), ("roi_low", "inc_low"), ("roi_high", "inc_high")):
        out[col] = (out[src] - out["cost"]) / cost
    return out.sort_values(keys, ignore_index=True)


def cost_per_customer(kpi: pd.DataFrame) -> pd.Series:
    """Cost per reached customer of each strategy (contact plus its responses' coupons)."""
    k = kpi.set_index(s.STRATEGY_ID)
    return (k["cost"] / k["reach"]).astype(float)


def seesaw(cells: pd.DataFrame, sizes: pd.Series, *, by: str = "pre_tier_rank") -> pd.DataFrame:
    """For each strategy: add segments in order of expected effect; coverage vs incremental
    value per reached customer-week (falls as coverage grows: the seesaw)."""
    rows = []
    for sid, g in cells.groupby(s.STRATEGY_ID, sort=True):
        g = g.assign(n=g[by].map(sizes).fillna(0)).sort_values(["effect", by], ascending=[False, True])
        g = g[g["n"] > 0]
        cum_n, cum_v = g["n"].cumsum(), (g["n"] * g["effect"]).cumsum()
        total = sizes.sum()
        rows.append(pd.DataFrame({s.STRATEGY_ID: sid, by: g[by].to_numpy(), "coverage": (cum_n / total).to_numpy(),
                                  "customers": cum_n.to_numpy(), "value_per_customer": (cum_v / cum_n).to_numpy(),
                                  "marginal_effect": g["effect"].to_numpy()}))
    cols = [s.STRATEGY_ID, by, "coverage", "customers", "value_per_customer", "marginal_effect"]
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)


def allocate(cells: pd.DataFrame, sizes: pd.Series, *, budget: float, cost_per_customer: pd.Series,
             by: str = "pre_tier_rank", margin: float = 1.0) -> pd.DataFrame:
    """Share x of each segment given each strategy that maximises net incremental value.

    maximise sum n_g x_sg (margin * weeks_s * effect_sg - c_s) subject to the budget
    sum n_g c_s x_sg <= budget, at most one strategy per customer (sum_s x_sg <= 1), 0 <= x <= 1.
    Solved as a linear program with scipy's HiGHS. Returns the cells with ``x``, customers,
    spend and incremental GMV.
    """
    d = cells.assign(n=cells[by].map(sizes).fillna(0).astype(float),
                     c=cells[s.STRATEGY_ID].map(cost_per_customer).astype(float)).reset_index(drop=True)
    d = d[d["n"] > 0].reset_index(drop=True)
    if d.empty:
        return d.assign(x=[], customers=[], spend=[], incremental_gmv=[])
    value = d["n"] * (margin * d["weeks"] * d["effect"] - d["c"])
    groups = list(dict.fromkeys(d[by]))
    A = [d["n"] * d["c"]] + [(d[by] == g).astype(float) for g in groups]
    b = [budget] + [1.0] * len(groups)
    res = linprog(-value.to_numpy(), A_ub=np.vstack(A), b_ub=np.array(b), bounds=(0, 1), method="highs")
    if res.status != 0:
        raise RuntimeError(f"budget allocation failed: {res.message}")
    x = np.round(res.x, 12)
    return d.assign(x=x, customers=x * d["n"], spend=x * d["n"] * d["c"],
                    incremental_gmv=x * d["n"] * d["weeks"] * d["effect"], net_value=x * value)


def greedy(cells: pd.DataFrame, sizes: pd.Series, *, budget: float, cost_per_customer: pd.Series,
           by: str = "pre_tier_rank", margin: float = 1.0) -> float:
    """Net value of funding cells in decreasing value per unit cost (the LP's answer for one
    segment per cell and a single budget row): a check on :func:`allocate`."""
    d = cells.assign(n=cells[by].map(sizes).fillna(0).astype(float),
                     c=cells[s.STRATEGY_ID].map(cost_per_customer).astype(float))
    d = d[d["n"] > 0]
    d = d.assign(v=margin * d["weeks"] * d["effect"] - d["c"])
    d = d[d["v"] > 0]
    d = d.assign(ratio=d["v"] / d["c"]).sort_values(["ratio", s.STRATEGY_ID], ascending=[False, True])
    left, total = budget, 0.0
    for r in d.itertuples():
        take = min(1.0, left / (r.n * r.c)) if r.c > 0 else 1.0
        total += take * r.n * r.v
        left -= take * r.n * r.c
        if left <= 0:
            break
    return total


def frontier(cells: pd.DataFrame, sizes: pd.Series, *, budgets: np.ndarray, cost_per_customer: pd.Series,
             by: str = "pre_tier_rank", margin: float = 1.0) -> pd.DataFrame:
    """Incremental GMV and net value of the best allocation at each budget (the seesaw across
    strategies: the slope, the marginal return, falls as the budget grows)."""
    rows = []
    for b in budgets:
        a = allocate(cells, sizes, budget=float(b), cost_per_customer=cost_per_customer, by=by, margin=margin)
        rows.append({"budget": float(b), "spend": float(a["spend"].sum()) if len(a) else 0.0,
                     "incremental_gmv": float(a["incremental_gmv"].sum()) if len(a) else 0.0,
                     "net_value": float(a["net_value"].sum()) if len(a) else 0.0,
                     "customers": float(a["customers"].sum()) if len(a) else 0.0})
    return pd.DataFrame(rows)


def decisions(table: pd.DataFrame, allocation: pd.DataFrame, *, tolerance: float = 0.1) -> pd.DataFrame:
    """Expand / keep / cut per strategy: recommended customers vs customers reached now, with why."""
    rec = allocation.groupby(s.STRATEGY_ID)["customers"].sum() if len(allocation) else pd.Series(dtype=float)
    rows: list[dict] = []
    for r in table.itertuples():
        now, new = float(r.reach), float(rec.get(r.strategy_id, 0.0))
        if np.isnan(r.incremental_gmv):
            action, why = "test with a holdout", f"no effect estimate ({r.effect_status}); {_holdout_english(r)}"
        elif r.inc_low <= 0 <= r.inc_high and new == 0:
            action, why = "cut or test", f"effect not distinguishable from zero; {_holdout_english(r)}"
        elif new > now * (1 + tolerance):
            action, why = "expand", f"best use of budget reaches {new:,.0f} customers vs {now:,.0f} now"
        elif new < now * (1 - tolerance):
            action, why = "cut", f"best use of budget reaches {new:,.0f} customers vs {now:,.0f} now"
        else:
            action, why = "keep", "current reach is close to the best use of budget"
        rows.append({s.STRATEGY_ID: r.strategy_id, "type": r.type, "reach_now": int(now),
                     "reach_recommended": round(new), "action": action, "reason": why})
    return pd.DataFrame(rows, columns=[s.STRATEGY_ID, "type", "reach_now", "reach_recommended",
                                       "action", "reason"])


ROI_UNIT = N_("net incremental GMV per 1 of cost")
DECISION_COLUMNS = ("strategy_id", "type", "action", "effect", "effect_low", "effect_high", "incremental_gmv",
                    "inc_low", "inc_high", "roi", "roi_low", "roi_high", "roi_unit", "reach", "reach_recommended",
                    "cost", "holdout_customers", "reason", "reason_fields")
# the actions as the report shows them (the artifact keeps the English keys)
ACTION_WORDS = {"expand": N_("expand"), "keep": N_("keep"), "cut": N_("cut"), "test": N_("test")}
_ACTIONS = {"expand": "expand", "keep": "keep", "cut": "cut", "cut or test": "test", "test with a holdout": "test"}


def decision_summary(kpi: pd.DataFrame, allocation: pd.DataFrame, *, tolerance: float = 0.1,
                     n_customers: int | None = None) -> pd.DataFrame:
    """One row per strategy for a manager: the action (expand / keep / cut / test, from
    :func:`decisions`), the effect on spend per reached customer-week with its 95% interval,
    incremental GMV, ROI with its interval (unit :data:`ROI_UNIT`), reach now and recommended,
    cost, the holdout a test needs (only where the effect is unclear) and the reason in words.
    With ``n_customers`` (the customer base), a holdout that needs more customers than the base
    has is said to be out of reach, not prescribed."""
    if kpi.empty:
        return pd.DataFrame(columns=list(DECISION_COLUMNS))
    d = decisions(kpi, allocation, tolerance=tolerance).set_index(s.STRATEGY_ID)
    k = kpi.set_index(s.STRATEGY_ID)
    per_week = (k["weeks"] * k["reach"]).where(lambda x: x > 0)
    out = pd.DataFrame({s.STRATEGY_ID: k.index, "type": k["type"].to_numpy(),
                        "action": d["action"].map(_ACTIONS).reindex(k.index).to_numpy()})
    for col, src in (("effect", "incremental_gmv"), ("effect_low", "inc_low"), ("effect_high", "inc_high")):
        out[col] = (k[src] / per_week).to_numpy(dtype=float)
    for col in ("incremental_gmv", "inc_low", "inc_high", "roi", "roi_low", "roi_high"):
        out[col] = k[col].to_numpy(dtype=float)
    out["roi_unit"] = np.where(out["roi"].notna(), ROI_UNIT, "")
    out["reach"] = k["reach"].to_numpy(dtype="int64")
    out["reach_recommended"] = d["reach_recommended"].reindex(k.index).to_numpy(dtype="int64")
    out["cost"] = k["cost"].to_numpy(dtype=float)
    out["holdout_customers"] = np.where(out["action"] == "test", k["holdout_customers"].to_numpy(dtype=float),
                                        np.nan)
    if n_customers:  # a holdout out of reach of the base is not shown as a size to hold out
        needed = k["reached_needed"].to_numpy(dtype=float) if "reached_needed" in k else 0.0
        out.loc[out["holdout_customers"] + np.nan_to_num(needed) > n_customers, "holdout_customers"] = np.nan
    out["reason"], out["reason_fields"] = zip(*[_reason(r, k.loc[r.strategy_id], tolerance, n_customers)
                                                for r in out.itertuples()]) if len(out) else ([], [])
    order = {"expand": 0, "keep": 1, "test": 2, "cut": 3}
    ids = out[s.STRATEGY_ID].astype(str)
    numeric = pd.to_numeric(ids, errors="coerce")  # ids sorted as numbers when they all are numbers
    out = out.assign(_o=out["action"].map(order), _id=numeric if numeric.notna().all() else ids)
    out = out.sort_values(["_o", "roi", "_id"], ascending=[True, False, True], na_position="last")
    return out.reset_index(drop=True)[list(DECISION_COLUMNS)]


def action_text(action: str) -> str:
    """An action of :func:`decision_summary` (``expand``, ``keep``, ``cut``, ``test``: English,
    stored) as the report shows it, in its language."""
    return _(ACTION_WORDS[action])


def reason_text(fields: dict[str, object] | str) -> str:
    """The reason of a decision in the report's language, from its ``reason_fields`` (a dict or
    the JSON the artifact stores): what step 5 says of the effect, then what follows for the
    action, with the row's numbers."""
    f = json.loads(fields) if isinstance(fields, str) else fields
    if f["said"] == "unknown":
        said = _("Step 5 could not estimate its effect: {status}").format(status=effect_status_text(f["status"]))
    else:
        effect = _("{effect} [{low}, {high}] per reached customer-week").format(
            effect=i18n.signed(f["effect"]), low=i18n.signed(f["low"]), high=i18n.signed(f["high"]))
        said = {"unclear": _("Its effect on spend, {effect}, cannot be told apart from zero"),
                "lowered": _("It lowered spend: {effect}"),
                "adds": _("It adds {effect}")}[f["said"]].format(effect=effect)
    if f["then"] == "test":
        then = _holdout_words(f)
    elif f["then"] == "cut none":
        then = _("the budget returns more elsewhere: the best allocation funds none of the {now} customers it "
                 "reaches now").format(now=i18n.number(f["now"]))
    elif f["then"] == "cut":
        then = _("the best allocation reaches {new} of its customers, fewer than the {now} now").format(
            new=i18n.number(f["new"]), now=i18n.number(f["now"]))
    elif f["then"] == "expand":
        then = _("the best allocation reaches {new} customers, more than the {now} now").format(
            new=i18n.number(f["new"]), now=i18n.number(f["now"]))
    else:
        then = _("its reach now ({now}) is within {tolerance} of the best allocation ({new})").format(
            now=i18n.number(f["now"]), tolerance=i18n.percent(f["tolerance"]), new=i18n.number(f["new"]))
    return _("{said}; {then}.").format(said=said, then=then)


def reasons_shown(decided: pd.DataFrame) -> list[str]:
    """The ``reason`` of each row of a decision summary (or its artifact ``06_decisions``) in the
    report's language, for the decision table (the stored ``reason`` is English)."""
    return [reason_text(f) for f in decided["reason_fields"]]


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A step 6 table (:func:`kpis`, :func:`allocate`) for display: step 5's words in it (the
    verdict ``effect_status``, the effect's ``source``) in the report's language (the stored
    tables keep them English)."""
    cols = [c for c in ("effect_status", "source") if c in frame.columns]
    return frame.assign(**{c: [effect_status_text(v) for v in frame[c]] for c in cols}) if cols else frame


def effect_status_text(status: str) -> str:
    """Step 5's verdict on a strategy's effect (its ``gate``, English in the artifacts) as the
    report shows it."""
    from userops import effects

    return _(status) if status == NO_ESTIMATE else effects.say(status)


def alerts(current: pd.DataFrame, previous: pd.DataFrame, *, metrics: tuple[str, ...] = ("conversion", "arpu"),
           threshold: float = 0.2) -> pd.DataFrame:
    """Compare this run's KPIs per strategy type with the previous run's; flag relative moves
    beyond ``threshold`` (the early warning)."""
    cols = ["type", "metric", "previous", "this_run", "change", "alert"]
    if previous is None or previous.empty or current.empty:
        return pd.DataFrame(columns=cols)
    cur = _by_type(current)
    prev = _by_type(previous)
    rows = []
    for kind in sorted(set(cur.index) & set(prev.index)):
        for m in metrics:
            a, b = prev.loc[kind, m], cur.loc[kind, m]
            change = (b - a) / abs(a) if a else np.nan
            rows.append({"type": kind, "metric": m, "previous": a, "this_run": b, "change": change,
                         "alert": bool(abs(change) > threshold) if not np.isnan(change) else False})
    return pd.DataFrame(rows, columns=cols)


# -- private helpers ------------------------------------------------------------------------

def _holdout_fields(r, n_customers: int | None = None) -> dict[str, object]:
    """The holdout a decision needs, from step 5's sizing (or why there is none, or why it is
    out of reach of a base of ``n_customers``), as :func:`reason_text` fields."""
    n = getattr(r, "holdout_customers", np.nan)
    if n is None or np.isnan(n):
        return {"holdout": "unsized"}
    need = n + float(getattr(r, "reached_needed", 0) or 0)
    if n_customers and need > n_customers:
        return {"holdout": "out of reach", "held": int(n), "reached": int(r.reached_needed),
                "base": int(n_customers)}
    return {"holdout": "sized", "held": int(n), "reached": int(r.reached_needed), "weeks": int(r.holdout_weeks),
            "reach": int(r.reach)}


def _holdout_english(r) -> str:
    return _english(_holdout_words, _holdout_fields(r))


def _holdout_words(f: dict[str, object]) -> str:
    """The holdout clause of a reason (:func:`_holdout_fields`), in the report's language."""
    if f["holdout"] == "unsized":
        return _("if it continues, keep a random holdout of the targeted customers (step 5 could not size it)")
    if f["holdout"] == "out of reach":
        return _("a holdout cannot settle it here: telling its break-even effect from zero needs {held} held-out "
                 "and {reached} reached customers, more than the {base} in the data; pool it with similar "
                 "strategies into one test, or judge it on responses").format(
            held=i18n.number(f["held"]), reached=i18n.number(f["reached"]), base=i18n.number(f["base"]))
    return _("to tell its break-even effect from zero, hold out {held} customers and reach {reached} for {weeks} "
             "weeks (it reached {reach})").format(held=i18n.number(f["held"]), reached=i18n.number(f["reached"]),
                                                  weeks=i18n.number(f["weeks"]), reach=i18n.number(f["reach"]))


def _reason_fields(r, k: pd.Series, tolerance: float, n_customers: int | None = None) -> dict[str, object]:
    """Why a strategy gets its action, as the fields :func:`reason_text` writes in words: what
    step 5 says of its effect (``said``) and what follows for the action (``then``), with the
    row's own numbers. Keys and values are English (they are stored in the artifact)."""
    now, new = int(r.reach), int(r.reach_recommended)
    if np.isnan(r.effect):
        return {"said": "unknown", "status": str(k["effect_status"]), "then": "test"} | _holdout_fields(k, n_customers)
    said = ("unclear" if r.effect_low <= 0 <= r.effect_high else "lowered" if r.effect_high < 0 else "adds")
    out = {"said": said, "effect": float(r.effect), "low": float(r.effect_low), "high": float(r.effect_high),
           "now": now, "new": new}
    if r.action == "test":
        return out | {"then": "test"} | _holdout_fields(k, n_customers)
    if r.action == "cut":
        return out | {"then": "cut none" if new == 0 else "cut"}
    if r.action == "expand":
        return out | {"then": "expand"}
    return out | {"then": "keep", "tolerance": float(tolerance)}


def _reason(r, k: pd.Series, tolerance: float, n_customers: int | None = None) -> tuple[str, str]:
    """Why a strategy gets its action: the sentence in English (the artifact's ``reason``) and
    its fields as JSON (``reason_fields``, from which :func:`reason_text` writes it in the report's
    language)."""
    fields = _reason_fields(r, k, tolerance, n_customers)
    return _english(reason_text, fields), json.dumps(fields, sort_keys=True, ensure_ascii=False)


def _english(fn, *args):
    """``fn(*args)`` written in English whatever the report's language (for stored values)."""
    current = i18n.lang()
    i18n.use("en")
    try:
        return fn(*args)
    finally:
        i18n.use(current)


def _window_spend(r: pd.DataFrame, weekly: pd.DataFrame | ibis.Table) -> np.ndarray:
    """Each reach row's spend in the weeks of its strategy's run, summed in the engine."""
    return features.window_spend(weekly, windows=pd.DataFrame(
        {s.CUSTOMER_ID: r[s.CUSTOMER_ID].to_numpy(), "start": r["week0"].to_numpy(), "end": r["end"].to_numpy()}))


def _by_type(k: pd.DataFrame) -> pd.DataFrame:
    g = k.groupby("type")
    out = pd.DataFrame({"reach": g["reach"].sum(), "participants": g["participants"].sum(), "gmv": g["gmv"].sum()})
    out["conversion"] = out["participants"] / out["reach"]
    out["arpu"] = out["gmv"] / out["reach"]
    return out
