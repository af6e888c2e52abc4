"""Cite: the formatting step for references, CSL-JSON entries -> notes and bibliography entries in HTML.

`CitationStyle` is the one seam over citeproc-py. It loads a vendored CSL style (AMA 11 "ama", the
NLM/Vancouver "vancouver", or a book's own .csl file), renders with it, and glues over the faults
citeproc-py 0.11.1 has with real exports (DEPENDENCIES.md, "Citations"):

- text is never escaped and rich text (<i>, <b>, <sup>, <sub>, <span class="nocase">) is printed as
  tags: markup travels through citeproc as private-use marker characters, the result is escaped
  once and the markers become real tags (italics inside italics flip to roman, as CSL says);
- substituted names and titles were printed twice: the variables a <substitute> used are suppressed
  for the rest of the entry;
- a localized date's delimiter was dropped ("2019May1") and date ranges lost their shape;
- abbreviated page ranges ("245-55") were not expanded for an "expanded" style;
- `journalAbbreviation` is copied to `container-title-short`, `shortTitle` to `title-short`,
  `event` and `event-title` to each other; a DOI given as a URL or with "doi:" is normalised;
- punctuation doubled at seams ("?.", "..", ",.") is tidied;
- AMA only: "Published" before a web page's date, and no publisher place (AMA 11 dropped it).

The `note` field (Zotero's "Extra", Manubot's provenance) is never printed. Formatted strings are
cached process-wide by content: the entry's JSON, the style file, the language, the form and the
locator. Nothing is loaded at import: citeproc-py and the style are read on first use.
"""
from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import unicodedata
import warnings
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from . import links

log = logging.getLogger(__name__)

CSL_DIR = Path(__file__).resolve().parent / "csl"
STYLES = {
    "ama": CSL_DIR / "american-medical-association.csl",
    "vancouver": CSL_DIR / "nlm-citation-sequence.csl",
}
CSL_NS = "http://purl.org/net/xbiblio/csl"
AMA_ID = "http://www.zotero.org/styles/american-medical-association"

# --- markers: markup travels through citeproc as private-use characters ----------------------------

MARK = {"i": "\uf001\uf002", "b": "\uf003\uf004", "sup": "\uf005\uf006", "sub": "\uf007\uf008",
        "sc": "\uf009\uf00a", "u": "\uf00b\uf00c", "doi": "\uf00d\uf00e", "url": "\uf00f\uf010",
        "nodecor": "\uf011\uf012"}
OPENERS = "".join(pair[0] for pair in MARK.values())
CLOSERS = "".join(pair[1] for pair in MARK.values())
PRIVATE = re.compile("[\uf000-\uf01f]")
SLOT = "\uf013"   # where the locator goes in a rendered entry
_KIND = {char: (kind, index == 0) for kind, pair in MARK.items() for index, char in enumerate(pair)}
_HTML_OPEN = {"i": "<i>", "b": "<b>", "sup": "<sup>", "sub": "<sub>",
              "sc": '<span style="font-variant:small-caps">', "u": '<span style="text-decoration:underline">'}
_HTML_CLOSE = {"i": "</i>", "b": "</b>", "sup": "</sup>", "sub": "</sub>", "sc": "</span>", "u": "</span>"}
_FLIP = {"i": '<span style="font-style:normal">', "b": '<span style="font-weight:normal">',
         "sc": '<span style="font-variant:normal">'}
_RESET = {"i": "font-style:normal", "b": "font-weight:normal", "sc": "font-variant:normal"}

