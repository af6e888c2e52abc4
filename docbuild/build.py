"""Build: check (load + theme), then render and write each format into OUT atomically.

Every output is first written to a temporary file inside OUT and renamed into place only when all
requested formats succeeded, so a failed or interrupted build leaves the previous files as they were.
The PDF is laid out in this process while the other formats are written in a forked one, and
nothing is done at all when no input changed since the last build into OUT.
"""
from __future__ import annotations

import calendar
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import freshness
from .errors import Collector, DocError, Problem
from .load import load_book
from .model import Book
from .processes import STOP, Forked, can_fork, signals_held
from .theme import DEFAULT_BRAND, FONTS, STYLES, TEMPLATES, Theme, load_brand, make_theme

FORMATS = ("pdf", "epub", "html")


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    pages: int = 0


@dataclass
class Report:
    written: list[Written] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    up_to_date: bool = False


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
          strict: bool = False, force: bool = False,
          progress: Callable[[str], None] = lambda phase: None) -> Report:
    report = Report()
    brand_root = (brand_dir or DEFAULT_BRAND).resolve()
    stamp = freshness.fingerprint((book_dir.resolve(), brand_root, TEMPLATES, STYLES, FONTS),
                                  {"formats": list(formats), "strict": strict})
    if not force and (state := freshness.up_to_date(out, stamp)):
        report.up_to_date = True
        report.written = [Written(out / n, (out / n).stat().st_size, p) for n, p in state["pages"].items()]
        return report
    progress("checking")
    start = time.perf_counter()
    book, theme, report.warnings = check(book_dir, brand_dir, strict)
    report.timings["load"] = time.perf_counter() - start
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)
    names = {fmt: f"{book.metadata.slug}.{fmt}" for fmt in formats}
    temps: dict[str, Path] = {}
    try:
        with signals_held():   # so that no temporary file is made without being listed for removal
            for fmt, name in names.items():
                temps[fmt] = _temp(out, name)
        pages = _write_formats(formats, book, theme, temps, report.timings, progress)
        if STOP.is_set():   # an interruption that a library swallowed still stops the build here
            raise KeyboardInterrupt
        start = time.perf_counter()
        with signals_held():   # all outputs move into place, or none; then the record of them
            for fmt, name in names.items():
                os.replace(temps.pop(fmt), out / name)
            freshness.record(out, stamp, {names[f]: pages.get(f, 0) for f in formats})
        report.written = [Written(out / n, (out / n).stat().st_size, pages.get(f, 0)) for f, n in names.items()]
        report.timings["write"] = time.perf_counter() - start
        return report
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)


def _write_formats(formats: tuple[str, ...], book: Book, theme: Theme, temps: dict[str, Path],
                   timings: dict[str, float], progress: Callable[[str], None]) -> dict[str, int]:
    """The PDF here; the other formats at the same time in a forked process when there is a core for it."""
    others = [f for f in formats if f != "pdf"]
    if "pdf" not in formats or not others or (os.cpu_count() or 1) < 2 or not can_fork():
        return {fmt: _write_format(fmt, book, theme, temps[fmt], timings, progress) for fmt in formats}
    child = Forked(lambda t: {f: _write_format(f, book, theme, temps[f], t, lambda p: None) for f in others},
                   "the ebook")
    try:
        pages = {"pdf": _write_format("pdf", book, theme, temps["pdf"], timings, progress)}
        progress("finishing the ebook")
        pages.update(child.result(timings))
    finally:
        child.stop()   # on failure or interruption, before the temporary files are removed
    return pages


def _write_format(fmt: str, book: Book, theme: Theme, target: Path, timings: dict[str, float],
                  progress: Callable[[str], None]) -> int:
    from . import render
    clock = time.perf_counter()
    if fmt == "html":
        target.write_text(render.print_html(book, theme), encoding="utf-8")
        timings["html"] = time.perf_counter() - clock
        return 0
    if fmt == "pdf":
        from .pdf import write_pdf
        progress("laying out the PDF")
        html = render.print_html(book, theme)
        timings["render"] = timings.get("render", 0) + time.perf_counter() - clock
        clock = time.perf_counter()
        epoch = calendar.timegm(book.metadata.date.timetuple())
        pages = write_pdf(html, target, roots=(book.root, *theme.roots), base=book.root,
                          sources=_text_sources(book, theme), epoch=epoch)
        timings["pdf"] = time.perf_counter() - clock
        return pages
    if fmt == "epub":
        from .epub import write_epub
        progress("writing the ebook")
        pages = render.epub_pages(book, theme)
        timings["render (epub)"] = time.perf_counter() - clock
        clock = time.perf_counter()
        write_epub(book, pages, theme.brand, target)
        timings["epub"] = time.perf_counter() - clock
        return 0
    raise ValueError(f"unknown format {fmt}")


def _temp(out: Path, name: str) -> Path:
    # the pid in the name lets a later build remove what a killed build left behind
    handle, path = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=out)
    os.close(handle)
    os.chmod(path, 0o666 & ~_UMASK)   # mkstemp makes files private; outputs are ordinary files
    return Path(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


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


def _text_sources(book: Book, theme: Theme) -> tuple[Path, ...]:
    """Files that may name a URL, searched to point an error at its line."""
    brand = theme.brand
    files = list(brand.styles)
    if brand.templates_dir:
        files += sorted(brand.templates_dir.rglob("*"))
    files += [c.path for c in book.chapters]
    files += sorted(book.root.rglob("*.svg"))
    return tuple(f for f in files if f.is_file())
