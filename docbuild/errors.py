"""Errors as data: a location, a user-facing problem, and a collector that reports them all at once.

A `DocError` is the only exception that means "the user's input is wrong"; anything else is a bug
and keeps its traceback.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int = 0

    @classmethod
    def of(cls, path: str | Path, line: int = 0) -> "Location":
        return cls(display_path(path), line)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


def display_path(path: str | Path) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    path = Path(path)
    try:
        return os.path.relpath(path) if path.is_absolute() and not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:  # another drive on Windows
        return str(path)


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


class DocError(Exception):
    """One or more problems in the user's input; the build stops."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):   # travels intact from a brand's build process to the parent
        return (DocError, (self.problems,))


@dataclass
class Collector:
    """Gathers problems from every step so the user sees all of them in one run."""

    problems: list[Problem] = field(default_factory=list)

    def error(self, path: str | Path, line: int, message: str) -> None:
        self.problems.append(Problem(Location.of(path, line), message, "error"))

    def warning(self, path: str | Path, line: int, message: str) -> None:
        self.problems.append(Problem(Location.of(path, line), message, "warning"))

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.severity == "warning")

    def stop_if_errors(self, strict: bool = False) -> None:
        """Raise every error at once; with `strict`, warnings count as errors."""
        if strict and self.warnings:
            self.problems = [Problem(p.location, p.message, "error") for p in self.problems]
        if self.errors:
            raise DocError(self.errors)
