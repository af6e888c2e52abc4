"""new-brand and new-book: the scaffolding step, before load; each writes files that `check` accepts.

new-brand writes a commented brand pack. new-book writes a starter book: a book.toml with every key of
`BOOK_SCHEMA`, generated from the schema's docs so that it stays in sync, one chapter that shows each
feature, a references.json with one entry of each common type, and a figure (`docbuild/starter/`).
The starter names no reviewer: it must not claim a clinical review, so check warns until one is added.
"""
from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import textwrap
import uuid
from pathlib import Path
from typing import Any

from .config import BOOK_SCHEMA, COLORS, NO_DEFAULT, TYPE_NAMES
from .errors import DocError, Location, Problem

BRAND_TOML = '''# A clinic's brand pack: edit this file, replace logo.svg, then build with
#   python make_docs.py build --brand {folder}
name = "Your Clinic Name"          # shown on the title page, the contact page and the page footer
logo = "logo.svg"                  # SVG or PNG, in this folder
page_size = "A4"                   # "A4" or "Letter"
# feedback = "Tell us what you think of this leaflet: …"   # one line on the contact page
# fonts = ["Family Name"]          # families in fonts/ (TTF, OTF, WOFF2): the first sets headings,
#                                  # a second one the body text

[colors]                           # #rrggbb; checked against the white page (WCAG AA)
primary = "{primary}"                # headings and links: needs a contrast of 4.5:1
accent = "{accent}"                 # rules and box borders: needs 3:1

[contact]                          # leave out any line you do not want printed
phone = "+1 555 0100"
website = "https://clinic.example"
address = "1 Main Street, Town"
email = "info@clinic.example"
'''

LOGO = '''<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 80" width="240" height="80" role="img">
<title>Clinic logo placeholder</title>
<rect x="2" y="2" width="236" height="76" rx="12" fill="none" stroke="#1a1a1a" stroke-width="4"/>
<text x="120" y="50" text-anchor="middle" font-family="Atkinson Hyperlegible, sans-serif" font-size="24" fill="#1a1a1a">Your logo</text>
</svg>
'''

READMES = {
    "templates/README.txt": "A file here replaces the default template of the same name (see the project's "
                            "templates/ folder); {% extends \"default/print.html\" %} lets you replace one block.\n",
    "styles/README.txt": "Every .css file here is applied after the default styles, in the PDF and the EPUB.\n",
}


def new_brand(folder: Path) -> list[Path]:
    """Create the brand pack; refuse to overwrite an existing brand.toml; problems raise DocError."""
    def fail(where: Path, message: str):
        raise DocError([Problem(Location.of(where), message)])
    if (folder / "brand.toml").exists():
        fail(folder / "brand.toml", "a brand pack is already there; choose another folder")
    if folder.exists() and not folder.is_dir():
        fail(folder, "this is a file, not a folder; choose a new folder for the brand pack")
    files = {"brand.toml": BRAND_TOML.format(folder=folder.as_posix(), primary=COLORS["primary"].default,
                                            accent=COLORS["accent"].default), "logo.svg": LOGO, **READMES}
    written = []
    try:
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        fail(Path(exc.filename or folder), f"cannot write the brand pack here: {exc.strerror.lower()}")
    return written


STARTER_FILES = ("references.json", "chapters/01-your-first-chapter.md", "images/three-steps.svg")

BOOK_HEADER = """# book.toml: the handout's title, people, dates and chapters. Every key docbuild knows is below, with
# what it does. A line that starts with "#" is only a note; to use a key that is noted out, delete
# the "# " in front of it.
#
#   python make_docs.py check --book {folder}     find every mistake, with its line
#   python make_docs.py build --book {folder}     make the PDF and the EPUB in dist/
#   python make_docs.py report --book {folder}    reading grade of each chapter, review dates
"""

NO_REVIEWER = ("# This starter names no reviewer on purpose: add one only once a clinician has reviewed the\n"
               "# handout. Until then, check and build warn that it has not been clinically reviewed.\n")


