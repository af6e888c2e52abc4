"""PDF: the print HTML -> a tagged PDF with WeasyPrint, reading only files under the allowed roots.

Fonts come only from the project and the brand pack: fontconfig is pointed at a config that lists
our font folder before WeasyPrint loads its first font, so the output does not depend on the machine.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import DocError, Location, Problem
from .theme import FONTS

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <alias binding="same"><family>serif</family><prefer><family>Atkinson Hyperlegible</family></prefer></alias>
  <alias binding="same"><family>sans-serif</family><prefer><family>Atkinson Hyperlegible</family></prefer></alias>
  <alias binding="same"><family>monospace</family><prefer><family>Atkinson Hyperlegible</family></prefer></alias>
</fontconfig>
"""


def _isolate_fonts() -> None:
    """Point fontconfig at our fonts only; must run before WeasyPrint is imported."""
    if os.environ.get("DOCBUILD_FONTCONFIG_SET"):
        return
    folder = Path(tempfile.gettempdir()) / f"docbuild-fontconfig-{os.getuid() if hasattr(os, 'getuid') else 0}"
    folder.mkdir(exist_ok=True)
    conf = folder / "fonts.conf"
    text = FONTS_CONF.format(fonts=FONTS, cache=folder / "cache")
    if not conf.exists() or conf.read_text() != text:
        tmp = folder / f"fonts.conf.{os.getpid()}"
        tmp.write_text(text)
        os.replace(tmp, conf)
    os.environ["FONTCONFIG_FILE"] = str(conf)
    os.environ["DOCBUILD_FONTCONFIG_SET"] = "1"


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class ContainedFetcher(URLFetcher):
        """Serves file: URLs under the allowed roots; refuses (and records) everything else."""

        def __init__(self, roots: tuple[Path, ...]):
            super().__init__(allowed_protocols=("file", "data"))
            self.roots = tuple(r.resolve() for r in roots)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parsed = urlparse(url)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if any(path.is_relative_to(root) for root in self.roots):
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"refused to fetch {url}: outside the book, the brand and the project")

    return ContainedFetcher


class _Capture(logging.Handler):
    """WeasyPrint reports bad CSS and missing resources only as log records: keep them."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def write_pdf(html: str, target: Path, roots: tuple[Path, ...], base: Path,
              sources: tuple[Path, ...], epoch: int = 946684800) -> int:
    """Render `html` to `target`; return the page count. Problems raise DocError."""
    _isolate_fonts()
    # fontTools stamps each font subset with the current time unless SOURCE_DATE_EPOCH says otherwise
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    import weasyprint

    fetcher = _fetcher_class()(roots)
    capture = _Capture()
    wlog = logging.getLogger("weasyprint")
    wlog.addHandler(capture)
    try:
        document = weasyprint.HTML(string=html, base_url=str(base), url_fetcher=fetcher).render(
            pdf_variant="pdf/ua-1")
        problems = _problems(capture.records, fetcher.refused, sources)
        if problems:
            raise DocError(problems)
        document.write_pdf(target, pdf_variant="pdf/ua-1", uncompressed_pdf=False)
        return len(document.pages)
    finally:
        wlog.removeHandler(capture)


def check_stylesheets(sheets: tuple[Path, ...], roots: tuple[Path, ...]) -> list[Problem]:
    """Parse each brand stylesheet on its own, so that WeasyPrint's complaints name their file."""
    _isolate_fonts()
    import weasyprint

    problems: list[Problem] = []
    wlog = logging.getLogger("weasyprint")
    for sheet in sheets:
        fetcher, capture = _fetcher_class()(roots), _Capture()
        wlog.addHandler(capture)
        try:
            weasyprint.CSS(filename=str(sheet), url_fetcher=fetcher)
        finally:
            wlog.removeHandler(capture)
        problems += [_css_problem(r, r.getMessage(), sheet) for r in capture.records
                     if not any(url in r.getMessage() for url in fetcher.refused)]
        problems += [Problem(_where(url, (sheet,)), _refusal(url)) for url in fetcher.refused]
    return problems


def _refusal(url: str) -> str:
    return (f"{url} cannot be used: the build reads only files in the book, the brand pack and the "
            "project, and nothing from the network")


def _problems(records, refused: list[str], sources: tuple[Path, ...]) -> list[Problem]:
    problems = [Problem(_where(url, sources), _refusal(url)) for url in refused]
    for record in records:
        message = record.getMessage()
        if "refused to fetch" in message or message.startswith("Failed to load"):
            if any(url in message for url in refused):
                continue
        if "ignored" in message.lower() or "invalid" in message.lower() or "failed" in message.lower():
            problems.append(_css_problem(record, message, None))
    return problems


def _where(url: str, sources: tuple[Path, ...]) -> Location:
    """The file and line that named `url`, searched among the brand's and the project's text files."""
    needle = unquote(url.removeprefix("file://"))
    for source in sources:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for candidate in {url, needle, Path(needle).name}:
            if candidate and candidate in text:
                return Location.of(source, text.count("\n", 0, text.index(candidate)) + 1)
    return Location("(print HTML)")


def _css_problem(record, message: str, sheet: Path | None) -> Problem:
    # WeasyPrint logs e.g. "Ignored `colr: red` at 3:5, unknown property." without the file's name
    match = re.search(r"at (\d+):\d+", message)
    line = int(match.group(1)) if match else 0
    where = Location.of(sheet, line) if sheet else Location("(print HTML)", line)
    message = re.sub(r"\s+", " ", message).rstrip(".")
    return Problem(where, f"WeasyPrint cannot use this CSS: {message}")
