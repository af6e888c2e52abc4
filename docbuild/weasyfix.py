"""Version-guarded fixes for WeasyPrint's footnote layout and for its tagged-PDF writing speed.

    from docbuild import weasyfix
    weasyfix.apply()      # before render(): True when WeasyPrint's layout is patched

The analysis and the upstream report are in docs/upstream/weasyprint-footnote-drop.md.

Layout: three hunks in ONE function, `weasyprint.layout.block._linebox_layout` (WeasyPrint 70.0,
layout/block.py, lines 335-476), the one that places the lines of a paragraph on a page and lays
out the footnotes they call:

- "drop" (the lost notes): when a line overflows the page and orphans/widows forbid breaking
  before it, WeasyPrint moves the page's last placed notes to the next page until the line fits,
  then places the line and ends the page (lines 376-417, the fix for upstream #2432). That exit
  leaves the loop before the code that lays out the notes *called in that line* (lines 431-468),
  so their bodies never leave the wait list (`context.footnotes`): the call is printed, the note
  is on no page, nothing is logged. Fixed by laying out those notes and moving them on too, after
  the ones moved to make room (the order of notes is kept).
- "keep" (placement, on by default): the same branch sends notes that fitted to the next page
  to keep one more line of a paragraph on this one. With `keep_notes_with_calls=True` the branch
  is not taken and the paragraph breaks as orphans/widows allow (WeasyPrint <= 65 did the same),
  so notes stay with their calls; on the generated books every note then sits on its call's
  page, for about one more page in 300.
- "scale" (time): line 435 tests `descendant.footnote in context.footnotes` for every box of
  every placed line; for the many boxes whose `.footnote` is None it scans the whole wait list,
  every note of the document not placed yet: O(boxes x notes), quadratic in a chapter with
  thousands of notes. Fixed by testing `is not None` first.

PDF: "page-references" (time, tagged PDFs): `pydyf.PDF.page_references` (pydyf 0.13.0) builds a
tuple of every page's reference on each access, and WeasyPrint's PDF/UA tagging
(weasyprint/pdf/tags.py, lines 177-287) reads it once per tagged box: O(boxes x pages). The
patched property caches the tuple until a page is added.

Nothing happens at import time. `apply()` patches only when the installed WeasyPrint matches
VERIFIED and each patched function's source is exactly the one the fix was written against
(FINGERPRINTS: sha256 of `inspect.getsource`), so an upgrade turns a fix off instead of patching
code it was not checked on. The layout patch is the original source with the HUNKS replaced,
compiled under WeasyPrint's own file name and line numbers with the module's globals: the same
text as the diffs in the upstream report.
"""
from __future__ import annotations

import hashlib
import inspect
import re

__all__ = ["FINGERPRINTS", "HUNKS", "VERIFIED", "apply", "applied", "revert", "verified"]

VERIFIED = re.compile(r"70\.0(\.\d+)?\Z")      # the WeasyPrint versions the fixes were tested on
FINGERPRINTS = {
    "weasyprint.layout.block._linebox_layout":
        "e07bbe000974787ee370be1f419a01a21b327a1a1e3025a65afd47589060883d",
    "pydyf.PDF.page_references":                # pydyf 0.13.0
        "060bf90aad55931bc24c3575a52af9478a89916aa307e5323142663841cb7798",
}

HUNKS = {
    "keep": (
        "            report = not context.in_column and can_break_now and not could_break_before\n",
        "            report = False  # docbuild.weasyfix: keep notes on the page of their call\n",
    ),
    "drop": (
        "                context.reported_footnotes[-reported_footnotes:] = extra\n"
        "\n"
        "            break\n",
        "                context.reported_footnotes[-reported_footnotes:] = extra\n"
        "\n"
        "            # docbuild.weasyfix: the line placed once notes were reported may call notes\n"
        "            # too; lay them out and report them after the others, or they are lost.\n"
        "            if new_children and new_children[-1] is line:\n"
        "                for descendant in line.descendants():\n"
        "                    footnote = descendant.footnote\n"
        "                    if footnote is not None and footnote in context.footnotes:\n"
        "                        context.layout_footnote(footnote)\n"
        "                        context.report_footnote(footnote)\n"
        "                        new_footnotes.append(footnote)\n"
        "\n"
        "            break\n",
    ),
    "scale": (
        "                if descendant.footnote in context.footnotes)\n",
        "                if descendant.footnote is not None and\n"
        "                descendant.footnote in context.footnotes)\n",
    ),
}

