"""Step 3: migration between fixed spend tiers, period to period, with intervals on every cell."""
from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from userops import i18n, schema as s
from userops.i18n import N_, _

__all__ = [
    "LAPSED", "NEW", "shown_state", "for_display", "pair_table", "exposure_table", "observed_periods", "band_table", "derive_bands", "tier_names", "states", "transitions", "matrix",
    "pooled_matrix", "pair_matrices", "current_sizes", "movement", "flows", "decompose", "exposure_effect", "cohort_retention",
    "project",
]

LAPSED = "lapsed"
NEW = "new"
# states, moves and groups as readers see them (the values in frames and artifacts stay English)
_SHOWN = {
    LAPSED: N_("lapsed"), NEW: N_("new"), "T1 active": N_("T1 active"),
    "up": N_("up"), "stay": N_("stay"), "down": N_("down"), "returned": N_("returned"), "entered": N_("entered"),
    "both": N_("both"), "frequency only": N_("frequency only"), "spend per order only": N_("spend per order only"),
    "neither": N_("neither"), "present at start": N_("present at start"),
    "lost": N_("lost"), "returns only": N_("returns only"),
}
_SHOWN_COLUMNS = ("origin", "dest", "state", "move", "group", "cohort")


def shown_state(value: object) -> str:
    """A state (``lapsed``), move (``up``), decomposition or bridge group (``frequency only``,
    ``returns only``) or cohort (``present at start``) as the reader sees it, in the report's
    language; a spend tier's name (``T2 120-318``) and anything else as it is."""
    text = str(value)
    return _(_SHOWN[text]) if text in _SHOWN else text


def for_display(frame: pd.DataFrame, *, columns: tuple[str, ...] = _SHOWN_COLUMNS, index: bool = False,
                header: bool = False) -> pd.DataFrame:
    """``frame`` as the reader sees it: the values of its state, move, group and cohort
    ``columns`` through :func:`shown_state` (categories keep their order), and with ``index``
    / ``header`` its row / column labels too. The frame itself is left as it is."""
    out = frame.copy()
    for col in [c for c in columns if c in out.columns]:
        values = out[col]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[col] = values.cat.rename_categories(_renamed(values.cat.categories))
        else:
            out[col] = values.map(lambda v: shown_state(v) if pd.notna(v) else v)
    if index:
        out.index = out.index.map(shown_state) if out.index.nlevels == 1 else out.index
    if header:
        out.columns = [shown_state(c) for c in out.columns]
    return out


def _renamed(categories: pd.Index) -> list[str]:
    """Categories through :func:`shown_state`, kept distinct (a tier named like a translated
    state keeps its own name)."""
    shown = [shown_state(c) for c in categories]
    return [s_ if shown.count(s_) == 1 else str(c) for s_, c in zip(shown, categories)]


def pair_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """The transition matrix of each pair of periods (:func:`pair_matrices`) for the reader: one
    row per later period (headed ``To period``, in the report's language) and state before, one
    column per state after (``→ lapsed``), each
    cell the share moving with its 95% interval, all written as percents
    (``45.3% [41.2%, 49.0%]``), in the order of the states."""
    if pairs.empty:
        return pd.DataFrame(columns=["to period", "origin"])
    cell = [_("{share} [{low}, {high}]").format(share=i18n.percent(p, 1), low=i18n.percent(lo, 1),
                                                high=i18n.percent(hi, 1))
            for p, lo, hi in zip(pairs["p"], pairs["ci_low"], pairs["ci_high"])]
    d = pairs.assign(cell=cell, origin=pairs["origin"].astype(str), dest=pairs["dest"].astype(str))
    dests = list(dict.fromkeys(d["dest"]))
    rows = pd.MultiIndex.from_tuples(list(dict.fromkeys(zip(d["to period"], d["origin"]))), names=["to period", "origin"])
    wide = d.set_index(["to period", "origin", "dest"])["cell"].unstack("dest").reindex(index=rows, columns=dests)
    wide.columns = [_("→ {state}").format(state=shown_state(c)) for c in dests]
    wide = wide.reset_index()
    return wide.assign(origin=wide["origin"].map(shown_state)).rename(columns={"to period": _("To period")})


