"""The command line as a user runs it: a good build, user errors, usage errors, reproducible output."""
from __future__ import annotations

import re
import shutil

import pytest

from conftest import FIXTURES, ROOT, copy_book, run_cli, run_fresh


def test_good_build_reports_each_file(tmp_path):
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--out", str(tmp_path / "new" / "out"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"wrote .*small-test-book\.pdf \(\d+ KB, \d pages\)", lines[0])
    assert re.fullmatch(r"wrote .*small-test-book\.epub \(\d+ KB\)", lines[1])
    files = sorted(p.name for p in (tmp_path / "new" / "out").iterdir() if not p.name.startswith("."))
    assert files == ["small-test-book.epub", "small-test-book.pdf"]
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in (tmp_path / "new" / "out").iterdir())


def test_default_command_builds_book_into_dist(tmp_path):
    shutil.copytree(FIXTURES / "small", tmp_path / "book")
    result = run_fresh(cwd=tmp_path)   # the README's `python make_docs.py`, from a new interpreter
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "dist" / "small-test-book.pdf").stat().st_size > 10_000
    assert (tmp_path / "dist" / "small-test-book.epub").stat().st_size > 10_000


def test_check_validates_without_writing(tmp_path):
    result = run_cli("check", "--book", str(FIXTURES / "small"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 2 chapters, 7 notes, 3 references cited")
    assert list(tmp_path.iterdir()) == []


def test_two_builds_are_byte_identical(tmp_path):
    for out in ("a", "b"):   # two interpreters, two hash seeds: no output may depend on set order
        result = run_fresh("build", "--book", str(FIXTURES / "small"), "--out", str(tmp_path / out))
        assert result.returncode == 0, result.stderr
    for name in ("small-test-book.pdf", "small-test-book.epub"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


BROKEN = [
    ("chapters/01-first.md", "[@smith2020]", "[@smyth2020]", "chapters/01-first.md:4: error: ",
     'the citation key "@smyth2020" is not in references.json; did you mean @smith2020?'),
    ("chapters/01-first.md", "(../images/circle.svg", "(../images/square.svg", "chapters/01-first.md:18: error: ",
     "the image ../images/square.svg does not exist"),
    ("book.toml", 'language = "en"', "language = 3", "book.toml:3: error: ",
     '"language" must be text in quotes, not the number 3'),
    ("book.toml", 'language = "en"', 'langauge = "en"', "book.toml:3: error: ",
     'unknown key "langauge"; the valid keys here are: title, subtitle, language'),
    ("references.json", '"id": "lee2019",', '"id": "lee2019"', "references.json:20: error: ",
     "not valid JSON: a comma is missing after this value"),
    ("chapters/02-second.md", "[^last]: A plain", "[^lost]: A plain", "chapters/02-second.md:12: error: ",
     "the footnote [^last] has no definition"),
]


@pytest.mark.parametrize("file,old,new,where,message", BROKEN)
def test_user_error_exits_1_at_file_and_line_and_keeps_out(tmp_path, file, old, new, where, message):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    out = tmp_path / "out"
    assert run_cli("build", "--book", str(book), "--out", str(out)).returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    path = book / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = run_cli("build", "--book", "book", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = next(l for l in result.stderr.splitlines() if "error:" in l)
    assert line.startswith("book/" + where) and message in line, result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_every_error_is_reported_in_one_run(tmp_path):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    chapter = book / "chapters" / "01-first.md"
    chapter.write_text(chapter.read_text().replace("[@smith2020]", "[@nope]").replace("[@lee2019]", "[@]")
                       .replace("[@guide2021]", "[@guide2012]"))
    result = run_cli("check", "--book", "book", cwd=tmp_path)
    errors = [l for l in result.stderr.splitlines() if ": error: " in l]
    assert result.returncode == 1 and len(errors) == 3
    assert errors == sorted(errors, key=lambda l: int(l.split(":")[1]))


@pytest.mark.parametrize("args", [("build", "--format", "docx"), ("frobnicate",), ("build", "--nope")])
def test_usage_error_exits_2(args):
    result = run_cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "Usage:" in result.stderr


def test_remote_stylesheet_in_a_brand_is_refused(tmp_path):
    brand = tmp_path / "brand"
    (brand / "styles").mkdir(parents=True)
    (brand / "brand.toml").write_text('name = "Test Clinic"\n')
    (brand / "styles" / "extra.css").write_text('@import url("http://example.com/x.css");\n'
                                                 'body { color: #111111; }\n')
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(brand), "--out",
                     str(tmp_path / "out"), "--format", "pdf")
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert "extra.css:1: error: http://example.com/x.css cannot be used" in result.stderr, result.stderr
    assert not (tmp_path / "out" / "small-test-book.pdf").exists()


def test_unchanged_inputs_are_not_rebuilt_until_something_changes(tmp_path):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    args = ("build", "--book", "book", "--out", "out", "--timings")
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0 and re.search(r"timings: check [\d.]+ s, render [\d.]+ s, write [\d.]+ s", first.stderr)
    pdf = tmp_path / "out" / "small-test-book.pdf"
    stamp = pdf.stat().st_mtime_ns
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.startswith("up to date: ") and pdf.stat().st_mtime_ns == stamp
    forced = run_cli(*args, "--force", cwd=tmp_path)
    assert forced.stdout.startswith("wrote ") and pdf.stat().st_mtime_ns != stamp
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text().replace("Keep moving.", "Keep moving gently."))
    changed = run_cli(*args, cwd=tmp_path)
    assert changed.stdout.startswith("wrote ")
    pdf.unlink()
    assert run_cli(*args, cwd=tmp_path).stdout.startswith("wrote ") and pdf.exists()


def test_several_brands_build_into_their_own_folders(tmp_path):
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(ROOT / "brands" / "riverside"),
                     "--brand", str(ROOT / "brands" / "harbour"), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for brand in ("riverside", "harbour"):
        assert (tmp_path / brand / "small-test-book.pdf").exists()
        assert (tmp_path / brand / "small-test-book.epub").exists()
    assert len([l for l in result.stdout.splitlines() if l.startswith("wrote ")]) == 4


def test_several_brands_report_every_brand_error(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "brand.toml").write_text('name = "Bad"\npage_size = "A3"\n')
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(bad),
                     "--brand", str(ROOT / "brands" / "harbour"), "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "bad/brand.toml:2: error: " in result.stderr


def test_several_editions_in_one_folder_are_each_up_to_date(tmp_path):
    args = ("build", "--book", str(FIXTURES / "small"), "--out", str(tmp_path), "--format", "pdf",
            "--edition", "standard", "--edition", "large-print")
    assert run_cli(*args).returncode == 0
    again = run_cli(*args)
    assert again.returncode == 0 and "wrote" not in again.stdout, again.stdout
    assert "small-test-book.pdf" in again.stdout and "small-test-book-large-print.pdf" in again.stdout
