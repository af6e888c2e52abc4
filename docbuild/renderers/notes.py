"""Note text: what each note says, from the citation style, the same in every output.

A note's first citation of a work gives the full reference; a later one the style's short form and
"See note N". A citation inside a footnote is inline text in brackets. The References list is
unnumbered and alphabetical (the style's sort key), so the reader follows one numbering: the notes'.
"""
from __future__ import annotations

import re
from typing import Callable

from markupsafe import Markup, escape

from ..model import Note
from . import RenderContext
from .markup import Target, inline_html


def note_text(note: Note, ctx: RenderContext, target: Target) -> str:
    """The note's inline HTML, on one line."""
    if note.kind == "footnote":
        return inline_html(note.tokens, target)
    parts = []
    for cite in note.citations:
        if not cite.first_note:
            parts.append(isolate(ctx.style.full(cite.key, cite.locator), ctx))
        else:
            see = escape(ctx.locale.gettext("See note %(number)s") % {"number": cite.first_note})
            short = ctx.style.short(cite.key, cite.locator)
            # "Does it hurt?" or "Smith et al." already end their sentence
            stop = "" if re.search(r"[.?!…]\W*$", re.sub(r"<[^>]+>", "", short)) else "."
            parts.append(f"{isolate(short, ctx)}{stop} {see}.")
    return "<br/>".join(parts)


def direction_of(text: str) -> str:
    """"rtl" when most strong letters of `text` are Hebrew or Arabic, else "ltr"."""
    rtl = sum(1 for c in text if "\u0590" <= c <= "\u08ff" or "\ufb1d" <= c <= "\ufeff")
    ltr = sum(1 for c in text if c.isalpha()) - rtl
    return "rtl" if rtl > ltr else "ltr"


def isolate(html: str, ctx: RenderContext) -> str:
    """A reference in a right-to-left book keeps its own direction, so its numbers and DOI read right."""
    if ctx.locale.direction != "rtl":
        return html
    # LEFT-TO-RIGHT (or RIGHT-TO-LEFT) ISOLATE ... POP DIRECTIONAL ISOLATE: Pango ignores <bdi>
    return ("\u2066" if direction_of(html) == "ltr" else "\u2067") + html + "\u2069"



def inline_cite(ctx: RenderContext) -> Callable[[tuple], str]:
    """A citation inside a footnote, printed inline: "(Short form, p. 3)"."""
    def cite(items: tuple) -> str:
        known = [(k, loc) for k, loc in items if k in ctx.book.entries]
        return "(" + "; ".join(ctx.style.short(k, loc) for k, loc in known) + ")" if known else ""
    return cite


def references_data(ctx: RenderContext, note_href: Callable[[str, int], str]) -> list[dict]:
    refs = sorted(ctx.book.references, key=lambda r: ctx.style.sort_key(r.key))
    out = []
    for ref in refs:
        notes = [{"number": n, "href": note_href(chapter, n)} for chapter, n in ref.notes]
        entry = ctx.style.entry(ref.key)
        out.append({"key": ref.key, "entry": Markup(entry), "notes": notes, "count": len(notes),
                    "dir": direction_of(entry)})
    return out
