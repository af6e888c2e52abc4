"""The pinned output of every real entry in this folder, in both styles: expected-ama.json and
expected-vancouver.json. After a deliberate change to docbuild/cite.py:

    python tests/data/csl/regenerate.py

then read `git diff tests/data/csl/` entry by entry before committing: tests/test_cite.py compares
against these files.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXPORTS = ("better-bibtex", "manubot-deep-review", "manubot-deep-review-manual", "manubot-thinktank-clinicians",
           "csl-styles-sheldon")
FIXTURES = ("csl-test-suite", "csl-test-suite-more")
LOCATOR_FULL, LOCATOR_SHORT = "pp. 3-5", "p. 3"


def entries() -> dict[str, dict]:
    """Every entry by a key naming where it is: "better-bibtex/12:jackson2013a", "suite/date_Season/0"."""
    out = {}
    for name in EXPORTS:
        for index, entry in enumerate(json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))):
            out[f"{name}/{index}:{entry['id']}"] = entry
    for name in FIXTURES:
        for fixture in json.loads((HERE / f"{name}.json").read_text(encoding="utf-8")):
            for index, entry in enumerate(fixture["input"]):
                out[f"suite/{fixture['name']}/{index}"] = entry
    return out


def render(style: str, found: dict[str, dict] | None = None) -> dict[str, dict[str, str]]:
    from docbuild.cite import CitationStyle
    found = entries() if found is None else found
    cite = CitationStyle(found, style)
    return {key: {"entry": cite.entry(key), "full": cite.full(key, LOCATOR_FULL),
                  "short": cite.short(key, LOCATOR_SHORT)} for key in found}


def expected_path(style: str) -> Path:
    return HERE / f"expected-{style}.json"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    for style in ("ama", "vancouver"):
        text = json.dumps(render(style), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        expected_path(style).write_text(text, encoding="utf-8")
        print(f"wrote {expected_path(style).relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
