"""Font coverage: the shipped fonts cover Arabic and Hebrew; Chinese and emoji are errors at their line
until a brand pack adds a font; what WeasyPrint embeds maps back to the source's characters."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pypdf
import pytest

from docbuild.coverage import Coverage, font_codepoints, glyphs_in_pdf, script_name, uncovered_problems

FONTS = Path(__file__).resolve().parent.parent / "fonts"
PROJECT_FONTS = sorted(FONTS.glob("*.ttf"))
# Arabic with lam-alef ligatures, the Arabic comma and a fatha; Hebrew with niqqud
ARABIC = "يساعد المشي الخفيف كل يوم على تخفيف ألم الظهر، لا تبقَ في السرير."
HEBREW = "הליכה קלה בכל יום עוזרת להקל על כאבי גב. שָׁלוֹם"
CHINESE = "背痛很常见。每天散步有帮助。"
SHIPPED = ["NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf",
           "NotoSansHebrew-Regular.ttf", "NotoSansHebrew-Bold.ttf"]


def isolated_font_config(scope: object):
    """WeasyPrint's fonts as a build sees them: the project's fonts/ only, from a private fontconfig."""
    from docbuild.renderers.pdf import font_configuration
    return font_configuration((FONTS,), scope)


def han_font(path: Path, chars: str, family: str = "Docbuild Test Han") -> Path:
    """A tiny TrueType font with a glyph for each of `chars`: a stand-in for a 10 MB CJK font."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    names = {ord(c): f"uni{ord(c):04X}" for c in dict.fromkeys(chars)}
    pen = TTGlyphPen(None)   # a filled diamond: unlike a missing-glyph box
    pen.moveTo((500, -50))
    for point in ((100, 350), (500, 750), (900, 350)):
        pen.lineTo(point)
    pen.closePath()
    diamond = pen.glyph()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "space", *names.values()])
    builder.setupCharacterMap({32: "space", **names})
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "space": TTGlyphPen(None).glyph(),
                       **{name: diamond for name in names.values()}})
    builder.setupHorizontalMetrics({name: (1000, 0) for name in [".notdef", "space", *names.values()]})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": family, "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    builder.save(path)
    return path


def render(tmp_path: Path, body: str, faces: dict[str, Path], lang: str, name: str = "out.pdf") -> Path:
    """`body` set through the fallback chain Atkinson Hyperlegible, then `faces` in order, to a PDF."""
    import weasyprint
    font_config = isolated_font_config(tuple(sorted(map(str, faces.values()))))
    rules = "".join(f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); }}'
                    for family, path in faces.items())
    chain = ", ".join(f'"{family}"' for family in ("Atkinson Hyperlegible", *faces))
    html = (f'<html lang="{lang}"><head><style>{rules} body {{ font-family: {chain}; font-size: 14pt }}'
            f"</style></head><body>{body}</body></html>")
    target = tmp_path / name
    weasyprint.HTML(string=html, base_url=str(tmp_path)).write_pdf(target, font_config=font_config)
    return target


def embedded_fonts(pdf: Path) -> set[str]:
    return {str(font.get_object()["/BaseFont"]).split("+", 1)[-1]
            for page in pypdf.PdfReader(pdf).pages for font in page["/Resources"]["/Font"].values()}


