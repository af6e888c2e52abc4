"""AMA formatting from CSL-JSON, pinned for every type we accept."""
from __future__ import annotations

from docbuild.references import format_full, format_short

ARTICLE = {
    "id": "a", "type": "article-journal", "title": "Stress & pain: a <review>",
    "author": [{"family": n, "given": "A B"} for n in ("One", "Two", "Three", "Four", "Five", "Six", "Seven")],
    "container-title": "Journal of Things", "container-title-short": "J Things",
    "issued": {"date-parts": [[2019, 5]]}, "volume": "4", "issue": "3", "page": "245–255",
    "DOI": "https://doi.org/10.1037/1076-8998.4.3.245",
}


def test_journal_article_with_more_than_six_authors():
    assert format_full(ARTICLE) == (
        "One AB, Two AB, Three AB, et al. Stress &amp; pain: a &lt;review&gt;. <i>J Things</i>. 2019;4(3):245-255."
        ' doi:<a href="https://doi.org/10.1037/1076-8998.4.3.245">10.1037/1076-8998.4.3.245</a>')
    assert format_short(ARTICLE) == "One et al, 2019"


def test_six_authors_are_all_listed_and_initials_come_from_given_names():
    entry = {**ARTICLE, "author": [{"family": "Vonk", "given": "Imke J. J."}, {"family": "de Lima Umeoka",
             "given": "Eduardo H"}] + [{"family": f"N{i}", "given": "X"} for i in range(4)]}
    assert format_full(entry).startswith("Vonk IJJ, de Lima Umeoka EH, N0 X, N1 X, N2 X, N3 X. Stress")


def test_article_without_issue_or_short_title():
    entry = {"type": "article-journal", "title": "Chronic pain", "author": [{"family": "Abdallah", "given": "CG"},
             {"family": "Geha", "given": "P"}], "container-title": "Chronic Stress",
             "issued": {"date-parts": [[2017]]}, "volume": "1"}
    assert format_full(entry) == "Abdallah CG, Geha P. Chronic pain. <i>Chronic Stress</i>. 2017;1."
    assert format_short(entry) == "Abdallah and Geha, 2017"


def test_book():
    entry = {"type": "book", "title": "The Stress of Life", "author": [{"family": "Selye", "given": "Hans"}],
             "publisher": "McGraw-Hill", "publisher-place": "New York", "issued": {"date-parts": [[1956]]}}
    assert format_full(entry) == "Selye H. <i>The Stress of Life.</i> New York: McGraw-Hill; 1956."


def test_book_chapter():
    entry = {"type": "chapter", "title": "Pain and the brain", "author": [{"family": "Ng", "given": "T"}],
             "editor": [{"family": "Roe", "given": "J"}], "container-title": "Handbook of Pain",
             "publisher": "Example Press", "publisher-place": "Boston", "issued": {"date-parts": [[2010]]},
             "page": "12-30"}
    assert format_full(entry) == ("Ng T. Pain and the brain. In: Roe J, eds. <i>Handbook of Pain.</i> "
                                  "Boston: Example Press; 2010:12-30.")


def test_report_guideline():
    entry = {"type": "report", "title": "Low back pain and sciatica in over 16s",
             "author": [{"literal": "National Institute for Health and Care Excellence"}],
             "publisher": "National Institute for Health and Care Excellence", "genre": "NICE guideline",
             "number": "NG59", "issued": {"date-parts": [[2016]]}, "note": "Updated 2020"}
    assert format_full(entry) == (
        "National Institute for Health and Care Excellence. <i>Low back pain and sciatica in over 16s.</i> "
        "National Institute for Health and Care Excellence; 2016. NICE guideline NG59. Updated 2020.")
    assert format_short(entry) == "National Institute for Health and Care Excellence, 2016"


def test_web_page():
    entry = {"type": "webpage", "title": "Back pain", "container-title": "Health Site",
             "issued": {"date-parts": [[2021, 3, 4]]}, "accessed": {"date-parts": [[2026, 11, 20]]},
             "URL": "https://example.org/back?a=1&b=2"}
    assert format_full(entry) == ('Back pain. Health Site. Published March 4, 2021. Accessed November 20, 2026.'
                                  ' <a href="https://example.org/back?a=1&amp;b=2">https://example.org/back?a=1&amp;b=2</a>')
