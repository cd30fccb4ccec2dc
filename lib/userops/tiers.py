"""Step 1: RFM scores, the R x F segments, the 8 RFM groups and lifecycle stages from the data."""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import (ConvergenceWarning, PerfectSeparationError,
                                             PerfectSeparationWarning)

from userops import i18n
from userops.compute import single_threaded
from userops.i18n import N_, _


__all__ = [
    "RF_SEGMENTS", "RFM_GROUPS", "LIFECYCLE_STAGES", "Lifecycle", "Thresholds",
    "snapshot_dates", "derive_lifecycle", "derive_thresholds", "assign", "score",
    "prior_window_covered",
    "quantile_edges", "sensitivity", "group_summary", "TIER_COLUMNS", "name", "shown",
]

RF_SEGMENTS = ("champions", "loyal_customers", "potential_loyalists", "new_customers",
               "promising", "need_attention", "about_to_sleep", "at_risk", "cant_lose",
               "hibernating")
# _RF_GRID[r_score - 1][f_score - 1]: every one of the 25 cells has exactly one name.
_RF_GRID = (
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    ("about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"),
    ("promising", "potential_loyalists", "potential_loyalists", "loyal_customers", "loyal_customers"),
    ("new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"),
)
# (recent, frequent, high spend) -> group; the FineBI / Alibaba 8-group scheme
_GROUPS = {
    (True, True, True): "important value", (False, True, True): "important retention",
    (True, False, True): "important development", (False, False, True): "important win-back",
    (True, True, False): "general value", (False, True, False): "general retention",
    (True, False, False): "general development", (False, False, False): "general win-back",
}
RFM_GROUPS = tuple(_GROUPS.values())
# the group of each 3-bit code recent * 4 + frequent * 2 + high spend, as its index in RFM_GROUPS
_RF_CODES = np.array([[RF_SEGMENTS.index(name) for name in row] for row in _RF_GRID])
_GROUP_CODES = np.array([RFM_GROUPS.index(_GROUPS[(bool(c & 4), bool(c & 2), bool(c & 1))]) for c in range(8)])
LIFECYCLE_STAGES = ("new", "growing", "mature", "declining", "reactivated", "at_risk", "dormant")
TIER_COLUMNS = ("rf_segment", "rfm_group", "lifecycle_stage")
# What a reader sees for each segment, group and stage name (the message id is the internal
# name, so the English report reads as before); tables, charts and artifacts keep the internal
# name and translate it where it is shown (:func:`name`, :func:`shown`).
_NAMES = {
    "champions": N_("champions"), "loyal_customers": N_("loyal_customers"),
    "potential_loyalists": N_("potential_loyalists"), "new_customers": N_("new_customers"),
    "promising": N_("promising"), "need_attention": N_("need_attention"),
    "about_to_sleep": N_("about_to_sleep"), "at_risk": N_("at_risk"), "cant_lose": N_("cant_lose"),
    "hibernating": N_("hibernating"),
    "important value": N_("important value"), "important retention": N_("important retention"),
    "important development": N_("important development"), "important win-back": N_("important win-back"),
    "general value": N_("general value"), "general retention": N_("general retention"),
    "general development": N_("general development"), "general win-back": N_("general win-back"),
    "new": N_("new"), "growing": N_("growing"), "mature": N_("mature"), "declining": N_("declining"),
    "reactivated": N_("reactivated"), "dormant": N_("dormant"),
}


@dataclass(frozen=True)
class Lifecycle:
    """The recency -> P(return within ``horizon_days``) curve and the thresholds read off it.

    ``at_risk_days``/``dormant_days`` are the smallest recency at which the fitted return
    probability falls below ``levels``. ``curve`` holds the binned observed rates with their n
    and the fitted probability; ``intercept``/``slope`` are the logit on log1p(recency) (NaN
    when no curve could be fitted). ``source`` says where the thresholds come from: ``data``
    (read off the curve), ``parameters`` (set by hand) or ``defaults`` (the data cannot give
    them; ``reason`` says why in one sentence).
    """

    at_risk_days: int
    dormant_days: int
    levels: tuple[float, float]
    horizon_days: int
    intercept: float
    slope: float
    n_snapshots: int
    curve: pd.DataFrame
    source: str = "data"
    reason: str = ""

    @property
    def derived(self) -> bool:
        """Whether the thresholds were read off the data's curve."""
        return self.source == "data"

    @property
    def fitted(self) -> bool:
        """Whether a return curve was fitted (it may still not fall with recency)."""
        return bool(np.isfinite(self.intercept) and np.isfinite(self.slope))

    def probability(self, recency_days: np.ndarray | float) -> np.ndarray:
        eta = self.intercept + self.slope * np.log1p(np.asarray(recency_days, dtype=float))
        return 1.0 / (1.0 + np.exp(-eta))