def exposure_table(effect: pd.DataFrame) -> pd.DataFrame:
    """:func:`exposure_effect` for the reader: the adjusted difference's 95% interval written in
    percents beside it (``[-1.0%, +7.4%]``, a column headed ``95% interval`` in the report's
    language) in place of ``ci_low`` and ``ci_high``, so the table's shares all read as percents."""
    interval = [_("[{low}, {high}]").format(low=i18n.signed_percent(lo, 1), high=i18n.signed_percent(hi, 1)) if pd.notna(lo) and pd.notna(hi) else None
                for lo, hi in zip(effect["ci_low"], effect["ci_high"])]
    out = effect.drop(columns=["ci_low", "ci_high"])
    out.insert(list(out.columns).index("adjusted_diff") + 1, _("95% interval"), pd.Series(interval, index=out.index, dtype=object))
    return out


def observed_periods(bounds: pd.DataFrame, *, first_day: pd.Timestamp, tolerance: float = 0.1
                     ) -> pd.DataFrame:
    """The periods of ``bounds`` the data covers whole, renumbered from 0.

    A period that begins before the data's ``first_day`` would show every customer spending
    less in it than they did: it is left out, unless the data starts within ``tolerance`` of
    its length after the period's first day.
    """
    first = pd.Timestamp(first_day)
    first = (first.tz_localize(None) if first.tzinfo else first).normalize()
    length = bounds["end"] - bounds["start"]
    covered = bounds["start"] + length * tolerance + pd.Timedelta(days=1) >= first
    return bounds[covered.to_numpy()].assign(period=lambda d: range(len(d))).reset_index(drop=True)


def band_table(bands: tuple[float, ...], bounds: pd.DataFrame) -> pd.DataFrame:
    """The spend bands as step 3 hands them on: cut number, spend per period, and the period's
    mean length in days (``period_days``), so that later steps compare like with like."""
    days = float((bounds["end"] - bounds["start"]).dt.days.mean()) if len(bounds) else float("nan")
    return pd.DataFrame({"cut": pd.Series(range(1, len(bands) + 1), dtype="int64"),
                         "spend": pd.Series(bands, dtype="float64"), "period_days": days})


def derive_bands(activity: pd.DataFrame, *, n_tiers: int = 4, reference: int | None = None
                 ) -> tuple[float, ...]:
    """Spend cut points frozen from active customer-periods (quantiles of spend).

    ``reference`` picks one period (its index) as the reference; ``None`` pools all periods.
    The same cut points are then used for every period, so tiers are levels, not ranks. With
    few distinct spend values some quantiles coincide: each cut point is kept once, so there
    are fewer tiers (none when every active customer-period spent the same, or none is active).
    """
    active = activity[activity["orders"] > 0]
    if reference is not None:
        active = active[active["period"] == reference]
    if active.empty:
        return ()
    edges = np.unique(np.quantile(active["spend"].to_numpy(), np.arange(1, n_tiers) / n_tiers))
    edges = edges[edges > active["spend"].min()]  # a cut at the minimum would leave a tier empty
    return tuple(float(e) for e in edges)


def tier_names(bands: tuple[float, ...]) -> list[str]:
    """Ordered state names, lapsed first: e.g. ``['lapsed', 'T1 <120', 'T2 120-318', ...]``
    (``['lapsed', 'T1 active']`` without cut points)."""
    if not bands:
        return [LAPSED, "T1 active"]
    edges = [0.0, *bands]
    names = [f"T{i + 1} {edges[i]:,.0f}-{edges[i + 1]:,.0f}" for i in range(len(bands))]
    names[0] = f"T1 <{bands[0]:,.0f}"
    names.append(f"T{len(bands) + 1} {bands[-1]:,.0f}+")
    return [LAPSED, *names]


