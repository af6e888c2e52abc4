"""Markdown: one parse of a chapter into block tokens, its note calls and its images, each with its line.

markdown-it-py (CommonMark, tables, footnotes, front matter, typographic quotes) with our own plugins:
`[@key]` citations and the call recorder (citations.py), callouts (callouts.py); checks.py reports
what the writer must fix. The parser is built on first use, not at import.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import Collector
from .callouts import callout_rule
from .checks import check_footnotes, check_tokens
from .citations import Call, citation_rule, record_calls

LONG_NOTE = 600   # characters; WeasyPrint cannot split a note across pages
NESTING = 60      # deeper than this the parser drops content; checks.py stops well before


@dataclass
class Parsed:
    title: str = ""
    tokens: list = field(default_factory=list)          # body block tokens, footnote block removed
    calls: list[Call] = field(default_factory=list)
    footnotes: dict[int, list] = field(default_factory=dict)   # definition id -> its block tokens
    footnote_lines: dict[int, int] = field(default_factory=dict)
    inline_cites: list[tuple[tuple, int]] = field(default_factory=list)   # citations inside footnotes
    bare: list[tuple[str, int]] = field(default_factory=list)   # "[key]" texts: maybe a forgotten @
    images: list[str] = field(default_factory=list)


@functools.cache
def parser() -> MarkdownIt:
    # typographer: curly quotes, dashes and ellipses, as a printed leaflet has them
    md = MarkdownIt("commonmark", {"html": True, "typographer": True, "maxNesting": NESTING})
    md.enable(["table", "replacements", "smartquotes"]).use(front_matter_plugin).use(footnote_plugin)
    md.validateLink = lambda url: True   # checks.py refuses bad links at their line, never silently
    md.inline.ruler.before("link", "citation", citation_rule)
    md.core.ruler.after("block", "callouts", callout_rule)
    md.core.ruler.push("record_calls", record_calls)
    return md


def parse_chapter(path: Path, text: str, errors: Collector,
                  resolve_image: Callable[[str, int], str | None]) -> Parsed:
    """Parse one chapter; report its problems; never raise on bad input."""
    env: dict = {}
    tokens = parser().parse(text, env)
    parsed = Parsed(calls=env.get("calls", []), inline_cites=env.get("inline_cites", []),
                    bare=env.get("bare", []))
    _front_matter(path, text, tokens, parsed, errors)
    body = [t for t in tokens if t.type != "front_matter"]
    parsed.tokens, parsed.footnotes = _split_footnotes(body)
    if not parsed.tokens:
        errors.error(path, 1, "the chapter has no text after its front matter")
    for line, message in env.get("problems", []):
        errors.error(path, line, message)
    parsed.images = check_tokens(path, body, errors, resolve_image)
    check_footnotes(path, text, env, errors)
    for number, definition in parsed.footnotes.items():
        parsed.footnote_lines[number] = next((t.map[0] + 1 for t in definition if t.map), 0)
        _check_footnote_body(path, definition, parsed.footnote_lines[number], errors)
    return parsed


def _split_footnotes(tokens: list) -> tuple[list, dict[int, list]]:
    body, footnotes, current, inside = [], {}, None, False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif token.type == "footnote_open":
            current = footnotes.setdefault(token.meta["id"], [])
        elif token.type == "footnote_close":
            current = None
        elif inside and current is not None and token.type != "footnote_anchor":
            current.append(token)
        elif not inside:
            body.append(token)
    return body, footnotes


def _check_footnote_body(path: Path, tokens: list, line: int, errors: Collector) -> None:
    blocks = {t.type for t in tokens} - {"paragraph_open", "paragraph_close", "inline"}
    if blocks:
        kinds = ", ".join(sorted(b.removesuffix("_open") for b in blocks if b.endswith("_open")))
        errors.error(path, line, f"a footnote can hold only sentences, not block content ({kinds}): "
                     "a note at the foot of a page cannot show it; move it into the chapter")
    if any(c.type == "image" for t in tokens if t.type == "inline" for c in t.children or []):
        errors.error(path, line, "a footnote cannot hold an image; put the image in the chapter")
    text = sum(len(c.content) for t in tokens if t.type == "inline" for c in t.children or [])
    if text > LONG_NOTE:
        errors.warning(path, line, f"this footnote is {text} characters long; a note over {LONG_NOTE} may "
                       "not fit at the foot of one page: shorten or split it")


def _front_matter(path: Path, text: str, tokens, parsed: Parsed, errors: Collector) -> None:
    front = next((t for t in tokens if t.type == "front_matter"), None)
    if front is None:
        if text.startswith("---"):
            errors.error(path, 1, 'the front matter opened here is not closed: add a line "---" after it')
        else:
            errors.error(path, 1, 'the chapter has no front matter; start it with "---", "title: …", "---"')
        return
    data = _yaml(path, front.content, errors)
    if data is None:
        return
    for key in data:
        if key != "title":
            line = 1 + next((i for i, l in enumerate(front.content.splitlines(), 1)
                             if l.startswith(f"{key}:")), 1)
            errors.error(path, line, f'unknown front matter key "{key}"; the valid keys are: title')
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.error(path, 2, 'the front matter has no "title: …" line')
        return
    parsed.title = title.strip()


def _yaml(path: Path, content: str, errors: Collector) -> dict | None:
    try:
        data = yaml.safe_load(content) if content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problem = str(getattr(exc, "problem", exc))
        lines = content.splitlines()
        source = lines[mark.line] if mark and mark.line < len(lines) else ""
        if "mapping values are not allowed" in problem or source.count(":") > 1:
            problem = ('a colon inside the value: put the whole value in quotes, like '
                       'title: "Stress: what it does"')
        errors.error(path, line, f"the front matter is not valid YAML: {problem}")
        return None
    if not isinstance(data, dict):
        errors.error(path, 2, 'the front matter must be "key: value" lines, such as "title: My chapter"')
        return None
    return data
