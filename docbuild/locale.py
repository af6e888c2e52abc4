"""Locale: the book's language -> interface strings, long dates, numbers, quotation marks, direction.

The interface strings of the templates (headings, labels, alt texts) are gettext messages whose
msgids are the English text. Catalogues are the `.po` files in `docbuild/locales/<tag>/LC_MESSAGES/
docbuild.po`, read with Babel and compiled in memory (no `.mo` is committed); a brand pack can bring
its own `locales/` folder, searched first, and a `[strings]` table, applied last.

A language without a catalogue gets English strings, and English dates and numbers to match them,
plus one warning saying how to add a catalogue. Quotation marks, direction and hyphenation always
follow the book's language: they apply to the body text, which is written in it.
"""
from __future__ import annotations

import datetime as dt
import gettext
import io
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

import babel
import jinja2
from babel.core import get_global
from babel.dates import format_date as babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.numbers import format_decimal
from markupsafe import escape

from .errors import DocError, Location, Problem

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "docbuild"
SOURCE_LANGUAGE = "en"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})   # and whatever Babel says is right-to-left

# CLDR 45 <delimiters> (primary open, close, secondary open, close): Babel does not ship them.
# A tag is matched as lang_REGION, then lang_Script, then lang; anything else gets CLDR's root.
ROOT_QUOTES = ("“", "”", "‘", "’")
QUOTES: Mapping[str, tuple[str, str, str, str]] = MappingProxyType({
    "ar": ("”", "“", "’", "‘"), "de": ("„", "“", "‚", "‘"), "en": ROOT_QUOTES, "es": ROOT_QUOTES,
    "fa": ("«", "»", "‹", "›"), "fr": ("«", "»", "«", "»"), "fr_CA": ("«", "»", "”", "“"),
    "fr_CH": ("«", "»", "‹", "›"), "he": ("”", "”", "’", "’"), "it": ("«", "»", "“", "”"),
    "ja": ("「", "」", "『", "』"), "nl": ("‘", "’", "‘", "’"), "pl": ("„", "”", "«", "»"),
    "pt": ROOT_QUOTES, "pt_PT": ("«", "»", "“", "”"), "ru": ("«", "»", "„", "“"),
    "ur": ("”", "“", "’", "‘"), "zh": ROOT_QUOTES, "zh_Hant": ("「", "」", "『", "』"),
})
FRENCH_SPACE = "\u202f"   # NARROW NO-BREAK SPACE, set inside « » in French (not in Switzerland)

_NO_OVERRIDES: Mapping[str, str] = MappingProxyType({})
_COMPILED: dict[Path, tuple[tuple[int, int], bytes]] = {}   # .po -> ((mtime_ns, size), .mo bytes)


