"""Forward value per customer: BG/NBD for repeat purchases, Gamma-Gamma for their value.

A compact maximum-likelihood fit with scipy (Fader, Hardie and Lee 2005 for BG/NBD; Fader,
Hardie and Lee 2005 "RFM and CLV" for Gamma-Gamma), the same likelihoods as lifetimes and
pymc-marketing's MAP fit without priors; tests check the CDNOW estimates they publish.

Definitions (stated in the report by :mod:`userops.narrative.clv`):

- a *purchase* is a customer's shopping day whose orders net to a positive value
  (:func:`userops.features.purchase_days`); a day that nets to zero or less (a return, a refunded
  or zero-value order) is not a purchase, and its value is not counted;
- *frequency* is the number of purchases after the first one (repeat purchases), *recency* the
  time from the first to the last purchase and *T* the time from the first purchase to the end
  of the period, all in weeks;
- *monetary* is the mean net value of the repeat purchases (the first purchase is left out, as
  the Gamma-Gamma model asks).

The model is validated before it is used: :func:`forward` fits it on a calibration period,
predicts the repeat purchases of the ``holdout_weeks`` after it and compares them with what
happened, per decile of prediction and in total. When the total misses by more than the
tolerance, or the model cannot be fitted, the result says why and tiers do not use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

from userops import i18n, schema as s
from userops.i18n import N_, _

__all__ = ["BGNBD", "GAMMA_GAMMA", "Fit", "Forward", "summarise", "holdout_purchases", "fit_bgnbd",
           "fit_gamma_gamma", "expected_purchases", "p_alive", "expected_spend", "simulate",
           "horizon_days", "forward", "attach", "stage_vs_alive", "TIER_COLUMNS", "MIN_REPEATERS",
           "horizon_from", "forward_roi", "shown", "status_name"]

BGNBD = ("r", "alpha", "a", "b")
GAMMA_GAMMA = ("p", "q", "v")
MIN_REPEATERS = 10  # fewest customers with a repeat purchase for either model
WEEK = 7.0


@dataclass(frozen=True)
class Fit:
    """One maximum-likelihood fit: estimates, Hessian standard errors and how it went."""

    model: str
    params: dict[str, float]
    se: dict[str, float]
    n: int
    loglik: float
    converged: bool
    message: str = ""

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"model": self.model, "param": list(self.params),
                             "estimate": list(self.params.values()),
                             "se": [self.se.get(k, np.nan) for k in self.params]})


@dataclass(frozen=True)
class Forward:
    """The forward-value model of one run: its checks, fits and per-customer predictions.

    ``status`` is ``used`` (passed its holdout check; tiers carry its predictions),
    ``failed holdout`` or ``not fitted``; ``reason`` says why in a sentence.
    """

    status: str
    reason: str
    horizon_days: int
    holdout_days: int
    tolerance: float
    calibration_end: pd.Timestamp | None = None
    holdout: pd.DataFrame = field(default_factory=pd.DataFrame)  # per decile of prediction
    total: dict[str, float] = field(default_factory=dict)  # predicted, actual, error
    calibration_fit: Fit | None = None
    bgnbd: Fit | None = None
    gamma_gamma: Fit | None = None
    gg_reason: str = ""
    spend_frequency_corr: float = float("nan")
    customers: pd.DataFrame = field(default_factory=pd.DataFrame)  # per customer predictions
    horizon_capped: bool = False  # the horizon is the data's length, shorter than asked

    @property
    def used(self) -> bool:
        return self.status == "used"

    def table(self) -> pd.DataFrame:
        """Parameters with standard errors, the holdout totals and the settings, one per row
        (the artifact ``01_clv_fit``)."""
        parts = [f.frame().assign(kind="parameter") for f in (self.calibration_fit, self.bgnbd, self.gamma_gamma)
                 if f is not None]
        if self.calibration_fit is not None:
            parts[0] = parts[0].assign(model="BG/NBD (calibration)")
        checks = {"holdout predicted": self.total.get("predicted", np.nan),
                  "holdout actual": self.total.get("actual", np.nan),
                  "holdout error": self.total.get("error", np.nan),
                  "holdout tolerance": self.tolerance, "holdout days": float(self.holdout_days),
                  "horizon days": float(self.horizon_days), "used": float(self.used)}
        parts.append(pd.DataFrame({"model": "check", "param": list(checks), "estimate": list(checks.values()),
                                   "se": np.nan, "kind": "check"}))
        out = pd.concat(parts, ignore_index=True)
        return out.assign(status=self.status)[["kind", "model", "param", "estimate", "se", "status"]]


# -- summaries -------------------------------------------------------------------------------

def summarise(days: pd.DataFrame, *, end: pd.Timestamp) -> pd.DataFrame:
    """Per customer with a purchase on or before ``end``: ``frequency`` (repeat purchases),
    ``recency`` and ``T`` (weeks), ``monetary`` (mean value of the repeat purchases, 0 when
    none) and ``first_day``. ``days`` is :func:`userops.features.purchase_days`'s frame."""
    end = pd.Timestamp(end).normalize()
    d = days[pd.to_datetime(days["day"]) <= end]
    if d.empty:
        return pd.DataFrame({s.CUSTOMER_ID: pd.Series(dtype=object), "frequency": pd.Series(dtype="int64"),
                             "recency": pd.Series(dtype=float), "T": pd.Series(dtype=float),
                             "monetary": pd.Series(dtype=float), "first_day": pd.Series(dtype="datetime64[us]")})
    d = d.sort_values([s.CUSTOMER_ID, "day"])
    g = d.groupby(s.CUSTOMER_ID, sort=True)
    first, last, n, total = g["day"].min(), g["day"].max(), g["day"].size(), g["cents"].sum()
    first_cents = g["cents"].first()
    x = (n - 1).astype("int64")
    repeat_cents = (total - first_cents).astype(float)
    out = pd.DataFrame({
        s.CUSTOMER_ID: first.index.astype(str), "frequency": x.to_numpy(),
        "recency": ((last - first).dt.days / WEEK).to_numpy(),
        "T": ((end - first).dt.days / WEEK).to_numpy(),
        "monetary": np.where(x > 0, repeat_cents / 100.0 / np.maximum(x, 1), 0.0),
        "first_day": pd.to_datetime(first).astype("datetime64[us]").to_numpy()})
    return out.reset_index(drop=True)


