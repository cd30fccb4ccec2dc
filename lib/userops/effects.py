"""Step 5: strategy effects that survive targeting (weighted DiD), their drivers, and who responds."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from userops import schema as s

__all__ = [
    "COVARIATES", "Gate", "design", "propensity_weights", "balance", "did", "event_study",
    "estimate", "estimate_all", "pooled_by_type", "focus", "table", "cell_effects", "compare", "stack", "heterogeneity", "response_table",
    "response_drivers",
]

COVARIATES = ("log_spend_13w", "log_spend_26w", "orders_13w", "weeks_since_order", "past_responses")


@dataclass(frozen=True)
class Gate:
    """When an estimate is refused: too little overlap between exposed and comparison customers."""

    min_treated: int = 30
    min_ess: float = 50.0
    max_smd: float = 0.10
    max_weight_share: float = 0.10


def design(weekly: pd.DataFrame, *, strategy: pd.Series, strategies: pd.DataFrame,
           exposures: pd.DataFrame, responses: pd.DataFrame | None, bands: tuple[float, ...],
           pre_weeks: int = 8, eligibility: str = "to_date") -> tuple[pd.DataFrame, pd.DataFrame]:
    """One strategy's comparison: a customer table and a dense customer x week panel.

    Treated: reached by this strategy. Eligible (``eligibility="to_date"``, the default):
    reached by a strategy of the same type that started no later than this one ended; later
    targeting looked at later behaviour, which the strategy may have moved, so using it can
    bias the comparison. ``"any_time"`` takes every customer the type ever reached. Comparison customers reached by another strategy of the type that overlaps the
    pre-window or the run are dropped (they were treated at the same time). Covariates come
    from before the pre-window's start minus nothing: the 13 and 26 weeks before the strategy
    start, so nothing the strategy could move enters the propensity model. Returns
    (customers, panel) where panel has ``rel_week`` (0 = first week of the run) and ``post``.
    """
    start, end = pd.Timestamp(strategy[s.START]), pd.Timestamp(strategy[s.END])
    w0 = start - pd.Timedelta(days=start.day_of_week)  # Monday of the start week
    run_weeks = int((end - w0).days // 7) + 1
    kind = strategy.get(s.TYPE, "all")
    same = strategies[strategies.get(s.TYPE, pd.Series("all", index=strategies.index)) == kind]
    if eligibility not in ("to_date", "any_time"):
        raise ValueError(f"`eligibility` must be one of ['to_date', 'any_time'], not {eligibility!r}")
    upto = same[same[s.START] <= end] if eligibility == "to_date" else same
    exp_type = exposures[exposures[s.STRATEGY_ID].isin(upto[s.STRATEGY_ID])]
    treated = set(exposures.loc[exposures[s.STRATEGY_ID] == strategy[s.STRATEGY_ID], s.CUSTOMER_ID])
    pre_start = w0 - pd.Timedelta(weeks=pre_weeks)
    busy = same[(same[s.STRATEGY_ID] != strategy[s.STRATEGY_ID]) & (same[s.END] >= pre_start)
                & (same[s.START] <= end)]
    contaminated = set(exposures.loc[exposures[s.STRATEGY_ID].isin(busy[s.STRATEGY_ID]), s.CUSTOMER_ID])
    seen = weekly.groupby(s.CUSTOMER_ID)["week"].min()
    people = pd.DataFrame({s.CUSTOMER_ID: seen.index[seen < w0]})  # shopped before the start
    people["treated"] = people[s.CUSTOMER_ID].isin(treated)
    people["eligible"] = people[s.CUSTOMER_ID].isin(exp_type[s.CUSTOMER_ID]) & (
        people["treated"] | ~people[s.CUSTOMER_ID].isin(contaminated))
    cov = _covariates(weekly, people[s.CUSTOMER_ID], w0=w0, responses=responses, bands=bands)
    people = people.merge(cov, on=s.CUSTOMER_ID, how="left")
    weeks = pd.date_range(pre_start, w0 + pd.Timedelta(weeks=run_weeks - 1), freq="7D")
    panel = _dense(weekly, people[s.CUSTOMER_ID], weeks)
    panel["rel_week"] = ((panel["week"] - w0).dt.days // 7).astype("int64")
    panel["post"] = panel["rel_week"] >= 0
    return people, panel


def propensity_weights(people: pd.DataFrame, *, covariates: tuple[str, ...] = COVARIATES) -> pd.Series:
    """ATT weights among eligible customers: 1 for treated, e/(1-e) for comparison customers.

    The propensity e is a logit on pre-period covariates. Ineligible customers get weight 0.
    """
    d = people[people["eligible"]]
    cols = [c for c in covariates if d[c].std() > 0]
    X = sm.add_constant(d[cols].astype(float))
    fit = sm.GLM(d["treated"].astype(float), X, family=sm.families.Binomial()).fit()
    e = fit.predict(X).clip(1e-6, 1 - 1e-6)
    w = np.where(d["treated"], 1.0, e / (1 - e))
    return pd.Series(w, index=d.index).reindex(people.index, fill_value=0.0).rename("weight")


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


def did(panel: pd.DataFrame, people: pd.DataFrame, *, outcome: str = "spend",
        weights: pd.Series | None = None, subset: pd.Series | None = None) -> dict[str, float]:
    """Two-way fixed-effects DiD by the within-transformation, customer-clustered errors.

    On the balanced panel, demeaning by customer and by (weighted) week is exact, so the
    coefficient equals the dummy-variable regression's at a fraction of the cost.
    """
    keep = people if subset is None else people[subset]
    w = (weights if weights is not None else pd.Series(1.0, index=people.index)).loc[keep.index]
    keep = keep[w > 0]
    w = w[w > 0]
    d = panel[panel[s.CUSTOMER_ID].isin(keep[s.CUSTOMER_ID])]
    wmap = dict(zip(keep[s.CUSTOMER_ID], w))
    treated = set(keep.loc[keep["treated"], s.CUSTOMER_ID])
    d = d.assign(w=d[s.CUSTOMER_ID].map(wmap),
                 D=(d[s.CUSTOMER_ID].isin(treated) & d["post"]).astype(float))
    y = _within(d, outcome)
    x = _within(d, "D")
    fit = sm.WLS(y, x, weights=d["w"]).fit(cov_type="cluster",
                                           cov_kwds={"groups": pd.factorize(d[s.CUSTOMER_ID])[0]})
    est, se = float(fit.params.iloc[0]), float(fit.bse.iloc[0])
    return {"estimate": est, "se": se, "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se,
            "treated": len(treated), "comparison": int((~keep["treated"]).sum())}


def event_study(panel: pd.DataFrame, people: pd.DataFrame, *, weights: pd.Series,
                outcome: str = "spend") -> pd.DataFrame:
    """Effect by week relative to the start (week -1 is the reference), weighted, with CIs."""
    keep = people[weights > 0]
    d = panel[panel[s.CUSTOMER_ID].isin(keep[s.CUSTOMER_ID])]
    d = d.assign(w=d[s.CUSTOMER_ID].map(dict(zip(keep[s.CUSTOMER_ID], weights[weights > 0]))))
    treated = d[s.CUSTOMER_ID].isin(set(keep.loc[keep["treated"], s.CUSTOMER_ID]))
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


def estimate(people: pd.DataFrame, panel: pd.DataFrame, *, outcome: str = "spend",
             gate: Gate = Gate()) -> dict[str, object]:
    """All three estimates for one strategy and outcome, plus the overlap gate's verdict.

    ``naive``: exposed minus not exposed, run-period means over everyone (selection, not
    effect). ``twfe``: unweighted DiD over everyone. ``ipw_did`` (the default): DiD with ATT
    weights among eligible customers; refused (NaN, with ``gate`` saying why) when overlap is
    insufficient.
    """
    post = panel[panel["post"]].groupby(s.CUSTOMER_ID)[outcome].mean()
    t = people["treated"].to_numpy()
    y = people[s.CUSTOMER_ID].map(post).to_numpy()
    naive = float(y[t].mean() - y[~t].mean())
    naive_se = float(np.sqrt(y[t].var(ddof=1) / max(t.sum(), 1) + y[~t].var(ddof=1) / max((~t).sum(), 1)))
    out: dict[str, object] = {"outcome": outcome, "naive": naive, "naive_ci_low": naive - 1.96 * naive_se,
                              "naive_ci_high": naive + 1.96 * naive_se,
                              "n_treated": int(t.sum()), "n_all": len(people)}
    tw = did(panel, people, outcome=outcome)
    out.update({f"twfe_{k}": v for k, v in tw.items() if k in ("estimate", "se", "ci_low", "ci_high")})
    elig = people["eligible"]
    n_t, n_c = int((elig & people["treated"]).sum()), int((elig & ~people["treated"]).sum())
    out.update(eligible_treated=n_t, eligible_comparison=n_c)
    if n_t < gate.min_treated or n_c < gate.min_treated:
        return out | _refused(f"too few eligible customers ({n_t} exposed, {n_c} comparison; "
                              f"need {gate.min_treated} each)")
    w = propensity_weights(people)
    bal = balance(people, w)
    wc = w[elig & ~people["treated"]]
    ess = float(wc.sum() ** 2 / (wc ** 2).sum())
    out.update(ess=ess, max_smd_after=float(bal["smd_after"].abs().max()),
               max_weight_share=float(wc.max() / wc.sum()), treated_baseline=float(
                   panel[~panel["post"] & panel[s.CUSTOMER_ID].isin(
                       people.loc[elig & people["treated"], s.CUSTOMER_ID])][outcome].mean()))
    problems = [f"effective comparison sample {ess:.0f} < {gate.min_ess:.0f}" if ess < gate.min_ess else "",
                f"largest SMD after weighting {out['max_smd_after']:.2f} > {gate.max_smd}"
                if out["max_smd_after"] > gate.max_smd else "",
                f"one comparison customer carries {out['max_weight_share']:.0%} of the weight"
                if out["max_weight_share"] > gate.max_weight_share else ""]
    problems = [p for p in problems if p]
    if problems:
        return out | _refused("insufficient overlap: " + "; ".join(problems))
    est = did(panel, people, outcome=outcome, weights=w)
    return out | {"estimate": est["estimate"], "se": est["se"], "ci_low": est["ci_low"],
                  "ci_high": est["ci_high"], "gate": "passed"}


def stack(designs: list[tuple[pd.DataFrame, pd.DataFrame]], *, outcome: str = "spend"
          ) -> dict[str, float]:
    """Pooled (stacked) weighted DiD over several strategies of one type.

    Each strategy keeps its own customers, weights and fixed effects (customer x strategy,
    week x strategy); errors are clustered by customer across the stack.
    """
    ys, xs, ws, groups = [], [], [], []
    for k, (people, panel) in enumerate(designs):
        w = propensity_weights(people)
        keep = people[w > 0]
        d = panel[panel[s.CUSTOMER_ID].isin(keep[s.CUSTOMER_ID])]
        d = d.assign(w=d[s.CUSTOMER_ID].map(dict(zip(keep[s.CUSTOMER_ID], w[w > 0]))),
                     D=(d[s.CUSTOMER_ID].isin(set(keep.loc[keep["treated"], s.CUSTOMER_ID]))
                        & d["post"]).astype(float))
        ys.append(_within(d, outcome))
        xs.append(_within(d, "D"))
        ws.append(d["w"])
        groups.append(d[s.CUSTOMER_ID])
    fit = sm.WLS(pd.concat(ys, ignore_index=True), pd.concat(xs, ignore_index=True),
                 weights=pd.concat(ws, ignore_index=True)).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(pd.concat(groups, ignore_index=True))[0]})
    est, se = float(fit.params.iloc[0]), float(fit.bse.iloc[0])
    return {"estimate": est, "se": se, "ci_low": est - 1.96 * se, "ci_high": est + 1.96 * se,
            "strategies": len(designs)}


def heterogeneity(people: pd.DataFrame, panel: pd.DataFrame, *, by: str, outcome: str = "spend",
                  min_cell: int = 50) -> pd.DataFrame:
    """Weighted DiD per group of ``by`` (a pre-period trait), shrunk toward the overall effect.

    Groups with fewer than ``min_cell`` exposed or comparison customers get no estimate of
    their own. Shrinkage is empirical Bayes: weight tau^2 / (tau^2 + se^2), with tau^2 the
    between-group variance (DerSimonian-Laird).
    """
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


def estimate_all(weekly: pd.DataFrame, *, tables: dict[str, pd.DataFrame], as_of: pd.Timestamp,
                 bands: tuple[float, ...], pre_weeks: int = 8, outcomes: tuple[str, ...] = ("spend", "orders"),
                 gate: Gate = Gate(), eligibility: str = "to_date") -> tuple[pd.DataFrame, dict[str, tuple[pd.DataFrame, pd.DataFrame]]]:
    """Every strategy with a full pre-window and run inside the data: all estimates per outcome.

    Returns a tidy frame (one row per strategy and outcome) and the designs by strategy id.
    Strategies that start before the data has ``pre_weeks`` of history, or end after
    ``as_of``, are listed with the reason and no estimate.
    """
    rows, designs = [], {}
    if "strategies" not in tables or "exposures" not in tables:
        cols = [s.STRATEGY_ID, "type", "start", "end", "outcome", "naive", "naive_ci_low",
                "naive_ci_high", "twfe_estimate", "twfe_ci_low", "twfe_ci_high", "estimate", "se",
                "ci_low", "ci_high", "gate", "eligible_treated", "treated_baseline"]
        return pd.DataFrame(columns=cols), designs
    st, exp, resp = tables["strategies"], tables["exposures"], tables.get("responses")
    first_week = weekly["week"].min()
    for _, row in st.sort_values([s.START, s.STRATEGY_ID]).iterrows():
        base = {s.STRATEGY_ID: row[s.STRATEGY_ID], "type": row.get(s.TYPE, "all"),
                "start": row[s.START], "end": row[s.END]}
        if row[s.START] - pd.Timedelta(weeks=pre_weeks + 1) < first_week or row[s.END] > as_of:
            for outcome in outcomes:
                rows.append(base | {"outcome": outcome, "gate": "run or pre-window outside the data"})
            continue
        designs[row[s.STRATEGY_ID]] = design(weekly, strategy=row, strategies=st, exposures=exp,
                                             responses=resp, bands=bands, pre_weeks=pre_weeks,
                                             eligibility=eligibility)
        for outcome in outcomes:
            rows.append(base | estimate(*designs[row[s.STRATEGY_ID]], outcome=outcome, gate=gate))
    return pd.DataFrame(rows), designs


def pooled_by_type(results: pd.DataFrame, designs: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
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


def focus(results: pd.DataFrame, designs: dict[str, tuple[pd.DataFrame, pd.DataFrame]], *,
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
    people, panel = designs[row[s.STRATEGY_ID]]
    w = propensity_weights(people)
    return {"strategy_id": row[s.STRATEGY_ID], "result": row, "balance": balance(people, w),
            "event": event_study(panel, people, weights=w, outcome=outcome),
            "heterogeneity": heterogeneity(people, panel, by=by, outcome=outcome, min_cell=min_cell),
            "heterogeneity_cluster": pd.DataFrame() if clusters is None else heterogeneity(
                people.merge(clusters[[s.CUSTOMER_ID, "cluster_name"]], on=s.CUSTOMER_ID, how="left")
                .fillna({"cluster_name": "(no cluster)"}).set_axis(people.index),
                panel, by="cluster_name", outcome=outcome, min_cell=min_cell)}


def table(results: pd.DataFrame, *, outcome: str = "spend") -> pd.DataFrame:
    """The results for reviewers: one row per strategy, dates as text, numbers rounded."""
    keep = [s.STRATEGY_ID, "type", "start", "end", "naive", "twfe_estimate", "estimate", "se",
            "ci_low", "ci_high", "eligible_treated", "eligible_comparison", "ess", "max_smd_after", "gate"]
    r = results[results["outcome"] == outcome]
    r = r[[c for c in keep if c in r.columns]].rename(columns={"twfe_estimate": "did_unweighted"})
    for col in ("start", "end"):
        if col in r:
            r[col] = pd.to_datetime(r[col]).dt.strftime("%Y-%m-%d")
    return r.round(3)


def cell_effects(results: pd.DataFrame, designs: dict[str, tuple[pd.DataFrame, pd.DataFrame]], *,
                 by: str = "pre_tier_rank", outcome: str = "spend", min_cell: int = 50) -> pd.DataFrame:
    """Shrunk effect per strategy x group of ``by`` for every strategy that passed the gate.

    Groups below ``min_cell`` take the strategy's overall effect (``source`` says which).
    """
    rows = []
    ok = results[(results["outcome"] == outcome) & (results["gate"] == "passed")]
    for r in ok.itertuples():
        people, panel = designs[r.strategy_id]
        het = heterogeneity(people, panel, by=by, outcome=outcome, min_cell=min_cell)
        for h in het.itertuples():
            own = not np.isnan(h.shrunk) if hasattr(h, "shrunk") else False
            rows.append({s.STRATEGY_ID: r.strategy_id, "type": r.type, by: getattr(h, by),
                         "effect": h.shrunk if own else r.estimate,
                         "effect_se": h.shrunk_se if own else r.se,
                         "source": "shrunk group estimate" if own else "strategy average",
                         "weeks": int(((pd.Timestamp(r.end) - pd.Timestamp(r.start)).days + 7) // 7)})
    cols = [s.STRATEGY_ID, "type", by, "effect", "effect_se", "source", "weeks"]
    return pd.DataFrame(rows, columns=cols)


def compare(results: pd.DataFrame, *, outcome: str = "spend") -> pd.DataFrame:
    """Long frame for a forest chart: strategy x estimator (naive, unweighted DiD, default)."""
    r = results[(results["outcome"] == outcome) & results["naive"].notna()]
    parts = [
        r.assign(estimator="naive exposed - not (selection)", estimate=r["naive"],
                 ci_low=r["naive_ci_low"], ci_high=r["naive_ci_high"]),
        r.assign(estimator="DiD, everyone, unweighted", estimate=r["twfe_estimate"],
                 ci_low=r["twfe_ci_low"], ci_high=r["twfe_ci_high"]),
        r.assign(estimator="DiD, eligible, ATT-weighted (default)"),
    ]
    cols = [s.STRATEGY_ID, "type", "estimator", "estimate", "ci_low", "ci_high"]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    return out.assign(label=out[s.STRATEGY_ID].astype(str) + " (" + out["type"].astype(str) + ")")


def response_table(designs: dict[str, tuple[pd.DataFrame, pd.DataFrame]], *, responses: pd.DataFrame | None,
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
    for sid, (people, _) in designs.items():
        who = people[people["treated"]].assign(strategy_id=sid)
        got = set() if responses is None else set(
            responses.loc[responses[s.STRATEGY_ID] == sid, s.CUSTOMER_ID])
        rows.append(who.assign(responded=who[s.CUSTOMER_ID].isin(got)))
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


def response_drivers(people: pd.DataFrame, *, formula_terms: list[str], n_folds: int = 5,
                     random_state: int = 0) -> tuple[pd.DataFrame, dict[str, float]]:
    """Who responds among the reached: a logit with customer-clustered errors.

    ``people`` has one row per reached customer and strategy with ``responded`` and the
    terms. Returns a tidy frame (term, estimate, ci_low, ci_high, p_value, ame, ame_low,
    ame_high) and {"auc_cv", "auc_sd", "n", "responders"}. This says who responds, not who is
    changed by the strategy.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    if people.empty or people["responded"].nunique() < 2:
        empty = pd.DataFrame(columns=["term", "estimate", "ci_low", "ci_high", "p_value", "ame",
                                      "ame_low", "ame_high"])
        return empty, {"auc_cv": np.nan, "auc_sd": np.nan, "n": int(len(people)),
                       "responders": int(people["responded"].sum()) if len(people) else 0}
    columns = {f: _term_column(f, people.columns) for f in formula_terms}
    present = [f for f in formula_terms if columns[f] in people.columns]
    dropped = [f for f in formula_terms if f not in present]
    # every column as Q('name'): a name from the data (an attribute such as `age-band`) is
    # never read as formula syntax; the terms are given back with the plain names below
    formula = "responded ~ " + " + ".join(_quoted(f, columns[f]) for f in present)
    d = people.assign(responded=people["responded"].astype(float)).dropna(
        subset=[columns[f] for f in present])
    with warnings.catch_warnings(record=True) as caught:  # reported below, not printed
        warnings.simplefilter("always", ConvergenceWarning)
        fit = smf.logit(formula, data=d).fit(disp=0, maxiter=200, cov_type="cluster",
                                             cov_kwds={"groups": pd.factorize(d[s.CUSTOMER_ID])[0]})
    converged = bool(fit.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    ci = fit.conf_int()
    tidy = pd.DataFrame({"term": fit.params.index, "estimate": fit.params.to_numpy(),
                         "ci_low": ci[0].to_numpy(), "ci_high": ci[1].to_numpy(),
                         "p_value": fit.pvalues.to_numpy()})
    me = fit.get_margeff(at="overall").summary_frame()
    me = me.rename(columns={"dy/dx": "ame", "Conf. Int. Low": "ame_low", "Cont. Int. Hi.": "ame_high"})
    tidy = tidy.merge(me[["ame", "ame_low", "ame_high"]], left_on="term", right_index=True, how="left")
    tidy["term"] = tidy["term"].map(lambda t: _unquoted(t, [columns[f] for f in present]))
    X = fit.model.exog[:, 1:]
    cv = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    auc = cross_val_score(LogisticRegression(max_iter=1000), X, fit.model.endog, cv=cv, scoring="roc_auc")
    return tidy, {"auc_cv": float(auc.mean()), "auc_sd": float(auc.std()), "n": int(len(d)),
                  "responders": int(d["responded"].sum()), "dropped_terms": dropped,
                  "converged": converged}


# -- private helpers ------------------------------------------------------------------------

def _covariates(weekly: pd.DataFrame, ids: pd.Series, *, w0: pd.Timestamp,
                responses: pd.DataFrame | None, bands: tuple[float, ...]) -> pd.DataFrame:
    before = weekly[(weekly["week"] < w0) & weekly[s.CUSTOMER_ID].isin(ids)]
    age = (w0 - before["week"]).dt.days // 7
    s13 = before[age <= 13].groupby(s.CUSTOMER_ID)
    s26 = before[(age > 13) & (age <= 26)].groupby(s.CUSTOMER_ID)
    out = pd.DataFrame({s.CUSTOMER_ID: ids.to_numpy()}).set_index(s.CUSTOMER_ID)
    out["spend_13w"] = s13["spend"].sum()
    out["orders_13w"] = s13["orders"].sum()
    out["spend_26w"] = s26["spend"].sum()
    out["weeks_since_order"] = before[before["orders"] > 0].groupby(s.CUSTOMER_ID)["week"].max()
    out = out.fillna({"spend_13w": 0.0, "orders_13w": 0, "spend_26w": 0.0})
    out["weeks_since_order"] = ((w0 - out["weeks_since_order"]).dt.days // 7).fillna(52).clip(upper=52)
    out["log_spend_13w"] = np.log1p(out["spend_13w"].clip(lower=0))
    out["log_spend_26w"] = np.log1p(out["spend_26w"].clip(lower=0))
    past = 0
    if responses is not None and len(responses):
        past = responses[responses[s.TS] < w0].groupby(s.CUSTOMER_ID).size()
    out["past_responses"] = out.index.map(past).fillna(0) if not isinstance(past, int) else 0
    rank = np.where(out["orders_13w"] > 0, np.searchsorted(np.asarray(bands), out["spend_13w"], side="right") + 1, 0)
    out["pre_tier_rank"] = rank  # 0 = no order in the 13 weeks before, 1..n = spend band
    out["pre_tier_index"] = np.maximum(rank - 1, 0)  # lowest band and no order share 0
    return out.reset_index()


def _dense(weekly: pd.DataFrame, ids: pd.Series, weeks: pd.DatetimeIndex) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([ids.to_numpy(), weeks.astype("datetime64[us]")],
                                      names=[s.CUSTOMER_ID, "week"])
    w = weekly[weekly["week"].isin(weeks) & weekly[s.CUSTOMER_ID].isin(ids)]
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
