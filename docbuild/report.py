"""Report: the read-only step after load that measures a book for its writers and a clinic's dashboard.

Per chapter and for the whole book: words, sentences, the language's readability formulas from
textstat (Flesch-Kincaid grade and SMOG for English), the longest sentences with their lines, and the
words of four syllables or more used most. Then the governance state (who reviewed the book, when,
when the next review is due and how many days are left) and the references never cited.

Only body text is measured (`text.body_text`: no headings, box titles, captions, citations, notes or
references). `reading_grade` in book.toml is the target: `grade_warnings` gives a warning for each
chapter above it, here and in check and build. One plain dict feeds both outputs, text and JSON.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
import sys
import types
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Collector, DocError, Location, Problem, display_path
from .load import load_book
from .model import Book, Chapter
from .text import body_text

log = logging.getLogger(__name__)

GRADE, EASE = "grade", "ease"
LONGEST, BOOK_LONGEST = 3, 5         # longest sentences listed for a chapter, for the book
LONG_WORDS, BOOK_LONG_WORDS = 5, 10  # words of LONG_SYLLABLES or more listed
LONG_SYLLABLES = 4
CMUDICT_MODULE = "textstat.backend.utils._get_cmudict"
SHOWN = 100                          # characters of a sentence shown on a terminal


@dataclass(frozen=True)
class Formula:
    key: str                  # the textstat method, and the key in the JSON
    name: str
    short: str                # column heading
    scale: str                # GRADE (a school grade: lower is easier) or EASE (0-100: higher is easier)
    args: tuple = ()
    target: bool = False      # the figure compared with reading_grade (a US school grade)


# textstat's formulas by language (ISO 639-1); each uses that language's syllable rules (Pyphen).
FORMULAS: dict[str, tuple[Formula, ...]] = {
    "en": (Formula("flesch_kincaid_grade", "Flesch-Kincaid grade", "FK grade", GRADE, target=True),
           Formula("smog_index", "SMOG grade", "SMOG", GRADE),
           Formula("flesch_reading_ease", "Flesch reading ease", "ease", EASE)),
    "es": (Formula("fernandez_huerta", "Fernández Huerta reading ease", "F-Huerta", EASE),
           Formula("szigriszt_pazos", "Szigriszt-Pazos perspicuity", "Szigriszt", EASE)),
    "de": (Formula("flesch_reading_ease", "Flesch-Amstad reading ease", "Amstad", EASE),
           Formula("wiener_sachtextformel", "Wiener Sachtextformel (school grade)", "WSTF", GRADE, (1,))),
    "fr": (Formula("flesch_reading_ease", "Kandel-Moles reading ease", "K-Moles", EASE),),
    "it": (Formula("gulpease_index", "Gulpease index", "Gulpease", EASE),
           Formula("flesch_reading_ease", "Flesch-Vacca reading ease", "F-Vacca", EASE)),
    "nl": (Formula("flesch_reading_ease", "Flesch-Douma reading ease", "Douma", EASE),),
    "ru": (Formula("flesch_reading_ease", "Oborneva reading ease", "Oborneva", EASE),),
}


@functools.cache
def _textstatistics() -> type:
    """textstat's class, counting syllables with Pyphen: 0.7.10+ would otherwise download a
    pronunciation dictionary (nltk's cmudict) on first use, and fail offline.

    When textstat is not loaded yet, its dictionary module is replaced before it loads, which also
    spares importing nltk (half a second, on every check); otherwise the counter's lookup is."""
    no_dictionary = lambda lang: None
    if "textstat" not in sys.modules:
        stub = types.ModuleType(CMUDICT_MODULE)
        stub.get_cmudict = no_dictionary
        sys.modules.setdefault(CMUDICT_MODULE, stub)
    import textstat  # noqa: F401  (loads the backend modules)
    sys.modules["textstat.backend.counts._count_syllables"].get_cmudict = no_dictionary
    from textstat.textstat import textstatistics
    return textstatistics


class Meter:
    """textstat set for one language, on a private instance: the process-wide one is left alone."""

    def __init__(self, language: str):
        import pyphen
        self.language = language
        self.root = language.split("-")[0].lower()
        self.lang = "en_US" if language.lower() == "en" else language.replace("-", "_")
        self.stats = _textstatistics()()
        self.stats.set_lang(self.lang)
        self.formulas = FORMULAS.get(self.root, ())
        self.target = next((f for f in self.formulas if f.target), None)
        self.syllables = pyphen.language_fallback(self.lang) is not None

    def scores(self, text: str) -> dict[str, float | None]:
        if not self.stats.lexicon_count(text):
            return {f.key: None for f in self.formulas}
        return {f.key: round(getattr(self.stats, f.key)(text, *f.args), 2) for f in self.formulas}

    def grade(self, text: str) -> float | None:
        """The figure compared with reading_grade, or None (no US-grade formula, or no words)."""
        if self.target is None or not self.stats.lexicon_count(text):
            return None
        return round(getattr(self.stats, self.target.key)(text, *self.target.args), 2)

    def sentences(self, text: str) -> list[tuple[int, str]]:
        """(words, sentence) as textstat splits them; it ignores pieces of two words or fewer."""
        found = []
        for piece in re.findall(r"\b[^.!?]+[.!?]*", text):
            words = self.stats.lexicon_count(piece)
            if words > 2:
                found.append((words, re.sub(r"\s+([.,;:!?])", r"\1", piece.strip())))
        return found

    def long_words(self, text: str, limit: int) -> list[dict]:
        """The words of LONG_SYLLABLES or more used most (parts of a hyphenated word count alone)."""
        if not self.syllables:
            return []
        counts = Counter(w.lower() for w in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*", text))
        long = [(w, n, self.stats.syllable_count(w)) for w, n in counts.items()]
        long = [item for item in long if item[2] >= LONG_SYLLABLES]
        long.sort(key=lambda item: (-item[1], -item[2], item[0]))
        return [{"word": w, "syllables": s, "count": n} for w, n, s in long[:limit]]


def report(book_dir: Path, as_json: bool = False, today: dt.date | None = None) -> str:
    """The report of the book at `book_dir`, as text or JSON; a broken book raises DocError."""
    today = today or dt.date.today()
    errors = Collector()
    book = load_book(book_dir, errors, today)
    if book is None:
        raise DocError(errors.errors or [Problem(Location.of(book_dir), "the book could not be read")])
    errors.stop_if_errors()
    grade_warnings(book, errors)
    data = book_report(book, list(dict.fromkeys(errors.warnings)), today)
    log.debug("report: %d chapters, %d words", len(book.chapters), data["book"]["words"])
    return json.dumps(data, indent=2, ensure_ascii=False) if as_json else as_text(data)


def grade_warnings(book: Book, errors: Collector) -> None:
    """A warning for each chapter that reads above book.toml's reading_grade (report, check, build)."""
    meter, target = Meter(book.config.language), book.config.reading_grade
    if meter.target is None:
        return
    for chapter in book.chapters:
        text = body_text(chapter)
        grade = meter.grade(text)
        if grade is None or round(grade, 1) <= target:
            continue
        words, sentence = max(meter.sentences(text), key=lambda s: s[0], default=(0, ""))
        line = locate(chapter, sentence)
        where = f"; its longest sentence ({words} words) is at line {line}" if line else ""
        errors.warning(chapter.path, 0, f"the chapter reads at grade {grade:.1f} ({meter.target.name}), above "
                       f"the target of {target} (reading_grade in book.toml): use shorter sentences and "
                       f"everyday words{where}; python make_docs.py report lists the longest sentences and words")


def locate(chapter: Chapter, sentence: str) -> int:
    """The 1-based line where `sentence` starts in the chapter file, or 0 when it cannot be found."""
    words = re.findall(r"\w+", sentence)[:8]
    if not words:
        return 0
    pattern = re.compile(r"\W+".join(re.escape(w) for w in words))
    heading, previous = False, ()
    for token in chapter.tokens:
        heading = token.type == "heading_open" or (heading and token.type != "heading_close")
        if token.type == "inline" and token.map and not heading and (match := pattern.search(token.content)):
            # a box's first paragraph lost its "> [!KIND]" line, which its map still counts
            shift = 1 if [t.type for t in previous] == ["callout_open", "paragraph_open"] else 0
            return token.map[0] + 1 + shift + token.content.count("\n", 0, match.start())
        previous = (*previous[-1:], token)
    return 0


def book_report(book: Book, warnings: list[Problem], today: dt.date) -> dict[str, Any]:
    """Everything the report shows, as plain data (the JSON as it is printed)."""
    meter = Meter(book.config.language)
    texts = [body_text(chapter) for chapter in book.chapters]
    said = [[(words, s, c) for words, s in meter.sentences(text)] for c, text in zip(book.chapters, texts)]
    chapters = [{"file": _rel(book, c.path), "title": c.title, **figures(meter, text, found, book, LONGEST,
                                                                         LONG_WORDS)}
                for c, text, found in zip(book.chapters, texts, said)]
    total = figures(meter, " ".join(texts), [s for found in said for s in found], book, BOOK_LONGEST,
                    BOOK_LONG_WORDS)
    for entry in (*chapters, total):
        entry["above_target"] = entry["grade"] is not None and round(entry["grade"], 1) > book.config.reading_grade
    return {"title": book.config.title, "folder": display_path(book.root), "language": book.config.language,
            "reading_grade": book.config.reading_grade, "measures": _measures(meter, book.config.reading_grade),
            "book": total, "chapters": chapters, "governance": governance(book, today),
            "references_never_cited": never_cited(book, warnings),
            "warnings": [{"file": p.location.path, "line": p.location.line, "message": p.message}
                         for p in warnings]}


def figures(meter: Meter, text: str, sentences: list[tuple[int, str, Chapter]], book: Book, longest: int,
            long_words: int) -> dict[str, Any]:
    """Counts and scores of `text`, its longest `sentences` (with their chapter) and its long words."""
    top = sorted(sentences, key=lambda s: -s[0])[:longest]
    return {"words": meter.stats.lexicon_count(text), "sentences": meter.stats.sentence_count(text),
            "scores": meter.scores(text), "grade": meter.grade(text),
            "longest_sentences": [{"words": words, "text": sentence, "file": _rel(book, chapter.path),
                                   "line": locate(chapter, sentence)} for words, sentence, chapter in top],
            "long_words": meter.long_words(text, long_words)}


def _measures(meter: Meter, target: int) -> dict[str, Any]:
    if meter.target:
        note = f"Target: grade {target} or below by the {meter.target.name} (reading_grade in book.toml)"
    elif meter.formulas:
        note = (f"No US school grade formula in textstat for {meter.language}: the reading_grade "
                "target is not checked")
    else:
        note = (f"No readability formula in textstat for {meter.language}: only words and sentences "
                "are counted, and the reading_grade target is not checked")
    return {"formulas": [{"key": f.key, "name": f.name, "short": f.short, "scale": f.scale}
                         for f in meter.formulas],
            "grade_formula": meter.target.key if meter.target else None, "note": note,
            "long_word_syllables": LONG_SYLLABLES if meter.syllables else None}


def governance(book: Book, today: dt.date) -> dict[str, Any]:
    """Who wrote and reviewed the book, when, and when the next review is due."""
    config = book.config
    days = (config.next_review - today).days if config.next_review else None
    if not config.reviewers:
        status = "not reviewed"
    elif days is None:
        status = "no next review date"
    else:
        status = "overdue" if days < 0 else "current"
    people = lambda group: [{"name": p.name, "credentials": p.credentials} for p in group]
    iso = lambda day: day.isoformat() if day else None
    return {"status": status, "reviewers": people(config.reviewers), "reviewed": iso(config.reviewed),
            "next_review": iso(config.next_review), "days_left": days, "today": today.isoformat(),
            "published": iso(config.published), "authors": people(config.authors),
            "leaflet_code": config.leaflet_code, "version": config.version}


def never_cited(book: Book, warnings: list[Problem]) -> list[dict[str, Any]]:
    """Entries of references.json that no chapter cites, with the line load reported them at."""
    cited = {ref.key for ref in book.references}
    lines = {m.group(1): p.location.line for p in warnings
             if (m := re.fullmatch(r'the reference "(.+)" is never cited', p.message))}
    return [{"key": key, "type": entry.get("type", ""), "title": _plain(entry.get("title", "")),
             "file": display_path(book.root / book.config.references), "line": lines.get(key, 0)}
            for key, entry in book.entries.items() if key not in cited]


def _plain(title: Any) -> str:
    return re.sub(r"<[^>]+>", "", str(title))


def _rel(book: Book, path: Path) -> str:
    try:
        return path.resolve().relative_to(book.root).as_posix()
    except ValueError:
        return display_path(path)


def as_text(data: dict[str, Any]) -> str:
    """The report for a terminal: a table of figures, then details, governance and warnings."""
    lines = [f"Readability report: {data['title']} ({data['folder']}, language {data['language']})",
             "Measured on the body text only: no headings, box titles, captions, citations, notes or references.",
             *_legend(data), "", *_table(data), ""]
    for chapter in data["chapters"]:
        lines += [f"{chapter['title']} ({chapter['file']})", *_details(chapter, data, with_file=False), ""]
    lines += ["Whole book", *_details(data["book"], data, with_file=True), ""]
    lines += ["Governance", *_governance_lines(data["governance"]), ""]
    unused = data["references_never_cited"]
    lines.append(f"References never cited: {len(unused) or 'none'}")
    lines += [f"  {r['key']} ({r['type']}, {r['file']}:{r['line']}): {r['title']}" if r["line"] else
              f"  {r['key']} ({r['type']}): {r['title']}" for r in unused]
    lines += ["", f"Warnings: {len(data['warnings']) or 'none'}"]
    lines += [f"  {w['file']}:{w['line']}: warning: {w['message']}" if w["line"] else
              f"  {w['file']}: warning: {w['message']}" for w in data["warnings"]]
    return "\n".join(lines)


def _legend(data: dict[str, Any]) -> list[str]:
    measures, out = data["measures"], []
    for scale, words in ((GRADE, "school grades, lower is easier"), (EASE, "about 0 to 100, higher is easier")):
        names = [f["name"] for f in measures["formulas"] if f["scale"] == scale]
        if names:
            out.append(f"{' and '.join(names)}: {words}.")
    out.append(measures["note"] + ".")
    return out


def _table(data: dict[str, Any]) -> list[str]:
    formulas = data["measures"]["formulas"]
    shorts = [f["short"] for f in formulas]
    rows = [(c["file"], c) for c in data["chapters"]] + [("whole book", data["book"])]
    width = max(len(name) for name, _ in rows) + 2
    head = f"{'':{width}}{'words':>7}{'sentences':>11}" + "".join(f"{s:>11}" for s in shorts)
    out = [head]
    for name, entry in rows:
        values = "".join(f"{_number(entry['scores'][f['key']]):>11}" for f in formulas)
        mark = "  above the target" if entry["above_target"] else ""
        out.append(f"{name:{width}}{entry['words']:>7}{entry['sentences']:>11}{values}{mark}")
    return out


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _details(entry: dict[str, Any], data: dict[str, Any], with_file: bool) -> list[str]:
    out = ["  Longest sentences:"] if entry["longest_sentences"] else ["  No sentences."]
    for s in entry["longest_sentences"]:
        where = (f"{s['file']}:{s['line']}" if s["line"] else s["file"]) if with_file else (
            f"line {s['line']}" if s["line"] else "")
        out.append(f"    {s['words']} words{', ' + where if where else ''}: {_shorten(s['text'])}")
    syllables = data["measures"]["long_word_syllables"]
    if syllables is None:
        out.append(f"  Words by syllables: not counted (no syllable rules for {data['language']}).")
    elif entry["long_words"]:
        words = ", ".join(f"{w['word']} ({w['count']})" for w in entry["long_words"])
        out.append(f"  Words of {syllables}+ syllables used most: {words}")
    else:
        out.append(f"  No words of {syllables}+ syllables.")
    return out


def _shorten(text: str) -> str:
    if len(text) <= SHOWN:
        return text
    return text[:SHOWN].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _governance_lines(gov: dict[str, Any]) -> list[str]:
    who = "; ".join(_person(p) for p in gov["reviewers"]) or (
        "nobody yet: add a [[reviewers]] entry once a clinician has reviewed the book")
    days = gov["days_left"]
    left = ("" if days is None else f" ({days} day{'s' if days != 1 else ''} left)" if days > 0 else
            " (due today)" if days == 0 else f" (overdue by {-days} day{'s' if days != -1 else ''})")
    return [f"  Status: {gov['status']}",
            f"  Reviewed by: {who}",
            f"  Last review: {gov['reviewed'] or 'no date (reviewed in book.toml)'}",
            f"  Next review due: {gov['next_review'] or 'no date (next_review in book.toml)'}{left}",
            f"  Authors: {'; '.join(_person(p) for p in gov['authors']) or 'none named'}",
            f"  Published: {gov['published'] or 'no date'}"
            + (f"; leaflet {gov['leaflet_code']}" if gov["leaflet_code"] else "")
            + (f"; version {gov['version']}" if gov["version"] else ""),
            f"  (days counted from {gov['today']})"]


def _person(person: dict[str, str]) -> str:
    return f"{person['name']}, {person['credentials']}" if person["credentials"] else person["name"]
