"""Renderers: `Renderer(name, suffix, render(ctx) -> bytes)` and the registry of them.

Rendering is pure: it opens no file (the theme has read fonts and templates, the book its images).
Adding a renderer is one new module here with a class that has `name`, `suffix` and `render`, and one
line in `REGISTRY`; `build` loops over whatever the registry holds.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ..cite import CitationStyle
    from ..editions import Edition
    from ..locale import Locale
    from ..model import Book
    from ..theme import Theme


@dataclass(frozen=True)
class RenderContext:
    book: "Book"
    theme: "Theme"
    locale: "Locale"
    style: "CitationStyle"
    edition: "Edition"
    page_map: bool = True   # keep the printed pages' map for an EPUB rendered next (pagemap.py)


class Renderer(Protocol):
    name: str
    suffix: str

    def render(self, ctx: RenderContext) -> bytes: ...


# name -> "module:Class", imported on first use (WeasyPrint and ebooklib are slow to import)
REGISTRY: dict[str, str] = {
    "pdf": "docbuild.renderers.pdf:PdfRenderer",
    "epub": "docbuild.renderers.epub:EpubRenderer",
    "html": "docbuild.renderers.html:HtmlRenderer",
}


def get(name: str) -> Renderer:
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)()


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def files(renderer: Renderer, ctx: RenderContext) -> dict[str, bytes]:
    """A renderer's files: {"": bytes}, or several variants (the booklet and its unimposed pages)."""
    if hasattr(renderer, "render_files"):
        return renderer.render_files(ctx)
    return {"": renderer.render(ctx)}


def page_count(pdf: bytes) -> int:
    import io
    from pypdf import PdfReader
    return len(PdfReader(io.BytesIO(pdf)).pages)