@dataclass(frozen=True)
class Thresholds:
    """Every cut point of step 1, derived from the data by :func:`derive_thresholds`."""

    r_edges: tuple[float, ...]
    f_edges: tuple[float, ...]
    m_edges: tuple[float, ...]
    split: str
    r_split: float
    f_split: float
    m_split: float
    at_risk_days: int
    dormant_days: int
    growth_band: float
    recent_days: int
    data_start: pd.Timestamp

    def to_frame(self) -> pd.DataFrame:
        """One row per cut point: ``cut``, ``value``, ``unit``, ``rule`` (in English: the
        artifact ``01_thresholds``; :meth:`shown` is the same table in the report's language)."""
        return self._frame(lambda message: message)

    def shown(self) -> pd.DataFrame:
        """:meth:`to_frame` with its units and rules in the report's language, for display."""
        return self._frame(_)

    def _frame(self, say) -> pd.DataFrame:
        rows = []
        split_rule = (N_("mean {axis}: high/low split of the 8 groups") if self.split == "mean" else
                      N_("median {axis}: high/low split of the 8 groups"))
        for name, unit in (("r", N_("days")), ("f", N_("orders")), ("m", N_("currency"))):
            for i, v in enumerate(getattr(self, f"{name}_edges"), start=1):
                rows.append((f"{name}_edge_{i}", float(v), say(unit),
                             say(N_("{axis} quintile edge {i}")).format(axis=name.upper(), i=i)))
            rows.append((f"{name}_split", float(getattr(self, f"{name}_split")), say(unit),
                         say(split_rule).format(axis=name.upper())))
        rows += [("at_risk_days", float(self.at_risk_days), say(N_("days")), say(N_("lifecycle: at risk above"))),
                 ("dormant_days", float(self.dormant_days), say(N_("days")), say(N_("lifecycle: dormant above"))),
                 ("growth_band", float(self.growth_band), say(N_("ratio")),
                  say(N_("lifecycle: growing/declining beyond +/- this change in recent spend")))]
        return pd.DataFrame(rows, columns=["cut", "value", "unit", "rule"])


def snapshot_dates(*, data_start: pd.Timestamp, as_of: pd.Timestamp, burn_in_days: int = 60,
                   horizon_days: int = 30) -> list[pd.Timestamp]:
    """Month-end snapshot days after a burn-in whose return horizon ends by ``as_of``."""
    first = pd.Timestamp(data_start) + pd.Timedelta(days=burn_in_days)
    last = pd.Timestamp(as_of) - pd.Timedelta(days=horizon_days)
    return list(pd.date_range(first, last, freq="ME"))


def derive_lifecycle(snapshots: pd.DataFrame, *, levels: tuple[float, float] = (0.75, 0.50),
                     horizon_days: int = 30, fixed: tuple[int, int] | None = None,
                     fallback: tuple[int, int] | None = None) -> Lifecycle:
    """Fit P(return) on log1p(recency) over pooled snapshots and read the two thresholds off it.

    ``snapshots`` is the output of :func:`userops.features.recency_snapshots`. ``fixed`` gives
    the (at-risk, dormant) days by hand: the curve is then descriptive. When the data cannot
    give the thresholds (no snapshots, nobody or everybody returns, or the return probability
    does not fall with recency), the ``fallback`` (at-risk, dormant) days are used and the
    result's ``reason`` says why; without a ``fallback`` that case raises ``ValueError``.
    """
    hi, lo = levels
    if not 0 < lo < hi < 1:
        raise ValueError(f"`levels` must satisfy 0 < dormant < at-risk < 1, not {levels}")
    if fixed is not None:
        return _described(snapshots, levels=levels, horizon_days=horizon_days, fixed=fixed,
                          source="parameters")
    if snapshots.empty or snapshots["returned"].nunique() < 2:
        returned = int(snapshots["returned"].sum()) if len(snapshots) else 0
        reason = (_("the data has no customer snapshot old enough to follow for {days} days")
                  if snapshots.empty else
                  _("in all {n} customer snapshots the customer came back within {days} days") if returned else
                  _("in all {n} customer snapshots the customer did not come back within {days} days")
                  ).format(n=i18n.number(len(snapshots)), days=horizon_days)
        return _fallback(snapshots, levels=levels, horizon_days=horizon_days, fallback=fallback,
                         reason=reason)
    data = snapshots.assign(returned=snapshots["returned"].astype(int))
    fit = _fit_curve(data)
    if isinstance(fit, str):
        return _fallback(snapshots, levels=levels, horizon_days=horizon_days, fallback=fallback,
                         reason=fit)
    a, b, ci_low, ci_high = fit
    if not ci_high < 0:
        reason = _("over {n} customer snapshots the return probability does not fall with recency "
                   "(slope {slope}, 95% CI [{low}, {high}])").format(
            n=i18n.number(len(data)), slope=i18n.number(b, 3), low=i18n.number(ci_low, 3),
            high=i18n.number(ci_high, 3))
        return _fallback(snapshots, levels=levels, horizon_days=horizon_days, fallback=fallback,
                         reason=reason)
    at_risk, dormant = (_first_below(a, b, level) for level in levels)
    return Lifecycle(at_risk_days=at_risk, dormant_days=dormant, levels=(hi, lo),
                     horizon_days=horizon_days, intercept=a, slope=b, n_snapshots=len(data),
                     curve=_curve_table(data, a, b))


