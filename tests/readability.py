"""Plain-language figures for a chapter, measured on its body text from our own parse."""
from __future__ import annotations

import html
import re
import sys

import textstat

# textstat 0.7.10+ would download a pronunciation dictionary; count syllables with Pyphen instead.
sys.modules["textstat.backend.counts._count_syllables"].get_cmudict = lambda lang: None


def body_text(chapter) -> str:
    """The words a patient reads: no headings, note calls, captions or markup."""
    text = re.sub(r"<h[1-6][^>]*>.*?</h[1-6]>", "", chapter.body, flags=re.S)
    text = re.sub(r"<figcaption>.*?</figcaption>|<p class=\"callout-title\">.*?</p>", "", text, flags=re.S)
    text = re.sub("\ue000\\d+\ue001", "", text)
    text = re.sub(r"([^.!?:\s])\s*</(li|td|th)>", r"\1.</\2>", text)   # a list item reads as a sentence
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def grade(chapter) -> float:
    return textstat.flesch_kincaid_grade(body_text(chapter))


def words(chapter) -> int:
    return len(re.findall(r"[A-Za-z0-9’'-]+", body_text(chapter)))
