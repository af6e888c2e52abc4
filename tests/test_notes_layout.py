"""Footnote layout: docbuild.notecheck finds where WeasyPrint put each note, docbuild.weasyfix
fixes the note WeasyPrint 70.0 loses (docs/upstream/weasyprint-footnote-drop.md)."""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest


def _isolate_fonts() -> None:
    """Fonts as in a build (fontconfig reads its configuration once per process, so a test that
    loads WeasyPrint first decides for every later test); the layouts here need no font."""
    if "weasyprint" in sys.modules or "FONTCONFIG_FILE" in os.environ:
        return
    try:
        from docbuild.pdf import _isolate_fonts as isolate
    except Exception:        # noqa: BLE001 - the fixtures here render with any font
        return
    isolate()


_isolate_fonts()
weasyprint = pytest.importorskip("weasyprint")

from docbuild import notecheck, weasyfix  # noqa: E402
from docbuild.notecheck import Note, Placement, check_notes  # noqa: E402

DROP = Path(__file__).parent / "fixtures" / "notes" / "drop.html"
NOTES = ("alpha", "bravo", "charlie", "delta", "echo")


@pytest.fixture(autouse=True)
def stock():
    """Every test starts and ends with WeasyPrint unpatched."""
    weasyfix.revert()
    yield
    weasyfix.revert()


def pdf_pages(document) -> list[str]:
    """The text of each page of the PDF, read back with pypdf (independent of notecheck)."""
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(io.BytesIO(document.write_pdf()))
    return [page.extract_text() for page in reader.pages]


def render(html: str):
    return weasyprint.HTML(string=html, base_url=str(DROP.parent)).render()


needs_verified = pytest.mark.skipif(not weasyfix.verified(),
                                    reason="weasyfix is verified on WeasyPrint 70.0 only")


# --- the lost note ---------------------------------------------------------------------------

@needs_verified
def test_stock_weasyprint_drops_a_note_and_the_checker_finds_it():
    document = weasyprint.HTML(filename=str(DROP)).render()
    placement = check_notes(document)
    assert len(placement) == 5
    assert placement.missing == [5]
    assert placement[5].call_page == 1 and placement[5].note_page is None
    assert not placement.ok
    text = pdf_pages(document)
    assert "g5" in text[0]                               # its call is printed...
    assert not any("echo" in page for page in text)     # ...its text is on no page


@needs_verified
def test_fix_without_keep_moves_the_note_on_instead_of_losing_it():
    assert weasyfix.apply(keep_notes_with_calls=False)
    document = weasyprint.HTML(filename=str(DROP)).render()
    placement = check_notes(document)
    assert placement.missing == []
    assert [(n.call_page, n.note_page) for n in placement.notes] == [
        (1, 1), (1, 1), (1, 1), (1, 2), (1, 2)]        # 5 follows 4 onto the next page
    text = pdf_pages(document)
    assert "echo" in text[1] and text[1].index("delta") < text[1].index("echo")


@needs_verified
def test_fix_keeps_every_note_with_its_call():
    assert weasyfix.apply()
    document = weasyprint.HTML(filename=str(DROP)).render()
    placement = check_notes(document)
    assert placement.ok and placement.missing == []
    assert placement.on_call_page_ratio == 1.0
    assert all(word in "".join(pdf_pages(document)) for word in NOTES)


# --- the checker on a normal document --------------------------------------------------------

PAGES = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
  @page { size: 100px 60px; margin: 0; }
  body { margin: 0; font-size: 5px; line-height: 1; }
  .footnote { float: footnote; }
  .footnote::footnote-call { vertical-align: baseline; }
  section { break-before: page; }
</style></head><body>
<section>one<span class="footnote" id="note-1"><span class="note-number">1.</span> a</span>
 two<span class="footnote" data-note="2">b</span></section>