def derive_thresholds(rfm: pd.DataFrame, *, lifecycle: Lifecycle | None = None,
                      at_risk_days: int | None = None, dormant_days: int | None = None,
                      split: str = "mean", growth_band: float = 0.2, recent_days: int = 90,
                      data_start: pd.Timestamp | None = None) -> Thresholds:
    """Derive quintile edges, 8-group splits and lifecycle cut points from the RFM table.

    Lifecycle cut points come from ``lifecycle`` unless given explicitly. ``split`` is
    ``"mean"`` (the FineBI/Alibaba default) or ``"median"``.
    """
    if split not in ("mean", "median"):
        raise ValueError(f"`split` must be one of ['mean', 'median'], not {split!r}")
    if rfm.empty:
        raise ValueError("cannot derive thresholds from an empty RFM table")
    if at_risk_days is None or dormant_days is None:
        if lifecycle is None:
            raise ValueError("give `lifecycle` or both `at_risk_days` and `dormant_days`")
        at_risk_days = at_risk_days or lifecycle.at_risk_days
        dormant_days = dormant_days or lifecycle.dormant_days
    if not 0 < at_risk_days < dormant_days:
        raise ValueError(f"need 0 < at_risk_days < dormant_days, got {at_risk_days}, {dormant_days}")
    stat = (lambda x: float(x.mean())) if split == "mean" else (lambda x: float(x.median()))
    return Thresholds(
        r_edges=quantile_edges(rfm["recency_days"]), f_edges=quantile_edges(rfm["frequency"]),
        m_edges=quantile_edges(rfm["monetary"]), split=split,
        r_split=stat(rfm["recency_days"]), f_split=stat(rfm["frequency"]),
        m_split=stat(rfm["monetary"]), at_risk_days=int(at_risk_days),
        dormant_days=int(dormant_days), growth_band=float(growth_band), recent_days=recent_days,
        data_start=pd.Timestamp(data_start if data_start is not None else rfm["first_day"].min()),
    )


def quantile_edges(values: pd.Series, *, n: int = 5) -> tuple[float, ...]:
    """Value-based quantile cut points; equal values always share a score (ties kept together)."""
    qs = np.quantile(values.to_numpy(dtype=float), np.arange(1, n) / n)
    return tuple(float(v) for v in np.unique(qs))


def score(values: pd.Series, edges: tuple[float, ...], *, reverse: bool = False) -> pd.Series:
    """Score 1..len(edges)+1 by counting edges at or below each value (5 = best if ``reverse``)."""
    raw = np.searchsorted(np.asarray(edges), values.to_numpy(dtype=float), side="right") + 1
    if reverse:
        raw = len(edges) + 2 - raw
    return pd.Series(raw.astype("int64"), index=values.index, name=values.name)


