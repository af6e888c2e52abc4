"""Open the built EPUBs: EPUBCheck, notes that pop up, references, metadata."""
from __future__ import annotations

import zipfile

import pytest
from lxml import etree


NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


@pytest.mark.parametrize("name", ("default", "small", "riverside", "harbour"))
def test_epubcheck_finds_nothing(epub_reports, name):
    messages = epub_reports[name]
    serious = [m for m in messages if m["severity"] in ("FATAL", "ERROR", "WARNING")]
    assert serious == []


def _pages(path):
    with zipfile.ZipFile(path) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


@pytest.mark.parametrize("name", ("default", "small"))
def test_every_noteref_resolves_in_its_own_file_and_back(built, name):
    count = 0
    for filename, root in _pages(built[name]["epub"]).items():
        for ref in root.iterfind(".//x:a[@epub:type='noteref']", NS):
            count += 1
            assert ref.get("role") == "doc-noteref"
            target = ref.get("href")
            assert target.startswith("#"), (filename, target)
            aside = root.find(f".//x:aside[@id='{target[1:]}']", NS)
            assert aside is not None, (filename, target)
            assert aside.get(EPUB_TYPE) == "footnote" and aside.get("role") == "doc-footnote"
            back = aside.find(".//x:a", NS)   # the link back comes first in the note
            assert back.get("href") == "#" + ref.get("id")
            assert "".join(aside.itertext()).strip()
    assert count >= 7


def test_one_file_a_chapter_and_a_bibliography(built):
    pages = _pages(built["default"]["epub"])
    chapters = [n for n in pages if n.startswith("EPUB/ch")]
    assert len(chapters) == 6
    refs = pages["EPUB/references.xhtml"]
    section = refs.find(".//x:section[@role='doc-bibliography']", NS)
    items = section.findall(".//x:li", NS)
    assert len(items) == 10
    assert all(item.get("role") is None for item in items)      # no deprecated doc-biblioentry
    for item in items:                                           # each links back to its citations
        for link in item.iterfind(".//x:a", NS):
            if ".xhtml#fnref-" in link.get("href"):
                file, anchor = link.get("href").split("#")
                assert pages[f"EPUB/{file}"].find(f".//*[@id='{anchor}']") is not None


def test_metadata_and_accessibility(built):
    with zipfile.ZipFile(built["small"]["epub"]) as z:
        names = z.namelist()
        assert names[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    meta = opf.find("opf:metadata", NS)
    assert meta.findtext("dc:title", namespaces=NS) == "Small Test Book"
    assert meta.findtext("dc:language", namespaces=NS) == "en"
    assert meta.findtext("dc:identifier", namespaces=NS).startswith("urn:uuid:")
    assert [c.text for c in meta.findall("dc:creator", NS)] == ["Ada Writer, RN", "Ben Author"]
    assert meta.findtext("dc:description", namespaces=NS).startswith("A tiny book")
    props = {m.get("property"): m.text for m in meta.findall("opf:meta", NS) if m.get("property")}
    assert props["dcterms:modified"] == "2026-02-01T00:00:00Z"
    for prop in ("schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
                 "schema:accessibilityHazard", "schema:accessibilitySummary"):
        assert prop in props
    manifest = opf.find("opf:manifest", NS)
    cover = [i for i in manifest if "cover-image" in (i.get("properties") or "")]
    assert len(cover) == 1
    fonts = [i for i in manifest if i.get("media-type") == "font/ttf"]
    assert len(fonts) == 4
    images = [i for i in manifest if i.get("href") == "media/images/circle.svg"]
    assert images
