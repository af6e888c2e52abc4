"""References: CSL-JSON in, `Reference` out, formatted in AMA style for notes and the bibliography.

A small formatter of our own rather than citeproc-py: it escapes HTML, takes locators as written
and needs no 89 MB style repository; tests pin its output for every type we accept.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from .errors import Collector
from .model import Reference

TYPES = ("article-journal", "article", "article-magazine", "article-newspaper", "book", "chapter",
         "report", "webpage", "post-weblog")
MAX_AUTHORS = 6


def load_references(path: Path, errors: Collector) -> dict[str, tuple[dict, int]] | None:
    """Read a CSL-JSON array; return key -> (entry, line), or None when the file is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.error(path, 0, "references file not found")
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        errors.error(path, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")
        return None
    if not isinstance(data, list):
        errors.error(path, 1, "the references file must be a JSON array [ … ] of CSL-JSON entries")
        return None
    starts = _entry_lines(text)
    entries: dict[str, tuple[dict, int]] = {}
    for index, entry in enumerate(data):
        line = starts[index] if index < len(starts) else 0
        if not isinstance(entry, dict):
            errors.error(path, line, "each reference must be a JSON object { … }")
            continue
        key = entry.get("id")
        if not isinstance(key, str) or not key.strip():
            errors.error(path, line, 'a reference has no "id"; give it one, such as "smith2020"')
            continue
        if key in entries:
            errors.error(path, line, f'the id "{key}" is used twice (first at line {entries[key][1]})')
            continue
        if not isinstance(entry.get("title"), str) or not entry["title"].strip():
            errors.error(path, line, f'the reference "{key}" has no "title"')
            continue
        if entry.get("type") not in TYPES:
            errors.error(path, line, f'the reference "{key}" has the type {json.dumps(entry.get("type"))}, '
                         f"which is not supported; use one of: {', '.join(TYPES)}")
            continue
        entries[key] = (entry, line)
    return entries


def _entry_lines(text: str) -> list[int]:
    """The line where each top-level object of the array opens."""
    lines, depth, line, in_string, escaped = [], 0, 1, False, False
    for char in text:
        if char == "\n":
            line += 1
        elif in_string:
            escaped = (char == "\\") and not escaped
            if char == '"' and not escaped:
                in_string = False
            continue
        elif char == '"':
            in_string, escaped = True, False
        elif char in "[{":
            depth += 1
            if depth == 2 and char == "{":
                lines.append(line)
        elif char in "]}":
            depth -= 1
    return lines


def make_reference(key: str, entry: dict) -> Reference:
    return Reference(key=key, full=format_full(entry), short=format_short(entry))


# --- AMA style -------------------------------------------------------------------------------

def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _initials(given: str) -> str:
    parts = re.split(r"[\s.]+", given.strip())
    out = []
    for part in filter(None, parts):
        if part.isupper() and len(part) <= 3:   # already initials, e.g. "IE"
            out.append(part)
        else:
            out.append("".join(p[0].upper() for p in part.split("-") if p))
    return "".join(out)


def _name(person: dict) -> str:
    if "literal" in person:
        return str(person["literal"])
    family = " ".join(filter(None, [person.get("non-dropping-particle", ""), person.get("family", "")]))
    return f"{family} {_initials(person.get('given', ''))}".strip()


def format_authors(people: list[dict]) -> str:
    names = [_name(p) for p in people if isinstance(p, dict)]
    if len(names) > MAX_AUTHORS:
        names = names[:3] + ["et al"]
    return ", ".join(names)


def _year(entry: dict, field: str = "issued") -> str:
    parts = (entry.get(field) or {}).get("date-parts") or [[]]
    return str(parts[0][0]) if parts and parts[0] else ""


def _date(entry: dict, field: str) -> str:
    import calendar
    parts = (entry.get(field) or {}).get("date-parts") or [[]]
    p = parts[0] if parts else []
    if len(p) >= 3:
        return f"{calendar.month_name[int(p[1])]} {int(p[2])}, {p[0]}"
    if len(p) == 2:
        return f"{calendar.month_name[int(p[1])]} {p[0]}"
    return str(p[0]) if p else ""


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _doi_url(entry: dict) -> str:
    if doi := entry.get("DOI"):
        doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", str(doi).strip())
        return f' doi:<a href="https://doi.org/{_e(doi)}">{_e(doi)}</a>'
    if url := entry.get("URL"):
        return f' <a href="{_e(url)}">{_e(url)}</a>'
    return ""


def format_full(entry: dict) -> str:
    """One AMA entry as inline HTML."""
    kind = entry.get("type")
    authors = format_authors(entry.get("author") or [])
    head = _e(_sentence(authors)) + " " if authors else ""
    title = _e(_sentence(entry["title"]))
    year = _year(entry)
    if kind in ("book", "report"):
        body = f"<i>{title}</i>"
        if entry.get("edition"):
            body += f" {_e(entry['edition'])} ed."
        where = ": ".join(_e(x) for x in (entry.get("publisher-place"), entry.get("publisher")) if x)
        body += f" {where}; {year}." if where else (f" {year}." if year else "")
        if kind == "report" and (entry.get("genre") or entry.get("number")):
            body += " " + _e(_sentence(" ".join(str(x) for x in (entry.get("genre"), entry.get("number")) if x)))
    elif kind == "chapter":
        editors = format_authors(entry.get("editor") or [])
        eds = f" {_e(editors)}, eds." if editors else ""
        where = ": ".join(_e(x) for x in (entry.get("publisher-place"), entry.get("publisher")) if x)
        pages = f":{_e(entry['page'])}" if entry.get("page") else ""
        body = f"{title} In:{eds} <i>{_e(_sentence(entry.get('container-title', '')))}</i>"
        body += f" {where}; {year}{pages}." if where else f" {year}{pages}."
    elif kind in ("webpage", "post-weblog"):
        site = entry.get("container-title")
        body = title + (f" {_e(_sentence(site))}" if site else "")
        if year:
            body += f" Published {_date(entry, 'issued')}."
        if entry.get("accessed"):
            body += f" Accessed {_date(entry, 'accessed')}."
    else:
        journal = entry.get("container-title-short") or entry.get("container-title", "")
        body = f"{title} <i>{_e(journal)}</i>." if journal else title
        body += f" {year}" if year else ""
        if entry.get("volume"):
            body += f";{_e(entry['volume'])}"
            if entry.get("issue"):
                body += f"({_e(entry['issue'])})"
        if entry.get("page"):
            body += f":{_e(str(entry['page']).replace('–', '-'))}"
        body += "."
    note = f" {_e(_sentence(entry['note']))}" if entry.get("note") else ""
    return (head + body + note + _doi_url(entry)).strip()


def format_short(entry: dict) -> str:
    """A later note's short form: the first author and the year, e.g. "Lundberg et al, 1999"."""
    people = [p for p in entry.get("author") or [] if isinstance(p, dict)]
    if not people:
        lead = _e(entry["title"])
    else:
        first = people[0].get("literal") or people[0].get("family", "")
        if len(people) == 2:
            second = people[1].get("literal") or people[1].get("family", "")
            lead = f"{_e(first)} and {_e(second)}"
        else:
            lead = _e(first) + (" et al" if len(people) > 2 else "")
    year = _year(entry)
    return f"{lead}, {year}" if year else lead


class KeyIndex:
    """Suggests the nearest citation keys for a misspelt one, in time that does not grow with the
    number of references: only rare trigrams are looked up, and each key is answered once."""

    COMMON = 200   # a trigram shared by more keys than this says little about which key was meant

    def __init__(self, keys):
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
