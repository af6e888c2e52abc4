"""Helpers that read a built PDF back: note calls and note texts per page."""
from __future__ import annotations

import re

CALL_SIZE = 8.5      # ::footnote-call size (renderers/css.py: --call-size)
NOTE_SIZE = 9.5      # footnote text (--note-size); running heads and footers are 9 pt, body 12.5 pt


def calls_on_page(page) -> list[int]:
    """Superscript note numbers in the body: runs of digits set at the call size."""
    numbers, current, last = [], "", None
    for char in page.chars:
        if char["text"].isdigit() and abs(char["size"] - CALL_SIZE) < 0.2:
            if last is not None and abs(char["x0"] - last["x1"]) < 1 and abs(char["top"] - last["top"]) < 1:
                current += char["text"]
            else:
                if current:
                    numbers.append(int(current))
                current = char["text"]
            last = char
    if current:
        numbers.append(int(current))
    return numbers


def notes_on_page(page) -> dict[int, str]:
    """The footnotes printed at the foot of the page: number -> text."""
    notes: dict[int, str] = {}
    number = None
    for line in page.extract_text_lines():
        size = max(c["size"] for c in line["chars"])
        if abs(size - NOTE_SIZE) > 0.2:
            number = None
            continue
        match = re.match(r"^(\d+)\. (.*)", line["text"])
        if match and line["chars"][0]["fontname"].endswith("Bold"):
            number = int(match.group(1))
            notes[number] = match.group(2)
        elif number is not None:
            notes[number] += " " + line["text"]
    return notes


def letter_sizes(pdf) -> dict[float, int]:
    """Letters per font size (pt, rounded to 0.5) over the whole document."""
    sizes: dict[float, int] = {}
    for page in pdf.pages:
        for char in page.chars:
            if char["text"].strip():
                size = round(char["size"] * 2) / 2
                sizes[size] = sizes.get(size, 0) + 1
    return sizes


def body_size(sizes: dict[float, int]) -> float:
    return max(sizes, key=sizes.get)


def smallest_size(sizes: dict[float, int], share: float = 0.01) -> float:
    total = sum(sizes.values())
    return min(s for s, n in sizes.items() if n / total >= share)


def body_lines(pdf, size: float) -> list[str]:
    """Every text line set at the body size, on every page."""
    lines = []
    for page in pdf.pages:
        for line in page.extract_text_lines():
            chars = [c for c in line["chars"] if c["text"].strip()]
            if chars and abs(max(c["size"] for c in chars) - size) < 0.3:
                lines.append(line["text"])
    return lines


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
