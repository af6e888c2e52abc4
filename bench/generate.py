"""Generate a synthetic book folder for the benchmarks: deterministic, offline, English-like.

    python bench/generate.py SIZE OUTDIR        # SIZE: small, medium or large

Each size has a fixed seed, so two runs write byte-identical files. A book has book.toml (with an
author and a reviewer), references.json (CSL-JSON, every entry cited at least once) and
chapters/NN-*.md with `## ` subheadings, paragraphs, citations (about one per 60-80 words, some with
several keys, some with locators), short footnotes, GFM tables, callouts, bullet lists and, in
every fifth chapter, an SVG figure.
"""
from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Size:
    chapters: int
    words: int          # words of text per chapter (headings, paragraphs, lists, tables, callouts)
    references: int
    seed: int


SIZES = {
    "small": Size(chapters=4, words=800, references=10, seed=1101),
    "medium": Size(chapters=12, words=1500, references=40, seed=2202),
    "large": Size(chapters=40, words=2500, references=150, seed=3303),
}

# --- vocabulary ----------------------------------------------------------------------------------

NOUNS = """muscle back spine nerve joint stress habit routine body brain signal pain ache movement
walk stretch breath posture desk chair shoulder neck hip knee sleep pattern doctor nurse clinician
therapist treatment session exercise plan goal week morning evening symptom warning reason change
result study trial group patient person family friend worker day hour minute heat pack bath pillow
mattress screen break step lesson skill response alarm system tension stiffness strength balance
diet meal drink level risk factor sign question answer choice option program class diary record
note guide method approach effect benefit problem cause injury recovery practice hobby task
""".split()
ADJECTIVES = """gentle regular short long slow quick simple common small large early late daily
weekly calm tight sore stiff warm cool steady careful healthy strong weak new old usual mild severe
sudden lasting helpful useful safe clear quiet busy tired active restful painful modest brief
""".split()
VERBS = """ease tighten reduce relax support protect change help affect shape guide limit build
improve follow track share explain describe notice lower raise loosen strain calm steady strengthen
stretch warm soothe trigger prevent signal train balance worsen
""".split()
ADVERBS = """often usually slowly gently sometimes rarely quickly gradually carefully regularly
clearly mostly""".split()
PREPOSITIONS = "in on with after before during for through across under over near without".split()
OPENERS = ["For many people", "Over time", "In most cases", "At first", "After a few weeks",
           "In one study", "For this reason", "In daily life", "At work", "During the day",
           "On a bad day", "Later on", "In general", "With practice"]
CONJUNCTIONS = ["and", "but", "so", "while", "because", "although"]
DETS = ["the", "a", "your", "this", "each", "one", "that"]
CALLOUTS = ["NOTE", "TIP", "WARNING"]
LOCATORS = ["p. {a}", "pp. {a}-{b}", "table {c}", "chap. {c}", "fig. {c}"]

FAMILIES = """Smith Jones Brown Taylor Wilson Davies Evans Thomas Johnson Roberts Walker Wright
Robinson Thompson White Hughes Edwards Green Hall Wood Harris Lewis Martin Jackson Clarke Clark
Turner Hill Scott Cooper Morris Ward Moore King Watson Baker Harrison Morgan Patel Young Allen
Mitchell James Anderson Phillips Lee Bell Parker Davis Nguyen Kim Garcia Lopez Rossi Muller
Schmidt Dubois Silva Costa Tanaka Sato Chen Wang Larsen Berg Novak Kowalski Lundberg Okafor""".split()
GIVEN = """Anna Ben Carla David Emma Farid Grace Hiro Ines Jonas Kate Luis Maria Nils Olga Pedro
Quinn Rosa Sami Tara Umar Vera Will Xena Yusuf Zoe""".split()
JOURNALS = [("Journal of Occupational Health", "J Occup Health"), ("Spine Research", "Spine Res"),
            ("Pain Medicine Reports", "Pain Med Rep"), ("Journal of Anxiety Studies", "J Anxiety Stud"),
            ("Physiotherapy Practice", "Physiother Pract"), ("Clinical Rehabilitation", "Clin Rehabil"),
            ("Behavioural Medicine Quarterly", "Behav Med Q"), ("Journal of Sleep Health", "J Sleep Health"),
            ("Musculoskeletal Care", "Musculoskelet Care"), ("Primary Care Review", "Prim Care Rev")]
PUBLISHERS = [("Example Press", "Boston"), ("Northfield Books", "London"), ("Harbour Academic", "Toronto"),
              ("Lakeside Publishing", "Chicago"), ("Meridian Health Press", "Sydney")]
