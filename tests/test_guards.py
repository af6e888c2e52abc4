"""Guards: nothing a book, a brand pack or a reference export brings is trusted.

One test per attack: templates that reach for files, loop without end or grow without bound; SVGs
that declare entities, run scripts or load from anywhere; images whose bytes and names disagree or
that unpack to gigabytes; links that run scripts; file names that are pipes, devices, folders,
links out of the book or too large. Each test checks the guard's own message, so it fails when the
guard it is about is taken away (even where another guard would still stop the attack).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import shutil
import struct
import tempfile
import threading
import time
import zlib
from pathlib import Path

import jinja2
import pytest

from docbuild.files import InputError, is_inside, limit_for, read_inside, read_text_inside, walk_inside
from docbuild.images import ImageError, inspect_image
from docbuild.links import contact_problem, link_problem, normalise_doi, safe_url
from docbuild.sandbox import (TemplateLimit, TemplateProblem, make_environment, plain, render_limited,
                              template_problem)
from docbuild.svgsafe import svg_problems

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
TEMPLATES = HOSTILE / "templates"
MB = 1024 * 1024


# ---- templates --------------------------------------------------------------------------------

def _env(folder: Path = TEMPLATES) -> jinja2.Environment:
    return make_environment(jinja2.FileSystemLoader(str(folder)), keep_trailing_newline=True)


def _problem(name: str, context: dict | None = None, seconds: float = 5.0) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as caught:
        render_limited(_env().get_template(name), context or {}, seconds=seconds)
    return caught.value


def test_a_safe_template_renders_with_loops_macros_namespaces_and_filters():
    env = make_environment(jinja2.DictLoader({"ok.html": (
        "{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{{ loop.index }}"
        "{% endfor %}{% macro box(x) %}[{{ x|upper }}{{ caller() }}]{% endmacro %}"
        "{% call box(d.title) %}!{% endcall %}{{ ns.n }}{{ d.items()|list|length }}{{ '<b>' }}"
        "{{ 'a-%s'|format(2) }}{{ 2 ** 10 }}{{ 'ab' * 2 }}{{ d.get('x', 'y') }}{{ ', '.join(['p', 'q']) }}")}))
    assert render_limited(env.get_template("ok.html"), {"d": {"title": "t"}}) == \
        "123[T!]31&lt;b&gt;a-21024ababyp, q"


def test_a_path_passed_by_mistake_cannot_read_or_delete_files(tmp_path):
    secret = tmp_path / "x"
    secret.write_text("SECRET")
    nested = tmp_path / "a" / "b"
    env = make_environment(jinja2.DictLoader({
        "read.html": "{{ x.read_text() }}", "delete.html": "{{ x.unlink() }}", "item.html": "{{ x['parts'] }}"}))
    for name in ("read.html", "delete.html", "item.html"):
        with pytest.raises(TemplateProblem) as caught:
            render_limited(env.get_template(name), {"x": secret})
        assert "may not use" in caught.value.message and "SECRET" not in caught.value.message
    assert secret.read_text() == "SECRET"
    env = make_environment(jinja2.DictLoader({"call.html": "{{ wipe() }}"}))
    with pytest.raises(TemplateProblem, match="is not safely callable"):
        render_limited(env.get_template("call.html"), {"wipe": secret.unlink})
    assert secret.exists()
    problem = _problem("path-access.html", {"x": nested})    # {{ (x / "../../x").read_text() }}
    assert problem.filename.endswith("path-access.html") and problem.lineno == 2
    assert "templates may only compute with text, numbers and lists, not with a PosixPath" in problem.message


def test_python_internals_are_out_of_reach():
    problem = _problem("dunder.html")     # {{ ''.__class__.__mro__[1].__subclasses__() }}
    assert "'__class__' of 'str' object is unsafe" in problem.message
    env = make_environment(jinja2.DictLoader({"f.html": "{{ '{0.__class__}'.format('') }}"}))
    with pytest.raises(TemplateProblem, match="'format' of 'str' object is unsafe"):
        render_limited(env.get_template("f.html"), {})


def test_a_range_of_a_billion_is_refused_at_once():
    start = time.monotonic()
    problem = _problem("huge-range.html")    # {% for i in range(10**9) %}
    assert isinstance(problem, TemplateLimit) and "range() would count 1,000,000,000 numbers" in problem.message
    assert problem.lineno == 1 and time.monotonic() - start < 1


def test_a_huge_power_is_refused_before_it_is_computed():
    start = time.monotonic()
    problem = _problem("huge-power.html")    # {{ 7 ** 100000000 }}
    assert isinstance(problem, TemplateLimit) and "7 ** 100000000 is a number of about" in problem.message
    assert time.monotonic() - start < 1


def test_repeating_text_ten_billion_times_is_refused_before_it_is_built():
    problem = _problem("huge-repeat.html")   # {{ 'x' * 10**10 }}
    assert isinstance(problem, TemplateLimit)
    assert "would build a text of 10,000,000,000 characters" in problem.message


GROWTH = {   # each is refused by its own guard before the value is built
    "center": ("{% set a = 'x'|center(10**9) %}", "1,000,000,000 characters"),
    "format-filter": ("{% set a = '%*d'|format(10**9, 1) %}", "asks for a width of *"),
    "percent": ("{% set a = '%999999999d' % 1 %}", "asks for a width of 999999999"),
    "replace-filter": ("{% set a = ('x' * 10**7)|replace('', 'yyyyyy') %}", "would build a text"),
    "replace-method": ("{% set a = ('x' * 10**7).replace('', 'y' * 10**4) %}", "would build a text"),
    "join-method": ("{% set a = ('x' * 10**7).join(['a'] * 10**4) %}", "would build a text"),
    "tilde": ("{% set a = 'x' * 10**7 %}{% set b = a ~ a ~ a ~ a ~ a ~ a %}", "would build a text"),
    "printed-list": ("{% set a = 'x' * 10**7 %}{{ [a, a, a, a, a, a] }}", "would build a text"),
    "namespace": ("{% set ns = namespace(l=[1]) %}{% for i in range(99) %}{% set ns.l = [ns.l, ns.l] %}"
                  "{% endfor %}", "would build a list"),
    "macro-args": ("{% macro f(l, n) %}{% if n %}{{ f([l, l], n - 1) }}{% endif %}{% endmacro %}{{ f([1], 90) }}",
                   "would build a list"),
    "output": ("{% set a = 'x' * 4 * 10**7 %}{% for i in range(6) %}{{ a }}{% endfor %}",
               "produces more than 200,000,000"),
    "budget": ("{% for i in range(20) %}{% set a = 'x' * 4 * 10**7 %}{% endfor %}",
               "more than 400,000,000 characters in all"),
}


@pytest.mark.parametrize("source, words", GROWTH.values(), ids=GROWTH.keys())
def test_text_and_lists_cannot_grow_without_bound(source, words):
    env = make_environment(jinja2.DictLoader({"grow.html": source}))
    with pytest.raises(TemplateLimit) as caught:
        render_limited(env.get_template("grow.html"), {})
    assert words in caught.value.message


def test_a_macro_that_calls_itself_stops_with_a_limit():
    problem = _problem("recursive-macro.html")
    assert isinstance(problem, TemplateLimit) and "more than 100 levels deep" in problem.message
    assert problem.filename.endswith("recursive-macro.html") and problem.lineno == 1


def test_a_template_that_includes_itself_stops_with_a_limit():
    problem = _problem("recursive-include.html")
    assert isinstance(problem, TemplateLimit) and "include or extend each other more than 50" in problem.message
    assert problem.filename.endswith("recursive-include.html") and problem.lineno == 2


def test_nested_loops_stop_at_the_deadline():
    start = time.monotonic()
    problem = _problem("nested-loops.html", seconds=1.0)   # 9999 × 9999 iterations
    assert isinstance(problem, TemplateLimit) and "still running after 1 seconds" in problem.message
    assert problem.filename.endswith("nested-loops.html") and time.monotonic() - start < 3


def test_a_loop_that_calls_nothing_is_still_stopped_by_the_watchdog():
    env = make_environment(jinja2.DictLoader({"spin.html": (
        "{% for a in xs %}{% for b in xs %}{% for c in xs %}{% endfor %}{% endfor %}{% endfor %}")}))
    start = time.monotonic()
    with pytest.raises(TemplateLimit, match="still running after 1 seconds"):
        render_limited(env.get_template("spin.html"), {"xs": list(range(1000))}, seconds=1.0)
    assert time.monotonic() - start < 3
    for _ in range(5):    # no stop is left pending to land in later code
        assert render_limited(env.get_template("spin.html"), {"xs": [1]}, seconds=0.01) == ""
    time.sleep(0.6)


def test_division_by_zero_names_the_template_file_and_line():
    problem = _problem("divide.html", {"pages": 3})
    assert (Path(problem.filename).name, problem.lineno) == ("divide.html", 3)
    assert problem.message == "the template divides by zero: check the numbers in this expression"
    assert "Traceback" not in str(problem)


def test_a_template_that_is_not_utf8_is_reported_with_its_file():
    env = _env()
    with pytest.raises(UnicodeDecodeError) as caught:
        env.get_template("not-utf8.html")
    file, line, message = template_problem(caught.value, "fallback.html")
    assert Path(file).name == "not-utf8.html" and line == 1 and "not UTF-8 text" in message


def test_templates_receive_plain_data_and_a_path_is_named(tmp_path):
    @dataclasses.dataclass
    class Chapter:
        title: str
        day: dt.date
        parts: tuple

    @dataclasses.dataclass
    class Book:
        chapters: list
        source: Path

    assert plain(Chapter("One", dt.date(2024, 5, 1), ("a", 1))) == {"title": "One", "day": "2024-05-01",
                                                                    "parts": ["a", 1]}
    with pytest.raises(TypeError, match=r"data\.source is a file path"):
        plain(Book([Chapter("One", dt.date(2024, 5, 1), ())], tmp_path))
    with pytest.raises(TypeError, match=r"data\.chapters\[0\]\.parts\[0\] is a file path"):
        plain(Book([Chapter("One", dt.date(2024, 5, 1), (tmp_path,))], None))


# ---- SVG --------------------------------------------------------------------------------------

def _svg(name: str) -> list[tuple[int, str]]:
    return svg_problems((HOSTILE / name).read_bytes(), lambda ref: ref == "picture.png")


def test_a_safe_svg_passes():
    assert _svg("safe.svg") == []


@pytest.mark.parametrize("name, line, words", [
    ("billion-laughs.svg", 2, "has a DOCTYPE or entity declaration"),
    ("script.svg", 3, "contains a <script>"),
    ("onload.svg", 1, "the attribute onload runs a script"),
    ("foreign-object.svg", 2, "contains a <foreignObject>"),
    ("style-import.svg", 2, "imports another style sheet (@import)"),
    ("style-url.svg", 2, 'the attribute style loads "http://evil.example/track.svg#p" with url(…)'),
    ("xlink-file.svg", 2, "xlink:href on <image> points to a file on the computer (file:)"),
    ("href-http.svg", 2, 'href on <image> points outside the image ("http://evil.example/pixel.png")'),
])
def test_a_hostile_svg_is_refused_at_its_line(name, line, words):
    start = time.monotonic()
    problems = _svg(name)
    assert any(at == line and words in message for at, message in problems), problems
    assert time.monotonic() - start < 1


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'


SVG_TRICKS = {
    "import-escaped": ("<style>@\\69mport 'x.css';</style>", "@import"),
    "import-comment": ("<style>@IM/* hidden */PORT 'x.css';</style>", "@import"),
    "url-escaped-upper": ("<style><![CDATA[ circle { fill: U\\52L(http://x/) } ]]></style>", 'loads "http://x/"'),
    "url-attribute": ('<rect fill="url(https://x/#g)"/>', 'attribute fill loads "https://x/#g"'),
    "image-set": ('<rect style="background: image-set(\'http://x/a.png\' 1x)"/>', "uses image-set(…)"),
    "javascript-entity": ('<a href="&#106;avascript:alert(1)"><text>x</text></a>', "runs a script (javascript:)"),
    "file-outside": ('<image href="../../secret.png"/>', 'points to the file "../../secret.png"'),
    "animate-href": ('<a href="#a"><set attributeName="xlink:href" to="javascript:alert(1)"/></a>',
                     '<set> changes "xlink:href"'),
    "onclick-upper": ('<g ONCLICK="x()"/>', "the attribute ONCLICK runs a script"),
    "xml-base": ('<g xml:base="http://x/"><image href="picture.png"/></g>', "sets xml:base"),
}


@pytest.mark.parametrize("body, words", SVG_TRICKS.values(), ids=SVG_TRICKS.keys())
def test_svg_tricks_in_any_spelling_are_refused(body, words):
    problems = svg_problems(SVG.format(body).encode(), lambda ref: ref == "picture.png")
    assert any(words in message for _, message in problems), problems


def test_a_broken_or_non_utf8_svg_is_reported_with_its_line():
    assert svg_problems(b'<svg xmlns="http://www.w3.org/2000/svg">\n<g>\n</svg>', lambda ref: True) == \
        [(3, "the SVG is not well-formed XML (mismatched tag): export it again from the drawing program, "
             "or fix the file at this line")]
    assert svg_problems(b'<svg xmlns="http://www.w3.org/2000/svg">\n<title>caf\xe9</title></svg>',
                        lambda ref: True) == [(2, "the SVG is not UTF-8 text: save (export) it as UTF-8")]


# ---- images -----------------------------------------------------------------------------------

def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png(width: int = 4, height: int = 3, rows: bytes | None = None) -> bytes:
    pixels = rows if rows is not None else b"".join(b"\0" + b"\x80" * (3 * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(pixels)) + _chunk(b"IEND", b""))


def _jpeg(width: int = 8, height: int = 8) -> bytes:
    segment = lambda marker, payload: b"\xff" + marker + struct.pack(">H", len(payload) + 2) + payload
    frame = struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00"
    return (b"\xff\xd8" + segment(b"\xe0", b"JFIF\0\1\1\0\0\1\0\1\0\0") + segment(b"\xc0", frame)
            + segment(b"\xda", b"\x01\x01\x00\x00\x3f\x00") + b"\x12\x34\xff\x00\x56" + b"\xff\xd9")


def test_whole_images_are_accepted_with_their_size():
    assert inspect_image(_png(4, 3), "a.png").width == 4
    assert (inspect_image(_jpeg(16, 9), "b.JPG").kind, inspect_image(_jpeg(16, 9), "b.jpeg").height) == ("jpeg", 9)
    svg = (HOSTILE / "safe.svg").read_bytes()
    assert inspect_image(svg, "c.svg").media_type == "image/svg+xml"


def test_a_png_named_svg_is_refused_naming_both():
    with pytest.raises(ImageError) as caught:
        inspect_image(_png(), "logo.svg")
    assert caught.value.reason == "the file is a PNG image but its name ends in .svg: rename it to end in .png"


def test_text_named_png_is_refused_naming_both():
    with pytest.raises(ImageError) as caught:
        inspect_image(b"Not an image, just notes.\n", "photo.png")
    assert caught.value.reason.startswith("the file is a text file, not a PNG, JPEG or SVG image, though its "
                                          "name ends in .png")


def test_a_truncated_png_is_refused():
    data = _png(40, 30)
    for cut in (len(data) - 1, len(data) - 12, len(data) // 2, 20):
        with pytest.raises(ImageError, match="the PNG image is cut short or damaged"):
            inspect_image(data[:cut], "a.png")
    short = _png(40, 30, rows=b"".join(b"\0" + b"\x80" * 120 for _ in range(29)))   # a row missing
    with pytest.raises(ImageError, match="the PNG image is cut short or damaged"):
        inspect_image(short, "a.png")


def test_a_damaged_png_is_refused():
    data = bytearray(_png(40, 30))
    data[45] ^= 0xFF                          # inside IDAT: the CRC no longer matches
    with pytest.raises(ImageError, match="a checksum does not match"):
        inspect_image(bytes(data), "a.png")
    garbled = _png(4, 3, rows=b"".join(b"\x09" + b"\x80" * 12 for _ in range(3)))    # no filter 9
    with pytest.raises(ImageError, match="its pixel rows are garbled"):
        inspect_image(garbled, "a.png")


def test_a_png_declaring_100000_by_100000_pixels_is_refused_before_unpacking():
    bomb = (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + _chunk(b"IDAT", zlib.compress(b"\0" * 1_000_000)) + _chunk(b"IEND", b""))
    start = time.monotonic()
    with pytest.raises(ImageError) as caught:
        inspect_image(bomb, "bomb.png")
    assert "100,000 × 100,000 pixels" in caught.value.reason and "the limit is 40 megapixels" in caught.value.reason
    assert time.monotonic() - start < 1


def test_a_truncated_jpeg_is_refused():
    data = _jpeg()
    for cut in (len(data) - 2, len(data) - 5, 30):
        with pytest.raises(ImageError, match="the JPEG image is cut short or damaged"):
            inspect_image(data[:cut], "a.jpg")
    with pytest.raises(ImageError, match="65,535 × 65,535 pixels"):
        inspect_image(_jpeg(65535, 65535), "a.jpg")


def test_real_encoders_output_is_accepted():
    PIL = pytest.importorskip("PIL.Image")    # WeasyPrint depends on Pillow, so it is installed
    for mode in ("1", "L", "P", "RGB", "RGBA", "LA"):
        buffer = io.BytesIO()
        PIL.new("RGB", (37, 23), (10, 200, 30)).convert(mode).save(buffer, "PNG")
        assert inspect_image(buffer.getvalue(), "x.png").width == 37
    for progressive in (False, True):
        buffer = io.BytesIO()
        PIL.effect_noise((64, 48), 40).convert("RGB").save(buffer, "JPEG", progressive=progressive)
        assert (inspect_image(buffer.getvalue(), "x.jpg").width, inspect_image(buffer.getvalue(), "x.jpg").height) \
            == (64, 48)


# ---- links ------------------------------------------------------------------------------------

LINKS = {
    "javascript": ("javascript:alert(1)", "runs a script (javascript:)"),
    "mixed-case-spaces": ("  JaVaScRiPt:alert(1)", "runs a script (javascript:)"),
    "tab-inside": ("java\tscript:alert(1)", "runs a script (javascript:)"),
    "newline-inside": ("java\nscript:alert(1)", "runs a script (javascript:)"),
    "nul-inside": ("java\x00script:alert(1)", "runs a script (javascript:)"),
    "entity": ("&#106;avascript:alert(1)", "runs a script (javascript:)"),
    "entity-colon": ("javascript&colon;alert(1)", "runs a script (javascript:)"),
    "vbscript": ("vbscript:msgbox(1)", "runs a script (vbscript:)"),
    "data": ("data:text/html,<script>alert(1)</script>", "carries a whole page or file inside the link (data:)"),
    "file": ("file:///etc/passwd", "opens a file on the reader's computer (file:)"),
    "protocol-relative": ("//evil.example", "starts with //: write the full web address"),
    "relative": ("leaflet.html", "link to the web address (https://…), an email (mailto:…), a phone number "
                                 "(tel:…) or a section with #"),
    "userinfo": ("https://nhs.uk@evil.example/", "has a name or password before the site"),
}


@pytest.mark.parametrize("url, words", LINKS.values(), ids=LINKS.keys())
def test_a_dangerous_or_relative_link_is_refused(url, words):
    problem = link_problem(url)
    assert problem is not None and words in problem


@pytest.mark.parametrize("url", ["https://www.nhs.uk/conditions/", "http://example.org", "#side-effects",
                                 "mailto:clinic@example.org?subject=Leaflet", "tel:+44 20 7946 0000"])
def test_web_mail_phone_and_section_links_are_allowed(url):
    assert link_problem(url) is None


def test_dois_in_their_usual_spellings():
    for value in ("10.1000/xyz.1", "doi:10.1000/xyz.1", "DOI: 10.1000/xyz.1", "https://doi.org/10.1000/xyz.1",
                  "http://dx.doi.org/10.1000%2Fxyz.1"):
        assert normalise_doi(value) == "10.1000/xyz.1", value
    for value in ("", "doi:", "11.1000/x", "10.1/x", "https://example.org/10.1000/x", "10.1000/a b"):
        assert normalise_doi(value) is None, value


def test_brand_contacts_become_safe_links():
    assert safe_url("clinic@example.org") == "mailto:clinic@example.org"
    assert safe_url("clinic.example.org/contact") == "https://clinic.example.org/contact"
    assert safe_url("https://clinic.example.org") == "https://clinic.example.org"
    for value in ("javascript:alert(1)", "clinic@", "Clinic <a@b.org>", "a..b@example.org", "ftp://example.org"):
        assert safe_url(value) is None and contact_problem(value), value


# ---- files ------------------------------------------------------------------------------------

def _reads(path: Path, roots: list[Path], what: str = "file", **options) -> str:
    with pytest.raises(InputError) as caught:
        read_inside(path, roots, what, **options)
    return caught.value.message


def test_a_plain_file_inside_is_read_and_text_loses_its_bom(tmp_path):
    (tmp_path / "a.md").write_bytes(b"\xef\xbb\xbfHello\n")
    (tmp_path / "link.md").symlink_to(tmp_path / "a.md")
    assert read_inside(tmp_path / "a.md", [tmp_path], "chapter") == b"\xef\xbb\xbfHello\n"
    assert read_text_inside(tmp_path / "link.md", [tmp_path], "chapter") == "Hello\n"
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9\n")
    with pytest.raises(InputError, match=r"is not UTF-8 text \(line 1\): save it as UTF-8"):
        read_text_inside(tmp_path / "latin1.md", [tmp_path], "chapter")


def test_a_fifo_is_refused_within_a_second(tmp_path):
    fifo = tmp_path / "chapter.md"
    os.mkfifo(fifo)
    outcome: list = []

    def read() -> None:
        try:
            outcome.append(read_inside(fifo, [tmp_path], "chapter"))
        except InputError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    start = time.monotonic()
    reader.start()
    reader.join(1.0)
    if reader.is_alive():          # unblock the reader, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("read_inside blocked on a named pipe")
    assert time.monotonic() - start < 1
    assert isinstance(outcome[0], InputError) and "is a named pipe, not an ordinary file" in outcome[0].message


def test_a_device_is_refused():
    start = time.monotonic()
    assert "is a device, not an ordinary file" in _reads(Path("/dev/zero"), [Path("/dev")], "image")
    assert time.monotonic() - start < 1


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "images").mkdir()
    assert "is a folder, not a file" in _reads(tmp_path / "images", [tmp_path])
    assert "is a folder, not a file" in _reads(tmp_path, [tmp_path])


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    book, outside = tmp_path / "book", tmp_path / "outside"
    book.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    (book / "chapter.md").symlink_to(outside / "secret.txt")
    assert "is a link to a file outside the book and brand folders" in _reads(book / "chapter.md", [book])
    assert "is outside the book and brand folders" in _reads(book / ".." / "outside" / "secret.txt", [book])
    assert not is_inside(book / "chapter.md", [book])


def test_a_symlinked_folder_out_of_the_root_is_refused(tmp_path):
    book, outside = tmp_path / "book", tmp_path / "outside"
    book.mkdir()
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"SECRET")
    (book / "images").symlink_to(outside, target_is_directory=True)
    assert "is a link to a file outside the book and brand folders" in _reads(book / "images" / "secret.png",
                                                                             [book], "image")


def test_a_file_over_the_limit_is_refused(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"x" * 2000)
    assert "is 2,000 bytes, over the limit of 1,000 bytes" in _reads(tmp_path / "big.txt", [tmp_path],
                                                                     max_bytes=1000)
    huge = tmp_path / "huge.png"
    with huge.open("wb") as file:           # sparse: 21 MB on paper, nothing on disk
        file.truncate(limit_for("image") + MB)
    start = time.monotonic()
    assert "over the limit of 20.0 MB" in _reads(huge, [tmp_path], "image")
    assert time.monotonic() - start < 1


def test_a_file_swapped_for_a_link_after_the_check_is_not_followed(tmp_path, monkeypatch):
    book, outside = tmp_path / "book", tmp_path / "outside"
    (book / "images").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.png").write_bytes(b"SECRET")
    (book / "chapter.md").symlink_to(outside / "secret.png")
    (book / "pictures").symlink_to(outside, target_is_directory=True)
    # as if each link appeared between resolving the path and opening it
    monkeypatch.setattr("docbuild.files.os.path.realpath", os.path.abspath)
    assert "changed into a link while it was being read" in _reads(book / "chapter.md", [book])
    assert "changed into a link while it was being read" in _reads(book / "pictures" / "secret.png", [book],
                                                                     "image")


def test_a_file_that_cannot_be_read_is_refused():
    folder = Path(tempfile.mkdtemp(prefix="docbuild-guard-"))
    try:
        folder.chmod(0o755)
        locked = folder / "locked.md"
        locked.write_text("private")
        locked.chmod(0o000)
        message = _reads(locked, [folder]) if os.geteuid() != 0 else _read_as_nobody(locked, folder)
        assert "cannot be read (permission denied)" in message
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_as_nobody(path: Path, root: Path) -> str:
    """root reads everything, so the read is tried in a forked child that has become nobody."""
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:     # pragma: no cover - runs in the child
        try:
            os.setgid(65534)
            os.setuid(65534)
            read_inside(path, [root], "chapter")
            os.write(writable, b"read it")
        except InputError as exc:
            os.write(writable, exc.message.encode())
        except BaseException as exc:
            os.write(writable, repr(exc).encode())
        os._exit(0)
    os.close(writable)
    with os.fdopen(readable, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(child, 0)
    return message


def test_walk_inside_lists_files_without_following_links_out(tmp_path):
    brand, outside = tmp_path / "brand", tmp_path / "outside"
    (brand / "fonts").mkdir(parents=True)
    outside.mkdir()
    (outside / "secret.ttf").write_bytes(b"SECRET")
    (brand / "brand.toml").write_text("name = 'x'\n")
    (brand / "fonts" / "a.ttf").write_bytes(b"font")
    (brand / "fonts" / "out.ttf").symlink_to(outside / "secret.ttf")
    (brand / "elsewhere").symlink_to(outside, target_is_directory=True)
    (brand / "loop").symlink_to(brand, target_is_directory=True)
    os.mkfifo(brand / "pipe")
    assert walk_inside(brand, [brand]) == [brand / "brand.toml", brand / "fonts" / "a.ttf"]
