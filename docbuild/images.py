"""Images: what an image file really is, read from its bytes, and whether it is whole and of a sane size.

The bytes decide the type, never the name: a PNG named logo.svg is an error that names both. A PNG
is checked chunk by chunk (lengths, CRCs, IHDR first, IEND last) and its pixel data is decompressed
under a cap to the size its header promises; a JPEG is walked marker by marker from SOI to EOI. The
declared width × height must stay under a pixel limit, so a small file that would unpack to
gigabytes (a decompression bomb) is refused before anything is decompressed. Pure Python.
"""
from __future__ import annotations

from pathlib import Path

import re
import struct
import zlib
from dataclasses import dataclass

MAX_PIXELS = 40_000_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KINDS = {"png": ("image/png", "a PNG image", ".png"), "jpeg": ("image/jpeg", "a JPEG image", ".jpg"),
         "svg": ("image/svg+xml", "an SVG image", ".svg")}
SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".svg": "svg"}
OTHER_FORMATS = [(b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"BM", "a BMP image"),
                 (b"II*\0", "a TIFF image"), (b"MM\0*", "a TIFF image"), (b"%PDF", "a PDF document"),
                 (b"PK\x03\x04", "a ZIP archive (perhaps a Word or PowerPoint file)"),
                 (b"\0\0\0\x0cjP  ", "a JPEG 2000 image"), (b"\xff\x0a", "a JPEG XL image")]
# bits per pixel for each PNG colour type and the bit depths it allows
PNG_COLOURS = {0: (1, (1, 2, 4, 8, 16)), 2: (3, (8, 16)), 3: (1, (1, 2, 4, 8)), 4: (2, (8, 16)),
               6: (4, (8, 16))}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
_SVG_START = re.compile(r"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*|<!DOCTYPE[^[>]*(\[.*?\])?\s*>\s*)*"
                        r"<([\w.-]+:)?svg[\s>/]", re.S)
JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class ImageInfo:
    kind: str              # "png", "jpeg" or "svg"
    media_type: str        # "image/png", "image/jpeg", "image/svg+xml"
    width: int | None      # pixels; for an SVG its width/height or viewBox, None when it has neither
    height: int | None


