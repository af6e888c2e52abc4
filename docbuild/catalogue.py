"""Catalogue (write step, above build.py): many books × brands × editions as one incremental build.

`catalogue.toml` names book folders (or globs), brand packs, editions and formats. Every book is
checked here, always (milliseconds a book); a book × brand (a `Unit`: all its editions and
formats) whose fingerprint matches its outputs in OUT/<brand>/ is not rendered again. Stale units
go to long-lived workers: a local process pool, one process a core, forked once the books are
checked and WeasyPrint is imported (so the workers inherit the checked books: a Jinja environment
does not pickle), or the workers of a Dask cluster, which get the files' bytes, rebuild the
folders in a temporary folder and check them again there. Outputs come back as bytes and this process writes each book at once, atomically (every
brand and edition of it, or none), so a failed book leaves its old outputs as they were. Then
OUT/index.html and index.csv list every handout (governance.py).

Without --keep-going the first failing book stops new work: a book that fails its checks means
nothing is rendered, one that fails while rendering cancels what has not started. Every problem
of every book is reported, sorted by file and line.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import glob
import hashlib
import multiprocessing
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Protocol

import click

from . import freshness, governance, renderers
from .config import Field, validate, with_defaults
from .editions import output_name, problem as edition_problem
from .errors import Collector, DocError, Location, Problem
from .inputs import BrandCache, Checked, brand_editions, check_inputs
from .outputs import Output, write_all

DEFAULT_FORMATS = ("pdf", "epub")   # as build.py's
DEFAULT_TITLE = "Patient information"


# ---- catalogue.toml ---------------------------------------------------------------------------

def _nonempty(value: list) -> str | None:
    return None if value else 'list at least one book folder, such as ["books/*"]'


def _formats(value: list) -> str | None:
    bad = [v for v in value if v not in renderers.names()]
    return f'"{bad[0]}" is not a format; use {", ".join(renderers.names())}' if bad else None


def _editions(value: list) -> str | None:
    return next((message for name in value if (message := edition_problem(name))), None)


def _days(value: int) -> str | None:
    return None if 0 <= value <= 3650 else "use a number of days from 0 to 3650"


CATALOGUE_SCHEMA = {
    "title": Field(str, "the heading of OUT/index.html", default=DEFAULT_TITLE),
    "books": Field("list[str]", 'book folders or glob patterns such as "books/*", relative to this file',
                   required=True, check=_nonempty),
    "brands": Field("list[str]", "brand pack folders, relative to this file, each built into "
                    "OUT/<folder name>/; none: the neutral brand", default=()),
    "editions": Field("list[str]", 'editions for every book: "standard", "large-print", "booklet"; '
                      "none: each book's own", default=(), check=_editions),
    "formats": Field("list[str]", '"pdf", "epub", "html"', default=DEFAULT_FORMATS, check=_formats),
    "due_soon_days": Field(int, 'a review due within this many days is marked "due soon" in the index',
                           default=60, check=_days),
}


@dataclass(frozen=True)
class Catalogue:
    path: Path | None               # the catalogue.toml, or None for build --book A --book B
    title: str
    books: tuple[Path, ...]
    brands: tuple[Path, ...]        # () = the neutral brand
    editions: tuple[str, ...]       # () = each book's own
    formats: tuple[str, ...]
    due_soon_days: int


def load_catalogue(path: Path, errors: Collector) -> Catalogue | None:
    """Read and check a catalogue.toml; every problem goes to `errors` at its line."""
    from .tomlfile import parse_toml, read_text
    text = read_text(path, errors)
    read = parse_toml(path, text, errors) if text is not None else None
    if read is None:
        return None
    values = validate(read[0], CATALOGUE_SCHEMA, path, read[1], errors)
    if "books" not in values:
        return None
    data = with_defaults(values, CATALOGUE_SCHEMA)
    base, line = path.parent, lambda key, entry: _entry_line(text, key, entry, read[1].get((key,), 0))
    books = _folders(base, data["books"], "book.toml", path, lambda e: line("books", e), errors)
    brands = _folders(base, data["brands"], "brand.toml", path, lambda e: line("brands", e), errors)
    _unique_names(brands, path, lambda b: read[1].get(("brands",), 0), errors)
    return Catalogue(path, data["title"], books, brands, data["editions"], data["formats"],
                     data["due_soon_days"])


def _entry_line(text: str, key: str, entry: str, fallback: int) -> int:
    """The line of one entry of a list that may span lines."""
    start = re.search(rf"^\s*{key}\s*=", text, re.M)
    found = [at for quote in '"\'' if start and (at := text.find(f"{quote}{entry}{quote}", start.end())) >= 0]
    return text.count("\n", 0, min(found)) + 1 if found else fallback


def _folders(base: Path, entries: tuple[str, ...], marker: str, path: Path, line: Callable[[str], int],
             errors: Collector) -> tuple[Path, ...]:
    """Folders named by entries (or glob patterns: only folders holding `marker`), each once."""
    found: dict[Path, Path] = {}
    for entry in entries:
        if any(c in entry for c in "*?["):
            matches = [Path(p) for p in sorted(glob.glob(os.path.join(base, entry))) if (Path(p) / marker).is_file()]
            if not matches:
                errors.error(path, line(entry), f'no folder matches "{entry}" (a folder here holds a {marker})')
        else:
            matches = [base / entry]
            if not matches[0].is_dir():
                errors.error(path, line(entry), f'the folder "{entry}" does not exist')
                continue
        for match in matches:
            found.setdefault(match.resolve(), match)
    return tuple(found.values())


def _unique_names(brands: tuple[Path, ...], path: Path | str, line: Callable[[Path], int],
                  errors: Collector) -> None:
    seen: dict[str, Path] = {}
    for brand in brands:
        name = brand.resolve().name
        if name in seen:
            errors.error(path, line(brand), f'two brand packs are named "{name}" ({seen[name]} and {brand}); '
                         "each builds into OUT/<folder name>/: rename one folder")
        seen.setdefault(name, brand)


def catalogue_from_cli(path: Path | None, books: tuple[Path, ...], brands: tuple[Path, ...],
                       formats: tuple[str, ...], editions: tuple[str, ...], errors: Collector) -> Catalogue | None:
    """The catalogue file (if any) with the command line's choices on top: --brand, --format and
    --edition replace the file's; --book adds books."""
    if path is not None:
        catalogue = load_catalogue(path, errors)
        if catalogue is None:
            return None
    else:
        data = with_defaults({}, CATALOGUE_SCHEMA)
        catalogue = Catalogue(None, data["title"], (), (), (), data["formats"], data["due_soon_days"])
    extra = tuple(book for book in books if book.resolve() not in {b.resolve() for b in catalogue.books})
    if brands:
        _unique_names(brands, "--brand", lambda b: 0, errors)
    return replace(catalogue, books=catalogue.books + tuple(dict.fromkeys(extra)),
                   brands=tuple(brands) or catalogue.brands, formats=tuple(dict.fromkeys(formats)) or catalogue.formats,
                   editions=tuple(editions) or catalogue.editions)


