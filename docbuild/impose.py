"""Impose: the A5 (or half-letter) leaflet PDF -> a saddle-stitched booklet on A4 (or Letter) sheets.

The leaflet is padded with blank pages to a multiple of four (blanks go before the back cover, never
in the middle of the text), then placed two pages a side on landscape sheets in saddle-stitch order,
so that printing double-sided with "flip on short edge" and folding the stack gives the booklet in
page order. The imposed file is for the printer only: it carries the title and language but no
tags or links; the tagged leaflet PDF stays the accessible one.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader, PdfWriter, Transformation
    from pypdf.generic import IndirectObject, RectangleObject

# landscape sheet sizes in PDF points (width, height)
SHEETS = {"A4": (841.889764, 595.275591), "Letter": (792.0, 612.0)}
# the document information that travels from the leaflet to the booklet; the dates make it
# deterministic (WeasyPrint takes them from the source, never from the clock)
CARRIED_INFO = ("/Title", "/Author", "/Subject", "/Keywords", "/CreationDate", "/ModDate")


def padded_order(pages: int, back_cover: bool = True) -> list[int | None]:
    """Reading order (1-based) padded with None to a multiple of 4.

    With `back_cover` the blanks go before the last page, so the back cover stays on the back; a
    single page has no back cover and is followed by the blanks.
    """
    if pages < 1:
        raise ValueError("a booklet needs at least one page")
    blanks = -pages % 4
    if back_cover and pages > 1:
        return [*range(1, pages), *[None] * blanks, pages]
    return [*range(1, pages + 1), *[None] * blanks]


def saddle_stitch(order: list[int | None]) -> list[tuple[int | None, int | None]]:
    """(left, right) for each sheet side in print order: front then back of sheet 1, then sheet 2...

    For 8 pages: (8, 1), (2, 7), (6, 3), (4, 5). The outermost sheet carries the covers.
    """
    count = len(order)
    if count == 0 or count % 4:
        raise ValueError(f"saddle stitching needs a multiple of 4 pages, not {count}")
    sides = []
    for sheet in range(count // 4):
        outer, inner = 2 * sheet, count - 1 - 2 * sheet
        sides.append((order[inner], order[outer]))            # front: last | first
        sides.append((order[outer + 1], order[inner - 1]))    # back: second | second to last
    return sides


def booklet(pdf: bytes, sheet: str = "A4", back_cover: bool = True) -> bytes:
    """The leaflet `pdf` imposed two pages a side on landscape `sheet`s ("A4" or "Letter")."""
    from pypdf import PdfReader, PdfWriter

    if sheet not in SHEETS:
        raise ValueError(f"unknown sheet size {sheet!r}: use one of {', '.join(SHEETS)}")
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    width, height = SHEETS[sheet]
    for left, right in saddle_stitch(padded_order(len(reader.pages), back_cover)):
        placed = [(_form(writer, reader.pages[number - 1]), x0)
                  for number, x0 in ((left, 0.0), (right, width / 2)) if number is not None]
        _add_side(writer, placed, width, height)
    _carry_metadata(reader, writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _Form(NamedTuple):
    ref: IndirectObject          # the page as a Form XObject in the writer
    upright: Transformation      # its space -> the page as displayed, lower left corner at (0, 0)
    size: tuple[float, float]    # the displayed width and height


def _form(writer: PdfWriter, page: PageObject) -> _Form:
    """The page as a Form XObject in `writer`, its content copied, not parsed.

    Links and other annotations are left behind: they would point at pages not in the booklet.
    """
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    box = page.cropbox
    content = page.get_contents()
    form = DecodedStreamObject()
    form.set_data(content.get_data() if content is not None else b"")
    form = form.flate_encode()
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(box),
        NameObject("/Resources"): page.get("/Resources", DictionaryObject()).clone(writer),
    })
    if "/Group" in page:   # the page's transparency group applies to the form
        form[NameObject("/Group")] = page["/Group"].clone(writer)
    ref = writer._add_object(form)   # part of pypdf's PdfWriterProtocol
    return _Form(ref, *_upright(box, page.rotation))


def _upright(box: RectangleObject, rotation: int) -> tuple[Transformation, tuple[float, float]]:
    """Page space -> the page as displayed (its /Rotate applied clockwise), and the displayed size."""
    from pypdf import Transformation

    w, h = float(box.width), float(box.height)
    turn = {0: (1, 0, 0, 1, 0, 0), 90: (0, -1, 1, 0, 0, w),
            180: (-1, 0, 0, -1, w, h), 270: (0, 1, -1, 0, h, 0)}[rotation % 360]
    move = Transformation().translate(-float(box.left), -float(box.bottom)).transform(Transformation(turn))
    return move, ((h, w) if rotation % 180 else (w, h))


def _add_side(writer: PdfWriter, placed: list[tuple[_Form, float]], width: float, height: float) -> None:
    """A sheet side drawing each page scaled to fit the half sheet starting at x0, centred in it."""
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    side = writer.add_blank_page(width, height)
    xobjects, ops = DictionaryObject(), []
    for index, (form, x0) in enumerate(placed):
        w, h = form.size
        scale = min(width / 2 / w, height / h)
        fit = form.upright.scale(scale).translate(x0 + (width / 2 - scale * w) / 2, (height - scale * h) / 2)
        xobjects[NameObject(f"/Page{index}")] = form.ref
        ops.append("q " + " ".join(f"{v:.6f}" for v in fit.ctm) + f" cm /Page{index} Do Q")
    side[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    content = DecodedStreamObject()
    content.set_data("\n".join(ops).encode("ascii"))
    side[NameObject("/Contents")] = writer._add_object(content)


def _carry_metadata(reader: PdfReader, writer: PdfWriter) -> None:
    """Title, language and dates from the leaflet; print presets for a booklet printer."""
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, TextStringObject

    info = reader.metadata or {}
    writer.add_metadata({key: info[key] for key in CARRIED_INFO if key in info})
    root = writer.root_object
    lang = reader.trailer["/Root"].get("/Lang")
    if lang:
        root[NameObject("/Lang")] = TextStringObject(str(lang))
    root[NameObject("/ViewerPreferences")] = DictionaryObject({
        NameObject("/DisplayDocTitle"): BooleanObject("/Title" in info),
        NameObject("/Duplex"): NameObject("/DuplexFlipShortEdge"),
        NameObject("/PrintScaling"): NameObject("/None"),   # a shrunk sheet no longer folds true
    })