def test_shipped_fonts_are_static_regular_and_bold_under_the_ofl():
    from fontTools.ttLib import TTFont

    for name in SHIPPED:
        font = TTFont(FONTS / name)
        assert "fvar" not in font
        assert font["OS/2"].usWeightClass == (700 if "Bold" in name else 400)
        assert "Open Font License" in font["name"].getDebugName(13)
    licence = (FONTS / "OFL-Noto.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence
    assert "Noto Sans Arabic" in licence and "Noto Sans Hebrew" in licence


@pytest.mark.parametrize("text", [ARABIC, HEBREW, "Back pain is common — “walk” a little… 1½ km"])
def test_shipped_fonts_cover(text):
    assert Coverage(PROJECT_FONTS).missing(text) == []
    assert uncovered_problems(text, Coverage(PROJECT_FONTS)) == []


def test_arabic_needs_the_noto_font():
    atkinson = [f for f in PROJECT_FONTS if f.name.startswith("Atkinson")]
    missing = Coverage(atkinson).missing(ARABIC)
    assert "ي" in missing and "،" in missing
    assert {script_name(c) for c in missing} == {"Arabic"}


def test_chinese_without_a_cjk_font_is_an_error_at_its_line():
    text = "# Back pain\n\nWalking helps.\n" + CHINESE + "\nMore text. 你好\n"
    problems = uncovered_problems(text, Coverage(PROJECT_FONTS))
    assert [line for line, _ in problems] == [4, 5]
    line, message = problems[0]
    assert "the characters 背痛很常见。每天散步有帮" in message   # each character once, in order
    assert "Chinese (Han)" in message and "brand pack's fonts/ folder" in message
    assert "你好" in problems[1][1]


def test_emoji_is_an_error():
    problems = uncovered_problems("Take a walk 🚶 every day 👍🏽\nfine", Coverage(PROJECT_FONTS))
    assert len(problems) == 1
    line, message = problems[0]
    assert line == 1 and "Emoji" in message and "🚶👍🏽" in message


def test_one_problem_per_script_per_line():
    problems = uncovered_problems("你好 Привет 🙂 и 世界", Coverage(PROJECT_FONTS))
    assert sorted(m.split(" (")[1].split(":")[0] for _, m in problems) == ["Chinese", "Cyrillic", "Emoji"]


def test_invisible_characters_need_no_glyph(tmp_path):
    """Soft hyphen, ZWJ/ZWNJ, bidi marks and isolates, variation selectors, BOM, spaces, controls."""
    coverage = Coverage([han_font(tmp_path / "x.ttf", "ox")])   # a font with o, x and space only
    text = "o\u00adx \u200dx\u200c \u200eo\u200f \u2066x\u2069 \u061c \ufe0f\ufeff\t\r\n\u00a0\u2009\u202f\x07"
    assert coverage.missing(text) == []
    assert coverage.missing("ox\u200bq") == ["q"]


def test_composed_and_decomposed_accents(tmp_path):
    """The shaper sets e + combining acute as é when the font has é, and é as e + ◌́ when it has those."""
    precomposed = Coverage([han_font(tmp_path / "a.ttf", "cafeoé")])
    assert precomposed.missing("cafe\u0301 caf\u00e9") == []
    assert precomposed.missing("cafo\u0301 co\u0301\u0301") == ["\u0301"]   # ó is not in the font
    decomposed = Coverage([han_font(tmp_path / "b.ttf", "cafe\u0301")])
    assert decomposed.missing("caf\u00e9 cafe\u0301") == []
    assert decomposed.missing("caf\u00e8") == ["\u00e8"]


def test_a_mark_no_font_has_is_set_composed_with_its_base(tmp_path):
    """What coverage assumes of the shaper: b + U+0323 is set as the font's ḅ, not as b and a box."""
    tiny = han_font(tmp_path / "t.ttf", "ab\u1e05", family="Tiny")
    assert Coverage([*PROJECT_FONTS, tiny]).missing("ab\u0323a") == []
    pdf = render(tmp_path, "<p style='font-family: Tiny'>ab\u0323a</p>", {"Tiny": tiny}, "en")
    assert {"b", "\u0323"} <= glyphs_in_pdf(pdf)
    assert embedded_fonts(pdf) == {"Tiny"}


def test_script_names():
    assert script_name("你") == "Chinese (Han)"
    assert script_name("م") == "Arabic"
    assert script_name("ש") == "Hebrew"
    assert script_name("😀") == "Emoji"
    assert script_name("अ") == "Devanagari"
    assert script_name("Д") == "Cyrillic"
    assert script_name("→") == "symbols (Arrows)"


def test_a_cjk_font_in_the_brand_pack_covers_chinese_and_sets_it(tmp_path):
    brand_fonts = tmp_path / "brand" / "fonts"
    brand_fonts.mkdir(parents=True)
    han = han_font(brand_fonts / "TestHan-Regular.ttf", CHINESE)
    coverage = Coverage([*PROJECT_FONTS, *brand_fonts.glob("*.ttf")])
    assert uncovered_problems(f"# 背痛\n{CHINESE}\n", coverage) == []
    pdf = render(tmp_path, f"<h1>Back pain 背痛</h1><p>{CHINESE}</p>", {"Docbuild Test Han": han}, "zh")
    assert set(CHINESE) <= glyphs_in_pdf(pdf)
    assert embedded_fonts(pdf) == {"Atkinson-Hyperlegible-Bold", "Docbuild-Test-Han"}   # Latin, then Han


def test_without_the_cjk_font_the_pdf_has_no_glyphs_for_chinese(tmp_path):
    """The failure coverage prevents: WeasyPrint silently sets .notdef boxes (mapped to nothing)."""
    pdf = render(tmp_path, f"<p>Back pain {CHINESE}</p>", {}, "zh")
    assert not set(CHINESE) & glyphs_in_pdf(pdf)


def test_arabic_and_hebrew_pdf_map_back_to_their_letters(tmp_path):
    """WeasyPrint's ToUnicode maps each shaped glyph to its cluster's text: initial, medial and final
    forms to the base letter, the lam-alef ligature to lam + alef."""
    faces = {"Noto Sans Arabic": FONTS / "NotoSansArabic-Regular.ttf",
             "Noto Sans Hebrew": FONTS / "NotoSansHebrew-Regular.ttf"}
    pdf = render(tmp_path, f'<p dir="rtl" lang="ar">{ARABIC}</p><p dir="rtl" lang="he">{HEBREW}</p>',
                 faces, "ar")
    found = glyphs_in_pdf(pdf)
    letters = {c for c in ARABIC + HEBREW if c.isalpha()}
    assert letters <= found, sorted(letters - found)
    assert embedded_fonts(pdf) == {"Atkinson-Hyperlegible", "Noto-Sans-Arabic", "Noto-Sans-Hebrew"}
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    assert "لا" in text and "الظهر" in text


def test_pdf_falls_back_to_the_fonts_folder_without_font_face(tmp_path):
    """fontconfig sees fonts/ only, so Arabic and Hebrew (bold too) reach the shipped Noto fonts."""
    pdf = render(tmp_path, f'<p dir="rtl">{ARABIC}</p><p dir="rtl"><b>{HEBREW}</b></p>', {}, "ar")
    assert {c for c in ARABIC + HEBREW if not c.isspace()} <= glyphs_in_pdf(pdf)
    assert {"Noto-Sans-Arabic", "Noto-Sans-Hebrew-Bold"} <= embedded_fonts(pdf)


def test_font_cmaps_are_cached_by_path_and_mtime(tmp_path):
    path = han_font(tmp_path / "a.ttf", "你")
    assert ord("你") in font_codepoints(path)
    han_font(path, "好")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))
    assert ord("好") in font_codepoints(path) and ord("你") not in font_codepoints(path)


def test_missing_is_fast_on_a_long_text():
    text = (ARABIC + " " + HEBREW + " Back pain is common. ") * 1000
    text = text[:100_000]
    coverage = Coverage(PROJECT_FONTS)
    coverage.missing(text)   # warm: fonts read
    best = min(_timed(coverage.missing, text) for _ in range(5))
    assert best < 0.05, f"{best * 1000:.1f} ms"
    mixed = text[:50_000] + CHINESE * 100 + text[:49_000]
    assert min(_timed(uncovered_problems, mixed, coverage) for _ in range(3)) < 0.2


def _timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start
