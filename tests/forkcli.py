"""The command line, each run in a process of its own, forked from one that has imported it already.

`python make_docs.py …` spends about 0.4 s starting Python and importing docbuild, WeasyPrint,
Jinja, citeproc-py and the rest before it reads an argument; the suite runs the command line some
two hundred times. A helper process (one per pytest worker) imports every docbuild module once and
then, for each run, forks a child that does what make_docs.py does: `docbuild.cli.run()` with the
arguments, in the working folder, with the caller's environment, stdin from /dev/null, stdout and
stderr to files, and the exit status (or the signal) as its return code.

What a fresh interpreter would do differently is only what Python does at start-up: the hash seed
and the locale chosen from the environment. Tests whose point is a fresh interpreter (byte-identical
builds, the README's commands, interrupts, imports) start `python make_docs.py` themselves.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HELPER = r'''
import atexit, importlib, json, os, pkgutil, signal, sys, tempfile
sys.path.insert(0, sys.argv[1])
import docbuild
for module in pkgutil.walk_packages(docbuild.__path__, "docbuild."):
    importlib.import_module(module.name)   # nothing runs at import time: the project tests that
from docbuild.weasyload import weasyprint
weasyprint()
from docbuild.cli import run
requests, replies = sys.stdin.buffer, sys.stdout
for line in requests:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.environ.clear()
            os.environ.update(job["env"])
            tempfile.tempdir = None
            os.chdir(job["cwd"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            for fd, path in ((1, job["out"]), (2, job["err"])):
                os.dup2(os.open(path, os.O_WRONLY | os.O_TRUNC), fd)
            sys.argv = [job["argv0"], *job["args"]]
            try:
                run()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                if not isinstance(exc.code, (int, type(None))):
                    print(exc.code, file=sys.stderr)
        except BaseException:   # as Python does with an uncaught exception: its traceback, status 1
            import traceback
            traceback.print_exc()
        finally:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    replies.write(json.dumps({"pid": pid}) + "\n")
    replies.flush()
    _, status = os.waitpid(pid, 0)
    replies.write(json.dumps({"code": os.waitstatus_to_exitcode(status)}) + "\n")
    replies.flush()
'''


class Forker:
    """One helper process; `run(args, cwd)` gives a subprocess.CompletedProcess, as subprocess.run."""

    def __init__(self):
        self._helper: subprocess.Popen | None = None
        self._pending = b""   # what the helper wrote past the last line read
        self._lock = threading.Lock()   # one run at a time, as the helper forks one child at a time

    def _start(self) -> subprocess.Popen:
        if self._helper is None or self._helper.poll() is not None:
            self._helper = subprocess.Popen([sys.executable, "-c", HELPER, str(ROOT)], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, cwd=ROOT, bufsize=0)
            self._pending = b""
        return self._helper

    def _reply(self, timeout: float | None = None) -> dict | None:
        """The helper's next line, or None when `timeout` passes first."""
        fd = self._helper.stdout.fileno()
        while b"\n" not in self._pending:
            if not select.select([fd], [], [], timeout)[0]:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the command-line helper process ended")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return json.loads(line)

    def run(self, args: tuple[str, ...], cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        with self._lock, tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder) / "out", Path(folder) / "err"
            out.touch()
            err.touch()
            helper = self._start()
            job = {"args": list(args), "cwd": str(cwd), "env": dict(os.environ), "out": str(out),
                   "err": str(err), "argv0": str(ROOT / "make_docs.py")}
            helper.stdin.write(json.dumps(job).encode() + b"\n")
            pid = self._reply()["pid"]
            reply = self._reply(timeout)
            if reply is None:
                os.kill(pid, signal.SIGKILL)
                self._reply()
                raise subprocess.TimeoutExpired(["make_docs.py", *args], timeout)
            code = reply["code"]
            return subprocess.CompletedProcess(["make_docs.py", *args], code,
                                               out.read_text(encoding="utf-8", errors="replace"),
                                               err.read_text(encoding="utf-8", errors="replace"))

    def close(self) -> None:
        if self._helper is not None and self._helper.poll() is None:
            self._helper.stdin.close()
            self._helper.wait(timeout=30)