def assign(rfm: pd.DataFrame, *, thresholds: Thresholds) -> pd.DataFrame:
    """Add scores, ``rf_segment``, ``rfm_group`` and ``lifecycle_stage`` to the RFM table.

    Every customer lands in exactly one segment, one group and one stage.
    """
    c = _codes(rfm, thresholds)
    r, f, m = (pd.Series(c[k], index=rfm.index, name=col) for k, col in
               (("r", "recency_days"), ("f", "frequency"), ("m", "monetary")))
    return rfm.assign(
        r_score=r, f_score=f, m_score=m, rfm_score=_rfm_score(r, f, m),
        rf_segment=pd.Categorical.from_codes(c["segment"], categories=RF_SEGMENTS),
        rfm_group=pd.Categorical.from_codes(c["group"], categories=RFM_GROUPS),
        lifecycle_stage=pd.Categorical.from_codes(c["stage"], categories=LIFECYCLE_STAGES),
    )


def _codes(rfm: pd.DataFrame, t: Thresholds) -> dict[str, np.ndarray]:
    """What :func:`assign` adds, as arrays: the scores ``r``, ``f``, ``m`` and the positions of
    each customer's segment, group and stage in RF_SEGMENTS, RFM_GROUPS and LIFECYCLE_STAGES."""
    r = score(rfm["recency_days"], t.r_edges, reverse=True).to_numpy()
    f = score(rfm["frequency"], t.f_edges).to_numpy()
    m = score(rfm["monetary"], t.m_edges).to_numpy()
    # with fewer than 5 distinct edges the top score is lower; rescale onto 1..5 for the grid
    r5, f5 = _to_five(pd.Series(r), len(t.r_edges)), _to_five(pd.Series(f), len(t.f_edges))
    segment = _RF_CODES[r5.to_numpy() - 1, f5.to_numpy() - 1]
    recent = rfm["recency_days"].to_numpy() <= t.r_split
    frequent = rfm["frequency"].to_numpy() > t.f_split
    spend = rfm["monetary"].to_numpy() > t.m_split
    # (recent, frequent, high spend) as a 3-bit code, looked up (no loop per customer)
    group = _GROUP_CODES[recent.astype(np.int64) * 4 + frequent.astype(np.int64) * 2 + spend.astype(np.int64)]
    return {"r": r, "f": f, "m": m, "segment": segment, "group": group, "stage": _stages(rfm, t)}


def prior_window_covered(rfm: pd.DataFrame, *, thresholds: Thresholds) -> bool:
    """Whether the data reaches back over both spend windows (the recent ``recent_days`` and the
    ``recent_days`` before), so that *growing* and *declining* can be told apart from *mature*.

    The cut-off is each customer's first day plus tenure (the same day for every customer).
    """
    if rfm.empty:
        return False
    as_of = (pd.to_datetime(rfm["first_day"]) + pd.to_timedelta(rfm["tenure_days"], unit="D")).max()
    return bool(thresholds.data_start <= as_of - pd.Timedelta(days=2 * thresholds.recent_days - 1))


def sensitivity(rfm: pd.DataFrame, *, thresholds: Thresholds, step: float = 0.10) -> pd.DataFrame:
    """How many customers change score, segment, group or stage when each cut point moves.

    Each cut moves by +/- ``step`` (a share of its value); cuts on days or order counts move by
    at least one unit. One row per cut point and direction.
    """
    # compared as arrays of scores and positions (what assign turns into text and categories)
    base = _codes(rfm, thresholds)
    rows = []
    for cut, value in thresholds.to_frame().set_index("cut")["value"].items():
        for sign in (-1, 1):
            moved = _moved(thresholds, cut, value, sign, step)
            new = _codes(rfm, moved)
            row = {"cut": cut, "value": value, "moved_to": _value_of(moved, cut)}
            score_changed = (new["r"] != base["r"]) | (new["f"] != base["f"]) | (new["m"] != base["m"])
            row["changed_rfm_score"] = int(score_changed.sum())
            for col, key in (("rf_segment", "segment"), ("rfm_group", "group"), ("lifecycle_stage", "stage")):
                row[f"changed_{col}"] = int((new[key] != base[key]).sum())
            rows.append(row)
    out = pd.DataFrame(rows)
    out["changed_any_share"] = out[[c for c in out if c.startswith("changed_")]].max(axis=1) / len(rfm)
    return out


