"""The shared --format html file: one self-contained page a person can send, notes as footnotes."""
from __future__ import annotations

import re

from lxml import html as lxml_html


def test_the_html_file_is_self_contained(built):
    text = built["default"]["html"].read_text()
    doc = lxml_html.fromstring(text)
    sources = [e.get("src") for e in doc.iter() if e.get("src")]
    assert sources and all(s.startswith("data:") for s in sources), sources
    assert not doc.xpath("//link[@rel='stylesheet']")                    # styles inlined
    assert 'url("../fonts/' not in text and "file://" not in text
    assert re.search(r'url\("data:font/ttf;base64,', text)                # the fonts travel with it
    links = [e.get("href") for e in doc.iter("a") if e.get("href")]
    assert all(h.startswith(("#", "https://", "mailto:", "tel:")) for h in links), links


def test_notes_are_footnotes_not_inline_text(built):
    doc = lxml_html.fromstring(built["default"]["html"].read_text())
    assert not doc.xpath("//span[@class='footnote']")                     # no note text mid-sentence
    calls = doc.xpath("//sup[@class='endnote-call']/a")
    notes = doc.xpath("//section[@class='endnotes']//li")
    assert len(calls) == len(notes) == 14
    for call in calls:
        target = doc.xpath(f"//*[@id='{call.get('href')[1:]}']")
        assert target and target[0].tag == "li"
        back = target[0].xpath(".//a[@class='backlink']")[0]
        assert back.get("href") == "#" + call.getparent().get("id")
