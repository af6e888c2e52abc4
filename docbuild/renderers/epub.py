"""EPUB: the book -> an EPUB 3 with ebooklib. This module alone decides the EPUB's file layout.

Pages are rendered from the shared template parts and added as plain `EpubItem`s (EpubHtml would
re-parse and rewrite them); the zip is rewritten with fixed timestamps so the same inputs give the
same bytes. Notes are `noteref` links to `<aside epub:type="footnote">` in the same file.
"""
from __future__ import annotations

import datetime as dt
import io
import textwrap
import zipfile

from markupsafe import Markup, escape

from ..fonts import MEDIA_TYPES as FONT_MEDIA
from ..model import Chapter, Note
from . import RenderContext
from .context import base_data, render
from .css import brand_css
from .markup import Target, chapter_html
from .notes import inline_cite, note_text

XHTML = "application/xhtml+xml"
STYLES = ("fonts.css", "book.css", "epub.css")
ACCESSIBILITY = [
    ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"), ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "alternativeText"), ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
]


def chapter_file(chapter: Chapter) -> str:
    return f"{chapter.id}.xhtml"


def _noteref(note: Note) -> str:
    n = note.number
    return (f'<sup><a class="noteref" id="fnref-{n}" href="#fn-{n}" epub:type="noteref" '
            f'role="doc-noteref">{n}</a></sup>')


def _aside(note: Note, ctx: RenderContext, target: Target) -> str:
    n = note.number
    back = escape(ctx.locale.gettext("Back to text"))
    return (f'<aside class="footnote" id="fn-{n}" epub:type="footnote" role="doc-footnote"><p>'
            f'<a class="backlink" href="#fnref-{n}" role="doc-backlink" aria-label="{back}">{n}.</a> '
            f"{note_text(note, ctx, target)}</p></aside>\n")


class _Pages:
    """Renders each page of the EPUB from the theme's templates."""

    def __init__(self, ctx: RenderContext):
        self.ctx = ctx
        logo = ctx.theme.brand.logo
        self.base = base_data(ctx, f"media/brand/{logo[0]}" if logo else "",
                              lambda chapter, n: f"{chapter}.xhtml#fnref-{n}")
        sheets = [f"styles/{name}" for name in STYLES] + ["styles/brand.css"]
        sheets += [f"styles/brand-{name}" for name, _ in ctx.theme.brand.styles]
        self.base.update(stylesheets=sheets, epub=True, xml_end="/")
        self.target = Target(note=_noteref, image_src=lambda rel: f"media/{rel}", gettext=ctx.locale.gettext,
                             inline_cite=inline_cite(ctx), xhtml=True)

    def page(self, name: str, title: str, **extra) -> bytes:
        return render(self.ctx, name, {**self.base, "page_title": title, **extra}).encode("utf-8")

    def chapter(self, chapter: Chapter) -> bytes:
        data = {"id": chapter.id, "title": chapter.title, "html": Markup(chapter_html(chapter, self.target)),
                "notes": Markup("".join(_aside(n, self.ctx, self.target) for n in chapter.notes))}
        return self.page("epub/chapter.xhtml", chapter.title, chapter=data)

    def cover(self) -> bytes:
        meta = self.ctx.book.config
        return render(self.ctx, "epub/cover.svg", {**self.base, "title_lines": textwrap.wrap(meta.title, 16),
                                                     "subtitle_lines": textwrap.wrap(meta.subtitle, 30)}).encode()


def _metadata(ebook, ctx: RenderContext) -> None:
    meta, brand = ctx.book.config, ctx.theme.brand.config
    ebook.set_identifier(meta.identifier)
    ebook.set_title(meta.title)
    ebook.set_language(meta.language)
    for index, person in enumerate(meta.authors):
        ebook.add_author(person.display, uid=f"author{index}")
    if meta.description:
        ebook.add_metadata("DC", "description", meta.description)
    if brand.name:
        ebook.add_metadata("DC", "publisher", brand.name)
    if meta.published:
        ebook.add_metadata("DC", "date", meta.published.isoformat())
    for prop, value in ACCESSIBILITY:
        ebook.add_metadata(None, "meta", value, {"property": prop})
    ebook.add_metadata(None, "meta", ctx.locale.gettext(
        "Text with headings, a table of contents, footnotes that open as pop-ups, and alternative text "
        "for every image. No flashing, motion or sound."), {"property": "schema:accessibilitySummary"})


