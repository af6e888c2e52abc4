"""Governance (write step, for a catalogue): OUT/index.html and OUT/index.csv, the list staff review.

One row per book × brand: title, language, brand, editions, each file with its size and pages, the
reviewed date, the next review due (overdue ones first and marked in words, not colour alone) and
the reading grade (Flesch-Kincaid on the body text, English only; textstat is optional). The page
is rendered from the project's `templates/index.html` in the sandbox, escaped; the CSV guards
against spreadsheet formulas. A small manifest (OUT/.docbuild-catalogue.json) remembers each file's
pages by its size and time, so an unchanged catalogue does not read its PDFs again.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .errors import DocError, Location, Problem
from .outputs import Output

MANIFEST = ".docbuild-catalogue.json"
INDEX_TEMPLATE = "index.html"
_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b[^>]*>>\s*stream\r?\n")
_PAGES_TYPE = re.compile(rb"/Type\s*/Pages\b")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class FileFact:
    name: str        # inside OUT, with "/" (riverside/leaflet.pdf)
    size: int
    pages: int = 0


@dataclass(frozen=True)
class Handout:
    """One row of the index: a book as one brand delivers it."""
    title: str
    slug: str
    language: str
    brand: str
    editions: tuple[str, ...]
    files: tuple[FileFact, ...]
    reviewed: dt.date | None
    next_review: dt.date | None
    grade: float | None
    book: str                 # the book folder, as shown in messages
    problem: str = ""         # why the files are not current, or ""


# ---- pages ------------------------------------------------------------------------------------

def pdf_pages(data: bytes) -> int:
    """A PDF's page count: the /Count of its page tree, found in the file and its object streams.

    pypdf reads every object of a stream to reach one (in a tagged PDF, most of the file): this is
    about twenty times faster. A PDF it cannot read this way goes to pypdf."""
    counts = [int(count) for chunk in (data, *_object_streams(data)) for tree in _page_trees(chunk)
              for count in _COUNT.findall(tree)]
    if counts:
        return max(counts)   # the root of the page tree counts every page
    from .renderers import page_count
    return page_count(data)


def _page_trees(chunk: bytes) -> list[bytes]:
    """Each dictionary (without one inside it) that says /Type /Pages: found from the name
    outwards, which is ten times faster than trying a dictionary at every "<<" of the file."""
    trees = []
    for match in _PAGES_TYPE.finditer(chunk):
        start, end = chunk.rfind(b"<<", 0, match.start()), chunk.find(b">>", match.end())
        if start >= 0 and end >= 0 and chunk.find(b">>", start, match.start()) < 0 \
                and chunk.find(b"<<", match.end(), end) < 0:
            trees.append(chunk[start:end + 2])
    return trees


def _object_streams(data: bytes) -> list[bytes]:
    streams = []
    for match in _OBJSTM.finditer(data):
        try:
            streams.append(zlib.decompressobj().decompress(data[match.end():]))
        except zlib.error:
            continue
    return streams


def file_facts(out: Path, folder: str, names: list[str], known: dict[str, list[int]],
               fresh: dict[Path, int]) -> tuple[FileFact, ...]:
    """The files of one row that are in OUT now: sizes from the disk, pages from this build
    (`fresh`), else from the manifest when the file did not change, else counted."""
    facts = []
    for name in dict.fromkeys([*names, *known]):
        path = out / folder / name
        try:
            stat = path.stat()
        except OSError:
            continue
        pages = fresh.get(path)
        if pages is None:
            record = known.get(name)
            same = record is not None and record[:2] == [stat.st_size, stat.st_mtime_ns]
            pages = record[2] if same else _count(path)
        facts.append(FileFact(f"{folder}/{name}", stat.st_size, pages))
    return tuple(facts)


def _count(path: Path) -> int:
    if path.suffix != ".pdf":
        return 0
    try:
        return pdf_pages(path.read_bytes())
    except Exception:   # a damaged or foreign file in OUT: listed, without pages
        return 0


# ---- the manifest -----------------------------------------------------------------------------

def load_manifest(out: Path) -> dict[str, dict]:
    """Row key ("brand/slug") -> {"files": {name: [size, mtime_ns, pages]}, "grade": [text digest,
    grade]}; {} when the manifest is absent or damaged (then pages are counted and grades measured)."""
    try:
        rows = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["rows"]
        return {key: {"files": {name: [int(v) for v in value] for name, value in row["files"].items()},
                      "grade": list(row["grade"])} for key, row in rows.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def manifest_output(out: Path, rows: dict[str, tuple[tuple[FileFact, ...], list]]) -> Output:
    table = {}
    for key, (facts, grade) in sorted(rows.items()):
        files = {}
        for fact in facts:
            stat = (out / fact.name).stat()
            files[fact.name.rsplit("/", 1)[-1]] = [stat.st_size, stat.st_mtime_ns, fact.pages]
        table[key] = {"files": files, "grade": grade}
    return Output(out / MANIFEST, json.dumps({"rows": table}, indent=1).encode())


# ---- review dates and reading grade -----------------------------------------------------------

def review_status(next_review: dt.date | None, today: dt.date, soon_days: int) -> tuple[str, int]:
    """("overdue" | "due soon" | "ok" | "no date", days until due: negative when overdue)."""
    if next_review is None:
        return "no date", 0
    days = (next_review - today).days
    if days < 0:
        return "overdue", days
    return ("due soon" if days <= soon_days else "ok"), days


def reading_grade(book, cached: list | None = None) -> list:
    """[digest of the body text, its Flesch-Kincaid grade]: `cached` when the text did not change
    (so an unchanged catalogue does not load textstat). The grade is None for a book not in English
    or when textstat is not installed."""
    from .text import body_text
    text = " ".join(body_text(chapter) for chapter in book.chapters)
    language = book.config.language.lower()
    digest = hashlib.sha256(f"{language}\0{text}".encode()).hexdigest()[:32]
    if cached and cached[0] == digest:
        return cached
    textstat = _textstat() if language.split("-")[0] == "en" and text else None
    return [digest, round(float(textstat.flesch_kincaid_grade(text)), 1) if textstat else None]


def _textstat():
    try:
        import textstat
    except ImportError:
        return None
    # textstat 0.7.10+ downloads a pronunciation dictionary on first use; count syllables with Pyphen
    counts = sys.modules.get("textstat.backend.counts._count_syllables")
    if counts is not None:
        counts.get_cmudict = lambda lang: None
    return textstat


# ---- the index --------------------------------------------------------------------------------

def ordered(handouts: list[Handout], today: dt.date, soon_days: int) -> list[Handout]:
    """Overdue first (longest overdue first), then by the date the next review is due."""
    def key(handout: Handout):
        status, days = review_status(handout.next_review, today, soon_days)
        return (status != "overdue", handout.next_review is None, days, handout.title, handout.brand)
    return sorted(handouts, key=key)


def index_outputs(out: Path, title: str, handouts: list[Handout], today: dt.date,
                  soon_days: int) -> list[Output]:
    rows = [_row(h, today, soon_days) for h in ordered(handouts, today, soon_days)]
    return [Output(out / "index.html", _html(title, rows, today).encode("utf-8")),
            Output(out / "index.csv", _csv(rows).encode("utf-8"))]


def _row(handout: Handout, today: dt.date, soon_days: int) -> dict[str, Any]:
    status, days = review_status(handout.next_review, today, soon_days)
    labels = {"overdue": f"OVERDUE by {-days} days", "due soon": f"due soon: in {days} days",
              "ok": f"due in {days} days", "no date": "no review date set"}
    return {"status": status.replace(" ", "-"), "status_label": labels[status], "title": handout.title,
            "slug": handout.slug, "language": handout.language, "brand": handout.brand,
            "editions": list(handout.editions), "book": handout.book, "problem": handout.problem,
            "files": [{"name": f.name, "href": quote(f.name), "size": human_size(f.size), "bytes": f.size,
                       "pages": f.pages} for f in handout.files],
            "reviewed": handout.reviewed.isoformat() if handout.reviewed else "",
            "next_review": handout.next_review.isoformat() if handout.next_review else "",
            "grade": "" if handout.grade is None else f"{handout.grade:.1f}"}


def _html(title: str, rows: list[dict], today: dt.date) -> str:
    from .sandbox import TemplateProblem, plain, render_limited
    template = _template()
    data = {"title": title, "today": today.isoformat(), "rows": rows,
            "overdue": sum(r["status"] == "overdue" for r in rows),
            "failed": sum(bool(r["problem"]) for r in rows)}
    try:
        return render_limited(template, plain(data))
    except TemplateProblem as exc:
        raise DocError([Problem(Location.of(exc.filename, exc.lineno), exc.message)]) from None


def _template():
    import jinja2
    from .files import read_text_inside
    from .sandbox import make_environment
    from .theme import TEMPLATES
    path = TEMPLATES / INDEX_TEMPLATE
    text = read_text_inside(path, (TEMPLATES,), "template")
    loader = jinja2.FunctionLoader(lambda name: (text, str(path), lambda: True) if name == INDEX_TEMPLATE else None)
    return make_environment(loader, keep_trailing_newline=True).get_template(INDEX_TEMPLATE)


CSV_COLUMNS = ("status", "title", "slug", "language", "brand", "editions", "files", "pages", "bytes",
               "reviewed", "next_review", "reading_grade", "book", "problem")


def _csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        files = row["files"]
        each = lambda key: " ".join(str(f[key]) for f in files)   # one value a file, in the files' order
        writer.writerow([_cell(value) for value in (
            row["status"], row["title"], row["slug"], row["language"], row["brand"], " ".join(row["editions"]),
            each("name"), each("pages"), each("bytes"), row["reviewed"], row["next_review"], row["grade"],
            row["book"], row["problem"])])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula starts with a quote instead."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA) else value


def human_size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