# ---- checking and planning --------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    """One edition of a book × brand: its formats, the fingerprint of its inputs, its files."""
    edition: str
    formats: tuple[str, ...]
    stamp: str
    names: tuple[str, ...]          # one file a format (a booklet adds its unimposed pages)


@dataclass(frozen=True)
class Unit:
    """One book × brand: the work of one task. Its stale editions are rendered together, written
    with the book's other brands, and each edition recorded with its own fingerprint."""
    book: Path                      # the book folder (resolved)
    brand: Path                     # the brand pack folder (resolved)
    folder: Path                    # OUT/<brand folder name>
    slug: str
    parts: tuple[Part, ...]         # in build order

    @property
    def key(self) -> str:
        return f"{self.folder.name}/{self.slug}"

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for part in self.parts for name in part.names)


@dataclass
class Entry:
    """One book of the catalogue: what its check found, and its units."""
    folder: Path
    checked: Checked | None = None
    problems: list[Problem] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def check_book(folder: Path, catalogue: Catalogue, out: Path | None, strict: bool,
               brands: BrandCache | None = None) -> Entry:
    try:
        checked = check_inputs(folder, catalogue.brands, out, strict, catalogue.editions, brands)
    except DocError as exc:
        return Entry(folder, problems=list(exc.problems))
    entry = Entry(folder, checked, list(checked.warnings))
    if out is not None:
        units = (_unit(checked, theme, out, catalogue.formats) for theme in checked.themes)
        entry.units = [unit for unit in units if unit is not None]
    return entry


