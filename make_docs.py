#!/usr/bin/env python3
"""Build the book: `python make_docs.py` builds book/ into dist/. See README.md."""
import signal
import sys

# Ctrl-C or a kill while the modules load (before the command line sets its own handlers) ends the
# run quietly: nothing has been written yet, and a traceback would only alarm the user.
for _signal in (signal.SIGINT, signal.SIGTERM):
    signal.signal(_signal, lambda signum, frame: sys.exit(128 + signum))

from docbuild.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
