"""Renderings of a day: Markdown for GitHub, one HTML page, versioned JSON."""

from __future__ import annotations

import json

import jsonschema

from pipeline.export import render_html, render_json, render_markdown
from tests.conftest import REPO
from tests.test_store import make_entry

SCHEMA = json.loads(
    (REPO / "pipeline" / "schema" / "digest-v1.schema.json").read_text(encoding="utf-8")
)


def test_markdown_keeps_line_breaks_links_and_escapes() -> None:
    entry = make_entry(title="A *bold* [title]", tags=["rl", "reward-model"])
    text = render_markdown("2025-06-24", [entry, make_entry("2506.00002")])
    assert text.startswith(
        "# 2025년 6월 24일\n\n## [A \\*bold\\* \\[title\\]](https://arxiv.org/abs/2506.18896)\n"
    )
    assert "> Line one.\n>\n> Line two.\n" in text
    assert "첫 줄.\\\n둘째 줄." in text
    assert "`#rl` `#reward-model`" in text
    assert text.count("\n---\n") == 1 and text.endswith("\n") and not text.endswith("---\n")


def test_digest_imports_have_no_arxiv_link() -> None:
    entry = make_entry("a-title-12345678", source="digest")
    assert "## A Title\n" in render_markdown("2025-06-24", [entry])
    assert json.loads(render_json("2025-06-24", [entry]))["entries"][0]["arxiv_url"] is None


def test_html_is_one_page_with_languages_marked_and_everything_escaped() -> None:
    entry = make_entry(
        title="<script>alert(1)</script>",
        authors=["<b>Ann</b>"],
        comment_ko="<img src=x onerror=alert(2)> 코멘트",
        comment_en='"quoted" & <i>',
        tags=["<x>"],
    )
    page = render_html("2025-06-24", [entry])
    assert page.startswith('<!DOCTYPE html>\n<html lang="ko">')
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "<script>" not in page and "<img" not in page and "<b>" not in page and "<i>" not in page
    assert '<p class="ko" lang="ko">&lt;img src=x onerror=alert(2)&gt; 코멘트</p>' in page
    assert '<p class="en" lang="en">&quot;quoted&quot; &amp; &lt;i&gt;</p>' in page
    assert "<link" not in page and "src=" not in page.replace("src=x", "")  # self-contained


def test_json_follows_the_schema() -> None:
    document = json.loads(render_json("2025-06-24", [make_entry(), make_entry("hep-th/9901001")]))
    jsonschema.validate(document, SCHEMA)
    assert document["version"] == 1 and document["date"] == "2025-06-24"
    assert [e["id"] for e in document["entries"]] == ["2506.18896", "hep-th/9901001"]
    broken = {**document, "entries": [{**document["entries"][0], "tags": "rl"}]}
    try:
        jsonschema.validate(broken, SCHEMA)
    except jsonschema.ValidationError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the schema accepted tags that are not a list")