def holdout_purchases(days: pd.DataFrame, *, after: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Purchases per customer in the days after ``after`` up to ``end`` (inclusive)."""
    day = pd.to_datetime(days["day"])
    d = days[(day > pd.Timestamp(after)) & (day <= pd.Timestamp(end))]
    return d.groupby(s.CUSTOMER_ID)["day"].size().astype("int64")


# -- BG/NBD ----------------------------------------------------------------------------------

def _bgnbd_ll(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a3 = np.where(x > 0, special.betaln(a + 1, b + np.maximum(x, 1) - 1) - special.betaln(a, b)
                      - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + np.logaddexp(a2, a3)


def fit_bgnbd(frequency, recency, T) -> Fit:
    """Maximum-likelihood BG/NBD on per-customer (frequency, recency, T)."""
    x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    data, w = _unique_rows(x, t_x, TT)
    alpha = max(float(np.mean(TT)) if len(TT) else 1.0, 1.0) / 4
    starts = [[0.5, alpha, a, b] for a, b in ((1.0, 2.0), (0.1, 1.0), (0.05, 20.0), (1.0, 100.0))]
    return _fit("BG/NBD", BGNBD, lambda p: -(w * _bgnbd_ll(p, *data)).sum(), n=len(x), start=np.array(starts))


def expected_purchases(params: dict[str, float], frequency, recency, T, t: float) -> np.ndarray:
    """Expected repeat purchases in the ``t`` weeks after ``T``, given each history."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    z = t / (alpha + TT + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + TT) / (alpha + TT + t)) ** (r + x) * hyp)
    return head * p_alive(params, x, t_x, TT)


def p_alive(params: dict[str, float], frequency, recency, T) -> np.ndarray:
    """Probability that each customer is still active at ``T`` (1 without a repeat purchase: in
    BG/NBD a customer can only drop out right after a purchase)."""
    r, alpha, a, b = (params[k] for k in BGNBD)
    x, t_x, TT = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        odds = np.where(x > 0, a / (b + x - 1) * np.exp((r + x) * (np.log(alpha + TT) - np.log(alpha + t_x))), 0.0)
    return 1.0 / (1.0 + odds)


def simulate(params: dict[str, float], *, T: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """Draw customers from BG/NBD with known ``params`` (one per entry of ``T``, in weeks):
    ``frequency``, ``recency``, ``T``, plus ``lam`` and ``p`` (each one's own rate and drop-out
    chance). The planted generator of the tests and the benchmark."""
    rng = np.random.default_rng(seed)
    T = np.asarray(T, dtype=float)
    n = len(T)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], size=n)
    p = rng.beta(params["a"], params["b"], size=n)
    x = np.zeros(n, dtype="int64")
    t_x = np.zeros(n)
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        now[idx] += rng.exponential(1.0 / lam[idx])
        inside = now[idx] <= T[idx]
        hit = idx[inside]
        x[hit] += 1
        t_x[hit] = now[hit]
        alive[idx[~inside]] = False
        alive[hit] = rng.random(len(hit)) >= p[hit]  # drops out right after this purchase with chance p
    return pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "lam": lam, "p": p})


