"""new-book: a starter book with every book.toml key, one chapter showing each feature and one reference of
each common type, that checks clean (but for the missing reviewer, on purpose) and builds; and the
places it refuses to write."""
from __future__ import annotations

import builtins
import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, epubcheck, run_cli
from docbuild.config import BOOK_SCHEMA
from docbuild.errors import Collector, DocError
from docbuild.load import load_book
from docbuild.scaffold import STARTER_FILES, new_book

NOT_REVIEWED = "the book has not been clinically reviewed"
KEY_LINE = re.compile(r"^(# )?([a-z_]+) = ", re.M)


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("new") / "leaflet"
    result = run_cli("new-book", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wrote ") == 4 and f"build --book {folder}" in result.stdout
    return folder


def _problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if re.search(r": (error|warning): ", line)]


def test_check_warns_only_that_no_clinician_has_reviewed_it(starter):
    result = run_cli("check", "--book", str(starter))
    assert result.returncode == 0, result.stderr
    [warning] = _problems(result.stderr)
    assert warning.endswith(f"book.toml: warning: {NOT_REVIEWED}: add a [[reviewers]] entry with the "
                            "clinician's name and credentials")
    assert "ok: 1 chapters, 5 notes, 5 references cited" in result.stdout
    strict = run_cli("check", "--strict", "--book", str(starter))
    assert strict.returncode == 1
    [error] = _problems(strict.stderr)
    assert f"error: {NOT_REVIEWED}" in error


