"""Citations and note calls: the `[@key]` inline rule, and a core rule that records every call.

Calls are recorded at parse time, in reading order, each with its source line (as mdit-py-plugins'
footnote_tail works on the token stream): each citation and footnote call token gets
`meta["call"]`, the index of its `Call` in `env["calls"]`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

# pandoc's citation keys: a letter, digit or _, then letters, digits, _ and internal punctuation
KEY = r"[\w](?:[\w]|[:.#$%&\-+?<>~/](?=[\w]))*"
ITEM_RE = re.compile(rf"\s*@({KEY})\s*(?:,\s*(\S.*?))?\s*")
BARE_RE = re.compile(r"\[((?:[\w][\w:.#$%&\-+?<>~/]*)(?:\s*;\s*[\w][\w:.#$%&\-+?<>~/]*)*)\]")


@dataclass
class Call:
    kind: str                # "citation" or "footnote"
    line: int
    items: tuple = ()        # citation: ((key, locator), ...)
    footnote: int = -1       # footnote: the definition's id
    label: str = ""


def citation_rule(state: StateInline, silent: bool) -> bool:
    """`[@a; @b, p. 3]` -> one `citation` token; nothing else starts with `[@`."""
    if not state.src.startswith("[@", state.pos):
        return False
    end = state.src.find("]", state.pos)
    if end < 0 or "\n\n" in state.src[state.pos:end]:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = state.src[state.pos:end + 1]
        token.meta = {"nl": state.src.count("\n", 0, state.pos), "items": parse_items(token.content)}
    state.pos = end + 1
    return True


def parse_items(raw: str) -> tuple | None:
    """`[@a; @b, p. 3]` -> (("a", ""), ("b", "p. 3")); None when malformed."""
    items = []
    for part in raw[1:-1].split(";"):
        match = ITEM_RE.fullmatch(part)
        if not match:
            return None
        items.append((match.group(1), match.group(2) or ""))
    return tuple(items)


def child_lines(token) -> list[tuple[object, int]]:
    """Each inline child of `token` with its 1-based source line."""
    start = line = token.map[0] + 1 if token.map else 0
    out = []
    for child in token.children or []:
        out.append((child, start + child.meta["nl"] if child.type == "citation" else line))
        if child.type in ("softbreak", "hardbreak"):
            line += 1
    return out


def record_calls(state: StateCore) -> None:
    """Core rule, after footnote_tail: number the calls in reading order, note where each is."""
    calls: list[Call] = state.env.setdefault("calls", [])
    inside_footnote, block_line = False, 0
    for token in state.tokens:
        if token.type == "footnote_block_open":
            inside_footnote = True
        if token.map:
            block_line = token.map[0] + 1
        if token.type != "inline":
            continue
        for child, line in child_lines(token):
            line = line or block_line
            child.meta["line"] = line
            if inside_footnote:
                _in_footnote(state, child, line)
            elif child.type == "citation":
                child.meta["call"] = len(calls)
                calls.append(Call("citation", line, items=child.meta.get("items") or ()))
            elif child.type == "footnote_ref":
                child.meta["call"] = len(calls)
                calls.append(Call("footnote", line, footnote=child.meta["id"], label=child.meta["label"]))
            elif child.type == "text":
                for match in BARE_RE.finditer(child.content):
                    state.env.setdefault("bare", []).append((match.group(1), line))


def _in_footnote(state: StateCore, child, line: int) -> None:
    problems = state.env.setdefault("problems", [])
    if child.type == "footnote_ref":
        problems.append((line, f"a note inside a note ([^{child.meta['label']}] inside a footnote) cannot be "
                         "printed in order; write its text into the footnote itself"))
    elif child.type == "citation":
        state.env.setdefault("inline_cites", []).append((child.meta.get("items") or (), line))
