"""Importing WeasyPrint with its C libraries found from the dynamic linker's cache alone.

WeasyPrint 70 opens each library (GObject, Pango, HarfBuzz, fontconfig…) by trying a list of
names, Windows' first. cffi gives every name the linker does not know to
`ctypes.util.find_library`, which on Linux reads `ldconfig -p` and then, for a name it does not
list, runs gcc and ld: about 8 ms a miss, 16 misses, some 0.13 s of every build and of the parent
of every catalogue before its workers start (docs/upstream/weasyprint-import-find-library.md).

While WeasyPrint is imported, `find_library` answers from the linker's cache only. A library in
no cache is still found: each of WeasyPrint's lists also holds its Linux soname
("libpango-1.0.so.0"), which the dynamic linker opens itself along LD_LIBRARY_PATH, and a soname
gcc found could only be opened that way too. Should the import fail all the same, it is tried
again with ctypes' own `find_library`.
"""
from __future__ import annotations

import contextlib
import sys


def weasyprint():
    """The weasyprint module, imported once a process."""
    module = sys.modules.get("weasyprint")
    if module is not None:
        return module
    try:
        with _linker_cache_only():
            import weasyprint as module
    except OSError:
        for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
            del sys.modules[name]
        import weasyprint as module
    return module


@contextlib.contextmanager
def _linker_cache_only():
    import ctypes.util
    lookup = getattr(ctypes.util, "_findSoname_ldconfig", None)   # CPython's, on Linux
    if not sys.platform.startswith("linux") or lookup is None:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = lookup
    try:
        yield
    finally:
        ctypes.util.find_library = original
