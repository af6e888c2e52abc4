"""What readers and checkers find in the EPUB: DAISY Ace with no violation, a raster cover, the
contents and landmarks, the people, and the printed handout's pages in the ebook."""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from conftest import FIXTURES, ROOT

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACE = ROOT / "tests" / "ace"
INSTALL_ACE = "(cd tests/ace && PUPPETEER_SKIP_DOWNLOAD=1 ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci)"


class Epub:
    """An EPUB's files, parsed on demand."""

    def __init__(self, path: Path):
        with zipfile.ZipFile(path) as z:
            self.files = {n: z.read(n) for n in z.namelist()}
        self.opf = etree.fromstring(self.files["EPUB/content.opf"])
        self.nav = self.xhtml("nav.xhtml")

    def xhtml(self, name: str):
        return etree.fromstring(self.files[f"EPUB/{name}"])

    def spine(self) -> list[str]:
        hrefs = {i.get("id"): i.get("href") for i in self.opf.find("opf:manifest", NS)}
        return [hrefs[ref.get("idref")] for ref in self.opf.find("opf:spine", NS)]

    def meta(self, prop: str) -> list[str]:
        return [m.text for m in self.opf.find("opf:metadata", NS).findall("opf:meta", NS) if m.get("property") == prop]

    def target(self, href: str):
        name, _, anchor = href.partition("#")
        root = self.xhtml(name)
        return root if not anchor else root.find(f".//*[@id='{anchor}']")


@pytest.fixture(scope="module")
def epubs(built):
    return {name: Epub(built[name]["epub"]) for name in ("default", "small")}


# --- DAISY Ace ------------------------------------------------------------------------------------

