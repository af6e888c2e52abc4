"""Attacks through the command line, one per class: a hostile brand pack, book, references file or
image is refused with PATH:LINE: error:, exit 1, no traceback, OUT untouched, and nothing outside
the roots opened (Python's audit hook records every open). The guards' own unit tests are in
test_guards.py."""
from __future__ import annotations

import os
import struct
import time
import zipfile
import zlib

import pytest

from conftest import FIXTURES, ROOT, copy_book
from test_contained import run_watched

FIRST = "chapters/01-first.md"


@pytest.fixture
def setup(tmp_path):
    """A copy of the small book, a brand pack, a decoy folder of secrets and an OUT with old files."""
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    brand = tmp_path / "brand"
    (brand / "templates" / "parts").mkdir(parents=True)
    (brand / "brand.toml").write_text('name = "Clinic"\n')
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwords.txt").write_text("hunter2")
    (secret / "x.png").write_bytes(_png(2, 2))
    out = tmp_path / "out"
    out.mkdir()
    (out / "small-test-book.html").write_text("previous")
    return {"book": book, "brand": brand, "secret": secret, "out": out, "tmp": tmp_path}


def _png(width: int, height: int, rows: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(rows if rows is not None else b"\0" * ((width + 1) * height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def _attack(s, *args, where: str, message: str, fmt: str = "html", seconds: float = 30):
    start = time.monotonic()
    result, audit = run_watched(s["tmp"], "build", "--book", str(s["book"]), "--brand", str(s["brand"]),
                                "--out", str(s["out"]), "--format", fmt, *args)
    elapsed = time.monotonic() - start
    assert audit["code"] == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    line = next((l for l in result.stderr.splitlines() if where in l and ": error: " in l), None)
    assert line and message in line, result.stderr
    assert [p.name for p in s["out"].iterdir()] == ["small-test-book.html"]
    assert (s["out"] / "small-test-book.html").read_text() == "previous"
    assert not [p for p in audit["opened"] if p.startswith(str(s["secret"]))], "read outside the roots"
    assert audit["sockets"] == []
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    return result


TEMPLATES = {
    "python internals": ("{{ meta.__class__.__mro__ }}", 1, "unsafe"),
    "a string method that formats": ("{{ '{0.__class__}'.format(meta) }}", 1, ""),
    "endless loop": ("{% for i in range(10**9) %}{{ i }}{% endfor %}", 1, ""),
    "huge power": ("<p>\n{{ 7 ** 100000000 }}\n</p>", 2, ""),
    "huge string": ("{{ 'x' * 10**10 }}", 1, ""),
    "nested loops": ("{% for a in range(9999) %}{% for b in range(9999) %}{{ a }}{% endfor %}{% endfor %}", 0,
                     "templates/parts/title_page.html"),
    "recursive macro": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", 1, ""),
    "recursive include": ('{% include "parts/title_page.html" %}', 1, ""),
    "division by zero": ("<p>\n\n{{ 1 // 0 }}</p>", 3, ""),
}


@pytest.mark.parametrize("case", TEMPLATES)
def test_a_brand_template_cannot_escape_or_run_away(setup, case):
    text, line, word = TEMPLATES[case]
    (setup["brand"] / "templates" / "parts" / "title_page.html").write_text(text)
    # a loop that only prints is stopped where its output is gathered: the message names the brand's file
    where = f"title_page.html:{line}: error: template error" if line else ": error: template error"
    result = _attack(setup, where=where, message="", seconds=20)
    assert word in result.stderr


def test_a_template_that_is_not_utf8_is_an_error_at_its_file(setup):
    (setup["brand"] / "templates" / "parts" / "title_page.html").write_bytes(b"<p>caf\xe9</p>")
    _attack(setup, where="title_page.html", message="UTF-8")


def test_a_chapter_outside_the_book_is_refused(setup):
    book = setup["book"]
    (setup["secret"] / "evil.md").write_text("---\ntitle: Evil\n---\nText.\n")
    toml = book / "book.toml"
    toml.write_text('chapters = ["../secret/evil.md"]\n' + toml.read_text())
    _attack(setup, where="book.toml:", message="outside")


def test_a_chapters_folder_that_links_out_is_refused(setup):
    book = setup["book"]
    (setup["secret"] / "01.md").write_text("---\ntitle: Evil\n---\nText.\n")
    os.rename(book / "chapters", setup["tmp"] / "old-chapters")
    (book / "chapters").symlink_to(setup["secret"])
    _attack(setup, where="chapters", message="outside")


def test_references_that_link_to_a_device_are_refused_at_once(setup):
    refs = setup["book"] / "references.json"
    refs.unlink()
    refs.symlink_to("/dev/zero")
    _attack(setup, where="references.json", message="", seconds=10)


def test_a_fifo_chapter_is_refused_within_a_second_of_checking(setup):
    chapter = setup["book"] / "chapters" / "03-fifo.md"
    os.mkfifo(chapter)
    _attack(setup, where="03-fifo.md", message="named pipe", seconds=15)


def test_an_image_that_links_out_is_refused(setup):
    image = setup["book"] / "images" / "circle.svg"
    image.unlink()
    image.symlink_to(setup["secret"] / "x.png")
    _attack(setup, where=f"{FIRST}:18: error:", message="outside")


def test_the_root_folder_as_a_brand_is_refused_at_once(setup):
    result, audit = run_watched(setup["tmp"], "check", "--book", str(setup["book"]), "--brand", "/")
    assert audit["code"] == 1 and "cannot be a brand pack" in result.stderr and "Traceback" not in result.stderr


LINKS = {
    "javascript": "[call us](javascript:alert(1))",
    "mixed case and spaces": "[call us]( JaVaScRiPt:alert(1))",
    "data": "[call us](data:text/html,<script>alert(1)</script>)",
    "file": "[call us](file:///etc/passwd)",
    "leaves the book": "[call us](../../secret/passwords.txt)",
    "protocol-relative": "[call us](//evil.example/x)",
}


@pytest.mark.parametrize("case", LINKS)
def test_a_link_that_is_not_a_web_address_is_an_error_at_its_line(setup, case):
    chapter = setup["book"] / FIRST
    chapter.write_text(chapter.read_text().replace("Breathe slowly.", "Breathe slowly. " + LINKS[case]))
    _attack(setup, where=f"{FIRST}:11: error: the link", message="")


def test_a_brand_website_with_a_script_is_refused(setup):
    (setup["brand"] / "brand.toml").write_text('name = "Clinic"\n[contact]\nwebsite = "javascript:alert(1)"\n')
    _attack(setup, where="brand.toml:3: error:", message="contact.website")


def test_a_reference_url_with_a_script_is_refused(setup):
    refs = setup["book"] / "references.json"
    refs.write_text(refs.read_text().replace('"id": "lee2019",', '"id": "lee2019", "URL": "javascript:alert(1)",', 1))
    _attack(setup, where="references.json:", message="URL")


def test_text_from_every_input_is_escaped_where_it_lands(setup):
    """A locator, a clinic name and a title with markup arrive as text in both outputs, never as markup."""
    evil = '</style><script>alert(1)</script>'
    (setup["brand"] / "brand.toml").write_text(f'name = "Clinic {evil}"\n[contact]\nphone = "1 {evil}"\n')
    chapter = setup["book"] / FIRST
    chapter.write_text(chapter.read_text().replace("[@smith2020, p. 104]", f"[@smith2020, p. 104 {evil}]"))
    result, audit = run_watched(setup["tmp"], "build", "--book", str(setup["book"]), "--brand", str(setup["brand"]),
                                "--out", str(setup["out"]), "--format", "html", "--format", "epub")
    assert audit["code"] == 0, result.stderr
    html = (setup["out"] / "small-test-book.html").read_text()
    with zipfile.ZipFile(setup["out"] / "small-test-book.epub") as epub:
        texts = [epub.read(n).decode() for n in epub.namelist() if n.endswith((".xhtml", ".css", ".opf"))]
    for text in [html, *texts]:
        assert "<script>" not in text and "</style><script>" not in text


SVGS = {
    "entity": '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    "script": '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "foreign object": '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject/></svg>',
    "import": '<svg xmlns="http://www.w3.org/2000/svg"><style>@import"http://evil.example/x.css";</style></svg>',
    "url": '<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(http://evil.example/x)"/></svg>',
    "file href": '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                 '<image xlink:href="file:///etc/passwd"/></svg>',
}


@pytest.mark.parametrize("case", SVGS)
def test_a_hostile_svg_is_refused_as_image_and_as_logo(setup, case):
    (setup["book"] / "images" / "circle.svg").write_text(SVGS[case])
    _attack(setup, where=f"{FIRST}:18: error: the SVG image", message="")
    copy_book(FIXTURES / "small", setup["tmp"] / "clean")
    setup["book"] = setup["tmp"] / "clean"
    (setup["brand"] / "logo.svg").write_text(SVGS[case])
    (setup["brand"] / "brand.toml").write_text('name = "Clinic"\nlogo = "logo.svg"\n')
    _attack(setup, where="brand.toml:2: error: the logo", message="")


IMAGES = {
    "a PNG named .svg": ("circle.svg", _png(2, 2), "PNG"),
    "an SVG named .png": ("circle.png", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
    "text named .png": ("circle.png", b"just some text\n", "text"),
    "a truncated PNG": ("circle.png", _png(4, 4)[:40], "cut short"),
    "a decompression bomb": ("circle.png", _png(100_000, 100_000, rows=b"\0"), "pixels"),
}


@pytest.mark.parametrize("case", IMAGES)
def test_an_image_is_what_its_bytes_say(setup, case):
    name, data, word = IMAGES[case]
    images = setup["book"] / "images"
    (images / "circle.svg").unlink()
    (images / name).write_bytes(data)
    chapter = setup["book"] / FIRST
    chapter.write_text(chapter.read_text().replace("../images/circle.svg", f"../images/{name}"))
    result = _attack(setup, where=f"{FIRST}:18: error:", message="")
    assert word.lower() in result.stderr.lower(), result.stderr


def test_the_epub_carries_no_remote_or_file_reference(built):
    with zipfile.ZipFile(built["default"]["epub"]) as epub:
        for name in epub.namelist():
            if name.endswith((".xhtml", ".css", ".svg", ".opf", ".ncx")):
                text = epub.read(name).decode()
                assert "file:" not in text, name
                for attr in ("src=", "url("):
                    assert f'{attr}"http' not in text and f"{attr}http" not in text, name
