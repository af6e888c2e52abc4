"""The catalogue: many books × brands built as one job, incrementally, on a local process pool and on
a Dask cluster, every error reported, a failed book's old files kept, and the governance index."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import pty
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, ROOT, run_cli
from docbuild import catalogue as cat
from docbuild import governance
from docbuild.errors import Collector

CATALOGUE = FIXTURES / "catalogue"
BOOKS = {"alpha": "Alpha: sleep and back pain", "beta": "Beta: moving with pain", "gamma": "Gamma: stress"}


def _make_book(folder: Path, title: str, overdue: bool = False) -> Path:
    shutil.copytree(FIXTURES / "small", folder)
    toml = folder / "book.toml"
    text = toml.read_text().replace('title = "Small Test Book"', f'title = "{title}"')
    if overdue:
        text = text.replace("reviewed = 2026-02-01", "reviewed = 2020-02-01")
        text = text.replace("next_review = 2028-02-01", "next_review = 2021-02-01")
        text = text.replace("published = 2026-01-10", "published = 2020-01-10")
    toml.write_text(text)
    return folder


def _library(root: Path, catalogue_text: str | None = None) -> Path:
    """A catalogue folder: catalogue.toml, books/alpha, beta, gamma (gamma overdue for review) and
    copies of the riverside and harbour brands (so that a test may change one)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "catalogue.toml").write_text(catalogue_text or (CATALOGUE / "catalogue.toml").read_text())
    for name, title in BOOKS.items():
        _make_book(root / "books" / name, title, overdue=name == "gamma")
    for brand in ("riverside", "harbour"):
        shutil.copytree(ROOT / "brands" / brand, root / "brands" / brand)
    return root


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", BOOKS[name].lower()).strip("-")


def _outputs(out: Path) -> dict[str, int]:
    """Every output file under OUT (not the index or state files) -> its mtime."""
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*.pdf")}


def _build(library: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("build", "--catalogue", str(library / "catalogue.toml"), "--out", str(out), *extra)


def _touch_chapter(book: Path) -> None:
    chapter = book / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text() + "\nOne more plain sentence for this chapter.\n")


# ---- building and rebuilding ------------------------------------------------------------------

def test_a_catalogue_builds_every_book_and_brand_then_only_what_changed(tmp_path):
    library, out = _library(tmp_path / "lib"), tmp_path / "out"
    result = _build(library, out)
    assert result.returncode == 0, result.stderr
    expected = {f"{brand}/{_slug(name)}.pdf" for brand in ("riverside", "harbour") for name in BOOKS}
    first = _outputs(out)
    assert set(first) == expected
    lines = [line for line in result.stdout.splitlines() if line.startswith("wrote ")]
    assert len(lines) == 6 + 1   # one line a file, then the summary
    for line in lines[:-1]:
        match = re.fullmatch(r"wrote (.+\.pdf) \(\d+ KB, (\d+) pages\)", line)
        assert match, line
        assert len(PdfReader(match.group(1)).pages) == int(match.group(2))
    assert (out / "index.html").is_file() and (out / "index.csv").is_file()

    again = _build(library, out)   # nothing changed: checks run, nothing is rendered
    assert again.returncode == 0, again.stderr
    assert "wrote no files, 6 up to date" in again.stdout and _outputs(out) == first

    _touch_chapter(library / "books" / "beta")
    third = _build(library, out)
    assert third.returncode == 0, third.stderr
    changed = {name for name, mtime in _outputs(out).items() if mtime != first[name]}
    assert changed == {f"riverside/{_slug('beta')}.pdf", f"harbour/{_slug('beta')}.pdf"}

    second = _outputs(out)
    brand = library / "brands" / "harbour" / "brand.toml"
    brand.write_text(brand.read_text().replace('primary = "#1e5c3a"', 'primary = "#1e4c3a"'))
    fourth = _build(library, out)
    assert fourth.returncode == 0, fourth.stderr
    changed = {name for name, mtime in _outputs(out).items() if mtime != second[name]}
    assert changed == {f"harbour/{_slug(name)}.pdf" for name in BOOKS}


