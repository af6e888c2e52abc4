"""Make the README's pictures of each edition from the real outputs: `python docs/make_pictures.py`.

Builds the default book in every edition into a temporary folder and renders one page of each to
docs/pictures/*.png with pypdfium2.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2

ROOT = Path(__file__).resolve().parent.parent
PICTURES = {  # file -> (edition's PDF, page index, scale)
    "standard-page-1.png": ("anxiety-back-pain.pdf", 0, 0.9),
    "standard-page-3.png": ("anxiety-back-pain.pdf", 2, 0.9),
    "large-print-page-4.png": ("anxiety-back-pain-large-print.pdf", 3, 0.9),
    "booklet-sheet-1.png": ("anxiety-back-pain-booklet.pdf", 0, 0.75),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, str(ROOT / "make_docs.py"), "build", "--out", out, "--format", "pdf",
                        "--edition", "standard", "--edition", "large-print", "--edition", "booklet"], check=True)
        for name, (pdf_name, index, scale) in PICTURES.items():
            pdf = pypdfium2.PdfDocument(str(Path(out) / pdf_name))
            image = pdf[index].render(scale=scale).to_pil()
            image.save(ROOT / "docs" / "pictures" / name, optimize=True)
            print(f"wrote docs/pictures/{name} ({image.width}×{image.height})")


if __name__ == "__main__":
    main()
