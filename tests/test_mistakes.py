"""A nurse's mistakes and a tester's environment problems: each is an error or warning at the right
line, in plain words, exit 1 (or 0 for a warning), never a traceback, never silent, OUT untouched."""
from __future__ import annotations

import os
import stat

import pytest

from conftest import FIXTURES, ROOT, copy_book, run_cli

FIRST = "chapters/01-first.md"


def _book(tmp_path):
    return copy_book(FIXTURES / "small", tmp_path / "book")


def _replace(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _check(tmp_path, *args):
    result = run_cli("check", "--book", "book", *args, cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    return result


SILENT = {   # a chapter edit -> (severity, line, words in the message)
    "unknown callout": ("> [!WARNING]", "> [!WARN]", "error", 15, "[!WARN] is not a callout kind"),
    "callout typo": ("> [!WARNING]", "> [!WARNNG]", "error", 15, "did you mean [!WARNING]?"),
    "forgotten @": ("[@lee2019]", "[lee2019]", "error", 10, "write [@lee2019]"),
    "forgotten @ twice": ("[@lee2019]", "[lee2019; smith2020]", "error", 10, "write [@lee2019; @smith2020]"),
    "# heading": ("## A section with a list", "# A section with a list", "warning", 7,
                  "the chapter's title (in its front matter) is its heading"),
    "note inside a note": ("[^breath]: Slow breathing means", "[^breath]: Slow[^breath] breathing means",
                           "error", 13, "a note inside a note"),
    "footnote defined twice": ("[^breath]: Slow", "[^breath]: Twice.\n\n[^breath]: Slow", "error", 15,
                               "defined twice"),
    "citation in a heading": ("## A section with a list", "## A section [@lee2019]", "error", 7,
                              "a citation in a heading"),
    "citation in link text": ("Breathe slowly.", "[Breathe [@lee2019]](https://example.org) slowly.",
                              "error", 11, "a citation in a link's text"),
    "citation in alt text": ("![A simple diagram of a circle]", "![A circle [@lee2019]]", "error", 18,
                             "a citation in an image's alt text"),
    "a list in a footnote": ("[^breath]: Slow breathing means about six breaths a minute.",
                             "[^breath]: Slow breathing:\n\n    - in\n    - out", "error", 13,
                             "a footnote can hold only sentences"),
    "an image in a footnote": ("[^breath]: Slow breathing means", "[^breath]: ![a circle](../images/circle.svg) Slow",
                               "error", 13, "a footnote cannot hold an image"),
    "undefined footnote, near name": ("[^breath]: Slow", "[^breathe]: Slow", "error", 11,
                                      "did you mean [^breathe]?"),
}


@pytest.mark.parametrize("case", SILENT)
def test_nothing_is_silent(tmp_path, case):
    old, new, severity, line, words = SILENT[case]
    book = _book(tmp_path)
    _replace(book / FIRST, old, new)
    result = _check(tmp_path)
    assert result.returncode == (1 if severity == "error" else 0), result.stderr
    expected = f"book/{FIRST}:{line}: {severity}: "
    assert any(l.startswith(expected) and words in l for l in result.stderr.splitlines()), result.stderr


def test_citations_nested_deeper_than_the_parser_keeps_are_not_lost(tmp_path):
    book = _book(tmp_path)
    _replace(book / FIRST, "Breathe slowly.", "Breathe slowly.\n\n" + "> " * 45 + "Deep [@lee2019].")
    result = _check(tmp_path)
    assert result.returncode == 1 and "nested more than 40 deep" in result.stderr, result.stderr


def test_thirty_nested_quotes_keep_their_citation(tmp_path):
    book = _book(tmp_path)
    _replace(book / FIRST, "Breathe slowly.", "Breathe slowly.\n\n" + "> " * 30 + "Deep [@lee2019].")
    result = _check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "8 notes" in result.stdout


def test_a_chapter_listed_twice_is_an_error(tmp_path):
    book = _book(tmp_path)
    _replace(book / "book.toml", 'title = "Small Test Book"',
             'title = "Small Test Book"\nchapters = ["chapters/01-first.md", "chapters/01-first.md"]')
    result = _check(tmp_path)
    assert result.returncode == 1 and 'book/book.toml:2: error: the chapter "chapters/01-first.md" is listed twice' \
        in result.stderr, result.stderr


def test_a_word_too_long_for_the_line_is_broken_not_lost(tmp_path):
    book = _book(tmp_path)
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 4
    _replace(book / FIRST, "Breathe slowly.", f"Breathe {word} slowly.")
    result = run_cli("build", "--book", "book", "--out", "out", "--format", "pdf", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    import pdfplumber
    with pdfplumber.open(tmp_path / "out" / "small-test-book.pdf") as pdf:
        page = pdf.pages[0]
        text = "".join((p.extract_text() or "") for p in pdf.pages).replace("\n", "")
        assert all(c["x1"] <= page.width - 40 for p in pdf.pages for c in p.chars)   # nothing off the page
    assert word in text


def test_out_inside_the_book_is_an_error(tmp_path):
    _book(tmp_path)
    result = run_cli("build", "--book", "book", "--out", "book/dist", cwd=tmp_path)
    assert result.returncode == 1 and "the output folder is inside the book folder" in result.stderr


ENVIRONMENT = {
    "OUT is a file": lambda out: out.write_text("x"),
    "an output path is a folder": lambda out: (out / "small-test-book.pdf").mkdir(parents=True),
    "the state file is a folder": lambda out: (out / ".docbuild-state.json").mkdir(parents=True),
    "the state file is corrupt": lambda out: (out.mkdir(), (out / ".docbuild-state.json").write_text("{nope")),
}


@pytest.mark.parametrize("case", ENVIRONMENT)
def test_output_problems_are_errors_not_tracebacks(tmp_path, case):
    _book(tmp_path)
    out = tmp_path / "out"
    ENVIRONMENT[case](out)
    result = run_cli("build", "--book", "book", "--out", "out", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr
    if case == "the state file is corrupt":   # a broken record only means: build again
        assert result.returncode == 0 and (out / "small-test-book.pdf").exists()
    else:
        assert result.returncode == 1 and ": error: " in result.stderr
        assert not (out.is_dir() and (out / "small-test-book.epub").exists())


@pytest.fixture
def mounted(tmp_path):
    """A small tmpfs of our own: read-only, or nearly full, as a clinic's shared drive can be."""
    import subprocess
    mounts = []

    def mount(options: str):
        point = tmp_path / f"mnt{len(mounts)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounts.append(point)
        return point
    yield mount
    for point in mounts:
        subprocess.run(["umount", str(point)], check=False)


def test_a_read_only_out_is_an_error(tmp_path, mounted):
    _book(tmp_path)
    out = mounted("ro,size=1m")
    result = run_cli("build", "--book", "book", "--out", str(out), "--format", "epub", cwd=tmp_path)
    assert result.returncode == 1 and "read-only" in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_full_disk_is_an_error_and_leaves_no_partial_file(tmp_path, mounted):
    _book(tmp_path)
    out = mounted("size=64k")
    (out / "small-test-book.epub").write_bytes(b"previous")
    result = run_cli("build", "--book", "book", "--out", str(out), "--format", "epub", cwd=tmp_path)
    assert result.returncode == 1 and "the disk is full" in result.stderr and "Traceback" not in result.stderr
    assert [p.name for p in out.iterdir()] == ["small-test-book.epub"]
    assert (out / "small-test-book.epub").read_bytes() == b"previous"


def test_a_slug_too_long_for_a_file_name_is_reported_by_check(tmp_path):
    book = _book(tmp_path)
    _replace(book / "book.toml", 'title = "Small Test Book"', 'title = "Small Test Book"\nslug = "' + "a" * 99 + '"')
    result = _check(tmp_path)
    assert result.returncode == 0   # 99 characters fit
    _replace(book / "book.toml", 'title = "Small Test Book"', 'title = "' + "Long title " * 30 + '"')
    _replace(book / "book.toml", 'slug = "' + "a" * 99 + '"\n', "")
    result = run_cli("build", "--book", "book", "--out", "out", "--format", "html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr   # the slug made from a long title is cut to 100 characters


@pytest.mark.parametrize("where", ["nowhere/brand", "file"])
def test_new_brand_into_a_bad_place_is_an_error(tmp_path, where):
    target = tmp_path / where
    if where == "file":
        target.write_text("x")
    else:
        (tmp_path / "nowhere").write_text("a file where a folder is needed")
    result = run_cli("new-brand", str(target))
    assert result.returncode == 1 and ": error: " in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("file", ["chapters/01-first.md", "book.toml"])
def test_a_byte_order_mark_is_accepted(tmp_path, file):
    book = _book(tmp_path)
    path = book / file
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = _check(tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_bom_in_brand_toml_is_accepted(tmp_path):
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "brand.toml").write_bytes(b'\xef\xbb\xbfname = "Clinic"\n')
    result = run_cli("check", "--brand", str(brand))
    assert result.returncode == 0, result.stderr


def test_several_brands_write_nothing_unless_all_succeed(tmp_path):
    bad = tmp_path / "bad"
    (bad / "templates" / "parts").mkdir(parents=True)
    (bad / "brand.toml").write_text('name = "Bad"\n')
    (bad / "templates" / "parts" / "title_page.html").write_text("{{ 1 // 0 }}")
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(ROOT / "brands" / "harbour"),
                     "--brand", str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "title_page.html:1: error" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.pdf"))


def test_several_editions_write_nothing_unless_all_succeed(tmp_path):
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--edition", "standard", "--edition", "huge",
                     "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and '"huge" is not an edition' in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_two_brand_packs_with_the_same_folder_name_are_an_error(tmp_path):
    for parent in ("a", "b"):
        (tmp_path / parent / "clinic").mkdir(parents=True)
        (tmp_path / parent / "clinic" / "brand.toml").write_text(f'name = "Clinic {parent}"\n')
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(tmp_path / "a" / "clinic"),
                     "--brand", str(tmp_path / "b" / "clinic"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and 'two brand packs are named "clinic"' in result.stderr


def test_a_partial_contact_table_builds(tmp_path):
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "brand.toml").write_text('name = "Clinic"\n[contact]\nphone = "+44 1234"\n')
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(brand), "--out", str(tmp_path / "out"),
                     "--format", "html")
    assert result.returncode == 0, result.stderr
    assert "+44 1234" in (tmp_path / "out" / "small-test-book.html").read_text()


MESSAGES = {
    "yaml colon": (FIRST, "title: The first chapter", "title: Stress: what it does", 2, "put the whole value in quotes"),
    "toml single quotes": ("book.toml", 'language = "en"', "language = 'English!'", 3, "is not a BCP 47 language tag"),
}


@pytest.mark.parametrize("case", MESSAGES)
def test_messages_a_nurse_understands(tmp_path, case):
    file, old, new, line, words = MESSAGES[case]
    book = _book(tmp_path)
    _replace(book / file, old, new)
    result = _check(tmp_path)
    assert result.returncode == 1
    assert any(l.startswith(f"book/{file}:{line}: error: ") and words in l for l in result.stderr.splitlines()), \
        result.stderr


def test_toml_dotted_keys_point_at_their_line(tmp_path):
    brand = tmp_path / "brand"
    brand.mkdir()
    (brand / "brand.toml").write_text('name = "Clinic"\n\ncolors.primary = "#eeeeee"\n')
    result = run_cli("check", "--brand", str(brand))
    assert result.returncode == 1 and "brand.toml:3: error: the colour primary" in result.stderr, result.stderr


def test_one_broken_file_does_not_hide_the_others(tmp_path):
    book = _book(tmp_path)
    _replace(book / "references.json", '"id": "lee2019",', '"id": "lee2019"')
    _replace(book / FIRST, "> [!WARNING]", "> [!WARN]")
    _replace(book / "book.toml", 'language = "en"', 'language = "English!"')
    result = _check(tmp_path)
    errors = [l for l in result.stderr.splitlines() if ": error: " in l]
    assert len(errors) == 3, result.stderr
    assert errors == sorted(errors)
