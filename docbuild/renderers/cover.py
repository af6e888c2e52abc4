"""The ebook's cover: the theme's cover page laid out by WeasyPrint, rasterised to a PNG by pypdfium2.

Readers and catalogues (calibre's `ebook-meta --get-cover`, store listings, library shelves) want
a raster cover; the design stays a template (`templates/epub/cover.html`, overridable by a brand)
drawn with the brand's colours, logo and fonts, the same fonts the PDF embeds. Resources come from
memory through the PDF renderer's fetcher; the PNG carries no time stamp or text chunk, so the
same inputs give the same bytes.
"""
from __future__ import annotations

import io

from markupsafe import Markup

from ..errors import DocError, Location, Problem
from . import RenderContext
from .context import base_data, render
from .css import brand_css

WIDTH, HEIGHT = 1200, 1800     # pixels: a 2:3 portrait, what stores and readers ask for
PAGE = (600, 900)              # CSS pixels of the laid-out page (450 x 675 pt)


def title_size(title: str) -> int:
    """The title's font size in CSS pixels: long titles get smaller type, never below 40."""
    longest = max((len(word) for word in title.split()), default=0)
    size = 68 if len(title) <= 28 else 56 if len(title) <= 56 else 44
    return max(40, min(size, int(540 / max(1, longest) * 1.8)))


def cover_html(ctx: RenderContext, url) -> str:
    """The cover page as HTML; `url(kind, name)` names a resource for the fetcher."""
    logo = ctx.theme.brand.logo
    data = base_data(ctx, url("brand", logo[0]) if logo else "", lambda chapter, n: "")
    data.update(epub=False, xml_end="", page=PAGE, title_size=title_size(ctx.book.config.title),
                stylesheets=[url("styles", "fonts.css")],
                brand_css=Markup(brand_css(ctx, lambda file: url("brand-fonts", file))))
    return render(ctx, "epub/cover.html", data)


def cover_png(ctx: RenderContext) -> bytes:
    """The cover as a WIDTH x HEIGHT PNG."""
    return _rasterise(_cover_pdf(ctx))


def _cover_pdf(ctx: RenderContext) -> bytes:
    from ..weasyload import weasyprint
    from .html import resource_files
    from .pdf import BASE, _fetcher, font_configuration
    fetcher = _fetcher(resource_files(ctx))
    html = cover_html(ctx, lambda kind, name: f"{BASE}{kind}/{name}")
    folders = (ctx.theme.roots[-1], ctx.theme.brand.root / "fonts")
    fonts = font_configuration(folders, str(ctx.theme.brand.root))
    pdf = weasyprint().HTML(string=html, base_url=BASE, url_fetcher=fetcher).write_pdf(font_config=fonts)
    if fetcher.refused:
        raise DocError([Problem(Location("(EPUB cover)"), f"{url} cannot be used: the build reads only files "
                                "in the book, the brand pack and the project") for url in fetcher.refused])
    return pdf


def _rasterise(pdf: bytes) -> bytes:
    import pypdfium2
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        bitmap = page.render(scale=WIDTH / page.get_width(), draw_annots=False)
        image = bitmap.to_pil().convert("RGB")
    finally:
        document.close()
    if image.size != (WIDTH, HEIGHT):   # a rounding pixel: never stretch more than that
        image = image.resize((WIDTH, HEIGHT))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