def group_summary(tiers: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Per-group detail: customers, share, GMV and its share, mean and median R/F/M, ARPU."""
    total_n, total_m = len(tiers), tiers["monetary"].sum()
    g = tiers.groupby(by, observed=False)
    out = pd.DataFrame({
        "customers": g.size(),
        "gmv": g["monetary"].sum(),
        "mean_recency_days": g["recency_days"].mean(),
        "median_recency_days": g["recency_days"].median(),
        "mean_frequency": g["frequency"].mean(),
        "median_frequency": g["frequency"].median(),
        "mean_monetary": g["monetary"].mean(),
    })
    out.insert(1, "customer_share", out["customers"] / total_n)
    out.insert(3, "gmv_share", out["gmv"] / total_m if total_m else np.nan)
    out["arpu"] = out["gmv"] / out["customers"].where(out["customers"] > 0)
    return out.reset_index()


def name(value: object) -> str:
    """A segment, group or stage name as the report shows it, in the report's language (any
    other value as it is)."""
    return _(_NAMES[value]) if isinstance(value, str) and value in _NAMES else str(value)


def shown(frame: pd.DataFrame, columns: tuple[str, ...] = TIER_COLUMNS) -> pd.DataFrame:
    """A copy of ``frame`` for display: the segment, group and stage names in ``columns`` (and in
    an index or column axis named after one of them) in the report's language, the categories'
    order kept. Artifacts keep the internal names."""
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            values = out[col]
            if isinstance(values.dtype, pd.CategoricalDtype):
                out[col] = values.cat.rename_categories([name(c) for c in values.cat.categories])
            else:
                out[col] = values.map(lambda v: name(v) if pd.notna(v) else v)
    for axis in ("index", "columns"):
        labels = getattr(out, axis)
        if labels.name in columns:
            setattr(out, axis, labels.rename_categories(name) if isinstance(labels, pd.CategoricalIndex)
                    else labels.map(name))
    return out


# -- private helpers ------------------------------------------------------------------------

def _fallback(snapshots: pd.DataFrame, *, levels: tuple[float, float], horizon_days: int,
              fallback: tuple[int, int] | None, reason: str) -> Lifecycle:
    if fallback is None:
        raise ValueError(f"cannot derive lifecycle thresholds: {reason}; set at_risk_days and "
                         "dormant_days by hand")
    return _described(snapshots, levels=levels, horizon_days=horizon_days, fixed=fallback,
                      source="defaults", reason=reason)


def _described(snapshots: pd.DataFrame, *, levels: tuple[float, float], horizon_days: int,
               fixed: tuple[int, int], source: str, reason: str = "") -> Lifecycle:
    if not 0 < fixed[0] < fixed[1]:
        raise ValueError(f"need 0 < at_risk_days < dormant_days, got {fixed[0]}, {fixed[1]}")
    data = snapshots.assign(returned=snapshots["returned"].astype(int))
    a = b = np.nan
    if len(data) and data["returned"].nunique() == 2:
        fit = _fit_curve(data)
        a, b = (fit[0], fit[1]) if not isinstance(fit, str) else (np.nan, np.nan)
    return Lifecycle(at_risk_days=int(fixed[0]), dormant_days=int(fixed[1]), levels=levels,
                     horizon_days=horizon_days, intercept=a, slope=b, n_snapshots=len(data),
                     curve=_curve_table(data, a, b), source=source, reason=reason)


@single_threaded
def _fit_curve(data: pd.DataFrame) -> tuple[float, float, float, float] | str:
    """The logit of return on log1p(recency): intercept, slope and the slope's 95% CI, or why
    it cannot be fitted (one recency value, or recency separates returners perfectly)."""
    if data["recency_days"].nunique() < 2:
        return _("all {n} customer snapshots have the same recency, so no curve can be fitted").format(
            n=i18n.number(len(data)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = smf.glm("returned ~ np.log1p(recency_days)", data=data,
                          family=sm.families.Binomial()).fit()
        except PerfectSeparationError:
            fit = None
    trouble = [w for w in caught if issubclass(w.category, (PerfectSeparationWarning, ConvergenceWarning))]
    if fit is None or trouble or not np.all(np.isfinite(fit.params)):
        return _("over {n} customer snapshots recency separates those who came back from those who "
                 "did not, so the curve has no finite fit").format(n=i18n.number(len(data)))
    ci = fit.conf_int().iloc[1]
    return (float(fit.params.iloc[0]), float(fit.params.iloc[1]), float(ci.iloc[0]),
            float(ci.iloc[1]))


def _first_below(a: float, b: float, level: float) -> int:
    logit = np.log(level / (1 - level))
    r_star = np.exp((logit - a) / b) - 1.0  # P(r_star) == level, P falls with r
    return int(max(1, np.floor(r_star) + 1))


def _curve_table(data: pd.DataFrame, a: float, b: float) -> pd.DataFrame:
    bins = [-1, 3, 7, 14, 21, 28, 35, 42, 56, 70, 90, 120, 180, np.inf]
    labels = ["0-3", "4-7", "8-14", "15-21", "22-28", "29-35", "36-42", "43-56", "57-70",
              "71-90", "91-120", "121-180", ">180"]
    band = pd.cut(data["recency_days"], bins=bins, labels=labels)
    g = data.groupby(band, observed=True)
    out = pd.DataFrame({"n": g.size(), "observed": g["returned"].mean(),
                        "mean_recency_days": g["recency_days"].mean()})
    out["fitted"] = 1.0 / (1.0 + np.exp(-(a + b * np.log1p(out["mean_recency_days"]))))
    out["ci_low"], out["ci_high"] = _wilson(out["observed"], out["n"])
    return out.rename_axis("recency_band").reset_index()


def _wilson(p: pd.Series, n: pd.Series, z: float = 1.96) -> tuple[pd.Series, pd.Series]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _rfm_score(r: pd.Series, f: pd.Series, m: pd.Series) -> pd.Series:
    """The three scores written side by side ("531"): as one number when every score is a
    single digit (always, with at most 4 edges), which is the same text without a string
    operation per customer."""
    if max(int(x.max(initial=0)) for x in (r.to_numpy(), f.to_numpy(), m.to_numpy())) <= 9 and \
            min(int(x.min(initial=1)) for x in (r.to_numpy(), f.to_numpy(), m.to_numpy())) >= 1:
        return (r * 100 + f * 10 + m).astype(str)
    return r.astype(str) + f.astype(str) + m.astype(str)


def _to_five(score_: pd.Series, n_edges: int) -> pd.Series:
    if n_edges == 4:
        return score_
    top = n_edges + 1
    return pd.Series(np.ceil(score_.to_numpy() * 5 / top).astype(int), index=score_.index)


def _stages(rfm: pd.DataFrame, t: Thresholds) -> np.ndarray:
    """Each customer's lifecycle stage, as its position in LIFECYCLE_STAGES."""
    r = rfm["recency_days"].to_numpy()
    first_age = rfm["tenure_days"].to_numpy()
    censor_guard = (rfm["first_day"] >= t.data_start + pd.Timedelta(days=t.dormant_days)).to_numpy()
    prior = rfm["spend_prior"].to_numpy()
    growth = np.where(prior > 0, rfm["spend_recent"].to_numpy() / np.where(prior > 0, prior, 1) - 1,
                      np.where(rfm["spend_recent"].to_numpy() > 0, np.inf, 0.0))
    seen = prior_window_covered(rfm, thresholds=t)  # else a missing prior window looks like growth
    conditions = [
        r > t.dormant_days,
        (first_age < t.recent_days) & censor_guard,
        rfm["max_recent_gap_days"].to_numpy() > t.dormant_days,
        r > t.at_risk_days,
        (growth > t.growth_band) & seen,
        (growth < -t.growth_band) & seen,
    ]
    stages = ["dormant", "new", "reactivated", "at_risk", "growing", "declining"]
    return np.select(conditions, [LIFECYCLE_STAGES.index(x) for x in stages],
                     default=LIFECYCLE_STAGES.index("mature"))


def _moved(t: Thresholds, cut: str, value: float, sign: int, step: float) -> Thresholds:
    if cut.endswith("_days"):
        new = int(value + sign * max(1, round(value * step)))
        if cut == "at_risk_days":
            new = min(max(new, 1), t.dormant_days - 1)
        else:
            new = max(new, t.at_risk_days + 1)
        return dataclasses.replace(t, **{cut: new})
    new_value = value * (1 + sign * step) if value != 0 else sign * step
    if cut[0] in "rf" and ("_edge_" in cut or cut.endswith("_split")):  # counts of days/orders
        new_value = value + sign * max(1.0, round(abs(value) * step))
    if "_edge_" in cut:
        name, i = cut.split("_edge_")
        edges = list(getattr(t, f"{name}_edges"))
        edges[int(i) - 1] = new_value
        return dataclasses.replace(t, **{f"{name}_edges": tuple(sorted(edges))})
    return dataclasses.replace(t, **{cut: new_value})


def _value_of(t: Thresholds, cut: str) -> float:
    frame = t.to_frame().set_index("cut")["value"]
    return float(frame[cut]) if cut in frame.index else np.nan
