"""The command line: build (the default), check, new-brand.

A user error prints `PATH:LINE: error: MESSAGE` for every problem and exits 1; a usage error exits 2
(click's own); anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import signal
import sys
from pathlib import Path

import click

from .build import FORMATS, build as run_build, check as run_check
from .errors import DocError

BOOK = click.option("--book", "book_dir", type=click.Path(path_type=Path), default=Path("book"),
                    show_default=True, help="The book folder.")
BRAND = click.option("--brand", "brand_dir", type=click.Path(path_type=Path), default=None,
                     help="A brand pack folder (default: the neutral brand).")
STRICT = click.option("--strict", is_flag=True, help="Treat warnings as errors.")


def _report(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _human(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def _stop(signum, frame) -> None:
    # a kill becomes an ordinary exit, so the build removes its temporary files on the way out
    raise KeyboardInterrupt


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build clinic patient information into a printable PDF and an EPUB 3."""
    signal.signal(signal.SIGTERM, _stop)
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


@main.command()
@BOOK
@BRAND
@click.option("--out", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
              help="The output folder (created when missing).")
@click.option("--format", "formats", type=click.Choice(FORMATS), multiple=True,
              help="pdf, epub or html; repeat for several (default: pdf and epub).")
@STRICT
def build(book_dir: Path, brand_dir: Path | None, out: Path, formats: tuple[str, ...], strict: bool) -> None:
    """Build the book into OUT/<slug>.pdf and OUT/<slug>.epub."""
    formats = tuple(dict.fromkeys(formats)) or ("pdf", "epub")
    try:
        written, warnings = run_build(book_dir, out, brand_dir, formats, strict)
    except DocError as exc:
        _report(exc.problems)
        sys.exit(1)
    _report(warnings)
    for item in written:
        pages = f", {item.pages} pages" if item.pages else ""
        click.echo(f"wrote {item.path} ({_human(item.size)}{pages})")


@main.command()
@BOOK
@BRAND
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
