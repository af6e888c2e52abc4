"""The live preview (`make_docs.py serve`) driven in a real headless browser: the laid-out pages and
the EPUB, an edit that shows up where the reader is, a broken citation shown in place of the pages,
only the preview's own files served, 127.0.0.1 only, and a clean stop on Ctrl-C.

Playwright drives Debian's chromium (never a downloaded browser). Every wait polls for a state with
a deadline; nothing sleeps for a fixed time.
"""
from __future__ import annotations

import contextlib

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, copy_book

from playwright import sync_api  # noqa: E402  (a test dependency: pip install -e ".[test]")

CHROMIUM = Path("/usr/bin/chromium")   # Debian's chromium (.ci/run installs it); never a browser download


@pytest.fixture(autouse=True, scope="module")
def _chromium_is_installed():
    assert CHROMIUM.exists(), "the preview's browser test needs Debian's chromium: apt-get install chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
DEADLINE = 30.0   # seconds for any one state to be reached
WAIT_MS = int(DEADLINE * 1000)
INJECTED = '<img src=x onerror="window.pwned=1">'   # raw HTML in a chapter, quoted by its error
URL_LINE = re.compile(r"preview: (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C to stop\)")

# The first page image shows the build the page says it shows, and has loaded
PAGES_SHOWN = """() => {
  const image = document.querySelector('img.page');
  return document.body.dataset.state === 'ok' && image !== null && image.complete
    && image.naturalWidth > 0 && image.src.endsWith('build=' + document.body.dataset.build);
}"""


