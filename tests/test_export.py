"""Renderings of a day or a range of days: text, Markdown for GitHub, one HTML page, versioned
JSON; entries that are not ready; links and Markdown that cannot be turned against the reader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.digest import parse_digest, render_day
from pipeline.entry import AWAITING, ERROR, NEEDS_REVIEW, Entry, Finding
from pipeline.export import (
    JSON_SCHEMA_ID,
    RENDERERS,
    DayEntries,
    _md_lines,
    arxiv_link,
    json_document,
    render_html,
    render_json,
    render_markdown,
    render_text,
    text_entry,
    text_left_out,
    text_problem,
)
from tests.cli_helpers import DATE, KO, drafted, load_draft, make_entry, run
from tests.conftest import FORMAT_SAMPLE, REPO
from tests.servers import ArxivServer, FakePaper, Fault, OpenAIServer

SCHEMA = json.loads(
    (REPO / "pipeline" / "schema" / "digest-v1.schema.json").read_text(encoding="utf-8")
)
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

# What a CommonMark/GitHub reader takes for the start of a block (heading, list, rule, quote,
# setext underline, fence, indented code, HTML block).
BLOCK_START = re.compile(
    r"^(?: {4}|\t| {0,3}(?:#{1,6}(?:\s|$)|[-+*](?:\s|$)|\d{1,9}[.)](?:\s|$)|>|[-=_*]{3,}\s*$"
    r"|=+\s*$|-+\s*$|```|~~~|<[a-zA-Z/!?]))"
)


def sample_entries() -> list[Entry]:
    """The three entries of the format sample, as drafts of 2025-06-24."""
    [day] = parse_digest(FORMAT_SAMPLE.read_text(encoding="utf-8"))
    return [
        make_entry(
            f"2506.0000{i}",
            day.date,
            title=t.title,
            authors=t.authors,
            abstract=t.abstract,
            comment_ko=t.comment_ko,
            machine_en=t.comment_en,
            comment_en=t.comment_en,
            tags=t.tags,
        )
        for i, t in enumerate(day.entries, 1)
    ]


def awaiting(entry_id: str = "2506.00009", **changes: object) -> Entry:
    return make_entry(
        entry_id, "2025-06-24", machine_en="", comment_en="", status=AWAITING, **changes
    )


# -- ranges ------------------------------------------------------------------------------------
def test_the_text_of_one_day_is_the_sample_byte_for_byte_in_both_calls() -> None:
    entries = sample_entries()
    expected = FORMAT_SAMPLE.read_text(encoding="utf-8")
    assert render_text([DayEntries("2025-06-24", entries)]) == expected
    assert render_text([("2025-06-24", entries)]) == expected  # plain tuples too


def test_a_range_in_text_is_the_days_one_after_another_and_reads_back() -> None:
    entries = sample_entries()
    days = [DayEntries("2025-06-24", entries[:2]), DayEntries("2025-06-25", entries[2:])]
    text = RENDERERS["text"](days, span=("2025-06-24", "2025-06-26"))
    assert text == render_day("2025-06-24", [text_entry(e) for e in entries[:2]]) + render_day(
        "2025-06-25", [text_entry(entries[2])]
    )
    read = parse_digest(text)
    assert [(d.date, [e.title for e in d.entries]) for d in read] == [
        ("2025-06-24", [entries[0].title, entries[1].title]),
        ("2025-06-25", [entries[2].title]),
    ]


def test_a_range_in_markdown_has_a_date_heading_per_day() -> None:
    days = [("2025-06-24", [make_entry()]), ("2025-06-25", [make_entry("2506.00002")])]
    text = render_markdown(days)
    assert re.findall(r"(?m)^# .*$", text) == ["# 2025년 6월 24일", "# 2025년 6월 25일"]
    assert text.count("\n## ") == 2 and "---" not in text  # rules only between entries of a day


def test_a_range_in_html_is_one_page_with_a_section_per_day() -> None:
    days = [("2025-06-24", [make_entry()]), ("2025-06-25", [make_entry("2506.00002")])]
    page = render_html(days, span=("2025-06-24", "2025-06-30"))
    assert page.count("<!DOCTYPE html>") == 1 and page.count("<h1>") == 1
    assert "<h1>2025년 6월 24일 – 6월 30일</h1>" in page
    other_year = render_html(days, span=("2024-12-30", "2025-06-30"))
    assert "<h1>2024년 12월 30일 – 2025년 6월 30일</h1>" in other_year
    assert page.count('<section class="day"') == 2 and "<h2>2025년 6월 25일</h2>" in page
    assert page.count('<h3 lang="en">') == 2
    # a single day looks as it always did: its date, then the entries
    one = render_html([("2025-06-24", [make_entry()])])
    assert "<section" not in one and "<h1>2025년 6월 24일</h1>" in one and '<h2 lang="en">' in one


# -- JSON --------------------------------------------------------------------------------------
def test_the_schema_is_valid_and_named_by_a_urn_not_a_dead_url() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == JSON_SCHEMA_ID and JSON_SCHEMA_ID.startswith("urn:")
    document = json.loads(render_json([("2025-06-24", [make_entry()])]))
    assert document["$schema"] == JSON_SCHEMA_ID
    assert (
        "http"
        not in json.dumps({k: v for k, v in SCHEMA.items() if k != "$schema"}).split('"arxiv_url"')[
            0
        ]
    )


def test_one_day_is_the_day_document_and_follows_the_schema() -> None:
    document = json.loads(
        render_json([("2025-06-24", [make_entry(), make_entry("hep-th/9901001")])])
    )
    VALIDATOR.validate(document)
    assert set(document) == {"$schema", "version", "date", "entries"}
    assert document["version"] == 1 and document["date"] == "2025-06-24"
    assert [e["id"] for e in document["entries"]] == ["2506.18896", "hep-th/9901001"]
    broken = {**document, "entries": [{**document["entries"][0], "tags": "rl"}]}
    assert not VALIDATOR.is_valid(broken)
    # a document written before ranges existed (an https $schema) still validates
    VALIDATOR.validate({**document, "$schema": "https://example.org/old"})


def test_a_range_is_a_list_of_day_documents() -> None:
    days = [("2025-06-24", [make_entry()]), ("2025-06-26", [awaiting()])]
    document = json.loads(render_json(days, span=("2025-06-23", "2025-06-30")))
    VALIDATOR.validate(document)
    assert (document["from"], document["to"]) == ("2025-06-23", "2025-06-30")
    assert [d["date"] for d in document["days"]] == ["2025-06-24", "2025-06-26"]
    for day in document["days"]:
        VALIDATOR.validate(day)  # each day is a day document on its own
    assert document["days"][1]["entries"][0]["status"] == "awaiting-translation"
    # a range asked for keeps its shape even when only one of its days has drafts
    single = json_document([("2025-06-24", [make_entry()])], span=("2025-06-24", "2025-06-30"))
    assert "days" in single and "entries" not in single
    assert not VALIDATOR.is_valid({**document, "days": [{"date": "2025-06-24"}]})


# -- entries that are not ready (export --force) -----------------------------------------------
def test_text_leaves_out_what_it_cannot_carry_and_names_it() -> None:
    ready = make_entry("2506.00001")
    unfetched = make_entry("2506.00003", title="", abstract="", authors=[])
    english_only = make_entry("2506.00004", comment_ko="An English comment, no Korean.")
    blank_in_abstract = make_entry("2506.00005", abstract="Para one.\n\nPara two.")
    days = [("2025-06-24", [ready, awaiting(), unfetched, english_only, blank_in_abstract])]
    text = render_text(days)
    assert "\n\n" not in text and all(line.strip() for line in text.splitlines())
    [day] = parse_digest(text)
    assert [e.comment_en for e in day.entries] == ["First line. Second line."]
    reasons = {entry.id: reason for entry, reason in text_left_out(days)}
    assert list(reasons) == ["2506.00009", "2506.00003", "2506.00004", "2506.00005"]
    assert reasons["2506.00009"].startswith("no English yet")
    assert "not fetched" in reasons["2506.00003"] and "Hangul" in reasons["2506.00004"]
    assert "blank line" in reasons["2506.00005"]
    assert text_problem(ready) == ""


def test_a_text_entry_never_swallows_its_neighbour() -> None:
    # No tags, and the next title looks like a tags line: the reader would merge them.
    tagless = make_entry("2506.00001", tags=[])
    hashy = make_entry("2506.00002", title="#Hash #Tags")
    assert text_problem(tagless) == ""
    assert text_problem(hashy) != ""  # a title the reader takes for tags


def test_markdown_and_html_mark_entries_that_are_not_ready() -> None:
    failing = make_entry("2506.00002", status=NEEDS_REVIEW, checks=[Finding("hangul", ERROR, "x")])
    days = [("2025-06-24", [make_entry(), failing, awaiting()])]
    markdown = render_markdown(days)
    assert markdown.count("**⚠ Needs review**") == 1
    assert markdown.count("**⚠ Awaiting translation**") == 1
    assert "\n\n\n" not in markdown  # no empty English paragraph
    page = render_html(days)
    assert page.count('<p class="badge" lang="en">⚠ needs review</p>') == 1
    assert page.count('<p class="badge" lang="en">⚠ awaiting translation</p>') == 1
    assert page.count('<p class="en"') == 2  # none for the entry without English
    assert '<p class="badge"' not in render_html([("2025-06-24", [make_entry()])])


# -- output safety -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "entry_id", "link"),
    [
        ("http://arxiv.org/abs/2506.18896v1", "2506.18896", "https://arxiv.org/abs/2506.18896v1"),
        ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("javascript:alert(1)", "2506.18896", "https://arxiv.org/abs/2506.18896"),
        (
            "JavaScript:alert(1)//arxiv.org/abs/2506.18896",
            "2506.18896",
            "https://arxiv.org/abs/2506.18896",
        ),
        ("https://evil.example/abs/2506.18896", "2506.18896", "https://arxiv.org/abs/2506.18896"),
        (
            "https://arxiv.org.evil.example/abs/2506.18896",
            "2506.18896",
            "https://arxiv.org/abs/2506.18896",
        ),
        (
            "https://arxiv.org/abs/2506.18896) [x](javascript:1",
            "2506.18896",
            "https://arxiv.org/abs/2506.18896",
        ),
        ("data:text/html,<script>", "hep-th/9901001v2", "https://arxiv.org/abs/hep-th/9901001"),
        ("", "2506.18896", "https://arxiv.org/abs/2506.18896"),
        ("javascript:alert(1)", "javascript:alert(1)", ""),  # an id that is no arXiv id: no link
    ],
)
def test_only_arxiv_pages_become_links(url: str, entry_id: str, link: str | None) -> None:
    entry = make_entry(entry_id, url=url)
    expected = url if link is None else link
    assert arxiv_link(entry) == expected
    markdown = render_markdown([("2025-06-24", [entry])])
    page = render_html([("2025-06-24", [entry])])
    if expected:
        assert f"]({expected})" in markdown and f'<a href="{expected}">' in page
    else:
        assert "](" not in markdown and "<a " not in page
    targets = re.findall(r'href="([^"]*)"', page) + re.findall(r"\]\(([^)]*)\)", markdown)
    assert all(re.match(r"https?://arxiv\.org/abs/[\w./-]+$", t) for t in targets), targets


def test_digest_imports_have_no_arxiv_link() -> None:
    entry = make_entry("a-title-12345678", source="digest")
    assert "## A Title\n" in render_markdown([("2025-06-24", [entry])])
    assert json.loads(render_json([("2025-06-24", [entry])]))["entries"][0]["arxiv_url"] is None


def test_markdown_keeps_line_breaks_links_and_escapes() -> None:
    entry = make_entry(title="A *bold* [title] #1", tags=["rl", "reward-model"])
    text = render_markdown([("2025-06-24", [entry, make_entry("2506.00002")])])
    assert text.startswith(
        "# 2025년 6월 24일\n\n"
        "## [A \\*bold\\* \\[title\\] \\#1](https://arxiv.org/abs/2506.18896)\n"
    )
    assert "> Line one.\n>\n> Line two.\n" in text
    assert "첫 줄.\\\n둘째 줄." in text
    assert "`#rl` `#reward-model`" in text
    assert text.count("\n---\n") == 1 and text.endswith("\n") and not text.endswith("---\n")


def test_markdown_turns_no_line_of_the_author_into_a_block() -> None:
    comment = (
        "# 제목처럼 보이는 줄\n1. 목록처럼\n- 이것도\n---\n> 인용처럼\n+ 더하기\n===\n"
        "    들여쓴 코드\n2) 괄호 목록\n* 별표\n~~~\n```\n<div>html</div>\n~10% 향상, $5 & &amp;"
    )
    entry = make_entry(comment_ko=comment, comment_en=comment, abstract=comment)
    text = render_markdown([("2025-06-24", [entry])])
    ours = {"# 2025년 6월 24일", "---"}
    for line in text.splitlines():
        body = line[2:] if line.startswith("> ") else line
        if line in ours or line.startswith("## ") or line == ">":
            continue
        assert not BLOCK_START.match(body), line
    assert "\\# 제목처럼 보이는 줄\\" in text and "1\\. 목록처럼" in text and "\\---" in text
    assert "\\~10% 향상, \\$5 & \\&amp;" in text  # GitHub strikes ~text~ and renders $math$


@given(st.lists(st.text(alphabet="#-+*=>_~`1234.) 가a\t", max_size=12), min_size=1, max_size=5))
def test_no_line_the_author_writes_starts_a_markdown_block(lines: list[str]) -> None:
    for line in _md_lines("\n".join(lines)).split("\n"):
        assert not BLOCK_START.match(line.rstrip("\\")), line


# -- HTML --------------------------------------------------------------------------------------
def test_html_is_one_page_with_languages_marked_and_everything_escaped() -> None:
    entry = make_entry(
        title="<script>alert(1)</script>",
        authors=["<b>Ann</b>"],
        comment_ko="<img src=x onerror=alert(2)> 코멘트",
        comment_en='"quoted" & <i>',
        tags=["<x>"],
    )
    page = render_html([("2025-06-24", [entry])])
    assert page.startswith('<!DOCTYPE html>\n<html lang="ko">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert '<p class="ko" lang="ko">&lt;img src=x onerror=alert(2)&gt; 코멘트</p>' in page
    assert '<p class="en" lang="en">&quot;quoted&quot; &amp; &lt;i&gt;</p>' in page
    assert "<link" not in page and "src=" not in page.replace("src=x", "")  # self-contained


def test_html_keeps_korean_words_whole_and_lets_long_urls_wrap() -> None:
    page = render_html([("2025-06-24", [make_entry()])])
    assert ":lang(ko){word-break:keep-all}" in page
    assert "overflow-wrap:anywhere" in page
    assert "prefers-color-scheme: dark" in page


def test_html_export_escapes_titles_and_comments(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    arxiv_server.add(
        FakePaper(
            "2506.00666",
            "<script>alert('title')</script>",
            ["<img src=x onerror=alert(1)>"],
            "A & B <i>",
        )
    )
    model_server.replies = ["A PRM <script>alert('en')</script>."]
    run("draft", "2506.00666", "--comment", "PRM <script>alert('ko')</script> 평가", "--date", DATE)
    page = run("export", DATE, "--format", "html", "--force").stdout
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page


def test_a_range_leaves_out_a_day_with_nothing_to_write(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 0
    arxiv_server.add(FakePaper("2506.08737", "ReDit", ["A"], "Abs."))
    model_server.faults = [Fault(503)] * 4  # the second day's entry stays without English
    run("draft", "2506.08737", "--comment", "노이즈 연구.", "--date", "2025-06-25")
    text = run("export", "2025-06-24..2025-06-25", "--force").stdout
    assert text.startswith("2025년 6월 24일\n") and "6월 25일" not in text


def test_a_comment_without_hangul_is_warned_and_not_exported_as_text(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """The text format could not carry it; it would merge with the next entry."""
    english = "An English comment pasted where the Korean should be."
    model_server.replies = ["A comment in English, kept."]
    result = run("draft", "2506.18896", "--comment", english, "--date", DATE)
    assert "warning: korean: the comment has no Hangul" in result.stderr
    refused = run("export", DATE)
    assert refused.code == 1 and "the Korean comment has no Hangul" in refused.stderr
    forced = run("export", DATE, "--force")
    assert forced.code == 0 and forced.stdout == "2025년 6월 24일\n"  # left out, and said so
    assert "Warning: 2506.18896 (2025-06-24): the Korean comment has no Hangul" in forced.stderr


def test_export_force_never_writes_an_empty_english_line(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    """An entry awaiting translation is left out of the text, marked in the HTML."""
    model_server.faults = [Fault(503)] * 4
    assert run("draft", "2506.18896", "--comment", KO, "--date", DATE).code == 3
    text = run("export", DATE, "--force")
    assert text.code == 0 and "\n\n" not in text.stdout and KO not in text.stdout
    page = run("export", DATE, "--force", "--format", "html")
    assert "awaiting translation" in page.stdout


def test_ranges_in_every_format(
    arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted("2025-06-24")
    arxiv_server.add(FakePaper("2506.08737", "ReDit: Reward Dithering", ["Chenxing Wei"], "Abs."))
    other = "Reward에 노이즈를 추가하는 것으로 학습 속도를 가속시킬 수 있다는 연구 (https://www.arxiv.org/abs/2506.08737)."
    assert run("draft", "2506.08737", "--comment", other, "--date", "2025-06-26").code == 0
    text = run("export", "2025-06-23..2025-06-27")
    assert text.code == 0
    assert text.stdout.startswith("2025년 6월 24일\nReasonFlux")
    assert "\n2025년 6월 26일\nReDit" in text.stdout
    document = json.loads(run("export", "2025-06-23..2025-06-27", "--format", "json").stdout)
    assert [day["date"] for day in document["days"]] == ["2025-06-24", "2025-06-26"]
    page = run("export", "2025-06-23..2025-06-27", "--format", "html").stdout
    assert page.count("<h2") >= 2 and "6월 26일" in page
    empty = run("export", "2025-07-01..2025-07-03")
    assert empty.code == 2 and "no drafts" in empty.stderr
    assert run("export", "2025-06-27..2025-06-23").code == 2  # ends before it starts


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_a_range_of_one_day_with_drafts_is_that_day(
    fmt: str, arxiv_server: ArxivServer, model_server: OpenAIServer, isolated: Path
) -> None:
    drafted()
    result = run("export", "2025-06-20..2025-06-30", "--format", fmt)
    assert result.code == 0 and "ReasonFlux" in result.stdout
    assert load_draft(isolated, DATE, "2506.18896")["status"] == "ready"
