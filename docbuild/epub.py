"""EPUB: rendered XHTML + metadata + images + fonts -> an EPUB 3 with ebooklib, step by step.

Pages are added as plain `EpubItem`s with the XHTML we rendered (EpubHtml would re-parse and
rewrite it); the zip is then rewritten with fixed timestamps so the same inputs give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from ebooklib import epub

from .model import Book
from .render import EpubPages
from .theme import FONTS

XHTML = "application/xhtml+xml"
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml",
               ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
ACCESSIBILITY = [
    ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"), ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "alternativeText"), ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
]
SUMMARY = ("Text with headings, a table of contents, footnotes that open as pop-ups, and alternative "
           "text for every image. No flashing, motion or sound.")


def _page(uid: str, name: str, content: str, properties: list[str] | None = None) -> epub.EpubItem:
    item = epub.EpubItem(uid=uid, file_name=name, media_type=XHTML, content=content.encode("utf-8"))
    if properties:
        item.properties = properties
    return item


def _metadata(ebook: epub.EpubBook, book: Book, publisher: str) -> None:
    meta = book.metadata
    ebook.set_identifier(meta.identifier)
    ebook.set_title(meta.title)
    ebook.set_language(meta.language)
    for index, person in enumerate(meta.authors):
        ebook.add_author(person.display, uid=f"author{index}")
    if meta.description:
        ebook.add_metadata("DC", "description", meta.description)
    if publisher:
        ebook.add_metadata("DC", "publisher", publisher)
    if meta.published:
        ebook.add_metadata("DC", "date", meta.published.isoformat())
    for prop, value in ACCESSIBILITY:
        ebook.add_metadata(None, "meta", value, {"property": prop})
    ebook.add_metadata(None, "meta", SUMMARY, {"property": "schema:accessibilitySummary"})


def write_epub(book: Book, pages: EpubPages, brand, target: Path) -> None:
    ebook = epub.EpubBook()
    _metadata(ebook, book, brand.name)
    cover = epub.EpubCover(file_name="cover.svg")
    cover.media_type = "image/svg+xml"
    cover.content = pages.cover_svg.encode("utf-8")
    ebook.add_item(cover)
    ebook.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})
    title = _page("title", "title.xhtml", pages.title)
    chapters = [_page(c.id, f"{c.id}.xhtml", xhtml) for c, xhtml in pages.chapters]
    references = _page("references", "references.xhtml", pages.references)
    contact = [_page("contact", "contact.xhtml", pages.contact)] if pages.contact else []
    for item in [title, *chapters, references, *contact]:
        ebook.add_item(item)
    sheets = [(name, path.read_bytes()) for name, path in pages.stylesheets]
    for name, css in [*sheets, ("styles/brand.css", pages.brand_css.encode("utf-8"))]:
        ebook.add_item(epub.EpubItem(uid=name.replace("/", "-").replace(".", "-"), file_name=name,
                                     media_type="text/css", content=css))
    _add_files(ebook, book, brand)
    ebook.toc = [epub.Link("title.xhtml", "Title page", "toc-title")]
    ebook.toc += [epub.Link(f"{c.id}.xhtml", c.title, f"toc-{c.id}") for c, _ in pages.chapters]
    ebook.toc.append(epub.Link("references.xhtml", "References", "toc-references"))
    if contact:
        ebook.toc.append(epub.Link("contact.xhtml", "Contact us", "toc-contact"))
    ebook.add_item(epub.EpubNcx())
    nav = epub.EpubNav()
    ebook.add_item(nav)
    ebook.spine = [title, nav, *chapters, references, *contact]
    modified = dt.datetime.combine(book.metadata.date, dt.time(0, 0))
    raw = io.BytesIO()   # in memory: an interrupted build leaves no second file to clean up
    epub.write_epub(raw, ebook, {"epub3_pages": False, "raise_exceptions": True, "mtime": modified})
    _rezip(raw, target)


def _add_files(ebook: epub.EpubBook, book: Book, brand) -> None:
    images = sorted({img for c in book.chapters for img in c.images})
    for index, rel in enumerate(images):
        path = book.root / rel
        ebook.add_item(epub.EpubItem(uid=f"img{index}", file_name=f"media/{rel}",
                                     media_type=MEDIA_TYPES[path.suffix.lower()], content=path.read_bytes()))
    if brand.logo:
        ebook.add_item(epub.EpubItem(uid="logo", file_name=f"media/brand/{brand.logo.name}",
                                     media_type=MEDIA_TYPES[brand.logo.suffix.lower()],
                                     content=brand.logo.read_bytes()))
    fonts = [(f"fonts/{p.name}", p) for p in sorted(FONTS.glob("*.ttf"))]
    fonts += [(f"fonts/brand/{p.name}", p) for p in brand.font_files]
    for index, (name, path) in enumerate(fonts):
        ebook.add_item(epub.EpubItem(uid=f"font{index}", file_name=name,
                                     media_type=MEDIA_TYPES[path.suffix.lower()], content=path.read_bytes()))


def _rezip(source: io.BytesIO, target: Path) -> None:
    """Same entries, fixed timestamps, mimetype first and stored: a reproducible EPUB."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        names = sorted(old.namelist(), key=lambda n: (n != "mimetype", n))
        for name in names:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            new.writestr(info, old.read(name))