class EpubRenderer:
    name, suffix = "epub", "epub"

    def render(self, ctx: RenderContext) -> bytes:
        from ebooklib import epub
        gettext = ctx.locale.gettext
        pages = _Pages(ctx)
        ebook = epub.EpubBook()
        _metadata(ebook, ctx)
        cover = epub.EpubCover(file_name="cover.svg")
        cover.media_type, cover.content = "image/svg+xml", pages.cover()
        ebook.add_item(cover)
        ebook.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})
        item = lambda uid, name, content: epub.EpubItem(uid=uid, file_name=name, media_type=XHTML, content=content)
        title = item("title", "title.xhtml", pages.page("epub/title.xhtml", ctx.book.config.title))
        chapters = [item(c.id, chapter_file(c), pages.chapter(c)) for c in ctx.book.chapters]
        extra = []
        if ctx.book.references:
            extra.append(item("references", "references.xhtml", pages.page("epub/references.xhtml", gettext("References"))))
        if pages.base["brand"]["has_contact_page"]:
            extra.append(item("contact", "contact.xhtml", pages.page("epub/contact.xhtml", gettext("Contact us"))))
        for page in [title, *chapters, *extra]:
            ebook.add_item(page)
        _add_files(ebook, ctx)
        ebook.toc = [epub.Link("title.xhtml", gettext("Title page"), "toc-title")]
        ebook.toc += [epub.Link(chapter_file(c), c.title, f"toc-{c.id}") for c in ctx.book.chapters]
        titles = {"references": gettext("References"), "contact": gettext("Contact us")}
        ebook.toc += [epub.Link(p.file_name, titles[p.id], f"toc-{p.id}") for p in extra]
        ebook.add_item(epub.EpubNcx())
        nav = epub.EpubNav()
        ebook.add_item(nav)
        ebook.spine = [title, nav, *chapters, *extra]
        modified = dt.datetime.combine(ctx.book.config.date, dt.time(0, 0))
        raw = io.BytesIO()
        epub.write_epub(raw, ebook, {"epub3_pages": False, "raise_exceptions": True, "mtime": modified})
        return _rezip(raw)


def _add_files(ebook, ctx: RenderContext) -> None:
    from ebooklib import epub
    add = lambda uid, name, media, content: ebook.add_item(
        epub.EpubItem(uid=uid, file_name=name, media_type=media, content=content))
    theme = ctx.theme
    for index, rel in enumerate(sorted({img for c in ctx.book.chapters for img in c.images})):
        media, data = ctx.book.images[rel]
        add(f"img{index}", f"media/{rel}", media, data)
    if theme.brand.logo:
        name, media, data = theme.brand.logo
        add("logo", f"media/brand/{name}", media, data)
    fonts = [(f"fonts/{f[0]}", f[1]) for f in theme.fonts if f[0].startswith("Atkinson")]
    fonts += [(f"fonts/brand/{f[0]}", f[1]) for f in theme.brand.fonts]
    for index, (name, data) in enumerate(fonts):
        add(f"font{index}", name, FONT_MEDIA["." + name.rsplit(".", 1)[-1].lower()], data)
    css = [(f"styles/{n}", theme.styles[n]) for n in STYLES] + [("styles/brand.css", brand_css(ctx, lambda f: f"../fonts/brand/{f}"))]
    css += [(f"styles/brand-{n}", t) for n, t in theme.brand.styles]
    for name, text in css:
        add(name.replace("/", "-").replace(".", "-"), name, "text/css", text.encode("utf-8"))


def _rezip(source: io.BytesIO) -> bytes:
    """Same entries, fixed timestamps, mimetype first and stored: a reproducible EPUB."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w") as new:
        for name in sorted(old.namelist(), key=lambda n: (n != "mimetype", n)):
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            new.writestr(info, old.read(name))
    return out.getvalue()
