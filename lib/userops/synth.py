"""A synthetic retailer with planted truth, emitted as the canonical tables (deterministic per seed)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from userops import schema as s

__all__ = ["Simulation", "SHAPES", "generate", "return_curve_snapshots", "TIERS", "TRANSITION", "CATEGORIES",
           "SPEND_BANDS", "UPLIFT_PER_TIER", "TARGET_COEF", "RESPONSE_COEF"]

TIERS = ("light", "regular", "heavy", "top", "lapsed")
# Quarterly Markov chain between value tiers; rows are origins and sum to 1.
TRANSITION = np.array([
    [0.55, 0.20, 0.05, 0.00, 0.20],
    [0.15, 0.55, 0.20, 0.02, 0.08],
    [0.03, 0.17, 0.60, 0.15, 0.05],
    [0.00, 0.05, 0.20, 0.72, 0.03],
    [0.25, 0.05, 0.00, 0.00, 0.70],
])
_START_MIX = np.array([0.35, 0.30, 0.20, 0.10, 0.05])
_ORDERS_PER_WEEK = np.array([0.35, 0.9, 1.6, 2.6, 0.0])
# Quarterly spend is drawn inside each tier's band (lapsed: no orders), so tiers measured on
# spend with these cut points are the planted tiers. The band leaves room for the uplift.
SPEND_BANDS = (150.0, 400.0, 800.0)  # cut points between light/regular/heavy/top
_BAND_LO = np.array([30.0, 150.0, 400.0, 800.0, 0.0])
_BAND_HI = np.array([150.0, 400.0, 800.0, 1600.0, 0.0])
_UPLIFT_WEEKS = 4
CATEGORIES = ("GROCERY", "PRODUCE", "MEAT", "DRUG GM", "KIOSK-GAS", "PASTRY")
# Three preference clusters: category mix and the share of weekend shopping.
_CLUSTER_CATEGORIES = np.array([
    [0.55, 0.25, 0.10, 0.05, 0.03, 0.02],
    [0.25, 0.15, 0.40, 0.05, 0.10, 0.05],
    [0.20, 0.10, 0.05, 0.25, 0.35, 0.05],
])
_CLUSTER_WEEKEND = np.array([0.15, 0.60, 0.35])
_CLUSTER_MIX = np.array([0.45, 0.30, 0.25])
UPLIFT_PER_TIER = np.array([2.0, 4.0, 6.0, 8.0, 0.0])  # $ per customer-week while a strategy runs
# P(targeted) = logistic(a + b * previous quarter's tier + c * app_user): confounded with spend.
TARGET_COEF = (-2.0, 0.8, 0.8)
# P(redeem | targeted) = logistic(intercept + prior_tier * tier index + app_user + age 55+)
RESPONSE_COEF = {"intercept": -1.5, "prior_tier": 0.3, "app_user": 1.0, "age_55_plus": -0.6}


@dataclass(frozen=True)
class Simulation:
    """The generator's output: canonical ``tables``, the planted ``truth`` and the cut-off."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    as_of: str = "2017-12-31"


SHAPES = ("quarterly", "whole_base", "staggered")


