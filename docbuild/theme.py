"""Theme: a brand pack -> `Brand` and its Jinja environment, stylesheets and fonts, all read now.

Templates come from the brand's templates/ first, then the project's ("default/…" always names the
project's own, so a brand template can extend it and replace one block). They run in a sandbox with
StrictUndefined and receive plain data only. Rendering later opens no file: everything a renderer
needs is read here, through the containment checks.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from .config import BRAND_SCHEMA, BrandConfig, brand_config, validate
from .errors import Collector
from .files import InputError, read_inside
from .fonts import FONT_TYPES, font_faces
from .images import ImageError, image_inside, inspect_image
from .links import email_problem, link_problem
from .model import Brand
from .sandbox import make_environment
from .svgsafe import svg_problems
from .tomlfile import parse_toml

PROJECT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT / "templates"
STYLES = PROJECT / "styles"
FONTS = PROJECT / "fonts"
DEFAULT_BRAND = PROJECT / "brands" / "default"
TEMPLATE_TYPES = (".html", ".xhtml", ".svg", ".css")
PAGE_BACKGROUND = "#ffffff"
# primary colours headings and links (text: WCAG 1.4.3); accent colours rules and borders only
# (non-text: WCAG 1.4.11)
MIN_CONTRAST = {"primary": 4.5, "accent": 3.0}


@dataclass(frozen=True)
class Theme:
    brand: Brand
    env: jinja2.Environment
    styles: dict = field(default_factory=dict)   # the project's styles: name -> CSS text
    fonts: tuple = ()                            # the project's fonts, as Brand.fonts
    roots: tuple[Path, ...] = ()                 # every folder the theme was read from


class _Sources(jinja2.BaseLoader):
    """Templates held in memory, each with the path it came from (for errors at their line)."""

    def __init__(self, sources: dict[str, tuple[str, Path]]):
        self.sources = sources

    def get_source(self, environment, template):
        if template not in self.sources:
            raise jinja2.TemplateNotFound(template)
        text, path = self.sources[template]
        return text, str(path), lambda: True

    def list_templates(self):
        return sorted(self.sources)


def load_brand(root: Path, errors: Collector) -> Brand | None:
    root = root.resolve()
    path = root / "brand.toml"
    if root == Path(root.anchor) or not root.is_dir():
        errors.error(root, 0, "the brand folder does not exist" if not root.is_dir() else
                     "the root folder cannot be a brand pack: give the brand pack's own folder")
        return None
    text = _text(path, (root,), "brand.toml", errors)
    read = parse_toml(path, text, errors) if text is not None else None
    if read is None:
        return None
    values = validate(read[0], BRAND_SCHEMA, path, read[1], errors)
    if "name" not in values:
        return None
    config = brand_config(values)
    _check_contrast(config, path, read[1], errors)
    _check_contact(config, path, read[1], errors)
    fonts = _brand_fonts(root, config, path, read[1], errors)
    return Brand(root=root, config=config, logo=_logo(root, config, path, read[1], errors), fonts=fonts,
                 styles=tuple(_files(root / "styles", (".css",), root, errors)),
                 templates=_templates(root / "templates", root, errors),
                 sources=(path,))


def _text(path: Path, roots: tuple[Path, ...], what: str, errors: Collector) -> str | None:
    try:
        return read_inside(path, roots, what).decode("utf-8").removeprefix("\ufeff")
    except InputError as exc:
        errors.error(path, 0, str(exc))
    except UnicodeDecodeError:
        errors.error(path, 0, "the file is not UTF-8 text; save it as UTF-8")
    return None


def _files(folder: Path, types: tuple[str, ...], root: Path, errors: Collector) -> list[tuple[str, str]]:
    if not folder.is_dir() or not folder.resolve().is_relative_to(root):
        return []
    out = []
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() in types and (text := _text(file, (root,), "stylesheet", errors)) is not None:
            out.append((file.name, text))
    return out


def _templates(folder: Path, root: Path, errors: Collector) -> dict[str, tuple[str, Path]]:
    if not folder.is_dir() or not folder.resolve().is_relative_to(root):
        return {}
    out = {}
    for file in sorted(folder.rglob("*")):
        if file.suffix in TEMPLATE_TYPES and (text := _text(file, (root,), "template", errors)) is not None:
            out[file.relative_to(folder).as_posix()] = (text, file)
    return out


def _check_contrast(config: BrandConfig, path: Path, lines: dict, errors: Collector) -> None:
    for name in ("primary", "accent"):
        value = getattr(config.colors, name)
        ratio, needed = contrast(value, PAGE_BACKGROUND), MIN_CONTRAST[name]
        if ratio < needed:
            use = "text needs" if name == "primary" else "rules and borders need"
            errors.error(path, lines.get(("colors", name), 0),
                         f"the colour {name} = {value} has a contrast of {ratio:.2f}:1 against the white "
                         f"page; {use} at least {needed}:1 (WCAG AA): choose a darker colour")


def _check_contact(config: BrandConfig, path: Path, lines: dict, errors: Collector) -> None:
    for key, check in (("website", link_problem), ("email", email_problem)):
        value = getattr(config.contact, key)
        if key == "website" and value and not value.lower().startswith(("http://", "https://")):
            message = f'the website "{value}" must start with https://'
        else:
            message = check(value) if value else None
        if message:
            errors.error(path, lines.get(("contact", key), 0), f"contact.{key}: {message}")


def _logo(root: Path, config: BrandConfig, path: Path, lines: dict, errors: Collector):
    if config.logo is None:
        return None
    line = lines.get(("logo",), 0)
    try:
        data = read_inside(root / config.logo, (root,), "logo")
    except InputError as exc:
        errors.error(path, line, str(exc))
        return None
    try:
        info = inspect_image(data, config.logo)
    except ImageError as exc:
        errors.error(path, line, f'the logo "{config.logo}": {exc}')
        return None
    if info.kind == "svg":
        base = (root / config.logo).parent
        problems = svg_problems(data, lambda ref: image_inside(base / ref, root))
        for at, message in problems:
            errors.error(path, line, f'the logo "{config.logo}" (its line {at}): {message}')
        if problems:
            return None
    return (Path(config.logo).name, info.media_type, data)


def _brand_fonts(root: Path, config: BrandConfig, path: Path, lines: dict, errors: Collector) -> tuple:
    folder = root / "fonts"
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in FONT_TYPES) if folder.is_dir() else []
    faces = font_faces(files, (root,), errors)
    families = {face[2] for face in faces}
    for name in config.fonts:
        if name not in families:
            have = ", ".join(sorted(families)) or "no font files in fonts/"
            errors.error(path, lines.get(("fonts",), 0), f'the font "{name}" is not in the brand\'s fonts/ '
                         f"folder (found: {have})")
    return tuple(faces)


def relative_luminance(color: str) -> float:
    channels = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def make_theme(brand: Brand, errors: Collector) -> Theme:
    project, styles, fonts = _project(errors)
    defaults = _Sources(project)
    loader = jinja2.ChoiceLoader([_Sources(brand.templates), defaults,
                                  jinja2.PrefixLoader({"default": defaults})])
    env = make_environment(loader, keep_trailing_newline=True)
    for name, (text, path) in brand.templates.items():   # parsed now, so check reports their typos
        try:
            env.parse(text, name, str(path))
        except jinja2.TemplateSyntaxError as exc:
            errors.error(path, exc.lineno, f"template error: {exc.message}")
    return Theme(brand, env, dict(styles), fonts, (brand.root, TEMPLATES, STYLES, FONTS))


_PROJECT: dict[str, tuple] = {}   # "parts" -> (the files' sizes and times, the parts read from them)


def _project(errors: Collector) -> tuple[dict, tuple, tuple]:
    """The project's templates, styles and fonts, read again only when one of their files changed:
    every check and build of a process (a catalogue, the preview, a test run) uses the same ones."""
    files = [p for folder in (TEMPLATES, STYLES, FONTS) for p in sorted(folder.rglob("*")) if p.is_file()]
    stamp = tuple((str(p), stat.st_mtime_ns, stat.st_size) for p in files for stat in [p.stat()])
    cached = _PROJECT.get("parts")
    if cached is None or cached[0] != stamp:
        found = Collector()
        templates = _templates(TEMPLATES, TEMPLATES, found)
        styles = tuple(_files(STYLES, (".css",), STYLES, found))
        project_fonts = sorted(p for p in FONTS.glob("*") if p.suffix.lower() in FONT_TYPES)
        fonts = tuple(font_faces(project_fonts, (FONTS,), found))
        cached = _PROJECT["parts"] = (stamp, (templates, styles, fonts), found.problems)
    errors.extend(cached[2])
    return cached[1]
