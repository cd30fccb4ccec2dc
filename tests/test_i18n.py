"""The report's language (issue 15): message catalogs, locale formats, and a Japanese report with
no English sentence outside data values."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from userops import i18n, report
from userops.i18n import _

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
import i18n_checks  # noqa: E402


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.use("en")


def test_every_message_of_the_code_and_the_notebooks_has_a_japanese_translation_with_its_fields():
    problems = i18n.check("ja")
    assert problems == [], "\n".join(problems[:40])


def test_extraction_finds_messages_in_python_templates_and_notebook_markdown_and_code():
    where = {loc[0].split("/")[0] + "/" + loc[0].split("/")[-1].split(".")[-1] for m in i18n.extract()
             for loc in m.locations}
    assert {"lib/py", "lib/j2", "notebooks/ipynb"} <= where


def test_no_message_is_an_f_string_or_built_before_translation():
    # Babel cannot extract _(f"...") and a translation cannot reorder a string glued together
    pattern = re.compile(r"""\b(?:_|N_|ngettext)\(\s*f["']""")
    sources = list((ROOT / "lib" / "userops").rglob("*.py")) + list((ROOT / "notebooks").glob("*.ipynb"))
    found = [f"{p.relative_to(ROOT)}" for p in sources if pattern.search(p.read_text(encoding="utf-8"))]
    assert found == []


def test_english_is_the_source_and_unknown_languages_are_refused():
    assert i18n.lang() == "en"
    assert _("Decision per strategy") == "Decision per strategy"
    assert i18n.ngettext("{n} strategy", "{n} strategies", 1) == "{n} strategy"
    assert i18n.ngettext("{n} strategy", "{n} strategies", 2) == "{n} strategies"
    with pytest.raises(ValueError, match="'fr' is not available; use one of en, ja"):
        i18n.use("fr")
    assert i18n.lang() == "en"  # unchanged by the refusal


def test_japanese_translates_counts_and_formats_for_the_locale():
    i18n.use("ja")
    assert _("Decision per strategy") == "施策ごとの判断"
    assert i18n.ngettext("{n} strategy: {counts}.", "{n} strategies: {counts}.", 3) == "施策{n}件：{counts}。"
    assert i18n.date("2017-12-31") == "2017年12月31日"
    assert i18n.number(1234567.891, 2) == "1,234,567.89"
    assert i18n.percent(0.1234, 1) == "12.3%"
    i18n.use("en")
    assert i18n.date("2017-12-31") == "December 31, 2017"


def test_notebook_markdown_is_translated_block_by_block_and_headings_keep_their_level():
    source = "## What this step found and what to do\n\nNot in the catalog,\nover two lines.\n\n- a\n- b"
    assert i18n.markdown_messages(source) == ["What this step found and what to do",
                                              "Not in the catalog, over two lines.", "- a\n- b"]
    i18n.use("ja")
    out = i18n.translate_markdown(source)
    assert out.startswith("## このステップの所見と打ち手\n\n")
    assert "Not in the catalog, over two lines." in out  # a message without translation reads as written


def test_the_runner_refuses_a_language_without_a_catalog():
    with pytest.raises(report.ParameterError, match="'lang': 'de' is not a report language; use one of en, ja"):
        report.check_parameters({"lang": "de"}, report.notebooks())


def test_the_checker_finds_english_runs_outside_data_values():
    texts = ["顧客の割合は12%です。", "The chart is not drawn.", "施策 Spring Sale Coupon Day の効果",
             "RFM、GMV、ROI", "report.csv と 03_transitions.parquet"]
    assert i18n_checks.english_runs(texts, ["Spring Sale Coupon Day"]) == ["The chart is not drawn"]


@pytest.mark.slow
def test_the_japanese_sample_report_has_no_english_sentence_outside_data_values(tmp_path):
    out = tmp_path / "reports"
    result = report.run(data=str(ROOT / "data" / "sample"), as_of="2017-12-31", out=out,
                        params={"lang": "ja"}, log=lambda *a: None)
    assert result.ok, [(s.name, s.error) for s in result.steps]
    left = i18n_checks.check_report(result.folder)
    assert {page: runs[:10] for page, runs in left.items() if runs} == {}
    assert len(left) == 7  # the index and the six steps
    assert '<html lang="ja">' in (result.folder / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in (result.folder / "01_value_tiering.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in (out / "index.html").read_text(encoding="utf-8")


@pytest.mark.skipif(not os.environ.get("USEROPS_REAL_REPORT"),
                    reason="set USEROPS_REAL_REPORT=1 to render The Complete Journey in Japanese (~3 min)")
def test_the_japanese_complete_journey_report_has_no_english_sentence(tmp_path):
    result = report.run(data="completejourney", as_of="2017-12-31", out=tmp_path, params={"lang": "ja"},
                        log=lambda *a: None)
    assert result.ok
    left = i18n_checks.check_report(result.folder)
    assert {page: runs[:10] for page, runs in left.items() if runs} == {}
