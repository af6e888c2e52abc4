"""Theme: a brand pack -> `Brand`, its Jinja environment and its ordered stylesheets.

Templates come from the brand's templates/ first, then the project's; they run sandboxed with
StrictUndefined, so a misspelt variable is an error at its template line, not a blank in print.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .config import BRAND_SCHEMA, read_config
from .errors import Collector
from .model import Brand

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"
FONTS = PROJECT / "fonts"
DEFAULT_BRAND = PROJECT / "brands" / "default"
DEFAULT_COLORS = {"primary": "#1f4e79", "accent": "#8a4b08"}
FONT_TYPES = (".ttf", ".otf", ".woff2", ".woff")
PAGE_BACKGROUND = "#ffffff"
# primary colours headings and links (text: WCAG 1.4.3); accent colours rules and borders only
# (non-text: WCAG 1.4.11)
MIN_CONTRAST = {"primary": 4.5, "accent": 3.0}


@dataclass(frozen=True)
class Theme:
    brand: Brand
    env: jinja2.Environment
    roots: tuple[Path, ...]          # every folder the build may read from, besides the book


def load_brand(root: Path, errors: Collector) -> Brand | None:
    root = root.resolve()
    path = root / "brand.toml"
    read = read_config(root, "brand.toml", BRAND_SCHEMA, "brand", errors)
    if read is None:
        return None
    conf, lines = read
    colors = {**DEFAULT_COLORS, **conf.get("colors", {})}
    for name, value in conf.get("colors", {}).items():
        ratio, needed = contrast(value, PAGE_BACKGROUND), MIN_CONTRAST[name]
        if ratio < needed:
            use = "text needs" if name == "primary" else "rules and borders need"
            errors.error(path, lines.get(("colors", name), 0),
                         f"the colour {name} = {value} has a contrast of {ratio:.2f}:1 against the white "
                         f"page; {use} at least {needed}:1 (WCAG AA): choose a darker colour")
    logo = _logo(root, conf, path, lines, errors)
    font_files = tuple(sorted(p for p in (root / "fonts").glob("*") if p.suffix.lower() in FONT_TYPES))
    _check_fonts(conf.get("fonts", []), font_files, path, lines, errors)
    templates = root / "templates"
    styles = tuple(sorted((root / "styles").glob("*.css"))) if (root / "styles").is_dir() else ()
    return Brand(root=root, name=conf.get("name", ""), logo=logo, page_size=conf.get("page_size", "A4"),
                 colors=colors, contact=conf.get("contact", {}), feedback=conf.get("feedback", ""),
                 fonts=tuple(conf.get("fonts", [])), font_files=font_files,
                 templates_dir=templates if templates.is_dir() else None, styles=styles)


def _logo(root: Path, conf: dict, path: Path, lines: dict, errors: Collector) -> Path | None:
    if "logo" not in conf:
        return None
    logo = (root / conf["logo"]).resolve()
    line = lines.get(("logo",), 0)
    if not logo.is_relative_to(root):
        errors.error(path, line, f'the logo "{conf["logo"]}" is outside the brand folder')
    elif not logo.is_file():
        errors.error(path, line, f'the logo file "{conf["logo"]}" does not exist in {root.name}/')
    elif logo.suffix.lower() not in (".svg", ".png"):
        errors.error(path, line, f'the logo "{conf["logo"]}" must be an SVG or PNG file')
    else:
        return logo
    return None


def font_family(path: Path) -> tuple[str, int, str]:
    """(family, weight, style) read from a font file's own tables."""
    from fontTools.ttLib import TTFont
    font = TTFont(path, lazy=True)
    names = font["name"]
    family = str(names.getDebugName(16) or names.getDebugName(1))
    os2 = font["OS/2"]
    style = "italic" if os2.fsSelection & 1 else "normal"
    return family, os2.usWeightClass, style


def _check_fonts(wanted: list[str], files: tuple[Path, ...], path: Path, lines: dict,
                 errors: Collector) -> None:
    families = set()
    for file in files:
        try:
            families.add(font_family(file)[0])
        except Exception:  # fontTools raises many types on a damaged file
            errors.error(file, 0, "this font file cannot be read; use a TTF, OTF or WOFF2 file")
    for name in wanted:
        if name not in families:
            have = ", ".join(sorted(families)) or "no font files in fonts/"
            errors.error(path, lines.get(("fonts",), 0), f'the font "{name}" is not in the brand\'s fonts/ '
                         f"folder (found: {have})")


def relative_luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def make_theme(brand: Brand, errors: Collector) -> Theme | None:
    defaults = jinja2.FileSystemLoader(str(TEMPLATES))
    loaders = [jinja2.FileSystemLoader(str(brand.templates_dir))] if brand.templates_dir else []
    # "default/print.html" always names the project's own template, so a brand's print.html can
    # extend it and replace a single block
    loaders += [defaults, jinja2.PrefixLoader({"default": defaults})]
    env = ImmutableSandboxedEnvironment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                                        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    # the project's templates are tested; a brand's are parsed now so check reports their typos
    for path in sorted(brand.templates_dir.rglob("*")) if brand.templates_dir else ():
        if path.suffix in (".html", ".xhtml", ".svg"):
            try:
                env.parse(path.read_text(encoding="utf-8"), path.name, str(path))
            except jinja2.TemplateSyntaxError as exc:
                errors.error(path, exc.lineno, f"template error: {exc.message}")
    roots = (brand.root, TEMPLATES, STYLES, FONTS)
    return Theme(brand, env, roots)


def css_string(text: str) -> str:
    """A CSS string literal for any text."""
    return '"' + re.sub(r'["\\\n]', lambda m: "\\" + format(ord(m.group()), "x") + " ", text) + '"'


def brand_css(brand: Brand, font_base: str) -> str:
    """Custom properties and @font-face rules generated from brand.toml; fonts under `font_base`."""
    lines = [":root {"]
    lines += [f"  --{name}: {value};" for name, value in sorted(brand.colors.items())]
    if brand.fonts:   # the first family sets the headings, a second one the body text
        lines.append(f"  --heading-font: {css_string(brand.fonts[0])}, \"Atkinson Hyperlegible\", sans-serif;")
    if len(brand.fonts) > 1:
        lines.append(f"  --body-font: {css_string(brand.fonts[1])}, \"Atkinson Hyperlegible\", sans-serif;")
    lines.append("}")
    for file in brand.font_files:
        family, weight, style = font_family(file)
        lines.append(f"@font-face {{ font-family: {css_string(family)}; src: url({css_string(font_base + file.name)}); "
                     f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(lines) + "\n"
