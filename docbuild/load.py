"""Load: a book folder -> `Book`. Parses and cross-checks everything, then reports every error at once.

Every file is read through `files.read_inside`, so nothing outside the book is read, and one
broken file does not hide the errors of the others: checks that need a broken file are skipped.
"""
from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

from .config import BOOK_SCHEMA, BookConfig, book_config, slugify, validate
from .errors import Collector
from .files import InputError, read_inside
from .images import ImageError, image_inside, inspect_image
from .links import link_problem, normalise_doi
from .markdown import Parsed, parse_chapter
from .numbering import assemble
from .references import load_references
from .svgsafe import svg_problems
from .tomlfile import parse_toml

def load_book(root: Path, errors: Collector, today: dt.date | None = None) -> Book | None:
    """Read the book at `root`; problems go to `errors`; returns None when it cannot go on."""
    root = root.resolve()
    if not root.is_dir():
        errors.error(root, 0, "the book folder does not exist")
        return None
    config, lines, toml_bytes = _config(root, errors)
    if config is None:
        return None
    toml_path = root / "book.toml"
    _check_dates(config, toml_path, lines, errors, today or dt.date.today())
    refs_path = root / config.references
    loader = _Loader(root, errors)
    loader.sources[toml_path] = toml_bytes
    entries = _references(root, refs_path, toml_path, lines, loader, errors)
    chapters = []
    for index, (path, line) in enumerate(_chapter_paths(root, config, toml_path, lines, errors), start=1):
        parsed = loader.chapter(path, line, toml_path)
        if parsed is not None:
            chapters.append((index, path, parsed))
    return assemble(root, config, chapters, entries, refs_path, loader.images, loader.sources, errors)


def _config(root: Path, errors: Collector) -> tuple[BookConfig | None, dict, bytes]:
    """book.toml as typed config, its key lines and its bytes."""
    path = root / "book.toml"
    try:
        data = read_inside(path, (root,), "book.toml")
        text = data.decode("utf-8").removeprefix("\ufeff")
    except InputError as exc:
        errors.error(path, 0, str(exc))
        return None, {}, b""
    except UnicodeDecodeError:
        errors.error(path, 0, "the file is not UTF-8 text; save it as UTF-8")
        return None, {}, b""
    read = parse_toml(path, text, errors)
    if read is None:
        return None, {}, data
    values = validate(read[0], BOOK_SCHEMA, path, read[1], errors)
    if "title" not in values:
        return None, read[1], data
    title = values["title"]
    ident = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'docbuild:' + title)}"
    return book_config(values, slugify(title), ident), read[1], data


def _check_dates(config: BookConfig, path: Path, lines: dict, errors: Collector, today: dt.date) -> None:
    dates = [(k, getattr(config, k)) for k in ("published", "reviewed", "next_review") if getattr(config, k)]
    for (k1, d1), (k2, d2) in zip(dates, dates[1:]):
        if d2 < d1:
            errors.error(path, lines.get((k2,), 0), f"{k2} ({d2}) is before {k1} ({d1})")
    if config.next_review and config.next_review < today:
        errors.warning(path, lines.get(("next_review",), 0),
                       f"the next review date {config.next_review} has passed: review the book and update it")
    if not config.reviewers:
        errors.warning(path, 0, "the book has not been clinically reviewed: add a [[reviewers]] entry "
                       "with the clinician's name and credentials")


def _references(root: Path, path: Path, toml_path: Path, lines: dict, loader: "_Loader",
                errors: Collector) -> dict | None:
    line = lines.get(("references",), 0)
    try:
        loader.sources[path] = read_inside(path, (root,), "references file")
    except InputError as exc:
        errors.error(toml_path if line else path, line, str(exc))
        return None
    entries = load_references(path, errors)
    for key, (entry, line) in (entries or {}).items():
        _check_links(entry, path, line, key, errors)
    return entries


