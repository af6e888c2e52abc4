"""Benchmark a catalogue build: 40 short handouts × 2 brands, against one build per book and brand.

    python bench/catalogue.py [--books 40] [--runs 1] [--sample N] [--no-dask] [--epub] [--keep DIR]

bench/generate.py writes 40 handouts (2 chapters of about 400 words, so about 800 words, and 8
references each; a fixed seed per book); the brands are brands/riverside and brands/harbour. Every
command runs in a fresh subprocess from the project root, and prints nothing while timed. Figures:

  (a) WeasyPrint alone: the summed time of every WeasyPrint call for the 80 documents (HTML(), which
      parses the document; HTML.render, the layout; write_pdf), measured inside one warm process
      (checked first, one untimed document per brand), and without the parse for comparison
      (the figure this benchmark gave before 2026-12-01),
      and that sum divided by the cores: the best a perfect parallel build could do; beside it,
      docbuild's whole render of those documents in that process (HTML, templates, note check,
      WeasyPrint, page count), the floor for any docbuild build;
  (b) one `make_docs.py build --book B --brand R --format pdf --force` per book and brand, in turn;
  (c) `make_docs.py build --catalogue C --format pdf --force` on the local process pool; and the
      same build once more with WeasyPrint's own calls (HTML(), parsing the document; render;
      write_pdf) timed in every process: WeasyPrint's work for the 80 documents as the catalogue
      really runs it, both cores busy at once (on this machine that makes each of them slower
      than (a)'s one process with the other core idle, so (a) ÷ cores is a floor no build reaches);
  (d) the same with nothing changed (no --force), and after one chapter of one book changed;
  (e) (c) again through a Dask LocalCluster (processes, one worker a core, one thread each) on
      127.0.0.1: cold (workers start with nothing imported) and warm.

Wall times, and (a), are medians of --runs; CPU is the user + system time of the command and every process
it waited for (os.wait4), or of the measured calls (time.process_time), which a busy machine does
not inflate the way it does wall time. The load average is printed with each figure: this
machine's cores may be shared with other work.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (bench/generate.py, next to this file)

PYTHON = sys.executable
BRANDS = (ROOT / "brands" / "riverside", ROOT / "brands" / "harbour")
TARGETS = {"catalogue ÷ one build per book and brand": 0.40, "catalogue ÷ (WeasyPrint alone ÷ cores)": 1.15,
           "catalogue ÷ (its own WeasyPrint calls ÷ cores)": 1.15,
           "catalogue ÷ (render + write_pdf alone ÷ cores)": 1.15,
           "no-change rebuild (s)": 2.0, "one-chapter change (s)": 5.0}


@dataclass
class Run:
    wall: float
    cpu: float
    code: int
    output: str


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def measure(cmd: list[str]) -> Run:
    """Run `cmd` from the project root: its wall time and the CPU time of its process tree."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    return Run(wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), text)


def checked(run: Run, what: str) -> Run:
    if run.code != 0:
        sys.exit(f"{what} failed (exit {run.code}):\n{run.output[-3000:]}")
    return run


# --- the handouts --------------------------------------------------------------------------------

def make_library(root: Path, books: int) -> Path:
    """`books` handouts under root/books and a catalogue.toml naming them with both brands."""
    for index in range(1, books + 1):
        name = f"h{index:02d}"
        generate.SIZES[name] = generate.Size(chapters=2, words=400, references=8, seed=7000 + index)
        generate.generate(name, root / "books" / name)
    brands = ", ".join(json.dumps(str(b)) for b in BRANDS)
    (root / "catalogue.toml").write_text(f'title = "Benchmark catalogue"\nbooks = ["books/*"]\n'
                                         f'brands = [{brands}]\nformats = ["pdf"]\n', encoding="utf-8")
    return root / "catalogue.toml"


def catalogue_cmd(catalogue: Path, out: Path, *extra: str) -> list[str]:
    return [PYTHON, "make_docs.py", "build", "--catalogue", str(catalogue), "--out", str(out), *extra]


# --- (a) WeasyPrint alone ------------------------------------------------------------------------