def test_what_is_stale_follows_the_inputs_a_shared_template_makes_everything_stale(tmp_path, monkeypatch):
    library, out = _library(tmp_path / "lib"), tmp_path / "out"
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    monkeypatch.setattr("docbuild.theme.TEMPLATES", templates)
    catalogue = cat.load_catalogue(library / "catalogue.toml", Collector())

    def stamps() -> dict[str, str]:
        return {unit.key: [p.stamp for p in unit.parts] for entry in cat.check_all(catalogue, out, False)
                for unit in entry.units}

    before = stamps()
    assert len(before) == 6 and stamps() == before
    _touch_chapter(library / "books" / "alpha")
    after_chapter = stamps()
    assert {k for k in before if before[k] != after_chapter[k]} == {f"{b}/{_slug('alpha')}" for b in
                                                                    ("riverside", "harbour")}
    (library / "brands" / "riverside" / "styles" / "riverside.css").write_text("h1 { letter-spacing: 0; }\n")
    after_brand = stamps()
    assert {k for k in before if after_chapter[k] != after_brand[k]} == {f"riverside/{_slug(n)}" for n in BOOKS}
    part = templates / "parts" / "contact.html"
    part.write_text(part.read_text() + "\n")
    after_template = stamps()
    assert all(after_template[k] != after_brand[k] for k in before)


def test_each_brand_pack_is_loaded_and_checked_once_for_all_the_books(tmp_path, monkeypatch):
    library = _library(tmp_path / "lib")
    catalogue = cat.load_catalogue(library / "catalogue.toml", Collector())
    from docbuild import inputs
    loaded = []
    real = inputs.load_brand
    monkeypatch.setattr(inputs, "load_brand", lambda folder, errors: loaded.append(folder.name) or real(folder, errors))
    entries = cat.check_all(catalogue, tmp_path / "out", False)
    assert sorted(loaded) == ["harbour", "riverside"]   # not once a book
    assert len({id(t) for entry in entries for t in entry.checked.themes}) == 2

    brand_css = library / "brands" / "harbour" / "styles" / "harbour.css"
    brand_css.write_text(brand_css.read_text() + "\np { colour: red; }\n")
    loaded.clear()
    entries = cat.check_all(catalogue, tmp_path / "out", False)
    assert sorted(loaded) == ["harbour", "riverside"]
    for entry in entries:   # each book still reports what the brand's one check found
        assert [p.location.line for p in entry.problems if p.location.path.endswith("harbour.css")] == \
            [len(brand_css.read_text().splitlines())], entry.problems


def test_each_edition_is_rebuilt_only_when_its_own_inputs_changed_and_every_file_is_in_the_index(tmp_path):
    text = 'books = ["books/alpha"]\nbrands = ["brands/harbour"]\nformats = ["pdf"]\n'
    library, out = _library(tmp_path / "lib", text + 'editions = ["standard", "booklet"]\n'), tmp_path / "out"
    assert _build(library, out).returncode == 0
    first = _outputs(out)
    (library / "catalogue.toml").write_text(text + 'editions = ["standard", "large-print", "booklet"]\n')
    result = _build(library, out)
    assert result.returncode == 0, result.stderr
    slug = _slug("alpha")
    assert {n for n, mtime in _outputs(out).items() if first.get(n) != mtime} == {f"harbour/{slug}-large-print.pdf"}
    files = sorted(p.name for p in (out / "harbour").glob("*.pdf"))
    assert files == sorted(f"{slug}{end}.pdf" for end in ("", "-large-print", "-booklet", "-a5"))
    for name in files:
        data = (out / "harbour" / name).read_bytes()
        assert governance.pdf_pages(data) == len(PdfReader(io.BytesIO(data)).pages), name
    [row] = list(csv.DictReader((out / "index.csv").open()))
    assert row["editions"] == "standard large-print booklet"
    assert sorted(row["files"].split()) == sorted(f"harbour/{name}" for name in files)
    again = _build(library, out)
    assert "wrote no files, 3 up to date" in again.stdout, again.stdout