def _check_links(entry: dict, path: Path, line: int, key: str, errors: Collector) -> None:
    """A reference's URL must be a web address; its DOI a DOI: nothing else reaches a link."""
    url, doi = entry.get("URL"), entry.get("DOI")
    if isinstance(url, str) and url.strip() and (message := link_problem(url.strip())):
        errors.error(path, line, f'the reference "{key}" has a URL that cannot be a link: {message}')
    if isinstance(doi, str) and doi.strip() and normalise_doi(doi) is None:
        errors.error(path, line, f'the reference "{key}" has the DOI "{doi}", which is not a DOI: '
                     "a DOI looks like 10.1037/1076-8998.4.3.245")


def _chapter_paths(root: Path, config: BookConfig, toml_path: Path, lines: dict,
                   errors: Collector) -> list[tuple[Path, int]]:
    line = lines.get(("chapters",), 0)
    if config.chapters is None:
        folder = root / "chapters"
        found = sorted(folder.glob("*.md")) if folder.is_dir() else []
        if not found:
            errors.error(toml_path, 0, "no chapters: add Markdown files to chapters/ or list them in "
                         'chapters = ["chapters/01-intro.md", …]')
        return [(p, 0) for p in found]
    if not config.chapters:
        errors.error(toml_path, line, "the chapters list is empty")
    text = toml_path.read_text(encoding="utf-8", errors="replace")
    paths, seen = [], {}
    for name in config.chapters:
        at = text.find(f'"{name}"', text.find("chapters"))   # a long list spans lines: point at the entry
        entry_line = text.count("\n", 0, at) + 1 if at >= 0 else line
        path = root / name
        if name in seen:
            errors.error(toml_path, entry_line, f'the chapter "{name}" is listed twice (first at line {seen[name]})')
            continue
        seen[name] = entry_line
        paths.append((path, entry_line))
    return paths


class _Loader:
    """Reads chapters and images, each once, through the containment checks."""

    def __init__(self, root: Path, errors: Collector):
        self.root, self.errors = root, errors
        self.images: dict[str, tuple[str, bytes]] = {}
        self.sources: dict[Path, bytes] = {}   # every text file read -> its bytes

    def chapter(self, path: Path, line: int, toml_path: Path) -> Parsed | None:
        where = (toml_path, line) if line else (path, 0)
        try:
            data = read_inside(path, (self.root,), "chapter")
        except InputError as exc:
            self.errors.error(*where, str(exc))
            return None
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError:
            self.errors.error(path, 0, "the chapter is not UTF-8 text; save it as UTF-8")
            return None
        self.sources[path.resolve()] = data
        if not text.strip():
            self.errors.error(path, 1, "the chapter is empty")
            return None
        resolve = lambda src, at: self.image(path, src, at)
        return parse_chapter(path, text, self.errors, resolve)

    def image(self, chapter: Path, src: str, line: int) -> str | None:
        """An image path, relative to the chapter's folder and then the book's: its book-relative path."""
        if re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*:|//)", src):
            self.errors.error(chapter, line, f"the image {src} is a remote or special URL; the build works "
                              "offline: save the image in the book's images/ folder and link to it there")
            return None
        candidates = [base / src for base in (chapter.parent, self.root)]
        found = next((c for c in candidates if c.exists() or c.is_symlink()), None)
        if found is None:
            self.errors.error(chapter, line, f"the image {src} does not exist (looked in "
                              f"{_shown(chapter.parent, self.root)} and the book folder)")
            return None
        try:
            data = read_inside(found, (self.root,), "image")
        except InputError as exc:
            self.errors.error(chapter, line, str(exc))
            return None
        rel = found.resolve().relative_to(self.root).as_posix()
        if rel not in self.images and not self._check(chapter, line, src, rel, data):
            return None
        return rel

    def _check(self, chapter: Path, line: int, src: str, rel: str, data: bytes) -> bool:
        try:
            info = inspect_image(data, src)
        except ImageError as exc:
            self.errors.error(chapter, line, f"the image {src}: {exc}")
            return False
        if info.kind == "svg":
            base = (self.root / rel).parent
            problems = svg_problems(data, lambda ref: image_inside(base / ref, self.root))
            for at, message in problems:
                self.errors.error(chapter, line, f"the SVG image {src} (its line {at}): {message}")
            if problems:
                return False
        self.images[rel] = (info.media_type, data)
        return True


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() + "/" if path != root else "the book folder"
