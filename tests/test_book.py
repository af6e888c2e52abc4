"""The default book: complete, cited, safe, plain, honest about its review."""
from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT, run_cli
from docbuild.errors import Collector
from docbuild.load import load_book
from readability import grade, words

BOOK = ROOT / "book"


@pytest.fixture(scope="module")
def book():
    errors = Collector()
    loaded = load_book(BOOK, errors)
    assert not errors.errors
    return loaded, errors


def test_chapters_and_length(book):
    loaded, _ = book
    titles = [c.title for c in loaded.chapters]
    assert titles[0] == "Key points" and len(titles) >= 6
    total = sum(words(c) for c in loaded.chapters)
    print(f"\ndefault book: {total} words")
    assert 2500 <= total <= 4500


def test_every_chapter_reads_at_grade_6_to_8(book):
    loaded, _ = book
    for chapter in loaded.chapters:
        level = grade(chapter)
        print(f"{chapter.path.name}: {words(chapter)} words, grade {level:.1f}")
        assert 6.0 <= level <= 8.0, (chapter.path.name, level)


def test_every_reference_cited_and_complete(book):
    loaded, errors = book
    entries = json.loads((BOOK / "references.json").read_text())
    assert len(entries) >= 10 and len(loaded.references) == len(entries)
    assert not [w for w in errors.warnings if "never cited" in w.message]
    for entry in entries:
        assert entry["title"] and entry["issued"] and entry["type"]
        if entry["type"] == "article-journal":
            assert entry["container-title-short"] and entry["DOI"]


def test_safety_content_is_there():
    text = "\n".join(p.read_text() for p in sorted((BOOK / "chapters").glob("*.md")))
    assert "> [!WARNING]" in text
    for sign in ("bladder", "weakness", "fever", "weight loss", "cancer", "chest pain"):
        assert sign in text.lower(), sign
    assert "does not replace" in text or "do not replace" in text
    for promise in ("harmless", "no reason to worry", "will cure", "cures", "guaranteed", "nothing to worry"):
        assert promise not in text.lower(), promise


def test_lists_have_at_most_seven_items():
    for path in sorted((BOOK / "chapters").glob("*.md")):
        run = 0
        for line in path.read_text().splitlines() + [""]:
            run = run + 1 if re.match(r"^(>\s*)?([-*+]|\d+\.)\s", line) else 0
            assert run <= 7, path.name


def test_unreviewed_book_warns_and_strict_fails():
    result = run_cli("check")
    assert result.returncode == 0
    assert "book/book.toml: warning: the book has not been clinically reviewed" in result.stderr
    assert run_cli("check", "--strict").returncode == 1


def test_diagram_has_alt_text_and_caption(built):
    html = built["default"]["html"].read_text()
    figure = re.search(r'<figure class="figure">\s*<img src="data:image/svg\+xml;base64,[^"]+" alt="([^"]+)">'
                       r"<figcaption>([^<]+)</figcaption>", html)
    assert figure and len(figure.group(1)) > 40 and figure.group(2).startswith("Figure 1")
