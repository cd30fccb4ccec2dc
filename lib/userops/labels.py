"""Labels for people: the one mapping from column and feature names to what a chart or table shows.

``weekend_share`` reads "Weekend share (%)", ``median_gap_days`` "Median days between orders",
``cat_食品`` "Share of 食品 (%)". Every chart (:mod:`userops.plots`) and every table
(:mod:`userops.display`) asks :func:`label` for its headers and axis labels, and :func:`kind` for
how a column's values are written (a share as a percent, money with two decimals, ...).

A category feature is named from its category by :func:`category_feature` (a name a model
formula accepts: ``食品・飲料`` becomes ``cat_食品_飲料``); :func:`remember_categories` keeps the
way back, so the label shows the category's real name.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from userops.i18n import N_, _

__all__ = ["LABELS", "KINDS", "label", "kind", "labels", "is_model_term", "category_feature",
           "remember_categories", "remember", "category_of", "CATEGORY_PREFIX"]

CATEGORY_PREFIX = "cat_"
# kinds: share (0-1, shown as %), money, count, days, index (100 = base), id, text, date, number,
# p (a p-value), ratio
_ENTRIES: dict[str, tuple[str, str]] = {
    # customers and RFM (step 1)
    "customer_id": (N_("Customer"), "id"),
    "customers": (N_("Customers"), "count"),
    "recency_days": (N_("Recency (days since last order)"), "days"),
    "frequency": (N_("Frequency (orders in the window)"), "count"),
    "monetary": (N_("Monetary value (net spend in the window)"), "money"),
    "mean_recency_days": (N_("Mean recency (days)"), "days"),
    "median_recency_days": (N_("Median recency (days)"), "days"),
    "mean_frequency": (N_("Mean frequency (orders)"), "number"),
    "median_frequency": (N_("Median frequency (orders)"), "number"),
    "mean_monetary": (N_("Mean monetary value"), "money"),
    "rf_segment": (N_("R×F segment"), "text"),
    "rfm_group": (N_("RFM group"), "text"),
    "rfm_score": (N_("RFM score"), "text"),
    "lifecycle_stage": (N_("Lifecycle stage"), "text"),
    "customer_share": (N_("Share of customers (%)"), "share"),
    "gmv": (N_("GMV"), "money"),
    "gmv_share": (N_("Share of GMV (%)"), "share"),
    "observed": (N_("Share who returned (%)"), "share"),
    "probability": (N_("Chance of return (%)"), "share"),
    "changed_any_share": (N_("Customers changing any tier (%)"), "share"),
    "changed_rfm_score": (N_("Customers changing RFM score"), "count"),
    "changed_rf_segment": (N_("Customers changing R×F segment"), "count"),
    "changed_rfm_group": (N_("Customers changing RFM group"), "count"),
    "changed_lifecycle_stage": (N_("Customers changing lifecycle stage"), "count"),
    # load and data quality
    "input_rows": (N_("Input rows"), "count"), "kept_rows": (N_("Rows kept"), "count"),
    "rejected_rows": (N_("Rows set aside"), "count"), "input_amount": (N_("Input amount"), "money"),
    "kept_amount": (N_("Amount kept"), "money"), "rejected_amount": (N_("Amount set aside"), "money"),
    "return_amount": (N_("Amount of returns"), "money"), "example_rows": (N_("Example rows"), "text"),
    "rows": (N_("Rows"), "count"), "amount": (N_("Amount"), "money"),
    # preference features (step 2)
    "orders": (N_("Orders"), "count"),
    "spend": (N_("Spend"), "money"),
    "discount_share": (N_("Share of spend on discounted lines (%)"), "share"),
    "discount_depth": (N_("Discount depth (% of gross spend)"), "share"),
    "coupon_order_share": (N_("Orders with a coupon (%)"), "share"),
    "stores": (N_("Stores used"), "count"),
    "main_store_share": (N_("Orders at the main store (%)"), "share"),
    "weekend_share": (N_("Weekend share (%)"), "share"),
    "morning_share": (N_("Morning share of orders (%)"), "share"),
    "afternoon_share": (N_("Afternoon share of orders (%)"), "share"),
    "evening_share": (N_("Evening share of orders (%)"), "share"),
    "median_gap_days": (N_("Median days between orders"), "days"),
    "categories": (N_("Categories bought"), "count"),
    "cluster": (N_("Cluster"), "id"),
    "cluster_name": (N_("Preference cluster"), "text"),
    "feature": (N_("Feature"), "text"),
    "segment": (N_("Segment"), "text"),
    "segment_share": (N_("Share in the segment (%)"), "share"),
    "population_share": (N_("Share in the base (%)"), "share"),
    "all_share": (N_("Share of all customers (%)"), "share"),
    "tgi": (N_("TGI (100 = base)"), "index"),
    "index": (N_("Index (100 = base)"), "index"),
    "coefficient": (N_("Weight (standardized)"), "number"),
    "score": (N_("Look-alike score"), "number"),
    "silhouette": (N_("Silhouette score"), "number"),
    # migration (step 3)
    "origin": (N_("State before"), "text"), "dest": (N_("State after"), "text"),
    "p": (N_("Share moving (%)"), "share"), "n_origin": (N_("Customers in the state before"), "count"),
    "transitions": (N_("Transitions"), "count"), "moved_to": (N_("Moved to"), "text"),
    "up": (N_("Up (%)"), "share"), "stay": (N_("Stayed (%)"), "share"), "down": (N_("Down (%)"), "share"),
    "lapsed": (N_("Lapsed (%)"), "share"), "returned": (N_("Returned (%)"), "share"),
    "entered": (N_("Entered (%)"), "share"),
    "gmv_before": (N_("GMV before"), "money"), "gmv_after": (N_("GMV after"), "money"),
    "naive_diff": (N_("Naive difference (share points)"), "share"),
    "adjusted_diff": (N_("Adjusted difference (share points)"), "share"),
    "eligible_n": (N_("Eligible customers"), "count"),
    "eligible_exposed": (N_("Eligible and reached"), "count"),
    "cohort": (N_("Cohort (first purchase month)"), "text"),
    "current": (N_("Customers now"), "count"),
    # coverage (step 4)
    "strategy_id": (N_("Strategy"), "id"), "strategy_a": (N_("Strategy A"), "id"),
    "strategy_b": (N_("Strategy B"), "id"), "type": (N_("Strategy type"), "text"),
    "name": (N_("Name"), "text"), "start": (N_("Start"), "date"), "end": (N_("End"), "date"),
    "days": (N_("Days"), "count"), "reach": (N_("Customers reached"), "count"),
    "reach_a": (N_("Reached by A"), "count"), "reach_b": (N_("Reached by B"), "count"),
    "reached": (N_("Customers reached"), "count"), "reached_share": (N_("Share reached (%)"), "share"),
    "share_reached": (N_("Share reached (%)"), "share"), "segment_size": (N_("Segment size"), "count"),
    "responders": (N_("Responders"), "count"), "responses": (N_("Responses"), "count"),
    "conversion": (N_("Conversion (%)"), "share"), "participants": (N_("Participants"), "count"),
    "uncovered": (N_("Customers not reached"), "count"),
    "uncovered_share": (N_("Share not reached (%)"), "share"),
    "uncovered_gmv": (N_("GMV of customers not reached"), "money"),
    "uncovered_gmv_share": (N_("Share of all GMV not reached (%)"), "share"),
    "mean_contacts": (N_("Mean strategies per customer"), "number"),
    "max_contacts": (N_("Most strategies per customer"), "count"),
    "days_overlapping": (N_("Days overlapping"), "count"),
    "share_of_smaller": (N_("Overlap (% of the smaller reach)"), "share"),
    "offered": (N_("Offered categories"), "text"),
    "purchased": (N_("Bought while running"), "count"), "responded": (N_("Responded"), "count"),
    "repeated": (N_("Bought again after"), "count"),
    "purchased_rate": (N_("Bought while running (%)"), "share"),
    "responded_rate": (N_("Responded (% of buyers)"), "share"),
    "repeated_rate": (N_("Bought again after (% of responders)"), "share"),
    "exposed": (N_("Reached"), "count"), "strategies": (N_("Strategies"), "count"),
    # effects (step 5)
    "estimate": (N_("Estimate"), "number"), "se": (N_("Standard error"), "number"),
    "ci_low": (N_("95% CI low"), "number"), "ci_high": (N_("95% CI high"), "number"),
    "p_value": (N_("p-value"), "p"), "estimator": (N_("Estimator"), "text"),
    "outcome": (N_("Outcome"), "text"), "naive": (N_("Naive difference"), "number"),
    "did_unweighted": (N_("DiD, unweighted"), "number"), "ess": (N_("Effective comparison size"), "number"),
    "max_smd_after": (N_("Largest standardized difference after weighting"), "number"),
    "gate": (N_("Gate"), "text"), "reason": (N_("Reason"), "text"), "pool": (N_("Comparison pool"), "text"),
    "pool_reason": (N_("Why this pool"), "text"), "placebo": (N_("Placebo"), "number"),
    "placebo_estimate": (N_("Placebo estimate"), "number"),
    "placebo_ci_low": (N_("Placebo 95% CI low"), "number"),
    "placebo_ci_high": (N_("Placebo 95% CI high"), "number"),
    "eligible_treated": (N_("Eligible reached"), "count"),
    "eligible_comparison": (N_("Eligible comparison"), "count"),
    "holdout": (N_("Holdout"), "text"), "holdout_customers": (N_("Holdout customers"), "count"),
    "holdout_weeks": (N_("Holdout weeks"), "count"), "weeks": (N_("Weeks"), "count"),
    "reached_needed": (N_("Reached needed"), "count"), "dropped_terms": (N_("Dropped terms"), "text"),
    "term": (N_("Term"), "text"), "ame": (N_("Average marginal effect"), "number"),
    "ame_low": (N_("AME 95% CI low"), "number"), "ame_high": (N_("AME 95% CI high"), "number"),
    "shrunk": (N_("Shrunk estimate"), "number"), "shrunk_se": (N_("Shrunk standard error"), "number"),
    "pre_tier_rank": (N_("Spend tier before the start"), "id"), "rel_week": (N_("Week from start"), "number"),
    "spend_sd": (N_("Spend standard deviation"), "money"),
    "pre_tier_index": (N_("Spend tier before the start"), "number"),
    "log_spend_13w": (N_("Spend in the 13 weeks before (log)"), "number"),
    "log_spend_26w": (N_("Spend in the 26 weeks before (log)"), "number"),
    "past_responses": (N_("Past responses"), "count"), "smd_before": (N_("Standardized difference before"), "number"),
    "smd_after": (N_("Standardized difference after weighting"), "number"),
    # review (step 6)
    "kpi": (N_("KPI"), "text"), "metric": (N_("Metric"), "text"), "definition": (N_("Definition"), "text"),
    "unit": (N_("Unit"), "text"), "cost": (N_("Cost"), "money"), "arpu": (N_("Spend per reached customer"), "money"),
    "roi": (N_("ROI"), "ratio"), "roi_low": (N_("ROI 95% CI low"), "ratio"),
    "roi_high": (N_("ROI 95% CI high"), "ratio"), "incremental_gmv": (N_("Incremental GMV"), "money"),
    "inc_low": (N_("Incremental GMV 95% CI low"), "money"),
    "inc_high": (N_("Incremental GMV 95% CI high"), "money"),
    "effect_status": (N_("Effect"), "text"), "breakeven_effect": (N_("Break-even effect"), "money"),
    "cost_per_customer": (N_("Cost per customer"), "money"), "coverage": (N_("Coverage (%)"), "share"),
    "value_per_customer": (N_("Expected incremental spend per customer-week"), "money"),
    "budget": (N_("Budget"), "money"), "action": (N_("Action"), "text"), "alert": (N_("Alert"), "text"),
    "change": (N_("Relative change (%)"), "share"), "previous": (N_("Previous run"), "number"),
    "this_run": (N_("This run"), "number"),
    "reach_now": (N_("Reached now"), "count"), "reach_recommended": (N_("Reach recommended"), "count"),
    # forward value (step 1), the revenue bridge (step 3), persistence (5), forward ROI and audiences (6)
    "expected_orders": (N_("Expected purchases over the horizon"), "number"),
    "expected_value": (N_("Expected value over the horizon"), "money"),
    "expected_spend_per_order": (N_("Expected value of a purchase"), "money"),
    "p_alive": (N_("P(alive) (%)"), "share"), "mean_p_alive": (N_("Mean P(alive) (%)"), "share"),
    "frequency_repeat": (N_("Repeat purchases"), "count"), "decile": (N_("Decile of prediction"), "count"),
    "predicted": (N_("Predicted repeat purchases"), "number"), "actual": (N_("Actual repeat purchases"), "count"),
    "error": (N_("Predicted / actual - 1 (%)"), "share"), "model": (N_("Model"), "text"),
    "param": (N_("Parameter"), "text"),
    "status": (N_("Status"), "text"), "disagreement": (N_("Disagreement"), "text"),
    "from_period": (N_("From period"), "text"), "customers_before": (N_("Buying customers before"), "count"),
    "customers_after": (N_("Buying customers after"), "count"), "orders_before": (N_("Orders before"), "count"),
    "orders_after": (N_("Orders after"), "count"), "gmv_change": (N_("GMV change"), "money"),
    "bridge_change": (N_("GMV change in the bridge"), "money"),
    "customers_effect": (N_("Customers term"), "money"), "orders_effect": (N_("Orders per customer term"), "money"),
    "basket_effect": (N_("Basket value term"), "money"), "parts": (N_("Sum of the three terms"), "money"),
    "difference": (N_("Difference (cents)"), "count"),
    "run_estimate": (N_("Effect during the run"), "money"), "post_weeks": (N_("Weeks after the run"), "count"),
    "post_estimate": (N_("Effect after the run"), "money"), "post_se": (N_("Standard error after the run"), "money"),
    "post_ci_low": (N_("Effect after the run, 95% CI low"), "money"),
    "post_ci_high": (N_("Effect after the run, 95% CI high"), "money"),
    "persists": (N_("Lasts after the run"), "text"), "persistence": (N_("After the run"), "text"),
    "carried": (N_("Carried over the horizon"), "money"), "carried_low": (N_("Carried, 95% CI low"), "money"),
    "carried_high": (N_("Carried, 95% CI high"), "money"),
    "forward_gmv": (N_("Incremental GMV, window and horizon"), "money"), "forward_roi": (N_("Forward ROI"), "ratio"),
    "forward_roi_low": (N_("Forward ROI 95% CI low"), "ratio"),
    "forward_roi_high": (N_("Forward ROI 95% CI high"), "ratio"),
    "forward": (N_("Forward view"), "text"), "file": (N_("File"), "text"), "tier": (N_("Tier"), "text"),
    "held_out": (N_("Held out"), "count"), "needed": (N_("Customers a test needs"), "count"),
    # generic
    "value": (N_("Value"), "text"), "count": (N_("Count"), "count"), "mean": (N_("Mean"), "number"),
    "std": (N_("Standard deviation"), "number"), "min": (N_("Minimum"), "number"),
    "max": (N_("Maximum"), "number"), "note": (N_("Note"), "text"), "rule": (N_("Rule"), "text"),
    "table": (N_("Table"), "text"), "parameter": (N_("Parameter"), "text"), "period": (N_("Period"), "text"),
    "label": (N_("Label"), "text"), "group": (N_("Group"), "text"), "share": (N_("Share (%)"), "share"),
    "k": (N_("Number of clusters"), "count"), "statistic": (N_("Statistic"), "text"),
    "cut": (N_("Cut point"), "number"),
    # names whose English label is the name itself, made words (listed to be translated)
    "recency_band": (N_("Recency band"), "text"), "n": (N_("N"), "number"), "fitted": (N_("Fitted"), "number"),
    "kind": (N_("Kind"), "text"), "state": (N_("State"), "text"), "pair": (N_("Pair"), "text"),
    "both": (N_("Both"), "number"), "holdout_share": (N_("Holdout share"), "share"),
    "rows_amount_unparseable": (N_("Rows amount unparseable"), "number"),
    "ts_dst_ambiguous_kept": (N_("Ts dst ambiguous kept"), "number"),
    "ts_dst_gap_shifted": (N_("Ts dst gap shifted"), "number"), "ids_merged": (N_("Ids merged"), "number"),
    "customer_ids_in_transactions": (N_("Customer ids in transactions"), "number"),
    "strategy_ids_in_strategies": (N_("Strategy ids in strategies"), "number"),
    "r_score": (N_("R score"), "number"), "f_score": (N_("F score"), "number"), "m_score": (N_("M score"), "number"),
    "origin_rank": (N_("Origin rank"), "number"), "dest_rank": (N_("Dest rank"), "number"),
    "effect": (N_("Effect"), "number"), "effect_low": (N_("Effect low"), "number"),
    "effect_high": (N_("Effect high"), "number"), "effect_se": (N_("Effect se"), "number"),
    "period_days": (N_("Period days"), "days"), "run_id": (N_("Run id"), "id"),
    "spend_before": (N_("Spend before"), "number"), "spend_after": (N_("Spend after"), "number"),
    "Intercept": (N_("Intercept"), "number"),  # a model's term, in a table of terms
    "drivers": (N_("Drivers"), "text"), "to period": (N_("To period"), "text"),
    "frequency_part": (N_("Frequency part"), "number"), "basket_part": (N_("Basket part"), "number"),
    "now": (N_("Now"), "number"), "projected": (N_("Projected"), "number"),
    "cost_per_contact": (N_("Cost per contact"), "number"), "pooled": (N_("Pooled"), "text"),
    "treated_baseline": (N_("Treated baseline"), "number"), "covariate": (N_("Covariate"), "text"),
    "treated_mean": (N_("Treated mean"), "number"), "comparison_mean": (N_("Comparison mean"), "number"),
    "weighted_comparison_mean": (N_("Weighted comparison mean"), "number"),
    "comparison": (N_("Comparison"), "number"), "overall": (N_("Overall"), "number"), "tau": (N_("Tau"), "number"),
    "marginal_effect": (N_("Marginal effect"), "number"), "c": (N_("C"), "number"), "x": (N_("X"), "number"),
    "net_value": (N_("Net value"), "number"), "source": (N_("Source"), "text"),
}
LABELS: dict[str, str] = {k: v[0] for k, v in _ENTRIES.items()}
KINDS: dict[str, str] = {k: v[1] for k, v in _ENTRIES.items()}
# a name built from another: the inner name's label (in the report's language) in the pattern
_PREFIXES = (("mean_", N_("Mean {name}")), ("median_", N_("Median {name}")), ("n_", N_("Number of {name}")),
             ("share_", N_("Share {name} (%)")))
_SUFFIX_KIND = (("_share", "share"), ("_rate", "share"), ("_gmv", "money"), ("_spend", "money"),
                ("_amount", "money"), ("_days", "days"), ("_customers", "count"),
                ("_rows", "count"), ("_id", "id"), ("_low", "number"), ("_high", "number"))
_UNIT_PERCENT = re.compile(r"\s*[(（]%[)）]$")  # "(%)" at the end of a label, in any language
_LEVEL = re.compile(r"C\((\w+)\)\[T\.(.+)\]")
_categories: dict[str, str] = {}  # feature name -> category, filled by remember_categories


def category_feature(category: object) -> str:
    """The feature name of a category's spend share: ``cat_`` and the category with every
    character that is not a letter or digit made ``_`` (a name model formulas accept)."""
    slug = "".join(ch.lower() if ch.isalnum() else "_" for ch in str(category)).strip("_")
    return CATEGORY_PREFIX + slug


def remember_categories(categories: Iterable[object]) -> dict[str, str]:
    """Keep the way back from each category's feature name to the category (for :func:`label`);
    returns ``feature name -> category`` for these categories."""
    found = {category_feature(c): str(c) for c in categories}
    remember(found)
    return found


def remember(features: Mapping[str, str]) -> None:
    """Keep ``feature name -> category`` pairs (e.g. those an artifact carries in its
    ``attrs["categories"]``) for :func:`label`."""
    _categories.update({str(k): str(v) for k, v in features.items()})


def category_of(feature: str, *, categories: Mapping[str, str] | None = None) -> str | None:
    """The category a ``cat_`` feature stands for (its real name when known), else None."""
    if not str(feature).startswith(CATEGORY_PREFIX):
        return None
    known = {**_categories, **(categories or {})}
    return known.get(feature, feature[len(CATEGORY_PREFIX):].replace("_", " "))


def label(name: object, *, categories: Mapping[str, str] | None = None) -> str:
    """What a reader sees for the column or feature ``name``.

    Known names come from :data:`LABELS`; a category feature reads "Share of <category> (%)";
    ``mean_x`` / ``median_x`` / ``n_x`` are built from ``x``; any other ``snake_case`` name has its
    ``_`` made blanks and its first letter capitalised. Names that are not text (a year, a k)
    are shown as they are. Labels are in the report's language (:mod:`userops.i18n`), looked up
    when asked for; data values inside a label (a category, a model term's level) stay as they are.
    """
    if not isinstance(name, str):
        return str(name)
    if name in LABELS:
        return _(LABELS[name])
    level = _LEVEL.fullmatch(name)  # a model term: C(region)[T.north]
    if level:
        return _("{feature}: {level}").format(feature=label(level.group(1), categories=categories),
                                              level=level.group(2))
    category = category_of(name, categories=categories)
    if category is not None:
        return _("Other categories: share (%)") if category == "other" else \
            _("Share of {category} (%)").format(category=category)
    for prefix, pattern in _PREFIXES:
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest:
            inner = _(LABELS[rest]) if rest in LABELS else rest.replace("_", " ")
            inner = _UNIT_PERCENT.sub("", inner)
            return _(pattern).format(name=inner[0].lower() + inner[1:] if inner[:2] != inner[:2].upper() else inner)
    if "_" in name:
        text = name.replace("_", " ").strip()
        return text[:1].upper() + text[1:]
    return name[:1].upper() + name[1:] if name.islower() else name


def is_model_term(name: object) -> bool:
    """Whether ``name`` is a model formula's term for a level of a categorical attribute
    (``C(region)[T.north]``), which :func:`label` writes as "Region: north"."""
    return isinstance(name, str) and _LEVEL.fullmatch(name) is not None


def labels(names: Iterable[object], *, categories: Mapping[str, str] | None = None) -> list[str]:
    """:func:`label` of each name; two names that would read the same keep their own name in
    brackets (a table cannot have two columns of one header)."""
    names = list(names)
    shown = [label(n, categories=categories) for n in names]
    counts = {s: shown.count(s) for s in shown}
    return [s if counts[s] == 1 else f"{s} [{n}]" for s, n in zip(shown, names)]


def kind(name: object) -> str:
    """How values of column ``name`` are written: ``share`` (a 0-1 share, shown as %), ``money``,
    ``count``, ``days``, ``index`` (100 = base), ``id``, ``text``, ``date``, ``p``, ``ratio`` or
    ``number``; a category feature is a share."""
    if not isinstance(name, str):
        return "number"
    if name in KINDS:
        return KINDS[name]
    if name.startswith(CATEGORY_PREFIX):
        return "share"
    for suffix, k in _SUFFIX_KIND:
        if name.endswith(suffix):
            return k
    return "number"
