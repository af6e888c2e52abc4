"""Locale: catalogues complete and well-formed, Babel formats, lookup, fallback, brand overrides, Jinja."""
from __future__ import annotations

import datetime as dt
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
from babel.messages import Catalog
from babel.messages.pofile import read_po
from jinja2.sandbox import ImmutableSandboxedEnvironment

from docbuild import locale as locale_module
from docbuild.errors import DocError
from docbuild.locale import LOCALES, Locale, install, load_locale

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("en", "es", "fr", "de", "pt", "it", "pl", "ar", "zh")
DAY = dt.date(2026, 11, 20)
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
CITED = ("Cited in note %(notes)s", "Cited in notes %(notes)s")


def read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def catalogue(tag: str) -> Catalog:
    return read(LOCALES / tag / "LC_MESSAGES" / "docbuild.po")


def template_ids() -> list[str | tuple[str, str]]:
    return [message.id for message in read(LOCALES / "docbuild.pot") if message.id]


def all_catalogues() -> list[str]:
    return sorted(path.parent.parent.name for path in LOCALES.glob("*/LC_MESSAGES/docbuild.po"))


def write_po(folder: Path, tag: str, strings: dict[str, str]) -> Path:
    """A minimal brand catalogue, written the way a translator's tool would."""
    path = folder / tag / "LC_MESSAGES" / "docbuild.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{msgid}"\nmsgstr "{text}"\n\n' for msgid, text in strings.items())
    path.write_text(f'msgid ""\nmsgstr ""\n"Language: {tag}\\n"\n'
                    f'"Content-Type: text/plain; charset=UTF-8\\n"\n\n{body}', encoding="utf-8")
    return path


# -- the shipped catalogues ------------------------------------------------------------------

def test_every_required_language_is_shipped() -> None:
    assert set(SHIPPED) <= set(all_catalogues())
    assert len(template_ids()) >= 44 and "Contents" in template_ids() and CITED in template_ids()


def test_english_is_the_identity_catalogue() -> None:
    for message in list(catalogue("en"))[1:]:
        assert message.string == message.id


def check_complete(tag: str) -> None:
    """Every msgid of the .pot translated, placeholders kept, as many forms as the header says."""
    po = catalogue(tag)
    expected_forms = Catalog(locale=tag).num_plurals
    assert po.num_plurals == expected_forms, f"{tag}: Plural-Forms header differs from Babel's rule"
    assert {m.id for m in list(po)[1:]} == set(template_ids()), f"{tag}: out of step with the .pot"
    for msgid in template_ids():
        message = po[msgid]
        assert not message.fuzzy, f"{tag}: {msgid!r} is fuzzy"
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert len(forms) == (expected_forms if isinstance(msgid, tuple) else 1), f"{tag}: {msgid!r}"
        wanted = set(PLACEHOLDER.findall(ids[0])) | set(PLACEHOLDER.findall(ids[-1]))
        for form in forms:
            assert form.strip(), f"{tag}: {msgid!r} is not translated"
            assert set(PLACEHOLDER.findall(form)) == wanted, f"{tag}: {form!r}"
            form % {name: "X" for name in wanted}   # no stray "%" (newstyle always formats)


def check_marked_unreviewed(tag: str) -> None:
    head = (LOCALES / tag / "LC_MESSAGES" / "docbuild.po").read_text(encoding="utf-8")[:600]
    assert "MACHINE-MADE" in head and "NOT YET REVIEWED by a native speaker" in head, tag
    readme = (LOCALES / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"\| `{tag}` \|.*\| \*\*no\*\* \|", readme), tag


@pytest.mark.parametrize("tag", SHIPPED)
def test_every_string_translated_with_its_placeholders(tag: str) -> None:
    check_complete(tag)


@pytest.mark.parametrize("tag", [tag for tag in SHIPPED if tag != "en"])
def test_catalogue_says_it_is_machine_made_and_unreviewed(tag: str) -> None:
    check_marked_unreviewed(tag)


