"""Forward value (userops.clv): published CDNOW estimates, a planted generator, summaries and the
validated fit on small data shapes that cannot carry it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from userops import clv, features

CDNOW = Path(__file__).parent / "data" / "cdnow_summary.csv"
PLANTED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return pd.read_csv(CDNOW)


def test_bgnbd_matches_the_published_cdnow_estimates(cdnow):
    # lifetimes' BetaGeoFitter and pymc-marketing's BetaGeoModel (MAP, flat priors) publish
    # r 0.2426 (se 0.0126), alpha 4.4135 (0.3782), a 0.7929 (0.1857), b 2.4258 (0.7053)
    fit = clv.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert fit.converged and fit.n == 2357
    for name, value, se in [("r", .2426, .0126), ("alpha", 4.4135, .3782), ("a", .7929, .1857), ("b", 2.4258, .7053)]:
        assert fit.params[name] == pytest.approx(value, abs=5e-4)
        assert fit.se[name] == pytest.approx(se, rel=0.01)


def test_gamma_gamma_matches_the_published_cdnow_estimates(cdnow):
    # lifetimes' GammaGammaFitter on the 946 returning customers: p 6.25, q 3.74, v 15.45
    fit = clv.fit_gamma_gamma(cdnow["frequency"], cdnow["monetary_value"])
    assert fit.converged and fit.n == 946
    assert (round(fit.params["p"], 2), round(fit.params["q"], 2), round(fit.params["v"], 2)) == (6.25, 3.74, 15.45)


def test_planted_parameters_are_recovered_within_their_standard_errors(cdnow):
    sim = clv.simulate(PLANTED, T=np.repeat(cdnow["T"].to_numpy(), 4), seed=11)
    fit = clv.fit_bgnbd(sim["frequency"], sim["recency"], sim["T"])
    assert fit.converged
    z = {k: (fit.params[k] - PLANTED[k]) / fit.se[k] for k in PLANTED}
    assert all(abs(v) < 3 for v in z.values()), z


def test_predictions_are_consistent_with_the_generator():
    # customers with the same history: P(alive) is 1 without repeats, falls with a long silence
    params = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}
    x, t_x, T = np.array([0, 3, 3]), np.array([0.0, 30.0, 5.0]), np.array([40.0, 40.0, 40.0])
    alive = clv.p_alive(params, x, t_x, T)
    assert alive[0] == 1 and alive[1] > alive[2]
    e = clv.expected_purchases(params, x, t_x, T, t=52)
    assert np.all(e > 0) and e[1] > e[2]
    assert np.all(np.diff(clv.expected_purchases(params, x[[1]], t_x[[1]], T[[1]], t=np.array([1, 10, 52]))) > 0)
    # predicted vs simulated future purchases on planted customers: totals agree
    sim = clv.simulate(params, T=np.full(4000, 92.0), seed=5)
    cal = clv.simulate(params, T=np.full(4000, 40.0), seed=5)  # same customers (same draws), cut at 40 weeks
    later = sim["frequency"] - cal["frequency"]
    pred = clv.expected_purchases(params, cal["frequency"], cal["recency"], cal["T"], t=52)
    assert pred.sum() == pytest.approx(later.sum(), rel=0.05)


def test_summary_definitions_repeat_days_returns_and_zero_value_orders():
    tx = pd.DataFrame({
        "customer_id": ["a"] * 6 + ["b"],
        "order_id": ["1", "2", "3", "4", "5", "6", "7"],
        "ts": pd.to_datetime(["2020-01-01 09:00", "2020-01-01 18:00", "2020-01-08 10:00", "2020-01-15 10:00",
                              "2020-01-22 10:00", "2020-01-29 10:00", "2020-01-10 10:00"]),
        # two orders on one day are one purchase; a pure return and a zero-value order are none
        "amount": [10.0, 5.0, -4.0, 0.0, 20.0, 30.0, 7.0]})
    days = features.purchase_days(tx, as_of="2020-01-31")
    assert days[days["customer_id"] == "a"]["cents"].tolist() == [1500, 2000, 3000]
    summ = clv.summarise(days, end=pd.Timestamp("2020-01-31")).set_index("customer_id")
    assert summ.loc["a", "frequency"] == 2 and summ.loc["b", "frequency"] == 0
    assert summ.loc["a", "recency"] == pytest.approx(28 / 7) and summ.loc["a", "T"] == pytest.approx(30 / 7)
    assert summ.loc["a", "monetary"] == pytest.approx(25.0) and summ.loc["b", "monetary"] == 0
    assert clv.holdout_purchases(days, after=pd.Timestamp("2020-01-15"), end=pd.Timestamp("2020-01-31"))["a"] == 2


def test_horizon_is_the_data_length_when_shorter():
    as_of = pd.Timestamp("2020-06-30")
    assert clv.horizon_days(as_of=as_of, first_day=pd.Timestamp("2018-01-01"), months=12) == 365
    assert clv.horizon_days(as_of=as_of, first_day=pd.Timestamp("2020-05-19"), months=12) == 43


def _planted_days(n: int, *, weeks: int, seed: int) -> pd.DataFrame:
    """Purchase days of planted BG/NBD customers who all start on one day."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2020-01-01")
    lam, p = rng.gamma(1.5, 1 / 2.0, n), rng.beta(1.0, 8.0, n)
    nu = rng.gamma(3.0, 1 / 40.0, n)  # Gamma-Gamma: each customer's own spend rate
    rows = []
    for i in range(n):
        t, alive = 0.0, True
        rows.append((f"c{i:04d}", start, 1000 + 10 * i % 700))
        while alive:
            t += rng.exponential(1 / lam[i])
            if t > weeks:
                break
            value = max(1, round(100 * rng.gamma(4.0, 1 / nu[i])))
            rows.append((f"c{i:04d}", start + pd.Timedelta(days=int(t * 7)), value))
            alive = rng.random() >= p[i]
    days = pd.DataFrame(rows, columns=["customer_id", "day", "cents"])
    return days.groupby(["customer_id", "day"], as_index=False)["cents"].sum()