AGENCIES = ["National Health Agency", "Institute for Back Care", "Workplace Health Council",
            "Centre for Pain Research", "Public Health Office"]
SITES = ["Health Library", "Patient Guide Online", "Back Care Network", "Mind and Body Hub"]


def conjugate(verb: str) -> str:
    """The third person singular: ease -> eases, relax -> relaxes, worsen -> worsens."""
    if verb.endswith(("s", "x", "ch", "sh")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def plural(noun: str) -> str:
    if noun.endswith(("s", "x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


# --- sentences -----------------------------------------------------------------------------------

class Prose:
    """English-like sentences from the word lists: a subject, a verb that agrees, objects and extras."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def noun_phrase(self) -> tuple[str, bool]:
        """A noun phrase and whether it is plural."""
        rng = self.rng
        adjective = rng.choice(ADJECTIVES) + " " if rng.random() < 0.45 else ""
        if rng.random() < 0.3:
            return adjective + plural(rng.choice(NOUNS)), True
        return f"{rng.choice(DETS)} {adjective}{rng.choice(NOUNS)}", False

    def clause(self) -> str:
        rng = self.rng
        subject, many = self.noun_phrase()
        verb = rng.choice(VERBS)
        if rng.random() < 0.25:
            verb = (f"can {verb}" if rng.random() < 0.5
                    else f"{rng.choice(ADVERBS)} {verb if many else conjugate(verb)}")
        elif not many:
            verb = conjugate(verb)
        text = f"{subject} {verb} {self.noun_phrase()[0]}"
        if rng.random() < 0.55:
            text += f" {rng.choice(PREPOSITIONS)} {self.noun_phrase()[0]}"
        return text

    def sentence(self, low: int = 8, high: int = 24) -> str:
        """One sentence of `low` to about `high` words, with its full stop."""
        rng = self.rng
        target = rng.randint(low, high)
        text = f"{rng.choice(OPENERS)}, {self.clause()}" if rng.random() < 0.3 else self.clause()
        while len(text.split()) < target:
            if rng.random() < 0.5:
                text += f", {rng.choice(CONJUNCTIONS)} {self.clause()}"
            else:
                text += f" {rng.choice(PREPOSITIONS)} {self.noun_phrase()[0]}"
        return _capital(_articles(text)) + "."

    def heading(self) -> str:
        """A subheading or a chapter title of three to seven words."""
        rng = self.rng
        noun, adjective, verb = rng.choice(NOUNS), rng.choice(ADJECTIVES), rng.choice(VERBS)
        subject, many = self.noun_phrase()
        text = rng.choice([
            f"how {adjective} {plural(noun)} {verb} the {rng.choice(NOUNS)}",
            f"{adjective} {plural(noun)} and your {rng.choice(NOUNS)}",
            f"when {subject} {verb if many else conjugate(verb)}",
            f"why {plural(noun)} {verb} {plural(rng.choice(NOUNS))}",
            f"what to do about {adjective} {plural(noun)}",
            f"{noun} {rng.choice(PREPOSITIONS)} the {rng.choice(NOUNS)}",
        ])
        return _capital(_articles(text))

    def cell(self) -> str:
        """A table cell: a noun phrase, or a short instruction."""
        if self.rng.random() < 0.5:
            return _capital(_articles(self.noun_phrase()[0]))
        return _capital(_articles(f"{self.rng.choice(VERBS)} {self.noun_phrase()[0]}"))


def _articles(text: str) -> str:
    text = re.sub(r"\ba (?=[aeiou])", "an ", text)
    return re.sub(r"\ban (?=[^aeiou])", "a ", text)


def _capital(text: str) -> str:
    return text[0].upper() + text[1:]


# --- citations -----------------------------------------------------------------------------------

@dataclass
class Citer:
    """Decides where a citation goes (about one per 60-80 words) and what it cites.

    Keys not cited yet are preferred half of the time, so every reference gets cited early on;
    otherwise keys are drawn with Zipf-like weights: a few are cited far more often, as in real books.
    """

    rng: random.Random
    keys: list[str]
    pending: list[str] = field(default_factory=list)
    since: int = 0
    gap: int = 70
    calls: int = 0
    weights: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.weights = [1 / (rank + 1) ** 0.7 for rank in range(len(self.keys))]   # Zipf-like
        self.pending = self.keys[:]
        self.rng.shuffle(self.pending)
        self.gap = self.rng.randint(60, 80)

    def after(self, words: int) -> str:
        """Count `words` more words; return a citation such as " [@a; @b, p. 3]" when one is due."""
        self.since += words
        if self.since < self.gap:
            return ""
        self.since, self.gap = 0, self.rng.randint(60, 80)
        return " " + self.citation()

    def citation(self) -> str:
        rng = self.rng
        count = 1 if rng.random() < 0.8 else rng.choice((2, 2, 3))
        keys: list[str] = []
        while len(keys) < count:
            key = self.pick()
            if key not in keys:
                keys.append(key)
        self.calls += 1
        return "[" + "; ".join("@" + key + self.locator() for key in keys) + "]"

    def pick(self) -> str:
        if self.pending and self.rng.random() < 0.5:
            return self.pending.pop()
        key = self.rng.choices(self.keys, self.weights)[0]
        if key in self.pending:
            self.pending.remove(key)
        return key

    def locator(self) -> str:
        if self.rng.random() >= 0.15:
            return ""
        a = self.rng.randint(2, 480)
        return ", " + self.rng.choice(LOCATORS).format(a=a, b=a + self.rng.randint(1, 6),
                                                      c=self.rng.randint(1, 9))


# --- chapters ------------------------------------------------------------------------------------

TABLE_HEADS = [("What to do", "Why it helps"), ("Sign", "What it may mean", "What to do"),
               ("Time", "Activity"), ("Option", "How it helps", "What the research says")]
# words between two blocks of each kind (a block is due once the chapter's word count reaches it)
GAPS = {"heading": (220, 380), "bullets": (450, 800), "callout": (550, 900), "table": (900, 1500),
        "footnote": (280, 480)}
NOTE_LIMIT = 380   # characters: docbuild asks for footnotes under 400


class ChapterWriter:
    """Writes one chapter of about `target` words, block by block, at the densities in GAPS."""

    def __init__(self, rng: random.Random, prose: Prose, citer: Citer, target: int,
                 figure: int = 0) -> None:
        self.rng, self.prose, self.citer, self.target = rng, prose, citer, target
        self.figure_number = figure   # the figure's number in the book, or 0 for none
        self.words = 0
        self.blocks: list[str] = []
        self.counts = {"footnotes": 0, "tables": 0, "callouts": 0, "bullets": 0, "figures": 0}
        self.due = {kind: rng.randint(low // 2, high) for kind, (low, high) in GAPS.items()}

    def write(self, title: str) -> str:
        self.paragraph()
        while self.words < self.target:
            kind = next((k for k in ("heading", "table", "callout", "bullets")
                         if self.words >= self.due[k]), "paragraph")
            if self.figure_number and not self.counts["figures"] and self.words >= self.target // 2:
                kind = "figure"
            getattr(self, kind)()
            if kind in GAPS:
                self.due[kind] = self.words + self.rng.randint(*GAPS[kind])
        if self.blocks[-1].startswith("## "):
            self.paragraph()
        return f"---\ntitle: {title}\n---\n" + "\n\n".join(self.blocks) + "\n"

    def cited(self, text: str) -> str:
        """`text` (one sentence or fragment), with a citation before its full stop when one is due."""
        self.words += len(text.split())
        citation = self.citer.after(len(text.split()))
        if not citation:
            return text
        return text[:-1] + citation + "." if text.endswith(".") else text + citation

    def paragraph(self) -> None:
        sentences, notes = [], []
        for _ in range(self.rng.randint(3, 6)):
            sentence = self.cited(self.prose.sentence())
            if self.words >= self.due["footnote"]:
                self.due["footnote"] = self.words + self.rng.randint(*GAPS["footnote"])
                self.counts["footnotes"] += 1
                label = f"n{self.counts['footnotes']}"
                sentence += f"[^{label}]"
                notes.append(f"[^{label}]: {self.note()}")
            sentences.append(sentence)
        self.blocks.append(" ".join(sentences))
        if notes:
            self.blocks.append("\n".join(notes))

    def note(self) -> str:
        """A footnote's text: one or two short sentences, sometimes citing a reference inline."""
        while True:
            text = " ".join(self.prose.sentence(6, 16) for _ in range(self.rng.randint(1, 2)))
            if self.rng.random() < 0.25:
                text = text[:-1] + " " + self.citer.citation() + "."
            if len(text) < NOTE_LIMIT:
                return text

    def heading(self) -> None:
        text = self.prose.heading()
        self.words += len(text.split())
        self.blocks.append("## " + text)

    def bullets(self) -> None:
        self.counts["bullets"] += 1
        self.blocks.append(self.cited(self.prose.sentence(6, 12)).rstrip(".") + ":")
        items = ["- " + self.cited(self.prose.sentence(4, 14)) for _ in range(self.rng.randint(3, 6))]
        self.blocks.append("\n".join(items))

    def callout(self) -> None:
        self.counts["callouts"] += 1
        kind = self.rng.choice(CALLOUTS)
        text = " ".join(self.cited(self.prose.sentence(6, 18)) for _ in range(self.rng.randint(1, 3)))
        self.blocks.append(f"> [!{kind}]\n> {text}")

    def table(self) -> None:
        self.counts["tables"] += 1
        head = self.rng.choice(TABLE_HEADS)
        self.words += sum(len(h.split()) for h in head)
        rows = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        for _ in range(self.rng.randint(3, 6)):
            cells = [self.cited(self.prose.cell()) for _ in head[:-1]]
            cells.append(self.cited(self.prose.sentence(4, 10)))
            rows.append("| " + " | ".join(cells) + " |")
        self.blocks.append("\n".join(rows))

    def figure(self) -> None:
        self.counts["figures"] += 1
        alt = "A diagram of four circles joined in a loop by arrows"
        caption = f"Figure {self.figure_number}. {self.prose.heading()}."
        self.words += len(caption.split())
        self.blocks.append(f'![{alt}](../images/cycle.svg "{caption}")')


FIGURE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 240" width="240" height="240">
  <title>Four circles joined in a loop by arrows</title>
  <g fill="none" stroke="#3b5b7a" stroke-width="4">
    <circle cx="120" cy="40" r="26"/><circle cx="200" cy="120" r="26"/>
    <circle cx="120" cy="200" r="26"/><circle cx="40" cy="120" r="26"/>
    <path d="M146 52 L186 94 M188 146 L146 188 M94 188 L52 146 M54 94 L94 52"/>
  </g>
</svg>
"""

# --- references ----------------------------------------------------------------------------------

def _people(rng: random.Random, count: int) -> list[dict]:
    people = []
    for _ in range(count):
        family, given = rng.choice(FAMILIES), rng.choice(GIVEN)
        if rng.random() < 0.4:
            given += " " + rng.choice("ABCDEFGHJKLMNPRST")   # a middle initial
        people.append({"family": family, "given": given})
    return people


def _reference(rng: random.Random, prose: Prose, kind: str) -> dict:
    year = rng.randint(1996, 2025)
    title = prose.heading()
    if kind == "article-journal":
        journal, short = rng.choice(JOURNALS)
        first = rng.randint(1, 900)
        return {"type": kind, "author": _people(rng, rng.choice((1, 2, 3, 3, 4, 5, 6, 8))),
                "title": title, "container-title": journal, "container-title-short": short,
                "issued": {"date-parts": [[year]]}, "volume": str(rng.randint(1, 60)),
                "issue": str(rng.randint(1, 12)), "page": f"{first}-{first + rng.randint(4, 20)}",
                "DOI": f"10.5555/bench.{year}.{rng.randint(1000, 9999)}"}
    if kind == "book":
        publisher, place = rng.choice(PUBLISHERS)
        return {"type": kind, "author": _people(rng, rng.randint(1, 3)), "title": title,
                "publisher": publisher, "publisher-place": place, "issued": {"date-parts": [[year]]}}
    agency = rng.choice(AGENCIES)
    if kind == "report":
        return {"type": kind, "author": [{"literal": agency}], "title": title, "publisher": agency,
                "genre": rng.choice(("Guideline", "Report", "Briefing")),
                "number": f"{agency[0]}{rng.randint(1, 99)}", "issued": {"date-parts": [[year]]}}
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return {"type": "webpage", "author": [{"literal": agency}], "title": title,
            "container-title": rng.choice(SITES), "URL": f"https://example.org/{slug}",
            "issued": {"date-parts": [[year, rng.randint(1, 12), rng.randint(1, 28)]]},
            "accessed": {"date-parts": [[2026, 1, rng.randint(1, 28)]]}}


def make_references(rng: random.Random, prose: Prose, count: int) -> list[dict]:
    """`count` CSL-JSON entries: mostly journal articles, some books, reports and web pages."""
    entries: list[dict] = []
    seen: set[str] = set()
    for _ in range(count):
        kind = rng.choices(("article-journal", "book", "report", "webpage"), (60, 15, 15, 10))[0]
        entry = _reference(rng, prose, kind)
        lead = entry["author"][0]
        stem = re.sub(r"[^a-z]", "", (lead.get("family") or lead["literal"].split()[0]).lower())
        stem += str(entry["issued"]["date-parts"][0][0])
        key = next(stem + suffix for suffix in ["", *"abcdefghijklmnopqrstuvwxyz"]
                   if stem + suffix not in seen)
        seen.add(key)
        entries.append({"id": key, **entry})
    return entries


def references_json(entries: list[dict]) -> str:
    """A CSL-JSON array pretty-printed one key per line (and one author per line)."""
    dump = lambda value: json.dumps(value, ensure_ascii=False)
    blocks = []
    for entry in entries:
        lines = []
        for key, value in entry.items():
            if key == "author" and len(value) > 1:
                people = ",\n".join(f"      {dump(person)}" for person in value)
                lines.append(f'    "author": [\n{people}\n    ]')
            else:
                lines.append(f"    {dump(key)}: {dump(value)}")
        blocks.append("  {\n" + ",\n".join(lines) + "\n  }")
    return "[\n" + ",\n".join(blocks) + "\n]\n"


# --- the book ------------------------------------------------------------------------------------

BOOK_TOML = '''title = "Benchmark Book ({size})"
subtitle = "A synthetic book for timing docbuild"
language = "en"
slug = "bench-{size}"
description = "Generated by bench/generate.py: {chapters} chapters of English-like text with \
citations, footnotes, tables and callouts."
published = 2026-01-10
reviewed = 2026-02-01
next_review = 2029-02-01
references = "references.json"
chapters = [
{chapter_list}
]

[[authors]]
name = "Ada Writer"
credentials = "RN"

[[authors]]
name = "Ben Author"

[[reviewers]]
name = "Cora Reviewer"
credentials = "MD"
'''


@dataclass
class Stats:
    size: str
    chapters: int = 0
    words: int = 0
    references: int = 0
    citations: int = 0
    footnotes: int = 0
    tables: int = 0
    callouts: int = 0
    bullets: int = 0
    figures: int = 0


def make_chapters(rng: random.Random, prose: Prose, citer: Citer, spec: Size,
                  stats: Stats) -> list[tuple[str, str]]:
    """Each chapter as (file name, Markdown text); the last one mops up any reference not yet cited."""
    chapters = []
    for index in range(1, spec.chapters + 1):
        figure = stats.figures + 1 if index % 5 == 2 else 0
        writer = ChapterWriter(rng, prose, citer, spec.words, figure)
        title = prose.heading()
        text = writer.write(title)
        stats.words += writer.words
        for kind, count in writer.counts.items():
            setattr(stats, kind, getattr(stats, kind) + count)
        slug = "-".join(re.sub(r"[^a-z0-9 ]", "", title.lower()).split()[:4])
        chapters.append((f"{index:02d}-{slug}.md", text))
    if citer.pending:
        keys = "; ".join("@" + key for key in sorted(citer.pending))
        name, text = chapters[-1]
        chapters[-1] = (name, text + f"\n{prose.sentence()[:-1]} [{keys}].\n")
        citer.calls += 1
        citer.pending.clear()
    return chapters


def generate(size: str, outdir: Path) -> Stats:
    """Write the book of this size into `outdir` (created; its old chapters are removed)."""
    spec = SIZES[size]
    rng = random.Random(spec.seed)
    prose = Prose(rng)
    references = make_references(rng, prose, spec.references)
    citer = Citer(rng, [entry["id"] for entry in references])
    stats = Stats(size, chapters=spec.chapters, references=len(references))
    chapters = make_chapters(rng, prose, citer, spec, stats)
    stats.citations = citer.calls
    for folder in ("chapters", "images"):
        (outdir / folder).mkdir(parents=True, exist_ok=True)
    for old in (outdir / "chapters").glob("*.md"):
        old.unlink()
    _write(outdir / "images" / "cycle.svg", FIGURE_SVG)
    _write(outdir / "references.json", references_json(references))
    for name, text in chapters:
        _write(outdir / "chapters" / name, text)
    chapter_list = ",\n".join(f'  "chapters/{name}"' for name, _ in chapters)
    toml = BOOK_TOML.format(size=size, chapters=spec.chapters, chapter_list=chapter_list)
    _write(outdir / "book.toml", toml)
    return stats


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] not in SIZES:
        print(f"usage: python bench/generate.py {{{','.join(SIZES)}}} OUTDIR", file=sys.stderr)
        return 2
    stats = generate(args[0], Path(args[1]))
    print(", ".join(f"{key} {value}" for key, value in vars(stats).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
