"""Benchmark docbuild on synthetic books and compare it with WeasyPrint alone (and pandoc, if present).

    python bench/run.py [--sizes small,medium,large] [--runs 3] [--json FILE] [--keep DIR]

For each size, bench/generate.py writes a book into a temporary folder; then every command runs
`--runs` times in a fresh subprocess, interleaved (PDF, WeasyPrint, PDF+EPUB, EPUB, check, rebuild,
pandoc, then again), and the median wall time is reported. Peak memory is the largest resident set of
the measured process and of every process it waited for, read from os.wait4 (the figure a
getrusage(RUSAGE_CHILDREN) wrapper or `/usr/bin/time -v` would print). See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402  (bench/generate.py, next to this file)

PYTHON = sys.executable
SIZES = tuple(generate.SIZES)
# WeasyPrint alone on the very print HTML docbuild renders, with docbuild's fontconfig isolation
WEASYPRINT_ALONE = ("import sys; from pathlib import Path; sys.path.insert(0, '.'); "
                    "from docbuild.renderers.pdf import font_configuration; import weasyprint; "
                    "fonts = font_configuration((Path('fonts'),)); "
                    "weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2], pdf_variant='pdf/ua-1', "
                    "font_config=fonts)")
FONT_VARS = ("FONTCONFIG_FILE",)   # each child sets these up itself


@dataclass
class Run:
    wall: float       # seconds
    peak_mb: float    # peak resident set of the process tree, MB
    code: int
    output: str = ""  # stdout and stderr together


@dataclass
class Metric:
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.code == 0 for r in self.runs)

    @property
    def median(self) -> float | None:
        return statistics.median(r.wall for r in self.runs) if self.ok else None

    @property
    def peak_mb(self) -> float | None:
        return max(r.peak_mb for r in self.runs) if self.ok else None


# --- running commands ----------------------------------------------------------------------------

def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FONT_VARS}
    return env | (extra or {})


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run `cmd` from the project root; its wall time and the peak memory of its process tree."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env or child_env(), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)   # Linux: max RSS of the child and its reaped children
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", errors="replace")
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024   # ru_maxrss: bytes on macOS, KB on Linux
    return Run(wall, usage.ru_maxrss / scale, proc.returncode, text)


def build_flags() -> set[str]:
    """Which of the newer build options (--force, --timings) this docbuild has."""
    help_text = subprocess.run([PYTHON, "make_docs.py", "build", "--help"], cwd=ROOT, env=child_env(),
                               capture_output=True, text=True).stdout
    return {flag for flag in ("--force", "--timings") if re.search(rf"{flag}\b", help_text)}


def build_cmd(book: Path, out: Path, formats: tuple[str, ...], flags: set[str],
              force: bool = True, timings: bool = False) -> list[str]:
    cmd = [PYTHON, "make_docs.py", "build", "--book", str(book), "--out", str(out)]
    for fmt in formats:
        cmd += ["--format", fmt]
    if force and "--force" in flags:
        cmd.append("--force")
    if timings and "--timings" in flags:
        cmd.append("--timings")
    return cmd


# --- pandoc, for comparison ----------------------------------------------------------------------

def pandoc_missing() -> str | None:
    """Why pandoc cannot run here, or None when it can."""
    if not shutil.which("pandoc"):
        return "pandoc not installed"
    if not shutil.which("weasyprint"):
        return "weasyprint command not on PATH (pandoc --pdf-engine needs it)"
    return None


def pandoc_input(book: Path, target: Path) -> Path:
    """The book's chapters in one Markdown file: front matter turned into `# title`, notes renamed."""
    conf = tomllib.loads((book / "book.toml").read_text(encoding="utf-8"))
    parts = []
    for index, name in enumerate(conf["chapters"], start=1):
        text = (book / name).read_text(encoding="utf-8")
        _, front, body = text.split("---\n", 2)
        title = front.split("title:", 1)[1].strip()
        body = re.sub(r"\[\^(\w+)\]", rf"[^c{index}-\1]", body)      # labels restart in each chapter
        body = body.replace("](../images/", f"]({book.resolve() / 'images'}/")
        parts.append(f"# {title}\n\n{body}")
    target.write_text("\n\n".join(parts), encoding="utf-8")
    return target


