"""Footnote placement and footnote scaling with WeasyPrint, with and without docbuild.weasyfix.

    python bench/notes.py                           # books medium, large, xlarge + scale 1k/5k/10k
    python bench/notes.py --books medium --scale 1000
    python bench/notes.py --html a.html --html b.html --scale none   # your own print HTML files
    python bench/notes.py --modes stock,keep --keep /tmp/notes       # keep the HTML made

Placement: each book (bench/generate.py sizes medium ~19k words and large ~102k, plus xlarge,
105 chapters ~267k words, defined here) is turned into print HTML by the pipeline
(`make_docs.py build --format html`), then every mode renders it in a fresh process with
`weasyprint.HTML(filename=...).render(pdf_variant="pdf/ua-1")` and docbuild.notecheck counts the
notes: missing (on no page), on the call's page, on the next page, earlier, later (2+ pages on).

Modes: `stock` (WeasyPrint as installed), `drop` (weasyfix.apply(keep_notes_with_calls=False):
the lost-note and scaling fixes only) and `keep` (weasyfix.apply(): also keeps each note with
its call). Scale: N notes (1k, 5k, 10k) in ONE chapter, and 2,000 across 40 chapters, made here
in the print HTML's shape (a `<span class="footnote" id="note-N" data-note="N">` per note, one
every ~32 words of text) with the project's stylesheets; render time per mode. A render that
runs longer than --timeout seconds is stopped and reported as such.

Renders run one after the other (the machine has 2 cores): the full run takes about 20 minutes.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MODES = ("stock", "drop", "keep")
BOOKS = ("medium", "large", "xlarge")
SCALE = ("1000", "5000", "10000", "2000x40")


# --- inputs --------------------------------------------------------------------------------------

def book_html(size: str, workdir: Path) -> Path:
    """Generate the book (bench/generate.py) and write its print HTML with the pipeline."""
    import generate

    generate.SIZES.setdefault("xlarge", generate.Size(chapters=105, words=2500, references=300,
                                                      seed=4404))
    book, out = workdir / f"book-{size}", workdir / f"out-{size}"
    stats = generate.generate(size, book)
    subprocess.run([sys.executable, str(ROOT / "make_docs.py"), "build", "--book", str(book),
                    "--out", str(out), "--format", "html", "--force"], check=True,
                   stdout=subprocess.DEVNULL)
    html, = out.glob("*.html")
    print(f"  {size}: {stats.words:,} words, {stats.chapters} chapters -> {html}", file=sys.stderr)
    return html


def scale_html(notes: int, chapters: int, path: Path) -> Path:
    """`notes` notes over `chapters` chapters, one per ~32 words, in the print HTML's shape."""
    import generate

    rng = random.Random(5505 + notes + chapters)
    prose = generate.Prose(rng)
    styles = "\n".join(f'<link rel="stylesheet" href="{(ROOT / "styles" / name).as_uri()}">'
                       for name in ("fonts.css", "book.css", "print.css"))
    parts = [f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
             f'<title>{notes} notes</title>\n{styles}\n<style>:root {{ --accent: #8a4b08; '
             f'--primary: #1f4e79; }} @page {{ size: A4; }}</style>\n</head>\n<body>\n']
    number = 0
    for chapter in range(1, chapters + 1):
        parts.append(f'<section class="chapter" id="ch{chapter:02d}">\n'
                     f'<h1>{prose.heading()}</h1>\n')
        while number < notes * chapter // chapters:
            sentences = []
            for _ in range(rng.randint(3, 6)):
                sentence = prose.sentence()
                if number < notes * chapter // chapters and rng.random() < 0.5:
                    number += 1
                    note = " ".join(prose.sentence(6, 16) for _ in range(rng.randint(1, 2)))
                    sentence = (f'{sentence[:-1]}<span class="footnote" id="note-{number}" '
                                f'data-note="{number}"><span class="note-number">{number}.</span>'
                                f' {note}</span>.')
                sentences.append(sentence)
            parts.append(f"<p>{' '.join(sentences)}</p>\n")
        parts.append("</section>\n")
    parts.append("</body>\n</html>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return path


# --- one render, in a fresh process --------------------------------------------------------------

def isolate_fonts() -> None:
    """The build's fontconfig (the project's fonts only), as docbuild.pdf sets it up."""
    try:
        from docbuild.pdf import _isolate_fonts
    except ImportError:          # the pipeline is being refactored: do the same here
        folder = Path(tempfile.gettempdir()) / "docbuild-bench-notes-fontconfig"
        folder.mkdir(exist_ok=True)
        alias = ('<alias binding="same"><family>{}</family><prefer><family>Atkinson Hyperlegible'
                 '</family></prefer></alias>')
        conf = folder / "fonts.conf"
        conf.write_text('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
                        f'<fontconfig><dir>{ROOT / "fonts"}</dir><cachedir>{folder / "cache"}'
                        '</cachedir>' + "".join(alias.format(f) for f in
                                                ("serif", "sans-serif", "monospace"))
                        + "</fontconfig>\n")
        os.environ["FONTCONFIG_FILE"] = str(conf)
    else:
        _isolate_fonts()


def worker(html: str, mode: str, write: bool) -> None:
    isolate_fonts()
    import weasyprint

    from docbuild import notecheck, weasyfix

    if mode != "stock" and not weasyfix.apply(keep_notes_with_calls=(mode == "keep")):
        raise SystemExit(f"weasyfix does not apply to WeasyPrint {weasyprint.__version__}")
    figures = {"fixes": list(weasyfix.applied())}
    wall, cpu = time.perf_counter(), time.process_time()
    document = weasyprint.HTML(filename=html).render(pdf_variant="pdf/ua-1")
    figures |= {"render_s": time.perf_counter() - wall, "render_cpu": time.process_time() - cpu}
    wall = time.perf_counter()
    placement = notecheck.check_notes(document)
    figures["check_s"] = time.perf_counter() - wall
    if write:
        wall, cpu = time.perf_counter(), time.process_time()
        document.write_pdf(os.devnull, pdf_variant="pdf/ua-1")
        figures |= {"write_s": time.perf_counter() - wall, "write_cpu": time.process_time() - cpu}
    figures |= {
        "notes": len(placement), "pages": placement.pages, "missing": len(placement.missing),
        "on_call_page": placement.on_call_page_ratio, "next_page": len(placement.next_page),
        "early": len(placement.early), "late": len(placement.late),
        "missing_numbers": placement.missing[:20]}
    print(json.dumps(figures))


def run(html: Path, mode: str, timeout: float, write: bool = False) -> dict:
    start = time.perf_counter()
    command = [sys.executable, __file__, "--worker", str(html), mode] + (["--write"] * write)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "wall_s": time.perf_counter() - start}
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1:], "wall_s": 0}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - start
    return result


