"""Steps 2 and 3 in Japanese: the prose, findings, headlines, cluster names and the names shown
for states and groups come from the catalog, with no English sentence left and every bold pair
closed as the report's Markdown renderer reads it; the artifacts keep the internal English
values; in English nothing changes."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from userops import bridge, datasets, features, findings, i18n, migration, profiles
from userops import narrative as text

# what may stay Latin in a Japanese sentence: measure names, code names, tier names, data values
# (the synthetic data's categories are upper case: DRUG GM)
_ALLOWED = re.compile(r"GMV|TGI|AUC|ARI|R×F|Jeffreys|Benjamini-Hochberg|k = \d+|[a-z]+_[a-z_0-9]+|"
                      r"\b[A-Z][A-Z&-]+(?:\s[A-Z][A-Z&-]+)*\b|"
                      r"rf_segment:\w+|artifacts/\S+|`[^`]*`|Type [A-Z]|T\d [^\s、。）]*")
_ENGLISH = re.compile(r"[A-Za-z]{2,}(?:\s+[A-Za-z]{2,})+")  # two English words in a row


def english_left(sentence: str) -> list[str]:
    return _ENGLISH.findall(_ALLOWED.sub(" ", sentence))


def bold_broken(sentence: str) -> bool:
    """Whether the Markdown renderer of the report leaves a ``**`` unmatched or pairs them
    otherwise than written (in Japanese a bold value ending in ``%`` or ``+`` right before a kana
    is not closed there by CommonMark, and the next ``**`` closes it)."""
    html = markdown2html_mistune(sentence)
    tags = re.findall(r"</?strong>", html)
    nested = any(a == b for a, b in zip(tags, tags[1:]))  # <strong>48%<strong>です…</strong>21%</strong>
    return "**" in html or nested or len(tags) != sentence.count("**")




@pytest.fixture(scope="module")
def data():
    return datasets.load("synthetic", n_customers=800, seed=3)


def _step2(ds) -> list[str]:
    lines = ds.lines()
    table = profiles.feature_table(features.preferences(lines, as_of=ds.as_of, window_days=365),
                                   features.category_spend(lines, as_of=ds.as_of, window_days=365), top_categories=5)
    usable, dropped = profiles.usable(table, [c for c in table.columns if c not in ("customer_id", "orders", "spend")])
    cl = profiles.cluster(table, features=usable, k_range=range(2, 5), n_seeds=3, random_state=0)
    names = profiles.name_clusters(cl.centers)
    segments = pd.Series(["champions", "at_risk"] * (len(table) // 2) + ["champions"] * (len(table) % 2),
                         index=table["customer_id"].to_numpy())
    cross = pd.crosstab(segments, cl.labels.map(names))
    attributes = ds.tables.get("customers", pd.DataFrame(columns=["customer_id"]))
    tgi = profiles.tgi_attributes(cl.labels.map(names), attributes)
    look = profiles.lookalike(table, pd.Index(table["customer_id"].iloc[::7]), features=usable, random_state=0)
    none = profiles.lookalike(table, pd.Index([]), features=usable)
    one = profiles.cluster(table.head(3), features=usable, k_range=range(2, 5))
    out = [text.features_prose(table, dropped + ["coupon_order_share"], window_days=365), text.cluster_prose(cl, names),
           text.cluster_prose(one, profiles.name_clusters(one.centers)), text.cluster_tier_prose(cross),
           text.tgi_prose(tgi, what="cluster", n_customers=len(table), n_attributes=attributes.shape[1] - 1, n_groups=cl.k),
           text.tgi_prose(tgi.iloc[0:0], what="segment", n_customers=len(table), n_attributes=0),
           text.feature_tgi_prose(profiles.tgi_features(segments, table, features=usable)),
           text.lookalike_prose(look, spec="cluster:1"), text.lookalike_prose(none, spec="cluster:9"),
           profiles.sampling_note(cl), *names]
    out += [f"{k} {v}" for k, v in text.profiles_headlines(cl, names, look).items()]
    out += [part for f in findings.profiles(cl, names, look, profiles.top_tgi(tgi)) for part in (f.found, f.do, f.section)]
    return [s for s in out if s]


def _step3(ds) -> list[str]:
    lines = ds.lines()
    asked = features.period_bounds(as_of=ds.as_of, period="13W", n_periods=4)
    bounds = migration.observed_periods(asked, first_day=features.first_line(lines))
    activity = features.period_activity(lines, bounds=bounds)
    bands = migration.derive_bands(activity, n_tiers=4)
    state = migration.states(activity, bounds=bounds, bands=bands)
    moves = migration.transitions(state)
    pooled, draws = migration.pooled_matrix(moves, n_boot=20, random_state=0)
    last = moves[moves["pair"] == moves["pair"].max()]
    mov = migration.movement(moves)
    effect = migration.exposure_effect(moves, exposures=ds.tables["exposures"], strategies=ds.tables["strategies"],
                                       bounds=bounds, min_customers=30)
    retention = migration.cohort_retention(features.monthly_activity(lines, as_of=ds.as_of), burn_in_months=3)
    current = state[state["period"] == state["period"].max()]["state"].value_counts()
    projection = migration.project(current, draws, origins=list(dict.fromkeys(pooled["origin"])),
                                   dests=[str(c) for c in moves["dest"].cat.categories])
    table, tiers_ = bridge.bridge(moves), bridge.bridge(moves, by="origin")
    out = [text.bands_prose(bands, bounds, reference=None, asked=asked, first_day=features.first_line(lines)),
           text.periods_unavailable(asked, bounds.head(1), first_day=features.first_line(lines), period="Q"),
           text.matrix_prose(pooled, n_transitions=len(moves), n_customers=moves["customer_id"].nunique()),
           text.matrix_prose(migration.matrix(last), n_transitions=len(last), n_customers=len(last),
                             interval="Jeffreys", into=bounds["label"].iloc[-1]),
           text.movement_prose(mov), text.movement_prose(mov.iloc[0:0]), text.decomposition_prose(migration.decompose(moves)),
           text.exposure_prose(effect), text.exposure_prose(effect.iloc[0:0], has_strategies=False),
           text.retention_prose(retention), text.projection_prose(projection), text.projection_prose(projection.iloc[0:0]),
           text.bridge_prose(table, bounds, check=bridge.check(table, moves), tier_check=bridge.check(tiers_, moves, by="origin")),
           *bridge.steps(table, pair=int(table["pair"].max()))[1]["label"]]
    out += [f"{k} {v}" for k, v in text.migration_headlines(mov, effect).items()]
    out += [part for f in findings.migration(mov, effect) for part in (f.found, f.do, f.section)]
    out += [str(v) for v in migration.pair_table(migration.pair_matrices(moves, bounds)).columns]
    return [s for s in out if s]


def test_steps_2_and_3_read_in_japanese(data, ja):
    sentences = _step2(data) + _step3(data)
    left = {s: english_left(s) for s in sentences if english_left(s)}
    assert not left, left
    broken = [s for s in sentences if bold_broken(s)]
    assert not broken, broken


def test_english_is_unchanged_by_the_catalog(data):
    before = _step2(data) + _step3(data)
    i18n.use("ja")
    i18n.use("en")
    assert _step2(data) + _step3(data) == before
    assert not [s for s in before if bold_broken(s)]


def test_states_are_translated_where_shown_and_stay_english_inside(data, ja):
    moves = migration.transitions(migration.states(
        features.period_activity(data.lines(), bounds=features.period_bounds(as_of=data.as_of, period="13W", n_periods=3)),
        bounds=features.period_bounds(as_of=data.as_of, period="13W", n_periods=3), bands=(50.0, 150.0)))
    assert "lapsed" in set(moves["dest"].astype(str))  # the values stay English
    shown = migration.for_display(migration.flows(moves))
    assert "離反" in set(shown["dest"].astype(str)) and "lapsed" not in set(shown["dest"].astype(str))
    assert list(shown["origin"].cat.categories)[:2] == ["新規", "離反"]  # the order of the states is kept
    assert migration.shown_state("T2 50-150") == "T2 50-150"  # a tier's name is a value


def test_pair_table_writes_every_cell_as_a_percent_with_its_interval(data):
    bounds = features.period_bounds(as_of=data.as_of, period="13W", n_periods=3)
    moves = migration.transitions(migration.states(features.period_activity(data.lines(), bounds=bounds),
                                                   bounds=bounds, bands=(50.0, 150.0)))
    pairs = migration.pair_matrices(moves, bounds)
    table = migration.pair_table(pairs)
    states = [str(s) for s in moves["dest"].cat.categories]
    assert list(table.columns) == ["To period", "origin", *[f"→ {s}" for s in states]]
    cells = table.drop(columns=["To period", "origin"]).to_numpy().ravel()
    assert all(re.fullmatch(r"\d+\.\d% \[\d+\.\d%, \d+\.\d%\]", c) for c in cells)
    first = pairs.iloc[0]
    row = table[(table["To period"] == first["to period"]) & (table["origin"] == str(first["origin"]))]
    assert row[f"→ {first['dest']}"].iloc[0].startswith(f"{first['p']:.1%} [")


def test_exposure_table_writes_the_interval_in_percents_beside_the_difference():
    effect = pd.DataFrame({"type": ["A", "B"], "strategies": [3, 1], "transitions": [10, 0], "exposed": [5, 0],
                           "naive_diff": [0.03, float("nan")], "eligible_n": [8, 0], "eligible_exposed": [4, 0],
                           "adjusted_diff": [0.032, float("nan")], "ci_low": [-0.01, float("nan")],
                           "ci_high": [0.074, float("nan")], "p_value": [0.2, float("nan")], "note": ["", "too few"]})
    table = migration.exposure_table(effect)
    assert "ci_low" not in table and "ci_high" not in table
    assert list(table.columns).index("95% interval") == list(table.columns).index("adjusted_diff") + 1
    assert table["95% interval"].iloc[0] == "[-1.0%, +7.4%]" and pd.isna(table["95% interval"].iloc[1])
