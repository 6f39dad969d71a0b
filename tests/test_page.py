"""Every page is the one shell (pipeline/page.py): its head, the palette where every colour is
named, light and dark, and the language of its text."""

from __future__ import annotations

import re

import pytest

from pipeline import evaluate, export, review
from pipeline.page import PALETTE, render_page
from tests.cli_helpers import eval_note, eval_report, make_entry, period_entries

COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsla?\(")


def pages() -> dict[str, str]:
    entries = [make_entry(), make_entry("2506.00002", machine_en="Another first line.")]
    return {
        "day": export.render_html([("2025-06-24", entries)]),
        "review": review.render_html_page([review.review_entry(e) for e in entries], "Review"),
        "period": review.render_period_html(
            review.period_review(period_entries(), "2025-06-01", "2025-06-30")
        ),
        "eval": evaluate.render_html(eval_report([eval_note(1, "Other."), eval_note(2, "")])),
    }


@pytest.mark.parametrize("name", ["day", "review", "period", "eval"])
def test_a_page_is_the_shell_with_colours_from_the_palette_only(name: str) -> None:
    page = pages()[name]
    head, _, body = page.partition("</head>\n<body>\n")
    assert head.startswith('<!DOCTYPE html>\n<html lang="') and body.endswith("</body>\n</html>\n")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in head
    style = head[head.index("<style>") + 7 : head.index("</style>")]
    assert style.startswith(PALETTE) and "@media (prefers-color-scheme: dark)" in style
    assert COLOUR.findall(style.removeprefix(PALETTE)) == []  # no colour named twice
    assert ":lang(ko){word-break:keep-all}" in style and "<script" not in page


def test_the_digest_page_is_korean_and_the_others_english() -> None:
    found = {name: re.search(r'<html lang="(\w+)">', page) for name, page in pages().items()}
    assert {name: m.group(1) for name, m in found.items() if m} == {
        "day": "ko",
        "review": "en",
        "period": "en",
        "eval": "en",
    }
    day = pages()["day"]
    assert '<p class="en" lang="en">' in day and "<title>2025년 6월 24일 digest</title>" in day


def test_the_shell_escapes_its_title_and_keeps_the_body_as_given() -> None:
    page = render_page('A <b> & "c"', ["<h1>raw</h1>", "<p>x</p>"], "p{margin:0}", lang="ko")
    assert "<title>A &lt;b&gt; &amp; &quot;c&quot;</title>" in page
    assert "<body>\n<h1>raw</h1>\n<p>x</p>\n</body>" in page and page.count("p{margin:0}") == 1
