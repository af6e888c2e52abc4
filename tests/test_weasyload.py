"""WeasyPrint is imported without running a compiler to find its libraries (docbuild/weasyload.py)."""
import subprocess
import sys

import pytest

from conftest import ROOT

PROBE = r'''
import ctypes.util, sys
calls = []
for name in ("_findLib_gcc", "_findLib_ld"):
    original = getattr(ctypes.util, name)
    def spy(lib, original=original, name=name):
        calls.append((name, lib))
        return original(lib)
    setattr(ctypes.util, name, spy)
FAIL = sys.argv[1] == "fail-first"
if sys.argv[1] == "check":   # the way a build first reaches WeasyPrint: a brand's stylesheets
    from pathlib import Path
    from docbuild.build import check
    check(Path(sys.argv[2]) / "tests" / "fixtures" / "small", Path(sys.argv[2]) / "brands" / "riverside")
if FAIL:   # the linker's cache knows nothing: every library must still be found
    ctypes.util._findSoname_ldconfig = lambda name: None
from docbuild.weasyload import weasyprint
module = weasyprint()
assert weasyprint() is module
assert ctypes.util.find_library.__name__ == "find_library"   # put back after the import
module.HTML(string="<p>x</p>").write_pdf()
print(len(calls))
'''


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the linker cache lookup is Linux's")
def test_no_compiler_runs_while_weasyprint_is_imported():
    done = subprocess.run([sys.executable, "-c", PROBE, "plain"], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-1] == "0", done.stderr   # plain ctypes runs gcc and ld 16 times each


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the linker cache lookup is Linux's")
def test_checking_a_brand_imports_weasyprint_the_quick_way_too():
    done = subprocess.run([sys.executable, "-c", PROBE, "check", str(ROOT)], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split()[-1] == "0", done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the linker cache lookup is Linux's")
def test_libraries_outside_the_linker_cache_are_still_found():
    done = subprocess.run([sys.executable, "-c", PROBE, "fail-first"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "could not import some external libraries" not in done.stdout
