"""Load: a book folder -> `Book`. Parses and cross-checks everything, then reports every error at once."""
from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

from .config import BOOK_SCHEMA, read_config, slugify
from .errors import Collector
from .markdown import INLINE_CITE_RE, Call, parse_chapter
from .model import Book, Chapter, Metadata, Note, Person, Reference
from .references import KeyIndex, load_references, make_reference

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".svg")
_PRIVATE = re.compile("[\ue000-\ue003]")   # our placeholders must never come from the user


def load_book(root: Path, errors: Collector, today: dt.date | None = None) -> Book | None:
    """Read the book at `root`; problems go to `errors`; returns None when it cannot go on."""
    root = root.resolve()
    toml_path = root / "book.toml"
    read = read_config(root, "book.toml", BOOK_SCHEMA, "book", errors)
    if read is None or "title" not in read[0]:
        return None
    conf, lines = read
    metadata = _metadata(conf, toml_path, lines, errors, today or dt.date.today())
    entries = load_references(root / conf.get("references", "references.json"), errors)
    chapters = []
    for index, (path, line) in enumerate(_chapter_paths(root, conf, toml_path, lines, errors), start=1):
        parsed = _parse(root, path, line, toml_path, errors)
        if parsed is not None:
            chapters.append((index, path, parsed))
    return _assemble(root, metadata, chapters, entries, errors)


def _metadata(conf: dict, path: Path, lines: dict, errors: Collector, today: dt.date) -> Metadata:
    title = conf["title"]
    dates = [(k, conf[k]) for k in ("published", "reviewed", "next_review") if k in conf]
    for (k1, d1), (k2, d2) in zip(dates, dates[1:]):
        if d2 < d1:
            errors.error(path, lines.get((k2,), 0), f"{k2} ({d2}) is before {k1} ({d1})")
    if "next_review" in conf and conf["next_review"] < today:
        errors.warning(path, lines.get(("next_review",), 0),
                       f"the next review date {conf['next_review']} has passed: review the book and update it")
    if not conf.get("reviewers"):
        errors.warning(path, 0, "the book has not been clinically reviewed: add a [[reviewers]] entry "
                       "with the clinician's name and credentials")
    people = lambda key: tuple(Person(p["name"], p.get("credentials", ""))
                               for p in conf.get(key, []) if "name" in p)
    return Metadata(
        title=title, subtitle=conf.get("subtitle", ""), language=conf.get("language", "en"),
        slug=conf.get("slug") or slugify(title),
        identifier=conf.get("identifier") or f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'docbuild:' + title)}",
        description=conf.get("description", ""), published=conf.get("published"),
        reviewed=conf.get("reviewed"), next_review=conf.get("next_review"),
        authors=people("authors"), reviewers=people("reviewers"))


def _chapter_paths(root: Path, conf: dict, toml_path: Path, lines: dict,
                   errors: Collector) -> list[tuple[Path, int]]:
    line = lines.get(("chapters",), 0)
    if "chapters" not in conf:
        found = sorted((root / "chapters").glob("*.md"))
        if not found:
            errors.error(toml_path, 0, "no chapters: add Markdown files to chapters/ or list them in "
                         'chapters = ["chapters/01-intro.md", …]')
        return [(p, line) for p in found]
    paths = []
    text = toml_path.read_text(encoding="utf-8")
    for name in conf["chapters"]:
        # a long list spans several lines: point at the entry itself
        at = text.find(f'"{name}"', text.find("chapters"))
        line = text.count("\n", 0, at) + 1 if at >= 0 else lines.get(("chapters",), 0)
        path = (root / name).resolve()
        if not path.is_relative_to(root):
            errors.error(toml_path, line, f'the chapter "{name}" is outside the book folder')
        elif not path.is_file():
            errors.error(toml_path, line, f'the chapter "{name}" does not exist')
        else:
            paths.append((path, line))
    if not conf["chapters"]:
        errors.error(toml_path, lines.get(("chapters",), 0), "the chapters list is empty")
    return paths


def _parse(root: Path, path: Path, line: int, toml_path: Path, errors: Collector):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        errors.error(path, 0, "the chapter is not UTF-8 text; save it as UTF-8")
        return None
    if not text.strip():
        errors.error(path, 1, "the chapter is empty")
        return None
    resolve = lambda src, at: resolve_image(root, path, src, at, errors)
    return parse_chapter(path, _PRIVATE.sub("", text), errors, resolve)