def context_for(checked: Checked, theme, edition):
    """What the renderers read for one brand × edition (the book in the brand's own wording)."""
    from .renderers import RenderContext
    locale = checked.locales.get(str(theme.brand.root), checked.locale)
    return RenderContext(checked.book, theme, locale, checked.style, edition)


def _unit(checked: Checked, theme, out: Path, formats: tuple[str, ...]) -> Unit | None:
    slug, parts = checked.book.config.slug, []
    for edition in brand_editions(theme, checked.editions):
        wanted = tuple(f for f in formats if f in edition.formats)
        if wanted:
            stamp = freshness.fingerprint(context_for(checked, theme, edition), wanted)
            names = tuple(output_name(slug, edition, renderers.get(f).suffix) for f in wanted)
            parts.append(Part(edition.name, wanted, stamp, names))
    if not parts:
        return None
    return Unit(checked.book.root, theme.brand.root, out / theme.brand.root.name, slug, tuple(parts))


def check_all(catalogue: Catalogue, out: Path | None, strict: bool,
              events: "Events | None" = None) -> list[Entry]:
    """Check every book (all of them, whatever fails); two books with one slug are an error."""
    events = events or Events()
    events.checking(len(catalogue.books))
    entries, brands = [], BrandCache()
    for folder in catalogue.books:
        entries.append(check_book(folder, catalogue, out, strict, brands))
        events.checked(folder)
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.checked is None:
            continue
        slug = entry.checked.book.config.slug
        if slug in seen:
            first = seen[slug].checked.book.root
            entry.problems.append(Problem(Location.of(entry.checked.book.root / "book.toml"),
                                          f'the slug "{slug}" is also the slug of {Location.of(first)}: both '
                                          'would write the same files; set another slug = "…" in book.toml'))
            entry.units = []
        seen.setdefault(slug, entry)
    return entries


# ---- rendering, in a worker -------------------------------------------------------------------

# The books this process checked, while a local pool forks: its workers inherit them (a theme's Jinja
# environment does not pickle) and render exactly what was checked and fingerprinted. A worker
# without them (another start method, a Dask worker) checks the book again from its files.
_CHECKED: dict[Path, Checked] = {}


Rendered = list[tuple[Part, list[Output]]]   # the files of each part of a unit


def render_unit(unit: Unit, strict: bool) -> Rendered:
    """Every file of each part of one book × brand, in memory (run in a worker)."""
    from .build import Group, render_group
    parts = {part.edition: part for part in unit.parts}
    checked = _CHECKED.get(unit.book) or check_inputs(unit.book, (unit.brand,), None, strict, tuple(parts))
    theme = reuse_theme(next(t for t in checked.themes if t.brand.root == unit.brand))
    rendered = []
    for edition in brand_editions(theme, checked.editions):
        if edition.name in parts:
            part = parts[edition.name]
            group = Group(context_for(checked, theme, edition), part.formats, unit.folder, part.stamp)
            rendered.append((part, render_group(group, page_count=governance.pdf_pages)))
    return rendered


_THEMES: dict[str, object] = {}   # a worker's themes by brand folder, while their files stay the same


def reuse_theme(theme):
    """The theme this worker made before from the same brand files: its Jinja environment has
    compiled the templates already, a good part of the time a short handout takes to render."""
    old = _THEMES.get(str(theme.brand.root))
    if old is not None and (old is theme or _same_theme(old, theme)):
        return old
    _THEMES[str(theme.brand.root)] = theme
    return theme


def _same_theme(a, b) -> bool:
    def sources(theme) -> list[tuple[str, str]]:
        loader = theme.env.loader
        return [(name, loader.get_source(theme.env, name)[0]) for name in loader.list_templates()]
    return (a.brand == b.brand and a.styles == b.styles and a.fonts == b.fonts and a.roots == b.roots
            and sources(a) == sources(b))