@dataclass(frozen=True)
class Locale:
    """Everything language-dependent a template needs; make one with `load_locale`."""

    language: str                                   # the book's BCP 47 tag, for `lang`
    direction: str = "ltr"                          # "ltr" or "rtl"
    quotes: tuple[str, str, str, str] = ROOT_QUOTES  # primary open, close, secondary open, close
    hyphenation_language: str = ""                  # the `lang` WeasyPrint hands to pyphen
    strings_language: str = SOURCE_LANGUAGE         # the language the strings are really in
    _translations: gettext.NullTranslations = field(
        default_factory=gettext.NullTranslations, repr=False, compare=False)
    _overrides: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    _babel: babel.Locale | None = field(default=None, repr=False, compare=False)
    _date_pattern: str = field(default="d MMMM y", repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.hyphenation_language:
            object.__setattr__(self, "hyphenation_language", self.language)
        if self._babel is None:
            object.__setattr__(self, "_babel", babel.Locale(SOURCE_LANGUAGE))

    def _isolated(self, text: str) -> str:
        """English fallback text inside a right-to-left page keeps its own direction (its full stop
        stays at its end): wrapped in LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE."""
        if self.direction == "rtl" and direction(self.strings_language) == "ltr":
            return f"\u2066{text}\u2069"
        return text

    def gettext(self, message: str) -> str:
        if message in self._overrides:
            return self._overrides[message]
        return self._isolated(self._translations.gettext(message))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """A `[strings]` entry for the singular msgid serves the plural category "one"; the plural
        msgid's entry serves every other category (so Chinese, with no "one", uses the plural's)."""
        key = singular if self._babel.plural_form(abs(n)) == "one" else plural
        if key in self._overrides:
            return self._overrides[key]
        return self._isolated(self._translations.ngettext(singular, plural, n))

    def format_date(self, day: dt.date) -> str:
        return self._isolated(babel_format_date(day, self._date_pattern, locale=self._babel))

    def format_number(self, n: int) -> str:
        return format_decimal(n, locale=self._babel)


def load_locale(language: str, catalogue_dirs: Sequence[Path] = (),
                overrides: Mapping[str, str] = _NO_OVERRIDES) -> tuple[Locale, str | None]:
    """The locale for a book's `language` tag, and a warning when no catalogue has it."""
    paths = catalogue_paths(language, catalogue_dirs)
    chain = _chain([_translations(path) for path in paths])
    strings_language = language if paths else SOURCE_LANGUAGE
    babel_locale, pattern = _formats(strings_language)
    locale = Locale(language=language, direction=direction(language), quotes=quotes(language),
                    hyphenation_language=language, strings_language=strings_language,
                    _translations=chain, _overrides=MappingProxyType(dict(overrides)),
                    _babel=babel_locale, _date_pattern=pattern)
    return locale, None if paths else missing_catalogue_warning(language)


def install(env: jinja2.Environment, locale: Locale) -> None:
    """`_`, `gettext` and `ngettext` in every template, newstyle (`_("Page %(page)s", page=2)`).

    Translations are plain text: with autoescape on they are escaped like any other value (Jinja
    would otherwise trust them as markup), so a "&" in a catalogue or `[strings]` keeps the EPUB's
    XHTML well-formed."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_escaping(locale.gettext), _escaping(locale.ngettext),
                                  newstyle=True)


def _escaping(function: Callable[..., str]) -> Callable[..., str]:
    @jinja2.pass_eval_context
    def translate(eval_ctx: jinja2.nodes.EvalContext, *args: object) -> str:
        text = function(*args)
        return escape(text) if eval_ctx.autoescape else text
    return translate


# -- which catalogues -------------------------------------------------------------------------

def subtags(language: str) -> list[str]:
    """A BCP 47 tag in canonical case: "pt-br" -> ["pt", "BR"], "zh-hans" -> ["zh", "Hans"]."""
    parts = [part for part in language.replace("_", "-").split("-") if part]
    out = [parts[0].lower()] if parts else [SOURCE_LANGUAGE]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return out


def _script(parts: Sequence[str]) -> str | None:
    """The script a tag is written in, stated ("zh-Hant") or likely per CLDR ("zh-TW" -> Hant)."""
    stated = [part for part in parts[1:] if len(part) == 4 and part.isalpha()]
    if stated:
        return stated[0]
    likely = get_global("likely_subtags")
    region = [part for part in parts[1:] if part.isupper() or part.isdigit()]
    full = likely.get("_".join([parts[0], *region[:1]])) or likely.get(parts[0]) or ""
    return next((part for part in full.split("_")[1:] if len(part) == 4), None)


def catalogue_tags(language: str) -> list[str]:
    """Catalogue folder names to try, best first: the exact tag, then shorter ones in the same
    script ("pt-BR" -> pt_BR, pt; "zh-Hans" -> zh_Hans, zh; "zh-TW" -> zh_TW, zh_Hant, never the
    Simplified zh)."""
    parts = subtags(language)
    script = _script(parts)
    tags = ["_".join(parts)]
    for end in range(len(parts) - 1, 0, -1):
        shorter = parts[:end]
        if script is None or _script(shorter) in (None, script):
            tags.append("_".join(shorter))
    by_script = f"{parts[0]}_{script}"
    if script and _script(parts[:1]) != script and by_script not in tags:
        tags.append(by_script)
    return tags


def catalogue_paths(language: str, catalogue_dirs: Sequence[Path] = ()) -> list[Path]:
    """Every existing catalogue for `language`, the brand's folders first, then docbuild's own."""
    found: list[Path] = []
    for folder in [*catalogue_dirs, LOCALES]:
        for tag in catalogue_tags(language):
            for name in dict.fromkeys((tag, tag.replace("_", "-"))):
                path = Path(folder) / name / "LC_MESSAGES" / f"{DOMAIN}.po"
                if path.is_file() and path not in found:
                    found.append(path)
    return found


def missing_catalogue_warning(language: str) -> str:
    """The one warning for a language no catalogue has: the command that starts one, and where."""
    tag = catalogue_tags(language)[-1]
    po = f"docbuild/locales/{tag}/LC_MESSAGES/{DOMAIN}.po"
    return (f'no translation of the interface strings for "{language}", so headings, labels and '
            f"dates are in English. To add one, run `pybabel init -i docbuild/locales/{DOMAIN}.pot "
            f"-d docbuild/locales -D {DOMAIN} -l {tag}`, then translate {po} (with Poedit, Weblate "
            f"or a text editor); a brand can instead ship it as locales/{tag}/LC_MESSAGES/"
            f"{DOMAIN}.po in its own folder. See docbuild/locales/README.md")


# -- reading catalogues -----------------------------------------------------------------------

def _translations(path: Path) -> gettext.GNUTranslations:
    """A fresh translations object (fallbacks get chained onto it) from the cached compiled bytes."""
    key, stat = path.resolve(), path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _COMPILED.get(key)
    if cached is None or cached[0] != stamp:
        cached = _COMPILED[key] = (stamp, compile_po(path))
    return gettext.GNUTranslations(io.BytesIO(cached[1]))


def compile_po(path: Path) -> bytes:
    """A .po file compiled to .mo bytes in memory; untranslated and fuzzy messages are left out,
    so they fall through to the next catalogue (or stay English)."""
    try:
        with path.open("rb") as file:
            catalog = read_po(file, abort_invalid=True)
    except (PoFileError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", 0)
        raise DocError([Problem(Location.of(path, line),
                                f"cannot read this translation catalogue: {exc}")]) from None
    for message in list(catalog)[1:]:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            catalog.delete(message.id, message.context)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _chain(found: list[gettext.GNUTranslations]) -> gettext.NullTranslations:
    if not found:
        return gettext.NullTranslations()
    for translations in found[1:]:
        found[0].add_fallback(translations)
    return found[0]


# -- language data ----------------------------------------------------------------------------

def _babel_locale(language: str) -> babel.Locale | None:
    parts = subtags(language)
    for end in range(len(parts), 0, -1):
        try:
            return babel.Locale.parse("_".join(parts[:end]))
        except (babel.UnknownLocaleError, ValueError):
            continue
    return None


def _formats(language: str) -> tuple[babel.Locale, str]:
    """Babel's locale for dates and numbers, and the long-date pattern: Babel's "long", except that
    plain "en" (and any language Babel does not know) gets the day-month-year "20 November 2026"."""
    found = _babel_locale(language)
    if found is None or subtags(language) == [SOURCE_LANGUAGE]:
        return babel.Locale(SOURCE_LANGUAGE), "d MMMM y"
    return found, "long"


def direction(language: str) -> str:
    if subtags(language)[0] in RTL_LANGUAGES:
        return "rtl"
    found = _babel_locale(language)
    return "rtl" if found is not None and found.character_order == "right-to-left" else "ltr"


def quotes(language: str) -> tuple[str, str, str, str]:
    """CLDR's quotation marks; French ones carry the narrow no-break space French sets inside."""
    parts = subtags(language)
    region = next((part for part in parts[1:] if part.isupper() or part.isdigit()), "")
    keys = [f"{parts[0]}_{region}", f"{parts[0]}_{_script(parts)}", parts[0]]
    marks = next((QUOTES[key] for key in keys if key in QUOTES), ROOT_QUOTES)
    if parts[0] == "fr" and region != "CH":   # « text », but “text” stays tight in Canada
        marks = tuple(mark + FRENCH_SPACE if mark == "«" else FRENCH_SPACE + mark if mark == "»"
                      else mark for mark in marks)
    return marks