class ImageError(Exception):
    """An image that cannot be used; `reason` says why and what to do."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __reduce__(self):
        return (ImageError, (self.reason,))


def inspect_image(data: bytes, name: str, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """The type and size of an image, from its bytes; ImageError when it is not a whole PNG, JPEG or SVG
    whose name ends in the matching suffix, or when it has more than `max_pixels` pixels."""
    kind = sniff(data)
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    suffix = "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""
    ends = f"its name ends in {suffix}" if suffix else "its name has no suffix"
    if kind not in KINDS:
        raise ImageError(f"the file is {kind}, not a PNG, JPEG or SVG image, though {ends}: "
                         "use the right file, or save or export it as PNG, JPEG or SVG")
    media_type, label, usual = KINDS[kind]
    if SUFFIXES.get(suffix) != kind:
        raise ImageError(f"the file is {label} but {ends}: rename it to end in {usual}")
    width, height = {"png": _png_size, "jpeg": _jpeg_size, "svg": _svg_size}[kind](data, max_pixels)
    return ImageInfo(kind, media_type, width, height)


def sniff(data: bytes) -> str:
    """"png", "jpeg", "svg", or a description of what else the bytes are ("GIF image", "text", ...)."""
    if not data:
        return "empty"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "a WebP image"
    if data[4:8] == b"ftyp":
        heif = data[8:12] in (b"heic", b"heix", b"mif1", b"avif")
        return "a HEIC or AVIF image" if heif else "a video (MP4) file"
    for magic, label in OTHER_FORMATS:
        if data.startswith(magic):
            return label
    return _sniff_text(data)


def _sniff_text(data: bytes) -> str:
    head = data[:65536]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:   # a character cut at the 64 KiB mark is still text
            return "a file of unknown type"
        text = head[:exc.start].decode("utf-8-sig")
    if "\0" in text:
        return "a file of unknown type"
    if _SVG_START.match(text):
        return "svg"
    return "a web page (HTML)" if re.match(r"\s*(<!DOCTYPE html|<html)", text, re.I) else "a text file"


def _pixel_check(width: int, height: int, max_pixels: int, label: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"the {label} says it is {width} × {height} pixels, which is not a real size: "
                         "export the image again")
    if width * height > max_pixels:
        raise ImageError(f"the {label} is {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} megapixels); "
                         f"the limit is {max_pixels / 1e6:g} megapixels: make it smaller")


def _cut_short(label: str) -> ImageError:
    return ImageError(f"the {label} is cut short or damaged (it ends before the image is complete): "
                      "copy or export it again")


def _png_chunks(data: bytes):
    """(type, payload) for each chunk up to IEND, checking lengths and CRCs."""
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 8 > len(data):
            raise _cut_short("PNG image")
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 8 + length
        if length > 0x7FFFFFFF or end + 4 > len(data):
            raise _cut_short("PNG image")
        payload = data[pos + 8:end]
        if zlib.crc32(kind + payload) != struct.unpack(">I", data[end:end + 4])[0]:
            raise ImageError("the PNG image is damaged (a checksum does not match): copy or export it again")
        if not kind.isalpha():
            raise ImageError("the PNG image is damaged (a block has an invalid name): export it again")
        yield kind, payload
        if kind == b"IEND":
            return
        pos = end + 4


def _png_size(data: bytes, max_pixels: int) -> tuple[int, int]:
    chunks = _png_chunks(data)
    kind, header = next(chunks)
    if kind != b"IHDR" or len(header) != 13:
        raise ImageError("the PNG image is damaged (it does not start with its header): export it again")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    _pixel_check(width, height, max_pixels, "PNG image")
    if colour not in PNG_COLOURS or depth not in PNG_COLOURS[colour][1] or compression or filtering \
            or interlace > 1:
        raise ImageError("the PNG image has a header no viewer accepts (colour type or bit depth): "
                         "export it again")
    bits = PNG_COLOURS[colour][0] * depth
    _png_pixels(chunks, _png_rows(width, height, bits, interlace), colour == 3)
    return width, height


def _png_rows(width: int, height: int, bits: int, interlace: int) -> list[tuple[int, int]]:
    """(bytes per row including the filter byte, number of rows) for each pass of the image."""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    rows = []
    for x0, y0, dx, dy in passes:
        w, h = (width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy
        if w > 0 and h > 0:
            rows.append((1 + (w * bits + 7) // 8, h))
    return rows


def _png_pixels(chunks, rows: list[tuple[int, int]], needs_palette: bool) -> None:
    """Decompress the IDAT chunks, never past the size the header promises, and check every row's
    filter byte; then read on to IEND."""
    expected = sum(stride * count for stride, count in rows)
    inflate, produced, seen_data, seen_palette, done = zlib.decompressobj(), 0, False, False, False
    for kind, payload in chunks:
        if kind == b"PLTE":
            seen_palette = True
        elif kind == b"IDAT":
            if done:
                raise ImageError("the PNG image is damaged (its pixel data is split): export it again")
            seen_data = True
            produced = _inflate(inflate, payload, produced, expected, rows)
        elif seen_data:
            done = True
        if kind[0:1].isupper() and kind not in (b"IHDR", b"PLTE", b"IDAT", b"IEND"):
            raise ImageError(f"the PNG image uses a feature viewers cannot show ({kind.decode()}): "
                             "export it again as an ordinary PNG")
    if needs_palette and not seen_palette:
        raise ImageError("the PNG image is damaged (its colour palette is missing): export it again")
    if produced < expected:
        raise _cut_short("PNG image")


def _inflate(inflate, payload: bytes, produced: int, expected: int, rows: list[tuple[int, int]]) -> int:
    data = payload
    while data and produced < expected:
        try:
            out = inflate.decompress(data, min(1 << 20, expected - produced))
        except zlib.error:
            raise ImageError("the PNG image is damaged (its pixel data cannot be unpacked): "
                             "export it again") from None
        _check_filters(out, produced, rows)
        produced += len(out)
        data = inflate.unconsumed_tail
        if not out and not data:
            break
    return produced


def _check_filters(out: bytes, offset: int, rows: list[tuple[int, int]]) -> None:
    """Every row starts with a filter byte 0-4; `out` starts at `offset` in the unpacked data."""
    start = 0
    for stride, count in rows:
        size = stride * count
        lo, hi = max(offset, start), min(offset + len(out), start + size)
        if lo < hi:
            first = lo + (-(lo - start)) % stride
            if first < hi and max(out[first - offset:hi - offset:stride]) > 4:
                raise ImageError("the PNG image is damaged (its pixel rows are garbled): export it again")
        start += size


def _jpeg_size(data: bytes, max_pixels: int) -> tuple[int, int]:
    pos, size, scanned = 2, None, False
    while True:
        pos = _next_marker(data, pos)
        marker = data[pos + 1]
        pos += 2
        if marker == 0xD9:                       # EOI
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue                             # markers without a length
        if pos + 2 > len(data):
            raise _cut_short("JPEG image")
        length = struct.unpack(">H", data[pos:pos + 2])[0]
        if length < 2 or pos + length > len(data):
            raise _cut_short("JPEG image")
        if marker in JPEG_SOF:
            size = _jpeg_frame(data[pos + 2:pos + length], max_pixels)
        elif marker == 0xDA:
            if size is None:
                raise ImageError("the JPEG image is damaged (its picture data comes before its size): "
                                 "export it again")
            scanned, pos = True, _skip_scan(data, pos + length)
            continue
        pos += length
    if size is None or not scanned:
        raise ImageError("the JPEG image is damaged (it has no picture data): export it again")
    return size


def _next_marker(data: bytes, pos: int) -> int:
    if pos >= len(data):
        raise _cut_short("JPEG image")
    if data[pos] != 0xFF:
        raise ImageError("the JPEG image is damaged (unexpected bytes between its parts): export it again")
    while pos + 1 < len(data) and data[pos + 1] == 0xFF:   # fill bytes
        pos += 1
    if pos + 1 >= len(data):
        raise _cut_short("JPEG image")
    return pos


def _jpeg_frame(frame: bytes, max_pixels: int) -> tuple[int, int]:
    if len(frame) < 6:
        raise _cut_short("JPEG image")
    _, height, width, components = struct.unpack(">BHHB", frame[:6])
    if height == 0:
        raise ImageError("the JPEG image does not state its height (an unusual encoder): export it again")
    _pixel_check(width, height, max_pixels, "JPEG image")
    if components not in (1, 3, 4) or len(frame) < 6 + 3 * components:
        raise ImageError("the JPEG image is damaged (its colour channels are wrong): export it again")
    return width, height


def _skip_scan(data: bytes, pos: int) -> int:
    """The position of the marker that ends the entropy-coded data starting at `pos`."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise _cut_short("JPEG image")
        following = data[pos + 1]
        if following == 0 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            pos += 1 if following == 0xFF else 2
            continue
        return pos


