"""The report: readability figures checked against textstat run independently on the same body text,
the reading_grade warning, governance with an injected date, references never cited, other languages,
and the command line as a user runs it."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import textstat

from conftest import FIXTURES, ROOT, copy_book, run_cli
from docbuild.errors import Collector, DocError
from docbuild.load import load_book
from docbuild.report import FORMULAS, grade_warnings, report
from docbuild.text import body_text

# textstat would download a pronunciation dictionary; both sides count syllables with Pyphen.
sys.modules["textstat.backend.counts._count_syllables"].get_cmudict = lambda lang: None

TODAY = dt.date(2027, 2, 1)
HARD = ("Rehabilitation programmes that combine regular exercise with talking therapy can reduce "
        "persistent back pain, particularly when the exercise is adjusted to what each person can manage. "
        "Medicines, on the other hand, need careful consideration of possible interactions and side "
        "effects, especially in older people who already take several other medicines.\n")   # grade 15
SPANISH = ("El estrés puede tensar los músculos de la espalda. Cuando la tensión dura mucho tiempo, "
           "los músculos se cansan y duelen. Caminar un poco cada día ayuda a relajar la espalda. "
           "Respire despacio y tome descansos cuando trabaje sentado durante muchas horas.\n")


def _report(book: Path, today: dt.date = TODAY) -> dict:
    return json.loads(report(book, as_json=True, today=today))


def _with(tmp_path: Path, src: Path = FIXTURES / "small", toml: str = "", chapter: str | None = None) -> Path:
    book = copy_book(src, tmp_path / "book")
    if toml:
        path, key = book / "book.toml", toml.split("=")[0].strip()
        text = re.sub(rf"(?m)^{key} = .*\n", "", path.read_text())
        path.write_text(toml + "\n" + text)     # top-level keys go before the [[tables]]
    if chapter is not None:
        (book / "chapters" / "02-second.md").write_text("---\ntitle: The second chapter\n---\n" + chapter)
    return book


@pytest.fixture(scope="module")
def default_report() -> dict:
    return _report(ROOT / "book")


@pytest.fixture(scope="module")
def default_texts() -> dict[str, str]:
    book = load_book(ROOT / "book", Collector())
    return {c.path.relative_to(book.root).as_posix(): body_text(c) for c in book.chapters}


def test_the_figures_are_textstats_on_the_body_text_of_each_chapter(default_report, default_texts):
    assert [c["file"] for c in default_report["chapters"]] == list(default_texts)
    for chapter in default_report["chapters"]:
        text = default_texts[chapter["file"]]
        assert chapter["words"] == textstat.lexicon_count(text) > 200
        assert chapter["sentences"] == textstat.sentence_count(text)
        expected = {"flesch_kincaid_grade": textstat.flesch_kincaid_grade(text),
                    "smog_index": textstat.smog_index(text),
                    "flesch_reading_ease": textstat.flesch_reading_ease(text)}
        assert chapter["scores"] == pytest.approx(expected, abs=0.005)
        assert chapter["grade"] == chapter["scores"]["flesch_kincaid_grade"] and not chapter["above_target"]


def test_the_book_figures_are_textstats_on_all_the_body_text(default_report, default_texts):
    whole = " ".join(default_texts.values())
    total = default_report["book"]
    assert total["words"] == textstat.lexicon_count(whole) == sum(c["words"] for c in default_report["chapters"])
    assert total["scores"]["flesch_kincaid_grade"] == pytest.approx(textstat.flesch_kincaid_grade(whole), abs=0.005)
    assert total["scores"]["smog_index"] == pytest.approx(textstat.smog_index(whole), abs=0.005)


def test_only_body_text_is_counted(default_report, default_texts):
    whole = " ".join(default_texts.values())
    for absent in ("lundberg1999", "@", "Figure 1", "What helps", "transcutaneous", "Key points"):
        assert absent not in whole, absent       # citations, captions, headings, notes, titles
    assert "Stress and anxiety can make the muscles in your back tight" in whole


def test_the_longest_sentences_are_found_at_their_lines(default_report):
    for chapter in default_report["chapters"] + [default_report["book"]]:
        listed = chapter["longest_sentences"]
        assert listed and [s["words"] for s in listed] == sorted((s["words"] for s in listed), reverse=True)
        for sentence in listed:
            source = (ROOT / "book" / sentence["file"]).read_text().splitlines()[sentence["line"] - 1]
            first = re.findall(r"\w+", sentence["text"])[:3]
            assert re.search(r"\W+".join(first), source), (sentence, source)
    assert len(default_report["book"]["longest_sentences"]) == 5
    assert default_report["book"]["longest_sentences"][0]["words"] == max(
        c["longest_sentences"][0]["words"] for c in default_report["chapters"])


def test_the_long_words_have_four_syllables_or_more_and_are_counted(default_report, default_texts):
    whole = " ".join(default_texts.values()).lower()
    words = default_report["book"]["long_words"]
    assert words and words[0]["word"] == "physiotherapist"
    for word in words:
        assert textstat.syllable_count(word["word"]) == word["syllables"] >= 4
        assert len(re.findall(rf"\b{word['word']}\b", whole)) == word["count"]


def test_json_from_the_command_line_parses_and_has_the_keys():
    result = run_cli("report", "--book", str(ROOT / "book"), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"title", "language", "reading_grade", "measures", "book", "chapters", "governance",
                         "references_never_cited", "warnings"}
    assert set(data["book"]) >= {"words", "sentences", "scores", "grade", "longest_sentences", "long_words"}
    assert set(data["chapters"][0]) >= {"file", "title", "words", "sentences", "scores", "grade", "above_target"}
    assert set(data["governance"]) >= {"status", "reviewers", "reviewed", "next_review", "days_left"}
    assert data["reading_grade"] == 8 and len(data["chapters"]) == 6


def test_the_text_report_from_the_command_line():
    result = run_cli("report", "--book", str(ROOT / "book"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("Readability report: Anxiety and Back Pain", "FK grade", "SMOG", "whole book",
                     "chapters/03-what-helps.md", "Longest sentences:", "Words of 4+ syllables used most:",
                     "Governance", "Status: not reviewed", "References never cited: none",
                     "Target: grade 8 or below"):
        assert expected in out, expected
    assert "Traceback" not in result.stderr


def test_a_chapter_harder_than_the_target_gives_a_warning(tmp_path):
    book = _with(tmp_path, chapter=HARD)
    data = _report(book)
    second = data["chapters"][1]
    assert second["grade"] > 8 and second["above_target"] and not data["chapters"][0]["above_target"]
    [warning] = [w for w in data["warnings"] if "reading_grade" in w["message"]]
    assert warning["file"].endswith("chapters/02-second.md")
    assert f"reads at grade {second['grade']:.1f}" in warning["message"] and "target of 8" in warning["message"]
    assert "longest sentence (" in warning["message"] and "at line 4" in warning["message"]
    assert "above the target" in report(book, today=TODAY)


def test_grade_warnings_is_the_hook_for_check_and_build(tmp_path):
    errors = Collector()
    grade_warnings(load_book(_with(tmp_path, chapter=HARD), errors), errors)
    [warning] = [p for p in errors.warnings if "reading_grade" in p.message]
    assert warning.location.path.endswith("02-second.md") and warning.location.line == 0
    errors = Collector()
    grade_warnings(load_book(FIXTURES / "small", errors), errors)
    assert not [p for p in errors.problems if "reading_grade" in p.message]


def test_a_higher_reading_grade_in_book_toml_allows_the_harder_chapter(tmp_path):
    data = _report(_with(tmp_path, toml="reading_grade = 18", chapter=HARD))
    assert data["reading_grade"] == 18
    assert not any(c["above_target"] for c in data["chapters"])
    assert not [w for w in data["warnings"] if "reading_grade" in w["message"]]


def test_a_reading_grade_out_of_range_is_an_error_at_its_line(tmp_path):
    book = _with(tmp_path, toml="reading_grade = 30")
    with pytest.raises(DocError) as caught:
        report(book)
    [problem] = caught.value.problems
    assert problem.location.line == 1 and "grade from 1 to 18" in problem.message


def test_governance_with_an_injected_date(tmp_path):
    data = _report(FIXTURES / "small", today=dt.date(2027, 2, 1))
    gov = data["governance"]
    assert gov["reviewers"] == [{"name": "Cora Reviewer", "credentials": "MD"}]
    assert (gov["reviewed"], gov["next_review"], gov["days_left"], gov["status"]) == (
        "2026-02-01", "2028-02-01", 365, "current")
    text = report(FIXTURES / "small", today=dt.date(2027, 2, 1))
    assert "Reviewed by: Cora Reviewer, MD" in text and "Last review: 2026-02-01" in text
    assert "Next review due: 2028-02-01 (365 days left)" in text
    late = report(FIXTURES / "small", today=dt.date(2028, 3, 2))
    assert "Next review due: 2028-02-01 (overdue by 30 days)" in late and "Status: overdue" in late
    assert "the next review date 2028-02-01 has passed" in late


def test_a_book_without_a_reviewer_says_so():
    gov = _report(ROOT / "book")["governance"]
    assert gov["status"] == "not reviewed" and gov["reviewers"] == []
    assert "Reviewed by: nobody yet" in report(ROOT / "book", today=TODAY)


def test_references_never_cited_are_listed_with_their_line(tmp_path):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    refs = book / "references.json"
    entries = json.loads(refs.read_text())
    entries.append({"id": "unused2018", "type": "book", "title": "A Book Nobody <i>Cites</i>",
                    "issued": {"date-parts": [[2018]]}})
    refs.write_text(json.dumps(entries, indent=2))
    line = next(i for i, l in enumerate(refs.read_text().splitlines(), 1) if '"unused2018"' in l) - 1
    [unused] = _report(book)["references_never_cited"]
    assert unused == {"key": "unused2018", "type": "book", "title": "A Book Nobody Cites",
                      "file": unused["file"], "line": line}
    text = report(book, today=TODAY)
    assert "References never cited: 1" in text and "unused2018 (book, " in text and "A Book Nobody Cites" in text


def test_a_spanish_chapter_uses_textstats_spanish_formulas(tmp_path):
    book = _with(tmp_path, toml='language = "es"', chapter=SPANISH + HARD)
    data = _report(book)
    assert [f["key"] for f in data["measures"]["formulas"]] == ["fernandez_huerta", "szigriszt_pazos"]
    assert data["measures"]["grade_formula"] is None and "not checked" in data["measures"]["note"]
    text = body_text(load_book(book, Collector()).chapters[1])
    textstat.set_lang("es")
    try:
        expected = {"fernandez_huerta": textstat.fernandez_huerta(text),
                    "szigriszt_pazos": textstat.szigriszt_pazos(text)}
    finally:
        textstat.set_lang("en_US")
    assert data["chapters"][1]["scores"] == pytest.approx(expected, abs=0.005)
    assert data["chapters"][1]["grade"] is None and not data["chapters"][1]["above_target"]
    assert not [w for w in data["warnings"] if "reading_grade" in w["message"]]   # no grade formula: no warning
    out = report(book, today=TODAY)
    assert "Fernández Huerta reading ease and Szigriszt-Pazos perspicuity: about 0 to 100, higher is easier." in out
    assert "No US school grade formula in textstat for es" in out


def test_a_language_without_a_formula_says_so(tmp_path):
    book = _with(tmp_path, toml='language = "pl"', chapter="Stres napina mięśnie pleców. Spacer pomaga.\n")
    data = _report(book)
    assert data["measures"]["formulas"] == [] and data["chapters"][1]["scores"] == {}
    assert data["chapters"][1]["words"] == 6
    assert "No readability formula in textstat for pl" in report(book, today=TODAY)


def test_the_report_leaves_textstats_shared_language_alone(tmp_path):
    _report(_with(tmp_path, toml='language = "es"'))
    assert textstat.textstat._textstatistics__lang == "en_US"


def test_a_broken_book_is_reported_at_its_line_and_exits_1(tmp_path):
    book = _with(tmp_path, chapter="Heat helps [@nosuchkey].\n")
    result = run_cli("report", "--book", str(book))
    assert result.returncode == 1 and result.stdout == ""
    assert re.search(r"02-second\.md:4: error: the citation key \"@nosuchkey\"", result.stderr), result.stderr
    missing = run_cli("report", "--book", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "error: the book folder does not exist" in missing.stderr


def test_importing_the_report_loads_no_textstat():
    code = "import sys, docbuild.report; assert 'textstat' not in sys.modules and 'pyphen' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("language", sorted(FORMULAS))
def test_every_language_in_the_table_is_measured(tmp_path, language):
    data = _report(_with(tmp_path, toml=f'language = "{language}"', chapter=SPANISH))
    keys = [f.key for f in FORMULAS[language]]
    assert list(data["chapters"][1]["scores"]) == keys
    assert all(isinstance(v, float) for v in data["chapters"][1]["scores"].values())
    assert (data["measures"]["grade_formula"] is not None) == (language == "en")


def test_a_language_without_syllable_rules_counts_words_only(tmp_path):
    book = _with(tmp_path, toml='language = "zh"')
    data = _report(book)
    assert data["measures"]["long_word_syllables"] is None and data["book"]["long_words"] == []
    assert "Words by syllables: not counted (no syllable rules for zh)." in report(book, today=TODAY)


def test_the_report_needs_no_download_and_no_nltk():
    code = ("import sys; from pathlib import Path; from docbuild.report import report; "
            "out = report(Path('book')); assert 'FK grade' in out; "
            "assert 'nltk' not in sys.modules, 'nltk imported: textstat may try to download cmudict'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
