"""Step 2: preference features, clusters chosen from the data, TGI profiles and look-alikes."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, roc_auc_score, silhouette_score
from sklearn.preprocessing import StandardScaler
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from userops import compute, i18n, schema as s
from userops.compute import one_thread
from userops.i18n import N_, _
from userops.labels import CATEGORY_PREFIX, category_of, remember_categories

__all__ = [
    "usable", "feature_table", "Clustering", "cluster", "sampling_note", "name_clusters", "cluster_table", "tgi_attributes", "tgi_features",
    "top_tgi", "seed_group", "lookalike", "trait", "segment_label",
]


def feature_table(prefs: pd.DataFrame, cat_spend: pd.DataFrame, *, top_categories: int = 8
                  ) -> pd.DataFrame:
    """Join behaviour features with spend shares of the ``top_categories`` largest categories
    (named ``cat_<name>``; the rest is ``cat_other``) and the number of categories bought."""
    top = cat_spend.groupby(s.CATEGORY)["spend"].sum().sort_values(ascending=False).head(top_categories).index
    c = cat_spend.assign(cat=np.where(cat_spend[s.CATEGORY].isin(top), cat_spend[s.CATEGORY], "other"))
    wide = c.pivot_table(index=s.CUSTOMER_ID, columns="cat", values="spend", aggfunc="sum", fill_value=0.0)
    total = wide.sum(axis=1)
    shares = wide.div(total.where(total > 0), axis=0).fillna(0.0)
    categories = remember_categories(shares.columns)
    shares.columns = list(categories)
    breadth = cat_spend[cat_spend["spend"] > 0].groupby(s.CUSTOMER_ID)[s.CATEGORY].nunique().rename("categories")
    out = prefs.set_index(s.CUSTOMER_ID).join(shares, how="left").join(breadth, how="left")
    fill = [c for c in out.columns if c.startswith("cat_")] + ["categories"]
    out = out.fillna({c: 0.0 for c in fill}).reset_index()
    out.attrs["categories"] = categories  # feature name -> category, kept in its parquet file
    return out


def usable(table: pd.DataFrame, features: list[str]) -> tuple[list[str], list[str]]:
    """Split ``features`` into those that vary across customers and those that do not (all
    missing or constant: e.g. no coupon column in the data); only the first can cluster."""
    keep = [f for f in features if table[f].notna().any() and table[f].std(skipna=True) > 0]
    return keep, [f for f in features if f not in keep]


@dataclass(frozen=True)
class Clustering:
    """The chosen clustering with the evidence: silhouette per k and stability across seeds."""

    labels: pd.Series
    k: int
    silhouette: pd.DataFrame
    stability: pd.DataFrame
    centers: pd.DataFrame
    features: list[str]
    note: str = ""  # why the customers were not clustered (then everyone is in cluster 0)
    # customers k and the stability were chosen on: all of them (``len(labels)``) unless there
    # are more than ``fit_sample``, then a random sample of that many; the final fit uses all
    chosen_on: int = 0


def cluster(table: pd.DataFrame, *, features: list[str], k_range: range = range(2, 9),
            n_seeds: int = 5, sample: int = 5000, fit_sample: int = 20_000,
            random_state: int = 0) -> Clustering:
    """K-means on standardized ``features``; k maximizes the silhouette (on a sample of up to
    ``sample`` customers); stability is the adjusted Rand index between seeds at that k.

    With more than ``fit_sample`` customers, k and the stability are chosen on a random sample of
    ``fit_sample`` customers (``chosen_on`` says how many; the silhouette sample is drawn from
    it) and the clustering at that k is then fitted on every customer; with fewer, everything
    runs on all customers. Deterministic for a given ``random_state``. The fits run on one
    thread (:func:`userops.compute.one_thread`).

    With no feature that varies, or too few distinct customers for two clusters, everyone is put
    in one cluster 0 and ``note`` says why (the silhouette and stability frames are empty).
    """
    distinct = len(table[features].drop_duplicates()) if features else 0
    if not features or distinct <= min(k_range, default=2):
        return _one_cluster(table, features, _why_one_cluster(features, distinct, min(k_range, default=2)))
    X = _standardized(table, features)
    with one_thread():
        if len(X) > fit_sample:
            pick = np.sort(np.random.default_rng(random_state).choice(len(X), size=fit_sample, replace=False))
            sil, stab, _ = _choose_k(X[pick], k_range=k_range, distinct=len(np.unique(X[pick], axis=0)), n_seeds=n_seeds, sample=sample,
                                     random_state=random_state)
            k = int(sil.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
            final = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit(X)
        else:
            sil, stab, final = _choose_k(X, k_range=k_range, distinct=distinct, n_seeds=n_seeds, sample=sample,
                                         random_state=random_state)
            k = final.n_clusters
    labels, centers = _ordered(final.labels_, final.cluster_centers_, table, features)
    return Clustering(labels=pd.Series(labels, index=table[s.CUSTOMER_ID].to_numpy(), name="cluster"),
                      k=k, silhouette=sil, stability=stab, centers=centers, features=features,
                      chosen_on=min(len(X), fit_sample))


def _choose_k(X: np.ndarray, *, k_range: range, distinct: int, n_seeds: int, sample: int,
              random_state: int) -> tuple[pd.DataFrame, pd.DataFrame, KMeans]:
    """Silhouette per k (on up to ``sample`` rows of ``X``), the best k's stability across
    ``n_seeds`` seeds and its first run."""
    rng = np.random.default_rng(random_state)
    idx = rng.choice(len(X), size=min(sample, len(X)), replace=False)
    rows = []
    for k in k_range:
        if k >= distinct:
            break
        labels = KMeans(n_clusters=k, n_init=10, random_state=random_state).fit_predict(X)
        rows.append({"k": k, "silhouette": float(silhouette_score(X[idx], labels[idx]))})
    sil = pd.DataFrame(rows)
    if sil.empty:
        raise ValueError(f"too few customers ({len(X)}) to cluster")
    k = int(sil.sort_values(["silhouette", "k"], ascending=[False, True]).iloc[0]["k"])
    runs = [KMeans(n_clusters=k, n_init=10, random_state=random_state + i).fit(X) for i in range(n_seeds)]
    stab = pd.DataFrame({"seed": range(1, n_seeds),
                         "ari_vs_first": [adjusted_rand_score(runs[0].labels_, r.labels_) for r in runs[1:]]})
    return sil, stab, runs[0]


def sampling_note(clustering: Clustering) -> str:
    """One sentence when k and the stability were chosen on a sample of the customers (more than
    ``fit_sample`` of them), else an empty string."""
    n, on = len(clustering.labels), clustering.chosen_on
    if clustering.note or not 0 < on < n:
        return ""
    return _("The number of clusters and the seed check were chosen on a random sample of **{on}** of the **{n}** "
             "customers, for speed; the clusters shown were then fitted on every customer.").format(
        on=i18n.number(on), n=i18n.number(n))


def cluster_table(clustering: Clustering, names: pd.Series) -> pd.DataFrame:
    """One row per customer: ``customer_id``, ``cluster`` and ``cluster_name`` (the columns of
    the ``02_customer_clusters`` artifact that steps 4 and 5 read)."""
    labels = clustering.labels
    return pd.DataFrame({s.CUSTOMER_ID: labels.index.astype(str), "cluster": labels.to_numpy().astype("int64"),
                         "cluster_name": labels.map(names).astype(str).to_numpy()})


def name_clusters(centers: pd.DataFrame, *, n_terms: int = 2) -> pd.Series:
    """Name each cluster by its most distinctive standardized features, e.g. 'high weekend share'
    (a single cluster is ``0: all customers``)."""
    names = {}
    if len(centers) == 1:
        return pd.Series({centers.index[0]: _("{cluster}: all customers").format(cluster=centers.index[0])}, name="name")
    for c, row in centers.iterrows():
        top = row.reindex(row.abs().sort_values(ascending=False).index).head(n_terms)
        terms = [(_("high {feature}") if v > 0 else _("low {feature}")).format(feature=trait(f)) for f, v in top.items()]
        names[c] = _("{cluster}: {traits}").format(cluster=c, traits=_(", ").join(terms))
    return pd.Series(names, name="name")


def tgi_attributes(segments: pd.Series, attributes: pd.DataFrame, *, min_count: int = 5) -> pd.DataFrame:
    """TGI of each attribute value in each segment: segment share / population share x 100.

    ``segments`` maps customer_id -> segment; ``attributes`` has customer_id and attribute
    columns (customers without attributes are left out; ``covered`` says how many remain). A
    two-proportion z-test (segment vs rest) with Benjamini-Hochberg adjustment gives
    ``p_adjusted``; ``significant`` is p_adjusted < 0.05 and at least ``min_count`` customers.
    """
    d = attributes.merge(segments.rename("segment"), left_on=s.CUSTOMER_ID, right_index=True)
    rows = []
    for col in [c for c in attributes.columns if c != s.CUSTOMER_ID]:
        for seg, g in d.groupby("segment", observed=True):
            rest = d[d["segment"] != seg]
            for value, n in g[col].value_counts().items():
                m = int((rest[col] == value).sum())
                if len(rest) == 0:
                    continue
                _z, p = proportions_ztest([n, m], [len(g), len(rest)]) if 0 < n + m < len(g) + len(rest) else (0, 1.0)
                rows.append({"segment": seg, "attribute": col, "value": value, "count": int(n),
                             "segment_share": n / len(g), "population_share": (d[col] == value).mean(),
                             "p_value": float(p)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["tgi"] = 100 * out["segment_share"] / out["population_share"]
    out["p_adjusted"] = multipletests(out["p_value"].fillna(1.0), method="fdr_bh")[1]
    out["significant"] = (out["p_adjusted"] < 0.05) & (out["count"] >= min_count)
    out["covered"] = len(d)
    return out.sort_values(["segment", "attribute", "value"], ignore_index=True)


def tgi_features(segments: pd.Series, table: pd.DataFrame, *, features: list[str]) -> pd.DataFrame:
    """Index of each feature's mean in a segment vs the population (x 100), Welch t-test vs the
    rest, Benjamini-Hochberg adjusted."""
    d = table.set_index(s.CUSTOMER_ID)[features].join(segments.rename("segment"), how="inner")
    rows = []
    for seg, g in d.groupby("segment", observed=True):
        rest = d[d["segment"] != seg]
        for f in features:
            pop = d[f].mean()
            a, b = g[f].dropna(), rest[f].dropna()
            # no test where either side has (almost) no spread: the t statistic is undefined there
            testable = len(a) > 1 and len(b) > 1 and min(a.std(), b.std()) > 1e-9 * (abs(pop) + 1)
            p = stats.ttest_ind(a, b, equal_var=False).pvalue if testable else np.nan
            rows.append({"segment": seg, "feature": f, "segment_mean": g[f].mean(), "population_mean": pop,
                         "index": 100 * g[f].mean() / pop if pop else np.nan, "p_value": p})
    out = pd.DataFrame(rows, columns=["segment", "feature", "segment_mean", "population_mean", "index",
                                      "p_value"])
    out["p_adjusted"] = (multipletests(out["p_value"].fillna(1.0), method="fdr_bh")[1] if len(out)
                         else pd.Series(dtype=float))
    out["significant"] = out["p_adjusted"] < 0.05
    return out


def top_tgi(tgi: pd.DataFrame, *, n: int = 15) -> pd.DataFrame:
    """The ``n`` highest significant TGIs with a ``label`` 'segment | attribute = value'."""
    if tgi.empty:
        return pd.DataFrame(columns=["label", "tgi"])
    sig = tgi[tgi["significant"]]
    label = sig["segment"].astype(str) + " | " + sig["attribute"] + " = " + sig["value"].astype(str)
    return sig.assign(label=label).sort_values(["tgi", "label"], ascending=[False, True]).head(n)


def seed_group(spec: str, *, tiers: pd.DataFrame, clusters: pd.Series,
               responses: pd.DataFrame | None) -> pd.Index:
    """Customers named by ``spec``: ``"<tier column>:<value>"`` (e.g. ``rf_segment:champions``),
    ``"cluster:<n>"`` or ``"responders:<strategy_id>"``."""
    kind, _sep, value = spec.partition(":")
    if kind == "cluster":
        ids = clusters.index[clusters.astype(str) == value]
    elif kind == "responders":
        if responses is None:
            raise ValueError("`seed` asks for responders, but the data has no responses table")
        ids = responses.loc[responses[s.STRATEGY_ID].astype(str) == value, s.CUSTOMER_ID].unique()
    elif kind in tiers.columns:
        ids = tiers.loc[tiers[kind].astype(str) == value, s.CUSTOMER_ID]
    else:
        raise ValueError(f"`seed` must look like 'rf_segment:champions', 'cluster:1' or "
                         f"'responders:<strategy_id>', not {spec!r}")
    return pd.Index(ids, name=s.CUSTOMER_ID)


def lookalike(table: pd.DataFrame, seed: pd.Index, *, features: list[str], holdout: float = 0.3,
              top_n: int = 50, min_seed: int = 10, random_state: int = 0) -> dict[str, object]:
    """Score every customer by how much they look like the seed group.

    A logistic model learns seed vs everyone else on standardized features, with ``holdout``
    of the seed kept out. Returns ``candidates`` (the ``top_n`` best non-seed customers with
    their score and the features that drive it), ``auc`` (how well the scores rank held-out
    seed customers above non-seed customers), ``recall_at_top`` (share of the held-out seed in
    the top decile) and ``coefficients``.
    """
    ids = table[s.CUSTOMER_ID].to_numpy()
    in_seed = np.asarray(compute.isin(table[s.CUSTOMER_ID], seed), dtype=bool)
    note = (_("no preference feature varies across the customers, so there is nothing to match on")
            if not features else
            _("the seed group has {seed} customers with features and {rest} are outside it; at least {least} "
              "are needed on each side").format(seed=i18n.number(int(in_seed.sum())),
                                                rest=i18n.number(int((~in_seed).sum())), least=min_seed)
            if in_seed.sum() < min_seed or (~in_seed).sum() < min_seed else "")
    if note:
        return {"candidates": pd.DataFrame(columns=[s.CUSTOMER_ID, "score", "drivers"]), "auc": np.nan,
                "recall_at_top": np.nan, "seed": int(in_seed.sum()), "held_out": 0,
                "coefficients": pd.DataFrame(columns=["feature", "coefficient"]), "note": note}
    X = _standardized(table, features)
    rng = np.random.default_rng(random_state)
    seed_idx = np.flatnonzero(in_seed)
    held = rng.choice(seed_idx, size=max(1, int(round(holdout * len(seed_idx)))), replace=False)
    train_y = in_seed.copy()
    train_mask = np.ones(len(ids), dtype=bool)
    train_mask[held] = False
    with one_thread():
        model = LogisticRegression(max_iter=2000, class_weight="balanced").fit(X[train_mask], train_y[train_mask])
    score = model.predict_proba(X)[:, 1]
    eval_mask = ~in_seed | np.isin(np.arange(len(ids)), held)
    auc = roc_auc_score(in_seed[eval_mask], score[eval_mask])
    cutoff = np.quantile(score[eval_mask], 0.9)
    recall = float((score[held] >= cutoff).mean())
    contrib = X * model.coef_[0]
    order = np.argsort(-np.where(in_seed, -np.inf, score), kind="stable")[:top_n]
    cand = pd.DataFrame({s.CUSTOMER_ID: ids[order], "score": score[order],
                         "drivers": [_(", ").join(trait(features[j]) for j in np.argsort(-contrib[i])[:3]) for i in order]})
    coef = pd.DataFrame({"feature": features, "coefficient": model.coef_[0]}).sort_values(
        "coefficient", key=np.abs, ascending=False, ignore_index=True)
    return {"candidates": cand, "auc": float(auc), "recall_at_top": recall, "seed": int(in_seed.sum()),
            "held_out": len(held), "coefficients": coef, "note": ""}


# -- private helpers ------------------------------------------------------------------------

def _why_one_cluster(features: list[str], distinct: int, k: int) -> str:
    """Why the customers are not clustered, in the report's language (a function of its own:
    :func:`cluster` uses ``_`` as a name)."""
    if not features:
        return _("no preference feature varies across the customers")
    return _("{n} distinct customer profile(s) are too few for {k} clusters").format(n=i18n.number(distinct), k=k)


def _one_cluster(table: pd.DataFrame, features: list[str], why: str) -> Clustering:
    labels = pd.Series(np.zeros(len(table), dtype="int64"), index=table[s.CUSTOMER_ID].to_numpy(), name="cluster")
    centers = pd.DataFrame(np.zeros((1, len(features))), columns=features).rename_axis("cluster")
    return Clustering(labels=labels, k=1, silhouette=pd.DataFrame(columns=["k", "silhouette"]),
                      stability=pd.DataFrame(columns=["seed", "ari_vs_first"]), centers=centers,
                      features=features, note=why, chosen_on=len(table))


def _standardized(table: pd.DataFrame, features: list[str]) -> np.ndarray:
    X = table[features].astype(float)
    X = X.fillna(X.median())
    return StandardScaler().fit_transform(X.to_numpy())


def _ordered(labels: np.ndarray, centers: np.ndarray, table: pd.DataFrame, features: list[str]):
    """Number clusters by size (0 = largest) so that labels do not depend on the seed's order."""
    sizes = np.bincount(labels)
    order = np.lexsort((np.arange(len(sizes)), -sizes))
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    frame = pd.DataFrame(centers[order], columns=features).rename_axis("cluster")
    return remap[labels], frame


