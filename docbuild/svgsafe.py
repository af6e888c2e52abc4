"""SVG safety: refuse an SVG that could run code, read files or reach the network when it is shown.

An SVG is XML, and XML can declare entities (a few lines that expand to gigabytes), carry scripts and
event handlers, embed web pages (<foreignObject>), and load style sheets, fonts and images from
anywhere through `href`, `url(...)` and `@import`. `svg_problems` parses the file with defusedxml
(no DTD, no entities, no external references, nothing fetched) and lists every such thing with its
line, in words staff can act on. It refuses; it never tries to clean a file up.
"""
from __future__ import annotations

import re
from typing import Callable
from urllib.parse import unquote
from xml.sax import SAXParseException
from xml.sax.expatreader import ExpatLocator
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

SVG_NS = "http://www.w3.org/2000/svg"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XHTML_NS = "http://www.w3.org/1999/xhtml"
FORBIDDEN = {"script": "a <script>", "foreignobject": "a <foreignObject> (web page content inside the image)",
             "handler": "a <handler> (a script)", "listener": "a <listener> (a script)",
             "iframe": "an <iframe>", "embed": "an <embed>", "object": "an <object>", "audio": "an <audio>",
             "video": "a <video>", "canvas": "a <canvas>"}
ANIMATIONS = {"animate", "set", "animatetransform", "animatemotion", "animatecolor"}
MAX_PROBLEMS = 50
MAX_COPIES = 100_000           # drawings made by <use> of <use> of ... (an SVG "billion laughs")
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\r\n\f])|([\s\S]))")
_CSS_URL = re.compile(r"url\s*\(\s*(?:\"([^\"]*)\"?|'([^']*)'?|([^)\s]*))")
_CSS_LOADERS = re.compile(r"(?<![\w-])((?:-webkit-)?image-set|image|cross-fade|element|src|expression)\s*\(")
_CSS_BINDINGS = re.compile(r"-moz-binding|(?<![\w-])behavior\s*:")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
_SCHEMES = {"data:": "carries embedded data (data:)", "javascript:": "runs a script (javascript:)",
            "file:": "points to a file on the computer (file:)"}


def svg_problems(data: bytes, is_allowed_file: Callable[[str], bool]) -> list[tuple[int, str]]:
    """(line, message) for everything unsafe or broken in an SVG file; empty when it is safe.

    `is_allowed_file(path)` is asked about each relative file the SVG points to (`href="logo.png"`),
    after percent-decoding; fragments (`#id`) are always allowed, everything else is refused.
    """
    text, problem = _decode(data)
    if problem:
        return [problem]
    checker = _Checker(is_allowed_file)
    parser = DefusedExpatParser(namespaceHandling=1, forbid_dtd=True, forbid_entities=True,
                                forbid_external=True)
    parser.setContentHandler(checker)
    checker.setDocumentLocator(ExpatLocator(parser))
    try:
        parser.feed(text)
        parser.close()
    except DefusedXmlException:
        checker.add(parser.getLineNumber() or _line_of(text, "<!"),
                    "the SVG has a DOCTYPE or entity declaration, which can make it unpack to gigabytes "
                    "or read other files: delete the <!DOCTYPE …> part (and any <!ENTITY …> lines)")
    except SAXParseException as exc:
        checker.add(exc.getLineNumber() or 1, f"the SVG is not well-formed XML ({exc.getMessage()}): "
                    "export it again from the drawing program, or fix the file at this line")
    else:
        checker.finish()
    return checker.result()


