"""Read the built PDFs back: notes on the page of their call, references, metadata, fonts, outline."""
from __future__ import annotations

import re

import pdfplumber
import pytest
from pypdf import PdfReader

from pdf_reading import calls_on_page, notes_on_page

BOOKS = ("default", "small")


@pytest.mark.parametrize("name", BOOKS)
def test_every_footnote_is_on_the_page_of_its_call(built, name):
    with pdfplumber.open(built[name]["pdf"]) as pdf:
        seen = []
        for number, page in enumerate(pdf.pages, start=1):
            calls, notes = calls_on_page(page), notes_on_page(page)
            assert sorted(calls) == sorted(notes), f"page {number}: calls {calls}, notes {sorted(notes)}"
            assert all(text.strip() for text in notes.values())
            seen += calls
    assert seen == list(range(1, len(seen) + 1)) and len(seen) >= 7


def test_first_note_is_full_and_later_notes_short(built):
    with pdfplumber.open(built["small"]["pdf"]) as pdf:
        notes = {}
        for page in pdf.pages:
            notes.update(notes_on_page(page))
    assert notes[1].startswith("Smith JA, Jones M, Brown K. Stress & muscle tension in office workers.")
    assert "JOccupHealth.2020;12(3):100-110.doi:10.1000/xyz123" in re.sub(r"\s", "", notes[1])
    assert notes[2] == "Smith et al, 2020, p. 104. See note 1."
    assert notes[4] == "Slow breathing means about six breaths a minute."
    assert "(National Health Agency, 2021)" in notes[7]      # a citation inside a footnote stays inline


def _text(pdf_path) -> list[str]:
    with pdfplumber.open(pdf_path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_references_list_each_cited_work_once(built):
    pages = _text(built["default"]["pdf"])
    refs = next(p for p in pages if p.startswith("References") or "\nReferences\n" in p[:80])
    entries = re.findall(r"^\s*(\d+)\. ", refs, re.M)
    assert [int(e) for e in entries] == list(range(1, 11))
    for title in ("The Stress of Life", "Psychophysiological stress responses", "Low back pain and sciatica"):
        assert sum(title in p for p in pages if p is refs) == 1
    assert "Lundberg U, Dohns IE, Melin B, et al. Psychophysiological stress responses" in refs


def test_title_page_shows_governance(built):
    first = _text(built["default"]["pdf"])[0]
    for text in ("Anxiety and Back Pain", "Why stress tightens your back", "Written by", "Published",
                 "Last reviewed", "Next review due", "Not yet reviewed by a clinician"):
        assert text in first


def test_metadata_tagging_and_page_count(built):
    reader = PdfReader(built["small"]["pdf"])
    info = reader.metadata
    assert info.title == "Small Test Book"
    assert "Ada Writer, RN" in info.author and "Ben Author" in info.author
    assert info["/CreationDate"].startswith("D:20260110")
    assert info["/ModDate"].startswith("D:20260201")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert f"{len(reader.pages)} pages" in built["small"]["stdout"]
    assert len(reader.pages) == 5   # title, contents, two chapters, references
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)   # A4


@pytest.mark.parametrize("name", BOOKS)
def test_every_font_is_embedded_and_ours(built, name):
    reader = PdfReader(built[name]["pdf"])
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert all("Atkinson-Hyperlegible" in name for name in fonts), fonts


def test_outline_running_head_and_page_numbers(built):
    reader = PdfReader(built["default"]["pdf"])
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Contents" in titles and "Why stress and anxiety can cause back pain" in titles
    assert "References" in titles
    pages = _text(built["default"]["pdf"])
    total = len(pages)
    assert f"Page 1 of {total}" in pages[0] and f"Page {total} of {total}" in pages[-1]
    chapter_page = next(p for p in pages[2:] if "What it can feel like" in p.splitlines()[0])
    assert chapter_page


def test_contents_gives_page_numbers(built):
    contents = _text(built["default"]["pdf"])[1]
    assert re.search(r"Key points\s*\.+\s*3", contents)
    assert re.search(r"References\s*\.+\s*\d+", contents)


def test_callouts_carry_a_text_label(built):
    text = "\n".join(_text(built["default"]["pdf"]))
    assert "WARNING" in text and "CAUTION" in text


@pytest.mark.parametrize("name", BOOKS)
def test_no_footnote_starts_with_a_lone_word(built, name):
    # WeasyPrint 70's ::footnote-marker broke some notes after their first word (see render._pdf_note)
    for number, text in enumerate(_text(built[name]["pdf"]), start=1):
        assert not re.search(r"^\d+\. \S+$", text, re.M), f"page {number}"
