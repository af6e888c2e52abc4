"""Serve: the live preview (`make_docs.py serve`), a step after write that builds, watches and shows.

The book is built into a private temporary folder; `watchfiles` watches the book and the brand
pack in a thread and each change starts a rebuild in the main thread (so Ctrl-C stops a build at
once). A `ThreadingHTTPServer` on 127.0.0.1 only shows the result: the PDF's pages rendered to PNG
with pypdfium2 (once a build, on request), the EPUB's files read from its zip (only names in its
manifest, under a Content-Security-Policy that runs no script), or the build's errors in place of
the pages. The page in `preview/` long-polls `/status` and swaps in the new build where the reader
is. Routes are matched exactly against a fixed list: anything else is a 404, so no path of the
machine can be reached. Requests whose Host is not 127.0.0.1 or localhost are refused (DNS
rebinding).
"""
from __future__ import annotations

import http.server
import importlib.resources
import io
import json
import logging
import posixpath
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote

import click

from .errors import DocError, Location, Problem

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
SCALE = 2.0            # PNG pixels per PDF point: 144 dpi, sharp on a high-density screen
LONG_POLL = 20.0       # seconds a /status?since=N request waits for a change
ASSETS = {"/": ("index.html", "text/html; charset=utf-8"),
          "/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
          "/preview.css": ("preview.css", "text/css; charset=utf-8")}
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")
# The EPUB's own files: styles, images and fonts from the EPUB only, never a script, and a sandbox
EPUB_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "font-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'; "
            "sandbox allow-same-origin")
OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"
OPS = "{http://www.idpf.org/2007/ops}"
CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"


class PdfPages:
    """The latest PDF opened with pypdfium2; each page rendered to PNG once, when first asked for."""

    def __init__(self, data: bytes, lock: threading.Lock):
        import pypdfium2
        self._lock = lock
        self._png: dict[int, bytes] = {}
        with lock:
            self._doc = pypdfium2.PdfDocument(data)
            self.info = [self._describe(i) for i in range(len(self._doc))]

    def _describe(self, index: int) -> dict:
        page = self._doc[index]
        try:
            width, height = page.get_size()
            text = page.get_textpage()
            words = " ".join(text.get_text_bounded().split())
            text.close()
        finally:
            page.close()
        return {"width": round(width * SCALE), "height": round(height * SCALE), "text": words}

    def png(self, index: int) -> bytes | None:
        with self._lock:   # pdfium is not thread-safe: one render at a time
            if self._doc is None or not 0 <= index < len(self.info):
                return None
            if index not in self._png:
                self._png[index] = self._render(index)
            return self._png[index]

    def _render(self, index: int) -> bytes:
        page = self._doc[index]
        try:
            image = page.render(scale=SCALE).to_pil()
        finally:
            page.close()
        buffer = io.BytesIO()
        image.save(buffer, "PNG", compress_level=1)
        return buffer.getvalue()

    def close(self) -> None:
        with self._lock:
            if self._doc is not None:
                self._doc.close()
                self._doc = None


@dataclass(frozen=True)
class EpubFiles:
    """The files of the latest EPUB, by their manifest href, and its reading order with titles."""
    files: dict[str, tuple[str, bytes]]    # href -> (media type, bytes)
    chapters: list[dict]                   # [{"href": …, "title": …}] in spine order

    @classmethod
    def read(cls, data: bytes) -> "EpubFiles":
        from defusedxml import ElementTree
        with zipfile.ZipFile(io.BytesIO(data)) as epub:
            container = ElementTree.fromstring(epub.read("META-INF/container.xml"))
            opf_name = container.find(f".//{CONTAINER}rootfile").get("full-path")
            opf = ElementTree.fromstring(epub.read(opf_name))
            items, folder = {}, posixpath.dirname(opf_name)
            for item in opf.iter(f"{OPF}item"):
                name = posixpath.normpath(posixpath.join(folder, unquote(item.get("href"))))
                items[item.get("id")] = (item.get("href"), item.get("media-type"), epub.read(name),
                                         "nav" in (item.get("properties") or "").split())
        files = {href: (media, body) for href, media, body, _ in items.values()}
        navs = [body for _, _, body, nav in items.values() if nav]
        titles = _toc_titles(navs[0]) if navs else {}
        spine = [items[ref.get("idref")] for ref in opf.iter(f"{OPF}itemref") if ref.get("idref") in items]
        return cls(files, [{"href": href, "title": titles.get(href) or _title(body) or href}
                           for href, _, body, _ in spine])


