"""Loading references.json: any real export is accepted, and every mistake is reported at its line
in plain words: JSON syntax where the fix belongs, values of the wrong shape with the right shape."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from docbuild.errors import Collector
from docbuild.references import CSL_TYPES, KeyIndex, load_references

DATA = Path(__file__).parent / "data" / "csl"
SMALL = Path(__file__).parent / "fixtures" / "small" / "references.json"

# the test's own file, one value per line so that every line number below is plain to see
REFERENCES = """[
  {
    "id": "smith2020",
    "type": "article-journal",
    "title": "Stress and muscle tension",
    "author": [
      {"family": "Smith", "given": "John A."},
      {"family": "Jones", "given": "Mary"}
    ],
    "container-title": "Journal of Occupational Health",
    "issued": {"date-parts": [[2020, 5]]},
    "volume": "12",
    "page": "100-110"
  },
  {
    "id": "lee2019",
    "type": "book",
    "title": "Living With Pain",
    "author": [{"family": "Lee", "given": "Anna"}],
    "publisher": "Example Press",
    "issued": {"date-parts": [[2019]]}
  }
]
"""


def load(tmp_path: Path, text: str, name: str = "references.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    errors = Collector()
    return load_references(path, errors), errors


def problems(errors: Collector, severity: str = "error") -> list[tuple[int, str]]:
    return [(p.location.line, p.message) for p in errors.problems if p.severity == severity]


def test_a_good_file_loads_with_the_line_of_each_entry(tmp_path):
    entries, errors = load(tmp_path, REFERENCES)
    assert not errors.problems
    assert {key: line for key, (_, line) in entries.items()} == {"smith2020": 2, "lee2019": 15}
    assert entries["lee2019"][0]["publisher"] == "Example Press"


# --- JSON syntax: at the line where the fix belongs, in words a nurse understands ------------------

@pytest.mark.parametrize("old,new,line,words", [
    ('"volume": "12",', '"volume": "12"', 12, "a comma is missing after this value"),
    ('"page": "100-110"', '"page": "100-110",', 13, "there is a comma after the last item here: remove that comma"),
    ('"title": "Living With Pain",', '"title": "Living With Pain,', 18, "the text on this line is not closed"),
    ('"title": "Living With Pain",', '"title": "Living With Pain\\q",', 18, "a backslash \\ in a text must be written twice"),
    ('"publisher": "Example Press",', "'publisher': 'Example Press',", 20, "use double quotes"),
    ('"publisher": "Example Press",', 'publisher: "Example Press",', 20, "the name publisher must be in double quotes"),
    ('"volume": "12",', '"volume": 12,,', 12, "there is a comma too many here"),
    ('"volume": "12",', '"volume": True,', 12, "write true in lower case"),
    ('"container-title": "Journal', '"container-title" "Journal', 10, "a colon : is missing after this name"),
    ('{"family": "Jones", "given": "Mary"}\n    ],', '{"family": "Jones", "given": "Mary"}\n', 8,
     "a ] is missing after this value, to close the list [ opened at line 6"),
    ('  }\n]\n', '  }\n', 22, "the [ opened at line 1 is never closed: a ] is missing after this line"),
    ('"issued": {"date-parts": [[2019]]}\n  }\n]', '"issued": {"date-parts": [[2019]]}\n]', 21,
     "a } is missing after this value, to close the { opened at line 15"),
    ('"author": [{"family": "Lee", "given": "Anna"}],', '"author": [{"family": "Lee", "given": "Anna"},', 19,
     "a ] is missing after this value, to close the list [ opened at line 19"),
    ('"page": "100-110"\n  },', '"page": "100-110"\n  }\n  {', 14, "a comma is missing after this value"),
    ('"page": "100-110"\n  },', '"page": "100-110"\n  {', 13, "a } or a comma is missing after this value"),
])
def test_json_mistake_is_reported_where_it_is(tmp_path, old, new, line, words):
    assert old in REFERENCES
    entries, errors = load(tmp_path, REFERENCES.replace(old, new, 1))
    assert entries is None
    [(where, message)] = problems(errors)
    assert where == line and message.startswith("not valid JSON: ") and words in message, (where, message)
    assert "Expecting" not in message and "delimiter" not in message


def test_missing_comma_is_at_the_end_of_its_line_not_the_next_one(tmp_path):
    # Python says "Expecting ',' delimiter: line 45"; the comma belongs at the end of line 44
    text = "[\n" + ",\n".join(f'  {{"id": "k{i}", "type": "book", "title": "T{i}"}}' for i in range(50)) + "\n]\n"
    lines = text.splitlines()
    lines[43] = lines[43].rstrip(",")
    _, errors = load(tmp_path, "\n".join(lines))
    assert problems(errors) == [(44, "not valid JSON: a comma is missing after this value")]


@pytest.mark.parametrize("text,line,words", [
    ("", 1, "the file is empty"),
    ('{"id": "a", "type": "book", "title": "T"}', 1, "must be a list of references in square brackets"),
    ('{"id": "a"}\n{"id": "b"}\n', 1, "must all be in one list in square brackets"),
    ('[\n  {"id": "a", "type": "book", "title": "T"}\n]\n]\n', 4, "there is more after the ]"),
])
def test_a_file_that_is_not_a_list(tmp_path, text, line, words):
    entries, errors = load(tmp_path, text)
    assert entries is None and len(problems(errors)) == 1
    assert problems(errors)[0][0] == line and words in problems(errors)[0][1]


def test_unreadable_files(tmp_path):
    errors = Collector()
    assert load_references(tmp_path / "missing.json", errors) is None
    assert problems(errors) == [(0, "references file not found")]
    (tmp_path / "latin1.json").write_bytes(b'[\n  {"id": "a", "title": "Caf\xe9"}\n]')
    errors = Collector()
    assert load_references(tmp_path / "latin1.json", errors) is None
    assert problems(errors) == [(2, "the references file is not UTF-8 text; save it as UTF-8")]


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes("\ufeff".encode() + REFERENCES.encode())
    errors = Collector()
    assert list(load_references(path, errors)) == ["smith2020", "lee2019"] and not errors.problems


# --- the shape of values: an error at the value's line, showing the right shape ---------------------

@pytest.mark.parametrize("old,new,line,message", [
    ('"issued": {"date-parts": [[2019]]}', '"issued": "2019"', 21,
     'in the reference "lee2019": "issued" must be {"date-parts": [[2019, 5, 1]]} (year, month, day: the month '
     'and day may be left out), not the text "2019"; write "issued": {"date-parts": [[2019]]}'),
    ('"issued": {"date-parts": [[2019]]}', '"issued": "May 2019"', 21,
     '"issued" must be {"date-parts": [[2019, 5, 1]]}'),
    ('"issued": {"date-parts": [[2019]]}', '"issued": 2019', 21, 'not the number 2019; write "issued": {"date-parts": [[2019]]}'),
    ('"issued": {"date-parts": [[2020, 5]]}', '"issued": {"date-parts": [2020, 5]}', 11,
     '"date-parts" in "issued" must be a list of one or two [year, month, day] lists, such as [[2019, 5, 1]]'),
    ('"issued": {"date-parts": [[2020, 5]]}', '"issued": {"date-parts": [[2020, 0]]}', 11,
     '"issued" has the month 0: a month is 1 to 12 (13 to 16 or 21 to 24 for seasons)'),
    ('"issued": {"date-parts": [[2020, 5]]}', '"issued": {"date-parts": [[2020, 5, 32]]}', 11, "has the day 32"),
    ('"issued": {"date-parts": [[2020, 5]]}', '"issued": {"date-parts": [["spring", 2020]]}', 11,
     'has the text "spring" where a year, month or day number belongs'),
    ('"issued": {"date-parts": [[2020, 5]]}', '"issued": {"year": 2020}', 11, '(or {"literal": "Spring 2019"})'),
    ('"author": [{"family": "Lee", "given": "Anna"}]', '"author": "Lee, Anna"', 19,
     'in the reference "lee2019": "author" must be a list of names, such as [{"family": "Smith", "given": "Anna"}] '
     '(or [{"literal": "World Health Organization"}]), not the text "Lee, Anna"'),
    ('{"family": "Jones", "given": "Mary"}', "42", 8,
     'each name in "author" must be {"family": "Smith", "given": "Anna"} or {"literal": "World Health '
     'Organization"}, not the number 42'),
    ('{"family": "Jones", "given": "Mary"}', '"Mary Jones"', 8, 'not the text "Mary Jones"'),
    ('{"family": "Jones", "given": "Mary"}', '{"family": ["Jones"], "given": "Mary"}', 8,
     '"family" in a name must be text in double quotes, not a list [ … ]'),
    ('{"family": "Jones", "given": "Mary"}', '{"email": "mary@example.org"}', 8,
     'a name in "author" has no "family" (or "literal") name'),
    ('"title": "Living With Pain"', '"title": 42', 18, '"title" must be text in double quotes, not the number 42'),
    ('"title": "Living With Pain"', '"title": ["Living With Pain"]', 18, 'not a list [ … ]'),
    ('"publisher": "Example Press"', '"publisher": {"name": "Example Press"}', 20,
     '"publisher" must be text in double quotes, not an object { … }'),
    ('"volume": "12"', '"volume": [12]', 12, '"volume" must be a number or a text in double quotes, not a list [ … ]'),
])
def test_a_value_of_the_wrong_shape_is_an_error_at_its_line(tmp_path, old, new, line, message):
    assert old in REFERENCES
    entries, errors = load(tmp_path, REFERENCES.replace(old, new, 1))
    assert [p for p in problems(errors) if message in p[1]] and problems(errors)[0][0] == line, problems(errors)
    assert len(entries) == 2   # kept: citing it must not add a second, misleading error


def test_values_real_exports_hold_are_accepted(tmp_path):
    entry = {
        "id": 12345, "type": "article-journal", "title": "Accepted", "volume": 4, "page": 245, "issue": "3",
        "issued": {"date-parts": [["2019", "21"]], "circa": True},
        "original-date": {"date-parts": [[1850], [1851]]}, "accessed": {"raw": "2020-05-01"},
        "submitted": {"literal": "in press"}, "event-date": {"date-parts": [[2014, 12, 31], [0]]},
        "available-date": {"date-parts": [[-44, 3, 15]], "season": "Spring"},
        "author": [{"literal": "WHO"}, {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"},
                   {"family": "King", "given": "Martin Luther", "suffix": "Jr", "sequence": "additional",
                    "affiliation": []}, {"given": "Plato"}],
        "original-title": [], "custom": {"x": 1}, "categories": ["a"], "note": "Extra: stuff",
        "citation-key": "x", "container-title-short": "J", "journalAbbreviation": "J.", "PMID": 32314455,
    }
    entries, errors = load(tmp_path, json.dumps([entry], indent=2))
    assert not errors.problems and list(entries) == ["12345"]


@pytest.mark.parametrize("key", ["doi:10.1002/cam4.410", "pmid:32314455", "Smith_2020", "2020smith", "_private",
                                 "a#b$c%d&e+f?g<h>i~j/k", "Müller2020", "url:github.com/manubot/rootstock"])
def test_keys_pandoc_can_cite_are_accepted_silently(tmp_path, key):
    entries, errors = load(tmp_path, REFERENCES.replace('"lee2019"', json.dumps(key)))
    assert key in entries and not errors.problems


@pytest.mark.parametrize("key", ["smith 2020", "smith2020.", "-smith", "url:https://example.org/?id=3",
                                 "doi:10.1002/(sici)1097", "a::b"])
def test_a_key_pandoc_cannot_cite_is_a_warning_at_its_line(tmp_path, key):
    entries, errors = load(tmp_path, REFERENCES.replace('"lee2019"', json.dumps(key)))
    assert key in entries and not problems(errors)
    [(line, message)] = problems(errors, "warning")
    assert line == 16 and message.startswith(f'the id "{key}" cannot be cited as [@{key}]')


def test_every_csl_type_is_accepted(tmp_path):
    text = json.dumps([{"id": f"k{i}", "type": kind, "title": kind} for i, kind in enumerate(CSL_TYPES)], indent=1)
    entries, errors = load(tmp_path, text)
    assert len(entries) == len(CSL_TYPES) >= 45 and not errors.problems
    for kind in ("thesis", "paper-conference", "dataset", "legislation", "broadcast", "software", "standard"):
        assert kind in CSL_TYPES


# --- the checks that were there before --------------------------------------------------------------

def test_duplicate_missing_id_missing_title_unknown_type(tmp_path):
    text = REFERENCES.replace('"lee2019"', '"smith2020"')
    _, errors = load(tmp_path, text)
    assert problems(errors) == [(15, 'the id "smith2020" is used twice (first at line 2)')]
    _, errors = load(tmp_path, REFERENCES.replace('"id": "lee2019",\n', ""))
    assert problems(errors) == [(15, 'a reference has no "id"; give it one, such as "smith2020"')]
    _, errors = load(tmp_path, REFERENCES.replace('"id": "lee2019"', '"id": true'))
    assert problems(errors) == [(16, 'a reference has no "id"; give it one, such as "smith2020", not the value true')]
    _, errors = load(tmp_path, REFERENCES.replace('"title": "Living With Pain",\n', ""))
    assert problems(errors) == [(15, 'the reference "lee2019" has no "title"')]
    _, errors = load(tmp_path, REFERENCES.replace('"type": "book"', '"type": "novel"'))
    [(line, message)] = problems(errors)
    assert line == 15 and message.startswith('the reference "lee2019" has the type "novel", which is not supported; '
                                             "use one of: article, article-journal")
    _, errors = load(tmp_path, REFERENCES.replace('"type": "book",\n', ""))
    assert problems(errors)[0][1].startswith('the reference "lee2019" has no "type"; use one of: article')
    _, errors = load(tmp_path, REFERENCES.replace('"id": "lee2019"', '"id": "x"').replace("[\n  {", '[\n  "oops",\n  {', 1))
    assert problems(errors) == [(2, "each reference must be a JSON object { … }")]


def test_the_small_book_s_references_load():
    errors = Collector()
    assert list(load_references(SMALL, errors)) == ["smith2020", "lee2019", "guide2021"] and not errors.problems


# --- real exports nobody here wrote -------------------------------------------------------------------

EXPORT_PROBLEMS = {   # what each real file gives, and nothing else
    "better-bibtex": [(1837, 'the reference "emptybook" has no "title"'),
                      (1977, 'the reference "marreEdge1992" has the type "video", which is not supported')],
    "manubot-deep-review": [(4406, 'the reference "SqhJCztH" has no "title"')],
    "manubot-deep-review-manual": [],
    "manubot-thinktank-clinicians": [],
    "csl-styles-sheldon": [],
}


@pytest.mark.parametrize("name", EXPORT_PROBLEMS)
def test_real_exports_load(name):
    path = DATA / f"{name}.json"
    errors = Collector()
    entries = load_references(path, errors)
    assert len(entries) == len(json.loads(path.read_text(encoding="utf-8")))
    found = problems(errors)
    assert len(found) == len(EXPORT_PROBLEMS[name])
    for (line, message), (want_line, want) in zip(found, EXPORT_PROBLEMS[name]):
        assert line == want_line and message.startswith(want), (line, message)
    lines = path.read_text(encoding="utf-8").splitlines()
    for key, (_, line) in entries.items():   # each entry's line is where its object opens
        assert lines[line - 1].strip() == "{", (key, line)


def test_manubot_keys_that_pandoc_cannot_cite_are_warned_about():
    errors = Collector()
    load_references(DATA / "manubot-deep-review-manual.json", errors)
    warned = [message.split('"')[1] for _, message in problems(errors, "warning")]
    assert "url:https://openreview.net/pdf?id=rJWF0Fywf" in warned and len(warned) == 30
    assert "doi:10.1093/bib/bbw110" not in warned and "doi:10.1515/9781400881970-018" not in warned


# --- KeyIndex ------------------------------------------------------------------------------------------

def test_key_index_suggests_the_nearest_keys():
    index = KeyIndex(["smith2020", "smyth2021", "lee2019", "doi:10.1002/cam4.410"])
    assert index.near("smith202") == ["smith2020", "smyth2021"]
    assert index.near("doi:10.1002/cam4.41") == ["doi:10.1002/cam4.410"]
    assert index.near("zzzz") == []
    big = KeyIndex([f"author{i}2020" for i in range(5000)] + ["lundberg1999"])
    assert big.near("lundburg1999") == ["lundberg1999"]