def segment_label(segment: object) -> str:
    """A step 1 segment (``champions``) as the reader sees it: its name through the catalog,
    where step 1's part translates it (the value itself stays as step 1 wrote it)."""
    return _(str(segment))


# a feature as a cluster's name (and a look-alike's drivers) say it, in the report's language
_NAME_WORDS = {
    "orders": N_("orders"), "spend": N_("spend"), "discount_share": N_("discount share"),
    "discount_depth": N_("discount depth"), "coupon_order_share": N_("coupon order share"),
    "stores": N_("stores"), "main_store_share": N_("main store share"), "weekend_share": N_("weekend share"),
    "morning_share": N_("morning share"), "afternoon_share": N_("afternoon share"),
    "evening_share": N_("evening share"), "median_gap_days": N_("median gap days"),
    "categories": N_("categories"),
}


def trait(feature: str) -> str:
    """A feature as a cluster's name says it: "weekend share", "食品 share" (in the report's
    language; a feature without a word of its own reads as its name with blanks)."""
    category = category_of(feature)
    if category is None:
        return _(_NAME_WORDS[feature]) if feature in _NAME_WORDS else feature.replace("_", " ")
    if feature == CATEGORY_PREFIX + "other":
        return _("other share")
    return _("{category} share").format(category=category)