def generate(*, n_customers: int = 2000, n_quarters: int = 4, random_state: int = 0,
             start: str = "2017-01-02", uplift_scale: float = 1.0, shape: str = "quarterly",
             zero_effect: tuple[str, ...] = (), strategy_start_day: int = 0, n_waves: int = 4) -> Simulation:
    """Simulate ``n_customers`` over ``n_quarters`` quarters of 13 weeks each.

    Each customer's value tier follows :data:`TRANSITION` quarter to quarter. A
    customer-quarter's spend without any strategy is drawn inside the tier's band
    (:data:`SPEND_BANDS`) and split over orders that arrive at a tier-specific rate; each
    customer has a preference cluster (category mix, weekend share), an age band and an
    ``app_user`` flag. From the second quarter on, one strategy runs in the first four weeks of
    each quarter, targeted on the previous quarter's tier and on ``app_user``
    (:data:`TARGET_COEF`): targeting is confounded with spend. A targeted customer who shops
    that quarter spends ``uplift_scale`` x :data:`UPLIFT_PER_TIER` (of the previous quarter's
    tier) more per week; the uplift stays inside the band, so tiers are unchanged by it.
    Redemptions follow the logit :data:`RESPONSE_COEF` on observed customer traits.

    ``shape`` sets the strategies (each runs four weeks, ``_UPLIFT_WEEKS``):

    - ``quarterly`` (above): one per quarter from the second on, the same customers may be
      targeted again;
    - ``whole_base``: a single strategy ``S1`` at the start of quarter ``n_quarters // 2``,
      targeted over the whole base on the previous quarter's tier (no other strategy exists,
      so there is no same-type comparison pool);
    - ``staggered``: ``n_waves`` strategies of one type starting every three weeks in quarter
      ``n_quarters // 2``, each targeting customers no earlier wave reached (on the previous
      quarter's tier), so the runs overlap in time but not in customers.

    ``zero_effect`` names strategies whose planted effect is zero (negative controls).
    ``strategy_start_day`` (0 = Monday .. 6) moves every start that many days into its week;
    the run keeps four weeks of days, so it touches five calendar weeks, and the uplift
    applies in every week it touches.
    ``truth`` holds tiers per quarter, the transition matrix, both potential outcomes per
    customer-week (``y0``, ``y1``) with ``strategy`` (the strategy that treated the customer
    that week, else the one running), and the traits.
    """
    if n_customers < 1:
        raise ValueError(f"`n_customers` must be at least 1, not {n_customers}")
    if shape not in SHAPES:
        raise ValueError(f"`shape` must be one of {list(SHAPES)}, not {shape!r}")
    if not 0 <= strategy_start_day <= 6:
        raise ValueError(f"`strategy_start_day` must be 0 (Monday) to 6, not {strategy_start_day}")
    if shape != "quarterly" and n_quarters < 2:
        raise ValueError(f"shape {shape!r} needs at least 2 quarters, not {n_quarters}")
    rng = np.random.default_rng(random_state)
    start_ts = pd.Timestamp(start)
    n_weeks = 13 * n_quarters
    ids = np.array([f"C{i:06d}" for i in range(n_customers)])
    cluster = rng.choice(3, size=n_customers, p=_CLUSTER_MIX)
    app_user = rng.random(n_customers) < 0.4
    age = rng.choice(["19-34", "35-54", "55+"], size=n_customers, p=[0.3, 0.45, 0.25])
    tiers = _tier_paths(rng, n_customers, n_quarters)
    targeted, strategies = _targeting(rng, tiers, app_user, n_quarters, start_ts, shape=shape,
                                      n_waves=n_waves, start_day=strategy_start_day)
    scale = np.where(strategies[s.STRATEGY_ID].isin(list(zero_effect)), 0.0, uplift_scale)
    prior_tier = np.repeat(np.c_[tiers[:, :1], tiers[:, :-1]], 13, axis=1)  # tier of the quarter before
    shops = np.repeat(tiers != 4, 13, axis=1)
    running = _running(strategies, n_weeks)  # first strategy running per week, or -1
    by = np.where(running >= 0, running, 0)
    effect = np.where((running[None, :] >= 0) & shops, UPLIFT_PER_TIER[prior_tier], 0.0) * scale[by][None, :]
    treated = np.zeros((n_customers, n_weeks), dtype=bool)
    label = np.where(running >= 0, strategies[s.STRATEGY_ID].to_numpy()[by], "")[None, :].repeat(n_customers, axis=0)
    for k, (w0, w1) in enumerate(strategies[["_w0", "_w1"]].itertuples(index=False)):
        who = targeted[:, k]
        treated[who, w0:w1] = True
        effect[who, w0:w1] = np.where(shops[who, w0:w1], UPLIFT_PER_TIER[prior_tier[who, w0:w1]], 0.0) * scale[k]
        label[who, w0:w1] = strategies[s.STRATEGY_ID].iloc[k]
    max_weeks = int((strategies["_w1"] - strategies["_w0"]).max()) if len(strategies) else 0
    orders = _orders(rng, tiers, cluster, np.where(treated, effect, 0.0), start_ts, uplift_scale * max_weeks)
    y0 = np.round(np.bincount(orders["_cell"], weights=orders["_base"], minlength=n_customers * n_weeks), 2)
    tx = _transactions(rng, orders, ids)
    exposures, responses = _exposures_responses(rng, ids, targeted, tiers, app_user, age, strategies)
    week_tier = np.repeat(tiers, 13, axis=1)
    weekly = pd.DataFrame({
        s.CUSTOMER_ID: np.repeat(ids, n_weeks), "week": np.tile(np.arange(n_weeks), n_customers),
        "tier": np.array(TIERS)[week_tier.ravel()], "prior_tier": np.array(TIERS)[prior_tier.ravel()],
        "strategy": label.ravel(),
        "y0": y0, "y1": np.round(y0 + effect.ravel(), 2), "treated": treated.ravel(),
    })
    truth = {
        "tiers": pd.DataFrame({s.CUSTOMER_ID: np.repeat(ids, n_quarters),
                               "quarter": np.tile(np.arange(n_quarters), n_customers),
                               "tier": np.array(TIERS)[tiers.ravel()]}),
        "transition": pd.DataFrame(TRANSITION, index=list(TIERS), columns=list(TIERS))
        .rename_axis("origin").reset_index(),
        "weekly": weekly,
        "traits": pd.DataFrame({s.CUSTOMER_ID: ids, "cluster": cluster, "app_user": app_user}),
    }
    customers = pd.DataFrame({
        s.CUSTOMER_ID: ids, "age_band": age, "app_user": np.where(app_user, "yes", "no"),
        "region": rng.choice(["north", "south", "east", "west"], size=n_customers),
    })
    as_of = (start_ts + pd.Timedelta(weeks=n_weeks) - pd.Timedelta(days=1)).date().isoformat()
    offers = pd.DataFrame({s.STRATEGY_ID: np.repeat(strategies[s.STRATEGY_ID].to_numpy(), 2),
                           s.CATEGORY: [CATEGORIES[(2 * k + j) % len(CATEGORIES)]
                                        for k in range(len(strategies)) for j in range(2)]})
    tables = {"transactions": tx, "customers": customers,
              "strategies": strategies.drop(columns=["_w0", "_w1", "_q"]),
              "exposures": exposures, "responses": responses, "offers": offers}
    return Simulation(tables=tables, truth=truth, as_of=as_of)


