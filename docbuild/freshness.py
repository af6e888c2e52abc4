"""Freshness: whether the outputs in a folder already match every input, so rendering can be skipped.

The fingerprint is computed after validation, from what the build itself read: the validated book
(its config, chapter files, references, images), the brand (templates, styles, fonts, logo), the
project's templates, styles and fonts as the theme holds them, the tool's own code and the options.
It reads no other file and follows no link. The state file records each output's size and time, so
an output that was deleted or replaced is rebuilt. Checks are never skipped: only rendering.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import weakref
from pathlib import Path

from . import __version__

STATE = ".docbuild-state.json"
PACKAGE = Path(__file__).resolve().parent


def fingerprint(ctx, formats: tuple[str, ...]) -> str:
    """A digest of everything that decides the outputs of one brand × edition."""
    digest = hashlib.sha256(json.dumps({"version": __version__, "formats": list(formats),
                                        "edition": repr(ctx.edition)}, sort_keys=True).encode())
    book, theme = ctx.book, ctx.theme
    for path, data in sorted(book.sources.items()):   # the bytes load_book read, not read again
        digest.update(str(path).encode() + b"\0" + data + b"\0")
    for rel, (_, data) in sorted(book.images.items()):
        digest.update(rel.encode() + b"\0" + data)
    digest.update(_theme_digest(theme))
    digest.update(_code_digest())
    return digest.hexdigest()


@functools.cache
def _code_digest() -> bytes:
    """The tool's own code, read once a process (a catalogue fingerprints hundreds of groups)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.digest()


_THEMES: dict[int, tuple[weakref.ref, bytes]] = {}   # id(theme) -> (theme, its digest)


def _theme_digest(theme) -> bytes:
    """A theme's digest, made once: the books of a catalogue share their brands' themes."""
    hit = _THEMES.get(id(theme))
    if hit is None or hit[0]() is not theme:
        key, digest = id(theme), hashlib.sha256()
        _theme(digest, theme)
        _THEMES[key] = (weakref.ref(theme, lambda _ref: _THEMES.pop(key, None)), digest.digest())
    return _THEMES[id(theme)][1]


def _theme(digest, theme) -> None:
    from .files import read_inside
    brand = theme.brand
    for path in brand.sources:
        digest.update(read_inside(path, (brand.root,), "brand.toml"))
    for loader_name in theme.env.loader.list_templates():   # the brand's templates and the project's
        digest.update(loader_name.encode() + theme.env.loader.get_source(theme.env, loader_name)[0].encode())
    for name, text in [*sorted(theme.styles.items()), *brand.styles]:
        digest.update(name.encode() + text.encode())
    for face in [*theme.fonts, *brand.fonts]:
        digest.update(face[0].encode() + face[1])
    if brand.logo:
        digest.update(brand.logo[2])


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def up_to_date(out: Path, print_: str, names: list[str]) -> bool:
    """Whether OUT holds exactly these outputs, built from exactly these inputs, untouched since."""
    try:
        state = json.loads((out / STATE).read_text(encoding="utf-8"))
        record = state["groups"][print_]
        return all(_stamp(out / n) == record[n] for n in names)
    except (OSError, ValueError, KeyError, TypeError):   # absent, a folder, corrupt: rebuild
        return False


def record(out: Path, print_: str, outputs: dict[str, int]) -> None:
    """Remember the inputs and the outputs of a successful build, beside the older groups."""
    try:
        state = json.loads((out / STATE).read_text(encoding="utf-8"))
        groups = state["groups"] if isinstance(state.get("groups"), dict) else {}
    except (OSError, ValueError, AttributeError):
        groups = {}
    stamps = {n: _stamp(out / n) for n in outputs}
    groups = {k: v for k, v in groups.items() if not set(v) & set(stamps)}   # superseded groups go
    groups[print_] = stamps
    if (out / STATE).is_dir():
        raise IsADirectoryError(21, "Is a directory", str(out / STATE))
    temp = out / f"{STATE}.{os.getpid()}.state.tmp"   # named so that remove_stale_temps knows it
    try:
        temp.write_text(json.dumps({"groups": groups}, indent=1), encoding="utf-8")
        os.replace(temp, out / STATE)
    finally:
        temp.unlink(missing_ok=True)
