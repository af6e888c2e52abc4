"""Page map: where each page of the printed handout begins, so the ebook can mark the same places.

The PDF and the EPUB render one token stream (markup.py), so the blocks of a section (paragraphs,
list items, headings, cells, captions, images: `BLOCKS`) come in the same order in both. A place
is "section id, block number, characters of that block already printed": `page_starts` reads it
off WeasyPrint's laid-out pages, `mark_pages` finds it again in the EPUB's XHTML and puts a
`doc-pagebreak` marker there. Characters are counted without spaces (line breaks differ) and
without note calls (a pseudo-element in the PDF, a `noteref` in the EPUB).

Laying out the handout is the costly part: the PDF renderer hands its document to `remember` and
an EPUB rendered later in the same process from the same `RenderContext` uses that map
(`for_context`); otherwise the EPUB lays the handout out itself.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from . import RenderContext

BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th", "caption",
                    "figcaption", "pre", "img"})
SECTIONS = frozenset({"section", "nav"})
SKIPPED_CLASSES = frozenset({"footnote", "endnote-call", "noteref"})   # note text and note calls
NOT_COUNTED = "\u00ad\u2010"   # soft hyphen, and the hyphen WeasyPrint draws where it hyphenates
XHTML_NS = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@dataclass(frozen=True)
class Place:
    section: str    # id of the innermost <section> or <nav> around the block
    block: int      # the block's index among the section's BLOCKS, in document order
    chars: int      # characters of the block printed on earlier pages


@dataclass(frozen=True)
class PageStart:
    number: int                  # the page number the handout prints ("Page N of M")
    places: tuple[Place, ...]    # the first block of each section on the page, in order


# --- the print side: WeasyPrint's pages -> places -------------------------------------------------

def page_starts(document) -> tuple[PageStart, ...]:
    """Where each page of a laid-out weasyprint.Document begins."""
    walker = _Walker()
    return tuple(PageStart(number, walker.page(page._page_box))
                 for number, page in enumerate(document.pages, 1))


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _skipped(element) -> bool:
    return bool(SKIPPED_CLASSES & set((element.get("class") or "").split()))


def count(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace() and ch not in NOT_COUNTED)


class _Walker:
    """Keeps, across pages, how many characters of each block have been laid out."""

    def __init__(self):
        self.laid: dict[int, int] = {}               # id(block element) -> characters laid out
        self.totals: dict[int, int] = {}             # id(block element) -> characters it holds
        self.indexes: dict[int, dict[int, int]] = {}  # id(section) -> {id(block): index}

    def page(self, page_box) -> tuple[Place, ...]:
        places: dict[str, Place] = {}
        for box, elements in _flow(page_box, ()):
            block = next((e for e in reversed(elements) if _local(e.tag) in BLOCKS), None)
            section = next((e for e in reversed(elements) if _local(e.tag) in SECTIONS and e.get("id")), None)
            chars = count(box.text) if hasattr(box, "text") else 0
            if block is None or section is None or (chars == 0 and _local(block.tag) != "img"):
                continue
            key = id(block)
            done = key in self.laid and self.laid[key] >= self._total(block)   # a repeated table header
            if not done and section.get("id") not in places:
                places[section.get("id")] = Place(section.get("id"), self._index(section, block), self.laid.get(key, 0))
            self.laid[key] = self.laid.get(key, 0) + chars
        return tuple(places.values())

    def _total(self, block) -> int:
        if id(block) not in self.totals:
            self.totals[id(block)] = sum(count(t) for t in _texts(block, _skipped))
        return self.totals[id(block)]

    def _index(self, section, block) -> int:
        if id(section) not in self.indexes:
            self.indexes[id(section)] = {id(b): i for i, b in enumerate(blocks(section, _skipped))}
        return self.indexes[id(section)].get(id(block), -1)


def _flow(box, elements: tuple) -> Iterator[tuple[object, tuple]]:
    """The page's text and image boxes in order, each with the elements around it; running heads,
    page numbers, footnotes and generated content (list markers, note calls, leaders) left out."""
    from weasyprint.formatting_structure import boxes
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)) or "::" in (box.element_tag or ""):
        return
    element = box.element
    if element is not None and (not elements or elements[-1] is not element):
        if _skipped(element):
            return
        elements = elements + (element,)
    if isinstance(box, (boxes.TextBox, boxes.ReplacedBox)):
        yield box, elements
    for child in getattr(box, "children", None) or ():
        yield from _flow(child, elements)


def blocks(section, skip: Callable) -> list:
    """The section's blocks in document order, leaving out any under an element `skip` refuses."""
    found: list = []

    def visit(element) -> None:
        for child in element:
            if not isinstance(child.tag, str) or skip(child):
                continue
            if _local(child.tag) in BLOCKS:
                found.append(child)
            visit(child)
    visit(section)
    return found


