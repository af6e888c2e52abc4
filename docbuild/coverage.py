"""Coverage: before layout, check that every character of the book is in a font that will set it.

A character that no font in the fallback chain maps would print as an empty box (or not at all), so
it is an error at its file and line that names its script and says how to add a font to the brand
pack. Each font's character map is read once with fontTools and cached by path and modification time.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

# characters that take no glyph: shaping and layout controls that renderers hide when a font lacks
# them (Unicode's Default_Ignorable_Code_Point: soft hyphen, ZWJ/ZWNJ, bidi marks, variation
# selectors, tags...); whitespace and control characters are skipped as well
_IGNORABLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
                        "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
# Unicode blocks of pictographs: their characters are "Emoji" to the reader of an error
_EMOJI_BLOCKS = {"Emoticons", "Miscellaneous Symbols and Pictographs", "Supplemental Symbols and Pictographs",
                 "Symbols and Pictographs Extended-A", "Transport and Map Symbols",
                 "Enclosed Alphanumeric Supplement", "Playing Cards", "Mahjong Tiles", "Domino Tiles"}
_SCRIPT_NAMES = {"Hani": "Chinese (Han)", "Hira": "Japanese (Hiragana)", "Kana": "Japanese (Katakana)",
                 "Hang": "Korean (Hangul)", "Bopo": "Chinese (Bopomofo)"}
# a font to suggest, where "Noto Sans <script>" is not the right name
_SUGGESTED = {"Chinese (Han)": "Noto Sans SC (simplified Chinese) or Noto Sans TC (traditional)",
              "Chinese (Bopomofo)": "Noto Sans TC", "Japanese (Hiragana)": "Noto Sans JP",
              "Japanese (Katakana)": "Noto Sans JP", "Korean (Hangul)": "Noto Sans KR",
              "Latin": "Noto Sans", "Greek": "Noto Sans", "Cyrillic": "Noto Sans",
              "Emoji": "Noto Emoji (black and white) would do, or write the emoji as words"}
HOW_TO_ADD = ("add a font that covers {them} to the brand pack's fonts/ folder (TTF, OTF or WOFF2): every "
              "font there fills in where the others lack a character")

_CMAPS: dict[tuple[str, int, int], frozenset[int]] = {}   # (path, mtime_ns, size) -> code points


def font_codepoints(path: Path) -> frozenset[int]:
    """The code points a font file maps to glyphs, read once per version of the file."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CMAPS:
        from fontTools.ttLib import TTFont
        with TTFont(path, lazy=True, fontNumber=0) as font:
            _CMAPS[key] = frozenset(font.getBestCmap() or {})
    return _CMAPS[key]


class Coverage:
    """The characters that a fallback chain of font files can set."""

    def __init__(self, font_files: Sequence[Path]):
        self.font_files = tuple(Path(f) for f in font_files)
        self._covered: frozenset[int] | None = None   # read on first use

    @property
    def covered(self) -> frozenset[int]:
        if self._covered is None:
            self._covered = frozenset().union(*(font_codepoints(f) for f in self.font_files))
        return self._covered

    def missing(self, text: str) -> list[str]:
        """The characters of `text` that no font covers, in order of first appearance."""
        covered = self.covered
        unknown = [c for c in dict.fromkeys(text) if ord(c) not in covered and not _needs_no_glyph(c)]
        if not unknown:
            return []
        unknown = [c for c in unknown if not self._covered_as(unicodedata.normalize("NFD", c))]
        marks = [c for c in unknown if unicodedata.category(c).startswith("M")]
        if marks:   # the shaper composes base + mark into one glyph when the font has it
            composed = set(unicodedata.normalize("NFC", text))
            settled = {m for m in marks if m not in composed} if self._covered_as(composed - set(text)) else set()
            unknown = [c for c in unknown if c not in settled]
        return unknown

    def _covered_as(self, chars: Iterable[str]) -> bool:
        return all(ord(c) in self.covered or _needs_no_glyph(c) for c in chars)


