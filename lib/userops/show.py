"""The one place prose reaches the report: markdown whose data and parameter text cannot become markup.

Every notebook imports ``from userops.show import Markdown, display, show_table``
(:func:`userops.display.show_table` shows a frame as the report's tables look). Sentences are built
from data (strategy ids and types, category names, customer attributes, parameter values), so
the markdown is treated as untrusted as a whole before it is rendered:

* ``&``, ``<`` and ``>`` become entities everywhere, so no raw HTML (tags, comments,
  autolinks such as ``<javascript:...>``) survives; so does ``$``, which the exporter would
  read as the start of TeX math. Quotes are left alone: once no tag can open, a quote is
  plain text, and the markdown renderer quotes attribute values itself.
* A code span (`` `...` ``) becomes ``<code>...</code>`` with its text escaped the same way and
  its markdown punctuation backslash-escaped, so its content shows verbatim whatever the renderer
  makes of the backticks.
* Image syntax ``![...](...)`` is broken (the report's charts are PNG outputs, never markdown
  images), and so is a link or reference definition (``[...](dest)``, ``[...]: dest``) whose
  destination has a scheme other than http, https or mailto (``javascript:``, ``data:``,
  ``vbscript:``, ``file:`` ...).

Markdown formatting (bold, italics, lists, headings, pipe tables) is untouched.

:func:`clean_html` is the second layer, at export: the HTML exporter passes every markdown and
HTML output through it (``sanitize_html``), and it keeps only the markup the report itself
produces (markdown's and pandas' tables), escaping anything else.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import bleach
from bleach.css_sanitizer import CSSSanitizer
from IPython.display import Markdown as _Markdown
from IPython.display import display

from userops.display import show_table

__all__ = ["Markdown", "display", "show_table", "safe_markdown", "clean_html", "plain_text", "SAFE_SCHEMES",
           "ALLOWED_TAGS"]

SAFE_SCHEMES = ("http", "https", "mailto")
# a run of backticks, then the shortest text up to a run of the same length (CommonMark)
_CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# markdown punctuation that could start inline syntax inside what was meant as code
_CODE_PUNCT = re.compile(r"([\\`*_\[\]()!~|#+\-.{}=:])")
_LINK_START = re.compile(r"\](?:\(|:)\s*")  # with the blanks allowed before the destination
_IMAGE_START = re.compile(r"!(?=\[)")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")
# what browsers and markdown drop inside a URL before reading its scheme
_URL_NOISE = re.compile(r"[\s\x00-\x1f\x7f\\<>]+")
_LOOKAHEAD = 200  # characters of the destination searched for its scheme
# what markdown (mistune, with nbconvert's heading anchors) and pandas' table repr produce;
# <style> is pandas' scoped table style (CSS cannot run script); charts are PNG outputs that
# the exporter writes itself, so no <img> is needed here
ALLOWED_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre", "ul", "ol",
    "li", "a", "blockquote", "br", "hr", "del", "s", "sup", "sub", "span", "div", "dl", "dt", "dd",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "style"})
_CELL = ["colspan", "rowspan", "halign", "valign", "style"]
_ALLOWED_ATTRIBUTES = {"*": ["class", "id"], "a": ["href", "title"], "table": ["border"],
                       "tr": ["style"], "th": _CELL, "td": _CELL}
_CSS = CSSSanitizer(allowed_css_properties=["text-align", "vertical-align"])


class Markdown(_Markdown):
    """:class:`IPython.display.Markdown` whose text is made safe when it is displayed."""

    def _repr_markdown_(self):
        shown = self._data_and_metadata()
        if isinstance(shown, tuple):
            return safe_markdown(shown[0]), shown[1]
        return safe_markdown(shown)


def safe_markdown(text: str) -> str:
    """``text`` with HTML escaped, code spans made inert and unsafe links and images broken."""
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_bold_tags(_safe_prose(text[last:match.start()])))
        out.append(f"<code>{_safe_code(match.group(2))}</code>")
        last = match.end()
    out.append(_bold_tags(_safe_prose(text[last:])))
    return "".join(out)


_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


def _bold_tags(prose: str) -> str:
    """In other languages than English, ``**x**`` as ``<strong>x</strong>``: CommonMark does not
    close or open ``**`` between punctuation and a letter without blanks (``**48%**です``,
    ``ソース**/data/x**``), which Japanese sets everywhere."""
    from userops import i18n

    return prose if i18n.lang() == "en" else _BOLD.sub(r"<strong>\1</strong>", prose)


def clean_html(markup: str) -> str:
    """``markup`` with only :data:`ALLOWED_TAGS`, their plain attributes, http(s)/mailto links and
    text alignment kept; any other tag is escaped, so it shows as text instead of acting."""
    markup = markup.decode() if isinstance(markup, bytes) else str(markup)
    return bleach.clean(markup, tags=ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                        protocols=SAFE_SCHEMES, css_sanitizer=_CSS, strip_comments=True)


def plain_text(markdown: str) -> str:
    """What a reader sees of ``markdown`` (as displayed: rendered, tags dropped, entities
    decoded, blanks collapsed), e.g. a chart's alt text from its caption."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    parser = _Text()
    parser.feed(markdown2html_mistune(markdown))
    return " ".join("".join(parser.parts).split())


# -- private helpers ------------------------------------------------------------------------

def _escape(text: str) -> str:
    """HTML entities for ``& < >``, and for ``$``, which the exporter reads as TeX math."""
    return html.escape(text, quote=False).replace("$", "&#36;")


def _safe_prose(text: str) -> str:
    text = _escape(text)
    text = _IMAGE_START.sub(r"!\\", text)
    return _LINK_START.sub(lambda m: _link_start(m, text), text)


def _safe_code(text: str) -> str:
    # CommonMark strips one space at each end of a code span when both are there
    if len(text) > 2 and text[0] == text[-1] == " " and text.strip():
        text = text[1:-1]
    return _CODE_PUNCT.sub(r"\\\1", _escape(text))


def _link_start(match: re.Match, text: str) -> str:
    """``](`` or ``]:`` as is before a harmless destination, else with the bracket escaped
    (no link then)."""
    following = html.unescape(text[match.end():match.end() + _LOOKAHEAD])
    scheme = _SCHEME.match(_URL_NOISE.sub("", following).lower())
    if scheme is None or scheme.group(1) in SAFE_SCHEMES:
        return match.group(0)
    return "\\" + match.group(0)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)