def states(activity: pd.DataFrame, *, bounds: pd.DataFrame, bands: tuple[float, ...]
           ) -> pd.DataFrame:
    """Customer x period state: a spend tier, ``lapsed`` (no order but seen before) or missing.

    A customer not yet seen by a period's end has no state in it. Columns: customer_id,
    period, state (ordered categorical), rank (0 = lapsed), orders, spend.
    """
    names = tier_names(bands)
    customers = activity.drop_duplicates(s.CUSTOMER_ID)[[s.CUSTOMER_ID, "first_day"]]
    grid = customers.merge(bounds[["period", "end"]], how="cross")
    grid = grid[grid["first_day"] <= grid["end"]]
    out = grid.merge(activity[[s.CUSTOMER_ID, "period", "orders", "spend"]],
                     on=[s.CUSTOMER_ID, "period"], how="left").fillna({"orders": 0, "spend": 0.0})
    active = out["orders"].to_numpy() > 0
    rank = np.where(active, np.searchsorted(np.asarray(bands), out["spend"].to_numpy(), side="right") + 1, 0)
    out = out.assign(orders=out["orders"].astype("int64"), rank=rank.astype("int64"),
                     state=pd.Categorical.from_codes(rank, categories=names, ordered=True))
    return out[[s.CUSTOMER_ID, "period", "state", "rank", "orders", "spend"]].sort_values(
        [s.CUSTOMER_ID, "period"], ignore_index=True)


