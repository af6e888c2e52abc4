"""Inputs: the book, every brand, the editions and OUT, loaded and validated together.

Every error of every input is collected, then reported at once, before anything is rendered: a
build of several brands or editions writes nothing unless all of them are valid.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cite import CitationStyle, style_problem
from .editions import EDITIONS, Edition, edition, output_name
from .errors import Collector, Problem
from .load import load_book
from .locale import Locale, load_locale
from .model import Book
from .theme import DEFAULT_BRAND, Theme, load_brand, make_theme

MAX_NAME = 240   # bytes; most file systems allow 255 for a file name, the temporary name adds some


@dataclass(frozen=True)
class Checked:
    book: Book
    themes: tuple[Theme, ...]
    editions: tuple[Edition, ...]
    locale: Locale                      # the book's language with the project's catalogues
    style: CitationStyle
    warnings: list[Problem]
    locales: dict                       # brand root -> Locale with that brand's locales/ and [strings]


BrandCache = dict   # brand folder -> (its theme or None, the problems loading it found)


def check_inputs(book_dir: Path, brand_dirs: tuple[Path, ...], out: Path | None, strict: bool,
                 editions: tuple[str, ...], brands: BrandCache | None = None) -> Checked:
    """Load and validate everything; raise DocError with every error found. Many books checked in
    one run (a catalogue) share `brands`, so that each brand pack is loaded and checked once."""
    errors = Collector()
    book = load_book(book_dir, errors)
    themes = _themes(brand_dirs or (DEFAULT_BRAND,), errors, {} if brands is None else brands)
    chosen = _editions(editions or (book.config.editions if book else ("standard",)), errors)
    locale = None
    if book:
        locale, warning = load_locale(book.config.language)
        if warning:
            errors.warning(book.root / "book.toml", 0, warning)
        _names(book, chosen, errors)
    if book and (message := style_problem(book.config.citation_style, book.root)):
        errors.error(book.root / "book.toml", 0, f"citation_style: {message}")
    if out is not None and book:
        _check_out(out.resolve(), book, themes, errors)
    if book:
        _check_glyphs(book, themes, errors)
        from .report import grade_warnings   # a chapter above book.toml's reading_grade
        grade_warnings(book, errors)
    errors.stop_if_errors(strict)
    style = CitationStyle(book.entries, _style(book), locale_tag(book.config.language))
    locales = {str(t.brand.root): brand_locale(book, t) for t in themes}
    return Checked(book, tuple(themes), tuple(chosen), locale, style, errors.warnings, locales)


def brand_locale(book: Book, theme: Theme) -> Locale:
    """The book's language as this brand words it: its own locales/ first, then its [strings]."""
    folder = theme.brand.root / "locales"
    dirs = [folder] if folder.is_dir() and folder.resolve().is_relative_to(theme.brand.root) else []
    return load_locale(book.config.language, dirs, theme.brand.config.strings)[0]


def _style(book: Book):
    name = book.config.citation_style
    return name if name in ("ama", "vancouver") else book.root / name


def brand_editions(theme: Theme, names: tuple[Edition, ...]) -> list[Edition]:
    """The chosen editions as this brand sets them ([editions.NAME] and hyphenate in brand.toml)."""
    config = theme.brand.config
    out = []
    for chosen in names:
        overrides = {"hyphenate": config.hyphenate} if config.hyphenate else {}
        overrides.update(config.editions.get(chosen.name, {}))
        out.append(edition(chosen.name, overrides))
    return out


def locale_tag(language: str) -> str:
    return language if "-" in language else {"en": "en-US"}.get(language, language)


def _check_glyphs(book: Book, themes: list[Theme], errors: Collector) -> None:
    """Every character of the book against the fonts that will set it, before any layout: a
    character no font covers is an error at its line, never an empty box on the page."""
    from .coverage import Coverage, uncovered_problems
    from .theme import FONTS
    from .fonts import FONT_TYPES
    project = sorted(p for p in FONTS.iterdir() if p.suffix.lower() in FONT_TYPES)
    seen = set()
    for theme in themes:
        folder = theme.brand.root / "fonts"
        brand = tuple(folder / face[0] for face in theme.brand.fonts)
        if brand in seen:
            continue
        seen.add(brand)
        coverage = Coverage([*project, *brand])
        for path, data in book.sources.items():   # the bytes load read: nothing is read again
            if path.suffix == ".json":
                continue   # a reference's title prints as the style sets it; checked with the notes
            for line, message in uncovered_problems(data.decode("utf-8", errors="replace"), coverage):
                errors.error(path, line, message)


def _themes(brand_dirs: tuple[Path, ...], errors: Collector, cache: BrandCache) -> list[Theme]:
    themes, seen = [], {}
    for folder in brand_dirs:
        name = folder.resolve().name
        if name in seen and seen[name] != folder.resolve():
            errors.error(folder, 0, f'two brand packs are named "{name}" ({seen[name]} and {folder}); each '
                         "builds into OUT/<folder name>/: rename one folder")
            continue
        seen[name] = folder.resolve()
        if seen[name] not in cache:
            cache[seen[name]] = _theme(folder)
        theme, problems = cache[seen[name]]
        errors.extend(problems)
        if theme:
            themes.append(theme)
    return themes


def _theme(folder: Path) -> tuple[Theme | None, list[Problem]]:
    errors = Collector()
    brand = load_brand(folder, errors)
    if not brand:
        return None, errors.problems
    theme = make_theme(brand, errors)
    if brand.styles:   # only then pay for importing WeasyPrint
        from .renderers.pdf import check_stylesheets
        errors.extend(check_stylesheets(theme))
    return theme, errors.problems


def _editions(names: tuple[str, ...], errors: Collector) -> list[Edition]:
    chosen = []
    for name in dict.fromkeys(names):
        if name not in EDITIONS:
            errors.error("--edition", 0, f'"{name}" is not an edition; use one of: {", ".join(EDITIONS)}')
        else:
            chosen.append(edition(name))
    return chosen


def _names(book: Book, editions: list[Edition], errors: Collector) -> None:
    for ed in editions:
        name = output_name(book.config.slug, ed, "epub")
        if len(name.encode("utf-8")) > MAX_NAME:
            errors.error(book.root / "book.toml", 0, f"the output file name {name[:40]}… is "
                         f"{len(name.encode())} bytes long; set a shorter slug = \"…\" in book.toml")


def _check_out(out: Path, book: Book, themes: list[Theme], errors: Collector) -> None:
    if out.exists() and not out.is_dir():
        errors.error(out, 0, "the output folder is a file; give --out a folder")
    if out == book.root or out.is_relative_to(book.root):
        errors.error(out, 0, "the output folder is inside the book folder; the next build would read its "
                     "own outputs: choose a folder outside the book, such as dist/")
    for theme in themes:
        if out.is_relative_to(theme.brand.root):
            errors.error(out, 0, "the output folder is inside a brand pack; choose a folder outside it")
