"""Generated CSS: the brand's colours and fonts, and what the edition changes, as stylesheets.

Every text that comes from the brand is written as a CSS string with `css_string`, which escapes
quotes, backslashes, line breaks and `<`, so a clinic's name cannot end a `<style>` element.
"""
from __future__ import annotations

import re

from . import RenderContext

PAGE_SIZES = {"A4": "A4", "Letter": "letter"}
HALF_SIZES = {"A4": "A5", "Letter": "5.5in 8.5in"}
# side margins that keep 12.5 pt lines to about 70 characters on each sheet
SIDE_MARGINS = {("A4", ""): "32mm", ("Letter", ""): "36mm", ("A4", "half"): "16mm", ("Letter", "half"): "17mm"}


def css_string(text: str) -> str:
    """A CSS string literal for any text."""
    return '"' + re.sub(r'["\\\n\r<>&]', lambda m: "\\" + format(ord(m.group()), "x") + " ", text) + '"'


# the fonts for scripts Atkinson Hyperlegible lacks, in the project's fonts/ (SIL OFL)
SCRIPT_FONTS = {"Noto Sans Arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
                                     (0xFE70, 0xFEFF)),
                "Noto Sans Hebrew": ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))}


def script_fonts(ctx: RenderContext) -> list[tuple]:
    """The project's script fonts the book's text needs (so an English EPUB does not carry them)."""
    text = book_text(ctx.book)
    wanted = {family for family, ranges in SCRIPT_FONTS.items()   # a character class: once per document
              if re.search("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges) + "]", text)}
    return [face for face in ctx.theme.fonts if face[2] in wanted]


def book_text(book) -> str:
    """Every character the book prints from its own files (titles, chapters, notes)."""
    parts = [book.config.title, book.config.subtitle]
    for chapter in book.chapters:
        parts.append(chapter.title)
        for tokens in [chapter.tokens, *(note.tokens for note in chapter.notes)]:
            parts += [t.content for t in tokens if t.type == "inline"]
    return "".join(parts)


def brand_css(ctx: RenderContext, font_url, script_font_url=None) -> str:
    """Custom properties and @font-face rules: `font_url(file)` locates a brand font,
    `script_font_url(file)` one of the project's script fonts (without it, fontconfig finds them)."""
    brand = ctx.theme.brand
    colors = brand.config.colors
    fonts = brand.config.fonts
    # the fallback chain: a character Atkinson lacks comes from the script fonts, then the brand's fonts
    chain = ", ".join(css_string(f) for f in ["Atkinson Hyperlegible", *SCRIPT_FONTS,
                                               *dict.fromkeys(face[2] for face in brand.fonts)])
    heading = f"{css_string(fonts[0])}, " if fonts else ""   # the first family sets the headings
    body = f"{css_string(fonts[1])}, " if len(fonts) > 1 else ""   # a second one the body text
    lines = [":root {", f"  --primary: {colors.primary};", f"  --accent: {colors.accent};",
             f"  --heading-font: {heading}{chain}, sans-serif;", f"  --body-font: {body}{chain}, sans-serif;", "}"]
    faces = [(script_font_url, face) for face in script_fonts(ctx)] if script_font_url else []
    faces += [(font_url, face) for face in brand.fonts]
    for url, (file, _, family, weight, style) in faces:
        lines.append(f"@font-face {{ font-family: {css_string(family)}; src: url({css_string(url(file))}); "
                     f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(lines) + "\n"


def page_css(ctx: RenderContext) -> str:
    """The page size, type scale and footer of this edition, for the PDF."""
    edition, config = ctx.edition, ctx.theme.brand.config
    size = HALF_SIZES[config.page_size] if edition.page_size == "half" else PAGE_SIZES[config.page_size]
    before, between, after = _page_of(ctx.locale.gettext("Page %(page)s of %(pages)s"))
    body, small = edition.body_size, edition.small_size
    sizes = {"body": body, "small": small, "note": max(9.5, small), "call": max(8.5, small * 0.9),
             "table": max(small, body * 0.9), "caption": max(small, body * 0.85), "ref": max(small, 10),
             "notice": max(16, body)}   # nothing a patient must read below the edition's smallest size
    side = SIDE_MARGINS[config.page_size, edition.page_size]
    css = [f"@page {{ size: {size}; margin-left: {side}; margin-right: {side}; }}", ":root {"]
    css += [f"  --{name}-size: {value:.2f}pt;" for name, value in sizes.items()]
    css += [f"  --line-height: {edition.line_height};", "}",
           f"@page {{ @bottom-right {{ content: {css_string(before)} counter(page) {css_string(between)} "
           f"counter(pages) {css_string(after)}; }} }}"]
    if edition.font:
        chain = ", ".join(css_string(f) for f in [edition.font, *SCRIPT_FONTS])
        css.append(f":root {{ --body-font: {chain}, sans-serif; --heading-font: {chain}, sans-serif; }}")
    if edition.hyphenate:
        css.append("body { hyphens: auto; }")
    # right to left, the page mirrors: the page number goes to the left, the clinic to the right
    number_side, name_side = ("left", "right") if ctx.locale.direction == "rtl" else ("right", "left")
    if number_side == "left":
        css[-1] = css[-1].replace("@bottom-right", "@bottom-left")
    if config.name:
        css.append(f"@page {{ @bottom-{name_side} {{ content: {css_string(config.name)}; }} }}")
    return "\n".join(css) + "\n"


def _page_of(text: str) -> tuple[str, str, str]:
    """"Page %(page)s of %(pages)s" -> ("Page ", " of ", ""), in the language's own order."""
    head, _, rest = text.partition("%(page)s")
    middle, _, tail = rest.partition("%(pages)s")
    return head, middle, tail
