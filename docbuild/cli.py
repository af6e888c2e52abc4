"""The command line: build (the default), check, new-brand, new-book, serve, report.

A user error prints `PATH:LINE: error: MESSAGE` for every problem and exits 1; a usage error exits 2
(click's own); anything else is a bug and keeps its traceback. Ctrl-C or a kill prints "Aborted!".
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import click

from . import renderers
from .errors import DocError

BOOK = click.option("--book", "book_dir", type=click.Path(path_type=Path), default=Path("book"),
                    show_default=True, help="The book folder.")
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


_PENDING: list[int] = []


def _stop(signum, frame) -> None:
    """Ctrl-C or a kill: stop with KeyboardInterrupt, so `finally` blocks clean up.

    Not while Python is importing a module: there (in 3.11) an exception raised in a class body's
    __set_name__ comes out as a RuntimeError with a traceback. The stop is retried a moment later.
    """
    if _importing(frame):
        _PENDING.append(signum)
        signal.setitimer(signal.ITIMER_REAL, 0.02)
        return
    _PENDING.clear()
    raise KeyboardInterrupt


def _retry(signum, frame) -> None:
    if _PENDING:
        _stop(_PENDING[-1], frame)


def _importing(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _quiet_interrupts(unraisable) -> None:
    """An interrupt landing in a __del__ or weakref callback is dropped, not printed as a traceback."""
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        sys.__unraisablehook__(unraisable)


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _human(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


class Progress:
    """One self-updating status line on a terminal; silent when stderr is a file or a pipe."""

    def __init__(self):
        self.enabled = sys.stderr.isatty()

    def __call__(self, phase: str) -> None:
        if self.enabled:
            click.echo(f"\r\033[K{phase}…", err=True, nl=False)

    def done(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", err=True, nl=False)


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build clinic patient information into a printable PDF and an EPUB 3."""
    signal.signal(signal.SIGALRM, _retry)   # first: _stop may set the timer
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    sys.unraisablehook = _quiet_interrupts
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


@main.command()
@click.option("--book", "books", type=click.Path(path_type=Path), multiple=True,
              help="The book folder (default: book); repeat to build several, as a catalogue.")
@click.option("--catalogue", type=click.Path(path_type=Path), default=None,
              help="A catalogue.toml: many books × brands × editions, with a governance index.")
@click.option("--keep-going", is_flag=True, help="With several books: build the others when one fails.")
@click.option("--executor", default="local", show_default=True,
              help="With several books: local (a process pool) or dask://HOST:PORT (a Dask cluster).")
