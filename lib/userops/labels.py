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

__all__ = ["LABELS", "KINDS", "label", "kind", "labels", "category_feature",
           "remember_categories", "remember", "category_of", "CATEGORY_PREFIX"]

CATEGORY_PREFIX = "cat_"
# kinds: share (0-1, shown as %), money, count, days, index (100 = base), id, text, date, number,
# p (a p-value), ratio
_ENTRIES: dict[str, tuple[str, str]] = {
    # customers and RFM (step 1)
    "customer_id": ("Customer", "id"),
    "customers": ("Customers", "count"),
    "recency_days": ("Recency (days since last order)", "days"),
    "frequency": ("Frequency (orders in the window)", "count"),
    "monetary": ("Monetary value (net spend in the window)", "money"),
    "mean_recency_days": ("Mean recency (days)", "days"),
    "median_recency_days": ("Median recency (days)", "days"),
    "mean_frequency": ("Mean frequency (orders)", "number"),
    "median_frequency": ("Median frequency (orders)", "number"),
    "mean_monetary": ("Mean monetary value", "money"),
    "rf_segment": ("R×F segment", "text"),
    "rfm_group": ("RFM group", "text"),
    "rfm_score": ("RFM score", "text"),
    "lifecycle_stage": ("Lifecycle stage", "text"),
    "customer_share": ("Share of customers (%)", "share"),
    "gmv": ("GMV", "money"),
    "gmv_share": ("Share of GMV (%)", "share"),
    "observed": ("Share who returned (%)", "share"),
    "probability": ("Chance of return (%)", "share"),
    "changed_any_share": ("Customers changing any tier (%)", "share"),
    "changed_rfm_score": ("Customers changing RFM score", "count"),
    "changed_rf_segment": ("Customers changing R×F segment", "count"),
    "changed_rfm_group": ("Customers changing RFM group", "count"),
    "changed_lifecycle_stage": ("Customers changing lifecycle stage", "count"),
    # load and data quality
    "input_rows": ("Input rows", "count"), "kept_rows": ("Rows kept", "count"),
    "rejected_rows": ("Rows set aside", "count"), "input_amount": ("Input amount", "money"),
    "kept_amount": ("Amount kept", "money"), "rejected_amount": ("Amount set aside", "money"),
    "return_amount": ("Amount of returns", "money"), "example_rows": ("Example rows", "text"),
    "rows": ("Rows", "count"), "amount": ("Amount", "money"),
    # preference features (step 2)
    "orders": ("Orders", "count"),
    "spend": ("Spend", "money"),
    "discount_share": ("Share of spend on discounted lines (%)", "share"),
    "discount_depth": ("Discount depth (% of gross spend)", "share"),
    "coupon_order_share": ("Orders with a coupon (%)", "share"),
    "stores": ("Stores used", "count"),
    "main_store_share": ("Orders at the main store (%)", "share"),
    "weekend_share": ("Weekend share (%)", "share"),
    "morning_share": ("Morning share of orders (%)", "share"),
    "afternoon_share": ("Afternoon share of orders (%)", "share"),
    "evening_share": ("Evening share of orders (%)", "share"),
    "median_gap_days": ("Median days between orders", "days"),
    "categories": ("Categories bought", "count"),
    "cluster": ("Cluster", "id"),
    "cluster_name": ("Preference cluster", "text"),
    "feature": ("Feature", "text"),
    "segment": ("Segment", "text"),
    "segment_share": ("Share in the segment (%)", "share"),
    "population_share": ("Share in the base (%)", "share"),
    "all_share": ("Share of all customers (%)", "share"),
    "tgi": ("TGI (100 = base)", "index"),
    "index": ("Index (100 = base)", "index"),
    "coefficient": ("Weight (standardized)", "number"),
    "score": ("Look-alike score", "number"),
    "silhouette": ("Silhouette score", "number"),
    # migration (step 3)
    "origin": ("State before", "text"), "dest": ("State after", "text"),
    "p": ("Share moving (%)", "share"), "n_origin": ("Customers in the state before", "count"),
    "transitions": ("Transitions", "count"), "moved_to": ("Moved to", "text"),
    "up": ("Up (%)", "share"), "stay": ("Stayed (%)", "share"), "down": ("Down (%)", "share"),
    "lapsed": ("Lapsed (%)", "share"), "returned": ("Returned (%)", "share"),
    "entered": ("Entered (%)", "share"),
    "gmv_before": ("GMV before", "money"), "gmv_after": ("GMV after", "money"),
    "naive_diff": ("Naive difference (share points)", "share"),
    "adjusted_diff": ("Adjusted difference (share points)", "share"),
    "eligible_n": ("Eligible customers", "count"),
    "eligible_exposed": ("Eligible and reached", "count"),
    "cohort": ("Cohort (first purchase month)", "text"),
    "current": ("Customers now", "count"),
    # coverage (step 4)
    "strategy_id": ("Strategy", "id"), "strategy_a": ("Strategy A", "id"),
    "strategy_b": ("Strategy B", "id"), "type": ("Strategy type", "text"),
    "name": ("Name", "text"), "start": ("Start", "date"), "end": ("End", "date"),
    "days": ("Days", "count"), "reach": ("Customers reached", "count"),
    "reach_a": ("Reached by A", "count"), "reach_b": ("Reached by B", "count"),
    "reached": ("Customers reached", "count"), "reached_share": ("Share reached (%)", "share"),
    "share_reached": ("Share reached (%)", "share"), "segment_size": ("Segment size", "count"),
    "responders": ("Responders", "count"), "responses": ("Responses", "count"),
    "conversion": ("Conversion (%)", "share"), "participants": ("Participants", "count"),
    "uncovered": ("Customers not reached", "count"),
    "uncovered_share": ("Share not reached (%)", "share"),
    "uncovered_gmv": ("GMV of customers not reached", "money"),
    "uncovered_gmv_share": ("Share of all GMV not reached (%)", "share"),
    "mean_contacts": ("Mean strategies per customer", "number"),
    "max_contacts": ("Most strategies per customer", "count"),
    "days_overlapping": ("Days overlapping", "count"),
    "share_of_smaller": ("Overlap (% of the smaller reach)", "share"),
    "offered": ("Offered categories", "text"),
    "purchased": ("Bought while running", "count"), "responded": ("Responded", "count"),
    "repeated": ("Bought again after", "count"),
    "purchased_rate": ("Bought while running (%)", "share"),
    "responded_rate": ("Responded (% of buyers)", "share"),
    "repeated_rate": ("Bought again after (% of responders)", "share"),
    "exposed": ("Reached", "count"), "strategies": ("Strategies", "count"),
    # effects (step 5)
    "estimate": ("Estimate", "number"), "se": ("Standard error", "number"),
    "ci_low": ("95% CI low", "number"), "ci_high": ("95% CI high", "number"),
    "p_value": ("p-value", "p"), "estimator": ("Estimator", "text"),
    "outcome": ("Outcome", "text"), "naive": ("Naive difference", "number"),
    "did_unweighted": ("DiD, unweighted", "number"), "ess": ("Effective comparison size", "number"),
    "max_smd_after": ("Largest standardized difference after weighting", "number"),
    "gate": ("Gate", "text"), "reason": ("Reason", "text"), "pool": ("Comparison pool", "text"),
    "pool_reason": ("Why this pool", "text"), "placebo": ("Placebo", "number"),
    "placebo_estimate": ("Placebo estimate", "number"),
    "placebo_ci_low": ("Placebo 95% CI low", "number"),
    "placebo_ci_high": ("Placebo 95% CI high", "number"),
    "eligible_treated": ("Eligible reached", "count"),
    "eligible_comparison": ("Eligible comparison", "count"),
    "holdout": ("Holdout", "text"), "holdout_customers": ("Holdout customers", "count"),
    "holdout_weeks": ("Holdout weeks", "count"), "weeks": ("Weeks", "count"),
    "reached_needed": ("Reached needed", "count"), "dropped_terms": ("Dropped terms", "text"),
    "term": ("Term", "text"), "ame": ("Average marginal effect", "number"),
    "ame_low": ("AME 95% CI low", "number"), "ame_high": ("AME 95% CI high", "number"),
    "shrunk": ("Shrunk estimate", "number"), "shrunk_se": ("Shrunk standard error", "number"),
    "pre_tier_rank": ("Spend tier before the start", "id"), "rel_week": ("Week from start", "number"),
    "spend_sd": ("Spend standard deviation", "money"),
    "pre_tier_index": ("Spend tier before the start", "number"),
    "log_spend_13w": ("Spend in the 13 weeks before (log)", "number"),
    "log_spend_26w": ("Spend in the 26 weeks before (log)", "number"),
    "past_responses": ("Past responses", "count"), "smd_before": ("Standardized difference before", "number"),
    "smd_after": ("Standardized difference after weighting", "number"),
    # review (step 6)
    "kpi": ("KPI", "text"), "metric": ("Metric", "text"), "definition": ("Definition", "text"),
    "unit": ("Unit", "text"), "cost": ("Cost", "money"), "arpu": ("Spend per reached customer", "money"),
    "roi": ("ROI", "ratio"), "roi_low": ("ROI 95% CI low", "ratio"),
    "roi_high": ("ROI 95% CI high", "ratio"), "incremental_gmv": ("Incremental GMV", "money"),
    "inc_low": ("Incremental GMV 95% CI low", "money"),
    "inc_high": ("Incremental GMV 95% CI high", "money"),
    "effect_status": ("Effect", "text"), "breakeven_effect": ("Break-even effect", "money"),
    "cost_per_customer": ("Cost per customer", "money"), "coverage": ("Coverage (%)", "share"),
    "value_per_customer": ("Expected incremental spend per customer-week", "money"),
    "budget": ("Budget", "money"), "action": ("Action", "text"), "alert": ("Alert", "text"),
    "change": ("Relative change (%)", "share"), "previous": ("Previous run", "number"),
    "reach_now": ("Reached now", "count"), "reach_recommended": ("Reach recommended", "count"),
    # forward value (step 1), the revenue bridge (step 3), persistence (5), forward ROI and audiences (6)
    "expected_orders": ("Expected purchases over the horizon", "number"),
    "expected_value": ("Expected value over the horizon", "money"),
    "expected_spend_per_order": ("Expected value of a purchase", "money"),
    "p_alive": ("P(alive) (%)", "share"), "mean_p_alive": ("Mean P(alive) (%)", "share"),
    "frequency_repeat": ("Repeat purchases", "count"), "decile": ("Decile of prediction", "count"),
    "predicted": ("Predicted repeat purchases", "number"), "actual": ("Actual repeat purchases", "count"),
    "error": ("Predicted / actual - 1 (%)", "share"), "model": ("Model", "text"), "param": ("Parameter", "text"),
    "status": ("Status", "text"), "disagreement": ("Disagreement", "text"),
    "from_period": ("From period", "text"), "customers_before": ("Buying customers before", "count"),
    "customers_after": ("Buying customers after", "count"), "orders_before": ("Orders before", "count"),
    "orders_after": ("Orders after", "count"), "gmv_change": ("GMV change", "money"),
    "bridge_change": ("GMV change in the bridge", "money"),
    "customers_effect": ("Customers term", "money"), "orders_effect": ("Orders per customer term", "money"),
    "basket_effect": ("Basket value term", "money"), "parts": ("Sum of the three terms", "money"),
    "difference": ("Difference (cents)", "count"),
    "run_estimate": ("Effect during the run", "money"), "post_weeks": ("Weeks after the run", "count"),
    "post_estimate": ("Effect after the run", "money"), "post_se": ("Standard error after the run", "money"),
    "post_ci_low": ("Effect after the run, 95% CI low", "money"),
    "post_ci_high": ("Effect after the run, 95% CI high", "money"),
    "persists": ("Lasts after the run", "text"), "persistence": ("After the run", "text"),
    "carried": ("Carried over the horizon", "money"), "carried_low": ("Carried, 95% CI low", "money"),
    "carried_high": ("Carried, 95% CI high", "money"),
    "forward_gmv": ("Incremental GMV, window and horizon", "money"), "forward_roi": ("Forward ROI", "ratio"),
    "forward_roi_low": ("Forward ROI 95% CI low", "ratio"), "forward_roi_high": ("Forward ROI 95% CI high", "ratio"),
    "forward": ("Forward view", "text"), "file": ("File", "text"), "tier": ("Tier", "text"),
    "held_out": ("Held out", "count"), "needed": ("Customers a test needs", "count"),
    # generic
    "value": ("Value", "text"), "count": ("Count", "count"), "mean": ("Mean", "number"),
    "std": ("Standard deviation", "number"), "min": ("Minimum", "number"),
    "max": ("Maximum", "number"), "note": ("Note", "text"), "rule": ("Rule", "text"),
    "table": ("Table", "text"), "parameter": ("Parameter", "text"), "period": ("Period", "text"),
    "label": ("Label", "text"), "group": ("Group", "text"), "share": ("Share (%)", "share"),
    "k": ("Number of clusters", "count"), "statistic": ("Statistic", "text"), "cut": ("Cut point", "number"),
}
LABELS: dict[str, str] = {k: v[0] for k, v in _ENTRIES.items()}
KINDS: dict[str, str] = {k: v[1] for k, v in _ENTRIES.items()}
_PREFIXES = (("mean_", "Mean {}"), ("median_", "Median {}"), ("n_", "Number of {}"),
             ("share_", "Share {} (%)"))