def _transactions(rng, orders, ids) -> pd.DataFrame:
    n_lines = len(orders["_cust"])
    store = np.where(rng.random(n_lines) < 0.8, 1, 2)
    order = np.lexsort((np.arange(n_lines), orders["ts"].astype("int64")))  # by time, then id
    return pd.DataFrame({
        s.CUSTOMER_ID: ids[orders["_cust"][order]], s.ORDER_ID: 100_000_000 + order,
        s.TS: orders["ts"][order], s.AMOUNT: np.round(orders["amount"][order], 2),
        s.STORE_ID: store[order],
        s.CATEGORY: pd.Categorical.from_codes(orders["category"][order], categories=list(CATEGORIES)),
        s.DISCOUNT: np.round(orders["amount"][order] * 0.05, 2),
    })


def return_curve_snapshots(*, n: int = 20000, intercept: float = 4.0, slope: float = -1.0,
                           random_state: int = 0) -> pd.DataFrame:
    """Recency snapshots with a planted curve: P(return) = logistic(intercept + slope*log1p(R))."""
    rng = np.random.default_rng(random_state)
    recency = np.floor(rng.exponential(30.0, size=n)).astype("int64")
    p = 1.0 / (1.0 + np.exp(-(intercept + slope * np.log1p(recency))))
    return pd.DataFrame({s.CUSTOMER_ID: [f"C{i}" for i in range(n)],
                         "snapshot": pd.Timestamp("2017-06-30"),
                         "recency_days": recency, "returned": rng.random(n) < p})


# -- private helpers ------------------------------------------------------------------------

def _tier_paths(rng: np.random.Generator, n: int, n_quarters: int) -> np.ndarray:
    tiers = np.empty((n, n_quarters), dtype=int)
    tiers[:, 0] = rng.choice(len(TIERS), size=n, p=_START_MIX)
    cum = TRANSITION.cumsum(axis=1)
    for q in range(1, n_quarters):
        u = rng.random(n)[:, None]
        tiers[:, q] = (u > cum[tiers[:, q - 1]]).sum(axis=1)
    return tiers