def test_catalogues_added_later_are_complete_too() -> None:
    for tag in set(all_catalogues()) - set(SHIPPED):
        check_complete(tag)


@pytest.mark.parametrize("tag", SHIPPED)
def test_load_locale_translates_every_shipped_language(tag: str) -> None:
    locale, warning = load_locale(tag)
    po = catalogue(tag)
    assert warning is None
    for msgid in template_ids():
        if isinstance(msgid, tuple):
            for n in (1, 2, 5, 11, 100):
                index = gettext.c2py(po.plural_expr)(n)
                assert locale.ngettext(*msgid, n) == po[msgid].string[index], (msgid, n)
        else:
            assert locale.gettext(msgid) == po[msgid].string


# -- formats ---------------------------------------------------------------------------------

@pytest.mark.parametrize("tag, expected", [
    ("en", "20 November 2026"), ("en-GB", "20 November 2026"), ("en-US", "November 20, 2026"),
    ("es", "20 de noviembre de 2026"), ("fr", "20 novembre 2026"), ("de", "20. November 2026"),
    ("pl", "20 listopada 2026"), ("ar", "20 نوفمبر 2026"), ("zh", "2026年11月20日"),
    ("zh-Hans", "2026年11月20日"), ("pt-BR", "20 de novembro de 2026"),
    ("sw", "20 November 2026"),   # no catalogue: English strings, so English dates to match
])
def test_format_date(tag: str, expected: str) -> None:
    assert load_locale(tag)[0].format_date(DAY) == expected


@pytest.mark.parametrize("tag, expected", [
    ("en", "1,234,567"), ("de", "1.234.567"), ("fr", "1\u202f234\u202f567"), ("pl", "1\xa0234\xa0567"),
])
def test_format_number(tag: str, expected: str) -> None:
    assert load_locale(tag)[0].format_number(1234567) == expected


@pytest.mark.parametrize("tag, expected", [
    ("fr", ("«\u202f", "\u202f»", "«\u202f", "\u202f»")),   # narrow no-break spaces inside
    ("fr-CH", ("«", "»", "‹", "›")),                        # Swiss French sets them tight
    ("de", ("„", "“", "‚", "‘")), ("pl", ("„", "”", "«", "»")),
    ("en", ("“", "”", "‘", "’")), ("zh-TW", ("「", "」", "『", "』")),
    ("xx", ("“", "”", "‘", "’")),                            # unknown: CLDR's root
])
def test_quotes(tag: str, expected: tuple[str, str, str, str]) -> None:
    assert load_locale(tag)[0].quotes == expected


@pytest.mark.parametrize("tag", ["ar", "he", "fa", "ur", "ar-EG", "ps", "yi"])
def test_right_to_left(tag: str) -> None:
    assert load_locale(tag)[0].direction == "rtl"


@pytest.mark.parametrize("tag", ["en", "en-US", "es", "fr", "de", "pt", "it", "pl", "zh", "sw", "xx"])
def test_left_to_right(tag: str) -> None:
    assert load_locale(tag)[0].direction == "ltr"


def test_hyphenation_language_is_the_book_tag() -> None:
    assert load_locale("en-US")[0].hyphenation_language == "en-US"
    assert load_locale("sw")[0].hyphenation_language == "sw"


# -- lookup and fallback ---------------------------------------------------------------------

@pytest.mark.parametrize("tag, expected", [
    ("pt-BR", "Sumário"), ("zh-Hans", "目录"), ("zh-CN", "目录"), ("en-US", "Contents"),
    ("es-419", "Contenido"), ("de-AT", "Inhalt"), ("FR-ca", "Sommaire"),
])
def test_lookup_drops_region_and_script(tag: str, expected: str) -> None:
    locale, warning = load_locale(tag)
    assert (locale.gettext("Contents"), warning) == (expected, None)


