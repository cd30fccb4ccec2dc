"""Step 5: strategy effects that survive targeting (weighted DiD), their drivers, and who responds."""
from __future__ import annotations

import re
import string
import warnings
from dataclasses import dataclass

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm
from patsy import dmatrices
from statsmodels.stats.power import NormalIndPower
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from userops import compute, features, i18n
from userops import schema as s
from userops.i18n import N_, _

__all__ = [
    "BAND_DAYS", "COVARIATES", "Design", "Periods", "POOLS", "bands_from", "RESULT_COLUMNS", "Gate", "week_start", "run_weeks", "contact_cost_per_customer",
    "design", "usable_terms", "propensity_fit", "propensity_weights", "balance", "overlap", "select_pool", "did",
    "event_study", "estimate", "placebo_design", "placebo", "holdout_size", "estimate_all", "pooled_by_type",
    "focus", "table", "cell_effects", "compare", "stack", "heterogeneity", "response_table", "response_drivers",
    "say", "shown", "GATE_KINDS",
]

# the length of the period the spend bands were set on (step 3's default period, a quarter)
BAND_DAYS = 91.0
COVARIATES = ("log_spend_13w", "log_spend_26w", "orders_13w", "weeks_since_order", "past_responses")
# comparison pools: auto (same type where it supports an estimate, else population), the
# same-type pool without look-ahead (to_date) or with it (any_time), and the population pool
POOLS = ("auto", "to_date", "any_time", "population")
POOL_LABELS = {"to_date": N_("same type"), "any_time": N_("same type (any time)"), "population": N_("population"),
               "none": N_("none")}
# every column of :func:`estimate_all`'s results, whatever the data (an empty year included)
RESULT_COLUMNS = (
    s.STRATEGY_ID, "type", "start", "end", "weeks", "outcome", "naive", "naive_ci_low", "naive_ci_high",
    "n_treated", "n_all", "twfe_estimate", "twfe_se", "twfe_ci_low", "twfe_ci_high", "pool", "pool_reason",
    "eligible_treated", "eligible_comparison", "ess", "max_smd_after", "max_weight_share",
    "dropped_terms", "treated_baseline", "estimate", "se", "ci_low", "ci_high", "gate",
    "placebo_start", "placebo_estimate", "placebo_se", "placebo_ci_low", "placebo_ci_high", "placebo",
    "cost_per_customer", "breakeven_effect", "spend_sd", "holdout_weeks", "holdout_share",
    "holdout_customers", "reached_needed", "holdout",
)


# -- the words this module writes into its results --------------------------------------------
# Gate verdicts and reasons, pool reasons, placebo verdicts, holdout and persistence notes are
# written in English (the artifacts' language: step 6 and the strategy library read them) from
# the templates below; :func:`say` writes one in the report's language where it is shown.
GATE_KINDS = (N_("too few eligible customers"), N_("insufficient overlap"),
              N_("run or pre-window outside the data"))
_TOO_FEW = N_("too few eligible customers ({exposed} exposed, {comparison} comparison; need {need} each)")
_ESS = N_("effective comparison sample {ess} < {bar}")
_SMD = N_("largest SMD after weighting {smd} > {bar}")
_HEAVY = N_("one comparison customer carries {share} of the weight")
_OVERLAP = N_("insufficient overlap: {problems}")
_OUTSIDE = N_("run or pre-window outside the data ({why})")
_ENDS_LATE = N_("the run ends after the cut-off")
_NO_PRE = N_("the data does not cover the {weeks} weeks before the start")
_POPULATION = N_("every customer with an order in the {weeks} weeks before the start who was not reached by "
                 "an overlapping strategy")
_BY_PARAMETER = N_("set by the `eligibility` parameter")
_BY_PARAMETER_POPULATION = N_("set by the `eligibility` parameter: {population}")
_SAME_TYPE = N_("customers reached by {type} strategies that had started by this one's end support an "
                "estimate ({comparison} comparison customers)")
_SAME_TYPE_UNTYPED = N_("customers reached by strategies that had started by this one's end support an "
                        "estimate ({comparison} comparison customers)")
_FELL_BACK = N_("the same-type pool cannot support an estimate ({why}), so the comparison is {population}, "
                "weighted on pre-period behaviour; the same rule sets aside {aside} of the {reached} reached "
                "customers")
_NEITHER = N_("neither pool supports an estimate: same type, {why}; population, {why_population}")
_NOT_RUN = N_("not run: no estimate")
_PLACEBO_TOO_EARLY = N_("not possible: the data does not reach back far enough before the start")
_PLACEBO_REFUSED = N_("not possible: {gate}")
_PLACEBO_FAILED = N_("failed: CI excludes 0 (z = {z})")
_FREE = N_("no size: the strategy costs nothing per customer, so any effect pays")
_NO_SPREAD = N_("no size: the reached customers' weekly spend has no measurable spread")
_HOLD_OUT = N_("hold out {customers} customers and reach {reached} for {weeks} weeks")
_NO_PRE_DATA = N_("no size: no pre-period data for this strategy")
_ON_SPEND = N_("sized on spend")
_NOT_NEEDED = N_("not needed: the effect is distinguishable from zero")
_TOO_LATE = N_("not measurable: the run ends too close to the cut-off")
_NOT_MEASURABLE = N_("not measurable: {gate}")
_PERSISTS = N_("persists: the {weeks} weeks after the run stay above the comparison")
_UNCLEAR_AFTER = N_("does not persist: the {weeks} weeks after the run cannot be told from no effect")
_BELOW_AFTER = N_("does not persist: the {weeks} weeks after the run are below the comparison")
_NOT_POSITIVE = N_("does not persist: the run's own estimate is not positive")
_CONSTANT = N_("{term} (constant)")
_COLLINEAR = N_("{term} (collinear)")
_ABSENT = N_("{term} (not in the data)")
_SHRUNK = N_("shrunk group estimate")
_AVERAGE = N_("strategy average")
_WORDS = (N_("passed"), N_("spend"), N_("orders"), *POOL_LABELS.values(), *GATE_KINDS, _ENDS_LATE,
          _BY_PARAMETER, _NOT_RUN, _PLACEBO_TOO_EARLY, _FREE, _NO_SPREAD, _NO_PRE_DATA, _ON_SPEND, _NOT_NEEDED,
          _TOO_LATE, _NOT_POSITIVE, _SHRUNK, _AVERAGE)
_TEMPLATES = (_TOO_FEW, _ESS, _SMD, _HEAVY, _OVERLAP, _OUTSIDE, _NO_PRE, _POPULATION, _BY_PARAMETER_POPULATION,
              _SAME_TYPE_UNTYPED, _SAME_TYPE, _FELL_BACK, _NEITHER, _PLACEBO_REFUSED, _PLACEBO_FAILED, _HOLD_OUT,
              _NOT_MEASURABLE, _PERSISTS, _UNCLEAR_AFTER, _BELOW_AFTER, _CONSTANT, _COLLINEAR, _ABSENT)
# fields that hold one of these messages (said in turn); ``type`` and ``term`` are names from data or
# the model, every other field a number
_MESSAGE_FIELDS = ("problems", "why", "why_population", "population", "gate")
_NAME_FIELDS = ("type", "term")
_NUMBER = r"[-+]?\d[\d,]*(?:\.\d+)?%?"
_NAME = r"(?:(?!, ).)+?"  # a name inside a list of names joined by ", "
# the columns of this module's frames that hold its words
TEXT_COLUMNS = ("gate", "pool", "pool_reason", "placebo", "holdout", "persistence", "source", "outcome",
                "dropped_terms")


def _pattern(template: str) -> re.Pattern:
    parts = []
    for literal, field, _spec, _conv in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if field is not None:
            kind = ".+?" if field in _MESSAGE_FIELDS else _NAME if field in _NAME_FIELDS else _NUMBER
            parts.append(f"(?P<{field}>{kind})")
    return re.compile("".join(parts))


_PATTERNS = [(t, _pattern(t)) for t in _TEMPLATES]


def say(text: object) -> object:
    """One of the verdicts or reasons this module writes (English, as stored in its results and
    artifacts), or any other message of the catalog, in the report's language; anything else (a
    value from data, a missing value) unchanged. A reason's numbers and names are kept; reasons
    inside a reason are said in turn."""
    if i18n.lang() == "en" or not isinstance(text, str) or not text:
        return text
    if text in _WORDS:
        return _(text)
    for template, pattern in _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return _(template).format(**{k: say(v) if k in _MESSAGE_FIELDS else v
                                         for k, v in found.groupdict().items()})
    if _(text) != text:  # a whole message of the catalog (another step's word for a missing verdict)
        return _(text)
    if "; " in text:  # several problems of one gate
        return _("; ").join(str(say(part)) for part in text.split("; "))
    if ", " in text:  # several terms left out of a model
        parts = text.split(", ")
        said = [say(part) for part in parts]
        return _(", ").join(map(str, said)) if said != parts else text
    return text


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (results, a persistence or cell table) with this module's words in
    :data:`TEXT_COLUMNS` said in the report's language (:func:`say`), for display only."""
    if i18n.lang() == "en":
        return frame
    cols = [c for c in TEXT_COLUMNS if c in frame.columns]
    return frame.assign(**{c: frame[c].map(say) for c in cols}) if cols else frame


