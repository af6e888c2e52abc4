"""References: the loading step for references.json, CSL-JSON in, entries by key out.

Any real export is accepted (Zotero, Better BibTeX, Manubot, pandoc): numeric or text ids, keys
with pandoc's punctuation such as `doi:10.1002/cam4.410`, every CSL type. Every mistake is reported
at its line in plain words: JSON syntax ("a comma is missing after this value", at the line the
comma belongs to), and values of the wrong shape, with the shape they must have. Formatting is
`cite.py`'s job; `KeyIndex` suggests the key a writer meant.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import Collector

CSL_TYPES = (
    "article", "article-journal", "article-magazine", "article-newspaper", "bill", "book", "broadcast",
    "chapter", "classic", "collection", "dataset", "document", "entry", "entry-dictionary",
    "entry-encyclopedia", "event", "figure", "graphic", "hearing", "interview", "legal_case",
    "legislation", "manuscript", "map", "motion_picture", "musical_score", "pamphlet",
    "paper-conference", "patent", "performance", "periodical", "personal_communication", "post",
    "post-weblog", "regulation", "report", "review", "review-book", "software", "song", "speech",
    "standard", "thesis", "treaty", "webpage")
NAME_FIELDS = frozenset((
    "author", "chair", "collection-editor", "compiler", "composer", "container-author", "contributor",
    "curator", "director", "editor", "editorial-director", "executive-producer", "guest", "host",
    "illustrator", "interviewer", "narrator", "organizer", "original-author", "performer", "producer",
    "recipient", "reviewed-author", "script-writer", "series-creator", "translator"))
DATE_FIELDS = frozenset(("accessed", "available-date", "event-date", "issued", "original-date", "submitted"))
NUMBER_FIELDS = frozenset((
    "chapter-number", "citation-number", "collection-number", "edition", "first-reference-note-number",
    "issue", "locator", "number", "number-of-pages", "number-of-volumes", "page", "page-first",
    "part-number", "printing-number", "supplement-number", "version", "volume"))
TEXT_FIELDS = frozenset((
    "abstract", "annote", "archive", "archive_collection", "archive_location", "archive-place",
    "authority", "call-number", "citation-key", "citation-label", "collection-title", "container-title",
    "container-title-short", "dimensions", "division", "DOI", "event", "event-title", "event-place",
    "genre", "ISBN", "ISSN", "journalAbbreviation", "jurisdiction", "keyword", "language", "license",
    "medium", "note", "original-publisher", "original-publisher-place", "original-title", "part-title",
    "PMCID", "PMID", "publisher", "publisher-place", "references", "reviewed-genre", "reviewed-title",
    "scale", "section", "shortTitle", "source", "status", "title-short", "URL", "volume-title",
    "year-suffix"))
NAME_PARTS = ("family", "given", "literal", "suffix", "dropping-particle", "non-dropping-particle")
# pandoc: a letter, digit or _, then letters, digits, _ and internal :.#$%&-+?<>~/ (each followed by
# a letter, digit or _), as docbuild/markdown/citations.py reads [@key]
KEY = re.compile(r"\w(?:\w|[:.#$%&\-+?<>~/](?=\w))*")

NAME_EXAMPLE = '[{"family": "Smith", "given": "Anna"}] (or [{"literal": "World Health Organization"}])'
DATE_EXAMPLE = '{"date-parts": [[2019, 5, 1]]} (year, month, day: the month and day may be left out)'


def load_references(path: Path, errors: Collector) -> dict[str, tuple[dict, int]] | None:
    """Read a CSL-JSON array; return key -> (entry, line where its object opens), or None when the
    file cannot be used at all. An entry with a mistake in a field is kept (its error is reported),
    so that citing it gives no second, misleading error."""
    text = _read(path, errors)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        line, message = json_problem(text, exc)
        errors.error(path, line, f"not valid JSON: {message}")
        return None
    if not isinstance(data, list):
        errors.error(path, _line_of(text, len(text) - len(text.lstrip())),
                     "the references file must be a list of references in square brackets: [ {…}, {…} ]")
        return None
    places = layout(text)
    entries: dict[str, tuple[dict, int]] = {}
    for index, entry in enumerate(data):
        _check_entry(entry, places[index] if index < len(places) else Place(0), path, errors, entries)
    return entries


def _read(path: Path, errors: Collector) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        errors.error(path, 0, "references file not found")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        errors.error(path, line, "the references file is not UTF-8 text; save it as UTF-8")
    return None


# --- where things are in the file ------------------------------------------------------------------

@dataclass
class Place:
    """Where one entry's object opens, where each of its fields is, and where each list item is."""
    line: int
    fields: dict[str, int] = field(default_factory=dict)
    items: dict[str, list[int]] = field(default_factory=dict)

    def of(self, name: str, index: int | None = None) -> int:
        if index is not None and index < len(self.items.get(name, ())):
            return self.items[name][index]
        return self.fields.get(name, self.line)


