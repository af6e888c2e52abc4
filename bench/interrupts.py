"""Stress the interruption guarantees: `python bench/interrupts.py [--runs 100]`.

Starts one- and two-brand builds of the default book, each into an OUT folder holding previous
files, and at a random moment sends SIGINT (to the process group, as Ctrl-C does) or SIGTERM (to
the group, or to the parent alone, as `kill` does). A CPU-bound process runs beside them (load).
Counts, over all runs: tracebacks printed, OUT folders half-changed (some files new, some old, or
a file incomplete; all old, or all new and complete when the signal came after the outputs moved
into place, is right) or left with temporary files, and worker processes still alive afterwards.
Every figure should be 0.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BRANDS = [ROOT / "brands" / "riverside", ROOT / "brands" / "harbour"]


def _burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def _previous(out: Path, brands: list[Path]) -> dict[str, bytes]:
    folders = [out / b.name for b in brands] if len(brands) > 1 else [out]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "anxiety-back-pain.pdf").write_bytes(b"previous pdf")
    return _files(out)


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _whole(path: Path) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF") if path.suffix == ".pdf" \
        else data.startswith(b"PK")


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = open(f"/proc/{current}/task/{task}/children").read().split()
                found += [int(c) for c in children]
                todo += [int(c) for c in children]
        except OSError:
            continue
    return found


def one_run(work: Path, rng: random.Random) -> dict[str, int]:
    brands = BRANDS[:rng.choice([1, 2])]
    out = work / "out"
    before = _previous(out, brands)
    args = [sys.executable, str(ROOT / "make_docs.py"), "build", "--force", "--out", str(out)]
    args += [a for b in brands for a in ("--brand", str(b))]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    time.sleep(rng.uniform(0.05, 3.0))
    signum, to_group = rng.choice([(signal.SIGINT, True), (signal.SIGTERM, True), (signal.SIGTERM, False)])
    children = _descendants(process.pid)
    try:
        (os.killpg if to_group else os.kill)(process.pid, signum)
    except ProcessLookupError:
        pass
    stdout, stderr = process.communicate(timeout=120)
    finished = process.returncode == 0
    deadline = time.monotonic() + 20
    while any(os.path.exists(f"/proc/{c}") and "zombie" not in open(f"/proc/{c}/status").read()
              for c in children if os.path.exists(f"/proc/{c}")) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [c for c in children if os.path.exists(f"/proc/{c}") and "zombie" not in open(f"/proc/{c}/status").read()]
    after = _files(out)
    temps = [n for n in after if n.endswith(".tmp")]
    # all or nothing: every previous file untouched, or every output new and complete (the signal
    # came after the outputs had moved into place); anything else is a half-written OUT
    replaced = [n for n in before if after.get(n) != before[n]]
    complete = all(_whole(out / n) for n in after if n.endswith((".pdf", ".epub")))
    changed = not finished and bool(replaced) and (len(replaced) != len(before) or not complete)
    return {"runs": 1, "finished": int(finished), "tracebacks": int("Traceback" in stderr or "Exception ignored" in stderr),
            "changed": int(changed), "temps": int(bool(temps)), "alive": len(alive)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    stop = multiprocessing.Event()
    load = multiprocessing.Process(target=_burn, args=(stop,), daemon=True)
    load.start()
    totals: dict[str, int] = {}
    start = time.monotonic()
    try:
        for index in range(options.runs):
            with tempfile.TemporaryDirectory() as work:
                result = one_run(Path(work), rng)
            for key, value in result.items():
                totals[key] = totals.get(key, 0) + value
            if result["tracebacks"] or result["changed"] or result["temps"] or result["alive"]:
                print(f"run {index + 1}: {result}", flush=True)
    finally:
        stop.set()
        load.join(timeout=5)
    print(f"{totals['runs']} runs in {time.monotonic() - start:.0f} s (with a CPU-bound process beside them): "
          f"{totals['finished']} finished before the signal; tracebacks {totals['tracebacks']}, "
          f"OUT half-changed {totals['changed']}, temporary files left {totals['temps']}, workers left {totals['alive']}")


if __name__ == "__main__":
    main()