def test_several_book_options_build_a_catalogue_with_the_neutral_brand(tmp_path):
    alpha = _make_book(tmp_path / "alpha", BOOKS["alpha"])
    beta = _make_book(tmp_path / "beta", BOOKS["beta"])
    out = tmp_path / "out"
    result = run_cli("build", "--book", str(alpha), "--book", str(beta), "--format", "pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert set(_outputs(out)) == {f"default/{_slug('alpha')}.pdf", f"default/{_slug('beta')}.pdf"}
    assert (out / "index.html").is_file()


# ---- failures ---------------------------------------------------------------------------------

def _break(library: Path) -> list[str]:
    """Errors in two books, in several files; returns the books' expected error line prefixes."""
    beta, gamma = library / "books" / "beta", library / "books" / "gamma"
    for book, old, new in ((beta, "[@smith2020]", "[@smyth2020]"), (gamma, "[@lee2019]", "[@leigh2019]")):
        chapter = book / "chapters" / "01-first.md"
        chapter.write_text(chapter.read_text().replace(old, new))
    (beta / "book.toml").write_text((beta / "book.toml").read_text().replace('language = "en"', "language = 3"))
    return ["books/beta/book.toml:3: error:", "books/beta/chapters/01-first.md:4: error:",
            "books/gamma/chapters/01-first.md:10: error:"]


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line]


def test_a_failing_book_stops_new_work_and_keep_going_builds_the_others(tmp_path):
    library, out = _library(tmp_path / "lib"), tmp_path / "out"
    assert _build(library, out).returncode == 0
    first = _outputs(out)
    _touch_chapter(library / "books" / "alpha")
    expected = _break(library)

    stopped = _build(library, out)
    assert stopped.returncode == 1 and "Traceback" not in stopped.stderr
    errors = _errors(stopped.stderr)
    assert errors == sorted(errors) and len(errors) == 3
    assert all(any(e.startswith(p) or f"/{p}" in e for e in errors) for p in expected), errors
    assert _outputs(out) == first            # alpha was stale, but no new work started

    going = _build(library, out, "--keep-going")
    assert going.returncode == 1 and _errors(going.stderr) == errors
    changed = {name for name, mtime in _outputs(out).items() if mtime != first[name]}
    assert changed == {f"riverside/{_slug('alpha')}.pdf", f"harbour/{_slug('alpha')}.pdf"}
    rows = {(r["slug"], r["brand"]): r for r in csv.DictReader((out / "index.csv").open())}
    assert rows[_slug("beta"), "harbour"]["problem"].startswith("not rebuilt")
    assert rows[_slug("beta"), "harbour"]["files"] == f"harbour/{_slug('beta')}.pdf"   # the old file, kept


def test_a_failure_while_rendering_keeps_that_books_old_files(tmp_path):
    library, out = _library(tmp_path / "lib"), tmp_path / "out"
    assert _build(library, out).returncode == 0
    first = _outputs(out)
    _touch_chapter(library / "books" / "alpha")
    _touch_chapter(library / "books" / "beta")
    shutil.copytree(CATALOGUE / "broken-brand", library / "brands" / "broken")
    catalogue = cat.load_catalogue(library / "catalogue.toml", Collector())
    catalogue = replace(catalogue, books=catalogue.books[:2],
                            brands=(*catalogue.brands, library / "brands" / "broken"))
    report = cat.build_catalogue(catalogue, out, keep_going=True)
    assert report.failed and report.written == []
    [problem] = {p for p in report.problems if p.severity == "error"}
    assert problem.location.path.endswith("brands/broken/templates/parts/title_page.html")
    assert problem.location.line == 2 and "no_such_variable" in problem.message
    assert _outputs(out) == first   # alpha and beta failed with the broken brand: none of their files changed


