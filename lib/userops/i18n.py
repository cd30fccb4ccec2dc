"""The report's language: message catalogs (gettext, read and compiled by Babel) and numbers and
dates written for the locale.

Every sentence, heading, table header, chart title and axis label the report writes is an
English message id wrapped in :func:`_` (or :func:`ngettext` when it counts something), with
named ``str.format`` fields filled after translation::

    _("{n} customers moved up").format(n=i18n.number(12345))

Strings defined before a language is chosen (the labels of :mod:`userops.labels`) are marked
with :func:`N_` and translated where they are shown. The translations live in
``lib/userops/locale/<lang>/LC_MESSAGES/*.po`` (one file per part of the report; the files of a
language are merged); ``python -m userops.i18n extract`` writes the template of every message
id in the code and the notebooks, ``python -m userops.i18n check`` lists what a language lacks.
The notebooks' markdown cells are translated paragraph by paragraph by the report runner
(:func:`translate_markdown`), headings on their own, so a link to a section (:mod:`findings`)
finds the translated heading.

``en`` is the source language: its catalog is empty and every message reads as written.
"""
from __future__ import annotations

import gettext
import io
import re
import sys
from collections.abc import Iterator
from datetime import date as _date, datetime as _datetime
from pathlib import Path

from babel import Locale, dates as _dates, numbers as _numbers
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["LANGS", "use", "lang", "_", "N_", "ngettext", "number", "percent", "money", "date", "signed",
           "signed_percent",
           "translate_markdown", "catalog", "markdown_messages", "LOCALE_DIR"]

LANGS = ("en", "ja")
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "userops"
_current = "en"
_translations: dict[str, gettext.NullTranslations] = {}
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)?(?:![rsa])?(?::[^{}]*)?\}")


def use(language: str) -> str:
    """Make ``language`` (one of :data:`LANGS`) the language of what follows; returns it.
    Anything else is an error naming the languages there are, never a silent English."""
    global _current
    if not isinstance(language, str) or language not in LANGS:
        raise ValueError(f"report language {language!r} is not available; use one of {', '.join(LANGS)}")
    _translations.setdefault(language, _load(language))
    _current = language
    return language


def lang() -> str:
    """The language in use (``en`` until :func:`use` says otherwise)."""
    return _current


def _(message: str) -> str:
    """``message`` in the language in use (itself when the catalog lacks it)."""
    if _current == "en" or not message:
        return message
    return _translations[_current].gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (see :func:`_`)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural message for ``n`` things, in the language in use."""
    if _current == "en":
        return singular if n == 1 else plural
    return _translations[_current].ngettext(singular, plural, n)


# -- numbers and dates ----------------------------------------------------------------------------

def _locale() -> Locale:
    return Locale.parse(_current)


def number(value: float, digits: int = 0) -> str:
    """``value`` with thousands grouped and ``digits`` decimals, as the locale writes it; a float
    is rounded from its binary value, as Python's ``f"{x:,.2f}"`` rounds it (2.675 reads 2.67)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _numbers.format_decimal(_exact(value), format=pattern, locale=_locale(), decimal_quantization=True)


def percent(share: float, digits: int = 0) -> str:
    """A 0-1 ``share`` as a percent with ``digits`` decimals, as the locale writes it (rounded
    as Python's ``f"{share:.1%}"`` rounds: the share times 100 in floating point, then its
    binary value)."""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    exact = _exact(float(share) * 100).scaleb(-2) if isinstance(share, float) else share
    return _numbers.format_percent(exact, format=pattern, locale=_locale(), decimal_quantization=True)


def signed(value: float, digits: int = 2) -> str:
    """:func:`number` with its sign always written (``+1,234.50``, ``-0.30``; ``-0.0`` reads
    ``+0.00``); ``nan`` and ``inf`` as Python's format writes them."""
    import math

    if not math.isfinite(value):
        return f"{value:+.{digits}f}"
    text = number(value + 0.0, digits)
    return text if text.startswith(("-", "\u2212")) else "+" + text


def signed_percent(share: float, digits: int = 1) -> str:
    """:func:`percent` with its sign always written (``+3.5%``, ``-1.0%``)."""
    import math

    if not math.isfinite(share):
        return f"{share:+.{digits}%}"
    text = percent(share + 0.0, digits)
    return text if text.startswith(("-", "\u2212")) else "+" + text


def _exact(value):
    """A float as the exact decimal of its binary value (Babel would round its shortest repr)."""
    import math
    from decimal import Decimal

    if isinstance(value, float) and math.isfinite(value):
        return Decimal(value)
    return value


def money(value: float, digits: int = 2) -> str:
    """An amount in the data's currency (not named: the data does not say which), grouped, with
    ``digits`` decimals."""
    return number(value, digits)


