"""Report sentences for step 2 (profiles), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops.narrative.tiering import unavailable

__all__ = ["feature_tgi_prose", "features_prose", "cluster_prose", "cluster_tier_prose", "tgi_prose", "lookalike_prose", "profiles_headlines"]


def features_prose(table: pd.DataFrame, dropped: list[str], *, window_days: int) -> str:
    medians = [(f"median weekend share of orders **{{:.0%}}**", "weekend_share"),
               (f"median share of orders at the main store **{{:.0%}}**", "main_store_share"),
               (f"median **{{:.0f}}** days between shopping days", "median_gap_days")]
    said = [fmt.format(table[col].median()) for fmt, col in medians
            if col in table and pd.notna(table[col].median())]
    text = (f"**{len(table):,}** customers with orders in the {window_days} days up to the cut-off"
            + (f"; {', '.join(said)}." if said else "."))
    if "median_gap_days" in table and table["median_gap_days"].isna().all():
        text += " No customer shopped on two days in the window, so there are no days between trips."
    if dropped:
        text += f" Left out of clustering because they do not vary in this data: {', '.join(dropped)}."
    return text


def cluster_prose(cl, names: pd.Series) -> str:
    if cl.note:
        return (f"_Clusters cannot be formed: {cl.note}; customers who differ in what, where or when "
                "they buy would let them be, and meanwhile everyone is in one group, "
                f"{names.iloc[0]}._")
    sil = cl.silhouette.set_index("k")["silhouette"]
    sizes = cl.labels.value_counts().sort_index()
    parts = "; ".join(f"**{names[c]}** ({n:,})" for c, n in sizes.items())
    strength = ("well separated" if sil[cl.k] >= 0.5 else "reasonably separated" if sil[cl.k] >= 0.25
                else "weakly separated: the groups overlap a lot, so read them as tendencies, not types")
    stable = (f"Rerun with {len(cl.stability) + 1} different seeds, the clusters agree with an adjusted "
              f"Rand index of **{cl.stability['ari_vs_first'].min():.2f}** at worst (1 = identical)."
              if len(cl.stability) else "")
    return (f"The silhouette score is highest at **k = {cl.k}** ({sil[cl.k]:.2f}; {strength}), so the "
            f"customers form {cl.k} clusters: {parts}. {stable}").strip()


def cluster_tier_prose(cross: pd.DataFrame) -> str:
    share = cross.div(cross.sum(axis=0), axis=1)
    seg, clu = share.stack().idxmax()
    return (f"The clusters cut across the value segments: the strongest link is that "
            f"**{share.loc[seg, clu]:.0%}** of cluster **{clu}** are **{seg}**. Value (step 1) and "
            "preference (this step) are separate axes; a strategy can target both.")


def tgi_prose(tgi: pd.DataFrame, *, what: str, n_customers: int, n_attributes: int | None = None,
              n_groups: int | None = None) -> str:
    """Attribute coverage and the strongest significant TGI; when there is none, why.

    ``n_attributes`` (attribute columns of the customers table) and ``n_groups`` (the number of
    {what}s in use) let an empty ``tgi`` say why it is empty.
    """
    if tgi.empty:
        if n_attributes == 0 or n_attributes is None:
            why, needs = "the data has no customer attributes", "a customers table with attribute columns (age band, region, ...) would give them"
        elif n_groups is not None and n_groups < 2:
            why, needs = f"every customer is in one {what}, so there is no rest to compare with", f"two or more {what}s would give them"
        else:
            why = f"the customers with attributes fall in fewer than two {what}s, so there is no rest to compare with"
            needs = "attributes for more of the customers would give them"
        return unavailable(f"{what} profiles against the base", why=why, needs=needs)
    covered = int(tgi["covered"].iloc[0])
    sig = tgi[tgi["significant"]]
    text = (f"Customer attributes cover **{covered:,}** of {n_customers:,} customers "
            f"({covered / n_customers:.0%}); the profiles describe that subset only. ")
    if sig.empty:
        return text + f"No attribute value differs significantly between {what}s and the population."
    top = sig.reindex((sig["tgi"] - 100).abs().sort_values(ascending=False).index).iloc[0]
    return text + (f"**{len(sig)}** attribute values differ significantly (after adjusting for many "
                   f"tests); the strongest: in {what} **{top['segment']}**, {top['attribute']} = "
                   f"{top['value']} has TGI **{top['tgi']:.0f}** ({top['segment_share']:.0%} vs "
                   f"{top['population_share']:.0%} overall).")


def feature_tgi_prose(pref_tgi: pd.DataFrame, *, what: str = "segment") -> str:
    """How many {what} x feature differences are significant, or why there are none to test."""
    if pref_tgi.empty:
        return unavailable(f"preference indices per {what}", why="no preference feature varies across the customers",
                           needs="customers who differ in what, where or when they buy would give them")
    return (f"**{int(pref_tgi['significant'].sum())}** of {len(pref_tgi)} {what} × feature differences "
            "are significant after adjustment.")


def lookalike_prose(result: dict, *, spec: str) -> str:
    if result.get("note"):
        return f"_Seed group **{spec}**: {result['note']}; no look-alikes are scored._"
    top = result["coefficients"].head(3)
    drivers = ", ".join(f"{r.feature} ({'+' if r.coefficient > 0 else '-'})" for r in top.itertuples())
    return (f"Seed group **{spec}**: {result['seed']:,} customers, {result['held_out']:,} held out. "
            f"The score ranks a held-out seed customer above a non-seed customer with probability "
            f"**{result['auc']:.2f}** (AUC), and **{result['recall_at_top']:.0%}** of the held-out seed "
            f"lands in the top 10% of scores. The features that drive the match most: {drivers}.")


def profiles_headlines(cl, names: pd.Series, look: dict) -> dict[str, object]:
    out = {"clusters": (f"{cl.k} (ARI across seeds >= {cl.stability['ari_vs_first'].min():.2f})"
                        if len(cl.stability) else f"{cl.k} ({cl.note})" if cl.note else f"{cl.k}"),
           "largest cluster": names.iloc[0]}
    if not look.get("note"):
        out["look-alike AUC on held-out seed"] = f"{look['auc']:.2f}"
    return out