<section>three<span class="footnote"><span class="note-number">3.</span> c</span></section>
<section>none here</section>
<section>four<span class="footnote">d</span><br>five<span class="footnote" id="x">e</span></section>
</body></html>"""


def test_check_notes_on_a_normal_document():
    placement = check_notes(render(PAGES))
    assert placement.pages == 4
    # numbers from id="note-N", data-note, the note-number text, else the rank of the call
    assert [(n.number, n.call_page, n.note_pages) for n in placement.notes] == [
        (1, 1, (1,)), (2, 1, (1,)), (3, 2, (2,)), (4, 4, (4,)), (5, 4, (4,))]
    assert placement.ok
    assert placement.on_call_page == [1, 2, 3, 4, 5] and placement.on_call_page_ratio == 1.0
    assert placement.missing == placement.early == placement.late == placement.next_page == []
    assert "5 notes on 4 pages: 0 missing, 100.0% on the call's page" in placement.summary()


def test_check_notes_expected_lists_notes_seen_nowhere():
    placement = check_notes(render(PAGES), expected=7)
    assert placement.missing == [6, 7] and placement.uncalled == [6, 7]
    assert check_notes(render(PAGES), expected=[1, 2, 3, 4, 5]).ok


def test_check_notes_without_notes():
    placement = check_notes(render("<p>No notes at all."))
    assert len(placement) == 0 and placement.on_call_page_ratio == 1.0 and placement.ok


def test_placement_helpers():
    placement = Placement((Note(1, 1, (1,)), Note(2, 2, (3,)), Note(3, 3, (2,)),
                           Note(4, 3, (6,)), Note(5, 4, ()), Note(6, 5, (5, 6)),
                           Note(7, None, (7,))), pages=7)
    assert placement.on_call_page == [1, 6]
    assert placement.next_page == [2]
    assert placement.early == [3]
    assert placement.late == [4]
    assert placement.missing == [5]
    assert placement.duplicated == [6]
    assert placement.uncalled == [7]
    assert placement.on_call_page_ratio == pytest.approx(2 / 7)
    assert placement[4].offset == 3 and placement[5].offset is None
    assert not placement.ok


def test_note_number_sources():
    from xml.etree.ElementTree import fromstring
    assert notecheck.note_number(fromstring('<span data-note="7" id="note-8"/>')) == 7
    assert notecheck.note_number(fromstring('<span id="note-8"/>')) == 8
    assert notecheck.note_number(fromstring(
        '<span><span class="note-number bold">9.</span> text</span>')) == 9
    assert notecheck.note_number(fromstring('<span id="n9">text</span>')) is None


# --- the patch's guard -----------------------------------------------------------------------

@needs_verified
def test_apply_is_idempotent_and_revert_restores():
    from weasyprint.layout import block
    original = block._linebox_layout
    assert weasyfix.apply() is True
    patched = block._linebox_layout
    assert patched is not original and patched.__wrapped__ is original
    assert weasyfix.apply() is True and block._linebox_layout is patched
    assert weasyfix.applied() == ("drop", "scale", "keep", "page-references")
    assert weasyfix.apply(keep_notes_with_calls=False) is True
    assert weasyfix.applied() == ("drop", "scale", "page-references")
    assert block._linebox_layout.__wrapped__ is original
    assert weasyfix.revert() is True and block._linebox_layout is original
    assert weasyfix.revert() is False and weasyfix.applied() == ()


def test_apply_is_a_no_op_on_an_unverified_version(monkeypatch):
    from weasyprint.layout import block
    original = block._linebox_layout
    monkeypatch.setattr(weasyprint, "__version__", "71.0")
    assert weasyfix.verified() is False
    assert weasyfix.apply() is False
    assert block._linebox_layout is original and weasyfix.applied() == ()
    monkeypatch.setattr(weasyprint, "__version__", "69.0")
    assert weasyfix.apply() is False and block._linebox_layout is original


def test_apply_is_a_no_op_when_the_function_changed(monkeypatch):
    import pydyf
    from weasyprint.layout import block
    original, references = block._linebox_layout, pydyf.PDF.__dict__["page_references"]
    monkeypatch.setitem(weasyfix.FINGERPRINTS, "weasyprint.layout.block._linebox_layout",
                        "0" * 64)
    assert weasyfix.apply() is False and block._linebox_layout is original
    assert pydyf.PDF.__dict__["page_references"] is references and weasyfix.applied() == ()


@needs_verified
def test_page_references_fix_is_skipped_for_another_pydyf(monkeypatch):
    monkeypatch.setitem(weasyfix.FINGERPRINTS, "pydyf.PDF.page_references", "0" * 64)
    assert weasyfix.apply() is True
    assert weasyfix.applied() == ("drop", "scale", "keep")


@needs_verified
def test_page_references_fix_writes_the_same_pdf():
    document = render(PAGES)
    stock_pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    assert weasyfix.apply() and "page-references" in weasyfix.applied()
    assert document.write_pdf(pdf_variant="pdf/ua-1") == stock_pdf    # byte for byte


@needs_verified
def test_page_references_are_built_once_until_a_page_is_added():
    import pydyf
    assert weasyfix.apply() and "page-references" in weasyfix.applied()
    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    first = pdf.page_references
    assert pdf.page_references is first and len(first) == 3     # stock builds a new tuple
    pdf.add_page(pydyf.Dictionary({"Type": "/Page"}))
    assert len(pdf.page_references) == 4 and pdf.page_references[:3] == first


class _CountingList(list):
    """A wait list that counts the look-ups of boxes that call no note (`None in footnotes`)."""
    none_lookups = 0

    def __contains__(self, item):
        if item is None:
            type(self).none_lookups += 1
        return super().__contains__(item)


def _none_lookups(monkeypatch) -> int:
    from weasyprint.layout import LayoutContext
    init = LayoutContext.__init__

    def patched_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.footnotes = _CountingList()

    monkeypatch.setattr(LayoutContext, "__init__", patched_init)
    _CountingList.none_lookups = 0
    render(PAGES)
    return _CountingList.none_lookups


@needs_verified
def test_scale_fix_stops_scanning_the_wait_list_for_boxes_without_a_note(monkeypatch):
    # stock: every box of every placed line scans the list of all notes not placed yet,
    # which makes a chapter with thousands of notes quadratic (bench/notes.py --scale)
    assert _none_lookups(monkeypatch) > 10
    assert weasyfix.apply()
    assert _none_lookups(monkeypatch) == 0
