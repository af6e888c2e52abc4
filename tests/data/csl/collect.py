"""How the real CSL-JSON in this folder was gathered (run once; the results are committed).

    python tests/data/csl/collect.py MIRRORS

MIRRORS holds bare git copies of the public repositories named in README.md, as
`owner+name/repo` (for example `retorquere+zotero-better-bibtex/repo`). Entries are copied as
found; only exact duplicates are dropped and, of the 615-entry Manubot file, a fixed selection is
kept (see `manubot_selection`).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BBT = "retorquere+zotero-better-bibtex"
NOT_APPLICABLE = ("citation-number", "disambiguate", "year-suffix", "subsequent-author-substitute",
                  "position", "first-reference-note-number", "locator", "collapse", "near-note", "display=")


def show(mirrors: Path, repo: str, ref: str, path: str) -> str:
    git = mirrors / repo / "repo"
    return subprocess.run(["git", f"--git-dir={git}", "show", f"{ref}:{path}"], check=True,
                          capture_output=True, text=True).stdout


def files(mirrors: Path, repo: str, ref: str, folder: str, suffix: str) -> list[str]:
    git = mirrors / repo / "repo"
    listing = subprocess.run(["git", f"--git-dir={git}", "ls-tree", "-r", "--name-only", ref, folder],
                             check=True, capture_output=True, text=True).stdout
    return sorted(p for p in listing.splitlines() if p.endswith(suffix))


def better_bibtex(mirrors: Path) -> list[dict]:
    entries, seen = [], set()
    for path in files(mirrors, BBT, "HEAD", "test/fixtures/export", ".csl.json"):
        try:
            found = json.loads(show(mirrors, BBT, "HEAD", path))
        except (json.JSONDecodeError, subprocess.CalledProcessError):   # a large file kept out of git
            continue
        for entry in found:
            text = json.dumps(entry, sort_keys=True)
            if text not in seen:
                seen.add(text)
                entries.append(entry)
    return entries


def manubot_selection(entries: list[dict]) -> list[dict]:
    """Every entry that is not a journal article or report, every title with markup, every one with
    a literal (institutional) author, and every twelfth of the rest."""
    keep = []
    for index, entry in enumerate(entries):
        rare = entry.get("type") not in ("article-journal", "report") or "<" in str(entry.get("title", "")) \
            or any(p.get("literal") for p in entry.get("author", []))
        if rare or index % 12 == 0:
            keep.append(entry)
    return keep


def suite_fixtures(mirrors: Path) -> list[dict]:
    """The CSL test-suite fixtures whose expected output docbuild can be held to: each entry rendered
    on its own (no disambiguation, numbering, positions, locators, collapsing or sorting of cites)."""
    repo = "citation-style-language+test-suite"
    kept = []
    for path in files(mirrors, repo, "HEAD", "processor-tests/machines", ".json"):
        fixture = json.loads(show(mirrors, repo, "HEAD", path))
        if any(fixture.get(k) for k in ("bibentries", "bibsection", "citation_items", "citations",
                                        "abbreviations")):
            continue
        element = "bibliography" if fixture["mode"] == "bibliography" else "citation"
        layout = re.search(rf"<{element}\b.*?</{element}>", fixture["csl"], re.S)
        if layout is None or "disambiguate" in fixture["csl"] \
                or any(word in layout.group(0) for word in NOT_APPLICABLE):
            continue
        if element == "citation" and (len(fixture["input"]) != 1 or "<sort" in layout.group(0)):
            continue
        kept.append({"name": Path(path).stem, "path": path, "mode": fixture["mode"], "csl": fixture["csl"],
                     "input": fixture["input"], "result": fixture["result"]})
    return kept


# fixtures whose expected output docbuild is not held to, kept for the types they hold
# (legislation, speech, personal_communication) in the pinned output of every entry
MORE_FIXTURES = ("bugreports_LegislationCrash", "bugreports_SectionAndLocator",
                 "bugreports_NoEventInNestedMacroWithOldProcessor", "sort_OmittedBibRefNonNumericStyle")


def more_fixtures(mirrors: Path) -> list[dict]:
    repo = "citation-style-language+test-suite"
    out = []
    for name in MORE_FIXTURES:
        path = f"processor-tests/machines/{name}.json"
        out.append({"name": name, "path": path, "input": json.loads(show(mirrors, repo, "HEAD", path))["input"]})
    return out


def write(name: str, data) -> None:
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    (HERE / name).write_text(text, encoding="utf-8")
    print(f"{name}: {len(data)}", file=sys.stderr)


def main(mirrors: Path) -> None:
    write("better-bibtex.json", better_bibtex(mirrors))
    deep = json.loads(show(mirrors, "greenelab+deep-review", "output", "references.json"))
    write("manubot-deep-review.json", manubot_selection(deep))
    write("manubot-deep-review-manual.json",
          json.loads(show(mirrors, "greenelab+deep-review", "HEAD", "content/manual-references.json")))
    write("manubot-thinktank-clinicians.json",
          json.loads(show(mirrors, "mtrevin5+ThinkTankClinicians", "output", "references.json"))
          + json.loads(show(mirrors, "mtrevin5+ThinkTankClinicians", "HEAD", "content/manual-references.json")))
    write("csl-styles-sheldon.json",
          json.loads(show(mirrors, "citation-style-language+styles", "HEAD", "spec/sheldon/items.json")))
    write("csl-test-suite.json", suite_fixtures(mirrors))
    write("csl-test-suite-more.json", more_fixtures(mirrors))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