def test_forward_passes_its_holdout_on_planted_data_and_predicts_every_customer():
    days = _planted_days(1500, weeks=78, seed=2)
    as_of = pd.Timestamp("2020-01-01") + pd.Timedelta(weeks=78)
    fw = clv.forward(days, as_of=as_of, horizon_months=12, holdout_weeks=13, tolerance=0.15)
    assert fw.used, fw.reason
    assert abs(fw.total["error"]) <= 0.15 and fw.holdout["customers"].sum() == days["customer_id"].nunique()
    assert fw.holdout["actual"].sum() == fw.total["actual"]
    c = fw.customers
    assert len(c) == 1500 and c[["expected_orders", "p_alive", "expected_value"]].notna().all().all()
    assert c["p_alive"].between(0, 1).all() and (c["expected_orders"] > 0).all()
    table = fw.table()
    assert set(table["kind"]) == {"parameter", "check"} and (table["status"] == "used").all()


def test_forward_fails_its_holdout_when_the_tolerance_is_tighter_than_the_error():
    days = _planted_days(600, weeks=60, seed=4)
    as_of = pd.Timestamp("2020-01-01") + pd.Timedelta(weeks=60)
    fw = clv.forward(days, as_of=as_of, holdout_weeks=13, tolerance=1e-9)
    assert fw.status == "failed holdout" and "do not use" in fw.reason and not fw.used


@pytest.mark.parametrize("days, why", [
    (pd.DataFrame({"customer_id": ["a"], "day": pd.to_datetime(["2020-01-05"]), "cents": [100]}), "fewer than twice"),
    (pd.DataFrame({"customer_id": ["a", "a"], "day": pd.to_datetime(["2019-01-05", "2019-03-01"]), "cents": [100, 200]}),
     "repeat purchase"),
    (pd.DataFrame({"customer_id": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[us]"),
                   "cents": pd.Series(dtype="int64")}), "nothing to model"),
])
def test_forward_says_why_it_cannot_fit_and_never_raises(days, why):
    fw = clv.forward(days, as_of="2020-01-31", holdout_weeks=4)
    assert fw.status == "not fitted" and why in fw.reason and fw.customers.empty


def test_stage_beside_p_alive_counts_the_disagreements_and_the_prose_uses_them():
    from userops import narrative as text

    tiered = pd.DataFrame({"customer_id": list("abcdef"),
                           "lifecycle_stage": ["mature", "mature", "dormant", "dormant", "at_risk", "new"],
                           "p_alive": [0.9, 0.2, 0.8, 0.1, 0.6, 1.0]})
    cross, dis = clv.stage_vs_alive(tiered, level=0.5)
    assert cross.set_index("lifecycle_stage").loc["mature", "P(alive) < 0.5"] == 1
    assert dis.groupby("disagreement")["customers"].sum().to_dict() == {
        "active stage, P(alive) low": 1, "at risk or dormant, P(alive) high": 2}
    prose = text.stage_alive_prose(cross, dis, level=0.5)
    assert "**3** of **6** customers (**50.0%**)" in prose
    gone = clv.attach(tiered.drop(columns="p_alive"), clv.Forward("failed holdout", "x", horizon_days=30,
                                                                  holdout_days=7, tolerance=0.1))
    assert gone[list(clv.TIER_COLUMNS)].isna().all().all()
    assert clv.stage_vs_alive(gone)[0].empty


@pytest.mark.parametrize("bad, match", [({"holdout_weeks": 0}, "holdout_weeks"), ({"tolerance": 0}, "holdout_tolerance"),
                                        ({"horizon_months": 0}, "horizon_months")])
def test_bad_parameters_are_refused_by_name(bad, match):
    days = pd.DataFrame({"customer_id": ["a"], "day": pd.to_datetime(["2020-01-05"]), "cents": [100]})
    with pytest.raises(ValueError, match=match):
        clv.forward(days, as_of="2020-01-31", **bad)
    with pytest.raises(ValueError, match="alive_level"):
        clv.stage_vs_alive(pd.DataFrame({"lifecycle_stage": ["new"], "p_alive": [0.5]}), level=1.0)
