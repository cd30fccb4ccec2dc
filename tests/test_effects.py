"""Step 5 against the generator's planted truth, with negative controls for the biased estimators."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from userops import datasets, effects, features, synth
from userops import schema as s


@pytest.fixture(scope="module")
def world():
    ds = datasets.load("synthetic", n_customers=10000, seed=1)
    weekly = features.weekly_activity(ds.transactions, as_of=ds.as_of)
    results, designs = effects.estimate_all(weekly, tables=ds.tables, as_of=ds.as_of,
                                            bands=synth.SPEND_BANDS, outcomes=("spend",))
    return ds, weekly, results, designs


def _att(ds, strategy_id: str) -> float:
    w = ds.truth["weekly"]
    t = w[(w["strategy"] == strategy_id) & w["treated"]]
    return float((t["y1"] - t["y0"]).mean())


def test_default_estimator_recovers_the_planted_effect_within_4_se(world):
    ds, _, results, _ = world
    ok = results[results["gate"] == "passed"]
    assert len(ok) >= 2
    for r in ok.itertuples():
        assert abs(r.estimate - _att(ds, r.strategy_id)) <= 4 * r.se, r


def test_naive_and_unweighted_did_are_biased_on_the_same_data(world):
    ds, _, results, _ = world
    for r in results[results["gate"] == "passed"].itertuples():
        truth = _att(ds, r.strategy_id)
        assert r.naive - truth > 10 * r.se  # selection: targeted customers spend more anyway
        assert abs(r.twfe_estimate - truth) > 3 * r.twfe_se  # mean reversion of the targeted


def test_look_ahead_eligibility_is_biased(world):
    # negative control: an eligible pool built from later targeting conditions on the future
    ds, weekly, _, _ = world
    res, _ = effects.estimate_all(weekly, tables=ds.tables, as_of=ds.as_of, bands=synth.SPEND_BANDS,
                                  outcomes=("spend",), eligibility="any_time")
    r = res.set_index(s.STRATEGY_ID).loc["S2"]
    assert (_att(ds, "S2") - r["estimate"]) > 2 * r["se"]


def _independent_smd(people: pd.DataFrame) -> pd.DataFrame:
    """ATT weights from scikit-learn's unpenalised logit and the SMDs from them, by hand."""
    from sklearn.linear_model import LogisticRegression

    d = people[people["eligible"]]
    cols = [c for c in effects.COVARIATES if d[c].std() > 0]
    x = d[cols].to_numpy(float)
    mu, sd = x.mean(axis=0), x.std(axis=0)
    fit = LogisticRegression(C=np.inf, max_iter=10000, tol=1e-10).fit((x - mu) / sd, d["treated"])
    e = fit.predict_proba((x - mu) / sd)[:, 1]
    t = d["treated"].to_numpy()
    w = e[~t] / (1 - e[~t])
    rows = {}
    for col in effects.COVARIATES:
        v = d[col].to_numpy(float)
        pooled = np.sqrt((v[t].var() + v[~t].var()) / 2) or 1.0  # a constant covariate: no difference
        rows[col] = {"smd_before": (v[t].mean() - v[~t].mean()) / pooled,
                     "smd_after": (v[t].mean() - np.sum(w * v[~t]) / w.sum()) / pooled}
    return pd.DataFrame(rows).T


def test_balance_matches_an_independent_weighting_and_the_gate_uses_it(world):
    _, _, results, designs = world
    passed = results.loc[results["gate"] == "passed", s.STRATEGY_ID].tolist()
    assert passed
    for sid in passed:
        people, panel = designs[sid]
        bal = effects.balance(people, effects.propensity_weights(people)).set_index("covariate")
        ref = _independent_smd(people)
        assert bal["smd_before"].to_numpy() == pytest.approx(ref.loc[bal.index, "smd_before"].to_numpy(), abs=1e-9)
        assert bal["smd_after"].to_numpy() == pytest.approx(ref.loc[bal.index, "smd_after"].to_numpy(), abs=2e-3)
        # planted: targeting follows last quarter's spend tier, so spend is imbalanced before
        # weighting, and the weights remove most of it
        assert abs(bal.loc["log_spend_13w", "smd_before"]) > 0.3
        assert abs(bal.loc["log_spend_13w", "smd_after"]) < abs(bal.loc["log_spend_13w", "smd_before"]) / 3
        # the gate reads that balance: a bar just below the achieved SMD refuses the estimate
        worst = float(bal["smd_after"].abs().max())
        strict = effects.estimate(people, panel, gate=effects.Gate(max_smd=worst * 0.99))
        assert np.isnan(strict["estimate"]) and "largest SMD after weighting" in strict["gate"]
        assert effects.estimate(people, panel, gate=effects.Gate(max_smd=worst * 1.01))["gate"] == "passed"


