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

A page is whatever the server at DIGEST_ARXIV_ABS_URL sends, so its reading is bounded whatever
the bytes: only the head is read (to `</head>`, at most PAGE_LIMIT), in time linear in its size
(see citation_tags), and what is no text (control characters, escapes, bidi overrides, lost
characters) leaves its values, as the API's XML could not carry most of it.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

from pipeline.arxiv import PAGE_LIMIT, PAGE_SOURCE, Paper, normalize_abstract, normalize_title
from pipeline.errors import InputError
from pipeline.text import PaperId, parse_id, strip_unprintable

_HEAD_END = "</head>"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class NotThatPaper(Exception):
    """The page is not the record of the paper asked for: it names another paper or none, lacks
    what every arXiv record has (a title, authors, an abstract), or cannot be read."""


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


def head_of(page: str) -> str:
    """The page up to its `</head>` (in any case), or all of it when it has none."""
    end = page.translate(_ASCII_LOWER).find(_HEAD_END)  # str.lower may change lengths
    return page if end < 0 else page[:end]


def citation_tags(page: str) -> dict[str, list[str]]:
    """The citation_* tags of the page's head, read from at most PAGE_LIMIT characters.

    The page is fed to the parser once and the parser is never closed. HTMLParser.close() reads
    an unfinished construct (`<a ` with no `>`, an open comment or quote) by scanning from each
    `<` to the end of the input in turn, in time quadratic in the page (CVE-2025-6069: 48 kB of
    `<a ` took 29 s, 4 MB of `<!` six minutes); feed() stops at the first unfinished construct
    and waits for more input that never comes, so every byte is looked at a bounded number of
    times. A tag cut off at the end is then left unread rather than read in part."""
    parser = _CitationTags()
    try:
        parser.feed(head_of(page[:PAGE_LIMIT]))
    except AssertionError as exc:  # _markupbase on a malformed `<![…` section (Python < 3.13)
        raise ValueError(f"it does not parse as HTML ({exc})") from None
    return parser.tags


def page_text(value: str) -> str:
    """A value of the page as text: what is no text (text.strip_unprintable: control
    characters, terminal escapes, bidi overrides, U+FFFD from a NUL or bytes that were not
    UTF-8) goes, as no arXiv record holds it."""
    return strip_unprintable(value)[0]


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
    title, authors and an abstract (the API's rules for whitespace applied, so that the two
    records compare equal)."""
    if len(head_of(page)) > PAGE_LIMIT:
        raise NotThatPaper(
            f"the landing page {url} has more than {PAGE_LIMIT // 1024} KB before </head>; not read"
        )
    try:
        tags = citation_tags(page)
    except ValueError as exc:
        raise NotThatPaper(f"the landing page {url} cannot be read: {exc}") from None

    def first(name: str) -> str:
        return page_text(next(iter(tags.get(name, [])), ""))

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
    authors = [a for a in (api_author(page_text(n)) for n in tags.get("citation_author", [])) if a]
    abstract = normalize_abstract(first("citation_abstract"))
    # every arXiv record has them: a page without them would print `()` or an empty line where
    # the digest has the authors and the abstract
    for value, what in ((title, "title"), (authors, "authors"), (abstract, "abstract")):
        if not value:
            raise NotThatPaper(f"the landing page {url} gives no {what}")
    version = paper_id.version or named_id.version  # a page asked with a version is that version
    base = paper_id.base
    return Paper(
        id=base,
        version=version,
        title=title,
        authors=authors,
        abstract=abstract,
        published=api_date(first("citation_date")),
        updated=api_date(first("citation_online_date")),
        url=f"https://arxiv.org/abs/{base}{version}",
        pdf_url=f"https://arxiv.org/pdf/{base}{version}",
        source=PAGE_SOURCE,
    )
