"""The catalogue of mistakes a clinic can make: each exits 1 with PATH:LINE, plain words, no traceback,
and leaves the output folder as it was. Warnings do not stop the build unless --strict."""
from __future__ import annotations

import re

import pytest

from conftest import FIXTURES, copy_book, run_cli

FIRST = "chapters/01-first.md"


def _edit(book, file, old, new):
    path = book / file
    text = path.read_text()
    assert old in text, (file, old)
    path.write_text(text.replace(old, new, 1))


CASES = {
    # book.toml
    "toml syntax": ("book.toml", 'title = "Small Test Book"', 'title = "Small Test Book', "book.toml:1",
                    "not valid TOML"),
    "toml unknown key": ("book.toml", "subtitle =", "subtitel =", "book.toml:2",
                         'unknown key "subtitel"; the valid keys here are: title, subtitle'),
    "toml wrong type": ("book.toml", "published = 2026-01-10", 'published = "2026-01-10"', "book.toml:5",
                        '"published" must be a date such as 2026-11-20, not the text "2026-01-10"'),
    "toml missing title": ("book.toml", 'title = "Small Test Book"\n', "", "book.toml:1",
                           'the required key "title" is missing'),
    "toml impossible date": ("book.toml", "published = 2026-01-10", "published = 2026-02-30", "book.toml:5",
                             "Invalid date"),
    "toml dates out of order": ("book.toml", "next_review = 2028-02-01", "next_review = 2025-02-01",
                                "book.toml:7", "next_review (2025-02-01) is before reviewed (2026-02-01)"),
    "toml language": ("book.toml", 'language = "en"', 'language = "English!"', "book.toml:3",
                      '"English!" is not a BCP 47 language tag'),
    "toml missing chapter": ("book.toml", "next_review = 2028-02-01",
                             'next_review = 2028-02-01\nchapters = [\n  "chapters/01-first.md",\n'
                             '  "chapters/03-third.md",\n]', "book.toml:10",
                             'the chapter "book/chapters/03-third.md" does not exist'),
    # references.json
    "json syntax": ("references.json", '"id": "lee2019",', '"id": "lee2019"', "references.json:20",
                    "not valid JSON: a comma is missing after this value"),
    "json no id": ("references.json", '"id": "lee2019",', "", "references.json:19",
                   'a reference has no "id"'),
    "json no title": ("references.json", '"title": "Living With Pain",', "", "references.json:19",
                      'the reference "lee2019" has no "title"'),
    "json duplicate id": ("references.json", '"id": "guide2021"', '"id": "lee2019"', "references.json:28",
                          'the id "lee2019" is used twice (first at line 19)'),
    "json unknown type": ("references.json", '"type": "book"', '"type": "novel"', "references.json:19",
                          'the reference "lee2019" has the type "novel", which is not supported'),
    # a chapter
    "chapter empty": (FIRST, None, "", f"{FIRST}:1", "the chapter is empty"),
    "front matter not closed": (FIRST, "title: The first chapter\n---\n", "title: The first chapter\n",
                                f"{FIRST}:1", "the front matter opened here is not closed"),
    "front matter yaml": (FIRST, "title: The first chapter", "title: [The first chapter", f"{FIRST}:2",
                          "the front matter is not valid YAML"),
    "no title": (FIRST, "title: The first chapter", "author: Someone", f"{FIRST}:2",
                 'unknown front matter key "author"'),
    "unknown citation": (FIRST, "[@lee2019]", "[@lee2009]", f"{FIRST}:10",
                         'the citation key "@lee2009" is not in references.json; did you mean @lee2019?'),
    "empty citation": (FIRST, "[@lee2019]", "[@]", f"{FIRST}:10", "malformed citation [@]"),
    "trailing semicolon": (FIRST, "[@lee2019]", "[@lee2019;]", f"{FIRST}:10", "malformed citation [@lee2019;]"),
    "footnote undefined": (FIRST, "[^breath]:", "[^breathe]:", f"{FIRST}:11",
                           "the footnote [^breath] has no definition"),
    "raw html": (FIRST, "- Take a short walk.", '- Take a <b onclick="x()">short</b> walk.', f"{FIRST}:9",
                 "raw HTML (<b onclick=\"x()\">) is not allowed"),
    "raw html block": (FIRST, "## A section with a list", "<div>\nhello\n</div>", f"{FIRST}:7",
                       "raw HTML is not allowed"),
    "image missing": (FIRST, "../images/circle.svg", "../images/cirle.svg", f"{FIRST}:18",
                      "the image ../images/cirle.svg does not exist"),
    "image no alt": (FIRST, "![A simple diagram of a circle]", "![]", f"{FIRST}:18",
                     "the image ../images/circle.svg has no alt text"),
    "image remote": (FIRST, "../images/circle.svg", "https://example.com/c.svg", f"{FIRST}:18",
                     "the image https://example.com/c.svg is a remote or special URL"),
    "image outside": (FIRST, "../images/circle.svg", "../../secret.png", f"{FIRST}:18",
                      'the image "secret.png" is outside the book and brand folders'),
}


