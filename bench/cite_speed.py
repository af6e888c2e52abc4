"""How fast docbuild/cite.py formats references, cold and warm.

    python bench/cite_speed.py [--count 1000] [--runs 5]

The references are the real CSL-JSON in tests/data/csl/ (Zotero/Better BibTeX, Manubot, the CSL
test suite), repeated with a numbered title until there are COUNT distinct ones. For each a book
needs three strings: the full note, the short form of a later note (both with a locator) and the
bibliography entry. Each run is a fresh process:

- cold: `import docbuild.cite`, loading the style and formatting every reference once;
- warm: the same references again in that process (the cache by content answers), and through a
  new CitationStyle object, as a second brand or a rebuild in a preview server would.

A fresh process per run, and the median of the runs, is reported for each style.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "data" / "csl"))


def references(count: int) -> dict[str, dict]:
    import regenerate   # tests/data/csl/regenerate.py: every real entry by key
    real = [e for e in regenerate.entries().values() if isinstance(e.get("title"), str)]
    out = {}
    for index in range(count):
        entry = dict(real[index % len(real)])
        if index >= len(real):
            entry["title"] = f"{entry['title']} ({index // len(real)})"
        out[f"ref{index}"] = entry
    return out


def one_run(style: str, count: int) -> dict[str, float]:
    entries = references(count)
    start = time.perf_counter()
    from docbuild.cite import CitationStyle
    imported = time.perf_counter()
    cite = CitationStyle(entries, style)
    cite.entry("ref0")
    loaded = time.perf_counter()
    for key in entries:
        cite.full(key, "p. 3"), cite.short(key, "p. 3"), cite.entry(key)
    cold = time.perf_counter()
    for key in entries:
        cite.full(key, "p. 3"), cite.short(key, "p. 3"), cite.entry(key)
    warm = time.perf_counter()
    other = CitationStyle(dict(entries), style)
    for key in entries:
        other.full(key, "p. 3"), other.short(key, "p. 3"), other.entry(key)
    again = time.perf_counter()
    return {"import": imported - start, "load style": loaded - imported, "cold": cold - loaded,
            "cold total": cold - start, "warm": warm - cold, "warm, new object": again - warm}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("STYLE", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(one_run(args.child[0], int(args.child[1]))))
        return
    print(f"{args.count} references, 3 strings each (full note, short note, bibliography entry); "
          f"median of {args.runs} fresh processes, seconds")
    for style in ("ama", "vancouver"):
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--child", style, str(args.count)],
                                          check=True, capture_output=True, text=True).stdout)
                for _ in range(args.runs)]
        figures = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
        print(f"{style:9s} " + "  ".join(f"{name} {value:.3f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
