"""Callouts: `> [!KIND] Optional title` quotes become boxes, from our own table of kinds.

A safety box must never silently turn into a plain quote: an unknown kind (`[!DANGER]`, `[!WARNNG]`)
is an error at its line that names the valid kinds. Adding a kind is one entry in `KINDS` (and its
label in the message catalogues).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.rules_core import StateCore


@dataclass(frozen=True)
class Kind:
    label: str        # the text label (msgid), printed in the box: never colour alone
    role: str         # ARIA role of the box
    color: str        # the CSS custom property that colours its border and label


KINDS = {
    "NOTE": Kind("Note", "note", "--primary"),
    "TIP": Kind("Tip", "note", "--primary"),
    "IMPORTANT": Kind("Important", "note", "--primary"),
    "WARNING": Kind("Warning", "alert", "--danger"),
    "CAUTION": Kind("Caution", "alert", "--danger"),
}

MARKER = re.compile(r"^\[!([A-Za-z][A-Za-z0-9_-]*)\][ \t]*([^\n]*)(?:\n|$)")


def callout_rule(state: StateCore) -> None:
    """Core rule: a quote whose first line is `[!KIND]` becomes callout_open / callout_close."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "blockquote_open" or index + 2 >= len(tokens):
            continue
        first, inline = tokens[index + 1], tokens[index + 2]
        if first.type != "paragraph_open" or inline.type != "inline":
            continue
        match = MARKER.match(inline.content)
        if not match:
            continue
        kind, title = match.group(1).upper(), match.group(2).strip()
        line = token.map[0] + 1 if token.map else 0
        if kind not in KINDS:
            state.env.setdefault("problems", []).append((line, _unknown(match.group(1))))
            continue
        token.type, token.tag = "callout_open", "div"
        token.meta = {"kind": kind, "title": title, "line": line}
        _close(tokens, index).type = "callout_close"
        _strip_marker(tokens, index + 1, inline, match.end())


def _unknown(word: str) -> str:
    valid = ", ".join(f"[!{k}]" for k in KINDS)
    near = [k for k in KINDS if k.startswith(word.upper()[:3]) or word.upper().startswith(k[:3])]
    hint = f"; did you mean [!{near[0]}]?" if near else ""
    return f"[!{word}] is not a callout kind, so this box would print as a plain quote; use one of: {valid}{hint}"


def _close(tokens: list, index: int):
    depth = 0
    for token in tokens[index:]:
        if token.type in ("blockquote_open", "callout_open"):
            depth += 1
        elif token.type == "blockquote_close":
            depth -= 1
            if depth == 0:
                return token
    raise AssertionError("a blockquote without its close")   # markdown-it always closes them


def _strip_marker(tokens: list, paragraph: int, inline, end: int) -> None:
    """Drop the `[!KIND] title` line from the first paragraph (and the paragraph if nothing is left)."""
    inline.content = inline.content[end:]
    children = inline.children or []
    cut = next((i for i, c in enumerate(children) if c.type in ("softbreak", "hardbreak")), len(children))
    inline.children = children[cut + 1:]
    if not inline.content.strip():
        for token in tokens[paragraph:paragraph + 3]:
            token.hidden = True
            token.type = "callout_blank"
