"""Landing pages: the citation_* tags of real page heads, and a page read as the API's record."""

from __future__ import annotations

import pytest

from pipeline.arxiv import ArxivClient, Paper
from pipeline.arxiv_page import (
    NotThatPaper,
    api_author,
    api_date,
    citation_tags,
    parse_landing_page,
)
from pipeline.config import load_settings
from pipeline.text import PaperId, parse_id
from tests.conftest import DATA
from tests.servers import ArxivServer, FakePaper, landing_page

PAGES = DATA / "arxiv-pages"


def real_page(paper_id: str) -> Paper:
    text = (PAGES / f"{paper_id}.head.html").read_text(encoding="utf-8")
    return parse_landing_page(text, parse_id(paper_id), f"https://arxiv.org/abs/{paper_id}")


# -- the two real heads, as arXiv served them in 2026 -------------------------------------------
def test_a_real_head_with_four_authors_and_an_entity() -> None:
    paper = real_page("2405.12311")
    assert paper.title == (
        "SpotKube: Cost-Optimal Microservices Deployment with Cluster Autoscaling and Spot Pricing"
    )
    assert paper.authors == [
        "Dasith Edirisinghe",
        "Kavinda Rajapakse",
        "Pasindu Abeysinghe",
        "Sunimal Rathnayake",
    ]
    assert paper.abstract.startswith("Microservices architecture, known for its agility")
    assert "demonstrate SpotKube's superior performance" in paper.abstract  # &#39; decoded
    assert "&#39;" not in paper.abstract and "\n" not in paper.abstract
    assert (paper.published, paper.updated) == ("2024-05-20", "2025-02-07")
    assert (paper.id, paper.version, paper.source) == ("2405.12311", "", "arxiv-page")
    assert paper.url == "https://arxiv.org/abs/2405.12311"
    assert paper.pdf_url == "https://arxiv.org/pdf/2405.12311"


def test_a_real_head_keeps_tex_escapes_as_the_api_does() -> None:
    paper = real_page("2307.12479")
    assert paper.authors == ["Saurabh Deochake"]
    assert "representing 40-60\\% of technical budgets" in paper.abstract  # the API's `\%`
    assert "achieve 50-90% cost savings" in paper.abstract  # a bare % stays bare
    assert paper.abstract.endswith("in this rapidly evolving field.")
    assert (paper.published, paper.updated) == ("2023-07-24", "2026-01-27")


def test_the_tags_of_a_real_head_in_order() -> None:
    text = (PAGES / "2405.12311.head.html").read_text(encoding="utf-8")
    tags = citation_tags(text)
    assert tags["citation_arxiv_id"] == ["2405.12311"]
    assert len(tags["citation_author"]) == 4 and tags["citation_author"][0] == "Edirisinghe, Dasith"
    assert tags["citation_doi"] == ["10.1109/CloudCom62794.2024.00026"]


def test_a_page_asked_with_a_version_is_that_version() -> None:
    text = (PAGES / "2405.12311.head.html").read_text(encoding="utf-8")
    paper = parse_landing_page(text, parse_id("2405.12311v2"), "u")
    assert paper.version == "v2" and paper.url == "https://arxiv.org/abs/2405.12311v2"


# -- pure parts, as tables ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("tag", "api"),
    [
        ("Edirisinghe, Dasith", "Dasith Edirisinghe"),
        ("Smith Jr., John", "John Smith Jr."),
        ("de la Tour, Jean-Baptiste", "Jean-Baptiste de la Tour"),
        ("Álvarez,  José  María", "José María Álvarez"),
        ("ATLAS Collaboration", "ATLAS Collaboration"),
        ("Collaboration, ", "Collaboration"),
        ("  ", ""),
    ],
)
def test_authors_are_written_as_the_api_writes_them(tag: str, api: str) -> None:
    assert api_author(tag) == api


@pytest.mark.parametrize(
    ("value", "day"),
    [("2024/05/20", "2024-05-20"), (" 2026/01/27 ", "2026-01-27"), ("2024-05-20", ""), ("", "")],
)
def test_dates(value: str, day: str) -> None:
    assert api_date(value) == day


@pytest.mark.parametrize(
    ("tags", "message"),
    [
        ('<meta name="citation_title" content="T" />', "names no arXiv paper"),
        (
            '<meta name="citation_title" content="T" />'
            '<meta name="citation_arxiv_id" content="2506.00002" />',
            "is the page of 2506.00002, not 2506.00001",
        ),
        (
            '<meta name="citation_title" content="T" />'
            '<meta name="citation_arxiv_id" content="not an id" />',
            "names no arXiv paper",
        ),
        ('<meta name="citation_arxiv_id" content="2506.00001" />', "gives no title"),
    ],
    ids=["no-id", "another-id", "garbage-id", "no-title"],
)
def test_a_page_naming_another_paper_or_none_is_not_that_paper(tags: str, message: str) -> None:
    with pytest.raises(NotThatPaper, match=message):
        parse_landing_page(
            f"<html><head>{tags}</head><body></body></html>", PaperId("2506.00001"), "u"
        )