def test_targeting_creates_imbalance_and_auto_pool_says_why(world):
    ds, weekly, results, designs = world
    for sid in results.loc[results["gate"] == "passed", s.STRATEGY_ID]:
        people, _ = designs[sid]
        bal = effects.balance(people, effects.propensity_weights(people))
        assert bal["smd_before"].abs().max() > 0.3  # targeting did create imbalance
    # S1 is the first Type A strategy: no same-type comparison customers exist, so the
    # same-type pool refuses it and `auto` moves to the population pool, saying why
    res = results.set_index(s.STRATEGY_ID)
    assert res.loc["S1", "pool"] == "population" and "too few eligible" in res.loc["S1", "pool_reason"]
    assert res.loc["S1", "gate"] == "passed"
    assert (res.loc[["S2", "S3"], "pool"] == "same type").all()
    old, _ = effects.estimate_all(weekly, tables=ds.tables, as_of=ds.as_of, bands=synth.SPEND_BANDS,
                                  outcomes=("spend",), eligibility="to_date")
    first = old.set_index(s.STRATEGY_ID).loc["S1"]
    assert np.isnan(first["estimate"]) and "too few eligible" in first["gate"]


def test_stacked_estimate_recovers_the_pooled_truth(world):
    ds, _, results, designs = world
    pooled = effects.pooled_by_type(results, designs).iloc[0]
    w = ds.truth["weekly"]
    ids = results.loc[results["gate"] == "passed", s.STRATEGY_ID]
    t = w[w["strategy"].isin(ids) & w["treated"]]
    assert abs(pooled["estimate"] - (t["y1"] - t["y0"]).mean()) <= 4 * pooled["se"]


def test_planted_effects_per_tier_are_recovered(world):
    ds, _, _, designs = world
    people, panel = designs["S3"]
    het = effects.heterogeneity(people, panel, by="pre_tier_rank", min_cell=50)
    w = ds.truth["weekly"]
    t = w[(w["strategy"] == "S3") & w["treated"]].merge(people[[s.CUSTOMER_ID, "pre_tier_rank"]], on=s.CUSTOMER_ID)
    truth = (t["y1"] - t["y0"]).groupby(t["pre_tier_rank"]).mean()
    shown = het.dropna(subset=["estimate"]).set_index("pre_tier_rank")
    assert len(shown) >= 4
    for tier, row in shown.iterrows():
        assert abs(row["estimate"] - truth[tier]) <= 4 * row["se"], (tier, row["estimate"], truth[tier])
    # the per-tier truth really differs, and the estimates rank the tiers the same way
    assert shown["estimate"].is_monotonic_increasing or shown["estimate"].corr(truth.loc[shown.index]) > 0.9


def test_event_study_equals_weekly_two_by_two_contrasts_and_tracks_the_planted_effect(world):
    ds, _, _, designs = world
    people, panel = designs["S2"]
    w = effects.propensity_weights(people)
    ev = effects.event_study(panel, people, weights=w).set_index("rel_week")
    # with one start date and a dummy for every week but -1, each coefficient is the 2x2 DiD
    # of that week against week -1: (treated mean change) - (weighted comparison mean change)
    wmap = dict(zip(people[s.CUSTOMER_ID], w))
    treated = set(people.loc[people["treated"], s.CUSTOMER_ID])
    d = panel.assign(w=panel[s.CUSTOMER_ID].map(wmap))
    d = d[d["w"] > 0].assign(group=lambda x: np.where(x[s.CUSTOMER_ID].isin(treated), "t", "c"))
    means = (d.assign(wy=d["w"] * d["spend"]).groupby(["group", "rel_week"])[["wy", "w"]].sum()
             .pipe(lambda g: g["wy"] / g["w"]).unstack("group"))
    did = (means["t"] - means["t"].loc[-1]) - (means["c"] - means["c"].loc[-1])
    assert ev["estimate"].to_numpy() == pytest.approx(did.loc[ev.index].to_numpy(), abs=1e-8)
    # planted truth: zero before the start, the treated customers' y1 - y0 in each run week
    tw = ds.truth["weekly"]
    run = tw[(tw["strategy"] == "S2") & tw["treated"]]
    truth = (run["y1"] - run["y0"]).groupby(run["week"]).mean()
    post = ev[ev.index >= 0]
    assert len(post) == len(truth)
    for (rel, row), true in zip(post.iterrows(), truth.to_numpy()):
        assert abs(row["estimate"] - true) <= 4 * row["se"], (rel, row["estimate"], true)
    pre = ev[ev.index < -1]
    assert len(pre) >= 4 and (pre["estimate"].abs() <= 4 * pre["se"]).all()


