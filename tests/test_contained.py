"""The build is offline and contained, and never loses a file: sockets blocked, files outside the
book refused, interrupted and concurrent builds leave complete outputs."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from pypdf import PdfReader

from conftest import FIXTURES, ROOT, copy_book, run_cli

RUNNER = """
import json, sys
opened, sockets = [], []
def hook(event, args):
    if event == "open" and isinstance(args[0], str):
        opened.append(args[0])
    elif event.startswith("socket."):
        sockets.append(event)
        raise OSError("the network is blocked in this test")
sys.addaudithook(hook)
sys.path.insert(0, {root!r})
from docbuild.cli import main
code = 0
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit as exc:
    code = exc.code or 0
json.dump({{"opened": opened, "sockets": sockets, "code": code}}, open({report!r}, "w"))
"""


def run_watched(tmp_path, *args):
    """Run the command line with every file open and socket use recorded (Python's audit hooks)."""
    report = tmp_path / "audit.json"
    script = RUNNER.format(root=str(ROOT), report=str(report))
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    return result, json.loads(report.read_text())


def test_default_book_builds_with_the_network_blocked(tmp_path):
    result, audit = run_watched(tmp_path, "build", "--book", str(ROOT / "book"), "--out", str(tmp_path / "out"))
    assert audit["code"] == 0, result.stderr
    assert audit["sockets"] == []
    assert (tmp_path / "out" / "anxiety-back-pain.pdf").exists()
    allowed = (str(ROOT / "book"), str(ROOT / "brands" / "default"), str(ROOT / "templates"),
               str(ROOT / "styles"), str(ROOT / "fonts"))
    project_files = [p for p in audit["opened"] if p.startswith(str(ROOT)) and "/docbuild/" not in p]
    assert project_files and all(p.startswith(allowed) for p in project_files), project_files


@pytest.fixture
def decoy(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "evil.css").write_text("body { color: red; }")
    (secret / "x.png").write_bytes(b"\x89PNG not really")
    return secret


ATTACKS = {
    "css import": ("styles/a.css", '@import url("{secret}/evil.css");\n', "a.css:1: error: "),
    "css url": ("styles/a.css", 'body {{ color: #111111; }}\nh1 {{ background: url("file://{secret}/x.png"); }}\n',
                "a.css:2: error: "),
    "css remote": ("styles/a.css", '@import url("https://example.com/x.css");\n', "a.css:1: error: "),
    "template include": ("templates/parts/contact.html", '{{% include "../../secret/evil.css" %}}\n',
                         "error: template error: "),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_brand_cannot_reach_outside_files(tmp_path, decoy, attack):
    name, text, where = ATTACKS[attack]
    brand = tmp_path / "brand"
    (brand / name).parent.mkdir(parents=True)
    (brand / "brand.toml").write_text('name = "Clinic"\n')
    (brand / name).write_text(text.format(secret=decoy))
    result, audit = run_watched(tmp_path, "build", "--book", str(FIXTURES / "small"), "--brand", str(brand),
                                "--out", str(tmp_path / "out"), "--format", "pdf")
    assert audit["code"] == 1 and where in result.stderr, result.stderr
    assert not [p for p in audit["opened"] if p.startswith(str(decoy))]
    assert audit["sockets"] == []


def test_svg_image_cannot_reach_outside_files(tmp_path, decoy):
    book = copy_book(FIXTURES / "small", tmp_path / "book")
    (book / "images" / "circle.svg").write_text(
        f'<svg xmlns="http://www.w3.org/2000/svg"><image href="file://{decoy}/x.png"/></svg>')
    result, audit = run_watched(tmp_path, "build", "--book", "book", "--out", "out")
    assert audit["code"] == 1
    assert "chapters/01-first.md:18: error: the SVG image ../images/circle.svg refers to file://" in result.stderr
    assert not [p for p in audit["opened"] if p.startswith(str(decoy))]


def _start_build(tmp_path, out, *options, **popen):
    return subprocess.Popen([sys.executable, str(ROOT / "make_docs.py"), "build", "--book", str(ROOT / "book"),
                             "--out", str(out), *options], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def _wait_for_temp(out, process, pattern=".*.tmp") -> None:
    deadline = time.time() + 60
    while not list(out.glob(pattern)):
        assert process.poll() is None and time.time() < deadline, "the build ended before it could be stopped"
        time.sleep(0.02)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_keeps_previous_files_and_leaves_no_temp(tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    old = {"anxiety-back-pain.pdf": b"previous pdf", "anxiety-back-pain.epub": b"previous epub"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    process = _start_build(tmp_path, out)
    _wait_for_temp(out, process)
    process.send_signal(sig)
    process.wait(timeout=60)
    assert process.returncode != 0 and "Traceback" not in process.stderr.read()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old


@pytest.mark.parametrize("delay", [0.2, 0.35, 0.6, 1.0])
def test_interrupt_at_any_moment_shows_no_traceback(tmp_path, delay):
    """Ctrl-C while the modules load, while checking or while laying out: a quiet stop, old files kept.

    (In the first few milliseconds, before Python runs the script's first line, Python's own handler
    still prints a traceback; no script can change that, so the earliest delay leaves that time.)"""
    out = tmp_path / "out"
    out.mkdir()
    (out / "anxiety-back-pain.pdf").write_bytes(b"previous pdf")
    process = _start_build(tmp_path, out)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    finished = process.returncode == 0 and "wrote" in stdout
    assert finished or [p.name for p in out.iterdir()] == ["anxiety-back-pain.pdf"]
    assert finished or (out / "anxiety-back-pain.pdf").read_bytes() == b"previous pdf"


def test_interrupt_inside_a_callback_python_cannot_raise_from_is_not_printed():
    # Python prints "Exception ignored in ..." with a traceback for an exception in a __del__ or a
    # weakref callback; an interrupt that lands there must stay quiet (the STOP flag ends the build).
    script = ("import gc, sys\n"
              f"sys.path.insert(0, {str(ROOT)!r})\n"
              "from docbuild import processes\n"
              "sys.unraisablehook = processes.quiet_interrupts\n"
              "class Slow:\n"
              "    def __del__(self): raise KeyboardInterrupt\n"
              "Slow()\n"
              "processes.STOP.set()\n"
              "Slow()\n"
              "gc.collect()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stderr.count("Exception ignored") == 1   # before the interruption: shown as usual


@pytest.mark.parametrize("to_group, sig", [(True, signal.SIGINT), (False, signal.SIGTERM), (True, signal.SIGTERM)])
def test_interrupted_multi_brand_build_stops_every_process_and_keeps_files(tmp_path, to_group, sig):
    """Ctrl-C reaches the whole process group; a kill may reach only the parent: either way every
    brand's process stops, removes its temporary files and leaves the previous outputs."""
    out = tmp_path / "out"
    (out / "riverside").mkdir(parents=True)
    (out / "riverside" / "anxiety-back-pain.pdf").write_bytes(b"previous pdf")
    process = _start_build(tmp_path, out, "--brand", str(ROOT / "brands" / "riverside"),
                           "--brand", str(ROOT / "brands" / "harbour"), start_new_session=True)
    _wait_for_temp(out, process, "*/.*.tmp")
    (os.killpg if to_group else os.kill)(process.pid, sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr, stderr
    assert not list(out.rglob("*.tmp"))
    assert (out / "riverside" / "anxiety-back-pain.pdf").read_bytes() == b"previous pdf"
    assert not list((out / "riverside").glob("*.epub")) and not list(out.glob("harbour/*.pdf"))
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):   # no brand process is left running
        os.killpg(process.pid, 0)


def test_killed_build_leftovers_are_removed_by_the_next_build(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    process = _start_build(tmp_path, out)
    _wait_for_temp(out, process)
    process.kill()
    process.wait(timeout=60)
    assert list(out.glob(".*.tmp"))
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--out", str(out))
    assert result.returncode == 0
    assert not list(out.glob(".*.tmp"))


def test_two_builds_at_once_into_one_folder_both_succeed(tmp_path):
    out = tmp_path / "out"
    processes = [_start_build(tmp_path, out) for _ in range(2)]
    for process in processes:
        process.wait(timeout=300)
        assert process.returncode == 0, process.stderr.read()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["anxiety-back-pain.epub",
                                                                                  "anxiety-back-pain.pdf"]
    assert not list(out.glob(".*.tmp"))
    assert len(PdfReader(out / "anxiety-back-pain.pdf").pages) > 10
    with zipfile.ZipFile(out / "anxiety-back-pain.epub") as z:
        assert z.testzip() is None and z.namelist()[0] == "mimetype"
