"""Fonts: font files -> faces (file, bytes, family, weight, style), read from their own tables."""
from __future__ import annotations

import io
from pathlib import Path

from .errors import Collector
from .files import InputError, read_inside

FONT_TYPES = (".ttf", ".otf", ".woff2", ".woff")
MEDIA_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}


def face_of(data: bytes) -> tuple[str, int, str]:
    """(family, weight, style) of one font file's bytes."""
    from fontTools.ttLib import TTFont
    font = TTFont(io.BytesIO(data), lazy=True)
    names = font["name"]
    family = str(names.getDebugName(16) or names.getDebugName(1))
    os2 = font["OS/2"]
    style = "italic" if os2.fsSelection & 1 else "normal"
    return family, int(os2.usWeightClass), style


def font_faces(files: list[Path], roots: tuple[Path, ...], errors: Collector) -> list[tuple]:
    faces = []
    for file in files:
        try:
            data = read_inside(file, roots, "font")
            faces.append((file.name, data, *face_of(data)))
        except InputError as exc:
            errors.error(file, 0, str(exc))
        except Exception:  # fontTools raises many types on a damaged file
            errors.error(file, 0, "this font file cannot be read; use a TTF, OTF or WOFF2 file")
    return faces