def pandoc_cmd(book: Path, work: Path) -> list[str]:
    conf = tomllib.loads((book / "book.toml").read_text(encoding="utf-8"))
    source = pandoc_input(book, work / "pandoc.md")
    return ["pandoc", str(source), "--from", "markdown", "--citeproc",
            "--bibliography", str(book / "references.json"), "--resource-path", str(book),
            "--metadata", f"title={conf['title']}", "--pdf-engine=weasyprint",
            "--lua-filter", str(HERE / "pandoc-notes.lua"), "--css", str(HERE / "pandoc-notes.css"),
            "-o", str(work / "pandoc.pdf")]


def fontconfig_env() -> dict[str, str]:
    """The environment docbuild runs WeasyPrint in: fontconfig limited to the project's fonts."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="bench-fonts-"))
    (folder / "fonts.conf").write_text(f'<?xml version="1.0"?><fontconfig><dir>{ROOT / "fonts"}</dir>'
                                       f"<cachedir>{folder / 'cache'}</cachedir></fontconfig>")
    return child_env({"FONTCONFIG_FILE": str(folder / "fonts.conf")})


# --- one size ------------------------------------------------------------------------------------

@dataclass
class SizeResult:
    size: str
    stats: dict
    metrics: dict[str, Metric] = field(default_factory=dict)
    rebuild_skipped: bool = False    # every no-change rebuild said "up to date"
    pandoc_note: str = ""
    timings: str = ""                # the last PDF build's --timings output, when supported


def prepare(size: str, work: Path, flags: set[str]) -> tuple[Path, Path, dict]:
    """Generate the book and build its print HTML (for WeasyPrint alone)."""
    book = work / "book"
    stats = asdict(generate.generate(size, book))
    html = work / "html" / f"bench-{size}.html"
    html.parent.mkdir(parents=True, exist_ok=True)
    first = measure([PYTHON, str(HERE / "print_html.py"), str(book), str(html)])   # the PDF's own HTML
    if first.code != 0:
        raise RuntimeError(f"building the {size} book failed:\n{first.output}")
    return book, html, stats


Commands = dict[str, tuple[list[str], dict[str, str] | None]]


def commands(book: Path, html: Path, work: Path, flags: set[str], pandoc: bool, round_: int) -> Commands:
    """Every measured command, in the order each round runs them, with its environment.

    Without --force, each round builds into new folders, so that no up-to-date check can skip it.
    """
    fresh = "" if "--force" in flags else f"-{round_}"
    cmds: Commands = {
        "pdf": (build_cmd(book, work / f"pdf{fresh}", ("pdf",), flags, timings=True), None),
        "weasyprint": ([PYTHON, "-c", WEASYPRINT_ALONE, str(html), str(work / "weasyprint.pdf")], None),
        "pdf_epub": (build_cmd(book, work / f"both{fresh}", ("pdf", "epub"), flags), None),
        "epub": (build_cmd(book, work / f"epub{fresh}", ("epub",), flags), None),
        "check": ([PYTHON, "make_docs.py", "check", "--book", str(book)], None),
        "rebuild": (build_cmd(book, work / "rebuild", (), flags, force=False), None),
    }
    if pandoc:
        cmds["pandoc"] = (pandoc_cmd(book, work), fontconfig_env())
    return cmds


def bench_size(size: str, work: Path, runs: int, flags: set[str]) -> SizeResult:
    book, html, stats = prepare(size, work, flags)
    missing = pandoc_missing()
    result = SizeResult(size, stats, pandoc_note=missing or "")
    for round_ in range(1, runs + 1):
        for name, (cmd, env) in commands(book, html, work, flags, missing is None, round_).items():
            if name == "rebuild":
                measure(cmd, env)   # the untimed first of the two builds (quick if nothing changed)
            run = measure(cmd, env)
            result.metrics.setdefault(name, Metric()).runs.append(run)
            status = f"{run.wall:.2f} s, {run.peak_mb:.0f} MB" if run.code == 0 else f"FAILED ({run.code})"
            log(f"[{size}] round {round_}/{runs} {name}: {status}")
            if run.code != 0:
                log(run.output.strip()[-2000:])
    result.rebuild_skipped = all("up to date" in r.output.lower() for r in result.metrics["rebuild"].runs)
    if "--timings" in flags and result.metrics["pdf"].runs:
        lines = result.metrics["pdf"].runs[-1].output.splitlines()
        result.timings = "\n".join(line for line in lines if not line.startswith("wrote "))
    return result


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the report ----------------------------------------------------------------------------------

def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _per_kword(result: SizeResult, name: str) -> float | None:
    value = result.metrics[name].median if name in result.metrics else None
    return value / result.stats["words"] * 1000 if value is not None else None


@dataclass(frozen=True)
class Row:
    label: str
    value: Callable[[SizeResult], float | str | None]
    unit: str = "s"                            # "s", "MB", "x" or "s/kw"
    target: str = ""
    passes: Callable[[float], bool] | None = None
    applies: tuple[str, ...] = SIZES           # the sizes the target is for


def _median(name: str) -> Callable[[SizeResult], float | None]:
    return lambda r: r.metrics[name].median if name in r.metrics else None


def _pandoc(result: SizeResult) -> float | str | None:
    return result.pandoc_note or _median("pandoc")(result)


ROWS = (
    Row("Book: words (chapters, references)", lambda r: f"{r.stats['words']:,} ({r.stats['chapters']} ch., "
        f"{r.stats['references']} refs)", unit=""),
    Row("(a) PDF build, wall time", _median("pdf")),
    Row("(b) PDF build, peak memory", lambda r: r.metrics["pdf"].peak_mb, "MB", "< 500 MB (large)",
        lambda v: v < 500, ("large",)),
    Row("(c) WeasyPrint alone, same HTML", _median("weasyprint")),
    Row("(c) WeasyPrint alone, peak memory", lambda r: r.metrics["weasyprint"].peak_mb, "MB"),
    Row("(c) PDF build ÷ WeasyPrint alone", lambda r: _ratio(_median("pdf")(r), _median("weasyprint")(r)),
        "x", "≤ 1.10× (medium, large)", lambda v: v <= 1.10, ("medium", "large")),
    Row("(d) PDF + EPUB build, wall time", _median("pdf_epub")),
    Row("(d) PDF + EPUB ÷ PDF alone", lambda r: _ratio(_median("pdf_epub")(r), _median("pdf")(r)),
        "x", "≤ 1.15×", lambda v: v <= 1.15),
    Row("(e) EPUB alone", _median("epub"), "s", "< 1 s (large)", lambda v: v < 1, ("large",)),
    Row("(f) check", _median("check"), "s", "< 1 s (large)", lambda v: v < 1, ("large",)),
    Row("(g) No-change rebuild (default build, 2nd run)", _median("rebuild"), "s", "< 0.5 s",
        lambda v: v < 0.5),
    Row("(h) pandoc --citeproc, --pdf-engine=weasyprint, page-bottom notes", _pandoc),
    Row("(h) PDF build ÷ pandoc", lambda r: r.pandoc_note or _ratio(_median("pdf")(r), _median("pandoc")(r)),
        "x"),
    Row("PDF build, s per 1,000 words", lambda r: _per_kword(r, "pdf"), "s/kw"),
    Row("WeasyPrint alone, s per 1,000 words", lambda r: _per_kword(r, "weasyprint"), "s/kw"),
)


def cell(row: Row, result: SizeResult) -> str:
    value = row.value(result)
    if value is None:
        return "failed"
    if isinstance(value, str):
        return value
    text = {"s": f"{value:.2f} s", "MB": f"{value:.0f} MB", "x": f"{value:.2f}×",
            "s/kw": f"{value:.3f} s"}[row.unit]
    if row.passes and result.size in row.applies:
        text += " ✓" if row.passes(value) else " ✗"
    return text


def table(results: list[SizeResult]) -> str:
    head = "| Figure | " + " | ".join(r.size for r in results) + " | Target |"
    lines = [head, "|" + "---|" * (len(results) + 2)]
    for row in ROWS:
        cells = " | ".join(cell(row, r) for r in results)
        lines.append(f"| {row.label} | {cells} | {row.target or '—'} |")
    return "\n".join(lines)


def growth(results: list[SizeResult], name: str) -> str:
    """How the time grows with words between the smallest and the largest book: t ∝ words^k."""
    done = [r for r in results if name in r.metrics and r.metrics[name].median]
    if len(done) < 2:
        return ""
    a, b = done[0], done[-1]
    times = b.metrics[name].median / a.metrics[name].median
    k = math.log(times) / math.log(b.stats["words"] / a.stats["words"])
    return f"{name} time grows as words^{k:.2f} from {a.size} to {b.size}"


def notes(results: list[SizeResult], flags: set[str]) -> list[str]:
    out = [line for line in (growth(results, "pdf"), growth(results, "weasyprint")) if line]
    if "--force" not in flags:
        out.append("`build --force` does not exist yet: every timed build wrote into a new, empty folder.")
    if "--timings" not in flags:
        out.append("`build --timings` does not exist yet: no phase times.")
    for result in results:
        if "rebuild" in result.metrics and not result.rebuild_skipped:
            out.append(f'{result.size}: not every no-change rebuild said "up to date" (see the JSON): '
                       "those were full builds.")
    return out


def machine() -> dict[str, str]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "--no-optional-locks", "status", "--porcelain", "--", "docbuild"],
                           cwd=ROOT, capture_output=True, text=True)
    changed = " (docbuild/ has uncommitted changes)" if dirty.stdout.strip() else ""
    return {"nproc": str(cpus), "python": platform.python_version(),
            "weasyprint": metadata.version("weasyprint"),
            "system": f"{platform.system()} {platform.release()} {platform.machine()}",
            "docbuild_commit": commit.stdout.strip() + changed}


def report(results: list[SizeResult], flags: set[str], info: dict[str, str], runs: int) -> str:
    header = (f"nproc {info['nproc']}, Python {info['python']}, WeasyPrint {info['weasyprint']}, "
              f"{info['system']}, docbuild {info['docbuild_commit']}; median of {runs} run(s)")
    parts = [header, "", table(results), ""]
    parts += [f"- {line}" for line in notes(results, flags)]
    for result in results:
        if result.timings:
            title = f"Phase times, {result.size}, last PDF build (`--timings`):"
            parts += ["", title, "```", result.timings, "```"]
    return "\n".join(parts)


def to_json(results: list[SizeResult], flags: set[str], info: dict[str, str], runs: int, text: str) -> dict:
    sizes = {}
    for r in results:
        figures = {name: {"median_s": m.median, "peak_mb": m.peak_mb,
                          "runs": [{"wall_s": x.wall, "peak_mb": x.peak_mb, "exit": x.code} for x in m.runs]}
                   for name, m in r.metrics.items()}
        sizes[r.size] = {"book": r.stats, "figures": figures, "rebuild_up_to_date": r.rebuild_skipped,
                         "pandoc": r.pandoc_note or "ran", "timings": r.timings}
    return {"machine": info, "build_options": sorted(flags), "runs": runs, "sizes": sizes, "report": text}


# --- main ----------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help="comma-separated: small,medium,large")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command; the median is reported")
    parser.add_argument("--json", type=Path, help="also save every figure and run to this JSON file")
    parser.add_argument("--keep", type=Path, help="generate and build in this folder and keep it")
    args = parser.parse_args(argv)
    args.sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown or not args.sizes or args.runs < 1:
        parser.error(f"--sizes takes {','.join(SIZES)} and --runs at least 1 (got {unknown or args.runs})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    flags = build_flags()
    log(f"build options found: {', '.join(sorted(flags)) or 'neither --force nor --timings'}")
    with tempfile.TemporaryDirectory(prefix="docbuild-bench-") as temp:
        work = args.keep.resolve() if args.keep else Path(temp)
        measure(build_cmd(ROOT / "tests" / "fixtures" / "small", work / "warm-up", ("pdf",), flags))  # caches
        results, broken = [], []
        for size in args.sizes:
            try:
                results.append(bench_size(size, work / size, args.runs, flags))
            except RuntimeError as exc:   # the book did not build at all: report it, go on
                log(str(exc))
                broken.append(size)
    if not results:
        return 1
    info = machine()
    text = report(results, flags, info, args.runs)
    if broken:
        text += f"\n- not measured, the book did not build: {', '.join(broken)}"
    print(text)
    if args.json:
        args.json.write_text(json.dumps(to_json(results, flags, info, args.runs, text), indent=2) + "\n")
    failed = broken or any(not m.ok for r in results for m in r.metrics.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
