"""Report sentences for forward value (step 1), the revenue bridge (step 3) and the forward ROI
and audiences (step 6), generated from the data."""
from __future__ import annotations

import numpy as np
import pandas as pd

from userops.clv import MIN_REPEATERS, Forward

__all__ = ["clv_definitions", "clv_holdout_prose", "clv_fit_prose", "stage_alive_prose", "clv_headlines"]


def clv_definitions(fw: Forward, *, horizon_months: int) -> str:
    """What the model counts, over which horizon, and how it is checked."""
    horizon = (f"the next **{fw.horizon_days}** days ({horizon_months} months)" if fw.horizon_days and
               fw.horizon_days >= 28 * horizon_months else
               f"the next **{fw.horizon_days}** days (the data's own length, shorter than {horizon_months} months)")
    return (
        "**Definitions.** A *purchase* is a shopping day whose orders net to a positive value; a day that nets "
        "to zero or less (a return, a refunded or zero-value order) is not a purchase and its value is not "
        "counted. *Repeat purchases* are the purchases after a customer's first one. Purchase frequency follows "
        "a BG/NBD model (each customer buys at their own rate and may drop out after any purchase) and the value "
        "of a purchase a Gamma-Gamma model (each customer's mean value, shrunk toward the base's by how many "
        "repeat purchases back it), both fitted by maximum likelihood. *Expected orders* and *expected value* "
        f"cover {horizon}, not discounted; *P(alive)* is the chance a customer has not dropped out by the cut-off. "
        f"Before tiers use it, the model is fitted on the purchases up to {_day(fw.calibration_end)} and must "
        f"predict the repeat purchases of the **{fw.holdout_days}** days after within ±{fw.tolerance:.0%} in total.")


def clv_holdout_prose(fw: Forward) -> str:
    """The holdout check: predicted vs actual repeat purchases in total and where deciles miss most."""
    if not fw.total:
        return f"_{fw.reason}_"
    t, h = fw.total, fw.holdout
    worst = h.loc[h["error"].abs().idxmax()] if h["error"].notna().any() else None
    tail = (f" The largest miss is in decile {int(worst['decile'])} of prediction ({worst['predicted']:,.0f} "
            f"predicted, {worst['actual']:,.0f} actual, {worst['error']:+.0%})." if worst is not None else "")
    return (f"Fitted on the purchases up to {_day(fw.calibration_end)}, the model predicted **{t['predicted']:,.0f}** "
            f"repeat purchases by the **{int(t['customers']):,}** customers of that period in the "
            f"{fw.holdout_days} days after; **{t['actual']:,.0f}** happened (**{t['error']:+.1%}**).{tail} "
            f"**{fw.reason}**")


def clv_fit_prose(fw: Forward) -> str:
    """The final fit: parameters with standard errors, the value model and the totals."""
    if fw.bgnbd is None:
        return "_No model was fitted on all purchases: the holdout check above says why._"
    p, se = fw.bgnbd.params, fw.bgnbd.se
    parts = [f"On all **{fw.bgnbd.n:,}** customers' purchases up to the cut-off, BG/NBD gives "
             + ", ".join(f"{k} = {p[k]:.3g} (SE {se[k]:.2g})" for k in p) + "."]
    if fw.gamma_gamma is not None and not fw.gg_reason:
        g, gs = fw.gamma_gamma.params, fw.gamma_gamma.se
        parts.append(f"Gamma-Gamma, on the {fw.gamma_gamma.n:,} customers with a repeat purchase: "
                     + ", ".join(f"{k} = {g[k]:.3g} (SE {gs[k]:.2g})" for k in g)
                     + f"; a purchase is worth {g['p'] * g['v'] / (g['q'] - 1):,.2f} on average across the base.")
        if np.isfinite(fw.spend_frequency_corr):
            parts.append(f"The model assumes a customer's purchase value does not depend on how often they buy: "
                         f"the correlation between the two among repeat buyers is {fw.spend_frequency_corr:+.2f}"
                         + (" (weak, as assumed)." if abs(fw.spend_frequency_corr) < 0.3 else
                            " (not weak: read expected values with care)."))
    else:
        parts.append(f"{fw.gg_reason or 'Gamma-Gamma was not fitted'}, so expected value is not given "
                     f"(at least {MIN_REPEATERS} repeat buyers and a finite mean purchase value are needed).")
    c = fw.customers
    if len(c):
        value = c["expected_value"].sum() if c["expected_value"].notna().any() else float("nan")
        parts.append(f"Over the next {fw.horizon_days} days the {len(c):,} customers are expected to make "
                     f"**{c['expected_orders'].sum():,.0f}** purchases"
                     + (f" worth **{value:,.2f}**" if np.isfinite(value) else "")
                     + f"; the mean P(alive) is **{c['p_alive'].mean():.0%}**.")
    if not fw.used:
        parts.append(f"**Tiers do not carry these predictions: {fw.status}.**")
    return " ".join(parts)


def stage_alive_prose(cross: pd.DataFrame, disagreements: pd.DataFrame, *, level: float) -> str:
    """How often the recency-based lifecycle stage and the model's P(alive) disagree."""
    if cross.empty:
        return "_The tiers carry no P(alive) (the forward model is not used), so there is nothing to compare._"
    n = int(cross["customers"].sum())
    k = int(disagreements["customers"].sum()) if len(disagreements) else 0
    if not k:
        return (f"For all **{n:,}** customers the lifecycle stage and P(alive) (split at {level:g}) agree: "
                "active stages have a high P(alive), at-risk and dormant ones a low one.")
    by = disagreements.groupby("disagreement")["customers"].sum()
    detail = "; ".join(f"{kind}: **{int(v):,}**" for kind, v in by.items())
    return (f"The lifecycle stage (from days since the last order) and P(alive) (split at {level:g}) disagree for "
            f"**{k:,}** of **{n:,}** customers (**{k / n:.1%}**): {detail}. P(alive) also weighs how often a "
            "customer used to buy: a long silence is alarming for a frequent buyer and ordinary for a rare one.")


def clv_headlines(fw: Forward) -> dict[str, object]:
    """Headline numbers of the forward model for the report index."""
    out: dict[str, object] = {"forward model": fw.status}
    if fw.total:
        out["holdout error"] = f"{fw.total['error']:+.1%}" if np.isfinite(fw.total["error"]) else "n/a"
    if fw.used and fw.customers["expected_value"].notna().any():
        out[f"expected value, next {fw.horizon_days} days"] = f"{fw.customers['expected_value'].sum():,.0f}"
    return out


def _day(ts: pd.Timestamp | None) -> str:
    return "the calibration end" if ts is None else str(pd.Timestamp(ts).date())