# Every WeasyPrint call a document makes, timed: `record(name, wall, cpu)` is defined by the script
# that this prelude starts.
TIMERS = r'''
import time
import weasyprint
from weasyprint.document import Document
def timed(name, function):
    def wrapper(*args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            record(name, time.perf_counter() - start, time.process_time() - cpu)
    return wrapper
weasyprint.HTML.__init__ = timed("parse", weasyprint.HTML.__init__)
weasyprint.HTML.render = timed("render", weasyprint.HTML.render)
Document.write_pdf = timed("write", Document.write_pdf)
'''

WEASYPRINT_TIMER = r'''
import json, sys
from pathlib import Path
from docbuild.build import Group, render_group
from docbuild.catalogue import reuse_theme, context_for
from docbuild.governance import pdf_pages
from docbuild.inputs import brand_editions, check_inputs
spent = {"parse": 0.0, "render": 0.0, "write": 0.0, "parse cpu": 0.0, "render cpu": 0.0, "write cpu": 0.0}
def record(name, wall, cpu):
    spent[name] += wall
    spent[name + " cpu"] += cpu
''' + TIMERS + r'''
books, brands = [Path(p) for p in json.loads(sys.argv[1])], [Path(p) for p in json.loads(sys.argv[2])]
groups = []   # checked first, untimed; one theme a brand (compiled templates), as a catalogue worker has
for book in books:
    for brand in brands:
        checked = check_inputs(book, (brand,), None, False, ())
        theme = reuse_theme(checked.themes[0])
        for edition in brand_editions(theme, checked.editions):
            groups.append(Group(context_for(checked, theme, edition), ("pdf",), Path("unused"), ""))
warm = {}
for group in groups:   # one untimed document a brand: fontconfig, caches, first imports
    warm.setdefault(group.ctx.theme.brand.root, group)
for group in warm.values():
    render_group(group, page_count=pdf_pages)
for key in spent:
    spent[key] = 0.0
start, cpu = time.perf_counter(), time.process_time()
for group in groups:
    render_group(group, page_count=pdf_pages)
print(json.dumps(spent | {"documents": len(groups), "docbuild": time.perf_counter() - start,
                          "docbuild cpu": time.process_time() - cpu}))
'''


def weasyprint_alone(books: list[Path]) -> dict:
    cmd = [PYTHON, "-c", WEASYPRINT_TIMER, json.dumps([str(b) for b in books]), json.dumps([str(b) for b in BRANDS])]
    run = checked(measure(cmd), "WeasyPrint timing")
    return json.loads(run.output.strip().splitlines()[-1]) | {"cpu": run.cpu, "wall": run.wall}


# The catalogue build itself, its WeasyPrint calls timed in every process (the workers are forked
# from this one, so they inherit the timers): WeasyPrint's own work for those documents, on this
# machine's cores as the catalogue loads them (two busy cores each run slower than one alone).
BUILD_TIMER = r'''
import os, sys
log = sys.argv.pop(1)
def record(name, wall, cpu):
    with open(log, "a") as out:
        out.write(f"{os.getpid()} {name} {wall} {cpu}\n")
''' + TIMERS + r'''
sys.argv[0] = "make_docs.py"
from docbuild.cli import run
run()
'''


def weasyprint_in_build(catalogue: Path, out: Path) -> dict[str, float]:
    """The catalogue build with WeasyPrint's calls timed: their summed wall time by kind."""
    with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
        cmd = catalogue_cmd(catalogue, out, "--force")
        checked(measure([PYTHON, "-c", BUILD_TIMER, log.name, *cmd[2:]]), "timed catalogue build")
        spent: dict[str, float] = {"parse": 0.0, "render": 0.0, "write": 0.0}
        for line in log.read().splitlines():
            _, name, wall, _ = line.split()
            spent[name] += float(wall)
    return spent


