"""After layout the build checks every note on the pages: one that WeasyPrint lost or misplaced
fails the build at the chapter and line of its call, never a silently shorter handout."""
from __future__ import annotations

import pytest

from conftest import FIXTURES
from docbuild import notecheck
from docbuild.build import build
from docbuild.errors import DocError


@pytest.mark.parametrize("problem", ["missing", "late", "early"])
def test_a_misplaced_note_fails_the_build_at_its_call(tmp_path, monkeypatch, problem):
    real = notecheck.check_notes

    def losing(document, expected=None):
        placement = real(document, expected)
        assert placement.ok and len(placement) == 7            # the real check passed first
        notes = list(placement.notes)
        third = notes[2]
        pages = {"missing": (), "late": (third.call_page + 2,), "early": (third.call_page - 1,)}[problem]
        notes[2] = notecheck.Note(third.number, third.call_page + (1 if problem == "early" else 0), pages)
        return notecheck.Placement(tuple(notes), placement.pages + 3)
    monkeypatch.setattr(notecheck, "check_notes", losing)
    with pytest.raises(DocError) as caught:
        build(FIXTURES / "small", tmp_path / "out", formats=("pdf",), force=True)
    [found] = caught.value.problems
    assert str(found.location).endswith("chapters/01-first.md:10") and "note 3" in found.message
    assert not (tmp_path / "out" / "small-test-book.pdf").exists()
