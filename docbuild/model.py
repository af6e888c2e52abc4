"""The model: frozen data that every later step reads. No I/O, no imports from the package.

A chapter keeps the token stream of its one Markdown parse; note calls are `Note` objects recorded
at parse time with their source line, and each renderer draws them with its own rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import BookConfig, BrandConfig


@dataclass(frozen=True)
class Citation:
    key: str
    locator: str
    line: int
    first_note: int = 0    # the note that first cited this work; 0 when this is the first


@dataclass(frozen=True)
class Note:
    number: int                      # book-wide, in reading order: the one numbering the reader sees
    kind: str                        # "citation" or "footnote"
    line: int                        # 1-based line of the call in the chapter file
    citations: tuple[Citation, ...] = ()
    tokens: tuple[Any, ...] = ()     # a footnote's text: block tokens of its definition
    label: str = ""                  # a footnote's name, [^label]


@dataclass(frozen=True)
class Chapter:
    path: Path
    id: str                          # "ch01": anchor in the print HTML; the EPUB names its own files
    title: str
    tokens: tuple[Any, ...]          # markdown-it block tokens of the body (read-only)
    notes: tuple[Note, ...]          # in call order; tokens carry meta["note"] = index in this tuple
    images: tuple[str, ...]          # book-relative posix paths, in order of first use


@dataclass(frozen=True)
class Reference:
    key: str
    entry: dict                      # the CSL-JSON item
    line: int                        # where it starts in references.json
    notes: tuple[tuple[str, int], ...] = ()   # (chapter id, note number) of each note citing it


@dataclass(frozen=True)
class Book:
    root: Path
    config: "BookConfig"
    chapters: tuple[Chapter, ...]
    references: tuple[Reference, ...]          # the cited works, in order of first citation
    entries: dict = field(default_factory=dict)   # every CSL item by key (the style needs them all)
    images: dict = field(default_factory=dict)    # book-relative path -> (media type, bytes)
    sources: dict = field(default_factory=dict)   # every text file the book was read from -> its bytes


@dataclass(frozen=True)
class Brand:
    root: Path
    config: "BrandConfig"
    logo: tuple[str, str, bytes] | None = None     # (file name, media type, bytes)
    fonts: tuple[tuple[str, bytes, str, int, str], ...] = ()   # (file, bytes, family, weight, style)
    styles: tuple[tuple[str, str], ...] = ()       # (file name, CSS text) of the pack's styles/
    templates: dict = field(default_factory=dict)  # template name -> (source, path)
    sources: tuple[Path, ...] = ()                 # every file the brand was read from