def _toc_titles(nav: bytes) -> dict[str, str]:
    """href -> the title the EPUB's own table of contents gives it (not its landmarks or page list)."""
    from defusedxml import ElementTree
    titles: dict[str, str] = {}
    for toc in ElementTree.fromstring(nav).iter(f"{XHTML}nav"):
        if "toc" not in toc.get(f"{OPS}type", "").split():
            continue
        for link in toc.iter(f"{XHTML}a"):
            titles.setdefault(link.get("href", "").partition("#")[0], " ".join("".join(link.itertext()).split()))
    return titles


def _title(xhtml: bytes) -> str:
    """A file the table of contents does not list: its first heading, else its <title>."""
    from defusedxml import ElementTree
    try:
        root = ElementTree.fromstring(xhtml)
    except ElementTree.ParseError:
        return ""
    headings = (e for e in root.iter() if e.tag in (f"{XHTML}h1", f"{XHTML}h2"))
    found = next(headings, None) or root.find(f"{XHTML}head/{XHTML}title")
    return " ".join("".join(found.itertext()).split()) if found is not None else ""


def _problem_data(problem: Problem) -> dict:
    return {"text": str(problem), "location": str(problem.location), "severity": problem.severity,
            "message": problem.message}


class Preview:
    """What the server shows: the latest build's outcome, changed by the main thread, read by many."""

    def __init__(self):
        self._changed = threading.Condition()
        self.pdfium = threading.Lock()
        self.version = 0       # every change of state (a build starts, a build ends)
        self.build = 0         # every finished build, good or bad
        self.building = False
        self.closed = False
        self.ok: bool | None = None
        self.seconds = 0.0
        self.errors: list[dict] = []
        self.warnings: list[dict] = []
        self.pages: PdfPages | None = None
        self.epub: EpubFiles | None = None

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    def started(self) -> None:
        with self._changed:
            self.building = True
            self._bump()

    def finished(self, seconds: float, pdf: bytes | None, epub: bytes | None,
                 problems: list[Problem], ok: bool) -> None:
        pages = PdfPages(pdf, self.pdfium) if pdf else None   # read before taking the lock
        files = EpubFiles.read(epub) if epub else None
        with self._changed:
            old, self.pages, self.epub = self.pages, pages, files
            self.ok, self.seconds, self.building = ok, seconds, False
            self.errors = [_problem_data(p) for p in problems if p.severity == "error"]
            self.warnings = [_problem_data(p) for p in problems if p.severity != "error"]
            self.build += 1
            self._bump()
        if old is not None:
            old.close()

    def status(self, since: int | None = None, timeout: float = LONG_POLL) -> dict:
        with self._changed:
            if since is not None:
                self._changed.wait_for(lambda: self.version != since or self.closed, timeout)
            pages = self.pages.info if self.pages else []
            return {"version": self.version, "build": self.build, "building": self.building,
                    "ok": self.ok, "seconds": round(self.seconds, 2), "errors": self.errors,
                    "warnings": self.warnings, "page_count": len(pages), "pages": pages,
                    "chapters": self.epub.chapters if self.epub else []}

    def page_png(self, index: int) -> bytes | None:
        with self._changed:
            pages = self.pages
        return pages.png(index) if pages else None

    def epub_file(self, href: str) -> tuple[str, bytes] | None:
        with self._changed:
            return self.epub.files.get(href) if self.epub else None

    def close(self) -> None:
        with self._changed:
            self.closed = True
            pages, self.pages = self.pages, None
            self._changed.notify_all()
        if pages is not None:
            pages.close()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "text/plain; charset=utf-8"
    csp: str = PAGE_CSP


