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


def brand_css(ctx: RenderContext, font_url) -> str:
    """Custom properties and @font-face rules from brand.toml; `font_url(file)` locates a brand font."""
    brand = ctx.theme.brand
    colors = brand.config.colors
    lines = [":root {", f"  --primary: {colors.primary};", f"  --accent: {colors.accent};"]
    fonts = brand.config.fonts
    if fonts:   # the first family sets the headings, a second one the body text
        lines.append(f'  --heading-font: {css_string(fonts[0])}, "Atkinson Hyperlegible", sans-serif;')
    if len(fonts) > 1:
        lines.append(f'  --body-font: {css_string(fonts[1])}, "Atkinson Hyperlegible", sans-serif;')
    lines.append("}")
    for file, _, family, weight, style in brand.fonts:
        lines.append(f"@font-face {{ font-family: {css_string(family)}; src: url({css_string(font_url(file))}); "
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
        css.append(f':root {{ --body-font: {css_string(edition.font)}, sans-serif; '
                   f'--heading-font: {css_string(edition.font)}, sans-serif; }}')
    if edition.hyphenate:
        css.append("body { hyphens: auto; }")
    if config.name:
        css.append(f"@page {{ @bottom-left {{ content: {css_string(config.name)}; }} }}")
    return "\n".join(css) + "\n"


def _page_of(text: str) -> tuple[str, str, str]:
    """"Page %(page)s of %(pages)s" -> ("Page ", " of ", ""), in the language's own order."""
    head, _, rest = text.partition("%(page)s")
    middle, _, tail = rest.partition("%(pages)s")
    return head, middle, tail
