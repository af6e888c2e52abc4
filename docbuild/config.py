"""Config: the schemas of book.toml, brand.toml and chapter front matter, and the typed objects they give.

Each key is one `Field`: its type, default, check and one-line doc. This is the only place a default
lives; `validate` reports every problem at its key's line, and `BookConfig` / `BrandConfig` are the
frozen, fully defaulted results. The README's key tables are generated from here (`python -m
docbuild.config`), and a test keeps them in sync.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields as dataclass_fields
from typing import Any, Callable

from .errors import Collector

NO_DEFAULT = object()


@dataclass(frozen=True)
class Field:
    kind: type | str          # str, bool, int, dt.date, "list[str]", "tables", "table", "strings"
    doc: str
    default: Any = NO_DEFAULT  # NO_DEFAULT: the key is absent (None in the typed object)
    required: bool = False
    check: Callable[[Any], str | None] | None = None   # returns an error message or None
    fields: dict | None = None                          # for "tables" and "table"


def _bcp47(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-[A-Za-z0-9]{5,8})*", value):
        return None
    return f'"{value}" is not a BCP 47 language tag (for example "en", "en-US" or "fr-CA")'


def _one_of(noun: str, *choices: Any) -> Callable[[Any], str | None]:
    names = " or ".join(f'"{c}"' if isinstance(c, str) else str(c).lower() for c in choices)
    return lambda v: None if v in choices else f'"{v}" is not {noun}; use {names}'




def _slug(value: str) -> str | None:
    if re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,99}", value):
        return None
    return "use 1 to 100 lowercase letters, digits, dots, hyphens and underscores"


def _color(value: str) -> str | None:
    return None if re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else f'"{value}" is not a colour of the form #rrggbb'


def _editions(value: list) -> str | None:
    return None if value else "list at least one edition, such as [\"standard\"]"


def _grade(value: int) -> str | None:
    return None if 1 <= value <= 18 else "use a US school grade from 1 to 18"


PERSON = {"name": Field(str, "the person's name", required=True),
          "credentials": Field(str, 'qualifications shown after the name, such as "RN"', default="")}

BOOK_SCHEMA = {
    "title": Field(str, "the handout's title", required=True),
    "subtitle": Field(str, "a line under the title", default=""),
    "language": Field(str, "BCP 47 language tag: labels, dates, hyphenation patterns", default="en",
                      check=_bcp47),
    "slug": Field(str, "stem of the output files; default: the title lowercased, other characters "
                  "turned into hyphens", check=_slug),
    "identifier": Field(str, "stable id of the ebook; default: derived from the title"),
    "description": Field(str, "one paragraph for the ebook's metadata", default=""),
    "published": Field(dt.date, "date first published (TOML date, no quotes)"),
    "reviewed": Field(dt.date, "date of the last clinical review; also the date the files carry"),
    "next_review": Field(dt.date, "date the next review is due; a date in the past gives a warning"),
    "references": Field(str, "the CSL-JSON file, inside the book", default="references.json"),
    "chapters": Field("list[str]", "chapter files in reading order; default: chapters/*.md by name"),
    "editions": Field("list[str]", 'editions to build: "standard", "large-print", "booklet"',
                      default=("standard",), check=_editions),
    "leaflet_code": Field(str, 'the clinic\'s code for this leaflet, shown in "About this leaflet"', default=""),
    "version": Field(str, 'the leaflet\'s version, shown in "About this leaflet"', default=""),
    "contents": Field("auto-bool", 'a contents list: "auto" (for 4 chapters or more), true or false',
                      default="auto"),
    "chapter_breaks": Field(str, '"flow" (chapters follow on) or "page" (each starts a page)', default="flow",
                            check=_one_of("a chapter break", "flow", "page")),
    "citation_style": Field(str, '"ama", "vancouver" or a .csl file inside the book', default="ama"),
    "references_list": Field(str, '"end" (a References list) or "none" (notes only)', default="end",
                             check=_one_of("a references list setting", "end", "none")),
    "reading_grade": Field(int, "the highest US school grade (Flesch-Kincaid, for English) a chapter "
                           "should read at; a chapter above it gives a warning", default=8, check=_grade),
    "authors": Field("tables", "[[authors]] name and credentials", default=(), fields=PERSON),
    "reviewers": Field("tables", "[[reviewers]] name and credentials; none gives a warning",
                       default=(), fields=PERSON),
}

FRONT_MATTER_SCHEMA = {"title": Field(str, "the chapter's heading", required=True)}

COLORS = {"primary": Field(str, "headings and links; needs 4.5:1 against white", default="#1f4e79",
                           check=_color),
          "accent": Field(str, "rules and box borders; needs 3:1 against white", default="#8a4b08",
                          check=_color)}
CONTACT = {key: Field(str, doc, default="") for key, doc in (
    ("phone", "a phone number"), ("website", "an http(s) address"), ("address", "a postal address"),
    ("email", "an email address"))}

def _size(value: float) -> str | None:
    return None if 6 <= value <= 48 else "use a size in points from 6 to 48"


EDITION_FIELDS = {
    "body_size": Field(float, "body text size in points", check=_size),
    "small_size": Field(float, "smallest text (notes, running heads) in points", check=_size),
    "line_height": Field(float, "line spacing, as a multiple of the size",
                         check=lambda v: None if 1 <= v <= 3 else "use a number from 1 to 3"),
    "notes": Field(str, '"page" or "chapter"', check=_one_of("a note placement", "page", "chapter")),
    "hyphenate": Field(bool, "hyphenate automatically"),
}

BRAND_SCHEMA = {
    "name": Field(str, "the clinic's name: title page, contact page, page footer, EPUB publisher",
                  required=True),
    "logo": Field(str, "an SVG or PNG file in the pack"),
    "page_size": Field(str, '"A4" or "Letter"', default="A4", check=_one_of("a page size", "A4", "Letter")),
    "feedback": Field(str, "one line on the contact page", default=""),
    "fonts": Field("list[str]", "families in the pack's fonts/: the first sets headings, a second the body",
                   default=()),
    "colors": Field("table", "[colors] primary and accent, #rrggbb", default={}, fields=COLORS),
    "contact": Field("table", "[contact] phone, website, address, email; each optional", default={},
                     fields=CONTACT),
    "strings": Field("strings", '[strings] your own wording for any built-in text: "Contact us" = "Talk to us"',
                     default={}),
    "large_print_notice": Field(bool, "say on page 1 that large print and other formats are available",
                                default=True),
    "hyphenate": Field(bool, "hyphenate the leaflet's text automatically (off: plain-language advice)",
                       default=False),
    "editions": Field("table", "[editions.NAME] settings that change an edition for this brand", default={},
                      fields={name: Field("table", f"[editions.{name}]", default={}, fields=EDITION_FIELDS)
                              for name in ("standard", "large-print", "booklet")}),
}

TYPE_NAMES = {str: "text in quotes", bool: "true or false", int: "a whole number", float: "a number",
              "auto-bool": '"auto", true or false', "strings": "a [strings] table of texts",
              dt.date: "a date such as 2026-11-20", "list[str]": 'a list of texts such as ["a", "b"]',
              "tables": "a [[table]] list", "table": "a [table]"}


@dataclass(frozen=True)
class Person:
    name: str
    credentials: str

    @property
    def display(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


@dataclass(frozen=True)
class BookConfig:
    title: str
    subtitle: str
    language: str
    slug: str
    identifier: str
    description: str
    published: dt.date | None
    reviewed: dt.date | None
    next_review: dt.date | None
    references: str
    chapters: tuple[str, ...] | None
    editions: tuple[str, ...]
    leaflet_code: str
    version: str
    contents: str | bool
    chapter_breaks: str
    citation_style: str
    references_list: str
    reading_grade: int
    authors: tuple[Person, ...]
    reviewers: tuple[Person, ...]

    @property
    def date(self) -> dt.date:
        """The date the outputs carry, so that the same inputs give the same bytes."""
        return self.reviewed or self.published or dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Colors:
    primary: str
    accent: str


@dataclass(frozen=True)
class Contact:
    phone: str
    website: str
    address: str
    email: str

    def __bool__(self) -> bool:
        return any((self.phone, self.website, self.address, self.email))


@dataclass(frozen=True)
class BrandConfig:
    name: str
    logo: str | None
    page_size: str
    feedback: str
    fonts: tuple[str, ...]
    colors: Colors
    contact: Contact
    strings: dict
    large_print_notice: bool
    hyphenate: bool
    editions: dict


def with_defaults(values: dict, schema: dict) -> dict:
    """Every key of `schema`: the given value, else its default, else None; tables filled likewise."""
    out = {}
    for key, spec in schema.items():
        value = values.get(key, spec.default)
        if value is NO_DEFAULT:
            value = None
        elif spec.kind == "strings":
            value = dict(value)
        elif spec.kind == "table" and key != "editions":
            value = with_defaults(value, spec.fields)
        elif spec.kind == "tables":
            value = tuple(with_defaults(v, spec.fields) for v in value)
        elif isinstance(value, list):
            value = tuple(value)
        out[key] = value
    return out


def book_config(values: dict, slug: str, identifier: str) -> BookConfig:
    data = with_defaults(values, BOOK_SCHEMA)
    people = lambda key: tuple(Person(**p) for p in data[key] if p.get("name"))
    data.update(slug=data["slug"] or slug, identifier=data["identifier"] or identifier,
                authors=people("authors"), reviewers=people("reviewers"))
    return BookConfig(**data)


def brand_config(values: dict) -> BrandConfig:
    data = with_defaults(values, BRAND_SCHEMA)
    data.update(colors=Colors(**data["colors"]), contact=Contact(**data["contact"]))
    return BrandConfig(**data)


def validate(data: dict, schema: dict, path, lines: dict[tuple, int], errors: Collector,
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


def _check_value(value: Any, spec: Field, path, lines: dict, errors: Collector,
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
    if not _is_kind(value, spec.kind):
        errors.error(path, line, f'"{name}" must be {TYPE_NAMES[spec.kind]}, not {_describe(value)}')
        return None
    if spec.check and (message := spec.check(value)):
        errors.error(path, line, message if message.startswith('"') else f'"{name}": {message}')
        return None
    return value


def _is_kind(value: Any, kind: type | str) -> bool:
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind is dt.date:
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if kind == "strings":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if kind == "auto-bool":
        return value == "auto" or isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'the text "{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, dt.datetime):
        return "a date with a time"
    return {list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def slugify(title: str) -> str:
    """The title lowercased, each run of other characters turned into one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100].strip("-") or "book"