def _svg_size(data: bytes, max_pixels: int) -> tuple[int | None, int | None]:
    """Width and height from the root element's attributes (px or unitless), else its viewBox.
    Safety and well-formedness are svgsafe.svg_problems' business; this only reads the start tag."""
    text = data[:65536].decode("utf-8-sig", errors="replace")
    match = re.search(r"<(?:[\w.-]+:)?svg\b([^>]*)>", text, re.S)
    attrs = dict(re.findall(r'([\w:.-]+)\s*=\s*["\']([^"\']*)["\']', match.group(1))) if match else {}
    width, height = _length(attrs.get("width")), _length(attrs.get("height"))
    box = re.split(r"[\s,]+", attrs.get("viewBox", "").strip())
    if (width is None or height is None) and len(box) == 4:
        try:
            box_w, box_h = float(box[2]), float(box[3])
        except ValueError:
            return width, height
        if box_w > 0 and box_h > 0:
            width = width if width is not None else round(box_w if height is None else height * box_w / box_h)
            height = height if height is not None else round(width * box_h / box_w)
    return width, height


def _length(value: str | None) -> int | None:
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(px)?\s*", value or "")
    return round(float(match.group(1))) if match else None


def image_inside(path: Path, root: Path) -> bool:
    """Whether an SVG may point to `path`: another image file beside it, inside `root`, nothing else."""
    resolved = path.resolve()
    return resolved.is_relative_to(root) and resolved.suffix.lower() in SUFFIXES and resolved.is_file()