def test_it_builds_a_pdf_and_an_epub_that_epubcheck_accepts(starter, tmp_path):
    result = run_cli("build", "--book", str(starter), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    pdf, epub = tmp_path / "your-handout-title.pdf", tmp_path / "your-handout-title.epub"
    assert pdf.read_bytes().startswith(b"%PDF") and epub.stat().st_size > 10_000
    assert [p for p in _problems(result.stderr) if NOT_REVIEWED not in p] == []
    assert epubcheck(epub) == []


def test_every_key_of_the_schema_is_in_book_toml_with_its_doc(starter):
    text = (starter / "book.toml").read_text()
    keys = {m.group(2) for m in KEY_LINE.finditer(text)}
    plain = {k for k, spec in BOOK_SCHEMA.items() if spec.kind != "tables"}
    assert plain <= keys, plain - keys
    notes = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    for key, spec in BOOK_SCHEMA.items():
        assert spec.doc in notes, key
        if spec.kind == "tables":
            assert re.search(rf"^(# )?\[\[{key}\]\]$", text, re.M), key
            for field in spec.fields:
                assert re.search(rf"\[\[{key}\]\]\n((?!(# )?\[\[).*\n)*?(# )?{field} = ", text), (key, field)


def test_the_starter_claims_no_clinical_review(starter):
    text = (starter / "book.toml").read_text()
    assert re.search(r"^# \[\[reviewers\]\]$", text, re.M) and not re.search(r"^\[\[reviewers\]\]", text, re.M)
    assert re.search(r"^# reviewed = ", text, re.M) and re.search(r"^# next_review = ", text, re.M)
    assert "names no reviewer on purpose" in text


def test_every_noted_out_key_is_valid_once_its_hash_is_removed(starter, tmp_path):
    folder = tmp_path / "all"
    new_book(folder)
    path = folder / "book.toml"
    text = re.sub(r"^# ([a-z_]+ = .*|\[\[[a-z_]+\]\])$", r"\1", path.read_text(), flags=re.M)
    path.write_text(text)
    assert not re.search(r"^# [a-z_]+ = ", text, re.M)
    result = run_cli("check", "--strict", "--book", str(folder))
    assert result.returncode == 0, result.stderr
    assert _problems(result.stderr) == []


def test_the_chapter_shows_each_feature(starter):
    errors = Collector()
    book = load_book(starter, errors)
    assert not errors.errors
    [chapter] = book.chapters
    types = [t.type for t in chapter.tokens]
    callouts = [t.meta for t in chapter.tokens if t.type == "callout_open"]
    assert {c["kind"] for c in callouts} == {"NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"}
    assert any(c["title"] for c in callouts if c["kind"] == "TIP")
    assert {t.tag for t in chapter.tokens if t.type == "heading_open"} == {"h2", "h3"}
    assert {"table_open", "bullet_list_open", "ordered_list_open"} <= set(types)
    images = [c for t in chapter.tokens if t.type == "inline" for c in t.children if c.type == "image"]
    [image] = images
    assert image.children and image.attrs.get("title", "").startswith("Figure 1.")
    kinds = [n.kind for n in chapter.notes]
    assert "footnote" in kinds
    citations = [n.citations for n in chapter.notes if n.kind == "citation"]
    assert any(len(c) > 1 for c in citations) and any(c.locator for cs in citations for c in cs)
    assert book.images and all(media == "image/svg+xml" for media, _ in book.images.values())


def test_references_hold_one_entry_of_each_common_type_all_cited(starter):
    entries = json.loads((starter / "references.json").read_text())
    assert sorted(e["type"] for e in entries) == sorted(["article-journal", "book", "chapter", "report", "webpage"])
    errors = Collector()
    book = load_book(starter, errors)
    assert {r.key for r in book.references} == {e["id"] for e in entries}
    assert [p.message for p in errors.warnings] == [p.message for p in errors.warnings if NOT_REVIEWED in p.message]


def test_it_reads_below_the_target_grade(starter):
    result = run_cli("report", "--book", str(starter), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["reading_grade"] == 8 and not data["chapters"][0]["above_target"]


def test_it_refuses_a_folder_that_has_a_book(starter):
    before = (starter / "book.toml").read_bytes()
    result = run_cli("new-book", str(starter))
    assert result.returncode == 1
    [error] = _problems(result.stderr)
    assert error == f"{starter / 'book.toml'}: error: a book is already there; choose another folder"
    assert (starter / "book.toml").read_bytes() == before


def test_it_refuses_a_file_given_as_the_folder(tmp_path):
    (tmp_path / "leaflet").write_text("notes")
    result = run_cli("new-book", str(tmp_path / "leaflet"))
    assert result.returncode == 1 and "error: this is a file, not a folder" in result.stderr


@pytest.mark.parametrize("in_the_way", ["chapters", "images", *STARTER_FILES])
def test_it_refuses_a_file_in_the_way_and_writes_nothing(tmp_path, in_the_way):
    folder = tmp_path / "leaflet"
    (folder / in_the_way).parent.mkdir(parents=True, exist_ok=True)
    (folder / in_the_way).write_text("mine")
    with pytest.raises(DocError) as caught:
        new_book(folder)
    [problem] = caught.value.problems
    assert problem.location.path.endswith(in_the_way)
    assert "needs a folder" in problem.message or "never overwrites" in problem.message
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == [in_the_way]


def test_it_refuses_a_place_under_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("not a folder")
    result = run_cli("new-book", str(tmp_path / "notes.txt" / "leaflet"))
    assert result.returncode == 1
    [error] = _problems(result.stderr)
    assert error.startswith(f"{tmp_path / 'notes.txt'}: error: this is a file, so no folder can be made inside it")
    assert "Traceback" not in result.stderr


def test_a_write_that_fails_half_way_leaves_nothing_behind(tmp_path, monkeypatch):
    real_open, calls = builtins.open, []

    def failing_open(file, mode="r", *args, **kwargs):
        if mode == "xb":
            calls.append(file)
            if len(calls) == 3:
                raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", failing_open)
    folder = tmp_path / "leaflet"
    with pytest.raises(DocError) as caught:
        new_book(folder)
    [problem] = caught.value.problems
    assert problem.message == "cannot write the book here: permission denied"
    assert [p for p in folder.rglob("*") if p.is_file()] == []


def test_the_starter_files_are_package_data():
    package = ROOT / "docbuild" / "starter"
    assert all((package / name).is_file() for name in STARTER_FILES)