class Served:
    """`make_docs.py serve` in a subprocess, with its own TMPDIR so that leftovers can be seen."""

    def __init__(self, book: Path, tmp: Path):
        self.book = book
        self.tmpdir = tmp / "tmpdir"
        self.tmpdir.mkdir()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "make_docs.py"), "serve", "--book", str(book)], cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TMPDIR": str(self.tmpdir)})
        for stream, lines in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=lambda s=stream, l=lines: l.extend(s), daemon=True).start()
        first = self.wait_for(lambda: self.stdout[0] if self.stdout else None, "the printed URL")
        match = URL_LINE.fullmatch(first.strip())
        assert match, first
        self.url, self.port = match.group(1), int(match.group(2))

    def wait_for(self, probe, what: str):
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end:
            found = probe()
            if found:
                return found
            assert self.proc.poll() is None, f"serve exited: {''.join(self.stderr)}"
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {DEADLINE} s; stderr: {''.join(self.stderr)}")

    def get(self, path: str, host: str | None = None, method: str = "GET") -> http.client.HTTPResponse:
        """The raw path, sent as it is (a browser would tidy `..` away)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE)
        connection.request(method, path, headers={"Host": host or f"127.0.0.1:{self.port}"})
        response = connection.getresponse()
        response.body = response.read()
        connection.close()
        return response

    def status(self) -> dict:
        return json.loads(self.get("/status").body)

    def wait_for_good_build(self) -> dict:
        return self.wait_for(lambda: (lambda s: s if s["ok"] else None)(self.status()), "a good build")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    server = Served(copy_book(FIXTURES / "small", tmp / "book"), tmp)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    tab = browser.new_page(viewport={"width": 1000, "height": 700})
    tab.goto(served.url)
    tab.wait_for_function(PAGES_SHOWN, timeout=WAIT_MS)
    yield tab
    tab.close()


class Edited:
    """Change a chapter for one test; put it back and wait for the good build to be shown again."""

    def __init__(self, page, path: Path):
        self.page, self.path, self.original = page, path, path.read_text()

    def write(self, text: str) -> int:
        """Save `text`; return the build number on screen before the save."""
        before = int(self.page.evaluate("document.body.dataset.build"))
        self.path.write_text(text)
        return before

    def wait_for_build_after(self, build: int) -> None:
        self.page.wait_for_function(f"() => Number(document.body.dataset.build) > {build}", timeout=WAIT_MS)

    def __enter__(self) -> "Edited":
        return self

    def __exit__(self, *exc) -> None:
        self.wait_for_build_after(self.write(self.original))
        self.page.wait_for_function(PAGES_SHOWN, timeout=WAIT_MS)


def _scroll_to(page, y: int) -> None:
    page.evaluate(f"window.scrollTo(0, {y})")
    page.wait_for_function(f"() => window.scrollY === {y}", timeout=WAIT_MS)


def _epub_chapter(page, title: str):
    page.get_by_role("tab", name="EPUB chapters").click()
    page.get_by_role("link", name=title).click()
    return page.frame_locator("#chapter")


def test_the_page_shows_the_laid_out_pages_and_the_epub_chapters(page):
    images = page.locator("img.page")
    assert images.count() >= 2
    assert page.evaluate("document.querySelector('img.page').naturalWidth") > 1000   # 144 dpi, A4
    assert "The first chapter" in images.first.get_attribute("alt")
    chapter = _epub_chapter(page, "The first chapter")
    sync_api.expect(chapter.locator("h1")).to_have_text("The first chapter", timeout=WAIT_MS)
    sync_api.expect(page.locator("#panel-pages")).to_be_hidden()


def test_an_edit_shows_up_in_the_pages_and_the_epub_where_the_reader_was(page, served):
    sentence = "Drink a glass of water every morning."
    _scroll_to(page, 600)
    with Edited(page, served.book / "chapters/01-first.md") as edit:
        before = edit.write(edit.original.replace("Breathe slowly.", f"Breathe slowly. {sentence}"))
        page.wait_for_function(
            f"() => [...document.querySelectorAll('img.page')].some(i => i.alt.includes({sentence!r}))",
            timeout=WAIT_MS)
        page.wait_for_function(PAGES_SHOWN, timeout=WAIT_MS)
        assert int(page.evaluate("document.body.dataset.build")) > before
        assert page.evaluate("window.scrollY") == 600
        chapter = _epub_chapter(page, "The first chapter")
        sync_api.expect(chapter.locator("body")).to_contain_text(sentence, timeout=WAIT_MS)


def test_a_reload_by_hand_keeps_the_scroll_position_too(page):
    _scroll_to(page, 400)
    page.reload()
    page.wait_for_function(PAGES_SHOWN, timeout=WAIT_MS)
    page.wait_for_function("() => window.scrollY === 400", timeout=WAIT_MS)


def test_a_broken_citation_is_shown_with_its_line_in_place_of_the_pages(page, served):
    path = served.book / "chapters/01-first.md"
    _scroll_to(page, 500)
    with Edited(page, path) as edit:
        broken = (edit.original.replace("[@lee2019]", "[@nosuch]")
                  .replace("Take a short walk.", f"Take a {INJECTED} walk."))
        line = next(n for n, text in enumerate(broken.splitlines(), 1) if "@nosuch" in text)
        edit.wait_for_build_after(edit.write(broken))
        problems = page.locator("#problem-list")
        sync_api.expect(problems).to_contain_text(
            f'chapters/01-first.md:{line}: error: the citation key "@nosuch" is not in references.json',
            timeout=WAIT_MS)
        sync_api.expect(page.locator("#panel-pages")).to_be_hidden()
        assert f"raw HTML ({INJECTED})" in problems.inner_text()   # as text
        assert problems.locator("img").count() == 0 and page.evaluate("window.pwned") is None
    assert page.locator("#problems").is_hidden()
    assert page.evaluate("window.scrollY") == 500   # the pages came back where the reader left them


@pytest.mark.parametrize("path", [
    "/etc/passwd", "/../book.toml", "/%2e%2e/x", "/%2E%2E/book.toml", "/..%2fbook.toml", "//etc/passwd",
    "/book.toml", "/chapters/01-first.md", "/epub/../book.toml", "/epub/%2e%2e/%2e%2e/book.toml",
    "/epub/META-INF/container.xml", "/epub/mimetype", "/epub/EPUB/ch01.xhtml", "/epub//etc/passwd",
    "/page/0.png", "/page/3.png", "/page/1.png/../../book.toml", "/page/-1.png", "/preview/index.html",
    "/index.html", "/serve.py", "/docbuild/serve.py", "http://127.0.0.1/etc/passwd", "/status/../book.toml",
])
def test_anything_but_the_preview_files_is_not_found(served, path):
    assert served.get(path).status == 404


def test_the_preview_files_carry_security_headers_and_the_epub_runs_no_script(served):
    served.wait_for_good_build()
    home = served.get("/")
    assert home.status == 200 and home.getheader("X-Content-Type-Options") == "nosniff"
    assert "script-src 'self'" in home.getheader("Content-Security-Policy")
    chapter = served.get("/epub/ch01.xhtml")
    policy = chapter.getheader("Content-Security-Policy")
    assert chapter.status == 200 and chapter.getheader("Content-Type").startswith("application/xhtml+xml")
    assert "default-src 'none'" in policy and "script-src" not in policy and "sandbox" in policy
    assert served.get("/page/1.png").body.startswith(b"\x89PNG")
    assert served.get("/", method="POST").status == 501


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "192.0.2.1:{port}",
                                  "localhost.evil.example:{port}"])
def test_a_request_for_another_host_is_refused(served, host):
    assert served.get("/", host=host.format(port=served.port)).status == 403
    assert served.get("/", host=f"localhost:{served.port}").status == 200


def _local_addresses() -> set[str]:
    """This machine's IPv4 addresses other than 127.0.0.1 (Linux: /proc/net/fib_trie)."""
    try:
        trie = Path("/proc/net/fib_trie").read_text()
    except OSError:
        return set()
    found = re.findall(r"\|-- (\d+\.\d+\.\d+\.\d+)\n\s+/32 host LOCAL", trie)
    return set(found) - {"127.0.0.1"}


def test_it_listens_on_127_0_0_1_only(served):
    listening = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    bound = {local for _, local, _, state, *_ in listening
             if state == "0A" and int(local.split(":")[1], 16) == served.port}   # 0A: LISTEN
    assert bound == {f"0100007F:{served.port:04X}"}
    for address in _local_addresses() | {"127.0.0.2"}:   # 127.0.0.2 reaches a 0.0.0.0 listener
        with pytest.raises(OSError):
            socket.create_connection((address, served.port), timeout=2).close()


def test_ctrl_c_stops_it_cleanly_and_leaves_no_temporary_folder(tmp_path):
    server = Served(copy_book(FIXTURES / "small", tmp_path / "book"), tmp_path)
    version = server.wait_for_good_build()["version"]
    assert any(server.tmpdir.iterdir())     # the private OUT folder, while it runs
    def wait_for_a_change() -> None:   # a request still open when Ctrl-C comes: its connection closes
        with contextlib.suppress(OSError):
            server.get(f"/status?since={version}")
    waiting = threading.Thread(target=wait_for_a_change, daemon=True)
    waiting.start()
    assert server.stop() == 0
    assert "Traceback" not in "".join(server.stderr), server.stderr
    assert server.stdout[-1].strip() == "preview: stopped"
    assert list(server.tmpdir.iterdir()) == []
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()