_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[\[\]{},:\n]|[^\s\[\]{},:"]+')


def layout(text: str) -> list[Place]:
    """The Place of each element of the top-level array (the JSON is known to be valid)."""
    places: list[Place] = []
    stack: list[str] = []
    line, expecting, key, name = 1, False, None, None   # name: a text at depth 2, perhaps a key
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token == "\n":
            line += 1
            continue
        if expecting and token not in ("]", ","):   # a list item starts here
            if len(stack) == 1:
                places.append(Place(line))
            elif places:
                places[-1].items.setdefault(key, []).append(line)
        expecting = False
        if token == ":" and name is not None:
            key = json.loads(name[0])
            places[-1].fields.setdefault(key, name[1])
        elif token in ("[", "{"):
            stack.append(token)
            expecting = token == "[" and len(stack) in (1, 3)
        elif token in ("]", "}"):
            stack = stack[:-1]
        elif token == ",":
            expecting = stack[-1:] == ["["] and len(stack) in (1, 3)
        name = (token, line) if token[0] == '"' and len(stack) == 2 and stack[-1] == "{" and places else None
    return places


def _string_end(text: str, start: int) -> int:
    """The index of the quote that closes the string opening at `start`."""
    i = start + 1
    while i < len(text) and text[i] != '"':
        i += 2 if text[i] == "\\" else 1
    return i


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, max(index, 0)) + 1


# --- JSON syntax errors, in words a nurse understands ----------------------------------------------

def json_problem(text: str, exc: json.JSONDecodeError) -> tuple[int, str]:
    """(line, message) for a JSON syntax error, at the line where the fix belongs."""
    pos, msg = exc.pos, exc.msg
    before = _previous(text, pos)
    here = text[pos:pos + 1]
    at_end = not text[pos:].strip()
    if not text.strip():
        return 1, "the file is empty: it must hold a list of references, [ {…}, {…} ]"
    if at_end and msg in ("Expecting ',' delimiter", "Expecting value",
                          "Expecting property name enclosed in double quotes"):
        return _unclosed(text)
    if msg == "Expecting ',' delimiter":
        return _missing_comma(text, pos, before)
    if msg in ("Expecting value", "Expecting property name enclosed in double quotes"):
        return _bad_value(text, pos, before, here, msg)
    if msg == "Expecting ':' delimiter":
        return _line_of(text, before), "a colon : is missing after this name (write \"name\": value)"
    if msg.startswith("Unterminated string"):
        return _line_of(text, pos), "this text is not closed: the closing double quote \" is missing"
    if msg.startswith("Invalid control character"):
        if here == "\n":
            return _line_of(text, pos), ("the text on this line is not closed: a closing double quote \" "
                                         "is missing (a text cannot go on to the next line)")
        return _line_of(text, pos), "a tab or control character inside a text: replace it with a space"
    if msg.startswith("Invalid \\"):
        return _line_of(text, pos), "a backslash \\ in a text must be written twice, \\\\ (or removed)"
    if msg == "Extra data":
        return _extra_data(text, pos)
    return exc.lineno, f"{msg} (column {exc.colno})"


