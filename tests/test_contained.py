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
    project_files = [p for p in audit["opened"] if p.startswith(str(ROOT)) and "/docbuild/" not in p
                     and not p.startswith(sys.prefix)]   # Python's own library, in a .venv inside the clone
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
    "template include": ("templates/parts/title_page.html", '{{% include "../../secret/evil.css" %}}\n',
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
    assert "chapters/01-first.md:18: error: the SVG image ../images/circle.svg (its line 1): the href on <image>" \
        in result.stderr, result.stderr
    assert not [p for p in audit["opened"] if p.startswith(str(decoy))]


def _start_build(tmp_path, out, *options, **popen):
    return subprocess.Popen([sys.executable, str(ROOT / "make_docs.py"), "build", "--book", str(ROOT / "book"),
                             "--out", str(out), *options], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in os.listdir(f"/proc/{pid}/task")
                for c in open(f"/proc/{pid}/task/{t}/children").read().split()]
    except OSError:
        return []


def _laying_out(pid: int) -> bool:
    """A process is laying out pages once it has loaded Pango (WeasyPrint's text engine)."""
    try:
        return "libpango" in open(f"/proc/{pid}/maps").read()
    except OSError:
        return False


def _wait_until(state, process, what: str) -> None:
    """Wait for a state of the build, not for a time: the test signals the build in that state."""
    deadline = time.monotonic() + 120
    while not state():
        assert process.poll() is None and time.monotonic() < deadline, f"the build ended before {what}"
        time.sleep(0.005)


def _previous(out, names=("anxiety-back-pain.pdf", "anxiety-back-pain.epub")) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(b"previous " + name.encode())
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _files(out) -> dict:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_keeps_previous_files_and_leaves_no_temp(tmp_path, sig):
    out = tmp_path / "out"
    old = _previous(out)
    process = _start_build(tmp_path, out, "--force")
    _wait_until(lambda: _laying_out(process.pid), process, "it laid out pages")
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr and "Aborted!" in stderr, stderr
    assert _files(out) == old


@pytest.mark.parametrize("moment", ["checking", "laying out"])
def test_interrupt_at_any_moment_shows_no_traceback(tmp_path, moment):
    """Ctrl-C while the modules load, while checking or while laying out: a quiet stop, old files kept."""
    out = tmp_path / "out"
    old = _previous(out, ("anxiety-back-pain.pdf",))
    process = _start_build(tmp_path, out, "--force")
    states = {"checking": lambda: "_yaml" in open(f"/proc/{process.pid}/maps").read(),
              "laying out": lambda: _laying_out(process.pid)}
    _wait_until(states[moment], process, moment)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    finished = process.returncode == 0 and "wrote" in stdout
    assert finished or _files(out) == old


def test_interrupt_inside_a_callback_python_cannot_raise_from_is_not_printed():
    # Python prints "Exception ignored in ..." with a traceback for an exception in a __del__ or a
    # weakref callback; an interrupt that lands there must stay quiet, anything else is still shown
    script = ("import gc, sys\n"
              f"sys.path.insert(0, {str(ROOT)!r})\n"
              "from docbuild import cli\n"
              "sys.unraisablehook = cli._quiet_interrupts\n"
              "class Bug:\n"
              "    def __del__(self): raise ValueError('a bug')\n"
              "class Stop:\n"
              "    def __del__(self): raise KeyboardInterrupt\n"
              "Bug()\n"
              "Stop()\n"
              "gc.collect()\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.stderr.count("Exception ignored") == 1 and "ValueError" in result.stderr


@pytest.mark.parametrize("to_group, sig", [(True, signal.SIGINT), (False, signal.SIGTERM), (True, signal.SIGTERM)])
def test_interrupted_multi_brand_build_stops_every_process_and_keeps_files(tmp_path, to_group, sig):
    """Ctrl-C reaches the whole process group; a kill may reach only the parent: either way every
    worker stops, nothing is written, and the previous outputs stay."""
    out = tmp_path / "out"
    old = _previous(out, ("riverside/anxiety-back-pain.pdf",))
    process = _start_build(tmp_path, out, "--force", "--brand", str(ROOT / "brands" / "riverside"),
                           "--brand", str(ROOT / "brands" / "harbour"), start_new_session=True)
    _wait_until(lambda: any(_laying_out(c) for c in _children(process.pid)), process, "its workers laid out pages")
    workers = _children(process.pid)
    (os.killpg if to_group else os.kill)(process.pid, sig)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0 and "Traceback" not in stderr, stderr
    assert _files(out) == old
    for worker in workers:   # no worker is left running
        deadline = time.monotonic() + 20
        while os.path.exists(f"/proc/{worker}") and "zombie" not in open(f"/proc/{worker}/status").read():
            assert time.monotonic() < deadline, f"worker {worker} still runs"
            time.sleep(0.01)


def test_a_killed_builds_leftovers_are_removed_by_the_next_build(tmp_path):
    """SIGKILL cannot be caught: a temporary file it leaves (named with the dead build's pid) goes next time."""
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    leftover = out / f".small-test-book.pdf.{dead.stdout.strip()}.abcd.tmp"
    leftover.write_bytes(b"half a pdf")
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--out", str(out))
    assert result.returncode == 0
    assert not leftover.exists() and not list(out.glob(".*.tmp"))


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
