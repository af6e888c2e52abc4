"""Outputs: files in memory -> OUT, all of them or none, never a half-written file.

Each file goes to a temporary file beside its target (named with this process's id, so that a
later build removes what a killed one left), then all are moved into place with Ctrl-C and kills
held. A problem with OUT (a file where a folder should be, no permission, a full disk) is an error
at its path, never a traceback.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import freshness
from .errors import DocError, Location, Problem


@dataclass(frozen=True)
class Output:
    path: Path
    data: bytes
    pages: int = 0


@contextlib.contextmanager
def signals_held():
    """Delay Ctrl-C and kills (not SIGKILL) until the block is done."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_all(outputs: list[Output], records) -> None:
    """Write every output, then the freshness record of each group; on any failure, none.

    `records`: (folder, fingerprint, outputs) for each group (several editions share a folder),
    or {folder: (fingerprint, outputs)}."""
    temps: dict[Path, Path] = {}
    try:
        with signals_held():
            for output in outputs:
                _prepare(output.path)
                temps[output.path] = _temp(output.path, output.data)
            for output in outputs:
                os.replace(temps.pop(output.path), output.path)
            groups = [(f, *r) for f, r in records.items()] if isinstance(records, dict) else records
            for folder, stamp, written in groups:   # one record per group: editions share a folder
                freshness.record(folder, stamp, {o.path.name: o.pages for o in written})
    except OSError as exc:
        raise DocError([_problem(exc)]) from None
    finally:
        for temp in temps.values():
            with contextlib.suppress(OSError):
                temp.unlink()


def _prepare(path: Path) -> None:
    folder = path.parent
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(folder))
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(folder)
    for blocked in (path, folder / freshness.STATE):   # found before any file moves: all or nothing
        if blocked.is_dir():
            raise IsADirectoryError(21, "Is a directory", str(blocked))


def _temp(path: Path, data: bytes) -> Path:
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(name, 0o666 & ~_umask())   # mkstemp makes files private; outputs are ordinary files
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)   # elsewhere it can only be read by setting it
    os.umask(mask)
    return mask


def _problem(exc: OSError) -> Problem:
    where = Location.of(exc.filename or "OUT")
    words = {13: "permission denied: the output folder cannot be written", 28: "the disk is full",
             30: "the output folder is on a read-only disk", 20: "a file stands where a folder is needed",
             21: "a folder stands where the output file should go: remove it",
             36: "the file name is too long: set a shorter slug in book.toml"}
    return Problem(where, words.get(exc.errno, f"cannot write the output: {exc.strerror}"))


def remove_stale_temps(out: Path) -> None:
    """Delete temporary files of builds that were killed (their process no longer runs)."""
    for temp in out.glob(".*.tmp"):
        match = re.search(r"\.(\d+)\.[^.]+\.tmp$", temp.name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):
                temp.unlink()


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