_SUFFIX_KIND = (("_share", "share"), ("_rate", "share"), ("_gmv", "money"), ("_spend", "money"),
                ("_amount", "money"), ("_days", "days"), ("_customers", "count"),
                ("_rows", "count"), ("_id", "id"), ("_low", "number"), ("_high", "number"))
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
    are shown as they are.
    """
    if not isinstance(name, str):
        return str(name)
    if name in LABELS:
        return LABELS[name]
    level = _LEVEL.fullmatch(name)  # a model term: C(region)[T.north]
    if level:
        return f"{label(level.group(1), categories=categories)}: {level.group(2)}"
    category = category_of(name, categories=categories)
    if category is not None:
        return "Other categories: share (%)" if category == "other" else f"Share of {category} (%)"
    for prefix, pattern in _PREFIXES:
        rest = name[len(prefix):]
        if name.startswith(prefix) and rest:
            inner = LABELS.get(rest, rest.replace("_", " "))
            inner = re.sub(r"\s*\(%\)$", "", inner)
            return pattern.format(inner[0].lower() + inner[1:] if inner[:2] != inner[:2].upper() else inner)
    if "_" in name:
        text = name.replace("_", " ").strip()
        return text[:1].upper() + text[1:]
    return name[:1].upper() + name[1:] if name.islower() else name


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