def test_within_transformation_equals_dummy_regression():
    rng = np.random.default_rng(0)
    n, T = 60, 6
    d = pd.DataFrame({s.CUSTOMER_ID: np.repeat([f"c{i:02d}" for i in range(n)], T),
                      "week": np.tile(pd.date_range("2017-01-02", periods=T, freq="7D"), n)})
    treated = np.repeat(rng.random(n) < 0.5, T)
    post = np.tile(np.arange(T) >= 3, n)
    d["spend"] = rng.normal(size=n * T) + np.repeat(rng.normal(size=n), T) + 2.0 * (treated & post)
    d["post"] = post
    people = pd.DataFrame({s.CUSTOMER_ID: [f"c{i:02d}" for i in range(n)], "treated": treated[::T]})
    w = pd.Series(rng.uniform(0.5, 2, n), index=people.index)
    got = effects.did(d, people, weights=w)
    import statsmodels.formula.api as smf
    ref = smf.wls("spend ~ D + C(customer_id) + C(week)", data=d.assign(D=(treated & post).astype(float)),
                  weights=np.repeat(w.to_numpy(), T)).fit()
    assert got["estimate"] == pytest.approx(ref.params["D"], rel=1e-9)


def test_response_logit_recovers_planted_coefficients(world):
    ds, _, _, designs = world
    table = effects.response_table(designs, responses=ds.tables["responses"],
                                   customers=ds.tables["customers"], attributes=["app_user", "age_band"])
    tidy, auc = effects.response_drivers(table, formula_terms=[
        "pre_tier_index", "C(app_user)", "C(age_band, Treatment('19-34'))"])
    est = tidy.set_index("term")
    planted = {"pre_tier_index": synth.RESPONSE_COEF["prior_tier"],
               "C(app_user)[T.yes]": synth.RESPONSE_COEF["app_user"],
               "C(age_band, Treatment('19-34'))[T.55+]": synth.RESPONSE_COEF["age_55_plus"],
               "C(age_band, Treatment('19-34'))[T.35-54]": 0.0,
               "Intercept": synth.RESPONSE_COEF["intercept"]}
    for term, value in planted.items():
        assert est.loc[term, "ci_low"] - 0.05 <= value <= est.loc[term, "ci_high"] + 0.05, term
    assert 0.6 < auc["auc_cv"] < 0.8 and auc["n"] == len(table)


def test_transactions_only_gives_empty_results_not_an_error(sample_dir):
    ds = datasets.load(sample_dir, as_of="2017-12-31")
    tables = {"transactions": ds.transactions}
    weekly = features.weekly_activity(ds.transactions, as_of=ds.as_of)
    res, designs = effects.estimate_all(weekly, tables=tables, as_of=ds.as_of, bands=(100.0, 300.0, 600.0))
    assert res.empty and designs == {}
    assert effects.focus(res, designs)["strategy_id"] is None


def test_non_converging_response_model_is_reported_not_printed(recwarn):
    # x separates responders perfectly: the logit cannot converge, and says so in its result
    d = pd.DataFrame({s.CUSTOMER_ID: [f"c{i}" for i in range(40)], "x": np.r_[np.zeros(20), np.ones(20)],
                      "responded": [False] * 20 + [True] * 20})
    _, info = effects.response_drivers(d, formula_terms=["x"])
    assert info["converged"] is False
    assert not [w for w in recwarn if "converge" in str(w.message).lower()]


def test_response_logit_drops_a_constant_term_and_goes_on():
    # nobody has past responses: the column is constant; before, the fit stopped with
    # LinAlgError: Singular matrix. Now the term is dropped, named, and the rest is estimated.
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    d = pd.DataFrame({s.CUSTOMER_ID: [f"c{i}" for i in range(n)], "x": x, "x_twice": 2 * x,
                      "past_responses": 0.0, "responded": rng.random(n) < 1 / (1 + np.exp(-x))})
    tidy, info = effects.response_drivers(d, formula_terms=["x", "past_responses", "x_twice", "missing_col"])
    assert set(tidy["term"]) == {"Intercept", "x"}
    assert info["dropped_terms"] == ["missing_col (not in the data)", "past_responses (constant)",
                                     "x_twice (collinear)"]
    assert tidy.set_index("term").loc["x", "ci_low"] < 1.0 < tidy.set_index("term").loc["x", "ci_high"]
    from userops import narrative as text
    assert "past_responses (constant)" in text.drivers_prose(tidy, info)


