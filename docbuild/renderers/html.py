"""The print document: the book as one HTML page, for WeasyPrint and as a shareable `--format html` file.

`print_document` lays out the same HTML for both; only where resources live differs: the PDF names
them by virtual `file:///docbuild/…` URLs that its fetcher serves from memory, the shared HTML file
inlines them (images and fonts as data: URLs), so it is one self-contained file.
"""
from __future__ import annotations

import base64
import re
from typing import Callable

from markupsafe import Markup, escape

from ..model import Note
from . import RenderContext
from .context import base_data, render
from .css import brand_css, page_css
from .markup import Target, chapter_html
from .notes import inline_cite, note_text

PRINT_STYLES = ("fonts.css", "book.css", "print.css")
CONTENTS_MIN_CHAPTERS = 4     # "auto": a contents page only when there is this much to find


class Resources:
    """Where each resource of the print document is: `url(kind, name)` for kind book/brand/fonts/…"""

    def __init__(self, url: Callable[[str, str], str], inline_css: bool):
        self.url, self.inline_css = url, inline_css


def print_document(ctx: RenderContext, resources: Resources) -> str:
    theme, edition = ctx.theme, ctx.edition
    backlinks = resources.inline_css   # the shared HTML file links back; paper has nothing to click
    target = Target(note=lambda n: _pdf_note(n, ctx, target) if edition.notes == "page" else _endnote_call(n),
                    image_src=lambda rel: resources.url("book", rel), gettext=ctx.locale.gettext,
                    inline_cite=inline_cite(ctx), keep_compounds=not edition.hyphenate,
                    rtl=ctx.locale.direction == "rtl")
    chapters = [{"id": c.id, "title": c.title, "html": Markup(chapter_html(c, target)),
                 "endnotes": Markup(_endnotes(c.notes, ctx, target, backlinks) if edition.notes == "chapter" else "")}
                for c in ctx.book.chapters]
    logo = theme.brand.logo
    data = base_data(ctx, resources.url("brand", logo[0]) if logo else "",
                     lambda chapter, n: f"#note-{n}")
    contents = ctx.book.config.contents
    data.update(chapters=chapters, stylesheets=_stylesheets(ctx, resources), epub=False, xml_end="",
                show_contents=len(chapters) >= CONTENTS_MIN_CHAPTERS if contents == "auto" else contents,
                page_breaks=ctx.book.config.chapter_breaks == "page")
    return render(ctx, "print.html", data)


def _pdf_note(note: Note, ctx: RenderContext, target: Target) -> str:
    # the number is written out rather than drawn by ::footnote-marker, which made WeasyPrint 70
    # break some notes after their first word
    n = note.number
    return (f'<span class="footnote" id="note-{n}" data-note="{n}"><span class="note-number">{n}.</span> '
            f"{note_text(note, ctx, target)}</span>")


def _endnote_call(note: Note) -> str:
    n = note.number
    return f'<sup class="endnote-call" id="call-{n}"><a href="#note-{n}">{n}</a></sup>'


def _endnotes(notes: tuple[Note, ...], ctx: RenderContext, target: Target, backlinks: bool) -> str:
    if not notes:
        return ""
    back = escape(ctx.locale.gettext("Back to text"))
    link = lambda n: f' <a class="backlink" href="#call-{n}">{back}</a>' if backlinks else ""
    items = "".join(f'<li id="note-{n.number}" value="{n.number}">{note_text(n, ctx, target)}{link(n.number)}</li>'
                    for n in notes)
    return f'<section class="endnotes"><h2>{escape(ctx.locale.gettext("Notes"))}</h2><ol>{items}</ol></section>'


def _stylesheets(ctx: RenderContext, resources: Resources) -> list[dict]:
    """Defaults, then the brand's colours and fonts and the edition's page, then the brand's own CSS."""
    generated = brand_css(ctx, lambda file: resources.url("brand-fonts", file),
                          lambda file: resources.url("fonts", file)) + page_css(ctx)
    sheets = [(name, ctx.theme.styles[name], "styles") for name in PRINT_STYLES]
    sheets += [("generated", generated, "")]
    sheets += [(name, text, "brand-styles") for name, text in ctx.theme.brand.styles]
    if not resources.inline_css:
        return [{"href": resources.url(kind, name), "text": ""} if kind else {"href": "", "text": Markup(text)}
                for name, text, kind in sheets]
    sheets.append(("screen", SCREEN_CSS, ""))
    return [{"href": "", "text": Markup(_inline_urls(text, resources))} for _, text, _ in sheets]


# the shared HTML file on a screen: a readable measure, centred
SCREEN_CSS = "@media screen { body { max-width: 40em; margin: 2em auto; padding: 0 1em; } }\n"


def _inline_urls(css: str, resources: Resources) -> str:
    # the project's fonts.css names ../fonts/X: in one self-contained file they become data: URLs
    css = re.sub(r'url\("\.\./fonts/([^"]+)"\)', lambda m: f'url("{resources.url("fonts", m.group(1))}")', css)
    return css.replace("</", "<\\/")


class HtmlRenderer:
    name, suffix = "html", "html"

    def render(self, ctx: RenderContext) -> bytes:
        # a browser has no page to put a note at the foot of: each chapter ends with its notes
        from dataclasses import replace
        ctx = replace(ctx, edition=replace(ctx.edition, notes="chapter"))
        files = resource_files(ctx)

        def data_url(kind: str, name: str) -> str:
            media, data = files[kind, name]
            return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
        return print_document(ctx, Resources(data_url, inline_css=True)).encode("utf-8")


def resource_files(ctx: RenderContext) -> dict[tuple[str, str], tuple[str, bytes]]:
    """Every resource the print document may name: (kind, name) -> (media type, bytes)."""
    from ..fonts import MEDIA_TYPES
    theme = ctx.theme
    files = {("book", rel): item for rel, item in ctx.book.images.items()}
    if theme.brand.logo:
        name, media, data = theme.brand.logo
        files["brand", name] = (media, data)
    for kind, faces in (("fonts", theme.fonts), ("brand-fonts", theme.brand.fonts)):
        for face in faces:
            files[kind, face[0]] = (MEDIA_TYPES.get("." + face[0].rsplit(".", 1)[-1].lower(), "font/ttf"), face[1])
    files.update({("styles", n): ("text/css", t.encode()) for n, t in theme.styles.items()})
    files.update({("brand-styles", n): ("text/css", t.encode()) for n, t in theme.brand.styles})
    return files