def resolve_image(root: Path, chapter: Path, src: str, line: int, errors: Collector) -> str | None:
    """An image path, relative to the chapter's folder and then the book's, as a posix path in the book."""
    if re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)", src):
        errors.error(chapter, line, f"the image {src} is a remote or special URL; the build works offline: "
                     "save the image in the book's images/ folder and link to it there")
        return None
    candidates = [(base / src).resolve() for base in (chapter.parent, root)]
    inside = [c for c in candidates if c.is_relative_to(root)]
    if not inside:
        errors.error(chapter, line, f"the image {src} points outside the book folder; "
                     "copy it into the book's images/ folder")
        return None
    for candidate in inside:
        if candidate.is_file():
            if candidate.suffix.lower() not in IMAGE_TYPES:
                errors.error(chapter, line, f"the image {src} is not PNG, JPEG or SVG")
                return None
            if candidate.suffix.lower() == ".svg" and (outside := _svg_reference(candidate)):
                errors.error(chapter, line, f"the SVG image {src} refers to {outside}; an image must not load "
                             "other files or web addresses: embed what it needs in the SVG itself")
                return None
            return candidate.relative_to(root).as_posix()
    errors.error(chapter, line, f"the image {src} does not exist (looked in {display(chapter.parent, root)} "
                 "and the book folder)")
    return None


_SVG_REF = re.compile(r"""(?:href\s*=\s*["']|url\(\s*["']?|@import\s+["'])\s*([^"')\s]+)""")


def _svg_reference(path: Path) -> str | None:
    """The first outside file or address an SVG asks for, if any (fragments and data: are fine)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    for match in _SVG_REF.finditer(text):
        if not match.group(1).startswith(("#", "data:")):
            return match.group(1)
    return None


def display(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() + "/" if path != root else "the book folder"


class _Entries(dict):
    """The references by key, with an index of their keys for "did you mean" suggestions."""

    def __init__(self, entries: dict):
        super().__init__(entries)
        self.index = KeyIndex(entries)


def _assemble(root: Path, metadata: Metadata, parsed: list, entries: dict | None,
              errors: Collector) -> Book:
    """Number every note book-wide and give each citation its full or short form."""
    entries = _Entries(entries) if entries is not None else None
    refs: dict[str, Reference] = {}
    first_note: dict[str, int] = {}
    citations: dict[str, list[tuple[str, int]]] = {}
    chapters, number = [], 0
    for index, path, chapter in parsed:
        chapter_id = f"ch{index:02d}"
        notes = []
        for call in chapter.calls:
            number += 1
            html = _note_html(call, number, entries, refs, first_note, path, errors)
            html = re.sub(INLINE_CITE_RE, lambda m: _inline(m.group(1), refs, entries), html)
            for key, _ in call.items:
                citations.setdefault(key, []).append((chapter_id, number))
            notes.append(Note(number, html.replace("\n", " "), call.kind, tuple(k for k, _ in call.items)))
        for key, line in chapter.inline_cites:   # cited inside a footnote: still listed in References
            if _known(key, entries, path, line, errors):
                refs.setdefault(key, make_reference(key, entries[key][0]))
                first_note.setdefault(key, number)
        chapters.append(Chapter(path, chapter_id, chapter.title, chapter.body, tuple(notes),
                                tuple(chapter.images)))
    used = set(first_note)
    for key, (_, line) in (entries or {}).items():
        if key not in used:
            errors.warning(root / "references.json", line, f'the reference "{key}" is never cited')
    ordered = tuple(refs[k] for k in sorted(refs, key=lambda k: first_note.get(k, 10**9)))
    return Book(root, metadata, tuple(chapters), ordered, {k: tuple(v) for k, v in citations.items()})


def _known(key: str, entries: "_Entries | None", path: Path, line: int, errors: Collector) -> bool:
    if entries is None:   # the references file itself is broken: that error is enough
        return False
    if key in entries:
        return True
    near = entries.index.near(key)
    hint = f"; did you mean {', '.join('@' + n for n in near)}?" if near else \
        "; add it to references.json"
    errors.error(path, line, f'the citation key "@{key}" is not in references.json{hint}')
    return False


def _note_html(call: Call, number: int, entries: dict, refs: dict, first_note: dict,
               path: Path, errors: Collector) -> str:
    if call.kind == "footnote":
        return call.html
    parts = []
    for key, locator in call.items:
        if not _known(key, entries, path, call.line, errors):
            continue
        if key not in refs:
            refs[key] = make_reference(key, entries[key][0])
        if key not in first_note:
            first_note[key] = number
            parts.append(refs[key].full + (f" ({locator})" if locator else ""))
        else:
            loc = f", {locator}" if locator else ""
            parts.append(f"{refs[key].short}{loc}. See note {first_note[key]}.")
    return "<br/>".join(parts)


def _inline(payload: str, refs: dict, entries: dict | None) -> str:
    key, _, locator = payload.partition("|")
    if not entries or key not in entries:
        return ""
    ref = refs.get(key) or make_reference(key, entries[key][0])
    return f"({ref.short}{', ' + locator if locator else ''})"