def _targeting(rng, tiers, app_user, n_quarters, start_ts, *, shape="quarterly", n_waves=4, start_day=0):
    """Who each strategy targets (customers x strategies) and the strategies table.

    Targeting uses the previous quarter's tier and ``app_user`` (:data:`TARGET_COEF`), as real
    campaigns look at past behaviour. ``_w0``/``_w1`` are the first and one-past-last week
    index the run touches; ``_q`` its quarter.
    """
    a, b, c = TARGET_COEF
    if shape == "quarterly":
        plan = [(q, 13 * q) for q in range(1, n_quarters)]
    elif shape == "whole_base":
        plan = [(n_quarters // 2, 13 * (n_quarters // 2))]
    else:
        q = n_quarters // 2
        plan = [(q, 13 * q + 3 * k) for k in range(n_waves)]
    rows, targeted = [], []
    free = np.ones(len(app_user), dtype=bool)
    for k, (q, w0) in enumerate(plan):
        tier = np.where(tiers[:, q - 1] == 4, -1, tiers[:, q - 1])
        # waves share the targeting out: each wave draws about 1 / n_waves of the usual share
        shift = -np.log(len(plan)) if shape == "staggered" else 0.0
        p = 1.0 / (1.0 + np.exp(-(a + shift + b * tier + c * app_user)))
        who = rng.random(len(app_user)) < p
        if shape == "staggered":
            who &= free
            free &= ~who
        targeted.append(who)
        first = start_ts + pd.Timedelta(weeks=w0) + pd.Timedelta(days=start_day)
        last = first + pd.Timedelta(weeks=_UPLIFT_WEEKS) - pd.Timedelta(days=1)
        touched = _UPLIFT_WEEKS + (1 if start_day else 0)
        rows.append({s.STRATEGY_ID: f"S{k + 1}", s.NAME: f"Coupon mailer {k + 1} (quarter {q + 1})",
                     s.TYPE: "Type A", s.START: first, s.END: last, s.COST_PER_CONTACT: 0.5,
                     "_w0": w0, "_w1": w0 + touched, "_q": q})
    return np.column_stack(targeted), pd.DataFrame(rows)


def _running(strategies: pd.DataFrame, n_weeks: int) -> np.ndarray:
    """Index of the first strategy running in each week, or -1."""
    run = np.full(n_weeks, -1)
    for k, (w0, w1) in enumerate(strategies[["_w0", "_w1"]].itertuples(index=False)):
        run[w0:w1] = np.where(run[w0:w1] < 0, k, run[w0:w1])
    return run


def _orders(rng, tiers, cluster, uplift, start_ts, uplift_weeks):
    n_cust, n_quarters = tiers.shape
    n_weeks = 13 * n_quarters
    # base orders: at least one per active customer-quarter, in random weeks of the quarter
    n_q = np.where(tiers == 4, 0, np.maximum(1, rng.poisson(_ORDERS_PER_WEEK[tiers] * 13)))
    cq = np.repeat(np.arange(n_cust * n_quarters), n_q.ravel())
    cust, quarter = np.divmod(cq, n_quarters)
    week = quarter * 13 + rng.integers(0, 13, len(cq))
    tier = tiers.ravel()[cq]
    room = uplift_weeks * UPLIFT_PER_TIER.max() + 1.0  # the most uplift a customer-quarter can get
    starts = np.r_[True, cq[1:] != cq[:-1]]
    target = rng.uniform(_BAND_LO[tier] + 1.0, _BAND_HI[tier] - room)[starts][starts.cumsum() - 1]
    share = rng.gamma(2.0, 1.0, len(cq))
    base = target * share / np.bincount(cq, weights=share)[cq]
    # treated customer-weeks without an order get one that carries the uplift
    extra = np.flatnonzero((uplift.ravel() > 0) & ~np.isin(np.arange(n_cust * n_weeks),
                                                             cust * n_weeks + week))
    cell = np.r_[cust * n_weeks + week, extra]
    base = np.r_[base, np.zeros(len(extra))]
    order = np.argsort(cell, kind="stable")
    cell, base = cell[order], base[order]
    cust, week = np.divmod(cell, n_weeks)
    first = np.r_[True, cell[1:] != cell[:-1]]
    amount = base + np.where(first, uplift.ravel()[cell], 0.0)
    weekend = rng.random(len(cell)) < _CLUSTER_WEEKEND[cluster[cust]]
    day = np.where(weekend, rng.integers(5, 7, len(cell)), rng.integers(0, 5, len(cell)))
    seconds = rng.integers(8 * 3600, 21 * 3600, len(cell))
    ts = (np.datetime64(start_ts.date(), "us") + (week * 7 + day).astype("timedelta64[D]")
          + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    cum = _CLUSTER_CATEGORIES.cumsum(axis=1)[cluster[cust]]
    category = (rng.random(len(cell))[:, None] > cum).sum(axis=1)
    keep = amount > 0
    return {"_cust": cust[keep], "_cell": cell[keep], "_base": base[keep], "amount": amount[keep],
            "ts": ts[keep], "category": category[keep]}


def _exposures_responses(rng, ids, targeted, tiers, app_user, age, strategies):
    exp_rows, resp_rows = [], []
    for k, row in enumerate(strategies.itertuples(index=False)):
        who = np.flatnonzero(targeted[:, k])
        quarter = int(strategies["_q"].iloc[k])
        exp_rows.append(pd.DataFrame({s.CUSTOMER_ID: ids[who], s.STRATEGY_ID: row.strategy_id,
                                      s.TS: row.start + pd.Timedelta(hours=9)}))
        prior = tiers[who, quarter - 1]  # targeting looked at the quarter before the run
        eta = (RESPONSE_COEF["intercept"] + RESPONSE_COEF["prior_tier"] * np.where(prior == 4, 0, prior)
               + RESPONSE_COEF["app_user"] * app_user[who]
               + RESPONSE_COEF["age_55_plus"] * (age[who] == "55+"))
        resp = who[rng.random(len(who)) < 1.0 / (1.0 + np.exp(-eta))]
        day = rng.integers(0, (row.end - row.start).days + 1, len(resp))
        resp_rows.append(pd.DataFrame({
            s.CUSTOMER_ID: ids[resp], s.STRATEGY_ID: row.strategy_id,
            s.TS: row.start + pd.to_timedelta(day, unit="D") + pd.Timedelta(hours=12),
            s.VALUE: 1.0}))
    return (pd.concat(exp_rows, ignore_index=True), pd.concat(resp_rows, ignore_index=True))
