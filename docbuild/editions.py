"""Editions: what an edition changes (page size, type scale, note placement, hyphenation, imposition).

An edition is data; the renderers read it. Adding an edition is one entry in `EDITIONS`. The name of
every output file is chosen here, in `output_name`, and nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Edition:
    name: str
    doc: str
    formats: tuple[str, ...]          # the renderers that make this edition
    body_size: float = 12.5           # pt
    small_size: float = 9.0           # pt: notes, running heads, footers, captions, References
    line_height: float = 1.45
    notes: str = "page"               # "page" (at the foot of the page) or "chapter" (after each chapter)
    hyphenate: bool = False           # plain-language guidance: no automatic hyphenation
    columns: int = 1
    page_size: str = ""               # "" = the brand's; "half" = half the brand's sheet (A5, half-letter)
    impose: str = ""                  # "" or "booklet": pages imposed two a side for folding
    font: str = ""                    # "" = the brand's; a family to force (large print: sans-serif)
    italics: bool = True              # False: emphasis in bold


EDITIONS: dict[str, Edition] = {e.name: e for e in (
    Edition("standard", "the leaflet: A4 or Letter, notes at the foot of the page", ("pdf", "epub", "html")),
    Edition("large-print", "large print (RNIB/APH): 18 pt sans-serif, notes after each chapter", ("pdf",),
            body_size=18.0, small_size=14.0, line_height=1.5, notes="chapter", italics=False,
            font="Atkinson Hyperlegible"),
    Edition("booklet", "an A5 (or half-letter) booklet, imposed on A4 (or Letter) sheets for folding",
            ("pdf",), body_size=12.0, small_size=9.0, page_size="half", impose="booklet"),
)}

STANDARD = EDITIONS["standard"]


def edition(name: str, overrides: dict | None = None) -> Edition:
    """The named edition, with a brand's `[editions.NAME]` settings applied."""
    return replace(EDITIONS[name], **(overrides or {}))


def output_name(slug: str, edition: Edition, suffix: str) -> str:
    """`<slug>.<suffix>` for the standard edition, `<slug>-<edition>.<suffix>` for the others."""
    return f"{slug}.{suffix}" if edition.name == STANDARD.name else f"{slug}-{edition.name}.{suffix}"


def problem(name: str) -> str | None:
    if name in EDITIONS:
        return None
    return f'"{name}" is not an edition; use one of: {", ".join(EDITIONS)}'
