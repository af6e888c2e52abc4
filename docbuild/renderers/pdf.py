"""PDF: the print document -> a tagged PDF (PDF/UA-1) with WeasyPrint, reading nothing from disk.

Resources are served from memory under `file:///docbuild/…`; any other URL is refused and reported.
Fonts: fontconfig is given a private configuration (a fresh 0700 folder) listing only the project's
and the brand's font folders, read when the FontConfiguration is made; the environment is restored
after. After layout every note is checked on the pages (notecheck), so none is silently lost.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import DocError, Location, Problem
from . import RenderContext
from .html import Resources, print_document, resource_files

BASE = "file:///docbuild/"
FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
{dirs}
  <cachedir>{cache}</cachedir>
  <alias binding="same"><family>serif</family><prefer><family>Atkinson Hyperlegible</family></prefer></alias>
  <alias binding="same"><family>sans-serif</family><prefer><family>Atkinson Hyperlegible</family></prefer></alias>
  <alias binding="same"><family>monospace</family><prefer><family>Atkinson Hyperlegible</family></prefer></alias>
</fontconfig>
"""
_FONT_CONFIGS: dict[tuple, object] = {}   # reused by later renders in this process
_PRIVATE_FOLDERS: list[Path] = []
_ROOT: list[Path] = []   # the folder the private font folders go in, made by the first process


def private_root() -> Path:
    """A private (0700) folder for font configurations. Made before worker processes are forked,
    it is theirs too, and the parent removes it with everything workers left in it (they are
    stopped without running atexit)."""
    if not _ROOT:
        _ROOT.append(Path(tempfile.mkdtemp(prefix="docbuild-fonts-")))
        _PRIVATE_FOLDERS.append(_ROOT[0])
        atexit.register(_release)
        _OWNER.append(os.getpid())
    return _ROOT[0]


_OWNER: list[int] = []


def _release() -> None:
    """At exit, before Python tears modules down: WeasyPrint's FontConfiguration.__del__ needs them
    (left to the end it prints "Exception ignored ... TypeError"), then our private folders."""
    _FONT_CONFIGS.clear()
    if _OWNER and _OWNER[0] != os.getpid():
        return   # a forked worker: its parent removes the folder
    for folder in _PRIVATE_FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def _environ(**values: str):
    """Set environment variables for the block only."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def font_configuration(folders: tuple[Path, ...], scope: object = None):
    """A WeasyPrint FontConfiguration that sees only `folders`, from a private fontconfig file.

    One is kept per `scope` (the brand): it keeps every @font-face font it has loaded, so sharing
    it between brands would let one brand's fonts fill in for another's missing characters."""
    key = (tuple(str(f) for f in folders), scope)
    if key not in _FONT_CONFIGS:
        from ..weasyload import weasyprint
        weasyprint()
        from weasyprint.text.fonts import FontConfiguration
        private = Path(tempfile.mkdtemp(prefix="config-", dir=private_root()))   # 0700, unpredictable
        dirs = "\n".join(f"  <dir>{_xml(str(f))}</dir>" for f in folders if f.is_dir())
        (private / "fonts.conf").write_text(FONTS_CONF.format(dirs=dirs, cache=_xml(str(private / "cache"))))
        with _environ(FONTCONFIG_FILE=str(private / "fonts.conf")):
            _FONT_CONFIGS[key] = FontConfiguration()
    return _FONT_CONFIGS[key]


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fetcher(files: dict):
    return _fetcher_class()(files)


@functools.cache
def _fetcher_class():
    """The fetcher class, made once a process (WeasyPrint's URLFetcher is its base)."""
    from ..weasyload import weasyprint
    weasyprint()   # often the first use of WeasyPrint in a process: imported the quick way
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class MemoryFetcher(URLFetcher):
        """Serves the build's own resources from memory; refuses (and records) everything else."""

        def __init__(self, files: dict):
            super().__init__(allowed_protocols=("file",))
            self.files = files
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            kind, _, name = url.removeprefix(BASE).partition("/")
            if url.startswith(BASE) and (kind, name) in self.files:
                media, data = self.files[kind, name]
                return URLFetcherResponse(url, body=data, headers={"Content-Type": media})
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}: outside the book, the brand and the project")

    return MemoryFetcher