def transitions(st: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and consecutive pair of periods (t -> t+1).

    ``origin`` is the state in t, or ``new`` for a customer first seen in t+1. Columns add the
    orders and spend on both sides and ``move``: up / stay / down / lapsed / returned / entered.
    """
    nxt = st.assign(period=st["period"] - 1)
    pair = nxt.merge(st, on=[s.CUSTOMER_ID, "period"], how="left", suffixes=("_next", ""))
    names = list(st["state"].cat.categories)
    origin = pair["state"].astype(str).where(pair["state"].notna(), NEW)
    out = pd.DataFrame({
        s.CUSTOMER_ID: pair[s.CUSTOMER_ID], "pair": pair["period"],
        "origin": pd.Categorical(origin, categories=[NEW, *names], ordered=True),
        "dest": pair["state_next"],
        "origin_rank": pair["rank"].fillna(-1).astype("int64"), "dest_rank": pair["rank_next"],
        "orders_before": pair["orders"].fillna(0).astype("int64"), "orders_after": pair["orders_next"],
        "spend_before": pair["spend"].fillna(0.0), "spend_after": pair["spend_next"],
    })
    out["move"] = np.select(
        [out["origin_rank"] < 0, (out["origin_rank"] == 0) & (out["dest_rank"] > 0),
         (out["dest_rank"] == 0) & (out["origin_rank"] > 0), out["dest_rank"] > out["origin_rank"],
         out["dest_rank"] < out["origin_rank"]],
        ["entered", "returned", "lapsed", "up", "down"], default="stay")
    return out[out["pair"] >= 0].sort_values(["pair", s.CUSTOMER_ID], ignore_index=True)


def matrix(tr: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Transition probabilities with a Jeffreys interval on every cell (Dirichlet marginals).

    Long frame: origin, dest, n (cell count), n_origin, p, ci_low, ci_high. Rows sum to 1.
    """
    if tr.empty:
        return pd.DataFrame(columns=["origin", "dest", "n", "n_origin", "p", "ci_low", "ci_high"])
    counts = pd.crosstab(tr["origin"], tr["dest"], dropna=False)
    counts = counts.loc[counts.sum(axis=1) > 0]
    k = counts.shape[1]
    long = counts.stack().rename("n").reset_index()
    long["n_origin"] = long.groupby("origin", observed=True)["n"].transform("sum")
    long["p"] = long["n"] / long["n_origin"]
    a = long["n"] + 0.5
    b = long["n_origin"] - long["n"] + 0.5 * (k - 1)
    long["ci_low"] = stats.beta.ppf((1 - level) / 2, a, b)
    long["ci_high"] = stats.beta.ppf((1 + level) / 2, a, b)
    return long


def pooled_matrix(tr: pd.DataFrame, *, n_boot: int = 200, level: float = 0.95,
                  random_state: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Transitions pooled over all pairs, with a customer cluster bootstrap interval per cell.

    One customer contributes several transitions, so customers (not transitions) are resampled.
    Returns the long frame (as :func:`matrix`, intervals from the bootstrap) and the bootstrap
    draws of the matrix (n_boot x origins x dests) for derived quantities.
    """
    point = matrix(tr, level=level)
    origins = list(dict.fromkeys(point["origin"]))
    dests = list(tr["dest"].cat.categories)
    if tr.empty:
        return point, np.empty((n_boot, 0, len(dests)))
    o_idx = tr["origin"].astype(str).map({str(o): i for i, o in enumerate(origins)}).to_numpy(dtype="int64")
    d_idx = tr["dest"].cat.codes.to_numpy()
    cust = pd.factorize(tr[s.CUSTOMER_ID])[0]
    n_cust = cust.max() + 1
    cell = o_idx * len(dests) + d_idx  # each transition's cell of the matrix
    rng = np.random.default_rng(random_state)
    draws = np.empty((n_boot, len(origins), len(dests)))
    for b in range(n_boot):
        w = np.bincount(rng.integers(0, n_cust, n_cust), minlength=n_cust)
        # the resampled counts: each transition weighted by how often its customer was drawn
        # (sums of whole numbers, exact in any order; no dense customer x cell array)
        c = np.bincount(cell, weights=w[cust], minlength=len(origins) * len(dests)).reshape(len(origins), len(dests))
        draws[b] = c / np.where(c.sum(axis=1, keepdims=True) > 0, c.sum(axis=1, keepdims=True), 1)
    lo = np.quantile(draws, (1 - level) / 2, axis=0)
    hi = np.quantile(draws, (1 + level) / 2, axis=0)
    # positions by label (a categorical's map would keep unused categories, such as no "new")
    oi = point["origin"].astype(str).map({str(o): i for i, o in enumerate(origins)}).to_numpy(dtype="int64")
    di = point["dest"].astype(str).map({str(d): i for i, d in enumerate(dests)}).to_numpy(dtype="int64")
    return point.assign(ci_low=lo[oi, di], ci_high=hi[oi, di]), draws


def pair_matrices(tr: pd.DataFrame, bounds: pd.DataFrame) -> pd.DataFrame:
    """:func:`matrix` for each consecutive pair, labelled by the later period (``to period``)."""
    parts = {bounds.loc[k + 1, "label"]: matrix(tr[tr["pair"] == k]) for k in sorted(tr["pair"].unique())}
    if not parts:
        return matrix(tr).assign(**{"to period": pd.Series(dtype=object)})[["to period", *matrix(tr).columns]]
    return pd.concat(parts, names=["to period"]).reset_index(level=0)


def current_sizes(tr: pd.DataFrame) -> pd.Series:
    """Customers per state rank (0 = lapsed) in the last period: the audience of the next plan."""
    last = tr[tr["pair"] == tr["pair"].max()]
    return last["dest_rank"].astype("int64").value_counts().sort_index()


def movement(tr: pd.DataFrame) -> pd.DataFrame:
    """Per origin: customers and the shares that moved up, stayed, moved down or lapsed,
    with the GMV before and after (the GMV at stake)."""
    g = tr.groupby("origin", observed=True)
    shares = pd.crosstab(tr["origin"], tr["move"], normalize="index")
    out = pd.DataFrame({"customers": g.size(), "gmv_before": g["spend_before"].sum(),
                        "gmv_after": g["spend_after"].sum()}).join(shares).fillna(0.0)
    for col in ("up", "stay", "down", "lapsed", "returned", "entered"):
        if col not in out:
            out[col] = 0.0
    out["gmv_change"] = out["gmv_after"] - out["gmv_before"]
    return out.reset_index()


def flows(tr: pd.DataFrame) -> pd.DataFrame:
    """Per origin x dest: customers, GMV before and after, and the change."""
    g = tr.groupby(["origin", "dest"], observed=True)
    out = pd.DataFrame({"customers": g.size(), "gmv_before": g["spend_before"].sum(),
                        "gmv_after": g["spend_after"].sum()})
    out["gmv_change"] = out["gmv_after"] - out["gmv_before"]
    return out.reset_index()


def decompose(tr: pd.DataFrame) -> pd.DataFrame:
    """Raised frequency vs raised spend per order, and their parts of the GMV change.

    For customers active before (origin a spend tier): ``group`` is raised frequency only,
    raised spend per order only, both, or neither. Each customer's change in spend
    S = F x A splits exactly into a frequency part dF x mean(A) and a basket part
    dA x mean(F) (A carried over when F is 0), so the parts add up to the total change.
    """
    a = tr[tr["origin_rank"] > 0].copy()
    f0, f1 = a["orders_before"].to_numpy(float), a["orders_after"].to_numpy(float)
    s0, s1 = a["spend_before"].to_numpy(float), a["spend_after"].to_numpy(float)
    a0 = np.divide(s0, f0, out=np.zeros_like(s0), where=f0 > 0)
    a1 = np.divide(s1, f1, out=a0.copy(), where=f1 > 0)
    a0 = np.where(f0 > 0, a0, a1)
    raised_f, raised_a = f1 > f0, (f1 > 0) & (a1 > a0)
    a["group"] = np.select([raised_f & raised_a, raised_f, raised_a],
                           ["both", "frequency only", "spend per order only"], default="neither")
    a["frequency_part"] = (f1 - f0) * (a0 + a1) / 2
    a["basket_part"] = (a1 - a0) * (f0 + f1) / 2
    a["gmv_change"] = s1 - s0
    out = a.groupby(["origin", "group"], observed=True).agg(
        customers=(s.CUSTOMER_ID, "size"), gmv_change=("gmv_change", "sum"),
        frequency_part=("frequency_part", "sum"), basket_part=("basket_part", "sum")).reset_index()
    out["share"] = out["customers"] / out.groupby("origin", observed=True)["customers"].transform("sum")
    return out


def exposure_effect(tr: pd.DataFrame, *, exposures: pd.DataFrame, strategies: pd.DataFrame,
                    bounds: pd.DataFrame, min_customers: int = 30) -> pd.DataFrame:
    """Do customers reached by a strategy move up more? One row per strategy type.

    A transition t -> t+1 counts for a type when a strategy of that type starts in t+1; exposed
    means reached by one of those. ``adjusted``: linear probability of moving up on exposure,
    origin tier and log prior spend, among customers eligible for the type (reached by a
    strategy of the type that started by the end of t+1), customer-clustered errors. ``naive``: the raw difference over all customers,
    biased by targeting. Top-tier and lapsed/new origins are left out (they cannot move up).
    """
    rows = []
    top = tr["origin_rank"].max()
    base = tr[(tr["origin_rank"] > 0) & (tr["origin_rank"] < top)]
    for kind, strat in strategies.groupby(s.TYPE if s.TYPE in strategies else s.STRATEGY_ID, sort=True):
        starts = bounds.set_index("period")
        pair_of = {sid: int(p) - 1 for sid, st_ in zip(strat[s.STRATEGY_ID], strat[s.START])
                   for p, (a, b) in starts[["start", "end"]].iterrows() if a < st_ <= b and p > 0}
        exp = exposures[exposures[s.STRATEGY_ID].isin(pair_of)]
        reached = set(zip(exp[s.CUSTOMER_ID], exp[s.STRATEGY_ID].map(pair_of)))
        d = base[base["pair"].isin(set(pair_of.values()))].copy()
        if d.empty:
            rows.append({"type": kind, "strategies": len(pair_of), "transitions": 0, "exposed": 0,
                         "naive_diff": np.nan, "adjusted_diff": np.nan, "note": (
                             _("no strategy of this type starts inside a later period of the window")
                             if not pair_of else _("no customer who could move up (a tier below the top) "
                                                   "in the periods before its strategies started"))})
            continue
        d["exposed"] = [(c, p) in reached for c, p in zip(d[s.CUSTOMER_ID], d["pair"])]
        d["up"] = (d["move"] == "up").astype(float)
        # eligible: reached by a strategy of this type that started by the end of t+1; later
        # strategies are left out, since they were targeted on what happened after t+1
        start_of = dict(zip(strat[s.STRATEGY_ID], strat[s.START]))
        typed = exposures[exposures[s.STRATEGY_ID].isin(start_of)]
        first_reach = typed.assign(_s=typed[s.STRATEGY_ID].map(start_of)).groupby(
            s.CUSTOMER_ID)["_s"].min()
        pair_end = d["pair"].map(starts["end"].shift(-1))
        d["eligible"] = d[s.CUSTOMER_ID].map(first_reach).le(pair_end).fillna(False)
        naive = d.groupby("exposed")["up"].mean()
        row = {"type": kind, "strategies": len(pair_of), "transitions": len(d),
               "exposed": int(d["exposed"].sum()),
               "naive_diff": naive.get(True, np.nan) - naive.get(False, np.nan)}
        row.update(_adjusted(d[d["eligible"]], min_customers=min_customers))
        rows.append(row)
    cols = ["type", "strategies", "transitions", "exposed", "naive_diff", "eligible_n",
            "eligible_exposed", "adjusted_diff", "ci_low", "ci_high", "p_value", "note"]
    return pd.DataFrame(rows, columns=cols)


def cohort_retention(monthly: pd.DataFrame, *, burn_in_months: int = 3, max_months: int = 6
                     ) -> pd.DataFrame:
    """Share of each first-purchase cohort active k months later.

    Customers first seen in the first ``burn_in_months`` of the data were probably already
    customers (the data is left-censored): they form one cohort labelled ``present at start``.
    """
    first = monthly.groupby(s.CUSTOMER_ID)["month"].transform("min")
    start = monthly["month"].min()
    censored = first < start + pd.DateOffset(months=burn_in_months)
    label = first.dt.strftime("%Y-%m").where(~censored, "present at start")
    k = (monthly["month"].dt.year - first.dt.year) * 12 + (monthly["month"].dt.month - first.dt.month)
    d = monthly.assign(cohort=label, k=k)
    size = d[d["k"] == 0].groupby("cohort").size()
    last = monthly["month"].max()
    active = d[d["k"].between(1, max_months)].groupby(["cohort", "k"]).size().unstack(fill_value=0)
    active = active.reindex(index=size.index, columns=range(1, max_months + 1), fill_value=0)
    ret = active.div(size, axis=0)
    # a cohort cannot be observed k months on past the data's end: leave those cells empty
    first_month = d.groupby("cohort")["month"].min()
    for cohort in ret.index:
        if cohort != "present at start":
            seen = (last.year - first_month[cohort].year) * 12 + last.month - first_month[cohort].month
            ret.loc[cohort, ret.columns > seen] = np.nan
    return ret.assign(customers=size).reset_index()


def project(current: pd.Series, draws: np.ndarray, *, origins: list[str], dests: list[str],
            level: float = 0.95) -> pd.DataFrame:
    """Next period's tier mix from the current mix and bootstrap draws of the matrix.

    ``current`` is the count per state now (index: state). New customers are not projected.
    Without any transition (no draws) there is nothing to project: the frame is empty.
    """
    if draws.size == 0:
        return pd.DataFrame(columns=["state", "now", "projected", "ci_low", "ci_high"])
    weights = current.reindex(origins).fillna(0.0).to_numpy()
    mix = np.einsum("o,bod->bd", weights, draws)
    point = mix.mean(axis=0)
    return pd.DataFrame({"state": dests, "now": current.reindex(dests).fillna(0).to_numpy(),
                         "projected": point,
                         "ci_low": np.quantile(mix, (1 - level) / 2, axis=0),
                         "ci_high": np.quantile(mix, (1 + level) / 2, axis=0)})


# -- private helpers ------------------------------------------------------------------------

def _adjusted(d: pd.DataFrame, *, min_customers: int) -> dict[str, object]:
    out = {"eligible_n": len(d), "eligible_exposed": int(d["exposed"].sum())}
    if d["exposed"].sum() < min_customers or (~d["exposed"]).sum() < min_customers:
        return out | {"adjusted_diff": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                      "p_value": np.nan, "note": _("fewer than {n} exposed or unexposed eligible customers: no estimate").format(
                          n=i18n.number(min_customers))}
    d = d.assign(exposed=d["exposed"].astype(float), log_prior=np.log1p(d["spend_before"].clip(lower=0)),
                 origin=d["origin"].astype(str))
    fit = smf.ols("up ~ exposed + C(origin) + log_prior", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d[s.CUSTOMER_ID])[0]})
    lo, hi = fit.conf_int().loc["exposed"]
    return out | {"adjusted_diff": float(fit.params["exposed"]), "ci_low": float(lo),
                  "ci_high": float(hi), "p_value": float(fit.pvalues["exposed"]), "note": ""}
