"""Reading TOML with line numbers: TOML parsers give none, so every error could not point at its key.

`key_lines` reads the lines off the text; `read_toml` parses and reports a syntax error at the line
where the problem is, in words a clinic's staff understand.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .errors import Collector

_HEADER = re.compile(r"""^\s*(\[\[?)\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*\]\]?""")
_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=""")
_PART = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*\.?""")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(m.group(1).strip("\"'") for m in _PART.finditer(dotted) if m.group(1))


def key_lines(text: str) -> dict[tuple, int]:
    """Map each key path, e.g. ("colors", "primary") or ("authors", 0, "name"), to its 1-based line."""
    lines: dict[tuple, int] = {}
    prefix: tuple = ()
    counts: dict[tuple, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            name = _parts(header.group(2))
            if header.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                prefix = name + (counts[name],)
            else:
                prefix = name
            lines.setdefault(prefix, number)
        elif key := _KEY.match(line):
            parts = _parts(key.group(1))
            for depth in range(1, len(parts) + 1):   # a dotted key also names its tables
                lines.setdefault(prefix + parts[:depth], number)
    return lines


def read_text(path: Path, errors: Collector) -> str | None:
    """A UTF-8 text file (a byte-order mark is accepted); problems go to `errors`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        errors.error(path, 0, "file not found")
        return None
    except IsADirectoryError:
        errors.error(path, 0, "this is a folder; a file was expected here")
        return None
    except PermissionError:
        errors.error(path, 0, "the file cannot be read: permission denied; check its permissions")
        return None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        errors.error(path, 0, "the file is not UTF-8 text; save it as UTF-8")
        return None


def parse_toml(path: Path, text: str, errors: Collector) -> tuple[dict, dict[tuple, int]] | None:
    """Parse TOML text; a syntax error is reported at its line and gives None."""
    try:
        return tomllib.loads(text), key_lines(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column \d+\)", message)
        line = int(match.group(1)) if match else 0
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
        errors.error(path, line, f"not valid TOML: {message}{_hint(message)}")
        return None


def _hint(message: str) -> str:
    if "Invalid value" in message or "Invalid statement" in message:
        return ' (text values need quotes, like name = "Riverside Clinic")'
    return ""
