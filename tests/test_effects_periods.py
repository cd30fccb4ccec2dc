"""Step 5 estimates from two-period panels (issue 12 item 3): the per-customer means before and
during the run give the same DiD, clustered standard error and stacked estimate as the two-way
within regression on the dense customer x week panel, and the engine's window sums give the
same means as the dense panel."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from userops import datasets, effects, features, synth
from userops import schema as s


def _panel(rng: np.random.Generator, *, n: int, n_pre: int, n_post: int, effect: float, prefix: str = "c"):
    ids = [f"{prefix}{i:03d}" for i in range(n)]
    weeks = pd.date_range("2017-01-02", periods=n_pre + n_post, freq="7D")
    d = pd.DataFrame({s.CUSTOMER_ID: np.repeat(ids, len(weeks)), "week": np.tile(weeks, n)})
    treated = rng.random(n) < 0.4
    post = np.tile(np.arange(len(weeks)) >= n_pre, n)
    d["spend"] = (rng.normal(size=len(d)) + np.repeat(rng.normal(scale=3, size=n), len(weeks))
                  + effect * (np.repeat(treated, len(weeks)) & post))
    d["orders"] = rng.poisson(1.0, size=len(d))
    d["post"] = post
    d["rel_week"] = np.tile(np.arange(len(weeks)) - n_pre, n)
    people = pd.DataFrame({s.CUSTOMER_ID: ids, "treated": treated})
    return d, people


def _within_fit(parts):
    """The reference: statsmodels WLS on the two-way demeaned outcome and treated x post,
    errors clustered by customer (what effects.did computed before the reduction)."""
    ys, xs, ws, groups = [], [], [], []
    for d, people, w in parts:
        wmap = dict(zip(people[s.CUSTOMER_ID], w))
        d = d.assign(w=d[s.CUSTOMER_ID].map(wmap),
                     D=(d[s.CUSTOMER_ID].isin(set(people.loc[people["treated"], s.CUSTOMER_ID])) & d["post"]).astype(float))
        d = d[d["w"] > 0]
        for col, out in (("spend", ys), ("D", xs)):
            x = d[col].astype(float)
            unit = x.groupby(d[s.CUSTOMER_ID]).transform("mean")
            week = (x * d["w"]).groupby(d["week"]).transform("sum") / d["w"].groupby(d["week"]).transform("sum")
            out.append(x - unit - week + (x * d["w"]).sum() / d["w"].sum())
        ws.append(d["w"])
        groups.append(d[s.CUSTOMER_ID])
    fit = sm.WLS(pd.concat(ys, ignore_index=True), pd.concat(xs, ignore_index=True),
                 weights=pd.concat(ws, ignore_index=True)).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(pd.concat(groups, ignore_index=True))[0]})
    return float(fit.params.iloc[0]), float(fit.bse.iloc[0])


def test_did_from_means_equals_the_within_regression_with_clustered_errors():
    rng = np.random.default_rng(3)
    d, people = _panel(rng, n=80, n_pre=6, n_post=3, effect=1.5)
    w = pd.Series(rng.uniform(0.2, 3.0, len(people)), index=people.index)
    w[people.index[::7]] = 0.0  # customers without weight leave the regression
    got = effects.did(d, people, weights=w)
    est, se = _within_fit([(d, people, w)])
    assert got["estimate"] == pytest.approx(est, rel=1e-9)
    assert got["se"] == pytest.approx(se, rel=1e-9)
    # a subset (heterogeneity's groups) is its own regression
    sub = people.index < 50
    got = effects.did(d, people, weights=w, subset=sub)
    assert got["estimate"] == pytest.approx(_within_fit([(d, people[sub], w[sub])])[0], rel=1e-9)
    assert got["se"] == pytest.approx(_within_fit([(d, people[sub], w[sub])])[1], rel=1e-9)


def test_stacked_designs_share_clusters_across_strategies():
    rng = np.random.default_rng(4)
    d1, p1 = _panel(rng, n=60, n_pre=5, n_post=2, effect=1.0)
    d2, p2 = _panel(rng, n=70, n_pre=8, n_post=4, effect=0.5)  # the same ids c000..c059 again
    parts = [(d, p.assign(eligible=True, **{c: rng.normal(size=len(p)) for c in effects.COVARIATES}))
             for d, p in ((d1, p1), (d2, p2))]
    got = effects.stack([(p, d) for d, p in parts])
    ref = _within_fit([(d, p, effects.propensity_weights(p)) for d, p in parts])
    assert got["estimate"] == pytest.approx(ref[0], rel=1e-9) and got["se"] == pytest.approx(ref[1], rel=1e-9)


@pytest.fixture(scope="module")
def synthetic():
    return datasets.load("synthetic", n_customers=1500, seed=5)


def test_engine_window_sums_equal_the_dense_panel_and_both_inputs_agree(synthetic):
    ds = synthetic
    weekly = features.weekly_activity(ds.transactions, as_of=ds.as_of)
    table = features.weekly_table(ds.lines(), as_of=ds.as_of)
    res_frame, designs = effects.estimate_all(weekly, tables=ds.tables, as_of=ds.as_of, bands=synth.SPEND_BANDS)
    res_table, _ = effects.estimate_all(table, tables=ds.tables, as_of=ds.as_of, bands=synth.SPEND_BANDS)
    pd.testing.assert_frame_equal(res_frame, res_table)
    assert (res_frame["gate"] == "passed").sum() >= 2
    for sid, design in designs.items():
        people, panel = design  # the dense panel, built on demand from the weekly activity
        assert len(panel) == len(people) * panel["week"].nunique()  # balanced
        dense = effects._two_period(panel)
        cols = ["pre_spend", "post_spend", "pre_orders", "post_orders", "holdout_spend"]
        got = design.periods.means.loc[people[s.CUSTOMER_ID], cols].to_numpy()
        assert got == pytest.approx(dense.means.loc[people[s.CUSTOMER_ID], cols].to_numpy(), abs=1e-9), sid
        assert (design.periods.n_pre, design.periods.n_post) == (dense.n_pre, dense.n_post)
        # every estimate from the two-period panel equals the one from the dense panel
        for outcome in ("spend", "orders"):
            a = effects.estimate(people, design.periods, outcome=outcome)
            b = effects.estimate(people, panel, outcome=outcome)
            assert a.keys() == b.keys()
            for k, v in a.items():
                assert v == pytest.approx(b[k], rel=1e-9, nan_ok=True) if isinstance(v, float) else v == b[k], (sid, k)
