"""Report sentences for step 4 (coverage), generated from the data."""
from __future__ import annotations


import pandas as pd

from userops import i18n, tiers
from userops.coverage import NO_ORDERS
from userops.i18n import N_, _, ngettext
from userops.narrative.wording import sentences
from userops.narrative.tiering import unavailable
from userops.narrative.wording import extremes, name_list, nonzero

NEEDS = N_("a strategies table with the exposures of who each one reached would give it")
# funnel stages (the ``<stage>_rate`` columns of :func:`userops.coverage.funnel`) as the prose names them
_STAGES = {"purchased": N_("purchased"), "responded": N_("responded"), "repeated": N_("repeated")}
# step 2's preference features as the prose names them (lower case, inside a sentence)
_FEATURES = {"weekend_share": N_("weekend share"), "evening_share": N_("evening share"),
             "main_store_share": N_("main store share"), "discount_share": N_("discount share"),
             "coupon_order_share": N_("coupon order share")}
# the index's labels of this step's headline numbers (keys as the run status records them)
HEADLINES = (N_("coverage"), N_("strategies in window"), N_("customers reached by none"), N_("median conversion"))

__all__ = ["preference_fit_prose", "calendar_prose", "coverage_prose", "uncovered_prose", "intensity_prose", "overlap_prose", "fit_prose", "funnel_prose", "coverage_headlines"]


def calendar_prose(cal: pd.DataFrame, note: str, *, window_days: int) -> str:
    """Strategies in the window, their reach and conversion; ``note`` (in the report's language)
    says why there are none."""
    if note:
        return unavailable(_("the strategy calendar"), why=note, needs=_(NEEDS))
    kinds = cal.groupby("type").size()
    parts = _(", ").join(_("{n} of {type}").format(n=i18n.number(n), type=k) for k, n in kinds.items())
    silent = cal[cal["responders"] == 0]
    text = _("**{n}** strategies ran in the {days} days up to the cut-off ({kinds}). Reach ranges from **{low}** "
             "to **{high}** customers; the median conversion (responders / reached) is **{conversion}**.").format(
        n=i18n.number(len(cal)), days=i18n.number(window_days), kinds=parts, low=i18n.number(cal["reach"].min()),
        high=i18n.number(cal["reach"].max()), conversion=i18n.percent(cal["conversion"].median(), 1))
    if len(silent):
        which = _(", ").join(map(str, silent["strategy_id"].head(8)))
        text = sentences(text, ngettext(
            "**{n}** strategy has no recorded response ({which}): its conversion is 0, or responses were not "
            "recorded.",
            "**{n}** strategies have no recorded response ({which}): its conversion is 0, or responses were not "
            "recorded.", len(silent)).format(n=i18n.number(len(silent)), which=which))
    return text


def coverage_prose(m: pd.DataFrame, *, by: str, note: str = "", what: str = "",
                   needs: str = "", min_size: int = 10) -> str:
    """The highest and the lowest coverage (among segments of at least ``min_size``); when ``m``
    is empty, why (``note``, a clause) in one sentence. ``note``, ``what`` (the coverage shown,
    default "coverage by segment") and ``needs`` are in the report's language."""
    m = m[~m[by].isin([NO_ORDERS, _(NO_ORDERS)])] if len(m) else m
    if m.empty:
        return unavailable(what or _("coverage by segment"),
                           why=note or _("no strategy in the window reached anyone"), needs=needs or _(NEEDS))
    pct = (lambda v: i18n.percent(v, 0))
    cell = _("**{type}** in **{segment}**").format
    m = m.sort_values(["type", by])
    his, hi_p = extremes(m, "share_reached", largest=True, shown=pct)
    where = name_list([cell(type=r["type"], segment=tiers.name(r[by])) for _i, r in his.iterrows()], bold=False)
    if len(his) == 1:
        hi = his.iloc[0]
        text = _("The highest coverage is {where}: {share} of its {size} customers were reached.").format(
            where=where, share=hi_p, size=i18n.number(int(hi["segment_size"])))
    else:
        text = _("The highest coverage, {share} of the customers reached, is shared by {n} cells: {where}.").format(
            share=hi_p, n=i18n.number(len(his)), where=where)
    big = m[m["segment_size"] >= min_size]
    if big.empty:
        return sentences(text, _("No segment has {min_size} customers or more, so no lowest coverage is "
                                 "named.").format(min_size=i18n.number(min_size)))
    los, lo_p = extremes(big, "share_reached", largest=False, shown=pct)
    where = name_list([cell(type=r["type"], segment=tiers.name(r[by])) for _i, r in los.iterrows()], bold=False)
    if len(los) == 1:
        return sentences(text, _("The lowest, among segments with at least {min_size} customers, is {where} "
                                 "({share}).").format(min_size=i18n.number(min_size), where=where, share=lo_p))
    return sentences(text, _("The lowest, {share}, among segments with at least {min_size} customers, is shared by "
                             "{n} cells: {where}.").format(share=lo_p, min_size=i18n.number(min_size),
                                                           n=i18n.number(len(los)), where=where))


