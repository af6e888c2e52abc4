"""Files: read an input only when it is a plain file, of a sane size, inside a folder the build trusts.

Every file a book, a brand pack or a reference export names goes through `read_inside`: the path is
resolved (links and `..` first), must land inside one of the roots, must be a regular file (not a
folder, a named pipe, a device or a socket) and no larger than the limit for its kind. The checks use
`stat` before anything is opened, and the file is then opened one folder at a time from its root
without following links (`O_NOFOLLOW`, `O_NONBLOCK`), so a file swapped for a link or a pipe between
the check and the read is refused instead of read or waited on.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Sequence

MB = 1024 * 1024
LIMITS = {"text": 5 * MB, "chapter": 5 * MB, "references": 20 * MB, "references file": 20 * MB,
          "template": 1 * MB, "stylesheet": 2 * MB, "config": 1 * MB, "book.toml": 1 * MB, "brand.toml": 1 * MB,
          "image": 20 * MB, "logo": 20 * MB, "font": 20 * MB, "input": 20 * MB}
DEFAULT_LIMIT = 5 * MB
LABELS = {"text": "file", "input": "file", "book.toml": "file", "brand.toml": "file", "config": "settings file",
          "references": "reference file", "stylesheet": "style sheet"}
_KINDS = {stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a device", stat.S_IFBLK: "a device",
          stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


class InputError(Exception):
    """A file the build may not or cannot read. `message` names the file and says why and what to do;
    `reason` says the same without the name ("it is a folder, ..."), for a caller that names it."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.message, self.reason = message, reason or message

    def __reduce__(self):
        return (InputError, (self.message, self.reason))


def _error(label: str, shown: str, rest: str) -> InputError:
    return InputError(f'the {label} "{shown}" {rest}', f"it {rest}")


def limit_for(what: str) -> int:
    """The size limit in bytes for a kind of file ("image", "font", "text", ...)."""
    return LIMITS.get(what, DEFAULT_LIMIT)


def _shown(path: Path) -> str:
    """The path as staff would type it: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def _resolved_roots(roots: Sequence[Path]) -> list[Path]:
    return [Path(os.path.realpath(root)) for root in roots]


def _root_of(resolved: Path, roots: Sequence[Path]) -> Path | None:
    """The (resolved) root that holds `resolved`, the deepest one when roots nest."""
    holders = [root for root in _resolved_roots(roots) if resolved == root or resolved.is_relative_to(root)]
    return max(holders, key=lambda root: len(root.parts), default=None)


def is_inside(path: Path, roots: Sequence[Path]) -> bool:
    """Whether `path`, once links and `..` are resolved, lies inside one of `roots`."""
    return _root_of(Path(os.path.realpath(path)), roots) is not None


def _size(count: int) -> str:
    return f"{count / MB:.1f} MB" if count >= MB else f"{count:,} bytes"


def _check_stat(info: os.stat_result, shown: str, what: str, max_bytes: int) -> None:
    kind = stat.S_IFMT(info.st_mode)
    if kind == stat.S_IFDIR:
        raise _error(what, shown, "is a folder, not a file: name a file inside it")
    if kind != stat.S_IFREG:
        name = _KINDS.get(kind, "not a regular file")
        raise _error(what, shown, f"is {name}, not an ordinary file: point to a saved file instead")
    if info.st_size > max_bytes:
        raise _error(what, shown, f"is {_size(info.st_size)}, over the limit of {_size(max_bytes)}: "
                                  "make the file smaller")


def _os_problem(exc: OSError, shown: str, what: str) -> InputError:
    if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOTDIR:
        return _error(what, shown, "does not exist: check the name and the folder")
    if isinstance(exc, PermissionError):
        return _error(what, shown, "cannot be read (permission denied): "
                                   "change its permissions so that you can read it, or copy it")
    if exc.errno == errno.ELOOP:
        return _error(what, shown, "changed into a link while it was being read: try again")
    return _error(what, shown, f"cannot be read ({exc.strerror or exc}): check the file")


def _open_beneath(root: Path, relative: Path) -> int:
    """Open root/relative for reading, one folder at a time, refusing any link on the way."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(root, flags | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in relative.parts[:-1]:
            try:
                inner = os.open(part, flags | nofollow | getattr(os, "O_DIRECTORY", 0), dir_fd=fd)
            except NotADirectoryError:   # it was a folder when checked: now a link (or a file)
                raise OSError(errno.ELOOP, "a folder on the way became a link", part) from None
            os.close(fd)
            fd = inner
        return os.open(relative.parts[-1], flags | nofollow | getattr(os, "O_NONBLOCK", 0), dir_fd=fd)
    finally:
        os.close(fd)


