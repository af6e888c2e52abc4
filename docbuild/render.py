"""Render: `Book` + `Theme` -> the print HTML (one document) and the EPUB's XHTML pages.

Pure functions returning strings. Each target swaps the note placeholders of the single Markdown
parse for its own markup: a floating span for WeasyPrint, a noteref and an aside for e-readers.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import jinja2

from . import __version__
from .errors import DocError, Location, Problem
from .model import IMAGE_PREFIX, NOTE_MARK_RE, Book, Chapter
from .theme import FONTS, STYLES, Theme, brand_css, css_string

PRINT_STYLES = ("fonts.css", "book.css", "print.css")
EPUB_STYLES = ("fonts.css", "book.css", "epub.css")
PAGE_SIZES = {"A4": "A4", "Letter": "letter"}


@dataclass(frozen=True)
class EpubPages:
    title: str
    chapters: tuple[tuple[Chapter, str], ...]
    references: str
    contact: str
    cover_svg: str
    stylesheets: tuple[tuple[str, Path], ...]  # (name in the EPUB, file to copy)
    brand_css: str                             # styles/brand.css, generated from brand.toml


def long_date(day: dt.date) -> str:
    return f"{day.day} {day.strftime('%B')} {day.year}"


def _pdf_note(note) -> str:
    # the number is written out rather than drawn by ::footnote-marker, which made WeasyPrint 70
    # break some notes after their first word
    return f'<span class="footnote"><span class="note-number">{note.number}.</span> {note.html}</span>'


def _epub_note(note) -> str:
    n = note.number
    return (f'<sup><a class="noteref" id="fnref-{n}" href="#fn-{n}" epub:type="noteref" '
            f'role="doc-noteref">{n}</a></sup>')


def _epub_aside(note) -> str:
    n = note.number
    return (f'<aside class="footnote" id="fn-{n}" epub:type="footnote" role="doc-footnote"><p>'
            f'<a class="backlink" href="#fnref-{n}" role="doc-backlink">{n}.</a> {note.html}</p></aside>\n')


def chapter_html(chapter: Chapter, note_markup, image_base: str) -> str:
    # "tense [@key]." puts the call right after the word, as note styles do
    body = re.sub(r"[ \t\n]*" + NOTE_MARK_RE, lambda m: note_markup(chapter.notes[int(m.group(1))]),
                  chapter.body)
    return body.replace(f'src="{IMAGE_PREFIX}', f'src="{image_base}')


def _references(book: Book) -> list[dict]:
    return [{"full": ref.full, "calls": book.citations.get(ref.key, ()),
             "notes": [n for _, n in book.citations.get(ref.key, ())]} for ref in book.references]


def _context(book: Book, theme: Theme, **extra) -> dict:
    return {"meta": book.metadata, "brand": theme.brand, "version": __version__,
            "long_date": long_date, "references": _references(book), **extra}


def _render(theme: Theme, name: str, context: dict) -> str:
    try:
        return theme.env.get_template(name).render(context)
    except jinja2.TemplateError as exc:
        raise DocError([_template_problem(exc, theme, name)]) from None


def _template_problem(exc: jinja2.TemplateError, theme: Theme, name: str) -> Problem:
    """Find the template file and line in the traceback Jinja rewrote for us."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Problem(Location.of(exc.filename or name, exc.lineno), f"template error: {exc.message}")
    tb, where = sys.exc_info()[2], Location.of(name)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xhtml", ".svg")):
            where = Location.of(filename, tb.tb_lineno)
        tb = tb.tb_next
    return Problem(where, f"template error: {exc}")


def print_css(theme: Theme) -> str:
    """Brand CSS for the PDF: colours, fonts, page size and the clinic's name in the footer."""
    brand = theme.brand
    css = brand_css(brand, (brand.root / "fonts").as_uri() + "/")
    css += f"@page {{ size: {PAGE_SIZES[brand.page_size]}; }}\n"
    if brand.name:
        css += (f"@page {{ @bottom-left {{ content: {css_string(brand.name)}; font-family: \"Atkinson "
                "Hyperlegible\", sans-serif; font-size: 9pt; color: #4a4a4a; } }\n")
    return css


def print_html(book: Book, theme: Theme) -> str:
    brand = theme.brand
    chapters = [{"id": c.id, "title": c.title, "html": chapter_html(c, _pdf_note, book.root.as_uri() + "/")}
                for c in book.chapters]
    sheets = [(STYLES / name).as_uri() for name in PRINT_STYLES]
    context = _context(book, theme, chapters=chapters, stylesheets=sheets, brand_css=print_css(theme),
                       brand_stylesheets=[p.as_uri() for p in brand.styles],
                       logo_src=brand.logo.as_uri() if brand.logo else "")
    return _render(theme, "print.html", context)


def epub_pages(book: Book, theme: Theme) -> EpubPages:
    brand = theme.brand
    # defaults, then the brand's colours and fonts, then the brand's own CSS, which may override both
    links = [f"styles/{name}" for name in EPUB_STYLES] + ["styles/brand.css"]
    links += [f"styles/brand-{p.name}" for p in brand.styles]
    logo = f"media/brand/{brand.logo.name}" if brand.logo else ""
    base = _context(book, theme, stylesheets=links, logo_src=logo)
    page = lambda name, title, **kw: _render(theme, name, {**base, "page_title": title, **kw})
    chapters = tuple(
        (c, page("epub/chapter.xhtml", c.title, chapter={
            "id": c.id, "title": c.title, "html": chapter_html(c, _epub_note, "media/"),
            "notes": "".join(_epub_aside(n) for n in c.notes)}))
        for c in book.chapters)
    css = [(f"styles/{name}", STYLES / name) for name in EPUB_STYLES]
    css += [(f"styles/brand-{p.name}", p) for p in brand.styles]
    meta = book.metadata
    return EpubPages(
        title=page("epub/title.xhtml", meta.title),
        chapters=chapters,
        references=page("epub/references.xhtml", "References"),
        contact=page("epub/contact.xhtml", "Contact us") if brand.contact or brand.feedback else "",
        cover_svg=_render(theme, "epub/cover.svg", {**base, "title_lines": textwrap.wrap(meta.title, 16),
                                                     "subtitle_lines": textwrap.wrap(meta.subtitle, 30)}),
        stylesheets=tuple(css), brand_css=brand_css(brand, "../fonts/brand/"))