NOT_FOUND = Response(404, b"not found\n")
PAGE_PNG = re.compile(r"/page/([1-9][0-9]{0,5})\.png")


def _json(data: object) -> Response:
    return Response(200, json.dumps(data).encode(), "application/json")


def route(preview: Preview, assets: dict[str, Response], path: str, query: str) -> Response:
    """The answer to one GET: the raw path is matched exactly, never joined to a folder."""
    if path in assets:
        return assets[path]
    if path == "/status":
        return _json(preview.status(_since(query)))
    if path == "/epub/":
        return _json(preview.status()["chapters"])
    match = PAGE_PNG.fullmatch(path)
    if match:
        png = preview.page_png(int(match.group(1)) - 1)
        return Response(200, png, "image/png") if png is not None else NOT_FOUND
    if path.startswith("/epub/"):
        found = preview.epub_file(path[len("/epub/"):])
        if found is not None:
            media, body = found
            media = f"{media}; charset=utf-8" if media in ("application/xhtml+xml", "text/css") else media
            return Response(200, body, media, EPUB_CSP)
    return NOT_FOUND


def _since(query: str) -> int | None:
    values = parse_qs(query).get("since", [])
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    """GET and HEAD only; every answer carries the security headers."""
    server_version = "docbuild-preview"
    sys_version = ""
    preview: Preview                 # set on the subclass that `start_server` makes
    assets: dict[str, Response]
    hosts: frozenset[str]
    _csp = PAGE_CSP

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        if self.headers.get("Host", "").strip().lower() not in self.hosts:
            response = Response(403, b"this preview answers only to 127.0.0.1 and localhost\n")
        else:
            path, _, query = self.path.partition("?")
            response = route(self.preview, self.assets, path, query)
        self._csp = response.csp
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if body:
            self.wfile.write(response.body)

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self._csp)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "SAMEORIGIN" if self._csp == EPUB_CSP else "DENY")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True   # a long-polling browser never holds up the exit

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            log.debug("preview: %s went away", client_address)   # a reload cancels its requests
        else:
            log.exception("preview: error answering %s", client_address)


def _assets() -> dict[str, Response]:
    folder = importlib.resources.files(__package__).joinpath("preview")
    return {route: Response(200, folder.joinpath(name).read_bytes(), kind)
            for route, (name, kind) in ASSETS.items()}


def start_server(preview: Preview, port: int) -> Server:
    """Listen on 127.0.0.1:PORT (0: a free port) and answer in a thread."""
    handler = type("PreviewHandler", (Handler,), {"preview": preview, "assets": _assets()})
    try:
        server = Server((HOST, port), handler)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {HOST}:{port}: {exc.strerror}") from None
    port = server.server_address[1]
    handler.hosts = frozenset({f"{HOST}:{port}", f"localhost:{port}"})
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    return server


def rebuild(preview: Preview, book_dir: Path, brand_dir: Path | None, edition: str, out: Path) -> None:
    """One build into OUT; its files, or its errors, become what the preview shows."""
    preview.started()
    start = time.perf_counter()
    try:
        pdf, epub, warnings = _build(book_dir, brand_dir, edition, out)
        _finished(preview, start, pdf, epub, warnings, ok=True)
    except DocError as exc:
        _finished(preview, start, None, None, exc.problems, ok=False)
    except Exception as exc:   # a bug in docbuild: the traceback goes to the terminal, the preview lives on
        log.exception("preview: the build failed")
        bug = Problem(Location.of(book_dir), f"the build crashed ({exc!r}): a bug in docbuild, see the terminal")
        _finished(preview, start, None, None, [bug], ok=False)


