"""The schemas of book.toml, brand.toml and chapter front matter: types, required keys, defaults.

TOML gives no line numbers, so `key_lines` reads them off the text: every error can point at the
key that caused it.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import Collector


@dataclass(frozen=True)
class Field:
    kind: type | str          # str, bool, dt.date, "list[str]", "tables", "table"
    required: bool = False
    check: Callable[[Any], str | None] | None = None   # returns an error message or None
    fields: dict | None = None                          # for "tables" and "table"


def _bcp47(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*", value):
        return None
    return f'"{value}" is not a BCP 47 language tag (for example "en", "en-US" or "fr-CA")'


PERSON = {"name": Field(str, required=True), "credentials": Field(str)}

BOOK_SCHEMA = {
    "title": Field(str, required=True),
    "subtitle": Field(str),
    "language": Field(str, check=_bcp47),
    "slug": Field(str, check=lambda v: None if re.fullmatch(r"[a-z0-9][a-z0-9._-]*", v)
                  else "use only lowercase letters, digits, dots, hyphens and underscores"),
    "identifier": Field(str),
    "description": Field(str),
    "published": Field(dt.date),
    "reviewed": Field(dt.date),
    "next_review": Field(dt.date),
    "references": Field(str),
    "chapters": Field("list[str]"),
    "authors": Field("tables", fields=PERSON),
    "reviewers": Field("tables", fields=PERSON),
}

FRONT_MATTER_SCHEMA = {"title": Field(str, required=True)}

TYPE_NAMES = {str: "text in quotes", bool: "true or false", dt.date: "a date such as 2026-11-20",
              "list[str]": 'a list of texts such as ["a", "b"]', "tables": "a [[table]] list",
              "table": "a [table]"}

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_KEY = re.compile(r'^\s*("[^"]*"|[A-Za-z0-9_-]+)\s*=')


def key_lines(text: str) -> dict[tuple, int]:
    """Map each key path, e.g. ("colors", "primary") or ("authors", 0, "name"), to its 1-based line."""
    lines: dict[tuple, int] = {}
    prefix: tuple = ()
    counts: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            name = header.group(2)
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                prefix = (name, counts[name])
            else:
                prefix = tuple(name.split("."))
            lines.setdefault(prefix, number)
        elif key := _KEY.match(line):
            lines.setdefault(prefix + (key.group(1).strip('"'),), number)
    return lines


def read_toml(path: Path, errors: Collector) -> tuple[dict, dict[tuple, int]] | None:
    """Parse a TOML file; a syntax error is reported at its line and gives None."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.error(path, 0, "file not found")
        return None
    except UnicodeDecodeError:
        errors.error(path, 0, "the file is not UTF-8 text; save it as UTF-8")
        return None
    try:
        return tomllib.loads(text), key_lines(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else 0
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        errors.error(path, line, f"not valid TOML: {message}")
        return None


def read_config(folder: Path, name: str, schema: dict, what: str,
                errors: Collector) -> tuple[dict, dict[tuple, int]] | None:
    """`folder/name` read and checked against `schema`: (the valid settings, key lines), or None."""
    if not folder.is_dir():
        errors.error(folder, 0, f"the {what} folder does not exist")
        return None
    read = read_toml(folder / name, errors)
    if read is None:
        return None
    data, lines = read
    return validate(data, schema, folder / name, lines, errors), lines


def validate(data: dict, schema: dict, path: Path, lines: dict[tuple, int], errors: Collector,
             prefix: tuple = (), where: int = 0) -> dict:
    """Check `data` against `schema`; report each problem at its key's line; return the valid part."""
    valid = {}
    for key, value in data.items():
        line = lines.get(prefix + (key,), where)
        if key not in schema:
            known = ", ".join(schema)
            errors.error(path, line, f'unknown key "{key}"; the valid keys here are: {known}')
            continue
        checked = _check_value(value, schema[key], path, lines, errors, prefix + (key,), line)
        if checked is not None:
            valid[key] = checked
    for key, spec in schema.items():
        if spec.required and key not in data:
            name = ".".join(str(p) for p in prefix + (key,))
            errors.error(path, where or lines.get(prefix, 1), f'the required key "{name}" is missing')
    return valid


def _check_value(value: Any, spec: Field, path: Path, lines: dict, errors: Collector,
                 keypath: tuple, line: int) -> Any:
    name = ".".join(str(p) for p in keypath if not isinstance(p, int))
    if spec.kind == "tables":
        if not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            errors.error(path, line, f'"{name}" must be {TYPE_NAMES["tables"]}, like [[{name}]]')
            return None
        return [validate(item, spec.fields, path, lines, errors, keypath + (i,),
                         lines.get(keypath + (i,), line)) for i, item in enumerate(value)]
    if spec.kind == "table":
        if not isinstance(value, dict):
            errors.error(path, line, f'"{name}" must be {TYPE_NAMES["table"]}, like [{name}]')
            return None
        return validate(value, spec.fields, path, lines, errors, keypath, lines.get(keypath, line))
    if spec.kind == "list[str]":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif spec.kind is dt.date:
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    else:
        ok = isinstance(value, spec.kind)
    if not ok:
        errors.error(path, line, f'"{name}" must be {TYPE_NAMES[spec.kind]}, not {_describe(value)}')
        return None
    if spec.check and (message := spec.check(value)):
        errors.error(path, line, f'"{name}": {message}')
        return None
    return value


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return "a date with a time"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def slugify(title: str) -> str:
    """The title lowercased, each run of other characters turned into one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "book"


def _color(value: str) -> str | None:
    return None if re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else f'"{value}" is not a colour of the form #rrggbb'


BRAND_SCHEMA = {
    "name": Field(str, required=True),
    "logo": Field(str),
    "page_size": Field(str, check=lambda v: None if v in ("A4", "Letter")
                       else f'"{v}" is not a page size; use "A4" or "Letter"'),
    "feedback": Field(str),
    "fonts": Field("list[str]"),
    "colors": Field("table", fields={"primary": Field(str, check=_color), "accent": Field(str, check=_color)}),
    "contact": Field("table", fields={k: Field(str) for k in ("phone", "website", "address", "email")}),
}
