"""The seams: renderers and editions as data, typed config with defaults in one place, notes as
objects, our own callouts, no work at import time and no process-wide state left behind."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, copy_book, run_cli
from docbuild import config, editions, renderers
from docbuild.errors import Collector
from docbuild.load import load_book
from docbuild.markdown import parse_chapter


def _parse(text: str):
    errors = Collector()
    parsed = parse_chapter(Path("ch.md"), "---\ntitle: T\n---\n" + text, errors, lambda src, line: src)
    return parsed, errors


def test_every_renderer_in_the_registry_has_a_name_suffix_and_render():
    assert set(renderers.names()) == {"pdf", "epub", "html"}
    for name in renderers.names():
        renderer = renderers.get(name)
        assert renderer.name == name and renderer.suffix and callable(renderer.render)


def test_output_names_are_chosen_in_one_place():
    assert editions.output_name("leaflet", editions.STANDARD, "pdf") == "leaflet.pdf"
    assert editions.output_name("leaflet", editions.EDITIONS["large-print"], "pdf") == "leaflet-large-print.pdf"
    assert list(editions.EDITIONS)[0] == "standard"


def test_defaults_live_only_in_config():
    assert config.check_typed_objects() == []
    package = ROOT / "docbuild"
    for path in package.rglob("*.py"):
        if path.name == "config.py":
            continue
        text = path.read_text()
        assert "#1f4e79" not in text and "#8a4b08" not in text, path
        assert not re.search(r"conf(ig)?\.get\([^)]*,", text), path


def test_readme_key_tables_are_generated_from_the_schema():
    readme = (ROOT / "README.md").read_text()
    for marker, table in config.readme_tables().items():
        block = re.search(rf"<!-- keys:{re.escape(marker)} -->\n(.*?)\n<!-- /keys:{re.escape(marker)} -->",
                          readme, re.S)
        assert block, f"README lacks the {marker} table; print it with: python -m docbuild.config"
        assert block.group(1).strip() == table.strip(), f"regenerate with: python -m docbuild.config"


def test_typed_config_is_frozen_and_defaulted():
    book = load_book(FIXTURES / "small", Collector())
    assert book.config.editions == ("standard",) and book.config.references == "references.json"
    with pytest.raises(AttributeError):
        book.config.title = "x"


@pytest.mark.parametrize("kind", ["NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"])
def test_callout_kinds_become_boxes(kind):
    parsed, errors = _parse(f"> [!{kind}] Before you start\n> Text inside.\n")
    assert not errors.errors
    opening = [t for t in parsed.tokens if t.type == "callout_open"]
    assert opening and opening[0].meta == {"kind": kind, "title": "Before you start", "line": 4}


@pytest.mark.parametrize("word", ["DANGER", "WARNNG", "WARN", "note-ish"])
def test_an_unknown_callout_kind_is_an_error_naming_the_valid_ones(word):
    _, errors = _parse(f"Intro.\n\n> [!{word}]\n> Call 999.\n")
    [problem] = errors.errors
    assert problem.location.line == 6 and f"[!{word}] is not a callout kind" in problem.message
    assert "[!NOTE], [!TIP], [!IMPORTANT], [!WARNING], [!CAUTION]" in problem.message


def test_calls_are_recorded_at_parse_time_with_their_lines():
    parsed, errors = _parse("One [@a].\nTwo[^n] and\n> three [@b; @c, p. 3]\n\n[^n]: A note.\n")
    assert not errors.errors
    assert [(c.kind, c.line) for c in parsed.calls] == [("citation", 4), ("footnote", 5), ("citation", 6)]
    assert parsed.calls[2].items == (("b", ""), ("c", "p. 3"))


def test_no_private_use_placeholders_anywhere():
    for path in (ROOT / "docbuild").rglob("*.py"):
        assert not re.search("[\ue000-\uf8ff]", path.read_text()), path
        assert not re.search(r"\\ue0[0-9a-f]{2}", path.read_text()), path


def test_importing_the_package_does_no_work():
    code = ("import os, sys; before = dict(os.environ); mask = os.umask(0o027); os.umask(mask); "
            "import docbuild.cli, docbuild.build, docbuild.markdown, docbuild.renderers.pdf; "
            "import docbuild.markdown as m; "
            "assert m.parser.cache_info().currsize == 0, 'parser built at import'; "
            "assert dict(os.environ) == before, 'environment changed at import'; "
            "assert os.umask(mask) == mask, 'umask changed at import'; "
            "assert 'weasyprint' not in sys.modules, 'WeasyPrint imported at import'")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_build_restores_the_environment_and_uses_a_private_font_config(tmp_path):
    from docbuild.build import build
    before = dict(os.environ)
    build(FIXTURES / "small", tmp_path / "out", formats=("pdf",), force=True)
    assert dict(os.environ) == before
    from docbuild.renderers import pdf
    folders = [Path(c).parent for c in _fontconfig_files(pdf)]
    assert folders and all(oct(f.stat().st_mode)[-3:] == "700" == oct(f.parent.stat().st_mode)[-3:]
                           and f.parent.name.startswith("docbuild-fonts-") for f in folders)


def test_no_private_folder_is_left_behind_by_a_build_with_workers(tmp_path):
    # a TMPDIR of its own: other test processes make font folders of their own meanwhile
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = subprocess.run([sys.executable, str(ROOT / "make_docs.py"), "build", "--book", str(FIXTURES / "small"),
                             "--brand", str(ROOT / "brands" / "riverside"), "--brand", str(ROOT / "brands" / "harbour"),
                             "--out", str(tmp_path / "out"), "--format", "pdf"], capture_output=True, text=True,
                            env={**os.environ, "TMPDIR": str(temp)})
    assert result.returncode == 0, result.stderr
    assert list(temp.iterdir()) == []


def _fontconfig_files(pdf_module) -> list[str]:
    from weasyprint.text.ffi import ffi, fontconfig
    found = []
    for conf in pdf_module._FONT_CONFIGS.values():
        files = fontconfig.FcConfigGetConfigFiles(conf._config)
        while (name := fontconfig.FcStrListNext(files)) != ffi.NULL:
            found.append(ffi.string(name).decode())
    return found


def test_decoy_font_config_at_the_old_shared_path_is_never_read(tmp_path):
    decoy = Path("/tmp") / f"docbuild-fontconfig-{os.getuid()}"
    decoy.mkdir(exist_ok=True)
    (decoy / "fonts.conf").write_text("<fontconfig><dir>/usr/share/fonts</dir></fontconfig>")
    code = ("import sys; sys.path.insert(0, '.'); from pathlib import Path; from docbuild.build import build; "
            "build(Path('tests/fixtures/small'), Path(sys.argv[1]), formats=('pdf',), force=True)")
    result = subprocess.run(["strace", "-f", "-e", "trace=openat", "-o", str(tmp_path / "trace"),
                             sys.executable, "-c", code, str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert str(decoy) not in (tmp_path / "trace").read_text()


def test_a_brand_override_of_a_shared_part_reaches_both_outputs(branded):
    import zipfile
    import pdfplumber
    with pdfplumber.open(branded["riverside"]["pdf"]) as pdf:
        first = pdf.pages[0].extract_text()
    with zipfile.ZipFile(branded["riverside"]["epub"]) as epub:
        title = epub.read("EPUB/title.xhtml").decode()
    assert "PATIENT INFORMATION" in first.upper() and "riverside-kicker" in title


def test_templates_receive_plain_data_only(tmp_path):
    brand = tmp_path / "brand"
    (brand / "templates" / "parts").mkdir(parents=True)
    (brand / "brand.toml").write_text('name = "Probe"\n')
    (brand / "templates" / "parts" / "title_page.html").write_text(
        "{{ meta.__class__ }}{% for key, value in meta.items() %}{{ key }}={{ value.__class__.__name__ }};{% endfor %}")
    result = run_cli("build", "--book", str(FIXTURES / "small"), "--brand", str(brand), "--out",
                     str(tmp_path / "out"), "--format", "html")
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    if result.returncode == 0:
        html = (tmp_path / "out" / "small-test-book.html").read_text()
        kinds = set(re.findall(r"=(\w+);", html))
        assert kinds <= {"str", "list", "dict", "NoneType", "int", "bool"}, kinds
        assert "Path" not in html


def test_the_printed_pages_are_mapped_only_when_an_epub_follows(monkeypatch, tmp_path):
    from docbuild.build import Group, check, render_group
    from docbuild.catalogue import context_for
    from docbuild.renderers import pagemap
    mapped = []
    real = pagemap.page_starts
    monkeypatch.setattr(pagemap, "page_starts", lambda document: mapped.append(1) or real(document))
    checked = check(FIXTURES / "small")
    ctx = context_for(checked, checked.themes[0], checked.editions[0])
    render_group(Group(ctx, ("pdf",), tmp_path, ""))
    assert mapped == []   # a PDF alone: its page map would be thrown away
    files = render_group(Group(ctx, ("pdf", "epub"), tmp_path, ""))
    assert mapped == [1]   # laid out once, for both files
    with zipfile.ZipFile(io.BytesIO(files[1].data)) as epub:
        text = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert 'epub:type="pagebreak"' in text
