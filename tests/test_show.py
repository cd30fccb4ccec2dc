"""Prose for reviewers: text from data or parameters never becomes markup in the exported HTML."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from userops import narrative
from userops.show import Markdown, safe_markdown

PAYLOADS = ('<img src=x onerror=alert(1)>', '<img src="x" onerror="alert(1)">', "<script>alert(7)</script>",
            "[x](javascript:alert(1))", "[x]( JaVa\tScRiPt:alert(1))", "[x](javascript\\:alert(1))",
            "[x](<javascript:alert(1)>)", "![x](data:image/png;base64,AAAA)", "![x](https://example.com/t.png)",
            "[r]: javascript:alert(1)\n\n[r]", "<javascript:alert(1)>", "<!-- x --><b>bold</b>",
            "<a href='javascript:alert(1)'>x</a>", "[x](data:text/html;base64,PHNjcmlwdD4=)")


class _Markup(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(markdown: str) -> list[tuple[str, dict[str, str]]]:
    """The tags nbconvert's exporter renders from ``markdown`` (the filter its template uses)."""
    parser = _Markup()
    parser.feed(markdown2html_mistune(markdown))
    return parser.tags


def _unsafe(tags: list[tuple[str, dict[str, str]]]) -> list:
    bad = []
    for tag, attrs in tags:
        if tag in ("script", "img", "iframe", "object", "embed", "b") or any(a.startswith("on") for a in attrs):
            bad.append((tag, attrs))
        for key in ("href", "src"):
            url = "".join((attrs.get(key) or "").split()).lower()
            if url and not url.startswith(("http:", "https:", "mailto:", "#")) and ":" in url.split("/")[0]:
                bad.append((tag, attrs))
    return bad


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("template", ["{0}", "Strategy **{0}** reached 3 customers.", "| a | b |\n|---|---|\n| `x` | {0} |",
                                      "- item {0}\n- `C(region)[T.{0}]`", "## {0}", "`{0}`", "``{0}``"])
def test_a_payload_never_renders_as_markup(payload, template):
    raw = _tags(template.format(payload))
    safe = _tags(safe_markdown(template.format(payload)))
    assert _unsafe(safe) == []
    if template == "{0}" and payload.startswith(("<img", "<script", "[x](javascript:a", "![")):
        assert _unsafe(raw), "the payload is live without escaping (the test can fail)"


def test_the_payload_text_still_shows_verbatim():
    payload = '<img src="x" onerror="alert(1)"> & $5 and $6 * x &lt;'
    code = payload + " _x_ [a](b) \\ |"  # markdown syntax too shows as typed inside code
    html = markdown2html_mistune(safe_markdown(f"Type **{payload}** and term `C(region)[T.{code}]`"))
    text = _Text()
    text.feed(html)
    assert f"Type {payload} and term C(region)[T.{code}]" in text.text


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = ""

    def handle_data(self, data):
        self.text += data


def test_markdown_formatting_is_kept():
    tags = [t for t, _ in _tags(safe_markdown(
        "## Title\n\n**bold** and *it*, `code` and [docs](https://example.com)\n\n- one\n- two\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |"))]
    for tag in ("h2", "strong", "em", "code", "a", "ul", "li", "table", "th", "td"):
        assert tag in tags, tag


def test_unsafe_links_are_left_as_text_and_safe_ones_kept():
    tags = _tags(safe_markdown("[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.com) [d](#top)"))
    assert [attrs["href"] for tag, attrs in tags if tag == "a"] == ["https://example.com", "#top"]


def test_display_object_escapes_and_keeps_metadata():
    assert Markdown("<b>x</b>")._repr_markdown_() == "&lt;b&gt;x&lt;/b&gt;"
    shown, meta = Markdown("a < b", metadata={"k": 1})._repr_markdown_()
    assert shown == "a &lt; b" and meta == {"k": 1}


def test_run_parameters_keep_a_pipe_and_a_line_break_inside_the_cell():
    md = narrative.run_parameters({"split": "a|b\nc", "seed_group": "<script>alert(7)</script>"},
                                  names=["split", "seed_group"], source="x")
    html = markdown2html_mistune(safe_markdown(md))
    assert html.count("<tr>") == 3 and html.count("<td>") == 4
    assert "<script>" not in html and "a|b c" in html
