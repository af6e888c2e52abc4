"""book.toml's reference options, read back from the outputs: the style and the References list."""
from __future__ import annotations

import zipfile

import pdfplumber

from conftest import FIXTURES, copy_book, run_cli


def _build(tmp_path, setting: str):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    (book / "book.toml").write_text(setting + "\n" + (book / "book.toml").read_text())
    result = run_cli("build", "--book", str(book), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    with pdfplumber.open(tmp_path / "out" / "small-test-book.pdf") as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    with zipfile.ZipFile(tmp_path / "out" / "small-test-book.epub") as epub:
        names = epub.namelist()
    return text, names


def test_no_references_list_keeps_the_notes(tmp_path):
    text, names = _build(tmp_path, 'references_list = "none"')
    assert "\nReferences\n" not in text and "EPUB/references.xhtml" not in names
    assert "Smith JA, Jones M, Brown K. Stress & muscle tension" in text.replace("\n", " ")


def test_the_vancouver_style_sets_the_notes(tmp_path):
    ama, _ = _build(tmp_path / "a", 'citation_style = "ama"')
    vancouver, _ = _build(tmp_path / "v", 'citation_style = "vancouver"')
    assert "2020;12(3):100-110" in ama.replace("\n", "")
    assert "2020;12(3):100–10" in vancouver.replace("\n", "") or "2020 ;12(3):100–10" in vancouver


def test_an_unknown_style_is_an_error(tmp_path):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    (book / "book.toml").write_text('citation_style = "harvard"\n' + (book / "book.toml").read_text())
    result = run_cli("check", "--book", str(book))
    assert result.returncode == 1 and "citation_style" in result.stderr and "Traceback" not in result.stderr


def test_a_short_doi_from_better_bibtex_is_accepted_and_linked(tmp_path):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    refs = book / "references.json"
    refs.write_text(refs.read_text().replace('"DOI": "10.1000/xyz123"', '"DOI": "10/fqd6hj"'))
    assert '"10/fqd6hj"' in refs.read_text()
    result = run_cli("build", "--book", str(book), "--out", str(tmp_path / "out"), "--format", "epub")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "small-test-book.epub") as epub:
        text = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert 'href="https://doi.org/10/fqd6hj"' in text