def _read_fd(fd: int, max_bytes: int, shown: str, what: str) -> bytes:
    chunks, total = [], 0
    while chunk := os.read(fd, min(1 * MB, max_bytes + 1 - total)):
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise _error(what, shown, f"is over the limit of {_size(max_bytes)}: make the file smaller")
    return b"".join(chunks)


def read_inside(path: Path, roots: Sequence[Path], what: str, max_bytes: int | None = None) -> bytes:
    """The bytes of `path`, or InputError when it is outside `roots`, not a plain file, or too large.

    `what` names the kind of file in messages and picks the size limit (see LIMITS) unless
    `max_bytes` is given. A relative `path` is taken from the working folder.
    """
    path, limit = Path(path), limit_for(what) if max_bytes is None else max_bytes
    shown, label = _shown(path), LABELS.get(what, what)
    resolved = Path(os.path.realpath(path))
    root = _root_of(resolved, roots)
    if root is None:
        raise _outside(path, roots, label, shown)
    try:
        _check_stat(os.stat(resolved), shown, label, limit)
        if resolved == root:
            raise _error(label, shown, "is a folder, not a file: name a file inside it")
        fd = _open_beneath(root, resolved.relative_to(root))
    except OSError as exc:
        raise _os_problem(exc, shown, label) from None
    try:
        _check_stat(os.fstat(fd), shown, label, limit)   # the file opened is the one checked
        return _read_fd(fd, limit, shown, label)
    except OSError as exc:
        raise _os_problem(exc, shown, label) from None
    finally:
        os.close(fd)


def _outside(path: Path, roots: Sequence[Path], label: str, shown: str) -> InputError:
    if _root_of(Path(os.path.abspath(path)), roots) is not None:
        return _error(label, shown, "is a link to a file outside the book and brand folders: "
                                    "copy the file itself into the folder instead of linking to it")
    return _error(label, shown, "is outside the book and brand folders the build may read: "
                                "copy the file into the folder")


def read_text_inside(path: Path, roots: Sequence[Path], what: str = "text",
                     max_bytes: int | None = None) -> str:
    """`read_inside` decoded as UTF-8 (a leading byte-order mark is dropped)."""
    data = read_inside(path, roots, what, max_bytes)
    shown, what = _shown(Path(path)), LABELS.get(what, what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _error(what, shown, f"is not UTF-8 text (line {line}): "
                                  "save it as UTF-8 (in most editors: Save As, encoding UTF-8)") from None
    if "\0" in text:
        line = text[:text.index("\0")].count("\n") + 1
        raise _error(what, shown, f"holds a NUL byte at line {line}, so it is not a text file: "
                                  "check that it is the right file and save it as plain UTF-8 text")
    return text


def walk_inside(folder: Path, roots: Sequence[Path]) -> list[Path]:
    """Every regular file under `folder`, sorted, without following links out of `roots`.

    A link that resolves inside the roots is listed (or walked, once) under its own name; one that
    leads out, a pipe, a device or an unreadable folder is left out. A `folder` outside the roots
    raises InputError.
    """
    folder = Path(folder)
    if not is_inside(folder, roots):
        raise _error("folder", _shown(folder), "is outside the book and brand folders the build may read: "
                                               "copy it into the folder")
    found: list[Path] = []
    _walk(folder, roots, found, set())
    return sorted(found)


def _walk(folder: Path, roots: Sequence[Path], found: list[Path], seen: set[tuple[int, int]]) -> None:
    try:
        info = os.stat(folder)
        if (info.st_dev, info.st_ino) in seen:
            return
        seen.add((info.st_dev, info.st_ino))
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink() and not is_inside(path, roots):
            continue
        try:
            mode = os.stat(path).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            _walk(path, roots, found, seen)
        elif stat.S_ISREG(mode):
            found.append(path)