def starter_values(today: dt.date) -> dict[str, tuple[Any, bool]]:
    """book.toml's example values: key -> (value, set rather than noted out). Other keys show their default."""
    return {
        "title": ("Your handout title", True),
        "subtitle": ("Who it is for, in a few words", True),
        "language": ("en", True),
        "slug": ("your-handout-title", False),
        "identifier": (f"urn:uuid:{uuid.uuid4()}", True),
        "description": ("One or two sentences about the handout, for the ebook's details.", True),
        "published": (today, False),
        "reviewed": (today, False),
        "next_review": (today + dt.timedelta(days=730), False),
        "chapters": ([STARTER_FILES[1]], True),
        "editions": (["standard", "large-print"], False),
        "leaflet_code": ("PI-0001", False),
        "version": ("1.0", False),
        "authors": ([{"name": ("Your name", True), "credentials": ("RN", False)}], True),
        "reviewers": ([{"name": ("The reviewing clinician's name", False), "credentials": ("MD", False)}], False),
    }


def book_toml(folder: Path, today: dt.date) -> str:
    """A book.toml with every key of BOOK_SCHEMA, each under a note made from its doc; tables last."""
    values = starter_values(today)
    sections = [k for k, spec in BOOK_SCHEMA.items() if spec.kind in ("tables", "table", "strings")]
    out = [BOOK_HEADER.format(folder=folder.as_posix())]
    for key, spec in BOOK_SCHEMA.items():
        if key not in sections:
            value, active = values.get(key, (_example(spec), False))
            out.append(_note(spec) + _setting(key, value, active))
    out += [_section(key, values.get(key, ([{}], False))) for key in sections]
    return "\n".join(out)


def _note(spec) -> str:
    kind = "" if spec.kind in ("tables", "table") else ": " + TYPE_NAMES[spec.kind] + (
        ", required" if spec.required else "")
    return textwrap.fill(spec.doc + kind, 100, initial_indent="# ", subsequent_indent="# ") + "\n"


def _setting(key: str, value: Any, active: bool) -> str:
    return f"{'' if active else '# '}{key} = {toml_value(value)}\n"


def _section(key: str, given: tuple[list[dict], bool]) -> str:
    """A [[table]] list (one block per item), a [table] or a [strings] table, set or noted out."""
    spec = BOOK_SCHEMA[key]
    items, active = given
    header = f"[[{key}]]" if spec.kind == "tables" else f"[{key}]"
    text = _note(spec) + ("" if active or key != "reviewers" else NO_REVIEWER)
    for item in items:
        text += f"{'' if active else '# '}{header}\n"
        for name, field in (spec.fields or {}).items():
            value, set_ = item.get(name, (_example(field), False))
            text += _note(field) + _setting(name, value, active and set_)
    return text


def _example(spec) -> Any:
    """The value a noted-out key shows: its default, or an example of its type."""
    if spec.default is not NO_DEFAULT:
        return spec.default
    return {dt.date: dt.date(2026, 1, 1), "list[str]": [], int: 1, float: 1.0, bool: False}.get(spec.kind, "")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, dt.date)):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def new_book(folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write the starter book into `folder`; refuse to overwrite anything; problems raise DocError."""
    _check_place(folder)
    starter = importlib.resources.files(__package__).joinpath("starter")
    files = {"book.toml": book_toml(folder, today or dt.date.today()).encode("utf-8"),
             **{name: starter.joinpath(name).read_bytes() for name in STARTER_FILES}}
    written: list[Path] = []
    try:
        for name, data in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as stream:    # x: never overwrite, even a file made a moment ago
                written.append(path)
                stream.write(data)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise DocError([Problem(Location.of(Path(exc.filename or folder)),
                                f"cannot write the book here: {(exc.strerror or str(exc)).lower()}")]) from None
    return written


def _check_place(folder: Path) -> None:
    """Every reason the starter cannot go into `folder`, found before anything is written."""
    problems = []
    fail = lambda where, message: problems.append(Problem(Location.of(where), message))
    above = next((p for p in folder.absolute().parents if p.exists() or p.is_symlink()), None)
    if above is not None and not above.is_dir():
        fail(above, "this is a file, so no folder can be made inside it: choose another place for the book")
    elif (folder / "book.toml").exists() or (folder / "book.toml").is_symlink():
        fail(folder / "book.toml", "a book is already there; choose another folder")
    elif folder.exists() and not folder.is_dir():
        fail(folder, "this is a file, not a folder; choose a new folder for the book")
    else:
        for name in ("chapters", "images"):
            if (folder / name).exists() and not (folder / name).is_dir():
                fail(folder / name, "this is a file where the starter book needs a folder: move it or "
                     "choose another folder")
        for name in STARTER_FILES:
            if (folder / name).exists() or (folder / name).is_symlink():
                fail(folder / name, "a file is already there, and the starter never overwrites one: move it "
                     "or choose another folder")
    if problems:
        raise DocError(problems)