def test_missing_language_builds_in_english_with_one_warning() -> None:
    locale, warning = load_locale("sw")
    assert locale.language == "sw" and locale.strings_language == "en"
    assert locale.gettext("Contents") == "Contents"
    assert locale.ngettext(*CITED, 1) == CITED[0] and locale.ngettext(*CITED, 3) == CITED[1]
    assert isinstance(warning, str) and "\n" not in warning
    assert ("pybabel init -i docbuild/locales/docbuild.pot -d docbuild/locales -D docbuild -l sw"
            in warning)
    assert "docbuild/locales/sw/LC_MESSAGES/docbuild.po" in warning


def test_traditional_chinese_does_not_get_simplified() -> None:
    locale, warning = load_locale("zh-TW")
    assert locale.gettext("Contents") == "Contents"
    assert warning and "-l zh_Hant" in warning and "docbuild/locales/zh_Hant/LC_MESSAGES" in warning


# -- brands ----------------------------------------------------------------------------------

def test_brand_catalogue_is_searched_first_and_falls_through(tmp_path: Path) -> None:
    write_po(tmp_path, "fr", {"Contents": "Table des matières"})
    locale, warning = load_locale("fr", catalogue_dirs=[tmp_path])
    assert warning is None
    assert locale.gettext("Contents") == "Table des matières"
    assert locale.gettext("References") == "Références"           # from docbuild's own fr
    assert locale.ngettext(*CITED, 2) == "Cité dans les notes %(notes)s"


def test_brand_catalogue_adds_a_language(tmp_path: Path) -> None:
    write_po(tmp_path, "sw", {"Contents": "Yaliyomo"})
    locale, warning = load_locale("sw-KE", catalogue_dirs=[tmp_path])
    assert (warning, locale.gettext("Contents"), locale.strings_language) == (None, "Yaliyomo", "sw-KE")
    assert locale.gettext("References") == "References"


def test_brand_catalogue_may_use_a_hyphenated_folder(tmp_path: Path) -> None:
    write_po(tmp_path, "pt-BR", {"Contents": "Conteúdo"})
    assert load_locale("pt-BR", catalogue_dirs=[tmp_path])[0].gettext("Contents") == "Conteúdo"


def test_overrides_win_over_every_catalogue(tmp_path: Path) -> None:
    write_po(tmp_path, "fr", {"Contents": "Table des matières"})
    strings = {"Contents": "Au menu", "Cited in note %(notes)s": "Voir %(notes)s",
               "Cited in notes %(notes)s": "Voir les notes %(notes)s"}
    locale, _ = load_locale("fr", catalogue_dirs=[tmp_path], overrides=strings)
    assert locale.gettext("Contents") == "Au menu"
    assert locale.gettext("References") == "Références"
    assert locale.ngettext(*CITED, 1) == "Voir %(notes)s"
    assert locale.ngettext(*CITED, 0) == "Voir %(notes)s"          # French: 0 is "one" too
    assert locale.ngettext(*CITED, 4) == "Voir les notes %(notes)s"
    strings["Contents"] = "changed later"
    assert locale.gettext("Contents") == "Au menu"                 # the locale keeps its copy


def test_catalogues_are_cached_by_modification_time(tmp_path: Path, monkeypatch) -> None:
    path = write_po(tmp_path, "fr", {"Contents": "Première"})
    reads = []
    real = locale_module.read_po
    monkeypatch.setattr(locale_module, "read_po", lambda *a, **k: reads.append(1) or real(*a, **k))
    monkeypatch.setattr(locale_module, "_COMPILED", {})
    load_locale("fr", catalogue_dirs=[tmp_path])
    load_locale("fr", catalogue_dirs=[tmp_path])
    assert len(reads) == 2                                          # brand fr + docbuild fr, once each
    write_po(tmp_path, "fr", {"Contents": "Seconde"})
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert load_locale("fr", catalogue_dirs=[tmp_path])[0].gettext("Contents") == "Seconde"
    assert len(reads) == 3


