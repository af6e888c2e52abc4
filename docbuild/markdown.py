"""Markdown: one parse of a chapter into body HTML, its note calls and its images, each with its line.

markdown-it-py with tables, footnotes, front matter and GitHub alerts, plus a `[@key]` citation
rule. Note calls become NOTE_MARK placeholders so that render.py can give each output its own markup
(a floating footnote in the PDF, a noteref and an aside in the EPUB) from this single parse.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from .errors import Collector
from .model import IMAGE_PREFIX, NOTE_MARK

KEY = r"[A-Za-z0-9_][\w:.#$%&+?~/-]*"
ITEM_RE = re.compile(rf"\s*@({KEY})\s*(?:,\s*(\S.*?))?\s*$")
INLINE_CITE = "\ue002{}\ue003"           # a citation inside a footnote: printed inline, not as a note
INLINE_CITE_RE = r"\ue002([^\ue003]*)\ue003"
LONG_NOTE = 600                          # characters; WeasyPrint cannot split a note across pages


@dataclass
class Call:
    kind: str              # "citation" or "footnote"
    line: int
    items: tuple = ()      # citation: ((key, locator), ...)
    html: str = ""         # footnote: its text as inline HTML


@dataclass
class Parsed:
    title: str = ""
    body: str = ""
    calls: list[Call] = field(default_factory=list)
    inline_cites: list[tuple[str, int]] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def _citation_rule(state, silent: bool) -> bool:
    if not state.src.startswith("[@", state.pos):
        return False
    end = state.src.find("]", state.pos)
    if end < 0:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = state.src[state.pos:end + 1]
        token.meta = {"nl": state.src.count("\n", 0, state.pos)}
    state.pos = end + 1
    return True


def make_parser() -> MarkdownIt:
    # typographer: curly quotes, dashes and ellipses, as a printed leaflet has them
    md = MarkdownIt("commonmark", {"html": True, "alerts": True, "typographer": True})
    md.enable(["table", "replacements", "smartquotes"]).use(front_matter_plugin).use(footnote_plugin)
    md.inline.ruler.before("link", "citation", _citation_rule)
    return md


MD = make_parser()


def parse_items(raw: str) -> tuple | None:
    """`[@a; @b, p. 3]` -> (("a", ""), ("b", "p. 3")); None when malformed."""
    items = []
    for part in raw[1:-1].split(";"):
        match = ITEM_RE.fullmatch(part)
        if not match:
            return None
        items.append((match.group(1), match.group(2) or ""))
    return tuple(items)


def parse_chapter(path: Path, text: str, errors: Collector,
                  resolve_image: Callable[[str, int], str | None]) -> Parsed:
    """Parse one chapter; report its problems; never raise on bad input."""
    env: dict = {}
    tokens = MD.parse(text, env)
    parsed = Parsed()
    _front_matter(path, text, tokens, parsed, errors)
    body_tokens = [t for t in tokens if t.type != "front_matter"]
    if not any(t.type not in ("footnote_block_open", "footnote_block_close") for t in body_tokens):
        errors.error(path, 1, "the chapter has no text after its front matter")
    _check_tokens(path, body_tokens, parsed, errors, resolve_image)
    _check_footnote_definitions(path, text, env, errors)
    footnotes = _footnote_texts(body_tokens, parsed, path, errors)
    main = _without_footnote_block(body_tokens)
    renderer_env = {"parsed": parsed, "footnotes": footnotes, "in_footnote": False}
    parsed.body = MD.renderer.render(main, MD.options, renderer_env)
    return parsed


def _front_matter(path: Path, text: str, tokens, parsed: Parsed, errors: Collector) -> None:
    front = next((t for t in tokens if t.type == "front_matter"), None)
    if front is None:
        if text.lstrip("\ufeff").startswith("---"):
            errors.error(path, 1, 'the front matter opened here is not closed: add a line "---" after it')
        else:
            errors.error(path, 1, 'the chapter has no front matter; start it with "---", "title: …", "---"')
        return
    try:
        data = yaml.safe_load(front.content) if front.content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        errors.error(path, line, f"the front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        return
    if not isinstance(data, dict):
        errors.error(path, 2, 'the front matter must be "key: value" lines, such as "title: My chapter"')
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


def _child_lines(token) -> list[tuple[object, int]]:
    """Each inline child with its 1-based source line."""
    start = line = token.map[0] + 1 if token.map else 0
    out = []
    for child in token.children or []:
        out.append((child, start + child.meta["nl"] if child.type == "citation" else line))
        if child.type in ("softbreak", "hardbreak"):
            line += 1
    return out


def _check_tokens(path: Path, tokens, parsed: Parsed, errors: Collector,
                  resolve_image: Callable[[str, int], str | None]) -> None:
    block_line = 0
    for token in tokens:
        if token.map:
            block_line = token.map[0] + 1
        if token.type == "html_block":
            errors.error(path, block_line, "raw HTML is not allowed: it would bypass the checks and the "
                         "styles of both outputs; write it in Markdown instead")
        if token.type != "inline":
            continue
        for child, line in _child_lines(token):
            line = line or block_line
            child.meta["line"] = line
            if child.type == "html_inline":
                errors.error(path, line, f"raw HTML ({child.content.strip()}) is not allowed: it would bypass "
                             "the checks and the styles of both outputs; write it in Markdown instead")
            elif child.type == "citation":
                items = parse_items(child.content)
                if items is None:
                    errors.error(path, line, f"malformed citation {child.content}: write [@key], [@a; @b] "
                                 "or [@key, p. 3]")
                child.meta["items"] = items or ()
            elif child.type == "image":
                _check_image(path, child, line, parsed, errors, resolve_image)
            elif child.type == "text":
                for label in re.findall(r"\[\^([^\]\s]+)\]", child.content):
                    errors.error(path, line, f'the footnote [^{label}] has no definition; add a line '
                                 f'"[^{label}]: …" below the paragraph')


def _check_image(path: Path, token, line: int, parsed: Parsed, errors: Collector,
                 resolve_image: Callable[[str, int], str | None]) -> None:
    src = token.attrs.get("src", "")
    alt = "".join(c.content for c in token.children or []).strip()
    if not alt:
        errors.error(path, line, f"the image {src} has no alt text; describe it: ![what it shows]({src})")
    resolved = resolve_image(str(src), line)
    if resolved:
        token.attrs["src"] = IMAGE_PREFIX + resolved
        parsed.images.append(resolved)


def _check_footnote_definitions(path: Path, text: str, env: dict, errors: Collector) -> None:
    refs = env.get("footnotes", {}).get("refs", {})
    for label, used in refs.items():
        if used == -1:
            label = label[1:]
            match = re.search(rf"^\[\^{re.escape(label)}\]:", text, re.M)
            line = text.count("\n", 0, match.start()) + 1 if match else 0
            errors.warning(path, line, f"the footnote [^{label}] is defined but never used")


def _footnote_texts(tokens, parsed: Parsed, path: Path, errors: Collector) -> dict[int, str]:
    """Each footnote definition rendered as one line of inline HTML, paragraphs joined with <br>."""
    texts: dict[int, str] = {}
    start = None
    for index, token in enumerate(tokens):
        if token.type == "footnote_open":
            start = index + 1
        elif token.type == "footnote_close" and start is not None:
            env = {"parsed": parsed, "footnotes": {}, "in_footnote": True}
            rendered = MD.renderer.render(tokens[start:index], MD.options, env).strip()
            rendered = re.sub(r"</p>\s*<p>", "<br/>", rendered)
            rendered = re.sub(r"^<p>|</p>$", "", rendered).replace("\n", " ")
            texts[tokens[start - 1].meta["id"]] = rendered
            plain = re.sub(r"<[^>]+>", "", rendered)
            if len(plain) > LONG_NOTE:
                line = next((t.map[0] + 1 for t in tokens[start:index] if t.map), 0)
                errors.warning(path, line, f"this footnote is {len(plain)} characters long; a note over "
                               f"{LONG_NOTE} may not fit at the foot of one page: shorten or split it")
            start = None
    return texts


def _without_footnote_block(tokens) -> list:
    out, inside = [], False
    for token in tokens:
        if token.type == "footnote_block_open":
            inside = True
        elif token.type == "footnote_block_close":
            inside = False
        elif not inside:
            out.append(token)
    return out


# --- render rules: shared by both outputs; note calls become placeholders ------------------------

def _render_citation(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    parsed: Parsed = env["parsed"]
    items = token.meta.get("items") or ()
    if env["in_footnote"]:
        for key, _ in items:
            parsed.inline_cites.append((key, token.meta.get("line", 0)))
        return "".join(INLINE_CITE.format(f"{k}|{loc}") for k, loc in items)
    parsed.calls.append(Call("citation", token.meta.get("line", 0), items=items))
    return NOTE_MARK.format(len(parsed.calls) - 1)


def _render_footnote_ref(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    parsed: Parsed = env["parsed"]
    if env["in_footnote"]:
        return ""   # a note inside a note prints out of order in the PDF; drop the call
    html = env["footnotes"].get(token.meta["id"], "")
    parsed.calls.append(Call("footnote", token.meta.get("line", 0), html=html))
    return NOTE_MARK.format(len(parsed.calls) - 1)


def _render_paragraph_open(self, tokens, idx, options, env) -> str:
    inline = tokens[idx + 1] if idx + 1 < len(tokens) else None
    children = [c for c in (inline.children or []) if c.type != "softbreak"] if inline else []
    if len(children) == 1 and children[0].type == "image" and children[0].attrs.get("title"):
        tokens[idx + 2].meta["figure"] = True
        return '<figure class="figure">\n'
    return self.renderToken(tokens, idx, options, env)


def _render_paragraph_close(self, tokens, idx, options, env) -> str:
    if tokens[idx].meta.get("figure"):
        image = next(c for c in tokens[idx - 1].children if c.type == "image")
        return f'<figcaption>{escapeHtml(image.attrs["title"])}</figcaption>\n</figure>\n'
    return self.renderToken(tokens, idx, options, env)


def _render_image(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = escapeHtml("".join(c.content for c in token.children or []))
    src = escapeHtml(token.attrs.get("src", ""))
    return f'<img src="{src}" alt="{alt}" />'


def _render_heading_open(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    if token.tag == "h1":   # the chapter title is the only h1
        token.tag = "h2"
    return self.renderToken(tokens, idx, options, env)


def _render_heading_close(self, tokens, idx, options, env) -> str:
    if tokens[idx].tag == "h1":
        tokens[idx].tag = "h2"
    return self.renderToken(tokens, idx, options, env)


def _render_alert_open(self, tokens, idx, options, env) -> str:
    kind = tokens[idx].meta.get("kind", "NOTE").lower()
    return f'<div class="callout callout-{kind}" role="note">\n'


def _render_alert_title_open(self, tokens, idx, options, env) -> str:
    return '<p class="callout-title">'


for _name, _rule in {
    "citation": _render_citation, "footnote_ref": _render_footnote_ref, "image": _render_image,
    "paragraph_open": _render_paragraph_open, "paragraph_close": _render_paragraph_close,
    "heading_open": _render_heading_open, "heading_close": _render_heading_close,
    "alert_open": _render_alert_open, "alert_title_open": _render_alert_title_open,
    "footnote_anchor": lambda *a: "", "html_block": lambda *a: "", "html_inline": lambda *a: "",
}.items():
    MD.add_render_rule(_name, _rule)
