"""Plain-language figures for a chapter, measured on its body text from our own parse."""
from __future__ import annotations

import sys

import textstat

from docbuild.text import body_text, word_count

# textstat 0.7.10+ would download a pronunciation dictionary; count syllables with Pyphen instead.
sys.modules["textstat.backend.counts._count_syllables"].get_cmudict = lambda lang: None


def grade(chapter) -> float:
    return textstat.flesch_kincaid_grade(body_text(chapter))


def words(chapter) -> int:
    return word_count(body_text(chapter))
