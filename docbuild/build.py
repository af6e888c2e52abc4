"""Build: check, then each brand × edition × renderer into memory, then every file into OUT or none.

Rendering returns bytes; nothing touches OUT until every output of every brand and edition has
succeeded. Then each file is written to a temporary file in its folder and moved into place with
signals held, so a failed or interrupted build leaves the previous files as they were. Several
brand × edition groups render in a process pool (concurrent.futures); one group renders here.
A group whose inputs did not change is not rendered again (the checks always run).
"""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import signal
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import freshness, renderers
from .inputs import Checked, brand_editions, check_inputs
from .editions import Edition, output_name
from .errors import DocError, Problem
from .outputs import Output, signals_held, write_all
from .renderers import RenderContext

DEFAULT_FORMATS = ("pdf", "epub")


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    pages: int = 0


@dataclass
class Report:
    written: list[Written] = field(default_factory=list)
    up_to_date: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """One brand × edition: the renderers to run and where their files go."""
    ctx: RenderContext
    formats: tuple[str, ...]
    out: Path
    stamp: str


def build(book_dir: Path, out: Path, brand_dirs: tuple[Path, ...] = (), formats: tuple[str, ...] = (),
          editions: tuple[str, ...] = (), strict: bool = False, force: bool = False,
          progress: Callable[[str], None] = lambda phase: None) -> Report:
    report = Report()
    start = time.perf_counter()
    progress("checking")
    checked = check_inputs(book_dir, brand_dirs, out, strict, editions)
    report.warnings = checked.warnings
    report.timings["check"] = time.perf_counter() - start
    stale = _stale_groups(checked, out, formats or DEFAULT_FORMATS, force, report)
    start = time.perf_counter()
    results = _render(stale, progress)
    report.timings["render"] = time.perf_counter() - start
    start = time.perf_counter()
    outputs = [o for group, files in zip(stale, results) for o in files]
    write_all(outputs, [(g.out, g.stamp, files) for g, files in zip(stale, results)])
    report.written = [Written(o.path, len(o.data), o.pages) for o in outputs]
    report.timings["write"] = time.perf_counter() - start
    return report


def _stale_groups(checked: Checked, out: Path, formats: tuple[str, ...], force: bool,
                  report: Report) -> list[Group]:
    """Every brand × edition to render: those whose outputs are not already up to date."""
    several = len(checked.themes) > 1
    groups = []
    for theme in checked.themes:
        folder = out / theme.brand.root.name if several else out
        for edition in brand_editions(theme, checked.editions):
            wanted = tuple(f for f in formats if f in edition.formats)
            if not wanted:
                continue
            locale = checked.locales.get(str(theme.brand.root), checked.locale)
            ctx = RenderContext(checked.book, theme, locale, checked.style, edition)
            stamp = freshness.fingerprint(ctx, wanted)
            groups.append(Group(ctx, wanted, folder, stamp))
    stale = []
    for group in groups:
        names = [_name(group.ctx, fmt) for fmt in group.formats]
        if not force and freshness.up_to_date(group.out, group.stamp, names):
            report.up_to_date += [group.out / n for n in names]
        else:
            stale.append(group)
    return stale


def _name(ctx: RenderContext, fmt: str, variant: str = "") -> str:
    suffix = renderers.get(fmt).suffix if fmt in renderers.REGISTRY else fmt
    edition = ctx.edition if not variant else _variant(ctx.edition, variant)
    return output_name(ctx.book.config.slug, edition, suffix)


def _variant(edition: Edition, variant: str) -> Edition:
    return replace(edition, name=variant)


def render_group(group: Group, page_count: Callable[[bytes], int] | None = None) -> list[Output]:
    """Every file of one brand × edition, in memory (`page_count` counts a PDF's pages)."""
    ctx, outputs = replace(group.ctx, page_map="epub" in group.formats), []
    for fmt in group.formats:
        renderer = renderers.get(fmt)
        for variant, data in renderers.files(renderer, ctx).items():
            pages = (page_count or renderers.page_count)(data) if renderer.suffix == "pdf" else 0
            outputs.append(Output(group.out / _name(ctx, fmt, variant), data, pages))
    return outputs


# The groups a forked worker renders: set before the pool starts, so workers inherit them instead
# of receiving a pickled book and theme (a Jinja environment does not pickle).
_GROUPS: list[Group] = []


def _work(index: int) -> list[Output]:
    return render_group(_GROUPS[index])


def _quiet_worker() -> None:
    # Ctrl-C reaches every process of the terminal's group: the parent alone decides, and stops
    # the workers with SIGTERM, so no worker prints a KeyboardInterrupt traceback. The workers are
    # forked with both signals blocked (see _render), so none lands before these handlers are set.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # a worker is stopped without atexit: WeasyPrint's own temporary folders go in the private
    # folder its parent removes
    from .renderers.pdf import private_root
    tempfile.tempdir = str(private_root())
    _worker_gc()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def _worker_gc() -> None:
    """A worker only lays out documents. The objects it inherited (the checked books, the themes)
    are frozen, so that no collection scans them again, and collections come less often:
    WeasyPrint makes a great many short-lived objects. A worker's documents take about 8% less
    time, for some 30 MB more memory (bench/catalogue.py's short handouts)."""
    import gc
    gc.freeze()
    gc.set_threshold(5000, 50, 50)


def _render(groups: list[Group], progress: Callable[[str], None]) -> list[list[Output]]:
    if len(groups) <= 1 or (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        results = []
        for group in groups:
            progress(f"rendering {group.ctx.edition.name} ({', '.join(group.formats)})")
            results.append(render_group(group))
        return results
    _GROUPS[:] = groups
    from .renderers.pdf import private_root
    private_root()   # made here, so the workers' font folders are inside it and removed with it
    progress(f"rendering {len(groups)} brands and editions")
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=min(len(groups), os.cpu_count() or 1), mp_context=multiprocessing.get_context("fork"),
        initializer=_quiet_worker)
    try:
        with signals_held():   # the workers are forked here, and inherit the blocked signals
            futures = [pool.submit(_work, i) for i in range(len(groups))]
        return _collect(futures)
    finally:
        _stop(pool)
        _GROUPS.clear()


def _collect(futures: list) -> list[list[Output]]:
    problems, results = [], []
    for future in futures:
        try:
            results.append(future.result())
        except DocError as exc:   # every group's errors are reported, then the build stops
            problems += exc.problems
    if problems:
        raise DocError(problems)
    return results


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop the workers now: after an interruption or an error nothing they make is wanted."""
    processes = list(getattr(pool, "_processes", {}).values())   # not public; no API stops workers
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=10)


def check(book_dir: Path, brand_dir: Path | None = None, strict: bool = False) -> Checked:
    """Load and validate the book and the brand; raise DocError with every error found."""
    return check_inputs(book_dir, (brand_dir,) if brand_dir else (), None, strict, ())

