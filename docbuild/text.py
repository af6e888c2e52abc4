"""Body text: the words a patient reads in a chapter, from its tokens, for readability figures.

No headings, callout labels, figure captions, citations or notes: only sentences of the body. A list
item or table cell that does not end a sentence reads as one.
"""
from __future__ import annotations

import re

from .model import Chapter

_SKIP_OPEN = {"heading_open", "callout_open"}


def body_text(chapter: Chapter) -> str:
    parts, skip = [], 0
    for token in chapter.tokens:
        if token.type == "heading_open":
            skip += 1
        elif token.type == "heading_close":
            skip -= 1
        elif token.type == "inline" and not skip:
            parts.append(_inline(token))
        elif token.type in ("list_item_close", "td_close", "th_close", "paragraph_close") and parts:
            if not re.search(r"[.!?:]\s*$", parts[-1]):
                parts[-1] += "."
    return re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip()


def _inline(token) -> str:
    words = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return "".join(words).strip()


def word_count(text: str) -> int:
    return len(re.findall(r"[^\W_][\w’'-]*", text))