def key_table(schema: dict, prefix: str = "") -> list[str]:
    """Markdown rows `| key | type | default | what it does |` for the README."""
    rows = []
    for key, spec in schema.items():
        name = f"{prefix}{key}"
        if spec.kind == "table":
            rows += key_table(spec.fields, f"{name}.")
            continue
        default = "required" if spec.required else _default_text(spec.default)
        kind = TYPE_NAMES[spec.kind].replace("|", "\\|")
        rows.append(f"| `{name}` | {kind} | {default} | {spec.doc} |")
        if spec.kind == "tables":
            rows += key_table(spec.fields, f"{name}[].")
    return rows


def _default_text(default: Any) -> str:
    if default is NO_DEFAULT:
        return "—"
    if isinstance(default, (tuple, list)):
        return "`[" + ", ".join(f'"{d}"' for d in default) + "]`" if default else "none"
    if isinstance(default, dict):
        return "—"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f'`"{default}"`' if isinstance(default, str) and default else (f"`{default}`" if default != "" else '`""`')


def readme_tables() -> dict[str, str]:
    """The generated README sections, by marker name."""
    head = ["| key | type | default | what it does |", "|---|---|---|---|"]
    return {"book.toml": "\n".join(head + key_table(BOOK_SCHEMA)),
            "brand.toml": "\n".join(head + key_table(BRAND_SCHEMA))}


def check_typed_objects() -> list[str]:
    """Names that are in a schema but not in its typed object, or the other way round."""
    out = []
    for schema, cls in ((BOOK_SCHEMA, BookConfig), (BRAND_SCHEMA, BrandConfig)):
        names = {f.name for f in dataclass_fields(cls)}
        out += sorted(names ^ set(schema))
    return out


if __name__ == "__main__":
    for marker, table in readme_tables().items():
        print(f"<!-- keys:{marker} -->\n{table}\n<!-- /keys:{marker} -->\n")