def uncovered_prose(summary: pd.DataFrame, *, n_customers: int, file: str) -> str:
    if summary.empty:
        return unavailable(_("the uncovered population"), why=_("no customer has an order up to the cut-off"),
                           needs=_("transactions before the cut-off would give it"))
    n = int(summary["uncovered"].sum())
    gmv = summary["uncovered_gmv_share"].sum()
    top = summary.sort_values(["uncovered_gmv_share"], ascending=False).iloc[0]
    return _("**{n}** of {total} customers (**{share}**) were reached by no strategy in the window; they bring "
             "**{gmv}** of GMV. The largest part of that GMV sits in **{group}** ({group_gmv} of all GMV, "
             "{group_n} customers). The full list, by GMV, is in `{file}` next to this report.").format(
        n=i18n.number(n), total=i18n.number(n_customers), share=i18n.percent(n / n_customers, 1),
        gmv=i18n.percent(gmv, 1), group=tiers.name(top.iloc[0]), group_gmv=i18n.percent(top["uncovered_gmv_share"], 1),
        group_n=i18n.number(int(top["uncovered"])), file=file)


def intensity_prose(inten: pd.DataFrame, *, by: str, note: str = "") -> str:
    if inten.empty or inten["mean_contacts"].sum() == 0:
        return unavailable(_("contact intensity"), why=note or _("no strategy in the window reached a customer "
                                                                  "with orders"), needs=_(NEEDS))
    inten = inten.sort_values(by)
    shown = ((lambda v: nonzero(v, decimals=1)) if inten["mean_contacts"].min() > 0
             else (lambda v: i18n.number(v, 1)))
    his, hi_v = extremes(inten, "mean_contacts", largest=True, shown=shown)
    los, lo_v = extremes(inten, "mean_contacts", largest=False, shown=shown)
    top_col = inten.columns[-1]
    hi = his.iloc[0]
    most = (_("{names} customers were reached most often: **{mean}** strategies on average, and {share} of them "
              "{times} times.").format(names=name_list([tiers.name(v) for v in his[by]]), mean=hi_v,
                                       share=i18n.percent(hi[top_col], 0), times=top_col)
            if len(his) == 1 else
            _("{names} customers were reached most often: **{mean}** strategies on average.").format(
                names=name_list([tiers.name(v) for v in his[by]]), mean=hi_v))
    return sentences(most, _("{names} were reached least ({mean} on average).").format(
        names=name_list([tiers.name(v) for v in los[by]]), mean=lo_v))


def overlap_prose(ov: pd.DataFrame, *, note: str = "") -> str:
    if note:
        return unavailable(_("overlapping strategies"), why=note, needs=_(NEEDS))
    if ov.empty:
        return _("No two strategies with reached customers ran at the same time.")
    top = ov.iloc[0]
    return _("**{n}** pairs of strategies ran at the same time. The largest overlap: strategies **{a}** and "
             "**{b}** shared **{both}** customers ({share} of the smaller one's reach) over {days} days.").format(
        n=i18n.number(len(ov)), a=top["strategy_a"], b=top["strategy_b"], both=i18n.number(int(top["both"])),
        share=i18n.percent(top["share_of_smaller"], 0), days=i18n.number(int(top["days_overlapping"])))


