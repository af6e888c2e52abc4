"""Large input: how `check` scales with chapters and references (the error-catalogue issue's floor:
200 chapters and 2,000 references check in seconds, and nothing grows faster than linearly).

    python bench/scale.py            # 50/500, 100/1000, 200/2000, 400/4000 chapters/references

Each book cites every reference, has a footnote and a table per chapter, and, in a second run,
an unknown citation key in every chapter, so error reporting (with its "did you mean" search) is
measured too.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docbuild.build import check  # noqa: E402
from docbuild.errors import DocError  # noqa: E402


def make_book(folder: Path, chapters: int, references: int, broken: bool) -> None:
    (folder / "chapters").mkdir(parents=True)
    refs = [{"id": f"ref{i:05d}", "type": "article-journal", "title": f"Study number {i}",
             "author": [{"family": f"Author{i}", "given": "A"}], "container-title-short": "J Test",
             "issued": {"date-parts": [[2000 + i % 25]]}, "volume": str(i % 40), "page": "1-10"}
            for i in range(references)]
    (folder / "references.json").write_text(json.dumps(refs, indent=2))
    (folder / "book.toml").write_text('title = "Scale"\n[[reviewers]]\nname = "R"\n')
    per = references // chapters
    for c in range(chapters):
        cites = " ".join(f"Finding {k} [@ref{c * per + k:05d}]." for k in range(per))
        bad = f" A slip [@ref{c:05d}x]." if broken else ""
        text = (f"---\ntitle: Chapter {c}\n---\nSome words.{bad} {cites}\n\nA note.[^n]\n\n"
                f"[^n]: A short note.\n\n| a | b |\n|---|---|\n| 1 | 2 [@ref{c * per:05d}] |\n")
        (folder / "chapters" / f"{c:04d}.md").write_text(text)


def time_check(chapters: int, references: int, broken: bool, runs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        make_book(Path(tmp), chapters, references, broken)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            try:
                check(Path(tmp))
            except DocError as exc:
                assert broken and len(exc.problems) == chapters
            times.append(time.perf_counter() - start)
        return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| chapters | references | check (s) | with one error a chapter (s) | ms per chapter |")
    print("|---:|---:|---:|---:|---:|")
    for chapters in (50, 100, 200, 400):
        good = time_check(chapters, chapters * 10, False, args.runs)
        bad = time_check(chapters, chapters * 10, True, args.runs)
        print(f"| {chapters} | {chapters * 10} | {good:.2f} | {bad:.2f} | {1000 * good / chapters:.1f} |")


if __name__ == "__main__":
    main()