# -- Gamma-Gamma -----------------------------------------------------------------------------

def _gg_ll(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, v = params
    return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
            + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


def fit_gamma_gamma(frequency, monetary) -> Fit:
    """Maximum-likelihood Gamma-Gamma on the customers with a repeat purchase of positive value."""
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    keep = (x > 0) & (m > 0)
    x, m = x[keep], m[keep]
    data, w = _unique_rows(x, m)
    return _fit("Gamma-Gamma", GAMMA_GAMMA, lambda p: -(w * _gg_ll(p, *data)).sum(), n=len(x),
                start=np.array([1.0, 2.0, max(float(np.mean(m)) if len(m) else 1.0, 1e-3)]))


def expected_spend(params: dict[str, float], frequency, monetary) -> np.ndarray:
    """Expected value of a customer's future purchase: the population mean shrunk toward the
    customer's own mean by the number of repeat purchases seen."""
    p, q, v = (params[k] for k in GAMMA_GAMMA)
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    pop = v * p / (q - 1)
    weight = p * x / (p * x + q - 1)
    return (1 - weight) * pop + weight * np.where(x > 0, m, 0.0)


# -- the validated forward model ---------------------------------------------------------------

def horizon_days(*, as_of: pd.Timestamp, first_day: pd.Timestamp, months: int) -> int:
    """Days in ``months`` calendar months after ``as_of``, or the data's own length (first
    purchase to ``as_of``) when that is shorter."""
    as_of = pd.Timestamp(as_of).normalize()
    ahead = (as_of + pd.DateOffset(months=int(months)) - as_of).days
    return int(max(0, min(ahead, (as_of - pd.Timestamp(first_day).normalize()).days + 1)))


def forward(days: pd.DataFrame, *, as_of: str | pd.Timestamp, horizon_months: int = 12, holdout_weeks: int = 13,
            tolerance: float = 0.15, n_deciles: int = 10) -> Forward:
    """Fit, validate and predict: the forward-value model of one run (see the module text).

    1. Calibration ends ``holdout_weeks`` before ``as_of``; BG/NBD is fitted on it and its
       predicted repeat purchases in the holdout weeks are compared with the actual ones per
       decile of prediction and in total (``error`` = predicted / actual - 1).
    2. BG/NBD and Gamma-Gamma are fitted again on all purchases up to ``as_of`` and predict,
       per customer, expected purchases, P(alive) and expected value over the horizon
       (:func:`horizon_days`).

    Never raises on data it cannot model: the result's ``status`` and ``reason`` say why.
    """
    as_of = pd.Timestamp(as_of).normalize()
    if holdout_weeks < 1:
        raise ValueError(f"`holdout_weeks` must be at least 1, not {holdout_weeks}")
    if not 0 < tolerance:
        raise ValueError(f"`holdout_tolerance` must be positive, not {tolerance}")
    if horizon_months < 1:
        raise ValueError(f"`horizon_months` must be at least 1, not {horizon_months}")
    hold_days = int(holdout_weeks) * 7
    base = {"holdout_days": hold_days, "tolerance": float(tolerance)}
    if days.empty:
        return Forward("not fitted", _("No customer has a purchase of positive value, so there is nothing to model."),
                       horizon_days=0, horizon_capped=True, **base)
    first = pd.to_datetime(days["day"]).min()
    horizon = horizon_days(as_of=as_of, first_day=first, months=horizon_months)
    base["horizon_days"] = horizon
    base["horizon_capped"] = horizon < (as_of + pd.DateOffset(months=int(horizon_months)) - as_of).days
    cal_end = as_of - pd.Timedelta(days=hold_days)
    span = (as_of - first).days + 1
    if span < 2 * hold_days:
        return Forward("not fitted", (
            _("The data covers {span} days, fewer than twice the {holdout}-day holdout: the model could not be "
              "checked on weeks it did not see, so tiers do not use it (a holdout of at most {weeks} weeks would "
              "fit this data).") if span >= 14 else
            _("The data covers {span} days, fewer than twice the {holdout}-day holdout: the model could not be "
              "checked on weeks it did not see, so tiers do not use it.")).format(
                span=span, holdout=hold_days, weeks=span // 14),
                       calibration_end=cal_end, **base)
    cal = summarise(days, end=cal_end)
    repeaters = int((cal["frequency"] > 0).sum())
    if repeaters < MIN_REPEATERS:
        return Forward("not fitted", _("Only {n} customer(s) made a repeat purchase in the calibration period (at "
                                       "least {least} are needed), so the model was not fitted and tiers do not use "
                                       "it.").format(n=repeaters, least=MIN_REPEATERS),
                       calibration_end=cal_end, **base)
    cal_fit = fit_bgnbd(cal["frequency"], cal["recency"], cal["T"])
    if not cal_fit.converged:
        return Forward("not fitted", _("The calibration fit did not converge ({why}); tiers do not use the "
                                       "model.").format(why=cal_fit.message),
                       calibration_end=cal_end, calibration_fit=cal_fit, **base)
    with np.errstate(all="ignore"):
        pred = expected_purchases(cal_fit.params, cal["frequency"], cal["recency"], cal["T"], hold_days / WEEK)
    actual = holdout_purchases(days, after=cal_end, end=as_of).reindex(cal[s.CUSTOMER_ID]).fillna(0).to_numpy()
    table, total = _holdout_table(cal[s.CUSTOMER_ID], pred, actual, n_deciles=n_deciles)
    parts = dict(calibration_end=cal_end, holdout=table, total=total, calibration_fit=cal_fit)
    if not np.isfinite(pred).all():
        return Forward("not fitted", _("{n} prediction(s) of the calibration fit are not finite; tiers do not use "
                                       "the model.").format(n=int((~np.isfinite(pred)).sum())), **parts, **base)
    if total["actual"] <= 0:
        return Forward("failed holdout", _("No customer of the calibration period bought again in the holdout "
                                           "weeks, so the predictions cannot be checked; tiers do not use the "
                                           "model."), **parts, **base)
    miss = abs(total["error"]) > tolerance
    full = summarise(days, end=as_of)
    fit = fit_bgnbd(full["frequency"], full["recency"], full["T"])
    if not fit.converged:
        return Forward("not fitted", _("The fit on all purchases did not converge ({why}); tiers do not use the "
                                       "model.").format(why=fit.message),
                       bgnbd=fit, **parts, **base)
    with np.errstate(all="ignore"):
        orders = expected_purchases(fit.params, full["frequency"], full["recency"], full["T"], horizon / WEEK)
        alive = p_alive(fit.params, full["frequency"], full["recency"], full["T"])
    if not (np.isfinite(orders).all() and np.isfinite(alive).all()):
        return Forward("not fitted", _("{n} prediction(s) of the fit on all purchases are not finite; tiers do not "
                                       "use the model.").format(n=int((~np.isfinite(orders)).sum())),
                       bgnbd=fit, **parts, **base)
    rep = full[(full["frequency"] > 0) & (full["monetary"] > 0)]
    gg, gg_reason, corr = None, "", float("nan")
    if len(rep) >= MIN_REPEATERS:
        corr = float(np.corrcoef(rep["frequency"], rep["monetary"])[0, 1]) if rep["frequency"].nunique() > 1 else float("nan")
        gg = fit_gamma_gamma(rep["frequency"], rep["monetary"])
        if not gg.converged or gg.params["q"] <= 1:
            gg_reason = (_("The Gamma-Gamma fit did not converge ({why})").format(why=gg.message) if not gg.converged
                         else _("The Gamma-Gamma fit gives q = {q} <= 1, so the mean purchase value is not "
                                "defined").format(q=i18n.number(gg.params["q"], 2)))
    else:
        gg_reason = _("Only {n} customer(s) have a repeat purchase of positive value (at least {least} are "
                      "needed)").format(n=len(rep), least=MIN_REPEATERS)
    value_ok = gg is not None and not gg_reason
    spend = expected_spend(gg.params, full["frequency"], full["monetary"]) if value_ok else np.full(len(full), np.nan)
    customers = pd.DataFrame({s.CUSTOMER_ID: full[s.CUSTOMER_ID], "frequency_repeat": full["frequency"],
                              "expected_orders": orders, "p_alive": alive, "expected_spend_per_order": spend,
                              "expected_value": orders * spend})
    status = "failed holdout" if miss else "used"
    reason = (_("Predicted repeat purchases in the holdout weeks miss the actual ones by {error}, beyond the "
                "tolerance of ±{tolerance}: tiers do not use the model.") if miss else
              _("Predicted repeat purchases in the holdout weeks are within {error} of the actual ones (tolerance "
                "±{tolerance}): tiers use the model.")).format(error=i18n.signed_percent(total["error"], 1),
                                                               tolerance=i18n.percent(tolerance))
    return Forward(status, reason, bgnbd=fit, gamma_gamma=gg, gg_reason=gg_reason, spend_frequency_corr=corr,
                   customers=customers.reset_index(drop=True), **parts, **base)


TIER_COLUMNS = ("expected_orders", "expected_value", "p_alive")
_ACTIVE = ("new", "growing", "mature", "declining", "reactivated")  # stages that read as alive


def attach(tiered: pd.DataFrame, fw: Forward) -> pd.DataFrame:
    """``tiered`` with :data:`TIER_COLUMNS` from the forward model: missing (NaN) for every
    customer when the model is not used (it failed its holdout or could not be fitted), and
    ``expected_value`` missing when Gamma-Gamma could not be fitted."""
    out = tiered.drop(columns=[c for c in TIER_COLUMNS if c in tiered.columns])
    if not fw.used:
        return out.assign(**{c: np.nan for c in TIER_COLUMNS})
    pred = fw.customers.set_index(s.CUSTOMER_ID)
    ids = out[s.CUSTOMER_ID].astype(str)
    return out.assign(**{c: ids.map(pred[c]).astype(float).to_numpy() for c in TIER_COLUMNS})


def stage_vs_alive(tiered: pd.DataFrame, *, level: float = 0.5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lifecycle stage beside P(alive): customers per stage with P(alive) below and at or
    above ``level`` and the stage's mean P(alive); then the disagreements (a stage that reads as
    active with P(alive) below ``level``, at risk or dormant with P(alive) at or above it),
    counted per stage. Empty frames when the tiers carry no P(alive)."""
    if not 0 < level < 1:
        raise ValueError(f"`alive_level` must be between 0 and 1, not {level}")
    d = tiered.dropna(subset=["p_alive"]) if "p_alive" in tiered else tiered.iloc[0:0]
    if d.empty:
        return pd.DataFrame(), pd.DataFrame()
    stage = d["lifecycle_stage"].astype(str)
    high = d["p_alive"] >= level
    cross = pd.DataFrame({"lifecycle_stage": stage, "high": high, "p": d["p_alive"]}).groupby(
        "lifecycle_stage", sort=False).agg(customers=("p", "size"), below=("high", lambda h: int((~h).sum())),
                                           at_or_above=("high", "sum"), mean_p_alive=("p", "mean"))
    order = [c for c in (*_ACTIVE, "at_risk", "dormant") if c in cross.index] + \
        sorted(c for c in cross.index if c not in (*_ACTIVE, "at_risk", "dormant"))
    cross = cross.loc[order].rename(columns={"below": f"P(alive) < {level:g}", "at_or_above": f"P(alive) >= {level:g}"})
    active = stage.isin(_ACTIVE)
    kind = np.select([active & ~high, ~active & high], ["active stage, P(alive) low", "at risk or dormant, P(alive) high"], "")
    dis = pd.DataFrame({"lifecycle_stage": stage, "disagreement": kind})
    dis = dis[dis["disagreement"] != ""].groupby(["disagreement", "lifecycle_stage"], sort=True).size()
    return cross.reset_index().astype({f"P(alive) >= {level:g}": "int64"}), dis.rename("customers").reset_index()


# What a reader sees for the values of the model's tables (the message id is the internal value, so
# the English report reads as before; artifacts keep the internal value)
_SHOWN = {
    "kind": {"parameter": N_("parameter"), "check": N_("check")},
    "model": {"BG/NBD (calibration)": N_("BG/NBD (calibration)"), "check": N_("check")},
    "param": {"holdout predicted": N_("holdout predicted"), "holdout actual": N_("holdout actual"),
              "holdout error": N_("holdout error"), "holdout tolerance": N_("holdout tolerance"),
              "holdout days": N_("holdout days"), "horizon days": N_("horizon days"), "used": N_("used")},
    "status": {"used": N_("used"), "failed holdout": N_("failed holdout"), "not fitted": N_("not fitted")},
    "disagreement": {"active stage, P(alive) low": N_("active stage, P(alive) low"),
                     "at risk or dormant, P(alive) high": N_("at risk or dormant, P(alive) high")},
}


def status_name(status: str) -> str:
    """The model's status (``used``, ``failed holdout``, ``not fitted``) in the report's language."""
    return _(_SHOWN["status"].get(status, status))


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of one of this module's tables (:meth:`Forward.table`, :func:`stage_vs_alive`)
    for display: kinds, check names, statuses, disagreements and lifecycle stages in the report's
    language."""
    from userops import tiers

    out = tiers.shown(frame)
    for col, names in _SHOWN.items():
        if col in out.columns:
            out[col] = out[col].map(lambda v, names=names: _(names[v]) if isinstance(v, str) and v in names else v)
    return out


def horizon_from(fit_table: pd.DataFrame) -> tuple[int, bool]:
    """The horizon in days and whether the model is used, from the artifact ``01_clv_fit``."""
    checks = fit_table[fit_table["kind"] == "check"].set_index("param")["estimate"]
    return int(checks.get("horizon days", 0) or 0), bool(checks.get("used", 0) == 1)


def forward_roi(kpi: pd.DataFrame, persist: pd.DataFrame, reached: pd.DataFrame, tiered: pd.DataFrame, *,
                horizon_days: int, used: bool) -> pd.DataFrame:
    """Each strategy's ROI over the campaign window beside a forward one.

    The forward view adds, only where step 5 finds the effect lasting after the run
    (``persist``), the post-run effect per customer-week carried over the horizon for each
    reached customer still likely active: post-run effect x horizon weeks x the sum of the
    reached customers' P(alive). Elsewhere the forward columns are empty and ``forward``
    says why. Columns: ``strategy_id``, ``cost``, ``roi`` (window), ``incremental_gmv``,
    ``carried``, ``carried_low``/``_high``, ``forward_gmv``, ``forward_roi``,
    ``forward_roi_low``/``_high`` and ``forward`` (the label).
    """
    cols = [s.STRATEGY_ID, "cost", "incremental_gmv", "roi", "carried", "carried_low", "carried_high",
            "forward_gmv", "forward_roi", "forward_roi_low", "forward_roi_high", "forward"]
    if kpi.empty:
        return pd.DataFrame(columns=cols)
    p = persist.assign(**{s.STRATEGY_ID: persist[s.STRATEGY_ID].astype(str)}).set_index(s.STRATEGY_ID) \
        if len(persist) else pd.DataFrame(columns=["persists", "persistence", "post_estimate"])
    alive = tiered.assign(**{s.CUSTOMER_ID: tiered[s.CUSTOMER_ID].astype(str)}).set_index(s.CUSTOMER_ID)["p_alive"] \
        if "p_alive" in tiered else pd.Series(dtype=float)
    weeks = horizon_days / WEEK
    rows = []
    for r in kpi.itertuples(index=False):
        sid = str(getattr(r, s.STRATEGY_ID))
        row = {s.STRATEGY_ID: sid, "cost": r.cost, "incremental_gmv": r.incremental_gmv, "roi": r.roi}
        ids = reached.loc[reached[s.STRATEGY_ID].astype(str) == sid, s.CUSTOMER_ID].astype(str).unique()
        if sid not in p.index:
            rows.append(row | {"forward": f"window only: {r.effect_status}"})
            continue
        if not bool(p.loc[sid, "persists"]):
            rows.append(row | {"forward": f"window only: the effect {p.loc[sid, 'persistence']}"})
            continue
        if not used or horizon_days <= 0:
            rows.append(row | {"forward": "window only: the effect lasts, but the forward-value model is not used (step 1)"})
            continue
        mass = float(pd.Series(ids).map(alive).fillna(0).sum())
        carried = {k: float(p.loc[sid, src]) * weeks * mass for k, src in
                   (("carried", "post_estimate"), ("carried_low", "post_ci_low"), ("carried_high", "post_ci_high"))}
        fwd = {"forward_gmv": r.incremental_gmv + carried["carried"]}
        cost = r.cost if r.cost > 0 else np.nan
        fwd |= {"forward_roi": (fwd["forward_gmv"] - r.cost) / cost,
                "forward_roi_low": (r.inc_low + carried["carried_low"] - r.cost) / cost,
                "forward_roi_high": (r.inc_high + carried["carried_high"] - r.cost) / cost}
        rows.append(row | carried | fwd | {"forward": f"window + {horizon_days} days: the effect lasts after the run, "
                                                      f"carried for {mass:,.0f} expected-active reached customers"})
    return pd.DataFrame(rows).reindex(columns=cols)


# -- private helpers ---------------------------------------------------------------------------

def _unique_rows(*cols: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows and how often each occurs: the likelihood is summed once per distinct row."""
    if not len(cols[0]):
        return tuple(np.zeros(0) for _ in cols), np.zeros(0)
    rows, counts = np.unique(np.column_stack(cols), axis=0, return_counts=True)
    return tuple(rows[:, i] for i in range(rows.shape[1])), counts.astype(float)


def _fit(model: str, names: tuple[str, ...], nll, *, n: int, start: np.ndarray) -> Fit:
    """Minimise ``nll`` over positive parameters (on the log scale); standard errors from the
    inverse Hessian of the log-likelihood, carried to the natural scale (delta method)."""
    if n == 0:
        return Fit(model, dict.fromkeys(names, np.nan), dict.fromkeys(names, np.nan), 0, np.nan, False, _("no data"))

    def f(z: np.ndarray) -> float:  # the mean negative log-likelihood: its scale does not grow with n
        with np.errstate(all="ignore"):
            val = nll(np.exp(z)) / n
        return float(val) if np.isfinite(val) else 1e300

    # the likelihood can have a flat ridge and more than one local optimum (e.g. BG/NBD's a and b
    # when few customers drop out): BFGS from a few starts, the best one refined
    tries = [optimize.minimize(f, np.log(s0), method="BFGS", options={"gtol": 1e-4}) for s0 in np.atleast_2d(start)]
    best = min(tries, key=lambda r: r.fun)
    res = optimize.minimize(f, best.x, method="BFGS", options={"gtol": 1e-8})
    z = res.x if res.fun <= best.fun else best.x
    theta = np.exp(z)
    hess = _hessian(f, z, h=1e-3) * n
    ok = bool(np.all(np.isfinite(theta)) and f(z) < 1e299)
    se = np.full(len(z), np.nan)
    message = "" if ok else _("the likelihood is not finite at the optimum")
    try:
        cov = np.linalg.inv(hess)
        var = np.diag(cov)
        if np.all(np.linalg.eigvalsh((hess + hess.T) / 2) > 0) and np.all(var > 0):
            se = theta * np.sqrt(var)
        else:
            message = message or _("the Hessian is not positive definite (a parameter is not identified)")
            ok = False
    except np.linalg.LinAlgError:
        message = message or _("the Hessian is singular (a parameter is not identified)")
        ok = False
    if ok and np.any(theta > 1e6):
        name = names[int(np.argmax(theta))]
        ok, message = False, _("{name} runs off to {value}: the data do not pin it down").format(
            name=name, value=f"{theta.max():.2g}")
    return Fit(model, dict(zip(names, map(float, theta))), dict(zip(names, map(float, se))), n, -f(z) * n, ok, message)


def _hessian(f, z: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central finite-difference Hessian of ``f`` at ``z``."""
    k = len(z)
    H = np.zeros((k, k))
    e = np.eye(k) * h
    for i in range(k):
        for j in range(i, k):
            H[i, j] = H[j, i] = (f(z + e[i] + e[j]) - f(z + e[i] - e[j]) - f(z - e[i] + e[j])
                                 + f(z - e[i] - e[j])) / (4 * h * h)
    return H


def _holdout_table(ids: pd.Series, pred: np.ndarray, actual: np.ndarray, *, n_deciles: int
                   ) -> tuple[pd.DataFrame, dict[str, float]]:
    frame = pd.DataFrame({s.CUSTOMER_ID: ids.to_numpy(), "predicted": pred, "actual": actual})
    frame = frame.sort_values(["predicted", s.CUSTOMER_ID], kind="mergesort", ignore_index=True)
    bins = min(n_deciles, len(frame))
    frame["decile"] = (np.arange(len(frame)) * bins // max(len(frame), 1) + 1).astype("int64")
    table = frame.groupby("decile").agg(customers=("predicted", "size"), predicted=("predicted", "sum"),
                                        actual=("actual", "sum")).reset_index()
    table["error"] = np.where(table["actual"] > 0, table["predicted"] / table["actual"].where(table["actual"] > 0) - 1, np.nan)
    p, a = float(frame["predicted"].sum()), float(frame["actual"].sum())
    return table, {"predicted": p, "actual": a, "error": p / a - 1 if a > 0 else float("nan"),
                   "customers": float(len(frame))}