def _decode(data: bytes) -> tuple[str, tuple[int, str] | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return "", (line, "the SVG is not UTF-8 text: save (export) it as UTF-8")
    declared = re.match(r"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']", text)
    if declared and declared.group(1).lower().replace("-", "") != "utf8":
        return "", (1, f'the SVG declares the encoding "{declared.group(1)}": save it as UTF-8 and write '
                       'encoding="UTF-8" in its first line')
    return text, None


def _line_of(text: str, needle: str) -> int:
    return text[:max(text.find(needle), 0)].count("\n") + 1


class _Checker(ContentHandler):
    """Collects problems while the SAX parser walks the file."""

    def __init__(self, is_allowed_file: Callable[[str], bool]):
        super().__init__()
        self.is_allowed_file = is_allowed_file
        self.problems: list[tuple[int, str]] = []
        self.stack: list[tuple[str, str | None]] = []     # (local name, id) of open elements
        self.style: list[str] | None = None               # text of the <style> being read
        self.style_line = 0
        self.uses: list[str] = []                          # every <use href="#id"> target
        self.refs: dict[str, list[str]] = {}               # id -> targets of the <use>s inside it

    def setDocumentLocator(self, locator) -> None:
        self.locator = locator

    def line(self) -> int:
        return self.locator.getLineNumber() if getattr(self, "locator", None) else 0

    def add(self, line: int, message: str) -> None:
        self.problems.append((line, message))

    def startElementNS(self, name, qname, attrs) -> None:
        uri, local = name
        low, line = local.lower(), self.line()
        if not self.stack and low != "svg":
            self.add(line, f"the file's top element is <{qname or local}>, not <svg>: this is not an SVG "
                           "image; export the drawing as SVG")
        elif not self.stack and uri != SVG_NS:
            self.add(line, f'the <svg> element lacks xmlns="{SVG_NS}", so viewers will not draw it: '
                           "add that attribute, or export the drawing again as SVG")
        if low in FORBIDDEN or uri == XHTML_NS:
            what = FORBIDDEN.get(low, f"web page content (<{qname or local}>)")
            self.add(line, f"the SVG contains {what}, which images may not have: remove it "
                           "(or export the drawing again as a plain SVG)")
        for (attr_uri, attr), value in attrs.items():
            self._attribute(low, attr_uri, attr, attrs.getQNameByName((attr_uri, attr)) or attr, value, line)
        element_id = attrs.get((None, "id")) or attrs.get((XML_NS, "id"))
        self.stack.append((low, element_id))
        if low == "style":
            self.style, self.style_line = [], line

    def endElementNS(self, name, qname) -> None:
        low, _ = self.stack.pop()
        if low == "style" and self.style is not None:
            for message in css_problems("".join(self.style)):
                self.add(self.style_line, f"the <style> {message}")
            self.style = None

    def characters(self, content: str) -> None:
        if self.style is not None:
            self.style.append(content)

    def processingInstruction(self, target: str, data: str) -> None:
        if target.lower() == "xml-stylesheet":
            self.add(self.line(), "the SVG loads a style sheet (<?xml-stylesheet …?>): remove that line")

    def _attribute(self, element: str, uri: str | None, attr: str, qname: str, value: str, line: int) -> None:
        low = attr.lower()
        if low.startswith("on"):
            self.add(line, f"the attribute {qname} runs a script when the image is shown: remove it")
        elif low == "href":
            self._href(element, qname, value, line)
        elif uri == XML_NS and low == "base":
            self.add(line, "the SVG sets xml:base, which makes its links point somewhere else: remove it")
        elif element in ANIMATIONS and low == "attributename" and _animates_link(value):
            self.add(line, f'the <{element}> changes "{value.strip()}" while the image is shown, which '
                           "can turn it into a link or a script: remove this animation")
        if low != "href":
            for message in css_problems(value):
                self.add(line, f"the attribute {qname} {message}")

    def _href(self, element: str, qname: str, value: str, line: int) -> None:
        target = value.strip()
        problem = href_problem(target, self.is_allowed_file)
        if problem:
            self.add(line, f"the {qname} on <{element}> {problem}")
        elif element == "use" and target.startswith("#"):
            self.uses.append(target[1:])
            for _, ancestor in self.stack:
                if ancestor:
                    self.refs.setdefault(ancestor, []).append(target[1:])

    def finish(self) -> None:
        """Refuse <use> chains that draw a part in a loop or too many times."""
        costs: dict[str, int] = {}
        try:
            total = sum(_copies(target, self.refs, costs, set()) for target in self.uses)
        except ValueError:
            self.add(0, "the SVG has parts that <use> each other in a loop: export the drawing again")
            return
        except RecursionError:
            total = MAX_COPIES + 1
        if total > MAX_COPIES:
            self.add(0, f"the SVG repeats its parts (<use> inside <use>) into more than {MAX_COPIES:,} "
                        "copies, too many to draw: simplify the drawing")

    def result(self) -> list[tuple[int, str]]:
        found = sorted(set(self.problems))
        if len(found) > MAX_PROBLEMS:
            found = found[:MAX_PROBLEMS] + [(found[MAX_PROBLEMS][0], f"… and {len(found) - MAX_PROBLEMS} "
                                             "more problems like these")]
        return found


def _copies(target: str, refs: dict[str, list[str]], costs: dict[str, int], path: set[str]) -> int:
    """How many elements drawing `target` produces, counting the <use>s inside it."""
    if target in costs:
        return costs[target]
    if target in path:
        raise ValueError(target)
    path.add(target)
    costs[target] = min(1 + sum(_copies(t, refs, costs, path) for t in refs.get(target, ())), MAX_COPIES + 1)
    path.discard(target)
    return costs[target]


def _animates_link(value: str) -> bool:
    name = value.strip().lower().rsplit(":", 1)[-1]
    return name == "href" or name.startswith("on")


def href_problem(value: str, is_allowed_file: Callable[[str], bool]) -> str | None:
    """Why an SVG link is refused (completing "the href on <image> …"), or None."""
    target = value.strip()
    if target.startswith("#"):
        if re.fullmatch(r"#[\w.:-]+", target):
            return None
        return f'points to "{target}", which is not a plain #id: use href="#id" with the id of a part'
    compact = re.sub(r"[\x00-\x20\x7f]", "", target)
    if not compact:
        return "is empty: remove it, or point it to a part (#id)"
    scheme = _SCHEME.match(compact)
    if scheme or compact.startswith(("/", "\\")) or "\\" in compact:
        kind = scheme.group().lower() if scheme else ""
        where = _SCHEMES.get(kind, f'points outside the image ("{target}")')
        return (f"{where}: an SVG may only point to its own parts (#id) or to image files beside it; "
                "save the other image beside the SVG and point to its name")
    path = unquote(target.split("#", 1)[0])
    if "?" in path or re.search(r"[\x00-\x1f\x7f]", path) or not is_allowed_file(path):
        return (f'points to the file "{target}", which the build does not allow: keep the images an SVG '
                "uses in the same folder, and point to them by name")
    return None


def css_text(css: str) -> str:
    """CSS as the browser reads it, for searching: comments removed, escapes decoded, lower case."""
    css = re.sub(r"/\*.*?(?:\*/|$)", "", css, flags=re.S)
    return _CSS_ESCAPE.sub(_unescape, css).replace("\0", "").lower()


def _unescape(match: re.Match) -> str:
    hex_code, newline, char = match.groups()
    if hex_code:
        code = int(hex_code, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return "" if newline else char


def css_problems(css: str) -> list[str]:
    """What in a style (an attribute value or a <style> sheet) could load something, completing
    "the <style> …"; empty when it only uses its own parts (url(#id))."""
    if not any(c in css for c in "(@\\:") :
        return []
    text, found = css_text(css), []
    if "@import" in text:
        found.append("imports another style sheet (@import): remove the @import")
    for match in _CSS_URL.finditer(text):
        target = next((g for g in match.groups() if g is not None), "").strip()
        if not target.startswith("#"):
            found.append(f'loads "{target}" with url(…): an SVG may only use url(#id) for its own parts; '
                         "remove it, or use a colour instead")
    for match in _CSS_LOADERS.finditer(text):
        found.append(f"uses {match.group(1)}(…), which can load files or run code: remove it")
    if _CSS_BINDINGS.search(text):
        found.append("uses a script binding (-moz-binding or behavior): remove it")
    return found
