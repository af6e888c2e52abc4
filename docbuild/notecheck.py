"""Where did each footnote land? Check a laid-out WeasyPrint document, page by page.

WeasyPrint (70.0 at least) can drop a `float: footnote` note from the PDF without a word, and puts
some notes on a later page than their call. Both are only visible after layout, so this walks the
laid-out box tree of every page:

    document = weasyprint.HTML(...).render(...)
    placement = check_notes(document)
    if placement.missing:
        ...  # note numbers whose text is on no page

For every note it records the page of its call (the `::footnote-call` box, in the page's flow) and
the page(s) where its footnote box sits in the page's footnote area. A note is identified by its
element: its number comes from `data-note="N"`, else `id="note-N"`, else the text of its
`<span class="note-number">N.</span>`, else its rank among the calls in document order.

A note lost together with its call leaves no trace in the pages: pass `expected=` (the numbers,
or the count, of the notes in the HTML) to have those listed as missing too.

Page numbers are 1-based, like a PDF reader's. The walk uses WeasyPrint's laid-out boxes, which
are not a public API (`Page._page_box`, `Box.footnote`, `Box.element`, `FootnoteAreaBox`):
checked against WeasyPrint 70.0. It costs under 1 % of the layout (0.1-0.2 s for 300-800 pages
laid out in 13-42 s CPU; bench/notes.py prints it as "check").
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Note", "Placement", "check_notes", "note_number"]

_ID = re.compile(r"note-(\d+)\Z")
_NUMBER_TEXT = re.compile(r"\s*(\d+)")


@dataclass(frozen=True)
class Note:
    """One note: its number, the page of its call and the page(s) where its text sits."""

    number: int
    call_page: int | None          # None: its call was found on no page
    note_pages: tuple[int, ...]    # every page whose footnote area holds the note, in order

    @property
    def note_page(self) -> int | None:
        """The (first) page where the note's text sits, or None when it is on no page (dropped)."""
        return self.note_pages[0] if self.note_pages else None

    @property
    def offset(self) -> int | None:
        """note_page - call_page: 0 on the call's page, 1 on the next one, negative before it."""
        if self.note_page is None or self.call_page is None:
            return None
        return self.note_page - self.call_page


@dataclass(frozen=True)
class Placement:
    """The notes of a laid-out document, in order of number (helpers return note numbers)."""

    notes: tuple[Note, ...]
    pages: int
    by_number: dict[int, Note] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_number", {note.number: note for note in self.notes})

    def __len__(self) -> int:
        return len(self.notes)

    def __getitem__(self, number: int) -> Note:
        return self.by_number[number]

    @property
    def missing(self) -> list[int]:
        """Notes whose text is on no page (WeasyPrint dropped them)."""
        return [n.number for n in self.notes if n.note_page is None]

    @property
    def early(self) -> list[int]:
        """Notes whose text sits on a page before the page of their call."""
        return [n.number for n in self.notes if n.offset is not None and n.offset < 0]

    @property
    def on_call_page(self) -> list[int]:
        return [n.number for n in self.notes if n.offset == 0]

    @property
    def next_page(self) -> list[int]:
        """Notes whose text sits on the page after their call's."""
        return [n.number for n in self.notes if n.offset == 1]

    @property
    def late(self) -> list[int]:
        """Notes whose text sits more than one page after their call's."""
        return [n.number for n in self.notes if n.offset is not None and n.offset > 1]

    @property
    def duplicated(self) -> list[int]:
        """Notes whose text is drawn on more than one page."""
        return [n.number for n in self.notes if len(n.note_pages) > 1]

    @property
    def uncalled(self) -> list[int]:
        """Notes whose call is on no page (their call's line was lost too)."""
        return [n.number for n in self.notes if n.call_page is None]

    @property
    def on_call_page_ratio(self) -> float:
        """The share of notes on the page of their call (1.0 for a document without notes)."""
        return len(self.on_call_page) / len(self.notes) if self.notes else 1.0

    @property
    def ok(self) -> bool:
        """No note missing, duplicated, before its call or more than one page after it."""
        return not (self.missing or self.early or self.late or self.duplicated or self.uncalled)

    def summary(self) -> str:
        return (f"{len(self.notes)} notes on {self.pages} pages: {len(self.missing)} missing, "
                f"{self.on_call_page_ratio:.1%} on the call's page, {len(self.next_page)} on the "
                f"next page, {len(self.early)} earlier, {len(self.late)} later")


def note_number(element) -> int | None:
    """A note element's number: `data-note`, `id="note-N"`, or its `.note-number` text."""
    value = element.get("data-note")
    if value is not None and value.strip().isdigit():
        return int(value)
    match = _ID.match(element.get("id") or "")
    if match:
        return int(match.group(1))
    for child in element.iter():
        if "note-number" in (child.get("class") or "").split():
            match = _NUMBER_TEXT.match("".join(child.itertext()))
            return int(match.group(1)) if match else None
    return None


def check_notes(document, expected: Iterable[int] | int | None = None) -> Placement:
    """Where each note's call and text landed in `document` (a weasyprint.Document).

    The walk sees a note through its call or its text. A note lost with its call too leaves no
    trace in the pages: pass `expected` (the note numbers the HTML holds, or their count for
    1..N) and every expected number not seen is listed as missing and uncalled.
    """
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox

    elements: dict[int, object] = {}         # id(note element) -> element, calls in flow order
    call_pages: dict[int, int] = {}          # id(note element) -> page of its (first) call
    note_pages: dict[int, list[int]] = {}    # id(note element) -> pages holding its footnote box
    for page_number, page in enumerate(document.pages, start=1):
        for area in page._page_box.children:
            if isinstance(area, FootnoteAreaBox):
                for note_box in area.children:
                    key = id(note_box.element)
                    elements.setdefault(key, note_box.element)
                    pages = note_pages.setdefault(key, [])
                    if not pages or pages[-1] != page_number:
                        pages.append(page_number)
            for element in _calls(area):     # calls in the flow, in margin boxes, inside notes
                key = id(element)
                if key not in call_pages:
                    call_pages[key] = page_number
                    elements.setdefault(key, element)
    keys = sorted(elements, key=lambda key: call_pages.get(key, float("inf")))   # stable
    notes = []
    for rank, key in enumerate(keys, start=1):
        number = note_number(elements[key])
        notes.append(Note(rank if number is None else number, call_pages.get(key),
                          tuple(note_pages.get(key, ()))))
    if expected is not None:
        seen = {note.number for note in notes}
        numbers = range(1, expected + 1) if isinstance(expected, int) else expected
        notes += [Note(number, None, ()) for number in numbers if number not in seen]
    notes.sort(key=lambda note: note.number)
    return Placement(tuple(notes), len(document.pages))


def _calls(box) -> list:
    """The note element of every `::footnote-call` box under `box`, in flow order."""
    found = []
    stack = [box]
    pop, push = stack.pop, stack.extend
    while stack:
        box = pop()
        if box.footnote is not None:         # only a ::footnote-call box has .footnote set
            found.append(box.footnote.element)
        elif box.children:
            push(reversed(box.children))
    return found