def _ace_report(epub: Path, out: Path) -> dict:
    if not (ACE / "node_modules" / ".bin" / "ace-puppeteer").exists():
        pytest.fail(f"DAISY Ace is not installed; CI installs it with: {INSTALL_ACE}")
    result = subprocess.run([str(ACE / "run.sh"), str(epub), str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0 and (out / "report.json").exists(), result.stdout + result.stderr
    return json.loads((out / "report.json").read_text())


def _violations(report: dict) -> list[str]:
    found = []
    for subject in report["assertions"]:
        for check in subject["assertions"]:
            if check["earl:result"]["earl:outcome"] == "fail":
                found.append(f'{subject["earl:testSubject"]["url"]}: {check["earl:test"]["dct:title"]} '
                             f'({check["earl:test"]["earl:impact"]}) {check["earl:result"].get("html", "")[:120]}')
    return found


def test_ace_finds_no_violation_in_the_default_book(built, tmp_path):
    """The EPUB claims EPUB Accessibility 1.1 (dcterms:conformsTo) because this test passes."""
    report = _ace_report(built["default"]["epub"], tmp_path / "ace")
    assert _violations(report) == []
    assert report["earl:result"]["earl:outcome"] == "pass"
    assert report["properties"]["hasPageBreaks"] is True


def test_conformance_is_claimed_with_its_certifier(epubs):
    for epub in epubs.values():
        assert epub.meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
        assert epub.meta("a11y:certifiedBy") and "Ace" in epub.meta("a11y:certifiedBy")[0]


# --- the package ----------------------------------------------------------------------------------

def test_package_has_the_language_and_the_people(epubs, branded):
    for epub, language in ((epubs["default"], "en"), (epubs["small"], "en")):
        assert epub.opf.get(XML_LANG) == language
    meta = epubs["small"].opf.find("opf:metadata", NS)
    [reviewer] = meta.findall("dc:contributor", NS)
    assert reviewer.text == "Cora Reviewer, MD"
    roles = [m for m in meta.findall("opf:meta", NS) if m.get("refines") == "#" + reviewer.get("id")]
    assert [(m.get("property"), m.get("scheme"), m.text) for m in roles] == [("role", "marc:relators", "rev")]
    assert epubs["default"].opf.find("opf:metadata", NS).findall("dc:contributor", NS) == []   # none reviewed it
    riverside = Epub(branded["riverside"]["epub"]).opf.find("opf:metadata", NS)
    assert riverside.findtext("dc:publisher", namespaces=NS) == "Riverside Family Clinic"


@pytest.mark.parametrize("name", ("default", "small"))
def test_the_cover_is_a_png_that_readers_find(epubs, name):
    epub = epubs[name]
    manifest = epub.opf.find("opf:manifest", NS)
    [cover] = [i for i in manifest if "cover-image" in (i.get("properties") or "").split()]
    assert cover.get("media-type") == "image/png"
    named = [m.get("content") for m in epub.opf.find("opf:metadata", NS).findall("opf:meta", NS) if m.get("name") == "cover"]
    assert named == [cover.get("id")]
    png = epub.files["EPUB/" + cover.get("href")]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 1800)
    assert not [i for i in manifest if i.get("href").endswith("cover.svg")]
    first = epub.spine()[0]
    img = epub.xhtml(first).find(".//x:img", NS)
    assert img.get("src") == cover.get("href")
    title = epub.opf.find("opf:metadata", NS).findtext("dc:title", namespaces=NS)
    assert img.get("alt") == f"Cover of {title}"


def test_calibre_finds_the_cover(built, tmp_path):
    assert shutil.which("ebook-meta"), "calibre's ebook-meta is not installed: apt-get install calibre (.ci/run does)"
    out = tmp_path / "cover.png"
    result = subprocess.run(["ebook-meta", str(built["default"]["epub"]), f"--get-cover={out}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cover_is_drawn_the_same_every_time():
    from docbuild.build import check
    from docbuild.editions import STANDARD
    from docbuild.renderers import RenderContext
    from docbuild.renderers.cover import cover_png
    checked = check(FIXTURES / "small")
    ctx = RenderContext(checked.book, checked.themes[0], checked.locale, checked.style, STANDARD)
    assert cover_png(ctx) == cover_png(ctx)


# --- navigation -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ("default", "small"))
def test_contents_are_titled_styled_and_landmarks_resolve(epubs, name):
    epub = epubs[name]
    toc = epub.nav.find(".//x:nav[@epub:type='toc']", NS)
    assert toc.findtext("x:h1", namespaces=NS) == "Contents"
    assert "styles/epub.css" in [l.get("href") for l in epub.nav.iterfind(".//x:link", NS)]
    assert [a.text for a in toc.iterfind(".//x:a", NS)][-1] in ("About this leaflet", "Contact us")
    landmarks = epub.nav.find(".//x:nav[@epub:type='landmarks']", NS)
    marks = {a.get(EPUB_TYPE): a.get("href") for a in landmarks.iterfind(".//x:a", NS)}
    assert {"cover", "toc", "bodymatter", "bibliography"} <= set(marks)
    for href in marks.values():
        assert epub.target(href) is not None, href
    assert marks["bodymatter"] == "ch01.xhtml" and epub.spine()[0] == marks["cover"]


# --- the printed handout's pages --------------------------------------------------------------------

def _letters(text: str) -> str:
    return re.sub(r"[\W\d_]+", "", text).lower()


def _text_after(marker, limit: int = 40) -> str:
    """The text that follows a page marker in reading order, without note calls and notes."""
    skip = lambda e: e.tag in (f"{{{NS['x']}}}aside", f"{{{NS['x']}}}sup")
    out, node = [marker.tail or ""], marker
    while len(_letters("".join(out))) < limit:
        while node is not None and node.getnext() is None:
            node = node.getparent()
            out.append((node.tail or "") if node is not None else "")
        if node is None:
            break
        node = node.getnext()
        out += ([] if skip(node) else list(node.itertext())) + [node.tail or ""]
    return _letters("".join(out))[:limit]


@pytest.mark.parametrize("name", ("default", "small"))
def test_page_list_follows_the_printed_handout(epubs, pdf_pages, built, name):
    epub, printed = epubs[name], pdf_pages[name]
    pages = epub.nav.find(".//x:nav[@epub:type='page-list']", NS)
    links = list(pages.iterfind(".//x:a", NS))
    total = len(printed)
    assert [a.text for a in links] == [str(n) for n in range(1, total + 1)]
    spine, last = epub.spine(), (-1, -1)
    for number, link in enumerate(links, 1):
        assert f"Page {number} of {total}" in printed[number - 1]
        name_, _, anchor = link.get("href").partition("#")
        root = epub.xhtml(name_)
        marker = root.find(f".//*[@id='{anchor}']")
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("title") == str(number) and marker.get("aria-label") == f"Printed handout page {number}"
        where = (spine.index(name_), list(root.iter()).index(marker))
        assert where > last, f"page {number} is marked before page {number - 1}"
        last = where
        following = _text_after(marker)[:12]
        assert following and following in _letters(printed[number - 1]), (number, following)
    source = epub.meta("pageBreakSource")
    assert len(source) == 1 and built[name]["pdf"].name in source[0]
    assert {"pageBreakMarkers", "pageNavigation"} <= set(epub.meta("schema:accessibilityFeature"))


def test_note_calls_have_large_tap_targets(epubs):
    css = epubs["default"].files["EPUB/styles/epub.css"].decode()
    rule = re.search(r"a\.noteref \{([^}]*)\}", css).group(1)
    vertical, horizontal = (int(v) for v in re.search(r"padding: (\d+)px (\d+)px", rule).groups())
    # a one-digit call (0.75em of 16 px) measures about 4.5 x 13 px in Chromium: padded to 44 x 44 CSS px
    assert 13 + 2 * vertical >= 44 and 4 + 2 * horizontal >= 44
    assert f"margin: -{vertical}px -{horizontal}px" in rule
