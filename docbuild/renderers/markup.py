"""Markup: a chapter's tokens -> HTML, with the target's own markup for note calls and images.

Every target renders the same token stream of the one parse; what differs (a floating footnote in
the PDF, a noteref in the EPUB, where images live) comes in as functions. Tokens are never changed.
"""
from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import Callable

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML

from ..links import link_problem
from ..markdown import parser
from ..markdown.callouts import KINDS
from ..model import Chapter, Note


@dataclass(frozen=True)
class Target:
    note: Callable[[Note], str]             # the call's markup
    image_src: Callable[[str], str]         # book-relative path -> URL in the output
    gettext: Callable[[str], str]
    inline_cite: Callable[[tuple], str]     # a citation inside a footnote, as inline text
    xhtml: bool = False
    keep_compounds: bool = False            # print: never break "stress-related" at its hyphen
    rtl: bool = False                       # right-to-left text: keep phone numbers in one piece


def chapter_html(chapter: Chapter, target: Target) -> str:
    env = {"target": target, "notes": chapter.notes}
    html = _renderer().render(list(chapter.tokens), parser().options, env)
    # "tense [@key]." puts the call right after the word, as note styles do
    return re.sub(r"[ \t\n]+(<(?:span class=\"footnote\"|sup))", r"\1", html)


def inline_html(tokens: tuple, target: Target) -> str:
    """A footnote's paragraphs as one line of inline HTML, joined with <br/>: a floated note cannot
    hold <p>, and a line break in its source prints as a break."""
    env = {"target": target, "notes": ()}
    html = _renderer().render(list(tokens), parser().options, env).strip()
    html = re.sub(r"</p>\s*<p>", "<br/>", html)
    return re.sub(r"^<p>|</p>$", "", html).replace("\n", " ")


def _renderer() -> RendererHTML:
    renderer = RendererHTML()
    for name, rule in RULES.items():
        renderer.rules[name] = types.MethodType(rule, renderer)
    return renderer


def _citation(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    target: Target = env["target"]
    if "call" not in token.meta or not env["notes"]:   # inside a footnote: inline text
        return target.inline_cite(token.meta.get("items") or ())
    return target.note(_note_at(env, token))


_COMPOUND = re.compile(r"(?<![\w-])(\w+(?:-\w+)+)(?![\w-])")
# "+1 555 0100" inside Arabic or Hebrew: without isolation the bidi algorithm reorders its groups
_NUMBER_RUN = re.compile(r"\+?\d[\d \-./()]*\d")


def _text(self, tokens, idx, options, env) -> str:
    text = escapeHtml(tokens[idx].content)
    if env["target"].keep_compounds:
        text = _COMPOUND.sub(lambda m: f'<span class="nowrap">{m.group(1)}</span>' if len(m.group(1)) <= 30
                             else m.group(1), text)
    if env["target"].rtl:
        # LEFT-TO-RIGHT ISOLATE ... POP DIRECTIONAL ISOLATE: Pango honours them, <bdi> it ignores
        text = _NUMBER_RUN.sub(lambda m: f"\u2066{m.group()}\u2069" if not m.group().isdigit() else m.group(),
                               text)
    return text


def _note_at(env, token) -> Note:
    return env["notes"][token.meta["call"]]   # calls are numbered per chapter, in note order


def _footnote_ref(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if "call" not in token.meta or not env["notes"]:
        return ""   # a note inside a note: reported at load
    return env["target"].note(_note_at(env, token))


def _image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = escapeHtml("".join(c.content for c in token.children or []))
    src = escapeHtml(env["target"].image_src(str(token.attrs.get("src", ""))))
    end = " />" if env["target"].xhtml else ">"
    return f'<img src="{src}" alt="{alt}"{end}'


def _is_figure(tokens, idx) -> bool:
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    children = [c for c in (inline.children or []) if c.type != "softbreak"] if inline else []
    return len(children) == 1 and children[0].type == "image" and bool(children[0].attrs.get("title"))


def _paragraph_open(self, tokens, idx, options, env) -> str:
    if _is_figure(tokens, idx):
        return '<figure class="figure">\n'
    if tokens[idx].hidden:
        return ""
    after = tokens[idx + 3].type if idx + 3 < len(tokens) else ""
    # a list's lead-in line stays with its first item
    return '<p class="lead-in">' if after in ("bullet_list_open", "ordered_list_open") else "<p>"


def _paragraph_close(self, tokens, idx, options, env) -> str:
    if idx >= 2 and tokens[idx - 2].type == "paragraph_open" and _is_figure(tokens, idx - 2):
        image = next(c for c in tokens[idx - 1].children if c.type == "image")
        return f'<figcaption>{escapeHtml(str(image.attrs["title"]))}</figcaption>\n</figure>\n'
    return "" if tokens[idx].hidden else "</p>\n"


def _link_open(self, tokens, idx, options, env) -> str:
    href = str(tokens[idx].attrs.get("href", ""))
    if link_problem(href):   # refused at load; never written, whatever the caller did
        return "<span>"
    return f'<a href="{escapeHtml(href)}">'


def _link_close(self, tokens, idx, options, env) -> str:
    opening = next((t for t in reversed(tokens[:idx]) if t.type == "link_open"), None)
    return "</span>" if opening is not None and link_problem(str(opening.attrs.get("href", ""))) else "</a>"


def _heading_open(self, tokens, idx, options, env) -> str:
    return f"<{_level(tokens, idx, env)}>"


def _heading_close(self, tokens, idx, options, env) -> str:
    opening = next(i for i in range(idx - 1, -1, -1) if tokens[i].type == "heading_open")
    return f"</{_level(tokens, opening, env)}>\n"


def _level(tokens, idx: int, env) -> str:
    """The chapter title is the only h1, and no level is skipped (h1 then h3 confuses screen
    readers): each heading is at most one level below the one before it."""
    levels = env.setdefault("levels", {})   # heading_open index -> level; headings render in order
    if idx not in levels:
        wanted = max(2, int(tokens[idx].tag[1]))
        levels[idx] = min(wanted, env.get("last_level", 1) + 1)
        env["last_level"] = levels[idx]
    return f"h{levels[idx]}"


def _callout_open(self, tokens, idx, options, env) -> str:
    meta = tokens[idx].meta
    kind = KINDS[meta["kind"]]
    label = escapeHtml(env["target"].gettext(kind.label))
    title = f' <span class="callout-heading">{escapeHtml(meta["title"])}</span>' if meta["title"] else ""
    return (f'<div class="callout callout-{meta["kind"].lower()}" role="{kind.role}">\n'
            f'<p class="callout-title"><span class="callout-label">{label}</span>{title}</p>\n')


RULES = {
    "citation": _citation, "footnote_ref": _footnote_ref, "image": _image, "text": _text,
    "paragraph_open": _paragraph_open, "paragraph_close": _paragraph_close,
    "heading_open": _heading_open, "heading_close": _heading_close,
    "link_open": _link_open, "link_close": _link_close,
    "callout_open": _callout_open, "callout_close": lambda self, *a: "</div>\n",
    "callout_blank": lambda self, *a: "",
    "footnote_anchor": lambda self, *a: "", "html_block": lambda self, *a: "",
    "html_inline": lambda self, *a: "",
}
