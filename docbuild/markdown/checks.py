"""Checks of a parsed chapter: what the writer must fix, each at its line.

Raw HTML, images without alt text, `# headings`, citations where no note can go (headings, link
text, alt text), malformed citations, footnotes that are undefined, unused or defined twice, and
content nested deeper than the parser keeps.
"""
from __future__ import annotations

import bisect
import difflib
import re
from pathlib import Path
from typing import Callable

from ..errors import Collector
from ..links import link_problem

MAX_NESTING = 40   # the parser's own limit is higher; past this much nesting nothing reads well


def check_tokens(path: Path, tokens: list, errors: Collector,
                 resolve_image: Callable[[str, int], str | None]) -> list[str]:
    """Report the problems of the body tokens; return the images used, in order."""
    images: list[str] = []
    context: list[str] = []          # "heading" / "link" around the current inline child
    block_line = 0
    for token in tokens:
        if token.map:
            block_line = token.map[0] + 1
        if token.level >= MAX_NESTING:
            errors.error(path, block_line, f"quotes or lists are nested more than {MAX_NESTING} deep here; "
                         "the rest of the chapter would be lost: nest less deeply")
            return images
        if token.type == "html_block":
            errors.error(path, block_line, "raw HTML is not allowed: it would bypass the checks and the "
                         "styles of both outputs; write it in Markdown instead")
        elif token.type == "heading_open" and token.tag == "h1":
            errors.warning(path, block_line, "a # heading inside a chapter: the chapter's title (in its front "
                           "matter) is its heading; use ## for sections (this one is printed as ##)")
        elif token.type == "inline":
            heading = any(t == "heading" for t in context)
            images += _check_inline(path, token, block_line, heading, errors, resolve_image)
        context = _context(token, context)
    return images


def _context(token, context: list[str]) -> list[str]:
    if token.type == "heading_open":
        return context + ["heading"]
    if token.type == "heading_close":
        return context[:-1]
    return context


def _check_inline(path: Path, token, block_line: int, heading: bool, errors: Collector,
                  resolve_image: Callable[[str, int], str | None]) -> list[str]:
    images, in_link = [], 0
    children = token.children or []
    for index, child in enumerate(children):
        line = child.meta.get("line", block_line)
        if child.type == "link_open":
            in_link += 1
            if message := link_problem(str(child.attrs.get("href", ""))):
                errors.error(path, line, message)
        elif child.type == "link_close":
            in_link -= 1
        elif child.type == "html_inline":
            errors.error(path, line, f"raw HTML ({child.content.strip()}) is not allowed: it would bypass "
                         "the checks and the styles of both outputs; write it in Markdown instead")
        elif child.type == "citation":
            inside = in_link or _broken_link_around(children, index)
            _check_citation(path, child, line, "a heading" if heading else "a link's text" if inside else "",
                            errors)
        elif child.type == "footnote_ref" and (heading or in_link):
            errors.error(path, line, f"a footnote call in {'a heading' if heading else 'a link'} cannot be "
                         "printed: put it after the sentence the heading introduces")
        elif child.type == "image":
            images += _check_image(path, child, line, errors, resolve_image)
    return images


def _broken_link_around(children: list, index: int) -> bool:
    """`[text [@key]](url)`: the citation stops the link from parsing, so it would print as typed."""
    before = children[index - 1].content if index and children[index - 1].type == "text" else ""
    after = children[index + 1].content if index + 1 < len(children) and children[index + 1].type == "text" else ""
    return "[" in before[before.rfind("]") + 1:] and after.startswith("](")


def _check_citation(path: Path, child, line: int, where: str, errors: Collector) -> None:
    if child.meta.get("items") is None:
        errors.error(path, line, f"malformed citation {child.content}: write [@key], [@a; @b] or [@key, p. 3]")
    elif where:
        errors.error(path, line, f"a citation in {where} ({child.content}) cannot become a note there: "
                     "put it at the end of the sentence that makes the claim")


def _check_image(path: Path, token, line: int, errors: Collector,
                 resolve_image: Callable[[str, int], str | None]) -> list[str]:
    src = str(token.attrs.get("src", ""))
    alt = "".join(c.content for c in token.children or []).strip()
    if not alt:
        errors.error(path, line, f"the image {src} has no alt text; describe it: ![what it shows]({src})")
    if "[@" in alt:
        errors.error(path, line, f"a citation in an image's alt text ({alt}) cannot become a note: "
                     "put it in the caption's sentence or the paragraph next to the image")
    resolved = resolve_image(src, line)
    if resolved:
        token.attrs["src"] = resolved
        return [resolved]
    return []


class _Lines:
    """Offset -> 1-based line in time that does not grow with the number of lookups before it."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def check_footnotes(path: Path, text: str, env: dict, errors: Collector) -> None:
    """Undefined, unused and twice-defined footnotes."""
    defined, line_of = {}, _Lines(text)
    for match in re.finditer(r"^ {0,3}\[\^([^\]\s]+)\]:", text, re.M):
        label, line = match.group(1), line_of(match.start())
        if label in defined:
            errors.error(path, line, f"the footnote [^{label}] is defined twice (first at line {defined[label]}); "
                         "give each footnote its own name")
        else:
            defined[label] = line
    refs = env.get("footnotes", {}).get("refs", {})
    for label, used in refs.items():
        if used == -1 and label[1:] in defined:
            errors.warning(path, defined[label[1:]], f"the footnote [^{label[1:]}] is defined but never used")
    for match in re.finditer(r"\[\^([^\]\s]+)\](?!:)", text):
        label = match.group(1)
        if label not in defined:
            line = line_of(match.start())
            near = difflib.get_close_matches(label, list(defined), n=1)
            hint = f"; did you mean [^{near[0]}]?" if near else f'; add a line "[^{label}]: …" below the paragraph'
            errors.error(path, line, f"the footnote [^{label}] has no definition{hint}")