def words(html: Path) -> int:
    """Words of text in the HTML's body (notes included)."""
    text = html.read_text(encoding="utf-8")
    body = text[text.find("<body"):]
    return len(re.sub(r"<[^>]+>", " ", body).split())


# --- report --------------------------------------------------------------------------------------

def placement_table(rows: list[tuple[str, str, dict]]) -> str:
    lines = ["| book | words | mode | notes | pages | missing | on call page | next page | "
             "earlier | later | render wall (CPU) | check |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, mode, r in rows:
        start = f"| {name} | {r.get('words', 0):,} | {mode} | "
        if "notes" not in r:
            lines.append(start + ("timed out" if r.get("timeout") else f"error {r.get('error')}")
                         + " |")
            continue
        lines.append(start + f"{r['notes']:,} | {r['pages']} | {r['missing']} | "
                     f"{r['on_call_page']:.1%} | {r['next_page']} | {r['early']} | {r['late']} | "
                     f"{r['render_s']:.1f} s ({r['render_cpu']:.1f}) | {r['check_s']:.2f} s |")
    return "\n".join(lines)


def scale_table(rows: list[tuple[str, str, dict]], modes: list[str]) -> str:
    """One row per case and mode: layout and PDF writing, wall and CPU seconds, lost notes."""
    lines = ["| notes | chapters | mode | pages | render wall (CPU) | s per page (CPU) | "
             "write_pdf wall (CPU) | missing |", "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for case, mode, r in rows:
        notes, _, chapters = case.partition("x")
        start = f"| {int(notes):,} | {chapters or 1} | {mode} | "
        if "render_s" not in r:
            lines.append(start + (f"stopped after {r['wall_s']:.0f} s" if r.get("timeout")
                                  else f"error {r.get('error')}") + " |")
            continue
        write = (f"{r['write_s']:.1f} s ({r['write_cpu']:.1f})" if "write_s" in r else "-")
        lines.append(start + f"{r['pages']} | {r['render_s']:.1f} s ({r['render_cpu']:.1f}) | "
                     f"{r['render_cpu'] / r['pages']:.3f} | {write} | {r['missing']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", default=",".join(BOOKS),
                        help=f"sizes to generate, comma-separated ({','.join(BOOKS)}) or none")
    parser.add_argument("--html", action="append", default=[], type=Path,
                        help="a print HTML file to measure (repeatable), besides --books")
    parser.add_argument("--scale", default=",".join(SCALE),
                        help="scale cases: N (notes in one chapter) or NxC (C chapters), or none")
    parser.add_argument("--modes", default=",".join(MODES), help="stock, drop, keep")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per render")
    parser.add_argument("--keep", type=Path, help="keep the generated HTML in this folder")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--no-write", action="store_true",
                        help="do not time write_pdf in the scale cases")
    parser.add_argument("--from-json", type=Path, help="print the tables of a saved --json file")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker, write=args.write)
        return 0
    modes = [m for m in args.modes.split(",") if m]
    if args.from_json:
        figures = json.loads(args.from_json.read_text())
        if figures["placement"]:
            print("Placement\n\n" + placement_table(figures["placement"]) + "\n")
        if figures["scale"]:
            print("Scale (one process each; CPU seconds in brackets)\n\n"
                  + scale_table(figures["scale"], modes) + "\n")
        return 0
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-notes-"))
    workdir.mkdir(parents=True, exist_ok=True)
    import weasyprint   # only for its version (fonts are not loaded here)

    print(f"WeasyPrint {weasyprint.__version__}, Python {sys.version.split()[0]}, "
          f"nproc {os.cpu_count()}; inputs in {workdir}\n")
    figures: dict = {"placement": [], "scale": []}
    books = [(path.name, path) for path in args.html]
    books += [(size, book_html(size, workdir)) for size in args.books.split(",")
              if size and size != "none"]
    rows = []
    for name, html in books:
        count = words(html)
        for mode in modes:
            result = run(html, mode, args.timeout) | {"words": count}
            print(f"  {name} {mode}: {result}", file=sys.stderr)
            rows.append((name, mode, result))
    if rows:
        print("Placement\n\n" + placement_table(rows) + "\n")
        figures["placement"] = rows
    rows = []
    for case in (c for c in args.scale.split(",") if c and c != "none"):
        notes, _, chapters = case.partition("x")
        html = scale_html(int(notes), int(chapters or 1), workdir / f"scale-{case}.html")
        for mode in modes:
            result = run(html, mode, args.timeout, write=not args.no_write)
            print(f"  scale {case} {mode}: {result}", file=sys.stderr)
            rows.append((case, mode, result))
    if rows:
        print("Scale (one process each; CPU seconds in brackets)\n\n"
              + scale_table(rows, modes) + "\n")
        figures["scale"] = rows
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