class _Capture(logging.Handler):
    """WeasyPrint reports bad CSS and missing resources only as log records: keep them."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def layout(ctx: RenderContext):
    """The laid-out weasyprint.Document of this edition, with its notes checked."""
    from .. import weasyfix, weasyload
    weasyprint = weasyload.weasyprint()
    weasyfix.apply()
    files = resource_files(ctx)
    html = print_document(ctx, Resources(lambda kind, name: f"{BASE}{kind}/{name}", inline_css=False))
    fetcher, capture = _fetcher(files), _Capture()
    folders = (ctx.theme.roots[-1], ctx.theme.brand.root / "fonts")
    wlog = logging.getLogger("weasyprint")
    wlog.addHandler(capture)
    try:
        document = weasyprint.HTML(string=html, base_url=BASE, url_fetcher=fetcher).render(
            pdf_variant="pdf/ua-1", font_config=font_configuration(folders, str(ctx.theme.brand.root)))
    finally:
        wlog.removeHandler(capture)
    problems = _problems(capture.records, fetcher.refused) + _note_problems(ctx, document)
    if problems:
        raise DocError(problems)
    return document


def _problems(records, refused: list[str]) -> list[Problem]:
    problems = [Problem(Location("(print HTML)"), f"{url} cannot be used: the build reads only files in "
                        "the book, the brand pack and the project, and nothing from the network")
                for url in refused]
    for record in records:
        message = record.getMessage()
        if any(url in message for url in refused):
            continue
        if ".notdef glyph" in message:   # the coverage check missed a character: never an empty box
            problems.append(Problem(Location("(print HTML)"), "a character has no glyph in the handout's "
                                    f"fonts ({message.split(': ', 1)[-1]}): add a font that covers it to "
                                    "the brand pack's fonts/ folder"))
        elif any(word in message.lower() for word in ("ignored", "invalid", "failed")):
            problems.append(Problem(Location("(print HTML)"), f"WeasyPrint cannot use this CSS: {message}"))
    return problems


def _note_problems(ctx: RenderContext, document) -> list[Problem]:
    if ctx.edition.notes != "page":
        return []
    from ..notecheck import check_notes
    calls = {n.number: (c.path, n.line) for c in ctx.book.chapters for n in c.notes}
    placement = check_notes(document, expected=sorted(calls))   # a note lost with its call counts too
    bad = [(n, "is missing from the PDF") for n in placement.missing]
    bad += [(n, "is printed before the page of its call") for n in placement.early]
    bad += [(n, "is printed more than one page after its call") for n in placement.late]
    return [Problem(Location.of(*calls.get(n, ("(print HTML)", 0))),
                    f"note {n} {why}; WeasyPrint could not place it: shorten the note or the paragraph")
            for n, why in bad]


def check_stylesheets(theme) -> list[Problem]:
    """Parse each brand stylesheet on its own, so that WeasyPrint's complaints name their file."""
    import re
    from ..weasyload import weasyprint
    problems: list[Problem] = []
    wlog = logging.getLogger("weasyprint")
    root = theme.brand.root / "styles"
    for name, text in theme.brand.styles:
        static = [Problem(Location.of(root / name, line), message) for line, message in _css_urls(text)]
        problems += static
        fetcher, capture = _fetcher({}), _Capture()
        wlog.addHandler(capture)
        try:
            weasyprint().CSS(string=text, base_url=f"{BASE}brand-styles/{name}", url_fetcher=fetcher)
        finally:
            wlog.removeHandler(capture)
        for url in [] if static else fetcher.refused:
            line = next((i for i, l in enumerate(text.splitlines(), 1) if url in l or url.rsplit("/", 1)[-1] in l), 0)
            problems.append(Problem(Location.of(root / name, line), f"{url} cannot be used: the build reads only "
                                    "files in the book, the brand pack and the project, and nothing from the network"))
        for record in capture.records:
            message = record.getMessage()
            if any(url in message for url in fetcher.refused):
                continue
            match = re.search(r"at (\d+):\d+", message)
            message = re.sub(r"\s+", " ", message).rstrip(".")
            problems.append(Problem(Location.of(root / name, int(match.group(1)) if match else 0),
                                    f"WeasyPrint cannot use this CSS: {message}"))
    return problems


def _css_urls(css: str) -> list[tuple[int, str]]:
    """Every url() and @import of a brand stylesheet that would load a file: refused at its line.
    (Fonts come from brand.toml's fonts, the logo from its logo; data: URLs stay allowed.)"""
    import re
    from ..svgsafe import css_text
    kept_lines = re.sub(r"/\*.*?(?:\*/|$)", lambda m: "\n" * m.group().count("\n"), css, flags=re.S)
    plain = css_text(kept_lines)   # escapes and spelling tricks undone, line breaks kept
    found = []
    for match in re.finditer(r"""(?:url\(\s*["']?|@import\s*["'])\s*([^"')\s]*)""", plain, re.I):
        target = match.group(1)
        if not target.lower().startswith("data:"):
            line = plain.count("\n", 0, match.start()) + 1
            found.append((line, f"{target or 'this address'} cannot be used: a brand stylesheet cannot load "
                                "files or web addresses; name fonts in brand.toml fonts = [...], the logo in logo = "
                                "\"…\", or embed a small image as a data: URL"))
    return found


class PdfRenderer:
    name, suffix = "pdf", "pdf"

    def render(self, ctx: RenderContext) -> bytes:
        import calendar
        document = layout(ctx)
        from . import pagemap
        if ctx.page_map:
            pagemap.remember(ctx, document)   # the EPUB of this build reuses the page map
        # fontTools stamps each font subset with the current time unless SOURCE_DATE_EPOCH says otherwise
        epoch = calendar.timegm(ctx.book.config.date.timetuple())
        with _environ(SOURCE_DATE_EPOCH=str(epoch)):
            data = document.write_pdf(pdf_variant="pdf/ua-1", uncompressed_pdf=False)
        return data

    def render_files(self, ctx: RenderContext) -> dict[str, bytes]:
        """The booklet edition gives two files: the imposed sheets, and the tagged pages in reading
        order (`<slug>-a5.pdf`) for screen readers."""
        data = self.render(ctx)
        if ctx.edition.impose != "booklet":
            return {"": data}
        from ..impose import booklet
        return {"": booklet(data, sheet=ctx.theme.brand.config.page_size), "a5": data}