def date(value: object, *, style: str = "long") -> str:
    """A date as the locale writes it (``December 31, 2017``, ``2017年12月31日``); ``style``
    ``short`` gives the ISO form, the same in every language."""
    import pandas as pd

    if isinstance(value, _datetime):  # a datetime (a pandas Timestamp too) is a date with a time
        value = value.date()
    day = value if isinstance(value, _date) else pd.Timestamp(value).date()
    if style == "short":
        return day.isoformat()
    return _dates.format_date(day, format=style, locale=_locale())


# -- the catalogs -----------------------------------------------------------------------------

def catalog(language: str) -> Catalog:
    """Every ``.po`` file of ``language`` merged into one catalog (a message translated in two
    files must read the same in both: :func:`check` says where it does not)."""
    merged = Catalog(locale=language, domain=DOMAIN)
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            part = read_po(fh, locale=language)
        for message in part:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and all(strings) and not message.fuzzy and message.id not in merged:
                merged.add(message.id, message.string)
    return merged


def _load(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    buffer = io.BytesIO()
    write_mo(buffer, catalog(language))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


# -- notebooks' markdown ------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_BLOCK_LINE = re.compile(r"^\s*([-*+]\s|\d+[.)]\s|\|)")


def _blocks(source: str) -> Iterator[tuple[str, str]]:
    """A markdown cell as (prefix, text) blocks: each heading line on its own (prefix ``## ``),
    each paragraph (lines up to a blank line) as one block, its lines joined with blanks (a list
    or a table keeps its line breaks)."""
    paragraph: list[str] = []
    for line in source.splitlines() + [""]:
        heading = _HEADING.match(line)
        if heading or not line.strip():
            if paragraph:
                block = any(_BLOCK_LINE.match(p) for p in paragraph)
                yield "", ("\n" if block else " ").join(p.rstrip() if block else p.strip() for p in paragraph)
                paragraph = []
            if heading:
                yield heading.group(1) + " ", heading.group(2)
        else:
            paragraph.append(line)


def markdown_messages(source: str) -> list[str]:
    """The message ids of a markdown cell (see :func:`_blocks`)."""
    return [text for _prefix, text in _blocks(source)]


def translate_markdown(source: str) -> str:
    """A notebook markdown cell in the language in use, block by block; in ``en`` unchanged."""
    if _current == "en":
        return source
    return "\n\n".join(prefix + _(text) for prefix, text in _blocks(source))


# -- extraction and checks (python -m userops.i18n extract|check [lang]) ---------------------------

_ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extract() -> Catalog:
    """Every message id in ``lib/userops`` (``_``, ``N_``, ``ngettext``) and in the step
    notebooks (markdown blocks; ``_`` calls in code cells), with where each comes from."""
    import json

    from babel.messages.extract import extract_from_dir, extract_python

    template = Catalog(domain=DOMAIN)
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(_ROOT / "lib" / "userops"), keywords=KEYWORDS,
            method_map=[("**.py", "python"), ("**/templates/pages/**.j2", "jinja2.ext:babel_extract")]):
        template.add(message, locations=[(f"lib/userops/{filename}", lineno)])
    for nb in sorted((_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            source = "".join(cell["source"])
            where = [(f"notebooks/{nb.name}", i)]
            if cell["cell_type"] == "markdown":
                for text in markdown_messages(source):
                    template.add(text, locations=where)
            elif cell["cell_type"] == "code":
                code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
                for _lineno, _func, message, _c in extract_python(io.BytesIO(code.encode()), KEYWORDS, [], {}):
                    template.add(message, locations=where)
    return template


def check(language: str) -> list[str]:
    """What ``language``'s catalog lacks or gets wrong, one line each: a message id with no
    translation, or a translation whose ``{fields}`` differ from its id's."""
    have = catalog(language)
    problems = []
    for message in extract():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        found = have.get(ids[0])
        if found is None or not found.string or (isinstance(found.string, tuple) and not all(found.string)):
            problems.append(f"untranslated ({where}): {ids[0]!r}")
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        # a translation uses the fields of its id (of either form, for a counted message)
        fields = [set(_FIELD.findall(i)) for i in ids]
        for s in strings:
            used = set(_FIELD.findall(s))
            if (used != fields[0]) if len(ids) == 1 else not (used <= set.union(*fields)):
                problems.append(f"fields differ ({where}): {ids[0]!r} -> {s!r}")
    return problems


def main(argv: list[str]) -> int:
    from babel.messages.pofile import write_po

    if not argv or argv[0] not in ("extract", "check"):
        print("usage: python -m userops.i18n extract [FILE.pot] | check [LANG]", file=sys.stderr)
        return 2
    if argv[0] == "extract":
        target = Path(argv[1]) if len(argv) > 1 else LOCALE_DIR / f"{DOMAIN}.pot"
        with target.open("wb") as fh:
            write_po(fh, extract(), width=100, omit_header=True, sort_output=True)
        print(f"wrote {target}")
        return 0
    problems = check(argv[1] if len(argv) > 1 else "ja")
    print("\n".join(problems) or "complete")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
