"""URLs in the comments (and the abstract) are links in the HTML export: escaped, http(s) only,
without the sentence's punctuation (issue 27, item 8)."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.export import linked
from pipeline.store import Store
from tests.cli_helpers import make_entry, run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "연구 (https://www.arxiv.org/abs/2506.08737).",
            '연구 (<a href="https://www.arxiv.org/abs/2506.08737">'
            "https://www.arxiv.org/abs/2506.08737</a>).",
        ),
        (
            "코드는 https://github.com/x/y에서 볼 수 있다",
            '코드는 <a href="https://github.com/x/y">https://github.com/x/y</a>에서 볼 수 있다',
        ),
        (
            "See https://en.wikipedia.org/wiki/Foo_(bar), and http://a.org/?q=1&b=2.",
            'See <a href="https://en.wikipedia.org/wiki/Foo_(bar)">'
            "https://en.wikipedia.org/wiki/Foo_(bar)</a>, and "
            '<a href="http://a.org/?q=1&amp;b=2">http://a.org/?q=1&amp;b=2</a>.',
        ),
        (
            "no link: javascript:alert(1) ftp://x.org https:// <b>",
            html.escape("no link: javascript:alert(1) ftp://x.org https:// <b>"),
        ),
        (
            'https://x.org/"><script>alert(1)</script>',
            '<a href="https://x.org/">https://x.org/</a>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
        ),
    ],
)
def test_urls_become_links(text: str, expected: str) -> None:
    assert linked(text) == expected


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@given(st.text(alphabet="ab<>&\"' ()./:한https", max_size=60))
def test_any_text_stays_text_and_links_only_http(text: str) -> None:
    parsed = _Collect()
    parsed.feed(linked(text))
    parsed.close()
    assert set(parsed.tags) <= {"a"}
    assert all(h.startswith(("http://", "https://")) for h in parsed.hrefs)
    assert "".join(parsed.text) == text  # what the reader sees is the text, unchanged


def test_the_html_export_links_the_urls_of_the_comments(isolated: Path) -> None:
    Store(isolated / "drafts").save(
        make_entry(
            comment_ko="코드 (https://github.com/Gen-Verse/ReasonFlux) 참고.",
            comment_en="Code at https://github.com/Gen-Verse/ReasonFlux.",
            abstract="Projects: https://github.com/Gen-Verse/ReasonFlux",
        )
    )
    page = run("export", "2025-06-24", "--format", "html", "--force").stdout
    link = '<a href="https://github.com/Gen-Verse/ReasonFlux">https://github.com/Gen-Verse/ReasonFlux</a>'
    assert f'<p class="ko" lang="ko">코드 ({link}) 참고.</p>' in page
    assert f'<p class="en" lang="en">Code at {link}.</p>' in page
    assert f"<p>Projects: {link}</p>" in page
