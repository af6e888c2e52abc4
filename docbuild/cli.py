"""The command line: build (the default), check, new-brand.

A user error prints `PATH:LINE: error: MESSAGE` for every problem and exits 1; a usage error exits 2
(click's own); anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .build import FORMATS, Report, build as run_build, check as run_check
from .errors import DocError
from .processes import Forked, can_fork, stop_on_signals

BOOK = click.option("--book", "book_dir", type=click.Path(path_type=Path), default=Path("book"),
                    show_default=True, help="The book folder.")
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _human(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


class Progress:
    """One self-updating status line on a terminal; silent when stderr is a file or a pipe."""

    def __init__(self, label: str = ""):
        self.enabled = sys.stderr.isatty()
        self.label = f"[{label}] " if label else ""

    def __call__(self, phase: str) -> None:
        if self.enabled:
            click.echo(f"\r\033[K{self.label}{phase}…", err=True, nl=False)

    def done(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", err=True, nl=False)


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build clinic patient information into a printable PDF and an EPUB 3."""
    stop_on_signals()
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


def _build_one(book_dir: Path, out: Path, brand_dir: Path | None, formats, strict: bool, force: bool,
               label: str = "") -> Report:
    progress = Progress(label)
    try:
        return run_build(book_dir, out, brand_dir, formats, strict, force, progress)
    finally:
        progress.done()


def _print(report: Report, timings: bool) -> None:
    _report(report.warnings)
    if report.up_to_date:
        click.echo(f"up to date: {', '.join(str(w.path) for w in report.written)} (use --force to rebuild)")
        return
    for item in report.written:
        pages = f", {item.pages} pages" if item.pages else ""
        click.echo(f"wrote {item.path} ({_human(item.size)}{pages})")
    if timings:
        click.echo("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items()), err=True)


@main.command()
@BOOK
@click.option("--brand", "brands", type=click.Path(path_type=Path), multiple=True,
              help="A brand pack folder (default: the neutral brand); repeat to build several, each "
                   "into OUT/<brand folder name>/, in parallel.")
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="The output folder (created when missing).")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="pdf, epub or html; repeat for several (default: pdf and epub).")
@STRICT
@click.option("--force", is_flag=True, help="Rebuild even when no input changed.")
@click.option("--timings", is_flag=True, help="Print the time each phase took.")
def build(book_dir: Path, brands: tuple[Path, ...], out: Path, formats: tuple[str, ...], strict: bool,
          force: bool, timings: bool) -> None:
    """Build the book into OUT/<slug>.pdf and OUT/<slug>.epub."""
    formats = tuple(dict.fromkeys(formats)) or ("pdf", "epub")
    try:
        if len(brands) <= 1:
            _print(_build_one(book_dir, out, brands[0] if brands else None, formats, strict, force), timings)
        else:
            _build_brands(book_dir, brands, out, formats, strict, force, timings)
    except DocError as exc:
        _report(exc.problems)
        sys.exit(1)


def _build_brands(book_dir, brands, out, formats, strict, force, timings) -> None:
    """Each brand into OUT/<brand folder name>/, as many at once as there are cores, each in a forked
    process; every brand's errors are reported before exiting."""
    at_once = os.cpu_count() or 1
    problems = []
    for start in range(0, len(brands), at_once):
        problems += _build_batch(book_dir, brands[start:start + at_once], out, formats, strict, force, timings)
    if problems:
        raise DocError(problems)


def _build_batch(book_dir, brands, out, formats, strict, force, timings) -> list:
    def work(brand: Path, name: str):
        return lambda timings: _build_one(book_dir, out / name, brand, formats, strict, force, name)

    jobs = [work(brand, brand.resolve().name) for brand in brands]
    # without fork (Windows) the brands are built one after another in this process
    children = [Forked(job, f"the brand {b.resolve().name}") for job, b in zip(jobs, brands)] if can_fork() else []
    problems = []
    try:
        for index, job in enumerate(jobs):
            try:
                _print(children[index].result({}) if children else job({}), timings)
            except DocError as exc:
                problems += exc.problems
    finally:
        for child in children:   # on an interruption each brand's process removes its temporary files
            child.stop()
    return problems


@main.command()
@BOOK
@click.option("--brand", "brand_dir", type=click.Path(path_type=Path), default=None,
              help="A brand pack folder (default: the neutral brand).")
@STRICT
def check(book_dir: Path, brand_dir: Path | None, strict: bool) -> None:
    """Validate the book and the brand without rendering."""
    try:
        book, _, warnings = run_check(book_dir, brand_dir, strict)
    except DocError as exc:
        _report(exc.problems)
        sys.exit(1)
    _report(warnings)
    notes = sum(len(c.notes) for c in book.chapters)
    click.echo(f"ok: {len(book.chapters)} chapters, {notes} notes, {len(book.references)} references cited")


@main.command("new-brand")
@click.argument("folder", type=click.Path(path_type=Path))
def new_brand(folder: Path) -> None:
    """Write a commented brand pack into FOLDER, ready to edit."""
    from .scaffold import new_brand as scaffold
    try:
        written = scaffold(folder)
    except FileExistsError as exc:
        click.echo(f"{exc.args[0]}: error: a brand pack is already there; choose another folder", err=True)
        sys.exit(1)
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"next: edit {folder / 'brand.toml'}, then: python make_docs.py build --brand {folder}")