def test_untranslated_and_fuzzy_entries_fall_through(tmp_path: Path) -> None:
    path = write_po(tmp_path, "de", {"Contents": "", "References": "Quellenverzeichnis"})
    path.write_text(path.read_text(encoding="utf-8").replace(
        'msgid "References"', '#, fuzzy\nmsgid "References"'), encoding="utf-8")
    with path.open("a", encoding="utf-8") as file:   # a plural entry with one form missing
        file.write('msgid "Cited in note %(notes)s"\nmsgid_plural "Cited in notes %(notes)s"\n'
                   'msgstr[0] "In %(notes)s"\nmsgstr[1] ""\n')
    locale, _ = load_locale("de", catalogue_dirs=[tmp_path])
    assert (locale.gettext("Contents"), locale.gettext("References")) == ("Inhalt", "Literatur")
    assert locale.ngettext(*CITED, 2) == "Zitiert in den Anmerkungen %(notes)s"


def test_a_broken_brand_catalogue_is_a_user_error(tmp_path: Path) -> None:
    path = tmp_path / "fr" / "LC_MESSAGES" / "docbuild.po"
    path.parent.mkdir(parents=True)
    path.write_text('msgid ""\nmsgstr ""\n\nmsgid "Contents"\nmsgstr "Sommaire\nmsgid "x"\n',
                    encoding="utf-8")
    with pytest.raises(DocError) as caught:
        load_locale("fr", catalogue_dirs=[tmp_path])
    assert "docbuild.po:" in str(caught.value) and "translation catalogue" in str(caught.value)


# -- templates -------------------------------------------------------------------------------

def render(locale: Locale, source: str, autoescape: bool = True) -> str:
    env = ImmutableSandboxedEnvironment(autoescape=autoescape, undefined=jinja2.StrictUndefined)
    install(env, locale)
    return env.from_string(source).render()


def cited(n: int, notes: str) -> str:
    return ('{{ ngettext("Cited in note %(notes)s", "Cited in notes %(notes)s", '
            f'{n}, notes="{notes}") }}}}')


@pytest.mark.parametrize("tag, contents, one, two", [
    ("fr", "Sommaire", "Cité dans la note 1", "Cité dans les notes 1, 2"),
    ("de", "Inhalt", "Zitiert in Anmerkung 1", "Zitiert in den Anmerkungen 1, 2"),
    ("ar", "المحتويات", "ورد في الحاشية 1", "ورد في الحاشيتين 1, 2"),
    ("en", "Contents", "Cited in note 1", "Cited in notes 1, 2"),
])
def test_templates_render_translated(tag: str, contents: str, one: str, two: str) -> None:
    locale = load_locale(tag)[0]
    assert cited(2, "1, 2") == ('{{ ngettext("Cited in note %(notes)s", "Cited in notes %(notes)s", '
                                '2, notes="1, 2") }}')
    assert render(locale, '{{ _("Contents") }}') == contents
    assert render(locale, cited(1, "1")) == one
    assert render(locale, cited(2, "1, 2")) == two
    assert render(locale, '{{ gettext("Page %(page)s of %(pages)s", page=2, pages=6) }}') \
        == locale.gettext("Page %(page)s of %(pages)s") % {"page": 2, "pages": 6}


def test_templates_escape_translations_and_values() -> None:
    locale = load_locale("en", overrides={"Contents": "Q&A <b>"})[0]
    assert render(locale, '{{ _("Contents") }}') == "Q&amp;A &lt;b&gt;"
    assert render(locale, '{{ _("%(clinic)s logo", clinic="<i>") }}') == "&lt;i&gt; logo"
    assert render(locale, '{{ _("Contents") }}', autoescape=False) == "Q&A <b>"


# -- no work at import -----------------------------------------------------------------------

def test_importing_reads_no_catalogue() -> None:
    code = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == 'open' else None)\n"
        "import docbuild.locale as m\n"
        "bad = [p for p in opened if p.endswith(('.po', '.pot', '.mo', '.dat'))]\n"
        "assert not bad and not m._COMPILED, bad\n"
        "m.load_locale('fr')\n"
        "assert any(p.endswith('docbuild.po') for p in opened)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