def test_catalogue_mistakes_are_errors_at_their_lines(tmp_path):
    library = _library(tmp_path / "lib")
    (library / "catalogue.toml").write_text('title = "T"\nbooks = [\n  "books/alpha",\n  "books/nothing",\n]\n'
                                            'brand = ["brands/riverside"]\nformats = ["pdf", "docx"]\n')
    result = _build(library, tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    errors = _errors(result.stderr)
    assert [e.split(": error: ")[0].rsplit(":", 1)[1] for e in errors] == ["4", "6", "7"], errors
    assert 'the folder "books/nothing" does not exist' in errors[0]
    assert 'unknown key "brand"; the valid keys here are: title, books, brands' in errors[1]
    assert '"docx" is not a format' in errors[2]
    assert not (tmp_path / "out").exists()
    wrong = run_cli("build", "--catalogue", str(library / "catalogue.toml"), "--executor", "spark://x")
    assert wrong.returncode == 2 and "--executor" in wrong.stderr


# ---- governance -------------------------------------------------------------------------------

def test_the_index_lists_overdue_reviews_first_marked_and_escaped(tmp_path):
    library, out = _library(tmp_path / "lib"), tmp_path / "out"
    title = (library / "books" / "beta" / "book.toml")
    title.write_text(title.read_text().replace(BOOKS["beta"], "=Beta <b>bold</b> & more"))
    catalogue = cat.load_catalogue(library / "catalogue.toml", Collector())
    report = cat.build_catalogue(catalogue, out, today=dt.date(2026, 12, 1))
    assert not report.failed, report.problems
    rows = list(csv.DictReader((out / "index.csv").open()))
    assert [r["status"] for r in rows[:2]] == ["overdue", "overdue"] and rows[0]["slug"] == _slug("gamma")
    assert {r["status"] for r in rows[2:]} == {"ok"} and len(rows) == 6
    beta = next(r for r in rows if r["title"].startswith("'="))      # a formula would not run
    assert beta["title"] == "'=Beta <b>bold</b> & more" and float(beta["reading_grade"]) < 12
    assert int(beta["pages"]) == len(PdfReader(out / beta["files"]).pages)
    html = (out / "index.html").read_text()
    first_row = html.split('<tr class="')[2]
    assert first_row.startswith("overdue") and "OVERDUE by 2129 days" in first_row
    assert "=Beta &lt;b&gt;bold&lt;/b&gt; &amp; more" in html and "<b>bold" not in html
    assert "Clinic handouts &lt;all&gt;" in html


def test_check_warns_for_every_overdue_review(tmp_path):
    library = _library(tmp_path / "lib")
    result = run_cli("check", "--catalogue", str(library / "catalogue.toml"))
    assert result.returncode == 0, result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "has passed" in line]
    assert re.search(r"books/gamma/book\.toml:\d+: warning: the next review date 2021-02-01 has passed", warning)
    assert "ok: 3 books × 2 brands checked; 1 review overdue" in result.stdout
    strict = run_cli("check", "--catalogue", str(library / "catalogue.toml"), "--strict")
    assert strict.returncode == 1 and "error: the next review date 2021-02-01 has passed" in strict.stderr


def test_pages_are_counted_without_reading_every_object(built):
    for path in (built["small"]["pdf"], built["default"]["pdf"]):
        data = path.read_bytes()
        assert governance.pdf_pages(data) == len(PdfReader(io.BytesIO(data)).pages)
    # the page tree is a dictionary with no dictionary inside it, wherever /Type /Pages stands
    assert governance._page_trees(b"1 0 obj << /Kids [2 0 R] /Type /Pages /Count 3 >> endobj") == \
        [b"<< /Kids [2 0 R] /Type /Pages /Count 3 >>"]
    assert governance._page_trees(b"<< /A << /Type /Pages /Count 9 >> >>") == [b"<< /Type /Pages /Count 9 >>"]
    assert governance._page_trees(b"<< /Type /Pages /R << >> /Count 5 >>") == []
    assert governance._page_trees(b"<< /X >> /Type /Pages /Count 5 >>") == []
    assert governance.review_status(dt.date(2026, 1, 1), dt.date(2026, 1, 2), 30) == ("overdue", -1)
    assert governance.review_status(dt.date(2026, 1, 20), dt.date(2026, 1, 2), 30) == ("due soon", 18)


