"""Every patient's language, read back from the real outputs: a Spanish, an Arabic and a Chinese
handout (with a test font in a brand pack): labels translated, dates localised, direction, glyphs
present for every character, EPUBCheck clean, and the error for a script no font covers."""
from __future__ import annotations

import re
import shutil
import zipfile

import pdfplumber
import pytest
from lxml import etree

from conftest import FIXTURES, ROOT, epubcheck, run_cli
from docbuild.coverage import glyphs_in_pdf
from docbuild.locale import load_locale
from test_coverage import han_font

# the labels a short handout shows (2 chapters: no contents list)
LABELS = ["References", "About this leaflet", "Written by", "Clinical review", "Published", "Last reviewed",
          "Next review due", "Warning", "Note", "Page %(page)s of %(pages)s", "Title page",
          "This information supports, and does not replace, advice from your doctor, nurse or other clinician."]


@pytest.fixture(scope="session")
def handouts(tmp_path_factory):
    out = {}
    for language in ("es", "ar"):
        dest = tmp_path_factory.mktemp(language)
        result = run_cli("build", "--book", str(FIXTURES / language), "--out", str(dest))
        assert result.returncode == 0, result.stderr
        out[language] = {p.suffix[1:]: p for p in dest.iterdir() if not p.name.startswith(".")}
    return out


def _pdf_text(path) -> str:
    """The PDF's text in reading (logical) order: pypdf keeps Arabic logical, pdfplumber visual."""
    from pypdf import PdfReader
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _epub_text(path) -> str:
    with zipfile.ZipFile(path) as epub:
        return "\n".join(epub.read(n).decode() for n in epub.namelist() if n.endswith((".xhtml", ".ncx", ".opf")))


@pytest.mark.parametrize("language", ["es", "ar"])
def test_every_label_is_in_the_books_language(handouts, language):
    locale, warning = load_locale(language)
    assert warning is None
    pdf, epub = _pdf_text(handouts[language]["pdf"]), _epub_text(handouts[language]["epub"])
    for label in LABELS:
        translated = locale.gettext(label)
        assert translated != label, f"{label!r} is not translated"
        english = label.split("%")[0].strip()
        if label.startswith("Page"):
            assert translated.split("%")[0].strip() in pdf
            assert not re.search(rf"\b{english} \d+ of \d+", pdf)
        elif label in ("Title page",):
            assert translated in epub and f">{english}<" not in epub
        else:
            assert not re.search(rf"(^|\n){re.escape(english)}(\n|$)", pdf) and f">{english}<" not in epub, label


def test_dates_are_written_the_languages_way(handouts):
    assert "6 de abril de 2026" in _pdf_text(handouts["es"]["pdf"])
    assert "6 de abril de 2026" in _epub_text(handouts["es"]["epub"])


def test_arabic_reads_right_to_left_in_both_outputs(handouts):
    with zipfile.ZipFile(handouts["ar"]["epub"]) as epub:
        chapter = etree.fromstring(epub.read(next(n for n in epub.namelist() if re.search(r"ch01\.xhtml$", n))))
        opf = epub.read("EPUB/content.opf").decode()
    assert chapter.get("dir") == "rtl" and chapter.get("lang") == "ar"
    assert 'page-progression-direction="rtl"' in opf
    with pdfplumber.open(handouts["ar"]["pdf"]) as pdf:
        page = pdf.pages[0]
        arabic = [c for c in page.chars if "\u0600" <= c["text"] <= "\u06ff"]
        footer = [c for c in page.chars if c["text"].isdigit() and c["top"] > page.height - 50]   # "Page 1 of 3"
        digits = "".join(c["text"] for c in sorted((c for p in pdf.pages for c in p.chars
                                                    if c["text"] in "+0123456789" and c["size"] > 11),
                                                   key=lambda c: (c["page_number"], c["top"], c["x0"])))
    right_aligned = [c for c in arabic if c["x1"] > page.width * 0.6]
    assert len(right_aligned) > len(arabic) / 2
    assert footer and all(c["x1"] < page.width / 2 for c in footer)   # mirrored to the left
    assert "+15550100" in digits                       # a phone number inside Arabic keeps its order


@pytest.mark.parametrize("language", ["es", "ar"])
def test_every_character_has_a_glyph_in_the_pdf(handouts, language):
    from docbuild.errors import Collector
    from docbuild.load import load_book
    from docbuild.text import body_text
    book = load_book(FIXTURES / language, Collector())
    source = "".join([book.config.title, *(c.title + body_text(c) for c in book.chapters)])
    letters = {c for c in source if c.isalpha()}
    assert letters <= glyphs_in_pdf(handouts[language]["pdf"]), letters - glyphs_in_pdf(handouts[language]["pdf"])


def test_epubcheck_passes_both(handouts):
    for language in ("es", "ar"):
        serious = [m for m in epubcheck(handouts[language]["epub"]) if m["severity"] in ("FATAL", "ERROR", "WARNING")]
        assert serious == [], (language, serious)


def test_a_script_no_font_covers_is_an_error_at_its_line():
    result = run_cli("check", "--book", str(FIXTURES / "zh"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = [l for l in result.stderr.splitlines() if ": error: " in l]
    assert errors and all("Chinese (Han)" in l and "fonts/ folder" in l for l in errors), result.stderr
    assert re.search(r"zh/chapters/01-shui-hao\.md:\d+: error: ", result.stderr)


def test_a_chinese_handout_builds_with_a_cjk_font_in_the_brand_pack(tmp_path):
    text = "".join(p.read_text() for p in [*(FIXTURES / "zh" / "chapters").glob("*.md"), FIXTURES / "zh" / "book.toml"])
    han = "".join(sorted({c for c in text if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"}))
    brand = tmp_path / "brand"
    (brand / "fonts").mkdir(parents=True)
    han_font(brand / "fonts" / "TestHan.ttf", han)
    (brand / "brand.toml").write_text('name = "Clinic"\n')
    result = run_cli("build", "--book", str(FIXTURES / "zh"), "--brand", str(brand), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    pdf = next((tmp_path / "out").glob("*.pdf"))
    assert set(han) <= glyphs_in_pdf(pdf)
    epub = next((tmp_path / "out").glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        assert any(n.endswith("TestHan.ttf") for n in z.namelist())
    assert "页" in _pdf_text(pdf) or "第" in _pdf_text(pdf) or han[0] in _pdf_text(pdf)
