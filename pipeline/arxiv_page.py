"""A paper from its arXiv landing page (…/abs/ID), for when the API refuses.

The page's head carries the paper's metadata in Google Scholar's `<meta name="citation_…">` tags;
arXiv writes them from the same record as the API (browse/formatting/metatags.py in
arXiv/arxiv-browse), so what they say is turned into what the API would say: authors `Last,
First` become `First Last`, and the text goes through the API's own whitespace rules. The HTML is
read with the standard library's parser (entities decoded, nothing run); arXiv's TeX escapes
such as `\\%` are text to it and stay, as the API keeps them.

What a page cannot give: an author's line break inside the abstract (arXiv collapses a line
break followed by indentation into a space on the page), the categories, the comment, and, for
an id asked without one, the version. The API's record replaces a page's when the API answers.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from pipeline.arxiv import PAGE_SOURCE, Paper, normalize_abstract, normalize_title
from pipeline.errors import InputError
from pipeline.text import PaperId, parse_id


class NotThatPaper(Exception):
    """The page names another paper, or none: it is not the page of the paper asked for."""


class _CitationTags(HTMLParser):
    """The `citation_*` meta tags of a page's head, each name with its values in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, list[str]] = {}
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.in_body = True  # the head is over; a tag in the body is not the page's own
        if tag != "meta" or self.in_body:
            return
        values = dict(attrs)
        name = (values.get("name") or "").strip().lower()
        if name.startswith("citation_"):
            self.tags.setdefault(name, []).append(values.get("content") or "")


def citation_tags(page: str) -> dict[str, list[str]]:
    parser = _CitationTags()
    parser.feed(page)
    parser.close()
    return parser.tags


def api_author(name: str) -> str:
    """arXiv's `citation_author` ("Last Suffix, First") as the API writes it ("First Last
    Suffix"); a name without a comma (a collaboration) stays as it is."""
    last, comma, first = name.partition(",")
    return " ".join(f"{first} {last}".split() if comma else last.split())


def api_date(value: str) -> str:
    """`citation_date` ("2024/05/20", UTC) as a date the drafts read (2024-05-20); "" if none."""
    try:
        return dt.datetime.strptime(value.strip(), "%Y/%m/%d").date().isoformat()
    except ValueError:
        return ""


def parse_landing_page(page: str, paper_id: PaperId, url: str) -> Paper:
    """The paper a landing page describes; NotThatPaper unless it names `paper_id` and has a
    title (the API's rules for whitespace applied, so that the two records compare equal)."""
    tags = citation_tags(page)

    def first(name: str) -> str:
        return next(iter(tags.get(name, [])), "")

    named = first("citation_arxiv_id").strip()
    try:
        named_id = parse_id(named) if named else None
    except InputError:
        named_id = None
    if named_id is None:
        raise NotThatPaper(f"the landing page {url} names no arXiv paper")
    if named_id.base != paper_id.base:
        raise NotThatPaper(f"the landing page {url} is the page of {named_id.base}, not {paper_id}")
    title = normalize_title(first("citation_title"))
    if not title:
        raise NotThatPaper(f"the landing page {url} gives no title")
    version = paper_id.version or named_id.version  # a page asked with a version is that version
    base = paper_id.base
    return Paper(
        id=base,
        version=version,
        title=title,
        authors=[a for a in (api_author(n) for n in tags.get("citation_author", [])) if a],
        abstract=normalize_abstract(first("citation_abstract")),
        published=api_date(first("citation_date")),
        updated=api_date(first("citation_online_date")),
        url=f"https://arxiv.org/abs/{base}{version}",
        pdf_url=f"https://arxiv.org/pdf/{base}{version}",
        source=PAGE_SOURCE,
    )