_originals: dict = {}   # while patched: "layout" -> the original function, "pdf" -> the property
_hunks: tuple[str, ...] = ()


def _fingerprint(function) -> str | None:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return None
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def verified(version: str | None = None) -> bool:
    """Whether the installed WeasyPrint (or `version`) is one the layout fix was verified on."""
    import weasyprint
    from weasyprint.layout import block

    version = weasyprint.__version__ if version is None else version
    if not VERIFIED.match(version):
        return False
    function = _originals.get("layout") or block._linebox_layout
    return _fingerprint(function) == FINGERPRINTS["weasyprint.layout.block._linebox_layout"]


def apply(keep_notes_with_calls: bool = True) -> bool:
    """Patch WeasyPrint if it is a verified version; return whether its layout is patched.

    Idempotent: called again with the same option it does nothing (and returns True); with the
    other option it swaps the layout patch. "drop" and "scale" are always applied, "keep" only
    with `keep_notes_with_calls`; "page-references" when pydyf's property is the one checked.
    `applied()` names what is in effect.
    """
    global _hunks
    hunks = ("drop", "scale") + (("keep",) if keep_notes_with_calls else ())
    if _hunks == hunks:
        return True
    if not verified():
        return False
    _revert_layout()
    _patch_layout(hunks)
    _hunks = hunks
    _patch_page_references()
    return True


def _patch_layout(hunks: tuple[str, ...]) -> None:
    from weasyprint.layout import block

    original = block._linebox_layout
    source = inspect.getsource(original)
    for name in hunks:
        old, new = HUNKS[name]
        if source.count(old) != 1:           # cannot happen once the fingerprint matched
            raise RuntimeError(f"weasyfix: hunk {name!r} does not apply")
        source = source.replace(old, new)
    code = compile("\n" * (original.__code__.co_firstlineno - 1) + source,
                   original.__code__.co_filename, "exec")
    namespace: dict = {}
    exec(code, block.__dict__, namespace)    # the module's globals, a private namespace
    patched = namespace["_linebox_layout"]
    patched.__wrapped__ = original
    patched.__doc__ = f"WeasyPrint's _linebox_layout with docbuild.weasyfix hunks {hunks}."
    block._linebox_layout = patched
    _originals["layout"] = original


def _patch_page_references() -> None:
    import pydyf

    original = pydyf.PDF.__dict__.get("page_references")
    if "pdf" in _originals or not isinstance(original, property):
        return
    if _fingerprint(original.fget) != FINGERPRINTS["pydyf.PDF.page_references"]:
        return

    def page_references(self):
        """Every page's reference, built again only when a page was added (docbuild.weasyfix)."""
        kids = self.pages["Kids"]
        cached = self.__dict__.get("_weasyfix_page_references")
        if cached is None or cached[0] is not kids or cached[1] != len(kids):
            cached = (kids, len(kids), original.fget(self))
            self._weasyfix_page_references = cached
        return cached[2]

    pydyf.PDF.page_references = property(page_references)
    _originals["pdf"] = original


def applied() -> tuple[str, ...]:
    """The names of the fixes in effect (empty when WeasyPrint is not patched)."""
    return _hunks + (("page-references",) if "pdf" in _originals else ())


def _revert_layout() -> None:
    global _hunks
    if "layout" in _originals:
        from weasyprint.layout import block
        block._linebox_layout = _originals.pop("layout")
    _hunks = ()


def revert() -> bool:
    """Put WeasyPrint's and pydyf's own functions back; return whether anything was patched."""
    patched = bool(_originals)
    _revert_layout()
    if "pdf" in _originals:
        import pydyf
        pydyf.PDF.page_references = _originals.pop("pdf")
    return patched