# CSL-JSON rich text, and the tags real exports (Crossref, JATS) put in titles
_RICH_TAG = re.compile(r"<(/?)(i|b|em|strong|italic|bold|sup|sub|sc|scp|span)(\s[^<>]*)?>", re.I)
_RICH_NAMES = {"i": "i", "em": "i", "italic": "i", "b": "b", "strong": "b", "bold": "b",
               "sup": "sup", "sub": "sub", "sc": "sc", "scp": "sc"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

NAME_VARIABLES = frozenset((
    "author", "chair", "collection-editor", "compiler", "composer", "container-author", "contributor",
    "curator", "director", "editor", "editorial-director", "executive-producer", "guest", "host",
    "illustrator", "interviewer", "narrator", "organizer", "original-author", "performer", "producer",
    "recipient", "reviewed-author", "script-writer", "series-creator", "translator"))
DATE_VARIABLES = frozenset(("accessed", "available-date", "container", "event-date", "issued",
                            "original-date", "submitted"))
NEVER_PRINTED = frozenset(("note", "annote", "abstract", "keyword", "citation-key", "citation-label",
                           "citation-number", "custom", "id", "type", "language"))
SEASONS = {"spring": 1, "summer": 2, "autumn": 3, "fall": 3, "winter": 4}
# the types AMA prints in italics, used for its short form
AMA_ITALIC_TYPES = frozenset("bill book graphic legal_case legislation motion_picture report song thesis".split())


class CitationStyle:
    """Formats the entries of one book with one CSL style."""

    def __init__(self, entries: dict[str, dict], style: str | Path = "ama", language: str = "en-US"):
        self.entries = entries
        self.path = style_path(style)
        self.language = language
        self._digests: dict[str, str] = {}
        self._style: LoadedStyle | None = None   # looked up once a build, not once a citation

    def full(self, key: str, locator: str = "") -> str:
        """The full reference for a note: one line of inline XHTML, the locator before the DOI/URL."""
        return self._cached(key, "full", locator.strip())

    def short(self, key: str, locator: str = "") -> str:
        """A later note: "Lundberg et al. Psychophysiological stress responses. 1999"."""
        return self._cached(key, "short", locator.strip())

    def entry(self, key: str) -> str:
        """The bibliography entry, without its number."""
        return self._cached(key, "full", "")

    def sort_key(self, key: str) -> tuple:
        """For an unnumbered alphabetical list: names (or title), year, title, key."""
        return sort_key(key, self.entries[key])

    def _cached(self, key: str, form: str, locator: str) -> str:
        digest = self._digests.get(key)
        if digest is None:
            raw = json.dumps(self.entries[key], sort_keys=True, ensure_ascii=False, default=str)
            digest = self._digests[key] = hashlib.sha256(raw.encode()).hexdigest()
        style = self._style = self._style or load_style(self.path, self.language)
        cache_key = (digest, style.digest, self.language, form, locator)
        text = _CACHE.get(cache_key)
        if text is None:
            if len(_CACHE) > 200_000:   # a long-running preview server: start again rather than grow
                _CACHE.clear()
            text = _CACHE[cache_key] = style.render(self.entries[key], form, locator, digest)
        return text


_CACHE: dict[tuple, str] = {}


def style_path(style: str | Path) -> Path:
    """The .csl file for "ama", "vancouver" or a path."""
    if isinstance(style, str) and style in STYLES:
        return STYLES[style]
    return Path(style)


def style_problem(style: str, book_root: Path) -> str | None:
    """What is wrong with a book.toml `citation_style` value, or None when it is usable."""
    if style in STYLES:
        return None
    known = " or ".join(f'"{name}"' for name in STYLES)
    if not style.lower().endswith(".csl"):
        return f'the citation style "{style}" is not known: use {known}, or the path of a .csl file in the book'
    root = book_root.resolve()
    path = (root / style).resolve()
    if not path.is_relative_to(root):
        return f'the citation style file "{style}" is outside the book folder; copy it into the book'
    if not path.is_file():
        return f'the citation style file "{style}" does not exist'
    try:
        load_style(path, "en-US").render(_SAMPLE, "full", "p. 3")
    except StyleError as exc:
        return f'the citation style file "{style}" cannot be used: {exc}'
    except Exception as exc:   # citeproc-py fails on styles it cannot run, with any exception
        log.debug("style %s failed on the sample entry", path, exc_info=True)
        return f'the citation style file "{style}" cannot be used: citeproc-py fails on it ({exc})'
    return None


_SAMPLE = {"id": "sample", "type": "article-journal", "title": "A sample title",
           "author": [{"family": "Smith", "given": "Anna"}], "container-title": "Journal",
           "issued": {"date-parts": [[2020, 5, 1]]}, "volume": "1", "page": "1-10", "DOI": "10.1000/x"}


class StyleError(Exception):
    """A .csl file that cannot be used, in words for the user."""


def load_style(path: Path, language: str) -> "LoadedStyle":
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise StyleError("the file cannot be read") from None
    return _load(path.resolve(), mtime, language)


@lru_cache(maxsize=16)
def _load(path: Path, mtime_ns: int, language: str) -> "LoadedStyle":
    return LoadedStyle(path.read_bytes(), language)


# --- a loaded style --------------------------------------------------------------------------------

class LoadedStyle:
    """A parsed style with the glue applied, ready to render entries."""

    def __init__(self, data: bytes, language: str):
        self.engine = engine()
        self.digest = hashlib.sha256(data).hexdigest()
        self.root = _parse_style(data, self.engine)
        self.root.formatter = self.engine.formatter
        self.root.set_locale_list(language, validate=False)
        style_id = (self.root.findtext(f"{{{CSL_NS}}}info/{{{CSL_NS}}}id") or "").strip()
        self.ama = style_id == AMA_ID
        self.layout = _bibliography_layout(self.root)
        _glue_style(self)
        # element objects live as long as the style, with the answers _Fast keeps on them
        self._alive = [e for tree in [self.root, *self.root.locales] for e in tree.getroottree().iter()]
        self._slotted: dict[str, str] = {}   # entry -> rendered with SLOT for the locator
        log.debug("loaded the citation style %s", style_id)

    def render(self, entry: dict, form: str, locator: str, digest: str | None = None) -> str:
        label, value = parse_locator(locator) if locator else (None, "")
        locator_text = format_locator(label, value, self) if locator else ""
        if form == "short":
            return to_html(tidy(short_form(entry, locator_text, self)))
        if self.prints_locator:   # the style places the locator itself: one rendering per locator
            marked = self._safe_render(entry, label, value, locator_text)
        else:   # one rendering per entry, with a slot where any locator goes
            marked = self._with_slot(entry, digest)
            marked = marked.replace(SLOT, locator_text) if locator_text else re.sub(f" ?\\({SLOT}\\)", "", marked)
        if self.punctuation_in_quote:   # "“Title”." -> "“Title.”", as the locale asks
            marked = re.sub(f"(\u201d+)([{CLOSERS}]*)([.,])", r"\3\1\2", marked)
        return to_html(tidy(marked))

    def _with_slot(self, entry: dict, digest: str | None) -> str:
        key = digest or json.dumps(entry, sort_keys=True, ensure_ascii=False, default=str)
        marked = self._slotted.get(key)
        if marked is None:
            if len(self._slotted) > 100_000:
                self._slotted.clear()
            marked = self._slotted[key] = self._safe_render(entry, None, "", SLOT)
        return marked

    def _safe_render(self, entry: dict, label: str | None, value: str, locator_text: str) -> str:
        try:
            return self._render(entry, label, value)
        except Exception:   # a fault in citeproc-py must not stop a build: print a plain reference
            log.warning("citeproc-py failed on the reference %r; printed in a simple form",
                        entry.get("id"), exc_info=True)
            return _fallback(entry, locator_text)

    def _render(self, entry: dict, label: str | None, value: str) -> str:
        engine = self.engine
        reference = to_reference(entry, self)
        options = {"locator": engine.Locator(label or "page", value)} if value and self.prints_locator else {}
        item = engine.CitationItem("item", **options)
        object.__setattr__(item, "reference", reference)   # instead of a lookup through four objects
        citation = engine.Citation([item])
        citation.bibliography = SimpleNamespace(source={"item": reference}, keys=["item"],
                                                formatter=engine.formatter)
        rendered = self.layout.render_bibliography([item])
        return str(rendered[0]) if rendered else ""

    def term(self, name: str, form: str | None = None, plural: bool = False) -> str:
        term = self.root.get_term(name, form)
        if term is None and form is not None:
            term = self.root.get_term(name)
        if term is None:
            return ""
        return str(term.multiple if plural else term.single)


def _parse_style(data: bytes, engine: SimpleNamespace) -> Any:
    from lxml import etree
    try:
        root = etree.fromstring(data, engine.parser)
    except etree.XMLSyntaxError as exc:
        raise StyleError(f"it is not valid XML ({exc})") from None
    if root.tag != f"{{{CSL_NS}}}style":
        raise StyleError("it is not a CSL style (its root element must be <style> in the CSL namespace)")
    return root


def _bibliography_layout(root: Any) -> Any:
    layout = root.find(f"{{{CSL_NS}}}bibliography/{{{CSL_NS}}}layout")
    if layout is None:
        raise StyleError("it has no <bibliography> to format references with")
    return layout


# --- glue on the style's tree ----------------------------------------------------------------------

def _glue_style(style: LoadedStyle) -> None:
    """Edit the parsed style in memory (the vendored files stay as published)."""
    layout = style.layout
    for element in list(layout.iter(f"{{{CSL_NS}}}text")):
        if element.get("variable") == "citation-number":   # entry() has no number
            element.getparent().remove(element)
    label = style.root.find(f".//{{{CSL_NS}}}citation//{{{CSL_NS}}}label[@variable='locator']")
    style.locator_form = label.get("form", "long") if label is not None else "short"
    style.locator_strip = label is not None and label.get("strip-periods") == "true"
    style.page_format = style.root.get("page-range-format")
    style.page_delimiter = style.term("page-range-delimiter") or "\u2013"
    style.prints_locator = "locator" in variables_used(layout)
    style.punctuation_in_quote = (style.root.get_locale_option("punctuation-in-quote") or "").lower() == "true"
    if style.ama:
        _published_before_web_dates(layout)
    if not style.prints_locator:
        _insert_locator(layout)


_CONDITIONS = (f"{{{CSL_NS}}}if", f"{{{CSL_NS}}}else-if", f"{{{CSL_NS}}}key")


def variables_used(element: Any) -> set[str]:
    """Every variable an element may print, following its macros."""
    found, todo, seen = set(), [element], set()
    while todo:
        for node in todo.pop().iter():
            if not isinstance(node.tag, str):
                continue
            if node.tag not in _CONDITIONS:   # a test names a variable it does not print
                found.update(node.get("variable", "").split())
            macro = node.get("macro")
            if macro and macro not in seen:
                seen.add(macro)
                todo.extend(node.getroottree().getroot().findall(f"{{{CSL_NS}}}macro[@name='{macro}']"))
    return found


def _published_before_web_dates(layout: Any) -> None:
    """AMA 11: "Published March 4, 2021." for web pages; the style prints the bare date."""
    for branch in layout.iter(f"{{{CSL_NS}}}if", f"{{{CSL_NS}}}else-if"):
        if "webpage" not in branch.get("type", "").split():
            continue
        for date in branch.findall(f"{{{CSL_NS}}}date[@variable='issued']"):
            group = date.makeelement(f"{{{CSL_NS}}}group", {"delimiter": " "})
            date.addprevious(group)
            group.append(group.makeelement(f"{{{CSL_NS}}}text", {"value": "Published"}))
            group.append(date)


def _insert_locator(layout: Any) -> None:
    """Put "(p 3)" at the end of the entry's description, before the DOI or URL that closes it."""
    if not _before_access(layout):
        children = [c for c in layout if isinstance(c.tag, str)]
        _wrap_with_locator(children[-1] if children else None, layout)


def _before_access(container: Any) -> bool:
    """Wrap the element before the first one that prints the DOI or URL; False if none prints it."""
    children = [c for c in container if isinstance(c.tag, str)]
    access = next((c for c in children if variables_used(c) & {"DOI", "URL"}), None)
    if access is None:
        return False
    index = children.index(access)
    if index > 0:
        _wrap_with_locator(children[index - 1], container)
    elif access.tag == f"{{{CSL_NS}}}choose":
        for branch in (b for b in access if isinstance(b.tag, str)):
            if not _before_access(branch):
                kids = [c for c in branch if isinstance(c.tag, str)]
                _wrap_with_locator(kids[-1] if kids else None, branch)
    elif (inner := _descend(access)) is None or not _before_access(inner):
        _wrap_with_locator(None, container, at=access)
    return True


def _descend(element: Any) -> Any | None:
    if element.tag == f"{{{CSL_NS}}}group":
        return element
    macro = element.get("macro")
    if element.tag == f"{{{CSL_NS}}}text" and macro:
        return element.getroottree().getroot().find(f"{{{CSL_NS}}}macro[@name='{macro}']")
    return None


def _wrap_with_locator(before: Any, container: Any, at: Any = None) -> None:
    """`before` and the locator in a group that takes over its suffix: unchanged without a locator."""
    make = container.makeelement
    locator = make(f"{{{CSL_NS}}}group", {"prefix": "(", "suffix": ")"})
    locator.append(make(f"{{{CSL_NS}}}text", {"variable": "docbuild-locator"}))
    if before is None:
        if at is not None:
            at.addprevious(locator)
        else:
            container.append(locator)
        return
    inner = container.get("delimiter", "") if container.tag == f"{{{CSL_NS}}}group" else ""
    wrapper = make(f"{{{CSL_NS}}}group", {"delimiter": " ", "docbuild": "locator", "docbuild-inner": inner})
    if "suffix" in before.attrib:
        wrapper.set("suffix", before.attrib.pop("suffix"))
    before.addprevious(wrapper)
    wrapper.append(before)
    wrapper.append(locator)


# --- citeproc-py with the glue classes, built on first use -----------------------------------------

@lru_cache(maxsize=1)
def engine() -> SimpleNamespace:
    """citeproc-py, imported on first use, and a parser whose element classes carry the glue."""
    from citeproc import Citation, CitationItem, Locator, model
    from citeproc.source import Date, DateRange, LiteralDate, Name, Reference, VariableError
    from citeproc.string import MixedString, NoCase, String
    from lxml import etree

    classes = {cls.__name__.replace("_", "-").lower(): cls
               for cls in model.CitationStylesElement.__subclasses__()}
    for tag, base in classes.items():
        mixins = (_GLUE[tag], _Fast) if tag in _GLUE else (_Fast,)
        classes[tag] = type(base.__name__, (*mixins, base), {})
    lookup = etree.ElementNamespaceClassLookup()
    namespace = lookup.get_namespace(CSL_NS)
    namespace[None] = type("CitationStylesElement", (_Fast, model.CitationStylesElement), {})
    namespace.update(classes)
    parser = etree.XMLParser(remove_comments=True, encoding="UTF-8", no_network=True,
                             resolve_entities=False)
    parser.set_element_class_lookup(lookup)
    item = type("CitationItem", (CitationItem,), {"reference": None})   # a plain attribute, set per entry
    return SimpleNamespace(
        parser=parser, Citation=Citation, CitationItem=item, Locator=Locator,
        Reference=Reference, Name=Name, Date=Date, DateRange=DateRange, LiteralDate=LiteralDate,
        VariableError=VariableError, MixedString=MixedString, NoCase=NoCase,
        RichString=type("RichString", (_RichString, String), {}), formatter=_FORMATTER)


class _Fast:
    """citeproc-py asks the same XPath questions of the same elements for every entry; the style is
    not changed once loaded, so each element keeps its answers (LoadedStyle keeps the elements)."""

    def xpath_search(self, expression: str) -> list:
        cache = getattr(self, "_xpath", None)
        if cache is None:
            cache = self._xpath = {}
        found = cache.get(expression)
        if found is None:
            found = cache[expression] = super().xpath_search(expression)
        return found

    def get_formatter(self) -> SimpleNamespace:   # always ours: no need to walk up to the root each time
        return _FORMATTER


class _RichString:
    """Capitalising a word that opens with a marker capitalises its first letter."""

    def capitalize_first(self) -> Any:
        start = 0
        while start < len(self) and self[start] in OPENERS:
            start += 1
        return self.__class__(self[:start] + self[start:start + 1].upper() + self[start + 1:])


def _formatter() -> SimpleNamespace:
    def tag(kind: str | None) -> type:
        opener, closer = MARK[kind] if kind else ("", "")

        class Tag(str):
            def __new__(cls, text: Any) -> "Tag":
                return str.__new__(cls, f"{opener}{text}{closer}")
        return Tag

    return SimpleNamespace(preformat=lambda text: text, Italic=tag("i"), Oblique=tag("i"), Bold=tag("b"),
                           Light=tag(None), Underline=tag("u"), Superscript=tag("sup"),
                           Subscript=tag("sub"), SmallCaps=tag("sc"))


_FORMATTER = _formatter()


def _repressed(context: Any) -> dict:
    """The layout's record of what a <substitute> has used in the entry being rendered."""
    try:
        layout = context.get_layout()
    except (IndexError, AttributeError):
        return {}
    if not hasattr(layout, "repressed"):
        layout.repressed = {}
    return layout.repressed


def _suppressed(context: Any) -> set:
    return _repressed(context).get("docbuild", set())


class _Names:
    """Names a <substitute> printed are not printed again, even by the same substitute."""

    def process(self, item: Any, names_context: Any = None, context: Any = None, **kwargs: Any) -> Any:
        context_ = context if context is not None else self
        roles = self.get("variable", "").split()
        hidden = _suppressed(context_)
        if roles and set(roles) <= hidden:
            raise engine().VariableError
        text = super().process(item, names_context=names_context, context=context, **kwargs)
        if text and _repressed(context_).get("docbuild-substituting"):
            _repressed(context_).setdefault("docbuild", set()).update(roles)
        return text


class _Text:
    # CSL's stop words, and "v." as in "White v. State", which title case must leave alone
    _stop_words = ["a", "an", "and", "as", "at", "but", "by", "down", "for", "from", "in", "into", "nor",
                   "of", "on", "onto", "or", "over", "so", "the", "till", "to", "up", "via", "with", "yet",
                   "v.", "vs.", "v", "vs"]

    def _variable(self, item: Any, context: Any) -> Any:
        if self.get("variable") in _suppressed(context):
            return None
        return super()._variable(item, context)

    def case(self, text: Any, language: str | None = None) -> Any:
        """Title, sentence and capitalize-all case word by word within each run of text, so that a
        nocase or marked-up run keeps its place (citeproc-py re-joined all words with spaces)."""
        text_case = self.get("text-case")
        if text_case not in ("title", "sentence", "capitalize-all") or not hasattr(text, "__iter__") \
                or isinstance(text, str):
            return super().case(text, language)
        if text_case == "title" and language != "en":
            return text
        shouting = text.isupper()
        state = {"prev": ":", "first": True}
        runs = [type(run)(_case_run(str(run), run, text_case, self._stop_words, shouting, state))
                for run in text]
        return engine().MixedString(runs)


def _case_run(text: str, run: Any, text_case: str, stop_words: list[str], shouting: bool,
              state: dict) -> str:
    """One run of a title in its case; `state` carries the previous word across runs."""
    out = []
    for piece in re.split(r"(\s+)", text):
        if not piece or piece.isspace():
            out.append(piece)
            continue
        word = type(run)(piece)
        if text_case == "title":
            if word.islower() and (str(word) not in stop_words or state["prev"] in (":", ".", "?", "!")):
                word = word.capitalize_first()
        elif text_case == "capitalize-all":
            word = word.capitalize_first()
        else:   # sentence
            if not shouting and not word.isupper():
                word = word.soft_lower()
            if state["first"]:
                word = word.capitalize_first()
        state["prev"], state["first"] = str(word)[-1:], False
        out.append(str(word))
    return "".join(out)


class _Label:
    def _is_plural(self, item: Any) -> bool:
        """For "248 p." citeproc-py looked the number of pages up on the citation, not the reference."""
        variable = self.get("variable", "")
        if variable.startswith("number-of"):
            value = str(item.reference.get(variable.replace("-", "_"), ""))
            return value.isdigit() and int(value) > 1
        return super()._is_plural(item)


class _Substitute:
    def render(self, item: Any, context: Any = None, **kwargs: Any) -> Any:
        repressed = _repressed(context if context is not None else self)
        before = repressed.get("docbuild-substituting", False)
        repressed["docbuild-substituting"] = True
        try:
            return super().render(item, context=context, **kwargs)
        finally:
            repressed["docbuild-substituting"] = before

    def add_to_repressed_list(self, child: Any, context: Any) -> None:
        _repressed(context).setdefault("docbuild", set()).update(variables_used(child))


class _Group:
    """The group that adds a locator: unlike a CSL group, printed even when only text is in it."""

    def process(self, item: Any, context: Any = None, **kwargs: Any) -> Any:
        if self.get("docbuild") != "locator":
            return super().process(item, context=context, **kwargs)
        pieces, described = [], False
        for child in self.iterchildren():
            try:
                if child.tag == f"{{{CSL_NS}}}choose":
                    text = child.render(item, context=context, delimiter=self.get("docbuild-inner", ""),
                                        **kwargs)
                else:
                    text = child.render(item, context=context, **kwargs)
            except engine().VariableError:
                continue
            if text is not None:
                pieces.append(text)
                described = described or SLOT not in str(text)
        if not pieces:
            raise engine().VariableError
        self._only_locator = not described
        return self.join(pieces)

    def markup(self, text: Any) -> Any:
        if self.get("docbuild") == "locator" and getattr(self, "_only_locator", False):
            return text   # the suffix belongs to the description, which is empty here
        return super().markup(text)


class _Date:
    """A localized date joined with its own delimiter; ranges shown as CSL says ("May 1–3, 2019")."""

    def render_single_date(self, date: Any, show_parts: list | None = None, context: Any = None) -> Any:
        if context is not None and context is not self:
            parts = self.parts(date, show_parts, context)
        else:
            parts = self.parts(date, show_parts)
        return _date_joiner(self, context).join(parts) if parts else None

    def render_date_range(self, date_range: Any, show_parts: list | None = None, context: Any = None) -> Any:
        shown = list(show_parts or ("year", "month", "day"))
        begin, end = date_range.begin, date_range.get("end")
        if end is not None and end.get("year") == 0:   # open range
            text = self.render_single_date(begin, shown, context)
            return str(text).rstrip(" ,;:") + _range_delimiter(self, ["year"], context) if text else None
        order = [p.get("name") for p in self.iterchildren() if p.get("name") in shown]
        differ = [n for n in order if end is not None and _date_part(begin, n) != _date_part(end, n)]
        if not differ:
            return self.render_single_date(begin, shown, context)
        first, last = order.index(differ[0]), order.index(differ[-1])
        head = self.render_single_date(begin, order[:first], context) if first else None
        span_begin = self.render_single_date(begin, order[first:last + 1], context)
        span_end = self.render_single_date(end, order[first:last + 1], context)
        tail = self.render_single_date(end, order[last + 1:], context) if order[last + 1:] else None
        if not (span_begin and span_end):
            return span_begin or span_end
        span = str(span_begin).rstrip(" ,;:") + _range_delimiter(self, differ, context) + str(span_end)
        pieces = [p for p in (head, span, tail) if p]
        return _date_joiner(self, context).join(pieces).rstrip(" ,;:")


class _DatePart:
    """A season where a month belongs: its name (it has no short form), and no crash on a numeric month."""

    def process(self, date: Any, context: Any = None) -> Any:
        if self.get("name") == "month" and "month" not in date and "season" in date:
            owner = context if context is not None else self
            name = f"season-{int(date['season']):02}"
            short = owner.get_single_term(name=name, form="short") if self.get("form") == "short" else ""
            return short or owner.get_single_term(name=name)
        return super().process(date, context)


def _range_delimiter(date: Any, differ: list[str], context: Any) -> str:
    """The range-delimiter of the largest date part that differs (an en dash by default)."""
    largest = next(n for n in ("year", "month", "day") if n in differ)
    for owner in (context, date):
        part = owner.find(f"{{{CSL_NS}}}date-part[@name='{largest}']") if owner is not None else None
        if part is not None and part.get("range-delimiter") is not None:
            return part.get("range-delimiter")
    return "\u2013"


def _date_part(date: Any, name: str) -> int | None:
    return date.get("month", date.get("season")) if name == "month" else date.get(name)


def _date_joiner(date: Any, context: Any) -> Any:
    if context is not None and date.is_locale_date() and "delimiter" in context.attrib:
        return context
    return date


class _Style:
    """Locale files parsed with the glue classes too (their dates need the date fix)."""

    def set_locale_list(self, output_locale: str, validate: bool = True) -> None:
        from citeproc import LANGUAGE_NAMES, LOCALES_PATH, PRIMARY_DIALECTS
        from lxml import etree
        language = output_locale.split("-")[0]
        self.locales = []
        for lang in (output_locale, language, None):
            expr = f'./cs:locale[@xml:lang="{lang}"]' if lang else "./cs:locale[not(@xml:lang)]"
            self.locales.extend(self.xpath_search(expr))
        files = [output_locale if output_locale in LANGUAGE_NAMES else None,
                 PRIMARY_DIALECTS.get(language), "en-US"]
        for name in dict.fromkeys(f for f in files if f):
            path = Path(LOCALES_PATH) / f"locales-{name}.xml"
            self.locales.append(etree.parse(str(path), engine().parser).getroot())
        for locale in self.locales:
            locale.style = self


_GLUE = {"names": _Names, "text": _Text, "substitute": _Substitute, "date": _Date, "style": _Style,
         "group": _Group, "label": _Label, "date-part": _DatePart}


# --- entries -> citeproc references ----------------------------------------------------------------

def to_reference(entry: dict, style: LoadedStyle) -> Any:
    """A citeproc Reference from a CSL-JSON entry, normalised and with rich text as markers."""
    e = style.engine
    fields = {}
    for key, value in normalise(entry, style).items():
        if key in NAME_VARIABLES:
            converted = to_names(value, e)
        elif key in DATE_VARIABLES:
            converted = to_date(value, e)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            converted = rich(str(value), e, link="doi" if key == "DOI" else "url" if key == "URL" else None)
        else:
            converted = None
        if converted:
            fields[key.replace("-", "_")] = converted
    if isinstance(entry.get("language"), str):
        fields["language"] = entry["language"]
    fields["docbuild_locator"] = e.MixedString([e.RichString(SLOT)])   # see LoadedStyle.render
    with warnings.catch_warnings():   # citeproc-py warns about every variable it does not know
        warnings.simplefilter("ignore")
        return e.Reference("item", str(entry.get("type") or "document"), **fields)


def normalise(entry: dict, style: "LoadedStyle") -> dict:
    """The fields as the style should see them."""
    out = {k: v for k, v in entry.items() if k not in NEVER_PRINTED and v not in (None, "", [], {})}
    if "journalAbbreviation" in out:
        out.setdefault("container-title-short", out.pop("journalAbbreviation"))
    if "shortTitle" in out:
        out.setdefault("title-short", out.pop("shortTitle"))
    for old, new in (("event", "event-title"), ("event-title", "event")):
        if old in out:
            out.setdefault(new, out[old])
    if isinstance(out.get("DOI"), str):
        out["DOI"] = normalise_doi(out["DOI"])
        if isinstance(out.get("URL"), str) and normalise_doi(out["URL"]).lower() == out["DOI"].lower():
            del out["URL"]   # the DOI's own address: printed once, as the DOI
    if isinstance(out.get("page"), (str, int)) and style.page_format:   # the style shortens them again
        out["page"] = expand_ranges(str(out["page"]))
    if style.ama:
        out.pop("publisher-place", None)
    return out


def normalise_doi(doi: str) -> str:
    """The bare DOI (links.normalise_doi); a value that is not one is kept as written."""
    return links.normalise_doi(doi) or doi.strip()


def to_names(value: Any, e: SimpleNamespace) -> list | None:
    if not isinstance(value, list):
        return None
    names = []
    for person in value:
        if not isinstance(person, dict):
            continue
        literal = person.get("literal")
        parts = name_parts(person)
        if isinstance(literal, str) and literal.strip():
            names.append(e.Name(literal=plain(literal)))
        elif "family" in parts:
            names.append(e.Name(**parts))
        elif "given" in parts:   # a single name such as "Plato", filed as a given name
            names.append(e.Name(literal=parts["given"]))
    return names or None


NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix")


def name_parts(person: dict) -> dict[str, str]:
    """The parts of a name, with particles parsed out of family and given names as CSL processors
    do ("von Hoppel" -> particle "von", family "Hoppel"); a family name in quotes is taken as is."""
    parts = {k: plain(person[k]) for k in NAME_PARTS if isinstance(person.get(k), str) and person[k].strip()}
    family = parts.get("family", "")
    if len(family) > 1 and family[0] == family[-1] == '"':
        parts["family"] = family[1:-1]
        return parts
    if person.get("parse-names") in (False, "false"):
        return parts
    given = parts.get("given", "")
    if re.fullmatch(r"[A-Z]{2,4}", given):   # "IE", as PubMed and AMA write initials: two initials,
        parts["given"] = ". ".join(given) + "."   # not one name ("Dohns IE", never "Dohns I")
    if "suffix" not in parts and (match := re.fullmatch(r"(.+?),!? +(\S.*)", parts.get("given", ""))):
        parts.update({"given": match.group(1), "suffix": match.group(2)})   # "John, III"
    if {"non-dropping-particle", "dropping-particle"} & set(parts):
        return parts
    words = family.split(" ")
    lead = []
    while len(words) > 1 and words[0][:1].islower():
        lead.append(words.pop(0))
    if lead:
        parts.update({"non-dropping-particle": " ".join(lead), "family": " ".join(words)})
    given = parts.get("given", "").split(" ")
    tail = []
    while len(given) > 1 and given[-1][:1].islower():
        tail.insert(0, given.pop())
    if tail:
        parts.update({"dropping-particle": " ".join(tail), "given": " ".join(given)})
    return parts


def to_date(value: Any, e: SimpleNamespace) -> Any | None:
    parsed = date_parts(value)
    if parsed is None:
        return None
    circa = isinstance(value, dict) and bool(value.get("circa"))
    if isinstance(parsed, str):
        return e.LiteralDate(parsed, circa=circa)
    if len(parsed) == 1 or parsed[1] == parsed[0]:
        return e.Date(circa=circa, **parsed[0])
    return e.DateRange(begin=e.Date(**parsed[0]), end=e.Date(**parsed[1]), circa=circa)


def date_parts(value: Any) -> list[dict] | str | None:
    """A CSL-JSON date as one or two {year, month|season, day} dicts, or a literal text."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return parse_raw_date(str(value)) or str(value)
    if not isinstance(value, dict):
        return None
    raw_parts = value.get("date-parts")
    parts = [p for p in (_one_date(x) for x in raw_parts[:2]) if p] if isinstance(raw_parts, list) else []
    if len(parts) == 1 and isinstance(raw_parts, list) and len(raw_parts) > 1 and _is_open_end(raw_parts[1]):
        parts.append({"year": 0})   # [[2014], [0]]: an open range, "2014–"
    if not parts and isinstance(value.get("raw"), str):
        parts = parse_raw_date(value["raw"]) or []
    if not parts:
        text = value.get("literal") or value.get("raw")
        return plain(str(text)) if text else None
    season = _season(value.get("season"))
    if season and "month" not in parts[0] and "season" not in parts[0]:
        parts[0]["season"] = season
    return parts


def _is_open_end(parts: Any) -> bool:
    return isinstance(parts, list) and len(parts) >= 1 and str(parts[0]).strip() in ("0", "")


def _one_date(parts: Any) -> dict | None:
    if not isinstance(parts, (list, tuple)):
        return None
    numbers = []
    for part in parts[:3]:
        try:
            numbers.append(int(str(part).strip()))
        except ValueError:
            break
    if not numbers or numbers[0] == 0:
        return None
    out = {"year": numbers[0]}
    month = numbers[1] if len(numbers) > 1 else 0
    if 1 <= month <= 12:
        out["month"] = month
        if len(numbers) > 2 and 1 <= numbers[2] <= 31:
            out["day"] = numbers[2]
    elif 13 <= month <= 16 or 21 <= month <= 24:   # seasons as pseudo-months (CSL 1.0.2)
        out["season"] = (month - 12) if month <= 16 else (month - 20)
    return out


def _season(value: Any) -> int | None:
    if isinstance(value, int) and 1 <= value <= 4:
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        return int(text) if text in ("1", "2", "3", "4") else SEASONS.get(text)
    return None


_ISO = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:T[\d:.]+Z?)?")
_WORDY = re.compile(r"(?:([A-Za-z]+)\.? (\d{1,2}),?|(\d{1,2}) ([A-Za-z]+)\.?|([A-Za-z]+)\.?,?) (\d{4})")
MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december")


def parse_raw_date(raw: str) -> list[dict] | None:
    """ "2019", "2019-05-01", "2019/2020", "May 1, 2019", "1 May 2019", "Spring 2019"; else None."""
    raw = raw.strip()
    if "/" in raw:
        halves = [parse_raw_date(half) for half in raw.split("/", 1)]
        return [halves[0][0], halves[1][0]] if all(halves) else None
    if match := _ISO.fullmatch(raw):
        return [_one_date([g for g in match.groups() if g])]
    if match := re.fullmatch(r"(\d{4})\s*[-\u2013]\s*(\d{4})", raw):
        return [{"year": int(match.group(1))}, {"year": int(match.group(2))}]
    if match := _WORDY.fullmatch(raw):
        word1, day1, day2, word2, word3, year = match.groups()
        word, day = word1 or word2 or word3, day1 or day2
        if month := _month(word):
            return [_one_date([int(year), month] + ([int(day)] if day else []))]
        if (season := SEASONS.get(word.lower())) and not day:
            return [{"year": int(year), "season": season}]
    return None


def _month(word: str) -> int | None:
    word = word.lower()
    for number, name in enumerate(MONTH_NAMES, start=1):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return number
    return None


# --- rich text -------------------------------------------------------------------------------------

def segments(text: str) -> list[tuple[bool, str]]:
    """CSL-JSON rich text as (nocase, text with markers) runs; unknown tags stay as text."""
    runs: list[tuple[bool, str]] = []
    stack: list[str] = []
    pos = 0

    def add(chunk: str) -> None:
        if chunk:
            nocase = "nocase" in stack or "nodecor" in stack
            if runs and runs[-1][0] == nocase:
                runs[-1] = (nocase, runs[-1][1] + chunk)
            else:
                runs.append((nocase, chunk))

    for match in _RICH_TAG.finditer(text):
        add(_clean(text[pos:match.start()]))
        pos = match.end()
        kind = _tag_kind(match.group(2).lower(), match.group(3) or "")
        if match.group(1):
            _close(stack, kind, add)
        else:
            stack.append(kind)
            add(MARK[kind][0] if kind in MARK else "")
    add(_clean(text[pos:]))
    _close(stack, None, add)
    return runs


def _tag_kind(tag: str, attributes: str) -> str:
    if tag != "span":
        return _RICH_NAMES[tag]
    if "nocase" in attributes:
        return "nocase"
    if "nodecor" in attributes:
        return "nodecor"
    return "sc" if "small-caps" in attributes else "span"


def _close(stack: list[str], kind: str | None, add: Any) -> None:
    """Close `kind` (any span for </span>, everything for None) and what was opened inside it;
    each closing marker goes in the run its tag opened (a nocase run keeps its own markers)."""
    spans = ("nocase", "nodecor", "sc", "span")
    wanted = [i for i, k in enumerate(stack) if kind is None or k == kind or (kind in spans and k in spans)]
    if not wanted:
        return
    start = 0 if kind is None else wanted[-1]
    while len(stack) > start:
        add(MARK[stack[-1]][1] if stack[-1] in MARK else "")
        stack.pop()


_APOSTROPHE = re.compile(r"(?<=\w)'|'(?=\d)")


def _clean(text: str) -> str:
    """Entities decoded, white space single, and typewriter apostrophes typeset ("women's" -> "women’s")."""
    return _APOSTROPHE.sub("\u2019", re.sub(r"\s+", " ", PRIVATE.sub("", html.unescape(text))))


def marked(text: str) -> str:
    """Rich text as one string with markers (no nocase distinction)."""
    return "".join(chunk for _, chunk in segments(text))


def plain(text: str) -> str:
    return PRIVATE.sub("", re.sub(r"\s+", " ", html.unescape(_RICH_TAG.sub("", text)))).strip()


def rich(text: str, e: SimpleNamespace, link: str | None = None) -> Any | None:
    runs = segments(text)
    if not runs:
        return None
    if link:
        value = plain(text)
        return e.MixedString([e.RichString(MARK[link][0] + value + MARK[link][1])]) if value else None
    return e.MixedString([e.NoCase(chunk) if nocase else e.RichString(chunk) for nocase, chunk in runs])


# --- locators --------------------------------------------------------------------------------------

LOCATOR_LABELS = {
    "p": "page", "pp": "page", "pg": "page", "pgs": "page", "page": "page", "pages": "page",
    "ch": "chapter", "chs": "chapter", "chap": "chapter", "chaps": "chapter", "chapter": "chapter",
    "chapters": "chapter", "fig": "figure", "figs": "figure", "figure": "figure", "figures": "figure",
    "sec": "section", "secs": "section", "sect": "section", "sects": "section", "section": "section",
    "sections": "section", "§": "section", "§§": "section", "para": "paragraph", "paras": "paragraph",
    "paragraph": "paragraph", "paragraphs": "paragraph", "¶": "paragraph", "vol": "volume",
    "vols": "volume", "volume": "volume", "volumes": "volume", "l": "line", "ll": "line", "line": "line",
    "lines": "line", "n": "note", "nn": "note", "note": "note", "notes": "note", "col": "column",
    "cols": "column", "column": "column", "app": "appendix", "appendix": "appendix", "pt": "part",
    "part": "part", "bk": "book", "book": "book", "tab": "table", "tbl": "table", "table": "table",
    "suppl": "supplement", "supp": "supplement", "supplement": "supplement", "v": "verse",
    "vv": "verse", "verse": "verse", "fol": "folio", "op": "opus", "no": "issue", "issue": "issue",
}
_LOCATOR = re.compile(r"([A-Za-z]+|§§?|¶)\.?\s*(\S.*)")
_MULTIPLE = re.compile(r"\d+\s*[-\u2013\u2014,&]\s*\d+")


def parse_locator(text: str) -> tuple[str | None, str]:
    """ "p. 3" -> ("page", "3"); "chap. 2" -> ("chapter", "2"); "3" -> ("page", "3");
    text that names no known label -> (None, text), printed as typed."""
    text = text.strip()
    match = _LOCATOR.fullmatch(text)
    if match and match.group(1).lower() in LOCATOR_LABELS and re.match(r"[\dIVXLCivxlc]", match.group(2)):
        return LOCATOR_LABELS[match.group(1).lower()], match.group(2).strip()
    if re.fullmatch(r"\d[\dA-Za-z]*(\s*[-\u2013\u2014,&]\s*\d[\dA-Za-z]*)*", text):
        return "page", text
    return None, text


def format_locator(label: str | None, value: str, style: LoadedStyle) -> str:
    """The locator as the style labels it, e.g. "pp 3-5" for AMA, "pp. 3\u20135" for Vancouver."""
    if label is None:
        return value
    if label == "page":
        value = collapse_ranges(expand_ranges(value), style.page_format, style.page_delimiter)
    term = style.term(label, None if style.locator_form == "long" else style.locator_form,
                      plural=bool(_MULTIPLE.search(value)))
    if style.locator_strip:
        term = term.replace(".", "")
    return f"{term} {value}" if term else value


_RANGE = re.compile(r"\b([A-Za-z]?)(\d+)\s*[-\u2013\u2014]\s*([A-Za-z]?)(\d+)\b")


def expand_ranges(pages: str) -> str:
    """ "245-55" -> "245-255": the full last number, which a style may then shorten again."""
    def expand(match: re.Match) -> str:
        prefix, first, prefix2, last = match.groups()
        if len(last) < len(first) and (not prefix2 or prefix2 == prefix):
            full = first[:len(first) - len(last)] + last
            if int(full) > int(first):
                last = full
        return f"{prefix}{first}-{prefix2}{last}"
    return _RANGE.sub(expand, pages)


def collapse_ranges(pages: str, fmt: str | None, delimiter: str) -> str:
    """Shorten page ranges as the style's page-range-format says (after `expand_ranges`)."""
    def collapse(match: re.Match) -> str:
        prefix, first, prefix2, last = match.groups()
        if fmt and fmt != "expanded" and len(first) == len(last):
            common = next((i for i, (a, b) in enumerate(zip(first, last)) if a != b), len(first))
            keep = len(last) - common if fmt == "minimal" else max(len(last) - common, 2)
            last = last[-max(keep, 1):]
        return f"{prefix}{first}{delimiter}{prefix2}{last}"
    return _RANGE.sub(collapse, pages)


# --- the short form, the sort key, the fallback -----------------------------------------------------

def short_form(entry: dict, locator_text: str, style: LoadedStyle) -> str:
    """ "Lundberg et al. Psychophysiological stress responses. 1999, p 3", with markers."""
    people = _people(entry)
    if len(people) >= 3:
        lead = f"{_surname(people[0])} {style.term('et-al') or 'et al.'}"
    elif len(people) == 2:
        lead = f"{_surname(people[0])} {style.term('and') or 'and'} {_surname(people[1])}"
    else:
        lead = _surname(people[0]) if people else ""
    title = short_title(entry)
    if title and style.ama and entry.get("type") in AMA_ITALIC_TYPES:
        title = MARK["i"][0] + title + MARK["i"][1]
    text = ""
    for part in (lead, title, first_year(entry)):
        if part:
            ends = PRIVATE.sub("", text)[-1:]
            text += part if not text else (" " if ends in ".?!\u2026" else ". ") + part
    return text + (f", {locator_text}" if locator_text else "")   # fits "(…, p 3)" and "…, p 3. See note 2."


def _people(entry: dict) -> list[dict]:
    for variable in ("author", "editor", "collection-editor", "director", "composer"):
        people = [p for p in entry.get(variable) or [] if isinstance(p, dict)] \
            if isinstance(entry.get(variable), list) else []
        people = [p for p in people if _surname(p)]
        if people:
            return people
    return []


def _surname(person: dict) -> str:
    if isinstance(person.get("literal"), str) and person["literal"].strip():
        return plain(person["literal"])
    parts = name_parts(person)
    name = " ".join(parts[k] for k in ("non-dropping-particle", "family") if k in parts)
    return name or parts.get("given", "")


def short_title(entry: dict) -> str:
    """The short title (with markers): `title-short`, else the main title cut at a natural break."""
    given = entry.get("title-short") or entry.get("shortTitle")
    if isinstance(given, str) and given.strip():
        return marked(given).strip()
    title = marked(entry["title"]).strip() if isinstance(entry.get("title"), str) else ""
    main = re.split(r":\s|(?<=[?!])\s+(?=[A-Z])", title, maxsplit=1)[0].strip()   # the subtitle goes
    if len(main.split()) > 8 and "," in main and len(main.split(",")[0].split()) >= 2:
        main = main.split(",")[0].strip()
    if len(main.split()) > 8:
        main = " ".join(main.split()[:6]) + "\u2026"
    return main.rstrip(" .")


def first_year(entry: dict) -> str:
    parsed = date_parts(entry.get("issued"))
    if isinstance(parsed, list):
        return str(parsed[0]["year"])
    return parsed or ""


def sort_key(key: str, entry: dict) -> tuple:
    """(names or title, year, title, key), accents folded and case ignored."""
    names = " ".join(_fold(_sort_name(p)) for p in _people(entry))
    title = _fold(plain(entry["title"])) if isinstance(entry.get("title"), str) else ""
    primary = names or re.sub(r"^(a|an|the) ", "", title)
    year = first_year(entry)
    return (primary, int(year) if year.isdigit() else 0, title, key)


def _sort_name(person: dict) -> str:
    if isinstance(person.get("literal"), str):
        return person["literal"]
    parts = name_parts(person)   # particles demoted: "van Gogh" is filed under G
    return " ".join(parts[k] for k in ("family", "given", "dropping-particle", "non-dropping-particle",
                                       "suffix") if k in parts)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", bare)).strip()


def _fallback(entry: dict, locator_text: str) -> str:
    """A plain reference for an entry citeproc-py could not render."""
    names = ", ".join(_surname(p) for p in _people(entry)[:6])
    title = marked(entry["title"]) if isinstance(entry.get("title"), str) else ""
    container = entry.get("container-title") if isinstance(entry.get("container-title"), str) else ""
    parts = [names, title, marked(container), first_year(entry)]
    text = ". ".join(p for p in parts if p) + "."
    if locator_text:
        text = text[:-1] + f" ({locator_text})."
    doi = entry.get("DOI")
    if isinstance(doi, str) and doi.strip():
        text += f" doi:{MARK['doi'][0]}{normalise_doi(plain(doi))}{MARK['doi'][1]}"
    return text


# --- output: tidy punctuation, then markers -> HTML ------------------------------------------------

_C = f"[{CLOSERS}]*"
_TIDY = [
    (re.compile(rf"([?!])({_C})\."), r"\1\2"),             # "Does it work?." -> "Does it work?"
    (re.compile(rf"(?<!\.)\.({_C})\.(?!\.)"), r".\1"),      # ".." (not "...") -> "."
    (re.compile(r"[ \t]+([.,;])"), r"\1"),                  # " ." -> "."
    (re.compile(rf"[,;:]({_C})\.(?!\.)"), r"\1."),          # ",." ";." ":." -> "."
    (re.compile(rf",({_C}),"), r"\1,"),                     # ",," -> ","
    (re.compile(r"\(\s*\)|\[\s*\]"), ""),                   # empty brackets
    (re.compile(r"\s{2,}"), " "),
]


def tidy(text: str) -> str:
    text = _CONTROL.sub("", text.replace("\n", " ").replace("\t", " "))
    for pattern, replacement in _TIDY:
        text = pattern.sub(replacement, text)
    return re.sub(r"^(?:[.,;:]+\s+)+", "", text.strip(" ,;:"))   # nothing before the first words


def to_html(text: str) -> str:
    """Escape the text, then turn the markers into tags and links."""
    text = html.escape(text, quote=False)
    text = re.sub(f"(https?://(?:dx\\.)?doi\\.org/)?{MARK['doi'][0]}([^{MARK['doi'][1]}]*){MARK['doi'][1]}",
                  _doi_link, text)
    text = re.sub(f"{MARK['url'][0]}([^{MARK['url'][1]}]*){MARK['url'][1]}", _url_link, text)
    return PRIVATE.sub("", re.sub(r"<(i|b|sup|sub)></\1>", "", _tags(text))).strip()


def _doi_link(match: re.Match) -> str:
    prefix, doi = match.group(1) or "", match.group(2)
    href = "https://doi.org/" + quote(html.unescape(doi), safe="/:;()._-~")
    return f'<a href="{html.escape(href)}">{prefix}{doi}</a>'


def _url_link(match: re.Match) -> str:
    url = match.group(1)
    raw = html.unescape(url)
    if not re.match(r"(?i)(https?|ftp)://", raw):   # never a javascript: or data: link
        return url
    href = quote(raw, safe=":/?#[]@!$&'()*+,;=%~")
    return f'<a href="{html.escape(href)}">{url}</a>'


def _tags(text: str) -> str:
    """Markers -> tags, always well nested; a decoration inside the same decoration flips it off."""
    out: list[str] = []
    stack: list[tuple[str, str, str]] = []   # (kind, opening tag, closing tag)
    for char in text:
        if char not in _KIND:
            out.append(char)
            continue
        kind, opening = _KIND[char]
        if kind == "nodecor":
            out.append(_nodecor(stack, opening))
        elif kind not in _HTML_OPEN:   # a link marker left without its pair
            continue
        elif opening:
            flipped = kind in _FLIP and sum(1 for k, *_ in stack if k == kind) % 2 == 1
            tags = (_FLIP[kind], "</span>") if flipped else (_HTML_OPEN[kind], _HTML_CLOSE[kind])
            out.append(tags[0])
            stack.append((kind, *tags))
        elif any(k == kind for k, *_ in stack):
            reopen = []
            while stack[-1][0] != kind:
                reopen.append(stack.pop())
                out.append(reopen[-1][2])
            out.append(stack.pop()[2])
            for entry in reversed(reopen):
                out.append(entry[1])
                stack.append(entry)
    out.extend(closing for *_, closing in reversed(stack))
    return "".join(out)


def _nodecor(stack: list[tuple[str, str, str]], opening: bool) -> str:
    """<span class="nodecor"> undoes the decorations around it (it is not kept on the stack)."""
    resets = list(dict.fromkeys(_RESET[k] for k, *_ in stack if k in _RESET))
    if not resets:
        return ""
    return f'<span style="{";".join(resets)}">' if opening else "</span>"