def _needs_no_glyph(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cc" or bool(_IGNORABLE.match(char))


def script_name(char: str) -> str:
    """A reader's name for the script of `char`: "Chinese (Han)", "Arabic", "Emoji", "Cyrillic"...

    Punctuation and marks that several scripts share go with the script of their block (the Arabic
    comma is Arabic, 。 is Chinese); other shared characters are named by their Unicode block.
    """
    from fontTools import unicodedata as ucd

    code = _script_code(char)
    if code in _SCRIPT_NAMES:
        return _SCRIPT_NAMES[code]
    if code not in ("Zyyy", "Zinh", "Zzzz"):
        return ucd.script_name(code)
    block = ucd.block(char)
    if block in _EMOJI_BLOCKS:
        return "Emoji"
    if code == "Zinh":
        return f"combining marks ({block})"
    if block == "No_Block" or unicodedata.category(char) in ("Co", "Cn"):
        return "unassigned or private-use characters"
    return f"symbols ({block})"


def _script_code(char: str) -> str:
    """ISO 15924 code of `char`'s script; for a shared character, the one script its block names."""
    from fontTools import unicodedata as ucd

    code = ucd.script(char)
    if code not in ("Zyyy", "Zinh"):
        return code
    shared = sorted(set(ucd.script_extension(char)) - {"Zyyy", "Zinh"})
    block = ucd.block(char)
    if "Hani" in shared or block.startswith("CJK") or block == "Halfwidth and Fullwidth Forms":
        return "Hani"
    named = [s for s in shared if ucd.script_name(s) in block]
    return named[0] if named else shared[0] if len(shared) == 1 else code


def uncovered_problems(text: str, coverage: Coverage) -> list[tuple[int, str]]:
    """(1-based line, message) for each script on each line of `text` that no font covers."""
    gaps = set(coverage.missing(text))
    if not gaps:
        return []
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        if gaps.isdisjoint(line):
            continue
        by_script: dict[str, list[str]] = {}
        for char in dict.fromkeys(c for c in line if c in gaps):
            by_script.setdefault(script_name(char), []).append(char)
        problems += [(number, _message(script, chars)) for script, chars in by_script.items()]
    return problems


def _message(script: str, chars: list[str]) -> str:
    one = len(chars) == 1
    shown = "".join(chars) if len(chars) <= 12 else "".join(chars[:12]) + "…"
    codes = " ".join(f"U+{ord(c):04X}" for c in chars[:4]) + (" …" if len(chars) > 4 else "")
    message = (f"the {'character' if one else 'characters'} {shown} ({script}: {codes}) {'is' if one else 'are'} "
               f"in no font the handout uses: " + HOW_TO_ADD.format(them="it" if one else "them"))
    suggested = _suggestion(script)
    return f"{message}; {suggested}" if suggested else message


def _suggestion(script: str) -> str:
    if script in _SUGGESTED:
        text = _SUGGESTED[script]
    elif script.startswith("symbols"):
        text = "Noto Sans Symbols 2 or Noto Sans Math"
    elif "(" not in script and not script.startswith("unassigned"):
        text = f"Noto Sans {script}"
    else:
        return ""
    return text if " would do" in text else f"{text} would do"


def glyphs_in_pdf(pdf_path: Path) -> set[str]:
    """The characters that glyphs of the PDF's embedded fonts map back to (their /ToUnicode CMaps).

    For tests: every character of the source should be here. Codes drawn with the .notdef glyph
    (WeasyPrint 70 gives each a code whose ToUnicode entry is the missing character, so that copying
    the text still works) do not count: the reader saw an empty box.
    """
    from pypdf import PdfReader

    chars: set[str] = set()
    seen: set[int] = set()   # resource and font dictionaries already read
    for page in PdfReader(pdf_path).pages:
        for font in _fonts(page.get("/Resources"), seen):
            if "/ToUnicode" in font and id(font) not in seen:
                seen.add(id(font))
                shown = _to_unicode(font["/ToUnicode"].get_object().get_data())
                blank = _notdef_codes(font)
                chars.update(c for code, text in shown.items() if code not in blank for c in text)
    return chars


def _fonts(resources, seen: set[int]) -> Iterator:
    """Every font dictionary of a resource dictionary, looking into form XObjects too."""
    if resources is None:
        return
    resources = resources.get_object()
    if id(resources) in seen:
        return
    seen.add(id(resources))
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts(xobject.get("/Resources"), seen)


_HEX = rb"<([0-9A-Fa-f]+)>"
_TARGET = rb"(<[0-9A-Fa-f\s]*>|\[[^\]]*\])"


def _sections(data: bytes, name: bytes) -> list[bytes]:
    return re.findall(rb"begin" + name + rb"(.*?)end" + name, data, re.S)


def _to_unicode(data: bytes) -> dict[int, str]:
    """Character code -> text, from a ToUnicode CMap's bfchar and bfrange sections."""
    mapping: dict[int, str] = {}
    for block in _sections(data, b"bfchar"):
        for code, target in re.findall(_HEX + rb"\s*" + _TARGET, block):
            mapping[int(code, 16)] = _utf16(target.strip(b"<>"))
    for block in _sections(data, b"bfrange"):
        for low, high, target in re.findall(_HEX + rb"\s*" + _HEX + rb"\s*" + _TARGET, block):
            codes = range(int(low, 16), int(high, 16) + 1)
            if target.startswith(b"["):
                mapping.update(zip(codes, (_utf16(t) for t in re.findall(_HEX, target))))
            elif first := _utf16(target.strip(b"<>")):   # the last character counts up the range
                mapping.update((code, first[:-1] + chr(ord(first[-1]) + i)) for i, code in enumerate(codes))
    return mapping


def _notdef_codes(font) -> set[int]:
    """The codes of a composite (Type0) font that draw glyph 0, .notdef."""
    if font.get("/Subtype") != "/Type0":
        return set()
    cids = _code_to_cid(font["/Encoding"].get_object())
    to_gid = font["/DescendantFonts"][0].get_object().get("/CIDToGIDMap")
    to_gid = to_gid.get_object() if to_gid is not None else None
    if not hasattr(to_gid, "get_data"):   # /Identity: the CID is the glyph id
        return {0} if cids is None else {code for code, cid in cids.items() if cid == 0}
    table = to_gid.get_data()
    gids = [int.from_bytes(table[i:i + 2], "big") for i in range(0, len(table) - 1, 2)]
    if cids is None:
        cids = {cid: cid for cid in range(len(gids))}
    return {code for code, cid in cids.items() if cid >= len(gids) or gids[cid] == 0}


def _code_to_cid(encoding) -> dict[int, int] | None:
    """An embedded encoding CMap's code -> CID; None for Identity-H/V, where the code is the CID."""
    if not hasattr(encoding, "get_data"):
        return None
    data, cids = encoding.get_data(), {}
    for block in _sections(data, b"cidchar"):
        cids.update((int(code, 16), int(cid)) for code, cid in re.findall(_HEX + rb"\s*(\d+)", block))
    for block in _sections(data, b"cidrange"):
        for low, high, cid in re.findall(_HEX + rb"\s*" + _HEX + rb"\s*(\d+)", block):
            cids.update((code, int(cid) + i) for i, code in enumerate(range(int(low, 16), int(high, 16) + 1)))
    return cids


def _utf16(hexdigits: bytes) -> str:
    raw = bytes.fromhex(re.sub(rb"\s", b"", hexdigits).decode("ascii"))
    return raw.decode("utf-16-be", errors="replace")
