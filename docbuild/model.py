"""The model: frozen dataclasses that every later step reads. No I/O, no imports from the package."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

# Marks where a note is called inside a chapter's body HTML; render.py swaps in each target's markup.
NOTE_MARK = "\ue000{}\ue001"
NOTE_MARK_RE = r"\ue000(\d+)\ue001"
# Prefix of an image path in body HTML, relative to the book folder; each target picks its own base.
IMAGE_PREFIX = "book:"


@dataclass(frozen=True)
class Person:
    name: str
    credentials: str = ""

    @property
    def display(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


@dataclass(frozen=True)
class Metadata:
    title: str
    language: str
    slug: str
    identifier: str
    subtitle: str = ""
    description: str = ""
    published: dt.date | None = None
    reviewed: dt.date | None = None
    next_review: dt.date | None = None
    authors: tuple[Person, ...] = ()
    reviewers: tuple[Person, ...] = ()

    @property
    def date(self) -> dt.date:
        """The date the outputs carry, so that the same inputs give the same bytes."""
        return self.reviewed or self.published or dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Reference:
    key: str
    full: str      # formatted entry, HTML
    short: str     # short form for a later note or a citation inside a footnote, HTML


@dataclass(frozen=True)
class Note:
    number: int            # book-wide, in reading order
    html: str              # inline HTML, one line, paragraphs joined with <br>
    kind: str              # "citation" or "footnote"
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Chapter:
    path: Path
    id: str                # file stem in the EPUB and anchor in the PDF
    title: str
    body: str              # HTML with NOTE_MARK placeholders and IMAGE_PREFIX image paths
    notes: tuple[Note, ...]
    images: tuple[str, ...]  # paths relative to the book folder, posix


@dataclass(frozen=True)
class Book:
    root: Path
    metadata: Metadata
    chapters: tuple[Chapter, ...]
    references: tuple[Reference, ...]   # the cited works, in order of first citation
    citations: dict = field(default_factory=dict)  # key -> note numbers citing it


@dataclass(frozen=True)
class Brand:
    root: Path
    name: str
    logo: Path | None
    page_size: str = "A4"
    colors: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)
    feedback: str = ""
    fonts: tuple[str, ...] = ()
    font_files: tuple[Path, ...] = ()
    templates_dir: Path | None = None
    styles: tuple[Path, ...] = ()
