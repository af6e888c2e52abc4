"""new-brand: write a commented brand pack that `check` accepts as it is."""
from __future__ import annotations

from pathlib import Path

from .config import COLORS
from .errors import DocError, Location, Problem

BRAND_TOML = '''# A clinic's brand pack: edit this file, replace logo.svg, then build with
#   python make_docs.py build --brand {folder}
name = "Your Clinic Name"          # shown on the title page, the contact page and the page footer
logo = "logo.svg"                  # SVG or PNG, in this folder
page_size = "A4"                   # "A4" or "Letter"
# feedback = "Tell us what you think of this leaflet: …"   # one line on the contact page
# fonts = ["Family Name"]          # families in fonts/ (TTF, OTF, WOFF2): the first sets headings,
#                                  # a second one the body text

[colors]                           # #rrggbb; checked against the white page (WCAG AA)
primary = "{primary}"                # headings and links: needs a contrast of 4.5:1
accent = "{accent}"                 # rules and box borders: needs 3:1

[contact]                          # leave out any line you do not want printed
phone = "+1 555 0100"
website = "https://clinic.example"
address = "1 Main Street, Town"
email = "info@clinic.example"
'''

LOGO = '''<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 80" width="240" height="80" role="img">
<title>Clinic logo placeholder</title>
<rect x="2" y="2" width="236" height="76" rx="12" fill="none" stroke="#1a1a1a" stroke-width="4"/>
<text x="120" y="50" text-anchor="middle" font-family="Atkinson Hyperlegible, sans-serif" font-size="24" fill="#1a1a1a">Your logo</text>
</svg>
'''

READMES = {
    "templates/README.txt": "A file here replaces the default template of the same name (see the project's "
                            "templates/ folder); {% extends \"default/print.html\" %} lets you replace one block.\n",
    "styles/README.txt": "Every .css file here is applied after the default styles, in the PDF and the EPUB.\n",
}


def new_brand(folder: Path) -> list[Path]:
    """Create the brand pack; refuse to overwrite an existing brand.toml; problems raise DocError."""
    def fail(where: Path, message: str):
        raise DocError([Problem(Location.of(where), message)])
    if (folder / "brand.toml").exists():
        fail(folder / "brand.toml", "a brand pack is already there; choose another folder")
    if folder.exists() and not folder.is_dir():
        fail(folder, "this is a file, not a folder; choose a new folder for the brand pack")
    files = {"brand.toml": BRAND_TOML.format(folder=folder.as_posix(), primary=COLORS["primary"].default,
                                            accent=COLORS["accent"].default), "logo.svg": LOGO, **READMES}
    written = []
    try:
        for name, text in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        fail(Path(exc.filename or folder), f"cannot write the brand pack here: {exc.strerror.lower()}")
    return written
