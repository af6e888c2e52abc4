"""Freshness: whether the outputs in OUT already match every input, so a rebuild can be skipped.

The fingerprint covers the book, the brand pack, the project's templates, styles and fonts, the
tool's own code and the options; the state file in OUT also records each output's size and
modification time, so an output that was deleted or replaced is rebuilt.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from . import __version__

STATE = ".docbuild-state.json"
PACKAGE = Path(__file__).resolve().parent


def fingerprint(folders: tuple[Path, ...], options: dict) -> str:
    digest = hashlib.sha256(json.dumps({"version": __version__, **options}, sort_keys=True).encode())
    for folder in (*folders, PACKAGE):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def up_to_date(out: Path, print_: str) -> dict | None:
    """The recorded outputs when OUT was built from exactly these inputs and is untouched since."""
    try:
        state = json.loads((out / STATE).read_text())
        if state["fingerprint"] != print_:
            return None
        for name, stamp in state["outputs"].items():
            if _stamp(out / name) != stamp:
                return None
        return state
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record(out: Path, print_: str, outputs: dict[str, int]) -> None:
    """Remember the inputs and the outputs (name -> pages) of a successful build."""
    state = {"fingerprint": print_, "outputs": {n: _stamp(out / n) for n in outputs}, "pages": outputs}
    temp = out / f"{STATE}.{os.getpid()}.state.tmp"   # named so that remove_stale_temps knows it
    temp.write_text(json.dumps(state, indent=1))
    os.replace(temp, out / STATE)
