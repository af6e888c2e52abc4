"""Write the print document the PDF renderer lays out, self-contained: `python bench/print_html.py BOOK OUT.html`.

For "WeasyPrint alone" in bench/run.py: the same HTML the build hands to WeasyPrint (footnotes at
the foot of the page), with its resources inlined so that WeasyPrint needs no docbuild fetcher.
"""
from __future__ import annotations

import base64
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docbuild.build import check  # noqa: E402
from docbuild.inputs import brand_editions  # noqa: E402
from docbuild.renderers import RenderContext  # noqa: E402
from docbuild.renderers.html import Resources, print_document, resource_files  # noqa: E402


def main(book: str, out: str) -> None:
    checked = check(Path(book))
    theme = checked.themes[0]
    ctx = RenderContext(checked.book, theme, checked.locale, checked.style, brand_editions(theme, checked.editions)[0])
    files = resource_files(ctx)

    def data_url(kind: str, name: str) -> str:
        media, data = files[kind, name]
        return f"data:{media};base64,{base64.b64encode(data).decode('ascii')}"
    Path(out).write_text(print_document(ctx, Resources(data_url, inline_css=True)), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