def _start_worker() -> None:
    from .build import _quiet_worker   # Ctrl-C is the parent's to handle
    _quiet_worker()
    from .renderers.html import print_document  # noqa: F401  (the renderers, once a worker)
    from .weasyload import weasyprint
    weasyprint()


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class Runner(Protocol):
    """Where units render: `submit` gives a future of the unit's outputs; `close` ends the workers
    (`now`: without waiting, after an interruption or when the build stops)."""

    def submit(self, unit: Unit) -> concurrent.futures.Future: ...
    def close(self, now: bool) -> None: ...


class InlineRunner:
    """Renders in this process, at once: one unit is not worth a pool."""

    def __init__(self, strict: bool):
        self.strict = strict

    def submit(self, unit: Unit) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        try:
            future.set_result(render_unit(unit, self.strict))
        except DocError as exc:
            future.set_exception(exc)
        return future

    def close(self, now: bool) -> None:
        pass


class LocalRunner:
    """A process pool, one worker a core, forked once WeasyPrint is imported here: every worker
    starts with it loaded, and keeps its fonts (one FontConfiguration a brand) between documents."""

    def __init__(self, strict: bool, tasks: int):
        from .weasyload import weasyprint
        weasyprint()
        self.strict = strict
        context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
        self.pool = concurrent.futures.ProcessPoolExecutor(max_workers=max(1, min(tasks, cores())),
                                                           mp_context=context, initializer=_start_worker)

    def submit(self, unit: Unit) -> concurrent.futures.Future:
        return self.pool.submit(render_unit, unit, self.strict)

    def close(self, now: bool) -> None:
        from .build import _stop
        if now:
            _stop(self.pool)
        else:
            self.pool.shutdown(wait=True)


def runner_for(executor: str, strict: bool, tasks: int) -> Runner:
    """The runner an --executor value names: "local", or "dask://HOST:PORT"."""
    if executor.startswith("dask://"):
        return DaskRunner(executor.removeprefix("dask://"), strict)
    if tasks <= 1:
        return InlineRunner(strict)
    return LocalRunner(strict, tasks)


# ---- on a Dask cluster ------------------------------------------------------------------------

