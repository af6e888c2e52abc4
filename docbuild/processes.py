"""Interruption and forked work: how Ctrl-C or a kill stops a build, in this process and its children.

The process that started the build decides: Ctrl-C (SIGINT) reaches every process of a terminal's
group, but forked children ignore it and wait for their parent to stop them with SIGTERM, so each
process is stopped exactly once and cleans up after itself.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
import sys
import threading
from typing import Callable

from .errors import DocError

STOP = threading.Event()   # set once the build was asked to stop


def interrupt(signum, frame) -> None:
    """Signal handler: stop the build with an ordinary exception, so `finally` blocks clean up.

    STOP stops the build even if a library swallows the KeyboardInterrupt; a second signal while
    cleaning up is ignored, so that the cleaning is not itself cut short.
    """
    if not STOP.is_set():
        STOP.set()
        raise KeyboardInterrupt


def quiet_interrupts(unraisable) -> None:
    """sys.unraisablehook: an interrupt that lands in a __del__ or a weakref callback, where Python
    can only print it ("Exception ignored in ..." and a traceback), is dropped; STOP ends the build."""
    if STOP.is_set() and issubclass(unraisable.exc_type, KeyboardInterrupt):
        return
    sys.__unraisablehook__(unraisable)


def stop_on_signals() -> None:
    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)
    sys.unraisablehook = quiet_interrupts


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


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class Forked:
    """Runs `work(timings)` in a forked child; `result()` returns its value or raises its DocError.

    `stop()` interrupts the child as a signal would interrupt a build: its `finally` blocks run.
    """

    def __init__(self, work: Callable[[dict], object], what: str):
        self.what = what
        self.receive, send = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.get_context("fork").Process(target=self._run, args=(work, send))
        self.process.start()
        send.close()

    @staticmethod
    def _run(work, send) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, interrupt)
        timings: dict[str, float] = {}
        try:
            send.send(("ok", work(timings), timings))
        except KeyboardInterrupt:
            sys.exit(130)   # stopped by the parent, which no longer waits for a result
        except DocError as exc:
            send.send(("error", exc.problems, timings))
        except BaseException as exc:  # a bug: hand the parent its description
            send.send(("bug", repr(exc), timings))

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=20)
        if self.process.is_alive():   # it did not stop when asked (a library kept it busy)
            self.process.kill()
        self.process.join()

    def result(self, timings: dict[str, float]):
        try:
            status, value, child_timings = self.receive.recv()
        except EOFError:
            if STOP.is_set():   # the same signal ended the child first
                raise KeyboardInterrupt from None
            raise RuntimeError(f"the process building {self.what} ended without a result") from None
        self.process.join()   # not when interrupted: then stop() ends the child instead of waiting for it
        timings.update(child_timings)
        if status == "error":
            raise DocError(value)
        if status == "bug":
            raise RuntimeError(f"building {self.what} failed: {value}")
        return value
