"""Numbering: parsed chapters -> the `Book`, with one book-wide note numbering the reader can follow.

Each note gets its number in reading order; each citation learns whether it is the first to cite
its work (the full reference) or which note did (a short form after). Citation keys are checked
against references.json here, with "did you mean" suggestions.
"""
from __future__ import annotations

from pathlib import Path

from .config import BookConfig
from .errors import Collector
from .markdown import Parsed
from .model import Book, Chapter, Citation, Note, Reference
from .references import KeyIndex


class _Keys:
    """The references by key, and the first note that cited each."""

    def __init__(self, entries: dict | None, errors: Collector):
        self.entries, self.errors = entries, errors
        self.index = KeyIndex(entries) if entries else None
        self.first: dict[str, int] = {}
        self.notes: dict[str, list[tuple[str, int]]] = {}

    def known(self, key: str, path: Path, line: int) -> bool:
        if self.entries is None:   # references.json itself is broken: that error is enough
            return False
        if key in self.entries:
            return True
        near = self.index.near(key) if self.index else []
        hint = f"; did you mean {', '.join('@' + n for n in near)}?" if near else "; add it to references.json"
        self.errors.error(path, line, f'the citation key "@{key}" is not in references.json{hint}')
        return False

    def cite(self, key: str, locator: str, line: int, number: int, chapter_id: str) -> Citation:
        first = self.first.setdefault(key, number)
        self.notes.setdefault(key, []).append((chapter_id, number))
        return Citation(key, locator, line, 0 if first == number else first)


def assemble(root: Path, config: BookConfig, parsed: list[tuple[int, Path, Parsed]], entries: dict | None,
             refs_path: Path, images: dict, sources: dict, errors: Collector) -> Book:
    keys = _Keys(entries, errors)
    chapters, number = [], 0
    for index, path, chapter in parsed:
        chapter_id = f"ch{index:02d}"
        notes = []
        for call in chapter.calls:
            number += 1
            notes.append(_note(call, number, chapter, chapter_id, path, keys))
        for items, line in chapter.inline_cites:   # cited inside a footnote: still in the References
            for key, _ in items:
                if keys.known(key, path, line):
                    keys.first.setdefault(key, number)
                    keys.notes.setdefault(key, [])
        _forgotten_at(chapter, entries, path, errors)
        chapters.append(Chapter(path, chapter_id, chapter.title, tuple(chapter.tokens), tuple(notes),
                                tuple(dict.fromkeys(chapter.images))))
    for key, (_, line) in (entries or {}).items():
        if key not in keys.first:
            errors.warning(refs_path, line, f'the reference "{key}" is never cited')
    order = sorted(keys.first, key=keys.first.get)
    references = tuple(Reference(k, entries[k][0], entries[k][1], tuple(keys.notes[k])) for k in order)
    all_entries = {k: e for k, (e, _) in (entries or {}).items()}
    return Book(root, config, tuple(chapters), references, all_entries, dict(images),
                dict(sources))


def _note(call, number: int, chapter: Parsed, chapter_id: str, path: Path, keys: _Keys) -> Note:
    if call.kind == "footnote":
        return Note(number, "footnote", call.line, tokens=tuple(chapter.footnotes.get(call.footnote, ())),
                    label=call.label)
    cites = tuple(keys.cite(key, loc, call.line, number, chapter_id) for key, loc in call.items
                  if keys.known(key, path, call.line))
    return Note(number, "citation", call.line, citations=cites)


def _forgotten_at(chapter: Parsed, entries: dict | None, path: Path, errors: Collector) -> None:
    """`[lundberg1999]` where lundberg1999 is a reference: the writer forgot the @."""
    for text, line in chapter.bare:
        names = [n.strip() for n in text.split(";")]
        if entries and all(n in entries for n in names):
            fixed = "; ".join("@" + n for n in names)
            errors.error(path, line, f"[{text}] looks like a citation without its @: write [{fixed}]")
