#!/usr/bin/env python3
"""Build the book: `python make_docs.py` builds book/ into dist/. See README.md."""
import signal
import sys

# Ctrl-C or a kill while the modules load (before the command line sets its own handlers) ends the
# run quietly once they have loaded: nothing has been written yet, and a signal that interrupts an
# import can surface as a RuntimeError with a traceback, which would only alarm the user.
_received: list[int] = []
for _signal in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_signal, lambda signum, frame: _received.append(signum))

from docbuild.cli import run  # noqa: E402

if __name__ == "__main__":
    if _received:
        sys.exit(128 + _received[0])
    run()