# ---- the terminal -----------------------------------------------------------------------------

def test_a_terminal_gets_a_progress_bar_instead_of_a_line_per_file(tmp_path):
    import tqdm  # noqa: F401  (a dependency)
    book = _make_book(tmp_path / "alpha", BOOKS["alpha"])
    other = _make_book(tmp_path / "beta", BOOKS["beta"])
    command = [sys.executable, str(ROOT / "make_docs.py"), "build", "--book", str(book), "--book", str(other),
               "--format", "pdf", "--out", str(tmp_path / "out")]
    pid, fd = pty.fork()
    if pid == 0:   # the child runs the build on a terminal (of no known width: the bar takes 80)
        os.chdir(ROOT)
        os.execv(sys.executable, command)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    text = b"".join(chunks).decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert re.search(r"building.*\d+/2", text) and "wrote 2 files" in text
    assert not re.search(r"^wrote .*\.pdf \(", text, re.M)


# ---- on a Dask cluster ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster():
    import distributed   # the [cluster] extra, installed by the README's set-up command
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local.scheduler_address.removeprefix("tcp://")


def test_a_dask_cluster_builds_the_same_files_from_the_files_bytes(tmp_path, cluster):
    library = _library(tmp_path / "lib")
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert _build(library, local).returncode == 0
    result = _build(library, remote, "--executor", f"dask://{cluster}")
    assert result.returncode == 0, result.stderr
    assert set(_outputs(remote)) == set(_outputs(local))
    for name in _outputs(local):
        assert (remote / name).read_bytes() == (local / name).read_bytes(), name
    again = _build(library, remote, "--executor", f"dask://{cluster}")
    assert "wrote no files, 6 up to date" in again.stdout


def test_a_dask_worker_reports_problems_at_the_original_files(tmp_path, cluster):
    library, out = _library(tmp_path / "lib"), tmp_path / "out"
    shutil.copytree(CATALOGUE / "broken-brand", library / "brands" / "broken")
    text = (library / "catalogue.toml").read_text().replace('"brands/harbour"', '"brands/broken"')
    (library / "catalogue.toml").write_text(text.replace('"books/*",', '"books/alpha",'))
    result = _build(library, out, "--executor", f"dask://{cluster}", "--keep-going")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [error] = _errors(result.stderr)
    assert "brands/broken/templates/parts/title_page.html:2: error:" in error and "docbuild-worker" not in error
    assert not (out / "riverside").exists()   # the book failed with one brand: none of its files are written


def test_a_folder_travels_as_bytes_and_no_file_can_leave_it(tmp_path):
    book = shutil.copytree(FIXTURES / "small", tmp_path / "small")
    (book / ".git").mkdir()
    (book / ".git" / "config").write_text("not part of the book")
    files = cat.Files.of(book)
    names = [name for name, _ in files.files]
    assert "book.toml" in names and "chapters/01-first.md" in names and not any(".git" in n for n in names)
    copy = files.write(tmp_path / "elsewhere")
    assert (copy / "chapters" / "01-first.md").read_bytes() == (book / "chapters" / "01-first.md").read_bytes()
    assert cat.Files.of(copy).digest() == files.digest()
    with pytest.raises(ValueError, match="leaves the folder"):
        cat.Files("evil", (("../escape.txt", b"x"),)).write(tmp_path / "target")
    assert not (tmp_path / "target" / "escape.txt").exists()


def test_an_unreachable_scheduler_is_an_error_not_a_traceback(tmp_path):
    import distributed  # noqa: F401
    library = _library(tmp_path / "lib")
    os.environ["DOCBUILD_DASK_TIMEOUT"] = "2"   # nothing listens there: no need to wait the default 10 s
    try:
        result = _build(library, tmp_path / "out", "--executor", "dask://127.0.0.1:9", "--force")
    finally:
        del os.environ["DOCBUILD_DASK_TIMEOUT"]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "--executor: error: cannot reach the Dask scheduler at 127.0.0.1:9" in result.stderr
