"""Step 2: preference features by hand, time in local time, planted clusters recovered, TGI, look-alikes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from userops import datasets, features, profiles
from userops import schema as s
from userops.validation import clean_table


def _tiny() -> pd.DataFrame:
    rows = [  # customer, order, local time, amount, store, discount, coupon
        ("a", "o1", "2017-05-06 10:00", 10.0, "s1", 2.0, 1.0),   # Saturday morning, coupon
        ("a", "o1", "2017-05-06 10:01", 10.0, "s1", 0.0, 0.0),
        ("a", "o2", "2017-05-08 13:00", 20.0, "s2", 0.0, 0.0),   # Monday afternoon
        ("a", "o3", "2017-05-15 18:00", 40.0, "s1", 0.0, 0.0),   # Monday evening
        ("b", "o4", "2017-05-07 19:00", 5.0, "s3", 5.0, 0.0),    # Sunday evening
    ]
    df = pd.DataFrame(rows, columns=[s.CUSTOMER_ID, s.ORDER_ID, s.TS, s.AMOUNT, s.STORE_ID,
                                     s.DISCOUNT, s.COUPON_DISCOUNT])
    return df.assign(ts=pd.to_datetime(df[s.TS]).astype("datetime64[us]"))


def test_preferences_by_hand():
    p = features.preferences(_tiny(), as_of="2017-12-31").set_index(s.CUSTOMER_ID)
    a = p.loc["a"]
    assert a["orders"] == 3 and a["spend"] == 80.0
    assert a["weekend_share"] == pytest.approx(1 / 3)
    assert (a["morning_share"], a["afternoon_share"], a["evening_share"]) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert a["coupon_order_share"] == pytest.approx(1 / 3)
    assert a["discount_share"] == pytest.approx(12 / 82)  # gross of discounted lines / all gross
    assert a["discount_depth"] == pytest.approx(2 / 82)
    assert a["stores"] == 2 and a["main_store_share"] == pytest.approx(2 / 3)
    assert a["median_gap_days"] == pytest.approx(4.5)  # gaps of 2 and 7 days
    assert p.loc["b", "discount_share"] == 1.0 and np.isnan(p.loc["b", "median_gap_days"])


def test_time_features_follow_data_tz():
    raw = pd.DataFrame({s.CUSTOMER_ID: ["a", "a"], s.ORDER_ID: ["o1", "o2"], s.AMOUNT: ["1", "1"],
                        # 02:00 UTC on a Monday is 22:00 on Sunday in New York
                        s.TS: ["2017-05-08 02:00:00", "2017-05-08 15:00:00"]})
    ny = clean_table(raw, table="transactions", data_tz="America/New_York", source_tz="UTC").clean
    utc = clean_table(raw, table="transactions", data_tz="UTC", source_tz="UTC").clean
    p_ny = features.preferences(ny, as_of="2017-12-31").iloc[0]
    p_utc = features.preferences(utc, as_of="2017-12-31").iloc[0]
    assert p_ny["weekend_share"] == 0.5 and p_utc["weekend_share"] == 0.0
    assert p_ny["evening_share"] == 0.5 and p_utc["morning_share"] == 0.5


@pytest.fixture(scope="module")
def synth_table():
    ds = datasets.load("synthetic", n_customers=3000, seed=1)
    table = profiles.feature_table(features.preferences(ds.transactions, as_of=ds.as_of),
                                   features.category_spend(ds.transactions, as_of=ds.as_of))
    return ds, table


def test_clustering_recovers_the_planted_preference_clusters(synth_table):
    ds, table = synth_table
    usable, dropped = profiles.usable(table, [c for c in table.columns if c not in (s.CUSTOMER_ID, "orders", "spend")])
    assert dropped == ["coupon_order_share"]  # the generator has no coupon column
    cl = profiles.cluster(table, features=usable, random_state=0)
    truth = ds.truth["traits"].set_index(s.CUSTOMER_ID)["cluster"].reindex(cl.labels.index)
    assert adjusted_rand_score(truth, cl.labels) >= 0.8
    assert cl.stability["ari_vs_first"].min() >= 0.9
    # negative control: the same clustering on features with no planted structure finds none
    flat = profiles.cluster(table, features=["discount_share", "discount_depth"], random_state=0)
    assert adjusted_rand_score(truth, flat.labels) < 0.05


def test_tgi_by_hand_and_significance():
    seg = pd.Series(["x"] * 100 + ["y"] * 100, index=[f"c{i}" for i in range(200)])
    attrs = pd.DataFrame({s.CUSTOMER_ID: seg.index, "age": ["55+"] * 60 + ["<55"] * 40 + ["55+"] * 20 + ["<55"] * 80})
    t = profiles.tgi_attributes(seg, attrs).set_index(["segment", "value"])
    assert t.loc[("x", "55+"), "tgi"] == pytest.approx(100 * 0.6 / 0.4)
    assert bool(t.loc[("x", "55+"), "significant"]) and t.loc[("x", "55+"), "covered"] == 200
    same = pd.DataFrame({s.CUSTOMER_ID: seg.index, "age": ["55+", "<55"] * 100})
    assert not profiles.tgi_attributes(seg, same)["significant"].any()


def test_lookalike_ranks_held_out_seed_and_random_seed_is_a_negative_control(synth_table):
    ds, table = synth_table
    usable, _ = profiles.usable(table, [c for c in table.columns if c not in (s.CUSTOMER_ID, "orders", "spend")])
    traits = ds.truth["traits"]
    seed = pd.Index(traits.loc[traits["cluster"] == 1, s.CUSTOMER_ID])
    look = profiles.lookalike(table, seed, features=usable, random_state=0)
    assert look["auc"] > 0.9 and look["recall_at_top"] > 0.5
    assert not look["candidates"][s.CUSTOMER_ID].isin(seed).any()
    rng = np.random.default_rng(0)
    noise = pd.Index(rng.choice(table[s.CUSTOMER_ID], size=len(seed), replace=False))
    assert abs(profiles.lookalike(table, noise, features=usable, random_state=0)["auc"] - 0.5) < 0.08


def test_seed_group_spec_errors():
    tiers = pd.DataFrame({s.CUSTOMER_ID: ["a"], "rf_segment": ["champions"]})
    with pytest.raises(ValueError, match="must look like"):
        profiles.seed_group("nonsense", tiers=tiers, clusters=pd.Series(dtype=int), responses=None)
    empty = profiles.seed_group("rf_segment:lost", tiers=tiers, clusters=pd.Series(dtype=int), responses=None)
    assert len(empty) == 0
    table = pd.DataFrame({s.CUSTOMER_ID: [f"c{i}" for i in range(30)], "x": np.arange(30.0)})
    look = profiles.lookalike(table, empty, features=["x"])
    assert "at least 10" in look["note"] and look["candidates"].empty


def test_too_few_or_identical_customers_form_one_stated_cluster():
    """One customer (or none that differ): one cluster 0 for everyone, and the reason, not an error."""
    one = pd.DataFrame({s.CUSTOMER_ID: ["a"], "weekend_share": [0.5], "evening_share": [0.1]})
    cl = profiles.cluster(one, features=[], k_range=range(2, 9))
    assert cl.k == 1 and cl.labels.tolist() == [0] and "no preference feature varies" in cl.note
    assert cl.silhouette.empty and profiles.name_clusters(cl.centers).tolist() == ["0: all customers"]
    same = pd.DataFrame({s.CUSTOMER_ID: list("abc"), "x": [1.0, 1.0, 2.0]})
    cl = profiles.cluster(same, features=["x"], k_range=range(2, 5))
    assert cl.k == 1 and "2 distinct customer profile(s)" in cl.note and (cl.labels == 0).all()
    three = pd.DataFrame({s.CUSTOMER_ID: list("abcd"), "x": [1.0, 1.1, 5.0, 5.2]})
    assert profiles.cluster(three, features=["x"], k_range=range(2, 5)).k == 2  # 4 profiles: k=2 tried


def test_feature_tgi_and_lookalike_without_features():
    seg = pd.Series(["a", "b"], index=["c1", "c2"])
    table = pd.DataFrame({s.CUSTOMER_ID: ["c1", "c2"], "x": [1.0, 1.0]})
    out = profiles.tgi_features(seg, table, features=[])
    assert out.empty and {"segment", "feature", "index", "significant"} <= set(out.columns)
    look = profiles.lookalike(table, pd.Index(["c1"]), features=[], min_seed=1)
    assert "no preference feature varies" in look["note"] and look["candidates"].empty


def test_cluster_table_is_the_contract_steps_4_and_5_read(synthetic):
    from userops import artifacts

    table = profiles.feature_table(features.preferences(synthetic.transactions, as_of=synthetic.as_of),
                                   features.category_spend(synthetic.transactions, as_of=synthetic.as_of))
    usable, _ = profiles.usable(table, [c for c in table.columns if c not in (s.CUSTOMER_ID, "orders", "spend")])
    cl = profiles.cluster(table, features=usable, k_range=range(2, 4), n_seeds=2, random_state=0)
    names = profiles.name_clusters(cl.centers)
    out = profiles.cluster_table(cl, names)
    assert list(out.columns) == ["customer_id", "cluster", "cluster_name"]
    assert len(out) == len(table) and out["customer_id"].is_unique
    assert (out["cluster_name"] == out["cluster"].map(names)).all()
    artifacts._check_columns(out, artifacts.REGISTRY["02_customer_clusters"], when="writing")


def test_clustering_chosen_on_a_sample_then_fitted_on_everyone(synth_table):
    # issue 12: with more customers than fit_sample, k and the seed check run on a sample and
    # the final k-means on every customer; deterministic, and the planted clusters still found
    ds, table = synth_table
    usable, _ = profiles.usable(table, [c for c in table.columns if c not in (s.CUSTOMER_ID, "orders", "spend")])
    full = profiles.cluster(table, features=usable, random_state=0)
    assert full.chosen_on == len(table) and profiles.sampling_note(full) == ""
    cl = profiles.cluster(table, features=usable, fit_sample=1000, random_state=0)
    again = profiles.cluster(table, features=usable, fit_sample=1000, random_state=0)
    assert cl.chosen_on == 1000 and len(cl.labels) == len(table)
    assert cl.labels.equals(again.labels) and cl.silhouette.equals(again.silhouette)
    truth = ds.truth["traits"].set_index(s.CUSTOMER_ID)["cluster"].reindex(cl.labels.index)
    assert cl.k == full.k and adjusted_rand_score(truth, cl.labels) >= 0.8
    note = profiles.sampling_note(cl)
    assert f"{1000:,}" in note and f"{len(table):,}" in note