def fit_prose(fit: pd.DataFrame, *, note: str = "", has_offers: bool = True, has_category: bool = True) -> str:
    """The range of the offered-category index; when there is none, why."""
    if fit.empty or fit["index"].isna().all():
        why = (note or (_("the data has no offers table (what each strategy offered)") if not has_offers else
               _("the transactions have no category column to compare offers with") if not has_category else
               _("no offered category matches a strategy that reached customers in the window")))
        needs = _(NEEDS) if note else _("an offers table and transactions with a category would give it")
        return unavailable(_("the preference fit of each strategy's reach"), why=why, needs=needs)
    fit = fit.dropna(subset=["index"])
    hi = fit.sort_values(["index", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = fit.sort_values(["index", "strategy_id"]).iloc[0]
    return _("Across **{n}** strategies with known offers, the reached customers' spend share in the offered "
             "categories ranges from **{low}** (strategy {low_id}) to **{high}** (strategy {high_id}) on an index "
             "where 100 is the share among all customers. Near 100, a strategy reached customers with an "
             "ordinary mix of categories, not the ones who already buy what it offers. Spend is over the whole "
             "window, including what was bought during the strategies.").format(
        n=i18n.number(len(fit)), low=i18n.number(lo["index"]), low_id=lo["strategy_id"],
        high=i18n.number(hi["index"]), high_id=hi["strategy_id"])


def funnel_prose(fun: pd.DataFrame, *, note: str = "") -> str:
    if fun.empty:
        return unavailable(_("the funnel"), why=note or _("no strategy in the window reached anyone"),
                           needs=_(NEEDS))
    parts = []
    for r in fun.itertuples():
        stages = [_("**{type}**: {reached} reached, {bought} bought while it ran").format(
            type=r.type, reached=i18n.number(r.reached), bought=i18n.percent(r.purchased_rate, 0))]
        stages.append(_("{share} of those responded").format(share=i18n.percent(r.responded_rate, 0))
                      if pd.notna(r.responded_rate) else _("none of them has a recorded response"))
        if pd.notna(r.repeated_rate):
            stages.append(_("{share} of responders bought again after it").format(
                share=i18n.percent(r.repeated_rate, 0)))
        parts.append(_(", ").join(stages))
    rates = fun[["purchased_rate", "responded_rate", "repeated_rate"]].astype(float)
    weakest = fun.assign(min_rate=rates.min(axis=1)).dropna(subset=["min_rate"])
    text = [_("{stages}.").format(stages=_("; ").join(parts))]
    if len(weakest):
        w = weakest.sort_values(["min_rate", "type"]).iloc[0]
        stage = rates.loc[w.name].idxmin().replace("_rate", "")
        text.append(_("The weakest stage overall is **{stage}** in **{type}**.").format(
            stage=_(_STAGES.get(stage, stage)), type=w["type"]))
    return sentences(*text, _("These rates describe the funnel; they do not say what the strategy caused "
                              "(step 5)."))


def coverage_headlines(cal: pd.DataFrame, n_uncovered: int, n_customers: int, note: str) -> dict[str, object]:
    """The index's headline numbers (keys English, as the run status records them: see
    :data:`HEADLINES`; values in the report's language)."""
    if note:
        return {"coverage": note}
    out = {"strategies in window": i18n.number(len(cal)),
           "customers reached by none": _("{n} ({share})").format(n=i18n.number(n_uncovered),
                                                                  share=i18n.percent(n_uncovered / n_customers, 1))}
    if cal["conversion"].notna().any():
        out["median conversion"] = i18n.percent(cal["conversion"].median(), 1)
    return out


def preference_fit_prose(prefs: pd.DataFrame, *, note: str = "", has_features: bool = True) -> str:
    cols = [c for c in prefs.columns if c not in ("strategy_id", "reached")]
    long = prefs.melt(id_vars="strategy_id", value_vars=cols).dropna() if len(prefs) else prefs
    if long.empty:
        why = (note or (_("step 2's feature table is not in this run's artifacts") if not has_features else
                        _("no reached customer has preference features")))
        return unavailable(_("the preferences of each strategy's reach"), why=why,
                           needs=_(NEEDS) if note else _("running step 2 in the same report would give them"))
    hi = long.sort_values(["value", "strategy_id"], ascending=[False, True]).iloc[0]
    lo = long.sort_values(["value", "strategy_id"]).iloc[0]
    feature = (lambda name: _(_FEATURES[name]) if name in _FEATURES else name.replace("_", " "))
    return _("The strongest tilt: strategy **{high_id}** reached customers whose {high_feature} is **{high}** "
             "(100 = all customers); the weakest: strategy **{low_id}**, {low_feature} **{low}**. A strategy "
             "meant for, say, weekend shoppers should show a high weekend index.").format(
        high_id=hi["strategy_id"], high_feature=feature(hi["variable"]), high=i18n.number(hi["value"]),
        low_id=lo["strategy_id"], low_feature=feature(lo["variable"]),
        low=i18n.number(lo["value"]))