def _texts(element, skip: Callable) -> Iterator[str]:
    """The element's text in order, without the subtrees `skip` refuses (their tails are kept)."""
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and not skip(child):
            yield from _texts(child, skip)
        if child.tail:
            yield child.tail


# --- one layout for both outputs ------------------------------------------------------------------

_MAPS: dict[int, tuple[weakref.ref, tuple[PageStart, ...]]] = {}


def remember(ctx: "RenderContext", document) -> tuple[PageStart, ...]:
    """Keep the page map of a document laid out for `ctx` (the PDF renderer calls this), for as
    long as `ctx` lives."""
    key = id(ctx)
    starts = page_starts(document)
    _MAPS[key] = (weakref.ref(ctx, lambda _ref: _MAPS.pop(key, None)), starts)
    return starts


def for_context(ctx: "RenderContext") -> tuple[PageStart, ...]:
    """The page map of the handout printed from `ctx`: remembered, or laid out now."""
    hit = _MAPS.get(id(ctx))
    if hit is not None and hit[0]() is ctx:
        return hit[1]
    from .pdf import layout
    return remember(ctx, layout(ctx))


# --- the ebook side: places -> markers in the XHTML -----------------------------------------------

def _epub_skipped(element) -> bool:
    """Note calls (`<sup>` around a noteref, or the link itself), notes and page markers."""
    if _skipped(element) or _local(element.tag) == "aside" or element.get(EPUB_TYPE) == "pagebreak":
        return True
    return _local(element.tag) == "sup" and any(_skipped(c) for c in element if isinstance(c.tag, str))


def mark_pages(starts: tuple[PageStart, ...], sections: dict[str, tuple[str, object]],
               marker: Callable[[int], object]) -> list[tuple[int, str]]:
    """Put `marker(number)` (an lxml element with an id) where each page begins; `sections` maps
    a section id to (file name, element). Returns (page number, href) in page order. A page whose
    sections the ebook lacks (the printed contents) is marked where the next page is."""
    targets = [next(((sections[p.section], p) for p in s.places if p.section in sections), None) for s in starts]
    for i in range(len(targets) - 1, -1, -1):            # fill gaps from the next page, then the previous
        if targets[i] is None and i + 1 < len(targets):
            targets[i] = targets[i + 1]
    for i in range(1, len(targets)):
        targets[i] = targets[i] or targets[i - 1]
    hrefs = []
    for start, target in zip(starts, targets):
        if target is None:
            continue
        (file, section), place = target
        span = marker(start.number)
        _insert(section, place, span)
        hrefs.append((start.number, f"{file}#{span.get('id')}"))
    return hrefs


def _insert(section, place: Place, span) -> None:
    found = blocks(section, _epub_skipped)
    if place.block < 0 and found:          # before the section's first block
        found[0].addprevious(span)
        return
    if not 0 <= place.block < len(found):  # the ebook's section is shorter: mark its end
        section.append(span)
        return
    block = found[place.block]
    if _local(block.tag) == "img":
        block.addprevious(span)
        return
    _insert_at(block, place.chars, span)


def _insert_at(block, chars: int, span) -> None:
    """Put `span` just before the block's character number chars + 1 (counted as in the PDF)."""
    seen = 0
    for owner, where in _segments(block):
        text = getattr(owner, where) or ""
        for offset, ch in enumerate(text):
            if ch.isspace() or ch in NOT_COUNTED:
                continue
            if seen == chars:
                _split(owner, where, offset, span)
                return
            seen += 1
    block.append(span)   # the ebook's block is shorter than the printed one: mark its end


def _segments(element) -> Iterator[tuple[object, str]]:
    yield element, "text"
    for child in list(element):
        if isinstance(child.tag, str) and not _epub_skipped(child):
            yield from _segments(child)
        yield child, "tail"


def _split(owner, where: str, offset: int, span) -> None:
    text = getattr(owner, where)
    setattr(owner, where, text[:offset] or None)
    span.tail = text[offset:]
    if where == "text":
        owner.insert(0, span)
    else:
        owner.addnext(span)