@dataclass(frozen=True)
class Files:
    """A folder's files as bytes, to rebuild it on a worker that does not share this disk."""
    name: str                                  # the folder's own name
    files: tuple[tuple[str, bytes], ...]       # (path inside the folder, with "/", bytes)

    @classmethod
    def of(cls, folder: Path) -> "Files":
        """Every plain file of the folder (hidden ones left out), read through the containment checks."""
        from .files import InputError, read_inside, walk_inside
        folder, items = folder.resolve(), []
        for path in walk_inside(folder, (folder,)):
            relative = path.relative_to(folder)
            if any(part.startswith(".") for part in relative.parts):
                continue
            try:
                items.append((relative.as_posix(), read_inside(path, (folder,), "input")))
            except InputError:
                continue   # what the build needs was read by the check; the worker reports the rest
        return cls(folder.name, tuple(items))

    def digest(self) -> str:
        digest = hashlib.sha256(self.name.encode())
        for name, data in self.files:
            digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()

    def write(self, target: Path) -> Path:
        """The folder rebuilt as target/<name>; a name that would leave it is refused."""
        from pathlib import PurePosixPath
        root = target / self.name
        root.mkdir(parents=True, exist_ok=True)
        for name, data in self.files:
            parts = PurePosixPath(name).parts
            if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
                raise ValueError(f"refused the file name {name!r}: it leaves the folder")
            path = root.joinpath(*parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root


@functools.lru_cache(maxsize=1)
def tool_digest() -> str:
    """What decides the outputs besides the book and the brand: docbuild's code, templates, styles
    and fonts. A worker with other ones would make other files under the same fingerprint."""
    from .theme import FONTS, STYLES, TEMPLATES
    digest = hashlib.sha256()
    for root in (freshness.PACKAGE, TEMPLATES, STYLES, FONTS):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


_WORKER_HOME: list[Path] = []   # this worker's folder for copies of books and brands, made on first use


def _worker_home() -> Path:
    if not _WORKER_HOME:
        import atexit
        import shutil
        import tempfile
        home = Path(tempfile.mkdtemp(prefix="docbuild-worker-")).resolve()
        atexit.register(shutil.rmtree, home, True)
        _WORKER_HOME.append(home)
    return _WORKER_HOME[0]


def _brand_copy(brand: Files) -> Path:
    """The brand in a folder named by its content: the same brand, the same folder, so the worker
    makes its font configuration once and reuses it for every document of that brand."""
    import shutil
    import tempfile
    home = _worker_home() / "brands" / brand.digest()[:32]
    if not home.is_dir():
        home.parent.mkdir(exist_ok=True)
        temp = Path(tempfile.mkdtemp(dir=_worker_home()))
        brand.write(temp)
        try:
            os.rename(temp, home)
        except OSError:   # another thread of this worker made it first
            shutil.rmtree(temp, True)
    return home / brand.name


@dataclass(frozen=True)
class Failure:
    """What a Dask task returns for a book with errors: a mistake in a book is not a failed task
    (the cluster would log a traceback for it)."""
    problems: tuple[Problem, ...]


def render_remote(unit: Unit, strict: bool, book: Files, brand: Files, tool: str) -> Rendered | Failure:
    """`render_unit` on a Dask worker, from the files' bytes; problems name the original files."""
    import tempfile
    if tool != tool_digest():
        return Failure((Problem(Location("--executor"), "this Dask worker runs another docbuild (its code, "
                                "templates, styles or fonts differ): install the same docbuild on every worker"),))
    brand_dir = _brand_copy(brand)
    with tempfile.TemporaryDirectory(dir=_worker_home()) as temp:
        book_dir = book.write(Path(temp))
        try:
            return render_unit(replace(unit, book=book_dir, brand=brand_dir), strict)
        except DocError as exc:
            copies = ((book_dir, unit.book), (brand_dir, unit.brand))
            return Failure(tuple(_relocate(p, copies) for p in exc.problems))


def _relocate(problem: Problem, copies: tuple[tuple[Path, Path], ...]) -> Problem:
    where = Path(problem.location.path)
    where = where if where.is_absolute() else Path.cwd() / where
    for copy, original in copies:
        if where.is_relative_to(copy):
            message = problem.message.replace(str(copy), str(original))
            return Problem(Location(str(original / where.relative_to(copy)), problem.location.line), message,
                           problem.severity)
    return problem


class DaskRunner:
    """The units on the workers of a running Dask cluster (`Client(address).get_executor()`): the
    book's files travel with each task, each brand's once (scattered); outputs come back as bytes."""

    def __init__(self, address: str, strict: bool):
        try:
            from distributed import Client
        except ImportError:
            raise DocError([Problem(Location("--executor"), "a Dask executor needs Dask's distributed "
                                    'package, which is not installed: pip install -e ".[cluster]"')]) from None
        try:
            # how long to wait for the scheduler: DOCBUILD_DASK_TIMEOUT seconds (default 10)
            self.client = Client(f"tcp://{address}", timeout=float(os.environ.get("DOCBUILD_DASK_TIMEOUT", "10")))
        except OSError as exc:
            raise DocError([Problem(Location("--executor"), f"cannot reach the Dask scheduler at {address}: "
                                    f"{exc}")]) from None
        self.executor = self.client.get_executor(pure=False)
        self.strict, self.tool, self.brands, self.books = strict, tool_digest(), {}, {}

    def submit(self, unit: Unit) -> concurrent.futures.Future:
        if unit.brand not in self.brands:
            self.brands[unit.brand] = self.client.scatter(Files.of(unit.brand), hash=False)
        if unit.book not in self.books:
            self.books[unit.book] = Files.of(unit.book)
        return self.executor.submit(render_remote, unit, self.strict, self.books[unit.book],
                                    self.brands[unit.brand], self.tool)

    def close(self, now: bool) -> None:
        self.executor.shutdown(wait=not now)
        self.client.close()


EXECUTOR = re.compile(r"local|dask://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}")


# ---- the build --------------------------------------------------------------------------------

class Events:
    """What a catalogue build tells its caller as it goes (the command line draws it)."""

    def checking(self, books: int) -> None: ...
    def checked(self, folder: Path) -> None: ...
    def building(self, documents: int) -> None: ...
    def rendered(self, unit: Unit) -> None: ...
    def wrote(self, outputs: list[Output]) -> None: ...


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    written: list[Output] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    index: list[Path] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    failed_books: set[Path] = field(default_factory=set)   # resolved book folders
    files: dict[str, list[Output]] = field(default_factory=dict)   # Unit.key -> the files written

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def build_catalogue(catalogue: Catalogue, out: Path, strict: bool = False, force: bool = False,
                    keep_going: bool = False, executor: str = "local", events: Events | None = None,
                    today: dt.date | None = None) -> Report:
    """Check every book, render the stale units, write each book atomically, then the index."""
    events, report = events or Events(), Report()
    report.entries = entries = check_all(catalogue, out, strict, events)
    report.failed_books = {entry.folder.resolve() for entry in entries if entry.failed}
    stale = []
    for unit in (unit for entry in entries if not entry.failed for unit in entry.units):
        fresh = [] if force else [p for p in unit.parts if freshness.up_to_date(unit.folder, p.stamp, list(p.names))]
        report.up_to_date += [unit.folder / name for part in fresh for name in part.names]
        if len(fresh) < len(unit.parts):
            stale.append(replace(unit, parts=tuple(p for p in unit.parts if p not in fresh)))
    if stale and (keep_going or not any(entry.failed for entry in entries)):
        events.building(sum(len(unit.names) for unit in stale))
        _CHECKED.update((entry.checked.book.root, entry.checked) for entry in entries if entry.checked)
        try:
            _render(stale, runner_for(executor, strict, len(stale)), keep_going, events, report)
        finally:
            _CHECKED.clear()
    report.problems = sorted({p for entry in entries for p in entry.problems} | set(report.problems))
    _write_index(catalogue, out, entries, report, today or dt.date.today())
    return report


def _render(stale: list[Unit], runner: Runner, keep_going: bool, events: Events, report: Report) -> None:
    """Run every stale unit; write each book once all its units are done, unless one failed."""
    try:
        futures = {runner.submit(unit): unit for unit in _largest_first(stale)}
        waiting = Counter(unit.book for unit in stale)
        done: dict[Path, list[tuple[Unit, Rendered]]] = {}
        failed: set[Path] = set()
        cancelled: set[Path] = set()   # a book stopped half-way is not written either
        for future in concurrent.futures.as_completed(futures):
            unit = futures[future]
            waiting[unit.book] -= 1
            if future.cancelled():
                cancelled.add(unit.book)
                continue
            try:
                done.setdefault(unit.book, []).append((unit, _outputs(future)))
            except DocError as exc:
                report.problems += [_shown(p) for p in exc.problems]
                failed.add(unit.book)
            events.rendered(unit)
            if not waiting[unit.book] and unit.book not in failed | cancelled:
                if not _write_book(done.pop(unit.book), events, report):
                    failed.add(unit.book)
            if failed and not keep_going:
                for other in futures:
                    other.cancel()
    except BaseException:
        runner.close(now=True)
        raise
    runner.close(now=False)
    report.failed_books |= failed


def _outputs(future: concurrent.futures.Future) -> Rendered:
    result = future.result()
    if isinstance(result, Failure):
        raise DocError(list(result.problems))
    return result


def _shown(problem: Problem) -> Problem:
    """A problem from a worker, its path shown as from here (a Dask worker gives absolute ones)."""
    return replace(problem, location=Location.of(problem.location.path, problem.location.line))


def _largest_first(units: list[Unit]) -> list[Unit]:
    """Longest work first, so that no long book is left running alone at the end (by source size)."""
    books = {unit.book: sum(p.stat().st_size for p in unit.book.rglob("*") if p.is_file()) for unit in units}
    return sorted(units, key=lambda unit: -books[unit.book] * len(unit.names))


def _write_book(results: list[tuple[Unit, Rendered]], events: Events, report: Report) -> bool:
    """Every file of one book, all at once or none, then each edition's fingerprint beside them
    (a record that is missing only makes the next build render that edition again)."""
    from .outputs import signals_held
    outputs = [output for _, rendered in results for _, files in rendered for output in files]
    try:
        with signals_held():
            write_all(outputs, {})
            for unit, rendered in results:
                for part, files in rendered:
                    freshness.record(unit.folder, part.stamp, {o.path.name: o.pages for o in files})
    except DocError as exc:
        report.problems += exc.problems
        return False
    except OSError as exc:
        report.problems.append(Problem(Location.of(exc.filename or "OUT"), "cannot record what was built "
                                       f"({exc.strerror}); the next build will render it again", "warning"))
    report.written += outputs
    for unit, rendered in results:
        report.files[unit.key] = [output for _, files in rendered for output in files]
    events.wrote(outputs)
    return True


# ---- the index --------------------------------------------------------------------------------

def _write_index(catalogue: Catalogue, out: Path, entries: list[Entry], report: Report, today: dt.date) -> None:
    manifest = governance.load_manifest(out)
    handouts, rows = [], {}
    for entry in entries:
        for handout, key, grade in _handouts(entry, catalogue, out, manifest, report):
            handouts.append(handout)
            rows[key] = (handout.files, grade)
    outputs = governance.index_outputs(out, catalogue.title, handouts, today, catalogue.due_soon_days)
    outputs = [o for o in outputs if not _same(o)]
    try:
        write_all(outputs, {})
        manifest_file = governance.manifest_output(out, rows)
        if not _same(manifest_file):
            write_all([manifest_file], {})
    except DocError as exc:
        report.problems = sorted(set(report.problems) | set(exc.problems))
        return
    report.index = [o.path for o in outputs]


def _same(output: Output) -> bool:
    try:
        return output.path.read_bytes() == output.data
    except OSError:
        return False


def _handouts(entry: Entry, catalogue: Catalogue, out: Path, manifest: dict,
              report: Report) -> Iterator[tuple[governance.Handout, str, list]]:
    """The index rows of one book: one a brand; for a failed book, its last outputs."""
    from .errors import display_path
    book, problem = entry.checked.book if entry.checked else _book_anyway(entry.folder), ""
    if book is None:
        return
    if entry.failed or book.root in report.failed_books:
        problem = "not rebuilt: the book has errors (see the build's messages)"
    units = {unit.folder.name: unit for unit in entry.units}
    from .theme import DEFAULT_BRAND
    brands = [b.resolve().name for b in catalogue.brands or (DEFAULT_BRAND,)]
    config = book.config
    for brand in brands:
        unit, key = units.get(brand), f"{brand}/{config.slug}"
        known = manifest.get(key, {"files": {}, "grade": None})
        grade = governance.reading_grade(book, known["grade"]) if entry.checked else [None, None]
        written = report.files.get(key, [])
        names = [*(unit.names if unit else ()), *(output.path.name for output in written)]
        files = governance.file_facts(out, brand, names, known["files"], {o.path: o.pages for o in written})
        editions = tuple(part.edition for part in unit.parts) if unit else ()
        yield governance.Handout(config.title, config.slug, config.language, brand, editions, files,
                                 config.reviewed, config.next_review, grade[1], display_path(entry.folder),
                                 problem), key, grade


def _book_anyway(folder: Path):
    """The book of a folder that failed its checks, when its book.toml can be read (else None):
    its errors were reported by the check; the index shows its last files and review dates."""
    from .load import load_book
    return load_book(folder, Collector())


# ---- the command line -------------------------------------------------------------------------

class Console(Events):
    """A progress bar on a terminal (tqdm: done / total, the current book, time left); one line
    per finished file when the output goes to a file or a pipe."""

    def __init__(self):
        self.bar, self.lines = None, not sys.stdout.isatty()
        self.tty = sys.stderr.isatty()

    def _bar(self, total: int, what: str) -> None:
        self.close()
        if not self.tty:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        try:
            known = min(os.get_terminal_size(sys.stderr.fileno())) > 0
        except OSError:
            known = False
        # a terminal that does not say its size (0 × 0) gets 80 × 24: tqdm would draw nothing
        self.bar = tqdm(total=total, desc=what, unit="file" if what == "building" else "book", file=sys.stderr,
                        leave=False, dynamic_ncols=known, ncols=None if known else 80, nrows=None if known else 24)

    def checking(self, books: int) -> None:
        self._bar(books, "checking")

    def checked(self, folder: Path) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(folder.name, refresh=False)
            self.bar.update(1)

    def building(self, documents: int) -> None:
        self._bar(documents, "building")

    def rendered(self, unit: Unit) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{unit.slug} ({unit.folder.name})", refresh=False)
            self.bar.update(len(unit.names))

    def wrote(self, outputs: list[Output]) -> None:
        if self.lines:
            for output in outputs:
                echo_written(output)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def echo_written(output: Output) -> None:
    from .errors import display_path
    pages = f", {output.pages} pages" if output.pages else ""
    click.echo(f"wrote {display_path(output.path)} ({governance.human_size(len(output.data))}{pages})")


def _echo_problems(problems: list[Problem]) -> None:
    for problem in sorted(set(problems)):
        click.echo(str(problem), err=True)


def run_from_cli(catalogue: Path | None, books: tuple[Path, ...], brands: tuple[Path, ...], out: Path,
                 formats: tuple[str, ...], editions: tuple[str, ...], strict: bool, force: bool,
                 keep_going: bool, executor: str) -> int:
    """`build --catalogue FILE` or `build --book A --book B …`: the exit code (0, or 1 for errors)."""
    if not EXECUTOR.fullmatch(executor):
        raise click.BadParameter(f'"{executor}": use local or dask://HOST:PORT', param_hint="'--executor'")
    errors = Collector()
    chosen = catalogue_from_cli(catalogue, books, brands, formats, editions, errors)
    if chosen is None or errors.errors:
        _echo_problems(errors.problems)
        return 1
    console = Console()
    try:
        report = build_catalogue(chosen, out, strict, force, keep_going, executor, console)
    except DocError as exc:   # the executor could not start (Dask missing, scheduler unreachable)
        console.close()
        _echo_problems(exc.problems)
        return 1
    finally:
        console.close()
    _echo_problems(report.problems)
    _summary(report, out, console.lines)
    return 1 if report.failed else 0


def _summary(report: Report, out: Path, lines: bool) -> None:
    from .errors import display_path
    failed = len(report.failed_books)
    size = governance.human_size(sum(len(o.data) for o in report.written))
    parts = [f"wrote {len(report.written)} files ({size})" if report.written else "wrote no files"]
    if report.up_to_date:
        parts.append(f"{len(report.up_to_date)} up to date (use --force to rebuild)")
    if failed:
        parts.append(f"{failed} of {len(report.entries)} books with errors")
    index = f"; index: {display_path(out / 'index.html')}" if (out / "index.html").exists() else ""
    click.echo(", ".join(parts) + index)


def check_from_cli(catalogue: Path, strict: bool) -> int:
    """`check --catalogue FILE`: every book with every brand; a warning for every overdue review."""
    errors = Collector()
    chosen = load_catalogue(catalogue, errors)
    if chosen is None or errors.errors:
        _echo_problems(errors.problems)
        return 1
    entries = check_all(chosen, None, strict)
    problems = [p for entry in entries for p in entry.problems]
    _echo_problems(problems)
    today = dt.date.today()
    overdue = sum(1 for e in entries if e.checked and e.checked.book.config.next_review
                  and e.checked.book.config.next_review < today)
    bad = sum(entry.failed for entry in entries)
    books = _count(len(entries), "book")
    verdict = f"{bad} of {books} with errors" if bad else f"ok: {books}"
    click.echo(f"{verdict} × {_count(len(chosen.brands) or 1, 'brand')} checked; "
               f"{_count(overdue, 'review')} overdue")
    return 1 if bad else 0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def key_table() -> str:
    """The catalogue.toml keys as a Markdown table, for the README (python -m docbuild.catalogue)."""
    from .config import key_table as rows
    return "\n".join(["| key | type | default | what it does |", "|---|---|---|---|", *rows(CATALOGUE_SCHEMA)])


if __name__ == "__main__":
    click.echo(key_table())
