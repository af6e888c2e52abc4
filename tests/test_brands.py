"""Brand packs: what each example brand changes in the real PDF and EPUB, and every brand error."""
from __future__ import annotations

import re
import zipfile

import pdfplumber
import pypdfium2
import pytest
from pypdf import PdfReader

from conftest import ROOT, run_cli

BRANDS = {
    "riverside": {"name": "Riverside Family Clinic", "phone": "+1 555 0100", "size": (612, 792),
                  "primary": (0x0B, 0x53, 0x94), "logo": "media/brand/logo.svg"},
    "harbour": {"name": "Harbour Health Centre", "phone": "+44 20 7946 0000", "size": (595, 842),
                "primary": (0x1E, 0x5C, 0x3A), "logo": "media/brand/logo.png"},
}


def _pdf_text(path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def _pixels_near(image, target, tolerance: int) -> int:
    colours = image.getcolors(maxcolors=1 << 24)
    return sum(n for n, c in colours if all(abs(a - b) <= tolerance for a, b in zip(c, target)))


def _epub_files(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("brand", BRANDS)
def test_name_contact_and_page_size_in_the_pdf(branded, brand):
    expect = BRANDS[brand]
    pages = _pdf_text(branded[brand]["pdf"])
    assert expect["name"] in pages[0]
    assert expect["name"] in pages[5]                                   # running footer
    assert "Contact us" in pages[-1] and expect["phone"] in pages[-1]    # closing contact page
    assert any("About this leaflet" in p and "Tell us what you think of this leaflet" in p for p in pages)
    reader = PdfReader(branded[brand]["pdf"])
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == expect["size"]


@pytest.mark.parametrize("brand", BRANDS)
def test_brand_colour_reaches_the_rendered_page(branded, brand):
    pdf = pypdfium2.PdfDocument(str(branded[brand]["pdf"]))
    image = pdf[0].render(scale=1.5).to_pil().convert("RGB")
    target = BRANDS[brand]["primary"]
    close = _pixels_near(image, target, 6)
    assert close > 300, close


def test_logos_are_embedded_in_the_pdf(branded):
    reader = PdfReader(branded["harbour"]["pdf"])
    xobjects = reader.pages[0]["/Resources"]["/XObject"]
    images = [x.get_object() for x in xobjects.values() if x.get_object()["/Subtype"] == "/Image"]
    assert any(img["/Width"] == 480 for img in images)                  # the PNG logo, 480 px wide
    pdf = pypdfium2.PdfDocument(str(branded["riverside"]["pdf"]))
    image = pdf[0].render(scale=1.5).to_pil().convert("RGB")
    wave = (0xF3, 0xC5, 0x8F)                                           # a colour only the SVG logo has
    assert _pixels_near(image, wave, 8) > 20


@pytest.mark.parametrize("brand", BRANDS)
def test_epub_carries_the_brand(branded, brand):
    expect = BRANDS[brand]
    files = _epub_files(branded[brand]["epub"])
    title = files["EPUB/title.xhtml"].decode()
    assert expect["name"] in title
    assert f'src="{expect["logo"]}"' in title and f"EPUB/{expect['logo']}" in files
    assert expect["phone"] in files["EPUB/contact.xhtml"].decode()
    assert f"<dc:publisher>{expect['name']}</dc:publisher>" in files["EPUB/content.opf"].decode()
    primary = "#%02x%02x%02x" % expect["primary"]
    assert f"--primary: {primary};" in files["EPUB/styles/brand.css"].decode()


def test_template_override_and_brand_css_take_effect(branded):
    first = _pdf_text(branded["riverside"]["pdf"])[0]
    assert "PATIENT INFORMATION" in first            # the overridden block, uppercased by riverside.css
    files = _epub_files(branded["riverside"]["epub"])
    chapter = files["EPUB/ch01.xhtml"].decode()
    links = re.findall(r'href="(styles/[^"]+)"', chapter)
    assert links[-1] == "styles/brand-riverside.css" and "EPUB/styles/brand-riverside.css" in files


def test_brand_font_is_embedded_in_both(branded):
    reader = PdfReader(branded["harbour"]["pdf"])
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert any("Lora" in f for f in fonts), fonts
    assert "EPUB/fonts/brand/Lora-Bold.ttf" in _epub_files(branded["harbour"]["epub"])


def _brand(tmp_path, toml: str, files: dict[str, str] | None = None):
    folder = tmp_path / "brand"
    folder.mkdir()
    (folder / "brand.toml").write_text(toml)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


BRAND_ERRORS = [
    ('name = "X"\ncolour = "red"\n', 2, 'unknown key "colour"; the valid keys here are: name, logo, page_size'),
    ('name = "X"\npage_size = "A5"\n', 2, '"A5" is not a page size; use "A4" or "Letter"'),
    ('name = 3\n', 1, '"name" must be text in quotes, not the number 3'),
    ('name = "X"\n[colors]\nprimary = "blue"\n', 3, '"blue" is not a colour of the form #rrggbb'),
    ('name = "X"\n[colors]\nprimary = "#7fa7d9"\n', 3,
     "the colour primary = #7fa7d9 has a contrast of 2.49:1 against the white page; text needs at least 4.5:1"),
    ('name = "X"\n[colors]\naccent = "#f0c040"\n', 3, "has a contrast of 1.70:1 against the white page; rules and borders need at least 3.0:1"),
    ('name = "X"\nlogo = "missing.svg"\n', 2, 'missing.svg" does not exist'),
    ('name = "X"\n[contact]\nfax = "1"\n', 3, 'unknown key "fax"; the valid keys here are: phone, website'),
    ('name = "X"\nfonts = ["Nope Sans"]\n', 2, 'the font "Nope Sans" is not in the brand\'s fonts/ folder'),
    ('name = "X"\nname = "Y"\n', 2, "not valid TOML"),
]


@pytest.mark.parametrize("toml,line,message", BRAND_ERRORS)
def test_brand_errors_point_at_their_line(tmp_path, toml, line, message):
    folder = _brand(tmp_path, toml)
    for command in ("check", "build"):
        result = run_cli(command, "--brand", str(folder), "--out", str(tmp_path / "out"), cwd=tmp_path) \
            if command == "build" else run_cli(command, "--brand", str(folder), cwd=ROOT)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"brand.toml:{line}: error: " in result.stderr and message in result.stderr, result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_template_typo_is_an_error_at_its_line(tmp_path):
    folder = _brand(tmp_path, 'name = "X"\n', {"templates/parts/title_page.html": "<p>\n{{ brand.nmae }}\n</p>\n"})
    result = run_cli("build", "--brand", str(folder), "--out", str(tmp_path / "out"), "--format", "pdf")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert re.search(r"templates/parts/title_page\.html:2: error: template error: .*nmae", result.stderr), result.stderr


def test_template_syntax_error_is_found_by_check(tmp_path):
    folder = _brand(tmp_path, 'name = "X"\n', {"templates/print.html": "<html>\n{% block x %}\n</html>\n"})
    result = run_cli("check", "--brand", str(folder))
    assert result.returncode == 1
    assert re.search(r"templates/print\.html:\d+: error: template error: ", result.stderr), result.stderr


def test_templates_cannot_reach_python_internals(tmp_path):
    folder = _brand(tmp_path, 'name = "X"\n',
                    {"templates/parts/title_page.html": "{{ brand.__class__.__mro__[1].__subclasses__() }}\n"})
    result = run_cli("build", "--brand", str(folder), "--out", str(tmp_path / "out"), "--format", "pdf")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "title_page.html:1: error: template error:" in result.stderr and "unsafe" in result.stderr


def test_new_brand_is_accepted_by_check_at_once(tmp_path):
    result = run_cli("new-brand", str(tmp_path / "clinic"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "clinic" / "templates" / "README.txt").exists()
    assert (tmp_path / "clinic" / "styles" / "README.txt").exists()
    check = run_cli("check", "--brand", str(tmp_path / "clinic"))
    assert check.returncode == 0 and "error" not in check.stderr, check.stderr
    again = run_cli("new-brand", str(tmp_path / "clinic"))
    assert again.returncode == 1 and "already there" in again.stderr