@dataclass(frozen=True)
class Gate:
    """When an estimate is refused: too little overlap between exposed and comparison customers."""

    min_treated: int = 30
    min_ess: float = 50.0
    max_smd: float = 0.10
    max_weight_share: float = 0.10


def week_start(ts):
    """The Monday (00:00) of the week holding ``ts``: a timestamp or a Series of them."""
    if isinstance(ts, pd.Series):
        t = pd.to_datetime(ts).dt.normalize()
        return t - pd.to_timedelta(t.dt.day_of_week, unit="D")
    t = pd.Timestamp(ts).normalize()
    return t - pd.Timedelta(days=t.day_of_week)


def run_weeks(start, end):
    """Weeks of a strategy's run: the calendar weeks (Monday to Sunday) it touches, from the
    week of ``start`` to the week of ``end`` inclusive.

    The one definition of the quantity: step 5 estimates the effect per customer-week over
    these weeks (its post-period) and step 6 multiplies the effect by them. A run from a
    Wednesday to the Tuesday two weeks later touches 3 weeks. Scalars or Series.
    """
    if isinstance(start, pd.Series) or isinstance(end, pd.Series):
        days = (week_start(pd.Series(end)) - week_start(pd.Series(start))).dt.days
        return (days // 7 + 1).astype("int64")
    return int((week_start(end) - week_start(start)).days // 7) + 1


def contact_cost_per_customer(strategies: pd.DataFrame, *, default: float) -> pd.Series:
    """Cost of reaching one customer per strategy id: the strategies table's
    ``cost_per_contact`` where it is given, else ``default`` (the ``contact_cost`` parameter)."""
    ids = strategies[s.STRATEGY_ID]
    own = (strategies[s.COST_PER_CONTACT] if s.COST_PER_CONTACT in strategies
           else pd.Series(np.nan, index=strategies.index)).astype(float)
    return pd.Series(own.fillna(float(default)).to_numpy(), index=ids.to_numpy(), name="cost_per_customer")


@dataclass(frozen=True)
class Periods:
    """A design's two-period panel: per customer, the mean weekly outcome before the start and
    over the run, which is all a two-period DiD on a balanced customer x week panel needs.

    ``means`` is indexed by ``customer_id`` with ``pre_<outcome>`` and ``post_<outcome>`` for
    ``spend`` and ``orders`` (weeks without an order count as 0) and ``holdout_spend`` (the mean
    over the last ``min(n_post, n_pre)`` weeks before the start, for :func:`holdout_size`);
    ``n_pre`` and ``n_post`` are the weeks of each period, ``start`` the first week of the run.
    """

    means: pd.DataFrame
    n_pre: int
    n_post: int
    start: pd.Timestamp


class Design:
    """One strategy's comparison: ``people`` (the customer table), ``periods`` (its two-period
    panel, :class:`Periods`) and, built only when asked for, ``panel``: the dense customer x
    week panel (``week``, ``orders``, ``spend``, ``rel_week``, ``post``) that the event study
    needs. Unpacks as ``people, panel``."""

    def __init__(self, people: pd.DataFrame, periods: Periods, *, weekly: ibis.Table | pd.DataFrame,
                 weeks: pd.DatetimeIndex) -> None:
        self.people, self.periods = people, periods
        self._weekly, self._weeks, self._panel = weekly, weeks, None

    def with_people(self, people: pd.DataFrame) -> "Design":
        """The same design with another customer table (the same customers)."""
        out = Design(people, self.periods, weekly=self._weekly, weeks=self._weeks)
        out._panel = self._panel
        return out

    @property
    def panel(self) -> pd.DataFrame:
        if self._panel is None:
            ids = self.people[s.CUSTOMER_ID]
            rows = features.week_rows(self._weekly, customers=ids, start=self._weeks[0], end=self._weeks[-1]) \
                if len(self._weeks) else pd.DataFrame(columns=[s.CUSTOMER_ID, "week", "orders", "spend"])
            panel = _dense(rows, ids, self._weeks)
            panel["rel_week"] = ((panel["week"] - self.periods.start).dt.days // 7).astype("int64")
            panel["post"] = panel["rel_week"] >= 0
            self._panel = panel
        return self._panel

    def __iter__(self):
        return iter((self.people, self.panel))

    def __getitem__(self, i: int):
        return (self.people, self.panel)[i]

    def __len__(self) -> int:
        return 2


def design(weekly: pd.DataFrame | ibis.Table, *, strategy: pd.Series, strategies: pd.DataFrame,
           exposures: pd.DataFrame, responses: pd.DataFrame | None, bands: tuple[float, ...],
           pre_weeks: int = 8, eligibility: str = "auto",
           band_days: float = BAND_DAYS, first: pd.DataFrame | None = None) -> Design:
    """One strategy's comparison: a customer table and its two-period panel (:class:`Design`).

    Treated: reached by this strategy. The customer table holds two comparison pools:

    - ``pool_same_type``: reached by a strategy of the same type that started no later than
      this one ended (``eligibility="any_time"``: ever; later targeting looked at later
      behaviour, which the strategy may have moved, so that pool is biased). Comparison
      customers reached by another strategy of the type that overlaps the pre-window or the
      run are dropped (they were treated at the same time).
    - ``pool_population``: every customer with an order in the ``pre_weeks`` before the start
      who was not reached by another strategy (of any type) overlapping the pre-window or the
      run. The rule holds for the reached customers too, so the estimate is the effect on
      the customers this strategy alone reached at the time (:func:`select_pool` counts the
      reached customers it sets aside).

    ``eligible`` is the pool the estimate uses: the same-type pool for ``auto``, ``to_date``
    and ``any_time`` (:func:`select_pool` moves ``auto`` to the population pool when the
    same-type pool cannot support an estimate), the population pool for ``population``.
    Covariates come from the 13 and 26 weeks before the start, so nothing the strategy could
    move enters the propensity model. ``weekly`` is the customer x week activity
    (:func:`userops.features.weekly_table` in the engine, or a frame like
    :func:`~userops.features.weekly_activity`'s); the sums over the windows are taken there and
    only customer-level sums come back. ``first`` (:func:`userops.features.first_weeks`) saves
    its query when several designs share it. The design unpacks as (customers, panel), the
    panel dense with ``rel_week`` (0 = first week of the run, :func:`run_weeks` weeks of run)
    and ``post``.
    """
    if eligibility not in POOLS:
        raise ValueError(f"`eligibility` must be one of {list(POOLS)}, not {eligibility!r}")
    start, end = pd.Timestamp(strategy[s.START]), pd.Timestamp(strategy[s.END])
    w0 = week_start(start)
    n_run = run_weeks(start, end)
    pre_start = w0 - pd.Timedelta(weeks=pre_weeks)
    sid = strategy[s.STRATEGY_ID]
    types = strategies[s.TYPE] if s.TYPE in strategies else pd.Series("all", index=strategies.index)
    same = strategies[types == strategy.get(s.TYPE, "all")]
    upto = same[same[s.START] <= end] if eligibility != "any_time" else same
    exp_type = exposures[exposures[s.STRATEGY_ID].isin(upto[s.STRATEGY_ID])]
    treated = set(exposures.loc[exposures[s.STRATEGY_ID] == sid, s.CUSTOMER_ID])
    overlapping = (strategies[s.STRATEGY_ID] != sid) & (strategies[s.END] >= pre_start) & (strategies[s.START] <= end)
    busy_same = strategies.loc[overlapping & (types == strategy.get(s.TYPE, "all")), s.STRATEGY_ID]
    busy_any = strategies.loc[overlapping, s.STRATEGY_ID]
    contaminated = set(exposures.loc[exposures[s.STRATEGY_ID].isin(busy_same), s.CUSTOMER_ID])
    reached_other = set(exposures.loc[exposures[s.STRATEGY_ID].isin(busy_any), s.CUSTOMER_ID])
    weekly = features.as_weekly(weekly)
    first = features.first_weeks(weekly) if first is None else first
    k = min(n_run, pre_weeks)
    sums = _window_sums(weekly, w0=w0, windows={
        "pre": (-pre_weeks, -1), "post": (0, n_run - 1), "holdout": (-k, -1), **_COVARIATE_WINDOWS})
    pre = sums["pre"]
    active = set(pre.index[pre["orders"] > 0])
    people = pd.DataFrame({s.CUSTOMER_ID: first.loc[first["first_week"] < w0, s.CUSTOMER_ID].to_numpy()})
    ids = people[s.CUSTOMER_ID]
    people["treated"] = compute.isin(ids, treated)
    people["pool_same_type"] = compute.isin(ids, exp_type[s.CUSTOMER_ID]) & (people["treated"] | ~compute.isin(ids, contaminated))
    people["pool_population"] = compute.isin(ids, active) & ~compute.isin(ids, reached_other)
    people["eligible"] = people["pool_population" if eligibility == "population" else "pool_same_type"]
    cov = _covariates_from(sums, ids, w0=w0, responses=responses, bands=bands, band_days=band_days)
    people = people.merge(cov, on=s.CUSTOMER_ID, how="left")
    periods = _periods_from(sums, ids, n_pre=pre_weeks, n_post=n_run, n_holdout=k, start=w0)
    weeks = pd.date_range(pre_start, w0 + pd.Timedelta(weeks=n_run - 1), freq="7D")
    return Design(people, periods, weekly=weekly, weeks=weeks)


@compute.single_threaded
def usable_terms(X: pd.DataFrame, *, keep: tuple[str, ...] = ("const", "Intercept")) -> tuple[list[str], list[str]]:
    """The columns of a design matrix a model can use, and the ones it cannot, named with why.

    A column that does not vary (other than the intercept ``keep``) is dropped as
    ``"name (constant)"``; a column that is a linear combination of the columns before it
    (numerical rank does not grow) as ``"name (collinear)"``. Returns (kept, dropped).
    """
    kept: list[str] = []
    dropped: list[str] = []
    for col in X.columns:
        x = X[col].to_numpy(float)
        if col not in keep and (not np.isfinite(x).all() or np.ptp(x) == 0):
            dropped.append(_CONSTANT.format(term=col))
            continue
        trial = X[kept + [col]].to_numpy(float)
        if np.linalg.matrix_rank(trial) < len(kept) + 1:
            dropped.append(_COLLINEAR.format(term=col))
            continue
        kept.append(col)
    return kept, dropped


@compute.single_threaded
def propensity_fit(people: pd.DataFrame, *, covariates: tuple[str, ...] = COVARIATES
                   ) -> tuple[pd.Series, list[str]]:
    """ATT weights among eligible customers and the covariates the model had to leave out.

    Weights are 1 for treated and e/(1-e) for comparison customers, with e a logit on the
    pre-period ``covariates``; ineligible customers get 0. Constant or collinear covariates
    are dropped and named (:func:`usable_terms`); perfect separation is not printed: it shows
    as extreme weights, which the overlap gate refuses.
    """
    d = people[people["eligible"]]
    X = sm.add_constant(d[list(covariates)].astype(float), has_constant="add")
    cols, dropped = usable_terms(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation and non-convergence end in the gate
        fit = sm.GLM(d["treated"].astype(float), X[cols], family=sm.families.Binomial()).fit()
    e = np.clip(fit.predict(X[cols]), 1e-6, 1 - 1e-6)
    w = np.where(d["treated"], 1.0, e / (1 - e))
    return pd.Series(w, index=d.index).reindex(people.index, fill_value=0.0).rename("weight"), dropped


def propensity_weights(people: pd.DataFrame, *, covariates: tuple[str, ...] = COVARIATES) -> pd.Series:
    """ATT weights among eligible customers (see :func:`propensity_fit`)."""
    return propensity_fit(people, covariates=covariates)[0]


def balance(people: pd.DataFrame, weights: pd.Series, *, covariates: tuple[str, ...] = COVARIATES
            ) -> pd.DataFrame:
    """Standardized mean differences (treated vs comparison) before and after weighting."""
    d = people[people["eligible"]]
    w = weights.loc[d.index]
    t, c = d["treated"].to_numpy(), ~d["treated"].to_numpy()
    rows = []
    for col in covariates:
        x = d[col].to_numpy(float)
        sd = np.sqrt((x[t].var() + x[c].var()) / 2) or 1.0
        rows.append({"covariate": col, "treated_mean": x[t].mean(), "comparison_mean": x[c].mean(),
                     "weighted_comparison_mean": np.average(x[c], weights=w.to_numpy()[c]),
                     "smd_before": (x[t].mean() - x[c].mean()) / sd,
                     "smd_after": (x[t].mean() - np.average(x[c], weights=w.to_numpy()[c])) / sd})
    return pd.DataFrame(rows)


def did(panel: pd.DataFrame | Periods, people: pd.DataFrame, *, outcome: str = "spend",
        weights: pd.Series | None = None, subset: pd.Series | None = None) -> dict[str, float]:
    """Two-way fixed-effects DiD with customer-clustered errors, from the two-period panel.

    On a balanced customer x week panel with weights constant per customer, the two-way
    within-transformed regression of the outcome on treated x post reduces exactly to
    per-customer means before and after the start: the coefficient is the weighted mean change
    of the treated minus that of the comparison, and each customer's score (hence the
    clustered standard error, with statsmodels' small-sample factor G/(G-1)) depends only on
    its own change. ``panel`` is a dense customer x week panel (reduced here) or a
    :class:`Periods`; tests check the result against the dummy-variable regression.
    """
    per = _two_period(panel)
    keep = people if subset is None else people[subset]
    w = (weights if weights is not None else pd.Series(1.0, index=people.index)).loc[keep.index]
    keep = keep[w > 0]
    w = w[w > 0]
    treated = set(keep.loc[keep["treated"], s.CUSTOMER_ID])
    parts = _did_parts(per, keep, w, outcome=outcome)
    est, se = _fit_parts([parts])
    return {"estimate": est, "se": se, "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se,
            "treated": len(treated), "comparison": int((~keep["treated"]).sum())}


@compute.single_threaded
def event_study(panel: pd.DataFrame, people: pd.DataFrame, *, weights: pd.Series,
                outcome: str = "spend") -> pd.DataFrame:
    """Effect by week relative to the start (week -1 is the reference), weighted, with CIs."""
    keep = people[weights > 0]
    d = panel[compute.isin(panel[s.CUSTOMER_ID], keep[s.CUSTOMER_ID])]
    d = d.assign(w=d[s.CUSTOMER_ID].map(dict(zip(keep[s.CUSTOMER_ID], weights[weights > 0]))))
    treated = compute.isin(d[s.CUSTOMER_ID], set(keep.loc[keep["treated"], s.CUSTOMER_ID]))
    rels = sorted(r for r in d["rel_week"].unique() if r != -1)
    X = pd.DataFrame({f"k{r}": (treated & (d["rel_week"] == r)).astype(float) for r in rels},
                     index=d.index)
    Xw = pd.concat({c: _within(d.assign(_x=X[c]), "_x") for c in X}, axis=1)
    fit = sm.WLS(_within(d, outcome), Xw, weights=d["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d[s.CUSTOMER_ID])[0]})
    out = pd.DataFrame({"rel_week": rels, "estimate": fit.params.to_numpy(), "se": fit.bse.to_numpy()})
    ref = pd.DataFrame({"rel_week": [-1], "estimate": [0.0], "se": [0.0]})
    out = pd.concat([out, ref]).sort_values("rel_week", ignore_index=True)
    return out.assign(ci_low=out["estimate"] - 1.96 * out["se"], ci_high=out["estimate"] + 1.96 * out["se"])


def overlap(people: pd.DataFrame, *, gate: Gate = Gate()) -> dict[str, object]:
    """The overlap gate on the ``eligible`` customers: counts, weights, balance and verdict.

    Returns ``eligible_treated``, ``eligible_comparison``, ``problems`` (empty when an
    estimate can be given) and, when the counts allow a propensity model, ``weights``,
    ``balance``, ``ess``, ``max_smd_after``, ``max_weight_share`` and ``dropped_terms``.
    """
    elig = people["eligible"]
    n_t, n_c = int((elig & people["treated"]).sum()), int((elig & ~people["treated"]).sum())
    out: dict[str, object] = {"eligible_treated": n_t, "eligible_comparison": n_c}
    if n_t < gate.min_treated or n_c < gate.min_treated:
        return out | {"problems": [_TOO_FEW.format(exposed=i18n.number(n_t), comparison=i18n.number(n_c),
                                                   need=i18n.number(gate.min_treated))]}
    w, dropped = propensity_fit(people)
    bal = balance(people, w)
    wc = w[elig & ~people["treated"]]
    ess = float(wc.sum() ** 2 / (wc ** 2).sum())
    smd = float(bal["smd_after"].abs().max())
    share = float(wc.max() / wc.sum())
    problems = [_ESS.format(ess=_apart(ess, gate.min_ess)[0], bar=_apart(ess, gate.min_ess)[1])
                if ess < gate.min_ess else "",
                _SMD.format(smd=_apart(smd, gate.max_smd, decimals=2)[0], bar=gate.max_smd)
                if smd > gate.max_smd else "",
                _HEAVY.format(share=f"{share:.0%}")
                if share > gate.max_weight_share else ""]
    problems = [_OVERLAP.format(problems="; ".join(p for p in problems if p))] if any(problems) else []
    return out | {"problems": problems, "weights": w, "balance": bal, "ess": ess, "max_smd_after": smd,
                  "max_weight_share": share, "dropped_terms": ", ".join(dropped)}


def select_pool(people: pd.DataFrame, *, eligibility: str = "auto", gate: Gate = Gate(),
                type_label: str = "", pre_weeks: int = 8) -> tuple[pd.DataFrame, str, str]:
    """The comparison pool an estimate uses, by a rule fixed in advance (never by which
    estimate looks better), and why, in plain words.

    ``auto``: the same-type pool when it passes the overlap gate; otherwise the population
    pool (see :func:`design`). Returns (people with ``eligible`` set to the chosen pool, pool
    label, reason). The label is ``none`` when no pool passes the gate.
    """
    if eligibility not in POOLS:
        raise ValueError(f"`eligibility` must be one of {list(POOLS)}, not {eligibility!r}")
    same = people.assign(eligible=people["pool_same_type"])
    pop = people.assign(eligible=people["pool_population"])
    population_words = _POPULATION.format(weeks=pre_weeks)
    if eligibility in ("to_date", "any_time"):
        return same, POOL_LABELS[eligibility], _BY_PARAMETER
    if eligibility == "population":
        return pop, "population", _BY_PARAMETER_POPULATION.format(population=population_words)
    first = overlap(same, gate=gate)
    if not first["problems"]:
        return same, "same type", (_SAME_TYPE if type_label else _SAME_TYPE_UNTYPED).format(
            type=type_label, comparison=f"{first['eligible_comparison']:,}")
    second = overlap(pop, gate=gate)
    why = first["problems"][0]
    aside = int((people["treated"] & ~people["pool_population"]).sum())
    if not second["problems"]:
        return pop, "population", _FELL_BACK.format(why=why, population=population_words, aside=f"{aside:,}",
                                                    reached=f"{int(people['treated'].sum()):,}")
    return pop, "none", _NEITHER.format(why=why, why_population=second["problems"][0])


def estimate(people: pd.DataFrame, panel: pd.DataFrame | Periods, *, outcome: str = "spend",
             gate: Gate = Gate()) -> dict[str, object]:
    """All three estimates for one strategy and outcome, plus the overlap gate's verdict.

    ``naive``: exposed minus not exposed, run-period means over everyone (selection, not
    effect). ``twfe``: unweighted DiD over everyone. ``estimate`` (the default): DiD with ATT
    weights among the ``eligible`` customers; refused (NaN, with ``gate`` saying why) when
    overlap is insufficient. ``dropped_terms`` names propensity covariates left out.
    ``panel`` is a dense customer x week panel or a :class:`Periods`.
    """
    per = _two_period(panel)
    t = people["treated"].to_numpy()
    y = people[s.CUSTOMER_ID].map(per.means[f"post_{outcome}"]).to_numpy()
    out: dict[str, object] = {"outcome": outcome, "n_treated": int(t.sum()), "n_all": len(people)}
    if t.sum() >= 2 and (~t).sum() >= 2:
        naive = float(y[t].mean() - y[~t].mean())
        naive_se = float(np.sqrt(y[t].var(ddof=1) / t.sum() + y[~t].var(ddof=1) / (~t).sum()))
        out.update(naive=naive, naive_ci_low=naive - 1.96 * naive_se, naive_ci_high=naive + 1.96 * naive_se)
        tw = did(per, people, outcome=outcome)
        out.update({f"twfe_{k}": v for k, v in tw.items() if k in ("estimate", "se", "ci_low", "ci_high")})
    ov = overlap(people, gate=gate)
    out.update({k: ov[k] for k in ("eligible_treated", "eligible_comparison", "ess", "max_smd_after",
                                   "max_weight_share", "dropped_terms") if k in ov})
    if ov["problems"]:
        return out | _refused(ov["problems"][0])
    elig = people["eligible"]
    base = people.loc[elig & people["treated"], s.CUSTOMER_ID].map(per.means[f"pre_{outcome}"])
    out["treated_baseline"] = float(base.mean())
    est = did(per, people, outcome=outcome, weights=ov["weights"])
    return out | {"estimate": est["estimate"], "se": est["se"], "ci_low": est["ci_low"],
                  "ci_high": est["ci_high"], "gate": "passed"}


def placebo_design(weekly: pd.DataFrame | ibis.Table, people: pd.DataFrame, panel: pd.DataFrame | Periods, *,
                   n_run: int, pre_weeks: int = 8, shift_weeks: int = 0, first: pd.DataFrame | None = None
                   ) -> tuple[pd.DataFrame, Periods, pd.Timestamp] | None:
    """The same design moved back in time, on data from before the real start only.

    The fake start is ``shift_weeks`` (0: the run's length ``n_run``) weeks before the real
    start's week; the fake run lasts ``min(n_run, shift_weeks)`` weeks, so it ends before the
    real start; the pre-window has ``pre_weeks`` weeks. The customers (those who shopped
    before the fake start) keep their treated flag, pool and covariates, which are measured
    before the real start: the placebo asks whether the weighted comparison moved like the
    reached customers before anything happened (parallel pre-trends). Re-measuring the
    covariates at the fake start would leave out the behaviour between the two starts on
    which the targeting may have looked, and the check would find that selection instead.
    Returns (people, two-period panel, fake start) or None when the data does not reach back
    far enough. ``first`` is :func:`userops.features.first_weeks` of ``weekly``.
    """
    w0 = panel.start if isinstance(panel, Periods) else (
        panel.loc[panel["rel_week"] == 0, "week"].min() if len(panel) else pd.NaT)
    shift = int(shift_weeks) if shift_weeks > 0 else int(n_run)
    fake = w0 - pd.Timedelta(weeks=shift)
    fake_run = min(int(n_run), shift)
    weekly = features.as_weekly(weekly)
    first = features.first_weeks(weekly) if first is None else first
    if pd.isna(w0) or first.empty or fake - pd.Timedelta(weeks=pre_weeks) < first["first_week"].min():
        return None
    seen = first.set_index(s.CUSTOMER_ID)["first_week"]
    p = people[people[s.CUSTOMER_ID].map(seen) < fake].reset_index(drop=True)
    sums = _window_sums(weekly, w0=fake, windows={"pre": (-pre_weeks, -1), "post": (0, fake_run - 1)})
    return p, _periods_from(sums, p[s.CUSTOMER_ID], n_pre=pre_weeks, n_post=fake_run, n_holdout=0, start=fake), fake


def placebo(weekly: pd.DataFrame | ibis.Table, people: pd.DataFrame, panel: pd.DataFrame | Periods, *, n_run: int,
            outcome: str = "spend", pre_weeks: int = 8, shift_weeks: int = 0, gate: Gate = Gate(),
            first: pd.DataFrame | None = None) -> dict[str, object]:
    """Placebo-in-time check: the weighted DiD of :func:`placebo_design`'s fake start.

    Nothing happened at the fake start, so the estimate should cover 0. ``placebo`` is
    ``passed``, ``failed: ...`` (the CI excludes 0: the groups drifted apart before the start,
    so the real estimate may carry that drift) or ``not possible: ...``.
    """
    got = placebo_design(weekly, people, panel, n_run=n_run, pre_weeks=pre_weeks, shift_weeks=shift_weeks,
                         first=first)
    if got is None:
        return {"placebo": _PLACEBO_TOO_EARLY}
    p, fake_panel, fake = got
    r = estimate(p, fake_panel, outcome=outcome, gate=gate)
    out = {"placebo_start": fake, "placebo_estimate": r["estimate"], "placebo_se": r["se"],
           "placebo_ci_low": r["ci_low"], "placebo_ci_high": r["ci_high"]}
    if r["gate"] != "passed":
        return out | {"placebo": _PLACEBO_REFUSED.format(gate=r["gate"])}
    z = r["estimate"] / r["se"] if r["se"] > 0 else 0.0
    verdict = "passed" if r["ci_low"] <= 0 <= r["ci_high"] else _PLACEBO_FAILED.format(z=f"{z:+.1f}")
    return out | {"placebo": verdict}


def holdout_size(people: pd.DataFrame, panel: pd.DataFrame | Periods, *, weeks: int, cost_per_customer: float,
                 share: float = 0.1, alpha: float = 0.05, power: float = 0.8) -> dict[str, object]:
    """Customers a random holdout needs to tell the break-even effect from zero.

    Break-even effect = ``cost_per_customer`` / ``weeks`` (the extra spend per customer-week
    that pays for the contact over the run's weeks). sigma = standard deviation across the
    reached customers of their mean weekly spend over the last ``min(weeks, pre-window)``
    weeks before the start (a shorter average is noisier, so this errs on the safe side).
    The size comes from statsmodels' ``NormalIndPower`` (two-sided ``alpha``, ``power``) for a
    holdout of ``share`` of the targeted customers (ratio reached/holdout = (1 - share)/share):
    ``holdout_customers`` not contacted and ``reached_needed`` contacted, over ``weeks`` weeks.
    ``panel`` is a dense customer x week panel or a :class:`Periods` of a run of ``weeks`` weeks.
    """
    if not 0 < share < 1:
        raise ValueError(f"`share` of the holdout must be between 0 and 1, not {share}")
    out: dict[str, object] = {"cost_per_customer": float(cost_per_customer), "holdout_weeks": int(weeks),
                              "holdout_share": float(share)}
    treated = people.loc[people["treated"], s.CUSTOMER_ID]
    if isinstance(panel, Periods):
        if int(weeks) != panel.n_post:
            raise ValueError(f"`weeks` ({weeks}) must be the run's weeks of the two-period panel ({panel.n_post})")
        means = treated.map(panel.means["holdout_spend"])
    else:
        pre = panel[~panel["post"] & compute.isin(panel[s.CUSTOMER_ID], treated)]
        pre = pre[pre["rel_week"] >= -min(int(weeks), int(-panel["rel_week"].min()))]
        means = pre.groupby(s.CUSTOMER_ID)["spend"].mean()
    sd = float(means.std(ddof=1)) if len(treated) > 1 else np.nan
    out["spend_sd"] = sd
    if not cost_per_customer > 0:
        return out | {"holdout": _FREE}
    b = float(cost_per_customer) / int(weeks)
    out["breakeven_effect"] = b
    if not np.isfinite(sd) or sd <= 0:
        return out | {"holdout": _NO_SPREAD}
    n1 = NormalIndPower().solve_power(effect_size=b / sd, alpha=alpha, power=power,
                                      ratio=(1 - share) / share, alternative="two-sided")
    n1 = int(np.ceil(n1))
    return out | {"holdout_customers": n1, "reached_needed": int(np.ceil(n1 * (1 - share) / share)),
                  "holdout": _HOLD_OUT.format(customers=f"{n1:,}", reached=f"{int(np.ceil(n1 * (1 - share) / share)):,}",
                                              weeks=int(weeks))}


def stack(designs: list[Design | tuple[pd.DataFrame, pd.DataFrame]], *, outcome: str = "spend"
          ) -> dict[str, float]:
    """Pooled (stacked) weighted DiD over several strategies of one type.

    Each strategy keeps its own customers, weights and fixed effects (customer x strategy,
    week x strategy); errors are clustered by customer across the stack. Computed from each
    design's two-period panel (see :func:`did`).
    """
    parts = []
    for d in designs:
        people, per = (d.people, d.periods) if isinstance(d, Design) else (d[0], _two_period(d[1]))
        w = propensity_weights(people)
        keep = people[w > 0]
        parts.append(_did_parts(per, keep, w[w > 0], outcome=outcome))
    est, se = _fit_parts(parts)
    return {"estimate": est, "se": se, "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se,
            "strategies": len(designs)}


def heterogeneity(people: pd.DataFrame, panel: pd.DataFrame | Periods, *, by: str, outcome: str = "spend",
                  min_cell: int = 50) -> pd.DataFrame:
    """Weighted DiD per group of ``by`` (a pre-period trait), shrunk toward the overall effect.

    Groups with fewer than ``min_cell`` exposed or comparison customers get no estimate of
    their own. Shrinkage is empirical Bayes: weight tau^2 / (tau^2 + se^2), with tau^2 the
    between-group variance (DerSimonian-Laird).
    """
    panel = _two_period(panel)
    w = propensity_weights(people)
    overall = did(panel, people, outcome=outcome, weights=w)
    rows = []
    for g, sub in people[people["eligible"]].groupby(by, observed=True):
        n_t, n_c = int(sub["treated"].sum()), int((~sub["treated"]).sum())
        row = {by: g, "exposed": n_t, "comparison": n_c}
        if min(n_t, n_c) >= min_cell:
            r = did(panel, people, outcome=outcome, weights=w, subset=people.index.isin(sub.index))
            row.update(estimate=r["estimate"], se=r["se"])
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("estimate", "se"):
        if col not in out:
            out[col] = np.nan
    ok = out["estimate"].notna()
    est, se = out.loc[ok, "estimate"].to_numpy(), out.loc[ok, "se"].to_numpy()
    tau2 = _dersimonian_laird(est, se)
    b = tau2 / (tau2 + se ** 2) if len(est) else np.array([])
    out.loc[ok, "shrunk"] = b * est + (1 - b) * overall["estimate"]
    out.loc[ok, "shrunk_se"] = np.sqrt(b) * se
    out["overall"] = overall["estimate"]
    out["tau"] = np.sqrt(tau2)
    return out


def estimate_all(weekly: pd.DataFrame | ibis.Table, *, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp,
                 bands: tuple[float, ...], pre_weeks: int = 8, outcomes: tuple[str, ...] = ("spend", "orders"),
                 gate: Gate = Gate(), eligibility: str = "auto", placebo_weeks: int = 0,
                 contact_cost: float = 0.5, holdout_share: float = 0.1, band_days: float = BAND_DAYS
                 ) -> tuple[pd.DataFrame, dict[str, Design]]:
    """Every strategy with a full pre-window and run inside the data: all estimates per outcome.

    Returns a tidy frame with :data:`RESULT_COLUMNS` (one row per strategy and outcome) and
    the designs by strategy id (their ``eligible`` is the pool used). Per strategy: the pool
    and why (:func:`select_pool`), the estimates (:func:`estimate`), a placebo-in-time check
    beside every estimate (:func:`placebo`, shifted by ``placebo_weeks``, 0 = the run's
    length) and, on spend, where the effect cannot be told apart from zero, the holdout that
    would (:func:`holdout_size`, cost per customer from :func:`contact_cost_per_customer`).
    Strategies that start before the data has ``pre_weeks`` of history, or end after
    ``as_of``, are listed with the reason and no estimate. ``weekly`` is the customer x week
    activity: :func:`userops.features.weekly_table` (kept in the engine, which sums each
    design's windows) or a frame like :func:`~userops.features.weekly_activity`'s.
    """
    rows, designs = [], {}
    st, exp = tables.get("strategies"), tables.get("exposures")
    if st is None or exp is None or st.empty:
        return pd.DataFrame(columns=list(RESULT_COLUMNS)), designs
    resp = tables.get("responses")
    costs = contact_cost_per_customer(st, default=contact_cost)
    weekly = features.as_weekly(weekly)
    first = features.first_weeks(weekly)
    first_week = first["first_week"].min() if len(first) else pd.Timestamp(as_of)
    for _i, row in st.sort_values([s.START, s.STRATEGY_ID]).iterrows():
        sid = row[s.STRATEGY_ID]
        n_run = run_weeks(row[s.START], row[s.END])
        base = {s.STRATEGY_ID: sid, "type": row.get(s.TYPE, "all"), "start": row[s.START], "end": row[s.END],
                "weeks": n_run}
        if week_start(row[s.START]) - pd.Timedelta(weeks=pre_weeks) < first_week or row[s.END] > as_of:
            why = _ENDS_LATE if row[s.END] > as_of else _NO_PRE.format(weeks=pre_weeks)
            for outcome in outcomes:
                rows.append(base | {"outcome": outcome, "pool": "none", "pool_reason": why,
                                    "gate": _OUTSIDE.format(why=why), "placebo": _NOT_RUN,
                                    "holdout": _NO_PRE_DATA})
            continue
        d = design(weekly, strategy=row, strategies=st, exposures=exp, responses=resp, bands=bands,
                   pre_weeks=pre_weeks, eligibility=eligibility, band_days=band_days, first=first)
        people, pool, reason = select_pool(d.people, eligibility=eligibility, gate=gate,
                                           type_label=str(base["type"]), pre_weeks=pre_weeks)
        d = designs[sid] = d.with_people(people)
        panel = d.periods
        for outcome in outcomes:
            r = base | estimate(people, panel, outcome=outcome, gate=gate) | {"pool": pool, "pool_reason": reason}
            if r["gate"] == "passed":
                r |= placebo(weekly, people, panel, n_run=n_run, outcome=outcome, pre_weeks=pre_weeks,
                             shift_weeks=placebo_weeks, gate=gate, first=first)
            else:
                r["placebo"] = _NOT_RUN
            clear = r["gate"] == "passed" and (r["ci_low"] > 0 or r["ci_high"] < 0)
            if outcome != "spend":
                r["holdout"] = _ON_SPEND
            elif clear:
                r["holdout"] = _NOT_NEEDED
            else:
                r |= holdout_size(people, panel, weeks=n_run, cost_per_customer=float(costs.get(sid, contact_cost)),
                                  share=holdout_share)
            rows.append(r)
    return pd.DataFrame(rows).reindex(columns=list(RESULT_COLUMNS)), designs


def pooled_by_type(results: pd.DataFrame, designs: dict[str, Design],
                   *, outcome: str = "spend") -> pd.DataFrame:
    """Stacked weighted DiD per strategy type over the strategies that passed the gate."""
    rows = []
    ok = results[(results["outcome"] == outcome) & (results["gate"] == "passed")]
    for kind, g in ok.groupby("type"):
        r = stack([designs[k] for k in g[s.STRATEGY_ID]], outcome=outcome)
        base = ok.loc[g.index, "treated_baseline"].mean()
        rows.append({"type": kind, "outcome": outcome, **r,
                     "pooled": ", ".join(map(str, g[s.STRATEGY_ID])), "treated_baseline": base})
    cols = ["type", "outcome", "estimate", "se", "ci_low", "ci_high", "strategies", "pooled", "treated_baseline"]
    return pd.DataFrame(rows, columns=cols)


def focus(results: pd.DataFrame, designs: dict[str, Design], *,
          strategy: str = "", outcome: str = "spend", by: str = "pre_tier_rank", min_cell: int = 50,
          clusters: pd.DataFrame | None = None) -> dict[str, object]:
    """Balance, event study and heterogeneity for one strategy: ``strategy`` or, when empty,
    the one with the most exposed customers among those that passed the gate. Heterogeneity
    is by ``by`` and, when step 2's ``clusters`` are given, by cluster. Empty frames (and
    ``strategy_id`` None) when none passed."""
    ok = results[(results["outcome"] == outcome) & (results["gate"] == "passed")]
    if strategy:
        ok = ok[ok[s.STRATEGY_ID].astype(str) == str(strategy)]
    if ok.empty:
        return {"strategy_id": None, "result": pd.Series(dtype=float), "balance": pd.DataFrame(),
                "event": pd.DataFrame(), "heterogeneity": pd.DataFrame(),
                "heterogeneity_cluster": pd.DataFrame()}
    row = ok.sort_values(["eligible_treated", s.STRATEGY_ID], ascending=[False, True]).iloc[0]
    d = designs[row[s.STRATEGY_ID]]
    people, panel = _parts(d)
    w = propensity_weights(people)
    dense = d.panel if isinstance(d, Design) else panel  # the event study needs every week
    return {"strategy_id": row[s.STRATEGY_ID], "result": row, "balance": balance(people, w),
            "event": event_study(dense, people, weights=w, outcome=outcome),
            "heterogeneity": heterogeneity(people, panel, by=by, outcome=outcome, min_cell=min_cell),
            "heterogeneity_cluster": pd.DataFrame() if clusters is None else heterogeneity(
                people.merge(clusters[[s.CUSTOMER_ID, "cluster_name"]], on=s.CUSTOMER_ID, how="left")
                .fillna({"cluster_name": _("(no cluster)")}).set_axis(people.index),
                panel, by="cluster_name", outcome=outcome, min_cell=min_cell)}


def table(results: pd.DataFrame, *, outcome: str = "spend") -> pd.DataFrame:
    """The results for reviewers: one row per strategy, dates as text, numbers rounded.

    Beside each estimate: the comparison pool it used and why, the placebo-in-time check
    (estimate, CI, verdict) and, on spend, the holdout that would tell the break-even effect
    from zero where this run cannot. Verdicts and reasons are in the report's language (:func:`shown`).
    """
    keep = [s.STRATEGY_ID, "type", "start", "end", "weeks", "naive", "twfe_estimate", "estimate", "se",
            "ci_low", "ci_high", "gate", "pool", "pool_reason", "eligible_treated", "eligible_comparison",
            "ess", "max_smd_after", "dropped_terms", "placebo_estimate", "placebo_ci_low", "placebo_ci_high",
            "placebo"]
    if outcome == "spend":
        keep += ["cost_per_customer", "breakeven_effect", "spend_sd", "holdout_customers", "reached_needed",
                 "holdout_weeks", "holdout"]
    r = results[results["outcome"] == outcome]
    r = r[[c for c in keep if c in r.columns]].rename(columns={"twfe_estimate": "did_unweighted"})
    for col in ("start", "end"):
        if col in r:
            r[col] = pd.to_datetime(r[col]).dt.strftime("%Y-%m-%d")
    return shown(r.round(3))


def cell_effects(results: pd.DataFrame, designs: dict[str, Design], *,
                 by: str = "pre_tier_rank", outcome: str = "spend", min_cell: int = 50) -> pd.DataFrame:
    """Shrunk effect per strategy x group of ``by`` for every strategy that passed the gate.

    Groups below ``min_cell`` take the strategy's overall effect (``source`` says which).
    """
    rows = []
    ok = results[(results["outcome"] == outcome) & (results["gate"] == "passed")]
    for r in ok.itertuples():
        people, panel = _parts(designs[r.strategy_id])
        het = heterogeneity(people, panel, by=by, outcome=outcome, min_cell=min_cell)
        for h in het.itertuples():
            own = not np.isnan(h.shrunk) if hasattr(h, "shrunk") else False
            rows.append({s.STRATEGY_ID: r.strategy_id, "type": r.type, by: getattr(h, by),
                         "effect": h.shrunk if own else r.estimate,
                         "effect_se": h.shrunk_se if own else r.se,
                         "source": _SHRUNK if own else _AVERAGE,
                         "weeks": run_weeks(r.start, r.end)})
    cols = [s.STRATEGY_ID, "type", by, "effect", "effect_se", "source", "weeks"]
    return pd.DataFrame(rows, columns=cols)


def compare(results: pd.DataFrame, *, outcome: str = "spend") -> pd.DataFrame:
    """Long frame for a forest chart: strategy x estimator (naive, unweighted DiD, default)."""
    r = results[(results["outcome"] == outcome) & results["naive"].notna()]
    parts = [
        r.assign(estimator=_("naive exposed - not (selection)"), estimate=r["naive"],
                 ci_low=r["naive_ci_low"], ci_high=r["naive_ci_high"]),
        r.assign(estimator=_("DiD, everyone, unweighted"), estimate=r["twfe_estimate"],
                 ci_low=r["twfe_ci_low"], ci_high=r["twfe_ci_high"]),
        r.assign(estimator=_("DiD, eligible, ATT-weighted (default)")),
    ]
    cols = [s.STRATEGY_ID, "type", "estimator", "estimate", "ci_low", "ci_high"]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    return out.assign(label=out[s.STRATEGY_ID].astype(str) + " (" + out["type"].astype(str) + ")")


def response_table(designs: dict[str, Design], *, responses: pd.DataFrame | None,
                   customers: pd.DataFrame | None, attributes: list[str],
                   preferences: pd.DataFrame | None = None, preference_features: list[str] = ()
                   ) -> pd.DataFrame:
    """Reached customers of each strategy (the designs of :func:`estimate_all`) with
    ``responded`` and traits.

    ``attributes`` are columns of ``customers`` to add; customers without them are dropped
    (the row count says how many remain). ``preference_features`` come from step 2's feature
    table ``preferences`` when it is given.
    """
    rows = []
    for sid, d in designs.items():
        people = _parts(d)[0]
        who = people[people["treated"]].assign(strategy_id=sid)
        got = set() if responses is None else set(
            responses.loc[responses[s.STRATEGY_ID] == sid, s.CUSTOMER_ID])
        rows.append(who.assign(responded=compute.isin(who[s.CUSTOMER_ID], got)))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if attributes:
        if customers is None or any(a not in customers for a in attributes):
            raise ValueError(f"customer attributes {attributes} are not all in the customers table")
        out = out.merge(customers[[s.CUSTOMER_ID, *attributes]], on=s.CUSTOMER_ID, how="inner")
    if preferences is not None and preference_features and len(out):
        # a share that varies by less than one percentage point carries no information and
        # makes the logit (quasi-)separate; such features are left out and named as dropped
        cols = [f for f in preference_features
                if f in preferences and preferences[f].notna().any() and preferences[f].std() > 0.01]
        out = out.merge(preferences[[s.CUSTOMER_ID, *cols]], on=s.CUSTOMER_ID, how="left")
    return out


@compute.single_threaded
def response_drivers(people: pd.DataFrame, *, formula_terms: list[str], n_folds: int = 5,
                     random_state: int = 0) -> tuple[pd.DataFrame, dict[str, object]]:
    """Who responds among the reached: a logit with customer-clustered errors.

    ``people`` has one row per reached customer and strategy with ``responded`` and the
    terms. Terms whose column is missing are left out; model columns that are constant (for
    example nobody has past responses) or collinear with earlier ones are dropped
    (:func:`usable_terms`); all are named in ``dropped_terms``. Returns a tidy frame (term,
    estimate, ci_low, ci_high, p_value, ame, ame_low, ame_high) and {"auc_cv", "auc_sd", "n",
    "responders", "dropped_terms", "converged"}. This says who responds, not who is changed
    by the strategy.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    cols = ["term", "estimate", "ci_low", "ci_high", "p_value", "ame", "ame_low", "ame_high"]
    info: dict[str, object] = {"auc_cv": np.nan, "auc_sd": np.nan, "n": int(len(people)),
                               "responders": int(people["responded"].sum()) if len(people) else 0,
                               "dropped_terms": [], "converged": True}
    if people.empty or people["responded"].nunique() < 2:
        return pd.DataFrame(columns=cols), info
    columns = {f: _term_column(f, people.columns) for f in formula_terms}
    present = [f for f in formula_terms if columns[f] in people.columns]
    dropped = [_ABSENT.format(term=f) for f in formula_terms if f not in present]
    d = people.assign(responded=people["responded"].astype(float)).dropna(
        subset=[columns[f] for f in present]).reset_index(drop=True)
    # every column as Q('name'): a name from the data (an attribute such as `age-band`) is
    # never read as formula syntax; the design's columns get the plain names back
    formula = "responded ~ " + (" + ".join(_quoted(f, columns[f]) for f in present) or "1")
    y, X = dmatrices(formula, data=d, return_type="dataframe")
    X.columns = [_unquoted(c, [columns[f] for f in present]) for c in X.columns]
    keep, gone = usable_terms(X)
    dropped += gone
    info.update(n=int(len(d)), responders=int(y.iloc[:, 0].sum()), dropped_terms=dropped)
    if len(keep) < 2 or y.iloc[:, 0].nunique() < 2:
        return pd.DataFrame(columns=cols), info
    groups = pd.factorize(d[s.CUSTOMER_ID])[0]
    with warnings.catch_warnings(record=True) as caught:  # reported below, not printed
        warnings.simplefilter("always")
        fit = sm.Logit(y.iloc[:, 0], X[keep]).fit(disp=0, maxiter=200, cov_type="cluster",
                                                  cov_kwds={"groups": groups})
        me = fit.get_margeff(at="overall").summary_frame()
    converged = bool(fit.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    ci = fit.conf_int()
    tidy = pd.DataFrame({"term": fit.params.index, "estimate": fit.params.to_numpy(),
                         "ci_low": ci[0].to_numpy(), "ci_high": ci[1].to_numpy(),
                         "p_value": fit.pvalues.to_numpy()})
    me = me.rename(columns={"dy/dx": "ame", "Conf. Int. Low": "ame_low", "Cont. Int. Hi.": "ame_high"})
    tidy = tidy.merge(me[["ame", "ame_low", "ame_high"]], left_on="term", right_index=True, how="left")
    info["converged"] = converged
    folds = min(n_folds, int(y.iloc[:, 0].value_counts().min()))
    if folds >= 2:
        cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
        Xs = X[[c for c in keep if c != "Intercept"]].to_numpy()
        auc = cross_val_score(LogisticRegression(max_iter=1000), Xs, y.iloc[:, 0].to_numpy(), cv=cv,
                              scoring="roc_auc")
        info.update(auc_cv=float(auc.mean()), auc_sd=float(auc.std()))
    return tidy, info


# -- private helpers ------------------------------------------------------------------------

def bands_from(table: pd.DataFrame) -> tuple[tuple[float, ...], float]:
    """(spend cut points, their period's length in days) from step 3's ``03_spend_bands``."""
    days = table["period_days"].dropna() if "period_days" in table.columns else pd.Series(dtype=float)
    return tuple(float(v) for v in table["spend"]), float(days.iloc[0]) if len(days) else BAND_DAYS


# windows of weeks relative to the start's week (first, last; inclusive) that the covariates sum
_COVARIATE_WINDOWS = {"s13": (-13, -1), "s26": (-26, -14), "last52": (-52, -1)}


def _window_sums(weekly: ibis.Table, *, w0: pd.Timestamp, windows: dict[str, tuple[int, int]]
                 ) -> dict[str, pd.DataFrame]:
    """Per named window of weeks relative to ``w0``: each customer's sums (engine-side)."""
    names = list(windows)
    frame = pd.DataFrame({"window": np.arange(len(names), dtype="int64"),
                          "start": [w0 + pd.Timedelta(weeks=a) for a, _ in windows.values()],
                          "end": [w0 + pd.Timedelta(weeks=b) for _, b in windows.values()]})
    got = features.week_windows(weekly, windows=frame)
    return {name: got[got["window"] == i].drop(columns="window").set_index(s.CUSTOMER_ID)
            for i, name in enumerate(names)}


def _covariates(weekly: pd.DataFrame | ibis.Table, ids: pd.Series, *, w0: pd.Timestamp,
                responses: pd.DataFrame | None, bands: tuple[float, ...],
                band_days: float = BAND_DAYS) -> pd.DataFrame:
    sums = _window_sums(features.as_weekly(weekly), w0=w0, windows=_COVARIATE_WINDOWS)
    return _covariates_from(sums, ids, w0=w0, responses=responses, bands=bands, band_days=band_days)


def _covariates_from(sums: dict[str, pd.DataFrame], ids: pd.Series, *, w0: pd.Timestamp,
                     responses: pd.DataFrame | None, bands: tuple[float, ...],
                     band_days: float = BAND_DAYS) -> pd.DataFrame:
    out = pd.DataFrame({s.CUSTOMER_ID: ids.to_numpy()}).set_index(s.CUSTOMER_ID)
    out["spend_13w"] = sums["s13"]["spend"]
    out["orders_13w"] = sums["s13"]["orders"]
    out["spend_26w"] = sums["s26"]["spend"]
    out["weeks_since_order"] = sums["last52"]["last_order_week"]  # none in 52 weeks: 52 below
    out = out.fillna({"spend_13w": 0.0, "orders_13w": 0, "spend_26w": 0.0})
    out["weeks_since_order"] = ((w0 - out["weeks_since_order"]).dt.days // 7).fillna(52).clip(upper=52)
    out["log_spend_13w"] = np.log1p(out["spend_13w"].clip(lower=0))
    out["log_spend_26w"] = np.log1p(out["spend_26w"].clip(lower=0))
    past = 0
    if responses is not None and len(responses):
        past = responses[responses[s.TS] < w0].groupby(s.CUSTOMER_ID).size()
    out["past_responses"] = out.index.map(past).fillna(0) if not isinstance(past, int) else 0
    # the bands are spend per step-3 period (``band_days`` long): the 13 weeks' spend is put on
    # that scale, so a customer's tier here is the tier step 3 (and step 6's sizes) would give
    per_period = out["spend_13w"] * (band_days / (13 * 7))
    rank = np.where(out["orders_13w"] > 0, np.searchsorted(np.asarray(bands), per_period, side="right") + 1, 0)
    out["pre_tier_rank"] = rank  # 0 = no order in the 13 weeks before, 1..n = spend band
    out["pre_tier_index"] = np.maximum(rank - 1, 0)  # lowest band and no order share 0
    return out.reset_index()


def _periods_from(sums: dict[str, pd.DataFrame], ids: pd.Series, *, n_pre: int, n_post: int,
                  n_holdout: int, start: pd.Timestamp) -> Periods:
    """Per-customer means of the windows' sums (weeks without an order count as 0)."""
    means = pd.DataFrame(index=pd.Index(ids.to_numpy(), name=s.CUSTOMER_ID))
    for outcome in ("spend", "orders"):
        for period, n in (("pre", n_pre), ("post", n_post)):
            got = sums[period][outcome].reindex(means.index, fill_value=0)
            means[f"{period}_{outcome}"] = got.to_numpy(dtype=float) / n
    means["holdout_spend"] = (sums["holdout"]["spend"].reindex(means.index, fill_value=0).to_numpy(dtype=float)
                              / n_holdout if n_holdout else np.nan)
    return Periods(means=means, n_pre=int(n_pre), n_post=int(n_post), start=pd.Timestamp(start))


def _two_period(panel: pd.DataFrame | Periods) -> Periods:
    """A dense customer x week panel (``week``, ``post``, outcomes) reduced to its :class:`Periods`."""
    if isinstance(panel, Periods):
        return panel
    post = panel["post"].astype(bool)
    outcomes = [c for c in ("spend", "orders") if c in panel.columns]
    means = pd.DataFrame(index=pd.Index(pd.unique(panel[s.CUSTOMER_ID]), name=s.CUSTOMER_ID))
    for name, part in (("pre", panel[~post]), ("post", panel[post])):
        g = part.groupby(s.CUSTOMER_ID)[outcomes].mean()
        for outcome in outcomes:
            means[f"{name}_{outcome}"] = g[outcome].reindex(means.index)
    n_pre, n_post = int(panel.loc[~post, "week"].nunique()), int(panel.loc[post, "week"].nunique())
    means["holdout_spend"] = np.nan
    if "rel_week" in panel.columns and "spend" in outcomes:
        last = panel[~post & (panel["rel_week"] >= -min(n_post, n_pre))]
        means["holdout_spend"] = last.groupby(s.CUSTOMER_ID)["spend"].mean().reindex(means.index)
    return Periods(means=means, n_pre=n_pre, n_post=n_post, start=pd.Timestamp(panel.loc[post, "week"].min()))


def _did_parts(per: Periods, keep: pd.DataFrame, w: pd.Series, *, outcome: str) -> dict[str, object]:
    """One design's terms of the two-way within regression of ``outcome`` on treated x post.

    With x~ = (T_i - pi)(P_t - p) the within-transformed regressor (pi the weighted treated
    share, p = n_post / n), sum_t (P_t - p) y~_it = c (D_i - mean_w D) with D_i the customer's
    post minus pre mean and c = n_pre n_post / n: the coefficient and every customer's score
    follow from D_i alone.
    """
    m = per.means.reindex(keep[s.CUSTOMER_ID].to_numpy())
    delta = (m[f"post_{outcome}"] - m[f"pre_{outcome}"]).to_numpy(dtype=float)
    ok = ~np.isnan(delta)  # a customer without rows in a dense panel is not in the regression
    wv, t, delta = w.to_numpy(dtype=float)[ok], keep["treated"].to_numpy(dtype=bool)[ok], delta[ok]
    total = wv.sum()
    a = t - (wv * t).sum() / total if total > 0 else t.astype(float)
    d = delta - ((wv * delta).sum() / total if total > 0 else 0.0)
    return {"ids": keep[s.CUSTOMER_ID].to_numpy()[ok], "w": wv, "a": a, "d": d,
            "c": per.n_pre * per.n_post / (per.n_pre + per.n_post)}


def _fit_parts(parts: list[dict[str, object]]) -> tuple[float, float]:
    """Coefficient and customer-clustered standard error of the stacked within regression
    (statsmodels' WLS with ``cov_type="cluster"``: factor G/(G-1), and (N-1)/(N-K) = 1)."""
    num = sum(p["c"] * float((p["w"] * p["a"] * p["d"]).sum()) for p in parts)
    bread = sum(p["c"] * float((p["w"] * p["a"] ** 2).sum()) for p in parts)
    if not bread > 0:  # no treated or no comparison customer: nothing identifies the effect
        return 0.0, 0.0
    beta = num / bread
    score = np.concatenate([p["w"] * p["a"] * p["c"] * (p["d"] - beta * p["a"]) for p in parts])
    codes, groups = pd.factorize(np.concatenate([p["ids"] for p in parts]))
    per_customer = np.bincount(codes, weights=score, minlength=len(groups))
    n = len(groups)
    var = float((per_customer ** 2).sum()) / bread ** 2 * (n / (n - 1)) if n > 1 else np.nan
    return float(beta), float(np.sqrt(var))


def _parts(d: Design | tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame | Periods]:
    """(customers, two-period or dense panel) of a design, without building a dense panel."""
    return (d.people, d.periods) if isinstance(d, Design) else (d[0], d[1])


def _dense(weekly: pd.DataFrame, ids: pd.Series, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([ids.to_numpy(), weeks.astype("datetime64[us]")],
                                      names=[s.CUSTOMER_ID, "week"])
    w = weekly[weekly["week"].isin(weeks) & compute.isin(weekly[s.CUSTOMER_ID], ids)]
    return (w.set_index([s.CUSTOMER_ID, "week"])[["orders", "spend"]]
            .reindex(grid, fill_value=0).reset_index())


def _within(d: pd.DataFrame, col: str) -> pd.Series:
    """Two-way demeaning on a balanced panel with customer-constant weights ``w``."""
    x = d[col].astype(float)
    unit = x.groupby(d[s.CUSTOMER_ID]).transform("mean")
    wx = x * d["w"]
    week = wx.groupby(d["week"]).transform("sum") / d["w"].groupby(d["week"]).transform("sum")
    grand = (wx.sum() / d["w"].sum())
    return x - unit - week + grand


def _refused(reason: str) -> dict[str, object]:
    return {"estimate": np.nan, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan, "gate": reason}


def _term_column(term: str, columns: pd.Index | tuple[str, ...] = ()) -> str:
    """The data column behind a formula term: ``C(age_band, ...)`` -> ``age_band``; a name with
    brackets or commas is found when ``columns`` holds it (``C(<name>)``)."""
    if term.startswith("C(") and term.endswith(")") and term[2:-1] in columns:
        return term[2:-1]
    return term[2:].split(")")[0].split(",")[0].strip() if term.startswith("C(") else term


def _quoted(term: str, column: str) -> str:
    """``term`` with ``column`` written as patsy's ``Q('column')``."""
    if term == column:
        return f"Q({column!r})"
    if term.startswith(f"C({column}"):
        return f"C(Q({column!r})" + term[2 + len(column):]
    return term


def _unquoted(name: str, columns: list[str]) -> str:
    """A fitted parameter's name with ``Q('column')`` back to the plain column name."""
    for column in columns:
        name = name.replace(f"Q({column!r})", column)
    return name


def _dersimonian_laird(est: np.ndarray, se: np.ndarray) -> float:
    if len(est) < 2:
        return 0.0
    w = 1 / se ** 2
    mean = np.sum(w * est) / np.sum(w)
    q = np.sum(w * (est - mean) ** 2)
    return float(max(0.0, (q - (len(est) - 1)) / (np.sum(w) - np.sum(w ** 2) / np.sum(w))))


def _apart(value: float, bound: float, *, decimals: int = 0) -> tuple[str, str]:
    """``value`` and ``bound`` with the fewest decimals that print them differently (49.74
    against 50 reads "49.7 < 50.0", never "50 < 50")."""
    for d in range(decimals, 7):
        a, b = f"{value:.{d}f}", f"{bound:.{d}f}"
        if a != b:
            return a, b
    return a, b
PERSISTENCE_COLUMNS = (s.STRATEGY_ID, "run_estimate", "post_weeks", "post_estimate", "post_se", "post_ci_low",
                       "post_ci_high", "persists", "persistence")


def persistence(weekly: pd.DataFrame | ibis.Table, results: pd.DataFrame, designs: dict[str, Design], *,
                as_of: pd.Timestamp, post_weeks: int = 8, outcome: str = "spend", gate: Gate = Gate()
                ) -> pd.DataFrame:
    """Does the effect last after the run? For every strategy whose ``outcome`` estimate passed
    the gate: the same weighted DiD (same customers, weights and pre-window) with the post
    window moved to the up to ``post_weeks`` weeks after the run's last week (the event study's
    post-run weeks, pooled), cut at the week of ``as_of``.

    ``persists`` is True when the run's estimate is positive and the post-run interval lies
    above 0; ``persistence`` says so, or why not, in words. Columns :data:`PERSISTENCE_COLUMNS`.
    """
    if post_weeks < 1:
        raise ValueError(f"`post_run_weeks` must be at least 1, not {post_weeks}")
    ok = results[(results["outcome"] == outcome) & (results["gate"] == "passed")] if len(results) else results
    rows = []
    weekly = features.as_weekly(weekly)
    last_week = week_start(pd.Timestamp(as_of))
    if pd.Timestamp(as_of).normalize() < last_week + pd.Timedelta(days=6):
        last_week -= pd.Timedelta(weeks=1)  # the week of as_of is not complete
    for _i, r in ok.iterrows():
        sid = r[s.STRATEGY_ID]
        d = designs[sid]
        n_run = int(r["weeks"])
        w0 = d.periods.start
        k = min(int(post_weeks), int((last_week - w0).days // 7) - n_run + 1)
        base = {s.STRATEGY_ID: sid, "run_estimate": float(r["estimate"]), "post_weeks": max(k, 0)}
        if k < 1:
            rows.append(base | {"persists": False, "persistence": _TOO_LATE})
            continue
        sums = _window_sums(weekly, w0=w0, windows={"pre": (-d.periods.n_pre, -1), "post": (n_run, n_run + k - 1),
                                                    "holdout": (-1, -1)})
        periods = _periods_from(sums, d.people[s.CUSTOMER_ID], n_pre=d.periods.n_pre, n_post=k, n_holdout=1, start=w0)
        e = estimate(d.people, periods, outcome=outcome, gate=gate)
        row = base | {"post_estimate": e["estimate"], "post_se": e["se"], "post_ci_low": e["ci_low"],
                      "post_ci_high": e["ci_high"]}
        if e["gate"] != "passed":
            rows.append(row | {"persists": False, "persistence": _NOT_MEASURABLE.format(gate=e["gate"])})
            continue
        lasts = bool(r["estimate"] > 0 and e["ci_low"] > 0)
        rows.append(row | {"persists": lasts, "persistence": (
            _PERSISTS.format(weeks=k) if lasts else
            _UNCLEAR_AFTER.format(weeks=k) if e["ci_low"] <= 0 <= e["ci_high"] else
            _BELOW_AFTER.format(weeks=k) if e["ci_high"] < 0 else _NOT_POSITIVE)})
    out = pd.DataFrame(rows).reindex(columns=list(PERSISTENCE_COLUMNS))
    return out.astype({"persists": bool, "post_weeks": "int64"}) if len(out) else out.astype({"persists": bool})
