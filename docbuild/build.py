"""Build: check (load + theme), then render and write each format into OUT atomically.

Every output is first written to a temporary file inside OUT and renamed into place only when all
requested formats succeeded, so a failed or interrupted build leaves the previous files as they were.
"""
from __future__ import annotations

import calendar
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector, DocError, Problem
from .load import load_book
from .model import Book
from .theme import DEFAULT_BRAND, Theme, load_brand, make_theme

log = logging.getLogger(__name__)
FORMATS = ("pdf", "epub", "html")


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    pages: int = 0


def check(book_dir: Path, brand_dir: Path | None = None, strict: bool = False) -> tuple[Book, Theme, list[Problem]]:
    """Load and validate the book and the brand; raise DocError with every error found."""
    errors = Collector()
    book = load_book(book_dir, errors)
    brand = load_brand(brand_dir or DEFAULT_BRAND, errors)
    theme = make_theme(brand, errors) if brand else None
    if brand and brand.styles:   # only then pay for importing WeasyPrint
        from .pdf import check_stylesheets
        roots = (book.root,) + theme.roots if book else theme.roots
        errors.extend(check_stylesheets(brand.styles, roots))
    errors.stop_if_errors(strict)
    return book, theme, errors.warnings


def build(book_dir: Path, out: Path, brand_dir: Path | None = None, formats: tuple[str, ...] = ("pdf", "epub"),
          strict: bool = False) -> tuple[list[Written], list[Problem]]:
    book, theme, warnings = check(book_dir, brand_dir, strict)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    slug = book.metadata.slug
    temps: dict[str, Path] = {}
    try:
        pages = {}
        for fmt in formats:
            temps[fmt] = _temp(out, f"{slug}.{fmt}")
            pages[fmt] = _write_format(fmt, book, theme, temps[fmt])
        written = []
        for fmt in formats:
            final = out / f"{slug}.{fmt}"
            os.replace(temps.pop(fmt), final)
            written.append(Written(final, final.stat().st_size, pages[fmt]))
        return written, warnings
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)


def _temp(out: Path, name: str) -> Path:
    # the pid in the name lets a later build remove what a killed build left behind
    handle, path = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=out)
    os.close(handle)
    return Path(path)


def remove_stale_temps(out: Path) -> None:
    """Delete temporary files of builds that were killed (their process no longer runs)."""
    for temp in out.glob(".*.tmp"):
        match = re.search(r"\.(\d+)\.[^.]+\.tmp$", temp.name)
        if match and not _running(int(match.group(1))):
            temp.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_format(fmt: str, book: Book, theme: Theme, target: Path) -> int:
    from . import render
    if fmt == "html":
        target.write_text(render.print_html(book, theme), encoding="utf-8")
        return 0
    if fmt == "pdf":
        from .pdf import write_pdf
        html = render.print_html(book, theme)
        epoch = calendar.timegm(book.metadata.date.timetuple())
        return write_pdf(html, target, roots=(book.root, *theme.roots), base=book.root,
                         sources=_text_sources(book, theme), epoch=epoch)
    if fmt == "epub":
        from .epub import write_epub
        write_epub(book, render.epub_pages(book, theme), theme.brand, target)
        return 0
    raise ValueError(f"unknown format {fmt}")


def _text_sources(book: Book, theme: Theme) -> tuple[Path, ...]:
    """Files that may name a URL, searched to point an error at its line."""
    brand = theme.brand
    files = list(brand.styles)
    if brand.templates_dir:
        files += sorted(brand.templates_dir.rglob("*"))
    files += [c.path for c in book.chapters]
    files += sorted(book.root.rglob("*.svg"))
    return tuple(f for f in files if f.is_file())