def median_run(runs: list[dict]) -> dict:
    """The run whose WeasyPrint total is the median: (a) is taken as (c) is, over --runs."""
    return sorted(runs, key=lambda run: run["parse"] + run["render"] + run["write"])[len(runs) // 2]


# --- (b) one build per book and brand ------------------------------------------------------------

def one_by_one(books: list[Path], out: Path) -> tuple[float, float, int]:
    """Total wall and CPU of one make_docs.py build per book and brand, in turn."""
    wall = cpu = 0.0
    count = 0
    for book in books:
        for brand in BRANDS:
            cmd = [PYTHON, "make_docs.py", "build", "--book", str(book), "--brand", str(brand),
                   "--out", str(out / brand.name), "--format", "pdf", "--force"]
            run = checked(measure(cmd), f"build of {book.name} with {brand.name}")
            wall, cpu, count = wall + run.wall, cpu + run.cpu, count + 1
    return wall, cpu, count


# --- (c, d) the catalogue ------------------------------------------------------------------------

def median_runs(cmd: list[str], runs: int, what: str, before=None) -> tuple[float, float]:
    walls, cpus = [], []
    for number in range(runs):
        if before:
            before(number)
        run = checked(measure(cmd), what)
        walls.append(run.wall)
        cpus.append(run.cpu)
    return statistics.median(walls), statistics.median(cpus)


def change_a_chapter(books: list[Path]):
    def change(number: int) -> None:
        chapter = sorted((books[number % len(books)] / "chapters").glob("*.md"))[0]
        with chapter.open("a", encoding="utf-8") as file:
            file.write(f"\nOne more plain sentence, number {number}.\n")
    return change


def dask_figures(catalogue: Path, out: Path, runs: int) -> dict[str, float]:
    try:
        from distributed import LocalCluster
    except ImportError:
        return {}
    with LocalCluster(n_workers=cores(), threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        cmd = catalogue_cmd(catalogue, out, "--force", "--executor", address)
        cold = checked(measure(cmd), "catalogue build on Dask (cold)")
        warm = median_runs(cmd, runs, "catalogue build on Dask (warm)")
    return {"cold": cold.wall, "warm": warm[0]}   # the workers' CPU is not this process tree's


# --- the report ----------------------------------------------------------------------------------

def row(name: str, wall: float, cpu: float | None, note: str = "") -> str:
    cpu_text = f"{cpu:8.1f}" if cpu is not None else "       —"
    return f"| {name:<52} | {wall:8.2f} | {cpu_text} | {note} |"


def verdict(name: str, value: float) -> str:
    target = TARGETS[name]
    return f"| {name:<52} | {value:8.2f} | ≤ {target:<6} | {'met' if value <= target else 'MISSED'} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--books", type=int, default=40)
    parser.add_argument("--runs", type=int, default=1, help="runs of each catalogue figure (median)")
    parser.add_argument("--sample", type=int, default=0,
                        help="time only this many one-by-one builds and scale up (default: all of them)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster figures")
    parser.add_argument("--epub", action="store_true", help="also time a PDF + EPUB catalogue build")
    parser.add_argument("--keep", type=Path, help="keep the handouts and outputs in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="docbuild-bench-catalogue-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return report(work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(work: Path, args) -> int:
    catalogue = make_library(work, args.books)
    books = sorted(p for p in (work / "books").iterdir() if p.is_dir())
    docs = len(books) * len(BRANDS)
    print(f"# Catalogue benchmark: {len(books)} handouts × {len(BRANDS)} brands = {docs} PDFs", flush=True)
    print(f"{platform.platform()}, Python {platform.python_version()}, {cores()} cores usable, "
          f"load average (1/5/15 min) at start {load()}\n")
    print("| figure | wall s | CPU s | notes |\n|---|---:|---:|---|")
    alone = median_run([weasyprint_alone(books) for _ in range(args.runs)])
    weasy = alone["parse"] + alone["render"] + alone["write"]
    weasy_cpu = alone["parse cpu"] + alone["render cpu"] + alone["write cpu"]
    layout_only = alone["render"] + alone["write"]
    print(row(f"(a) WeasyPrint alone, {alone['documents']} documents, summed", weasy, weasy_cpu,
              f"HTML() {alone['parse cpu']:.1f} + render {alone['render cpu']:.1f} + write_pdf "
              f"{alone['write cpu']:.1f} s CPU; docbuild's whole render of them, in the same process: "
              f"{alone['docbuild cpu']:.1f} s CPU; load {load()}"), flush=True)
    print(row(f"(a) ÷ {cores()} cores: a perfect parallel build", weasy / cores(), weasy_cpu / cores(),
              f"render + write_pdf only (without parsing the HTML) ÷ cores: {layout_only / cores():.2f} s"), flush=True)
    sample = books[:max(1, args.sample // len(BRANDS))] if args.sample else books
    seq_wall, seq_cpu, count = one_by_one(sample, work / "one-by-one")
    scale = docs / count
    print(row(f"(b) one build per book and brand, {count} builds" + (" (scaled up)" if scale != 1 else ""),
              seq_wall * scale, seq_cpu * scale, f"load {load()}"), flush=True)
    out = work / "out"
    cat_wall, cat_cpu = median_runs(catalogue_cmd(catalogue, out, "--force"), args.runs, "catalogue build")
    print(row("(c) catalogue build, local pool", cat_wall, cat_cpu, f"load {load()}"), flush=True)
    inside = weasyprint_in_build(catalogue, work / "out-timed")
    own = sum(inside.values())
    print(row("(c) WeasyPrint's calls inside a build like (c), summed", own, None,
              f"parse {inside['parse']:.1f} + render {inside['render']:.1f} + write_pdf {inside['write']:.1f} s; "
              f"÷ {cores()} cores: {own / cores():.2f} s; load {load()}"), flush=True)
    same_wall, same_cpu = median_runs(catalogue_cmd(catalogue, out), max(args.runs, 3), "no-change rebuild")
    print(row("(d) no-change rebuild", same_wall, same_cpu, f"load {load()}"), flush=True)
    one_wall, one_cpu = median_runs(catalogue_cmd(catalogue, out), max(args.runs, 3), "one-chapter change",
                                    change_a_chapter(books))
    print(row("(d) one chapter of one book changed (2 PDFs)", one_wall, one_cpu, f"load {load()}"), flush=True)
    if args.epub:
        both = median_runs(catalogue_cmd(catalogue, work / "out-epub", "--force", "--format", "pdf",
                                         "--format", "epub"), args.runs, "PDF + EPUB catalogue build")
        print(row(f"(c') catalogue build, PDF + EPUB ({2 * docs} files)", *both, f"load {load()}"), flush=True)
    dask = {} if args.no_dask else dask_figures(catalogue, work / "out-dask", args.runs)
    if dask:
        print(row("(e) catalogue build on a Dask LocalCluster, cold", dask["cold"], None,
                  f"load {load()}"), flush=True)
        print(row("(e) catalogue build on a Dask LocalCluster, warm", dask["warm"], None,
                  f"÷ local pool: {dask['warm'] / cat_wall:.2f}; load {load()}"), flush=True)
    print("\n| target | value | target | |\n|---|---:|---|---|")
    print(verdict("catalogue ÷ one build per book and brand", cat_wall / (seq_wall * scale)))
    print(verdict("catalogue ÷ (WeasyPrint alone ÷ cores)", cat_wall / (weasy / cores())))
    print(verdict("catalogue ÷ (render + write_pdf alone ÷ cores)", cat_wall / (layout_only / cores())))
    print(verdict("catalogue ÷ (its own WeasyPrint calls ÷ cores)", cat_wall / (own / cores())))
    print(verdict("no-change rebuild (s)", same_wall))
    print(verdict("one-chapter change (s)", one_wall))
    print(f"\nThe same in CPU time, which other work on the machine does not inflate: the catalogue build "
          f"used {cat_cpu / weasy_cpu:.2f}× the CPU of WeasyPrint alone (everything docbuild adds, in all "
          f"processes), and {cat_cpu / alone['docbuild cpu']:.2f}× that of docbuild's whole render of the same "
          f"documents one after another in one warm process (what the catalogue adds: checking, scheduling, "
          f"writing, the index). Load average at the end {load()}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
