"""Booklet imposition: real A5 / half-letter PDFs from WeasyPrint, imposed and read back sheet by sheet."""
from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

import pdfplumber
import pypdf
import pytest

from docbuild.impose import booklet, padded_order, saddle_stitch

FONTS = Path(__file__).resolve().parent.parent / "fonts"
A4_LANDSCAPE = (841.89, 595.28)
LETTER_LANDSCAPE = (792.0, 612.0)


def isolated_weasyprint():
    """WeasyPrint seeing only the project's fonts, as in a build (fontconfig reads its config once)."""
    if "weasyprint" not in sys.modules and "FONTCONFIG_FILE" not in os.environ:
        folder = Path(tempfile.gettempdir()) / f"docbuild-test-fontconfig-{os.getuid()}"
        folder.mkdir(exist_ok=True)
        (folder / "fonts.conf").write_text(f'<?xml version="1.0"?><fontconfig><dir>{FONTS}</dir>'
                                           f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>")
        os.environ["FONTCONFIG_FILE"] = str(folder / "fonts.conf")
    import weasyprint
    return weasyprint


def leaflet(pages: int, size: str = "A5") -> bytes:
    """A `pages`-page PDF of `size` with nothing on each page but its number, set large."""
    weasyprint = isolated_weasyprint()
    body = "".join(f'<p class="n">{n}</p>' for n in range(1, pages + 1))
    html = (f'<html lang="en-GB"><head><title>Back pain booklet</title>'
            f'<meta name="dcterms.created" content="2024-03-01">'
            f"<style>@page {{ size: {size}; margin: 20mm }} "
            f".n {{ font-size: 120pt; text-align: center; margin: 0; break-after: page }}</style>"
            f"</head><body>{body}</body></html>")
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def sides(pdf: bytes) -> list[tuple[int | None, int | None]]:
    """(left, right) page number printed on each half of each sheet side; None for an empty half."""
    found = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            halves: list[list[str]] = [[], []]
            for word in page.extract_words():
                assert word["x1"] <= page.width / 2 or word["x0"] >= page.width / 2, "a page crosses the fold"
                halves[word["x0"] >= page.width / 2].append(word["text"])
            found.append(tuple(int("".join(h)) if h else None for h in halves))
    return found


def sheet_sizes(pdf: bytes) -> set[tuple[float, float]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return {(round(p.width, 2), round(p.height, 2)) for p in doc.pages}


@pytest.fixture(scope="module")
def a5() -> dict[int, bytes]:
    return {n: leaflet(n) for n in (1, 5, 8)}


def test_padded_order_puts_blanks_before_the_back_cover():
    assert padded_order(8) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert padded_order(5) == [1, 2, 3, 4, None, None, None, 5]
    assert padded_order(5, back_cover=False) == [1, 2, 3, 4, 5, None, None, None]
    assert padded_order(6) == [1, 2, 3, 4, 5, None, None, 6]
    assert padded_order(1) == [1, None, None, None]
    with pytest.raises(ValueError):
        padded_order(0)


def test_saddle_stitch_order():
    assert saddle_stitch(list(range(1, 9))) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert saddle_stitch([1, 2, 3, 4]) == [(4, 1), (2, 3)]
    with pytest.raises(ValueError):
        saddle_stitch([1, 2, 3])


def test_saddle_stitch_folds_back_to_reading_order():
    """Stack the sheets, fold them: reading the halves in booklet order gives 1..n."""
    for count in (4, 8, 12, 16, 40):
        order = list(range(1, count + 1))
        sheets = saddle_stitch(order)
        # sheet k's front right half is page 2k+1, its back left half 2k+2 (outer sheets first),
        # then the second half of the booklet comes from the inner sheets outwards
        first = [p for k in range(count // 4) for p in (sheets[2 * k][1], sheets[2 * k + 1][0])]
        second = [p for k in reversed(range(count // 4)) for p in (sheets[2 * k + 1][1], sheets[2 * k][0])]
        assert first + second == order


def test_eight_pages(a5):
    imposed = booklet(a5[8])
    assert sides(imposed) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert sheet_sizes(imposed) == {A4_LANDSCAPE}


def test_five_pages_blanks_before_back_cover(a5):
    assert sides(booklet(a5[5])) == [(5, 1), (2, None), (None, 3), (4, None)]
    assert sides(booklet(a5[5], back_cover=False)) == [(None, 1), (2, None), (None, 3), (4, 5)]


def test_one_page(a5):
    assert sides(booklet(a5[1])) == [(None, 1), (None, None)]


def test_letter_and_half_letter():
    imposed = booklet(leaflet(8, "5.5in 8.5in"), sheet="Letter")
    assert sides(imposed) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert sheet_sizes(imposed) == {LETTER_LANDSCAPE}


def test_a5_fills_half_an_a4_sheet_exactly(a5):
    """A5 on A4 is not scaled: each number sits where it sat on its A5 page, shifted by half a sheet."""
    with pdfplumber.open(io.BytesIO(a5[8])) as doc:
        first = doc.pages[0].extract_words()[0]
    with pdfplumber.open(io.BytesIO(booklet(a5[8]))) as doc:
        words = doc.pages[0].extract_words()
        right = next(w for w in words if w["text"] == "1")
        half = doc.pages[0].width / 2
    assert right["x0"] - half == pytest.approx(first["x0"] + (half - 419.53) / 2, abs=0.5)
    assert right["top"] == pytest.approx(first["top"], abs=0.5)
    assert right["bottom"] - right["top"] == pytest.approx(first["bottom"] - first["top"], abs=0.1)


def test_larger_pages_are_scaled_to_fit_half_a_sheet():
    imposed = booklet(leaflet(4, "A4"))
    assert sides(imposed) == [(4, 1), (2, 3)]
    with pdfplumber.open(io.BytesIO(imposed)) as doc:
        size = max(c["size"] for c in doc.pages[0].chars)
    assert size == pytest.approx(120 / 2 ** 0.5, rel=0.01)   # A4 -> A5 is a factor 1/sqrt(2)


@pytest.mark.parametrize("rotation, direction", [(0, (1, 0)), (90, (0, -1)), (180, (-1, 0)), (270, (0, 1))])
def test_rotated_pages_are_placed_as_displayed(rotation, direction):
    """A page with /Rotate is imposed as a viewer shows it: the number at its top moves with the turn."""
    reader, writer = pypdf.PdfReader(io.BytesIO(leaflet(4))), pypdf.PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.pages[1].rotate(rotation)
    source = io.BytesIO()
    writer.write(source)
    with pdfplumber.open(io.BytesIO(booklet(source.getvalue()))) as doc:
        sheet = doc.pages[1]
        two = next(c for c in sheet.chars if c["text"] == "2")
    half, middle = sheet.width / 2, ((two["x0"] + two["x1"]) / 2, (two["top"] + two["bottom"]) / 2)
    a, b = two["matrix"][:2]
    assert (round(a / abs(a or b)), round(b / abs(a or b))) == direction
    assert two["x1"] <= half   # page 2 is the left half of the second sheet side
    top_of_page_goes = {0: middle[1] < sheet.height / 2, 90: middle[0] > half / 2,
                        180: middle[1] > sheet.height / 2, 270: middle[0] < half / 2}
    assert top_of_page_goes[rotation]


def test_deterministic_with_title_language_and_print_presets(a5):
    imposed = booklet(a5[8])
    assert imposed == booklet(a5[8])
    reader = pypdf.PdfReader(io.BytesIO(imposed))
    assert reader.metadata["/Title"] == "Back pain booklet"
    assert reader.metadata["/CreationDate"] == pypdf.PdfReader(io.BytesIO(a5[8])).metadata["/CreationDate"]
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert root["/ViewerPreferences"]["/Duplex"] == "/DuplexFlipShortEdge"
    assert root["/ViewerPreferences"]["/PrintScaling"] == "/None"


def test_imposed_sheets_render(a5):
    """Every sheet side opens and draws in a second PDF engine (PDFium), with ink on both halves."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(booklet(a5[8]))
    for index in range(len(doc)):
        image = doc[index].render(scale=0.25).to_pil().convert("L")
        width, height = image.size
        for box in ((0, 0, width // 2, height), (width // 2, 0, width, height)):
            assert image.crop(box).getextrema()[0] < 128, f"sheet side {index + 1} has an empty half"


def test_unknown_sheet(a5):
    with pytest.raises(ValueError, match="A4, Letter"):
        booklet(a5[1], sheet="A3")