def _previous(text: str, pos: int) -> int:
    """The index of the last character before `pos` that is not white space (-1 if none)."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\r\n":
        i -= 1
    return i


def _missing_comma(text: str, pos: int, before: int) -> tuple[int, str]:
    opener = _open_brackets(text, pos)
    if opener and opener[-1][0] == "[" and text[pos] == '"' \
            and text[_string_end(text, pos) + 1:].lstrip()[:1] == ":":   # a name inside a list
        return _line_of(text, before), (f"a ] is missing after this value, to close the list [ opened "
                                        f"at line {opener[-1][1]}")
    if opener and opener[-1][0] == "[" and text[pos] == ":" and text[before] == '"':
        name_start = text.rfind('"', 0, before)   # the list took the name as an item
        last = _previous(text, name_start)
        last = _previous(text, last) if text[last] == "," else last
        return _line_of(text, last), (f"a ] is missing after this value, to close the list [ opened "
                                      f"at line {opener[-1][1]}")
    closers = {"[": "]", "{": "}"}
    if opener and text[pos] in "]}" and closers[opener[-1][0]] != text[pos]:
        char, line = opener[-1]
        return _line_of(text, before), (f"a {closers[char]} is missing after this value, to close the {char} "
                                        f"opened at line {line}")
    if opener and opener[-1][0] == "{" and text[pos] == "{":
        return _line_of(text, before), "a } or a comma is missing after this value"
    return _line_of(text, before), "a comma is missing after this value"


def _bad_value(text: str, pos: int, before: int, here: str, msg: str) -> tuple[int, str]:
    if here in "]}" and text[before:before + 1] == ",":
        return _line_of(text, before), "there is a comma after the last item here: remove that comma"
    if here == "'":
        return _line_of(text, pos), "use double quotes \" \" around names and texts, not single quotes ' '"
    word = re.match(r"[A-Za-z_][\w-]*", text[pos:])
    if word and word.group() in ("True", "False", "None", "TRUE", "FALSE", "NULL", "Null"):
        return _line_of(text, pos), f"write {word.group().lower().replace('none', 'null')} in lower case"
    if word:
        kind = "name" if msg.startswith("Expecting property") else "text"
        return _line_of(text, pos), f"the {kind} {word.group()} must be in double quotes: \"{word.group()}\""
    if here == "," and text[before:before + 1] in ",[":
        return _line_of(text, pos), "there is a comma too many here (or a value is missing before it)"
    if msg.startswith("Expecting property"):
        return _line_of(text, pos), "a name in double quotes was expected here, such as \"title\""
    return _line_of(text, pos), "a value was expected here: a text in double quotes, a number, a list [ ] or { }"


def _open_brackets(text: str, pos: int) -> list[tuple[str, int]]:
    """The brackets still open at `pos`, outermost first, with the line of each."""
    stack: list[tuple[str, int]] = []
    i, line = 0, 1
    while i < min(pos, len(text)):
        char = text[i]
        if char == "\n":
            line += 1
        elif char == '"':
            end = _string_end(text, i)
            line += text.count("\n", i, end)
            i = end
        elif char in "[{":
            stack.append((char, line))
        elif char in "]}" and stack:
            stack.pop()
        i += 1
    return stack


def _unclosed(text: str) -> tuple[int, str]:
    """The file ends inside a list or an object: the closing bracket belongs after the last value."""
    stack = _open_brackets(text, len(text))
    last = _line_of(text, _previous(text, len(text)))
    if not stack:
        return last, "the file ends where a value was expected"
    char, line = stack[-1]
    closer = "]" if char == "[" else "}"
    return last, f"the {char} opened at line {line} is never closed: a {closer} is missing after this line"


def _extra_data(text: str, pos: int) -> tuple[int, str]:
    if text.lstrip()[:1] == "{":
        return 1, "the references must all be in one list in square brackets: [ {…}, {…} ]"
    return _line_of(text, pos), "there is more after the ] that closes the list of references"


# --- the shape of each entry -----------------------------------------------------------------------

def _check_entry(entry: Any, place: Place, path: Path, errors: Collector,
                 entries: dict[str, tuple[dict, int]]) -> None:
    if not isinstance(entry, dict):
        errors.error(path, place.line, "each reference must be a JSON object { … }")
        return
    key = _key(entry, place, path, errors)
    if key is None:
        return
    if key in entries:
        errors.error(path, place.line, f'the id "{key}" is used twice (first at line {entries[key][1]})')
        return
    kind = entry.get("type")
    if kind not in CSL_TYPES:
        shown = "no \"type\"" if kind is None else f"the type {json.dumps(kind)}, which is not supported"
        errors.error(path, place.line, f'the reference "{key}" has {shown}; use one of: {", ".join(CSL_TYPES)}')
    title = entry.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        errors.error(path, place.line, f'the reference "{key}" has no "title"')
    for name, value in entry.items():
        if (problem := field_problem(name, value)) is not None:
            index, message = problem
            errors.error(path, place.of(name, index), f'in the reference "{key}": {message}')
    entries[key] = (entry, place.line)


def _key(entry: dict, place: Place, path: Path, errors: Collector) -> str | None:
    raw = entry.get("id")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)) or not str(raw).strip():
        shown = "" if raw is None or raw == "" else f", not {_describe(raw)}"
        errors.error(path, place.of("id"), f'a reference has no "id"; give it one, such as "smith2020"{shown}')
        return None
    key = str(raw).strip()
    if not KEY.fullmatch(key):
        errors.warning(path, place.of("id"), f'the id "{key}" cannot be cited as [@{key}]: an id starts with a '
                       "letter, digit or _ and has only letters, digits and _ in it, and :.#$%&-+?<>~/ each "
                       "followed by a letter, digit or _")
    return key


def field_problem(name: str, value: Any) -> tuple[int | None, str] | None:
    """(list index or None, message) when a field's value has the wrong shape. An empty value (null,
    "", [], {}, as Crossref gives for "original-title") is taken as absent."""
    if value is None or value == [] or value == {} or value == "":
        return None
    if name in NAME_FIELDS:
        return _names_problem(name, value)
    if name in DATE_FIELDS:
        return _date_problem(name, value)
    if name == "title" and value is not None and not isinstance(value, str):
        return None, f'"title" must be text in double quotes, not {_describe(value)}'
    if name in NUMBER_FIELDS and not (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return None, f'"{name}" must be a number or a text in double quotes, not {_describe(value)}'
    if name in TEXT_FIELDS and not (isinstance(value, (str, int, float)) and not isinstance(value, bool)):
        return None, f'"{name}" must be text in double quotes, not {_describe(value)}'
    return None


def _names_problem(name: str, value: Any) -> tuple[int | None, str] | None:
    if not isinstance(value, list):
        return None, f'"{name}" must be a list of names, such as {NAME_EXAMPLE}, not {_describe(value)}'
    for index, person in enumerate(value):
        if not isinstance(person, dict):
            return index, (f'each name in "{name}" must be {{"family": "Smith", "given": "Anna"}} or '
                           f'{{"literal": "World Health Organization"}}, not {_describe(person)}')
        for part in NAME_PARTS:
            if part in person and not isinstance(person[part], str):
                return index, f'"{part}" in a name must be text in double quotes, not {_describe(person[part])}'
        if not any(isinstance(person.get(p), str) and person[p].strip() for p in ("family", "literal", "given")):
            return index, f'a name in "{name}" has no "family" (or "literal") name'
    return None


def _date_problem(name: str, value: Any) -> tuple[None, str] | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return None, (f'"{name}" must be {DATE_EXAMPLE}, not {_describe(value)}; '
                      f'write "{name}": {_suggest_date(value)}')
    if not isinstance(value, dict):
        return None, f'"{name}" must be {DATE_EXAMPLE}, not {_describe(value)}'
    parts = value.get("date-parts")
    if parts is None:
        if any(isinstance(value.get(k), str) and value[k].strip() for k in ("raw", "literal")):
            return None
        return None, f'"{name}" must be {DATE_EXAMPLE} (or {{"literal": "Spring 2019"}})'
    if not (isinstance(parts, list) and 1 <= len(parts) <= 2 and all(isinstance(p, list) and 1 <= len(p) <= 3
                                                                      for p in parts)):
        return None, (f'"date-parts" in "{name}" must be a list of one or two [year, month, day] lists, '
                      "such as [[2019, 5, 1]]")
    for index, date in enumerate(parts):
        if index == 1 and [str(p).strip() for p in date] == ["0"]:   # [[2014], [0]]: an open range
            continue
        if (message := _date_numbers_problem(date)) is not None:
            return None, f'"{name}" {message}'
    return None


def _date_numbers_problem(date: list) -> str | None:
    numbers = []
    for part in date:
        if isinstance(part, bool) or not isinstance(part, (int, str)) \
                or not re.fullmatch(r"-?\d+", str(part).strip()):
            return f"has {_describe(part)} where a year, month or day number belongs"
        numbers.append(int(str(part)))
    if numbers[0] == 0:
        return "has the year 0: leave the date out if it is not known"
    if len(numbers) > 1 and not (1 <= numbers[1] <= 12 or 13 <= numbers[1] <= 16 or 21 <= numbers[1] <= 24):
        return f"has the month {numbers[1]}: a month is 1 to 12 (13 to 16 or 21 to 24 for seasons)"
    if len(numbers) > 2 and not 1 <= numbers[2] <= 31:
        return f"has the day {numbers[2]}: a day is 1 to 31"
    return None


def _suggest_date(value: Any) -> str:
    match = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*", str(value))
    if match:
        parts = ", ".join(str(int(g)) for g in match.groups() if g)
        return f'{{"date-parts": [[{parts}]]}}'
    return f'{{"literal": {json.dumps(str(value), ensure_ascii=False)}}}'


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the value {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return f"the text {json.dumps(shown, ensure_ascii=False)}"
    if isinstance(value, list):
        return "a list [ … ]"
    if isinstance(value, dict):
        return "an object { … }"
    return "null"


class KeyIndex:
    """Suggests the nearest citation keys for a misspelt one, in time that does not grow with the
    number of references: only rare trigrams are looked up, and each key is answered once."""

    COMMON = 200   # a trigram shared by more keys than this says little about which key was meant

    def __init__(self, keys: Iterable[str]):
        self.keys = list(keys)
        self.grams: dict[str, list[str]] = {}
        for key in self.keys:
            for gram in self._trigrams(key):
                self.grams.setdefault(gram, []).append(key)
        self.answers: dict[str, list[str]] = {}

    @staticmethod
    def _trigrams(key: str) -> set[str]:
        padded = f"  {key.lower()} "
        return {padded[i:i + 3] for i in range(len(padded) - 2)}

    def near(self, key: str, n: int = 3) -> list[str]:
        if key not in self.answers:
            import difflib
            counts: dict[str, int] = {}
            for gram in self._trigrams(key):
                posting = self.grams.get(gram, ())
                if len(posting) <= self.COMMON:
                    for candidate in posting:
                        counts[candidate] = counts.get(candidate, 0) + 1
            pool = sorted(counts, key=counts.get, reverse=True)[:30]
            if not pool and len(self.keys) <= self.COMMON:
                pool = self.keys
            self.answers[key] = difflib.get_close_matches(key, pool, n=n, cutoff=0.6)
        return self.answers[key]
