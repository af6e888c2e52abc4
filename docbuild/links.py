"""Links: which addresses a handout may link to, DOIs in any of their usual spellings, and brand contacts.

A link in a chapter may go to the web (http, https), to an email address (mailto:), to a phone
number (tel:) or to a section of the book (#id). Everything else is refused with a message that
says what to write instead. The check reads the address the way a browser does: entities decoded,
tabs and newlines inside dropped, spaces around it ignored, scheme in any case, so
" JaVa&#x09;script:" is seen for what it is.
"""
from __future__ import annotations

import html
import re
from urllib.parse import quote, unquote, urlsplit

ALLOWED = ("http", "https", "mailto", "tel")
DANGEROUS = {"javascript": "runs a script", "vbscript": "runs a script", "livescript": "runs a script",
             "data": "carries a whole page or file inside the link", "file": "opens a file on the reader's computer",
             "blob": "points to data in a browser", "filesystem": "points to data in a browser"}
HOW = "link to the web address (https://…), an email (mailto:…), a phone number (tel:…) or a section with #"
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_EMAIL = re.compile(r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
                    r"@(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                    r"(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}))")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})")
# a DOI, or a ShortDOI ("10/fqd6hj", which doi.org resolves, as Better BibTeX exports them)
_DOI = re.compile(r"10\.\d{4,9}(?:\.\d+)*/\S+|10/[A-Za-z0-9]+")
_DOI_PREFIX = re.compile(r"(?:doi\s*:\s*|(?:https?://)?(?:dx\.|www\.)?doi\.org/)", re.I)


def _as_browser_reads(url: str) -> str:
    """Entities decoded, controls and spaces at either end dropped, tabs and newlines inside removed."""
    text = html.unescape(url)
    text = text.strip("".join(map(chr, range(0x21))) + "\x7f")
    return re.sub(r"[\t\n\r]", "", text)


def _visible(url: str) -> str:
    """The link as typed, with hidden characters shown (a tab as \\t)."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], url.strip())


def link_problem(url: str) -> str | None:
    """Why a link in the book is refused, in words for staff, or None when it is allowed."""
    read, url = _as_browser_reads(url), _visible(url)
    if not read:
        return f"the link is empty: {HOW}"
    if read.startswith("#"):
        return None if len(read) > 1 and not re.search(r"[\s\x00-\x1f\x7f]", read) else \
            f'the link "{url}" does not name a section: write # and the section\'s id, e.g. #side-effects'
    scheme = _SCHEME.match(re.sub(r"[\x00-\x20\x7f]", "", read))
    if read.startswith(("//", "\\\\", "/\\", "\\/")):
        return f'the link "{url}" starts with //: write the full web address, starting with https://'
    if not scheme:
        host = read.split("/", 1)[0]
        guess = f" (perhaps https://{read})" if host.lower().startswith("www.") and _HOST.fullmatch(host) else ""
        return f'the link "{url}" is not a web address{guess}: {HOW}'
    name = scheme.group(1).lower()
    if name in DANGEROUS or name not in ALLOWED:
        why = DANGEROUS.get(name, "is not a kind of link a handout can use")
        return f'the link "{url}" {why} ({name}:): {HOW}'
    if re.search(r"[\x00-\x1f\x7f]", read):
        return f'the link "{url}" has a hidden control character inside: type the address again'
    return {"mailto": _mailto_problem, "tel": _tel_problem}.get(name, _web_problem)(read, url)


def _web_problem(read: str, shown: str) -> str | None:
    try:
        parts = urlsplit(read)
        parts.port
    except ValueError:
        return f'the link "{shown}" is not a valid web address: copy it again from the browser\'s address bar'
    if not parts.hostname or " " in parts.netloc:
        return f'the link "{shown}" has no web site name after //: write it as https://example.org/page'
    if "@" in parts.netloc:
        return f'the link "{shown}" has a name or password before the site (…@): remove it'
    return None


def _mailto_problem(read: str, shown: str) -> str | None:
    address = unquote(read.split(":", 1)[1].split("?", 1)[0])
    if all(_EMAIL.fullmatch(part.strip()) for part in address.split(",")):
        return None
    return f'the link "{shown}" is not a valid email address: write it as mailto:name@example.org'


def _tel_problem(read: str, shown: str) -> str | None:
    number = unquote(read.split(":", 1)[1])
    if re.fullmatch(r"\+?[0-9 ().-]+", number) and sum(c.isdigit() for c in number) >= 3:
        return None
    return f'the link "{shown}" is not a phone number: write it as tel:+44 20 7946 0000 (digits, spaces, +)'


def normalise_doi(value: str) -> str | None:
    """The bare DOI ("10.1000/xyz") from "10.1000/xyz", "doi:10.1000/xyz", "https://doi.org/10.1000/xyz"
    or "http://dx.doi.org/10.1000/xyz"; None when the value is not a DOI."""
    text = value.strip()
    prefix = _DOI_PREFIX.match(text)
    if prefix:
        text = text[prefix.end():]
        if "doi.org" in prefix.group().lower():
            text = unquote(text)
    if re.search(r"[\x00-\x1f\x7f]", text) or not _DOI.fullmatch(text):
        return None
    return text


def doi_url(doi: str) -> str:
    """The https://doi.org/ address of a bare DOI, with the characters a URL cannot hold encoded."""
    return "https://doi.org/" + quote(doi, safe="/:;()._-~!$&'*+,=@")


def email_problem(value: str) -> str | None:
    """Why an email address (as staff type it into brand.toml) is refused, or None."""
    address = value.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:"):]
    if len(address) <= 254 and _EMAIL.fullmatch(address):
        return None
    return f'"{value.strip()}" is not an email address: write it as name@example.org'


def safe_url(value: str) -> str | None:
    """A safe link for a brand's website or email: an https/http address as given, "https://" added to
    a bare site name ("clinic.example.org"), "mailto:" added to an email address; None for anything
    else (see `contact_problem` for the reason)."""
    text = value.strip()
    if "@" in text and not re.match(r"https?://", text, re.I):
        if email_problem(text):
            return None
        address = text.split(":", 1)[1] if text.lower().startswith("mailto:") else text
        return "mailto:" + quote(address, safe="@.-_+!$'*=^`{|}~")
    if _HOST.fullmatch(text.split("/", 1)[0]) and not text.startswith("/"):
        text = "https://" + text
    if not re.match(r"https?://", text, re.I) or link_problem(text):
        return None
    return text


def contact_problem(value: str) -> str | None:
    """Why `safe_url` refuses a brand's website or email, for staff, or None when it accepts it."""
    if safe_url(value) is not None:
        return None
    text = value.strip()
    if "@" in text and not re.match(r"https?://", text, re.I):
        return email_problem(text)
    return (f'"{text}" is not a web address or an email address: write the website as '
            "https://example.org or the email as name@example.org")
