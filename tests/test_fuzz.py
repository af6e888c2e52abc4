"""Property-based tests: generated chapters, citations, footnotes, front matter and book.toml values
end in a clean build or a clean user error, never a traceback.

HYPOTHESIS_PROFILE=long runs many more examples than CI's default.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from docbuild.build import build, check
from docbuild.errors import DocError

settings.register_profile("ci", max_examples=1500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=20000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

KEYS = ["smith2020", "lee2019"]
REFERENCES = [
    {"id": "smith2020", "type": "article-journal", "title": "Stress & tension", "author": [{"family": "Smith",
     "given": "J"}], "container-title-short": "J Test", "issued": {"date-parts": [[2020]]}},
    {"id": "lee2019", "type": "book", "title": "Living <with> pain", "publisher": "Press",
     "issued": {"date-parts": [[2019]]}},
]

words = st.text(alphabet=st.sampled_from("abcdefghij klmnop XYZ 0123 .,;:!?'\"&<>{}()*_`~-+=#|\\/\u00e9\u4e2d\ue000"),
                max_size=40)
citation = st.builds(lambda keys, loc: "[" + "; ".join("@" + k for k in keys) + (f", {loc}" if loc else "") + "]",
                     st.lists(st.sampled_from(KEYS + ["nope", "", "a b", "smith2020;"]), min_size=1, max_size=3),
                     st.sampled_from(["", "p. 3", "pp. 1-2", "chap. <2>", ";"]))
piece = st.one_of(words, citation, st.just("[^n1]"), st.just("[^n2]"), st.just("[@]"), st.just("\n\n"),
                  st.just("\n> [!WARNING]\n> "), st.just("\n| a | b |\n|---|---|\n| 1 | 2 |\n"),
                  st.just("\n- item\n- "), st.just("\n## Heading\n"), st.just("![alt](images/none.png)"),
                  st.just("<b>"), st.just("{{ 7*7 }}"), st.just("\n[^n1]: A note "), st.just("\n---\n"))
body = st.lists(piece, max_size=25).map("".join)
front = st.one_of(st.just("---\ntitle: A chapter\n---\n"), st.just("---\ntitle: [x\n---\n"), st.just(""),
                  st.just("---\ntitle:\n---\n"), st.just("---\ntitle: ok\n"),
                  words.map(lambda t: f"---\ntitle: {json.dumps(t)}\n---\n"))
toml_value = st.one_of(st.just('"Title"'), st.just("2026-01-10"), st.just("2026-02-30"), st.just("3"),
                       st.just('"en-GB"'), st.just('"x y"'), st.just("[1, 2]"), st.just('"'),
                       words.map(json.dumps))
toml_key = st.sampled_from(["title", "language", "slug", "published", "reviewed", "next_review", "subtitle",
                            "chapters", "colour"])


def _write_book(root: Path, chapter: str, extra_toml: dict[str, str]) -> None:
    (root / "chapters").mkdir(parents=True)
    lines = ['title = "Fuzz"'] if "title" not in extra_toml else []
    lines += [f"{k} = {v}" for k, v in extra_toml.items()]
    (root / "book.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "references.json").write_text(json.dumps(REFERENCES, indent=2), encoding="utf-8")
    (root / "chapters" / "01.md").write_text(chapter, encoding="utf-8")


@given(front, body, st.dictionaries(toml_key, toml_value, max_size=3))
def test_check_ends_cleanly(tmp_path_factory, front_matter, text, toml):
    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    _write_book(root, front_matter + text, toml)
    try:
        check(root)
    except DocError as exc:
        assert exc.problems and all(p.severity == "error" for p in exc.problems)
        assert all(str(p).count(": error: ") == 1 for p in exc.problems)


@settings(max_examples=int(os.environ.get("FUZZ_BUILDS", "6")))
@given(body)
def test_build_gives_valid_files_or_a_clean_error(tmp_path_factory, text):
    root = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    _write_book(root, "---\ntitle: A chapter\n---\n" + text, {})
    out = root / "out"
    try:
        written = build(root, out).written
    except DocError:
        assert not out.exists() or not [p for p in out.iterdir() if not p.name.startswith(".")]
        return
    pdf, epub = (w.path for w in written)
    assert len(PdfReader(pdf).pages) >= 3
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                etree.fromstring(z.read(name))   # well-formed XHTML whatever the chapter said