@click.option("--brand", "brands", type=click.Path(path_type=Path), multiple=True,
              help="A brand pack folder (default: the neutral brand); repeat to build several, each "
                   "into OUT/<brand folder name>/.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="The output folder (created when missing).")
@click.option("--format", "formats", type=click.Choice(renderers.names()), multiple=True,
              help="pdf, epub or html; repeat for several (default: pdf and epub).")
@click.option("--edition", "editions", multiple=True,
              help="standard, large-print or booklet; repeat for several (default: book.toml's editions).")
@STRICT
@click.option("--force", is_flag=True, help="Rebuild even when no input changed.")
@click.option("--timings", is_flag=True, help="Print the time each phase took.")
def build(books: tuple[Path, ...], catalogue: Path | None, keep_going: bool, executor: str,
          brands: tuple[Path, ...], out: Path, formats: tuple[str, ...], editions: tuple[str, ...],
          strict: bool, force: bool, timings: bool) -> None:
    """Build the book into OUT/<slug>.pdf and OUT/<slug>.epub."""
    if catalogue is not None or len(books) > 1:
        from .catalogue import run_from_cli
        sys.exit(run_from_cli(catalogue, books, brands, out, formats, editions, strict, force,
                              keep_going, executor))
    book_dir = books[0] if books else Path("book")
    from .build import build as run_build
    progress = Progress()
    try:
        report = run_build(book_dir, out, brands, tuple(dict.fromkeys(formats)), editions, strict, force,
                           progress)
    except DocError as exc:
        progress.done()
        _report(exc.problems)
        sys.exit(1)
    progress.done()
    _report(report.warnings)
    for item in report.written:
        pages = f", {item.pages} pages" if item.pages else ""
        click.echo(f"wrote {item.path} ({_human(item.size)}{pages})")
    if report.up_to_date:
        click.echo(f"up to date: {', '.join(str(p) for p in report.up_to_date)} (use --force to rebuild)")
    if timings:
        click.echo("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items()), err=True)


@main.command()
@BOOK
@click.option("--brand", "brand_dir", type=click.Path(path_type=Path), default=None,
              help="A brand pack folder (default: the neutral brand).")
@click.option("--catalogue", type=click.Path(path_type=Path), default=None,
              help="Check every book of a catalogue.toml, and warn for every overdue review.")
@STRICT
def check(book_dir: Path, brand_dir: Path | None, catalogue: Path | None, strict: bool) -> None:
    """Validate the book and the brand without rendering."""
    if catalogue is not None:
        from .catalogue import check_from_cli
        sys.exit(check_from_cli(catalogue, strict))
    from .build import check as run_check
    try:
        checked = run_check(book_dir, brand_dir, strict)
    except DocError as exc:
        _report(exc.problems)
        sys.exit(1)
    _report(checked.warnings)
    book = checked.book
    notes = sum(len(c.notes) for c in book.chapters)
    click.echo(f"ok: {len(book.chapters)} chapters, {notes} notes, {len(book.references)} references cited")


def _scaffold(write, folder: Path, next_step: str) -> None:
    """Run a scaffold; list what it wrote, or report why it could not."""
    try:
        written = write(folder)
    except DocError as exc:
        _report(exc.problems)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: {next_step}")


@main.command("new-brand")
@click.argument("folder", type=click.Path(path_type=Path))
def new_brand(folder: Path) -> None:
    """Write a commented brand pack into FOLDER, ready to edit."""
    from .scaffold import new_brand as scaffold
    _scaffold(scaffold, folder, f"edit {folder / 'brand.toml'}, then: python make_docs.py build --brand {folder}")


@main.command("new-book")
@click.argument("folder", type=click.Path(path_type=Path))
def new_book(folder: Path) -> None:
    """Write a starter book into FOLDER: book.toml with every key, a chapter showing each feature."""
    from .scaffold import new_book as scaffold
    _scaffold(scaffold, folder, f"python make_docs.py build --book {folder}")


@main.command()
@BOOK
@click.option("--brand", "brand_dir", type=click.Path(path_type=Path), default=None,
              help="A brand pack folder (default: the neutral brand).")
@click.option("--edition", default="standard", show_default=True, help="The edition to preview.")
@click.option("--port", type=int, default=0, help="The port on 127.0.0.1 (default: a free one).")
def serve(book_dir: Path, brand_dir: Path | None, edition: str, port: int) -> None:
    """A live preview on 127.0.0.1: rebuilds on save and shows the real pages and the errors."""
    from .serve import serve as run_serve
    run_serve(book_dir, brand_dir, edition, port)


@main.command()
@BOOK
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for a dashboard).")
def report(book_dir: Path, as_json: bool) -> None:
    """Readability per chapter and the book's governance: reviews, dates, references never cited."""
    from .report import report as run_report
    try:
        click.echo(run_report(book_dir, as_json))
    except DocError as exc:
        _report(exc.problems)
        sys.exit(1)


def run() -> None:
    """The command line as a program (make_docs.py and the `docbuild` script).

    When the build is interrupted, its worker processes were stopped mid-task: one stopped while
    writing its result leaves concurrent.futures' manager thread waiting for the rest for ever, and
    Python's exit waits for that thread. Nothing they hold is wanted, so after cleaning up what is
    ours (private font folders) the program exits at once.
    """
    try:
        main.main(standalone_mode=False)
        signal.setitimer(signal.ITIMER_REAL, 0)   # no retried stop after the work is done
        if _PENDING:
            _abort()
    except (click.exceptions.Abort, KeyboardInterrupt):
        _abort()
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)


def _abort() -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # a second Ctrl-C while leaving changes nothing
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    click.echo("Aborted!", err=True)
    pdf = sys.modules.get("docbuild.renderers.pdf")
    if pdf is not None:
        pdf._release()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)