def test_tags_in_the_body_are_not_the_pages_metadata() -> None:
    page = (
        '<html><head><meta name="citation_title" content="Head" />'
        '<meta name="citation_author" content="Head, Some" />'
        '<meta name="citation_abstract" content="A." />'
        '<meta name="citation_arxiv_id" content="2506.00001" /></head>'
        '<body><meta name="citation_title" content="Body" />'
        '<meta name="citation_author" content="Body, Some" /></body></html>'
    )
    paper = parse_landing_page(page, PaperId("2506.00001"), "u")
    assert (paper.title, paper.authors) == ("Head", ["Some Head"])


def test_markup_in_a_page_is_text_never_run() -> None:
    page = (
        '<head><meta name="citation_arxiv_id" content="2506.00001" />'
        '<meta name="citation_title" content="&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" />'
        '<meta name="citation_author" content="Lee, Ann" /><meta name="citation_abstract" content="A." />'
        '<script>document.write(\'<meta name="citation_title" content="injected" />\')</script>'
        "</head>"
    )
    paper = parse_landing_page(page, PaperId("2506.00001"), "u")
    assert paper.title == "<script>alert(1)</script> & more"


# -- the same paper from the API and from its landing page ---------------------------------------
HARD = [
    FakePaper(
        "2506.00001",
        "Attention  Is All\n  You Need: a  Title with Wraps",
        ["Ashish Vaswani", "José María Álvarez", "Jean-Baptiste de la Tour"],
        "We show that O'Neil's bound holds for 40-60\\% of $n < m$ & all $k > 2$ cases, "
        "which is a long sentence that arXiv wraps at about eighty columns in its metadata, "
        'and "quoted" words, an ellipsis..., and    spaced   words keep their text.',
    ),
    FakePaper("2506.00002", "Short", ["Madonna"], "One line."),
    FakePaper(
        "2506.00003",
        "Unicode: 한국어 제목과 Ümlaut",
        ["Zoë Ngô"],
        " ".join(["Words that wrap"] * 30),
    ),
]


@pytest.mark.parametrize("fake", HARD, ids=[p.id for p in HARD])
def test_a_landing_page_gives_what_the_api_gives(
    arxiv_server: ArxivServer, fake: FakePaper
) -> None:
    """Titles, authors and abstracts exact, through the API's own whitespace rules."""
    arxiv_server.add(fake)
    settings = load_settings()
    from_api = ArxivClient(settings).fetch_one(parse_id(fake.id))
    page = landing_page(fake)
    from_page = parse_landing_page(page, parse_id(fake.id), "u")
    assert from_api.source == "arxiv" and from_page.source == "arxiv-page"
    assert from_page.title == from_api.title
    assert from_page.authors == from_api.authors == fake.authors
    assert from_page.abstract == from_api.abstract == " ".join(fake.abstract.split())
    assert (from_page.published, from_page.updated) == (
        from_api.published[:10],
        from_api.updated[:10],
    )
    assert from_page.url == f"https://arxiv.org/abs/{fake.id}"


def test_an_authors_line_break_is_a_space_on_the_page(arxiv_server: ArxivServer) -> None:
    """What a page cannot give: arXiv collapses a line break and its indentation into a space
    (the README says so; the API's record replaces the page's when the API answers)."""
    fake = FakePaper("2506.00004", "T", ["A B"], "First paragraph.\nProject: https://x.y/z")
    arxiv_server.add(fake)
    from_api = ArxivClient(load_settings()).fetch_one(parse_id(fake.id))
    from_page = parse_landing_page(landing_page(fake), parse_id(fake.id), "u")
    assert from_api.abstract == "First paragraph.\nProject: https://x.y/z"
    assert from_page.abstract == "First paragraph. Project: https://x.y/z"


def test_the_loopback_page_is_shaped_like_a_real_one() -> None:
    """The fake page's head carries the real head's tags, in the real order."""
    real = citation_tags((PAGES / "2307.12479.head.html").read_text(encoding="utf-8"))
    fake = citation_tags(landing_page(FakePaper("2307.12479", "T", ["Saurabh Deochake"], "A.")))
    assert list(fake) == list(real)
    assert fake["citation_author"] == real["citation_author"] == ["Deochake, Saurabh"]


def test_a_malformed_marked_section_is_a_page_that_cannot_be_read() -> None:
    """Python 3.11's parser raises AssertionError on `<![foo[` (an unknown marked section): a
    page that cannot be read, as any other page that is not the paper's."""
    page = '<head><meta name="citation_arxiv_id" content="2506.00001" /><![foo[ x ]]></head>'
    with pytest.raises(NotThatPaper):
        parse_landing_page(page, PaperId("2506.00001"), "u")