def _build(book_dir: Path, brand_dir: Path | None, edition: str,
           out: Path) -> tuple[bytes | None, bytes | None, list[Problem]]:
    """The PDF, the EPUB (None when the edition has none) and the warnings; DocError for errors."""
    from .build import build
    report = build(book_dir, out, (brand_dir,) if brand_dir else (), ("pdf", "epub"), (edition,),
                   strict=False, force=False, progress=lambda phase: log.debug("preview: %s", phase))
    paths = [w.path for w in report.written] + list(report.up_to_date)
    return _read(paths, ".pdf"), _read(paths, ".epub"), report.warnings


def _read(paths: list[Path], suffix: str) -> bytes | None:
    found = sorted((p for p in paths if p.suffix == suffix), key=lambda p: len(p.name))
    return found[0].read_bytes() if found else None   # the booklet's sheets, not its loose pages


def _finished(preview: Preview, start: float, pdf: bytes | None, epub: bytes | None,
              problems: list[Problem], ok: bool) -> None:
    seconds = time.perf_counter() - start
    preview.finished(seconds, pdf, epub, problems, ok)
    status = preview.status()
    if ok:
        warned = f", {len(problems)} warning{'s' if len(problems) > 1 else ''}" if problems else ""
        click.echo(f"build {status['build']}: {status['page_count']} pages in {seconds:.1f} s{warned}")
    else:
        count = len(status["errors"])
        click.echo(f"build {status['build']}: {count} error{'s' if count > 1 else ''} (shown in the browser)")


def watch(paths: list[Path], dirty: threading.Event, stop: threading.Event) -> threading.Thread:
    """A thread that sets `dirty` whenever a file under one of `paths` changes."""
    import watchfiles

    def run() -> None:
        try:
            for changes in watchfiles.watch(*paths, step=100, stop_event=stop, raise_interrupt=False):
                log.debug("preview: changed %s", sorted(path for _, path in changes))
                dirty.set()
        except Exception:   # the preview still answers; it only stops following the files
            log.exception("preview: watching %s failed", ", ".join(map(str, paths)))

    thread = threading.Thread(target=run, name="preview-watch", daemon=True)
    thread.start()
    return thread


def serve(book_dir: Path, brand_dir: Path | None, edition: str, port: int) -> None:
    """Preview the book on 127.0.0.1 until Ctrl-C: rebuild on every change, show the latest build."""
    out = Path(tempfile.mkdtemp(prefix="docbuild-preview-"))
    preview, stop, dirty = Preview(), threading.Event(), threading.Event()
    server = watcher = None
    try:
        server = start_server(preview, port)
        click.echo(f"preview: http://{HOST}:{server.server_address[1]}/ (Ctrl-C to stop)")
        watched = [p for p in (book_dir, brand_dir) if p is not None and p.is_dir()]
        for missing in {book_dir, brand_dir} - set(watched) - {None}:
            log.warning("preview: %s is not a folder, so it is not watched", missing)
        watcher = watch(watched, dirty, stop) if watched else None
        dirty.set()
        while True:
            if dirty.wait(0.5):
                dirty.clear()
                rebuild(preview, book_dir, brand_dir, edition, out)
    except KeyboardInterrupt:
        click.echo("preview: stopped")
    finally:
        _shut_down(preview, server, watcher, stop, out)


def _shut_down(preview: Preview, server: Server | None, watcher: threading.Thread | None,
               stop: threading.Event, out: Path) -> None:
    held = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:   # a second Ctrl-C is ignored until the temporary folder is gone (a second or less)
        stop.set()
        preview.close()
        if server is not None:
            server.shutdown()
            server.server_close()
        if watcher is not None:
            watcher.join(timeout=5)
        shutil.rmtree(out, ignore_errors=True)
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