def test_propensity_model_drops_constant_and_collinear_covariates():
    rng = np.random.default_rng(1)
    n = 300
    a = rng.normal(size=n)
    people = pd.DataFrame({s.CUSTOMER_ID: range(n), "eligible": True, "treated": rng.random(n) < 1 / (1 + np.exp(-a)),
                           "a": a, "a_copy": a * 3 + 1, "flat": 5.0})
    w, dropped = effects.propensity_fit(people, covariates=("a", "flat", "a_copy"))
    assert dropped == ["flat (constant)", "a_copy (collinear)"]
    assert np.isfinite(w).all() and (w[people["treated"]] == 1).all()


def test_a_year_without_strategies_or_with_all_runs_outside_the_data_gives_sentences(sample_dir):
    from userops import narrative as text
    ds = datasets.load(sample_dir, as_of="2017-12-31")
    weekly = features.weekly_activity(ds.transactions, as_of=ds.as_of)
    empty = {"transactions": ds.transactions,
             "strategies": pd.DataFrame({s.STRATEGY_ID: pd.Series(dtype=str), s.START: pd.Series(dtype="datetime64[us]"),
                                         s.END: pd.Series(dtype="datetime64[us]")}),
             "exposures": pd.DataFrame({s.CUSTOMER_ID: pd.Series(dtype=str), s.STRATEGY_ID: pd.Series(dtype=str)})}
    late = {"transactions": ds.transactions,
            "strategies": pd.DataFrame({s.STRATEGY_ID: ["x"], s.START: pd.to_datetime(["2030-01-01"]),
                                        s.END: pd.to_datetime(["2030-02-01"])}),
            "exposures": pd.DataFrame({s.CUSTOMER_ID: [ds.transactions[s.CUSTOMER_ID].iloc[0]], s.STRATEGY_ID: ["x"]})}
    for tables in (empty, late):
        res, designs = effects.estimate_all(weekly, tables=tables, as_of=ds.as_of, bands=(100.0, 300.0, 600.0))
        assert list(res.columns) == list(effects.RESULT_COLUMNS)
        # before: KeyError: 'naive' in compare and the prose
        assert effects.compare(res)["estimate"].isna().all() or effects.compare(res).empty
        assert effects.pooled_by_type(res, designs).empty and effects.cell_effects(res, designs).empty
        prose = text.effects_prose(res, effects.pooled_by_type(res, designs))
        assert prose and "nan" not in prose
        assert effects.focus(res, designs)["strategy_id"] is None
    assert "no strategies" in text.effects_prose(effects.estimate_all(
        weekly, tables=empty, as_of=ds.as_of, bands=(100.0,))[0], pd.DataFrame())
    assert "outside the data" in text.effects_prose(effects.estimate_all(
        weekly, tables=late, as_of=ds.as_of, bands=(100.0,))[0], pd.DataFrame())


def test_run_weeks_counts_the_calendar_weeks_a_run_touches():
    assert effects.run_weeks("2017-05-01", "2017-05-14") == 2  # Monday to Sunday, two weeks
    assert effects.run_weeks("2017-05-03", "2017-05-16") == 3  # Wednesday to Tuesday touches three
    assert effects.run_weeks("2017-05-07", "2017-05-08") == 2  # Sunday to Monday
    st = pd.Series(pd.to_datetime(["2017-05-01", "2017-05-03"]))
    en = pd.Series(pd.to_datetime(["2017-05-14", "2017-05-16"]))
    assert effects.run_weeks(st, en).tolist() == [2, 3]


def test_contact_cost_comes_from_the_strategies_table_else_the_parameter():
    st = pd.DataFrame({s.STRATEGY_ID: ["a", "b"], s.COST_PER_CONTACT: [1.25, np.nan]})
    assert effects.contact_cost_per_customer(st, default=0.5).to_dict() == {"a": 1.25, "b": 0.5}
    assert effects.contact_cost_per_customer(st.drop(columns=[s.COST_PER_CONTACT]), default=0.7).to_dict() == {
        "a": 0.7, "b": 0.7}


