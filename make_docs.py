#!/usr/bin/env python3
"""Build the book: `python make_docs.py` builds book/ into dist/. See README.md."""
from docbuild.cli import main

if __name__ == "__main__":
    main()