@pytest.mark.parametrize("case", CASES)
def test_mistake_is_reported_at_its_line(tmp_path, case):
    file, old, new, where, message = CASES[case]
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    (tmp_path / "secret.png").write_bytes(b"not for the book")
    if old is None:
        (book / file).write_text(new)
    else:
        _edit(book, file, old, new)
    out = tmp_path / "out"
    out.mkdir()
    (out / "small-test-book.pdf").write_bytes(b"the previous handout")
    result = run_cli("build", "--book", "book", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert any(line.startswith(f"book/{where}: error: ") and message in line for line in errors), result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["small-test-book.pdf"]
    assert (out / "small-test-book.pdf").read_bytes() == b"the previous handout"


def test_unknown_css_in_a_brand_is_an_error_at_its_line(tmp_path):
    brand = tmp_path / "brand"
    (brand / "styles").mkdir(parents=True)
    (brand / "brand.toml").write_text('name = "Clinic"\n')
    (brand / "styles" / "extra.css").write_text("h1 { color: #222222; }\nh2 { colr: red; }\n")
    result = run_cli("check", "--book", str(FIXTURES / "small"), "--brand", str(brand))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"styles/extra\.css:2: error: WeasyPrint cannot use this CSS: Ignored `colr: red`",
                     result.stderr), result.stderr


WARNINGS = {
    "reference never cited": ("references.json", "[\n", '[\n  {"id": "unused2020", "type": "book", "title": "Unused"},\n',
                              "references.json:2", 'the reference "unused2020" is never cited'),
    "footnote never used": (FIRST, "[^breath]: Slow", "[^spare]: Spare note.\n\n[^breath]: Slow",
                            f"{FIRST}:13", "the footnote [^spare] is defined but never used"),
    "footnote too long": (FIRST, "[^breath]: Slow breathing", "[^breath]: " + "Slow breathing helps. " * 40,
                          f"{FIRST}:13", "this footnote is 914 characters long"),
    "review overdue": ("book.toml", "next_review = 2028-02-01", "next_review = 2026-03-01", "book.toml:7",
                       "the next review date 2026-03-01 has passed"),
}


@pytest.mark.parametrize("case", WARNINGS)
def test_warning_does_not_stop_the_build_unless_strict(tmp_path, case):
    file, old, new, where, message = WARNINGS[case]
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    _edit(book, file, old, new)
    result = run_cli("check", "--book", "book", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"book/{where}: warning: {message}" in result.stderr
    strict = run_cli("check", "--book", "book", "--strict", cwd=tmp_path)
    assert strict.returncode == 1 and f"book/{where}: error: {message}" in strict.stderr


def test_chapter_text_is_never_a_template(tmp_path):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    _edit(book, FIRST, "Breathe slowly.", "Breathe slowly {{ 7*7 }} {% if true %}x{% endif %}.")
    result = run_cli("build", "--book", "book", "--out", "out", "--format", "html", "--format", "epub",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "small-test-book.html").read_text()
    assert "Breathe slowly {{ 7*7 }} {% if true %}x{% endif %}." in html and "slowly 49" not in html
