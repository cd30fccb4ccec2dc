"""Print step 5's estimates on the generator's planted shapes beside the truth (issue 10).

Usage: python benchmarks/planted_effects.py
"""
from __future__ import annotations

import pandas as pd

from userops import effects, features, synth
from userops import schema as s

SHAPES = {"whole base, targeted on past spend": dict(random_state=0, shape="whole_base"),
          "staggered waves of one type": dict(random_state=0, shape="staggered"),
          "zero effect (negative control)": dict(random_state=1, shape="whole_base", zero_effect=("S1",))}


def main() -> None:
    rows = []
    for label, kw in SHAPES.items():
        sim = synth.generate(n_customers=2000, **kw)
        weekly = features.weekly_activity(sim.tables["transactions"], as_of=sim.as_of)
        res, designs = effects.estimate_all(weekly, tables=sim.tables, as_of=pd.Timestamp(sim.as_of),
                                            bands=synth.SPEND_BANDS, outcomes=("spend",))
        w = sim.truth["weekly"]
        for _, r in res.iterrows():
            sid = r[s.STRATEGY_ID]
            if sid not in designs:
                continue
            people, _ = designs[sid]
            used = set(people.loc[people["eligible"] & people["treated"], s.CUSTOMER_ID])
            t = w[(w["strategy"] == sid) & w["treated"] & w[s.CUSTOMER_ID].isin(used)]
            truth = float((t["y1"] - t["y0"]).mean())
            rows.append({"shape": label, "strategy": sid, "pool": r["pool"], "truth": truth,
                         "estimate": r["estimate"], "se": r["se"],
                         "z_vs_truth": (r["estimate"] - truth) / r["se"], "naive": r["naive"],
                         "placebo": r["placebo"]})
    print(pd.DataFrame(rows).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