def test_placebo_failure_and_holdout_are_in_the_prose():
    from userops import narrative as text
    base = {"type": "t", "outcome": "spend", "gate": "passed", "pool": "population", "dropped_terms": "",
            "n_treated": 900, "holdout_share": 0.1, "holdout_weeks": 4, "breakeven_effect": 0.125,
            "spend_sd": 30.0, "weeks": 4}
    res = pd.DataFrame([
        base | {s.STRATEGY_ID: "A", "estimate": 1.0, "ci_low": -2.0, "ci_high": 4.0, "placebo": "passed",
                "placebo_estimate": 0.1, "placebo_ci_low": -1.0, "placebo_ci_high": 1.2,
                "holdout_customers": 12345, "reached_needed": 111105},
        base | {s.STRATEGY_ID: "B", "estimate": 3.0, "ci_low": 1.0, "ci_high": 5.0,
                "placebo": "failed: CI excludes 0 (z = +2.5)", "placebo_estimate": 2.5, "placebo_ci_low": 0.5,
                "placebo_ci_high": 4.5, "holdout_customers": np.nan, "reached_needed": np.nan},
    ]).reindex(columns=list(effects.RESULT_COLUMNS))
    prose = text.effects_prose(res, pd.DataFrame())
    assert "**1 of 2** passed" in prose and "**Failed**" in prose and "**B** +2.50" in prose
    assert "**12,345** customers held out" in prose and "**111,105**" in prose and "**4** weeks" in prose


def test_response_model_takes_any_attribute_name():
    # attribute columns are named by the data: formula syntax in a name must stay a name
    rng = np.random.default_rng(0)
    odd = "region<img src=x onerror=alert(1)>[x](javascript:alert(1))"
    d = pd.DataFrame({s.CUSTOMER_ID: [f"c{i}" for i in range(400)], "responded": rng.random(400) < 0.3,
                      "x": rng.random(400), odd: rng.choice(["a", "b )"], 400),
                      "age-band": rng.choice(["1", "2"], 400)})
    tidy, info = effects.response_drivers(d, formula_terms=["x", f"C({odd})", "C(age-band)"])
    assert info["dropped_terms"] == []
    assert set(tidy["term"]) == {"Intercept", "x", f"C({odd})[T.b )]", "C(age-band)[T.2]"}
    assert tidy["ame"].notna().sum() == 3


# -- the report's language: verdicts and reasons stay English in results, are said where shown ----

@pytest.fixture()
def japanese():
    from userops import i18n

    i18n.use("ja")
    yield
    i18n.use("en")


def _filled(template: str) -> tuple[str, dict[str, str]]:
    """``template`` filled as estimate_all fills it: numbers, a strategy type, nested reasons."""
    import string

    nested = {"problems": effects._ESS.format(ess="12", bar="50") + "; " + effects._SMD.format(smd="0.12", bar="0.1"),
              "why": effects._TOO_FEW.format(exposed="1,543", comparison="40", need="30"),
              "why_population": effects._OVERLAP.format(problems=effects._HEAVY.format(share="15%")),
              "population": effects._POPULATION.format(weeks=8),
              "gate": effects._OUTSIDE.format(why=effects._ENDS_LATE)}
    names = {"type": "Type A", "term": "C(region)"}
    fields = [f for _lit, f, _spec, _conv in string.Formatter().parse(template) if f]
    values = {f: nested.get(f, names.get(f, "+1,234.5")) for f in fields}
    return template.format(**values), values


@pytest.mark.parametrize("template", effects._TEMPLATES)
def test_every_reason_is_said_in_japanese_with_its_numbers_and_names(template, japanese):
    from userops.i18n import _

    english, values = _filled(template)
    said = effects.say(english)
    assert said == _(template).format(**{k: effects.say(v) if k in effects._MESSAGE_FIELDS else v
                                         for k, v in values.items()})
    assert said != english and not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,} [A-Za-z]{3,}", said.replace("Type A", ""))
    for v in values.values():
        if v in ("Type A", "C(region)", "+1,234.5"):
            assert v in said  # numbers and names kept as written


def test_verdicts_stay_english_in_results_and_are_said_only_where_shown(world, japanese):
    _, _, results, _ = world
    assert set(results["gate"]) & {"passed"}  # internal values untouched by the language
    shown = effects.table(results)
    assert "passed" not in set(shown["gate"]) and "合格" in set(shown["gate"])
    assert results["gate"].str.contains("passed").any()  # the frame itself is not changed
    untouched = pd.DataFrame({"gate": ["a value from data"], "pool": [np.nan]})
    assert effects.shown(untouched).equals(untouched)


def test_english_reasons_read_as_before():
    assert effects.say("insufficient overlap: effective comparison sample 12 < 50") == \
        "insufficient overlap: effective comparison sample 12 < 50"
    assert effects._TOO_FEW.format(exposed="1,543", comparison="40", need="30") == \
        "too few eligible customers (1,543 exposed, 40 comparison; need 30 each)"
