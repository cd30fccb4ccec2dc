"""Step 5 ranks customers on step 3's spend bands at the bands' own period length (issue 13
item 15): monthly bands compare with monthly spend, not with 13 weeks of it."""
from __future__ import annotations

import pandas as pd

from userops import effects


def _weekly(total: float) -> tuple[pd.DataFrame, pd.Timestamp]:
    w0 = pd.Timestamp("2024-04-01")
    weeks = pd.date_range(end=w0 - pd.Timedelta(weeks=1), periods=13, freq="7D")
    weekly = pd.DataFrame({"customer_id": "c1", "week": weeks, "orders": 1, "spend": total / 13})
    return weekly, w0


def test_pre_tier_uses_the_bands_period_length():
    weekly, w0 = _weekly(300.0)
    ids = pd.Series(["c1", "c2"])
    bands = (50.0, 100.0, 200.0)
    quarterly = effects._covariates(weekly, ids, w0=w0, responses=None, bands=bands)
    monthly = effects._covariates(weekly, ids, w0=w0, responses=None, bands=bands, band_days=30.0)
    # 300 over 13 weeks is 300 per quarter (above every cut: tier 4) but ~99 per 30 days (tier 2)
    assert quarterly.set_index("customer_id").loc["c1", "pre_tier_rank"] == 4
    assert monthly.set_index("customer_id").loc["c1", "pre_tier_rank"] == 2
    assert monthly.set_index("customer_id").loc["c2", "pre_tier_rank"] == 0  # no order: 0 either way


def test_step_3_hands_its_period_length_to_step_5():
    from userops import features, migration

    for period, low, high in (("M", 28, 31), ("Q", 89, 92), ("13W", 91, 91)):
        bounds = features.period_bounds(as_of="2017-12-31", period=period, n_periods=4)
        table = migration.band_table((10.0, 20.0), bounds)
        bands, days = effects.bands_from(table)
        assert bands == (10.0, 20.0) and low <= days <= high
    assert effects.bands_from(migration.band_table((), bounds.iloc[:0])) == ((), effects.BAND_DAYS)
