"""The editions read back from the real PDFs: the leaflet (A4 and Letter), large print and the
folded A5 booklet: type sizes, characters a line, no hyphenation, page sizes, sheet order."""
from __future__ import annotations

import re

import pdfplumber
import pytest
from pypdf import PdfReader

from conftest import FIXTURES, ROOT, copy_book, run_cli
from docbuild.impose import padded_order, saddle_stitch
from pdf_reading import body_lines, body_size, letter_sizes, percentile, smallest_size

A4, LETTER = (595, 842), (612, 792)


@pytest.fixture(scope="session")
def editions(tmp_path_factory):
    """The default book in every edition, with the neutral brand (A4) and riverside (Letter)."""
    out = tmp_path_factory.mktemp("editions")
    result = run_cli("build", "--out", str(out), "--format", "pdf", "--edition", "standard",
                     "--edition", "large-print", "--edition", "booklet", "--brand", str(ROOT / "brands" / "default"),
                     "--brand", str(ROOT / "brands" / "riverside"))
    assert result.returncode == 0, result.stderr
    return out


def _measure(path):
    with pdfplumber.open(path) as pdf:
        sizes = letter_sizes(pdf)
        body = body_size(sizes)
        full = [len(l) for l in body_lines(pdf, body) if "..." not in l]   # not the contents' leaders
        return {"body": body, "smallest": smallest_size(sizes), "pages": pdf.pages, "sizes": sizes,
                "measure": percentile([n for n in full if n > 0.6 * max(full)], 0.8),
                "hyphenated": [l for l in body_lines(pdf, body) if re.search(r"\w-$", l)],
                "box": (round(float(pdf.pages[0].width)), round(float(pdf.pages[0].height)))}


@pytest.mark.parametrize("brand, box", [("default", A4), ("riverside", LETTER)])
def test_the_standard_edition_reads_as_a_leaflet(editions, brand, box):
    m = _measure(editions / brand / "anxiety-back-pain.pdf")
    assert m["body"] >= 12 and m["smallest"] >= 9, m["sizes"]
    assert 50 <= m["measure"] <= 75, m["measure"]
    assert m["hyphenated"] == []
    assert m["box"] == box


def test_large_print_follows_rnib_guidance(editions):
    path = editions / "default" / "anxiety-back-pain-large-print.pdf"
    m = _measure(path)
    assert m["body"] >= 16 and m["smallest"] >= 14, m["sizes"]
    assert m["hyphenated"] == []
    fonts = {c["fontname"] for page in pdfplumber.open(path).pages for c in page.chars}
    assert fonts and not [f for f in fonts if "Italic" in f], fonts          # emphasis in bold
    assert all("Hyperlegible" in f for f in fonts)                           # sans-serif
    with pdfplumber.open(path) as pdf:
        tops = sorted({round(l["top"]) for l in pdf.pages[3].extract_text_lines()
                       if abs(l["chars"][0]["size"] - m["body"]) < 0.3})
    pitches = [b - a for a, b in zip(tops, tops[1:]) if b - a < 3 * m["body"]]
    assert min(pitches) >= 1.45 * m["body"], pitches                         # line spacing 1.5
    text = "\n".join(p.extract_text() or "" for p in pdfplumber.open(path).pages)
    assert "\nNotes\n" in text                                               # notes after each chapter


def _page_numbers(page) -> tuple:
    """The "Page N of M" footers on an imposed sheet side, left half first (None for a blank half)."""
    half = float(page.width) / 2
    found = {0: None, 1: None}
    for match in page.search(r"Page (\d+) of \d+"):
        found[int(match["x0"] >= half)] = int(match["groups"][0])
    return found[0], found[1]


@pytest.mark.parametrize("brand, sheet", [("default", (842, 595)), ("riverside", (792, 612))])
def test_the_booklet_sheets_fold_into_page_order(editions, brand, sheet):
    a5 = PdfReader(editions / brand / "anxiety-back-pain-a5.pdf")
    pages = len(a5.pages)
    assert "/StructTreeRoot" in a5.trailer["/Root"]                          # the tagged pages in order
    half = (round(float(a5.pages[0].mediabox.width)), round(float(a5.pages[0].mediabox.height)))
    assert half == ((420, 595) if brand == "default" else (396, 612))
    order = saddle_stitch(padded_order(pages))
    with pdfplumber.open(editions / brand / "anxiety-back-pain-booklet.pdf") as pdf:
        assert len(pdf.pages) == len(order)
        for side, (page, expected) in enumerate(zip(pdf.pages, order)):
            assert (round(float(page.width)), round(float(page.height))) == sheet
            assert _page_numbers(page) == expected, f"side {side + 1}"
    assert order[0] == (pages, 1)                                            # the back cover outside


def _edited_build(tmp_path, toml_extra: str = "", brand_extra: str = "", *args):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    if toml_extra:
        (book / "book.toml").write_text(toml_extra + "\n" + (book / "book.toml").read_text())
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "brand.toml").write_text('name = "Clinic"\n' + brand_extra)
    result = run_cli("build", "--book", str(book), "--brand", str(brand), "--out", str(tmp_path / "out"),
                     "--format", "pdf", *args)
    assert result.returncode == 0, result.stderr
    return tmp_path / "out"


def test_a_brand_can_change_an_edition(tmp_path):
    out = _edited_build(tmp_path, "", "[editions.large-print]\nbody_size = 20\n", "--edition", "large-print")
    sizes = _measure(out / "small-test-book-large-print.pdf")["sizes"]
    assert sizes.get(20.0, 0) > 4 * sizes.get(18.0, 0), sizes        # the body at 20 pt, not the default 18


def test_a_brand_can_turn_hyphenation_on(tmp_path):
    book = copy_book(ROOT / "book", tmp_path / "book")
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "brand.toml").write_text('name = "Clinic"\nhyphenate = true\n')
    result = run_cli("build", "--book", str(book), "--brand", str(brand), "--out", str(tmp_path / "out"),
                     "--format", "pdf")
    assert result.returncode == 0, result.stderr
    assert _measure(tmp_path / "out" / "anxiety-back-pain.pdf")["hyphenated"]


@pytest.mark.parametrize("setting, shown", [("contents = true", True), ("contents = false", False),
                                            ('contents = "auto"', False)])
def test_the_contents_list_only_where_it_helps(tmp_path, setting, shown):
    out = _edited_build(tmp_path, setting)
    with pdfplumber.open(out / "small-test-book.pdf") as pdf:
        text = pdf.pages[0].extract_text()
    assert ("\nContents\n" in text) == shown


def test_chapters_flow_on_unless_breaks_are_asked_for(tmp_path):
    flow = _edited_build(tmp_path / "a")
    paged = _edited_build(tmp_path / "b", 'chapter_breaks = "page"')
    assert len(PdfReader(paged / "small-test-book.pdf").pages) > len(PdfReader(flow / "small-test-book.pdf").pages)



def test_the_lean_first_page_and_the_large_print_line(editions):
    with pdfplumber.open(editions / "riverside" / "anxiety-back-pain.pdf") as pdf:
        first = pdf.pages[0]
        text = first.extract_text()
        notice = [c for c in first.chars if c["text"] == "T" and c["size"] >= 15.9]
    assert "available in large print and other formats" in text.replace("\n", " ")
    assert "+1 555 0100" in text and notice                 # with the brand's contact, at 16 pt or more
    assert "Written by" not in text and "Clinical review" not in text
