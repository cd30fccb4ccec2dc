"""Report sentences for step 2 (profiles), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops import i18n
from userops.i18n import _
from userops.narrative.tiering import unavailable
from userops.profiles import segment_label, trait

__all__ = ["feature_tgi_prose", "features_prose", "cluster_prose", "cluster_tier_prose", "tgi_prose", "lookalike_prose", "profiles_headlines"]


def features_prose(table: pd.DataFrame, dropped: list[str], *, window_days: int) -> str:
    medians = [(lambda v: _("median weekend share of orders **{share}**").format(share=i18n.percent(v)), "weekend_share"),
               (lambda v: _("median share of orders at the main store **{share}**").format(share=i18n.percent(v)),
                "main_store_share"),
               (lambda v: _("median **{days}** days between shopping days").format(days=i18n.number(v)), "median_gap_days")]
    said = [say(table[col].median()) for say, col in medians
            if col in table and pd.notna(table[col].median())]
    n = i18n.number(len(table))
    text = (_("**{n}** customers with orders in the {days} days up to the cut-off; {medians}.").format(
                n=n, days=i18n.number(window_days), medians=_(", ").join(said)) if said else
            _("**{n}** customers with orders in the {days} days up to the cut-off.").format(
                n=n, days=i18n.number(window_days)))
    if "median_gap_days" in table and table["median_gap_days"].isna().all():
        text += _(" No customer shopped on two days in the window, so there are no days between trips.")
    if dropped:
        text += _(" Left out of clustering because they do not vary in this data: {features}.").format(
            features=_(", ").join(trait(f) for f in dropped))
    return text


def _separation(silhouette: float) -> str:
    if silhouette >= 0.5:
        return _("well separated")
    if silhouette >= 0.25:
        return _("reasonably separated")
    return _("weakly separated: the groups overlap a lot, so read them as tendencies, not types")


def cluster_prose(cl, names: pd.Series) -> str:
    if cl.note:
        return "_" + _("Clusters cannot be formed: {why}; customers who differ in what, where or when they buy "
                       "would let them be, and meanwhile everyone is in one group, {name}.").format(
            why=cl.note, name=names.iloc[0]) + "_"
    sil = cl.silhouette.set_index("k")["silhouette"]
    sizes = cl.labels.value_counts().sort_index()
    parts = _("; ").join(_("**{name}** ({n})").format(name=names[c], n=i18n.number(n)) for c, n in sizes.items())
    text = _("The silhouette score is highest at **k = {k}** ({silhouette}; {separation}), so the customers form "
             "{k} clusters: {clusters}.").format(k=cl.k, silhouette=i18n.number(sil[cl.k], 2),
                                                 separation=_separation(sil[cl.k]), clusters=parts)
    if len(cl.stability):
        text = _("{sentence} {next}").format(sentence=text, next=_("Rerun with {seeds} different seeds, the clusters agree with an adjusted Rand index of "
                        "**{ari}** at worst (1 = identical).").format(
            seeds=i18n.number(len(cl.stability) + 1), ari=i18n.number(cl.stability["ari_vs_first"].min(), 2)))
    return text


def cluster_tier_prose(cross: pd.DataFrame) -> str:
    share = cross.div(cross.sum(axis=0), axis=1)
    seg, clu = share.stack().idxmax()
    return _("The clusters cut across the value segments: the strongest link is that **{share}** of cluster "
             "**{cluster}** are **{segment}**. Value (step 1) and preference (this step) are separate axes; a "
             "strategy can target both.").format(share=i18n.percent(share.loc[seg, clu]), cluster=clu,
                                                  segment=segment_label(seg))


def tgi_prose(tgi: pd.DataFrame, *, what: str, n_customers: int, n_attributes: int | None = None,
              n_groups: int | None = None) -> str:
    """Attribute coverage and the strongest significant TGI; when there is none, why.

    ``what`` is ``cluster`` or ``segment`` (the groups compared); ``n_attributes`` (attribute
    columns of the customers table) and ``n_groups`` (the number of groups in use) let an empty
    ``tgi`` say why it is empty.
    """
    cluster = what == "cluster"
    if tgi.empty:
        if n_attributes == 0 or n_attributes is None:
            why = _("the data has no customer attributes")
            needs = _("a customers table with attribute columns (age band, region, ...) would give them")
        elif n_groups is not None and n_groups < 2:
            why = (_("every customer is in one cluster, so there is no rest to compare with") if cluster else
                   _("every customer is in one segment, so there is no rest to compare with"))
            needs = _("two or more clusters would give them") if cluster else _("two or more segments would give them")
        else:
            why = (_("the customers with attributes fall in fewer than two clusters, so there is no rest to compare with")
                   if cluster else
                   _("the customers with attributes fall in fewer than two segments, so there is no rest to compare with"))
            needs = _("attributes for more of the customers would give them")
        return unavailable(_("cluster profiles against the base") if cluster else _("segment profiles against the base"),
                           why=why, needs=needs)
    covered = int(tgi["covered"].iloc[0])
    sig = tgi[tgi["significant"]]
    text = _("Customer attributes cover **{covered}** of {n} customers ({share}); the profiles describe that "
             "subset only. ").format(covered=i18n.number(covered), n=i18n.number(n_customers),
                                     share=i18n.percent(covered / n_customers))
    if sig.empty:
        return text + (_("No attribute value differs significantly between clusters and the population.") if cluster
                       else _("No attribute value differs significantly between segments and the population."))
    top = sig.reindex((sig["tgi"] - 100).abs().sort_values(ascending=False).index).iloc[0]
    fields = dict(n=i18n.number(len(sig)), group=top["segment"] if cluster else segment_label(top["segment"]),
                  attribute=top["attribute"], value=top["value"], tgi=i18n.number(top["tgi"]),
                  share=i18n.percent(top["segment_share"]), overall=i18n.percent(top["population_share"]))
    return text + (_("**{n}** attribute values differ significantly (after adjusting for many tests); the strongest: "
                     "in cluster **{group}**, {attribute} = {value} has TGI **{tgi}** ({share} vs {overall} overall).")
                   if cluster else
                   _("**{n}** attribute values differ significantly (after adjusting for many tests); the strongest: "
                     "in segment **{group}**, {attribute} = {value} has TGI **{tgi}** ({share} vs {overall} overall).")
                   ).format(**fields)


def feature_tgi_prose(pref_tgi: pd.DataFrame, *, what: str = "segment") -> str:
    """How many {what} x feature differences are significant, or why there are none to test
    (``what``: ``segment`` or ``cluster``)."""
    cluster = what == "cluster"
    if pref_tgi.empty:
        return unavailable(_("preference indices per cluster") if cluster else _("preference indices per segment"),
                           why=_("no preference feature varies across the customers"),
                           needs=_("customers who differ in what, where or when they buy would give them"))
    fields = dict(k=i18n.number(int(pref_tgi["significant"].sum())), n=i18n.number(len(pref_tgi)))
    return (_("**{k}** of {n} cluster × feature differences are significant after adjustment.") if cluster else
            _("**{k}** of {n} segment × feature differences are significant after adjustment.")).format(**fields)


def lookalike_prose(result: dict, *, spec: str) -> str:
    if result.get("note"):
        return "_" + _("Seed group **{spec}**: {why}; no look-alikes are scored.").format(
            spec=spec, why=result["note"]) + "_"
    top = result["coefficients"].head(3)
    drivers = _(", ").join(f"{trait(r.feature)} ({'+' if r.coefficient > 0 else '-'})" for r in top.itertuples())
    return _("Seed group **{spec}**: {seed} customers, {held} held out. The score ranks a held-out seed customer "
             "above a non-seed customer with probability **{auc}** (AUC), and **{recall}** of the held-out seed lands "
             "in the top {top} of scores. The features that drive the match most: {drivers}.").format(
        spec=spec, seed=i18n.number(result["seed"]), held=i18n.number(result["held_out"]),
        auc=i18n.number(result["auc"], 2), recall=i18n.percent(result["recall_at_top"]), top=i18n.percent(0.1),
        drivers=drivers)


def profiles_headlines(cl, names: pd.Series, look: dict) -> dict[str, object]:
    """Headline numbers for the report index (labels and values in the report's language)."""
    if len(cl.stability):
        clusters = _("{k} (ARI across seeds >= {ari})").format(
            k=cl.k, ari=i18n.number(cl.stability["ari_vs_first"].min(), 2))
    else:
        clusters = _("{k} ({note})").format(k=cl.k, note=cl.note) if cl.note else f"{cl.k}"
    out = {_("clusters"): clusters, _("largest cluster"): names.iloc[0]}
    if not look.get("note"):
        out[_("look-alike AUC on held-out seed")] = i18n.number(look["auc"], 2)
    return out
